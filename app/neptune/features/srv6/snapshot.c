/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SRv6 part of a snapshot: the local SID table, the paths to every
 * remote site and their choice per flow bucket, the SR policies, and the
 * overlay routes added to the VRF tables (docs/srv6.md, "SID allocation"
 * and "Paths").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "mh_config.h"
#include "nep_control.h"
#include "nep_rendezvous.h"
#include "srv6.h"

bool
srv6_in_locator(const struct srv6_snap *ss, const uint8_t *a)
{
	struct nep_addr x = { .family = AF_INET6 };

	memcpy(x.a, a, 16);
	for (unsigned i = 0; i < ss->n_locators; i++)
		if (nep_prefix_contains(&ss->locators[i], &x))
			return true;
	return false;
}

/* The table of a VRF name (the core's vrfs; "default" is 0), -1. */
static int
vrf_table(const struct nep_config *cfg, const char *name)
{
	return nep_vrf_find(cfg, name);
}

static struct nep_rib *
vrf_rib(struct nep_snapshot *s, unsigned table)
{
	return nep_snap_rib_mut(s, table);
}

static int
add_sid(struct srv6_snap *ss, const uint8_t sid[16], enum srv6_behavior b,
	const char *vrf, int table, char *err, size_t errlen)
{
	char buf[64];
	struct srv6_sid *e;
	int32_t pos;

	if (table < 0) {
		snprintf(err, errlen, "srv6: SID %s: unknown VRF '%s'",
			inet_ntop(AF_INET6, sid, buf, sizeof(buf)), vrf);
		return -1;
	}
	if (ss->n_sids >= SRV6_MAX_SIDS_TABLE) {
		snprintf(err, errlen, "srv6: too many local SIDs (max %u)",
			SRV6_MAX_SIDS_TABLE);
		return -1;
	}
	if (srv6_sid_lookup(ss, sid) >= 0) {
		snprintf(err, errlen, "srv6: SID %s is allocated twice",
			inet_ntop(AF_INET6, sid, buf, sizeof(buf)));
		return -1;
	}
	pos = (int32_t)ss->n_sids;
	e = &ss->sid[pos];
	memset(e, 0, sizeof(*e));
	memcpy(e->sid, sid, 16);
	e->used = 1;
	e->behavior = (uint8_t)b;
	e->table = (uint8_t)table;
	e->neigh_pos = -1;
	e->overlay = -1;
	e->out_port = NEP_META_NO_PORT;
	snprintf(e->vrf, sizeof(e->vrf), "%s", vrf ? vrf : "");
	/* At most a quarter full: probing always ends on an empty slot. */
	unsigned sl = srv6_sid_slot(sid);
	while (ss->slot_idx[sl] >= 0)
		sl = (sl + 1) & (SRV6_SID_SLOTS - 1);
	ss->slot_idx[sl] = (int16_t)pos;
	ss->n_sids++;
	return (int)pos;
}

/* Stable 32-bit identity of a path (uplink, endpoint): the same flow
 * bucket keeps its path across reloads. */
static uint32_t
path_identity(const char *uplink, const uint8_t probe[16], const char *site)
{
	uint32_t h = rte_jhash(uplink, (uint32_t)strlen(uplink), 0x5256);

	h = rte_jhash(probe, 16, h);
	return rte_jhash(site, (uint32_t)strlen(site), h);
}

/* The local uplinks overlays use: srv6.uplinks, else every uplink. */
static unsigned
overlay_uplinks(const struct srv6_config *sc, const struct mh_config *mc,
	int *out)
{
	unsigned n = 0;

	if (sc->n_uplinks > 0) {
		for (unsigned i = 0; i < sc->n_uplinks; i++)
			out[n++] = mh_config_uplink_index(mc, sc->uplinks[i]);
		return n;
	}
	for (unsigned i = 0; i < mc->n_uplinks && n < SRV6_MAX_UPLINKS; i++)
		if (mc->uplinks[i].role != NEP_UPLINK_EXCLUDED)
			out[n++] = (int)i;
	return n;
}

