/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trace add / show trace / clear trace: the control lcore arms each
 * worker's trace budget and formats the records workers wrote (the core's
 * here, the features' through their trace_format).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <rte_malloc.h>

#include "neptune.h"
#include "nep_trace.h"

#define APP(ctx) ((struct nep_app *)(ctx)->app)


static const char *
port_name(const struct nep_app *app, unsigned i)
{
	return i < app->n_ports ? app->ports[i].name : "-";
}

static void
addr_str(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	struct nep_addr x = { .family = family == 4 ? AF_INET : AF_INET6 };

	memcpy(x.a, a, family == 4 ? 4 : 16);
	nep_addr_str(&x, buf, len);
}

void
nep_trace_verdict_str(nep_verdict_t v, char *buf, size_t len)
{
	unsigned r = NEP_VERDICT_REASON(v);

	switch (NEP_VERDICT_KIND(v)) {
	case NEP_V_NEXT:
		snprintf(buf, len, "next");
		break;
	case NEP_V_FORWARD:
		snprintf(buf, len, "forward");
		break;
	case NEP_V_PUNT:
		snprintf(buf, len, "punt(%s)",
			r < NEP_PUNT_MAX ? nep_punt_names[r] : "?");
		break;
	case NEP_V_DROP:
		snprintf(buf, len, "drop(%s)", nep_drop_name(r));
		break;
	case NEP_V_HANDOFF:
		snprintf(buf, len, "handoff(worker %u)", r);
		break;
	default:
		snprintf(buf, len, "sent");
		break;
	}
}

static void
format_core(const struct nep_app *app, const struct nep_trace_rec *r,
	struct nep_buf *out)
{
	static const char *const kinds[] = { "no route", "local", "connected",
		"gateway", "feature route" };
	char a[64], b[64];

	switch (r->stage) {
	case NEP_STAGE_INPUT: {
		struct nep_trace_input t;
		memcpy(&t, r->data, sizeof(t));
		if (t.family == 0) {
			nep_buf_printf(out, "port %s arp len %u",
				port_name(app, t.port), t.len);
			break;
		}
		addr_str(t.family, t.src, a, sizeof(a));
		addr_str(t.family, t.dst, b, sizeof(b));
		nep_buf_printf(out, "port %s ipv%u proto %u %s", port_name(app,
			t.port), t.family, t.proto, a);
		if (t.proto == NEP_PROTO_TCP || t.proto == NEP_PROTO_UDP)
			nep_buf_printf(out, " port %u", t.sport);
		nep_buf_printf(out, " -> %s", b);
		if (t.proto == NEP_PROTO_TCP || t.proto == NEP_PROTO_UDP)
			nep_buf_printf(out, " port %u", t.dport);
		nep_buf_printf(out, " hop limit %u len %u", t.hop_limit, t.len);
		break;
	}
	case NEP_STAGE_LOOKUP: {
		struct nep_trace_lookup t;
		memcpy(&t, r->data, sizeof(t));
		nep_buf_printf(out, "fib: %s", t.kind < RTE_DIM(kinds) ?
			kinds[t.kind] : "?");
		if (t.out != NEP_META_NO_PORT)
			nep_buf_printf(out, " via port %s, neighbour %s",
				port_name(app, t.out),
				t.neigh_pos >= 0 ? "known" : "unknown");
		break;
	}
	case NEP_STAGE_OUTPUT: {
		struct nep_trace_output t;
		memcpy(&t, r->data, sizeof(t));
		nep_buf_printf(out, "port %s mtu %u", port_name(app, t.out),
			t.mtu);
		if (t.action != 0)
			nep_buf_printf(out, " action %s",
				nep_actions[t.action].name);
		if (memcmp(t.mac, "\0\0\0\0\0\0", 6) != 0)
			nep_buf_printf(out, " next hop %02x:%02x:%02x:%02x:%02x:%02x",
				t.mac[0], t.mac[1], t.mac[2], t.mac[3], t.mac[4],
				t.mac[5]);
		else
			nep_buf_printf(out, " next hop unresolved");
		break;
	}
	default:
		if (r->kind == NEP_TRACE_RESULT_ICMP) {
			nep_buf_printf(out, "answered with an ICMP error");
		}
		break;
	}
}

/* Disarm every worker's trace and ask it to empty its buffer (it does
 * so itself, at its next armed trace: see nep_trace_want). */
static void
trace_disarm_and_empty(struct nep_app *app)
{
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct nep_trace *t = app->workers[w].trace;

		__atomic_store_n(&t->budget, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&t->reset_req, t->reset_req + 1,
			__ATOMIC_RELEASE);
	}
}

