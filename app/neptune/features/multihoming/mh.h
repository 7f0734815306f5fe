/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multihoming (the NEPTUNE thesis): every new LAN flow from an inside
 * prefix gets an uplink by policy and weight and keeps it; NPTv6 makes its
 * packets fit the uplink; health probes take failed uplinks out of the
 * pool. This header holds the feature's state: its part of each snapshot,
 * the uplink state workers read (RCU), the control lcore's uplink records
 * and the per-worker flow tables and counters (docs/multihoming.md).
 */
#ifndef NEP_MH_H
#define NEP_MH_H

#include <stdbool.h>
#include <stdint.h>

#include "neptune.h"
#include "mh_config.h"
#include "nep_flow.h"
#include "nep_health.h"
#include "nep_nptv6.h"
#include "nep_policy.h"
#include "nep_uplink.h"

extern struct nep_feature nep_mh_feature;

/* Per-policy action, indexed like mh_conf(cfg)->steering.policies. */
struct nep_policy_rt {
	uint8_t mode;		/* enum nep_policy_mode */
	uint8_t uplink;		/* slot; unused for balanced */
	uint8_t sla;		/* SLA slot, NEP_SLA_NONE */
	uint8_t sla_move;	/* move_on_violation */
};
#define NEP_SLA_NONE 0xff

/* The feature's part of a snapshot (s->feat[id]); NULL: steering off. */
struct mh_snap {
	unsigned n_inside;		/* IPv6 inside prefixes */
	struct nep_nptv6 inside_npt[NEP_MAX_PREFIXES]; /* for in_inside() */
	unsigned n_inside4;		/* IPv4 ones, steered untranslated */
	uint32_t inside4_net[NEP_MAX_PREFIXES], inside4_mask[NEP_MAX_PREFIXES];
	int first_inside6;		/* index in cfg of the translated one */
	struct nep_classifier cls;
	struct nep_policy_rt *policy;	/* n_policies entries */
	unsigned n_policies;
	uint8_t slot_of_cfg[NEP_MAX_UPLINKS];	/* cfg uplink -> slot */
};

/* What workers need of one uplink; part of nep_steer_state. */
struct nep_uplink_fwd {
	uint16_t port_id;		/* interface id (neighbour keys) */
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
	/* slots the fused path may send on: IPv6 next hop pinned, port not
	 * a VLAN sub-interface (the general path's output writes tags) */
	uint32_t fast6;
	uint32_t fast4;			/* the same for IPv4 (its next hop) */
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
	/* SLA verdicts (STAMP's judge): per SLA slot the slots meeting it
	 * and the pools built of them; sla_moving when any policy moves
	 * its flows on a violation */
	bool sla_moving;
	uint32_t sla_fast_ok;		/* slots meeting every moving SLA:
					 * the fused path's hits elsewhere go
					 * to the general path, which decides */
	uint32_t sla_ok[NEP_MAX_SLA];
	struct nep_uplink_set sla_pool6[NEP_MAX_SLA];
	struct nep_uplink_set sla_pool4[NEP_MAX_SLA];
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
	bool removed;			/* by a reload: reserved, not probed */
	char name[NEP_NAME_MAX];
	struct nep_uplink_conf conf;
	unsigned port;			/* index into app->ports */
	bool admin_up;
	uint32_t weight;		/* runtime (set uplink ... weight) */
	struct nep_health health;
	uint32_t seq;
	uint64_t flows;			/* live flows, from the last scan */
	uint8_t wan_src[16];		/* probe source address */
	/* provisioning: times the delegated prefix changed, and the flows
	 * pinned to the old one that had to re-select */
	uint64_t prefix_changes;
	uint64_t prefix_flows_moved;
};

/* Counters of one worker; summed when read. */
struct mh_stats {
	uint64_t up_tx_pkts[NEP_MAX_UPLINKS];	/* steered out */
	uint64_t up_tx_bytes[NEP_MAX_UPLINKS];
	uint64_t up_rx_pkts[NEP_MAX_UPLINKS];	/* translated back in */
	uint64_t up_rx_bytes[NEP_MAX_UPLINKS];
	uint64_t flows_new;
	uint64_t flows_moved;		/* re-selected after a failure */
	uint64_t flows_moved4;		/* of them IPv4: under NAT44 each
					 * broke (a new public address) */
	uint64_t flows_stateless;	/* table full: hashed without state */
	uint64_t flow_cache_hits;	/* exact-match cache (fast path) */
	uint64_t flow_cache_misses;	/* ... looked up in rte_hash */
	uint64_t policy_hits[NEP_MAX_POLICIES + 1];
} __rte_cache_aligned;

