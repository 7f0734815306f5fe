/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/stamp (nep_stamp.h, nep_stamp_metrics.h): scapy's Session-Sender
 * packets parsed field by field, neptune's reflector replies compared
 * byte for byte with scapy's and Python's (stamp_vectors.h) in both modes,
 * with RFC 8972 4's flags (U from the sender, M on the first malformed
 * TLV and nothing after it touched), the HMAC TLV (RFC 8972 4.8) checked
 * and written with OpenSSL's HMAC-SHA-256 against Python's (I flags on a
 * failure), the Return Path TLV (RFC 9503 4) decoded, encoded and
 * answered per the caller's capabilities, NTP / PTP timestamps (scapy's
 * NTP encoding, rounding edges, the 2036 era wrap), every truncation of
 * every vector from exact heap copies, hostile TLVs, and the metrics on
 * synthetic sequences (loss, reordering, duplicates, wrap at 2^32, RTT,
 * jitter, percentiles, histogram).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "nep_stamp.h"
#include "nep_stamp_metrics.h"
#include "prov_test.h"
#include "stamp_vectors.h"

PROV_ASSERT_ERR(nep_stamp_err_name)

static int
ossl_hmac(void *ctx, const uint8_t *msg, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	(void)ctx;
	return HMAC(EVP_sha256(), stamp_key, sizeof(stamp_key), msg, len, out,
		       &n) == NULL
		       ? -1
		       : 0;
}

static int
failing_hmac(void *ctx, const uint8_t *msg, size_t len, uint8_t out[32])
{
	(void)ctx;
	(void)msg;
	(void)len;
	memset(out, 0, 32);
	return -1;
}

static const struct nep_stamp_auth auth = {.hmac = ossl_hmac};

static uint8_t *
dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

static void
test_err_names(void **state)
{
	(void)state;
	assert_string_equal(nep_stamp_err_name(0), "ok");
	assert_string_equal(nep_stamp_err_name(1), "unknown");
	assert_string_equal(
		nep_stamp_err_name(-NEP_STAMP_E_COUNT - 1), "unknown");
	for (int i = 1; i <= NEP_STAMP_E_COUNT; i++) {
		const char *n = nep_stamp_err_name(-i);

		assert_non_null(n);
		assert_int_equal(strncmp(n, "stamp_", 6), 0);
		for (int j = 1; j < i; j++)
			assert_string_not_equal(n, nep_stamp_err_name(-j));
	}
	assert_string_equal(
		nep_stamp_err_name(NEP_STAMP_E_TRUNCATED), "stamp_truncated");
	assert_string_equal(
		nep_stamp_err_name(NEP_STAMP_E_BAD_TLV), "stamp_bad_tlv");
	assert_string_equal(
		nep_stamp_err_name(NEP_STAMP_E_BAD_AUTH), "stamp_bad_auth");
}

/* ---- timestamps ---- */

static void
check_ntp(const struct stamp_ts_vec *v, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t ns;

		if (nep_stamp_ntp_from_ns(v[i].ns) != v[i].raw)
			fail_msg("%s %zu: ntp(%llu) is 0x%016llx, want "
				 "0x%016llx",
				what, i, (unsigned long long)v[i].ns,
				(unsigned long long)nep_stamp_ntp_from_ns(
					v[i].ns),
				(unsigned long long)v[i].raw);
		assert_err(nep_stamp_ntp_to_ns(v[i].raw, &ns), "ok", what);
		if (v[i].to_ns_exact && ns != v[i].ns)
			fail_msg("%s %zu: ns(0x%016llx) is %llu, want %llu",
				what, i, (unsigned long long)v[i].raw,
				(unsigned long long)ns,
				(unsigned long long)v[i].ns);
		/* Never off by more than half a ns plus a fraction unit. */
		assert_true(ns + 1 >= v[i].ns && ns <= v[i].ns + 1);
	}
}

static void
test_ntp(void **state)
{
	uint64_t ns;

	(void)state;
	check_ntp(stamp_ntp_scapy, DIM(stamp_ntp_scapy), "ntp scapy");
	check_ntp(stamp_ntp_edges, DIM(stamp_ntp_edges), "ntp edges");
	/* The fraction is 2^-32 s units: 0x80000000 is half a second. */
	assert_err(nep_stamp_ntp_to_ns(
			   (uint64_t)(NEP_STAMP_NTP_UNIX_OFFSET + 1) << 32 |
				   0x80000000u,
			   &ns),
		"ok", "half");
	assert_int_equal(ns, 1500000000ull);
	/* The largest fraction rounds up into the next second. */
	assert_err(
		nep_stamp_ntp_to_ns(
			(uint64_t)NEP_STAMP_NTP_UNIX_OFFSET << 32 | 0xffffffffu,
			&ns),
		"ok", "carry");
	assert_int_equal(ns, 1000000000ull);
	/* Era 0 before 1970 (1968-1970): not representable. */
	assert_err(nep_stamp_ntp_to_ns(0x8000000000000000ull, &ns),
		"stamp_bad_ts", "1968");
	assert_int_equal(ns, 0);
	assert_err(
		nep_stamp_ntp_to_ns(
			(uint64_t)(NEP_STAMP_NTP_UNIX_OFFSET - 1) << 32, &ns),
		"stamp_bad_ts", "1969");
	/* Era 1: seconds 0 is 2036-02-07 06:28:16 UTC. */
	assert_err(nep_stamp_ntp_to_ns(0, &ns), "ok", "2036");
	assert_int_equal(ns, 2085978496ull * 1000000000ull);
	assert_err(
		nep_stamp_ntp_to_ns(0x7fffffff00000000ull, &ns), "ok", "2104");
	assert_int_equal(ns,
		(0x17fffffffull - NEP_STAMP_NTP_UNIX_OFFSET) * 1000000000ull);
	/* Round trip of a ns grid through NTP loses at most 1 ns. */
	for (uint64_t t = 1700000000ull * 1000000000ull;
		t < 1700000000ull * 1000000000ull + 1000000000ull;
		t += 7777777) {
		assert_err(nep_stamp_ntp_to_ns(nep_stamp_ntp_from_ns(t), &ns),
			"ok", "grid");
		assert_true(ns == t);
	}
}

static void
test_ptp(void **state)
{
	uint64_t ns;

	(void)state;
	for (size_t i = 0; i < DIM(stamp_ptp_vecs); i++) {
		assert_int_equal(nep_stamp_ptp_from_ns(stamp_ptp_vecs[i].ns),
			stamp_ptp_vecs[i].raw);
		assert_err(nep_stamp_ptp_to_ns(stamp_ptp_vecs[i].raw, &ns),
			"ok", "ptp");
		assert_int_equal(ns, stamp_ptp_vecs[i].ns);
	}
	assert_err(nep_stamp_ptp_to_ns(1000000000u, &ns), "stamp_bad_ts",
		"ptp ns");
	assert_err(nep_stamp_ptp_to_ns(0xffffffffu, &ns), "stamp_bad_ts",
		"ptp ns max");
	assert_int_equal(nep_stamp_ts_from_ns(NEP_STAMP_TS_PTP, 1500000000),
		1ull << 32 | 500000000);
	assert_int_equal(nep_stamp_ts_from_ns(NEP_STAMP_TS_NTP, 0),
		(uint64_t)NEP_STAMP_NTP_UNIX_OFFSET << 32);
	assert_err(nep_stamp_ts_to_ns(NEP_STAMP_TS_PTP, 5ull << 32, &ns), "ok",
		"ts ptp");
	assert_int_equal(ns, 5000000000ull);
}

