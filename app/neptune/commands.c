/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management command handlers. They run on the control lcore (see
 * nep_mgmt_poll), so they read appliance state without locks. Each one
 * fills either ctx->json_out (with --json; schemas in docs/cli.md) or text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_version.h>

#include "nep_dcache.h"
#include "neptune.h"
#include "nep_control.h"
#include "nep_pkt.h"
#include "nep_trace.h"

#define APP(ctx) ((struct nep_app *)(ctx)->app)

/* Lower case, as `ip link` prints it. */
static const char *
mac_str(const struct rte_ether_addr *m, char *buf, size_t len)
{
	const uint8_t *b = m->addr_bytes;

	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
		b[3], b[4], b[5]);
	return buf;
}

static int
cmd_version(struct nep_cmd_ctx *ctx)
{
	if (ctx->json) {
		ctx->json_out = json_pack("{s:s, s:s}", "version", NEP_VERSION,
			"dpdk", rte_version());
		return 0;
	}
	nep_buf_printf(ctx->out, "neptune %s (%s)\n", NEP_VERSION,
		rte_version());
	return 0;
}

static int
cmd_ports(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	json_t *arr = json_array();
	char mac[32], buf[80];

	if (!ctx->json)
		nep_buf_printf(ctx->out,
			"%-10s %-4s %-4s %-18s %-5s %-5s %-10s %-10s %s\n",
			"NAME", "ROLE", "ID", "MAC", "MTU", "LINK", "VLAN",
			"VRF", "ADDRESSES");
	for (unsigned i = 0; i < app->n_ports; i++) {
		const struct nep_port *p = &app->ports[i];
		const struct nep_port_conf *pc = &app->cfg->ports[i];
		struct rte_eth_link link = { 0 };
		json_t *addrs = json_array();

		rte_eth_link_get_nowait(p->id, &link);
		mac_str(&p->mac, mac, sizeof(mac));
		for (unsigned j = 0; j < pc->n_addrs; j++) {
			char a[64];
			nep_addr_str(&pc->addrs[j].addr, a, sizeof(a));
			snprintf(buf, sizeof(buf), "%s/%u", a, pc->addrs[j].len);
			json_array_append_new(addrs, json_string(buf));
		}
		const char *vrf = app->cfg->vrfs[p->vrf].name;
		const char *parent = p->parent >= 0 ?
			app->ports[p->parent].name : NULL;

		if (ctx->json) {
			json_t *o = json_pack(
				"{s:s, s:s, s:i, s:i, s:s, s:i, "
				"s:{s:b, s:b, s:b, s:i}, s:o, s:i, s:i, s:s, s:s}",
				"name", p->name, "role",
				p->role == NEP_PORT_LAN ? "lan" : "wan",
				"port_id", p->id, "ifid", p->ifid, "mac", mac,
				"mtu", p->mtu,
				"link", "up", p->link_up, "carrier",
				link.link_status != 0, "admin_up",
				!p->admin_down, "speed_mbps",
				(int)link.link_speed,
				"addresses", addrs, "rx_queues", p->n_rxq,
				"tx_queues", p->n_txq, "devargs", pc->devargs,
				"vrf", vrf);
			json_object_set_new(o, "parent", parent != NULL ?
				json_string(parent) : json_null());
			json_object_set_new(o, "vlan", p->vlan != 0 ?
				json_integer(p->vlan) : json_null());
			json_array_append_new(arr, o);
		} else {
			char vl[NEP_NAME_MAX + 8] = "-";

			if (parent != NULL)
				snprintf(vl, sizeof(vl), "%u@%s", p->vlan,
					parent);
			nep_buf_printf(ctx->out,
				"%-10s %-4s %-4u %-18s %-5u %-5s %-10s %-10s",
				p->name, p->role == NEP_PORT_LAN ? "lan" : "wan",
				p->id, mac, p->mtu,
				p->admin_down ? "admin" : p->link_up ? "up" :
				"down", vl, vrf);
			for (size_t j = 0; j < json_array_size(addrs); j++)
				nep_buf_printf(ctx->out, " %s",
					json_string_value(json_array_get(addrs, j)));
			nep_buf_printf(ctx->out, "\n");
			json_decref(addrs);
		}
	}
	nep_reply_list(ctx, "ports", arr);
	return 0;
}

static void
port_stats_subif(struct nep_cmd_ctx *ctx, json_t *arr,
	const struct nep_port *p, uint64_t rx, uint64_t tx)
{
	const char *parent = APP(ctx)->ports[p->parent].name;
	static const char *const nic[] = { "rx_packets", "rx_bytes",
		"tx_packets", "tx_bytes", "rx_missed", "rx_errors",
		"tx_errors", "rx_nombuf" };

	if (ctx->json) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:I, s:I}", "name",
			p->name, "parent", parent, "vlan", p->vlan,
			"sw_rx_packets", (json_int_t)rx, "sw_tx_packets",
			(json_int_t)tx);

		for (unsigned k = 0; k < RTE_DIM(nic); k++)
			json_object_set_new(o, nic[k], json_null());
		json_array_append_new(arr, o);
		return;
	}
	nep_buf_printf(ctx->out,
		"port %s (VLAN %u on %s)\n"
		"  dataplane rx %" PRIu64 " tx %" PRIu64 "\n",
		p->name, p->vlan, parent, rx, tx);
}

