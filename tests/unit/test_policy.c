/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy classifier tests under a minimal EAL: rte_acl contexts built from
 * a steering configuration assembled in code, fed nep_acl_in inputs the way
 * the worker builds them (steer_acl_input: network-order addresses/ports).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>

#include "nep_pkt.h"
#include "nep_policy.h"
#include "nep_test_eal.h"

static unsigned generation = 1;

/* ---- configuration ---- */

static struct nep_policy_conf *
add_policy(struct nep_steering_conf *st, const char *dst, const char *src)
{
	struct nep_policy_conf *pc;

	st->policies = realloc(st->policies,
		(st->n_policies + 1) * sizeof(*st->policies));
	assert_non_null(st->policies);
	pc = &st->policies[st->n_policies];
	memset(pc, 0, sizeof(*pc));
	snprintf(pc->name, sizeof(pc->name), "policy%u", st->n_policies);
	st->n_policies++;
	pc->proto = -1;
	pc->dscp = -1;
	pc->sport_lo = 0;
	pc->sport_hi = 65535;
	pc->dport_lo = 0;
	pc->dport_hi = 65535;
	pc->mode = NEP_MODE_BALANCED;
	pc->uplink = -1;
	if (dst != NULL) {
		pc->has_dst = true;
		assert_int_equal(nep_prefix_parse(dst, &pc->dst), 0);
	}
	if (src != NULL) {
		pc->has_src = true;
		assert_int_equal(nep_prefix_parse(src, &pc->src), 0);
	}
	return pc;
}

static void
add_excluded(struct nep_steering_conf *st, const char *p)
{
	assert_int_equal(nep_prefix_parse(p, &st->excluded[st->n_excluded]),
		0);
	st->n_excluded++;
}

static void
build(struct nep_classifier *c, const struct nep_steering_conf *st)
{
	char err[256];

	if (nep_classifier_build(c, st, generation++, err, sizeof(err)) != 0)
		fail_msg("classifier build: %s", err);
}

/* ---- inputs, as steer_acl_input builds them ---- */

struct pkt {
	uint8_t family;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;	/* host order here */
	uint8_t dscp;
};

static void
mk_in(const struct pkt *p, struct nep_acl_in *in)
{
	memset(in, 0, sizeof(*in));
	in->proto = p->proto;
	in->dscp = p->dscp;
	assert_int_equal(inet_pton(p->family == 6 ? AF_INET6 : AF_INET,
				 p->src, in->src), 1);
	assert_int_equal(inet_pton(p->family == 6 ? AF_INET6 : AF_INET,
				 p->dst, in->dst), 1);
	in->sport = htons(p->sport);
	in->dport = htons(p->dport);
}

static uint32_t
classify(const struct nep_classifier *c, const struct pkt *p)
{
	struct nep_acl_in in;
	const uint8_t *inp = (const uint8_t *)&in;
	uint32_t res = 0xdeadbeef;

	mk_in(p, &in);
	nep_classify(c, p->family, &inp, &res, 1);
	return res;
}

static uint32_t
cls6(const struct nep_classifier *c, const char *src, const char *dst,
	uint8_t proto, uint16_t sport, uint16_t dport, uint8_t dscp)
{
	struct pkt p = { 6, src, dst, proto, sport, dport, dscp };

	return classify(c, &p);
}

static uint32_t
cls4(const struct nep_classifier *c, const char *src, const char *dst,
	uint8_t proto, uint16_t sport, uint16_t dport, uint8_t dscp)
{
	struct pkt p = { 4, src, dst, proto, sport, dport, dscp };

	return classify(c, &p);
}

#define LAN6 "fd00:1::10"
#define LAN4 "192.168.1.10"

/*
 * The reference set:
 *   0  dst 2001:db8:a::/48, strict on uplink 1
 *   1  src fd00:1:0:2::/64
 *   2  TCP, destination ports 443-444
 *   3  DSCP 46
 *   4  dst 198.51.100.0/24 (IPv4)
 *   5  dst 2001:db8:a:1::/64 (shadowed by 0)
 *   6  UDP, source ports 1000-2000, destination port 53
 * excluded: 2001:db8:e::/48, 2001:db8:a:ee::/64, 192.0.2.0/24
 */
