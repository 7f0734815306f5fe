/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry front end: /neptune/... commands run the matching
 * "show ... --json" command through the management ring (so on the control
 * lcore, like any CLI request) and convert its JSON reply into rte_tel_data.
 *
 * The commands are derived from the grammar when a server starts (every
 * constructor has run by then, so every feature's table is in): each entry
 * "show KW1 KW2 ... [rest]" gives /neptune/KW1_KW2, which runs
 * "show KW1 KW2 <parameters> --json". See docs/cli.md, "Telemetry".
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_telemetry.h>

#include "nep_mgmt.h"
#include "nep_mgmt_priv.h"

#define TEL_DEPTH_MAX 8
/* Telemetry replies are capped at 16 KiB: keep flow listings short. */
#define TEL_FLOWS_LIMIT 50

/*
 * DPDK 22.11's own bounds (lib/telemetry/telemetry.c, not exported):
 * rte_telemetry_register_cmd() refuses a path of MAX_CMD_LEN (56) characters
 * or more and a help text of MAX_HELP_LEN (128) or more.
 */
#define TEL_PATH_MAX 56
#define TEL_HELP_MAX 128
#define TEL_PREFIX "/neptune/"

#define TEL_LOG(level, fmt, ...)                                              \
	rte_log(RTE_LOG_##level, nep_mgmt_logtype, "mgmt: telemetry: " fmt   \
		"\n", ##__VA_ARGS__)

/* One telemetry path; several grammar entries may share it. */
struct tel_cmd {
	char path[TEL_PATH_MAX];	/* "/neptune/port_stats" */
	char line[TEL_PATH_MAX];	/* "show port stats": shorter than path */
	const char *tail;		/* words after line of the first entry
					 * taking parameters ("[NAME]"), or "" */
	bool params;			/* some entry has words after line */
	bool required;			/* no entry is complete without them */
	bool filter;			/* the parameters are FILTER... words */
};

/* The server instance telemetry talks to; tel_lock guards its lifetime. */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nep_mgmt *tel_mgmt;
/*
 * The derived commands, under tel_lock. 22.11 cannot unregister, so they
 * only grow: each start derives from the grammar entries not seen yet.
 */
static struct tel_cmd tel_cmds[NEP_MGMT_TEL_CMDS_MAX];
static unsigned tel_ncmds;
static unsigned tel_seen;		/* grammar entries already derived */

/* ---- JSON -> rte_tel_data ---- */

/* Telemetry names allow only [A-Za-z0-9_/]; anything else becomes '_'. */
static void
tel_key(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = (isalnum((unsigned char)src[i]) || src[i] == '_' ||
			src[i] == '/') ? src[i] : '_';
	dst[i] = '\0';
	if (i == 0 && size > 1)
		snprintf(dst, size, "_");
}

static bool
tel_key_valid(const char *s)
{
	if (*s == '\0' || strlen(s) >= RTE_TEL_MAX_STRING_LEN)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '/')
			return false;
	return true;
}

static void
scalar_str(json_t *v, char *buf, size_t size)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, size, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT,
			json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, size, "%.10g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, size, "1");
		break;
	case JSON_FALSE:
		snprintf(buf, size, "0");
		break;
	default:
		snprintf(buf, size, "null");
		break;
	}
}

static int tel_fill(struct rte_tel_data *d, json_t *v, int depth);

/*
 * 22.11 telemetry has no floating-point type: a fraction would have to be
 * a string. It becomes an integer in a finer unit instead, named by its
 * key: "rtt_ms": 0.2342 -> "rtt_us": 234, "loss_pct": 68.75 ->
 * "loss_ppm": 687500, anything else "x": 1.5 -> "x_milli": 1500
 * (docs/cli.md, "Telemetry"). 0, or -1 when it does not fit (left to
 * the string form).
 */
