/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multihoming in the worker pipeline:
 *   ingress  DNPT of packets arriving on an uplink's port for its
 *            delegated prefix (RFC 6296, stateless);
 *   egress   steering of LAN flows from an inside prefix: flow lookup,
 *            policy, uplink choice; the path is (uplink, NPTv6);
 *   action   SNPT of the source, run by the output stage after its MTU
 *            check (so a Packet Too Big quotes what the host sent);
 * and the fused fast path that does the same for established flows and
 * plain routed packets, a burst at a time.
 */
#include <rte_prefetch.h>

#include "mh.h"
#include "nep_dcache.h"
#include "nep_worker.h"
#include "mh_export.h"
#include "mh_path.h"

/* Trace record kinds. */
enum mh_trace_kind {
	MH_TRACE_DNPT,
	MH_TRACE_STEER,
	MH_TRACE_SNPT,
};

struct mh_trace_npt {
	uint8_t slot;
	uint8_t before[16], after[16];
};

struct mh_trace_steer {
	uint8_t how;		/* enum steer_how, 0xff: not steered */
	uint8_t slot;
	uint16_t policy;	/* index + 1, 0 none */
};

static inline void
mh_trace(struct nep_pctx *c, enum mh_trace_kind kind, nep_verdict_t v,
	const void *d, unsigned len)
{
	if (unlikely(c->meta->flags & NEP_META_F_TRACE))
		nep_trace_add(c->w->trace, kind == MH_TRACE_DNPT ?
			NEP_STAGE_INGRESS : kind == MH_TRACE_STEER ?
			NEP_STAGE_EGRESS : NEP_STAGE_OUTPUT,
			(uint8_t)nep_mh_feature.id, (uint8_t)kind, v, d, len);
}

/* ILNP's hooks (features/ilnp), when registered. */
static const struct nep_mh_ilnp_ops *mh_ilnp;

/*
 * The translation decided at ingress, written into the packet by the
 * output stage after its MTU check (so a Packet Too Big or a Time
 * Exceeded sent back to the Internet quotes what was received, not the
 * inside address). An ICMPv6 error arriving for an inside host has the
 * packet it quotes translated too.
 */
static nep_verdict_t
mh_ingress_rewrite(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct nep_steer_state *st = c->rewrite_ctx;
	unsigned u = c->rewrite_arg;
	struct rte_ipv6_hdr *ip6 =
		(struct rte_ipv6_hdr *)(c->frame + c->pi.l3_off);
	struct mh_stats *stats = MH_W(c->w)->stats;
	uint8_t *f = c->frame;

	(void)m;
	memcpy(ip6->dst_addr, c->dst, 16);
	if (unlikely(c->pi.l4_proto == NEP_PROTO_ICMPV6 && c->pi.has_l4 &&
		    f[c->pi.l4_off] < 128) &&
		nep_nptv6_icmp6_inner(&st->up[u].npt, f + c->pi.l4_off,
			c->pi.l3_off + c->pi.l3_len - c->pi.l4_off,
			NEP_NPTV6_INGRESS) < 0)
		return NEP_VERDICT_DROP(mh_drop_unmappable);
	stats->up_rx_pkts[u]++;
	stats->up_rx_bytes[u] += c->pi.l3_len;
	return NEP_V_NEXT;
}

