/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT44 (NAPT), the pure parts (issue 13): no EAL, no mbuf, no locks and
 * no allocation in anything called per packet. Functions take an IPv4
 * header pointer and the bytes available from it; addresses and ports
 * are passed in host order.
 *
 *  - Translation: nep_nat44_snat() / nep_nat44_dnat() for TCP, UDP and
 *    ICMP echo (the identifier is the port), RFC 1624 incremental
 *    checksums (eqn. 3, so a correct checksum stays exactly the one a full
 *    recomputation gives; a zero UDP checksum stays zero, a computed zero
 *    is sent as 0xffff). ICMP errors (RFC 5508) with their embedded
 *    packet: nep_nat44_icmp_err_parse() (the embedded 5-tuple for the
 *    session lookup) and nep_nat44_icmp_err_rewrite(). Later fragments:
 *    nep_nat44_frag_snat() / _dnat() (address only) and the fragment key.
 *  - Session keys: nep_nat44_parse() gives the 5-tuple; nep_nat44_key_src()
 *    (outbound: the inside key) and nep_nat44_key_dst() (inbound: the
 *    public key; the remote end is the tuple's source).
 *  - Ports: a public address's port space per protocol (struct
 *    nep_nat44_pool) is cut into aligned blocks; a worker claims whole
 *    blocks with an atomic fetch-or on the pool's bitmap (lock-free, no
 *    control-plane round trip when a new mapping needs a port) and
 *    allocates ports inside its blocks alone (struct nep_nat44_ports):
 *    port preservation, then parity (RFC 4787 REQ-4), a per-host limit
 *    (RFC 6888 REQ-4, struct nep_nat44_hosts). Paired pooling (RFC 4787
 *    REQ-2): nep_nat44_pick_address(), rendezvous hashing.
 *  - TCP state (RFC 5382, RFC 7857) and timeouts (RFC 5382 REQ-5, RFC 4787
 *    REQ-5, RFC 5508 REQ-2): nep_nat44_tcp_next(), nep_nat44_expiry().
 *  - Filtering (RFC 4787 REQ-8, RFC 5382 REQ-3): endpoint-independent,
 *    address-dependent or address-and-port-dependent, from the last
 *    NEP_NAT44_REMOTES remotes a mapping sent to (nep_nat44_filter_allow()).
 */
#ifndef NEP_NAT44_H
#define NEP_NAT44_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#define NEP_NAT44_PROTO_ICMP 1
#define NEP_NAT44_PROTO_TCP 6
#define NEP_NAT44_PROTO_UDP 17

#define NEP_NAT44_ICMP_ECHO_REPLY 0
#define NEP_NAT44_ICMP_DST_UNREACH 3
#define NEP_NAT44_ICMP_SOURCE_QUENCH 4
#define NEP_NAT44_ICMP_REDIRECT 5
#define NEP_NAT44_ICMP_ECHO_REQUEST 8
#define NEP_NAT44_ICMP_TIME_EXCEEDED 11
#define NEP_NAT44_ICMP_PARAM_PROB 12

#define NEP_NAT44_TCP_FIN 0x01
#define NEP_NAT44_TCP_SYN 0x02
#define NEP_NAT44_TCP_RST 0x04
#define NEP_NAT44_TCP_ACK 0x10

/*
 * Result codes; each name is stable (counters and logs use it). OK and
 * ICMP_ERROR are not drops; the last four are the data path's own (the
 * session table and the fragment table), named here with the rest.
 */
#define NEP_NAT44_RCS(X)                                                       \
	X(OK, "ok")                                                            \
	X(ICMP_ERROR, "nat44_icmp_error")                                      \
	X(ERR_NOT_IP4, "nat44_not_ipv4")                                       \
	X(ERR_TRUNCATED, "nat44_truncated")                                    \
	X(ERR_BAD_HDR, "nat44_bad_ip_header")                                  \
	X(ERR_PROTO, "nat44_unsupported_protocol")                             \
	X(ERR_ICMP_TYPE, "nat44_unsupported_icmp")                             \
	X(ERR_LATER_FRAGMENT, "nat44_later_fragment")                          \
	X(ERR_NOT_LATER_FRAGMENT, "nat44_not_later_fragment")                  \
	X(ERR_NOT_ICMP_ERROR, "nat44_not_icmp_error")                          \
	X(ERR_ICMP_CHECKSUM, "nat44_icmp_bad_checksum")                        \
	X(ERR_INNER_TRUNCATED, "nat44_icmp_inner_truncated")                   \
	X(ERR_INNER_BAD_HDR, "nat44_icmp_inner_bad_header")                    \
	X(ERR_INNER_CHECKSUM, "nat44_icmp_inner_bad_checksum")                 \
	X(ERR_INNER_PROTO, "nat44_icmp_inner_unsupported")                     \
	X(ERR_INNER_FRAGMENT, "nat44_icmp_inner_fragment")                     \
	X(ERR_NO_PORT, "nat44_no_port")                                        \
	X(ERR_HOST_LIMIT, "nat44_host_limit")                                  \
	X(ERR_HOST_TABLE_FULL, "nat44_host_table_full")                        \
	X(ERR_NOT_ALLOCATED, "nat44_port_not_allocated")                       \
	X(ERR_BLOCK_SIZE, "nat44_bad_block_size")                              \
	X(ERR_TIMEOUT, "nat44_bad_timeout")                                    \
	X(ERR_NO_MAPPING, "nat44_no_mapping")                                  \
	X(ERR_FILTERED, "nat44_filtered")                                      \
	X(ERR_FRAG_NO_FIRST, "nat44_fragment_no_first")                        \
	X(ERR_FRAG_TABLE_FULL, "nat44_fragment_table_full")

