/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RIB tests under a minimal EAL: connected, local and static routes built
 * from a configuration assembled in code, looked up through rte_fib/fib6.
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

#include "nep_route.h"
#include "nep_test_eal.h"

/* DPDK port ids deliberately differ from the config indices. */
/* Unique DPDK table names for each rib a test builds. */
static uint64_t rib_names;

static const uint16_t port_ids[] = { 3, 7 };

/* ---- config assembly ---- */

static void
add_addr(struct nep_config *cfg, unsigned port, const char *s)
{
	struct nep_port_conf *p = &cfg->ports[port];

	assert_int_equal(nep_ifaddr_parse(s, &p->addrs[p->n_addrs]), 0);
	p->n_addrs++;
}

static void
add_route(struct nep_config *cfg, const char *pfx, const char *via, int port)
{
	struct nep_route_conf *r = &cfg->routes[cfg->n_routes++];

	memset(r, 0, sizeof(*r));
	assert_int_equal(nep_prefix_parse(pfx, &r->prefix), 0);
	if (via != NULL)
		assert_int_equal(nep_addr_parse(via, &r->via), 0);
	r->port = port;
}

static struct nep_config *
base_config(void)
{
	struct nep_config *cfg = calloc(1, sizeof(*cfg));

	assert_non_null(cfg);
	cfg->n_ports = 2;
	snprintf(cfg->ports[0].name, NEP_NAME_MAX, "lan0");
	snprintf(cfg->ports[1].name, NEP_NAME_MAX, "wan1");
	cfg->ports[1].role = NEP_PORT_WAN;
	add_addr(cfg, 0, "2001:db8:1::1/64");
	add_addr(cfg, 0, "192.168.1.1/24");
	add_addr(cfg, 1, "2001:db8:ff::2/64");
	add_addr(cfg, 1, "203.0.113.2/24");
	add_addr(cfg, 1, "10.0.0.5/32");	/* host address: no connected */
	return cfg;
}

static uint64_t
look6(const struct nep_rib *rib, const char *s)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	return nep_rib_lookup6(rib, a);
}

static uint64_t
look4(const struct nep_rib *rib, const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return nep_rib_lookup4(rib, a);
}

static void
assert_nh(uint64_t v, enum nep_nh_kind k, uint32_t idx)
{
	if (nep_nh_kind(v) != k || nep_nh_index(v) != idx)
		fail_msg("next hop kind %d index %u, want kind %d index %u",
			nep_nh_kind(v), nep_nh_index(v), k, idx);
}

static void
assert_gw(const struct nep_rib *rib, uint64_t v, uint16_t port,
	const char *gw)
{
	const struct nep_nexthop *n;
	uint8_t a[16] = { 0 };
	int fam = strchr(gw, ':') != NULL ? AF_INET6 : AF_INET;

	assert_int_equal(nep_nh_kind(v), NEP_NH_GATEWAY);
	assert_true(nep_nh_index(v) < rib->n_nh);
	n = &rib->nh[nep_nh_index(v)];
	assert_int_equal(inet_pton(fam, gw, a), 1);
	assert_int_equal(n->port, port);
	assert_int_equal(n->family, fam == AF_INET6 ? 6 : 4);
	assert_memory_equal(n->gw, a, fam == AF_INET6 ? 16 : 4);
}

/* Builds the RIB of cfg, which must succeed. */
static void
build_ok(struct nep_rib *rib, const struct nep_config *cfg)
{
	char err[256] = "";

	if (nep_rib_build(rib, cfg, port_ids, ++rib_names, err, sizeof(err)) != 0)
		fail_msg("rib build: %s", err);
}

/* ---- tests ---- */

static void
test_nh_pack(void **state)
{
	static const enum nep_nh_kind kinds[] = { NEP_NH_NONE, NEP_NH_LOCAL,
		NEP_NH_CONNECTED, NEP_NH_GATEWAY };
	static const uint32_t idx[] = { 0, 1, 31, 1024, NEP_NH_INDEX_MASK };

	(void)state;
	for (unsigned k = 0; k < 4; k++)
		for (unsigned i = 0; i < 5; i++) {
			uint64_t v = nep_nh_make(kinds[k], idx[i]);
			assert_int_equal(nep_nh_kind(v), kinds[k]);
			assert_int_equal(nep_nh_index(v), idx[i]);
			/* fits the 2-byte FIB next hop (top bit is reserved) */
			assert_true(v <= 0x7fff);
		}
	assert_int_equal(nep_nh_make(NEP_NH_NONE, 0), 0);
	assert_true(NEP_MAX_ROUTES <= NEP_NH_INDEX_MASK + 1);
}