static int
tel_dict_real(struct rte_tel_data *d, const char *key, double x)
{
	static const struct {
		const char *from, *to;
		double scale;
	} units[] = {
		{ "_ms", "_us", 1e3 },
		{ "_pct", "_ppm", 1e4 },
		{ "_s", "_us", 1e6 },
	};
	char k[RTE_TEL_MAX_STRING_LEN];
	size_t kl = strlen(key);
	double scale = 1e3;
	int n = -1;

	for (unsigned i = 0; i < RTE_DIM(units) && n < 0; i++) {
		size_t fl = strlen(units[i].from);

		if (kl > fl && strcmp(key + kl - fl, units[i].from) == 0) {
			n = snprintf(k, sizeof(k), "%.*s%s", (int)(kl - fl), key,
				units[i].to);
			scale = units[i].scale;
		}
	}
	if (n < 0)
		n = snprintf(k, sizeof(k), "%s_milli", key);
	if (n < 0 || (size_t)n >= sizeof(k))
		return -1;
	x = round(x * scale);
	if (x >= 0 && x < 18446744073709551615.0)
		return rte_tel_data_add_dict_u64(d, k, (uint64_t)x);
	if (x >= INT_MIN && x < 0)
		return rte_tel_data_add_dict_int(d, k, (int)x);
	return -1;
}

static void
tel_dict_add(struct rte_tel_data *d, const char *key, json_t *v, int depth)
{
	char buf[RTE_TEL_MAX_STRING_LEN];
	struct rte_tel_data *c;
	json_int_t x;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		c = rte_tel_data_alloc();
		if (c == NULL)
			return;
		if (tel_fill(c, v, depth + 1) < 0 ||
		    rte_tel_data_add_dict_container(d, key, c, 0) < 0)
			rte_tel_data_free(c);
		return;
	case JSON_INTEGER:
		x = json_integer_value(v);
		if (x >= 0)
			rte_tel_data_add_dict_u64(d, key, (uint64_t)x);
		else if (x >= INT_MIN)
			rte_tel_data_add_dict_int(d, key, (int)x);
		else
			break;
		return;
	case JSON_REAL:
		if (tel_dict_real(d, key, json_real_value(v)) == 0)
			return;
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		rte_tel_data_add_dict_int(d, key, json_is_true(v) ? 1 : 0);
		return;
	case JSON_NULL:
		return;		/* telemetry has no null: leave the key out */
	default:
		break;
	}
	scalar_str(v, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, key, buf);
}

enum arr_kind { ARR_STRING, ARR_U64, ARR_INT, ARR_NESTED, ARR_DICT };

/* Which telemetry array type can hold every element of a JSON array. */
static enum arr_kind
arr_classify(json_t *a, int depth)
{
	bool str = false, num = false, neg = false, big = false;
	bool arr = false, obj = false;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		switch (json_typeof(v)) {
		case JSON_STRING:
		case JSON_REAL:
		case JSON_NULL:
			str = true;
			break;
		case JSON_INTEGER:
			num = true;
			if (json_integer_value(v) < 0)
				neg = true;
			if (json_integer_value(v) < INT_MIN ||
			    json_integer_value(v) > INT_MAX)
				big = true;
			break;
		case JSON_TRUE:
		case JSON_FALSE:
			num = true;
			break;
		case JSON_ARRAY:
			/* an array container may hold scalar arrays only */
			if (depth > 0 || arr_classify(v, depth + 1) >= ARR_NESTED)
				obj = true;
			else
				arr = true;
			break;
		case JSON_OBJECT:
			obj = true;
			break;
		}
	}
	if (obj || (arr && (str || num)))
		return ARR_DICT;
	if (arr)
		return ARR_NESTED;
	if (str || (neg && big))
		return ARR_STRING;
	if (neg)
		return ARR_INT;
	if (num)
		return ARR_U64;
	return ARR_STRING;
}

/* Arrays of objects: keyed by "name" if all have distinct valid names. */
static bool
arr_by_name(json_t *a)
{
	size_t i, j;
	json_t *v, *w;

	json_array_foreach(a, i, v) {
		json_t *n = json_object_get(v, "name");

		if (!json_is_string(n) || !tel_key_valid(json_string_value(n)))
			return false;
		for (j = 0; j < i; j++) {
			w = json_object_get(json_array_get(a, j), "name");
			if (strcmp(json_string_value(w),
				   json_string_value(n)) == 0)
				return false;
		}
	}
	return json_array_size(a) > 0;
}

