/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcore: run to completion. rx burst -> parse -> to self? punt ->
 * route -> neighbour rewrite -> buffered tx, drained every drain_us.
 * Never blocks, allocates, locks or calls the kernel; anything that needs
 * the control plane (ND, ICMP errors, unresolved next hops) is punted.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "neptune.h"
#include "nep_dcache.h"
#include "nep_pkt.h"
#include "steer.h"

/*
 * rte_eth_tx_buffer(), with the tx burst it triggers timed in
 * -Dstage_cycles builds.
 */
static inline void
tx_buffer(struct nep_lcore_stats *stats, uint16_t port_id, uint16_t queue,
	struct rte_eth_dev_tx_buffer *b, struct rte_mbuf *m)
{
	b->pkts[b->length++] = m;
	if (b->length < b->size)
		return;
#ifdef NEP_STAGE_CYCLES
	uint64_t t0 = rte_rdtsc();
	rte_eth_tx_buffer_flush(port_id, queue, b);
	stats->cyc_tx += rte_rdtsc() - t0;
#else
	(void)stats;
	rte_eth_tx_buffer_flush(port_id, queue, b);
#endif
}

static void
tx_drop_cb(struct rte_mbuf **pkts, uint16_t unsent, void *userdata)
{
	struct nep_lcore_stats *st = userdata;

	st->drops[NEP_DROP_TX_FULL] += unsent;
	rte_pktmbuf_free_bulk(pkts, unsent);
}

static inline void
drop(struct nep_worker *w, struct rte_mbuf *m, enum nep_drop_reason r)
{
	w->stats->drops[r]++;
	rte_pktmbuf_free(m);
}

static inline void
punt(struct nep_worker *w, struct rte_mbuf *m, uint32_t why)
{
	m->hash.usr = why;
	/* Arrival time (low TSC bits), so a busy control lcore does not
	 * make probe replies look late. */
	m->hash.fdir.hi = (uint32_t)rte_rdtsc();
	if (unlikely(rte_ring_sp_enqueue(w->punt, m) != 0)) {
		drop(w, m, NEP_DROP_PUNT_RING_FULL);
		return;
	}
	w->stats->punted++;
}

/*
 * Route a destination (16 bytes, IPv4 zero padded) through the worker's
 * destination cache: returns the FIB next-hop value and, for connected and
 * gateway routes, the egress port index and the neighbour position (< 0
 * when the neighbour has no entry yet: such results are not cached).
 */
static inline uint64_t
route(struct nep_worker *w, const struct nep_snapshot *s, uint8_t family,
	const uint8_t *dst, unsigned *out, int32_t *npos)
{
	struct nep_app *app = w->app;
	struct nep_dcache *c = w->dc;
	struct nep_dcache_entry *e = nep_dcache_slot(c, dst);
	struct nep_neigh_key k;
	const uint8_t *hop;
	uint16_t port_id;
	uint64_t nh;

	if (likely(nep_dcache_hit(c, e, dst, family))) {
		*out = e->out;
		*npos = e->neigh_pos;
		return e->nh;
	}
	w->stats->route_cache_misses++;
	if (family == 6) {
		nh = nep_rib_lookup6(&s->rib, dst);
	} else {
		uint32_t a;
		memcpy(&a, dst, 4);
		nh = nep_rib_lookup4(&s->rib, a);
	}
	hop = nep_rib_next_hop(&s->rib, nh, dst, &port_id);
	if (hop == NULL)
		return nh;	/* local or no route: the caller punts */
	nep_neigh_key_set(&k, port_id, family, hop);
	*out = (unsigned)app->port_index[port_id];
	*npos = nep_neigh_lookup_pos(app->neigh, &k);
	if (*npos >= 0)
		nep_dcache_fill(c, e, dst, family, (uint16_t)nh,
			(uint8_t)*out, *npos);
	return nh;
}

static inline void
send_out(struct nep_worker *w, struct rte_mbuf *m, unsigned port,
	uint64_t mac)
{
	struct nep_app *app = w->app;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	memcpy(&eth->dst_addr, &mac, 6);
	rte_ether_addr_copy(&app->ports[port].mac, &eth->src_addr);
	w->stats->port_tx[port]++;
	tx_buffer(w->stats, app->ports[port].id, (uint16_t)w->index,
		w->txb[port], m);
}

