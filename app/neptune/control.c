/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control lcore: consumes the punt rings (ARP, ND, ICMP to us, packets
 * waiting for a neighbour, ICMP errors to originate), runs the neighbour
 * timers and the management requests. Packets it originates leave on its
 * own tx queue of each port.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "neptune.h"
#include "nep_pkt.h"

#define CTL_BURST 32
#define CTL_IDLE_SLEEP_NS 100000 /* 100 us between idle polls */

static struct nep_lcore_stats *
ctl_stats(struct nep_app *app)
{
	return &app->stats[rte_lcore_id()];
}

static void
ctl_drop(struct nep_app *app, struct rte_mbuf *m, enum nep_drop_reason r)
{
	ctl_stats(app)->drops[r]++;
	rte_pktmbuf_free(m);
}

/* Transmit a complete frame on port (index) through worker 0's tx queue. */
static void
ctl_tx(struct nep_app *app, unsigned port, struct rte_mbuf *m)
{
	m->hash.usr = port;
	if (rte_ring_sp_enqueue(app->workers[0].inject, m) != 0) {
		ctl_drop(app, m, NEP_DROP_TX_FULL);
		return;
	}
	ctl_stats(app)->tx_pkts++;
}

static void
set_eth(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const uint8_t *dst_mac, uint16_t ethertype)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	memcpy(&eth->dst_addr, dst_mac, 6);
	rte_ether_addr_copy(&app->ports[port].mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(ethertype);
}

/* ---- neighbour callbacks ---- */

static void
neigh_xmit(void *arg, struct rte_mbuf *m, uint64_t mac)
{
	struct nep_app *app = arg;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	/* The egress port was stored in m->port by the resolver. */
	unsigned port = (unsigned)app->port_index[m->port];

	if (m->hash.usr & NEP_PUNT_FWD_FLAG) {
		if (et == RTE_ETHER_TYPE_IPV6)
			((struct rte_ipv6_hdr *)(f + 14))->hop_limits--;
		else
			nep_ip4_dec_ttl((struct rte_ipv4_hdr *)(f + 14));
	}
	set_eth(app, m, port, (const uint8_t *)&mac, et);
	ctl_tx(app, port, m);
}

static void
neigh_drop(void *arg, struct rte_mbuf *m, enum nep_drop_reason r)
{
	ctl_drop(arg, m, r);
}

/* Our address on a port, preferring one on-link with peer. */
static bool
port_addr(const struct nep_app *app, unsigned port, uint8_t family,
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

static struct rte_mbuf *
alloc_frame(struct nep_app *app)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(app->pool);

	if (m == NULL)
		ctl_stats(app)->drops[NEP_DROP_NO_MBUF]++;
	else
		m->hash.usr = 0; /* originated here: not forwarded */
	return m;
}

static void
neigh_solicit(void *arg, const struct nep_neigh_key *k, const uint8_t *mac)
{
	struct nep_app *app = arg;
	unsigned port = (unsigned)app->port_index[k->port];
	struct rte_mbuf *m = alloc_frame(app);
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
		port_addr(app, port, 6, k->addr, src);
		len = nep_nd_build_ns(f + 14, 256, src, dst, k->addr,
			app->ports[port].mac.addr_bytes);
		set_eth(app, m, port, dmac, RTE_ETHER_TYPE_IPV6);
	} else {
		static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff };
		static const uint8_t zero[6];
		uint32_t spa = 0, tpa;
		if (!port_addr(app, port, 4, k->addr, (uint8_t *)&spa)) {
			rte_pktmbuf_free(m);
			return;
		}
		memcpy(&tpa, k->addr, 4);
		len = nep_arp_build(f + 14, 256, RTE_ARP_OP_REQUEST,
			app->ports[port].mac.addr_bytes, spa, zero, tpa);
		set_eth(app, m, port, mac != NULL ? mac : bcast,
			RTE_ETHER_TYPE_ARP);
	}
	m->data_len = m->pkt_len = 14 + len;
	ctl_tx(app, port, m);
}

static struct nep_neigh_ops neigh_ops;

/* ---- output of routed packets (forwarded or originated here) ---- */

