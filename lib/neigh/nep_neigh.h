/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table (IPv6 ND, RFC 4861, and IPv4 ARP) shared by both planes.
 *
 * Keys live in an rte_hash with lock-free concurrent readers; the MAC of
 * each position is one 64-bit word (valid bit + 48-bit MAC) that workers
 * read with a single atomic load, so they never see a torn address. Only
 * the control lcore writes: it creates entries, runs the state machine,
 * holds the few packets waiting for resolution and frees deleted keys
 * after an RCU grace period (rte_hash + rte_rcu_qsbr).
 */
#ifndef NEP_NEIGH_H
#define NEP_NEIGH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "nep_drop.h"

#define NEP_NEIGH_VALID (1ULL << 63)

struct nep_neigh_key {
	uint8_t addr[16];	/* IPv4 in addr[0..3], rest zero */
	uint16_t port;		/* interface id (neptune: app->ports[].ifid) */
	uint8_t family;		/* 4 or 6 */
	uint8_t pad;
};

enum nep_neigh_state {
	NEP_NEIGH_INCOMPLETE,
	NEP_NEIGH_REACHABLE,
	NEP_NEIGH_PROBE,	/* refreshing: MAC still used */
	NEP_NEIGH_FAILED,
	NEP_NEIGH_PERMANENT,	/* static */
};

extern const char *const nep_neigh_state_names[];

struct nep_neigh_ctl {
	struct nep_neigh_key key;
	uint8_t state;
	uint8_t probes;
	uint8_t pinned;		/* never deleted: its position is cached */
	uint16_t n_queued;
	uint64_t changed_ms;	/* last state change */
	uint64_t next_ms;	/* next timer */
	struct rte_mbuf **queue;
};

/* Callbacks into the control lcore's transmit path. */
struct nep_neigh_ops {
	/* Send a solicitation (NS or ARP request); mac NULL = multicast. */
	void (*solicit)(void *arg, const struct nep_neigh_key *k,
		const uint8_t *mac);
	/* A queued packet can go now: write the MAC and transmit. */
	void (*xmit)(void *arg, struct rte_mbuf *m, uint64_t mac);
	/* A queued packet is dropped. */
	void (*drop)(void *arg, struct rte_mbuf *m, enum nep_drop_reason r);
	void *arg;
};

struct nep_neigh_params {
	uint32_t size;
	uint32_t queue_len;
	uint32_t reachable_ms;
	uint32_t retrans_ms;
	uint32_t max_probes;
};

struct nep_neigh_table {
	struct rte_hash *h;
	uint64_t *mac;			/* per hash position, read by workers */
	struct nep_neigh_ctl *ctl;	/* per hash position, control only */
	struct nep_neigh_params p;
	/* Bumped before any key is deleted: a position read under an older
	 * value may since have been freed and reused. */
	uint32_t gen;
};

/*
 * qsv: the workers' QS variable; deleted keys are reclaimed after a grace
 * period. NULL only when nothing looks up concurrently (tests, tools).
 */
struct nep_neigh_table *nep_neigh_create(const char *name,
	const struct nep_neigh_params *p, struct rte_rcu_qsbr *qsv);
void nep_neigh_free(struct nep_neigh_table *t, const struct nep_neigh_ops *ops);

static inline void
nep_neigh_key_set(struct nep_neigh_key *k, uint16_t port, uint8_t family,
	const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, addr, family == 4 ? 4 : 16);
	k->port = port;
	k->family = family;
}

/* Worker side: the MAC word (NEP_NEIGH_VALID | mac) or 0 if unresolved. */
static inline uint64_t
nep_neigh_lookup(const struct nep_neigh_table *t, const struct nep_neigh_key *k)
{
	int pos = rte_hash_lookup(t->h, k);

	if (pos < 0)
		return 0;
	return __atomic_load_n(&t->mac[pos], __ATOMIC_ACQUIRE);
}

