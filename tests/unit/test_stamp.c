/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/stamp (nep_stamp.h, nep_stamp_metrics.h): scapy's Session-Sender
 * packets parsed field by field, neptune's reflector replies compared
 * byte for byte with scapy's (stamp_vectors.h), authenticated mode with
 * OpenSSL's HMAC-SHA-256 against Python's, NTP / PTP timestamps (scapy's
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

static const struct nep_stamp_auth auth = {ossl_hmac, NULL};

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
		uint8_t *p = dup_exact(c->req, c->len);
		struct nep_stamp_sender s;

		assert_err(nep_stamp_parse_sender(
				   p, c->len, NEP_STAMP_UNAUTH, NULL, &s),
			"ok", c->name);
		assert_int_equal(s.seq, c->seq);
		assert_int_equal(s.ts, c->ts);
		assert_int_equal(s.err.s, c->err.s);
		assert_int_equal(s.err.z, c->err.z);
		assert_int_equal(s.err.scale, c->err.scale);
		assert_int_equal(s.err.mult, c->err.mult);
		assert_int_equal(s.ssid, c->ssid);
		assert_true(s.mbz_zero);
		assert_null(s.hmac);
		assert_ptr_equal(s.tlv, p + NEP_STAMP_BASE_UNAUTH);
		assert_int_equal(s.tlv_len, c->len - NEP_STAMP_BASE_UNAUTH);
		if (c->params.tlvs)
			walk_request(c, s.tlv, s.tlv_len);
		free(p);
	}
}

/* ---- the reflector against scapy's replies ---- */

static void
test_reflect_golden(void **state)
{
	(void)state;
	for (size_t i = 0; i < DIM(stamp_cases); i++) {
		const struct stamp_case *c = &stamp_cases[i];
		uint8_t *p = dup_exact(c->req, c->len);
		uint8_t *out = malloc(c->len);
		struct nep_stamp_reflect_info info;
		struct nep_stamp_reflector r;
		uint64_t ns;
		int rc;

		assert_non_null(out);
		rc = nep_stamp_reflect(
			p, c->len, out, c->len, &c->params, &info);
		if (rc < 0)
			fail_msg("%s: %s", c->name, nep_stamp_err_name(rc));
		assert_int_equal(rc, c->len);
		assert_bytes(out, c->reply, c->len, c->name);
		assert_int_equal(info.s_seq, c->seq);
		assert_int_equal(info.ssid, c->ssid);
		assert_int_equal(info.cos, c->cos);
		assert_int_equal(info.reply_dscp, c->reply_dscp);
		assert_int_equal(info.n_tlv, c->n_tlv);
		assert_int_equal(info.n_unknown, c->n_unknown);
		assert_int_equal(info.n_malformed, c->n_malformed);

		/* And our parser reads the reply back. */
		assert_err(nep_stamp_parse_reflector(
				   out, c->len, NEP_STAMP_UNAUTH, NULL, &r),
			"ok", c->name);
		assert_int_equal(r.s_seq, c->seq);
		assert_int_equal(r.s_ts, c->ts);
		assert_int_equal(r.s_ttl, c->params.rx_ttl);
		assert_int_equal(
			r.seq, c->params.stateful ? c->params.seq : c->seq);
		assert_int_equal(r.err.z, c->params.tsfmt);
		assert_err(nep_stamp_ts_to_ns(c->params.tsfmt, r.rx_ts, &ns),
			"ok", c->name);
		assert_int_equal(ns, STAMP_T2_NS);
		assert_err(nep_stamp_ts_to_ns(c->params.tsfmt, r.ts, &ns), "ok",
			c->name);
		assert_int_equal(ns, STAMP_T3_NS);
		assert_true(r.mbz_zero);
		free(out);
		free(p);
	}
}