static inline bool
mtu_ok(struct nep_worker *w, struct rte_mbuf *m, const struct nep_pkt_info *pi,
	unsigned out)
{
	if (likely(pi->l3_len <= w->app->ports[out].mtu))
		return true;
	w->stats->drops[NEP_DROP_MTU_EXCEEDED]++;
	punt(w, m, NEP_PUNT_TOO_BIG);
	return false;
}

/*
 * Last step of every forwarded packet: with the next hop's MAC word, age
 * the hop limit and send; without one, hand it over for resolution.
 */
static inline void
xmit_fwd(struct nep_worker *w, struct rte_mbuf *m,
	const struct nep_pkt_info *pi, unsigned out, uint64_t mac,
	uint32_t resolve_punt)
{
	uint8_t *l3 = rte_pktmbuf_mtod(m, uint8_t *) + pi->l3_off;

	if (unlikely(!(mac & NEP_NEIGH_VALID))) {
		punt(w, m, resolve_punt);
		return;
	}
	if (pi->family == 6)
		((struct rte_ipv6_hdr *)l3)->hop_limits--;
	else
		nep_ip4_dec_ttl((struct rte_ipv4_hdr *)l3);
	send_out(w, m, out, mac);
}

/* Does this route leave through a LAN port (so the flow is internal)? */
static inline bool
route_is_lan(const struct nep_app *app, const struct nep_snapshot *s,
	uint64_t nh)
{
	uint16_t port_id;

	switch (nep_nh_kind(nh)) {
	case NEP_NH_CONNECTED:
		port_id = (uint16_t)nep_nh_index(nh);
		break;
	case NEP_NH_GATEWAY:
		port_id = s->rib.nh[nep_nh_index(nh)].port;
		break;
	default:
		return false;
	}
	return app->ports[app->port_index[port_id]].role == NEP_PORT_LAN;
}

/* A steered packet leaves on uplink u (NPTv6 for IPv6). */
static inline void
steered_out(struct nep_worker *w, const struct nep_steer_state *st,
	struct rte_mbuf *m, const struct nep_pkt_info *pi, unsigned u)
{
	const struct nep_uplink_fwd *uf = &st->up[u];
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	int32_t npos;
	uint64_t mac;

	/* Before translation, so the error reaches the inside host. */
	if (!mtu_ok(w, m, pi, uf->port))
		return;
	if (pi->family == 6) {
		struct rte_ipv6_hdr *ip6 =
			(struct rte_ipv6_hdr *)(f + pi->l3_off);
		if (unlikely(nep_nptv6_snpt(&uf->npt, ip6->src_addr) < 0)) {
			w->stats->drops[NEP_DROP_NPT_UNMAPPABLE]++;
			punt(w, m, NEP_PUNT_UNMAPPABLE);
			return;
		}
		/* An error from a LAN host quotes an inside address too. */
		/* (pi NULL: TCP or UDP from the fast path) */
		if (unlikely(pi != NULL && pi->l4_proto == NEP_PROTO_ICMPV6 && pi->has_l4 &&
			    f[pi->l4_off] < 128) &&
			nep_nptv6_icmp6_inner(&uf->npt, f + pi->l4_off,
				pi->l3_off + pi->l3_len - pi->l4_off,
				NEP_NPTV6_EGRESS) < 0) {
			drop(w, m, NEP_DROP_NPT_UNMAPPABLE);
			return;
		}
		npos = uf->nh6_pos;
	} else {
		npos = uf->nh4_pos;
	}
	w->stats->up_tx_pkts[u]++;
	w->stats->up_tx_bytes[u] += pi->l3_len;
	mac = likely(npos >= 0) ? nep_neigh_mac_at(w->app->neigh, npos) : 0;
	xmit_fwd(w, m, pi, uf->port, mac, NEP_PUNT_RESOLVE | NEP_PUNT_FWD_FLAG |
			(u + 1) << NEP_PUNT_UPLINK_SHIFT);
}

/*
 * LAN-side flows leaving through a WAN port are steered. Returns true when
 * the packet was consumed.
 */
