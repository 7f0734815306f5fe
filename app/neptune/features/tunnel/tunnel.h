/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Authenticated UDP tunnels to hubs, and the hub role (docs/tunnel.md,
 * protocol: docs/tunnel-protocol.md).
 *
 *   config.c    the `tunnel:` section and the root-only keys file
 *   snapshot.c  sessions, their keys' crypto contexts, paths, routes
 *   stages.c    ingress (receive processing, decapsulation, keepalive
 *               replies), egress (routes into a tunnel), the encap action
 *   control.c   keepalives, path health, key rotation (control lcore)
 *   commands.c  show tunnels, show tunnel sessions, tunnel rekey
 *
 * Sessions keep their state (send counter, replay window, current key,
 * the hub's learned peer address, health) in one table owned by the
 * feature, indexed by slot and kept across snapshots: a reload never
 * resets a window or reuses a sequence number.
 */
#ifndef NEP_TUNNEL_FEATURE_H
#define NEP_TUNNEL_FEATURE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ring.h>

#include "neptune.h"
#include "nep_config.h"
#include "nep_config_section.h"
#include "nep_health.h"
#include "nep_tcrypto.h"
#include "nep_tunnel.h"
#include "nep_tun_outer.h"
#include "nep_tun_keys.h"

#define TUN_MAX_HUBS 8
#define TUN_MAX_UPLINKS 4
#define TUN_MAX_PATHS 32		/* endpoint: uplinks x hubs */
#define TUN_MAX_ENDPOINTS 64		/* hub */
#define TUN_EP_SESSIONS 8		/* sessions of one endpoint */
#define TUN_MAX_SESSIONS 128
#define TUN_MAX_PREFIXES 16
#define TUN_MAX_ROUTES 64
#define TUN_MAX_PEERS 64		/* names in the keys file */
#define TUN_KEYS 2			/* live keys of a session */
#define TUN_PSK_MAX 64
#define TUN_PSK_MIN 32
#define TUN_THREADS 9			/* workers + the control lcore */
#define TUN_BUCKETS 256
#define TUN_SESS_SLOTS 512		/* session id lookup, 4 x sessions */
#define TUN_EVENTS 1024			/* per worker ring */
#define TUN_MAX_INNER 9000

enum tun_role { TUN_ROLE_ENDPOINT, TUN_ROLE_HUB };

/* ---- configuration ---- */

struct tun_key_conf {
	uint8_t id;
	uint8_t len;
	uint8_t psk[TUN_PSK_MAX];
};

/* The keys of one peer (a hub's name on an endpoint, an endpoint's on a
 * hub), in file order: the first is current at start. */
struct tun_peer_keys {
	char name[NEP_NAME_MAX];
	unsigned n_keys;
	struct tun_key_conf keys[TUN_KEYS];
};

struct tun_hub_conf {
	char name[NEP_NAME_MAX];
	struct nep_addr addr;
	uint16_t port;
	bool backup;
	uint32_t weight;
	unsigned n_sessions;		/* one per tunnel uplink */
	uint32_t sessions[TUN_MAX_UPLINKS];
};

struct tun_endpoint_conf {
	char name[NEP_NAME_MAX];
	unsigned n_sessions;
	uint32_t sessions[TUN_EP_SESSIONS];
	unsigned n_prefixes;
	struct nep_prefix prefixes[TUN_MAX_PREFIXES];
};

struct tun_config {
	bool enabled;
	enum tun_role role;
	char keys_file[256];
	uint16_t port;
	uint8_t suite;
	uint32_t interval_ms, miss, up;	/* keepalives */
	bool keepalive;			/* false: paths up with their link */
	uint32_t hold_ms;		/* anti-flap */
	bool active_active;
	bool mss_clamp;
	uint32_t inner_mtu;		/* 0: uplink MTU - overhead */
	uint32_t key_lifetime_s;
	uint64_t key_lifetime_pkts;
	uint8_t hop_limit;
	unsigned n_uplinks;
	char uplinks[TUN_MAX_UPLINKS][NEP_NAME_MAX];
	unsigned n_hubs;
	struct tun_hub_conf hubs[TUN_MAX_HUBS];
	unsigned n_routes;
	struct nep_prefix routes[TUN_MAX_ROUTES];
	unsigned n_endpoints;
	struct tun_endpoint_conf endpoints[TUN_MAX_ENDPOINTS];
	unsigned n_peers;
	struct tun_peer_keys peers[TUN_MAX_PEERS];
};

extern int tun_config_section_id;

static inline const struct tun_config *
tun_conf(const struct nep_config *cfg)
{
	return (const struct tun_config *)nep_config_section(cfg,
		tun_config_section_id);
}

const struct tun_peer_keys *tun_peer_find(const struct tun_config *tc,
	const char *name);

/* ---- session state, kept across snapshots (feature-owned) ---- */

struct tun_state {
	/* written by every sender (workers, control): atomic add */
	uint64_t tx_seq __rte_cache_aligned;
	/* the key sent under, the one retired (TSC units), rotation */
	struct nep_tun_keys keys;
	uint8_t used;
	uint32_t session_id;

	/* receive side: the worker that receives the session's packets
	 * (RSS keeps a 5-tuple on one queue) is the only writer */
	struct nep_tun_replay rx __rte_cache_aligned;
	uint64_t last_rx_tsc;		/* last authenticated, top raised */
	/* hub: where the peer is (seqlock: ver odd while written) */
	uint32_t peer_ver;
	uint8_t peer_family;
	uint16_t peer_port;
	uint8_t peer_addr[16];
	uint8_t local_addr[16];		/* the address the peer sent to */
	/* control lcore: the current key reached its end of life with no
	 * successor (workers stop sending) */
	uint8_t tx_expired;

	/* control lcore only */
	struct nep_health health __rte_cache_aligned;
	uint64_t up_since_ns;		/* usable after hold_ms */
	bool was_up;
	double rtt_ms, rtt_min_ms, rtt_max_ms;
	uint64_t ka_sent, ka_replies, ka_replies_sent;
	/* key lifetime and rotation */
	uint64_t key_since_ns;		/* tx_key first used */
	uint64_t key_seq0;		/* tx_seq when tx_key began */
	uint64_t rekey_next_ns;
	uint64_t rekeys, rekey_failed, key_expired;
};

/* ---- snapshot ---- */

/* One live key of a session: a crypto context per thread and direction. */
struct tun_key {
	uint8_t used;
	uint8_t id;
	struct nep_tcrypto_ctx *tx[TUN_THREADS];
	struct nep_tcrypto_ctx *rx[TUN_THREADS];
};

struct tun_sess {
	uint32_t session_id;
	uint16_t state;			/* index into the state table */
	uint8_t peer;			/* hub (endpoint) / endpoint (hub) */
	int8_t path;			/* endpoint: its path, else -1 */
	uint16_t inner_mtu;
	uint8_t n_keys;
	struct tun_key keys[TUN_KEYS];
	char peer_name[NEP_NAME_MAX];
};

/* Endpoint: a local uplink to one hub. */
struct tun_path {
	uint16_t sess;			/* index into sess[] */
	uint8_t hub;
	uint8_t port;			/* egress port index */
	uint8_t backup;
	int8_t uplink_idx;		/* in multihoming's uplinks[] */
	uint16_t port_id;
	int32_t neigh_pos;		/* the uplink's next hop, pinned */
	uint16_t mtu;			/* port MTU */
	uint16_t inner_mtu;
	uint32_t weight;
	struct nep_tun_outer o;		/* outer addresses and ports */
	uint8_t next_hop[16];
	char uplink[NEP_NAME_MAX];
};

/* Hub: one endpoint, its sessions and its inner prefixes. */
struct tun_endpoint {
	uint8_t n_sess;
	uint16_t sess[TUN_EP_SESSIONS];
	unsigned n_prefixes;
	struct nep_prefix prefixes[TUN_MAX_PREFIXES];
};

struct tun_snap {
	bool enabled;
	uint8_t role;
	uint8_t suite;
	uint8_t tag_len;
	uint8_t hop_limit;
	uint8_t tx_dir, rx_dir;		/* enum nep_tun_dir */
	bool mss_clamp;
	bool keepalive;
	uint16_t port;			/* UDP port we listen on */
	uint32_t max_inner;		/* largest inner MTU (tun_oversize) */
	uint64_t grace_tsc;		/* a retired key's acceptance */
	uint64_t hold_ns;		/* anti-flap */
	uint64_t alive_tsc;		/* hub: a session is alive while it
					 * was heard from within miss x interval */
	/* our addresses on WAN ports (the destinations we terminate) */
	unsigned n_addr6, n_addr4;
	uint8_t addr6[8][16];
	uint32_t addr4[8];
	unsigned n_sess;
	struct tun_sess *sess;		/* TUN_MAX_SESSIONS */
	int16_t slot_idx[TUN_SESS_SLOTS];	/* session id -> sess, -1 */
	/* endpoint */
	unsigned n_paths;
	struct tun_path paths[TUN_MAX_PATHS];
	int8_t path_uplink[TUN_MAX_PATHS];	/* each path's uplink index */
	uint8_t rank[TUN_BUCKETS][TUN_MAX_PATHS];
	/* paths usable (bit = path), written by the control lcore */
	uint64_t up_mask;
	/* paths to the preferred hub (nep_tun_set_preferred_hub): while one
	 * of them is usable flows use only those; 0: no preference */
	uint64_t pref_mask;
	/* hub */
	unsigned n_endpoints;
	struct tun_endpoint *endpoints;	/* TUN_MAX_ENDPOINTS */
	unsigned n_routes;
	uint16_t route_ep[TUN_MAX_ROUTES];	/* hub: route -> endpoint */
};

static inline unsigned
tun_sess_slot(uint32_t id)
{
	return (id * 2654435761u) >> 23 & (TUN_SESS_SLOTS - 1);
}

static inline int
tun_sess_lookup(const struct tun_snap *ts, uint32_t id)
{
	for (unsigned s = tun_sess_slot(id);; s = (s + 1) & (TUN_SESS_SLOTS - 1)) {
		int i = ts->slot_idx[s];

		if (i < 0)
			return -1;
		if (ts->sess[i].session_id == id)
			return i;
	}
}

/* The key of session s with id, NULL if not live. */
static inline const struct tun_key *
tun_key_of(const struct tun_sess *s, uint8_t id)
{
	for (unsigned k = 0; k < s->n_keys; k++)
		if (s->keys[k].id == id)
			return &s->keys[k];
	return NULL;
}

/* Read the learned peer (hub): false while none or being written. */
static inline bool
tun_read_peer(const struct tun_state *st, struct nep_tun_outer *o)
{
	for (unsigned tries = 0; tries < 4; tries++) {
		uint32_t v = __atomic_load_n(&st->peer_ver, __ATOMIC_ACQUIRE);

		if (v == 0)
			return false;
		if (v & 1)
			continue;
		o->family = st->peer_family;
		o->dport = st->peer_port;
		memcpy(o->dst, st->peer_addr, 16);
		memcpy(o->src, st->local_addr, 16);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&st->peer_ver, __ATOMIC_RELAXED) == v)
			return true;
	}
	return false;
}

