/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/srv6 against scapy's bytes (srv6_vectors.h, from
 * gen_srv6_vectors.py). The generator reproduces neptune's flow-label hash
 * in Python, so the encapsulated packets are compared whole, flow label
 * included.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nep_srv6.h"
#include "srv6_vectors.h"

#define HEADROOM 256
#define BUF_LEN 2048
#define NEP_DIM(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t buf[BUF_LEN];

static void
assert_rc(enum nep_srv6_rc rc, const char *want, const char *what)
{
	if (strcmp(nep_srv6_rc_name(rc), want) != 0)
		fail_msg("%s: got %s, want %s", what, nep_srv6_rc_name(rc),
			want);
}

static void
assert_bytes(
	const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte %zu is 0x%02x, want 0x%02x", what, i,
				got[i], want[i]);
}

static struct nep_srv6_policy
policy(unsigned int n, bool reduced)
{
	struct nep_srv6_policy p;

	assert_int_equal(nep_srv6_policy_init(&p, srv6_src, srv6_sids, n,
				 NEP_SRV6_DEFAULT_HOP_LIMIT, reduced),
		0);
	return p;
}

/* H.Encaps / H.Encaps.Red for every vector: scapy's bytes exactly. */
static void
test_encap_golden(void **state)
{
	uint32_t off, len;
	size_t i;

	(void)state;
	for (i = 0; i < NEP_DIM(srv6_encap_vecs); i++) {
		const struct srv6_encap_vec *v = &srv6_encap_vecs[i];
		struct nep_srv6_policy p = policy(v->n_sids, v->reduced);

		memset(buf, 0xee, sizeof(buf));
		memcpy(buf + HEADROOM, v->inner, v->inner_len);
		assert_int_equal(nep_srv6_encap(&p, buf, HEADROOM, v->inner_len,
					 &off, &len),
			NEP_SRV6_OK);
		if (len != v->want_len)
			fail_msg("%s: length %u, want %u", v->name, len,
				v->want_len);
		assert_int_equal(off + len, HEADROOM + v->inner_len);
		assert_int_equal(HEADROOM - off,
			nep_srv6_encap_overhead(v->n_sids, v->reduced));
		assert_bytes(buf + off, v->want, len, v->name);
		/* nothing written in front of the outer header */
		assert_int_equal(buf[off - 1], 0xee);
	}
}

/* The fast path's H.Encaps and flow label give the same bytes for every
 * IPv6 inner vector with TCP/UDP right after its header. */
static void
test_encap6_fast(void **state)
{
	unsigned done = 0;

	(void)state;
	for (size_t i = 0; i < NEP_DIM(srv6_encap_vecs); i++) {
		const struct srv6_encap_vec *v = &srv6_encap_vecs[i];
		struct nep_srv6_policy p = policy(v->n_sids, v->reduced);
		uint32_t fl;

		if ((v->inner[0] >> 4) != 6 || (v->inner[6] != 6 &&
						       v->inner[6] != 17))
			continue;
		fl = nep_srv6_flow_label(v->inner, v->inner_len);
		assert_int_equal(nep_srv6_flow_label6_l4(v->inner), fl);
		memset(buf, 0xee, sizeof(buf));
		memcpy(buf + HEADROOM, v->inner, v->inner_len);
		nep_srv6_encap6_fast(&p, buf + HEADROOM, v->inner_len, fl);
		assert_int_equal(p.hdr_len + v->inner_len, v->want_len);
		assert_bytes(buf + HEADROOM - p.hdr_len, v->want, v->want_len,
			v->name);
		assert_int_equal(buf[HEADROOM - p.hdr_len - 1], 0xee);
		done++;
	}
	assert_true(done >= 4);
}

/* The headroom exactly fits; one byte less is refused untouched. */
static void
test_encap_headroom(void **state)
{
	struct nep_srv6_policy p = policy(3, false);
	uint32_t need = nep_srv6_encap_overhead(3, false), off = 0, len = 0;
	uint8_t copy[BUF_LEN];

	(void)state;
	assert_int_equal(need, 40 + 8 + 48);
	memcpy(buf + need - 1, srv6_inner6, sizeof(srv6_inner6));
	memcpy(copy, buf, sizeof(buf));
	assert_rc(nep_srv6_encap(
			  &p, buf, need - 1, sizeof(srv6_inner6), &off, &len),
		"srv6_encap_headroom", "short headroom");
	assert_memory_equal(buf, copy, sizeof(buf));

	memcpy(buf + need, srv6_inner6, sizeof(srv6_inner6));
	assert_int_equal(
		nep_srv6_encap(&p, buf, need, sizeof(srv6_inner6), &off, &len),
		NEP_SRV6_OK);
	assert_int_equal(off, 0);
	assert_int_equal(len, need + sizeof(srv6_inner6));
	assert_bytes(buf, srv6_encap6_3, len, "exact headroom");
}

