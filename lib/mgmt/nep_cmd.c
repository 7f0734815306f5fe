/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command grammar, word splitting, pattern matching and dispatch.
 *
 * Nothing here needs EAL: the same code runs in the appliance (through the
 * management server), in neptune-cli (completion) and in the unit tests.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nep_config.h" /* nep_log_levels[] */
#include "nep_mgmt.h"

/*
 * Core commands. Each feature registers its own from its directory
 * (nep_cmd_register()); they follow these, in registration order.
 */
static const struct nep_cmd_def nep_cmd_core[] = {
	{ "show version", "Show neptune and DPDK versions" },
	{ "show ports", "List ports: role, MAC, MTU, link, addresses" },
	{ "show port stats [NAME]",
	  "Show port counters and rates (all ports, or NAME)" },
	{ "show port xstats NAME", "Show a port's extended NIC counters" },
	{ "show lcores", "Show lcores, their role, queues and load" },
	{ "show neighbors", "Show the neighbour (ND/ARP) table" },
	{ "show routes [vrf NAME]",
	  "Show the routing table (the main one, or VRF NAME's)" },
	{ "show vrf", "List VRFs: table, interfaces, routes" },
	{ "show drops", "Show dropped packets by reason" },
	{ "show errors", "Drops and punts by stage, feature and reason" },
	{ "show stats", "Show global packet counters" },
	{ "show runtime", "Per stage: calls, packets, cycles per packet" },
	{ "show local", "Show the local-delivery table: handlers and hits" },
	{ "trace add N [port NAME]",
	  "Trace the next N packets (received on port NAME) through every stage" },
	{ "show trace", "Show traced packets, stage by stage" },
	{ "set log level LEVEL", "Set the log level (emerg..debug)" },
	{ "set port NAME link up|down",
	  "Bring a port's link up or down (rte_eth_dev_set_link_up/down)" },
	{ "clear stats", "Reset port, drop, lcore and uplink counters" },
	{ "clear neighbors", "Flush the dynamic neighbour table" },
	{ "clear trace", "Stop tracing and discard the trace" },
	{ "reload", "Reload the configuration file" },
	{ "shutdown", "Stop neptune" },
	{ "help [WORD...]", "List commands (those starting with WORD...)" },
};

#define CORE_LEN (sizeof(nep_cmd_core) / sizeof(nep_cmd_core[0]))
#define CLI_KW_MAX 64		/* keywords offered at one position */

_Static_assert(CORE_LEN <= NEP_CMD_MAX, "core grammar larger than NEP_CMD_MAX");

/* Registered entries, by reference: the tables are the features' own. */
static const struct nep_cmd_def *nep_cmd_reg[NEP_CMD_MAX - CORE_LEN];
static unsigned nep_cmd_nreg;

/* ---- compiled patterns ---- */

enum el_kind {
	EL_LIT,		/* keyword */
	EL_ALT,		/* a|b */
	EL_PH,		/* UPPERCASE placeholder */
	EL_VAR,		/* NAME...: zero or more words */
};

#define EL_TEXT_MAX 48

struct pat_el {
	enum el_kind kind;
	int grp_end;		/* first element after the optional group it opens */
	char text[EL_TEXT_MAX];
};

struct pat {
	int n;
	int nlead;		/* leading keywords (not optional) */
	struct pat_el el[NEP_MGMT_MAX_ARGS];
};

/* Patterns are tiny; compiling them on each use keeps the table plain data. */
static int
pat_compile(const char *pattern, struct pat *p)
{
	const char *s = pattern;
	int gstart = -1;
	bool lead = true;

	memset(p, 0, sizeof(*p));
	while (*s != '\0') {
		struct pat_el *e;
		const char *w;
		size_t len;
		bool open = false, close = false;

		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		w = s;
		while (*s != '\0' && *s != ' ')
			s++;
		len = (size_t)(s - w);
		if (*w == '[') {
			if (gstart >= 0)
				return -1;	/* no nesting */
			open = true;
			w++;
			len--;
		}
		if (len > 0 && w[len - 1] == ']') {
			close = true;
			len--;
		}
		if (len == 0 || len >= EL_TEXT_MAX || p->n >= NEP_MGMT_MAX_ARGS)
			return -1;
		e = &p->el[p->n];
		if (len > 3 && memcmp(w + len - 3, "...", 3) == 0) {
			e->kind = EL_VAR;
			len -= 3;
		} else if (isupper((unsigned char)w[0])) {
			e->kind = EL_PH;
		} else if (memchr(w, '|', len) != NULL) {
			e->kind = EL_ALT;
		} else {
			e->kind = EL_LIT;
		}
		memcpy(e->text, w, len);
		e->text[len] = '\0';
		if (open)
			gstart = p->n;
		if (gstart < 0 && lead && (e->kind == EL_LIT || e->kind == EL_ALT))
			p->nlead++;
		else
			lead = false;
		p->n++;
		if (close) {
			if (gstart < 0)
				return -1;
			/* "[X...]" is the same as "X...": no group needed */
			if (!(p->n - gstart == 1 && e->kind == EL_VAR))
				p->el[gstart].grp_end = p->n;
			gstart = -1;
		}
	}
	if (gstart >= 0)
		return -1;
	/* WORD... consumes the rest: only valid as the last element */
	for (int i = 0; i < p->n - 1; i++)
		if (p->el[i].kind == EL_VAR)
			return -1;
	return p->n > 0 ? 0 : -1;
}

