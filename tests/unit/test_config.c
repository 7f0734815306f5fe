/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config: a full config parses with the right values and defaults, and
 * each kind of mistake is reported as "file:line:col: key.path: message".
 * The core's sections only: a section registered by this test shows the
 * registry (nep_config_section.h); multihoming's uplinks and steering are
 * tested with the feature, in test_mh_config.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <rte_log.h>

#include "nep_config.h"
#include "nep_config_section.h"

/* Lines 1-7 of most bad configs: a lan and a wan port. */
#define PORTS                                                                  \
	"ports:\n"                                                             \
	"  - name: lan\n"                                                      \
	"    role: lan\n"                                                      \
	"    devargs: net_tap0,iface=nl\n"                                     \
	"  - name: wan\n"                                                      \
	"    role: wan\n"                                                      \
	"    devargs: net_tap1,iface=nw\n"

#include "nep_test_config.h"

static void
addr6(const char *s, struct nep_addr *a)
{
	assert_int_equal(nep_addr_parse(s, a), 0);
}

/* ---- good configs ---------------------------------------------------- */

static const char good_yaml[] =
	"eal:\n"
	"  lcores: \"0-3\"\n"
	"  memory_mb: 512\n"
	"  no_huge: true\n"
	"  in_memory: false\n"
	"  file_prefix: nep1\n"
	"  args: [\"--log-level=pmd:debug\"]\n"
	"management:\n"
	"  socket: /tmp/nep.sock\n"
	"  telemetry: false\n"
	"log: {level: debug}\n"
	"dataplane: {burst: 64, drain_us: 50, mbufs: 8191, "
	"punt_ring_size: 512}\n"
	"neighbors:\n"
	"  reachable_ms: 20000\n"
	"  queue_len: 4\n"
	"  static:\n"
	"    - {port: wan1, address: \"fe80::1\", mac: \"02:00:00:00:01:01\"}\n"
	"icmp: {rate_pps: 10, burst: 5}\n"
	"ports:\n"
	"  - name: lan\n"
	"    role: lan\n"
	"    devargs: net_tap0,iface=nep-lan\n"
	"    mac: \"02:00:00:00:00:01\"\n"
	"    mtu: 9000\n"
	"    rx_queues: 2\n"
	"    addresses: [\"fd00:1::1/64\", \"192.168.1.1/24\"]\n"
	"  - name: wan1\n"
	"    role: wan\n"
	"    devargs: \"0000:03:00.0\"\n"
	"    addresses: [\"2001:db8:ff::2/64\"]\n"
	"  - name: wan2\n"
	"    role: wan\n"
	"    devargs: \"03:00.1\"\n"
	"routes:\n"
	"  - {prefix: \"::/0\", via: \"2001:db8:ff::1\"}\n"
	"  - {prefix: \"10.0.0.0/8\", port: lan}\n"
	"  - {prefix: \"2001:db8:99::/48\", via: \"fe80::9\", port: wan2}\n";

static void
test_good_full(void **state)
{
	struct nep_config *cfg = load(good_yaml);
	struct nep_addr a;
	char buf[64];

	(void)state;
	assert_string_equal(cfg->path, "t.yaml");
	assert_string_equal(cfg->eal_lcores, "0-3");
	assert_int_equal(cfg->eal_memory_mb, 512);
	assert_true(cfg->eal_no_huge);
	assert_false(cfg->eal_in_memory);
	assert_string_equal(cfg->eal_file_prefix, "nep1");
	assert_int_equal(cfg->n_eal_args, 1);
	assert_string_equal(cfg->eal_args[0], "--log-level=pmd:debug");
	assert_string_equal(cfg->mgmt_socket, "/tmp/nep.sock");
	assert_false(cfg->telemetry);
	assert_string_equal(cfg->log_level, "debug");
	assert_int_equal(cfg->burst, 64);
	assert_int_equal(cfg->drain_us, 50);
	assert_int_equal(cfg->mbufs, 8191);
	assert_int_equal(cfg->punt_ring_size, 512);
	assert_int_equal(cfg->neigh_reachable_ms, 20000);
	assert_int_equal(cfg->neigh_retrans_ms, 1000);
	assert_int_equal(cfg->neigh_queue_len, 4);
	assert_int_equal(cfg->n_static_neigh, 1);
	assert_int_equal(cfg->static_neigh[0].port, 1);
	addr6("fe80::1", &a);
	assert_memory_equal(&cfg->static_neigh[0].addr, &a, sizeof(a));
	assert_int_equal(cfg->static_neigh[0].mac[5], 1);
	assert_int_equal(cfg->icmp_rate_pps, 10);
	assert_int_equal(cfg->icmp_burst, 5);

	/* ports */
	assert_int_equal(cfg->n_ports, 3);
	assert_string_equal(cfg->ports[0].name, "lan");
	assert_int_equal(cfg->ports[0].role, NEP_PORT_LAN);
	assert_string_equal(cfg->ports[0].devargs, "net_tap0,iface=nep-lan");
	assert_false(cfg->ports[0].is_pci);
	assert_true(cfg->ports[0].mac_set);
	assert_int_equal(cfg->ports[0].mac[0], 0x02);
	assert_int_equal(cfg->ports[0].mac[5], 0x01);
	assert_int_equal(cfg->ports[0].mtu, 9000);
	assert_int_equal(cfg->ports[0].rx_queues, 2);
	assert_int_equal(cfg->ports[0].rx_desc, 1024);
	assert_int_equal(cfg->ports[0].tx_desc, 1024);
	assert_string_equal(cfg->ports[0].driver, "");
	assert_int_equal(cfg->ports[0].n_addrs, 2);
	assert_int_equal(cfg->ports[0].addrs[0].addr.family, AF_INET6);
	assert_int_equal(cfg->ports[0].addrs[0].len, 64);
	assert_int_equal(cfg->ports[0].addrs[0].addr.a[15], 1);
	assert_int_equal(cfg->ports[0].addrs[1].addr.family, AF_INET);
	assert_int_equal(cfg->ports[0].addrs[1].len, 24);
	assert_int_equal(cfg->ports[0].addrs[1].addr.a[0], 192);
	assert_int_equal(cfg->ports[0].addrs[1].addr.a[3], 1);
	assert_int_equal(cfg->ports[1].role, NEP_PORT_WAN);
	assert_true(cfg->ports[1].is_pci);
	assert_false(cfg->ports[1].mac_set);
	assert_int_equal(cfg->ports[1].mtu, 1500);
	assert_int_equal(cfg->ports[1].rx_queues, 1);
	assert_true(cfg->ports[2].is_pci);

	/* routes */
	assert_int_equal(cfg->n_routes, 3);
	assert_string_equal(
		nep_prefix_str(&cfg->routes[0].prefix, buf, sizeof(buf)),
		"::/0");
	assert_string_equal(nep_addr_str(&cfg->routes[0].via, buf, sizeof(buf)),
		"2001:db8:ff::1");
	assert_int_equal(cfg->routes[0].port, -1);
	assert_string_equal(
		nep_prefix_str(&cfg->routes[1].prefix, buf, sizeof(buf)),
		"10.0.0.0/8");
	assert_int_equal(cfg->routes[1].via.family, 0);
	assert_int_equal(cfg->routes[1].port, 0);
	assert_int_equal(cfg->routes[2].port, 2);

	assert_int_equal(nep_config_port_index(cfg, "wan2"), 2);
	assert_int_equal(nep_config_port_index(cfg, "nope"), -1);
	nep_config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct nep_config *cfg = load(PORTS);

	(void)state;
	assert_string_equal(cfg->eal_lcores, "0-1");
	assert_int_equal(cfg->eal_memory_mb, 0);
	assert_false(cfg->eal_no_huge);
	assert_true(cfg->eal_in_memory);
	assert_string_equal(cfg->eal_file_prefix, "");
	assert_int_equal(cfg->n_eal_args, 0);
	assert_string_equal(cfg->mgmt_socket, "/run/neptune/neptune.sock");
	assert_true(cfg->telemetry);
	assert_string_equal(cfg->log_level, "info");
	assert_int_equal(cfg->burst, 32);
	assert_int_equal(cfg->drain_us, 100);
	assert_int_equal(cfg->mbufs, 16383);
	assert_int_equal(cfg->punt_ring_size, 1024);
	assert_int_equal(cfg->neigh_reachable_ms, 30000);
	assert_int_equal(cfg->neigh_retrans_ms, 1000);
	assert_int_equal(cfg->neigh_max_probes, 3);
	assert_int_equal(cfg->neigh_queue_len, 8);
	assert_int_equal(cfg->neigh_table_size, 4096);
	assert_int_equal(cfg->n_static_neigh, 0);
	assert_int_equal(cfg->icmp_rate_pps, 100);
	assert_int_equal(cfg->icmp_burst, 50);
	assert_int_equal(cfg->n_ports, 2);
	assert_int_equal(cfg->ports[1].mtu, 1500);
	assert_int_equal(cfg->ports[1].rx_queues, 1);
	assert_int_equal(cfg->ports[1].rx_desc, 1024);
	assert_int_equal(cfg->ports[1].tx_desc, 1024);
	assert_int_equal(cfg->ports[1].n_addrs, 0);
	assert_int_equal(cfg->n_routes, 0);
	assert_int_equal(cfg->n_vrfs, 1);
	assert_string_equal(cfg->vrfs[0].name, "default");
	assert_int_equal(cfg->ports[0].parent, -1);
	assert_int_equal(cfg->ports[1].vrf, 0);
	nep_config_free(cfg);
}

