/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "nep_health.h"

#define MS 1000000ULL
#define ALL 0xff

static struct nep_health h;
static unsigned int n_ev;
static struct nep_health_event last;
static uint64_t now_t;		/* start of the next round */
static uint32_t seq;

static const char *const tnames[] = {
	"2001:db8:10:1::1", "2001:db8:10:1::2", "2001:db8:10:1::3",
};

static void
setup_conf(struct nep_health_conf *c, unsigned int nt, uint32_t interval)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->n_targets = nt;
	for (i = 0; i < nt; i++) {
		c->targets[i].family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, tnames[i],
			c->targets[i].a), 1);
	}
	c->interval_ms = interval;
	c->timeout_ms = 1000;
	c->down_count = 3;
	c->up_count = 5;
	c->reliability = 1;
	c->loss_window = 20;
}

static void
start(const struct nep_health_conf *c)
{
	nep_health_init(&h, c, 0);
	n_ev = 0;
	memset(&last, 0, sizeof(last));
	now_t = 1000 * MS;
	seq = 0;
}

static void
tick(uint64_t now)
{
	struct nep_health_event ev;

	while (nep_health_tick(&h, now, &ev)) {
		n_ev++;
		last = ev;
	}
}

/*
 * One round at now_t: probe every target, targets in `answer` reply after
 * rtt_ms. Losses are judged at the next round's tick.
 */
static void
round_rtt(uint8_t answer, uint64_t rtt_ns)
{
	unsigned int t;

	tick(now_t);
	for (t = 0; t < h.n_targets; t++)
		assert_int_equal(nep_health_probe_sent(&h, t, seq, now_t), 0);
	for (t = 0; t < h.n_targets; t++)
		if (answer & (1u << t))
			assert_int_equal(nep_health_reply(&h, t, seq,
				now_t + rtt_ns), 1);
	tick(now_t + rtt_ns);
	seq++;
	now_t += h.interval_ns;
}

static void
round_(uint8_t answer)
{
	round_rtt(answer, 1 * MS);
}

static void
test_fast_start_and_hysteresis(void **state)
{
	struct nep_health_conf c;
	uint64_t first_lost;
	int i;

	(void)state;
	setup_conf(&c, 1, 10);
	start(&c);
	assert_int_equal(h.state, NEP_HEALTH_UNKNOWN);
	assert_false(nep_health_is_up(&h));
	assert_int_equal(h.timeout_ns, 10 * MS);	/* min(1000, 10) */

	round_(ALL);
	assert_int_equal(n_ev, 1);
	assert_int_equal(last.from, NEP_HEALTH_UNKNOWN);
	assert_int_equal(last.to, NEP_HEALTH_UP);
	assert_string_equal(last.reason, "first good round");
	assert_true(nep_health_is_up(&h));

	/* Down after exactly 3 failed rounds. */
	first_lost = now_t;
	round_(0);
	round_(0);
	tick(now_t);
	assert_int_equal(n_ev, 1);
	round_(0);
	tick(now_t);
	assert_int_equal(n_ev, 2);
	assert_int_equal(last.to, NEP_HEALTH_DOWN);
	assert_string_equal(last.reason,
		"3 consecutive failed rounds (target 2001:db8:10:1::1 lost)");
	/* 10 ms probes: down within 50 ms of the first lost probe. */
	assert_true(last.time_ns - first_lost <= 50 * MS);
	assert_int_equal(last.time_ns - first_lost, 30 * MS);

	/* Up after exactly 5 good rounds. */
	for (i = 0; i < 4; i++)
		round_(ALL);
	assert_int_equal(n_ev, 2);
	round_(ALL);
	assert_int_equal(n_ev, 3);
	assert_int_equal(last.from, NEP_HEALTH_DOWN);
	assert_int_equal(last.to, NEP_HEALTH_UP);
	assert_string_equal(last.reason, "5 consecutive good rounds");

	/* Flapping single losses never change state. */
	for (i = 0; i < 30; i++)
		round_(i % 2 ? ALL : 0);
	for (i = 0; i < 30; i++)
		round_(i % 3 == 2 ? ALL : 0);	/* 2 lost, 1 good */
	tick(now_t);
	assert_int_equal(n_ev, 3);
	assert_int_equal(h.state, NEP_HEALTH_UP);

	/* ...nor while down: 4 good, 1 lost, repeated. */
	for (i = 0; i < 3; i++)
		round_(0);
	tick(now_t);
	assert_int_equal(h.state, NEP_HEALTH_DOWN);
	n_ev = 0;
	for (i = 0; i < 40; i++)
		round_(i % 5 == 4 ? 0 : ALL);
	tick(now_t);
	assert_int_equal(n_ev, 0);
	assert_int_equal(h.state, NEP_HEALTH_DOWN);
}

