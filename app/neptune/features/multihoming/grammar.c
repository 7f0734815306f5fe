/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multihoming commands (docs/multihoming.md), registered into the management
 * grammar at start-up. Linked into neptune, whose handlers bind to these
 * patterns (commands.c), and into neptune-cli, which completes and explains
 * them: so this file needs nothing but nep_mgmt.h.
 */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_multihoming_grammar[] = {
	{ "show uplinks", "Show uplinks: state, health, weight, traffic" },
	{ "show uplink NAME",
	  "Show one uplink: each health target's RTT, loss and state" },
	{ "show flows [FILTER...]",
	  "List steered flows (uplink NAME, proto P, src/dst PREFIX, port N, limit N)" },
	{ "show policies", "List steering policies and their hit counts" },
	{ "show events", "Show recent uplink state changes" },
	{ "show published",
	  "Published inside IPv6 hosts at their address on every uplink" },
	{ "set uplink NAME weight N",
	  "Set an uplink's balancing weight (0..1000)" },
	{ "set uplink NAME admin up|down",
	  "Enable or disable an uplink administratively" },
	{ "flush flows [uplink NAME]",
	  "Remove steered flows (all, or one uplink's)" },
};

/* Before main(): the grammar is complete before anything parses a line. */
static void __attribute__((constructor))
nep_multihoming_grammar_init(void)
{
	/* a failure is reported on stderr; the commands are then unknown */
	nep_cmd_register(nep_multihoming_grammar,
		sizeof(nep_multihoming_grammar) /
			sizeof(nep_multihoming_grammar[0]));
}
