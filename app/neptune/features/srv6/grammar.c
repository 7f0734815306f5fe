/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRv6 commands (docs/srv6.md), registered into the management grammar at
 * start-up; linked into neptune and neptune-cli (needs only nep_mgmt.h).
 */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_srv6_grammar[] = {
	{ "show sr localsids",
	  "Show local SIDs: behaviour, VRF or next hop, packets, bytes" },
	{ "show sr policies",
	  "Show SR policies: each path's uplink, source and segment list" },
	{ "show overlays",
	  "Show overlays, remote sites and paths: state, RTT, traffic" },
};

static void __attribute__((constructor))
nep_srv6_grammar_init(void)
{
	nep_cmd_register(nep_srv6_grammar,
		sizeof(nep_srv6_grammar) / sizeof(nep_srv6_grammar[0]));
}
