/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * show tunnels, tunnel rekey NAME (docs/tunnel.md, "CLI"). Keys are never
 * shown: only their ids.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_cycles.h>

#include "tunnel.h"

#define APP(ctx) ((struct nep_app *)(ctx)->app)

extern const char *const tun_suite_names[];

uint64_t
tun_stat_sum(const struct nep_app *app, size_t offset)
{
	const struct tun_ctl *tc = TUN_CTL(app);

	if (app->n_workers == 0)
		return 0;
	return nep_counters_sum(TUN_W(&app->workers[0])->stats, tc->stats_base,
		sizeof(struct tun_stats), app->n_workers, offset);
}

#define TUN_STAT(app, field) tun_stat_sum(app, offsetof(struct tun_stats, field))

static const char *
addr_str(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	return inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf,
		(socklen_t)len);
}

static const struct tun_snap *
snap(struct nep_cmd_ctx *ctx)
{
	const struct tun_snap *ts = TUN_SNAP(APP(ctx)->snap);

	if (!ts->enabled) {
		nep_buf_printf(ctx->out, "no tunnel configured (no tunnel: "
			"section)\n");
		return NULL;
	}
	return ts;
}

static int
cmd_tunnels(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct tun_snap *ts = snap(ctx);
	json_t *arr;
	uint64_t now_tsc = rte_rdtsc(), now_ns = nep_now_ns();

	if (ts == NULL)
		return -1;
	arr = json_array();
	if (!ctx->json)
		nep_buf_printf(ctx->out, "role %s, suite %s, port %u%s%s\n"
			"%-8s %-10s %-8s %-6s %-4s %-9s %12s %12s %8s %8s %4s\n",
			ts->role == TUN_ROLE_HUB ? "hub" : "endpoint",
			tun_suite_names[ts->suite], ts->port,
			TUN_CTL(app)->pref_hub[0] ? ", preferred hub " : "",
			TUN_CTL(app)->pref_hub, "SESSION", "PEER",
			"UPLINK", "STATE", "KEY", "RTT(ms)", "RX-PKTS", "TX-PKTS",
			"AUTHFAIL", "REPLAYS", "PATH");
	for (unsigned i = 0; i < ts->n_sess; i++) {
		const struct tun_sess *s = &ts->sess[i];
		const struct tun_state *st = &TUN_CTL(app)->state[s->state];
		const struct tun_path *p = s->path >= 0 ? &ts->paths[s->path] :
							   NULL;
		uint64_t rxp = TUN_STAT(app, rx_pkts[s->state]);
		uint64_t txp = TUN_STAT(app, tx_pkts[s->state]);
		uint64_t rxb = TUN_STAT(app, rx_bytes[s->state]);
		uint64_t txb = TUN_STAT(app, tx_bytes[s->state]);
		uint64_t af = TUN_STAT(app, auth_failed[s->state]);
		uint64_t rp = TUN_STAT(app, replays[s->state]);
		uint64_t last = __atomic_load_n(&st->last_rx_tsc,
			__ATOMIC_RELAXED);
		double idle_ms = last ? (double)(now_tsc - last) * 1e3 /
			(double)app->tsc_hz : -1;
		const char *state;
		bool usable = p != NULL && ((ts->up_mask >> s->path) & 1);
		char peer[64] = "-", local[64] = "-";
		struct nep_tun_outer o;

		if (p != NULL) {
			state = usable ? "up" : nep_health_is_up(&st->health) ?
				"hold" : "down";
			addr_str(p->o.family, p->o.dst, peer, sizeof(peer));
			addr_str(p->o.family, p->o.src, local, sizeof(local));
		} else {
			/* hub: alive while authenticated packets keep coming */
			const struct tun_config *tc = tun_conf(app->snap->cfg);
			double dead = (double)tc->interval_ms * tc->miss;
			state = last && idle_ms <= dead ? "up" : "down";
			if (tun_read_peer(st, &o)) {
				addr_str(o.family, o.dst, peer, sizeof(peer));
				addr_str(o.family, o.src, local, sizeof(local));
			}
		}
		(void)now_ns;
		if (ctx->json) {
			json_t *keys = json_array();
			for (unsigned k = 0; k < s->n_keys; k++)
				json_array_append_new(keys,
					json_integer(s->keys[k].id));
			json_t *o2 = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, "
				"s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, "
				"s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:i}",
				"session", (json_int_t)s->session_id, "peer",
				s->peer_name, "state", state, "peer_address",
				peer, "local_address", local, "tx_key",
				nep_tun_keys_tx(&st->keys), "keys", keys, "rx_packets",
				(json_int_t)rxp, "rx_bytes", (json_int_t)rxb,
				"tx_packets", (json_int_t)txp, "tx_bytes",
				(json_int_t)txb, "auth_failed", (json_int_t)af,
				"replays", (json_int_t)rp, "rtt_ms", st->rtt_ms,
				"rtt_min_ms", st->rtt_min_ms, "rtt_max_ms",
				st->rtt_max_ms, "keepalives_sent",
				(json_int_t)st->ka_sent, "keepalive_replies",
				(json_int_t)st->ka_replies, "rekeys",
				(json_int_t)st->rekeys, "rekey_failed",
				(json_int_t)st->rekey_failed, "rekeying",
				(bool)st->keys.rekeying, "key_expired",
				(json_int_t)st->key_expired, "tx_seq",
				(json_int_t)st->tx_seq, "rx_top",
				(json_int_t)st->rx.top, "inner_mtu",
				s->inner_mtu);
			json_object_set_new(o2, "uplink", p ?
				json_string(p->uplink) : json_null());
			json_object_set_new(o2, "path", p ?
				json_integer(s->path) : json_null());
			json_object_set_new(o2, "usable", json_boolean(usable));
			json_object_set_new(o2, "preferred", json_boolean(p &&
				((ts->pref_mask >> s->path) & 1)));
			json_object_set_new(o2, "backup", json_boolean(p &&
				p->backup));
			json_object_set_new(o2, "idle_ms", last ?
				json_real(idle_ms) : json_null());
			json_array_append_new(arr, o2);
		} else {
			char rtt[16] = "-";
			if (st->ka_replies)
				snprintf(rtt, sizeof(rtt), "%.2f", st->rtt_ms);
			nep_buf_printf(ctx->out, "%-8u %-10s %-8s %-6s %-4u %-9s "
				"%12" PRIu64 " %12" PRIu64 " %8" PRIu64 " %8"
				PRIu64 " %4s  %s -> %s%s\n", s->session_id,
				s->peer_name, p ? p->uplink : "-", state,
				nep_tun_keys_tx(&st->keys), rtt, rxp, txp, af, rp, p ?
				(p->backup ? "bkp" : "pri") : "-", local, peer,
				(bool)st->keys.rekeying ? " (rekeying)" : "");
		}
	}
	if (ctx->json) {
		ctx->json_out = json_pack("{s:s, s:s, s:i, s:o, s:I, s:I, s:I}",
			"role", ts->role == TUN_ROLE_HUB ? "hub" : "endpoint",
			"suite", tun_suite_names[ts->suite], "port", ts->port,
			"sessions", arr, "keepalives_replied",
			(json_int_t)TUN_STAT(app, ka_replied), "mss_clamped",
			(json_int_t)TUN_STAT(app, mss_clamped), "events_lost",
			(json_int_t)TUN_STAT(app, events_lost));
		json_object_set_new(ctx->json_out, "up_mask",
			json_integer((json_int_t)ts->up_mask));
		json_object_set_new(ctx->json_out, "preferred_hub",
			TUN_CTL(app)->pref_hub[0] ? json_string(
				TUN_CTL(app)->pref_hub) : json_null());
		json_object_set_new(ctx->json_out, "pref_mask",
			json_integer((json_int_t)ts->pref_mask));
		json_object_set_new(ctx->json_out, "keepalive_unmatched",
			json_integer((json_int_t)TUN_CTL(app)->ka_unmatched));
	} else {
		json_decref(arr);
	}
	return 0;
}