static void
encap_err(const uint8_t *in, uint32_t in_len, uint32_t avail, const char *want,
	const char *what)
{
	struct nep_srv6_policy p = policy(2, false);
	uint32_t off, len;

	memcpy(buf + HEADROOM, in, in_len);
	assert_rc(nep_srv6_encap(&p, buf, HEADROOM, avail, &off, &len), want,
		what);
}

/* Malformed inner packets and expiring hop limits are refused. */
static void
test_encap_bad_inner(void **state)
{
	uint8_t p[128];

	(void)state;
	memcpy(p, srv6_inner6, sizeof(srv6_inner6));
	encap_err(p, sizeof(srv6_inner6), 39, "srv6_encap_bad_inner",
		"v6 short header");
	encap_err(p, sizeof(srv6_inner6), sizeof(srv6_inner6) - 1,
		"srv6_encap_bad_inner", "v6 payload past buffer");
	p[4] = p[5] = 0;
	encap_err(p, sizeof(srv6_inner6), sizeof(srv6_inner6),
		"srv6_encap_bad_inner", "v6 jumbogram");
	memcpy(p, srv6_inner6, sizeof(srv6_inner6));
	p[7] = 1;
	encap_err(p, sizeof(srv6_inner6), sizeof(srv6_inner6),
		"srv6_encap_inner_ttl_exceeded", "v6 hop limit 1");

	memcpy(p, srv6_inner4, sizeof(srv6_inner4));
	encap_err(p, sizeof(srv6_inner4), 19, "srv6_encap_bad_inner",
		"v4 short header");
	p[0] = 0x44;
	encap_err(p, sizeof(srv6_inner4), sizeof(srv6_inner4),
		"srv6_encap_bad_inner", "v4 ihl 4");
	memcpy(p, srv6_inner4, sizeof(srv6_inner4));
	encap_err(p, sizeof(srv6_inner4), sizeof(srv6_inner4) - 1,
		"srv6_encap_bad_inner", "v4 total length past buffer");
	p[8] = 0;
	encap_err(p, sizeof(srv6_inner4), sizeof(srv6_inner4),
		"srv6_encap_inner_ttl_exceeded", "v4 ttl 0");
	p[0] = 0x50;
	encap_err(p, sizeof(srv6_inner4), sizeof(srv6_inner4),
		"srv6_encap_bad_inner", "version 5");
}

/* An outer payload over 64 KiB cannot be expressed. */
static void
test_encap_too_big(void **state)
{
	static uint8_t big[HEADROOM + 65535];
	struct nep_srv6_policy p = policy(4, false);
	uint32_t off, len;

	(void)state;
	/* 40 + 65495 = 65535 bytes of inner IPv6; the SRH pushes it over */
	memcpy(big + HEADROOM, srv6_inner6, 40);
	big[HEADROOM + 4] = 0xff;
	big[HEADROOM + 5] = 0xd7;
	assert_rc(nep_srv6_encap(&p, big, HEADROOM, 65535, &off, &len),
		"srv6_encap_too_big", "65535-byte inner");
}

/* Ethernet padding after the inner packet is not carried. */
static void
test_encap_trailing(void **state)
{
	struct nep_srv6_policy p = policy(2, false);
	uint32_t off, len;

	(void)state;
	memcpy(buf + HEADROOM, srv6_inner4, sizeof(srv6_inner4));
	assert_int_equal(nep_srv6_encap(&p, buf, HEADROOM,
				 sizeof(srv6_inner4) + 6, &off, &len),
		NEP_SRV6_OK);
	assert_int_equal(len, sizeof(srv6_encap4_2));
	assert_bytes(buf + off, srv6_encap4_2, len, "padded v4");
}

