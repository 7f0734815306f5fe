/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SRv6 sections of the configuration, `srv6:`, `sites:` and
 * `overlays:` (app/neptune/features/srv6/config.c, registered with
 * lib/config after multihoming's `uplinks:`): values and defaults,
 * cross-references (locators and srv6.uplinks name uplinks, overlay
 * members name sites), and each mistake as "file:line:col: key.path:
 * message" (docs/config.md, docs/srv6.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "mh_config.h"
#include "srv6.h"

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

/* Lines 13-14: the srv6 section, this site is `a`; its keys follow. */
#define SRV6                                                                   \
	"srv6:\n"                                                              \
	"  site: a\n"

/* Lines 15-21: site b at addresses, site c at locators. */
#define SITES                                                                  \
	"sites:\n"                                                             \
	"  - name: b\n"                                                        \
	"    addresses:\n"                                                     \
	"      - address: 2001:db8:b::1\n"                                     \
	"  - name: c\n"                                                        \
	"    locators:\n"                                                      \
	"      - prefix: 2001:db8:c:1:5::/80\n"

/* Lines 1-21, then `overlays:` on line 22 and its items from line 23. */
#define BASE PORTS UPLINK SRV6 SITES "overlays:\n"

#include "nep_test_config.h"

/* An IPv6 address (16 bytes) as text. */
static const char *
a6(const uint8_t a[16], char *buf, size_t len)
{
	return inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static void
expect_a6(const uint8_t a[16], const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	assert_string_equal(a6(a, buf, sizeof(buf)), want);
}

static void
expect_prefix(const struct nep_prefix *p, const char *want)
{
	char buf[64];

	assert_string_equal(nep_prefix_str(p, buf, sizeof(buf)), want);
}

/* ---- good configs ---------------------------------------------------- */

static const char good_yaml[] =
	"ports:\n"					  /* 1 */
	"  - name: lan\n"				  /* 2 */
	"    role: lan\n"				  /* 3 */
	"    devargs: net_tap0,iface=nl\n"		  /* 4 */
	"  - name: wan1\n"				  /* 5 */
	"    role: wan\n"				  /* 6 */
	"    devargs: net_tap1,iface=nw1\n"		  /* 7 */
	"  - name: wan2\n"				  /* 8 */
	"    role: wan\n"				  /* 9 */
	"    devargs: net_tap2,iface=nw2\n"		  /* 10 */
	"vrfs:\n"					  /* 11 */
	"  - name: blue\n"				  /* 12 */
	"uplinks:\n"					  /* 13 */
	"  - name: isp1\n"				  /* 14 */
	"    port: wan1\n"				  /* 15 */
	"    next_hop: fe80::1\n"			  /* 16 */
	"    delegated_prefix: 2001:db8:1::/48\n"	  /* 17 */
	"  - name: isp2\n"				  /* 18 */
	"    port: wan2\n"				  /* 19 */
	"    next_hop: fe80::2\n"			  /* 20 */
	"    delegated_prefix: 2001:db8:2::/48\n"	  /* 21 */
	"srv6:\n"					  /* 22 */
	"  site: a\n"					  /* 23 */
	"  hop_limit: 32\n"				  /* 24 */
	"  reduced: true\n"				  /* 25 */
	"  mss_clamp: false\n"				  /* 26 */
	"  source: 2001:db8:a::1\n"			  /* 27 */
	"  uplinks: [isp2, isp1]\n"			  /* 28 */
	"  locators:\n"					  /* 29 */
	"    - prefix: 2001:db8:10:1:5::/80\n"		  /* 30 */
	"      uplink: isp1\n"				  /* 31 */
	"    - prefix: 2001:db8:20:1::/64\n"		  /* 32 */
	"      uplink: isp2\n"				  /* 33 */
	"  localsids:\n"				  /* 34 */
	"    - {sid: \"2001:db8:10:1:5::7\", behavior: end}\n" /* 35 */
	"    - sid: 2001:db8:10:1:5::8\n"		  /* 36 */
	"      behavior: end.x\n"			  /* 37 */
	"      next_hop: fe80::99\n"			  /* 38 */
	"      port: wan2\n"				  /* 39 */
	"    - {sid: \"fc00:a::4\", behavior: end.dt4, vrf: blue}\n" /* 40 */
	"    - {sid: \"fc00:a::6\", behavior: end.dt6}\n" /* 41 */
	"    - {sid: \"fc00:a::46\", behavior: end.dt46, vrf: blue}\n" /* 42 */
	"  health:\n"					  /* 43 */
	"    interval_ms: 250\n"			  /* 44 */
	"    timeout_ms: 500\n"				  /* 45 */
	"    down: 2\n"					  /* 46 */
	"    up: 4\n"					  /* 47 */
	"    enabled: false\n"				  /* 48 */
	"sites:\n"					  /* 49 */
	"  - name: b\n"					  /* 50 */
	"    addresses:\n"				  /* 51 */
	"      - address: 2001:db8:10:2::2\n"		  /* 52 */
	"      - address: 2001:db8:20:2::2\n"		  /* 53 */
	"        weight: 3\n"				  /* 54 */
	"        probe: 2001:db8:20:2::99\n"		  /* 55 */
	"        via: [\"2001:db8:ff::1\", \"2001:db8:ff::2\"]\n" /* 56 */
	"  - name: c\n"					  /* 57 */
	"    locators:\n"				  /* 58 */
	"      - prefix: 2001:db8:10:3:5::/80\n"	  /* 59 */
	"      - prefix: 2001:db8:20:3::/64\n"		  /* 60 */
	"        weight: 7\n"				  /* 61 */
	"        probe: 2001:db8:20:3::aa\n"		  /* 62 */
	"        via: [\"2001:db8:ff::3\"]\n"		  /* 63 */
	"overlays:\n"					  /* 64 */
	"  - name: vpn1\n"				  /* 65 */
	"    function: \"0x100\"\n"			  /* 66 */
	"    sites:\n"					  /* 67 */
	"      a: [\"fd42:100:1::/64\", 192.0.2.0/24]\n"	  /* 68 */
	"      b:\n"					  /* 69 */
	"        prefixes: [\"fd42:200:1::/64\", 198.18.20.0/24]\n" /* 70 */
	"        sid6: fc00:b::6\n"			  /* 71 */
	"        sid4: fc00:b::4\n"			  /* 72 */
	"      c: [\"fd42:300:1::/64\"]\n"		  /* 73 */
	"  - name: vpn2\n"				  /* 74 */
	"    vrf: blue\n"				  /* 75 */
	"    function: 4294967295\n"			  /* 76 */
	"    sites:\n"					  /* 77 */
	"      a: {prefixes: [10.1.0.0/16]}\n"		  /* 78 */
	"      b: {prefixes: [10.2.0.0/16], sid6: \"fc00:b::66\"}\n" /* 79 */
	"      c: {prefixes: [10.3.0.0/16], sid4: \"fc00:c::44\"}\n"; /* 80 */

static void
test_good_full(void **state)
{
	struct nep_config *cfg = load(good_yaml);
	const struct srv6_config *sc = srv6_conf(cfg);
	const struct srv6_localsid_conf *l;
	const struct srv6_endpoint_conf *e;
	const struct srv6_overlay_conf *o;
	const struct srv6_member_conf *mb;
	char buf[64];

	(void)state;
	assert_non_null(sc);
	assert_int_equal(mh_conf(cfg)->n_uplinks, 2);

	/* srv6 */
	assert_true(sc->enabled);
	assert_string_equal(sc->site, "a");
	assert_int_equal(sc->hop_limit, 32);
	assert_true(sc->reduced);
	assert_false(sc->mss_clamp);
	assert_true(sc->has_source);
	expect_a6(sc->source, "2001:db8:a::1");
	assert_int_equal(sc->n_uplinks, 2);
	assert_string_equal(sc->uplinks[0], "isp2");
	assert_string_equal(sc->uplinks[1], "isp1");

	assert_int_equal(sc->n_locators, 2);
	expect_prefix(&sc->locators[0].prefix, "2001:db8:10:1:5::/80");
	assert_int_equal(sc->locators[0].prefix.addr.family, AF_INET6);
	assert_int_equal(sc->locators[0].prefix.len, 80);
	assert_string_equal(sc->locators[0].uplink, "isp1");
	expect_prefix(&sc->locators[1].prefix, "2001:db8:20:1::/64");
	assert_string_equal(sc->locators[1].uplink, "isp2");

	assert_int_equal(sc->n_localsids, 5);
	l = &sc->localsids[0];
	expect_a6(l->sid, "2001:db8:10:1:5::7");
	assert_int_equal(l->behavior, SRV6_END);
	assert_string_equal(l->vrf, "default");
	assert_int_equal(l->port, -1);
	assert_int_equal(l->next_hop.family, 0);
	l = &sc->localsids[1];
	expect_a6(l->sid, "2001:db8:10:1:5::8");
	assert_int_equal(l->behavior, SRV6_END_X);
	assert_int_equal(l->next_hop.family, AF_INET6);
	assert_string_equal(nep_addr_str(&l->next_hop, buf, sizeof(buf)),
		"fe80::99");
	assert_int_equal(l->port, 2);
	assert_string_equal(cfg->ports[l->port].name, "wan2");
	assert_string_equal(l->vrf, "default");
	l = &sc->localsids[2];
	expect_a6(l->sid, "fc00:a::4");
	assert_int_equal(l->behavior, SRV6_END_DT4);
	assert_string_equal(l->vrf, "blue");
	assert_int_equal(l->port, -1);
	l = &sc->localsids[3];
	expect_a6(l->sid, "fc00:a::6");
	assert_int_equal(l->behavior, SRV6_END_DT6);
	assert_string_equal(l->vrf, "default");
	l = &sc->localsids[4];
	expect_a6(l->sid, "fc00:a::46");
	assert_int_equal(l->behavior, SRV6_END_DT46);
	assert_string_equal(l->vrf, "blue");
	assert_string_equal(srv6_behavior_names[SRV6_END_DT46], "end.dt46");

	assert_false(sc->health.enabled);
	assert_int_equal(sc->health.interval_ms, 250);
	assert_int_equal(sc->health.timeout_ms, 500);
	assert_int_equal(sc->health.down_count, 2);
	assert_int_equal(sc->health.up_count, 4);
	assert_int_equal(sc->health.reliability, 1);
	assert_int_equal(sc->health.loss_window, 20);

	/* sites */
	assert_int_equal(sc->n_sites, 2);
	assert_string_equal(sc->sites[0].name, "b");
	assert_int_equal(sc->sites[0].n_ep, 2);
	e = &sc->sites[0].ep[0];
	assert_false(e->is_locator);
	expect_a6(e->addr, "2001:db8:10:2::2");
	expect_a6(e->probe, "2001:db8:10:2::2"); /* default: the address */
	assert_int_equal(e->weight, 1);
	assert_int_equal(e->n_via, 0);
	e = &sc->sites[0].ep[1];
	assert_false(e->is_locator);
	expect_a6(e->addr, "2001:db8:20:2::2");
	expect_a6(e->probe, "2001:db8:20:2::99");
	assert_int_equal(e->weight, 3);
	assert_int_equal(e->n_via, 2);
	expect_a6(e->via[0], "2001:db8:ff::1");
	expect_a6(e->via[1], "2001:db8:ff::2");

	assert_string_equal(sc->sites[1].name, "c");
	assert_int_equal(sc->sites[1].n_ep, 2);
	e = &sc->sites[1].ep[0];
	assert_true(e->is_locator);
	expect_prefix(&e->locator, "2001:db8:10:3:5::/80");
	expect_a6(e->probe, "2001:db8:10:3:5::1"); /* default: locator::1 */
	assert_int_equal(e->weight, 1);
	assert_int_equal(e->n_via, 0);
	e = &sc->sites[1].ep[1];
	assert_true(e->is_locator);
	expect_prefix(&e->locator, "2001:db8:20:3::/64");
	expect_a6(e->probe, "2001:db8:20:3::aa");
	assert_int_equal(e->weight, 7);
	assert_int_equal(e->n_via, 1);
	expect_a6(e->via[0], "2001:db8:ff::3");

	/* overlays */
	assert_int_equal(sc->n_overlays, 2);
	o = &sc->overlays[0];
	assert_string_equal(o->name, "vpn1");
	assert_string_equal(o->vrf, "default");
	assert_int_equal(o->function, 0x100);
	assert_int_equal(o->n_members, 3);
	mb = &o->members[0];
	assert_string_equal(mb->site, "a");
	assert_int_equal(mb->site_idx, -1);
	assert_int_equal(mb->n_prefixes, 2);
	expect_prefix(&mb->prefixes[0], "fd42:100:1::/64");
	expect_prefix(&mb->prefixes[1], "192.0.2.0/24");
	assert_int_equal(mb->prefixes[1].addr.family, AF_INET);
	assert_false(mb->has_sid6);
	assert_false(mb->has_sid4);
	mb = &o->members[1];
	assert_string_equal(mb->site, "b");
	assert_int_equal(mb->site_idx, 0);
	assert_int_equal(mb->n_prefixes, 2);
	expect_prefix(&mb->prefixes[0], "fd42:200:1::/64");
	expect_prefix(&mb->prefixes[1], "198.18.20.0/24");
	assert_true(mb->has_sid6);
	assert_true(mb->has_sid4);
	expect_a6(mb->sid6, "fc00:b::6");
	expect_a6(mb->sid4, "fc00:b::4");
	mb = &o->members[2];
	assert_string_equal(mb->site, "c");
	assert_int_equal(mb->site_idx, 1);
	assert_int_equal(mb->n_prefixes, 1);
	expect_prefix(&mb->prefixes[0], "fd42:300:1::/64");
	assert_false(mb->has_sid6);
	assert_false(mb->has_sid4);

	o = &sc->overlays[1];
	assert_string_equal(o->name, "vpn2");
	assert_string_equal(o->vrf, "blue");
	assert_int_equal(o->function, 0xffffffffu);
	assert_int_equal(o->n_members, 3);
	mb = &o->members[0];
	assert_string_equal(mb->site, "a");
	assert_int_equal(mb->site_idx, -1);
	assert_int_equal(mb->n_prefixes, 1);
	expect_prefix(&mb->prefixes[0], "10.1.0.0/16");
	/* Each SID defaults to the other. */
	mb = &o->members[1];
	assert_string_equal(mb->site, "b");
	assert_true(mb->has_sid6);
	assert_false(mb->has_sid4);
	expect_a6(mb->sid6, "fc00:b::66");
	expect_a6(mb->sid4, "fc00:b::66");
	mb = &o->members[2];
	assert_string_equal(mb->site, "c");
	assert_false(mb->has_sid6);
	assert_true(mb->has_sid4);
	expect_a6(mb->sid4, "fc00:c::44");
	expect_a6(mb->sid6, "fc00:c::44");

	nep_config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct nep_config *cfg = load(PORTS UPLINK);
	const struct srv6_config *sc = srv6_conf(cfg);

	(void)state;
	/* No srv6 section: the object exists, the feature is off. */
	assert_non_null(sc);
	assert_false(sc->enabled);
	assert_int_equal(sc->n_locators, 0);
	assert_int_equal(sc->n_sites, 0);
	assert_int_equal(sc->n_overlays, 0);
	nep_config_free(cfg);

	/* The smallest srv6 section: every default. */
	cfg = load(PORTS UPLINK SRV6);
	sc = srv6_conf(cfg);
	assert_true(sc->enabled);
	assert_string_equal(sc->site, "a");
	assert_int_equal(sc->hop_limit, 64);
	assert_false(sc->reduced);
	assert_true(sc->mss_clamp);
	assert_false(sc->has_source);
	assert_int_equal(sc->n_uplinks, 0);
	assert_int_equal(sc->n_locators, 0);
	assert_int_equal(sc->n_localsids, 0);
	assert_int_equal(sc->n_sites, 0);
	assert_int_equal(sc->n_overlays, 0);
	assert_true(sc->health.enabled);
	assert_int_equal(sc->health.interval_ms, 100);
	assert_int_equal(sc->health.timeout_ms, 1000);
	assert_int_equal(sc->health.down_count, 3);
	assert_int_equal(sc->health.up_count, 5);
	nep_config_free(cfg);

	/* A member that is a mapping of prefixes only (site at locators);
	 * a decimal function. */
	cfg = load(BASE "  - name: v\n"
			"    function: 4096\n"
			"    sites:\n"
			"      a: [fd42:1::/64]\n"
			"      c: {prefixes: [fd42:3::/64]}\n");
	sc = srv6_conf(cfg);
	assert_int_equal(sc->n_overlays, 1);
	assert_int_equal(sc->overlays[0].function, 4096);
	assert_string_equal(sc->overlays[0].vrf, "default");
	assert_int_equal(sc->overlays[0].n_members, 2);
	assert_int_equal(sc->overlays[0].members[1].site_idx, 1);
	assert_false(sc->overlays[0].members[1].has_sid6);
	assert_false(sc->overlays[0].members[1].has_sid4);
	nep_config_free(cfg);
}

/* ---- srv6 ------------------------------------------------------------ */

static void
test_err_srv6_keys(void **state)
{
	(void)state;
	expect_err(PORTS UPLINK SRV6 "  colour: blue\n",
		"t.yaml:15:3: srv6.colour: unknown key");
	expect_err(PORTS UPLINK "srv6:\n  hop_limit: 5\n",
		"t.yaml:14:3: srv6: missing required key 'site'");
	expect_err(PORTS UPLINK SRV6 "  hop_limit: 0\n",
		"t.yaml:15:14: srv6.hop_limit: out of range (1..255)");
	expect_err(PORTS UPLINK SRV6 "  hop_limit: 256\n",
		"t.yaml:15:14: srv6.hop_limit: out of range (1..255)");
	expect_err(PORTS UPLINK SRV6 "  source: 192.0.2.1\n",
		"t.yaml:15:11: srv6.source: expected an IPv6 address");
	expect_err(PORTS UPLINK SRV6 "  health: {interval_ms: 5}\n",
		"t.yaml:15:25: srv6.health.interval_ms: out of range "
		"(10..60000)");
}

static void
test_err_srv6_uplinks(void **state)
{
	(void)state;
	expect_err(PORTS UPLINK SRV6 "  uplinks: [isp1, isp9]\n",
		"t.yaml:15:19: srv6.uplinks[1]: unknown uplink 'isp9'");
	expect_err(PORTS UPLINK SRV6 "  uplinks: [isp1, isp1]\n",
		"t.yaml:15:19: srv6.uplinks[1]: uplink 'isp1' is listed twice");
	expect_err(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: \"2001:db8:10::/48\", uplink: isp9}\n",
		"t.yaml:16:44: srv6.locators[0].uplink: unknown uplink "
		"'isp9'");
	expect_err(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: \"2001:db8:10::/48\"}\n",
		"t.yaml:16:7: srv6.locators[0]: missing required key "
		"'uplink'");
}

static void
test_err_locators(void **state)
{
	(void)state;
	/* Longer than /96: no room for a 32-bit function. */
	expect_err(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: \"2001:db8:10:1:5:6:7:0/112\", uplink: isp1}\n",
		"t.yaml:16:16: srv6.locators[0].prefix: a locator is at most "
		"/96 (32 bits of function)");
	/* /96 itself is fine. */
	nep_config_free(load(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: \"2001:db8:10:1:5:6::/96\", uplink: isp1}\n"));
	expect_err(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: 10.0.0.0/8, uplink: isp1}\n",
		"t.yaml:16:16: srv6.locators[0].prefix: expected an IPv6 "
		"prefix");
	/* Overlapping locators, either way round. */
	expect_err(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: \"2001:db8:10::/48\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:10:1::/64\", uplink: isp1}\n",
		"t.yaml:17:16: srv6.locators[1].prefix: overlaps locators[0]");
	expect_err(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: \"2001:db8:20::/64\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:10:1::/64\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8::/32\", uplink: isp1}\n",
		"t.yaml:18:16: srv6.locators[2].prefix: overlaps locators[0]");
	/* A locator inside, or around, an uplink's delegated prefix. */
	expect_err(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: \"2001:db8:1:5::/64\", uplink: isp1}\n",
		"t.yaml:16:16: srv6.locators[0].prefix: overlaps the "
		"delegated prefix of uplink 'isp1' (NPTv6 translates it)");
	expect_err(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: \"2001:db8::/32\", uplink: isp1}\n",
		"t.yaml:16:16: srv6.locators[0].prefix: overlaps the "
		"delegated prefix of uplink 'isp1' (NPTv6 translates it)");
	expect_err(PORTS UPLINK SRV6
		"  locators:\n"
		"    - {prefix: \"2001:db8:10::/48\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:20::/48\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:30::/48\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:40::/48\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:50::/48\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:60::/48\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:70::/48\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:80::/48\", uplink: isp1}\n"
		"    - {prefix: \"2001:db8:90::/48\", uplink: isp1}\n",
		"t.yaml:24:7: srv6.locators[8]: too many locators (max 8)");
}

static void
test_err_localsids(void **state)
{
	(void)state;
	/* The same SID twice, spelt differently. */
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: \"fc00:a::6\", behavior: end.dt6}\n"
		"    - {sid: \"fc00:a:0::6\", behavior: end.dt4}\n",
		"t.yaml:17:13: srv6.localsids[1].sid: duplicate of "
		"localsids[0]");
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: \"fc00:a::6\", behavior: End.DT6}\n",
		"t.yaml:16:36: srv6.localsids[0].behavior: expected end, "
		"end.x, end.dt4, end.dt6 or end.dt46");
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: \"fc00:a::6\"}\n",
		"t.yaml:16:7: srv6.localsids[0]: missing required key "
		"'behavior'");
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: 192.0.2.1, behavior: end}\n",
		"t.yaml:16:13: srv6.localsids[0].sid: expected an IPv6 "
		"address");
	/* vrf only on End.DT*. */
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: \"fc00:a::1\", behavior: end, vrf: blue}\n",
		"t.yaml:16:46: srv6.localsids[0].vrf: only End.DT4/DT6/DT46 "
		"look up in a VRF");
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - sid: fc00:a::1\n"
		"      behavior: end.x\n"
		"      next_hop: fe80::9\n"
		"      port: wan\n"
		"      vrf: blue\n",
		"t.yaml:20:12: srv6.localsids[0].vrf: only End.DT4/DT6/DT46 "
		"look up in a VRF");
	/* End.X needs next_hop and port; nothing else has them. */
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: \"fc00:a::1\", behavior: end.x, port: wan}\n",
		"t.yaml:16:7: srv6.localsids[0]: missing required key "
		"'next_hop'");
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: \"fc00:a::1\", behavior: end.x, "
		"next_hop: \"fe80::9\"}\n",
		"t.yaml:16:7: srv6.localsids[0]: missing required key "
		"'port'");
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: \"fc00:a::1\", behavior: end.x, "
		"next_hop: \"fe80::9\", port: wan9}\n",
		"t.yaml:16:70: srv6.localsids[0].port: unknown port 'wan9'");
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: \"fc00:a::1\", behavior: end.dt6, "
		"next_hop: \"fe80::9\"}\n",
		"t.yaml:16:55: srv6.localsids[0].next_hop: only End.X has a "
		"next hop and port");
	expect_err(PORTS UPLINK SRV6
		"  localsids:\n"
		"    - {sid: \"fc00:a::1\", behavior: end, port: wan}\n",
		"t.yaml:16:47: srv6.localsids[0].port: only End.X has a next "
		"hop and port");
}

