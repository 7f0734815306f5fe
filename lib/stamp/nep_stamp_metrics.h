/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-session STAMP metrics on the Session-Sender's side: fed one reply
 * at a time (t1..t4 in ns, the sender's and the reflector's sequence
 * numbers), no allocation (the whole state is struct nep_stamp_stats,
 * which the caller owns), not thread-safe (one writer per session).
 *
 *  - Round-trip delay (t4 - t1) - (t3 - t2): needs no clock sync.
 *  - One-way delays t2 - t1 (forward) and t4 - t3 (backward): only as
 *    good as the clocks' sync, so reported valid only when the caller
 *    says the clocks are synchronized (nep_stamp_summary.valid).
 *  - Jitter per direction and round trip: RFC 3550 6.4.1 smoothing,
 *    J += (|D| - J) / 16, D the difference of the delays of two
 *    consecutive replies (in arrival order). A constant clock offset
 *    cancels out of D, so one-way jitter is meaningful without sync.
 *  - Sequence numbers are widened to 64 bits (wrap at 2^32 handled as
 *    long as consecutive replies are within 2^31 of each other).
 *    Duplicates (a sender sequence seen before, within the last
 *    NEP_STAMP_DUP_WINDOW numbers) are counted and otherwise ignored;
 *    a reply older than the highest seen is counted as reordered.
 *  - Loss: round trip = sender numbers spanned - unique replies (loss in
 *    flight at the end of the span is not yet loss: use
 *    nep_stamp_stats_loss() with the count sent). With a stateful
 *    reflector (its sequence counts what it received), backward =
 *    reflector numbers spanned - unique reflector numbers received, and
 *    forward = round trip - backward. A request the network duplicated
 *    shows as one forward loss fewer.
 *  - A window of the last n samples (n <= NEP_STAMP_WIN_MAX), optionally
 *    limited to the last win_ns of time: min / median / p99 / max by
 *    nearest rank (the smallest sample with at least p% of the samples
 *    at or below it), computed at query time by sorting a copy in the
 *    struct's scratch space (heap sort: no allocation, no recursion).
 *  - A round-trip histogram with fixed buckets (nep_stamp_hist_bound()).
 */
#ifndef NEP_STAMP_METRICS_H
#define NEP_STAMP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#define NEP_STAMP_WIN_MAX 8192
#define NEP_STAMP_DUP_WINDOW 1024 /* sender numbers remembered, bits */
#define NEP_STAMP_HIST_BUCKETS 19

/* Times in ns: t1 and t4 on the sender's clock, t2 and t3 the reflector's. */
struct nep_stamp_sample {
	uint64_t t1, t2, t3, t4;
	uint32_t s_seq;
	uint32_t r_seq;
};

enum nep_stamp_metric {
	NEP_STAMP_M_RTT = 0,
	NEP_STAMP_M_FWD, /* t2 - t1 */
	NEP_STAMP_M_BWD, /* t4 - t3 */
	NEP_STAMP_M_COUNT,
};

/* The outcome of one nep_stamp_stats_add(). */
enum nep_stamp_add {
	NEP_STAMP_ADD_OK = 0,
	NEP_STAMP_ADD_REORDERED, /* taken, older than the highest seen */
	NEP_STAMP_ADD_DUPLICATE, /* not taken */
	NEP_STAMP_ADD_TOO_OLD,	 /* not taken: 2^31 or more behind */
};

struct nep_stamp_win_entry {
	uint64_t t4;
	int64_t v[NEP_STAMP_M_COUNT];
};

struct nep_stamp_stats {
	/* configuration (nep_stamp_stats_init()) */
	bool clocks_synced;
	bool stateful_reflector;
	uint32_t win_n;
	uint64_t win_ns; /* 0: by count only */

	/* counters */
	uint64_t replies; /* unique replies taken */
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t too_old;

	/* sender sequence: first and highest seen, widened */
	bool have;
	uint64_t s_first, s_max;
	uint64_t dup_bits[NEP_STAMP_DUP_WINDOW / 64];
	/* reflector sequence */
	uint64_t r_first, r_max, r_unique;
	uint64_t r_bits[NEP_STAMP_DUP_WINDOW / 64];

	/* delays of the last reply taken, for jitter */
	int64_t last[NEP_STAMP_M_COUNT];
	uint64_t jitter16[NEP_STAMP_M_COUNT]; /* J * 16 (RFC 3550 A.8) */
	int64_t min[NEP_STAMP_M_COUNT], max[NEP_STAMP_M_COUNT];
	int64_t sum[NEP_STAMP_M_COUNT];

	uint64_t hist[NEP_STAMP_HIST_BUCKETS];

	/* the window: ring of the last win_n samples, and scratch */
	uint32_t win_head, win_count;
	struct nep_stamp_win_entry win[NEP_STAMP_WIN_MAX];
	int64_t scratch[NEP_STAMP_WIN_MAX];
};

/*
 * win_n: samples in the window (1..NEP_STAMP_WIN_MAX; clamped); win_ns:
 * only samples whose t4 is within win_ns of the query's now (0: all
 * win_n). clocks_synced: one-way delays are valid. stateful_reflector:
 * the reflector's sequence numbers count what it received (RFC 8762 4.3
 * stateful mode), so the loss splits into forward and backward.
 */
void nep_stamp_stats_init(struct nep_stamp_stats *st, uint32_t win_n,
	uint64_t win_ns, bool clocks_synced, bool stateful_reflector);

/* Take one reply. */
enum nep_stamp_add nep_stamp_stats_add(
	struct nep_stamp_stats *st, const struct nep_stamp_sample *s);

/* Delays of one sample (what add() records). */
static inline int64_t
nep_stamp_rtt(const struct nep_stamp_sample *s)
{
	return (int64_t)(s->t4 - s->t1) - (int64_t)(s->t3 - s->t2);
}

struct nep_stamp_loss {
	uint64_t expected; /* sender numbers spanned (or sent) */
	uint64_t round_trip;
	bool split; /* forward / backward valid (stateful reflector) */
	uint64_t forward;
	uint64_t backward;
};

/*
 * Loss so far. sent: how many requests the sender sent from the first
 * sequence number on, or 0 to use the span of numbers seen.
 */
void nep_stamp_stats_loss(const struct nep_stamp_stats *st, uint64_t sent,
	struct nep_stamp_loss *out);

/* Jitter of a metric in ns (J / 16, rounded). */
uint64_t nep_stamp_stats_jitter(
	const struct nep_stamp_stats *st, enum nep_stamp_metric m);

struct nep_stamp_summary {
	uint32_t n; /* samples in the window used */
	bool valid; /* n > 0, and for one-way metrics clocks_synced */
	int64_t min, median, p99, max;
};

/*
 * Summary of metric m over the window (samples with t4 >= now_ns -
 * win_ns when win_ns is set). Uses st's scratch space: not const.
 */
void nep_stamp_stats_window(struct nep_stamp_stats *st, enum nep_stamp_metric m,
	uint64_t now_ns, struct nep_stamp_summary *out);
/* The p-th percentile (0 < p <= 100) by nearest rank of v[0..n), sorted. */
int64_t nep_stamp_percentile(int64_t *v, uint32_t n, unsigned int p);

/*
 * Upper bound in ns (inclusive) of histogram bucket i: a 1-2-5 series
 * from 10 us to 5 s, then the last bucket for anything above (returns
 * INT64_MAX). Negative round trips (clock granularity) go in bucket 0.
 */
int64_t nep_stamp_hist_bound(unsigned int i);

#endif /* NEP_STAMP_METRICS_H */
