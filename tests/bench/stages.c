/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-stage cost of neptune's packet path, in TSC cycles per packet.
 *
 * Runs each stage of the worker's path on its own, in a tight loop over a
 * fixed in-memory packet set (the frames of a benchmark pcap), with the
 * real library code (lib/pkt, lib/flow, lib/nptv6, lib/route, lib/neigh,
 * lib/policy, lib/uplink) and the real DPDK tables (rte_hash, rte_fib6,
 * rte_acl). Every stage is timed over whole passes of the packet set with
 * rte_rdtsc(); the median pass and the best pass are reported, divided by
 * the number of packets. Built and run by tests/bench/run:
 *
 *   cc -O3 ... tests/bench/stages.c lib/<...>.c $(pkg-config --cflags --libs libdpdk)
 *   stages PCAP [EAL args...]       (JSON on stdout)
 *
 * The stages mirror app/neptune/worker.c + steer.h; where neptune calls a
 * function per packet, so does this (single lookups, not bulk); the bulk
 * variants are extra rows that show what batching would cost instead.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_acl.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "nep_config.h"
#include "nep_flow.h"
#include "nep_neigh.h"
#include "nep_nptv6.h"
#include "nep_pkt.h"
#include "nep_policy.h"
#include "nep_route.h"
#include "nep_uplink.h"

#define PASSES 31
#define BURST 32
#define BIG_FLOWS (1u << 20)	/* the "1M flows resident" table */

struct frame {
	uint8_t *d;
	uint32_t len;
};

static struct frame *frames;
static unsigned n_frames;
static volatile uint64_t sink;

/* ---- input ---- */

static int
load_pcap(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], rh[16];
	unsigned cap = 1024;

	if (f == NULL || fread(gh, 1, 24, f) != 24)
		return -1;
	frames = calloc(cap, sizeof(*frames));
	while (fread(rh, 1, 16, f) == 16) {
		uint32_t incl;
		memcpy(&incl, rh + 8, 4);
		if (n_frames == cap) {
			cap *= 2;
			frames = realloc(frames, cap * sizeof(*frames));
		}
		frames[n_frames].d = rte_malloc(NULL, 2048, 64);
		frames[n_frames].len = incl;
		if (incl > 2048 || fread(frames[n_frames].d, 1, incl, f) != incl)
			return -1;
		n_frames++;
	}
	fclose(f);
	return n_frames ? 0 : -1;
}

/* ---- timing ---- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct result {
	char name[64];
	char group[16];
	double median, best;	/* cycles per packet */
};

static struct result results[64];
static unsigned n_results;

typedef void (*pass_fn)(void *arg);

static void
measure2(const char *group, const char *name, pass_fn fn, void *arg,
	unsigned per_pass, pass_fn before, unsigned passes)
{
	uint64_t t[PASSES];
	struct result *r = &results[n_results++];

	if (before != NULL)
		before(arg);
	fn(arg); /* warm caches and branch predictors */
	for (unsigned p = 0; p < passes; p++) {
		uint64_t t0;
		if (before != NULL)
			before(arg);
		t0 = rte_rdtsc_precise();
		fn(arg);
		t[p] = rte_rdtsc_precise() - t0;
	}
	qsort(t, passes, sizeof(t[0]), cmp_u64);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->group, sizeof(r->group), "%s", group);
	r->median = (double)t[passes / 2] / per_pass;
	r->best = (double)t[0] / per_pass;
}

static void
measure(const char *group, const char *name, pass_fn fn, void *arg,
	unsigned per_pass)
{
	measure2(group, name, fn, arg, per_pass, NULL, PASSES);
}

/* ---- state shared by the stages ---- */

static struct nep_pkt_info *pis;
static struct nep_flow_key *keys;
static const void **key_ptrs;
static uint32_t *sigs;
static struct nep_flow_table *ft;	/* the 1k flows of the pcap */
static struct nep_flow_table *ft_big;	/* BIG_FLOWS synthetic flows */
static struct nep_flow_key *big_keys;
static uint32_t *big_sigs;
static struct nep_rib rib;
static struct nep_neigh_table *neigh;
static struct nep_nptv6 npt;
static struct nep_uplink_set pool;
static struct nep_acl_in *acl_in;
static const uint8_t **acl_ptrs;
static struct nep_classifier cls;
static struct rte_mempool *mp;
static struct rte_ring *pcap_ring;
static uint8_t lan_mac[6] = { 2, 0, 0, 0, 0, 0x11 };
static uint64_t gw_mac = NEP_NEIGH_VALID | 0x01bb00000002ull;

