/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table tests under a minimal EAL. The table is created with an
 * RCU QS variable that has one registered reader (this thread), which
 * reports quiescent states between steps so deleted keys are reclaimed.
 * The transmit path is replaced by fake ops that record every call.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include "nep_dcache.h"
#include "nep_neigh.h"
#include "nep_test_eal.h"

static bool eal_ok;
static struct rte_rcu_qsbr *qsv;

/* ---- fake ops ---- */

enum { C_SOLICIT, C_XMIT, C_DROP };

struct call {
	int kind;
	struct nep_neigh_key key;	/* solicit */
	bool unicast;			/* solicit with a MAC */
	uint8_t mac[6];
	struct rte_mbuf *m;		/* xmit, drop */
	uint64_t word;			/* xmit */
	enum nep_drop_reason reason;	/* drop */
};

#define MAX_CALLS 4096
static struct call calls[MAX_CALLS];
static unsigned n_calls, n_solicit, n_xmit, n_drop;

static struct call *
record(int kind)
{
	assert_true(n_calls < MAX_CALLS);
	struct call *c = &calls[n_calls++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	return c;
}

static void
fake_solicit(void *arg, const struct nep_neigh_key *k, const uint8_t *mac)
{
	struct call *c = record(C_SOLICIT);

	assert_ptr_equal(arg, &calls);
	c->key = *k;
	if (mac != NULL) {
		c->unicast = true;
		memcpy(c->mac, mac, 6);
	}
	n_solicit++;
}

static void
fake_xmit(void *arg, struct rte_mbuf *m, uint64_t mac)
{
	struct call *c = record(C_XMIT);

	assert_ptr_equal(arg, &calls);
	c->m = m;
	c->word = mac;
	n_xmit++;
}

static void
fake_drop(void *arg, struct rte_mbuf *m, enum nep_drop_reason r)
{
	struct call *c = record(C_DROP);

	assert_ptr_equal(arg, &calls);
	c->m = m;
	c->reason = r;
	n_drop++;
}

static const struct nep_neigh_ops ops = {
	.solicit = fake_solicit,
	.xmit = fake_xmit,
	.drop = fake_drop,
	.arg = &calls,
};

static void
reset_calls(void)
{
	n_calls = n_solicit = n_xmit = n_drop = 0;
}

/* The library only stores and hands back these pointers. */
static struct rte_mbuf mb[64];

/* ---- helpers ---- */

#define REACHABLE_MS 30000
#define RETRANS_MS 1000
#define MAX_PROBES 3
#define QUEUE_LEN 4
#define FAILED_HOLD_MS 3000	/* NEP_NEIGH_FAILED_HOLD_MS in nep_neigh.c */

static const uint8_t MAC1[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t MAC2[6] = { 0x52, 0x54, 0x00, 0x11, 0x22, 0x33 };

static struct nep_neigh_table *
mk_table_q(uint32_t size, struct rte_rcu_qsbr *q)
{
	static unsigned seq;
	struct nep_neigh_params p = {
		.size = size,
		.queue_len = QUEUE_LEN,
		.reachable_ms = REACHABLE_MS,
		.retrans_ms = RETRANS_MS,
		.max_probes = MAX_PROBES,
	};
	char name[32];
	struct nep_neigh_table *t;

	snprintf(name, sizeof(name), "nt_neigh_%u", seq++);
	t = nep_neigh_create(name, &p, q);
	assert_non_null(t);
	reset_calls();
	return t;
}

static struct nep_neigh_table *
mk_table(uint32_t size)
{
	return mk_table_q(size, qsv);
}

static void
free_table(struct nep_neigh_table *t)
{
	nep_neigh_free(t, &ops);
	reset_calls();
}

static void
quiesce(void)
{
	rte_rcu_qsbr_quiescent(qsv, 0);
}

static void
key6(struct nep_neigh_key *k, uint16_t port, const char *s)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	nep_neigh_key_set(k, port, 6, a);
}

static void
key4(struct nep_neigh_key *k, uint16_t port, const char *s)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, s, a), 1);
	nep_neigh_key_set(k, port, 4, a);
}

