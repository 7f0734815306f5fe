/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Local delivery: packets addressed to the appliance (punted by the
 * input and lookup stages) are dispatched by (family, protocol, ICMP type
 * or destination port) to the handler registered for them: ARP, ND and
 * echo by the core; probe replies, STAMP, the tunnel port by features.
 * Neighbour discovery is taken whatever its destination; everything else
 * must be addressed to us. No handler: UDP gets Port Unreachable.
 */
#include <stdio.h>
#include <sys/socket.h>

#include <rte_arp.h>

#include "neptune.h"
#include "nep_control.h"
#include "nep_pkt.h"

struct local_entry {
	uint8_t family;		/* 0 (ARP), 4, 6 */
	uint8_t proto;
	int port_or_type;	/* < 0: any */
	bool any_dst;		/* taken even when not addressed to us (ND) */
	char name[24];
	nep_local_fn fn;
	uint64_t hits;
};

/* The table is filled at start-up (core and feature init) and read on
 * the control lcore only. */
static struct local_entry local_table[NEP_MAX_LOCAL];
static unsigned n_local;

static int
local_add(uint8_t family, uint8_t proto, int port_or_type, bool any_dst,
	const char *name, nep_local_fn fn)
{
	struct local_entry *e;

	for (unsigned i = 0; i < n_local; i++)
		if (local_table[i].family == family &&
			local_table[i].proto == proto &&
			local_table[i].port_or_type == port_or_type)
			return -1;
	if (n_local >= NEP_MAX_LOCAL)
		return -1;
	e = &local_table[n_local++];
	e->family = family;
	e->proto = proto;
	e->port_or_type = port_or_type;
	e->any_dst = any_dst;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->fn = fn;
	return 0;
}

bool
nep_local_serves(uint8_t family, uint8_t proto, uint16_t port)
{
	for (unsigned i = 0; i < n_local; i++)
		if (local_table[i].family == family &&
			local_table[i].proto == proto &&
			local_table[i].port_or_type == (int)port &&
			!local_table[i].any_dst)
			return true;
	return false;
}

/* Echo replies by identifier (probes of the features). */
#define NEP_MAX_ECHO 8
struct echo_entry {
	uint8_t family;
	uint16_t id_base, id_count;
	char name[24];
	nep_local_fn fn;
	uint64_t hits;
};
static struct echo_entry echo_table[NEP_MAX_ECHO];
static unsigned n_echo;

int
nep_local_register_echo(uint8_t family, uint16_t id_base, uint16_t id_count,
	const char *name, nep_local_fn fn)
{
	for (unsigned i = 0; i < n_echo; i++) {
		const struct echo_entry *e = &echo_table[i];
		if (e->family == family && id_base < e->id_base + e->id_count &&
			e->id_base < id_base + id_count)
			return -1;
	}
	if (n_echo >= NEP_MAX_ECHO || id_count == 0)
		return -1;
	echo_table[n_echo] = (struct echo_entry){ .family = family,
		.id_base = id_base, .id_count = id_count, .fn = fn };
	snprintf(echo_table[n_echo].name, sizeof(echo_table[n_echo].name),
		"%s", name);
	n_echo++;
	return 0;
}

static struct echo_entry *
echo_find(uint8_t family, uint16_t id)
{
	for (unsigned i = 0; i < n_echo; i++) {
		struct echo_entry *e = &echo_table[i];
		if (e->family == family && id >= e->id_base &&
			id - e->id_base < e->id_count)
			return e;
	}
	return NULL;
}

static bool
feature_owns6(const struct nep_app *app, unsigned port, const uint8_t *a,
	bool nd)
{
	struct nep_feature *f;

	NEP_FOREACH_FEATURE(f)
		if (f->owns_addr6 != NULL && f->owns_addr6(app, port, a, nd))
			return true;
	return false;
}

