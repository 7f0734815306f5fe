/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seed's load-balancer algorithm: a weighted sum of headroom, and a
 * decision that moves only for a clear win after a hold time (anti-flap).
 */
#include <math.h>

#include "nctl.h"

static double
headroom(double v, double max)
{
	double x;

	if (!(max > 0) || !isfinite(v))
		return 0;
	x = v / max;
	if (x < 0)
		x = 0;
	if (x > 1)
		x = 1;
	return 1 - x;
}

double
nctl_score(const struct nctl_algo *a, const struct nctl_metrics *m)
{
	return a->w.cpu * headroom(m->cpu_percent, 100) +
		a->w.memory * headroom(m->memory_percent, 100) +
		a->w.bandwidth * headroom(m->bandwidth_mbps,
			a->max_bandwidth_mbps) +
		a->w.connections * headroom(m->active_tunnels,
			a->max_connections);
}

bool
nctl_server_active(const struct nctl_algo *a, double last_report, double now)
{
	return now - last_report <= 3 * a->report_interval_s;
}

int
nctl_decide(const struct nctl_algo *a, const double *score,
	const bool *active, unsigned n, struct nctl_decision *d, double now,
	bool *changed)
{
	int best = -1, cur = d->server;

	*changed = false;
	for (unsigned i = 0; i < n; i++)
		if (active[i] && (best < 0 || score[i] > score[best]))
			best = (int)i;
	if (best < 0)
		return -1;
	/* The current one gone or inactive: no hold, move at once. */
	if (cur < 0 || (unsigned)cur >= n || !active[cur])
		goto move;
	if (best == cur)
		return cur;
	/* The margin is computed as the seed does (new - current), with a
	 * small tolerance so that an exact 0.05 counts. */
	if (score[best] - score[cur] + 1e-9 < a->anti_flap_threshold ||
		now - d->since < a->anti_flap_hold_s)
		return cur;
move:
	if (best != cur) {
		d->server = best;
		d->since = now;
		*changed = true;
	}
	return best;
}