static void
test_errest(void **state)
{
	struct nep_stamp_errest e = {true, 1, 0x3f, 0xff}, b;

	(void)state;
	assert_int_equal(nep_stamp_errest_pack(&e), 0xffff);
	nep_stamp_errest_unpack(0x8307, &b);
	assert_true(b.s);
	assert_int_equal(b.z, 0);
	assert_int_equal(b.scale, 3);
	assert_int_equal(b.mult, 7);
	nep_stamp_errest_unpack(0x4001, &b);
	assert_false(b.s);
	assert_int_equal(b.z, 1);
	/* 1 * 2^-32 s rounds up to 1 ns; 1 * 2^0 s is 10^9 ns. */
	b = (struct nep_stamp_errest){false, 0, 0, 1};
	assert_int_equal(nep_stamp_errest_ns(&b), 1);
	b.scale = 32;
	assert_int_equal(nep_stamp_errest_ns(&b), 1000000000ull);
	b = (struct nep_stamp_errest){false, 0, 63, 255};
	assert_int_equal(nep_stamp_errest_ns(&b), UINT64_MAX);
}

/* ---- scapy's sender packets ---- */

static size_t
base_of(const struct stamp_case *c)
{
	return nep_stamp_base_len(c->params.mode);
}

static const struct stamp_case *
find_case(const char *name)
{
	for (size_t i = 0; i < DIM(stamp_cases); i++)
		if (strcmp(stamp_cases[i].name, name) == 0)
			return &stamp_cases[i];
	fail_msg("no case %s", name);
	return NULL;
}

static void
walk_request(const struct stamp_case *c, const uint8_t *tlv, size_t len)
{
	struct nep_stamp_tlv_iter it;
	struct nep_stamp_tlv t;
	unsigned int i;
	int rc = 1;

	nep_stamp_tlv_iter_init(&it, tlv, len);
	for (i = 0; i < c->n_tlvs; i++) {
		rc = nep_stamp_tlv_next(&it, &t);
		if (rc != 1 && rc != NEP_STAMP_E_BAD_TLV)
			fail_msg("%s: tlv %u: %s", c->name, i,
				nep_stamp_err_name(rc));
		assert_int_equal(t.flags, c->tlvs[i].flags);
		assert_int_equal(t.type, c->tlvs[i].type);
		assert_int_equal(t.len, c->tlvs[i].len);
		if (rc != 1)
			break;
		assert_ptr_equal(t.value, tlv + t.off + 4);
	}
	if (rc == 1)
		rc = nep_stamp_tlv_next(&it, &t);
	assert_err(rc, c->walk_end, c->name);
	/* An ended walk stays ended. */
	assert_int_equal(nep_stamp_tlv_next(&it, &t), 0);
}

static void
test_parse_sender(void **state)
{
	(void)state;
	for (size_t i = 0; i < DIM(stamp_cases); i++) {
		const struct stamp_case *c = &stamp_cases[i];
		enum nep_stamp_mode m = c->params.mode;
		uint8_t *p = dup_exact(c->req, c->len);
		struct nep_stamp_sender s;

		assert_err(nep_stamp_parse_sender(p, c->len, m,
				   m == NEP_STAMP_AUTH ? &auth : NULL, &s),
			"ok", c->name);
		assert_int_equal(s.seq, c->seq);
		assert_int_equal(s.ts, c->ts);
		assert_int_equal(s.err.s, c->err.s);
		assert_int_equal(s.err.z, c->err.z);
		assert_int_equal(s.err.scale, c->err.scale);
		assert_int_equal(s.err.mult, c->err.mult);
		assert_int_equal(s.ssid, c->ssid);
		assert_true(s.mbz_zero);
		if (m == NEP_STAMP_AUTH)
			assert_ptr_equal(s.hmac, p + NEP_STAMP_HMAC_COVER);
		else
			assert_null(s.hmac);
		assert_ptr_equal(s.tlv, p + base_of(c));
		assert_int_equal(s.tlv_len, c->len - base_of(c));
		if (c->params.tlvs)
			walk_request(c, s.tlv, s.tlv_len);
		free(p);
	}
}

/* ---- the reflector against scapy's (and Python's) replies ---- */

static void
assert_rp(const struct nep_stamp_return_path *got,
	const struct nep_stamp_return_path *want, const char *what)
{
	if (got->has_cc != want->has_cc || got->cc != want->cc ||
		got->has_addr != want->has_addr || got->af != want->af ||
		memcmp(got->addr, want->addr, 16) != 0 ||
		got->has_mpls != want->has_mpls ||
		got->n_labels != want->n_labels ||
		memcmp(got->labels, want->labels, sizeof(got->labels)) != 0 ||
		got->has_srv6 != want->has_srv6 ||
		got->n_sids != want->n_sids ||
		memcmp(got->sids, want->sids, sizeof(got->sids)) != 0 ||
		got->n_unknown != want->n_unknown)
		fail_msg("%s: return path differs", what);
}

static void
check_golden(const struct stamp_case *c)
{
	const struct nep_stamp_auth *a = &auth;
	struct nep_stamp_reflect_params pr = c->params;
	enum nep_stamp_mode m = pr.mode;
	uint8_t *p = dup_exact(c->req, c->len);
	uint8_t *out = malloc(c->len);
	struct nep_stamp_reflect_info info;
	struct nep_stamp_reflector r;
	uint64_t ns;
	int rc;

	assert_non_null(out);
	pr.auth = a;
	rc = nep_stamp_reflect(p, c->len, out, c->len, &pr, &info);
	if (rc < 0)
		fail_msg("%s: %s", c->name, nep_stamp_err_name(rc));
	assert_int_equal(rc, c->len);
	assert_bytes(out, c->reply, c->len, c->name);
	/* The request is left as it came (the reflector only reads it). */
	assert_memory_equal(p, c->req, c->len);
	assert_int_equal(info.s_seq, c->seq);
	assert_int_equal(info.ssid, c->ssid);
	assert_int_equal(info.cos, c->cos);
	assert_int_equal(info.reply_dscp, c->reply_dscp);
	assert_int_equal(info.n_tlv, c->n_tlv);
	assert_int_equal(info.n_unknown, c->n_unknown);
	assert_int_equal(info.n_malformed, c->n_malformed);
	assert_int_equal(info.tlv_hmac, c->tlv_hmac);
	assert_int_equal(info.tlv_integrity_failed, c->tlv_integrity_failed);
	assert_int_equal(info.has_return_path, c->has_return_path);
	assert_int_equal(info.rp_used, c->rp_used);
	assert_int_equal(info.no_reply, c->no_reply);
	if (c->rp != NULL)
		assert_rp(&info.rp, c->rp, c->name);
	else
		assert_rp(
			&info.rp, &(struct nep_stamp_return_path){0}, c->name);
	/* The reply's HMAC TLV checks out with the sender's helper. */
	if (c->tlv_hmac) {
		assert_int_equal(
			nep_stamp_hmac_tlv_verify(out, c->len, m, a), 1);
		assert_int_equal(
			nep_stamp_hmac_tlv_verify(c->req, c->len, m, a), 1);
	}

	/* And our parser reads the reply back. */
	assert_err(nep_stamp_parse_reflector(
			   out, c->len, m, m == NEP_STAMP_AUTH ? a : NULL, &r),
		"ok", c->name);
	assert_int_equal(r.s_seq, c->seq);
	assert_int_equal(r.s_ts, c->ts);
	assert_int_equal(r.s_ttl, c->params.rx_ttl);
	assert_int_equal(r.seq, c->params.stateful ? c->params.seq : c->seq);
	assert_int_equal(r.err.z, c->params.tsfmt);
	assert_err(nep_stamp_ts_to_ns(c->params.tsfmt, r.rx_ts, &ns), "ok",
		c->name);
	assert_int_equal(ns, STAMP_T2_NS);
	assert_err(
		nep_stamp_ts_to_ns(c->params.tsfmt, r.ts, &ns), "ok", c->name);
	assert_int_equal(ns, STAMP_T3_NS);
	assert_true(r.mbz_zero);
	free(out);
	free(p);
}

static void
test_reflect_golden(void **state)
{
	(void)state;
	for (size_t i = 0; i < DIM(stamp_cases); i++)
		check_golden(&stamp_cases[i]);
}