static inline bool
try_steer(struct nep_worker *w, const struct nep_snapshot *s,
	struct rte_mbuf *m, unsigned in_port, const struct nep_pkt_info *pi,
	uint64_t nh, uint64_t now_tsc)
{
	const struct nep_steer_state *st;
	int reason = 0, u;

	if (w->app->ports[in_port].role != NEP_PORT_LAN ||
		route_is_lan(w->app, s, nh))
		return false;
	st = __atomic_load_n(&w->app->steer, __ATOMIC_ACQUIRE);
	u = steer_flow(w, s, st, rte_pktmbuf_mtod(m, uint8_t *), pi, now_tsc,
		&reason);
	if (u == NEP_STEER_ROUTE)
		return false;
	if (u == NEP_STEER_DONE) {
		/* Strict uplink down or no uplink at all: unreachable. */
		w->stats->drops[reason]++;
		punt(w, m, NEP_PUNT_NO_ROUTE);
		return true;
	}
	steered_out(w, st, m, pi, (unsigned)u);
	return true;
}

/* WAN ingress to a delegated prefix: translate back to the inside. */
static inline int
inbound_dnpt(struct nep_worker *w, struct rte_mbuf *m, unsigned in_port,
	const struct nep_pkt_info *pi, uint32_t l3_len,
	struct rte_ipv6_hdr *ip6)
{
	const struct nep_steer_state *st =
		__atomic_load_n(&w->app->steer, __ATOMIC_ACQUIRE);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	for (uint32_t slots = st->port_slots[in_port]; slots != 0;
		slots &= slots - 1) {
		unsigned u = (unsigned)__builtin_ctz(slots);
		const struct nep_uplink_fwd *uf = &st->up[u];
		if (!nep_nptv6_in_outside(&uf->npt, ip6->dst_addr))
			continue;
		if (unlikely(nep_nptv6_dnpt(&uf->npt, ip6->dst_addr) < 0)) {
			/* RFC 6296 5: Parameter Problem, pointer 24. */
			w->stats->drops[NEP_DROP_NPT_UNMAPPABLE]++;
			punt(w, m, NEP_PUNT_UNMAPPABLE_DST);
			return -1;
		}
		/* (pi NULL: TCP or UDP from the fast path) */
		if (unlikely(pi != NULL && pi->l4_proto == NEP_PROTO_ICMPV6 &&
				pi->has_l4 && f[pi->l4_off] < 128 &&
				nep_nptv6_icmp6_inner(&uf->npt,
					f + pi->l4_off,
					pi->l3_off + pi->l3_len - pi->l4_off,
					NEP_NPTV6_INGRESS) < 0)) {
			drop(w, m, NEP_DROP_NPT_UNMAPPABLE);
			return -1;
		}
		w->stats->up_rx_pkts[u]++;
		w->stats->up_rx_bytes[u] += l3_len;
		return 1;
	}
	return 0;
}

/*
 * The common end of forward6/forward4: route dst (16 bytes, IPv4 zero
 * padded), punt what is ours or expiring, steer LAN flows from an inside
 * source (inside), else send to the route's next hop.
 */
static inline void
route_and_send(struct nep_worker *w, const struct nep_snapshot *s,
	struct rte_mbuf *m, unsigned in_port, const struct nep_pkt_info *pi,
	uint64_t now_tsc, const uint8_t *dst, uint8_t hop_limit, bool inside)
{
	unsigned out = 0;
	int32_t npos = -1;
	uint64_t nh;

	nh = route(w, s, pi->family, dst, &out, &npos);
	if (nep_nh_kind(nh) == NEP_NH_LOCAL) {
		punt(w, m, NEP_PUNT_LOCAL);
		return;
	}
	if (unlikely(hop_limit <= 1)) {
		w->stats->drops[NEP_DROP_HOP_LIMIT]++;
		punt(w, m, NEP_PUNT_TTL);
		return;
	}
	if (inside && try_steer(w, s, m, in_port, pi, nh, now_tsc))
		return;
	if (unlikely(nep_nh_kind(nh) == NEP_NH_NONE)) {
		/* The control lcore answers (ICMP unreachable). */
		w->stats->drops[NEP_DROP_NO_ROUTE]++;
		punt(w, m, NEP_PUNT_NO_ROUTE);
		return;
	}
	if (!mtu_ok(w, m, pi, out))
		return;
	xmit_fwd(w, m, pi, out,
		npos >= 0 ? nep_neigh_mac_at(w->app->neigh, npos) : 0,
		NEP_PUNT_RESOLVE | NEP_PUNT_FWD_FLAG);
}

