/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/prov Router Advertisement / Solicitation (nep_ra.h): scapy's RAs
 * parsed and, where the struct holds all of it, neptune's build of the
 * same compared with scapy's bytes (prov_vectors.h); RS against scapy;
 * an RA checked against bytes worked out by hand from RFC 4861 / 8106;
 * round trips; every truncation; hostile messages with named errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nep_ra.h"
#include "prov_test.h"
#include "prov_vectors.h"

PROV_ASSERT_ERR(nep_ra_err_name)
PROV_PARSE_EXACT(nep_ra_parse, struct nep_ra)

#define EQ(f)                                                                  \
	do {                                                                   \
		if (got->f != want->f)                                         \
			fail_msg("%s: " #f " is %lu, want %lu", what,          \
				(unsigned long)got->f,                         \
				(unsigned long)want->f);                       \
	} while (0)

static void
ra_equal(const struct nep_ra *got, const struct nep_ra *want, const char *what)
{
	EQ(cur_hop_limit);
	EQ(managed);
	EQ(other);
	EQ(prf);
	EQ(router_lifetime);
	EQ(reachable_ms);
	EQ(retrans_ms);
	EQ(has_sllao);
	if (want->has_sllao)
		assert_bytes(got->sllao, want->sllao, 6, what);
	EQ(has_mtu);
	EQ(mtu);
	EQ(n_prefixes);
	for (unsigned int i = 0; i < want->n_prefixes; i++) {
		assert_bytes(got->prefixes[i].prefix, want->prefixes[i].prefix,
			16, what);
		EQ(prefixes[i].len);
		EQ(prefixes[i].onlink);
		EQ(prefixes[i].autonomous);
		EQ(prefixes[i].valid);
		EQ(prefixes[i].preferred);
	}
	EQ(rdnss_lifetime);
	EQ(n_rdnss);
	for (unsigned int i = 0; i < want->n_rdnss; i++)
		assert_bytes(got->rdnss[i], want->rdnss[i], 16, what);
	EQ(dnssl_lifetime);
	EQ(n_dnssl);
	for (unsigned int i = 0; i < want->n_dnssl; i++)
		if (strcmp(got->dnssl[i], want->dnssl[i]) != 0)
			fail_msg("%s: dnssl %u is %s, want %s", what, i,
				got->dnssl[i], want->dnssl[i]);
}

/* An RA header (lifetime 1800) followed by raw option bytes. */
static size_t
ra_with(uint8_t *b, const void *opts, size_t n)
{
	static const uint8_t hdr[16] = {134, 0, 0, 0, 64, 0, 0x07, 0x08};

	memcpy(b, hdr, 16);
	memcpy(b + 16, opts, n);
	return 16 + n;
}

static void
test_err_names(void **state)
{
	(void)state;
	assert_string_equal(nep_ra_err_name(0), "ok");
	assert_string_equal(nep_ra_err_name(1), "unknown");
	assert_string_equal(nep_ra_err_name(-NEP_RA_E_COUNT - 1), "unknown");
	for (int i = 1; i <= NEP_RA_E_COUNT; i++) {
		const char *n = nep_ra_err_name(-i);

		assert_int_equal(strncmp(n, "ra_", 3), 0);
		for (int j = 1; j < i; j++)
			assert_string_not_equal(n, nep_ra_err_name(-j));
	}
	assert_string_equal(
		nep_ra_err_name(NEP_RA_E_BAD_OPTION), "ra_bad_option");
}

static void
test_golden(void **state)
{
	uint8_t buf[1024];
	struct nep_ra ra;
	int n;

	(void)state;
	for (size_t i = 0; i < DIM(prov_ra_vecs); i++) {
		const struct prov_ra_vec *v = &prov_ra_vecs[i];

		assert_err(parse_exact(v->msg, v->len, &ra), "ok", v->name);
		ra_equal(&ra, &v->want, v->name);
		if (!v->build)
			continue;
		memset(buf, 0xee, sizeof(buf));
		n = nep_ra_build(&v->want, buf, sizeof(buf));
		if (n != (int)v->len)
			fail_msg("%s: built %d bytes, want %zu (%s)", v->name,
				n, v->len, nep_ra_err_name(n));
		assert_bytes(buf, v->msg, v->len, v->name);
		assert_int_equal(buf[n], 0xee);
	}
}