/*
 * Rates as testpmd shows them: from the previous `show port stats` (of
 * any client) to this one, per physical port; the first one measures
 * from the start.
 */
struct port_rate {
	uint64_t t_ns;
	uint64_t ipackets, ibytes, opackets, obytes;
};
static struct port_rate port_rates[NEP_MAX_PORTS];

struct rates {
	double rx_pps, rx_bps, tx_pps, tx_bps, interval_s;
};

static void
port_rate(struct nep_app *app, unsigned i, const struct rte_eth_stats *st,
	struct rates *r)
{
	struct port_rate *pr = &port_rates[i];
	uint64_t now = nep_now_ns();
	uint64_t t0 = pr->t_ns ? pr->t_ns : app->start_ms * 1000000ull;
	double dt = now > t0 ? (double)(now - t0) / 1e9 : 0.0;

	memset(r, 0, sizeof(*r));
	r->interval_s = dt;
	/* counters cleared since (clear stats): nothing to compare with */
	if (dt > 0 && st->ipackets >= pr->ipackets &&
		st->opackets >= pr->opackets && st->ibytes >= pr->ibytes &&
		st->obytes >= pr->obytes) {
		r->rx_pps = (double)(st->ipackets - pr->ipackets) / dt;
		r->tx_pps = (double)(st->opackets - pr->opackets) / dt;
		r->rx_bps = 8.0 * (double)(st->ibytes - pr->ibytes) / dt;
		r->tx_bps = 8.0 * (double)(st->obytes - pr->obytes) / dt;
	}
	pr->t_ns = now;
	pr->ipackets = st->ipackets;
	pr->ibytes = st->ibytes;
	pr->opackets = st->opackets;
	pr->obytes = st->obytes;
}

static int
cmd_port_stats(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	json_t *arr = json_array();
	int only = -1;

	if (ctx->argc > 3) {
		only = nep_port_find(app, ctx->argv[3]);
		if (only < 0) {
			nep_buf_printf(ctx->out, "error: unknown port '%s'\n",
				ctx->argv[3]);
			json_decref(arr);
			return -1;
		}
	}
	for (unsigned i = 0; i < app->n_ports; i++) {
		const struct nep_port *p = &app->ports[i];
		struct rte_eth_stats st = { 0 };

		if (only >= 0 && (unsigned)only != i)
			continue;
		uint64_t fwd_rx = NEP_STAT(app, port_rx[i]);
		uint64_t fwd_tx = NEP_STAT(app, port_tx[i]);
		if (p->parent >= 0) {
			/* A sub-interface has no NIC counters of its own
			 * (its parent's count its frames too). */
			port_stats_subif(ctx, arr, p, fwd_rx, fwd_tx);
			continue;
		}
		rte_eth_stats_get(p->id, &st);
		struct rates rt;
		port_rate(app, i, &st, &rt);
		if (ctx->json) {
			json_t *o = json_pack(
				"{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
				"s:I, s:I, s:I}",
				"name", p->name,
				"rx_packets", (json_int_t)st.ipackets,
				"rx_bytes", (json_int_t)st.ibytes,
				"tx_packets", (json_int_t)st.opackets,
				"tx_bytes", (json_int_t)st.obytes,
				"rx_missed", (json_int_t)st.imissed,
				"rx_errors", (json_int_t)st.ierrors,
				"tx_errors", (json_int_t)st.oerrors,
				"rx_nombuf", (json_int_t)st.rx_nombuf,
				"sw_rx_packets", (json_int_t)fwd_rx,
				"sw_tx_packets", (json_int_t)fwd_tx);
			json_object_set_new(o, "rates", json_pack(
				"{s:f, s:f, s:f, s:f, s:f}", "rx_pps", rt.rx_pps,
				"rx_bps", rt.rx_bps, "tx_pps", rt.tx_pps,
				"tx_bps", rt.tx_bps, "interval_s",
				rt.interval_s));
			json_array_append_new(arr, o);
		} else {
			nep_buf_printf(ctx->out,
				"port %s (id %u)\n"
				"  rx packets %-14" PRIu64 " bytes %-16" PRIu64
				" missed %" PRIu64 " errors %" PRIu64
				" nombuf %" PRIu64 "\n"
				"  tx packets %-14" PRIu64 " bytes %-16" PRIu64
				" errors %" PRIu64 "\n"
				"  dataplane rx %" PRIu64 " tx %" PRIu64 "\n"
				"  rates over %.1f s (since the last show):\n"
				"    rx %14.0f pps %16.0f bit/s\n"
				"    tx %14.0f pps %16.0f bit/s\n",
				p->name, p->id, st.ipackets, st.ibytes,
				st.imissed, st.ierrors, st.rx_nombuf,
				st.opackets, st.obytes, st.oerrors, fwd_rx,
				fwd_tx, rt.interval_s, rt.rx_pps, rt.rx_bps,
				rt.tx_pps, rt.tx_bps);
		}
	}
	nep_reply_list(ctx, "ports", arr);
	return 0;
}

