/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Named drop reasons. Every packet neptune discards is counted under exactly
 * one of these, per lcore; `show drops` sums them. One exception is not a
 * packet: icmp_error_ratelimited counts ICMP errors that were not sent (the
 * packet that would have caused one is counted under its own reason).
 * Features register their own reasons after these (the appliance's
 * nep_drop_register).
 */
#ifndef NEP_DROP_H
#define NEP_DROP_H

#define NEP_DROP_REASONS(X)                                                   \
	X(NONE, "none")                                                       \
	X(RUNT, "runt_frame")                                                 \
	X(L2_NOT_FOR_US, "l2_not_for_us")                                     \
	X(L2_UNSUPPORTED, "l2_unsupported_ethertype")                         \
	X(IP6_TRUNCATED, "ip6_truncated")                                     \
	X(IP6_BAD_VERSION, "ip6_bad_version")                                 \
	X(IP6_BAD_LENGTH, "ip6_bad_length")                                   \
	X(IP6_BAD_EXT_CHAIN, "ip6_bad_ext_chain")                             \
	X(IP6_BAD_SOURCE, "ip6_bad_source")                                   \
	X(IP4_TRUNCATED, "ip4_truncated")                                     \
	X(IP4_BAD_VERSION, "ip4_bad_version")                                 \
	X(IP4_BAD_IHL, "ip4_bad_header_length")                               \
	X(IP4_BAD_LENGTH, "ip4_bad_length")                                   \
	X(IP4_BAD_CHECKSUM, "ip4_bad_checksum")                               \
	X(IP4_BAD_SOURCE, "ip4_bad_source")                                   \
	X(L4_TRUNCATED, "l4_truncated")                                       \
	X(ARP_MALFORMED, "arp_malformed")                                     \
	X(ARP_NOT_FOR_US, "arp_not_for_us")                                   \
	X(ND_MALFORMED, "nd_malformed")                                       \
	X(ICMP_BAD_CHECKSUM, "icmp_bad_checksum")                             \
	X(LOCAL_UNHANDLED, "local_unhandled")                                 \
	X(MCAST_UNHANDLED, "multicast_unhandled")                             \
	X(HOP_LIMIT, "hop_limit_exceeded")                                    \
	X(NO_ROUTE, "no_route")                                               \
	X(MTU_EXCEEDED, "mtu_exceeded")                                       \
	X(NEIGH_QUEUE_FULL, "neigh_queue_full")                               \
	X(NEIGH_FAILED, "neigh_failed")                                       \
	X(PUNT_RING_FULL, "punt_ring_full")                                   \
	X(HANDOFF_RING_FULL, "handoff_ring_full")                             \
	X(PUNT_POLICED_ND, "punt_policed_nd")                                 \
	X(PUNT_POLICED_PROBE, "punt_policed_probe")                           \
	X(PUNT_POLICED_ICMP, "punt_policed_icmp")                             \
	X(PUNT_POLICED_RESOLVE, "punt_policed_resolve")                       \
	X(PUNT_POLICED_OTHER, "punt_policed_other")                           \
	X(TX_FULL, "tx_full")                                                 \
	X(NO_MBUF, "no_mbuf")                                                 \
	X(ICMP_RATELIMIT, "icmp_error_ratelimited")                           \
	X(PORT_DOWN, "port_down")                                             \
	X(NO_LISTENER, "local_port_unreachable")                              \
	X(BAD_VERDICT, "pipeline_bad_verdict")                               \
	X(VLAN_UNKNOWN, "vlan_unknown")                                       \
	X(MBUF_CHAINED, "mbuf_chained")                                       \
	X(NO_HEADROOM, "no_headroom")

enum nep_drop_reason {
#define NEP_DROP_ENUM(n, s) NEP_DROP_##n,
	NEP_DROP_REASONS(NEP_DROP_ENUM)
#undef NEP_DROP_ENUM
	NEP_DROP_MAX
};

extern const char *const nep_drop_names[NEP_DROP_MAX];

#endif /* NEP_DROP_H */
