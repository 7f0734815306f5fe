/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `stamp:` section (docs/stamp.md, "Configuration"): the reflector,
 * the sessions (per uplink or per overlay site), transparency probing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include "mh_config.h"
#include "srv6.h"
#include "stamp.h"

int stamp_config_section_id = -1;

static const char *const top_keys[] = { "sender_port", "reflector",
	"sessions", "reprobe_s", "fail_count", "window_ms", NULL };
static const char *const refl_keys[] = { "enabled", "port", "mode",
	"authentication", "key_file", "timestamp", "rate_limit_pps", "burst",
	"tlvs", "cos", "return_paths", NULL };
static const char *const ret_keys[] = { "ssid", "uplink", "segments",
	NULL };
static const char *const sess_keys[] = { "name", "uplink", "overlay",
	"site", "reflector", "source", "port", "interval_ms", "duration_s",
	"authentication", "key_file", "timestamp", "dscp", "size", "ssid",
	"reflector_mode", "clocks_synced", "transparency", NULL };
static const char *const modes[] = { "stateless", "stateful", NULL };
static const char *const auths[] = { "none", "hmac-sha256", NULL };
static const char *const tsfmts[] = { "ntp", "ptp", NULL };

/* A key file: root's, not readable by anyone else; one line of hex. */
static void
load_key(struct nep_cfg *c, const struct nep_cfg_node *v, const char *kp,
	struct stamp_key *k)
{
	char line[4 * STAMP_MAX_KEY];
	struct stat sb;
	FILE *f;
	size_t n = 0;

	nep_cfg_copy_str(c, v, kp, k->file, sizeof(k->file));
	f = fopen(k->file, "r");
	if (f == NULL)
		nep_cfg_fail(c, v, kp, "cannot open '%s': %s", k->file,
			strerror(errno));
	if (fstat(fileno(f), &sb) != 0 || sb.st_uid != 0 ||
		(sb.st_mode & 077) != 0) {
		fclose(f);
		nep_cfg_fail(c, v, kp, "'%s' must be owned by root with no "
			"access for group or others (chmod 600)", k->file);
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = 0;
	fclose(f);
	for (const char *p = line; *p && *p != '\n' && *p != '\r'; p += 2) {
		unsigned b;

		if (!isxdigit((unsigned char)p[0]) ||
			!isxdigit((unsigned char)p[1]) || n >= STAMP_MAX_KEY ||
			sscanf(p, "%2x", &b) != 1)
			nep_cfg_fail(c, v, kp, "'%s': expected one line of "
				"hex digits (16 to %u bytes)", k->file,
				STAMP_MAX_KEY);
		k->key[n++] = (uint8_t)b;
	}
	if (n < 16)
		nep_cfg_fail(c, v, kp, "'%s': the key must have 16 to %u bytes",
			k->file, STAMP_MAX_KEY);
	k->len = (uint32_t)n;
}

/* authentication + key_file of a mapping (reflector or session). */
static bool
parse_auth(struct nep_cfg *c, const struct nep_cfg_map *m, const char *p,
	struct stamp_key *k)
{
	char kp[NEP_CFG_PATH_MAX];
	const struct nep_cfg_node *v, *kf = nep_cfg_get(m, "key_file");
	bool auth = false;

