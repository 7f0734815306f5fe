/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-plane output: frames the control lcore sends (replies, ICMP
 * errors, probes, packets that waited for a neighbour) leave through
 * worker 0's inject ring; neighbour resolution callbacks; ICMP errors
 * with their rate limit.
 */
#include <stdio.h>
#include <sys/socket.h>

#include <rte_arp.h>
#include <rte_ethdev.h>

#include "neptune.h"
#include "nep_control.h"
#include "nep_pkt.h"

static inline bool
is_orig(struct rte_mbuf *m)
{
	return (nep_meta(m)->flags & NEP_META_F_ORIG) != 0;
}

void
nep_ctl_drop(struct nep_app *app, struct rte_mbuf *m, unsigned reason)
{
	if (is_orig(m))
		nep_ctl_stats(app)->orig_drops++;
	else
		nep_ctl_stats(app)->drops[reason]++;
	rte_pktmbuf_free(m);
}

void
nep_ctl_tx(struct nep_app *app, unsigned port, struct rte_mbuf *m)
{
	bool orig = is_orig(m);

	if (unlikely(!app->ports[port].link_up)) {
		nep_ctl_drop(app, m, NEP_DROP_PORT_DOWN);
		return;
	}
	/* A sub-interface's frames carry its tag on the wire. */
	if (app->ports[port].vlan != 0) {
		if (nep_vlan_push(m, app->ports[port].vlan) < 0) {
			nep_ctl_drop(app, m, NEP_DROP_NO_HEADROOM);
			return;
		}
		/* the offsets of a frame the worker stamps move with it */
		if (nep_meta(m)->flags & NEP_META_F_TXSTAMP)
			nep_meta(m)->icmp_param += 4u << 16 | 4u;
	}
	nep_meta(m)->out_port = (uint8_t)port;
	if (rte_ring_sp_enqueue(app->workers[0].inject, m) != 0) {
		nep_ctl_drop(app, m, NEP_DROP_TX_FULL);
		return;
	}
	if (orig)
		nep_ctl_stats(app)->tx_pkts++;
	else
		nep_ctl_stats(app)->ctl_forwarded++;
}

void
nep_ctl_set_eth(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const uint8_t *dst_mac, uint16_t ethertype)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	memcpy(&eth->dst_addr, dst_mac, 6);
	rte_ether_addr_copy(&app->ports[port].mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(ethertype);
}

struct rte_mbuf *
nep_ctl_alloc(struct nep_app *app)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(app->pool);
	struct nep_meta *meta;

	if (m == NULL) {
		/* Not a received packet: a frame we could not originate. */
		nep_ctl_stats(app)->orig_drops++;
		return NULL;
	}
	meta = nep_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->flags = NEP_META_F_ORIG;
	meta->out_port = NEP_META_NO_PORT;
	meta->neigh_pos = -1;
	return m;
}

/* ---- neighbour callbacks ---- */

static void
neigh_xmit(void *arg, struct rte_mbuf *m, uint64_t mac)
{
	struct nep_app *app = arg;
	struct nep_meta *meta = nep_meta(m);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	unsigned port = meta->out_port;

	if (!(meta->flags & NEP_META_F_ORIG) && app->held > 0)
		app->held--;
	if (meta->flags & NEP_META_F_FWD) {
		if (et == RTE_ETHER_TYPE_IPV6)
			((struct rte_ipv6_hdr *)(f + 14))->hop_limits--;
		else
			nep_ip4_dec_ttl((struct rte_ipv4_hdr *)(f + 14));
	}
	nep_ctl_set_eth(app, m, port, (const uint8_t *)&mac, et);
	nep_ctl_tx(app, port, m);
}

static void
neigh_drop(void *arg, struct rte_mbuf *m, enum nep_drop_reason r)
{
	struct nep_app *app = arg;

	if (!is_orig(m) && app->held > 0)
		app->held--;
	nep_ctl_drop(app, m, r);
}

static void
neigh_solicit(void *arg, const struct nep_neigh_key *k, const uint8_t *mac)
{
	struct nep_app *app = arg;
	unsigned port = (unsigned)app->port_index[k->port];
	struct rte_mbuf *m = nep_ctl_alloc(app);
	uint8_t *f, src[16];
	uint32_t len;

	if (m == NULL)
		return;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	if (k->family == 6) {
		uint8_t dst[16], dmac[6];
		if (mac != NULL) {
			memcpy(dst, k->addr, 16);
			memcpy(dmac, mac, 6);
		} else {
			nep_ip6_solicited_node(k->addr, dst);
			nep_ip6_mcast_mac(dst, dmac);
		}
		nep_port_addr(app, port, 6, k->addr, src);
		len = nep_nd_build_ns(f + 14, 256, src, dst, k->addr,
			app->ports[port].mac.addr_bytes);
		nep_ctl_set_eth(app, m, port, dmac, RTE_ETHER_TYPE_IPV6);
	} else {
		static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff };
		static const uint8_t zero[6];
		uint32_t spa = 0, tpa;
		if (!nep_port_addr(app, port, 4, k->addr, (uint8_t *)&spa)) {
			rte_pktmbuf_free(m);
			return;
		}
		memcpy(&tpa, k->addr, 4);
		len = nep_arp_build(f + 14, 256, RTE_ARP_OP_REQUEST,
			app->ports[port].mac.addr_bytes, spa, zero, tpa);
		nep_ctl_set_eth(app, m, port, mac != NULL ? mac : bcast,
			RTE_ETHER_TYPE_ARP);
	}
	m->data_len = m->pkt_len = 14 + len;
	nep_ctl_tx(app, port, m);
}

