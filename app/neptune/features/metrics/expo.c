/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show metrics`: the Prometheus text exposition (format 0.0.4), built on
 * the control lcore from what the core and the features register:
 *
 *  - the core's counters (struct nep_lcore_stats summed over the lcores),
 *    the drop registry (every reason with its stage and owner), the ports'
 *    NIC counters (per queue too), the workers' polls, the mempools and
 *    the flow tables (DPDK objects found by name);
 *  - each feature's counters: the integers of its stats_json (and
 *    lcore_json per worker), exported as counters named after the keys;
 *  - the state a feature shows: the JSON of its registered `show`
 *    commands (uplinks and their health targets, events, SRv6 paths and
 *    SIDs, tunnels, NAT44 pools), run through the dispatcher. A command
 *    that fails (the feature is not configured) adds nothing.
 *
 * Names follow the Prometheus conventions: neptune_ prefix, base units
 * (seconds, bytes, ratios 0..1), _total on counters, labels only from
 * bounded sets (configured names, registered reasons, queues, lcores).
 * docs/operations.md lists the families.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "metrics.h"

#define APP(ctx) ((struct nep_app *)(ctx)->app)

/* ---- writer ---- */

struct expo {
	struct nep_app *app;
	struct nep_buf *b;
};

static void
fam(struct expo *e, const char *name, const char *type, const char *help)
{
	nep_buf_printf(e->b, "# HELP neptune_%s %s\n# TYPE neptune_%s %s\n",
		name, help, name, type);
}

/* Label value, escaped (\\, \", \n). */
static void
lval(struct nep_buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			nep_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			nep_buf_printf(b, "\\n");
		else
			nep_buf_append(b, v, 1);
	}
}

/* Labels: pairs of name, value, ended by NULL. */
static void
labels_v(struct nep_buf *b, va_list ap)
{
	const char *k;
	bool first = true;

	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		nep_buf_printf(b, "%s%s=\"", first ? "{" : ",", k);
		lval(b, v != NULL ? v : "");
		nep_buf_printf(b, "\"");
		first = false;
	}
	if (!first)
		nep_buf_printf(b, "}");
}

static void
su(struct expo *e, const char *name, uint64_t v, ...)
{
	va_list ap;

	nep_buf_printf(e->b, "neptune_%s", name);
	va_start(ap, v);
	labels_v(e->b, ap);
	va_end(ap);
	nep_buf_printf(e->b, " %" PRIu64 "\n", v);
}

static void
sd(struct expo *e, const char *name, double v, ...)
{
	va_list ap;

	nep_buf_printf(e->b, "neptune_%s", name);
	va_start(ap, v);
	labels_v(e->b, ap);
	va_end(ap);
	if (isnan(v))
		nep_buf_printf(e->b, " NaN\n");
	else
		nep_buf_printf(e->b, " %.9g\n", v);
}

/* A metric name from a JSON key: [a-z0-9_] only. */
static void
sanitize(char *dst, size_t size, const char *a, const char *b)
{
	size_t o = 0;

	for (const char *p = a; p != NULL && *p != '\0' && o + 1 < size; p++)
		dst[o++] = (char)((*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') ? *p :
			(*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : '_');
	if (a != NULL && b != NULL && o + 1 < size)
		dst[o++] = '_';
	for (const char *p = b; p != NULL && *p != '\0' && o + 1 < size; p++)
		dst[o++] = (char)((*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') ? *p :
			(*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : '_');
	dst[o] = '\0';
}

/* Run one of the registered commands (with --json) right here, on the
 * control lcore; NULL when it fails (feature not configured). */
static json_t *
run_json(struct nep_app *app, const char *line)
{
	struct nep_buf out;
	char l[NEP_MGMT_LINE_MAX + 8];
	json_t *j = NULL;

	snprintf(l, sizeof(l), "%s --json", line);
	nep_buf_init(&out);
	if (nep_dispatch_line(&app->dispatch, l, &out) == 0 && out.len > 0)
		j = json_loadb(out.data, out.len, 0, NULL);
	nep_buf_free(&out);
	return j;
}

static double
jnum(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *
jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static bool
jhas(const json_t *o, const char *key)
{
	return json_is_number(json_object_get(o, key));
}

/* ---- the core ---- */

static void
core_info(struct expo *e)
{
	struct nep_app *app = e->app;

	fam(e, "build_info", "gauge", "Version of neptune and of DPDK (1)");
	su(e, "build_info", 1, "version", NEP_VERSION, "dpdk", rte_version(),
		NULL);
	fam(e, "uptime_seconds", "gauge", "Seconds since neptune started");
	sd(e, "uptime_seconds", (double)(nep_now_ms() - app->start_ms) / 1e3,
		NULL);
	fam(e, "config_generation", "gauge",
		"Generation of the running configuration snapshot (reloads)");
	su(e, "config_generation", app->snap->generation, NULL);
	fam(e, "workers", "gauge", "Worker lcores");
	su(e, "workers", app->n_workers, NULL);
}

static void
core_packets(struct expo *e)
{
	struct nep_app *app = e->app;
	static const struct {
		const char *name;
		size_t off;
		const char *help;
	} c[] = {
		{ "rx_packets_total", offsetof(struct nep_lcore_stats, rx_pkts),
		  "Packets the workers received" },
		{ "forwarded_packets_total",
		  offsetof(struct nep_lcore_stats, forwarded),
		  "Packets the workers sent on" },
		{ "punted_packets_total",
		  offsetof(struct nep_lcore_stats, punted),
		  "Packets handed to the control lcore" },
		{ "local_packets_total", offsetof(struct nep_lcore_stats, local),
		  "Punted packets consumed by a local-delivery handler" },
		{ "control_forwarded_packets_total",
		  offsetof(struct nep_lcore_stats, ctl_forwarded),
		  "Punted packets the control lcore sent on after resolution" },
		{ "control_tx_packets_total",
		  offsetof(struct nep_lcore_stats, tx_pkts),
		  "Frames the control lcore originated (replies, errors, probes)" },
		{ "originated_lost_total",
		  offsetof(struct nep_lcore_stats, orig_drops),
		  "Originated frames lost before the NIC" },
		{ "icmp_errors_lost_total",
		  offsetof(struct nep_lcore_stats, icmp_errors_lost),
		  "ICMP errors lost to a full punt ring" },
		{ "route_cache_misses_total",
		  offsetof(struct nep_lcore_stats, route_cache_misses),
		  "Destination cache misses (FIB and neighbour lookups)" },
	};

	for (unsigned i = 0; i < RTE_DIM(c); i++) {
		fam(e, c[i].name, "counter", c[i].help);
		su(e, c[i].name, nep_stats_sum(app, c[i].off), NULL);
	}
	fam(e, "held_packets", "gauge",
		"Received packets waiting in neighbour queues");
	su(e, "held_packets", app->held, NULL);
	fam(e, "icmp_errors_sent_total", "counter", "ICMP errors sent");
	su(e, "icmp_errors_sent_total", app->icmp_sent, NULL);
}

static void
core_drops(struct expo *e)
{
	struct nep_app *app = e->app;

	fam(e, "drops_total", "counter",
		"Dropped packets by reason, the stage deciding and the owner "
		"(icmp_error_ratelimited counts errors not sent, not packets)");
	for (unsigned r = 1; r < nep_drop_count(); r++)
		su(e, "drops_total",
			nep_stats_sum(app, offsetof(struct nep_lcore_stats,
				drops) + r * sizeof(uint64_t)),
			"reason", nep_drop_name(r), "stage",
			nep_stage_names[nep_drop_stage(r)], "feature",
			nep_drop_feature(r), NULL);
	fam(e, "punts_total", "counter", "Packets punted by reason");
	for (unsigned p = 1; p < NEP_PUNT_MAX; p++)
		su(e, "punts_total",
			nep_stats_sum(app, offsetof(struct nep_lcore_stats,
				punts) + p * sizeof(uint64_t)),
			"reason", nep_punt_names[p], NULL);
}

static void
core_ports(struct expo *e)
{
	struct nep_app *app = e->app;
	struct rte_eth_stats st[NEP_MAX_PORTS];
	bool have[NEP_MAX_PORTS] = { false };
	static const struct {
		const char *name;
		size_t off;
		const char *help;
	} nic[] = {
		{ "port_rx_packets_total", offsetof(struct rte_eth_stats, ipackets),
		  "Packets the NIC received" },
		{ "port_tx_packets_total", offsetof(struct rte_eth_stats, opackets),
		  "Packets the NIC sent" },
		{ "port_rx_bytes_total", offsetof(struct rte_eth_stats, ibytes),
		  "Bytes the NIC received" },
		{ "port_tx_bytes_total", offsetof(struct rte_eth_stats, obytes),
		  "Bytes the NIC sent" },
		{ "port_rx_missed_total", offsetof(struct rte_eth_stats, imissed),
		  "Packets the NIC dropped for lack of rx descriptors" },
		{ "port_rx_errors_total", offsetof(struct rte_eth_stats, ierrors),
		  "Erroneous packets received" },
		{ "port_tx_errors_total", offsetof(struct rte_eth_stats, oerrors),
		  "Packets the NIC failed to send" },
		{ "port_rx_nombuf_total", offsetof(struct rte_eth_stats, rx_nombuf),
		  "Receive failures for lack of mbufs" },
	};
	static const struct {
		const char *name;
		size_t off;
		bool rx;
		const char *help;
	} q[] = {
		{ "port_queue_rx_packets_total",
		  offsetof(struct rte_eth_stats, q_ipackets), true,
		  "Packets received on one rx queue" },
		{ "port_queue_rx_bytes_total",
		  offsetof(struct rte_eth_stats, q_ibytes), true,
		  "Bytes received on one rx queue" },
		{ "port_queue_tx_packets_total",
		  offsetof(struct rte_eth_stats, q_opackets), false,
		  "Packets sent on one tx queue" },
		{ "port_queue_tx_bytes_total",
		  offsetof(struct rte_eth_stats, q_obytes), false,
		  "Bytes sent on one tx queue" },
	};

	for (unsigned i = 0; i < app->n_phys; i++)
		have[i] = rte_eth_stats_get(app->ports[i].id, &st[i]) == 0;

	fam(e, "port_up", "gauge", "Link state of a port (1 up, 0 down)");
	for (unsigned i = 0; i < app->n_ports; i++) {
		const struct nep_port *p = &app->ports[i];
		su(e, "port_up", p->link_up ? 1 : 0, "port", p->name, "role",
			p->role == NEP_PORT_LAN ? "lan" : "wan", NULL);
	}
	fam(e, "port_mtu_bytes", "gauge", "MTU of a port");
	for (unsigned i = 0; i < app->n_ports; i++)
		su(e, "port_mtu_bytes", app->ports[i].mtu, "port",
			app->ports[i].name, NULL);
	for (unsigned k = 0; k < RTE_DIM(nic); k++) {
		fam(e, nic[k].name, "counter", nic[k].help);
		for (unsigned i = 0; i < app->n_phys; i++)
			if (have[i])
				su(e, nic[k].name, *(const uint64_t *)(
					(const char *)&st[i] + nic[k].off),
					"port", app->ports[i].name, NULL);
	}
	for (unsigned k = 0; k < RTE_DIM(q); k++) {
		fam(e, q[k].name, "counter", q[k].help);
		for (unsigned i = 0; i < app->n_phys; i++) {
			const struct nep_port *p = &app->ports[i];
			unsigned n = q[k].rx ? p->n_rxq : p->n_txq;

			if (!have[i])
				continue;
			if (n > RTE_ETHDEV_QUEUE_STAT_CNTRS)
				n = RTE_ETHDEV_QUEUE_STAT_CNTRS;
			for (unsigned j = 0; j < n; j++) {
				char qs[8];
				const uint64_t *a = (const uint64_t *)(
					(const char *)&st[i] + q[k].off);
				snprintf(qs, sizeof(qs), "%u", j);
				su(e, q[k].name, a[j], "port", p->name,
					"queue", qs, NULL);
			}
		}
	}
	/* The pipeline's own counts: sub-interfaces too. */
	fam(e, "interface_rx_packets_total", "counter",
		"Packets the pipeline received on an interface (VLAN "
		"sub-interfaces included)");
	for (unsigned i = 0; i < app->n_ports; i++)
		su(e, "interface_rx_packets_total", NEP_STAT(app, port_rx[i]),
			"port", app->ports[i].name, NULL);
	fam(e, "interface_tx_packets_total", "counter",
		"Packets the pipeline sent on an interface");
	for (unsigned i = 0; i < app->n_ports; i++)
		su(e, "interface_tx_packets_total", NEP_STAT(app, port_tx[i]),
			"port", app->ports[i].name, NULL);
}

static void
core_workers(struct expo *e)
{
	struct nep_app *app = e->app;
	static const struct {
		const char *name;
		size_t off;
		const char *help;
	} c[] = {
		{ "worker_rx_packets_total",
		  offsetof(struct nep_lcore_stats, rx_pkts),
		  "Packets one worker received" },
		{ "worker_polls_total", offsetof(struct nep_lcore_stats, polls),
		  "Poll loops of one worker" },
		{ "worker_busy_polls_total",
		  offsetof(struct nep_lcore_stats, busy_polls),
		  "Poll loops that found packets" },
		{ "worker_idle_sleeps_total",
		  offsetof(struct nep_lcore_stats, idle_sleeps),
		  "Sleeps of an adaptive idle worker" },
	};
	char lc[8];

	for (unsigned k = 0; k < RTE_DIM(c); k++) {
		fam(e, c[k].name, "counter", c[k].help);
		for (unsigned w = 0; w < app->n_workers; w++) {
			unsigned l = app->workers[w].lcore_id;
			snprintf(lc, sizeof(lc), "%u", l);
			su(e, c[k].name, nep_counters_sum(&app->stats[l],
				&app->stats_base[l], sizeof(app->stats[0]), 1,
				c[k].off), "lcore", lc, NULL);
		}
	}
	fam(e, "worker_busy_ratio", "gauge",
		"Share of one worker's polls that found packets, since start "
		"or clear stats (rate(busy_polls) / rate(polls) for a window)");
	for (unsigned w = 0; w < app->n_workers; w++) {
		unsigned l = app->workers[w].lcore_id;
		uint64_t polls = app->stats[l].polls - app->stats_base[l].polls;
		uint64_t busy = app->stats[l].busy_polls -
			app->stats_base[l].busy_polls;
		snprintf(lc, sizeof(lc), "%u", l);
		sd(e, "worker_busy_ratio", polls ? (double)busy /
			(double)polls : 0.0, "lcore", lc, NULL);
	}
}

/* Packet pools only: the FIBs' rib node pools (MP_...) are named after
 * each snapshot's generation, a label set that would grow with reloads. */
static bool
pool_listed(const struct rte_mempool *mp)
{
	return strncmp(mp->name, "MP_", 3) != 0;
}

static void
pool_walk(struct rte_mempool *mp, void *arg)
{
	struct expo *e = arg;

	if (!pool_listed(mp))
		return;
	nep_buf_printf(e->b, "neptune_mempool_size{pool=\"");
	lval(e->b, mp->name);
	nep_buf_printf(e->b, "\"} %u\n", mp->size);
}

static void
pool_walk_used(struct rte_mempool *mp, void *arg)
{
	struct expo *e = arg;

	if (!pool_listed(mp))
		return;
	nep_buf_printf(e->b, "neptune_mempool_in_use{pool=\"");
	lval(e->b, mp->name);
	nep_buf_printf(e->b, "\"} %u\n", rte_mempool_in_use_count(mp));
}

static void
core_memory(struct expo *e)
{
	char name[RTE_HASH_NAMESIZE], wk[12];

	fam(e, "mempool_size", "gauge", "Objects (mbufs) in a mempool");
	rte_mempool_walk(pool_walk, e);
	fam(e, "mempool_in_use", "gauge", "Objects of a mempool in use");
	rte_mempool_walk(pool_walk_used, e);

	/* Flow tables are rte_hash objects by name (lib/flow). */
	fam(e, "flow_table_entries", "gauge", "Flows in a worker's table");
	for (unsigned w = 0; w < e->app->n_workers; w++) {
		struct rte_hash *h;
		snprintf(name, sizeof(name), "nep_flows_%u", w);
		h = rte_hash_find_existing(name);
		snprintf(wk, sizeof(wk), "%u", w);
		if (h != NULL)
			su(e, "flow_table_entries", (uint64_t)rte_hash_count(h),
				"worker", wk, NULL);
	}
	fam(e, "flow_table_capacity", "gauge",
		"Entries a worker's flow table holds");
	for (unsigned w = 0; w < e->app->n_workers; w++) {
		struct rte_hash *h;
		snprintf(name, sizeof(name), "nep_flows_%u", w);
		h = rte_hash_find_existing(name);
		snprintf(wk, sizeof(wk), "%u", w);
		if (h != NULL)
			su(e, "flow_table_capacity",
				(uint64_t)rte_hash_max_key_id(h) + 1, "worker",
				wk, NULL);
	}
}

/* ---- what the features register ---- */

/* Is family neptune_<name> already in the exposition? (A feature's
 * generic counter must not repeat a family; the text is a few ten KiB.) */
static bool
declared(const struct expo *e, const char *name)
{
	char t[160];
	size_t tl;

	snprintf(t, sizeof(t), "# TYPE neptune_%s ", name);
	tl = strlen(t);
	for (size_t i = 0; e->b->data != NULL && i + tl <= e->b->len; i++)
		if (e->b->data[i] == '#' && memcmp(e->b->data + i, t, tl) == 0)
			return true;
	return false;
}

/* Integers of a feature's stats_json: counters by construction (clear
 * stats resets them). Nested objects name a group: {"srv6": {"encap"}}
 * -> neptune_srv6_encap_total. */
static void
feature_counters(struct expo *e)
{
	struct nep_feature *f;

	NEP_FOREACH_FEATURE(f) {
		json_t *o, *v, *v2;
		const char *k, *k2;
		char n[128];

		if (f->stats_json == NULL)
			continue;
		o = json_object();
		f->stats_json(e->app, o);
		json_object_foreach(o, k, v) {
			if (json_is_integer(v)) {
				sanitize(n, sizeof(n) - 6, k, NULL);
				strcat(n, "_total");
				if (declared(e, n))
					continue;
				nep_buf_printf(e->b, "# HELP neptune_%s %s "
					"counter %s (show stats)\n", n, f->name, k);
				nep_buf_printf(e->b, "# TYPE neptune_%s counter\n",
					n);
				su(e, n, (uint64_t)json_integer_value(v), NULL);
				continue;
			}
			if (!json_is_object(v))
				continue;
			json_object_foreach(v, k2, v2) {
				if (!json_is_integer(v2))
					continue;
				sanitize(n, sizeof(n) - 6, k, k2);
				strcat(n, "_total");
				if (declared(e, n))
					continue;
				nep_buf_printf(e->b, "# HELP neptune_%s %s "
					"counter %s.%s (show stats)\n", n,
					f->name, k, k2);
				nep_buf_printf(e->b, "# TYPE neptune_%s counter\n",
					n);
				su(e, n, (uint64_t)json_integer_value(v2), NULL);
			}
		}
		json_decref(o);
	}
	/* Per worker (lcore_json): neptune_worker_<key>_total{lcore}. */
	NEP_FOREACH_FEATURE(f) {
		json_t *per[NEP_MAX_WORKERS], *v;
		const char *k;
		char n[128], lc[8];

		if (f->lcore_json == NULL || e->app->n_workers == 0)
			continue;
		for (unsigned w = 0; w < e->app->n_workers; w++) {
			per[w] = json_object();
			f->lcore_json(e->app, &e->app->workers[w], per[w]);
		}
		json_object_foreach(per[0], k, v) {
			if (!json_is_integer(v))
				continue;
			sanitize(n, sizeof(n) - 6, "worker", k);
			strcat(n, "_total");
			if (declared(e, n))
				continue;
			nep_buf_printf(e->b, "# HELP neptune_%s %s counter %s of "
				"one worker (show lcores)\n# TYPE neptune_%s "
				"counter\n", n, f->name, k, n);
			for (unsigned w = 0; w < e->app->n_workers; w++) {
				snprintf(lc, sizeof(lc), "%u",
					e->app->workers[w].lcore_id);
				su(e, n, (uint64_t)json_integer_value(
					json_object_get(per[w], k)), "lcore", lc,
					NULL);
			}
		}
		for (unsigned w = 0; w < e->app->n_workers; w++)
			json_decref(per[w]);
	}
}

/* States an uplink or path may be in (lib/health), as a state set. */
static const char *const health_states[] = { "unknown", "up", "down" };

static void
uplinks(struct expo *e)
{
	json_t *j = run_json(e->app, "show uplinks"), *arr, *u, *pool;
	json_t *det[NEP_MAX_PORTS * 4] = { NULL };
	size_t i, n;

	if (j == NULL)
		return;
	arr = json_object_get(j, "uplinks");
	pool = json_object_get(j, "pool");
	n = json_array_size(arr);
	if (n > RTE_DIM(det))
		n = RTE_DIM(det);

	fam(e, "uplink_up", "gauge", "Uplink usable: healthy and admin up (1)");
	json_array_foreach(arr, i, u)
		su(e, "uplink_up", strcmp(jstr(u, "state"), "up") == 0 &&
			strcmp(jstr(u, "admin"), "up") == 0, "uplink",
			jstr(u, "name"), NULL);
	fam(e, "uplink_state", "gauge",
		"Health state of an uplink (1 for its current state)");
	json_array_foreach(arr, i, u)
		for (unsigned s = 0; s < RTE_DIM(health_states); s++)
			su(e, "uplink_state", strcmp(jstr(u, "state"),
				health_states[s]) == 0, "uplink",
				jstr(u, "name"), "state", health_states[s],
				NULL);
	fam(e, "uplink_admin_up", "gauge", "Administrative state (1 up)");
	json_array_foreach(arr, i, u)
		su(e, "uplink_admin_up", strcmp(jstr(u, "admin"), "up") == 0,
			"uplink", jstr(u, "name"), NULL);
	fam(e, "uplink_in_pool", "gauge",
		"Uplink in the active balanced pool (1)");
	json_array_foreach(arr, i, u) {
		size_t k;
		json_t *p;
		bool in = false;
		json_array_foreach(pool, k, p)
			in |= json_is_string(p) && strcmp(json_string_value(p),
				jstr(u, "name")) == 0;
		su(e, "uplink_in_pool", in, "uplink", jstr(u, "name"), NULL);
	}
	fam(e, "uplink_weight", "gauge", "Balancing weight (runtime)");
	json_array_foreach(arr, i, u)
		sd(e, "uplink_weight", jnum(u, "weight"), "uplink",
			jstr(u, "name"), NULL);
	fam(e, "uplink_info", "gauge", "Uplink port and role (1)");
	json_array_foreach(arr, i, u)
		su(e, "uplink_info", 1, "uplink", jstr(u, "name"), "port",
			jstr(u, "port"), "role", jstr(u, "role"), NULL);
	fam(e, "uplink_rtt_seconds", "gauge", "Probe round-trip time");
	json_array_foreach(arr, i, u)
		if (jhas(u, "rtt_ms"))
			sd(e, "uplink_rtt_seconds", jnum(u, "rtt_ms") / 1e3,
				"uplink", jstr(u, "name"), NULL);
	fam(e, "uplink_jitter_seconds", "gauge", "Probe RTT jitter");
	json_array_foreach(arr, i, u)
		if (jhas(u, "jitter_ms"))
			sd(e, "uplink_jitter_seconds",
				jnum(u, "jitter_ms") / 1e3, "uplink",
				jstr(u, "name"), NULL);
	fam(e, "uplink_loss_ratio", "gauge",
		"Probe loss over the loss window (0..1)");
	json_array_foreach(arr, i, u)
		if (jhas(u, "loss_pct"))
			sd(e, "uplink_loss_ratio", jnum(u, "loss_pct") / 100.0,
				"uplink", jstr(u, "name"), NULL);
	fam(e, "uplink_flows", "gauge", "Live flows on an uplink");
	json_array_foreach(arr, i, u)
		sd(e, "uplink_flows", jnum(u, "flows"), "uplink",
			jstr(u, "name"), NULL);
	static const char *const traffic[][3] = {
		{ "tx_packets", "uplink_tx_packets_total",
		  "Packets steered out on an uplink" },
		{ "tx_bytes", "uplink_tx_bytes_total",
		  "Bytes steered out on an uplink" },
		{ "rx_packets", "uplink_rx_packets_total",
		  "Packets translated back in from an uplink" },
		{ "rx_bytes", "uplink_rx_bytes_total",
		  "Bytes translated back in from an uplink" },
	};
	for (unsigned t = 0; t < RTE_DIM(traffic); t++) {
		fam(e, traffic[t][1], "counter", traffic[t][2]);
		json_array_foreach(arr, i, u)
			sd(e, traffic[t][1], jnum(u, traffic[t][0]), "uplink",
				jstr(u, "name"), NULL);
	}

	/* Health targets: show uplink NAME. */
	for (i = 0; i < n; i++) {
		char l[NEP_MGMT_LINE_MAX];
		snprintf(l, sizeof(l), "show uplink %s",
			jstr(json_array_get(arr, i), "name"));
		det[i] = run_json(e->app, l);
	}
	static const char *const tg[][4] = {
		{ "state", "health_target_up", "gauge",
		  "Health target answering (1)" },
		{ "rtt_ms", "health_target_rtt_seconds", "gauge",
		  "Round-trip time to a health target" },
		{ "jitter_ms", "health_target_jitter_seconds", "gauge",
		  "RTT jitter of a health target" },
		{ "loss_pct", "health_target_loss_ratio", "gauge",
		  "Probe loss of a health target (0..1)" },
		{ "sent", "health_target_probes_sent_total", "counter",
		  "Probes sent to a health target" },
		{ "answered", "health_target_probes_answered_total", "counter",
		  "Probes a health target answered" },
		{ "lost", "health_target_probes_lost_total", "counter",
		  "Probes lost" },
	};
	for (unsigned t = 0; t < RTE_DIM(tg); t++) {
		fam(e, tg[t][1], tg[t][2], tg[t][3]);
		for (i = 0; i < n; i++) {
			size_t k;
			json_t *tgt;
			const char *un = jstr(json_array_get(arr, i), "name");

			json_array_foreach(json_object_get(det[i], "targets"), k,
				tgt) {
				const char *ta = jstr(tgt, "target");
				double v;

				if (t == 0) {
					su(e, tg[t][1], strcmp(jstr(tgt, "state"),
						"up") == 0, "uplink", un, "target",
						ta, NULL);
					continue;
				}
				if (!jhas(tgt, tg[t][0]))
					continue;
				v = jnum(tgt, tg[t][0]);
				if (t <= 2)
					v /= 1e3;
				else if (t == 3)
					v /= 100.0;
				sd(e, tg[t][1], v, "uplink", un, "target", ta,
					NULL);
			}
		}
	}
	for (i = 0; i < n; i++)
		json_decref(det[i]);
	json_decref(j);
}

/* Events counted by kind and hook runs: the events feature's
 * `show hooks` (features/events). */
static void
events(struct expo *e)
{
	json_t *j = run_json(e->app, "show hooks"), *v;
	const char *k;

	if (j == NULL)
		return;
	fam(e, "events_total", "counter",
		"State changes seen, by kind (uplink_down, tunnel_up, ...)");
	json_object_foreach(json_object_get(j, "events"), k, v)
		if (json_is_integer(v))
			su(e, "events_total", (uint64_t)json_integer_value(v),
				"kind", k, NULL);
	fam(e, "hook_runs_total", "counter",
		"Event hook runs by result (ok, failed, timeout, dropped)");
	json_object_foreach(json_object_get(j, "runs"), k, v)
		if (json_is_integer(v))
			su(e, "hook_runs_total", (uint64_t)json_integer_value(v),
				"result", k, NULL);
	json_decref(j);
}

static void
srv6(struct expo *e)
{
	json_t *j = run_json(e->app, "show overlays"), *o, *s, *p;
	size_t i, k, m;

	if (j != NULL) {
		static const char *const pf[][4] = {
			{ "state", "srv6_path_up", "gauge",
			  "SRv6 path toward a site usable (1)" },
			{ "rtt_ms", "srv6_path_rtt_seconds", "gauge",
			  "Probe RTT of an SRv6 path" },
			{ "loss_pct", "srv6_path_loss_ratio", "gauge",
			  "Probe loss of an SRv6 path (0..1)" },
			{ "flows", "srv6_path_flows", "gauge",
			  "Flows on an SRv6 path" },
			{ "tx_packets", "srv6_path_tx_packets_total", "counter",
			  "Packets encapsulated onto an SRv6 path" },
			{ "tx_bytes", "srv6_path_tx_bytes_total", "counter",
			  "Bytes encapsulated onto an SRv6 path" },
		};
		for (unsigned t = 0; t < RTE_DIM(pf); t++) {
			fam(e, pf[t][1], pf[t][2], pf[t][3]);
			json_array_foreach(json_object_get(j, "overlays"), i, o)
			json_array_foreach(json_object_get(o, "sites"), k, s)
			json_array_foreach(json_object_get(s, "paths"), m, p) {
				char pid[16];
				double v;

				snprintf(pid, sizeof(pid), "%.0f",
					jnum(p, "path"));
				if (t == 0)
					v = strcmp(jstr(p, "state"), "up") == 0;
				else if (!jhas(p, pf[t][0]))
					continue;
				else
					v = jnum(p, pf[t][0]);
				if (t == 1)
					v /= 1e3;
				else if (t == 2)
					v /= 100.0;
				sd(e, pf[t][1], v, "overlay",
					jstr(o, "name"), "site",
					jstr(s, "site"), "path", pid, "uplink",
					jstr(p, "uplink"), NULL);
			}
		}
		json_decref(j);
	}
	j = run_json(e->app, "show sr localsids");
	if (j != NULL) {
		fam(e, "srv6_localsid_packets_total", "counter",
			"Packets that hit a local SID");
		json_array_foreach(json_object_get(j, "localsids"), i, o)
			sd(e, "srv6_localsid_packets_total", jnum(o, "packets"),
				"sid", jstr(o, "sid"), "behavior",
				jstr(o, "behavior"), NULL);
		fam(e, "srv6_localsid_bytes_total", "counter",
			"Bytes that hit a local SID");
		json_array_foreach(json_object_get(j, "localsids"), i, o)
			sd(e, "srv6_localsid_bytes_total", jnum(o, "bytes"),
				"sid", jstr(o, "sid"), "behavior",
				jstr(o, "behavior"), NULL);
		json_decref(j);
	}
}

static void
tunnels(struct expo *e)
{
	json_t *j = run_json(e->app, "show tunnels"), *s;
	size_t i;
	static const char *const tf[][4] = {
		{ "state", "tunnel_session_up", "gauge", "Tunnel session up (1)" },
		{ "rtt_ms", "tunnel_session_rtt_seconds", "gauge",
		  "Keepalive RTT of a tunnel session" },
		{ "rx_packets", "tunnel_session_rx_packets_total", "counter",
		  "Packets received through a tunnel session" },
		{ "rx_bytes", "tunnel_session_rx_bytes_total", "counter",
		  "Bytes received through a tunnel session" },
		{ "tx_packets", "tunnel_session_tx_packets_total", "counter",
		  "Packets sent through a tunnel session" },
		{ "tx_bytes", "tunnel_session_tx_bytes_total", "counter",
		  "Bytes sent through a tunnel session" },
		{ "auth_failed", "tunnel_session_auth_failed_total", "counter",
		  "Messages that failed authentication" },
		{ "replays", "tunnel_session_replays_total", "counter",
		  "Messages refused by the replay window" },
		{ "rekeys", "tunnel_session_rekeys_total", "counter",
		  "Key rotations of a tunnel session" },
	};

	if (j == NULL)
		return;
	for (unsigned t = 0; t < RTE_DIM(tf); t++) {
		fam(e, tf[t][1], tf[t][2], tf[t][3]);
		json_array_foreach(json_object_get(j, "sessions"), i, s) {
			char sid[24];
			double v;

			snprintf(sid, sizeof(sid), "%.0f", jnum(s, "session"));
			if (t == 0)
				v = strcmp(jstr(s, "state"), "up") == 0;
			else if (!jhas(s, tf[t][0]))
				continue;
			else
				v = jnum(s, tf[t][0]);
			if (t == 1)
				v /= 1e3;
			sd(e, tf[t][1], v, "peer", jstr(s, "peer"), "session",
				sid, NULL);
		}
	}
	json_decref(j);
}

static void
nat44(struct expo *e)
{
	json_t *j = run_json(e->app, "show nat44 summary"), *p;
	size_t i;

	if (j == NULL)
		return;
	fam(e, "nat44_sessions", "gauge",
		"NAT44 mappings per public address and protocol");
	json_array_foreach(json_object_get(j, "pools"), i, p)
		sd(e, "nat44_sessions", jnum(p, "sessions"), "uplink",
			jstr(p, "uplink"), "address", jstr(p, "address"),
			"proto", jstr(p, "proto"), NULL);
	fam(e, "nat44_ports_in_use", "gauge",
		"Ports allocated per public address and protocol");
	json_array_foreach(json_object_get(j, "pools"), i, p)
		sd(e, "nat44_ports_in_use", jnum(p, "ports_in_use"), "uplink",
			jstr(p, "uplink"), "address", jstr(p, "address"),
			"proto", jstr(p, "proto"), NULL);
	json_decref(j);
}

static void
http_self(struct expo *e)
{
	struct metrics_http_stats hs = { 0 };

	if (metrics_server == NULL)
		return;
	metrics_http_stats(metrics_server, &hs);
	fam(e, "http_requests_total", "counter",
		"Requests the metrics/dashboard server answered, by kind");
	su(e, "http_requests_total", hs.scrapes, "kind", "metrics", NULL);
	su(e, "http_requests_total", hs.api, "kind", "api", NULL);
	su(e, "http_requests_total", hs.files, "kind", "file", NULL);
	su(e, "http_requests_total", hs.errors, "kind", "error", NULL);
}

int
metrics_cmd_show(struct nep_cmd_ctx *ctx)
{
	struct nep_buf text;
	struct expo e = { APP(ctx), ctx->out };

	if (ctx->json)
		e.b = &text, nep_buf_init(&text);
	core_info(&e);
	core_packets(&e);
	core_drops(&e);
	core_ports(&e);
	core_workers(&e);
	core_memory(&e);
	uplinks(&e);
	events(&e);
	srv6(&e);
	tunnels(&e);
	nat44(&e);
	http_self(&e);
	/* last: a generic name that repeats one above is left out */
	feature_counters(&e);
	if (ctx->json) {
		ctx->json_out = json_pack("{s:s%}", "exposition", text.data,
			text.len);
		nep_buf_free(&text);
	}
	return 0;
}
