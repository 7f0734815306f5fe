/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance's shared state: ports, per-lcore contexts, the published
 * configuration snapshot and the control-lcore state.
 */
#ifndef NEPTUNE_H
#define NEPTUNE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "nep_config.h"
#include "nep_drop.h"
#include "nep_feature.h"
#include "nep_mgmt.h"
#include "nep_neigh.h"
#include "nep_pipeline.h"
#include "nep_route.h"

#define NEP_MAX_WORKERS 16
#define NEP_HANDOFF_RING 1024	/* per worker, with several */
#define NEP_PUNT_HI_RING 512	/* per worker: ND, ARP, probe replies */
#define NEP_MAX_RXQ_PER_WORKER 64
#define NEP_BURST_MAX 64

extern int nep_logtype;
#define NEP_LOG(level, fmt, ...)                                              \
	rte_log(RTE_LOG_##level, nep_logtype, "neptune: " fmt "\n",          \
		##__VA_ARGS__)

struct nep_pkt_info;

/* Drop reasons: lib/pkt's, then those features register. */
#define NEP_DROPS_MAX NEP_DROPS_MAX_PKT

/* Per stage of the worker pipeline (show runtime). */
struct nep_stage_rt {
	uint64_t calls;		/* invocations (a burst for the fast path) */
	uint64_t pkts;
	uint64_t cycles;	/* -Dstage_cycles builds */
};

/*
 * Counters owned by one lcore; summed when read. Every received packet
 * ends under exactly one of: forwarded, punted (to the control lcore),
 * or one drop reason (the accounting in docs/architecture.md). On the
 * control lcore, every punted packet ends as local (consumed by a
 * local-delivery handler), ctl_forwarded (sent after resolution), held
 * (a gauge: waiting in a neighbour queue) or one drop reason.
 */
struct nep_lcore_stats {
	uint64_t drops[NEP_DROPS_MAX];
	uint64_t rx_pkts;
	uint64_t forwarded;		/* sent on (tx buffer accepted it) */
	uint64_t punted;		/* handed to the control lcore */
	uint64_t tx_pkts;		/* control: frames it originated */
	uint64_t local;			/* control: consumed by a handler */
	uint64_t ctl_forwarded;		/* control: sent after resolution */
	uint64_t icmp_errors_lost;	/* error punts the ring refused */
	uint64_t orig_drops;		/* control: originated frames lost */
	uint64_t inject_tx_full;	/* worker: control frames the NIC refused */
	uint64_t punt_class[NEP_PUNT_CLASSES];	/* worker: punted, by class */
	uint64_t handoffs;		/* worker: packets it handed to another
					 * worker (their outcome is counted
					 * there) */
	uint64_t polls;
	uint64_t busy_polls;
	uint64_t idle_sleeps;		/* adaptive idle: sleeps taken */
	uint64_t port_rx[NEP_MAX_PORTS];
	uint64_t port_tx[NEP_MAX_PORTS];
	uint64_t punts[NEP_PUNT_MAX];
	uint64_t route_cache_misses;	/* destination cache: FIB + neighbour */
	struct nep_stage_rt rt[NEP_STAGE_MAX];
	/* -Dstage_cycles builds: TSC cycles in rx bursts that returned
	 * packets, in their processing (tx excluded), in tx bursts. */
	uint64_t cyc_rx, cyc_proc, cyc_tx;
} __rte_cache_aligned;

/*
 * app->ports[]: the physical ports (DPDK devices), then the VLAN
 * sub-interfaces, in the order of cfg->ports[]. Each is an interface of
 * its own for the pipeline (meta in_port/out_port, counters, tx buffer,
 * neighbours, FIB): ifid names it in FIB values, next hops and neighbour
 * keys; id is the DPDK port for rte_eth_* calls (a sub-interface's
 * parent's: it sends on that device, its frames tagged).
 */
struct nep_port {
	/* What the data path reads first. 72 bytes in all, as before the
	 * sub-interfaces: indexing ports[] is then one lea (x * 9) and a
	 * scaled address; an 80- or 128-byte stride costs the fast paths an
	 * instruction at every access (callgrind). */
	uint16_t id;			/* DPDK port id (sub-interface: the
					 * parent's) */
	uint16_t ifid;			/* interface id: DPDK id, or
					 * RTE_MAX_ETHPORTS + index */
	uint16_t vlan;			/* 802.1Q VLAN id, 0: untagged */
	uint16_t mtu;
	struct rte_ether_addr mac;
	uint8_t vrf;			/* FIB table (VRF), 0: default */
	bool link_up;
	int16_t parent;			/* index of the physical port, -1 */
	uint16_t n_rxq, n_txq;
	uint8_t role;			/* enum nep_port_role */
	uint8_t admin_down;		/* `set port NAME link down` */
	uint8_t ll[16];			/* our link-local address */
	char name[NEP_NAME_MAX];
};

_Static_assert(sizeof(struct nep_port) == 72, "struct nep_port stride");

/* Interface ids: DPDK port ids, then RTE_MAX_ETHPORTS + port index. */
#define NEP_IFID_MAX (RTE_MAX_ETHPORTS + NEP_MAX_PORTS)

static inline uint16_t
nep_subif_ifid(unsigned index)
{
	return (uint16_t)(RTE_MAX_ETHPORTS + index);
}

/* app->vlan_port[][vlan]: no sub-interface. */
#define NEP_VLAN_NONE 0xff

/* Published with RCU; immutable once visible to workers. */
struct nep_snapshot {
	struct nep_config *cfg;
	struct nep_rib rib;		/* table 0: the main one (default) */
	uint64_t generation;
	/* FIB tables (VRF-lite), by table id, cfg->vrfs[] naming them:
	 * ribs[0] is &rib; nep_snap_rib(). */
	unsigned n_vrfs;
	struct nep_rib *ribs[NEP_MAX_VRFS];
	struct nep_rib vrf_rib[NEP_MAX_VRFS - 1];	/* tables 1.. */
	/* Per port index: the fused fast path for its bursts. */
	nep_fast_fn fast[NEP_MAX_PORTS];
	void *feat[NEP_MAX_FEATURES];	/* each feature's part */
};

/* The rib of FIB table `table` (0: s->rib), NULL beyond the last. */
static inline const struct nep_rib *
nep_snap_rib(const struct nep_snapshot *s, unsigned table)
{
	return likely(table < s->n_vrfs) ? s->ribs[table] : NULL;
}

/* The same, writable: for a snapshot not yet published (a feature's
 * snapshot_build adding its routes with nep_rib_add_feature()). */
static inline struct nep_rib *
nep_snap_rib_mut(struct nep_snapshot *s, unsigned table)
{
	return table < s->n_vrfs ? s->ribs[table] : NULL;
}

struct nep_rxq {
	uint16_t port;			/* index into app->ports */
	uint16_t queue;
};

struct nep_app;
struct nep_dcache;
struct nep_trace;

/* What the burst loop knows about the burst at hand. */
struct nep_rx_burst {
	const struct nep_snapshot *s;
	unsigned port;			/* index into app->ports */
	uint64_t now;			/* TSC */
};

struct nep_worker {
	struct nep_app *app;
	unsigned lcore_id;
	unsigned index;			/* also the tx queue and RCU thread id */
	unsigned n_rxq;
	struct nep_rxq rxq[NEP_MAX_RXQ_PER_WORKER];
	struct rte_eth_dev_tx_buffer *txb[NEP_MAX_PORTS];
	struct rte_ring *punt;		/* worker -> control */
	struct rte_ring *punt_hi;	/* ND, ARP, probe replies: drained
					 * first, never behind a flood */
	/* the punt policer (GCRA per class, nep_worker.h) */
	uint64_t punt_tat[NEP_PUNT_CLASSES];
	uint64_t punt_T[NEP_PUNT_CLASSES], punt_tau[NEP_PUNT_CLASSES];
	struct rte_ring *inject;	/* control -> worker 0: frames to send */
	struct rte_ring *handoff;	/* other workers -> this one (MP/SC):
					 * packets whose state it owns; NULL
					 * with one worker */
	struct nep_dcache *dc;		/* owned: destination cache */
	struct nep_lcore_stats *stats;
	struct nep_trace *trace;	/* trace add: records of this worker */
	void *feat[NEP_MAX_FEATURES];	/* each feature's per-worker state */
} __rte_cache_aligned;

struct nep_app {
	struct nep_config *cfg;		/* the running configuration */
	char config_path[NEP_PATH_MAX];
	char drivers_dir[NEP_PATH_MAX];

	unsigned n_ports;		/* physical ports and sub-interfaces */
	unsigned n_phys;		/* ports[0..n_phys): physical */
	struct nep_port ports[NEP_MAX_PORTS];
	int16_t port_index[NEP_IFID_MAX];	/* interface id -> ports[] */
	/* physical port index, VLAN id -> sub-interface index */
	uint8_t vlan_port[NEP_MAX_PORTS][NEP_VLAN_MAX + 1];
	struct rte_mempool *pool;

	struct nep_snapshot *snap;	/* RCU-published */
	uint64_t tsc_hz;
	uint64_t generation;		/* of the last snapshot built */
	struct rte_rcu_qsbr *qsv;
	struct nep_neigh_table *neigh;
	void *feat[NEP_MAX_FEATURES];	/* each feature's control state */

	unsigned n_workers;
	struct nep_worker workers[NEP_MAX_WORKERS];

	struct nep_lcore_stats stats[RTE_MAX_LCORE];
	struct nep_lcore_stats stats_base[RTE_MAX_LCORE]; /* at clear */

	/* control lcore */
	struct nep_dispatch dispatch;
	struct nep_mgmt *mgmt;
	struct nep_neigh_ops neigh_ops;
	uint64_t icmp_tokens_milli;	/* token bucket, in 1/1000 tokens */
	uint64_t icmp_last_ms;
	uint64_t start_ms;
	uint64_t icmp_sent;
	uint64_t held;			/* received packets in neighbour queues */

	volatile int quit;		/* the control loop ends */
	volatile int workers_quit;	/* then, after the features' stop
					 * hooks, the workers */

	/* CLOCK_REALTIME anchored to the TSC (nep_wall_ns_at): STAMP
	 * timestamps taken on workers without a system call. The control
	 * lcore re-anchors it every second into the slot not in use, then
	 * publishes the slot index (readers never wait). */
	struct {
		uint64_t tsc, ns;
		double ns_per_tsc;	/* measured between anchors */
	} wall[2];
	uint32_t wall_idx;
};

/* Re-anchor the TSC wall clock (control lcore; once a second). */
void nep_wallclock_sync(struct nep_app *app);

/* Unix-epoch nanoseconds at TSC value tsc (any lcore). */
static inline uint64_t
nep_wall_ns_at(const struct nep_app *app, uint64_t tsc)
{
	uint32_t i = __atomic_load_n(&app->wall_idx, __ATOMIC_ACQUIRE) & 1;
	int64_t d = (int64_t)(tsc - app->wall[i].tsc);

	return app->wall[i].ns + (uint64_t)(int64_t)((double)d *
						      app->wall[i].ns_per_tsc);
}

/* The full TSC of a punted packet's arrival (meta arrival_tsc keeps its
 * low 32 bits; a packet waits far less than 2^32 cycles). */
static inline uint64_t
nep_arrival_tsc(uint64_t now_tsc, uint32_t arrival_low)
{
	return now_tsc - (uint32_t)((uint32_t)now_tsc - arrival_low);
}

/* Monotonic milliseconds and nanoseconds (control plane clocks). */
uint64_t nep_now_ms(void);
uint64_t nep_now_ns(void);
/* A wall-clock time in milliseconds as 2026-12-01T14:31:02.118Z. */
void nep_iso_time(uint64_t wall_ms, char *buf, size_t len);

/* ports.c */
int nep_ports_init(struct nep_app *app);
void nep_ports_stop(struct nep_app *app);
void nep_ports_poll_link(struct nep_app *app);
/* The control lcore: read every port's link and tell the neighbour table
 * and the features what changed (the loop does it every 1 ms). */
void nep_ports_link_update(struct nep_app *app);
int nep_port_find(const struct nep_app *app, const char *name);

/* snapshot.c */
struct nep_snapshot *nep_snapshot_build(struct nep_app *app,
	struct nep_config *cfg, char *err, size_t errlen);
void nep_snapshot_publish(struct nep_app *app, struct nep_snapshot *s);
void nep_snapshot_free(struct nep_snapshot *s);
int nep_reload(struct nep_app *app, char *err, size_t errlen);
/* The two halves of nep_reload(). Parsing reads only the file and the
 * app's constant paths, so any thread may do it (the management thread
 * does, for `reload`); applying (checks, build, publish) is the control
 * lcore's, and takes cfg whatever the outcome. */
struct nep_config *nep_reload_parse(const struct nep_app *app, char *err,
	size_t errlen);
int nep_reload_apply(struct nep_app *app, struct nep_config *cfg, char *err,
	size_t errlen);

/* worker.c */
int nep_worker_main(void *arg);

/* control.c: the loop */
int nep_control_init(struct nep_app *app);	/* before the snapshot */
int nep_control_start(struct nep_app *app);	/* features, commands, mgmt */
void nep_control_loop(struct nep_app *app);
/* Before the workers stop: the features' last messages (stop hooks). */
void nep_control_stop(struct nep_app *app);
void nep_control_fini(struct nep_app *app);

/* commands.c */
void nep_commands_register(struct nep_app *app);

/* A `show` handler's list: the JSON reply {key: list} with --json, else
 * the list was only scaffolding for the text reply and is dropped. */
static inline void
nep_reply_list(struct nep_cmd_ctx *ctx, const char *key, json_t *list)
{
	if (ctx->json)
		ctx->json_out = json_pack("{s:o}", key, list);
	else
		json_decref(list);
}

/*
 * Sum of the uint64_t at offset over n per-lcore (or per-worker) counter
 * structs of size stride, minus the same field of their baselines (taken
 * at `clear stats`: the owners' counters are never written by others).
 */
static inline uint64_t
nep_counters_sum(const void *cur, const void *base, size_t stride, unsigned n,
	size_t offset)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		const char *s = (const char *)cur + i * stride + offset;
		const char *b = (const char *)base + i * stride + offset;
		sum += *(const uint64_t *)s - *(const uint64_t *)b;
	}
	return sum;
}

/* Sum of one counter field over all lcores, minus the cleared baseline. */
uint64_t nep_stats_sum(const struct nep_app *app, size_t offset);
#define NEP_STAT(app, field)                                                  \
	nep_stats_sum(app, offsetof(struct nep_lcore_stats, field))

#endif /* NEPTUNE_H */
