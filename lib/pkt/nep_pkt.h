/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parsing and header helpers. Pure functions over a frame buffer:
 * no EAL, no mbuf, so the same code runs in the workers, on the control
 * lcore and in the unit tests.
 */
#ifndef NEP_PKT_H
#define NEP_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "nep_drop.h"

#define NEP_ETH_HLEN 14
#define NEP_VLAN_HLEN 4		/* an 802.1Q tag */
#define NEP_VLAN_MAX 4094	/* highest usable VLAN id */
#define NEP_IP6_HLEN 40
#define NEP_MAX_EXT_HDRS 8

#define NEP_PROTO_ICMP 1
#define NEP_PROTO_TCP 6
#define NEP_PROTO_UDP 17
#define NEP_DHCP4_CLIENT_PORT 68
#define NEP_DHCP6_CLIENT_PORT 546
#define NEP_PROTO_ICMPV6 58

#define NEP_ICMP6_DST_UNREACH 1
#define NEP_ICMP6_PKT_TOO_BIG 2
#define NEP_ICMP6_TIME_EXCEEDED 3
#define NEP_ICMP6_PARAM_PROB 4
#define NEP_ICMP6_ECHO_REQUEST 128
#define NEP_ICMP6_ECHO_REPLY 129
#define NEP_ICMP6_RS 133
#define NEP_ICMP6_RA 134
#define NEP_ICMP6_NS 135
#define NEP_ICMP6_NA 136
#define NEP_ICMP6_REDIRECT 137

#define NEP_ICMP4_ECHO_REPLY 0
#define NEP_ICMP4_DST_UNREACH 3
#define NEP_ICMP4_ECHO_REQUEST 8
#define NEP_ICMP4_TIME_EXCEEDED 11

/*
 * What the parser learnt about a frame. Offsets are from the frame start.
 * A frame with one 802.1Q tag (ethertype 0x8100) has l3_off 18, its VLAN
 * id in vlan and the inner ethertype in ethertype (nep_pkt_tagged()).
 */
struct nep_pkt_info {
	uint16_t ethertype;	/* host order; the inner one when tagged */
	uint16_t l3_off;
	uint16_t l4_off;	/* valid when has_l4 */
	uint16_t l3_len;	/* IP header + payload, from the IP header */
	uint8_t family;		/* 4, 6, or 0 for ARP */
	uint8_t l4_proto;	/* upper-layer protocol after extension headers */
	uint8_t has_l4;		/* the L4 header is present and complete */
	uint8_t frag;		/* a non-first fragment: no L4 header */
	uint8_t fragmented;	/* any fragment, first one included */
	uint16_t vlan;		/* 802.1Q VLAN id, 0 when untagged (or a
				 * priority tag) */
};

/* Did the frame carry an 802.1Q tag (VLAN 0: a priority tag)? */
static inline bool
nep_pkt_tagged(const struct nep_pkt_info *pi)
{
	return pi->l3_off != NEP_ETH_HLEN;
}

/*
 * Parse an Ethernet frame, untagged or with one 802.1Q tag (a second tag,
 * 802.1ad 0x88a8 and other ethertypes are l2_unsupported_ethertype).
 * Returns NEP_DROP_NONE or the reason the frame
 * must be dropped. Checks: lengths against the buffer, IP version, IPv4
 * header length and checksum, the IPv6 extension-header chain, and that the
 * TCP/UDP/ICMP header is complete. Handles every frame; nep_pkt_parse()
 * below is the same with the common case inline.
 */
enum nep_drop_reason nep_pkt_parse_full(const uint8_t *frame, uint32_t len,
	struct nep_pkt_info *pi);

/*
 * IPv6 carrying TCP or UDP right after the fixed header, valid lengths, as
 * nep_pkt_parse_full() would accept it: returns the IPv6 packet's length
 * (header + payload). Anything else (extension headers, fragments, other
 * protocols, every error) returns 0 and is left to the full parser.
 */