static int
tel_fill_array(struct rte_tel_data *d, json_t *a, int depth)
{
	char buf[RTE_TEL_MAX_STRING_LEN];
	enum arr_kind k = arr_classify(a, depth > 0 ? 1 : 0);
	size_t i;
	json_t *v;

	switch (k) {
	case ARR_STRING:
		rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
		json_array_foreach(a, i, v) {
			scalar_str(v, buf, sizeof(buf));
			rte_tel_data_add_array_string(d, buf);
		}
		return 0;
	case ARR_U64:
		rte_tel_data_start_array(d, RTE_TEL_U64_VAL);
		json_array_foreach(a, i, v)
			rte_tel_data_add_array_u64(d, json_is_integer(v) ?
				(uint64_t)json_integer_value(v) :
				json_is_true(v) ? 1 : 0);
		return 0;
	case ARR_INT:
		rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
		json_array_foreach(a, i, v)
			rte_tel_data_add_array_int(d, json_is_integer(v) ?
				(int)json_integer_value(v) :
				json_is_true(v) ? 1 : 0);
		return 0;
	case ARR_NESTED:
		rte_tel_data_start_array(d, RTE_TEL_CONTAINER);
		json_array_foreach(a, i, v) {
			struct rte_tel_data *c = rte_tel_data_alloc();

			if (c == NULL)
				return -1;
			if (tel_fill_array(c, v, depth + 1) < 0 ||
			    rte_tel_data_add_array_container(d, c, 0) < 0)
				rte_tel_data_free(c);
		}
		return 0;
	case ARR_DICT:
		break;
	}
	rte_tel_data_start_dict(d);
	if (arr_by_name(a)) {
		json_array_foreach(a, i, v)
			tel_dict_add(d, json_string_value(json_object_get(v,
				"name")), v, depth);
	} else {
		json_array_foreach(a, i, v) {
			snprintf(buf, sizeof(buf), "%zu", i);
			tel_dict_add(d, buf, v, depth);
		}
	}
	return 0;
}

static int
tel_fill(struct rte_tel_data *d, json_t *v, int depth)
{
	char key[RTE_TEL_MAX_STRING_LEN];
	const char *k;
	json_t *x;

	if (depth > TEL_DEPTH_MAX)
		return -1;
	if (json_is_array(v))
		return tel_fill_array(d, v, depth);
	if (!json_is_object(v))
		return -1;
	rte_tel_data_start_dict(d);
	json_object_foreach(v, k, x) {
		tel_key(key, sizeof(key), k);
		tel_dict_add(d, key, x, depth);
	}
	return 0;
}

int
nep_mgmt_tel_convert(struct rte_tel_data *d, json_t *j)
{
	char buf[RTE_TEL_MAX_STRING_LEN];

	if (j == NULL)
		return -1;
	if (json_is_object(j) || json_is_array(j))
		return tel_fill(d, j, 0);
	scalar_str(j, buf, sizeof(buf));
	return rte_tel_data_string(d, buf) < 0 ? -1 : 0;
}

/* ---- telemetry commands, derived from the grammar ---- */

/* A literal keyword as the matcher reads patterns (nep_mgmt.h). */
static bool
word_literal(const char *w, size_t len)
{
	if (len == 0 || w[0] == '[' || w[len - 1] == ']' ||
	    isupper((unsigned char)w[0]) || memchr(w, '|', len) != NULL)
		return false;
	return !(len > 3 && memcmp(w + len - 3, "...", 3) == 0);
}

enum {
	DERIVE_NOT_SHOW = -1,		/* not a "show" command: no path */
	DERIVE_NO_KEYWORD = -2,		/* "show NAME": nothing to name it */
	DERIVE_TOO_LONG = -3,		/* path of TEL_PATH_MAX or more */
};

