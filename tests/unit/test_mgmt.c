/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management plane tests: splitting, matching, dispatch (no EAL), then the
 * socket server and its telemetry front end under a minimal EAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_log.h>
#include <rte_version.h>

#include "nep_mgmt.h"
#include "nep_mgmt_priv.h"	/* NEP_MGMT_TEL_CMDS_MAX */
#include "nep_test_eal.h"

/*
 * The multihoming commands, as app/neptune/features/multihoming/grammar.c
 * (linked into this suite, as into neptune and neptune-cli) registers them:
 * the tests check that exactly these are there and dispatch "show flows"
 * and "set uplink" through them. main() registers this table itself only
 * if the suite is ever built without grammar.c.
 */
static const struct nep_cmd_def multihoming_grammar[] = {
	{ "show uplinks", "Show uplinks: state, health, weight, traffic" },
	{ "show uplink NAME",
	  "Show one uplink: each health target's RTT, loss and state" },
	{ "show flows [FILTER...]",
	  "List steered flows (uplink NAME, proto P, src/dst PREFIX, port N, limit N)" },
	{ "show policies", "List steering policies and their hit counts" },
	{ "show events", "Show recent uplink state changes" },
	{ "set uplink NAME weight N",
	  "Set an uplink's balancing weight (0..1000)" },
	{ "set uplink NAME admin up|down",
	  "Enable or disable an uplink administratively" },
	{ "flush flows [uplink NAME]",
	  "Remove steered flows (all, or one uplink's)" },
};

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

/* Registered before main(), with no EAL, as the features do. */
static const struct nep_cmd_def ctor_grammar[] = {
	{ "show gadgets", "Registered from a constructor (test)" },
};
static int ctor_rc = -2;

static void __attribute__((constructor))
ctor_register(void)
{
	ctor_rc = nep_cmd_register(ctor_grammar, DIM(ctor_grammar));
}

/* ---- fake handlers ---- */

static int calls;
static int last_argc;
static char last_argv[NEP_MGMT_MAX_ARGS][64];
static bool last_json;
static void *last_app;

static void
record(struct nep_cmd_ctx *ctx)
{
	calls++;
	last_argc = ctx->argc;
	last_json = ctx->json;
	last_app = ctx->app;
	for (int i = 0; i < ctx->argc; i++)
		snprintf(last_argv[i], sizeof(last_argv[i]), "%s", ctx->argv[i]);
}

static int
h_version(struct nep_cmd_ctx *ctx)
{
	record(ctx);
	if (ctx->json)
		ctx->json_out = json_pack("{s:s,s:s}", "version", "0.1.0",
			"dpdk", "DPDK 22.11");
	else
		nep_buf_printf(ctx->out, "neptune 0.1.0 (DPDK 22.11)");
	return 0;
}

static int
h_ports(struct nep_cmd_ctx *ctx)
{
	record(ctx);
	if (ctx->json)
		ctx->json_out = json_pack("{s:[{s:s,s:i,s:{s:b,s:i},s:[s],"
			"s:f,s:f,s:f},{s:s,s:i,s:{s:b,s:i},s:[]}]}", "ports",
			"name", "lan0", "port_id", 0, "link", "up", 1,
			"speed_mbps", 10000, "addresses", "2001:db8::1/64",
			"rtt_ms", 12.4, "loss_pct", 68.75, "ratio", -0.5,
			"name", "wan1", "port_id", 1, "link", "up", 0,
			"speed_mbps", 0, "addresses");
	else
		nep_buf_printf(ctx->out, "lan0 up\nwan1 down\n");
	return 0;
}

static int
h_record(struct nep_cmd_ctx *ctx)
{
	record(ctx);
	nep_buf_printf(ctx->out, "done");
	return 0;
}

static int
h_silent(struct nep_cmd_ctx *ctx)
{
	record(ctx);
	return 0;
}

static int
h_fail(struct nep_cmd_ctx *ctx)
{
	record(ctx);
	if (ctx->json)
		ctx->json_out = json_object();	/* must not leak */
	nep_buf_printf(ctx->out, "uplink '%s' not found", ctx->argv[2]);
	return -1;
}

static int
h_flows(struct nep_cmd_ctx *ctx)
{
	struct nep_flow_filter f;

	record(ctx);
	if (nep_cmd_flow_filter(ctx->argc - 2, ctx->argv + 2, &f, ctx->out) < 0)
		return -1;
	if (ctx->json)
		ctx->json_out = json_pack("{s:[],s:i}", "flows", "total", 0);
	else
		nep_buf_printf(ctx->out, "uplink=%s proto=%d limit=%llu\n",
			f.uplink ? f.uplink : "-", f.proto,
			(unsigned long long)f.limit);
	return 0;
}

static int app_token;
static struct nep_dispatch disp;

static void
bind_all(void)
{
	memset(&disp, 0, sizeof(disp));
	disp.app = &app_token;
	assert_int_equal(nep_dispatch_bind(&disp, "show version", h_version), 0);
	assert_int_equal(nep_dispatch_bind(&disp, "show ports", h_ports), 0);
	assert_int_equal(nep_dispatch_bind(&disp, "show port stats [NAME]",
		h_record), 0);
	assert_int_equal(nep_dispatch_bind(&disp, "show flows [FILTER...]",
		h_flows), 0);
	assert_int_equal(nep_dispatch_bind(&disp, "set uplink NAME weight N",
		h_fail), 0);
	assert_int_equal(nep_dispatch_bind(&disp,
		"set uplink NAME admin up|down", h_record), 0);
	assert_int_equal(nep_dispatch_bind(&disp, "set log level LEVEL",
		h_silent), 0);
	assert_int_equal(nep_dispatch_bind(&disp, "flush flows [uplink NAME]",
		h_record), 0);
	assert_int_equal(nep_dispatch_bind(&disp, "clear stats", h_silent), 0);
	assert_int_equal(nep_dispatch_bind(&disp, "no such command", h_silent),
		-1);
}

/* Run a line; returns rc and leaves the reply in *out (caller frees). */
static int
run(const char *line, struct nep_buf *out)
{
	nep_buf_init(out);
	return nep_dispatch_line(&disp, line, out);
}

static void
expect(const char *line, int rc, const char *reply)
{
	struct nep_buf out;

	assert_int_equal(run(line, &out), rc);
	assert_string_equal(out.data, reply);
	nep_buf_free(&out);
}

static void
expect_sub(const char *line, int rc, const char *sub)
{
	struct nep_buf out;

	assert_int_equal(run(line, &out), rc);
	if (strstr(out.data, sub) == NULL)
		fail_msg("'%s' -> '%s', expected '%s' in it", line, out.data,
			sub);
	if (rc < 0)
		assert_true(strncmp(out.data, "error: ", 7) == 0);
	nep_buf_free(&out);
}

/* ---- split / match ---- */

static void
test_split(void **state)
{
	char line[] = "  show\tport  stats wan1 \r\n";
	char many[] = "a b c d";
	char blank[] = " \t\n";
	char *argv[4];

	(void)state;
	assert_int_equal(nep_mgmt_split(line, argv, 4), 4);
	assert_string_equal(argv[0], "show");
	assert_string_equal(argv[1], "port");
	assert_string_equal(argv[2], "stats");
	assert_string_equal(argv[3], "wan1");
	assert_int_equal(nep_mgmt_split(many, argv, 3), -1);
	assert_int_equal(nep_mgmt_split(blank, argv, 4), 0);
}

static bool
m(const char *pattern, const char *line)
{
	char buf[256];
	char *argv[NEP_MGMT_MAX_ARGS];
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = nep_mgmt_split(buf, argv, NEP_MGMT_MAX_ARGS);
	assert_true(argc >= 0);
	return nep_cmd_match(pattern, argc, argv);
}

