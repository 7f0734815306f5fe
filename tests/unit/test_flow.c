/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table tests: key extraction from parsed frames (no EAL), then the
 * table, aging and the owner-side reap under a minimal EAL.
 */
#include <arpa/inet.h>
#include <errno.h>
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
#include <rte_memory.h>

#include "nep_flow.h"
#include "nep_rendezvous.h"
#include "nep_test_eal.h"

static uint8_t fr[256] __attribute__((aligned(8)));

/* ---- frame helpers ---- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
eth(uint8_t *f, uint16_t type)
{
	memset(f, 0, 12);
	f[0] = 2;
	f[6] = 2;
	put16(f + 12, type);
}

static uint8_t *
ip6(uint16_t plen, uint8_t nh, const char *src, const char *dst)
{
	uint8_t *h = fr + 14;

	memset(fr, 0, sizeof(fr));
	eth(fr, RTE_ETHER_TYPE_IPV6);
	h[0] = 0x60;
	put16(h + 4, plen);
	h[6] = nh;
	h[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, src, h + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, h + 24), 1);
	return h + 40;
}

static uint8_t *
ip4(uint16_t tot, uint8_t proto, const char *src, const char *dst,
	uint16_t frag)
{
	uint8_t *h = fr + 14;
	uint32_t sum = 0;

	memset(fr, 0, sizeof(fr));
	eth(fr, RTE_ETHER_TYPE_IPV4);
	h[0] = 0x45;
	put16(h + 2, tot);
	put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	assert_int_equal(inet_pton(AF_INET, src, h + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, h + 16), 1);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(h + 10, (uint16_t)~sum);
	return h + 20;
}

/* Parse fr (must be good) and extract the key; returns the TCP flags. */
static uint8_t
key_of(uint32_t len, struct nep_flow_key *k)
{
	struct nep_pkt_info pi;

	assert_int_equal(nep_pkt_parse(fr, len, &pi), NEP_DROP_NONE);
	memset(k, 0xa5, sizeof(*k));	/* the extractor must clear it all */
	return nep_flow_key_from_pkt(fr, &pi, k);
}

static void
assert_a6(const uint8_t *a, const char *s)
{
	uint8_t w[16];

	assert_int_equal(inet_pton(AF_INET6, s, w), 1);
	assert_memory_equal(a, w, 16);
}

static void
assert_a4(const uint8_t *a, const char *s)
{
	static const uint8_t zero[12];
	uint8_t w[4];

	assert_int_equal(inet_pton(AF_INET, s, w), 1);
	assert_memory_equal(a, w, 4);
	assert_memory_equal(a + 4, zero, 12);
}

/* ---- key extraction ---- */

