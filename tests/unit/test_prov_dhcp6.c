/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/prov DHCPv6 (nep_dhcp6.h): scapy's server messages parsed
 * (prov_vectors.h, from gen_prov_vectors.py), neptune's client messages
 * compared with scapy's bytes, one Solicit checked against bytes worked
 * out by hand from RFC 8415, every truncation, and hostile messages
 * built here, each with its named error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nep_dhcp6.h"
#include "prov_test.h"
#include "prov_vectors.h"

PROV_ASSERT_ERR(nep_dhcp6_err_name)
PROV_PARSE_EXACT(nep_dhcp6_parse, struct nep_dhcp6_msg)

#define EQ(f)                                                                  \
	do {                                                                   \
		if (got->f != want->f)                                         \
			fail_msg("%s: " #f " is %lu, want %lu", what,          \
				(unsigned long)got->f,                         \
				(unsigned long)want->f);                       \
	} while (0)
#define EQB(f, n) assert_bytes(got->f, want->f, n, what)

static void
msg_equal(const struct nep_dhcp6_msg *got, const struct nep_dhcp6_msg *want,
	const char *what)
{
	EQ(type);
	EQ(xid);
	EQ(server_id_len);
	EQB(server_id, want->server_id_len);
	EQ(client_id_len);
	EQB(client_id, want->client_id_len);
	EQ(has_preference);
	EQ(preference);
	EQ(has_status);
	EQ(status);
	EQ(rapid_commit);
	EQ(has_auth);
	EQ(has_reconf_msg);
	EQ(reconf_msg);
	EQ(sol_max_rt);
	EQ(info_refresh);
	EQ(has_pd);
	EQ(pd_iaid);
	EQ(pd_t1);
	EQ(pd_t2);
	EQ(pd_has_status);
	EQ(pd_status);
	EQ(n_prefixes);
	for (unsigned int i = 0; i < want->n_prefixes; i++) {
		EQB(prefixes[i].prefix, 16);
		EQ(prefixes[i].len);
		EQ(prefixes[i].preferred);
		EQ(prefixes[i].valid);
	}
	EQ(has_na);
	EQ(na_iaid);
	EQ(na_t1);
	EQ(na_t2);
	EQ(na_has_status);
	EQ(na_status);
	EQ(n_addrs);
	for (unsigned int i = 0; i < want->n_addrs; i++) {
		EQB(addrs[i].addr, 16);
		EQ(addrs[i].preferred);
		EQ(addrs[i].valid);
	}
	EQ(n_dns);
	for (unsigned int i = 0; i < want->n_dns; i++)
		EQB(dns[i], 16);
	EQ(n_domains);
	for (unsigned int i = 0; i < want->n_domains; i++)
		if (strcmp(got->domains[i], want->domains[i]) != 0)
			fail_msg("%s: domain %u is %s, want %s", what, i,
				got->domains[i], want->domains[i]);
	EQ(n_ignored);
}

/* ---- a test-local server message writer ---- */

struct wmsg {
	uint8_t b[2048];
	size_t n;
};

static void
w_raw(struct wmsg *w, const void *v, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	if (n != 0)
		memcpy(w->b + w->n, v, n);
	w->n += n;
}

static void
w_u16(struct wmsg *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	w_raw(w, b, 2);
}

static void
w_u32(struct wmsg *w, uint32_t v)
{
	w_u16(w, (uint16_t)(v >> 16));
	w_u16(w, (uint16_t)v);
}

/* An option whose length field says len but whose body is body_n bytes. */
static void
w_opt_len(struct wmsg *w, uint16_t code, uint16_t len, const void *body,
	size_t body_n)
{
	w_u16(w, code);
	w_u16(w, len);
	w_raw(w, body, body_n);
}

static void
w_opt(struct wmsg *w, uint16_t code, const void *body, size_t n)
{
	w_opt_len(w, code, (uint16_t)n, body, n);
}

static void
w_hdr(struct wmsg *w, uint8_t type, uint32_t xid)
{
	w->n = 0;
	w_raw(w, &type, 1);
	w_raw(w,
		(uint8_t[]){(uint8_t)(xid >> 16), (uint8_t)(xid >> 8),
			(uint8_t)xid},
		3);
}