static inline void
forward6(struct nep_worker *w, const struct nep_snapshot *s,
	struct rte_mbuf *m, unsigned in_port, const struct nep_pkt_info *pi,
	uint64_t now_tsc)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(f + pi->l3_off);

	if (unlikely(nep_ip6_is_multicast(ip6->dst_addr))) {
		/* Only neighbour discovery is for us among multicast. */
		if (pi->l4_proto == NEP_PROTO_ICMPV6 && pi->has_l4 &&
			f[pi->l4_off] >= NEP_ICMP6_RS &&
			f[pi->l4_off] <= NEP_ICMP6_REDIRECT)
			punt(w, m, NEP_PUNT_LOCAL);
		else
			drop(w, m, NEP_DROP_MCAST_UNHANDLED);
		return;
	}
	if (unlikely(nep_ip6_is_linklocal(ip6->dst_addr))) {
		/* Link-local traffic is never forwarded (RFC 4291 2.5.6). */
		punt(w, m, NEP_PUNT_LOCAL);
		return;
	}
	if (s->steering && w->app->ports[in_port].role == NEP_PORT_WAN &&
		inbound_dnpt(w, m, in_port, pi, pi->l3_len, ip6) < 0)
		return;
	route_and_send(w, s, m, in_port, pi, now_tsc, ip6->dst_addr,
		ip6->hop_limits, s->steering &&
		steer_src_inside(s, ip6->src_addr));
}

static inline bool
ip4_is_broadcast_or_mcast(uint32_t dst_be)
{
	const uint8_t *b = (const uint8_t *)&dst_be;
	return dst_be == 0xffffffff || (b[0] & 0xf0) == 0xe0;
}

static inline void
forward4(struct nep_worker *w, const struct nep_snapshot *s,
	struct rte_mbuf *m, unsigned in_port, const struct nep_pkt_info *pi,
	uint64_t now_tsc)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + pi->l3_off);
	uint8_t dst[16] = { 0 };

	if (unlikely(ip4_is_broadcast_or_mcast(ip->dst_addr))) {
		drop(w, m, NEP_DROP_MCAST_UNHANDLED);
		return;
	}
	memcpy(dst, &ip->dst_addr, 4);
	route_and_send(w, s, m, in_port, pi, now_tsc, dst, ip->time_to_live,
		s->steering && steer_src_inside4(s, ip->src_addr));
}

struct fast_batch {
	unsigned n;
	uint16_t idx[NEP_BURST_MAX];		/* packet index in the burst */
	uint16_t l3_len[NEP_BURST_MAX];
	struct nep_flow_key keys[NEP_BURST_MAX];
	hash_sig_t sig[NEP_BURST_MAX];
};

/* What the burst loop knows about the receiving port. */
struct rx_ctx {
	const struct nep_snapshot *s;
	const struct nep_steer_state *st;
	unsigned port;
	bool lan_steer;		/* LAN port, steering on */
	uint32_t dnpt_slots;	/* uplinks whose prefix arrives here */
	uint64_t now;
};

/* The general path for one packet: parse fully, check, dispatch. */
static __rte_noinline void
slow_packet(struct nep_worker *w, const struct rx_ctx *c, struct rte_mbuf *m)
{
	const struct nep_port *p = &w->app->ports[c->port];
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct nep_pkt_info pi;
	enum nep_drop_reason r;

	r = nep_pkt_parse(f, rte_pktmbuf_data_len(m), &pi);
	if (unlikely(r != NEP_DROP_NONE)) {
		drop(w, m, r);
		return;
	}
	/* Unicast frames must be addressed to this port. */
	if (unlikely(!(f[0] & 1) &&
		    !rte_is_same_ether_addr((const struct rte_ether_addr *)f,
			    &p->mac))) {
		drop(w, m, NEP_DROP_L2_NOT_FOR_US);
		return;
	}
	/* Trim Ethernet padding so lengths below are the IP lengths. */
	if (pi.family != 0) {
		uint32_t want = pi.l3_off + pi.l3_len;
		if (rte_pktmbuf_data_len(m) > want)
			rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) -
				want));
	}
	switch (pi.family) {
	case 6:
		forward6(w, c->s, m, c->port, &pi, c->now);
		break;
	case 4:
		forward4(w, c->s, m, c->port, &pi, c->now);
		break;
	default: /* ARP */
		punt(w, m, NEP_PUNT_LOCAL);
		break;
	}
}