/* ---- VLAN sub-interfaces and VRFs -------------------------------------- */

static const char vrf_yaml[] =
	"ports:\n"						/* 1 */
	"  - name: lan0\n"					/* 2 */
	"    role: lan\n"					/* 3 */
	"    devargs: net_tap0\n"				/* 4 */
	"    mtu: 9000\n"					/* 5 */
	"    addresses: [\"192.0.2.1/24\"]\n"			/* 6 */
	"  - name: lan0.100\n"					/* 7 */
	"    role: lan\n"					/* 8 */
	"    parent: lan0\n"					/* 9 */
	"    vlan: 100\n"					/* 10 */
	"    addresses: [\"192.0.2.1/24\", \"fd42:100:2::1/64\"]\n"	/* 11 */
	"  - name: wan1\n"					/* 12 */
	"    role: wan\n"					/* 13 */
	"    devargs: net_tap1\n"				/* 14 */
	"    addresses: [\"198.51.100.18/28\"]\n"		/* 15 */
	"  - name: lan0.200\n"					/* 16 */
	"    role: wan\n"					/* 17 */
	"    parent: lan0\n"					/* 18 */
	"    vlan: 200\n"					/* 19 */
	"    mtu: 1500\n"					/* 20 */
	"    addresses: [\"203.0.113.2/24\"]\n"			/* 21 */
	"routes:\n"						/* 22 */
	"  - {prefix: \"0.0.0.0/0\", via: \"198.51.100.17\"}\n"	/* 23 */
	"vrfs:\n"						/* 24 */
	"  - name: blue\n"					/* 25 */
	"    interfaces: [lan0.100, lan0.200]\n"		/* 26 */
	"    routes:\n"						/* 27 */
	"      - {prefix: \"0.0.0.0/0\", via: \"203.0.113.1\"}\n"	/* 28 */
	"      - {prefix: \"10.0.0.0/8\", port: lan0.100}\n"	/* 29 */
	"  - name: red\n"					/* 30 */
	"    fib: compact\n";					/* 31 */

static void
test_vlan_vrf_good(void **state)
{
	struct nep_config *cfg = load(vrf_yaml);
	char buf[64];

	(void)state;
	/* Physical ports first, then the sub-interfaces, in file order. */
	assert_int_equal(cfg->n_ports, 4);
	assert_string_equal(cfg->ports[0].name, "lan0");
	assert_string_equal(cfg->ports[1].name, "wan1");
	assert_string_equal(cfg->ports[2].name, "lan0.100");
	assert_string_equal(cfg->ports[3].name, "lan0.200");
	assert_int_equal(cfg->ports[0].src_index, 0);
	assert_int_equal(cfg->ports[1].src_index, 2);
	assert_int_equal(cfg->ports[2].src_index, 1);
	assert_int_equal(cfg->ports[3].src_index, 3);
	assert_int_equal(cfg->ports[0].parent, -1);
	assert_int_equal(cfg->ports[1].parent, -1);
	assert_int_equal(cfg->ports[0].vlan, 0);
	assert_int_equal(cfg->ports[2].parent, 0);
	assert_int_equal(cfg->ports[2].vlan, 100);
	assert_int_equal(cfg->ports[3].parent, 0);
	assert_int_equal(cfg->ports[3].vlan, 200);
	assert_int_equal(cfg->ports[2].role, NEP_PORT_LAN);
	assert_int_equal(cfg->ports[3].role, NEP_PORT_WAN);
	/* No device of their own; the MTU is the parent's unless given. */
	assert_string_equal(cfg->ports[2].devargs, "");
	assert_int_equal(cfg->ports[2].rx_queues, 0);
	assert_int_equal(cfg->ports[2].mtu, 9000);
	assert_int_equal(cfg->ports[3].mtu, 1500);
	assert_int_equal(cfg->ports[2].n_addrs, 2);
	assert_int_equal(nep_config_port_index(cfg, "lan0.100"), 2);

	/* Tables: default (implicit), blue, red. */
	assert_int_equal(cfg->n_vrfs, 3);
	assert_string_equal(cfg->vrfs[0].name, "default");
	assert_string_equal(cfg->vrfs[1].name, "blue");
	assert_string_equal(cfg->vrfs[2].name, "red");
	assert_int_equal(nep_vrf_find(cfg, "default"), 0);
	assert_int_equal(nep_vrf_find(cfg, "blue"), 1);
	assert_int_equal(nep_vrf_find(cfg, "red"), 2);
	assert_int_equal(nep_vrf_find(cfg, "green"), -1);
	assert_false(cfg->vrfs[1].compact);
	assert_true(cfg->vrfs[2].compact);
	assert_int_equal(cfg->ports[0].vrf, 0);
	assert_int_equal(cfg->ports[1].vrf, 0);
	assert_int_equal(cfg->ports[2].vrf, 1);
	assert_int_equal(cfg->ports[3].vrf, 1);
	assert_int_equal(cfg->vrfs[0].n_ports, 2);
	assert_int_equal(cfg->vrfs[1].n_ports, 2);
	assert_int_equal(cfg->vrfs[2].n_ports, 0);

	/* Routes: the main table's first, then blue's. */
	assert_int_equal(cfg->n_routes, 3);
	assert_int_equal(cfg->vrfs[0].n_routes, 1);
	assert_int_equal(cfg->vrfs[1].n_routes, 2);
	assert_int_equal(cfg->vrfs[2].n_routes, 0);
	assert_int_equal(cfg->routes[0].table, 0);
	assert_int_equal(cfg->routes[1].table, 1);
	assert_string_equal(nep_addr_str(&cfg->routes[1].via, buf, sizeof(buf)),
		"203.0.113.1");
	assert_int_equal(cfg->routes[2].table, 1);
	assert_int_equal(cfg->routes[2].port, 2);

	/* Key paths keep the file's index. */
	assert_string_equal(nep_config_key_pos(cfg, "ports[1].vlan", buf,
		sizeof(buf)), "t.yaml:10:11");
	assert_string_equal(nep_config_key_pos(cfg, "vrfs[0].routes[1].port",
		buf, sizeof(buf)), "t.yaml:29:38");
	nep_config_free(cfg);
}

/* Two ports; a sub-interface added at line 8. */
#define SUBIF_PORTS                                                            \
	"ports:\n"                                                             \
	"  - name: lan0\n"                                                     \
	"    role: lan\n"                                                      \
	"    devargs: net_tap0\n"                                              \
	"  - name: wan1\n"                                                     \
	"    role: wan\n"                                                      \
	"    devargs: net_tap1\n"