static void
test_key_tcp_udp(void **state)
{
	struct nep_flow_key k, k2;
	uint8_t *l4;

	(void)state;
	l4 = ip6(20, NEP_PROTO_TCP, "2001:db8:1::10", "2001:db8:2::20");
	put16(l4, 40000);
	put16(l4 + 2, 443);
	l4[12] = 5 << 4;
	l4[13] = 0x12;	/* SYN+ACK */
	assert_int_equal(key_of(74, &k), 0x12);
	assert_int_equal(k.family, 6);
	assert_int_equal(k.proto, NEP_PROTO_TCP);
	assert_a6(k.src, "2001:db8:1::10");
	assert_a6(k.dst, "2001:db8:2::20");
	assert_int_equal(k.sport, htons(40000));	/* network order */
	assert_int_equal(k.dport, htons(443));
	for (unsigned i = 0; i < sizeof(k.pad); i++)
		assert_int_equal(k.pad[i], 0);
	/* FIN, RST */
	l4[13] = 0x11;
	assert_int_equal(key_of(74, &k2), 0x11);
	assert_memory_equal(&k, &k2, sizeof(k));	/* same flow */
	l4[13] = 0x04;
	assert_int_equal(key_of(74, &k2), 0x04);
	/* The fast path's builder: same key, and its hash. */
	memset(&k2, 0xa5, sizeof(k2));
	assert_int_equal(nep_flow_key_ip6_l4(fr + 14, &k2), nep_flow_hash(&k));
	assert_memory_equal(&k, &k2, sizeof(k));

	/* the reverse direction is another key */
	l4 = ip6(20, NEP_PROTO_TCP, "2001:db8:2::20", "2001:db8:1::10");
	put16(l4, 443);
	put16(l4 + 2, 40000);
	l4[12] = 5 << 4;
	key_of(74, &k2);
	assert_memory_not_equal(&k, &k2, sizeof(k));

	l4 = ip6(8, NEP_PROTO_UDP, "2001:db8:1::10", "2001:db8:2::20");
	put16(l4, 5353);
	put16(l4 + 2, 53);
	put16(l4 + 4, 8);
	assert_int_equal(key_of(62, &k), 0);
	assert_int_equal(k.proto, NEP_PROTO_UDP);
	assert_int_equal(k.sport, htons(5353));
	assert_int_equal(k.dport, htons(53));
	memset(&k2, 0x5a, sizeof(k2));
	assert_int_equal(nep_flow_key_ip6_l4(fr + 14, &k2), nep_flow_hash(&k));
	assert_memory_equal(&k, &k2, sizeof(k));

	l4 = ip4(28, NEP_PROTO_UDP, "192.0.2.1", "198.51.100.2", 0);
	put16(l4, 1111);
	put16(l4 + 2, 2222);
	put16(l4 + 4, 8);
	assert_int_equal(key_of(42, &k), 0);
	assert_int_equal(k.family, 4);
	assert_int_equal(k.proto, NEP_PROTO_UDP);
	assert_a4(k.src, "192.0.2.1");
	assert_a4(k.dst, "198.51.100.2");
	assert_int_equal(k.sport, htons(1111));
	assert_int_equal(k.dport, htons(2222));
	/* The IPv4 fast path's builder: same key, and its hash. */
	memset(&k2, 0xa5, sizeof(k2));
	assert_int_equal(nep_flow_key_ip4_l4(fr + 14, &k2), nep_flow_hash(&k));
	assert_memory_equal(&k, &k2, sizeof(k));

	l4 = ip4(40, NEP_PROTO_TCP, "192.0.2.1", "198.51.100.2", 0);
	put16(l4, 1);
	put16(l4 + 2, 22);
	l4[12] = 5 << 4;
	l4[13] = 0x02;
	assert_int_equal(key_of(54, &k), 0x02);
	assert_int_equal(k.dport, htons(22));
	memset(&k2, 0x5a, sizeof(k2));
	assert_int_equal(nep_flow_key_ip4_l4(fr + 14, &k2), nep_flow_hash(&k));
	assert_memory_equal(&k, &k2, sizeof(k));
}

static void
test_key_icmp(void **state)
{
	struct nep_flow_key k;
	uint8_t *l4;

	(void)state;
	l4 = ip6(16, NEP_PROTO_ICMPV6, "2001:db8:1::10", "2001:db8:2::20");
	l4[0] = NEP_ICMP6_ECHO_REQUEST;
	put16(l4 + 4, 0x1234);
	put16(l4 + 6, 99);
	assert_int_equal(key_of(70, &k), 0);
	assert_int_equal(k.proto, NEP_PROTO_ICMPV6);
	assert_int_equal(k.sport, htons(0x1234));
	assert_int_equal(k.dport, 0);
	l4[0] = NEP_ICMP6_ECHO_REPLY;
	key_of(70, &k);
	assert_int_equal(k.sport, htons(0x1234));
	/* other ICMPv6: (src, dst, proto) only */
	l4[0] = NEP_ICMP6_DST_UNREACH;
	key_of(70, &k);
	assert_int_equal(k.sport, 0);
	assert_int_equal(k.dport, 0);
	assert_int_equal(k.proto, NEP_PROTO_ICMPV6);

	l4 = ip4(28, NEP_PROTO_ICMP, "192.0.2.1", "198.51.100.2", 0);
	l4[0] = NEP_ICMP4_ECHO_REQUEST;
	put16(l4 + 4, 0xabcd);
	assert_int_equal(key_of(42, &k), 0);
	assert_int_equal(k.family, 4);
	assert_int_equal(k.proto, NEP_PROTO_ICMP);
	assert_int_equal(k.sport, htons(0xabcd));
	assert_int_equal(k.dport, 0);
	l4[0] = NEP_ICMP4_ECHO_REPLY;
	key_of(42, &k);
	assert_int_equal(k.sport, htons(0xabcd));
	l4[0] = NEP_ICMP4_TIME_EXCEEDED;
	key_of(42, &k);
	assert_int_equal(k.sport, 0);
}

