/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller's YAML file, read with neptune's loader (lib/config,
 * nep_config_load_sections): the same "file:line:column: key: message"
 * errors. Keys follow the seed's load_balancer.yaml and
 * network_controller.yaml, merged (docs/controller.md, "Configuration").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nep_config.h"
#include "nep_config_section.h"
#include "nctl.h"

/* The struct the parsers fill: set for the duration of one load. */
static struct nctl_config *target;

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static double
get_num(struct nep_cfg *c, const struct nep_cfg_map *m, const char *key,
	double lo, double hi, double dflt)
{
	const struct nep_cfg_node *n = nep_cfg_get(m, key);
	char path[NEP_CFG_PATH_MAX];
	const char *v;
	char *end;
	double d;

	if (n == NULL)
		return dflt;
	nep_cfg_path_key(path, nep_cfg_map_path(m), key);
	v = nep_cfg_scalar(n);
	if (v == NULL)
		nep_cfg_fail(c, n, path, "expected a number");
	errno = 0;
	d = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !isfinite(d))
		nep_cfg_fail(c, n, path, "expected a number");
	if (d < lo || d > hi)
		nep_cfg_fail(c, n, path, "out of range (%g..%g)", lo, hi);
	return d;
}

static void
get_key(struct nep_cfg *c, const struct nep_cfg_map *m, const char *key,
	char *dst, size_t size)
{
	const struct nep_cfg_node *n = nep_cfg_get(m, key);
	char path[NEP_CFG_PATH_MAX];

	if (n == NULL)
		return;
	nep_cfg_path_key(path, nep_cfg_map_path(m), key);
	nep_cfg_copy_str(c, n, path, dst, size);
	/* HMAC keys: short ones are guessable */
	if (strlen(dst) < 16)
		nep_cfg_fail(c, n, path, "too short (at least 16 characters)");
}

static void
parse_controller(struct nep_cfg *c, const struct nep_cfg_node *node,
	void **obj)
{
	struct nctl_config *t = target;
	const struct nep_cfg_map *m, *tls;
	const struct nep_cfg_node *n;
	struct nep_addr a;
	char path[NEP_CFG_PATH_MAX];

	(void)obj;
	m = nep_cfg_map_open(c, node, "controller",
		KEYS("bind_address", "bind_port", "database", "durability",
			"max_body_bytes", "max_connections",
			"per_ip_connections", "rate_per_s", "rate_burst",
			"idle_timeout_s", "tls", "log_file"));
	n = nep_cfg_get(m, "bind_address");
	if (n != NULL) {
		nep_cfg_addr(c, n, "controller.bind_address", &a);
		nep_cfg_copy_str(c, n, "controller.bind_address", t->listen,
			sizeof(t->listen));
	}
	nep_cfg_get_u16(m, "bind_port", 1, 65535, &t->port);
	nep_cfg_get_str(m, "database", t->database, sizeof(t->database));
	n = nep_cfg_get(m, "durability");
	if (n != NULL)
		t->sync_full = nep_cfg_enum(c, n, "controller.durability",
				       KEYS("normal", "full"),
				       "normal or full") == 1;
	nep_cfg_get_u32(m, "max_body_bytes", 1024, 16u << 20, &t->max_body);
	nep_cfg_get_u32(m, "max_connections", 1, 65536, &t->max_connections);
	nep_cfg_get_u32(m, "per_ip_connections", 1, 65536,
		&t->per_ip_connections);
	nep_cfg_get_u32(m, "rate_per_s", 0, 10000000, &t->rate_per_s);
	nep_cfg_get_u32(m, "rate_burst", 1, 10000000, &t->rate_burst);
	nep_cfg_get_u32(m, "idle_timeout_s", 1, 3600, &t->timeout_s);
	tls = nep_cfg_map_sub(m, "tls", KEYS("cert", "key"));
	if (nep_cfg_get(tls, "cert") != NULL || nep_cfg_get(tls, "key") != NULL) {
		nep_cfg_copy_str(c, nep_cfg_req(tls, "cert"),
			nep_cfg_path_key(path, "controller.tls", "cert"),
			t->tls_cert, sizeof(t->tls_cert));
		nep_cfg_copy_str(c, nep_cfg_req(tls, "key"),
			nep_cfg_path_key(path, "controller.tls", "key"),
			t->tls_key, sizeof(t->tls_key));
	}
}

