/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * YAML configuration loader (libyaml document API).
 *
 * The first error stops the load. Errors unwind with longjmp to the entry
 * point, which owns every resource through struct ctx; this keeps the many
 * small checks below free of error plumbing. Sections registered by
 * features (nep_config_section.h) are parsed last, with the same helpers
 * wrapped as a small public API near the end of this file.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <yaml.h>

#include "nep_config.h"
#include "nep_config_section.h"

#ifndef NEP_DRIVERS_DIR
#define NEP_DRIVERS_DIR "drivers-config"
#endif

#define KPATH_MAX 256 /* dotted key paths */
#define MAP_KEYS 24   /* more than any mapping has (top: core + sections) */
#define MAX_PRESETS NEP_MAX_PORTS

/* One YAML file: the main config or a driver preset. */
/* nep_config_set_learnt(): what was learnt at run time, NULL if none. */
static const struct nep_config_learnt *learnt_src;

struct src {
	struct ctx *ctx;
	const char *file;
	char *buf;
	size_t len;
	yaml_document_t doc;
	bool loaded;
};

struct preset {
	char name[NEP_NAME_MAX];
	bool has_rxq, has_rxd, has_txd;
	uint16_t rx_queues, rx_desc, tx_desc;
};

/* What a registered section's parser gets (nep_config_section.h). */
struct nep_cfg {
	struct src *s;
	struct nep_cfg_map *maps; /* opened by the running parser */
};

struct ctx {
	jmp_buf jb;
	bool sections_only; /* nep_config_load_sections(): no core keys */
	struct nep_config_error *err;
	struct nep_config *cfg;
	const char *drivers_dir;
	struct src main;
	struct src preset; /* at most one preset is open at a time */
	char preset_path[NEP_PATH_MAX + NEP_NAME_MAX + 8];
	unsigned n_presets;
	struct preset presets[MAX_PRESETS];
	struct nep_cfg sec; /* the registered section being parsed */
	/* Sub-interfaces while ports[] is parsed: the nodes their checks
	 * against the parent point at (by position in the file). */
	yaml_node_t *parent_node[NEP_MAX_PORTS];
	yaml_node_t *vlan_node[NEP_MAX_PORTS];
	yaml_node_t *mtu_node[NEP_MAX_PORTS];
};

/* A mapping whose keys have been checked against the allowed set. */
struct map {
	struct src *s;
	yaml_node_t *node;
	const char *path;
	unsigned n;
	struct {
		const char *key;
		yaml_node_t *k, *v;
	} e[MAP_KEYS];
};

/* ---- errors ---------------------------------------------------------- */

static void __attribute__((format(printf, 5, 0)))
vset_err(struct src *s, unsigned long line, unsigned long col, const char *path,
	const char *fmt, va_list ap)
{
	char msg[400];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One line whatever it quotes: a value with newlines or control
	 * bytes must not forge a line of its own in a log or on the CLI. */
	for (char *c = msg; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	snprintf(s->ctx->err->msg, sizeof(s->ctx->err->msg),
		"%s:%lu:%lu: %s: %s", s->file, line, col,
		path[0] != '\0' ? path : "(root)", msg);
}

static void __attribute__((noreturn, format(printf, 5, 6)))
fail_at(struct src *s, unsigned long line, unsigned long col, const char *path,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_err(s, line, col, path, fmt, ap);
	va_end(ap);
	longjmp(s->ctx->jb, 1);
}

/* Marks are 0-based in libyaml; editors count from 1. */
#define fail(s, node, path, ...)                                               \
	fail_at((s), (node)->start_mark.line + 1,                              \
		(node)->start_mark.column + 1, (path), __VA_ARGS__)

/* ---- key paths ------------------------------------------------------- */

/* Absurdly deep paths only come from hostile input: mark, don't fail. */
static const char *
path_trunc(char *buf, int n)
{
	if (n < 0 || n >= KPATH_MAX)
		memcpy(buf + KPATH_MAX - 4, "...", 4);
	return buf;
}

static const char *
kpath(char *buf, const char *parent, const char *key)
{
	return path_trunc(buf, snprintf(buf, KPATH_MAX, "%s%s%s", parent,
				       parent[0] ? "." : "", key));
}

static const char *
ipath(char *buf, const char *parent, unsigned i)
{
	return path_trunc(buf, snprintf(buf, KPATH_MAX, "%s[%u]", parent, i));
}

/* ---- key positions --------------------------------------------------- */

/*
 * Every node the parser visits in the main file, under the path its errors
 * would name, so a reload can point at a key it refuses. An open-addressing
 * hash on the path keeps a config with thousands of policies linear.
 */
struct key_slot {
	uint32_t hash;
	uint32_t off;  /* path, into names */
	uint32_t line; /* 1-based; 0: empty slot */
	uint32_t col;
};

struct nep_config_keys {
	struct key_slot *slot;
	uint32_t mask; /* slots - 1, a power of two */
	uint32_t n;
	char *names; /* the paths, NUL-terminated, back to back */
	size_t names_len, names_cap;
};

#define KEYS_MIN_SLOTS 256
#define KEYS_MIN_NAMES 4096

/* FNV-1a */
static uint32_t
key_hash(const char *k)
{
	uint32_t h = 2166136261u;

	for (; *k != '\0'; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

/* The slot holding key, or the empty one where it would go. */
static struct key_slot *
keys_slot(const struct nep_config_keys *t, const char *key, uint32_t h)
{
	uint32_t i = h & t->mask;

	while (t->slot[i].line != 0 &&
		(t->slot[i].hash != h ||
			strcmp(t->names + t->slot[i].off, key) != 0))
		i = (i + 1) & t->mask;
	return &t->slot[i];
}

static int
keys_grow(struct nep_config_keys *t)
{
	uint32_t n = t->slot != NULL ? (t->mask + 1) * 2 : KEYS_MIN_SLOTS;
	struct key_slot *old = t->slot;
	uint32_t i, omask = t->mask;

	if (n == 0)
		return -ENOMEM;
	t->slot = calloc(n, sizeof(t->slot[0]));
	if (t->slot == NULL) {
		t->slot = old;
		return -ENOMEM;
	}
	t->mask = n - 1;
	for (i = 0; old != NULL && i <= omask; i++) {
		uint32_t j = old[i].hash & t->mask;

		if (old[i].line == 0)
			continue;
		while (t->slot[j].line != 0)
			j = (j + 1) & t->mask;
		t->slot[j] = old[i];
	}
	free(old);
	return 0;
}

/* Returns 0 or -ENOMEM. A path seen before keeps its first position. */
static int
keys_add(struct nep_config_keys *t, const char *key, unsigned long line,
	unsigned long col)
{
	size_t klen = strlen(key) + 1;
	struct key_slot *e;
	uint32_t h = key_hash(key);

	/* Load factor at most 3/4: linear probes stay short. */
	if (((uint64_t)t->n + 1) * 4 >
			(t->slot != NULL ? (uint64_t)(t->mask + 1) * 3 : 0) &&
		keys_grow(t) < 0)
		return -ENOMEM;
	e = keys_slot(t, key, h);
	if (e->line != 0)
		return 0;
	if (t->names_len + klen > UINT32_MAX)
		return -ENOMEM;
	if (t->names_len + klen > t->names_cap) {
		size_t cap = t->names_cap ? t->names_cap : KEYS_MIN_NAMES;
		char *nb;

		while (cap < t->names_len + klen)
			cap *= 2;
		nb = realloc(t->names, cap);
		if (nb == NULL)
			return -ENOMEM;
		t->names = nb;
		t->names_cap = cap;
	}
	memcpy(t->names + t->names_len, key, klen);
	e->hash = h;
	e->off = (uint32_t)t->names_len;
	e->line = (uint32_t)line;
	e->col = (uint32_t)col;
	t->names_len += klen;
	t->n++;
	return 0;
}

/* Loading is over: give back the unused part of names (half, at worst). */
static void
keys_trim(struct nep_config_keys *t)
{
	char *nb;

	if (t == NULL || t->names_len == t->names_cap)
		return;
	nb = realloc(t->names, t->names_len);
	if (nb != NULL) {
		t->names = nb;
		t->names_cap = t->names_len;
	}
}

static void
keys_free(struct nep_config_keys *t)
{
	if (t == NULL)
		return;
	free(t->slot);
	free(t->names);
	free(t);
}

/* Presets are skipped: a reload names keys of the file it loaded. */
static void
key_note(struct src *s, const yaml_node_t *n, const char *path)
{
	struct nep_config *cfg = s->ctx->cfg;

	if (s != &s->ctx->main)
		return;
	if (cfg->keys == NULL)
		cfg->keys = calloc(1, sizeof(*cfg->keys));
	if (cfg->keys == NULL ||
		keys_add(cfg->keys, path, n->start_mark.line + 1,
			n->start_mark.column + 1) < 0)
		fail(s, n, path, "out of memory");
}

/* ---- nodes ----------------------------------------------------------- */

static yaml_node_t *
get_node(struct src *s, int id)
{
	return yaml_document_get_node(&s->doc, id);
}

/* libyaml does not resolve implicit tags: a plain "~", "null" or nothing. */
static bool
is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
		n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const char *
scalar_str(struct src *s, yaml_node_t *n, const char *path)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		fail(s, n, path, "expected a string");
	return (const char *)n->data.scalar.value;
}

static void
copy_str(
	struct src *s, yaml_node_t *n, const char *path, char *dst, size_t size)
{
	const char *v = scalar_str(s, n, path);

	if (v[0] == '\0')
		fail(s, n, path, "expected a non-empty string");
	if (strlen(v) >= size)
		fail(s, n, path, "too long (max %zu characters)", size - 1);
	memcpy(dst, v, strlen(v) + 1);
}

bool
nep_cfg_all_digits(const char *v)
{
	if (*v == '\0')
		return false;
	for (; *v != '\0'; v++)
		if (!isdigit((unsigned char)*v))
			return false;
	return true;
}

uint64_t
nep_cfg_parse_dec(const char *v)
{
	uint64_t x = 0;

	for (; *v != '\0'; v++) {
		unsigned d = (unsigned)(*v - '0');

		if (x > (UINT64_MAX - d) / 10)
			return UINT64_MAX;
		x = x * 10 + d;
	}
	return x;
}

static uint64_t
scalar_uint(struct src *s, yaml_node_t *n, const char *path, uint64_t lo,
	uint64_t hi)
{
	const char *v;
	bool neg = false;
	uint64_t x;

	/* Quoted "5" is a string in YAML; only a plain scalar is a number. */
	if (n->type != YAML_SCALAR_NODE ||
		n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || is_null(n))
		fail(s, n, path, "expected an integer");
	v = (const char *)n->data.scalar.value;
	if (*v == '-' || *v == '+')
		neg = *v++ == '-';
	if (!nep_cfg_all_digits(v))
		fail(s, n, path, "expected an integer");
	x = nep_cfg_parse_dec(v);
	if ((neg && x != 0) || x < lo || x > hi)
		fail(s, n, path, "out of range (%" PRIu64 "..%" PRIu64 ")", lo,
			hi);
	return x;
}

static bool
scalar_bool(struct src *s, yaml_node_t *n, const char *path)
{
	const char *v;

	if (n->type == YAML_SCALAR_NODE &&
		n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		v = (const char *)n->data.scalar.value;
		if (!strcmp(v, "true") || !strcmp(v, "True") ||
			!strcmp(v, "TRUE"))
			return true;
		if (!strcmp(v, "false") || !strcmp(v, "False") ||
			!strcmp(v, "FALSE"))
			return false;
	}
	fail(s, n, path, "expected true or false");
}

/* Index of the value in names[] (NULL-terminated); fails with `expect`. */
static int
scalar_enum(struct src *s, yaml_node_t *n, const char *path,
	const char *const *names, const char *expect)
{
	const char *v;
	int i;

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		fail(s, n, path, "expected %s", expect);
	v = (const char *)n->data.scalar.value;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	fail(s, n, path, "expected %s", expect);
}

/* Items of a list; null counts as an empty list. */
static yaml_node_item_t *
seq_items(struct src *s, yaml_node_t *n, const char *path, unsigned *count)
{
	char ip[KPATH_MAX];
	unsigned i;

	if (is_null(n)) {
		*count = 0;
		return NULL;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		fail(s, n, path, "expected a list");
	*count = (unsigned)(n->data.sequence.items.top -
			    n->data.sequence.items.start);
	for (i = 0; i < *count; i++)
		key_note(s, get_node(s, n->data.sequence.items.start[i]),
			ipath(ip, path, i));
	return n->data.sequence.items.start;
}

/* Fail on the first item beyond max. */
static void
seq_max(struct src *s, yaml_node_item_t *items, unsigned count, unsigned max,
	const char *path, const char *what)
{
	char p[KPATH_MAX];

	if (count > max)
		fail(s, get_node(s, items[max]), ipath(p, path, max),
			"too many %s (max %u)", what, max);
}

/* ---- mappings -------------------------------------------------------- */

/* Checks keys against allowed[] (unknown and duplicate keys fail here). */
/* What the keys of the mapping being opened name, for the message about
 * an unknown one (nep_cfg_map_open_named); NULL: "unknown key". */
static const char *map_unknown_what;

static void
map_open(struct src *s, yaml_node_t *n, const char *path,
	const char *const *allowed, struct map *m)
{
	yaml_node_pair_t *pair;
	char p[KPATH_MAX];
	unsigned i;

	m->s = s;
	m->node = n;
	m->path = path;
	m->n = 0;
	if (is_null(n))
		return;
	if (n->type != YAML_MAPPING_NODE)
		fail(s, n, path, "expected a mapping");
	for (pair = n->data.mapping.pairs.start;
		pair < n->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = get_node(s, pair->key);
		yaml_node_t *v = get_node(s, pair->value);
		const char *key;

		if (k->type != YAML_SCALAR_NODE)
			fail(s, k, path, "expected a string key");
		key = (const char *)k->data.scalar.value;
		kpath(p, path, key);
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL && map_unknown_what != NULL)
			fail(s, k, p, "unknown %s '%s'", map_unknown_what, key);
		if (allowed[i] == NULL)
			fail(s, k, p, "unknown key");
		for (i = 0; i < m->n; i++)
			if (strcmp(m->e[i].key, key) == 0)
				fail(s, k, p,
					"duplicate key (first at line %lu)",
					(unsigned long)m->e[i]
							.k->start_mark.line +
						1);
		if (m->n == MAP_KEYS)
			fail(s, k, p, "too many keys");
		key_note(s, v, p);
		m->e[m->n].key = key;
		m->e[m->n].k = k;
		m->e[m->n].v = v;
		m->n++;
	}
}

static yaml_node_t *
map_get(const struct map *m, const char *key)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].key, key) == 0)
			return m->e[i].v;
	return NULL;
}