static void
test_match(void **state)
{
	(void)state;
	assert_true(m("show ports", "show ports"));
	assert_false(m("show ports", "show port"));
	assert_false(m("show ports", "show ports x"));
	assert_false(m("show ports", "show"));
	/* alternatives */
	assert_true(m("set uplink NAME admin up|down", "set uplink a admin up"));
	assert_true(m("set uplink NAME admin up|down",
		"set uplink a admin down"));
	assert_false(m("set uplink NAME admin up|down",
		"set uplink a admin left"));
	/* optional single word */
	assert_true(m("show port stats [NAME]", "show port stats"));
	assert_true(m("show port stats [NAME]", "show port stats wan1"));
	assert_false(m("show port stats [NAME]", "show port stats a b"));
	/* optional group of two words: all or nothing */
	assert_true(m("flush flows [uplink NAME]", "flush flows"));
	assert_true(m("flush flows [uplink NAME]", "flush flows uplink wan1"));
	assert_false(m("flush flows [uplink NAME]", "flush flows uplink"));
	assert_false(m("flush flows [uplink NAME]", "flush flows wan1"));
	assert_false(m("flush flows [uplink NAME]",
		"flush flows uplink wan1 x"));
	/* group in the middle */
	assert_true(m("a [b C] d", "a d"));
	assert_true(m("a [b C] d", "a b x d"));
	assert_false(m("a [b C] d", "a b d"));
	/* zero or more words */
	assert_true(m("help [WORD...]", "help"));
	assert_true(m("help [WORD...]", "help set uplink"));
	assert_true(m("x WORD...", "x"));
	assert_true(m("x WORD...", "x 1 2 3"));
	/* value checks */
	assert_true(m("set uplink NAME weight N", "set uplink a weight 0"));
	assert_true(m("set uplink NAME weight N", "set uplink a weight 1000"));
	assert_false(m("set uplink NAME weight N", "set uplink a weight -1"));
	assert_false(m("set uplink NAME weight N", "set uplink a weight 1x"));
	assert_false(m("set uplink NAME weight N", "set uplink a weight +1"));
	assert_true(m("set log level LEVEL", "set log level debug"));
	assert_false(m("set log level LEVEL", "set log level loud"));
	/* malformed patterns never match */
	assert_false(m("a [b", "a b"));
	assert_false(m("a WORD... b", "a b"));
}

static void
test_check_errors(void **state)
{
	char a0[] = "set", a1[] = "uplink", a2[] = "wan1", a3[] = "weight";
	char a4[] = "ten";
	char *argv[] = { a0, a1, a2, a3, a4 };
	struct nep_buf err;

	(void)state;
	nep_buf_init(&err);
	assert_int_equal(nep_cmd_check("set uplink NAME weight N", 5, argv,
		&err), -1);
	assert_non_null(strstr(err.data, "'ten'"));
	assert_int_equal(nep_cmd_check("set uplink NAME admin up|down", 5,
		argv, &err), 0);
	nep_buf_free(&err);
	assert_int_equal(nep_cmd_log_level("emerg"), 1);
	assert_int_equal(nep_cmd_log_level("debug"), 8);
	assert_int_equal(nep_cmd_log_level("warn"), -1);
	assert_int_equal(nep_cmd_log_level(NULL), -1);
	assert_string_equal(nep_log_level_name(1), "emerg");
	assert_string_equal(nep_log_level_name(4), "err");
	assert_string_equal(nep_log_level_name(8), "debug");
	assert_null(nep_log_level_name(0));
	assert_null(nep_log_level_name(9));
	for (int l = 1; l <= 8; l++)
		assert_int_equal(nep_cmd_log_level(nep_log_level_name(l)), l);
}

/* Every grammar entry compiles and matches a sample built from it. */
static void
test_grammar(void **state)
{
	unsigned n = nep_cmd_grammar_count();

	(void)state;
	/* the core table alone has 19 entries; plus the registered ones */
	assert_true(n >= 19 + DIM(multihoming_grammar) + DIM(ctor_grammar));
	assert_true(n <= NEP_CMD_MAX);
	assert_null(nep_cmd_grammar_get(n));
	for (unsigned i = 0; i < n; i++) {
		const struct nep_cmd_def *def = nep_cmd_grammar_get(i);
		char pat[128], sample[256] = "", *w, *save;
		size_t len = 0;

		assert_non_null(def);
		assert_int_equal(nep_cmd_find(def->pattern), (int)i);
		assert_non_null(def->help);
		snprintf(pat, sizeof(pat), "%s", def->pattern);
		for (w = strtok_r(pat, " ", &save); w != NULL;
		     w = strtok_r(NULL, " ", &save)) {
			char word[64], *bar;

			snprintf(word, sizeof(word), "%s",
				w[0] == '[' ? w + 1 : w);
			if (word[strlen(word) - 1] == ']')
				word[strlen(word) - 1] = '\0';
			if (strstr(word, "...") != NULL)
				continue;
			bar = strchr(word, '|');
			if (bar != NULL)
				*bar = '\0';
			if (strcmp(word, "N") == 0)
				strcpy(word, "7");
			else if (strcmp(word, "LEVEL") == 0)
				strcpy(word, "info");
			else if (word[0] >= 'A' && word[0] <= 'Z')
				strcpy(word, "x");
			len += (size_t)snprintf(sample + len, sizeof(sample) - len,
				"%s%s", len ? " " : "", word);
		}
		if (!m(def->pattern, sample))
			fail_msg("'%s' does not match '%s'", def->pattern,
				sample);
	}
	/* the required core commands are all there, before any feature's */
	const char *need[] = {
		"show version", "show ports", "show port stats [NAME]",
		"show lcores", "show neighbors", "show routes [vrf NAME]",
		"show vrf", "show drops",
		"clear stats", "set log level LEVEL", "shutdown",
		"reload", "clear neighbors", "show stats",
		"trace add N [port NAME]", "show trace", "clear trace",
		"show runtime", "show errors", "help [WORD...]",
	};
	for (unsigned i = 0; i < DIM(need); i++)
		if (nep_cmd_find(need[i]) < 0 ||
		    nep_cmd_find(need[i]) >= nep_cmd_find("show gadgets"))
			fail_msg("missing core '%s'", need[i]);
	/* the multihoming commands, registered (grammar.c or main()) */
	for (unsigned i = 0; i < DIM(multihoming_grammar); i++)
		if (nep_cmd_find(multihoming_grammar[i].pattern) <
		    nep_cmd_find("help [WORD...]"))
			fail_msg("'%s' not registered after the core",
				multihoming_grammar[i].pattern);
	/* the constructor registered its table before main() */
	assert_int_equal(ctor_rc, 0);
	assert_ptr_equal(nep_cmd_grammar_get((unsigned)nep_cmd_find(
		"show gadgets")), &ctor_grammar[0]);
}

