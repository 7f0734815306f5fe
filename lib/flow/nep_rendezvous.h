/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted rendezvous hashing of flow buckets over paths (SRv6 overlay
 * paths, tunnel paths): for each bucket, the paths by decreasing score
 * w / -ln(u), u uniform in (0,1) from the bucket and the path's stable
 * identity; primaries before backups. A path going down moves only the
 * buckets it had first; one coming back takes back exactly those, and a
 * reload that keeps a path's identity keeps its buckets.
 */
#ifndef NEP_RENDEZVOUS_H
#define NEP_RENDEZVOUS_H

#include <stdbool.h>
#include <stdint.h>

#define NEP_RDV_MAX_PATHS 32

struct nep_rdv_path {
	uint32_t ident;		/* stable over reloads (e.g. a jhash of names) */
	uint32_t weight;	/* 0 counts as a tiny weight (last resort) */
	uint8_t backup;		/* ranked after every primary */
};

/*
 * rank[b * stride + k], k < n: the index into paths of bucket b's k-th
 * choice, for b < n_buckets. n <= NEP_RDV_MAX_PATHS <= stride.
 */
void nep_rdv_rank(const struct nep_rdv_path *paths, unsigned n,
	unsigned n_buckets, uint8_t *rank, unsigned stride);

/*
 * A flow's path from its bucket's ranking rank[0..n): the first one whose
 * bit is set in up. With want >= 0 (a steering policy naming an uplink),
 * the first such path on uplink want comes first; strict: only those.
 * map: NULL, or rank entry -> the path index used for up and uplink_of.
 * Returns the position in rank, n when no path qualifies.
 */
static inline unsigned
nep_rdv_pick(const uint8_t *rank, unsigned n, const uint8_t *map, uint64_t up,
	const int8_t *uplink_of, int want, bool strict)
{
	unsigned k;

	if (want >= 0) {
		for (k = 0; k < n; k++) {
			unsigned p = map != NULL ? map[rank[k]] : rank[k];
			if (((up >> p) & 1) && uplink_of[p] == want)
				return k;
		}
		if (strict)
			return n;
	}
	for (k = 0; k < n; k++)
		if ((up >> (map != NULL ? map[rank[k]] : rank[k])) & 1)
			break;
	return k;
}

#endif /* NEP_RENDEZVOUS_H */