static bool
alt_has(const char *alts, const char *word)
{
	size_t wl = strlen(word);
	const char *a = alts;

	for (;;) {
		const char *bar = strchr(a, '|');
		size_t al = bar ? (size_t)(bar - a) : strlen(a);

		if (al == wl && memcmp(a, word, wl) == 0)
			return true;
		if (bar == NULL)
			return false;
		a = bar + 1;
	}
}

/* Structural match: placeholders accept any word, values are checked later. */
static bool
el_match(const struct pat_el *e, const char *word)
{
	switch (e->kind) {
	case EL_LIT:
		return strcmp(e->text, word) == 0;
	case EL_ALT:
		return alt_has(e->text, word);
	case EL_PH:
	case EL_VAR:
		return true;
	}
	return false;
}

struct mstate {
	const struct pat *p;
	int argc;
	char **argv;
	int reach;			/* longest argv prefix matched */
	int bind[NEP_MGMT_MAX_ARGS];	/* argv index per element, -1 */
	int var_at;			/* argv index where WORD... starts */
	/* completion: report what may follow argv[0..argc-1] */
	bool collect;
	bool can_end;
	bool any;
	void (*next)(struct mstate *st, const struct pat_el *e, int ai);
	void *arg;
};

static bool
m_rec(struct mstate *st, int ei, int ai)
{
	const struct pat *p = st->p;
	const struct pat_el *e;

	if (ai > st->reach)
		st->reach = ai;
	if (ei >= p->n) {
		if (ai != st->argc)
			return false;
		if (st->collect) {
			st->can_end = true;
			st->any = true;
			return false;
		}
		return true;
	}
	e = &p->el[ei];
	if (e->kind == EL_VAR) {
		st->var_at = ai;
		st->reach = st->argc;
		if (st->collect) {
			st->next(st, e, ai);
			st->can_end = true;
			st->any = true;
			return false;
		}
		return true;
	}
	if (e->grp_end > 0) {
		int aj = ai, k;

		/* All of the group... */
		for (k = ei; k < e->grp_end; k++) {
			if (aj >= st->argc) {
				if (st->collect)
					st->next(st, &p->el[k], aj);
				break;
			}
			if (!el_match(&p->el[k], st->argv[aj]))
				break;
			st->bind[k] = aj++;
			if (aj > st->reach)
				st->reach = aj;
		}
		if (k == e->grp_end && m_rec(st, k, aj))
			return true;
		/* ...or none of it. */
		for (k = ei; k < e->grp_end; k++)
			st->bind[k] = -1;
		return m_rec(st, e->grp_end, ai);
	}
	if (ai >= st->argc) {
		if (st->collect)
			st->next(st, e, ai);
		return false;
	}
	if (!el_match(e, st->argv[ai]))
		return false;
	st->bind[ei] = ai;
	if (m_rec(st, ei + 1, ai + 1))
		return true;
	st->bind[ei] = -1;
	return false;
}

static void
mstate_init(struct mstate *st, const struct pat *p, int argc, char **argv)
{
	memset(st, 0, sizeof(*st));
	st->p = p;
	st->argc = argc;
	st->argv = argv;
	st->var_at = -1;
	for (int i = 0; i < NEP_MGMT_MAX_ARGS; i++)
		st->bind[i] = -1;
}

/* ---- value checks ---- */

int
nep_cmd_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	if (v != NULL)
		*v = x;
	return 0;
}

int
nep_cmd_log_level(const char *s)
{
	for (unsigned i = 0; s != NULL && i < NEP_N_LOG_LEVELS; i++)
		if (strcmp(s, nep_log_levels[i]) == 0)
			return (int)i + 1;	/* RTE_LOG_EMERG is 1 */
	return -1;
}

const char *
nep_log_level_name(int level)
{
	if (level < 1 || level > NEP_N_LOG_LEVELS)
		return NULL;
	return nep_log_levels[level - 1];
}

int
nep_cmd_parse_prefix(const char *s, struct nep_cmd_prefix *p)
{
	char tmp[64];
	char *slash;
	uint64_t len;
	int max;

	if (strlen(s) >= sizeof(tmp))
		return -1;
	strcpy(tmp, s);
	slash = strchr(tmp, '/');
	if (slash != NULL)
		*slash++ = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET6, tmp, p->addr) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else if (inet_pton(AF_INET, tmp, p->addr) == 1) {
		p->family = AF_INET;
		max = 32;
	} else {
		return -1;
	}
	len = (uint64_t)max;
	if (slash != NULL &&
	    (nep_cmd_parse_u64(slash, &len) < 0 || len > (uint64_t)max))
		return -1;
	p->len = (uint8_t)len;
	return 0;
}