/* show port xstats NAME: the PMD's extended counters, as testpmd's. */
static int
cmd_port_xstats(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	int i = nep_port_find(app, ctx->argv[3]);
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	json_t *obj;
	int n;

	if (i < 0) {
		nep_buf_printf(ctx->out, "error: unknown port '%s'\n",
			ctx->argv[3]);
		return -1;
	}
	if (app->ports[i].parent >= 0) {
		nep_buf_printf(ctx->out, "error: %s is a VLAN sub-interface: "
			"its NIC counters are %s's\n", app->ports[i].name,
			app->ports[app->ports[i].parent].name);
		return -1;
	}
	n = rte_eth_xstats_get_names(app->ports[i].id, NULL, 0);
	if (n < 0) {
		nep_buf_printf(ctx->out, "error: %s: no extended statistics "
			"(%s)\n", app->ports[i].name, rte_strerror(-n));
		return -1;
	}
	names = calloc((size_t)n + 1, sizeof(*names));
	vals = calloc((size_t)n + 1, sizeof(*vals));
	if (names == NULL || vals == NULL ||
		rte_eth_xstats_get_names(app->ports[i].id, names, (unsigned)n) != n ||
		rte_eth_xstats_get(app->ports[i].id, vals, (unsigned)n) != n) {
		free(names);
		free(vals);
		nep_buf_printf(ctx->out, "error: %s: cannot read extended "
			"statistics\n", app->ports[i].name);
		return -1;
	}
	obj = json_object();
	if (!ctx->json)
		nep_buf_printf(ctx->out, "port %s (id %u): %d extended "
			"statistics\n", app->ports[i].name, app->ports[i].id, n);
	for (int k = 0; k < n; k++) {
		const char *nm = vals[k].id < (uint64_t)n ?
			names[vals[k].id].name : "?";
		if (ctx->json)
			json_object_set_new(obj, nm,
				json_integer((json_int_t)vals[k].value));
		else
			nep_buf_printf(ctx->out, "  %-40s %" PRIu64 "\n", nm,
				vals[k].value);
	}
	free(names);
	free(vals);
	if (ctx->json)
		ctx->json_out = json_pack("{s:s, s:i, s:o}", "name",
			app->ports[i].name, "port_id", app->ports[i].id, "xstats",
			obj);
	else
		json_decref(obj);
	return 0;
}

static int
cmd_lcores(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	json_t *arr = json_array();
	unsigned main_lcore = rte_get_main_lcore();
	struct nep_feature *f;

	if (ctx->json)
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:[], s:I, s:I, s:I}", "lcore", main_lcore,
			"role", "control", "queues", "rx_packets",
			(json_int_t)NEP_STAT(app, punted), "tx_packets",
			(json_int_t)(NEP_STAT(app, tx_pkts) +
				NEP_STAT(app, ctl_forwarded)), "punted_in",
			(json_int_t)NEP_STAT(app, punted)));
	else
		nep_buf_printf(ctx->out, "lcore %u: control (punted in %" PRIu64
			", originated %" PRIu64 ")\n", main_lcore,
			NEP_STAT(app, punted), NEP_STAT(app, tx_pkts));
	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct nep_worker *wk = &app->workers[w];
		const struct nep_lcore_stats *st = &app->stats[wk->lcore_id];
		const struct nep_lcore_stats *b = &app->stats_base[wk->lcore_id];
		uint64_t polls = st->polls - b->polls, tx = 0;

		for (unsigned p = 0; p < app->n_ports; p++)
			tx += st->port_tx[p] - b->port_tx[p];
		double busy = polls ? 100.0 * (double)(st->busy_polls -
			b->busy_polls) / (double)polls : 0.0;
		json_t *qs = json_array();

		uint64_t rc_miss = st->route_cache_misses -
			b->route_cache_misses;
		uint64_t rc_epochs = wk->dc != NULL ? wk->dc->epochs : 0;

		if (!ctx->json)
			nep_buf_printf(ctx->out, "lcore %u: worker %u, rx %"
				PRIu64 ", busy polls %.1f%%, idle sleeps %" PRIu64
				", route cache miss %" PRIu64 " (%" PRIu64
				" invalidations), handed off %" PRIu64
				", queues:",
				wk->lcore_id, w, st->rx_pkts - b->rx_pkts, busy,
				st->idle_sleeps - b->idle_sleeps, rc_miss,
				rc_epochs, st->handoffs - b->handoffs);
		for (unsigned q = 0; q < wk->n_rxq; q++) {
			const char *pn = app->ports[wk->rxq[q].port].name;
			if (ctx->json)
				json_array_append_new(qs, json_pack("{s:s, s:i}",
					"port", pn, "queue", wk->rxq[q].queue));
			else
				nep_buf_printf(ctx->out, " %s/%u", pn,
					wk->rxq[q].queue);
		}
		if (ctx->json) {
			json_t *o = json_pack(
				"{s:i, s:s, s:o, s:I, s:I, s:f, s:I, s:I, s:I, "
				"s:I}",
				"lcore", wk->lcore_id, "role", "worker",
				"queues", qs,
				"rx_packets", (json_int_t)(st->rx_pkts - b->rx_pkts),
				"tx_packets", (json_int_t)tx, "busy_pct", busy,
				"idle_sleeps",
				(json_int_t)(st->idle_sleeps - b->idle_sleeps),
				"route_cache_misses", (json_int_t)rc_miss,
				"route_cache_invalidations",
				(json_int_t)rc_epochs, "handoffs",
				(json_int_t)(st->handoffs - b->handoffs));
			NEP_FOREACH_FEATURE(f)
				if (f->lcore_json != NULL)
					f->lcore_json(app, wk, o);
#ifdef NEP_STAGE_CYCLES
			uint64_t rx = st->rx_pkts - b->rx_pkts;
			double d = rx ? (double)rx : 1.0;

			json_object_set_new(o, "cycles_per_packet", json_pack(
				"{s:f, s:f, s:f}",
				"rx", (double)(st->cyc_rx - b->cyc_rx) / d,
				"process", (double)(st->cyc_proc - b->cyc_proc) / d,
				"tx", (double)(st->cyc_tx - b->cyc_tx) / d));
#endif
			json_array_append_new(arr, o);
		} else {
			json_decref(qs);
			nep_buf_printf(ctx->out, "\n");
		}
	}
	nep_reply_list(ctx, "lcores", arr);
	return 0;
}

