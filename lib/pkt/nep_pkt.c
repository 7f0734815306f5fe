/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "nep_pkt.h"

const char *const nep_drop_names[NEP_DROP_MAX] = {
#define NEP_DROP_NAME(n, s) [NEP_DROP_##n] = s,
	NEP_DROP_REASONS(NEP_DROP_NAME)
#undef NEP_DROP_NAME
};

/* Minimum bytes of an upper-layer header that must be present. */
static uint32_t
l4_min_len(uint8_t proto)
{
	switch (proto) {
	case NEP_PROTO_TCP:
		return sizeof(struct rte_tcp_hdr);
	case NEP_PROTO_UDP:
		return sizeof(struct rte_udp_hdr);
	case NEP_PROTO_ICMP:
	case NEP_PROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

/*
 * more_frags: a first fragment with more to follow. Its UDP length covers
 * the whole datagram, so it may exceed what this fragment carries.
 */
static enum nep_drop_reason
check_l4(const uint8_t *l4, uint32_t avail, uint8_t proto, bool more_frags)
{
	uint32_t need = l4_min_len(proto);

	if (avail < need)
		return NEP_DROP_L4_TRUNCATED;
	if (proto == NEP_PROTO_TCP) {
		const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)l4;
		uint32_t doff = (th->data_off >> 4) * 4u;
		if (doff < 20 || doff > avail)
			return NEP_DROP_L4_TRUNCATED;
	} else if (proto == NEP_PROTO_UDP) {
		const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)l4;
		uint32_t ulen = rte_be_to_cpu_16(uh->dgram_len);
		if (ulen < 8 || (ulen > avail && !more_frags))
			return NEP_DROP_L4_TRUNCATED;
	}
	return NEP_DROP_NONE;
}

static enum nep_drop_reason
parse_ip6(const uint8_t *frame, uint32_t len, struct nep_pkt_info *pi)
{
	const struct rte_ipv6_hdr *ip6;
	uint32_t avail = len - pi->l3_off, plen, off, end;
	bool more_frags = false;
	uint8_t nh;
	int n;

	if (avail < NEP_IP6_HLEN)
		return NEP_DROP_IP6_TRUNCATED;
	ip6 = (const struct rte_ipv6_hdr *)(frame + pi->l3_off);
	if ((frame[pi->l3_off] >> 4) != 6)
		return NEP_DROP_IP6_BAD_VERSION;
	plen = rte_be_to_cpu_16(ip6->payload_len);
	/* Jumbograms (payload length 0) are not supported on these links. */
	if (plen == 0 && ip6->proto != 59)
		return NEP_DROP_IP6_BAD_LENGTH;
	if (plen + NEP_IP6_HLEN > avail)
		return NEP_DROP_IP6_BAD_LENGTH;
	if (nep_ip6_is_multicast(ip6->src_addr))
		return NEP_DROP_IP6_BAD_SOURCE;
	pi->family = 6;
	pi->l3_len = (uint16_t)(plen + NEP_IP6_HLEN);
	end = pi->l3_off + pi->l3_len;
	off = pi->l3_off + NEP_IP6_HLEN;
	nh = ip6->proto;

	/* Walk the extension headers (RFC 8200 4.1): HBH only first. */
	for (n = 0;; n++) {
		uint32_t hlen;

		switch (nh) {
		case 0:	 /* hop-by-hop */
			if (n != 0)
				return NEP_DROP_IP6_BAD_EXT_CHAIN;
			/* fall through */
		case 43: /* routing */
		case 60: /* destination options */
			if (off + 8 > end)
				return NEP_DROP_IP6_BAD_EXT_CHAIN;
			hlen = (frame[off + 1] + 1u) * 8u;
			break;
		case 51: /* AH: length in 4-octet units minus 2 */
			if (off + 8 > end)
				return NEP_DROP_IP6_BAD_EXT_CHAIN;
			hlen = (frame[off + 1] + 2u) * 4u;
			break;
		case 44: /* fragment */
			if (off + 8 > end)
				return NEP_DROP_IP6_BAD_EXT_CHAIN;
			hlen = 8;
			pi->fragmented = 1;
			/* Offset != 0: no upper-layer header in this one. */
			if ((rte_be_to_cpu_16(*(const uint16_t *)(frame + off +
				     2)) & 0xfff8) != 0) {
				pi->frag = 1;
				pi->l4_proto = frame[off];
				pi->l4_off = (uint16_t)(off + 8);
				return NEP_DROP_NONE;
			}
			more_frags = (frame[off + 3] & 1) != 0;
			break;
		default:
			goto upper;
		}
		if (n >= NEP_MAX_EXT_HDRS || off + hlen > end)
			return NEP_DROP_IP6_BAD_EXT_CHAIN;
		nh = frame[off];
		off += hlen;
	}
upper:
	pi->l4_proto = nh;
	pi->l4_off = (uint16_t)off;
	if (l4_min_len(nh) != 0) {
		enum nep_drop_reason r = check_l4(frame + off, end - off, nh,
			more_frags);
		if (r != NEP_DROP_NONE)
			return r;
		pi->has_l4 = 1;
	}
	return NEP_DROP_NONE;
}

