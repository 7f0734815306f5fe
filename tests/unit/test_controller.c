/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neptune-controller's pure parts: the seed's score (the worked example
 * of docs/controller.md), the anti-flap decision, the address pools,
 * request signing and the nonce cache, and the YAML errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "nctl.h"

static struct nctl_algo
algo(void)
{
	struct nctl_config c;

	nctl_config_defaults(&c);
	return c.algo;
}

/* docs/controller.md, "Scoring": the seed's example server. */
static void
test_score_worked_example(void **state)
{
	struct nctl_algo a = algo();
	struct nctl_metrics m = { 25.5, 45.2, 150.3, 5 };

	(void)state;
	/* 0.30 x 0.745 + 0.20 x 0.548 + 0.30 x 0.8497 + 0.20 x 0.95 */
	assert_true(fabs(nctl_score(&a, &m) - 0.77801) < 1e-9);
	/* saturation: above the maxima counts as no headroom */
	m = (struct nctl_metrics){ 100, 100, 5000, 1000 };
	assert_true(fabs(nctl_score(&a, &m)) < 1e-12);
	m = (struct nctl_metrics){ 0, 0, 0, 0 };
	assert_true(fabs(nctl_score(&a, &m) - 1.0) < 1e-12);
	/* configurable maxima and weights */
	a.max_bandwidth_mbps = 100;
	m = (struct nctl_metrics){ 0, 0, 50, 0 };
	assert_true(fabs(nctl_score(&a, &m) - (1 - 0.15)) < 1e-12);
	a.w = (struct nctl_weights){ 1, 0, 0, 0 };
	m = (struct nctl_metrics){ 40, 90, 90, 90 };
	assert_true(fabs(nctl_score(&a, &m) - 0.6) < 1e-12);
}

static void
test_active(void **state)
{
	struct nctl_algo a = algo();

	(void)state;
	assert_true(nctl_server_active(&a, 100, 130));	/* 3 x 10 s */
	assert_false(nctl_server_active(&a, 100, 130.5));
}

static void
test_decide_antiflap(void **state)
{
	struct nctl_algo a = algo();
	struct nctl_decision d = { -1, 0 };
	double score[2] = { 0.70, 0.60 };
	bool active[2] = { true, true }, ch;

	(void)state;
	/* first decision: the best, at once */
	assert_int_equal(nctl_decide(&a, score, active, 2, &d, 1000, &ch), 0);
	assert_true(ch);
	assert_true(d.since == 1000);
	/* the other gets better by more than the threshold: held 30 s */
	score[1] = 0.80;
	assert_int_equal(nctl_decide(&a, score, active, 2, &d, 1029.9, &ch), 0);
	assert_false(ch);
	assert_int_equal(nctl_decide(&a, score, active, 2, &d, 1030, &ch), 1);
	assert_true(ch);
	assert_true(d.since == 1030);
	/* a win below the threshold never moves it, however old */
	score[0] = 0.84;
	assert_int_equal(nctl_decide(&a, score, active, 2, &d, 5000, &ch), 1);
	assert_false(ch);
	/* exactly the threshold moves it */
	score[0] = 0.85;
	assert_int_equal(nctl_decide(&a, score, active, 2, &d, 5000, &ch), 0);
	assert_true(ch);
	/* the current one inactive: the other at once, no hold */
	active[0] = false;
	score[1] = 0.1;
	assert_int_equal(nctl_decide(&a, score, active, 2, &d, 5001, &ch), 1);
	assert_true(ch);
	/* none active */
	active[1] = false;
	assert_int_equal(nctl_decide(&a, score, active, 2, &d, 5002, &ch), -1);
	assert_false(ch);
	assert_int_equal(d.server, 1);
	/* a hold of 0 moves on the threshold alone */
	a.anti_flap_hold_s = 0;
	active[0] = active[1] = true;
	score[0] = 0.9;
	score[1] = 0.5;
	assert_int_equal(nctl_decide(&a, score, active, 2, &d, 5002, &ch), 0);
	/* ties: the lowest index */
	d.server = -1;
	score[0] = score[1] = 0.5;
	assert_int_equal(nctl_decide(&a, score, active, 2, &d, 5003, &ch), 0);
}

