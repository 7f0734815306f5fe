/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STAMP (lib/stamp): nep_stamp_parse_sender() and nep_stamp_reflect()
 * name every failure and never read past the request nor write past a
 * reply buffer of exactly the request's length (exact heap copies); an
 * accepted request gets a reply of its own length that parses back with
 * the request's sequence number, SSID, timestamp and TTL, whose TLVs
 * walk to the same types and lengths as the request's, unknown types
 * flagged U with their bytes unchanged; the same input gives the same
 * reply. The tail of the input also drives nep_stamp_stats: every add
 * is counted once, loss never exceeds what was expected, and window
 * summaries are ordered (min <= median <= p99 <= max).
 * Input: [flags][rx TTL][rx TOS][request length][request][samples...];
 * flags: bit 0 authenticated, 1 PTP, 2 stateful, 3 walk TLVs, 4 CoS
 * allowed, 5 clocks synced. A sample: 4+4 bytes of sequence numbers and
 * 4 x 2 bytes of delays in us.
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

static const struct nep_stamp_auth auth = {hmac_sha256, NULL};

static bool
known(uint8_t type)
{
	return type == NEP_STAMP_TLV_PADDING || type == NEP_STAMP_TLV_TS_INFO ||
	       type == NEP_STAMP_TLV_COS || type == NEP_STAMP_TLV_DIRECT;
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
	};
	size_t base = nep_stamp_base_len(mode);
	struct nep_stamp_reflect_info info, info2;
	struct nep_stamp_tlv_iter a, b;
	struct nep_stamp_tlv ta, tb;
	struct nep_stamp_reflector r;
	struct nep_stamp_sender s;
	uint8_t *p = fuzz_dup(data, len), *out = malloc(len ? len : 1);
	uint8_t *out2 = malloc(len ? len : 1);
	int rc, rc2, ra, rb;

	if (out == NULL || out2 == NULL)
		abort();
	rc = nep_stamp_parse_sender(p, len, mode, &auth, &s);
	FUZZ_CHECK(rc == 0 || rc == NEP_STAMP_E_TRUNCATED ||
		   rc == NEP_STAMP_E_BAD_AUTH);
	FUZZ_CHECK((rc == NEP_STAMP_E_TRUNCATED) == (len < base));
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
		goto done;
	}
	nep_stamp_tlv_iter_init(&a, p + base, len - base);
	nep_stamp_tlv_iter_init(&b, out + base, len - base);
	for (;;) {
		ra = nep_stamp_tlv_next(&a, &ta);
		rb = nep_stamp_tlv_next(&b, &tb);
		FUZZ_CHECK(ra == rb);
		if (ra != 1 && ra != NEP_STAMP_E_BAD_TLV)
			break;
		FUZZ_CHECK(ta.type == tb.type && ta.len == tb.len);
		FUZZ_CHECK(ta.off == tb.off);
		if (ra != 1) {
			FUZZ_CHECK(tb.flags == NEP_STAMP_TLV_F_M);
			break;
		}
		if (!known(ta.type)) {
			FUZZ_CHECK(tb.flags == NEP_STAMP_TLV_F_U);
			FUZZ_CHECK(memcmp(ta.value, tb.value, ta.len) == 0);
		} else {
			FUZZ_CHECK(
				tb.flags == 0 || tb.flags == NEP_STAMP_TLV_F_M);
		}
	}
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
