/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `srv6:`, `sites:` and `overlays:` sections (docs/srv6.md). They are
 * registered after multihoming's `uplinks:` (features/meson.build lists
 * multihoming first; the constructor checks it), so uplink names are
 * checked here. One struct srv6_config, the object of `srv6:`, holds all
 * three; `sites` and `overlays` without `srv6` fail.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "mh_config.h"
#include "srv6.h"

int srv6_config_section_id = -1;

const char *const srv6_behavior_names[SRV6_BEHAVIOR_MAX] = {
	[SRV6_END] = "end",
	[SRV6_END_X] = "end.x",
	[SRV6_END_DT4] = "end.dt4",
	[SRV6_END_DT6] = "end.dt6",
	[SRV6_END_DT46] = "end.dt46",
};

static const char *const behavior_enum[] = { "end", "end.x", "end.dt4",
	"end.dt6", "end.dt46", NULL };

static const char *const srv6_keys[] = { "site", "hop_limit", "reduced",
	"mss_clamp", "source", "uplinks", "locators", "localsids", "health",
	NULL };
static const char *const locator_keys[] = { "prefix", "uplink", NULL };
static const char *const localsid_keys[] = { "sid", "behavior", "vrf",
	"next_hop", "port", NULL };
static const char *const health_keys[] = { "interval_ms", "timeout_ms",
	"down", "up", "enabled", NULL };
static const char *const site_keys[] = { "name", "addresses", "locators",
	NULL };
static const char *const address_keys[] = { "address", "weight", "probe",
	"via",
	NULL };
static const char *const rlocator_keys[] = { "prefix", "weight", "probe",
	"via",
	NULL };
static const char *const overlay_keys[] = { "name", "vrf", "function",
	"sites", NULL };
static const char *const member_keys[] = { "prefixes", "sid6", "sid4", NULL };

static void
addr6(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path,
	uint8_t out[16])
{
	struct nep_addr a;

	nep_cfg_addr(c, n, path, &a);
	if (a.family != AF_INET6)
		nep_cfg_fail(c, n, path, "expected an IPv6 address");
	memcpy(out, a.a, 16);
}

/* A locator must leave room for a 32-bit function. */
static void
locator_prefix(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, struct nep_prefix *out)
{
	nep_cfg_prefix(c, n, path, out);
	if (out->addr.family != AF_INET6)
		nep_cfg_fail(c, n, path, "expected an IPv6 prefix");
	if (out->len > 96)
		nep_cfg_fail(c, n, path,
			"a locator is at most /96 (32 bits of function)");
}

static void
parse_health(struct nep_cfg *c, const struct nep_cfg_map *m,
	struct nep_health_conf *h)
{
	const struct nep_cfg_map *hm = nep_cfg_map_sub(m, "health",
		health_keys);

	h->enabled = true;
	h->interval_ms = 100;
	h->timeout_ms = 1000;
	h->down_count = 3;
	h->up_count = 5;
	h->reliability = 1;
	h->loss_window = 20;
	nep_cfg_get_bool(hm, "enabled", &h->enabled);
	nep_cfg_get_u32(hm, "interval_ms", 10, 60000, &h->interval_ms);
	nep_cfg_get_u32(hm, "timeout_ms", 10, 60000, &h->timeout_ms);
	nep_cfg_get_u32(hm, "down", 1, 100, &h->down_count);
	nep_cfg_get_u32(hm, "up", 1, 100, &h->up_count);
	(void)c;
}

