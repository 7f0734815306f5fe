/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT44 on each uplink (docs/nat44.md; pure parts in lib/nat44): IPv4
 * flows that multihoming steers leave translated to a public address of
 * their uplink (NAPT: endpoint-independent mapping, paired pooling, port
 * preservation and parity, per-host limits), and come back by the
 * mapping; static port forwards and 1:1 mappings reach inside hosts.
 *
 *   config.c    the `nat44:` section
 *   snapshot.c  uplinks' pools and addresses, forwards, per snapshot
 *   stages.c    ingress (inbound DNAT, ICMP errors, later fragments),
 *               the outbound translator multihoming's action calls,
 *               the worker's reaping of idle mappings
 *   commands.c  show nat44 sessions / summary, clear nat44 sessions
 *
 * Mappings are per worker (one writer); the port pools (one per public
 * address and protocol) are shared and claimed by blocks, lock-free.
 */
#ifndef NEP_NAT44_FEATURE_H
#define NEP_NAT44_FEATURE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>

#include "neptune.h"
#include "nep_config.h"
#include "nep_config_section.h"
#include "nep_nat44.h"

#define NAT_MAX_UPLINKS 8
#define NAT_MAX_ADDRS 8			/* public addresses of an uplink */
#define NAT_MAX_POOLS (NAT_MAX_UPLINKS * NAT_MAX_ADDRS * 3)
#define NAT_MAX_FORWARDS 64
#define NAT_FRAGS 1024			/* per worker, direct mapped */
#define NAT_FRAG_OWNERS 4096		/* shared, several workers */
#define NAT_REAP_PER_POLL 64
#define NAT_REAP_EVERY_US 50		/* at most one reaping step per 50 us:
					 * 1.28 M mappings/s looked at, a whole
					 * table of 65536 in 51 ms */

/* ---- configuration ---- */

struct nat_uplink_conf {
	char uplink[NEP_NAME_MAX];
	int uplink_idx;			/* multihoming's slot */
	unsigned n_addrs;
	uint32_t addrs[NAT_MAX_ADDRS];	/* host order */
	/* ipv4: dhcp, default pool: addrs are the lease's (none before
	 * one), and may change on reload */
	bool learnt;
};

enum nat_fwd_kind { NAT_FWD_PORT, NAT_FWD_ONE_TO_ONE };

struct nat_forward_conf {
	char name[NEP_NAME_MAX];
	enum nat_fwd_kind kind;
	unsigned n_uplinks;		/* 0: every NAT uplink */
	int uplinks[NAT_MAX_UPLINKS];	/* indices into nat44.uplinks */
	uint8_t proto;			/* port forward: TCP or UDP */
	uint16_t port, to_port;		/* port forward */
	uint32_t public_addr;		/* 1:1 (0: the uplink's first) */
	uint32_t to;			/* inside host */
};

struct nat_config {
	bool enabled;
	unsigned n_uplinks;
	struct nat_uplink_conf uplinks[NAT_MAX_UPLINKS];
	enum nep_nat44_filtering filtering;
	struct nep_nat44_timeouts timeouts;
	uint32_t block_size;
	uint32_t max_per_host;
	uint32_t max_sessions;		/* per worker */
	unsigned n_forwards;
	struct nat_forward_conf forwards[NAT_MAX_FORWARDS];
	/* mapping log: "" none, "syslog", else a file path */
	char log[256];
};

extern int nat_config_section_id;

static inline const struct nat_config *
nat_conf(const struct nep_config *cfg)
{
	return (const struct nat_config *)nep_config_section(cfg,
		nat_config_section_id);
}

/* ---- snapshot ---- */

struct nat_uplink {
	uint8_t used;
	uint8_t n_addrs;
	uint32_t addrs[NAT_MAX_ADDRS];	/* host order */
	/* pools[a][p]: address a, protocol p (0 TCP, 1 UDP, 2 ICMP) */
	uint16_t pool[NAT_MAX_ADDRS][3];
};

struct nat_forward {
	uint8_t kind, proto;
	uint16_t port, to_port;
	uint32_t public_addr, to;
	uint32_t uplinks;		/* bit = multihoming slot */
};

struct nat_snap {
	bool enabled;
	uint8_t filtering;
	uint32_t max_per_host;
	struct nep_nat44_timeouts timeouts;
	uint64_t timeout_tsc[NEP_NAT44_TCP_MAX + 3];	/* see nat_timeout */
	/* by multihoming's uplink slot */
	struct nat_uplink up[NAT_MAX_UPLINKS];
	/* every public address (for the inbound check) */
	unsigned n_public;
	uint32_t public[NAT_MAX_UPLINKS * NAT_MAX_ADDRS];
	unsigned n_forwards;
	struct nat_forward forwards[NAT_MAX_FORWARDS];
};

/* ---- per worker ---- */

/* Outbound key: the inside endpoint on one uplink (EIM, RFC 4787 REQ-1). */
struct nat_out_key {
	uint32_t addr;
	uint16_t port;
	uint8_t proto;
	uint8_t uplink;
};

/* Inbound key: the public endpoint (nep_nat44_key). */

struct nat_map {
	uint32_t in_addr, pub_addr;	/* host order */
	uint16_t in_port, pub_port;
	uint8_t proto, uplink, tcp_state, used;
	uint16_t pool;
	uint16_t pad;
	uint64_t last_tsc;
	uint64_t created_tsc;
	uint64_t pkts_out, pkts_in;
	struct nep_nat44_remotes remotes;
};

