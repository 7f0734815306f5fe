/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * show stamp sessions, show stamp session NAME, show stamp reflector,
 * show stamp sla, show stamp events (docs/stamp.md, "CLI").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nep_stamp_metrics.h"
#include "srv6_export.h"
#include "stamp.h"

#define APP(ctx) ((struct nep_app *)(ctx)->app)
#define NS_MS(v) ((double)(v) / 1e6)

static const char *
sess_class(const struct stamp_sess *s)
{
	return s->kind == STAMP_OVERLAY ? nep_srv6_tclass_names[s->tclass] :
					  "-";
}

static json_t *
summary_json(struct stamp_sess *s, enum nep_stamp_metric m, uint64_t win_ns)
{
	struct nep_stamp_summary sm;

	s->st->win_ns = win_ns;
	nep_stamp_stats_window(s->st, m, s->wall_now, &sm);
	if (!sm.valid)
		return json_pack("{s:I, s:b}", "n", (json_int_t)sm.n, "valid",
			false);
	return json_pack("{s:I, s:b, s:f, s:f, s:f, s:f}", "n",
		(json_int_t)sm.n, "valid", true, "min_ms", NS_MS(sm.min),
		"median_ms", NS_MS(sm.median), "p99_ms", NS_MS(sm.p99),
		"max_ms", NS_MS(sm.max));
}

static json_t *
sess_json(struct nep_app *app, struct stamp_sess *s, bool detail)
{
	const struct stamp_config *sc = stamp_conf(app->cfg);
	const struct stamp_session_conf *c = &sc->sessions[s->conf];
	struct stamp_window w10;
	struct nep_stamp_loss loss;
	char a[64], b[64];
	json_t *o;

	stamp_sess_window(s, 10 * 1000000000ull, 0, &w10);
	nep_stamp_stats_loss(s->st, 0, &loss);
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I, "
		"s:I, s:b, s:f, s:f, s:f, s:f}",
		"name", s->name, "kind",
		s->kind == STAMP_UPLINK ? "uplink" : "overlay", "uplink",
		s->uplink, "ssid", (json_int_t)s->ssid, "source",
		stamp_a6(s->src, a, sizeof(a)), "reflector",
		stamp_a6(s->dst, b, sizeof(b)), "interval_ms",
		(json_int_t)c->interval_ms, "sent", (json_int_t)s->sent,
		"replies", (json_int_t)s->replies, "tx_failed",
		(json_int_t)s->tx_failed, "bad_replies",
		(json_int_t)s->bad_replies, "running", !s->finished,
		"rtt_ms", w10.rtt_ms, "rtt_p99_ms", w10.rtt_p99_ms,
		"jitter_ms", w10.jitter_ms, "loss_pct", w10.loss_pct);
	if (s->kind == STAMP_OVERLAY) {
		json_object_set_new(o, "class", json_string(sess_class(s)));
		json_object_set_new(o, "encapsulation",
			json_string(nep_srv6_encap_names[s->mode]));
		json_object_set_new(o, "path", json_integer(s->path));
	}
	if (!detail)
		return o;
	json_t *win = json_object();
	static const char *const mn[NEP_STAMP_M_COUNT] = { "rtt", "forward",
		"backward" };
	for (unsigned m = 0; m < NEP_STAMP_M_COUNT; m++) {
		json_t *x = json_pack("{s:o, s:o, s:f}", "last_10s",
			summary_json(s, m, 10 * 1000000000ull), "last_60s",
			summary_json(s, m, 60 * 1000000000ull), "jitter_ms",
			NS_MS(nep_stamp_stats_jitter(s->st, m)));
		json_object_set_new(win, mn[m], x);
	}
	json_object_set_new(o, "delay", win);
	json_object_set_new(o, "one_way_valid", json_boolean(c->clocks_synced));
	json_t *l = json_pack("{s:I, s:I, s:f, s:b}", "expected",
		(json_int_t)loss.expected, "round_trip",
		(json_int_t)loss.round_trip, "round_trip_pct",
		loss.expected ? 100.0 * (double)loss.round_trip /
					(double)loss.expected :
				0.0,
		"split", loss.split);
	if (loss.split) {
		json_object_set_new(l, "forward", json_integer(
			(json_int_t)loss.forward));
		json_object_set_new(l, "backward", json_integer(
			(json_int_t)loss.backward));
		json_object_set_new(l, "forward_pct", json_real(loss.expected ?
			100.0 * (double)loss.forward / (double)loss.expected :
			0.0));
		json_object_set_new(l, "backward_pct", json_real(
			loss.expected ? 100.0 * (double)loss.backward /
						(double)loss.expected :
					0.0));
	}
	json_object_set_new(o, "loss", l);
	json_object_set_new(o, "duplicates",
		json_integer((json_int_t)s->st->duplicates));
	json_object_set_new(o, "reordered",
		json_integer((json_int_t)s->st->reordered));
	json_object_set_new(o, "reflector_ttl", json_integer(s->last_ttl));
	json_t *h = json_array();
	for (unsigned i = 0; i < NEP_STAMP_HIST_BUCKETS; i++) {
		int64_t ub = nep_stamp_hist_bound(i);

		json_array_append_new(h, json_pack("{s:o, s:I}", "le_ms",
			ub == INT64_MAX ? json_string("inf") :
					  json_real(NS_MS(ub)),
			"count", (json_int_t)s->st->hist[i]));
	}
	json_object_set_new(o, "histogram", h);
	if (s->kind == STAMP_OVERLAY && c->transparency) {
		json_t *pr = json_array();
		for (unsigned m = 0; m < STAMP_N_PROBES; m++)
			json_array_append_new(pr, json_pack("{s:s, s:b, s:b, "
				"s:I, s:I}", "encapsulation",
				m == STAMP_PROBE_PLAIN ? "plain" :
					nep_srv6_encap_names[m], "possible",
				s->probe[m].possible, "works",
				s->probe[m].works, "ssid",
				(json_int_t)s->probe[m].ssid, "answered",
				(json_int_t)s->probe[m].answered));
		json_object_set_new(o, "transparency", json_pack("{s:o, s:I, "
			"s:I, s:f}", "probes", pr, "rounds",
			(json_int_t)s->rounds, "reclassified",
			(json_int_t)s->reclassified, "last_fallback_ms",
			NS_MS(s->last_outage_ns)));
	}
	return o;
}

