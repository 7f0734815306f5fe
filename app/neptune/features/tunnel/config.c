/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `tunnel:` section (docs/tunnel.md, "Configuration") and the keys
 * file it names. Keys never live in the YAML: the keys file must be a
 * regular file that only its owner (root) may read or write, one key per
 * line `PEER KEY_ID HEX`, at least 32 bytes. A key is never logged or
 * shown; errors name the file, line and column, never the key.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/stat.h>

#include "mh_config.h"
#include "tunnel.h"

int tun_config_section_id = -1;

static const char *const tun_keys[] = { "role", "keys_file", "port",
	"suite", "keepalive", "hold_ms", "mode", "mss_clamp", "inner_mtu",
	"hop_limit", "key_lifetime_s", "key_lifetime_packets", "uplinks",
	"hubs", "routes", "endpoints", NULL };
static const char *const ka_keys[] = { "interval_ms", "miss", "up",
	"enabled", NULL };
static const char *const hub_keys[] = { "name", "address", "port",
	"sessions", "role", "weight", NULL };
static const char *const ep_keys[] = { "name", "sessions", "prefixes",
	NULL };
static const char *const role_enum[] = { "endpoint", "hub", NULL };
static const char *const mode_enum[] = { "active-standby", "active-active",
	NULL };
static const char *const hub_role_enum[] = { "primary", "backup", NULL };
/* index + 1 = the protocol's suite number */
static const char *const suite_enum[] = { "hmac-sha256-128",
	"hmac-sha256-256", "aes256-gcm", "chacha20-poly1305", NULL };

const char *const tun_suite_names[] = { "?", "hmac-sha256-128",
	"hmac-sha256-256", "aes256-gcm", "chacha20-poly1305" };

const struct tun_peer_keys *
tun_peer_find(const struct tun_config *tc, const char *name)
{
	for (unsigned i = 0; i < tc->n_peers; i++)
		if (strcmp(tc->peers[i].name, name) == 0)
			return &tc->peers[i];
	return NULL;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Parse the keys file; on error, a message "file:line:col: what" in err. */
static int
load_keys(struct tun_config *tc, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char line[512];
	unsigned lineno = 0;
	int fd, rc = -1;
	FILE *f;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %04o: the keys file must be "
			"readable and writable by its owner only (chmod 600)",
			path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "%s: owned by uid %u: the keys file must "
			"belong to root or to neptune's user", path,
			(unsigned)st.st_uid);
		close(fd);
		return -1;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *name, *idtok, *hex;
		struct tun_peer_keys *pk;
		struct tun_key_conf *k;
		unsigned long id;
		size_t hl;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%u:1: line too long", path,
				lineno);
			goto out;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		name = strtok(p, " \t\r\n");
		idtok = strtok(NULL, " \t\r\n");
		hex = strtok(NULL, " \t\r\n");
		if (idtok == NULL || hex == NULL || strtok(NULL, " \t\r\n")) {
			snprintf(err, errlen, "%s:%u:%u: expected PEER KEY_ID "
				"HEX", path, lineno, (unsigned)(name - line) + 1);
			goto out;
		}
		if (strlen(name) >= NEP_NAME_MAX) {
			snprintf(err, errlen, "%s:%u:%u: peer name too long",
				path, lineno, (unsigned)(name - line) + 1);
			goto out;
		}
		errno = 0;
		id = strtoul(idtok, &p, 10);
		if (*p != '\0' || id > 255 || !isdigit((unsigned char)*idtok)) {
			snprintf(err, errlen, "%s:%u:%u: key id: expected 0-255",
				path, lineno, (unsigned)(idtok - line) + 1);
			goto out;
		}
		hl = strlen(hex);
		if (hl % 2 != 0 || hl < 2 * TUN_PSK_MIN || hl > 2 * TUN_PSK_MAX) {
			snprintf(err, errlen, "%s:%u:%u: key: expected %u to %u "
				"hex digits (%u to %u bytes), found %zu digits",
				path, lineno, (unsigned)(hex - line) + 1,
				2 * TUN_PSK_MIN, 2 * TUN_PSK_MAX, TUN_PSK_MIN,
				TUN_PSK_MAX, hl);
			goto out;
		}
		pk = (struct tun_peer_keys *)tun_peer_find(tc, name);
		if (pk == NULL) {
			if (tc->n_peers >= TUN_MAX_PEERS) {
				snprintf(err, errlen, "%s:%u:1: too many peers "
					"(max %u)", path, lineno, TUN_MAX_PEERS);
				goto out;
			}
			pk = &tc->peers[tc->n_peers++];
			snprintf(pk->name, sizeof(pk->name), "%s", name);
		}
		for (unsigned i = 0; i < pk->n_keys; i++)
			if (pk->keys[i].id == id) {
				snprintf(err, errlen, "%s:%u:%u: key id %lu of "
					"%s given twice", path, lineno,
					(unsigned)(idtok - line) + 1, id, name);
				goto out;
			}
		if (pk->n_keys >= TUN_KEYS) {
			snprintf(err, errlen, "%s:%u:1: %s: at most %u keys are "
				"live at once (current and next)", path, lineno,
				name, TUN_KEYS);
			goto out;
		}
		k = &pk->keys[pk->n_keys];
		for (size_t i = 0; i < hl; i += 2) {
			int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);

			if (hi < 0 || lo < 0) {
				snprintf(err, errlen, "%s:%u:%u: key: not a hex "
					"digit", path, lineno,
					(unsigned)(hex - line + (long)i) + 1 +
						(hi >= 0));
				goto out;
			}
			k->psk[i / 2] = (uint8_t)(hi << 4 | lo);
		}
		k->len = (uint8_t)(hl / 2);
		k->id = (uint8_t)id;
		pk->n_keys++;
	}
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}