static void
p_parse(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += nep_pkt_parse(frames[i].d, frames[i].len, &pis[i]);
}

static void
p_key(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += nep_flow_key_from_pkt(frames[i].d, &pis[i], &keys[i]);
}

static void
p_hash(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += sigs[i] = rte_hash_hash(ft->h, &keys[i]);
}

static void
p_lookup(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += (uint64_t)rte_hash_lookup_with_hash(ft->h, &keys[i],
			sigs[i]);
}

static void
p_lookup_bulk(void *arg)
{
	int32_t pos[BURST];
	(void)arg;
	for (unsigned i = 0; i + BURST <= n_frames; i += BURST) {
		rte_hash_lookup_bulk(ft->h, &key_ptrs[i], BURST, pos);
		sink += (uint64_t)pos[0];
	}
}

/* The fast path's key: built and hashed in registers. */
static void
p_key_fast(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += sigs[i] = nep_flow_key_ip6_l4(frames[i].d + 14,
			&keys[i]);
}

/* Exact-match cache hit (filled beforehand), key compare included. */
static void
p_emc(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += (uint64_t)nep_flow_emc_lookup(ft, &keys[i], sigs[i]);
}

static void
p_entry(void *arg)
{
	uint64_t now = rte_rdtsc();
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++) {
		int32_t pos = rte_hash_lookup_with_hash(ft->h, &keys[i], sigs[i]);
		struct nep_flow_entry *e = &ft->e[pos];
		e->last_tsc = now;
		e->packets++;
		e->bytes += pis[i].l3_len;
		sink += e->uplink;
	}
}

static void
p_big_lookup(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < BIG_FLOWS; i++)
		sink += (uint64_t)rte_hash_lookup_with_hash(ft_big->h,
			&big_keys[i], big_sigs[i]);
}

static void
p_big_lookup_bulk(void *arg)
{
	static const void *kp[BURST];
	int32_t pos[BURST];
	(void)arg;
	for (unsigned i = 0; i < BIG_FLOWS; i += BURST) {
		for (unsigned j = 0; j < BURST; j++)
			kp[j] = &big_keys[i + j];
		rte_hash_lookup_bulk(ft_big->h, kp, BURST, pos);
		sink += (uint64_t)pos[0];
	}
}

static void
p_inside(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += nep_nptv6_in_inside(&npt,
			frames[i].d + pis[i].l3_off + 8);
}

static void
p_fib(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += nep_rib_lookup6(&rib, frames[i].d + pis[i].l3_off + 24);
}

static void
p_fib_bulk(void *arg)
{
	uint8_t a[BURST][16];
	uint64_t nh[BURST];
	(void)arg;
	for (unsigned i = 0; i + BURST <= n_frames; i += BURST) {
		for (unsigned j = 0; j < BURST; j++)
			memcpy(a[j], frames[i + j].d + pis[i + j].l3_off + 24, 16);
		rte_fib6_lookup_bulk(rib.fib6, a, nh, BURST);
		sink += nh[0];
	}
}

static int32_t neigh_pos;

static void
p_neigh_pinned(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += nep_neigh_mac_at(neigh, neigh_pos);
}

/* WAN->LAN: the destination after DNPT is a host on the LAN /64. */
static const uint8_t lan_host[16] = { 0xfd, 0x42, 0x01, 0x00, 0, 1, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0x10 };
static uint8_t out_host[16];

static void
p_fib_lan(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += nep_rib_lookup6(&rib, lan_host);
}

static void
p_dnpt(void *arg)
{
	uint8_t a[16];
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++) {
		memcpy(a, out_host, 16);
		sink += (uint64_t)nep_nptv6_dnpt(&npt, a) + a[9];
	}
}