static uint64_t
word_of(const uint8_t mac[6])
{
	uint64_t v = 0;

	memcpy(&v, mac, 6);
	return v | NEP_NEIGH_VALID;
}

static void
assert_lookup_mac(const struct nep_neigh_table *t, const struct nep_neigh_key *k,
	const uint8_t mac[6])
{
	uint64_t w = nep_neigh_lookup(t, k);
	uint8_t got[6];

	assert_true(w & NEP_NEIGH_VALID);
	memcpy(got, &w, 6);
	assert_memory_equal(got, mac, 6);
	assert_int_equal(w, word_of(mac));
}

struct seen {
	unsigned n;
	struct nep_neigh_ctl c[64];
	uint64_t mac[64];
};

static void
visit(void *arg, const struct nep_neigh_ctl *c, uint64_t mac)
{
	struct seen *s = arg;

	assert_true(s->n < 64);
	s->c[s->n] = *c;
	s->mac[s->n] = mac;
	s->n++;
}

static unsigned
count_entries(const struct nep_neigh_table *t)
{
	struct seen s = { 0 };

	nep_neigh_foreach(t, visit, &s);
	return s.n;
}

/* State of the single entry for k, or -1 if absent. */
static int
state_of(const struct nep_neigh_table *t, const struct nep_neigh_key *k)
{
	struct seen s = { 0 };

	nep_neigh_foreach(t, visit, &s);
	for (unsigned i = 0; i < s.n; i++)
		if (memcmp(&s.c[i].key, k, sizeof(*k)) == 0)
			return s.c[i].state;
	return -1;
}

/* ---- tests ---- */

static void
test_key_set(void **state)
{
	struct nep_neigh_key a, b;

	(void)state;
	memset(&a, 0xff, sizeof(a));
	key4(&a, 2, "192.0.2.1");
	assert_int_equal(a.family, 4);
	assert_int_equal(a.port, 2);
	assert_int_equal(a.addr[0], 192);
	assert_int_equal(a.addr[3], 1);
	for (int i = 4; i < 16; i++)
		assert_int_equal(a.addr[i], 0);
	assert_int_equal(a.pad, 0);
	memset(&b, 0x55, sizeof(b));
	key4(&b, 2, "192.0.2.1");
	assert_memory_equal(&a, &b, sizeof(a));	/* usable as a hash key */
}