static void
parse_algorithm(struct nep_cfg *c, const struct nep_cfg_node *node,
	void **obj)
{
	struct nctl_algo *a = &target->algo;
	const struct nep_cfg_map *m, *w;

	(void)obj;
	m = nep_cfg_map_open(c, node, "algorithm",
		KEYS("weights", "max_bandwidth_mbps", "max_connections",
			"anti_flap_threshold", "anti_flap_hold_time",
			"report_interval"));
	w = nep_cfg_map_sub(m, "weights",
		KEYS("cpu", "memory", "bandwidth", "connections"));
	a->w.cpu = get_num(c, w, "cpu", 0, 1, a->w.cpu);
	a->w.memory = get_num(c, w, "memory", 0, 1, a->w.memory);
	a->w.bandwidth = get_num(c, w, "bandwidth", 0, 1, a->w.bandwidth);
	a->w.connections = get_num(c, w, "connections", 0, 1,
		a->w.connections);
	if (a->w.cpu + a->w.memory + a->w.bandwidth + a->w.connections <= 0)
		nep_cfg_fail(c, nep_cfg_map_node(w), "algorithm.weights",
			"at least one weight must be above 0");
	a->max_bandwidth_mbps = get_num(c, m, "max_bandwidth_mbps", 0.001,
		1e9, a->max_bandwidth_mbps);
	a->max_connections = get_num(c, m, "max_connections", 1, 1e9,
		a->max_connections);
	a->anti_flap_threshold = get_num(c, m, "anti_flap_threshold", 0, 1,
		a->anti_flap_threshold);
	a->anti_flap_hold_s = get_num(c, m, "anti_flap_hold_time", 0, 86400,
		a->anti_flap_hold_s);
	a->report_interval_s = get_num(c, m, "report_interval", 0.1, 3600,
		a->report_interval_s);
}

static void
parse_business(struct nep_cfg *c, const struct nep_cfg_node *node,
	void **obj)
{
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *n;
	struct nep_addr a;

	(void)obj;
	m = nep_cfg_map_open(c, node, "business_server", KEYS("ip"));
	n = nep_cfg_get(m, "ip");
	if (n != NULL) {
		nep_cfg_addr(c, n, "business_server.ip", &a);
		nep_cfg_copy_str(c, n, "business_server.ip",
			target->business_server_ip,
			sizeof(target->business_server_ip));
	}
}

static void
parse_pool(struct nep_cfg *c, const struct nep_cfg_map *parent,
	const char *key, int family, struct nctl_pool_conf *p)
{
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *n;
	char path[NEP_CFG_PATH_MAX];
	struct nep_addr a;

	if (nep_cfg_get(parent, key) == NULL)
		return;
	m = nep_cfg_map_sub(parent, key, KEYS("base", "start", "end"));
	n = nep_cfg_req(m, "base");
	nep_cfg_path_key(path, nep_cfg_map_path(m), "base");
	nep_cfg_addr(c, n, path, &a);
	if ((family == AF_INET) != (a.family == AF_INET))
		nep_cfg_fail(c, n, path, "expected an IPv%d address",
			family == AF_INET ? 4 : 6);
	memset(p->base, 0, sizeof(p->base));
	memcpy(p->base, a.a, family == AF_INET ? 4 : 16);
	p->family = family;
	p->start = 1;
	nep_cfg_get_u32(m, "start", 0, UINT32_MAX, &p->start);
	p->end = p->start;
	if (!nep_cfg_get_u32(m, "end", 0, UINT32_MAX, &p->end))
		nep_cfg_req(m, "end");
	if (nctl_pool_conf_check(p) < 0)
		nep_cfg_fail(c, nep_cfg_get(m, "end"),
			nep_cfg_path_key(path, nep_cfg_map_path(m), "end"),
			"bad range: start <= end, at most 16777216 addresses, "
			"base + end within the address family");
}

static void
parse_ipalloc(struct nep_cfg *c, const struct nep_cfg_node *node,
	void **obj)
{
	const struct nep_cfg_map *m;

	(void)obj;
	m = nep_cfg_map_open(c, node, "ip_allocation",
		KEYS("tun_ipv4_pool", "tun_ipv6_pool"));
	parse_pool(c, m, "tun_ipv4_pool", AF_INET, &target->pool4);
	parse_pool(c, m, "tun_ipv6_pool", AF_INET6, &target->pool6);
}

