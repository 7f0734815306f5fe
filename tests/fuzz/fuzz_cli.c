/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CLI grammar and dispatcher (lib/mgmt, with every feature's grammar
 * as neptune links them). For any line: a handler runs only for a
 * grammar entry whose pattern nep_cmd_check() accepts for the words it
 * gets (abbreviations expanded to keywords), read-only dispatch runs
 * show commands only, an error is one "error: " line, a JSON reply is
 * valid JSON, and the result does not depend on what ran before.
 * Completion offers only keywords that keep some entry matching.
 * Address/prefix parsing agrees with inet_pton. Input: a control byte,
 * then the line.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include <jansson.h>

#include "fuzz.h"

#include "nep_mgmt.h"

static struct nep_dispatch disp;
static int called;
static int h_argc;
static char h_argv[NEP_MGMT_MAX_ARGS][NEP_MGMT_LINE_MAX];
static uint8_t h_mode;

static int
handler(struct nep_cmd_ctx *ctx)
{
	called++;
	h_argc = ctx->argc;
	for (int i = 0; i < ctx->argc; i++)
		snprintf(h_argv[i], sizeof(h_argv[i]), "%s", ctx->argv[i]);
	switch (h_mode & 3) {
	case 0:
		nep_buf_printf(ctx->out, "done");
		return 0;
	case 1:
		nep_buf_printf(ctx->out, "something failed\nsecond line");
		return -1;
	case 2:
		if (ctx->json)
			ctx->json_out = json_pack("{s:i}", "argc", ctx->argc);
		else
			nep_buf_printf(ctx->out, "%d words\n", ctx->argc);
		return 0;
	default:
		return 0;
	}
}

static void
check_reply(int rc, const struct nep_buf *r, bool json)
{
	const char *nl;

	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(r->len == 0 || memchr(r->data, 0, r->len) == NULL);
	if (rc == -1) {
		FUZZ_CHECK(r->len > 7 && strncmp(r->data, "error: ", 7) == 0);
		nl = memchr(r->data, '\n', r->len);
		FUZZ_CHECK(nl == NULL || nl == r->data + r->len - 1);
		return;
	}
	if (json && r->len > 0) {
		json_error_t je;
		json_t *j = json_loadb(r->data, r->len, 0, &je);

		FUZZ_CHECK(j != NULL);
		json_decref(j);
	}
}

static void
on_kw(const char *kw, unsigned idx, void *arg)
{
	(void)idx;
	FUZZ_CHECK(kw != NULL && kw[0] != '\0');
	(*(int *)arg)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	char line[NEP_MGMT_LINE_MAX + 64], copy[sizeof(line)];
	char *words[NEP_MGMT_MAX_ARGS + 1], *argv[NEP_MGMT_MAX_ARGS];
	struct nep_buf r1, r2;
	uint8_t ctl = fuzz_u8(&in);
	int rc1, rc2, n, kws = 0;
	unsigned flags = (ctl & 4) ? NEP_DISPATCH_READ_ONLY : 0;
	bool can_end, json;
	size_t len;

	if (disp.handlers[0] == NULL)
		for (unsigned i = 0; i < nep_cmd_grammar_count(); i++)
			disp.handlers[i] = handler;
	len = in.n < sizeof(line) - 1 ? in.n : sizeof(line) - 1;
	memcpy(line, in.p, len);
	line[len] = '\0';
	h_mode = ctl;

	nep_buf_init(&r1);
	nep_buf_init(&r2);
	called = 0;
	rc1 = nep_dispatch_line_flags(&disp, line, &r1, flags);
	/* JSON only when a word is exactly --json. */
	memcpy(copy, line, len + 1);
	n = nep_mgmt_split(copy, words, NEP_MGMT_MAX_ARGS);
	json = false;
	for (int i = 0; i < n; i++)
		json |= strcmp(words[i], "--json") == 0;
	check_reply(rc1, &r1, json);
	FUZZ_CHECK(called <= 1);
	if (called) {
		int match = -1;

		for (int i = 0; i < h_argc; i++)
			argv[i] = h_argv[i];
		for (unsigned i = 0; i < nep_cmd_grammar_count(); i++)
			if (nep_cmd_check(nep_cmd_grammar_get(i)->pattern,
				    h_argc, argv, NULL) == 1) {
				match = (int)i;
				break;
			}
		FUZZ_CHECK(match >= 0);
		if (flags & NEP_DISPATCH_READ_ONLY)
			FUZZ_CHECK(strncmp(nep_cmd_grammar_get(match)->pattern,
					   "show ", 5) == 0);
		FUZZ_CHECK(rc1 == ((h_mode & 3) == 1 ? -1 : 0));
	}
	/* The same line again: the same answer. */
	called = 0;
	rc2 = nep_dispatch_line_flags(&disp, line, &r2, flags);
	FUZZ_CHECK(rc1 == rc2 && r1.len == r2.len &&
		   (r1.len == 0 || memcmp(r1.data, r2.data, r1.len) == 0));

	/* Completion after the words typed so far. */
	memcpy(copy, line, len + 1);
	n = nep_mgmt_split(copy, words, NEP_MGMT_MAX_ARGS);
	if (n >= 0 && n < NEP_MGMT_MAX_ARGS) {
		int acc =
			nep_cmd_complete(n, words, on_kw, NULL, &kws, &can_end);

		FUZZ_CHECK(acc >= 0);
		FUZZ_CHECK(acc > 0 || kws == 0);
	}

	/* Addresses and prefixes. */
	{
		struct nep_cmd_prefix p;
		uint8_t a[16];
		char *slash;

		memcpy(copy, line, len + 1);
		if (nep_cmd_parse_prefix(copy, &p) == 0) {
			FUZZ_CHECK(p.family == AF_INET || p.family == AF_INET6);
			FUZZ_CHECK(p.len <= (p.family == AF_INET ? 32 : 128));
			slash = strchr(copy, '/');
			if (slash)
				*slash = '\0';
			FUZZ_CHECK(inet_pton(p.family, copy, a) == 1);
			FUZZ_CHECK(memcmp(a, p.addr,
					   p.family == AF_INET ? 4 : 16) == 0 ||
				   slash != NULL);
		}
	}
	nep_buf_free(&r1);
	nep_buf_free(&r2);
	return 0;
}