static void
test_err_vlan(void **state)
{
	(void)state;
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: nope, vlan: 1}\n",
		"t.yaml:8:34: ports[2].parent: unknown port 'nope'");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: v, vlan: 1}\n",
		"t.yaml:8:34: ports[2].parent: a port cannot be its own "
		"parent");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: lan0, vlan: 1}\n"
		"  - {name: w, role: lan, parent: v, vlan: 2}\n",
		"t.yaml:9:34: ports[3].parent: port 'v' is a VLAN "
		"sub-interface, not a physical port");
	/* The parent may come later in the list. */
	expect_err("ports:\n"
		"  - {name: v, role: lan, parent: lan0, vlan: 0}\n"
		"  - {name: lan0, role: lan, devargs: net_tap0}\n",
		"t.yaml:2:46: ports[0].vlan: out of range (1..4094)");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: lan0, vlan: 4095}\n",
		"t.yaml:8:46: ports[2].vlan: out of range (1..4094)");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: lan0, vlan: 7}\n"
		"  - {name: w, role: lan, parent: wan1, vlan: 7}\n"
		"  - {name: x, role: wan, parent: lan0, vlan: 7}\n",
		"t.yaml:10:46: ports[4].vlan: VLAN 7 of 'lan0' is already port "
		"'v'");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: lan0}\n",
		"t.yaml:8:5: ports[2]: missing required key 'vlan' (a "
		"sub-interface has a parent and a vlan)");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, devargs: x, vlan: 3}\n",
		"t.yaml:8:38: ports[2].vlan: a VLAN sub-interface needs "
		"'parent' (the physical port it is on)");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: lan0, vlan: 3,\n"
		"     devargs: net_tap2}\n",
		"t.yaml:9:6: ports[2].devargs: not allowed on a VLAN "
		"sub-interface (it uses its parent's device)");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: lan0, vlan: 3,\n"
		"     mac: \"02:00:00:00:00:09\"}\n",
		"t.yaml:9:6: ports[2].mac: not allowed on a VLAN sub-interface "
		"(it uses its parent's device and MAC)");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: lan0, vlan: 3,\n"
		"     rx_queues: 2}\n",
		"t.yaml:9:6: ports[2].rx_queues: not allowed on a VLAN "
		"sub-interface (it uses its parent's device)");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: lan0, vlan: 3,\n"
		"     mtu: 1501}\n",
		"t.yaml:9:11: ports[2].mtu: larger than the MTU of its parent "
		"'lan0' (1500)");
	expect_err(SUBIF_PORTS
		"  - {name: v, role: lan, parent: lan0, vlan: 3}\n"
		"  - {name: v, role: lan, parent: lan0, vlan: 4}\n",
		"t.yaml:9:12: ports[3].name: duplicate port name 'v'");
	expect_err(SUBIF_PORTS
		"  - {name: v, parent: lan0, vlan: 3}\n",
		"t.yaml:8:5: ports[2]: missing required key 'role'");
}

static void
test_err_vrf(void **state)
{
	char yaml[2048];
	size_t n;

	(void)state;
	expect_err(SUBIF_PORTS
		"vrfs:\n  - {name: default}\n",
		"t.yaml:9:12: vrfs[0].name: 'default' is the main table (the "
		"top-level routes and every port no VRF lists): it is "
		"implicit");
	expect_err(SUBIF_PORTS
		"vrfs:\n  - {name: a}\n  - {name: a}\n",
		"t.yaml:10:12: vrfs[1].name: duplicate vrf name 'a'");
	expect_err(SUBIF_PORTS
		"vrfs:\n  - {interfaces: [lan0]}\n",
		"t.yaml:9:5: vrfs[0]: missing required key 'name'");
	expect_err(SUBIF_PORTS
		"vrfs:\n  - {name: a, colour: red}\n",
		"t.yaml:9:15: vrfs[0].colour: unknown key");
	expect_err(SUBIF_PORTS
		"vrfs:\n  - {name: a, fib: big}\n",
		"t.yaml:9:20: vrfs[0].fib: expected fast or compact");
	expect_err(SUBIF_PORTS
		"vrfs:\n  - {name: a, interfaces: [lan9]}\n",
		"t.yaml:9:28: vrfs[0].interfaces[0]: unknown port 'lan9'");
	expect_err(SUBIF_PORTS
		"vrfs:\n  - {name: a, interfaces: [lan0]}\n"
		"  - {name: b, interfaces: [wan1, lan0]}\n",
		"t.yaml:10:34: vrfs[1].interfaces[1]: port 'lan0' is already "
		"in vrf 'a'");
	/* A route names a port of its own table. */
	expect_err(SUBIF_PORTS
		"vrfs:\n  - {name: a, interfaces: [lan0]}\n"
		"routes:\n  - {prefix: \"10.0.0.0/8\", port: lan0}\n",
		"t.yaml:11:34: routes[0].port: port 'lan0' is in vrf 'a', not "
		"in 'default'");
	expect_err(SUBIF_PORTS
		"vrfs:\n  - name: a\n    interfaces: [lan0]\n"
		"    routes:\n      - {prefix: \"10.0.0.0/8\", port: wan1}\n",
		"t.yaml:12:38: vrfs[0].routes[0].port: port 'wan1' is in vrf "
		"'default', not in 'a'");
	/* A VRF's gateway is on one of its connected prefixes. */
	expect_err("ports:\n"
		"  - {name: lan0, role: lan, devargs: net_tap0, "
		"addresses: [\"192.0.2.1/24\"]}\n"
		"  - {name: wan1, role: wan, devargs: net_tap1, "
		"addresses: [\"198.51.100.18/28\"]}\n"
		"vrfs:\n  - name: a\n    interfaces: [lan0]\n    routes:\n"
		"      - {prefix: \"0.0.0.0/0\", via: \"198.51.100.17\"}\n",
		"t.yaml:8:36: vrfs[0].routes[0].via: gateway 198.51.100.17 is "
		"not on a connected prefix of vrf 'a'");
	/* Duplicates are per table: the same prefix in two is fine. */
	expect_err(SUBIF_PORTS
		"routes:\n  - {prefix: \"10.0.0.0/8\", port: wan1}\n"
		"vrfs:\n  - name: a\n    interfaces: [lan0]\n    routes:\n"
		"      - {prefix: \"10.0.0.0/8\", port: lan0}\n"
		"      - {prefix: \"10.0.0.0/8\", port: lan0}\n",
		"t.yaml:15:18: vrfs[0].routes[1].prefix: duplicate route (see "
		"vrfs[0].routes[0])");
	/* At most NEP_MAX_VRFS tables, default included. */
	n = (size_t)snprintf(yaml, sizeof(yaml), "%svrfs:\n", SUBIF_PORTS);
	for (unsigned i = 0; i < NEP_MAX_VRFS; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
			"  - {name: v%u}\n", i);
	expect_err(yaml, "t.yaml:24:5: vrfs[15]: too many VRFs besides "
		"'default' (max 15)");
}

/* ---- key positions --------------------------------------------------- */

static const char pos_yaml[] =
	"eal:\n"				  /* 1 */
	"  lcores: \"0-3\"\n"			  /* 2 */
	"  args:\n"				  /* 3 */
	"    - --no-telemetry\n"		  /* 4 */
	"log: {level: debug}\n"			  /* 5 */
	"ports:\n"				  /* 6 */
	"  - name: lan\n"			  /* 7 */
	"    role: lan\n"			  /* 8 */
	"    devargs: net_tap0\n"		  /* 9 */
	"    mac: \"02:00:00:00:00:01\"\n"	  /* 10 */
	"  - name: wan\n"			  /* 11 */
	"    role: wan\n"			  /* 12 */
	"    devargs: net_tap1\n"		  /* 13 */
	"    mtu:   9000\n";			  /* 14 */

static void
expect_pos(const struct nep_config *cfg, const char *key, const char *want)
{
	char buf[128];

	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(nep_config_key_pos(cfg, key, buf, sizeof(buf)), buf);
	if (strcmp(buf, want) != 0)
		fail_msg("%s: got '%s', want '%s'", key, buf, want);
}