nep_verdict_t
mh_ingress(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct nep_app *app = c->w->app;
	const struct nep_steer_state *st;
	struct rte_ipv6_hdr *ip6;
	struct mh_trace_npt t;
	nep_verdict_t v;
	int u;

	(void)m;
	/* Uplinks and their prefixes belong to the main table: packets of
	 * another VRF are none of multihoming's business. */
	if (!mh_conf(c->s->cfg)->has_steering || c->pi.family != 6 ||
		c->meta->table != 0 ||
		app->ports[c->meta->in_port].role != NEP_PORT_WAN)
		return NEP_V_NEXT;
	ip6 = (struct rte_ipv6_hdr *)(c->frame + c->pi.l3_off);
	st = steer_state(app);
	u = mh_dnpt_addr(st, c->meta->in_port, ip6->dst_addr, c->dst4);
	if (u == -1)
		return NEP_V_NEXT;
	if (u == -2) {
		/* RFC 6296 5: Parameter Problem, pointer 24. */
		v = nep_icmp_error_verdict(c->meta, mh_drop_unmappable,
			NEP_ICMP_ERR_PARAM_PROB, 24);
	} else if (mh_ilnp != NULL && mh_ilnp->dnpt(c, (unsigned)u,
			   &st->up[u].npt)) {
		/* an ILNP packet: its locator alone, the feature's way */
		v = NEP_V_NEXT;
	} else {
		/* Lookup and egress see the inside destination; the packet
		 * is rewritten by the output stage. */
		c->dst = c->dst4;
		c->rewrite = mh_ingress_rewrite;
		c->rewrite_ctx = st;
		c->rewrite_arg = (uint32_t)u;
		v = NEP_V_NEXT;
	}
	if (unlikely(c->meta->flags & NEP_META_F_TRACE)) {
		t.slot = (uint8_t)(u >= 0 ? u : 0xff);
		memcpy(t.before, ip6->dst_addr, 16);
		memcpy(t.after, u >= 0 ? c->dst4 : ip6->dst_addr, 16);
		mh_trace(c, MH_TRACE_DNPT, v, &t, sizeof(t));
	}
	return v;
}

nep_verdict_t
mh_egress(struct nep_pctx *c, struct rte_mbuf *m)
{
	struct nep_worker *w = c->w;
	const struct nep_app *app = w->app;
	const struct mh_snap *ms = MH_SNAP(c->s);
	const struct nep_steer_state *st;
	struct mh_trace_steer t = { .how = 0xff, .slot = 0xff };
	enum steer_how how = STEER_HIT;
	nep_verdict_t v;
	uint32_t pol = 0;
	int reason = 0, u, rp;
	int32_t pos = -1;
	bool inside;

	(void)m;
	if (!mh_conf(c->s->cfg)->has_steering || c->meta->table != 0 ||
		app->ports[c->meta->in_port].role != NEP_PORT_LAN ||
		nep_nh_kind(c->nh) == NEP_NH_FEATURE)	/* an overlay's */
		return NEP_V_NEXT;
	if (c->pi.family == 6)
		inside = steer_src_inside(ms, ((struct rte_ipv6_hdr *)(c->frame +
			c->pi.l3_off))->src_addr);
	else
		inside = steer_src_inside4(ms, ((struct rte_ipv4_hdr *)(c->frame +
			c->pi.l3_off))->src_addr);
	if (!inside)
		return NEP_V_NEXT;
	/* Internal traffic (towards a LAN port) starts no flow and is routed
	 * plainly; an established flow keeps its uplink (as on the fast
	 * path, which does not route a flow hit). */
	rp = nep_route_port(app, c->s, c->nh);
	st = steer_state(app);
	u = steer_flow(MH_W(w), ms, st, c->frame, &c->pi, c->now, &reason,
		&how, &pol, !(rp >= 0 && app->ports[rp].role == NEP_PORT_LAN),
		&pos);
	if (u == NEP_STEER_ROUTE) {
		v = NEP_V_NEXT;
	} else if (u == NEP_STEER_DONE) {
		/* Strict uplink down or no uplink at all: unreachable. */
		v = nep_icmp_error_verdict(c->meta, (unsigned)reason,
			NEP_ICMP_ERR_UNREACH, 0);
	} else {
		const struct nep_uplink_fwd *uf;

		c->path_arg = (uint32_t)pos;	/* the flow entry: ILNP's
						 * and the translator's */
		if (c->pi.family == 6 && mh_ilnp != NULL)
			u = (int)mh_ilnp->pick(c, (unsigned)u, pol);
		uf = &st->up[u];
		c->meta->out_port = uf->port;
		c->meta->path = (uint8_t)(u + 1);
		c->meta->neigh_pos = c->pi.family == 6 ? uf->nh6_pos :
							 uf->nh4_pos;
		/* No neighbour entry for the uplink's next hop (the table was
		 * full when it was pinned): it cannot leave by its uplink. */
		c->meta->action = mh_action_nptv6;
		c->path_ctx = st;
		c->path_arg = (uint32_t)pos;	/* the flow entry, for the
						 * translator's cookie */
		v = NEP_VERDICT(NEP_V_FORWARD, 0);
		if (unlikely(c->meta->neigh_pos < 0))
			v = NEP_VERDICT_DROP(NEP_DROP_NEIGH_FAILED);
	}
	if (unlikely(c->meta->flags & NEP_META_F_TRACE)) {
		t.how = (uint8_t)how;
		t.slot = (uint8_t)(u >= 0 ? u : 0xff);
		t.policy = (uint16_t)pol;
		mh_trace(c, MH_TRACE_STEER, v, &t, sizeof(t));
	}
	return v;
}