static yaml_node_t *
map_req(const struct map *m, const char *key)
{
	yaml_node_t *v = map_get(m, key);

	if (v == NULL)
		fail(m->s, m->node, m->path, "missing required key '%s'", key);
	return v;
}

/* Typed optional getters: return true and store when the key is present. */
static bool
map_uint(const struct map *m, const char *key, uint64_t lo, uint64_t hi,
	uint64_t *out)
{
	yaml_node_t *v = map_get(m, key);
	char p[KPATH_MAX];

	if (v == NULL)
		return false;
	*out = scalar_uint(m->s, v, kpath(p, m->path, key), lo, hi);
	return true;
}

static void
map_u32(const struct map *m, const char *key, uint32_t lo, uint32_t hi,
	uint32_t *out)
{
	uint64_t x;

	if (map_uint(m, key, lo, hi, &x))
		*out = (uint32_t)x;
}

static void
map_u16(const struct map *m, const char *key, uint16_t lo, uint16_t hi,
	uint16_t *out)
{
	uint64_t x;

	if (map_uint(m, key, lo, hi, &x))
		*out = (uint16_t)x;
}

static void
map_bool(const struct map *m, const char *key, bool *out)
{
	yaml_node_t *v = map_get(m, key);
	char p[KPATH_MAX];

	if (v != NULL)
		*out = scalar_bool(m->s, v, kpath(p, m->path, key));
}

static void
map_str(const struct map *m, const char *key, char *dst, size_t size)
{
	yaml_node_t *v = map_get(m, key);
	char p[KPATH_MAX];

	if (v != NULL)
		copy_str(m->s, v, kpath(p, m->path, key), dst, size);
}

/* Open the mapping stored under key (absent or null: empty mapping). */
static void
map_sub(const struct map *parent, const char *key, char *pbuf,
	const char *const *allowed, struct map *m)
{
	yaml_node_t *v = map_get(parent, key);

	kpath(pbuf, parent->path, key);
	if (v == NULL) {
		m->s = parent->s;
		m->node = parent->node;
		m->path = pbuf;
		m->n = 0;
		return;
	}
	map_open(parent->s, v, pbuf, allowed, m);
}

/* ---- value parsers --------------------------------------------------- */

static void
parse_addr(
	struct src *s, yaml_node_t *n, const char *path, struct nep_addr *out)
{
	const char *v = scalar_str(s, n, path);

	if (nep_addr_parse(v, out) < 0)
		fail(s, n, path, "bad address '%s'", v);
}

static void
parse_prefix(
	struct src *s, yaml_node_t *n, const char *path, struct nep_prefix *out)
{
	const char *v = scalar_str(s, n, path);

	switch (nep_prefix_parse(v, out)) {
	case 0:
		return;
	case -ERANGE:
		fail(s, n, path, "bad prefix length in '%s'", v);
	case -EDOM:
		fail(s, n, path, "host bits set in prefix '%s'", v);
	default:
		fail(s, n, path, "bad prefix '%s' (expected ADDR/LEN)", v);
	}
}

/* ADDR/LEN, host bits allowed; returns the text. */
static const char *
parse_ifaddr(
	struct src *s, yaml_node_t *n, const char *path, struct nep_ifaddr *out)
{
	const char *v = scalar_str(s, n, path);

