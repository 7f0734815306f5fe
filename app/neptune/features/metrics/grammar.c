/* SPDX-License-Identifier: BSD-3-Clause */
/* The metrics feature's command (docs/cli.md); linked into neptune and
 * neptune-cli. */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_metrics_grammar[] = {
	{ "show metrics",
	  "Prometheus text exposition (what GET /metrics serves)" },
};

static void __attribute__((constructor))
nep_metrics_grammar_init(void)
{
	nep_cmd_register(nep_metrics_grammar,
		sizeof(nep_metrics_grammar) / sizeof(nep_metrics_grammar[0]));
}
