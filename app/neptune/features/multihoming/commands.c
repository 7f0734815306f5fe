/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management commands of the multihoming feature: uplinks, flows,
 * policies, events, runtime weight/admin changes, flow flush and reload.
 * They run on the control lcore (schemas in docs/cli.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>

#include <rte_cycles.h>

#include "mh.h"

#define APP(ctx) ((struct nep_app *)(ctx)->app)

uint64_t
mh_stats_sum(const struct nep_app *app, size_t offset)
{
	const struct mh_state *mh = MH(app);

	return nep_counters_sum(mh->stats, mh->stats_base,
		sizeof(mh->stats[0]), app->n_workers, offset);
}

static const char *const role_names[] = { "primary", "backup", "excluded" };
static const char *const mode_names[] = { "balanced", "strict", "preferred" };

static int
find_uplink(struct nep_app *app, const char *name)
{
	for (unsigned i = 0; i < NEP_MAX_UPLINKS; i++)
		if (MH(app)->uplinks[i].in_use &&
			strcmp(MH(app)->uplinks[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
unknown_uplink(struct nep_cmd_ctx *ctx, const char *name)
{
	nep_buf_printf(ctx->out, "error: unknown uplink '%s'\n", name);
	return -1;
}

/* A next hop or delegated prefix not learnt yet: "-". */
static void
addr_or_dash(const struct nep_addr *a, char *buf, size_t len)
{
	if (a->family == 0)
		snprintf(buf, len, "-");
	else
		nep_addr_str(a, buf, len);
}

static void
prefix_or_dash(const struct nep_prefix *p, char *buf, size_t len)
{
	if (p->len == 0)
		snprintf(buf, len, "-");
	else
		nep_prefix_str(p, buf, len);
}

static json_t *
num_or_null(bool has, double v)
{
	return has ? json_real(v) : json_null();
}

static bool
in_pool(const struct nep_uplink_set *p, unsigned slot)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->id[i] == slot)
			return true;
	return false;
}

/* The health state an operator sees: UP only while it is usable. */
static enum nep_health_state
uplink_health_state(const struct nep_app *app, const struct nep_uplink_rt *u)
{
	bool healthy = u->conf.health.enabled ? nep_health_is_up(&u->health) :
						app->ports[u->port].link_up;

	if (healthy && app->ports[u->port].link_up)
		return NEP_HEALTH_UP;
	return u->health.state == NEP_HEALTH_UNKNOWN && !u->health.link_down &&
			app->ports[u->port].link_up ?
		NEP_HEALTH_UNKNOWN :
		NEP_HEALTH_DOWN;
}

/*
 * Visit every live flow of every worker, on a copy of its entry (the
 * owner may rewrite it meanwhile). What show flows lists and what show
 * uplinks counts are the same entries.
 */
static void
mh_flows_foreach(struct nep_app *app,
	void (*fn)(void *arg, const struct nep_flow_entry *e), void *arg)
{
	/* where the walks ran (show stats): the control lcore should
	 * see none from the CLI (flows_prep) */
	__atomic_fetch_add(rte_lcore_id() == rte_get_main_lcore() ?
			&MH(app)->walks_control : &MH(app)->walks_offloaded, 1,
		__ATOMIC_RELAXED);
	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct nep_flow_table *t = MH(app)->workers[w].flows;
		uint32_t max;

		if (t == NULL)
			continue;
		max = rte_hash_max_key_id(t->h) + 1;
		for (uint32_t pos = 0; pos < max; pos++) {
			struct nep_flow_entry e = t->e[pos];

			if (e.last_tsc != 0)
				fn(arg, &e);
		}
	}
}

/* Live flows per uplink slot, as show flows lists them: the owners'
 * counts (struct nep_flow_table by_uplink), no walk. */
static void
mh_count_flows(struct nep_app *app, uint64_t counts[NEP_MAX_UPLINKS])
{
	memset(counts, 0, sizeof(uint64_t) * NEP_MAX_UPLINKS);
	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct nep_flow_table *t = MH(app)->workers[w].flows;

		for (unsigned u = 0; t != NULL && u < NEP_MAX_UPLINKS; u++)
			counts[u] += __atomic_load_n(&t->by_uplink[u],
				__ATOMIC_RELAXED);
	}
}

/* What a command's walk over the flow slots kept (flows_prep below). */
struct flows_prep {
	bool ok;			/* filter parsed, uplink found */
	uint64_t total;			/* matching entries */
	uint64_t n;			/* kept (at most the limit) */
	struct nep_flow_entry *e;
};

static int
cmd_uplinks(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct nep_steer_state *st = MH(app)->steer;
	json_t *arr = json_array(), *pool = json_array();
	uint64_t flows[NEP_MAX_UPLINKS];

	/* The entries show flows lists (not the aging scan's last total):
	 * the two agree right after a failover. */
	mh_count_flows(app, flows);

	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-8s %-6s %-8s %-7s %-6s %-6s %-9s "
			"%-9s %-7s %-7s %-10s %s\n", "NAME", "PORT", "ROLE",
			"STATE", "ADMIN", "WEIGHT", "RTT", "JITTER", "LOSS",
			"FLOWS", "TX-PKTS", "RX-PKTS");
	for (unsigned i = 0; i < NEP_MAX_UPLINKS; i++) {
		struct nep_uplink_rt *u = &MH(app)->uplinks[i];
		struct nep_health_metrics hm;
		char nh[64], dp[64];
		const char *state;

		if (!u->in_use)
			continue;
		nep_health_get_metrics(&u->health, &hm);
		enum nep_health_state hs = uplink_health_state(app, u);
		state = nep_health_state_name(u->admin_up ? hs :
							    NEP_HEALTH_DOWN);
		if (u->conf.pending != 0 && u->admin_up)
			state = "unprovisioned";
		/* The best target's RTT, and only while it answers: a down
		 * uplink has no current RTT. */
		bool has_rtt = false;
		double best_rtt = 0, best_jit = 0;
		for (unsigned t = 0; hs == NEP_HEALTH_UP && t < hm.n_targets;
			t++)
			if (hm.target[t].has_rtt &&
				(!has_rtt || hm.target[t].rtt_ms < best_rtt)) {
				has_rtt = true;
				best_rtt = hm.target[t].rtt_ms;
				best_jit = hm.target[t].jitter_ms;
			}
		hm.rtt_ms = best_rtt;
		hm.jitter_ms = best_jit;
		uint64_t txp = MH_STAT(app, up_tx_pkts[i]);
		uint64_t txb = MH_STAT(app, up_tx_bytes[i]);
		uint64_t rxp = MH_STAT(app, up_rx_pkts[i]);
		uint64_t rxb = MH_STAT(app, up_rx_bytes[i]);
		addr_or_dash(&u->conf.next_hop, nh, sizeof(nh));
		prefix_or_dash(&u->conf.delegated, dp, sizeof(dp));
		if (in_pool(&st->pool6, i))
			json_array_append_new(pool, json_string(u->name));
		if (ctx->json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}",
				"name", u->name, "port",
				app->ports[u->port].name, "role",
				role_names[u->conf.role], "state", state,
				"admin", u->admin_up ? "up" : "down", "weight",
				(int)u->weight);
			json_object_set_new(o, "rtt_ms",
				num_or_null(has_rtt, hm.rtt_ms));
			json_object_set_new(o, "jitter_ms",
				num_or_null(has_rtt, hm.jitter_ms));
			json_object_set_new(o, "loss_pct", json_real(hm.loss_pct));
			json_object_set_new(o, "flows",
				json_integer((json_int_t)flows[i]));
			json_object_set_new(o, "tx_packets", json_integer((json_int_t)txp));
			json_object_set_new(o, "tx_bytes", json_integer((json_int_t)txb));
			json_object_set_new(o, "rx_packets", json_integer((json_int_t)rxp));
			json_object_set_new(o, "rx_bytes", json_integer((json_int_t)rxb));
			json_object_set_new(o, "next_hop", json_string(nh));
			json_object_set_new(o, "delegated_prefix", json_string(dp));
			/* provisioning: a learnt prefix or IPv4 address
			 * changed, and the flows that had to re-select */
			json_object_set_new(o, "address_changes", json_integer(
				(json_int_t)u->prefix_changes));
			json_object_set_new(o, "address_change_flows",
				json_integer((json_int_t)u->prefix_flows_moved));
			json_array_append_new(arr, o);
		} else {
			char rtt[16] = "-", jit[16] = "-";
			if (has_rtt) {
				snprintf(rtt, sizeof(rtt), "%.2fms", hm.rtt_ms);
				snprintf(jit, sizeof(jit), "%.2fms", hm.jitter_ms);
			}
			char loss[16];

			/* left-aligned under its header like the others */
			snprintf(loss, sizeof(loss), "%.1f%%", hm.loss_pct);
			nep_buf_printf(ctx->out, "%-8s %-6s %-8s %-7s %-6s %-6u "
				"%-9s %-9s %-7s %-7" PRIu64 " %-10" PRIu64
				" %" PRIu64 "\n", u->name,
				app->ports[u->port].name,
				role_names[u->conf.role], state,
				u->admin_up ? "up" : "down", u->weight, rtt,
				jit, loss, flows[i], txp, rxp);
		}
	}
	if (ctx->json) {
		ctx->json_out = json_pack("{s:o, s:o}", "uplinks", arr, "pool",
			pool);
	} else {
		nep_buf_printf(ctx->out, "pool:");
		for (size_t i = 0; i < json_array_size(pool); i++)
			nep_buf_printf(ctx->out, " %s",
				json_string_value(json_array_get(pool, i)));
		nep_buf_printf(ctx->out, "%s\n",
			json_array_size(pool) ? "" : " (empty)");
		json_decref(arr);
		json_decref(pool);
	}
	return 0;
}