	switch (nep_ifaddr_parse(v, out)) {
	case 0:
		return v;
	case -ERANGE:
		fail(s, n, path, "bad prefix length in '%s'", v);
	default:
		fail(s, n, path, "bad address '%s' (expected ADDR/LEN)", v);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
parse_mac(struct src *s, yaml_node_t *n, const char *path, uint8_t mac[6])
{
	const char *v = scalar_str(s, n, path);
	unsigned i;

	if (strlen(v) != 17)
		fail(s, n, path, "bad MAC address '%s'", v);
	for (i = 0; i < 6; i++) {
		int hi = hexval(v[i * 3]), lo = hexval(v[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && v[i * 3 + 2] != ':'))
			fail(s, n, path, "bad MAC address '%s'", v);
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	/* Group addresses cannot be a station's source or neighbour. */
	if (mac[0] & 1)
		fail(s, n, path, "not a unicast MAC address '%s'", v);
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		fail(s, n, path, "all-zero MAC address");
}

/* Letters, digits, '-', '_' and '.': names are typed on the CLI. */
static void
parse_name(struct src *s, yaml_node_t *n, const char *path, char *dst)
{
	const char *c;

	copy_str(s, n, path, dst, NEP_NAME_MAX);
	for (c = dst; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' &&
			*c != '.')
			fail(s, n, path,
				"bad name '%s' (letters, digits, '-', '_', "
				"'.')",
				dst);
}

static int
port_ref(struct src *s, yaml_node_t *n, const char *path)
{
	const char *v = scalar_str(s, n, path);
	int i = nep_config_port_index(s->ctx->cfg, v);

	if (i < 0)
		fail(s, n, path, "unknown port '%s'", v);
	return i;
}

static void
add_eal_arg(struct src *s, yaml_node_t *n, const char *path)
{
	struct nep_config *cfg = s->ctx->cfg;

	if (cfg->n_eal_args == NEP_MAX_EAL_ARGS)
		fail(s, n, path, "too many EAL arguments (max %u)",
			NEP_MAX_EAL_ARGS);
	copy_str(s, n, path, cfg->eal_args[cfg->n_eal_args],
		sizeof(cfg->eal_args[0]));
	cfg->n_eal_args++;
}

/* ---- loading YAML ---------------------------------------------------- */

static const char *
yaml_err_kind(yaml_error_type_t e)
{
	switch (e) {
	case YAML_MEMORY_ERROR:
		return "out of memory";
	case YAML_READER_ERROR:
		return "bad input";
	default:
		return "syntax error";
	}
}

static void __attribute__((noreturn)) yaml_fail(struct src *s, yaml_parser_t *p)
{
	unsigned long line = p->problem_mark.line + 1;
	unsigned long col = p->problem_mark.column + 1;
	char msg[300];

	/* Reader errors (bad UTF-8) only carry a byte offset. */
	if (p->error == YAML_READER_ERROR) {
		size_t i;

		line = col = 1;
		for (i = 0; i < p->problem_offset && i < s->len; i++) {
			if (s->buf[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
	}
	if (p->context != NULL)
		snprintf(msg, sizeof(msg), "%s (%s)",
			p->problem ? p->problem : yaml_err_kind(p->error),
			p->context);
	else
		snprintf(msg, sizeof(msg), "%s",
			p->problem ? p->problem : yaml_err_kind(p->error));
	yaml_parser_delete(p);
	fail_at(s, line, col, "(syntax)", "%s", msg);
}

/*
 * Limits a configuration file is held to before libyaml builds its tree
 * (a 100 000-deep sequence takes libyaml tens of seconds to load; the
 * control lcore must never wait on that in a reload): its size, checked
 * when it is read, and its nesting, checked here with the event parser,
 * which stops at the first node too deep.
 */
#define CFG_MAX_DEPTH 64

static void
check_depth(struct src *s)
{
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned depth = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		fail_at(s, 1, 1, "(syntax)", "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)s->buf, s->len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev))
			break;	/* the loader reports the syntax error */
		if (ev.type == YAML_SEQUENCE_START_EVENT ||
			ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > CFG_MAX_DEPTH) {
				unsigned long line = ev.start_mark.line + 1;
				unsigned long col = ev.start_mark.column + 1;

				yaml_event_delete(&ev);
				yaml_parser_delete(&p);
				fail_at(s, line, col, "(syntax)", "nested more "
					"than %u levels deep", CFG_MAX_DEPTH);
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
			ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

/* A NUL inside a scalar (YAML's "\0" escape) would be cut silently by
 * every C string use after: refused at its position. */
static void
check_nul(struct src *s)
{
	for (yaml_node_t *n = s->doc.nodes.start; n < s->doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE &&
			memchr(n->data.scalar.value, 0, n->data.scalar.length) !=
				NULL)
			fail_at(s, n->start_mark.line + 1,
				n->start_mark.column + 1, "(syntax)",
				"a NUL byte inside a string");
}

/* Parse s->buf into s->doc; exactly one document is allowed. */
static void
src_parse(struct src *s)
{
	yaml_parser_t p;
	yaml_document_t extra;
	yaml_node_t *root;

	check_depth(s);
	if (!yaml_parser_initialize(&p))
		fail_at(s, 1, 1, "(syntax)", "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)s->buf, s->len);
	if (!yaml_parser_load(&p, &s->doc))
		yaml_fail(s, &p);
	s->loaded = true;
	if (yaml_document_get_root_node(&s->doc) == NULL)
		goto out;
	check_nul(s);
	if (!yaml_parser_load(&p, &extra))
		yaml_fail(s, &p);
	root = yaml_document_get_root_node(&extra);
	if (root != NULL) {
		unsigned long line = root->start_mark.line + 1;
		unsigned long col = root->start_mark.column + 1;

		yaml_document_delete(&extra);
		yaml_parser_delete(&p);
		fail_at(s, line, col, "(syntax)",
			"only one YAML document is allowed");
	}
	yaml_document_delete(&extra);
out:
	yaml_parser_delete(&p);
}

static void
src_release(struct src *s)
{
	if (s->loaded)
		yaml_document_delete(&s->doc);
	s->loaded = false;
	free(s->buf);
	s->buf = NULL;
}

/* Whole file into memory, NUL-terminated. Returns 0 or an errno. */
static int
read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *b, *nb;
	int rc = 0;

	if (f == NULL)
		return errno;
	b = malloc(cap);
	while (b != NULL) {
		n += fread(b + n, 1, cap - n - 1, f);
		if (ferror(f)) {
			rc = EIO;
			break;
		}
		if (n > NEP_CONFIG_MAX_BYTES) {
			rc = EFBIG;	/* "File too large": read no more */
			break;
		}
		if (feof(f))
			break;
		if (cap - n - 1 == 0) {
			nb = realloc(b, cap * 2);
			if (nb == NULL) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (b == NULL)
		return ENOMEM;
	if (rc != 0) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* ---- driver presets -------------------------------------------------- */

static const char *const preset_keys[] = {
	"driver",
	"description",
	"rx_queues",
	"rx_desc",
	"tx_desc",
	"eal_args",
	"devargs_example",
	NULL,
};

/* Port ranges shared by ports[] and presets. */
#define RXQ_MIN 1
#define RXQ_MAX 16
#define DESC_MIN 64
#define DESC_MAX 16384

static void
preset_parse(struct src *ps, const char *name, struct preset *pr)
{
	yaml_node_t *root, *v;
	yaml_node_item_t *items;
	char drv[NEP_NAME_MAX];
	char desc[256], ex[NEP_DEVARGS_MAX];
	char p[KPATH_MAX];
	struct map m;
	unsigned i, n;

	src_parse(ps);
	root = yaml_document_get_root_node(&ps->doc);
	if (root == NULL)
		fail_at(ps, 1, 1, "", "missing required key 'driver'");
	map_open(ps, root, "", preset_keys, &m);
	v = map_req(&m, "driver");
	copy_str(ps, v, "driver", drv, sizeof(drv));
	if (strcmp(drv, name) != 0)
		fail(ps, v, "driver",
			"driver '%s' does not match the file name '%s.yaml'",
			drv, name);
	map_str(&m, "description", desc, sizeof(desc));
	map_str(&m, "devargs_example", ex, sizeof(ex));
	pr->has_rxq = map_get(&m, "rx_queues") != NULL;
	pr->has_rxd = map_get(&m, "rx_desc") != NULL;
	pr->has_txd = map_get(&m, "tx_desc") != NULL;
	map_u16(&m, "rx_queues", RXQ_MIN, RXQ_MAX, &pr->rx_queues);
	map_u16(&m, "rx_desc", DESC_MIN, DESC_MAX, &pr->rx_desc);
	map_u16(&m, "tx_desc", DESC_MIN, DESC_MAX, &pr->tx_desc);
	v = map_get(&m, "eal_args");
	if (v != NULL) {
		items = seq_items(ps, v, "eal_args", &n);
		for (i = 0; i < n; i++)
			add_eal_arg(ps, get_node(ps, items[i]),
				ipath(p, "eal_args", i));
	}
}

/* Load (once) the preset named by the port's `driver` value node. */
static const struct preset *
preset_get(struct src *s, yaml_node_t *n, const char *path, const char *name)
{
	struct ctx *c = s->ctx;
	struct preset *pr;
	const char *ch;
	unsigned i;
	int rc;

	for (ch = name; *ch != '\0'; ch++)
		if (!isalnum((unsigned char)*ch) && *ch != '_' && *ch != '-')
			fail(s, n, path, "bad driver name '%s'", name);
	for (i = 0; i < c->n_presets; i++)
		if (strcmp(c->presets[i].name, name) == 0)
			return &c->presets[i];
	if (c->n_presets == MAX_PRESETS)
		fail(s, n, path, "too many driver presets");
	snprintf(c->preset_path, sizeof(c->preset_path), "%s/%s.yaml",
		c->drivers_dir, name);
	rc = read_file(c->preset_path, &c->preset.buf, &c->preset.len);
	if (rc == ENOENT)
		fail(s, n, path, "no preset drivers-config/%s.yaml", name);
	if (rc != 0)
		fail(s, n, path, "cannot read preset %s: %s", c->preset_path,
			strerror(rc));
	c->preset.ctx = c;
	c->preset.file = c->preset_path;
	pr = &c->presets[c->n_presets];
	memset(pr, 0, sizeof(*pr));
	snprintf(pr->name, sizeof(pr->name), "%s", name);
	preset_parse(&c->preset, name, pr);
	src_release(&c->preset);
	c->n_presets++;
	return pr;
}

/* ---- sections -------------------------------------------------------- */

static const char *const eal_keys[] = {
	"lcores",
	"memory_mb",
	"no_huge",
	"in_memory",
	"file_prefix",
	"args",
	NULL,
};

static void
parse_eal(const struct map *top)
{
	struct nep_config *cfg = top->s->ctx->cfg;
	struct src *s = top->s;
	yaml_node_item_t *items;
	char mp[KPATH_MAX], p[KPATH_MAX];
	yaml_node_t *v;
	struct map m;
	unsigned i, n;

	map_sub(top, "eal", mp, eal_keys, &m);
	v = map_get(&m, "lcores");
	if (v != NULL) {
		kpath(p, mp, "lcores");
		copy_str(s, v, p, cfg->eal_lcores, sizeof(cfg->eal_lcores));
		if (strspn(cfg->eal_lcores, "0123456789,-@()") !=
			strlen(cfg->eal_lcores))
			fail(s, v, p, "expected an lcore list like \"0-3,5\" "
				"or a map to CPUs like \"0@0,1@1,2@1\"");
	}
	map_u32(&m, "memory_mb", 0, 1048576, &cfg->eal_memory_mb);
	map_bool(&m, "no_huge", &cfg->eal_no_huge);
	map_bool(&m, "in_memory", &cfg->eal_in_memory);
	map_str(&m, "file_prefix", cfg->eal_file_prefix,
		sizeof(cfg->eal_file_prefix));
	v = map_get(&m, "args");
	if (v != NULL) {
		kpath(p, mp, "args");
		items = seq_items(s, v, p, &n);
		for (i = 0; i < n; i++) {
			char ip[KPATH_MAX];

			add_eal_arg(s, get_node(s, items[i]), ipath(ip, p, i));
		}
	}
}

static const char *const mgmt_keys[] = {"socket", "telemetry", "read_group",
	NULL};
static const char *const log_keys[] = {"level", NULL};
const char *const nep_log_levels[NEP_N_LOG_LEVELS + 1] = {
	"emerg",
	"alert",
	"crit",
	"err",
	"warning",
	"notice",
	"info",
	"debug",
	NULL,
};
static const char *const dp_keys[] = {
	"burst",
	"drain_us",
	"mbufs",
	"punt_ring_size",
	"fast_path",
	"idle",
	"idle_max_us",
	"punt_policer",
	NULL,
};
static const char *const idle_modes[] = {"poll", "adaptive", NULL};
static const char *const policer_keys[] = {"nd_pps", "probe_pps", "icmp_pps",
	"resolve_pps", "other_pps", "error_pps", "burst", NULL};
static const char *const icmp_keys[] = {"rate_pps", "burst", NULL};

static void
parse_misc(const struct map *top)
{
	struct nep_config *cfg = top->s->ctx->cfg;
	struct src *s = top->s;
	char mp[KPATH_MAX], p[KPATH_MAX];
	yaml_node_t *v;
	struct map m;
	int i;

	map_sub(top, "management", mp, mgmt_keys, &m);
	v = map_get(&m, "socket");
	if (v != NULL)
		/* sun_path is far shorter than a file path. */
		copy_str(s, v, kpath(p, mp, "socket"), cfg->mgmt_socket,
			sizeof(((struct sockaddr_un *)0)->sun_path));
	map_bool(&m, "telemetry", &cfg->telemetry);
	v = map_get(&m, "read_group");
	if (v != NULL) {
		const struct group *gr;

		copy_str(s, v, kpath(p, mp, "read_group"), cfg->mgmt_read_group,
			sizeof(cfg->mgmt_read_group));
		gr = getgrnam(cfg->mgmt_read_group);
		if (gr == NULL)
			fail(s, v, p, "unknown group '%s'", cfg->mgmt_read_group);
		cfg->mgmt_read_gid = (unsigned)gr->gr_gid;
	}

	map_sub(top, "log", mp, log_keys, &m);
	v = map_get(&m, "level");
	if (v != NULL) {
		char expect[128];
		size_t len;

		/* From the table, so the message never goes stale. */
		len = (size_t)snprintf(expect, sizeof(expect), "one of");
		for (i = 0; nep_log_levels[i] != NULL; i++)
			len += (size_t)snprintf(expect + len,
				sizeof(expect) - len, "%s %s", i ? "," : "",
				nep_log_levels[i]);
		i = scalar_enum(
			s, v, kpath(p, mp, "level"), nep_log_levels, expect);
		snprintf(cfg->log_level, sizeof(cfg->log_level), "%s",
			nep_log_levels[i]);
	}

	map_sub(top, "dataplane", mp, dp_keys, &m);
	map_u32(&m, "burst", 1, 64, &cfg->burst);
	map_u32(&m, "drain_us", 1, 10000, &cfg->drain_us);
	map_u32(&m, "mbufs", 1023, 16777215, &cfg->mbufs);
	map_u32(&m, "punt_ring_size", 64, 1048576, &cfg->punt_ring_size);
	if (cfg->punt_ring_size & (cfg->punt_ring_size - 1))
		fail(s, map_get(&m, "punt_ring_size"),
			kpath(p, mp, "punt_ring_size"), "not a power of two");
	map_bool(&m, "fast_path", &cfg->fast_path);
	v = map_get(&m, "idle");
	if (v != NULL)
		cfg->idle_adaptive = scalar_enum(s, v, kpath(p, mp, "idle"),
			idle_modes, "poll or adaptive") == 1;
	map_u32(&m, "idle_max_us", 1, 10000, &cfg->idle_max_us);

	{
		/* per worker, packets per second into the control lcore by
		 * class (0: no limit) */
		struct map pm;
		char pp[KPATH_MAX];
		static const char *const cls[NEP_PUNT_CLASSES] = { "nd_pps",
			"probe_pps", "icmp_pps", "resolve_pps", "other_pps",
			"error_pps" };

		map_sub(&m, "punt_policer", pp, policer_keys, &pm);
		for (i = 0; i < NEP_PUNT_CLASSES; i++)
			map_u32(&pm, cls[i], 0, 100000000,
				&cfg->punt_pps[i]);
		map_u32(&pm, "burst", 1, 1000000, &cfg->punt_burst);
	}

	map_sub(top, "icmp", mp, icmp_keys, &m);
	map_u32(&m, "rate_pps", 1, 1000000, &cfg->icmp_rate_pps);
	map_u32(&m, "burst", 1, 1000000, &cfg->icmp_burst);
}

static const char *const port_keys[] = {
	"name",
	"role",
	"driver",
	"devargs",
	"mac",
	"mtu",
	"rx_queues",
	"rx_desc",
	"tx_desc",
	"addresses",
	"parent",
	"vlan",
	NULL,
};
static const char *const port_roles[] = {"lan", "wan", NULL};

/* Keys a sub-interface cannot have: it is no device of its own. */
static const char *const subif_forbidden[] = {
	"driver",
	"devargs",
	"mac",
	"rx_queues",
	"rx_desc",
	"tx_desc",
	NULL,
};

/* The key node of key in m (for errors about the key itself). */
static yaml_node_t *
map_key(const struct map *m, const char *key)
{
	for (unsigned i = 0; i < m->n; i++)
		if (strcmp(m->e[i].key, key) == 0)
			return m->e[i].k;
	return NULL;
}

/*
 * PCI address "DDDD:BB:DD.F" or "BB:DD.F", optionally followed by
 * ",key=value" device arguments. Writes the canonical long form.
 */
static bool
pci_addr(const char *v, char canon[16])
{
	static const char long_fmt[] = "hhhh:hh:hh.h";
	const char *fmt = long_fmt;
	size_t i, n;

	n = strcspn(v, ",");
	if (n == 7)
		fmt = long_fmt + 5;
	else if (n != 12)
		return false;
	for (i = 0; i < n; i++) {
		if (fmt[i] == 'h' ? !isxdigit((unsigned char)v[i])
				  : v[i] != fmt[i])
			return false;
	}
	/* The device number is 5 bits and the function 3. */
	if (hexval(v[n - 4]) > 1 || hexval(v[n - 1]) > 7)
		return false;
	snprintf(canon, 16, "%s%.*s", n == 7 ? "0000:" : "", (int)n, v);
	for (i = 0; canon[i] != '\0'; i++)
		canon[i] = (char)tolower((unsigned char)canon[i]);
	return true;
}

/* The device part of devargs, to catch two ports on one device. */
static void
device_id(const struct nep_port_conf *pc, char *out, size_t size)
{
	char canon[16];

	if (pc->is_pci && pci_addr(pc->devargs, canon))
		snprintf(out, size, "%s", canon);
	else
		snprintf(out, size, "%.*s", (int)strcspn(pc->devargs, ","),
			pc->devargs);
}

static void
parse_port(struct src *s, yaml_node_t *n, const char *path, unsigned idx)
{
	struct nep_config *cfg = s->ctx->cfg;
	struct nep_port_conf *pc = &cfg->ports[idx];
	char p[KPATH_MAX], ip[KPATH_MAX];
	char dev[NEP_DEVARGS_MAX], odev[NEP_DEVARGS_MAX], canon[16];
	const struct preset *pr;
	yaml_node_item_t *items;
	yaml_node_t *v;
	struct map m;
	unsigned i, j, na;

	map_open(s, n, path, port_keys, &m);
	pc->mtu = 1500;
	pc->rx_queues = 1;
	pc->rx_desc = 1024;
	pc->tx_desc = 1024;
	pc->parent = -1;
	pc->src_index = idx;

	v = map_req(&m, "name");
	parse_name(s, v, kpath(p, path, "name"), pc->name);
	for (i = 0; i < idx; i++)
		if (strcmp(cfg->ports[i].name, pc->name) == 0)
			fail(s, v, p, "duplicate port name '%s'", pc->name);

	v = map_req(&m, "role");
	pc->role = (enum nep_port_role)scalar_enum(
		s, v, kpath(p, path, "role"), port_roles, "lan or wan");

	v = map_get(&m, "parent");
	if (v != NULL) {
		/* A VLAN sub-interface: its parent is checked once every
		 * port is known (parse_subifs). */
		for (i = 0; subif_forbidden[i] != NULL; i++) {
			yaml_node_t *k = map_key(&m, subif_forbidden[i]);

			if (k != NULL)
				fail(s, k, kpath(p, path, subif_forbidden[i]),
					"not allowed on a VLAN sub-interface "
					"(it uses its parent's device%s)",
					strcmp(subif_forbidden[i], "mac") == 0 ?
						" and MAC" : "");
		}
		s->ctx->parent_node[idx] = v;
		scalar_str(s, v, kpath(p, path, "parent"));
		v = map_get(&m, "vlan");
		if (v == NULL)
			fail(s, m.node, path, "missing required key 'vlan' "
				"(a sub-interface has a parent and a vlan)");
		s->ctx->vlan_node[idx] = v;
		pc->vlan = (uint16_t)scalar_uint(s, v, kpath(p, path, "vlan"),
			1, 4094);
		pc->parent = 0; /* resolved by parse_subifs */
		pc->rx_queues = pc->rx_desc = pc->tx_desc = 0;
		pc->mtu = 0;	/* the parent's, unless given */
		s->ctx->mtu_node[idx] = map_get(&m, "mtu");
		map_u16(&m, "mtu", 1280, 9000, &pc->mtu);
		goto addresses;
	}
	v = map_get(&m, "vlan");
	if (v != NULL)
		fail(s, map_key(&m, "vlan"), kpath(p, path, "vlan"),
			"a VLAN sub-interface needs 'parent' (the physical "
			"port it is on)");

	/* The preset first, so explicit port values override it. */
	v = map_get(&m, "driver");
	if (v != NULL) {
		kpath(p, path, "driver");
		copy_str(s, v, p, pc->driver, sizeof(pc->driver));
		pr = preset_get(s, v, p, pc->driver);
		if (pr->has_rxq)
			pc->rx_queues = pr->rx_queues;
		if (pr->has_rxd)
			pc->rx_desc = pr->rx_desc;
		if (pr->has_txd)
			pc->tx_desc = pr->tx_desc;
	}

	v = map_req(&m, "devargs");
	kpath(p, path, "devargs");
	copy_str(s, v, p, pc->devargs, sizeof(pc->devargs));
	pc->is_pci = pci_addr(pc->devargs, canon);
	device_id(pc, dev, sizeof(dev));
	for (i = 0; i < idx; i++) {
		if (cfg->ports[i].parent >= 0)
			continue;
		device_id(&cfg->ports[i], odev, sizeof(odev));
		if (strcmp(dev, odev) == 0)
			fail(s, v, p, "device '%s' already used by port '%s'",
				dev, cfg->ports[i].name);
	}

	v = map_get(&m, "mac");
	if (v != NULL) {
		parse_mac(s, v, kpath(p, path, "mac"), pc->mac);
		pc->mac_set = true;
	}
	map_u16(&m, "mtu", 1280, 9000, &pc->mtu);
	map_u16(&m, "rx_queues", RXQ_MIN, RXQ_MAX, &pc->rx_queues);
	map_u16(&m, "rx_desc", DESC_MIN, DESC_MAX, &pc->rx_desc);
	map_u16(&m, "tx_desc", DESC_MIN, DESC_MAX, &pc->tx_desc);

addresses:
	v = map_get(&m, "addresses");
	if (v == NULL)
		return;
	kpath(p, path, "addresses");
	items = seq_items(s, v, p, &na);
	seq_max(s, items, na, NEP_MAX_ADDRS, p, "addresses");
	for (i = 0; i < na; i++) {
		struct nep_ifaddr *a = &pc->addrs[i];
		const char *str;

		v = get_node(s, items[i]);
		ipath(ip, p, i);
		str = parse_ifaddr(s, v, ip, a);
		for (j = 0; j < i; j++)
			if (memcmp(&pc->addrs[j].addr, &a->addr,
				    sizeof(a->addr)) == 0)
				fail(s, v, ip, "duplicate address '%s'", str);
		pc->n_addrs = i + 1;
	}
}

/*
 * After every port: each sub-interface's parent must be a physical port,
 * (parent, vlan) unique, the MTU at most the parent's (its default).
 * Then ports[] is reordered, physical ports first (the appliance gives
 * sub-interfaces the indices after them); key paths keep the file's
 * index (src_index).
 */
static void
parse_subifs(struct ctx *c)
{
	struct nep_config *cfg = c->cfg;
	struct src *s = &c->main;
	struct nep_port_conf *tmp;
	char p[KPATH_MAX], pp[KPATH_MAX];
	int map[NEP_MAX_PORTS];
	unsigned i, j, n = 0;

	for (i = 0; i < cfg->n_ports; i++) {
		struct nep_port_conf *pc = &cfg->ports[i];
		const struct nep_port_conf *par;
		const char *name;
		int k;

		if (c->parent_node[i] == NULL)
			continue;
		ipath(pp, "ports", i);
		kpath(p, pp, "parent");
		name = scalar_str(s, c->parent_node[i], p);
		k = nep_config_port_index(cfg, name);
		if (k < 0)
			fail(s, c->parent_node[i], p, "unknown port '%s'",
				name);
		if ((unsigned)k == i)
			fail(s, c->parent_node[i], p,
				"a port cannot be its own parent");
		par = &cfg->ports[k];
		if (c->parent_node[k] != NULL)
			fail(s, c->parent_node[i], p,
				"port '%s' is a VLAN sub-interface, not a "
				"physical port", name);
		for (j = 0; j < i; j++)
			if (c->parent_node[j] != NULL &&
				cfg->ports[j].parent == k &&
				cfg->ports[j].vlan == pc->vlan)
				fail(s, c->vlan_node[i], kpath(p, pp, "vlan"),
					"VLAN %u of '%s' is already port '%s'",
					pc->vlan, name, cfg->ports[j].name);
		pc->parent = k;
		if (c->mtu_node[i] == NULL)
			pc->mtu = par->mtu;
		else if (pc->mtu > par->mtu)
			fail(s, c->mtu_node[i], kpath(p, pp, "mtu"),
				"larger than the MTU of its parent '%s' (%u)",
				name, par->mtu);
	}
	/* Physical ports first, then sub-interfaces, each in file order. */
	for (i = 0; i < cfg->n_ports; i++)
		if (c->parent_node[i] == NULL)
			map[i] = (int)n++;
	for (i = 0; i < cfg->n_ports; i++)
		if (c->parent_node[i] != NULL)
			map[i] = (int)n++;
	if (n == 0)
		return;
	tmp = malloc(sizeof(*tmp) * cfg->n_ports);
	if (tmp == NULL)
		fail_at(s, 1, 1, "ports", "out of memory");
	for (i = 0; i < cfg->n_ports; i++) {
		tmp[map[i]] = cfg->ports[i];
		if (tmp[map[i]].parent >= 0)
			tmp[map[i]].parent = map[tmp[map[i]].parent];
	}
	memcpy(cfg->ports, tmp, sizeof(*tmp) * cfg->n_ports);
	free(tmp);
}

static const char *const neigh_keys[] = {
	"reachable_ms",
	"retrans_ms",
	"max_probes",
	"queue_len",
	"table_size",
	"static",
	NULL,
};
static const char *const static_keys[] = {"port", "address", "mac", NULL};

static void
parse_neighbors(const struct map *top)
{
	struct nep_config *cfg = top->s->ctx->cfg;
	struct src *s = top->s;
	char mp[KPATH_MAX], p[KPATH_MAX], ip[KPATH_MAX], vp[KPATH_MAX];
	yaml_node_item_t *items;
	yaml_node_t *v;
	struct map m, e;
	unsigned i, j, n;

	map_sub(top, "neighbors", mp, neigh_keys, &m);
	map_u32(&m, "reachable_ms", 100, 3600000, &cfg->neigh_reachable_ms);
	map_u32(&m, "retrans_ms", 10, 60000, &cfg->neigh_retrans_ms);
	map_u32(&m, "max_probes", 1, 100, &cfg->neigh_max_probes);
	map_u32(&m, "queue_len", 1, 64, &cfg->neigh_queue_len);
	map_u32(&m, "table_size", 64, 16777216, &cfg->neigh_table_size);

	v = map_get(&m, "static");
	if (v == NULL)
		return;
	kpath(p, mp, "static");
	items = seq_items(s, v, p, &n);
	seq_max(s, items, n, NEP_MAX_STATIC_NEIGH, p, "static neighbours");
	for (i = 0; i < n; i++) {
		struct nep_static_neigh_conf *sn = &cfg->static_neigh[i];

		ipath(ip, p, i);
		map_open(s, get_node(s, items[i]), ip, static_keys, &e);
		sn->port =
			port_ref(s, map_req(&e, "port"), kpath(vp, ip, "port"));
		v = map_req(&e, "address");
		parse_addr(s, v, kpath(vp, ip, "address"), &sn->addr);
		for (j = 0; j < i; j++)
			if (cfg->static_neigh[j].port == sn->port &&
				memcmp(&cfg->static_neigh[j].addr, &sn->addr,
					sizeof(sn->addr)) == 0)
				fail(s, v, vp,
					"duplicate static neighbour (see "
					"%s[%u])",
					p, j);
		parse_mac(s, map_req(&e, "mac"), kpath(vp, ip, "mac"), sn->mac);
		cfg->n_static_neigh = i + 1;
	}
}

static const char *const route_keys[] = {"prefix", "via", "port", NULL};

static bool
is_link_local6(const struct nep_addr *a)
{
	return a->family == AF_INET6 && a->a[0] == 0xfe &&
	       (a->a[1] & 0xc0) == 0x80;
}

/* Is a on a connected prefix of a port of table t? */
static bool
onlink_in_table(const struct nep_config *cfg, unsigned t,
	const struct nep_addr *a)
{
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct nep_port_conf *pc = &cfg->ports[i];

		if (pc->vrf != t)
			continue;
		for (unsigned j = 0; j < pc->n_addrs; j++) {
			struct nep_prefix pf;

			pf.addr = pc->addrs[j].addr;
			pf.len = pc->addrs[j].len;
			if (pf.addr.family == a->family &&
				nep_prefix_contains(&pf, a))
				return true;
		}
	}
	return false;
}

/* The routes of one table (list v at path), appended to cfg->routes. */
static void
parse_route_list(struct src *s, yaml_node_t *v, const char *path, unsigned t)
{
	struct nep_config *cfg = s->ctx->cfg;
	const char *tname = cfg->vrfs[t].name;
	char p[KPATH_MAX], vp[KPATH_MAX];
	unsigned i, j, n, first = cfg->n_routes;
	yaml_node_item_t *items;
	yaml_node_t *via;
	struct map m;

	items = seq_items(s, v, path, &n);
	if (n > NEP_MAX_ROUTES - first)
		fail(s, get_node(s, items[NEP_MAX_ROUTES - first]),
			ipath(p, path, NEP_MAX_ROUTES - first),
			"too many routes (max %u in all tables)",
			NEP_MAX_ROUTES);
	for (i = 0; i < n; i++) {
		struct nep_route_conf *r = &cfg->routes[first + i];

		ipath(p, path, i);
		map_open(s, get_node(s, items[i]), p, route_keys, &m);
		r->port = -1;
		r->table = (uint8_t)t;
		v = map_req(&m, "prefix");
		parse_prefix(s, v, kpath(vp, p, "prefix"), &r->prefix);
		for (j = 0; j < i; j++)
			if (memcmp(&cfg->routes[first + j].prefix, &r->prefix,
				    sizeof(r->prefix)) == 0)
				fail(s, v, vp, "duplicate route (see %s[%u])",
					path, j);
		via = map_get(&m, "via");
		if (via != NULL) {
			parse_addr(s, via, kpath(vp, p, "via"), &r->via);
			if (r->via.family != r->prefix.addr.family)
				fail(s, via, vp,
					"address family of via does not match "
					"the prefix");
		}
		v = map_get(&m, "port");
		if (v != NULL) {
			r->port = port_ref(s, v, kpath(vp, p, "port"));
			if (cfg->ports[r->port].vrf != t)
				fail(s, v, vp,
					"port '%s' is in vrf '%s', not in "
					"'%s'",
					cfg->ports[r->port].name,
					cfg->vrfs[cfg->ports[r->port].vrf].name,
					tname);
		} else if (via == NULL) {
			fail(s, m.node, p,
				"missing required key 'port' (route without "
				"'via')");
		} else if (is_link_local6(&r->via)) {
			fail(s, via, kpath(vp, p, "via"),
				"a link-local via needs 'port'");
		} else if (t != 0 && !onlink_in_table(cfg, t, &r->via)) {
			/* (The main table's gateways are resolved when
			 * its FIB is built, as they always were.) */
			char a[64];

			fail(s, via, kpath(vp, p, "via"),
				"gateway %s is not on a connected prefix of "
				"vrf '%s'",
				nep_addr_str(&r->via, a, sizeof(a)), tname);
		}
		cfg->n_routes = first + i + 1;
		cfg->vrfs[t].n_routes++;
	}
}

/*
 * The default routes learnt (the ISP's RA router, the DHCPv4 gateway),
 * for each family the file gives none for in the main table.
 */
static void
add_learnt_routes(struct nep_config *cfg)
{
	static const int fams[2] = { AF_INET6, AF_INET };

	if (learnt_src == NULL || learnt_src->default_route == NULL)
		return;
	for (unsigned f = 0; f < 2; f++) {
		struct nep_route_conf *r;
		char port[NEP_NAME_MAX];
		struct nep_addr via;
		bool have = false;
		int pi = -1;

		for (unsigned i = 0; i < cfg->n_routes; i++)
			have |= cfg->routes[i].table == 0 &&
				cfg->routes[i].prefix.len == 0 &&
				cfg->routes[i].prefix.addr.family == fams[f];
		if (have || cfg->n_routes >= NEP_MAX_ROUTES ||
			!learnt_src->default_route(learnt_src->arg, fams[f],
				&via, port))
			continue;
		for (unsigned i = 0; i < cfg->n_ports; i++)
			if (strcmp(cfg->ports[i].name, port) == 0)
				pi = (int)i;
		if (pi < 0 || cfg->ports[pi].vrf != 0)
			continue;
		r = &cfg->routes[cfg->n_routes++];
		memset(r, 0, sizeof(*r));
		r->prefix.addr.family = (uint8_t)fams[f];
		r->via = via;
		r->port = pi;
		cfg->vrfs[0].n_routes++;
	}
}

static void
parse_routes(const struct map *top)
{
	yaml_node_t *v = map_get(top, "routes");

	if (v != NULL)
		parse_route_list(top->s, v, "routes", 0);
	add_learnt_routes(top->s->ctx->cfg);
}

static const char *const vrf_keys[] = {
	"name",
	"fib",
	"interfaces",
	"routes",
	NULL,
};
static const char *const vrf_fibs[] = {"fast", "compact", NULL};

/*
 * vrfs: names and interfaces first (every table's membership is known
 * before any route names a port), routes after the top-level ones.
 */
static void
parse_vrfs(const struct map *top, bool routes)
{
	struct nep_config *cfg = top->s->ctx->cfg;
	struct src *s = top->s;
	char p[KPATH_MAX], vp[KPATH_MAX], ip[KPATH_MAX];
	yaml_node_item_t *items, *ifs;
	const char *path = "vrfs";
	yaml_node_t *v;
	struct map m;
	unsigned i, j, n, ni;

	v = map_get(top, "vrfs");
	if (v == NULL)
		return;
	items = seq_items(s, v, path, &n);
	seq_max(s, items, n, NEP_MAX_VRFS - 1, path,
		"VRFs besides 'default'");
	for (i = 0; i < n; i++) {
		unsigned t = i + 1;
		struct nep_vrf_conf *vc = &cfg->vrfs[t];

		ipath(p, path, i);
		map_open(s, get_node(s, items[i]), p, vrf_keys, &m);
		if (routes) {
			v = map_get(&m, "routes");
			if (v != NULL)
				parse_route_list(s, v, kpath(vp, p, "routes"),
					t);
			continue;
		}
		v = map_req(&m, "name");
		parse_name(s, v, kpath(vp, p, "name"), vc->name);
		if (strcmp(vc->name, "default") == 0)
			fail(s, v, vp, "'default' is the main table (the "
				"top-level routes and every port no VRF "
				"lists): it is implicit");
		for (j = 1; j < t; j++)
			if (strcmp(cfg->vrfs[j].name, vc->name) == 0)
				fail(s, v, vp, "duplicate vrf name '%s'",
					vc->name);
		v = map_get(&m, "fib");
		if (v != NULL)
			vc->compact = scalar_enum(s, v, kpath(vp, p, "fib"),
				vrf_fibs, "fast or compact") == 1;
		cfg->n_vrfs = t + 1;
		v = map_get(&m, "interfaces");
		if (v == NULL)
			continue;
		kpath(vp, p, "interfaces");
		ifs = seq_items(s, v, vp, &ni);
		for (j = 0; j < ni; j++) {
			yaml_node_t *in = get_node(s, ifs[j]);
			int k = port_ref(s, in, ipath(ip, vp, j));

			if (cfg->ports[k].vrf != 0)
				fail(s, in, ip, "port '%s' is already in vrf "
					"'%s'", cfg->ports[k].name,
					cfg->vrfs[cfg->ports[k].vrf].name);
			cfg->ports[k].vrf = (uint8_t)t;
			cfg->vrfs[0].n_ports--;
			vc->n_ports++;
		}
	}
}

/* ---- the section API (nep_config_section.h) -------------------------- */

/*
 * A registered section sees the same helpers as the core's sections: a
 * struct nep_cfg_node is a yaml_node_t of the main file, a struct
 * nep_cfg_map wraps a struct map with its own copy of the path.
 */
struct nep_cfg_map {
	struct map m;
	struct nep_cfg *c;
	struct nep_cfg_map *next;
	char path[KPATH_MAX];
};

#define YN(n) ((yaml_node_t *)(n))
#define CN(n) ((const struct nep_cfg_node *)(n))

/* NULL: the top of the document (a section that is absent). */
static yaml_node_t *
sec_node(struct nep_cfg *c, const struct nep_cfg_node *n)
{
	return n != NULL ? YN(n) : yaml_document_get_root_node(&c->s->doc);
}

const struct nep_config *
nep_cfg_config(const struct nep_cfg *c)
{
	return c->s->ctx->cfg;
}

const char *
nep_cfg_path_key(char buf[NEP_CFG_PATH_MAX], const char *parent,
	const char *key)
{
	return kpath(buf, parent, key);
}

const char *
nep_cfg_path_index(char buf[NEP_CFG_PATH_MAX], const char *parent, unsigned i)
{
	return ipath(buf, parent, i);
}

void
nep_cfg_fail(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path,
	const char *fmt, ...)
{
	yaml_node_t *y = sec_node(c, n);
	va_list ap;

	va_start(ap, fmt);
	vset_err(c->s, y->start_mark.line + 1, y->start_mark.column + 1, path,
		fmt, ap);
	va_end(ap);
	longjmp(c->s->ctx->jb, 1);
}

static struct nep_cfg_map *
sec_map_new(struct nep_cfg *c, const struct nep_cfg_node *at, const char *path)
{
	struct nep_cfg_map *w = calloc(1, sizeof(*w));

	if (w == NULL)
		nep_cfg_fail(c, at, path, "out of memory");
	w->c = c;
	w->next = c->maps;
	c->maps = w;
	snprintf(w->path, sizeof(w->path), "%s", path);
	return w;
}

const struct nep_cfg_map *
nep_cfg_map_open(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, const char *const *allowed)
{
	struct nep_cfg_map *w = sec_map_new(c, n, path);

	if (n == NULL) {
		w->m.s = c->s;
		w->m.node = sec_node(c, NULL);
		w->m.path = w->path;
		w->m.n = 0;
		return w;
	}
	map_open(c->s, YN(n), w->path, allowed, &w->m);
	return w;
}

const struct nep_cfg_map *
nep_cfg_map_open_named(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, const char *const *allowed, const char *what)
{
	const struct nep_cfg_map *m;

	map_unknown_what = what;
	m = nep_cfg_map_open(c, n, path, allowed);
	map_unknown_what = NULL;
	return m;
}

const struct nep_cfg_map *
nep_cfg_map_sub(const struct nep_cfg_map *parent, const char *key,
	const char *const *allowed)
{
	struct nep_cfg_map *w = sec_map_new(parent->c, CN(parent->m.node),
		parent->path);

	map_sub(&parent->m, key, w->path, allowed, &w->m);
	return w;
}

const struct nep_cfg_node *
nep_cfg_map_node(const struct nep_cfg_map *m)
{
	return CN(m->m.node);
}

const char *
nep_cfg_map_path(const struct nep_cfg_map *m)
{
	return m->path;
}

const struct nep_cfg_node *
nep_cfg_get(const struct nep_cfg_map *m, const char *key)
{
	return CN(map_get(&m->m, key));
}

const struct nep_cfg_node *
nep_cfg_req(const struct nep_cfg_map *m, const char *key)
{
	return CN(map_req(&m->m, key));
}

bool
nep_cfg_get_u32(const struct nep_cfg_map *m, const char *key, uint32_t lo,
	uint32_t hi, uint32_t *out)
{
	map_u32(&m->m, key, lo, hi, out);
	return map_get(&m->m, key) != NULL;
}

bool
nep_cfg_get_u16(const struct nep_cfg_map *m, const char *key, uint16_t lo,
	uint16_t hi, uint16_t *out)
{
	map_u16(&m->m, key, lo, hi, out);
	return map_get(&m->m, key) != NULL;
}

bool
nep_cfg_get_bool(const struct nep_cfg_map *m, const char *key, bool *out)
{
	map_bool(&m->m, key, out);
	return map_get(&m->m, key) != NULL;
}

bool
nep_cfg_get_str(
	const struct nep_cfg_map *m, const char *key, char *dst, size_t size)
{
	map_str(&m->m, key, dst, size);
	return map_get(&m->m, key) != NULL;
}

uint64_t
nep_cfg_uint(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path,
	uint64_t lo, uint64_t hi)
{
	return scalar_uint(c->s, YN(n), path, lo, hi);
}

bool
nep_cfg_bool(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path)
{
	return scalar_bool(c->s, YN(n), path);
}

const char *
nep_cfg_str(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path)
{
	return scalar_str(c->s, YN(n), path);
}

void
nep_cfg_copy_str(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, char *dst, size_t size)
{
	copy_str(c->s, YN(n), path, dst, size);
}

void
nep_cfg_name(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path,
	char dst[NEP_NAME_MAX])
{
	parse_name(c->s, YN(n), path, dst);
}

int
nep_cfg_enum(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path,
	const char *const *names, const char *expect)
{
	return scalar_enum(c->s, YN(n), path, names, expect);
}

void
nep_cfg_addr(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path,
	struct nep_addr *out)
{
	parse_addr(c->s, YN(n), path, out);
}

void
nep_cfg_prefix(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, struct nep_prefix *out)
{
	parse_prefix(c->s, YN(n), path, out);
}

void
nep_cfg_ifaddr(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, struct nep_ifaddr *out)
{
	parse_ifaddr(c->s, YN(n), path, out);
}

int
nep_cfg_port(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path)
{
	return port_ref(c->s, YN(n), path);
}

const char *
nep_cfg_scalar(const struct nep_cfg_node *n)
{
	if (n == NULL || YN(n)->type != YAML_SCALAR_NODE || is_null(YN(n)))
		return NULL;
	return (const char *)YN(n)->data.scalar.value;
}

bool
nep_cfg_is_seq(const struct nep_cfg_node *n)
{
	return n != NULL && YN(n)->type == YAML_SEQUENCE_NODE;
}

unsigned
nep_cfg_seq(struct nep_cfg *c, const struct nep_cfg_node *n, const char *path,
	unsigned max, const char *what)
{
	yaml_node_item_t *items;
	unsigned count;

	items = seq_items(c->s, YN(n), path, &count);
	seq_max(c->s, items, count, max, path, what);
	return count;
}

const struct nep_cfg_node *
nep_cfg_seq_item(
	struct nep_cfg *c, const struct nep_cfg_node *n, unsigned i)
{
	return CN(get_node(c->s, YN(n)->data.sequence.items.start[i]));
}

static const char *const core_keys[] = {
	"eal",
	"management",
	"log",
	"dataplane",
	"neighbors",
	"icmp",
	"ports",
	"routes",
	"vrfs",
	NULL,
};

/* ---- registered sections --------------------------------------------- */

static struct {
	const char *key;
	nep_config_parse_fn parse;
	nep_config_free_fn free_fn;
} sections[NEP_CONFIG_MAX_SECTIONS];
static unsigned n_sections;

int
nep_config_section_register(const char *key, nep_config_parse_fn parse,
	nep_config_free_fn free_fn)
{
	unsigned i;

	if (key == NULL || key[0] == '\0' || parse == NULL)
		return -EINVAL;
	for (i = 0; core_keys[i] != NULL; i++)
		if (strcmp(core_keys[i], key) == 0)
			return -EEXIST;
	for (i = 0; i < n_sections; i++)
		if (strcmp(sections[i].key, key) == 0)
			return -EEXIST;
	if (n_sections == NEP_CONFIG_MAX_SECTIONS)
		return -ENOSPC;
	sections[n_sections].key = key;
	sections[n_sections].parse = parse;
	sections[n_sections].free_fn = free_fn;
	return (int)n_sections++;
}

static void
sec_maps_free(struct nep_cfg *c)
{
	while (c->maps != NULL) {
		struct nep_cfg_map *next = c->maps->next;

		free(c->maps);
		c->maps = next;
	}
}

/* After the core sections, in registration order; absent: NULL node. */
static void
parse_sections(const struct map *top)
{
	struct ctx *c = top->s->ctx;
	unsigned i;

	for (i = 0; i < n_sections; i++) {
		c->sec.s = top->s;
		sections[i].parse(&c->sec,
			(const struct nep_cfg_node *)map_get(top,
				sections[i].key),
			&c->cfg->section[i]);
		sec_maps_free(&c->sec);
	}
}

static void
set_defaults(struct nep_config *cfg)
{
	snprintf(cfg->eal_lcores, sizeof(cfg->eal_lcores), "0-1");
	cfg->eal_in_memory = true;
	snprintf(cfg->mgmt_socket, sizeof(cfg->mgmt_socket),
		"/run/neptune/neptune.sock");
	cfg->telemetry = true;
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
	cfg->burst = 32;
	cfg->drain_us = 100;
	cfg->mbufs = 16383;
	cfg->punt_ring_size = 1024;
	{
		static const uint32_t pps[NEP_PUNT_CLASSES] = { 20000, 20000,
			5000, 50000, 5000, 10000 };

		memcpy(cfg->punt_pps, pps, sizeof(pps));
		cfg->punt_burst = 256;
	}
	cfg->fast_path = true;
	cfg->idle_max_us = 100;
	cfg->neigh_reachable_ms = 30000;
	cfg->neigh_retrans_ms = 1000;
	cfg->neigh_max_probes = 3;
	cfg->neigh_queue_len = 8;
	cfg->neigh_table_size = 4096;
	cfg->icmp_rate_pps = 100;
	cfg->icmp_burst = 50;
	cfg->n_vrfs = 1;
	snprintf(cfg->vrfs[0].name, sizeof(cfg->vrfs[0].name), "default");
}

/* Everything after the YAML text is in memory. */
/* ---- values learnt at run time (nep_config_set_learnt) ---- */


void
nep_config_set_learnt(const struct nep_config_learnt *l)
{
	learnt_src = l;
}

const struct nep_config_learnt *
nep_config_learnt(void)
{
	return learnt_src;
}

/*
 * Each port keeps its configured addresses first (n_static_addrs, what a
 * reload compares) and gets the learnt ones after them: everything that
 * reads a port's addresses (local delivery, the connected routes, NAT44's
 * default pool, probe sources) sees them alike.
 */
static void
add_learnt_addrs(struct nep_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		struct nep_port_conf *pc = &cfg->ports[i];
		struct nep_ifaddr got[NEP_MAX_ADDRS];
		unsigned n = 0;

		pc->n_static_addrs = pc->n_addrs;
		if (learnt_src != NULL && learnt_src->port_addrs != NULL)
			n = learnt_src->port_addrs(learnt_src->arg, pc->name, got,
				NEP_MAX_ADDRS);
		for (unsigned k = 0; k < n && pc->n_addrs < NEP_MAX_ADDRS; k++) {
			bool dup = false;

			for (unsigned j = 0; j < pc->n_addrs; j++)
				dup |= pc->addrs[j].addr.family ==
						got[k].addr.family &&
					memcmp(pc->addrs[j].addr.a, got[k].addr.a,
						16) == 0;
			if (!dup)
				pc->addrs[pc->n_addrs++] = got[k];
		}
	}
}

static void
parse_config(struct ctx *c)
{
	struct src *s = &c->main;
	const char *top_keys[sizeof(core_keys) / sizeof(core_keys[0]) +
		NEP_CONFIG_MAX_SECTIONS];
	char p[KPATH_MAX];
	yaml_node_item_t *items;
	yaml_node_t *root, *v;
	struct map top;
	unsigned i, n;

	/* The core's keys, then the registered ones. */
	n = 0;
	for (; !c->sections_only && core_keys[n] != NULL; n++)
		top_keys[n] = core_keys[n];
	for (i = 0; i < n_sections; i++)
		top_keys[n++] = sections[i].key;
	top_keys[n] = NULL;

	src_parse(s);
	root = yaml_document_get_root_node(&s->doc);
	if (root == NULL && c->sections_only)
		fail_at(s, 1, 1, "", "empty file");
	if (root == NULL)
		fail_at(s, 1, 1, "", "missing required key 'ports'");
	map_open(s, root, "", top_keys, &top);
	if (c->sections_only) {
		parse_sections(&top);
		return;
	}

	parse_eal(&top);
	parse_misc(&top);

	v = map_req(&top, "ports");
	items = seq_items(s, v, "ports", &n);
	if (n == 0)
		fail(s, v, "ports", "at least one port is required");
	seq_max(s, items, n, NEP_MAX_PORTS, "ports", "ports");
	for (i = 0; i < n; i++) {
		parse_port(s, get_node(s, items[i]), ipath(p, "ports", i), i);
		c->cfg->n_ports = i + 1;
	}
	parse_subifs(c);
	c->cfg->vrfs[0].n_ports = c->cfg->n_ports;
	add_learnt_addrs(c->cfg);

	parse_neighbors(&top);
	parse_vrfs(&top, false);
	parse_routes(&top);
	parse_vrfs(&top, true);
	parse_sections(&top);
}

static struct nep_config *
load_buf(const char *name, char *buf, size_t len, const char *drivers_dir,
	bool sections_only, struct nep_config_error *err)
{
	struct nep_config *cfg;
	struct ctx *c;

	/* ctx is big (presets) and must outlive longjmp: keep it off-stack. */
	c = calloc(1, sizeof(*c));
	cfg = calloc(1, sizeof(*cfg));
	if (c == NULL || cfg == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", name);
		free(c);
		free(cfg);
		free(buf);
		return NULL;
	}
	err->msg[0] = '\0';
	c->sections_only = sections_only;
	c->err = err;
	c->cfg = cfg;
	c->drivers_dir = drivers_dir != NULL ? drivers_dir : NEP_DRIVERS_DIR;
	c->main.ctx = c;
	c->main.file = name;
	c->main.buf = buf;
	c->main.len = len;
	c->preset.ctx = c;
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	set_defaults(cfg);
	cfg->text = strdup(buf);	/* for nep_config_reparse() */

	/* Only ctx members are used after setjmp: no clobbered locals. */
	if (setjmp(c->jb) != 0) {
		nep_config_free(c->cfg);
		c->cfg = NULL;
	} else {
		parse_config(c);
		keys_trim(c->cfg->keys);
	}
	cfg = c->cfg;
	sec_maps_free(&c->sec);
	src_release(&c->preset);
	src_release(&c->main);
	free(c);
	return cfg;
}

struct nep_config *
nep_config_load_string(const char *name, const char *yaml,
	const char *drivers_dir, struct nep_config_error *err)
{
	size_t len = strlen(yaml);
	char *buf = malloc(len + 1);

	if (buf == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", name);
		return NULL;
	}
	memcpy(buf, yaml, len + 1);
	return load_buf(name, buf, len, drivers_dir, false, err);
}

/* A configuration file into *buf; false with err set. */
static bool
read_config_file(const char *path, char **buf, size_t *len,
	struct nep_config_error *err)
{
	int rc = read_file(path, buf, len);

	if (rc == EFBIG)
		snprintf(err->msg, sizeof(err->msg), "%s: larger than %u bytes",
			path, NEP_CONFIG_MAX_BYTES);
	else if (rc != 0)
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
			strerror(rc));
	return rc == 0;
}

struct nep_config *
nep_config_load(
	const char *path, const char *drivers_dir, struct nep_config_error *err)
{
	char *buf;
	size_t len;

	if (!read_config_file(path, &buf, &len, err))
		return NULL;
	return load_buf(path, buf, len, drivers_dir, false, err);
}

struct nep_config *
nep_config_load_sections_string(
	const char *name, const char *yaml, struct nep_config_error *err)
{
	size_t len = strlen(yaml);
	char *buf = malloc(len + 1);

	if (buf == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", name);
		return NULL;
	}
	memcpy(buf, yaml, len + 1);
	return load_buf(name, buf, len, NULL, true, err);
}

struct nep_config *
nep_config_load_sections(const char *path, struct nep_config_error *err)
{
	char *buf;
	size_t len;

	if (!read_config_file(path, &buf, &len, err))
		return NULL;
	return load_buf(path, buf, len, NULL, true, err);
}

void
nep_config_free(struct nep_config *cfg)
{
	unsigned i;

	if (cfg == NULL)
		return;
	/* Reverse order: a section may point into an earlier one. */
	for (i = n_sections; i-- > 0;)
		if (cfg->section[i] != NULL && sections[i].free_fn != NULL)
			sections[i].free_fn(cfg->section[i]);
	keys_free(cfg->keys);
	free(cfg->text);
	free(cfg);
}

struct nep_config *
nep_config_reparse(const struct nep_config *cfg, const char *drivers_dir,
	struct nep_config_error *err)
{
	if (cfg->text == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory",
			cfg->path);
		return NULL;
	}
	struct nep_config *n = nep_config_load_string(cfg->path, cfg->text,
		drivers_dir, err);

	if (n != NULL)
		n->reparsed = true;
	return n;
}

const char *
nep_config_key_pos(
	const struct nep_config *cfg, const char *key, char *buf, size_t len)
{
	const struct nep_config_keys *t = cfg->keys;
	const struct key_slot *e = NULL;

	if (t != NULL && t->slot != NULL && key != NULL)
		e = keys_slot(t, key, key_hash(key));
	if (e != NULL && e->line != 0)
		snprintf(buf, len, "%s:%" PRIu32 ":%" PRIu32, cfg->path,
			e->line, e->col);
	else
		snprintf(buf, len, "%s", cfg->path);
	return buf;
}

int
nep_vrf_find(const struct nep_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_vrfs; i++)
		if (strcmp(cfg->vrfs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
nep_config_port_index(const struct nep_config *cfg, const char *name)
{
	unsigned i;

	for (i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}