static int
cmd_sessions(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	struct stamp_state *st = STAMP(app);
	json_t *list = json_array();

	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-24s %-8s %-6s %6s %9s %9s %8s "
			"%9s %9s %9s %-5s %s\n", "SESSION", "KIND", "UPLINK",
			"SSID", "SENT", "REPLIES", "LOSS%", "RTT(ms)", "P99",
			"JITTER", "CLASS", "ENCAP");
	for (unsigned i = 0; i < st->n_sess; i++) {
		struct stamp_sess *s = &st->sess[i];
		json_t *o = sess_json(app, s, false);

		if (!ctx->json) {
			struct stamp_window w;

			stamp_sess_window(s, 10 * 1000000000ull, 0, &w);
			nep_buf_printf(ctx->out, "%-24s %-8s %-6s %6u %9" PRIu64
				" %9" PRIu64 " %8.2f %9.3f %9.3f %9.3f %-5s %s\n",
				s->name, s->kind == STAMP_UPLINK ? "uplink" :
				"overlay", s->uplink, s->ssid, s->sent,
				s->replies, w.loss_pct, w.rtt_ms, w.rtt_p99_ms,
				w.jitter_ms, sess_class(s),
				s->kind == STAMP_OVERLAY ?
					nep_srv6_encap_names[s->mode] : "-");
		}
		json_array_append_new(list, o);
	}
	if (!ctx->json && st->n_sess == 0)
		nep_buf_printf(ctx->out, "no STAMP session\n");
	nep_reply_list(ctx, "sessions", list);
	return 0;
}

static int
cmd_session(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	struct stamp_state *st = STAMP(app);
	const char *name = ctx->argv[3];

	for (unsigned i = 0; i < st->n_sess; i++) {
		struct stamp_sess *s = &st->sess[i];
		json_t *o;

		if (strcmp(s->name, name) != 0)
			continue;
		o = sess_json(app, s, true);
		if (ctx->json) {
			ctx->json_out = o;
			return 0;
		}
		char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		nep_buf_printf(ctx->out, "%s\n", txt ? txt : "");
		free(txt);
		json_decref(o);
		return 0;
	}
	nep_buf_printf(ctx->out, "no STAMP session '%s' (show stamp "
		"sessions lists them)\n", name);
	return -1;
}