static void
proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 6: snprintf(buf, len, "tcp"); break;
	case 17: snprintf(buf, len, "udp"); break;
	case 1: snprintf(buf, len, "icmp"); break;
	case 58: snprintf(buf, len, "icmpv6"); break;
	default: snprintf(buf, len, "%u", p);
	}
}

static bool
prefix_match(const struct nep_cmd_prefix *p, uint8_t family, const uint8_t *a)
{
	struct nep_prefix np = { .len = p->len };
	struct nep_addr na = { .family = family == 6 ? AF_INET6 : AF_INET };

	if ((p->family == AF_INET6) != (family == 6))
		return false;
	np.addr.family = (uint8_t)p->family;
	memcpy(np.addr.a, p->addr, 16);
	memcpy(na.a, a, 16);
	return nep_prefix_contains(&np, &na);
}

struct flows_visit {
	struct nep_cmd_ctx *ctx;
	struct nep_flow_filter f;
	int want_up;
	uint64_t now, total, shown;
	json_t *arr;
};

static bool
flow_matches(const struct nep_flow_filter *f, int want_up,
	const struct nep_flow_entry *e)
{
	const struct nep_flow_key *k = &e->key;

	if (want_up >= 0 && e->uplink != want_up)
		return false;
	if (f->proto >= 0 && k->proto != f->proto)
		return false;
	if (f->port >= 0 && rte_be_to_cpu_16(k->sport) != f->port &&
		rte_be_to_cpu_16(k->dport) != f->port)
		return false;
	if (f->has_src && !prefix_match(&f->src, k->family, k->src))
		return false;
	if (f->has_dst && !prefix_match(&f->dst, k->family, k->dst))
		return false;
	return true;
}

