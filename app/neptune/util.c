/* SPDX-License-Identifier: BSD-3-Clause */
/* Clocks, the log type and counter sums every part of the core uses. */
#include <time.h>

#include "neptune.h"

int nep_logtype;

uint64_t
nep_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
nep_now_ms(void)
{
	return nep_now_ns() / 1000000ull;
}

uint64_t
nep_stats_sum(const struct nep_app *app, size_t offset)
{
	return nep_counters_sum(app->stats, app->stats_base,
		sizeof(app->stats[0]), RTE_MAX_LCORE, offset);
}