static void
w_sid(struct wmsg *w)
{
	w_opt(w, NEP_DHCP6_OPT_SERVERID, prov_duid_s, sizeof(prov_duid_s));
}

/* An IA_PD body: IAID 1, T1 100, T2 200, then sub. */
static void
ia_body(struct wmsg *ia, const struct wmsg *sub)
{
	ia->n = 0;
	w_u32(ia, 1);
	w_u32(ia, 100);
	w_u32(ia, 200);
	if (sub != NULL)
		w_raw(ia, sub->b, sub->n);
}

/* An IA Prefix option of prefix length plen, plus extra bytes. */
static void
iaprefix(struct wmsg *w, uint8_t plen, uint16_t len_field,
	const struct wmsg *extra)
{
	struct wmsg b = {.n = 0};

	w_u32(&b, 10);
	w_u32(&b, 20);
	w_raw(&b, &plen, 1);
	w_raw(&b, (uint8_t[16]){0x20, 0x01, 0x0d, 0xb8}, 16);
	if (extra != NULL)
		w_raw(&b, extra->b, extra->n);
	w_opt_len(w, NEP_DHCP6_OPT_IAPREFIX, len_field, b.b, b.n);
}

/* ---- tests ---- */

static void
test_err_names(void **state)
{
	(void)state;
	assert_string_equal(nep_dhcp6_err_name(0), "ok");
	assert_string_equal(nep_dhcp6_err_name(1), "unknown");
	assert_string_equal(
		nep_dhcp6_err_name(-NEP_DHCP6_E_COUNT - 1), "unknown");
	for (int i = 1; i <= NEP_DHCP6_E_COUNT; i++) {
		const char *n = nep_dhcp6_err_name(-i);

		assert_non_null(n);
		assert_int_equal(strncmp(n, "dhcp6_", 6), 0);
		for (int j = 1; j < i; j++)
			assert_string_not_equal(n, nep_dhcp6_err_name(-j));
	}
	assert_string_equal(
		nep_dhcp6_err_name(NEP_DHCP6_E_TRUNCATED), "dhcp6_truncated");
	assert_string_equal(
		nep_dhcp6_err_name(NEP_DHCP6_E_BAD_OPTION), "dhcp6_bad_option");
}

/* DUID-LLT: scapy's DUID_LLT and the RFC 8415 11.2 layout by hand. */
static void
test_duid_llt(void **state)
{
	/* clang-format off */
	static const uint8_t hand[] = {
		0x00, 0x01,			/* DUID-LLT */
		0x00, 0x01,			/* Ethernet */
		0x2f, 0xaf, 0x08, 0x00,		/* 800000000 s */
		0x02, 0x00, 0x00, 0x00, 0xaa, 0x01};
	/* clang-format on */
	uint8_t out[NEP_DUID_LLT_LEN + 1];

	(void)state;
	memset(out, 0xee, sizeof(out));
	assert_int_equal(nep_dhcp6_duid_llt(out, prov_mac_c, PROV_DUID_C_TIME),
		NEP_DUID_LLT_LEN);
	assert_int_equal(sizeof(prov_duid_c), NEP_DUID_LLT_LEN);
	assert_bytes(out, prov_duid_c, NEP_DUID_LLT_LEN, "duid vs scapy");
	assert_bytes(out, hand, sizeof(hand), "duid by hand");
	assert_int_equal(out[NEP_DUID_LLT_LEN], 0xee);
}

static void
test_server_golden(void **state)
{
	struct nep_dhcp6_msg m;

	(void)state;
	for (size_t i = 0; i < DIM(prov_d6_srv_vecs); i++) {
		const struct prov_d6_srv_vec *v = &prov_d6_srv_vecs[i];

		assert_err(parse_exact(v->msg, v->len, &m), "ok", v->name);
		msg_equal(&m, &v->want, v->name);
	}
}