static void
test_overhead(void **state)
{
	unsigned int n;

	(void)state;
	assert_int_equal(nep_srv6_encap_overhead(1, false), 64);
	assert_int_equal(nep_srv6_encap_overhead(2, false), 80);
	assert_int_equal(nep_srv6_encap_overhead(1, true), 40);
	assert_int_equal(nep_srv6_encap_overhead(2, true), 64);
	assert_int_equal(nep_srv6_encap_overhead(3, true), 80);
	for (n = 1; n <= NEP_SRV6_MAX_SIDS; n++) {
		assert_int_equal(
			nep_srv6_encap_overhead(n, false), 40 + 8 + 16 * n);
		if (n > 1)
			assert_int_equal(nep_srv6_encap_overhead(n, true),
				40 + 8 + 16 * (n - 1));
	}
	assert_int_equal(nep_srv6_encap_overhead(0, false), 0);
	assert_int_equal(
		nep_srv6_encap_overhead(NEP_SRV6_MAX_SIDS + 1, true), 0);
	assert_true(NEP_SRV6_MAX_SIDS >= 4);
}

/* Every SID count: lengths, Last Entry, SL and the reversed list. */
static void
test_policy_all_sizes(void **state)
{
	uint8_t sids[NEP_SRV6_MAX_SIDS][16];
	struct nep_srv6_policy p;
	struct nep_srv6_srh v;
	uint32_t off, len, inner_off;
	unsigned int n, i, red;
	uint8_t fam;

	(void)state;
	memset(sids, 0, sizeof(sids));
	for (i = 0; i < NEP_SRV6_MAX_SIDS; i++) {
		sids[i][0] = 0xfd;
		sids[i][15] = (uint8_t)(i + 1);
	}
	for (red = 0; red < 2; red++) {
		for (n = 1; n <= NEP_SRV6_MAX_SIDS; n++) {
			assert_int_equal(nep_srv6_policy_init(&p, srv6_src,
						 sids, n, 64, red),
				0);
			memcpy(buf + HEADROOM, srv6_inner6,
				sizeof(srv6_inner6));
			assert_int_equal(
				nep_srv6_encap(&p, buf, HEADROOM,
					sizeof(srv6_inner6), &off, &len),
				NEP_SRV6_OK);
			assert_int_equal(
				(buf[off + 4] << 8 | buf[off + 5]), len - 40);
			assert_memory_equal(buf + off + 24, sids[0], 16);
			if (red && n == 1) {
				assert_int_equal(buf[off + 6], 41);
				continue;
			}
			assert_int_equal(nep_srv6_parse(buf + off, len, &v),
				NEP_SRV6_OK);
			assert_int_equal(v.segments_left, n - 1);
			assert_int_equal(v.last_entry, red ? n - 2 : n - 1);
			assert_int_equal(v.flags, 0);
			assert_int_equal(v.tag, 0);
			assert_int_equal(v.next_hdr, 41);
			assert_int_equal(v.tlv_len, 0);
			for (i = 0; i <= v.last_entry; i++)
				assert_memory_equal(
					nep_srv6_sid(buf + off, &v, i),
					sids[n - 1 - i], 16);
			/* decapsulation finds the inner packet again
			 * once the segments are used up */
			buf[off + v.srh_off + 3] = 0;
			assert_int_equal(nep_srv6_decap_locate(buf + off, len,
						 &inner_off, &fam),
				NEP_SRV6_OK);
			assert_int_equal(inner_off, HEADROOM - off);
			assert_int_equal(fam, 6);
		}
	}
}

static void
test_policy_invalid(void **state)
{
	struct nep_srv6_policy p;

	(void)state;
	assert_int_equal(
		nep_srv6_policy_init(&p, srv6_src, srv6_sids, 0, 64, false),
		-EINVAL);
	assert_int_equal(nep_srv6_policy_init(&p, srv6_src, srv6_sids,
				 NEP_SRV6_MAX_SIDS + 1, 64, false),
		-EINVAL);
	assert_int_equal(
		nep_srv6_policy_init(&p, srv6_src, srv6_sids, 1, 0, false),
		-EINVAL);
}

/* Every parse vector, malformed ones under their names. */
static void
test_parse_vectors(void **state)
{
	struct nep_srv6_srh v;
	enum nep_srv6_rc rc;
	size_t i;

	(void)state;
	for (i = 0; i < NEP_DIM(srv6_parse_vecs); i++) {
		const struct srv6_parse_vec *t = &srv6_parse_vecs[i];

		rc = nep_srv6_parse(t->pkt, t->len, &v);
		assert_rc(rc, t->rc, t->name);
		if (t->err_off >= 0 && v.err_off != t->err_off)
			fail_msg("%s: err_off %u, want %d", t->name, v.err_off,
				t->err_off);
	}
}

