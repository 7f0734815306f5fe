/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel part of a snapshot (docs/tunnel.md, "Sessions and paths"):
 * the sessions with a crypto context per live key, thread and direction
 * (traffic keys derived with HKDF, docs/tunnel-protocol.md 3.1), the
 * endpoint's paths (tunnel uplink x hub) ranked per flow bucket, and the
 * routes into tunnels (endpoint: tunnel.routes; hub: each endpoint's
 * prefixes). Session state lives in the feature's state table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include <rte_jhash.h>
#include <rte_malloc.h>

#include "mh_config.h"
#include "nep_control.h"
#include "nep_rendezvous.h"
#include "tunnel.h"

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
health_conf(const struct tun_config *tc, struct nep_health_conf *h)
{
	memset(h, 0, sizeof(*h));
	h->enabled = tc->keepalive;
	h->interval_ms = tc->interval_ms;
	/* a reply must come within one interval (docs/tunnel-protocol.md 7) */
	h->timeout_ms = tc->interval_ms;
	h->down_count = tc->miss;
	h->up_count = tc->up;
	h->reliability = 1;
	h->loss_window = 20;
}

/*
 * The state slot of a session id: the one it had, else a new one whose
 * send counter starts at the real time in nanoseconds (section 4: above
 * anything sent before a restart). -1 when the table is full.
 */
int
tun_state_slot(struct nep_app *app, uint32_t session_id)
{
	struct tun_ctl *tc = TUN_CTL(app);
	int free_slot = -1;

	for (unsigned i = 0; i < TUN_MAX_SESSIONS; i++) {
		if (tc->state[i].used && tc->state[i].session_id == session_id)
			return (int)i;
		if (!tc->state[i].used && free_slot < 0)
			free_slot = (int)i;
	}
	if (free_slot >= 0) {
		struct tun_state *st = &tc->state[free_slot];

		memset(st, 0, sizeof(*st));
		st->used = 1;
		st->session_id = session_id;
		st->tx_seq = realtime_ns();
		st->key_seq0 = st->tx_seq;
		nep_tun_replay_init(&st->rx);
	}
	return free_slot;
}

static void
free_keys(struct tun_sess *s)
{
	for (unsigned k = 0; k < s->n_keys; k++)
		for (unsigned t = 0; t < TUN_THREADS; t++) {
			nep_tcrypto_ctx_free(s->keys[k].tx[t]);
			nep_tcrypto_ctx_free(s->keys[k].rx[t]);
		}
	s->n_keys = 0;
}

/* Contexts for every live key of the peer, each thread, both directions. */
static int
make_keys(struct nep_app *app, const struct tun_config *tc, struct tun_sess *s,
	const struct tun_peer_keys *pk, char *err, size_t errlen)
{
	uint8_t our_dir = tc->role == TUN_ROLE_ENDPOINT ? NEP_TUN_D_INITIATOR :
							   NEP_TUN_D_RESPONDER;
	unsigned threads = app->n_workers + 1;

	for (unsigned k = 0; k < pk->n_keys; k++) {
		struct tun_key *tk = &s->keys[k];

		tk->used = 1;
		tk->id = pk->keys[k].id;
		s->n_keys = (uint8_t)(k + 1);
		for (unsigned d = 0; d < 2; d++) {
			uint8_t dir = d == 0 ? our_dir : (uint8_t)(1 - our_dir);
			uint8_t info[NEP_TUN_KDF_INFO_LEN], key[32];

			nep_tun_kdf_info(s->session_id, tk->id, dir, tc->suite,
				info);
			if (nep_tcrypto_hkdf_sha256(
				    (const uint8_t *)NEP_TUN_KDF_SALT,
				    NEP_TUN_KDF_SALT_LEN, pk->keys[k].psk,
				    pk->keys[k].len, info, sizeof(info), key,
				    sizeof(key)) != 0) {
				snprintf(err, errlen, "tunnel: key derivation "
					"failed");
				return -1;
			}
			for (unsigned t = 0; t < threads; t++) {
				struct nep_tcrypto_ctx *cx = nep_tcrypto_ctx_create(
					tc->suite, key, sizeof(key),
					NEP_TUN_HDR_LEN, NEP_TCRYPTO_BE_AUTO);

				if (cx == NULL) {
					explicit_bzero(key, sizeof(key));
					snprintf(err, errlen, "tunnel: session %u: "
						"cannot create a crypto context",
						s->session_id);
					return -1;
				}
				if (d == 0)
					tk->tx[t] = cx;
				else
					tk->rx[t] = cx;
			}
			explicit_bzero(key, sizeof(key));
		}
	}
	return 0;
}