static enum nep_drop_reason
parse_ip4(const uint8_t *frame, uint32_t len, struct nep_pkt_info *pi)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t avail = len - pi->l3_off, ihl, tot;

	if (avail < sizeof(*ip))
		return NEP_DROP_IP4_TRUNCATED;
	ip = (const struct rte_ipv4_hdr *)(frame + pi->l3_off);
	if ((ip->version_ihl >> 4) != 4)
		return NEP_DROP_IP4_BAD_VERSION;
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < 20 || ihl > avail)
		return NEP_DROP_IP4_BAD_IHL;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl || tot > avail)
		return NEP_DROP_IP4_BAD_LENGTH;
	if (nep_inet_cksum(ip, ihl) != 0)
		return NEP_DROP_IP4_BAD_CHECKSUM;
	/* Multicast, broadcast and loopback sources are never valid. */
	if ((frame[pi->l3_off + 12] & 0xf0) == 0xe0 ||
		frame[pi->l3_off + 12] == 127 ||
		ip->src_addr == 0xffffffff)
		return NEP_DROP_IP4_BAD_SOURCE;
	pi->family = 4;
	pi->l3_len = (uint16_t)tot;
	pi->l4_proto = ip->next_proto_id;
	pi->l4_off = (uint16_t)(pi->l3_off + ihl);
	if (rte_be_to_cpu_16(ip->fragment_offset) &
		(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG))
		pi->fragmented = 1;
	if (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) {
		pi->frag = 1;
		return NEP_DROP_NONE;
	}
	if (l4_min_len(pi->l4_proto) != 0) {
		enum nep_drop_reason r = check_l4(frame + pi->l4_off,
			pi->l3_off + tot - pi->l4_off, pi->l4_proto,
			(rte_be_to_cpu_16(ip->fragment_offset) &
			 RTE_IPV4_HDR_MF_FLAG) != 0);
		if (r != NEP_DROP_NONE)
			return r;
		pi->has_l4 = 1;
	}
	return NEP_DROP_NONE;
}

enum nep_drop_reason
nep_pkt_parse_full(const uint8_t *frame, uint32_t len, struct nep_pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	if (len < NEP_ETH_HLEN)
		return NEP_DROP_RUNT;
	pi->ethertype = (uint16_t)(frame[12] << 8 | frame[13]);
	pi->l3_off = NEP_ETH_HLEN;
	if (pi->ethertype == RTE_ETHER_TYPE_VLAN) {
		/* One 802.1Q tag; a second one (QinQ) is unsupported below. */
		if (len < NEP_ETH_HLEN + NEP_VLAN_HLEN)
			return NEP_DROP_RUNT;
		pi->vlan = (uint16_t)((frame[14] << 8 | frame[15]) & 0xfff);
		pi->ethertype = (uint16_t)(frame[16] << 8 | frame[17]);
		pi->l3_off = NEP_ETH_HLEN + NEP_VLAN_HLEN;
	}
	switch (pi->ethertype) {
	case RTE_ETHER_TYPE_IPV6:
		return parse_ip6(frame, len, pi);
	case RTE_ETHER_TYPE_IPV4:
		return parse_ip4(frame, len, pi);
	case RTE_ETHER_TYPE_ARP:
		if (len - pi->l3_off < sizeof(struct rte_arp_hdr))
			return NEP_DROP_ARP_MALFORMED;
		return NEP_DROP_NONE;
	default:
		return NEP_DROP_L2_UNSUPPORTED;
	}
}