static void
test_rs(void **state)
{
	uint8_t buf[64], mac[6];
	bool has;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(nep_rs_build(prov_mac_c, buf, sizeof(buf)),
		sizeof(prov_rs_sllao));
	assert_bytes(buf, prov_rs_sllao, sizeof(prov_rs_sllao), "rs sllao");
	assert_int_equal(buf[sizeof(prov_rs_sllao)], 0xee);
	assert_int_equal(
		nep_rs_build(NULL, buf, sizeof(buf)), sizeof(prov_rs_bare));
	assert_bytes(buf, prov_rs_bare, sizeof(prov_rs_bare), "rs bare");
	for (size_t cap = 0; cap < 16; cap++)
		assert_err(nep_rs_build(prov_mac_c, buf, cap),
			"ra_build_no_space", "rs cap");
	for (size_t cap = 0; cap < 8; cap++)
		assert_err(nep_rs_build(NULL, buf, cap), "ra_build_no_space",
			"rs bare cap");

	assert_err(
		nep_rs_parse(prov_rs_sllao, sizeof(prov_rs_sllao), &has, mac),
		"ok", "rs parse");
	assert_true(has);
	assert_memory_equal(mac, prov_mac_c, 6);
	assert_err(nep_rs_parse(prov_rs_bare, sizeof(prov_rs_bare), &has, mac),
		"ok", "rs bare parse");
	assert_false(has);
	for (size_t cut = 0; cut < sizeof(prov_rs_sllao); cut++)
		assert_err(nep_rs_parse(prov_rs_sllao, cut, &has, mac),
			cut < 8	   ? "ra_truncated"
			: cut == 8 ? "ok"
			: cut == 9 ? "ra_truncated"
				   : "ra_option_overrun",
			"rs cut");
	memcpy(buf, prov_rs_sllao, 16);
	buf[9] = 0;
	assert_err(nep_rs_parse(buf, 16, &has, mac), "ra_zero_length_option",
		"rs zero");
	assert_false(has);
	buf[9] = 1;
	buf[0] = 134;
	assert_err(nep_rs_parse(buf, 16, &has, mac), "ra_bad_type", "rs type");
	buf[0] = 133;
	buf[1] = 1;
	assert_err(nep_rs_parse(buf, 16, &has, mac), "ra_bad_code", "rs code");
}

/*
 * An RA by hand (RFC 4861 4.2, 4.6.1, 4.6.2, 4.6.4; RFC 4191 2.2; RFC
 * 8106 5.1, 5.2): every field and option.
 */