static void
test_rib_full(void **state)
{
	struct nep_config *cfg;
	struct nep_rib rib;
	unsigned i, n_local = 0, n_conn = 0, n_static = 0;

	(void)state;
	cfg = base_config();
	add_route(cfg, "2001:db8:100::/48", "2001:db8:ff::1", -1);
	add_route(cfg, "2001:db8:100:5::/64", "2001:db8:1::fe", -1);
	add_route(cfg, "::/0", "2001:db8:ff::9", -1);
	add_route(cfg, "198.51.100.0/24", "203.0.113.1", -1);
	add_route(cfg, "10.99.0.0/16", NULL, 0);	/* on-link via lan0 */
	add_route(cfg, "0.0.0.0/0", "203.0.113.254", 1);
	add_route(cfg, "2001:db8:300::/40", NULL, 1);

	build_ok(&rib, cfg);
	assert_non_null(rib.fib4);
	assert_non_null(rib.fib6);
	assert_int_equal(rib.n_nh, 5);
	/* lan0: 2 connected + 2 local; wan1: 2 connected + 3 local; 7 static */
	assert_int_equal(rib.n_routes, 16);
	for (i = 0; i < rib.n_routes; i++) {
		const struct nep_route_entry *e = &rib.routes[i];
		assert_int_equal(e->port, port_ids[e->cfg_port]);
		n_local += e->type == NEP_RT_LOCAL;
		n_conn += e->type == NEP_RT_CONNECTED;
		n_static += e->type == NEP_RT_STATIC;
	}
	assert_int_equal(n_local, 5);
	assert_int_equal(n_conn, 4);
	assert_int_equal(n_static, 7);
	/* connected prefixes have their host bits cleared */
	char buf[64];
	assert_int_equal(rib.routes[0].type, NEP_RT_CONNECTED);
	assert_string_equal(nep_prefix_str(&rib.routes[0].prefix, buf,
				    sizeof(buf)), "2001:db8:1::/64");
	assert_int_equal(rib.routes[1].type, NEP_RT_LOCAL);
	assert_string_equal(nep_prefix_str(&rib.routes[1].prefix, buf,
				    sizeof(buf)), "2001:db8:1::1/128");
	assert_string_equal(nep_prefix_str(&rib.routes[2].prefix, buf,
				    sizeof(buf)), "192.168.1.0/24");

	/* IPv6: longest prefix match between the /48 and the /64 */
	assert_gw(&rib, look6(&rib, "2001:db8:100:5::42"), 3, "2001:db8:1::fe");
	assert_gw(&rib, look6(&rib, "2001:db8:100:5:ffff:ffff:ffff:ffff"), 3,
		"2001:db8:1::fe");
	assert_gw(&rib, look6(&rib, "2001:db8:100:4:ffff:ffff:ffff:ffff"), 7,
		"2001:db8:ff::1");
	assert_gw(&rib, look6(&rib, "2001:db8:100:6::1"), 7, "2001:db8:ff::1");
	assert_gw(&rib, look6(&rib, "2001:db8:100::"), 7, "2001:db8:ff::1");
	/* default */
	assert_gw(&rib, look6(&rib, "2001:db8:101::1"), 7, "2001:db8:ff::9");
	assert_gw(&rib, look6(&rib, "2a00::1"), 7, "2001:db8:ff::9");
	/* own addresses and connected prefixes */
	assert_nh(look6(&rib, "2001:db8:1::1"), NEP_NH_LOCAL, 3);
	assert_nh(look6(&rib, "2001:db8:1::2"), NEP_NH_CONNECTED, 3);
	assert_nh(look6(&rib, "2001:db8:1:0:ffff::"), NEP_NH_CONNECTED, 3);
	assert_nh(look6(&rib, "2001:db8:ff::2"), NEP_NH_LOCAL, 7);
	assert_nh(look6(&rib, "2001:db8:ff::1"), NEP_NH_CONNECTED, 7);
	/* on-link static route through a named port */
	assert_nh(look6(&rib, "2001:db8:3ff::1"), NEP_NH_CONNECTED, 7);
	/* next to the connected /64: default */
	assert_nh(look6(&rib, "2001:db8:1:1::1"), NEP_NH_GATEWAY,
		nep_nh_index(look6(&rib, "2a00::1")));

	/* IPv4 */
	assert_gw(&rib, look4(&rib, "198.51.100.7"), 7, "203.0.113.1");
	assert_nh(look4(&rib, "10.99.3.4"), NEP_NH_CONNECTED, 3);
	assert_nh(look4(&rib, "192.168.1.1"), NEP_NH_LOCAL, 3);
	assert_nh(look4(&rib, "192.168.1.77"), NEP_NH_CONNECTED, 3);
	assert_nh(look4(&rib, "192.168.1.255"), NEP_NH_CONNECTED, 3);
	assert_nh(look4(&rib, "203.0.113.2"), NEP_NH_LOCAL, 7);
	assert_nh(look4(&rib, "203.0.113.3"), NEP_NH_CONNECTED, 7);
	assert_nh(look4(&rib, "10.0.0.5"), NEP_NH_LOCAL, 7);
	assert_gw(&rib, look4(&rib, "10.0.0.6"), 7, "203.0.113.254");
	assert_gw(&rib, look4(&rib, "198.18.5.5"), 7, "203.0.113.254");
	assert_gw(&rib, look4(&rib, "192.168.2.1"), 7, "203.0.113.254");

	nep_rib_free(&rib);
	assert_null(rib.fib4);
	assert_null(rib.nh);
	free(cfg);
}