int
nep_local_register(uint8_t family, uint8_t proto, int port_or_type,
	const char *name, nep_local_fn fn)
{
	return local_add(family, proto, port_or_type, false, name, fn);
}

int
nep_local_register_any(uint8_t family, uint8_t proto, int port_or_type,
	const char *name, nep_local_fn fn)
{
	return local_add(family, proto, port_or_type, true, name, fn);
}

void
nep_local_consumed(struct nep_app *app, struct rte_mbuf *m)
{
	nep_ctl_stats(app)->local++;
	rte_pktmbuf_free(m);
}

void
nep_local_reply(struct nep_app *app, struct rte_mbuf *m)
{
	struct nep_meta *meta = nep_meta(m);

	/* The request is consumed; what leaves is ours. */
	nep_ctl_stats(app)->local++;
	meta->flags = NEP_META_F_ORIG;
	meta->neigh_pos = -1;
	nep_ctl_route_out(app, m, meta->family);
}

void
nep_local_reply_back(struct nep_app *app, struct rte_mbuf *m, unsigned port)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct nep_meta *meta = nep_meta(m);
	uint8_t prev[6];

	/* To the neighbour the request came from, on its port: an echo to
	 * the address (or SID) of one uplink is answered over that uplink,
	 * whatever the default route says (a multihomed site's peers probe
	 * each uplink this way). */
	if (meta->flags & NEP_META_F_DECAP) {
		/* came through a tunnel: the previous hop is not its peer */
		nep_local_reply(app, m);
		return;
	}
	memcpy(prev, f + 6, 6);
	nep_ctl_stats(app)->local++;
	meta->flags = NEP_META_F_ORIG;
	meta->neigh_pos = -1;
	meta->out_port = (uint8_t)port;
	nep_ctl_set_eth(app, m, port, prev, (uint16_t)(f[12] << 8 | f[13]));
	nep_ctl_tx(app, port, m);
}

bool
nep_is_our_addr6(const struct nep_app *app, unsigned port, const uint8_t *a)
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

bool
nep_is_our_addr4(const struct nep_app *app, unsigned port, uint32_t a)
{
	const struct nep_port_conf *pc = &app->cfg->ports[port];

	for (unsigned i = 0; i < pc->n_addrs; i++)
		if (pc->addrs[i].addr.family == AF_INET &&
			memcmp(pc->addrs[i].addr.a, &a, 4) == 0)
			return true;
	return false;
}

/* ---- core handlers ---- */

