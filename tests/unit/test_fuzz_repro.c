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

#include "nep_mgmt.h"
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
	nep_dispatch_line(&d, "rel", &r);	/* first use: buffers grow */
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
	uint8_t p[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0,
		192, 0, 2, 10, 192, 0, 2, 1,
		8, 0, 0xf7, 0xff, 0, 0, 0, 0 };	/* request, checksum right */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli_abbreviation_does_not_leak),
		cmocka_unit_test(icmp4_echo_reply_checksum_verifies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
