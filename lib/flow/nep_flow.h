/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table. One table per worker: RSS (or the single worker) gives each
 * LAN-side flow to one worker, which alone inserts and deletes its entries,
 * so the hot path needs no atomics or locks. Inbound traffic needs no flow
 * state (NPTv6 is stateless), so affinity is only needed one way.
 *
 * Aging is decided on the control lcore, which scans the entry arrays
 * read-only and posts expired positions on the owner's ring; the worker
 * re-checks and deletes. Control-lcore readers (show flows) only copy
 * plain counters and tolerate an entry being reused under them.
 */
#ifndef NEP_FLOW_H
#define NEP_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash.h>
#include <rte_vect.h>
#include <rte_hash_crc.h>
#include <rte_ring.h>

#include "nep_pkt.h"

/*
 * 48 bytes, zero padded: rte_hash compares keys of that size with vector
 * instructions (it has no comparator for 38 or 40 bytes, and falls back to
 * memcmp), and the hash is six crc32 steps.
 */
struct nep_flow_key {
	uint8_t src[16];	/* IPv4 in [0..3], rest zero */
	uint8_t dst[16];
	uint16_t sport;		/* TCP/UDP port, or ICMP echo identifier */
	uint16_t dport;
	uint8_t proto;
	uint8_t family;		/* 4 or 6 */
	uint8_t pad[10];
} __attribute__((aligned(8)));

#define NEP_FLOW_HASH_INIT 0x4e455054u	/* the table's hash seed */

/* The table's hash of a key, inline (the same function rte_hash uses). */
static inline uint32_t
nep_flow_hash(const struct nep_flow_key *k)
{
	return rte_hash_crc(k, sizeof(*k), NEP_FLOW_HASH_INIT);
}

/* A flow key in registers: the first five 64-bit words of struct
 * nep_flow_key (the sixth is padding, zero). */
struct nep_flow_kv {
	uint64_t q[5];
};

#define NEP_FLOW_UPLINK_BYPASS 0xff	/* routed plainly, not steered */

#define NEP_FLOW_F_FIN 0x01		/* TCP FIN or RST seen */

#define NEP_FLOW_XLAT_NONE UINT32_MAX	/* no cookie: the general path */

/* last_tsc == 0 marks a free slot (what the control lcore's scans use). */
struct nep_flow_entry {
	/* What every packet of the flow reads or writes comes first. */
	uint64_t last_tsc;
	uint64_t packets;
	uint64_t bytes;
	uint64_t created_tsc;
	uint16_t policy;	/* policy index + 1, 0 = none (balanced) */
	uint8_t uplink;		/* uplink slot or NEP_FLOW_UPLINK_BYPASS */
	uint8_t flags;
	uint32_t xlat;		/* the IPv4 translator's cookie for the fast
				 * path (NAT44: its mapping), or
				 * NEP_FLOW_XLAT_NONE */
	struct nep_flow_key key;	/* copy, so readers never touch the hash */
};

/*
 * Exact-match cache in front of the table (as Open vSwitch's EMC): a pair
 * of slots per hash value modulo its size, remembering the positions of
 * the last two flows seen with such a hash. A hit is checked against the entry's own
 * key copy, so a stale or colliding slot can only miss, never answer
 * wrong. The owning worker alone reads and writes it, next to its table.
 * It turns the common case (a packet of an established flow) into one
 * probe and one key compare instead of rte_hash's two-bucket search.
 */
#define NEP_FLOW_EMC_SIZE 8192		/* slots, a power of two: 64 KiB */

struct nep_flow_emc_slot {
	uint32_t sig;
	int32_t pos;		/* -1: empty */
};

struct nep_flow_table {
	struct rte_hash *h;
	struct nep_flow_entry *e;	/* indexed by hash position */
	struct rte_ring *expire;	/* control -> owner: positions */
	struct nep_flow_emc_slot *emc;	/* NEP_FLOW_EMC_SIZE slots */
	uint32_t size;
	uint64_t inserts, deletes, full;
	/* Live entries (last_tsc != 0) by their uplink byte, kept by the
	 * owner at each insert, move and delete: a count per uplink without
	 * walking the table (show uplinks). */
	uint64_t by_uplink[256];
};

/* Does the stored key a equal the words w (w[5], the padding, is 0)? */
static inline uint64_t
nep_flow_word(const struct nep_flow_key *a, unsigned int i)
{
	uint64_t x;

	memcpy(&x, (const uint8_t *)a + 8 * i, sizeof(x));
	return x;
}

static inline bool
nep_flow_key_eq_kv(const struct nep_flow_key *a, const struct nep_flow_kv *w)
{
	/* Word by word from memory: copying the key into a local array
	 * first makes compilers bounce it through the stack. */
	return ((nep_flow_word(a, 0) ^ w->q[0]) |
		(nep_flow_word(a, 1) ^ w->q[1]) |
		(nep_flow_word(a, 2) ^ w->q[2]) |
		(nep_flow_word(a, 3) ^ w->q[3]) |
		(nep_flow_word(a, 4) ^ w->q[4]) | nep_flow_word(a, 5)) == 0;
}

