/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-stage cost of neptune's packet path, in TSC cycles per packet.
 *
 * Every timed row calls the code the worker runs, not a copy of it: the
 * inline pieces of app/neptune/nep_worker.h (nep_fast_eligible6,
 * nep_route, nep_fast_route6, nep_fast_xmit), of the multihoming feature
 * (steer.h: steer_src_inside, steer_flow, steer_select, steer_acl_input;
 * mh_path.h: mh_dnpt, fast_steer_hit), of lib/flow (nep_flow_kv_ip6_l4,
 * nep_flow_emc_lookup_kv) and lib/nptv6, and, linked from app/neptune,
 * the multihoming hooks (mh_ingress, mh_egress), its fused burst path
 * (mh_fast_burst, reached through mh_fast_for_port) and the general path
 * (nep_general_path, worker.c). They run on the real structures: a
 * struct nep_app with its ports and neighbour table, a snapshot built by
 * nep_snapshot_build() (FIB, and mh_snapshot_build() for the inside
 * prefixes, policies and classifier), a struct nep_worker with its
 * destination cache, counters, tx buffers and multihoming part (struct
 * mh_worker: flow table, counters), and a struct nep_steer_state.
 *
 * Each stage runs in a tight loop over a fixed packet set (the frames of
 * the benchmark pcaps, 1k flows, 80 bytes, in mbufs) and is timed over
 * whole passes with rte_rdtsc_precise(); the median pass and the best
 * pass are reported, divided by the number of packets. Before each pass
 * of a stage that reads frames they are restored (untimed), as the PMD's
 * copy leaves them: just written, in cache. The state each row needs is
 * made by the real code too (flows by the general path, the exact-match
 * cache by the fused path, the destination cache by nep_route), checked
 * before timing (every packet takes the path its row is named for), and
 * a pass that drops or punts a packet fails the run. Built and run by
 * tests/bench/run:
 *
 *   cc -O3 -DNDEBUG ... tests/bench/stages.c lib/<...>.c app/neptune/<...>.c
 *   stages LAN_PCAP WAN_PCAP [EAL args...]       (JSON on stdout)
 *
 * Not from the app: the uplink state (struct nep_steer_state) is filled
 * here from the configuration, as nep_uplinks_publish() fills it
 * (uplinks.c also holds the health probes and flow scans, which need the
 * control lcore's output and local delivery); the feature's registration
 * (multihoming.c's constructor; its feature record also names the control
 * hooks of uplinks.c and commands.c) is reduced to the worker's hooks,
 * the snapshot part, the drop reasons and the path action; the per-burst
 * set-up of struct mh_fast for the fast_steer_hit row is copied from
 * mh_fast_burst (stages.c has no helper for it). The core's stages
 * (stage_input, stage_lookup, stage_route, stage_output, run_hooks in
 * worker.c) and fast_steer_misses (stages.c) are static: they are timed
 * inside nep_general_path and mh_fast_burst, their inline pieces alone.
 * Tx buffers hold a whole pass, so none is flushed to a PMD: transmit is
 * the "io" row's work.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "neptune.h"
#include "nep_config.h"
#include "nep_dcache.h"
#include "nep_flow.h"
#include "nep_neigh.h"
#include "nep_nptv6.h"
#include "nep_pkt.h"
#include "nep_policy.h"
#include "nep_route.h"
#include "nep_uplink.h"
#include "nep_worker.h"
#include "mh.h"
#include "mh_path.h"
#include "steer.h"

#define PASSES 31
#define BURST 32
#define BIG_FLOWS (1u << 20)	/* the "1M flows resident" table */
#define FRAME_MAX 2048

/* ---- the feature's registration ----
 *
 * multihoming.c is not linked: its feature record also carries the control
 * lcore's hooks (uplinks.c: probes, health, aging; commands.c), which
 * reach the control lcore's output and local delivery. Its constructor
 * is done here for the worker's part: the hooks the pipeline calls, the
 * snapshot part, and (mh_register_datapath, the feature's own) the drop
 * reasons and the path action, into the storage of state.c (linked). */
static void
register_feature(void)
{
	nep_mh_feature = (struct nep_feature){
		.name = "multihoming",
		.snapshot_build = mh_snapshot_build,
		.snapshot_free = mh_snapshot_free,
		.ingress = mh_ingress,
		.egress = mh_egress,
		.fast_for_port = mh_fast_for_port,
		.worker_poll = mh_worker_poll,
		.trace_format = mh_trace_format,
	};
	nep_feature_register(&nep_mh_feature);
	mh_register_datapath();
	nep_logtype = RTE_LOGTYPE_USER1;
}

/* ---- the packet sets ---- */

struct pset {
	unsigned n;
	struct rte_mbuf **m;
	uint8_t **f;		/* frame of m[i] */
	uint32_t *len;
	uint8_t *orig;		/* pristine copies, FRAME_MAX apart */
	struct nep_pkt_info *pi;
	struct nep_flow_kv *kv;
	uint32_t *sig;
	int32_t *pos;		/* flow position (LAN) */
	uint64_t *nh;		/* FIB result (nep_route) */
	const uint8_t **acl;	/* classifier inputs (LAN) */
	struct nep_acl_in *acl_in;
};

static struct pset lan, wan;
static struct rte_mempool *mp;
static volatile uint64_t sink;

static int
load_pcap(const char *path, struct pset *p)
{
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], rh[16];
	unsigned cap = 1024;

	if (f == NULL || fread(gh, 1, 24, f) != 24)
		return -1;
	p->orig = malloc((size_t)cap * FRAME_MAX);
	p->len = malloc(cap * sizeof(*p->len));
	while (fread(rh, 1, 16, f) == 16) {
		uint32_t incl;
		memcpy(&incl, rh + 8, 4);
		if (p->n == cap) {
			cap *= 2;
			p->orig = realloc(p->orig, (size_t)cap * FRAME_MAX);
			p->len = realloc(p->len, cap * sizeof(*p->len));
		}
		if (incl > FRAME_MAX || fread(p->orig + (size_t)p->n * FRAME_MAX,
			    1, incl, f) != incl)
			return -1;
		p->len[p->n++] = incl;
	}
	fclose(f);
	return p->n ? 0 : -1;
}