static void emit_flow(struct flows_visit *v, const struct nep_flow_entry *e);

static void
show_flow(void *arg, const struct nep_flow_entry *e)
{
	struct flows_visit *v = arg;

	if (!flow_matches(&v->f, v->want_up, e))
		return;
	v->total++;
	if (v->f.limit != 0 && v->shown >= v->f.limit)
		return;
	v->shown++;
	emit_flow(v, e);
}

static void
emit_flow(struct flows_visit *v, const struct nep_flow_entry *e)
{
	struct nep_app *app = APP(v->ctx);
	const struct mh_config *mc = mh_conf(app->cfg);
	const struct nep_flow_key *k = &e->key;
	struct nep_addr sa = { 0 }, da = { 0 };
	char ss[64], ds[64], ps[8];
	const char *up;

	sa.family = da.family = k->family == 6 ? AF_INET6 : AF_INET;
	memcpy(sa.a, k->src, 16);
	memcpy(da.a, k->dst, 16);
	nep_addr_str(&sa, ss, sizeof(ss));
	nep_addr_str(&da, ds, sizeof(ds));
	proto_name(k->proto, ps, sizeof(ps));
	up = e->uplink < NEP_MAX_UPLINKS ? MH(app)->uplinks[e->uplink].name :
					   "(routed)";
	uint64_t age = (v->now - e->created_tsc) / app->tsc_hz;
	uint64_t idle = v->now > e->last_tsc ?
		(v->now - e->last_tsc) / app->tsc_hz : 0;
	/* an entry read off the control lcore may predate a reload */
	bool has_pol = e->policy != 0 &&
		e->policy <= mc->steering.n_policies;
	const char *pol = has_pol ?
		mc->steering.policies[e->policy - 1].name : "";
	if (v->ctx->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:I, s:I, "
			"s:I, s:I}", "src", ss, "dst", ds, "proto", ps,
			"sport", rte_be_to_cpu_16(k->sport),
			"dport", rte_be_to_cpu_16(k->dport), "uplink", up,
			"age_s", (json_int_t)age, "idle_s", (json_int_t)idle,
			"packets", (json_int_t)e->packets, "bytes",
			(json_int_t)e->bytes);
		json_object_set_new(o, "policy", has_pol ? json_string(pol) :
							     json_null());
		json_array_append_new(v->arr, o);
	} else {
		char as[24], is[24];

		/* seconds, with their unit (the JSON has age_s, idle_s) */
		snprintf(as, sizeof(as), "%" PRIu64 "s", age);
		snprintf(is, sizeof(is), "%" PRIu64 "s", idle);
		nep_buf_printf(v->ctx->out, "%-26s %-6u %-26s %-6u %-6s %-8s "
			"%-6s %-6s %-8" PRIu64 " %" PRIu64 "\n",
			ss, rte_be_to_cpu_16(k->sport), ds,
			rte_be_to_cpu_16(k->dport), ps, up, as, is,
			e->packets, e->bytes);
	}
}

