/* SPDX-License-Identifier: BSD-3-Clause */
/* What every file of the feature reads (kept apart: no import cycle). */
#include "events.h"

struct nep_feature nep_ev_feature;
struct ev_state ev_state;

const char *const ev_kind_names[EV_KIND_MAX] = {
#define EV_NAME(n, s) [EV_##n] = s,
	EV_KINDS(EV_NAME)
#undef EV_NAME
};

const char *const ev_result_names[EV_RUN_MAX] = {
	[EV_RUN_OK] = "ok",
	[EV_RUN_FAILED] = "failed",
	[EV_RUN_TIMEOUT] = "timeout",
	[EV_RUN_DROPPED] = "dropped",
};