static void
reference_conf(struct nep_steering_conf *st)
{
	struct nep_policy_conf *pc;

	memset(st, 0, sizeof(*st));
	pc = add_policy(st, "2001:db8:a::/48", NULL);
	pc->mode = NEP_MODE_STRICT;
	pc->uplink = 1;
	add_policy(st, NULL, "fd00:1:0:2::/64");
	pc = add_policy(st, NULL, NULL);
	pc->proto = NEP_PROTO_TCP;
	pc->dport_lo = 443;
	pc->dport_hi = 444;
	pc = add_policy(st, NULL, NULL);
	pc->dscp = 46;
	add_policy(st, "198.51.100.0/24", NULL);
	add_policy(st, "2001:db8:a:1::/64", NULL);
	pc = add_policy(st, NULL, NULL);
	pc->proto = NEP_PROTO_UDP;
	pc->sport_lo = 1000;
	pc->sport_hi = 2000;
	pc->dport_lo = 53;
	pc->dport_hi = 53;
	add_excluded(st, "2001:db8:e::/48");
	add_excluded(st, "2001:db8:a:ee::/64");
	add_excluded(st, "192.0.2.0/24");
}

/* ---- tests ---- */

static void
test_layout(void **state)
{
	(void)state;
	/* rte_acl: first field one byte, then 4-byte input groups */
	assert_int_equal(offsetof(struct nep_acl_in, proto), 0);
	assert_int_equal(offsetof(struct nep_acl_in, dscp), 4);
	assert_int_equal(offsetof(struct nep_acl_in, src), 8);
	assert_int_equal(offsetof(struct nep_acl_in, dst), 24);
	assert_int_equal(offsetof(struct nep_acl_in, sport), 40);
	assert_int_equal(offsetof(struct nep_acl_in, dport), 42);
}

static void
test_reference(void **state)
{
	struct nep_steering_conf st;
	struct nep_classifier c;
	const uint8_t T = NEP_PROTO_TCP, U = NEP_PROTO_UDP;

	(void)state;
	reference_conf(&st);
	build(&c, &st);
	assert_non_null(c.acl6);
	assert_non_null(c.acl4);
	/* v6: excluded 2 + policies 0,1,2,3,5,6; v4: excluded 1 + 2,3,4,6 */
	assert_int_equal(c.n_rules6, 8);
	assert_int_equal(c.n_rules4, 5);

	/* dst prefix (policy 0), including its edges */
	assert_int_equal(cls6(&c, LAN6, "2001:db8:a::1", U, 1, 2, 0), 1);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:a:ffff:ffff:ffff:ffff:ffff",
				 U, 1, 2, 0), 1);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:b::1", U, 1, 2, 0),
		NEP_POLICY_NONE);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:9:ffff::1", U, 1, 2, 0),
		NEP_POLICY_NONE);
	/* first match wins: policy 5's /64 lies inside policy 0's /48 */
	assert_int_equal(cls6(&c, LAN6, "2001:db8:a:1::5", U, 1, 2, 0), 1);
	/* ... and policy 0 beats the later TCP/443 and DSCP rules */
	assert_int_equal(cls6(&c, LAN6, "2001:db8:a::1", T, 1, 443, 46), 1);

	/* src prefix (policy 1) */
	assert_int_equal(cls6(&c, "fd00:1:0:2::99", "2a00::1", U, 1, 2, 0), 2);
	assert_int_equal(cls6(&c, "fd00:1:0:3::99", "2a00::1", U, 1, 2, 0),
		NEP_POLICY_NONE);
	/* src policy 1 comes before the TCP/443 policy 2 */
	assert_int_equal(cls6(&c, "fd00:1:0:2::99", "2a00::1", T, 1, 443, 0),
		2);

	/* protocol + destination port range (policy 2), edges */
	assert_int_equal(cls6(&c, LAN6, "2a00::1", T, 40000, 443, 0), 3);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", T, 40000, 444, 0), 3);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", T, 40000, 442, 0),
		NEP_POLICY_NONE);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", T, 40000, 445, 0),
		NEP_POLICY_NONE);
	/* the port is in network order: 443 byte-swapped is 47873 */
	assert_int_equal(cls6(&c, LAN6, "2a00::1", T, 40000, 47873, 0),
		NEP_POLICY_NONE);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 40000, 443, 0),
		NEP_POLICY_NONE);

	/* DSCP (policy 3); TCP/443 (policy 2) wins when both match */
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 1, 2, 46), 4);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 1, 2, 45), NEP_POLICY_NONE);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 1, 2, 47), NEP_POLICY_NONE);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 1, 2, 0), NEP_POLICY_NONE);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", T, 1, 443, 46), 3);

	/* source and destination port ranges together (policy 6) */
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 1000, 53, 0), 7);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 2000, 53, 0), 7);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 999, 53, 0),
		NEP_POLICY_NONE);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 2001, 53, 0),
		NEP_POLICY_NONE);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", U, 1500, 54, 0),
		NEP_POLICY_NONE);

	/* excluded beats everything, even policy 0 and the port rules */
	assert_int_equal(cls6(&c, LAN6, "2001:db8:a:ee::1", U, 1, 2, 0),
		NEP_POLICY_EXCLUDED);
	assert_int_equal(cls6(&c, "fd00:1:0:2::99", "2001:db8:e::1", T, 1, 443,
				 46), NEP_POLICY_EXCLUDED);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:e:ffff::1", U, 1000, 53, 0),
		NEP_POLICY_EXCLUDED);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:f::1", U, 1, 2, 0),
		NEP_POLICY_NONE);

	/* IPv4 */
	assert_int_equal(cls4(&c, LAN4, "198.51.100.9", U, 1, 2, 0), 5);
	assert_int_equal(cls4(&c, LAN4, "198.51.100.255", U, 1, 2, 0), 5);
	assert_int_equal(cls4(&c, LAN4, "198.51.101.1", U, 1, 2, 0),
		NEP_POLICY_NONE);
	assert_int_equal(cls4(&c, LAN4, "192.0.2.5", T, 1, 443, 46),
		NEP_POLICY_EXCLUDED);
	/* family-less policies apply to IPv4 too */
	assert_int_equal(cls4(&c, LAN4, "8.8.8.8", T, 1, 443, 0), 3);
	assert_int_equal(cls4(&c, LAN4, "8.8.8.8", U, 1, 2, 46), 4);
	assert_int_equal(cls4(&c, LAN4, "8.8.8.8", U, 1500, 53, 0), 7);
	assert_int_equal(cls4(&c, LAN4, "198.51.100.9", T, 1, 443, 0), 3);

	/* families are separate: same leading bytes, other family */
	assert_int_equal(cls6(&c, LAN6, "c633:6409::1", U, 1, 2, 0),
		NEP_POLICY_NONE);	/* 198.51.100.9 as IPv6 bytes */
	assert_int_equal(cls4(&c, LAN4, "32.1.13.184", U, 1, 2, 0),
		NEP_POLICY_NONE);	/* 2001:0db8 as IPv4 */
	assert_int_equal(cls6(&c, LAN6, "c000:205::", U, 1, 2, 0),
		NEP_POLICY_NONE);	/* 192.0.2.5 */

	nep_classifier_free(&c);
	assert_null(c.acl6);
	assert_null(c.acl4);
	free(st.policies);
}