/* The builder gives scapy's bytes back from the same fields. */
static void
test_build_sender(void **state)
{
	uint8_t buf[512];

	(void)state;
	for (size_t i = 0; i < DIM(stamp_cases); i++) {
		const struct stamp_case *c = &stamp_cases[i];
		enum nep_stamp_mode m = c->params.mode;
		struct nep_stamp_sender s = {
			.seq = c->seq,
			.ts = c->ts,
			.err = c->err,
			.ssid = c->ssid,
			.tlv = c->req + base_of(c),
			.tlv_len = c->len - base_of(c),
		};

		assert_true(c->len <= sizeof(buf));
		assert_int_equal(
			nep_stamp_build_sender(buf, c->len, m, &s, &auth),
			c->len);
		assert_bytes(buf, c->req, c->len, c->name);
		assert_err(
			nep_stamp_build_sender(buf, c->len - 1, m, &s, &auth),
			"stamp_no_space", c->name);
	}
}

/* Every prefix of every request, from an exact heap copy into an exact
 * heap reply: ASan sees any read or write past either. */
static void
test_every_truncation(void **state)
{
	(void)state;
	for (size_t i = 0; i < DIM(stamp_cases); i++) {
		const struct stamp_case *c = &stamp_cases[i];
		struct nep_stamp_reflect_params pr = c->params;
		size_t base = base_of(c);

		pr.auth = &auth;
		for (size_t n = 0; n <= c->len; n++) {
			uint8_t *p = dup_exact(c->req, n);
			uint8_t *out = malloc(n ? n : 1);
			struct nep_stamp_reflect_info info;
			struct nep_stamp_sender s;
			struct nep_stamp_tlv_iter it;
			struct nep_stamp_tlv t;
			int rc;

			assert_non_null(out);
			rc = nep_stamp_reflect(p, n, out, n, &pr, &info);
			if (n < base) {
				assert_err(rc, "stamp_truncated", c->name);
				assert_err(nep_stamp_parse_sender(
						   p, n, pr.mode, &auth, &s),
					"stamp_truncated", c->name);
			} else {
				assert_int_equal(rc, n);
				assert_err(nep_stamp_parse_sender(
						   p, n, pr.mode, &auth, &s),
					"ok", c->name);
				assert_int_equal(s.tlv_len, n - base);
				/* The unwalked reply agrees with the vector's
				 * up to the TLVs (they depend on the cut). */
				assert_bytes(out, c->reply, base, c->name);
				nep_stamp_tlv_iter_init(
					&it, p + base, n - base);
				while ((rc = nep_stamp_tlv_next(&it, &t)) == 1)
					assert_true(
						t.off + 4 + t.len <= n - base);
				assert_true(rc == 0 ||
					    rc == NEP_STAMP_E_BAD_TLV ||
					    rc == NEP_STAMP_E_TRUNCATED);
				rc = nep_stamp_hmac_tlv_verify(
					p, n, pr.mode, &auth);
				assert_true(rc == 0 || rc == 1 ||
					    rc == NEP_STAMP_E_BAD_AUTH);
			}
			free(out);
			free(p);
		}
	}
}

static void
test_reflect_errors(void **state)
{
	const struct stamp_case *c = find_case("all_tlvs");
	const struct stamp_case *ca = find_case("auth_cos");
	struct nep_stamp_reflect_params pr = c->params;
	struct nep_stamp_reflect_info info;
	uint8_t out[512];

	(void)state;
	assert_err(
		nep_stamp_reflect(c->req, c->len, out, c->len - 1, &pr, &info),
		"stamp_no_space", "cap");
	pr.t3_ns = pr.t2_ns - 1;
	assert_err(
		nep_stamp_reflect(c->req, c->len, out, sizeof(out), &pr, &info),
		"stamp_bad_arg", "t3 < t2");
	pr = c->params;
	pr.t3_ns = pr.t2_ns; /* equal is allowed */
	assert_int_equal(
		nep_stamp_reflect(c->req, c->len, out, sizeof(out), &pr, &info),
		c->len);
	pr = c->params;
	pr.tsfmt = 2;
	assert_err(
		nep_stamp_reflect(c->req, c->len, out, sizeof(out), &pr, &info),
		"stamp_bad_arg", "tsfmt");
	assert_err(nep_stamp_reflect(
			   c->req, c->len, out, sizeof(out), NULL, &info),
		"stamp_bad_arg", "no params");
	pr = ca->params;
	assert_err(nep_stamp_reflect(
			   ca->req, ca->len, out, sizeof(out), &pr, &info),
		"stamp_no_key", "no key");
	/* Checking HMAC TLVs in unauthenticated mode needs the key too. */
	pr = c->params;
	pr.hmac_tlv = true;
	assert_err(
		nep_stamp_reflect(c->req, c->len, out, sizeof(out), &pr, &info),
		"stamp_no_key", "hmac_tlv no key");
	/* Unless the TLVs are not walked at all. */
	pr.tlvs = false;
	assert_int_equal(
		nep_stamp_reflect(c->req, c->len, out, sizeof(out), &pr, &info),
		c->len);
	/* A plain RFC 8762 reflector mirrors TLVs as padding. */
	pr = c->params;
	pr.tlvs = false;
	assert_int_equal(
		nep_stamp_reflect(c->req, c->len, out, sizeof(out), &pr, &info),
		c->len);
	assert_memory_equal(out + 44, c->req + 44, c->len - 44);
	assert_int_equal(info.n_tlv, 0);
	/* In authenticated mode too: the TLVs are neither walked nor
	 * checked, only the base HMAC. */
	pr = ca->params;
	pr.auth = &auth;
	pr.tlvs = false;
	assert_int_equal(nep_stamp_reflect(ca->req, ca->len, out, sizeof(out),
				 &pr, &info),
		ca->len);
	assert_memory_equal(out + 112, ca->req + 112, ca->len - 112);
	assert_false(info.tlv_hmac || info.tlv_integrity_failed);
}

/* ---- authenticated mode ---- */

