/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-uplink health state machine and path metrics.
 *
 * Pure: the caller sends the probes (ICMPv6 echo) and passes every time in
 * as nanoseconds of a monotonic clock. Nothing here touches EAL.
 *
 * Rounds. Every interval the caller sends one probe per target and reports
 * it with nep_health_probe_sent(). A probe joins the newest round unless
 * that round already has a probe for the same target or is past its
 * deadline, so rounds stay aligned even if a send is skipped. Replies are
 * matched by (target, seq); duplicates, unknown and late replies are
 * ignored. A round is judged once all its probes are answered or timed out
 * (or as soon as it can no longer reach `reliability`); rounds are judged
 * in order. A round is good when at least `reliability` targets pass:
 * answered before the deadline, with this probe's RTT <= max_rtt_ms (if
 * set) and the target's loss over the last loss_window probes <=
 * max_loss_pct (if set).
 *
 * Effective timeout. A probe counts as lost when no reply has arrived by
 * the time the next probe to the target is due: timeout =
 * min(timeout_ms, interval_ms). With a 1000 ms timeout and 10 ms rounds,
 * waiting the full timeout would detect a failure only after
 * timeout + (down_count - 1) * interval (> 1 s); with the effective
 * timeout it takes about down_count * interval (30-40 ms for 3 x 10 ms).
 * A target whose RTT can exceed the interval needs a longer interval, or
 * nep_health_set_timeout() to allow overlapping rounds (up to
 * NEP_HEALTH_RING rounds in flight; beyond that the oldest round is closed
 * with its missing replies counted lost).
 *
 * States. A new uplink starts UNKNOWN, which does not count as up. The
 * first good round takes it UP at once (fast start: no up_count wait at
 * boot); down_count consecutive failed rounds take it DOWN. From UP,
 * down_count consecutive failed rounds -> DOWN; from DOWN, up_count
 * consecutive good rounds -> UP. Any opposite round resets the count, so
 * isolated losses never flap the state. Link down is immediate DOWN; after
 * link up, up_count good rounds are needed again.
 *
 * Metrics (per target): smoothed RTT (EWMA, alpha 1/8, as TCP SRTT),
 * jitter (mean deviation of consecutive RTT differences, gain 1/16, as
 * RFC 3550 interarrival jitter) and loss % over the last loss_window
 * resolved probes.
 */
#ifndef NEP_HEALTH_H
#define NEP_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "nep_config.h"

#define NEP_MAX_TARGETS 4		/* health-check targets per uplink */
#define NEP_HEALTH_RING 128		/* rounds in flight (power of 2) */
#define NEP_HEALTH_LOSS_WINDOW_MAX 128
#define NEP_HEALTH_REASON_MAX 192
#define NEP_HEALTH_NAME_MAX 48		/* fits INET6_ADDRSTRLEN */

/* An uplink's `health:` settings (parsed by the multihoming feature). */
struct nep_health_conf {
	bool enabled;			/* default true; false: always up */
	unsigned n_targets;		/* 0: the next hop is the target */
	struct nep_addr targets[NEP_MAX_TARGETS];
	uint32_t interval_ms;		/* default 100, min 10 */
	uint32_t timeout_ms;		/* default 1000 */
	uint32_t down_count;		/* consecutive failures, default 3 */
	uint32_t up_count;		/* consecutive successes, default 5 */
	uint32_t reliability;		/* targets that must answer, default 1 */
	uint32_t max_rtt_ms;		/* 0: no RTT threshold */
	uint32_t max_loss_pct;		/* 0: no loss threshold */
	uint32_t loss_window;		/* probes in the loss window, default 20 */
};

enum nep_health_state {
	NEP_HEALTH_UNKNOWN = 0,
	NEP_HEALTH_UP = 1,
	NEP_HEALTH_DOWN = 2,
};

struct nep_health_event {
	enum nep_health_state from, to;
	uint64_t time_ns;
	char reason[NEP_HEALTH_REASON_MAX];
};

struct nep_health_target {
	char name[NEP_HEALTH_NAME_MAX];	/* address, for reasons and logs */
	bool has_rtt;
	double srtt_ns;
	double jitter_ns;
	double last_rtt_ns;
	uint64_t loss_bits[NEP_HEALTH_LOSS_WINDOW_MAX / 64]; /* 1 = lost */
	uint16_t loss_pos;		/* next slot */
	uint16_t loss_fill;		/* outcomes in the window */
	uint16_t loss_lost;		/* lost among them */
	/* Counters since init. */
	uint64_t sent, answered, lost, late, dup, unknown;
};