static void
test_rib_no_default(void **state)
{
	struct nep_config *cfg;
	struct nep_rib rib;

	(void)state;
	cfg = base_config();
	add_route(cfg, "2001:db8:100::/48", "2001:db8:ff::1", -1);
	add_route(cfg, "198.51.100.0/24", "203.0.113.1", -1);
	/* built twice: each build has its own FIB names */
	for (int round = 0; round < 2; round++) {
		build_ok(&rib, cfg);
		assert_int_equal(look6(&rib, "2a00::1"), NEP_NH_NONE);
		assert_int_equal(look6(&rib, "::"), NEP_NH_NONE);
		assert_int_equal(look6(&rib, "2001:db8:101::1"), NEP_NH_NONE);
		assert_int_equal(look4(&rib, "198.18.5.5"), NEP_NH_NONE);
		assert_int_equal(look4(&rib, "198.51.101.1"), NEP_NH_NONE);
		assert_int_equal(look4(&rib, "0.0.0.0"), NEP_NH_NONE);
		assert_gw(&rib, look6(&rib, "2001:db8:100:ffff::1"), 7,
			"2001:db8:ff::1");
		assert_gw(&rib, look4(&rib, "198.51.100.255"), 7,
			"203.0.113.1");
		assert_nh(look6(&rib, "2001:db8:1::1"), NEP_NH_LOCAL, 3);
		nep_rib_free(&rib);
	}
	free(cfg);
}

static void
test_rib_gateway_offlink(void **state)
{
	struct nep_config *cfg;
	struct nep_rib rib;
	char err[256] = "";

	(void)state;
	cfg = base_config();
	add_route(cfg, "2001:db8:100::/48", "2001:db8:ff::1", -1);
	add_route(cfg, "2001:db8:200::/48", "2001:db8:77::1", -1);
	assert_int_equal(nep_rib_build(&rib, cfg, port_ids, ++rib_names, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "2001:db8:200::/48"));
	assert_non_null(strstr(err, "2001:db8:77::1"));
	assert_non_null(strstr(err, "not on any connected prefix"));
	assert_null(rib.fib4);
	assert_null(rib.fib6);

	/* IPv4 too */
	cfg->n_routes = 0;
	add_route(cfg, "198.51.100.0/24", "198.18.0.1", -1);
	err[0] = '\0';
	assert_int_equal(nep_rib_build(&rib, cfg, port_ids, ++rib_names, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "198.18.0.1"));

	/* the same gateway once its prefix is configured */
	add_addr(cfg, 1, "198.18.0.2/15");
	build_ok(&rib, cfg);
	assert_gw(&rib, look4(&rib, "198.51.100.1"), 7, "198.18.0.1");
	nep_rib_free(&rib);
	free(cfg);
}

static void
test_onlink_port(void **state)
{
	struct nep_config *cfg;
	struct nep_addr a;

	(void)state;
	cfg = base_config();
	assert_int_equal(nep_addr_parse("2001:db8:ff::77", &a), 0);
	assert_int_equal(nep_rib_onlink_port(cfg, &a), 1);
	assert_int_equal(nep_addr_parse("2001:db8:1::ffff", &a), 0);
	assert_int_equal(nep_rib_onlink_port(cfg, &a), 0);
	assert_int_equal(nep_addr_parse("192.168.1.200", &a), 0);
	assert_int_equal(nep_rib_onlink_port(cfg, &a), 0);
	assert_int_equal(nep_addr_parse("192.168.2.1", &a), 0);
	assert_int_equal(nep_rib_onlink_port(cfg, &a), -1);
	assert_int_equal(nep_addr_parse("2001:db8:2::1", &a), 0);
	assert_int_equal(nep_rib_onlink_port(cfg, &a), -1);
	/* a /32 host address has no on-link neighbours but itself */
	assert_int_equal(nep_addr_parse("10.0.0.5", &a), 0);
	assert_int_equal(nep_rib_onlink_port(cfg, &a), 1);
	assert_int_equal(nep_addr_parse("10.0.0.6", &a), 0);
	assert_int_equal(nep_rib_onlink_port(cfg, &a), -1);
	free(cfg);
}

