/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRv6 data-plane transforms (RFC 8754 SRH, RFC 8986 behaviours).
 *
 * Pure functions over a byte buffer (no EAL, no mbuf), like lib/nptv6:
 *  - nep_srv6_parse(): find and validate the Segment Routing Header of a
 *    received IPv6 packet, returning a view of it or a named error;
 *  - nep_srv6_encap(): H.Encaps / H.Encaps.Red (RFC 8986 5.1, 5.2) in the
 *    headroom in front of an inner IPv6 or IPv4 packet, from a template
 *    prepared once per SR policy (nep_srv6_policy_init());
 *  - nep_srv6_end(): the End behaviour (RFC 8986 4.1);
 *  - nep_srv6_decap_locate(): where the inner packet of End.DT4/DT6/DT46
 *    starts.
 *
 * Every outcome other than NEP_SRV6_OK has a stable short name
 * (nep_srv6_rc_name()), meant to be registered as a drop reason.
 *
 * Offsets are relative to the start of the outer IPv6 header unless said
 * otherwise; multi-byte fields are read and written in network order.
 */
#ifndef NEP_SRV6_H
#define NEP_SRV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEP_SRV6_MAX_SIDS 8
#define NEP_SRV6_DEFAULT_HOP_LIMIT 64

#define NEP_SRV6_IP6_HLEN 40
#define NEP_SRV6_SRH_FIXED 8 /* SRH bytes before Segment List[0] */
#define NEP_SRV6_SID_LEN 16
/* Outer IPv6 + the largest SRH a policy can carry. */
#define NEP_SRV6_MAX_HDR                                                       \
	(NEP_SRV6_IP6_HLEN + NEP_SRV6_SRH_FIXED +                              \
		NEP_SRV6_SID_LEN * NEP_SRV6_MAX_SIDS)

#define NEP_SRV6_NH_HOPOPTS 0
#define NEP_SRV6_NH_IPV4 4
#define NEP_SRV6_NH_IPV6 41
#define NEP_SRV6_NH_ROUTING 43
#define NEP_SRV6_NH_FRAGMENT 44
#define NEP_SRV6_NH_DSTOPTS 60
#define NEP_SRV6_RT_SRH 4 /* Routing Type of the SRH */

/* SRH TLV types that carry padding only (RFC 8754 2.1.1). */
#define NEP_SRV6_TLV_PAD1 0
#define NEP_SRV6_TLV_PADN 4

/* Result codes; each name is stable (counters and logs use it). */
#define NEP_SRV6_RCS(X)                                                        \
	X(OK, "ok")                                                            \
	X(ERR_NOT_IP6, "srv6_not_ipv6")                                        \
	X(ERR_TRUNCATED, "srv6_truncated")                                     \
	X(ERR_EXT_CHAIN, "srv6_ext_chain_too_long")                            \
	X(ERR_NO_SRH, "srh_missing")                                           \
	X(ERR_RT_TYPE, "srh_bad_routing_type")                                 \
	X(ERR_SRH_TRUNCATED, "srh_truncated")                                  \
	X(ERR_HDR_LEN, "srh_bad_hdr_len")                                      \
	X(ERR_SL, "srh_bad_segments_left")                                     \
	X(ERR_TLV, "srh_bad_tlv")                                              \
	X(NO_NEXT_SEG, "srv6_no_next_segment")                                 \
	X(HOP_LIMIT, "srv6_hop_limit_exceeded")                                \
	X(ERR_DECAP_SL, "srv6_decap_segments_left")                            \
	X(ERR_DECAP_FRAG, "srv6_decap_fragment")                               \
	X(ERR_DECAP_NO_INNER, "srv6_decap_no_inner")                           \
	X(ERR_HEADROOM, "srv6_encap_headroom")                                 \
	X(ERR_INNER, "srv6_encap_bad_inner")                                   \
	X(ERR_INNER_TTL, "srv6_encap_inner_ttl_exceeded")                      \
	X(ERR_TOO_BIG, "srv6_encap_too_big")

enum nep_srv6_rc {
#define NEP_SRV6_RC_ENUM(n, s) NEP_SRV6_##n,
	NEP_SRV6_RCS(NEP_SRV6_RC_ENUM)
#undef NEP_SRV6_RC_ENUM
		NEP_SRV6_RC_MAX
};