static void
test_parse_view(void **state)
{
	struct nep_srv6_srh v;

	(void)state;
	assert_int_equal(
		nep_srv6_parse(srv6_parse_ok_3, sizeof(srv6_parse_ok_3), &v),
		NEP_SRV6_OK);
	assert_int_equal(v.srh_off, 40);
	assert_int_equal(v.srh_len, 56);
	assert_int_equal(v.sids_off, 48);
	assert_int_equal(v.segments_left, 2);
	assert_int_equal(v.last_entry, 2);
	assert_int_equal(v.next_hdr, 41);
	assert_memory_equal(
		nep_srv6_sid(srv6_parse_ok_3, &v, 0), srv6_sids[2], 16);
	assert_memory_equal(
		nep_srv6_sid(srv6_parse_ok_3, &v, 2), srv6_sids[0], 16);

	assert_int_equal(nep_srv6_parse(srv6_parse_ok_pad_tlvs,
				 sizeof(srv6_parse_ok_pad_tlvs), &v),
		NEP_SRV6_OK);
	assert_int_equal(v.srh_len, 64);
	assert_int_equal(v.tlv_off, 40 + 8 + 48);
	assert_int_equal(v.tlv_len, 8);

	assert_int_equal(nep_srv6_parse(srv6_parse_ok_hbh,
				 sizeof(srv6_parse_ok_hbh), &v),
		NEP_SRV6_OK);
	assert_int_equal(v.srh_off, 48);

	/* flags and tag are reported, not interpreted (RFC 8754 2) */
	assert_int_equal(nep_srv6_parse(srv6_parse_ok_flags_tag,
				 sizeof(srv6_parse_ok_flags_tag), &v),
		NEP_SRV6_OK);
	assert_int_equal(v.flags, srv6_parse_ok_flags_tag[40 + 5]);
	assert_int_not_equal(v.flags, 0);
	assert_int_equal(v.tag, 0xbeef);
	assert_int_equal(v.last_entry, 2);
	assert_int_equal(v.segments_left, 1);
}

/* Truncating a valid packet anywhere never reads past the buffer. */
static void
test_parse_every_truncation(void **state)
{
	static uint8_t p[sizeof(srv6_parse_ok_pad_tlvs)];
	struct nep_srv6_srh v;
	uint32_t n, off;
	uint8_t fam;

	(void)state;
	memcpy(p, srv6_parse_ok_pad_tlvs, sizeof(p));
	for (n = 0; n < sizeof(p); n++) {
		assert_int_not_equal(nep_srv6_parse(p, n, &v), NEP_SRV6_OK);
		assert_int_not_equal(
			nep_srv6_decap_locate(p, n, &off, &fam), NEP_SRV6_OK);
	}
}

static void
test_end_vectors(void **state)
{
	struct nep_srv6_srh v;
	uint8_t p[512];
	size_t i;

	(void)state;
	for (i = 0; i < NEP_DIM(srv6_end_vecs); i++) {
		const struct srv6_end_vec *t = &srv6_end_vecs[i];

		memcpy(p, t->in, t->len);
		assert_int_equal(nep_srv6_parse(p, t->len, &v), NEP_SRV6_OK);
		assert_rc(nep_srv6_end(p, t->len, &v), t->rc, t->name);
		if (t->out != NULL)
			assert_bytes(p, t->out, t->len, t->name);
		else
			assert_memory_equal(p, t->in, t->len);
	}
}