/*
 * "show port stats [NAME]" -> path "/neptune/port_stats", line
 * "show port stats", *tail "[NAME]" (the rest of the pattern, "" if none).
 * The keywords are the literal words after "show" up to the first
 * placeholder, alternative or optional group; characters a telemetry name
 * may not hold become '_'. Returns the number of keywords, or DERIVE_*.
 */
static int
tel_derive(const char *pattern, char *path, char *line, const char **tail)
{
	const char *s = pattern, *w;
	size_t plen = 0, llen = 0, len;
	int nkw = -1;

	for (;;) {
		while (*s == ' ')
			s++;
		w = s;
		while (*s != '\0' && *s != ' ')
			s++;
		len = (size_t)(s - w);
		if (nkw < 0) {
			if (len != 4 || memcmp(w, "show", 4) != 0)
				return DERIVE_NOT_SHOW;
			plen = strlen(TEL_PREFIX);
			memcpy(path, TEL_PREFIX, plen + 1);
			llen = 4;
			memcpy(line, "show", llen + 1);
			nkw = 0;
			continue;
		}
		if (!word_literal(w, len))
			break;
		/* the line ("show a b") is 4 shorter than the path */
		if (plen + (nkw > 0 ? 1 : 0) + len >= TEL_PATH_MAX)
			return DERIVE_TOO_LONG;
		if (nkw > 0)
			path[plen++] = '_';
		for (size_t i = 0; i < len; i++)
			path[plen++] = isalnum((unsigned char)w[i]) ||
				w[i] == '_' ? w[i] : '_';
		path[plen] = '\0';
		line[llen++] = ' ';
		memcpy(line + llen, w, len);
		llen += len;
		line[llen] = '\0';
		nkw++;
	}
	*tail = w;
	return nkw > 0 ? nkw : DERIVE_NO_KEYWORD;
}

/* Pattern words as telemetry parameters: "[uplink NAME]" -> "[uplink,NAME]". */
static void
tail_params(char *dst, size_t size, const char *tail)
{
	size_t i;

	for (i = 0; i + 1 < size && tail[i] != '\0'; i++)
		dst[i] = tail[i] == ' ' ? ',' : tail[i];
	dst[i] = '\0';
}

/* The grammar entry's help, and its parameters if it takes any. */
static void
tel_help(char *help, const struct nep_cmd_def *def, const char *tail)
{
	char params[TEL_HELP_MAX];
	int hl = (int)strlen(def->help), n;

	while (hl > 0 && def->help[hl - 1] == '.')
		hl--;
	tail_params(params, sizeof(params), tail);
	if (params[0] != '\0')
		n = snprintf(help, TEL_HELP_MAX, "%.*s. Parameters: %s", hl,
			def->help, params);
	else
		n = snprintf(help, TEL_HELP_MAX, "%s", def->help);
	if (n >= TEL_HELP_MAX)
		memcpy(help + TEL_HELP_MAX - 4, "...", 4);
}

/* The parameters are flow filters: telemetry adds a default limit. */
static bool
tail_is_filter(const char *tail)
{
	return strcmp(tail, "[FILTER...]") == 0 ||
		strcmp(tail, "FILTER...") == 0;
}

/* Does pattern accept the words of line alone (no parameters)? */
static bool
accepts_bare(const char *pattern, const char *line)
{
	char buf[TEL_PATH_MAX];
	char *argv[NEP_MGMT_MAX_ARGS];
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = nep_mgmt_split(buf, argv, NEP_MGMT_MAX_ARGS);
	return argc > 0 && nep_cmd_match(pattern, argc, argv);
}

/* Under tel_lock. */
static struct tel_cmd *
tel_find(const char *path)
{
	for (unsigned i = 0; i < tel_ncmds; i++)
		if (strcmp(tel_cmds[i].path, path) == 0)
			return &tel_cmds[i];
	return NULL;
}

static int tel_cb(const char *cmd, const char *params,
	struct rte_tel_data *d);