const struct nep_policy_conf *
nep_mh_policy_of(const struct nep_snapshot *s, const uint8_t *frame,
	const struct nep_pkt_info *pi)
{
	const struct mh_config *mc = mh_conf(s->cfg);
	struct nep_flow_key key;
	uint32_t pol;

	if (!mc->has_steering || mc->steering.n_policies == 0 || !pi->has_l4)
		return NULL;
	nep_flow_key_from_pkt(frame, pi, &key);
	pol = steer_classify(MH_SNAP(s), &key, frame + pi->l3_off);
	if (pol == NEP_POLICY_NONE || pol == NEP_POLICY_EXCLUDED ||
		pol > mc->steering.n_policies)
		return NULL;
	return &mc->steering.policies[pol - 1];
}

void
nep_mh_pin_reply(struct nep_pctx *c, unsigned uplink, uint16_t inside_port,
	uint32_t cookie)
{
	struct nep_flow_table *t = MH_W(c->w)->flows;
	struct nep_flow_key k, r;
	struct nep_flow_entry *e;
	uint32_t sig;
	int32_t pos;

	if (!mh_conf(c->s->cfg)->has_steering || !c->pi.has_l4)
		return;
	(void)nep_flow_key_from_pkt(c->frame, &c->pi, &k);
	/* reversed; the inside end is the destination the lookup uses (the
	 * translated one) */
	r = k;
	memset(r.src, 0, 16);
	memcpy(r.src, c->dst, c->pi.family == 6 ? 16 : 4);
	memcpy(r.dst, k.src, 16);
	r.sport = rte_cpu_to_be_16(inside_port);
	r.dport = k.sport;
	sig = nep_flow_hash(&r);
	pos = rte_hash_lookup_with_hash(t->h, &r, sig);
	if (pos >= 0 && t->e[pos].last_tsc != 0)
		return;
	pos = rte_hash_add_key_with_hash(t->h, &r, sig);
	if (pos < 0)
		return;
	e = &t->e[pos];
	e->key = r;
	e->created_tsc = rte_rdtsc();
	e->last_tsc = c->now;
	e->packets = 0;
	e->bytes = 0;
	e->policy = NEP_POLICY_NONE;
	e->uplink = (uint8_t)uplink;
	e->flags = 0;
	e->xlat = cookie;
	MH_W(c->w)->stats->flows_new++;
	t->inserts++;
	t->by_uplink[(uint8_t)uplink]++;
}

void
nep_mh_register_ilnp(const struct nep_mh_ilnp_ops *ops)
{
	mh_ilnp = ops;
}

const struct nep_nptv6 *
nep_mh_uplink_npt(const struct nep_app *app, unsigned uplink)
{
	const struct nep_steer_state *st = steer_state(app);

	return uplink < st->n_slots ? &st->up[uplink].npt : NULL;
}

int
nep_mh_uplink_out6(const struct nep_app *app, unsigned uplink,
	unsigned *port, int32_t *neigh_pos)
{
	const struct nep_steer_state *st = steer_state(app);

	if (uplink >= st->n_slots || st->up[uplink].nh6_pos < 0)
		return -1;
	*port = st->up[uplink].port;
	*neigh_pos = st->up[uplink].nh6_pos;
	return 0;
}

