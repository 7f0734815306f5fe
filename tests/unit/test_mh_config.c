/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The multihoming sections of the configuration, `uplinks:` and `steering:`
 * (app/neptune/features/multihoming/config.c, registered with lib/config):
 * values and defaults, cross-references (policies name uplinks, uplinks
 * name wan ports), and each mistake as "file:line:col: key.path: message".
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "mh_config.h"

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

#include "nep_test_config.h"

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
	const struct mh_config *mc = mh_conf(cfg);
	const struct nep_uplink_conf *u;
	const struct nep_policy_conf *p;
	char buf[64];

	(void)state;
	assert_non_null(mc);
	assert_int_equal(cfg->n_ports, 3);
	assert_int_equal(cfg->n_routes, 3);
	/* uplinks */
	assert_int_equal(mc->n_uplinks, 2);
	u = &mc->uplinks[0];
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
	u = &mc->uplinks[1];
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
	assert_true(mc->has_steering);
	assert_int_equal(mc->steering.n_inside, 1);
	assert_int_equal(mc->steering.n_excluded, 2);
	assert_int_equal(mc->steering.excluded[1].addr.family, AF_INET);
	assert_int_equal(mc->flow_timeout_s, 60);
	assert_int_equal(mc->flow_fin_timeout_s, 5);
	assert_int_equal(mc->flow_table_size, 1048576);
	assert_int_equal(mc->steering.n_policies, 3);
	p = &mc->steering.policies[0];
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
	p = &mc->steering.policies[1];
	assert_string_equal(p->name, "policy1");
	assert_false(p->has_dst);
	assert_false(p->has_src);
	assert_int_equal(p->proto, 17);
	assert_int_equal(p->sport_lo, 0);
	assert_int_equal(p->sport_hi, 65535);
	assert_int_equal(p->dscp, 46);
	assert_int_equal(p->mode, NEP_MODE_PREFERRED);
	assert_int_equal(p->uplink, 0);
	p = &mc->steering.policies[2];
	assert_int_equal(p->proto, IPPROTO_ICMPV6);
	assert_int_equal(p->dport_lo, 53);
	assert_int_equal(p->mode, NEP_MODE_BALANCED);
	assert_int_equal(p->uplink, -1);

	assert_int_equal(mh_config_uplink_index(mc, "isp2"), 1);
	assert_int_equal(mh_config_uplink_index(mc, "nope"), -1);
	nep_config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct nep_config *cfg = load(PORTS);
	const struct mh_config *mc = mh_conf(cfg);

	(void)state;
	/* Neither section in the file: the object exists, with defaults. */
	assert_non_null(mc);
	assert_int_equal(mc->n_uplinks, 0);
	assert_false(mc->has_steering);
	assert_int_equal(mc->steering.n_policies, 0);
	assert_null(mc->steering.policies);
	assert_int_equal(mc->flow_timeout_s, 30);
	assert_int_equal(mc->flow_fin_timeout_s, 5);
	assert_int_equal(mc->flow_table_size, 1048576);
	nep_config_free(cfg);

	/* Uplinks alone: no steering, same defaults. */
	cfg = load(PORTS UPLINK);
	mc = mh_conf(cfg);
	assert_int_equal(mc->n_uplinks, 1);
	assert_false(mc->has_steering);
	assert_int_equal(mc->flow_timeout_s, 30);
	assert_true(mc->uplinks[0].health.enabled);
	assert_int_equal(mc->uplinks[0].weight, 1);
	assert_int_equal(mc->uplinks[0].role, NEP_UPLINK_PRIMARY);
	nep_config_free(cfg);

	/* Steering without policies. */
	cfg = load(PORTS UPLINK "steering:\n  inside_prefixes: [fd00:1::/48]\n"
				"  policies: []\n");
	mc = mh_conf(cfg);
	assert_true(mc->has_steering);
	assert_int_equal(mc->steering.n_inside, 1);
	assert_int_equal(mc->steering.n_policies, 0);
	assert_null(mc->steering.policies);
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

