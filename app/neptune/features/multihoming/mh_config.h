/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The multihoming feature's configuration: the top-level `uplinks:` and
 * `steering:` sections (docs/config.md), registered with lib/config by
 * config.c and parsed after the core's sections. Pure (no EAL): the unit
 * tests link config.c alone (tests/unit/test_mh_config.c).
 */
#ifndef NEP_MH_CONFIG_H
#define NEP_MH_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "nep_config.h"
#include "nep_config_section.h"
#include "nep_health.h"
#include "nep_policy.h"
#include "nep_uplink.h"

struct nep_uplink_conf {
	char name[NEP_NAME_MAX];
	int port;			/* index into cfg->ports[] */
	struct nep_addr next_hop;	/* IPv6 next hop (required) */
	struct nep_addr next_hop4;	/* IPv4 next hop, family 0 if none */
	struct nep_prefix delegated;	/* outside prefix for NPTv6 */
	enum nep_uplink_role role;
	uint32_t weight;		/* default 1; 0 = never balanced */
	struct nep_health_conf health;
};

/* Both sections; defaults when absent. */
struct mh_config {
	unsigned n_uplinks;
	struct nep_uplink_conf uplinks[NEP_MAX_UPLINKS];
	bool has_steering;		/* the file has a steering: section */
	struct nep_steering_conf steering; /* inside, excluded, policies */
	uint32_t flow_timeout_s;	/* steering.flow_timeout_s, default 30 */
	uint32_t flow_fin_timeout_s;	/* default 5, after TCP FIN or RST */
	uint32_t flow_table_size;	/* default 1048576 */
	/* steering.published: inside IPv6 hosts reachable from outside
	 * (show published lists their address on every uplink) */
	unsigned n_published;
	struct nep_addr published[NEP_MAX_PREFIXES];
};

/* Section id of `uplinks:`, whose object is the struct mh_config. */
extern int mh_config_section_id;

/*
 * The feature's part of a loaded configuration (never NULL for a config
 * loaded with config.c linked in).
 */
static inline const struct mh_config *
mh_conf(const struct nep_config *cfg)
{
	return (const struct mh_config *)nep_config_section(cfg,
		mh_config_section_id);
}

/* Index of an uplink by name, -1 if absent. */
int mh_config_uplink_index(const struct mh_config *mc, const char *name);

#endif /* NEP_MH_CONFIG_H */