static void
test_resolve_learn(void **state)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key k, other;
	struct seen s = { 0 };
	unsigned i;

	(void)state;
	t = mk_table(64);
	key6(&k, 1, "2001:db8::5");
	key6(&other, 2, "2001:db8::5");	/* same address, other port */
	assert_int_equal(nep_neigh_lookup(t, &k), 0);

	/* first packet: queued, one multicast solicitation */
	nep_neigh_resolve(t, &k, &mb[0], 1000, &ops);
	assert_int_equal(n_solicit, 1);
	assert_int_equal(calls[0].kind, C_SOLICIT);
	assert_false(calls[0].unicast);
	assert_memory_equal(&calls[0].key, &k, sizeof(k));
	assert_int_equal(n_xmit + n_drop, 0);
	assert_int_equal(nep_neigh_lookup(t, &k), 0);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_INCOMPLETE);

	/* more packets: queued without a new solicitation */
	for (i = 1; i < QUEUE_LEN; i++)
		nep_neigh_resolve(t, &k, &mb[i], 1000 + i, &ops);
	assert_int_equal(n_solicit, 1);
	assert_int_equal(n_xmit + n_drop, 0);
	nep_neigh_foreach(t, visit, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.c[0].n_queued, QUEUE_LEN);
	assert_int_equal(s.mac[0], 0);

	/* queue full */
	nep_neigh_resolve(t, &k, &mb[10], 1010, &ops);
	assert_int_equal(n_drop, 1);
	assert_int_equal(calls[n_calls - 1].kind, C_DROP);
	assert_ptr_equal(calls[n_calls - 1].m, &mb[10]);
	assert_int_equal(calls[n_calls - 1].reason, NEP_DROP_NEIGH_QUEUE_FULL);
	assert_int_equal(n_solicit, 1);

	/* the other port is another neighbour */
	assert_int_equal(nep_neigh_lookup(t, &other), 0);

	/* the answer: every queued packet leaves, in order, with the MAC */
	reset_calls();
	nep_neigh_learn(t, &k, MAC1, true, false, 1500, &ops);
	assert_int_equal(n_xmit, QUEUE_LEN);
	assert_int_equal(n_solicit + n_drop, 0);
	for (i = 0; i < QUEUE_LEN; i++) {
		assert_int_equal(calls[i].kind, C_XMIT);
		assert_ptr_equal(calls[i].m, &mb[i]);
		assert_int_equal(calls[i].word, word_of(MAC1));
	}
	assert_lookup_mac(t, &k, MAC1);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_REACHABLE);
	assert_int_equal(nep_neigh_lookup(t, &other), 0);
	memset(&s, 0, sizeof(s));
	nep_neigh_foreach(t, visit, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.c[0].n_queued, 0);
	assert_int_equal(s.mac[0], word_of(MAC1));

	/* resolved: a late packet goes straight out */
	reset_calls();
	nep_neigh_resolve(t, &k, &mb[11], 1600, &ops);
	assert_int_equal(n_xmit, 1);
	assert_ptr_equal(calls[0].m, &mb[11]);
	assert_int_equal(calls[0].word, word_of(MAC1));
	assert_int_equal(n_solicit, 0);

	/* a new MAC replaces the old one */
	nep_neigh_learn(t, &k, MAC2, true, false, 1700, &ops);
	assert_lookup_mac(t, &k, MAC2);
	free_table(t);
}

/*
 * A worker's destination cache keeps neighbour positions: an entry is
 * good until the FIB generation or the neighbour table's deletion count
 * changes; MAC updates in place need no invalidation.
 */
static void
test_dcache_with_neighbours(void **state)
{
	static struct nep_dcache c;
	struct nep_dcache_entry *e, *eb;
	struct nep_neigh_table *t;
	struct nep_neigh_key k;
	uint8_t a[16], b[16];
	int32_t pos;
	uint32_t g0;

	(void)state;
	t = mk_table(64);
	key6(&k, 0, "fd42:100:1::20");
	memcpy(a, k.addr, 16);
	nep_neigh_learn(t, &k, MAC1, false, true, 0, &ops);
	pos = nep_neigh_lookup_pos(t, &k);
	assert_true(pos >= 0);
	g0 = nep_neigh_gen(t);

	nep_dcache_init(&c);
	nep_dcache_revalidate(&c, 7, g0);
	e = nep_dcache_slot(&c, a);
	assert_false(nep_dcache_hit(&c, e, a, 6));
	nep_dcache_fill(&c, e, a, 6, 0x4001, 2, pos);
	assert_true(nep_dcache_hit(&c, e, a, 6));
	assert_false(nep_dcache_hit(&c, e, a, 4));	/* other family */
	assert_int_equal(e->neigh_pos, pos);
	assert_int_equal(e->nh, 0x4001);
	assert_int_equal(e->out, 2);

	/* A new MAC is read live at the same position. */
	nep_neigh_learn(t, &k, MAC2, true, false, 10, &ops);
	assert_int_equal(nep_neigh_gen(t), g0);
	nep_dcache_revalidate(&c, 7, nep_neigh_gen(t));
	assert_true(nep_dcache_hit(&c, e, a, 6));
	assert_int_equal(nep_neigh_mac_at(t, e->neigh_pos), word_of(MAC2));

	/* Another address in the same slot replaces it. */
	memcpy(b, a, 16);
	for (unsigned i = 0; i < 1u << 16; i++) {
		b[14] = (uint8_t)(i >> 8);
		b[15] = (uint8_t)i;
		if (memcmp(a, b, 16) != 0 && nep_dcache_slot(&c, b) == e)
			break;
	}
	eb = nep_dcache_slot(&c, b);
	assert_ptr_equal(eb, e);
	nep_dcache_fill(&c, eb, b, 6, 0x4002, 1, pos);
	assert_false(nep_dcache_hit(&c, e, a, 6));
	assert_true(nep_dcache_hit(&c, eb, b, 6));
	nep_dcache_fill(&c, e, a, 6, 0x4001, 2, pos);

	/* A deletion (here a flush) ends the epoch. */
	nep_neigh_flush(t, &ops);
	assert_true(nep_neigh_gen(t) != g0);
	nep_dcache_revalidate(&c, 7, nep_neigh_gen(t));
	assert_false(nep_dcache_hit(&c, e, a, 6));
	assert_int_equal(c.epochs, 2);

	/* So does a new configuration snapshot (a new FIB). */
	nep_dcache_fill(&c, e, a, 6, 0x4001, 2, pos);
	assert_true(nep_dcache_hit(&c, e, a, 6));
	nep_dcache_revalidate(&c, 8, nep_neigh_gen(t));
	assert_false(nep_dcache_hit(&c, e, a, 6));

	/* Epoch numbers wrap without old entries coming back. */
	c.epoch = UINT32_MAX;
	nep_dcache_fill(&c, e, a, 6, 0x4001, 2, pos);
	nep_dcache_revalidate(&c, 9, nep_neigh_gen(t));
	assert_int_equal(c.epoch, 1);
	assert_false(nep_dcache_hit(&c, e, a, 6));
	free_table(t);
}

