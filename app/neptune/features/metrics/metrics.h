/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Metrics and the web dashboard (docs/operations.md, "Monitoring"): an HTTP
 * server on a non-EAL thread (libmicrohttpd) serving
 *
 *   /metrics        Prometheus text exposition (`show metrics`, built on
 *                   the control lcore from the registered counters);
 *   /api/show/...   the read-only JSON of any `show` command;
 *   /               the dashboard (files compiled into the binary).
 *
 * The HTTP thread never touches appliance state: every request is one
 * command line run on the control lcore through nep_mgmt_submit().
 */
#ifndef NEP_METRICS_H
#define NEP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nep_config_section.h"
#include "neptune.h"

#define METRICS_PORT_DEFAULT 9469

/* The `metrics:` section. */
struct metrics_config {
	bool enabled;
	bool dashboard;			/* serve / and /api/ too */
	char listen[64];		/* as written: "127.0.0.1:9469" */
	int family;			/* AF_INET / AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
};

extern int metrics_section_id;

static inline const struct metrics_config *
metrics_conf(const struct nep_config *cfg)
{
	return nep_config_section(cfg, metrics_section_id);
}

/* A file of the dashboard (www.c, generated from www/). */
struct metrics_file {
	const char *path;		/* "/index.html" */
	const char *type;		/* Content-Type */
	const unsigned char *data;
	size_t len;
};
extern const struct metrics_file metrics_www[];
extern const unsigned metrics_n_www;

/* http.c: the server (started by the feature's init). */
struct metrics_http;
struct metrics_http *metrics_http_start(struct nep_app *app,
	const struct metrics_config *mc);
void metrics_http_stop(struct metrics_http *h);
/* Requests served, by kind (show metrics reports them). */
struct metrics_http_stats {
	uint64_t scrapes, api, files, errors;
};
void metrics_http_stats(const struct metrics_http *h,
	struct metrics_http_stats *out);

/* expo.c: `show metrics` (control lcore). */
int metrics_cmd_show(struct nep_cmd_ctx *ctx);

/* state.c */
extern struct nep_feature nep_metrics_feature;
extern struct metrics_http *metrics_server;

#endif /* NEP_METRICS_H */
