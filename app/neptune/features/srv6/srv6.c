/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SRv6 feature's registration with the core (docs/srv6.md). Its hooks
 * run before multihoming's (order 10 < 50): SIDs are delivered before any
 * DNPT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_malloc.h>

#include "nep_control.h"
#include "srv6.h"

static struct srv6_ctl srv6_ctl_state;

static int
srv6_init(struct nep_app *app)
{
	struct srv6_ctl *sc = &srv6_ctl_state;
	struct srv6_stats *st;
	struct srv6_worker *ws;

	app->feat[nep_srv6_feature.id] = sc;
	st = rte_zmalloc("srv6_stats", sizeof(*st) * RTE_MAX(app->n_workers, 1u),
		RTE_CACHE_LINE_SIZE);
	sc->stats_base = rte_zmalloc("srv6_stats_base",
		sizeof(*st) * RTE_MAX(app->n_workers, 1u), RTE_CACHE_LINE_SIZE);
	ws = rte_zmalloc("srv6_workers", sizeof(*ws) * RTE_MAX(app->n_workers,
		1u), RTE_CACHE_LINE_SIZE);
	if (st == NULL || sc->stats_base == NULL || ws == NULL) {
		NEP_LOG(ERR, "srv6: out of memory");
		return -1;
	}
	for (unsigned w = 0; w < app->n_workers; w++) {
		ws[w].stats = &st[w];
		ws[w].rcache = rte_zmalloc_socket("srv6_rcache",
			sizeof(struct srv6_rcache_entry) * SRV6_RCACHE_SIZE,
			RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(app->workers[w].lcore_id));
		ws[w].flows = rte_zmalloc_socket("srv6_flows",
			sizeof(struct srv6_flowbits), RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(app->workers[w].lcore_id));
		if (ws[w].rcache == NULL || ws[w].flows == NULL) {
			NEP_LOG(ERR, "srv6: out of memory");
			return -1;
		}
		app->workers[w].feat[nep_srv6_feature.id] = &ws[w];
	}
	if (nep_local_register_echo(6, SRV6_PROBE_ID_BASE, SRV6_MAX_PATHS,
		    "srv6-probe", srv6_probe_input) < 0) {
		NEP_LOG(ERR, "srv6: cannot register its probe replies");
		return -1;
	}
	return 0;
}

static void
srv6_fini(struct nep_app *app)
{
	struct srv6_ctl *sc = SRV6_CTL(app);

	if (sc == NULL)
		return;
	for (unsigned w = 0; w < app->n_workers; w++)
		if (SRV6_W(&app->workers[w]) != NULL) {
			rte_free(SRV6_W(&app->workers[w])->rcache);
			rte_free(SRV6_W(&app->workers[w])->flows);
		}
	if (app->n_workers > 0 && SRV6_W(&app->workers[0]) != NULL) {
		rte_free(SRV6_W(&app->workers[0])->stats);
		rte_free(SRV6_W(&app->workers[0]));
	}
	rte_free(sc->stats_base);
}

/* Proxy ND (nd: on-link on port) and local delivery of our SIDs. */
static bool
srv6_owns_addr6(const struct nep_app *app, unsigned port, const uint8_t *a,
	bool nd)
{
	const struct srv6_snap *ss = SRV6_SNAP(app->snap);
	const struct nep_port_conf *pc;
	struct nep_addr x = { .family = AF_INET6 };

	if (ss == NULL || !ss->enabled)
		return false;
	if (!nd)
		return srv6_sid_lookup(ss, a) >= 0;
	if (!srv6_in_locator(ss, a) && srv6_sid_lookup(ss, a) < 0)
		return false;
	/* Only what lies in an on-link prefix of this port. */
	memcpy(x.a, a, 16);
	pc = &app->cfg->ports[port];
	for (unsigned i = 0; i < pc->n_addrs; i++) {
		struct nep_prefix p;

		if (pc->addrs[i].addr.family != AF_INET6)
			continue;
		p.addr = pc->addrs[i].addr;
		p.len = pc->addrs[i].len;
		if (nep_prefix_contains(&p, &x))
			return true;
	}
	return false;
}

/* Same SIDs at the same indices, same paths in the same order? */
static bool
same_layout(const struct srv6_snap *a, const struct srv6_snap *b)
{
	if (a->n_sids != b->n_sids || a->n_paths != b->n_paths)
		return false;
	for (unsigned i = 0; i < a->n_sids; i++)
		if (memcmp(a->sid[i].sid, b->sid[i].sid, 16) != 0)
			return false;
	for (unsigned i = 0; i < a->n_paths; i++)
		if (strcmp(a->paths[i].uplink, b->paths[i].uplink) != 0 ||
			memcmp(a->paths[i].probe, b->paths[i].probe, 16) != 0 ||
			a->paths[i].site != b->paths[i].site)
			return false;
	return true;
}

/*
 * Per-SID and per-path counters are kept by index: when a reload moves
 * SIDs or paths to other indices, they restart from 0 (their baseline is
 * taken now) rather than show another SID's or path's packets.
 */
static void
srv6_reload_prepare(struct nep_app *app, struct nep_snapshot *s)
{
	const struct srv6_snap *old = SRV6_SNAP(app->snap), *ns = SRV6_SNAP(s);
	struct srv6_ctl *sc = SRV6_CTL(app);

	if (old == NULL || ns == NULL || same_layout(old, ns))
		return;
	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct srv6_stats *cur = SRV6_W(&app->workers[w])->stats;
		struct srv6_stats *b = &sc->stats_base[w];

		memcpy(b->sid_pkts, cur->sid_pkts, sizeof(b->sid_pkts));
		memcpy(b->sid_bytes, cur->sid_bytes, sizeof(b->sid_bytes));
		memcpy(b->path_pkts, cur->path_pkts, sizeof(b->path_pkts));
		memcpy(b->path_bytes, cur->path_bytes, sizeof(b->path_bytes));
	}
	NEP_LOG(INFO, "srv6: SIDs or paths renumbered by the reload: their "
		"counters restart");
}

static const struct nep_feature srv6_feature = {
	.name = "srv6",
	.order = 10,
	.init = srv6_init,
	.fini = srv6_fini,
	.snapshot_build = srv6_snapshot_build,
	.snapshot_free = srv6_snapshot_free,
	.reload_prepare = srv6_reload_prepare,
	.run = srv6_paths_run,
	.tick = srv6_flows_tick,
	.link_change = srv6_paths_link_change,
	.commands = srv6_commands,
	.stats_json = srv6_stats_json,
	.clear_stats = srv6_clear_stats,
	.owns_addr6 = srv6_owns_addr6,
	.ingress = srv6_ingress,
	.egress = srv6_egress,
	.fast_for_port = srv6_fast_for_port,
	.trace_format = srv6_trace_format,
};

RTE_INIT(srv6_register)
{
	nep_srv6_feature = srv6_feature;
	nep_feature_register(&nep_srv6_feature);
	srv6_register_datapath();
}