static void
parse_srv6(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	const struct nep_config *cfg = nep_cfg_config(c);
	const struct mh_config *mc = mh_conf(cfg);
	char p[NEP_CFG_PATH_MAX], ip[NEP_CFG_PATH_MAX], kp[NEP_CFG_PATH_MAX];
	struct srv6_config *sc = calloc(1, sizeof(*sc));
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *v;
	unsigned i, n;
	uint32_t u;

	if (sc == NULL)
		nep_cfg_fail(c, node, "srv6", "out of memory");
	*obj = sc;
	sc->hop_limit = NEP_SRV6_DEFAULT_HOP_LIMIT;
	sc->mss_clamp = true;
	m = nep_cfg_map_open(c, node, "srv6", srv6_keys);
	parse_health(c, m, &sc->health);
	if (node == NULL)
		return;
	sc->enabled = true;
	nep_cfg_name(c, nep_cfg_req(m, "site"), "srv6.site", sc->site);
	u = sc->hop_limit;
	if (nep_cfg_get_u32(m, "hop_limit", 1, 255, &u))
		sc->hop_limit = (uint8_t)u;
	nep_cfg_get_bool(m, "reduced", &sc->reduced);
	nep_cfg_get_bool(m, "mss_clamp", &sc->mss_clamp);
	if ((v = nep_cfg_get(m, "source")) != NULL) {
		addr6(c, v, "srv6.source", sc->source);
		sc->has_source = true;
	}
	if ((v = nep_cfg_get(m, "uplinks")) != NULL) {
		n = nep_cfg_seq(c, v, "srv6.uplinks", SRV6_MAX_UPLINKS,
			"uplinks");
		for (i = 0; i < n; i++) {
			const struct nep_cfg_node *it = nep_cfg_seq_item(c, v, i);
			nep_cfg_path_index(ip, "srv6.uplinks", i);
			nep_cfg_name(c, it, ip, sc->uplinks[i]);
			if (mh_config_uplink_index(mc, sc->uplinks[i]) < 0)
				nep_cfg_fail(c, it, ip, "unknown uplink '%s'",
					sc->uplinks[i]);
			for (unsigned j = 0; j < i; j++)
				if (strcmp(sc->uplinks[j], sc->uplinks[i]) == 0)
					nep_cfg_fail(c, it, ip, "uplink '%s' is "
						"listed twice", sc->uplinks[i]);
			sc->n_uplinks = i + 1;
		}
	}
	if ((v = nep_cfg_get(m, "locators")) != NULL) {
		n = nep_cfg_seq(c, v, "srv6.locators", SRV6_MAX_LOCATORS,
			"locators");
		for (i = 0; i < n; i++) {
			struct srv6_locator_conf *l = &sc->locators[i];
			const struct nep_cfg_map *lm;

			nep_cfg_path_index(ip, "srv6.locators", i);
			lm = nep_cfg_map_open(c, nep_cfg_seq_item(c, v, i), ip,
				locator_keys);
			locator_prefix(c, nep_cfg_req(lm, "prefix"),
				nep_cfg_path_key(kp, ip, "prefix"), &l->prefix);
			for (unsigned j = 0; j < i; j++)
				if (nep_prefix_contains(&sc->locators[j].prefix,
					    &l->prefix.addr) ||
					nep_prefix_contains(&l->prefix,
						&sc->locators[j].prefix.addr))
					nep_cfg_fail(c, nep_cfg_get(lm, "prefix"),
						kp, "overlaps locators[%u]", j);
			/* NPTv6 owns the delegated prefixes (multihoming's fused
			 * path translates them without asking SRv6). */
			for (unsigned u = 0; u < mc->n_uplinks; u++) {
				const struct nep_prefix *dp = &mc->uplinks[u].delegated;
				if (nep_prefix_contains(dp, &l->prefix.addr) ||
					nep_prefix_contains(&l->prefix, &dp->addr))
					nep_cfg_fail(c, nep_cfg_get(lm, "prefix"), kp,
						"overlaps the delegated prefix of uplink "
						"'%s' (NPTv6 translates it)",
						mc->uplinks[u].name);
			}
			const struct nep_cfg_node *un = nep_cfg_req(lm, "uplink");
			nep_cfg_path_key(kp, ip, "uplink");
			nep_cfg_name(c, un, kp, l->uplink);
			if (mh_config_uplink_index(mc, l->uplink) < 0)
				nep_cfg_fail(c, un, kp, "unknown uplink '%s'",
					l->uplink);
			sc->n_locators = i + 1;
		}
	}
	if ((v = nep_cfg_get(m, "localsids")) != NULL) {
		n = nep_cfg_seq(c, v, "srv6.localsids", SRV6_MAX_LOCALSIDS,
			"localsids");
		for (i = 0; i < n; i++) {
			struct srv6_localsid_conf *l = &sc->localsids[i];
			const struct nep_cfg_map *lm;
			const struct nep_cfg_node *x;

			nep_cfg_path_index(ip, "srv6.localsids", i);
			lm = nep_cfg_map_open(c, nep_cfg_seq_item(c, v, i), ip,
				localsid_keys);
			addr6(c, nep_cfg_req(lm, "sid"),
				nep_cfg_path_key(kp, ip, "sid"), l->sid);
			for (unsigned j = 0; j < i; j++)
				if (memcmp(sc->localsids[j].sid, l->sid, 16) == 0)
					nep_cfg_fail(c, nep_cfg_get(lm, "sid"),
						kp, "duplicate of localsids[%u]",
						j);
			l->behavior = (enum srv6_behavior)nep_cfg_enum(c,
				nep_cfg_req(lm, "behavior"),
				nep_cfg_path_key(kp, ip, "behavior"),
				behavior_enum,
				"end, end.x, end.dt4, end.dt6 or end.dt46");
			snprintf(l->vrf, sizeof(l->vrf), "default");
			l->port = -1;
			x = nep_cfg_get(lm, "vrf");
			if (x != NULL) {
				nep_cfg_path_key(kp, ip, "vrf");
				if (l->behavior < SRV6_END_DT4)
					nep_cfg_fail(c, x, kp,
						"only End.DT4/DT6/DT46 look up "
						"in a VRF");
				nep_cfg_name(c, x, kp, l->vrf);
			}
			x = nep_cfg_get(lm, "next_hop");
			if (l->behavior == SRV6_END_X) {
				nep_cfg_path_key(kp, ip, "next_hop");
				addr6(c, nep_cfg_req(lm, "next_hop"), kp,
					l->next_hop.a);
				l->next_hop.family = AF_INET6;
				l->port = nep_cfg_port(c, nep_cfg_req(lm, "port"),
					nep_cfg_path_key(kp, ip, "port"));
			} else if (x != NULL || nep_cfg_get(lm, "port")) {
				nep_cfg_fail(c, x ? x : nep_cfg_get(lm, "port"),
					nep_cfg_path_key(kp, ip,
						x ? "next_hop" : "port"),
					"only End.X has a next hop and port");
			}
			sc->n_localsids = i + 1;
		}
	}
	(void)p;
}