static const char *
reg_error(int rc)
{
	switch (rc) {
	case -ENOENT:	/* older DPDK: TELEMETRY_MAX_CALLBACKS reached */
	case -ENOMEM:
		return "DPDK telemetry holds no more commands";
	case -EINVAL:
		return "refused by DPDK telemetry (path or help too long?)";
	default:
		return strerror(-rc);
	}
}

/*
 * Under tel_lock: derive the paths of the grammar entries not seen yet
 * (the grammar only grows) and register the new ones. An entry that gets
 * no path is skipped with a log line; nothing here fails.
 */
static void
tel_derive_new(void)
{
	unsigned n = nep_cmd_grammar_count(), added = 0;

	for (; tel_seen < n; tel_seen++) {
		const struct nep_cmd_def *def = nep_cmd_grammar_get(tel_seen);
		char path[TEL_PATH_MAX], line[TEL_PATH_MAX];
		char help[TEL_HELP_MAX];
		const char *tail = "";
		struct tel_cmd *tc;
		bool params, bare;
		int rc;

		if (def == NULL)
			break;
		rc = tel_derive(def->pattern, path, line, &tail);
		if (rc == DERIVE_NOT_SHOW)
			continue;
		if (rc == DERIVE_NO_KEYWORD) {
			TEL_LOG(WARNING, "'%s' skipped: no keyword after "
				"'show' to name it", def->pattern);
			continue;
		}
		if (rc == DERIVE_TOO_LONG) {
			TEL_LOG(WARNING, "'%s' skipped: its path would be "
				"longer than %d characters", def->pattern,
				TEL_PATH_MAX - 1);
			continue;
		}
		params = tail[0] != '\0';
		bare = !params || accepts_bare(def->pattern, line);
		tc = tel_find(path);
		if (tc != NULL) {
			if (strcmp(tc->line, line) != 0) {
				TEL_LOG(WARNING, "'%s' skipped: %s already runs "
					"'%s'", def->pattern, path, tc->line);
				continue;
			}
			/* another form of the same command: dispatch picks */
			if (params && tc->tail[0] == '\0') {
				tc->tail = tail;
				tc->filter = tail_is_filter(tail);
			}
			tc->params = tc->params || params;
			tc->required = tc->required && !bare;
			continue;
		}
		if (tel_ncmds >= NEP_MGMT_TEL_CMDS_MAX) {
			TEL_LOG(WARNING, "%s ('%s') skipped: more than %d "
				"telemetry commands", path, def->pattern,
				NEP_MGMT_TEL_CMDS_MAX);
			continue;
		}
		/* the slot is kept even if DPDK refuses: no retry, no dup */
		tc = &tel_cmds[tel_ncmds++];
		memset(tc, 0, sizeof(*tc));
		strcpy(tc->path, path);
		strcpy(tc->line, line);
		tc->tail = tail;
		tc->params = params;
		tc->required = !bare;
		tc->filter = params && tail_is_filter(tail);
		tel_help(help, def, tail);
		rc = rte_telemetry_register_cmd(path, tel_cb, help);
		if (rc < 0) {
			TEL_LOG(WARNING, "%s ('%s') skipped: %s", path,
				def->pattern, reg_error(rc));
			continue;
		}
		added++;
	}
	if (added > 0)
		TEL_LOG(INFO, "%u commands under %s (%u new)", tel_ncmds,
			TEL_PREFIX, added);
}

