/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neptune-cli: client for neptune's management socket.
 *
 *   neptune-cli [-s SOCKET] COMMAND WORDS... [--json]   one command
 *   neptune-cli [-s SOCKET]                             interactive shell
 *   ... | neptune-cli [-s SOCKET]                       one command per line
 *
 * The interactive shell uses DPDK's librte_cmdline (as testpmd does). It has
 * a single command instance whose tokens are generated on the fly, one per
 * word, so that the completion offered for a word can depend on the words
 * before it: the candidates come from the command grammar (the core table
 * and the features' tables, see nep_cmd_register()), the same grammar the
 * server dispatches on. Every line is sent to the server as typed; the
 * server does all validation.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>

#include "nep_mgmt.h"

#define CLI_PROMPT "neptune> "
#define CLI_MAX_TOKENS (NEP_MGMT_MAX_ARGS + 8)
#define CLI_MAX_CANDS 64
#define CLI_CAND_LEN 48

#define SOCK_DIR "/run/neptune"
#define EXIT_ERR 1		/* the server answered ERR */
#define EXIT_CONN 2		/* cannot connect (or usage error) */

static const char *sock_path;
static int srv_fd = -1;
static bool conn_lost;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: neptune-cli [-s SOCKET] [COMMAND WORDS... [--json]]\n"
		"  -s SOCKET  management socket (default: $NEPTUNE_SOCKET, "
		"else %s\n"
		"             if it exists, else the only socket in %s)\n"
		"Without a command: an interactive shell, or one command per "
		"input line\nwhen stdin is not a terminal. Keywords may be "
		"abbreviated (sh up). 'neptune-cli help'\nlists the commands.\n",
		NEP_MGMT_SOCK_DEFAULT, SOCK_DIR);
}

/*
 * Send one line and print the reply: OK payload to stdout, ERR payload to
 * err_out. Returns 0 (OK), 1 (ERR) or -1 when the connection failed.
 */
/* Does the line ask for JSON (a "--json" word)? */
static bool
wants_json(const char *line)
{
	const char *p = line;

	while ((p = strstr(p, "--json")) != NULL) {
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') &&
			(p[6] == '\0' || p[6] == ' ' || p[6] == '\t' ||
			p[6] == '\n'))
			return true;
		p += 6;
	}
	return false;
}

/* An error as JSON on stdout: {"error": "..."} (the "error: " prefix and
 * the newline dropped). */
static void
print_json_error(const char *msg, size_t len)
{
	json_t *j;
	char *s;

	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	if (len >= 7 && strncmp(msg, "error: ", 7) == 0) {
		msg += 7;
		len -= 7;
	}
	j = json_pack("{s:s%}", "error", msg, len);
	s = json_dumps(j, JSON_COMPACT);
	if (s != NULL)
		printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(j);
}

static int
run_line(const char *line, FILE *err_out)
{
	struct nep_buf reply;
	FILE *out;
	int rc;

	nep_buf_init(&reply);
	rc = nep_mgmt_request(srv_fd, line, &reply);
	if (rc < 0) {
		fprintf(stderr, "neptune-cli: connection to %s lost: %s\n",
			sock_path, strerror(errno));
		nep_buf_free(&reply);
		conn_lost = true;
		return -1;
	}
	if (rc == 1 && wants_json(line)) {
		/* JSON on stdout for the caller, the text on stderr for people */
		print_json_error(reply.data != NULL ? reply.data : "",
			reply.len);
		if (err_out == stdout) {
			nep_buf_free(&reply);
			return rc;
		}
	}
	out = rc == 0 ? stdout : err_out;
	if (out != stdout)
		fflush(stdout);	/* keep the two streams in order */
	if (reply.len > 0) {
		fwrite(reply.data, 1, reply.len, out);
		if (reply.data[reply.len - 1] != '\n')
			fputc('\n', out);
	}
	fflush(out);
	nep_buf_free(&reply);
	return rc;
}

static bool
is_quit(const char *w)
{
	return strcmp(w, "quit") == 0 || strcmp(w, "exit") == 0;
}

/* ---- names of things, for completion ---- */

/*
 * The running instance's names for the placeholder after word `prev`:
 * uplinks after "uplink", ports after "port"/"stats"/"xstats", VRFs after
 * "vrf", tunnel peers after "rekey". Each goes to fn. Nothing when not
 * connected or the command fails (the feature is not configured).
 */
