/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel on the control lcore (docs/tunnel.md, "Keepalives and
 * failover", "Key rotation"): keepalives on every endpoint path, judged
 * by lib/health (down after `miss` requests without a reply within one
 * interval, up after `up` replies, used again only after hold_ms), the
 * mask of usable paths the workers read, the verified control messages
 * the workers pass on (replies, REKEY, REKEY_ACK), key lifetimes and the
 * rotation (docs/tunnel-protocol.md section 6).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "nep_control.h"
#include "tunnel.h"

static void
put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static struct tun_state *
state_of(struct nep_app *app, const struct tun_sess *s)
{
	return &TUN_CTL(app)->state[s->state];
}

/* Build, seal and hand out one control message of session s. */
static int
send_ctrl(struct nep_app *app, const struct tun_snap *ts,
	const struct tun_sess *s, uint8_t type, uint8_t key_id,
	const uint8_t body[NEP_TUN_CTRL_LEN], uint64_t *seq_out)
{
	struct tun_state *st = state_of(app, s);
	const struct tun_key *k = tun_key_of(s, key_id);
	struct nep_tun_outer o;
	struct nep_tun_hdr h;
	struct rte_mbuf *m;
	uint8_t *f, *ip;
	unsigned olen;

	if (k == NULL)
		return -1;
	if (s->path >= 0) {
		o = ts->paths[s->path].o;
	} else {
		if (!tun_read_peer(st, &o))
			return -1;
		o.ttl = ts->hop_limit;
		o.sport = ts->port;
	}
	m = nep_ctl_alloc(app);
	if (m == NULL)
		return -1;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	ip = f + NEP_ETH_HLEN;
	olen = nep_tun_outer_len(o.family);
	h.version = NEP_TUN_VERSION;
	h.type = type;
	h.flags = 0;
	h.ptype = NEP_TUN_P_NONE;
	h.key_id = key_id;
	h.suite = ts->suite;
	h.length = NEP_TUN_CTRL_LEN;
	h.session_id = s->session_id;
	h.seq = __atomic_fetch_add(&st->tx_seq, 1, __ATOMIC_RELAXED);
	memcpy(ip + olen + NEP_TUN_HDR_LEN, body, NEP_TUN_CTRL_LEN);
	if (tun_seal(k, TUN_CTL_THREAD, ts->tx_dir, ip, &o, 0, &h) != 0) {
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return -1;
	}
	m->data_len = m->pkt_len = (uint32_t)(NEP_ETH_HLEN + olen +
		NEP_TUN_HDR_LEN + NEP_TUN_CTRL_LEN + ts->tag_len);
	f[12] = o.family == 6 ? 0x86 : 0x08;
	f[13] = o.family == 6 ? 0xdd : 0x00;
	if (s->path >= 0) {
		const struct tun_path *p = &ts->paths[s->path];
		nep_ctl_send_via(app, m, p->port_id, o.family, p->next_hop);
	} else {
		nep_ctl_route_out(app, m, o.family);
	}
	if (seq_out != NULL)
		*seq_out = h.seq;
	return 0;
}

/* ---- path mask ---- */

uint64_t
tun_paths_mask(const struct nep_app *app, const struct tun_snap *ts,
	uint64_t now_ns)
{
	uint64_t hold = ts->hold_ns, mask = 0;

	for (unsigned i = 0; i < ts->n_paths; i++) {
		const struct tun_state *st = &TUN_CTL(app)->state[
			ts->sess[ts->paths[i].sess].state];

		if (!(ts->keepalive ? nep_health_is_up(&st->health) :
				      !st->health.link_down) ||
			!app->ports[ts->paths[i].port].link_up ||
			__atomic_load_n(&st->tx_expired, __ATOMIC_RELAXED))
			continue;
		/* anti-flap: a path that was up before waits hold_ms */
		if (st->was_up && hold != 0 && now_ns - st->up_since_ns < hold)
			continue;
		mask |= 1ull << i;
	}
	return mask;
}

static void
track_up(struct nep_app *app, struct tun_snap *ts, uint64_t now_ns)
{
	for (unsigned i = 0; i < ts->n_sess; i++) {
		struct tun_state *st = state_of(app, &ts->sess[i]);
		bool up = ts->keepalive ? nep_health_is_up(&st->health) :
					  !st->health.link_down;

		if (up && st->up_since_ns == 0)
			st->up_since_ns = now_ns;
		else if (!up && st->up_since_ns != 0) {
			st->up_since_ns = 0;
			st->was_up = true;
		}
	}
}

static void
publish_mask(struct nep_app *app, struct tun_snap *ts, uint64_t now_ns)
{
	uint64_t old = ts->up_mask, mask;

	track_up(app, ts, now_ns);
	mask = tun_paths_mask(app, ts, now_ns);
	if (mask == old)
		return;
	__atomic_store_n(&ts->up_mask, mask, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < ts->n_paths; i++)
		if (((old ^ mask) >> i) & 1) {
			const struct tun_path *p = &ts->paths[i];
			const struct tun_config *tc = tun_conf(app->snap->cfg);
			NEP_LOG(NOTICE, "tunnel: path %u (uplink %s -> hub %s, "
				"session %u) %s", i, p->uplink,
				tc->hubs[p->hub].name,
				ts->sess[p->sess].session_id,
				(mask >> i) & 1 ? "up" : "down");
		}
}

/* A new snapshot: the usable paths from the states it shares with the
 * running one, ports whose link is down are down. */
void
tun_control_carry(struct nep_app *app, struct nep_snapshot *s)
{
	struct tun_snap *ts = TUN_SNAP(s);
	uint64_t now = nep_now_ns();

	for (unsigned i = 0; i < ts->n_paths; i++) {
		struct tun_state *st = state_of(app, &ts->sess[ts->paths[i].sess]);
		struct nep_health_event ev;

		if (!app->ports[ts->paths[i].port].link_up)
			nep_health_link_down(&st->health, now, &ev);
	}
	ts->up_mask = tun_paths_mask(app, ts, now);
}

void
tun_control_link_change(struct nep_app *app, unsigned port, bool up)
{
	struct tun_snap *ts = TUN_SNAP(app->snap);
	uint64_t now = nep_now_ns();

	if (!ts->enabled)
		return;
	for (unsigned i = 0; i < ts->n_paths; i++) {
		struct tun_state *st = state_of(app, &ts->sess[ts->paths[i].sess]);
		struct nep_health_event ev;

		if (ts->paths[i].port != port)
			continue;
		if (!up)
			nep_health_link_down(&st->health, now, &ev);
		else
			nep_health_link_up(&st->health, now);
	}
	publish_mask(app, ts, now);
}

/* ---- key rotation ---- */

/* A key of s to rotate to: neither the current one nor the one the last
 * rotation retired (refused by the peer once its grace time is over, even
 * while the keys file still lists it). -1 if none. */
static int
next_key(const struct tun_sess *s, const struct tun_state *st)
{
	uint8_t cur = nep_tun_keys_tx(&st->keys);

	for (unsigned k = 0; k < s->n_keys; k++)
		if (s->keys[k].id != cur && !(st->keys.has_retired &&
			    s->keys[k].id == st->keys.retired))
			return s->keys[k].id;
	return -1;
}

int
tun_rekey(struct nep_app *app, unsigned si, char *err, size_t errlen)
{
	struct tun_snap *ts = TUN_SNAP(app->snap);
	const struct tun_sess *s = &ts->sess[si];
	struct tun_state *st = state_of(app, s);
	int nk = next_key(s, st);

	if (ts->role != TUN_ROLE_ENDPOINT) {
		snprintf(err, errlen, "only an endpoint starts a rotation (the "
			"hub follows its REKEY)");
		return -1;
	}
	if (nk < 0) {
		snprintf(err, errlen, "session %u: no next key: add a new key "
			"for %s to the keys file (not the current or the retired "
			"one) and reload first", s->session_id, s->peer_name);
		return -1;
	}
	nep_tun_keys_rekey_start(&st->keys, (uint8_t)nk);
	st->rekey_next_ns = 0;
	return 0;
}

/* After a switch: the new key's lifetime starts. */
static void
key_switched(struct tun_state *st, uint8_t old, uint64_t now_ns)
{
	__atomic_store_n(&st->tx_expired, 0, __ATOMIC_RELAXED);
	st->key_since_ns = now_ns;
	st->key_seq0 = __atomic_load_n(&st->tx_seq, __ATOMIC_RELAXED);
	st->rekeys++;
	NEP_LOG(NOTICE, "tunnel: session %u now sends under key %u (key %u "
		"retired)", st->session_id, st->keys.tx_key, old);
}

static void
lifetimes(struct nep_app *app, struct tun_snap *ts, uint64_t now_ns)
{
	const struct tun_config *tc = tun_conf(app->snap->cfg);
	uint64_t life_ns = (uint64_t)tc->key_lifetime_s * 1000000000ull;

	for (unsigned i = 0; i < ts->n_sess; i++) {
		const struct tun_sess *s = &ts->sess[i];
		struct tun_state *st = state_of(app, s);
		uint64_t age = now_ns - st->key_since_ns;
		uint64_t pk = __atomic_load_n(&st->tx_seq, __ATOMIC_RELAXED) -
			st->key_seq0;

		if (age >= life_ns || pk >= tc->key_lifetime_pkts) {
			if (!st->tx_expired) {
				st->key_expired++;
				NEP_LOG(WARNING, "tunnel: session %u: key %u "
					"reached its lifetime: not used for "
					"sending any more", s->session_id,
					nep_tun_keys_tx(&st->keys));
			}
			__atomic_store_n(&st->tx_expired, 1, __ATOMIC_RELAXED);
		} else if (ts->role == TUN_ROLE_ENDPOINT && !st->keys.rekeying &&
			   (age >= life_ns / 10 * 9 ||
				   pk >= tc->key_lifetime_pkts / 10 * 9) &&
			   next_key(s, st) >= 0) {
			char e[128];
			if (tun_rekey(app, i, e, sizeof(e)) == 0)
				NEP_LOG(NOTICE, "tunnel: session %u: key %u at "
					"90%% of its lifetime, rotating",
					s->session_id, nep_tun_keys_tx(&st->keys));
		}
	}
}

static void
rekeys(struct nep_app *app, struct tun_snap *ts, uint64_t now_ns)
{
	const struct tun_config *tc = tun_conf(app->snap->cfg);

	for (unsigned i = 0; i < ts->n_sess; i++) {
		const struct tun_sess *s = &ts->sess[i];
		struct tun_state *st = state_of(app, s);
		uint8_t body[NEP_TUN_CTRL_LEN] = { 0 };

		if (!st->keys.rekeying || now_ns < st->rekey_next_ns)
			continue;
		switch (nep_tun_keys_rekey_tick(&st->keys, tc->miss)) {
		case NEP_TUN_REKEY_FAILED:
			st->rekey_failed++;
			NEP_LOG(WARNING, "tunnel: session %u: no REKEY_ACK "
				"after %u tries: staying on key %u",
				s->session_id, st->keys.rekey_tries,
				st->keys.tx_key);
			continue;
		case NEP_TUN_REKEY_SEND:
			break;
		default:
			continue;
		}
		body[0] = st->keys.tx_key;
		put64(body + 8, now_ns);
		st->rekey_next_ns = now_ns + (uint64_t)tc->interval_ms * 1000000ull;
		(void)send_ctrl(app, ts, s, NEP_TUN_T_REKEY, st->keys.rekey_to,
			body, NULL);
	}
}

/* ---- events from the workers ---- */

static void
handle_event(struct nep_app *app, struct tun_snap *ts, const struct tun_event *ev,
	uint64_t now_ns)
{
	struct tun_ctl *tc = TUN_CTL(app);
	unsigned si = ev->sess;
	const struct tun_sess *s;
	struct tun_state *st;

	tc->events++;
	/* The index is the snapshot's the worker had: check it. */
	if (si >= ts->n_sess || ts->sess[si].session_id != ev->session_id) {
		int x = tun_sess_lookup(ts, ev->session_id);
		if (x < 0)
			return;
		si = (unsigned)x;
	}
	s = &ts->sess[si];
	st = state_of(app, s);
	switch (ev->type) {
	case NEP_TUN_T_KEEPALIVE_REPLY: {
		uint64_t echo_seq = get64(ev->body), echo_ts = get64(ev->body + 8);
		uint32_t waited = (uint32_t)rte_rdtsc() - (uint32_t)ev->rx_tsc;
		uint64_t waited_ns = (uint64_t)waited * 1000000000ull / app->tsc_hz;
		uint64_t at = waited_ns < now_ns ? now_ns - waited_ns : now_ns;

		if (nep_health_reply(&st->health, 0, (uint32_t)echo_seq, at) != 1) {
			tc->ka_unmatched++;
			break;
		}
		st->ka_replies++;
		if (echo_ts <= at) {
			double rtt = (double)(at - echo_ts) / 1e6;
			st->rtt_ms = rtt;
			if (st->rtt_min_ms == 0 || rtt < st->rtt_min_ms)
				st->rtt_min_ms = rtt;
			if (rtt > st->rtt_max_ms)
				st->rtt_max_ms = rtt;
		}
		break;
	}
	case NEP_TUN_T_REKEY: {
		/* hub: switch to the key the REKEY came under, answer under
		 * it; the old key is accepted until the endpoint uses the
		 * new one (then a grace time). */
		uint8_t body[NEP_TUN_CTRL_LEN] = { 0 };

		if (st->keys.tx_key != ev->key_id) {
			uint8_t old = st->keys.tx_key;
			nep_tun_keys_on_rekey(&st->keys, ev->key_id, rte_rdtsc(),
				ts->grace_tsc);
			key_switched(st, old, now_ns);
		}
		put64(body, ev->seq);
		body[8] = ev->key_id;
		(void)send_ctrl(app, ts, s, NEP_TUN_T_REKEY_ACK, ev->key_id,
			body, NULL);
		break;
	}
	case NEP_TUN_T_REKEY_ACK:
		/* endpoint: the hub sends under the new key now */
		{
			uint8_t old = st->keys.tx_key;
			if (nep_tun_keys_rekey_ack(&st->keys, ev->key_id,
				    rte_rdtsc(), ts->grace_tsc))
				key_switched(st, old, now_ns);
		}
		break;
	default:
		break;
	}
}

static void
drain_events(struct nep_app *app, struct tun_snap *ts, uint64_t now_ns)
{
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct tun_worker *tw = TUN_W(&app->workers[w]);
		struct tun_event ev[16];
		unsigned n;

		do {
			n = rte_ring_dequeue_burst_elem(tw->events, ev,
				sizeof(ev[0]), RTE_DIM(ev), NULL);
			for (unsigned i = 0; i < n; i++)
				handle_event(app, ts, &ev[i], now_ns);
		} while (n == RTE_DIM(ev));
	}
}

