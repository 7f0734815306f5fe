/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP service: libmicrohttpd with one internal polling thread (the
 * handlers never run concurrently), jansson, the store. Every endpoint of
 * the seed's API (docs/controller-openapi.yaml), authentication, limits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "nctl.h"
#include "nctl_server.h"
#include "nctl_store.h"

#define CRED_HEX (2 * NCTL_CRED_LEN + 1)
#define RATE_SLOTS 4096
#define DEV_BUCKETS_MIN 1024

/* ---- in-memory state (the database is the truth; rebuilt at start) ---- */

struct dev {
	char id[NCTL_ID_MAX];
	char type[24];
	char cred[CRED_HEX];
	int64_t idx4, idx6;		/* -1: none */
	int dserver;			/* decision: servers[] index, -1 */
	double dsince;
	struct dev *next;
};

struct server {
	char id[NCTL_ID_MAX];
	char name[128];
	struct nctl_metrics m;
	double last_report;		/* our clock */
	double timestamp;		/* the reporter's */
	int64_t rx, tx;
	char internal_ip[64], external_ip[64];
};

struct rate {
	uint8_t addr[16];
	double tokens, last;
};

struct nctl_server {
	const struct nctl_config *cfg;
	sqlite3 *db;
	struct MHD_Daemon *mhd;
	struct nctl_pool pool4, pool6;
	struct nctl_nonces *nonces;
	struct dev **buckets;
	uint32_t nbuckets, ndevs;
	unsigned nservers;
	struct server servers[NCTL_MAX_SERVERS];
	struct rate *rates;
	char *tls_cert, *tls_key;
	uint64_t requests, refused_auth, refused_rate;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static struct dev *
dev_find(struct nctl_server *S, const char *id)
{
	for (struct dev *d = S->buckets[hash_str(id) & (S->nbuckets - 1)];
		d != NULL; d = d->next)
		if (strcmp(d->id, id) == 0)
			return d;
	return NULL;
}

static int
dev_grow(struct nctl_server *S)
{
	uint32_t nb = S->nbuckets * 2;
	struct dev **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return -1;
	for (uint32_t i = 0; i < S->nbuckets; i++)
		for (struct dev *d = S->buckets[i], *n; d != NULL; d = n) {
			n = d->next;
			d->next = b[hash_str(d->id) & (nb - 1)];
			b[hash_str(d->id) & (nb - 1)] = d;
		}
	free(S->buckets);
	S->buckets = b;
	S->nbuckets = nb;
	return 0;
}

static void
dev_insert(struct nctl_server *S, struct dev *d)
{
	if (S->ndevs + 1 > S->nbuckets)
		dev_grow(S);	/* a failure only makes chains longer */
	d->next = S->buckets[hash_str(d->id) & (S->nbuckets - 1)];
	S->buckets[hash_str(d->id) & (S->nbuckets - 1)] = d;
	S->ndevs++;
}

static void
dev_remove(struct nctl_server *S, struct dev *x)
{
	struct dev **pp = &S->buckets[hash_str(x->id) & (S->nbuckets - 1)];

	for (; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			S->ndevs--;
			free(x);
			return;
		}
}

static int
server_find(const struct nctl_server *S, const char *id)
{
	for (unsigned i = 0; i < S->nservers; i++)
		if (strcmp(S->servers[i].id, id) == 0)
			return (int)i;
	return -1;
}

static bool
id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= NCTL_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
			    c == '.'))
			return false;
	}
	return true;
}

/* ---- a request ---- */

struct principal {
	bool admin;
	bool bootstrap;			/* default_psk: registration only */
	char id[NCTL_ID_MAX];
};

struct req {
	char *body;
	size_t len, cap;
	bool too_big;
	bool limited;			/* refused at the first call (429) */
	bool replied;			/* 413 queued at the first call */
};

struct ctx {
	struct nctl_server *S;
	struct MHD_Connection *conn;
	const char *method, *path;
	const char *body;
	size_t body_len;
	json_t *in;			/* parsed body (object) or NULL */
	struct principal who;
	double now;
	unsigned code;
	json_t *out;
};

static void
reply(struct ctx *x, unsigned code, json_t *o)
{
	x->code = code;
	json_decref(x->out);
	x->out = o;
}

static int __attribute__((format(printf, 4, 5)))
fail(struct ctx *x, unsigned code, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s}", "error", msg);
	if (field != NULL)
		json_object_set_new(o, "field", json_string(field));
	reply(x, code, o);
	return -1;
}

/* ---- typed fields: 400 naming the field ---- */

static int
f_str(struct ctx *x, json_t *o, const char *k, bool req, size_t max,
	const char **out)
{
	json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (req)
			return fail(x, 400, k, "field '%s' is required", k);
		return 0;
	}
	if (!json_is_string(v))
		return fail(x, 400, k, "field '%s': expected a string", k);
	if (json_string_length(v) > max ||
		strlen(json_string_value(v)) != json_string_length(v))
		return fail(x, 400, k,
			"field '%s': longer than %zu bytes or contains NUL", k,
			max);
	*out = json_string_value(v);
	return 0;
}

static int
f_id(struct ctx *x, json_t *o, const char *k, bool req, const char **out)
{
	if (f_str(x, o, k, req, NCTL_ID_MAX - 1, out) < 0)
		return -1;
	if (*out != NULL && !id_valid(*out))
		return fail(x, 400, k, "field '%s': 1-63 characters of "
			"[A-Za-z0-9._-]", k);
	return 0;
}

static int
f_addr(struct ctx *x, json_t *o, const char *k, const char **out)
{
	uint8_t a[16];

	if (f_str(x, o, k, false, 63, out) < 0)
		return -1;
	if (*out != NULL && inet_pton(AF_INET, *out, a) != 1 &&
		inet_pton(AF_INET6, *out, a) != 1)
		return fail(x, 400, k, "field '%s': expected an IPv4 or IPv6 "
			"address", k);
	return 0;
}

static int
f_num(struct ctx *x, json_t *o, const char *k, bool req, double lo,
	double hi, double *out)
{
	json_t *v = json_object_get(o, k);
	double d;

	if (v == NULL || json_is_null(v)) {
		if (req)
			return fail(x, 400, k, "field '%s' is required", k);
		return 1;
	}
	if (!json_is_number(v))
		return fail(x, 400, k, "field '%s': expected a number", k);
	d = json_number_value(v);
	if (!isfinite(d) || d < lo || d > hi)
		return fail(x, 400, k, "field '%s': out of range (%g..%g)", k,
			lo, hi);
	*out = d;
	return 0;
}

static int
f_int(struct ctx *x, json_t *o, const char *k, bool req, json_int_t lo,
	json_int_t hi, json_int_t *out)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL || json_is_null(v)) {
		if (req)
			return fail(x, 400, k, "field '%s' is required", k);
		return 1;
	}
	if (!json_is_integer(v))
		return fail(x, 400, k, "field '%s': expected an integer", k);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(x, 400, k, "field '%s': out of range", k);
	*out = json_integer_value(v);
	return 0;
}

