/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker-side helpers shared by the core stages and the features' hooks
 * and fused fast paths: outcomes (drop, punt, forward), the destination
 * cache, tracing, and the pieces of the fast path. All inline: they run
 * for every packet.
 */
#ifndef NEP_WORKER_H
#define NEP_WORKER_H

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "neptune.h"
#include "nep_dcache.h"
#include "nep_trace.h"

/* rte_eth_tx_buffer(), with the tx burst it triggers timed in
 * -Dstage_cycles builds. Unsent packets: see nep_tx_drop_cb. */
static inline void
nep_tx_buffer(struct nep_lcore_stats *stats, uint16_t port_id, uint16_t queue,
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

static inline void
nep_drop(struct nep_worker *w, struct rte_mbuf *m, unsigned reason)
{
	w->stats->drops[reason]++;
	rte_pktmbuf_free(m);
}

/*
 * What the control lcore gets is policed per class, so that a flood of one
 * kind cannot crowd out the others (docs/architecture.md, "The punt
 * path"): neighbour discovery and ARP, probe replies (echo replies, STAMP)
 * and ICMP to us, packets waiting for a neighbour, everything else to us,
 * ICMP errors to originate. ND, ARP and probe replies also have a ring of
 * their own, which the control lcore drains first.
 */
enum nep_punt_class {
	NEP_PC_ND,
	NEP_PC_PROBE,
	NEP_PC_ICMP,
	NEP_PC_RESOLVE,
	NEP_PC_OTHER,
	NEP_PC_ERROR,
};

_Static_assert(NEP_PC_ERROR + 1 == NEP_PUNT_CLASSES, "punt classes");

#define NEP_STAMP_PORT 862

static inline enum nep_punt_class
nep_punt_class(const uint8_t *f, const struct nep_pkt_info *pi,
	enum nep_punt why)
{
	const uint8_t *l4 = f + pi->l4_off;

	if (why == NEP_PUNT_RESOLVE)
		return NEP_PC_RESOLVE;
	if (pi->family == 0)
		return NEP_PC_ND;	/* ARP */
	if (!pi->has_l4)
		return NEP_PC_OTHER;
	if (pi->l4_proto == NEP_PROTO_ICMPV6) {
		if (l4[0] >= NEP_ICMP6_RS && l4[0] <= NEP_ICMP6_REDIRECT)
			return NEP_PC_ND;
		return l4[0] == 129 ? NEP_PC_PROBE : NEP_PC_ICMP;
	}
	if (pi->l4_proto == NEP_PROTO_ICMP)
		return l4[0] == 0 ? NEP_PC_PROBE : NEP_PC_ICMP;
	if (pi->l4_proto == NEP_PROTO_UDP &&
		(l4[0] << 8 | l4[1]) == NEP_STAMP_PORT)
		return NEP_PC_PROBE;	/* STAMP replies to our sessions */
	return NEP_PC_OTHER;
}

/* GCRA (a token bucket): false when class c is over its rate. */
static inline bool
nep_punt_admit(struct nep_worker *w, enum nep_punt_class c, uint64_t now)
{
	uint64_t t = w->punt_tat[c] > now ? w->punt_tat[c] : now;

	if (w->punt_T[c] == 0)
		return true;	/* no limit */
	if (t - now > w->punt_tau[c])
		return false;
	w->punt_tat[c] = t + w->punt_T[c];
	return true;
}

static const unsigned nep_punt_policed[NEP_PC_ERROR] = {
	NEP_DROP_PUNT_POLICED_ND, NEP_DROP_PUNT_POLICED_PROBE,
	NEP_DROP_PUNT_POLICED_ICMP, NEP_DROP_PUNT_POLICED_RESOLVE,
	NEP_DROP_PUNT_POLICED_OTHER,
};

/* Hand m to the control lcore: its class's policer, then its ring. Being
 * policed or the ring being full is the packet's one outcome then. */
static inline void
nep_punt(struct nep_worker *w, struct rte_mbuf *m, struct nep_meta *meta,
	enum nep_punt why, const uint8_t *f, const struct nep_pkt_info *pi)
{
	enum nep_punt_class c = nep_punt_class(f, pi, why);
	uint64_t now = rte_rdtsc();
	struct rte_ring *r;

	if (unlikely(!nep_punt_admit(w, c, now))) {
		nep_drop(w, m, nep_punt_policed[c]);
		return;
	}
	meta->punt = (uint8_t)why;
	/* Arrival time, so a busy control lcore does not make probe
	 * replies look late. */
	meta->arrival_tsc = (uint32_t)now;
	r = c <= NEP_PC_PROBE && w->punt_hi != NULL ? w->punt_hi : w->punt;
	if (unlikely(rte_ring_sp_enqueue(r, m) != 0)) {
		nep_drop(w, m, NEP_DROP_PUNT_RING_FULL);
		return;
	}
	w->stats->punted++;
	w->stats->punts[why]++;
	w->stats->punt_class[c]++;
}

/*
 * The verdict of a packet that is dropped under reason and answered with
 * an ICMP error (err, param) by the control lcore.
 */
static inline nep_verdict_t
nep_icmp_error_verdict(struct nep_meta *meta, unsigned reason,
	enum nep_icmp_err err, uint32_t param)
{
	meta->reason = (uint8_t)reason;
	meta->icmp_err = (uint8_t)err;
	meta->icmp_param = param;
	return NEP_VERDICT_PUNT(NEP_PUNT_ICMP_ERROR);
}

/*
 * m (its meta filled by nep_icmp_error_verdict) is dropped under its
 * reason, its one outcome, and goes to the control lcore, which only
 * reads it to build the error. A full ring loses the error, not the count.
 */
static inline void
nep_punt_icmp_error(struct nep_worker *w, struct rte_mbuf *m,
	struct nep_meta *meta)
{
	w->stats->drops[meta->reason]++;
	meta->punt = NEP_PUNT_ICMP_ERROR;
	/* policed or refused: the error is lost, the packet counted once */
	if (unlikely(!nep_punt_admit(w, NEP_PC_ERROR, rte_rdtsc()) ||
		    rte_ring_sp_enqueue(w->punt, m) != 0)) {
		w->stats->icmp_errors_lost++;
		rte_pktmbuf_free(m);
		return;
	}
	w->stats->punts[NEP_PUNT_ICMP_ERROR]++;
}

/*
 * Route a destination (16 bytes, IPv4 zero padded) in rib, uncached:
 * returns the FIB next-hop value and, for connected and gateway routes,
 * the egress port index and the neighbour position (< 0 when the
 * neighbour has no entry yet).
 */
static inline uint64_t
nep_route_rib(const struct nep_app *app, const struct nep_rib *rib,
	uint8_t family, const uint8_t *dst, unsigned *out, int32_t *npos)
{
	struct nep_neigh_key k;
	const uint8_t *hop;
	uint16_t ifid;
	uint64_t nh;

	if (family == 6) {
		nh = nep_rib_lookup6(rib, dst);
	} else {
		uint32_t a;
		memcpy(&a, dst, 4);
		nh = nep_rib_lookup4(rib, a);
	}
	hop = nep_rib_next_hop(rib, nh, dst, &ifid);
	if (hop == NULL)
		return nh;	/* local or no route */
	nep_neigh_key_set(&k, ifid, family, hop);
	*out = (unsigned)app->port_index[ifid];
	*npos = nep_neigh_lookup_pos(app->neigh, &k);
	return nh;
}

/*
 * The same in the main table (0) through the worker's destination cache
 * (keyed by destination only: other tables use nep_route_rib()).
 * Unresolved neighbours are not cached; a destination whose egress is a
 * VLAN sub-interface is cached for the general path only.
 */
static inline uint64_t
nep_route(struct nep_worker *w, const struct nep_snapshot *s, uint8_t family,
	const uint8_t *dst, unsigned *out, int32_t *npos)
{
	struct nep_app *app = w->app;
	struct nep_dcache *c = w->dc;
	struct nep_dcache_entry *e = nep_dcache_slot(c, dst);
	uint64_t nh;

	if (likely(nep_dcache_hit_any(c, e, dst, family))) {
		*out = e->out;
		*npos = e->neigh_pos;
		return e->nh;
	}
	w->stats->route_cache_misses++;
	*npos = -1;
	nh = nep_route_rib(app, &s->rib, family, dst, out, npos);
	if (*npos >= 0)
		nep_dcache_fill(c, e, dst, (uint8_t)(family |
			(app->ports[*out].vlan != 0 ? NEP_DCACHE_F_SLOW : 0)),
			(uint16_t)nh, (uint8_t)*out, *npos);
	return nh;
}

/* The egress port index of a FIB result of rib, or -1 (local, none). */
static inline int
nep_route_port_rib(const struct nep_app *app, const struct nep_rib *rib,
	uint64_t nh)
{
	switch (nep_nh_kind(nh)) {
	case NEP_NH_CONNECTED:
		return app->port_index[(uint16_t)nep_nh_index(nh)];
	case NEP_NH_GATEWAY:
		return app->port_index[rib->nh[nep_nh_index(nh)].port];
	default:
		return -1;
	}
}

/* The same for a result of the main table. */
static inline int
nep_route_port(const struct nep_app *app, const struct nep_snapshot *s,
	uint64_t nh)
{
	return nep_route_port_rib(app, &s->rib, nh);
}

/* Parse m again after an ingress hook decapsulated it (worker.c): the
 * verdict for the hook to return (NEXT: on to the lookup). */
nep_verdict_t nep_reinput(struct nep_pctx *c, struct rte_mbuf *m);

/* The general path: every stage, one packet (worker.c). */
void nep_general_path(struct nep_worker *w, const struct nep_rx_burst *b,
	struct rte_mbuf *m);

/* ---- the fast path's pieces ---- */

/*
 * Everything a fast path reads per packet, copied into one local once
 * per burst: the packet writes go through uint8_t pointers, which may
 * alias anything in memory, so fields read through w would be reloaded
 * after every one of them.
 */
struct nep_fast_ctx {
	struct nep_lcore_stats *stats;
	const struct nep_port *ports;
	struct rte_eth_dev_tx_buffer *const *txb;
	const uint64_t *neigh_mac;
	struct nep_dcache *dc;
	uint64_t now;
	uint16_t txq;
};

static inline void
nep_fast_ctx_init(struct nep_fast_ctx *x, struct nep_worker *w,
	const struct nep_rx_burst *b)
{
	x->stats = w->stats;
	x->ports = w->app->ports;
	x->txb = w->txb;
	x->neigh_mac = w->app->neigh->mac;
	x->dc = w->dc;
	x->now = b->now;
	x->txq = (uint16_t)w->index;
}

/* Rewrite Ethernet (next hop's MAC word, port's MAC), age the IPv6 hop
 * limit or the IPv4 TTL (its checksum fixed), buffer for tx. */
static inline void
nep_fast_xmit_af(const struct nep_fast_ctx *x, struct rte_mbuf *m,
	uint8_t *f, unsigned out, uint64_t mac, int family)
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
	if (family == 6)
		f[NEP_ETH_HLEN + 7]--;	/* hop limit */
	else
		nep_ip4_dec_ttl((struct rte_ipv4_hdr *)(f + NEP_ETH_HLEN));
	x->stats->port_tx[out]++;
	x->stats->forwarded++;
	nep_tx_buffer(x->stats, op->id, x->txq, x->txb[out], m);
}

