/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client thread: every request to neptune-controller is made here,
 * with libcurl and a timeout, so a slow or dead controller delays only
 * this thread. It registers (retrying with backoff), then every
 * interval: a hub posts the latest metrics sample, an endpoint asks for
 * its decision; both post their status and fetch a pending configuration.
 * Requests are signed: HMAC-SHA-256 (OpenSSL) over method, path,
 * timestamp, nonce and body, with the pre-shared key for registration and
 * the issued credential after it (docs/controller.md, "Security").
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <rte_lcore.h>

#include "ctl.h"

#define RESP_MAX (1 << 20)	/* a reply larger than this is refused */

struct resp {
	char *buf;
	size_t len;
	bool too_big;
};

struct client {
	CURL *curl;
	struct ctl_config conf;
	bool hub;
	char cred[CTL_KEY_MAX];		/* issued at registration */
	int64_t push_seen;		/* last pushed version handled */
	double next_register, backoff;
	double next_round;
	uint64_t sample_sent;
};

struct ctl_shared ctl_shared = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_t ctl_tid;
static bool ctl_running;

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool
stopping(void)
{
	return __atomic_load_n(&ctl_shared.stop, __ATOMIC_ACQUIRE);
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t k = sz * n;
	char *b;

	if (r->len + k > RESP_MAX) {
		r->too_big = true;
		return 0;		/* aborts the transfer */
	}
	b = realloc(r->buf, r->len + k + 1);
	if (b == NULL)
		return 0;
	memcpy(b + r->len, p, k);
	r->buf = b;
	r->len += k;
	r->buf[r->len] = '\0';
	return k;
}

static void
note_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
note_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ctl_shared.lock);
	snprintf(ctl_shared.last_error, sizeof(ctl_shared.last_error), "%s",
		msg);
	ctl_shared.req_failed++;
	pthread_mutex_unlock(&ctl_shared.lock);
}

/*
 * One request. body: NULL or a JSON object (stolen). with_psk: sign with
 * the pre-shared key (registration), else the credential. Returns the
 * HTTP status (and *out the parsed reply, or NULL), -1 on no answer.
 */
static int
request(struct client *c, const char *method, const char *path,
	json_t *body, bool with_psk, json_t **out)
{
	const char *key = with_psk ? c->conf.psk : c->cred;
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	size_t blen = text != NULL ? strlen(text) : 0;
	char url[CTL_URL_MAX + 128], ts[32], nonce[33], sig[65];
	char h_id[96], h_ts[64], h_nonce[64], h_sig[96];
	uint8_t rnd[16], md[32];
	unsigned int mdlen = 0;
	struct curl_slist *hdrs = NULL;
	struct resp r = { 0 };
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *mctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	long code = -1;
	CURLcode cc;

	json_decref(body);
	if (out != NULL)
		*out = NULL;
	snprintf(url, sizeof(url), "%s%s", c->conf.url, path);
	snprintf(ts, sizeof(ts), "%.3f", wall());
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto fail_sign;
	hex(rnd, sizeof(rnd), nonce);
	/* HMAC-SHA-256 of METHOD\nPATH\nTS\nNONCE\nBODY (OpenSSL EVP_MAC) */
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	mctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (mctx == NULL ||
		!EVP_MAC_init(mctx, (const uint8_t *)key, strlen(key), params))
		goto fail_sign;
	{
		const char *parts[4] = { method, path, ts, nonce };

		for (int i = 0; i < 4; i++)
			if (!EVP_MAC_update(mctx, (const uint8_t *)parts[i],
				    strlen(parts[i])) ||
				!EVP_MAC_update(mctx, (const uint8_t *)"\n", 1))
				goto fail_sign;
	}
	if ((blen && !EVP_MAC_update(mctx, (const uint8_t *)text, blen)) ||
		!EVP_MAC_final(mctx, md, &outl, sizeof(md)))
		goto fail_sign;
	mdlen = (unsigned int)outl;
	hex(md, mdlen, sig);
	snprintf(h_id, sizeof(h_id), "X-Nctl-Id: %s", c->conf.device_id);
	snprintf(h_ts, sizeof(h_ts), "X-Nctl-Timestamp: %s", ts);
	snprintf(h_nonce, sizeof(h_nonce), "X-Nctl-Nonce: %s", nonce);
	snprintf(h_sig, sizeof(h_sig), "X-Nctl-Signature: %s", sig);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	hdrs = curl_slist_append(hdrs, h_id);
	hdrs = curl_slist_append(hdrs, h_ts);
	hdrs = curl_slist_append(hdrs, h_nonce);
	hdrs = curl_slist_append(hdrs, h_sig);

	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)c->conf.timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
		(long)c->conf.timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->conf.ca_file[0] != '\0')
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->conf.ca_file);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text ? text : "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)blen);
	}
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		note_error("%s %s: %s", method, path, r.too_big ?
			"reply too large" : curl_easy_strerror(cc));
		code = -1;
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (out != NULL && r.buf != NULL)
		*out = json_loads(r.buf, 0, NULL);
	pthread_mutex_lock(&ctl_shared.lock);
	ctl_shared.req_ok++;
	ctl_shared.last_ok = wall();
	pthread_mutex_unlock(&ctl_shared.lock);
	if (code >= 400) {
		json_t *j = json_loads(r.buf ? r.buf : "", 0, NULL);

		note_error("%s %s: HTTP %ld %s", method, path, code,
			json_string_value(json_object_get(j, "error")) ?: "");
		json_decref(j);
	}
	goto out;