static void
test_auth(void **state)
{
	const struct stamp_case *c = find_case("auth_cos");
	struct nep_stamp_reflect_params pr = c->params;
	const size_t len = c->len;
	const size_t hmac_flags = 112 + 8; /* the HMAC TLV's flags byte */
	struct nep_stamp_auth bad = {.hmac = failing_hmac};
	struct nep_stamp_reflect_info info;
	struct nep_stamp_reflector r;
	struct nep_stamp_sender s;
	uint8_t out[256], buf[256];

	(void)state;
	assert_true(len <= sizeof(buf));
	pr.auth = &auth;
	assert_err(
		nep_stamp_parse_sender(c->req, len, NEP_STAMP_AUTH, &auth, &s),
		"ok", "auth parse");
	assert_int_equal(s.seq, 0x01020304u);
	assert_int_equal(s.ssid, 0x4242);
	assert_ptr_equal(s.hmac, c->req + 96);
	assert_int_equal(s.tlv_len, 8 + 20);

	/* Our builder with OpenSSL's HMAC gives Python's bytes. */
	assert_int_equal(nep_stamp_build_sender(
				 buf, sizeof(buf), NEP_STAMP_AUTH, &s, &auth),
		len);
	assert_bytes(buf, c->req, len, "auth build");
	assert_err(nep_stamp_build_sender(
			   buf, sizeof(buf), NEP_STAMP_AUTH, &s, NULL),
		"stamp_no_key", "build no key");

	assert_int_equal(
		nep_stamp_reflect(c->req, len, out, sizeof(out), &pr, &info),
		len);
	assert_bytes(out, c->reply, len, "auth reply");
	assert_true(info.cos && info.tlv_hmac);
	assert_int_equal(info.reply_dscp, 10);
	assert_err(
		nep_stamp_parse_reflector(out, len, NEP_STAMP_AUTH, &auth, &r),
		"ok", "auth reply parse");
	assert_int_equal(r.seq, 555);
	assert_int_equal(r.s_ttl, 60);

	/*
	 * Any bit flipped in bytes 0..111 fails the base HMAC: dropped. Any
	 * in the TLVs fails the HMAC TLV (RFC 8972 4.8): answered with I
	 * everywhere -- but for the HMAC TLV's own flags, which no HMAC
	 * covers.
	 */
	for (size_t i = 0; i < len; i++) {
		memcpy(buf, c->req, len);
		buf[i] ^= 0x01;
		if (i < NEP_STAMP_BASE_AUTH) {
			assert_err(nep_stamp_reflect(buf, len, out, sizeof(out),
					   &pr, &info),
				"stamp_bad_auth", "flip");
			assert_err(nep_stamp_parse_sender(
					   buf, len, NEP_STAMP_AUTH, &auth, &s),
				"stamp_bad_auth", "flip parse");
			continue;
		}
		assert_int_equal(nep_stamp_reflect(buf, len, out, sizeof(out),
					 &pr, &info),
			len);
		assert_int_equal(info.tlv_integrity_failed, i != hmac_flags);
		assert_int_equal(info.tlv_hmac, i == hmac_flags);
		assert_int_equal(info.cos, i == hmac_flags);
		if (i != hmac_flags) {
			assert_int_equal(out[112], NEP_STAMP_TLV_F_I);
			/* CoS left as it came, not answered. */
			assert_memory_equal(out + 116, buf + 116, 4);
		}
	}
	/* Without the key the HMAC is only located. */
	memcpy(buf, c->req, len);
	buf[100] ^= 0xff;
	assert_err(nep_stamp_parse_sender(buf, len, NEP_STAMP_AUTH, NULL, &s),
		"ok", "no verify");
	/* A failing HMAC function is named. */
	pr.auth = &bad;
	assert_err(nep_stamp_reflect(c->req, len, out, sizeof(out), &pr, &info),
		"stamp_hmac_failed", "hmac fails");
	pr.auth = &auth;
	/* Every truncation: below 112 bytes, truncated; above, answered,
	 * the HMAC TLV lost with the cut: I flags once a TLV header is
	 * there (1..3 stray bytes are no TLV to authenticate). */
	for (size_t n = 0; n <= len; n++) {
		uint8_t *p = dup_exact(c->req, n);
		uint8_t *o = malloc(n ? n : 1);
		int rc;

		assert_non_null(o);
		rc = nep_stamp_reflect(p, n, o, n, &pr, &info);
		if (n < NEP_STAMP_BASE_AUTH) {
			assert_err(rc, "stamp_truncated", "auth cut");
		} else {
			assert_int_equal(rc, n);
			assert_int_equal(info.tlv_integrity_failed,
				n >= NEP_STAMP_BASE_AUTH + 4 && n < len);
		}
		free(o);
		free(p);
	}
	/* The unauthenticated vectors are too short for authenticated mode,
	 * or fail its HMAC. */
	for (size_t i = 0; i < DIM(stamp_cases); i++) {
		int rc;

		if (stamp_cases[i].params.mode == NEP_STAMP_AUTH)
			continue;
		rc = nep_stamp_reflect(stamp_cases[i].req, stamp_cases[i].len,
			buf, sizeof(buf), &pr, &info);
		assert_true(rc == NEP_STAMP_E_TRUNCATED ||
			    rc == NEP_STAMP_E_BAD_AUTH);
	}
}

/* ---- the HMAC TLV helpers (RFC 8972 4.8) ---- */

static void
test_hmac_tlv(void **state)
{
	const struct stamp_case *c = find_case("auth_cos");
	const struct stamp_case *cu = find_case("hmac_unauth_ok");
	const struct nep_stamp_auth *a = &auth;
	struct nep_stamp_auth bad = {.hmac = failing_hmac};
	static uint8_t big[NEP_STAMP_HMAC_TLV_COPY + 200];
	static uint8_t bigout[sizeof(big)];
	struct nep_stamp_reflect_params pr = stamp_cases[0].params;
	struct nep_stamp_reflect_info info;
	uint8_t buf[256], copy[256];
	size_t n;

	(void)state;
	{

		/* The sender: base + CoS, then the HMAC TLV appended gives
		 * Python's request; the bytes before it stay as they were. */
		n = c->len - 20;
		memcpy(buf, c->req, n);
		memcpy(copy, buf, n);
		assert_err(nep_stamp_hmac_tlv_append(buf, sizeof(buf), &n,
				   NEP_STAMP_AUTH, NEP_STAMP_TLV_F_U, a),
			"ok", "append");
		assert_int_equal(n, c->len);
		assert_bytes(buf, c->req, c->len, "append auth");
		assert_memory_equal(buf, copy, c->len - 20);
		/* Unauthenticated, then Extra Padding after it. */
		n = 44 + 8;
		memcpy(buf, cu->req, n);
		assert_err(nep_stamp_hmac_tlv_append(buf, sizeof(buf), &n,
				   NEP_STAMP_UNAUTH, NEP_STAMP_TLV_F_U, a),
			"ok", "append unauth");
		assert_err(nep_stamp_tlv_put(buf, sizeof(buf), &n,
				   NEP_STAMP_TLV_F_U, NEP_STAMP_TLV_PADDING,
				   (uint8_t[8]){0}, 8),
			"ok", "pad");
		assert_int_equal(n, cu->len);
		assert_bytes(buf, cu->req, cu->len, "append unauth");

		/* Verify: the sender's request and the reflector's reply. */
		assert_int_equal(nep_stamp_hmac_tlv_verify(
					 c->req, c->len, NEP_STAMP_AUTH, a),
			1);
		assert_int_equal(nep_stamp_hmac_tlv_verify(
					 c->reply, c->len, NEP_STAMP_AUTH, a),
			1);
		assert_int_equal(nep_stamp_hmac_tlv_verify(cu->reply, cu->len,
					 NEP_STAMP_UNAUTH, a),
			1);
		/* None: 0. */
		assert_int_equal(nep_stamp_hmac_tlv_verify(
					 c->req, 112 + 8, NEP_STAMP_AUTH, a),
			0);
		/* A flipped bit anywhere it covers, or in its value. */
		for (size_t i = 0; i < c->len; i++) {
			if (i >= 4 && i < 112)
				continue; /* the base: not the TLV HMAC's */
			memcpy(buf, c->req, c->len);
			buf[i] ^= 0x80;
			if (i == 120)
				assert_int_equal(
					nep_stamp_hmac_tlv_verify(
						buf, c->len, NEP_STAMP_AUTH, a),
					1);
			else
				assert_true(
					nep_stamp_hmac_tlv_verify(buf, c->len,
						NEP_STAMP_AUTH, a) <= 0);
		}
		/* Misplaced, or not of length 16. */
		{
			const struct stamp_case *m =
				find_case("auth_misplaced");
			const struct stamp_case *l =
				find_case("auth_hmac_len12");

			assert_err(nep_stamp_hmac_tlv_verify(
					   m->req, m->len, NEP_STAMP_AUTH, a),
				"stamp_bad_auth", "misplaced");
			assert_err(nep_stamp_hmac_tlv_verify(
					   l->req, l->len, NEP_STAMP_AUTH, a),
				"stamp_bad_auth", "len 12");
		}
	}
	/* Errors. */
	n = 100;
	assert_err(nep_stamp_hmac_tlv_append(
			   buf, sizeof(buf), &n, NEP_STAMP_AUTH, 0, &auth),
		"stamp_truncated", "append short");
	n = 112;
	assert_err(nep_stamp_hmac_tlv_append(
			   buf, 131, &n, NEP_STAMP_AUTH, 0, &auth),
		"stamp_no_space", "append cap");
	assert_int_equal(n, 112);
	assert_err(nep_stamp_hmac_tlv_append(
			   buf, 132, &n, NEP_STAMP_AUTH, 0, NULL),
		"stamp_no_key", "append key");
	assert_err(nep_stamp_hmac_tlv_append(
			   buf, 100, &n, NEP_STAMP_AUTH, 0, &auth),
		"stamp_bad_arg", "append len > cap");
	assert_err(nep_stamp_hmac_tlv_append(
			   buf, 132, &n, NEP_STAMP_AUTH, 0, &bad),
		"stamp_hmac_failed", "append hmac");
	assert_err(
		nep_stamp_hmac_tlv_verify(c->req, 111, NEP_STAMP_AUTH, &auth),
		"stamp_truncated", "verify short");
	assert_err(
		nep_stamp_hmac_tlv_verify(c->req, c->len, NEP_STAMP_AUTH, NULL),
		"stamp_no_key", "verify key");
	assert_err(
		nep_stamp_hmac_tlv_verify(c->req, c->len, NEP_STAMP_AUTH, &bad),
		"stamp_hmac_failed", "verify hmac");
	assert_err(nep_stamp_hmac_tlv_verify(c->req, c->len, 9, &auth),
		"stamp_bad_arg", "verify mode");
	/*
	 * More to cover than the stack copy of a const packet holds: the
	 * verifier says so (NO_SPACE); appending and reflecting, which
	 * borrow the packet's own bytes, have no such limit.
	 */
	for (size_t pad = NEP_STAMP_HMAC_TLV_COPY - 8;
		pad <= NEP_STAMP_HMAC_TLV_COPY - 3; pad++) {
		memset(big, 0, sizeof(big));
		n = 44;
		assert_err(nep_stamp_tlv_put(big, sizeof(big), &n,
				   NEP_STAMP_TLV_F_U, NEP_STAMP_TLV_PADDING,
				   NULL, 0),
			"ok", "big pad");
		big[44 + 2] = (uint8_t)(pad >> 8); /* padding of zeros */
		big[44 + 3] = (uint8_t)pad;
		n += pad;
		assert_err(nep_stamp_hmac_tlv_append(big, sizeof(big), &n,
				   NEP_STAMP_UNAUTH, NEP_STAMP_TLV_F_U, &auth),
			"ok", "big append");
		/* 4 + 4 + pad bytes to cover */
		if (8 + pad <= NEP_STAMP_HMAC_TLV_COPY)
			assert_int_equal(nep_stamp_hmac_tlv_verify(big, n,
						 NEP_STAMP_UNAUTH, &auth),
				1);
		else
			assert_err(nep_stamp_hmac_tlv_verify(
					   big, n, NEP_STAMP_UNAUTH, &auth),
				"stamp_no_space", "big verify");
		pr.auth = &auth;
		pr.hmac_tlv = true;
		assert_int_equal(
			nep_stamp_reflect(big, n, bigout, n, &pr, &info), n);
		assert_true(info.tlv_hmac);
		assert_false(info.tlv_integrity_failed);
	}

	/* When RFC 8972 4.8 wants one. */
	assert_false(nep_stamp_hmac_tlv_required(NULL, 0));
	assert_false(nep_stamp_hmac_tlv_required((uint8_t[3]){0}, 3));
	assert_false(nep_stamp_hmac_tlv_required(
		(uint8_t[6]){0x80, 1, 0, 2, 0, 0}, 6));
	assert_true(nep_stamp_hmac_tlv_required(
		(uint8_t[8]){0x80, 1, 0, 0, 0x80, 1, 0, 0}, 8));
	assert_true(
		nep_stamp_hmac_tlv_required((uint8_t[4]){0x80, 4, 0, 0}, 4));
	assert_true(nep_stamp_hmac_tlv_required(
		(uint8_t[4]){0x80, 1, 0, 9}, 4)); /* padding past the end */
}

