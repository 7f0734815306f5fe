/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `provisioning:` section (docs/provisioning.md, "Configuration"):
 * where the DHCPv6 DUID is kept, and the Router Advertisements of LAN
 * ports. The per-uplink keys (address, delegated_prefix: dhcpv6-pd, ipv4)
 * are in `uplinks:` (multihoming's parser).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "mh_config.h"
#include "prov.h"

int prov_config_section_id = -1;

static const char *const prov_keys[] = { "duid_file",
	"router_advertisements", NULL };
static const char *const ra_keys[] = { "port", "prefixes", "interval_s",
	"router_lifetime_s", "valid_lifetime_s", "preferred_lifetime_s", "mtu",
	"managed", "other", "rdnss", "dnssl", NULL };

static void
parse_ra(struct nep_cfg *c, const struct nep_cfg_node *it, const char *p,
	struct prov_ra_conf *ra, const struct prov_config *pc, unsigned i)
{
	const struct nep_config *cfg = nep_cfg_config(c);
	char kp[NEP_CFG_PATH_MAX], ip[NEP_CFG_PATH_MAX];
	const struct nep_cfg_map *m = nep_cfg_map_open(c, it, p, ra_keys);
	const struct nep_cfg_node *v;

	v = nep_cfg_req(m, "port");
	ra->port = nep_cfg_port(c, v, nep_cfg_path_key(kp, p, "port"));
	if (cfg->ports[ra->port].role != NEP_PORT_LAN)
		nep_cfg_fail(c, v, kp, "port '%s' is not a lan port",
			cfg->ports[ra->port].name);
	for (unsigned j = 0; j < i; j++)
		if (pc->ra[j].port == ra->port)
			nep_cfg_fail(c, v, kp, "port '%s' listed twice",
				cfg->ports[ra->port].name);
	ra->interval_s = 600;
	nep_cfg_get_u32(m, "interval_s", 4, 1800, &ra->interval_s);
	/* RFC 4861 6.2.1: 0, or between MaxRtrAdvInterval and 9000 s */
	ra->router_lifetime_s = 3 * ra->interval_s;
	if ((v = nep_cfg_get(m, "router_lifetime_s")) != NULL) {
		ra->router_lifetime_s = (uint32_t)nep_cfg_uint(c, v,
			nep_cfg_path_key(kp, p, "router_lifetime_s"), 0, 9000);
		if (ra->router_lifetime_s != 0 &&
			ra->router_lifetime_s < ra->interval_s)
			nep_cfg_fail(c, v, kp, "0 or at least interval_s (%u)",
				ra->interval_s);
	}
	ra->valid_s = 86400;
	ra->preferred_s = 14400;
	nep_cfg_get_u32(m, "valid_lifetime_s", 0, UINT32_MAX, &ra->valid_s);
	nep_cfg_get_u32(m, "preferred_lifetime_s", 0, ra->valid_s,
		&ra->preferred_s);
	ra->mtu = true;
	nep_cfg_get_bool(m, "mtu", &ra->mtu);
	nep_cfg_get_bool(m, "managed", &ra->managed);
	nep_cfg_get_bool(m, "other", &ra->other);
	if ((v = nep_cfg_get(m, "prefixes")) != NULL) {
		nep_cfg_path_key(kp, p, "prefixes");
		ra->prefixes_set = true;
		ra->n_prefixes = nep_cfg_seq(c, v, kp, PROV_MAX_PFX,
			"prefixes");
		for (unsigned k = 0; k < ra->n_prefixes; k++) {
			const struct nep_cfg_node *x = nep_cfg_seq_item(c, v, k);

			nep_cfg_path_index(ip, kp, k);
			nep_cfg_prefix(c, x, ip, &ra->prefixes[k]);
			if (ra->prefixes[k].addr.family != AF_INET6)
				nep_cfg_fail(c, x, ip, "expected an IPv6 prefix");
		}
	}
	if ((v = nep_cfg_get(m, "rdnss")) != NULL) {
		nep_cfg_path_key(kp, p, "rdnss");
		ra->n_rdnss = nep_cfg_seq(c, v, kp, NEP_RA_MAX_RDNSS,
			"addresses");
		for (unsigned k = 0; k < ra->n_rdnss; k++) {
			const struct nep_cfg_node *x = nep_cfg_seq_item(c, v, k);
			struct nep_addr a;

			nep_cfg_path_index(ip, kp, k);
			nep_cfg_addr(c, x, ip, &a);
			if (a.family != AF_INET6)
				nep_cfg_fail(c, x, ip, "expected an IPv6 address");
			memcpy(ra->rdnss[k], a.a, 16);
		}
	}
	if ((v = nep_cfg_get(m, "dnssl")) != NULL) {
		nep_cfg_path_key(kp, p, "dnssl");
		ra->n_dnssl = nep_cfg_seq(c, v, kp, NEP_RA_MAX_DNSSL, "names");
		for (unsigned k = 0; k < ra->n_dnssl; k++) {
			const struct nep_cfg_node *x = nep_cfg_seq_item(c, v, k);

			nep_cfg_path_index(ip, kp, k);
			nep_cfg_copy_str(c, x, ip, ra->dnssl[k],
				sizeof(ra->dnssl[k]));
		}
	}
}

static void
parse_prov(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	struct prov_config *pc = calloc(1, sizeof(*pc));
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *v;
	char p[NEP_CFG_PATH_MAX];

	if (pc == NULL)
		nep_cfg_fail(c, node, "provisioning", "out of memory");
	*obj = pc;
	snprintf(pc->duid_file, sizeof(pc->duid_file), "%s",
		"/var/lib/neptune/dhcp6-duid");
	m = nep_cfg_map_open(c, node, "provisioning", prov_keys);
	if (node == NULL)
		return;
	nep_cfg_get_str(m, "duid_file", pc->duid_file, sizeof(pc->duid_file));
	if ((v = nep_cfg_get(m, "router_advertisements")) == NULL)
		return;
	pc->n_ra = nep_cfg_seq(c, v, "provisioning.router_advertisements",
		PROV_MAX_RA, "ports");
	for (unsigned i = 0; i < pc->n_ra; i++) {
		nep_cfg_path_index(p, "provisioning.router_advertisements", i);
		parse_ra(c, nep_cfg_seq_item(c, v, i), p, &pc->ra[i], pc, i);
	}
}

static void
free_prov(void *obj)
{
	free(obj);
}

static void __attribute__((constructor))
prov_config_register(void)
{
	if (mh_config_section_id < 0) {
		fprintf(stderr, "provisioning: the multihoming sections must "
				"be registered first (link order)\n");
		abort();
	}
	prov_config_section_id = nep_config_section_register("provisioning",
		parse_prov, free_prov);
	if (prov_config_section_id < 0) {
		fprintf(stderr, "provisioning: cannot register its "
				"configuration section\n");
		abort();
	}
}