/* The fused path's flow-cache misses of one burst, looked up together. */
struct mh_fast_batch {
	unsigned n;
	uint16_t idx[NEP_BURST_MAX];		/* packet index in the burst */
	uint16_t l3_len[NEP_BURST_MAX];
	struct nep_flow_key keys[NEP_BURST_MAX];
	hash_sig_t sig[NEP_BURST_MAX];
};

/* One worker's part (w->feat[id]). */
struct mh_worker {
	struct nep_flow_table *flows;	/* owned: only this worker writes */
	struct mh_stats *stats;
	struct mh_fast_batch fb __rte_cache_aligned;
};

/* The aging scan's cursor and counts (control lcore). */
struct mh_scan {
	unsigned worker;
	uint32_t pos;
	uint64_t counts[NEP_MAX_UPLINKS];
};

/* The control lcore's state (app->feat[id]). */
struct mh_state {
	struct nep_steer_state *steer;	/* RCU-published */
	struct nep_uplink_rt uplinks[NEP_MAX_UPLINKS];
	unsigned n_events, event_head;
	struct nep_event events[NEP_MAX_EVENTS];
	struct nep_flow_age age;	/* written by control, read by reapers */
	struct mh_scan scan;
	uint64_t acl_generation;	/* names of rte_acl contexts */
	/* show flows / show uplinks walks over every flow slot, by where
	 * they ran (commands.c) */
	uint64_t walks_control, walks_offloaded;
	uint32_t prefix_moved_mask;	/* slots whose delegated prefix a
					 * reload changed: flushed when done */
	uint32_t sla_ok[NEP_MAX_SLA];	/* nep_mh_set_sla_ok; all ones */
	struct mh_worker workers[NEP_MAX_WORKERS];
	struct mh_stats stats[NEP_MAX_WORKERS];
	struct mh_stats stats_base[NEP_MAX_WORKERS];	/* at clear */
};

/* The feature's drop reasons (registered at start-up). */
extern unsigned mh_drop_unmappable, mh_drop_strict_down, mh_drop_no_uplink;
/* The NPTv6 path action id. */
extern uint8_t mh_action_nptv6;

static inline struct mh_state *
MH(const struct nep_app *app)
{
	return app->feat[nep_mh_feature.id];
}

static inline const struct mh_snap *
MH_SNAP(const struct nep_snapshot *s)
{
	return s->feat[nep_mh_feature.id];
}

static inline struct mh_worker *
MH_W(const struct nep_worker *w)
{
	return w->feat[nep_mh_feature.id];
}

/* Sum of one counter over the workers, minus the cleared baseline. */
uint64_t mh_stats_sum(const struct nep_app *app, size_t offset);
#define MH_STAT(app, field) mh_stats_sum(app, offsetof(struct mh_stats, field))

/* uplinks.c */
int nep_uplinks_init(struct nep_app *app);
void nep_uplinks_fini(struct nep_app *app);
void nep_uplinks_apply_config(struct nep_app *app, struct nep_snapshot *s);
void nep_uplinks_publish(struct nep_app *app);
void nep_uplinks_run(struct nep_app *app, uint64_t now_ns);
void nep_uplinks_link_change(struct nep_app *app, unsigned port, bool up);
void nep_flows_scan(struct nep_app *app, uint64_t now_ns);
uint64_t nep_flows_flush(struct nep_app *app, int slot);
/* The same for every slot whose bit is in mask. */
uint64_t nep_flows_flush_mask(struct nep_app *app, uint32_t mask);
void mh_add_event(struct nep_app *app, unsigned slot, uint8_t from, uint8_t to,
	const char *reason);
void mh_probe_input(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi);

/* snapshot.c */
int mh_snapshot_build(struct nep_app *app, struct nep_snapshot *s, char *err,
	size_t errlen);
void mh_snapshot_free(struct nep_snapshot *s);

/* stages.c */
void mh_register_datapath(void);
nep_verdict_t mh_ingress(struct nep_pctx *c, struct rte_mbuf *m);
nep_verdict_t mh_egress(struct nep_pctx *c, struct rte_mbuf *m);
nep_verdict_t mh_action_snpt(struct nep_pctx *c, struct rte_mbuf *m);
nep_fast_fn mh_fast_for_port(const struct nep_app *app,
	const struct nep_snapshot *s, unsigned port);
void mh_worker_poll(struct nep_worker *w, uint64_t now_tsc);
void mh_trace_format(const struct nep_app *app, const struct nep_trace_rec *r,
	struct nep_buf *out);

/* commands.c */
void mh_commands(struct nep_app *app, struct nep_dispatch *d);
void mh_stats_json(struct nep_app *app, json_t *obj);
void mh_lcore_json(struct nep_app *app, const struct nep_worker *w,
	json_t *obj);
void mh_clear_stats(struct nep_app *app);

#endif /* NEP_MH_H */
