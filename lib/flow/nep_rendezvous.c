/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <string.h>

#include <rte_jhash.h>

#include "nep_rendezvous.h"

void
nep_rdv_rank(const struct nep_rdv_path *paths, unsigned n, unsigned n_buckets,
	uint8_t *rank, unsigned stride)
{
	for (unsigned b = 0; b < n_buckets; b++) {
		double score[NEP_RDV_MAX_PATHS];
		uint8_t order[NEP_RDV_MAX_PATHS];

		for (unsigned k = 0; k < n; k++) {
			uint32_t h = rte_jhash_1word(b, paths[k].ident);
			double u = ((double)h + 0.5) / 4294967296.0;
			double w = paths[k].weight ? (double)paths[k].weight :
						     1e-6;

			score[k] = w / -log(u);
			order[k] = (uint8_t)k;
		}
		/* Primaries first, each group by score (insertion sort). */
		for (unsigned i = 1; i < n; i++)
			for (unsigned j = i; j > 0 &&
				(paths[order[j]].backup <
					 paths[order[j - 1]].backup ||
				 (paths[order[j]].backup ==
					  paths[order[j - 1]].backup &&
				  score[order[j]] > score[order[j - 1]]));
				j--) {
				uint8_t t = order[j];
				order[j] = order[j - 1];
				order[j - 1] = t;
			}
		memcpy(rank + (size_t)b * stride, order, n);
	}
}
