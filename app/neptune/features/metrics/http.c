/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP server of the metrics feature: libmicrohttpd with its own
 * polling thread (not an EAL thread, never on a worker's or the control
 * lcore's CPU budget beyond the command it submits). Read-only:
 *
 *   GET /metrics                    `show metrics` (text exposition 0.0.4)
 *   GET /api/show/WORD[/WORD...]    `show WORD... --json`; query arguments
 *                                   become words too (?limit=20 -> "limit
 *                                   20"), for `show flows` filters
 *   GET /, /index.html, ...         the dashboard (compiled in: no file
 *                                   system, no network fetch)
 *
 * Every command runs on the control lcore (nep_mgmt_submit), so the thread
 * never reads appliance state. Only `show` commands are reachable, which
 * is the read-only half of the management socket; nothing here changes
 * state, so the dashboard needs no privilege beyond reaching the address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "metrics.h"

struct metrics_http {
	struct nep_app *app;
	struct MHD_Daemon *d;
	bool dashboard;
	uint64_t scrapes, api, files, errors;	/* atomics */
};

static void
count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static enum MHD_Result
send_buf(struct MHD_Connection *c, unsigned status, const char *type,
	const void *data, size_t len, bool persistent)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len,
		(void *)(uintptr_t)data, persistent ? MHD_RESPMEM_PERSISTENT :
		MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", persistent ? "max-age=60" :
		"no-store");
	/* The page may load only what it came with. */
	MHD_add_response_header(r, "Content-Security-Policy",
		"default-src 'self'; connect-src 'self'; img-src 'self' data:; "
		"frame-ancestors 'none'");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_error(struct metrics_http *h, struct MHD_Connection *c, unsigned status,
	const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	char *s = json_dumps(j, JSON_COMPACT);
	enum MHD_Result ret;

	count(&h->errors);
	ret = send_buf(c, status, "application/json", s, strlen(s), false);
	free(s);
	json_decref(j);
	return ret;
}

/* A word of a command typed from a URL: names, numbers, addresses,
 * prefixes. Anything else (spaces, quotes, "--json") is refused. */
static bool
word_ok(const char *w)
{
	if (w[0] == '\0' || w[0] == '-')
		return false;
	for (const char *p = w; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '.' || *p == ':' ||
			*p == '_' || *p == '-'))
			return false;
	return true;
}

struct line {
	char s[NEP_MGMT_LINE_MAX];
	size_t len;
	bool bad;
};

static void
line_add(struct line *l, const char *w)
{
	int n;

	if (!word_ok(w)) {
		l->bad = true;
		return;
	}
	n = snprintf(l->s + l->len, sizeof(l->s) - l->len, "%s%s",
		l->len ? " " : "", w);
	if (n < 0 || (size_t)n >= sizeof(l->s) - l->len)
		l->bad = true;
	else
		l->len += (size_t)n;
}

static enum MHD_Result
query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
	const char *value)
{
	struct line *l = cls;

	(void)kind;
	line_add(l, key);
	if (value != NULL && value[0] != '\0')
		line_add(l, value);
	return MHD_YES;
}

static enum MHD_Result
run_command(struct metrics_http *h, struct MHD_Connection *c, const char *line,
	bool json)
{
	struct nep_mgmt *m = __atomic_load_n(&h->app->mgmt, __ATOMIC_ACQUIRE);
	struct nep_buf out;
	enum MHD_Result ret;
	int rc;

	if (m == NULL)
		return send_error(h, c, MHD_HTTP_SERVICE_UNAVAILABLE,
			"starting");
	nep_buf_init(&out);
	/* read-only whatever the line says (the API offers show only) */
	rc = nep_mgmt_submit_flags(m, line, &out, NEP_DISPATCH_READ_ONLY);
	if (rc != 0) {
		/* "error: ..." on one line */
		char msg[512];
		const char *t = out.len ? out.data : "error: failed";

		if (strncmp(t, "error: ", 7) == 0)
			t += 7;
		snprintf(msg, sizeof(msg), "%.*s", (int)strcspn(t, "\n"), t);
		ret = send_error(h, c, strstr(msg, "unknown command") != NULL ?
			MHD_HTTP_NOT_FOUND : MHD_HTTP_BAD_REQUEST, msg);
	} else {
		ret = send_buf(c, MHD_HTTP_OK, json ? "application/json" :
			"text/plain; version=0.0.4; charset=utf-8", out.data,
			out.len, false);
	}
	nep_buf_free(&out);
	return ret;
}