static void
pset_alloc(struct pset *p)
{
	unsigned n = p->n;

	p->m = calloc(n, sizeof(*p->m));
	p->f = calloc(n, sizeof(*p->f));
	p->pi = calloc(n, sizeof(*p->pi));
	p->kv = calloc(n, sizeof(*p->kv));
	p->sig = calloc(n, sizeof(*p->sig));
	p->pos = calloc(n, sizeof(*p->pos));
	p->nh = calloc(n, sizeof(*p->nh));
	p->acl = calloc(n, sizeof(*p->acl));
	p->acl_in = rte_zmalloc(NULL, n * sizeof(*p->acl_in), 64);
	for (unsigned i = 0; i < n; i++) {
		p->m[i] = rte_pktmbuf_alloc(mp);
		if (p->m[i] == NULL) {
			fprintf(stderr, "stages: out of mbufs\n");
			exit(1);
		}
		p->f[i] = rte_pktmbuf_mtod(p->m[i], uint8_t *);
	}
}

/* Frames as received (untimed, before each pass). */
static void
pset_restore(const struct pset *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		struct rte_mbuf *m = p->m[i];
		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = (uint16_t)p->len[i];
		m->pkt_len = p->len[i];
		memcpy(rte_pktmbuf_mtod(m, uint8_t *),
			p->orig + (size_t)i * FRAME_MAX, p->len[i]);
	}
}

/* ---- timing ---- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct result {
	char name[96];
	char group[16];
	double median, best;	/* cycles per packet */
};

static struct result results[96];
static unsigned n_results;

typedef void (*pass_fn)(void *arg);

static void check_outcomes(const char *what);

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
	check_outcomes(name);
	qsort(t, passes, sizeof(t[0]), cmp_u64);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->group, sizeof(r->group), "%s", group);
	r->median = (double)t[passes / 2] / per_pass;
	r->best = (double)t[0] / per_pass;
}

static void
measure(const char *group, const char *name, pass_fn fn, void *arg,
	unsigned per_pass, pass_fn before)
{
	measure2(group, name, fn, arg, per_pass, before, PASSES);
}

/* ---- the appliance's state ---- */

enum { P_LAN0, P_WAN1, P_WAN2, N_PORTS };

static struct nep_app *app;
static struct nep_worker *w;
static struct mh_worker *mw;		/* w->feat[id] */
static struct nep_snapshot *snap;	/* 1 policy */
static const struct mh_snap *ms;
static struct nep_steer_state *steer;
static uint64_t lan_mac, wan1_mac;	/* the ports' MACs as fast paths load them */

/* The tx buffers hold a whole pass (never flushed): emptied before each. */
static void
txb_reset(void)
{
	for (unsigned i = 0; i < app->n_ports; i++)
		w->txb[i]->length = 0;
}

static uint64_t
drops_total(void)
{
	uint64_t n = 0;
	for (unsigned r = 0; r < NEP_DROPS_MAX; r++)
		n += w->stats->drops[r];
	return n;
}

/* A stage that dropped or punted one of the bench's mbufs freed it (or
 * queued it): the figures would be of something else. */
static void
check_outcomes(const char *what)
{
	if (drops_total() != 0 || w->stats->punted != 0) {
		fprintf(stderr, "stages: %s: %" PRIu64 " drops, %" PRIu64
			" punts (the set-up is wrong)\n", what, drops_total(),
			w->stats->punted);
		for (unsigned r = 0; r < NEP_DROPS_MAX; r++)
			if (w->stats->drops[r])
				fprintf(stderr, "  %s: %" PRIu64 "\n",
					nep_drop_name(r), w->stats->drops[r]);
		exit(1);
	}
}

static void
die(const char *what)
{
	fprintf(stderr, "stages: %s\n", what);
	exit(1);
}

static const char *cfg_head =
	"ports:\n"
	"  - {name: lan0, role: lan, devargs: net_null0, mac: '02:00:00:00:00:10', addresses: ['fd42:100:1::1/64']}\n"
	"  - {name: wan1, role: wan, devargs: net_null1, mac: '02:00:00:00:00:11', addresses: ['2001:db8:10:1::2/64']}\n"
	"  - {name: wan2, role: wan, devargs: net_null2, mac: '02:00:00:00:00:12', addresses: ['2001:db8:20:1::2/64']}\n"
	"neighbors:\n"
	"  static:\n"
	"    - {port: wan1, address: '2001:db8:10:1::1', mac: '02:00:00:00:bb:01'}\n"
	"    - {port: wan2, address: '2001:db8:20:1::1', mac: '02:00:00:00:bb:02'}\n"
	"    - {port: lan0, address: 'fd42:100:1::10', mac: '02:00:00:00:aa:10'}\n"
	"routes:\n"
	"  - {prefix: '::/0', via: '2001:db8:10:1::1'}\n"
	"uplinks:\n"
	"  - {name: isp1, port: wan1, next_hop: '2001:db8:10:1::1', delegated_prefix: '2001:db8:1100:1::/64', health: {enabled: false}}\n"
	"  - {name: isp2, port: wan2, next_hop: '2001:db8:20:1::1', delegated_prefix: '2001:db8:2200:1::/64', health: {enabled: false}}\n"
	"steering:\n"
	"  inside_prefixes: ['fd42:100:1::/64']\n"
	"  policies:\n";

/* n policies as tests/bench/run's policy_list(): n - 1 that never match
 * the traffic (strict, preferred, balanced in turn), then the catch-all. */
