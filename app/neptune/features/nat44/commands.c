/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * show nat44 sessions [uplink NAME] [proto tcp|udp|icmp] [src ADDR]
 * [limit N], show nat44 summary, clear nat44 sessions (docs/nat44.md,
 * "CLI"). The control lcore reads the workers' mapping arrays (plain
 * memory, read only: a line may show a mapping a worker just changed);
 * clearing is done by the workers, asked through a flag.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_cycles.h>

#include "mh_config.h"
#include "nat44.h"

#define APP(ctx) ((struct nep_app *)(ctx)->app)

static const char *
a4(uint32_t a, char *buf)
{
	uint32_t be = htonl(a);

	return inet_ntop(AF_INET, &be, buf, INET_ADDRSTRLEN);
}

static const char *
proto_name(uint8_t p)
{
	return p == NEP_NAT44_PROTO_TCP ? "tcp" :
	       p == NEP_NAT44_PROTO_UDP ? "udp" : "icmp";
}

static const struct nat_snap *
snap(struct nep_cmd_ctx *ctx)
{
	const struct nat_snap *ns = NAT_SNAP(APP(ctx)->snap);

	if (!ns->enabled) {
		nep_buf_printf(ctx->out, "NAT44 is not configured (no nat44: "
			"section)\n");
		return NULL;
	}
	return ns;
}

static int
cmd_sessions(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct nat_snap *ns = snap(ctx);
	const struct mh_config *mc = mh_conf(app->snap->cfg);
	int want_uplink = -1, want_proto = -1;
	uint32_t want_host = 0;
	unsigned long limit = 1000, shown = 0, total = 0;
	uint64_t now = rte_rdtsc();
	json_t *arr;

	if (ns == NULL)
		return -1;
	for (int i = 3; i < ctx->argc; i += 2) {
		const char *k = ctx->argv[i];
		const char *v = i + 1 < ctx->argc ? ctx->argv[i + 1] : NULL;

		if (v == NULL) {
			nep_buf_printf(ctx->out, "error: %s needs a value\n", k);
			return -1;
		}
		if (strcmp(k, "uplink") == 0) {
			want_uplink = mh_config_uplink_index(mc, v);
			if (want_uplink < 0) {
				nep_buf_printf(ctx->out, "error: unknown uplink "
					"'%s'\n", v);
				return -1;
			}
		} else if (strcmp(k, "proto") == 0) {
			want_proto = strcmp(v, "tcp") == 0 ? 6 :
				strcmp(v, "udp") == 0 ? 17 :
				strcmp(v, "icmp") == 0 ? 1 : -2;
			if (want_proto == -2) {
				nep_buf_printf(ctx->out, "error: proto: tcp, udp "
					"or icmp\n");
				return -1;
			}
		} else if (strcmp(k, "src") == 0) {
			struct in_addr x;
			if (inet_pton(AF_INET, v, &x) != 1) {
				nep_buf_printf(ctx->out, "error: src: an IPv4 "
					"address\n");
				return -1;
			}
			want_host = ntohl(x.s_addr);
		} else if (strcmp(k, "limit") == 0) {
			limit = strtoul(v, NULL, 10);
		} else {
			nep_buf_printf(ctx->out, "error: unknown filter '%s' "
				"(uplink, proto, src, limit)\n", k);
			return -1;
		}
	}
	arr = json_array();
	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-5s %-21s %-21s %-8s %-12s %8s %8s "
			"%7s\n", "PROTO", "INSIDE", "PUBLIC", "UPLINK", "STATE",
			"OUT", "IN", "IDLE(s)");
	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct nat_worker *nw = NAT_W(&app->workers[w]);

		for (uint32_t i = 0; nw != NULL && i < nw->cap; i++) {
			const struct nat_map *mp = &nw->maps[i];
			char in[32], pub[32], ia[INET_ADDRSTRLEN],
				pa[INET_ADDRSTRLEN];
			double idle;
			const char *st;

			if (!mp->used || (want_uplink >= 0 &&
					     mp->uplink != want_uplink) ||
				(want_proto >= 0 && mp->proto != want_proto) ||
				(want_host != 0 && mp->in_addr != want_host))
				continue;
			total++;
			if (shown >= limit)
				continue;
			shown++;
			idle = (double)(now - mp->last_tsc) / (double)app->tsc_hz;
			st = mp->proto == NEP_NAT44_PROTO_TCP ?
				nep_nat44_tcp_state_name(mp->tcp_state) : "-";
			a4(mp->in_addr, ia);
			a4(mp->pub_addr, pa);
			if (ctx->json) {
				json_array_append_new(arr, json_pack("{s:s, s:s, "
					"s:i, s:s, s:i, s:s, s:s, s:I, s:I, s:f, "
					"s:i}", "proto", proto_name(mp->proto),
					"inside", ia, "inside_port", mp->in_port,
					"public", pa, "public_port", mp->pub_port,
					"uplink", mc->uplinks[mp->uplink].name,
					"state", st, "packets_out",
					(json_int_t)mp->pkts_out, "packets_in",
					(json_int_t)mp->pkts_in, "idle_s", idle,
					"worker", (int)w));
			} else {
				snprintf(in, sizeof(in), "%s:%u", ia, mp->in_port);
				snprintf(pub, sizeof(pub), "%s:%u", pa,
					mp->pub_port);
				nep_buf_printf(ctx->out, "%-5s %-21s %-21s %-8s "
					"%-12s %8" PRIu64 " %8" PRIu64 " %7.1f\n",
					proto_name(mp->proto), in, pub,
					mc->uplinks[mp->uplink].name, st,
					mp->pkts_out, mp->pkts_in, idle);
			}
		}
	}
	if (ctx->json) {
		ctx->json_out = json_pack("{s:o, s:I}", "sessions", arr, "total",
			(json_int_t)total);
	} else {
		json_decref(arr);
		nep_buf_printf(ctx->out, "%lu mapping(s)%s\n", total,
			shown < total ? " (more than the limit)" : "");
	}
	return 0;
}