static void
test_client_golden(void **state)
{
	uint8_t buf[1024];
	int n;

	(void)state;
	for (size_t i = 0; i < DIM(prov_d6_cli_vecs); i++) {
		const struct prov_d6_cli_vec *v = &prov_d6_cli_vecs[i];

		memset(buf, 0xee, sizeof(buf));
		n = nep_dhcp6_build(&v->req, buf, sizeof(buf));
		if (n != (int)v->len)
			fail_msg("%s: length %d, want %zu (%s)", v->name, n,
				v->len, nep_dhcp6_err_name(n));
		assert_bytes(buf, v->want, v->len, v->name);
		assert_int_equal(buf[n], 0xee);
	}
}

/*
 * A Solicit worked out by hand (RFC 8415 8, 21.2, 21.7, 21.9, 21.14,
 * 21.21, 21.22): every option's code, length and body.
 */
static void
test_solicit_by_hand(void **state)
{
	static const uint8_t duid[] = {0x00, 0x03, 0x00, 0x01, 0x02, 0x00, 0x00,
		0x00, 0xaa, 0x01}; /* DUID-LL */
	/* clang-format off */
	static const uint8_t want[] = {
		0x01, 0x12, 0x34, 0x56, /* Solicit, xid 0x123456 */
		0x00, 0x01, 0x00, 0x0a, /* Client Identifier, 10 */
		0x00, 0x03, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0xaa, 0x01,
		0x00, 0x08, 0x00, 0x02, 0x01, 0x2c, /* Elapsed Time 300 cs */
		0x00, 0x06, 0x00, 0x06,		    /* Option Request, 6 */
		0x00, 0x17, 0x00, 0x18, 0x00, 0x52, /* 23, 24, 82 */
		0x00, 0x0e, 0x00, 0x00,		    /* Rapid Commit */
		0x00, 0x19, 0x00, 0x29,		    /* IA_PD, 12 + 29 */
		0x00, 0x00, 0x00, 0x2a,		    /* IAID 42 */
		0x00, 0x00, 0x00, 0x00,		    /* T1 */
		0x00, 0x00, 0x00, 0x00,		    /* T2 */
		0x00, 0x1a, 0x00, 0x19,		    /* IA Prefix, 25 */
		0x00, 0x00, 0x00, 0x00,		    /* preferred */
		0x00, 0x00, 0x00, 0x00,		    /* valid */
		0x3c,				    /* /60 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	/* clang-format on */
	struct nep_dhcp6_req r = {.type = NEP_DHCP6_SOLICIT,
		.xid = 0xff123456, /* only 24 bits go out */
		.duid = duid,
		.duid_len = sizeof(duid),
		.elapsed_cs = 300,
		.rapid_commit = true,
		.want_pd = true,
		.pd_iaid = 42,
		.pd_hint_len = 60,
		.want_dns = true};
	uint8_t buf[256];

	(void)state;
	assert_int_equal(nep_dhcp6_build(&r, buf, sizeof(buf)), sizeof(want));
	assert_bytes(buf, want, sizeof(want), "solicit");
	/* Without a hint: IA_PD of 12 bytes, no IA Prefix. */
	r.pd_hint_len = 0;
	assert_int_equal(
		nep_dhcp6_build(&r, buf, sizeof(buf)), sizeof(want) - 29);
	assert_bytes(buf, want, 40, "solicit, no hint");
	assert_int_equal(buf[40], 0);
	assert_int_equal(buf[41], 12);
}

/*
 * Round trip: a built client message, its type changed to Reply, parses
 * back to the fields it was built from (the IAs' lifetimes and T1/T2 as
 * sent, 0).
 */
static void
test_round_trip(void **state)
{
	struct nep_dhcp6_msg m;
	uint8_t buf[1024];
	int n, rc;

	(void)state;
	for (size_t i = 0; i < DIM(prov_d6_cli_vecs); i++) {
		const struct prov_d6_cli_vec *v = &prov_d6_cli_vecs[i];
		const struct nep_dhcp6_req *r = &v->req;

		n = nep_dhcp6_build(r, buf, sizeof(buf));
		assert_true(n > 0);
		buf[0] = NEP_DHCP6_REPLY;
		rc = nep_dhcp6_parse(buf, (size_t)n, &m);
		if (r->server_id == NULL) {
			assert_err(rc, "dhcp6_no_server_id", v->name);
			continue;
		}
		assert_err(rc, "ok", v->name);
		assert_int_equal(m.xid, r->xid & 0xffffff);
		assert_int_equal(m.client_id_len, r->duid_len);
		assert_bytes(m.client_id, r->duid, r->duid_len, v->name);
		assert_int_equal(m.server_id_len, r->server_id_len);
		assert_bytes(
			m.server_id, r->server_id, r->server_id_len, v->name);
		assert_int_equal(m.has_pd, r->want_pd);
		if (r->want_pd) {
			assert_int_equal(m.pd_iaid, r->pd_iaid);
			assert_int_equal(m.pd_t1, 0);
			assert_int_equal(m.n_prefixes, r->pd_have ? 1 : 0);
			if (r->pd_have) {
				assert_int_equal(m.prefixes[0].len, r->pd.len);
				assert_bytes(m.prefixes[0].prefix, r->pd.prefix,
					16, v->name);
				assert_int_equal(m.prefixes[0].valid, 0);
			}
		}
		assert_int_equal(m.has_na, r->want_na);
		if (r->want_na) {
			assert_int_equal(m.na_iaid, r->na_iaid);
			assert_int_equal(m.n_addrs, r->na_have ? 1 : 0);
			if (r->na_have)
				assert_bytes(m.addrs[0].addr, r->na.addr, 16,
					v->name);
		}
		assert_int_equal(m.rapid_commit, r->rapid_commit);
	}
}

static void
test_build_no_space(void **state)
{
	uint8_t buf[1024];
	int full, n;

	(void)state;
	for (size_t i = 0; i < DIM(prov_d6_cli_vecs); i++) {
		const struct prov_d6_cli_vec *v = &prov_d6_cli_vecs[i];

		full = nep_dhcp6_build(&v->req, buf, sizeof(buf));
		assert_int_equal(full, (int)v->len);
		for (int cap = 0; cap < full; cap++) {
			memset(buf, 0xee, sizeof(buf));
			n = nep_dhcp6_build(&v->req, buf, (size_t)cap);
			assert_err(n, "dhcp6_build_no_space", v->name);
			/* Nothing written past cap. */
			for (size_t j = (size_t)cap; j < sizeof(buf); j++)
				assert_int_equal(buf[j], 0xee);
		}
	}
}

static void
test_build_bad_requests(void **state)
{
	static const uint8_t big[NEP_DUID_MAX + 1];
	const struct nep_dhcp6_req ok = {.type = NEP_DHCP6_SOLICIT,
		.duid = prov_duid_c,
		.duid_len = sizeof(prov_duid_c),
		.want_pd = true};
	struct nep_dhcp6_req r;
	uint8_t buf[512];
	static const uint8_t bad_types[] = {0, NEP_DHCP6_ADVERTISE,
		NEP_DHCP6_REPLY, NEP_DHCP6_RECONFIGURE, 12, 255};

	(void)state;
	assert_true(nep_dhcp6_build(&ok, buf, sizeof(buf)) > 0);
	for (size_t i = 0; i < sizeof(bad_types); i++) {
		r = ok;
		r.type = bad_types[i];
		assert_err(nep_dhcp6_build(&r, buf, sizeof(buf)),
			"dhcp6_build_bad_request", "server type");
	}
#define BAD(what, stmt)                                                        \
	do {                                                                   \
		r = ok;                                                        \
		stmt;                                                          \
		assert_err(nep_dhcp6_build(&r, buf, sizeof(buf)),              \
			"dhcp6_build_bad_request", what);                      \
	} while (0)
	BAD("no duid", r.duid = NULL);
	BAD("empty duid", r.duid_len = 0);
	BAD("duid too long", (r.duid = big, r.duid_len = sizeof(big)));
	BAD("server id in solicit",
		(r.server_id = prov_duid_s, r.server_id_len = 14));
	BAD("request without server id", r.type = NEP_DHCP6_REQUEST);
	BAD("renew without server id", r.type = NEP_DHCP6_RENEW);
	BAD("release without server id", r.type = NEP_DHCP6_RELEASE);
	BAD("empty server id",
		(r.type = NEP_DHCP6_REQUEST, r.server_id = prov_duid_s,
			r.server_id_len = 0));
	BAD("rapid commit in request",
		(r.type = NEP_DHCP6_REBIND, r.rapid_commit = true));
	BAD("ia_pd in confirm", r.type = NEP_DHCP6_CONFIRM);
	BAD("ia_pd in info-request", r.type = NEP_DHCP6_INFO_REQUEST);
	BAD("ia_na in info-request",
		(r.type = NEP_DHCP6_INFO_REQUEST, r.want_pd = false,
			r.want_na = true));
	BAD("ia_pd in decline",
		(r.type = NEP_DHCP6_DECLINE, r.server_id = prov_duid_s,
			r.server_id_len = 14));
	BAD("hint > 128", r.pd_hint_len = 129);
	BAD("held prefix > 128", (r.pd_have = true, r.pd.len = 200));
#undef BAD
	/* Not an error: the same without the IA_PD. */
	r = ok;
	r.type = NEP_DHCP6_INFO_REQUEST;
	r.want_pd = false;
	assert_true(nep_dhcp6_build(&r, buf, sizeof(buf)) > 0);
}

/* Top-level option boundaries of a message. */
static bool
at_boundary(const uint8_t *p, size_t len, size_t cut)
{
	size_t off = 4;

	while (off < len) {
		if (off == cut)
			return true;
		off += 4u + (size_t)(p[off + 2] << 8 | p[off + 3]);
	}
	return off == cut;
}

/* Where the top-level option holding byte cut starts its body. */
static size_t
body_start(const uint8_t *p, size_t len, size_t cut)
{
	size_t off = 4, next;

	while (off < len) {
		next = off + 4u + (size_t)(p[off + 2] << 8 | p[off + 3]);
		if (cut < next)
			return off + 4;
		off = next;
	}
	return len;
}

/*
 * Every prefix of every vector: cut inside an option header is
 * dhcp6_truncated, inside its body dhcp6_option_overrun (the outer
 * length is checked before the inside), at an option boundary the
 * options before it (ok, or no_server_id before the Server Identifier).
 */
static void
test_every_truncation(void **state)
{
	struct nep_dhcp6_msg m, full;
	char what[96];

	(void)state;
	for (size_t i = 0; i < DIM(prov_d6_srv_vecs); i++) {
		const struct prov_d6_srv_vec *v = &prov_d6_srv_vecs[i];

		assert_int_equal(parse_exact(v->msg, v->len, &full), 0);
		for (size_t cut = 0; cut < v->len; cut++) {
			int rc = parse_exact(v->msg, cut, &m);

			snprintf(what, sizeof(what), "%s cut at %zu", v->name,
				cut);
			if (cut < 4) {
				assert_err(rc, "dhcp6_truncated", what);
			} else if (at_boundary(v->msg, v->len, cut)) {
				if (rc != 0)
					assert_err(
						rc, "dhcp6_no_server_id", what);
				else
					assert_int_equal(m.xid, full.xid);
			} else if (cut < body_start(v->msg, v->len, cut)) {
				assert_err(rc, "dhcp6_truncated", what);
			} else {
				assert_err(rc, "dhcp6_option_overrun", what);
			}
			if (rc != 0) {
				/* Zeroed on error. */
				static const struct nep_dhcp6_msg zero;

				assert_memory_equal(&m, &zero, sizeof(m));
			}
		}
	}
}

/* Hostile messages, each with its own error. */
static void
test_malicious(void **state)
{
	struct nep_dhcp6_msg m;
	struct wmsg w, ia, sub, x;
	static const uint8_t two[2], big[NEP_DUID_MAX + 1];

	(void)state;
#define EXPECT(name) assert_err(parse_exact(w.b, w.n, &m), name, #name)

	/* Shorter than the header. */
	for (size_t n = 0; n < 4; n++)
		assert_err(parse_exact((const uint8_t[]){7, 0, 0, 1}, n, &m),
			"dhcp6_truncated", "short");

	/* Every client (and unassigned) message type. */
	for (unsigned int t = 0; t < 256; t++) {
		w_hdr(&w, (uint8_t)t, 1);
		w_sid(&w);
		if (t == NEP_DHCP6_ADVERTISE || t == NEP_DHCP6_REPLY ||
			t == NEP_DHCP6_RECONFIGURE)
			EXPECT("ok");
		else
			EXPECT("dhcp6_bad_msg_type");
	}

	/* A top-level option past the message, by one byte. */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt_len(&w, NEP_DHCP6_OPT_DNS_SERVERS, 16, big, 15);
	EXPECT("dhcp6_option_overrun");
	/* An option header cut: 3 bytes left. */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_raw(&w, "\x00\x17\x00", 3);
	EXPECT("dhcp6_truncated");

	/* Wrong lengths of known top-level options. */
	struct {
		uint16_t code, len;
	} bad_len[] = {{NEP_DHCP6_OPT_PREFERENCE, 0},
		{NEP_DHCP6_OPT_PREFERENCE, 2}, {NEP_DHCP6_OPT_STATUS_CODE, 1},
		{NEP_DHCP6_OPT_RAPID_COMMIT, 1}, {NEP_DHCP6_OPT_AUTH, 10},
		{NEP_DHCP6_OPT_RECONF_MSG, 0}, {NEP_DHCP6_OPT_RECONF_MSG, 2},
		{NEP_DHCP6_OPT_SOL_MAX_RT, 3}, {NEP_DHCP6_OPT_SOL_MAX_RT, 5},
		{NEP_DHCP6_OPT_INFO_REFRESH_TIME, 2},
		{NEP_DHCP6_OPT_DNS_SERVERS, 17}, {NEP_DHCP6_OPT_DNS_SERVERS, 8},
		{NEP_DHCP6_OPT_IA_PD, 11}, {NEP_DHCP6_OPT_IA_NA, 0}};
	for (size_t i = 0; i < DIM(bad_len); i++) {
		w_hdr(&w, NEP_DHCP6_REPLY, 1);
		w_sid(&w);
		w_opt(&w, bad_len[i].code, big, bad_len[i].len);
		EXPECT("dhcp6_bad_option");
	}

	/* DUIDs: too short, too long, empty client id. */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_opt(&w, NEP_DHCP6_OPT_SERVERID, two, 2);
	EXPECT("dhcp6_bad_duid");
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_opt(&w, NEP_DHCP6_OPT_SERVERID, big, sizeof(big));
	EXPECT("dhcp6_bad_duid");
	w_hdr(&w, NEP_DHCP6_ADVERTISE, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_CLIENTID, NULL, 0);
	EXPECT("dhcp6_bad_duid");
	/* The longest DUID is fine. */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_opt(&w, NEP_DHCP6_OPT_SERVERID, big, NEP_DUID_MAX);
	EXPECT("ok");
	assert_int_equal(m.server_id_len, NEP_DUID_MAX);

	/* No Server Identifier. */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_opt(&w, NEP_DHCP6_OPT_CLIENTID, prov_duid_c, sizeof(prov_duid_c));
	EXPECT("dhcp6_no_server_id");
	w_hdr(&w, NEP_DHCP6_ADVERTISE, 1);
	EXPECT("dhcp6_no_server_id");

	/* IA_PD sub-option running past the IA (but not the message). */
	sub.n = 0;
	w_opt_len(&sub, NEP_DHCP6_OPT_IAPREFIX, 30, big, 25);
	ia_body(&ia, &sub);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, ia.b, ia.n);
	w_raw(&w, big, 16); /* room after it: only the IA's bound breaks */
	EXPECT("dhcp6_ia_option_overrun");
	/* A sub-option header cut by the IA's end. */
	sub.n = 0;
	w_raw(&sub, "\x00\x0d", 2);
	ia_body(&ia, &sub);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, ia.b, ia.n);
	EXPECT("dhcp6_ia_option_overrun");
	/* The same in an IA_NA. */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_NA, ia.b, ia.n);
	EXPECT("dhcp6_ia_option_overrun");
	/* A Status Code inside an IA Prefix running past the IA Prefix. */
	x.n = 0;
	w_opt_len(&x, NEP_DHCP6_OPT_STATUS_CODE, 8, "\0\0abc", 5);
	sub.n = 0;
	iaprefix(&sub, 48, 25 + 5, &x);
	w_raw(&sub, big, 8); /* the IA still has room after it */
	ia_body(&ia, &sub);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, ia.b, ia.n);
	EXPECT("dhcp6_ia_option_overrun");
	/* An IA Prefix too short; a /129; a Status Code of one byte. */
	sub.n = 0;
	w_opt(&sub, NEP_DHCP6_OPT_IAPREFIX, big, 24);
	ia_body(&ia, &sub);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, ia.b, ia.n);
	EXPECT("dhcp6_bad_ia_option");
	sub.n = 0;
	iaprefix(&sub, 129, 25, NULL);
	ia_body(&ia, &sub);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, ia.b, ia.n);
	EXPECT("dhcp6_bad_prefix_len");
	sub.n = 0;
	iaprefix(&sub, 128, 25, NULL);
	ia_body(&ia, &sub);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, ia.b, ia.n);
	EXPECT("ok"); /* /128 is the longest */
	sub.n = 0;
	w_opt(&sub, NEP_DHCP6_OPT_STATUS_CODE, big, 1);
	ia_body(&ia, &sub);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, ia.b, ia.n);
	EXPECT("dhcp6_bad_ia_option");
	/* A status of one byte inside an IA Prefix. */
	x.n = 0;
	w_opt(&x, NEP_DHCP6_OPT_STATUS_CODE, big, 1);
	sub.n = 0;
	iaprefix(&sub, 48, 25 + 5, &x);
	ia_body(&ia, &sub);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, ia.b, ia.n);
	EXPECT("dhcp6_bad_ia_option");
	/* An IA Address too short. */
	sub.n = 0;
	w_opt(&sub, NEP_DHCP6_OPT_IAADDR, big, 23);
	ia_body(&ia, &sub);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_NA, ia.b, ia.n);
	EXPECT("dhcp6_bad_ia_option");

	/* A broken second IA_PD is skipped whole: only the first counts. */
	sub.n = 0;
	iaprefix(&sub, 129, 25, NULL);
	ia_body(&ia, &sub);
	ia_body(&x, NULL);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, x.b, x.n);
	w_opt(&w, NEP_DHCP6_OPT_IA_PD, ia.b, ia.n);
	EXPECT("ok");
	assert_true(m.has_pd);
	assert_int_equal(m.n_prefixes, 0);

	/* Unknown options, even huge ones, are skipped. */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_opt(&w, 0xfffe, big, sizeof(big));
	w_opt(&w, 0, NULL, 0);
	w_sid(&w);
	EXPECT("ok");

	/* SOL_MAX_RT outside 60..86400 is ignored (RFC 8415 21.24). */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_SOL_MAX_RT, "\x00\x01\x51\x81", 4);
	EXPECT("ok");
	assert_int_equal(m.sol_max_rt, 0);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_SOL_MAX_RT, "\x00\x01\x51\x80", 4);
	EXPECT("ok");
	assert_int_equal(m.sol_max_rt, 86400);