static int
f_obj(struct ctx *x, json_t *o, const char *k, bool req, json_t **out)
{
	json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (req)
			return fail(x, 400, k, "field '%s' is required", k);
		return 0;
	}
	if (!json_is_object(v))
		return fail(x, 400, k, "field '%s': expected an object", k);
	*out = v;
	return 0;
}

static int
need_body(struct ctx *x)
{
	json_error_t e;

	if (x->body_len == 0)
		return fail(x, 400, NULL, "a JSON object body is required");
	x->in = json_loadb(x->body, x->body_len,
		JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK * 0, &e);
	if (x->in == NULL)
		return fail(x, 400, NULL, "malformed JSON: %s (line %d, "
			"column %d)", e.text, e.line, e.column);
	if (!json_is_object(x->in))
		return fail(x, 400, NULL, "the body must be a JSON object");
	return 0;
}

/* ---- authentication ---- */

static const char *
hdr(struct ctx *x, const char *name)
{
	return MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, name);
}

static const char *
psk_of(const struct nctl_config *c, const char *id)
{
	for (unsigned i = 0; i < c->n_psk_devices; i++)
		if (strcmp(c->psk_devices[i].id, id) == 0)
			return c->psk_devices[i].psk;
	return NULL;
}

/*
 * The keys id may sign with: the admin token (id "admin"), the
 * device's issued credential, its pre-shared key from security.devices,
 * or (registration of an unlisted device only) the default PSK.
 */
static int
keys_for(struct ctx *x, const char *id, bool is_register,
	const char *keys[3], bool bootstrap[3])
{
	const struct nctl_config *c = x->S->cfg;
	struct dev *d;
	const char *psk;
	int n = 0;

	if (strcmp(id, "admin") == 0) {
		if (c->admin_token[0] != '\0') {
			bootstrap[n] = false;
			keys[n++] = c->admin_token;
		}
		return n;
	}
	d = dev_find(x->S, id);
	if (d != NULL) {
		bootstrap[n] = false;
		keys[n++] = d->cred;
	}
	psk = psk_of(c, id);
	if (psk != NULL) {
		bootstrap[n] = false;
		keys[n++] = psk;
	} else if (is_register && c->default_psk[0] != '\0') {
		bootstrap[n] = true;
		keys[n++] = c->default_psk;
	}
	return n;
}

static int
authenticate(struct ctx *x, bool is_register)
{
	const char *authz = hdr(x, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *keys[3];
	bool boot[3];
	int n;

	if (!x->S->cfg->auth) {
		x->who.admin = true;
		return 0;
	}
	if (authz != NULL && strncmp(authz, "Bearer ", 7) == 0) {
		const char *tok = authz + 7, *colon = strchr(tok, ':');
		char id[NCTL_ID_MAX];

		if (colon == NULL || colon - tok >= NCTL_ID_MAX ||
			colon == tok)
			goto refuse_fmt;
		memcpy(id, tok, (size_t)(colon - tok));
		id[colon - tok] = '\0';
		n = keys_for(x, id, is_register, keys, boot);
		for (int i = 0; i < n; i++)
			if (nctl_str_eq_ct(keys[i], colon + 1)) {
				snprintf(x->who.id, sizeof(x->who.id), "%s",
					id);
				x->who.admin = strcmp(id, "admin") == 0;
				x->who.bootstrap = boot[i];
				return 0;
			}
		goto refuse;
	}
	{
		const char *id = hdr(x, "X-Nctl-Id");
		const char *ts = hdr(x, "X-Nctl-Timestamp");
		const char *nonce = hdr(x, "X-Nctl-Nonce");
		const char *sig = hdr(x, "X-Nctl-Signature");
		char *end;
		double t;
		int rc;

		if (id == NULL || ts == NULL || nonce == NULL || sig == NULL)
			return fail(x, 401, NULL, "authentication required: "
				"Authorization: Bearer ID:TOKEN, or X-Nctl-Id, "
				"X-Nctl-Timestamp, X-Nctl-Nonce and "
				"X-Nctl-Signature");
		if (!id_valid(id) || !nctl_nonce_valid(nonce))
			goto refuse_fmt;
		errno = 0;
		t = strtod(ts, &end);
		if (end == ts || *end != '\0' || errno != 0 || !isfinite(t))
			goto refuse_fmt;
		if (fabs(x->now - t) > x->S->cfg->time_window_s) {
			x->S->refused_auth++;
			return fail(x, 401, NULL, "timestamp outside the %u s "
				"window", x->S->cfg->time_window_s);
		}
		n = keys_for(x, id, is_register, keys, boot);
		for (int i = 0; i < n; i++) {
			if (!nctl_sig_ok(keys[i], strlen(keys[i]), x->method,
				    x->path, ts, nonce, x->body, x->body_len,
				    sig))
				continue;
			/* only a verified request may take a cache slot */
			rc = nctl_nonces_check(x->S->nonces, id, nonce,
				x->now);
			if (rc == -EEXIST) {
				x->S->refused_auth++;
				return fail(x, 401, NULL, "replayed nonce");
			}
			if (rc == -ENOSPC)
				return fail(x, 503, NULL, "replay cache full; "
					"retry later");
			snprintf(x->who.id, sizeof(x->who.id), "%s", id);
			x->who.admin = strcmp(id, "admin") == 0;
			x->who.bootstrap = boot[i];
			return 0;
		}
	}
refuse:
	x->S->refused_auth++;
	return fail(x, 401, NULL, "bad credentials or signature");
refuse_fmt:
	x->S->refused_auth++;
	return fail(x, 401, NULL, "malformed authentication headers");
}

/* May the caller act for device id? */
static int
may_act_for(struct ctx *x, const char *id)
{
	if (x->who.admin)
		return 0;
	if (x->who.bootstrap || strcmp(x->who.id, id) != 0)
		return fail(x, 403, NULL, "not allowed for '%s'", id);
	return 0;
}

static int
admin_only(struct ctx *x)
{
	if (!x->who.admin)
		return fail(x, 403, NULL, "admin only");
	return 0;
}

/* ---- JSON of the state ---- */

static json_t *
json_from_text(const char *s)
{
	json_t *v;

	if (s == NULL)
		return json_null();
	v = json_loads(s, JSON_DECODE_ANY, NULL);
	return v != NULL ? v : json_null();
}

static double
server_score(const struct nctl_server *S, unsigned i)
{
	return nctl_score(&S->cfg->algo, &S->servers[i].m);
}

static bool
server_active(const struct nctl_server *S, unsigned i, double now)
{
	return nctl_server_active(&S->cfg->algo, S->servers[i].last_report,
		now);
}

static double
round3(double v)
{
	return round(v * 1000) / 1000;
}

static json_t *
server_json(const struct nctl_server *S, unsigned i, double now)
{
	const struct server *s = &S->servers[i];

	return json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:I, s:f, s:f, s:f,"
			 " s:I, s:I, s:s, s:s}",
		"server_id", s->id, "server_name", s->name, "status",
		server_active(S, i, now) ? "active" : "inactive",
		"cpu_percent", s->m.cpu_percent, "memory_percent",
		s->m.memory_percent, "bandwidth_mbps", s->m.bandwidth_mbps,
		"active_tunnels", (json_int_t)s->m.active_tunnels, "score",
		round3(server_score(S, i)), "last_report", s->last_report,
		"timestamp", s->timestamp, "total_rx_packets",
		(json_int_t)s->rx, "total_tx_packets", (json_int_t)s->tx,
		"internal_ip", s->internal_ip, "external_ip", s->external_ip);
}

