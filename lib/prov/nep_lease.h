/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lease timers of the DHCP clients (app/neptune/features/provision),
 * pure so that the unit tests check them (tests/unit/test_prov_lease.c).
 * Times in seconds unless named _ns.
 */
#ifndef NEP_LEASE_H
#define NEP_LEASE_H

#include <stdint.h>

/* Where a lease bound `since` seconds ago stands. */
enum nep_lease_phase {
	NEP_LEASE_BOUND,	/* before T1 */
	NEP_LEASE_RENEW,	/* T1..T2: ask the server that gave it */
	NEP_LEASE_REBIND,	/* T2..end: ask any server */
	NEP_LEASE_EXPIRED,	/* past the valid lifetime / lease time */
};

static inline enum nep_lease_phase
nep_lease_phase(uint64_t since, uint32_t t1, uint32_t t2, uint32_t valid)
{
	if (since >= valid)
		return NEP_LEASE_EXPIRED;
	if (since >= t2)
		return NEP_LEASE_REBIND;
	if (since >= t1)
		return NEP_LEASE_RENEW;
	return NEP_LEASE_BOUND;
}

/*
 * DHCPv6 T1/T2 (RFC 8415 14.2, 21.4): the server's, unless 0 (the client
 * chooses: 0.5 and 0.8 of the shortest preferred lifetime) or out of
 * order (T1 above the preferred lifetime, T2 below T1). pref 0 or
 * UINT32_MAX (infinite) counts as 3600 s.
 */
static inline void
nep_lease6_times(uint32_t pref, uint32_t t1_in, uint32_t t2_in, uint32_t *t1,
	uint32_t *t2)
{
	if (pref == 0 || pref == UINT32_MAX)
		pref = 3600;
	*t1 = t1_in == 0 || t1_in > pref ? pref / 2 : t1_in;
	*t2 = t2_in == 0 || t2_in < *t1 ?
		(pref / 5 * 4 > *t1 ? pref / 5 * 4 : *t1 + 1) : t2_in;
}

/*
 * DHCPv4 T1/T2 (RFC 2131 4.4.5): 0.5 and 0.875 of the lease unless the
 * server says otherwise; T1 < T2 < lease kept. lease 0: 3600 s.
 */
static inline void
nep_lease4_times(uint32_t lease, uint32_t t1_in, uint32_t t2_in,
	uint32_t *lease_out, uint32_t *t1, uint32_t *t2)
{
	if (lease == 0)
		lease = 3600;
	*lease_out = lease;
	*t2 = t2_in != 0 && t2_in < lease ? t2_in : lease / 8 * 7;
	*t1 = t1_in != 0 && t1_in < *t2 ? t1_in : lease / 2;
	if (*t1 >= *t2)
		*t1 = *t2 / 2;
}

/*
 * RFC 8415 15: the next retransmission timeout, twice the last, at most
 * mrt_ns (0: no bound), with the random factor: r is uniform in
 * [0, 2^32) and gives -0.1..+0.1 of it.
 */
static inline uint64_t
nep_lease_next_rt(uint64_t rt_ns, uint64_t mrt_ns, uint32_t r)
{
	uint64_t next = 2 * rt_ns;

	if (mrt_ns != 0 && next > mrt_ns)
		next = mrt_ns;
	/* next * (0.9 + 0.2 * r / 2^32) */
	return next - next / 10 + (uint64_t)((__uint128_t)(next / 5) * r >> 32);
}

#endif /* NEP_LEASE_H */
