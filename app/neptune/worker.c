/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcore: run to completion over bursts. Each packet goes through
 * the stages of nep_pipeline.h, or through the fused fast path of the
 * feature that claims its port (or the core's routing one), which hands
 * every packet it cannot finish to the general path below. Never blocks,
 * allocates, locks or calls the kernel (adaptive idle may sleep while
 * there are no packets at all).
 */
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "neptune.h"
#include "nep_pkt.h"
#include "nep_worker.h"

static void
tx_drop_cb(struct rte_mbuf **pkts, uint16_t unsent, void *userdata)
{
	struct nep_lcore_stats *st = userdata;

	/* They were counted forwarded when buffered: the outcome moves. */
	st->drops[NEP_DROP_TX_FULL] += unsent;
	st->forwarded -= unsent;
	rte_pktmbuf_free_bulk(pkts, unsent);
}

/* ---- trace records of the core stages ---- */


static inline void
trace_core(struct nep_pctx *c, enum nep_stage stage, nep_verdict_t v,
	const void *data, unsigned len)
{
	if (unlikely(c->meta->flags & NEP_META_F_TRACE))
		nep_trace_add(c->w->trace, stage, NEP_TRACE_CORE, 0, v, data,
			len);
}

static void
trace_input(struct nep_pctx *c, struct rte_mbuf *m, nep_verdict_t v)
{
	struct nep_trace_input t = { 0 };

	t.port = c->meta->in_port;
	t.family = c->pi.family;
	t.len = (uint16_t)rte_pktmbuf_data_len(m);
	if (c->pi.family == 6) {
		const struct rte_ipv6_hdr *ip6 = (const void *)(c->frame +
			c->pi.l3_off);
		memcpy(t.src, ip6->src_addr, 16);
		memcpy(t.dst, ip6->dst_addr, 16);
		t.hop_limit = ip6->hop_limits;
	} else if (c->pi.family == 4) {
		const struct rte_ipv4_hdr *ip = (const void *)(c->frame +
			c->pi.l3_off);
		memcpy(t.src, &ip->src_addr, 4);
		memcpy(t.dst, &ip->dst_addr, 4);
		t.hop_limit = ip->time_to_live;
	}
	if (c->pi.family != 0) {
		t.proto = c->pi.l4_proto;
		if (c->pi.has_l4 && (t.proto == NEP_PROTO_TCP ||
			    t.proto == NEP_PROTO_UDP)) {
			const uint8_t *l4 = c->frame + c->pi.l4_off;
			t.sport = (uint16_t)(l4[0] << 8 | l4[1]);
			t.dport = (uint16_t)(l4[2] << 8 | l4[3]);
		}
	}
	nep_trace_add(c->w->trace, NEP_STAGE_INPUT, NEP_TRACE_CORE, 0, v, &t,
		sizeof(t));
}

/* ---- the stages ---- */

static inline bool
ip4_is_broadcast_or_mcast(uint32_t dst_be)
{
	const uint8_t *b = (const uint8_t *)&dst_be;
	return dst_be == 0xffffffff || (b[0] & 0xf0) == 0xe0;
}

/*
 * A tagged frame received on physical port `port`: it belongs to the
 * sub-interface of its VLAN (VLAN 0, a priority tag: to the port itself),
 * and loses its tag here, so that everything after sees an untagged frame
 * on that interface. Its rx is counted there instead of on the port.
 */
static nep_verdict_t
input_vlan(struct nep_pctx *c, struct rte_mbuf *m, unsigned port)
{
	const struct nep_app *app = c->w->app;
	unsigned sub = port;

	if (c->pi.vlan != 0) {
		/* 4095 is reserved (802.1Q): no row for it in vlan_port
		 * (found by tests/fuzz/pipeline.py under UBSan) */
		if (unlikely(c->pi.vlan > NEP_VLAN_MAX))
			return NEP_VERDICT_DROP(NEP_DROP_VLAN_UNKNOWN);
		sub = app->vlan_port[port][c->pi.vlan];
		if (unlikely(sub == NEP_VLAN_NONE))
			return NEP_VERDICT_DROP(NEP_DROP_VLAN_UNKNOWN);
		c->meta->in_port = (uint8_t)sub;
		c->meta->table = app->ports[sub].vrf;
		c->w->stats->port_rx[port]--;
		c->w->stats->port_rx[sub]++;
	}
	nep_vlan_pop(m);
	c->frame = rte_pktmbuf_mtod(m, uint8_t *);
	c->pi.l3_off -= NEP_VLAN_HLEN;
	c->pi.l4_off -= NEP_VLAN_HLEN;
	return NEP_V_NEXT;
}

/*
 * The IP part of input (and of nep_reinput): trim the Ethernet padding so
 * lengths are the IP lengths, the destination and hop limit, what is for
 * us. A decapsulated packet to a multicast or link-local address is not
 * ours to handle.
 */
static inline nep_verdict_t
input_l3(struct nep_pctx *c, struct rte_mbuf *m, bool decapsulated)
{
	uint8_t *f = c->frame;
	uint32_t want = c->pi.l3_off + c->pi.l3_len;

	if (rte_pktmbuf_data_len(m) > want)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - want));
	if (c->pi.family == 6) {
		struct rte_ipv6_hdr *ip6 = (void *)(f + c->pi.l3_off);

		if (unlikely(nep_ip6_is_multicast(ip6->dst_addr))) {
			/* Only neighbour discovery is for us among multicast. */
			if (!decapsulated &&
				c->pi.l4_proto == NEP_PROTO_ICMPV6 && c->pi.has_l4 &&
				f[c->pi.l4_off] >= NEP_ICMP6_RS &&
				f[c->pi.l4_off] <= NEP_ICMP6_REDIRECT)
				return NEP_VERDICT_PUNT(NEP_PUNT_LOCAL);
			return NEP_VERDICT_DROP(NEP_DROP_MCAST_UNHANDLED);
		}
		/* Link-local traffic is never forwarded (RFC 4291 2.5.6). */
		if (unlikely(nep_ip6_is_linklocal(ip6->dst_addr)))
			return decapsulated ?
				NEP_VERDICT_DROP(NEP_DROP_MCAST_UNHANDLED) :
				NEP_VERDICT_PUNT(NEP_PUNT_LOCAL);
		c->dst = ip6->dst_addr;
		c->hop_limit = ip6->hop_limits;
	} else {
		struct rte_ipv4_hdr *ip = (void *)(f + c->pi.l3_off);

		if (unlikely(ip4_is_broadcast_or_mcast(ip->dst_addr))) {
			/* A DHCPv4 server's broadcast answer to our client
			 * (the local table decides whether one runs there). */
			if (!decapsulated && ip->dst_addr == 0xffffffff &&
				c->pi.l4_proto == NEP_PROTO_UDP && c->pi.has_l4 &&
				f[c->pi.l4_off + 2] == 0 &&
				f[c->pi.l4_off + 3] == NEP_DHCP4_CLIENT_PORT)
				return NEP_VERDICT_PUNT(NEP_PUNT_LOCAL);
			return NEP_VERDICT_DROP(NEP_DROP_MCAST_UNHANDLED);
		}
		memset(c->dst4, 0, sizeof(c->dst4));
		memcpy(c->dst4, &ip->dst_addr, 4);
		c->dst = c->dst4;
		c->hop_limit = ip->time_to_live;
	}
	return NEP_V_NEXT;
}