static struct srv6_config *
srv6_obj(struct nep_cfg *c, const struct nep_cfg_node *node, const char *key)
{
	struct srv6_config *sc = nep_config_section(nep_cfg_config(c),
		srv6_config_section_id);

	if (node != NULL && (sc == NULL || !sc->enabled))
		nep_cfg_fail(c, node, key, "needs an srv6: section");
	return sc;
}

static void
parse_endpoint(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, bool locator, struct srv6_endpoint_conf *e)
{
	char kp[NEP_CFG_PATH_MAX];
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *x;

	m = nep_cfg_map_open(c, n, path, locator ? rlocator_keys :
		address_keys);
	e->is_locator = locator;
	e->weight = 1;
	if (locator) {
		locator_prefix(c, nep_cfg_req(m, "prefix"),
			nep_cfg_path_key(kp, path, "prefix"), &e->locator);
		srv6_locator_plus(&e->locator, 1, e->probe);	/* its End SID */
	} else {
		addr6(c, nep_cfg_req(m, "address"),
			nep_cfg_path_key(kp, path, "address"), e->addr);
		memcpy(e->probe, e->addr, 16);
	}
	if ((x = nep_cfg_get(m, "probe")) != NULL)
		addr6(c, x, nep_cfg_path_key(kp, path, "probe"), e->probe);
	nep_cfg_get_u32(m, "weight", 1, 1000, &e->weight);
	if ((x = nep_cfg_get(m, "via")) != NULL) {
		char ip[NEP_CFG_PATH_MAX];

		nep_cfg_path_key(kp, path, "via");
		e->n_via = nep_cfg_seq(c, x, kp, SRV6_MAX_VIA, "waypoints");
		for (unsigned i = 0; i < e->n_via; i++)
			addr6(c, nep_cfg_seq_item(c, x, i),
				nep_cfg_path_index(ip, kp, i), e->via[i]);
	}
}