struct nep_health_round {
	uint64_t start_ns;
	uint64_t sent_ns[NEP_MAX_TARGETS];
	uint64_t rtt_ns[NEP_MAX_TARGETS];
	uint32_t seq[NEP_MAX_TARGETS];
	uint8_t sent, answered, lost;	/* target bitmasks */
	bool judged;
};

struct nep_health {
	/* Configuration, validated. */
	uint8_t n_targets;
	uint8_t reliability;
	uint32_t down_count, up_count;
	uint32_t max_rtt_ms, max_loss_pct, loss_window;
	uint64_t interval_ns;
	uint64_t timeout_ns;		/* effective, see above */

	enum nep_health_state state;
	uint64_t since_ns;		/* time of the last state change */
	bool link_down;
	uint32_t n_fail, n_good;	/* consecutive rounds */
	uint64_t rounds_good, rounds_failed, transitions;
	uint64_t last_round_ns;		/* start of the newest round */
	bool any_round;

	uint64_t head, tail;		/* rounds [head, tail) in flight */
	struct nep_health_round ring[NEP_HEALTH_RING];
	struct nep_health_target tgt[NEP_MAX_TARGETS];

	/* A transition made outside tick (ring overflow), reported by tick. */
	bool ev_deferred;
	struct nep_health_event deferred;
};

/* Aggregate and per-target metrics, for the management API. */
struct nep_health_metrics {
	enum nep_health_state state;
	uint64_t since_ns;
	unsigned int n_targets;
	double rtt_ms;			/* mean srtt over targets with samples */
	double jitter_ms;
	double loss_pct;		/* over all targets' windows */
	struct {
		double rtt_ms, jitter_ms, loss_pct;
		bool has_rtt;
		uint64_t sent, answered, lost, late, dup;
	} target[NEP_MAX_TARGETS];
};

/*
 * Set up from the configuration (zero fields take the documented
 * defaults). n_targets 0 means one target, the next hop, named "next-hop"
 * until nep_health_set_target_addr() names it.
 */
void nep_health_init(struct nep_health *h, const struct nep_health_conf *c,
	uint64_t now_ns);

/* Name a target after its address (for the 0-target, next-hop case). */
/*
 * After nep_health_init() with a changed configuration (reload), carry
 * over what the old machine knew: its state (UP stays UP: a reload must
 * not take an uplink out of the pool), the time of its last change and
 * round, link state, and the history of every target that stays (same
 * address). Rounds in flight are forgotten; their replies count as
 * unknown.
 */
void nep_health_carry(struct nep_health *h, const struct nep_health *old);

/*
 * One target's own verdict, for display: DOWN when its last down_count
 * probes were all lost, UNKNOWN before it answered at all (DOWN if it
 * never did over down_count probes), else UP.
 */
enum nep_health_state nep_health_target_state(const struct nep_health *h,
	unsigned int t);

void nep_health_set_target_addr(struct nep_health *h, unsigned int idx,
	const struct nep_addr *a);

/* Override the effective timeout (ms, > 0): allows overlapping rounds. */
void nep_health_set_timeout(struct nep_health *h, uint32_t timeout_ms);

/*
 * A probe was sent (or should have been: report a failed send too, it is
 * then simply never answered). Returns 0, or -EINVAL for a bad target and
 * -ENETDOWN while the link is down (the probe is ignored).
 */
int nep_health_probe_sent(struct nep_health *h, unsigned int target,
	uint32_t seq, uint64_t now_ns);

/*
 * A reply arrived. Returns 1 if it answered an outstanding probe in time,
 * 0 if ignored (duplicate, unknown seq, or late: the probe counts lost),
 * -EINVAL for a bad target.
 */
int nep_health_reply(struct nep_health *h, unsigned int target, uint32_t seq,
	uint64_t now_ns);

/*
 * Expire probes and judge finished rounds. Returns 1 and fills ev when the
 * state changed (call again until it returns 0: one transition per call),
 * else 0.
 */
int nep_health_tick(struct nep_health *h, uint64_t now_ns,
	struct nep_health_event *ev);

/* Carrier lost: immediate DOWN ("link down"). Returns 1 if state changed. */
int nep_health_link_down(struct nep_health *h, uint64_t now_ns,
	struct nep_health_event *ev);

/* Carrier back: probing resumes, UP needs up_count good rounds. */
void nep_health_link_up(struct nep_health *h, uint64_t now_ns);

/* When the next round of probes is due (now if none was sent yet). */
uint64_t nep_health_next_probe_ns(const struct nep_health *h);

static inline bool
nep_health_is_up(const struct nep_health *h)
{
	return h->state == NEP_HEALTH_UP && !h->link_down;
}

void nep_health_get_metrics(const struct nep_health *h,
	struct nep_health_metrics *m);

const char *nep_health_state_name(enum nep_health_state s);

#endif /* NEP_HEALTH_H */