static uint64_t
stat_sum(const struct nep_app *app, size_t off)
{
	uint64_t v = 0;

	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct nat_worker *nw = NAT_W(&app->workers[w]);
		if (nw != NULL)
			v += *(const uint64_t *)((const uint8_t *)&nw->stats + off);
	}
	return v;
}

#define NAT_STAT(app, f) stat_sum(app, offsetof(struct nat_stats, f))

static int
cmd_summary(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct nat_snap *ns = snap(ctx);
	const struct mh_config *mc = mh_conf(app->snap->cfg);
	const struct nat_ctl *ct = &nat_ctl_state;
	json_t *arr;

	if (ns == NULL)
		return -1;
	arr = json_array();
	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-8s %-15s %-5s %9s %7s %8s %s\n",
			"UPLINK", "ADDRESS", "PROTO", "PORTS", "BLOCKS",
			"SESSIONS", "TCP (by state)");
	for (unsigned p = 0; p < ct->n_pools; p++) {
		uint64_t used = 0, sessions = 0, by_state[NEP_NAT44_TCP_MAX] = { 0 };
		unsigned blocks = nep_nat44_pool_blocks(ct->pools[p]) -
			nep_nat44_pool_free_blocks(ct->pools[p]);
		char a[INET_ADDRSTRLEN], st[256] = "";
		size_t o = 0;

		for (unsigned w = 0; w < app->n_workers; w++) {
			const struct nat_worker *nw = NAT_W(&app->workers[w]);

			if (nw == NULL || nw->ports[p] == NULL)
				continue;
			used += nw->ports[p]->in_use;
			for (uint32_t i = 0; i < nw->cap; i++)
				if (nw->maps[i].used && nw->maps[i].pool == p) {
					sessions++;
					if (nw->maps[i].proto == NEP_NAT44_PROTO_TCP)
						by_state[nw->maps[i].tcp_state]++;
				}
		}
		a4(ct->pool_addr[p], a);
		if (ctx->json) {
			json_t *bs = json_object();
			for (unsigned s = 0; s < NEP_NAT44_TCP_MAX; s++)
				if (by_state[s])
					json_object_set_new(bs,
						nep_nat44_tcp_state_name((uint8_t)s),
						json_integer((json_int_t)by_state[s]));
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
				"s:I, s:i, s:I, s:o}", "uplink",
				mc->uplinks[ct->pool_uplink[p]].name, "address",
				a, "proto", proto_name(ct->pool_proto[p]),
				"ports_in_use", (json_int_t)used, "blocks",
				(int)blocks, "sessions", (json_int_t)sessions,
				"tcp_states", bs));
		} else {
			for (unsigned s = 0; s < NEP_NAT44_TCP_MAX; s++)
				if (by_state[s] && o < sizeof(st))
					o += (size_t)snprintf(st + o, sizeof(st) -
						o, "%s%s %" PRIu64, o ? ", " : "",
						nep_nat44_tcp_state_name((uint8_t)s),
						by_state[s]);
			nep_buf_printf(ctx->out, "%-8s %-15s %-5s %9" PRIu64
				" %7u %8" PRIu64 " %s\n",
				mc->uplinks[ct->pool_uplink[p]].name, a,
				proto_name(ct->pool_proto[p]), used, blocks,
				sessions, st);
		}
	}
	if (ctx->json) {
		ctx->json_out = json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I, "
			"s:I, s:I, s:I}", "pools", arr, "created",
			(json_int_t)NAT_STAT(app, created), "expired",
			(json_int_t)NAT_STAT(app, expired), "packets_out",
			(json_int_t)NAT_STAT(app, out_pkts), "packets_in",
			(json_int_t)NAT_STAT(app, in_pkts), "icmp_errors",
			(json_int_t)NAT_STAT(app, icmp_errors), "forwarded_in",
			(json_int_t)NAT_STAT(app, forwards_in),
			"alloc_failed_tcp",
			(json_int_t)NAT_STAT(app, alloc_failed[0]),
			"alloc_failed_udp",
			(json_int_t)NAT_STAT(app, alloc_failed[1]),
			"alloc_failed_icmp",
			(json_int_t)NAT_STAT(app, alloc_failed[2]));
	} else {
		json_decref(arr);
		nep_buf_printf(ctx->out, "mappings created %" PRIu64 ", expired "
			"%" PRIu64 "; packets out %" PRIu64 ", in %" PRIu64
			"; ICMP errors %" PRIu64 "; inbound forwards %" PRIu64
			"; allocation failures tcp %" PRIu64 " udp %" PRIu64
			" icmp %" PRIu64 "\n", NAT_STAT(app, created),
			NAT_STAT(app, expired), NAT_STAT(app, out_pkts),
			NAT_STAT(app, in_pkts), NAT_STAT(app, icmp_errors),
			NAT_STAT(app, forwards_in),
			NAT_STAT(app, alloc_failed[0]),
			NAT_STAT(app, alloc_failed[1]),
			NAT_STAT(app, alloc_failed[2]));
	}
	return 0;
}