static inline uint32_t
nep_pkt_ip6_l4_len(const uint8_t *f, uint32_t len)
{
	const uint32_t l4_off = NEP_ETH_HLEN + NEP_IP6_HLEN;
	uint64_t w;
	uint32_t plen, l4;

	if (unlikely(len < l4_off + 8))
		return 0;
	/* bytes 12..19: ethertype, version/class/flow label, payload length */
	memcpy(&w, f + 12, 8);
	w = rte_be_to_cpu_64(w);
	plen = (uint16_t)w;
	if ((w >> 44) != 0x86dd6 || f[22] == 0xff /* multicast source */ ||
		plen < 8 || plen + l4_off > len)
		return 0;
	/* plen + l4_off <= len: every L4 byte read below is inside plen */
	if (f[20] == NEP_PROTO_UDP) {
		l4 = (uint32_t)f[l4_off + 4] << 8 | f[l4_off + 5]; /* length */
		if (l4 < 8 || l4 > plen)
			return 0;
	} else if (f[20] == NEP_PROTO_TCP) {
		if (plen < 20)	/* the data offset is at byte 12 */
			return 0;
		l4 = (f[l4_off + 12] >> 4) * 4u;	/* data offset */
		if (l4 < 20 || l4 > plen)	/* also plen >= 20 */
			return 0;
	} else {
		return 0;
	}
	return plen + NEP_IP6_HLEN;
}

/*
 * The IPv4 counterpart: an unpadded frame of IPv4 with a 20-byte header
 * (no options) and a right header checksum, not a fragment, from a
 * unicast source that is not loopback, carrying TCP or UDP whose header
 * (and TCP data offset) fits. Returns the L3 length (the total length),
 * 0 otherwise. Nothing is read beyond what len covers.
 */
static inline uint32_t
nep_pkt_ip4_l4_len(const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + NEP_ETH_HLEN;
	uint32_t tot, l4, w[5];
	uint64_t sum;

	if (unlikely(len < NEP_ETH_HLEN + 20 + 8))
		return 0;
	tot = (uint32_t)ip[2] << 8 | ip[3];
	if (f[12] != 0x08 || f[13] != 0x00 || ip[0] != 0x45 ||
		tot + NEP_ETH_HLEN != len || (ip[6] & 0x3f) != 0 || ip[7] != 0 ||
		(ip[12] & 0xf0) == 0xe0 || ip[12] == 127 ||
		(ip[12] & ip[13] & ip[14] & ip[15]) == 0xff)
		return 0;
	if (ip[9] == NEP_PROTO_UDP) {
		l4 = (uint32_t)ip[24] << 8 | ip[25];	/* UDP length */
		if (l4 < 8 || l4 > tot - 20)
			return 0;
	} else if (ip[9] == NEP_PROTO_TCP) {
		if (tot < 40)
			return 0;
		l4 = (ip[32] >> 4) * 4u;		/* data offset */
		if (l4 < 20 || l4 > tot - 20)
			return 0;
	} else {
		return 0;
	}
	/* The header checksum: the ones' complement sum of its ten words is
	 * 0xffff when right. */
	memcpy(w, ip, 20);
	sum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff ? tot : 0;
}

/* The same, filling pi as nep_pkt_parse_full() would; false otherwise. */
static inline bool
nep_pkt_parse_ip6_l4(const uint8_t *f, uint32_t len, struct nep_pkt_info *pi)
{
	uint32_t l3_len = nep_pkt_ip6_l4_len(f, len);

	if (l3_len == 0)
		return false;
	*pi = (struct nep_pkt_info){
		.ethertype = RTE_ETHER_TYPE_IPV6,
		.l3_off = NEP_ETH_HLEN,
		.l4_off = NEP_ETH_HLEN + NEP_IP6_HLEN,
		.l3_len = (uint16_t)l3_len,
		.family = 6,
		.l4_proto = f[20],
		.has_l4 = 1,
	};
	return true;
}

static inline enum nep_drop_reason
nep_pkt_parse(const uint8_t *frame, uint32_t len, struct nep_pkt_info *pi)
{
	if (likely(nep_pkt_parse_ip6_l4(frame, len, pi)))
		return NEP_DROP_NONE;
	return nep_pkt_parse_full(frame, len, pi);
}

