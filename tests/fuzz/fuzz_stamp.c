/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STAMP (lib/stamp): nep_stamp_parse_sender() and nep_stamp_reflect()
 * name every failure and never read past the request nor write past a
 * reply buffer of exactly the request's length (exact heap copies); an
 * accepted request gets a reply of its own length that parses back with
 * the request's sequence number, SSID, timestamp and TTL, whose TLVs
 * walk to the same types and lengths as the request's, with RFC 8972 4's
 * flags: unknown types U with their bytes unchanged, answered ones clear,
 * the first malformed one M and everything after it as it came, or I on
 * every TLV when the HMAC TLV check failed (4.8); a reply said to carry
 * an HMAC TLV verifies with nep_stamp_hmac_tlv_verify(); the same input
 * gives the same reply. Every Return Path TLV of the request goes through
 * nep_stamp_tlv_return_path(), and what it decodes encodes back to the
 * same. The tail of the input also drives nep_stamp_stats: every add is
 * counted once, loss never exceeds what was expected, and window
 * summaries are ordered (min <= median <= p99 <= max).
 * Input: [flags][rx TTL][rx TOS][request length][request][samples...];
 * flags: bit 0 authenticated, 1 PTP, 2 stateful, 3 walk TLVs, 4 CoS
 * allowed, 5 clocks synced, 6 HMAC TLVs checked in unauthenticated mode,
 * 7 every Return Path capability. A sample: 4+4 bytes of sequence numbers
 * and 4 x 2 bytes of delays in us.
 */
#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"

#include "nep_stamp.h"
#include "nep_stamp_metrics.h"

static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8};

static int
hmac_sha256(void *ctx, const uint8_t *msg, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	(void)ctx;
	return HMAC(EVP_sha256(), key, sizeof(key), msg, len, out, &n) == NULL;
}

static const struct nep_stamp_auth auth = {.hmac = hmac_sha256};

static bool
known(uint8_t type, bool verify)
{
	return type == NEP_STAMP_TLV_PADDING || type == NEP_STAMP_TLV_TS_INFO ||
	       type == NEP_STAMP_TLV_COS || type == NEP_STAMP_TLV_DIRECT ||
	       type == NEP_STAMP_TLV_RETURN_PATH ||
	       (verify && type == NEP_STAMP_TLV_HMAC);
}

/* Return Path TLVs: decoded without fault, and back to the same. */
static void
check_return_path(const struct nep_stamp_tlv *t, bool first, bool reached,
	const struct nep_stamp_reflect_info *info)
{
	struct nep_stamp_return_path rp, rp2;
	uint8_t v[NEP_STAMP_RETURN_PATH_MAX];
	int rc = nep_stamp_tlv_return_path(t, &rp), n;

	FUZZ_CHECK(rc == 0 || rc == NEP_STAMP_E_BAD_TLV ||
		   rc == NEP_STAMP_E_NO_SPACE);
	/* The first one is what the reflector answered, if it got there. */
	if (first)
		FUZZ_CHECK(info->has_return_path ==
			   (reached && rc != NEP_STAMP_E_BAD_TLV));
	if (rc != 0)
		return;
	FUZZ_CHECK(rp.n_sids <= NEP_STAMP_RP_MAX_SIDS &&
		   rp.n_labels <= NEP_STAMP_RP_MAX_LABELS);
	n = nep_stamp_return_path_encode(&rp, v, sizeof(v));
	if (n < 0) {
		/* Only a Control Code with more, which a sender must not send.
		 */
		FUZZ_CHECK(n == NEP_STAMP_E_BAD_ARG && rp.has_cc);
		return;
	}
	FUZZ_CHECK(nep_stamp_tlv_return_path(
			   &(struct nep_stamp_tlv){0, NEP_STAMP_TLV_RETURN_PATH,
				   (uint16_t)n, v, 0},
			   &rp2) == 0);
	FUZZ_CHECK(rp2.has_cc == rp.has_cc && rp2.cc == rp.cc &&
		   rp2.has_addr == rp.has_addr && rp2.af == rp.af &&
		   memcmp(rp2.addr, rp.addr, 16) == 0 &&
		   rp2.n_labels == rp.n_labels &&
		   memcmp(rp2.labels, rp.labels, sizeof(rp.labels)) == 0 &&
		   rp2.n_sids == rp.n_sids &&
		   memcmp(rp2.sids, rp.sids, sizeof(rp.sids)) == 0 &&
		   rp2.n_unknown == 0);
}

