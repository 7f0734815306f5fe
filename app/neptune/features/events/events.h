/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Events and hooks (docs/operations.md, "Event hooks"): the control lcore
 * watches the state the features show (uplinks, SRv6 paths, tunnels),
 * port links and reloads, counts each change by kind, and hands it to a
 * runner thread that executes the configured hooks (like mwan3's hotplug
 * scripts) with the event in environment variables and a timeout. The
 * control lcore never waits for a hook: a full queue drops the event for
 * the hooks (counted), never blocks.
 */
#ifndef NEP_EVENTS_H
#define NEP_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "nep_config_section.h"
#include "neptune.h"

#define EV_MAX_HOOKS 8
#define EV_MAX_ARGS 8
#define EV_ARG_MAX 512
#define EV_SUBJECT_MAX 64
#define EV_REASON_MAX 192
#define EV_QUEUE 256		/* events waiting for the runner */
#define EV_POLL_NS 50000000	/* state watched every 50 ms */

/* Kinds of event: the names are what hooks and metrics see. */
#define EV_KINDS(X)                                                           \
	X(START, "start")                                                     \
	X(RELOAD, "reload")                                                   \
	X(PORT_UP, "port_up")                                                 \
	X(PORT_DOWN, "port_down")                                             \
	X(UPLINK_UP, "uplink_up")                                             \
	X(UPLINK_DOWN, "uplink_down")                                         \
	X(UPLINK_UNKNOWN, "uplink_unknown")                                   \
	X(UPLINK_ADMIN_UP, "uplink_admin_up")                                 \
	X(UPLINK_ADMIN_DOWN, "uplink_admin_down")                             \
	X(PATH_UP, "srv6_path_up")                                            \
	X(PATH_DOWN, "srv6_path_down")                                        \
	X(TUNNEL_UP, "tunnel_up")                                             \
	X(TUNNEL_DOWN, "tunnel_down")                                         \
	X(PREFIX_CHANGED, "delegated_prefix")                                 \
	X(WAN_ADDRESS, "wan_address")                                         \
	X(IPV4_ADDRESS, "ipv4_address")                                       \
	X(PATH_CLASS, "srv6_path_class")                                      \
	X(SLA_VIOLATED, "sla_violated")                                       \
	X(SLA_RESTORED, "sla_restored")

enum ev_kind {
#define EV_ENUM(n, s) EV_##n,
	EV_KINDS(EV_ENUM)
#undef EV_ENUM
	EV_KIND_MAX
};
extern const char *const ev_kind_names[EV_KIND_MAX];

struct ev_hook_conf {
	char name[NEP_NAME_MAX];
	char exec[NEP_PATH_MAX];
	unsigned n_args;		/* before KIND SUBJECT */
	char args[EV_MAX_ARGS][EV_ARG_MAX];
	uint32_t timeout_ms;
	uint32_t kinds;			/* bit per enum ev_kind */
};

struct ev_config {
	unsigned n_hooks;
	struct ev_hook_conf hooks[EV_MAX_HOOKS];
};

extern int ev_section_id;

static inline const struct ev_config *
ev_conf(const struct nep_config *cfg)
{
	return nep_config_section(cfg, ev_section_id);
}

/* One event, as queued for the runner. */
struct ev_event {
	enum ev_kind kind;
	uint64_t wall_ms;
	uint64_t seq;
	char subject[EV_SUBJECT_MAX];	/* uplink, port, peer, path */
	char from[48], to[48];		/* states, or prefixes/addresses */
	char reason[EV_REASON_MAX];
};

enum ev_result { EV_RUN_OK, EV_RUN_FAILED, EV_RUN_TIMEOUT, EV_RUN_DROPPED,
	EV_RUN_MAX };
extern const char *const ev_result_names[EV_RUN_MAX];

/* runner.c: the hook thread. */
struct ev_runner;
struct ev_runner *ev_runner_start(const char *instance);
void ev_runner_stop(struct ev_runner *r);
/* Control lcore: queue ev for the hooks of cfg (copied); false if full. */
bool ev_runner_post(struct ev_runner *r, const struct ev_config *cfg,
	const struct ev_event *ev);
void ev_runner_counts(struct ev_runner *r, uint64_t out[EV_RUN_MAX]);
/* The last run: hook, kind, result, exit status, duration (ms). */
struct ev_last_run {
	char hook[NEP_NAME_MAX];
	char kind[24];
	enum ev_result result;
	int status;
	uint64_t ms;
	uint64_t wall_ms;
};
bool ev_runner_last(struct ev_runner *r, struct ev_last_run *out);

/* The control-lcore state. */
#define EV_RECENT 64
struct ev_state {
	struct ev_runner *runner;
	uint64_t last_poll_ns;
	uint64_t generation;
	uint64_t seq;
	uint64_t counts[EV_KIND_MAX];
	unsigned n_recent, recent_head;
	struct ev_event recent[EV_RECENT];
	/* watched state: name -> last seen */
	json_t *seen;			/* {"uplink/isp1": "up", ...} */
	/* the uplinks' names, read with `show uplinks` (which counts the
	 * flows: milliseconds with a large table) at the start and after
	 * each reload only; each poll reads `show uplink NAME` */
	json_t *uplinks;		/* array of names */
	uint64_t uplinks_generation;
};

/* state.c */
extern struct nep_feature nep_ev_feature;
extern struct ev_state ev_state;

/* watch.c */
void ev_emit(struct nep_app *app, enum ev_kind kind, const char *subject,
	const char *from, const char *to, const char *reason);
void ev_watch(struct nep_app *app);

/* commands.c */
void ev_commands(struct nep_app *app, struct nep_dispatch *d);

#endif /* NEP_EVENTS_H */