/*
 * Everything the fast path reads per packet, copied into one local once
 * per burst: the packet writes go through uint8_t pointers, which may
 * alias anything in memory, so fields read through w or c would be
 * reloaded after every one of them.
 */
struct fast_ctx {
	struct nep_lcore_stats *stats;
	const struct nep_port *ports;
	struct rte_eth_dev_tx_buffer *const *txb;
	const uint64_t *neigh_mac;
	struct nep_flow_table *t;
	struct nep_flow_entry *fe;
	struct nep_dcache *dc;
	const struct nep_steer_state *st;
	uint64_t now, flush_tsc;
	uint32_t usable6;	/* uplinks a flow hit may leave by */
	uint32_t no_flush6;	/* ... without a flush check */
	uint16_t txq;
};

/* Rewrite Ethernet (next hop's MAC word, port's MAC), age, buffer. */
static inline void
fast_xmit(const struct fast_ctx *x, struct rte_mbuf *m, uint8_t *f,
	unsigned out, uint64_t mac)
{
	const struct nep_port *op = &x->ports[out];

#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	/* Two stores: destination MAC + 2 bytes of ours, then the rest. */
	uint16_t s01;
	uint32_t s25;
	uint64_t w0;

	memcpy(&s01, op->mac.addr_bytes, 2);
	memcpy(&s25, op->mac.addr_bytes + 2, 4);
	w0 = (mac & 0xffffffffffffull) | (uint64_t)s01 << 48;
	memcpy(f, &w0, 8);
	memcpy(f + 8, &s25, 4);
#else
	memcpy(f, &mac, 6);
	memcpy(f + 6, &op->mac, 6);
#endif
	f[NEP_ETH_HLEN + 7]--;	/* hop limit */
	x->stats->port_tx[out]++;
	tx_buffer(x->stats, op->id, x->txq, x->txb[out], m);
}

/* A routed packet (already DNPT'ed if it was for an uplink prefix).
 * Returns false when the general path must decide. */
static inline bool
fast_route6(const struct fast_ctx *x, struct rte_mbuf *m, uint8_t *f,
	uint32_t l3_len)
{
	const uint8_t *dst = f + NEP_ETH_HLEN + 24;
	const struct nep_dcache_entry *e = nep_dcache_slot(x->dc, dst);
	uint64_t mac;

	if (unlikely(!nep_dcache_hit(x->dc, e, dst, 6)))
		return false;
	mac = __atomic_load_n(&x->neigh_mac[e->neigh_pos], __ATOMIC_ACQUIRE);
	if (unlikely(!(mac & NEP_NEIGH_VALID) ||
		    l3_len > x->ports[e->out].mtu))
		return false;
	fast_xmit(x, m, f, e->out, mac);
	return true;
}

/*
 * A packet of the established flow at position pos: translate and send
 * it on the flow's uplink. Returns false when the general path must
 * decide (uplink down or flushed, next hop unresolved, too big,
 * unmappable source).
 */
static inline bool
fast_steer_hit(const struct fast_ctx *x, struct rte_mbuf *m, uint8_t *f,
	uint32_t l3_len, int32_t pos)
{
	struct nep_flow_entry *e = &x->fe[pos];
	const struct nep_uplink_fwd *uf;
	unsigned u = e->uplink;
	uint64_t mac;

	/* (NEP_FLOW_UPLINK_BYPASS is never below NEP_MAX_UPLINKS.) */
	if (unlikely(u >= NEP_MAX_UPLINKS || !((x->no_flush6 >> u) & 1))) {
		if (u >= NEP_MAX_UPLINKS || !((x->usable6 >> u) & 1) ||
			e->created_tsc < x->flush_tsc)
			return false;
	}
	uf = &x->st->up[u];
	mac = __atomic_load_n(&x->neigh_mac[uf->nh6_pos], __ATOMIC_ACQUIRE);
	/* MTU before translation: the error must reach the host. */
	if (unlikely(!(mac & NEP_NEIGH_VALID) ||
		    l3_len > x->ports[uf->port].mtu ||
		    nep_nptv6_snpt(&uf->npt, f + NEP_ETH_HLEN + 8) < 0))
		return false;
	e->last_tsc = x->now;
	e->packets++;
	e->bytes += l3_len;
	if (f[NEP_ETH_HLEN + 6] == NEP_PROTO_TCP &&
		(f[NEP_ETH_HLEN + NEP_IP6_HLEN + 13] & 0x05))
		e->flags |= NEP_FLOW_F_FIN;	/* FIN or RST */
	x->stats->up_tx_pkts[u]++;
	x->stats->up_tx_bytes[u] += l3_len;
	fast_xmit(x, m, f, uf->port, mac);
	return true;
}