static void
parse_security(struct nep_cfg *c, const struct nep_cfg_node *node,
	void **obj)
{
	struct nctl_config *t = target;
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *n;
	char path[NEP_CFG_PATH_MAX];
	unsigned k;

	(void)obj;
	m = nep_cfg_map_open(c, node, "security",
		KEYS("auth", "default_psk", "admin_token", "time_window",
			"nonce_cache", "devices"));
	nep_cfg_get_bool(m, "auth", &t->auth);
	get_key(c, m, "default_psk", t->default_psk, sizeof(t->default_psk));
	get_key(c, m, "admin_token", t->admin_token, sizeof(t->admin_token));
	nep_cfg_get_u32(m, "time_window", 1, 86400, &t->time_window_s);
	nep_cfg_get_u32(m, "nonce_cache", 16, 16u << 20, &t->nonce_cache);
	n = nep_cfg_get(m, "devices");
	k = n == NULL ? 0 : nep_cfg_seq(c, n, "security.devices",
		NCTL_MAX_PSK_DEVICES, "devices");
	for (unsigned i = 0; i < k; i++) {
		char ip[NEP_CFG_PATH_MAX];
		const struct nep_cfg_map *d;
		struct nctl_psk_device *pd = &t->psk_devices[i];

		nep_cfg_path_index(ip, "security.devices", i);
		d = nep_cfg_map_open(c, nep_cfg_seq_item(c, n, i), ip,
			KEYS("device_id", "psk"));
		nep_cfg_copy_str(c, nep_cfg_req(d, "device_id"),
			nep_cfg_path_key(path, ip, "device_id"), pd->id,
			sizeof(pd->id));
		get_key(c, d, "psk", pd->psk, sizeof(pd->psk));
		if (pd->psk[0] == '\0')
			nep_cfg_req(d, "psk");
		for (unsigned j = 0; j < i; j++)
			if (strcmp(t->psk_devices[j].id, pd->id) == 0)
				nep_cfg_fail(c, nep_cfg_get(d, "device_id"),
					nep_cfg_path_key(path, ip,
						"device_id"),
					"duplicate device '%s'", pd->id);
		t->n_psk_devices = i + 1;
	}
	if (t->auth && t->admin_token[0] == '\0')
		nep_cfg_fail(c, node, "security.admin_token",
			"missing (required while security.auth is true)");
}

static void
parse_tunnel(struct nep_cfg *c, const struct nep_cfg_node *node,
	void **obj)
{
	const struct nep_cfg_map *m;

	(void)obj;
	m = nep_cfg_map_open(c, node, "tunnel", KEYS("default_port"));
	nep_cfg_get_u16(m, "default_port", 1, 65535, &target->tunnel_port);
}

static void __attribute__((constructor))
nctl_config_register(void)
{
	nep_config_section_register("controller", parse_controller, NULL);
	nep_config_section_register("algorithm", parse_algorithm, NULL);
	nep_config_section_register("business_server", parse_business, NULL);
	nep_config_section_register("ip_allocation", parse_ipalloc, NULL);
	nep_config_section_register("security", parse_security, NULL);
	nep_config_section_register("tunnel", parse_tunnel, NULL);
}

void
nctl_config_defaults(struct nctl_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
	c->port = 8090;
	snprintf(c->database, sizeof(c->database),
		"/var/lib/neptune-controller/state.db");
	c->sync_full = true;
	c->max_body = 65536;
	c->max_connections = 512;
	c->per_ip_connections = 256;
	c->rate_per_s = 0;
	c->rate_burst = 1000;
	c->timeout_s = 30;
	c->algo.w = (struct nctl_weights){ 0.30, 0.20, 0.30, 0.20 };
	c->algo.max_bandwidth_mbps = 1000;
	c->algo.max_connections = 100;
	c->algo.anti_flap_threshold = 0.05;
	c->algo.anti_flap_hold_s = 30;
	c->algo.report_interval_s = 10;
	snprintf(c->business_server_ip, sizeof(c->business_server_ip),
		"203.0.113.10");
	/* Documentation / shared address space only (docs/controller.md). */
	c->pool4.family = AF_INET;
	inet_pton(AF_INET, "100.64.0.0", c->pool4.base);
	c->pool4.start = 1;
	c->pool4.end = 65534;
	c->pool6.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:100::", c->pool6.base);
	c->pool6.start = 1;
	c->pool6.end = 65535;
	c->tunnel_port = 61900; /* neptune's tunnel port */
	c->auth = true;
	c->time_window_s = 300;
	c->nonce_cache = 65536;
}

static int
finish(struct nep_config *cfg, struct nep_config_error *e, char *err,
	size_t errlen)
{
	target = NULL;
	if (cfg == NULL) {
		snprintf(err, errlen, "%s", e->msg);
		return -1;
	}
	nep_config_free(cfg);
	return 0;
}

int
nctl_config_load(const char *path, struct nctl_config *out, char *err,
	size_t errlen)
{
	struct nep_config_error e;

	nctl_config_defaults(out);
	target = out;
	return finish(nep_config_load_sections(path, &e), &e, err, errlen);
}

int
nctl_config_load_string(const char *name, const char *yaml,
	struct nctl_config *out, char *err, size_t errlen)
{
	struct nep_config_error e;

	nctl_config_defaults(out);
	target = out;
	return finish(nep_config_load_sections_string(name, yaml, &e), &e,
		err, errlen);
}