/*
 * The walk over every flow slot for `show flows` and `show uplinks` is
 * done by the thread that submits the command (the management server's,
 * the telemetry bridge's, the metrics server's), not by the control
 * lcore: on a large table it takes hundreds of milliseconds, which ND,
 * ARP and the health probes must not wait for. Entries are read as the
 * control lcore's scans read them (a copy, the owner may be writing);
 * the handler formats what the walk kept. A command the control lcore
 * runs itself (no submitting thread) walks there, as before.
 */

struct flows_walk {
	struct flows_prep *p;
	const struct nep_flow_filter *f;
	int want_up;
	uint64_t cap;
};

static void
walk_flow(void *arg, const struct nep_flow_entry *e)
{
	struct flows_walk *w = arg;
	struct flows_prep *p = w->p;

	if (!flow_matches(w->f, w->want_up, e))
		return;
	p->total++;
	if (w->f->limit != 0 && p->n >= w->f->limit)
		return;
	if (p->n == w->cap) {
		uint64_t cap = w->cap ? 2 * w->cap : 64;
		struct nep_flow_entry *ne = realloc(p->e, cap * sizeof(*ne));

		if (ne == NULL)
			return;		/* listed fewer; total stays right */
		p->e = ne;
		w->cap = cap;
	}
	p->e[p->n++] = *e;
}

static void *
flows_prep(void *arg, const struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = arg;
	struct flows_prep *p = calloc(1, sizeof(*p));
	struct flows_walk w = { .p = p, .want_up = -1 };
	struct nep_flow_filter f;
	struct nep_buf scratch;

	if (p == NULL || ctx->argc < 2)
		return p;
	nep_buf_init(&scratch);
	if (nep_cmd_flow_filter(ctx->argc - 2, (char **)ctx->argv + 2, &f,
		    &scratch) == 0 &&
		(f.uplink == NULL || (w.want_up = find_uplink(app,
					      f.uplink)) >= 0)) {
		w.f = &f;
		mh_flows_foreach(app, walk_flow, &w);
		p->ok = true;
	}
	nep_buf_free(&scratch);
	return p;
}

static void
flows_prep_free(void *arg)
{
	struct flows_prep *p = arg;

	if (p != NULL)
		free(p->e);
	free(p);
}

