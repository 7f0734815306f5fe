/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SLA judge (docs/stamp.md, "SLA policies"). Every stamp.window_ms,
 * for each policy with an `sla:` and each uplink and overlay path, the
 * window's median round trip, jitter and loss are compared with the
 * policy's thresholds: from the STAMP session on that uplink or path
 * when one runs, else from its health probes (smoothed RTT, jitter, loss
 * window). violate_after windows over a threshold make the target
 * violate the SLA, restore_after windows within all of them restore it;
 * each change is an event. The verdicts go to multihoming (uplinks) and
 * SRv6 (paths) as masks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_config.h"
#include "mh_export.h"
#include "srv6.h"
#include "srv6_export.h"
#include "stamp.h"

#define SLA_TARGETS (NEP_MAX_UPLINKS + SRV6_MAX_PATHS)

struct sla_target {
	bool violated;
	uint32_t bad, good;		/* consecutive windows */
	bool measured;
	const char *source;		/* "stamp", "health", "none" */
	double rtt_ms, loss_pct, jitter_ms;
	uint64_t violations, restorations;
	char name[NEP_NAME_MAX * 3];
};

struct sla_state {
	uint64_t next_ns;
	uint64_t generation;		/* of the snapshot judged */
	struct sla_target t[NEP_MAX_SLA][SLA_TARGETS];
	uint64_t windows;
};

void
stamp_sla_free(struct nep_app *app)
{
	free(STAMP(app)->sla);
	STAMP(app)->sla = NULL;
}

/* The STAMP session measuring uplink slot / path index, if one runs. */
static struct stamp_sess *
session_for(struct stamp_state *st, bool path, int idx)
{
	for (unsigned i = 0; i < st->n_sess; i++) {
		struct stamp_sess *s = &st->sess[i];

		if (!s->in_use || s->finished)
			continue;
		if (path ? (s->kind == STAMP_OVERLAY && s->path == idx) :
			   (s->kind == STAMP_UPLINK && s->slot == idx))
			return s;
	}
	return NULL;
}

static void
measure(struct nep_app *app, struct sla_target *t, struct stamp_sess *s,
	bool has_rtt, double rtt, double jitter, double loss, uint64_t win_ns,
	uint64_t now_ns)
{
	struct stamp_window w;

	t->measured = false;
	t->source = "none";
	(void)app;
	if (s != NULL) {
		stamp_sess_window(s, win_ns, now_ns, &w);
		t->source = "stamp";
		if (w.valid) {
			t->measured = true;
			t->rtt_ms = w.n > 0 ? w.rtt_ms : t->rtt_ms;
			t->jitter_ms = w.jitter_ms;
			t->loss_pct = w.loss_pct;
			/* every request of the window lost: as bad as it gets */
			if (w.n == 0)
				t->rtt_ms = 1e9;
		}
		return;
	}
	if (has_rtt) {
		t->source = "health";
		t->measured = true;
		t->rtt_ms = rtt;
		t->jitter_ms = jitter;
		t->loss_pct = loss;
	}
}

static bool
meets(const struct nep_policy_conf *pc, const struct sla_target *t)
{
	if (pc->sla_max_rtt_ms && t->rtt_ms > pc->sla_max_rtt_ms)
		return false;
	if (pc->sla_max_loss_pct && t->loss_pct > pc->sla_max_loss_pct)
		return false;
	if (pc->sla_max_jitter_ms && t->jitter_ms > pc->sla_max_jitter_ms)
		return false;
	return true;
}

static void
judge(struct nep_app *app, const struct nep_policy_conf *pc,
	struct sla_target *t)
{
	if (!t->measured)
		return;	/* nothing known: the verdict stays */
	if (meets(pc, t)) {
		t->bad = 0;
		if (t->violated && ++t->good >= pc->sla_restore_after) {
			t->violated = false;
			t->good = 0;
			t->restorations++;
			stamp_event(app, "sla %s: %s meets it again (rtt %.2f "
				"ms, loss %.1f %%, jitter %.2f ms, by %s)",
				pc->name, t->name, t->rtt_ms, t->loss_pct,
				t->jitter_ms, t->source);
		}
	} else {
		t->good = 0;
		if (!t->violated && ++t->bad >= pc->sla_violate_after) {
			t->violated = true;
			t->bad = 0;
			t->violations++;
			stamp_event(app, "sla %s: %s violates it (rtt %.2f ms, "
				"loss %.1f %%, jitter %.2f ms, by %s)",
				pc->name, t->name, t->rtt_ms, t->loss_pct,
				t->jitter_ms, t->source);
		}
	}
}