/* ---- sites ----------------------------------------------------------- */

static void
test_err_needs_srv6(void **state)
{
	(void)state;
	expect_err(PORTS UPLINK
		"sites:\n"
		"  - name: b\n"
		"    addresses: [{address: \"2001:db8:b::1\"}]\n",
		"t.yaml:14:3: sites: needs an srv6: section");
	expect_err(PORTS UPLINK
		"overlays:\n"
		"  - name: v\n"
		"    function: 2\n",
		"t.yaml:14:3: overlays: needs an srv6: section");
}

static void
test_err_sites(void **state)
{
	(void)state;
	expect_err(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: a\n"
		"    addresses: [{address: \"2001:db8:b::1\"}]\n",
		"t.yaml:16:11: sites[0].name: 'a' is this site (srv6.site)");
	expect_err(PORTS UPLINK SRV6 SITES
		"  - name: b\n"
		"    addresses: [{address: \"2001:db8:b::2\"}]\n",
		"t.yaml:22:11: sites[2].name: duplicate site 'b'");
	expect_err(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: b\n"
		"    addresses: [{address: \"2001:db8:b::1\"}]\n"
		"    locators: [{prefix: \"2001:db8:b:1::/64\"}]\n",
		"t.yaml:16:5: sites[0]: give either addresses or locators");
	expect_err(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: b\n",
		"t.yaml:16:5: sites[0]: give either addresses or locators");
	expect_err(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: b\n"
		"    addresses: []\n",
		"t.yaml:17:16: sites[0].addresses: at least one is required");
	expect_err(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: b\n"
		"    addresses: [{address: \"2001:db8:b::1\", colour: red}]\n",
		"t.yaml:17:44: sites[0].addresses[0].colour: unknown key");
	expect_err(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: b\n"
		"    addresses: [{address: \"2001:db8:b::1\", weight: 0}]\n",
		"t.yaml:17:52: sites[0].addresses[0].weight: out of range "
		"(1..1000)");
	expect_err(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: c\n"
		"    locators: [{prefix: \"2001:db8:c:1:2:3:4:0/112\"}]\n",
		"t.yaml:17:25: sites[0].locators[0].prefix: a locator is at "
		"most /96 (32 bits of function)");
	/* Four waypoints at most. */
	nep_config_free(load(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: b\n"
		"    addresses:\n"
		"      - address: 2001:db8:b::1\n"
		"        via: [\"fc00::1\", \"fc00::2\", \"fc00::3\", "
		"\"fc00::4\"]\n"));
	expect_err(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: b\n"
		"    addresses:\n"
		"      - address: 2001:db8:b::1\n"
		"        via: [\"fc00::1\", \"fc00::2\", \"fc00::3\", "
		"\"fc00::4\", \"fc00::5\"]\n",
		"t.yaml:19:59: sites[0].addresses[0].via[4]: too many "
		"waypoints (max 4)");
	expect_err(PORTS UPLINK SRV6
		"sites:\n"
		"  - name: c\n"
		"    locators:\n"
		"      - prefix: 2001:db8:c:1::/64\n"
		"        via: [\"fc00::1\", \"192.0.2.1\"]\n",
		"t.yaml:19:26: sites[0].locators[0].via[1]: expected an IPv6 "
		"address");
}