/* ---- per-worker counters, events ---- */

struct tun_stats {
	uint64_t rx_pkts[TUN_MAX_SESSIONS];
	uint64_t rx_bytes[TUN_MAX_SESSIONS];
	uint64_t tx_pkts[TUN_MAX_SESSIONS];
	uint64_t tx_bytes[TUN_MAX_SESSIONS];
	uint64_t auth_failed[TUN_MAX_SESSIONS];
	uint64_t replays[TUN_MAX_SESSIONS];
	uint64_t ka_replied, mss_clamped, events_lost;
} __rte_cache_aligned;

/* A verified control message for the control lcore. */
struct tun_event {
	uint64_t seq;			/* of the message */
	uint64_t rx_tsc;
	uint16_t sess;			/* index in the snapshot's sess[] */
	uint8_t type, key_id;
	uint32_t session_id;
	uint8_t body[NEP_TUN_CTRL_LEN];
	uint8_t src_family;
	uint16_t src_port;
	uint8_t src[16];
	uint8_t pad[5];
};

struct tun_worker {
	struct tun_stats *stats;
	/* hub: the return path of the packet at hand (egress -> action) */
	struct tun_path hub_path;
	struct rte_ring *events;	/* worker -> control, SP/SC */
	unsigned thread;		/* crypto context index */
};