/* Stable short name of a result code; "unknown" when out of range. */
const char *nep_srv6_rc_name(enum nep_srv6_rc rc);

/*
 * View of a validated SRH. Offsets are from the outer IPv6 header, so the
 * view stays valid when the packet is copied or moved as a whole.
 */
struct nep_srv6_srh {
	uint16_t srh_off;  /* routing header */
	uint16_t srh_len;  /* bytes: 8 * (Hdr Ext Len + 1) */
	uint16_t sids_off; /* Segment List[0] */
	uint16_t tlv_off;  /* first TLV byte (== srh_off + srh_len: none) */
	uint16_t tlv_len;
	uint16_t tag;	  /* host order */
	uint16_t err_off; /* on error: field for the Parameter Problem */
	uint8_t next_hdr; /* header after the SRH */
	uint8_t segments_left;
	uint8_t last_entry;
	uint8_t flags;
};

/*
 * Find the routing header of an IPv6 packet (after an optional Hop-by-Hop
 * and Destination Options header) and validate it as an SRH:
 *  - ERR_NOT_IP6 / ERR_TRUNCATED: not IPv6, or payload length beyond len;
 *  - ERR_NO_SRH: no routing header before the upper layer;
 *  - ERR_RT_TYPE: a routing header of another type (RFC 8200 4.4: the
 *    caller ignores it when its Segments Left is 0);
 *  - ERR_SRH_TRUNCATED: the header runs past the packet;
 *  - ERR_HDR_LEN: Hdr Ext Len below 2 * (Last Entry + 1);
 *  - ERR_SL: Segments Left > Last Entry + 1;
 *  - ERR_TLV: a TLV running past the header.
 * err_off points at the offending field (RFC 8754 4.3.1.1 wants the
 * Segments Left field for ERR_SL; RFC 8200 the Routing Type field).
 */
enum nep_srv6_rc nep_srv6_parse(
	const uint8_t *ip6, uint32_t len, struct nep_srv6_srh *v);

/* Segment List[i] of a parsed SRH. */
static inline const uint8_t *
nep_srv6_sid(const uint8_t *ip6, const struct nep_srv6_srh *v, unsigned int i)
{
	return ip6 + v->sids_off + NEP_SRV6_SID_LEN * i;
}

/*
 * End (RFC 8986 4.1) on a packet whose DA is a local End SID, with the view
 * nep_srv6_parse() returned for the same bytes:
 *  - NO_NEXT_SEG: Segments Left is 0; the caller processes the next header
 *    (decapsulation for End.DT*) or sends a Parameter Problem;
 *  - HOP_LIMIT: hop limit <= 1 (ICMPv6 Time Exceeded, code 0);
 *  - OK: Segments Left decremented, DA = Segment List[SL], hop limit
 *    decremented (in the packet and in v): forward to the new DA.
 * No upper-layer checksum changes: the pseudo-header uses the final DA.
 */
enum nep_srv6_rc nep_srv6_end(
	uint8_t *ip6, uint32_t len, struct nep_srv6_srh *v);

/*
 * Decapsulation for End.DT4 / DT6 / DT46: skip the outer header and its
 * extension headers (Hop-by-Hop, Destination Options, routing header) and
 * return in *inner_off the offset of the inner packet (next header 41 or
 * 4) and in *family 6 or 4. Errors: the parse errors above, ERR_DECAP_SL
 * when an SRH still has segments left (RFC 8986 4.4/4.6), ERR_DECAP_FRAG
 * for a fragmented outer packet, ERR_DECAP_NO_INNER when the upper layer
 * is not an IP packet or its fixed header is incomplete.
 */
enum nep_srv6_rc nep_srv6_decap_locate(
	const uint8_t *ip6, uint32_t len, uint32_t *inner_off, uint8_t *family);

/* Bytes H.Encaps (reduced or not) adds for n_sids; 0 when out of range. */
static inline uint32_t
nep_srv6_encap_overhead(unsigned int n_sids, bool reduced)
{
	unsigned int in_srh = reduced ? n_sids - 1 : n_sids;

	if (n_sids == 0 || n_sids > NEP_SRV6_MAX_SIDS)
		return 0;
	if (in_srh == 0)
		return NEP_SRV6_IP6_HLEN;
	return NEP_SRV6_IP6_HLEN + NEP_SRV6_SRH_FIXED +
	       NEP_SRV6_SID_LEN * in_srh;
}