struct neigh_row {
	const char *port;
	char addr[64];
	char mac[32];
	const char *state;
	uint64_t age_ms;
	unsigned queued;
	uint8_t family;
	uint8_t key[16];
};

struct neigh_visit {
	struct nep_app *app;
	struct neigh_row *rows;
	unsigned n, cap;
	uint64_t now;
};

static void
visit_neigh(void *arg, const struct nep_neigh_ctl *c, uint64_t mac)
{
	struct neigh_visit *v = arg;
	struct nep_app *app = v->app;
	struct nep_addr a = { .family = c->key.family == 4 ? AF_INET : AF_INET6 };
	struct rte_ether_addr ea;
	int pi = app->port_index[c->key.port];
	struct neigh_row *r;

	if (v->n == v->cap) {
		unsigned cap = v->cap ? v->cap * 2 : 64;
		struct neigh_row *nr = realloc(v->rows, cap * sizeof(*nr));
		if (nr == NULL)
			return;
		v->rows = nr;
		v->cap = cap;
	}
	r = &v->rows[v->n++];
	memcpy(a.a, c->key.addr, 16);
	nep_addr_str(&a, r->addr, sizeof(r->addr));
	snprintf(r->mac, sizeof(r->mac), "-");
	if (mac & NEP_NEIGH_VALID) {
		memcpy(ea.addr_bytes, &mac, 6);
		mac_str(&ea, r->mac, sizeof(r->mac));
	}
	r->port = pi >= 0 ? app->ports[pi].name : "?";
	r->state = nep_neigh_state_names[c->state];
	r->age_ms = c->state == NEP_NEIGH_PERMANENT ? 0 :
		v->now - c->changed_ms;
	r->queued = c->n_queued;
	r->family = c->key.family;
	memcpy(r->key, c->key.addr, 16);
}

/* By port, then IPv4 before IPv6, then address. */
static int
neigh_cmp(const void *x, const void *y)
{
	const struct neigh_row *a = x, *b = y;
	int c = strcmp(a->port, b->port);

	if (c != 0)
		return c;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->key, b->key, 16);
}

/* "850 ms", "12.3 s", "4 min", "3.0 h": the unit always printed. */
static const char *
age_str(uint64_t ms, char *buf, size_t len)
{
	if (ms < 10000)
		snprintf(buf, len, "%" PRIu64 " ms", ms);
	else if (ms < 600000)
		snprintf(buf, len, "%.1f s", (double)ms / 1e3);
	else if (ms < 3600000)
		snprintf(buf, len, "%" PRIu64 " min", ms / 60000);
	else
		snprintf(buf, len, "%.1f h", (double)ms / 3.6e6);
	return buf;
}

static int
cmd_neighbors(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	struct neigh_visit v = { app, NULL, 0, 0, nep_now_ms() };
	json_t *arr = json_array();
	char age[32];

	nep_neigh_foreach(app->neigh, visit_neigh, &v);
	if (v.n > 1)
		qsort(v.rows, v.n, sizeof(v.rows[0]), neigh_cmp);
	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-10s %-40s %-18s %-10s %10s %6s\n",
			"PORT", "ADDRESS", "MAC", "STATE", "AGE", "QUEUED");
	for (unsigned i = 0; i < v.n; i++) {
		const struct neigh_row *r = &v.rows[i];

		if (ctx->json)
			json_array_append_new(arr, json_pack(
				"{s:s, s:s, s:s, s:s, s:I, s:i}", "port", r->port,
				"address", r->addr, "mac", r->mac, "state",
				r->state, "age_ms", (json_int_t)r->age_ms,
				"queued", r->queued));
		else
			nep_buf_printf(ctx->out,
				"%-10s %-40s %-18s %-10s %10s %6u\n", r->port,
				r->addr, r->mac, r->state,
				age_str(r->age_ms, age, sizeof(age)), r->queued);
	}
	free(v.rows);
	nep_reply_list(ctx, "neighbors", arr);
	return 0;
}

static int
cmd_clear_neighbors(struct nep_cmd_ctx *ctx)
{
	nep_control_flush_neighbors(APP(ctx));
	if (ctx->json)
		ctx->json_out = json_pack("{s:b}", "ok", 1);
	else
		nep_buf_printf(ctx->out, "neighbour table flushed\n");
	return 0;
}

/* The table `vrf NAME` names (argv[i], argv[i + 1]), else 0; -1 (error
 * written) when there is no such VRF. */
