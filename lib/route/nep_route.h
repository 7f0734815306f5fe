/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing information base: IPv4 and IPv6 longest-prefix match with
 * rte_fib (DIR24_8) and rte_fib6 (TRIE). Built by the control lcore from
 * the configuration (connected, local and static routes) and published
 * inside a configuration snapshot; workers only look up.
 */
#ifndef NEP_ROUTE_H
#define NEP_ROUTE_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_fib.h>
#include <rte_fib6.h>

#include "nep_config.h"

/*
 * A FIB value packs the next-hop kind (3 bits) and an index (12 bits)
 * into 15 bits: the 2-byte next-hop width keeps the tables at 32 MiB
 * instead of 64, and rte_fib6's trie keeps the top bit for itself.
 */
#define NEP_NH_KIND_SHIFT 12
#define NEP_NH_INDEX_MASK ((1u << NEP_NH_KIND_SHIFT) - 1)
enum nep_nh_kind {
	NEP_NH_NONE = 0,	/* no route */
	NEP_NH_LOCAL = 1,	/* one of our addresses: index = interface id */
	NEP_NH_CONNECTED = 2,	/* on-link: index = interface id, neighbour
				 * = dst */
	NEP_NH_GATEWAY = 3,	/* index into rib->nh[] */
	NEP_NH_FEATURE = 4,	/* a feature's route (an overlay): its index */
};

static inline enum nep_nh_kind
nep_nh_kind(uint64_t v)
{
	return (enum nep_nh_kind)(v >> NEP_NH_KIND_SHIFT);
}

static inline uint32_t
nep_nh_index(uint64_t v)
{
	return (uint32_t)(v & NEP_NH_INDEX_MASK);
}

static inline uint64_t
nep_nh_make(enum nep_nh_kind k, uint32_t index)
{
	return ((uint64_t)k << NEP_NH_KIND_SHIFT) | index;
}

/*
 * Interfaces are named by a 16-bit interface id (the caller's: neptune
 * uses the DPDK port id of a physical port and RTE_MAX_ETHPORTS + index
 * for a VLAN sub-interface), in FIB values, next hops and neighbour keys.
 */
struct nep_nexthop {
	uint16_t port;		/* interface id */
	uint8_t family;
	uint8_t gw[16];		/* IPv4 in gw[0..3] */
};

enum nep_route_type { NEP_RT_LOCAL, NEP_RT_CONNECTED, NEP_RT_STATIC,
	NEP_RT_FEATURE };

struct nep_route_entry {
	struct nep_prefix prefix;
	enum nep_route_type type;
	struct nep_addr via;	/* family 0 when none */
	uint16_t port;		/* interface id */
	int cfg_port;		/* index in cfg->ports */
};

struct nep_rib {
	unsigned table;		/* the VRF it was built for, 0: main */
	struct rte_fib *fib4;
	struct rte_fib6 *fib6;
	unsigned n_nh;
	struct nep_nexthop *nh;
	unsigned n_routes;
	unsigned max_routes;
	struct nep_route_entry *routes;
};

/* Room a rib keeps for feature routes beyond the configuration's. */
#define NEP_RIB_FEATURE_ROUTES 1024

/*
 * Build table `table` (cfg->vrfs[table]) from cfg: the connected and local
 * routes of the ports in that table, and its static routes (gateways
 * resolve on its ports only). port_ids[i] is the interface id of
 * cfg->ports[i]; name_id makes the DPDK table names unique (the
 * snapshot's generation: two ribs live at once during a reload). Table 0
 * gets large tbl8 pools; a VRF's are small, or, with fib: compact, no
 * DIR24_8/TRIE at all (lookups walk rte_rib). Returns 0, or -1 with a
 * message in err (e.g. an unreachable gateway).
 */
int nep_rib_build_table(struct nep_rib *rib, const struct nep_config *cfg,
	const uint16_t *port_ids, unsigned table, uint64_t name_id, char *err,
	size_t errlen);

/* The main table (0). */
int nep_rib_build(struct nep_rib *rib, const struct nep_config *cfg,
	const uint16_t *port_ids, uint64_t name_id, char *err, size_t errlen);
void nep_rib_free(struct nep_rib *rib);

/* The index of a feature's route: the feature id and its own number. */
#define NEP_NH_FEATURE_BITS 9
#define NEP_NH_FEATURE_MAX (1u << NEP_NH_FEATURE_BITS)	/* routes each */
#define NEP_NH_FEATURE_INDEX(fid, r) ((uint32_t)(fid) << NEP_NH_FEATURE_BITS | (r))
#define NEP_NH_FEATURE_OWNER(idx) ((idx) >> NEP_NH_FEATURE_BITS)
#define NEP_NH_FEATURE_ROUTE(idx) ((idx) & (NEP_NH_FEATURE_MAX - 1))

/*
 * A feature's route (NEP_NH_FEATURE, NEP_NH_FEATURE_INDEX()), added to a rib that is
 * not yet published. A prefix the rib already routes is refused (-1 with
 * err): a feature never shadows a connected or configured route.
 */
int nep_rib_add_feature(struct nep_rib *rib, const struct nep_prefix *p,
	uint32_t index, char *err, size_t errlen);

static inline uint64_t
nep_rib_lookup6(const struct nep_rib *rib, const uint8_t *addr)
{
	uint64_t nh = 0;
	uint8_t a[1][16];

	memcpy(a[0], addr, 16);
	rte_fib6_lookup_bulk(rib->fib6, a, &nh, 1);
	return nh;
}

/* addr_be: IPv4 address in network byte order. */
static inline uint64_t
nep_rib_lookup4(const struct nep_rib *rib, uint32_t addr_be)
{
	uint64_t nh = 0;
	uint32_t a = rte_be_to_cpu_32(addr_be);

	rte_fib_lookup_bulk(rib->fib4, &a, &nh, 1);
	return nh;
}

/*
 * The on-link next hop of a FIB value for destination dst: the destination
 * itself (connected) or the gateway, and in *port_id its interface id.
 * NULL for a local address or no route.
 */
static inline const uint8_t *
nep_rib_next_hop(const struct nep_rib *rib, uint64_t nh, const uint8_t *dst,
	uint16_t *port_id)
{
	switch (nep_nh_kind(nh)) {
	case NEP_NH_CONNECTED:
		*port_id = (uint16_t)nep_nh_index(nh);
		return dst;
	case NEP_NH_GATEWAY:
		*port_id = rib->nh[nep_nh_index(nh)].port;
		return rib->nh[nep_nh_index(nh)].gw;
	default:
		return NULL;
	}
}

/* Find the configured port of table whose connected prefix holds a (-1 if
 * none); nep_rib_onlink_port: of the main table. */
int nep_rib_onlink_port_table(const struct nep_config *cfg, unsigned table,
	const struct nep_addr *a);
int nep_rib_onlink_port(const struct nep_config *cfg, const struct nep_addr *a);

#endif /* NEP_ROUTE_H */
