/* SPDX-License-Identifier: BSD-3-Clause */
/* What every file of the feature reads: its registration, its control
 * state (the pools) and its drop ids (kept apart: no import cycle). */
#include "nat44.h"

struct nep_feature nep_nat_feature;
struct nat_ctl nat_ctl_state;
unsigned nat_drop_rc[NEP_NAT44_RC_MAX];