static void
p_neigh(void *arg)
{
	static const uint8_t gw[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x10, 0, 1,
		0, 0, 0, 0, 0, 0, 0, 1 };
	struct nep_neigh_key k;
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++) {
		nep_neigh_key_set(&k, 1, 6, gw);
		sink += nep_neigh_lookup(neigh, &k);
	}
}

static void
p_snpt(void *arg)
{
	uint8_t a[16];
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++) {
		memcpy(a, frames[i].d + pis[i].l3_off + 8, 16);
		sink += (uint64_t)nep_nptv6_snpt(&npt, a) + a[9];
	}
}

static void
p_rewrite(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++) {
		uint8_t *f = frames[i].d;
		memcpy(f, &gw_mac, 6);
		memcpy(f + 6, lan_mac, 6);
		f[pis[i].l3_off + 7]--; /* hop limit */
		sink += f[0];
	}
}

static void
acl_input(unsigned i)
{
	const uint8_t *l3 = frames[i].d + pis[i].l3_off;
	struct nep_acl_in *in = &acl_in[i];

	/* as steer_acl_input() in app/neptune/steer.h */
	memset(in, 0, sizeof(*in));
	in->proto = keys[i].proto;
	in->dscp = (uint8_t)(((l3[0] & 0x0f) << 4 | l3[1] >> 4) >> 2);
	memcpy(in->src, keys[i].src, 16);
	memcpy(in->dst, keys[i].dst, 16);
	in->sport = keys[i].sport;
	in->dport = keys[i].dport;
	acl_ptrs[i] = (const uint8_t *)in;
}

static void
p_acl_input(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		acl_input(i);
}

static void
p_acl(void *arg)
{
	uint32_t res;
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++) {
		nep_classify(&cls, 6, &acl_ptrs[i], &res, 1);
		sink += res;
	}
}

static void
p_acl_bulk(void *arg)
{
	uint32_t res[BURST];
	(void)arg;
	for (unsigned i = 0; i + BURST <= n_frames; i += BURST) {
		nep_classify(&cls, 6, &acl_ptrs[i], res, BURST);
		sink += res[0];
	}
}

static void
p_pick(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n_frames; i++)
		sink += (uint64_t)nep_uplink_pick(&pool, nep_mix64(sigs[i]));
}

/* Insert BIG_FLOWS/2 new flows into an empty table (emptied untimed). */
static void
p_insert(void *arg)
{
	struct nep_flow_table *t = arg;
	for (unsigned i = 0; i < BIG_FLOWS / 2; i++)
		sink += (uint64_t)rte_hash_add_key_with_hash(t->h, &big_keys[i],
			big_sigs[i]);
}

static void
p_reset(void *arg)
{
	struct nep_flow_table *t = arg;
	rte_hash_reset(t->h);
}

/* What net_pcap (infinite_rx) + net_null do per packet, as in testpmd io. */
static void
p_io(void *arg)
{
	struct rte_mbuf *b[BURST];
	(void)arg;
	for (unsigned i = 0; i + BURST <= n_frames; i += BURST) {
		if (rte_pktmbuf_alloc_bulk(mp, b, BURST) != 0)
			abort();
		for (unsigned j = 0; j < BURST; j++) {
			struct rte_mbuf *src;
			if (rte_ring_dequeue(pcap_ring, (void **)&src) != 0)
				abort();
			rte_memcpy(rte_pktmbuf_mtod(b[j], void *),
				rte_pktmbuf_mtod(src, void *), src->data_len);
			b[j]->data_len = src->data_len;
			b[j]->pkt_len = src->pkt_len;
			rte_ring_enqueue(pcap_ring, src);
		}
		for (unsigned j = 0; j < BURST; j++)
			rte_pktmbuf_free(b[j]);
	}
}

/* ---- setup ---- */

