/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless, checksum-neutral IPv6-to-IPv6 prefix translation (RFC 6296).
 *
 * The mapping replaces the prefix bits and adds a 16-bit one's-complement
 * adjustment to one word outside the prefix, so that the one's-complement
 * sum of the address (and with it every pseudo-header checksum: TCP, UDP,
 * ICMPv6) is unchanged. L4 checksums are therefore never touched.
 *
 * Prefix lengths: 1..64 each. The translated length is
 * L = max(plen_in, plen_out); the shorter prefix is extended with zero bits
 * up to L. Only addresses inside the extended prefix can be mapped (anything
 * else would lose bits and break the 1:1 property). With equal lengths this
 * is exactly RFC 6296 and the Linux SNPT/DNPT targets.
 *
 * Adjustment word (RFC 6296 section 3, /48 and longer-than-/48 cases):
 *  - L <= 48: word 3 (bits 48-63, the subnet ID). A word of 0xFFFF there
 *    cannot be mapped unambiguously (0xFFFF == 0x0000 in one's complement),
 *    so the packet is refused.
 *  - L > 48: the first of words 4..7 (interface identifier) that is not
 *    0xFFFF; if all four are 0xFFFF the packet is refused.
 *  - A result of 0xFFFF is written as 0x0000, keeping one representation
 *    so the inverse mapping picks the same word and restores it.
 *
 * Everything here is pure (no EAL): unit tests and the hot path share it.
 */
#ifndef NEP_NPTV6_H
#define NEP_NPTV6_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>

#include "nep_config.h"

#define NEP_NPTV6_MAX_PLEN 64

struct nep_nptv6 {
	uint8_t inside[16], outside[16];	/* host bits zero */
	uint8_t plen_in, plen_out;
	uint8_t plen;			/* translated length: max of the two */
	uint16_t adj_out;		/* inside->outside, host order */
	uint16_t adj_in;		/* outside->inside, host order */
	/* First 64 bits in host order: every prefix fits there (L <= 64). */
	uint64_t in_net, out_net;
	uint64_t in_mask, out_mask;	/* configured lengths (match) */
	uint64_t mask;			/* translated length (rewrite) */
};

/* Direction of the packet carrying an ICMPv6 error. */
enum nep_nptv6_dir {
	NEP_NPTV6_EGRESS = 0,	/* LAN -> WAN: outer source got SNPT */
	NEP_NPTV6_INGRESS = 1,	/* WAN -> LAN: outer destination got DNPT */
};

/*
 * Precompute a translator. Both prefixes must be IPv6, /1../64, host bits
 * zero. Returns 0 or -EINVAL.
 */
int nep_nptv6_init(struct nep_nptv6 *t, const struct nep_prefix *inside,
	const struct nep_prefix *outside);

/*
 * Translate the IPv6 header embedded in an ICMPv6 error message, mirroring
 * the translation the outer header gets:
 *  - EGRESS: the error is about a packet that came from outside and was
 *    DNPT'ed, so its embedded destination is an inside address: map it
 *    inside->outside.
 *  - INGRESS: the error is about a packet we sent out after SNPT, so its
 *    embedded source is an outside address: map it outside->inside.
 * Checksum-neutral, so the ICMPv6 checksum (which covers the embedded
 * bytes) and the embedded L4 checksum stay valid.
 * icmp6 points at the ICMPv6 header, len bytes are available.
 * Returns 1 if translated, 0 if nothing to do (informational message or
 * address outside the prefix), -1 if the packet must be dropped (truncated
 * or unmappable embedded header).
 */
int nep_nptv6_icmp6_inner(const struct nep_nptv6 *t, uint8_t *icmp6,
	size_t len, enum nep_nptv6_dir dir);

/* One's-complement 16-bit add with end-around carry. */
static inline uint16_t
nep_csum16_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

static inline uint64_t
nep_nptv6_load64(const uint8_t *a)
{
	uint64_t v;

	memcpy(&v, a, sizeof(v));
	return rte_be_to_cpu_64(v);
}

static inline void
nep_nptv6_store64(uint8_t *a, uint64_t v)
{
	v = rte_cpu_to_be_64(v);
	memcpy(a, &v, sizeof(v));
}

/* Mask of the first plen bits of a 64-bit value, 0 < plen <= 64. */
static inline uint64_t
nep_nptv6_mask64(unsigned int plen)
{
	return plen >= 64 ? UINT64_MAX : ~(UINT64_MAX >> plen);
}

/*
 * Core mapping: addr must match from_net under mask (the extended prefix);
 * the prefix bits become to_net and adj is folded into the adjustment word.
 * The address is left untouched when -1 is returned. Each half is written
 * with one 64-bit store, so code reading the address right after (a route
 * or cache lookup) gets it forwarded from the store buffer instead of
 * waiting for narrower stores to drain.
 */
static inline int
nep_nptv6_map(uint8_t addr[16], uint64_t from_net, uint64_t to_net,
	uint64_t mask, unsigned int plen, uint16_t adj)
{
	uint64_t hi = nep_nptv6_load64(addr), lo;
	unsigned int shift;
	uint16_t w;

	if ((hi & mask) != from_net)
		return -1;
	hi = (hi & ~mask) | to_net;

	/* The adjustment word lies outside the prefix: the rewrite keeps it. */
	if (plen <= 48) {
		/* word 3: the low 16 bits of the first half */
		w = (uint16_t)hi;
		if (unlikely(w == 0xffff))
			return -1;
		w = nep_csum16_add(w, adj);
		if (w == 0xffff)
			w = 0;
		nep_nptv6_store64(addr, (hi & ~(uint64_t)0xffff) | w);
		return 0;
	}
	/* words 4..7: the first of them that is not 0xFFFF */
	lo = nep_nptv6_load64(addr + 8);
	for (shift = 48;; shift -= 16) {
		w = (uint16_t)(lo >> shift);
		if (likely(w != 0xffff))
			break;
		if (unlikely(shift == 0))
			return -1;
	}
	w = nep_csum16_add(w, adj);
	if (w == 0xffff)
		w = 0;
	lo = (lo & ~((uint64_t)0xffff << shift)) | (uint64_t)w << shift;
	nep_nptv6_store64(addr, hi);
	nep_nptv6_store64(addr + 8, lo);
	return 0;
}

/* Source address in the configured inside prefix? */
static inline int
nep_nptv6_in_inside(const struct nep_nptv6 *t, const uint8_t addr[16])
{
	return (nep_nptv6_load64(addr) & t->in_mask) == t->in_net;
}

/* Destination address in the configured outside prefix? */
static inline int
nep_nptv6_in_outside(const struct nep_nptv6 *t, const uint8_t addr[16])
{
	return (nep_nptv6_load64(addr) & t->out_mask) == t->out_net;
}

/*
 * SNPT: rewrite an inside address (outbound source) in place to its outside
 * form. Returns 0, or -1 if it cannot be mapped (not in the extended inside
 * prefix, or the 0xFFFF cases above): the caller drops the packet.
 */
static inline int
nep_nptv6_snpt(const struct nep_nptv6 *t, uint8_t addr[16])
{
	return nep_nptv6_map(addr, t->in_net, t->out_net, t->mask, t->plen,
		t->adj_out);
}

/* DNPT: inverse of SNPT, for inbound destination addresses. */
static inline int
nep_nptv6_dnpt(const struct nep_nptv6 *t, uint8_t addr[16])
{
	return nep_nptv6_map(addr, t->out_net, t->in_net, t->mask, t->plen,
		t->adj_in);
}

#endif /* NEP_NPTV6_H */
