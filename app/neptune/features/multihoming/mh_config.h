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

/* How an uplink's WAN address, prefix and IPv4 are obtained. */
enum nep_uplink_addr_mode {
	NEP_ADDR_STATIC = 0,		/* the port's configured addresses */
	NEP_ADDR_SLAAC = 1,		/* from the ISP's RAs */
	NEP_ADDR_DHCPV6 = 2,		/* IA_NA */
};

/* What a provisioned uplink still waits for (nep_uplink_conf.pending):
 * while any is missing, it carries no IPv6 flow. */
#define NEP_PENDING_PREFIX 0x1		/* no delegated prefix yet */
#define NEP_PENDING_ADDRESS 0x2		/* no WAN IPv6 address yet */
#define NEP_PENDING_ROUTER 0x4		/* no default router yet */

struct nep_uplink_conf {
	char name[NEP_NAME_MAX];
	int port;			/* index into cfg->ports[] */
	struct nep_addr next_hop;	/* IPv6 next hop (required unless
					 * learnt; family 0 until then) */
	struct nep_addr next_hop4;	/* IPv4 next hop, family 0 if none */
	struct nep_prefix delegated;	/* outside prefix for NPTv6 (len 0:
					 * not delegated yet) */
	/* Provisioning (docs/provisioning.md): delegated_prefix: dhcpv6-pd,
	 * address: slaac | dhcpv6, ipv4: dhcp */
	bool pd;			/* delegated by DHCPv6-PD */
	uint8_t prefix_hint;		/* IA_PD length hint, 0: none */
	uint32_t pd_subnet;		/* which /64 of the delegated prefix */
	struct nep_prefix pd_prefix;	/* the whole delegated one (len 0:
					 * none) */
	enum nep_uplink_addr_mode addr_mode;
	bool ipv4_dhcp;			/* ipv4: dhcp */
	bool next_hop_learnt;		/* next_hop not in the file */
	uint8_t pending;		/* NEP_PENDING_* */
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

/* The /64 number subnet of a delegated prefix pd (at most /64); -1 when
 * subnet does not fit in it. */
int mh_pd_subnet(const struct nep_prefix *pd, uint32_t subnet,
	struct nep_prefix *out);

/* Index of an uplink by name, -1 if absent. */
int mh_config_uplink_index(const struct mh_config *mc, const char *name);

#endif /* NEP_MH_CONFIG_H */