static int
cmd_flows(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	struct flows_visit v = { .ctx = ctx, .want_up = -1,
		.now = rte_rdtsc() };
	const struct flows_prep *p = ctx->prep;

	if (nep_cmd_flow_filter(ctx->argc - 2, ctx->argv + 2, &v.f,
		    ctx->out) < 0)
		return -1;
	if (v.f.uplink != NULL &&
		(v.want_up = find_uplink(app, v.f.uplink)) < 0)
		return unknown_uplink(ctx, v.f.uplink);
	v.arr = json_array();
	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-26s %-6s %-26s %-6s %-6s %-8s %-6s "
			"%-6s %-8s %s\n", "SRC", "SPORT", "DST", "DPORT",
			"PROTO", "UPLINK", "AGE", "IDLE", "PKTS", "BYTES");
	if (p != NULL && p->ok) {
		for (uint64_t i = 0; i < p->n; i++)
			emit_flow(&v, &p->e[i]);
		v.shown = p->n;
		v.total = p->total;
	} else {
		mh_flows_foreach(app, show_flow, &v);
	}
	if (ctx->json) {
		ctx->json_out = json_pack("{s:o, s:I}", "flows", v.arr, "total",
			(json_int_t)v.total);
	} else {
		json_decref(v.arr);
		nep_buf_printf(ctx->out, "%" PRIu64 " of %" PRIu64 " flows\n",
			v.shown, v.total);
	}
	return 0;
}

static int
cmd_policies(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct nep_steering_conf *st = &mh_conf(app->cfg)->steering;
	json_t *arr = json_array();

	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-14s %-52s %-10s %-8s %s\n", "NAME",
			"MATCH", "MODE", "UPLINK", "HITS");
	for (unsigned i = 0; mh_conf(app->cfg)->has_steering &&
			i < st->n_policies; i++) {
		const struct nep_policy_conf *p = &st->policies[i];
		json_t *m = json_object();
		char buf[64], txt[160] = "";
		size_t tl = 0;

		if (p->has_dst) {
			nep_prefix_str(&p->dst, buf, sizeof(buf));
			json_object_set_new(m, "destination", json_string(buf));
			tl += (size_t)snprintf(txt + tl, sizeof(txt) - tl, "dst %s ", buf);
		}
		if (p->has_src) {
			nep_prefix_str(&p->src, buf, sizeof(buf));
			json_object_set_new(m, "source", json_string(buf));
			tl += (size_t)snprintf(txt + tl, sizeof(txt) - tl, "src %s ", buf);
		}
		if (p->proto >= 0) {
			proto_name((uint8_t)p->proto, buf, sizeof(buf));
			json_object_set_new(m, "protocol", json_string(buf));
			tl += (size_t)snprintf(txt + tl, sizeof(txt) - tl, "proto %s ", buf);
		}
		if (p->sport_lo != 0 || p->sport_hi != 65535) {
			snprintf(buf, sizeof(buf), p->sport_lo == p->sport_hi ?
				"%u" : "%u-%u", p->sport_lo, p->sport_hi);
			json_object_set_new(m, "source_ports", json_string(buf));
			tl += (size_t)snprintf(txt + tl, sizeof(txt) - tl, "sport %s ", buf);
		}
		if (p->dport_lo != 0 || p->dport_hi != 65535) {
			snprintf(buf, sizeof(buf), p->dport_lo == p->dport_hi ?
				"%u" : "%u-%u", p->dport_lo, p->dport_hi);
			json_object_set_new(m, "destination_ports", json_string(buf));
			tl += (size_t)snprintf(txt + tl, sizeof(txt) - tl, "dport %s ", buf);
		}
		if (p->dscp >= 0) {
			json_object_set_new(m, "dscp", json_integer(p->dscp));
			tl += (size_t)snprintf(txt + tl, sizeof(txt) - tl, "dscp %d ", p->dscp);
		}
		(void)tl;
		uint64_t hits = MH_STAT(app, policy_hits[i + 1]);
		const char *up = p->uplink >= 0 ?
			mh_conf(app->cfg)->uplinks[p->uplink].name : NULL;
		if (ctx->json) {
			json_t *o = json_pack("{s:s, s:o, s:s, s:I}", "name",
				p->name, "match", m, "mode", mode_names[p->mode],
				"hits", (json_int_t)hits);
			json_object_set_new(o, "uplink", up ? json_string(up) :
							      json_null());
			json_array_append_new(arr, o);
		} else {
			json_decref(m);
			nep_buf_printf(ctx->out, "%-14s %-52s %-10s %-8s %" PRIu64
				"\n", p->name, txt[0] ? txt : "any",
				mode_names[p->mode], up ? up : "-", hits);
		}
	}
	nep_reply_list(ctx, "policies", arr);
	return 0;
}

