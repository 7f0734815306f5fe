/* SPDX-License-Identifier: BSD-3-Clause */
/* The controller client's command (docs/cli.md); linked into neptune and
 * neptune-cli. */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_ctl_grammar[] = {
	{ "show controller",
	  "neptune-controller client: registration, tunnel addresses, "
	  "reports, the latest decision and the preferred hub, pushed "
	  "configurations" },
};

static void __attribute__((constructor))
nep_ctl_grammar_init(void)
{
	nep_cmd_register(nep_ctl_grammar,
		sizeof(nep_ctl_grammar) / sizeof(nep_ctl_grammar[0]));
}