static void
local_arp(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(f + 14);
	struct nep_neigh_key k;
	uint16_t op = rte_be_to_cpu_16(a->arp_opcode);
	uint32_t sip = a->arp_data.arp_sip, tip = a->arp_data.arp_tip;
	uint8_t sha[6];

	(void)pi;
	if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
		a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
		a->arp_hlen != 6 || a->arp_plen != 4 ||
		(op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
		(a->arp_data.arp_sha.addr_bytes[0] & 1)) {
		nep_ctl_drop(app, m, NEP_DROP_ARP_MALFORMED);
		return;
	}
	memcpy(sha, &a->arp_data.arp_sha, 6);
	bool for_us = nep_is_our_addr4(app, port, tip);
	if (sip != 0) {
		nep_neigh_key_set(&k, app->ports[port].ifid, 4,
			(const uint8_t *)&sip);
		nep_neigh_learn(app->neigh, &k, sha,
			for_us && op == RTE_ARP_OP_REPLY, for_us, nep_now_ms(),
			&app->neigh_ops);
	}
	if (!for_us) {
		nep_ctl_drop(app, m, NEP_DROP_ARP_NOT_FOR_US);
		return;
	}
	if (op != RTE_ARP_OP_REQUEST) {
		nep_local_consumed(app, m);
		return;
	}
	/* Reply in place. */
	nep_arp_build(f + 14, 28, RTE_ARP_OP_REPLY,
		app->ports[port].mac.addr_bytes, tip, sha, sip);
	nep_ctl_set_eth(app, m, port, sha, RTE_ETHER_TYPE_ARP);
	m->data_len = m->pkt_len = 14 + 28;
	nep_ctl_stats(app)->local++;
	nep_meta(m)->flags = NEP_META_F_ORIG;
	nep_ctl_tx(app, port, m);
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
		nep_ctl_drop(app, m, NEP_DROP_ND_MALFORMED);
		return;
	}
	if (icmp[0] != NEP_ICMP6_NS && icmp[0] != NEP_ICMP6_NA) {
		/* Router solicitations/advertisements, redirects: not served. */
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	const uint8_t *target = icmp + 8;
	if (icmp_len < 24 || nep_ip6_is_multicast(target)) {
		nep_ctl_drop(app, m, NEP_DROP_ND_MALFORMED);
		return;
	}
	rc = nep_nd_find_lladdr(icmp + 24, icmp_len - 24,
		icmp[0] == NEP_ICMP6_NS ? 1 : 2, mac);
	if (rc == -2) {
		nep_ctl_drop(app, m, NEP_DROP_ND_MALFORMED);
		return;
	}
	if (icmp[0] == NEP_ICMP6_NA ||
		(icmp[0] == NEP_ICMP6_NS &&
			nep_ip6_is_unspecified(ip6->src_addr))) {
		/* Who else claims an address (a feature's duplicate
		 * address detection). */
		struct nep_feature *ft;
		NEP_FOREACH_FEATURE(ft)
			if (ft->nd_seen != NULL)
				ft->nd_seen(app, port, icmp[0], target);
	}
	if (icmp[0] == NEP_ICMP6_NA) {
		/* Learn the target's address if we asked for it. */
		nep_neigh_key_set(&k, app->ports[port].ifid, 6, target);
		if (rc == 0)
			nep_neigh_learn(app->neigh, &k, mac,
				(icmp[4] & 0x40) != 0, false, nep_now_ms(),
				&app->neigh_ops);
		else if ((icmp[4] & 0x40) != 0)
			/* the answer to a unicast probe: no option, the
			 * MAC we have is confirmed */
			(void)nep_neigh_confirm(app->neigh, &k, nep_now_ms());
		nep_local_consumed(app, m);
		return;
	}
	if (!nep_is_our_addr6(app, port, target) &&
		!feature_owns6(app, port, target, true)) {
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	if (nep_ip6_is_unspecified(ip6->src_addr)) {
		/* Someone probes our address (DAD); ours wins. */
		nep_local_consumed(app, m);
		return;
	}
	if (rc == 0) {
		nep_neigh_key_set(&k, app->ports[port].ifid, 6, ip6->src_addr);
		nep_neigh_learn(app->neigh, &k, mac, false, true, nep_now_ms(),
			&app->neigh_ops);
	} else {
		/* Unicast NS without option: reply to the L2 source. */
		memcpy(mac, f + 6, 6);
	}
	uint8_t dst[16], tgt[16];
	memcpy(dst, ip6->src_addr, 16);
	memcpy(tgt, target, 16);
	uint32_t len = nep_nd_build_na(f + 14,
		rte_pktmbuf_tailroom(m) + rte_pktmbuf_data_len(m) - 14, tgt, dst,
		tgt, app->ports[port].mac.addr_bytes, true, true);
	m->data_len = m->pkt_len = 14 + len;
	nep_ctl_set_eth(app, m, port, mac, RTE_ETHER_TYPE_IPV6);
	nep_ctl_stats(app)->local++;
	nep_meta(m)->flags = NEP_META_F_ORIG;
	nep_ctl_tx(app, port, m);
}

static void
local_echo6(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	uint8_t *l3 = rte_pktmbuf_mtod(m, uint8_t *) + pi->l3_off;
	uint32_t l3_len = pi->l3_len;

	if (pi->l4_off != pi->l3_off + NEP_IP6_HLEN) {
		/* Extension headers (an SRH to a SID): the reply carries
		 * none, the echo message follows the fixed header. */
		uint32_t icmp_len = pi->l3_off + pi->l3_len - pi->l4_off;
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;

		memmove(l3 + NEP_IP6_HLEN, rte_pktmbuf_mtod(m, uint8_t *) +
			pi->l4_off, icmp_len);
		ip6->proto = NEP_PROTO_ICMPV6;
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)icmp_len);
		l3_len = NEP_IP6_HLEN + icmp_len;
		rte_pktmbuf_trim(m, (uint16_t)(pi->l3_len - l3_len));
	}
	nep_icmp6_echo_to_reply(l3, l3_len);
	nep_local_reply_back(app, m, port);
}