static void
test_key_other_and_fragments(void **state)
{
	struct nep_flow_key k;
	uint8_t *x;

	(void)state;
	/* GRE: no ports */
	x = ip6(8, 47, "2001:db8:1::10", "2001:db8:2::20");
	memset(x, 0xff, 8);
	assert_int_equal(key_of(62, &k), 0);
	assert_int_equal(k.proto, 47);
	assert_int_equal(k.sport, 0);
	assert_int_equal(k.dport, 0);
	assert_a6(k.src, "2001:db8:1::10");

	/* IPv6 non-first fragment of a UDP datagram */
	x = ip6(8 + 16, 44, "2001:db8:1::10", "2001:db8:2::20");
	x[0] = NEP_PROTO_UDP;
	put16(x + 2, 100 << 3);
	memset(x + 8, 0x77, 16);	/* payload, not a UDP header */
	assert_int_equal(key_of(14 + 40 + 24, &k), 0);
	assert_int_equal(k.proto, NEP_PROTO_UDP);
	assert_int_equal(k.family, 6);
	assert_int_equal(k.sport, 0);
	assert_int_equal(k.dport, 0);
	assert_a6(k.dst, "2001:db8:2::20");

	/* IPv4 non-first fragment */
	x = ip4(20 + 16, NEP_PROTO_TCP, "192.0.2.1", "198.51.100.2", 50);
	memset(x, 0x77, 16);
	assert_int_equal(key_of(14 + 36, &k), 0);
	assert_int_equal(k.proto, NEP_PROTO_TCP);
	assert_int_equal(k.sport, 0);
	assert_int_equal(k.dport, 0);
	assert_a4(k.src, "192.0.2.1");
}

/* ---- aging (pure) ---- */

static void
test_expired(void **state)
{
	struct nep_flow_entry e;
	struct nep_flow_age a = {
		.idle_tsc = 100,
		.fin_idle_tsc = 10,
	};

	(void)state;
	memset(&e, 0, sizeof(e));
	e.created_tsc = 500;
	e.last_tsc = 1000;
	e.uplink = 2;
	assert_false(nep_flow_expired(&e, 1000, &a));
	assert_false(nep_flow_expired(&e, 1100, &a));
	assert_true(nep_flow_expired(&e, 1101, &a));

	/* after FIN/RST the short timeout applies */
	e.flags = NEP_FLOW_F_FIN;
	assert_false(nep_flow_expired(&e, 1010, &a));
	assert_true(nep_flow_expired(&e, 1011, &a));
	e.flags = 0;

	/* flush: created before flush_tsc on a flushed uplink */
	a.flush_tsc = 600;
	a.flush_mask = 1u << 2;
	assert_true(nep_flow_flushed(&e, &a));
	assert_true(nep_flow_expired(&e, 1000, &a));
	e.created_tsc = 600;		/* not before */
	assert_false(nep_flow_expired(&e, 1000, &a));
	e.created_tsc = 500;
	e.uplink = 3;			/* another uplink */
	assert_false(nep_flow_expired(&e, 1000, &a));
	e.uplink = NEP_FLOW_UPLINK_BYPASS;	/* routed: bit 31 */
	assert_false(nep_flow_expired(&e, 1000, &a));
	a.flush_mask = 1u << 31;
	assert_true(nep_flow_flushed(&e, &a));
	assert_true(nep_flow_expired(&e, 1000, &a));
}