/*
 * Route m (an Ethernet frame with its IP packet at offset 14) and send it,
 * holding it for neighbour resolution when needed.
 */
static void
ctl_route_out(struct nep_app *app, struct rte_mbuf *m, uint8_t family)
{
	const struct nep_snapshot *s = app->snap;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *dst, *hop;
	struct nep_neigh_key k;
	uint64_t nh, mac;
	uint16_t port_id;

	if (family == 6) {
		dst = ((struct rte_ipv6_hdr *)(f + 14))->dst_addr;
		nh = nep_rib_lookup6(&s->rib, dst);
	} else {
		dst = (const uint8_t *)&((struct rte_ipv4_hdr *)(f + 14))->dst_addr;
		nh = nep_rib_lookup4(&s->rib, *(const uint32_t *)dst);
	}
	hop = nep_rib_next_hop(&s->rib, nh, dst, &port_id);
	if (hop == NULL) {
		ctl_drop(app, m, NEP_DROP_NO_ROUTE);
		return;
	}
	nep_neigh_key_set(&k, port_id, family, hop);
	m->port = port_id;
	mac = nep_neigh_lookup(app->neigh, &k);
	if (mac & NEP_NEIGH_VALID)
		neigh_xmit(app, m, mac);
	else
		nep_neigh_resolve(app->neigh, &k, m, nep_now_ms(), &neigh_ops);
}

int32_t
nep_ctl_neigh_pin(struct nep_app *app, uint16_t port_id, uint8_t family,
	const uint8_t *addr)
{
	struct nep_neigh_key k;

	nep_neigh_key_set(&k, port_id, family, addr);
	return nep_neigh_pin(app->neigh, &k, nep_now_ms(), &neigh_ops);
}

/* Send m (IP at offset 14) to next hop nh on a given port. */
void
nep_ctl_send_via(struct nep_app *app, struct rte_mbuf *m, uint16_t port_id,
	uint8_t family, const uint8_t *nh)
{
	struct nep_neigh_key k;
	uint64_t mac;

	nep_neigh_key_set(&k, port_id, family, nh);
	m->port = port_id;
	mac = nep_neigh_lookup(app->neigh, &k);
	if (mac & NEP_NEIGH_VALID)
		neigh_xmit(app, m, mac);
	else
		nep_neigh_resolve(app->neigh, &k, m, nep_now_ms(), &neigh_ops);
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
		ctl_stats(app)->drops[NEP_DROP_ICMP_RATELIMIT]++;
		return false;
	}
	app->icmp_tokens_milli -= 1000;
	return true;
}

/* Answer the packet m (received on in_port) with an ICMP error; frees m. */
static void
send_icmp_error(struct nep_app *app, struct rte_mbuf *m, unsigned in_port,
	uint8_t type6, uint8_t code6, uint8_t type4, uint8_t code4,
	uint32_t param)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	uint32_t orig_len = rte_pktmbuf_data_len(m) - 14, len;
	struct rte_mbuf *e;
	uint8_t src[16];

	if (!icmp_allowed(app) || (e = alloc_frame(app)) == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t *out = rte_pktmbuf_mtod(e, uint8_t *) + 14;
	uint32_t cap = rte_pktmbuf_tailroom(e) - 14;
	if (et == RTE_ETHER_TYPE_IPV6) {
		const uint8_t *osrc = ((struct rte_ipv6_hdr *)(f + 14))->src_addr;
		port_addr(app, in_port, 6, osrc, src);
		len = nep_icmp6_build_error(out, cap, f + 14, orig_len, type6,
			code6, param, src);
	} else {
		const uint8_t *osrc =
			(const uint8_t *)&((struct rte_ipv4_hdr *)(f + 14))->src_addr;
		uint32_t s4 = 0;
		port_addr(app, in_port, 4, osrc, (uint8_t *)&s4);
		len = nep_icmp4_build_error(out, cap, f + 14, orig_len, type4,
			code4, type4 == NEP_ICMP4_DST_UNREACH && code4 == 4 ?
				param : 0, s4);
	}
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
	ctl_route_out(app, e, et == RTE_ETHER_TYPE_IPV6 ? 6 : 4);
}

