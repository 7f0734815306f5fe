/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/prov DHCPv4 (nep_dhcp4.h): scapy's Offer / Ack / Nak parsed
 * (prov_vectors.h), neptune's client messages compared with scapy's
 * bytes, a Discover checked against bytes worked out by hand from RFC
 * 2131 / 2132, every truncation, and hostile messages with their named
 * errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nep_dhcp4.h"
#include "prov_test.h"
#include "prov_vectors.h"

PROV_ASSERT_ERR(nep_dhcp4_err_name)
PROV_PARSE_EXACT(nep_dhcp4_parse, struct nep_dhcp4_msg)

#define EQ(f)                                                                  \
	do {                                                                   \
		if (got->f != want->f)                                         \
			fail_msg("%s: " #f " is 0x%lx, want 0x%lx", what,      \
				(unsigned long)got->f,                         \
				(unsigned long)want->f);                       \
	} while (0)

static void
msg_equal(const struct nep_dhcp4_msg *got, const struct nep_dhcp4_msg *want,
	const char *what)
{
	EQ(op);
	EQ(type);
	EQ(xid);
	EQ(flags);
	assert_bytes(got->chaddr, want->chaddr, 6, what);
	EQ(ciaddr);
	EQ(yiaddr);
	EQ(siaddr);
	EQ(giaddr);
	EQ(has_server_id);
	EQ(server_id);
	EQ(has_mask);
	EQ(mask);
	EQ(has_router);
	EQ(router);
	EQ(lease_s);
	EQ(t1_s);
	EQ(t2_s);
	EQ(has_mtu);
	EQ(mtu);
	EQ(n_dns);
	for (unsigned int i = 0; i < want->n_dns; i++)
		EQ(dns[i]);
}

/* ---- a test-local server message writer ---- */

struct wmsg {
	uint8_t b[1024];
	size_t n;
};

/* BOOTREPLY header + cookie, then message type t (0: none). */
static void
w_reply(struct wmsg *w, uint8_t t)
{
	memset(w->b, 0, sizeof(w->b));
	w->b[0] = 2;
	w->b[1] = 1;
	w->b[2] = 6;
	w->b[4] = 0xca;
	w->b[7] = 0xfe;
	memcpy(w->b + 28, prov_mac_c, 6);
	memcpy(w->b + 236, "\x63\x82\x53\x63", 4);
	w->n = 240;
	if (t != 0) {
		memcpy(w->b + w->n, (uint8_t[]){53, 1, t}, 3);
		w->n += 3;
	}
}

static void
w_raw(struct wmsg *w, const void *v, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, v, n);
	w->n += n;
}

static void
w_opt(struct wmsg *w, uint8_t code, const void *v, uint8_t len)
{
	w_raw(w, &code, 1);
	w_raw(w, &len, 1);
	w_raw(w, v, len);
}

/* ---- tests ---- */

static void
test_err_names(void **state)
{
	(void)state;
	assert_string_equal(nep_dhcp4_err_name(0), "ok");
	assert_string_equal(nep_dhcp4_err_name(1), "unknown");
	assert_string_equal(
		nep_dhcp4_err_name(-NEP_DHCP4_E_COUNT - 1), "unknown");
	for (int i = 1; i <= NEP_DHCP4_E_COUNT; i++) {
		const char *n = nep_dhcp4_err_name(-i);

		assert_int_equal(strncmp(n, "dhcp4_", 6), 0);
		for (int j = 1; j < i; j++)
			assert_string_not_equal(n, nep_dhcp4_err_name(-j));
	}
	assert_string_equal(
		nep_dhcp4_err_name(NEP_DHCP4_E_BAD_MAGIC), "dhcp4_bad_magic");
}