/* End until the last segment, then "no next segment", then decap. */
static void
test_end_chain(void **state)
{
	struct nep_srv6_srh v;
	uint32_t off;
	uint8_t p[512], fam;
	unsigned int sl;

	(void)state;
	memcpy(p, srv6_encap6_4, sizeof(srv6_encap6_4));
	assert_int_equal(
		nep_srv6_decap_locate(p, sizeof(srv6_encap6_4), &off, &fam),
		NEP_SRV6_ERR_DECAP_SL);
	for (sl = 3; sl > 0; sl--) {
		assert_int_equal(nep_srv6_parse(p, sizeof(srv6_encap6_4), &v),
			NEP_SRV6_OK);
		assert_int_equal(v.segments_left, sl);
		assert_int_equal(nep_srv6_end(p, sizeof(srv6_encap6_4), &v),
			NEP_SRV6_OK);
		/* DA walks the SIDs in the order the policy listed them */
		assert_memory_equal(p + 24, srv6_sids[4 - sl], 16);
		assert_int_equal(p[7], 64 - (4 - sl));
	}
	assert_int_equal(
		nep_srv6_parse(p, sizeof(srv6_encap6_4), &v), NEP_SRV6_OK);
	assert_int_equal(nep_srv6_end(p, sizeof(srv6_encap6_4), &v),
		NEP_SRV6_NO_NEXT_SEG);
	assert_int_equal(
		nep_srv6_decap_locate(p, sizeof(srv6_encap6_4), &off, &fam),
		NEP_SRV6_OK);
	assert_int_equal(off, 40 + 8 + 64);
	assert_int_equal(fam, 6);
}

static void
test_decap_vectors(void **state)
{
	unsigned fast_ok = 0;
	uint32_t off;
	uint8_t fam;
	size_t i;

	(void)state;
	for (i = 0; i < NEP_DIM(srv6_decap_vecs); i++) {
		const struct srv6_decap_vec *t = &srv6_decap_vecs[i];

		off = 0;
		fam = 0;
		assert_rc(nep_srv6_decap_locate(t->pkt, t->len, &off, &fam),
			t->rc, t->name);
		if (strcmp(t->rc, "ok") == 0) {
			assert_int_equal(off, t->inner_off);
			assert_int_equal(fam, t->family);
		}
		/* The fast path's shapes: where it answers, it agrees; it
		 * never takes what the full check refuses. */
		uint32_t fo = nep_srv6_decap6_fast(t->pkt, t->len);
		fast_ok += fo != 0;
		if (fo != 0) {
			if (strcmp(t->rc, "ok") != 0 || fam != 6 ||
				fo != t->inner_off)
				fail_msg("%s: fast decap %u, full %s %u", t->name,
					fo, t->rc, t->inner_off);
		}
	}
	assert_true(fast_ok >= 2);	/* reduced and with an SRH */
}

/* The Python reproduction of the hash agrees; labels are never 0. */
static void
test_flow_label(void **state)
{
	uint8_t p[128];
	uint32_t fl, a, b;
	size_t i;
	unsigned int port;

	(void)state;
	for (i = 0; i < NEP_DIM(srv6_fl_vecs); i++) {
		const struct srv6_fl_vec *t = &srv6_fl_vecs[i];

		fl = nep_srv6_flow_label(t->pkt, t->len);
		if (fl != t->fl)
			fail_msg("%s: label 0x%05x, want 0x%05x", t->name, fl,
				t->fl);
	}
	assert_int_equal(nep_srv6_flow_label(srv6_inner6, sizeof(srv6_inner6)),
		SRV6_INNER6_FL);
	/* ports matter for UDP, the hop limit and payload do not */
	memcpy(p, srv6_inner6, sizeof(srv6_inner6));
	a = nep_srv6_flow_label(p, sizeof(srv6_inner6));
	p[7] = 3;
	p[60] ^= 0xff;
	assert_int_equal(nep_srv6_flow_label(p, sizeof(srv6_inner6)), a);
	for (port = 0; port < 4096; port++) {
		p[40] = (uint8_t)(port >> 8);
		p[41] = (uint8_t)port;
		b = nep_srv6_flow_label(p, sizeof(srv6_inner6));
		assert_true(b != 0 && b <= 0xfffff);
		if (port == 0)
			a = b;
	}
	assert_int_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encap_golden),
		cmocka_unit_test(test_encap6_fast),
		cmocka_unit_test(test_encap_headroom),
		cmocka_unit_test(test_encap_bad_inner),
		cmocka_unit_test(test_encap_too_big),
		cmocka_unit_test(test_encap_trailing),
		cmocka_unit_test(test_overhead),
		cmocka_unit_test(test_policy_all_sizes),
		cmocka_unit_test(test_policy_invalid),
		cmocka_unit_test(test_parse_vectors),
		cmocka_unit_test(test_parse_view),
		cmocka_unit_test(test_parse_every_truncation),
		cmocka_unit_test(test_end_vectors),
		cmocka_unit_test(test_end_chain),
		cmocka_unit_test(test_decap_vectors),
		cmocka_unit_test(test_flow_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