fail_sign:
	note_error("%s %s: cannot sign", method, path);
out:
	curl_slist_free_all(hdrs);
	EVP_MAC_CTX_free(mctx);
	EVP_MAC_free(mac);
	free(r.buf);
	free(text);
	return (int)code;
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static bool
do_register(struct client *c)
{
	json_t *body, *r = NULL;
	int st;

	body = json_pack("{s:s, s:s, s:s, s:{s:s}}", "device_id",
		c->conf.device_id, "device_type",
		c->hub ? "routing_server" : "endpoint", "name",
		c->conf.name[0] ? c->conf.name : c->conf.device_id,
		"capabilities", "software", "neptune " NEP_VERSION);
	if (c->conf.internal_ip[0])
		json_object_set_new(body, "internal_ip",
			json_string(c->conf.internal_ip));
	if (c->conf.external_ip[0])
		json_object_set_new(body, "external_ip",
			json_string(c->conf.external_ip));
	st = request(c, "POST", "/register", body, true, &r);
	if ((st == 200 || st == 201) &&
		strlen(jstr(r, "credential")) >= 16) {
		snprintf(c->cred, sizeof(c->cred), "%s", jstr(r, "credential"));
		pthread_mutex_lock(&ctl_shared.lock);
		ctl_shared.registered = true;
		snprintf(ctl_shared.tun_ipv4, sizeof(ctl_shared.tun_ipv4), "%s",
			jstr(r, "tun_ipv4"));
		snprintf(ctl_shared.tun_ipv6, sizeof(ctl_shared.tun_ipv6), "%s",
			jstr(r, "tun_ipv6"));
		pthread_mutex_unlock(&ctl_shared.lock);
		json_decref(r);
		return true;
	}
	json_decref(r);
	return false;
}

/* The controller forgot us (a new database): register again. */
static void
lost(struct client *c, int st)
{
	if (st != 401 && st != 404)
		return;
	pthread_mutex_lock(&ctl_shared.lock);
	ctl_shared.registered = false;
	pthread_mutex_unlock(&ctl_shared.lock);
	c->next_register = mono();
	c->backoff = 1;
}