static void
test_flow_filter(void **state)
{
	char w[][32] = { "uplink", "wan1", "proto", "tcp", "src",
		"2001:db8::/32", "dst", "192.0.2.1", "port", "443", "limit",
		"5" };
	char *argv[12];
	struct nep_flow_filter f;
	struct nep_buf err;

	(void)state;
	for (int i = 0; i < 12; i++)
		argv[i] = w[i];
	nep_buf_init(&err);
	assert_int_equal(nep_cmd_flow_filter(0, argv, &f, &err), 0);
	assert_null(f.uplink);
	assert_int_equal(f.proto, -1);
	assert_int_equal(f.port, -1);
	assert_int_equal(f.limit, NEP_FLOW_LIMIT_DEFAULT);
	assert_int_equal(nep_cmd_flow_filter(12, argv, &f, &err), 0);
	assert_string_equal(f.uplink, "wan1");
	assert_int_equal(f.proto, 6);
	assert_true(f.has_src && f.src.family == AF_INET6 && f.src.len == 32);
	assert_true(f.has_dst && f.dst.family == AF_INET && f.dst.len == 32);
	assert_int_equal(f.port, 443);
	assert_int_equal(f.limit, 5);
	strcpy(w[3], "58");
	assert_int_equal(nep_cmd_flow_filter(4, argv, &f, &err), 0);
	assert_int_equal(f.proto, 58);
	strcpy(w[3], "256");
	assert_int_equal(nep_cmd_flow_filter(4, argv, &f, &err), -1);
	assert_non_null(strstr(err.data, "'256'"));
	assert_int_equal(nep_cmd_flow_filter(3, argv, &f, &err), -1);
	assert_non_null(strstr(err.data, "'proto' needs a value"));
	strcpy(w[5], "2001:db8::/129");
	assert_int_equal(nep_cmd_flow_filter(2, argv + 4, &f, &err), -1);
	assert_non_null(strstr(err.data, "'2001:db8::/129'"));
	assert_int_equal(nep_cmd_flow_filter(1, argv + 1, &f, &err), -1);
	assert_non_null(strstr(err.data, "unknown flow filter 'wan1'"));
	nep_buf_free(&err);
}

/* ---- dispatch ---- */

static void
test_dispatch_text_json(void **state)
{
	struct nep_buf out;
	json_t *j;

	(void)state;
	bind_all();
	calls = 0;
	expect("show version", 0, "neptune 0.1.0 (DPDK 22.11)\n");
	assert_int_equal(calls, 1);
	assert_false(last_json);
	assert_ptr_equal(last_app, &app_token);
	assert_int_equal(last_argc, 2);

	/* --json anywhere, stripped from argv */
	expect("show version --json", 0,
		"{\"version\":\"0.1.0\",\"dpdk\":\"DPDK 22.11\"}\n");
	assert_true(last_json);
	assert_int_equal(last_argc, 2);
	expect("--json show version", 0,
		"{\"version\":\"0.1.0\",\"dpdk\":\"DPDK 22.11\"}\n");
	expect("show --json version", 0,
		"{\"version\":\"0.1.0\",\"dpdk\":\"DPDK 22.11\"}\n");
	assert_string_equal(last_argv[1], "version");

	/* text that already ends with a newline is kept as is */
	expect("  show   ports ", 0, "lan0 up\nwan1 down\n");
	assert_int_equal(run("show ports --json", &out), 0);
	j = json_loads(out.data, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "ports")), 2);
	json_decref(j);
	nep_buf_free(&out);

	/* action command without json_out: a status object */
	expect("flush flows --json", 0, "{\"ok\":true,\"message\":\"done\"}\n");
	expect("clear stats --json", 0, "{\"ok\":true}\n");
	expect("clear stats", 0, "");
	/* blank line */
	expect("   ", 0, "");
	expect("--json", 0, "");
}

static void
test_dispatch_errors(void **state)
{
	char longline[NEP_MGMT_LINE_MAX + 10];

	(void)state;
	bind_all();
	expect("xyz", -1, "error: unknown command 'xyz' (type 'help')\n");
	expect("xyz --json", -1, "error: unknown command 'xyz' (type 'help')\n");
	expect("show bogus", -1,
		"error: unknown command 'show bogus' (type 'help')\n");
	expect("show port", -1, "error: usage: show port stats [NAME]; "
		"show port xstats NAME\n");
	expect("show ports extra", -1, "error: usage: show ports\n");
	expect("set log level", -1, "error: usage: set log level LEVEL\n");
	expect("reload now", -1, "error: usage: reload\n");
	expect("flush flows uplink", -1,
		"error: usage: flush flows [uplink NAME]\n");
	expect("set uplink wan1 admin sideways", -1,
		"error: usage: set uplink NAME admin up|down\n");
	expect("set uplink wan1 weight", -1,
		"error: usage: set uplink NAME weight N\n");
	expect("clear", -1,
		"error: usage: clear stats; clear neighbors; clear trace; "
		"clear nat44 sessions\n");
	expect_sub("show", -1, "incomplete command 'show'");
	/* bad values name the value */
	expect("set uplink wan1 weight abc", -1,
		"error: invalid number 'abc' for N "
		"(expected a non-negative integer)\n");
	expect_sub("set uplink wan1 weight -3", -1, "'-3'");
	expect("set log level loud", -1, "error: invalid log level 'loud' "
		"(expected emerg|alert|crit|err|warning|notice|info|debug)\n");
	expect_sub("show flows limit many", -1, "'many'");
	expect_sub("show flows proto sctp-ish", -1, "'sctp-ish'");
	expect_sub("show flows colour red", -1, "unknown flow filter 'colour'");
	/* unbound handler */
	expect("shutdown", -1, "error: not supported\n");
	expect("show routes --json", -1, "error: not supported\n");
	/* handler failure gets the "error: " prefix, JSON is dropped */
	expect("set uplink wan9 weight 3", -1,
		"error: uplink 'wan9' not found\n");
	expect("set uplink wan9 weight 3 --json", -1,
		"error: uplink 'wan9' not found\n");
	/* unique prefixes: a keyword typed in full is not an abbreviation
	 * (show port above); one expansion that matches is used */
	expect("sh ports", 0, "lan0 up\nwan1 down\n");
	expect("sh por", 0, "lan0 up\nwan1 down\n");
	expect("sh port st wan1", 0, "done\n");
	assert_string_equal(last_argv[2], "stats");
	expect("set up wan1 ad d", 0, "done\n");
	assert_string_equal(last_argv[1], "uplink");
	assert_string_equal(last_argv[3], "admin");
	assert_string_equal(last_argv[4], "down");
	expect("show ver --json", 0,
		"{\"version\":\"0.1.0\",\"dpdk\":\"DPDK 22.11\"}\n");
	/* several full expansions: ambiguous; state changes need the first
	 * word in full */
	expect_sub("sh p", -1, "ambiguous");
	expect("sh u", -1, "error: not supported\n");	/* show uplinks, unbound */
	expect_sub("shu", -1, "type the first word");
	expect_sub("fl fl", -1, "type the first word");
	expect_sub("sh nothing", -1, "unknown command");
	/* limits */
	expect_sub("a b c d e f g h i j k l m n o p q", -1, "too many words");
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	expect_sub(longline, -1, "line too long");
}

static void
test_dispatch_groups(void **state)
{
	(void)state;
	bind_all();
	calls = 0;
	expect("flush flows", 0, "done\n");
	assert_int_equal(last_argc, 2);
	expect("flush flows uplink wan1", 0, "done\n");
	assert_int_equal(last_argc, 4);
	assert_string_equal(last_argv[3], "wan1");
	expect("show port stats", 0, "done\n");
	expect("show port stats wan1", 0, "done\n");
	expect("set uplink wan1 admin down", 0, "done\n");
	assert_string_equal(last_argv[4], "down");
	expect("set log level debug", 0, "");
	assert_int_equal(calls, 6);
	/* WORD...: zero or more */
	expect("show flows", 0, "uplink=- proto=-1 limit=100\n");
	expect("show flows uplink wan1 proto udp limit 7", 0,
		"uplink=wan1 proto=17 limit=7\n");
	expect("show flows --json limit 0", 0, "{\"flows\":[],\"total\":0}\n");
}

