/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The multihoming sections of the configuration, `uplinks:` and
 * `steering:` (docs/config.md), registered with lib/config at start-up.
 * lib/config parses them after its own sections, so ports are known and
 * referenced by name; `uplinks` is registered first, so `steering` can
 * name uplinks. Both fill one struct mh_config, the object of the
 * `uplinks` section (allocated even when the file has no uplinks: the
 * defaults); the `steering` section keeps no object of its own.
 *
 * Pure libc + lib/config: no EAL, unit-tested in tests/unit/test_mh_config.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "mh_config.h"

int mh_config_section_id = -1;

static const char *const uplink_keys[] = {
	"name",
	"port",
	"next_hop",
	"next_hop_v4",
	"delegated_prefix",
	"prefix_hint",
	"pd_subnet",
	"address",
	"ipv4",
	"role",
	"weight",
	"health",
	NULL,
};
static const char *const addr_modes[] = {
	"static",
	"slaac",
	"dhcpv6",
	NULL,
};
static const char *const ipv4_modes[] = {
	"static",
	"dhcp",
	NULL,
};
static const char *const uplink_roles[] = {
	"primary",
	"backup",
	"excluded",
	NULL,
};
static const char *const health_keys[] = {
	"enabled",
	"targets",
	"interval_ms",
	"timeout_ms",
	"down",
	"up",
	"reliability",
	"max_rtt_ms",
	"max_loss_pct",
	"loss_window",
	NULL,
};