static inline void
nep_fast_xmit(const struct nep_fast_ctx *x, struct rte_mbuf *m, uint8_t *f,
	unsigned out, uint64_t mac)
{
	nep_fast_xmit_af(x, m, f, out, mac, 6);
}

/* Where the destination cache sends dst: false when the general path
 * must decide (not cached, neighbour unresolved, too big for the port). */
static inline bool
nep_fast_route6_dst(const struct nep_fast_ctx *x, const uint8_t *dst,
	uint32_t l3_len, unsigned *out, uint64_t *mac)
{
	const struct nep_dcache_entry *e = nep_dcache_slot(x->dc, dst);

	if (unlikely(!nep_dcache_hit(x->dc, e, dst, 6)))
		return false;
	*mac = __atomic_load_n(&x->neigh_mac[e->neigh_pos], __ATOMIC_ACQUIRE);
	if (unlikely(!(*mac & NEP_NEIGH_VALID) ||
		    l3_len > x->ports[e->out].mtu || !x->ports[e->out].link_up))
		return false;
	*out = e->out;
	return true;
}

/* A routed IPv6 packet through the destination cache. Returns false when
 * the general path must decide. */
static inline bool
nep_fast_route6(const struct nep_fast_ctx *x, struct rte_mbuf *m, uint8_t *f,
	uint32_t l3_len)
{
	unsigned out;
	uint64_t mac;

	if (!nep_fast_route6_dst(x, f + NEP_ETH_HLEN + 24, l3_len, &out, &mac))
		return false;
	nep_fast_xmit(x, m, f, out, mac);
	return true;
}

