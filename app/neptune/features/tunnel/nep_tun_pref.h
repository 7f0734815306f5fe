/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the tunnel feature offers other features (the controller client,
 * app/neptune/features/controller): the preferred hub of an endpoint and
 * a summary of its hubs, the hub role's live sessions. Control lcore only.
 */
#ifndef NEP_TUN_PREF_H
#define NEP_TUN_PREF_H

#include <stdbool.h>

struct nep_app;

/*
 * Make hub the endpoint's preferred one: while one of its paths is
 * usable, flows use only its paths; the other hubs' sessions stay up
 * (keepalives) and carry the flows when the preferred hub has no usable
 * path (local health wins). NULL or "": no preference (the configured
 * primary/backup order). Kept across reloads while the hub exists.
 * 0, -ENOENT (no such hub), -ENOTSUP (no tunnel, or the hub role).
 */
int nep_tun_set_preferred_hub(struct nep_app *app, const char *hub);
/* The preferred hub, "" when none. */
const char *nep_tun_preferred_hub(const struct nep_app *app);

/* Endpoint: the configured hubs (0 otherwise), each one's name and
 * whether one of its paths is usable now. */
unsigned nep_tun_hub_count(const struct nep_app *app);
const char *nep_tun_hub_name(const struct nep_app *app, unsigned i);
bool nep_tun_hub_usable(const struct nep_app *app, unsigned i);

/* Is this appliance a tunnel hub (tunnel.role: hub)? */
bool nep_tun_is_hub(const struct nep_app *app);

/* Hub: sessions heard from within the keepalive dead time; endpoint:
 * usable paths. */
unsigned nep_tun_active_sessions(const struct nep_app *app);

#endif /* NEP_TUN_PREF_H */