static void
test_key_pos(void **state)
{
	struct nep_config *cfg = load(pos_yaml);

	(void)state;
	/* Scalars: where the value starts (a quoted one at its quote). */
	expect_pos(cfg, "eal.lcores", "t.yaml:2:11");
	expect_pos(cfg, "log.level", "t.yaml:5:14");
	expect_pos(cfg, "ports[0].mac", "t.yaml:10:10");
	expect_pos(cfg, "ports[1].mtu", "t.yaml:14:12");
	expect_pos(cfg, "eal.args[0]", "t.yaml:4:7");
	/* Sections and list items: the node itself. */
	expect_pos(cfg, "eal", "t.yaml:2:3");
	expect_pos(cfg, "eal.args", "t.yaml:4:5");
	expect_pos(cfg, "ports", "t.yaml:7:3");
	expect_pos(cfg, "ports[1]", "t.yaml:11:5");
	/* Not in the file (defaults), or no such key: the file alone. */
	expect_pos(cfg, "ports[0].mtu", "t.yaml");
	expect_pos(cfg, "ports[1].mac", "t.yaml");
	expect_pos(cfg, "ports[2]", "t.yaml");
	expect_pos(cfg, "eal.memory_mb", "t.yaml");
	expect_pos(cfg, "dataplane", "t.yaml");
	expect_pos(cfg, "dataplane.burst", "t.yaml");
	expect_pos(cfg, "", "t.yaml");
	expect_pos(cfg, "ports[0].mac.x", "t.yaml");
	expect_pos(cfg, "Ports[0].mac", "t.yaml");
	nep_config_free(cfg);
}

static void
test_key_pos_truncated(void **state)
{
	struct nep_config *cfg = load(pos_yaml);
	char buf[16];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_string_equal(
		nep_config_key_pos(cfg, "ports[0].mac", buf, 8), "t.yaml:");
	assert_int_equal(buf[8], 'x');
	assert_string_equal(
		nep_config_key_pos(cfg, "ports[0].mac", buf, 1), "");
	assert_string_equal(
		nep_config_key_pos(cfg, "eal.no_huge", buf, 4), "t.y");
	/* len 0: nothing is written. */
	buf[0] = 'x';
	assert_ptr_equal(nep_config_key_pos(cfg, "eal", buf, 0), buf);
	assert_int_equal(buf[0], 'x');
	nep_config_free(cfg);
}

/* nep_log_levels[] is indexed by DPDK level - 1; every name loads. */
static void
test_log_levels(void **state)
{
	struct nep_config *cfg;
	char yaml[256];
	unsigned i;

	(void)state;
	assert_int_equal(NEP_N_LOG_LEVELS, RTE_LOG_DEBUG);
	assert_string_equal(nep_log_levels[RTE_LOG_EMERG - 1], "emerg");
	assert_string_equal(nep_log_levels[RTE_LOG_ERR - 1], "err");
	assert_string_equal(nep_log_levels[RTE_LOG_INFO - 1], "info");
	assert_string_equal(nep_log_levels[RTE_LOG_DEBUG - 1], "debug");
	assert_null(nep_log_levels[NEP_N_LOG_LEVELS]);
	for (i = 0; i < NEP_N_LOG_LEVELS; i++) {
		assert_non_null(nep_log_levels[i]);
		snprintf(yaml, sizeof(yaml), "log: {level: %s}\n" PORTS,
			nep_log_levels[i]);
		cfg = load(yaml);
		assert_string_equal(cfg->log_level, nep_log_levels[i]);
		nep_config_free(cfg);
	}
}

/* ---- syntax and structure -------------------------------------------- */

static void
test_err_syntax(void **state)
{
	(void)state;
	expect_err("ports:\n  - name: [lan\n",
		"t.yaml:3:1: (syntax): did not find expected ',' or ']' "
		"(while parsing a flow sequence)");
	expect_err("a: b\n---\nc: d\n",
		"t.yaml:3:1: (syntax): only one YAML document is allowed");
}

/* The limits (issue 16): nesting, a NUL in a string, the file size. */
static void
test_err_limits(void **state)
{
	enum { DEEP = 100000 };
	char *deep = malloc(DEEP * 2 + 8), *big;
	struct nep_config_error err;
	struct nep_config *cfg;
	char path[] = "/tmp/nep-test-big-XXXXXX";
	FILE *f;
	int fd;

	(void)state;
	/* a 100 000-deep flow sequence: refused at the 65th level (the
	 * top mapping and 64 sequences) at once */
	assert_non_null(deep);
	strcpy(deep, "a: ");
	for (unsigned i = 0; i < DEEP; i++)
		deep[3 + i] = '[';
	deep[3 + DEEP] = '\0';
	expect_err(deep, "t.yaml:1:67: (syntax): nested more than 64 levels "
			 "deep");
	free(deep);
	/* 64 levels are fine (and then the key is unknown) */
	{
		char ok[256] = "zz: ";
		size_t n = strlen(ok);

		for (unsigned i = 0; i < 63; i++)
			ok[n++] = '[';
		for (unsigned i = 0; i < 63; i++)
			ok[n++] = ']';
		ok[n++] = '\n';
		ok[n] = '\0';
		expect_err(ok, "t.yaml:1:1: zz: unknown key");
	}
	/* "\0" inside a double-quoted string */
	expect_err(PORTS "management: {socket: \"/run/a\\0b\"}\n",
		"t.yaml:8:22: (syntax): a NUL byte inside a string");
	/* a file over 4 MiB */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	big = calloc(1, 1 << 20);
	assert_non_null(big);
	memset(big, '#', (1 << 20) - 1);
	for (unsigned i = 0; i < 5; i++)
		fprintf(f, "%s\n", big);
	fclose(f);
	free(big);
	cfg = nep_config_load(path, NULL, &err);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, "larger than 4194304 bytes"));
	unlink(path);
}

static void
test_err_unknown_key(void **state)
{
	(void)state;
	expect_err(PORTS "colour: blue\n", "t.yaml:8:1: colour: unknown key");
	expect_err("ports:\n"
		   "  - name: lan\n"
		   "    role: lan\n"
		   "    speed: 10\n"
		   "    devargs: x\n",
		"t.yaml:4:5: ports[0].speed: unknown key");
	/* A feature's key is unknown unless the feature registers it. */
	expect_err(PORTS "uplinks: []\n", "t.yaml:8:1: uplinks: unknown key");
}

static void
test_err_duplicate_key(void **state)
{
	(void)state;
	expect_err("ports:\n"
		   "  - name: lan\n"
		   "    role: lan\n"
		   "    name: lan2\n",
		"t.yaml:4:5: ports[0].name: duplicate key (first at line "
		"2)");
}

static void
test_err_wrong_type(void **state)
{
	(void)state;
	expect_err(PORTS "dataplane:\n  burst: lots\n",
		"t.yaml:9:10: dataplane.burst: expected an integer");
	expect_err(PORTS "dataplane:\n  burst: \"32\"\n",
		"t.yaml:9:10: dataplane.burst: expected an integer");
	expect_err("ports: lan\n", "t.yaml:1:8: ports: expected a list");
	expect_err(PORTS "eal: [a]\n", "t.yaml:8:6: eal: expected a mapping");
	expect_err(PORTS "management:\n  telemetry: maybe\n",
		"t.yaml:9:14: management.telemetry: expected true or "
		"false");
	expect_err(PORTS "routes:\n  - prefix: [a]\n",
		"t.yaml:9:13: routes[0].prefix: expected a string");
	expect_err(PORTS "log:\n  level: verbose\n",
		"t.yaml:9:10: log.level: expected one of emerg, alert, "
		"crit, err, warning, notice, info, debug");
	expect_err("- a\n", "t.yaml:1:1: (root): expected a mapping");
}

static void
test_err_range(void **state)
{
	(void)state;
	expect_err("ports:\n"
		   "  - name: lan\n"
		   "    role: lan\n"
		   "    devargs: x\n"
		   "    mtu: 100\n",
		"t.yaml:5:10: ports[0].mtu: out of range (1280..9000)");
	expect_err(PORTS "dataplane: {burst: -1}\n",
		"t.yaml:8:20: dataplane.burst: out of range (1..64)");
	expect_err(PORTS "dataplane: {punt_ring_size: 1000}\n",
		"t.yaml:8:29: dataplane.punt_ring_size: not a power of two");
}

/* ---- values ---------------------------------------------------------- */

static void
test_err_bad_address(void **state)
{
	(void)state;
	expect_err(PORTS "routes:\n  - {prefix: \"::/0\", via: \"fe80::zz\"}\n",
		"t.yaml:9:27: routes[0].via: bad address 'fe80::zz'");
	expect_err("ports:\n"
		   "  - name: lan\n"
		   "    role: lan\n"
		   "    devargs: x\n"
		   "    addresses: [\"fd00::1/64\", \"fd00::2\"]\n",
		"t.yaml:5:31: ports[0].addresses[1]: bad address 'fd00::2' "
		"(expected ADDR/LEN)");
	expect_err("ports:\n"
		   "  - name: lan\n"
		   "    role: lan\n"
		   "    devargs: x\n"
		   "    addresses: [\"10.0.0.1/33\"]\n",
		"t.yaml:5:17: ports[0].addresses[0]: bad prefix length in "
		"'10.0.0.1/33'");
}