/* The frame length a fast path may use: a chain of segments (nb_segs > 1)
 * is the general path's (it makes it one segment first). */
static inline uint32_t
nep_fast_len(const struct rte_mbuf *m)
{
	return likely(m->nb_segs == 1) ? rte_pktmbuf_data_len(m) : 0;
}

/* The destination MAC of f as a word (bytes 0..5), for comparing with
 * the port's. Two loads: a 6-byte copy into a zeroed word would be
 * stored and reloaded (a store-forwarding stall on every packet). */
static inline uint64_t
nep_fast_dmac(const uint8_t *f)
{
	uint32_t d0;
	uint16_t d1;

	memcpy(&d0, f, 4);
	memcpy(&d1, f + 4, 2);
	return d0 | (uint64_t)d1 << 32;
}

/*
 * The fast path's entry test: an unpadded IPv6 TCP/UDP frame for this
 * port's MAC, hop limit > 1, global unicast destination. Returns its L3
 * length, 0 when the general path must take the packet.
 */
static inline uint32_t
nep_fast_eligible6(const uint8_t *f, uint32_t len, uint64_t port_mac)
{
	const uint8_t *ip6 = f + NEP_ETH_HLEN;
	uint32_t l3_len;
	uint64_t dmac;

	if (unlikely(len < NEP_ETH_HLEN + NEP_IP6_HLEN + 8))
		return 0;	/* before any byte is read */
	dmac = nep_fast_dmac(f);
	l3_len = nep_pkt_ip6_l4_len(f, len);
	if (unlikely(dmac != port_mac || l3_len == 0 ||
		    len != NEP_ETH_HLEN + l3_len || ip6[7] <= 1 ||
		    ip6[24] == 0xff || nep_ip6_is_linklocal(ip6 + 24)))
		return 0;
	return l3_len;
}

/*
 * The IPv4 entry test: an unpadded IPv4 TCP/UDP frame with a 20-byte
 * header for this port's MAC, not a fragment, TTL > 1, a unicast
 * destination (nep_pkt_ip4_l4_len has the rest). Returns its L3 length,
 * 0 when the general path must take the packet.
 */
static inline uint32_t
nep_fast_eligible4(const uint8_t *f, uint32_t len, uint64_t port_mac)
{
	const uint8_t *ip = f + NEP_ETH_HLEN;
	uint32_t l3_len;

	if (unlikely(len < NEP_ETH_HLEN + 20 + 8))
		return 0;	/* before any byte is read */
	if (unlikely(nep_fast_dmac(f) != port_mac))
		return 0;
	l3_len = nep_pkt_ip4_l4_len(f, len);
	if (unlikely(l3_len == 0 || ip[8] <= 1 || (ip[16] & 0xf0) == 0xe0 ||
		    (ip[16] & ip[17] & ip[18] & ip[19]) == 0xff))
		return 0;
	return l3_len;
}

#endif /* NEP_WORKER_H */