static struct nep_config *
make_config(unsigned n)
{
	static const char *const modes[] = { "strict, uplink: isp1",
		"preferred, uplink: isp2", "balanced" };
	size_t cap = strlen(cfg_head) + 128 * (n + 1);
	char *y = malloc(cap);
	struct nep_config_error err;
	struct nep_config *c;
	size_t off = (size_t)snprintf(y, cap, "%s", cfg_head);

	for (unsigned i = 0; i + 1 < n; i++)
		off += (size_t)snprintf(y + off, cap - off,
			"    - {name: p%u, destination: '2001:db8:%x::/48', mode: %s}\n",
			i, 0x8000 + i, modes[i % 3]);
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

static struct nep_snapshot *
make_snapshot(unsigned policies)
{
	char err[256];
	struct nep_snapshot *s = nep_snapshot_build(app, make_config(policies),
		err, sizeof(err));

	if (s == NULL) {
		fprintf(stderr, "stages: snapshot: %s\n", err);
		exit(1);
	}
	return s;
}

static void
no_solicit(void *arg, const struct nep_neigh_key *k, const uint8_t *mac)
{
	(void)arg;
	(void)k;
	(void)mac;
}

static struct rte_eth_dev_tx_buffer *
make_txb(unsigned size)
{
	struct rte_eth_dev_tx_buffer *b = rte_zmalloc(NULL,
		RTE_ETH_TX_BUFFER_SIZE(size), 64);

	if (b == NULL || rte_eth_tx_buffer_init(b, (uint16_t)size) != 0)
		die("tx buffer");
	return b;
}

/*
 * The appliance as nep_control_init, nep_ports_init and the feature's
 * init leave it for one worker (lcore of this thread, index 0), without
 * devices: port ids 0..2 are only names in the FIB and neighbour keys.
 */
static void
make_app(unsigned txb_size)
{
	struct nep_config *cfg = make_config(1);
	const struct mh_config *mc = mh_conf(cfg);
	const unsigned id = nep_mh_feature.id;
	struct nep_neigh_params np = {
		.size = cfg->neigh_table_size,
		.queue_len = cfg->neigh_queue_len,
		.reachable_ms = cfg->neigh_reachable_ms,
		.retrans_ms = cfg->neigh_retrans_ms,
		.max_probes = cfg->neigh_max_probes,
	};
	struct mh_state *mh;
	char err[256];
	unsigned i;

	app = rte_zmalloc("st_app", sizeof(*app), RTE_CACHE_LINE_SIZE);
	if (app == NULL)
		die("out of memory (app)");
	app->cfg = cfg;
	app->tsc_hz = rte_get_tsc_hz();
	memset(app->port_index, -1, sizeof(app->port_index));
	app->n_ports = cfg->n_ports;
	for (i = 0; i < cfg->n_ports; i++) {
		struct nep_port *p = &app->ports[i];
		p->id = (uint16_t)i;
		p->ifid = p->id;
		p->parent = -1;
		snprintf(p->name, sizeof(p->name), "%s", cfg->ports[i].name);
		p->role = cfg->ports[i].role;
		memcpy(p->mac.addr_bytes, cfg->ports[i].mac, 6);
		p->mtu = cfg->ports[i].mtu;
		p->n_rxq = p->n_txq = 1;
		p->link_up = true;
		app->port_index[p->id] = (int16_t)i;
	}
	memcpy(&lan_mac, app->ports[P_LAN0].mac.addr_bytes, 6);
	memcpy(&wan1_mac, app->ports[P_WAN1].mac.addr_bytes, 6);
	app->neigh = nep_neigh_create("st_neigh", &np, NULL);
	if (app->neigh == NULL)
		die("neighbour table");
	app->neigh_ops.solicit = no_solicit;
	for (i = 0; i < cfg->n_static_neigh; i++) {
		const struct nep_static_neigh_conf *sn = &cfg->static_neigh[i];
		struct nep_neigh_key k;
		nep_neigh_key_set(&k, app->ports[sn->port].id,
			sn->addr.family == AF_INET ? 4 : 6, sn->addr.a);
		if (nep_neigh_add_static(app->neigh, &k, sn->mac) < 0)
			die("static neighbour");
	}

	/* The snapshot (FIB, the feature's part, the fast path per port),
	 * by the real builders; it owns cfg. */
	snap = nep_snapshot_build(app, cfg, err, sizeof(err));
	if (snap == NULL) {
		fprintf(stderr, "stages: snapshot: %s\n", err);
		exit(1);
	}
	app->snap = snap;
	ms = MH_SNAP(snap);
	mh = MH(app);	/* allocated by mh_snapshot_build */

	/* The uplink state, as nep_uplinks_publish() builds it (all
	 * healthy, admin up, link up; next hops pinned). */
	steer = rte_zmalloc("st_steer", sizeof(*steer), RTE_CACHE_LINE_SIZE);
	{
		struct nep_uplink_view v6[NEP_MAX_UPLINKS];
		unsigned n6 = 0;

		for (i = 0; i < mc->n_uplinks; i++) {
			const struct nep_uplink_conf *uc = &mc->uplinks[i];
			unsigned u = ms->slot_of_cfg[i];
			struct nep_uplink_fwd *f = &steer->up[u];
			struct nep_neigh_key k;

			if (u + 1 > steer->n_slots)
				steer->n_slots = u + 1;
			f->port = (uint8_t)uc->port;
			f->port_id = app->ports[uc->port].id;
			memcpy(f->nh6, uc->next_hop.a, 16);
			f->has_v4 = 0;
			nep_neigh_key_set(&k, f->port_id, 6, f->nh6);
			f->nh6_pos = nep_neigh_pin(app->neigh, &k, 0,
				&app->neigh_ops);
			f->nh4_pos = -1;
			if (f->nh6_pos < 0 || ms->first_inside6 < 0 ||
				nep_nptv6_init(&f->npt,
					&mc->steering.inside[ms->first_inside6],
					&uc->delegated) != 0)
				die("uplink state");
			steer->port_slots[f->port] |= 1u << u;
			steer->usable6 |= 1u << u;
			v6[n6++] = (struct nep_uplink_view){ .id = (uint8_t)u,
				.role = uc->role, .weight = uc->weight,
				.healthy = true, .admin_up = true };
		}
		nep_uplink_pool_build(v6, n6, &steer->pool6);
	}
	mh->steer = steer;

	/* The worker, as main.c and mh_init/nep_uplinks_init set it up. */
	app->n_workers = 1;
	w = &app->workers[0];
	w->app = app;
	w->lcore_id = rte_lcore_id();
	w->index = 0;
	w->stats = &app->stats[rte_lcore_id()];
	w->dc = rte_zmalloc("st_dc", sizeof(*w->dc), RTE_CACHE_LINE_SIZE);
	w->punt = rte_ring_create("st_punt", 4096, (int)rte_socket_id(),
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->dc == NULL || w->punt == NULL)
		die("worker");
	nep_dcache_init(w->dc);
	nep_dcache_revalidate(w->dc, snap->generation,
		nep_neigh_gen(app->neigh));
	for (i = 0; i < app->n_ports; i++)
		w->txb[i] = make_txb(txb_size);
	mh->workers[0].stats = &mh->stats[0];
	mh->workers[0].flows = nep_flow_table_create("st_flows",
		mc->flow_table_size, (int)rte_socket_id());
	if (mh->workers[0].flows == NULL)
		die("flow table");
	w->feat[id] = &mh->workers[0];
	mw = MH_W(w);
}

/* ---- the rows ---- */

/* untimed: frames as received, tx buffers empty */
static void
b_lan(void *arg)
{
	(void)arg;
	check_outcomes("before");
	pset_restore(&lan);
	txb_reset();
}

static void
b_wan(void *arg)
{
	(void)arg;
	check_outcomes("before");
	pset_restore(&wan);
	txb_reset();
}

/* WAN frames as the ingress stage leaves them (destination translated). */
static uint8_t *wan_dnpt;

static void
b_wan_dnpt(void *arg)
{
	(void)arg;
	pset_restore(&wan);
	for (unsigned i = 0; i < wan.n; i++)
		memcpy(wan.f[i], wan_dnpt + (size_t)i * FRAME_MAX, wan.len[i]);
	txb_reset();
}

/* The inside destination of each WAN frame (mh_dnpt_addr's copy), and
 * where the destination cache sends it (the LAN host). */
static uint8_t (*wan_inside)[16];
static unsigned wan_out;
static int32_t wan_npos;

/* -- the fused path, LAN -> WAN (case 1) -- */

static void
p_eligible(void *arg)
{
	const struct pset *p = arg;
	const uint64_t mac = p == &lan ? lan_mac : wan1_mac;
	uint64_t acc = 0;

	for (unsigned i = 0; i < p->n; i++)
		acc += nep_fast_eligible6(p->f[i], p->len[i], mac);
	sink += acc;
}

static void
p_inside(void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < lan.n; i++)
		acc += steer_src_inside(ms, lan.f[i] + NEP_ETH_HLEN + 8);
	sink += acc;
}

