/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration snapshots. The control lcore builds a complete new snapshot
 * (FIBs included) off to the side, swaps the pointer workers read once per
 * burst, waits for every worker to pass a quiescent state (rte_rcu_qsbr),
 * and only then frees the old one: forwarding never stops on reload.
 */
#include <stdlib.h>

#include "neptune.h"

struct nep_snapshot *
nep_snapshot_build(struct nep_app *app, struct nep_config *cfg, char *err,
	size_t errlen)
{
	static uint64_t generation;
	struct nep_snapshot *s = calloc(1, sizeof(*s));
	uint16_t ids[NEP_MAX_PORTS];

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_ports && i < NEP_MAX_PORTS; i++)
		ids[i] = app->ports[i].id;
	if (nep_rib_build(&s->rib, cfg, ids, err, errlen) < 0) {
		free(s);
		return NULL;
	}
	s->cfg = cfg;
	s->generation = ++generation;
	return s;
}

void
nep_snapshot_publish(struct nep_app *app, struct nep_snapshot *s)
{
	struct nep_snapshot *old = app->snap;

	__atomic_store_n(&app->snap, s, __ATOMIC_RELEASE);
	app->cfg = s->cfg;
	/* Wait until no worker can still hold the old pointer. */
	rte_rcu_qsbr_synchronize(app->qsv, RTE_QSBR_THRID_INVALID);
	nep_snapshot_free(old);
}

void
nep_snapshot_free(struct nep_snapshot *s)
{
	if (s == NULL)
		return;
	nep_rib_free(&s->rib);
	nep_config_free(s->cfg);
	free(s);
}