static int
build_paths(struct nep_app *app, const struct nep_config *cfg,
	struct srv6_snap *ss, char *err, size_t errlen)
{
	const struct srv6_config *sc = srv6_conf(cfg);
	const struct mh_config *mc = mh_conf(cfg);
	int up[SRV6_MAX_UPLINKS];
	unsigned nu = overlay_uplinks(sc, mc, up);

	ss->n_sites = sc->n_sites;
	for (unsigned si = 0; si < sc->n_sites; si++) {
		const struct srv6_site_conf *site = &sc->sites[si];
		struct srv6_site_rt *sr = &ss->sites[si];
		uint32_t ident[SRV6_SITE_PATHS];

		for (unsigned ui = 0; ui < nu; ui++) {
			const struct nep_uplink_conf *uc = &mc->uplinks[up[ui]];
			int port = nep_port_find(app, cfg->ports[uc->port].name);

			for (unsigned e = 0; e < site->n_ep; e++) {
				struct srv6_path *p;

				if (port < 0)
					continue;
				if (sr->n_paths >= SRV6_SITE_PATHS ||
					ss->n_paths >= SRV6_MAX_PATHS) {
					snprintf(err, errlen, "srv6: site %s: too "
						"many paths (max %u per site, %u "
						"in all)", site->name,
						SRV6_SITE_PATHS, SRV6_MAX_PATHS);
					return -1;
				}
				p = &ss->paths[ss->n_paths];
				memset(p, 0, sizeof(*p));
				p->site = (uint8_t)si;
				p->ep = (uint8_t)e;
				p->port = (uint8_t)port;
				p->port_id = app->ports[port].ifid;
				p->mtu = app->ports[port].mtu;
				p->backup = uc->role == NEP_UPLINK_BACKUP;
				p->uplink_idx = (int8_t)up[ui];
				ss->path_uplink[ss->n_paths] = p->uplink_idx;
				p->weight = uc->weight * site->ep[e].weight;
				memcpy(p->next_hop, uc->next_hop.a, 16);
				memcpy(p->probe, site->ep[e].probe, 16);
				snprintf(p->uplink, sizeof(p->uplink), "%s",
					uc->name);
				if (sc->has_source) {
					memcpy(p->src, sc->source, 16);
				} else if (!nep_port_addr(app, (unsigned)port, 6,
						   uc->next_hop.a, p->src)) {
					snprintf(err, errlen, "srv6: uplink %s: "
						"its port has no IPv6 address "
						"for the outer source", uc->name);
					return -1;
				}
				p->neigh_pos = nep_ctl_neigh_pin(app, p->port_id,
					6, uc->next_hop.a);
				nep_health_init(&p->health, &sc->health,
					nep_now_ns());
				struct nep_addr t = { .family = AF_INET6 };
				memcpy(t.a, p->probe, 16);
				nep_health_set_target_addr(&p->health, 0, &t);
				ident[sr->n_paths] = path_identity(uc->name,
					p->probe, site->name);
				sr->path[sr->n_paths++] = (uint8_t)ss->n_paths;
				ss->n_paths++;
			}
		}
		{
			struct nep_rdv_path rp[SRV6_SITE_PATHS];

			for (unsigned k = 0; k < sr->n_paths; k++) {
				const struct srv6_path *p =
					&ss->paths[sr->path[k]];

				rp[k].ident = ident[k];
				rp[k].weight = p->weight;
				rp[k].backup = p->backup;
			}
			nep_rdv_rank(rp, sr->n_paths, SRV6_BUCKETS,
				&sr->rank[0][0], SRV6_SITE_PATHS);
		}
	}
	return 0;
}

/* Segment list of one path for (overlay, member, family). */
static unsigned
path_sids(const struct srv6_config *sc, const struct srv6_overlay_conf *o,
	const struct srv6_member_conf *mb, const struct srv6_path *p,
	uint8_t family, uint8_t sids[][16])
{
	const struct srv6_endpoint_conf *e =
		&sc->sites[mb->site_idx].ep[p->ep];
	unsigned n = e->n_via;

	memcpy(sids, e->via, 16u * n);
	if (e->is_locator) {
		srv6_locator_plus(&e->locator, o->function, sids[n]);
		return n + 1;
	}
	memcpy(sids[n], e->addr, 16);
	memcpy(sids[n + 1], family == 6 ? mb->sid6 : mb->sid4, 16);
	return n + 2;
}

