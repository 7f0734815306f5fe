/* SPDX-License-Identifier: BSD-3-Clause */
/* Clocks, the log type and counter sums every part of the core uses. */
#include <time.h>

#include <rte_cycles.h>

#include "neptune.h"

int nep_logtype;

uint64_t
nep_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
nep_wallclock_sync(struct nep_app *app)
{
	uint32_t cur = app->wall_idx & 1, next = (app->wall_idx + 1) & 1;
	struct timespec ts;
	uint64_t t0 = rte_rdtsc(), tsc, ns;
	double rate = 1e9 / (double)app->tsc_hz;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* the midpoint of the TSC readings around the clock read */
	tsc = t0 + (rte_rdtsc() - t0) / 2;
	ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/*
	 * The TSC's rate as the system clock sees it (rte_get_tsc_hz() is
	 * an estimate, 1000 ppm off on some hosts: a millisecond a second),
	 * from the previous anchor; smoothed, and only over half a second
	 * or more. A clock step (settimeofday) resets it.
	 */
	static bool measured;

	if (app->wall[cur].ns_per_tsc > 0)
		rate = app->wall[cur].ns_per_tsc;
	if (app->wall[cur].ns != 0 && ns > app->wall[cur].ns &&
		ns - app->wall[cur].ns >= (measured ? 500000000ull : 50000000ull) &&
		tsc > app->wall[cur].tsc) {
		double m = (double)(ns - app->wall[cur].ns) /
			   (double)(tsc - app->wall[cur].tsc);

		if (m > rate * 0.99 && m < rate * 1.01) {
			rate = measured ? (rate * 3 + m) / 4 : m;
			measured = true;
		}
	}
	app->wall[next].tsc = tsc;
	app->wall[next].ns = ns;
	app->wall[next].ns_per_tsc = rate;
	__atomic_store_n(&app->wall_idx, app->wall_idx + 1, __ATOMIC_RELEASE);
}

uint64_t
nep_now_ms(void)
{
	return nep_now_ns() / 1000000ull;
}

void
nep_iso_time(uint64_t wall_ms, char *buf, size_t len)
{
	time_t s = (time_t)(wall_ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, (unsigned)(wall_ms % 1000));
}

uint64_t
nep_stats_sum(const struct nep_app *app, size_t offset)
{
	return nep_counters_sum(app->stats, app->stats_base,
		sizeof(app->stats[0]), RTE_MAX_LCORE, offset);
}