static int
cmd_rekey(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct tun_snap *ts = snap(ctx);
	const char *name = ctx->argv[2];
	unsigned n = 0;
	char err[160];

	if (ts == NULL)
		return -1;
	for (unsigned i = 0; i < ts->n_sess; i++) {
		if (strcmp(name, "all") != 0 &&
			strcmp(ts->sess[i].peer_name, name) != 0)
			continue;
		if (tun_rekey(app, i, err, sizeof(err)) != 0) {
			nep_buf_printf(ctx->out, "error: %s\n", err);
			return -1;
		}
		n++;
	}
	if (n == 0) {
		nep_buf_printf(ctx->out, "error: no tunnel session to '%s'\n",
			name);
		return -1;
	}
	if (ctx->json)
		ctx->json_out = json_pack("{s:i}", "rekeying", n);
	else
		nep_buf_printf(ctx->out, "rotating %u session(s) to their next "
			"key\n", n);
	return 0;
}

void
tun_stats_json(struct nep_app *app, json_t *obj)
{
	const struct tun_snap *ts = TUN_SNAP(app->snap);
	uint64_t rx = 0, tx = 0, af = 0;

	if (!ts->enabled)
		return;
	for (unsigned i = 0; i < TUN_MAX_SESSIONS; i++) {
		rx += TUN_STAT(app, rx_pkts[i]);
		tx += TUN_STAT(app, tx_pkts[i]);
		af += TUN_STAT(app, auth_failed[i]);
	}
	json_object_set_new(obj, "tunnel", json_pack("{s:I, s:I, s:I, s:I, "
		"s:I}", "rx_packets", (json_int_t)rx, "tx_packets",
		(json_int_t)tx, "auth_failed", (json_int_t)af,
		"keepalives_sent", (json_int_t)TUN_CTL(app)->ka_sent,
		"keepalives_replied", (json_int_t)TUN_STAT(app, ka_replied)));
}

void
tun_clear_stats(struct nep_app *app)
{
	struct tun_ctl *tc = TUN_CTL(app);

	for (unsigned w = 0; w < app->n_workers; w++)
		memcpy(&tc->stats_base[w], TUN_W(&app->workers[w])->stats,
			sizeof(struct tun_stats));
}

void
tun_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show tunnels", cmd_tunnels);
	nep_dispatch_bind(d, "tunnel rekey NAME", cmd_rekey);
}