static void
test_ra_by_hand(void **state)
{
	/* clang-format off */
	static const uint8_t want[] = {
		134, 0, 0, 0,		/* type, code, checksum */
		64, 0xc0 | 0x08,	/* hop limit; M, O, prf high */
		0x07, 0x08,		/* router lifetime 1800 */
		0, 0, 0x75, 0x30,	/* reachable 30000 */
		0, 0, 0x03, 0xe8,	/* retrans 1000 */
		1, 1, 2, 0, 0, 0, 0, 9, /* SLLAO */
		5, 1, 0, 0, 0, 0, 0x05, 0xdc, /* MTU 1500 */
		3, 4, 48, 0x80,		/* Prefix: /48, L */
		0, 0, 0x0e, 0x10,	/* valid 3600 */
		0, 0, 0x07, 0x08,	/* preferred 1800 */
		0, 0, 0, 0,		/* reserved */
		0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0, 0, /* host bits gone */
		0, 0, 0, 0, 0, 0, 0, 0,
		25, 3, 0, 0, 0xff, 0xff, 0xff, 0xff, /* RDNSS, infinite */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
		31, 3, 0, 0, 0, 0, 0x02, 0x58, /* DNSSL 600, 3 units */
		3, 'l', 'a', 'n', 2, 'e', 'x', 0, /* "lan.ex." */
		1, 'x', 0, 0, 0, 0, 0, 0};	  /* "x", padding */
	/* clang-format on */
	struct nep_ra ra = {.cur_hop_limit = 64,
		.managed = true,
		.other = true,
		.prf = NEP_RA_PRF_HIGH,
		.router_lifetime = 1800,
		.reachable_ms = 30000,
		.retrans_ms = 1000,
		.has_sllao = true,
		.sllao = {2, 0, 0, 0, 0, 9},
		.has_mtu = true,
		.mtu = 1500,
		.n_prefixes = 1,
		.prefixes = {{.prefix = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34,
				      0xff, [15] = 1},
			.len = 48,
			.onlink = true,
			.valid = 3600,
			.preferred = 1800}},
		.rdnss_lifetime = 0xffffffff,
		.n_rdnss = 1,
		.rdnss = {{0x20, 0x01, 0x0d, 0xb8, [15] = 0x53}},
		.dnssl_lifetime = 600,
		.n_dnssl = 2,
		.dnssl = {"lan.ex.", "x"}};
	struct nep_ra back;
	uint8_t buf[256];

	(void)state;
	assert_int_equal(nep_ra_build(&ra, buf, sizeof(buf)), sizeof(want));
	assert_bytes(buf, want, sizeof(want), "ra");
	/* And back: the host bits and the trailing dot are gone. */
	assert_err(parse_exact(buf, sizeof(want), &back), "ok", "ra back");
	memset(ra.prefixes[0].prefix + 6, 0, 10);
	strcpy(ra.dnssl[0], "lan.ex");
	ra_equal(&back, &ra, "ra back");
}

/* Round trips of assorted structs through build and parse. */
static void
test_round_trip(void **state)
{
	struct nep_ra ra, back;
	uint8_t buf[1024];
	int n;

	(void)state;
	for (unsigned int k = 0; k < 64; k++) {
		memset(&ra, 0, sizeof(ra));
		ra.cur_hop_limit = (uint8_t)(k * 37);
		ra.managed = k & 1;
		ra.other = k & 2;
		ra.prf = (k % 3 == 0) ? 0 : (k % 3 == 1) ? 1 : 3;
		ra.router_lifetime = (uint16_t)(k * 1000);
		ra.reachable_ms = k * 12345u;
		ra.retrans_ms = k;
		ra.has_sllao = k & 4;
		ra.sllao[5] = (uint8_t)k;
		ra.has_mtu = k & 8;
		ra.mtu = ra.has_mtu ? 1280 + k : 0;
		ra.n_prefixes = k % (NEP_RA_MAX_PREFIXES + 1);
		for (unsigned int i = 0; i < ra.n_prefixes; i++) {
			struct nep_ra_prefix *x = &ra.prefixes[i];

			x->len = (uint8_t)((k * 7 + i * 13) % 129);
			for (unsigned int b = 0; b < 16; b++)
				x->prefix[b] = (uint8_t)(k + i + b);
			x->onlink = i & 1;
			x->autonomous = i & 2;
			x->valid = k * 100 + i;
			x->preferred = k * 50 + i;
		}
		ra.n_rdnss = k % (NEP_RA_MAX_RDNSS + 1);
		ra.rdnss_lifetime = ra.n_rdnss ? k * 3 : 0;
		for (unsigned int i = 0; i < ra.n_rdnss; i++)
			ra.rdnss[i][15] = (uint8_t)(i + 1);
		ra.n_dnssl = (k / 5) % (NEP_RA_MAX_DNSSL + 1);
		ra.dnssl_lifetime = ra.n_dnssl ? k * 4 : 0;
		for (unsigned int i = 0; i < ra.n_dnssl; i++)
			snprintf(ra.dnssl[i], sizeof(ra.dnssl[i]),
				"n%u.site-%u.example", i, k);
		n = nep_ra_build(&ra, buf, sizeof(buf));
		assert_true(n >= 16 && n % 8 == 0);
		assert_err(parse_exact(buf, (size_t)n, &back), "ok", "rt");
		/* The parser clears the host bits the builder masked. */
		for (unsigned int i = 0; i < ra.n_prefixes; i++) {
			struct nep_ra_prefix *x = &ra.prefixes[i];

			for (unsigned int b = 0; b < 16; b++) {
				if (x->len >= 8 * (b + 1))
					continue;
				x->prefix[b] =
					x->len <= 8 * b
						? 0
						: (uint8_t)(x->prefix[b] &
							    (0xff << (8 * (b + 1) -
								      x->len)));
			}
		}
		ra_equal(&back, &ra, "round trip");
		/* Too small a buffer: the named error, nothing past cap. */
		for (int cap = 0; cap < n; cap++) {
			memset(buf, 0xee, sizeof(buf));
			assert_err(nep_ra_build(&ra, buf, (size_t)cap),
				"ra_build_no_space", "cap");
			for (size_t j = (size_t)cap; j < sizeof(buf); j++)
				assert_int_equal(buf[j], 0xee);
		}
	}
}

