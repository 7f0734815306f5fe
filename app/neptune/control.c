/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control lcore loop: consumes the punt rings (local delivery, packets
 * waiting for a neighbour, ICMP errors to originate), polls link state,
 * runs the features' timers and the neighbour timers, and serves the
 * management requests.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "neptune.h"
#include "nep_control.h"
#include "nep_pkt.h"

#define CTL_BURST 32
#define CTL_IDLE_SLEEP_NS 100000 /* 100 us between idle polls */

static void
handle_punt(struct nep_app *app, struct rte_mbuf *m)
{
	struct nep_meta *meta = nep_meta(m);
	unsigned port = meta->in_port;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct nep_pkt_info pi;

	if (meta->punt == NEP_PUNT_ICMP_ERROR) {
		/* Counted as a drop by the worker; only the error is ours. */
		nep_ctl_icmp_error(app, m, port,
			(enum nep_icmp_err)meta->icmp_err, meta->icmp_param);
		return;
	}
	if (port >= app->n_ports || nep_pkt_parse(f, rte_pktmbuf_data_len(m),
			&pi) != NEP_DROP_NONE) {
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	switch (meta->punt) {
	case NEP_PUNT_LOCAL:
		nep_local_input(app, m, port, &pi);
		break;
	case NEP_PUNT_RESOLVE:
		/* The output stage's neighbour (a pinned path next hop, or
		 * the FIB's); without one, route again. */
		if (meta->neigh_pos >= 0)
			nep_ctl_send_to_pos(app, m, meta->neigh_pos);
		else
			nep_ctl_route_out(app, m, pi.family);
		break;
	default:
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
	}
}

int
nep_control_init(struct nep_app *app)
{
	struct nep_neigh_params np = {
		.size = app->cfg->neigh_table_size,
		.queue_len = app->cfg->neigh_queue_len,
		.reachable_ms = app->cfg->neigh_reachable_ms,
		.retrans_ms = app->cfg->neigh_retrans_ms,
		.max_probes = app->cfg->neigh_max_probes,
	};
	size_t sz;

	nep_ctl_output_init(app);
	nep_local_init(app);
	app->tsc_hz = rte_get_tsc_hz();
	/* two anchors 100 ms apart: the TSC's rate against the clock */
	nep_wallclock_sync(app);
	nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	nep_wallclock_sync(app);
	sz = rte_rcu_qsbr_get_memsize(app->n_workers);
	app->qsv = rte_zmalloc("nep_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (app->qsv == NULL || rte_rcu_qsbr_init(app->qsv, app->n_workers)) {
		NEP_LOG(ERR, "cannot set up RCU");
		return -1;
	}
	app->neigh = nep_neigh_create("nep_neigh", &np, app->qsv);
	if (app->neigh == NULL) {
		NEP_LOG(ERR, "cannot create the neighbour table: %s",
			rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned i = 0; i < app->cfg->n_static_neigh; i++) {
		const struct nep_static_neigh_conf *sn = &app->cfg->static_neigh[i];
		struct nep_neigh_key k;
		nep_neigh_key_set(&k, app->ports[sn->port].ifid,
			sn->addr.family == AF_INET ? 4 : 6, sn->addr.a);
		nep_neigh_add_static(app->neigh, &k, sn->mac);
	}
	return 0;
}

int
nep_control_start(struct nep_app *app)
{
	struct nep_feature *f;

	NEP_FOREACH_FEATURE(f)
		if (f->init != NULL && f->init(app) < 0) {
			NEP_LOG(ERR, "feature %s failed to start", f->name);
			return -1;
		}
	nep_commands_register(app);
	NEP_FOREACH_FEATURE(f)
		if (f->commands != NULL)
			f->commands(app, &app->dispatch);
	app->mgmt = nep_mgmt_start(app->cfg->mgmt_socket, &app->dispatch,
		app->cfg->telemetry);
	if (app->mgmt == NULL) {
		NEP_LOG(ERR, "cannot start the management socket %s",
			app->cfg->mgmt_socket);
		return -1;
	}
	if (app->cfg->mgmt_read_group[0] != '\0' &&
		nep_mgmt_set_read_group(app->mgmt, app->cfg->mgmt_read_gid) < 0) {
		NEP_LOG(ERR, "management.read_group %s: %s",
			app->cfg->mgmt_read_group, strerror(errno));
		return -1;
	}
	return 0;
}

void
nep_control_loop(struct nep_app *app)
{
	struct rte_mbuf *pkts[CTL_BURST];
	uint64_t last_tick = 0, last_link = 0, last_wall = 0;
	struct timespec idle = { 0, CTL_IDLE_SLEEP_NS };
	struct nep_feature *f;

	while (!__atomic_load_n(&app->quit, __ATOMIC_RELAXED)) {
		uint64_t now_ns = nep_now_ns();
		unsigned work = 0;

		/* ND, ARP and probe replies first, all of them (their ring is
		 * small and policed); then a burst of the rest per worker. */
		for (unsigned w = 0; w < app->n_workers; w++) {
			unsigned n;

			while ((n = rte_ring_sc_dequeue_burst(
					app->workers[w].punt_hi, (void **)pkts,
					CTL_BURST, NULL)) != 0) {
				for (unsigned i = 0; i < n; i++)
					handle_punt(app, pkts[i]);
				work += n;
			}
		}
		for (unsigned w = 0; w < app->n_workers; w++) {
			unsigned n = rte_ring_sc_dequeue_burst(
				app->workers[w].punt, (void **)pkts, CTL_BURST,
				NULL);
			for (unsigned i = 0; i < n; i++)
				handle_punt(app, pkts[i]);
			work += n;
		}
		if (now_ns - last_link >= 1000000) {
			nep_ports_link_update(app);
			last_link = now_ns;
		}
		if (now_ns - last_wall >= 1000000000) {
			nep_wallclock_sync(app);
			last_wall = now_ns;
		}
		NEP_FOREACH_FEATURE(f)
			if (f->run != NULL)
				f->run(app, now_ns);
		if (now_ns - last_tick >= 10000000) {
			nep_neigh_tick(app->neigh, now_ns / 1000000,
				&app->neigh_ops);
			NEP_FOREACH_FEATURE(f)
				if (f->tick != NULL)
					f->tick(app, now_ns);
			last_tick = now_ns;
		}
		nep_mgmt_poll(app->mgmt);
		if (work == 0)
			nanosleep(&idle, NULL);
	}
}

void
nep_control_stop(struct nep_app *app)
{
	struct nep_feature *f;
	bool any = false;

	NEP_FOREACH_FEATURE(f)
		if (f->stop != NULL) {
			f->stop(app);
			any = true;
		}
	/* Worker 0 sends what they queued; 100 ms at most. */
	for (unsigned i = 0; any && i < 100 && app->n_workers > 0 &&
		rte_ring_count(app->workers[0].inject) > 0; i++)
		rte_delay_ms(1);
}

void
nep_control_fini(struct nep_app *app)
{
	struct nep_feature *f;
	struct rte_mbuf *m;

	for (unsigned w = 0; w < app->n_workers; w++) {
		while (rte_ring_sc_dequeue(app->workers[w].punt, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		while (rte_ring_sc_dequeue(app->workers[w].punt_hi,
			       (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
	/* Features first: a feature's own thread may submit management
	 * requests (metrics' HTTP server) until its fini has stopped it. */
	NEP_FOREACH_FEATURE(f)
		if (f->fini != NULL)
			f->fini(app);
	nep_mgmt_stop(app->mgmt);
	app->mgmt = NULL;
	nep_neigh_free(app->neigh, NULL);
	rte_free(app->qsv);
}