static void
test_help(void **state)
{
	struct nep_buf out;
	json_t *j, *cmds;

	(void)state;
	bind_all();
	assert_int_equal(run("help", &out), 0);
	for (unsigned i = 0; i < nep_cmd_grammar_count(); i++) {
		assert_non_null(strstr(out.data,
			nep_cmd_grammar_get(i)->pattern));
		assert_non_null(strstr(out.data, nep_cmd_grammar_get(i)->help));
	}
	/* core first, then the registered tables */
	assert_true(strstr(out.data, "help [WORD...]") <
		strstr(out.data, "show uplinks"));
	nep_buf_free(&out);

	assert_int_equal(run("help --json", &out), 0);
	j = json_loads(out.data, 0, NULL);
	assert_non_null(j);
	cmds = json_object_get(j, "commands");
	assert_int_equal(json_array_size(cmds), nep_cmd_grammar_count());
	for (unsigned i = 0; i < nep_cmd_grammar_count(); i++) {
		json_t *c = json_array_get(cmds, i);

		assert_string_equal(json_string_value(json_object_get(c,
			"pattern")), nep_cmd_grammar_get(i)->pattern);
		assert_string_equal(json_string_value(json_object_get(c,
			"help")), nep_cmd_grammar_get(i)->help);
	}
	json_decref(j);
	nep_buf_free(&out);

	assert_int_equal(run("help show uplink", &out), 0);
	assert_null(strstr(out.data, "show uplinks"));
	assert_non_null(strstr(out.data, "show uplink NAME  Show one uplink: "
		"each health target's RTT, loss and state"));
	nep_buf_free(&out);
	assert_int_equal(run("help trace", &out), 0);
	assert_non_null(strstr(out.data, "trace add N [port NAME]"));
	assert_null(strstr(out.data, "show trace"));
	nep_buf_free(&out);

	assert_int_equal(run("help set uplink", &out), 0);
	assert_non_null(strstr(out.data, "set uplink NAME weight N"));
	assert_non_null(strstr(out.data, "set uplink NAME admin up|down"));
	assert_null(strstr(out.data, "show"));
	assert_null(strstr(out.data, "set log"));
	nep_buf_free(&out);
	expect_sub("help bogus", -1, "no command matches 'bogus'");
}

/* ---- completion ---- */

struct seen {
	char kw[64][48];
	int n;
	char ph[128];
};

static void
seen_kw(const char *kw, unsigned idx, void *arg)
{
	struct seen *s = arg;

	(void)idx;
	snprintf(s->kw[s->n++], sizeof(s->kw[0]), "%s", kw);
}

static void
seen_ph(const char *name, unsigned idx, void *arg)
{
	struct seen *s = arg;

	(void)idx;
	strcat(s->ph, name);
	strcat(s->ph, " ");
}

static bool
has(const struct seen *s, const char *kw)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->kw[i], kw) == 0)
			return true;
	return false;
}

static int
complete(const char *line, struct seen *s, bool *end)
{
	static char buf[256];
	char *argv[NEP_MGMT_MAX_ARGS];
	int argc;

	memset(s, 0, sizeof(*s));
	snprintf(buf, sizeof(buf), "%s", line);
	argc = nep_mgmt_split(buf, argv, NEP_MGMT_MAX_ARGS);
	return nep_cmd_complete(argc, argv, seen_kw, seen_ph, s, end);
}

static void
test_complete(void **state)
{
	struct seen s;
	bool end;

	(void)state;
	assert_true(complete("", &s, &end) > 0);
	assert_false(end);
	assert_true(has(&s, "show") && has(&s, "set") && has(&s, "clear") &&
		has(&s, "flush") && has(&s, "reload") && has(&s, "help") &&
		has(&s, "shutdown"));
	/* distinct keywords only */
	for (int i = 0; i < s.n; i++)
		for (int j = i + 1; j < s.n; j++)
			assert_string_not_equal(s.kw[i], s.kw[j]);

	complete("show", &s, &end);
	assert_true(has(&s, "ports") && has(&s, "port") && has(&s, "flows") &&
		has(&s, "uplinks") && has(&s, "stats"));
	assert_false(has(&s, "show"));

	complete("set uplink wan1", &s, &end);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, "weight") && has(&s, "admin"));
	complete("set uplink wan1 admin", &s, &end);
	assert_true(has(&s, "up") && has(&s, "down"));
	complete("set uplink", &s, &end);
	assert_int_equal(s.n, 0);
	assert_string_equal(s.ph, "NAME ");

	assert_int_equal(complete("show ports", &s, &end), 1);
	assert_true(end);
	assert_int_equal(s.n, 0);
	complete("show ports --json", &s, &end);
	assert_true(end);

	complete("flush flows", &s, &end);
	assert_true(end);
	assert_true(has(&s, "uplink"));
	complete("show flows", &s, &end);
	assert_true(end && has(&s, "uplink") && has(&s, "limit"));
	complete("show flows proto", &s, &end);
	assert_true(has(&s, "tcp") && has(&s, "icmpv6"));
	complete("show flows uplink", &s, &end);
	assert_string_equal(s.ph, "NAME ");

	assert_int_equal(complete("bogus", &s, &end), 0);
	assert_int_equal(complete("show ports x", &s, &end), 0);

	/* the new core commands */
	complete("", &s, &end);
	assert_true(has(&s, "trace"));
	complete("trace add 10", &s, &end);
	assert_true(end && has(&s, "port"));
	complete("show", &s, &end);
	assert_true(has(&s, "trace") && has(&s, "runtime") &&
		has(&s, "errors") && has(&s, "uplink"));
}

/* ---- registration ---- */

static const struct nep_cmd_def widget_grammar[] = {
	{ "show widgets [NAME]", "Show widgets (test feature)" },
	{ "set widget NAME colour red|green", "Paint a widget (test feature)" },
};

static void
test_register(void **state)
{
	unsigned n0 = nep_cmd_grammar_count();
	struct nep_buf out;
	struct seen s;
	json_t *j, *cmds;
	bool end;
	int w;

	(void)state;
	assert_int_equal(nep_cmd_find("show widgets [NAME]"), -1);
	assert_int_equal(nep_cmd_register(widget_grammar, 0), 0);
	assert_int_equal(nep_cmd_register(widget_grammar,
		DIM(widget_grammar)), 0);
	assert_int_equal(nep_cmd_grammar_count(), n0 + 2);
	w = nep_cmd_find("show widgets [NAME]");
	assert_int_equal(w, (int)n0);
	assert_int_equal(nep_cmd_find("set widget NAME colour red|green"),
		(int)n0 + 1);
	assert_ptr_equal(nep_cmd_grammar_get(n0), &widget_grammar[0]);

	/* dispatched like a core command */
	bind_all();
	assert_int_equal(nep_dispatch_bind(&disp, "show widgets [NAME]",
		h_record), 0);
	calls = 0;
	expect("show widgets", 0, "done\n");
	expect("show widgets w1 --json", 0,
		"{\"ok\":true,\"message\":\"done\"}\n");
	assert_int_equal(calls, 2);
	assert_string_equal(last_argv[2], "w1");
	expect("set widget w1 colour red", -1, "error: not supported\n");
	expect("set widget w1 colour blue", -1,
		"error: usage: set widget NAME colour red|green\n");
	expect("show widgets a b", -1, "error: usage: show widgets [NAME]\n");

	/* completed */
	complete("show", &s, &end);
	assert_true(has(&s, "widgets") && has(&s, "version"));
	complete("set", &s, &end);
	assert_true(has(&s, "widget") && has(&s, "uplink") && has(&s, "log"));
	complete("set widget w1 colour", &s, &end);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, "red") && has(&s, "green"));
	assert_int_equal(complete("show widgets", &s, &end), 1);
	assert_true(end);
	assert_string_equal(s.ph, "NAME ");

	/* in help, text and JSON, after everything registered before */
	assert_int_equal(run("help", &out), 0);
	assert_non_null(strstr(out.data, "Paint a widget (test feature)"));
	assert_true(strstr(out.data, "show widgets [NAME]") >
		strstr(out.data, "flush flows [uplink NAME]"));
	nep_buf_free(&out);
	assert_int_equal(run("help set widget", &out), 0);
	assert_string_equal(out.data, "  set widget NAME colour red|green  "
		"Paint a widget (test feature)\n");
	nep_buf_free(&out);
	assert_int_equal(run("help --json", &out), 0);
	j = json_loads(out.data, 0, NULL);
	assert_non_null(j);
	cmds = json_object_get(j, "commands");
	assert_int_equal(json_array_size(cmds), n0 + 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		cmds, n0 + 1), "pattern")), "set widget NAME colour red|green");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		cmds, n0), "help")), "Show widgets (test feature)");
	json_decref(j);
	nep_buf_free(&out);
}