/* ---- the loop ---- */

/* One keepalive of session s when its health wants one. */
static void
keepalive(struct nep_app *app, const struct tun_snap *ts,
	const struct tun_sess *s, uint64_t now_ns)
{
	struct tun_state *st = state_of(app, s);
	uint8_t body[NEP_TUN_CTRL_LEN] = { 0 };
	struct nep_health_event ev;
	uint64_t seq;

	if (now_ns >= nep_health_next_probe_ns(&st->health)) {
		put64(body, now_ns);
		if (send_ctrl(app, ts, s, NEP_TUN_T_KEEPALIVE,
			    nep_tun_keys_tx(&st->keys), body, &seq) == 0) {
			nep_health_probe_sent(&st->health, 0, (uint32_t)seq,
				now_ns);
			st->ka_sent++;
			TUN_CTL(app)->ka_sent++;
		}
	}
	while (nep_health_tick(&st->health, now_ns, &ev))
		;
}

void
tun_control_run(struct nep_app *app, uint64_t now_ns)
{
	struct tun_snap *ts = TUN_SNAP(app->snap);

	if (!ts->enabled)
		return;
	drain_events(app, ts, now_ns);
	if (!ts->keepalive)
		goto rest;
	if (ts->role == TUN_ROLE_ENDPOINT) {
		for (unsigned i = 0; i < ts->n_paths; i++)
			if (app->ports[ts->paths[i].port].link_up)
				keepalive(app, ts, &ts->sess[ts->paths[i].sess],
					now_ns);
	} else {
		/* A hub probes the sessions it hears from (for their RTT and
		 * loss; the endpoint decides the path): not a silent one,
		 * whose address may be stale. */
		uint64_t now_tsc = rte_rdtsc();

		for (unsigned i = 0; i < ts->n_sess; i++) {
			const struct tun_state *st = state_of(app, &ts->sess[i]);
			uint64_t last = __atomic_load_n(&st->last_rx_tsc,
				__ATOMIC_RELAXED);

			if (last != 0 && now_tsc - last < ts->alive_tsc)
				keepalive(app, ts, &ts->sess[i], now_ns);
		}
	}
rest:
	rekeys(app, ts, now_ns);
	lifetimes(app, ts, now_ns);
	publish_mask(app, ts, now_ns);
}