static const char *const filter_keys[] = {
	"uplink", "proto", "src", "dst", "port", "limit",
};
static const char *const proto_names[] = { "tcp", "udp", "icmp", "icmpv6" };
static const int proto_numbers[] = { 6, 17, 1, 58 };

static void
err_set(struct nep_buf *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
err_set(struct nep_buf *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	nep_buf_reset(err);
	nep_buf_printf(err, "error: ");
	va_start(ap, fmt);
	nep_buf_vprintf(err, fmt, ap);
	va_end(ap);
	nep_buf_printf(err, "\n");
}

int
nep_cmd_flow_filter(int argc, char **argv, struct nep_flow_filter *f,
	struct nep_buf *err)
{
	memset(f, 0, sizeof(*f));
	f->proto = -1;
	f->port = -1;
	f->limit = NEP_FLOW_LIMIT_DEFAULT;

	for (int i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v;
		uint64_t x;
		unsigned j;

		for (j = 0; j < sizeof(filter_keys) / sizeof(filter_keys[0]); j++)
			if (strcmp(k, filter_keys[j]) == 0)
				break;
		if (j == sizeof(filter_keys) / sizeof(filter_keys[0])) {
			err_set(err, "unknown flow filter '%s' "
				"(expected uplink|proto|src|dst|port|limit)", k);
			return -1;
		}
		if (i + 1 >= argc) {
			err_set(err, "flow filter '%s' needs a value", k);
			return -1;
		}
		v = argv[i + 1];
		if (strcmp(k, "uplink") == 0) {
			f->uplink = v;
		} else if (strcmp(k, "proto") == 0) {
			f->proto = -1;
			for (j = 0; j < 4; j++)
				if (strcmp(v, proto_names[j]) == 0)
					f->proto = proto_numbers[j];
			if (f->proto < 0) {
				if (nep_cmd_parse_u64(v, &x) < 0 || x > 255) {
					err_set(err, "invalid protocol '%s' "
						"(expected tcp|udp|icmp|icmpv6 or 0..255)",
						v);
					return -1;
				}
				f->proto = (int)x;
			}
		} else if (strcmp(k, "src") == 0 || strcmp(k, "dst") == 0) {
			bool src = k[0] == 's';

			if (nep_cmd_parse_prefix(v, src ? &f->src : &f->dst) < 0) {
				err_set(err, "invalid address or prefix '%s'", v);
				return -1;
			}
			if (src)
				f->has_src = true;
			else
				f->has_dst = true;
		} else if (strcmp(k, "port") == 0) {
			if (nep_cmd_parse_u64(v, &x) < 0 || x > 65535) {
				err_set(err, "invalid port '%s' (expected 0..65535)",
					v);
				return -1;
			}
			f->port = (int)x;
		} else {
			if (nep_cmd_parse_u64(v, &f->limit) < 0) {
				err_set(err, "invalid number '%s' for limit "
					"(expected a non-negative integer)", v);
				return -1;
			}
		}
	}
	return 0;
}

/* Check the words bound to typed placeholders. 0, or -1 with err set. */
static int
check_values(const struct mstate *st, struct nep_buf *err)
{
	const struct pat *p = st->p;

	for (int i = 0; i < p->n; i++) {
		const struct pat_el *e = &p->el[i];
		const char *w;

		if (e->kind == EL_VAR) {
			struct nep_flow_filter f;

			if (st->var_at >= 0 && strcmp(e->text, "FILTER") == 0 &&
			    nep_cmd_flow_filter(st->argc - st->var_at,
				    st->argv + st->var_at, &f, err) < 0)
				return -1;
			continue;
		}
		if (e->kind != EL_PH || st->bind[i] < 0)
			continue;
		w = st->argv[st->bind[i]];
		if (strcmp(e->text, "N") == 0 && nep_cmd_parse_u64(w, NULL) < 0) {
			err_set(err, "invalid number '%s' for N "
				"(expected a non-negative integer)", w);
			return -1;
		}
		if (strcmp(e->text, "LEVEL") == 0 && nep_cmd_log_level(w) < 0) {
			char names[128];
			size_t len = 0;

			/* from the table, so the message never goes stale */
			names[0] = '\0';
			for (unsigned j = 0; j < NEP_N_LOG_LEVELS; j++)
				len += (size_t)snprintf(names + len,
					sizeof(names) - len, "%s%s",
					j ? "|" : "", nep_log_levels[j]);
			err_set(err, "invalid log level '%s' (expected %s)", w,
				names);
			return -1;
		}
	}
	return 0;
}

int
nep_cmd_check(const char *pattern, int argc, char **argv, struct nep_buf *err)
{
	struct pat p;
	struct mstate st;

	if (pat_compile(pattern, &p) < 0 || argc < 0)
		return 0;
	mstate_init(&st, &p, argc, argv);
	if (!m_rec(&st, 0, 0))
		return 0;
	return check_values(&st, err) < 0 ? -1 : 1;
}

bool
nep_cmd_match(const char *pattern, int argc, char **argv)
{
	return nep_cmd_check(pattern, argc, argv, NULL) == 1;
}

/* ---- the grammar: core table, then registered tables ---- */

unsigned
nep_cmd_grammar_count(void)
{
	return (unsigned)CORE_LEN + nep_cmd_nreg;
}

const struct nep_cmd_def *
nep_cmd_grammar_get(unsigned i)
{
	if (i < CORE_LEN)
		return &nep_cmd_core[i];
	i -= (unsigned)CORE_LEN;
	return i < nep_cmd_nreg ? nep_cmd_reg[i] : NULL;
}

int
nep_cmd_find(const char *pattern)
{
	unsigned n = nep_cmd_grammar_count();

	if (pattern == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (strcmp(nep_cmd_grammar_get(i)->pattern, pattern) == 0)
			return (int)i;
	return -1;
}

/* Constructors have no caller to report to: say why on stderr. */
static int
reg_fail(int err, const char *pattern, const char *why)
{
	fprintf(stderr, "nep_cmd_register: '%s': %s\n",
		pattern != NULL ? pattern : "(null)", why);
	errno = err;
	return -1;
}

int
nep_cmd_register(const struct nep_cmd_def *defs, unsigned n)
{
	if (n == 0)
		return 0;
	if (defs == NULL)
		return reg_fail(EINVAL, NULL, "no table");
	if (n > NEP_CMD_MAX - nep_cmd_grammar_count())
		return reg_fail(ENOSPC, defs[0].pattern,
			"grammar full (NEP_CMD_MAX entries)");
	/* Check the whole table first: all of it is registered, or none. */
	for (unsigned i = 0; i < n; i++) {
		const char *pattern = defs[i].pattern;
		struct pat p;

		if (pattern == NULL || defs[i].help == NULL)
			return reg_fail(EINVAL, pattern, "no pattern or help");
		if (pat_compile(pattern, &p) < 0)
			return reg_fail(EINVAL, pattern, "malformed pattern");
		/* the dispatcher answers "help ..." before the grammar */
		if ((p.el[0].kind == EL_LIT || p.el[0].kind == EL_ALT) &&
		    el_match(&p.el[0], "help"))
			return reg_fail(EINVAL, pattern, "shadowed by help");
		if (nep_cmd_find(pattern) >= 0)
			return reg_fail(EEXIST, pattern,
				"already in the grammar");
		for (unsigned j = 0; j < i; j++)
			if (strcmp(defs[j].pattern, pattern) == 0)
				return reg_fail(EEXIST, pattern,
					"twice in the table");
	}
	for (unsigned i = 0; i < n; i++)
		nep_cmd_reg[nep_cmd_nreg++] = &defs[i];
	return 0;
}

/* ---- completion ---- */

#define COMP_MAX 64

struct comp {
	void (*fn)(const char *kw, unsigned idx, void *arg);
	void (*ph)(const char *name, unsigned idx, void *arg);
	void *arg;
	unsigned idx;			/* grammar entry being explored */
	unsigned n_kw, n_ph;
	char kw[COMP_MAX][EL_TEXT_MAX];
	char phs[COMP_MAX][EL_TEXT_MAX];
};

static void
comp_add(struct comp *c, bool is_ph, const char *s, size_t len)
{
	char (*tab)[EL_TEXT_MAX] = is_ph ? c->phs : c->kw;
	unsigned *n = is_ph ? &c->n_ph : &c->n_kw;
	char w[EL_TEXT_MAX];

	if (len >= EL_TEXT_MAX)
		return;
	memcpy(w, s, len);
	w[len] = '\0';
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(tab[i], w) == 0)
			return;
	if (*n >= COMP_MAX)
		return;
	strcpy(tab[(*n)++], w);
	if (is_ph && c->ph != NULL)
		c->ph(w, c->idx, c->arg);
	else if (!is_ph && c->fn != NULL)
		c->fn(w, c->idx, c->arg);
}

static void
comp_alts(struct comp *c, const char *alts)
{
	const char *a = alts;

	for (;;) {
		const char *bar = strchr(a, '|');

		comp_add(c, false, a, bar ? (size_t)(bar - a) : strlen(a));
		if (bar == NULL)
			return;
		a = bar + 1;
	}
}

static void
comp_next(struct mstate *st, const struct pat_el *e, int ai)
{
	struct comp *c = st->arg;

	st->any = true;
	switch (e->kind) {
	case EL_LIT:
		comp_add(c, false, e->text, strlen(e->text));
		break;
	case EL_ALT:
		comp_alts(c, e->text);
		break;
	case EL_PH:
		comp_add(c, true, e->text, strlen(e->text));
		break;
	case EL_VAR:
		if (strcmp(e->text, "FILTER") != 0) {
			char name[EL_TEXT_MAX + 4];

			snprintf(name, sizeof(name), "%s...", e->text);
			comp_add(c, true, name, strlen(name));
		} else if ((st->argc - ai) % 2 == 0) {
			/* filters are key/value pairs: a key comes next */
			for (unsigned i = 0; i < sizeof(filter_keys) /
					sizeof(filter_keys[0]); i++)
				comp_add(c, false, filter_keys[i],
					strlen(filter_keys[i]));
		} else {
			const char *k = st->argv[st->argc - 1];

			if (strcmp(k, "proto") == 0)
				comp_alts(c, "tcp|udp|icmp|icmpv6");
			else if (strcmp(k, "uplink") == 0)
				comp_add(c, true, "NAME", 4);
			else if (strcmp(k, "src") == 0 || strcmp(k, "dst") == 0)
				comp_add(c, true, "PREFIX", 6);
			else
				comp_add(c, true, "N", 1);
		}
		break;
	}
}

int
nep_cmd_complete(int n, char **words,
	void (*fn)(const char *kw, unsigned idx, void *arg),
	void (*ph)(const char *name, unsigned idx, void *arg),
	void *arg, bool *can_end)
{
	char *argv[NEP_MGMT_MAX_ARGS];
	struct comp *c;
	int argc = 0, accepted = 0;
	bool end = false;

	for (int i = 0; i < n; i++) {
		if (strcmp(words[i], "--json") == 0)
			continue;
		if (argc >= NEP_MGMT_MAX_ARGS)
			return 0;
		argv[argc++] = words[i];
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return 0;
	c->fn = fn;
	c->ph = ph;
	c->arg = arg;
	for (unsigned i = 0; i < nep_cmd_grammar_count(); i++) {
		struct pat p;
		struct mstate st;

		if (pat_compile(nep_cmd_grammar_get(i)->pattern, &p) < 0)
			continue;
		mstate_init(&st, &p, argc, argv);
		st.collect = true;
		st.next = comp_next;
		st.arg = c;
		c->idx = i;
		m_rec(&st, 0, 0);
		if (st.any)
			accepted++;
		if (st.can_end)
			end = true;
	}
	free(c);
	if (can_end != NULL)
		*can_end = end;
	return accepted;
}

/* ---- splitting and dispatch ---- */

int
nep_mgmt_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' ||
		       *s == '\v' || *s == '\f')
			s++;
		if (*s == '\0')
			return argc;
		if (argc >= max)
			return -1;
		argv[argc++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' &&
		       *s != '\n' && *s != '\v' && *s != '\f')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

int
nep_dispatch_bind(struct nep_dispatch *d, const char *pattern, nep_cmd_fn fn)
{
	int i = nep_cmd_find(pattern);

	if (i < 0)
		return -1;
	d->handlers[i] = fn;
	return 0;
}

static int
reply_error(struct nep_buf *reply, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
reply_error(struct nep_buf *reply, const char *fmt, ...)
{
	va_list ap;

	nep_buf_reset(reply);
	nep_buf_printf(reply, "error: ");
	va_start(ap, fmt);
	nep_buf_vprintf(reply, fmt, ap);
	va_end(ap);
	nep_buf_printf(reply, "\n");
	return -1;
}

static void
join_words(char *dst, size_t size, int argc, char **argv)
{
	size_t len = 0;

	dst[0] = '\0';
	for (int i = 0; i < argc && len + 1 < size; i++)
		len += (size_t)snprintf(dst + len, size - len, "%s%s",
			i ? " " : "", argv[i]);
}

/* JSON replies: compact, keys in the handler's order, newline-terminated. */
static int
reply_json(struct nep_buf *reply, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
		JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));

	if (s == NULL)
		return reply_error(reply, "cannot encode the JSON reply");
	nep_buf_reset(reply);
	nep_buf_printf(reply, "%s\n", s);
	free(s);
	return 0;
}