static void
test_err_bad_prefix(void **state)
{
	(void)state;
	expect_err(PORTS "routes:\n  - prefix: 2001:db8::/129\n    port: lan\n",
		"t.yaml:9:13: routes[0].prefix: bad prefix length in "
		"'2001:db8::/129'");
	expect_err(PORTS "routes:\n  - prefix: 2001:db8::1/64\n    port: lan\n",
		"t.yaml:9:13: routes[0].prefix: host bits set in prefix "
		"'2001:db8::1/64'");
	expect_err(PORTS "routes:\n  - prefix: \"2001:db8::\"\n    port: lan\n",
		"t.yaml:9:13: routes[0].prefix: bad prefix '2001:db8::' "
		"(expected ADDR/LEN)");
}

static void
test_err_bad_mac(void **state)
{
	(void)state;
	expect_err("ports:\n"
		   "  - name: lan\n"
		   "    role: lan\n"
		   "    devargs: x\n"
		   "    mac: 02:00:00:00:00\n",
		"t.yaml:5:10: ports[0].mac: bad MAC address "
		"'02:00:00:00:00'");
	expect_err("ports:\n"
		   "  - name: lan\n"
		   "    role: lan\n"
		   "    devargs: x\n"
		   "    mac: \"01:00:5e:00:00:01\"\n",
		"t.yaml:5:10: ports[0].mac: not a unicast MAC address "
		"'01:00:5e:00:00:01'");
	expect_err(PORTS "neighbors:\n  static:\n"
			 "    - {port: lan, address: 10.0.0.2, mac: "
			 "02-00-00-00-00-02}\n",
		"t.yaml:10:43: neighbors.static[0].mac: bad MAC address "
		"'02-00-00-00-00-02'");
}

static void
test_err_duplicate_names(void **state)
{
	(void)state;
	expect_err("ports:\n"
		   "  - {name: lan, role: lan, devargs: a}\n"
		   "  - {name: lan, role: wan, devargs: b}\n",
		"t.yaml:3:12: ports[1].name: duplicate port name 'lan'");
	expect_err("ports:\n"
		   "  - {name: a, role: lan, devargs: \"0000:03:00.0\"}\n"
		   "  - {name: b, role: wan, devargs: \"03:00.0,x=1\"}\n",
		"t.yaml:3:35: ports[1].devargs: device '0000:03:00.0' "
		"already used by port 'a'");
}

static void
test_err_unknown_refs(void **state)
{
	(void)state;
	expect_err(PORTS "routes:\n  - {prefix: \"10.0.0.0/8\", port: lam}\n",
		"t.yaml:9:34: routes[0].port: unknown port 'lam'");
	expect_err(PORTS "neighbors:\n  static:\n"
			 "    - {port: eth0, address: 10.0.0.2, "
			 "mac: \"02:00:00:00:00:02\"}\n",
		"t.yaml:10:14: neighbors.static[0].port: unknown port "
		"'eth0'");
}

static void
test_err_missing_required(void **state)
{
	(void)state;
	expect_err("ports:\n"
		   "  - name: lan\n"
		   "    role: lan\n",
		"t.yaml:2:5: ports[0]: missing required key 'devargs'");
	expect_err("eal: {lcores: \"0-1\"}\n",
		"t.yaml:1:1: (root): missing required key 'ports'");
	expect_err("", "t.yaml:1:1: (root): missing required key 'ports'");
}

static void
test_err_no_ports(void **state)
{
	(void)state;
	expect_err("ports: []\n",
		"t.yaml:1:8: ports: at least one port is required");
}

/* ---- semantics ------------------------------------------------------- */

static void
test_err_route_family(void **state)
{
	(void)state;
	expect_err(PORTS "routes:\n  - prefix: \"::/0\"\n    via: 10.0.0.1\n",
		"t.yaml:10:10: routes[0].via: address family of via does "
		"not match the prefix");
	expect_err(PORTS "routes:\n  - prefix: \"2001:db8::/32\"\n",
		"t.yaml:9:5: routes[0]: missing required key 'port' (route "
		"without 'via')");
	expect_err(PORTS "routes:\n  - {prefix: \"::/0\", via: \"fe80::1\"}\n",
		"t.yaml:9:27: routes[0].via: a link-local via needs 'port'");
}

/* ---- driver presets -------------------------------------------------- */

static char tmpdir[64];

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int
presets_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/nep-drivers-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	write_file(tmpdir, "fast.yaml",
		"driver: fast\n"
		"description: a test preset\n"
		"rx_queues: 4\n"
		"rx_desc: 2048\n"
		"eal_args: [\"--no-pci\", \"--vdev-extra\"]\n"
		"devargs_example: net_null0\n");
	write_file(tmpdir, "typo.yaml",
		"driver: typo\n"
		"rx_queus: 4\n");
	write_file(tmpdir, "other.yaml", "driver: fast\n");
	return 0;
}

static int
presets_teardown(void **state)
{
	const char *names[] = {"fast.yaml", "typo.yaml", "other.yaml"};
	char path[256];
	unsigned i;

	(void)state;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

static void
test_preset_load(void **state)
{
	struct nep_config_error err;
	struct nep_config *cfg;

	(void)state;
	cfg = nep_config_load_string("t.yaml",
		"eal: {args: [\"--first\"]}\n"
		"ports:\n"
		"  - {name: a, role: lan, driver: fast, devargs: net_null0}\n"
		"  - {name: b, role: wan, driver: fast, devargs: net_null1,\n"
		"     rx_queues: 2, tx_desc: 256}\n",
		tmpdir, &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->ports[0].driver, "fast");
	assert_int_equal(cfg->ports[0].rx_queues, 4);
	assert_int_equal(cfg->ports[0].rx_desc, 2048);
	assert_int_equal(cfg->ports[0].tx_desc, 1024); /* not in preset */
	/* Explicit port values override the preset. */
	assert_int_equal(cfg->ports[1].rx_queues, 2);
	assert_int_equal(cfg->ports[1].rx_desc, 2048);
	assert_int_equal(cfg->ports[1].tx_desc, 256);
	/* Preset EAL args once, after eal.args. */
	assert_int_equal(cfg->n_eal_args, 3);
	assert_string_equal(cfg->eal_args[0], "--first");
	assert_string_equal(cfg->eal_args[1], "--no-pci");
	assert_string_equal(cfg->eal_args[2], "--vdev-extra");
	/* Only the main file's keys have positions, not the preset's. */
	expect_pos(cfg, "ports[1].rx_queues", "t.yaml:5:17");
	expect_pos(cfg, "ports[0].rx_queues", "t.yaml");
	expect_pos(cfg, "rx_queues", "t.yaml");
	expect_pos(cfg, "eal_args[0]", "t.yaml");
	nep_config_free(cfg);
}

static void
test_preset_errors(void **state)
{
	char want[512];

	(void)state;
	expect_err_dir("ports:\n"
		       "  - {name: a, role: lan, driver: nosuch, devargs: x}\n",
		tmpdir,
		"t.yaml:2:34: ports[0].driver: no preset "
		"drivers-config/nosuch.yaml");
	snprintf(want, sizeof(want), "%s/typo.yaml:2:1: rx_queus: unknown key",
		tmpdir);
	expect_err_dir("ports:\n"
		       "  - {name: a, role: lan, driver: typo, devargs: x}\n",
		tmpdir, want);
	snprintf(want, sizeof(want),
		"%s/other.yaml:1:9: driver: driver 'fast' does not match "
		"the file name 'other.yaml'",
		tmpdir);
	expect_err_dir("ports:\n"
		       "  - {name: a, role: lan, driver: other, devargs: x}\n",
		tmpdir, want);
	expect_err_dir(
		"ports:\n"
		"  - {name: a, role: lan, driver: ../fast, devargs: x}\n",
		tmpdir,
		"t.yaml:2:34: ports[0].driver: bad driver name "
		"'../fast'");
}

/* The presets shipped in drivers-config/ must all load. */
static void
test_shipped_presets(void **state)
{
	static const char *const names[] = {
		"net_tap",
		"virtio_user",
		"af_packet",
		"net_pcap",
		"net_null",
		"pci_vfio",
	};
	struct nep_config_error err;
	struct nep_config *cfg;
	char yaml[256];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			"ports:\n  - {name: a, role: lan, driver: %s, "
			"devargs: \"%s\"}\n",
			names[i],
			strcmp(names[i], "pci_vfio") ? "x0" : "0000:01:00.0");
		cfg = nep_config_load_string("t.yaml", yaml, NULL, &err);
		if (cfg == NULL)
			fail_msg("%s: %s", names[i], err.msg);
		assert_string_equal(cfg->ports[0].driver, names[i]);
		nep_config_free(cfg);
	}
}