static int
vrf_arg(struct nep_cmd_ctx *ctx, int i)
{
	int t;

	if (ctx->argc < i + 2)
		return 0;
	t = nep_vrf_find(APP(ctx)->cfg, ctx->argv[i + 1]);
	if (t < 0)
		nep_buf_printf(ctx->out, "error: unknown vrf '%s'\n",
			ctx->argv[i + 1]);
	return t;
}

static int
cmd_routes(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	static const char *const types[] = { "local", "connected", "static",
		"feature" };
	int t = vrf_arg(ctx, 2);
	const struct nep_rib *rib;
	json_t *arr;

	if (t < 0)
		return -1;
	rib = nep_snap_rib(app->snap, (unsigned)t);
	arr = json_array();
	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-44s %-10s %-28s %s\n", "PREFIX",
			"TYPE", "VIA", "PORT");
	for (unsigned i = 0; i < rib->n_routes; i++) {
		const struct nep_route_entry *e = &rib->routes[i];
		char ps[64], vs[64] = "";
		const char *pn = e->cfg_port >= 0 ?
			app->ports[e->cfg_port].name : "-";
		const char *type = (unsigned)e->type < RTE_DIM(types) ?
			types[e->type] : "?";

		nep_prefix_str(&e->prefix, ps, sizeof(ps));
		if (e->via.family != 0)
			nep_addr_str(&e->via, vs, sizeof(vs));
		if (ctx->json) {
			json_t *o = json_pack("{s:s, s:s, s:s}", "prefix", ps,
				"type", type, "port", pn);
			json_object_set_new(o, "via", e->via.family ?
				json_string(vs) : json_null());
			json_array_append_new(arr, o);
		} else {
			nep_buf_printf(ctx->out, "%-44s %-10s %-28s %s\n", ps,
				type, e->via.family ? vs : "-", pn);
		}
	}
	nep_reply_list(ctx, "routes", arr);
	return 0;
}

/* show vrf: each table, its interfaces and how many routes it holds. */
static int
cmd_vrf(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct nep_snapshot *s = app->snap;
	json_t *arr = json_array();

	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-16s %-5s %-7s %-7s %s\n", "NAME",
			"TABLE", "FIB", "ROUTES", "INTERFACES");
	for (unsigned t = 0; t < s->n_vrfs; t++) {
		const struct nep_vrf_conf *vc = &s->cfg->vrfs[t];
		json_t *ifs = json_array();

		for (unsigned i = 0; i < app->n_ports; i++)
			if (app->ports[i].vrf == t)
				json_array_append_new(ifs,
					json_string(app->ports[i].name));
		if (ctx->json) {
			json_array_append_new(arr, json_pack(
				"{s:s, s:i, s:s, s:o, s:i}", "name", vc->name,
				"table", t, "fib", vc->compact ? "compact" :
				"fast", "interfaces", ifs, "routes",
				(int)s->ribs[t]->n_routes));
			continue;
		}
		nep_buf_printf(ctx->out, "%-16s %-5u %-7s %-7u", vc->name, t,
			vc->compact ? "compact" : "fast", s->ribs[t]->n_routes);
		for (size_t j = 0; j < json_array_size(ifs); j++)
			nep_buf_printf(ctx->out, "%s%s", j ? "," : " ",
				json_string_value(json_array_get(ifs, j)));
		nep_buf_printf(ctx->out, "%s\n", json_array_size(ifs) ? "" :
			" -");
		json_decref(ifs);
	}
	nep_reply_list(ctx, "vrfs", arr);
	return 0;
}

static uint64_t
drops_total(struct nep_app *app)
{
	uint64_t total = 0;

	for (unsigned r = 1; r < nep_drop_count(); r++)
		if (r != NEP_DROP_ICMP_RATELIMIT) /* not a packet */
			total += NEP_STAT(app, drops[r]);
	return total;
}

static int
cmd_drops(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	json_t *obj = json_object();
	uint64_t total = 0;

	for (unsigned r = 1; r < nep_drop_count(); r++) {
		uint64_t n = NEP_STAT(app, drops[r]);
		if (r != NEP_DROP_ICMP_RATELIMIT)	/* not a packet */
			total += n;
		if (ctx->json)
			json_object_set_new(obj, nep_drop_name(r),
				json_integer((json_int_t)n));
		else if (n != 0)
			nep_buf_printf(ctx->out, "%-28s %" PRIu64 "\n",
				nep_drop_name(r), n);
	}
	if (ctx->json) {
		ctx->json_out = json_pack("{s:o, s:I}", "drops", obj, "total",
			(json_int_t)total);
	} else {
		json_decref(obj);
		nep_buf_printf(ctx->out, "%-28s %" PRIu64 "\n", "total", total);
	}
	return 0;
}