static int
build_policies(const struct nep_config *cfg, struct nep_snapshot *s,
	struct srv6_snap *ss, char *err, size_t errlen)
{
	const struct srv6_config *sc = srv6_conf(cfg);
	char buf[64];

	for (unsigned oi = 0; oi < sc->n_overlays; oi++) {
		const struct srv6_overlay_conf *o = &sc->overlays[oi];
		int table = vrf_table(cfg, o->vrf);
		struct nep_rib *rib;

		if (table < 0 || (rib = vrf_rib(s, (unsigned)table)) == NULL) {
			snprintf(err, errlen, "srv6: overlay %s: unknown VRF "
				"'%s'", o->name, o->vrf);
			return -1;
		}
		for (unsigned mi = 0; mi < o->n_members; mi++) {
			const struct srv6_member_conf *mb = &o->members[mi];
			const struct srv6_site_rt *sr;
			unsigned pol[2];

			if (mb->site_idx < 0)
				continue;
			sr = &ss->sites[mb->site_idx];
			for (unsigned fi = 0; fi < 2; fi++) {
				uint8_t fam = fi == 0 ? 6 : 4;
				struct srv6_policy *pp;

				pol[fi] = ss->n_policies;
				pp = &ss->policies[ss->n_policies++];
				pp->overlay = (uint8_t)oi;
				pp->site = (uint8_t)mb->site_idx;
				pp->family = fam;
				pp->n_paths = sr->n_paths;
				for (unsigned k = 0; k < sr->n_paths; k++) {
					const struct srv6_path *p =
						&ss->paths[sr->path[k]];
					uint8_t sids[NEP_SRV6_MAX_SIDS][16];
					unsigned n = path_sids(sc, o, mb, p, fam,
						sids);

					pp->path[k] = sr->path[k];
					if (nep_srv6_policy_init(&pp->encap[k],
						    p->src, (const uint8_t(*)[16])sids,
						    n, sc->hop_limit,
						    sc->reduced) != 0) {
						snprintf(err, errlen, "srv6: "
							"overlay %s: bad policy",
							o->name);
						return -1;
					}
					pp->alt_ok[k] = sc->sites[mb->site_idx]
						.ep[p->ep].is_locator &&
						nep_srv6_policy_init(&pp->alt[k],
							p->src,
							(const uint8_t(*)[16])
							sids[n - 1], 1,
							sc->hop_limit, true) == 0;
				}
			}
			for (unsigned k = 0; k < mb->n_prefixes; k++) {
				const struct nep_prefix *pf = &mb->prefixes[k];
				unsigned r = ss->n_routes;

				if (r >= SRV6_MAX_ROUTES) {
					snprintf(err, errlen, "srv6: too many "
						"overlay routes (max %u)",
						SRV6_MAX_ROUTES);
					return -1;
				}
				ss->routes[r].policy = (uint16_t)pol[
					pf->addr.family == AF_INET6 ? 0 : 1];
				ss->routes[r].overlay = (uint16_t)oi;
				if (nep_rib_add_feature(rib, pf,
					    NEP_NH_FEATURE_INDEX(nep_srv6_feature.id, r), err,
					    errlen) < 0) {
					size_t l = strlen(err);
					snprintf(err + l, errlen - l,
						" (overlay %s, site %s)",
						o->name, mb->site);
					return -1;
				}
				ss->n_routes++;
			}
		}
	}
	(void)buf;
	return 0;
}

static int
build_sids(struct nep_app *app, const struct nep_config *cfg,
	struct srv6_snap *ss, char *err, size_t errlen)
{
	const struct srv6_config *sc = srv6_conf(cfg);
	int pos;