static void
test_bulk(void **state)
{
	struct nep_steering_conf st;
	struct nep_classifier c;
	static const struct pkt pk[] = {
		{ 6, LAN6, "2001:db8:a::1", 17, 1, 2, 0 },
		{ 6, LAN6, "2a00::1", 6, 1, 443, 0 },
		{ 6, LAN6, "2a00::1", 17, 1, 2, 46 },
		{ 6, LAN6, "2001:db8:e::1", 6, 1, 443, 0 },
		{ 6, LAN6, "2a00::1", 17, 1, 2, 0 },
		{ 6, "fd00:1:0:2::1", "2a00::1", 17, 1, 2, 0 },
	};
	static const uint32_t want[] = { 1, 3, 4, NEP_POLICY_EXCLUDED,
		NEP_POLICY_NONE, 2 };
	struct nep_acl_in in[6];
	const uint8_t *inp[6];
	uint32_t res[6];

	(void)state;
	reference_conf(&st);
	build(&c, &st);
	for (unsigned i = 0; i < 6; i++) {
		mk_in(&pk[i], &in[i]);
		inp[i] = (const uint8_t *)&in[i];
	}
	nep_classify(&c, 6, inp, res, 6);
	for (unsigned i = 0; i < 6; i++)
		if (res[i] != want[i])
			fail_msg("input %u: %u, want %u", i, res[i], want[i]);
	nep_classifier_free(&c);
	free(st.policies);
}