/* The feature's keys are found like the core's (reload names them). */
static void
test_key_pos(void **state)
{
	struct nep_config *cfg = load(pos_yaml);

	(void)state;
	expect_pos(cfg, "ports[1].mtu", "t.yaml:14:12");
	expect_pos(cfg, "uplinks[0].health.interval_ms", "t.yaml:21:20");
	expect_pos(cfg, "uplinks[0].health.targets[0]", "t.yaml:22:17");
	expect_pos(cfg, "uplinks", "t.yaml:16:3");
	expect_pos(cfg, "uplinks[0]", "t.yaml:16:5");
	expect_pos(cfg, "uplinks[0].health", "t.yaml:21:7");
	expect_pos(cfg, "uplinks[0].health.targets", "t.yaml:22:16");
	expect_pos(cfg, "uplinks[0].health.timeout_ms", "t.yaml");
	expect_pos(cfg, "steering", "t.yaml");
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
	assert_int_equal(mh_conf(cfg)->steering.n_policies, n);
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

/* ---- structure ------------------------------------------------------ */

static void
test_err_unknown_key(void **state)
{
	(void)state;
	/* Registered keys are accepted; anything else is still refused. */
	expect_err(PORTS UPLINK "colour: blue\n",
		"t.yaml:13:1: colour: unknown key");
	expect_err(PORTS UPLINK "    health:\n      intervall_ms: 5\n",
		"t.yaml:14:7: uplinks[0].health.intervall_ms: unknown key");
	expect_err(PORTS UPLINK "uplinks: []\n",
		"t.yaml:13:1: uplinks: duplicate key (first at line 8)");
	expect_err(PORTS UPLINK "  - {name: isp2, colour: blue}\n",
		"t.yaml:13:18: uplinks[1].colour: unknown key");
	expect_err(PORTS UPLINK STEERING "    - {mode: balanced, colour: x}\n",
		"t.yaml:16:24: steering.policies[0].colour: unknown key");
	expect_err(PORTS "uplinks: {name: isp1}\n",
		"t.yaml:8:10: uplinks: expected a list");
	expect_err(PORTS UPLINK "steering: [a]\n",
		"t.yaml:13:11: steering: expected a mapping");
}

static void
test_err_range(void **state)
{
	(void)state;
	expect_err(PORTS UPLINK "    health:\n      interval_ms: 5\n",
		"t.yaml:14:20: uplinks[0].health.interval_ms: out of range "
		"(10..60000)");
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
	expect_err(PORTS UPLINK "    health: {targets: [\"2001:db8::1\", "
				"\"1.2.3\"]}\n",
		"t.yaml:13:39: uplinks[0].health.targets[1]: bad address "
		"'1.2.3'");
}

static void
test_err_bad_prefix(void **state)
{
	(void)state;
	expect_err(PORTS UPLINK STEERING "    - {destination: 10.1.2.3/8, "
					 "mode: balanced}\n",
		"t.yaml:16:21: steering.policies[0].destination: host bits "
		"set in prefix '10.1.2.3/8'");
}

static void
test_err_duplicate_names(void **state)
{
	(void)state;
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
}

static void
test_err_unknown_refs(void **state)
{
	(void)state;
	expect_err(PORTS "uplinks:\n"
			 "  - name: isp1\n"
			 "    port: wan9\n",
		"t.yaml:10:11: uplinks[0].port: unknown port 'wan9'");
	expect_err(PORTS UPLINK STEERING "    - {mode: strict, uplink: isp9}\n",
		"t.yaml:16:30: steering.policies[0].uplink: unknown uplink "
		"'isp9'");
}

static void
test_err_missing_required(void **state)
{
	(void)state;
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

/* Sections parse after the core's: order in the file does not matter. */
static void
test_section_order(void **state)
{
	struct nep_config *cfg;
	const struct mh_config *mc;

	(void)state;
	cfg = load(STEERING "    - {mode: strict, uplink: isp1}\n"
		   UPLINK PORTS);
	mc = mh_conf(cfg);
	assert_int_equal(mc->n_uplinks, 1);
	assert_int_equal(mc->uplinks[0].port, 1);
	assert_true(mc->has_steering);
	assert_int_equal(mc->steering.policies[0].uplink, 0);
	expect_pos(cfg, "steering", "t.yaml:2:3");
	expect_pos(cfg, "steering.policies[0].uplink", "t.yaml:4:30");
	expect_pos(cfg, "uplinks[0].port", "t.yaml:7:11");
	nep_config_free(cfg);
	/* A core error still comes first, wherever it is in the file. */
	expect_err(UPLINK "    weight: x\n" PORTS
		   "routes:\n  - {prefix: \"::/0\", via: \"fe80::zz\"}\n",
		"t.yaml:15:27: routes[0].via: bad address 'fe80::zz'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_key_pos),
		cmocka_unit_test(test_key_pos_many),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_range),
		cmocka_unit_test(test_err_bad_address),
		cmocka_unit_test(test_err_bad_prefix),
		cmocka_unit_test(test_err_duplicate_names),
		cmocka_unit_test(test_err_unknown_refs),
		cmocka_unit_test(test_err_missing_required),
		cmocka_unit_test(test_err_uplink_port_not_wan),
		cmocka_unit_test(test_err_next_hop_v4),
		cmocka_unit_test(test_err_policy_modes),
		cmocka_unit_test(test_err_prefix_len_64),
		cmocka_unit_test(test_err_reliability),
		cmocka_unit_test(test_section_order),
	};

	return cmocka_run_group_tests_name("mh_config", tests, NULL, NULL);
}