	/* Our WAN addresses: End when an SRH has segments left (the first
	 * SID of a two-SID list). */
	for (unsigned p = 0; p < cfg->n_ports; p++) {
		const struct nep_port_conf *pc = &cfg->ports[p];

		if (pc->role != NEP_PORT_WAN)
			continue;
		for (unsigned a = 0; a < pc->n_addrs; a++) {
			if (pc->addrs[a].addr.family != AF_INET6)
				continue;
			pos = add_sid(ss, pc->addrs[a].addr.a, SRV6_END, "", 0,
				err, errlen);
			if (pos < 0)
				return -1;
			ss->sid[pos].wan_addr = 1;
		}
	}
	for (unsigned i = 0; i < sc->n_localsids; i++) {
		const struct srv6_localsid_conf *l = &sc->localsids[i];
		bool dt = l->behavior >= SRV6_END_DT4;

		pos = add_sid(ss, l->sid, l->behavior, dt ? l->vrf : "",
			dt ? vrf_table(cfg, l->vrf) : 0, err, errlen);
		if (pos < 0)
			return -1;
		if (l->behavior == SRV6_END_X) {
			int port = nep_port_find(app,
				cfg->ports[l->port].name);
			ss->sid[pos].out_port = (uint8_t)port;
			ss->sid[pos].neigh_pos = nep_ctl_neigh_pin(app,
				app->ports[port].ifid, 6, l->next_hop.a);
		}
	}
	ss->n_locators = sc->n_locators;
	for (unsigned i = 0; i < sc->n_locators; i++) {
		const struct nep_prefix *lp = &sc->locators[i].prefix;
		uint8_t sid[16];

		ss->locators[i] = *lp;
		srv6_locator_plus(lp, 1, sid);
		if (add_sid(ss, sid, SRV6_END, "", 0, err, errlen) < 0)
			return -1;
		for (unsigned o = 0; o < sc->n_overlays; o++) {
			const struct srv6_overlay_conf *oc = &sc->overlays[o];

			srv6_locator_plus(lp, oc->function, sid);
			pos = add_sid(ss, sid, SRV6_END_DT46, oc->vrf,
				vrf_table(cfg, oc->vrf), err, errlen);
			if (pos < 0)
				return -1;
			ss->sid[pos].overlay = (int16_t)o;
		}
	}
	return 0;
}

int
srv6_snapshot_build(struct nep_app *app, struct nep_snapshot *s, char *err,
	size_t errlen)
{
	const struct srv6_config *sc = srv6_conf(s->cfg);
	struct srv6_snap *ss = rte_zmalloc("srv6_snap", sizeof(*ss),
		RTE_CACHE_LINE_SIZE);

	if (ss == NULL) {
		snprintf(err, errlen, "srv6: out of memory");
		return -1;
	}
	s->feat[nep_srv6_feature.id] = ss;
	memset(ss->slot_idx, 0xff, sizeof(ss->slot_idx));	/* all empty */
	memset(ss->sla_ok, 0xff, sizeof(ss->sla_ok));	/* until judged */
	ss->enabled = sc->enabled;
	ss->hop_limit = sc->hop_limit;
	ss->mss_clamp = sc->mss_clamp;
	ss->health = sc->health.enabled;
	if (!ss->enabled)
		return 0;
	ss->paths = calloc(SRV6_MAX_PATHS, sizeof(*ss->paths));
	ss->policies = calloc(2 * SRV6_MAX_OVERLAYS * SRV6_MAX_MEMBERS,
		sizeof(*ss->policies));
	ss->sites = calloc(SRV6_MAX_SITES, sizeof(*ss->sites));
	if (ss->paths == NULL || ss->policies == NULL ||
		ss->sites == NULL) {
		snprintf(err, errlen, "srv6: out of memory");
		return -1;
	}
	if (build_sids(app, s->cfg, ss, err, errlen) < 0 ||
		build_paths(app, s->cfg, ss, err, errlen) < 0 ||
		build_policies(s->cfg, s, ss, err, errlen) < 0)
		return -1;
	srv6_paths_carry(app, s);
	return 0;
}

void
srv6_snapshot_free(struct nep_snapshot *s)
{
	struct srv6_snap *ss = SRV6_SNAP(s);

	if (ss == NULL)
		return;
	free(ss->paths);
	free(ss->policies);
	free(ss->sites);
	rte_free(ss);
	s->feat[nep_srv6_feature.id] = NULL;
}
