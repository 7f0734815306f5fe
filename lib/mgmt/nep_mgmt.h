/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management plane: command grammar, dispatcher and the Unix socket server.
 *
 * The grammar is shared by the server, which dispatches on it, and by
 * neptune-cli, which completes and prints help from it. It is a core table
 * (lib/mgmt/nep_cmd.c) followed by the tables each feature registers from
 * its own directory with nep_cmd_register(); read it only through
 * nep_cmd_grammar_count() and nep_cmd_grammar_get().
 *
 * Threading: the socket server runs on a non-EAL control thread. It never
 * touches appliance state: each request line is handed to the control lcore
 * through a ring, the control lcore runs the handler in nep_mgmt_poll() and
 * the server thread writes the reply back. So handlers need no locks.
 *
 * Wire format (both directions are plain text):
 *   request:  one line, "show port stats wan1 --json\n"
 *   reply:    "OK <len>\n" or "ERR <len>\n", then exactly <len> bytes.
 */
#ifndef NEP_MGMT_H
#define NEP_MGMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define NEP_MGMT_MAX_ARGS 16
#define NEP_MGMT_LINE_MAX 1024

/* Default socket path, used by neptune and neptune-cli. */
#define NEP_MGMT_SOCK_DEFAULT "/run/neptune/neptune.sock"

