/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ILNP for IPv6 (RFC 6740, RFC 6741, RFC 6743, RFC 6744), the parts a
 * site border router needs (docs/ilnp.md). Pure: no EAL, no mbuf.
 *
 *  - An ILNP packet carries a Nonce option (type 0x8B, 4 or 12 bytes) in
 *    a Destination Options header: nep_ilnp_find() walks the extension
 *    headers to it and to the upper layer.
 *  - A locator (L64) is the upper 64 bits of an address, the Node
 *    Identifier (NID) the lower 64. ILNP's transport and ICMPv6
 *    checksums leave the locators out of the pseudo-header, so a
 *    locator rewrite needs no checksum change at all:
 *    nep_ilnp_locator_map() swaps prefix bits only, unlike RFC 6296,
 *    whose adjustment word lands in the NID for prefixes longer than /48.
 *  - A Locator Update (ICMPv6 type 156, RFC 6743: Num of Locs, Operation
 *    1 advertisement / 2 acknowledgement, entries of Locator(64),
 *    Preference(16), Lifetime(16)) lists locators: nep_ilnp_lu_parse()
 *    and nep_ilnp_lu_build() (its checksum over the NID-only
 *    pseudo-header, nep_ilnp_icmp6_cksum()).
 *  - Per-packet multipath by bytes: struct nep_ilnp_drr, a weighted
 *    least-served scheduler (each path's bytes over its weight).
 */
#ifndef NEP_ILNP_H
#define NEP_ILNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NEP_ILNP_OPT_NONCE 0x8b		/* RFC 6744 */
#define NEP_ILNP_ICMP_LU 156		/* RFC 6743 */
#define NEP_ILNP_LU_ADVERT 1
#define NEP_ILNP_LU_ACK 2
#define NEP_ILNP_LU_HDR 8		/* type .. reserved */
#define NEP_ILNP_LU_ENTRY 12		/* locator, preference, lifetime */
#define NEP_ILNP_LU_MAX 32		/* locators in one LU we build */

#define NEP_IP6_NH_HOPOPTS 0
#define NEP_IP6_NH_ROUTING 43
#define NEP_IP6_NH_FRAGMENT 44
#define NEP_IP6_NH_DSTOPTS 60
#define NEP_IP6_NH_ICMPV6 58

/* What nep_ilnp_find() saw. */
struct nep_ilnp_info {
	uint16_t nonce_off;	/* from the IPv6 header: the option's value */
	uint8_t nonce_len;	/* 4 or 12 */
	uint8_t proto;		/* the upper layer */
	uint16_t l4_off;	/* from the IPv6 header */
};

/*
 * Is the IPv6 packet at ip6 (len bytes, the whole packet) an ILNP packet?
 * Walks hop-by-hop, routing and destination options headers (a fragment
 * header ends the walk: a later fragment has no upper layer) and looks
 * for the Nonce option in a Destination Options header. Returns true and
 * fills *ii; false for a packet without a well-formed nonce (any length
 * or TLV out of bounds is "not ILNP": the packet is left to IPv6 rules).
 */
static inline bool
nep_ilnp_find(const uint8_t *ip6, uint32_t len, struct nep_ilnp_info *ii)
{
	uint32_t off = 40, end;
	uint8_t nh;
	bool found = false;

	if (len < 40)
		return false;
	nh = ip6[6];
	for (unsigned hdrs = 0; hdrs < 8; hdrs++) {
		if (nh != NEP_IP6_NH_HOPOPTS && nh != NEP_IP6_NH_ROUTING &&
			nh != NEP_IP6_NH_DSTOPTS)
			break;
		if (off + 8 > len)
			return false;
		end = off + 8 + ip6[off + 1] * 8u;
		if (end > len)
			return false;
		if (nh == NEP_IP6_NH_DSTOPTS && !found) {
			/* TLVs after next header and length */
			uint32_t o = off + 2;

			while (o < end) {
				uint8_t t = ip6[o];
				uint32_t ol;

				if (t == 0) {	/* Pad1 */
					o++;
					continue;
				}
				if (o + 2 > end)
					return false;
				ol = ip6[o + 1];
				if (o + 2 + ol > end)
					return false;
				if (t == NEP_ILNP_OPT_NONCE &&
					(ol == 4 || ol == 12)) {
					ii->nonce_off = (uint16_t)(o + 2);
					ii->nonce_len = (uint8_t)ol;
					found = true;
					break;
				}
				o += 2 + ol;
			}
		}
		nh = ip6[off];
		off = end;
	}
	if (!found)
		return false;
	ii->proto = nh;
	ii->l4_off = (uint16_t)off;
	return true;
}

static inline uint64_t
nep_ilnp_ld64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void
nep_ilnp_st64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * A locator (host order) under from_net/mask becomes to_net's, the bits
 * below the mask (a subnet number between the prefix and /64) kept. The
 * NID and every checksum stay as they are. false: not under from_net.
 */
static inline bool
nep_ilnp_locator_map(uint64_t *loc, uint64_t from_net, uint64_t to_net,
	uint64_t mask)
{
	if ((*loc & mask) != from_net)
		return false;
	*loc = (*loc & ~mask) | to_net;
	return true;
}

/* The same on an address in place (its first 8 bytes). */
static inline bool
nep_ilnp_addr_map(uint8_t *addr, uint64_t from_net, uint64_t to_net,
	uint64_t mask)
{
	uint64_t l = nep_ilnp_ld64(addr);

	if (!nep_ilnp_locator_map(&l, from_net, to_net, mask))
		return false;
	nep_ilnp_st64(addr, l);
	return true;
}

/* ---- Locator Updates ---- */

struct nep_ilnp_lu_entry {
	uint64_t locator;	/* host order */
	uint16_t preference;	/* lower is preferred (RFC 6742) */
	uint16_t lifetime;	/* seconds */
};

struct nep_ilnp_lu {
	uint8_t code, operation;
	uint8_t n;
	struct nep_ilnp_lu_entry e[NEP_ILNP_LU_MAX];
};

enum nep_ilnp_lu_rc {
	NEP_ILNP_LU_OK = 0,
	NEP_ILNP_LU_TRUNCATED,		/* shorter than its header */
	NEP_ILNP_LU_BAD_LENGTH,		/* not 8 + 12 x Num of Locs */
	NEP_ILNP_LU_NO_LOCATORS,	/* Num of Locs 0 (RFC 6743: MUST NOT) */
	NEP_ILNP_LU_TOO_MANY,		/* more than NEP_ILNP_LU_MAX */
	NEP_ILNP_LU_BAD_OPERATION,	/* neither 1 nor 2 */
	NEP_ILNP_LU_BAD_CHECKSUM,	/* over the NID-only pseudo-header */
};

/*
 * The ILNP ICMPv6 checksum of the message at icmp (len bytes) between
 * src and dst (16-byte addresses): the ones' complement of the sum over
 * the IPv6 pseudo-header with both locators zero (only the NIDs), the
 * length and next header 58, and the message with its checksum field
 * taken as zero. Network order in the returned value's byte order as
 * stored (store it with the high byte first).
 */
uint16_t nep_ilnp_icmp6_cksum(const uint8_t *src, const uint8_t *dst,
	const uint8_t *icmp, uint32_t len);

/*
 * Decode the LU at icmp (len bytes, type 156 already checked) into *lu,
 * its layout checked (not its checksum).
 */
enum nep_ilnp_lu_rc nep_ilnp_lu_decode(const uint8_t *icmp, uint32_t len,
	struct nep_ilnp_lu *lu);

/*
 * Parse the LU at icmp (len bytes, type 156 already checked) between src
 * and dst, its checksum checked. OK fills *lu.
 */
enum nep_ilnp_lu_rc nep_ilnp_lu_parse(const uint8_t *src, const uint8_t *dst,
	const uint8_t *icmp, uint32_t len, struct nep_ilnp_lu *lu);

/*
 * Write the LU lu at icmp (type, code, operation, entries, checksum for
 * src and dst). Returns its length (8 + 12 x n).
 */
uint32_t nep_ilnp_lu_build(const uint8_t *src, const uint8_t *dst,
	const struct nep_ilnp_lu *lu, uint8_t *icmp);

const char *nep_ilnp_lu_rc_name(enum nep_ilnp_lu_rc rc);

/* ---- per-packet multipath by bytes ---- */

#define NEP_ILNP_DRR_PATHS 8

/*
 * Weighted per-packet scheduling by bytes (the paper's "DRR", with
 * weights): each packet goes to the path whose bytes sent so far over
 * its weight are the least (ties: the lowest index); over any run of
 * packets each path's share of the bytes stays within one packet of its
 * weight's share. Counters start again when the path set (or a weight)
 * changes: nep_ilnp_drr_pick() compares the set it is given with the one
 * it served.
 */
struct nep_ilnp_drr {
	uint8_t n;
	uint8_t id[NEP_ILNP_DRR_PATHS];
	uint32_t weight[NEP_ILNP_DRR_PATHS];
	uint64_t sent[NEP_ILNP_DRR_PATHS];	/* bytes */
};

/*
 * The path (an id from ids[0..n)) for a packet of bytes bytes, ids and
 * weights (> 0) the usable paths now. -1 when n is 0.
 */
static inline int
nep_ilnp_drr_pick(struct nep_ilnp_drr *d, const uint8_t *ids,
	const uint32_t *weights, unsigned n, uint32_t bytes)
{
	unsigned best = 0;

	if (n == 0)
		return -1;
	if (n > NEP_ILNP_DRR_PATHS)
		n = NEP_ILNP_DRR_PATHS;
	if (d->n != n || memcmp(d->id, ids, n) != 0 ||
		memcmp(d->weight, weights, n * sizeof(*weights)) != 0) {
		memset(d, 0, sizeof(*d));
		d->n = (uint8_t)n;
		memcpy(d->id, ids, n);
		memcpy(d->weight, weights, n * sizeof(*weights));
	}
	/* sent[i] / w[i] < sent[best] / w[best], without division */
	for (unsigned i = 1; i < n; i++)
		if ((__uint128_t)d->sent[i] * d->weight[best] <
			(__uint128_t)d->sent[best] * d->weight[i])
			best = i;
	d->sent[best] += bytes;
	return d->id[best];
}

#endif /* NEP_ILNP_H */