static void
p_kv(void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < lan.n; i++)
		acc += lan.sig[i] = nep_flow_kv_ip6_l4(lan.f[i] + NEP_ETH_HLEN,
			&lan.kv[i]);
	sink += acc;
}

static void
p_emc(void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < lan.n; i++)
		acc += (uint64_t)nep_flow_emc_lookup_kv(mw->flows, &lan.kv[i],
			lan.sig[i]);
	sink += acc;
}

/* The per-burst locals of mh_fast_burst (stages.c), for a burst on port. */
static void
fast_init(struct mh_fast *x, unsigned port)
{
	struct nep_rx_burst b = { .s = snap, .port = port, .now = rte_rdtsc() };
	const struct nep_steer_state *st = steer_state(app);
	uint32_t ok = 0;

	nep_fast_ctx_init(&x->x, w, &b);
	x->stats = mw->stats;
	x->t = mw->flows;
	x->fe = mw->flows->e;
	x->st = st;
	for (unsigned u = 0; u < st->n_slots; u++)
		if (st->up[u].nh6_pos >= 0)
			ok |= 1u << u;
	x->usable6 = st->usable6 & ok;
	x->no_flush6 = x->usable6 & ~st->flush_mask;
	x->flush_tsc = st->flush_tsc;
}

static void
p_steer_hit(void *arg)
{
	struct mh_fast x;

	(void)arg;
	fast_init(&x, P_LAN0);
	for (unsigned i = 0; i < lan.n; i++)
		if (unlikely(!fast_steer_hit(&x, lan.m[i], lan.f[i],
			    lan.pi[i].l3_len, lan.pos[i])))
			die("fast_steer_hit refused an established flow");
}

static void
p_snpt(void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < lan.n; i++) {
		const struct nep_uplink_fwd *uf =
			&steer->up[mw->flows->e[lan.pos[i]].uplink];
		acc += (uint64_t)nep_nptv6_snpt(&uf->npt,
			lan.f[i] + NEP_ETH_HLEN + 8);
	}
	sink += acc;
}

static void
p_xmit(void *arg)
{
	struct mh_fast x;

	if (arg == &wan) {
		/* to the LAN host, as the destination cache has it */
		fast_init(&x, P_WAN1);
		for (unsigned i = 0; i < wan.n; i++)
			nep_fast_xmit(&x.x, wan.m[i], wan.f[i], wan_out,
				x.x.neigh_mac[wan_npos]);
		return;
	}
	fast_init(&x, P_LAN0);
	for (unsigned i = 0; i < lan.n; i++) {
		const struct nep_uplink_fwd *uf =
			&steer->up[mw->flows->e[lan.pos[i]].uplink];
		nep_fast_xmit(&x.x, lan.m[i], lan.f[i], uf->port,
			x.x.neigh_mac[uf->nh6_pos]);
	}
}

/* s->fast[port]: mh_fast_burst, the burst loop's call. */
static void
p_fast_burst(void *arg)
{
	const struct pset *p = arg;
	struct nep_rx_burst b = { .s = snap, .port = p == &lan ? P_LAN0 :
		P_WAN1, .now = rte_rdtsc() };

	for (unsigned i = 0; i + BURST <= p->n; i += BURST)
		snap->fast[b.port](w, &b, &p->m[i], BURST);
}

/* -- the fused path, WAN -> LAN (case 2) -- */


static void
p_dnpt(void *arg)
{
	const struct nep_steer_state *st = steer_state(app);
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < wan.n; i++)
		acc += (uint64_t)mh_dnpt_addr(st, P_WAN1,
			wan.f[i] + NEP_ETH_HLEN + 24, wan_inside[i]);
	sink += acc;
}

static void
p_route6_dst(void *arg)
{
	struct nep_rx_burst b = { .s = snap, .port = P_WAN1, .now = rte_rdtsc() };
	struct nep_fast_ctx x;
	uint64_t acc = 0;

	(void)arg;
	nep_fast_ctx_init(&x, w, &b);
	for (unsigned i = 0; i < wan.n; i++) {
		unsigned out;
		uint64_t mac;

		if (unlikely(!nep_fast_route6_dst(&x, wan_inside[i],
			    wan.len[i] - NEP_ETH_HLEN, &out, &mac)))
			die("nep_fast_route6_dst missed the destination cache");
		acc += out + mac;
	}
	sink += acc;
}

/* A plain routed packet, as the core's fused path (fast_route_burst)
 * and mh_fast_burst's routed case send it: the WAN frames after DNPT. */