/*
 * A frame the PMD received as a chain of segments (larger than one mbuf's
 * room, or a PMD that scatters anyway): made one segment, so every stage
 * sees the whole packet contiguous — copied into the first segment when it
 * has the room, else cut after the IP datagram when that lies within the
 * first segment (Ethernet padding beyond it). -1: neither (a packet larger
 * than any port's MTU), dropped as mbuf_chained, never sent.
 */
static int
flatten(struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), want = 0;

	if (rte_pktmbuf_linearize(m) == 0)
		return 0;
	if (len >= NEP_ETH_HLEN + 40 && f[12] == 0x86 && f[13] == 0xdd)
		want = NEP_ETH_HLEN + 40 + ((uint32_t)f[18] << 8 | f[19]);
	else if (len >= NEP_ETH_HLEN + 20 && f[12] == 0x08 && f[13] == 0x00)
		want = NEP_ETH_HLEN + ((uint32_t)f[16] << 8 | f[17]);
	if (want == 0 || want > len)
		return -1;
	rte_pktmbuf_free(m->next);
	m->next = NULL;
	m->nb_segs = 1;
	m->pkt_len = m->data_len = (uint16_t)want;
	return 0;
}

/* input: parse, L2 checks, what is for us. */
static inline nep_verdict_t
stage_input(struct nep_pctx *c, struct rte_mbuf *m, const struct nep_port *p)
{
	uint8_t *f;
	enum nep_drop_reason r;

	if (unlikely(m->nb_segs > 1)) {
		if (flatten(m) < 0)
			return NEP_VERDICT_DROP(NEP_DROP_MBUF_CHAINED);
		c->frame = rte_pktmbuf_mtod(m, uint8_t *);
	}
	f = c->frame;

	r = nep_pkt_parse(f, rte_pktmbuf_data_len(m), &c->pi);
	if (unlikely(r != NEP_DROP_NONE))
		return NEP_VERDICT_DROP(r);
	/* Unicast frames must be addressed to this port. */
	if (unlikely(!(f[0] & 1) &&
		    !rte_is_same_ether_addr((const struct rte_ether_addr *)f,
			    &p->mac)))
		return NEP_VERDICT_DROP(NEP_DROP_L2_NOT_FOR_US);
	c->meta->table = p->vrf;
	if (unlikely(nep_pkt_tagged(&c->pi))) {
		nep_verdict_t v = input_vlan(c, m, c->meta->in_port);

		if (v != NEP_V_NEXT)
			return v;
		f = c->frame;
	}
	c->meta->family = c->pi.family;
	if (c->pi.family == 0)	/* ARP */
		return NEP_VERDICT_PUNT(NEP_PUNT_LOCAL);
	return input_l3(c, m, false);
}