static void
names_for(const char *prev, void (*fn)(const char *name, void *arg),
	void *arg)
{
	static const struct {
		const char *after, *cmd, *list, *key;
	} kinds[] = {
		{ "uplink", "show uplinks --json", "uplinks", "name" },
		{ "port", "show ports --json", "ports", "name" },
		{ "stats", "show ports --json", "ports", "name" },
		{ "xstats", "show ports --json", "ports", "name" },
		{ "vrf", "show vrf --json", "vrfs", "name" },
		{ "rekey", "show tunnels --json", "sessions", "peer" },
		{ "policy", "show policies --json", "policies", "name" },
	};
	struct nep_buf reply;
	json_t *j, *v;
	size_t i;

	if (srv_fd < 0 || prev == NULL)
		return;
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (strcmp(prev, kinds[k].after) != 0)
			continue;
		nep_buf_init(&reply);
		if (nep_mgmt_request(srv_fd, kinds[k].cmd, &reply) == 0 &&
			(j = json_loadb(reply.data, reply.len, 0, NULL)) != NULL) {
			json_array_foreach(json_object_get(j, kinds[k].list), i,
				v) {
				const char *n = json_string_value(
					json_object_get(v, kinds[k].key));
				if (n != NULL)
					fn(n, arg);
			}
			json_decref(j);
		}
		nep_buf_free(&reply);
		return;
	}
}

/* ---- the socket ---- */