/* ---- sections registered by a feature -------------------------------- */

/*
 * Two fake sections, registered like a feature's: `widgets` uses every
 * helper of nep_config_section.h; `gadgets`, registered after it, reads
 * the widgets object (registration order) and the ports (core first).
 */
struct widgets {
	uint32_t size;
	uint16_t small;
	bool enabled;
	char label[16];
	char name[NEP_NAME_MAX];
	int port;
	int colour;
	struct nep_addr via;
	struct nep_prefix net;
	struct nep_ifaddr self;
	uint32_t depth;			/* widgets.sub.depth */
	unsigned n_items;
	char items[3][8];
	char raw[16];			/* nep_cfg_scalar() of widgets.raw */
	bool need_gadgets;
};

struct gadgets {
	uint32_t count;
	bool saw_widgets;		/* widgets parsed before gadgets */
	unsigned n_ports;		/* ports parsed before both */
};

static int widgets_id = -1, gadgets_id = -1;
static unsigned widgets_null_calls, n_freed;

static const char *const widget_keys[] = {"size", "small", "enabled",
	"label", "name", "port", "colour", "via", "net", "self", "sub",
	"items", "raw", "need_gadgets", NULL};
static const char *const sub_keys[] = {"depth", NULL};
static const char *const colours[] = {"red", "green", NULL};
static const char *const gadget_keys[] = {"count", NULL};