/* Growable text buffer for replies. */
struct nep_buf {
	char *data;
	size_t len, cap;
};
void nep_buf_init(struct nep_buf *b);
void nep_buf_free(struct nep_buf *b);
void nep_buf_reset(struct nep_buf *b);
int nep_buf_printf(struct nep_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int nep_buf_vprintf(struct nep_buf *b, const char *fmt, va_list ap);
/* Append raw bytes. Returns 0, or -1 when out of memory. */
int nep_buf_append(struct nep_buf *b, const void *p, size_t n);

struct nep_cmd_ctx {
	int argc;			/* words of the command, --json removed */
	char *argv[NEP_MGMT_MAX_ARGS];
	bool json;			/* "--json" was given */
	struct nep_buf *out;		/* text reply (and error message) */
	json_t *json_out;		/* JSON reply, set by the handler when json */
	void *app;			/* appliance context given to the dispatcher */
	void *prep;			/* what the command's prep made, or NULL */
};

/* Returns 0 on success, -1 on error (message in ctx->out, one line). */
typedef int (*nep_cmd_fn)(struct nep_cmd_ctx *ctx);

/*
 * One command. Pattern words:
 *   lowercase       literal keyword, must be typed as is;
 *   a|b             one of the literal alternatives;
 *   UPPERCASE       placeholder, any word (NAME, N, LEVEL, ...). Some are
 *                   checked by the matcher: N is a non-negative integer,
 *                   LEVEL a log level, FILTER... flow filters;
 *   [x Y]           optional group: all of its words or none;
 *   WORD...         zero or more words (last element only), also "[WORD...]".
 * Example: "set uplink NAME admin up|down", "flush flows [uplink NAME]".
 */
struct nep_cmd_def {
	const char *pattern;
	const char *help;
};

/* Bound on the whole grammar: core entries plus every registered one. */
#define NEP_CMD_MAX 256

/*
 * Append a feature's commands to the grammar, after the core table and the
 * tables registered before (help lists them in that order). The table is
 * kept by reference: it must stay valid (static) for the process lifetime.
 * Needs no EAL, so it may run from a constructor; register before the
 * grammar is used (the grammar is not locked).
 * Returns 0, or -1 (errno set, reason on stderr) and registers nothing
 * when an entry is malformed or NULL (EINVAL), a pattern is already in the
 * grammar or twice in defs (EEXIST), or the grammar would exceed
 * NEP_CMD_MAX entries (ENOSPC).
 */
int nep_cmd_register(const struct nep_cmd_def *defs, unsigned n);

/* Number of grammar entries, core plus registered (<= NEP_CMD_MAX). */
unsigned nep_cmd_grammar_count(void);

/* Grammar entry i (0 <= i < nep_cmd_grammar_count()), else NULL. */
const struct nep_cmd_def *nep_cmd_grammar_get(unsigned i);

/* Handler table, parallel to the grammar: handlers[i] serves entry i. */
/*
 * Work a command does before it is queued, in the thread that submits it
 * and never on the control lcore (reload parses its file there). Returns
 * what the handler finds in ctx->prep (NULL: nothing); prep_free frees it
 * after the handler ran, or when the request is dropped.
 */
struct nep_cmd_ctx;
/* ctx: the parsed command (argc, argv, json); its out is scratch. */
typedef void *(*nep_cmd_prep_fn)(void *app, const struct nep_cmd_ctx *ctx);
typedef void (*nep_cmd_prep_free_fn)(void *prep);

struct nep_dispatch {
	nep_cmd_fn handlers[NEP_CMD_MAX];
	nep_cmd_prep_fn preps[NEP_CMD_MAX];
	nep_cmd_prep_free_fn prep_frees[NEP_CMD_MAX];
	void *app;
};

/* Bind a handler to the grammar entry with exactly this pattern. -1 if none. */
int nep_dispatch_bind(struct nep_dispatch *d, const char *pattern,
	nep_cmd_fn fn);

/* Give the entry with exactly this pattern a prep. -1 if none. */
int nep_dispatch_bind_prep(struct nep_dispatch *d, const char *pattern,
	nep_cmd_prep_fn prep, nep_cmd_prep_free_fn prep_free);

/* In the submitting thread: run line's prep, if its command has one and
 * flags allow the command; *prep / *prep_free NULL otherwise. */
void nep_dispatch_prepare(struct nep_dispatch *d, const char *line,
	unsigned flags, void **prep, nep_cmd_prep_free_fn *prep_free);

/*
 * Parse and run one line. Returns 0 and fills reply (text, or JSON text when
 * --json) on success; -1 with a one-line "error: ..." message in reply on an
 * unknown/malformed command or a handler failure.
 */
int nep_dispatch_line(struct nep_dispatch *d, const char *line,
	struct nep_buf *reply);

/* The same with flags: NEP_DISPATCH_READ_ONLY runs show commands (and
 * help) only, anything else answers "error: read-only access ...". */
#define NEP_DISPATCH_READ_ONLY 1u
int nep_dispatch_line_flags(struct nep_dispatch *d, const char *line,
	struct nep_buf *reply, unsigned flags);
/* The same, with what nep_dispatch_prepare() made (ctx->prep; the caller
 * still frees it). */
int nep_dispatch_line_prep(struct nep_dispatch *d, const char *line,
	struct nep_buf *reply, unsigned flags, void *prep);

/* Split a line into words (whitespace separated). Returns argc or -1. */
int nep_mgmt_split(char *line, char **argv, int max);

/* Match argv against one pattern. Returns true on match. */
bool nep_cmd_match(const char *pattern, int argc, char **argv);

/*
 * Like nep_cmd_match() but tells a structural mismatch (0) from a match
 * whose placeholder values are malformed (-1, "error: ..." in err when err
 * is not NULL). 1 on a full match.
 */
int nep_cmd_check(const char *pattern, int argc, char **argv,
	struct nep_buf *err);

/* Index of the grammar entry with exactly this pattern, or -1. */
int nep_cmd_find(const char *pattern);

/*
 * Keywords that may follow words[0..n-1] in some grammar entry ("--json"
 * words are ignored). Calls fn once per distinct literal keyword, with the
 * grammar index of the first entry offering it. Placeholders are reported
 * through ph (may be NULL) with their pattern text ("NAME", "N", ...).
 * Returns how many entries accept words[0..n-1] as a prefix; *can_end tells
 * whether some entry is complete after those words. Used for completion.
 */
int nep_cmd_complete(int n, char **words,
	void (*fn)(const char *kw, unsigned idx, void *arg),
	void (*ph)(const char *name, unsigned idx, void *arg),
	void *arg, bool *can_end);

/* ---- value checks, shared by the matcher and the handlers ---- */

/* Decimal non-negative integer without sign or junk. 0 ok, -1 if malformed. */
int nep_cmd_parse_u64(const char *s, uint64_t *v);

/*
 * The one list of log level names (also used by the LEVEL placeholder).
 * Name to RTE_LOG_EMERG(1)..RTE_LOG_DEBUG(8); -1 if unknown.
 */
int nep_cmd_log_level(const char *s);

/* Level 1..8 to its name ("emerg".."debug"); NULL if out of range. */
const char *nep_log_level_name(int level);

/* An address or prefix: "2001:db8::1", "2001:db8::/32", "192.0.2.0/24". */
struct nep_cmd_prefix {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* IPv4 in addr[0..3] */
	uint8_t len;			/* 32/128 when no "/LEN" was given */
};
int nep_cmd_parse_prefix(const char *s, struct nep_cmd_prefix *p);

/* "show flows" filters (docs/cli.md). Unset fields match anything. */
#define NEP_FLOW_LIMIT_DEFAULT 100
struct nep_flow_filter {
	const char *uplink;		/* NULL: any (points into argv) */
	int proto;			/* IP protocol, -1: any */
	int port;			/* source or destination port, -1: any */
	bool has_src, has_dst;
	struct nep_cmd_prefix src, dst;
	uint64_t limit;			/* rows listed, 0 = all */
};

/*
 * Parse filter words ("uplink wan1 proto tcp limit 10"), argv being the
 * words after "show flows". Returns 0, or -1 with "error: ..." in err.
 */
int nep_cmd_flow_filter(int argc, char **argv, struct nep_flow_filter *f,
	struct nep_buf *err);

/* ---- server (needs EAL: rte_ring + rte_ctrl_thread_create) ---- */
struct nep_mgmt;

/*
 * Create the socket (parent directory created 0700 if missing, socket 0600,
 * an existing stale socket replaced) and start the server thread.
 * Returns NULL (errno set, reason logged) on failure, in particular when
 * another live server already answers on sock_path.
 */
struct nep_mgmt *nep_mgmt_start(const char *sock_path, struct nep_dispatch *d,
	bool telemetry);

/* Called by the control lcore every loop: runs pending requests. Never blocks. */
void nep_mgmt_poll(struct nep_mgmt *m);

/* Stop the thread, close and unlink the socket. */
void nep_mgmt_stop(struct nep_mgmt *m);

/* Close clients silent for ms (default 10 minutes). */
void nep_mgmt_set_idle_timeout(struct nep_mgmt *m, unsigned ms);

/*
 * Run one line on the control lcore and wait for its reply, from any
 * thread but the control lcore itself (the telemetry bridge, a feature's
 * HTTP thread). Returns the dispatcher's result (0 / -1) with the reply in
 * out, or -1 with "error: ..." when the request could not be run (queue
 * full, timeout, server stopping).
 */
int nep_mgmt_submit(struct nep_mgmt *m, const char *line, struct nep_buf *out);
/* The same with dispatch flags (NEP_DISPATCH_READ_ONLY). */
int nep_mgmt_submit_flags(struct nep_mgmt *m, const char *line,
	struct nep_buf *out, unsigned flags);

/*
 * management.read_group: the socket becomes group gid's, mode 0660, and a
 * connection from any user but root (and neptune's own) gets read-only
 * access: show commands and help. The socket's directory gets o+x so the
 * group can reach it. 0, or -1 with errno set.
 */
int nep_mgmt_set_read_group(struct nep_mgmt *m, unsigned gid);

/* ---- client side (no EAL), used by neptune-cli and the tests ---- */

/* Connect to a server. Returns the fd, or -1 with errno set. */
int nep_mgmt_connect(const char *sock_path);

/*
 * Send one command line (without newline) and read the framed reply into
 * reply. Returns 0 for OK, 1 for ERR, -1 on an I/O or framing error
 * (errno set; EPROTO for a malformed frame).
 */
int nep_mgmt_request(int fd, const char *line, struct nep_buf *reply);

#endif /* NEP_MGMT_H */
