/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * show sr localsids, show sr policies, show overlays (docs/srv6.md, "CLI"
 * and "Reading the counters").
 */
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "mh_config.h"
#include "srv6.h"
#include "srv6_export.h"

#define APP(ctx) ((struct nep_app *)(ctx)->app)

uint64_t
srv6_stat_sum(const struct nep_app *app, size_t offset)
{
	const struct srv6_ctl *sc = SRV6_CTL(app);
	const struct srv6_worker *w0;

	if (app->n_workers == 0)
		return 0;
	w0 = SRV6_W(&app->workers[0]);
	return nep_counters_sum(w0->stats, sc->stats_base,
		sizeof(struct srv6_stats), app->n_workers, offset);
}

#define SRV6_STAT(app, field)                                                 \
	srv6_stat_sum(app, offsetof(struct srv6_stats, field))

static const char *
a6(const uint8_t *a, char *buf, size_t len)
{
	return inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static const struct srv6_snap *
snap(struct nep_cmd_ctx *ctx)
{
	const struct srv6_snap *ss = SRV6_SNAP(APP(ctx)->snap);

	if (!ss->enabled) {
		nep_buf_printf(ctx->out, "srv6 is not configured (no srv6: "
			"section)\n");
		return NULL;
	}
	return ss;
}

static int
cmd_localsids(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct srv6_snap *ss = snap(ctx);
	const struct srv6_config *sc = srv6_conf(app->snap->cfg);
	json_t *arr = json_array();
	char s[64];

	if (ss == NULL) {
		json_decref(arr);
		return -1;
	}
	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-40s %-9s %-16s %12s %14s\n", "SID",
			"BEHAVIOR", "VRF/NEXT-HOP", "PACKETS", "BYTES");
	for (unsigned i = 0; i < SRV6_MAX_SIDS_TABLE; i++) {
		const struct srv6_sid *e = &ss->sid[i];
		char where[64] = "-";
		const char *what = e->wan_addr ? "wan-address" : "";

		if (!e->used)
			continue;
		uint64_t pk = SRV6_STAT(app, sid_pkts[i]);
		uint64_t by = SRV6_STAT(app, sid_bytes[i]);
		a6(e->sid, s, sizeof(s));
		if (e->behavior >= SRV6_END_DT4)
			snprintf(where, sizeof(where), "%s", e->vrf);
		else if (e->behavior == SRV6_END_X)
			snprintf(where, sizeof(where), "%s",
				app->ports[e->out_port].name);
		if (e->overlay >= 0)
			what = sc->overlays[e->overlay].name;
		if (ctx->json) {
			json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s}", "sid",
				s, "behavior", srv6_behavior_names[e->behavior],
				"packets", (json_int_t)pk, "bytes",
				(json_int_t)by, "use", what);
			json_object_set_new(o, "vrf", e->behavior >= SRV6_END_DT4 ?
				json_string(e->vrf) : json_null());
			json_object_set_new(o, "table", json_integer(e->table));
			json_array_append_new(arr, o);
		} else {
			nep_buf_printf(ctx->out, "%-40s %-9s %-16s %12" PRIu64
				" %14" PRIu64 "%s%s\n", s,
				srv6_behavior_names[e->behavior], where, pk, by,
				*what ? "  " : "", what);
		}
	}
	if (ctx->json) {
		json_t *loc = json_array();
		for (unsigned i = 0; i < ss->n_locators; i++) {
			char p[64];
			nep_prefix_str(&ss->locators[i], p, sizeof(p));
			json_array_append_new(loc, json_string(p));
		}
		ctx->json_out = json_pack("{s:o, s:o, s:I, s:I, s:I}",
			"localsids", arr, "locators", loc, "unknown_sid_drops",
			(json_int_t)NEP_STAT(app, drops[srv6_drop_unknown_sid]),
			"end", (json_int_t)SRV6_STAT(app, end_pkts), "decap",
			(json_int_t)SRV6_STAT(app, decap_pkts));
	} else {
		json_decref(arr);
		nep_buf_printf(ctx->out, "unknown SIDs of our locators dropped: "
			"%" PRIu64 "\n",
			NEP_STAT(app, drops[srv6_drop_unknown_sid]));
	}
	return 0;
}