unsigned
nep_mh_live_uplinks6(const struct nep_app *app, const struct nep_snapshot *s,
	uint32_t policy, uint8_t *ids, uint32_t *weights,
	const struct nep_nptv6 **npts)
{
	const struct nep_steer_state *st = steer_state(app);
	const struct mh_snap *ms = MH_SNAP(s);
	unsigned n = 0;

	if (policy != NEP_POLICY_NONE && policy <= ms->n_policies) {
		const struct nep_policy_rt *p = &ms->policy[policy - 1];

		if (p->mode == NEP_MODE_STRICT ||
			(p->mode == NEP_MODE_PREFERRED &&
				((st->usable6 >> p->uplink) & 1))) {
			if (!((st->usable6 >> p->uplink) & 1))
				return 0;
			ids[0] = (uint8_t)p->uplink;
			weights[0] = 1;
			npts[0] = &st->up[p->uplink].npt;
			return 1;
		}
	}
	for (unsigned i = 0; i < st->pool6.n; i++) {
		unsigned j = n;

		/* insertion by weight, highest first (ties: pool order) */
		while (j > 0 && weights[j - 1] < st->pool6.weight[i]) {
			ids[j] = ids[j - 1];
			weights[j] = weights[j - 1];
			npts[j] = npts[j - 1];
			j--;
		}
		ids[j] = st->pool6.id[i];
		weights[j] = st->pool6.weight[i];
		npts[j] = &st->up[st->pool6.id[i]].npt;
		n++;
	}
	return n;
}

nep_mh_xlat4_fn nep_mh_xlat4;
nep_mh_fast_xlat4_fn nep_mh_fast_xlat4;

void
nep_mh_register_xlat4(nep_mh_xlat4_fn fn, nep_mh_fast_xlat4_fn fast)
{
	nep_mh_xlat4 = fn;
	nep_mh_fast_xlat4 = fast;
}

/* The path's action: SNPT for IPv6; IPv4 through the registered
 * translator (NAT44), else untranslated. */
nep_verdict_t
mh_action_snpt(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct nep_steer_state *st = c->path_ctx;
	unsigned u = c->meta->path - 1u;
	const struct nep_uplink_fwd *uf = &st->up[u];
	struct mh_stats *stats = MH_W(c->w)->stats;
	uint8_t *f = c->frame;
	struct mh_trace_npt t;

	(void)m;
	if (c->pi.family == 6) {
		struct rte_ipv6_hdr *ip6 =
			(struct rte_ipv6_hdr *)(f + c->pi.l3_off);
		nep_verdict_t v = NEP_V_NEXT;

		if (unlikely(c->meta->flags & NEP_META_F_TRACE))
			memcpy(t.before, ip6->src_addr, 16);
		if (mh_ilnp != NULL && mh_ilnp->snpt(c, m, u, &uf->npt, &v)) {
			/* ILNP: the locator alone (the feature traces it) */
			if (v != NEP_V_NEXT)
				return v;
			stats->up_tx_pkts[u]++;
			stats->up_tx_bytes[u] += c->pi.l3_len;
			return NEP_V_NEXT;
		}
		if (unlikely(nep_nptv6_snpt(&uf->npt, ip6->src_addr) < 0))
			/* RFC 6296 5: Parameter Problem, pointer 8. */
			v = nep_icmp_error_verdict(c->meta, mh_drop_unmappable,
				NEP_ICMP_ERR_PARAM_PROB, 8);
		/* An error from a LAN host quotes an inside address too. */
		else if (unlikely(c->pi.l4_proto == NEP_PROTO_ICMPV6 &&
				 c->pi.has_l4 && f[c->pi.l4_off] < 128) &&
			nep_nptv6_icmp6_inner(&uf->npt, f + c->pi.l4_off,
				c->pi.l3_off + c->pi.l3_len - c->pi.l4_off,
				NEP_NPTV6_EGRESS) < 0)
			v = NEP_VERDICT_DROP(mh_drop_unmappable);
		if (unlikely(c->meta->flags & NEP_META_F_TRACE)) {
			t.slot = (uint8_t)u;
			memcpy(t.after, ip6->src_addr, 16);
			mh_trace(c, MH_TRACE_SNPT, v, &t, sizeof(t));
		}
		if (v != NEP_V_NEXT)
			return v;
	} else if (nep_mh_xlat4 != NULL) {
		/* IPv4: the translator another feature registered (NAT44). */
		struct nep_flow_table *t = MH_W(c->w)->flows;
		struct nep_flow_entry *e = (int32_t)c->path_arg >= 0 &&
				t != NULL ? &t->e[c->path_arg] : NULL;
		uint32_t cookie = e != NULL ? e->xlat : NEP_FLOW_XLAT_NONE;
		nep_verdict_t v = nep_mh_xlat4(c, m, u, &cookie);

		if (v != NEP_V_NEXT)
			return v;
		/* What the translator hands itself for the flow's next
		 * packets, on the fast path too (a stateless flow has no
		 * entry). */
		if (e != NULL)
			e->xlat = cookie;
	}
	stats->up_tx_pkts[u]++;
	stats->up_tx_bytes[u] += c->pi.l3_len;
	return NEP_V_NEXT;
}