int
mh_config_uplink_index(const struct mh_config *mc, const char *name)
{
	unsigned i;

	for (i = 0; i < mc->n_uplinks; i++)
		if (strcmp(mc->uplinks[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
mh_pd_subnet(const struct nep_prefix *pd, uint32_t subnet,
	struct nep_prefix *out)
{
	unsigned bits = 64 - pd->len;

	if (pd->addr.family != AF_INET6 || pd->len > 64 ||
		(bits < 32 && subnet >> bits != 0))
		return -1;
	*out = *pd;
	out->len = 64;
	/* subnet fills bits pd->len..63 (big-endian) */
	for (unsigned b = 0; b < bits && b < 32; b++)
		if ((subnet >> b) & 1) {
			unsigned pos = 63 - b;
			out->addr.a[pos / 8] |= (uint8_t)(0x80 >> (pos % 8));
		}
	return 0;
}

static bool
prefixes_overlap(const struct nep_prefix *a, const struct nep_prefix *b)
{
	return nep_prefix_contains(a, &b->addr) ||
	       nep_prefix_contains(b, &a->addr);
}

/* An IPv6 prefix of at most /64: NPTv6 rewrites the upper 64 bits. */
static void
parse_prefix6_64(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, struct nep_prefix *out)
{
	nep_cfg_prefix(c, n, path, out);
	if (out->addr.family != AF_INET6)
		nep_cfg_fail(c, n, path, "expected an IPv6 prefix");
	if (out->len > 64)
		nep_cfg_fail(c, n, path, "prefix longer than /64");
}

static void
parse_health(struct nep_cfg *c, const struct nep_cfg_map *um,
	struct nep_health_conf *h)
{
	char p[NEP_CFG_PATH_MAX], ip[NEP_CFG_PATH_MAX];
	const struct nep_cfg_node *v, *t;
	const struct nep_cfg_map *m;
	unsigned i, n;

	h->interval_ms = 100;
	h->timeout_ms = 1000;
	h->down_count = 3;
	h->up_count = 5;
	h->reliability = 1;
	h->max_rtt_ms = 0;
	h->max_loss_pct = 0;
	h->loss_window = 20;
	h->enabled = true;

	m = nep_cfg_map_sub(um, "health", health_keys);
	nep_cfg_get_bool(m, "enabled", &h->enabled);
	v = nep_cfg_get(m, "targets");
	if (v != NULL) {
		nep_cfg_path_key(p, nep_cfg_map_path(m), "targets");
		n = nep_cfg_seq(c, v, p, NEP_MAX_TARGETS, "targets");
		for (i = 0; i < n; i++) {
			t = nep_cfg_seq_item(c, v, i);
			nep_cfg_addr(c, t, nep_cfg_path_index(ip, p, i),
				&h->targets[i]);
			if (h->targets[i].family != AF_INET6)
				nep_cfg_fail(c, t, ip,
					"expected an IPv6 address");
			h->n_targets = i + 1;
		}
	}
	nep_cfg_get_u32(m, "interval_ms", 10, 60000, &h->interval_ms);
	nep_cfg_get_u32(m, "timeout_ms", 1, 60000, &h->timeout_ms);
	nep_cfg_get_u32(m, "down", 1, 1000, &h->down_count);
	nep_cfg_get_u32(m, "up", 1, 1000, &h->up_count);
	/* No targets: the next hop alone is probed. */
	nep_cfg_get_u32(m, "reliability", 1, h->n_targets ? h->n_targets : 1,
		&h->reliability);
	nep_cfg_get_u32(m, "max_rtt_ms", 0, 60000, &h->max_rtt_ms);
	nep_cfg_get_u32(m, "max_loss_pct", 0, 100, &h->max_loss_pct);
	nep_cfg_get_u32(m, "loss_window", 1, 1000, &h->loss_window);
}

static void
parse_uplink(struct nep_cfg *c, struct mh_config *mc,
	const struct nep_cfg_node *n, const char *p, unsigned i)
{
	const struct nep_config *cfg = nep_cfg_config(c);
	struct nep_uplink_conf *u = &mc->uplinks[i];
	char vp[NEP_CFG_PATH_MAX], buf[64];
	const struct nep_cfg_node *v;
	const struct nep_cfg_map *m;
	unsigned j;

	m = nep_cfg_map_open(c, n, p, uplink_keys);
	v = nep_cfg_req(m, "name");
	nep_cfg_name(c, v, nep_cfg_path_key(vp, p, "name"), u->name);
	for (j = 0; j < i; j++)
		if (strcmp(mc->uplinks[j].name, u->name) == 0)
			nep_cfg_fail(c, v, vp, "duplicate uplink name '%s'",
				u->name);

	v = nep_cfg_req(m, "port");
	u->port = nep_cfg_port(c, v, nep_cfg_path_key(vp, p, "port"));
	if (cfg->ports[u->port].role != NEP_PORT_WAN)
		nep_cfg_fail(c, v, vp, "port '%s' is not a wan port",
			cfg->ports[u->port].name);

	const struct nep_config_learnt *lv = nep_config_learnt();

	v = nep_cfg_get(m, "address");
	if (v != NULL)
		u->addr_mode = (enum nep_uplink_addr_mode)nep_cfg_enum(c, v,
			nep_cfg_path_key(vp, p, "address"), addr_modes,
			"static, slaac or dhcpv6");
	v = nep_cfg_get(m, "ipv4");
	if (v != NULL)
		u->ipv4_dhcp = nep_cfg_enum(c, v, nep_cfg_path_key(vp, p,
					       "ipv4"), ipv4_modes,
				       "static or dhcp") == 1;

	/* The default router comes from the ISP's RAs when the address is
	 * learnt and no next hop is written. */
	v = u->addr_mode == NEP_ADDR_STATIC ? nep_cfg_req(m, "next_hop") :
					      nep_cfg_get(m, "next_hop");
	if (v != NULL) {
		nep_cfg_addr(c, v, nep_cfg_path_key(vp, p, "next_hop"),
			&u->next_hop);
		if (u->next_hop.family != AF_INET6)
			nep_cfg_fail(c, v, vp, "expected an IPv6 address");
	} else {
		u->next_hop_learnt = true;
		if (lv == NULL || lv->next_hop == NULL ||
			!lv->next_hop(lv->arg, u->name, AF_INET6, &u->next_hop))
			u->pending |= NEP_PENDING_ROUTER;
	}
	v = nep_cfg_get(m, "next_hop_v4");
	if (v != NULL && u->ipv4_dhcp)
		nep_cfg_fail(c, v, nep_cfg_path_key(vp, p, "next_hop_v4"),
			"not with ipv4: dhcp (the DHCPv4 router is the next "
			"hop)");
	if (v != NULL) {
		nep_cfg_addr(c, v, nep_cfg_path_key(vp, p, "next_hop_v4"),
			&u->next_hop4);
		if (u->next_hop4.family != AF_INET)
			nep_cfg_fail(c, v, vp, "expected an IPv4 address");
	} else if (u->ipv4_dhcp && lv != NULL && lv->next_hop != NULL) {
		(void)lv->next_hop(lv->arg, u->name, AF_INET, &u->next_hop4);
	}
	if (u->addr_mode != NEP_ADDR_STATIC) {
		/* the learnt address is on the port once DAD passed */
		const struct nep_port_conf *pc = &cfg->ports[u->port];
		bool have = false;

		for (j = pc->n_static_addrs; j < pc->n_addrs; j++)
			have |= pc->addrs[j].addr.family == AF_INET6;
		if (!have)
			u->pending |= NEP_PENDING_ADDRESS;
	}

	v = nep_cfg_req(m, "delegated_prefix");
	nep_cfg_path_key(vp, p, "delegated_prefix");
	if (nep_cfg_scalar(v) != NULL &&
		strcmp(nep_cfg_scalar(v), "dhcpv6-pd") == 0) {
		const struct nep_cfg_node *h;
		char hp[NEP_CFG_PATH_MAX];

		u->pd = true;
		nep_cfg_get_u32(m, "pd_subnet", 0, UINT32_MAX, &u->pd_subnet);
		if ((h = nep_cfg_get(m, "prefix_hint")) != NULL)
			u->prefix_hint = (uint8_t)nep_cfg_uint(c, h,
				nep_cfg_path_key(hp, p, "prefix_hint"), 1, 64);
		u->delegated.addr.family = AF_INET6;
		if (lv != NULL && lv->prefix6 != NULL &&
			lv->prefix6(lv->arg, u->name, &u->pd_prefix) &&
			mh_pd_subnet(&u->pd_prefix, u->pd_subnet,
				&u->delegated) == 0) {
			for (j = 0; j < i; j++)
				if (mc->uplinks[j].delegated.len != 0 &&
					prefixes_overlap(&mc->uplinks[j].delegated,
						&u->delegated))
					u->delegated.len = 0;
		} else {
			u->delegated.len = 0;
		}
		if (u->delegated.len == 0)
			u->pending |= NEP_PENDING_PREFIX;
	} else {
		if (nep_cfg_get(m, "prefix_hint") != NULL ||
			nep_cfg_get(m, "pd_subnet") != NULL)
			nep_cfg_fail(c, v, vp, "prefix_hint and pd_subnet "
				"need delegated_prefix: dhcpv6-pd");
		parse_prefix6_64(c, v, vp, &u->delegated);
		for (j = 0; j < i; j++)
			if (mc->uplinks[j].delegated.len != 0 &&
				prefixes_overlap(&mc->uplinks[j].delegated,
					&u->delegated))
				nep_cfg_fail(c, v, vp, "%s overlaps uplink '%s'",
					nep_prefix_str(&u->delegated, buf,
						sizeof(buf)),
					mc->uplinks[j].name);
	}

	u->role = NEP_UPLINK_PRIMARY;
	v = nep_cfg_get(m, "role");
	if (v != NULL)
		u->role = (enum nep_uplink_role)nep_cfg_enum(c, v,
			nep_cfg_path_key(vp, p, "role"), uplink_roles,
			"primary, backup or excluded");
	u->weight = 1;
	nep_cfg_get_u32(m, "weight", 0, 1000, &u->weight);
	parse_health(c, m, &u->health);
}

/* `uplinks:` (node NULL when absent). Owns the struct mh_config. */
static void
parse_uplinks(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	char p[NEP_CFG_PATH_MAX];
	struct mh_config *mc;
	unsigned i, n;

	mc = calloc(1, sizeof(*mc));
	if (mc == NULL)
		nep_cfg_fail(c, node, "uplinks", "out of memory");
	*obj = mc;
	mc->flow_timeout_s = 30;
	mc->flow_fin_timeout_s = 5;
	mc->flow_table_size = 1048576;
	if (node == NULL)
		return;
	n = nep_cfg_seq(c, node, "uplinks", NEP_MAX_UPLINKS, "uplinks");
	for (i = 0; i < n; i++) {
		parse_uplink(c, mc, nep_cfg_seq_item(c, node, i),
			nep_cfg_path_index(p, "uplinks", i), i);
		mc->n_uplinks = i + 1;
	}
}

static void
free_config(void *obj)
{
	struct mh_config *mc = obj;

	free(mc->steering.policies);
	free(mc);
}

static const char *const steer_keys[] = {
	"inside_prefixes",
	"excluded_destination_prefixes",
	"flow_timeout_s",
	"flow_fin_timeout_s",
	"flow_table_size",
	"policies",
	"published",
	NULL,
};
static const char *const policy_keys[] = {
	"name",
	"destination",
	"source",
	"protocol",
	"source_ports",
	"destination_ports",
	"dscp",
	"mode",
	"uplink",
	"sla",
	NULL,
};
static const char *const sla_keys[] = { "max_rtt_ms", "max_loss_pct",
	"max_jitter_ms", "violate_after", "restore_after",
	"move_on_violation", NULL };
static const char *const policy_modes[] = {
	"balanced",
	"strict",
	"preferred",
	NULL,
};

static const struct {
	const char *name;
	int proto;
} proto_names[] = {
	{"tcp", IPPROTO_TCP},
	{"udp", IPPROTO_UDP},
	{"icmp", IPPROTO_ICMP},
	{"icmpv6", IPPROTO_ICMPV6},
};

static int
parse_proto(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path)
{
	const char *v = nep_cfg_scalar(n);
	unsigned i;

	if (v == NULL)
		nep_cfg_fail(c, n, path, "expected a protocol name or number");
	if (nep_cfg_all_digits(v)) {
		if (nep_cfg_parse_dec(v) > 255)
			nep_cfg_fail(c, n, path, "out of range (0..255)");
		return (int)nep_cfg_parse_dec(v);
	}
	for (i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (strcmp(v, proto_names[i].name) == 0)
			return proto_names[i].proto;
	nep_cfg_fail(c, n, path,
		"unknown protocol '%s' (tcp, udp, icmp, icmpv6 or 0..255)", v);
}

/* "443", 443 or "1024-65535". */
static void
parse_ports(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path,
	uint16_t *lo, uint16_t *hi)
{
	const char *v = nep_cfg_scalar(n), *dash;
	char a[8], b[8];
	uint64_t x, y;

	if (v == NULL)
		nep_cfg_fail(c, n, path,
			"expected a port or a range like 1024-65535");
	dash = strchr(v, '-');
	if (dash == NULL) {
		if (!nep_cfg_all_digits(v))
			nep_cfg_fail(c, n, path, "bad port range '%s'", v);
		x = y = nep_cfg_parse_dec(v);
	} else {
		if ((size_t)(dash - v) >= sizeof(a) ||
			strlen(dash + 1) >= sizeof(b))
			nep_cfg_fail(c, n, path, "bad port range '%s'", v);
		snprintf(a, sizeof(a), "%.*s", (int)(dash - v), v);
		snprintf(b, sizeof(b), "%s", dash + 1);
		if (!nep_cfg_all_digits(a) || !nep_cfg_all_digits(b))
			nep_cfg_fail(c, n, path, "bad port range '%s'", v);
		x = nep_cfg_parse_dec(a);
		y = nep_cfg_parse_dec(b);
	}
	if (x > 65535 || y > 65535)
		nep_cfg_fail(c, n, path, "out of range (0..65535)");
	if (x > y)
		nep_cfg_fail(c, n, path, "bad port range '%s' (low > high)", v);
	*lo = (uint16_t)x;
	*hi = (uint16_t)y;
}

static void
parse_policy(struct nep_cfg *c, struct mh_config *mc,
	const struct nep_cfg_node *n, const char *path, unsigned idx)
{
	struct nep_policy_conf *pol = &mc->steering.policies[idx];
	const struct nep_cfg_node *v, *name, *src;
	char vp[NEP_CFG_PATH_MAX];
	const struct nep_cfg_map *m;
	const char *str;
	unsigned j;

	m = nep_cfg_map_open(c, n, path, policy_keys);
	pol->proto = -1;
	pol->sport_lo = pol->dport_lo = 0;
	pol->sport_hi = pol->dport_hi = 65535;
	pol->dscp = -1;
	pol->uplink = -1;

	name = nep_cfg_get(m, "name");
	if (name != NULL)
		nep_cfg_name(c, name, nep_cfg_path_key(vp, path, "name"),
			pol->name);
	else
		snprintf(pol->name, sizeof(pol->name), "policy%u", idx);
	for (j = 0; j < idx; j++)
		if (strcmp(mc->steering.policies[j].name, pol->name) == 0) {
			if (name != NULL)
				nep_cfg_fail(c, name, vp,
					"duplicate policy name '%s'",
					pol->name);
			nep_cfg_fail(c, nep_cfg_map_node(m), path,
				"duplicate policy name '%s'", pol->name);
		}

	v = nep_cfg_get(m, "destination");
	if (v != NULL) {
		nep_cfg_prefix(c, v, nep_cfg_path_key(vp, path, "destination"),
			&pol->dst);
		pol->has_dst = true;
	}
	src = nep_cfg_get(m, "source");
	if (src != NULL) {
		nep_cfg_prefix(c, src, nep_cfg_path_key(vp, path, "source"),
			&pol->src);
		pol->has_src = true;
		if (pol->has_dst &&
			pol->src.addr.family != pol->dst.addr.family)
			nep_cfg_fail(c, src, vp,
				"address family differs from destination");
	}
	v = nep_cfg_get(m, "protocol");
	if (v != NULL)
		pol->proto = parse_proto(c, v,
			nep_cfg_path_key(vp, path, "protocol"));
	v = nep_cfg_get(m, "source_ports");
	if (v != NULL)
		parse_ports(c, v, nep_cfg_path_key(vp, path, "source_ports"),
			&pol->sport_lo, &pol->sport_hi);
	v = nep_cfg_get(m, "destination_ports");
	if (v != NULL)
		parse_ports(c, v,
			nep_cfg_path_key(vp, path, "destination_ports"),
			&pol->dport_lo, &pol->dport_hi);
	v = nep_cfg_get(m, "dscp");
	if (v != NULL)
		pol->dscp = (int)nep_cfg_uint(c, v,
			nep_cfg_path_key(vp, path, "dscp"), 0, 63);

	v = nep_cfg_req(m, "mode");
	pol->mode = (enum nep_policy_mode)nep_cfg_enum(c, v,
		nep_cfg_path_key(vp, path, "mode"), policy_modes,
		"strict, preferred or balanced");
	v = nep_cfg_get(m, "uplink");
	if (pol->mode == NEP_MODE_BALANCED) {
		if (v != NULL)
			nep_cfg_fail(c, v, nep_cfg_path_key(vp, path, "uplink"),
				"mode balanced takes no uplink");
	} else {
		if (v == NULL)
			nep_cfg_fail(c, nep_cfg_map_node(m), path,
				"missing required key 'uplink' (mode %s)",
				policy_modes[pol->mode]);
		nep_cfg_path_key(vp, path, "uplink");
		str = nep_cfg_str(c, v, vp);
		pol->uplink = mh_config_uplink_index(mc, str);
		if (pol->uplink < 0)
			nep_cfg_fail(c, v, vp, "unknown uplink '%s'", str);
	}
	pol->sla_slot = -1;
	if ((v = nep_cfg_get(m, "sla")) != NULL) {
		const struct nep_cfg_map *sm;
		unsigned used = 0;

		nep_cfg_path_key(vp, path, "sla");
		if (pol->mode == NEP_MODE_STRICT)
			nep_cfg_fail(c, v, vp, "a strict policy has one uplink: "
				"an SLA cannot steer it");
		for (unsigned j = 0; j < idx; j++)
			used += mc->steering.policies[j].has_sla;
		if (used >= NEP_MAX_SLA)
			nep_cfg_fail(c, v, vp, "too many policies with an SLA "
				"(max %u)", NEP_MAX_SLA);
		sm = nep_cfg_map_open(c, v, vp, sla_keys);
		pol->has_sla = true;
		pol->sla_slot = (int)used;
		pol->sla_violate_after = 3;
		pol->sla_restore_after = 5;
		nep_cfg_get_u32(sm, "max_rtt_ms", 1, 60000, &pol->sla_max_rtt_ms);
		nep_cfg_get_u32(sm, "max_loss_pct", 1, 100,
			&pol->sla_max_loss_pct);
		nep_cfg_get_u32(sm, "max_jitter_ms", 1, 60000,
			&pol->sla_max_jitter_ms);
		nep_cfg_get_u32(sm, "violate_after", 1, 1000,
			&pol->sla_violate_after);
		nep_cfg_get_u32(sm, "restore_after", 1, 1000,
			&pol->sla_restore_after);
		nep_cfg_get_bool(sm, "move_on_violation", &pol->sla_move);
		if (pol->sla_max_rtt_ms == 0 && pol->sla_max_loss_pct == 0 &&
			pol->sla_max_jitter_ms == 0)
			nep_cfg_fail(c, v, vp, "an SLA needs max_rtt_ms, "
				"max_loss_pct or max_jitter_ms");
	}
}

static void
parse_prefix_list(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, struct nep_prefix *out, unsigned *count, bool inside)
{
	char ip[NEP_CFG_PATH_MAX];
	const struct nep_cfg_node *v;
	unsigned i, num;

	num = nep_cfg_seq(c, n, path, NEP_MAX_PREFIXES, "prefixes");
	for (i = 0; i < num; i++) {
		v = nep_cfg_seq_item(c, n, i);
		nep_cfg_path_index(ip, path, i);
		nep_cfg_prefix(c, v, ip, &out[i]);
		/* IPv6 inside prefixes are translated: RFC 6296 needs <= /64.
		 * IPv4 ones are steered without translation. */
		if (inside && out[i].addr.family == AF_INET6 && out[i].len > 64)
			nep_cfg_fail(c, v, ip, "prefix longer than /64");
		*count = i + 1;
	}
}

/* `steering:` (node NULL when absent): fills the uplinks' mh_config. */
static void
parse_steering(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	struct mh_config *mc = nep_config_section(nep_cfg_config(c),
		mh_config_section_id);
	struct nep_steering_conf *st = &mc->steering;
	char p[NEP_CFG_PATH_MAX], ip[NEP_CFG_PATH_MAX];
	const struct nep_cfg_node *v;
	const struct nep_cfg_map *m;
	const char *mp = "steering";
	unsigned i, n;

	(void)obj; /* the object is the uplinks section's mh_config */
	if (node == NULL)
		return;
	mc->has_steering = true;
	m = nep_cfg_map_open(c, node, mp, steer_keys);
	if (mc->n_uplinks == 0)
		nep_cfg_fail(c, nep_cfg_map_node(m), mp,
			"steering needs at least one uplink");

	v = nep_cfg_req(m, "inside_prefixes");
	nep_cfg_path_key(p, mp, "inside_prefixes");
	parse_prefix_list(c, v, p, st->inside, &st->n_inside, true);
	if (st->n_inside == 0)
		nep_cfg_fail(c, v, p, "at least one prefix is required");
	v = nep_cfg_get(m, "excluded_destination_prefixes");
	if (v != NULL)
		parse_prefix_list(c, v,
			nep_cfg_path_key(p, mp,
				"excluded_destination_prefixes"),
			st->excluded, &st->n_excluded, false);
	nep_cfg_get_u32(m, "flow_timeout_s", 1, 86400, &mc->flow_timeout_s);
	nep_cfg_get_u32(m, "flow_fin_timeout_s", 1, 3600,
		&mc->flow_fin_timeout_s);
	nep_cfg_get_u32(m, "flow_table_size", 1024, 16777216,
		&mc->flow_table_size);
	if ((v = nep_cfg_get(m, "published")) != NULL) {
		nep_cfg_path_key(p, mp, "published");
		mc->n_published = nep_cfg_seq(c, v, p, NEP_MAX_PREFIXES,
			"published hosts");
		for (i = 0; i < mc->n_published; i++) {
			char ip[NEP_CFG_PATH_MAX];
			const struct nep_cfg_node *it = nep_cfg_seq_item(c, v, i);
			bool in = false;

			nep_cfg_path_index(ip, p, i);
			nep_cfg_addr(c, it, ip, &mc->published[i]);
			for (unsigned k = 0; k < st->n_inside; k++)
				in |= st->inside[k].addr.family == AF_INET6 &&
					nep_prefix_contains(&st->inside[k],
						&mc->published[i]);
			if (!in)
				nep_cfg_fail(c, it, ip, "not in an IPv6 inside "
					"prefix (steering.inside_prefixes)");
		}
	}

	v = nep_cfg_get(m, "policies");
	if (v == NULL)
		return;
	nep_cfg_path_key(p, mp, "policies");
	n = nep_cfg_seq(c, v, p, NEP_MAX_POLICIES, "policies");
	if (n == 0)
		return;
	st->policies = calloc(n, sizeof(st->policies[0]));
	if (st->policies == NULL)
		nep_cfg_fail(c, v, p, "out of memory");
	for (i = 0; i < n; i++) {
		parse_policy(c, mc, nep_cfg_seq_item(c, v, i),
			nep_cfg_path_index(ip, p, i), i);
		st->n_policies = i + 1;
	}
}

/* Before main(), so before any configuration is loaded. */
static void __attribute__((constructor))
mh_config_register(void)
{
	int id = nep_config_section_register("uplinks", parse_uplinks,
		free_config);

	if (id < 0 || nep_config_section_register("steering", parse_steering,
			      NULL) < 0) {
		fprintf(stderr, "multihoming: cannot register the uplinks and "
				"steering configuration sections\n");
		abort();
	}
	mh_config_section_id = id;
}
