/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT44 part of a snapshot: per multihoming uplink slot, its public
 * addresses and their pools; the inbound rules. The pools themselves (one
 * per public address and protocol) are created with the first snapshot
 * and live as long as the appliance: a reload cannot change them
 * (tunnel.c refuses it), so workers never see a pool go away.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "mh_config.h"
#include "nat44.h"

static const uint8_t protos[3] = { NEP_NAT44_PROTO_TCP, NEP_NAT44_PROTO_UDP,
	NEP_NAT44_PROTO_ICMP };

/* A 1:1 mapping's public address is not in the dynamic pools. */
static bool
one_to_one_addr(const struct nat_config *nc, uint32_t a)
{
	for (unsigned i = 0; i < nc->n_forwards; i++)
		if (nc->forwards[i].kind == NAT_FWD_ONE_TO_ONE &&
			nc->forwards[i].public_addr == a)
			return true;
	return false;
}

static int
pool_find(uint32_t addr, uint8_t proto)
{
	const struct nat_ctl *ct = &nat_ctl_state;

	for (unsigned i = 0; i < ct->n_pools; i++)
		if (ct->pool_addr[i] == addr && ct->pool_proto[i] == proto)
			return (int)i;
	return -1;
}

/* The pools of one public address of uplink uc. */
static int
make_addr_pools(struct nep_app *app, const struct nat_config *nc,
	const struct nat_uplink_conf *uc, unsigned a, char *err, size_t errlen)
{
	struct nat_ctl *ct = &nat_ctl_state;

			for (unsigned p = 0; p < 3; p++) {
				struct nep_nat44_pool *pool;

				if (ct->n_pools >= NAT_MAX_POOLS) {
					snprintf(err, errlen, "nat44: too many "
						"pools");
					return -1;
				}
				pool = rte_zmalloc("nat44_pool", sizeof(*pool),
					RTE_CACHE_LINE_SIZE);
				if (pool == NULL || nep_nat44_pool_init(pool,
					    uc->addrs[a], protos[p],
					    nc->block_size) != NEP_NAT44_OK) {
					rte_free(pool);
					snprintf(err, errlen, "nat44: cannot "
						"create a port pool");
					return -1;
				}
				for (unsigned f = 0; f < nc->n_forwards; f++) {
					const struct nat_forward_conf *fw =
						&nc->forwards[f];
					if (fw->kind == NAT_FWD_PORT &&
						fw->proto == protos[p])
						nep_nat44_pool_reserve(pool,
							fw->port);
				}
				ct->pools[ct->n_pools] = pool;
				ct->pool_addr[ct->n_pools] = uc->addrs[a];
				ct->pool_proto[ct->n_pools] = protos[p];
				ct->pool_uplink[ct->n_pools] =
					(uint8_t)uc->uplink_idx;
				/* workers running: their share of it before
				 * a snapshot names it */
				if (ct->made && nat_worker_add_pool(app,
						ct->n_pools) < 0) {
					snprintf(err, errlen, "nat44: out of "
						"memory for a new pool");
					return -1;
				}
				ct->n_pools++;
			}
	return 0;
}

/* The pools of the first configuration, with its port forwards kept out
 * of dynamic allocation. */
static int
make_pools(struct nep_app *app, const struct nat_config *nc, char *err,
	size_t errlen)
{
	for (unsigned u = 0; u < nc->n_uplinks; u++) {
		const struct nat_uplink_conf *uc = &nc->uplinks[u];

		for (unsigned a = 0; a < uc->n_addrs; a++)
			if (!one_to_one_addr(nc, uc->addrs[a]) &&
				make_addr_pools(app, nc, uc, a, err, errlen) < 0)
				return -1;
	}
	return 0;
}

int
nat_snapshot_build(struct nep_app *app, struct nep_snapshot *s, char *err,
	size_t errlen)
{
	const struct nat_config *nc = nat_conf(s->cfg);
	struct nat_snap *ns = rte_zmalloc("nat44_snap", sizeof(*ns),
		RTE_CACHE_LINE_SIZE);
	uint64_t hz = app->tsc_hz;

	if (ns == NULL) {
		snprintf(err, errlen, "nat44: out of memory");
		return -1;
	}
	s->feat[nep_nat_feature.id] = ns;
	ns->enabled = nc->enabled;
	if (!ns->enabled)
		return 0;
	if (!nat_ctl_state.made && make_pools(app, nc, err, errlen) < 0)
		return -1;
	nat_ctl_state.made = true;
	ns->filtering = (uint8_t)nc->filtering;
	ns->max_per_host = nc->max_per_host;
	ns->timeouts = nc->timeouts;
	for (unsigned st = 0; st < NEP_NAT44_TCP_MAX; st++)
		ns->timeout_tsc[st] = (uint64_t)nep_nat44_timeout((uint8_t)st,
			NEP_NAT44_PROTO_TCP, &nc->timeouts) * hz;
	ns->timeout_tsc[NEP_NAT44_TCP_MAX] = (uint64_t)nc->timeouts.udp * hz;
	ns->timeout_tsc[NEP_NAT44_TCP_MAX + 1] = (uint64_t)nc->timeouts.icmp *
		hz;
	for (unsigned u = 0; u < nc->n_uplinks; u++) {
		const struct nat_uplink_conf *uc = &nc->uplinks[u];
		struct nat_uplink *up = &ns->up[uc->uplink_idx];

		up->used = 1;
		for (unsigned a = 0; a < uc->n_addrs; a++) {
			if (ns->n_public < RTE_DIM(ns->public))
				ns->public[ns->n_public++] = uc->addrs[a];
			if (one_to_one_addr(nc, uc->addrs[a]))
				continue;
			for (unsigned p = 0; p < 3; p++) {
				int pi = pool_find(uc->addrs[a], protos[p]);

				/* A new lease: its pools are made now and
				 * kept (workers never see one go away). */
				if (pi < 0 && uc->learnt && p == 0 &&
					make_addr_pools(app, nc, uc, a, err,
						errlen) == 0)
					pi = pool_find(uc->addrs[a], protos[p]);
				if (pi < 0) {
					snprintf(err, errlen, "nat44: the pools "
						"changed: needs a restart");
					return -1;
				}
				up->pool[up->n_addrs][p] = (uint16_t)pi;
			}
			up->addrs[up->n_addrs++] = uc->addrs[a];
		}
	}
	for (unsigned f = 0; f < nc->n_forwards; f++) {
		const struct nat_forward_conf *fc = &nc->forwards[f];
		struct nat_forward *fw = &ns->forwards[ns->n_forwards++];

		fw->kind = (uint8_t)fc->kind;
		fw->proto = fc->proto;
		fw->port = fc->port;
		fw->to_port = fc->to_port;
		fw->public_addr = fc->public_addr;
		fw->to = fc->to;
		if (fc->n_uplinks == 0) {
			for (unsigned u = 0; u < nc->n_uplinks; u++)
				fw->uplinks |= 1u << nc->uplinks[u].uplink_idx;
		} else {
			for (unsigned u = 0; u < fc->n_uplinks; u++)
				fw->uplinks |= 1u <<
					nc->uplinks[fc->uplinks[u]].uplink_idx;
		}
	}
	return 0;
}

void
nat_snapshot_free(struct nep_snapshot *s)
{
	struct nat_snap *ns = NAT_SNAP(s);

	rte_free(ns);
	s->feat[nep_nat_feature.id] = NULL;
}