/* ---- the Return Path TLV (RFC 9503 4) ---- */

static int
rp_decode(const uint8_t *v, uint16_t len, struct nep_stamp_return_path *rp)
{
	uint8_t *q = dup_exact(v, len);
	struct nep_stamp_tlv t = {0, NEP_STAMP_TLV_RETURN_PATH, len, q, 0};
	int rc = nep_stamp_tlv_return_path(&t, rp);

	free(q);
	return rc;
}

static void
test_return_path(void **state)
{
	struct nep_stamp_return_path in, out;
	uint8_t v[NEP_STAMP_RETURN_PATH_MAX + 16];
	int n;

	(void)state;
	/* Hand-computed: Control Code Reply Request, sub-TLV flags 0. */
	memset(&in, 0, sizeof(in));
	in.has_cc = true;
	in.cc = NEP_STAMP_RP_CC_REPLY;
	n = nep_stamp_return_path_encode(&in, v, sizeof(v));
	assert_int_equal(n, 8);
	assert_memory_equal(v, ((uint8_t[]){0, 1, 0, 4, 0, 0, 0, 1}), 8);
	assert_err(rp_decode(v, 8, &out), "ok", "cc");
	assert_rp(&out, &in, "cc");
	/* IPv4 Return Address, then a 2-SID segment list. */
	memset(&in, 0, sizeof(in));
	in.has_addr = true;
	in.af = 4;
	memcpy(in.addr, ((uint8_t[]){198, 51, 100, 9}), 4);
	in.has_srv6 = true;
	in.n_sids = 2;
	memset(in.sids[0], 0x11, 16);
	memset(in.sids[1], 0x22, 16);
	n = nep_stamp_return_path_encode(&in, v, sizeof(v));
	assert_int_equal(n, 8 + 4 + 32);
	assert_memory_equal(
		v, ((uint8_t[]){0, 2, 0, 4, 198, 51, 100, 9, 0, 4, 0, 32}), 12);
	assert_int_equal(v[12], 0x11);
	assert_int_equal(v[12 + 16], 0x22);
	assert_err(rp_decode(v, (uint16_t)n, &out), "ok", "addr srv6");
	assert_rp(&out, &in, "addr srv6");
	assert_err(nep_stamp_return_path_encode(&in, v, (size_t)n - 1),
		"stamp_no_space", "encode cap");
	/* Everything at its longest. */
	memset(&in, 0, sizeof(in));
	in.has_addr = true;
	in.af = 6;
	memset(in.addr, 0xab, 16);
	in.has_mpls = true;
	in.n_labels = NEP_STAMP_RP_MAX_LABELS;
	for (int i = 0; i < NEP_STAMP_RP_MAX_LABELS; i++)
		in.labels[i] = (uint32_t)(16000 + i) << 12 | 255;
	in.has_srv6 = true;
	in.n_sids = NEP_STAMP_RP_MAX_SIDS;
	for (int i = 0; i < NEP_STAMP_RP_MAX_SIDS; i++)
		memset(in.sids[i], i + 1, 16);
	n = nep_stamp_return_path_encode(&in, v, sizeof(v));
	assert_int_equal(n, NEP_STAMP_RETURN_PATH_MAX - 8);
	assert_err(rp_decode(v, (uint16_t)n, &out), "ok", "longest");
	assert_rp(&out, &in, "longest");
	/* What a sender must not send. */
	in.has_cc = true;
	assert_err(nep_stamp_return_path_encode(&in, v, sizeof(v)),
		"stamp_bad_arg", "cc and more");
	memset(&in, 0, sizeof(in));
	in.has_addr = true;
	in.af = 5;
	assert_err(nep_stamp_return_path_encode(&in, v, sizeof(v)),
		"stamp_bad_arg", "af");
	memset(&in, 0, sizeof(in));
	in.has_srv6 = true;
	assert_err(nep_stamp_return_path_encode(&in, v, sizeof(v)),
		"stamp_bad_arg", "no sid");
	in.n_sids = NEP_STAMP_RP_MAX_SIDS + 1;
	assert_err(nep_stamp_return_path_encode(&in, v, sizeof(v)),
		"stamp_bad_arg", "too many sids");
	memset(&in, 0, sizeof(in));
	in.has_mpls = true;
	in.n_labels = NEP_STAMP_RP_MAX_LABELS + 1;
	assert_err(nep_stamp_return_path_encode(&in, v, sizeof(v)),
		"stamp_bad_arg", "too many labels");
	memset(&in, 0, sizeof(in));
	assert_int_equal(nep_stamp_return_path_encode(&in, v, sizeof(v)), 0);
	assert_err(rp_decode(v, 0, &out), "ok", "empty");

	/* Hostile values: malformed is BAD_TLV, too long to hold NO_SPACE,
	 * and out is zeroed either way. */
	{
		static const struct {
			const char *what;
			uint8_t v[40];
			uint16_t len;
			const char *rc;
		} h[] = {
			{"cc len 3", {0, 1, 0, 3, 0, 0, 1}, 7, "stamp_bad_tlv"},
			{"addr len 5", {0, 2, 0, 5, 1, 2, 3, 4, 5}, 9,
				"stamp_bad_tlv"},
			{"srv6 len 0", {0, 4, 0, 0}, 4, "stamp_bad_tlv"},
			{"srv6 len 17", {0, 4, 0, 17}, 21, "stamp_bad_tlv"},
			{"mpls len 6", {0, 3, 0, 6}, 10, "stamp_bad_tlv"},
			{"past end", {0, 2, 0, 16, 1, 2, 3, 4}, 8,
				"stamp_bad_tlv"},
			{"stray", {0, 9, 0, 0, 7, 7}, 6, "stamp_bad_tlv"},
			{"unknown", {0x80, 9, 0, 2, 7, 7}, 6, "ok"},
			/* 9 labels (well-formed), then a malformed CC */
			{"mpls 9 then bad", {0, 3, 0, 36}, 40, "stamp_bad_tlv"},
		};

		for (size_t i = 0; i < DIM(h); i++) {
			uint8_t w[64] = {0};

			memcpy(w, h[i].v, sizeof(h[i].v));
			if (strcmp(h[i].what, "mpls 9 then bad") == 0) {
				memset(w + 4, 0, 36);
				memcpy(w + 40, ((uint8_t[]){0, 1, 0, 2, 0, 0}),
					6);
				assert_err(rp_decode(w, 40, &out),
					"stamp_no_space", "mpls 9");
				assert_err(rp_decode(w, 46, &out), h[i].rc,
					h[i].what);
			} else {
				assert_err(rp_decode(w, h[i].len, &out),
					h[i].rc, h[i].what);
			}
			if (strcmp(h[i].rc, "ok") != 0)
				assert_rp(&out,
					&(struct nep_stamp_return_path){0},
					h[i].what);
		}
	}
	/* Duplicates: the first of each kind wins (RFC 9503 4.1.3). */
	{
		uint8_t w[] = {0, 2, 0, 4, 10, 0, 0, 1, 0, 2, 0, 4, 10, 0, 0, 2,
			0, 1, 0, 4, 0, 0, 0, 1, 0, 1, 0, 4, 0, 0, 0, 0};

		assert_err(rp_decode(w, sizeof(w), &out), "ok", "dups");
		assert_true(out.has_addr && out.addr[3] == 1);
		assert_true(out.has_cc && out.cc == 1);
	}
	/* The wrong type. */
	{
		struct nep_stamp_tlv t = {0, NEP_STAMP_TLV_COS, 0, v, 0};

		assert_err(nep_stamp_tlv_return_path(&t, &out), "stamp_bad_tlv",
			"type");
	}
}