void
nep_ip6_linklocal_from_mac(const uint8_t mac[6], uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = mac[0] ^ 0x02;
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac[3];
	out[14] = mac[4];
	out[15] = mac[5];
}

uint16_t
nep_inet_cksum(const void *buf, uint32_t len)
{
	return (uint16_t)~rte_raw_cksum(buf, len);
}

uint16_t
nep_icmp6_cksum(const struct rte_ipv6_hdr *ip6, const void *l4,
	uint32_t l4_len)
{
	uint32_t sum = rte_raw_cksum(ip6->src_addr, 32);
	uint32_t hi = rte_cpu_to_be_32(l4_len);

	sum += rte_raw_cksum(&hi, 4);
	/* RFC 8200 8.1: the upper-layer protocol (58), not the first next
	 * header (an extension header may come between). */
	sum += rte_cpu_to_be_16((uint16_t)NEP_PROTO_ICMPV6);
	sum += rte_raw_cksum(l4, l4_len);
	uint16_t c = (uint16_t)~nep_csum_fold(sum);
	return c;
}

static void
ip6_header(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
	uint16_t plen, uint8_t hlim)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)out;

	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(plen);
	ip6->proto = NEP_PROTO_ICMPV6;
	ip6->hop_limits = hlim;
	memcpy(ip6->src_addr, src, 16);
	memcpy(ip6->dst_addr, dst, 16);
}

static void
icmp6_finish(uint8_t *out, uint32_t l4_len)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)out;
	uint8_t *l4 = out + NEP_IP6_HLEN;

	l4[2] = 0;
	l4[3] = 0;
	uint16_t c = nep_icmp6_cksum(ip6, l4, l4_len);
	memcpy(l4 + 2, &c, 2);
}

uint32_t
nep_icmp6_wrap(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
	uint32_t l4_len, uint8_t hlim)
{
	ip6_header(out, src, dst, (uint16_t)l4_len, hlim);
	icmp6_finish(out, l4_len);
	return NEP_IP6_HLEN + l4_len;
}

static void
udp_header(struct rte_udp_hdr *udp, uint16_t sport, uint16_t dport,
	uint32_t len)
{
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	udp->dgram_cksum = 0;
}

uint32_t
nep_udp6_wrap(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
	uint16_t sport, uint16_t dport, uint32_t len, uint8_t tc, uint8_t hlim)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)out;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(out + NEP_IP6_HLEN);

	ip6_header(out, src, dst, (uint16_t)(8 + len), hlim);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)tc << 20);
	ip6->proto = NEP_PROTO_UDP;
	udp_header(udp, sport, dport, len);
	udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
	return NEP_IP6_HLEN + 8 + len;
}

uint32_t
nep_udp4_wrap(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport,
	uint16_t dport, uint32_t len, uint8_t tos, uint8_t ttl)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)out;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(out + 20);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + len));
	ip->time_to_live = ttl;
	ip->next_proto_id = NEP_PROTO_UDP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp_header(udp, sport, dport, len);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return 20 + 8 + len;
}

uint32_t
nep_icmp6_build_error(uint8_t *out, uint32_t cap, const uint8_t *orig,
	uint32_t orig_len, uint8_t type, uint8_t code, uint32_t param,
	const uint8_t src[16])
{
	const struct rte_ipv6_hdr *o = (const struct rte_ipv6_hdr *)orig;
	uint32_t quote, total;

	if (orig_len < NEP_IP6_HLEN)
		return 0;
	/* Never answer an error with an error, nor a multicast/unspecified
	 * source (RFC 4443 2.4(e)); packet-too-big and param-problem code 2
	 * may answer multicast destinations, the rest may not. */
	if (nep_ip6_is_multicast(o->src_addr) ||
		nep_ip6_is_unspecified(o->src_addr))
		return 0;
	if (nep_ip6_is_multicast(o->dst_addr) &&
		type != NEP_ICMP6_PKT_TOO_BIG &&
		!(type == NEP_ICMP6_PARAM_PROB && code == 2))
		return 0;
	{
		/* The upper layer behind any extension headers: never an
		 * error about an ICMPv6 error (RFC 4443 2.4(e.1)). */
		uint32_t off = NEP_IP6_HLEN;
		uint8_t nh = o->proto;

		for (unsigned k = 0; k < 8 && (nh == 0 || nh == 43 ||
			nh == 60 || nh == 51) && off + 8 <= orig_len; k++) {
			uint32_t hl = nh == 51 ? (orig[off + 1] + 2u) * 4u :
						 (orig[off + 1] + 1u) * 8u;

			nh = orig[off];
			off += hl;
		}
		if (nh == NEP_PROTO_ICMPV6 && off < orig_len &&
			orig[off] < 128)
			return 0;
	}
	quote = orig_len;
	if (quote > 1280 - NEP_IP6_HLEN - 8)
		quote = 1280 - NEP_IP6_HLEN - 8;
	total = NEP_IP6_HLEN + 8 + quote;
	if (cap < total)
		return 0;
	ip6_header(out, src, o->src_addr, (uint16_t)(8 + quote), 64);
	uint8_t *l4 = out + NEP_IP6_HLEN;
	l4[0] = type;
	l4[1] = code;
	uint32_t p = rte_cpu_to_be_32(param);
	memcpy(l4 + 4, &p, 4);
	memcpy(l4 + 8, orig, quote);
	icmp6_finish(out, 8 + quote);
	return total;
}