/* ---- load balancer ---- */

static int
persist_server(struct ctx *x, unsigned i)
{
	struct nctl_server *S = x->S;
	json_t *j = server_json(S, i, x->now);
	char *text = json_dumps(j, JSON_COMPACT);
	sqlite3_stmt *st = NULL;
	int rc = -1;

	json_decref(j);
	if (text == NULL)
		return -1;
	if (sqlite3_prepare_v2(S->db, "INSERT INTO servers(server_id, data, "
		    "last_report) VALUES (?1, ?2, ?3) ON CONFLICT(server_id) "
		    "DO UPDATE SET data = ?2, last_report = ?3",
		    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, S->servers[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, S->servers[i].last_report);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(st);
	free(text);
	return rc;
}

static int
h_metrics(struct ctx *x)
{
	struct nctl_server *S = x->S;
	const char *sid, *name, *iip, *eip;
	struct nctl_metrics m;
	json_int_t tun, rx = 0, tx = 0;
	double ts = x->now;
	struct server old, *s;
	struct dev *d;
	int i;

	if (need_body(x) < 0 || f_id(x, x->in, "server_id", true, &sid) < 0 ||
		f_str(x, x->in, "server_name", false, 127, &name) < 0 ||
		f_num(x, x->in, "timestamp", false, 0, 1e12, &ts) < 0 ||
		f_num(x, x->in, "cpu_percent", true, 0, 100,
			&m.cpu_percent) < 0 ||
		f_num(x, x->in, "memory_percent", true, 0, 100,
			&m.memory_percent) < 0 ||
		f_num(x, x->in, "bandwidth_mbps", true, 0, 1e9,
			&m.bandwidth_mbps) < 0 ||
		f_int(x, x->in, "active_tunnels", true, 0, 100000000, &tun) < 0 ||
		f_int(x, x->in, "total_rx_packets", false, 0, INT64_MAX, &rx) < 0 ||
		f_int(x, x->in, "total_tx_packets", false, 0, INT64_MAX, &tx) < 0 ||
		f_addr(x, x->in, "internal_ip", &iip) < 0 ||
		f_addr(x, x->in, "external_ip", &eip) < 0)
		return -1;
	m.active_tunnels = (double)tun;
	if (may_act_for(x, sid) < 0)
		return -1;
	d = dev_find(S, sid);
	if (d == NULL)
		return fail(x, 404, "server_id", "unknown device '%s' (register "
			"it first)", sid);
	i = server_find(S, sid);
	if (i < 0) {
		if (S->nservers == NCTL_MAX_SERVERS)
			return fail(x, 503, NULL, "too many routing servers "
				"(max %d)", NCTL_MAX_SERVERS);
		i = (int)S->nservers;
		memset(&S->servers[i], 0, sizeof(S->servers[i]));
		snprintf(S->servers[i].id, sizeof(S->servers[i].id), "%s", sid);
	}
	s = &S->servers[i];
	old = *s;
	snprintf(s->name, sizeof(s->name), "%s", name ? name : sid);
	s->m = m;
	s->timestamp = ts;
	s->last_report = x->now;
	s->rx = rx;
	s->tx = tx;
	if (iip != NULL)
		snprintf(s->internal_ip, sizeof(s->internal_ip), "%s", iip);
	if (eip != NULL)
		snprintf(s->external_ip, sizeof(s->external_ip), "%s", eip);
	if (nctl_store_begin(S->db) < 0 || persist_server(x, (unsigned)i) < 0 ||
		nctl_store_commit(S->db) < 0) {
		nctl_store_rollback(S->db);
		*s = old;
		return fail(x, 500, NULL, "database: %s",
			sqlite3_errmsg(S->db));
	}
	if ((unsigned)i == S->nservers)
		S->nservers++;
	reply(x, 200, json_pack("{s:s, s:s, s:f}", "status", "ok",
		"server_id", sid, "score", round3(server_score(S, (unsigned)i))));
	return 0;
}

static int
persist_decision(struct nctl_server *S, const struct dev *d, double score)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(S->db, "UPDATE devices SET decision_server = "
		    "?2, decision_since = ?3, decision_score = ?4 WHERE "
		    "device_id = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, S->servers[d->dserver].id, -1,
		SQLITE_STATIC);
	sqlite3_bind_double(st, 3, d->dsince);
	sqlite3_bind_double(st, 4, score);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

static int
decide(struct ctx *x, struct dev *d, bool *changed)
{
	struct nctl_server *S = x->S;
	double score[NCTL_MAX_SERVERS];
	bool active[NCTL_MAX_SERVERS];
	struct nctl_decision dec = { d->dserver, d->dsince };

	for (unsigned i = 0; i < S->nservers; i++) {
		score[i] = server_score(S, i);
		active[i] = server_active(S, i, x->now);
	}
	return nctl_decide(&S->cfg->algo, score, active, S->nservers, &dec,
		x->now, changed) < 0 ? -1 : (d->dserver = dec.server,
		d->dsince = dec.since, d->dserver);
}

static int
h_decision(struct ctx *x, const char *ep)
{
	struct nctl_server *S = x->S;
	struct dev *d = dev_find(S, ep);
	int old, k;
	double old_since;
	bool changed;
	const struct server *s;

	if (d == NULL)
		return fail(x, 404, NULL, "unknown device '%s'", ep);
	if (may_act_for(x, ep) < 0)
		return -1;
	old = d->dserver;
	old_since = d->dsince;
	k = decide(x, d, &changed);
	if (k < 0)
		return fail(x, 503, NULL, "no active routing server");
	if (changed) {
		if (nctl_store_begin(S->db) < 0 ||
			persist_decision(S, d, server_score(S, (unsigned)k)) < 0 ||
			nctl_store_commit(S->db) < 0) {
			nctl_store_rollback(S->db);
			d->dserver = old;
			d->dsince = old_since;
			return fail(x, 500, NULL, "database: %s",
				sqlite3_errmsg(S->db));
		}
	}
	s = &S->servers[k];
	reply(x, 200, json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:b}",
		"optimal_router_id", s->id, "optimal_router_internal_ip",
		s->internal_ip, "optimal_router_external_ip", s->external_ip,
		"business_server_ip", S->cfg->business_server_ip, "score",
		round3(server_score(S, (unsigned)k)), "timestamp", x->now,
		"decided_at", d->dsince, "changed", changed));
	return 0;
}