/* ---- table (EAL) ---- */

static struct nep_flow_table *
mk_table(uint32_t size)
{
	static unsigned seq;
	char name[32];
	struct nep_flow_table *t;

	snprintf(name, sizeof(name), "ft%u", seq++);
	t = nep_flow_table_create(name, size, SOCKET_ID_ANY);
	assert_non_null(t);
	assert_non_null(t->h);
	assert_non_null(t->e);
	assert_non_null(t->expire);
	assert_int_equal(t->size, size);
	return t;
}

static void
mkkey(struct nep_flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->family = 6;
	k->proto = NEP_PROTO_UDP;
	k->src[0] = 0xfd;
	memcpy(k->src + 12, &i, 4);
	k->dst[0] = 0x20;
	k->sport = htons((uint16_t)(i & 0xffff));
	k->dport = htons(53);
}

/* Insert like the worker does: hash position -> entry. */
static int32_t
add(struct nep_flow_table *t, const struct nep_flow_key *k, uint64_t now)
{
	int32_t pos = rte_hash_add_key(t->h, k);

	if (pos < 0)
		return pos;
	assert_true((uint32_t)pos <= (uint32_t)rte_hash_max_key_id(t->h));
	struct nep_flow_entry *e = &t->e[pos];
	e->key = *k;
	e->created_tsc = now;
	e->last_tsc = now;
	e->packets = 1;
	e->uplink = 0;
	e->flags = 0;
	t->inserts++;
	return pos;
}

static void
test_table_add_lookup(void **state)
{
	struct nep_flow_table *t;
	struct nep_flow_key k;
	int32_t pos[8];
	uint32_t i;

	(void)state;
	t = mk_table(1024);
	for (i = 0; i < 8; i++) {
		mkkey(&k, i);
		pos[i] = add(t, &k, 1000 + i);
		assert_true(pos[i] >= 0);
	}
	for (i = 0; i < 8; i++) {
		mkkey(&k, i);
		assert_int_equal(rte_hash_lookup(t->h, &k), pos[i]);
		assert_memory_equal(&t->e[pos[i]].key, &k, sizeof(k));
		assert_int_equal(t->e[pos[i]].last_tsc, 1000 + i);
	}
	/* The worker hashes keys itself and looks up with that hash: it
	 * must be the table's own, and find what rte_hash_lookup finds. */
	const void *kp[8];
	struct nep_flow_key ks[8];
	hash_sig_t sig[8];
	int32_t got[8];
	for (i = 0; i < 8; i++) {
		mkkey(&ks[i], i + 4);	/* 4..7 present, 8..11 not */
		kp[i] = &ks[i];
		sig[i] = nep_flow_hash(&ks[i]);
		assert_int_equal(sig[i], rte_hash_hash(t->h, &ks[i]));
	}
	assert_int_equal(rte_hash_lookup_with_hash_bulk(t->h, kp, sig, 8, got),
		0);
	for (i = 0; i < 8; i++)
		assert_int_equal(got[i], i < 4 ? pos[i + 4] : -ENOENT);
	mkkey(&k, 8);
	assert_int_equal(rte_hash_lookup(t->h, &k), -ENOENT);
	/* same key again: same position */
	mkkey(&k, 3);
	assert_int_equal(rte_hash_add_key(t->h, &k), pos[3]);
	assert_int_equal(nep_flow_table_memsize(1024),
		1024 * sizeof(struct nep_flow_entry));
	nep_flow_table_free(t);
	nep_flow_table_free(NULL);
}