static int
cmd_clear(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);

	if (snap(ctx) == NULL)
		return -1;
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct nat_worker *nw = NAT_W(&app->workers[w]);
		if (nw != NULL)
			__atomic_store_n(&nw->flush, 1, __ATOMIC_RELEASE);
	}
	/* the workers clear at their next poll */
	for (unsigned tries = 0; tries < 1000; tries++) {
		bool pending = false;
		for (unsigned w = 0; w < app->n_workers; w++) {
			struct nat_worker *nw = NAT_W(&app->workers[w]);
			pending |= nw != NULL &&
				__atomic_load_n(&nw->flush, __ATOMIC_ACQUIRE);
		}
		if (!pending)
			break;
		rte_delay_us_sleep(100);
	}
	if (ctx->json)
		ctx->json_out = json_pack("{s:b}", "cleared", 1);
	else
		nep_buf_printf(ctx->out, "NAT44 mappings cleared\n");
	return 0;
}

void
nat_stats_json(struct nep_app *app, json_t *obj)
{
	if (!NAT_SNAP(app->snap)->enabled)
		return;
	json_object_set_new(obj, "nat44", json_pack("{s:I, s:I, s:I, s:I}",
		"created", (json_int_t)NAT_STAT(app, created), "expired",
		(json_int_t)NAT_STAT(app, expired), "packets_out",
		(json_int_t)NAT_STAT(app, out_pkts), "packets_in",
		(json_int_t)NAT_STAT(app, in_pkts)));
}

void
nat_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show nat44 sessions [FILTER...]", cmd_sessions);
	nep_dispatch_bind(d, "show nat44 summary", cmd_summary);
	nep_dispatch_bind(d, "clear nat44 sessions", cmd_clear);
}
