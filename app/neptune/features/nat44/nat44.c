/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT44 feature's registration (docs/nat44.md). Its ingress (order
 * 30) runs after the tunnel's (its messages come to the same WAN
 * addresses) and before multihoming's DNPT.
 */
#include <stdio.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "mh_config.h"
#include "nat44.h"

static int
nat_init(struct nep_app *app)
{
	const struct nat_config *nc = nat_conf(app->cfg);

	app->feat[nep_nat_feature.id] = &nat_ctl_state;
	if (!nc->enabled)
		return 0;
	for (unsigned w = 0; w < app->n_workers; w++)
		if (nat_worker_init(app, &app->workers[w], nc) < 0) {
			NEP_LOG(ERR, "nat44: out of memory for %u sessions per "
				"worker", nc->max_sessions);
			return -1;
		}
	if (app->n_workers > 1) {
		nat_ctl_state.frag_owner = rte_zmalloc("nat44_frag_owner",
			sizeof(uint64_t) * NAT_FRAG_OWNERS, RTE_CACHE_LINE_SIZE);
		if (nat_ctl_state.frag_owner == NULL)
			return -1;
	}
	if (nat_log_open(app, nc) < 0)
		return -1;
	NEP_LOG(INFO, "nat44: %u pools, %u sessions per worker, port blocks "
		"of %u", nat_ctl_state.n_pools, nc->max_sessions,
		nc->block_size);
	return 0;
}

static void
nat_fini(struct nep_app *app)
{
	nat_log_close(app);
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct nat_worker *nw = NAT_W(&app->workers[w]);

		if (nw == NULL)
			continue;
		rte_hash_free(nw->out);
		rte_hash_free(nw->in);
		rte_ring_free(nw->log);
		rte_free(nw->maps);
		rte_free(nw->free_list);
		rte_free(nw->hosts);
		for (unsigned p = 0; p < NAT_MAX_POOLS; p++)
			rte_free(nw->ports[p]);
		rte_free(nw);
		app->workers[w].feat[nep_nat_feature.id] = NULL;
	}
	for (unsigned p = 0; p < nat_ctl_state.n_pools; p++)
		rte_free(nat_ctl_state.pools[p]);
	nat_ctl_state.n_pools = 0;
	rte_free(nat_ctl_state.frag_owner);
	nat_ctl_state.frag_owner = NULL;
}

/* What a reload cannot change: the pools (uplinks, addresses, block size,
 * port forwards, which reserve ports), the session table size, on/off. */
/* The uplinks and their configured addresses (a lease's may move: its
 * pools are made when it appears). */
static bool
nat_uplinks_same(const struct nat_config *a, const struct nat_config *b)
{
	if (a->n_uplinks != b->n_uplinks)
		return false;
	for (unsigned i = 0; i < a->n_uplinks; i++) {
		const struct nat_uplink_conf *x = &a->uplinks[i];
		const struct nat_uplink_conf *y = &b->uplinks[i];

		if (strcmp(x->uplink, y->uplink) != 0 ||
			x->uplink_idx != y->uplink_idx || x->learnt != y->learnt)
			return false;
		if (!x->learnt && (x->n_addrs != y->n_addrs ||
			memcmp(x->addrs, y->addrs, sizeof(x->addrs)) != 0))
			return false;
	}
	return true;
}

static int
nat_reload_check(struct nep_app *app, const struct nep_config *cfg, char *err,
	size_t errlen)
{
	const struct nat_config *a = nat_conf(app->cfg), *b = nat_conf(cfg);
	const char *what = NULL;

	if (a->enabled != b->enabled)
		what = "turning NAT44 on or off";
	else if (!a->enabled)
		return 0;
	else if (!nat_uplinks_same(a, b))
		what = "nat44.uplinks";
	else if (a->block_size != b->block_size)
		what = "nat44.port_block";
	else if (a->max_sessions != b->max_sessions)
		what = "nat44.max_sessions";
	else if (a->n_forwards != b->n_forwards ||
		memcmp(a->forwards, b->forwards, sizeof(a->forwards)) != 0)
		what = "nat44.inbound";
	else if (strcmp(a->log, b->log) != 0)
		what = "nat44.log";
	if (what == NULL)
		return 0;
	snprintf(err, errlen, "%s: changed, needs a restart (the running "
		"configuration is kept)", what);
	return -1;
}

static const struct nep_feature nat_feature = {
	.name = "nat44",
	.order = 30,
	.init = nat_init,
	.fini = nat_fini,
	.snapshot_build = nat_snapshot_build,
	.snapshot_free = nat_snapshot_free,
	.reload_check = nat_reload_check,
	.commands = nat_commands,
	.stats_json = nat_stats_json,
	.ingress = nat_ingress,
	.worker_poll = nat_worker_poll,
	.run = nat_log_run,
};

RTE_INIT(nat_register)
{
	nep_nat_feature = nat_feature;
	nep_feature_register(&nep_nat_feature);
	nat_register_datapath();
}