/* The builder gives scapy's bytes back from the same fields. */
static void
test_build_sender(void **state)
{
	uint8_t buf[512];

	(void)state;
	for (size_t i = 0; i < DIM(stamp_cases); i++) {
		const struct stamp_case *c = &stamp_cases[i];
		struct nep_stamp_sender s = {
			.seq = c->seq,
			.ts = c->ts,
			.err = c->err,
			.ssid = c->ssid,
			.tlv = c->req + NEP_STAMP_BASE_UNAUTH,
			.tlv_len = c->len - NEP_STAMP_BASE_UNAUTH,
		};

		assert_int_equal(nep_stamp_build_sender(buf, c->len,
					 NEP_STAMP_UNAUTH, &s, NULL),
			c->len);
		assert_bytes(buf, c->req, c->len, c->name);
		assert_err(nep_stamp_build_sender(
				   buf, c->len - 1, NEP_STAMP_UNAUTH, &s, NULL),
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

		for (size_t n = 0; n <= c->len; n++) {
			uint8_t *p = dup_exact(c->req, n);
			uint8_t *out = malloc(n ? n : 1);
			struct nep_stamp_reflect_info info;
			struct nep_stamp_sender s;
			struct nep_stamp_tlv_iter it;
			struct nep_stamp_tlv t;
			int rc;

			assert_non_null(out);
			rc = nep_stamp_reflect(p, n, out, n, &c->params, &info);
			if (n < NEP_STAMP_BASE_UNAUTH) {
				assert_err(rc, "stamp_truncated", c->name);
				assert_err(nep_stamp_parse_sender(p, n,
						   NEP_STAMP_UNAUTH, NULL, &s),
					"stamp_truncated", c->name);
			} else {
				assert_int_equal(rc, n);
				assert_err(nep_stamp_parse_sender(p, n,
						   NEP_STAMP_UNAUTH, NULL, &s),
					"ok", c->name);
				assert_int_equal(
					s.tlv_len, n - NEP_STAMP_BASE_UNAUTH);
				/* The unwalked reply agrees with scapy's up to
				 * the TLVs (they depend on the cut). */
				assert_bytes(out, c->reply,
					NEP_STAMP_BASE_UNAUTH, c->name);
				nep_stamp_tlv_iter_init(&it,
					p + NEP_STAMP_BASE_UNAUTH,
					n - NEP_STAMP_BASE_UNAUTH);
				while ((rc = nep_stamp_tlv_next(&it, &t)) == 1)
					assert_true(t.off + 4 + t.len <=
						    n - NEP_STAMP_BASE_UNAUTH);
				assert_true(rc == 0 ||
					    rc == NEP_STAMP_E_BAD_TLV ||
					    rc == NEP_STAMP_E_TRUNCATED);
			}
			free(out);
			free(p);
		}
	}
}

static void
test_reflect_errors(void **state)
{
	const struct stamp_case *c = &stamp_cases[3]; /* all_tlvs */
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
	pr = c->params;
	pr.mode = NEP_STAMP_AUTH;
	assert_err(nep_stamp_reflect(stamp_auth_req, sizeof(stamp_auth_req),
			   out, sizeof(out), &pr, &info),
		"stamp_no_key", "no key");
	/* A plain RFC 8762 reflector mirrors TLVs as padding. */
	pr = c->params;
	pr.tlvs = false;
	assert_int_equal(
		nep_stamp_reflect(c->req, c->len, out, sizeof(out), &pr, &info),
		c->len);
	assert_memory_equal(out + 44, c->req + 44, c->len - 44);
	assert_int_equal(info.n_tlv, 0);
}

/* ---- authenticated mode ---- */

static struct nep_stamp_reflect_params
auth_params(void)
{
	return (struct nep_stamp_reflect_params){
		.mode = NEP_STAMP_AUTH,
		.tsfmt = NEP_STAMP_TS_NTP,
		.t2_ns = STAMP_T2_NS,
		.t3_ns = STAMP_T3_NS,
		.rx_ttl = 60,
		.rx_tos = STAMP_AUTH_RX_TOS,
		.stateful = true,
		.seq = 555,
		.err = {true, 0, 2, 9},
		.auth = &auth,
		.tlvs = true,
		.cos_allowed = true,
	};
}

static void
test_auth(void **state)
{
	struct nep_stamp_reflect_params pr = auth_params();
	const size_t len = sizeof(stamp_auth_req);
	struct nep_stamp_auth bad = {failing_hmac, NULL};
	struct nep_stamp_reflect_info info;
	struct nep_stamp_reflector r;
	struct nep_stamp_sender s;
	uint8_t out[sizeof(stamp_auth_req)], buf[sizeof(stamp_auth_req)];

	(void)state;
	assert_err(nep_stamp_parse_sender(
			   stamp_auth_req, len, NEP_STAMP_AUTH, &auth, &s),
		"ok", "auth parse");
	assert_int_equal(s.seq, STAMP_AUTH_SEQ);
	assert_int_equal(s.ts, STAMP_AUTH_TS);
	assert_int_equal(s.ssid, STAMP_AUTH_SSID);
	assert_ptr_equal(s.hmac, stamp_auth_req + 96);
	assert_int_equal(s.tlv_len, 8);
	assert_true(s.mbz_zero);

	/* Our builder with OpenSSL's HMAC gives Python's bytes. */
	s.tlv = stamp_auth_req + 112;
	assert_int_equal(nep_stamp_build_sender(
				 buf, sizeof(buf), NEP_STAMP_AUTH, &s, &auth),
		len);
	assert_bytes(buf, stamp_auth_req, len, "auth build");
	assert_err(nep_stamp_build_sender(
			   buf, sizeof(buf), NEP_STAMP_AUTH, &s, NULL),
		"stamp_no_key", "build no key");

	assert_int_equal(nep_stamp_reflect(stamp_auth_req, len, out,
				 sizeof(out), &pr, &info),
		len);
	assert_bytes(out, stamp_auth_rep, len, "auth reply");
	assert_true(info.cos);
	assert_int_equal(info.reply_dscp, 10);
	assert_err(
		nep_stamp_parse_reflector(out, len, NEP_STAMP_AUTH, &auth, &r),
		"ok", "auth reply parse");
	assert_int_equal(r.seq, 555);
	assert_int_equal(r.s_seq, STAMP_AUTH_SEQ);
	assert_int_equal(r.s_ttl, 60);
	assert_int_equal(r.ssid, STAMP_AUTH_SSID);

	/* Any bit flipped in bytes 0..111 fails; TLVs are outside it. */
	for (size_t i = 0; i < len; i++) {
		memcpy(buf, stamp_auth_req, len);
		buf[i] ^= 0x01;
		if (i < NEP_STAMP_BASE_AUTH) {
			assert_err(nep_stamp_reflect(buf, len, out, sizeof(out),
					   &pr, &info),
				"stamp_bad_auth", "flip");
			assert_err(nep_stamp_parse_sender(
					   buf, len, NEP_STAMP_AUTH, &auth, &s),
				"stamp_bad_auth", "flip parse");
		} else {
			assert_int_equal(nep_stamp_reflect(buf, len, out,
						 sizeof(out), &pr, &info),
				len);
		}
	}
	/* Without the key the HMAC is only located. */
	memcpy(buf, stamp_auth_req, len);
	buf[100] ^= 0xff;
	assert_err(nep_stamp_parse_sender(buf, len, NEP_STAMP_AUTH, NULL, &s),
		"ok", "no verify");
	/* A failing HMAC function is named. */
	pr.auth = &bad;
	assert_err(nep_stamp_reflect(
			   stamp_auth_req, len, out, sizeof(out), &pr, &info),
		"stamp_hmac_failed", "hmac fails");
	pr = auth_params();
	/* Every truncation: below 112 bytes, truncated; above, answered. */
	for (size_t n = 0; n <= len; n++) {
		uint8_t *p = dup_exact(stamp_auth_req, n);
		uint8_t *o = malloc(n ? n : 1);
		int rc;

		assert_non_null(o);
		rc = nep_stamp_reflect(p, n, o, n, &pr, &info);
		if (n < NEP_STAMP_BASE_AUTH)
			assert_err(rc, "stamp_truncated", "auth cut");
		else
			assert_int_equal(rc, n);
		free(o);
		free(p);
	}
	/* The unauthenticated vectors are too short for authenticated mode,
	 * or fail its HMAC. */
	for (size_t i = 0; i < DIM(stamp_cases); i++) {
		int rc = nep_stamp_reflect(stamp_cases[i].req,
			stamp_cases[i].len, buf, sizeof(buf), &pr, &info);

		assert_true(rc == NEP_STAMP_E_TRUNCATED ||
			    rc == NEP_STAMP_E_BAD_AUTH);
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
	/* CoS bit layout: DSCP1 6 | DSCP2 6 | ECN 2 | RP 2. */
	cos = (struct nep_stamp_cos){46, 10, 1, 1};
	nep_stamp_cos_encode(&cos, v);
	assert_int_equal(v[0] << 8 | v[1], 46 << 10 | 10 << 4 | 1 << 2 | 1);
	t = (struct nep_stamp_tlv){0, NEP_STAMP_TLV_COS, 4, v, 0};
	memset(&cos, 0, sizeof(cos));
	assert_err(nep_stamp_tlv_cos(&t, &cos), "ok", "cos");
	assert_int_equal(cos.dscp1, 46);
	assert_int_equal(cos.dscp2, 10);
	assert_int_equal(cos.ecn, 1);
	assert_int_equal(cos.rp, 1);
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
		assert_int_equal(
			nep_stamp_tlv_put(req, sizeof(req), &off, 0, 1 + i % 8,
				v, (uint16_t)(i % 8 == 4 ? 12 : 4)),
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