void
nep_ctl_output_init(struct nep_app *app)
{
	app->neigh_ops.solicit = neigh_solicit;
	app->neigh_ops.xmit = neigh_xmit;
	app->neigh_ops.drop = neigh_drop;
	app->neigh_ops.arg = app;
	app->icmp_last_ms = nep_now_ms();
	app->icmp_tokens_milli = (uint64_t)app->cfg->icmp_burst * 1000;
}

bool
nep_port_addr(const struct nep_app *app, unsigned port, uint8_t family,
	const uint8_t *peer, uint8_t *out)
{
	const struct nep_port_conf *pc = &app->cfg->ports[port];
	int af = family == 4 ? AF_INET : AF_INET6;
	bool found = false;

	for (unsigned i = 0; i < pc->n_addrs; i++) {
		const struct nep_ifaddr *ia = &pc->addrs[i];
		struct nep_prefix p;
		struct nep_addr a = { .family = (uint8_t)af };

		if (ia->addr.family != af)
			continue;
		if (!found) {
			memcpy(out, ia->addr.a, family == 4 ? 4 : 16);
			found = true;
		}
		if (peer == NULL)
			break;
		memcpy(a.a, peer, family == 4 ? 4 : 16);
		p.addr = ia->addr;
		p.len = ia->len;
		if (nep_prefix_contains(&p, &a)) {
			memcpy(out, ia->addr.a, family == 4 ? 4 : 16);
			return true;
		}
	}
	if (!found && family == 6) {
		memcpy(out, app->ports[port].ll, 16);
		found = true;
	}
	return found;
}

/* ---- output of routed packets (forwarded or originated here) ---- */

/* To key k: now if its MAC is known, else held until it resolves. */
static void
send_to_key(struct nep_app *app, struct rte_mbuf *m,
	const struct nep_neigh_key *k)
{
	uint64_t mac;

	nep_meta(m)->out_port = (uint8_t)app->port_index[k->port];
	mac = nep_neigh_lookup(app->neigh, k);
	if (mac & NEP_NEIGH_VALID) {
		if (!is_orig(m))
			app->held++;	/* neigh_xmit takes it back */
		neigh_xmit(app, m, mac);
		return;
	}
	if (!is_orig(m))
		app->held++;
	nep_neigh_resolve(app->neigh, k, m, nep_now_ms(), &app->neigh_ops);
}

void
nep_ctl_route_out(struct nep_app *app, struct rte_mbuf *m, uint8_t family)
{
	const struct nep_rib *rib = nep_snap_rib(app->snap, nep_meta(m)->table);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *dst, *hop;
	struct nep_neigh_key k;
	uint16_t port_id;
	uint64_t nh;

	if (rib == NULL) {
		nep_ctl_drop(app, m, NEP_DROP_NO_ROUTE);
		return;
	}
	if (family == 6) {
		dst = ((struct rte_ipv6_hdr *)(f + 14))->dst_addr;
		nh = nep_rib_lookup6(rib, dst);
	} else {
		uint32_t d4;

		/* f + 30 is 2 bytes off a 4-byte boundary: copy, do not cast */
		dst = f + 14 + offsetof(struct rte_ipv4_hdr, dst_addr);
		memcpy(&d4, dst, 4);
		nh = nep_rib_lookup4(rib, d4);
	}
	hop = nep_rib_next_hop(rib, nh, dst, &port_id);
	if (hop == NULL) {
		nep_ctl_drop(app, m, NEP_DROP_NO_ROUTE);
		return;
	}
	nep_neigh_key_set(&k, port_id, family, hop);
	send_to_key(app, m, &k);
}

void
nep_ctl_send_via(struct nep_app *app, struct rte_mbuf *m, uint16_t ifid,
	uint8_t family, const uint8_t *nh)
{
	struct nep_neigh_key k;

	nep_neigh_key_set(&k, ifid, family, nh);
	send_to_key(app, m, &k);
}

void
nep_ctl_send_to_pos(struct nep_app *app, struct rte_mbuf *m, int32_t pos)
{
	unsigned out = nep_meta(m)->out_port;
	struct nep_neigh_key k;

	/* The position was read by the worker; the entry may have failed,
	 * been deleted and its slot reused since: it must still be a
	 * neighbour on the packet's egress port. */
	if (nep_neigh_key_at(app->neigh, pos, &k) != 0 ||
		out >= app->n_ports || k.port != app->ports[out].ifid) {
		nep_ctl_drop(app, m, NEP_DROP_NEIGH_FAILED);
		return;
	}
	send_to_key(app, m, &k);
}