static unsigned
active_decisions(const struct nctl_server *S, double now)
{
	unsigned n = 0;

	for (uint32_t b = 0; b < S->nbuckets; b++)
		for (const struct dev *d = S->buckets[b]; d; d = d->next)
			if (d->dserver >= 0 &&
				server_active(S, (unsigned)d->dserver, now))
				n++;
	return n;
}

static int
h_lb_status(struct ctx *x)
{
	struct nctl_server *S = x->S;
	json_t *arr = json_array();
	unsigned act = 0;

	for (unsigned i = 0; i < S->nservers; i++) {
		json_array_append_new(arr, server_json(S, i, x->now));
		act += server_active(S, i, x->now);
	}
	reply(x, 200, json_pack("{s:f, s:I, s:I, s:o, s:I}", "timestamp",
		x->now, "total_servers", (json_int_t)S->nservers,
		"active_servers", (json_int_t)act, "servers", arr,
		"active_decisions", (json_int_t)active_decisions(S, x->now)));
	return 0;
}

static int
h_health(struct ctx *x)
{
	struct nctl_server *S = x->S;

	reply(x, 200, json_pack("{s:s, s:s, s:f, s:I, s:I, s:{s:I, s:I, s:I,"
				" s:I}}",
		"status", "healthy", "service", "neptune-controller",
		"timestamp", x->now, "devices", (json_int_t)S->ndevs,
		"routing_servers", (json_int_t)S->nservers, "pools",
		"ipv4_used", (json_int_t)S->pool4.used, "ipv4_size",
		(json_int_t)S->pool4.size, "ipv6_used",
		(json_int_t)S->pool6.used, "ipv6_size",
		(json_int_t)S->pool6.size));
	return 0;
}

/* ---- controller ---- */

static const char *const device_types[] = { "endpoint", "routing_server",
	NULL };

static int
h_register(struct ctx *x)
{
	struct nctl_server *S = x->S;
	const char *id, *type, *name, *iip, *eip;
	json_t *caps, *info;
	char a4[64] = "", a6[64] = "", *itext;
	struct dev *d;
	bool created = false;
	int64_t i4 = -1, i6 = -1;
	sqlite3_stmt *st = NULL;
	unsigned t;
	int rc;

	if (need_body(x) < 0 || f_id(x, x->in, "device_id", true, &id) < 0 ||
		f_str(x, x->in, "device_type", false, 23, &type) < 0 ||
		f_str(x, x->in, "name", false, 127, &name) < 0 ||
		f_addr(x, x->in, "internal_ip", &iip) < 0 ||
		f_addr(x, x->in, "external_ip", &eip) < 0 ||
		f_obj(x, x->in, "capabilities", false, &caps) < 0)
		return -1;
	if (type == NULL)
		type = "endpoint";
	for (t = 0; device_types[t] != NULL; t++)
		if (strcmp(device_types[t], type) == 0)
			break;
	if (device_types[t] == NULL)
		return fail(x, 400, "device_type", "field 'device_type': "
			"expected endpoint or routing_server");
	if (!x->who.admin && strcmp(x->who.id, id) != 0)
		return fail(x, 403, "device_id", "signed as '%s', registering "
			"'%s'", x->who.id, id);
	if (strcmp(id, "admin") == 0)
		return fail(x, 400, "device_id", "'admin' is reserved");

	/* s*: a field not sent is left out, so registering again keeps it */
	info = json_pack("{s:s*, s:s*, s:O*}", "internal_ip", iip,
		"external_ip", eip, "capabilities", caps);
	itext = json_dumps(info, JSON_COMPACT);
	json_decref(info);
	d = dev_find(S, id);
	if (nctl_store_begin(S->db) < 0) {
		free(itext);
		return fail(x, 500, NULL, "database: %s",
			sqlite3_errmsg(S->db));
	}
	if (d != NULL) {
		/* again: the same addresses and credential */
		rc = sqlite3_prepare_v2(S->db, "UPDATE devices SET device_type "
			"= ?2, name = coalesce(?3, name), info = json_patch("
			"coalesce(info, '{}'), ?4), updated_at = ?5 WHERE "
			"device_id = ?1", -1, &st, NULL);
	} else {
		d = calloc(1, sizeof(*d));
		if (d == NULL)
			goto oom;
		created = true;
		snprintf(d->id, sizeof(d->id), "%s", id);
		d->dserver = -1;
		d->idx4 = d->idx6 = -1;
		if (nctl_random_hex(d->cred, NCTL_CRED_LEN) < 0)
			goto dbfail;
		i4 = nctl_pool_alloc(&S->pool4);
		if (i4 < 0) {
			nctl_store_rollback(S->db);
			free(d);
			free(itext);
			return fail(x, 503, NULL, "tun_ipv4_pool exhausted");
		}
		i6 = nctl_pool_alloc(&S->pool6);
		if (i6 < 0) {
			nctl_pool_release(&S->pool4, (uint32_t)i4);
			nctl_store_rollback(S->db);
			free(d);
			free(itext);
			return fail(x, 503, NULL, "tun_ipv6_pool exhausted");
		}
		d->idx4 = i4;
		d->idx6 = i6;
		rc = sqlite3_prepare_v2(S->db, "INSERT INTO devices(device_id, "
			"device_type, name, info, updated_at, registered_at, "
			"credential, idx4, idx6, tun_ipv4, tun_ipv6) VALUES "
			"(?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10)",
			-1, &st, NULL);
	}
	if (rc != SQLITE_OK)
		goto dbfail;
	nctl_pool_addr(&S->pool4.conf, (uint32_t)d->idx4, a4, sizeof(a4));
	nctl_pool_addr(&S->pool6.conf, (uint32_t)d->idx6, a6, sizeof(a6));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	if (name != NULL || created)
		sqlite3_bind_text(st, 3, name ? name : id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, itext, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, x->now);
	if (created) {
		sqlite3_bind_text(st, 6, d->cred, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, d->idx4);
		sqlite3_bind_int64(st, 8, d->idx6);
		sqlite3_bind_text(st, 9, a4, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, a6, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(st);
	st = NULL;
	if (nctl_store_commit(S->db) < 0)
		goto dbfail_committed;
	free(itext);
	snprintf(d->type, sizeof(d->type), "%s", type);
	if (created)
		dev_insert(S, d);
	reply(x, created ? 201 : 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:f}",
			"status", "registered", "device_id", id,
			"device_type", type, "tun_ipv4", a4, "tun_ipv6", a6,
			"tunnel_port", (json_int_t)S->cfg->tunnel_port,
			"credential", d->cred, "new", created, "timestamp",
			x->now));
	return 0;
dbfail:
	sqlite3_finalize(st);
	nctl_store_rollback(S->db);
dbfail_committed:
	free(itext);
	if (created) {
		if (i4 >= 0)
			nctl_pool_release(&S->pool4, (uint32_t)i4);
		if (i6 >= 0)
			nctl_pool_release(&S->pool6, (uint32_t)i6);
		free(d);
	}
	return fail(x, 500, NULL, "database: %s", sqlite3_errmsg(S->db));
oom:
	nctl_store_rollback(S->db);
	free(itext);
	return fail(x, 500, NULL, "out of memory");
}

