/* SPDX-License-Identifier: BSD-3-Clause */
/* What every file of the feature reads: its registration and its server
 * (kept apart: no import cycle). */
#include "metrics.h"

struct nep_feature nep_metrics_feature;
struct metrics_http *metrics_server;
