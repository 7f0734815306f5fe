/* SPDX-License-Identifier: BSD-3-Clause */
/* The events feature's command (docs/cli.md); linked into neptune and
 * neptune-cli. */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_ev_grammar[] = {
	{ "show hooks",
	  "Event hooks: configured hooks, runs, events counted by kind, the "
	  "latest events" },
};

static void __attribute__((constructor))
nep_ev_grammar_init(void)
{
	nep_cmd_register(nep_ev_grammar,
		sizeof(nep_ev_grammar) / sizeof(nep_ev_grammar[0]));
}