enum nep_nat44_rc {
#define NEP_NAT44_RC_ENUM(n, s) NEP_NAT44_##n,
	NEP_NAT44_RCS(NEP_NAT44_RC_ENUM)
#undef NEP_NAT44_RC_ENUM
		NEP_NAT44_RC_MAX
};

/* Stable short name of a result code; "unknown" when out of range. */
const char *nep_nat44_rc_name(enum nep_nat44_rc rc);

/* Direction of a packet through the NAT. */
enum nep_nat44_dir {
	NEP_NAT44_OUT = 0, /* inside -> outside (the source is translated) */
	NEP_NAT44_IN = 1,  /* outside -> inside (the destination is) */
};

/* ---- byte access and RFC 1624 arithmetic ---- */

static inline uint16_t
nep_nat44_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
nep_nat44_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * The checksum arithmetic works on 16-bit words as they are in memory:
 * the one's-complement sum does not depend on the byte order (RFC 1071
 * 2(B)), so no swaps.
 */
static inline uint16_t
nep_nat44_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void
nep_nat44_st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* ~m + m' of RFC 1624 eqn. 3 for one 16-bit word (unfolded). */
static inline uint32_t
nep_nat44_cdiff16(uint16_t old, uint16_t new_)
{
	return (uint32_t)(uint16_t)~old + new_;
}

/* The same for a 32-bit field (an address), in memory order. */
static inline uint32_t
nep_nat44_cdiff32(uint32_t old, uint32_t new_)
{
	return nep_nat44_cdiff16(
		       (uint16_t)(old >> 16), (uint16_t)(new_ >> 16)) +
	       nep_nat44_cdiff16((uint16_t)old, (uint16_t)new_);
}

/*
 * HC' = ~(~HC + sum of the changes) (RFC 1624 eqn. 3). diff: a sum of
 * cdiff terms (up to a few dozen of them fit). From a checksum a full
 * computation gave, the result is again the one a full computation gives
 * (never 0xffff, the other zero).
 */