/* The exact-match cache: hits are checked against the entry's own key. */
static void
test_emc(void **state)
{
	struct nep_flow_table *t;
	struct nep_flow_key k[4];
	uint32_t sig[4];
	int32_t pos[4];

	(void)state;
	t = mk_table(1024);
	for (unsigned i = 0; i < 4; i++) {
		mkkey(&k[i], 100 + i);
		sig[i] = nep_flow_hash(&k[i]);
		pos[i] = add(t, &k[i], 1000);
		assert_true(pos[i] >= 0);
		assert_int_equal(nep_flow_emc_lookup(t, &k[i], sig[i]), -1);
	}
	nep_flow_emc_insert(t, sig[0], pos[0]);
	assert_int_equal(nep_flow_emc_lookup(t, &k[0], sig[0]), pos[0]);
	/* Same hash, another key: never the wrong flow. */
	assert_int_equal(nep_flow_emc_lookup(t, &k[1], sig[0]), -1);
	/* Two flows whose hashes pick the same pair both stay... */
	nep_flow_emc_insert(t, sig[0] ^ 1, pos[1]);
	assert_int_equal(nep_flow_emc_lookup(t, &k[0], sig[0]), pos[0]);
	assert_int_equal(nep_flow_emc_lookup(t, &k[1], sig[0] ^ 1), pos[1]);
	/* ... a third one pushes the older out. */
	nep_flow_emc_insert(t, sig[0] ^ 1u << 13, pos[2]);
	assert_int_equal(nep_flow_emc_lookup(t, &k[2], sig[0] ^ 1u << 13),
		pos[2]);
	assert_int_equal(nep_flow_emc_lookup(t, &k[1], sig[0] ^ 1), pos[1]);
	assert_int_equal(nep_flow_emc_lookup(t, &k[0], sig[0]), -1);
	/* A deleted flow (free slot) is a miss, and so is its reuse by
	 * another flow at the same position. */
	nep_flow_emc_insert(t, sig[3], pos[3]);
	t->e[pos[3]].last_tsc = 0;
	assert_int_equal(nep_flow_emc_lookup(t, &k[3], sig[3]), -1);
	t->e[pos[3]].last_tsc = 5;
	t->e[pos[3]].key = k[0];
	assert_int_equal(nep_flow_emc_lookup(t, &k[3], sig[3]), -1);
	nep_flow_table_free(t);
}

static void
test_reap(void **state)
{
	struct nep_flow_table *t;
	struct nep_flow_key k;
	struct nep_flow_age a = { .idle_tsc = 100, .fin_idle_tsc = 10 };
	int32_t pos[4];
	uint32_t i;

	(void)state;
	t = mk_table(1024);
	for (i = 0; i < 4; i++) {
		mkkey(&k, i);
		pos[i] = add(t, &k, 1000);
	}
	/* the control lcore saw all four idle and posted them ... */
	for (i = 0; i < 4; i++)
		assert_int_equal(rte_ring_enqueue(t->expire,
					 (void *)(uintptr_t)pos[i]), 0);
	/* ... and a free slot, and one position twice */
	mkkey(&k, 100);
	int32_t freepos = add(t, &k, 1000);
	assert_int_equal(rte_hash_del_key(t->h, &k), freepos);
	t->e[freepos].last_tsc = 0;
	assert_int_equal(rte_ring_enqueue(t->expire,
				 (void *)(uintptr_t)freepos), 0);
	assert_int_equal(rte_ring_enqueue(t->expire,
				 (void *)(uintptr_t)pos[0]), 0);

	/* meanwhile a packet refreshed flow 1, flow 2 saw a FIN */
	t->e[pos[1]].last_tsc = 1150;
	t->e[pos[2]].last_tsc = 1150;
	t->e[pos[2]].flags = NEP_FLOW_F_FIN;
	t->e[pos[3]].last_tsc = 1150;

	nep_flow_reap(t, 1200, &a);
	assert_true(rte_ring_empty(t->expire));
	assert_int_equal(t->deletes, 2);	/* flows 0 and 2 */
	mkkey(&k, 0);
	assert_int_equal(rte_hash_lookup(t->h, &k), -ENOENT);
	assert_int_equal(t->e[pos[0]].last_tsc, 0);
	mkkey(&k, 1);
	assert_int_equal(rte_hash_lookup(t->h, &k), pos[1]);
	assert_int_equal(t->e[pos[1]].last_tsc, 1150);
	mkkey(&k, 2);
	assert_int_equal(rte_hash_lookup(t->h, &k), -ENOENT);
	assert_int_equal(t->e[pos[2]].last_tsc, 0);
	mkkey(&k, 3);
	assert_int_equal(rte_hash_lookup(t->h, &k), pos[3]);

	/* a flush posted for uplink 0 takes flows created before it */
	a.flush_tsc = 1001;
	a.flush_mask = 1;
	rte_ring_enqueue(t->expire, (void *)(uintptr_t)pos[1]);
	nep_flow_reap(t, 1151, &a);
	mkkey(&k, 1);
	assert_int_equal(rte_hash_lookup(t->h, &k), -ENOENT);
	assert_int_equal(t->deletes, 3);
	/* an empty ring is a no-op */
	nep_flow_reap(t, 1151, &a);
	assert_int_equal(t->deletes, 3);
	nep_flow_table_free(t);
}