uint32_t
nep_icmp4_build_error(uint8_t *out, uint32_t cap, const uint8_t *orig,
	uint32_t orig_len, uint8_t type, uint8_t code, uint32_t next_mtu,
	uint32_t src_be)
{
	const struct rte_ipv4_hdr *o = (const struct rte_ipv4_hdr *)orig;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)out;
	uint32_t quote, total, ihl;

	if (orig_len < 20)
		return 0;
	ihl = (o->version_ihl & 0xf) * 4u;
	/* Not about errors, non-first fragments, broadcast or multicast. */
	if (o->next_proto_id == NEP_PROTO_ICMP && orig_len >= ihl + 1 &&
		orig[ihl] != NEP_ICMP4_ECHO_REQUEST &&
		orig[ihl] != NEP_ICMP4_ECHO_REPLY)
		return 0;
	if (rte_be_to_cpu_16(o->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK)
		return 0;
	if ((orig[16] & 0xf0) == 0xe0 || o->dst_addr == 0xffffffff ||
		(orig[12] & 0xf0) == 0xe0 || o->src_addr == 0)
		return 0;
	quote = orig_len;
	if (quote > 576 - 28)
		quote = 576 - 28;
	total = 28 + quote;
	if (cap < total)
		return 0;
	memset(out, 0, 28);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)total);
	ip->time_to_live = 64;
	ip->next_proto_id = NEP_PROTO_ICMP;
	ip->src_addr = src_be;
	ip->dst_addr = o->src_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uint8_t *l4 = out + 20;
	l4[0] = type;
	l4[1] = code;
	if (next_mtu) {
		uint16_t m = rte_cpu_to_be_16((uint16_t)next_mtu);
		memcpy(l4 + 6, &m, 2);
	}
	memcpy(l4 + 8, orig, quote);
	uint16_t c = nep_inet_cksum(l4, 8 + quote);
	memcpy(l4 + 2, &c, 2);
	return total;
}

void
nep_icmp6_echo_to_reply(uint8_t *l3, uint32_t l3_len)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;
	uint8_t tmp[16];
	uint16_t c;

	(void)l3_len;
	memcpy(tmp, ip6->src_addr, 16);
	memcpy(ip6->src_addr, ip6->dst_addr, 16);
	memcpy(ip6->dst_addr, tmp, 16);
	ip6->hop_limits = 64;
	/* Swapping addresses keeps the pseudo-header sum; only the type moves. */
	uint8_t *icmp = l3 + NEP_IP6_HLEN;
	memcpy(&c, icmp + 2, 2);
	c = rte_cpu_to_be_16(nep_csum_update16(rte_be_to_cpu_16(c),
		(uint16_t)(NEP_ICMP6_ECHO_REQUEST << 8 | icmp[1]),
		(uint16_t)(NEP_ICMP6_ECHO_REPLY << 8 | icmp[1])));
	icmp[0] = NEP_ICMP6_ECHO_REPLY;
	memcpy(icmp + 2, &c, 2);
}