void
stamp_sla_run(struct nep_app *app, uint64_t now_ns)
{
	const struct stamp_config *sc = stamp_conf(app->cfg);
	const struct mh_config *mc = mh_conf(app->cfg);
	struct stamp_state *st = STAMP(app);
	struct sla_state *sl = st->sla;
	uint64_t win = (uint64_t)sc->window_ms * 1000000ull;
	unsigned n_paths = nep_srv6_n_paths(app);
	bool any = false;

	for (unsigned i = 0; mc->has_steering && i < mc->steering.n_policies; i++)
		any |= mc->steering.policies[i].has_sla;
	if (!any)
		return;
	if (sl == NULL) {
		sl = st->sla = calloc(1, sizeof(*sl));
		if (sl == NULL)
			return;
		sl->next_ns = now_ns + win;
	}
	if (now_ns < sl->next_ns)
		return;
	sl->next_ns += win;
	if (sl->next_ns <= now_ns)
		sl->next_ns = now_ns + win;
	sl->windows++;
	if (sl->generation != app->generation) {
		/* targets renumbered (paths) by a reload: start afresh for
		 * paths, keep uplinks (slots are stable) */
		for (unsigned k = 0; k < NEP_MAX_SLA; k++)
			memset(&sl->t[k][NEP_MAX_UPLINKS], 0,
				sizeof(sl->t[k][0]) * SRV6_MAX_PATHS);
		sl->generation = app->generation;
	}
	for (unsigned i = 0; i < mc->steering.n_policies; i++) {
		const struct nep_policy_conf *pc = &mc->steering.policies[i];
		unsigned k = (unsigned)pc->sla_slot;
		uint32_t ok = 0;
		uint64_t okp = 0;

		if (!pc->has_sla)
			continue;
		for (unsigned u = 0; u < NEP_MAX_UPLINKS; u++) {
			struct sla_target *t = &sl->t[k][u];
			struct nep_mh_uplink_info ui;

			if (nep_mh_uplink_info(app, u, &ui) != 0) {
				t->name[0] = 0;
				continue;
			}
			snprintf(t->name, sizeof(t->name), "uplink %s", ui.name);
			measure(app, t, session_for(st, false, (int)u),
				ui.has_rtt, ui.rtt_ms, ui.jitter_ms, ui.loss_pct,
				win, now_ns);
			judge(app, pc, t);
			if (!t->violated)
				ok |= 1u << u;
		}
		for (unsigned p = 0; p < n_paths && p < SRV6_MAX_PATHS; p++) {
			struct sla_target *t = &sl->t[k][NEP_MAX_UPLINKS + p];
			struct nep_srv6_path_info pi;

			if (!nep_srv6_path(app, p, &pi))
				continue;
			snprintf(t->name, sizeof(t->name), "path %u (%s)", p,
				pi.uplink);
			{
				struct stamp_sess *s = session_for(st, true,
					(int)p);
				if (s != NULL)
					snprintf(t->name, sizeof(t->name),
						"path %s", s->name);
				measure(app, t, s, pi.has_rtt, pi.rtt_ms,
					pi.jitter_ms, pi.loss_pct, win, now_ns);
			}
			judge(app, pc, t);
			if (!t->violated)
				okp |= 1ull << p;
		}
		nep_mh_set_sla_ok(app, k, ok);
		nep_srv6_set_sla_ok(app, k, okp);
	}
}

/* `show stamp sla`: each SLA policy, each target's verdict. */
void
stamp_sla_json(struct nep_app *app, json_t *obj)
{
	const struct mh_config *mc = mh_conf(app->cfg);
	struct sla_state *sl = STAMP(app)->sla;
	json_t *list = json_array();

	for (unsigned i = 0; mc->has_steering && i < mc->steering.n_policies;
	     i++) {
		const struct nep_policy_conf *pc = &mc->steering.policies[i];
		json_t *tl;

		if (!pc->has_sla)
			continue;
		tl = json_array();
		for (unsigned j = 0; sl != NULL && j < SLA_TARGETS; j++) {
			const struct sla_target *t = &sl->t[pc->sla_slot][j];

			if (t->name[0] == 0 || t->source == NULL)
				continue;
			json_array_append_new(tl, json_pack("{s:s, s:s, s:s, "
				"s:b, s:f, s:f, s:f, s:I, s:I}", "target",
				t->name, "state", t->violated ? "violated" :
				"ok", "measured_by", t->source, "measured",
				t->measured, "rtt_ms", t->rtt_ms, "loss_pct",
				t->loss_pct, "jitter_ms", t->jitter_ms,
				"violations", (json_int_t)t->violations,
				"restorations", (json_int_t)t->restorations));
		}
		json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:I, "
			"s:I, s:I, s:b, s:o}", "policy", pc->name, "max_rtt_ms",
			(json_int_t)pc->sla_max_rtt_ms, "max_loss_pct",
			(json_int_t)pc->sla_max_loss_pct, "max_jitter_ms",
			(json_int_t)pc->sla_max_jitter_ms, "violate_after",
			(json_int_t)pc->sla_violate_after, "restore_after",
			(json_int_t)pc->sla_restore_after, "move_on_violation",
			pc->sla_move, "targets", tl));
	}
	json_object_set_new(obj, "policies", list);
	json_object_set_new(obj, "windows",
		json_integer(sl != NULL ? (json_int_t)sl->windows : 0));
}