struct tun_ctl {
	struct tun_stats *stats_base;	/* at clear stats, per worker */
	char pref_hub[NEP_NAME_MAX];	/* preferred hub, "" none (pref.c) */
	struct tun_state *state;	/* TUN_MAX_SESSIONS */
	uint64_t ka_sent, ka_unmatched, events;
	uint32_t n_state;
};

extern struct nep_feature nep_tun_feature;
extern uint8_t tun_action_encap;
extern unsigned tun_drop_rc[NEP_TUN_RC_MAX];
/* drops beyond lib/tunnel's result codes */
extern unsigned tun_drop_outer_fragment, tun_drop_bad_udp_checksum,
	tun_drop_unknown_session, tun_drop_unknown_key, tun_drop_suite_mismatch,
	tun_drop_bad_role, tun_drop_auth_failed, tun_drop_inner_mismatch,
	tun_drop_inner_source, tun_drop_no_path, tun_drop_no_peer,
	tun_drop_key_expired, tun_drop_headroom, tun_drop_ecn;

static inline struct tun_snap *
TUN_SNAP(const struct nep_snapshot *s)
{
	return (struct tun_snap *)s->feat[nep_tun_feature.id];
}

static inline struct tun_worker *
TUN_W(const struct nep_worker *w)
{
	return (struct tun_worker *)w->feat[nep_tun_feature.id];
}

