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

struct ilnp_worker {
	struct ilnp_stats stats;
	struct ilnp_pkt cur;		/* the packet at hand */
	struct ilnp_drr_slot drr[ILNP_DRR_SLOTS];
};

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

/* commands.c */
void ilnp_commands(struct nep_app *app, struct nep_dispatch *d);
void ilnp_stats_json(struct nep_app *app, json_t *obj);

#endif /* NEP_ILNP_FEATURE_H */