static void
test_register_refused(void **state)
{
	static const struct nep_cmd_def core_dup[] = {
		{ "show version", "again" },
	};
	static const struct nep_cmd_def partly_dup[] = {
		{ "show sprockets", "new" },
		{ "show uplinks", "already registered" },
	};
	static const struct nep_cmd_def twice[] = {
		{ "show sprockets", "new" },
		{ "show sprockets", "new, twice" },
	};
	static const struct nep_cmd_def bad[][1] = {
		{ { "show [sprockets", "malformed" } },
		{ { "show WORD... x", "malformed" } },
		{ { "", "empty" } },
		{ { NULL, "no pattern" } },
		{ { "show sprockets", NULL } },
		{ { "help sprockets", "never reached: help comes first" } },
		{ { "help|aide", "never reached either" } },
	};
	unsigned n0 = nep_cmd_grammar_count();

	(void)state;
	errno = 0;
	assert_int_equal(nep_cmd_register(core_dup, DIM(core_dup)), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(nep_cmd_register(multihoming_grammar,
		DIM(multihoming_grammar)), -1);
	assert_int_equal(errno, EEXIST);
	/* all or nothing: the new entry before the duplicate is not kept */
	assert_int_equal(nep_cmd_register(partly_dup, DIM(partly_dup)), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(nep_cmd_register(twice, DIM(twice)), -1);
	assert_int_equal(errno, EEXIST);
	for (unsigned i = 0; i < DIM(bad); i++) {
		errno = 0;
		if (nep_cmd_register(bad[i], 1) != -1 || errno != EINVAL)
			fail_msg("'%s' accepted", bad[i][0].pattern ?
				bad[i][0].pattern : "(null)");
	}
	assert_int_equal(nep_cmd_register(NULL, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(nep_cmd_grammar_count(), n0);
	assert_int_equal(nep_cmd_find("show sprockets"), -1);
	/* a table with more entries than the grammar holds */
	assert_int_equal(nep_cmd_register(core_dup, NEP_CMD_MAX + 1), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(nep_cmd_grammar_count(), n0);
}

/* Fills the grammar for good: runs last. */
static void
test_register_full(void **state)
{
	static char pats[NEP_CMD_MAX][32];
	static struct nep_cmd_def fill[NEP_CMD_MAX];
	static const struct nep_cmd_def one_more[] = {
		{ "fill extra", "one too many" },
	};
	unsigned n0 = nep_cmd_grammar_count(), room = NEP_CMD_MAX - n0;
	char line[64];

	(void)state;
	assert_true(room >= 2);
	for (unsigned i = 0; i < room; i++) {
		snprintf(pats[i], sizeof(pats[i]), "fill c%u", i);
		fill[i].pattern = pats[i];
		fill[i].help = "filler";
	}
	/* one entry too many: refused whole */
	fill[room].pattern = "fill c-over";
	fill[room].help = "filler";
	errno = 0;
	assert_int_equal(nep_cmd_register(fill, room + 1), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(nep_cmd_grammar_count(), n0);
	/* exactly full */
	assert_int_equal(nep_cmd_register(fill, room), 0);
	assert_int_equal(nep_cmd_grammar_count(), NEP_CMD_MAX);
	assert_int_equal(nep_cmd_register(one_more, 1), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(nep_cmd_grammar_count(), NEP_CMD_MAX);
	assert_null(nep_cmd_grammar_get(NEP_CMD_MAX));

	/* the handler table covers the last entry */
	bind_all();
	snprintf(line, sizeof(line), "fill c%u", room - 1);
	assert_int_equal(nep_dispatch_bind(&disp, line, h_record), 0);
	assert_ptr_equal(disp.handlers[NEP_CMD_MAX - 1], h_record);
	expect(line, 0, "done\n");
	expect("fill c0", -1, "error: not supported\n");
	expect_sub("fill", -1, "incomplete command 'fill'");
	expect("show version", 0, "neptune 0.1.0 (DPDK 22.11)\n");
	expect_sub("help fill", 0, line);
}

/* ---- server under EAL ---- */

static bool eal_ok;
static char tmpdir[128];
static struct nep_mgmt *srv;
static volatile bool poll_stop;
static pthread_t poll_tid;

/* Plays the control lcore. */
static void *
poll_thread(void *arg)
{
	(void)arg;
	while (!poll_stop) {
		nep_mgmt_poll(srv);
		usleep(50);
	}
	return NULL;
}

static int
eal_setup(void **state)
{
	(void)state;
	/* without an EAL the server tests skip themselves */
	eal_ok = nep_test_eal_init("mgmt", 64) == 0;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/nep-test-mgmt-%d", (int)getpid());
	return 0;
}

static int
eal_teardown(void **state)
{
	char cmd[512];

	(void)state;
	nep_test_eal_fini();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return 0;
}

static void
sock_path(char *buf, size_t size)
{
	snprintf(buf, size, "%s/run/sub/neptune.sock", tmpdir);
}

static void
server_up(void)
{
	char path[256];

	sock_path(path, sizeof(path));
	bind_all();
	srv = nep_mgmt_start(path, &disp, true);
	assert_non_null(srv);
	poll_stop = false;
	assert_int_equal(pthread_create(&poll_tid, NULL, poll_thread, NULL), 0);
}

static void
server_down(void)
{
	poll_stop = true;
	pthread_join(poll_tid, NULL);
	nep_mgmt_stop(srv);
	srv = NULL;
}

/* Read one raw frame from fd: returns 0 OK / 1 ERR, payload in buf. */
static int
read_frame(int fd, char *buf, size_t size)
{
	char hdr[32];
	size_t hl = 0, len, got = 0;
	bool ok;

	while (hl < sizeof(hdr) - 1) {
		assert_int_equal(read(fd, hdr + hl, 1), 1);
		if (hdr[hl++] == '\n')
			break;
	}
	hdr[hl] = '\0';
	ok = strncmp(hdr, "OK ", 3) == 0;
	assert_true(ok || strncmp(hdr, "ERR ", 4) == 0);
	len = strtoul(hdr + (ok ? 3 : 4), NULL, 10);
	assert_true(len < size);
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);

		assert_true(r > 0);
		got += (size_t)r;
	}
	buf[len] = '\0';
	return ok ? 0 : 1;
}

static void
test_server(void **state)
{
	char path[256], dir[256], buf[4096];
	struct nep_buf reply;
	struct stat st;
	int fd, fd2;

	(void)state;
	if (!eal_ok)
		fail_msg("EAL did not start: the server tests cannot run");
	server_up();
	sock_path(path, sizeof(path));

	/* permissions: socket 0600, created directories 0700 */
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(dir, sizeof(dir), "%s/run/sub", tmpdir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* a live server is never replaced */
	assert_null(nep_mgmt_start(path, &disp, false));
	assert_int_equal(errno, EADDRINUSE);

	nep_buf_init(&reply);
	fd = nep_mgmt_connect(path);
	assert_true(fd >= 0);
	fd2 = nep_mgmt_connect(path);
	assert_true(fd2 >= 0);
	assert_int_equal(nep_mgmt_request(fd, "show version", &reply), 0);
	assert_string_equal(reply.data, "neptune 0.1.0 (DPDK 22.11)\n");
	assert_int_equal(nep_mgmt_request(fd2, "bogus", &reply), 1);
	assert_string_equal(reply.data,
		"error: unknown command 'bogus' (type 'help')\n");
	assert_int_equal(nep_mgmt_request(fd, "show version --json", &reply), 0);
	assert_string_equal(reply.data,
		"{\"version\":\"0.1.0\",\"dpdk\":\"DPDK 22.11\"}\n");
	assert_int_equal(nep_mgmt_request(fd2, "shutdown", &reply), 1);
	assert_string_equal(reply.data, "error: not supported\n");
	assert_int_equal(nep_mgmt_request(fd, "", &reply), 0);
	assert_int_equal(reply.len, 0);

	/* raw framing: two lines in one write, one line in two writes */
	assert_int_equal(write(fd, "show version\r\nxyz\n", 18), 18);
	assert_int_equal(read_frame(fd, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "neptune 0.1.0 (DPDK 22.11)\n");
	assert_int_equal(read_frame(fd, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "error: unknown command 'xyz' (type 'help')\n");
	assert_int_equal(write(fd, "show ver", 8), 8);
	usleep(20000);
	assert_int_equal(write(fd, "sion\n", 5), 5);
	assert_int_equal(read_frame(fd, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "neptune 0.1.0 (DPDK 22.11)\n");

	/* an over-long line: one ERR, then the connection still works */
	memset(buf, 'x', 3000);
	buf[3000] = '\n';
	assert_int_equal(write(fd, buf, 3001), 3001);
	assert_int_equal(read_frame(fd, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "line too long"));
	memset(buf, 'y', NEP_MGMT_LINE_MAX);	/* exactly one too many */
	buf[NEP_MGMT_LINE_MAX] = '\n';
	assert_int_equal(write(fd, buf, NEP_MGMT_LINE_MAX + 1),
		NEP_MGMT_LINE_MAX + 1);
	assert_int_equal(read_frame(fd, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "line too long"));
	assert_int_equal(nep_mgmt_request(fd, "show version", &reply), 0);

	/* the last line may lack its newline when the client half-closes */
	assert_int_equal(write(fd2, "show ports", 10), 10);
	shutdown(fd2, SHUT_WR);
	assert_int_equal(read_frame(fd2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "lan0 up\nwan1 down\n");
	close(fd2);

	close(fd);
	server_down();
	/* stop removes the socket; clients cannot connect any more */
	assert_int_not_equal(lstat(path, &st), 0);
	assert_true(nep_mgmt_connect(path) < 0);
	nep_buf_free(&reply);
}

static void
test_server_stale(void **state)
{
	struct sockaddr_un sa;
	char path[256];
	int fd;

	(void)state;
	if (!eal_ok)
		fail_msg("EAL did not start: the server tests cannot run");
	sock_path(path, sizeof(path));
	/* a socket left behind by a dead server */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	server_up();
	fd = nep_mgmt_connect(path);
	assert_true(fd >= 0);
	close(fd);
	server_down();

	/* a regular file is never removed */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(nep_mgmt_start(path, &disp, false));
	assert_int_equal(errno, EEXIST);
	unlink(path);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Issue 16: idle clients can never lock an operator out (the one idle
 * longest makes room), a client that does not read its replies stalls
 * nobody else, and a silent client is closed after the idle timeout.
 */
static void
test_server_lockout(void **state)
{
	enum { SLOTS = 16 };
	char path[256], buf[256];
	struct nep_buf reply;
	int idle[SLOTS], fd, slow;
	uint64_t t0;

	(void)state;
	if (!eal_ok)
		fail_msg("EAL did not start: the server tests cannot run");
	server_up();
	sock_path(path, sizeof(path));
	nep_buf_init(&reply);

	/* every slot taken by an idle client: a new operator still gets in */
	for (unsigned i = 0; i < SLOTS; i++) {
		idle[i] = nep_mgmt_connect(path);
		assert_true(idle[i] >= 0);
		usleep(2000);
	}
	usleep(1200 * 1000);	/* idle for more than a second */
	fd = nep_mgmt_connect(path);
	assert_true(fd >= 0);
	assert_int_equal(nep_mgmt_request(fd, "show version", &reply), 0);
	assert_string_equal(reply.data, "neptune 0.1.0 (DPDK 22.11)\n");
	/* the one idle longest (the first) made room: it sees the end */
	assert_int_equal(read(idle[0], buf, sizeof(buf)), 0);
	for (unsigned i = 0; i < SLOTS; i++)
		close(idle[i]);
	usleep(50 * 1000);

	/* a client that sends requests and never reads the replies */
	slow = nep_mgmt_connect(path);
	assert_true(slow >= 0);
	for (unsigned i = 0; i < 2000; i++) {
		static const char req[] = "help\n";

		/* until its own socket is full: the server reads no more of
		 * its requests while its replies wait */
		if (send(slow, req, sizeof(req) - 1, MSG_DONTWAIT) !=
			sizeof(req) - 1)
			break;
	}
	usleep(100 * 1000);
	t0 = now_ms();
	for (unsigned i = 0; i < 20; i++)
		assert_int_equal(nep_mgmt_request(fd, "show version", &reply),
			0);
	/* (a blocking send to the slow client held everyone 4-5 s) */
	assert_true(now_ms() - t0 < 2000);
	close(slow);
	close(fd);

	/* silent clients go after the idle timeout */
	nep_mgmt_set_idle_timeout(srv, 300);
	fd = nep_mgmt_connect(path);
	assert_true(fd >= 0);
	usleep(1600 * 1000);	/* the server looks at least every second */
	assert_int_equal(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	fd = nep_mgmt_connect(path);
	assert_true(fd >= 0);
	assert_int_equal(nep_mgmt_request(fd, "show version", &reply), 0);
	close(fd);
	nep_buf_free(&reply);
	server_down();
}

/* One DPDK telemetry request over its SOCK_SEQPACKET socket. */
static json_t *
telemetry(const char *req)
{
	struct sockaddr_un sa;
	char buf[16384 + 1];
	ssize_t n;
	json_t *j;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dpdk_telemetry.v2",
		rte_eal_get_runtime_dir());
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = read(fd, buf, sizeof(buf) - 1);	/* greeting */
	assert_true(n > 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	close(fd);
	j = json_loads(buf, 0, NULL);
	if (j == NULL)
		fail_msg("bad telemetry reply: %s", buf);
	return j;
}

/* Run a telemetry command; its value (a borrowed ref into *j). */
static json_t *
tel_get(const char *req, json_t **j)
{
	char cmd[128];
	char *comma;

	snprintf(cmd, sizeof(cmd), "%s", req);
	comma = strchr(cmd, ',');
	if (comma != NULL)
		*comma = '\0';
	*j = telemetry(req);
	return json_object_get(*j, cmd);
}

/* A telemetry command answering an error string. */
static void
tel_expect_error(const char *req, const char *msg)
{
	json_t *j, *v = tel_get(req, &j);

	if (!json_is_string(v) || strcmp(json_string_value(v), msg) != 0)
		fail_msg("%s -> %s, expected \"%s\"", req,
			json_is_string(v) ? json_string_value(v) : "(not a string)",
			msg);
	json_decref(j);
}

/* How many /neptune/... commands "/" lists; whether path is one of them. */
static unsigned
tel_count(const char *path, bool *found)
{
	json_t *j, *list = tel_get("/", &j), *v;
	unsigned n = 0;
	size_t i;

	assert_true(json_is_array(list));
	if (found != NULL)
		*found = false;
	json_array_foreach(list, i, v) {
		const char *p = json_string_value(v);

		if (strncmp(p, "/neptune/", 9) == 0)
			n++;
		if (path != NULL && strcmp(p, path) == 0)
			*found = true;
	}
	json_decref(j);
	return n;
}

static bool
tel_has(const char *path)
{
	bool found;

	tel_count(path, &found);
	return found;
}

/* The paths derived from the grammar, their parameters and help. */
static void
tel_derived(void)
{
	static const char *const paths[] = {
		"/neptune/version", "/neptune/ports", "/neptune/port_stats",
		"/neptune/lcores", "/neptune/neighbors", "/neptune/routes",
		"/neptune/vrf",
		"/neptune/drops", "/neptune/errors", "/neptune/stats",
		"/neptune/runtime", "/neptune/local", "/neptune/trace",
		"/neptune/uplinks", "/neptune/uplink", "/neptune/flows",
		"/neptune/policies", "/neptune/events", "/neptune/published",
		"/neptune/sr_localsids", "/neptune/sr_policies",
		"/neptune/overlays", "/neptune/tunnels",
		"/neptune/nat44_sessions", "/neptune/nat44_summary", "/neptune/ilnp",
		"/neptune/ilnp_peers",
		"/neptune/metrics", "/neptune/hooks", "/neptune/port_xstats", "/neptune/controller",
		"/neptune/dhcp", "/neptune/ra", "/neptune/stamp_sessions",
		"/neptune/stamp_session", "/neptune/stamp_reflector",
		"/neptune/stamp_sla", "/neptune/stamp_events",
		/* registered by this suite: a constructor, test_register */
		"/neptune/gadgets", "/neptune/widgets",
	};
	static const char *const not_paths[] = {
		"/neptune/set_uplink", "/neptune/set_log_level", "/neptune/help",
		"/neptune/trace_add", "/neptune/flush_flows", "/neptune/clear_stats",
		"/neptune/show", "/neptune/port", "/neptune/uplink_NAME",
	};
	json_t *j, *v;

	/* one per "show" entry of the grammar, nothing else */
	for (unsigned i = 0; i < DIM(paths); i++)
		if (!tel_has(paths[i]))
			fail_msg("%s not registered", paths[i]);
	for (unsigned i = 0; i < DIM(not_paths); i++)
		if (tel_has(not_paths[i]))
			fail_msg("%s registered", not_paths[i]);
	assert_int_equal(tel_count(NULL, NULL), DIM(paths));

	/* the help is the grammar's, with the parameters if any */
	v = tel_get("/help,/neptune/version", &j);
	assert_string_equal(json_string_value(json_object_get(v,
		"/neptune/version")), "Show neptune and DPDK versions");
	json_decref(j);
	v = tel_get("/help,/neptune/uplink", &j);
	assert_string_equal(json_string_value(json_object_get(v,
		"/neptune/uplink")), "Show one uplink: each health target's RTT, "
		"loss and state. Parameters: NAME");
	json_decref(j);
	v = tel_get("/help,/neptune/port_stats", &j);
	assert_string_equal(json_string_value(json_object_get(v,
		"/neptune/port_stats")), "Show port counters and rates (all "
		"ports, or NAME). Parameters: [NAME]");
	json_decref(j);

	/* a required placeholder: an error without parameters */
	assert_int_equal(nep_dispatch_bind(&disp, "show uplink NAME", h_record),
		0);
	calls = 0;
	tel_expect_error("/neptune/uplink",
		"error: missing parameters; usage: /neptune/uplink,NAME");
	assert_int_equal(calls, 0);
	v = tel_get("/neptune/uplink,wan1", &j);
	assert_int_equal(json_integer_value(json_object_get(v, "ok")), 1);
	assert_string_equal(json_string_value(json_object_get(v, "message")),
		"done");
	json_decref(j);
	assert_int_equal(last_argc, 3);
	assert_string_equal(last_argv[2], "wan1");
	assert_true(last_json);
	tel_expect_error("/neptune/uplink,wan1,wan2",
		"error: usage: show uplink NAME");

	/* optional parameters: with or without */
	v = tel_get("/neptune/port_stats", &j);
	json_decref(j);
	assert_int_equal(last_argc, 3);
	v = tel_get("/neptune/port_stats,wan1", &j);
	json_decref(j);
	assert_int_equal(last_argc, 4);
	assert_string_equal(last_argv[3], "wan1");

	/* flows: blanks work as commas; the default limit only when none */
	v = tel_get("/neptune/flows", &j);
	json_decref(j);
	assert_int_equal(last_argc, 4);
	assert_string_equal(last_argv[2], "limit");
	assert_string_equal(last_argv[3], "50");
	v = tel_get("/neptune/flows,uplink wan1, limit 5", &j);
	assert_int_equal(json_integer_value(json_object_get(v, "total")), 0);
	json_decref(j);
	assert_int_equal(last_argc, 6);
	assert_string_equal(last_argv[3], "wan1");
	assert_string_equal(last_argv[5], "5");
	v = tel_get("/neptune/flows,uplink,limit", &j);	/* uplink "limit" */
	json_decref(j);
	assert_int_equal(last_argc, 6);
	assert_string_equal(last_argv[5], "50");

	/* a command without parameters ignores them */
	v = tel_get("/neptune/version,extra,words", &j);
	assert_string_equal(json_string_value(json_object_get(v, "version")),
		"0.1.0");
	json_decref(j);
	assert_int_equal(last_argc, 2);

	/* a feature's command, registered after the core */
	assert_int_equal(nep_dispatch_bind(&disp, "show widgets [NAME]",
		h_record), 0);
	v = tel_get("/neptune/widgets,w1", &j);
	assert_string_equal(json_string_value(json_object_get(v, "message")),
		"done");
	json_decref(j);
	assert_string_equal(last_argv[2], "w1");
}

static void
test_telemetry(void **state)
{
	json_t *j, *v;

	(void)state;
	if (!eal_ok)
		fail_msg("EAL did not start: the server tests cannot run");
	server_up();
	j = telemetry("/neptune/version");
	v = json_object_get(j, "/neptune/version");
	assert_string_equal(json_string_value(json_object_get(v, "version")),
		"0.1.0");
	json_decref(j);

	/* arrays of objects become dicts keyed by name; bools become ints */
	j = telemetry("/neptune/ports");
	v = json_object_get(json_object_get(j, "/neptune/ports"), "ports");
	assert_true(json_is_object(v));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_object_get(v, "lan0"), "link"), "up")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_object_get(v, "wan1"), "link"), "speed_mbps")), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		json_object_get(v, "lan0"), "addresses"), 0)), "2001:db8::1/64");
	/* fractions are integers in a finer unit, never strings */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v,
		"lan0"), "rtt_us")), 12400);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v,
		"lan0"), "loss_ppm")), 687500);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v,
		"lan0"), "ratio_milli")), -500);
	assert_null(json_object_get(json_object_get(v, "lan0"), "rtt_ms"));
	json_decref(j);

	/* parameters are passed on; errors come back as a string */
	j = telemetry("/neptune/flows,limit,bad");
	v = json_object_get(j, "/neptune/flows");
	assert_true(json_is_string(v));
	assert_non_null(strstr(json_string_value(v), "'bad'"));
	json_decref(j);
	j = telemetry("/neptune/flows,uplink,wan1");
	v = json_object_get(json_object_get(j, "/neptune/flows"), "total");
	assert_int_equal(json_integer_value(v), 0);
	json_decref(j);
	assert_string_equal(last_argv[3], "wan1");
	assert_string_equal(last_argv[4], "limit");	/* telemetry default */

	j = telemetry("/neptune/routes");
	v = json_object_get(j, "/neptune/routes");
	assert_string_equal(json_string_value(v), "error: not supported");
	json_decref(j);

	tel_derived();
	server_down();

	/* after stop the commands stay registered but answer an error */
	j = telemetry("/neptune/version");
	assert_true(json_is_string(json_object_get(j, "/neptune/version")));
	json_decref(j);
}

