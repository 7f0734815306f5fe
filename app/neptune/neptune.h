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

/* Why a worker hands a packet to the control lcore (in mbuf->hash.usr). */
enum nep_punt {
	NEP_PUNT_LOCAL = 1,	/* to us: ARP, ND, echo, probe replies */
	NEP_PUNT_RESOLVE,	/* next hop has no MAC yet */
	NEP_PUNT_TTL,		/* hop limit expired: time exceeded */
	NEP_PUNT_NO_ROUTE,	/* destination unreachable */
	NEP_PUNT_TOO_BIG,	/* larger than the egress MTU */
};
/* The packet is being forwarded (hop limit still to decrement). */
#define NEP_PUNT_FWD_FLAG 0x100

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

/* Published with RCU; immutable once visible to workers. */
struct nep_snapshot {
	struct nep_config *cfg;
	struct nep_rib rib;
	uint64_t generation;
};

struct nep_rxq {
	uint16_t port;			/* index into app->ports */
	uint16_t queue;
};

struct nep_app;

struct nep_worker {
	struct nep_app *app;
	unsigned lcore_id;
	unsigned index;			/* also the tx queue and RCU thread id */
	unsigned n_rxq;
	struct nep_rxq rxq[NEP_MAX_RXQ_PER_WORKER];
	struct rte_eth_dev_tx_buffer *txb[NEP_MAX_PORTS];
	struct rte_ring *punt;		/* worker -> control */
	struct rte_ring *inject;	/* control -> worker 0: frames to send */
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

/* commands.c */
void nep_commands_register(struct nep_app *app);

/* Sum of one counter field over all lcores, minus the cleared baseline. */
uint64_t nep_stats_sum(const struct nep_app *app, size_t offset);
#define NEP_STAT(app, field)                                                  \
	nep_stats_sum(app, offsetof(struct nep_lcore_stats, field))

#endif /* NEPTUNE_H */