static void
test_server_golden(void **state)
{
	struct nep_dhcp4_msg m;

	(void)state;
	for (size_t i = 0; i < DIM(prov_d4_srv_vecs); i++) {
		const struct prov_d4_srv_vec *v = &prov_d4_srv_vecs[i];

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
	for (size_t i = 0; i < DIM(prov_d4_cli_vecs); i++) {
		const struct prov_d4_cli_vec *v = &prov_d4_cli_vecs[i];

		memset(buf, 0xee, sizeof(buf));
		n = nep_dhcp4_build(&v->req, buf, sizeof(buf));
		if (n != (int)v->len)
			fail_msg("%s: length %d, want %zu (%s)", v->name, n,
				v->len, nep_dhcp4_err_name(n));
		assert_bytes(buf, v->want, v->len, v->name);
		assert_int_equal(buf[n], 0xee);
	}
}

/* A Discover by hand: RFC 2131 2 (header), 3.5, RFC 2132 3.14 ... 9.14. */
static void
test_discover_by_hand(void **state)
{
	static const uint8_t cid[] = {0xff, 0, 0, 0, 1, 0, 2};
	const struct nep_dhcp4_req r = {.type = NEP_DHCP4_DISCOVER,
		.xid = 0xa1b2c3d4,
		.secs = 0x0102,
		.broadcast = true,
		.chaddr = {0x02, 0, 0, 0, 0xaa, 0x01},
		.requested_ip = 0xc0000217, /* 192.0.2.23 */
		.client_id = cid,
		.client_id_len = sizeof(cid),
		.hostname = "nep"};
	/* clang-format off */
	static const uint8_t opts[] = {
		0x63, 0x82, 0x53, 0x63,			  /* magic cookie */
		53, 1, 1,				  /* DHCPDISCOVER */
		61, 7, 0xff, 0, 0, 0, 1, 0, 2,		  /* client id */
		50, 4, 192, 0, 2, 23,			  /* requested IP */
		12, 3, 'n', 'e', 'p',			  /* host name */
		55, 7, 1, 3, 6, 51, 58, 59, 26,		  /* parameters */
		255};					  /* end */
	/* clang-format on */
	uint8_t buf[400], zero[300] = {0};
	size_t olen = sizeof(opts);

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(nep_dhcp4_build(&r, buf, sizeof(buf)), 300);
	assert_bytes(buf,
		(const uint8_t[]){1, 1, 6, 0, 0xa1, 0xb2, 0xc3, 0xd4, 0x01,
			0x02, 0x80, 0x00},
		12, "op..flags");
	assert_bytes(buf + 12, zero, 16, "ciaddr..giaddr");
	assert_bytes(buf + 28, r.chaddr, 6, "chaddr");
	assert_bytes(buf + 34, zero, 236 - 34, "chaddr pad, sname, file");
	assert_bytes(buf + 236, opts, olen, "options");
	assert_bytes(buf + 236 + olen, zero, 300 - 236 - olen, "padding");
	assert_int_equal(buf[300], 0xee);
}

/* A long message is not padded; the end option is always written. */
static void
test_long_message(void **state)
{
	char host[256];
	struct nep_dhcp4_req r = {.type = NEP_DHCP4_REQUEST, .hostname = host};
	uint8_t buf[600];
	int n;

	(void)state;
	memset(host, 'h', 255);
	host[255] = '\0';
	n = nep_dhcp4_build(&r, buf, sizeof(buf));
	assert_int_equal(n, 240 + 3 + 2 + 255 + 9 + 1);
	assert_int_equal(buf[n - 1], 255);
	assert_int_equal(buf[243], 12);
	assert_int_equal(buf[244], 255);
}

/*
 * Round trip: a built client message with op turned to BOOTREPLY and
 * its type to Ack parses back to its header fields and Server
 * Identifier.
 */
static void
test_round_trip(void **state)
{
	struct nep_dhcp4_msg m;
	uint8_t buf[1024];
	int n;

	(void)state;
	for (size_t i = 0; i < DIM(prov_d4_cli_vecs); i++) {
		const struct prov_d4_cli_vec *v = &prov_d4_cli_vecs[i];

		n = nep_dhcp4_build(&v->req, buf, sizeof(buf));
		assert_true(n >= 300);
		buf[0] = 2;
		assert_int_equal(buf[240], 53);
		buf[242] = NEP_DHCP4_ACK;
		assert_err(nep_dhcp4_parse(buf, (size_t)n, &m), "ok", v->name);
		assert_int_equal(m.xid, v->req.xid);
		assert_int_equal(m.flags,
			v->req.broadcast ? NEP_DHCP4_FLAG_BROADCAST : 0);
		assert_memory_equal(m.chaddr, v->req.chaddr, 6);
		assert_int_equal(m.ciaddr, v->req.ciaddr);
		assert_int_equal(m.has_server_id, v->req.server_id != 0);
		assert_int_equal(m.server_id, v->req.server_id);
	}
}

static void
test_build_no_space(void **state)
{
	uint8_t buf[1024];
	int full, n;

	(void)state;
	for (size_t i = 0; i < DIM(prov_d4_cli_vecs); i++) {
		const struct prov_d4_cli_vec *v = &prov_d4_cli_vecs[i];

		full = nep_dhcp4_build(&v->req, buf, sizeof(buf));
		for (int cap = 0; cap < full; cap++) {
			memset(buf, 0xee, sizeof(buf));
			n = nep_dhcp4_build(&v->req, buf, (size_t)cap);
			assert_err(n, "dhcp4_build_no_space", v->name);
			for (size_t j = (size_t)cap; j < sizeof(buf); j++)
				assert_int_equal(buf[j], 0xee);
		}
	}
}

static void
test_build_bad_requests(void **state)
{
	char host[257];
	struct nep_dhcp4_req r;
	uint8_t buf[600];
	static const uint8_t bad_types[] = {
		0, NEP_DHCP4_OFFER, NEP_DHCP4_ACK, NEP_DHCP4_NAK, 9, 255};

	(void)state;
	for (size_t i = 0; i < sizeof(bad_types); i++) {
		r = (struct nep_dhcp4_req){.type = bad_types[i]};
		assert_err(nep_dhcp4_build(&r, buf, sizeof(buf)),
			"dhcp4_build_bad_request", "type");
	}
	r = (struct nep_dhcp4_req){.type = NEP_DHCP4_DISCOVER,
		.client_id = prov_d4_client_id,
		.client_id_len = 1};
	assert_err(nep_dhcp4_build(&r, buf, sizeof(buf)),
		"dhcp4_build_bad_request", "client id of 1");
	r = (struct nep_dhcp4_req){.type = NEP_DHCP4_DISCOVER, .hostname = ""};
	assert_err(nep_dhcp4_build(&r, buf, sizeof(buf)),
		"dhcp4_build_bad_request", "empty host name");
	memset(host, 'h', 256);
	host[256] = '\0';
	r.hostname = host;
	assert_err(nep_dhcp4_build(&r, buf, sizeof(buf)),
		"dhcp4_build_bad_request", "host name of 256");
}

/*
 * Every prefix of every vector: under 240 bytes dhcp4_truncated; else
 * the parse either fails with a named error or gives a message whose
 * fields are the full message's (the options cut off simply missing).
 */
static void
test_every_truncation(void **state)
{
	struct nep_dhcp4_msg m, full;
	char what[96];

	(void)state;
	for (size_t i = 0; i < DIM(prov_d4_srv_vecs); i++) {
		const struct prov_d4_srv_vec *v = &prov_d4_srv_vecs[i];

		assert_int_equal(parse_exact(v->msg, v->len, &full), 0);
		for (size_t cut = 0; cut < v->len; cut++) {
			int rc = parse_exact(v->msg, cut, &m);

			snprintf(what, sizeof(what), "%s cut at %zu", v->name,
				cut);
			if (cut < 240) {
				assert_err(rc, "dhcp4_truncated", what);
				continue;
			}
			if (rc != 0) {
				static const struct nep_dhcp4_msg zero;

				assert_string_not_equal(
					nep_dhcp4_err_name(rc), "unknown");
				assert_memory_equal(&m, &zero, sizeof(m));
				continue;
			}
			assert_int_equal(m.type, full.type);
			assert_int_equal(m.xid, full.xid);
			assert_int_equal(m.yiaddr, full.yiaddr);
			if (m.has_server_id)
				assert_int_equal(m.server_id, full.server_id);
			if (m.has_mask)
				assert_int_equal(m.mask, full.mask);
			if (m.has_router)
				assert_int_equal(m.router, full.router);
			if (m.lease_s)
				assert_int_equal(m.lease_s, full.lease_s);
			if (m.has_mtu)
				assert_int_equal(m.mtu, full.mtu);
			/* With overload, a cut options field can put the file
			 * field's servers first: each must be one of full's. */
			assert_true(m.n_dns <= full.n_dns);
			for (unsigned int j = 0; j < m.n_dns; j++) {
				unsigned int k = 0;

				while (k < full.n_dns &&
					full.dns[k] != m.dns[j])
					k++;
				assert_true(k < full.n_dns);
			}
		}
	}
}

static void
test_malicious(void **state)
{
	struct nep_dhcp4_msg m;
	struct wmsg w;
	static const uint8_t z[8];

	(void)state;
#define EXPECT(name) assert_err(parse_exact(w.b, w.n, &m), name, #name)
	w_reply(&w, NEP_DHCP4_ACK);
	EXPECT("ok"); /* no End: tolerated */
	w.n = 239;
	EXPECT("dhcp4_truncated");
	w_reply(&w, NEP_DHCP4_ACK);
	w.b[0] = 1;
	EXPECT("dhcp4_not_bootreply");
	w.b[0] = 3;
	EXPECT("dhcp4_not_bootreply");
	w_reply(&w, NEP_DHCP4_ACK);
	w.b[239] = 0x64;
	EXPECT("dhcp4_bad_magic");
	/* Message types a server does not send, and none at all. */
	for (unsigned int t = 1; t < 256; t++) {
		w_reply(&w, (uint8_t)t);
		if (t == NEP_DHCP4_OFFER || t == NEP_DHCP4_ACK ||
			t == NEP_DHCP4_NAK)
			EXPECT("ok");
		else
			EXPECT("dhcp4_bad_msg_type");
	}
	w_reply(&w, 0);
	w_raw(&w, "\xff", 1);
	EXPECT("dhcp4_no_msg_type");
	/* Options past the end: the length byte, then the body. */
	w_reply(&w, NEP_DHCP4_ACK);
	w_raw(&w, "\x01", 1);
	EXPECT("dhcp4_option_overrun");
	w_reply(&w, NEP_DHCP4_ACK);
	w_raw(&w, "\x01\x04\xff\xff\xff", 5);
	EXPECT("dhcp4_option_overrun");
	w_reply(&w, NEP_DHCP4_ACK);
	w_raw(&w, "\xfe\x02\x00", 3); /* unknown, but still bounded */
	EXPECT("dhcp4_option_overrun");
	/* Pad bytes and unknown options are skipped; after End, nothing. */
	w_reply(&w, NEP_DHCP4_ACK);
	w_raw(&w, "\x00\x00\xfe\x02\x01\x02\x00\xff\x01\x09", 10);
	EXPECT("ok");
	/* Wrong lengths of known options. */
	struct {
		uint8_t code, len;
	} bad_len[] = {{NEP_DHCP4_OPT_SUBNET_MASK, 3},
		{NEP_DHCP4_OPT_SUBNET_MASK, 5}, {NEP_DHCP4_OPT_ROUTER, 0},
		{NEP_DHCP4_OPT_ROUTER, 6}, {NEP_DHCP4_OPT_DNS, 3},
		{NEP_DHCP4_OPT_SERVER_ID, 2}, {NEP_DHCP4_OPT_LEASE_TIME, 8},
		{NEP_DHCP4_OPT_T1, 0}, {NEP_DHCP4_OPT_T2, 1},
		{NEP_DHCP4_OPT_MTU, 4}, {NEP_DHCP4_OPT_MSG_TYPE, 2},
		{NEP_DHCP4_OPT_OVERLOAD, 2}};
	for (size_t i = 0; i < DIM(bad_len); i++) {
		w_reply(&w, NEP_DHCP4_ACK);
		w_opt(&w, bad_len[i].code, z, bad_len[i].len);
		EXPECT("dhcp4_bad_option");
	}
	/* Overload values 0 and 4. */
	w_reply(&w, NEP_DHCP4_ACK);
	w_opt(&w, NEP_DHCP4_OPT_OVERLOAD, "\x04", 1);
	EXPECT("dhcp4_bad_option");
	w_reply(&w, NEP_DHCP4_ACK);
	w_opt(&w, NEP_DHCP4_OPT_OVERLOAD, "\x00", 1);
	EXPECT("dhcp4_bad_option");
	/* An overloaded file field whose option runs past the field. */
	w_reply(&w, NEP_DHCP4_ACK);
	w_opt(&w, NEP_DHCP4_OPT_OVERLOAD, "\x01", 1);
	memset(w.b + 108, 0, 128);
	w.b[108 + 126] = NEP_DHCP4_OPT_DNS;
	w.b[108 + 127] = 4;
	EXPECT("dhcp4_option_overrun");
	/* Without the overload option the same file field is not read. */
	w_reply(&w, NEP_DHCP4_ACK);
	w.b[108 + 126] = NEP_DHCP4_OPT_DNS;
	w.b[108 + 127] = 4;
	EXPECT("ok");
	/* The message type may come from an overloaded sname field. */
	w_reply(&w, 0);
	w_opt(&w, NEP_DHCP4_OPT_OVERLOAD, "\x02", 1);
	memcpy(w.b + 44, "\x35\x01\x02\xff", 4);
	EXPECT("ok");
	assert_int_equal(m.type, NEP_DHCP4_OFFER);
	/* Option 52 inside an overloaded field is ignored, not followed. */
	w_reply(&w, NEP_DHCP4_ACK);
	w_opt(&w, NEP_DHCP4_OPT_OVERLOAD, "\x01", 1);
	memcpy(w.b + 108, "\x34\x01\x02\x01\x04\xff\xff\x00\x00\xff", 10);
	memcpy(w.b + 44, "\x01\x09", 2); /* sname: broken, never read */
	EXPECT("ok");
	assert_true(m.has_mask);
	assert_int_equal(m.mask, 0xffff0000);
	/* An MTU under 68 is ignored; 68 kept. */
	w_reply(&w, NEP_DHCP4_ACK);
	w_opt(&w, NEP_DHCP4_OPT_MTU, "\x00\x43", 2);
	EXPECT("ok");
	assert_false(m.has_mtu);
	w_reply(&w, NEP_DHCP4_ACK);
	w_opt(&w, NEP_DHCP4_OPT_MTU, "\x00\x43", 2);
	w_opt(&w, NEP_DHCP4_OPT_MTU, "\x00\x44", 2);
	EXPECT("ok");
	assert_int_equal(m.mtu, 68);
	/* First instance of single-valued options wins. */
	w_reply(&w, NEP_DHCP4_ACK);
	w_opt(&w, NEP_DHCP4_OPT_MSG_TYPE, "\x06", 1);
	w_opt(&w, NEP_DHCP4_OPT_SERVER_ID, "\x01\x02\x03\x04", 4);
	w_opt(&w, NEP_DHCP4_OPT_SERVER_ID, "\x05\x06\x07\x08", 4);
	EXPECT("ok");
	assert_int_equal(m.type, NEP_DHCP4_ACK);
	assert_int_equal(m.server_id, 0x01020304);
#undef EXPECT
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_server_golden),
		cmocka_unit_test(test_client_golden),
		cmocka_unit_test(test_discover_by_hand),
		cmocka_unit_test(test_long_message),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_build_no_space),
		cmocka_unit_test(test_build_bad_requests),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_malicious),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