/*
 * VRF tables: each holds the connected/local routes of its own ports and
 * its own static routes only; the same subnet in two tables names two
 * interfaces. Both the fast (DIR24_8/TRIE) and the compact (rte_rib)
 * kinds.
 */
static void
test_rib_vrf_tables(void **state)
{
	static const char yaml[] =
		"ports:\n"
		"  - {name: lan0, role: lan, devargs: net_null0,\n"
		"     addresses: [\"192.0.2.1/24\", \"fd42:100:1::1/64\"]}\n"
		"  - {name: wan1, role: wan, devargs: net_null1,\n"
		"     addresses: [\"198.51.100.18/28\"]}\n"
		"  - {name: lan0.100, role: lan, parent: lan0, vlan: 100,\n"
		"     addresses: [\"192.0.2.1/24\", \"fd42:100:1::1/64\"]}\n"
		"  - {name: lan0.200, role: wan, parent: lan0, vlan: 200,\n"
		"     addresses: [\"203.0.113.2/24\"]}\n"
		"  - {name: lan0.300, role: lan, parent: lan0, vlan: 300,\n"
		"     addresses: [\"192.0.2.1/24\"]}\n"
		"routes:\n"
		"  - {prefix: \"0.0.0.0/0\", via: \"198.51.100.17\"}\n"
		"vrfs:\n"
		"  - name: blue\n"
		"    interfaces: [lan0.100, lan0.200]\n"
		"    routes:\n"
		"      - {prefix: \"10.0.0.0/8\", via: \"203.0.113.1\"}\n"
		"      - {prefix: \"fd42:200::/32\", port: lan0.200}\n"
		"  - name: red\n"
		"    fib: compact\n"
		"    interfaces: [lan0.300]\n"
		"    routes:\n"
		"      - {prefix: \"0.0.0.0/0\", via: \"192.0.2.254\"}\n";
	/* interface ids: DPDK ids for lan0 and wan1, 32 + index after */
	static const uint16_t ifids[] = { 3, 7, 34, 35, 36 };
	struct nep_config_error cerr;
	struct nep_config *cfg;
	struct nep_rib main, blue, red;
	char err[256] = "";

	(void)state;
	cfg = nep_config_load_string("t.yaml", yaml, NULL, &cerr);
	if (cfg == NULL)
		fail_msg("%s", cerr.msg);
	assert_int_equal(nep_rib_build_table(&main, cfg, ifids, 0, ++rib_names,
		err, sizeof(err)), 0);
	assert_int_equal(nep_rib_build_table(&blue, cfg, ifids, 1, ++rib_names,
		err, sizeof(err)), 0);
	if (nep_rib_build_table(&red, cfg, ifids, 2, ++rib_names, err,
		    sizeof(err)) != 0)
		fail_msg("red: %s", err);
	assert_int_equal(main.table, 0);
	assert_int_equal(blue.table, 1);
	assert_int_equal(red.table, 2);

	/* The same subnet and address: three interfaces. */
	assert_nh(look4(&main, "192.0.2.10"), NEP_NH_CONNECTED, 3);
	assert_nh(look4(&blue, "192.0.2.10"), NEP_NH_CONNECTED, 34);
	assert_nh(look4(&red, "192.0.2.10"), NEP_NH_CONNECTED, 36);
	assert_nh(look4(&main, "192.0.2.1"), NEP_NH_LOCAL, 3);
	assert_nh(look4(&blue, "192.0.2.1"), NEP_NH_LOCAL, 34);
	assert_nh(look4(&red, "192.0.2.1"), NEP_NH_LOCAL, 36);
	assert_nh(look6(&main, "fd42:100:1::10"), NEP_NH_CONNECTED, 3);
	assert_nh(look6(&blue, "fd42:100:1::10"), NEP_NH_CONNECTED, 34);

	/* Each table's own routes; nothing of the others'. */
	assert_gw(&main, look4(&main, "10.1.2.3"), 7, "198.51.100.17");
	assert_gw(&blue, look4(&blue, "10.1.2.3"), 35, "203.0.113.1");
	assert_nh(look4(&blue, "198.18.5.5"), NEP_NH_NONE, 0);
	assert_nh(look4(&blue, "198.51.100.17"), NEP_NH_NONE, 0);
	/* (blue's connected prefix is the main table's default route's) */
	assert_gw(&main, look4(&main, "203.0.113.1"), 7, "198.51.100.17");
	assert_nh(look6(&blue, "fd42:200:1::1"), NEP_NH_CONNECTED, 35);
	assert_nh(look6(&main, "fd42:200:1::1"), NEP_NH_NONE, 0);
	assert_nh(look6(&red, "fd42:100:1::10"), NEP_NH_NONE, 0);
	/* compact: the same answers through rte_rib */
	assert_gw(&red, look4(&red, "198.18.5.5"), 36, "192.0.2.254");
	assert_gw(&red, look4(&red, "203.0.113.1"), 36, "192.0.2.254");
	assert_nh(look6(&red, "fd42:100:1::1"), NEP_NH_NONE, 0);
	/* lan0: 2 connected + 2 local; wan1: 1 + 1; 1 static */
	assert_int_equal(main.n_routes, 7);
	/* lan0.100: 2 + 2; lan0.200: 1 + 1; 2 static */
	assert_int_equal(blue.n_routes, 8);
	assert_int_equal(red.n_routes, 3);

	/* The on-link port of a gateway, per table. */
	struct nep_addr a;
	assert_int_equal(nep_addr_parse("192.0.2.99", &a), 0);
	assert_int_equal(nep_rib_onlink_port_table(cfg, 0, &a), 0);
	assert_int_equal(nep_rib_onlink_port_table(cfg, 1, &a), 2);
	assert_int_equal(nep_rib_onlink_port_table(cfg, 2, &a), 4);
	assert_int_equal(nep_addr_parse("203.0.113.9", &a), 0);
	assert_int_equal(nep_rib_onlink_port_table(cfg, 0, &a), -1);
	assert_int_equal(nep_rib_onlink_port(cfg, &a), -1);
	nep_rib_free(&main);
	nep_rib_free(&blue);
	nep_rib_free(&red);
	nep_config_free(cfg);
}