static void
test_learn_unconfirmed(void **state)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key k;

	(void)state;
	t = mk_table(64);
	key4(&k, 0, "192.0.2.9");
	/* neither confirmed nor allowed to create: ignored */
	nep_neigh_learn(t, &k, MAC1, false, false, 0, &ops);
	assert_int_equal(nep_neigh_lookup(t, &k), 0);
	assert_int_equal(count_entries(t), 0);
	/* allowed to create */
	nep_neigh_learn(t, &k, MAC1, false, true, 0, &ops);
	assert_lookup_mac(t, &k, MAC1);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_REACHABLE);
	/* an existing entry is updated without create */
	nep_neigh_learn(t, &k, MAC2, false, false, 10, &ops);
	assert_lookup_mac(t, &k, MAC2);
	assert_int_equal(n_calls, 0);
	free_table(t);
}

static void
test_incomplete_fails(void **state)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key k;
	uint64_t t0 = 5000, now;
	unsigned i;

	(void)state;
	t = mk_table(64);
	key6(&k, 1, "2001:db8::77");
	nep_neigh_resolve(t, &k, &mb[0], t0, &ops);
	nep_neigh_resolve(t, &k, &mb[1], t0 + 10, &ops);
	assert_int_equal(n_solicit, 1);

	/* nothing before retrans_ms */
	nep_neigh_tick(t, t0 + RETRANS_MS - 1, &ops);
	assert_int_equal(n_solicit, 1);

	/* one multicast retransmission per retrans_ms, max_probes in all */
	for (i = 1; i < MAX_PROBES; i++) {
		now = t0 + i * RETRANS_MS;
		nep_neigh_tick(t, now, &ops);
		assert_int_equal(n_solicit, 1 + i);
		assert_false(calls[n_calls - 1].unicast);
		assert_memory_equal(&calls[n_calls - 1].key, &k, sizeof(k));
		nep_neigh_tick(t, now + RETRANS_MS / 2, &ops);
		assert_int_equal(n_solicit, 1 + i);
		assert_int_equal(state_of(t, &k), NEP_NEIGH_INCOMPLETE);
	}
	assert_int_equal(n_drop, 0);

	/* no answer: FAILED, queued packets dropped */
	now = t0 + MAX_PROBES * RETRANS_MS;
	nep_neigh_tick(t, now, &ops);
	assert_int_equal(n_solicit, MAX_PROBES);
	assert_int_equal(n_drop, 2);
	assert_ptr_equal(calls[n_calls - 2].m, &mb[0]);
	assert_ptr_equal(calls[n_calls - 1].m, &mb[1]);
	assert_int_equal(calls[n_calls - 2].reason, NEP_DROP_NEIGH_FAILED);
	assert_int_equal(calls[n_calls - 1].reason, NEP_DROP_NEIGH_FAILED);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_FAILED);
	assert_int_equal(nep_neigh_lookup(t, &k), 0);

	/* while FAILED: new packets are dropped, nothing solicited */
	nep_neigh_resolve(t, &k, &mb[2], now + 100, &ops);
	assert_int_equal(n_drop, 3);
	assert_ptr_equal(calls[n_calls - 1].m, &mb[2]);
	assert_int_equal(calls[n_calls - 1].reason, NEP_DROP_NEIGH_FAILED);
	assert_int_equal(n_solicit, MAX_PROBES);

	/* after the hold time the entry is forgotten */
	nep_neigh_tick(t, now + FAILED_HOLD_MS - 1, &ops);
	assert_int_equal(count_entries(t), 1);
	nep_neigh_tick(t, now + FAILED_HOLD_MS, &ops);
	assert_int_equal(count_entries(t), 0);
	quiesce();

	/* and the next packet starts afresh */
	nep_neigh_resolve(t, &k, &mb[3], now + FAILED_HOLD_MS + 1, &ops);
	assert_int_equal(n_solicit, MAX_PROBES + 1);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_INCOMPLETE);
	/* late answer after FAILED/restart still delivers */
	reset_calls();
	nep_neigh_learn(t, &k, MAC2, true, false, now + 4000, &ops);
	assert_int_equal(n_xmit, 1);
	assert_ptr_equal(calls[0].m, &mb[3]);
	free_table(t);
}

