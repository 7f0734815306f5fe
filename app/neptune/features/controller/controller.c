/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller client feature: its control-lcore part. Every second it
 * publishes the hubs' state (endpoint); every interval a metrics sample
 * (hub: worker busy %, mbuf pool use, port bandwidth, live tunnel
 * sessions, packet totals). It applies the thread's decisions through the
 * tunnel feature (nep_tun_set_preferred_hub) and pushed configurations
 * through nep_reload(). It only try-locks the shared record: when the
 * thread holds it, the work waits for the next tick.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "ctl.h"
#include "nep_tun_pref.h"

struct nep_feature nep_ctl_feature;

/* Control lcore only. */
static struct {
	bool on;
	uint64_t next_hubs_ns, next_sample_ns, last_sample_ns;
	uint64_t polls, busy, ibytes, obytes;
	uint64_t seq;
	uint64_t dec_seen;
	char applied[CTL_ID_MAX];	/* the hub made preferred */
	char dec_error[128];
	uint64_t push_seen;
	int64_t push_version;
	int push_rc;
	char push_err[CTL_ERR_MAX];
} cs;

static void
counters(struct nep_app *app, uint64_t *polls, uint64_t *busy,
	uint64_t *ib, uint64_t *ob, uint64_t *ip, uint64_t *op)
{
	struct rte_eth_stats es;

	*polls = *busy = *ib = *ob = *ip = *op = 0;
	for (unsigned w = 0; w < app->n_workers; w++) {
		*polls += app->workers[w].stats->polls;
		*busy += app->workers[w].stats->busy_polls;
	}
	for (unsigned p = 0; p < app->n_phys; p++)
		if (rte_eth_stats_get(app->ports[p].id, &es) == 0) {
			*ib += es.ibytes;
			*ob += es.obytes;
			*ip += es.ipackets;
			*op += es.opackets;
		}
}

static void
take_sample(struct nep_app *app, uint64_t now_ns)
{
	uint64_t polls, busy, ib, ob, ip, op;
	struct rte_malloc_socket_stats ms;
	struct ctl_sample s = { 0 };
	double dt;

	counters(app, &polls, &busy, &ib, &ob, &ip, &op);
	dt = (double)(now_ns - cs.last_sample_ns) / 1e9;
	if (cs.last_sample_ns != 0 && dt > 0) {
		uint64_t dp = polls - cs.polls, db = busy - cs.busy;
		uint64_t dbytes = RTE_MAX(ib - cs.ibytes, ob - cs.obytes);

		s.cpu_percent = dp ? 100.0 * (double)db / (double)dp : 0;
		s.bandwidth_mbps = (double)dbytes * 8 / dt / 1e6;
		s.memory_percent = 100.0 *
			(double)rte_mempool_in_use_count(app->pool) /
			(double)app->pool->size;
		if (rte_malloc_get_socket_stats((int)rte_socket_id(), &ms) == 0) {
			s.heap_used = ms.heap_allocsz_bytes;
			s.heap_total = ms.heap_totalsz_bytes;
		}
		s.active_tunnels = nep_tun_active_sessions(app);
		s.rx_packets = ip;
		s.tx_packets = op;
		if (s.cpu_percent > 100)
			s.cpu_percent = 100;
		if (s.memory_percent > 100)
			s.memory_percent = 100;
		if (pthread_mutex_trylock(&ctl_shared.lock) != 0)
			return;		/* next tick */
		s.seq = ++cs.seq;
		ctl_shared.sample = s;
		pthread_mutex_unlock(&ctl_shared.lock);
	}
	cs.polls = polls;
	cs.busy = busy;
	cs.ibytes = ib;
	cs.obytes = ob;
	cs.last_sample_ns = now_ns;
	cs.next_sample_ns = now_ns +
		(uint64_t)ctl_conf(app->cfg)->interval_s * 1000000000ull;
}

static void
publish_hubs(struct nep_app *app)
{
	struct ctl_hubs h = { 0 };

	h.n = RTE_MIN(nep_tun_hub_count(app), (unsigned)CTL_HUBS);
	for (unsigned i = 0; i < h.n; i++) {
		snprintf(h.name[i], sizeof(h.name[i]), "%s",
			nep_tun_hub_name(app, i));
		h.usable[i] = nep_tun_hub_usable(app, i);
	}
	snprintf(h.preferred, sizeof(h.preferred), "%s",
		nep_tun_preferred_hub(app));
	if (pthread_mutex_trylock(&ctl_shared.lock) != 0)
		return;
	ctl_shared.hubs = h;
	pthread_mutex_unlock(&ctl_shared.lock);
}

