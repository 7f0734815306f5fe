/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "nep_route.h"

/*
 * tbl8 groups (256 next hops of 2 bytes each) for prefixes longer than
 * /24: one per IPv4 prefix, (len - 24) / 8 per IPv6 one. The main table
 * gets many; a VRF's fast tables few (docs/architecture.md has the memory
 * of each).
 */
#define NEP_FIB_TBL8 (1u << 14)
#define NEP_FIB_VRF_TBL8 2048

static void
prefix_of(const struct nep_ifaddr *ia, struct nep_prefix *p)
{
	unsigned bytes = ia->addr.family == AF_INET ? 4 : 16, i;

	p->addr = ia->addr;
	p->len = ia->len;
	for (i = 0; i < bytes; i++) {
		int keep = (int)ia->len - (int)(i * 8);
		if (keep >= 8)
			continue;
		p->addr.a[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

int
nep_rib_onlink_port_table(const struct nep_config *cfg, unsigned table,
	const struct nep_addr *a)
{
	unsigned i, j;

	for (i = 0; i < cfg->n_ports; i++) {
		if (cfg->ports[i].vrf != table)
			continue;
		for (j = 0; j < cfg->ports[i].n_addrs; j++) {
			struct nep_prefix p;
			if (cfg->ports[i].addrs[j].addr.family != a->family)
				continue;
			prefix_of(&cfg->ports[i].addrs[j], &p);
			if (nep_prefix_contains(&p, a))
				return (int)i;
		}
	}
	return -1;
}

int
nep_rib_onlink_port(const struct nep_config *cfg, const struct nep_addr *a)
{
	return nep_rib_onlink_port_table(cfg, 0, a);
}

static int
fib_add(struct nep_rib *rib, const struct nep_prefix *p, uint64_t nh)
{
	if (p->addr.family == AF_INET) {
		uint32_t v = (uint32_t)p->addr.a[0] << 24 |
			(uint32_t)p->addr.a[1] << 16 |
			(uint32_t)p->addr.a[2] << 8 | p->addr.a[3];
		return rte_fib_add(rib->fib4, v, p->len, nh);
	}
	return rte_fib6_add(rib->fib6, p->addr.a, p->len, nh);
}

static int
add_route(struct nep_rib *rib, unsigned max, const struct nep_route_entry *e,
	uint64_t nh, char *err, size_t errlen)
{
	char buf[64];
	int rc;

	if (rib->n_routes >= max) {
		snprintf(err, errlen, "too many routes");
		return -1;
	}
	rc = fib_add(rib, &e->prefix, nh);
	if (rc < 0) {
		snprintf(err, errlen, "route %s: %s",
			nep_prefix_str(&e->prefix, buf, sizeof(buf)),
			rte_strerror(-rc));
		return -1;
	}
	rib->routes[rib->n_routes++] = *e;
	return 0;
}

int
nep_rib_build_table(struct nep_rib *rib, const struct nep_config *cfg,
	const uint16_t *port_ids, unsigned table, uint64_t name_id, char *err,
	size_t errlen)
{
	const bool compact = table != 0 && cfg->vrfs[table].compact;
	struct rte_fib_conf c4 = { 0 };
	struct rte_fib6_conf c6 = { 0 };
	char name[48];
	unsigned i, j, max;

	memset(rib, 0, sizeof(*rib));
	rib->table = table;
	max = cfg->n_routes + 2 * NEP_MAX_PORTS * NEP_MAX_ADDRS + 16 +
		NEP_RIB_FEATURE_ROUTES;
	rib->max_routes = max;

	/* compact: the lookups walk the rte_rib tree (no tbl24). */
	c4.type = compact ? RTE_FIB_DUMMY : RTE_FIB_DIR24_8;
	c4.default_nh = NEP_NH_NONE;
	c4.max_routes = (int)max;
	c4.dir24_8.nh_sz = RTE_FIB_DIR24_8_2B;
	c4.dir24_8.num_tbl8 = table == 0 ? NEP_FIB_TBL8 / 4 :
					   NEP_FIB_VRF_TBL8 / 4;
	if (table == 0)
		snprintf(name, sizeof(name), "nep_fib4_%" PRIu64, name_id);
	else
		snprintf(name, sizeof(name), "nep_fib4_%" PRIu64 "_%u", name_id,
			table);
	rib->fib4 = rte_fib_create(name, SOCKET_ID_ANY, &c4);
	if (rib->fib4 == NULL) {
		snprintf(err, errlen, "cannot allocate the IPv4 FIB (%u routes): "
			"%s", max, rte_strerror(rte_errno));
		goto fail;
	}

	c6.type = compact ? RTE_FIB6_DUMMY : RTE_FIB6_TRIE;
	c6.default_nh = NEP_NH_NONE;
	c6.max_routes = (int)max;
	c6.trie.nh_sz = RTE_FIB6_TRIE_2B;
	c6.trie.num_tbl8 = table == 0 ? NEP_FIB_TBL8 : NEP_FIB_VRF_TBL8;
	if (table == 0)
		snprintf(name, sizeof(name), "nep_fib6_%" PRIu64, name_id);
	else
		snprintf(name, sizeof(name), "nep_fib6_%" PRIu64 "_%u", name_id,
			table);
	rib->fib6 = rte_fib6_create(name, SOCKET_ID_ANY, &c6);
	if (rib->fib6 == NULL) {
		snprintf(err, errlen, "cannot allocate the IPv6 FIB (%u routes): "
			"%s", max, rte_strerror(rte_errno));
		goto fail;
	}
	rib->nh = calloc(cfg->n_routes + 1, sizeof(*rib->nh));
	rib->routes = calloc(max, sizeof(*rib->routes));
	if (rib->nh == NULL || rib->routes == NULL) {
		snprintf(err, errlen, "cannot allocate the route table: out of "
			"memory");
		goto fail;
	}

	/* Connected prefixes first, then our own addresses as host routes:
	 * of the ports in this table only. */
	for (i = 0; i < cfg->n_ports; i++) {
		if (cfg->ports[i].vrf != table)
			continue;
		for (j = 0; j < cfg->ports[i].n_addrs; j++) {
			const struct nep_ifaddr *ia = &cfg->ports[i].addrs[j];
			struct nep_route_entry e = { 0 };
			unsigned full = ia->addr.family == AF_INET ? 32 : 128;

			e.port = port_ids[i];
			e.cfg_port = (int)i;
			e.type = NEP_RT_CONNECTED;
			prefix_of(ia, &e.prefix);
			if (ia->len < full &&
				add_route(rib, max, &e,
					nep_nh_make(NEP_NH_CONNECTED, port_ids[i]),
					err, errlen) < 0)
				goto fail;
			e.type = NEP_RT_LOCAL;
			e.prefix.addr = ia->addr;
			e.prefix.len = (uint8_t)full;
			if (add_route(rib, max, &e,
				    nep_nh_make(NEP_NH_LOCAL, port_ids[i]),
				    err, errlen) < 0)
				goto fail;
		}
	}

	for (i = 0; i < cfg->n_routes; i++) {
		const struct nep_route_conf *r = &cfg->routes[i];
		struct nep_route_entry e = { 0 };
		uint64_t nh;
		char buf[64], gw[64];
		int p = r->port;

		if (r->table != table)
			continue;
		e.prefix = r->prefix;
		e.type = NEP_RT_STATIC;
		e.via = r->via;
		if (r->via.family == 0) {
			/* On-link route through a named port. */
			e.port = port_ids[p];
			e.cfg_port = p;
			nh = nep_nh_make(NEP_NH_CONNECTED, port_ids[p]);
		} else {
			if (p < 0)
				p = nep_rib_onlink_port_table(cfg, table,
					&r->via);
			if (p < 0) {
				snprintf(err, errlen,
					"route %s: gateway %s is not on any "
					"connected prefix",
					nep_prefix_str(&r->prefix, buf, 64),
					nep_addr_str(&r->via, gw, sizeof(gw)));
				goto fail;
			}
			struct nep_nexthop *n = &rib->nh[rib->n_nh];
			n->port = port_ids[p];
			n->family = r->via.family == AF_INET ? 4 : 6;
			memcpy(n->gw, r->via.a, 16);
			e.port = port_ids[p];
			e.cfg_port = p;
			nh = nep_nh_make(NEP_NH_GATEWAY, rib->n_nh++);
		}
		if (add_route(rib, max, &e, nh, err, errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	nep_rib_free(rib);
	return -1;
}

int
nep_rib_build(struct nep_rib *rib, const struct nep_config *cfg,
	const uint16_t *port_ids, uint64_t name_id, char *err, size_t errlen)
{
	return nep_rib_build_table(rib, cfg, port_ids, 0, name_id, err,
		errlen);
}

int
nep_rib_add_feature(struct nep_rib *rib, const struct nep_prefix *p,
	uint32_t index, char *err, size_t errlen)
{
	struct nep_route_entry e = { 0 };
	char buf[64];

	if (index > NEP_NH_INDEX_MASK) {
		snprintf(err, errlen, "route index %u out of range", index);
		return -1;
	}
	for (unsigned i = 0; i < rib->n_routes; i++)
		if (rib->routes[i].prefix.len == p->len &&
			rib->routes[i].prefix.addr.family == p->addr.family &&
			memcmp(rib->routes[i].prefix.addr.a, p->addr.a, 16) == 0) {
			snprintf(err, errlen, "route %s: already routed",
				nep_prefix_str(p, buf, sizeof(buf)));
			return -1;
		}
	e.prefix = *p;
	e.type = NEP_RT_FEATURE;
	e.cfg_port = -1;
	return add_route(rib, rib->max_routes, &e,
		nep_nh_make(NEP_NH_FEATURE, index), err, errlen);
}

void
nep_rib_free(struct nep_rib *rib)
{
	rte_fib_free(rib->fib4);
	rte_fib6_free(rib->fib6);
	free(rib->nh);
	free(rib->routes);
	memset(rib, 0, sizeof(*rib));
}
