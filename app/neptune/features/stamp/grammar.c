/* SPDX-License-Identifier: BSD-3-Clause */
/* STAMP commands (docs/stamp.md, "CLI"); linked into neptune and
 * neptune-cli. */
#include "nep_mgmt.h"

static const struct nep_cmd_def nep_stamp_grammar[] = {
	{ "show stamp sessions",
	  "STAMP sessions: uplink or overlay path, packets, replies, loss, "
	  "round trip (median and p99 of the last 10 s), jitter, the "
	  "path's transparency class and encapsulation" },
	{ "show stamp session NAME",
	  "One STAMP session: round-trip, forward and backward delay over "
	  "the last 10 s and minute (min, median, p99, max), jitter per "
	  "direction, loss by direction, duplicates, reordering, the "
	  "latency histogram, transparency probes" },
	{ "show stamp reflector",
	  "The STAMP Session-Reflector: mode, authentication, requests "
	  "answered, rate-limited and dropped by reason" },
	{ "show stamp sla",
	  "Policies with an SLA: each uplink's and overlay path's measured "
	  "round trip, loss and jitter, and whether it meets the SLA" },
	{ "show stamp events",
	  "SLA violations and recoveries, transparency reclassifications" },
};

static void __attribute__((constructor))
nep_stamp_grammar_init(void)
{
	nep_cmd_register(nep_stamp_grammar,
		sizeof(nep_stamp_grammar) / sizeof(nep_stamp_grammar[0]));
}