static void
test_empty_and_one_family(void **state)
{
	struct nep_steering_conf st;
	struct nep_classifier c;

	(void)state;
	memset(&st, 0, sizeof(st));
	build(&c, &st);
	assert_null(c.acl6);
	assert_null(c.acl4);
	assert_int_equal(c.n_rules6 + c.n_rules4, 0);
	assert_int_equal(cls6(&c, LAN6, "2a00::1", 6, 1, 443, 46),
		NEP_POLICY_NONE);
	assert_int_equal(cls4(&c, LAN4, "8.8.8.8", 6, 1, 443, 46),
		NEP_POLICY_NONE);
	nep_classifier_free(&c);

	/* IPv6 rules only: IPv4 classifies to none */
	add_policy(&st, "2001:db8:a::/48", NULL);
	add_excluded(&st, "2001:db8:e::/48");
	build(&c, &st);
	assert_non_null(c.acl6);
	assert_null(c.acl4);
	assert_int_equal(c.n_rules6, 2);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:a::1", 6, 1, 443, 0), 1);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:e::1", 6, 1, 443, 0),
		NEP_POLICY_EXCLUDED);
	assert_int_equal(cls4(&c, LAN4, "32.1.13.184", 6, 1, 443, 0),
		NEP_POLICY_NONE);
	nep_classifier_free(&c);

	/* excluded prefixes alone */
	st.n_policies = 0;
	build(&c, &st);
	assert_non_null(c.acl6);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:e::1", 6, 1, 443, 0),
		NEP_POLICY_EXCLUDED);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:a::1", 6, 1, 443, 0),
		NEP_POLICY_NONE);
	nep_classifier_free(&c);
	free(st.policies);
}

/* Policy i: dst 2001:db8:0:<i>::/64. Every rule wins for its own /64. */
static void
test_1000_rules(void **state)
{
	struct nep_steering_conf st;
	struct nep_classifier c;
	char p[64], a[64];
	unsigned i;

	(void)state;
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 1000; i++) {
		snprintf(p, sizeof(p), "2001:db8:0:%x::/64", i);
		add_policy(&st, p, NULL);
	}
	/* a catch-all at the end: loses to every specific rule */
	add_policy(&st, "2001:db8::/32", NULL);
	add_excluded(&st, "2001:db8:0:3e7:8000::/65");	/* half of rule 999 */
	build(&c, &st);
	assert_int_equal(c.n_rules6, 1002);
	for (i = 0; i < 1000; i++) {
		snprintf(a, sizeof(a), "2001:db8:0:%x::%x", i, i + 1);
		assert_int_equal(cls6(&c, LAN6, a, 17, 1, 2, 0), i + 1);
	}
	assert_int_equal(cls6(&c, LAN6, "2001:db8:0:3e7:7fff:ffff:ffff:ffff",
				 6, 1, 2, 0), 1000);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:0:3e7:8000::1", 6, 1, 2, 0),
		NEP_POLICY_EXCLUDED);
	assert_int_equal(cls6(&c, LAN6, "2001:db8:0:3e8::1", 6, 1, 2, 0),
		1001);
	assert_int_equal(cls6(&c, LAN6, "2001:db9::1", 6, 1, 2, 0),
		NEP_POLICY_NONE);
	nep_classifier_free(&c);
	free(st.policies);
}

/* Rebuilding (a reload) gives an independent classifier. */
static void
test_rebuild(void **state)
{
	struct nep_steering_conf st;
	struct nep_classifier c1, c2;

	(void)state;
	memset(&st, 0, sizeof(st));
	add_policy(&st, "2001:db8:a::/48", NULL);
	build(&c1, &st);
	st.policies[0].dst.addr.a[5] = 0xb;	/* now 2001:db8:b::/48 */
	build(&c2, &st);
	assert_int_equal(cls6(&c1, LAN6, "2001:db8:a::1", 6, 1, 2, 0), 1);
	assert_int_equal(cls6(&c1, LAN6, "2001:db8:b::1", 6, 1, 2, 0), 0);
	assert_int_equal(cls6(&c2, LAN6, "2001:db8:a::1", 6, 1, 2, 0), 0);
	assert_int_equal(cls6(&c2, LAN6, "2001:db8:b::1", 6, 1, 2, 0), 1);
	nep_classifier_free(&c1);
	assert_int_equal(cls6(&c2, LAN6, "2001:db8:b::1", 6, 1, 2, 0), 1);
	nep_classifier_free(&c2);
	free(st.policies);
}

/* ---- EAL ---- */

static int
eal_setup(void **state)
{
	(void)state;
	return nep_test_eal_init("policy", 256);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_reference),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_empty_and_one_family),
		cmocka_unit_test(test_1000_rules),
		cmocka_unit_test(test_rebuild),
	};

	return cmocka_run_group_tests_name("policy", tests, eal_setup,
		nep_test_eal_teardown);
}