static void
test_rib_from_yaml(void **state)
{
	static const char yaml[] =
		"ports:\n"
		"  - name: lan0\n"
		"    role: lan\n"
		"    devargs: net_null0\n"
		"    addresses: [\"2001:db8:1::1/64\"]\n"
		"  - name: wan1\n"
		"    role: wan\n"
		"    devargs: net_null1\n"
		"    addresses: [\"2001:db8:ff::2/64\", \"203.0.113.2/24\"]\n"
		"routes:\n"
		"  - prefix: \"::/0\"\n"
		"    via: \"2001:db8:ff::1\"\n"
		"  - prefix: \"2001:db8:100::/48\"\n"
		"    via: \"2001:db8:1::fe\"\n";
	struct nep_config_error cerr;
	struct nep_config *cfg;
	struct nep_rib rib;

	(void)state;
	cfg = nep_config_load_string("route.yaml", yaml,
		"/nonexistent-neptune-drivers", &cerr);
	if (cfg == NULL)
		fail_msg("config: %s", cerr.msg);
	build_ok(&rib, cfg);
	assert_gw(&rib, look6(&rib, "2001:db8:100::1"), 3, "2001:db8:1::fe");
	assert_gw(&rib, look6(&rib, "2001:db8:101::1"), 7, "2001:db8:ff::1");
	assert_nh(look6(&rib, "2001:db8:ff::2"), NEP_NH_LOCAL, 7);
	assert_nh(look4(&rib, "203.0.113.9"), NEP_NH_CONNECTED, 7);
	assert_int_equal(look4(&rib, "198.18.5.5"), NEP_NH_NONE);
	nep_rib_free(&rib);
	nep_config_free(cfg);
}

/* ---- EAL ---- */

static int
eal_setup(void **state)
{
	(void)state;
	return nep_test_eal_init("route", 512);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nh_pack),
		cmocka_unit_test(test_onlink_port),
		cmocka_unit_test(test_rib_full),
		cmocka_unit_test(test_rib_no_default),
		cmocka_unit_test(test_rib_gateway_offlink),
		cmocka_unit_test(test_rib_from_yaml),
		cmocka_unit_test(test_rib_vrf_tables),
	};

	return cmocka_run_group_tests_name("route", tests, eal_setup,
		nep_test_eal_teardown);
}
