/* SPDX-License-Identifier: BSD-3-Clause */
/* ILNP commands (docs/ilnp.md, "CLI"); linked into neptune and
 * neptune-cli. */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_ilnp_grammar[] = {
	{ "show ilnp",
	  "ILNP: the mode, per-policy modes and multipath, packets and "
	  "Locator Updates seen and rewritten, multipath packets per uplink" },
	{ "show ilnp peers",
	  "ILNP peers: inside host, correspondent, nonce, the uplinks last "
	  "advertised, the state of the LU neptune sends on the host's behalf" },
};

static void __attribute__((constructor))
nep_ilnp_grammar_init(void)
{
	nep_cmd_register(nep_ilnp_grammar,
		sizeof(nep_ilnp_grammar) / sizeof(nep_ilnp_grammar[0]));
}
