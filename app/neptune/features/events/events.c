/* SPDX-License-Identifier: BSD-3-Clause */
/* The events feature: registration and its control-lcore callbacks. */
#include <stdio.h>

#include "events.h"

static int
ev_init(struct nep_app *app)
{
	ev_state.seen = json_object();
	ev_state.generation = app->snap != NULL ? app->snap->generation : 0;
	ev_state.runner = ev_runner_start(app->cfg->mgmt_socket);
	if (ev_state.runner == NULL)
		return -1;
	ev_emit(app, EV_START, "neptune", "", "running", "started");
	return 0;
}

static void
ev_fini(struct nep_app *app)
{
	(void)app;
	ev_runner_stop(ev_state.runner);
	ev_state.runner = NULL;
	json_decref(ev_state.seen);
	ev_state.seen = NULL;
	json_decref(ev_state.uplinks);
	ev_state.uplinks = NULL;
}

static void
ev_run(struct nep_app *app, uint64_t now_ns)
{
	if (now_ns - ev_state.last_poll_ns < EV_POLL_NS)
		return;
	ev_state.last_poll_ns = now_ns;
	ev_watch(app);
}

static void
ev_link_change(struct nep_app *app, unsigned port, bool up)
{
	ev_emit(app, up ? EV_PORT_UP : EV_PORT_DOWN, app->ports[port].name,
		up ? "down" : "up", up ? "up" : "down", "carrier");
}

static const struct nep_feature ev_feature = {
	.name = "events",
	.order = 95,
	.init = ev_init,
	.fini = ev_fini,
	.run = ev_run,
	.link_change = ev_link_change,
	.commands = ev_commands,
};

RTE_INIT(ev_register)
{
	nep_ev_feature = ev_feature;
	nep_feature_register(&nep_ev_feature);
}