	if ((v = nep_cfg_get(m, "authentication")) != NULL)
		auth = nep_cfg_enum(c, v, nep_cfg_path_key(kp, p,
			"authentication"), auths, "none or hmac-sha256") == 1;
	if (auth && kf == NULL)
		nep_cfg_fail(c, v, kp, "hmac-sha256 needs key_file");
	if (kf != NULL) {
		if (!auth)
			nep_cfg_fail(c, kf, nep_cfg_path_key(kp, p, "key_file"),
				"only with authentication: hmac-sha256");
		load_key(c, kf, nep_cfg_path_key(kp, p, "key_file"), k);
	}
	return auth;
}

static uint8_t
parse_tsfmt(struct nep_cfg *c, const struct nep_cfg_map *m, const char *p)
{
	char kp[NEP_CFG_PATH_MAX];
	const struct nep_cfg_node *v = nep_cfg_get(m, "timestamp");

	if (v == NULL)
		return NEP_STAMP_TS_NTP;
	return (uint8_t)nep_cfg_enum(c, v, nep_cfg_path_key(kp, p, "timestamp"),
		tsfmts, "ntp or ptp");
}

static int
uplink_index(const struct nep_config *cfg, const char *name)
{
	const struct mh_config *mc = mh_conf(cfg);

	for (unsigned i = 0; mc != NULL && i < mc->n_uplinks; i++)
		if (strcmp(mc->uplinks[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
parse_ipv6(struct nep_cfg *c, const struct nep_cfg_node *v, const char *kp,
	uint8_t out[16])
{
	struct nep_addr a;

	nep_cfg_addr(c, v, kp, &a);
	if (a.family != AF_INET6)
		nep_cfg_fail(c, v, kp, "expected an IPv6 address");
	memcpy(out, a.a, 16);
}

static void
parse_reflector(struct nep_cfg *c, const struct nep_cfg_node *n,
	struct stamp_reflector_conf *r)
{
	const struct nep_config *cfg = nep_cfg_config(c);
	const char *p = "stamp.reflector";
	char kp[NEP_CFG_PATH_MAX], ip[NEP_CFG_PATH_MAX], sp[NEP_CFG_PATH_MAX];
	const struct nep_cfg_map *m = nep_cfg_map_open(c, n, p, refl_keys);
	const struct nep_cfg_node *v;

	r->enabled = true;
	r->port = NEP_STAMP_PORT;
	r->rate_pps = 1000;
	r->burst = 100;
	r->tlvs = true;
	r->cos = true;
	nep_cfg_get_bool(m, "enabled", &r->enabled);
	nep_cfg_get_u16(m, "port", 1, 65535, &r->port);
	if ((v = nep_cfg_get(m, "mode")) != NULL)
		r->stateful = nep_cfg_enum(c, v, nep_cfg_path_key(kp, p,
			"mode"), modes, "stateless or stateful") == 1;
	r->auth = parse_auth(c, m, p, &r->key);
	r->tsfmt = parse_tsfmt(c, m, p);
	nep_cfg_get_u32(m, "rate_limit_pps", 0, 1000000, &r->rate_pps);
	nep_cfg_get_u32(m, "burst", 1, 100000, &r->burst);
	nep_cfg_get_bool(m, "tlvs", &r->tlvs);
	nep_cfg_get_bool(m, "cos", &r->cos);
	if ((v = nep_cfg_get(m, "return_paths")) == NULL)
		return;
	nep_cfg_path_key(kp, p, "return_paths");
	r->n_returns = nep_cfg_seq(c, v, kp, STAMP_MAX_RETURN, "return paths");
	for (unsigned i = 0; i < r->n_returns; i++) {
		struct stamp_return_conf *rc = &r->returns[i];
		const struct nep_cfg_map *rm;
		const struct nep_cfg_node *x;
		char up[NEP_NAME_MAX];

		nep_cfg_path_index(ip, kp, i);
		rm = nep_cfg_map_open(c, nep_cfg_seq_item(c, v, i), ip,
			ret_keys);
		x = nep_cfg_req(rm, "ssid");
		rc->ssid = (uint16_t)nep_cfg_uint(c, x, nep_cfg_path_key(sp,
			ip, "ssid"), 0, 65535);
		for (unsigned j = 0; j < i; j++)
			if (r->returns[j].ssid == rc->ssid)
				nep_cfg_fail(c, x, sp, "ssid %u listed twice",
					rc->ssid);
		x = nep_cfg_req(rm, "uplink");
		nep_cfg_name(c, x, nep_cfg_path_key(sp, ip, "uplink"), up);
		rc->uplink = uplink_index(cfg, up);
		if (rc->uplink < 0)
			nep_cfg_fail(c, x, sp, "unknown uplink '%s'", up);
		x = nep_cfg_req(rm, "segments");
		nep_cfg_path_key(sp, ip, "segments");
		rc->n_sids = nep_cfg_seq(c, x, sp, STAMP_MAX_SIDS, "segments");
		if (rc->n_sids == 0)
			nep_cfg_fail(c, x, sp, "at least one segment");
		for (unsigned k = 0; k < rc->n_sids; k++) {
			char qp[NEP_CFG_PATH_MAX];

			parse_ipv6(c, nep_cfg_seq_item(c, x, k),
				nep_cfg_path_index(qp, sp, k), rc->sids[k]);
		}
	}
}

static bool
overlay_has_site(const struct srv6_config *sc, const char *overlay,
	const char *site, bool *overlay_found)
{
	*overlay_found = false;
	for (unsigned i = 0; sc != NULL && i < sc->n_overlays; i++) {
		const struct srv6_overlay_conf *o = &sc->overlays[i];

		if (strcmp(o->name, overlay) != 0)
			continue;
		*overlay_found = true;
		for (unsigned j = 0; j < o->n_members; j++)
			if (strcmp(o->members[j].site, site) == 0 &&
				o->members[j].site_idx >= 0)
				return true;
	}
	return false;
}

static void
parse_session(struct nep_cfg *c, const struct nep_cfg_node *n, const char *p,
	struct stamp_config *sc, unsigned i)
{
	const struct nep_config *cfg = nep_cfg_config(c);
	struct stamp_session_conf *s = &sc->sessions[i];
	char kp[NEP_CFG_PATH_MAX];
	const struct nep_cfg_map *m = nep_cfg_map_open(c, n, p, sess_keys);
	const struct nep_cfg_node *v, *up, *ov;

	v = nep_cfg_req(m, "name");
	nep_cfg_name(c, v, nep_cfg_path_key(kp, p, "name"), s->name);
	for (unsigned j = 0; j < i; j++)
		if (strcmp(sc->sessions[j].name, s->name) == 0)
			nep_cfg_fail(c, v, kp, "session '%s' defined twice",
				s->name);
	up = nep_cfg_get(m, "uplink");
	ov = nep_cfg_get(m, "overlay");
	if ((up == NULL) == (ov == NULL))
		nep_cfg_fail(c, up ? up : nep_cfg_map_node(m), p,
			"a session has either uplink or overlay (and site)");
	if (up != NULL) {
		s->kind = STAMP_UPLINK;
		nep_cfg_name(c, up, nep_cfg_path_key(kp, p, "uplink"),
			s->uplink);
		if (uplink_index(cfg, s->uplink) < 0)
			nep_cfg_fail(c, up, kp, "unknown uplink '%s'",
				s->uplink);
		if ((v = nep_cfg_get(m, "site")) != NULL)
			nep_cfg_fail(c, v, nep_cfg_path_key(kp, p, "site"),
				"only with overlay");
		if ((v = nep_cfg_get(m, "transparency")) != NULL)
			nep_cfg_fail(c, v, nep_cfg_path_key(kp, p,
				"transparency"), "only with overlay");
	} else {
		const struct srv6_config *s6 = srv6_conf(cfg);
		bool found;

		s->kind = STAMP_OVERLAY;
		nep_cfg_name(c, ov, nep_cfg_path_key(kp, p, "overlay"),
			s->overlay);
		v = nep_cfg_req(m, "site");
		nep_cfg_name(c, v, nep_cfg_path_key(kp, p, "site"), s->site);
		if (!overlay_has_site(s6, s->overlay, s->site, &found)) {
			if (!found)
				nep_cfg_fail(c, ov, nep_cfg_path_key(kp, p,
					"overlay"), "unknown overlay '%s'",
					s->overlay);
			nep_cfg_fail(c, v, kp, "'%s' is not a remote site of "
				"overlay '%s'", s->site, s->overlay);
		}
		if (nep_cfg_get(m, "reflector") == NULL)
			nep_cfg_fail(c, nep_cfg_map_node(m), p,
				"an overlay session needs reflector (the "
				"remote site's address inside the overlay)");
		s->transparency = true;
		nep_cfg_get_bool(m, "transparency", &s->transparency);
	}
	if ((v = nep_cfg_get(m, "reflector")) != NULL) {
		s->has_reflector = true;
		parse_ipv6(c, v, nep_cfg_path_key(kp, p, "reflector"),
			s->reflector);
	}
	if ((v = nep_cfg_get(m, "source")) != NULL) {
		if (s->kind != STAMP_OVERLAY)
			nep_cfg_fail(c, v, nep_cfg_path_key(kp, p, "source"),
				"only with overlay (an uplink session sends "
				"from the uplink's address)");
		s->has_source = true;
		parse_ipv6(c, v, nep_cfg_path_key(kp, p, "source"), s->source);
	}
	s->port = NEP_STAMP_PORT;
	nep_cfg_get_u16(m, "port", 1, 65535, &s->port);
	s->interval_ms = 100;
	nep_cfg_get_u32(m, "interval_ms", 10, 3600000, &s->interval_ms);
	nep_cfg_get_u32(m, "duration_s", 0, UINT32_MAX, &s->duration_s);
	s->auth = parse_auth(c, m, p, &s->key);
	s->tsfmt = parse_tsfmt(c, m, p);
	if ((v = nep_cfg_get(m, "dscp")) != NULL)
		s->dscp = (uint8_t)nep_cfg_uint(c, v, nep_cfg_path_key(kp, p,
			"dscp"), 0, 63);
	s->size = (uint16_t)nep_stamp_base_len(s->auth ? NEP_STAMP_AUTH :
							  NEP_STAMP_UNAUTH);
	if ((v = nep_cfg_get(m, "size")) != NULL) {
		uint16_t min = s->size;

		s->size = (uint16_t)nep_cfg_uint(c, v, nep_cfg_path_key(kp, p,
			"size"), min, 1400);
		if (s->size != min && s->size < min + NEP_STAMP_TLV_HDR)
			nep_cfg_fail(c, v, kp, "%u, or at least %u (the "
				"padding is an Extra Padding TLV)", min,
				min + NEP_STAMP_TLV_HDR);
	}
	if ((v = nep_cfg_get(m, "ssid")) != NULL) {
		s->ssid = (uint16_t)nep_cfg_uint(c, v, nep_cfg_path_key(kp, p,
			"ssid"), 1, 65535);
		for (unsigned j = 0; j < i; j++)
			if (sc->sessions[j].ssid == s->ssid)
				nep_cfg_fail(c, v, kp, "ssid %u used twice",
					s->ssid);
		if (s->kind == STAMP_OVERLAY)
			nep_cfg_fail(c, v, kp, "an overlay session has one "
				"SSID per path: allocated, not configured");
	}
	if ((v = nep_cfg_get(m, "reflector_mode")) != NULL)
		s->stateful_reflector = nep_cfg_enum(c, v,
			nep_cfg_path_key(kp, p, "reflector_mode"), modes,
			"stateless or stateful") == 1;
	nep_cfg_get_bool(m, "clocks_synced", &s->clocks_synced);
}

static void
parse_stamp(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	struct stamp_config *sc = calloc(1, sizeof(*sc));
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *v;
	char p[NEP_CFG_PATH_MAX];

	if (sc == NULL)
		nep_cfg_fail(c, node, "stamp", "out of memory");
	*obj = sc;
	sc->sender_port = STAMP_SENDER_PORT;
	sc->reprobe_s = 30;
	sc->fail_count = 5;
	sc->window_ms = 1000;
	if (node == NULL)
		return;
	sc->present = true;
	m = nep_cfg_map_open(c, node, "stamp", top_keys);
	nep_cfg_get_u16(m, "sender_port", 1024, 65535, &sc->sender_port);
	nep_cfg_get_u32(m, "reprobe_s", 1, 86400, &sc->reprobe_s);
	nep_cfg_get_u32(m, "fail_count", 1, 1000, &sc->fail_count);
	nep_cfg_get_u32(m, "window_ms", 100, 60000, &sc->window_ms);
	if ((v = nep_cfg_get(m, "reflector")) != NULL)
		parse_reflector(c, v, &sc->refl);
	if (sc->refl.enabled && sc->refl.port == sc->sender_port)
		nep_cfg_fail(c, v, "stamp.reflector.port",
			"the same as sender_port (%u)", sc->sender_port);
	if ((v = nep_cfg_get(m, "sessions")) == NULL)
		return;
	sc->n_sessions = nep_cfg_seq(c, v, "stamp.sessions", STAMP_MAX_SESSIONS,
		"sessions");
	for (unsigned i = 0; i < sc->n_sessions; i++) {
		nep_cfg_path_index(p, "stamp.sessions", i);
		parse_session(c, nep_cfg_seq_item(c, v, i), p, sc, i);
	}
}

static void
free_stamp(void *obj)
{
	free(obj);
}

static void __attribute__((constructor))
stamp_config_register(void)
{
	if (mh_config_section_id < 0 || srv6_config_section_id < 0) {
		fprintf(stderr, "stamp: the multihoming and srv6 sections "
				"must be registered first (link order)\n");
		abort();
	}
	stamp_config_section_id = nep_config_section_register("stamp",
		parse_stamp, free_stamp);
	if (stamp_config_section_id < 0) {
		fprintf(stderr, "stamp: cannot register its configuration "
				"section\n");
		abort();
	}
}