static void
apply_decision(struct nep_app *app)
{
	char hub[CTL_ID_MAX];
	uint64_t seq;
	int rc;

	if (pthread_mutex_trylock(&ctl_shared.lock) != 0)
		return;
	seq = ctl_shared.dec_seq;
	snprintf(hub, sizeof(hub), "%s", ctl_shared.dec_hub);
	pthread_mutex_unlock(&ctl_shared.lock);
	if (seq == cs.dec_seen)
		return;
	cs.dec_seen = seq;
	if (strcmp(hub, cs.applied) == 0 && cs.dec_error[0] == '\0')
		return;
	rc = nep_tun_set_preferred_hub(app, hub);
	if (rc == 0) {
		if (strcmp(hub, cs.applied) != 0)
			NEP_LOG(NOTICE, "controller: decision: hub %s", hub);
		snprintf(cs.applied, sizeof(cs.applied), "%s", hub);
		cs.dec_error[0] = '\0';
	} else if (cs.dec_error[0] == '\0') {
		snprintf(cs.dec_error, sizeof(cs.dec_error), "hub '%s': %s",
			hub, rc == -ENOENT ? "not one of tunnel.hubs" :
					     "no tunnel endpoint here");
		NEP_LOG(WARNING, "controller: decision %s", cs.dec_error);
	}
}

/*
 * A pushed configuration, written by the thread to CONFIG.push: made the
 * configuration file (the old one kept as CONFIG.prev) and reloaded with
 * the checks of `reload`; refused: the old file is put back.
 */
static void
apply_push(struct nep_app *app)
{
	char tmp[NEP_PATH_MAX + 8], prev[NEP_PATH_MAX + 8], err[CTL_ERR_MAX];
	uint64_t req;
	int rc = -1;

	if (pthread_mutex_trylock(&ctl_shared.lock) != 0)
		return;
	req = ctl_shared.push_req;
	cs.push_version = ctl_shared.push_version;
	pthread_mutex_unlock(&ctl_shared.lock);
	if (req == cs.push_seen)
		return;
	cs.push_seen = req;
	snprintf(tmp, sizeof(tmp), "%s.push", app->config_path);
	snprintf(prev, sizeof(prev), "%s.prev", app->config_path);
	err[0] = '\0';
	(void)unlink(prev);
	if (link(app->config_path, prev) != 0) {
		snprintf(err, sizeof(err), "%s: %s", prev, strerror(errno));
	} else if (rename(tmp, app->config_path) != 0) {
		snprintf(err, sizeof(err), "%s: %s", app->config_path,
			strerror(errno));
	} else {
		rc = nep_reload(app, err, sizeof(err));
		if (rc < 0 && rename(prev, app->config_path) != 0)
			NEP_LOG(ERR, "controller: cannot restore %s: %s",
				app->config_path, strerror(errno));
	}
	(void)unlink(tmp);
	NEP_LOG(NOTICE, "controller: pushed configuration %" PRId64 " %s%s%s",
		cs.push_version, rc == 0 ? "applied" : "refused: ",
		rc == 0 ? "" : err, "");
	cs.push_rc = rc;
	snprintf(cs.push_err, sizeof(cs.push_err), "%s", rc == 0 ? "" : err);
	/* the thread waits for this; it takes the lock only briefly */
	pthread_mutex_lock(&ctl_shared.lock);
	ctl_shared.push_rc = rc;
	snprintf(ctl_shared.push_err, sizeof(ctl_shared.push_err), "%s",
		cs.push_err);
	ctl_shared.push_done = req;
	pthread_mutex_unlock(&ctl_shared.lock);
}

static int
ctl_init(struct nep_app *app)
{
	const struct ctl_config *cc = ctl_conf(app->cfg);

	if (!cc->enabled)
		return 0;
	pthread_mutex_lock(&ctl_shared.lock);
	ctl_shared.conf = *cc;
	ctl_shared.hub = nep_tun_is_hub(app);
	snprintf(ctl_shared.config_path, sizeof(ctl_shared.config_path), "%s",
		app->config_path);
	pthread_mutex_unlock(&ctl_shared.lock);
	publish_hubs(app);
	if (ctl_client_start() != 0) {
		NEP_LOG(ERR, "controller: cannot start the client thread");
		return -1;
	}
	cs.on = true;
	NEP_LOG(INFO, "controller: %s as %s (%s)", cc->url, cc->device_id,
		ctl_shared.hub ? "hub: metrics" : "endpoint: decisions");
	return 0;
}

static void
ctl_fini(struct nep_app *app)
{
	(void)app;
	ctl_client_stop();
	explicit_bzero(&ctl_shared.conf, sizeof(ctl_shared.conf));
}

static void
ctl_tick(struct nep_app *app, uint64_t now_ns)
{
	if (!cs.on)
		return;
	if (now_ns >= cs.next_hubs_ns) {
		publish_hubs(app);
		cs.next_hubs_ns = now_ns + 1000000000ull;
	}
	if (ctl_shared.hub && now_ns >= cs.next_sample_ns)
		take_sample(app, now_ns);
	apply_decision(app);
	apply_push(app);
}