/* "help [WORD...]": the grammar itself, optionally narrowed by a prefix. */
static int
do_help(struct nep_cmd_ctx *ctx)
{
	int nw = ctx->argc - 1;
	char **w = ctx->argv + 1;
	size_t width = 0;
	unsigned shown = 0, n = nep_cmd_grammar_count();
	bool sel[NEP_CMD_MAX];
	json_t *arr = NULL;

	for (unsigned i = 0; i < n; i++) {
		const char *pattern = nep_cmd_grammar_get(i)->pattern;
		struct pat p;
		struct mstate st;

		sel[i] = false;
		if (pat_compile(pattern, &p) < 0)
			continue;
		mstate_init(&st, &p, nw, w);
		m_rec(&st, 0, 0);
		if (st.reach < nw)
			continue;
		sel[i] = true;
		shown++;
		if (strlen(pattern) > width)
			width = strlen(pattern);
	}
	if (shown == 0) {
		char words[NEP_MGMT_LINE_MAX];

		join_words(words, sizeof(words), nw, w);
		return reply_error(ctx->out, "no command matches '%s' "
			"(type 'help')", words);
	}
	if (ctx->json) {
		arr = json_array();
		for (unsigned i = 0; i < n; i++) {
			const struct nep_cmd_def *def = nep_cmd_grammar_get(i);

			if (sel[i])
				json_array_append_new(arr,
					json_pack("{s:s,s:s}", "pattern",
						def->pattern, "help", def->help));
		}
		ctx->json_out = json_pack("{s:o}", "commands", arr);
		return 0;
	}
	if (nw == 0)
		nep_buf_printf(ctx->out, "Commands (add --json for JSON "
			"output):\n");
	for (unsigned i = 0; i < n; i++)
		if (sel[i])
			nep_buf_printf(ctx->out, "  %-*s  %s\n", (int)width,
				nep_cmd_grammar_get(i)->pattern,
				nep_cmd_grammar_get(i)->help);
	return 0;
}