/* One UPDATE of a device row in its own committed transaction. */
static int
update_device(struct ctx *x, const char *sql, const char *id,
	const char *t2, double d3, const char *t4, json_int_t i5)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (nctl_store_begin(x->S->db) < 0)
		goto out;
	if (sqlite3_prepare_v2(x->S->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, d3);
	sqlite3_bind_text(st, 4, t4, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, i5);
	ok = sqlite3_step(st) == SQLITE_DONE;
out:
	sqlite3_finalize(st);
	if (!ok) {
		nctl_store_rollback(x->S->db);
		return fail(x, 500, NULL, "database: %s",
			sqlite3_errmsg(x->S->db));
	}
	if (nctl_store_commit(x->S->db) < 0)
		return fail(x, 500, NULL, "database: %s",
			sqlite3_errmsg(x->S->db));
	return 0;
}

static json_int_t
device_int(struct nctl_server *S, const char *id, const char *col)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	json_int_t v = -1;

	snprintf(sql, sizeof(sql), "SELECT %s FROM devices WHERE device_id = ?1",
		col);
	if (sqlite3_prepare_v2(S->db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW &&
			sqlite3_column_type(st, 0) != SQLITE_NULL)
			v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

static int
h_config(struct ctx *x)
{
	const char *id;
	json_t *cfg;
	char *text;
	json_int_t ver;
	int rc;

	if (need_body(x) < 0 || f_id(x, x->in, "device_id", true, &id) < 0 ||
		f_obj(x, x->in, "config", true, &cfg) < 0)
		return -1;
	if (dev_find(x->S, id) == NULL)
		return fail(x, 404, "device_id", "unknown device '%s'", id);
	if (may_act_for(x, id) < 0)
		return -1;
	text = json_dumps(cfg, JSON_COMPACT);
	ver = device_int(x->S, id, "config_version") + 1;
	rc = update_device(x, "UPDATE devices SET config = ?2, updated_at = "
		"?3, config_version = ?5 WHERE device_id = ?1 AND ?4 IS NULL",
		id, text, x->now, NULL, ver);
	free(text);
	if (rc < 0)
		return -1;
	reply(x, 200, json_pack("{s:s, s:s, s:I}", "status", "updated",
		"device_id", id, "config_version", ver));
	return 0;
}

static int
h_dev_status(struct ctx *x)
{
	const char *id, *st, *res, *rerr;
	json_int_t ver = -1, pending;
	json_t *copy, *tun;
	char *text, *rtext = NULL;
	int rc;

	if (need_body(x) < 0 || f_id(x, x->in, "device_id", true, &id) < 0 ||
		f_str(x, x->in, "status", true, 63, &st) < 0 ||
		f_int(x, x->in, "config_version", false, 0, INT64_MAX, &ver) < 0 ||
		f_str(x, x->in, "config_result", false, 15, &res) < 0 ||
		f_str(x, x->in, "config_error", false, 1024, &rerr) < 0)
		return -1;
	tun = json_object_get(x->in, "tunnels");
	if (tun != NULL && !json_is_array(tun))
		return fail(x, 400, "tunnels", "field 'tunnels': expected an "
			"array");
	if (res != NULL && strcmp(res, "applied") != 0 &&
		strcmp(res, "refused") != 0)
		return fail(x, 400, "config_result", "field 'config_result': "
			"expected applied or refused");
	if (res != NULL && ver < 0)
		return fail(x, 400, "config_version", "field 'config_version' "
			"is required with config_result");
	if (dev_find(x->S, id) == NULL)
		return fail(x, 404, "device_id", "unknown device '%s'", id);
	if (may_act_for(x, id) < 0)
		return -1;
	copy = json_deep_copy(x->in);
	json_object_del(copy, "device_id");
	text = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	if (res != NULL) {
		json_t *r = json_pack("{s:I, s:s, s:s?, s:f}", "version", ver,
			"result", res, "error", rerr, "at", x->now);
		rtext = json_dumps(r, JSON_COMPACT);
		json_decref(r);
	}
	/* A result for the pending version settles it (applied: it becomes
	 * the device's config; refused: the config stays as it was). */
	rc = update_device(x, "UPDATE devices SET status = ?2, last_seen = ?3,"
		" config_result = coalesce(?4, config_result),"
		" config = CASE WHEN ?4 IS NOT NULL AND json_extract(?4, "
		"'$.result') = 'applied' AND pending_version = ?5 THEN "
		"pending_config ELSE config END,"
		" pending_config = CASE WHEN ?4 IS NOT NULL AND pending_version"
		" = ?5 THEN NULL ELSE pending_config END,"
		" pending_version = CASE WHEN ?4 IS NOT NULL AND pending_version"
		" = ?5 THEN NULL ELSE pending_version END"
		" WHERE device_id = ?1", id, text, x->now, rtext, ver);
	free(text);
	free(rtext);
	if (rc < 0)
		return -1;
	pending = device_int(x->S, id, "pending_version");
	reply(x, 200, json_pack("{s:s, s:s, s:o}", "status", "ok", "device_id",
		id, "pending_config_version",
		pending >= 0 ? json_integer(pending) : json_null()));
	return 0;
}

static json_t *
device_json(struct ctx *x, sqlite3_stmt *st, bool full)
{
	struct nctl_server *S = x->S;
	const char *id = (const char *)sqlite3_column_text(st, 0);
	struct dev *d = dev_find(S, id);
	json_t *o, *info;

	info = json_from_text((const char *)sqlite3_column_text(st, 4));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:o, s:o}",
		"device_id", id, "device_type", sqlite3_column_text(st, 1),
		"name", sqlite3_column_text(st, 2), "tun_ipv4",
		sqlite3_column_text(st, 5), "tun_ipv6",
		sqlite3_column_text(st, 6), "tunnel_port",
		(json_int_t)S->cfg->tunnel_port, "registered_at",
		sqlite3_column_double(st, 7), "updated_at",
		sqlite3_column_double(st, 8), "status",
		json_from_text((const char *)sqlite3_column_text(st, 9)),
		"last_seen",
		sqlite3_column_type(st, 10) == SQLITE_NULL ? json_null() :
			json_real(sqlite3_column_double(st, 10)));
	if (json_is_object(info)) {
		json_object_set(o, "internal_ip",
			json_object_get(info, "internal_ip") ?: json_null());
		json_object_set(o, "external_ip",
			json_object_get(info, "external_ip") ?: json_null());
		if (full && json_object_get(info, "capabilities"))
			json_object_set(o, "capabilities",
				json_object_get(info, "capabilities"));
	}
	json_decref(info);
	if (d != NULL && d->dserver >= 0)
		json_object_set_new(o, "decision",
			json_pack("{s:s, s:f}", "router_id",
				S->servers[d->dserver].id, "since",
				d->dsince));
	else
		json_object_set_new(o, "decision", json_null());
	if (!full)
		return o;
	json_object_set_new(o, "config",
		json_from_text((const char *)sqlite3_column_text(st, 11)));
	json_object_set_new(o, "config_version",
		json_integer(sqlite3_column_int64(st, 12)));
	if (sqlite3_column_type(st, 14) != SQLITE_NULL)
		json_object_set_new(o, "pending_config",
			json_pack("{s:I, s:o}", "version",
				(json_int_t)sqlite3_column_int64(st, 14),
				"config",
				json_from_text((const char *)
						sqlite3_column_text(st, 13))));
	else
		json_object_set_new(o, "pending_config", json_null());
	json_object_set_new(o, "config_result",
		json_from_text((const char *)sqlite3_column_text(st, 15)));
	return o;
}

