/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The outer IPv4/IPv6 + UDP headers of a tunnel message
 * (docs/tunnel-protocol.md section 1): written in front of the tunnel
 * header, and the UDP checksum filled in last, once the tag (and, in AEAD
 * suites, the ciphertext) is in place; checked on receipt before any
 * crypto. Inline: the data path and the benchmarks use the same code.
 */
#ifndef NEP_TUN_OUTER_H
#define NEP_TUN_OUTER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "nep_tunnel.h"

struct nep_tun_outer {
	uint8_t family;		/* 4 or 6 */
	uint8_t ttl;		/* TTL / hop limit */
	uint16_t sport, dport;	/* host order */
	uint8_t src[16], dst[16];	/* IPv4: the first 4 bytes */
};

/* Outer IP + UDP header bytes of a family. */
static inline unsigned int
nep_tun_outer_len(uint8_t family)
{
	return (family == 6 ? NEP_TUN_IP6_HLEN : NEP_TUN_IP4_HLEN) +
	       NEP_TUN_UDP_HLEN;
}

/*
 * Write the outer headers at p for a UDP payload of udp_plen bytes
 * (tunnel header + payload + tag). tos: the traffic class / TOS byte
 * (DSCP from the inner packet, ECN per RFC 6040). IPv4 gets DF and its
 * header checksum; the UDP checksum is left 0 for nep_tun_outer_finish().
 */
static inline void
nep_tun_outer_write(uint8_t *p, const struct nep_tun_outer *o, uint8_t tos,
	uint32_t udp_plen)
{
	struct rte_udp_hdr *udp;
	uint16_t ulen = (uint16_t)(udp_plen + NEP_TUN_UDP_HLEN);

	if (o->family == 6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)p;

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)tos << 20);
		ip6->payload_len = rte_cpu_to_be_16(ulen);
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = o->ttl;
		memcpy(ip6->src_addr, o->src, 16);
		memcpy(ip6->dst_addr, o->dst, 16);
		udp = (struct rte_udp_hdr *)(p + NEP_TUN_IP6_HLEN);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

		ip->version_ihl = 0x45;
		ip->type_of_service = tos;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(ulen +
			NEP_TUN_IP4_HLEN));
		ip->packet_id = 0;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = o->ttl;
		ip->next_proto_id = IPPROTO_UDP;
		ip->hdr_checksum = 0;
		memcpy(&ip->src_addr, o->src, 4);
		memcpy(&ip->dst_addr, o->dst, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(p + NEP_TUN_IP4_HLEN);
	}
	udp->src_port = rte_cpu_to_be_16(o->sport);
	udp->dst_port = rte_cpu_to_be_16(o->dport);
	udp->dgram_len = rte_cpu_to_be_16(ulen);
	udp->dgram_cksum = 0;
}

/* The UDP checksum of the finished message at p (outer IP header). */
static inline void
nep_tun_outer_finish(uint8_t *p, uint8_t family)
{
	struct rte_udp_hdr *udp;
	uint16_t ck;

	if (family == 6) {
		udp = (struct rte_udp_hdr *)(p + NEP_TUN_IP6_HLEN);
		ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)p, udp);
	} else {
		udp = (struct rte_udp_hdr *)(p + NEP_TUN_IP4_HLEN);
		ck = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)p, udp);
	}
	udp->dgram_cksum = ck;
}

/*
 * Receive side: is the UDP checksum of the datagram at p (outer IP
 * header, l4: the UDP header) right? A zero IPv4 checksum (none
 * computed) fails too: the protocol requires one.
 */
static inline bool
nep_tun_outer_cksum_ok(const uint8_t *p, const uint8_t *l4, uint8_t family)
{
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)l4;

	if (udp->dgram_cksum == 0)
		return false;
	if (family == 6)
		return rte_ipv6_udptcp_cksum_verify(
			(const struct rte_ipv6_hdr *)p, udp) == 0;
	return rte_ipv4_udptcp_cksum_verify((const struct rte_ipv4_hdr *)p,
		udp) == 0;
}

#endif /* NEP_TUN_OUTER_H */