struct nat_frag {
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto, used;
	uint32_t new_addr;		/* the address the first one got */
	uint64_t tsc;
};

struct nat_stats {
	uint64_t created, expired, out_pkts, in_pkts, icmp_errors;
	uint64_t forwards_in, frags;
	uint64_t alloc_failed[3];	/* no port, per protocol */
} __rte_cache_aligned;

/* An inbound translation decided by ingress, done by the output stage. */
struct nat_pending {
	uint8_t kind, snat;
	uint16_t d_port, s_port;
	uint32_t d_addr, s_addr;
};

/* A mapping created or expired, for the mapping log. */
struct nat_log_ev {
	uint64_t wall_ms;
	uint32_t in_addr, pub_addr;
	uint16_t in_port, pub_port;
	uint8_t proto, uplink, created, pad;
};

#define NAT_LOG_RING 4096

struct nat_worker {
	struct rte_ring *log;		/* worker -> control, when logging */
	uint64_t log_lost;
	struct rte_hash *out;		/* nat_out_key -> map index */
	struct rte_hash *in;		/* nep_nat44_key -> map index */
	struct nat_map *maps;		/* max_sessions */
	uint32_t n_maps, cap;
	uint32_t *free_list;
	uint32_t n_free;
	uint32_t reap_pos;
	uint64_t reap_tsc;		/* the last reaping step */
	uint64_t reap_every_tsc;	/* NAT_REAP_EVERY_US */
	struct nep_nat44_hosts *hosts;
	struct nep_nat44_ports *ports[NAT_MAX_POOLS];
	struct nat_frag frags[NAT_FRAGS];
	struct nat_stats stats;
	struct nat_pending pending;	/* the packet at hand's */
	uint32_t flush;			/* clear nat44 sessions: set by the
					 * control lcore, done by the worker */
};

/* Pools: shared by the workers, kept for the appliance's lifetime. */
struct nat_ctl {
	FILE *log_file;			/* the mapping log, NULL: none */
	bool log_syslog;
	uint64_t logged;
	unsigned n_pools;
	bool made;			/* the first snapshot's pools exist */
	struct nep_nat44_pool *pools[NAT_MAX_POOLS];
	uint32_t pool_addr[NAT_MAX_POOLS];
	uint8_t pool_proto[NAT_MAX_POOLS];
	uint8_t pool_uplink[NAT_MAX_POOLS];
	struct nat_stats base;		/* clear stats */
	/* Several workers: which worker translated the first fragment of
	 * an inbound datagram, so its later fragments are handed there.
	 * Direct mapped, one 64-bit word a slot (a tag of the datagram's
	 * key, the owner + 1), stored and loaded whole: any worker writes
	 * without a lock; a clash misdirects a later fragment, which the
	 * exact check of the per-worker table then drops. NULL with one
	 * worker. */
	uint64_t *frag_owner;
};

extern struct nep_feature nep_nat_feature;
extern struct nat_ctl nat_ctl_state;
extern unsigned nat_drop_rc[NEP_NAT44_RC_MAX];

static inline struct nat_snap *
NAT_SNAP(const struct nep_snapshot *s)
{
	return (struct nat_snap *)s->feat[nep_nat_feature.id];
}

static inline struct nat_worker *
NAT_W(const struct nep_worker *w)
{
	return (struct nat_worker *)w->feat[nep_nat_feature.id];
}

static inline unsigned
nat_proto_index(uint8_t proto)
{
	return proto == NEP_NAT44_PROTO_TCP ? 0 :
	       proto == NEP_NAT44_PROTO_UDP ? 1 : 2;
}

/* Idle timeout of a mapping in TSC cycles. */
static inline uint64_t
nat_timeout(const struct nat_snap *ns, uint8_t proto, uint8_t tcp_state)
{
	if (proto == NEP_NAT44_PROTO_TCP)
		return ns->timeout_tsc[tcp_state];
	return ns->timeout_tsc[NEP_NAT44_TCP_MAX + (proto ==
		NEP_NAT44_PROTO_UDP ? 0 : 1)];
}

/* stages.c */
void nat_register_datapath(void);
nep_verdict_t nat_ingress(struct nep_pctx *c, struct rte_mbuf *m);
nep_verdict_t nat_xlat4(struct nep_pctx *c, struct rte_mbuf *m,
	unsigned uplink, uint32_t *cookie);
bool nat_fast_out(const struct nep_snapshot *s, struct nep_worker *w,
	uint8_t *ip, unsigned uplink, uint32_t cookie, uint64_t now);
void nat_worker_poll(struct nep_worker *w, uint64_t now_tsc);
/* Every worker's share of pool p (made after the workers were). */
int nat_worker_add_pool(struct nep_app *app, unsigned p);
int nat_worker_init(struct nep_app *app, struct nep_worker *w,
	const struct nat_config *nc);

/* snapshot.c */
int nat_snapshot_build(struct nep_app *app, struct nep_snapshot *s,
	char *err, size_t errlen);
void nat_snapshot_free(struct nep_snapshot *s);

/* log.c */
int nat_log_open(struct nep_app *app, const struct nat_config *nc);
void nat_log_run(struct nep_app *app, uint64_t now_ns);
void nat_log_close(struct nep_app *app);

/* commands.c */
void nat_commands(struct nep_app *app, struct nep_dispatch *d);
void nat_stats_json(struct nep_app *app, json_t *obj);

#endif /* NEP_NAT44_FEATURE_H */
