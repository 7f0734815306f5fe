/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "nep_stamp_metrics.h"

static const int64_t hist_bounds[NEP_STAMP_HIST_BUCKETS - 1] = {
	10000,
	20000,
	50000,
	100000,
	200000,
	500000,
	1000000,
	2000000,
	5000000,
	10000000,
	20000000,
	50000000,
	100000000,
	200000000,
	500000000,
	1000000000,
	2000000000,
	5000000000,
};

int64_t
nep_stamp_hist_bound(unsigned int i)
{
	if (i >= NEP_STAMP_HIST_BUCKETS - 1)
		return INT64_MAX;
	return hist_bounds[i];
}

static unsigned int
hist_bucket(int64_t v)
{
	unsigned int i = 0;

	while (i < NEP_STAMP_HIST_BUCKETS - 1 && v > hist_bounds[i])
		i++;
	return i;
}

void
nep_stamp_stats_init(struct nep_stamp_stats *st, uint32_t win_n,
	uint64_t win_ns, bool clocks_synced, bool stateful_reflector)
{
	memset(st, 0, sizeof(*st));
	if (win_n == 0)
		win_n = 1;
	if (win_n > NEP_STAMP_WIN_MAX)
		win_n = NEP_STAMP_WIN_MAX;
	st->win_n = win_n;
	st->win_ns = win_ns;
	st->clocks_synced = clocks_synced;
	st->stateful_reflector = stateful_reflector;
}

/* Widen a 32-bit number to 64 bits next to ref (within 2^31 of it). */
static uint64_t
widen(uint64_t ref, uint32_t v, bool *ok)
{
	int32_t d = (int32_t)(v - (uint32_t)ref);

	*ok = !(d < 0 && (uint64_t)(-(int64_t)d) > ref);
	return ref + (int64_t)d;
}

/*
 * The bitmap remembers numbers max - DUP_WINDOW + 1 .. max: bit n % W.
 * Moving max up clears the bits of the numbers that enter the window.
 */
static void
bits_advance(uint64_t *bits, uint64_t old_max, uint64_t new_max)
{
	if (new_max - old_max >= NEP_STAMP_DUP_WINDOW) {
		memset(bits, 0, NEP_STAMP_DUP_WINDOW / 8);
		return;
	}
	for (uint64_t n = old_max + 1; n <= new_max; n++)
		bits[(n % NEP_STAMP_DUP_WINDOW) / 64] &= ~(1ull << (n % 64));
}

static bool
bits_test_set(uint64_t *bits, uint64_t n)
{
	uint64_t *w = &bits[(n % NEP_STAMP_DUP_WINDOW) / 64];
	uint64_t b = 1ull << (n % 64);
	bool was = (*w & b) != 0;

	*w |= b;
	return was;
}

/* Reflector number: counted once each, within the window. */
static void
track_refl(struct nep_stamp_stats *st, uint32_t r_seq, bool first)
{
	uint64_t r;
	bool ok;

	if (first) {
		st->r_first = st->r_max = r_seq;
		bits_test_set(st->r_bits, r_seq);
		st->r_unique = 1;
		return;
	}
	r = widen(st->r_max, r_seq, &ok);
	if (!ok || r < st->r_first)
		return;
	if (r > st->r_max) {
		bits_advance(st->r_bits, st->r_max, r);
		st->r_max = r;
	} else if (st->r_max - r >= NEP_STAMP_DUP_WINDOW) {
		st->r_unique++; /* too old to check: taken as new */
		return;
	}
	if (!bits_test_set(st->r_bits, r))
		st->r_unique++;
}

static void
jitter_update(struct nep_stamp_stats *st, const int64_t *v)
{
	for (unsigned int m = 0; m < NEP_STAMP_M_COUNT; m++) {
		int64_t d = v[m] - st->last[m];
		uint64_t ad = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;

		/* RFC 3550 A.8: J * 16 += |D| - (J * 16 + 8) / 16. */
		st->jitter16[m] += ad;
		st->jitter16[m] -= (st->jitter16[m] - ad + 8) >> 4;
	}
}

enum nep_stamp_add
nep_stamp_stats_add(
	struct nep_stamp_stats *st, const struct nep_stamp_sample *s)
{
	enum nep_stamp_add res = NEP_STAMP_ADD_OK;
	int64_t v[NEP_STAMP_M_COUNT];
	struct nep_stamp_win_entry *e;
	bool first = !st->have, ok;
	uint64_t n;

