/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ILNP through neptune (docs/ilnp.md; pure parts in lib/ilnp). ILNP
 * packets (a Nonce option in a Destination Options header) are never
 * stripped, reordered or "fixed"; where NPTv6 translates them, the
 * `aware` mode rewrites the locator (upper 64 bits) alone, so the Node
 * Identifier and every checksum stay as the host wrote them, and the
 * Locator Updates inside hosts send list the outside locators of the
 * uplinks they may use. A policy may spread an ILNP flow's packets over
 * its uplinks by bytes (multipath: drr).
 *
 *   config.c    the `ilnp:` section
 *   ilnp.c      registration, snapshot (per-policy modes)
 *   stages.c    multihoming's ILNP hooks (nep_mh_ilnp_ops): pick, snpt,
 *               dnpt, and the output-stage rewrite of inbound ones
 *   commands.c  show ilnp
 */
#ifndef NEP_ILNP_FEATURE_H
#define NEP_ILNP_FEATURE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "neptune.h"
#include "nep_config.h"
#include "nep_config_section.h"
#include "nep_ilnp.h"
#include "nep_uplink.h"

#define ILNP_MAX_POLICIES 32
#define ILNP_DRR_SLOTS 4096		/* per worker, direct mapped by flow */

enum ilnp_mode { ILNP_AWARE = 0, ILNP_TRANSPARENT = 1 };

struct ilnp_policy_conf {
	char policy[NEP_NAME_MAX];
	uint32_t index;			/* the classifier's: policy + 1 */
	enum ilnp_mode mode;
	bool multipath;			/* drr */
};

struct ilnp_config {
	enum ilnp_mode mode;		/* the default */
	bool lu_rewrite;
	unsigned n_policies;
	struct ilnp_policy_conf policies[ILNP_MAX_POLICIES];
};

extern int ilnp_config_section_id;

static inline const struct ilnp_config *
ilnp_conf(const struct nep_config *cfg)
{
	return (const struct ilnp_config *)nep_config_section(cfg,
		ilnp_config_section_id);
}

/* How one packet is handled, decided by pick() for snpt(). */
struct ilnp_pkt {
	bool ilnp;			/* a nonce was found */
	bool aware;
	uint32_t policy;		/* the flow's (outbound) */
	struct nep_ilnp_info ii;
};

struct ilnp_stats {
	uint64_t pkts_out, pkts_in;		/* ILNP packets seen */
	uint64_t aware_out, aware_in;		/* locator-only rewrites */
	uint64_t transparent;			/* left to NPTv6 */
	uint64_t lu_out, lu_in;			/* LUs seen */
	uint64_t lu_rewritten_out, lu_rewritten_in;
	uint64_t lu_unparsed;			/* another LU layout: as is */
	uint64_t lu_too_big;			/* no room: as is */
	uint64_t errors_in;			/* ICMPv6 errors about ILNP
						 * packets, translated back */
	uint64_t multipath_pkts[NEP_MAX_UPLINKS];
	uint64_t multipath_bytes[NEP_MAX_UPLINKS];
} __rte_cache_aligned;

struct ilnp_drr_slot {
	uint32_t pos;			/* the flow entry's position + 1 */
	struct nep_ilnp_drr d;
};

/* What a worker tells the control lcore about ILNP peers (peers.c). */
enum ilnp_ev_kind { ILNP_EV_SEEN = 0, ILNP_EV_ACK = 1 };

struct ilnp_ev {
	uint8_t host[16];		/* the inside host's address */
	uint8_t cn[16];			/* its correspondent's */
	uint8_t nonce[12];
	uint8_t nonce_len, kind;
	uint16_t pad;
	uint32_t policy;		/* the flow's */
};

#define ILNP_EV_RING 1024		/* per worker */
#define ILNP_SEEN_SLOTS 1024		/* per worker: one event a second
					 * per (host, correspondent) */

struct ilnp_seen {
	uint32_t tag;
	uint64_t tsc;
};

struct ilnp_worker {
	struct ilnp_stats stats;
	struct ilnp_pkt cur;		/* the packet at hand */
	struct rte_ring *ev;		/* -> control (SP/SC) */
	uint64_t ev_lost;
	uint64_t ev_every_tsc;
	struct ilnp_seen seen[ILNP_SEEN_SLOTS];
	struct ilnp_drr_slot drr[ILNP_DRR_SLOTS];
};

/*
 * An ILNP peer: an inside host and a correspondent it talks ILNP with,
 * learnt from its packets (the control lcore's table, peers.c). When the
 * uplinks its flows may use change, neptune sends the correspondent an LU
 * on the host's behalf (its NID, its nonce) listing their locators, every
 * second until an LU-ACK comes back, at most ILNP_LU_SENDS times.
 */
#define ILNP_MAX_PEERS 1024
#define ILNP_PEER_IDLE_MS 30000		/* ILNP's session timeout */
#define ILNP_LU_SENDS 6
#define ILNP_LU_EVERY_MS 1000
#define ILNP_LU_LIFETIME_S 30
#define ILNP_LU_PREFERENCE 10		/* the first locator's; + 1 each */

enum ilnp_lu_state { ILNP_LU_IDLE, ILNP_LU_SENDING, ILNP_LU_ACKED,
	ILNP_LU_FAILED };

struct ilnp_peer {
	bool used;
	uint8_t host[16], cn[16];
	uint8_t nonce[12], nonce_len;
	uint32_t policy;
	uint64_t first_ms, last_ms;
	/* the uplinks (ids, weights) last advertised or first seen */
	uint8_t n_adv, adv_id[NEP_MAX_UPLINKS];
	uint32_t adv_w[NEP_MAX_UPLINKS];
	enum ilnp_lu_state state;
	unsigned sends;
	uint64_t next_ms;
	uint64_t lus_sent, acks;
};

struct ilnp_ctl {
	struct ilnp_peer peers[ILNP_MAX_PEERS];
	unsigned n_peers;
	uint64_t peers_full, lu_sent, lu_failed, ev_in;
};

extern struct ilnp_ctl ilnp_ctl_state;

extern struct nep_feature nep_ilnp_feature;
extern unsigned ilnp_drop_lu_bad_checksum;

static inline struct ilnp_worker *
ILNP_W(const struct nep_worker *w)
{
	return (struct ilnp_worker *)w->feat[nep_ilnp_feature.id];
}

/* A policy's mode and multipath, from the running configuration. */
static inline const struct ilnp_policy_conf *
ilnp_policy(const struct ilnp_config *ic, uint32_t policy)
{
	for (unsigned i = 0; i < ic->n_policies; i++)
		if (ic->policies[i].index == policy)
			return &ic->policies[i];
	return NULL;
}

/* stages.c */
void ilnp_register_datapath(void);
void ilnp_trace_format(const struct nep_app *app,
	const struct nep_trace_rec *r, struct nep_buf *out);

/* peers.c */
void ilnp_peer_event(struct ilnp_worker *iw, uint64_t now_tsc,
	const uint8_t *host, const uint8_t *cn, const uint8_t *nonce,
	uint8_t nonce_len, uint32_t policy, enum ilnp_ev_kind kind);
void ilnp_peers_run(struct nep_app *app, uint64_t now_ns);

/* commands.c */
void ilnp_commands(struct nep_app *app, struct nep_dispatch *d);
void ilnp_stats_json(struct nep_app *app, json_t *obj);

#endif /* NEP_ILNP_FEATURE_H */
