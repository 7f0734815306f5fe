/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neptune-controller: the routing-system seed's load balancer (hub
 * metrics, scoring, decisions) and network controller (registration,
 * tunnel address pools, device config and status, topology) as one
 * HTTP service (docs/controller.md, API: docs/controller-openapi.yaml).
 *
 *   config.c  the YAML sections (lib/config's loader)
 *   score.c   scoring and the anti-flap decision (pure)
 *   pool.c    address pools: index bitmaps and address arithmetic (pure)
 *   auth.c    request signing (OpenSSL HMAC-SHA-256), the nonce cache
 *   store.c   SQLite (WAL): every accepted write committed before the reply
 *   server.c  libmicrohttpd, the endpoints, limits
 *   main.c    options, signals
 *
 * The HTTP server runs one polling thread: handlers never run
 * concurrently, so the in-memory state and the database connection
 * need no locks.
 */
#ifndef NCTL_H
#define NCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NCTL_ID_MAX 64		/* device and server ids, NUL included */
#define NCTL_KEY_MAX 128	/* pre-shared keys and tokens */
#define NCTL_MAX_SERVERS 64
#define NCTL_MAX_PSK_DEVICES 256
#define NCTL_CRED_LEN 32	/* issued credential: 32 random bytes */

/* ---- configuration ---- */

struct nctl_weights {
	double cpu, memory, bandwidth, connections;
};

struct nctl_algo {
	struct nctl_weights w;
	double max_bandwidth_mbps;
	double max_connections;
	double anti_flap_threshold;
	double anti_flap_hold_s;
	double report_interval_s;	/* inactive after 3 intervals */
};

struct nctl_pool_conf {
	int family;			/* AF_INET, AF_INET6 */
	uint8_t base[16];		/* network order */
	uint32_t start, end;		/* base + start .. base + end */
};

struct nctl_psk_device {
	char id[NCTL_ID_MAX];
	char psk[NCTL_KEY_MAX];
};

struct nctl_config {
	char listen[64];		/* default 127.0.0.1 */
	uint16_t port;			/* default 8090 */
	char database[256];
	bool sync_full;			/* durability: full (fsync each commit) */
	uint32_t max_body;		/* bytes, default 65536 */
	uint32_t max_connections;	/* default 512 */
	uint32_t per_ip_connections;	/* default 256 */
	uint32_t rate_per_s;		/* per client address, 0: no limit */
	uint32_t rate_burst;
	uint32_t timeout_s;		/* idle connection */
	char tls_cert[256], tls_key[256];	/* both or none */

	struct nctl_algo algo;
	char business_server_ip[64];

	struct nctl_pool_conf pool4, pool6;
	uint16_t tunnel_port;

	/* security */
	bool auth;			/* false only for local experiments */
	char default_psk[NCTL_KEY_MAX];	/* registration of unlisted devices */
	char admin_token[NCTL_KEY_MAX];
	uint32_t time_window_s;		/* default 300 */
	uint32_t nonce_cache;		/* entries, default 65536 */
	unsigned n_psk_devices;
	struct nctl_psk_device psk_devices[NCTL_MAX_PSK_DEVICES];
};

/* Load path ("file:line:column: key: message" in err on failure). */
int nctl_config_load(const char *path, struct nctl_config *out, char *err,
	size_t errlen);
int nctl_config_load_string(const char *name, const char *yaml,
	struct nctl_config *out, char *err, size_t errlen);
void nctl_config_defaults(struct nctl_config *c);

/* ---- scoring and decisions (score.c) ---- */

struct nctl_metrics {
	double cpu_percent, memory_percent, bandwidth_mbps;
	double active_tunnels;
};

/* The seed's score: weighted headroom, in [0, 1]; higher is better. */
double nctl_score(const struct nctl_algo *a, const struct nctl_metrics *m);

/* Active: a report within three intervals. */
bool nctl_server_active(const struct nctl_algo *a, double last_report,
	double now);

/* An endpoint's current decision: server index (-1 none) and since. */
struct nctl_decision {
	int server;
	double since;
};

/*
 * Decide among n servers (score[i], active[i]). best: the active one of
 * highest score (ties: lowest index). Keep d->server unless it is gone or
 * inactive (then best at once), or best beats it by the threshold and d
 * is older than the hold time. Returns the chosen index (-1: no active
 * server) and updates *d (since = now when it changed). *changed tells.
 */
int nctl_decide(const struct nctl_algo *a, const double *score,
	const bool *active, unsigned n, struct nctl_decision *d, double now,
	bool *changed);

/* ---- address pools (pool.c) ---- */

struct nctl_pool {
	struct nctl_pool_conf conf;
	uint32_t size;			/* end - start + 1 */
	uint32_t used;
	uint32_t hint;			/* search from here */
	uint64_t *bits;
};

/* 0, -EINVAL (range or address overflow), -ENOMEM. */
int nctl_pool_init(struct nctl_pool *p, const struct nctl_pool_conf *c);
void nctl_pool_fini(struct nctl_pool *p);
/* A free index (start..end) marked used, or -ENOSPC. */
int64_t nctl_pool_alloc(struct nctl_pool *p);
/* Mark idx used (restore from the database): 0, -ERANGE, -EEXIST. */
int nctl_pool_take(struct nctl_pool *p, uint32_t idx);
/* 0, -ERANGE, -ENOENT (was free). */
int nctl_pool_release(struct nctl_pool *p, uint32_t idx);
bool nctl_pool_is_used(const struct nctl_pool *p, uint32_t idx);
/* The address text of idx (base + idx); buf >= 46. */
const char *nctl_pool_addr(const struct nctl_pool_conf *c, uint32_t idx,
	char *buf, size_t len);
/* Check a pool conf: base + end fits the family. 0 or -EINVAL. */
int nctl_pool_conf_check(const struct nctl_pool_conf *c);

/* ---- authentication (auth.c) ---- */

#define NCTL_SIG_HEX 65		/* 64 hex + NUL */

/*
 * The signature of a request: hex HMAC-SHA-256 under key of
 *   METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" BODY
 * (PATH as sent, query included). 0 or -1.
 */
int nctl_sign(const void *key, size_t keylen, const char *method,
	const char *path, const char *timestamp, const char *nonce,
	const void *body, size_t bodylen, char out[NCTL_SIG_HEX]);
/* Constant-time check of a hex signature. */
bool nctl_sig_ok(const void *key, size_t keylen, const char *method,
	const char *path, const char *timestamp, const char *nonce,
	const void *body, size_t bodylen, const char *sig);
/* Constant-time equality of two strings (length may leak). */
bool nctl_str_eq_ct(const char *a, const char *b);
/* n random bytes as hex into out (2n + 1). 0 or -1. */
int nctl_random_hex(char *out, size_t n);

/*
 * Replay cache: (id, nonce) seen within the window. Entries expire
 * window * 2 after they were stored (a timestamp may be up to a window
 * ahead or behind). Bounded: when every slot holds a live entry the
 * cache refuses (the caller answers 503) rather than forget one.
 */
struct nctl_nonces;
struct nctl_nonces *nctl_nonces_new(uint32_t cap, double window_s);
void nctl_nonces_free(struct nctl_nonces *c);
/* 0 stored (new), -EEXIST replay, -ENOSPC full. */
int nctl_nonces_check(struct nctl_nonces *c, const char *id,
	const char *nonce, double now);
uint32_t nctl_nonces_count(const struct nctl_nonces *c);

/* A nonce is 16..64 characters of [0-9A-Za-z_-]. */
bool nctl_nonce_valid(const char *n);

#endif /* NCTL_H */