/* More posted positions than one reap burst (64): the rest wait. */
static void
test_reap_burst(void **state)
{
	struct nep_flow_table *t;
	struct nep_flow_key k;
	struct nep_flow_age a = { .idle_tsc = 10, .fin_idle_tsc = 10 };
	uint32_t i;

	(void)state;
	t = mk_table(1024);
	for (i = 0; i < 100; i++) {
		mkkey(&k, i);
		int32_t pos = add(t, &k, 1);
		assert_true(pos >= 0);
		assert_int_equal(rte_ring_enqueue(t->expire,
					 (void *)(uintptr_t)pos), 0);
	}
	nep_flow_reap(t, 1000, &a);
	assert_int_equal(t->deletes, 64);
	assert_int_equal(rte_ring_count(t->expire), 36);
	nep_flow_reap(t, 1000, &a);
	assert_int_equal(t->deletes, 100);
	assert_int_equal(rte_hash_count(t->h), 0);
	nep_flow_table_free(t);
}

static void
test_table_fill(void **state)
{
	struct nep_flow_table *t;
	struct nep_flow_key k;
	uint32_t i, n = 0;
	int32_t pos = 0;

	(void)state;
	t = mk_table(1024);
	for (i = 0; i < 4096; i++) {
		mkkey(&k, i);
		pos = add(t, &k, 5);
		if (pos < 0)
			break;
		n++;
	}
	assert_int_equal(pos, -ENOSPC);
	assert_true(n >= 1024);
	assert_int_equal(rte_hash_count(t->h), n);
	/* every inserted flow is still found at its entry */
	for (i = 0; i < n; i++) {
		mkkey(&k, i);
		pos = rte_hash_lookup(t->h, &k);
		assert_true(pos >= 0);
		assert_memory_equal(&t->e[pos].key, &k, sizeof(k));
	}
	/* one deleted: one more fits */
	mkkey(&k, 7);
	assert_true(rte_hash_del_key(t->h, &k) >= 0);
	mkkey(&k, 5000);
	assert_true(add(t, &k, 6) >= 0);
	mkkey(&k, 5001);
	assert_int_equal(add(t, &k, 6), -ENOSPC);
	nep_flow_table_free(t);
}

/* ---- weighted rendezvous ranking (nep_rendezvous.h) ---- */

#define RB 256