/* show errors: every drop reason and punt by stage and owner, as VPP's. */
static int
cmd_errors(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	json_t *arr = json_array();

	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-10s %-12s %-28s %-6s %s\n", "STAGE",
			"FEATURE", "REASON", "KIND", "COUNT");
	for (unsigned st = 0; st < NEP_STAGE_MAX; st++)
		for (unsigned r = 1; r < nep_drop_count(); r++) {
			uint64_t n = NEP_STAT(app, drops[r]);
			if (nep_drop_stage(r) != st || n == 0)
				continue;
			if (ctx->json)
				json_array_append_new(arr, json_pack(
					"{s:s, s:s, s:s, s:s, s:I}", "stage",
					nep_stage_names[st], "feature",
					nep_drop_feature(r), "reason",
					nep_drop_name(r), "kind",
					r == NEP_DROP_ICMP_RATELIMIT ? "info" :
								       "drop",
					"count", (json_int_t)n));
			else
				nep_buf_printf(ctx->out,
					"%-10s %-12s %-28s %-6s %" PRIu64 "\n",
					nep_stage_names[st], nep_drop_feature(r),
					nep_drop_name(r),
					r == NEP_DROP_ICMP_RATELIMIT ? "info" :
								       "drop", n);
		}
	for (unsigned p = 1; p < NEP_PUNT_MAX; p++) {
		uint64_t n = NEP_STAT(app, punts[p]);
		if (n == 0)
			continue;
		if (ctx->json)
			json_array_append_new(arr, json_pack(
				"{s:s, s:s, s:s, s:s, s:I}", "stage", "worker",
				"feature", "core", "reason", nep_punt_names[p],
				"kind", "punt", "count", (json_int_t)n));
		else
			nep_buf_printf(ctx->out,
				"%-10s %-12s %-28s %-6s %" PRIu64 "\n", "worker",
				"core", nep_punt_names[p], "punt", n);
	}
	nep_reply_list(ctx, "errors", arr);
	return 0;
}

/* show runtime: per stage calls, packets and cycles per packet, summed
 * over the workers. */
static int
cmd_runtime(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	json_t *arr = json_array();

	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-10s %14s %14s %10s %12s\n", "STAGE",
			"CALLS", "PACKETS", "PKTS/CALL", "CYCLES/PKT");
	for (unsigned st = 0; st < NEP_STAGE_MAX; st++) {
		uint64_t calls = 0, pkts = 0, cyc = 0;

		if (st == NEP_STAGE_CONTROL)
			continue;
		for (unsigned w = 0; w < app->n_workers; w++) {
			unsigned l = app->workers[w].lcore_id;
			calls += app->stats[l].rt[st].calls -
				app->stats_base[l].rt[st].calls;
			pkts += app->stats[l].rt[st].pkts -
				app->stats_base[l].rt[st].pkts;
			cyc += app->stats[l].rt[st].cycles -
				app->stats_base[l].rt[st].cycles;
		}
#ifdef NEP_STAGE_CYCLES
		const bool timed = true;
#else
		const bool timed = false;
#endif
		double cpp = pkts ? (double)cyc / (double)pkts : 0.0;
		double ppc = calls ? (double)pkts / (double)calls : 0.0;
		if (ctx->json) {
			json_t *o = json_pack("{s:s, s:I, s:I, s:f}", "stage",
				nep_stage_names[st], "calls", (json_int_t)calls,
				"packets", (json_int_t)pkts, "packets_per_call",
				ppc);
			json_object_set_new(o, "cycles_per_packet",
				timed ? json_real(cpp) : json_null());
			json_array_append_new(arr, o);
		} else if (timed) {
			nep_buf_printf(ctx->out, "%-10s %14" PRIu64 " %14" PRIu64
				" %10.2f %12.1f\n", nep_stage_names[st], calls,
				pkts, ppc, cpp);
		} else {
			nep_buf_printf(ctx->out, "%-10s %14" PRIu64 " %14" PRIu64
				" %10.2f %12s\n", nep_stage_names[st], calls,
				pkts, ppc, "-");
		}
	}
	if (!ctx->json)
		nep_buf_printf(ctx->out, "(the fast-path row counts every rx "
			"burst; packets it hands to the general path are counted "
			"again by the stages%s)\n",
#ifdef NEP_STAGE_CYCLES
			""
#else
			"; cycles need a -Dstage_cycles build"
#endif
			);
	nep_reply_list(ctx, "stages", arr);
	return 0;
}

static int
cmd_local(struct nep_cmd_ctx *ctx)
{
	nep_local_show(APP(ctx), ctx);
	return 0;
}

/* The outcome counters of the workers or of the control lcore. */
static json_t *
plane_json(struct nep_app *app, bool control)
{
	unsigned main_lcore = rte_get_main_lcore();
	uint64_t rx = 0, fwd = 0, punted = 0, local = 0, drops = 0;
	uint64_t handoffs = 0;	/* moved between workers, not an outcome */
	uint64_t by_class[NEP_PUNT_CLASSES] = { 0 };

	for (unsigned l = 0; l < RTE_MAX_LCORE; l++) {
		const struct nep_lcore_stats *s = &app->stats[l];
		const struct nep_lcore_stats *b = &app->stats_base[l];

		if ((l == main_lcore) != control)
			continue;
		rx += s->rx_pkts - b->rx_pkts;
		fwd += control ? s->ctl_forwarded - b->ctl_forwarded :
				 s->forwarded - b->forwarded;
		punted += s->punted - b->punted;
		local += s->local - b->local;
		handoffs += s->handoffs - b->handoffs;
		for (unsigned k = 0; k < NEP_PUNT_CLASSES; k++)
			by_class[k] += s->punt_class[k] - b->punt_class[k];
		for (unsigned r = 1; r < nep_drop_count(); r++)
			if (r != NEP_DROP_ICMP_RATELIMIT)
				drops += s->drops[r] - b->drops[r];
	}
	if (control)
		return json_pack("{s:I, s:I, s:I, s:I}", "local",
			(json_int_t)local, "forwarded", (json_int_t)fwd, "held",
			(json_int_t)app->held, "drops", (json_int_t)drops);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, "
		"s:I}}", "rx_packets", (json_int_t)rx, "forwarded",
		(json_int_t)fwd, "punted", (json_int_t)punted, "drops",
		(json_int_t)drops, "handoffs", (json_int_t)handoffs,
		"punted_by_class", "nd", (json_int_t)by_class[0], "probe",
		(json_int_t)by_class[1], "icmp", (json_int_t)by_class[2],
		"resolve", (json_int_t)by_class[3], "other",
		(json_int_t)by_class[4]);
}