static int
cmd_events(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	json_t *arr = json_array();
	unsigned first = (MH(app)->event_head + NEP_MAX_EVENTS - MH(app)->n_events) %
		NEP_MAX_EVENTS;

	for (unsigned i = 0; i < MH(app)->n_events; i++) {
		const struct nep_event *e =
			&MH(app)->events[(first + i) % NEP_MAX_EVENTS];
		char t[64];
		nep_iso_time(e->wall_ms, t, sizeof(t));
		const char *from = nep_health_state_name(e->from);
		const char *to = nep_health_state_name(e->to);
		if (ctx->json)
			json_array_append_new(arr, json_pack(
				"{s:s, s:s, s:s, s:s, s:s}", "time", t,
				"uplink", MH(app)->uplinks[e->slot].name, "from",
				from, "to", to, "reason", e->reason));
		else
			nep_buf_printf(ctx->out, "%s  %-8s %-7s -> %-7s %s\n", t,
				MH(app)->uplinks[e->slot].name, from, to,
				e->reason);
	}
	nep_reply_list(ctx, "events", arr);
	return 0;
}

static void
admin_event(struct nep_app *app, unsigned slot, bool up)
{
	const struct nep_uplink_rt *u = &MH(app)->uplinks[slot];
	enum nep_health_state hs = uplink_health_state(app, u);

	mh_add_event(app, slot, (uint8_t)(up ? NEP_HEALTH_DOWN : hs),
		(uint8_t)(up ? hs : NEP_HEALTH_DOWN),
		up ? "admin up" : "admin down");
}

static int
cmd_set_weight(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	int u = find_uplink(app, ctx->argv[2]);
	unsigned long w = strtoul(ctx->argv[4], NULL, 10);

	if (u < 0)
		return unknown_uplink(ctx, ctx->argv[2]);
	if (w > 1000) {
		nep_buf_printf(ctx->out, "error: weight %lu out of range "
			"(0..1000)\n", w);
		return -1;
	}
	MH(app)->uplinks[u].weight = (uint32_t)w;
	nep_uplinks_publish(app);
	if (ctx->json)
		ctx->json_out = json_pack("{s:b, s:s, s:i}", "ok", 1, "uplink",
			MH(app)->uplinks[u].name, "weight", (int)w);
	else
		nep_buf_printf(ctx->out, "uplink %s weight %lu\n",
			MH(app)->uplinks[u].name, w);
	return 0;
}

static int
cmd_set_admin(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	int u = find_uplink(app, ctx->argv[2]);
	bool up = strcmp(ctx->argv[4], "up") == 0;

	if (u < 0)
		return unknown_uplink(ctx, ctx->argv[2]);
	if (MH(app)->uplinks[u].admin_up != up) {
		MH(app)->uplinks[u].admin_up = up;
		admin_event(app, (unsigned)u, up);
		nep_uplinks_publish(app);
	}
	if (ctx->json)
		ctx->json_out = json_pack("{s:b, s:s, s:s}", "ok", 1, "uplink",
			MH(app)->uplinks[u].name, "admin", up ? "up" : "down");
	else
		nep_buf_printf(ctx->out, "uplink %s admin %s\n",
			MH(app)->uplinks[u].name, up ? "up" : "down");
	return 0;
}

static int
cmd_flush(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	int u = -1;
	uint64_t n;

	if (ctx->argc >= 4 && (u = find_uplink(app, ctx->argv[3])) < 0)
		return unknown_uplink(ctx, ctx->argv[3]);
	n = nep_flows_flush(app, u);
	if (ctx->json)
		ctx->json_out = json_pack("{s:b, s:I}", "ok", 1, "flushed",
			(json_int_t)n);
	else
		nep_buf_printf(ctx->out, "flushed %" PRIu64 " flows\n", n);
	return 0;
}