/*
 * An SR policy, prepared once: the outer header and SRH as a template, so
 * the per-packet work is one copy plus the fields that depend on the inner
 * packet (traffic class, flow label, payload length, next header).
 */
struct nep_srv6_policy {
	uint8_t hdr[NEP_SRV6_MAX_HDR];
	uint16_t hdr_len; /* == nep_srv6_encap_overhead() */
	uint16_t nh_off;  /* next-header byte naming the inner packet */
	uint8_t n_sids;
	uint8_t reduced;
};

/*
 * sids[0] is the first segment (the outer DA), sids[n_sids - 1] the last.
 * The SRH lists them in reverse (Segment List[0] = last SID); reduced mode
 * leaves the first SID out of it and, for one SID, omits the SRH. Flags and
 * tag are 0. Returns 0, or -EINVAL for n_sids outside 1..NEP_SRV6_MAX_SIDS
 * or a zero hop limit.
 */
int nep_srv6_policy_init(struct nep_srv6_policy *p, const uint8_t src[16],
	const uint8_t sids[][16], unsigned int n_sids, uint8_t hop_limit,
	bool reduced);

/*
 * H.Encaps / H.Encaps.Red: the inner IPv6 or IPv4 packet is at buf + off,
 * len bytes available (its own length field decides how many are used).
 * The outer header is written into the headroom in front of it; the inner
 * hop limit / TTL is decremented (IPv4 checksum updated, RFC 1624). On OK,
 * *out_off and *out_len give the outer packet. Errors: ERR_HEADROOM (off
 * below the overhead), ERR_INNER (not a well-formed IPv4/IPv6 header),
 * ERR_INNER_TTL (inner hop limit/TTL <= 1: Time Exceeded to its source),
 * ERR_TOO_BIG (outer payload length over 65535). The buffer is left
 * untouched on error.
 */
enum nep_srv6_rc nep_srv6_encap(const struct nep_srv6_policy *p, uint8_t *buf,
	uint32_t off, uint32_t len, uint32_t *out_off, uint32_t *out_len);

/* The same, with the flow label already computed by the caller
 * (nep_srv6_flow_label() of the same inner packet; 0: computed here). */
enum nep_srv6_rc nep_srv6_encap_label(const struct nep_srv6_policy *p,
	uint8_t *buf, uint32_t off, uint32_t len, uint32_t fl,
	uint32_t *out_off, uint32_t *out_len);

/*
 * Outer flow label for an inner packet (well-formed, as nep_srv6_encap()
 * checks): a hash of the 5-tuple for TCP/UDP, of the 3-tuple (addresses,
 * protocol) for anything else and for fragments, so all packets of a flow
 * take the same ECMP / RSS path. Never 0 (RFC 6437: 0 means "no label").
 *
 * The hash, reproduced by tests/unit/gen_srv6_vectors.py: over 32-bit
 * big-endian words (source, destination, protocol, then sport << 16 |
 * dport for the 5-tuple), h = 0x6a09e667; per word h ^= w,
 * h *= 0x9e3779b1, h ^= h >> 15; then h ^= h >> 16, h *= 0x85ebca6b,
 * h ^= h >> 13; label = h & 0xfffff, or 1 if that is 0. The protocol of an
 * IPv6 packet is the header after Hop-by-Hop / Routing / Destination
 * Options (44 for a fragment).
 */
uint32_t nep_srv6_flow_label(const uint8_t *inner, uint32_t len);

/* ---- the fast path's specialisations (same results, fewer checks) ---- */