/* ---- packets for us ---- */

static bool
is_our_addr6(const struct nep_app *app, unsigned port, const uint8_t *a)
{
	const struct nep_port_conf *pc = &app->cfg->ports[port];

	if (memcmp(a, app->ports[port].ll, 16) == 0)
		return true;
	for (unsigned i = 0; i < pc->n_addrs; i++)
		if (pc->addrs[i].addr.family == AF_INET6 &&
			memcmp(pc->addrs[i].addr.a, a, 16) == 0)
			return true;
	return false;
}

static bool
is_our_addr4(const struct nep_app *app, unsigned port, uint32_t a)
{
	const struct nep_port_conf *pc = &app->cfg->ports[port];

	for (unsigned i = 0; i < pc->n_addrs; i++)
		if (pc->addrs[i].addr.family == AF_INET &&
			memcmp(pc->addrs[i].addr.a, &a, 4) == 0)
			return true;
	return false;
}

static void
local_arp(struct nep_app *app, struct rte_mbuf *m, unsigned port)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(f + 14);
	struct nep_neigh_key k;
	uint16_t op = rte_be_to_cpu_16(a->arp_opcode);
	uint32_t sip = a->arp_data.arp_sip, tip = a->arp_data.arp_tip;
	uint8_t sha[6];

	if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
		a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
		a->arp_hlen != 6 || a->arp_plen != 4 ||
		(op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
		(a->arp_data.arp_sha.addr_bytes[0] & 1)) {
		ctl_drop(app, m, NEP_DROP_ARP_MALFORMED);
		return;
	}
	memcpy(sha, &a->arp_data.arp_sha, 6);
	bool for_us = is_our_addr4(app, port, tip);
	if (sip != 0) {
		nep_neigh_key_set(&k, app->ports[port].id, 4,
			(const uint8_t *)&sip);
		nep_neigh_learn(app->neigh, &k, sha,
			for_us && op == RTE_ARP_OP_REPLY, for_us, nep_now_ms(),
			&neigh_ops);
	}
	if (!for_us) {
		ctl_drop(app, m, NEP_DROP_ARP_NOT_FOR_US);
		return;
	}
	if (op != RTE_ARP_OP_REQUEST) {
		rte_pktmbuf_free(m);
		return;
	}
	/* Reply in place. */
	nep_arp_build(f + 14, 28, RTE_ARP_OP_REPLY,
		app->ports[port].mac.addr_bytes, tip, sha, sip);
	set_eth(app, m, port, sha, RTE_ETHER_TYPE_ARP);
	m->data_len = m->pkt_len = 14 + 28;
	ctl_tx(app, port, m);
}