/*
 * After an ingress hook replaced the packet by the one it carried (SRv6
 * End.DT*, a tunnel): parse it again as if it had just arrived on the
 * same port, without the L2 checks. The hook returns this verdict.
 */
nep_verdict_t
nep_reinput(struct nep_pctx *c, struct rte_mbuf *m)
{
	enum nep_drop_reason r;

	c->frame = rte_pktmbuf_mtod(m, uint8_t *);
	r = nep_pkt_parse(c->frame, rte_pktmbuf_data_len(m), &c->pi);
	if (unlikely(r != NEP_DROP_NONE))
		return NEP_VERDICT_DROP(r);
	if (unlikely(c->pi.family == 0))
		return NEP_VERDICT_DROP(NEP_DROP_L2_UNSUPPORTED);
	c->meta->family = c->pi.family;
	return input_l3(c, m, true);
}

/* lookup: the FIB of the packet's table, dispatched on the result kind. */
static inline nep_verdict_t
stage_lookup(struct nep_pctx *c)
{
	struct nep_meta *meta = c->meta;
	unsigned out = NEP_META_NO_PORT;
	int32_t npos = -1;

	if (likely(meta->table == 0))
		c->nh = nep_route(c->w, c->s, c->pi.family, c->dst, &out,
			&npos);
	else
		c->nh = nep_route_rib(c->w->app, c->s->ribs[meta->table],
			c->pi.family, c->dst, &out, &npos);
	meta->out_port = (uint8_t)out;
	meta->neigh_pos = npos;
	switch (nep_nh_kind(c->nh)) {
	case NEP_NH_LOCAL:
		return NEP_VERDICT_PUNT(NEP_PUNT_LOCAL);
	default:
		break;
	}
	if (unlikely(c->hop_limit <= 1))
		return nep_icmp_error_verdict(meta, NEP_DROP_HOP_LIMIT,
			NEP_ICMP_ERR_TIME_EXCEEDED, 0);
	return NEP_V_NEXT;
}

/* After the egress hooks: a plain route, if there is one. */
static inline nep_verdict_t
stage_route(struct nep_pctx *c)
{
	if (unlikely(nep_nh_kind(c->nh) != NEP_NH_CONNECTED &&
		    nep_nh_kind(c->nh) != NEP_NH_GATEWAY))
		/* No route, or a feature's route no hook took: the control
		 * lcore answers (ICMP unreachable). */
		return nep_icmp_error_verdict(c->meta, NEP_DROP_NO_ROUTE,
			NEP_ICMP_ERR_UNREACH, 0);
	c->meta->path = 0;
	c->meta->action = 0;
	return NEP_VERDICT(NEP_V_FORWARD, 0);
}

/*
 * output: MTU of the chosen path (before its action, so an error quotes
 * what the host sent), the path's action, neighbour, L2 rewrite, tx.
 */
