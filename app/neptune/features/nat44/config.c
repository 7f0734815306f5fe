/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `nat44:` section (docs/nat44.md, "Configuration"). Registered after
 * multihoming's sections: it names uplinks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>

#include "mh_config.h"
#include "nat44.h"

int nat_config_section_id = -1;

static const char *const nat_keys[] = { "uplinks", "filtering", "timeouts",
	"port_block", "max_per_host", "max_sessions", "inbound", "log", NULL };
static const char *const up_keys[] = { "uplink", "addresses", NULL };
static const char *const to_keys[] = { "udp_s", "tcp_established_s",
	"tcp_transitory_s", "icmp_s", NULL };
static const char *const fwd_keys[] = { "name", "proto", "port", "to",
	"to_port", "public", "uplinks", NULL };
static const char *const filter_enum[] = { "endpoint-independent",
	"address-dependent", "address-and-port-dependent", NULL };
static const char *const proto_enum[] = { "tcp", "udp", NULL };

static uint32_t
addr4(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path)
{
	struct nep_addr a;
	uint32_t v;

	nep_cfg_addr(c, n, path, &a);
	if (a.family != AF_INET)
		nep_cfg_fail(c, n, path, "expected an IPv4 address");
	memcpy(&v, a.a, 4);
	return rte_be_to_cpu_32(v);
}

/* The IPv4 addresses of an uplink's port (its default pool). */
static unsigned
port_addrs4(const struct nep_config *cfg, unsigned port, uint32_t *out)
{
	const struct nep_port_conf *pc = &cfg->ports[port];
	unsigned n = 0;

	for (unsigned i = 0; i < pc->n_addrs && n < NAT_MAX_ADDRS; i++)
		if (pc->addrs[i].addr.family == AF_INET) {
			uint32_t v;
			memcpy(&v, pc->addrs[i].addr.a, 4);
			out[n++] = rte_be_to_cpu_32(v);
		}
	return n;
}

static int
nat_uplink_find(const struct nat_config *nc, const char *name)
{
	for (unsigned i = 0; i < nc->n_uplinks; i++)
		if (strcmp(nc->uplinks[i].uplink, name) == 0)
			return (int)i;
	return -1;
}

static void
parse_uplinks(struct nep_cfg *c, const struct nep_cfg_node *v,
	struct nat_config *nc, const struct mh_config *mc)
{
	const struct nep_config *cfg = nep_cfg_config(c);
	char p[NEP_CFG_PATH_MAX], kp[NEP_CFG_PATH_MAX], ap[NEP_CFG_PATH_MAX];