static void
local_nd(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(f + pi->l3_off);
	uint8_t *icmp = f + pi->l4_off;
	uint32_t icmp_len = pi->l3_off + pi->l3_len - pi->l4_off;
	struct nep_neigh_key k;
	uint8_t mac[6];
	int rc;

	/* RFC 4861 7.1.1: hop limit 255, code 0, target not multicast. */
	if (ip6->hop_limits != 255 || icmp[1] != 0) {
		ctl_drop(app, m, NEP_DROP_ND_MALFORMED);
		return;
	}
	if (icmp[0] == NEP_ICMP6_NS || icmp[0] == NEP_ICMP6_NA) {
		const uint8_t *target = icmp + 8;
		if (icmp_len < 24 || nep_ip6_is_multicast(target)) {
			ctl_drop(app, m, NEP_DROP_ND_MALFORMED);
			return;
		}
		rc = nep_nd_find_lladdr(icmp + 24, icmp_len - 24,
			icmp[0] == NEP_ICMP6_NS ? 1 : 2, mac);
		if (rc == -2) {
			ctl_drop(app, m, NEP_DROP_ND_MALFORMED);
			return;
		}
		if (icmp[0] == NEP_ICMP6_NS) {
			bool dad = nep_ip6_is_unspecified(ip6->src_addr);
			if (!is_our_addr6(app, port, target)) {
				ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
				return;
			}
			if (dad) {
				/* Someone probes our address; ours wins. */
				rte_pktmbuf_free(m);
				return;
			}
			if (rc == 0) {
				nep_neigh_key_set(&k, app->ports[port].id, 6,
					ip6->src_addr);
				nep_neigh_learn(app->neigh, &k, mac, false,
					true, nep_now_ms(), &neigh_ops);
			} else {
				/* Unicast NS without option: reply to L2 src. */
				memcpy(mac, f + 6, 6);
			}
			uint8_t dst[16], tgt[16];
			memcpy(dst, ip6->src_addr, 16);
			memcpy(tgt, target, 16);
			uint32_t len = nep_nd_build_na(f + 14,
				rte_pktmbuf_tailroom(m) + rte_pktmbuf_data_len(m) - 14,
				tgt, dst, tgt,
				app->ports[port].mac.addr_bytes, true, true);
			m->data_len = m->pkt_len = 14 + len;
			set_eth(app, m, port, mac, RTE_ETHER_TYPE_IPV6);
			ctl_tx(app, port, m);
			return;
		}
		/* NA: learn the target's address if we asked for it. */
		if (rc == 0) {
			nep_neigh_key_set(&k, app->ports[port].id, 6, target);
			nep_neigh_learn(app->neigh, &k, mac,
				(icmp[4] & 0x40) != 0, false, nep_now_ms(),
				&neigh_ops);
		}
		rte_pktmbuf_free(m);
		return;
	}
	/* Router solicitations/advertisements and redirects: not served. */
	ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
}

