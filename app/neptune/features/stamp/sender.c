/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-Senders (RFC 8762 4.2) on the control lcore. An uplink session
 * sends from the uplink's address through its next hop; an overlay
 * session has one sender per path of the remote site, each inside that
 * path's SRv6 encapsulation (the same as its traffic). Packets are built
 * here and timestamped by the worker as it transmits them (t1;
 * authenticated packets, whose HMAC covers t1, are timestamped here).
 * Replies come back to sender_port through local delivery; t4 is when
 * the worker received them.
 *
 * Transparency (UCSS section 3): an overlay session with transparency
 * probes each encapsulation of its path (SRH, IPv6-in-IPv6) with
 * STAMP_PROBE_PER_ROUND packets every reprobe_s, and at once when its own
 * packets go unanswered for fail_count intervals; the path becomes T0
 * (an SRH gets through), T1 (only IPv6-in-IPv6) or OP (neither, while
 * the path's health probes still pass: not used) and its traffic takes
 * the best encapsulation that works.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "mh_export.h"
#include "nep_control.h"
#include "nep_pkt.h"
#include "srv6.h"
#include "srv6_export.h"
#include "stamp.h"

#define ROUND_TIMEOUT_NS (300 * 1000000ull)
#define TRIGGER_GAP_NS (1000 * 1000000ull)
#define LOSS_GRACE_NS (500 * 1000000ull)	/* replies still in flight */

/* ---- loss per 100 ms of send time ---- */

static void
loss_sent(struct stamp_sess *s, uint64_t wall_ns, uint32_t seq)
{
	uint64_t b = wall_ns / STAMP_LB_NS;
	unsigned i = (unsigned)(b % STAMP_LB);

	if (s->lb->id[i] != b) {
		s->lb->id[i] = b;
		s->lb->sent[i] = s->lb->rcvd[i] = 0;
	}
	s->lb->sent[i]++;
	s->lb->seq_bucket[seq % STAMP_LB_SEQ] = b;
	s->lb->seq_of[seq % STAMP_LB_SEQ] = seq;
}

/* A reply counts in the bucket its request was sent in. */
static void
loss_rcvd(struct stamp_sess *s, uint32_t seq)
{
	unsigned k = seq % STAMP_LB_SEQ;
	uint64_t b = s->lb->seq_bucket[k];
	unsigned i = (unsigned)(b % STAMP_LB);

	if (s->lb->seq_of[k] == seq && s->lb->id[i] == b &&
		s->lb->rcvd[i] < s->lb->sent[i])
		s->lb->rcvd[i]++;
}

/* Loss over the requests sent in [now - grace - win, now - grace). */
static bool
loss_window(const struct stamp_sess *s, uint64_t win_ns, uint64_t now_wall,
	double *pct, uint64_t *sent_out)
{
	uint64_t end = (now_wall - LOSS_GRACE_NS) / STAMP_LB_NS;
	uint64_t nb = win_ns / STAMP_LB_NS, sent = 0, rcvd = 0;

	if (nb >= STAMP_LB)
		nb = STAMP_LB - 1;
	for (uint64_t b = end - nb; b < end; b++) {
		unsigned i = (unsigned)(b % STAMP_LB);

		if (s->lb->id[i] != b)
			continue;
		sent += s->lb->sent[i];
		rcvd += s->lb->rcvd[i];
	}
	*sent_out = sent;
	if (sent == 0)
		return false;
	*pct = 100.0 * (double)(sent - rcvd) / (double)sent;
	return true;
}

void
stamp_sess_window(struct stamp_sess *s, uint64_t win_ns, uint64_t now_ns,
	struct stamp_window *out)
{
	struct nep_stamp_summary sm;
	uint64_t sent = 0, now_wall = s->wall_now;

	(void)now_ns;
	memset(out, 0, sizeof(*out));
	if (s->st == NULL)
		return;
	s->st->win_ns = win_ns;
	nep_stamp_stats_window(s->st, NEP_STAMP_M_RTT, now_wall, &sm);
	out->n = sm.n;
	if (sm.valid) {
		out->valid = true;
		out->rtt_ms = (double)sm.median / 1e6;
		out->rtt_min_ms = (double)sm.min / 1e6;
		out->rtt_p99_ms = (double)sm.p99 / 1e6;
		out->rtt_max_ms = (double)sm.max / 1e6;
	}
	out->jitter_ms = (double)nep_stamp_stats_jitter(s->st,
				 NEP_STAMP_M_RTT) / 1e6;
	if (!loss_window(s, win_ns, now_wall, &out->loss_pct, &sent))
		out->loss_pct = 0;
	else
		out->valid = true;
}

/* ---- building ---- */

static struct rte_mbuf *
build_test(struct nep_app *app, const struct stamp_session_conf *c,
	const uint8_t src[16], const uint8_t dst[16], uint16_t sport,
	uint16_t ssid, uint32_t seq)
{
	struct rte_mbuf *m = nep_ctl_alloc(app);
	static uint8_t tlv[1500];
	struct nep_stamp_sender snd;
	struct nep_meta *meta;
	uint8_t *f;
	enum nep_stamp_mode mode = c->auth ? NEP_STAMP_AUTH : NEP_STAMP_UNAUTH;
	size_t base = nep_stamp_base_len(mode), tl = 0;
	int n;

	if (m == NULL)
		return NULL;
	memset(&snd, 0, sizeof(snd));
	snd.seq = seq;
	snd.ssid = ssid;
	snd.err.s = c->clocks_synced;
	snd.err.z = c->tsfmt;
	snd.err.scale = 12;	/* about 1 us: software timestamps */
	snd.err.mult = 1;
	if (c->size > base) {
		/* the rest of the packet is an Extra Padding TLV of zeros */
		size_t off = 0;

		tl = c->size - base;
		memset(tlv, 0, tl);
		nep_stamp_tlv_put(tlv, sizeof(tlv), &off, NEP_STAMP_TLV_F_U,
			NEP_STAMP_TLV_PADDING, tlv + 4,
			(uint16_t)(tl - NEP_STAMP_TLV_HDR));
		snd.tlv = tlv;
		snd.tlv_len = tl;
	}
	struct nep_stamp_auth auth = { stamp_hmac, (void *)&c->key };
	if (c->auth)
		snd.ts = nep_stamp_ts_from_ns(c->tsfmt,
			nep_wall_ns_at(app, rte_rdtsc()));
	f = rte_pktmbuf_mtod(m, uint8_t *);
	n = nep_stamp_build_sender(f + 14 + 40 + 8, 1400, mode, &snd,
		c->auth ? &auth : NULL);
	if (n < 0) {
		nep_ctl_drop(app, m, stamp_drop_err[-n <= NEP_STAMP_E_COUNT ?
							    -n : 0]);
		return NULL;
	}
	m->data_len = m->pkt_len = 14 + nep_udp6_wrap(f + 14, src, dst, sport,
		c->port, (uint32_t)n, (uint8_t)(c->dscp << 2), 255);
	f[12] = 0x86;
	f[13] = 0xdd;
	meta = nep_meta(m);
	meta->family = 6;
	if (!c->auth) {
		meta->flags |= NEP_META_F_TXSTAMP;
		meta->icmp_param = (uint32_t)(14 + 40 + 8 + 4) << 16 |
				   (14 + 40 + 6);
		meta->reason = c->tsfmt;
	}
	return m;
}

/* Send one request of session s (or of its probe of encapsulation
 * mode, probe >= 0). */
static bool
send_one(struct nep_app *app, struct stamp_sess *s, int probe)
{
	const struct stamp_config *sc = stamp_conf(app->cfg);
	const struct stamp_session_conf *c = &sc->sessions[s->conf];
	struct rte_mbuf *m;
	uint16_t ssid = probe < 0 ? s->ssid : s->probe[probe].ssid;
	uint32_t seq = probe < 0 ? s->seq : s->probe[probe].seq;

	if (s->kind == STAMP_UPLINK) {
		struct nep_mh_uplink_info ui;

		if (nep_mh_uplink_info(app, (unsigned)s->slot, &ui) != 0 ||
			!ui.has_nh6 || !ui.has_src6 ||
			!app->ports[ui.port].link_up)
			return false;
		memcpy(s->src, ui.src6, 16);
		if (!c->has_reflector)
			memcpy(s->dst, ui.target, 16);
		m = build_test(app, c, s->src, s->dst, sc->sender_port, ssid,
			seq);
		if (m == NULL)
			return false;
		nep_ctl_send_via(app, m, app->ports[ui.port].ifid, 6, ui.nh6);
		return true;
	}
	if (s->path < 0)
		return false;
	if (probe == STAMP_PROBE_PLAIN) {
		struct nep_srv6_path_info pi;

		if (!nep_srv6_path(app, (unsigned)s->path, &pi))
			return false;
		m = build_test(app, c, pi.src, s->endpoint, sc->sender_port,
			ssid, seq);
		return m != NULL &&
		       nep_srv6_send_plain(app, m, (unsigned)s->path) == 0;
	}
	m = build_test(app, c, s->src, s->dst, sc->sender_port, ssid, seq);
	if (m == NULL)
		return false;
	return nep_srv6_send_on_path(app, m, c->overlay, c->site, s->site_path,
		       probe < 0 ? s->mode : (enum nep_srv6_encap_mode)probe) ==
	       0;
}

/* ---- sessions ---- */

static int
alloc_ssid(const struct stamp_state *st, uint16_t *next)
{
	for (unsigned tries = 0; tries < 65535; tries++) {
		uint16_t v = (*next)++;

		if (v == 0)
			continue;
		if (st->by_ssid[v] == -1)
			return v;
	}
	return -1;
}

static void
sess_free(struct stamp_sess *s)
{
	free(s->st);
	free(s->lb);
	s->st = NULL;
	s->lb = NULL;
}

static int
sess_alloc(struct stamp_sess *s, const struct stamp_session_conf *c)
{
	s->st = calloc(1, sizeof(*s->st));
	s->lb = calloc(1, sizeof(*s->lb));
	if (s->st == NULL || s->lb == NULL) {
		sess_free(s);
		return -1;
	}
	for (unsigned i = 0; i < STAMP_LB; i++)
		s->lb->id[i] = UINT64_MAX;
	nep_stamp_stats_init(s->st, NEP_STAMP_WIN_MAX, 60 * 1000000000ull,
		c->clocks_synced, c->stateful_reflector);
	return 0;
}

/* The inner source of an overlay session: configured, or our first
 * IPv6 address on a port in the overlay's VRF. */
static bool
overlay_source(const struct nep_app *app, const struct stamp_session_conf *c,
	uint8_t out[16])
{
	const struct nep_config *cfg = app->cfg;
	const struct srv6_config *s6 = srv6_conf(cfg);
	const char *vrf = NULL;

	if (c->has_source) {
		memcpy(out, c->source, 16);
		return true;
	}
	for (unsigned i = 0; s6 != NULL && i < s6->n_overlays; i++)
		if (strcmp(s6->overlays[i].name, c->overlay) == 0)
			vrf = s6->overlays[i].vrf;
	for (unsigned p = 0; vrf != NULL && p < cfg->n_ports; p++) {
		const struct nep_port_conf *pc = &cfg->ports[p];

		if (pc->role != NEP_PORT_LAN || pc->vrf >= cfg->n_vrfs ||
			strcmp(cfg->vrfs[pc->vrf].name, vrf) != 0)
			continue;
		for (unsigned a = 0; a < pc->n_addrs; a++)
			if (pc->addrs[a].addr.family == AF_INET6 &&
				!nep_ip6_is_linklocal(pc->addrs[a].addr.a)) {
				memcpy(out, pc->addrs[a].addr.a, 16);
				return true;
			}
	}
	return false;
}

static struct stamp_sess *
find_old(struct stamp_sess *old, unsigned n_old, const char *name)
{
	for (unsigned i = 0; i < n_old; i++)
		if (old[i].in_use && strcmp(old[i].name, name) == 0)
			return &old[i];
	return NULL;
}

/*
 * (Re)build the running sessions from the configuration and the
 * snapshot's paths; a session whose name and reflector stay keeps its
 * counters, sequence numbers and metrics.
 */
void
stamp_sessions_build(struct nep_app *app)
{
	static struct stamp_sess old[STAMP_MAX_RT];
	const struct stamp_config *sc = stamp_conf(app->cfg);
	struct stamp_state *st = STAMP(app);
	unsigned n_old = st->n_sess, n = 0;
	uint16_t next_ssid = 0x4000;
	uint64_t now = nep_now_ns();

	memcpy(old, st->sess, sizeof(old));
	memset(st->sess, 0, sizeof(st->sess));
	for (unsigned i = 0; i < 65536; i++)
		st->by_ssid[i] = -1;
	/* configured SSIDs first: allocation steps around them */
	for (unsigned i = 0; i < sc->n_sessions; i++)
		if (sc->sessions[i].ssid != 0)
			st->by_ssid[sc->sessions[i].ssid] = -3;
	for (unsigned i = 0; i < sc->n_sessions && n < STAMP_MAX_RT; i++) {
		const struct stamp_session_conf *c = &sc->sessions[i];
		struct nep_srv6_path_info pi[SRV6_SITE_PATHS];
		unsigned np = 1;

		if (c->kind == STAMP_OVERLAY)
			np = nep_srv6_site_paths(app, c->overlay, c->site, pi,
				SRV6_SITE_PATHS);
		for (unsigned k = 0; k < np && n < STAMP_MAX_RT; k++) {
			struct stamp_sess *s = &st->sess[n], *o;
			char name[sizeof(s->name)];

			if (c->kind == STAMP_UPLINK)
				snprintf(name, sizeof(name), "%s", c->name);
			else
				snprintf(name, sizeof(name), "%s/%s/%u",
					c->name, pi[k].uplink, k);
			o = find_old(old, n_old, name);
			if (o != NULL && o->conf < STAMP_MAX_SESSIONS &&
				o->st != NULL &&
				memcmp(o->dst, c->has_reflector ? c->reflector :
								  o->dst,
					16) == 0) {
				*s = *o;
				o->in_use = false;	/* taken over */
				o->st = NULL;
				o->lb = NULL;
			} else {
				memset(s, 0, sizeof(*s));
				if (sess_alloc(s, c) != 0) {
					NEP_LOG(ERR, "stamp: out of memory "
						"for session %s", name);
					continue;
				}
				s->seq = 0;
				s->start_ns = now;
				s->next_ns = now;
				s->next_round_ns = now;
				s->ssid = 0;
			}
			s->in_use = true;
			s->conf = i;
			s->kind = c->kind;
			snprintf(s->name, sizeof(s->name), "%s", name);
			if (c->has_reflector)
				memcpy(s->dst, c->reflector, 16);
			if (c->kind == STAMP_UPLINK) {
				s->slot = nep_mh_uplink_by_name(app, c->uplink);
				snprintf(s->uplink, sizeof(s->uplink), "%s",
					c->uplink);
				s->path = -1;
			} else {
				s->slot = pi[k].uplink_slot;
				snprintf(s->uplink, sizeof(s->uplink), "%s",
					pi[k].uplink);
				s->site_path = k;
				s->path = (int)pi[k].index;
				s->mode = pi[k].mode;
				s->tclass = pi[k].tclass;
				if (!overlay_source(app, c, s->src))
					NEP_LOG(WARNING, "stamp: session %s: "
						"no IPv6 address of ours in the "
						"overlay's VRF (set source)",
						name);
				for (unsigned m = 0; m < NEP_SRV6_ENC_MAX; m++)
					s->probe[m].possible = pi[k].modes[m];
				s->probe[STAMP_PROBE_PLAIN].possible = true;
				memcpy(s->endpoint, pi[k].endpoint, 16);
			}
			/* SSIDs: the configured one, the one it had, or new */
			if (c->ssid != 0)
				s->ssid = c->ssid;
			else if (s->ssid == 0 || st->by_ssid[s->ssid] != -1)
				s->ssid = (uint16_t)alloc_ssid(st, &next_ssid);
			st->by_ssid[s->ssid] = (int16_t)n;
			for (unsigned m = 0; c->kind == STAMP_OVERLAY &&
			     c->transparency && m < STAMP_N_PROBES;
			     m++) {
				if (s->probe[m].ssid == 0 ||
					st->by_ssid[s->probe[m].ssid] != -1)
					s->probe[m].ssid = (uint16_t)alloc_ssid(
						st, &next_ssid);
				st->by_ssid[s->probe[m].ssid] =
					(int16_t)(-16 - (int)(n * 4 + m));
			}
			n++;
		}
	}
	for (unsigned i = 0; i < 65536; i++)
		if (st->by_ssid[i] == -3)
			st->by_ssid[i] = -1;	/* configured, not running */
	st->n_sess = n;
	for (unsigned i = 0; i < n_old; i++)
		if (old[i].in_use)
			sess_free(&old[i]);
}

void
stamp_sessions_free(struct nep_app *app)
{
	struct stamp_state *st = STAMP(app);

	for (unsigned i = 0; i < st->n_sess; i++)
		sess_free(&st->sess[i]);
	st->n_sess = 0;
}

/* ---- transparency ---- */

static void
round_start(struct nep_app *app, struct stamp_sess *s, uint64_t now,
	bool triggered)
{
	s->round_ns = now;
	s->round_triggered = triggered;
	for (unsigned m = 0; m < STAMP_N_PROBES; m++) {
		struct stamp_probe *p = &s->probe[m];

		p->sent = p->answered = 0;
		if (!p->possible)
			continue;
		for (unsigned i = 0; i < STAMP_PROBE_PER_ROUND; i++) {
			p->seq++;
			if (send_one(app, s, (int)m))
				p->sent++;
		}
	}
	s->rounds++;
}

static void
round_check(struct nep_app *app, struct stamp_sess *s, uint64_t now)
{
	const struct stamp_config *sc = stamp_conf(app->cfg);
	struct nep_srv6_path_info pi;
	bool srh = s->probe[NEP_SRV6_ENC_SRH].answered > 0;
	bool alt = s->probe[NEP_SRV6_ENC_IP6IP6].answered > 0;
	bool plain = s->probe[STAMP_PROBE_PLAIN].answered > 0;
	enum nep_srv6_tclass cls;
	enum nep_srv6_encap_mode mode;

	if (s->round_ns == 0)
		return;
	if (!(srh || (s->round_triggered && alt) ||
		    now - s->round_ns >= ROUND_TIMEOUT_NS))
		return;
	s->round_ns = 0;
	s->next_round_ns = now + (uint64_t)sc->reprobe_s * 1000000000ull;
	s->probe[NEP_SRV6_ENC_SRH].works = srh;
	s->probe[NEP_SRV6_ENC_IP6IP6].works = alt;
	s->probe[STAMP_PROBE_PLAIN].works = plain;
	if (s->path < 0 || !nep_srv6_path(app, (unsigned)s->path, &pi))
		return;
	if (srh || alt || !plain)
		s->op_rounds = 0;
	if (srh) {
		cls = NEP_SRV6_T0;
		mode = NEP_SRV6_ENC_SRH;
	} else if (alt) {
		cls = NEP_SRV6_T1;
		mode = NEP_SRV6_ENC_IP6IP6;
	} else if (plain) {
		/* the endpoint answers plain IPv6, through no tunnel; the far
		 * end may just not be ready to answer over the overlay (its
		 * paths not up yet): OP takes STAMP_OP_ROUNDS rounds */
		if (++s->op_rounds < STAMP_OP_ROUNDS)
			return;
		cls = NEP_SRV6_T_OP;
		mode = (enum nep_srv6_encap_mode)pi.mode;
	} else {
		/* nobody answers at all (the path is down, or the far end
		 * runs no reflector): nothing learnt */
		return;
	}
	if (cls == pi.tclass && mode == pi.mode)
		return;
	nep_srv6_set_path_mode(app, (unsigned)s->path, mode, cls);
	s->mode = (uint8_t)mode;
	s->tclass = (uint8_t)cls;
	s->reclassified++;
	if (s->outage_start_ns != 0 && mode != pi.mode) {
		s->last_outage_ns = now - s->outage_start_ns;
		s->outage_start_ns = 0;
	}
	stamp_event(app, "overlay path %s: %s -> %s, encapsulation %s "
		"(srh %s, ip6ip6 %s, plain %s)%s", s->name,
		nep_srv6_tclass_names[pi.tclass], nep_srv6_tclass_names[cls],
		nep_srv6_encap_names[mode], srh ? "answered" : "lost",
		s->probe[NEP_SRV6_ENC_IP6IP6].possible ?
			(alt ? "answered" : "lost") : "impossible",
		plain ? "answered" : "lost",
		cls == NEP_SRV6_T_OP ? ": not used" : "");
}

/* ---- running ---- */

void
stamp_sessions_run(struct nep_app *app, uint64_t loop_ns)
{
	const struct stamp_config *sc = stamp_conf(app->cfg);
	struct stamp_state *st = STAMP(app);
	uint64_t wall = nep_wall_ns_at(app, rte_rdtsc());
	/*
	 * Now, not the control loop's start: the replies this iteration
	 * took (last_reply_ns) came after that, and `now - last_reply`
	 * would wrap around to "unanswered for ages" (a triggered round
	 * every second, and a real failure then waiting out the gap).
	 */
	uint64_t now_ns = nep_now_ns();

	(void)loop_ns;
	for (unsigned i = 0; i < st->n_sess; i++) {
		struct stamp_sess *s = &st->sess[i];
		const struct stamp_session_conf *c = &sc->sessions[s->conf];
		uint64_t iv = (uint64_t)c->interval_ms * 1000000ull;

		s->wall_now = wall;
		if (!s->in_use || s->finished)
			continue;
		if (c->duration_s != 0 &&
			now_ns - s->start_ns >= (uint64_t)c->duration_s *
							1000000000ull) {
			s->finished = true;
			continue;
		}
		if (now_ns >= s->next_ns) {
			s->seq++;
			if (send_one(app, s, -1)) {
				s->sent++;
				loss_sent(s, wall, s->seq);
			} else {
				s->tx_failed++;
			}
			s->next_ns += iv;
			if (s->next_ns <= now_ns)	/* fell behind */
				s->next_ns = now_ns + iv;
		}
		if (s->kind != STAMP_OVERLAY || !c->transparency)
			continue;
		round_check(app, s, now_ns);
		if (s->round_ns != 0)
			continue;
		/* unanswered for fail_count intervals: what gets through? */
		uint64_t since = s->last_reply_ns > s->start_ns ?
			s->last_reply_ns : s->start_ns;
		if (s->sent >= sc->fail_count && now_ns > since &&
			now_ns - since > (uint64_t)sc->fail_count * iv &&
			now_ns - s->last_trigger_ns >= TRIGGER_GAP_NS) {
			if (s->outage_start_ns == 0)
				s->outage_start_ns = since;
			s->last_trigger_ns = now_ns;
			round_start(app, s, now_ns, true);
		} else if (now_ns >= s->next_round_ns) {
			round_start(app, s, now_ns, false);
		}
	}
}

/* ---- replies ---- */

void
stamp_reply_input(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	const struct stamp_config *sc = stamp_conf(app->cfg);
	struct stamp_state *st = STAMP(app);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *l3 = f + pi->l3_off, *udp = f + pi->l4_off, *p;
	uint64_t t4 = nep_wall_ns_at(app,
		nep_arrival_tsc(rte_rdtsc(), nep_meta(m)->arrival_tsc));
	struct nep_stamp_reflector r;
	struct nep_stamp_sample smp;
	struct stamp_sess *s = NULL;
	struct stamp_probe *pr = NULL;
	uint32_t ulen, plen;
	int idx = -1, rc;

	(void)port;
	if (pi->family != 6 || !pi->has_l4 || pi->fragmented) {
		nep_ctl_drop(app, m, stamp_drop_err[-NEP_STAMP_E_TRUNCATED]);
		return;
	}
	ulen = (uint32_t)(udp[4] << 8 | udp[5]);
	if (ulen < 8 + NEP_STAMP_BASE_UNAUTH ||
		pi->l4_off + ulen > rte_pktmbuf_data_len(m)) {
		nep_ctl_drop(app, m, stamp_drop_err[-NEP_STAMP_E_TRUNCATED]);
		return;
	}
	plen = ulen - 8;
	p = udp + 8;
	/* The SSID says whose: unauthenticated at 14, authenticated at 26. */
	for (unsigned pass = 0; pass < 2 && idx == -1; pass++) {
		size_t off = pass == 0 ? 14 : 26;
		int v;

		if (off + 2 > plen)
			break;
		v = st->by_ssid[p[off] << 8 | p[off + 1]];
		if (v == -1)
			continue;
		unsigned si = v >= 0 ? (unsigned)v : (unsigned)(-16 - v) / 4;
		if (si >= st->n_sess)
			continue;
		if (sc->sessions[st->sess[si].conf].auth != (pass == 1))
			continue;
		idx = (int)si;
		s = &st->sess[si];
		if (v < 0)
			pr = &s->probe[(unsigned)(-16 - v) % 4];
	}
	if (s == NULL || memcmp(l3 + 8, pr == &s->probe[STAMP_PROBE_PLAIN] ?
					s->endpoint : s->dst, 16) != 0) {
		st->replies_unmatched++;
		nep_ctl_drop(app, m, stamp_drop_unmatched);
		return;
	}
	const struct stamp_session_conf *c = &sc->sessions[s->conf];
	struct nep_stamp_auth auth = { stamp_hmac, (void *)&c->key };
	rc = nep_stamp_parse_reflector(p, plen,
		c->auth ? NEP_STAMP_AUTH : NEP_STAMP_UNAUTH,
		c->auth ? &auth : NULL, &r);
	if (rc < 0) {
		s->bad_replies++;
		nep_ctl_drop(app, m, stamp_drop_err[-rc <= NEP_STAMP_E_COUNT ?
							    -rc : 0]);
		return;
	}
	if (pr != NULL) {
		pr->answered++;
		pr->last_ok_ns = nep_now_ns();
		nep_local_consumed(app, m);
		return;
	}
	memset(&smp, 0, sizeof(smp));
	if (nep_stamp_ts_to_ns(r.s_err.z, r.s_ts, &smp.t1) != 0 ||
		nep_stamp_ts_to_ns(r.err.z, r.rx_ts, &smp.t2) != 0 ||
		nep_stamp_ts_to_ns(r.err.z, r.ts, &smp.t3) != 0) {
		s->bad_replies++;
		nep_ctl_drop(app, m, stamp_drop_err[-NEP_STAMP_E_BAD_TS]);
		return;
	}
	smp.t4 = t4;
	smp.s_seq = r.s_seq;
	smp.r_seq = r.seq;
	enum nep_stamp_add added = nep_stamp_stats_add(s->st, &smp);
	if (added == NEP_STAMP_ADD_OK || added == NEP_STAMP_ADD_REORDERED) {
		loss_rcvd(s, r.s_seq);
		s->replies++;	/* unique ones; duplicates are counted apart */
	}
	s->last_reply_ns = nep_now_ns();
	s->last_ttl = r.s_ttl;
	if (s->outage_start_ns != 0 && s->round_ns == 0)
		s->outage_start_ns = 0;	/* it came back by itself */
	nep_local_consumed(app, m);
}