static void
p_fast_route(void *arg)
{
	struct nep_rx_burst b = { .s = snap, .port = P_WAN1, .now = rte_rdtsc() };
	struct nep_fast_ctx x;

	(void)arg;
	nep_fast_ctx_init(&x, w, &b);
	for (unsigned i = 0; i < wan.n; i++)
		if (unlikely(!nep_fast_route6(&x, wan.m[i], wan.f[i],
			    wan.len[i] - NEP_ETH_HLEN)))
			die("nep_fast_route6 missed the destination cache");
}

/* -- the general path's pieces -- */

static void
p_parse(void *arg)
{
	struct pset *p = arg;
	uint64_t acc = 0;

	for (unsigned i = 0; i < p->n; i++)
		acc += nep_pkt_parse(p->f[i], p->len[i], &p->pi[i]);
	sink += acc;
}

/* nep_route of each frame's destination (WAN frames: after DNPT). */
static void
p_route(void *arg)
{
	struct pset *p = arg;
	uint64_t acc = 0;

	for (unsigned i = 0; i < p->n; i++) {
		unsigned out = NEP_META_NO_PORT;
		int32_t npos = -1;
		acc += p->nh[i] = nep_route(w, snap, 6,
			p->f[i] + NEP_ETH_HLEN + 24, &out, &npos);
		acc += out + (unsigned)npos;
	}
	sink += acc;
}

/* The same, every lookup a miss: a new cache epoch before each one. */
static uint64_t fake_gen = 1000;

static void
p_route_miss(void *arg)
{
	struct pset *p = arg;
	const uint32_t ng = nep_neigh_gen(app->neigh);
	uint64_t acc = 0;

	for (unsigned i = 0; i < p->n; i++) {
		unsigned out = NEP_META_NO_PORT;
		int32_t npos = -1;
		nep_dcache_revalidate(w->dc, ++fake_gen, ng);
		acc += nep_route(w, snap, 6, p->f[i] + NEP_ETH_HLEN + 24,
			&out, &npos);
		acc += out + (unsigned)npos;
	}
	sink += acc;
}

static void
p_steer_flow(void *arg)
{
	struct mh_worker *sw = arg;
	const uint64_t now = rte_rdtsc();
	uint64_t acc = 0;

	for (unsigned i = 0; i < lan.n; i++) {
		enum steer_how how;
		uint32_t pol;
		int reason = 0;
		int32_t pos;
		acc += (uint64_t)steer_flow(sw, ms, steer, lan.f[i],
			&lan.pi[i], now, &reason, &how, &pol, true, &pos);
	}
	sink += acc;
}

/* The pipeline context of the general path at the egress stage. */
static struct nep_pctx *pctx;

static void
pctx_fill(struct pset *p, unsigned in_port)
{
	for (unsigned i = 0; i < p->n; i++) {
		struct nep_pctx *c = &pctx[i];
		memset(c, 0, sizeof(*c));
		c->w = w;
		c->s = snap;
		c->meta = nep_meta(p->m[i]);
		c->frame = p->f[i];
		c->pi = p->pi[i];
		c->now = rte_rdtsc();
		c->nh = p->nh[i];
		c->dst = p->f[i] + NEP_ETH_HLEN + 24;
		c->hop_limit = p->f[i][NEP_ETH_HLEN + 7];
		memset(c->meta, 0, sizeof(*c->meta));
		c->meta->in_port = (uint8_t)in_port;
		c->meta->out_port = NEP_META_NO_PORT;
		c->meta->neigh_pos = -1;
	}
}

static void
p_egress(void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < lan.n; i++)
		acc += mh_egress(&pctx[i], lan.m[i]);
	sink += acc;
}

static void
p_ingress(void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < wan.n; i++)
		acc += mh_ingress(&pctx[i], wan.m[i]);
	sink += acc;
}

static void
p_general(void *arg)
{
	const struct pset *p = arg;
	struct nep_rx_burst b = { .s = snap, .port = p == &lan ? P_LAN0 :
		P_WAN1, .now = rte_rdtsc() };

	for (unsigned i = 0; i < p->n; i++)
		nep_general_path(w, &b, p->m[i]);
}

/* -- new flows -- */

static const struct mh_snap *ms_rules;	/* the N-rule snapshot's part */

static void
p_acl_input(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < lan.n; i++) {
		struct nep_flow_key k;
		nep_flow_key_from_pkt(lan.f[i], &lan.pi[i], &k);
		steer_acl_input(&k, lan.f[i] + lan.pi[i].l3_off,
			&lan.acl_in[i]);
		lan.acl[i] = (const uint8_t *)&lan.acl_in[i];
	}
}

static void
p_acl(void *arg)
{
	uint32_t res;
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < lan.n; i++) {
		nep_classify(&ms_rules->cls, 6, &lan.acl[i], &res, 1);
		acc += res;
	}
	sink += acc;
}

static void
p_acl_bulk(void *arg)
{
	uint32_t res[BURST];
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i + BURST <= lan.n; i += BURST) {
		nep_classify(&ms_rules->cls, 6, &lan.acl[i], res, BURST);
		acc += res[0];
	}
	sink += acc;
}

static void
p_select(void *arg)
{
	uint64_t acc = 0;

	/* The catch-all (balanced) policy: the last one. */
	const uint32_t pol = mh_conf(snap->cfg)->steering.n_policies;
	(void)arg;
	for (unsigned i = 0; i < lan.n; i++)
		acc += (uint64_t)steer_select(ms, steer, pol, 6, lan.sig[i]);
	sink += acc;
}

static void
p_steer_new(void *arg)
{
	const uint64_t now = rte_rdtsc();
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < lan.n; i++) {
		enum steer_how how;
		uint32_t pol;
		int reason = 0;
		int32_t pos;
		acc += (uint64_t)steer_flow(mw, ms_rules, steer, lan.f[i],
			&lan.pi[i], now, &reason, &how, &pol, true, &pos);
	}
	sink += acc;
}

/*
 * untimed: the LAN flows aged out (every packet of the next pass starts
 * a new flow), by the worker's own reaping (nep_flow_reap) of positions
 * posted on its ring as the control lcore's scan posts them. The rest of
 * the table stays as it was: its other buckets are not swept from the
 * caches (the 1M-flow rows below insert into a cold table).
 */