static void
local_ip6(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(f + pi->l3_off);

	if (pi->l4_proto == NEP_PROTO_ICMPV6 && pi->has_l4) {
		uint8_t *icmp = f + pi->l4_off;
		uint32_t icmp_len = pi->l3_off + pi->l3_len - pi->l4_off;
		uint16_t c = nep_icmp6_cksum(ip6, icmp, icmp_len);
		if (c != 0 && c != 0xffff) {
			ctl_drop(app, m, NEP_DROP_ICMP_BAD_CHECKSUM);
			return;
		}
		if (icmp[0] >= NEP_ICMP6_RS && icmp[0] <= NEP_ICMP6_REDIRECT) {
			local_nd(app, m, port, pi);
			return;
		}
	}
	/* Anything else must be addressed to us (link-local included). */
	if (!is_our_addr6(app, port, ip6->dst_addr) &&
		nep_nh_kind(nep_rib_lookup6(&app->snap->rib, ip6->dst_addr)) !=
			NEP_NH_LOCAL) {
		ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	if (pi->l4_proto == NEP_PROTO_ICMPV6 && pi->has_l4) {
		uint8_t *icmp = f + pi->l4_off;
		if (icmp[0] == NEP_ICMP6_ECHO_REQUEST) {
			nep_icmp6_echo_to_reply(f + pi->l3_off, pi->l3_len);
			ctl_route_out(app, m, 6);
			return;
		}
		if (icmp[0] == NEP_ICMP6_ECHO_REPLY &&
			nep_probe_input(app, m, port, pi))
			return;
	}
	if (pi->l4_proto == NEP_PROTO_UDP) {
		send_icmp_error(app, m, port, NEP_ICMP6_DST_UNREACH, 4, 0, 0, 0);
		return;
	}
	ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
}

static void
local_ip4(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	if (pi->l4_proto == NEP_PROTO_ICMP && pi->has_l4) {
		uint8_t *icmp = f + pi->l4_off;
		uint32_t icmp_len = pi->l3_off + pi->l3_len - pi->l4_off;
		if (nep_inet_cksum(icmp, icmp_len) != 0) {
			ctl_drop(app, m, NEP_DROP_ICMP_BAD_CHECKSUM);
			return;
		}
		if (icmp[0] == NEP_ICMP4_ECHO_REQUEST) {
			nep_icmp4_echo_to_reply(f + pi->l3_off, pi->l3_len);
			ctl_route_out(app, m, 4);
			return;
		}
	}
	if (pi->l4_proto == NEP_PROTO_UDP) {
		send_icmp_error(app, m, port, 0, 0, NEP_ICMP4_DST_UNREACH, 3, 0);
		return;
	}
	ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
}

static void
handle_punt(struct nep_app *app, struct rte_mbuf *m)
{
	uint32_t why = m->hash.usr & 0xff;
	int16_t port = app->port_index[m->port];
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct nep_pkt_info pi;

	if (port < 0 || nep_pkt_parse(f, rte_pktmbuf_data_len(m), &pi) !=
			NEP_DROP_NONE) {
		ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	switch (why) {
	case NEP_PUNT_LOCAL:
		if (pi.family == 0)
			local_arp(app, m, (unsigned)port);
		else if (pi.family == 6)
			local_ip6(app, m, (unsigned)port, &pi);
		else
			local_ip4(app, m, (unsigned)port, &pi);
		break;
	case NEP_PUNT_RESOLVE: {
		unsigned up = (m->hash.usr >> NEP_PUNT_UPLINK_SHIFT) & 0xff;
		if (up != 0) {
			/* Steered: the egress is the uplink's, not the FIB's. */
			const struct nep_steer_state *st = app->steer;
			const struct nep_uplink_fwd *uf = &st->up[up - 1];
			nep_ctl_send_via(app, m, uf->port_id, pi.family,
				pi.family == 6 ? uf->nh6 : uf->nh4);
		} else {
			ctl_route_out(app, m, pi.family);
		}
		break;
	}
	case NEP_PUNT_UNMAPPABLE:
		/* RFC 6296 5: the source cannot be translated. */
		send_icmp_error(app, m, (unsigned)port, NEP_ICMP6_PARAM_PROB, 0,
			0, 0, 8);
		break;
	case NEP_PUNT_UNMAPPABLE_DST:
		send_icmp_error(app, m, (unsigned)port, NEP_ICMP6_PARAM_PROB, 0,
			0, 0, 24);
		break;
	case NEP_PUNT_TTL:
		send_icmp_error(app, m, (unsigned)port, NEP_ICMP6_TIME_EXCEEDED,
			0, NEP_ICMP4_TIME_EXCEEDED, 0, 0);
		break;
	case NEP_PUNT_NO_ROUTE:
		send_icmp_error(app, m, (unsigned)port, NEP_ICMP6_DST_UNREACH,
			0, NEP_ICMP4_DST_UNREACH, 0, 0);
		break;
	case NEP_PUNT_TOO_BIG: {
		/* The egress MTU: route again to find the port. */
		uint16_t mtu = 1280;
		uint64_t nh;
		if (pi.family == 6) {
			nh = nep_rib_lookup6(&app->snap->rib,
				((struct rte_ipv6_hdr *)(f + 14))->dst_addr);
		} else {
			nh = nep_rib_lookup4(&app->snap->rib,
				((struct rte_ipv4_hdr *)(f + 14))->dst_addr);
		}
		uint16_t pid = nep_nh_kind(nh) == NEP_NH_GATEWAY ?
			app->snap->rib.nh[nep_nh_index(nh)].port :
			(uint16_t)nep_nh_index(nh);
		if (pid < RTE_MAX_ETHPORTS && app->port_index[pid] >= 0)
			mtu = app->ports[app->port_index[pid]].mtu;
		if (pi.family == 4 &&
			!(rte_be_to_cpu_16(((struct rte_ipv4_hdr *)(f + 14))
					->fragment_offset) &
				RTE_IPV4_HDR_DF_FLAG)) {
			/* Fragmentation is not implemented: counted drop. */
			rte_pktmbuf_free(m);
			break;
		}
		send_icmp_error(app, m, (unsigned)port, NEP_ICMP6_PKT_TOO_BIG, 0,
			NEP_ICMP4_DST_UNREACH, 4, mtu);
		break;
	}
	default:
		ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
	}
}

void
nep_control_flush_neighbors(struct nep_app *app)
{
	nep_neigh_flush(app->neigh, &neigh_ops);
	/* Static entries stay: they are PERMANENT. */
}

int
nep_control_init(struct nep_app *app)
{
	struct nep_neigh_params np = {
		.size = app->cfg->neigh_table_size,
		.queue_len = app->cfg->neigh_queue_len,
		.reachable_ms = app->cfg->neigh_reachable_ms,
		.retrans_ms = app->cfg->neigh_retrans_ms,
		.max_probes = app->cfg->neigh_max_probes,
	};
	size_t sz;

	neigh_ops.solicit = neigh_solicit;
	neigh_ops.xmit = neigh_xmit;
	neigh_ops.drop = neigh_drop;
	neigh_ops.arg = app;

	sz = rte_rcu_qsbr_get_memsize(app->n_workers);
	app->qsv = rte_zmalloc("nep_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (app->qsv == NULL || rte_rcu_qsbr_init(app->qsv, app->n_workers)) {
		NEP_LOG(ERR, "cannot set up RCU");
		return -1;
	}
	app->neigh = nep_neigh_create("nep_neigh", &np, app->qsv);
	if (app->neigh == NULL) {
		NEP_LOG(ERR, "cannot create the neighbour table: %s",
			rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned i = 0; i < app->cfg->n_static_neigh; i++) {
		const struct nep_static_neigh_conf *sn = &app->cfg->static_neigh[i];
		struct nep_neigh_key k;
		nep_neigh_key_set(&k, app->ports[sn->port].id,
			sn->addr.family == AF_INET ? 4 : 6, sn->addr.a);
		nep_neigh_add_static(app->neigh, &k, sn->mac);
	}
	app->icmp_last_ms = nep_now_ms();
	app->icmp_tokens_milli = (uint64_t)app->cfg->icmp_burst * 1000;
	if (nep_uplinks_init(app) < 0)
		return -1;
	nep_commands_register(app);
	app->mgmt = nep_mgmt_start(app->cfg->mgmt_socket, &app->dispatch,
		app->cfg->telemetry);
	if (app->mgmt == NULL) {
		NEP_LOG(ERR, "cannot start the management socket %s",
			app->cfg->mgmt_socket);
		return -1;
	}
	return 0;
}

void
nep_control_loop(struct nep_app *app)
{
	struct rte_mbuf *pkts[CTL_BURST];
	uint64_t last_tick = 0, last_link = 0;
	struct timespec idle = { 0, CTL_IDLE_SLEEP_NS };

	while (!__atomic_load_n(&app->quit, __ATOMIC_RELAXED)) {
		uint64_t now_ns = nep_now_ns();
		unsigned work = 0;

		for (unsigned w = 0; w < app->n_workers; w++) {
			unsigned n = rte_ring_sc_dequeue_burst(
				app->workers[w].punt, (void **)pkts, CTL_BURST,
				NULL);
			for (unsigned i = 0; i < n; i++)
				handle_punt(app, pkts[i]);
			work += n;
		}
		if (now_ns - last_link >= 1000000) {
			/* Carrier loss takes its uplinks out at once. */
			bool was[NEP_MAX_PORTS];
			for (unsigned i = 0; i < app->n_ports; i++)
				was[i] = app->ports[i].link_up;
			nep_ports_poll_link(app);
			for (unsigned i = 0; i < app->n_ports; i++)
				if (was[i] != app->ports[i].link_up)
					nep_uplinks_link_change(app, i,
						app->ports[i].link_up);
			last_link = now_ns;
		}
		nep_uplinks_run(app, now_ns);
		if (now_ns - last_tick >= 10000000) {
			nep_neigh_tick(app->neigh, now_ns / 1000000, &neigh_ops);
			nep_flows_scan(app, now_ns);
			last_tick = now_ns;
		}
		nep_mgmt_poll(app->mgmt);
		if (work == 0)
			nanosleep(&idle, NULL);
	}
}

void
nep_control_fini(struct nep_app *app)
{
	struct rte_mbuf *m;

	nep_mgmt_stop(app->mgmt);
	for (unsigned w = 0; w < app->n_workers; w++)
		while (rte_ring_sc_dequeue(app->workers[w].punt, (void **)&m) == 0)
			rte_pktmbuf_free(m);
	nep_neigh_free(app->neigh, NULL);
	rte_free(app->qsv);
}