/* ---- the fused fast path ---- */


/* Flows the exact-match cache missed: one rte_hash bulk lookup. */
static inline void
fast_steer_misses(struct nep_worker *w, const struct nep_rx_burst *b,
	const struct mh_fast *x, struct rte_mbuf **pkts, struct mh_fast_batch *fb)
{
	const void *kp[NEP_BURST_MAX];
	int32_t pos[NEP_BURST_MAX];
	unsigned k;

	for (k = 0; k < fb->n; k++)
		kp[k] = &fb->keys[k];
	x->stats->flow_cache_misses += fb->n;
	rte_hash_lookup_with_hash_bulk(x->t->h, kp, fb->sig, fb->n, pos);
	for (k = 0; k < fb->n; k++) {
		struct rte_mbuf *m = pkts[fb->idx[k]];

		if (pos[k] >= 0) {
			uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

			nep_flow_emc_insert(x->t, fb->sig[k], pos[k]);
			if (fb->keys[k].family == 6 ?
				    fast_steer_hit(x, m, f, fb->l3_len[k],
					    pos[k]) :
				    fast_steer_hit4(x, m, f, fb->l3_len[k],
					    pos[k]))
				continue;
		}
		/* New, moved, flushed or routed flows, and the rest. */
		nep_general_path(w, b, m);
	}
	fb->n = 0;
}

/* A packet whose flow the exact-match cache missed: into the batch
 * looked up in rte_hash after the burst (fast_steer_misses). */
static inline void
fast_miss_add(struct mh_fast_batch *fb, const struct nep_flow_kv *kv,
	unsigned j, uint32_t l3_len, uint32_t sig)
{
	unsigned k = fb->n;

	nep_flow_kv_store(kv, &fb->keys[k]);
	fb->idx[k] = (uint16_t)j;
	fb->l3_len[k] = (uint16_t)l3_len;
	fb->sig[k] = sig;
	fb->n = k + 1;
}

/*
 * The fused path of the multihoming stages for one burst. Each packet
 * that is plain IPv6 TCP/UDP, addressed to this port, not expiring and
 * for a unicast global destination is handled here:
 *  - from the LAN with an inside source: its flow key is hashed and looked
 *    up in the exact-match cache; a hit on a usable uplink is translated
 *    and sent without FIB or classifier; cache misses are looked up
 *    together in rte_hash after the burst (the packets of one flow keep
 *    their order: they all hit or all miss). IPv4 TCP/UDP from an inside
 *    host with a 20-byte header takes the same way, translated by NAT44's
 *    fast half (nep_mh_fast_xlat4) with the cookie its flow entry keeps;
 *  - from an uplink's port to its delegated prefix: translated back (DNPT)
 *    and, like any other routed packet, sent through the destination
 *    cache.
 * Everything else, and every case that needs a decision (new or moved
 * flow, unresolved neighbour, MTU), takes the general path, which
 * re-checks from the start.
 */