static int
add_session(struct nep_app *app, const struct tun_config *tc,
	struct tun_snap *ts, uint32_t id, uint8_t peer, const char *peer_name,
	char *err, size_t errlen)
{
	struct tun_sess *s;
	int st;
	unsigned sl;

	if (ts->n_sess >= TUN_MAX_SESSIONS) {
		snprintf(err, errlen, "tunnel: too many sessions (max %u)",
			TUN_MAX_SESSIONS);
		return -1;
	}
	st = tun_state_slot(app, id);
	if (st < 0) {
		snprintf(err, errlen, "tunnel: session state table full");
		return -1;
	}
	s = &ts->sess[ts->n_sess];
	memset(s, 0, sizeof(*s));
	s->session_id = id;
	s->state = (uint16_t)st;
	s->peer = peer;
	s->path = -1;
	snprintf(s->peer_name, sizeof(s->peer_name), "%s", peer_name);
	if (make_keys(app, tc, s, tun_peer_find(tc, peer_name), err, errlen))
		return -1;
	sl = tun_sess_slot(id);
	while (ts->slot_idx[sl] >= 0)
		sl = (sl + 1) & (TUN_SESS_SLOTS - 1);
	ts->slot_idx[sl] = (int16_t)ts->n_sess;
	return (int)ts->n_sess++;
}

/* A new session's current key is the peer's first in the keys file; a
 * session whose current key left the file moves to the first live one. */
static void
init_tx_key(struct nep_app *app, const struct tun_sess *s)
{
	struct tun_state *st = &TUN_CTL(app)->state[s->state];

	if (st->key_since_ns != 0 &&
		tun_key_of(s, nep_tun_keys_tx(&st->keys)) != NULL) {
		if (st->keys.has_retired &&
			tun_key_of(s, st->keys.retired) == NULL)
			__atomic_store_n(&st->keys.has_retired, 0,
				__ATOMIC_RELEASE);
		return;
	}
	/* new, or its key left the keys file: the first live one */
	nep_tun_keys_init(&st->keys, s->keys[0].id);
	st->key_since_ns = nep_now_ns();
	st->key_seq0 = __atomic_load_n(&st->tx_seq, __ATOMIC_RELAXED);
}

static int
build_endpoint(struct nep_app *app, const struct nep_config *cfg,
	struct nep_snapshot *s, struct tun_snap *ts, char *err, size_t errlen)
{
	const struct tun_config *tc = tun_conf(cfg);
	const struct mh_config *mc = mh_conf(cfg);
	struct nep_rdv_path rp[TUN_MAX_PATHS];
	struct nep_rib *rib = nep_snap_rib_mut(s, 0);