#define DEVICE_COLS                                                           \
	"device_id, device_type, name, credential, info, tun_ipv4, tun_ipv6,"\
	" registered_at, updated_at, status, last_seen, config,"            \
	" config_version, pending_config, pending_version, config_result"

static int
h_device(struct ctx *x, const char *id)
{
	sqlite3_stmt *st = NULL;

	if (dev_find(x->S, id) == NULL)
		return fail(x, 404, NULL, "unknown device '%s'", id);
	if (may_act_for(x, id) < 0)
		return -1;
	if (sqlite3_prepare_v2(x->S->db, "SELECT " DEVICE_COLS " FROM devices"
		    " WHERE device_id = ?1", -1, &st, NULL) != SQLITE_OK)
		return fail(x, 500, NULL, "database: %s",
			sqlite3_errmsg(x->S->db));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return fail(x, 404, NULL, "unknown device '%s'", id);
	}
	reply(x, 200, device_json(x, st, true));
	sqlite3_finalize(st);
	return 0;
}

static int
h_devices(struct ctx *x)
{
	sqlite3_stmt *st = NULL;
	json_t *arr;

	if (admin_only(x) < 0)
		return -1;
	if (sqlite3_prepare_v2(x->S->db, "SELECT " DEVICE_COLS " FROM devices"
		    " ORDER BY device_id", -1, &st, NULL) != SQLITE_OK)
		return fail(x, 500, NULL, "database: %s",
			sqlite3_errmsg(x->S->db));
	arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, device_json(x, st, false));
	sqlite3_finalize(st);
	reply(x, 200, json_pack("{s:f, s:I, s:o}", "timestamp", x->now,
		"total", (json_int_t)json_array_size(arr), "devices", arr));
	return 0;
}