	if (v == NULL) {
		/* every uplink whose port has an IPv4 address */
		for (unsigned u = 0; u < mc->n_uplinks &&
			nc->n_uplinks < NAT_MAX_UPLINKS; u++) {
			struct nat_uplink_conf *uc = &nc->uplinks[nc->n_uplinks];

			uc->n_addrs = port_addrs4(cfg,
				(unsigned)mc->uplinks[u].port, uc->addrs);
			uc->learnt = mc->uplinks[u].ipv4_dhcp;
			if (!uc->learnt && (uc->n_addrs == 0 ||
				mc->uplinks[u].next_hop4.family != AF_INET))
				continue;
			snprintf(uc->uplink, sizeof(uc->uplink), "%s",
				mc->uplinks[u].name);
			uc->uplink_idx = (int)u;
			nc->n_uplinks++;
		}
		return;
	}
	nc->n_uplinks = nep_cfg_seq(c, v, "nat44.uplinks", NAT_MAX_UPLINKS,
		"uplinks");
	for (unsigned i = 0; i < nc->n_uplinks; i++) {
		const struct nep_cfg_node *it = nep_cfg_seq_item(c, v, i);
		struct nat_uplink_conf *uc = &nc->uplinks[i];
		const struct nep_cfg_map *m;
		const struct nep_cfg_node *x;
		int u;

		nep_cfg_path_index(p, "nat44.uplinks", i);
		m = nep_cfg_map_open(c, it, p, up_keys);
		x = nep_cfg_req(m, "uplink");
		nep_cfg_path_key(kp, p, "uplink");
		nep_cfg_name(c, x, kp, uc->uplink);
		u = mh_config_uplink_index(mc, uc->uplink);
		if (u < 0)
			nep_cfg_fail(c, x, kp, "unknown uplink '%s'", uc->uplink);
		for (unsigned j = 0; j < i; j++)
			if (nc->uplinks[j].uplink_idx == u)
				nep_cfg_fail(c, x, kp, "uplink '%s' listed twice",
					uc->uplink);
		if (mc->uplinks[u].next_hop4.family != AF_INET &&
			!mc->uplinks[u].ipv4_dhcp)
			nep_cfg_fail(c, x, kp, "uplink '%s' has no next_hop_v4",
				uc->uplink);
		uc->uplink_idx = u;
		if ((x = nep_cfg_get(m, "addresses")) != NULL) {
			nep_cfg_path_key(kp, p, "addresses");
			uc->n_addrs = nep_cfg_seq(c, x, kp, NAT_MAX_ADDRS,
				"addresses");
			for (unsigned a = 0; a < uc->n_addrs; a++) {
				nep_cfg_path_index(ap, kp, a);
				uc->addrs[a] = addr4(c, nep_cfg_seq_item(c, x, a),
					ap);
				for (unsigned b = 0; b < a; b++)
					if (uc->addrs[b] == uc->addrs[a])
						nep_cfg_fail(c, nep_cfg_seq_item(
							c, x, a), ap, "listed "
							"twice");
			}
		} else {
			uc->n_addrs = port_addrs4(cfg,
				(unsigned)mc->uplinks[u].port, uc->addrs);
			uc->learnt = mc->uplinks[u].ipv4_dhcp;
		}
		if (uc->n_addrs == 0 && !uc->learnt)
			nep_cfg_fail(c, it, p, "uplink '%s': no public IPv4 "
				"address (its port has none; list addresses)",
				uc->uplink);
	}
	/* an address belongs to one uplink */
	for (unsigned i = 0; i < nc->n_uplinks; i++)
		for (unsigned j = i + 1; j < nc->n_uplinks; j++)
			for (unsigned a = 0; a < nc->uplinks[i].n_addrs; a++)
				for (unsigned b = 0; b < nc->uplinks[j].n_addrs; b++)
					if (nc->uplinks[i].addrs[a] ==
						nc->uplinks[j].addrs[b])
						nep_cfg_fail(c, v, "nat44.uplinks",
							"an address is in the "
							"pools of uplinks %s and %s",
							nc->uplinks[i].uplink,
							nc->uplinks[j].uplink);
}

static void
parse_forwards(struct nep_cfg *c, const struct nep_cfg_node *v,
	struct nat_config *nc)
{
	char p[NEP_CFG_PATH_MAX], kp[NEP_CFG_PATH_MAX], ip[NEP_CFG_PATH_MAX];