static int
cmd_reflector(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct stamp_config *sc = stamp_conf(app->cfg);
	const struct stamp_state *st = STAMP(app);
	json_t *drops = json_object();
	json_t *o;

	for (unsigned i = 0; i <= NEP_STAMP_E_COUNT; i++)
		json_object_set_new(drops, i == 0 ? "stamp_malformed" :
				nep_stamp_err_name(-(int)i),
			json_integer((json_int_t)st->refl_drops[i]));
	o = json_pack("{s:b, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, "
		"s:I, s:I, s:I, s:I, s:o}",
		"enabled", sc->present && sc->refl.enabled, "port",
		(json_int_t)sc->refl.port, "mode",
		sc->refl.stateful ? "stateful" : "stateless",
		"authentication", sc->refl.auth ? "hmac-sha256" : "none",
		"timestamp", sc->refl.tsfmt ? "ptp" : "ntp", "rate_limit_pps",
		(json_int_t)sc->refl.rate_pps, "received",
		(json_int_t)st->refl_rx, "replied", (json_int_t)st->refl_tx,
		"rate_limited", (json_int_t)st->refl_rate_limited,
		"unknown_tlvs", (json_int_t)st->refl_unknown_tlv,
		"malformed_tlvs", (json_int_t)st->refl_malformed_tlv,
		"cos_answered", (json_int_t)st->refl_cos, "return_path",
		(json_int_t)st->refl_return_path, "no_route",
		(json_int_t)st->refl_no_route, "drops", drops);
	json_object_set_new(o, "no_reply_asked",
		json_integer((json_int_t)st->refl_no_reply));
	if (ctx->json) {
		ctx->json_out = o;
		return 0;
	}
	nep_buf_printf(ctx->out, "reflector %s, UDP port %u, %s, %s, %s "
		"timestamps, %u pps per source\n", sc->present &&
		sc->refl.enabled ? "on" : "off", sc->refl.port,
		sc->refl.stateful ? "stateful" : "stateless",
		sc->refl.auth ? "HMAC-SHA-256" : "unauthenticated",
		sc->refl.tsfmt ? "PTP" : "NTP", sc->refl.rate_pps);
	nep_buf_printf(ctx->out, "  received %" PRIu64 ", replied %" PRIu64
		", rate-limited %" PRIu64 ", over return paths %" PRIu64 "\n",
		st->refl_rx, st->refl_tx, st->refl_rate_limited,
		st->refl_return_path);
	for (unsigned i = 0; i <= NEP_STAMP_E_COUNT; i++)
		if (st->refl_drops[i])
			nep_buf_printf(ctx->out, "  dropped %s: %" PRIu64 "\n",
				i == 0 ? "stamp_malformed" :
					 nep_stamp_err_name(-(int)i),
				st->refl_drops[i]);
	json_decref(o);
	return 0;
}

static int
cmd_sla(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	json_t *o = json_object(), *pl, *p, *t;
	size_t i, j;

	stamp_sla_json(app, o);
	if (ctx->json) {
		ctx->json_out = o;
		return 0;
	}
	pl = json_object_get(o, "policies");
	if (json_array_size(pl) == 0)
		nep_buf_printf(ctx->out, "no policy has an SLA\n");
	json_array_foreach(pl, i, p) {
		nep_buf_printf(ctx->out, "policy %s: rtt <= %" JSON_INTEGER_FORMAT
			" ms, loss <= %" JSON_INTEGER_FORMAT " %%, jitter <= %"
			JSON_INTEGER_FORMAT " ms (0: not checked)\n",
			json_string_value(json_object_get(p, "policy")),
			json_integer_value(json_object_get(p, "max_rtt_ms")),
			json_integer_value(json_object_get(p, "max_loss_pct")),
			json_integer_value(json_object_get(p, "max_jitter_ms")));
		json_array_foreach(json_object_get(p, "targets"), j, t)
			nep_buf_printf(ctx->out, "  %-32s %-8s rtt %8.3f ms "
				"loss %5.1f %% jitter %7.3f ms (%s)\n",
				json_string_value(json_object_get(t, "target")),
				json_string_value(json_object_get(t, "state")),
				json_real_value(json_object_get(t, "rtt_ms")),
				json_real_value(json_object_get(t, "loss_pct")),
				json_real_value(json_object_get(t, "jitter_ms")),
				json_string_value(json_object_get(t,
					"measured_by")));
	}
	json_decref(o);
	return 0;
}

static int
cmd_events(struct nep_cmd_ctx *ctx)
{
	const struct stamp_state *st = STAMP(APP(ctx));
	json_t *list = json_array();

	for (unsigned i = 0; i < st->n_events; i++) {
		unsigned k = (st->event_head + STAMP_MAX_EVENTS - st->n_events +
				     i) % STAMP_MAX_EVENTS;
		const struct stamp_event *e = &st->events[k];
		char t[40];

		nep_iso_time(e->wall_ms, t, sizeof(t));
		json_array_append_new(list, json_pack("{s:s, s:s}", "time", t,
			"event", e->what));
		if (!ctx->json)
			nep_buf_printf(ctx->out, "%s %s\n", t, e->what);
	}
	nep_reply_list(ctx, "events", list);
	return 0;
}

void
stamp_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show stamp sessions", cmd_sessions);
	nep_dispatch_bind(d, "show stamp session NAME", cmd_session);
	nep_dispatch_bind(d, "show stamp reflector", cmd_reflector);
	nep_dispatch_bind(d, "show stamp sla", cmd_sla);
	nep_dispatch_bind(d, "show stamp events", cmd_events);
}