	for (unsigned h = 0; h < tc->n_hubs; h++) {
		const struct tun_hub_conf *hc = &tc->hubs[h];
		uint8_t fam = hc->addr.family == AF_INET6 ? 6 : 4;

		for (unsigned u = 0; u < tc->n_uplinks; u++) {
			int ui = mh_config_uplink_index(mc, tc->uplinks[u]);
			const struct nep_uplink_conf *uc = &mc->uplinks[ui];
			int port = nep_port_find(app, cfg->ports[uc->port].name);
			struct tun_path *p;
			unsigned ovh = nep_tun_overhead(tc->suite, fam);
			int si;

			if (port < 0)
				continue;
			if (ts->n_paths >= TUN_MAX_PATHS) {
				snprintf(err, errlen, "tunnel: too many paths "
					"(max %u)", TUN_MAX_PATHS);
				return -1;
			}
			si = add_session(app, tc, ts, hc->sessions[u],
				(uint8_t)h, hc->name, err, errlen);
			if (si < 0)
				return -1;
			p = &ts->paths[ts->n_paths];
			memset(p, 0, sizeof(*p));
			p->sess = (uint16_t)si;
			p->hub = (uint8_t)h;
			p->port = (uint8_t)port;
			p->port_id = app->ports[port].ifid;
			p->mtu = app->ports[port].mtu;
			p->backup = hc->backup || uc->role == NEP_UPLINK_BACKUP;
			p->uplink_idx = (int8_t)ui;
			ts->path_uplink[ts->n_paths] = p->uplink_idx;
			p->weight = uc->weight * hc->weight;
			snprintf(p->uplink, sizeof(p->uplink), "%s", uc->name);
			if (p->mtu <= ovh + 576) {
				snprintf(err, errlen, "tunnel: uplink %s: MTU %u "
					"leaves no room for the tunnel", uc->name,
					p->mtu);
				return -1;
			}
			p->inner_mtu = (uint16_t)(p->mtu - ovh);
			if (tc->inner_mtu != 0) {
				if (tc->inner_mtu > p->inner_mtu) {
					snprintf(err, errlen, "tunnel: inner_mtu "
						"%u does not fit uplink %s toward "
						"hub %s (at most %u: MTU %u - %u "
						"bytes of overhead)", tc->inner_mtu,
						uc->name, hc->name, p->inner_mtu,
						p->mtu, ovh);
					return -1;
				}
				p->inner_mtu = (uint16_t)tc->inner_mtu;
			}
			ts->sess[si].path = (int8_t)ts->n_paths;
			ts->sess[si].inner_mtu = p->inner_mtu;
			p->o.family = fam;
			p->o.ttl = tc->hop_limit;
			p->o.sport = tc->port;
			p->o.dport = hc->port;
			memcpy(p->o.dst, hc->addr.a, 16);
			if (fam == 6) {
				memcpy(p->next_hop, uc->next_hop.a, 16);
			} else if (uc->next_hop4.family == AF_INET) {
				memcpy(p->next_hop, uc->next_hop4.a, 16);
			} else {
				snprintf(err, errlen, "tunnel: hub %s is IPv4 but "
					"uplink %s has no next_hop_v4", hc->name,
					uc->name);
				return -1;
			}
			if (!nep_port_addr(app, (unsigned)port, fam,
				    p->next_hop, p->o.src)) {
				snprintf(err, errlen, "tunnel: uplink %s: its "
					"port has no IPv%u address toward hub %s",
					uc->name, fam, hc->name);
				return -1;
			}
			p->neigh_pos = nep_ctl_neigh_pin(app, p->port_id, fam,
				p->next_hop);
			rp[ts->n_paths].ident = rte_jhash(hc->name,
				(uint32_t)strlen(hc->name), rte_jhash(uc->name,
					(uint32_t)strlen(uc->name), 0x7475));
			rp[ts->n_paths].weight = p->weight;
			rp[ts->n_paths].backup = p->backup;
			if (p->inner_mtu > ts->max_inner)
				ts->max_inner = p->inner_mtu;
			ts->n_paths++;
		}
	}
	nep_rdv_rank(rp, ts->n_paths, TUN_BUCKETS, &ts->rank[0][0],
		TUN_MAX_PATHS);
	ts->pref_mask = tun_pref_mask(s->cfg, ts, tun_ctl_state.pref_hub);
	for (unsigned r = 0; r < tc->n_routes; r++) {
		if (nep_rib_add_feature(rib, &tc->routes[r],
			    NEP_NH_FEATURE_INDEX(nep_tun_feature.id, r), err,
			    errlen) < 0) {
			size_t l = strlen(err);
			snprintf(err + l, errlen - l, " (tunnel.routes[%u])", r);
			return -1;
		}
	}
	ts->n_routes = tc->n_routes;
	return 0;
}

static int
build_hub(struct nep_app *app, const struct nep_config *cfg,
	struct nep_snapshot *s, struct tun_snap *ts, char *err, size_t errlen)
{
	const struct tun_config *tc = tun_conf(cfg);
	struct nep_rib *rib = nep_snap_rib_mut(s, 0);
	uint16_t mtu = 0;

