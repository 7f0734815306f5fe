/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker destination cache: what the FIB and the neighbour table said
 * about a destination address (next-hop value, egress port, neighbour
 * position), so that traffic to a recently seen destination costs one
 * direct-mapped probe instead of a trie walk and a hash lookup.
 *
 * Only the owning worker touches it. Entries are valid for one epoch; the
 * worker starts a new epoch whenever the configuration snapshot (FIB) or
 * the neighbour table's deletion count changes, so a cached neighbour
 * position is never used after its key could have been freed: the
 * neighbour table bumps its count before deleting, and a freed position
 * is only reused after the worker's next quiescent state, after which its
 * next nep_dcache_revalidate() sees the new count. The MAC itself is read
 * live from the position, so a changed MAC needs no new epoch.
 */
#ifndef NEP_DCACHE_H
#define NEP_DCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_hash_crc.h>

#define NEP_DCACHE_SIZE 1024	/* entries, a power of two: 32 KiB */

/*
 * Set in an entry's family when the fused fast paths must not use it (its
 * egress is a VLAN sub-interface: the frame needs a tag they do not
 * write). Their exact family compare misses such entries at no cost;
 * the general path matches with nep_dcache_hit_any().
 */
#define NEP_DCACHE_F_SLOW 0x80

struct nep_dcache_entry {
	uint8_t addr[16];	/* IPv4 in addr[0..3], rest zero */
	uint32_t epoch;		/* 0: never filled */
	int32_t neigh_pos;	/* neighbour table position */
	uint16_t nh;		/* FIB next-hop value */
	uint8_t out;		/* egress port index */
	uint8_t family;
	uint32_t pad;
};

struct nep_dcache {
	uint32_t epoch;
	uint32_t neigh_gen;
	uint64_t snap_gen;
	uint64_t epochs;		/* invalidations */
	struct nep_dcache_entry e[NEP_DCACHE_SIZE];
};

/* Start (an empty cache) at epoch 1. */
static inline void
nep_dcache_init(struct nep_dcache *c)
{
	memset(c, 0, sizeof(*c));
	c->epoch = 1;
}

/* Once per poll: a new FIB or a deleted neighbour empties the cache. */
static inline void
nep_dcache_revalidate(struct nep_dcache *c, uint64_t snap_gen,
	uint32_t neigh_gen)
{
	if (likely(snap_gen == c->snap_gen && neigh_gen == c->neigh_gen))
		return;
	c->snap_gen = snap_gen;
	c->neigh_gen = neigh_gen;
	c->epochs++;
	if (unlikely(++c->epoch == 0)) {
		/* Wrapped: old entries could look current again. */
		memset(c->e, 0, sizeof(c->e));
		c->epoch = 1;
	}
}

/* The slot an address maps to (addr: 16 bytes, IPv4 zero padded). */
static inline struct nep_dcache_entry *
nep_dcache_slot(struct nep_dcache *c, const uint8_t *addr)
{
	uint64_t hi, lo;

	memcpy(&hi, addr, 8);
	memcpy(&lo, addr + 8, 8);
	return &c->e[rte_hash_crc_8byte(lo, rte_hash_crc_8byte(hi, 0)) &
		(NEP_DCACHE_SIZE - 1)];
}

/* Does slot e hold addr for the current epoch, with family bits (under
 * mask) equal to family? */
static inline bool
nep_dcache_hit_mask(const struct nep_dcache *c,
	const struct nep_dcache_entry *e, const uint8_t *addr, uint8_t family,
	uint8_t mask)
{
	uint64_t a0, a1, b0, b1;

	/* Two 8-byte loads (not one of 16): the address may have just been
	 * written that way by NPTv6. */
	memcpy(&a0, addr, 8);
	memcpy(&a1, addr + 8, 8);
	memcpy(&b0, e->addr, 8);
	memcpy(&b1, e->addr + 8, 8);
	return e->epoch == c->epoch && ((a0 ^ b0) | (a1 ^ b1)) == 0 &&
		(e->family & mask) == family;
}

/* Does slot e hold addr for the current epoch (and is it for the fast
 * paths: NEP_DCACHE_F_SLOW clear)? */
static inline bool
nep_dcache_hit(const struct nep_dcache *c, const struct nep_dcache_entry *e,
	const uint8_t *addr, uint8_t family)
{
	return nep_dcache_hit_mask(c, e, addr, family, 0xff);
}

/* The same, whatever NEP_DCACHE_F_SLOW says (the general path). */
static inline bool
nep_dcache_hit_any(const struct nep_dcache *c, const struct nep_dcache_entry *e,
	const uint8_t *addr, uint8_t family)
{
	return nep_dcache_hit_mask(c, e, addr, family,
		(uint8_t)~NEP_DCACHE_F_SLOW);
}

/* family may carry NEP_DCACHE_F_SLOW. */
static inline void
nep_dcache_fill(const struct nep_dcache *c, struct nep_dcache_entry *e,
	const uint8_t *addr, uint8_t family, uint16_t nh, uint8_t out,
	int32_t neigh_pos)
{
	memcpy(e->addr, addr, 16);
	e->family = family;
	e->nh = nh;
	e->out = out;
	e->neigh_pos = neigh_pos;
	e->epoch = c->epoch;
}

#endif /* NEP_DCACHE_H */