static enum MHD_Result
api(struct metrics_http *h, struct MHD_Connection *c, const char *url)
{
	struct line l = { .len = 0, .bad = false };
	char path[NEP_MGMT_LINE_MAX], *save = NULL, *w;

	snprintf(path, sizeof(path), "%s", url + strlen("/api/"));
	for (w = strtok_r(path, "/", &save); w != NULL;
		w = strtok_r(NULL, "/", &save))
		line_add(&l, w);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, &l);
	if (l.bad || l.len == 0)
		return send_error(h, c, MHD_HTTP_BAD_REQUEST,
			"malformed command");
	/* Read-only: show commands only. */
	if (strncmp(l.s, "show ", 5) != 0)
		return send_error(h, c, MHD_HTTP_FORBIDDEN,
			"only show commands are served here");
	count(&h->api);
	snprintf(l.s + l.len, sizeof(l.s) - l.len, " --json");
	return run_command(h, c, l.s, true);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *upload_data,
	size_t *upload_data_size, void **con_cls)
{
	struct metrics_http *h = cls;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_error(h, c, MHD_HTTP_METHOD_NOT_ALLOWED,
			"read-only: GET only");
	if (*upload_data_size != 0)
		return MHD_NO;
	if (strcmp(url, "/metrics") == 0) {
		count(&h->scrapes);
		return run_command(h, c, "show metrics", false);
	}
	if (!h->dashboard)
		return send_error(h, c, MHD_HTTP_NOT_FOUND, "not found "
			"(metrics.dashboard is off)");
	if (strncmp(url, "/api/", 5) == 0)
		return api(h, c, url);
	if (strcmp(url, "/") == 0)
		url = "/index.html";
	for (unsigned i = 0; i < metrics_n_www; i++)
		if (strcmp(metrics_www[i].path, url) == 0) {
			count(&h->files);
			return send_buf(c, MHD_HTTP_OK, metrics_www[i].type,
				metrics_www[i].data, metrics_www[i].len, true);
		}
	return send_error(h, c, MHD_HTTP_NOT_FOUND, "not found");
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	NEP_LOG(WARNING, "metrics http: %s", msg);
}

struct metrics_http *
metrics_http_start(struct nep_app *app, const struct metrics_config *mc)
{
	struct metrics_http *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (h == NULL)
		return NULL;
	h->app = app;
	h->dashboard = mc->dashboard;
	memset(&ss, 0, sizeof(ss));
	if (mc->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(mc->port);
		memcpy(&s6->sin6_addr, mc->addr, 16);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(mc->port);
		memcpy(&s4->sin_addr, mc->addr, 4);
	}
	h->d = MHD_start_daemon(flags, mc->port, NULL, NULL, handler, h,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_END);
	if (h->d == NULL) {
		NEP_LOG(ERR, "metrics: cannot listen on %s: %s", mc->listen,
			strerror(errno));
		free(h);
		return NULL;
	}
	NEP_LOG(INFO, "metrics: http://%s/metrics%s", mc->listen,
		mc->dashboard ? ", dashboard at /" : "");
	return h;
}

void
metrics_http_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}

void
metrics_http_stats(const struct metrics_http *h, struct metrics_http_stats *o)
{
	o->scrapes = __atomic_load_n(&h->scrapes, __ATOMIC_RELAXED);
	o->api = __atomic_load_n(&h->api, __ATOMIC_RELAXED);
	o->files = __atomic_load_n(&h->files, __ATOMIC_RELAXED);
	o->errors = __atomic_load_n(&h->errors, __ATOMIC_RELAXED);
}
