/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_common.h>

#include "nep_health.h"

#define NS_PER_MS 1000000ULL
#define CAUSE_MAX 128

static inline struct nep_health_round *
round_at(struct nep_health *h, uint64_t idx)
{
	return &h->ring[idx & (NEP_HEALTH_RING - 1)];
}

static inline uint8_t
all_targets(const struct nep_health *h)
{
	return (uint8_t)((1u << h->n_targets) - 1);
}

static inline uint8_t
pending_of(const struct nep_health_round *r)
{
	return r->sent & (uint8_t)~(r->answered | r->lost);
}

const char *
nep_health_state_name(enum nep_health_state s)
{
	switch (s) {
	case NEP_HEALTH_UP:
		return "up";
	case NEP_HEALTH_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

void
nep_health_set_target_addr(struct nep_health *h, unsigned int idx,
	const struct nep_addr *a)
{
	char *name;

	if (idx >= h->n_targets)
		return;
	name = h->tgt[idx].name;
	if ((a->family != AF_INET6 && a->family != AF_INET) ||
			inet_ntop(a->family, a->a, name, NEP_HEALTH_NAME_MAX) ==
			NULL)
		snprintf(name, NEP_HEALTH_NAME_MAX, "next-hop");
}

void
nep_health_set_timeout(struct nep_health *h, uint32_t timeout_ms)
{
	if (timeout_ms > 0)
		h->timeout_ns = timeout_ms * NS_PER_MS;
}

void
nep_health_init(struct nep_health *h, const struct nep_health_conf *c,
	uint64_t now_ns)
{
	uint32_t interval_ms, timeout_ms, rel;
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->n_targets = c->n_targets == 0 ? 1 :
		(uint8_t)RTE_MIN(c->n_targets, (unsigned int)NEP_MAX_TARGETS);
	interval_ms = c->interval_ms ? c->interval_ms : 100;
	timeout_ms = c->timeout_ms ? c->timeout_ms : 1000;
	h->down_count = c->down_count ? c->down_count : 3;
	h->up_count = c->up_count ? c->up_count : 5;
	rel = c->reliability ? c->reliability : 1;
	h->reliability = (uint8_t)RTE_MIN(rel, (uint32_t)h->n_targets);
	h->max_rtt_ms = c->max_rtt_ms;
	h->max_loss_pct = c->max_loss_pct;
	h->loss_window = c->loss_window ? c->loss_window : 20;
	if (h->loss_window > NEP_HEALTH_LOSS_WINDOW_MAX)
		h->loss_window = NEP_HEALTH_LOSS_WINDOW_MAX;
	h->interval_ns = interval_ms * NS_PER_MS;
	/* Lost once the next probe is due: see the header. */
	h->timeout_ns = RTE_MIN(timeout_ms, interval_ms) * NS_PER_MS;

	for (i = 0; i < h->n_targets; i++) {
		if (i < c->n_targets)
			nep_health_set_target_addr(h, i, &c->targets[i]);
		else
			snprintf(h->tgt[i].name, NEP_HEALTH_NAME_MAX,
				"next-hop");
	}
	h->state = NEP_HEALTH_UNKNOWN;
	h->since_ns = now_ns;
}

void
nep_health_carry(struct nep_health *h, const struct nep_health *old)
{
	h->state = old->state;
	h->since_ns = old->since_ns;
	h->link_down = old->link_down;
	h->rounds_good = old->rounds_good;
	h->rounds_failed = old->rounds_failed;
	h->transitions = old->transitions;
	/* The next round follows the old schedule, not an immediate one. */
	h->last_round_ns = old->last_round_ns;
	h->any_round = old->any_round;
	for (unsigned int i = 0; i < h->n_targets; i++)
		for (unsigned int j = 0; j < old->n_targets; j++) {
			struct nep_health_target *t = &h->tgt[i];
			const struct nep_health_target *o = &old->tgt[j];

			if (strcmp(t->name, o->name) != 0)
				continue;
			t->has_rtt = o->has_rtt;
			t->srtt_ns = o->srtt_ns;
			t->jitter_ns = o->jitter_ns;
			t->last_rtt_ns = o->last_rtt_ns;
			t->sent = o->sent;
			t->answered = o->answered;
			t->lost = o->lost;
			t->late = o->late;
			t->dup = o->dup;
			t->unknown = o->unknown;
			/* The loss window only where its size is unchanged. */
			if (h->loss_window == old->loss_window) {
				memcpy(t->loss_bits, o->loss_bits,
					sizeof(t->loss_bits));
				t->loss_pos = o->loss_pos;
				t->loss_fill = o->loss_fill;
				t->loss_lost = o->loss_lost;
			}
			break;
		}
}

uint64_t
nep_health_next_probe_ns(const struct nep_health *h)
{
	return h->any_round ? h->last_round_ns + h->interval_ns : 0;
}

/* Record one resolved probe in the target's sliding loss window. */
static void
loss_push(const struct nep_health *h, struct nep_health_target *g, bool lost)
{
	uint16_t pos = g->loss_pos;
	uint64_t bit = 1ULL << (pos & 63);
	uint64_t *w = &g->loss_bits[pos >> 6];

	if (g->loss_fill == h->loss_window) {
		if (*w & bit)
			g->loss_lost--;
	} else {
		g->loss_fill++;
	}
	if (lost) {
		*w |= bit;
		g->loss_lost++;
	} else {
		*w &= ~bit;
	}
	g->loss_pos = (uint16_t)((pos + 1) % h->loss_window);
}

enum nep_health_state
nep_health_target_state(const struct nep_health *h, unsigned int t)
{
	const struct nep_health_target *g = &h->tgt[t];
	unsigned int n = RTE_MIN((unsigned int)g->loss_fill, h->down_count);
	unsigned int pos = g->loss_pos;

	if (t >= h->n_targets || g->loss_fill == 0 || g->answered == 0)
		return g->loss_fill >= h->down_count ? NEP_HEALTH_DOWN :
						       NEP_HEALTH_UNKNOWN;
	/* Down when its last down_count probes were all lost, as the
	 * uplink would be with this target alone. */
	for (unsigned int i = 0; i < n; i++) {
		pos = (pos + h->loss_window - 1) % h->loss_window;
		if (!(g->loss_bits[pos >> 6] & (1ULL << (pos & 63))))
			return NEP_HEALTH_UP;
	}
	return n < h->down_count ? NEP_HEALTH_UP : NEP_HEALTH_DOWN;
}

static void
probe_lost(struct nep_health *h, struct nep_health_round *r, unsigned int t)
{
	r->lost |= (uint8_t)(1u << t);
	h->tgt[t].lost++;
	loss_push(h, &h->tgt[t], true);
}

static void
probe_answered(struct nep_health *h, struct nep_health_round *r,
	unsigned int t, uint64_t rtt_ns)
{
	struct nep_health_target *g = &h->tgt[t];
	double rtt = (double)rtt_ns, d;

	r->answered |= (uint8_t)(1u << t);
	r->rtt_ns[t] = rtt_ns;
	g->answered++;
	if (!g->has_rtt) {
		g->has_rtt = true;
		g->srtt_ns = rtt;
		g->jitter_ns = 0;
	} else {
		d = rtt > g->last_rtt_ns ? rtt - g->last_rtt_ns :
			g->last_rtt_ns - rtt;
		g->jitter_ns += (d - g->jitter_ns) / 16;
		g->srtt_ns += (rtt - g->srtt_ns) / 8;
	}
	g->last_rtt_ns = rtt;
	loss_push(h, g, false);
}

static bool
loss_ok(const struct nep_health *h, const struct nep_health_target *g)
{
	return h->max_loss_pct == 0 ||
		(uint64_t)g->loss_lost * 100 <=
		(uint64_t)h->max_loss_pct * g->loss_fill;
}

static bool
rtt_ok(const struct nep_health *h, uint64_t rtt_ns)
{
	return h->max_rtt_ms == 0 || rtt_ns <= h->max_rtt_ms * NS_PER_MS;
}

/* "120" for whole milliseconds, else "120.25". */
static void
fmt_ms(char *buf, size_t len, uint64_t ns)
{
	if (ns % NS_PER_MS == 0)
		snprintf(buf, len, "%" PRIu64, (uint64_t)(ns / NS_PER_MS));
	else
		snprintf(buf, len, "%.2f", (double)ns / NS_PER_MS);
}

static void
fmt_pct(char *buf, size_t len, unsigned int num, unsigned int den)
{
	if (den == 0 || (num * 100) % den == 0)
		snprintf(buf, len, "%u", den ? num * 100 / den : 0);
	else
		snprintf(buf, len, "%.1f", num * 100.0 / den);
}

/* Why target t did not pass in round r (it is resolved, not passing). */
static void
describe(const struct nep_health *h, const struct nep_health_round *r,
	unsigned int t, char *cause)
{
	const struct nep_health_target *g = &h->tgt[t];
	uint8_t bit = (uint8_t)(1u << t);
	char a[16], b[16];

	if (!(r->sent & bit)) {
		snprintf(cause, CAUSE_MAX, "target %s not probed", g->name);
	} else if (!(r->answered & bit)) {
		snprintf(cause, CAUSE_MAX, "target %s lost", g->name);
	} else if (!rtt_ok(h, r->rtt_ns[t])) {
		fmt_ms(a, sizeof(a), r->rtt_ns[t]);
		snprintf(cause, CAUSE_MAX, "target %s rtt %s ms > max %u ms",
			g->name, a, h->max_rtt_ms);
	} else {
		fmt_pct(a, sizeof(a), g->loss_lost, g->loss_fill);
		snprintf(b, sizeof(b), "%u", h->max_loss_pct);
		snprintf(cause, CAUSE_MAX, "target %s loss %s%% > max %s%%",
			g->name, a, b);
	}
}

/*
 * Verdict on round idx: 1 good, 0 failed (cause filled), -1 not yet known.
 * A round is closed (no more probes can join) once every target has a
 * probe in it, a newer round exists, or its deadline has passed.
 */
static int
judge(const struct nep_health *h, uint64_t idx, uint64_t now,
	char *cause)
{
	const struct nep_health_round *r =
		&h->ring[idx & (NEP_HEALTH_RING - 1)];
	uint8_t all = all_targets(h), pending = pending_of(r), pass = 0;
	unsigned int t, npass, possible;
	bool closed;

	closed = r->sent == all || idx + 1 != h->tail ||
		now >= r->start_ns + h->timeout_ns;
	for (t = 0; t < h->n_targets; t++)
		if ((r->answered & (1u << t)) && rtt_ok(h, r->rtt_ns[t]) &&
				loss_ok(h, &h->tgt[t]))
			pass |= (uint8_t)(1u << t);
	npass = (unsigned int)__builtin_popcount(pass);

	if (!closed || pending) {
		/* Fail early once reliability is out of reach. */
		possible = npass + (unsigned int)__builtin_popcount(pending);
		if (!closed)
			possible += (unsigned int)__builtin_popcount(all &
				(uint8_t)~r->sent);
		if (possible >= h->reliability)
			return -1;
	} else if (npass >= h->reliability) {
		return 1;
	}

	for (t = 0; t < h->n_targets; t++) {
		uint8_t bit = (uint8_t)(1u << t);

		if ((pass & bit) || (pending & bit) ||
				(!closed && !(r->sent & bit)))
			continue;
		describe(h, r, t, cause);
		return 0;
	}
	snprintf(cause, CAUSE_MAX, "no target answered");
	return 0;
}

static void
set_state(struct nep_health *h, enum nep_health_state to, uint64_t now,
	struct nep_health_event *ev)
{
	ev->from = h->state;
	ev->to = to;
	ev->time_ns = now;
	h->state = to;
	h->since_ns = now;
	h->transitions++;
	h->n_fail = 0;
	h->n_good = 0;
}

/* Feed one verdict to the state machine. Returns 1 on a transition. */
static int
apply(struct nep_health *h, bool good, const char *cause, uint64_t now,
	struct nep_health_event *ev)
{
	if (good) {
		h->rounds_good++;
		h->n_fail = 0;
		h->n_good++;
		if (h->state == NEP_HEALTH_UNKNOWN) {
			/* Fast start: no up_count wait at boot. */
			set_state(h, NEP_HEALTH_UP, now, ev);
			snprintf(ev->reason, sizeof(ev->reason),
				"first good round");
			return 1;
		}
		if (h->state == NEP_HEALTH_DOWN && h->n_good >= h->up_count) {
			uint32_t n = h->n_good;

			set_state(h, NEP_HEALTH_UP, now, ev);
			snprintf(ev->reason, sizeof(ev->reason),
				"%u consecutive good round%s", n,
				n == 1 ? "" : "s");
			return 1;
		}
		return 0;
	}

	h->rounds_failed++;
	h->n_good = 0;
	h->n_fail++;
	if (h->state != NEP_HEALTH_DOWN && h->n_fail >= h->down_count) {
		uint32_t n = h->n_fail;

		set_state(h, NEP_HEALTH_DOWN, now, ev);
		snprintf(ev->reason, sizeof(ev->reason),
			"%u consecutive failed round%s (%s)", n,
			n == 1 ? "" : "s", cause);
		return 1;
	}
	return 0;
}

/* Keep a transition made outside tick until tick can report it. */
static void
defer(struct nep_health *h, const struct nep_health_event *ev)
{
	if (!h->ev_deferred) {
		h->deferred = *ev;
		h->ev_deferred = true;
		return;
	}
	h->deferred.to = ev->to;
	h->deferred.time_ns = ev->time_ns;
	memcpy(h->deferred.reason, ev->reason, sizeof(ev->reason));
	if (h->deferred.from == h->deferred.to)
		h->ev_deferred = false;
}

static void
pop_done(struct nep_health *h)
{
	while (h->head < h->tail) {
		struct nep_health_round *r = round_at(h, h->head);

		if (!r->judged || pending_of(r))
			break;
		h->head++;
	}
}

/* Ring full: close the oldest round, its missing replies count lost. */
static void
drop_oldest(struct nep_health *h, uint64_t now)
{
	struct nep_health_round *r = round_at(h, h->head);
	struct nep_health_event ev;
	char cause[CAUSE_MAX];
	uint8_t pending = pending_of(r);
	unsigned int t;
	int v;

	for (t = 0; t < h->n_targets; t++)
		if (pending & (1u << t))
			probe_lost(h, r, t);
	if (!r->judged) {
		v = judge(h, h->head, now, cause);
		r->judged = true;
		if (apply(h, v == 1, cause, now, &ev))
			defer(h, &ev);
	}
	h->head++;
}

int
nep_health_probe_sent(struct nep_health *h, unsigned int target, uint32_t seq,
	uint64_t now_ns)
{
	struct nep_health_round *r = NULL;
	uint8_t bit;

	if (target >= h->n_targets)
		return -EINVAL;
	if (h->link_down)
		return -ENETDOWN;
	bit = (uint8_t)(1u << target);

	if (h->head < h->tail)
		r = round_at(h, h->tail - 1);
	if (r == NULL || (r->sent & bit) ||
			now_ns >= r->start_ns + h->timeout_ns) {
		if (h->tail - h->head >= NEP_HEALTH_RING)
			drop_oldest(h, now_ns);
		r = round_at(h, h->tail);
		memset(r, 0, sizeof(*r));
		r->start_ns = now_ns;
		h->tail++;
		h->last_round_ns = now_ns;
		h->any_round = true;
	}
	r->seq[target] = seq;
	r->sent_ns[target] = now_ns;
	r->sent |= bit;
	h->tgt[target].sent++;
	return 0;
}

int
nep_health_reply(struct nep_health *h, unsigned int target, uint32_t seq,
	uint64_t now_ns)
{
	struct nep_health_target *g;
	struct nep_health_round *r;
	uint8_t bit;
	uint64_t idx;

	if (target >= h->n_targets)
		return -EINVAL;
	g = &h->tgt[target];
	bit = (uint8_t)(1u << target);

	for (idx = h->tail; idx > h->head; idx--) {
		r = round_at(h, idx - 1);
		if (!(r->sent & bit) || r->seq[target] != seq)
			continue;
		if (r->answered & bit) {
			g->dup++;
			return 0;
		}
		if (r->lost & bit) {
			g->late++;
			return 0;
		}
		if (now_ns >= r->sent_ns[target] + h->timeout_ns) {
			/* Past the deadline even if tick has not run yet. */
			probe_lost(h, r, target);
			g->late++;
			return 0;
		}
		probe_answered(h, r, target, now_ns > r->sent_ns[target] ?
			now_ns - r->sent_ns[target] : 0);
		return 1;
	}
	g->unknown++;
	return 0;
}

int
nep_health_tick(struct nep_health *h, uint64_t now_ns,
	struct nep_health_event *ev)
{
	char cause[CAUSE_MAX];
	unsigned int t;
	uint64_t idx;
	int v;

	if (h->ev_deferred) {
		*ev = h->deferred;
		h->ev_deferred = false;
		return 1;
	}
	if (h->link_down)
		return 0;

	for (idx = h->head; idx < h->tail; idx++) {
		struct nep_health_round *r = round_at(h, idx);
		uint8_t pending = pending_of(r);

		for (t = 0; t < h->n_targets; t++)
			if ((pending & (1u << t)) &&
					now_ns >= r->sent_ns[t] + h->timeout_ns)
				probe_lost(h, r, t);
	}

	/* In order, so consecutive counts follow the probing order. */
	for (idx = h->head; idx < h->tail; idx++) {
		struct nep_health_round *r = round_at(h, idx);

		if (r->judged)
			continue;
		v = judge(h, idx, now_ns, cause);
		if (v < 0)
			break;
		r->judged = true;
		if (apply(h, v == 1, cause, now_ns, ev)) {
			pop_done(h);
			return 1;
		}
	}
	pop_done(h);
	return 0;
}

int
nep_health_link_down(struct nep_health *h, uint64_t now_ns,
	struct nep_health_event *ev)
{
	enum nep_health_state from;
	unsigned int t;
	uint64_t idx;

	/* Outstanding probes will never be answered. */
	for (idx = h->head; idx < h->tail; idx++) {
		struct nep_health_round *r = round_at(h, idx);
		uint8_t pending = pending_of(r);

		for (t = 0; t < h->n_targets; t++)
			if (pending & (1u << t))
				probe_lost(h, r, t);
	}
	h->head = h->tail;
	h->link_down = true;
	h->any_round = false;
	h->n_fail = 0;
	h->n_good = 0;

	from = h->ev_deferred ? h->deferred.from : h->state;
	h->ev_deferred = false;
	if (h->state != NEP_HEALTH_DOWN) {
		h->state = NEP_HEALTH_DOWN;
		h->since_ns = now_ns;
		h->transitions++;
	}
	if (from == NEP_HEALTH_DOWN)
		return 0;
	ev->from = from;
	ev->to = NEP_HEALTH_DOWN;
	ev->time_ns = now_ns;
	snprintf(ev->reason, sizeof(ev->reason), "link down");
	return 1;
}

void
nep_health_link_up(struct nep_health *h, uint64_t now_ns)
{
	(void)now_ns;
	if (!h->link_down)
		return;
	h->link_down = false;
	h->n_fail = 0;
	h->n_good = 0;
	h->any_round = false;	/* probe right away */
}

void
nep_health_get_metrics(const struct nep_health *h,
	struct nep_health_metrics *m)
{
	unsigned int t, n_rtt = 0, lost = 0, fill = 0;

	memset(m, 0, sizeof(*m));
	m->state = h->state;
	m->since_ns = h->since_ns;
	m->n_targets = h->n_targets;
	for (t = 0; t < h->n_targets; t++) {
		const struct nep_health_target *g = &h->tgt[t];

		m->target[t].has_rtt = g->has_rtt;
		m->target[t].rtt_ms = g->srtt_ns / NS_PER_MS;
		m->target[t].jitter_ms = g->jitter_ns / NS_PER_MS;
		m->target[t].loss_pct = g->loss_fill ?
			g->loss_lost * 100.0 / g->loss_fill : 0;
		m->target[t].sent = g->sent;
		m->target[t].answered = g->answered;
		m->target[t].lost = g->lost;
		m->target[t].late = g->late;
		m->target[t].dup = g->dup;
		if (g->has_rtt) {
			n_rtt++;
			m->rtt_ms += m->target[t].rtt_ms;
			m->jitter_ms += m->target[t].jitter_ms;
		}
		lost += g->loss_lost;
		fill += g->loss_fill;
	}
	if (n_rtt) {
		m->rtt_ms /= n_rtt;
		m->jitter_ms /= n_rtt;
	}
	m->loss_pct = fill ? lost * 100.0 / fill : 0;
}