#undef EXPECT
}

/* Domain Search List decoding: bad names skipped, broken lists cut. */
static void
test_domain_list(void **state)
{
	struct nep_dhcp6_msg m;
	struct wmsg w, d;
	char long_label[64];

	(void)state;
	memset(long_label, 'a', sizeof(long_label));
	d.n = 0;
	/* clang-format off */
	w_raw(&d, "\x03" "foo\x00", 5);		/* foo */
	w_raw(&d, "\x03" "a b\x00", 5);		/* a space: skipped */
	w_raw(&d, "\x3f", 1);			/* 63 a's + .x: too long */
	w_raw(&d, long_label, 63);
	w_raw(&d, "\x01x\x00", 3);
	w_raw(&d, "\x01" "a\x02" "bc\x00", 6);	/* a.bc */
	w_raw(&d, "\xc0\x0c", 2);		/* a compression pointer */
	w_raw(&d, "\x03" "bar\x00", 5);		/* after it: not reached */
	/* clang-format on */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_DOMAIN_LIST, d.b, d.n);
	assert_err(parse_exact(w.b, w.n, &m), "ok", "domains");
	assert_int_equal(m.n_domains, 2);
	assert_string_equal(m.domains[0], "foo");
	assert_string_equal(m.domains[1], "a.bc");

	/* A name running past the option: the option ends, message kept. */
	d.n = 0;
	/* clang-format off */
	w_raw(&d, "\x03" "foo\x00\x05" "ab", 8);
	/* clang-format on */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_DOMAIN_LIST, d.b, d.n);
	w_opt(&w, NEP_DHCP6_OPT_PREFERENCE, "\x07", 1);
	assert_err(parse_exact(w.b, w.n, &m), "ok", "domains cut");
	assert_int_equal(m.n_domains, 1);
	assert_int_equal(m.preference, 7);
	/* No root label at the end. */
	d.n = 0;
	/* clang-format off */
	w_raw(&d, "\x03" "foo", 4);
	/* clang-format on */
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_DOMAIN_LIST, d.b, d.n);
	assert_err(parse_exact(w.b, w.n, &m), "ok", "no root");
	assert_int_equal(m.n_domains, 0);
	/* The longest name that fits: 63 characters. */
	d.n = 0;
	w_raw(&d, "\x3d", 1);
	w_raw(&d, long_label, 61);
	w_raw(&d, "\x01x\x00", 3);
	w_hdr(&w, NEP_DHCP6_REPLY, 1);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_DOMAIN_LIST, d.b, d.n);
	assert_err(parse_exact(w.b, w.n, &m), "ok", "63");
	assert_int_equal(m.n_domains, 1);
	assert_int_equal(strlen(m.domains[0]), 63);
}

