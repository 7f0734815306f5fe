/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nep_uplink.h"

#define NFLOWS 10000

static uint64_t flows[NFLOWS];

static void
gen_flows(uint64_t seed)
{
	uint64_t x = seed;
	unsigned int i;

	/* xorshift64*, unrelated to the mix under test */
	for (i = 0; i < NFLOWS; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		flows[i] = x * 2685821657736338717ULL;
	}
}

static void
mkset(struct nep_uplink_set *s, unsigned int n, const uint8_t *ids,
	const uint32_t *w)
{
	unsigned int i;

	nep_uplink_set_init(s);
	for (i = 0; i < n; i++)
		assert_int_equal(nep_uplink_set_add(s, ids[i], w[i]), 0);
}

static void
count(const struct nep_uplink_set *s, unsigned int *cnt)
{
	unsigned int i;
	int id;

	memset(cnt, 0, sizeof(cnt[0]) * NEP_MAX_UPLINKS);
	for (i = 0; i < NFLOWS; i++) {
		id = nep_uplink_pick(s, flows[i]);
		assert_true(id >= 0 && id < NEP_MAX_UPLINKS);
		cnt[id]++;
	}
}

/* Share of uplink id in percent must be want +- 3 points. */
static void
assert_share(const unsigned int *cnt, int id, double want)
{
	double pct = cnt[id] * 100.0 / NFLOWS;

	if (fabs(pct - want) > 3.0)
		fail_msg("uplink %d: %.2f%%, want %.1f%% +- 3", id, pct, want);
}

static void
test_weights_70_30(void **state)
{
	static const uint8_t ids[] = { 0, 1 };
	static const uint32_t w[] = { 7, 3 };
	struct nep_uplink_set s;
	unsigned int cnt[NEP_MAX_UPLINKS], i;

	(void)state;
	mkset(&s, 2, ids, w);
	gen_flows(1);
	count(&s, cnt);
	assert_share(cnt, 0, 70);
	assert_share(cnt, 1, 30);
	assert_int_equal(cnt[0] + cnt[1], NFLOWS);

	/* Weak input (sequential hashes) is mixed just as well. */
	for (i = 0; i < NFLOWS; i++)
		flows[i] = i;
	count(&s, cnt);
	assert_share(cnt, 0, 70);
	assert_share(cnt, 1, 30);
}

static void
test_even_and_uneven(void **state)
{
	static const uint8_t ids[] = { 2, 5, 9 };
	static const uint32_t w1[] = { 1, 1, 1 }, w2[] = { 5, 3, 2 };
	struct nep_uplink_set s;
	unsigned int cnt[NEP_MAX_UPLINKS];

	(void)state;
	gen_flows(2);
	mkset(&s, 3, ids, w1);
	count(&s, cnt);
	assert_share(cnt, 2, 100.0 / 3);
	assert_share(cnt, 5, 100.0 / 3);
	assert_share(cnt, 9, 100.0 / 3);

	mkset(&s, 3, ids, w2);
	count(&s, cnt);
	assert_share(cnt, 2, 50);
	assert_share(cnt, 5, 30);
	assert_share(cnt, 9, 20);
}

static void
test_deterministic_order_independent(void **state)
{
	static const uint8_t a[] = { 0, 1, 2 }, b[] = { 2, 0, 1 };
	static const uint32_t wa[] = { 1, 2, 3 }, wb[] = { 3, 1, 2 };
	struct nep_uplink_set s1, s2;
	unsigned int i;

	(void)state;
	gen_flows(3);
	mkset(&s1, 3, a, wa);
	mkset(&s2, 3, b, wb);
	for (i = 0; i < NFLOWS; i++) {
		int x = nep_uplink_pick(&s1, flows[i]);

		assert_int_equal(x, nep_uplink_pick(&s1, flows[i]));
		assert_int_equal(x, nep_uplink_pick(&s2, flows[i]));
	}
}

static void
test_remove_moves_only_its_flows(void **state)
{
	static const uint8_t ids[] = { 0, 1, 2 }, ids2[] = { 0, 2 };
	static const uint32_t w[] = { 1, 2, 3 }, w2[] = { 1, 3 };
	struct nep_uplink_set s, s2;
	unsigned int i, moved = 0, on1 = 0;

	(void)state;
	gen_flows(4);
	mkset(&s, 3, ids, w);
	mkset(&s2, 2, ids2, w2);
	for (i = 0; i < NFLOWS; i++) {
		int before = nep_uplink_pick(&s, flows[i]);
		int after = nep_uplink_pick(&s2, flows[i]);

		if (before == 1) {
			on1++;
			assert_int_not_equal(after, 1);
		} else {
			assert_int_equal(after, before);
		}
		moved += after != before;
	}
	assert_int_equal(moved, on1);
	assert_true(on1 > 0);
}

static void
test_add_moves_only_to_new(void **state)
{
	static const uint8_t ids[] = { 0, 1 }, ids2[] = { 0, 1, 3 };
	static const uint32_t w[] = { 1, 1 }, w2[] = { 1, 1, 2 };
	struct nep_uplink_set s, s2;
	unsigned int i, moved = 0;

	(void)state;
	gen_flows(5);
	mkset(&s, 2, ids, w);
	mkset(&s2, 3, ids2, w2);
	for (i = 0; i < NFLOWS; i++) {
		int before = nep_uplink_pick(&s, flows[i]);
		int after = nep_uplink_pick(&s2, flows[i]);

		if (after != before) {
			assert_int_equal(after, 3);
			moved++;
		}
	}
	/* The newcomer takes its fair share: 2/4 of all flows. */
	assert_true(fabs(moved * 100.0 / NFLOWS - 50) <= 3);
}