static int
h_topology(struct ctx *x)
{
	struct nctl_server *S = x->S;
	sqlite3_stmt *st = NULL;
	json_t *servers = json_array(), *eps = json_array(),
	       *links = json_array();

	if (admin_only(x) < 0) {
		json_decref(servers);
		json_decref(eps);
		json_decref(links);
		return -1;
	}
	for (unsigned i = 0; i < S->nservers; i++)
		json_array_append_new(servers, server_json(S, i, x->now));
	if (sqlite3_prepare_v2(S->db, "SELECT device_id, device_type, "
		    "tun_ipv4, tun_ipv6, status FROM devices ORDER BY device_id",
		    -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(st, 0);
			const char *type = (const char *)sqlite3_column_text(st, 1);
			struct dev *d = dev_find(S, id);
			json_t *status = json_from_text(
				(const char *)sqlite3_column_text(st, 4));
			json_t *tuns = json_object_get(status, "tunnels");
			const char *pref = d && d->dserver >= 0 ?
				S->servers[d->dserver].id : NULL;
			size_t k;
			json_t *t;

			if (strcmp(type, "endpoint") != 0) {
				json_decref(status);
				continue;
			}
			json_array_append_new(eps,
				json_pack("{s:s, s:s, s:s, s:s?}", "device_id",
					id, "tun_ipv4",
					sqlite3_column_text(st, 2), "tun_ipv6",
					sqlite3_column_text(st, 3),
					"decision", pref));
			/* links: the tunnels the endpoint reports, else the
			 * decision alone */
			if (json_is_array(tuns) && json_array_size(tuns) > 0) {
				json_array_foreach(tuns, k, t) {
					const char *hub = json_string_value(
						json_object_get(t, "hub"));
					const char *state = json_string_value(
						json_object_get(t, "state"));

					if (hub == NULL)
						continue;
					json_array_append_new(links,
						json_pack("{s:s, s:s, s:s, s:b}",
							"endpoint", id,
							"router", hub, "state",
							state ? state : "unknown",
							"preferred",
							pref && strcmp(pref,
								hub) == 0));
				}
			} else if (pref != NULL) {
				json_array_append_new(links,
					json_pack("{s:s, s:s, s:s, s:b}",
						"endpoint", id, "router", pref,
						"state", "unknown",
						"preferred", 1));
			}
			json_decref(status);
		}
	sqlite3_finalize(st);
	reply(x, 200, json_pack("{s:f, s:o, s:o, s:o, s:s}", "timestamp",
		x->now, "routing_servers", servers, "endpoints", eps, "links",
		links, "business_server_ip", S->cfg->business_server_ip));
	return 0;
}

static int
h_push_config(struct ctx *x, const char *id)
{
	json_t *cfg;
	char *text;
	json_int_t ver;
	int rc;

	if (dev_find(x->S, id) == NULL)
		return fail(x, 404, NULL, "unknown device '%s'", id);
	if (admin_only(x) < 0 || need_body(x) < 0 ||
		f_obj(x, x->in, "config", true, &cfg) < 0)
		return -1;
	text = json_dumps(cfg, JSON_COMPACT);
	ver = device_int(x->S, id, "config_version") + 1;
	rc = update_device(x, "UPDATE devices SET pending_config = ?2, "
		"pending_version = ?5, config_version = ?5, updated_at = ?3 "
		"WHERE device_id = ?1 AND ?4 IS NULL", id, text, x->now, NULL,
		ver);
	free(text);
	if (rc < 0)
		return -1;
	reply(x, 202, json_pack("{s:s, s:s, s:I}", "status", "queued",
		"device_id", id, "version", ver));
	return 0;
}

static int
h_remove(struct ctx *x, const char *id)
{
	struct nctl_server *S = x->S;
	struct dev *d = dev_find(S, id);
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (d == NULL)
		return fail(x, 404, NULL, "unknown device '%s'", id);
	if (admin_only(x) < 0)
		return -1;
	if (nctl_store_begin(S->db) == 0 &&
		sqlite3_prepare_v2(S->db, "DELETE FROM devices WHERE device_id "
			"= ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (!ok || nctl_store_commit(S->db) < 0) {
		nctl_store_rollback(S->db);
		return fail(x, 500, NULL, "database: %s",
			sqlite3_errmsg(S->db));
	}
	/* the addresses go back to the pools only once the row is gone */
	if (d->idx4 >= 0)
		nctl_pool_release(&S->pool4, (uint32_t)d->idx4);
	if (d->idx6 >= 0)
		nctl_pool_release(&S->pool6, (uint32_t)d->idx6);
	dev_remove(S, d);
	reply(x, 200, json_pack("{s:s, s:s}", "status", "removed", "device_id",
		id));
	return 0;
}

/* ---- routing ---- */

/* "/prefix/ID" -> ID (valid), else NULL */
static const char *
path_arg(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0)
		return NULL;
	return path + n;
}

static void
route(struct ctx *x)
{
	const char *p = x->path, *m = x->method, *arg;
	bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
	bool del = strcmp(m, "DELETE") == 0;
	int known = 1;

	if (strcmp(p, "/health") == 0) {
		if (get)
			h_health(x);
		else
			goto method;
		return;
	}
	/* Everything else is authenticated, before the body is parsed. */
	if (strcmp(p, "/metrics") == 0 || strcmp(p, "/status") == 0 ||
		strcmp(p, "/register") == 0 || strcmp(p, "/config") == 0 ||
		strcmp(p, "/devices") == 0 || strcmp(p, "/topology") == 0 ||
		path_arg(p, "/decision/") || path_arg(p, "/device/") ||
		path_arg(p, "/push_config/"))
		known = 1;
	else
		known = 0;
	if (!known) {
		fail(x, 404, NULL, "no such endpoint: %s", p);
		return;
	}
	if (authenticate(x, post && strcmp(p, "/register") == 0) < 0)
		return;
	if (x->who.bootstrap && strcmp(p, "/register") != 0) {
		fail(x, 403, NULL, "the default PSK only registers");
		return;
	}
	if (strcmp(p, "/metrics") == 0 && post)
		h_metrics(x);
	else if (strcmp(p, "/status") == 0 && get)
		h_lb_status(x);
	else if (strcmp(p, "/status") == 0 && post)
		h_dev_status(x);
	else if (strcmp(p, "/register") == 0 && post)
		h_register(x);
	else if (strcmp(p, "/config") == 0 && post)
		h_config(x);
	else if (strcmp(p, "/devices") == 0 && get)
		h_devices(x);
	else if (strcmp(p, "/topology") == 0 && get)
		h_topology(x);
	else if ((arg = path_arg(p, "/decision/")) != NULL && get)
		id_valid(arg) ? h_decision(x, arg) :
				fail(x, 404, NULL, "unknown device");
	else if ((arg = path_arg(p, "/device/")) != NULL && (get || del))
		!id_valid(arg) ? fail(x, 404, NULL, "unknown device") :
		get		? h_device(x, arg) :
				  h_remove(x, arg);
	else if ((arg = path_arg(p, "/push_config/")) != NULL && post)
		id_valid(arg) ? h_push_config(x, arg) :
				fail(x, 404, NULL, "unknown device");
	else
		goto method;
	return;
method:
	fail(x, 405, NULL, "method %s not allowed on %s", m, p);
}

/* ---- libmicrohttpd ---- */

static enum MHD_Result
send_json(struct MHD_Connection *conn, unsigned code, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t n;

	if (text == NULL)
		text = strdup("{\"error\":\"internal\"}");
	if (text == NULL)
		return MHD_NO;
	n = strlen(text);
	r = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		"application/json");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_error(struct MHD_Connection *conn, unsigned code, const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	enum MHD_Result r = send_json(conn, code, o);

	json_decref(o);
	return r;
}

/* Token bucket per client address (a hash slot; collisions share). */
static bool
rate_ok(struct nctl_server *S, struct MHD_Connection *conn, double now)
{
	const union MHD_ConnectionInfo *ci;
	uint8_t a[16] = { 0 };
	uint64_t h = 1469598103934665603ull;
	struct rate *r;

	if (S->cfg->rate_per_s == 0)
		return true;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		if (ci->client_addr->sa_family == AF_INET)
			memcpy(a, &((const struct sockaddr_in *)ci->client_addr)
					->sin_addr, 4);
		else if (ci->client_addr->sa_family == AF_INET6)
			memcpy(a, &((const struct sockaddr_in6 *)
					ci->client_addr)->sin6_addr, 16);
	}
	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	r = &S->rates[h % RATE_SLOTS];
	if (memcmp(r->addr, a, 16) != 0 || r->last == 0) {
		memcpy(r->addr, a, 16);
		r->tokens = S->cfg->rate_burst;
		r->last = now;
	}
	r->tokens += (now - r->last) * S->cfg->rate_per_s;
	if (r->tokens > S->cfg->rate_burst)
		r->tokens = S->cfg->rate_burst;
	r->last = now;
	if (r->tokens < 1)
		return false;
	r->tokens -= 1;
	return true;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *upload,
	size_t *upload_size, void **con_cls)
{
	struct nctl_server *S = cls;
	struct req *rq = *con_cls;
	struct ctx x;
	enum MHD_Result ret;

	(void)version;
	if (rq == NULL) {
		const char *cl = MHD_lookup_connection_value(conn,
			MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

		rq = calloc(1, sizeof(*rq));
		if (rq == NULL)
			return MHD_NO;
		*con_cls = rq;
		S->requests++;
		if (!rate_ok(S, conn, now_s())) {
			S->refused_rate++;
			rq->limited = true;
			return send_error(conn, 429, "rate limit");
		}
		/* refuse a declared oversized body before reading it */
		if (cl != NULL && strtoull(cl, NULL, 10) > S->cfg->max_body) {
			rq->replied = true;
			return send_error(conn, 413, "request body too large");
		}
		return MHD_YES;
	}
	if (rq->limited || rq->replied) {
		*upload_size = 0;	/* the answer is queued: drop the body */
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (rq->too_big || rq->len + *upload_size > S->cfg->max_body) {
			rq->too_big = true;
			*upload_size = 0;
			return MHD_YES;
		}
		if (rq->len + *upload_size + 1 > rq->cap) {
			size_t cap = rq->cap ? rq->cap * 2 : 4096;
			char *b;

			while (cap < rq->len + *upload_size + 1)
				cap *= 2;
			b = realloc(rq->body, cap);
			if (b == NULL)
				return MHD_NO;
			rq->body = b;
			rq->cap = cap;
		}
		memcpy(rq->body + rq->len, upload, *upload_size);
		rq->len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return send_error(conn, 413, "request body too large");

	memset(&x, 0, sizeof(x));
	x.S = S;
	x.conn = conn;
	x.method = method;
	x.path = url;
	x.body = rq->body != NULL ? rq->body : "";
	x.body_len = rq->len;
	x.now = now_s();
	x.code = 500;
	route(&x);
	if (x.out == NULL)
		x.out = json_pack("{s:s}", "error", "internal");
	ret = send_json(conn, x.code, x.out);
	json_decref(x.out);
	json_decref(x.in);
	return ret;
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq != NULL) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

/* ---- start-up ---- */

static int
load_state(struct nctl_server *S, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(S->db, "SELECT device_id, device_type, "
		"credential, idx4, idx6, decision_server, decision_since FROM "
		"devices", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto dberr;
	/* servers first: decisions refer to them */
	{
		sqlite3_stmt *ss = NULL;

		if (sqlite3_prepare_v2(S->db, "SELECT server_id, data, "
			    "last_report FROM servers ORDER BY server_id", -1,
			    &ss, NULL) != SQLITE_OK)
			goto dberr;
		while (sqlite3_step(ss) == SQLITE_ROW &&
			S->nservers < NCTL_MAX_SERVERS) {
			struct server *s = &S->servers[S->nservers];
			json_t *j = json_from_text(
				(const char *)sqlite3_column_text(ss, 1));

			memset(s, 0, sizeof(*s));
			snprintf(s->id, sizeof(s->id), "%s",
				sqlite3_column_text(ss, 0));
			snprintf(s->name, sizeof(s->name), "%s",
				json_string_value(json_object_get(j,
					"server_name")) ?: s->id);
			s->m.cpu_percent = json_number_value(
				json_object_get(j, "cpu_percent"));
			s->m.memory_percent = json_number_value(
				json_object_get(j, "memory_percent"));
			s->m.bandwidth_mbps = json_number_value(
				json_object_get(j, "bandwidth_mbps"));
			s->m.active_tunnels = json_number_value(
				json_object_get(j, "active_tunnels"));
			s->timestamp = json_number_value(
				json_object_get(j, "timestamp"));
			s->rx = json_integer_value(
				json_object_get(j, "total_rx_packets"));
			s->tx = json_integer_value(
				json_object_get(j, "total_tx_packets"));
			snprintf(s->internal_ip, sizeof(s->internal_ip), "%s",
				json_string_value(json_object_get(j,
					"internal_ip")) ?: "");
			snprintf(s->external_ip, sizeof(s->external_ip), "%s",
				json_string_value(json_object_get(j,
					"external_ip")) ?: "");
			s->last_report = sqlite3_column_double(ss, 2);
			json_decref(j);
			S->nservers++;
		}
		sqlite3_finalize(ss);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dev *d = calloc(1, sizeof(*d));

		if (d == NULL)
			goto oom;
		snprintf(d->id, sizeof(d->id), "%s", sqlite3_column_text(st, 0));
		snprintf(d->type, sizeof(d->type), "%s",
			sqlite3_column_text(st, 1));
		snprintf(d->cred, sizeof(d->cred), "%s",
			sqlite3_column_text(st, 2));
		d->idx4 = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 :
			sqlite3_column_int64(st, 3);
		d->idx6 = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 :
			sqlite3_column_int64(st, 4);
		/* An address outside a changed pool stays the device's but
		 * is not the pool's to track. */
		if (d->idx4 >= 0 && nctl_pool_take(&S->pool4,
					   (uint32_t)d->idx4) == -EEXIST) {
			snprintf(err, errlen, "database: IPv4 index %lld held "
				"twice", (long long)d->idx4);
			free(d);
			goto fail;
		}
		if (d->idx6 >= 0 && nctl_pool_take(&S->pool6,
					   (uint32_t)d->idx6) == -EEXIST) {
			snprintf(err, errlen, "database: IPv6 index %lld held "
				"twice", (long long)d->idx6);
			free(d);
			goto fail;
		}
		d->dserver = -1;
		if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
			d->dserver = server_find(S,
				(const char *)sqlite3_column_text(st, 5));
			d->dsince = sqlite3_column_double(st, 6);
		}
		dev_insert(S, d);
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	return 0;
dberr:
	snprintf(err, errlen, "database: %s", sqlite3_errmsg(S->db));
fail:
	sqlite3_finalize(st);
	return -1;
oom:
	snprintf(err, errlen, "out of memory");
	goto fail;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
		n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf != NULL) {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

struct nctl_server *
nctl_server_start(const struct nctl_config *cfg, char *err, size_t errlen)
{
	struct nctl_server *S = calloc(1, sizeof(*S));
	struct sockaddr_in6 sa6;
	struct sockaddr_in sa4;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

	if (S == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	S->cfg = cfg;
	S->nbuckets = DEV_BUCKETS_MIN;
	S->buckets = calloc(S->nbuckets, sizeof(*S->buckets));
	S->rates = calloc(RATE_SLOTS, sizeof(*S->rates));
	S->nonces = nctl_nonces_new(cfg->nonce_cache, cfg->time_window_s);
	if (S->buckets == NULL || S->rates == NULL || S->nonces == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (nctl_pool_init(&S->pool4, &cfg->pool4) < 0 ||
		nctl_pool_init(&S->pool6, &cfg->pool6) < 0) {
		snprintf(err, errlen, "address pools: bad range");
		goto fail;
	}
	if (nctl_store_open(&S->db, cfg->database, cfg->sync_full, err,
		    errlen) < 0 ||
		load_state(S, err, errlen) < 0)
		goto fail;

	memset(&sa4, 0, sizeof(sa4));
	memset(&sa6, 0, sizeof(sa6));
	if (inet_pton(AF_INET, cfg->listen, &sa4.sin_addr) == 1) {
		sa4.sin_family = AF_INET;
		sa4.sin_port = htons(cfg->port);
		sa = (struct sockaddr *)&sa4;
	} else if (inet_pton(AF_INET6, cfg->listen, &sa6.sin6_addr) == 1) {
		sa6.sin6_family = AF_INET6;
		sa6.sin6_port = htons(cfg->port);
		sa = (struct sockaddr *)&sa6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "bad listen address %s", cfg->listen);
		goto fail;
	}
	if (cfg->tls_cert[0] != '\0') {
		S->tls_cert = slurp(cfg->tls_cert);
		S->tls_key = slurp(cfg->tls_key);
		if (S->tls_cert == NULL || S->tls_key == NULL) {
			snprintf(err, errlen, "cannot read %s or %s",
				cfg->tls_cert, cfg->tls_key);
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
	S->mhd = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request, S,
		MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)cfg->per_ip_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, S,
		S->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		S->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, S->tls_key,
		MHD_OPTION_END);
	if (S->mhd == NULL) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s",
			cfg->listen, cfg->port, strerror(errno));
		goto fail;
	}
	return S;
fail:
	nctl_server_stop(S);
	return NULL;
}

unsigned
nctl_server_devices(const struct nctl_server *S)
{
	return S->ndevs;
}

void
nctl_server_stop(struct nctl_server *S)
{
	if (S == NULL)
		return;
	if (S->mhd != NULL)
		MHD_stop_daemon(S->mhd);
	if (S->db != NULL)
		sqlite3_close(S->db);
	for (uint32_t b = 0; S->buckets != NULL && b < S->nbuckets; b++)
		for (struct dev *d = S->buckets[b], *n; d != NULL; d = n) {
			n = d->next;
			free(d);
		}
	free(S->buckets);
	free(S->rates);
	nctl_nonces_free(S->nonces);
	nctl_pool_fini(&S->pool4);
	nctl_pool_fini(&S->pool6);
	free(S->tls_cert);
	free(S->tls_key);
	free(S);
}