static void
parse_widgets(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	char p[NEP_CFG_PATH_MAX], ip[NEP_CFG_PATH_MAX];
	const struct nep_cfg_map *m, *sub;
	const struct nep_cfg_node *v;
	struct widgets *w;
	const char *s;
	unsigned i;

	if (node == NULL) {
		widgets_null_calls++;
		return; /* nothing stored: nep_config_section() gives NULL */
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		nep_cfg_fail(c, node, "widgets", "out of memory");
	*obj = w;
	w->size = 1;
	w->port = -1;
	m = nep_cfg_map_open(c, node, "widgets", widget_keys);
	assert_string_equal(nep_cfg_map_path(m), "widgets");
	nep_cfg_get_u32(m, "size", 1, 100, &w->size);
	nep_cfg_get_u16(m, "small", 0, 9, &w->small);
	w->enabled = true;
	nep_cfg_get_bool(m, "enabled", &w->enabled);
	v = nep_cfg_req(m, "label");
	nep_cfg_copy_str(c, v, nep_cfg_path_key(p, "widgets", "label"),
		w->label, sizeof(w->label));
	v = nep_cfg_get(m, "name");
	if (v != NULL)
		nep_cfg_name(c, v, nep_cfg_path_key(p, "widgets", "name"),
			w->name);
	v = nep_cfg_get(m, "port");
	if (v != NULL)
		w->port = nep_cfg_port(c, v,
			nep_cfg_path_key(p, "widgets", "port"));
	v = nep_cfg_get(m, "colour");
	w->colour = v == NULL ? -1 : nep_cfg_enum(c, v,
		nep_cfg_path_key(p, "widgets", "colour"), colours,
		"red or green");
	v = nep_cfg_get(m, "via");
	if (v != NULL)
		nep_cfg_addr(c, v, nep_cfg_path_key(p, "widgets", "via"),
			&w->via);
	v = nep_cfg_get(m, "net");
	if (v != NULL)
		nep_cfg_prefix(c, v, nep_cfg_path_key(p, "widgets", "net"),
			&w->net);
	v = nep_cfg_get(m, "self");
	if (v != NULL)
		nep_cfg_ifaddr(c, v, nep_cfg_path_key(p, "widgets", "self"),
			&w->self);
	sub = nep_cfg_map_sub(m, "sub", sub_keys);
	assert_string_equal(nep_cfg_map_path(sub), "widgets.sub");
	nep_cfg_get_u32(sub, "depth", 0, 5, &w->depth);
	v = nep_cfg_get(m, "items");
	if (v != NULL) {
		nep_cfg_path_key(p, "widgets", "items");
		w->n_items = nep_cfg_seq(c, v, p, 3, "items");
		for (i = 0; i < w->n_items; i++) {
			const struct nep_cfg_node *it = nep_cfg_seq_item(c, v, i);

			s = nep_cfg_str(c, it, nep_cfg_path_index(ip, p, i));
			if (strlen(s) >= sizeof(w->items[i]))
				nep_cfg_fail(c, it, ip, "item too long");
			snprintf(w->items[i], sizeof(w->items[i]), "%s", s);
		}
	}
	/* The text lives while the parser runs: copy it. */
	s = nep_cfg_scalar(nep_cfg_get(m, "raw"));
	if (s != NULL && strcmp(s, "boom") == 0)
		nep_cfg_fail(c, nep_cfg_get(m, "raw"), "widgets.raw",
			"went %s", "boom");
	snprintf(w->raw, sizeof(w->raw), "%s", s != NULL ? s : "");
	nep_cfg_get_bool(m, "need_gadgets", &w->need_gadgets);
}

static void
parse_gadgets(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	const struct nep_config *cfg = nep_cfg_config(c);
	const struct widgets *w = nep_config_section(cfg, widgets_id);
	const struct nep_cfg_map *m;
	struct gadgets *g;

	if (node == NULL && w != NULL && w->need_gadgets)
		nep_cfg_fail(c, NULL, "gadgets", "required by widgets");
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		nep_cfg_fail(c, node, "gadgets", "out of memory");
	*obj = g;
	g->saw_widgets = w != NULL;
	g->n_ports = cfg->n_ports;
	m = nep_cfg_map_open(c, node, "gadgets", gadget_keys);
	nep_cfg_get_u32(m, "count", 0, 1000, &g->count);
	if (w != NULL && g->count > w->size)
		nep_cfg_fail(c, nep_cfg_get(m, "count"), "gadgets.count",
			"more gadgets than widgets.size (%u)", w->size);
}

static void
free_section(void *obj)
{
	n_freed++;
	free(obj);
}

static void __attribute__((constructor))
register_fake_sections(void)
{
	widgets_id = nep_config_section_register("widgets", parse_widgets,
		free_section);
	gadgets_id = nep_config_section_register("gadgets", parse_gadgets,
		free_section);
}

static const char widgets_yaml[] =
	"widgets:\n"				/* 1: before ports */
	"  size: 7\n"				/* 2 */
	"  small: 4\n"				/* 3 */
	"  enabled: false\n"			/* 4 */
	"  label: hello\n"			/* 5 */
	"  name: w-1.a_b\n"			/* 6 */
	"  port: wan\n"				/* 7 */
	"  colour: green\n"			/* 8 */
	"  via: 2001:db8::1\n"			/* 9 */
	"  net: 2001:db8::/32\n"		/* 10 */
	"  self: 2001:db8::5/64\n"		/* 11 */
	"  sub: {depth: 3}\n"			/* 12 */
	"  items: [a, bb, ccc]\n"		/* 13 */
	"  raw: \"quoted\"\n"			/* 14 */
	PORTS					/* 15-21 */
	"gadgets: {count: 7}\n";		/* 22 */

static void
test_section_parsed(void **state)
{
	const struct widgets *w;
	const struct gadgets *g;
	struct nep_config *cfg;
	unsigned freed = n_freed;
	char buf[64];

	(void)state;
	assert_int_equal(widgets_id, 0);
	assert_int_equal(gadgets_id, 1);
	cfg = load(widgets_yaml);
	w = nep_config_section(cfg, widgets_id);
	g = nep_config_section(cfg, gadgets_id);
	assert_non_null(w);
	assert_non_null(g);
	assert_int_equal(w->size, 7);
	assert_int_equal(w->small, 4);
	assert_false(w->enabled);
	assert_string_equal(w->label, "hello");
	assert_string_equal(w->name, "w-1.a_b");
	assert_int_equal(w->port, 1); /* by name, though before ports: */
	assert_int_equal(w->colour, 1);
	assert_string_equal(nep_addr_str(&w->via, buf, sizeof(buf)),
		"2001:db8::1");
	assert_string_equal(nep_prefix_str(&w->net, buf, sizeof(buf)),
		"2001:db8::/32");
	assert_int_equal(w->self.len, 64);
	assert_int_equal(w->self.addr.a[15], 5);
	assert_int_equal(w->depth, 3);
	assert_int_equal(w->n_items, 3);
	assert_string_equal(w->items[2], "ccc");
	assert_string_equal(w->raw, "quoted");
	assert_int_equal(g->count, 7);
	assert_true(g->saw_widgets);
	assert_int_equal(g->n_ports, 2);
	/* Bad ids are no sections. */
	assert_null(nep_config_section(cfg, -1));
	assert_null(nep_config_section(cfg, NEP_CONFIG_MAX_SECTIONS));
	assert_null(nep_config_section(cfg, NEP_CONFIG_MAX_SECTIONS - 1));
	/* Key positions cover the sections' keys as the core's. */
	expect_pos(cfg, "widgets", "t.yaml:2:3");
	expect_pos(cfg, "widgets.size", "t.yaml:2:9");
	expect_pos(cfg, "widgets.raw", "t.yaml:14:8");
	expect_pos(cfg, "widgets.sub.depth", "t.yaml:12:16");
	expect_pos(cfg, "widgets.items", "t.yaml:13:10");
	expect_pos(cfg, "widgets.items[1]", "t.yaml:13:14");
	expect_pos(cfg, "gadgets.count", "t.yaml:22:18");
	expect_pos(cfg, "ports[1].name", "t.yaml:19:11");
	expect_pos(cfg, "widgets.sub.width", "t.yaml");
	nep_config_free(cfg);
	assert_int_equal(n_freed, freed + 2);
}

static void
test_section_absent(void **state)
{
	unsigned calls = widgets_null_calls, freed = n_freed;
	const struct gadgets *g;
	struct nep_config *cfg;

	(void)state;
	/* Absent: the parser runs with a NULL node (defaults). */
	cfg = load(PORTS);
	assert_int_equal(widgets_null_calls, calls + 1);
	assert_null(nep_config_section(cfg, widgets_id));
	g = nep_config_section(cfg, gadgets_id);
	assert_non_null(g);
	assert_false(g->saw_widgets);
	assert_int_equal(g->count, 0);
	expect_pos(cfg, "widgets", "t.yaml");
	nep_config_free(cfg);
	assert_int_equal(n_freed, freed + 1);
	/* Present but null: a node (an empty mapping), not NULL. */
	cfg = load(PORTS "widgets:\n  label: x\ngadgets:\n");
	assert_int_equal(widgets_null_calls, calls + 1);
	assert_non_null(nep_config_section(cfg, widgets_id));
	g = nep_config_section(cfg, gadgets_id);
	assert_true(g->saw_widgets);
	nep_config_free(cfg);
}

static void
test_section_errors(void **state)
{
	unsigned freed;

	(void)state;
	/* An unknown top-level key is still refused, beside registered ones. */
	expect_err(PORTS "widgets: {label: x}\ngizmos: 1\n",
		"t.yaml:9:1: gizmos: unknown key");
	expect_err("gizmos: 1\n" PORTS, "t.yaml:1:1: gizmos: unknown key");
	expect_err(PORTS "widgets: {label: x}\nwidgets: {label: y}\n",
		"t.yaml:9:1: widgets: duplicate key (first at line 8)");
	/* The core's messages and positions, with the section's paths. */
	expect_err(PORTS "widgets: [a]\n",
		"t.yaml:8:10: widgets: expected a mapping");
	expect_err(PORTS "widgets: {label: x, sizes: 1}\n",
		"t.yaml:8:21: widgets.sizes: unknown key");
	expect_err(PORTS "widgets:\n  size: 5\n",
		"t.yaml:9:3: widgets: missing required key 'label'");
	expect_err(PORTS "widgets: {label: x, size: lots}\n",
		"t.yaml:8:27: widgets.size: expected an integer");
	expect_err(PORTS "widgets: {label: x, size: 101}\n",
		"t.yaml:8:27: widgets.size: out of range (1..100)");
	expect_err(PORTS "widgets: {label: x, small: 10}\n",
		"t.yaml:8:28: widgets.small: out of range (0..9)");
	expect_err(PORTS "widgets: {label: x, enabled: maybe}\n",
		"t.yaml:8:30: widgets.enabled: expected true or false");
	expect_err(PORTS "widgets: {label: \"\"}\n",
		"t.yaml:8:18: widgets.label: expected a non-empty string");
	expect_err(PORTS "widgets: {label: abcdefghijklmnop}\n",
		"t.yaml:8:18: widgets.label: too long (max 15 characters)");
	expect_err(PORTS "widgets: {label: x, name: \"a b\"}\n",
		"t.yaml:8:27: widgets.name: bad name 'a b' (letters, digits, "
		"'-', '_', '.')");
	expect_err(PORTS "widgets: {label: x, port: lam}\n",
		"t.yaml:8:27: widgets.port: unknown port 'lam'");
	expect_err(PORTS "widgets: {label: x, colour: blue}\n",
		"t.yaml:8:29: widgets.colour: expected red or green");
	expect_err(PORTS "widgets: {label: x, via: fe80::zz}\n",
		"t.yaml:8:26: widgets.via: bad address 'fe80::zz'");
	expect_err(PORTS "widgets: {label: x, net: 2001:db8::1/32}\n",
		"t.yaml:8:26: widgets.net: host bits set in prefix "
		"'2001:db8::1/32'");
	expect_err(PORTS "widgets: {label: x, self: 2001:db8::1}\n",
		"t.yaml:8:27: widgets.self: bad address '2001:db8::1' "
		"(expected ADDR/LEN)");
	expect_err(PORTS "widgets: {label: x, sub: {depth: 6}}\n",
		"t.yaml:8:34: widgets.sub.depth: out of range (0..5)");
	expect_err(PORTS "widgets: {label: x, sub: {width: 6}}\n",
		"t.yaml:8:27: widgets.sub.width: unknown key");
	expect_err(PORTS "widgets: {label: x, items: a}\n",
		"t.yaml:8:28: widgets.items: expected a list");
	expect_err(PORTS "widgets: {label: x, items: [a, b, c, d]}\n",
		"t.yaml:8:38: widgets.items[3]: too many items (max 3)");
	expect_err(PORTS "widgets: {label: x, items: [a, [b]]}\n",
		"t.yaml:8:32: widgets.items[1]: expected a string");
	expect_err(PORTS "widgets: {label: x, items: [abcdefgh]}\n",
		"t.yaml:8:29: widgets.items[0]: item too long");
	/* The section's own messages; NULL node: the top of the file. */
	expect_err(PORTS "widgets: {label: x, raw: boom}\n",
		"t.yaml:8:26: widgets.raw: went boom");
	expect_err(PORTS "widgets: {label: x, need_gadgets: true}\n",
		"t.yaml:1:1: gadgets: required by widgets");
	expect_err(PORTS "widgets: {label: x, size: 2}\ngadgets: {count: 3}\n",
		"t.yaml:9:18: gadgets.count: more gadgets than widgets.size "
		"(2)");
	/* Core sections come first: their errors win. */
	expect_err("widgets: {size: x}\n" PORTS "routes: [{prefix: x}]\n",
		"t.yaml:9:19: routes[0].prefix: bad prefix 'x' (expected "
		"ADDR/LEN)");
	/* A failed load frees what the sections had stored. */
	freed = n_freed;
	expect_err(PORTS "widgets: {label: x, size: 2}\ngadgets: {count: 3}\n",
		"t.yaml:9:18: gadgets.count: more gadgets than widgets.size "
		"(2)");
	assert_int_equal(n_freed, freed + 2);
	freed = n_freed;
	expect_err(PORTS "widgets: {label: x, raw: boom}\n",
		"t.yaml:8:26: widgets.raw: went boom");
	assert_int_equal(n_freed, freed + 1);
}

static void
noop_parse(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	(void)c;
	(void)node;
	(void)obj;
}

/* Last: fills the registry. */
static void
test_section_register(void **state)
{
	static char keys[NEP_CONFIG_MAX_SECTIONS][16];
	struct nep_config *cfg;
	int i, rc;

	(void)state;
	assert_int_equal(nep_config_section_register(NULL, noop_parse, NULL),
		-EINVAL);
	assert_int_equal(nep_config_section_register("", noop_parse, NULL),
		-EINVAL);
	assert_int_equal(nep_config_section_register("extra", NULL, NULL),
		-EINVAL);
	assert_int_equal(nep_config_section_register("ports", noop_parse,
				 NULL), -EEXIST);
	assert_int_equal(nep_config_section_register("routes", noop_parse,
				 NULL), -EEXIST);
	assert_int_equal(nep_config_section_register("widgets", noop_parse,
				 NULL), -EEXIST);
	for (i = 2; i < NEP_CONFIG_MAX_SECTIONS; i++) {
		snprintf(keys[i], sizeof(keys[i]), "extra%d", i);
		assert_int_equal(nep_config_section_register(keys[i],
					 noop_parse, NULL), i);
	}
	rc = nep_config_section_register("one_more", noop_parse, NULL);
	assert_int_equal(rc, -ENOSPC);
	/* Every registered key is accepted, all at once. */
	cfg = load(PORTS "widgets: {label: x}\ngadgets: {}\n"
			 "extra2: 1\nextra9: [a]\nextra15: {b: c}\n");
	assert_non_null(nep_config_section(cfg, widgets_id));
	assert_null(nep_config_section(cfg, 15));
	nep_config_free(cfg);
	expect_err(PORTS "one_more: 1\n", "t.yaml:8:1: one_more: unknown key");
}

/* ---- files and helpers ----------------------------------------------- */

static void
test_load_file(void **state)
{
	struct nep_config_error err;
	struct nep_config *cfg;
	char path[] = "/tmp/nep-config-XXXXXX";
	char want[512];
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, PORTS "mtu: 1\n", strlen(PORTS) + 7),
		(ssize_t)(strlen(PORTS) + 7));
	close(fd);
	cfg = nep_config_load(path, no_drivers, &err);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s:8:1: mtu: unknown key", path);
	assert_string_equal(err.msg, want);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(
		write(fd, PORTS, strlen(PORTS)), (ssize_t)strlen(PORTS));
	close(fd);
	cfg = nep_config_load(path, no_drivers, &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->path, path);
	snprintf(want, sizeof(want), "%s:6:11", path);
	expect_pos(cfg, "ports[1].role", want);
	expect_pos(cfg, "ports[1].mtu", path);
	nep_config_free(cfg);
	unlink(path);

	assert_null(nep_config_load(path, no_drivers, &err));
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err.msg, want);
}

