/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reproducers of the bugs the fuzz targets (tests/fuzz) found, one test
 * each, named after the target and the function; docs/reliability.md
 * ("Fuzzing") lists them.
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nep_config.h"
#include "nep_mgmt.h"
#include "nep_nat44.h"
#include "nep_pkt.h"

/*
 * fuzz_cli: nep_dispatch_line() of an abbreviated line ("rel" for
 * reload) leaked the 3 KB keyword list of every full-length candidate
 * (expand_at() in lib/mgmt/nep_cmd.c allocated it before its early
 * returns). 200 such lines must not grow the heap.
 */
static void
cli_abbreviation_does_not_leak(void **state)
{
	struct nep_dispatch d;
	struct nep_buf r;
	size_t before, after;

	(void)state;
	memset(&d, 0, sizeof(d));
	nep_buf_init(&r);
	nep_dispatch_line(&d, "rel", &r); /* first use: buffers grow */
	before = mallinfo2().uordblks;
	for (int i = 0; i < 200; i++)
		nep_dispatch_line(&d, "rel", &r);
	after = mallinfo2().uordblks;
	nep_buf_free(&r);
	assert_true(after < before + 64 * 1024);
}

/*
 * fuzz_icmp: nep_icmp4_echo_to_reply() of an echo request whose other
 * words are all zero (identifier 0, sequence 0, no payload) wrote the
 * checksum 0x0000: the incremental update (RFC 1624 eqn. 3) gives -0
 * where a full computation gives 0xffff, and receivers (Linux among
 * them) reject it. The reply must verify: its words sum to 0xffff.
 */
static void
icmp4_echo_reply_checksum_verifies(void **state)
{
	uint8_t p[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 192, 0, 2, 10,
		192, 0, 2, 1, 8, 0, 0xf7, 0xff, 0, 0, 0,
		0}; /* request, checksum right */
	uint32_t s = 0;

	(void)state;
	nep_icmp4_echo_to_reply(p, sizeof(p));
	assert_int_equal(p[20], 0);
	for (int i = 20; i < 28; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	assert_int_equal(s, 0xffff);
}

/*
 * fuzz_icmp: nep_icmp6_build_error() looked for an ICMPv6 error only in
 * the first next header: one behind a Hop-by-Hop (or any extension)
 * header got an error back (RFC 4443 2.4(e.1): never). Through neptune:
 * a Destination Unreachable behind a Hop-by-Hop header with hop limit 1
 * was answered with a Time Exceeded.
 */
static void
icmp6_no_error_about_error_behind_ext_header(void **state)
{
	uint8_t orig[40 + 8 + 8] = {0x60, 0, 0, 0, 0, 16, 0 /* HBH */,
		1, [8] = 0xfd, 0x42, 1, 0, 0, 1, [23] = 0x10, /* source */
		[24] = 0x20, 0x01, 0x0d, 0xb8, [39] = 1,      /* destination */
		[40] = NEP_PROTO_ICMPV6, 0, 1, 4,	      /* HBH: PadN 4 */
		[48] = NEP_ICMP6_DST_UNREACH, 0};
	static const uint8_t src[16] = {0xfd, 0x42, 1, 0, 0, 1, [15] = 1};
	uint8_t out[1280];

	(void)state;
	assert_int_equal(
		nep_icmp6_build_error(out, sizeof(out), orig, sizeof(orig),
			NEP_ICMP6_TIME_EXCEEDED, 0, 0, src),
		0);
	/* The same packet without the Hop-by-Hop header is refused today. */
	orig[6] = NEP_PROTO_ICMPV6;
	memmove(orig + 40, orig + 48, 8);
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), orig, 48,
				 NEP_ICMP6_TIME_EXCEEDED, 0, 0, src),
		0);
}

/* Does the ICMP message at p (len bytes) verify? */
static bool
icmp_verifies(const uint8_t *p, unsigned len)
{
	uint32_t s = 0;

	for (unsigned i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/*
 * fuzz_nat44: an echo reply whose identifier becomes 0 with every other
 * word zero (sequence 0, no payload) got the ICMP checksum 0x0000 from
 * nep_nat44_dnat() (the incremental update's -0), and the same echo
 * quoted in an ICMP error from nep_nat44_icmp_err_rewrite(): receivers
 * refuse both. Found with a quoted echo; the translation shares the code.
 */
static void
nat44_icmp_echo_zero_checksum(void **state)
{
	uint8_t p[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 203, 0, 113,
		10, 198, 51, 100, 18, 0, 0, 0xff, 0xfa, 0, 5, 0,
		0}; /* reply, id 5, right */
	uint8_t e[20 + 8 + 28] = {0x45, 0, 0, 56, 0, 0, 0, 0, 64, 1, 0, 0, 203,
		0, 113, 1, 198, 51, 100, 18, 3, 1, 0, 0, 0, 0, 0,
		0}; /* host unreachable */

	(void)state;
	/* the echo we sent out, as the router quotes it: request, id 5 */
	memcpy(e + 28, p, 28);
	memcpy(e + 28 + 12, p + 16, 4);
	memcpy(e + 28 + 16, p + 12, 4);
	e[48] = 8;
	e[50] = 0xf7;
	e[51] = 0xfa;
	assert_int_equal(
		nep_nat44_dnat(p, sizeof(p), 0xc000020a, 0), NEP_NAT44_OK);
	assert_true(icmp_verifies(p + 20, 8));
	/* The quoted request's identifier back to 0: it is the only
	 * non-zero word with the type. */
	e[48] = 0;
	e[50] = 0xff;
	e[51] = 0xfa;
	assert_int_equal(nep_nat44_icmp_err_rewrite(e, sizeof(e), NEP_NAT44_IN,
				 0xc000020a, 0xc000020a, 0),
		NEP_NAT44_OK);
	assert_true(icmp_verifies(e + 48, 8));
}

/*
 * fuzz_config: a bad value is quoted in the error as it is, so a quoted
 * scalar with blank lines (each one a newline in YAML) made the
 * one-line "file:line:column: key: message" several lines (a log reader
 * or the CLI's error line then shows a forged line).
 */
static void
config_error_is_one_line(void **state)
{
	static const char *const y =
		"ports:\n"
		"  - {name: wan1, role: wan, devargs: net_null0,\n"
		"     addresses: [\"2001:db8::zz\n\n"
		"fake.yaml:1:1: forged\n\n"
		"  /64\"]}\n";
	struct nep_config_error err;
	struct nep_config *c;

	(void)state;
	c = nep_config_load_string("t.yaml", y, NULL, &err);
	assert_null(c);
	assert_true(strncmp(err.msg, "t.yaml:3:", 9) == 0);
	assert_null(strchr(err.msg, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli_abbreviation_does_not_leak),
		cmocka_unit_test(icmp4_echo_reply_checksum_verifies),
		cmocka_unit_test(icmp6_no_error_about_error_behind_ext_header),
		cmocka_unit_test(nat44_icmp_echo_zero_checksum),
		cmocka_unit_test(config_error_is_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
