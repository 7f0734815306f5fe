/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Feature registration. A feature (multihoming today; SRv6, the UDP tunnel,
 * NAT44, STAMP later) lives in its own directory under app/neptune/features
 * and hands the core one struct nep_feature from a constructor
 * (NEP_FEATURE_REGISTER). The core calls it at each point below; nothing
 * in the core names a feature. docs/architecture.md, "Adding a feature".
 */
#ifndef NEP_FEATURE_H
#define NEP_FEATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#include "nep_mgmt.h"
#include "nep_pipeline.h"

#define NEP_MAX_FEATURES 16
#define NEP_MAX_ACTIONS 16
#define NEP_MAX_LOCAL 32

struct nep_app;
struct nep_snapshot;
struct nep_worker;
struct nep_trace_rec;
struct nep_rx_burst;
struct nep_config;
struct nep_pkt_info;

/*
 * The fused fast path of a feature for the packets of one rx burst. It
 * handles what it can and gives every other packet to nep_general_path(),
 * which runs the stages one by one.
 */
typedef void (*nep_fast_fn)(struct nep_worker *w, const struct nep_rx_burst *b,
	struct rte_mbuf **pkts, uint16_t n);

struct nep_feature {
	const char *name;
	unsigned id;			/* set by nep_feature_register */
	/* Hooks run in ascending order (ties: registration order): SRv6
	 * local SIDs (10) before multihoming's DNPT (50). */
	int order;

	/* ---- control lcore ---- */
	/* After ports, snapshot and neighbour table exist. */
	int (*init)(struct nep_app *app);
	void (*fini)(struct nep_app *app);
	/* Shutting down, workers still running: last messages (a DHCP
	 * Release, a final RA), sent before they stop. */
	void (*stop)(struct nep_app *app);
	/* Feature part of a new snapshot (s->feat[id]); err on failure. */
	int (*snapshot_build)(struct nep_app *app, struct nep_snapshot *s,
		char *err, size_t errlen);
	void (*snapshot_free)(struct nep_snapshot *s);
	/* Can the running appliance take cfg? -1 with err (file:line:col). */
	int (*reload_check)(struct nep_app *app, const struct nep_config *cfg,
		char *err, size_t errlen);
	/* Before / after the new snapshot is published. */
	void (*reload_prepare)(struct nep_app *app, struct nep_snapshot *s);
	void (*reload_done)(struct nep_app *app);
	/* Every control loop (timers, probes) and every 10 ms (scans). */
	void (*run)(struct nep_app *app, uint64_t now_ns);
	void (*tick)(struct nep_app *app, uint64_t now_ns);
	void (*link_change)(struct nep_app *app, unsigned port, bool up);
	/* Bind command handlers (grammar: the feature's grammar.c). */
	void (*commands)(struct nep_app *app, struct nep_dispatch *d);
	/* Extra fields for `show stats`. */
	void (*stats_json)(struct nep_app *app, json_t *obj);
	/* Extra fields of one worker's `show lcores --json` entry. */
	void (*lcore_json)(struct nep_app *app, const struct nep_worker *w,
		json_t *obj);
	/* Counters cleared by `clear stats` that the core does not own. */
	void (*clear_stats)(struct nep_app *app);
	/* Is a an IPv6 address of ours beyond the ports' (SRv6 SIDs)? nd:
	 * asked by a Neighbour Solicitation on port (proxy ND: only what is
	 * on-link there), else by local delivery (any port). */
	bool (*owns_addr6)(const struct nep_app *app, unsigned port,
		const uint8_t *a, bool nd);
	/* A Neighbor Advertisement for target, or a Neighbor Solicitation
	 * from the unspecified address (another node's DAD), on port. */
	void (*nd_seen)(struct nep_app *app, unsigned port, uint8_t type,
		const uint8_t *target);

	/* ---- workers ---- */
	nep_hook_fn ingress;		/* NEP_STAGE_INGRESS */
	nep_hook_fn egress;		/* NEP_STAGE_EGRESS */
	/* Fused fast path for ports it claims (NULL: not claimed). */
	nep_fast_fn (*fast_for_port)(const struct nep_app *app,
		const struct nep_snapshot *s, unsigned port);
	/* Housekeeping once per worker loop (e.g. reaping flows). */
	void (*worker_poll)(struct nep_worker *w, uint64_t now_tsc);
	/* Text of one of its trace records. */
	void (*trace_format)(const struct nep_app *app,
		const struct nep_trace_rec *r, struct nep_buf *out);
};

void nep_feature_register(struct nep_feature *f);

#define NEP_FEATURE_REGISTER(f)                                               \
	RTE_INIT(nep_feature_init_##f) { nep_feature_register(&(f)); }

extern struct nep_feature *nep_features[NEP_MAX_FEATURES];
extern unsigned nep_n_features;

#define NEP_FOREACH_FEATURE(f)                                                \
	for (unsigned _fi = 0;                                                \
		_fi < nep_n_features && ((f) = nep_features[_fi]) != NULL;   \
		_fi++)

/*
 * Path actions (NPTv6 today; SRv6 H.Encaps and the tunnel later): run by
 * the output stage after the MTU check, on the packet as it will leave.
 * overhead: bytes the action adds (MTU check). Returns NEP_V_NEXT or a
 * drop/punt verdict. Ids start at 1; 0 means a plain route.
 */
struct nep_action {
	const char *name;
	uint16_t overhead;
	nep_hook_fn fn;
};
int nep_action_register(const struct nep_action *a);
extern struct nep_action nep_actions[NEP_MAX_ACTIONS];

/*
 * Local delivery: packets addressed to the appliance are dispatched by
 * (family, protocol, ICMP type or destination port) to a handler on the
 * control lcore. port_or_type < 0 matches any. The handler owns m.
 */
typedef void (*nep_local_fn)(struct nep_app *app, struct rte_mbuf *m,
	unsigned port, const struct nep_pkt_info *pi);
int nep_local_register(uint8_t family, uint8_t proto, int port_or_type,
	const char *name, nep_local_fn fn);
/* The same for packets not addressed to one of our addresses: ND to
 * multicast groups (RS, RA), a DHCPv4 server's limited broadcast. */
int nep_local_register_any(uint8_t family, uint8_t proto, int port_or_type,
	const char *name, nep_local_fn fn);

/* Is there a handler for (family, proto, port) to our addresses? Any
 * lcore: the table is complete before the workers start. (SRv6 gives an
 * upper-layer packet to its SID itself to local delivery only then.) */
bool nep_local_serves(uint8_t family, uint8_t proto, uint16_t port);

/*
 * ICMP echo replies whose identifier is in [id_base, id_base + id_count)
 * go to fn before the table above (probes of several features share the
 * echo-reply type). 0, or -1 when full or overlapping.
 */
int nep_local_register_echo(uint8_t family, uint16_t id_base,
	uint16_t id_count, const char *name, nep_local_fn fn);

/*
 * Drop reasons a feature owns (beyond lib/pkt's): returns the id to count
 * under, or -1 when the table is full. Registered from init or from a
 * constructor (ids must be known before workers start).
 */
int nep_drop_register(const char *name, const char *feature,
	enum nep_stage stage);
const char *nep_drop_name(unsigned id);
unsigned nep_drop_count(void);
const char *nep_drop_feature(unsigned id);
enum nep_stage nep_drop_stage(unsigned id);

#endif /* NEP_FEATURE_H */