static void
report_metrics(struct client *c)
{
	struct ctl_sample s;
	json_t *body;
	int st;

	pthread_mutex_lock(&ctl_shared.lock);
	s = ctl_shared.sample;
	pthread_mutex_unlock(&ctl_shared.lock);
	if (s.seq == 0 || s.seq == c->sample_sent)
		return;
	/* samples taken while a request hung were never queued */
	if (c->sample_sent != 0 && s.seq > c->sample_sent + 1) {
		pthread_mutex_lock(&ctl_shared.lock);
		ctl_shared.samples_skipped += s.seq - c->sample_sent - 1;
		pthread_mutex_unlock(&ctl_shared.lock);
	}
	c->sample_sent = s.seq;
	body = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I,"
			 " s:I}",
		"server_id", c->conf.device_id, "server_name",
		c->conf.name[0] ? c->conf.name : c->conf.device_id, "timestamp",
		wall(), "cpu_percent", s.cpu_percent, "memory_percent",
		s.memory_percent, "bandwidth_mbps", s.bandwidth_mbps,
		"active_tunnels", (json_int_t)s.active_tunnels,
		"total_rx_packets", (json_int_t)s.rx_packets,
		"total_tx_packets", (json_int_t)s.tx_packets, "heap_used_bytes",
		(json_int_t)s.heap_used, "heap_total_bytes",
		(json_int_t)s.heap_total);
	if (c->conf.internal_ip[0])
		json_object_set_new(body, "internal_ip",
			json_string(c->conf.internal_ip));
	if (c->conf.external_ip[0])
		json_object_set_new(body, "external_ip",
			json_string(c->conf.external_ip));
	st = request(c, "POST", "/metrics", body, false, NULL);
	if (st == 200) {
		pthread_mutex_lock(&ctl_shared.lock);
		ctl_shared.reports++;
		pthread_mutex_unlock(&ctl_shared.lock);
	}
	lost(c, st);
}

static void
poll_decision(struct client *c)
{
	char path[CTL_ID_MAX + 16];
	json_t *r = NULL;
	int st;

	snprintf(path, sizeof(path), "/decision/%s", c->conf.device_id);
	st = request(c, "GET", path, NULL, false, &r);
	if (st == 200 && jstr(r, "optimal_router_id")[0] != '\0') {
		pthread_mutex_lock(&ctl_shared.lock);
		ctl_shared.polls++;
		if (strcmp(ctl_shared.decision, jstr(r, "optimal_router_id")) !=
			0) {
			snprintf(ctl_shared.decision,
				sizeof(ctl_shared.decision), "%s",
				jstr(r, "optimal_router_id"));
			ctl_shared.decided_at = json_number_value(
				json_object_get(r, "decided_at"));
			ctl_shared.decisions++;
		}
		/* handed to the control lcore every time: a reload or a
		 * refused hub is retried */
		snprintf(ctl_shared.dec_hub, sizeof(ctl_shared.dec_hub), "%s",
			ctl_shared.decision);
		ctl_shared.dec_seq++;
		pthread_mutex_unlock(&ctl_shared.lock);
	}
	/* 503: no active hub; the last decision (and local health) stand */
	json_decref(r);
	lost(c, st);
}

static int64_t
post_status(struct client *c, int64_t version, const char *result,
	const char *error)
{
	json_t *body, *tun = json_array(), *r = NULL;
	struct ctl_hubs h;
	int64_t pending = -1;
	int st;

	pthread_mutex_lock(&ctl_shared.lock);
	h = ctl_shared.hubs;
	pthread_mutex_unlock(&ctl_shared.lock);
	for (unsigned i = 0; i < h.n; i++)
		json_array_append_new(tun, json_pack("{s:s, s:s, s:b}", "hub",
			h.name[i], "state", h.usable[i] ? "up" : "down",
			"preferred", strcmp(h.name[i], h.preferred) == 0));
	body = json_pack("{s:s, s:s, s:o, s:s}", "device_id",
		c->conf.device_id, "status", "online", "tunnels", tun,
		"preferred_hub", h.preferred);
	if (result != NULL) {
		json_object_set_new(body, "config_version",
			json_integer(version));
		json_object_set_new(body, "config_result", json_string(result));
		if (error != NULL && error[0])
			json_object_set_new(body, "config_error",
				json_string(error));
	}
	st = request(c, "POST", "/status", body, false, &r);
	if (st == 200 && json_is_integer(json_object_get(r,
				 "pending_config_version")))
		pending = json_integer_value(json_object_get(r,
			"pending_config_version"));
	json_decref(r);
	lost(c, st);
	return pending;
}

/* Write the pushed YAML beside the configuration, have the control lcore
 * apply it (nep_reload's checks) and wait for its verdict. */