void
nep_icmp4_echo_to_reply(uint8_t *l3, uint32_t l3_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
	uint32_t ihl = (ip->version_ihl & 0xf) * 4u, tmp;
	uint8_t *icmp = l3 + ihl;
	uint16_t c;

	uint32_t tot = rte_be_to_cpu_16(ip->total_length);

	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* Computed again over the message, not updated: an update gives
	 * 0x0000 (-0) where the sum is 0xffff for an all-zero echo, which
	 * receivers refuse (found by tests/fuzz/fuzz_icmp). Control plane
	 * only: the cost does not matter. */
	if (tot > l3_len)
		tot = l3_len;
	icmp[0] = NEP_ICMP4_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	c = nep_inet_cksum(icmp, tot - ihl);
	memcpy(icmp + 2, &c, 2);
}

/* NS and NA share one layout: 8-byte header, target, one lladdr option. */
static uint32_t
nd_build(uint8_t *out, uint32_t cap, const uint8_t src[16],
	const uint8_t dst[16], uint8_t type, uint8_t flags,
	const uint8_t target[16], uint8_t opt_type, const uint8_t mac[6])
{
	const uint32_t l4_len = 8 + 16 + 8;

	if (cap < NEP_IP6_HLEN + l4_len)
		return 0;
	ip6_header(out, src, dst, l4_len, 255);
	uint8_t *l4 = out + NEP_IP6_HLEN;
	memset(l4, 0, l4_len);
	l4[0] = type;
	l4[4] = flags;
	memcpy(l4 + 8, target, 16);
	l4[24] = opt_type;
	l4[25] = 1;
	memcpy(l4 + 26, mac, 6);
	icmp6_finish(out, l4_len);
	return NEP_IP6_HLEN + l4_len;
}

uint32_t
nep_nd_build_ns(uint8_t *out, uint32_t cap, const uint8_t src[16],
	const uint8_t dst[16], const uint8_t target[16], const uint8_t mac[6])
{
	/* Source link-layer address option. */
	return nd_build(out, cap, src, dst, NEP_ICMP6_NS, 0, target, 1, mac);
}

uint32_t
nep_nd_build_na(uint8_t *out, uint32_t cap, const uint8_t src[16],
	const uint8_t dst[16], const uint8_t target[16], const uint8_t mac[6],
	bool solicited, bool router)
{
	uint8_t flags = (uint8_t)((router ? 0x80 : 0) |
		(solicited ? 0x40 : 0) | 0x20 /* override */);

	/* Target link-layer address option. */
	return nd_build(out, cap, src, dst, NEP_ICMP6_NA, flags, target, 2,
		mac);
}

uint32_t
nep_icmp6_build_echo(uint8_t *out, uint32_t cap, const uint8_t src[16],
	const uint8_t dst[16], uint16_t id, uint16_t seq, uint32_t payload_len)
{
	uint32_t l4_len = 8 + payload_len;

	if (cap < NEP_IP6_HLEN + l4_len)
		return 0;
	ip6_header(out, src, dst, (uint16_t)l4_len, 64);
	uint8_t *l4 = out + NEP_IP6_HLEN;
	memset(l4, 0, l4_len);
	l4[0] = NEP_ICMP6_ECHO_REQUEST;
	uint16_t v = rte_cpu_to_be_16(id);
	memcpy(l4 + 4, &v, 2);
	v = rte_cpu_to_be_16(seq);
	memcpy(l4 + 6, &v, 2);
	for (uint32_t i = 0; i < payload_len; i++)
		l4[8 + i] = (uint8_t)i;
	icmp6_finish(out, l4_len);
	return NEP_IP6_HLEN + l4_len;
}

int
nep_nd_find_lladdr(const uint8_t *opts, uint32_t len, uint8_t type,
	uint8_t mac[6])
{
	uint32_t off = 0;
	int found = -1;

	while (off + 2 <= len) {
		uint32_t olen = opts[off + 1] * 8u;
		if (olen == 0 || off + olen > len)
			return -2;
		if (opts[off] == type && olen >= 8 && found < 0) {
			memcpy(mac, opts + off + 2, 6);
			found = 0;
		}
		off += olen;
	}
	if (off != len)
		return -2;
	return found;
}

uint32_t
nep_arp_build(uint8_t *out, uint32_t cap, uint16_t op, const uint8_t sha[6],
	uint32_t spa_be, const uint8_t tha[6], uint32_t tpa_be)
{
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)out;

	if (cap < sizeof(*a))
		return 0;
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&a->arp_data.arp_sha, sha, 6);
	a->arp_data.arp_sip = spa_be;
	memcpy(&a->arp_data.arp_tha, tha, 6);
	a->arp_data.arp_tip = tpa_be;
	return sizeof(*a);
}