static void
test_unknown_to_down(void **state)
{
	struct nep_health_conf c;

	(void)state;
	setup_conf(&c, 1, 10);
	start(&c);
	round_(0);
	round_(0);
	round_(0);
	tick(now_t);
	assert_int_equal(n_ev, 1);
	assert_int_equal(last.from, NEP_HEALTH_UNKNOWN);
	assert_int_equal(last.to, NEP_HEALTH_DOWN);
	/* Once down, no fast start: up_count good rounds. */
	round_(ALL);
	assert_int_equal(h.state, NEP_HEALTH_DOWN);
}

static void
test_reliability_2_of_3(void **state)
{
	struct nep_health_conf c;
	int i;

	(void)state;
	setup_conf(&c, 3, 10);
	c.reliability = 2;
	start(&c);
	round_(0x3);
	tick(now_t);	/* target 3 is only lost at the deadline */
	assert_int_equal(h.state, NEP_HEALTH_UP);
	/* Any two answering is enough. */
	for (i = 0; i < 10; i++)
		round_(i % 2 ? 0x5 : 0x6);
	tick(now_t);
	assert_int_equal(n_ev, 1);
	assert_int_equal(h.rounds_failed, 0);
	/* Only one answers: failed rounds, target 2 named. */
	round_(0x1);
	round_(0x1);
	round_(0x1);
	tick(now_t);
	assert_int_equal(n_ev, 2);
	assert_int_equal(last.to, NEP_HEALTH_DOWN);
	assert_string_equal(last.reason,
		"3 consecutive failed rounds (target 2001:db8:10:1::2 lost)");
}

static void
test_rtt_threshold(void **state)
{
	struct nep_health_conf c;
	int i;

	(void)state;
	setup_conf(&c, 1, 200);
	c.max_rtt_ms = 100;
	start(&c);
	round_rtt(ALL, 20 * MS);
	assert_int_equal(h.state, NEP_HEALTH_UP);
	round_rtt(ALL, 120 * MS);
	round_rtt(ALL, 120 * MS);
	assert_int_equal(n_ev, 1);
	round_rtt(ALL, 120 * MS);
	assert_int_equal(n_ev, 2);
	assert_int_equal(last.to, NEP_HEALTH_DOWN);
	assert_string_equal(last.reason, "3 consecutive failed rounds "
		"(target 2001:db8:10:1::1 rtt 120 ms > max 100 ms)");
	/* Slow is not lost. */
	assert_int_equal(h.tgt[0].lost, 0);
	/* Exactly at the threshold passes. */
	for (i = 0; i < 5; i++)
		round_rtt(ALL, 100 * MS);
	assert_int_equal(h.state, NEP_HEALTH_UP);
}

/* A slow answer makes reliability unreachable before the deadline. */
static void
test_early_fail(void **state)
{
	struct nep_health_conf c;
	unsigned int t;

	(void)state;
	setup_conf(&c, 3, 100);
	c.reliability = 3;
	c.max_rtt_ms = 5;
	start(&c);
	for (t = 0; t < 3; t++)
		nep_health_probe_sent(&h, t, 1, now_t);
	assert_int_equal(nep_health_reply(&h, 0, 1, now_t + 7 * MS), 1);
	tick(now_t + 7 * MS);
	assert_int_equal(h.rounds_failed, 1);
	/* The others still answer and feed the metrics. */
	assert_int_equal(nep_health_reply(&h, 1, 1, now_t + 8 * MS), 1);
	assert_int_equal(nep_health_reply(&h, 2, 1, now_t + 9 * MS), 1);
	tick(now_t + 9 * MS);
	assert_int_equal(h.rounds_failed, 1);
	assert_int_equal(h.rounds_good, 0);
	assert_int_equal(h.head, h.tail);
}