static void
pool_conf(struct nctl_pool_conf *c, int fam, const char *base, uint32_t s,
	uint32_t e)
{
	memset(c, 0, sizeof(*c));
	c->family = fam;
	assert_int_equal(inet_pton(fam, base, c->base), 1);
	c->start = s;
	c->end = e;
}

static void
test_pool_alloc(void **state)
{
	struct nctl_pool_conf c;
	struct nctl_pool p;
	char buf[64];
	bool seen[300] = { false };

	(void)state;
	pool_conf(&c, AF_INET, "192.0.2.0", 1, 254);
	assert_int_equal(nctl_pool_init(&p, &c), 0);
	for (int i = 0; i < 254; i++) {
		int64_t k = nctl_pool_alloc(&p);

		assert_true(k >= 1 && k <= 254);
		assert_false(seen[k]);		/* never twice */
		seen[k] = true;
	}
	/* exhaustion */
	assert_int_equal(nctl_pool_alloc(&p), -ENOSPC);
	assert_string_equal(nctl_pool_addr(&c, 1, buf, sizeof(buf)),
		"192.0.2.1");
	assert_string_equal(nctl_pool_addr(&c, 254, buf, sizeof(buf)),
		"192.0.2.254");
	/* release, then the same index again; releasing twice fails */
	assert_int_equal(nctl_pool_release(&p, 77), 0);
	assert_int_equal(nctl_pool_release(&p, 77), -ENOENT);
	assert_int_equal(nctl_pool_release(&p, 255), -ERANGE);
	assert_int_equal(nctl_pool_alloc(&p), 77);
	assert_int_equal(nctl_pool_alloc(&p), -ENOSPC);
	nctl_pool_fini(&p);

	/* restore from the database: taken indexes are never allocated */
	assert_int_equal(nctl_pool_init(&p, &c), 0);
	assert_int_equal(nctl_pool_take(&p, 1), 0);
	assert_int_equal(nctl_pool_take(&p, 1), -EEXIST);
	assert_int_equal(nctl_pool_take(&p, 0), -ERANGE);
	assert_int_equal(nctl_pool_take(&p, 3), 0);
	assert_int_equal(nctl_pool_alloc(&p), 2);
	assert_int_equal(nctl_pool_alloc(&p), 4);
	assert_int_equal(p.used, 4);
	nctl_pool_fini(&p);
}

static void
test_pool_v6_and_bounds(void **state)
{
	struct nctl_pool_conf c;
	struct nctl_pool p;
	char buf[64];

	(void)state;
	pool_conf(&c, AF_INET6, "2001:db8:100::", 1, 65535);
	assert_int_equal(nctl_pool_init(&p, &c), 0);
	assert_string_equal(nctl_pool_addr(&c, 0xffff, buf, sizeof(buf)),
		"2001:db8:100::ffff");
	assert_string_equal(nctl_pool_addr(&c, 0x10000, buf, sizeof(buf)),
		"2001:db8:100::1:0");
	for (int i = 0; i < 65535; i++)
		assert_true(nctl_pool_alloc(&p) >= 1);
	assert_int_equal(nctl_pool_alloc(&p), -ENOSPC);
	nctl_pool_fini(&p);
	/* not a multiple of 64: the last word's spare bits stay unused */
	pool_conf(&c, AF_INET, "198.51.100.0", 10, 79);
	assert_int_equal(nctl_pool_init(&p, &c), 0);
	for (int i = 0; i < 70; i++) {
		int64_t k = nctl_pool_alloc(&p);

		assert_true(k >= 10 && k <= 79);
	}
	assert_int_equal(nctl_pool_alloc(&p), -ENOSPC);
	nctl_pool_fini(&p);
	/* bad ranges */
	pool_conf(&c, AF_INET, "255.255.255.0", 1, 300);
	assert_int_equal(nctl_pool_conf_check(&c), -EINVAL);
	pool_conf(&c, AF_INET, "192.0.2.0", 9, 8);
	assert_int_equal(nctl_pool_conf_check(&c), -EINVAL);
	pool_conf(&c, AF_INET6, "2001:db8::ffff:ffff:ffff:ff00", 1, 0x1000);
	assert_int_equal(nctl_pool_conf_check(&c), -EINVAL);
}