	for (unsigned p = 0; p < app->n_ports; p++)
		if (app->ports[p].mtu > mtu)
			mtu = app->ports[p].mtu;
	ts->max_inner = tc->inner_mtu ? tc->inner_mtu :
		mtu - nep_tun_overhead(tc->suite, 4);
	ts->n_endpoints = tc->n_endpoints;
	for (unsigned e = 0; e < tc->n_endpoints; e++) {
		const struct tun_endpoint_conf *ec = &tc->endpoints[e];
		struct tun_endpoint *te = &ts->endpoints[e];

		for (unsigned i = 0; i < ec->n_sessions; i++) {
			int si = add_session(app, tc, ts, ec->sessions[i],
				(uint8_t)e, ec->name, err, errlen);

			if (si < 0)
				return -1;
			ts->sess[si].inner_mtu = (uint16_t)ts->max_inner;
			te->sess[te->n_sess++] = (uint16_t)si;
		}
		te->n_prefixes = ec->n_prefixes;
		memcpy(te->prefixes, ec->prefixes, sizeof(te->prefixes));
		for (unsigned k = 0; k < ec->n_prefixes; k++) {
			unsigned r = ts->n_routes;

			if (r >= TUN_MAX_ROUTES) {
				snprintf(err, errlen, "tunnel: too many endpoint "
					"prefixes (max %u)", TUN_MAX_ROUTES);
				return -1;
			}
			ts->route_ep[r] = (uint16_t)e;
			if (nep_rib_add_feature(rib, &ec->prefixes[k],
				    NEP_NH_FEATURE_INDEX(nep_tun_feature.id, r),
				    err, errlen) < 0) {
				size_t l = strlen(err);
				snprintf(err + l, errlen - l, " (endpoint %s)",
					ec->name);
				return -1;
			}
			ts->n_routes++;
		}
	}
	return 0;
}

/* The addresses of our WAN ports (all ports when none is WAN). */
static void
our_addresses(const struct nep_config *cfg, struct tun_snap *ts)
{
	bool any_wan = false;

	for (unsigned p = 0; p < cfg->n_ports; p++)
		any_wan |= cfg->ports[p].role == NEP_PORT_WAN;
	for (unsigned p = 0; p < cfg->n_ports; p++) {
		const struct nep_port_conf *pc = &cfg->ports[p];

		if (any_wan && pc->role != NEP_PORT_WAN)
			continue;
		for (unsigned a = 0; a < pc->n_addrs; a++) {
			const struct nep_addr *x = &pc->addrs[a].addr;

			if (x->family == AF_INET6 && ts->n_addr6 < 8)
				memcpy(ts->addr6[ts->n_addr6++], x->a, 16);
			else if (x->family == AF_INET && ts->n_addr4 < 8)
				memcpy(&ts->addr4[ts->n_addr4++], x->a, 4);
		}
	}
}