static void
sid_list(const struct nep_srv6_policy *p, char *out, size_t len)
{
	/* The SIDs in travel order, read back from the template. */
	const uint8_t *h = p->hdr;
	char s[64];
	size_t o = 0;

	out[0] = '\0';
	o += (size_t)snprintf(out + o, len - o, "%s", a6(h + 24, s, sizeof(s)));
	if (p->hdr_len > NEP_SRV6_IP6_HLEN) {
		unsigned last = h[40 + 4];	/* Last Entry */
		/* Segment List[last] is the first SID, already printed
		 * (unless reduced, where it is not in the list). */
		for (int i = (int)last - (p->reduced ? 0 : 1); i >= 0; i--)
			o += (size_t)snprintf(out + o, len - o, ",%s",
				a6(h + 48 + 16 * i, s, sizeof(s)));
	}
}

static int
cmd_policies(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct srv6_snap *ss = snap(ctx);
	const struct srv6_config *sc = srv6_conf(app->snap->cfg);
	json_t *arr = json_array();

	if (ss == NULL) {
		json_decref(arr);
		return -1;
	}
	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-10s %-8s %-4s %-6s %-6s %-8s %s\n",
			"OVERLAY", "SITE", "AF", "PATH", "UPLINK", "OVERHEAD",
			"SEGMENTS");
	for (unsigned i = 0; i < ss->n_policies; i++) {
		const struct srv6_policy *p = &ss->policies[i];
		json_t *paths = json_array();

		for (unsigned k = 0; k < p->n_paths; k++) {
			const struct srv6_path *pa = &ss->paths[p->path[k]];
			char segs[512], src[64];

			sid_list(&p->encap[k], segs, sizeof(segs));
			a6(pa->src, src, sizeof(src));
			if (ctx->json) {
				json_array_append_new(paths, json_pack(
					"{s:i, s:s, s:s, s:s, s:i, s:i, s:b}",
					"path", (int)p->path[k], "uplink",
					pa->uplink, "source", src, "segments",
					segs, "overhead", p->encap[k].hdr_len,
					"mtu", pa->mtu - p->encap[k].hdr_len,
					"reduced", p->encap[k].reduced != 0));
			} else {
				nep_buf_printf(ctx->out, "%-10s %-8s ipv%-1u %-6u "
					"%-6s %-8u %s\n",
					sc->overlays[p->overlay].name,
					sc->sites[p->site].name, p->family,
					p->path[k], pa->uplink,
					p->encap[k].hdr_len, segs);
			}
		}
		if (ctx->json)
			json_array_append_new(arr, json_pack(
				"{s:s, s:s, s:i, s:o}", "overlay",
				sc->overlays[p->overlay].name, "site",
				sc->sites[p->site].name, "family", p->family,
				"paths", paths));
		else
			json_decref(paths);
	}
	nep_reply_list(ctx, "policies", arr);
	return 0;
}

