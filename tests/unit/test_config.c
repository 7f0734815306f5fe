/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config: a full config parses with the right values and defaults, and
 * each kind of mistake is reported as "file:line:col: key.path: message".
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

/* Lines 1-7 of most bad configs: a lan and a wan port. */
#define PORTS                                                                  \
	"ports:\n"                                                             \
	"  - name: lan\n"                                                      \
	"    role: lan\n"                                                      \
	"    devargs: net_tap0,iface=nl\n"                                     \
	"  - name: wan\n"                                                      \
	"    role: wan\n"                                                      \
	"    devargs: net_tap1,iface=nw\n"

/* Lines 8-12: one uplink on the wan port. */
#define UPLINK                                                                 \
	"uplinks:\n"                                                           \
	"  - name: isp1\n"                                                     \
	"    port: wan\n"                                                      \
	"    next_hop: fe80::1\n"                                              \
	"    delegated_prefix: 2001:db8:1::/48\n"

/* Lines 13-15: steering with one inside prefix, then policies. */
#define STEERING                                                               \
	"steering:\n"                                                          \
	"  inside_prefixes: [fd00:1::/48]\n"                                   \
	"  policies:\n"

static const char *no_drivers = "/nonexistent-neptune-drivers";

static struct nep_config *
load(const char *yaml)
{
	struct nep_config_error err;
	struct nep_config *cfg;

	cfg = nep_config_load_string("t.yaml", yaml, no_drivers, &err);
	if (cfg == NULL)
		fail_msg("unexpected error: %s", err.msg);
	return cfg;
}

static void
expect_err_dir(const char *yaml, const char *dir, const char *want)
{
	struct nep_config_error err;
	struct nep_config *cfg;

	memset(&err, 0, sizeof(err));
	cfg = nep_config_load_string("t.yaml", yaml, dir, &err);
	if (cfg != NULL) {
		nep_config_free(cfg);
		fail_msg("loaded, expected error: %s", want);
	}
	assert_string_equal(err.msg, want);
}

static void
expect_err(const char *yaml, const char *want)
{
	expect_err_dir(yaml, no_drivers, want);
}

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
	"  - {prefix: \"2001:db8:99::/48\", via: \"fe80::9\", port: wan2}\n"
	"uplinks:\n"
	"  - name: isp1\n"
	"    port: wan1\n"
	"    next_hop: \"fe80::1\"\n"
	"    next_hop_v4: 198.51.100.1\n"
	"    delegated_prefix: \"2001:db8:1::/48\"\n"
	"    weight: 3\n"
	"    health:\n"
	"      targets: [\"2001:4860:4860::8888\", \"2606:4700:4700::1111\"]\n"
	"      interval_ms: 200\n"
	"      reliability: 2\n"
	"      max_loss_pct: 10\n"
	"  - name: isp2\n"
	"    port: wan2\n"
	"    next_hop: \"fe80::2\"\n"
	"    delegated_prefix: \"2001:db8:2::/56\"\n"
	"    role: backup\n"
	"steering:\n"
	"  inside_prefixes: [\"fd00:1::/48\"]\n"
	"  excluded_destination_prefixes: [\"fd00::/8\", \"10.0.0.0/8\"]\n"
	"  flow_timeout_s: 60\n"
	"  policies:\n"
	"    - name: web\n"
	"      destination: \"2001:db8:80::/48\"\n"
	"      source: \"fd00:1:0:5::/64\"\n"
	"      protocol: tcp\n"
	"      destination_ports: 443\n"
	"      source_ports: 1024-65535\n"
	"      mode: strict\n"
	"      uplink: isp2\n"
	"    - protocol: 17\n"
	"      dscp: 46\n"
	"      mode: preferred\n"
	"      uplink: isp1\n"
	"    - protocol: icmpv6\n"
	"      destination_ports: \"53\"\n"
	"      mode: balanced\n";