/* Position of the live flow with key v (hash sig) if the cache knows it,
 * else -1. Two-way: a hash picks a pair of slots (one cache line holds
 * four pairs), so two flows sharing a slot do not evict each other. */
static inline int32_t
nep_flow_emc_lookup_kv(const struct nep_flow_table *t,
	const struct nep_flow_kv *v, uint32_t sig)
{
	const struct nep_flow_emc_slot *c =
		&t->emc[sig & (NEP_FLOW_EMC_SIZE - 2)];

	for (unsigned i = 0; i < 2; i++) {
		const struct nep_flow_entry *e;

		if (c[i].sig != sig || c[i].pos < 0)
			continue;
		e = &t->e[c[i].pos];
		if (e->last_tsc != 0 && nep_flow_key_eq_kv(&e->key, v))
			return c[i].pos;
	}
	return -1;
}

/* The same for a key in memory. */
static inline int32_t
nep_flow_emc_lookup(const struct nep_flow_table *t,
	const struct nep_flow_key *k, uint32_t sig)
{
	struct nep_flow_kv v;
	uint64_t pad;

	memcpy(v.q, k, sizeof(v.q));
	memcpy(&pad, (const uint8_t *)k + sizeof(v.q), sizeof(pad));
	if (pad != 0)
		return -1;	/* never a real key */
	return nep_flow_emc_lookup_kv(t, &v, sig);
}

/* Remember a flow the table found: it takes the pair's first slot, the
 * previous first moves to the second (the older second is forgotten). */
static inline void
nep_flow_emc_insert(struct nep_flow_table *t, uint32_t sig, int32_t pos)
{
	struct nep_flow_emc_slot *c = &t->emc[sig & (NEP_FLOW_EMC_SIZE - 2)];

	c[1] = c[0];
	c[0] = (struct nep_flow_emc_slot){ sig, pos };
}

struct nep_flow_table *nep_flow_table_create(const char *name, uint32_t size,
	int socket);
void nep_flow_table_free(struct nep_flow_table *t);

/* Memory the table uses, for the benchmark's bytes-per-flow figure. */
size_t nep_flow_table_memsize(uint32_t size);

/*
 * Fill key from a parsed packet. ICMP echo uses its identifier as sport;
 * other ICMP and every fragment (the first one too, so all fragments of a
 * datagram take the same uplink and source prefix) use (src, dst, proto).
 * Returns the TCP flags byte (0 when not TCP).
 */
static inline uint8_t
nep_flow_key_from_pkt(const uint8_t *frame, const struct nep_pkt_info *pi,
	struct nep_flow_key *k)
{
	const uint8_t *l3 = frame + pi->l3_off;
	const uint8_t *l4 = frame + pi->l4_off;
	uint8_t tcp_flags = 0;

	memset(k, 0, sizeof(*k));
	k->family = pi->family;
	k->proto = pi->l4_proto;
	if (pi->family == 6) {
		memcpy(k->src, l3 + 8, 16);
		memcpy(k->dst, l3 + 24, 16);
	} else {
		memcpy(k->src, l3 + 12, 4);
		memcpy(k->dst, l3 + 16, 4);
	}
	if (!pi->has_l4 || pi->fragmented)
		return 0;
	switch (pi->l4_proto) {
	case NEP_PROTO_TCP:
		tcp_flags = l4[13];
		/* fall through */
	case NEP_PROTO_UDP:
		memcpy(&k->sport, l4, 2);
		memcpy(&k->dport, l4 + 2, 2);
		break;
	case NEP_PROTO_ICMPV6:
		if (l4[0] == NEP_ICMP6_ECHO_REQUEST ||
			l4[0] == NEP_ICMP6_ECHO_REPLY)
			memcpy(&k->sport, l4 + 4, 2);
		break;
	case NEP_PROTO_ICMP:
		if (l4[0] == NEP_ICMP4_ECHO_REQUEST ||
			l4[0] == NEP_ICMP4_ECHO_REPLY)
			memcpy(&k->sport, l4 + 4, 2);
		break;
	default:
		break;
	}
	return tcp_flags;
}

/* One crc32 step of the table's hash (rte_hash_crc's, the same CRC32C). */
static inline uint32_t
nep_flow_crc8(uint64_t v, uint32_t h)
{
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
	return (uint32_t)_mm_crc32_u64(h, v);
#else
	return rte_hash_crc_8byte(v, h);
#endif
}

/*
 * The key of an IPv6 TCP/UDP packet without extension headers (what
 * nep_pkt_ip6_l4_len() accepts), straight from its IPv6 header, in
 * registers: the same key nep_flow_key_from_pkt() builds for it. Returns
 * its hash (nep_flow_hash()). Hashing and comparing it from registers
 * also avoids reading back memory just written with narrower stores,
 * which would stall on store forwarding.
 */