static void
check_reflect(const uint8_t *data, size_t len, uint8_t flags, uint8_t ttl,
	uint8_t tos)
{
	enum nep_stamp_mode mode =
		flags & 1 ? NEP_STAMP_AUTH : NEP_STAMP_UNAUTH;
	struct nep_stamp_reflect_params pr = {
		.mode = mode,
		.tsfmt = flags & 2 ? NEP_STAMP_TS_PTP : NEP_STAMP_TS_NTP,
		.t2_ns = 1700000000123456789ull,
		.t3_ns = 1700000000123556789ull,
		.rx_ttl = ttl,
		.rx_tos = tos,
		.stateful = (flags & 4) != 0,
		.seq = 77,
		.err = {true, 0, 3, 9},
		.auth = &auth,
		.tlvs = (flags & 8) != 0,
		.cos_allowed = (flags & 16) != 0,
		.ts_info = {1, 1, 1, 1},
		.r_rxc = 5,
		.r_txc = 6,
		.hmac_tlv = (flags & 64) != 0,
		.rp_caps = flags & 128 ? 0x0f : 0,
	};
	bool verify = pr.tlvs && (mode == NEP_STAMP_AUTH || pr.hmac_tlv);
	size_t base = nep_stamp_base_len(mode);
	struct nep_stamp_reflect_info info, info2;
	struct nep_stamp_tlv_iter a, b;
	struct nep_stamp_tlv ta, tb;
	struct nep_stamp_reflector r;
	struct nep_stamp_sender s;
	uint8_t *p = fuzz_dup(data, len), *out = malloc(len ? len : 1);
	uint8_t *out2 = malloc(len ? len : 1);
	bool stopped = false, seen_rp = false, seen_hmac = false;
	int rc, rc2, ra, rb;

	if (out == NULL || out2 == NULL)
		abort();
	rc = nep_stamp_parse_sender(p, len, mode, &auth, &s);
	FUZZ_CHECK(rc == 0 || rc == NEP_STAMP_E_TRUNCATED ||
		   rc == NEP_STAMP_E_BAD_AUTH);
	FUZZ_CHECK((rc == NEP_STAMP_E_TRUNCATED) == (len < base));
	rc = nep_stamp_hmac_tlv_verify(p, len, mode, &auth);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == NEP_STAMP_E_BAD_AUTH ||
		   rc == NEP_STAMP_E_TRUNCATED || rc == NEP_STAMP_E_NO_SPACE);
	rc = nep_stamp_reflect(p, len, out, len, &pr, &info);
	rc2 = nep_stamp_reflect(p, len, out2, len, &pr, &info2);
	FUZZ_CHECK(rc == rc2);
	if (rc < 0) {
		FUZZ_CHECK(strcmp(nep_stamp_err_name(rc), "unknown") != 0);
		FUZZ_CHECK(rc == NEP_STAMP_E_TRUNCATED ||
			   rc == NEP_STAMP_E_BAD_AUTH);
		goto done;
	}
	FUZZ_CHECK((size_t)rc == len);
	FUZZ_CHECK(memcmp(out, out2, len) == 0);
	FUZZ_CHECK(nep_stamp_parse_reflector(out, len, mode, &auth, &r) == 0);
	FUZZ_CHECK(r.s_seq == s.seq && r.ssid == s.ssid && r.s_ts == s.ts);
	FUZZ_CHECK(r.s_ttl == ttl && r.mbz_zero);
	FUZZ_CHECK(r.seq == (pr.stateful ? 77u : s.seq));
	if (!pr.tlvs) {
		FUZZ_CHECK(memcmp(out + base, p + base, len - base) == 0);
		FUZZ_CHECK(info.n_tlv == 0 && !info.has_return_path);
		goto done;
	}
	if (info.tlv_hmac)
		FUZZ_CHECK(
			nep_stamp_hmac_tlv_verify(out, len, mode, &auth) == 1);
	FUZZ_CHECK(!(info.tlv_hmac && info.tlv_integrity_failed));
	FUZZ_CHECK(!info.tlv_integrity_failed || verify);
	FUZZ_CHECK(!info.rp_used || info.has_return_path);
	FUZZ_CHECK(!info.no_reply || info.rp_used);
	nep_stamp_tlv_iter_init(&a, p + base, len - base);
	nep_stamp_tlv_iter_init(&b, out + base, len - base);
	for (;;) {
		bool hmac_value;

		ra = nep_stamp_tlv_next(&a, &ta);
		rb = nep_stamp_tlv_next(&b, &tb);
		FUZZ_CHECK(ra == rb);
		if (ra != 1 && ra != NEP_STAMP_E_BAD_TLV)
			break;
		FUZZ_CHECK(ta.type == tb.type && ta.len == tb.len);
		FUZZ_CHECK(ta.off == tb.off);
		/* The first HMAC TLV's value is the reflector's own. */
		hmac_value = ra == 1 && verify && !seen_hmac &&
			     ta.type == NEP_STAMP_TLV_HMAC;
		if (ra == 1 && ta.type == NEP_STAMP_TLV_HMAC)
			seen_hmac = true;
		if (ra == 1 && ta.type == NEP_STAMP_TLV_RETURN_PATH) {
			check_return_path(&ta, !seen_rp,
				!stopped && !info.tlv_integrity_failed, &info);
			seen_rp = true;
		}
		if (info.tlv_integrity_failed) {
			FUZZ_CHECK(tb.flags == NEP_STAMP_TLV_F_I);
			if (ra == 1 && !hmac_value)
				FUZZ_CHECK(memcmp(ta.value, tb.value, ta.len) ==
					   0);
			if (ra != 1)
				break;
			continue;
		}
		if (stopped) {
			/* After the first malformed TLV: as it came. */
			FUZZ_CHECK(tb.flags == ta.flags);
			if (ra == 1 && !hmac_value)
				FUZZ_CHECK(memcmp(ta.value, tb.value, ta.len) ==
					   0);
			if (ra != 1)
				break;
			continue;
		}
		if (ra != 1) {
			FUZZ_CHECK(tb.flags == NEP_STAMP_TLV_F_M);
			break;
		}
		if (tb.flags == NEP_STAMP_TLV_F_M) {
			FUZZ_CHECK(known(ta.type, verify));
			FUZZ_CHECK(memcmp(ta.value, tb.value, ta.len) == 0);
			stopped = true;
			continue;
		}
		if (!known(ta.type, verify)) {
			FUZZ_CHECK(tb.flags == NEP_STAMP_TLV_F_U);
			FUZZ_CHECK(memcmp(ta.value, tb.value, ta.len) == 0);
		} else if (ta.type == NEP_STAMP_TLV_RETURN_PATH) {
			FUZZ_CHECK(
				tb.flags == 0 || tb.flags == NEP_STAMP_TLV_F_U);
			FUZZ_CHECK(memcmp(ta.value, tb.value, ta.len) == 0);
		} else {
			FUZZ_CHECK(tb.flags == 0);
		}
	}
	FUZZ_CHECK(info.n_malformed <= 1);
	FUZZ_CHECK(info.n_unknown + info.n_malformed <= info.n_tlv + 1);