static void
test_good_full(void **state)
{
	struct nep_config *cfg = load(good_yaml);
	const struct nep_uplink_conf *u;
	const struct nep_policy_conf *p;
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

	/* uplinks */
	assert_int_equal(cfg->n_uplinks, 2);
	u = &cfg->uplinks[0];
	assert_string_equal(u->name, "isp1");
	assert_int_equal(u->port, 1);
	assert_string_equal(
		nep_addr_str(&u->next_hop, buf, sizeof(buf)), "fe80::1");
	assert_string_equal(
		nep_addr_str(&u->next_hop4, buf, sizeof(buf)), "198.51.100.1");
	assert_string_equal(nep_prefix_str(&u->delegated, buf, sizeof(buf)),
		"2001:db8:1::/48");
	assert_int_equal(u->role, NEP_UPLINK_PRIMARY);
	assert_int_equal(u->weight, 3);
	assert_int_equal(u->health.n_targets, 2);
	assert_string_equal(
		nep_addr_str(&u->health.targets[1], buf, sizeof(buf)),
		"2606:4700:4700::1111");
	assert_int_equal(u->health.interval_ms, 200);
	assert_int_equal(u->health.timeout_ms, 1000);
	assert_int_equal(u->health.reliability, 2);
	assert_int_equal(u->health.max_loss_pct, 10);
	u = &cfg->uplinks[1];
	assert_int_equal(u->role, NEP_UPLINK_BACKUP);
	assert_int_equal(u->weight, 1);
	assert_int_equal(u->next_hop4.family, 0);
	/* health defaults */
	assert_int_equal(u->health.n_targets, 0);
	assert_int_equal(u->health.interval_ms, 100);
	assert_int_equal(u->health.timeout_ms, 1000);
	assert_int_equal(u->health.down_count, 3);
	assert_int_equal(u->health.up_count, 5);
	assert_int_equal(u->health.reliability, 1);
	assert_int_equal(u->health.max_rtt_ms, 0);
	assert_int_equal(u->health.max_loss_pct, 0);
	assert_int_equal(u->health.loss_window, 20);

	/* steering */
	assert_true(cfg->has_steering);
	assert_int_equal(cfg->steering.n_inside, 1);
	assert_int_equal(cfg->steering.n_excluded, 2);
	assert_int_equal(cfg->steering.excluded[1].addr.family, AF_INET);
	assert_int_equal(cfg->steering.flow_timeout_s, 60);
	assert_int_equal(cfg->steering.flow_fin_timeout_s, 5);
	assert_int_equal(cfg->steering.flow_table_size, 1048576);
	assert_int_equal(cfg->steering.n_policies, 3);
	p = &cfg->steering.policies[0];
	assert_string_equal(p->name, "web");
	assert_true(p->has_dst);
	assert_true(p->has_src);
	assert_int_equal(p->dst.len, 48);
	assert_int_equal(p->src.len, 64);
	assert_int_equal(p->proto, IPPROTO_TCP);
	assert_int_equal(p->dport_lo, 443);
	assert_int_equal(p->dport_hi, 443);
	assert_int_equal(p->sport_lo, 1024);
	assert_int_equal(p->sport_hi, 65535);
	assert_int_equal(p->dscp, -1);
	assert_int_equal(p->mode, NEP_MODE_STRICT);
	assert_int_equal(p->uplink, 1);
	p = &cfg->steering.policies[1];
	assert_string_equal(p->name, "policy1");
	assert_false(p->has_dst);
	assert_false(p->has_src);
	assert_int_equal(p->proto, 17);
	assert_int_equal(p->sport_lo, 0);
	assert_int_equal(p->sport_hi, 65535);
	assert_int_equal(p->dscp, 46);
	assert_int_equal(p->mode, NEP_MODE_PREFERRED);
	assert_int_equal(p->uplink, 0);
	p = &cfg->steering.policies[2];
	assert_int_equal(p->proto, IPPROTO_ICMPV6);
	assert_int_equal(p->dport_lo, 53);
	assert_int_equal(p->mode, NEP_MODE_BALANCED);
	assert_int_equal(p->uplink, -1);

	assert_int_equal(nep_config_port_index(cfg, "wan2"), 2);
	assert_int_equal(nep_config_port_index(cfg, "nope"), -1);
	assert_int_equal(nep_config_uplink_index(cfg, "isp2"), 1);
	assert_int_equal(nep_config_uplink_index(cfg, "nope"), -1);
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
	assert_int_equal(cfg->n_uplinks, 0);
	assert_false(cfg->has_steering);
	assert_int_equal(cfg->steering.n_policies, 0);
	assert_null(cfg->steering.policies);
	assert_int_equal(cfg->steering.flow_timeout_s, 30);
	assert_int_equal(cfg->steering.flow_fin_timeout_s, 5);
	assert_int_equal(cfg->steering.flow_table_size, 1048576);
	nep_config_free(cfg);
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
	"    mtu:   9000\n"			  /* 14 */
	"uplinks:\n"				  /* 15 */
	"  - name: isp1\n"			  /* 16 */
	"    port: wan\n"			  /* 17 */
	"    next_hop: fe80::1\n"		  /* 18 */
	"    delegated_prefix: 2001:db8:1::/48\n" /* 19 */
	"    health:\n"				  /* 20 */
	"      interval_ms: 200\n"		  /* 21 */
	"      targets: [\"2001:db8::53\"]\n";	  /* 22 */

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
	expect_pos(cfg, "uplinks[0].health.interval_ms", "t.yaml:21:20");
	expect_pos(cfg, "uplinks[0].health.targets[0]", "t.yaml:22:17");
	expect_pos(cfg, "eal.args[0]", "t.yaml:4:7");
	/* Sections and list items: the node itself. */
	expect_pos(cfg, "eal", "t.yaml:2:3");
	expect_pos(cfg, "eal.args", "t.yaml:4:5");
	expect_pos(cfg, "ports", "t.yaml:7:3");
	expect_pos(cfg, "ports[1]", "t.yaml:11:5");
	expect_pos(cfg, "uplinks[0].health", "t.yaml:21:7");
	expect_pos(cfg, "uplinks[0].health.targets", "t.yaml:22:16");
	/* Not in the file (defaults), or no such key: the file alone. */
	expect_pos(cfg, "ports[0].mtu", "t.yaml");
	expect_pos(cfg, "ports[1].mac", "t.yaml");
	expect_pos(cfg, "ports[2]", "t.yaml");
	expect_pos(cfg, "eal.memory_mb", "t.yaml");
	expect_pos(cfg, "dataplane", "t.yaml");
	expect_pos(cfg, "dataplane.burst", "t.yaml");
	expect_pos(cfg, "uplinks[0].health.timeout_ms", "t.yaml");
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

/* Thousands of policies: every one of them is found (and loads quickly). */
static void
test_key_pos_many(void **state)
{
	const unsigned n = 4096;
	size_t len = 0, cap = 128 * (size_t)n + 1024;
	char *yaml = malloc(cap);
	struct nep_config *cfg;
	char key[64], want[64];
	unsigned i;

	(void)state;
	assert_non_null(yaml);
	len += (size_t)snprintf(
		yaml + len, cap - len, "%s%s%s", PORTS, UPLINK, STEERING);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(yaml + len, cap - len,
			"    - {name: p%u, dscp: %u, mode: strict, uplink: "
			"isp1}\n",
			i, i % 64);
	assert_true(len < cap);
	cfg = load(yaml);
	free(yaml);
	assert_int_equal(cfg->steering.n_policies, n);
	for (i = 0; i < n; i++) {
		/* Policy i is on line 16 + i. */
		int col = (int)strlen("    - {name: p, dscp: ") + 1 +
			  snprintf(NULL, 0, "%u", i);

		snprintf(key, sizeof(key), "steering.policies[%u].dscp", i);
		snprintf(want, sizeof(want), "t.yaml:%u:%d", 16 + i, col);
		expect_pos(cfg, key, want);
	}
	expect_pos(cfg, "steering.policies", "t.yaml:16:5");
	expect_pos(cfg, "steering.policies[4096]", "t.yaml");
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
	expect_err(PORTS UPLINK "    health:\n      intervall_ms: 5\n",
		"t.yaml:14:7: uplinks[0].health.intervall_ms: unknown key");
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
	expect_err(PORTS UPLINK "    health:\n      interval_ms: 5\n",
		"t.yaml:14:20: uplinks[0].health.interval_ms: out of range "
		"(10..60000)");
	expect_err(PORTS "dataplane: {burst: -1}\n",
		"t.yaml:8:20: dataplane.burst: out of range (1..64)");
	expect_err(PORTS "dataplane: {punt_ring_size: 1000}\n",
		"t.yaml:8:29: dataplane.punt_ring_size: not a power of two");
	expect_err(PORTS UPLINK "    weight: 99999999999999999999999\n",
		"t.yaml:13:13: uplinks[0].weight: out of range (0..1000)");
	expect_err(PORTS UPLINK STEERING "    - {dscp: 64, mode: balanced}\n",
		"t.yaml:16:14: steering.policies[0].dscp: out of range "
		"(0..63)");
}

/* ---- values ---------------------------------------------------------- */

static void
test_err_bad_address(void **state)
{
	(void)state;
	expect_err(PORTS "routes:\n  - {prefix: \"::/0\", via: \"fe80::zz\"}\n",
		"t.yaml:9:27: routes[0].via: bad address 'fe80::zz'");
	expect_err(PORTS UPLINK "    health: {targets: [\"2001:db8::1\", "
				"\"1.2.3\"]}\n",
		"t.yaml:13:39: uplinks[0].health.targets[1]: bad address "
		"'1.2.3'");
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
	expect_err(PORTS UPLINK STEERING "    - {destination: 10.1.2.3/8, "
					 "mode: balanced}\n",
		"t.yaml:16:21: steering.policies[0].destination: host bits "
		"set in prefix '10.1.2.3/8'");
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
	expect_err(PORTS UPLINK "  - name: isp1\n"
				"    port: wan\n"
				"    next_hop: fe80::2\n"
				"    delegated_prefix: 2001:db8:2::/48\n",
		"t.yaml:13:11: uplinks[1].name: duplicate uplink name "
		"'isp1'");
	expect_err(PORTS UPLINK STEERING "    - {name: a, mode: balanced}\n"
					 "    - {name: a, mode: balanced}\n",
		"t.yaml:17:14: steering.policies[1].name: duplicate policy "
		"name 'a'");
	/* A generated name can collide too; then the policy is blamed. */
	expect_err(PORTS UPLINK STEERING
		"    - {mode: balanced}\n"
		"    - {name: policy0, mode: balanced}\n",
		"t.yaml:17:14: steering.policies[1].name: duplicate policy "
		"name 'policy0'");
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
	expect_err(PORTS "uplinks:\n"
			 "  - name: isp1\n"
			 "    port: wan9\n",
		"t.yaml:10:11: uplinks[0].port: unknown port 'wan9'");
	expect_err(PORTS UPLINK STEERING "    - {mode: strict, uplink: isp9}\n",
		"t.yaml:16:30: steering.policies[0].uplink: unknown uplink "
		"'isp9'");
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
	expect_err(PORTS "uplinks:\n"
			 "  - name: isp1\n"
			 "    port: wan\n"
			 "    next_hop: fe80::1\n",
		"t.yaml:9:5: uplinks[0]: missing required key "
		"'delegated_prefix'");
	expect_err(PORTS UPLINK "steering:\n  flow_timeout_s: 10\n",
		"t.yaml:14:3: steering: missing required key "
		"'inside_prefixes'");
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
test_err_uplink_port_not_wan(void **state)
{
	(void)state;
	expect_err(PORTS "uplinks:\n"
			 "  - name: isp1\n"
			 "    port: lan\n",
		"t.yaml:10:11: uplinks[0].port: port 'lan' is not a wan "
		"port");
}

static void
test_err_next_hop_v4(void **state)
{
	(void)state;
	expect_err(PORTS "uplinks:\n"
			 "  - name: isp1\n"
			 "    port: wan\n"
			 "    next_hop: 192.0.2.1\n",
		"t.yaml:11:15: uplinks[0].next_hop: expected an IPv6 "
		"address");
	expect_err(PORTS UPLINK "    next_hop_v4: \"2001:db8::1\"\n",
		"t.yaml:13:18: uplinks[0].next_hop_v4: expected an IPv4 "
		"address");
}

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

static void
test_err_policy_modes(void **state)
{
	(void)state;
	expect_err(PORTS UPLINK STEERING "    - {name: p, mode: strict}\n",
		"t.yaml:16:7: steering.policies[0]: missing required key "
		"'uplink' (mode strict)");
	expect_err(PORTS UPLINK STEERING "    - mode: preferred\n",
		"t.yaml:16:7: steering.policies[0]: missing required key "
		"'uplink' (mode preferred)");
	expect_err(PORTS UPLINK STEERING
		"    - {mode: balanced, uplink: isp1}\n",
		"t.yaml:16:32: steering.policies[0].uplink: mode balanced "
		"takes no uplink");
	expect_err(PORTS UPLINK STEERING "    - {mode: fastest}\n",
		"t.yaml:16:14: steering.policies[0].mode: expected strict, "
		"preferred or balanced");
	expect_err(PORTS UPLINK STEERING
		"    - {protocol: gre, mode: balanced}\n",
		"t.yaml:16:18: steering.policies[0].protocol: unknown "
		"protocol 'gre' (tcp, udp, icmp, icmpv6 or 0..255)");
	expect_err(PORTS UPLINK STEERING
		"    - {source_ports: 2000-1000, mode: balanced}\n",
		"t.yaml:16:22: steering.policies[0].source_ports: bad port "
		"range '2000-1000' (low > high)");
	expect_err(PORTS "steering:\n  inside_prefixes: [fd00:1::/48]\n",
		"t.yaml:9:3: steering: steering needs at least one uplink");
}

static void
test_err_prefix_len_64(void **state)
{
	(void)state;
	expect_err(PORTS "uplinks:\n"
			 "  - name: isp1\n"
			 "    port: wan\n"
			 "    next_hop: fe80::1\n"
			 "    delegated_prefix: 2001:db8:1:2:3::/80\n",
		"t.yaml:12:23: uplinks[0].delegated_prefix: prefix longer "
		"than /64");
	/* IPv4 inside prefixes are steered untranslated: any length. */
	expect_err(PORTS UPLINK
		"steering:\n"
		"  inside_prefixes: [fd00:1::/48, 192.0.2.1/24]\n",
		"t.yaml:14:34: steering.inside_prefixes[1]: host bits set in "
		"prefix '192.0.2.1/24'");
	expect_err(PORTS UPLINK "steering:\n"
				"  inside_prefixes: [\"fd00:1:2:3:4::/96\"]\n",
		"t.yaml:14:21: steering.inside_prefixes[0]: prefix longer "
		"than /64");
	expect_err(PORTS UPLINK "  - name: isp2\n"
				"    port: wan\n"
				"    next_hop: fe80::2\n"
				"    delegated_prefix: 2001:db8:1:100::/56\n",
		"t.yaml:16:23: uplinks[1].delegated_prefix: "
		"2001:db8:1:100::/56 overlaps uplink 'isp1'");
}

static void
test_err_reliability(void **state)
{
	(void)state;
	expect_err(PORTS UPLINK
		"    health:\n"
		"      targets: [\"2001:db8::1\", \"2001:db8::2\"]\n"
		"      reliability: 3\n",
		"t.yaml:15:20: uplinks[0].health.reliability: out of range "
		"(1..2)");
	expect_err(PORTS UPLINK "    health: {reliability: 2}\n",
		"t.yaml:13:27: uplinks[0].health.reliability: out of range "
		"(1..1)");
	expect_err(PORTS UPLINK "    health:\n"
				"      targets: [\"192.0.2.1\"]\n",
		"t.yaml:14:17: uplinks[0].health.targets[0]: expected an "
		"IPv6 address");
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
		cmocka_unit_test(test_key_pos),
		cmocka_unit_test(test_key_pos_truncated),
		cmocka_unit_test(test_key_pos_many),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_err_syntax),
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
		cmocka_unit_test(test_err_uplink_port_not_wan),
		cmocka_unit_test(test_err_next_hop_v4),
		cmocka_unit_test(test_err_route_family),
		cmocka_unit_test(test_err_policy_modes),
		cmocka_unit_test(test_err_prefix_len_64),
		cmocka_unit_test(test_err_reliability),
		cmocka_unit_test(test_shipped_presets),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_addr_helpers),
		cmocka_unit_test(test_pci_detection),
	};
	const struct CMUnitTest preset_tests[] = {
		cmocka_unit_test(test_preset_load),
		cmocka_unit_test(test_preset_errors),
	};
	int rc;

	rc = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	rc += cmocka_run_group_tests_name("config_presets", preset_tests,
		presets_setup, presets_teardown);
	return rc;
}