/* ---- TLV helpers on hostile input ---- */

static void
test_tlv_hostile(void **state)
{
	struct nep_stamp_tlv_iter it;
	struct nep_stamp_tlv t;
	struct nep_stamp_cos cos;
	struct nep_stamp_ts_info ti;
	struct nep_stamp_direct d;
	uint8_t buf[32], v[12] = {0};
	size_t off = 0;

	(void)state;
	nep_stamp_tlv_iter_init(&it, NULL, 100);
	assert_int_equal(nep_stamp_tlv_next(&it, &t), 0);
	nep_stamp_tlv_iter_init(&it, buf, 0);
	assert_int_equal(nep_stamp_tlv_next(&it, &t), 0);
	/* Zero-length TLVs, back to back, then one past the end. */
	assert_int_equal(
		nep_stamp_tlv_put(buf, sizeof(buf), &off, 0, 1, NULL, 0), 0);
	assert_int_equal(
		nep_stamp_tlv_put(buf, sizeof(buf), &off, 0, 9, NULL, 0), 0);
	assert_int_equal(off, 8);
	buf[8] = 0;
	buf[9] = 4;
	buf[10] = 0;
	buf[11] = 5; /* 5 > the 4 bytes there */
	memset(buf + 12, 0, 4);
	nep_stamp_tlv_iter_init(&it, buf, 16);
	assert_int_equal(nep_stamp_tlv_next(&it, &t), 1);
	assert_int_equal(t.len, 0);
	assert_int_equal(nep_stamp_tlv_next(&it, &t), 1);
	assert_int_equal(t.type, 9);
	assert_err(nep_stamp_tlv_next(&it, &t), "stamp_bad_tlv", "past end");
	assert_null(t.value);
	assert_int_equal(t.off, 8);
	assert_int_equal(nep_stamp_tlv_next(&it, &t), 0);
	/* The typed decoders want their exact type and length. */
	t = (struct nep_stamp_tlv){0, NEP_STAMP_TLV_COS, 3, v, 0};
	assert_err(nep_stamp_tlv_cos(&t, &cos), "stamp_bad_tlv", "cos len");
	t.type = NEP_STAMP_TLV_DIRECT;
	assert_err(nep_stamp_tlv_cos(&t, &cos), "stamp_bad_tlv", "cos type");
	assert_err(nep_stamp_tlv_direct(&t, &d), "stamp_bad_tlv", "dm len");
	t.len = 12;
	assert_err(nep_stamp_tlv_direct(&t, &d), "ok", "dm");
	t.type = NEP_STAMP_TLV_TS_INFO;
	assert_err(nep_stamp_tlv_ts_info(&t, &ti), "ok", "ti sub-TLVs");
	t.len = 3;
	assert_err(nep_stamp_tlv_ts_info(&t, &ti), "stamp_bad_tlv", "ti len");
	/* CoS bit layout (RFC 8972 4.4): DSCP1 6 | DSCP2 6 | ECN 2 | RP 2. */
	cos = (struct nep_stamp_cos){46, 10, 1, 1};
	nep_stamp_cos_encode(&cos, v);
	assert_int_equal(v[0] << 8 | v[1], 46 << 10 | 10 << 4 | 1 << 2 | 1);
	assert_int_equal(v[0], 0xb8); /* 101110 10 */
	assert_int_equal(v[1], 0xa5); /* 1010 01 01 */
	assert_int_equal(v[2] | v[3], 0);
	t = (struct nep_stamp_tlv){0, NEP_STAMP_TLV_COS, 4, v, 0};
	memset(&cos, 0, sizeof(cos));
	assert_err(nep_stamp_tlv_cos(&t, &cos), "ok", "cos");
	assert_int_equal(cos.dscp1, 46);
	assert_int_equal(cos.dscp2, 10);
	assert_int_equal(cos.ecn, 1);
	assert_int_equal(cos.rp, 1);
	/* Direct Measurement (RFC 8972 4.5): three big-endian counters. */
	d = (struct nep_stamp_direct){0x01020304, 0x05060708, 0x090a0b0c};
	nep_stamp_direct_encode(&d, v);
	for (int i = 0; i < 12; i++)
		assert_int_equal(v[i], i + 1);
	/* Timestamp Information (RFC 8972 4.3): four one-byte fields. */
	ti = (struct nep_stamp_ts_info){NEP_STAMP_SYNC_PTP, NEP_STAMP_TSM_HW,
		NEP_STAMP_SYNC_FREE_RUNNING, NEP_STAMP_TSM_CONTROL};
	nep_stamp_ts_info_encode(&ti, v);
	assert_memory_equal(v, ((uint8_t[]){2, 1, 5, 3}), 4);
	/* put refuses what does not fit. */
	off = 30;
	assert_err(nep_stamp_tlv_put(buf, sizeof(buf), &off, 0, 1, v, 0),
		"stamp_no_space", "put");
	off = 40;
	assert_err(nep_stamp_tlv_put(buf, sizeof(buf), &off, 0, 1, v, 0),
		"stamp_no_space", "put off");
	/* Short and bad-mode parses. */
	assert_err(nep_stamp_parse_reflector(buf, 16, NEP_STAMP_UNAUTH, NULL,
			   &(struct nep_stamp_reflector){0}),
		"stamp_truncated", "refl short");
	assert_err(nep_stamp_parse_sender(
			   buf, 16, 7, NULL, &(struct nep_stamp_sender){0}),
		"stamp_bad_arg", "mode");
}