/* First instance wins for single-valued options; DNS accumulates. */
static void
test_repeats(void **state)
{
	struct nep_dhcp6_msg m;
	struct wmsg w;
	uint8_t a[32] = {
		0x20, 0x01, [15] = 1, [16] = 0x20, [17] = 0x01, [31] = 2};

	(void)state;
	w_hdr(&w, NEP_DHCP6_ADVERTISE, 0xabcdef);
	w_sid(&w);
	w_opt(&w, NEP_DHCP6_OPT_SERVERID, prov_duid_c, sizeof(prov_duid_c));
	w_opt(&w, NEP_DHCP6_OPT_PREFERENCE, "\x05", 1);
	w_opt(&w, NEP_DHCP6_OPT_PREFERENCE, "\x09", 1);
	w_opt(&w, NEP_DHCP6_OPT_STATUS_CODE, "\x00\x02", 2);
	w_opt(&w, NEP_DHCP6_OPT_STATUS_CODE, "\x00\x00", 2);
	w_opt(&w, NEP_DHCP6_OPT_DNS_SERVERS, a, 16);
	w_opt(&w, NEP_DHCP6_OPT_DNS_SERVERS, a + 16, 16);
	w_opt(&w, NEP_DHCP6_OPT_DNS_SERVERS, NULL, 0);
	assert_err(parse_exact(w.b, w.n, &m), "ok", "repeats");
	assert_int_equal(m.xid, 0xabcdef);
	assert_memory_equal(m.server_id, prov_duid_s, sizeof(prov_duid_s));
	assert_int_equal(m.preference, 5);
	assert_int_equal(m.status, NEP_DHCP6_ST_NO_ADDRS_AVAIL);
	assert_int_equal(m.n_dns, 2);
	assert_memory_equal(m.dns[1], a + 16, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_duid_llt),
		cmocka_unit_test(test_server_golden),
		cmocka_unit_test(test_client_golden),
		cmocka_unit_test(test_solicit_by_hand),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_build_no_space),
		cmocka_unit_test(test_build_bad_requests),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_malicious),
		cmocka_unit_test(test_domain_list),
		cmocka_unit_test(test_repeats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