static const char *cfg_head =
	"ports:\n"
	"  - {name: lan0, role: lan, devargs: net_null0, mac: '02:00:00:00:00:10', addresses: ['fd42:100:1::1/64']}\n"
	"  - {name: wan1, role: wan, devargs: net_null1, mac: '02:00:00:00:00:11', addresses: ['2001:db8:10:1::2/64']}\n"
	"  - {name: wan2, role: wan, devargs: net_null2, mac: '02:00:00:00:00:12', addresses: ['2001:db8:20:1::2/64']}\n"
	"routes:\n"
	"  - {prefix: '::/0', via: '2001:db8:10:1::1'}\n"
	"uplinks:\n"
	"  - {name: isp1, port: wan1, next_hop: '2001:db8:10:1::1', delegated_prefix: '2001:db8:1100:1::/64', health: {enabled: false}}\n"
	"  - {name: isp2, port: wan2, next_hop: '2001:db8:20:1::1', delegated_prefix: '2001:db8:2200:1::/64', health: {enabled: false}}\n"
	"steering:\n"
	"  inside_prefixes: ['fd42:100:1::/64']\n"
	"  policies:\n";

/* n policies: n - 1 that never match the traffic, then the catch-all. */
static struct nep_config *
make_config(unsigned n)
{
	size_t cap = strlen(cfg_head) + 128 * (n + 1);
	char *y = malloc(cap);
	struct nep_config_error err;
	struct nep_config *c;
	size_t off = (size_t)snprintf(y, cap, "%s", cfg_head);

	for (unsigned i = 0; i + 1 < n; i++)
		off += (size_t)snprintf(y + off, cap - off,
			"    - {name: p%u, destination: '2001:db8:%x::/48', mode: %s}\n",
			i, 0x8000 + i, i % 2 ? "balanced" : "strict, uplink: isp1");
	snprintf(y + off, cap - off,
		"    - {name: all, destination: '::/0', mode: balanced}\n");
	c = nep_config_load_string("stages.yaml", y, NULL, &err);
	if (c == NULL) {
		fprintf(stderr, "stages: config: %s\n", err.msg);
		exit(1);
	}
	free(y);
	return c;
}

static void
make_big_keys(void)
{
	big_keys = rte_zmalloc(NULL, sizeof(*big_keys) * BIG_FLOWS, 64);
	big_sigs = rte_malloc(NULL, sizeof(*big_sigs) * BIG_FLOWS, 64);
	for (unsigned i = 0; i < BIG_FLOWS; i++) {
		struct nep_flow_key *k = &big_keys[i];
		/* fd42:100:1::<i>:x -> 2001:db8:99::<i%251>, udp */
		static const uint8_t s[8] = { 0xfd, 0x42, 0x01, 0x00, 0, 1, 0, 0 };
		memcpy(k->src, s, 8);
		k->src[12] = (uint8_t)(i >> 24);
		k->src[13] = (uint8_t)(i >> 16);
		k->src[14] = (uint8_t)(i >> 8);
		k->src[15] = (uint8_t)i;
		k->dst[0] = 0x20; k->dst[1] = 0x01; k->dst[2] = 0x0d;
		k->dst[3] = 0xb8; k->dst[5] = 0x99; k->dst[15] = (uint8_t)(i % 251);
		k->sport = (uint16_t)(20000 + (i & 0xfff));
		k->dport = 443;
		k->proto = 17;
		k->family = 6;
	}
}