static void
mh_fast_burst(struct nep_worker *w, const struct nep_rx_burst *b,
	struct rte_mbuf **pkts, uint16_t n)
{
	struct nep_app *app = w->app;
	const struct nep_port *p = &app->ports[b->port];
	const struct mh_snap *ms = MH_SNAP(b->s);
	struct mh_worker *mw = MH_W(w);
	struct mh_fast_batch *fb = &mw->fb;
	const struct nep_steer_state *st = steer_state(app);
	const bool lan = p->role == NEP_PORT_LAN;
	const bool lan_steer = lan && mw->flows != NULL;
	const bool lan_steer4 = lan_steer && ms->n_inside4 != 0;
	const uint32_t dnpt_slots = st->port_slots[b->port];
	uint64_t port_mac = 0, hits = 0;
	struct mh_fast x;
	unsigned j;

	nep_fast_ctx_init(&x.x, w, b);
	x.stats = mw->stats;
	x.t = mw->flows;
	x.fe = mw->flows != NULL ? mw->flows->e : NULL;
	x.st = st;
	x.usable6 = st->usable6 & st->fast6;
	x.usable4 = st->usable4 & st->fast4;
	if (unlikely(st->sla_moving)) {
		x.usable6 &= st->sla_fast_ok;
		x.usable4 &= st->sla_fast_ok;
	}
	x.no_flush6 = x.usable6 & ~st->flush_mask;
	x.flush_tsc = st->flush_tsc;
	x.no_flush4 = x.usable4 & ~st->flush_mask;
	x.xlat4 = nep_mh_fast_xlat4;
	x.s = b->s;
	x.w = w;
	memcpy(&port_mac, &p->mac, 6);
	for (j = 0; j < n && j < 4; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
	for (j = 0; j < n; j++) {
		struct rte_mbuf *m = pkts[j];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		uint8_t *ip6 = f + NEP_ETH_HLEN;
		uint32_t l3_len;

		if (j + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[j + 4], void *));
		l3_len = nep_fast_eligible6(f, nep_fast_len(m),
			port_mac);
		if (l3_len == 0) {
			/* IPv4 from an inside host: its flow's hit, like
			 * IPv6's below (anything else IPv4 takes the stages:
			 * routing, new flows, inbound NAT44). */
			uint8_t *ip4 = f + NEP_ETH_HLEN;
			struct nep_flow_kv kv;
			uint32_t sig, src;
			int32_t pos;

			if (!lan_steer4)
				goto slow;
			l3_len = nep_fast_eligible4(f, nep_fast_len(m),
				port_mac);
			memcpy(&src, ip4 + 12, 4);
			if (l3_len == 0 || !steer_src_inside4(ms, src))
				goto slow;
			sig = nep_flow_kv_ip4_l4(ip4, &kv);
			pos = nep_flow_emc_lookup_kv(x.t, &kv, sig);
			if (likely(pos >= 0)) {
				hits++;
				if (likely(fast_steer_hit4(&x, m, f, l3_len,
					    pos)))
					continue;
				goto slow;
			}
			fast_miss_add(fb, &kv, j, l3_len, sig);
			continue;
		}
		if (lan_steer && steer_src_inside(ms, ip6 + 8)) {
			struct nep_flow_kv kv;
			uint32_t sig = nep_flow_kv_ip6_l4(ip6, &kv);
			int32_t pos = nep_flow_emc_lookup_kv(x.t, &kv, sig);

			if (likely(pos >= 0)) {
				hits++;
				if (likely(fast_steer_hit(&x, m, f, l3_len,
					    pos)))
					continue;
				goto slow;
			}
			fast_miss_add(fb, &kv, j, l3_len, sig);
			continue;
		}
		if (dnpt_slots != 0) {
			/* For an uplink's delegated prefix? Translated in
			 * place; if the packet cannot leave here after all,
			 * the received address is put back, so the general
			 * path always gets what was received. */
			uint64_t o0, o1;
			int r;

			memcpy(&o0, ip6 + 24, 8);
			memcpy(&o1, ip6 + 32, 8);
			r = mh_dnpt_addr(st, b->port, ip6 + 24, ip6 + 24);
			if (r >= 0) {
				if (likely(nep_fast_route6(&x.x, m, f, l3_len))) {
					x.stats->up_rx_pkts[r]++;
					x.stats->up_rx_bytes[r] += l3_len;
					continue;
				}
				memcpy(ip6 + 24, &o0, 8);
				memcpy(ip6 + 32, &o1, 8);
				goto slow;
			}
			if (unlikely(r < -1))
				goto slow;	/* unmappable: it answers */
		} else if (lan) {
			/* LAN traffic from outside the inside prefixes:
			 * plain routing, decided by the general path. */
			goto slow;
		}
		if (likely(nep_fast_route6(&x.x, m, f, l3_len)))
			continue;
slow:
		/* Earlier packets of its flow may wait in the miss batch:
		 * they go first, so a flow keeps its order. */
		if (fb->n != 0)
			fast_steer_misses(w, b, &x, pkts, fb);
		nep_general_path(w, b, m);
	}
	x.stats->flow_cache_hits += hits;
	if (fb->n != 0)
		fast_steer_misses(w, b, &x, pkts, fb);
}