static int
line_add(char *line, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
line_add(char *line, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(line + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

/*
 * The command line telemetry runs for tc: its keywords, the telemetry
 * parameters as words (commas or blanks between them; ignored by a command
 * that takes none), then "--json". 0, or -1 with "error: ..." in err.
 */
static int
tel_line(const struct tel_cmd *tc, const char *params, char *line,
	size_t size, struct nep_buf *err)
{
	char buf[NEP_MGMT_LINE_MAX];
	char *argv[NEP_MGMT_MAX_ARGS];
	size_t len = 0, i;
	bool limit = false;
	int argc = 0, rc;

	rc = line_add(line, size, &len, "%s", tc->line);
	if (tc->params && params != NULL) {
		for (i = 0; params[i] != '\0' && i + 1 < sizeof(buf); i++)
			buf[i] = params[i] == ',' ? ' ' : params[i];
		if (params[i] != '\0') {
			nep_buf_printf(err, "error: parameters too long "
				"(max %d bytes)\n", NEP_MGMT_LINE_MAX - 1);
			return -1;
		}
		buf[i] = '\0';
		argc = nep_mgmt_split(buf, argv, NEP_MGMT_MAX_ARGS);
		if (argc < 0) {
			nep_buf_printf(err, "error: too many parameters "
				"(max %d words)\n", NEP_MGMT_MAX_ARGS);
			return -1;
		}
	}
	if (argc == 0 && tc->required) {
		char usage[NEP_MGMT_LINE_MAX];

		tail_params(usage, sizeof(usage), tc->tail);
		nep_buf_printf(err, "error: missing parameters; usage: %s,%s\n",
			tc->path, usage);
		return -1;
	}
	for (int k = 0; k < argc; k++) {
		/* filters are key/value pairs: a key is at an even place */
		if (tc->filter && k % 2 == 0 && strcmp(argv[k], "limit") == 0)
			limit = true;
		rc |= line_add(line, size, &len, " %s", argv[k]);
	}
	if (tc->filter && !limit)
		rc |= line_add(line, size, &len, " limit %d", TEL_FLOWS_LIMIT);
	rc |= line_add(line, size, &len, " --json");
	if (rc != 0) {
		nep_buf_printf(err, "error: parameters too long (max %d "
			"bytes)\n", NEP_MGMT_LINE_MAX - 1);
		return -1;
	}
	return 0;
}

static void
tel_error(struct rte_tel_data *d, struct nep_buf *out)
{
	char msg[RTE_TEL_MAX_STRING_LEN];
	char *nl;

	snprintf(msg, sizeof(msg), "%s",
		out->len > 0 ? out->data : "error: command failed");
	nl = strchr(msg, '\n');
	if (nl != NULL)
		*nl = '\0';
	rte_tel_data_string(d, msg);
}

static int
tel_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char line[NEP_MGMT_LINE_MAX];
	const struct tel_cmd *tc;
	struct nep_buf out;
	json_error_t jerr;
	json_t *j;
	int rc;

	nep_buf_init(&out);
	pthread_mutex_lock(&tel_lock);
	tc = tel_find(cmd);
	if (tc == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return -1;
	}
	if (tel_mgmt == NULL) {
		nep_buf_printf(&out, "error: neptune management is stopped");
		rc = -1;
	} else {
		rc = tel_line(tc, params, line, sizeof(line), &out);
		if (rc == 0)
			rc = nep_mgmt_submit(tel_mgmt, line, &out);
	}
	pthread_mutex_unlock(&tel_lock);

	if (rc != 0) {
		tel_error(d, &out);
		nep_buf_free(&out);
		return 0;
	}
	j = json_loadb(out.data, out.len, 0, &jerr);
	nep_buf_free(&out);
	if (j == NULL || nep_mgmt_tel_convert(d, j) < 0)
		rte_tel_data_string(d, "error: bad JSON reply");
	json_decref(j);
	return 0;
}

int
nep_mgmt_telemetry_attach(struct nep_mgmt *m)
{
	pthread_mutex_lock(&tel_lock);
	if (tel_mgmt != NULL && tel_mgmt != m) {
		pthread_mutex_unlock(&tel_lock);
		rte_log(RTE_LOG_WARNING, nep_mgmt_logtype,
			"mgmt: telemetry already served by another instance\n");
		return -1;
	}
	/* every constructor has run: the grammar is complete */
	tel_derive_new();
	tel_mgmt = m;
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

void
nep_mgmt_telemetry_detach(struct nep_mgmt *m)
{
	/* Waits for a telemetry request in flight: it sees the stop flag. */
	pthread_mutex_lock(&tel_lock);
	if (tel_mgmt == m)
		tel_mgmt = NULL;
	pthread_mutex_unlock(&tel_lock);
}
