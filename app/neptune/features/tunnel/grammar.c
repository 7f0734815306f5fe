/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tunnel commands (docs/tunnel.md, "CLI"), registered into the management
 * grammar at start-up; linked into neptune and neptune-cli.
 */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_tun_grammar[] = {
	{ "show tunnels",
	  "Show tunnel sessions: peer, path, state, RTT, key, traffic, "
	  "authentication failures, replays" },
	{ "tunnel rekey NAME",
	  "Rotate to the next key of hub NAME's sessions (or all)" },
};

static void __attribute__((constructor))
nep_tun_grammar_init(void)
{
	nep_cmd_register(nep_tun_grammar,
		sizeof(nep_tun_grammar) / sizeof(nep_tun_grammar[0]));
}
