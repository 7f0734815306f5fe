/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel feature's registration with the core (docs/tunnel.md). Its
 * ingress runs after SRv6's SIDs (10) and before multihoming's DNPT (50):
 * tunnel messages come to our WAN addresses, never to a delegated prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_ring.h>

#include "nep_control.h"
#include "tunnel.h"


void tun_reload_prepare(struct nep_app *app, struct nep_snapshot *s);
void tun_reload_done(struct nep_app *app);

static int
tun_init(struct nep_app *app)
{
	struct tun_ctl *tc = &tun_ctl_state;
	unsigned nw = RTE_MAX(app->n_workers, 1u);
	struct tun_stats *st;
	struct tun_worker *ws;

	app->feat[nep_tun_feature.id] = tc;
	st = rte_zmalloc("tun_stats", sizeof(*st) * nw, RTE_CACHE_LINE_SIZE);
	tc->stats_base = rte_zmalloc("tun_stats_base", sizeof(*st) * nw,
		RTE_CACHE_LINE_SIZE);
	ws = rte_zmalloc("tun_workers", sizeof(*ws) * nw, RTE_CACHE_LINE_SIZE);
	if (st == NULL || tc->stats_base == NULL || ws == NULL) {
		NEP_LOG(ERR, "tunnel: out of memory");
		return -1;
	}
	for (unsigned w = 0; w < app->n_workers; w++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "tun_ev_%u", w);
		ws[w].stats = &st[w];
		ws[w].thread = w + 1;
		ws[w].events = rte_ring_create_elem(name,
			sizeof(struct tun_event), TUN_EVENTS,
			(int)rte_lcore_to_socket_id(app->workers[w].lcore_id),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ws[w].events == NULL) {
			NEP_LOG(ERR, "tunnel: cannot create the event ring");
			return -1;
		}
		app->workers[w].feat[nep_tun_feature.id] = &ws[w];
	}
	return 0;
}

static void
tun_fini(struct nep_app *app)
{
	struct tun_ctl *tc = TUN_CTL(app);

	if (tc == NULL)
		return;
	for (unsigned w = 0; w < app->n_workers; w++)
		if (TUN_W(&app->workers[w]) != NULL)
			rte_ring_free(TUN_W(&app->workers[w])->events);
	if (app->n_workers > 0 && TUN_W(&app->workers[0]) != NULL) {
		rte_free(TUN_W(&app->workers[0])->stats);
		rte_free(TUN_W(&app->workers[0]));
	}
	explicit_bzero(tc->state, sizeof(*tc->state) * TUN_MAX_SESSIONS);
	rte_free(tc->stats_base);
}

/* A reload may not change the role (sessions would change sides). */
static int
tun_reload_check(struct nep_app *app, const struct nep_config *cfg, char *err,
	size_t errlen)
{
	const struct tun_config *old = tun_conf(app->cfg), *nc = tun_conf(cfg);

	if (old->enabled && nc->enabled && old->role != nc->role) {
		snprintf(err, errlen, "tunnel.role: changed, needs a restart "
			"(the running configuration is kept)");
		return -1;
	}
	return 0;
}

static const struct nep_feature tun_feature = {
	.name = "tunnel",
	.order = 20,
	.init = tun_init,
	.fini = tun_fini,
	.snapshot_build = tun_snapshot_build,
	.snapshot_free = tun_snapshot_free,
	.reload_check = tun_reload_check,
	.reload_prepare = tun_reload_prepare,
	.reload_done = tun_reload_done,
	.run = tun_control_run,
	.link_change = tun_control_link_change,
	.commands = tun_commands,
	.stats_json = tun_stats_json,
	.clear_stats = tun_clear_stats,
	.ingress = tun_ingress,
	.egress = tun_egress,
	.trace_format = tun_trace_format,
};

RTE_INIT(tun_register)
{
	nep_tun_feature = tun_feature;
	nep_feature_register(&nep_tun_feature);
	tun_register_datapath();
}