static inline nep_verdict_t
stage_output(struct nep_pctx *c, struct rte_mbuf *m)
{
	struct nep_worker *w = c->w;
	struct nep_app *app = w->app;
	struct nep_meta *meta = c->meta;
	const struct nep_action *a = meta->action ? &nep_actions[meta->action] :
						    NULL;
	unsigned out = meta->out_port;
	uint32_t room = app->ports[out].mtu - (a != NULL ? a->overhead : 0) -
		c->overhead;
	uint8_t *l3;
	uint64_t mac;

	if (unlikely(!app->ports[out].link_up))
		return NEP_VERDICT_DROP(NEP_DROP_PORT_DOWN);
	if (unlikely(c->pi.l3_len > room)) {
		if (c->pi.family == 4 &&
			!(rte_be_to_cpu_16(((struct rte_ipv4_hdr *)(c->frame +
				c->pi.l3_off))->fragment_offset) &
				RTE_IPV4_HDR_DF_FLAG))
			/* Fragmentation is not implemented: counted drop. */
			return NEP_VERDICT_DROP(NEP_DROP_MTU_EXCEEDED);
		return nep_icmp_error_verdict(meta, NEP_DROP_MTU_EXCEEDED,
			NEP_ICMP_ERR_TOO_BIG, room);
	}
	if (c->rewrite != NULL) {
		nep_verdict_t v = c->rewrite(c, m);
		if (v != NEP_V_NEXT)
			return v;
	}
	if (a != NULL) {
		nep_verdict_t v = a->fn(c, m);
		if (v != NEP_V_NEXT)
			return v;
	}
	mac = meta->neigh_pos >= 0 ?
		nep_neigh_mac_at(app->neigh, meta->neigh_pos) : 0;
	if (unlikely(c->meta->flags & NEP_META_F_TRACE)) {
		struct nep_trace_output t = { .out = (uint8_t)out,
			.action = meta->action, .path = meta->path,
			.mtu = app->ports[out].mtu };
		if (mac & NEP_NEIGH_VALID)
			memcpy(t.mac, &mac, 6);
		nep_trace_add(w->trace, NEP_STAGE_OUTPUT, NEP_TRACE_CORE, 0,
			(mac & NEP_NEIGH_VALID) ? NEP_V_CONSUMED :
			NEP_VERDICT_PUNT(NEP_PUNT_RESOLVE), &t, sizeof(t));
	}
	if (unlikely(!(mac & NEP_NEIGH_VALID))) {
		if (!(meta->flags & NEP_META_F_AGED))
			meta->flags |= NEP_META_F_FWD;
		return NEP_VERDICT_PUNT(NEP_PUNT_RESOLVE);
	}
	l3 = c->frame + c->pi.l3_off;
	if (meta->flags & NEP_META_F_AGED)
		;
	else if (c->pi.family == 6)
		((struct rte_ipv6_hdr *)l3)->hop_limits--;
	else
		nep_ip4_dec_ttl((struct rte_ipv4_hdr *)l3);
	memcpy(c->frame, &mac, 6);
	rte_ether_addr_copy(&app->ports[out].mac,
		(struct rte_ether_addr *)(c->frame + 6));
	if (unlikely(app->ports[out].vlan != 0)) {
		/* A sub-interface: its tag after the MACs. */
		if (unlikely(nep_vlan_push(m, app->ports[out].vlan) < 0))
			return NEP_VERDICT_DROP(NEP_DROP_NO_HEADROOM);
		c->frame = rte_pktmbuf_mtod(m, uint8_t *);
		c->pi.l3_off += NEP_VLAN_HLEN;
		c->pi.l4_off += NEP_VLAN_HLEN;
	}
	w->stats->port_tx[out]++;
	w->stats->forwarded++;
	nep_tx_buffer(w->stats, app->ports[out].id, (uint16_t)w->index,
		w->txb[out], m);
	return NEP_V_CONSUMED;
}

/* The packet's one outcome, from its last verdict. */
static inline void
finish(struct nep_pctx *c, struct rte_mbuf *m, nep_verdict_t v)
{
	struct nep_worker *w = c->w;

	switch (NEP_VERDICT_KIND(v)) {
	case NEP_V_DROP:
		nep_drop(w, m, NEP_VERDICT_REASON(v));
		break;
	case NEP_V_PUNT:
		if (NEP_VERDICT_REASON(v) == NEP_PUNT_ICMP_ERROR) {
			nep_punt_icmp_error(w, m, c->meta);
		} else {
			nep_punt(w, m, c->meta, NEP_VERDICT_REASON(v), c->frame,
				&c->pi);
		}
		break;
	case NEP_V_CONSUMED:
		break;
	case NEP_V_HANDOFF: {
		struct nep_worker *to =
			&w->app->workers[NEP_VERDICT_REASON(v)];

		/* Its outcome is counted where it ends: rx here, the rest
		 * there. */
		c->meta->flags |= NEP_META_F_HANDOFF;
		if (unlikely(to->handoff == NULL || to == w ||
			    rte_ring_mp_enqueue(to->handoff, m) != 0))
			nep_drop(w, m, NEP_DROP_HANDOFF_RING_FULL);
		else
			w->stats->handoffs++;
		break;
	}
	default:
		/* A stage ended on NEXT or FORWARD with nowhere to go: a bug,
		 * but the packet still has one outcome. */
		nep_drop(w, m, NEP_DROP_BAD_VERDICT);
		break;
	}
}