/* One's-complement helpers for incremental checksum updates (RFC 1624). */
static inline uint16_t
nep_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* New checksum after a 16-bit field changes from old to new (host order). */
static inline uint16_t
nep_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
	uint32_t sum = (uint16_t)~csum + (uint16_t)~old + (uint32_t)new_;
	return (uint16_t)~nep_csum_fold(sum);
}

/* Clamp the MSS option of a TCP SYN (tcp: its header, tcp_len bytes of
 * segment) to mss, fixing the checksum (RFC 6691 / RFC 879). */
static inline bool
nep_tcp_clamp_mss(uint8_t *tcp, uint32_t tcp_len, uint16_t mss)
{
	uint32_t hl = (uint32_t)(tcp[12] >> 4) * 4, i = 20;

	if (!(tcp[13] & 0x02) || hl < 20 || hl > tcp_len)
		return false;
	while (i < hl) {
		uint8_t kind = tcp[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl || tcp[i + 1] < 2 || i + tcp[i + 1] > hl)
			break;
		if (kind == 2 && tcp[i + 1] == 4) {
			uint16_t old = (uint16_t)(tcp[i + 2] << 8 | tcp[i + 3]);
			uint16_t ck;

			if (old <= mss)
				return false;
			tcp[i + 2] = (uint8_t)(mss >> 8);
			tcp[i + 3] = (uint8_t)mss;
			/* The option starts at an even offset or not: the
			 * 16-bit word of the checksum sum it sits in. */
			if ((i & 1) == 0) {
				ck = nep_csum_update16(
					(uint16_t)(tcp[16] << 8 | tcp[17]), old,
					mss);
			} else {
				ck = nep_csum_update16(
					(uint16_t)(tcp[16] << 8 | tcp[17]),
					(uint16_t)(old >> 8),
					(uint16_t)(mss >> 8));
				ck = nep_csum_update16(ck,
					(uint16_t)((old & 0xff) << 8),
					(uint16_t)((mss & 0xff) << 8));
			}
			tcp[16] = (uint8_t)(ck >> 8);
			tcp[17] = (uint8_t)ck;
			return true;
		}
		i += tcp[i + 1];
	}
	return false;
}

/* Decrement the IPv4 TTL, fixing the header checksum incrementally. */
static inline void
nep_ip4_dec_ttl(struct rte_ipv4_hdr *ip)
{
	/* Byte by byte: the TTL/protocol word read through a uint16_t
	 * pointer is an access the compiler may move across the byte
	 * stores around it (strict aliasing), and was, once inlined. */
	uint8_t *h = (uint8_t *)ip;
	uint16_t old = (uint16_t)(h[8] << 8 | h[9]);
	uint16_t new_ = (uint16_t)(old - 0x100);
	uint16_t ck = nep_csum_update16((uint16_t)(h[10] << 8 | h[11]), old,
		new_);

	h[8]--;
	h[10] = (uint8_t)(ck >> 8);
	h[11] = (uint8_t)ck;
}

static inline bool
nep_ip6_is_multicast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static inline bool
nep_ip6_is_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) == 0;
}

static inline bool
nep_ip6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* Solicited-node multicast address ff02::1:ffXX:XXXX of a unicast target. */
static inline void
nep_ip6_solicited_node(const uint8_t *target, uint8_t out[16])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0xff };
	memcpy(out, pfx, 13);
	memcpy(out + 13, target + 13, 3);
}

/* Ethernet multicast address 33:33:xx:xx:xx:xx for an IPv6 multicast group. */
static inline void
nep_ip6_mcast_mac(const uint8_t *group, uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, group + 12, 4);
}

/* Link-local address fe80::/64 with a modified EUI-64 from a MAC (RFC 4291). */
void nep_ip6_linklocal_from_mac(const uint8_t mac[6], uint8_t out[16]);

/* ICMPv6 checksum over the IPv6 pseudo-header and payload (l4 contiguous). */
uint16_t nep_icmp6_cksum(const struct rte_ipv6_hdr *ip6, const void *l4,
	uint32_t l4_len);