static int
cmd_overlays(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = APP(ctx);
	const struct srv6_snap *ss = snap(ctx);
	const struct srv6_config *sc = srv6_conf(app->snap->cfg);
	json_t *arr = json_array();
	uint64_t up;

	if (ss == NULL) {
		json_decref(arr);
		return -1;
	}
	up = __atomic_load_n(&ss->up_mask, __ATOMIC_ACQUIRE);
	for (unsigned oi = 0; oi < sc->n_overlays; oi++) {
		const struct srv6_overlay_conf *o = &sc->overlays[oi];
		json_t *sites = json_array();

		if (!ctx->json)
			nep_buf_printf(ctx->out, "overlay %s  vrf %s  function "
				"0x%x\n", o->name, o->vrf, o->function);
		for (unsigned mi = 0; mi < o->n_members; mi++) {
			const struct srv6_member_conf *mb = &o->members[mi];
			json_t *paths = json_array(), *pfx = json_array();
			const struct srv6_site_rt *sr;

			for (unsigned k = 0; k < mb->n_prefixes; k++) {
				char p[64];
				nep_prefix_str(&mb->prefixes[k], p, sizeof(p));
				json_array_append_new(pfx, json_string(p));
			}
			if (mb->site_idx < 0) {
				if (ctx->json)
					json_array_append_new(sites, json_pack(
						"{s:s, s:b, s:o, s:o}", "site",
						mb->site, "local", 1, "prefixes",
						pfx, "paths", paths));
				else {
					json_decref(pfx);
					json_decref(paths);
					nep_buf_printf(ctx->out, "  site %s "
						"(local)\n", mb->site);
				}
				continue;
			}
			sr = &ss->sites[mb->site_idx];
			if (!ctx->json)
				nep_buf_printf(ctx->out, "  site %s\n    %-4s "
					"%-6s %-40s %-5s %-9s %-7s %6s %10s %12s "
					"%-7s %s\n",
					mb->site, "PATH", "UPLINK", "REMOTE",
					"STATE", "RTT", "BUCKETS", "FLOWS",
					"TX-PKTS", "TX-BYTES", "CLASS", "ENCAP");
			for (unsigned k = 0; k < sr->n_paths; k++) {
				unsigned gp = sr->path[k];
				const struct srv6_path *p = &ss->paths[gp];
				struct nep_health_metrics hm;
				bool is_up = (up >> gp) & 1;
				unsigned buckets = 0;
				char r[64], rtt[24] = "-";

				for (unsigned b = 0; b < SRV6_BUCKETS; b++)
					for (unsigned j = 0; j < sr->n_paths;
						j++)
						if ((up >> sr->path[sr->rank[b][j]]) &
							1) {
							buckets += sr->rank[b][j] == k;
							break;
						}
				nep_health_get_metrics(&p->health, &hm);
				a6(p->probe, r, sizeof(r));
				bool has_rtt = is_up && hm.target[0].has_rtt;
				if (has_rtt)
					snprintf(rtt, sizeof(rtt), "%.2fms",
						hm.target[0].rtt_ms);
				uint64_t tp = SRV6_STAT(app, path_pkts[gp]);
				uint64_t tb = SRV6_STAT(app, path_bytes[gp]);
				if (ctx->json) {
					json_t *po = json_pack("{s:i, s:s, s:s, "
						"s:s, s:i, s:I, s:I, s:b, s:i}",
						"path", (int)gp, "uplink",
						p->uplink, "remote", r, "state",
						is_up ? "up" : "down", "buckets",
						(int)buckets, "tx_packets",
						(json_int_t)tp, "tx_bytes",
						(json_int_t)tb, "backup",
						p->backup != 0, "weight",
						(int)p->weight);
					json_object_set_new(po, "flows",
						json_integer(SRV6_CTL(app)->flows[gp]));
					json_object_set_new(po, "rtt_ms", has_rtt ?
						json_real(hm.target[0].rtt_ms) :
						json_null());
					json_object_set_new(po, "loss_pct",
						json_real(hm.loss_pct));
					json_object_set_new(po, "class",
						json_string(nep_srv6_tclass_names[
							p->tclass]));
					json_object_set_new(po, "encapsulation",
						json_string(nep_srv6_encap_names[
							p->mode]));
					json_array_append_new(paths, po);
				} else {
					nep_buf_printf(ctx->out, "    %-4u %-6s "
						"%-40s %-5s %-9s %-7u %6u %10" PRIu64
						" %12" PRIu64 " %-7s %s\n", gp,
						p->uplink, r, is_up ? "up" : "down",
						rtt, buckets,
						SRV6_CTL(app)->flows[gp], tp, tb,
						nep_srv6_tclass_names[p->tclass],
						nep_srv6_encap_names[p->mode]);
				}
			}
			if (ctx->json)
				json_array_append_new(sites, json_pack(
					"{s:s, s:b, s:o, s:o}", "site", mb->site,
					"local", 0, "prefixes", pfx, "paths",
					paths));
			else {
				json_decref(pfx);
				json_decref(paths);
			}
		}
		if (ctx->json)
			json_array_append_new(arr, json_pack(
				"{s:s, s:s, s:i, s:o}", "name", o->name, "vrf",
				o->vrf, "function", (int)o->function, "sites",
				sites));
		else
			json_decref(sites);
	}
	nep_reply_list(ctx, "overlays", arr);
	return 0;
}

void
srv6_stats_json(struct nep_app *app, json_t *obj)
{
	const struct srv6_snap *ss = SRV6_SNAP(app->snap);

	if (!ss->enabled)
		return;
	json_object_set_new(obj, "srv6", json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I}", "encap",
		(json_int_t)SRV6_STAT(app, encap_pkts), "decap",
		(json_int_t)SRV6_STAT(app, decap_pkts), "end",
		(json_int_t)SRV6_STAT(app, end_pkts), "mss_clamped",
		(json_int_t)SRV6_STAT(app, mss_clamped), "probes_sent",
		(json_int_t)SRV6_CTL(app)->probes_sent, "probe_replies",
		(json_int_t)SRV6_CTL(app)->probe_replies));
}

void
srv6_clear_stats(struct nep_app *app)
{
	struct srv6_ctl *sc = SRV6_CTL(app);

	for (unsigned w = 0; w < app->n_workers; w++)
		memcpy(&sc->stats_base[w], SRV6_W(&app->workers[w])->stats,
			sizeof(struct srv6_stats));
}

void
srv6_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show sr localsids", cmd_localsids);
	nep_dispatch_bind(d, "show sr policies", cmd_policies);
	nep_dispatch_bind(d, "show overlays", cmd_overlays);
}
