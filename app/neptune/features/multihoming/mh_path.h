/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet pieces of multihoming's path that both the stage hooks
 * and the fused fast path run (stages.c), and that the stage benchmark
 * (tests/bench/stages.c) times: DNPT of an arriving packet, and sending
 * a packet of an established flow on its uplink.
 */
#ifndef NEP_MH_PATH_H
#define NEP_MH_PATH_H

#include "mh.h"
#include "mh_export.h"
#include "nep_worker.h"
#include "steer.h"

static inline const struct nep_steer_state *
steer_state(const struct nep_app *app)
{
	return __atomic_load_n(&MH(app)->steer, __ATOMIC_ACQUIRE);
}

/*
 * Is dst (arriving on in_port) in an uplink's delegated prefix? Writes its
 * inside translation to out (16 bytes; may be dst itself) and returns the
 * slot; -1 when it is in none, -2 when it cannot be mapped (RFC 6296 5).
 * The packet itself is written later (after the checks whose errors must
 * quote what was received), by mh_ingress_rewrite or the fast path.
 */
static inline int
mh_dnpt_addr(const struct nep_steer_state *st, unsigned in_port,
	const uint8_t *dst, uint8_t *out)
{
	for (uint32_t slots = st->port_slots[in_port]; slots != 0;
		slots &= slots - 1) {
		unsigned u = (unsigned)__builtin_ctz(slots);
		const struct nep_uplink_fwd *uf = &st->up[u];
		if (!nep_nptv6_in_outside(&uf->npt, dst))
			continue;
		if (out != dst) {
			/* Two 8-byte moves: the mapping loads and stores each
			 * half as one word, and so does the copy back, so
			 * every load is forwarded from a store of its size. */
			uint64_t h0, h1;
			memcpy(&h0, dst, 8);
			memcpy(&h1, dst + 8, 8);
			memcpy(out, &h0, 8);
			memcpy(out + 8, &h1, 8);
		}
		if (unlikely(nep_nptv6_dnpt(&uf->npt, out) < 0))
			return -2;
		return (int)u;
	}
	return -1;
}

/* What the fused path reads per packet, in one local (see
 * struct nep_fast_ctx). */
struct mh_fast {
	struct nep_fast_ctx x;
	struct mh_stats *stats;
	struct nep_flow_table *t;
	struct nep_flow_entry *fe;
	const struct nep_steer_state *st;
	uint64_t flush_tsc;
	uint32_t usable6;	/* uplinks a flow hit may leave by */
	uint32_t no_flush6;	/* ... without a flush check */
	uint32_t usable4;	/* the same for IPv4 */
	uint32_t no_flush4;
	nep_mh_fast_xlat4_fn xlat4;	/* NAT44's, or NULL */
	const struct nep_snapshot *s;
	struct nep_worker *w;
};

/*
 * A packet of the established flow at position pos: translate and send
 * it on the flow's uplink. Returns false when the general path must
 * decide (uplink down or flushed, next hop unresolved, too big,
 * unmappable source).
 */
static inline bool
fast_steer_hit(const struct mh_fast *x, struct rte_mbuf *m, uint8_t *f,
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
	mac = __atomic_load_n(&x->x.neigh_mac[uf->nh6_pos], __ATOMIC_ACQUIRE);
	/* MTU before translation: the error must reach the host. */
	if (unlikely(!(mac & NEP_NEIGH_VALID) ||
		    l3_len > x->x.ports[uf->port].mtu ||
		    !x->x.ports[uf->port].link_up ||
		    nep_nptv6_snpt(&uf->npt, f + NEP_ETH_HLEN + 8) < 0))
		return false;
	e->last_tsc = x->x.now;
	e->packets++;
	e->bytes += l3_len;
	if (f[NEP_ETH_HLEN + 6] == NEP_PROTO_TCP &&
		(f[NEP_ETH_HLEN + NEP_IP6_HLEN + 13] & 0x05))
		e->flags |= NEP_FLOW_F_FIN;	/* FIN or RST */
	x->stats->up_tx_pkts[u]++;
	x->stats->up_tx_bytes[u] += l3_len;
	nep_fast_xmit(&x->x, m, f, uf->port, mac);
	return true;
}

/*
 * The same for an IPv4 flow (nep_fast_eligible4 took the packet): on its
 * uplink's IPv4 next hop, translated by the registered translator (NAT44)
 * with the cookie the flow entry holds, else untranslated.
 */
static inline bool
fast_steer_hit4(const struct mh_fast *x, struct rte_mbuf *m, uint8_t *f,
	uint32_t l3_len, int32_t pos)
{
	struct nep_flow_entry *e = &x->fe[pos];
	uint8_t *ip = f + NEP_ETH_HLEN;
	const struct nep_uplink_fwd *uf;
	unsigned u = e->uplink;
	uint64_t mac;

	if (unlikely(u >= NEP_MAX_UPLINKS || !((x->no_flush4 >> u) & 1))) {
		if (u >= NEP_MAX_UPLINKS || !((x->usable4 >> u) & 1) ||
			e->created_tsc < x->flush_tsc)
			return false;
	}
	uf = &x->st->up[u];
	mac = __atomic_load_n(&x->x.neigh_mac[uf->nh4_pos], __ATOMIC_ACQUIRE);
	/* MTU before translation: the error must reach the host. */
	if (unlikely(!(mac & NEP_NEIGH_VALID) ||
		    l3_len > x->x.ports[uf->port].mtu ||
		    !x->x.ports[uf->port].link_up))
		return false;
	if (x->xlat4 != NULL &&
		unlikely(!x->xlat4(x->s, x->w, ip, u, e->xlat, x->x.now)))
		return false;
	e->last_tsc = x->x.now;
	e->packets++;
	e->bytes += l3_len;
	if (ip[9] == NEP_PROTO_TCP && (ip[33] & 0x05))
		e->flags |= NEP_FLOW_F_FIN;	/* FIN or RST */
	x->stats->up_tx_pkts[u]++;
	x->stats->up_tx_bytes[u] += l3_len;
	nep_fast_xmit_af(&x->x, m, f, uf->port, mac, 4);
	return true;
}

#endif /* NEP_MH_PATH_H */