/* Internet checksum of a buffer (ICMPv4). */
uint16_t nep_inet_cksum(const void *buf, uint32_t len);

/* ---- builders: each writes an L3 packet (no Ethernet header) into out ---- */

/*
 * ICMPv6 error (RFC 4443) about the IPv6 packet orig (orig_len bytes from its
 * IPv6 header), from src to orig's source. The quoted part is cut so that the
 * whole error fits in 1280 bytes. Returns the packet length or 0 when cap is
 * too small or the packet must not be answered (RFC 4443 2.4(e)).
 */
uint32_t nep_icmp6_build_error(uint8_t *out, uint32_t cap, const uint8_t *orig,
	uint32_t orig_len, uint8_t type, uint8_t code, uint32_t param,
	const uint8_t src[16]);

/* ICMPv4 error (RFC 792/1812) quoting the IP header and up to 548 bytes. */
uint32_t nep_icmp4_build_error(uint8_t *out, uint32_t cap, const uint8_t *orig,
	uint32_t orig_len, uint8_t type, uint8_t code, uint32_t next_mtu,
	uint32_t src_be);

/* Turn an ICMPv6 / ICMPv4 echo request (in place, L3) into the reply. */
void nep_icmp6_echo_to_reply(uint8_t *l3, uint32_t l3_len);
void nep_icmp4_echo_to_reply(uint8_t *l3, uint32_t l3_len);

/* The IPv6 header before an ICMPv6 message already at out + 40 (l4_len
 * bytes, built elsewhere: RAs, RSes, DAD probes), and its checksum.
 * Returns the packet length. */
uint32_t nep_icmp6_wrap(uint8_t *out, const uint8_t src[16],
	const uint8_t dst[16], uint32_t l4_len, uint8_t hlim);

/* The IPv6 and UDP headers before a UDP payload already at out + 48
 * (len bytes, built elsewhere: DHCPv6, STAMP), the checksum computed;
 * tc is the traffic class byte (DSCP << 2 | ECN). Returns the packet
 * length. */
uint32_t nep_udp6_wrap(uint8_t *out, const uint8_t src[16],
	const uint8_t dst[16], uint16_t sport, uint16_t dport, uint32_t len,
	uint8_t tc, uint8_t hlim);
/* The same for IPv4 at out + 28 (addresses in network order; ID 0, no
 * options, DF clear). */
uint32_t nep_udp4_wrap(uint8_t *out, uint32_t src, uint32_t dst,
	uint16_t sport, uint16_t dport, uint32_t len, uint8_t tos, uint8_t ttl);

/* Neighbour Solicitation for target; dst is solicited-node or unicast. */
uint32_t nep_nd_build_ns(uint8_t *out, uint32_t cap, const uint8_t src[16],
	const uint8_t dst[16], const uint8_t target[16], const uint8_t mac[6]);

/* Neighbour Advertisement (solicited, override, router flags). */
uint32_t nep_nd_build_na(uint8_t *out, uint32_t cap, const uint8_t src[16],
	const uint8_t dst[16], const uint8_t target[16], const uint8_t mac[6],
	bool solicited, bool router);

/* ICMPv6 echo request (health probes) with id, seq and payload_len bytes. */
uint32_t nep_icmp6_build_echo(uint8_t *out, uint32_t cap, const uint8_t src[16],
	const uint8_t dst[16], uint16_t id, uint16_t seq, uint32_t payload_len);

/*
 * Find the source/target link-layer address option (type 1 or 2) in an ND
 * message body (after the fixed part). Returns 0 and copies the MAC, -1 if
 * absent, -2 if the options are malformed (zero length or overrunning).
 */
int nep_nd_find_lladdr(const uint8_t *opts, uint32_t len, uint8_t type,
	uint8_t mac[6]);

/* ARP (Ethernet/IPv4) body, 28 bytes, addresses in network order. */
uint32_t nep_arp_build(uint8_t *out, uint32_t cap, uint16_t op,
	const uint8_t sha[6], uint32_t spa_be, const uint8_t tha[6],
	uint32_t tpa_be);

#endif /* NEP_PKT_H */