static bool
is_socket(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/*
 * No -s and no $NEPTUNE_SOCKET: the default path if a socket is there,
 * else the only socket in SOCK_DIR. Several: NULL, with the list in err.
 */
static const char *
discover_socket(char *buf, size_t len, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *e;
	unsigned n = 0;
	size_t el = 0;

	if (is_socket(NEP_MGMT_SOCK_DEFAULT))
		return NEP_MGMT_SOCK_DEFAULT;
	d = opendir(SOCK_DIR);
	if (d == NULL)
		return NEP_MGMT_SOCK_DEFAULT;
	err[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		char path[512];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", SOCK_DIR, e->d_name);
		if (!is_socket(path))
			continue;
		if (n++ == 0)
			snprintf(buf, len, "%s", path);
		if (el < errlen)
			el += (size_t)snprintf(err + el, errlen - el, " %s", path);
	}
	closedir(d);
	if (n == 0)
		return NEP_MGMT_SOCK_DEFAULT;
	return n == 1 ? buf : NULL;
}

/* ---- interactive shell: a cmdline token type driven by the grammar ---- */

struct cli_token {
	struct cmdline_token_hdr hdr;	/* first: cmdline casts to it */
	unsigned idx;			/* word position in the line */
};

#define CAND_QUIT (-1)
#define CAND_JSON (-2)

struct cli_cand {
	char word[CLI_CAND_LEN];
	int grammar;			/* entry offering it, or CAND_* */
};

static cmdline_parse_inst_t *cli_inst;
static struct cli_token cli_tokens[CLI_MAX_TOKENS];
static char cli_words[CLI_MAX_TOKENS][NEP_MGMT_LINE_MAX];
static unsigned cli_nwords;
static bool cli_eol;		/* the word just parsed ends the line */

/* Candidates for the word being completed (see cli_tok_nb). */
static struct cli_cand cands[CLI_MAX_CANDS];
static int n_cands;
static char cand_ph[CLI_CAND_LEN];	/* placeholders, "NAME|N" */
static int cand_ph_grammar = -1;
static int cand_end_grammar = -1;	/* entry complete as typed */
static int last_elt = -1;

static void
cand_kw(const char *kw, unsigned idx, void *arg)
{
	(void)arg;
	if (n_cands >= CLI_MAX_CANDS)
		return;
	snprintf(cands[n_cands].word, CLI_CAND_LEN, "%s", kw);
	cands[n_cands++].grammar = (int)idx;
}

static void
cand_name(const char *name, void *arg)
{
	(void)arg;
	for (int i = 0; i < n_cands; i++)
		if (strcmp(cands[i].word, name) == 0)
			return;
	if (n_cands >= CLI_MAX_CANDS)
		return;
	snprintf(cands[n_cands].word, CLI_CAND_LEN, "%s", name);
	cands[n_cands++].grammar = cand_ph_grammar;
}

static void
cand_ph_add(const char *name, unsigned idx, void *arg)
{
	size_t len = strlen(cand_ph);

	(void)arg;
	if (cand_ph_grammar < 0)
		cand_ph_grammar = (int)idx;
	snprintf(cand_ph + len, sizeof(cand_ph) - len, "%s%s",
		len ? "|" : "", name);
}

/* Words 0..n-1 as typed, for the grammar helpers. */
static void
cli_argv(unsigned n, char **argv)
{
	for (unsigned i = 0; i < n; i++)
		argv[i] = cli_words[i];
}

static int
cli_tok_parse(cmdline_parse_token_hdr_t *tk, const char *buf, void *res,
	unsigned ressize)
{
	struct cli_token *t = (struct cli_token *)tk;
	char *argv[CLI_MAX_TOKENS];
	const char *p;
	size_t len = 0;

	(void)ressize;
	while (!cmdline_isendoftoken(buf[len]))
		len++;
	if (len == 0 || len >= NEP_MGMT_LINE_MAX)
		return -1;
	memcpy(cli_words[t->idx], buf, len);
	cli_words[t->idx][len] = '\0';
	cli_nwords = t->idx + 1;

	if (res == NULL) {
		/*
		 * Completion pass: refuse a prefix no command accepts, so
		 * nothing is offered after a typo.
		 */
		cli_argv(cli_nwords, argv);
		cli_eol = false;
		if (t->idx == 0 && is_quit(cli_words[0]))
			return (int)len;
		if (nep_cmd_complete((int)cli_nwords, argv, NULL, NULL, NULL,
				NULL) == 0)
			return -1;
		return (int)len;
	}
	/* Real parse: accept anything, the server judges. Stop at the end. */
	for (p = buf + len; *p == ' ' || *p == '\t'; p++)
		;
	cli_eol = *p == '\0' || *p == '#' || *p == '\n' || *p == '\r';
	return (int)len;
}

static int
cli_tok_nb(cmdline_parse_token_hdr_t *tk)
{
	struct cli_token *t = (struct cli_token *)tk;
	char *argv[CLI_MAX_TOKENS];
	bool can_end = false, json = false;

	n_cands = 0;
	cand_ph[0] = '\0';
	cand_ph_grammar = -1;
	cand_end_grammar = -1;
	last_elt = -1;
	cli_argv(t->idx, argv);
	if (t->idx > 0 && is_quit(argv[0]))
		return 0;
	nep_cmd_complete((int)t->idx, argv, cand_kw, cand_ph_add, NULL,
		&can_end);
	/* A name the instance knows, where a NAME (or a flow filter's
	 * uplink) goes. */
	if (cand_ph[0] != '\0' && t->idx > 0)
		names_for(argv[t->idx - 1], cand_name, NULL);
	if (t->idx == 0) {
		cand_kw("quit", 0, NULL);
		cands[n_cands - 1].grammar = CAND_QUIT;
		cand_kw("exit", 0, NULL);
		cands[n_cands - 1].grammar = CAND_QUIT;
	}
	for (unsigned i = 0; i < t->idx; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = true;
	if (can_end) {
		char *words[CLI_MAX_TOKENS];
		int argc = 0;

		for (unsigned i = 0; i < t->idx; i++)
			if (strcmp(argv[i], "--json") != 0)
				words[argc++] = argv[i];
		for (unsigned i = 0; i < nep_cmd_grammar_count(); i++)
			if (nep_cmd_check(nep_cmd_grammar_get(i)->pattern, argc,
					words, NULL) != 0) {
				cand_end_grammar = (int)i;
				break;
			}
		/* A complete command may still take --json. */
		if (!json && cand_end_grammar >= 0) {
			cand_kw("--json", 0, NULL);
			cands[n_cands - 1].grammar = CAND_JSON;
		}
	}
	return n_cands;
}

static int
cli_tok_elt(cmdline_parse_token_hdr_t *tk, int i, char *dst, unsigned size)
{
	(void)tk;
	if (i < 0 || i >= n_cands)
		return -1;
	snprintf(dst, size, "%s", cands[i].word);
	last_elt = i;
	return 0;
}

/*
 * Shown in the TAB listing as "word [what]: help": the pattern when the
 * word leads to one command, else how many commands it leads to.
 */
static int
cli_tok_help(cmdline_parse_token_hdr_t *tk, char *dst, unsigned size)
{
	static char help[64];
	struct cli_token *t = (struct cli_token *)tk;
	int g = -1;

	if (last_elt >= 0) {
		char *argv[CLI_MAX_TOKENS];
		int n;

		g = cands[last_elt].grammar;
		if (g == CAND_QUIT || g == CAND_JSON) {
			snprintf(dst, size, "%s", cands[last_elt].word);
			cli_inst->help_str = g == CAND_QUIT ? "Leave the shell" :
				"Reply in JSON";
			return 0;
		}
		cli_argv(t->idx, argv);
		argv[t->idx] = cands[last_elt].word;
		n = nep_cmd_complete((int)t->idx + 1, argv, NULL, NULL, NULL,
			NULL);
		if (n > 1) {
			snprintf(dst, size, "%s ...", cands[last_elt].word);
			snprintf(help, sizeof(help), "%d commands", n);
			cli_inst->help_str = help;
			return 0;
		}
		snprintf(dst, size, "%s",
			nep_cmd_grammar_get((unsigned)g)->pattern);
	} else if (cand_ph[0] != '\0') {
		g = cand_ph_grammar;
		snprintf(dst, size, "%s", cand_ph);
	} else if (cand_end_grammar >= 0) {
		g = cand_end_grammar;
		snprintf(dst, size, "RETURN");
	} else {
		snprintf(dst, size, "?");
	}
	cli_inst->help_str = g >= 0 ? nep_cmd_grammar_get((unsigned)g)->help :
		NULL;
	return 0;
}

static struct cmdline_token_ops cli_tok_ops = {
	.parse = cli_tok_parse,
	.complete_get_nb = cli_tok_nb,
	.complete_get_elt = cli_tok_elt,
	.get_help = cli_tok_help,
};

/* Token generator: one token per word, none past the end of the line. */
static void
cli_token_gen(cmdline_parse_token_hdr_t **hdr,
	cmdline_parse_token_hdr_t **slot)
{
	unsigned idx = (unsigned)(slot - cli_inst->tokens);

	if (idx == 0) {
		cli_nwords = 0;
		cli_eol = false;
	}
	if (idx >= CLI_MAX_TOKENS || (idx > 0 && cli_eol))
		*hdr = NULL;
	else
		*hdr = &cli_tokens[idx].hdr;
}

/*
 * cmdline calls f(NULL-cl) to generate tokens (dynamic token mode, as
 * testpmd's flow command does) and f(cl) to run a parsed line.
 */
static void
cli_cb(void *res, struct cmdline *cl, void *data)
{
	char line[NEP_MGMT_LINE_MAX * 2];
	size_t len = 0;

	if (cl == NULL) {
		cli_token_gen(res, data);
		return;
	}
	if (cli_nwords == 1 && is_quit(cli_words[0])) {
		cmdline_quit(cl);
		return;
	}
	line[0] = '\0';
	for (unsigned i = 0; i < cli_nwords; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
			i ? " " : "", cli_words[i]);
	/* Errors print like any reply: the session stays open. */
	if (run_line(line, stdout) < 0)
		cmdline_quit(cl);
}

static int
interactive(void)
{
	cmdline_parse_ctx_t ctx[2];
	struct cmdline *cl;

	cli_inst = calloc(1, sizeof(*cli_inst) +
		(CLI_MAX_TOKENS + 1) * sizeof(cli_inst->tokens[0]));
	if (cli_inst == NULL)
		return EXIT_CONN;
	cli_inst->f = cli_cb;
	cli_inst->help_str = NULL;
	cli_inst->tokens[0] = NULL;	/* NULL + f: dynamic tokens */
	for (unsigned i = 0; i < CLI_MAX_TOKENS; i++) {
		cli_tokens[i].hdr.ops = &cli_tok_ops;
		cli_tokens[i].hdr.offset = 0;
		cli_tokens[i].idx = i;
	}
	ctx[0] = cli_inst;
	ctx[1] = NULL;

	printf("Connected to neptune on %s. 'help' lists commands, TAB "
		"completes, 'quit' leaves.\n", sock_path);
	fflush(stdout);
	cl = cmdline_stdin_new(ctx, CLI_PROMPT);
	if (cl == NULL) {
		fprintf(stderr, "neptune-cli: cannot start the shell\n");
		free(cli_inst);
		return EXIT_CONN;
	}
	cmdline_interact(cl);
	cmdline_stdin_exit(cl);
	if (!conn_lost)
		printf("\n");
	free(cli_inst);
	return conn_lost ? EXIT_CONN : 0;
}

/* stdin is not a terminal: one command per line, replies in order. */
static int
batch(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int status = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		char *s = line, *e = line + n;

		while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
				 e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (is_quit(s))
			break;
		if (run_line(s, stdout) < 0) {
			status = EXIT_CONN;
			break;
		}
	}
	free(line);
	return status;
}

/* --complete WORD... CUR (bash completion): what may follow the words,
 * starting with CUR, one per line. */
struct comp_out {
	const char *cur;
	char seen[CLI_MAX_CANDS][CLI_CAND_LEN];
	int n;
};

static void
comp_print(struct comp_out *c, const char *w)
{
	if (strncmp(w, c->cur, strlen(c->cur)) != 0)
		return;
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->seen[i], w) == 0)
			return;
	if (c->n < CLI_MAX_CANDS)
		snprintf(c->seen[c->n++], CLI_CAND_LEN, "%s", w);
	printf("%s\n", w);
}