/*
 * No entry matched: tell an unknown command from a known one used wrongly,
 * using how far each pattern got (its "reach").
 */
static int
explain_mismatch(struct nep_cmd_ctx *ctx)
{
	int reach[NEP_CMD_MAX];
	int nlead[NEP_CMD_MAX];
	char words[NEP_MGMT_LINE_MAX];
	unsigned n = nep_cmd_grammar_count();
	int best = 0, n_usage = 0;

	for (unsigned i = 0; i < n; i++) {
		struct pat p;
		struct mstate st;

		reach[i] = 0;
		nlead[i] = 0;
		if (pat_compile(nep_cmd_grammar_get(i)->pattern, &p) < 0)
			continue;
		mstate_init(&st, &p, ctx->argc, ctx->argv);
		m_rec(&st, 0, 0);
		reach[i] = st.reach;
		nlead[i] = p.nlead;
		if (st.reach > best)
			best = st.reach;
	}
	if (best == 0)
		return reply_error(ctx->out, "unknown command '%s' (type 'help')",
			ctx->argv[0]);
	/* Candidates whose keywords were all given: their usage helps. */
	for (unsigned i = 0; i < n; i++)
		if (reach[i] == best && (best >= nlead[i] || best == ctx->argc))
			n_usage++;
	if (n_usage == 0) {
		/* the word after "best" is not a keyword anything expects */
		join_words(words, sizeof(words), best + 1, ctx->argv);
		return reply_error(ctx->out, "unknown command '%s' (type 'help')",
			words);
	}
	if (n_usage > 4) {
		join_words(words, sizeof(words), best, ctx->argv);
		return reply_error(ctx->out, "incomplete command '%s' "
			"(type 'help %s')", words, words);
	}
	nep_buf_reset(ctx->out);
	nep_buf_printf(ctx->out, "error: usage:");
	n_usage = 0;
	for (unsigned i = 0; i < n; i++)
		if (reach[i] == best && (best >= nlead[i] || best == ctx->argc))
			nep_buf_printf(ctx->out, "%s %s", n_usage++ ? ";" : "",
				nep_cmd_grammar_get(i)->pattern);
	nep_buf_printf(ctx->out, "\n");
	return -1;
}