	if (first) {
		n = s->s_seq;
		st->s_first = st->s_max = n;
		st->have = true;
	} else {
		n = widen(st->s_max, s->s_seq, &ok);
		if (!ok || n < st->s_first) {
			st->too_old++;
			return NEP_STAMP_ADD_TOO_OLD;
		}
		if (n > st->s_max) {
			bits_advance(st->dup_bits, st->s_max, n);
			st->s_max = n;
		} else {
			res = NEP_STAMP_ADD_REORDERED;
		}
	}
	if (st->s_max - n < NEP_STAMP_DUP_WINDOW &&
		bits_test_set(st->dup_bits, n)) {
		st->duplicates++;
		return NEP_STAMP_ADD_DUPLICATE;
	}
	if (res == NEP_STAMP_ADD_REORDERED)
		st->reordered++;
	if (st->stateful_reflector)
		track_refl(st, s->r_seq, first);

	v[NEP_STAMP_M_RTT] = nep_stamp_rtt(s);
	v[NEP_STAMP_M_FWD] = (int64_t)(s->t2 - s->t1);
	v[NEP_STAMP_M_BWD] = (int64_t)(s->t4 - s->t3);
	if (st->replies == 0) {
		for (unsigned int m = 0; m < NEP_STAMP_M_COUNT; m++)
			st->min[m] = st->max[m] = v[m];
	} else {
		jitter_update(st, v);
	}
	for (unsigned int m = 0; m < NEP_STAMP_M_COUNT; m++) {
		if (v[m] < st->min[m])
			st->min[m] = v[m];
		if (v[m] > st->max[m])
			st->max[m] = v[m];
		st->sum[m] += v[m];
		st->last[m] = v[m];
	}
	st->replies++;
	st->hist[hist_bucket(v[NEP_STAMP_M_RTT])]++;

	e = &st->win[st->win_head];
	e->t4 = s->t4;
	memcpy(e->v, v, sizeof(v));
	st->win_head = (st->win_head + 1) % st->win_n;
	if (st->win_count < st->win_n)
		st->win_count++;
	return res;
}

void
nep_stamp_stats_loss(const struct nep_stamp_stats *st, uint64_t sent,
	struct nep_stamp_loss *out)
{
	uint64_t r_span;

	memset(out, 0, sizeof(*out));
	if (!st->have) {
		out->expected = sent;
		out->round_trip = sent;
		return;
	}
	out->expected = sent != 0 ? sent : st->s_max - st->s_first + 1;
	out->round_trip =
		out->expected > st->replies ? out->expected - st->replies : 0;
	if (!st->stateful_reflector)
		return;
	out->split = true;
	r_span = st->r_max - st->r_first + 1;
	out->backward = r_span > st->r_unique ? r_span - st->r_unique : 0;
	if (out->backward > out->round_trip)
		out->backward = out->round_trip;
	out->forward = out->round_trip - out->backward;
}

uint64_t
nep_stamp_stats_jitter(
	const struct nep_stamp_stats *st, enum nep_stamp_metric m)
{
	if ((unsigned int)m >= NEP_STAMP_M_COUNT)
		return 0;
	return (st->jitter16[m] + 8) >> 4;
}

static void
sift_down(int64_t *v, uint32_t root, uint32_t n)
{
	for (;;) {
		uint32_t c = 2 * root + 1;
		int64_t t;

		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[root] >= v[c])
			return;
		t = v[root];
		v[root] = v[c];
		v[c] = t;
		root = c;
	}
}

static void
heap_sort(int64_t *v, uint32_t n)
{
	for (uint32_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (uint32_t end = n; end-- > 1;) {
		int64_t t = v[0];

		v[0] = v[end];
		v[end] = t;
		sift_down(v, 0, end);
	}
}

int64_t
nep_stamp_percentile(int64_t *v, uint32_t n, unsigned int p)
{
	/* Nearest rank: ceil(p / 100 * n), 1-based. */
	uint64_t rank = ((uint64_t)p * n + 99) / 100;

	if (n == 0)
		return 0;
	if (rank == 0)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void
nep_stamp_stats_window(struct nep_stamp_stats *st, enum nep_stamp_metric m,
	uint64_t now_ns, struct nep_stamp_summary *out)
{
	uint32_t n = 0;

	memset(out, 0, sizeof(*out));
	if ((unsigned int)m >= NEP_STAMP_M_COUNT)
		return;
	for (uint32_t i = 0; i < st->win_count; i++) {
		const struct nep_stamp_win_entry *e = &st->win[i];

		/* t4 after now (another clock's skew) still counts. */
		if (st->win_ns != 0 && e->t4 < now_ns &&
			now_ns - e->t4 > st->win_ns)
			continue;
		st->scratch[n++] = e->v[m];
	}
	out->n = n;
	if (n == 0)
		return;
	out->valid = m == NEP_STAMP_M_RTT || st->clocks_synced;
	heap_sort(st->scratch, n);
	out->min = st->scratch[0];
	out->max = st->scratch[n - 1];
	out->median = nep_stamp_percentile(st->scratch, n, 50);
	out->p99 = nep_stamp_percentile(st->scratch, n, 99);
}
