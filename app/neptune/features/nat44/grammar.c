/* SPDX-License-Identifier: BSD-3-Clause */
/* NAT44 commands (docs/nat44.md, "CLI"); linked into neptune and
 * neptune-cli. */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_nat_grammar[] = {
	{ "show nat44 sessions [FILTER...]",
	  "List NAT44 mappings (uplink NAME, proto P, src ADDR: the inside host, limit N)" },
	{ "show nat44 summary",
	  "Per uplink and address: ports in use, sessions by protocol and "
	  "state, allocation failures" },
	{ "clear nat44 sessions", "Remove every NAT44 mapping" },
};

static void __attribute__((constructor))
nep_nat_grammar_init(void)
{
	nep_cmd_register(nep_nat_grammar,
		sizeof(nep_nat_grammar) / sizeof(nep_nat_grammar[0]));
}