int
tun_snapshot_build(struct nep_app *app, struct nep_snapshot *s, char *err,
	size_t errlen)
{
	const struct tun_config *tc = tun_conf(s->cfg);
	struct tun_snap *ts = rte_zmalloc("tun_snap", sizeof(*ts),
		RTE_CACHE_LINE_SIZE);
	int rc;

	if (ts == NULL) {
		snprintf(err, errlen, "tunnel: out of memory");
		return -1;
	}
	s->feat[nep_tun_feature.id] = ts;
	memset(ts->slot_idx, 0xff, sizeof(ts->slot_idx));
	ts->enabled = tc->enabled;
	if (!ts->enabled)
		return 0;
	if (app->n_workers + 1 > TUN_THREADS) {
		snprintf(err, errlen, "tunnel: at most %u workers",
			TUN_THREADS - 1);
		return -1;
	}
	/* Contexts: sessions x live keys x directions x threads, and a
	 * reload holds two snapshots' worth. Without the PMD, OpenSSL. */
	if (!nep_tcrypto_pmd_available()) {
		if (nep_tcrypto_init(TUN_MAX_SESSIONS * TUN_KEYS * 2 *
			    (app->n_workers + 1) * 2) != 0)
			NEP_LOG(WARNING, "tunnel: crypto_aesni_mb unavailable, "
				"using OpenSSL");
		else
			NEP_LOG(INFO, "tunnel: crypto through crypto_aesni_mb "
				"(CPU crypto)");
	}
	ts->role = (uint8_t)tc->role;
	ts->suite = tc->suite;
	ts->tag_len = (uint8_t)nep_tun_tag_len(tc->suite);
	ts->hop_limit = tc->hop_limit;
	ts->mss_clamp = tc->mss_clamp;
	ts->keepalive = tc->keepalive;
	ts->port = tc->port;
	ts->tx_dir = tc->role == TUN_ROLE_ENDPOINT ? NEP_TUN_D_INITIATOR :
						     NEP_TUN_D_RESPONDER;
	ts->rx_dir = (uint8_t)(1 - ts->tx_dir);
	ts->grace_tsc = RTE_MAX(2ull * tc->interval_ms, 1000ull) *
		(app->tsc_hz / 1000);
	ts->hold_ns = (uint64_t)tc->hold_ms * 1000000ull;
	ts->alive_tsc = (uint64_t)tc->interval_ms * tc->miss *
		(app->tsc_hz / 1000);
	ts->sess = calloc(TUN_MAX_SESSIONS, sizeof(*ts->sess));
	ts->endpoints = calloc(TUN_MAX_ENDPOINTS, sizeof(*ts->endpoints));
	if (ts->sess == NULL || ts->endpoints == NULL) {
		snprintf(err, errlen, "tunnel: out of memory");
		return -1;
	}
	our_addresses(s->cfg, ts);
	rc = tc->role == TUN_ROLE_ENDPOINT ?
		build_endpoint(app, s->cfg, s, ts, err, errlen) :
		build_hub(app, s->cfg, s, ts, err, errlen);
	if (rc < 0)
		return -1;
	/* Only now (the build can no longer fail): new sessions' key and
	 * health. */
	for (unsigned i = 0; i < ts->n_sess; i++) {
		struct tun_state *st = &TUN_CTL(app)->state[ts->sess[i].state];

		init_tx_key(app, &ts->sess[i]);
		if (st->health.interval_ns == 0) {
			struct nep_health_conf hc;
			health_conf(tc, &hc);
			nep_health_init(&st->health, &hc, nep_now_ns());
		}
	}
	tun_control_carry(app, s);
	return 0;
}

void
tun_snapshot_free(struct nep_snapshot *s)
{
	struct tun_snap *ts = TUN_SNAP(s);

	if (ts == NULL)
		return;
	if (ts->sess != NULL)
		for (unsigned i = 0; i < ts->n_sess; i++)
			free_keys(&ts->sess[i]);
	free(ts->sess);
	free(ts->endpoints);
	rte_free(ts);
	s->feat[nep_tun_feature.id] = NULL;
}

/* A reload with other keepalive settings re-times every session's health
 * (its state carried). */
void tun_reload_prepare(struct nep_app *app, struct nep_snapshot *s);
void
tun_reload_prepare(struct nep_app *app, struct nep_snapshot *s)
{
	const struct tun_config *tc = tun_conf(s->cfg);
	const struct tun_snap *ts = TUN_SNAP(s);
	struct nep_health_conf hc;

	if (!ts->enabled)
		return;
	health_conf(tc, &hc);
	for (unsigned i = 0; i < ts->n_sess; i++) {
		struct tun_state *st = &TUN_CTL(app)->state[ts->sess[i].state];
		struct nep_health nh;

		if (st->health.interval_ns == (uint64_t)hc.interval_ms * 1000000ull &&
			st->health.down_count == hc.down_count &&
			st->health.up_count == hc.up_count)
			continue;
		nep_health_init(&nh, &hc, nep_now_ns());
		nep_health_carry(&nh, &st->health);
		st->health = nh;
	}
}

/* After a reload: states no session refers to any more are free again. */
void tun_reload_done(struct nep_app *app);
void
tun_reload_done(struct nep_app *app)
{
	struct tun_ctl *tc = TUN_CTL(app);
	const struct tun_snap *ts = TUN_SNAP(app->snap);
	bool ref[TUN_MAX_SESSIONS] = { false };

	for (unsigned i = 0; ts->enabled && i < ts->n_sess; i++)
		ref[ts->sess[i].state] = true;
	for (unsigned i = 0; i < TUN_MAX_SESSIONS; i++)
		if (tc->state[i].used && !ref[i])
			tc->state[i].used = 0;
}