/* The control state exists before the first snapshot is built (which
 * happens before the features' init). */
extern struct tun_ctl tun_ctl_state;

static inline struct tun_ctl *
TUN_CTL(const struct nep_app *app)
{
	(void)app;
	return &tun_ctl_state;
}

/* The crypto context index of the control lcore. */
#define TUN_CTL_THREAD 0

/* stages.c */
void tun_register_datapath(void);
nep_verdict_t tun_ingress(struct nep_pctx *c, struct rte_mbuf *m);
nep_verdict_t tun_egress(struct nep_pctx *c, struct rte_mbuf *m);
void tun_trace_format(const struct nep_app *app,
	const struct nep_trace_rec *r, struct nep_buf *out);
/* Seal the message at ip (outer IP header) whose tunnel header is h and
 * payload plen bytes; thread: the crypto context index. 0 or -1. */
int tun_seal(const struct tun_key *k, unsigned thread, uint8_t dir,
	uint8_t *ip, const struct nep_tun_outer *o, uint8_t tos,
	const struct nep_tun_hdr *h);

/* snapshot.c */
int tun_snapshot_build(struct nep_app *app, struct nep_snapshot *s,
	char *err, size_t errlen);
void tun_snapshot_free(struct nep_snapshot *s);
int tun_state_slot(struct nep_app *app, uint32_t session_id);

/* control.c */
void tun_control_run(struct nep_app *app, uint64_t now_ns);
void tun_control_link_change(struct nep_app *app, unsigned port, bool up);
void tun_control_carry(struct nep_app *app, struct nep_snapshot *s);
int tun_rekey(struct nep_app *app, unsigned sess, char *err, size_t errlen);
uint64_t tun_paths_mask(const struct nep_app *app, const struct tun_snap *ts,
	uint64_t now_ns);

/* pref.c: the preferred hub's paths in snapshot s (0 when none) */
uint64_t tun_pref_mask(const struct nep_config *cfg, const struct tun_snap *ts,
	const char *hub);

/* commands.c */
void tun_commands(struct nep_app *app, struct nep_dispatch *d);
void tun_stats_json(struct nep_app *app, json_t *obj);
void tun_clear_stats(struct nep_app *app);
uint64_t tun_stat_sum(const struct nep_app *app, size_t offset);

#endif /* NEP_TUNNEL_FEATURE_H */