static inline uint32_t
nep_srv6_be32_(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
nep_srv6_mix_(uint32_t h, uint32_t w)
{
	h ^= w;
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

/*
 * nep_srv6_flow_label() of an IPv6 packet whose next header is TCP or UDP
 * right after the fixed header (the caller checked it and that the ports
 * are there): no extension-header walk, no family test.
 */
static inline uint32_t
nep_srv6_flow_label6_l4(const uint8_t *ip6)
{
	uint32_t h = 0x6a09e667u;

	for (unsigned int i = 8; i < 40; i += 4)
		h = nep_srv6_mix_(h, nep_srv6_be32_(ip6 + i));
	h = nep_srv6_mix_(h, ip6[6]);
	h = nep_srv6_mix_(h, nep_srv6_be32_(ip6 + 40));
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h &= 0xfffff;
	return h != 0 ? h : 1;
}

/*
 * H.Encaps of an IPv6 inner packet the caller validated (ilen bytes, as
 * its payload length says, hop limit > 1), with its flow label fl: the
 * outer header is written at inner - p->hdr_len, the inner hop limit
 * decremented. Same bytes as nep_srv6_encap().
 */
static inline void
nep_srv6_encap6_fast(const struct nep_srv6_policy *p, uint8_t *inner,
	uint32_t ilen, uint32_t fl)
{
	uint8_t *o = inner - p->hdr_len;
	uint32_t plen = p->hdr_len - NEP_SRV6_IP6_HLEN + ilen;
	uint32_t w0 = 6u << 28 |
		(uint32_t)((inner[0] & 0x0f) << 4 | inner[1] >> 4) << 20 | fl;

	/* Constant sizes for the common policies: inline vector moves, not a
	 * libc call. */
	switch (p->hdr_len) {
	case NEP_SRV6_IP6_HLEN:
		memcpy(o, p->hdr, NEP_SRV6_IP6_HLEN);
		break;
	case NEP_SRV6_IP6_HLEN + NEP_SRV6_SRH_FIXED + NEP_SRV6_SID_LEN:
		memcpy(o, p->hdr, NEP_SRV6_IP6_HLEN + NEP_SRV6_SRH_FIXED +
			NEP_SRV6_SID_LEN);
		break;
	case NEP_SRV6_IP6_HLEN + NEP_SRV6_SRH_FIXED + 2 * NEP_SRV6_SID_LEN:
		memcpy(o, p->hdr, NEP_SRV6_IP6_HLEN + NEP_SRV6_SRH_FIXED +
			2 * NEP_SRV6_SID_LEN);
		break;
	default:
		memcpy(o, p->hdr, p->hdr_len);
	}
	o[0] = (uint8_t)(w0 >> 24);
	o[1] = (uint8_t)(w0 >> 16);
	o[2] = (uint8_t)(w0 >> 8);
	o[3] = (uint8_t)w0;
	o[4] = (uint8_t)(plen >> 8);
	o[5] = (uint8_t)plen;
	o[p->nh_off] = NEP_SRV6_NH_IPV6;
	inner[7]--;
}

/*
 * Where the inner IPv6 packet of an End.DT6 packet starts, for the two
 * shapes senders use: IPv6 directly in IPv6 (reduced encapsulation) and
 * an SRH without TLVs, Segments Left 0, then IPv6. 0 for anything else
 * (the general path, nep_srv6_decap_locate(), decides). len: the outer
 * packet as its payload length says.
 */
static inline uint32_t
nep_srv6_decap6_fast(const uint8_t *ip6, uint32_t len)
{
	const uint8_t *srh = ip6 + NEP_SRV6_IP6_HLEN;
	uint32_t hlen;

	if (ip6[6] == NEP_SRV6_NH_IPV6)
		return NEP_SRV6_IP6_HLEN + NEP_SRV6_IP6_HLEN <= len ?
			NEP_SRV6_IP6_HLEN : 0;
	if (ip6[6] != NEP_SRV6_NH_ROUTING ||
		len < NEP_SRV6_IP6_HLEN + NEP_SRV6_SRH_FIXED ||
		srh[0] != NEP_SRV6_NH_IPV6 || srh[2] != NEP_SRV6_RT_SRH ||
		srh[3] != 0)
		return 0;
	hlen = 8u * (srh[1] + 1u);
	/* exactly the segment list: no TLVs to check */
	if (hlen != NEP_SRV6_SRH_FIXED + NEP_SRV6_SID_LEN * (srh[4] + 1u) ||
		NEP_SRV6_IP6_HLEN + hlen + NEP_SRV6_IP6_HLEN > len)
		return 0;
	return NEP_SRV6_IP6_HLEN + hlen;
}

#endif /* NEP_SRV6_H */
