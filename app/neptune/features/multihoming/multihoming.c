/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The multihoming feature's registration with the core: its stage hooks,
 * path action, local-delivery handler (probe replies), drop reasons,
 * commands, counters and lifecycle.
 */
#include <inttypes.h>

#include <rte_malloc.h>

#include "mh.h"
#include "nep_control.h"

static int
mh_init(struct nep_app *app)
{
	struct mh_state *mh = MH(app);

	for (unsigned w = 0; w < app->n_workers; w++) {
		mh->workers[w].stats = &mh->stats[w];
		app->workers[w].feat[nep_mh_feature.id] = &mh->workers[w];
	}
	nep_local_register(6, NEP_PROTO_ICMPV6, NEP_ICMP6_ECHO_REPLY,
		"uplink-probe", mh_probe_input);
	return nep_uplinks_init(app);
}

static void
mh_fini(struct nep_app *app)
{
	nep_uplinks_fini(app);
	rte_free(app->feat[nep_mh_feature.id]);
	app->feat[nep_mh_feature.id] = NULL;
}

static int
mh_reload_check(struct nep_app *app, const struct nep_config *cfg, char *err,
	size_t errlen)
{
	if (mh_conf(cfg)->has_steering != mh_conf(app->cfg)->has_steering) {
		char pos[NEP_PATH_MAX + 32];
		nep_config_key_pos(cfg, "steering", pos, sizeof(pos));
		snprintf(err, errlen, "%s: steering: turning steering on or off "
			"needs a restart (the running configuration is kept)",
			pos);
		return -1;
	}
	if (mh_conf(cfg)->flow_table_size !=
		mh_conf(app->cfg)->flow_table_size) {
		/* The tables are sized at start-up. */
		char pos[NEP_PATH_MAX + 32];
		nep_config_key_pos(cfg, "steering.flow_table_size", pos,
			sizeof(pos));
		snprintf(err, errlen, "%s: steering.flow_table_size: changed, "
			"needs a restart (the running configuration is kept)",
			pos);
		return -1;
	}
	return 0;
}

static void
mh_reload_prepare(struct nep_app *app, struct nep_snapshot *s)
{
	nep_uplinks_apply_config(app, s);
}

static void
mh_reload_done(struct nep_app *app)
{
	const struct mh_config *mc = mh_conf(app->cfg);
	struct mh_state *mh = MH(app);

	nep_uplinks_publish(app);
	if (mh->prefix_moved_mask != 0) {
		uint32_t mask = mh->prefix_moved_mask;
		uint64_t n = nep_flows_flush_mask(app, mask);

		mh->prefix_moved_mask = 0;
		for (unsigned i = 0; i < NEP_MAX_UPLINKS; i++)
			if ((mask >> i) & 1) {
				/* the count is of all the masked slots */
				mh->uplinks[i].prefix_flows_moved += n;
				NEP_LOG(NOTICE, "uplink %s: learnt prefix or "
					"address changed, %" PRIu64 " flows "
					"re-select", mh->uplinks[i].name, n);
			}
	}
	if (mc->has_steering) {
		mh->age.idle_tsc = app->tsc_hz * mc->flow_timeout_s;
		mh->age.fin_idle_tsc = app->tsc_hz * mc->flow_fin_timeout_s;
	}
}

static void
mh_tick(struct nep_app *app, uint64_t now_ns)
{
	nep_flows_scan(app, now_ns);
}

static const struct nep_feature mh_feature = {
	.name = "multihoming",
	.order = 50,
	.init = mh_init,
	.fini = mh_fini,
	.snapshot_build = mh_snapshot_build,
	.snapshot_free = mh_snapshot_free,
	.reload_check = mh_reload_check,
	.reload_prepare = mh_reload_prepare,
	.reload_done = mh_reload_done,
	.run = nep_uplinks_run,
	.tick = mh_tick,
	.link_change = nep_uplinks_link_change,
	.commands = mh_commands,
	.stats_json = mh_stats_json,
	.lcore_json = mh_lcore_json,
	.clear_stats = mh_clear_stats,
	.ingress = mh_ingress,
	.egress = mh_egress,
	.fast_for_port = mh_fast_for_port,
	.worker_poll = mh_worker_poll,
	.trace_format = mh_trace_format,
};

RTE_INIT(mh_register)
{
	/* The storage lives in state.c, which every file of the feature
	 * reads (its id): filling it here keeps the call graph acyclic. */
	nep_mh_feature = mh_feature;
	nep_feature_register(&nep_mh_feature);
	mh_register_datapath();
}