	nc->n_forwards = nep_cfg_seq(c, v, "nat44.inbound", NAT_MAX_FORWARDS,
		"inbound rules");
	for (unsigned i = 0; i < nc->n_forwards; i++) {
		const struct nep_cfg_node *it = nep_cfg_seq_item(c, v, i), *x;
		struct nat_forward_conf *f = &nc->forwards[i];
		const struct nep_cfg_map *m;
		uint16_t port = 0;

		nep_cfg_path_index(p, "nat44.inbound", i);
		m = nep_cfg_map_open(c, it, p, fwd_keys);
		nep_cfg_name(c, nep_cfg_req(m, "name"),
			nep_cfg_path_key(kp, p, "name"), f->name);
		f->to = addr4(c, nep_cfg_req(m, "to"), nep_cfg_path_key(kp, p,
			"to"));
		if ((x = nep_cfg_get(m, "public")) != NULL) {
			f->kind = NAT_FWD_ONE_TO_ONE;
			f->public_addr = addr4(c, x, nep_cfg_path_key(kp, p,
				"public"));
			for (unsigned k = 0; fwd_keys[k] != NULL; k++)
				if ((strcmp(fwd_keys[k], "proto") == 0 ||
					    strcmp(fwd_keys[k], "port") == 0 ||
					    strcmp(fwd_keys[k], "to_port") == 0) &&
					nep_cfg_get(m, fwd_keys[k]) != NULL)
					nep_cfg_fail(c, nep_cfg_get(m,
						fwd_keys[k]), nep_cfg_path_key(kp,
						p, fwd_keys[k]), "a 1:1 mapping "
						"(public) takes no %s",
						fwd_keys[k]);
		} else {
			f->kind = NAT_FWD_PORT;
			f->proto = nep_cfg_enum(c, nep_cfg_req(m, "proto"),
				nep_cfg_path_key(kp, p, "proto"), proto_enum,
				"tcp or udp") == 0 ? NEP_NAT44_PROTO_TCP :
						      NEP_NAT44_PROTO_UDP;
			(void)nep_cfg_req(m, "port");
			nep_cfg_get_u16(m, "port", 1, 65535, &port);
			f->port = port;
			f->to_port = port;
			nep_cfg_get_u16(m, "to_port", 1, 65535, &f->to_port);
		}
		if ((x = nep_cfg_get(m, "uplinks")) != NULL) {
			nep_cfg_path_key(kp, p, "uplinks");
			f->n_uplinks = nep_cfg_seq(c, x, kp, NAT_MAX_UPLINKS,
				"uplinks");
			for (unsigned u = 0; u < f->n_uplinks; u++) {
				char name[NEP_NAME_MAX];
				const struct nep_cfg_node *ui =
					nep_cfg_seq_item(c, x, u);

				nep_cfg_path_index(ip, kp, u);
				nep_cfg_name(c, ui, ip, name);
				f->uplinks[u] = nat_uplink_find(nc, name);
				if (f->uplinks[u] < 0)
					nep_cfg_fail(c, ui, ip, "'%s' is not a "
						"NAT44 uplink", name);
			}
		}
		if (f->kind == NAT_FWD_ONE_TO_ONE) {
			/* the public address: one uplink's */
			bool found = false;

			for (unsigned u = 0; u < nc->n_uplinks; u++)
				for (unsigned a = 0; a < nc->uplinks[u].n_addrs;
					a++)
					found |= nc->uplinks[u].addrs[a] ==
						f->public_addr;
			if (!found)
				nep_cfg_fail(c, nep_cfg_get(m, "public"),
					nep_cfg_path_key(kp, p, "public"),
					"not a public address of a NAT44 "
					"uplink (nat44.uplinks[].addresses)");
		}
		for (unsigned j = 0; j < i; j++) {
			const struct nat_forward_conf *g = &nc->forwards[j];

			if (f->kind == NAT_FWD_PORT && g->kind == NAT_FWD_PORT &&
				f->proto == g->proto && f->port == g->port)
				nep_cfg_fail(c, it, p, "%s port %u is forwarded "
					"twice (%s, %s)", f->proto ==
					NEP_NAT44_PROTO_TCP ? "tcp" : "udp",
					f->port, g->name, f->name);
			if (f->kind == NAT_FWD_ONE_TO_ONE &&
				g->kind == NAT_FWD_ONE_TO_ONE &&
				f->public_addr == g->public_addr)
				nep_cfg_fail(c, it, p, "public address mapped "
					"twice (%s, %s)", g->name, f->name);
		}
	}
}