static void
test_failed_restart_before_tick(void **state)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key k;
	uint64_t now;

	(void)state;
	t = mk_table(64);
	key4(&k, 3, "198.51.100.1");
	nep_neigh_resolve(t, &k, &mb[0], 0, &ops);
	for (now = RETRANS_MS; now <= MAX_PROBES * RETRANS_MS;
		now += RETRANS_MS)
		nep_neigh_tick(t, now, &ops);
	now -= RETRANS_MS;
	assert_int_equal(state_of(t, &k), NEP_NEIGH_FAILED);
	reset_calls();
	/* the hold is over but no tick ran yet: the packet restarts it */
	nep_neigh_resolve(t, &k, &mb[1], now + FAILED_HOLD_MS, &ops);
	assert_int_equal(n_drop, 0);
	assert_int_equal(n_solicit, 1);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_INCOMPLETE);
	free_table(t);
}

static void
test_reachable_probe(void **state)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key k;
	uint64_t t0 = 100, now;
	unsigned i;

	(void)state;
	t = mk_table(64);
	key6(&k, 0, "fe80::1");
	nep_neigh_learn(t, &k, MAC1, true, false, t0, &ops);
	assert_lookup_mac(t, &k, MAC1);

	nep_neigh_tick(t, t0 + REACHABLE_MS - 1, &ops);
	assert_int_equal(n_calls, 0);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_REACHABLE);

	/* stale: unicast probes to the known MAC, still used meanwhile */
	now = t0 + REACHABLE_MS;
	for (i = 0; i < MAX_PROBES; i++) {
		nep_neigh_tick(t, now + i * RETRANS_MS, &ops);
		assert_int_equal(n_solicit, i + 1);
		assert_true(calls[n_calls - 1].unicast);
		assert_memory_equal(calls[n_calls - 1].mac, MAC1, 6);
		assert_memory_equal(&calls[n_calls - 1].key, &k, sizeof(k));
		assert_int_equal(state_of(t, &k), NEP_NEIGH_PROBE);
		assert_lookup_mac(t, &k, MAC1);
		nep_neigh_tick(t, now + i * RETRANS_MS + 1, &ops);
		assert_int_equal(n_solicit, i + 1);
	}
	/* no answer to max_probes probes: deleted */
	nep_neigh_tick(t, now + MAX_PROBES * RETRANS_MS, &ops);
	assert_int_equal(n_solicit, MAX_PROBES);
	assert_int_equal(nep_neigh_lookup(t, &k), 0);
	assert_int_equal(count_entries(t), 0);
	quiesce();

	/* an answer during PROBE makes it REACHABLE again */
	reset_calls();
	nep_neigh_learn(t, &k, MAC1, true, false, 0, &ops);
	nep_neigh_tick(t, REACHABLE_MS, &ops);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_PROBE);
	nep_neigh_learn(t, &k, MAC2, true, false, REACHABLE_MS + 5, &ops);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_REACHABLE);
	assert_lookup_mac(t, &k, MAC2);
	reset_calls();
	nep_neigh_tick(t, 2 * REACHABLE_MS + 4, &ops);
	assert_int_equal(n_calls, 0);
	nep_neigh_tick(t, 2 * REACHABLE_MS + 5, &ops);
	assert_int_equal(n_solicit, 1);
	assert_memory_equal(calls[0].mac, MAC2, 6);
	free_table(t);
}