/* show uplink NAME: the uplink and each health target's RTT, loss, state. */
static int
cmd_uplink(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	int slot = find_uplink(app, ctx->argv[2]);
	const struct nep_uplink_rt *u;
	struct nep_health_metrics hm;
	json_t *tgts = json_array();
	char nh[64], dp[64];

	if (slot < 0) {
		json_decref(tgts);
		return unknown_uplink(ctx, ctx->argv[2]);
	}
	u = &MH(app)->uplinks[slot];
	nep_health_get_metrics(&u->health, &hm);
	enum nep_health_state hs = uplink_health_state(app, u);
	const char *state = nep_health_state_name(u->admin_up ? hs :
							       NEP_HEALTH_DOWN);
	if (u->conf.pending != 0 && u->admin_up)
		state = "unprovisioned";
	addr_or_dash(&u->conf.next_hop, nh, sizeof(nh));
	prefix_or_dash(&u->conf.delegated, dp, sizeof(dp));
	if (!ctx->json)
		nep_buf_printf(ctx->out, "uplink %s: port %s, role %s, state %s, "
			"admin %s, weight %u\n  next hop %s, delegated %s\n"
			"  health %s, every %u ms, down after %u, up after %u, "
			"%u of %u targets must answer\n"
			"  %-40s %-9s %-9s %-7s %-8s %-8s %s\n", u->name,
			app->ports[u->port].name, role_names[u->conf.role],
			state, u->admin_up ? "up" : "down", u->weight, nh, dp,
			u->conf.health.enabled ? "on" : "off",
			u->conf.health.interval_ms, u->conf.health.down_count,
			u->conf.health.up_count, u->health.reliability,
			hm.n_targets, "TARGET", "RTT", "JITTER", "LOSS", "SENT",
			"ANSWERED", "STATE");
	for (unsigned t = 0; t < hm.n_targets; t++) {
		bool has = hm.target[t].has_rtt && hs == NEP_HEALTH_UP;
		const char *ts = !u->conf.health.enabled ? "-" :
			nep_health_state_name(
				nep_health_target_state(&u->health, t));
		if (ctx->json) {
			json_t *o = json_pack("{s:s, s:s, s:f, s:I, s:I, s:I}",
				"target", u->health.tgt[t].name, "state", ts,
				"loss_pct", hm.target[t].loss_pct, "sent",
				(json_int_t)hm.target[t].sent, "answered",
				(json_int_t)hm.target[t].answered, "lost",
				(json_int_t)hm.target[t].lost);
			json_object_set_new(o, "rtt_ms",
				num_or_null(has, hm.target[t].rtt_ms));
			json_object_set_new(o, "jitter_ms",
				num_or_null(has, hm.target[t].jitter_ms));
			json_array_append_new(tgts, o);
		} else {
			char rtt[16] = "-", jit[16] = "-";
			if (has) {
				snprintf(rtt, sizeof(rtt), "%.2fms",
					hm.target[t].rtt_ms);
				snprintf(jit, sizeof(jit), "%.2fms",
					hm.target[t].jitter_ms);
			}
			char loss[16];

			snprintf(loss, sizeof(loss), "%.1f%%",
				hm.target[t].loss_pct);
			nep_buf_printf(ctx->out, "  %-40s %-9s %-9s %-7s "
				"%-8" PRIu64 " %-8" PRIu64 " %s\n",
				u->health.tgt[t].name, rtt, jit, loss,
				hm.target[t].sent, hm.target[t].answered, ts);
		}
	}
	if (ctx->json)
		ctx->json_out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, "
			"s:s, s:o}", "name", u->name, "port",
			app->ports[u->port].name, "role", role_names[u->conf.role],
			"state", state, "admin", u->admin_up ? "up" : "down",
			"weight", (int)u->weight, "next_hop", nh,
			"delegated_prefix", dp, "targets", tgts);
	else
		json_decref(tgts);
	return 0;
}

