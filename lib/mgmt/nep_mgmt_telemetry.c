/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry front end: /neptune/... commands run the matching
 * "show ... --json" command through the management ring (so on the control
 * lcore, like any CLI request) and convert its JSON reply into rte_tel_data.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
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

struct tel_cmd {
	const char *path;
	const char *line;
	bool params;			/* appends the telemetry parameters */
	const char *help;
};

static const struct tel_cmd tel_cmds[] = {
	{ "/neptune/version", "show version", false,
	  "neptune and DPDK versions" },
	{ "/neptune/ports", "show ports", false,
	  "Ports: role, MAC, MTU, link, addresses" },
	{ "/neptune/port_stats", "show port stats", true,
	  "Port counters. Parameters: port name (optional)" },
	{ "/neptune/lcores", "show lcores", false,
	  "Lcores, roles, queues and load" },
	{ "/neptune/neighbors", "show neighbors", false,
	  "Neighbour (ND/ARP) table" },
	{ "/neptune/routes", "show routes", false, "Routing table" },
	{ "/neptune/drops", "show drops", false, "Drops by reason" },
	{ "/neptune/stats", "show stats", false, "Global packet counters" },
	{ "/neptune/uplinks", "show uplinks", false,
	  "Uplinks: state, health, weight, traffic" },
	{ "/neptune/flows", "show flows", true,
	  "Steered flows. Parameters: filters, e.g. uplink,wan1,limit,10" },
	{ "/neptune/policies", "show policies", false,
	  "Steering policies and hits" },
	{ "/neptune/events", "show events", false, "Recent uplink events" },
};

/* The server instance telemetry talks to; tel_lock guards its lifetime. */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nep_mgmt *tel_mgmt;
static bool tel_registered;

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

/* ---- telemetry commands ---- */

/* Telemetry parameters use commas ("uplink,wan1"); the CLI uses spaces. */
static void
append_params(char *line, size_t size, const char *params)
{
	size_t len = strlen(line);

	if (params == NULL || params[0] == '\0' || len + 2 >= size)
		return;
	line[len++] = ' ';
	for (; *params != '\0' && len + 1 < size; params++)
		line[len++] = (*params == ',' || *params == '\n' ||
			*params == '\r') ? ' ' : *params;
	line[len] = '\0';
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
	const struct tel_cmd *tc = NULL;
	char line[NEP_MGMT_LINE_MAX];
	struct nep_buf out;
	json_error_t jerr;
	json_t *j;
	int rc;

	for (unsigned i = 0; i < RTE_DIM(tel_cmds); i++)
		if (strcmp(cmd, tel_cmds[i].path) == 0)
			tc = &tel_cmds[i];
	if (tc == NULL)
		return -1;
	snprintf(line, sizeof(line), "%s", tc->line);
	if (tc->params) {
		append_params(line, sizeof(line) - 16, params);
		if (strcmp(tc->path, "/neptune/flows") == 0 &&
		    strstr(line, " limit ") == NULL)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
				" limit %d", TEL_FLOWS_LIMIT);
	}
	snprintf(line + strlen(line), sizeof(line) - strlen(line), " --json");

	nep_buf_init(&out);
	pthread_mutex_lock(&tel_lock);
	if (tel_mgmt == NULL) {
		pthread_mutex_unlock(&tel_lock);
		nep_buf_printf(&out, "error: neptune management is stopped");
		tel_error(d, &out);
		nep_buf_free(&out);
		return 0;
	}
	rc = nep_mgmt_submit(tel_mgmt, line, &out);
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
	int rc = 0;

	pthread_mutex_lock(&tel_lock);
	if (tel_mgmt != NULL && tel_mgmt != m) {
		pthread_mutex_unlock(&tel_lock);
		rte_log(RTE_LOG_WARNING, nep_mgmt_logtype,
			"mgmt: telemetry already served by another instance\n");
		return -1;
	}
	/* 22.11 cannot unregister, and would list duplicates: register once. */
	if (!tel_registered) {
		for (unsigned i = 0; i < RTE_DIM(tel_cmds) && rc == 0; i++)
			rc = rte_telemetry_register_cmd(tel_cmds[i].path, tel_cb,
				tel_cmds[i].help);
		tel_registered = rc == 0;
	}
	if (rc == 0)
		tel_mgmt = m;
	pthread_mutex_unlock(&tel_lock);
	if (rc != 0)
		rte_log(RTE_LOG_ERR, nep_mgmt_logtype,
			"mgmt: cannot register telemetry commands: %s\n",
			strerror(-rc));
	return rc == 0 ? 0 : -1;
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