static int
cmd_trace_add(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	uint64_t n;
	int port = -1;

	if (nep_cmd_parse_u64(ctx->argv[2], &n) < 0 || n == 0 ||
		n > NEP_TRACE_MAX_PKTS) {
		nep_buf_printf(ctx->out, "error: N must be 1..%u\n",
			NEP_TRACE_MAX_PKTS);
		return -1;
	}
	if (ctx->argc >= 5 && (port = nep_port_find(app, ctx->argv[4])) < 0) {
		nep_buf_printf(ctx->out, "error: unknown port '%s'\n",
			ctx->argv[4]);
		return -1;
	}
	/* A sub-interface receives on its parent: the trace takes what
	 * arrives there (tagged or not). */
	int rx_port = port >= 0 && app->ports[port].parent >= 0 ?
		app->ports[port].parent : port;

	/* A new trace replaces the last one. */
	trace_disarm_and_empty(app);
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct nep_trace *t = app->workers[w].trace;
		/* Each worker may trace N (packets spread over queues). */
		t->port = (int16_t)rx_port;
		__atomic_store_n(&t->budget, (uint32_t)n, __ATOMIC_RELEASE);
	}
	if (ctx->json)
		ctx->json_out = json_pack("{s:b, s:I}", "ok", 1, "packets",
			(json_int_t)n);
	else
		nep_buf_printf(ctx->out, "tracing the next %" PRIu64
			" packets%s%s\n", n, port >= 0 ? " received on " : "",
			port >= 0 ? app->ports[port].name : "");
	return 0;
}

static int
cmd_show_trace(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	json_t *arr = json_array();
	struct nep_buf line;

	nep_buf_init(&line);
	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct nep_trace *t = app->workers[w].trace;
		uint32_t n;

		/* Records of a trace since replaced or cleared are not shown
		 * (the worker has not emptied them yet). */
		if (__atomic_load_n(&t->reset_done, __ATOMIC_ACQUIRE) !=
			t->reset_req)
			continue;
		n = __atomic_load_n(&t->n_recs, __ATOMIC_ACQUIRE);
		int64_t cur = -1;
		uint64_t t0 = 0;
		json_t *pkt = NULL, *stages = NULL;

		for (uint32_t i = 0; i < n; i++) {
			const struct nep_trace_rec *r = &t->rec[i];
			char v[64];

			if ((int64_t)r->pkt != cur) {
				cur = r->pkt;
				t0 = r->tsc;
				if (ctx->json) {
					stages = json_array();
					pkt = json_pack("{s:i, s:i, s:o}",
						"worker", w, "packet",
						(int)r->pkt, "stages", stages);
					json_array_append_new(arr, pkt);
				} else {
					nep_buf_printf(ctx->out,
						"Packet %u (worker %u)\n",
						r->pkt + 1, w);
				}
			}
			nep_buf_reset(&line);
			if (r->feature == NEP_TRACE_CORE)
				format_core(app, r, &line);
			else if (r->feature < nep_n_features &&
				nep_features[r->feature]->trace_format != NULL)
				nep_features[r->feature]->trace_format(app, r,
					&line);
			nep_trace_verdict_str(r->verdict, v, sizeof(v));
			const char *stage = r->stage < NEP_STAGE_MAX ?
				nep_stage_names[r->stage] : "result";
			const char *feat = r->feature == NEP_TRACE_CORE ?
				"core" : r->feature < nep_n_features ?
				nep_features[r->feature]->name : "?";
			double us = (double)(r->tsc - t0) * 1e6 /
				(double)app->tsc_hz;
			if (ctx->json) {
				json_array_append_new(stages, json_pack(
					"{s:s, s:s, s:s, s:s, s:f}", "stage",
					stage, "feature", feat, "detail",
					line.len ? line.data : "", "verdict", v,
					"t_us", us));
			} else {
				nep_buf_printf(ctx->out, "  %8.3f us %-8s %-12s %s%s-> %s\n",
					us, stage, feat,
					line.len ? line.data : "",
					line.len ? " " : "", v);
			}
		}
	}
	nep_buf_free(&line);
	if (!ctx->json && json_array_size(arr) == 0 &&
		ctx->out->len == 0)
		nep_buf_printf(ctx->out, "no packets traced (trace add N)\n");
	nep_reply_list(ctx, "trace", arr);
	return 0;
}

static int
cmd_clear_trace(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);

	trace_disarm_and_empty(app);
	if (ctx->json)
		ctx->json_out = json_pack("{s:b}", "ok", 1);
	else
		nep_buf_printf(ctx->out, "trace cleared\n");
	return 0;
}

void nep_trace_commands(struct nep_app *app, struct nep_dispatch *d);

void
nep_trace_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "trace add N [port NAME]", cmd_trace_add);
	nep_dispatch_bind(d, "show trace", cmd_show_trace);
	nep_dispatch_bind(d, "clear trace", cmd_clear_trace);
}