/* ---- overlays -------------------------------------------------------- */

static void
test_err_overlay_members(void **state)
{
	(void)state;
	/* BASE: sites b (addresses) and c (locators); overlays on line 22. */
	/* The keys of an overlay's sites name sites: an unknown one is
	 * named as such, at the key. */
	expect_err(BASE "  - name: v\n"
			"    function: 2\n"
			"    sites:\n"
			"      a: [fd42:1::/64]\n"
			"      x: [fd42:9::/64]\n",
		"t.yaml:27:7: overlays[0].sites.x: unknown site 'x'");
	expect_err(BASE "  - name: v\n"
			"    function: 2\n"
			"    sites:\n"
			"      b: {prefixes: [fd42:2::/64], sid6: \"fc00:b::6\"}\n"
			"      c: [fd42:3::/64]\n",
		"t.yaml:26:7: overlays[0].sites: this site ('a') is not a "
		"member");
	expect_err(BASE "  - name: v\n"
			"    function: 2\n"
			"    sites:\n"
			"      a: [fd42:1::/64]\n",
		"t.yaml:26:7: overlays[0].sites: an overlay joins two sites "
		"or more");
	/* A site at addresses needs the overlay SID, as a list or a map. */
	expect_err(BASE "  - name: v\n"
			"    function: 2\n"
			"    sites:\n"
			"      a: [fd42:1::/64]\n"
			"      b: [fd42:2::/64]\n",
		"t.yaml:27:10: overlays[0].sites.b: site 'b' is reached at "
		"addresses (no locator): its overlay SID (sid6/sid4) is "
		"required");
	expect_err(BASE "  - name: v\n"
			"    function: 2\n"
			"    sites:\n"
			"      a: [fd42:1::/64]\n"
			"      b: {prefixes: [fd42:2::/64]}\n",
		"t.yaml:27:10: overlays[0].sites.b: site 'b' is reached at "
		"addresses (no locator): its overlay SID (sid6/sid4) is "
		"required");
	expect_err(BASE "  - name: v\n"
			"    function: 2\n"
			"    sites:\n"
			"      a: [fd42:1::/64]\n"
			"      c: {prefixes: [fd42:3::/64], sid: \"fc00::1\"}\n",
		"t.yaml:27:36: overlays[0].sites.c.sid: unknown key");
	expect_err(BASE "  - name: v\n"
			"    function: 2\n"
			"    sites:\n"
			"      a: [fd42:1::/64]\n"
			"      c: {sid4: \"fc00::1\"}\n",
		"t.yaml:27:10: overlays[0].sites.c: missing required key "
		"'prefixes'");
	expect_err(BASE "  - name: v\n"
			"    function: 2\n"
			"    sites:\n"
			"      a: [fd42:1::/64]\n"
			"      b: {prefixes: [fd42:2::/64], sid4: 192.0.2.1}\n",
		"t.yaml:27:42: overlays[0].sites.b.sid4: expected an IPv6 "
		"address");
}