static void
apply_push(struct client *c, int64_t version)
{
	char path[CTL_ID_MAX + 16], tmp[NEP_PATH_MAX + 8], err[CTL_ERR_MAX];
	const char *yaml;
	json_t *r = NULL;
	uint64_t req;
	int st, fd, rc = -1;
	double t0;

	snprintf(path, sizeof(path), "/device/%s", c->conf.device_id);
	st = request(c, "GET", path, NULL, false, &r);
	if (st != 200) {
		json_decref(r);
		return;
	}
	version = json_integer_value(json_object_get(json_object_get(r,
		"pending_config"), "version"));
	yaml = json_string_value(json_object_get(json_object_get(
		json_object_get(r, "pending_config"), "config"), "yaml"));
	c->push_seen = version;
	if (!c->conf.push_config) {
		snprintf(err, sizeof(err), "pushed configurations are refused "
			"here (controller.push_config: false)");
		goto report;
	}
	if (yaml == NULL) {
		snprintf(err, sizeof(err), "config.yaml: missing (a whole "
			"neptune configuration)");
		goto report;
	}
	snprintf(tmp, sizeof(tmp), "%s.push", ctl_shared.config_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, yaml, strlen(yaml)) != (ssize_t)strlen(yaml) ||
		fsync(fd) != 0) {
		snprintf(err, sizeof(err), "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto report;
	}
	close(fd);
	pthread_mutex_lock(&ctl_shared.lock);
	req = ++ctl_shared.push_req;
	ctl_shared.push_version = version;
	pthread_mutex_unlock(&ctl_shared.lock);
	snprintf(err, sizeof(err), "not applied within 30 s");
	for (t0 = mono(); mono() - t0 < 30 && !stopping();) {
		bool done;

		pthread_mutex_lock(&ctl_shared.lock);
		done = ctl_shared.push_done == req;
		if (done) {
			rc = ctl_shared.push_rc;
			snprintf(err, sizeof(err), "%s", ctl_shared.push_err);
		}
		pthread_mutex_unlock(&ctl_shared.lock);
		if (done)
			break;
		usleep(10000);
	}
report:
	json_decref(r);
	pthread_mutex_lock(&ctl_shared.lock);
	if (rc == 0)
		ctl_shared.pushes_applied++;
	else
		ctl_shared.pushes_refused++;
	pthread_mutex_unlock(&ctl_shared.lock);
	post_status(c, version, rc == 0 ? "applied" : "refused",
		rc == 0 ? NULL : err);
}

static void *
client_main(void *arg)
{
	struct client *c = arg;

	while (!stopping()) {
		double now = mono();
		bool reg;

		pthread_mutex_lock(&ctl_shared.lock);
		reg = ctl_shared.registered;
		pthread_mutex_unlock(&ctl_shared.lock);
		if (!reg) {
			if (now >= c->next_register) {
				if (do_register(c)) {
					c->next_round = now;
				} else {
					c->next_register = now + c->backoff;
					c->backoff = c->backoff * 2 > 30 ? 30 :
						c->backoff * 2;
				}
			}
		} else if (now >= c->next_round) {
			int64_t pending;

			c->next_round = now + c->conf.interval_s;
			if (c->hub)
				report_metrics(c);
			else
				poll_decision(c);
			pending = post_status(c, 0, NULL, NULL);
			if (pending > c->push_seen)
				apply_push(c, pending);
		} else if (c->hub) {
			/* a sample the control lcore took since */
			report_metrics(c);
		}
		usleep(50000);
	}
	curl_easy_cleanup(c->curl);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return NULL;
}

int
ctl_client_start(void)
{
	struct client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		free(c);
		return -1;
	}
	pthread_mutex_lock(&ctl_shared.lock);
	c->conf = ctl_shared.conf;
	c->hub = ctl_shared.hub;
	pthread_mutex_unlock(&ctl_shared.lock);
	c->backoff = 1;
	c->push_seen = 0;
	if (rte_ctrl_thread_create(&ctl_tid, "nep-ctl", NULL, client_main,
		    c) != 0) {
		curl_easy_cleanup(c->curl);
		free(c);
		return -1;
	}
	ctl_running = true;
	return 0;
}

void
ctl_client_stop(void)
{
	if (!ctl_running)
		return;
	__atomic_store_n(&ctl_shared.stop, true, __ATOMIC_RELEASE);
	/* a request in progress ends at its timeout */
	pthread_join(ctl_tid, NULL);
	ctl_running = false;
}