/* RFC 4861 7.2.5: a solicited NA without TLLAO (Linux's answer to a
 * unicast NS) confirms an entry that has a MAC; it teaches an entry that
 * is still resolving nothing. */
static void
test_confirm_without_lladdr(void **state)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key k, k2;
	uint64_t now = REACHABLE_MS;

	(void)state;
	t = mk_table(64);
	key6(&k, 0, "fe80::1");
	key6(&k2, 0, "fe80::2");
	reset_calls();
	nep_neigh_learn(t, &k, MAC1, true, false, 0, &ops);
	assert_false(nep_neigh_confirm(t, &k2, 5));	/* no entry */
	assert_int_equal(count_entries(t), 1);
	/* REACHABLE -> PROBE, one unicast probe, answered without option */
	nep_neigh_tick(t, now, &ops);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_PROBE);
	assert_int_equal(n_solicit, 1);
	assert_true(nep_neigh_confirm(t, &k, now + 2));
	assert_int_equal(state_of(t, &k), NEP_NEIGH_REACHABLE);
	assert_lookup_mac(t, &k, MAC1);
	/* kept for a whole reachable time again: never deleted, no
	 * multicast solicitation */
	for (uint64_t ms = now + 2; ms < now + 2 + REACHABLE_MS; ms += 500)
		nep_neigh_tick(t, ms, &ops);
	assert_int_equal(n_solicit, 1);
	assert_int_equal(state_of(t, &k), NEP_NEIGH_REACHABLE);
	/* and again at the next probe: several cycles, never lost */
	for (unsigned cycle = 0; cycle < 3; cycle++) {
		now += 2 + REACHABLE_MS;
		nep_neigh_tick(t, now, &ops);
		assert_int_equal(state_of(t, &k), NEP_NEIGH_PROBE);
		assert_true(calls[n_calls - 1].unicast);
		assert_true(nep_neigh_confirm(t, &k, now + 2));
	}
	assert_int_equal(count_entries(t), 1);
	/* an entry still resolving learns nothing from it */
	nep_neigh_resolve(t, &k2, &mb[0], now, &ops);
	assert_false(nep_neigh_confirm(t, &k2, now + 1));
	assert_int_equal(state_of(t, &k2), NEP_NEIGH_INCOMPLETE);
	assert_int_equal(n_xmit, 0);
	free_table(t);
}