static void
parse_nat44(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	const struct mh_config *mc = mh_conf(nep_cfg_config(c));
	struct nat_config *nc = calloc(1, sizeof(*nc));
	struct nep_nat44_timeouts t = NEP_NAT44_TIMEOUTS_DEFAULT;
	const struct nep_cfg_map *m, *tm;
	const struct nep_cfg_node *v;
	const char *bad;

	if (nc == NULL)
		nep_cfg_fail(c, node, "nat44", "out of memory");
	*obj = nc;
	nc->timeouts = t;
	nc->block_size = NEP_NAT44_BLOCK_DEFAULT;
	nc->max_per_host = 4096;
	nc->max_sessions = 65536;
	nc->filtering = NEP_NAT44_FILTER_EIF;
	m = nep_cfg_map_open(c, node, "nat44", nat_keys);
	if (node == NULL)
		return;
	nc->enabled = true;
	parse_uplinks(c, nep_cfg_get(m, "uplinks"), nc, mc);
	if (nc->n_uplinks == 0)
		nep_cfg_fail(c, node, "nat44", "no uplink with an IPv4 address "
			"and next_hop_v4 to translate to");
	if ((v = nep_cfg_get(m, "filtering")) != NULL)
		nc->filtering = (enum nep_nat44_filtering)nep_cfg_enum(c, v,
			"nat44.filtering", filter_enum, "endpoint-independent, "
			"address-dependent or address-and-port-dependent");
	tm = nep_cfg_map_sub(m, "timeouts", to_keys);
	nep_cfg_get_u32(tm, "udp_s", 1, NEP_NAT44_TIMEOUT_MAX, &nc->timeouts.udp);
	nep_cfg_get_u32(tm, "tcp_established_s", 1, NEP_NAT44_TIMEOUT_MAX,
		&nc->timeouts.tcp_established);
	nep_cfg_get_u32(tm, "tcp_transitory_s", 1, NEP_NAT44_TIMEOUT_MAX,
		&nc->timeouts.tcp_transitory);
	nep_cfg_get_u32(tm, "icmp_s", 1, NEP_NAT44_TIMEOUT_MAX,
		&nc->timeouts.icmp);
	if (nep_nat44_timeouts_check(&nc->timeouts, &bad) != NEP_NAT44_OK) {
		char kp[NEP_CFG_PATH_MAX];
		const char *key = strcmp(bad, "udp") == 0 ? "udp_s" :
			strcmp(bad, "icmp") == 0 ? "icmp_s" :
			strcmp(bad, "tcp_established") == 0 ?
			"tcp_established_s" : "tcp_transitory_s";
		nep_cfg_fail(c, nep_cfg_get(nep_cfg_map_sub(m, "timeouts",
			to_keys), key), nep_cfg_path_key(kp, "nat44.timeouts",
			key), "below the minimum RFC 4787 / RFC 5382 / RFC 5508 "
			"allow (udp 120, tcp_established 7440, tcp_transitory "
			"240, icmp 60)");
	}
	if (nep_cfg_get_u32(m, "port_block", NEP_NAT44_BLOCK_MIN,
		    NEP_NAT44_BLOCK_MAX, &nc->block_size) &&
		(nc->block_size & (nc->block_size - 1)) != 0)
		nep_cfg_fail(c, nep_cfg_get(m, "port_block"), "nat44.port_block",
			"must be a power of two (64..4096)");
	nep_cfg_get_u32(m, "max_per_host", 0, 64512, &nc->max_per_host);
	nep_cfg_get_u32(m, "max_sessions", 1024, 16u << 20, &nc->max_sessions);
	if ((v = nep_cfg_get(m, "inbound")) != NULL)
		parse_forwards(c, v, nc);
	if ((v = nep_cfg_get(m, "log")) != NULL) {
		nep_cfg_copy_str(c, v, "nat44.log", nc->log, sizeof(nc->log));
		if (strcmp(nc->log, "syslog") != 0 && nc->log[0] != '/')
			nep_cfg_fail(c, v, "nat44.log", "expected syslog or an "
				"absolute file path");
	}
}

static void
free_nat44(void *obj)
{
	free(obj);
}

static void __attribute__((constructor))
nat_config_register(void)
{
	if (mh_config_section_id < 0) {
		fprintf(stderr, "nat44: the multihoming sections must be "
				"registered first (link order)\n");
		abort();
	}
	nat_config_section_id = nep_config_section_register("nat44",
		parse_nat44, free_nat44);
	if (nat_config_section_id < 0) {
		fprintf(stderr, "nat44: cannot register its configuration "
				"section\n");
		abort();
	}
}