/* A request of many TLVs of every kind, one past the end last: every
 * one answered in place, nothing written past the request's length. */
static void
test_reflect_many_tlvs(void **state)
{
	uint8_t req[44 + 400], *out;
	struct nep_stamp_reflect_params pr = stamp_cases[0].params;
	struct nep_stamp_reflect_info info;
	struct nep_stamp_sender s = {.seq = 3, .ssid = 1};
	uint8_t v[12] = {0};
	size_t off = 44;
	int n;

	(void)state;
	for (unsigned int i = 0; off + 16 <= sizeof(req) - 8; i++)
		assert_int_equal(nep_stamp_tlv_put(req, sizeof(req), &off,
					 NEP_STAMP_TLV_F_U, 1 + i % 8, v,
					 (uint16_t)(i % 8 == 4 ? 12 : 4)),
			0);
	/* TLV header claiming more than what is left. */
	assert_int_equal(
		nep_stamp_tlv_put(req, sizeof(req), &off, 0, 3, v, 0), 0);
	req[off - 2] = 0x10;
	s.tlv = req + 44;
	s.tlv_len = off - 44;
	n = nep_stamp_build_sender(
		req, sizeof(req), NEP_STAMP_UNAUTH, &s, NULL);
	assert_int_equal(n, off);
	out = malloc(off);
	assert_non_null(out);
	pr.cos_allowed = false;
	pr.rx_tos = 0x2b;
	assert_int_equal(
		nep_stamp_reflect(req, off, out, off, &pr, &info), off);
	assert_true(info.cos);
	assert_int_equal(info.reply_dscp, 0x2b >> 2);
	assert_int_equal(info.n_malformed, 1);
	assert_true(info.n_unknown > 0);
	assert_true(info.n_tlv > 20);
	free(out);
}

/* ---- metrics ---- */

static struct nep_stamp_sample
smp(uint32_t sseq, uint32_t rseq, uint64_t t1, int64_t fwd, uint64_t hold,
	int64_t bwd)
{
	struct nep_stamp_sample s;

	s.t1 = t1;
	s.t2 = t1 + fwd;
	s.t3 = s.t2 + hold;
	s.t4 = s.t3 + bwd;
	s.s_seq = sseq;
	s.r_seq = rseq;
	return s;
}

static struct nep_stamp_stats st;

static void
test_metrics_rtt(void **state)
{
	/* The reflector's clock 1 s ahead: one-way delays are off by it,
	 * the round trip is not. */
	struct nep_stamp_sample s = {.t1 = 1000,
		.t2 = 1000000000 + 1500,
		.t3 = 1000000000 + 2000,
		.t4 = 3700,
		.s_seq = 0,
		.r_seq = 0};
	struct nep_stamp_summary sum;

	(void)state;
	assert_int_equal(nep_stamp_rtt(&s), 2200);
	nep_stamp_stats_init(&st, 16, 0, false, false);
	assert_int_equal(nep_stamp_stats_add(&st, &s), NEP_STAMP_ADD_OK);
	nep_stamp_stats_window(&st, NEP_STAMP_M_RTT, 0, &sum);
	assert_true(sum.valid);
	assert_int_equal(sum.n, 1);
	assert_int_equal(sum.min, 2200);
	assert_int_equal(sum.max, 2200);
	nep_stamp_stats_window(&st, NEP_STAMP_M_FWD, 0, &sum);
	assert_false(sum.valid);
	assert_int_equal(sum.min, 1000000500);
	nep_stamp_stats_init(&st, 16, 0, true, false);
	s = smp(0, 0, 1000, 500, 200, 700);
	nep_stamp_stats_add(&st, &s);
	nep_stamp_stats_window(&st, NEP_STAMP_M_FWD, 0, &sum);
	assert_true(sum.valid);
	assert_int_equal(sum.min, 500);
	nep_stamp_stats_window(&st, NEP_STAMP_M_BWD, 0, &sum);
	assert_int_equal(sum.max, 700);
	nep_stamp_stats_window(&st, NEP_STAMP_M_RTT, 0, &sum);
	assert_int_equal(sum.median, 1200);
}

static void
test_metrics_loss(void **state)
{
	struct nep_stamp_loss l;
	struct nep_stamp_sample s;

	(void)state;
	/* Sender 0..9, replies to 3 and 7 lost: 2 round-trip losses. */
	nep_stamp_stats_init(&st, 64, 0, false, false);
	for (uint32_t q = 0; q < 10; q++) {
		if (q == 3 || q == 7)
			continue;
		s = smp(q, 0, q * 1000000ull, 100, 10, 100);
		assert_int_equal(
			nep_stamp_stats_add(&st, &s), NEP_STAMP_ADD_OK);
	}
	nep_stamp_stats_loss(&st, 0, &l);
	assert_int_equal(l.expected, 10);
	assert_int_equal(l.round_trip, 2);
	assert_false(l.split);
	nep_stamp_stats_loss(&st, 12, &l); /* 10, 11 sent, not back yet */
	assert_int_equal(l.round_trip, 4);

	/* Stateful reflector: request 4 lost forward (the reflector never
	 * counted it), the reply to 7 lost backward (reflector number 6
	 * never seen). */
	nep_stamp_stats_init(&st, 64, 0, false, true);
	for (uint32_t q = 0, r = 0; q < 10; q++) {
		if (q == 4)
			continue;
		if (q != 7) {
			s = smp(q, r, q * 1000000ull, 100, 10, 100);
			nep_stamp_stats_add(&st, &s);
		}
		r++;
	}
	nep_stamp_stats_loss(&st, 0, &l);
	assert_true(l.split);
	assert_int_equal(l.round_trip, 2);
	assert_int_equal(l.forward, 1);
	assert_int_equal(l.backward, 1);
	nep_stamp_stats_loss(&(struct nep_stamp_stats){0}, 5, &l);
	assert_int_equal(l.round_trip, 5);
}

static void
test_metrics_reorder_dup_wrap(void **state)
{
	static const uint32_t order[] = {0, 1, 3, 2, 4, 4, 1, 6};
	static const enum nep_stamp_add want[] = {NEP_STAMP_ADD_OK,
		NEP_STAMP_ADD_OK, NEP_STAMP_ADD_OK, NEP_STAMP_ADD_REORDERED,
		NEP_STAMP_ADD_OK, NEP_STAMP_ADD_DUPLICATE,
		NEP_STAMP_ADD_DUPLICATE, NEP_STAMP_ADD_OK};
	struct nep_stamp_sample s;
	struct nep_stamp_loss l;

	(void)state;
	nep_stamp_stats_init(&st, 64, 0, false, false);
	for (size_t i = 0; i < DIM(order); i++) {
		s = smp(order[i], 0, i * 1000ull, 10, 1, 10);
		assert_int_equal(nep_stamp_stats_add(&st, &s), want[i]);
	}
	assert_int_equal(st.reordered, 1);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(st.replies, 6);
	nep_stamp_stats_loss(&st, 0, &l);
	assert_int_equal(l.expected, 7);
	assert_int_equal(l.round_trip, 1); /* 5 */

	/* Wrap at 2^32: 0xfffffffd .. 2, 0xffffffff lost, and the
	 * reflector's numbers wrap too. */
	nep_stamp_stats_init(&st, 64, 0, false, true);
	for (uint32_t q = 0xfffffffdu, k = 0; k < 6; q++, k++) {
		if (q == 0xffffffffu)
			continue;
		s = smp(q, 0xfffffffeu + k, k * 1000ull, 10, 1, 10);
		assert_int_equal(
			nep_stamp_stats_add(&st, &s), NEP_STAMP_ADD_OK);
	}
	nep_stamp_stats_loss(&st, 0, &l);
	assert_int_equal(l.expected, 6);
	assert_int_equal(l.round_trip, 1);
	assert_int_equal(l.backward, 1);
	assert_int_equal(l.forward, 0);
	/* A duplicate across the wrap is still one. */
	s = smp(0xfffffffeu, 0xffffffffu, 9000, 10, 1, 10);
	assert_int_equal(nep_stamp_stats_add(&st, &s), NEP_STAMP_ADD_DUPLICATE);
	/* Before the first number seen: too old. */
	s = smp(0xfffffff0u, 0, 9000, 10, 1, 10);
	assert_int_equal(nep_stamp_stats_add(&st, &s), NEP_STAMP_ADD_TOO_OLD);
	assert_int_equal(st.too_old, 1);
	/* A jump of 2^31 or more back from the highest: too old as well. */
	s = smp(0x80000002u, 0, 9000, 10, 1, 10);
	assert_int_equal(nep_stamp_stats_add(&st, &s), NEP_STAMP_ADD_TOO_OLD);
}