static inline uint16_t
nep_nat44_cadjust(uint16_t ck, uint32_t diff)
{
	uint32_t s = (uint32_t)(uint16_t)~ck + diff;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* ---- parsing: the 5-tuple and the session keys ---- */

/* A 5-tuple, host order. ICMP echo: sport == dport == the identifier. */
struct nep_nat44_tuple {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

/*
 * Session key of one side of a mapping (8 bytes, hashable as is):
 * outbound, the inside (address, port); inbound, the public one.
 */
struct nep_nat44_key {
	uint32_t addr;
	uint16_t port;
	uint8_t proto;
	uint8_t pad; /* 0 */
};

/* What nep_nat44_parse() learnt; offsets from the IPv4 header. */
struct nep_nat44_pkt {
	struct nep_nat44_tuple t;
	uint16_t l4_off;    /* IPv4 header length */
	uint16_t l4_len;    /* L4 bytes in this packet (fragment) */
	uint8_t tcp_flags;  /* TCP */
	uint8_t icmp_type;  /* ICMP */
	uint8_t first_frag; /* MF set, offset 0: later fragments follow */
};

static inline bool
nep_nat44_icmp_is_error(uint8_t type)
{
	return type == NEP_NAT44_ICMP_DST_UNREACH ||
	       type == NEP_NAT44_ICMP_SOURCE_QUENCH ||
	       type == NEP_NAT44_ICMP_TIME_EXCEEDED ||
	       type == NEP_NAT44_ICMP_PARAM_PROB;
}

static inline bool
nep_nat44_icmp_is_echo(uint8_t type)
{
	return type == NEP_NAT44_ICMP_ECHO_REQUEST ||
	       type == NEP_NAT44_ICMP_ECHO_REPLY;
}

/*
 * The IPv4 header at ip4 (len bytes available): OK, ERR_NOT_IP4,
 * ERR_TRUNCATED (the header or total_length beyond len) or ERR_BAD_HDR
 * (header length < 20 or above the total length).
 */
static inline enum nep_nat44_rc
nep_nat44_ip4_check(const uint8_t *ip4, uint32_t len)
{
	uint32_t ihl, tot;

	if (unlikely(len < 20))
		return len > 0 && (ip4[0] >> 4) != 4 ? NEP_NAT44_ERR_NOT_IP4
						     : NEP_NAT44_ERR_TRUNCATED;
	if (unlikely((ip4[0] >> 4) != 4))
		return NEP_NAT44_ERR_NOT_IP4;
	ihl = (ip4[0] & 0xfu) * 4;
	tot = nep_nat44_get16(ip4 + 2);
	if (unlikely(ihl < 20 || tot < ihl))
		return NEP_NAT44_ERR_BAD_HDR;
	if (unlikely(tot > len))
		return NEP_NAT44_ERR_TRUNCATED;
	return NEP_NAT44_OK;
}

/*
 * Parse the IPv4 packet at ip4 (len bytes available; the packet is
 * total_length bytes, the rest is padding). The header checksum is not
 * checked (the receive parser did). Results:
 *  OK                 TCP (a 20-byte header at least), UDP, ICMP echo;
 *  ICMP_ERROR         an ICMP error (types 3, 4, 11, 12): use the
 *                     nep_nat44_icmp_err_*() functions;
 *  ERR_LATER_FRAGMENT offset != 0: no L4 header, t has the addresses and
 *                     the protocol (ports 0); the caller looks up the
 *                     first fragment's translation by nep_nat44_frag_key();
 *  ERR_NOT_IP4, ERR_TRUNCATED, ERR_BAD_HDR (header length < 20 or above
 *  the total length), ERR_PROTO, ERR_ICMP_TYPE (other ICMP messages,
 *  redirects included).
 */
static inline enum nep_nat44_rc
nep_nat44_parse(const uint8_t *ip4, uint32_t len, struct nep_nat44_pkt *pk)
{
	enum nep_nat44_rc rc = nep_nat44_ip4_check(ip4, len);
	const uint8_t *l4;
	uint32_t ihl, tot;
	uint16_t frag;

	if (unlikely(rc != NEP_NAT44_OK))
		return rc;
	ihl = (ip4[0] & 0xfu) * 4;
	tot = nep_nat44_get16(ip4 + 2);
	frag = nep_nat44_get16(ip4 + 6);
	pk->t.src = nep_nat44_get32(ip4 + 12);
	pk->t.dst = nep_nat44_get32(ip4 + 16);
	pk->t.sport = pk->t.dport = 0;
	pk->t.proto = ip4[9];
	pk->l4_off = (uint16_t)ihl;
	pk->l4_len = (uint16_t)(tot - ihl);
	pk->tcp_flags = pk->icmp_type = 0;
	pk->first_frag = (frag & RTE_IPV4_HDR_MF_FLAG) != 0;
	if (unlikely(frag & RTE_IPV4_HDR_OFFSET_MASK))
		return NEP_NAT44_ERR_LATER_FRAGMENT;
	l4 = ip4 + ihl;
	switch (pk->t.proto) {
	case NEP_NAT44_PROTO_TCP:
		if (unlikely(pk->l4_len < 20))
			return NEP_NAT44_ERR_TRUNCATED;
		pk->tcp_flags = l4[13];
		break;
	case NEP_NAT44_PROTO_UDP:
		if (unlikely(pk->l4_len < 8))
			return NEP_NAT44_ERR_TRUNCATED;
		break;
	case NEP_NAT44_PROTO_ICMP:
		if (unlikely(pk->l4_len < 8))
			return NEP_NAT44_ERR_TRUNCATED;
		pk->icmp_type = l4[0];
		if (likely(nep_nat44_icmp_is_echo(l4[0]))) {
			pk->t.sport = pk->t.dport = nep_nat44_get16(l4 + 4);
			return NEP_NAT44_OK;
		}
		return nep_nat44_icmp_is_error(l4[0]) ? NEP_NAT44_ICMP_ERROR
						      : NEP_NAT44_ERR_ICMP_TYPE;
	default:
		return NEP_NAT44_ERR_PROTO;
	}
	pk->t.sport = nep_nat44_get16(l4);
	pk->t.dport = nep_nat44_get16(l4 + 2);
	return NEP_NAT44_OK;
}

/* Outbound lookup: the inside (source) side of the tuple. */
static inline struct nep_nat44_key
nep_nat44_key_src(const struct nep_nat44_tuple *t)
{
	struct nep_nat44_key k = {
		.addr = t->src, .port = t->sport, .proto = t->proto};

	return k;
}

/*
 * Inbound lookup: the public (destination) side; the remote end, for
 * filtering, is (t->src, t->sport).
 */
static inline struct nep_nat44_key
nep_nat44_key_dst(const struct nep_nat44_tuple *t)
{
	struct nep_nat44_key k = {
		.addr = t->dst, .port = t->dport, .proto = t->proto};

	return k;
}

/* ---- translation ---- */

/*
 * Rewrite the L4 port (TCP/UDP: the source port at 0 or the destination
 * port at 2; ICMP echo: the identifier at 4 either way) and fix the L4
 * checksum for it and for daddr, the change of an address in the
 * pseudo-header (ICMP has none). A zero UDP checksum (none) stays zero; a
 * computed zero is sent as 0xffff (RFC 768).
 */
static inline void
nep_nat44_l4_rewrite(uint8_t *l4, uint8_t proto, enum nep_nat44_dir dir,
	uint32_t daddr, uint16_t new_port)
{
	uint16_t np = rte_cpu_to_be_16(new_port), op, ck;
	unsigned int poff = dir == NEP_NAT44_OUT ? 0 : 2;

	switch (proto) {
	case NEP_NAT44_PROTO_TCP:
		op = nep_nat44_ld16(l4 + poff);
		nep_nat44_st16(l4 + poff, np);
		nep_nat44_st16(
			l4 + 16, nep_nat44_cadjust(nep_nat44_ld16(l4 + 16),
					 daddr + nep_nat44_cdiff16(op, np)));
		break;
	case NEP_NAT44_PROTO_UDP:
		op = nep_nat44_ld16(l4 + poff);
		nep_nat44_st16(l4 + poff, np);
		ck = nep_nat44_ld16(l4 + 6);
		if (ck != 0) {
			ck = nep_nat44_cadjust(
				ck, daddr + nep_nat44_cdiff16(op, np));
			nep_nat44_st16(l4 + 6, ck != 0 ? ck : 0xffff);
		}
		break;
	default: /* ICMP echo */
		op = nep_nat44_ld16(l4 + 4);
		nep_nat44_st16(l4 + 4, np);
		nep_nat44_st16(l4 + 2, nep_nat44_cadjust(nep_nat44_ld16(l4 + 2),
					       nep_nat44_cdiff16(op, np)));
		break;
	}
}

/*
 * Rewrite the IPv4 source (OUT) or destination (IN) address at ip4 and
 * fix the header checksum; returns the checksum change of the address
 * (for the pseudo-header).
 */
static inline uint32_t
nep_nat44_addr_rewrite(uint8_t *ip4, enum nep_nat44_dir dir, uint32_t addr)
{
	uint8_t *a = ip4 + (dir == NEP_NAT44_OUT ? 12 : 16);
	uint32_t na = rte_cpu_to_be_32(addr), oa, d;

	memcpy(&oa, a, 4);
	memcpy(a, &na, 4);
	d = nep_nat44_cdiff32(oa, na);
	nep_nat44_st16(
		ip4 + 10, nep_nat44_cadjust(nep_nat44_ld16(ip4 + 10), d));
	return d;
}

/*
 * Translate a packet nep_nat44_parse() returned OK for: the source (OUT)
 * or destination (IN) address and port / ICMP identifier, with the IPv4
 * header and L4 checksums. A first fragment is translated like a whole
 * packet (its L4 checksum covers the later fragments, which only get the
 * address: nep_nat44_frag_snat()).
 */
/*
 * An ICMP message whose incremental update gave the checksum 0: with no
 * pseudo-header that is -0 when every other byte is zero, where a full
 * computation gives 0xffff (and receivers refuse 0). Rare (1 in 65536
 * updates), so the scan costs nothing on average.
 */
static inline void
nep_nat44_icmp_fix_zero(uint8_t *icmp, uint32_t len)
{
	uint32_t i;

	if (icmp[2] != 0 || icmp[3] != 0)
		return;
	for (i = 0; i < len; i++)
		if (icmp[i] != 0)
			return;
	icmp[2] = icmp[3] = 0xff;
}

static inline void
nep_nat44_translate_pkt(uint8_t *ip4, const struct nep_nat44_pkt *pk,
	enum nep_nat44_dir dir, uint32_t addr, uint16_t port)
{
	uint32_t d = nep_nat44_addr_rewrite(ip4, dir, addr);

	nep_nat44_l4_rewrite(ip4 + pk->l4_off, pk->t.proto, dir, d, port);
	if (pk->t.proto == NEP_NAT44_PROTO_ICMP)
		nep_nat44_icmp_fix_zero(ip4 + pk->l4_off, pk->l4_len);
}

/*
 * Source NAT of an outbound TCP, UDP or ICMP echo packet: new_src and
 * new_port (the ICMP identifier). Anything but OK leaves the packet as it
 * was (ICMP_ERROR: use nep_nat44_icmp_err_rewrite()).
 */
static inline enum nep_nat44_rc
nep_nat44_snat(uint8_t *ip4, uint32_t len, uint32_t new_src, uint16_t new_port)
{
	struct nep_nat44_pkt pk;
	enum nep_nat44_rc rc = nep_nat44_parse(ip4, len, &pk);

	if (likely(rc == NEP_NAT44_OK))
		nep_nat44_translate_pkt(
			ip4, &pk, NEP_NAT44_OUT, new_src, new_port);
	return rc;
}

/* Destination NAT of an inbound packet: the same, the destination side. */
static inline enum nep_nat44_rc
nep_nat44_dnat(uint8_t *ip4, uint32_t len, uint32_t new_dst, uint16_t new_port)
{
	struct nep_nat44_pkt pk;
	enum nep_nat44_rc rc = nep_nat44_parse(ip4, len, &pk);

	if (likely(rc == NEP_NAT44_OK))
		nep_nat44_translate_pkt(
			ip4, &pk, NEP_NAT44_IN, new_dst, new_port);
	return rc;
}

/* ---- fragments ---- */

/* Any fragment: MF set or a non-zero offset. */
static inline bool
nep_nat44_is_fragment(const uint8_t *ip4)
{
	return (nep_nat44_get16(ip4 + 6) &
		       (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

/* The first fragment (offset 0, MF): it carries the L4 header. */
static inline bool
nep_nat44_is_first_fragment(const uint8_t *ip4)
{
	return (nep_nat44_get16(ip4 + 6) &
		       (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) ==
	       RTE_IPV4_HDR_MF_FLAG;
}

/* A later fragment (offset != 0): no L4 header. */
static inline bool
nep_nat44_is_later_fragment(const uint8_t *ip4)
{
	return (nep_nat44_get16(ip4 + 6) & RTE_IPV4_HDR_OFFSET_MASK) != 0;
}

/* What ties the fragments of a datagram together (RFC 791), host order. */
struct nep_nat44_frag_key {
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	uint8_t pad; /* 0 */
};

static inline struct nep_nat44_frag_key
nep_nat44_frag_key(const uint8_t *ip4)
{
	struct nep_nat44_frag_key k = {
		.src = nep_nat44_get32(ip4 + 12),
		.dst = nep_nat44_get32(ip4 + 16),
		.id = nep_nat44_get16(ip4 + 4),
		.proto = ip4[9],
	};

	return k;
}

/*
 * A later fragment gets its first fragment's address translation: the
 * address and the header checksum only (the L4 checksum, in the first
 * fragment, was fixed there). ERR_NOT_LATER_FRAGMENT for anything else.
 */
static inline enum nep_nat44_rc
nep_nat44_frag_translate(
	uint8_t *ip4, uint32_t len, enum nep_nat44_dir dir, uint32_t addr)
{
	enum nep_nat44_rc rc = nep_nat44_ip4_check(ip4, len);

	if (unlikely(rc != NEP_NAT44_OK))
		return rc;
	if (unlikely(!nep_nat44_is_later_fragment(ip4)))
		return NEP_NAT44_ERR_NOT_LATER_FRAGMENT;
	nep_nat44_addr_rewrite(ip4, dir, addr);
	return NEP_NAT44_OK;
}

static inline enum nep_nat44_rc
nep_nat44_frag_snat(uint8_t *ip4, uint32_t len, uint32_t new_src)
{
	return nep_nat44_frag_translate(ip4, len, NEP_NAT44_OUT, new_src);
}

static inline enum nep_nat44_rc
nep_nat44_frag_dnat(uint8_t *ip4, uint32_t len, uint32_t new_dst)
{
	return nep_nat44_frag_translate(ip4, len, NEP_NAT44_IN, new_dst);
}

/* ---- ICMP errors (RFC 5508) ---- */

/* An ICMP error and the packet it quotes; offsets from the IPv4 header. */
struct nep_nat44_icmp_err {
	struct nep_nat44_tuple inner; /* the quoted packet, as quoted */
	uint32_t outer_src, outer_dst;
	uint16_t icmp_off;     /* the ICMP header */
	uint16_t inner_off;    /* the quoted IPv4 header */
	uint16_t inner_l4_off; /* its L4 header */
	uint16_t inner_l4_len; /* quoted L4 bytes, >= 8 */
	uint16_t icmp_len;     /* ICMP message bytes in this packet */
	uint8_t fragmented;    /* the error itself is a first fragment */
	uint8_t type, code;
	uint8_t inner_l4_csum; /* the quoted L4 checksum field is complete
				* (TCP: 18 bytes quoted) */
};

/*
 * Parse an ICMP error: the outer packet as nep_nat44_parse() (anything but
 * its ICMP_ERROR comes back as is, OK as ERR_NOT_ICMP_ERROR), then the
 * quoted IPv4 header (options skipped, RFC 5508 REQ-3b) and at least 8
 * bytes of its TCP, UDP or ICMP echo header (ERR_INNER_TRUNCATED,
 * ERR_INNER_BAD_HDR, ERR_INNER_FRAGMENT for a quoted later fragment,
 * ERR_INNER_PROTO otherwise: an error about an error is not translated).
 *
 * The session of an inbound error (about a packet we sent out): key
 * nep_nat44_key_src(&e->inner), remote (inner.dst, inner.dport); of an
 * outbound one (an inside host about a packet it received):
 * nep_nat44_key_dst(&e->inner). An error refreshes no session (RFC 5508
 * REQ-6) and ends none (RFC 4787 REQ-12).
 */
enum nep_nat44_rc nep_nat44_icmp_err_parse(
	const uint8_t *ip4, uint32_t len, struct nep_nat44_icmp_err *e);

/*
 * The checks RFC 5508 REQ-3 asks before translating: the ICMP checksum
 * over the whole message (not checkable in a fragment: skipped there) and
 * the quoted IPv4 header's checksum (REQ-3a; the quoted transport checksum
 * is not checked, REQ-3c). e: from nep_nat44_icmp_err_parse() of the same
 * packet. OK, ERR_ICMP_CHECKSUM or ERR_INNER_CHECKSUM.
 */
enum nep_nat44_rc nep_nat44_icmp_err_verify(
	const uint8_t *ip4, const struct nep_nat44_icmp_err *e);

/*
 * Translate an ICMP error (RFC 5508 REQ-4, REQ-5):
 *  IN   an error from outside about a packet we translated on its way out:
 *       the outer destination becomes new_outer (the inside host), the
 *       quoted source address and port (identifier) new_addr / new_port;
 *  OUT  an error from inside about a packet translated on its way in: the
 *       outer source becomes new_outer (the public address), the quoted
 *       destination new_addr / new_port.
 * Fixed incrementally: the outer header checksum, the quoted header's
 * checksum, the quoted L4 checksum when it is quoted (not verifiable when
 * the packet is cut, so only updated), and the ICMP checksum over them
 * all. Hairpinned errors take one call per direction. Anything but OK
 * leaves the packet as it was.
 */
enum nep_nat44_rc nep_nat44_icmp_err_rewrite(uint8_t *ip4, uint32_t len,
	enum nep_nat44_dir dir, uint32_t new_outer, uint32_t new_addr,
	uint16_t new_port);

/* ---- ports: pools of port blocks ---- */

#define NEP_NAT44_PORT_MIN 1024 /* dynamic ports: 1024..65535 */
#define NEP_NAT44_BLOCK_MIN 64
#define NEP_NAT44_BLOCK_MAX 4096
#define NEP_NAT44_BLOCK_DEFAULT 256
#define NEP_NAT44_MAX_BLOCKS (65536 / NEP_NAT44_BLOCK_MIN)
#define NEP_NAT44_NO_OWNER UINT32_MAX

/*
 * One public address's port space for one protocol (TCP, UDP and ICMP
 * identifiers are separate spaces: three pools per address). Block b
 * holds ports [b * block_size, (b + 1) * block_size); the blocks wholly
 * in 1024..65535 are usable (64..1024-port blocks: all of that range;
 * 2048: 2048..65535; 4096: 4096..65535).
 *
 * Claims are lock-free: a worker sets a block's bit with an atomic
 * fetch-or (nep_nat44_block_grab()) and clears it when it gives the block
 * back; the control plane only initialises the pool, reserves ports
 * before workers use it, and reads it for `show`. A claim happens once
 * per block_size mappings, so contention on the bitmap words is rare,
 * and a worker never waits for another thread to hand it a block.
 */
struct nep_nat44_pool {
	uint32_t addr;	      /* the public address, host order */
	uint16_t block_size;  /* power of two, 64..4096 */
	uint8_t shift;	      /* log2(block_size) */
	uint8_t proto;	      /* informational */
	uint16_t first_block; /* usable blocks: [first_block, end_block) */
	uint16_t end_block;
	uint64_t claimed[NEP_NAT44_MAX_BLOCKS / 64]; /* atomic; unusable
						      * blocks stay set */
	uint32_t owner[NEP_NAT44_MAX_BLOCKS];	     /* of a claimed block, for
						      * show; NEP_NAT44_NO_OWNER */
	uint64_t reserved[65536 / 64]; /* ports never allocated (static
					* forwards), set before use */
};

/*
 * Initialise a pool; block_size must be a power of two in 64..4096.
 * OK or ERR_BLOCK_SIZE.
 */
enum nep_nat44_rc nep_nat44_pool_init(struct nep_nat44_pool *p, uint32_t addr,
	uint8_t proto, uint32_t block_size);

/*
 * Keep a port out of dynamic allocation (a static port forward). Only
 * before the pool is in use: a worker copies the reservations of a block
 * when it claims it.
 */
void nep_nat44_pool_reserve(struct nep_nat44_pool *p, uint16_t port);

/* Usable blocks and blocks nobody holds (a snapshot). */
unsigned int nep_nat44_pool_blocks(const struct nep_nat44_pool *p);
unsigned int nep_nat44_pool_free_blocks(const struct nep_nat44_pool *p);

/*
 * Claim a block for owner: the one holding want_port when want_port is in
 * a usable block (and -1 if that one is taken), any free one when
 * want_port is 0 (the search starts at a word picked from owner, so
 * workers do not all race for the same word). Returns the block number or
 * -1 when none is free. Lock-free, any thread.
 */
int nep_nat44_block_grab(
	struct nep_nat44_pool *p, uint32_t owner, uint16_t want_port);

/* Give a block back (its owner, once none of its ports is in use). */
void nep_nat44_block_release(struct nep_nat44_pool *p, unsigned int block);

/* The owner of a claimed block, NEP_NAT44_NO_OWNER otherwise (show). */
uint32_t nep_nat44_block_owner(
	const struct nep_nat44_pool *p, unsigned int block);

/*
 * Per-host mapping counters (RFC 6888 REQ-4: a host cannot exhaust an
 * address): an open-addressing table of (host, count), one writer (the
 * worker); caller-allocated, nep_nat44_hosts_memsize(capacity) bytes,
 * capacity a power of two; full at 7/8 of it.
 */
struct nep_nat44_host_ent {
	uint32_t host; /* 0: empty */
	uint32_t count;
};

struct nep_nat44_hosts {
	uint32_t mask;	/* capacity - 1 */
	uint32_t limit; /* mappings per host; 0: no limit */
	uint32_t n;	/* hosts with a mapping */
	uint32_t max_n; /* 7/8 of the capacity */
	struct nep_nat44_host_ent ent[];
};

size_t nep_nat44_hosts_memsize(uint32_t capacity);

/* -EINVAL unless capacity is a power of two >= 8. */
int nep_nat44_hosts_init(
	struct nep_nat44_hosts *h, uint32_t capacity, uint32_t limit);

/* One more mapping for host: OK, ERR_HOST_LIMIT or ERR_HOST_TABLE_FULL. */
enum nep_nat44_rc nep_nat44_host_get(struct nep_nat44_hosts *h, uint32_t host);

/* One mapping of host less (the entry goes at zero). */
void nep_nat44_host_put(struct nep_nat44_hosts *h, uint32_t host);

uint32_t nep_nat44_host_count(const struct nep_nat44_hosts *h, uint32_t host);

/*
 * One worker's ports on one pool. Single writer (the worker); the
 * control plane may read the counters. About 18 KiB; allocate it with
 * the worker's other state and nep_nat44_ports_init() it.
 */
struct nep_nat44_ports {
	struct nep_nat44_pool *pool;
	uint32_t owner;		  /* this worker's id in the pool */
	uint32_t in_use;	  /* ports allocated */
	uint16_t n_blocks;	  /* blocks held */
	uint16_t keep_blocks;	  /* empty blocks kept rather than released */
	uint16_t max_pref_blocks; /* port preservation claims no block beyond
				   * this many held (0: no cap), so one worker
				   * does not take every block of an address
				   * just to preserve ports */
	uint16_t cursor;	  /* blocks[] index where the search starts */
	uint32_t free_par[2];	  /* free even, odd ports in held blocks */
	uint16_t blocks[NEP_NAT44_MAX_BLOCKS]; /* held block numbers */
	uint16_t slot[NEP_NAT44_MAX_BLOCKS];   /* block -> index in blocks[] */
	uint16_t nused[NEP_NAT44_MAX_BLOCKS];  /* block -> ports allocated */
	uint16_t nfree[NEP_NAT44_MAX_BLOCKS][2]; /* block -> free even, odd */
	uint64_t held[NEP_NAT44_MAX_BLOCKS / 64];
	uint64_t used[65536 / 64]; /* allocated or reserved, held blocks */
};

void nep_nat44_ports_init(struct nep_nat44_ports *w, struct nep_nat44_pool *p,
	uint32_t owner, uint16_t keep_blocks, uint16_t max_pref_blocks);

/*
 * Allocate a public port for a new mapping of host, which used port want
 * (host order; the ICMP identifier). In order:
 *  1. want itself, when it is free in a block this worker holds, or in a
 *     free block it can claim (port preservation);
 *  2. a free port of want's parity in a held block (RFC 4787 REQ-4);
 *  3. the same in a newly claimed block;
 *  4. a port of the other parity (parity is RECOMMENDED, a mapping is
 *     better than none).
 * A want below 1024 gets a port of 1024..65535 (RFC 4787 REQ-3a would
 * keep it in 0..1023; those are not in the pools). hosts (NULL: no
 * limit) counts host's mappings first. OK (port set), ERR_HOST_LIMIT,
 * ERR_HOST_TABLE_FULL or ERR_NO_PORT (the address is exhausted).
 */
enum nep_nat44_rc nep_nat44_port_alloc(struct nep_nat44_ports *w,
	struct nep_nat44_hosts *hosts, uint32_t host, uint16_t want,
	uint16_t *port);

/*
 * Free a port nep_nat44_port_alloc() gave for host; its block goes back
 * to the pool when it empties and more than keep_blocks are held.
 * ERR_NOT_ALLOCATED (nothing changed) when the port is not allocated here.
 */
enum nep_nat44_rc nep_nat44_port_free(struct nep_nat44_ports *w,
	struct nep_nat44_hosts *hosts, uint32_t host, uint16_t port);

/* Is port allocated by this worker (or reserved in a held block)? */
static inline bool
nep_nat44_port_in_use(const struct nep_nat44_ports *w, uint16_t port)
{
	return (w->used[port >> 6] >> (port & 63)) & 1;
}

/* Release every empty held block beyond keep of them; returns how many. */
unsigned int nep_nat44_ports_trim(struct nep_nat44_ports *w, unsigned int keep);

/*
 * Paired pooling (RFC 4787 REQ-2, RFC 6888 REQ-2): the index in addrs[n]
 * (host order) of host's public address, a pure function of the host and
 * the set of addresses: the highest jhash(host, address) (rendezvous
 * hashing), so the order of addrs does not matter and removing an address
 * moves only the hosts that were on it. n when n is 0.
 */
unsigned int nep_nat44_pick_address(
	uint32_t host, const uint32_t *addrs, unsigned int n);

/* ---- TCP state and timeouts ---- */

/*
 * TCP session state (RFC 5382; RFC 7857 for RST). Established once SYNs
 * went both ways (SYN, SYN+ACK; a simultaneous open); one FIN makes it
 * half-closed and transitory (FIN_WAIT_*), FINs both ways TIME_WAIT, a
 * RST CLOSING (kept for the transitory timeout, not removed at once: a
 * RST may be lost or forged). A SYN after TIME_WAIT or CLOSING opens the
 * tuple again. CLOSED: no SYN seen (a session picked up in mid-stream
 * stays transitory: it is not granted 2 hours unverified).
 */
#define NEP_NAT44_TCP_STATES(X)                                                \
	X(CLOSED, "closed")                                                    \
	X(SYN_SENT_OUT, "syn_sent_out")                                        \
	X(SYN_SENT_IN, "syn_sent_in")                                          \
	X(ESTABLISHED, "established")                                          \
	X(FIN_WAIT_OUT, "fin_wait_out")                                        \
	X(FIN_WAIT_IN, "fin_wait_in")                                          \
	X(TIME_WAIT, "time_wait")                                              \
	X(CLOSING, "closing")

enum nep_nat44_tcp_state {
#define NEP_NAT44_TCP_ENUM(n, s) NEP_NAT44_TCP_##n,
	NEP_NAT44_TCP_STATES(NEP_NAT44_TCP_ENUM)
#undef NEP_NAT44_TCP_ENUM
		NEP_NAT44_TCP_MAX
};

/* Stable name of a TCP state ("unknown" out of range). */
const char *nep_nat44_tcp_state_name(uint8_t st);

/* The state after a segment with flags going dir. */
static inline uint8_t
nep_nat44_tcp_next(uint8_t st, enum nep_nat44_dir dir, uint8_t flags)
{
	const bool out = dir == NEP_NAT44_OUT;

	if (flags & NEP_NAT44_TCP_RST)
		return NEP_NAT44_TCP_CLOSING;
	if ((flags & (NEP_NAT44_TCP_SYN | NEP_NAT44_TCP_FIN)) ==
		(NEP_NAT44_TCP_SYN | NEP_NAT44_TCP_FIN))
		return st; /* invalid: no change */
	if (flags & NEP_NAT44_TCP_SYN) {
		switch (st) {
		case NEP_NAT44_TCP_CLOSED:
		case NEP_NAT44_TCP_TIME_WAIT:
		case NEP_NAT44_TCP_CLOSING:
			return out ? NEP_NAT44_TCP_SYN_SENT_OUT
				   : NEP_NAT44_TCP_SYN_SENT_IN;
		case NEP_NAT44_TCP_SYN_SENT_OUT:
			return out ? st : NEP_NAT44_TCP_ESTABLISHED;
		case NEP_NAT44_TCP_SYN_SENT_IN:
			return out ? NEP_NAT44_TCP_ESTABLISHED : st;
		default:
			return st;
		}
	}
	if (flags & NEP_NAT44_TCP_FIN) {
		switch (st) {
		case NEP_NAT44_TCP_SYN_SENT_OUT:
		case NEP_NAT44_TCP_SYN_SENT_IN:
		case NEP_NAT44_TCP_ESTABLISHED:
			return out ? NEP_NAT44_TCP_FIN_WAIT_OUT
				   : NEP_NAT44_TCP_FIN_WAIT_IN;
		case NEP_NAT44_TCP_FIN_WAIT_OUT:
			return out ? st : NEP_NAT44_TCP_TIME_WAIT;
		case NEP_NAT44_TCP_FIN_WAIT_IN:
			return out ? NEP_NAT44_TCP_TIME_WAIT : st;
		default:
			return st;
		}
	}
	return st;
}

/* Idle timeouts, seconds. */
struct nep_nat44_timeouts {
	uint32_t tcp_established; /* >= 7440 (RFC 5382 REQ-5: 2 h 4 min) */
	uint32_t tcp_transitory;  /* >= 240 (RFC 5382 REQ-5: 4 min) */
	uint32_t udp;		  /* >= 120 (RFC 4787 REQ-5), default 300
				   * (REQ-5c) */
	uint32_t icmp;		  /* >= 60 (RFC 5508 REQ-2) */
};

#define NEP_NAT44_TCP_EST_MIN 7440
#define NEP_NAT44_TCP_TRANS_MIN 240
#define NEP_NAT44_UDP_MIN 120
#define NEP_NAT44_ICMP_MIN 60
#define NEP_NAT44_TIMEOUT_MAX (7 * 86400)

#define NEP_NAT44_TIMEOUTS_DEFAULT                                             \
	{                                                                      \
		.tcp_established = 7440, .tcp_transitory = 240, .udp = 300,    \
		.icmp = 60                                                     \
	}

/*
 * OK or ERR_TIMEOUT with *field (if not NULL) the name of the first bad
 * one: below its RFC minimum or above NEP_NAT44_TIMEOUT_MAX.
 */
enum nep_nat44_rc nep_nat44_timeouts_check(
	const struct nep_nat44_timeouts *t, const char **field);

/* The idle timeout of a session (state: TCP only); 0 for other protocols. */
static inline uint32_t
nep_nat44_timeout(
	uint8_t state, uint8_t proto, const struct nep_nat44_timeouts *t)
{
	switch (proto) {
	case NEP_NAT44_PROTO_TCP:
		return state == NEP_NAT44_TCP_ESTABLISHED ? t->tcp_established
							  : t->tcp_transitory;
	case NEP_NAT44_PROTO_UDP:
		return t->udp;
	case NEP_NAT44_PROTO_ICMP:
		return t->icmp;
	default:
		return 0;
	}
}

/*
 * When a session last seen at last_seen (seconds) expires: it is expired
 * once now > the result (strictly: with whole seconds that truncate, the
 * session has then been idle for the full timeout at least).
 */
static inline uint64_t
nep_nat44_expiry(uint8_t state, uint8_t proto, uint64_t last_seen,
	const struct nep_nat44_timeouts *t)
{
	return last_seen + nep_nat44_timeout(state, proto, t);
}

static inline bool
nep_nat44_expired(uint8_t state, uint8_t proto, uint64_t last_seen,
	uint64_t now, const struct nep_nat44_timeouts *t)
{
	return now > nep_nat44_expiry(state, proto, last_seen, t);
}

/* ---- filtering ---- */

enum nep_nat44_filtering {
	NEP_NAT44_FILTER_EIF = 0,  /* endpoint-independent: any remote */
	NEP_NAT44_FILTER_ADF = 1,  /* address-dependent */
	NEP_NAT44_FILTER_APDF = 2, /* address- and port-dependent */
};

/*
 * The remotes a mapping sent to, for ADF/APDF: the last
 * NEP_NAT44_REMOTES distinct ones exactly (a ring, the oldest replaced;
 * 26 bytes). Exact rather than a Bloom filter: no false positives, so an
 * unsolicited packet is never let in; a mapping talking to more remotes
 * forgets the oldest, which only matters for an inbound packet matching
 * no session of its own (the data path asks the filter for those alone).
 */
#define NEP_NAT44_REMOTES 4

struct nep_nat44_remotes {
	uint32_t addr[NEP_NAT44_REMOTES];
	uint16_t port[NEP_NAT44_REMOTES];
	uint8_t n;    /* entries in use */
	uint8_t next; /* the one a new remote replaces when full */
};

static inline int
nep_nat44_remotes_find(const struct nep_nat44_remotes *r,
	enum nep_nat44_filtering mode, uint32_t addr, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->addr[i] == addr &&
			(mode != NEP_NAT44_FILTER_APDF || r->port[i] == port))
			return (int)i;
	return -1;
}

/* An outbound packet of the mapping went to (addr, port). */
static inline void
nep_nat44_remotes_note(struct nep_nat44_remotes *r,
	enum nep_nat44_filtering mode, uint32_t addr, uint16_t port)
{
	unsigned int i;

	if (mode == NEP_NAT44_FILTER_EIF ||
		nep_nat44_remotes_find(r, mode, addr, port) >= 0)
		return;
	if (r->n < NEP_NAT44_REMOTES) {
		i = r->n++;
	} else {
		i = r->next;
		r->next = (uint8_t)((i + 1) % NEP_NAT44_REMOTES);
	}
	r->addr[i] = addr;
	r->port[i] = port;
}

/* May an inbound packet from (addr, port) use the mapping? */
static inline bool
nep_nat44_filter_allow(enum nep_nat44_filtering mode,
	const struct nep_nat44_remotes *r, uint32_t addr, uint16_t port)
{
	if (mode == NEP_NAT44_FILTER_EIF)
		return true;
	return nep_nat44_remotes_find(r, mode, addr, port) >= 0;
}

#endif /* NEP_NAT44_H */
