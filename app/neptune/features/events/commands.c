/* SPDX-License-Identifier: BSD-3-Clause */
/* `show hooks` (docs/cli.md). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events.h"

#define APP(ctx) ((struct nep_app *)(ctx)->app)

static int
cmd_hooks(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct ev_config *ec = ev_conf(app->cfg);
	struct ev_state *st = &ev_state;
	uint64_t runs[EV_RUN_MAX] = { 0 };
	struct ev_last_run last;
	bool has_last = false;
	json_t *hooks = json_array(), *counts = json_object(), *rj, *recent;
	char t[64];

	if (st->runner != NULL) {
		ev_runner_counts(st->runner, runs);
		has_last = ev_runner_last(st->runner, &last);
	}
	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-12s %-9s %-40s %s\n", "HOOK",
			"TIMEOUT", "EXEC", "EVENTS");
	for (unsigned i = 0; ec != NULL && i < ec->n_hooks; i++) {
		const struct ev_hook_conf *h = &ec->hooks[i];
		json_t *kinds = json_array();
		char tmo[16];

		for (unsigned k = 0; k < EV_KIND_MAX; k++)
			if (h->kinds & (1u << k))
				json_array_append_new(kinds,
					json_string(ev_kind_names[k]));
		if (ctx->json) {
			json_array_append_new(hooks, json_pack(
				"{s:s, s:s, s:i, s:o}", "name", h->name, "exec",
				h->exec, "timeout_ms", (int)h->timeout_ms,
				"events", kinds));
			continue;
		}
		snprintf(tmo, sizeof(tmo), "%ums", h->timeout_ms);
		nep_buf_printf(ctx->out, "%-12s %-9s %-40s ", h->name, tmo,
			h->exec);
		if (h->kinds == (1u << EV_KIND_MAX) - 1)
			nep_buf_printf(ctx->out, "all");
		else
			for (size_t k = 0; k < json_array_size(kinds); k++)
				nep_buf_printf(ctx->out, "%s%s", k ? "," : "",
					json_string_value(json_array_get(kinds,
						k)));
		nep_buf_printf(ctx->out, "\n");
		json_decref(kinds);
	}
	for (unsigned k = 0; k < EV_KIND_MAX; k++)
		json_object_set_new(counts, ev_kind_names[k],
			json_integer((json_int_t)st->counts[k]));
	rj = json_object();
	for (unsigned r = 0; r < EV_RUN_MAX; r++)
		json_object_set_new(rj, ev_result_names[r],
			json_integer((json_int_t)runs[r]));
	recent = json_array();
	for (unsigned i = 0; i < st->n_recent; i++) {
		const struct ev_event *e = &st->recent[(st->recent_head +
			EV_RECENT - st->n_recent + i) % EV_RECENT];
		nep_iso_time(e->wall_ms, t, sizeof(t));
		json_array_append_new(recent, json_pack(
			"{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
			(json_int_t)e->seq, "time", t, "kind",
			ev_kind_names[e->kind], "subject", e->subject, "from",
			e->from, "to", e->to, "reason", e->reason));
	}
	if (ctx->json) {
		json_t *o = json_pack("{s:o, s:o, s:o, s:o}", "hooks", hooks,
			"events", counts, "runs", rj, "recent", recent);
		if (has_last) {
			nep_iso_time(last.wall_ms, t, sizeof(t));
			json_object_set_new(o, "last_run", json_pack(
				"{s:s, s:s, s:s, s:i, s:I, s:s}", "hook",
				last.hook, "kind", last.kind, "result",
				ev_result_names[last.result], "exit_status",
				last.status, "duration_ms", (json_int_t)last.ms,
				"event_time", t));
		} else {
			json_object_set_new(o, "last_run", json_null());
		}
		ctx->json_out = o;
		return 0;
	}
	if (ec == NULL || ec->n_hooks == 0)
		nep_buf_printf(ctx->out, "(no hooks configured)\n");
	nep_buf_printf(ctx->out, "runs:");
	for (unsigned r = 0; r < EV_RUN_MAX; r++)
		nep_buf_printf(ctx->out, " %s %" PRIu64, ev_result_names[r],
			runs[r]);
	nep_buf_printf(ctx->out, "\n");
	if (has_last)
		nep_buf_printf(ctx->out, "last run: %s on %s: %s (exit %d, "
			"%" PRIu64 " ms)\n", last.hook, last.kind,
			ev_result_names[last.result], last.status, last.ms);
	nep_buf_printf(ctx->out, "events:");
	for (unsigned k = 0; k < EV_KIND_MAX; k++)
		if (st->counts[k])
			nep_buf_printf(ctx->out, " %s %" PRIu64,
				ev_kind_names[k], st->counts[k]);
	nep_buf_printf(ctx->out, "\n");
	for (size_t i = json_array_size(recent) > 10 ?
		json_array_size(recent) - 10 : 0;
		i < json_array_size(recent); i++) {
		json_t *e = json_array_get(recent, i);
		nep_buf_printf(ctx->out, "  %s  %-18s %-10s %s%s%s\n",
			json_string_value(json_object_get(e, "time")),
			json_string_value(json_object_get(e, "kind")),
			json_string_value(json_object_get(e, "subject")),
			json_string_value(json_object_get(e, "reason")),
			"", "");
	}
	json_decref(hooks);
	json_decref(counts);
	json_decref(rj);
	json_decref(recent);
	return 0;
}

void
ev_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show hooks", cmd_hooks);
}