static void
test_weight_zero_and_empty(void **state)
{
	struct nep_uplink_set s;
	unsigned int i;

	(void)state;
	nep_uplink_set_init(&s);
	assert_int_equal(nep_uplink_pick(&s, 12345), -1);
	assert_int_equal(nep_uplink_set_add(&s, 0, 0), -EINVAL);
	assert_int_equal(s.n, 0);
	assert_int_equal(nep_uplink_pick(&s, 12345), -1);
	assert_int_equal(nep_uplink_set_add(&s, 1, 1), 0);
	assert_int_equal(nep_uplink_set_add(&s, 1, 5), -EINVAL); /* dup */
	for (i = 2; i < NEP_MAX_UPLINKS + 1; i++)
		assert_int_equal(nep_uplink_set_add(&s, (uint8_t)i, 1), 0);
	assert_int_equal(nep_uplink_set_add(&s, 99, 1), -ENOSPC);

	/* A hand-built member with weight 0 is never chosen. */
	nep_uplink_set_init(&s);
	s.n = 2;
	s.id[0] = 4;
	s.weight[0] = 0;
	s.id[1] = 7;
	s.weight[1] = 1;
	s.inv_w[1] = 1;
	gen_flows(6);
	for (i = 0; i < NFLOWS; i++)
		assert_int_equal(nep_uplink_pick(&s, flows[i]), 7);
	s.n = 1;
	assert_int_equal(nep_uplink_pick(&s, 1), -1);
}

static void
test_single(void **state)
{
	struct nep_uplink_set s;

	(void)state;
	nep_uplink_set_init(&s);
	assert_int_equal(nep_uplink_set_add(&s, 3, 10), 0);
	assert_int_equal(nep_uplink_pick(&s, 0), 3);
	assert_int_equal(nep_uplink_pick(&s, UINT64_MAX), 3);
}

static void
test_fast_ln(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	double max_rel = 0;
	unsigned int i;

	(void)state;
	for (i = 0; i < 1000000; i++) {
		uint64_t h;
		double u, want, got, rel;

		x = nep_mix64(x + i);
		/* Also cover u very close to 0 and to 1. */
		h = i % 3 == 0 ? x >> (i % 64) :
			i % 3 == 1 ? ~(x >> (i % 64)) : x;
		u = ((double)(h >> 12) + 0.5) / 4503599627370496.0;
		want = -log(u);
		got = nep_uplink_neg_ln_u(h);
		rel = fabs(got - want) / want;
		if (rel > max_rel)
			max_rel = rel;
	}
	assert_true(max_rel < 1e-10);
	assert_true(nep_uplink_neg_ln_u(0) > 36);
	/* u never reaches 1: no flow gets a free zero score. */
	assert_true(nep_uplink_neg_ln_u(UINT64_MAX) > 0);
}

static struct nep_uplink_view
v(uint8_t id, enum nep_uplink_role role, uint32_t w, bool healthy,
	bool admin_up)
{
	struct nep_uplink_view x = {
		.id = id, .role = role, .weight = w,
		.healthy = healthy, .admin_up = admin_up,
	};

	return x;
}

static void
test_pool_rules(void **state)
{
	struct nep_uplink_view u[4];
	struct nep_uplink_set s;

	(void)state;
	u[0] = v(0, NEP_UPLINK_PRIMARY, 7, true, true);
	u[1] = v(1, NEP_UPLINK_PRIMARY, 3, true, true);
	u[2] = v(2, NEP_UPLINK_BACKUP, 1, true, true);
	u[3] = v(3, NEP_UPLINK_EXCLUDED, 5, true, true);

	/* Healthy primaries only, in config order, weights kept. */
	assert_int_equal(nep_uplink_pool_build(u, 4, &s), 2);
	assert_int_equal(s.id[0], 0);
	assert_int_equal(s.id[1], 1);
	assert_int_equal(s.weight[0], 7);
	assert_int_equal(s.weight[1], 3);

	/* F1: one primary down. */
	u[0].healthy = false;
	assert_int_equal(nep_uplink_pool_build(u, 4, &s), 1);
	assert_int_equal(s.id[0], 1);

	/* Admin-down or weight 0 primaries do not count either. */
	u[1].admin_up = false;
	u[0].healthy = true;
	u[0].weight = 0;
	/* F3: no usable primary -> backups. */
	assert_int_equal(nep_uplink_pool_build(u, 4, &s), 1);
	assert_int_equal(s.id[0], 2);

	/* No backup either: empty; excluded never joins. */
	u[2].healthy = false;
	assert_int_equal(nep_uplink_pool_build(u, 4, &s), 0);
	assert_int_equal(nep_uplink_pick(&s, 42), -1);

	/* R3: primaries recover, the backup leaves the pool. */
	u[0].weight = 7;
	u[1].admin_up = true;
	u[2].healthy = true;
	assert_int_equal(nep_uplink_pool_build(u, 4, &s), 2);
	assert_int_equal(s.id[0], 0);
	assert_int_equal(s.id[1], 1);

	/* Usable for strict/preferred policies: excluded counts there. */
	assert_true(nep_uplink_usable(&u[3]));
	u[3].weight = 0;
	assert_false(nep_uplink_usable(&u[3]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weights_70_30),
		cmocka_unit_test(test_even_and_uneven),
		cmocka_unit_test(test_deterministic_order_independent),
		cmocka_unit_test(test_remove_moves_only_its_flows),
		cmocka_unit_test(test_add_moves_only_to_new),
		cmocka_unit_test(test_weight_zero_and_empty),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_fast_ln),
		cmocka_unit_test(test_pool_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