/*
 * show stats: the accounting. Workers: rx = forwarded + punted + drops;
 * control: punted = local + ctl_forwarded + held + control drops (at
 * rest, with the punt rings empty). docs/architecture.md.
 */
static int
cmd_stats(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	uint64_t drops = drops_total(app);
	struct nep_feature *f;

	if (ctx->json) {
		json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			"s:I, s:I, s:I, s:I, s:I, s:I}",
			"rx_packets", (json_int_t)NEP_STAT(app, rx_pkts),
			"forwarded", (json_int_t)NEP_STAT(app, forwarded),
			"punted", (json_int_t)NEP_STAT(app, punted),
			"local", (json_int_t)NEP_STAT(app, local),
			"control_forwarded",
			(json_int_t)NEP_STAT(app, ctl_forwarded),
			"held", (json_int_t)app->held,
			"control_tx_packets", (json_int_t)NEP_STAT(app, tx_pkts),
			"originated_lost", (json_int_t)(NEP_STAT(app, orig_drops) +
				NEP_STAT(app, inject_tx_full)),
			"icmp_errors_lost",
			(json_int_t)NEP_STAT(app, icmp_errors_lost),
			"drops", (json_int_t)drops,
			"icmp_errors_sent", (json_int_t)app->icmp_sent,
			"uptime_s",
			(json_int_t)((nep_now_ms() - app->start_ms) / 1000),
			"generation", (json_int_t)app->snap->generation);
		json_object_set_new(o, "worker", plane_json(app, false));
		json_object_set_new(o, "control", plane_json(app, true));
		NEP_FOREACH_FEATURE(f)
			if (f->stats_json != NULL)
				f->stats_json(app, o);
		ctx->json_out = o;
		return 0;
	}
	nep_buf_printf(ctx->out,
		"rx packets %" PRIu64 "\nforwarded %" PRIu64 "\npunted %" PRIu64
		"\n  local %" PRIu64 "\n  forwarded by control %" PRIu64
		"\n  held %" PRIu64 "\ncontrol tx %" PRIu64 "\ndrops %" PRIu64
		"\nicmp errors sent %" PRIu64 "\nuptime %" PRIu64 " s\n",
		NEP_STAT(app, rx_pkts), NEP_STAT(app, forwarded),
		NEP_STAT(app, punted), NEP_STAT(app, local),
		NEP_STAT(app, ctl_forwarded), app->held,
		NEP_STAT(app, tx_pkts), drops, app->icmp_sent,
		(nep_now_ms() - app->start_ms) / 1000);
	NEP_FOREACH_FEATURE(f)
		if (f->stats_json != NULL) {
			json_t *o = json_object();
			const char *k;
			json_t *v;
			f->stats_json(app, o);
			json_object_foreach(o, k, v)
				nep_buf_printf(ctx->out, "%s %" JSON_INTEGER_FORMAT
					"\n", k, json_integer_value(v));
			json_decref(o);
		}
	return 0;
}

static int
cmd_clear_stats(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);

	/* Workers own their counters: remember a baseline, never write them. */
	struct nep_feature *f;

	memcpy(app->stats_base, app->stats, sizeof(app->stats));
	for (unsigned i = 0; i < app->n_phys; i++)
		rte_eth_stats_reset(app->ports[i].id);
	for (unsigned i = 0; i < NEP_MAX_PORTS; i++)
		port_rates[i] = (struct port_rate){ .t_ns = nep_now_ns() };
	app->icmp_sent = 0;
	NEP_FOREACH_FEATURE(f)
		if (f->clear_stats != NULL)
			f->clear_stats(app);
	if (ctx->json)
		ctx->json_out = json_pack("{s:b}", "ok", 1);
	else
		nep_buf_printf(ctx->out, "statistics cleared\n");
	return 0;
}

static int
cmd_log_level(struct nep_cmd_ctx *ctx)
{
	const char *lvl = ctx->argv[ctx->argc - 1];
	int l = nep_cmd_log_level(lvl);

	if (l < 0) {
		nep_buf_printf(ctx->out, "error: unknown log level '%s'\n", lvl);
		return -1;
	}
	rte_log_set_level(nep_logtype, (uint32_t)l);
	if (ctx->json)
		ctx->json_out = json_pack("{s:s}", "level", lvl);
	else
		nep_buf_printf(ctx->out, "log level %s\n", lvl);
	return 0;
}

/* testpmd's `set link-down port`: the PMD takes the link down (the
 * control lcore sees it as a carrier loss: uplinks out, frames to the port
 * counted as port_down). */