static void
test_loss_threshold(void **state)
{
	struct nep_health_conf c;
	struct nep_health_metrics m;
	int i;

	(void)state;
	setup_conf(&c, 1, 10);
	c.max_loss_pct = 20;
	c.loss_window = 10;
	start(&c);
	for (i = 0; i < 10; i++)
		round_(ALL);
	assert_int_equal(n_ev, 1);
	round_(0);	/* fail: lost */
	round_(ALL);	/* 1/10 */
	round_(0);
	round_(ALL);	/* 2/10 = 20%: still fine */
	round_(0);
	round_(ALL);	/* 3/10: fails on loss */
	assert_int_equal(n_ev, 1);
	nep_health_get_metrics(&h, &m);
	assert_true(fabs(m.loss_pct - 30.0) < 1e-9);
	round_(ALL);
	assert_int_equal(n_ev, 2);
	assert_int_equal(last.to, NEP_HEALTH_DOWN);
	assert_string_equal(last.reason, "3 consecutive failed rounds "
		"(target 2001:db8:10:1::1 loss 30% > max 20%)");
	/* Recovers once the losses slide out of the window. */
	for (i = 0; i < 12; i++)
		round_(ALL);
	assert_int_equal(h.state, NEP_HEALTH_UP);
}

static void
test_link_down_up(void **state)
{
	struct nep_health_conf c;
	struct nep_health_event ev;
	int i;

	(void)state;
	setup_conf(&c, 1, 10);
	start(&c);
	round_(ALL);
	assert_int_equal(h.state, NEP_HEALTH_UP);
	assert_int_equal(nep_health_probe_sent(&h, 0, 77, now_t), 0);
	assert_int_equal(nep_health_link_down(&h, now_t + 1, &ev), 1);
	assert_int_equal(ev.from, NEP_HEALTH_UP);
	assert_int_equal(ev.to, NEP_HEALTH_DOWN);
	assert_string_equal(ev.reason, "link down");
	assert_false(nep_health_is_up(&h));
	/* Again: no new event. Probes refused, in-flight ones lost. */
	assert_int_equal(nep_health_link_down(&h, now_t + 2, &ev), 0);
	assert_int_equal(nep_health_probe_sent(&h, 0, 78, now_t + 3),
		-ENETDOWN);
	assert_int_equal(nep_health_reply(&h, 0, 77, now_t + 4), 0);
	assert_int_equal(h.tgt[0].lost, 1);
	assert_int_equal(nep_health_tick(&h, now_t + 100 * MS, &ev), 0);

	now_t += 100 * MS;
	nep_health_link_up(&h, now_t);
	assert_int_equal(nep_health_next_probe_ns(&h), 0);
	assert_int_equal(h.state, NEP_HEALTH_DOWN);
	n_ev = 0;
	for (i = 0; i < 4; i++)
		round_(ALL);
	assert_int_equal(n_ev, 0);
	round_(ALL);
	assert_int_equal(n_ev, 1);
	assert_int_equal(last.to, NEP_HEALTH_UP);
}

static void
test_ewma_jitter(void **state)
{
	static const uint64_t rtt[] = { 10, 20, 10, 30 };
	struct nep_health_conf c;
	struct nep_health_metrics m;
	unsigned int i;

	(void)state;
	setup_conf(&c, 1, 100);
	start(&c);
	for (i = 0; i < 4; i++)
		round_rtt(ALL, rtt[i] * MS);
	nep_health_get_metrics(&h, &m);
	/*
	 * srtt: 10 -> 10 + 10/8 = 11.25 -> 11.25 - 1.25/8 = 11.09375
	 *       -> 11.09375 + 18.90625/8 = 13.45703125
	 * jitter (|diff| 10, 10, 20): 0 -> 0.625 -> 1.2109375
	 *       -> 1.2109375 + 18.7890625/16 = 2.385253906...
	 */
	assert_true(fabs(m.target[0].rtt_ms - 13.45703125) < 1e-9);
	assert_true(fabs(m.target[0].jitter_ms - 2.3852539062) < 1e-9);
	assert_true(fabs(m.rtt_ms - 13.45703125) < 1e-9);
	assert_true(m.target[0].has_rtt);
	assert_true(fabs(m.loss_pct) < 1e-9);

	/* One loss in five resolved probes. */
	round_(0);
	tick(now_t);
	nep_health_get_metrics(&h, &m);
	assert_true(fabs(m.loss_pct - 20.0) < 1e-9);
	assert_int_equal(m.target[0].sent, 5);
	assert_int_equal(m.target[0].answered, 4);
	assert_int_equal(m.target[0].lost, 1);
}