#ifdef NEP_STAGE_CYCLES
#define RT_BEGIN() uint64_t _t0 = rte_rdtsc()
#define RT_END(st, s)                                                         \
	do {                                                                  \
		(st)->rt[s].calls++;                                          \
		(st)->rt[s].pkts++;                                           \
		(st)->rt[s].cycles += rte_rdtsc() - _t0;                      \
	} while (0)
#else
#define RT_BEGIN() do { } while (0)
#define RT_END(st, s)                                                         \
	do {                                                                  \
		(st)->rt[s].calls++;                                          \
		(st)->rt[s].pkts++;                                           \
	} while (0)
#endif

/* Run one stage's feature hooks in registration order. */
static inline nep_verdict_t
run_hooks(struct nep_pctx *c, struct rte_mbuf *m, enum nep_stage stage)
{
	struct nep_feature *f;

	NEP_FOREACH_FEATURE(f) {
		nep_hook_fn fn = stage == NEP_STAGE_INGRESS ? f->ingress :
							      f->egress;
		nep_verdict_t v;

		if (fn == NULL)
			continue;
		v = fn(c, m);
		if (v != NEP_V_NEXT)
			return v;
	}
	return NEP_V_NEXT;
}

/* The general path: each stage in turn, for one packet; flags0 are the
 * meta flags it starts with (a handed-off packet's NEP_META_F_HANDOFF). */
static inline void
general_path(struct nep_worker *w, const struct nep_rx_burst *b,
	struct rte_mbuf *m, uint8_t flags0)
{
	struct nep_app *app = w->app;
	struct nep_lcore_stats *st = w->stats;
	struct nep_pctx c;
	nep_verdict_t v;
	bool traced;

	c.w = w;
	c.s = b->s;
	c.meta = nep_meta(m);
	c.frame = rte_pktmbuf_mtod(m, uint8_t *);
	c.now = b->now;
	c.rewrite = NULL;
	c.overhead = 0;
	c.meta->in_port = (uint8_t)b->port;
	c.meta->out_port = NEP_META_NO_PORT;
	c.meta->path = 0;
	c.meta->action = 0;
	c.meta->table = 0;	/* the input stage sets the interface's */
	c.meta->flags = flags0;
	c.meta->neigh_pos = -1;
	traced = unlikely(w->trace != NULL) && nep_trace_want(w->trace, b->port);
	if (unlikely(traced))
		c.meta->flags |= NEP_META_F_TRACE;

	{
		RT_BEGIN();
		v = stage_input(&c, m, &app->ports[b->port]);
		RT_END(st, NEP_STAGE_INPUT);
	}
	if (unlikely(traced))
		trace_input(&c, m, v);
	if (v != NEP_V_NEXT)
		goto done;
	{
		RT_BEGIN();
		v = run_hooks(&c, m, NEP_STAGE_INGRESS);
		RT_END(st, NEP_STAGE_INGRESS);
	}
	/* An ingress hook may choose the path itself (e.g. a decapsulated
	 * packet to a known next hop): straight to output. */
	if (NEP_VERDICT_KIND(v) == NEP_V_FORWARD)
		goto output;
	if (v != NEP_V_NEXT)
		goto done;
	{
		RT_BEGIN();
		v = stage_lookup(&c);
		RT_END(st, NEP_STAGE_LOOKUP);
	}
	if (unlikely(traced)) {
		struct nep_trace_lookup t = { .kind = (uint8_t)nep_nh_kind(c.nh),
			.out = c.meta->out_port,
			.neigh_pos = c.meta->neigh_pos };
		trace_core(&c, NEP_STAGE_LOOKUP, v, &t, sizeof(t));
	}
	if (v != NEP_V_NEXT)
		goto done;
	{
		RT_BEGIN();
		v = run_hooks(&c, m, NEP_STAGE_EGRESS);
		if (v == NEP_V_NEXT)
			v = stage_route(&c);
		RT_END(st, NEP_STAGE_EGRESS);
	}
	if (NEP_VERDICT_KIND(v) != NEP_V_FORWARD)
		goto done;
output:
	{
		RT_BEGIN();
		v = stage_output(&c, m);
		RT_END(st, NEP_STAGE_OUTPUT);
	}
done:
	if (unlikely(traced) && NEP_VERDICT_KIND(v) != NEP_V_CONSUMED) {
		/* The outcome: an error punt is the drop it is counted as. */
		if (v == NEP_VERDICT_PUNT(NEP_PUNT_ICMP_ERROR))
			nep_trace_add(w->trace, NEP_STAGE_MAX, NEP_TRACE_CORE,
				NEP_TRACE_RESULT_ICMP,
				NEP_VERDICT_DROP(c.meta->reason), NULL, 0);
		else
			trace_core(&c, NEP_STAGE_MAX, v, NULL, 0);
	}
	finish(&c, m, v);
}