static void
test_build_bad_requests(void **state)
{
	struct nep_ra ra;
	uint8_t buf[1024];

	(void)state;
#define BAD(what, stmt)                                                        \
	do {                                                                   \
		memset(&ra, 0, sizeof(ra));                                    \
		stmt;                                                          \
		assert_err(nep_ra_build(&ra, buf, sizeof(buf)),                \
			"ra_build_bad_request", what);                         \
	} while (0)
	BAD("prf 2", ra.prf = 2);
	BAD("prf 4", ra.prf = 4);
	BAD("9 prefixes", ra.n_prefixes = 9);
	BAD("5 rdnss", ra.n_rdnss = 5);
	BAD("5 dnssl", ra.n_dnssl = 5);
	BAD("prefix /129", (ra.n_prefixes = 1, ra.prefixes[0].len = 129));
	BAD("empty name", ra.n_dnssl = 1);
	BAD("empty label", (ra.n_dnssl = 1, strcpy(ra.dnssl[0], "a..b")));
	BAD("leading dot", (ra.n_dnssl = 1, strcpy(ra.dnssl[0], ".a")));
	BAD("two trailing dots", (ra.n_dnssl = 1, strcpy(ra.dnssl[0], "a..")));
	BAD("just a dot", (ra.n_dnssl = 1, strcpy(ra.dnssl[0], ".")));
	BAD("unterminated",
		(ra.n_dnssl = 1, memset(ra.dnssl[0], 'a', NEP_PROV_NAME_MAX)));
	/* A 63-character label is fine; the name's slot holds at most 63. */
	memset(&ra, 0, sizeof(ra));
	ra.n_dnssl = 1;
	memset(ra.dnssl[0], 'a', 63);
	assert_int_equal(nep_ra_build(&ra, buf, sizeof(buf)), 16 + 8 + 72);
#undef BAD
}

/*
 * Every prefix of every vector: under 16 bytes ra_truncated; at an
 * option boundary ok; one byte into an option ra_truncated; further
 * ra_option_overrun (its length byte says more than is left).
 */
static void
test_every_truncation(void **state)
{
	struct nep_ra ra;
	char what[96];

	(void)state;
	for (size_t i = 0; i < DIM(prov_ra_vecs); i++) {
		const struct prov_ra_vec *v = &prov_ra_vecs[i];
		size_t start = 16;

		for (size_t cut = 0; cut < v->len; cut++) {
			const char *want;
			int rc;

			if (start + 1 < v->len &&
				cut >= start + 8u * v->msg[start + 1])
				start += 8u * v->msg[start + 1];
			if (cut < 16)
				want = "ra_truncated";
			else if (cut == start)
				want = "ok";
			else if (cut == start + 1)
				want = "ra_truncated";
			else
				want = "ra_option_overrun";
			snprintf(what, sizeof(what), "%s cut at %zu", v->name,
				cut);
			rc = parse_exact(v->msg, cut, &ra);
			assert_err(rc, want, what);
			if (rc != 0) {
				static const struct nep_ra zero;

				assert_memory_equal(&ra, &zero, sizeof(ra));
			}
		}
	}
}