static void
test_dup_late_unknown(void **state)
{
	struct nep_health_conf c;

	(void)state;
	setup_conf(&c, 1, 10);
	start(&c);
	assert_int_equal(nep_health_probe_sent(&h, 0, 5, now_t), 0);
	assert_int_equal(nep_health_reply(&h, 0, 5, now_t + 1 * MS), 1);
	assert_int_equal(nep_health_reply(&h, 0, 5, now_t + 2 * MS), 0);
	assert_int_equal(nep_health_reply(&h, 0, 6, now_t + 2 * MS), 0);
	assert_int_equal(nep_health_reply(&h, 1, 5, now_t + 2 * MS), -EINVAL);
	assert_int_equal(h.tgt[0].answered, 1);
	assert_int_equal(h.tgt[0].dup, 1);
	assert_int_equal(h.tgt[0].unknown, 1);

	/* Late after tick marked it lost. */
	now_t += 10 * MS;
	assert_int_equal(nep_health_probe_sent(&h, 0, 6, now_t), 0);
	tick(now_t + 10 * MS);
	assert_int_equal(h.tgt[0].lost, 1);
	assert_int_equal(nep_health_reply(&h, 0, 6, now_t + 12 * MS), 0);
	assert_int_equal(h.tgt[0].answered, 1);

	/* Late before any tick: still lost (deadline is timestamp based). */
	now_t += 20 * MS;
	assert_int_equal(nep_health_probe_sent(&h, 0, 7, now_t), 0);
	assert_int_equal(nep_health_reply(&h, 0, 7, now_t + 10 * MS), 0);
	assert_int_equal(h.tgt[0].lost, 2);
	assert_int_equal(h.tgt[0].late, 1);
	assert_int_equal(h.tgt[0].answered, 1);
	assert_int_equal(nep_health_probe_sent(&h, 3, 1, now_t), -EINVAL);
}

static void
test_timeouts(void **state)
{
	struct nep_health_conf c;
	int i;

	(void)state;
	setup_conf(&c, 1, 10);
	c.timeout_ms = 5;
	start(&c);
	assert_int_equal(h.timeout_ns, 5 * MS);
	round_rtt(ALL, 4 * MS);
	assert_int_equal(h.state, NEP_HEALTH_UP);

	/* Defaults from a zeroed config. */
	memset(&c, 0, sizeof(c));
	nep_health_init(&h, &c, 0);
	assert_int_equal(h.interval_ns, 100 * MS);
	assert_int_equal(h.timeout_ns, 100 * MS);
	assert_int_equal(h.down_count, 3);
	assert_int_equal(h.up_count, 5);
	assert_int_equal(h.n_targets, 1);
	assert_string_equal(h.tgt[0].name, "next-hop");

	/* Overlapping rounds: RTT 30 ms with 10 ms probes, 50 ms timeout. */
	setup_conf(&c, 1, 10);
	start(&c);
	nep_health_set_timeout(&h, 50);
	for (i = 0; i < 20; i++) {
		tick(now_t);
		assert_int_equal(nep_health_probe_sent(&h, 0, (uint32_t)i,
			now_t), 0);
		if (i >= 3)
			assert_int_equal(nep_health_reply(&h, 0,
				(uint32_t)i - 3, now_t), 1);
		now_t += 10 * MS;
	}
	tick(now_t);
	assert_int_equal(h.state, NEP_HEALTH_UP);
	assert_int_equal(h.rounds_failed, 0);
	assert_int_equal(h.tgt[0].lost, 0);
}

/* A skipped send does not shift later rounds. */
static void
test_skipped_probe(void **state)
{
	struct nep_health_conf c;

	(void)state;
	setup_conf(&c, 2, 10);
	c.reliability = 2;
	start(&c);
	round_(ALL);
	assert_int_equal(h.state, NEP_HEALTH_UP);
	/* Only target 0 probed this round. */
	tick(now_t);
	nep_health_probe_sent(&h, 0, seq, now_t);
	nep_health_reply(&h, 0, seq, now_t + 1 * MS);
	seq++;
	now_t += 10 * MS;
	tick(now_t);
	assert_int_equal(h.rounds_failed, 1);
	/* Back to normal: both answer, rounds are good again. */
	round_(ALL);
	round_(ALL);
	assert_int_equal(h.rounds_failed, 1);
	assert_int_equal(h.rounds_good, 3);
}

/* Never ticking: the ring closes old rounds, tick reports once. */
static void
test_ring_overflow(void **state)
{
	struct nep_health_conf c;
	struct nep_health_event ev;
	unsigned int i;

	(void)state;
	setup_conf(&c, 1, 10);
	start(&c);
	nep_health_set_timeout(&h, 100000);
	for (i = 0; i < NEP_HEALTH_RING + 10; i++)
		assert_int_equal(nep_health_probe_sent(&h, 0, i,
			now_t + i * 10 * MS), 0);
	assert_int_equal(h.tail - h.head, NEP_HEALTH_RING);
	assert_int_equal(h.tgt[0].lost, 10);
	assert_int_equal(nep_health_tick(&h, now_t + 2000 * MS, &ev), 1);
	assert_int_equal(ev.from, NEP_HEALTH_UNKNOWN);
	assert_int_equal(ev.to, NEP_HEALTH_DOWN);
	assert_int_equal(nep_health_tick(&h, now_t + 2000 * MS, &ev), 0);
}

