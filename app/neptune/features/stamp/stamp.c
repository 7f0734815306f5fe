/* SPDX-License-Identifier: BSD-3-Clause */
/* The STAMP feature: registration, init, reload, the control-loop hook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nep_control.h"
#include "nep_pkt.h"
#include "stamp.h"


/* The ports the handlers were registered on (fixed until a restart). */
static uint16_t refl_port, sender_port;

static int
stamp_init(struct nep_app *app)
{
	const struct stamp_config *sc = stamp_conf(app->cfg);
	struct stamp_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -1;
	app->feat[nep_stamp_feature.id] = st;
	for (unsigned i = 0; i < 65536; i++)
		st->by_ssid[i] = -1;
	if (!sc->present)
		return 0;
	refl_port = sc->refl.port ? sc->refl.port : NEP_STAMP_PORT;
	sender_port = sc->sender_port;
	if (sc->refl.enabled &&
		(nep_local_register(6, NEP_PROTO_UDP, refl_port,
			 "stamp-reflector", stamp_reflector_input) != 0 ||
			nep_local_register(4, NEP_PROTO_UDP, refl_port,
				"stamp-reflector", stamp_reflector_input) != 0)) {
		NEP_LOG(ERR, "stamp: UDP port %u is taken", refl_port);
		return -1;
	}
	if (nep_local_register(6, NEP_PROTO_UDP, sender_port, "stamp-sender",
		    stamp_reply_input) != 0) {
		NEP_LOG(ERR, "stamp: UDP port %u is taken", sender_port);
		return -1;
	}
	if (!sc->refl.enabled)
		refl_port = 0;
	stamp_sessions_build(app);
	if (sc->refl.enabled)
		NEP_LOG(INFO, "stamp: reflector on UDP port %u, %u session(s)",
			refl_port, STAMP(app)->n_sess);
	else
		NEP_LOG(INFO, "stamp: reflector off, %u session(s)",
			STAMP(app)->n_sess);
	return 0;
}

static void
stamp_fini(struct nep_app *app)
{
	struct stamp_state *st = STAMP(app);

	if (st == NULL)
		return;
	stamp_sessions_free(app);
	stamp_sla_free(app);
	free(st);
	app->feat[nep_stamp_feature.id] = NULL;
}

static int
stamp_reload_check(struct nep_app *app, const struct nep_config *cfg,
	char *err, size_t errlen)
{
	const struct stamp_config *old = stamp_conf(app->cfg);
	const struct stamp_config *nw = stamp_conf(cfg);
	uint16_t np = nw->present && nw->refl.enabled ? nw->refl.port : 0;

	if (old->present != nw->present) {
		snprintf(err, errlen, "stamp: adding or removing the stamp: "
			"section needs a restart");
		return -1;
	}
	if (!nw->present)
		return 0;
	if (np != refl_port) {
		snprintf(err, errlen, "stamp.reflector: enabling, disabling or "
			"moving the reflector's port needs a restart (it "
			"listens on %u)", refl_port);
		return -1;
	}
	if (nw->sender_port != sender_port) {
		snprintf(err, errlen, "stamp.sender_port: changing it needs a "
			"restart (replies come to %u)", sender_port);
		return -1;
	}
	return 0;
}

static void
stamp_reload_done(struct nep_app *app)
{
	if (stamp_conf(app->cfg)->present)
		stamp_sessions_build(app);
}

static void
stamp_run(struct nep_app *app, uint64_t now_ns)
{
	if (STAMP(app) == NULL)
		return;
	if (stamp_conf(app->cfg)->present)
		stamp_sessions_run(app, now_ns);
	stamp_sla_run(app, now_ns);
}

static void
stamp_stats_json(struct nep_app *app, json_t *obj)
{
	const struct stamp_state *st = STAMP(app);

	json_object_set_new(obj, "stamp", json_pack("{s:I, s:I, s:I, s:I}",
		"reflector_rx", (json_int_t)st->refl_rx, "reflector_tx",
		(json_int_t)st->refl_tx, "rate_limited",
		(json_int_t)st->refl_rate_limited, "replies_unmatched",
		(json_int_t)st->replies_unmatched));
}

static const struct nep_feature stamp_feature = {
	.name = "stamp",
	.order = 70,
	.init = stamp_init,
	.fini = stamp_fini,
	.reload_check = stamp_reload_check,
	.reload_done = stamp_reload_done,
	.run = stamp_run,
	.commands = stamp_commands,
	.stats_json = stamp_stats_json,
};

static unsigned
reg(const char *name)
{
	int d = nep_drop_register(name, "stamp", NEP_STAGE_CONTROL);

	if (d < 0) {
		fprintf(stderr, "stamp: the drop reason table is full\n");
		abort();
	}
	return (unsigned)d;
}

RTE_INIT(stamp_register)
{
	nep_stamp_feature = stamp_feature;
	nep_feature_register(&nep_stamp_feature);
	stamp_drop_err[0] = reg("stamp_malformed");
	for (unsigned i = 1; i <= NEP_STAMP_E_COUNT; i++)
		stamp_drop_err[i] = reg(nep_stamp_err_name(-(int)i));
	stamp_drop_rate = reg("stamp_rate_limited");
	stamp_drop_disabled = reg("stamp_reflector_off");
	stamp_drop_unmatched = reg("stamp_reply_unmatched");
}
