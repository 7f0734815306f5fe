/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every file of the feature reads: its registration (its id) and the
 * ids the core gave its drop reasons and path action. Filled at start-up
 * by srv6.c and stages.c; kept apart so the call graph stays acyclic.
 */
#include "srv6.h"

struct nep_feature nep_srv6_feature;
unsigned srv6_drop_unknown_sid, srv6_drop_no_path, srv6_drop_wrong_inner,
	srv6_drop_bad_next_sid;
unsigned srv6_drop_rc[NEP_SRV6_RC_MAX];
uint8_t srv6_action_encap;