void
nep_general_path(struct nep_worker *w, const struct nep_rx_burst *b,
	struct rte_mbuf *m)
{
	general_path(w, b, m, 0);
}

/*
 * Packets other workers handed to this one: each runs the stages from
 * input again, on the interface it came in by, marked so that no hook
 * hands it off a second time. Their rx was counted where they arrived.
 */
static bool
handoff_drain(struct nep_worker *w, const struct nep_snapshot *s,
	uint64_t now, uint16_t burst)
{
	struct rte_mbuf *pkts[NEP_BURST_MAX];
	struct nep_rx_burst b = { .s = s, .now = now };
	unsigned n, j;

	n = rte_ring_sc_dequeue_burst(w->handoff, (void **)pkts, burst, NULL);
	for (j = 0; j < n; j++) {
		b.port = nep_meta(pkts[j])->in_port;
		general_path(w, &b, pkts[j], NEP_META_F_HANDOFF);
	}
	return n != 0;
}

/* The core's fused path for ports no feature claims: routed IPv6
 * TCP/UDP through the destination cache. */
static void
fast_route_burst(struct nep_worker *w, const struct nep_rx_burst *b,
	struct rte_mbuf **pkts, uint16_t n)
{
	const struct nep_port *p = &w->app->ports[b->port];
	struct nep_fast_ctx x;
	uint64_t port_mac = 0;
	unsigned j;

	nep_fast_ctx_init(&x, w, b);
	memcpy(&port_mac, &p->mac, 6);
	for (j = 0; j < n && j < 4; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
	for (j = 0; j < n; j++) {
		struct rte_mbuf *m = pkts[j];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t l3_len;

		if (j + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[j + 4], void *));
		l3_len = nep_fast_eligible6(f, nep_fast_len(m),
			port_mac);
		if (likely(l3_len != 0 && nep_fast_route6(&x, m, f, l3_len)))
			continue;
		nep_general_path(w, b, m);
	}
}

/* Every packet through the stages one by one (fast_path: false, and
 * while a trace is being taken). */
static void
general_burst(struct nep_worker *w, const struct nep_rx_burst *b,
	struct rte_mbuf **pkts, uint16_t n)
{
	for (unsigned j = 0; j < n; j++)
		nep_general_path(w, b, pkts[j]);
}

/* The fused path for each port: the first feature that claims it, else
 * the core's. Computed into every snapshot (snapshot.c). */
nep_fast_fn nep_fast_for_port(const struct nep_app *app,
	const struct nep_snapshot *s, unsigned port);

nep_fast_fn
nep_fast_for_port(const struct nep_app *app, const struct nep_snapshot *s,
	unsigned port)
{
	struct nep_feature *f;

	/* The fused paths route in the main table through the destination
	 * cache: a port in another VRF takes the stages. */
	if (!s->cfg->fast_path || app->ports[port].vrf != 0)
		return general_burst;
	NEP_FOREACH_FEATURE(f) {
		nep_fast_fn fn;
		if (f->fast_for_port != NULL &&
			(fn = f->fast_for_port(app, s, port)) != NULL)
			return fn;
	}
	return fast_route_burst;
}

/* Adaptive idle: after this many empty polls in a row, sleep. */
#define IDLE_POLLS_BEFORE_SLEEP 256
#define IDLE_SLEEP_MIN_US 1

/*
 * A STAMP test packet leaves now: its timestamp (t1) is the wall clock at
 * this tx, not when the control lcore built it. The field was zero when
 * the UDP checksum was computed, so adding its words fixes the checksum.
 */
