/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DHCP clients' lease timers (lib/prov/nep_lease.h): T1/T2 defaults
 * and repairs of RFC 8415 14.2 / 21.4 and RFC 2131 4.4.5, the phase of a
 * lease over time, and the retransmission backoff of RFC 8415 15.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nep_lease.h"

static void
dhcp6_times(void **state)
{
	uint32_t t1, t2;

	(void)state;
	/* the server's when in order */
	nep_lease6_times(30, 10, 16, &t1, &t2);
	assert_int_equal(t1, 10);
	assert_int_equal(t2, 16);
	/* 0: the client picks 0.5 and 0.8 of the preferred lifetime */
	nep_lease6_times(100, 0, 0, &t1, &t2);
	assert_int_equal(t1, 50);
	assert_int_equal(t2, 80);
	/* T1 beyond the preferred lifetime, T2 before T1: repaired */
	nep_lease6_times(100, 200, 0, &t1, &t2);
	assert_int_equal(t1, 50);
	assert_int_equal(t2, 80);
	nep_lease6_times(100, 60, 40, &t1, &t2);
	assert_int_equal(t1, 60);
	assert_int_equal(t2, 80);
	nep_lease6_times(100, 90, 40, &t1, &t2);
	assert_int_equal(t1, 90);
	assert_int_equal(t2, 91);
	/* infinite or unknown preferred lifetime: an hour */
	nep_lease6_times(UINT32_MAX, 0, 0, &t1, &t2);
	assert_int_equal(t1, 1800);
	assert_int_equal(t2, 2880);
	nep_lease6_times(0, 0, 0, &t1, &t2);
	assert_int_equal(t1, 1800);
	/* a tiny lifetime still has T1 < T2 */
	nep_lease6_times(1, 0, 0, &t1, &t2);
	assert_true(t1 < t2);
}

static void
dhcp4_times(void **state)
{
	uint32_t l, t1, t2;

	(void)state;
	nep_lease4_times(60, 10, 16, &l, &t1, &t2);
	assert_int_equal(l, 60);
	assert_int_equal(t1, 10);
	assert_int_equal(t2, 16);
	/* absent: 0.5 and 0.875 */
	nep_lease4_times(3600, 0, 0, &l, &t1, &t2);
	assert_int_equal(t1, 1800);
	assert_int_equal(t2, 3150);
	/* T2 past the lease, T1 past T2: the defaults */
	nep_lease4_times(80, 0, 100, &l, &t1, &t2);
	assert_int_equal(t2, 70);
	assert_int_equal(t1, 40);
	nep_lease4_times(80, 75, 70, &l, &t1, &t2);
	assert_int_equal(t2, 70);
	assert_int_equal(t1, 40);
	/* no lease time: an hour */
	nep_lease4_times(0, 0, 0, &l, &t1, &t2);
	assert_int_equal(l, 3600);
	/* never T1 >= T2, even for a 1 s lease */
	nep_lease4_times(1, 0, 0, &l, &t1, &t2);
	assert_true(t1 < t2 || (t1 == 0 && t2 == 0));
}

static void
phases(void **state)
{
	(void)state;
	/* the lab's lease: T1 10, T2 16, valid 60 */
	assert_int_equal(nep_lease_phase(0, 10, 16, 60), NEP_LEASE_BOUND);
	assert_int_equal(nep_lease_phase(9, 10, 16, 60), NEP_LEASE_BOUND);
	assert_int_equal(nep_lease_phase(10, 10, 16, 60), NEP_LEASE_RENEW);
	assert_int_equal(nep_lease_phase(15, 10, 16, 60), NEP_LEASE_RENEW);
	assert_int_equal(nep_lease_phase(16, 10, 16, 60), NEP_LEASE_REBIND);
	assert_int_equal(nep_lease_phase(59, 10, 16, 60), NEP_LEASE_REBIND);
	assert_int_equal(nep_lease_phase(60, 10, 16, 60), NEP_LEASE_EXPIRED);
	/* valid before T2 (a short lifetime): it expires, never rebinds */
	assert_int_equal(nep_lease_phase(12, 10, 16, 12), NEP_LEASE_EXPIRED);
	/* an infinite lease never expires */
	assert_int_equal(nep_lease_phase(UINT32_MAX - 1ull, 10, 16,
		UINT32_MAX), NEP_LEASE_REBIND);
}

static void
backoff(void **state)
{
	const uint64_t s = 1000000000ull;
	uint64_t rt = s;

	(void)state;
	/* r = 2^31 is the middle: exactly doubled */
	assert_int_equal(nep_lease_next_rt(s, 0, 1u << 31), 2 * s);
	/* the extremes: 0.9 and (almost) 1.1 of the doubled value */
	assert_int_equal(nep_lease_next_rt(s, 0, 0), 2 * s - 2 * s / 10);
	assert_true(nep_lease_next_rt(s, 0, UINT32_MAX) < 2 * s + 2 * s / 10);
	assert_true(nep_lease_next_rt(s, 0, UINT32_MAX) > 2 * s + 2 * s / 10 -
		2);
	/* bounded by MRT (RFC 8415 15: MRT plus its own random factor) */
	for (int i = 0; i < 20; i++)
		rt = nep_lease_next_rt(rt, 120 * s, 1u << 31);
	assert_int_equal(rt, 120 * s);
	assert_true(nep_lease_next_rt(120 * s, 120 * s, 0) >= 108 * s);
	assert_true(nep_lease_next_rt(120 * s, 120 * s, UINT32_MAX) <= 132 * s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dhcp6_times),
		cmocka_unit_test(dhcp4_times),
		cmocka_unit_test(phases),
		cmocka_unit_test(backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