void
mh_stats_json(struct nep_app *app, json_t *obj)
{
	json_object_set_new(obj, "flows_new",
		json_integer((json_int_t)MH_STAT(app, flows_new)));
	json_object_set_new(obj, "flows_moved",
		json_integer((json_int_t)MH_STAT(app, flows_moved)));
	json_object_set_new(obj, "flows_moved_ipv4",
		json_integer((json_int_t)MH_STAT(app, flows_moved4)));
	json_object_set_new(obj, "flows_stateless",
		json_integer((json_int_t)MH_STAT(app, flows_stateless)));
	json_object_set_new(obj, "flow_walks_control_lcore", json_integer(
		(json_int_t)__atomic_load_n(&MH(app)->walks_control,
			__ATOMIC_RELAXED)));
	json_object_set_new(obj, "flow_walks_offloaded", json_integer(
		(json_int_t)__atomic_load_n(&MH(app)->walks_offloaded,
			__ATOMIC_RELAXED)));
}

void
mh_lcore_json(struct nep_app *app, const struct nep_worker *w, json_t *obj)
{
	const struct mh_state *mh = MH(app);
	const struct mh_stats *s = &mh->stats[w->index];
	const struct mh_stats *b = &mh->stats_base[w->index];

	json_object_set_new(obj, "flow_cache_hits", json_integer(
		(json_int_t)(s->flow_cache_hits - b->flow_cache_hits)));
	json_object_set_new(obj, "flow_cache_misses", json_integer(
		(json_int_t)(s->flow_cache_misses - b->flow_cache_misses)));
	/* flows this worker created in its own table */
	json_object_set_new(obj, "flows_new", json_integer(
		(json_int_t)(s->flows_new - b->flows_new)));
}

void
mh_clear_stats(struct nep_app *app)
{
	struct mh_state *mh = MH(app);

	/* Workers own their counters: remember a baseline instead. */
	memcpy(mh->stats_base, mh->stats, sizeof(mh->stats));
}

/*
 * Each published inside host (steering.published) at its address on every
 * uplink: NPTv6 is stateless, so each of them reaches it at once.
 */
static int
cmd_published(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct mh_config *mc = mh_conf(app->snap->cfg);
	const struct nep_steer_state *st = MH(app)->steer;
	json_t *arr = json_array();

	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-40s %-8s %-40s %s\n", "INSIDE",
			"UPLINK", "OUTSIDE", "STATE");
	for (unsigned h = 0; h < mc->n_published; h++) {
		char in[64], out[64];
		json_t *ups = json_array();

		inet_ntop(AF_INET6, mc->published[h].a, in, sizeof(in));
		for (unsigned i = 0; st != NULL && i < NEP_MAX_UPLINKS; i++) {
			const struct nep_uplink_rt *u = &MH(app)->uplinks[i];
			uint8_t a[16];
			bool up;

			if (!u->in_use || u->removed)
				continue;
			memcpy(a, mc->published[h].a, 16);
			if (nep_nptv6_snpt(&st->up[i].npt, a) < 0)
				continue;
			inet_ntop(AF_INET6, a, out, sizeof(out));
			up = (st->usable6 >> i) & 1;
			if (ctx->json)
				json_array_append_new(ups, json_pack("{s:s, s:s, "
					"s:b}", "uplink", u->name, "address", out,
					"usable", up));
			else
				nep_buf_printf(ctx->out, "%-40s %-8s %-40s %s\n",
					in, u->name, out, up ? "up" : "down");
		}
		if (ctx->json)
			json_array_append_new(arr, json_pack("{s:s, s:o}",
				"inside", in, "uplinks", ups));
		else
			json_decref(ups);
	}
	if (ctx->json)
		ctx->json_out = json_pack("{s:o}", "published", arr);
	else
		json_decref(arr);
	return 0;
}

void
mh_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show uplinks", cmd_uplinks);
	nep_dispatch_bind(d, "show flows [FILTER...]", cmd_flows);
	nep_dispatch_bind_prep(d, "show flows [FILTER...]", flows_prep,
		flows_prep_free);
	nep_dispatch_bind(d, "show policies", cmd_policies);
	nep_dispatch_bind(d, "show events", cmd_events);
	nep_dispatch_bind(d, "set uplink NAME weight N", cmd_set_weight);
	nep_dispatch_bind(d, "set uplink NAME admin up|down", cmd_set_admin);
	nep_dispatch_bind(d, "flush flows [uplink NAME]", cmd_flush);
	nep_dispatch_bind(d, "show uplink NAME", cmd_uplink);
	nep_dispatch_bind(d, "show published", cmd_published);
}
