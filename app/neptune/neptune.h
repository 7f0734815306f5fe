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
#include "nep_flow.h"
#include "nep_health.h"
#include "nep_nptv6.h"
#include "nep_policy.h"
#include "nep_uplink.h"
#include "nep_mgmt.h"
#include "nep_neigh.h"
#include "nep_route.h"

#define NEP_MAX_WORKERS 16
#define NEP_MAX_RXQ_PER_WORKER 64
#define NEP_BURST_MAX 64

extern int nep_logtype;
#define NEP_LOG(level, fmt, ...)                                              \
	rte_log(RTE_LOG_##level, nep_logtype, "neptune: " fmt "\n",          \
		##__VA_ARGS__)

struct nep_pkt_info;

/* Why a worker hands a packet to the control lcore (in mbuf->hash.usr). */
enum nep_punt {
	NEP_PUNT_LOCAL = 1,	/* to us: ARP, ND, echo, probe replies */
	NEP_PUNT_RESOLVE,	/* next hop has no MAC yet */
	NEP_PUNT_TTL,		/* hop limit expired: time exceeded */
	NEP_PUNT_NO_ROUTE,	/* destination unreachable */
	NEP_PUNT_TOO_BIG,	/* larger than the egress MTU */
	NEP_PUNT_UNMAPPABLE,	/* NPTv6 cannot map the source: param problem */
	NEP_PUNT_UNMAPPABLE_DST, /* ... nor an inbound destination */
};
/* The packet is being forwarded (hop limit still to decrement). */
#define NEP_PUNT_FWD_FLAG 0x100
/* Steered: bits 16..23 hold uplink slot + 1 (egress is the uplink's). */
#define NEP_PUNT_UPLINK_SHIFT 16

/* Counters owned by one lcore; summed when read. */
struct nep_lcore_stats {
	uint64_t drops[NEP_DROP_MAX];
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t punted;
	uint64_t polls;
	uint64_t busy_polls;
	uint64_t port_rx[NEP_MAX_PORTS];
	uint64_t port_tx[NEP_MAX_PORTS];
	uint64_t up_tx_pkts[NEP_MAX_UPLINKS];	/* steered out */
	uint64_t up_tx_bytes[NEP_MAX_UPLINKS];
	uint64_t up_rx_pkts[NEP_MAX_UPLINKS];	/* translated back in */
	uint64_t up_rx_bytes[NEP_MAX_UPLINKS];
	uint64_t flows_new;
	uint64_t flows_moved;		/* re-selected after a failure */
	uint64_t flows_stateless;	/* table full: hashed without state */
	uint64_t policy_hits[NEP_MAX_POLICIES + 1];
	uint64_t flow_cache_hits;	/* exact-match cache (fast path) */
	uint64_t flow_cache_misses;	/* ... looked up in rte_hash */
	uint64_t route_cache_misses;	/* destination cache: FIB + neighbour */
	/* -Dstage_cycles builds: TSC cycles in rx bursts that returned
	 * packets, in their processing (tx excluded), in tx bursts. */
	uint64_t cyc_rx, cyc_proc, cyc_tx;
} __rte_cache_aligned;

struct nep_port {
	uint16_t id;			/* DPDK port id */
	char name[NEP_NAME_MAX];
	enum nep_port_role role;
	struct rte_ether_addr mac;
	uint8_t ll[16];			/* our link-local address */
	uint16_t mtu;
	uint16_t n_rxq, n_txq;
	bool link_up;
};

/* Per-policy action, indexed like cfg->steering.policies. */
struct nep_policy_rt {
	uint8_t mode;		/* enum nep_policy_mode */
	uint8_t uplink;		/* slot; unused for balanced */
};

/* Published with RCU; immutable once visible to workers. */
struct nep_snapshot {
	struct nep_config *cfg;
	struct nep_rib rib;
	uint64_t generation;
	/* steering (cfg->has_steering) */
	bool steering;
	unsigned n_inside;		/* IPv6 inside prefixes */
	struct nep_nptv6 inside_npt[NEP_MAX_PREFIXES]; /* for in_inside() */
	unsigned n_inside4;		/* IPv4 ones, steered untranslated */
	uint32_t inside4_net[NEP_MAX_PREFIXES], inside4_mask[NEP_MAX_PREFIXES];
	int first_inside6;		/* index in cfg of the translated one */
	struct nep_classifier cls;
	struct nep_policy_rt *policy;	/* n_policies entries */
	uint8_t slot_of_cfg[NEP_MAX_UPLINKS];	/* cfg uplink -> slot */
};

/* What workers need of one uplink; part of nep_steer_state. */
struct nep_uplink_fwd {
	uint16_t port_id;
	uint8_t port;			/* index into app->ports */
	uint8_t has_v4;
	uint8_t nh6[16];
	uint8_t nh4[4];
	int32_t nh6_pos, nh4_pos;	/* pinned neighbour entries, or -1 */
	struct nep_nptv6 npt;		/* inside[0] <-> delegated prefix */
};

/*
 * Uplink health and pools as workers see them; rebuilt and RCU-published
 * by the control lcore on every health, admin or weight change.
 */
struct nep_steer_state {
	uint32_t usable6;		/* slots usable for strict/preferred */
	uint32_t usable4;
	struct nep_uplink_set pool6;	/* active pool for balanced */
	struct nep_uplink_set pool4;
	unsigned n_slots;
	struct nep_uplink_fwd up[NEP_MAX_UPLINKS];
	/* per port index: the slots whose delegated prefix arrives there */
	uint32_t port_slots[NEP_MAX_PORTS];
	/* flush flows: entries created before flush_tsc whose uplink bit
	 * (bit 31 for routed flows) is in flush_mask are gone. */
	uint64_t flush_tsc;
	uint32_t flush_mask;
};

#define NEP_MAX_EVENTS 256
struct nep_event {
	uint64_t wall_ms;		/* CLOCK_REALTIME */
	uint8_t slot;
	uint8_t from, to;		/* enum nep_health_state */
	char reason[NEP_HEALTH_REASON_MAX];
};

/* Control-lcore record of one uplink slot. */
struct nep_uplink_rt {
	bool in_use;
	char name[NEP_NAME_MAX];
	struct nep_uplink_conf conf;
	unsigned port;			/* index into app->ports */
	bool admin_up;
	uint32_t weight;		/* runtime (set uplink ... weight) */
	struct nep_health health;
	uint32_t seq;
	uint64_t flows;			/* live flows, from the last scan */
	uint8_t wan_src[16];		/* probe source address */
};

struct nep_rxq {
	uint16_t port;			/* index into app->ports */
	uint16_t queue;
};

struct nep_app;

struct nep_dcache;

struct nep_worker {
	struct nep_app *app;
	unsigned lcore_id;
	unsigned index;			/* also the tx queue and RCU thread id */
	unsigned n_rxq;
	struct nep_rxq rxq[NEP_MAX_RXQ_PER_WORKER];
	struct rte_eth_dev_tx_buffer *txb[NEP_MAX_PORTS];
	struct rte_ring *punt;		/* worker -> control */
	struct rte_ring *inject;	/* control -> worker 0: frames to send */
	struct nep_flow_table *flows;	/* owned: only this worker writes */
	struct nep_dcache *dc;		/* owned: destination cache */
	struct nep_lcore_stats *stats;
} __rte_cache_aligned;

struct nep_app {
	struct nep_config *cfg;		/* the running configuration */
	char config_path[NEP_PATH_MAX];
	char drivers_dir[NEP_PATH_MAX];

	unsigned n_ports;
	struct nep_port ports[NEP_MAX_PORTS];
	int16_t port_index[RTE_MAX_ETHPORTS];	/* DPDK id -> ports[] */
	struct rte_mempool *pool;

	struct nep_snapshot *snap;	/* RCU-published */
	struct nep_steer_state *steer;	/* RCU-published */
	struct nep_uplink_rt uplinks[NEP_MAX_UPLINKS];
	unsigned n_events, event_head;
	struct nep_event events[NEP_MAX_EVENTS];
	uint64_t tsc_hz;
	struct nep_flow_age age;	/* written by control, read by reapers */
	struct rte_rcu_qsbr *qsv;
	struct nep_neigh_table *neigh;

	unsigned n_workers;
	struct nep_worker workers[NEP_MAX_WORKERS];

	struct nep_lcore_stats stats[RTE_MAX_LCORE];
	struct nep_lcore_stats stats_base[RTE_MAX_LCORE]; /* at clear */

	/* control lcore */
	struct nep_dispatch dispatch;
	struct nep_mgmt *mgmt;
	uint64_t icmp_tokens_milli;	/* token bucket, in 1/1000 tokens */
	uint64_t icmp_last_ms;
	uint64_t start_ms;
	uint64_t icmp_sent;

	volatile int quit;
};

/* Monotonic milliseconds and nanoseconds (control plane clocks). */
uint64_t nep_now_ms(void);
uint64_t nep_now_ns(void);

/* ports.c */
int nep_ports_init(struct nep_app *app);
void nep_ports_stop(struct nep_app *app);
void nep_ports_poll_link(struct nep_app *app);

/* snapshot.c */
struct nep_snapshot *nep_snapshot_build(struct nep_app *app,
	struct nep_config *cfg, char *err, size_t errlen);
void nep_snapshot_publish(struct nep_app *app, struct nep_snapshot *s);
void nep_snapshot_free(struct nep_snapshot *s);

/* worker.c */
int nep_worker_main(void *arg);

/* control.c */
int nep_control_init(struct nep_app *app);
void nep_control_loop(struct nep_app *app);
void nep_control_fini(struct nep_app *app);
void nep_control_flush_neighbors(struct nep_app *app);

/* uplinks.c */
int nep_uplinks_init(struct nep_app *app);
int nep_uplinks_apply_config(struct nep_app *app, struct nep_snapshot *s,
	char *err, size_t errlen);
void nep_uplinks_publish(struct nep_app *app);
void nep_uplinks_run(struct nep_app *app, uint64_t now_ns);
void nep_uplinks_link_change(struct nep_app *app, unsigned port, bool up);
bool nep_probe_input(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi);
void nep_flows_scan(struct nep_app *app, uint64_t now_ns);
uint64_t nep_flows_flush(struct nep_app *app, int slot);
int nep_reload(struct nep_app *app, char *err, size_t errlen);

/* control.c, for modules that originate packets */
int32_t nep_ctl_neigh_pin(struct nep_app *app, uint16_t port_id,
	uint8_t family, const uint8_t *addr);
void nep_ctl_send_via(struct nep_app *app, struct rte_mbuf *m, uint16_t port_id,
	uint8_t family, const uint8_t *nh);

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

/* Sum of one counter field over all lcores, minus the cleared baseline. */
uint64_t nep_stats_sum(const struct nep_app *app, size_t offset);
#define NEP_STAT(app, field)                                                  \
	nep_stats_sum(app, offsetof(struct nep_lcore_stats, field))

#endif /* NEPTUNE_H */