int
main(int argc, char **argv)
{
	struct nep_config *cfg;
	char err[256];
	uint16_t port_ids[3] = { 0, 1, 2 };
	static const unsigned rule_counts[] = { 1, 10, 100, 1000 };
	struct nep_neigh_params np = { .size = 4096, .queue_len = 1,
		.reachable_ms = 30000, .retrans_ms = 1000, .max_probes = 3 };
	struct nep_neigh_key nk;
	static const uint8_t gw[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x10, 0, 1,
		0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t gwmac[6] = { 2, 0, 0, 0, 0xbb, 1 };
	struct nep_flow_table *ins;
	const char *pcap;
	unsigned i;
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: stages PCAP [EAL args...]\n");
		return 2;
	}
	pcap = argv[1];
	argv[1] = argv[0];
	ret = rte_eal_init(argc - 1, argv + 1);
	if (ret < 0) {
		fprintf(stderr, "stages: EAL init failed\n");
		return 1;
	}
	if (load_pcap(pcap) < 0) {
		fprintf(stderr, "stages: cannot read %s\n", pcap);
		return 1;
	}
	pis = calloc(n_frames, sizeof(*pis));
	keys = rte_zmalloc(NULL, n_frames * sizeof(*keys), 64);
	key_ptrs = calloc(n_frames, sizeof(*key_ptrs));
	sigs = calloc(n_frames, sizeof(*sigs));
	acl_in = rte_zmalloc(NULL, n_frames * sizeof(*acl_in), 64);
	acl_ptrs = calloc(n_frames, sizeof(*acl_ptrs));
	for (i = 0; i < n_frames; i++)
		key_ptrs[i] = &keys[i];

	cfg = make_config(1);
	ft = nep_flow_table_create("st_flows", cfg->steering.flow_table_size,
		(int)rte_socket_id());
	ft_big = nep_flow_table_create("st_big", 2 * BIG_FLOWS,
		(int)rte_socket_id());
	ins = nep_flow_table_create("st_ins", 2 * BIG_FLOWS,
		(int)rte_socket_id());
	if (ft == NULL || ft_big == NULL || ins == NULL) {
		fprintf(stderr, "stages: cannot create the flow tables\n");
		return 1;
	}
	if (nep_rib_build(&rib, cfg, port_ids, err, sizeof(err)) < 0) {
		fprintf(stderr, "stages: rib: %s\n", err);
		return 1;
	}
	neigh = nep_neigh_create("st_neigh", &np, NULL);
	nep_neigh_key_set(&nk, 1, 6, gw);
	if (neigh == NULL || nep_neigh_add_static(neigh, &nk, gwmac) < 0) {
		fprintf(stderr, "stages: neighbour table\n");
		return 1;
	}
	neigh_pos = rte_hash_lookup(neigh->h, &nk);
	if (neigh_pos < 0)
		return 1;
	if (nep_nptv6_init(&npt, &cfg->steering.inside[0],
		    &cfg->uplinks[0].delegated) < 0) {
		fprintf(stderr, "stages: nptv6 init\n");
		return 1;
	}
	memcpy(out_host, lan_host, 16);
	if (nep_nptv6_snpt(&npt, out_host) < 0)
		return 1;
	nep_uplink_set_init(&pool);
	nep_uplink_set_add(&pool, 0, 1);
	nep_uplink_set_add(&pool, 1, 1);

	/* Fill the per-packet state once, then time each stage alone. */
	p_parse(NULL);
	for (i = 0; i < n_frames; i++)
		if (pis[i].family != 6 || !pis[i].has_l4) {
			fprintf(stderr, "stages: frame %u is not IPv6 with L4\n", i);
			return 1;
		}
	p_key(NULL);
	p_hash(NULL);
	for (i = 0; i < n_frames; i++)
		if (rte_hash_add_key_with_hash(ft->h, &keys[i], sigs[i]) < 0)
			return 1;
	make_big_keys();
	for (i = 0; i < BIG_FLOWS; i++) {
		big_sigs[i] = rte_hash_hash(ft_big->h, &big_keys[i]);
		if (rte_hash_add_key_with_hash(ft_big->h, &big_keys[i],
			    big_sigs[i]) < 0) {
			fprintf(stderr, "stages: big table insert failed at %u\n", i);
			return 1;
		}
	}
	mp = rte_pktmbuf_pool_create("st_mbufs", 8191 + n_frames, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	pcap_ring = rte_ring_create("st_pcap", rte_align32pow2(n_frames + 1),
		(int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (mp == NULL || pcap_ring == NULL)
		return 1;
	for (i = 0; i < n_frames; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		memcpy(rte_pktmbuf_append(m, (uint16_t)frames[i].len), frames[i].d,
			frames[i].len);
		rte_ring_enqueue(pcap_ring, m);
	}

	measure("io", "vdev io: ring+alloc+copy+free (testpmd io work)", p_io,
		NULL, n_frames / BURST * BURST);
	measure("hit", "parse (nep_pkt_parse: inline IPv6 TCP/UDP path)", p_parse,
		NULL, n_frames);
	measure("hit", "flow key (nep_flow_key_from_pkt)", p_key, NULL,
		n_frames);
	measure("hit", "flow hash (rte_hash_hash, crc 48 B, through hash_func)",
		p_hash, NULL, n_frames);
	measure("hit", "flow key + hash in registers (fast path)", p_key_fast,
		NULL, n_frames);
	for (i = 0; i < n_frames; i++) {
		int32_t pos = rte_hash_lookup_with_hash(ft->h, &keys[i],
			sigs[i]);
		if (pos >= 0)
			nep_flow_emc_insert(ft, sigs[i], pos);
	}
	measure("hit", "flow lookup hit, exact-match cache (fast path)", p_emc,
		NULL, n_frames);
	measure("hit", "flow lookup hit (single)", p_lookup, NULL, n_frames);
	measure("hit", "flow lookup + entry counters update", p_entry, NULL,
		n_frames);
	measure("hit", "inside-prefix check", p_inside, NULL, n_frames);
	measure("hit", "FIB6 lookup (single)", p_fib, NULL, n_frames);
	measure("hit", "neighbour MAC, pinned position (steered path)",
		p_neigh_pinned, NULL, n_frames);
	measure("hit", "neighbour lookup, key + rte_hash (routed path)", p_neigh,
		NULL, n_frames);
	measure("hit", "NPTv6 SNPT (+16 B copy)", p_snpt, NULL, n_frames);
	measure("hit", "L2 rewrite + hop limit", p_rewrite, NULL, n_frames);
	measure("wan", "NPTv6 DNPT (+16 B copy)", p_dnpt, NULL, n_frames);
	measure("wan", "FIB6 lookup, LAN host via connected /64 (single)",
		p_fib_lan, NULL, n_frames);
	measure("bulk", "flow lookup, bulk of 32 (hash included)", p_lookup_bulk,
		NULL, n_frames / BURST * BURST);
	measure("bulk", "FIB6 lookup, bulk of 32", p_fib_bulk, NULL,
		n_frames / BURST * BURST);
	measure("big", "flow lookup hit, 1M flows resident (single)",
		p_big_lookup, NULL, BIG_FLOWS);
	measure("big", "flow lookup hit, 1M flows resident (bulk 32, hash incl.)",
		p_big_lookup_bulk, NULL, BIG_FLOWS);
	measure2("miss", "flow insert (rte_hash_add, 0..25% full)", p_insert,
		ins, BIG_FLOWS / 2, p_reset, 5);
	measure("miss", "uplink pick (HRW, 2 uplinks)", p_pick, NULL, n_frames);
	measure("miss", "ACL input build", p_acl_input, NULL, n_frames);
	for (unsigned r = 0; r < RTE_DIM(rule_counts); r++) {
		char name[64];
		struct nep_config *c = make_config(rule_counts[r]);
		if (nep_classifier_build(&cls, &c->steering, r, err,
			    sizeof(err)) < 0) {
			fprintf(stderr, "stages: classifier: %s\n", err);
			return 1;
		}
		snprintf(name, sizeof(name), "ACL classify, %u rules (single)",
			rule_counts[r]);
		measure("miss", name, p_acl, NULL, n_frames);
		snprintf(name, sizeof(name), "ACL classify, %u rules (bulk 32)",
			rule_counts[r]);
		measure("acl-bulk", name, p_acl_bulk, NULL,
			n_frames / BURST * BURST);
		nep_classifier_free(&cls);
		nep_config_free(c);
	}

	printf("{\"tsc_hz\": %" PRIu64 ", \"packets\": %u, \"passes\": %d, "
	       "\"stages\": [", rte_get_tsc_hz(), n_frames, PASSES);
	for (i = 0; i < n_results; i++)
		printf("%s\n  {\"group\": \"%s\", \"name\": \"%s\", "
		       "\"cycles_median\": %.2f, \"cycles_best\": %.2f}",
			i ? "," : "", results[i].group, results[i].name,
			results[i].median, results[i].best);
	printf("]}\n");
	nep_config_free(cfg);
	rte_eal_cleanup();
	return 0;
}