/* Make a handler's failure message a single "error: ..." line. */
static void
normalize_error(struct nep_buf *out)
{
	struct nep_buf tmp;
	char *nl;

	if (out->data == NULL || out->len == 0) {
		nep_buf_printf(out, "error: command failed\n");
		return;
	}
	nl = strchr(out->data, '\n');
	if (nl != NULL) {
		*nl = '\0';
		out->len = (size_t)(nl - out->data);
	}
	if (strncmp(out->data, "error: ", 7) == 0) {
		nep_buf_printf(out, "\n");
		return;
	}
	nep_buf_init(&tmp);
	nep_buf_printf(&tmp, "error: %s\n", out->data);
	nep_buf_free(out);
	*out = tmp;
}

/*
 * Unique prefixes: when no entry matches as typed, each word that is not
 * a keyword the grammar offers at its position (nep_cmd_complete) and
 * cannot be a placeholder's value there is taken as the abbreviation of
 * the keywords it starts; `sh up` -> `show uplinks`. A keyword typed in
 * full is never an abbreviation (`show port` stays `show port`). When a
 * word abbreviates several keywords, the expansions that make the whole
 * line match an entry decide; one is used, several are ambiguous. Only
 * show (and help) commands may have their first word abbreviated: `s`
 * is not `shutdown`.
 */
struct expand {
	int argc;
	char **in;			/* as typed */
	char *out[NEP_MGMT_MAX_ARGS];	/* the expansion being built */
	char (*store)[EL_TEXT_MAX];	/* keywords copied for the result */
	int hits;			/* full expansions that match */
	bool changed[NEP_MGMT_MAX_ARGS];	/* of the first one */
};

struct kwlist {
	char kw[CLI_KW_MAX][EL_TEXT_MAX];
	unsigned n;
	bool ph;
};

static void
kw_add(const char *kw, unsigned idx, void *arg)
{
	struct kwlist *l = arg;

	(void)idx;
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->kw[i], kw) == 0)
			return;
	if (l->n < CLI_KW_MAX)
		snprintf(l->kw[l->n++], EL_TEXT_MAX, "%s", kw);
}

static void
ph_add(const char *name, unsigned idx, void *arg)
{
	(void)name;
	(void)idx;
	((struct kwlist *)arg)->ph = true;
}

static bool
line_matches(int argc, char **argv)
{
	for (unsigned i = 0; i < nep_cmd_grammar_count(); i++)
		if (nep_cmd_check(nep_cmd_grammar_get(i)->pattern, argc, argv,
			NULL) != 0)
			return true;
	return false;
}