static inline uint32_t
nep_flow_kv_ip6_l4(const uint8_t *ip6, struct nep_flow_kv *v)
{
	uint32_t ports, h;

	memcpy(&v->q[0], ip6 + 8, 8);	/* source and destination */
	memcpy(&v->q[1], ip6 + 16, 8);
	memcpy(&v->q[2], ip6 + 24, 8);
	memcpy(&v->q[3], ip6 + 32, 8);
	memcpy(&ports, ip6 + 40, 4);	/* both ports */
	/* sport, dport, proto, family 6, then zero padding */
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	v->q[4] = ports | (uint64_t)ip6[6] << 32 | (uint64_t)6 << 40;
#else
	v->q[4] = (uint64_t)ports << 32 | (uint64_t)ip6[6] << 24 | 6u << 16;
#endif
	RTE_BUILD_BUG_ON(offsetof(struct nep_flow_key, proto) != 36 ||
		offsetof(struct nep_flow_key, family) != 37 ||
		sizeof(struct nep_flow_key) != 48);
	h = nep_flow_crc8(v->q[0], NEP_FLOW_HASH_INIT);
	h = nep_flow_crc8(v->q[1], h);
	h = nep_flow_crc8(v->q[2], h);
	h = nep_flow_crc8(v->q[3], h);
	h = nep_flow_crc8(v->q[4], h);
	return nep_flow_crc8(0, h);
}

/*
 * The same for an IPv4 TCP/UDP packet with a 20-byte header (the fast
 * paths' nep_pkt_ip4_l4_len() checked it): the key nep_flow_key_from_pkt()
 * builds, addresses in the first 4 bytes of each 16, and its hash.
 */
static inline uint32_t
nep_flow_kv_ip4_l4(const uint8_t *ip4, struct nep_flow_kv *v)
{
	uint32_t src, dst, ports, h;

	memcpy(&src, ip4 + 12, 4);
	memcpy(&dst, ip4 + 16, 4);
	memcpy(&ports, ip4 + 20, 4);
	v->q[1] = 0;
	v->q[3] = 0;
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	v->q[0] = src;		/* the 4 bytes, then 4 zero bytes */
	v->q[2] = dst;
	v->q[4] = ports | (uint64_t)ip4[9] << 32 | (uint64_t)4 << 40;
#else
	v->q[0] = (uint64_t)src << 32;
	v->q[2] = (uint64_t)dst << 32;
	v->q[4] = (uint64_t)ports << 32 | (uint64_t)ip4[9] << 24 | 4u << 16;
#endif
	h = nep_flow_crc8(v->q[0], NEP_FLOW_HASH_INIT);
	h = nep_flow_crc8(0, h);
	h = nep_flow_crc8(v->q[2], h);
	h = nep_flow_crc8(0, h);
	h = nep_flow_crc8(v->q[4], h);
	return nep_flow_crc8(0, h);
}

/* Store a key held in registers: three 16-byte stores, so that rte_hash's
 * 16-byte compares of it are forwarded whole. */
static inline void
nep_flow_kv_store(const struct nep_flow_kv *v, struct nep_flow_key *k)
{
	typedef uint64_t u64x2 __attribute__((vector_size(16)));
	u64x2 x;

	x = (u64x2){ v->q[0], v->q[1] };
	memcpy(k->src, &x, 16);
	x = (u64x2){ v->q[2], v->q[3] };
	memcpy(k->dst, &x, 16);
	x = (u64x2){ v->q[4], 0 };
	memcpy(&k->sport, &x, 16);
}

/* nep_flow_kv_ip6_l4() into memory. */
static inline uint32_t
nep_flow_key_ip6_l4(const uint8_t *ip6, struct nep_flow_key *k)
{
	struct nep_flow_kv v;
	uint32_t h = nep_flow_kv_ip6_l4(ip6, &v);

	nep_flow_kv_store(&v, k);
	return h;
}

/* nep_flow_kv_ip4_l4() into memory. */
static inline uint32_t
nep_flow_key_ip4_l4(const uint8_t *ip4, struct nep_flow_key *k)
{
	struct nep_flow_kv v;
	uint32_t h = nep_flow_kv_ip4_l4(ip4, &v);

	nep_flow_kv_store(&v, k);
	return h;
}

/* Aging parameters, and a pending "flush flows" (see nep_flow_flushed). */
struct nep_flow_age {
	uint64_t idle_tsc;
	uint64_t fin_idle_tsc;
	uint64_t flush_tsc;	/* entries created before it ... */
	uint32_t flush_mask;	/* ... on these uplinks (bit 31: routed) */
};

static inline bool
nep_flow_flushed(const struct nep_flow_entry *e, const struct nep_flow_age *a)
{
	return e->created_tsc < a->flush_tsc &&
		((a->flush_mask >> (e->uplink & 31)) & 1);
}

static inline bool
nep_flow_expired(const struct nep_flow_entry *e, uint64_t now_tsc,
	const struct nep_flow_age *a)
{
	uint64_t limit = (e->flags & NEP_FLOW_F_FIN) ? a->fin_idle_tsc :
						       a->idle_tsc;
	return now_tsc - e->last_tsc > limit || nep_flow_flushed(e, a);
}

/* Worker (owner) side: delete the positions the control lcore posted. */
void nep_flow_reap(struct nep_flow_table *t, uint64_t now_tsc,
	const struct nep_flow_age *a);

#endif /* NEP_FLOW_H */