static void
tx_stamp(const struct nep_app *app, struct rte_mbuf *m)
{
	struct nep_meta *meta = nep_meta(m);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned ts_off = meta->icmp_param >> 16;
	unsigned ck_off = meta->icmp_param & 0xffff;
	uint64_t ns = nep_wall_ns_at(app, rte_rdtsc());
	uint64_t sec = ns / 1000000000ull, sub = ns % 1000000000ull;
	uint32_t hi, lo, sum;
	uint16_t ck;

	meta->flags &= (uint8_t)~NEP_META_F_TXSTAMP;
	if (ts_off + 8 > rte_pktmbuf_data_len(m) ||
		ck_off + 2 > rte_pktmbuf_data_len(m))
		return;
	if (meta->reason) {		/* PTPv2 truncated */
		hi = (uint32_t)sec;
		lo = (uint32_t)sub;
	} else {			/* NTP: 2^-32 s fraction, rounded */
		uint64_t fr = ((sub << 32) + 500000000ull) / 1000000000ull;

		hi = (uint32_t)(sec + 2208988800ull + (fr >> 32));
		lo = (uint32_t)fr;
	}
	f[ts_off] = (uint8_t)(hi >> 24);
	f[ts_off + 1] = (uint8_t)(hi >> 16);
	f[ts_off + 2] = (uint8_t)(hi >> 8);
	f[ts_off + 3] = (uint8_t)hi;
	f[ts_off + 4] = (uint8_t)(lo >> 24);
	f[ts_off + 5] = (uint8_t)(lo >> 16);
	f[ts_off + 6] = (uint8_t)(lo >> 8);
	f[ts_off + 7] = (uint8_t)lo;
	ck = (uint16_t)(f[ck_off] << 8 | f[ck_off + 1]);
	sum = (uint16_t)~ck;
	sum += (hi >> 16) + (hi & 0xffff) + (lo >> 16) + (lo & 0xffff);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck = (uint16_t)~sum;
	if (ck == 0)
		ck = 0xffff;	/* UDP: 0 would mean "no checksum" */
	f[ck_off] = (uint8_t)(ck >> 8);
	f[ck_off + 1] = (uint8_t)ck;
}