/*
 * A reload that changes only the health settings keeps what the machine
 * knew: an UP uplink stays UP (it never leaves the pool), the history of
 * a target that stays is kept, a new target starts empty.
 */
static void
test_carry_over_reconfigure(void **state)
{
	static struct nep_health old;
	struct nep_health_conf c;
	struct nep_health_metrics m;
	int i;

	(void)state;
	setup_conf(&c, 2, 10);
	start(&c);
	for (i = 0; i < 8; i++)
		round_rtt(ALL, 4 * MS);
	assert_int_equal(h.state, NEP_HEALTH_UP);
	old = h;

	/* interval 10 -> 15 ms, target 2 replaced by a new one. */
	c.interval_ms = 15;
	assert_int_equal(inet_pton(AF_INET6, tnames[2], c.targets[1].a), 1);
	nep_health_init(&h, &c, now_t);
	assert_int_equal(h.state, NEP_HEALTH_UNKNOWN);	/* without carry */
	nep_health_carry(&h, &old);
	assert_int_equal(h.state, NEP_HEALTH_UP);
	assert_true(nep_health_is_up(&h));
	assert_int_equal(h.since_ns, old.since_ns);
	assert_int_equal(h.interval_ns, 15 * MS);	/* the new setting */
	nep_health_get_metrics(&h, &m);
	assert_true(m.target[0].has_rtt);		/* kept: same address */
	assert_true(m.target[0].rtt_ms > 3.9 && m.target[0].rtt_ms < 4.1);
	assert_int_equal(m.target[0].sent, old.tgt[0].sent);
	assert_false(m.target[1].has_rtt);		/* new target */
	assert_int_equal(m.target[1].sent, 0);
	/* It keeps going from there: no event, still up after a round. */
	n_ev = 0;
	round_rtt(ALL, 4 * MS);
	assert_int_equal(n_ev, 0);
	assert_int_equal(h.state, NEP_HEALTH_UP);
	/* And still goes down after down_count failed rounds. */
	for (i = 0; i < 4; i++)
		round_(0);
	assert_int_equal(h.state, NEP_HEALTH_DOWN);
}

/* A target's own verdict follows its last down_count probes. */
static void
test_target_state(void **state)
{
	struct nep_health_conf c;
	int i;

	(void)state;
	setup_conf(&c, 2, 10);
	start(&c);
	assert_int_equal(nep_health_target_state(&h, 0), NEP_HEALTH_UNKNOWN);
	for (i = 0; i < 6; i++)
		round_(ALL);
	assert_int_equal(nep_health_target_state(&h, 0), NEP_HEALTH_UP);
	assert_int_equal(nep_health_target_state(&h, 1), NEP_HEALTH_UP);
	/* Target 1 stops answering: down after 3 lost probes, not before,
	 * although its loss window is far from all lost. */
	round_(1);
	round_(1);
	round_(1);	/* judged at the next tick */
	assert_int_equal(nep_health_target_state(&h, 1), NEP_HEALTH_UP);
	round_(1);
	assert_int_equal(nep_health_target_state(&h, 1), NEP_HEALTH_DOWN);
	assert_int_equal(nep_health_target_state(&h, 0), NEP_HEALTH_UP);
	/* One answer brings it back. */
	round_(ALL);
	round_(ALL);
	assert_int_equal(nep_health_target_state(&h, 1), NEP_HEALTH_UP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_start_and_hysteresis),
		cmocka_unit_test(test_carry_over_reconfigure),
		cmocka_unit_test(test_target_state),
		cmocka_unit_test(test_unknown_to_down),
		cmocka_unit_test(test_reliability_2_of_3),
		cmocka_unit_test(test_rtt_threshold),
		cmocka_unit_test(test_early_fail),
		cmocka_unit_test(test_loss_threshold),
		cmocka_unit_test(test_link_down_up),
		cmocka_unit_test(test_ewma_jitter),
		cmocka_unit_test(test_dup_late_unknown),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_skipped_probe),
		cmocka_unit_test(test_ring_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