static void
parse_sites(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	struct srv6_config *sc = srv6_obj(c, node, "sites");
	char ip[NEP_CFG_PATH_MAX], kp[NEP_CFG_PATH_MAX], ep[NEP_CFG_PATH_MAX];
	unsigned i, n;

	(void)obj;
	if (node == NULL)
		return;
	n = nep_cfg_seq(c, node, "sites", SRV6_MAX_SITES, "sites");
	for (i = 0; i < n; i++) {
		struct srv6_site_conf *s = &sc->sites[i];
		const struct nep_cfg_node *it = nep_cfg_seq_item(c, node, i);
		const struct nep_cfg_node *a, *l;
		const struct nep_cfg_map *m;

		nep_cfg_path_index(ip, "sites", i);
		m = nep_cfg_map_open(c, it, ip, site_keys);
		nep_cfg_name(c, nep_cfg_req(m, "name"),
			nep_cfg_path_key(kp, ip, "name"), s->name);
		if (strcmp(s->name, sc->site) == 0)
			nep_cfg_fail(c, nep_cfg_get(m, "name"), kp,
				"'%s' is this site (srv6.site)", s->name);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(sc->sites[j].name, s->name) == 0)
				nep_cfg_fail(c, nep_cfg_get(m, "name"), kp,
					"duplicate site '%s'", s->name);
		a = nep_cfg_get(m, "addresses");
		l = nep_cfg_get(m, "locators");
		if ((a == NULL) == (l == NULL))
			nep_cfg_fail(c, it, ip,
				"give either addresses or locators");
		const struct nep_cfg_node *lst = a ? a : l;
		nep_cfg_path_key(kp, ip, a ? "addresses" : "locators");
		unsigned ne = nep_cfg_seq(c, lst, kp, SRV6_MAX_ENDPOINTS,
			a ? "addresses" : "locators");
		if (ne == 0)
			nep_cfg_fail(c, lst, kp, "at least one is required");
		for (unsigned j = 0; j < ne; j++) {
			parse_endpoint(c, nep_cfg_seq_item(c, lst, j),
				nep_cfg_path_index(ep, kp, j), a == NULL,
				&s->ep[j]);
			s->n_ep = j + 1;
		}
		sc->n_sites = i + 1;
	}
}

