/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics feature: Prometheus exposition and the dashboard over HTTP
 * (metrics.h). It has no packet path: its state is the HTTP server,
 * started at init when the `metrics:` section enables it.
 */
#include <stdio.h>
#include <string.h>

#include "metrics.h"

static int
metrics_init(struct nep_app *app)
{
	const struct metrics_config *mc = metrics_conf(app->cfg);

	if (mc == NULL || !mc->enabled)
		return 0;
	metrics_server = metrics_http_start(app, mc);
	return metrics_server != NULL ? 0 : -1;
}

static void
metrics_fini(struct nep_app *app)
{
	(void)app;
	metrics_http_stop(metrics_server);
	metrics_server = NULL;
}

static int
metrics_reload_check(struct nep_app *app, const struct nep_config *cfg,
	char *err, size_t errlen)
{
	const struct metrics_config *a = metrics_conf(app->cfg);
	const struct metrics_config *b = metrics_conf(cfg);

	if (a->enabled == b->enabled && a->dashboard == b->dashboard &&
		(!a->enabled || strcmp(a->listen, b->listen) == 0))
		return 0;
	snprintf(err, errlen, "metrics: changed, needs a restart (the running "
		"configuration is kept)");
	return -1;
}

static void
metrics_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show metrics", metrics_cmd_show);
}

static const struct nep_feature metrics_feature = {
	.name = "metrics",
	.order = 90,
	.init = metrics_init,
	.fini = metrics_fini,
	.reload_check = metrics_reload_check,
	.commands = metrics_commands,
};

RTE_INIT(metrics_register)
{
	nep_metrics_feature = metrics_feature;
	nep_feature_register(&nep_metrics_feature);
}