static void
local_echo4(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	nep_icmp4_echo_to_reply(rte_pktmbuf_mtod(m, uint8_t *) + pi->l3_off,
		pi->l3_len);
	nep_local_reply_back(app, m, port);
}

void
nep_local_init(struct nep_app *app)
{
	(void)app;
	local_add(0, 0, -1, true, "arp", local_arp);
	/* Router solicitations and advertisements are the provisioning
	 * feature's (nep_local_register_any): a neighbour table has no use
	 * for them. */
	for (int t = NEP_ICMP6_NS; t <= NEP_ICMP6_REDIRECT; t++)
		local_add(6, NEP_PROTO_ICMPV6, t, true, "nd", local_nd);
	local_add(6, NEP_PROTO_ICMPV6, NEP_ICMP6_ECHO_REQUEST, false, "echo6",
		local_echo6);
	local_add(4, NEP_PROTO_ICMP, NEP_ICMP4_ECHO_REQUEST, false, "echo4",
		local_echo4);
}

/* ---- dispatch ---- */

static struct local_entry *
local_find(uint8_t family, uint8_t proto, int key)
{
	struct local_entry *any = NULL;

	for (unsigned i = 0; i < n_local; i++) {
		struct local_entry *e = &local_table[i];
		if (e->family != family || e->proto != proto)
			continue;
		if (e->port_or_type == key)
			return e;
		if (e->port_or_type < 0)
			any = e;
	}
	return any;
}