/* Flows the exact-match cache missed: one rte_hash bulk lookup. */
static inline void
fast_steer_misses(struct nep_worker *w, const struct rx_ctx *c,
	const struct fast_ctx *x, struct rte_mbuf **pkts,
	struct fast_batch *fb)
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
			nep_flow_emc_insert(x->t, fb->sig[k], pos[k]);
			if (fast_steer_hit(x, m, rte_pktmbuf_mtod(m, uint8_t *),
				    fb->l3_len[k], pos[k]))
				continue;
		}
		/* New, moved, flushed or routed flows, and the rest. */
		slow_packet(w, c, m);
	}
	fb->n = 0;
}

/*
 * The fast path. Each packet of a burst that is plain IPv6 TCP/UDP,
 * addressed to this port, not expiring and for a unicast global
 * destination is handled here:
 *  - from the LAN with an inside source: its flow key is hashed and looked
 *    up in the exact-match cache; a hit on a usable uplink is translated
 *    and sent without FIB or classifier; cache misses are looked up
 *    together in rte_hash after the burst (the packets of one flow keep
 *    their order: they all hit or all miss);
 *  - from an uplink's port to its delegated prefix: translated back (DNPT)
 *    and, like any other routed packet, sent through the destination
 *    cache.
 * Everything else, and every case that needs a decision (new or moved
 * flow, unresolved neighbour, MTU), takes the general path (forward6 and
 * friends), which re-checks from the start.
 */
static inline void
process_burst(struct nep_worker *w, const struct rx_ctx *c,
	struct rte_mbuf **pkts, uint16_t n, struct fast_batch *fb)
{
	struct nep_app *app = w->app;
	const struct nep_port *p = &app->ports[c->port];
	const struct nep_snapshot *s = c->s;
	const bool lan_steer = c->lan_steer;
	const bool lan_routed = c->st != NULL && p->role == NEP_PORT_LAN;
	const uint32_t dnpt_slots = c->dnpt_slots;
	uint64_t port_mac = 0, hits = 0;
	struct fast_ctx x = {
		.stats = w->stats,
		.ports = app->ports,
		.txb = w->txb,
		.neigh_mac = app->neigh->mac,
		.t = w->flows,
		.fe = w->flows != NULL ? w->flows->e : NULL,
		.dc = w->dc,
		.st = c->st,
		.now = c->now,
		.txq = (uint16_t)w->index,
	};
	unsigned j;

	if (c->st != NULL) {
		const struct nep_steer_state *st = c->st;
		uint32_t ok = 0;

		for (unsigned u = 0; u < st->n_slots; u++)
			if (st->up[u].nh6_pos >= 0)
				ok |= 1u << u;
		x.usable6 = st->usable6 & ok;
		x.no_flush6 = x.usable6 & ~st->flush_mask;
		x.flush_tsc = st->flush_tsc;
	}
	memcpy(&port_mac, &p->mac, 6);
	for (j = 0; j < n && j < 4; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
	for (j = 0; j < n; j++) {
		struct rte_mbuf *m = pkts[j];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(m), l3_len;
		uint64_t dmac = 0;
		uint8_t *ip6 = f + NEP_ETH_HLEN;

		if (j + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[j + 4], void *));
		memcpy(&dmac, f, 6);
		/* Fast path: unpadded IPv6 TCP/UDP for us to forward. */
		l3_len = nep_pkt_ip6_l4_len(f, len);
		if (unlikely(dmac != port_mac || l3_len == 0 ||
			    len != NEP_ETH_HLEN + l3_len || ip6[7] <= 1 ||
			    ip6[24] == 0xff || nep_ip6_is_linklocal(ip6 + 24)))
			goto slow;
		if (lan_steer && steer_src_inside(s, ip6 + 8)) {
			unsigned k = fb->n;
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
			nep_flow_kv_store(&kv, &fb->keys[k]);
			fb->idx[k] = (uint16_t)j;
			fb->l3_len[k] = (uint16_t)l3_len;
			fb->sig[k] = sig;
			fb->n = k + 1;
			continue;
		}
		if (dnpt_slots != 0) {
			/* For an uplink's delegated prefix? */
			int r = inbound_dnpt(w, m, c->port, NULL, l3_len,
				(struct rte_ipv6_hdr *)ip6);
			if (r < 0)
				continue;	/* punted: unmappable */
		} else if (lan_routed) {
			/* LAN traffic from outside the inside prefixes:
			 * plain routing, decided by the general path. */
			goto slow;
		}
		if (likely(fast_route6(&x, m, f, l3_len)))
			continue;
slow:
		slow_packet(w, c, m);
	}
	x.stats->flow_cache_hits += hits;
	if (fb->n != 0)
		fast_steer_misses(w, c, &x, pkts, fb);
}