static void
b_lan_flows_expired(void *arg)
{
	struct nep_flow_table *t = mw->flows;
	const struct nep_flow_age age = { .idle_tsc = 0, .fin_idle_tsc = 0 };
	unsigned i = 0;

	while (i < lan.n) {
		for (; i < lan.n && rte_ring_free_count(t->expire) > 0; i++) {
			struct nep_flow_key k;
			int32_t pos;

			nep_flow_kv_store(&lan.kv[i], &k);
			pos = rte_hash_lookup_with_hash(t->h, &k, lan.sig[i]);
			if (pos >= 0)
				rte_ring_sp_enqueue(t->expire,
					(void *)(uintptr_t)pos);
		}
		while (!rte_ring_empty(t->expire))
			nep_flow_reap(t, rte_rdtsc() + 1, &age);
	}
	if (rte_hash_count(t->h) != 0)
		die("the LAN flows did not age out");
	b_lan(arg);
}

/* -- 1M flows resident: synthetic LAN frames, flow_fields() of the
 * runner's make_pcap, in their own flow table -- */

#define BIG_STRIDE 128
static uint8_t *big_f;
static struct mh_worker big_w;
static struct mh_stats big_stats;
static struct nep_flow_kv *big_kv;
static uint32_t *big_sig;

static void
make_big(void)
{
	/* plain memory: the hugepages go to the tables */
	big_f = aligned_alloc(64, (size_t)BIG_FLOWS * BIG_STRIDE);
	big_kv = aligned_alloc(64, sizeof(*big_kv) * BIG_FLOWS);
	big_sig = aligned_alloc(64, sizeof(*big_sig) * BIG_FLOWS);
	if (big_f == NULL || big_kv == NULL || big_sig == NULL)
		die("out of memory (1M frames)");
	for (unsigned i = 0; i < BIG_FLOWS; i++) {
		uint8_t *f = big_f + (size_t)i * BIG_STRIDE;
		uint32_t hi = 0x10000 + (i >> 12);
		uint16_t port = (uint16_t)(20000 + (i & 0xfff));
		uint16_t dw = (uint16_t)(1 + i % 251);

		memcpy(f, lan.orig, lan.len[0]);
		f[34] = (uint8_t)(hi >> 24);	/* IPv6 src, last 32 bits */
		f[35] = (uint8_t)(hi >> 16);
		f[36] = (uint8_t)(hi >> 8);
		f[37] = (uint8_t)hi;
		f[52] = (uint8_t)(dw >> 8);	/* IPv6 dst, last word */
		f[53] = (uint8_t)dw;
		f[54] = (uint8_t)(port >> 8);	/* UDP sport */
		f[55] = (uint8_t)port;
	}
	big_w.stats = &big_stats;
	big_w.flows = nep_flow_table_create("st_big", 2 * BIG_FLOWS,
		(int)rte_socket_id());
	if (big_w.flows == NULL)
		die("cannot create the 1M-flow table");
}

static void
p_big_steer(void *arg)
{
	const uint64_t now = rte_rdtsc();
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < BIG_FLOWS; i++) {
		enum steer_how how;
		uint32_t pol;
		int reason = 0;
		int32_t pos;
		acc += (uint64_t)steer_flow(&big_w, ms, steer,
			big_f + (size_t)i * BIG_STRIDE, &lan.pi[0], now, &reason,
			&how, &pol, true, &pos);
	}
	sink += acc;
}

static void
b_big_empty(void *arg)
{
	(void)arg;
	rte_hash_reset(big_w.flows->h);
}

/* What the fast path does first for each packet of 1M flows: key, hash,
 * exact-match cache probe (mostly a miss: 8192 slots). */
static void
p_big_emc(void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < BIG_FLOWS; i++) {
		uint32_t sig = nep_flow_kv_ip6_l4(big_f + (size_t)i * BIG_STRIDE +
			NEP_ETH_HLEN, &big_kv[i]);
		big_sig[i] = sig;
		acc += (uint64_t)nep_flow_emc_lookup_kv(big_w.flows, &big_kv[i],
			sig);
	}
	sink += acc;
}

/* -- what net_pcap (infinite_rx) + net_null do per packet, as in
 * testpmd io -- */

static struct rte_ring *pcap_ring;