/* Capture the log in a file while f is open. */
static FILE *
log_capture(uint32_t *level)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	*level = rte_log_get_global_level();
	rte_log_set_global_level(RTE_LOG_WARNING);	/* the suite runs at error */
	assert_int_equal(rte_openlog_stream(f), 0);
	return f;
}

/* Stop capturing; the log so far, malloc'ed. */
static char *
log_release(FILE *f, uint32_t level)
{
	long n;
	char *text;

	rte_openlog_stream(NULL);
	rte_log_set_global_level(level);
	fflush(f);
	n = ftell(f);
	assert_true(n >= 0);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	rewind(f);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static void
log_expect(const char *log, const char *sub)
{
	if (strstr(log, sub) == NULL)
		fail_msg("no '%s' in the log:\n%s", sub, log);
}

/*
 * Commands registered after a start get their paths at the next one;
 * those that cannot have one are skipped with a log line.
 */
static void
test_telemetry_limits(void **state)
{
	static const struct nep_cmd_def odd[] = {
		{ "show gizmo NAME colour red|green", "Show a gizmo (test)" },
		{ "show gizmo-x", "Dash becomes underscore (test)" },
		{ "show gizmo_x", "Same path, another command (test)" },
		{ "show NAME details", "No keyword to name it (test)" },
		/* 9 + 46 = 55 characters: the longest path DPDK takes */
		{ "show aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "Longest path (test)" },
		{ "show aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b",
		  "One too long (test)" },
		{ "show bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		  "One too long too (test)" },
		{ "show longhelp [NAME]", "A help text longer than DPDK keeps "
		  "(127 characters), so it is cut and ends with three dots to "
		  "tell it was; the parameters come after it (test)" },
	};
	static char pats[NEP_MGMT_TEL_CMDS_MAX][32];
	static struct nep_cmd_def fill[NEP_MGMT_TEL_CMDS_MAX];
	char path[64], last[160];
	unsigned n0, room;
	uint32_t level;
	json_t *j, *v;
	FILE *f;
	char *log;

	(void)state;
	if (!eal_ok)
		fail_msg("EAL did not start: the server tests cannot run");
	server_up();
	n0 = tel_count(NULL, NULL);
	server_down();

	/* gizmo, gizmo_x, longhelp, the 55-character path fit; 2 fillers not */
	assert_int_equal(nep_cmd_register(odd, DIM(odd)), 0);
	room = NEP_MGMT_TEL_CMDS_MAX - n0 - 4;
	for (unsigned i = 0; i < room + 2; i++) {
		snprintf(pats[i], sizeof(pats[i]), "show filler c%u", i);
		fill[i].pattern = pats[i];
		fill[i].help = "filler";
	}
	assert_int_equal(nep_cmd_register(fill, room + 2), 0);

	f = log_capture(&level);
	server_up();
	log = log_release(f, level);
	log_expect(log, "'show gizmo_x' skipped: /neptune/gizmo_x already "
		"runs 'show gizmo-x'");
	log_expect(log, "'show NAME details' skipped: no keyword");
	log_expect(log, "'show aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b' "
		"skipped: its path would be longer than 55 characters");
	log_expect(log, "'show bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' "
		"skipped");
	snprintf(last, sizeof(last), "/neptune/filler_c%u ('show filler c%u') "
		"skipped: more than %d telemetry commands", room, room,
		NEP_MGMT_TEL_CMDS_MAX);
	log_expect(log, last);
	snprintf(last, sizeof(last), "/neptune/filler_c%u (", room + 1);
	log_expect(log, last);
	free(log);

	/* all that fits is there, and works */
	assert_int_equal(tel_count(NULL, NULL), NEP_MGMT_TEL_CMDS_MAX);
	assert_true(tel_has("/neptune/gizmo"));
	assert_true(tel_has("/neptune/gizmo_x"));
	assert_true(tel_has("/neptune/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	snprintf(path, sizeof(path), "/neptune/filler_c%u", room - 1);
	assert_true(tel_has(path));
	snprintf(path, sizeof(path), "/neptune/filler_c%u", room);
	assert_false(tel_has(path));
	assert_true(tel_has("/neptune/version"));
	v = tel_get("/neptune/version", &j);
	assert_string_equal(json_string_value(json_object_get(v, "version")),
		"0.1.0");
	json_decref(j);

	/* several words of parameters, an alternative among them */
	assert_int_equal(nep_dispatch_bind(&disp,
		"show gizmo NAME colour red|green", h_record), 0);
	tel_expect_error("/neptune/gizmo", "error: missing parameters; "
		"usage: /neptune/gizmo,NAME,colour,red|green");
	v = tel_get("/neptune/gizmo,g1,colour,red", &j);
	assert_string_equal(json_string_value(json_object_get(v, "message")),
		"done");
	json_decref(j);
	assert_int_equal(last_argc, 5);
	assert_string_equal(last_argv[2], "g1");
	tel_expect_error("/neptune/gizmo,g1,colour,blue",
		"error: usage: show gizmo NAME colour red|green");
	tel_expect_error("/neptune/gizmo_x", "error: not supported");
	v = tel_get("/help,/neptune/gizmo", &j);
	assert_string_equal(json_string_value(json_object_get(v,
		"/neptune/gizmo")), "Show a gizmo (test). Parameters: "
		"NAME,colour,red|green");
	json_decref(j);

	v = tel_get("/help,/neptune/longhelp", &j);
	v = json_object_get(v, "/neptune/longhelp");
	assert_int_equal(strlen(json_string_value(v)), 127);
	assert_true(strncmp(json_string_value(v), "A help text longer", 18) == 0);
	assert_string_equal(json_string_value(v) + 124, "...");
	json_decref(j);

	/* a restart derives nothing new: no duplicates, no new log lines */
	server_down();
	f = log_capture(&level);
	server_up();
	log = log_release(f, level);
	if (strstr(log, "skipped") != NULL)
		fail_msg("skipped again:\n%s", log);
	free(log);
	assert_int_equal(tel_count(NULL, NULL), NEP_MGMT_TEL_CMDS_MAX);
	server_down();
}

int
main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_check_errors),
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_flow_filter),
		cmocka_unit_test(test_dispatch_text_json),
		cmocka_unit_test(test_dispatch_errors),
		cmocka_unit_test(test_dispatch_groups),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_register_refused),
	};
	const struct CMUnitTest eal[] = {
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_server_stale),
		cmocka_unit_test(test_server_lockout),
		cmocka_unit_test(test_telemetry),
		cmocka_unit_test(test_telemetry_limits),
	};
	const struct CMUnitTest full[] = {
		cmocka_unit_test(test_register_full),
	};
	int rc;

	/* constructors have run: grammar.c's table is there if linked */
	if (nep_cmd_find(multihoming_grammar[0].pattern) < 0 &&
	    nep_cmd_register(multihoming_grammar,
		    DIM(multihoming_grammar)) < 0)
		return 1;
	rc = cmocka_run_group_tests_name("mgmt", pure, NULL, NULL);
	rc += cmocka_run_group_tests_name("mgmt_server", eal, eal_setup,
		eal_teardown);
	rc += cmocka_run_group_tests_name("mgmt_full", full, NULL, NULL);
	return rc;
}