int
nep_worker_main(void *arg)
{
	struct nep_worker *w = arg;
	struct nep_app *app = w->app;
	struct rte_mbuf *pkts[NEP_BURST_MAX];
	static __thread struct fast_batch fb;
	const uint64_t drain_tsc = rte_get_tsc_hz() * app->cfg->drain_us /
		1000000ull;
	const uint16_t burst = (uint16_t)app->cfg->burst;
	uint64_t last_drain = rte_rdtsc();
	unsigned i, j;

	for (i = 0; i < app->n_ports; i++)
		rte_eth_tx_buffer_set_err_callback(w->txb[i], tx_drop_cb,
			w->stats);
	rte_rcu_qsbr_thread_register(app->qsv, w->index);
	rte_rcu_qsbr_thread_online(app->qsv, w->index);
	NEP_LOG(INFO, "worker %u on lcore %u polls %u queues", w->index,
		w->lcore_id, w->n_rxq);

	while (!__atomic_load_n(&app->quit, __ATOMIC_RELAXED)) {
		const struct nep_snapshot *s =
			__atomic_load_n(&app->snap, __ATOMIC_ACQUIRE);
		uint64_t now = rte_rdtsc();
		struct rx_ctx c;
		bool busy = false;

		nep_dcache_revalidate(w->dc, s->generation,
			nep_neigh_gen(app->neigh));

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
			c.s = s;
			c.st = s->steering ? __atomic_load_n(&app->steer,
				__ATOMIC_ACQUIRE) : NULL;
			c.port = port;
			c.now = now;
			c.lan_steer = c.st != NULL && w->flows != NULL &&
				app->ports[port].role == NEP_PORT_LAN;
			c.dnpt_slots = c.st != NULL ? c.st->port_slots[port] : 0;
			process_burst(w, &c, pkts, n, &fb);
#ifdef NEP_STAGE_CYCLES
			w->stats->cyc_proc += rte_rdtsc() - t1 -
				(w->stats->cyc_tx - tx0);
#endif
		}
		if (unlikely(w->inject != NULL && !rte_ring_empty(w->inject))) {
			/* Frames the control lcore originated (ND, ICMP, probes). */
			uint16_t n = (uint16_t)rte_ring_sc_dequeue_burst(
				w->inject, (void **)pkts, burst, NULL);
			for (j = 0; j < n; j++) {
				unsigned port = pkts[j]->hash.usr;
				w->stats->port_tx[port]++;
				tx_buffer(w->stats, app->ports[port].id,
					(uint16_t)w->index, w->txb[port],
					pkts[j]);
			}
		}
		w->stats->polls++;
		w->stats->busy_polls += busy;
		if (w->flows != NULL && unlikely(!rte_ring_empty(w->flows->expire)))
			nep_flow_reap(w->flows, now, &app->age);
		if (unlikely(now - last_drain > drain_tsc)) {
			for (i = 0; i < app->n_ports; i++)
				rte_eth_tx_buffer_flush(app->ports[i].id,
					(uint16_t)w->index, w->txb[i]);
			last_drain = now;
		}
		rte_rcu_qsbr_quiescent(app->qsv, w->index);
	}
	for (i = 0; i < app->n_ports; i++)
		rte_eth_tx_buffer_flush(app->ports[i].id, (uint16_t)w->index,
			w->txb[i]);
	rte_rcu_qsbr_thread_offline(app->qsv, w->index);
	rte_rcu_qsbr_thread_unregister(app->qsv, w->index);
	return 0;
}