void
nep_local_input(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct local_entry *e;
	int key = -1;

	if (pi->family == 0) {
		e = local_find(0, 0, -1);
		goto dispatch;
	}
	if (pi->has_l4) {
		const uint8_t *l4 = f + pi->l4_off;
		uint32_t l4_len = pi->l3_off + pi->l3_len - pi->l4_off;

		if (pi->l4_proto == NEP_PROTO_ICMPV6 && pi->family == 6) {
			const struct rte_ipv6_hdr *ip6 =
				(const void *)(f + pi->l3_off);
			uint16_t c = nep_icmp6_cksum(ip6, l4, l4_len);
			if (c != 0 && c != 0xffff) {
				nep_ctl_drop(app, m, NEP_DROP_ICMP_BAD_CHECKSUM);
				return;
			}
			key = l4[0];
		} else if (pi->l4_proto == NEP_PROTO_ICMP && pi->family == 4) {
			if (nep_inet_cksum(l4, l4_len) != 0) {
				nep_ctl_drop(app, m, NEP_DROP_ICMP_BAD_CHECKSUM);
				return;
			}
			key = l4[0];
		} else if (pi->l4_proto == NEP_PROTO_UDP ||
			pi->l4_proto == NEP_PROTO_TCP) {
			key = l4[2] << 8 | l4[3];
		}
	}
	if ((key == NEP_ICMP6_ECHO_REPLY && pi->family == 6) ||
		(key == NEP_ICMP4_ECHO_REPLY && pi->family == 4)) {
		const uint8_t *l4 = f + pi->l4_off;
		struct echo_entry *ee;

		if (pi->l3_off + pi->l3_len - pi->l4_off >= 8 &&
			(ee = echo_find(pi->family,
				 (uint16_t)(l4[4] << 8 | l4[5]))) != NULL) {
			ee->hits++;
			ee->fn(app, m, port, pi);
			return;
		}
	}
	e = local_find(pi->family, pi->l4_proto, key);
	if (e == NULL || !e->any_dst) {
		/* Anything else must be addressed to us (link-local too). */
		bool ours;
		if (pi->family == 6) {
			const uint8_t *dst = ((const struct rte_ipv6_hdr *)(f +
				pi->l3_off))->dst_addr;
			const struct nep_rib *rib = nep_snap_rib(app->snap,
				nep_meta(m)->table);

			ours = nep_is_our_addr6(app, port, dst) ||
				(rib != NULL && nep_nh_kind(nep_rib_lookup6(rib,
					dst)) == NEP_NH_LOCAL) ||
				feature_owns6(app, port, dst, false);
		} else {
			/* the FIB said local, or a limited broadcast (which
			 * only a handler for any destination takes) */
			const struct rte_ipv4_hdr *ip = (const void *)(f +
				pi->l3_off);
			ours = ip->dst_addr != 0xffffffff;
		}
		if (!ours) {
			nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
			return;
		}
	}
dispatch:
	if (e != NULL) {
		e->hits++;
		e->fn(app, m, port, pi);
		return;
	}
	if (pi->l4_proto == NEP_PROTO_UDP && pi->has_l4) {
		/* Nobody listens: Port Unreachable. */
		nep_ctl_stats(app)->drops[NEP_DROP_NO_LISTENER]++;
		nep_ctl_icmp_error(app, m, port, NEP_ICMP_ERR_PORT_UNREACH, 0);
		return;
	}
	nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
}

void
nep_local_show(struct nep_app *app, struct nep_cmd_ctx *ctx)
{
	json_t *arr = json_array();

	(void)app;
	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-6s %-6s %-8s %-10s %s\n", "FAMILY",
			"PROTO", "TYPE/PORT", "HANDLER", "HITS");
	for (unsigned i = 0; i < n_local; i++) {
		const struct local_entry *e = &local_table[i];
		if (ctx->json) {
			json_array_append_new(arr, json_pack(
				"{s:i, s:i, s:i, s:s, s:I}", "family", e->family,
				"proto", e->proto, "port_or_type",
				e->port_or_type, "handler", e->name, "hits",
				(json_int_t)e->hits));
			continue;
		}
		char k[16];
		if (e->port_or_type < 0)
			snprintf(k, sizeof(k), "any");
		else
			snprintf(k, sizeof(k), "%d", e->port_or_type);
		nep_buf_printf(ctx->out, "%-6s %-6u %-9s %-10s %" PRIu64 "\n",
			e->family == 0 ? "arp" : e->family == 4 ? "ipv4" : "ipv6",
			e->proto, k, e->name, e->hits);
	}
	for (unsigned i = 0; i < n_echo; i++) {
		const struct echo_entry *e = &echo_table[i];
		char k[24];

		snprintf(k, sizeof(k), "id:%u-%u", e->id_base,
			e->id_base + e->id_count - 1);
		if (ctx->json) {
			json_array_append_new(arr, json_pack(
				"{s:i, s:i, s:s, s:s, s:I}", "family", e->family,
				"proto", e->family == 6 ? NEP_PROTO_ICMPV6 :
				NEP_PROTO_ICMP, "echo_ids", k, "handler", e->name,
				"hits", (json_int_t)e->hits));
			continue;
		}
		nep_buf_printf(ctx->out, "%-6s %-6u %-9s %-10s %" PRIu64 "\n",
			e->family == 4 ? "ipv4" : "ipv6", e->family == 6 ?
			NEP_PROTO_ICMPV6 : NEP_PROTO_ICMP, k, e->name, e->hits);
	}
	nep_reply_list(ctx, "local", arr);
}
