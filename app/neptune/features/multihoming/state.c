/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every file of the feature reads: its registration (its id) and
 * the ids the core gave its drop reasons and path action. Filled by
 * multihoming.c at start-up.
 */
#include "mh.h"

struct nep_feature nep_mh_feature;
unsigned mh_drop_unmappable, mh_drop_strict_down, mh_drop_no_uplink;
uint8_t mh_action_nptv6;