static void
prefixes(struct nep_cfg *c, const struct nep_cfg_node *v, const char *path,
	struct nep_prefix *out, unsigned max, unsigned *n_out)
{
	char ip[NEP_CFG_PATH_MAX];
	unsigned n = nep_cfg_seq(c, v, path, max, "prefixes");

	for (unsigned i = 0; i < n; i++) {
		nep_cfg_path_index(ip, path, i);
		nep_cfg_prefix(c, nep_cfg_seq_item(c, v, i), ip, &out[i]);
	}
	*n_out = n;
}

/* Is a session id already used by a complete hub or endpoint entry? */
static bool
session_used(const struct tun_config *tc, uint32_t id)
{
	for (unsigned h = 0; h < tc->n_hubs; h++)
		for (unsigned i = 0; i < tc->hubs[h].n_sessions; i++)
			if (tc->hubs[h].sessions[i] == id)
				return true;
	for (unsigned e = 0; e < tc->n_endpoints; e++)
		for (unsigned i = 0; i < tc->endpoints[e].n_sessions; i++)
			if (tc->endpoints[e].sessions[i] == id)
				return true;
	return false;
}

/*
 * What a hub entry and an endpoint entry share: a unique name with a key
 * in the keys file, and session ids, unique in the file (exactly `want`
 * of them, or 1..max when want is 0). Returns the entry's mapping.
 */
static const struct nep_cfg_map *
parse_peer(struct nep_cfg *c, const struct nep_cfg_node *it, const char *p,
	const char *const *keys, const char *what, const struct tun_config *tc,
	char name[NEP_NAME_MAX], uint32_t *sessions, unsigned *n_sessions,
	unsigned want, unsigned max)
{
	char kp[NEP_CFG_PATH_MAX], sp[NEP_CFG_PATH_MAX];
	const struct nep_cfg_map *m = nep_cfg_map_open(c, it, p, keys);
	const struct nep_cfg_node *x = nep_cfg_req(m, "name");
	unsigned ns;

	nep_cfg_name(c, x, nep_cfg_path_key(kp, p, "name"), name);
	for (unsigned j = 0; j < tc->n_hubs; j++)
		if (strcmp(tc->hubs[j].name, name) == 0)
			nep_cfg_fail(c, x, kp, "%s '%s' is defined twice", what,
				name);
	for (unsigned j = 0; j < tc->n_endpoints; j++)
		if (strcmp(tc->endpoints[j].name, name) == 0)
			nep_cfg_fail(c, x, kp, "%s '%s' is defined twice", what,
				name);
	if (tun_peer_find(tc, name) == NULL)
		nep_cfg_fail(c, x, kp, "no key for %s '%s' in %s", what, name,
			tc->keys_file);
	x = nep_cfg_req(m, "sessions");
	nep_cfg_path_key(kp, p, "sessions");
	ns = nep_cfg_seq(c, x, kp, max, "sessions");
	if (want != 0 && ns != want)
		nep_cfg_fail(c, x, kp, "expected one session id per tunnel "
			"uplink (%u), found %u", want, ns);
	if (ns == 0)
		nep_cfg_fail(c, x, kp, "at least one session id");
	for (unsigned s = 0; s < ns; s++) {
		const struct nep_cfg_node *si = nep_cfg_seq_item(c, x, s);
		uint32_t id;

		nep_cfg_path_index(sp, kp, s);
		id = (uint32_t)nep_cfg_uint(c, si, sp, 1, UINT32_MAX);
		for (unsigned j = 0; j < s; j++)
			if (sessions[j] == id)
				nep_cfg_fail(c, si, sp, "session %u is used twice",
					id);
		if (session_used(tc, id))
			nep_cfg_fail(c, si, sp, "session %u is used twice", id);
		sessions[s] = id;
	}
	*n_sessions = ns;
	return m;
}