static void
test_sign(void **state)
{
	const char *k = "0123456789abcdef0123456789abcdef";
	char sig[NCTL_SIG_HEX];

	(void)state;
	/* vectors from Python's hmac module (independent of OpenSSL) */
	assert_int_equal(nctl_sign(k, strlen(k), "POST", "/metrics",
				 "1700000000", "nonce-0123456789ab", "{\"a\":1}",
				 7, sig),
		0);
	assert_string_equal(sig, "9da980576404022a03c2d7b28a0993e9dc133bf0"
				 "10b6d226bb0d024778218323");
	assert_int_equal(nctl_sign("kkkkkkkkkkkkkkkk", 16, "GET",
				 "/decision/ep1", "1.5", "abcdefghijklmnop",
				 NULL, 0, sig),
		0);
	assert_string_equal(sig, "3c68786fc55780de6d3e82f4bde447d9f7a307c8"
				 "5e24b784e952556c766cb32a");
	assert_true(nctl_sig_ok("kkkkkkkkkkkkkkkk", 16, "GET", "/decision/ep1",
		"1.5", "abcdefghijklmnop", NULL, 0, sig));
	/* upper-case hex verifies too */
	assert_true(nctl_sig_ok("kkkkkkkkkkkkkkkk", 16, "GET", "/decision/ep1",
		"1.5", "abcdefghijklmnop", NULL, 0,
		"3C68786FC55780DE6D3E82F4BDE447D9F7A307C85E24B784E952556C766CB32A"));
	/* every part is covered */
	assert_false(nctl_sig_ok("kkkkkkkkkkkkkkkj", 16, "GET", "/decision/ep1",
		"1.5", "abcdefghijklmnop", NULL, 0, sig));
	assert_false(nctl_sig_ok("kkkkkkkkkkkkkkkk", 16, "POST",
		"/decision/ep1", "1.5", "abcdefghijklmnop", NULL, 0, sig));
	assert_false(nctl_sig_ok("kkkkkkkkkkkkkkkk", 16, "GET",
		"/decision/ep2", "1.5", "abcdefghijklmnop", NULL, 0, sig));
	assert_false(nctl_sig_ok("kkkkkkkkkkkkkkkk", 16, "GET", "/decision/ep1",
		"1.6", "abcdefghijklmnop", NULL, 0, sig));
	assert_false(nctl_sig_ok("kkkkkkkkkkkkkkkk", 16, "GET", "/decision/ep1",
		"1.5", "abcdefghijklmnoq", NULL, 0, sig));
	assert_false(nctl_sig_ok("kkkkkkkkkkkkkkkk", 16, "GET", "/decision/ep1",
		"1.5", "abcdefghijklmnop", "x", 1, sig));
	/* truncated or over-long signatures */
	sig[63] = '\0';
	assert_false(nctl_sig_ok("kkkkkkkkkkkkkkkk", 16, "GET", "/decision/ep1",
		"1.5", "abcdefghijklmnop", NULL, 0, sig));
	assert_true(nctl_str_eq_ct("abc", "abc"));
	assert_false(nctl_str_eq_ct("abc", "abd"));
	assert_false(nctl_str_eq_ct("abc", "abcd"));
	assert_false(nctl_str_eq_ct("", ""));
	assert_true(nctl_nonce_valid("0123456789abcdef"));
	assert_false(nctl_nonce_valid("0123456789abcde"));
	assert_false(nctl_nonce_valid("0123456789abcde!"));
}