static void
expand_at(struct expand *x, int i)
{
	struct kwlist *l;
	const char *w;
	size_t wl;

	if (x->hits > 1)
		return;
	if (i == x->argc) {
		if (line_matches(x->argc, x->out) && x->hits++ == 0)
			for (int k = 0; k < x->argc; k++) {
				x->changed[k] = x->out[k] != x->in[k];
				snprintf(x->store[k], EL_TEXT_MAX, "%s",
					x->out[k]);
			}
		return;
	}
	/* Allocated after the returns above: every full-length candidate
	 * leaked its 3 KB list once (found by tests/fuzz/fuzz_cli). */
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return;
	w = x->in[i];
	wl = strlen(w);
	nep_cmd_complete(i, x->out, kw_add, ph_add, l, NULL);
	for (unsigned k = 0; k < l->n; k++)
		if (strcmp(l->kw[k], w) == 0)
			l->ph = true;	/* typed in full: kept as is */
	if (l->ph) {
		x->out[i] = x->in[i];
		expand_at(x, i + 1);
	} else {
		for (unsigned k = 0; k < l->n; k++)
			if (wl > 0 && strncmp(l->kw[k], w, wl) == 0) {
				x->out[i] = l->kw[k];
				expand_at(x, i + 1);
			}
	}
	free(l);
}

/* 1: ctx->argv rewritten (keywords copied into store); 0: no unique
 * expansion ("error: ambiguous ..." in reply when several). */
static int
expand_prefixes(struct nep_cmd_ctx *ctx, char store[][EL_TEXT_MAX],
	struct nep_buf *reply)
{
	struct expand x = { .argc = ctx->argc, .in = ctx->argv,
		.store = store, .hits = 0 };

	expand_at(&x, 0);
	if (x.hits > 1) {
		nep_buf_reset(reply);
		nep_buf_printf(reply, "error: ambiguous abbreviation, type more "
			"of it ('help' lists the commands)\n");
		return 0;
	}
	if (x.hits == 0)
		return 0;
	/* `s` must not mean `shutdown`: a command that is not a show (or
	 * help) needs its first word in full. */
	if (x.changed[0] && strcmp(store[0], "show") != 0 &&
		strcmp(store[0], "help") != 0) {
		nep_buf_reset(reply);
		nep_buf_printf(reply, "error: '%s' abbreviates '%s': type the "
			"first word of a command that is not a show in full\n",
			ctx->argv[0], store[0]);
		return 0;
	}
	for (int i = 0; i < ctx->argc; i++)
		if (x.changed[i])
			ctx->argv[i] = store[i];
	return 1;
}

int
nep_dispatch_line(struct nep_dispatch *d, const char *line,
	struct nep_buf *reply)
{
	return nep_dispatch_line_flags(d, line, reply, 0);
}

/* A line split into words and matched against the grammar. */
struct resolved {
	char exp[NEP_MGMT_MAX_ARGS][EL_TEXT_MAX];
	char buf[NEP_MGMT_LINE_MAX];
	char *words[NEP_MGMT_MAX_ARGS + 8];
	struct nep_cmd_ctx ctx;
	int found;		/* grammar index */
};

enum { RESOLVE_ERROR = -1, RESOLVE_BLANK, RESOLVE_FOUND, RESOLVE_HELP };

/* Pure (the grammar is fixed once the commands are registered), so any
 * thread may resolve a line. On RESOLVE_ERROR the message is in reply. */
static int
resolve(struct resolved *st, const char *line, struct nep_buf *reply)
{
	struct nep_cmd_ctx *ctx = &st->ctx;
	bool bad = false;
	struct nep_buf err;
	int n, rc;

	st->found = -1;
	if (strlen(line) >= sizeof(st->buf))
		return reply_error(reply, "line too long (max %d bytes)",
			NEP_MGMT_LINE_MAX - 1);
	strcpy(st->buf, line);
	n = nep_mgmt_split(st->buf, st->words,
		(int)(sizeof(st->words) / sizeof(st->words[0])));
	for (int i = 0; n > 0 && i < n; i++) {
		if (strcmp(st->words[i], "--json") == 0) {
			ctx->json = true;
			continue;
		}
		if (ctx->argc >= NEP_MGMT_MAX_ARGS) {
			n = -1;
			break;
		}
		ctx->argv[ctx->argc++] = st->words[i];
	}
	if (n < 0)
		return reply_error(reply, "too many words (max %d)",
			NEP_MGMT_MAX_ARGS);
	if (ctx->argc == 0)
		return RESOLVE_BLANK;
	if (strcmp(ctx->argv[0], "help") == 0)
		return RESOLVE_HELP;

	/* First full match with valid values wins; else the first bad value. */
	nep_buf_init(&err);
	for (unsigned i = 0; i < nep_cmd_grammar_count() && st->found < 0; i++) {
		rc = nep_cmd_check(nep_cmd_grammar_get(i)->pattern, ctx->argc,
			ctx->argv, bad ? NULL : &err);
		if (rc == 1)
			st->found = (int)i;
		else if (rc < 0)
			bad = true;
	}
	if (st->found < 0 && !bad) {
		struct nep_buf amb;

		nep_buf_init(&amb);
		if (expand_prefixes(ctx, st->exp, &amb) == 1) {
			for (unsigned i = 0; i < nep_cmd_grammar_count() &&
				st->found < 0; i++) {
				rc = nep_cmd_check(nep_cmd_grammar_get(i)->pattern,
					ctx->argc, ctx->argv, bad ? NULL : &err);
				if (rc == 1)
					st->found = (int)i;
				else if (rc < 0)
					bad = true;
			}
		} else if (amb.len > 0) {
			nep_buf_reset(reply);
			nep_buf_append(reply, amb.data, amb.len);
			nep_buf_free(&amb);
			nep_buf_free(&err);
			return RESOLVE_ERROR;
		}
		nep_buf_free(&amb);
	}
	if (st->found < 0 && bad) {
		nep_buf_reset(reply);
		nep_buf_append(reply, err.data, err.len);
	}
	nep_buf_free(&err);
	if (st->found < 0)
		return bad ? RESOLVE_ERROR : explain_mismatch(ctx);
	return RESOLVE_FOUND;
}

