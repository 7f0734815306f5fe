/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Uplink selection: the active pool and weighted, persistent per-flow
 * choice of an uplink.
 *
 * Selection is weighted rendezvous hashing (HRW): every uplink i gets a
 * score from (flow hash, uplink id) and the best one wins. With
 * u_i uniform in (0,1), score_i = -w_i / ln(u_i); we pick the smallest
 * -ln(u_i) / w_i, which is the same order. This gives, with no shared
 * state:
 *  - determinism: same flow hash and same set -> same uplink;
 *  - minimal disruption: a flow's scores do not depend on the other
 *    members, so removing an uplink moves only its own flows and adding
 *    one moves only flows that now prefer it;
 *  - proportionality: P(i) = w_i / sum(w), since -ln(u)/w is exponential
 *    with rate w and the minimum of exponentials picks i with that odds.
 * The score depends on the uplink id, not its position in the set.
 *
 * Pure functions, no EAL: unit-tested and used in the hot path.
 */
#ifndef NEP_UPLINK_H
#define NEP_UPLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "nep_config.h"

#define NEP_MAX_UPLINKS 16

enum nep_uplink_role {
	NEP_UPLINK_PRIMARY = 0,
	NEP_UPLINK_BACKUP = 1,
	NEP_UPLINK_EXCLUDED = 2,
};

/* The candidate set for balanced selection, built by the control plane. */
struct nep_uplink_set {
	uint8_t n;
	uint8_t id[NEP_MAX_UPLINKS];		/* uplink index in the config */
	uint32_t weight[NEP_MAX_UPLINKS];	/* > 0 */
	double inv_w[NEP_MAX_UPLINKS];		/* 1 / weight, precomputed */
};

/* What the pool logic needs to know about one configured uplink. */
struct nep_uplink_view {
	uint8_t id;
	enum nep_uplink_role role;
	uint32_t weight;
	bool healthy;
	bool admin_up;
};

static inline void
nep_uplink_set_init(struct nep_uplink_set *s)
{
	memset(s, 0, sizeof(*s));
}

/* Append a member. Returns 0, -EINVAL (weight 0 or duplicate id), -ENOSPC. */
int nep_uplink_set_add(struct nep_uplink_set *s, uint8_t id, uint32_t weight);

/* Member usable at all: healthy, administratively up and weight > 0. */
static inline bool
nep_uplink_usable(const struct nep_uplink_view *v)
{
	return v->healthy && v->admin_up && v->weight > 0;
}

/*
 * Active pool for balanced traffic: usable primaries; if there are none,
 * usable backups; excluded uplinks never. Members keep the view order.
 * Returns the number of members (0: empty pool).
 */
unsigned int nep_uplink_pool_build(const struct nep_uplink_view *uplinks,
	unsigned int n, struct nep_uplink_set *out);

/* splitmix64 finalizer: a full-avalanche 64-bit mix. */
static inline uint64_t
nep_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/*
 * -ln(u) for u = (k + 0.5) / 2^52, k = top 52 bits of h: u is in (0,1)
 * and never 0 or 1 (k + 0.5 stays exact in a double's 53 bits). ln is computed as e*ln2 + ln(m), m in [sqrt(1/2),
 * sqrt(2)), with ln(m) = 2 atanh(t), t = (m-1)/(m+1), |t| < 0.172; six
 * series terms give a relative error below 1e-10, far under what the
 * selection can notice, and avoid a libm call per uplink per new flow.
 */
static inline double
nep_uplink_neg_ln_u(uint64_t h)
{
	static const double ln2 = 0.69314718055994530942;
	union { double d; uint64_t u; } v;
	double m, t, t2, p;
	int e;

	v.d = ((double)(h >> 12) + 0.5) * (1.0 / 4503599627370496.0);
	e = (int)((v.u >> 52) & 0x7ff) - 1023;
	v.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
	m = v.d;			/* [1, 2) */
	if (m > 1.41421356237309504880) {
		m *= 0.5;
		e++;
	}
	t = (m - 1.0) / (m + 1.0);
	t2 = t * t;
	p = 1.0 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 +
		t2 * (1.0 / 9 + t2 * (1.0 / 11)))));
	return -((double)e * ln2 + 2.0 * t * p);
}

/* Per-(flow, uplink) uniform draw: splitmix64 stream seeded by the flow. */
static inline uint64_t
nep_uplink_draw(uint64_t flow_hash, uint8_t id)
{
	return nep_mix64(flow_hash + 0x9e3779b97f4a7c15ULL * ((uint64_t)id + 1));
}

/*
 * Pick the uplink for a flow. Returns the uplink id, or -1 if the set is
 * empty. Ties (practically impossible) go to the lower id so the result
 * never depends on member order.
 */
static inline int
nep_uplink_pick(const struct nep_uplink_set *s, uint64_t flow_hash)
{
	double best = 0, key;
	int best_id = -1;
	unsigned int i;

	if (unlikely(s->n == 1))
		return s->weight[0] ? s->id[0] : -1;
	for (i = 0; i < s->n; i++) {
		if (unlikely(s->weight[i] == 0))
			continue;
		key = nep_uplink_neg_ln_u(nep_uplink_draw(flow_hash,
			s->id[i])) * s->inv_w[i];
		if (best_id < 0 || key < best ||
				(key == best && s->id[i] < best_id)) {
			best = key;
			best_id = s->id[i];
		}
	}
	return best_id;
}

#endif /* NEP_UPLINK_H */