/* Worker side: the position of k, or < 0 when there is no entry. */
static inline int32_t
nep_neigh_lookup_pos(const struct nep_neigh_table *t,
	const struct nep_neigh_key *k)
{
	return rte_hash_lookup(t->h, k);
}

/* Deletions so far (see gen). */
static inline uint32_t
nep_neigh_gen(const struct nep_neigh_table *t)
{
	return __atomic_load_n(&t->gen, __ATOMIC_ACQUIRE);
}

/* Worker side, for an entry whose position the caller cached: a pinned
 * one, or one cached under the current nep_neigh_gen(). */
static inline uint64_t
nep_neigh_mac_at(const struct nep_neigh_table *t, int32_t pos)
{
	return __atomic_load_n(&t->mac[pos], __ATOMIC_ACQUIRE);
}

/* ---- control lcore only ---- */

/* The key at a position (a pinned or cached one). 0, or -1 if none. */
static inline int
nep_neigh_key_at(const struct nep_neigh_table *t, int32_t pos,
	struct nep_neigh_key *k)
{
	void *kp;

	if (pos < 0 || rte_hash_get_key_with_position(t->h, pos, &kp) != 0)
		return -1;
	memcpy(k, kp, sizeof(*k));
	return 0;
}

/*
 * Create (and start resolving) an entry that is never deleted, so its
 * position can be cached by the data plane (uplink next hops). Failed
 * resolution only invalidates its MAC. Returns the position or < 0.
 */
int32_t nep_neigh_pin(struct nep_neigh_table *t, const struct nep_neigh_key *k,
	uint64_t now_ms, const struct nep_neigh_ops *ops);

/* Hold m until k resolves (soliciting if needed); drops when full/failed. */
void nep_neigh_resolve(struct nep_neigh_table *t, const struct nep_neigh_key *k,
	struct rte_mbuf *m, uint64_t now_ms, const struct nep_neigh_ops *ops);

/*
 * A link-layer address was learnt. confirmed: a solicited NA or an ARP reply
 * (entry becomes REACHABLE); otherwise the entry is only updated if it
 * exists or create is true. Queued packets are sent.
 */
void nep_neigh_learn(struct nep_neigh_table *t, const struct nep_neigh_key *k,
	const uint8_t mac[6], bool confirmed, bool create, uint64_t now_ms,
	const struct nep_neigh_ops *ops);

/*
 * A solicited NA without a Target Link-Layer Address option (what Linux
 * answers a unicast NS with, RFC 4861 7.2.4): an entry that has a MAC
 * (REACHABLE, PROBE) is confirmed with it (7.2.5: REACHABLE); an entry
 * still resolving, or none, learns nothing. True when it confirmed one.
 */
bool nep_neigh_confirm(struct nep_neigh_table *t,
	const struct nep_neigh_key *k, uint64_t now_ms);

int nep_neigh_add_static(struct nep_neigh_table *t,
	const struct nep_neigh_key *k, const uint8_t mac[6]);

/* Run timers: retransmit, age REACHABLE into PROBE, expire FAILED. */
void nep_neigh_tick(struct nep_neigh_table *t, uint64_t now_ms,
	const struct nep_neigh_ops *ops);

/* A port's carrier came back: resolve its unresolved entries at once. */
void nep_neigh_port_up(struct nep_neigh_table *t, uint16_t port,
	uint64_t now_ms);

/* Remove every dynamic entry (queued packets are dropped). */
void nep_neigh_flush(struct nep_neigh_table *t, const struct nep_neigh_ops *ops);

/* Visit every entry. */
typedef void (*nep_neigh_visit_fn)(void *arg, const struct nep_neigh_ctl *c,
	uint64_t mac);
void nep_neigh_foreach(const struct nep_neigh_table *t, nep_neigh_visit_fn fn,
	void *arg);

#endif /* NEP_NEIGH_H */