/* The client keeps its settings until a restart. */
static int
ctl_reload_check(struct nep_app *app, const struct nep_config *cfg,
	char *err, size_t errlen)
{
	const struct ctl_config *o = ctl_conf(app->cfg), *n = ctl_conf(cfg);

	if (memcmp(o, n, sizeof(*o)) != 0) {
		char pos[NEP_PATH_MAX + 32];

		nep_config_key_pos(cfg, "controller", pos, sizeof(pos));
		snprintf(err, errlen, "%s: controller: changed, needs a restart "
			"(the running configuration is kept)", pos);
		return -1;
	}
	return 0;
}

/* A new snapshot: the preferred hub again (it may have been renamed). */
static void
ctl_reload_done(struct nep_app *app)
{
	if (cs.applied[0] != '\0' &&
		nep_tun_set_preferred_hub(app, cs.applied) != 0)
		cs.applied[0] = '\0';
	cs.dec_seen = 0;	/* re-apply the latest decision */
}

static int
cmd_show(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = ctx->app;
	const struct ctl_config *cc = ctl_conf(app->cfg);
	struct ctl_shared s;
	json_t *o;

	if (!cc->enabled) {
		nep_buf_printf(ctx->out, "no controller configured (no "
			"controller: section)\n");
		return -1;
	}
	/* a copy: the thread holds the lock only for a few stores */
	pthread_mutex_lock(&ctl_shared.lock);
	s = ctl_shared;
	pthread_mutex_unlock(&ctl_shared.lock);
	o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:I,"
		      " s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:I}",
		"url", cc->url, "device_id", cc->device_id, "role",
		s.hub ? "hub" : "endpoint", "registered", s.registered,
		"tun_ipv4", s.tun_ipv4, "tun_ipv6", s.tun_ipv6, "requests_ok",
		(json_int_t)s.req_ok, "requests_failed",
		(json_int_t)s.req_failed, "reports", (json_int_t)s.reports,
		"samples_skipped", (json_int_t)s.samples_skipped, "polls",
		(json_int_t)s.polls, "decisions", (json_int_t)s.decisions,
		"decision", s.decision, "preferred_hub",
		nep_tun_preferred_hub(app), "decision_error", cs.dec_error,
		"last_error", s.last_error, "pushes_applied",
		(json_int_t)s.pushes_applied, "pushes_refused",
		(json_int_t)s.pushes_refused, "last_ok", s.last_ok,
		"interval_s", (json_int_t)cc->interval_s);
	json_object_set_new(o, "last_push", cs.push_seen == 0 ? json_null() :
		json_pack("{s:I, s:s, s:s}", "version",
			(json_int_t)cs.push_version, "result",
			cs.push_rc == 0 ? "applied" : "refused", "error",
			cs.push_err));
	if (ctx->json) {
		ctx->json_out = o;
		return 0;
	}
	nep_buf_printf(ctx->out, "controller %s as %s (%s): %s\n"
		"tunnel addresses: %s %s\n"
		"requests: %" PRIu64 " answered, %" PRIu64 " failed; reports %"
		PRIu64 ", samples skipped %" PRIu64 ", decision polls %" PRIu64
		"\n"
		"decision: %s, preferred hub: %s%s%s%s\n"
		"pushed configurations: %" PRIu64 " applied, %" PRIu64
		" refused%s%s\n",
		cc->url, cc->device_id, s.hub ? "hub" : "endpoint",
		s.registered ? "registered" : "not registered",
		s.tun_ipv4[0] ? s.tun_ipv4 : "-", s.tun_ipv6[0] ? s.tun_ipv6 : "-",
		s.req_ok, s.req_failed, s.reports, s.samples_skipped, s.polls,
		s.decision[0] ? s.decision : "-",
		nep_tun_preferred_hub(app)[0] ? nep_tun_preferred_hub(app) : "-",
		cs.dec_error[0] ? " (refused: " : "",
		cs.dec_error[0] ? cs.dec_error : "", cs.dec_error[0] ? ")" : "",
		s.pushes_applied, s.pushes_refused,
		s.last_error[0] ? "\nlast error: " : "", s.last_error);
	json_decref(o);
	return 0;
}

static void
ctl_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show controller", cmd_show);
}

static const struct nep_feature ctl_feature = {
	.name = "controller",
	.order = 90,
	.init = ctl_init,
	.fini = ctl_fini,
	.tick = ctl_tick,
	.reload_check = ctl_reload_check,
	.reload_done = ctl_reload_done,
	.commands = ctl_commands,
};

RTE_INIT(ctl_register)
{
	nep_ctl_feature = ctl_feature;
	nep_feature_register(&nep_ctl_feature);
}
