/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SRv6 stages (docs/srv6.md):
 *  - ingress: packets for a local SID: End (and End on our WAN address for
 *    the first SID of a two-SID list), End.X, End.DT4/DT6/DT46 (the inner
 *    packet goes on to the lookup in the SID's VRF); unknown SIDs of our
 *    locators are dropped; SRH errors are named drops or ICMPv6 errors;
 *  - egress: a destination routed to an overlay (NEP_NH_FEATURE): the
 *    flow's path to the remote site, its SR policy and overhead;
 *  - the path action H.Encaps(.Red), after the output stage's MTU check,
 *    with TCP MSS clamping of SYNs.
 */
#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include "mh_config.h"
#include "mh_export.h"
#include "nep_rendezvous.h"
#include "nep_worker.h"
#include "srv6.h"


/* ---- trace ---- */

enum srv6_trace_kind { SRV6_TRACE_SID = 1, SRV6_TRACE_STEER, SRV6_TRACE_ENCAP };

struct srv6_trace_sid {
	uint8_t sid[16];
	uint8_t behavior, segments_left, table, rc;
};

struct srv6_trace_steer {
	uint16_t route, policy;
	uint8_t path, bucket, n_up, family;
	uint32_t label;
};

struct srv6_trace_encap {
	uint8_t da[16];
	uint16_t hdr_len, out_len;
	uint8_t n_sids, reduced, path, rc;
};

static inline void
srv6_trace(struct nep_pctx *c, enum nep_stage st, enum srv6_trace_kind k,
	nep_verdict_t v, const void *d, unsigned len)
{
	if (unlikely(c->meta->flags & NEP_META_F_TRACE))
		nep_trace_add(c->w->trace, st, (uint8_t)nep_srv6_feature.id,
			(uint8_t)k, v, d, len);
}

void
srv6_trace_format(const struct nep_app *app, const struct nep_trace_rec *r,
	struct nep_buf *out)
{
	char a[64];

	(void)app;
	switch (r->kind) {
	case SRV6_TRACE_SID: {
		const struct srv6_trace_sid *t = (const void *)r->data;
		inet_ntop(AF_INET6, t->sid, a, sizeof(a));
		nep_buf_printf(out, "srv6 sid %s %s segments-left %u%s%s", a,
			t->behavior < SRV6_BEHAVIOR_MAX ?
				srv6_behavior_names[t->behavior] : "?",
			t->segments_left, t->rc ? " " : "",
			t->rc ? nep_srv6_rc_name((enum nep_srv6_rc)t->rc) : "");
		if (t->behavior >= SRV6_END_DT4)
			nep_buf_printf(out, " decap table %u", t->table);
		break;
	}
	case SRV6_TRACE_STEER: {
		const struct srv6_trace_steer *t = (const void *)r->data;
		nep_buf_printf(out, "srv6 overlay route %u policy %u ipv%u "
			"flow-label 0x%05x bucket %u path %d (%u up)", t->route,
			t->policy, t->family, t->label, t->bucket,
			t->path == 0xff ? -1 : (int)t->path, t->n_up);
		break;
	}
	case SRV6_TRACE_ENCAP: {
		const struct srv6_trace_encap *t = (const void *)r->data;
		inet_ntop(AF_INET6, t->da, a, sizeof(a));
		nep_buf_printf(out, "srv6 h.encaps%s da %s sids %u +%u bytes "
			"-> %u bytes path %u%s%s", t->reduced ? ".red" : "", a,
			t->n_sids, t->hdr_len, t->out_len, t->path,
			t->rc ? " " : "",
			t->rc ? nep_srv6_rc_name((enum nep_srv6_rc)t->rc) : "");
		break;
	}
	default:
		nep_buf_printf(out, "srv6 record %u", r->kind);
	}
}

/* ---- ingress: local SIDs ---- */

static inline nep_verdict_t
rc_drop(enum nep_srv6_rc rc)
{
	return NEP_VERDICT_DROP(srv6_drop_rc[rc]);
}

/* An SRH error: a Parameter Problem where RFC 8754 4.3.1.1 / RFC 8200
 * want one (pointing at the field), else a plain named drop. */
static inline nep_verdict_t
srh_error(struct nep_pctx *c, enum nep_srv6_rc rc,
	const struct nep_srv6_srh *v)
{
	switch (rc) {
	case NEP_SRV6_ERR_SL:
	case NEP_SRV6_ERR_RT_TYPE:
	case NEP_SRV6_ERR_HDR_LEN:
		return nep_icmp_error_verdict(c->meta, srv6_drop_rc[rc],
			NEP_ICMP_ERR_PARAM_PROB, v->err_off);
	default:
		return rc_drop(rc);
	}
}

/* UDP to the SID itself, for a local service (STAMP to a SID, with or
 * without an SRH, RFC 9503 style): ours (RFC 8986 4.1.1 lets local
 * configuration allow an upper layer). */
static inline bool
udp_served(const struct nep_pctx *c)
{
	const uint8_t *l4 = c->frame + c->pi.l4_off;

	return c->pi.l4_proto == NEP_PROTO_UDP && c->pi.has_l4 &&
	       nep_local_serves(6, NEP_PROTO_UDP,
		       (uint16_t)(l4[2] << 8 | l4[3]));
}

/* Strip the outer header and its extension headers: the inner packet of
 * End.DT* takes the frame's place, on to the lookup in table. */

static inline nep_verdict_t
decap(struct nep_pctx *c, struct rte_mbuf *m, const struct srv6_snap *ss,
	const struct srv6_sid *sid, uint8_t *ip6, uint32_t len)
{
	nep_verdict_t v;
	uint32_t inner_off;
	uint8_t family;
	enum nep_srv6_rc rc;
	uint8_t *f = c->frame;

	rc = nep_srv6_decap_locate(ip6, len, &inner_off, &family);
	if (rc == NEP_SRV6_ERR_DECAP_NO_INNER && c->pi.has_l4)
		/* An upper layer the SID does not take (RFC 8986 4.1.1). */
		return nep_icmp_error_verdict(c->meta, srv6_drop_rc[rc],
			NEP_ICMP_ERR_SR_UPPER, c->pi.l4_off - c->pi.l3_off);
	if (rc != NEP_SRV6_OK)
		return rc_drop(rc);
	if ((sid->behavior == SRV6_END_DT4 && family != 4) ||
		(sid->behavior == SRV6_END_DT6 && family != 6))
		return nep_icmp_error_verdict(c->meta, srv6_drop_wrong_inner,
			NEP_ICMP_ERR_SR_UPPER, inner_off);
	/* Ethernet addresses forward over the outer header, then the new
	 * ethertype; the outer bytes are cut. */
	memmove(f + inner_off, f, 12);
	f[inner_off + 12] = family == 6 ? 0x86 : 0x08;
	f[inner_off + 13] = family == 6 ? 0xdd : 0x00;
	rte_pktmbuf_adj(m, (uint16_t)inner_off);
	/* A new packet: the output ages it (an End before did the outer). */
	c->meta->flags = (uint8_t)((c->meta->flags & ~NEP_META_F_AGED) |
		NEP_META_F_DECAP);
	c->meta->table = sid->table;
	/* where the outer header was, for a local service that answers
	 * the way the packet came (STAMP: srv6_export.h) */
	c->meta->icmp_param = inner_off;
	SRV6_W(c->w)->stats->decap_pkts++;
	v = nep_reinput(c, m);
	/* The SYNs coming out of an overlay are clamped too (the far end
	 * may not be a neptune), to what this encapsulation leaves of the
	 * port's MTU. */
	if (v == NEP_V_NEXT && ss->mss_clamp &&
		c->pi.l4_proto == NEP_PROTO_TCP && c->pi.has_l4 && !c->pi.frag) {
		uint32_t mtu = c->w->app->ports[c->meta->in_port].mtu;
		uint32_t hdr = c->pi.family == 6 ? 60 : 40;

		if (mtu > inner_off + hdr &&
			nep_tcp_clamp_mss(c->frame + c->pi.l4_off, c->pi.l3_off +
				c->pi.l3_len - c->pi.l4_off,
				(uint16_t)(mtu - inner_off - hdr)))
			SRV6_W(c->w)->stats->mss_clamped++;
	}
	return v;
}

/*
 * The packet's destination is local SID idx. Returns the verdict, or
 * NEP_V_NEXT with *again set when End made the next SID the destination
 * (which may be ours too: a two-SID list to us).
 */
static inline nep_verdict_t
sid_process(struct nep_pctx *c, struct rte_mbuf *m, const struct srv6_snap *ss,
	int idx, bool *again)
{
	const struct srv6_sid *sid = &ss->sid[idx];
	struct srv6_stats *st = SRV6_W(c->w)->stats;
	uint8_t *ip6 = c->frame + c->pi.l3_off;
	uint32_t len = c->pi.l3_len;
	struct nep_srv6_srh v = { 0 };
	enum nep_srv6_rc rc;
	nep_verdict_t verdict = NEP_V_NEXT;
	struct srv6_trace_sid t;

	*again = false;
	rc = nep_srv6_parse(ip6, len, &v);
	/* To our WAN address without an SRH to process: local delivery
	 * (a malformed SRH is still an SRH error). */
	if (sid->wan_addr && (rc == NEP_SRV6_ERR_NO_SRH ||
				     rc == NEP_SRV6_ERR_RT_TYPE ||
				     (rc == NEP_SRV6_OK && v.segments_left == 0)))
		return NEP_V_NEXT;
	st->sid_pkts[idx]++;
	st->sid_bytes[idx] += len;
	switch (sid->behavior) {
	case SRV6_END:
	case SRV6_END_X:
		if (rc == NEP_SRV6_ERR_NO_SRH ||
			(rc == NEP_SRV6_OK && v.segments_left == 0)) {
			/* Upper layer for the SID itself: ICMPv6 (echo, the
			 * probes of other sites) is ours, the rest is not
			 * served (RFC 8986 4.1.1). */
			if ((c->pi.l4_proto == NEP_PROTO_ICMPV6 ||
				    udp_served(c)) && !c->pi.frag)
				verdict = NEP_VERDICT_PUNT(NEP_PUNT_LOCAL);
			else if (c->pi.has_l4)
				verdict = nep_icmp_error_verdict(c->meta,
					srv6_drop_rc[NEP_SRV6_NO_NEXT_SEG],
					NEP_ICMP_ERR_SR_UPPER,
					c->pi.l4_off - c->pi.l3_off);
			else
				verdict = rc_drop(NEP_SRV6_NO_NEXT_SEG);
			break;
		}
		if (rc != NEP_SRV6_OK) {
			verdict = srh_error(c, rc, &v);
			break;
		}
		rc = nep_srv6_end(ip6, len, &v);
		if (rc == NEP_SRV6_HOP_LIMIT) {
			verdict = nep_icmp_error_verdict(c->meta,
				srv6_drop_rc[rc], NEP_ICMP_ERR_TIME_EXCEEDED, 0);
			break;
		}
		if (rc != NEP_SRV6_OK) {
			verdict = rc_drop(rc);
			break;
		}
		/* The next segment must be a unicast address one may route
		 * to (RFC 4291 2.5.6: never forward link-local). */
		{
			const uint8_t *nd = ((struct rte_ipv6_hdr *)ip6)->dst_addr;
			static const uint8_t zero[15];
			if (nep_ip6_is_multicast(nd) || nep_ip6_is_linklocal(nd) ||
				(memcmp(nd, zero, 15) == 0 && nd[15] <= 1)) {
				verdict = NEP_VERDICT_DROP(srv6_drop_bad_next_sid);
				break;
			}
		}
		st->end_pkts++;
		/* Aged by End; the lookup's hop-limit check has been made. */
		c->meta->flags |= NEP_META_F_AGED;
		c->hop_limit = 255;
		c->dst = ((struct rte_ipv6_hdr *)ip6)->dst_addr;
		if (sid->behavior == SRV6_END_X) {
			c->meta->out_port = sid->out_port;
			c->meta->neigh_pos = sid->neigh_pos;
			verdict = NEP_VERDICT(NEP_V_FORWARD, 0);
		} else {
			*again = true;
		}
		break;
	default: /* End.DT4 / DT6 / DT46 */
		if ((rc == NEP_SRV6_ERR_NO_SRH ||
			    (rc == NEP_SRV6_OK && v.segments_left == 0)) &&
			(c->pi.l4_proto == NEP_PROTO_ICMPV6 || udp_served(c)) &&
			!c->pi.frag) {
			/* To the SID itself (neighbour discovery of a proxied
			 * SID, an echo): ours, as for End. */
			verdict = NEP_VERDICT_PUNT(NEP_PUNT_LOCAL);
			break;
		}
		if (rc == NEP_SRV6_OK && v.segments_left != 0) {
			/* RFC 8986 4.4: not the last segment. */
			v.err_off = (uint16_t)(v.srh_off + 3);
			verdict = nep_icmp_error_verdict(c->meta,
				srv6_drop_rc[NEP_SRV6_ERR_DECAP_SL],
				NEP_ICMP_ERR_PARAM_PROB, v.err_off);
			break;
		}
		if (rc != NEP_SRV6_OK && rc != NEP_SRV6_ERR_NO_SRH) {
			verdict = srh_error(c, rc, &v);
			break;
		}
		verdict = decap(c, m, ss, sid, ip6, len);
		break;
	}
	if (unlikely(c->meta->flags & NEP_META_F_TRACE)) {
		memcpy(t.sid, sid->sid, 16);
		t.behavior = sid->behavior;
		t.segments_left = v.segments_left;
		t.table = sid->table;
		t.rc = (uint8_t)(NEP_VERDICT_KIND(verdict) == NEP_V_DROP ||
			NEP_VERDICT_KIND(verdict) == NEP_V_PUNT ? rc : 0);
		srv6_trace(c, NEP_STAGE_INGRESS, SRV6_TRACE_SID, verdict, &t,
			sizeof(t));
	}
	return verdict;
}

nep_verdict_t
srv6_ingress(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct srv6_snap *ss = SRV6_SNAP(c->s);

	if (!ss->enabled || c->pi.family != 6)
		return NEP_V_NEXT;
	/* At most one End on our WAN address, one on a SID, and a
	 * decapsulation: more is a loop of our own SIDs. */
	for (unsigned round = 0; round < 3; round++) {
		const uint8_t *dst = c->frame + c->pi.l3_off + 24;
		int idx = srv6_sid_lookup(ss, dst);
		nep_verdict_t v;
		bool again;

		if (idx < 0) {
			if (srv6_in_locator(ss, dst))
				return NEP_VERDICT_DROP(srv6_drop_unknown_sid);
			return NEP_V_NEXT;
		}
		v = sid_process(c, m, ss, idx, &again);
		if (!again || v != NEP_V_NEXT)
			return v;
	}
	return rc_drop(NEP_SRV6_ERR_EXT_CHAIN);
}

/* ---- egress: overlay routes ---- */

nep_verdict_t
srv6_egress(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct srv6_snap *ss = SRV6_SNAP(c->s);
	uint32_t idx = nep_nh_index(c->nh);
	const struct srv6_route *rt;
	const struct srv6_policy *pol;
	const struct srv6_site_rt *sr;
	struct srv6_trace_steer t = { .path = 0xff };
	const struct nep_policy_conf *pc;
	const uint8_t *inner = c->frame + c->pi.l3_off;
	uint64_t up;
	uint32_t label;
	unsigned b, k;
	nep_verdict_t v;

	(void)m;
	if (nep_nh_kind(c->nh) != NEP_NH_FEATURE ||
		NEP_NH_FEATURE_OWNER(idx) != nep_srv6_feature.id || !ss->enabled)
		return NEP_V_NEXT;
	rt = &ss->routes[NEP_NH_FEATURE_ROUTE(idx)];
	pol = &ss->policies[rt->policy];
	sr = &ss->sites[pol->site];
	label = nep_srv6_flow_label(inner, c->pi.l3_len);
	b = label & (SRV6_BUCKETS - 1);
	up = __atomic_load_n(&ss->up_mask, __ATOMIC_ACQUIRE);
	/* A steering policy naming an uplink (multihoming's): strict keeps
	 * the flow on that uplink's paths, preferred tries them first. */
	pc = nep_mh_policy_of(c->s, c->frame, &c->pi);
	if (unlikely(pc != NULL && pc->has_sla)) {
		/* only paths meeting the SLA, when one is up */
		uint64_t ok = up & __atomic_load_n(&ss->sla_ok[pc->sla_slot],
					   __ATOMIC_ACQUIRE);

		if (ok != 0)
			up = ok;
	}
	k = nep_rdv_pick(sr->rank[b], sr->n_paths, sr->path, up,
		ss->path_uplink, pc != NULL && pc->mode != NEP_MODE_BALANCED ?
			pc->uplink : -1, pc != NULL && pc->mode == NEP_MODE_STRICT);
	if (unlikely(k == sr->n_paths)) {
		v = nep_icmp_error_verdict(c->meta, srv6_drop_no_path,
			NEP_ICMP_ERR_UNREACH, 0);
	} else {
		unsigned lk = sr->rank[b][k];
		unsigned gp = sr->path[lk];
		const struct srv6_path *p = &ss->paths[gp];

		c->meta->out_port = p->port;
		c->meta->neigh_pos = p->neigh_pos;
		c->meta->action = srv6_action_encap;
		c->meta->path = (uint8_t)(gp + 1);
		const struct nep_srv6_policy *ep = srv6_path_encap(pol, p, lk);

		c->path_ctx = ep;
		c->path_arg = label;
		c->overhead = ep->hdr_len;
		srv6_flow_seen(SRV6_W(c->w)->flows, __atomic_load_n(
			&SRV6_CTL(c->w->app)->flow_epoch, __ATOMIC_RELAXED), gp,
			label);
		t.path = (uint8_t)gp;
		v = NEP_VERDICT(NEP_V_FORWARD, 0);
		if (unlikely(p->neigh_pos < 0))
			v = NEP_VERDICT_DROP(NEP_DROP_NEIGH_FAILED);
	}
	if (unlikely(c->meta->flags & NEP_META_F_TRACE)) {
		t.route = (uint16_t)NEP_NH_FEATURE_ROUTE(idx);
		t.policy = rt->policy;
		t.bucket = (uint8_t)b;
		t.label = label;
		t.family = pol->family;
		t.n_up = (uint8_t)__builtin_popcountll(up);
		srv6_trace(c, NEP_STAGE_EGRESS, SRV6_TRACE_STEER, v, &t,
			sizeof(t));
	}
	return v;
}

/* ---- the path action ---- */

static nep_verdict_t
srv6_action(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct nep_srv6_policy *p = c->path_ctx;
	const struct srv6_snap *ss = SRV6_SNAP(c->s);
	struct srv6_stats *st = SRV6_W(c->w)->stats;
	unsigned gp = c->meta->path - 1u;
	uint32_t out_off, out_len, inner_len = c->pi.l3_len;
	struct srv6_trace_encap t = { 0 };
	enum nep_srv6_rc rc;
	uint8_t *f;

	if (ss->mss_clamp && c->pi.l4_proto == NEP_PROTO_TCP && c->pi.has_l4 &&
		!c->pi.frag) {
		uint32_t room = c->w->app->ports[c->meta->out_port].mtu -
			p->hdr_len;
		uint16_t mss = (uint16_t)(room - (c->pi.family == 6 ? 60 : 40));
		if (nep_tcp_clamp_mss(c->frame + c->pi.l4_off, c->pi.l3_off +
			    c->pi.l3_len - c->pi.l4_off, mss))
			st->mss_clamped++;
	}
	f = (uint8_t *)rte_pktmbuf_prepend(m, p->hdr_len);
	if (unlikely(f == NULL)) {
		rc = NEP_SRV6_ERR_HEADROOM;
		goto fail;
	}
	/* The label egress hashed for the path choice (the MSS clamp above
	 * changes no field it covers). */
	rc = nep_srv6_encap_label(p, f + NEP_ETH_HLEN, p->hdr_len, inner_len,
		c->path_arg, &out_off, &out_len);
	if (unlikely(rc != NEP_SRV6_OK)) {
		rte_pktmbuf_adj(m, p->hdr_len);
		goto fail;
	}
	f[12] = 0x86;
	f[13] = 0xdd;
	c->frame = f;
	c->pi.l3_len = (uint16_t)out_len;
	c->pi.family = 6;
	c->meta->family = 6;
	c->meta->flags |= NEP_META_F_AGED;
	st->encap_pkts++;
	st->path_pkts[gp]++;
	st->path_bytes[gp] += out_len;
	if (unlikely(c->meta->flags & NEP_META_F_TRACE)) {
		memcpy(t.da, f + NEP_ETH_HLEN + 24, 16);
		t.hdr_len = p->hdr_len;
		t.out_len = (uint16_t)out_len;
		t.n_sids = p->n_sids;
		t.reduced = p->reduced;
		t.path = (uint8_t)gp;
		srv6_trace(c, NEP_STAGE_OUTPUT, SRV6_TRACE_ENCAP, NEP_V_NEXT, &t,
			sizeof(t));
	}
	return NEP_V_NEXT;
fail:
	t.rc = (uint8_t)rc;
	srv6_trace(c, NEP_STAGE_OUTPUT, SRV6_TRACE_ENCAP,
		NEP_VERDICT_DROP(srv6_drop_rc[rc]), &t, sizeof(t));
	return rc_drop(rc);
}

void
srv6_register_datapath(void)
{
	static const struct nep_action encap = {
		.name = "srv6_encap",
		.overhead = 0,	/* per policy: pctx.overhead */
		.fn = srv6_action,
	};
	int a, d;

	for (unsigned rc = 1; rc < NEP_SRV6_RC_MAX; rc++) {
		d = nep_drop_register(nep_srv6_rc_name((enum nep_srv6_rc)rc),
			"srv6", rc == NEP_SRV6_ERR_HEADROOM ||
				rc == NEP_SRV6_ERR_INNER ||
				rc == NEP_SRV6_ERR_TOO_BIG ?
				NEP_STAGE_OUTPUT : NEP_STAGE_INGRESS);
		if (d < 0)
			goto full;
		srv6_drop_rc[rc] = (unsigned)d;
	}
	if ((d = nep_drop_register("srv6_unknown_sid", "srv6",
		     NEP_STAGE_INGRESS)) < 0)
		goto full;
	srv6_drop_unknown_sid = (unsigned)d;
	if ((d = nep_drop_register("srv6_no_path", "srv6", NEP_STAGE_EGRESS)) < 0)
		goto full;
	srv6_drop_no_path = (unsigned)d;
	if ((d = nep_drop_register("srv6_bad_next_segment", "srv6",
		     NEP_STAGE_INGRESS)) < 0)
		goto full;
	srv6_drop_bad_next_sid = (unsigned)d;
	if ((d = nep_drop_register("srv6_decap_wrong_family", "srv6",
		     NEP_STAGE_INGRESS)) < 0)
		goto full;
	srv6_drop_wrong_inner = (unsigned)d;
	a = nep_action_register(&encap);
	if (a < 0)
		goto full;
	srv6_action_encap = (uint8_t)a;
	return;
full:
	fprintf(stderr, "srv6: cannot register drop reasons / actions\n");
	abort();
}

/* ---- the fused fast path ---- */

/*
 * An overlay packet from the LAN: routed to an overlay, path up and
 * resolved, fits the path MTU, no MSS to clamp. Encapsulated and sent;
 * false hands it to the general path untouched.
 */
static inline bool
fast_encap(const struct nep_fast_ctx *x, const struct nep_snapshot *s,
	const struct srv6_snap *ss, struct srv6_stats *st,
	struct srv6_rcache_entry *rc, struct srv6_flowbits *fl, uint32_t epoch,
	struct rte_mbuf *m, uint8_t *f, uint32_t l3_len)
{
	uint8_t *ip6 = f + NEP_ETH_HLEN;
	uint64_t up, mac, d[2];
	uint32_t label, out_len;
	const struct srv6_policy *pol;
	const struct srv6_site_rt *sr;
	const struct nep_srv6_policy *ep;
	const struct srv6_path *p;
	struct srv6_rcache_entry *ce;
	unsigned b, k, gp;

	memcpy(d, ip6 + 24, 16);
	ce = &rc[rte_hash_crc_8byte(d[0] ^ d[1], 0) & (SRV6_RCACHE_SIZE - 1)];
	if (unlikely(ce->gen != s->generation || ce->dst[0] != d[0] ||
		    ce->dst[1] != d[1])) {
		uint64_t nh = nep_rib_lookup6(&s->rib, ip6 + 24);
		uint32_t idx = nep_nh_index(nh);

		ce->dst[0] = d[0];
		ce->dst[1] = d[1];
		ce->gen = s->generation;
		ce->route = nep_nh_kind(nh) == NEP_NH_FEATURE &&
			NEP_NH_FEATURE_OWNER(idx) == nep_srv6_feature.id ?
			(uint16_t)NEP_NH_FEATURE_ROUTE(idx) : SRV6_RCACHE_NONE;
	}
	if (ce->route == SRV6_RCACHE_NONE)
		return false;
	/* SYNs get their MSS clamped on the general path. */
	if (ip6[6] == NEP_PROTO_TCP && (ip6[NEP_IP6_HLEN + 13] & 0x02))
		return false;
	pol = &ss->policies[ss->routes[ce->route].policy];
	sr = &ss->sites[pol->site];
	label = nep_srv6_flow_label6_l4(ip6);
	b = label & (SRV6_BUCKETS - 1);
	up = __atomic_load_n(&ss->up_mask, __ATOMIC_ACQUIRE);
	for (k = 0; k < sr->n_paths; k++)
		if ((up >> sr->path[sr->rank[b][k]]) & 1)
			break;
	if (unlikely(k == sr->n_paths))
		return false;
	gp = sr->path[sr->rank[b][k]];
	p = &ss->paths[gp];
	ep = srv6_path_encap(pol, p, sr->rank[b][k]);
	if (unlikely(p->neigh_pos < 0))
		return false;
	mac = __atomic_load_n(&x->neigh_mac[p->neigh_pos], __ATOMIC_ACQUIRE);
	if (unlikely(!(mac & NEP_NEIGH_VALID) ||
		    l3_len + ep->hdr_len > x->ports[p->port].mtu ||
		    rte_pktmbuf_headroom(m) < ep->hdr_len))
		return false;
	/* Eligible: TCP/UDP right after the header, hop limit > 1. */
	f = (uint8_t *)rte_pktmbuf_prepend(m, ep->hdr_len);
	nep_srv6_encap6_fast(ep, f + ep->hdr_len + NEP_ETH_HLEN, l3_len, label);
	out_len = ep->hdr_len + l3_len;
	memcpy(f, &mac, 6);
	memcpy(f + 6, &x->ports[p->port].mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	st->encap_pkts++;
	st->path_pkts[gp]++;
	st->path_bytes[gp] += out_len;
	srv6_flow_seen(fl, epoch, gp, label);
	x->stats->port_tx[p->port]++;
	x->stats->forwarded++;
	nep_tx_buffer(x->stats, x->ports[p->port].id, x->txq,
		x->txb[p->port], m);
	return true;
}

/*
 * A packet for a local End.DT6 / End.DT46 SID (outer IPv6, optional SRH
 * with segments left 0, inner IPv6): decapsulated and routed through the
 * destination cache. false: untouched, for the general path.
 */
static inline bool
fast_decap6(const struct nep_fast_ctx *x, const struct srv6_snap *ss,
	struct srv6_stats *st, struct rte_mbuf *m, uint8_t *f, uint32_t len)
{
	uint8_t *ip6 = f + NEP_ETH_HLEN;
	uint32_t l3_len, inner_off, ilen;
	const struct srv6_sid *sid;
	uint8_t *in;
	unsigned out;
	uint64_t mac;
	int idx;

	if (len < NEP_ETH_HLEN + 2 * NEP_IP6_HLEN || f[12] != 0x86 ||
		f[13] != 0xdd || (ip6[0] >> 4) != 6)
		return false;
	l3_len = NEP_IP6_HLEN + (uint32_t)(ip6[4] << 8 | ip6[5]);
	if (l3_len + NEP_ETH_HLEN != len)
		return false;
	idx = srv6_sid_lookup(ss, ip6 + 24);
	if (idx < 0)
		return false;
	sid = &ss->sid[idx];
	if (sid->table != 0 || (sid->behavior != SRV6_END_DT6 &&
				       sid->behavior != SRV6_END_DT46))
		return false;
	inner_off = nep_srv6_decap6_fast(ip6, l3_len);
	if (inner_off == 0)
		return false;
	in = ip6 + inner_off;
	ilen = l3_len - inner_off;
	/* SYNs: their MSS is clamped on the general path. */
	if (in[6] == NEP_PROTO_TCP && ilen >= NEP_IP6_HLEN + 20 &&
		(in[NEP_IP6_HLEN + 13] & 0x02))
		return false;
	if (ilen < NEP_IP6_HLEN || (in[0] >> 4) != 6 || in[8] == 0xff ||
		(in[4] | in[5]) == 0 ||
		NEP_IP6_HLEN + (uint32_t)(in[4] << 8 | in[5]) != ilen ||
		in[7] <= 1 || nep_ip6_is_multicast(in + 24) ||
		nep_ip6_is_linklocal(in + 24))
		return false;
	if (!nep_fast_route6_dst(x, in + 24, ilen, &out, &mac))
		return false;
	st->sid_pkts[idx]++;
	st->sid_bytes[idx] += l3_len;
	st->decap_pkts++;
	f = (uint8_t *)rte_pktmbuf_adj(m, (uint16_t)inner_off);
	f[12] = 0x86;
	f[13] = 0xdd;
	nep_fast_xmit(x, m, f, out, mac);
	return true;
}

static void
srv6_fast_burst(struct nep_worker *w, const struct nep_rx_burst *b,
	struct rte_mbuf **pkts, uint16_t n)
{
	const struct nep_port *pt = &w->app->ports[b->port];
	const struct srv6_snap *ss = SRV6_SNAP(b->s);
	struct srv6_stats *st = SRV6_W(w)->stats;
	struct srv6_rcache_entry *rc = SRV6_W(w)->rcache;
	struct srv6_flowbits *fl = SRV6_W(w)->flows;
	const uint32_t epoch = __atomic_load_n(&SRV6_CTL(w->app)->flow_epoch,
		__ATOMIC_RELAXED);
	const bool lan = pt->role == NEP_PORT_LAN;
	struct nep_fast_ctx x;
	uint64_t port_mac = 0;
	unsigned j;

	nep_fast_ctx_init(&x, w, b);
	memcpy(&port_mac, &pt->mac, 6);
	for (j = 0; j < n && j < 4; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
	for (j = 0; j < n; j++) {
		struct rte_mbuf *m = pkts[j];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t len = nep_fast_len(m), l3_len;

		if (j + 4 < n) {
			uint8_t *nf = rte_pktmbuf_mtod(pkts[j + 4], uint8_t *);
			rte_prefetch0(nf);
			/* the headroom H.Encaps writes into */
			if (lan)
				rte_prefetch0(nf - RTE_CACHE_LINE_SIZE);
		}
		if (!lan) {
			uint64_t dmac = 0;
			memcpy(&dmac, f, 6);
			if (dmac == port_mac &&
				fast_decap6(&x, ss, st, m, f, len))
				continue;
		}
		l3_len = nep_fast_eligible6(f, len, port_mac);
		if (l3_len != 0) {
			if (lan && fast_encap(&x, b->s, ss, st, rc, fl, epoch,
					   m, f, l3_len))
				continue;
			if (nep_fast_route6(&x, m, f, l3_len))
				continue;
		}
		nep_general_path(w, b, m);
	}
}

/* Ports srv6 takes: all, when multihoming does not steer (its fused
 * path then owns them and overlay packets take the general path). */
nep_fast_fn
srv6_fast_for_port(const struct nep_app *app, const struct nep_snapshot *s,
	unsigned port)
{
	const struct srv6_snap *ss = SRV6_SNAP(s);

	(void)port;
	if (!ss->enabled || mh_conf(s->cfg)->has_steering)
		return NULL;
	/* A path on a VLAN sub-interface needs the tag the general path's
	 * output writes (the fused encapsulation does not): then overlay
	 * packets all take the general path. */
	for (unsigned i = 0; i < ss->n_paths; i++)
		if (app->ports[ss->paths[i].port].vlan != 0)
			return NULL;
	return srv6_fast_burst;
}