static int
cmd_set_port_link(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const char *name = ctx->argv[2];
	bool up = strcmp(ctx->argv[4], "up") == 0;
	int i = nep_port_find(app, name), rc;

	if (i < 0) {
		nep_buf_printf(ctx->out, "error: no port '%s'\n", name);
		return -1;
	}
	if (app->ports[i].parent >= 0) {
		nep_buf_printf(ctx->out, "error: port %s is a sub-interface: "
			"its link is its parent's (%s)\n", name,
			app->ports[app->ports[i].parent].name);
		return -1;
	}
	/* The PMD's link follows where it can (net_tap: the kernel side
	 * goes down); either way neptune holds the port down: nothing is
	 * sent on it and what it still receives is dropped (port_down). */
	rc = up ? rte_eth_dev_set_link_up(app->ports[i].id) :
		  rte_eth_dev_set_link_down(app->ports[i].id);
	if (rc != 0 && rc != -ENOTSUP)
		NEP_LOG(WARNING, "port %s: rte_eth_dev_set_link_%s: %s", name,
			up ? "up" : "down", strerror(-rc));
	app->ports[i].admin_down = !up;
	nep_ports_link_update(app);
	NEP_LOG(NOTICE, "port %s: link set %s from the CLI (link now %s)",
		name, up ? "up" : "down",
		app->ports[i].link_up ? "up" : "down");
	if (ctx->json)
		ctx->json_out = json_pack("{s:s, s:b, s:b}", "port", name,
			"admin_up", !app->ports[i].admin_down, "link_up",
			app->ports[i].link_up);
	else if (up && !app->ports[i].link_up)
		nep_buf_printf(ctx->out, "port %s: admin up, link down "
			"(no carrier)\n", name);
	else
		nep_buf_printf(ctx->out, "port %s: link %s\n", name,
			app->ports[i].link_up ? "up" : "down");
	return 0;
}

static int
cmd_shutdown(struct nep_cmd_ctx *ctx)
{
	APP(ctx)->quit = 1;
	if (ctx->json)
		ctx->json_out = json_pack("{s:b}", "ok", 1);
	else
		nep_buf_printf(ctx->out, "shutting down\n");
	return 0;
}

/* What `reload` parsed in the submitting thread (reload_prep): the
 * control lcore only checks, builds and publishes. */
struct reload_prep {
	struct nep_config *cfg;
	char err[800];
};

static void *
reload_prep(void *arg, const struct nep_cmd_ctx *ctx)
{
	(void)ctx;
	struct reload_prep *p = calloc(1, sizeof(*p));

	if (p != NULL)
		p->cfg = nep_reload_parse(arg, p->err, sizeof(p->err));
	return p;
}

static void
reload_prep_free(void *arg)
{
	struct reload_prep *p = arg;

	nep_config_free(p->cfg);
	free(p);
}

static int
cmd_reload(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	struct reload_prep *p = ctx->prep;
	struct nep_config *cfg;
	char err[800];
	int rc;

	if (p != NULL) {
		cfg = p->cfg;
		p->cfg = NULL;	/* nep_reload_apply takes it */
		snprintf(err, sizeof(err), "%s", p->err);
		rc = cfg == NULL ? -1 : nep_reload_apply(app, cfg, err,
			sizeof(err));
	} else {
		/* run by the control lcore itself (no submitting thread) */
		rc = nep_reload(app, err, sizeof(err));
	}
	if (rc < 0) {
		nep_buf_printf(ctx->out, "error: %s\n", err);
		return -1;
	}
	if (ctx->json)
		ctx->json_out = json_pack("{s:b, s:I}", "ok", 1, "generation",
			(json_int_t)app->snap->generation);
	else
		nep_buf_printf(ctx->out, "configuration reloaded (generation "
			"%" PRIu64 ")\n", app->snap->generation);
	return 0;
}

void nep_trace_commands(struct nep_app *app, struct nep_dispatch *d);

void
nep_commands_register(struct nep_app *app)
{
	struct nep_dispatch *d = &app->dispatch;

	d->app = app;
	nep_dispatch_bind(d, "show version", cmd_version);
	nep_dispatch_bind(d, "show ports", cmd_ports);
	nep_dispatch_bind(d, "show port stats [NAME]", cmd_port_stats);
	nep_dispatch_bind(d, "show port xstats NAME", cmd_port_xstats);
	nep_dispatch_bind(d, "show lcores", cmd_lcores);
	nep_dispatch_bind(d, "show neighbors", cmd_neighbors);
	nep_dispatch_bind(d, "clear neighbors", cmd_clear_neighbors);
	nep_dispatch_bind(d, "show routes [vrf NAME]", cmd_routes);
	nep_dispatch_bind(d, "show vrf", cmd_vrf);
	nep_dispatch_bind(d, "show drops", cmd_drops);
	nep_dispatch_bind(d, "show stats", cmd_stats);
	nep_dispatch_bind(d, "clear stats", cmd_clear_stats);
	nep_dispatch_bind(d, "set log level LEVEL", cmd_log_level);
	nep_dispatch_bind(d, "set port NAME link up|down", cmd_set_port_link);
	nep_dispatch_bind(d, "shutdown", cmd_shutdown);
	nep_dispatch_bind(d, "reload", cmd_reload);
	nep_dispatch_bind_prep(d, "reload", reload_prep, reload_prep_free);
	nep_dispatch_bind(d, "show errors", cmd_errors);
	nep_dispatch_bind(d, "show runtime", cmd_runtime);
	nep_dispatch_bind(d, "show local", cmd_local);
	nep_trace_commands(app, d);
}