static void
parse_hubs(struct nep_cfg *c, const struct nep_cfg_node *v,
	struct tun_config *tc)
{
	char p[NEP_CFG_PATH_MAX], kp[NEP_CFG_PATH_MAX];
	unsigned n = nep_cfg_seq(c, v, "tunnel.hubs", TUN_MAX_HUBS, "hubs");

	for (unsigned i = 0; i < n; i++) {
		struct tun_hub_conf *h = &tc->hubs[i];
		const struct nep_cfg_map *m;
		const struct nep_cfg_node *x;

		nep_cfg_path_index(p, "tunnel.hubs", i);
		m = parse_peer(c, nep_cfg_seq_item(c, v, i), p, hub_keys, "hub",
			tc, h->name, h->sessions, &h->n_sessions, tc->n_uplinks,
			TUN_MAX_UPLINKS);
		nep_cfg_addr(c, nep_cfg_req(m, "address"),
			nep_cfg_path_key(kp, p, "address"), &h->addr);
		h->port = NEP_TUN_DEFAULT_PORT;
		nep_cfg_get_u16(m, "port", 1, 65535, &h->port);
		h->weight = 1;
		nep_cfg_get_u32(m, "weight", 0, 1000000, &h->weight);
		/* active-standby: the first hub is the primary */
		h->backup = !tc->active_active && i > 0;
		if ((x = nep_cfg_get(m, "role")) != NULL)
			h->backup = nep_cfg_enum(c, x, nep_cfg_path_key(kp, p,
				"role"), hub_role_enum, "primary or backup") == 1;
		tc->n_hubs = i + 1;
	}
}

static void
parse_endpoints(struct nep_cfg *c, const struct nep_cfg_node *v,
	struct tun_config *tc)
{
	char p[NEP_CFG_PATH_MAX], kp[NEP_CFG_PATH_MAX];
	unsigned n = nep_cfg_seq(c, v, "tunnel.endpoints", TUN_MAX_ENDPOINTS,
		"endpoints");

	for (unsigned i = 0; i < n; i++) {
		struct tun_endpoint_conf *e = &tc->endpoints[i];
		const struct nep_cfg_map *m;
		const struct nep_cfg_node *x;

		nep_cfg_path_index(p, "tunnel.endpoints", i);
		m = parse_peer(c, nep_cfg_seq_item(c, v, i), p, ep_keys,
			"endpoint", tc, e->name, e->sessions, &e->n_sessions, 0,
			TUN_EP_SESSIONS);
		if ((x = nep_cfg_get(m, "prefixes")) != NULL)
			prefixes(c, x, nep_cfg_path_key(kp, p, "prefixes"),
				e->prefixes, TUN_MAX_PREFIXES, &e->n_prefixes);
		tc->n_endpoints = i + 1;
	}
}

