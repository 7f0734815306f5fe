/* SPDX-License-Identifier: BSD-3-Clause */
/* show ilnp (docs/ilnp.md, "CLI"): the workers' counters, summed. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "mh_config.h"
#include "ilnp.h"

static void
sum_stats(struct nep_app *app, struct ilnp_stats *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct ilnp_worker *iw = ILNP_W(&app->workers[w]);
		const uint64_t *s = (const uint64_t *)&iw->stats;
		uint64_t *d = (uint64_t *)t;

		if (iw == NULL)
			continue;
		for (size_t i = 0; i < sizeof(*t) / sizeof(uint64_t); i++)
			d[i] += s[i];
	}
}

static const char *
mode_name(enum ilnp_mode m)
{
	return m == ILNP_AWARE ? "aware" : "transparent";
}

static int
cmd_show(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = (struct nep_app *)ctx->app;
	const struct ilnp_config *ic = ilnp_conf(app->cfg);
	const struct mh_config *mc = mh_conf(app->cfg);
	struct ilnp_stats t;
	json_t *pols = json_array(), *ups = json_object();

	sum_stats(app, &t);
	for (unsigned i = 0; i < ic->n_policies; i++)
		json_array_append_new(pols, json_pack("{s:s, s:s, s:s}",
			"policy", ic->policies[i].policy, "mode",
			mode_name(ic->policies[i].mode), "multipath",
			ic->policies[i].multipath ? "drr" : "none"));
	for (unsigned u = 0; u < mc->n_uplinks; u++)
		if (t.multipath_pkts[u] != 0)
			json_object_set_new(ups, mc->uplinks[u].name,
				json_pack("{s:I, s:I}", "packets",
					(json_int_t)t.multipath_pkts[u], "bytes",
					(json_int_t)t.multipath_bytes[u]));
	if (ctx->json) {
		ctx->json_out = json_pack("{s:s, s:b, s:o, s:I, s:I, s:I, s:I, "
			"s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I}",
			"mode", mode_name(ic->mode), "lu_rewrite", ic->lu_rewrite,
			"policies", pols,
			"packets_out", (json_int_t)t.pkts_out,
			"packets_in", (json_int_t)t.pkts_in,
			"aware_out", (json_int_t)t.aware_out,
			"aware_in", (json_int_t)t.aware_in,
			"transparent", (json_int_t)t.transparent,
			"lu_out", (json_int_t)t.lu_out,
			"lu_in", (json_int_t)t.lu_in,
			"lu_rewritten_out", (json_int_t)t.lu_rewritten_out,
			"lu_rewritten_in", (json_int_t)t.lu_rewritten_in,
			"lu_unparsed", (json_int_t)t.lu_unparsed,
			"lu_too_big", (json_int_t)t.lu_too_big,
			"multipath", ups, "errors_in", (json_int_t)t.errors_in);
		return 0;
	}
	nep_buf_printf(ctx->out, "mode %s, LU rewriting %s\n",
		mode_name(ic->mode), ic->lu_rewrite ? "on" : "off");
	for (unsigned i = 0; i < ic->n_policies; i++)
		nep_buf_printf(ctx->out, "policy %s: %s, multipath %s\n",
			ic->policies[i].policy, mode_name(ic->policies[i].mode),
			ic->policies[i].multipath ? "drr" : "none");
	nep_buf_printf(ctx->out, "packets out %" PRIu64 " (aware %" PRIu64
		"), in %" PRIu64 " (aware %" PRIu64 "), transparent %" PRIu64
		"\nlocator updates out %" PRIu64 " (rewritten %" PRIu64
		"), in %" PRIu64 " (rewritten %" PRIu64 "), unparsed %" PRIu64
		", too big %" PRIu64 "\n", t.pkts_out, t.aware_out, t.pkts_in,
		t.aware_in, t.transparent, t.lu_out, t.lu_rewritten_out,
		t.lu_in, t.lu_rewritten_in, t.lu_unparsed, t.lu_too_big);
	for (unsigned u = 0; u < mc->n_uplinks; u++)
		if (t.multipath_pkts[u] != 0)
			nep_buf_printf(ctx->out, "multipath %s: %" PRIu64
				" packets, %" PRIu64 " bytes\n",
				mc->uplinks[u].name, t.multipath_pkts[u],
				t.multipath_bytes[u]);
	json_decref(pols);
	json_decref(ups);
	return 0;
}

static const char *
lu_state_name(enum ilnp_lu_state s)
{
	static const char *const n[] = { "idle", "sending", "acked", "failed" };

	return (unsigned)s < 4 ? n[s] : "?";
}

static int
cmd_peers(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = (struct nep_app *)ctx->app;
	const struct ilnp_ctl *ct = &ilnp_ctl_state;
	const struct mh_config *mc = mh_conf(app->cfg);
	uint64_t now = nep_now_ms();
	json_t *arr = json_array();
	char h[64], cn[64];

	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-28s %-28s %-5s %-16s %-8s %5s %5s "
			"%8s\n", "HOST", "CORRESPONDENT", "NONCE", "UPLINKS",
			"LU", "SENT", "ACKS", "IDLE(s)");
	for (unsigned i = 0; i < ILNP_MAX_PEERS; i++) {
		const struct ilnp_peer *p = &ct->peers[i];
		struct nep_addr a = { .family = AF_INET6 };
		char ups[NEP_MAX_UPLINKS * (NEP_NAME_MAX + 1)] = "";
		json_t *ul = json_array();
		size_t off = 0;

		if (!p->used)
			continue;
		memcpy(a.a, p->host, 16);
		nep_addr_str(&a, h, sizeof(h));
		memcpy(a.a, p->cn, 16);
		nep_addr_str(&a, cn, sizeof(cn));
		for (unsigned k = 0; k < p->n_adv; k++) {
			const char *nm = p->adv_id[k] < mc->n_uplinks ?
				mc->uplinks[p->adv_id[k]].name : "?";

			json_array_append_new(ul, json_string(nm));
			off += (size_t)snprintf(ups + off, sizeof(ups) - off,
				"%s%s", k ? "," : "", nm);
		}
		if (ctx->json) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:i, "
				"s:o, s:s, s:I, s:I, s:f}", "host", h,
				"correspondent", cn, "nonce_bytes", p->nonce_len,
				"uplinks", ul, "lu", lu_state_name(p->state),
				"lu_sent", (json_int_t)p->lus_sent, "acks",
				(json_int_t)p->acks, "idle_s",
				(double)(now - p->last_ms) / 1000.0));
			continue;
		}
		json_decref(ul);
		nep_buf_printf(ctx->out, "%-28s %-28s %-5u %-16s %-8s %5" PRIu64
			" %5" PRIu64 " %8.1f\n", h, cn, p->nonce_len, ups,
			lu_state_name(p->state), p->lus_sent, p->acks,
			(double)(now - p->last_ms) / 1000.0);
	}
	if (ctx->json) {
		ctx->json_out = json_pack("{s:o, s:I, s:I, s:I, s:I}", "peers",
			arr, "max", (json_int_t)ILNP_MAX_PEERS, "table_full",
			(json_int_t)ct->peers_full, "lu_sent",
			(json_int_t)ct->lu_sent, "lu_failed",
			(json_int_t)ct->lu_failed);
		return 0;
	}
	json_decref(arr);
	nep_buf_printf(ctx->out, "%u peers (of %u), LUs sent %" PRIu64
		", unacknowledged after %u sends %" PRIu64 "\n", ct->n_peers,
		ILNP_MAX_PEERS, ct->lu_sent, ILNP_LU_SENDS, ct->lu_failed);
	return 0;
}

void
ilnp_stats_json(struct nep_app *app, json_t *obj)
{
	struct ilnp_stats t;

	sum_stats(app, &t);
	json_object_set_new(obj, "ilnp", json_pack("{s:I, s:I, s:I, s:I}",
		"packets_out", (json_int_t)t.pkts_out, "packets_in",
		(json_int_t)t.pkts_in, "lu_rewritten_out",
		(json_int_t)t.lu_rewritten_out, "lu_rewritten_in",
		(json_int_t)t.lu_rewritten_in));
}

void
ilnp_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show ilnp", cmd_show);
	nep_dispatch_bind(d, "show ilnp peers", cmd_peers);
}