static void
test_rendezvous(void **state)
{
	/* paths: 0 weight 7, 1 weight 3 (primaries), 2 backup */
	struct nep_rdv_path p[3] = { { 11, 7, 0 }, { 22, 3, 0 }, { 33, 5, 1 } };
	static uint8_t rank[RB][NEP_RDV_MAX_PATHS], again[RB][NEP_RDV_MAX_PATHS];
	static const int8_t uplink_of[3] = { 0, 1, 0 };
	unsigned first[3] = { 0 }, moved = 0;

	(void)state;
	nep_rdv_rank(p, 3, RB, &rank[0][0], NEP_RDV_MAX_PATHS);
	for (unsigned b = 0; b < RB; b++) {
		/* a permutation, the backup last */
		assert_int_equal(rank[b][2], 2);
		assert_int_not_equal(rank[b][0], rank[b][1]);
		first[rank[b][0]]++;
	}
	/* weights 7:3 over 256 buckets, within a loose band */
	assert_in_range(first[0], 150, 210);
	assert_int_equal(first[0] + first[1], RB);
	/* the same identities rank the same (reloads keep buckets) */
	nep_rdv_rank(p, 3, RB, &again[0][0], NEP_RDV_MAX_PATHS);
	assert_memory_equal(rank, again, sizeof(rank));
	/* path 1 down: only its buckets move, to path 0; the backup waits */
	for (unsigned b = 0; b < RB; b++) {
		unsigned k = nep_rdv_pick(rank[b], 3, NULL, 0x5, uplink_of, -1,
			false);
		assert_true(k < 3);
		if (rank[b][0] == 0)
			assert_int_equal(rank[b][k], 0);
		else
			moved++, assert_int_equal(rank[b][k], 0);
	}
	assert_int_equal(moved, first[1]);
	/* both primaries down: the backup */
	assert_int_equal(rank[0][nep_rdv_pick(rank[0], 3, NULL, 0x4, uplink_of,
		-1, false)], 2);
	/* nothing up */
	assert_int_equal(nep_rdv_pick(rank[0], 3, NULL, 0, uplink_of, -1,
		false), 3);
	/* preferred uplink 1: path 1 when up, else the normal choice */
	for (unsigned b = 0; b < RB; b++) {
		assert_int_equal(rank[b][nep_rdv_pick(rank[b], 3, NULL, 0x7,
			uplink_of, 1, false)], 1);
		assert_int_equal(rank[b][nep_rdv_pick(rank[b], 3, NULL, 0x5,
			uplink_of, 1, false)], 0);
		/* strict: nothing else */
		assert_int_equal(nep_rdv_pick(rank[b], 3, NULL, 0x5, uplink_of, 1,
			true), 3);
	}
	/* through a map (local rank entries -> global paths 5, 9, 12) */
	{
		static const uint8_t map[3] = { 5, 9, 12 };
		static int8_t gup[13];
		uint64_t up = 1ull << 9;

		gup[5] = 0;
		gup[9] = 1;
		gup[12] = 0;
		assert_int_equal(map[rank[0][nep_rdv_pick(rank[0], 3, map, up, gup,
			-1, false)]], 9);
	}
}

/* ---- EAL ---- */

static int
eal_setup(void **state)
{
	(void)state;
	return nep_test_eal_init("flow", 256);
}

int
main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_key_tcp_udp),
		cmocka_unit_test(test_key_icmp),
		cmocka_unit_test(test_key_other_and_fragments),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_rendezvous),
	};
	const struct CMUnitTest eal[] = {
		cmocka_unit_test(test_table_add_lookup),
		cmocka_unit_test(test_emc),
		cmocka_unit_test(test_reap),
		cmocka_unit_test(test_reap_burst),
		cmocka_unit_test(test_table_fill),
	};
	int rc;

	rc = cmocka_run_group_tests_name("flow_key", pure, NULL, NULL);
	rc += cmocka_run_group_tests_name("flow_table", eal, eal_setup,
		nep_test_eal_teardown);
	return rc;
}