static void
parse_tunnel(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	const struct nep_config *cfg = nep_cfg_config(c);
	const struct mh_config *mc = mh_conf(cfg);
	struct tun_config *tc = calloc(1, sizeof(*tc));
	const struct nep_cfg_map *m, *ka;
	const struct nep_cfg_node *v;
	char ip[NEP_CFG_PATH_MAX], err[384];
	uint32_t u;

	if (tc == NULL)
		nep_cfg_fail(c, node, "tunnel", "out of memory");
	*obj = tc;
	tc->port = NEP_TUN_DEFAULT_PORT;
	tc->suite = NEP_TUN_S_HMAC_SHA256_128;
	tc->interval_ms = 10000;	/* the seed's 10 s / 30 s */
	tc->miss = 3;
	tc->up = 3;
	tc->hold_ms = 0;
	tc->mss_clamp = true;
	tc->hop_limit = 64;
	tc->key_lifetime_s = 86400;
	tc->key_lifetime_pkts = 1ull << 36;
	m = nep_cfg_map_open(c, node, "tunnel", tun_keys);
	if (node == NULL)
		return;
	tc->enabled = true;
	tc->role = (enum tun_role)nep_cfg_enum(c, nep_cfg_req(m, "role"),
		"tunnel.role", role_enum, "endpoint or hub");
	v = nep_cfg_req(m, "keys_file");
	nep_cfg_copy_str(c, v, "tunnel.keys_file", tc->keys_file,
		sizeof(tc->keys_file));
	if (load_keys(tc, tc->keys_file, err, sizeof(err)) != 0)
		nep_cfg_fail(c, v, "tunnel.keys_file", "%s", err);
	nep_cfg_get_u16(m, "port", 1, 65535, &tc->port);
	if ((v = nep_cfg_get(m, "suite")) != NULL)
		tc->suite = (uint8_t)(nep_cfg_enum(c, v, "tunnel.suite",
			suite_enum, "hmac-sha256-128, hmac-sha256-256, "
			"aes256-gcm or chacha20-poly1305") + 1);
	ka = nep_cfg_map_sub(m, "keepalive", ka_keys);
	nep_cfg_get_u32(ka, "interval_ms", 10, 600000, &tc->interval_ms);
	nep_cfg_get_u32(ka, "miss", 1, 100, &tc->miss);
	nep_cfg_get_u32(ka, "up", 1, 100, &tc->up);
	tc->keepalive = true;
	nep_cfg_get_bool(ka, "enabled", &tc->keepalive);
	nep_cfg_get_u32(m, "hold_ms", 0, 3600000, &tc->hold_ms);
	if ((v = nep_cfg_get(m, "mode")) != NULL)
		tc->active_active = nep_cfg_enum(c, v, "tunnel.mode", mode_enum,
			"active-standby or active-active") == 1;
	nep_cfg_get_bool(m, "mss_clamp", &tc->mss_clamp);
	nep_cfg_get_u32(m, "inner_mtu", 576, TUN_MAX_INNER, &tc->inner_mtu);
	u = tc->hop_limit;
	if (nep_cfg_get_u32(m, "hop_limit", 1, 255, &u))
		tc->hop_limit = (uint8_t)u;
	nep_cfg_get_u32(m, "key_lifetime_s", 60, 30u * 86400,
		&tc->key_lifetime_s);
	if ((v = nep_cfg_get(m, "key_lifetime_packets")) != NULL)
		tc->key_lifetime_pkts = nep_cfg_uint(c, v,
			"tunnel.key_lifetime_packets", 1000, 1ull << 40);

	if (tc->role == TUN_ROLE_ENDPOINT) {
		if (nep_cfg_get(m, "endpoints") != NULL)
			nep_cfg_fail(c, nep_cfg_get(m, "endpoints"),
				"tunnel.endpoints", "only a hub has endpoints");
		v = nep_cfg_req(m, "uplinks");
		tc->n_uplinks = nep_cfg_seq(c, v, "tunnel.uplinks",
			TUN_MAX_UPLINKS, "uplinks");
		if (tc->n_uplinks == 0)
			nep_cfg_fail(c, v, "tunnel.uplinks", "at least one "
				"uplink");
		for (unsigned i = 0; i < tc->n_uplinks; i++) {
			const struct nep_cfg_node *it = nep_cfg_seq_item(c, v, i);

			nep_cfg_path_index(ip, "tunnel.uplinks", i);
			nep_cfg_name(c, it, ip, tc->uplinks[i]);
			if (mh_config_uplink_index(mc, tc->uplinks[i]) < 0)
				nep_cfg_fail(c, it, ip, "unknown uplink '%s'",
					tc->uplinks[i]);
			for (unsigned j = 0; j < i; j++)
				if (strcmp(tc->uplinks[j], tc->uplinks[i]) == 0)
					nep_cfg_fail(c, it, ip, "uplink '%s' "
						"listed twice", tc->uplinks[i]);
		}
		v = nep_cfg_req(m, "hubs");
		parse_hubs(c, v, tc);
		if (tc->n_hubs == 0)
			nep_cfg_fail(c, v, "tunnel.hubs", "at least one hub");
		if ((v = nep_cfg_get(m, "routes")) != NULL)
			prefixes(c, v, "tunnel.routes", tc->routes,
				TUN_MAX_ROUTES, &tc->n_routes);
	} else {
		static const char *const ep_only[] = { "uplinks", "hubs",
			"routes", "mode", "hold_ms", NULL };
		for (unsigned i = 0; ep_only[i] != NULL; i++)
			if ((v = nep_cfg_get(m, ep_only[i])) != NULL)
				nep_cfg_fail(c, v, nep_cfg_path_key(ip, "tunnel",
					ep_only[i]), "only an endpoint has %s",
					ep_only[i]);
		v = nep_cfg_req(m, "endpoints");
		parse_endpoints(c, v, tc);
		if (tc->n_endpoints == 0)
			nep_cfg_fail(c, v, "tunnel.endpoints", "at least one "
				"endpoint");
	}
}

static void
free_tunnel(void *obj)
{
	explicit_bzero(obj, sizeof(struct tun_config));
	free(obj);
}

static void __attribute__((constructor))
tun_config_register(void)
{
	if (mh_config_section_id < 0) {
		fprintf(stderr, "tunnel: the multihoming sections must be "
				"registered first (link order)\n");
		abort();
	}
	tun_config_section_id = nep_config_section_register("tunnel",
		parse_tunnel, free_tunnel);
	if (tun_config_section_id < 0) {
		fprintf(stderr, "tunnel: cannot register its configuration "
				"section\n");
		abort();
	}
}