static void
test_metrics_window(void **state)
{
	struct nep_stamp_summary sum;
	struct nep_stamp_sample s;
	int64_t sorted[7] = {1, 1, 2, 4, 5, 5, 9};

	(void)state;
	/* RTTs 1..100 (shuffled by a stride): nearest rank. */
	nep_stamp_stats_init(&st, 100, 0, false, false);
	for (uint32_t i = 0; i < 100; i++) {
		uint32_t r = 1 + (i * 37) % 100;

		s = smp(i, 0, i * 1000000ull, 0, 0, r);
		nep_stamp_stats_add(&st, &s);
	}
	nep_stamp_stats_window(&st, NEP_STAMP_M_RTT, 0, &sum);
	assert_int_equal(sum.n, 100);
	assert_int_equal(sum.min, 1);
	assert_int_equal(sum.median, 50);
	assert_int_equal(sum.p99, 99);
	assert_int_equal(sum.max, 100);
	/* Last 10 by count: RTTs 1 + (i * 37) % 100 for i = 90..99. */
	nep_stamp_stats_init(&st, 10, 0, false, false);
	for (uint32_t i = 0; i < 100; i++) {
		s = smp(i, 0, i * 1000000ull, 0, 0, i + 1);
		nep_stamp_stats_add(&st, &s);
	}
	nep_stamp_stats_window(&st, NEP_STAMP_M_RTT, 0, &sum);
	assert_int_equal(sum.n, 10);
	assert_int_equal(sum.min, 91);
	assert_int_equal(sum.median, 95);
	assert_int_equal(sum.p99, 100);
	assert_int_equal(sum.max, 100);
	/* By time: t4 of sample i is i ms + rtt; the last 3.5 ms. */
	nep_stamp_stats_init(&st, 1000, 3500000, false, false);
	for (uint32_t i = 0; i < 10; i++) {
		s = smp(i, 0, i * 1000000ull, 0, 0, i + 1);
		nep_stamp_stats_add(&st, &s);
	}
	nep_stamp_stats_window(&st, NEP_STAMP_M_RTT, 9000010, &sum);
	assert_int_equal(sum.n, 4); /* i = 6..9 */
	assert_int_equal(sum.min, 7);
	nep_stamp_stats_window(&st, NEP_STAMP_M_RTT, 1000000000, &sum);
	assert_int_equal(sum.n, 0);
	assert_false(sum.valid);
	/* The window size is clamped. */
	nep_stamp_stats_init(&st, 0, 0, false, false);
	assert_int_equal(st.win_n, 1);
	nep_stamp_stats_init(&st, NEP_STAMP_WIN_MAX + 5, 0, false, false);
	assert_int_equal(st.win_n, NEP_STAMP_WIN_MAX);
	/* Percentiles by nearest rank of a small sorted set. */
	assert_int_equal(nep_stamp_percentile(sorted, 7, 50), 4);
	assert_int_equal(nep_stamp_percentile(sorted, 7, 99), 9);
	assert_int_equal(nep_stamp_percentile(sorted, 7, 1), 1);
	assert_int_equal(nep_stamp_percentile(sorted, 7, 100), 9);
	assert_int_equal(nep_stamp_percentile(sorted, 0, 50), 0);
}

static void
test_metrics_jitter_hist(void **state)
{
	struct nep_stamp_sample s;

	(void)state;
	nep_stamp_stats_init(&st, 64, 0, false, false);
	/* Forward delays 100, 200, 100, ...: |D| = 100 each time. */
	s = smp(0, 0, 0, 100, 0, 0);
	nep_stamp_stats_add(&st, &s);
	assert_int_equal(nep_stamp_stats_jitter(&st, NEP_STAMP_M_FWD), 0);
	s = smp(1, 0, 1000, 200, 0, 0);
	nep_stamp_stats_add(&st, &s);
	/* J = 0 + (100 - 0) / 16 = 6.25 */
	assert_int_equal(nep_stamp_stats_jitter(&st, NEP_STAMP_M_FWD), 6);
	assert_int_equal(nep_stamp_stats_jitter(&st, NEP_STAMP_M_BWD), 0);
	for (uint32_t i = 2; i < 400; i++) {
		s = smp(i, 0, i * 1000ull, i % 2 ? 200 : 100, 0, 0);
		nep_stamp_stats_add(&st, &s);
	}
	assert_in_range(nep_stamp_stats_jitter(&st, NEP_STAMP_M_FWD), 99, 100);
	assert_in_range(nep_stamp_stats_jitter(&st, NEP_STAMP_M_RTT), 99, 100);
	assert_int_equal(nep_stamp_stats_jitter(&st, NEP_STAMP_M_COUNT), 0);

	/* Histogram: bounds inclusive, negatives in 0, overflow last. */
	nep_stamp_stats_init(&st, 64, 0, false, false);
	s = smp(0, 0, 0, 0, 0, 10000);
	nep_stamp_stats_add(&st, &s);
	s = smp(1, 0, 0, 0, 0, 10001);
	nep_stamp_stats_add(&st, &s);
	s = smp(2, 0, 0, 0, 5, 0);
	s.t4 = s.t1; /* t3 - t2 > t4 - t1: negative round trip */
	nep_stamp_stats_add(&st, &s);
	s = smp(3, 0, 0, 0, 0, 10000000000ull);
	nep_stamp_stats_add(&st, &s);
	assert_int_equal(st.hist[0], 2);
	assert_int_equal(st.hist[1], 1);
	assert_int_equal(st.hist[NEP_STAMP_HIST_BUCKETS - 1], 1);
	for (unsigned int i = 1; i < NEP_STAMP_HIST_BUCKETS; i++)
		assert_true(
			nep_stamp_hist_bound(i) > nep_stamp_hist_bound(i - 1));
	assert_int_equal(
		nep_stamp_hist_bound(NEP_STAMP_HIST_BUCKETS - 2), 5000000000ll);
	assert_int_equal(nep_stamp_hist_bound(99), INT64_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_ntp),
		cmocka_unit_test(test_ptp),
		cmocka_unit_test(test_errest),
		cmocka_unit_test(test_parse_sender),
		cmocka_unit_test(test_reflect_golden),
		cmocka_unit_test(test_build_sender),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_reflect_errors),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_hmac_tlv),
		cmocka_unit_test(test_return_path),
		cmocka_unit_test(test_tlv_hostile),
		cmocka_unit_test(test_reflect_many_tlvs),
		cmocka_unit_test(test_metrics_rtt),
		cmocka_unit_test(test_metrics_loss),
		cmocka_unit_test(test_metrics_reorder_dup_wrap),
		cmocka_unit_test(test_metrics_window),
		cmocka_unit_test(test_metrics_jitter_hist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
