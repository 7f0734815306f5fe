/* SPDX-License-Identifier: BSD-3-Clause */
/* Provisioning commands (docs/provisioning.md, "CLI"); linked into
 * neptune and neptune-cli. */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_prov_grammar[] = {
	{ "show dhcp",
	  "Provisioned uplinks: DHCPv6 state, server, delegated prefix and "
	  "lease times, the WAN address (SLAAC or IA_NA) and default router, "
	  "DHCPv4 state, address and gateway" },
	{ "show ra",
	  "Router Advertisements per LAN port: prefixes, lifetimes, RDNSS, "
	  "DNSSL, how many were sent and solicited" },
};

static void __attribute__((constructor))
nep_prov_grammar_init(void)
{
	nep_cmd_register(nep_prov_grammar,
		sizeof(nep_prov_grammar) / sizeof(nep_prov_grammar[0]));
}