static void
test_addr_helpers(void **state)
{
	struct nep_prefix p;
	struct nep_ifaddr ifa;
	struct nep_addr a, unset;
	char buf[64];

	(void)state;
	assert_int_equal(nep_addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(nep_addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.a[0], 192);
	assert_int_equal(a.a[3], 1);
	assert_true(nep_addr_parse("192.0.2", &a) < 0);
	assert_true(nep_addr_parse("::ffff::1", &a) < 0);
	assert_true(nep_addr_parse("", &a) < 0);

	assert_int_equal(nep_prefix_parse("2001:db8::/32", &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(nep_prefix_parse("2001:db8::1/64", &p), -EDOM);
	assert_int_equal(nep_prefix_parse("2001:db8::/129", &p), -ERANGE);
	assert_int_equal(nep_prefix_parse("10.0.0.0/33", &p), -ERANGE);
	assert_int_equal(nep_prefix_parse("10.0.0.0/-1", &p), -ERANGE);
	assert_int_equal(nep_prefix_parse("10.0.0.0/", &p), -ERANGE);
	assert_int_equal(nep_prefix_parse("10.0.0.0", &p), -EINVAL);
	assert_int_equal(nep_prefix_parse("10.0.0.128/25", &p), 0);
	assert_int_equal(nep_prefix_parse("10.0.0.64/25", &p), -EDOM);
	assert_int_equal(nep_prefix_parse("0.0.0.0/0", &p), 0);
	assert_int_equal(nep_prefix_parse("::/0", &p), 0);
	assert_string_equal(nep_prefix_str(&p, buf, sizeof(buf)), "::/0");

	assert_int_equal(nep_ifaddr_parse("2001:db8::1/64", &ifa), 0);
	assert_int_equal(ifa.len, 64);
	assert_int_equal(ifa.addr.a[15], 1);
	assert_int_equal(nep_ifaddr_parse("2001:db8::1/0", &ifa), -ERANGE);
	assert_int_equal(nep_ifaddr_parse("2001:db8::1", &ifa), -EINVAL);

	assert_int_equal(nep_prefix_parse("2001:db8:80::/41", &p), 0);
	addr6("2001:db8:ff::1", &a);
	assert_true(nep_prefix_contains(&p, &a));
	addr6("2001:db8:100::1", &a);
	assert_false(nep_prefix_contains(&p, &a));
	assert_int_equal(nep_prefix_parse("0.0.0.0/0", &p), 0);
	assert_false(nep_prefix_contains(&p, &a)); /* family differs */
	assert_int_equal(nep_addr_parse("8.8.8.8", &a), 0);
	assert_true(nep_prefix_contains(&p, &a));

	memset(&unset, 0, sizeof(unset));
	assert_string_equal(nep_addr_str(&unset, buf, sizeof(buf)), "-");
	assert_string_equal(nep_addr_str(&a, buf, sizeof(buf)), "8.8.8.8");
}

static void
test_pci_detection(void **state)
{
	static const struct {
		const char *devargs;
		bool pci;
	} cases[] = {
		{"0000:03:00.0", true},
		{"03:00.1", true},
		{"0000:AF:1f.7", true},
		{"0000:03:00.0,rxq_pkt_sz=1", true},
		{"0000:03:20.0", false}, /* device is 5 bits */
		{"0000:03:00.8", false}, /* function is 3 bits */
		{"net_tap0,iface=x", false},
		{"03:00", false},
	};
	struct nep_config_error err;
	struct nep_config *cfg;
	char yaml[256];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			"ports: [{name: a, role: lan, devargs: \"%s\"}]\n",
			cases[i].devargs);
		cfg = nep_config_load_string("t.yaml", yaml, no_drivers, &err);
		if (cfg == NULL)
			fail_msg("%s", err.msg);
		if (cfg->ports[0].is_pci != cases[i].pci)
			fail_msg("%s: is_pci %d", cases[i].devargs,
				cfg->ports[0].is_pci);
		nep_config_free(cfg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_vlan_vrf_good),
		cmocka_unit_test(test_err_vlan),
		cmocka_unit_test(test_err_vrf),
		cmocka_unit_test(test_key_pos),
		cmocka_unit_test(test_key_pos_truncated),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_limits),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_duplicate_key),
		cmocka_unit_test(test_err_wrong_type),
		cmocka_unit_test(test_err_range),
		cmocka_unit_test(test_err_bad_address),
		cmocka_unit_test(test_err_bad_prefix),
		cmocka_unit_test(test_err_bad_mac),
		cmocka_unit_test(test_err_duplicate_names),
		cmocka_unit_test(test_err_unknown_refs),
		cmocka_unit_test(test_err_missing_required),
		cmocka_unit_test(test_err_no_ports),
		cmocka_unit_test(test_err_route_family),
		cmocka_unit_test(test_shipped_presets),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_addr_helpers),
		cmocka_unit_test(test_pci_detection),
	};
	const struct CMUnitTest section_tests[] = {
		cmocka_unit_test(test_section_parsed),
		cmocka_unit_test(test_section_absent),
		cmocka_unit_test(test_section_errors),
		cmocka_unit_test(test_section_register),
	};
	const struct CMUnitTest preset_tests[] = {
		cmocka_unit_test(test_preset_load),
		cmocka_unit_test(test_preset_errors),
	};
	int rc;

	rc = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	rc += cmocka_run_group_tests_name("config_sections", section_tests,
		NULL, NULL);
	rc += cmocka_run_group_tests_name("config_presets", preset_tests,
		presets_setup, presets_teardown);
	return rc;
}