static void
test_nonces(void **state)
{
	struct nctl_nonces *c = nctl_nonces_new(4, 10);
	char n[32];

	(void)state;
	assert_non_null(c);
	assert_int_equal(nctl_nonces_check(c, "a", "nonce-00000000001", 100), 0);
	assert_int_equal(nctl_nonces_check(c, "a", "nonce-00000000001", 101),
		-EEXIST);
	/* another id may use the same nonce */
	assert_int_equal(nctl_nonces_check(c, "b", "nonce-00000000001", 101), 0);
	for (int i = 2; i <= 3; i++) {
		snprintf(n, sizeof(n), "nonce-%011d", i);
		assert_int_equal(nctl_nonces_check(c, "a", n, 102), 0);
	}
	/* full of live entries: refused, not forgotten */
	assert_int_equal(nctl_nonces_check(c, "a", "nonce-00000000009", 103),
		-ENOSPC);
	assert_int_equal(nctl_nonces_check(c, "a", "nonce-00000000001", 119),
		-EEXIST);
	/* 2 x window later the first ones expire */
	assert_int_equal(nctl_nonces_check(c, "a", "nonce-00000000001", 120), 0);
	assert_int_equal(nctl_nonces_count(c), 4);
	nctl_nonces_free(c);
}

static void
bad_config(const char *yaml, const char *want)
{
	struct nctl_config c;
	char err[600];

	assert_int_equal(nctl_config_load_string("c.yaml", yaml, &c, err,
				 sizeof(err)),
		-1);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void
test_config(void **state)
{
	struct nctl_config c;
	char err[600];

	(void)state;
	assert_int_equal(nctl_config_load_string("c.yaml",
				 "controller:\n"
				 "  bind_port: 9000\n"
				 "  durability: normal\n"
				 "algorithm:\n"
				 "  weights: {cpu: 0.5, memory: 0.5, "
				 "bandwidth: 0, connections: 0}\n"
				 "  anti_flap_hold_time: 5\n"
				 "ip_allocation:\n"
				 "  tun_ipv4_pool: {base: 192.0.2.0, start: 1,"
				 " end: 254}\n"
				 "security:\n"
				 "  admin_token: aaaaaaaaaaaaaaaaaaaa\n"
				 "  devices:\n"
				 "    - {device_id: hub1, psk: "
				 "bbbbbbbbbbbbbbbbbbbb}\n",
				 &c, err, sizeof(err)),
		0);
	assert_int_equal(c.port, 9000);
	assert_false(c.sync_full);
	assert_true(c.algo.w.cpu == 0.5 && c.algo.w.bandwidth == 0);
	assert_true(c.algo.anti_flap_hold_s == 5);
	assert_true(c.algo.anti_flap_threshold == 0.05);
	assert_int_equal(c.pool4.end, 254);
	assert_string_equal(c.listen, "127.0.0.1");	/* loopback default */
	assert_int_equal(c.n_psk_devices, 1);
	assert_string_equal(c.psk_devices[0].id, "hub1");

	bad_config("controller:\n  bind_port: x\n",
		"c.yaml:2:14: controller.bind_port: expected an integer");
	bad_config("algorithm:\n  weights:\n    cpu: heavy\n",
		"c.yaml:3:10: algorithm.weights.cpu: expected a number");
	bad_config("algorithm:\n  anti_flap_threshold: 2\n",
		"c.yaml:2:24: algorithm.anti_flap_threshold: out of range");
	bad_config("ports: []\n", "c.yaml:1:1: ports: unknown key");
	bad_config("security:\n  admin_token: short\n",
		"c.yaml:2:16: security.admin_token: too short");
	bad_config("security:\n  auth: true\n",
		"security.admin_token: missing");
	bad_config("ip_allocation:\n  tun_ipv4_pool: {base: \"2001:db8::\", "
		   "end: 3}\n",
		"c.yaml:2:25: ip_allocation.tun_ipv4_pool.base: expected an "
		"IPv4 address");
	bad_config("ip_allocation:\n  tun_ipv4_pool: {base: 192.0.2.0, "
		   "start: 5, end: 4}\n",
		"ip_allocation.tun_ipv4_pool.end: bad range");
	bad_config("controller:\n  bind_address: localhost\n",
		"c.yaml:2:17: controller.bind_address:");
	bad_config("", "c.yaml:1:1: (root): empty file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_score_worked_example),
		cmocka_unit_test(test_active),
		cmocka_unit_test(test_decide_antiflap),
		cmocka_unit_test(test_pool_alloc),
		cmocka_unit_test(test_pool_v6_and_bounds),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_nonces),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
