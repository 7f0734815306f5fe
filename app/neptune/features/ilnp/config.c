/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `ilnp:` section (docs/ilnp.md, "Configuration"). Registered after
 * multihoming's sections: it names steering policies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mh_config.h"
#include "ilnp.h"

int ilnp_config_section_id = -1;

static const char *const ilnp_keys[] = { "mode", "lu_rewrite", "policies",
	NULL };
static const char *const pol_keys[] = { "policy", "mode", "multipath",
	NULL };
static const char *const mode_enum[] = { "aware", "transparent", NULL };
static const char *const mp_enum[] = { "none", "drr", NULL };

static void
parse_ilnp(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	const struct mh_config *mc = mh_conf(nep_cfg_config(c));
	struct ilnp_config *ic = calloc(1, sizeof(*ic));
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *v;
	char p[NEP_CFG_PATH_MAX], kp[NEP_CFG_PATH_MAX];

	if (ic == NULL)
		nep_cfg_fail(c, node, "ilnp", "out of memory");
	*obj = ic;
	ic->mode = ILNP_AWARE;
	ic->lu_rewrite = true;
	m = nep_cfg_map_open(c, node, "ilnp", ilnp_keys);
	if (node == NULL)
		return;
	if ((v = nep_cfg_get(m, "mode")) != NULL)
		ic->mode = (enum ilnp_mode)nep_cfg_enum(c, v, "ilnp.mode",
			mode_enum, "aware or transparent");
	nep_cfg_get_bool(m, "lu_rewrite", &ic->lu_rewrite);
	if ((v = nep_cfg_get(m, "policies")) == NULL)
		return;
	ic->n_policies = nep_cfg_seq(c, v, "ilnp.policies", ILNP_MAX_POLICIES,
		"policies");
	for (unsigned i = 0; i < ic->n_policies; i++) {
		const struct nep_cfg_node *it = nep_cfg_seq_item(c, v, i), *x;
		struct ilnp_policy_conf *pc = &ic->policies[i];
		const struct nep_cfg_map *pm;
		unsigned k;

		nep_cfg_path_index(p, "ilnp.policies", i);
		pm = nep_cfg_map_open(c, it, p, pol_keys);
		x = nep_cfg_req(pm, "policy");
		nep_cfg_path_key(kp, p, "policy");
		nep_cfg_name(c, x, kp, pc->policy);
		for (k = 0; k < mc->steering.n_policies; k++)
			if (strcmp(mc->steering.policies[k].name,
				    pc->policy) == 0)
				break;
		if (k == mc->steering.n_policies)
			nep_cfg_fail(c, x, kp, "unknown policy '%s' "
				"(steering.policies)", pc->policy);
		pc->index = k + 1;
		for (unsigned j = 0; j < i; j++)
			if (ic->policies[j].index == pc->index)
				nep_cfg_fail(c, x, kp, "policy '%s' listed "
					"twice", pc->policy);
		pc->mode = ic->mode;
		if ((x = nep_cfg_get(pm, "mode")) != NULL)
			pc->mode = (enum ilnp_mode)nep_cfg_enum(c, x,
				nep_cfg_path_key(kp, p, "mode"), mode_enum,
				"aware or transparent");
		if ((x = nep_cfg_get(pm, "multipath")) != NULL)
			pc->multipath = nep_cfg_enum(c, x,
				nep_cfg_path_key(kp, p, "multipath"), mp_enum,
				"none or drr") == 1;
		if (pc->multipath && pc->mode != ILNP_AWARE)
			nep_cfg_fail(c, x, kp, "multipath needs mode aware "
				"(a packet on another uplink keeps its NID "
				"only with the locator rewritten alone)");
	}
}

static void
free_ilnp(void *obj)
{
	free(obj);
}

static void __attribute__((constructor))
ilnp_config_register(void)
{
	if (mh_config_section_id < 0) {
		fprintf(stderr, "ilnp: the multihoming sections must be "
				"registered first (link order)\n");
		abort();
	}
	ilnp_config_section_id = nep_config_section_register("ilnp",
		parse_ilnp, free_ilnp);
	if (ilnp_config_section_id < 0) {
		fprintf(stderr, "ilnp: cannot register its configuration "
				"section\n");
		abort();
	}
}