static int
site_index(const struct srv6_config *sc, const char *name)
{
	for (unsigned i = 0; i < sc->n_sites; i++)
		if (strcmp(sc->sites[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
parse_prefixes(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, struct srv6_member_conf *mb)
{
	char ip[NEP_CFG_PATH_MAX];
	unsigned k = nep_cfg_seq(c, n, path, SRV6_MAX_PREFIXES, "prefixes");

	for (unsigned i = 0; i < k; i++) {
		nep_cfg_prefix(c, nep_cfg_seq_item(c, n, i),
			nep_cfg_path_index(ip, path, i), &mb->prefixes[i]);
		mb->n_prefixes = i + 1;
	}
}

static void
parse_member(struct nep_cfg *c, const struct srv6_config *sc,
	const struct nep_cfg_node *n, const char *path,
	struct srv6_member_conf *mb)
{
	char kp[NEP_CFG_PATH_MAX];
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *x;

	mb->site_idx = strcmp(mb->site, sc->site) == 0 ? -1 :
		site_index(sc, mb->site);
	if (nep_cfg_is_seq(n)) {
		/* a plain list of prefixes */
		parse_prefixes(c, n, path, mb);
	} else {
		m = nep_cfg_map_open(c, n, path, member_keys);
		parse_prefixes(c, nep_cfg_req(m, "prefixes"),
			nep_cfg_path_key(kp, path, "prefixes"), mb);
		if ((x = nep_cfg_get(m, "sid6")) != NULL) {
			addr6(c, x, nep_cfg_path_key(kp, path, "sid6"),
				mb->sid6);
			mb->has_sid6 = true;
		}
		if ((x = nep_cfg_get(m, "sid4")) != NULL) {
			addr6(c, x, nep_cfg_path_key(kp, path, "sid4"),
				mb->sid4);
			mb->has_sid4 = true;
		}
	}
	if (mb->site_idx >= 0) {
		const struct srv6_site_conf *s = &sc->sites[mb->site_idx];
		bool has_addr = false;
		for (unsigned i = 0; i < s->n_ep; i++)
			has_addr |= !s->ep[i].is_locator;
		if (has_addr && !mb->has_sid6 && !mb->has_sid4)
			nep_cfg_fail(c, n, path, "site '%s' is reached at "
				"addresses (no locator): its overlay SID "
				"(sid6/sid4) is required", mb->site);
	}
	if (!mb->has_sid4 && mb->has_sid6) {
		memcpy(mb->sid4, mb->sid6, 16);
	} else if (!mb->has_sid6 && mb->has_sid4) {
		memcpy(mb->sid6, mb->sid4, 16);
	}
}

static void
parse_overlays(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	struct srv6_config *sc = srv6_obj(c, node, "overlays");
	char ip[NEP_CFG_PATH_MAX], kp[NEP_CFG_PATH_MAX], mp[NEP_CFG_PATH_MAX];
	unsigned i, n;

	(void)obj;
	if (node == NULL)
		return;
	n = nep_cfg_seq(c, node, "overlays", SRV6_MAX_OVERLAYS, "overlays");
	for (i = 0; i < n; i++) {
		struct srv6_overlay_conf *o = &sc->overlays[i];
		const struct nep_cfg_map *m, *sm;
		const struct nep_cfg_node *x;
		uint32_t fn = 0;
		bool local = false;

		nep_cfg_path_index(ip, "overlays", i);
		m = nep_cfg_map_open(c, nep_cfg_seq_item(c, node, i), ip,
			overlay_keys);
		nep_cfg_name(c, nep_cfg_req(m, "name"),
			nep_cfg_path_key(kp, ip, "name"), o->name);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(sc->overlays[j].name, o->name) == 0)
				nep_cfg_fail(c, nep_cfg_get(m, "name"), kp,
					"duplicate overlay '%s'", o->name);
		snprintf(o->vrf, sizeof(o->vrf), "default");
		if ((x = nep_cfg_get(m, "vrf")) != NULL)
			nep_cfg_name(c, x, nep_cfg_path_key(kp, ip, "vrf"),
				o->vrf);
		x = nep_cfg_req(m, "function");
		nep_cfg_path_key(kp, ip, "function");
		const char *fs = nep_cfg_scalar(x);
		char *end = NULL;
		unsigned long long fv = 0;
		bool hex = fs && fs[0] == '0' && (fs[1] == 'x' || fs[1] == 'X');
		/* decimal digits, or 0x and hex digits: no sign, no octal */
		if (fs != NULL && (hex ? isxdigit((unsigned char)fs[2]) :
				       nep_cfg_all_digits(fs)) &&
			!(fs[0] == '0' && fs[1] != '\0' && !hex))
			fv = strtoull(fs, &end, hex ? 16 : 10);
		if (end == NULL || *end != '\0' || fv < 2 || fv > 0xffffffffULL)
			nep_cfg_fail(c, x, kp, "expected a function number "
				"2..0xffffffff (1 is the site's End SID)");
		fn = (uint32_t)fv;
		for (unsigned j = 0; j < i; j++)
			if (sc->overlays[j].function == fn)
				nep_cfg_fail(c, x, kp, "same function as "
					"overlays[%u]", j);
		o->function = fn;
		/* sites: a mapping site name -> member */
		x = nep_cfg_req(m, "sites");
		nep_cfg_path_key(kp, ip, "sites");
		const char *names[SRV6_MAX_SITES + 2];
		unsigned nn = 0;
		names[nn++] = sc->site;
		for (unsigned j = 0; j < sc->n_sites; j++)
			names[nn++] = sc->sites[j].name;
		names[nn] = NULL;
		sm = nep_cfg_map_open_named(c, x, kp, names,
			"site");
		for (unsigned j = 0; j < nn; j++) {
			const struct nep_cfg_node *mn = nep_cfg_get(sm, names[j]);
			struct srv6_member_conf *mb;

			if (mn == NULL)
				continue;
			if (o->n_members >= SRV6_MAX_MEMBERS)
				nep_cfg_fail(c, mn, kp, "too many sites (max %u)",
					SRV6_MAX_MEMBERS);
			mb = &o->members[o->n_members++];
			snprintf(mb->site, sizeof(mb->site), "%s", names[j]);
			parse_member(c, sc, mn,
				nep_cfg_path_key(mp, kp, names[j]), mb);
			local |= mb->site_idx < 0;
		}
		if (!local)
			nep_cfg_fail(c, x, kp, "this site ('%s') is not a member",
				sc->site);
		if (o->n_members < 2)
			nep_cfg_fail(c, x, kp, "an overlay joins two sites or "
				"more");
		sc->n_overlays = i + 1;
	}
}

static void
free_srv6(void *obj)
{
	free(obj);
}

static void __attribute__((constructor))
srv6_config_register(void)
{
	int id;

	/* `uplinks:` must be parsed first (srv6 names uplinks). */
	if (mh_config_section_id < 0) {
		fprintf(stderr, "srv6: the multihoming sections must be "
				"registered first (link order)\n");
		abort();
	}
	id = nep_config_section_register("srv6", parse_srv6, free_srv6);
	if (id < 0 ||
		nep_config_section_register("sites", parse_sites, NULL) < 0 ||
		nep_config_section_register("overlays", parse_overlays,
			NULL) < 0) {
		fprintf(stderr, "srv6: cannot register the srv6, sites and "
				"overlays configuration sections\n");
		abort();
	}
	srv6_config_section_id = id;
}