int32_t
nep_ctl_neigh_pin(struct nep_app *app, uint16_t ifid, uint8_t family,
	const uint8_t *addr)
{
	struct nep_neigh_key k;

	nep_neigh_key_set(&k, ifid, family, addr);
	return nep_neigh_pin(app->neigh, &k, nep_now_ms(), &app->neigh_ops);
}

void
nep_control_flush_neighbors(struct nep_app *app)
{
	/* Static entries stay: they are PERMANENT. */
	nep_neigh_flush(app->neigh, &app->neigh_ops);
}

/* ---- ICMP errors ---- */

static bool
icmp_allowed(struct nep_app *app)
{
	uint64_t now = nep_now_ms();
	uint64_t cap = (uint64_t)app->cfg->icmp_burst * 1000;

	app->icmp_tokens_milli += (now - app->icmp_last_ms) *
		app->cfg->icmp_rate_pps;
	app->icmp_last_ms = now;
	if (app->icmp_tokens_milli > cap)
		app->icmp_tokens_milli = cap;
	if (app->icmp_tokens_milli < 1000) {
		nep_ctl_stats(app)->drops[NEP_DROP_ICMP_RATELIMIT]++;
		return false;
	}
	app->icmp_tokens_milli -= 1000;
	return true;
}

/* Type and code of each error, IPv6 then IPv4 (RFC 4443, RFC 792). */
static const uint8_t icmp_err_codes[NEP_ICMP_ERR_MAX][4] = {
	[NEP_ICMP_ERR_TIME_EXCEEDED] = { NEP_ICMP6_TIME_EXCEEDED, 0,
		NEP_ICMP4_TIME_EXCEEDED, 0 },
	[NEP_ICMP_ERR_UNREACH] = { NEP_ICMP6_DST_UNREACH, 0,
		NEP_ICMP4_DST_UNREACH, 0 },
	[NEP_ICMP_ERR_TOO_BIG] = { NEP_ICMP6_PKT_TOO_BIG, 0,
		NEP_ICMP4_DST_UNREACH, 4 },
	[NEP_ICMP_ERR_PARAM_PROB] = { NEP_ICMP6_PARAM_PROB, 0, 12, 0 },
	[NEP_ICMP_ERR_SR_UPPER] = { NEP_ICMP6_PARAM_PROB, 4, 12, 0 },
	[NEP_ICMP_ERR_PORT_UNREACH] = { NEP_ICMP6_DST_UNREACH, 4,
		NEP_ICMP4_DST_UNREACH, 3 },
};

void
nep_ctl_icmp_error(struct nep_app *app, struct rte_mbuf *m, unsigned in_port,
	enum nep_icmp_err err, uint32_t param)
{
	const uint8_t *tc = icmp_err_codes[err < NEP_ICMP_ERR_MAX ? err : 0];
	uint8_t type6 = tc[0], code6 = tc[1], type4 = tc[2], code4 = tc[3];
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	uint32_t orig_len = rte_pktmbuf_data_len(m) - 14, len;
	struct rte_mbuf *e;
	uint8_t src[16];

	if (type6 == 0 || !icmp_allowed(app) ||
		(e = nep_ctl_alloc(app)) == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t *out = rte_pktmbuf_mtod(e, uint8_t *) + 14;
	uint32_t cap = rte_pktmbuf_tailroom(e) - 14;
	if (et == RTE_ETHER_TYPE_IPV6) {
		const uint8_t *osrc = ((struct rte_ipv6_hdr *)(f + 14))->src_addr;
		nep_port_addr(app, in_port, 6, osrc, src);
		len = nep_icmp6_build_error(out, cap, f + 14, orig_len, type6,
			code6, param, src);
	} else {
		const uint8_t *osrc =
			(const uint8_t *)&((struct rte_ipv4_hdr *)(f + 14))->src_addr;
		uint32_t s4 = 0;
		nep_port_addr(app, in_port, 4, osrc, (uint8_t *)&s4);
		len = nep_icmp4_build_error(out, cap, f + 14, orig_len, type4,
			code4, type4 == NEP_ICMP4_DST_UNREACH && code4 == 4 ?
				param : 0, s4);
	}
	/* Back to the sender in the table it came in on. */
	nep_meta(e)->table = nep_meta(m)->table;
	rte_pktmbuf_free(m);
	if (len == 0) {
		rte_pktmbuf_free(e);
		return;
	}
	e->data_len = e->pkt_len = 14 + len;
	f = rte_pktmbuf_mtod(e, uint8_t *);
	f[12] = (uint8_t)(et >> 8);
	f[13] = (uint8_t)et;
	app->icmp_sent++;
	nep_ctl_route_out(app, e, et == RTE_ETHER_TYPE_IPV6 ? 6 : 4);
}