static void
test_err_overlay_names(void **state)
{
	(void)state;
	expect_err(BASE "  - name: v\n"
			"    function: 2\n"
			"    sites: {a: [fd42:1::/64], c: [fd42:3::/64]}\n"
			"  - name: v\n"
			"    function: 3\n"
			"    sites: {a: [fd42:1::/64], c: [fd42:3::/64]}\n",
		"t.yaml:26:11: overlays[1].name: duplicate overlay 'v'");
	/* Functions are compared as numbers. */
	expect_err(BASE "  - name: v\n"
			"    function: 0x100\n"
			"    sites: {a: [fd42:1::/64], c: [fd42:3::/64]}\n"
			"  - name: w\n"
			"    function: 256\n"
			"    sites: {a: [fd42:1::/64], c: [fd42:3::/64]}\n",
		"t.yaml:27:15: overlays[1].function: same function as "
		"overlays[0]");
	expect_err(BASE "  - name: v\n"
			"    sites: {a: [fd42:1::/64], c: [fd42:3::/64]}\n",
		"t.yaml:23:5: overlays[0]: missing required key 'function'");
	expect_err(BASE "  - name: v\n"
			"    function: 2\n",
		"t.yaml:23:5: overlays[0]: missing required key 'sites'");
}

static void
test_err_function(void **state)
{
	/* no octal (010), no sign, nothing that wraps */
	static const char *const bad[] = { "1", "0", "\"abc\"", "0x",
		"0x100000000", "2x", "\"\"", "[2]", "010", "-2",
		"\"-18446744073709551614\"", "\"+5\"", "0x-5" };
	char yaml[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			BASE "  - name: v\n"
			     "    function: %s\n"
			     "    sites: {a: [fd42:1::/64], c: [fd42:3::/64]}\n",
			bad[i]);
		expect_err(yaml, "t.yaml:24:15: overlays[0].function: "
				 "expected a function number 2..0xffffffff "
				 "(1 is the site's End SID)");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_err_srv6_keys),
		cmocka_unit_test(test_err_srv6_uplinks),
		cmocka_unit_test(test_err_locators),
		cmocka_unit_test(test_err_localsids),
		cmocka_unit_test(test_err_needs_srv6),
		cmocka_unit_test(test_err_sites),
		cmocka_unit_test(test_err_overlay_members),
		cmocka_unit_test(test_err_overlay_names),
		cmocka_unit_test(test_err_function),
	};

	return cmocka_run_group_tests_name("srv6_config", tests, NULL, NULL);
}