static void
test_malicious(void **state)
{
	struct nep_ra ra;
	uint8_t b[512];
	size_t n;

	(void)state;
#define EXPECT(opts, name)                                                     \
	do {                                                                   \
		n = ra_with(b, opts, sizeof(opts) - 1);                        \
		assert_err(parse_exact(b, n, &ra), name, #opts);               \
	} while (0)
	EXPECT("", "ok");
	EXPECT("\x01\x00\x02\x00\x00\x00\x00\x01", "ra_zero_length_option");
	EXPECT("\xfe\x00", "ra_zero_length_option"); /* unknown, still */
	/* A zero length after a good option, and before one. */
	EXPECT("\x01\x01\x02\x00\x00\x00\x00\x01\x05\x00",
		"ra_zero_length_option");
	EXPECT("\x01\x02\x02\x00\x00\x00\x00\x01", "ra_option_overrun");
	EXPECT("\x01", "ra_truncated");
	EXPECT("\x01\x01\x02\x00\x00\x00\x00\x01\x03", "ra_truncated");
	/* Known options of a wrong length. */
	EXPECT("\x05\x02\0\0\0\0\x05\xdc\0\0\0\0\0\0\0\0", "ra_bad_option");
	EXPECT("\x03\x03\x40\xc0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
		"ra_bad_option");
	EXPECT("\x19\x01\0\0\0\0\0\0", "ra_bad_option"); /* RDNSS 1 */
	EXPECT("\x19\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "ra_bad_option");
	EXPECT("\x19\x04\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	       "\0\0\0\0",
		"ra_bad_option"); /* RDNSS of 4 units: half an address */
	EXPECT("\x1f\x01\0\0\0\0\0\0", "ra_bad_option"); /* DNSSL 1 */
	/* Prefix length over 128; 128 is fine. */
	EXPECT("\x03\x04\x81\xc0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	       "\0\0\0\0\0\0\0",
		"ra_bad_prefix_len");
	EXPECT("\x03\x04\x80\xc0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	       "\0\0\0\0\0\0\0",
		"ok");
	/* A DNSSL with a compression pointer: the names before it kept. */
	EXPECT("\x1f\x02\0\0\0\0\0\x10\x01\x61\0\xc0\x0c\0\0\0", "ok");
	assert_int_equal(ra.n_dnssl, 1);
	assert_string_equal(ra.dnssl[0], "a");
	assert_int_equal(ra.dnssl_lifetime, 16);
	/* An SLLAO longer than Ethernet's: the first 6 bytes. */
	EXPECT("\x01\x02\x02\0\0\0\0\x07\0\0\0\0\0\0\0\0", "ok");
	assert_true(ra.has_sllao);
	assert_int_equal(ra.sllao[5], 7);
#undef EXPECT
	/* Header: length, type, code. */
	n = ra_with(b, "", 0);
	for (size_t cut = 0; cut < 16; cut++)
		assert_err(parse_exact(b, cut, &ra), "ra_truncated", "short");
	b[0] = 133;
	assert_err(parse_exact(b, n, &ra), "ra_bad_type", "type 133");
	b[0] = 135;
	assert_err(parse_exact(b, n, &ra), "ra_bad_type", "type 135");
	b[0] = 134;
	b[1] = 1;
	assert_err(parse_exact(b, n, &ra), "ra_bad_code", "code 1");
	/* Reserved preference read as medium; other flag bits ignored. */
	b[1] = 0;
	b[5] = 0x10 | 0x20 | 0x04;
	assert_err(parse_exact(b, n, &ra), "ok", "prf 2");
	assert_int_equal(ra.prf, NEP_RA_PRF_MEDIUM);
	assert_false(ra.managed);
	b[5] = 0x18;
	assert_err(parse_exact(b, n, &ra), "ok", "prf 3");
	assert_int_equal(ra.prf, NEP_RA_PRF_LOW);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_rs),
		cmocka_unit_test(test_ra_by_hand),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_build_bad_requests),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_malicious),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