int
nep_worker_main(void *arg)
{
	struct nep_worker *w = arg;
	struct nep_app *app = w->app;
	struct rte_mbuf *pkts[NEP_BURST_MAX];
	const uint64_t drain_tsc = rte_get_tsc_hz() * app->cfg->drain_us /
		1000000ull;
	const uint16_t burst = (uint16_t)app->cfg->burst;
	const bool adaptive = app->cfg->idle_adaptive;
	const uint32_t idle_max_us = app->cfg->idle_max_us;
	uint64_t last_drain = rte_rdtsc();
	uint32_t empty = 0, sleep_us = IDLE_SLEEP_MIN_US;
	/* The features' housekeeping, only those that have some: the loop
	 * costs the same whatever the number of features. */
	void (*polls[NEP_MAX_FEATURES])(struct nep_worker *, uint64_t);
	unsigned n_polls = 0;
	struct nep_feature *f;
	unsigned i, j;

	NEP_FOREACH_FEATURE(f)
		if (f->worker_poll != NULL)
			polls[n_polls++] = f->worker_poll;

	for (i = 0; i < app->n_ports; i++)
		rte_eth_tx_buffer_set_err_callback(w->txb[i], tx_drop_cb,
			w->stats);
	/* Adaptive sleeps are microseconds; the default 50 us timer slack
	 * would make the shortest one 60 us. */
	if (adaptive)
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	rte_rcu_qsbr_thread_register(app->qsv, w->index);
	rte_rcu_qsbr_thread_online(app->qsv, w->index);
	NEP_LOG(INFO, "worker %u on lcore %u polls %u queues (idle %s)",
		w->index, w->lcore_id, w->n_rxq, adaptive ? "adaptive" : "poll");

	while (!__atomic_load_n(&app->workers_quit, __ATOMIC_RELAXED)) {
		const struct nep_snapshot *s =
			__atomic_load_n(&app->snap, __ATOMIC_ACQUIRE);
		uint64_t now = rte_rdtsc();
		struct nep_rx_burst b;
		bool busy = false;

		nep_dcache_revalidate(w->dc, s->generation,
			nep_neigh_gen(app->neigh));
		b.s = s;
		b.now = now;
		for (i = 0; i < w->n_rxq; i++) {
			unsigned port = w->rxq[i].port;
#ifdef NEP_STAGE_CYCLES
			uint64_t t0 = rte_rdtsc(), t1, tx0;
#endif
			uint16_t n = rte_eth_rx_burst(app->ports[port].id,
				w->rxq[i].queue, pkts, burst);
			if (n == 0)
				continue;
#ifdef NEP_STAGE_CYCLES
			t1 = rte_rdtsc();
			tx0 = w->stats->cyc_tx;
			w->stats->cyc_rx += t1 - t0;
#endif
			busy = true;
			w->stats->rx_pkts += n;
			w->stats->port_rx[port] += n;
			if (unlikely(!app->ports[port].link_up)) {
				/* what a port still delivers once down (set
				 * down from the CLI, or a PMD that lags) */
				w->stats->drops[NEP_DROP_PORT_DOWN] += n;
				rte_pktmbuf_free_bulk(pkts, n);
				continue;
			}
			b.port = port;
			/* Decided per burst, after its rx: a traced packet
			 * never meets the fast path. */
			if (unlikely(nep_trace_armed(w->trace, port)))
				general_burst(w, &b, pkts, n);
			else
				s->fast[port](w, &b, pkts, n);
#ifdef NEP_STAGE_CYCLES
			uint64_t dt = rte_rdtsc() - t1 - (w->stats->cyc_tx - tx0);
			w->stats->cyc_proc += dt;
			w->stats->rt[NEP_STAGE_FAST].cycles += dt;
#endif
			w->stats->rt[NEP_STAGE_FAST].calls++;
			w->stats->rt[NEP_STAGE_FAST].pkts += n;
		}
		if (w->handoff != NULL && !rte_ring_empty(w->handoff))
			busy |= handoff_drain(w, s, now, burst);
		if (unlikely(w->inject != NULL && !rte_ring_empty(w->inject))) {
			/* Frames the control lcore sends (ND, ICMP, probes,
			 * resolved packets), already counted by it. */
			uint16_t n = (uint16_t)rte_ring_sc_dequeue_burst(
				w->inject, (void **)pkts, burst, NULL);
			for (j = 0; j < n; j++) {
				unsigned port = nep_meta(pkts[j])->out_port;

				if (unlikely(nep_meta(pkts[j])->flags &
					     NEP_META_F_TXSTAMP))
					tx_stamp(app, pkts[j]);

				/* Sent now, not buffered: a refusal is the
				 * control plane's frame lost, not one of the
				 * worker's (tx_drop_cb) outcomes. */
				if (rte_eth_tx_burst(app->ports[port].id,
					    (uint16_t)w->index, &pkts[j], 1) == 1) {
					w->stats->port_tx[port]++;
				} else {
					w->stats->inject_tx_full++;
					rte_pktmbuf_free(pkts[j]);
				}
			}
			busy |= n != 0;
		}
		w->stats->polls++;
		w->stats->busy_polls += busy;
		for (i = 0; i < n_polls; i++)
			polls[i](w, now);
		if (unlikely(now - last_drain > drain_tsc)) {
			for (i = 0; i < app->n_ports; i++)
				rte_eth_tx_buffer_flush(app->ports[i].id,
					(uint16_t)w->index, w->txb[i]);
			last_drain = now;
		}
		rte_rcu_qsbr_quiescent(app->qsv, w->index);
		if (!adaptive)
			continue;
		if (busy) {
			empty = 0;
			sleep_us = IDLE_SLEEP_MIN_US;
		} else if (++empty >= IDLE_POLLS_BEFORE_SLEEP) {
			/* Nothing queued anywhere (tx buffers were drained
			 * above within drain_us): back off, doubling. */
			struct timespec ts = { 0, (long)sleep_us * 1000 };

			for (i = 0; i < app->n_ports; i++)
				rte_eth_tx_buffer_flush(app->ports[i].id,
					(uint16_t)w->index, w->txb[i]);
			/* Offline while asleep: reload never waits for us. */
			rte_rcu_qsbr_thread_offline(app->qsv, w->index);
			nanosleep(&ts, NULL);
			rte_rcu_qsbr_thread_online(app->qsv, w->index);
			w->stats->idle_sleeps++;
			if (sleep_us < idle_max_us)
				sleep_us = RTE_MIN(sleep_us * 2, idle_max_us);
		}
	}
	for (i = 0; i < app->n_ports; i++)
		rte_eth_tx_buffer_flush(app->ports[i].id, (uint16_t)w->index,
			w->txb[i]);
	rte_rcu_qsbr_thread_offline(app->qsv, w->index);
	rte_rcu_qsbr_thread_unregister(app->qsv, w->index);
	return 0;
}