done:
	free(out2);
	free(out);
	free(p);
}

static void
check_stats(struct fuzz_in *in, bool synced, bool stateful)
{
	static struct nep_stamp_stats st;
	struct nep_stamp_summary sum;
	struct nep_stamp_loss l;
	uint64_t adds = 0, t = 1000000000ull;

	nep_stamp_stats_init(&st, 1 + fuzz_u8(in) % 64, fuzz_u8(in) * 100000ull,
		synced, stateful);
	while (in->n >= 16) {
		struct nep_stamp_sample s;

		s.s_seq = fuzz_u32(in);
		s.r_seq = fuzz_u32(in);
		s.t1 = t;
		s.t2 = s.t1 + fuzz_u16(in) * 1000ull;
		s.t3 = s.t2 + fuzz_u16(in) * 1000ull;
		s.t4 = s.t3 + fuzz_u16(in) * 1000ull;
		t += fuzz_u16(in) * 1000ull;
		nep_stamp_stats_add(&st, &s);
		adds++;
	}
	FUZZ_CHECK(st.replies + st.duplicates + st.too_old == adds);
	FUZZ_CHECK(st.reordered <= st.replies);
	nep_stamp_stats_loss(&st, 0, &l);
	FUZZ_CHECK(l.round_trip <= l.expected);
	FUZZ_CHECK(!l.split || l.forward + l.backward == l.round_trip);
	for (int m = 0; m < NEP_STAMP_M_COUNT; m++) {
		nep_stamp_stats_window(&st, m, t, &sum);
		FUZZ_CHECK(sum.n <= st.win_n);
		if (sum.n)
			FUZZ_CHECK(sum.min <= sum.median &&
				   sum.median <= sum.p99 && sum.p99 <= sum.max);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t flags, ttl, tos;
	size_t len;

	if (size > 4096)
		return 0;
	flags = fuzz_u8(&in);
	ttl = fuzz_u8(&in);
	tos = fuzz_u8(&in);
	len = fuzz_u16(&in);
	if (len > in.n)
		len = in.n;
	check_reflect(in.p, len, flags, ttl, tos);
	in.p += len;
	in.n -= len;
	check_stats(&in, (flags & 32) != 0, (flags & 4) != 0);
	return 0;
}