int
nep_dispatch_bind_prep(struct nep_dispatch *d, const char *pattern,
	nep_cmd_prep_fn prep, nep_cmd_prep_free_fn prep_free)
{
	int i = nep_cmd_find(pattern);

	if (i < 0)
		return -1;
	d->preps[i] = prep;
	d->prep_frees[i] = prep_free;
	return 0;
}

/* May a client with these flags run grammar entry i? (Read-only
 * clients: show commands; help never reaches here.) */
static bool
allowed(unsigned i, unsigned flags)
{
	return !(flags & NEP_DISPATCH_READ_ONLY) ||
		strncmp(nep_cmd_grammar_get(i)->pattern, "show ", 5) == 0;
}

void
nep_dispatch_prepare(struct nep_dispatch *d, const char *line,
	unsigned flags, void **prep, nep_cmd_prep_free_fn *prep_free)
{
	struct resolved st = { 0 };
	struct nep_buf scratch;

	*prep = NULL;
	*prep_free = NULL;
	if (d == NULL)
		return;
	nep_buf_init(&scratch);
	st.ctx.out = &scratch;
	if (resolve(&st, line, &scratch) == RESOLVE_FOUND &&
		d->preps[st.found] != NULL && allowed((unsigned)st.found, flags)) {
		st.ctx.app = d->app;
		*prep = d->preps[st.found](d->app, &st.ctx);
		*prep_free = d->prep_frees[st.found];
	}
	nep_buf_free(&scratch);
}

int
nep_dispatch_line_flags(struct nep_dispatch *d, const char *line,
	struct nep_buf *reply, unsigned flags)
{
	return nep_dispatch_line_prep(d, line, reply, flags, NULL);
}

int
nep_dispatch_line_prep(struct nep_dispatch *d, const char *line,
	struct nep_buf *reply, unsigned flags, void *prep)
{
	struct resolved st;
	struct nep_cmd_ctx ctx;
	int rc, found;

	nep_buf_reset(reply);
	memset(&st.ctx, 0, sizeof(st.ctx));
	st.ctx.out = reply;
	st.ctx.app = d != NULL ? d->app : NULL;
	rc = resolve(&st, line, reply);
	ctx = st.ctx;	/* argv points into st, which outlives the call */
	ctx.prep = prep;
	if (rc == RESOLVE_ERROR)
		return -1;
	if (rc == RESOLVE_BLANK)
		return 0;	/* blank line: nothing to do */
	if (rc == RESOLVE_HELP) {
		rc = do_help(&ctx);
		if (rc == 0 && ctx.json)
			rc = reply_json(reply, ctx.json_out);
		json_decref(ctx.json_out);
		return rc;
	}
	found = st.found;

	if (!allowed((unsigned)found, flags))
		return reply_error(reply, "read-only access (management."
			"read_group): only show commands and help");
	if (d == NULL || d->handlers[found] == NULL)
		return reply_error(reply, "not supported");
	rc = d->handlers[found](&ctx);
	if (rc != 0) {
		json_decref(ctx.json_out);
		normalize_error(reply);
		return -1;
	}
	if (ctx.json) {
		json_t *j = ctx.json_out;

		if (j == NULL) {
			/* Action commands: a status object, with the text. */
			size_t len = reply->len;

			while (len > 0 && reply->data[len - 1] == '\n')
				len--;
			j = json_object();
			json_object_set_new(j, "ok", json_true());
			if (len > 0)
				json_object_set_new(j, "message",
					json_stringn(reply->data, len));
		}
		rc = reply_json(reply, j);
		json_decref(j);
		return rc;
	}
	json_decref(ctx.json_out);
	if (reply->len > 0 && reply->data[reply->len - 1] != '\n')
		nep_buf_printf(reply, "\n");
	return 0;
}
