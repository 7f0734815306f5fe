/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The preferred hub (nep_tun_pref.h): a mask of its paths beside the
 * usable ones; the egress stage keeps to it while one of them is up.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "nep_tun_pref.h"
#include "tunnel.h"

static int
hub_index(const struct tun_config *tc, const char *hub)
{
	for (unsigned h = 0; h < tc->n_hubs; h++)
		if (strcmp(tc->hubs[h].name, hub) == 0)
			return (int)h;
	return -1;
}

uint64_t
tun_pref_mask(const struct nep_config *cfg, const struct tun_snap *ts,
	const char *hub)
{
	const struct tun_config *tc = tun_conf(cfg);
	uint64_t m = 0;
	int h;

	if (hub[0] == '\0' || !ts->enabled || ts->role != TUN_ROLE_ENDPOINT)
		return 0;
	h = hub_index(tc, hub);
	for (unsigned i = 0; h >= 0 && i < ts->n_paths; i++)
		if (ts->paths[i].hub == h)
			m |= 1ull << i;
	return m;
}

int
nep_tun_set_preferred_hub(struct nep_app *app, const char *hub)
{
	struct tun_snap *ts = TUN_SNAP(app->snap);
	struct tun_ctl *tc = TUN_CTL(app);

	if (!ts->enabled || ts->role != TUN_ROLE_ENDPOINT)
		return -ENOTSUP;
	if (hub == NULL)
		hub = "";
	if (hub[0] != '\0' && hub_index(tun_conf(app->snap->cfg), hub) < 0)
		return -ENOENT;
	if (strcmp(tc->pref_hub, hub) == 0)
		return 0;
	snprintf(tc->pref_hub, sizeof(tc->pref_hub), "%s", hub);
	__atomic_store_n(&ts->pref_mask, tun_pref_mask(app->snap->cfg, ts, hub),
		__ATOMIC_RELEASE);
	NEP_LOG(NOTICE, "tunnel: preferred hub %s", hub[0] ? hub : "(none)");
	return 0;
}

const char *
nep_tun_preferred_hub(const struct nep_app *app)
{
	return TUN_CTL(app)->pref_hub;
}

unsigned
nep_tun_hub_count(const struct nep_app *app)
{
	const struct tun_snap *ts = TUN_SNAP(app->snap);

	if (!ts->enabled || ts->role != TUN_ROLE_ENDPOINT)
		return 0;
	return tun_conf(app->snap->cfg)->n_hubs;
}

const char *
nep_tun_hub_name(const struct nep_app *app, unsigned i)
{
	return tun_conf(app->snap->cfg)->hubs[i].name;
}

bool
nep_tun_hub_usable(const struct nep_app *app, unsigned i)
{
	const struct tun_snap *ts = TUN_SNAP(app->snap);
	uint64_t up = __atomic_load_n(&ts->up_mask, __ATOMIC_ACQUIRE);

	for (unsigned p = 0; p < ts->n_paths; p++)
		if (ts->paths[p].hub == i && ((up >> p) & 1))
			return true;
	return false;
}

bool
nep_tun_is_hub(const struct nep_app *app)
{
	const struct tun_snap *ts = TUN_SNAP(app->snap);

	return ts->enabled && ts->role == TUN_ROLE_HUB;
}

unsigned
nep_tun_active_sessions(const struct nep_app *app)
{
	const struct tun_snap *ts = TUN_SNAP(app->snap);
	const struct tun_config *tc = tun_conf(app->snap->cfg);
	uint64_t now = rte_rdtsc(), dead;
	unsigned n = 0;

	if (!ts->enabled)
		return 0;
	if (ts->role == TUN_ROLE_ENDPOINT)
		return (unsigned)__builtin_popcountll(ts->up_mask);
	dead = (uint64_t)tc->interval_ms * tc->miss * app->tsc_hz / 1000;
	for (unsigned i = 0; i < ts->n_sess; i++) {
		uint64_t last = __atomic_load_n(
			&TUN_CTL(app)->state[ts->sess[i].state].last_rx_tsc,
			__ATOMIC_RELAXED);

		if (last != 0 && now - last <= dead)
			n++;
	}
	return n;
}