static void
test_static_and_flush(void **state)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key ks, kd, kq;
	struct seen s = { 0 };
	bool seen_s = false, seen_d = false, seen_q = false;

	(void)state;
	t = mk_table(64);
	key6(&ks, 1, "2001:db8::1");
	key4(&kd, 1, "192.0.2.2");
	key6(&kq, 2, "2001:db8::3");
	assert_int_equal(nep_neigh_add_static(t, &ks, MAC1), 0);
	assert_lookup_mac(t, &ks, MAC1);
	nep_neigh_learn(t, &kd, MAC2, true, false, 0, &ops);
	nep_neigh_resolve(t, &kq, &mb[5], 0, &ops);

	nep_neigh_foreach(t, visit, &s);
	assert_int_equal(s.n, 3);
	for (unsigned i = 0; i < s.n; i++) {
		if (memcmp(&s.c[i].key, &ks, sizeof(ks)) == 0) {
			seen_s = true;
			assert_int_equal(s.c[i].state, NEP_NEIGH_PERMANENT);
			assert_int_equal(s.mac[i], word_of(MAC1));
		} else if (memcmp(&s.c[i].key, &kd, sizeof(kd)) == 0) {
			seen_d = true;
			assert_int_equal(s.c[i].state, NEP_NEIGH_REACHABLE);
			assert_int_equal(s.mac[i], word_of(MAC2));
		} else if (memcmp(&s.c[i].key, &kq, sizeof(kq)) == 0) {
			seen_q = true;
			assert_int_equal(s.c[i].state, NEP_NEIGH_INCOMPLETE);
			assert_int_equal(s.c[i].n_queued, 1);
		}
	}
	assert_true(seen_s && seen_d && seen_q);

	/* static entries never age nor learn */
	reset_calls();
	nep_neigh_tick(t, 10ull * REACHABLE_MS, &ops);
	nep_neigh_learn(t, &ks, MAC2, true, true, 1, &ops);
	for (uint64_t now = 0; now < 20; now++)
		nep_neigh_tick(t, 1000000ull * (now + 1), &ops);
	assert_lookup_mac(t, &ks, MAC1);
	assert_int_equal(state_of(t, &ks), NEP_NEIGH_PERMANENT);
	for (unsigned i = 0; i < n_calls; i++)
		if (calls[i].kind == C_SOLICIT)
			assert_memory_not_equal(&calls[i].key, &ks, sizeof(ks));
	quiesce();

	/* flush: dynamic entries go (queued packets dropped), static stays */
	nep_neigh_learn(t, &kd, MAC2, true, true, 0, &ops);
	nep_neigh_resolve(t, &kq, &mb[6], 0, &ops);
	assert_int_equal(count_entries(t), 3);
	reset_calls();
	nep_neigh_flush(t, &ops);
	assert_int_equal(n_drop, 1);
	assert_ptr_equal(calls[0].m, &mb[6]);
	assert_int_equal(calls[0].reason, NEP_DROP_NEIGH_FAILED);
	assert_int_equal(count_entries(t), 1);
	assert_lookup_mac(t, &ks, MAC1);
	assert_int_equal(nep_neigh_lookup(t, &kd), 0);
	assert_int_equal(nep_neigh_lookup(t, &kq), 0);
	quiesce();
	free_table(t);
}

static void
test_free_drops_queued(void **state)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key k;

	(void)state;
	t = mk_table(64);
	key6(&k, 1, "2001:db8::99");
	nep_neigh_resolve(t, &k, &mb[7], 0, &ops);
	nep_neigh_resolve(t, &k, &mb[8], 0, &ops);
	reset_calls();
	nep_neigh_free(t, &ops);
	assert_int_equal(n_drop, 2);
	reset_calls();
}

/*
 * Entries come and go many times more than the table holds: deleted keys
 * must be reclaimed (after the grace period) and their positions reused.
 */