static void
comp_kw(const char *kw, unsigned idx, void *arg)
{
	(void)idx;
	comp_print(arg, kw);
}

static void
comp_ph(const char *name, unsigned idx, void *arg)
{
	(void)name;
	(void)idx;
	(void)arg;
}

static void
comp_name(const char *name, void *arg)
{
	comp_print(arg, name);
}

static int
complete_words(int n, char **words)
{
	struct comp_out c = { .cur = n > 0 ? words[n - 1] : "", .n = 0 };
	bool can_end = false;
	struct comp_out *cp = &c;

	if (n == 0)
		return 0;
	nep_cmd_complete(n - 1, words, comp_kw, comp_ph, cp, &can_end);
	/* placeholders: names from the instance, if it answers */
	if (n >= 2) {
		char err[256], buf[512];
		const char *sock = sock_path != NULL ? sock_path :
			discover_socket(buf, sizeof(buf), err, sizeof(err));

		if (sock != NULL)
			srv_fd = nep_mgmt_connect(sock);
		names_for(words[n - 2], comp_name, cp);
		if (srv_fd >= 0)
			close(srv_fd);
	}
	if (can_end)
		comp_print(cp, "--json");
	return 0;
}

int
main(int argc, char **argv)
{
	char line[NEP_MGMT_LINE_MAX * 4];
	size_t len = 0;
	int i, rc;

	char found[512], many[1024];
	bool complete = false;

	signal(SIGPIPE, SIG_IGN);
	sock_path = getenv("NEPTUNE_SOCKET");
	if (sock_path != NULL && sock_path[0] == '\0')
		sock_path = NULL;

	/* Options come before the command; "--json" belongs to the command. */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
			if (++i >= argc) {
				usage(stderr);
				return EXIT_CONN;
			}
			sock_path = argv[i];
		} else if (strncmp(a, "--socket=", 9) == 0) {
			sock_path = a + 9;
		} else if (strncmp(a, "-s", 2) == 0 && a[2] != '\0') {
			sock_path = a + 2;
		} else if (strcmp(a, "--complete") == 0) {
			complete = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (a[0] == '-' && strcmp(a, "--json") != 0) {
			fprintf(stderr, "neptune-cli: unknown option '%s'\n", a);
			usage(stderr);
			return EXIT_CONN;
		} else {
			break;
		}
	}

	if (complete)
		return complete_words(argc - i, argv + i);
	if (sock_path == NULL) {
		sock_path = discover_socket(found, sizeof(found), many,
			sizeof(many));
		if (sock_path == NULL) {
			fprintf(stderr, "neptune-cli: several neptune sockets in "
				"%s:%s; choose one with -s\n", SOCK_DIR, many);
			return EXIT_CONN;
		}
	}
	srv_fd = nep_mgmt_connect(sock_path);
	if (srv_fd < 0) {
		char msg[600];
		bool json = false;

		snprintf(msg, sizeof(msg), "cannot connect to %s: %s", sock_path,
			strerror(errno));
		for (int k = i; k < argc; k++)
			json |= strcmp(argv[k], "--json") == 0;
		if (json)
			print_json_error(msg, strlen(msg));
		fprintf(stderr, "neptune-cli: %s\n", msg);
		return EXIT_CONN;
	}

	if (i < argc) {
		line[0] = '\0';
		for (; i < argc && len < sizeof(line); i++)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
				"%s%s", len ? " " : "", argv[i]);
		rc = run_line(line, stderr);
		close(srv_fd);
		return rc < 0 ? EXIT_CONN : rc == 0 ? 0 : EXIT_ERR;
	}
	rc = isatty(STDIN_FILENO) ? interactive() : batch();
	close(srv_fd);
	return rc;
}
