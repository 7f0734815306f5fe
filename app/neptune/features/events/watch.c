/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Watching for events on the control lcore. Port links come from the
 * core's link_change callback, reloads from the snapshot generation; the
 * rest is read every EV_POLL_NS from the JSON of the features' own `show`
 * commands (each uplink's `show uplink NAME`, SRv6 overlays, tunnels), run
 * through the dispatcher right here, so no feature needs to know about
 * events. `show uplinks` gives the names, once per configuration: it
 * counts the flows, which takes milliseconds on a large flow table. A
 * change between two reads is one event; a flap inside one 50 ms window
 * is not seen (`show events` keeps multihoming's own exact record).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events.h"

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
ev_emit(struct nep_app *app, enum ev_kind kind, const char *subject,
	const char *from, const char *to, const char *reason)
{
	struct ev_state *st = &ev_state;
	struct ev_event *e = &st->recent[st->recent_head];
	const struct ev_config *ec = ev_conf(app->cfg);

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->wall_ms = wall_ms();
	e->seq = ++st->seq;
	snprintf(e->subject, sizeof(e->subject), "%s", subject ? subject : "");
	snprintf(e->from, sizeof(e->from), "%s", from ? from : "");
	snprintf(e->to, sizeof(e->to), "%s", to ? to : "");
	snprintf(e->reason, sizeof(e->reason), "%s", reason ? reason : "");
	st->recent_head = (st->recent_head + 1) % EV_RECENT;
	if (st->n_recent < EV_RECENT)
		st->n_recent++;
	st->counts[kind]++;
	NEP_LOG(DEBUG, "event %s %s %s -> %s", ev_kind_names[kind], e->subject,
		e->from, e->to);
	if (st->runner != NULL && ec != NULL && ec->n_hooks > 0 &&
		!ev_runner_post(st->runner, ec, e))
		NEP_LOG(WARNING, "hooks: queue full, %s %s not run",
			ev_kind_names[kind], e->subject);
}

static json_t *
run_json(struct nep_app *app, const char *line)
{
	struct nep_buf out;
	json_t *j = NULL;

	nep_buf_init(&out);
	if (nep_dispatch_line(&app->dispatch, line, &out) == 0 && out.len > 0)
		j = json_loadb(out.data, out.len, 0, NULL);
	nep_buf_free(&out);
	return j;
}

/* Remember key's state; true (with the previous one) when it changed
 * from a state seen before. */
static bool
changed(const char *key, const char *now, char *prev, size_t plen)
{
	json_t *seen = ev_state.seen;
	json_t *old = json_object_get(seen, key);
	bool ch = old != NULL && strcmp(json_string_value(old), now) != 0;

	if (ch)
		snprintf(prev, plen, "%s", json_string_value(old));
	if (old == NULL || ch)
		json_object_set_new(seen, key, json_string(now));
	return ch;
}

/* The reason multihoming recorded for the uplink's latest change. */
static void
uplink_reason(struct nep_app *app, const char *uplink, const char *to,
	char *out, size_t len)
{
	json_t *j = run_json(app, "show events --json"), *arr, *e;
	size_t n;

	out[0] = '\0';
	arr = json_object_get(j, "events");
	for (n = json_array_size(arr); n > 0; n--) {
		e = json_array_get(arr, n - 1);
		if (strcmp(json_string_value(json_object_get(e, "uplink")) ?: "",
			uplink) == 0 && strcmp(json_string_value(
			json_object_get(e, "to")) ?: "", to) == 0) {
			snprintf(out, len, "%s", json_string_value(
				json_object_get(e, "reason")) ?: "");
			break;
		}
	}
	json_decref(j);
}

/* The uplinks' names, read again when the configuration changed. */
static json_t *
uplink_names(struct nep_app *app)
{
	json_t *j, *u;
	size_t i;

	if (ev_state.uplinks != NULL &&
		ev_state.uplinks_generation == app->snap->generation)
		return ev_state.uplinks;
	json_decref(ev_state.uplinks);
	ev_state.uplinks = json_array();
	ev_state.uplinks_generation = app->snap->generation;
	j = run_json(app, "show uplinks --json");
	json_array_foreach(json_object_get(j, "uplinks"), i, u)
		if (json_is_string(json_object_get(u, "name")))
			json_array_append(ev_state.uplinks,
				json_object_get(u, "name"));
	json_decref(j);
	return ev_state.uplinks;
}

static void
watch_uplinks(struct nep_app *app)
{
	json_t *names = uplink_names(app), *n;
	char key[96], prev[16], reason[EV_REASON_MAX], line[128];
	size_t i;

	json_array_foreach(names, i, n) {
		const char *name = json_string_value(n);
		json_t *u;
		const char *state, *admin;

		snprintf(line, sizeof(line), "show uplink %s --json", name);
		u = run_json(app, line);
		state = json_string_value(json_object_get(u, "state"));
		admin = json_string_value(json_object_get(u, "admin"));
		if (state == NULL || admin == NULL) {
			json_decref(u);
			continue;
		}
		snprintf(key, sizeof(key), "uplink/%s", name);
		if (changed(key, state, prev, sizeof(prev))) {
			enum ev_kind k = strcmp(state, "up") == 0 ? EV_UPLINK_UP :
				strcmp(state, "down") == 0 ? EV_UPLINK_DOWN :
				EV_UPLINK_UNKNOWN;
			uplink_reason(app, name, state, reason, sizeof(reason));
			ev_emit(app, k, name, prev, state, reason);
		}
		snprintf(key, sizeof(key), "admin/%s", name);
		if (changed(key, admin, prev, sizeof(prev)))
			ev_emit(app, strcmp(admin, "up") == 0 ?
				EV_UPLINK_ADMIN_UP : EV_UPLINK_ADMIN_DOWN, name,
				prev, admin, "set uplink admin");
		json_decref(u);
	}
}

static void
watch_paths(struct nep_app *app)
{
	json_t *j = run_json(app, "show overlays --json"), *o, *s, *p;
	char key[160], subj[EV_SUBJECT_MAX], prev[16];
	size_t i, k, m;

	json_array_foreach(json_object_get(j, "overlays"), i, o)
	json_array_foreach(json_object_get(o, "sites"), k, s)
	json_array_foreach(json_object_get(s, "paths"), m, p) {
		const char *state = json_string_value(json_object_get(p,
			"state"));

		if (state == NULL)
			continue;
		snprintf(subj, sizeof(subj), "%s/%s/%s",
			json_string_value(json_object_get(o, "name")) ?: "",
			json_string_value(json_object_get(s, "site")) ?: "",
			json_string_value(json_object_get(p, "uplink")) ?: "");
		snprintf(key, sizeof(key), "path/%s/%" JSON_INTEGER_FORMAT, subj,
			json_integer_value(json_object_get(p, "path")));
		if (changed(key, state, prev, sizeof(prev)))
			ev_emit(app, strcmp(state, "up") == 0 ? EV_PATH_UP :
				EV_PATH_DOWN, subj, prev, state, "");
		/* the transparency class STAMP's prober found (T0/T1/OP) */
		const char *cls = json_string_value(json_object_get(p, "class"));
		if (cls == NULL)
			continue;
		char why[EV_REASON_MAX];
		snprintf(key, sizeof(key), "class/%s/%" JSON_INTEGER_FORMAT,
			subj, json_integer_value(json_object_get(p, "path")));
		snprintf(why, sizeof(why), "encapsulation %s",
			json_string_value(json_object_get(p,
				"encapsulation")) ?: "?");
		if (changed(key, cls, prev, sizeof(prev)))
			ev_emit(app, EV_PATH_CLASS, subj, prev, cls, why);
	}
	json_decref(j);
}

/* SLA verdicts (STAMP's judge): each policy's target violated or ok. */
static void
watch_sla(struct nep_app *app)
{
	json_t *j = run_json(app, "show stamp sla --json"), *p, *t;
	char key[200], subj[EV_SUBJECT_MAX], prev[16], why[EV_REASON_MAX];
	size_t i, k;

	json_array_foreach(json_object_get(j, "policies"), i, p)
	json_array_foreach(json_object_get(p, "targets"), k, t) {
		const char *state = json_string_value(json_object_get(t,
			"state"));

		if (state == NULL)
			continue;
		snprintf(subj, sizeof(subj), "%s/%s",
			json_string_value(json_object_get(p, "policy")) ?: "",
			json_string_value(json_object_get(t, "target")) ?: "");
		snprintf(key, sizeof(key), "sla/%s", subj);
		snprintf(why, sizeof(why), "rtt %.2f ms loss %.1f %% jitter "
			"%.2f ms (%s)", json_real_value(json_object_get(t,
			"rtt_ms")), json_real_value(json_object_get(t,
			"loss_pct")), json_real_value(json_object_get(t,
			"jitter_ms")), json_string_value(json_object_get(t,
			"measured_by")) ?: "");
		if (changed(key, state, prev, sizeof(prev)))
			ev_emit(app, strcmp(state, "ok") == 0 ? EV_SLA_RESTORED :
				EV_SLA_VIOLATED, subj, prev, state, why);
	}
	json_decref(j);
}

static void
watch_tunnels(struct nep_app *app)
{
	json_t *j = run_json(app, "show tunnels --json"), *s;
	char key[160], prev[16];
	size_t i;

	json_array_foreach(json_object_get(j, "sessions"), i, s) {
		const char *peer = json_string_value(json_object_get(s, "peer"));
		const char *state = json_string_value(json_object_get(s,
			"state"));

		if (peer == NULL || state == NULL)
			continue;
		snprintf(key, sizeof(key), "tunnel/%s/%" JSON_INTEGER_FORMAT,
			peer, json_integer_value(json_object_get(s, "session")));
		if (changed(key, state, prev, sizeof(prev)) &&
			(strcmp(state, "up") == 0 || strcmp(prev, "up") == 0))
			ev_emit(app, strcmp(state, "up") == 0 ? EV_TUNNEL_UP :
				EV_TUNNEL_DOWN, peer, prev, state, "");
	}
	json_decref(j);
}

/* Provisioning: a learnt prefix or address obtained, changed or lost
 * ("none" is the state without one). */
static void
watch_leases(struct nep_app *app)
{
	static const struct {
		const char *obj, *field, *key;
		enum ev_kind kind;
	} what[] = {
		{ "dhcp6", "prefix", "pd", EV_PREFIX_CHANGED },
		{ "dhcp6", "address", "na", EV_WAN_ADDRESS },
		{ "slaac", "address", "slaac", EV_WAN_ADDRESS },
		{ "dhcp4", "address", "v4", EV_IPV4_ADDRESS },
	};
	json_t *j = run_json(app, "show dhcp --json"), *u;
	char key[160], prev[64];
	size_t i;

	json_array_foreach(json_object_get(j, "uplinks"), i, u) {
		const char *name = json_string_value(json_object_get(u,
			"uplink"));

		for (unsigned k = 0; name != NULL && k < RTE_DIM(what); k++) {
			json_t *o = json_object_get(u, what[k].obj);
			const char *now;

			if (!json_is_object(o))
				continue;
			now = json_string_value(json_object_get(o,
				what[k].field)) ?: "none";
			snprintf(key, sizeof(key), "%s/%s", what[k].key, name);
			if (changed(key, now, prev, sizeof(prev)))
				ev_emit(app, what[k].kind, name, prev, now,
					strcmp(now, "none") == 0 ? "lost" :
					strcmp(prev, "none") == 0 ? "obtained" :
					"changed");
		}
	}
	json_decref(j);
}

void
ev_watch(struct nep_app *app)
{
	if (app->snap->generation != ev_state.generation) {
		char g[32];

		snprintf(g, sizeof(g), "%" PRIu64, app->snap->generation);
		if (ev_state.generation != 0)
			ev_emit(app, EV_RELOAD, "config", "", g,
				app->cfg->reparsed ? "learnt values applied" :
				"configuration reloaded");
		ev_state.generation = app->snap->generation;
	}
	watch_uplinks(app);
	watch_paths(app);
	watch_tunnels(app);
	watch_leases(app);
	watch_sla(app);
}