static void
recycle(struct rte_rcu_qsbr *q)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key k;
	char a[64];
	uint64_t now = 0;
	unsigned i, p;

	t = mk_table_q(16, q);
	for (i = 0; i < 200; i++) {
		snprintf(a, sizeof(a), "2001:db8:%x::1", i + 1);
		key6(&k, 0, a);
		reset_calls();
		nep_neigh_resolve(t, &k, &mb[0], now, &ops);
		assert_int_equal(n_drop, 0);
		assert_int_equal(n_solicit, 1);
		for (p = 0; p < MAX_PROBES; p++) {
			now += RETRANS_MS;
			nep_neigh_tick(t, now, &ops);
		}
		assert_int_equal(n_drop, 1);
		assert_int_equal(calls[n_calls - 1].reason,
			NEP_DROP_NEIGH_FAILED);
		now += FAILED_HOLD_MS;
		nep_neigh_tick(t, now, &ops);
		assert_int_equal(count_entries(t), 0);
		quiesce();
	}
	/* and the table still fills to its size */
	reset_calls();
	for (i = 0; i < 16; i++) {
		snprintf(a, sizeof(a), "2001:db8:ffff::%x", i + 1);
		key6(&k, 0, a);
		nep_neigh_learn(t, &k, MAC1, true, true, now, &ops);
		assert_lookup_mac(t, &k, MAC1);
	}
	assert_int_equal(count_entries(t), 16);
	free_table(t);
}

static void
test_recycle(void **state)
{
	(void)state;
	recycle(qsv);
}

/* Without RCU (single-threaded use) deleted keys are freed at once. */
static void
test_recycle_no_rcu(void **state)
{
	(void)state;
	recycle(NULL);
}

/* A full table drops the packet instead of failing silently. */
static void
test_table_full(void **state)
{
	struct nep_neigh_table *t;
	struct nep_neigh_key k;
	char a[64];
	unsigned i, created = 0;

	(void)state;
	t = mk_table(16);
	for (i = 0; i < 64; i++) {
		snprintf(a, sizeof(a), "192.0.2.%u", i + 1);
		key4(&k, 0, a);
		reset_calls();
		nep_neigh_resolve(t, &k, &mb[i], 0, &ops);
		if (n_solicit == 1) {
			created++;
			continue;
		}
		assert_int_equal(n_drop, 1);
		assert_int_equal(calls[0].reason, NEP_DROP_NEIGH_QUEUE_FULL);
		assert_ptr_equal(calls[0].m, &mb[i]);
	}
	/* the hash has exactly size key slots */
	assert_int_equal(created, 16);
	assert_int_equal(count_entries(t), 16);
	free_table(t);
}

/* ---- EAL ---- */

static int
eal_setup(void **state)
{
	size_t sz;

	(void)state;
	eal_ok = nep_test_eal_init("neigh", 256) == 0;
	if (!eal_ok)
		return -1;
	sz = rte_rcu_qsbr_get_memsize(1);
	qsv = rte_zmalloc("nt_qsv", sz, RTE_CACHE_LINE_SIZE);
	if (qsv == NULL || rte_rcu_qsbr_init(qsv, 1) != 0 ||
		rte_rcu_qsbr_thread_register(qsv, 0) != 0)
		return -1;
	rte_rcu_qsbr_thread_online(qsv, 0);
	return 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	if (!eal_ok)
		return 0;
	rte_rcu_qsbr_thread_offline(qsv, 0);
	rte_rcu_qsbr_thread_unregister(qsv, 0);
	rte_free(qsv);
	nep_test_eal_fini();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_set),
		cmocka_unit_test(test_resolve_learn),
		cmocka_unit_test(test_learn_unconfirmed),
		cmocka_unit_test(test_incomplete_fails),
		cmocka_unit_test(test_failed_restart_before_tick),
		cmocka_unit_test(test_reachable_probe),
		cmocka_unit_test(test_static_and_flush),
		cmocka_unit_test(test_free_drops_queued),
		cmocka_unit_test(test_recycle),
		cmocka_unit_test(test_recycle_no_rcu),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_dcache_with_neighbours),
		cmocka_unit_test(test_confirm_without_lladdr),
	};

	return cmocka_run_group_tests_name("neigh", tests, eal_setup,
		eal_teardown);
}