static void
p_io(void *arg)
{
	struct rte_mbuf *b[BURST];
	(void)arg;
	for (unsigned i = 0; i + BURST <= lan.n; i += BURST) {
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

/* ---- set-up checks: each row's packets take the path it is named for */

struct snapc {
	uint64_t fwd, general, hits, misses, flows_new;
};

static struct snapc
snapc(void)
{
	return (struct snapc){ w->stats->forwarded,
		w->stats->rt[NEP_STAGE_INPUT].pkts, mw->stats->flow_cache_hits,
		mw->stats->flow_cache_misses, mw->stats->flows_new };
}

static void
expect(const char *what, uint64_t got, uint64_t want)
{
	if (got != want) {
		fprintf(stderr, "stages: set-up: %s: %" PRIu64 ", expected %"
			PRIu64 "\n", what, got, want);
		exit(1);
	}
}

static void
load_set(const char *path, struct pset *p)
{
	if (load_pcap(path, p) < 0) {
		fprintf(stderr, "stages: cannot read %s\n", path);
		exit(1);
	}
	pset_alloc(p);
	pset_restore(p);
	p_parse(p);
	for (unsigned i = 0; i < p->n; i++)
		if (p->pi[i].family != 6 || !p->pi[i].has_l4 ||
			p->n % BURST != 0) {
			fprintf(stderr, "stages: %s: frame %u is not IPv6 with "
				"L4 (or not whole bursts)\n", path, i);
			exit(1);
		}
}

/* rte_hash_lookup_with_hash_bulk over a key set, in bursts: the lookup
 * fast_steer_misses() (static in stages.c) makes for a burst's cache
 * misses, keys stored from registers as it stores them. */
struct bulk_arg {
	struct nep_flow_table *t;
	const struct nep_flow_kv *kv;
	hash_sig_t *sig;
	unsigned n;
};

static void
p_bulk(void *arg)
{
	const struct bulk_arg *a = arg;
	struct nep_flow_key keys[BURST];
	const void *kp[BURST];
	int32_t pos[BURST];
	uint64_t acc = 0;

	for (unsigned j = 0; j < BURST; j++)
		kp[j] = &keys[j];
	for (unsigned i = 0; i + BURST <= a->n; i += BURST) {
		for (unsigned j = 0; j < BURST; j++)
			nep_flow_kv_store(&a->kv[i + j], &keys[j]);
		rte_hash_lookup_with_hash_bulk(a->t->h, kp, &a->sig[i], BURST,
			pos);
		acc += (uint64_t)pos[0];
	}
	sink += acc;
}

static void
b_egress(void *arg)
{
	b_lan(arg);
	pctx_fill(&lan, P_LAN0);
}

static void
b_ingress(void *arg)
{
	b_wan(arg);
	pctx_fill(&wan, P_WAN1);
}

int
main(int argc, char **argv)
{
	static const unsigned rule_counts[] = { 1, 10, 100, 1000 };
	const char *lan_path, *wan_path;
	struct bulk_arg ba;
	struct snapc c0, c1;
	unsigned i, n;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: stages LAN_PCAP WAN_PCAP [EAL args...]\n");
		return 2;
	}
	lan_path = argv[1];
	wan_path = argv[2];
	argv[2] = argv[0];
	ret = rte_eal_init(argc - 2, argv + 2);
	if (ret < 0)
		die("EAL init failed");
	register_feature();
	if (nep_meta_register() < 0)
		die("mbuf dynamic field");
	mp = rte_pktmbuf_pool_create("st_mbufs", 16383, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mp == NULL)
		die("mbuf pool");
	load_set(lan_path, &lan);
	load_set(wan_path, &wan);
	n = lan.n;
	make_app(RTE_MAX(lan.n, wan.n) + 1);
	pctx = calloc(RTE_MAX(lan.n, wan.n), sizeof(*pctx));

	/* ---- set-up, by the real code, checked ---- */
	for (i = 0; i < lan.n; i++)
		if (nep_fast_eligible6(lan.f[i], lan.len[i], lan_mac) == 0 ||
			!steer_src_inside(ms, lan.f[i] + NEP_ETH_HLEN + 8))
			die("a LAN frame is not for the fast path");
	for (i = 0; i < wan.n; i++)
		if (nep_fast_eligible6(wan.f[i], wan.len[i], wan1_mac) == 0)
			die("a WAN frame is not for the fast path");
	/* WAN frames translated back, as the output stage writes them. */
	wan_inside = calloc(wan.n, sizeof(*wan_inside));
	wan_dnpt = malloc((size_t)wan.n * FRAME_MAX);
	b_wan(NULL);
	for (i = 0; i < wan.n; i++) {
		uint8_t *dst = wan.f[i] + NEP_ETH_HLEN + 24;

		if (mh_dnpt_addr(steer_state(app), P_WAN1, dst, dst) != 0)
			die("a WAN frame is not for isp1's delegated prefix");
		memcpy(wan_inside[i], dst, 16);
		memcpy(wan_dnpt + (size_t)i * FRAME_MAX, wan.f[i], wan.len[i]);
	}
	/* LAN flows: created by the general path, then found by the fast
	 * path (rte_hash on the first pass, the cache after). */
	b_lan(NULL);
	c0 = snapc();
	p_general(&lan);
	c1 = snapc();
	expect("LAN frames forwarded by the general path", c1.fwd - c0.fwd, n);
	expect("new flows", c1.flows_new - c0.flows_new, 1000);
	for (unsigned k = 0; k < 2; k++) {
		b_lan(NULL);
		p_fast_burst(&lan);
	}
	b_lan(NULL);
	c0 = snapc();
	p_fast_burst(&lan);
	c1 = snapc();
	expect("LAN frames forwarded by the fast path", c1.fwd - c0.fwd, n);
	expect("LAN frames the fast path gave the general path",
		c1.general - c0.general, 0);
	if (c1.hits - c0.hits != n)
		fprintf(stderr, "stages: note: %" PRIu64 " of %u LAN packets "
			"hit the exact-match cache\n", c1.hits - c0.hits, n);
	b_lan(NULL);
	p_kv(NULL);
	for (i = 0; i < lan.n; i++) {
		struct nep_flow_key k;

		nep_flow_kv_store(&lan.kv[i], &k);
		lan.pos[i] = rte_hash_lookup_with_hash(mw->flows->h, &k,
			lan.sig[i]);
		if (lan.pos[i] < 0)
			die("an established flow is not in the table");
	}
	/* WAN: the first pass fills the destination cache (general path). */
	b_wan(NULL);
	p_fast_burst(&wan);
	b_wan(NULL);
	c0 = snapc();
	p_fast_burst(&wan);
	c1 = snapc();
	expect("WAN frames forwarded by the fast path", c1.fwd - c0.fwd, wan.n);
	expect("WAN frames the fast path gave the general path",
		c1.general - c0.general, 0);
	{
		unsigned out = NEP_META_NO_PORT;

		wan_npos = -1;
		nep_route(w, snap, 6, wan_inside[0], &out, &wan_npos);
		if (out != P_LAN0 || wan_npos < 0)
			die("no route to the LAN host");
		wan_out = out;
	}
	b_lan(NULL);
	p_route(&lan);		/* lan.nh, for the egress hook's context */

	/* ---- the reference: the PMDs' work ---- */
	pcap_ring = rte_ring_create("st_pcap", rte_align32pow2(n + 1),
		(int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pcap_ring == NULL)
		die("ring");
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		memcpy(rte_pktmbuf_append(m, (uint16_t)lan.len[i]),
			lan.orig + (size_t)i * FRAME_MAX, lan.len[i]);
		rte_ring_enqueue(pcap_ring, m);
	}
	measure("io", "vdev io: ring+alloc+copy+free (testpmd io work)", p_io,
		NULL, n / BURST * BURST, NULL);

	/*
	 * Every stage below that reads frames gets them restored before each
	 * pass, as the PMD's copy leaves them: just written, in cache.
	 */

	/* ---- case 1, LAN -> WAN, established flows: the fused path ---- */
	measure("fast", "entry test (nep_fast_eligible6)", p_eligible, &lan, n,
		b_lan);
	measure("fast", "inside-source check (steer_src_inside)", p_inside,
		NULL, n, b_lan);
	measure("fast", "flow key + hash, registers (nep_flow_kv_ip6_l4)",
		p_kv, NULL, n, b_lan);
	measure("fast", "exact-match cache hit (nep_flow_emc_lookup_kv)", p_emc,
		NULL, n, NULL);
	measure("fast", "send on the flow's uplink (fast_steer_hit)",
		p_steer_hit, NULL, n, b_lan);
	measure("fast", "  of which SNPT (nep_nptv6_snpt)", p_snpt, NULL, n,
		b_lan);
	measure("fast", "  of which L2, hop limit, tx buffer (nep_fast_xmit)",
		p_xmit, NULL, n, b_lan);
	ba = (struct bulk_arg){ mw->flows, lan.kv, lan.sig, n };
	measure("fast", "cache misses: rte_hash bulk 32 (fast_steer_misses)",
		p_bulk, &ba, n / BURST * BURST, NULL);
	measure("fast", "whole fused path, LAN->WAN (mh_fast_burst)",
		p_fast_burst, &lan, n, b_lan);

	/* ---- case 2, WAN -> LAN: the fused path ---- */
	measure("wan", "entry test (nep_fast_eligible6)", p_eligible, &wan,
		wan.n, b_wan);
	measure("wan", "DNPT into a copy (mh_dnpt_addr)", p_dnpt, NULL, wan.n,
		b_wan);
	measure("wan", "its destination cache hit (nep_fast_route6_dst)",
		p_route6_dst, NULL, wan.n, b_wan);
	measure("wan", "its send: L2, hop limit, tx buffer (nep_fast_xmit)",
		p_xmit, &wan, wan.n, b_wan_dnpt);
	measure("wan", "routed packet, cache hit (nep_fast_route6)",
		p_fast_route, NULL, wan.n, b_wan_dnpt);
	measure("wan", "whole fused path, WAN->LAN (mh_fast_burst)",
		p_fast_burst, &wan, wan.n, b_wan);

	/* ---- the general path (every stage, one packet at a time) ---- */
	measure("general", "input: parse (nep_pkt_parse)", p_parse, &lan, n,
		b_lan);
	measure("general", "lookup: route, cache hit (nep_route)", p_route,
		&lan, n, b_lan);
	measure("general", "egress: established flow (steer_flow)",
		p_steer_flow, mw, n, b_lan);
	measure("general", "egress hook, established flow (mh_egress)",
		p_egress, NULL, n, b_egress);
	measure("general", "all stages, LAN->WAN (nep_general_path)",
		p_general, &lan, n, b_lan);
	measure("general", "ingress hook: DNPT decided (mh_ingress)", p_ingress,
		NULL,
		wan.n, b_ingress);
	measure("general", "lookup: LAN host, cache hit (nep_route)", p_route,
		&wan, wan.n, b_wan_dnpt);
	measure("general", "all stages, WAN->LAN (nep_general_path)",
		p_general, &wan, wan.n, b_wan);

	/* ---- new flows, destination-cache misses ---- */
	measure("miss", "route, cache miss: FIB ::/0 + neighbour (nep_route)",
		p_route_miss, &lan, n, b_lan);
	measure("miss", "route, cache miss: LAN /64 + neighbour (nep_route)",
		p_route_miss, &wan, wan.n, b_wan_dnpt);
	measure("miss", "uplink choice, balanced, 2 uplinks (steer_select)",
		p_select, NULL, n, NULL);
	measure("miss", "classifier input (key + steer_acl_input)", p_acl_input,
		NULL, n, b_lan);
	for (unsigned r = 0; r < RTE_DIM(rule_counts); r++) {
		struct nep_snapshot *sr = rule_counts[r] == 1 ? snap :
			make_snapshot(rule_counts[r]);
		const char *pl = rule_counts[r] == 1 ? "" : "s";
		char name[96];

		ms_rules = MH_SNAP(sr);
		snprintf(name, sizeof(name), "ACL classify, %u rule%s (single)",
			rule_counts[r], pl);
		measure("miss", name, p_acl, NULL, n, NULL);
		snprintf(name, sizeof(name), "new flow, %u rule%s (steer_flow)",
			rule_counts[r], pl);
		measure("miss", name, p_steer_new, NULL, n,
			b_lan_flows_expired);
		snprintf(name, sizeof(name), "ACL classify, %u rule%s (bulk 32)",
			rule_counts[r], pl);
		measure("acl-bulk", name, p_acl_bulk, NULL, n / BURST * BURST,
			NULL);
		if (sr != snap)
			nep_snapshot_free(sr);
	}
	c0 = snapc();
	measure("miss", "all stages, new flow (nep_general_path)",
		p_general, &lan, n, b_lan_flows_expired);
	c1 = snapc();
	expect("new flows per pass of the general path",
		(c1.flows_new - c0.flows_new) / (PASSES + 1), 1000);

	/* ---- 1M flows resident ---- */
	make_big();
	measure2("big", "new flow, 2M table 0..50% full (steer_flow)",
		p_big_steer, NULL, BIG_FLOWS, b_big_empty, 5);
	expect("1M-flow table", (uint64_t)rte_hash_count(big_w.flows->h),
		BIG_FLOWS);
	measure("big", "established flow, 1M resident (steer_flow)",
		p_big_steer, NULL, BIG_FLOWS, NULL);
	p_big_emc(NULL);
	for (i = 0; i < BIG_FLOWS; i++) {
		/* as the fast path leaves the cache: the flows seen last */
		struct nep_flow_key k;
		nep_flow_kv_store(&big_kv[i], &k);
		int32_t pos = rte_hash_lookup_with_hash(big_w.flows->h, &k,
			big_sig[i]);
		if (pos < 0)
			die("a 1M-table flow is missing");
		nep_flow_emc_insert(big_w.flows, big_sig[i], pos);
	}
	measure("big", "key + hash + cache probe, 1M flows (misses)",
		p_big_emc, NULL, BIG_FLOWS, NULL);
	ba = (struct bulk_arg){ big_w.flows, big_kv, big_sig, BIG_FLOWS };
	measure("big", "cache misses: rte_hash bulk 32, 1M resident",
		p_bulk, &ba, BIG_FLOWS, NULL);
	check_outcomes("end");

	printf("{\"tsc_hz\": %" PRIu64 ", \"packets\": %u, \"passes\": %d, "
	       "\"stages\": [", rte_get_tsc_hz(), n, PASSES);
	for (i = 0; i < n_results; i++)
		printf("%s\n  {\"group\": \"%s\", \"name\": \"%s\", "
		       "\"cycles_median\": %.2f, \"cycles_best\": %.2f}",
			i ? "," : "", results[i].group, results[i].name,
			results[i].median, results[i].best);
	printf("]}\n");
	rte_eal_cleanup();
	return 0;
}