nep_fast_fn
mh_fast_for_port(const struct nep_app *app, const struct nep_snapshot *s,
	unsigned port)
{
	(void)app;
	(void)port;
	return mh_conf(s->cfg)->has_steering ? mh_fast_burst : NULL;
}

void
mh_worker_poll(struct nep_worker *w, uint64_t now_tsc)
{
	struct mh_worker *mw = MH_W(w);

	if (mw->flows != NULL && unlikely(!rte_ring_empty(mw->flows->expire)))
		nep_flow_reap(mw->flows, now_tsc, &MH(w->app)->age);
}

/* ---- trace ---- */

void
mh_trace_format(const struct nep_app *app, const struct nep_trace_rec *r,
	struct nep_buf *out)
{
	static const char *const hows[] = { "flow hit", "new flow",
		"flow moved", "table full (stateless)", "no uplink" };
	const struct mh_state *mh = MH(app);
	struct nep_addr a = { .family = AF_INET6 }, b = { .family = AF_INET6 };
	char as[64], bs[64];

	switch (r->kind) {
	case MH_TRACE_DNPT:
	case MH_TRACE_SNPT: {
		struct mh_trace_npt t;
		memcpy(&t, r->data, sizeof(t));
		memcpy(a.a, t.before, 16);
		memcpy(b.a, t.after, 16);
		nep_addr_str(&a, as, sizeof(as));
		nep_addr_str(&b, bs, sizeof(bs));
		nep_buf_printf(out, "%s uplink %s %s %s -> %s",
			r->kind == MH_TRACE_DNPT ? "dnpt" : "snpt",
			t.slot < NEP_MAX_UPLINKS ? mh->uplinks[t.slot].name : "-",
			r->kind == MH_TRACE_DNPT ? "dst" : "src", as, bs);
		break;
	}
	case MH_TRACE_STEER: {
		struct mh_trace_steer t;
		memcpy(&t, r->data, sizeof(t));
		const struct nep_steering_conf *st =
			&mh_conf(app->cfg)->steering;
		const char *pol = t.policy == 0 ? "(none)" :
			t.policy <= st->n_policies ?
			st->policies[t.policy - 1].name : "?";
		nep_buf_printf(out, "%s, policy %s, uplink %s",
			t.how < 5 ? hows[t.how] : "?", pol,
			t.slot < NEP_MAX_UPLINKS ? mh->uplinks[t.slot].name :
						   "(routed)");
		break;
	}
	default:
		break;
	}
}

/* The ids the data path counts and dispatches under: its drop reasons and
 * the nptv6 path action (also used by the stage benchmark). */
void
mh_register_datapath(void)
{
	static const struct nep_action nptv6 = {
		.name = "nptv6",
		.overhead = 0,
		.fn = mh_action_snpt,
	};

	mh_drop_unmappable = (unsigned)nep_drop_register("nptv6_unmappable",
		"multihoming", NEP_STAGE_OUTPUT);
	mh_drop_strict_down = (unsigned)nep_drop_register("strict_uplink_down",
		"multihoming", NEP_STAGE_EGRESS);
	mh_drop_no_uplink = (unsigned)nep_drop_register("no_uplink_available",
		"multihoming", NEP_STAGE_EGRESS);
	mh_action_nptv6 = (uint8_t)nep_action_register(&nptv6);
}
