/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ILNP feature's registration (docs/ilnp.md). It has no stage hook of
 * its own: multihoming's IPv6 path calls it (nep_mh_ilnp_ops).
 */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "mh_config.h"
#include "ilnp.h"

static int
ilnp_init(struct nep_app *app)
{
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct nep_worker *wk = &app->workers[w];
		struct ilnp_worker *iw = rte_zmalloc_socket("ilnp_worker",
			sizeof(*iw), RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(wk->lcore_id));

		char name[RTE_RING_NAMESIZE];

		if (iw == NULL) {
			NEP_LOG(ERR, "ilnp: out of memory");
			return -1;
		}
		wk->feat[nep_ilnp_feature.id] = iw;
		snprintf(name, sizeof(name), "ilnp_ev_%u", w);
		iw->ev = rte_ring_create_elem(name, sizeof(struct ilnp_ev),
			ILNP_EV_RING, (int)rte_lcore_to_socket_id(wk->lcore_id),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		iw->ev_every_tsc = rte_get_tsc_hz();
		if (iw->ev == NULL) {
			NEP_LOG(ERR, "ilnp: cannot create its rings");
			return -1;
		}
	}
	return 0;
}

static void
ilnp_fini(struct nep_app *app)
{
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct ilnp_worker *iw = ILNP_W(&app->workers[w]);

		if (iw != NULL)
			rte_ring_free(iw->ev);
		rte_free(iw);
		app->workers[w].feat[nep_ilnp_feature.id] = NULL;
	}
}

static void
ilnp_clear_stats(struct nep_app *app)
{
	/* The workers own their counters; `clear stats` zeroes these while
	 * they may be counting: a packet or two may be lost from the sums. */
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct ilnp_worker *iw = ILNP_W(&app->workers[w]);

		if (iw != NULL)
			memset(&iw->stats, 0, sizeof(iw->stats));
	}
}

static const struct nep_feature ilnp_feature = {
	.name = "ilnp",
	.order = 40,
	.init = ilnp_init,
	.fini = ilnp_fini,
	.commands = ilnp_commands,
	.stats_json = ilnp_stats_json,
	.clear_stats = ilnp_clear_stats,
	.trace_format = ilnp_trace_format,
	.tick = ilnp_peers_run,
};

RTE_INIT(ilnp_register)
{
	nep_ilnp_feature = ilnp_feature;
	nep_feature_register(&nep_ilnp_feature);
	ilnp_register_datapath();
}
