/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel's stages (docs/tunnel.md, "Packet path"):
 *  - ingress: UDP to our port on one of our WAN addresses, processed in
 *    the order of docs/tunnel-protocol.md section 8, every failing step a
 *    named drop (nothing is ever answered); DATA is decapsulated and goes
 *    on to the lookup, KEEPALIVE is answered in place (same size), the
 *    other control messages go to the control lcore as events;
 *  - egress: a destination routed into a tunnel (NEP_NH_FEATURE): the
 *    endpoint's path for the flow (weighted, persistent, steering
 *    policies honoured), or the hub's session the endpoint last used;
 *  - the path action: encapsulation (outer IP/UDP, header, seal) after
 *    the output stage checked the inner packet against the inner MTU.
 */
#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "mh_config.h"
#include "mh_export.h"
#include "nep_rendezvous.h"
#include "nep_srv6.h"
#include "nep_worker.h"
#include "tunnel.h"

/* ---- trace ---- */

enum tun_trace_kind { TUN_TRACE_RX = 1, TUN_TRACE_TX };

struct tun_trace_rec {
	uint64_t seq;
	uint32_t session_id;
	uint16_t len;
	uint8_t type, key_id, path, drop;
};

static inline void
tun_trace(struct nep_pctx *c, enum nep_stage st, enum tun_trace_kind k,
	nep_verdict_t v, const struct tun_trace_rec *t)
{
	if (unlikely(c->meta->flags & NEP_META_F_TRACE))
		nep_trace_add(c->w->trace, st, (uint8_t)nep_tun_feature.id,
			(uint8_t)k, v, t, sizeof(*t));
}

static const char *const type_names[] = { "?", "data", "keepalive",
	"keepalive-reply", "rekey", "rekey-ack" };

void
tun_trace_format(const struct nep_app *app, const struct nep_trace_rec *r,
	struct nep_buf *out)
{
	const struct tun_trace_rec *t = (const void *)r->data;
	const char *tn = t->type < 6 ? type_names[t->type] : "?";

	(void)app;
	if (r->kind == TUN_TRACE_RX)
		nep_buf_printf(out, "tunnel rx session %u %s key %u seq %" PRIu64
			" payload %u", t->session_id, tn, t->key_id, t->seq,
			t->len);
	else
		nep_buf_printf(out, "tunnel tx session %u %s key %u seq %" PRIu64
			" inner %u path %d", t->session_id, tn, t->key_id, t->seq,
			t->len, t->path == 0xff ? -1 : (int)t->path);
}

/* ---- sealing (data path and control lcore) ---- */

int
tun_seal(const struct tun_key *k, unsigned thread, uint8_t dir, uint8_t *ip,
	const struct nep_tun_outer *o, uint8_t tos, const struct nep_tun_hdr *h)
{
	uint8_t *th = ip + nep_tun_outer_len(o->family);
	uint8_t iv[NEP_TUN_NONCE_LEN];
	bool aead = nep_tun_suite_is_aead(h->suite);

	nep_tun_outer_write(ip, o, tos, NEP_TUN_HDR_LEN + h->length +
		nep_tun_tag_len(h->suite));
	nep_tun_hdr_encode(h, th);
	if (aead)
		nep_tun_nonce(h->key_id, dir, h->seq, iv);
	if (nep_tcrypto_seal(k->tx[thread], th, NEP_TUN_HDR_LEN, h->length,
		    aead ? iv : NULL) != 0)
		return -1;
	nep_tun_outer_finish(ip, o->family);
	return 0;
}

/* ---- ingress ---- */

static inline bool
ours(const struct tun_snap *ts, const struct nep_pctx *c, const uint8_t *l3)
{
	if (c->pi.family == 6) {
		const uint8_t *d = ((const struct rte_ipv6_hdr *)l3)->dst_addr;

		for (unsigned i = 0; i < ts->n_addr6; i++)
			if (memcmp(ts->addr6[i], d, 16) == 0)
				return true;
		return false;
	}
	uint32_t d = ((const struct rte_ipv4_hdr *)l3)->dst_addr;

	for (unsigned i = 0; i < ts->n_addr4; i++)
		if (ts->addr4[i] == d)
			return true;
	return false;
}

static inline nep_verdict_t
drop(unsigned reason)
{
	return NEP_VERDICT_DROP(reason);
}

static inline bool
in_prefixes(const struct tun_endpoint *te, uint8_t family, const uint8_t *a)
{
	struct nep_addr x = { .family = family == 6 ? AF_INET6 : AF_INET };

	memcpy(x.a, a, family == 6 ? 16 : 4);
	for (unsigned i = 0; i < te->n_prefixes; i++)
		if (nep_prefix_contains(&te->prefixes[i], &x))
			return true;
	return false;
}

/* The outer source of a received message (the hub learns it). */
static inline void
learn_peer(struct tun_state *st, const struct nep_pctx *c, const uint8_t *l3,
	const uint8_t *udp)
{
	uint8_t fam = c->pi.family, src[16] = { 0 }, dst[16] = { 0 };
	uint16_t sport = (uint16_t)(udp[0] << 8 | udp[1]);

	if (fam == 6) {
		memcpy(src, ((const struct rte_ipv6_hdr *)l3)->src_addr, 16);
		memcpy(dst, ((const struct rte_ipv6_hdr *)l3)->dst_addr, 16);
	} else {
		memcpy(src, &((const struct rte_ipv4_hdr *)l3)->src_addr, 4);
		memcpy(dst, &((const struct rte_ipv4_hdr *)l3)->dst_addr, 4);
	}
	if (st->peer_family == fam && st->peer_port == sport &&
		memcmp(st->peer_addr, src, 16) == 0 &&
		memcmp(st->local_addr, dst, 16) == 0)
		return;
	/* single writer (this worker); readers retry on an odd version */
	__atomic_store_n(&st->peer_ver, st->peer_ver + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	st->peer_family = fam;
	st->peer_port = sport;
	memcpy(st->peer_addr, src, 16);
	memcpy(st->local_addr, dst, 16);
	__atomic_store_n(&st->peer_ver, st->peer_ver + 1, __ATOMIC_RELEASE);
}

/* A verified KEEPALIVE: the reply takes the request's place, the same
 * size (section 7), back the way the request came. */
static nep_verdict_t
keepalive_reply(struct nep_pctx *c, const struct tun_snap *ts,
	const struct tun_sess *s, struct tun_state *st,
	const struct tun_key *k, const struct nep_tun_hdr *rq, uint8_t *l3,
	uint8_t *body)
{
	struct tun_worker *tw = TUN_W(c->w);
	struct nep_tun_outer o;
	struct nep_tun_hdr h = *rq;
	uint8_t *udp = c->frame + c->pi.l4_off;
	unsigned out = NEP_META_NO_PORT;
	int32_t npos = -1;
	uint8_t ts8[8];

	o.family = c->pi.family;
	o.ttl = ts->hop_limit;
	o.sport = (uint16_t)(udp[2] << 8 | udp[3]);
	o.dport = (uint16_t)(udp[0] << 8 | udp[1]);
	memset(o.src, 0, 16);
	memset(o.dst, 0, 16);
	if (o.family == 6) {
		memcpy(o.src, ((struct rte_ipv6_hdr *)l3)->dst_addr, 16);
		memcpy(o.dst, ((struct rte_ipv6_hdr *)l3)->src_addr, 16);
	} else {
		memcpy(o.src, &((struct rte_ipv4_hdr *)l3)->dst_addr, 4);
		memcpy(o.dst, &((struct rte_ipv4_hdr *)l3)->src_addr, 4);
	}
	/* body: echoed sequence || echoed timestamp */
	memcpy(ts8, body, 8);
	for (unsigned i = 0; i < 8; i++)
		body[i] = (uint8_t)(rq->seq >> (56 - 8 * i));
	memcpy(body + 8, ts8, 8);
	h.type = NEP_TUN_T_KEEPALIVE_REPLY;
	h.seq = __atomic_fetch_add(&st->tx_seq, 1, __ATOMIC_RELAXED);
	if (tun_seal(k, tw->thread, ts->tx_dir, l3, &o, 0, &h) != 0)
		return drop(tun_drop_auth_failed);
	if (s->path >= 0) {
		const struct tun_path *p = &ts->paths[s->path];
		out = p->port;
		npos = p->neigh_pos;
	} else {
		(void)nep_route(c->w, c->s, o.family, o.dst, &out, &npos);
		if (out == NEP_META_NO_PORT)
			return drop(tun_drop_no_peer);
	}
	c->meta->out_port = (uint8_t)out;
	c->meta->neigh_pos = npos;
	c->meta->action = 0;
	c->meta->flags |= NEP_META_F_AGED;
	tw->stats->ka_replied++;
	return NEP_VERDICT(NEP_V_FORWARD, 0);
}

/*
 * RFC 6040 section 4.2 (normal mode) on decapsulation: an outer CE marks
 * an ECN-capable inner packet CE, outer ECT(1) over inner ECT(0) gives
 * ECT(1); a Not-ECT inner packet under CE is dropped (false: drop).
 * ECN codepoints: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE.
 */
static inline bool
ecn_decap(const uint8_t *outer, uint8_t outer_family, uint8_t *inner,
	uint8_t ptype)
{
	uint8_t o = outer_family == 6 ? (outer[1] >> 4) & 3 : outer[1] & 3;
	uint8_t i = ptype == NEP_TUN_P_IPV6 ? (inner[1] >> 4) & 3 : inner[1] & 3;
	uint8_t n = i;

	if (o == 3)
		n = 3;
	else if (o == 1 && i == 2)
		n = 1;
	if (i == 0)
		return o != 3;
	if (n == i)
		return true;
	if (ptype == NEP_TUN_P_IPV6) {
		inner[1] = (uint8_t)((inner[1] & 0xcf) | n << 4);
	} else {
		uint16_t old = (uint16_t)(inner[0] << 8 | inner[1]);
		uint16_t ck = (uint16_t)(inner[10] << 8 | inner[11]);

		inner[1] = (uint8_t)((inner[1] & 0xfc) | n);
		ck = nep_csum_update16(ck, old, (uint16_t)(inner[0] << 8 |
			inner[1]));
		inner[10] = (uint8_t)(ck >> 8);
		inner[11] = (uint8_t)ck;
	}
	return true;
}

/* After the checks: DATA to the lookup, or a control message. */
static nep_verdict_t
deliver(struct nep_pctx *c, struct rte_mbuf *m, const struct tun_snap *ts,
	unsigned si, struct tun_state *st, const struct tun_key *k,
	const struct nep_tun_hdr *h, uint8_t *l3, uint8_t *th, bool raised)
{
	const struct tun_sess *s = &ts->sess[si];
	struct tun_worker *tw = TUN_W(c->w);
	uint8_t *inner = th + NEP_TUN_HDR_LEN;
	uint32_t ilen = h->length, inner_off;
	nep_verdict_t v;

	if (h->type != NEP_TUN_T_DATA) {
		struct tun_event ev;

		if (raised) {
			__atomic_store_n(&st->last_rx_tsc, c->now,
				__ATOMIC_RELAXED);
			if (ts->role == TUN_ROLE_HUB)
				learn_peer(st, c, l3, c->frame + c->pi.l4_off);
		}
		if (h->type == NEP_TUN_T_KEEPALIVE)
			return keepalive_reply(c, ts, s, st, k, h, l3, inner);
		memset(&ev, 0, sizeof(ev));
		ev.seq = h->seq;
		ev.rx_tsc = c->now;
		ev.sess = (uint16_t)si;
		ev.type = h->type;
		ev.key_id = h->key_id;
		ev.session_id = h->session_id;
		memcpy(ev.body, inner, NEP_TUN_CTRL_LEN);
		if (rte_ring_enqueue_elem(tw->events, &ev, sizeof(ev)) != 0)
			tw->stats->events_lost++;
		rte_pktmbuf_free(m);
		return NEP_V_CONSUMED;
	}
	/* step 19: the inner packet is what the header says */
	if (h->ptype == NEP_TUN_P_IPV6) {
		if (ilen < 40 || inner[0] >> 4 != 6 ||
			40u + (uint32_t)(inner[4] << 8 | inner[5]) != ilen)
			return drop(tun_drop_inner_mismatch);
	} else if (ilen < 20 || inner[0] >> 4 != 4 ||
		   (uint32_t)(inner[2] << 8 | inner[3]) != ilen) {
		return drop(tun_drop_inner_mismatch);
	}
	if (ilen > s->inner_mtu)
		return drop(tun_drop_inner_mismatch);
	if (ts->role == TUN_ROLE_HUB) {
		/* An endpoint sends only from its own prefixes. */
		const uint8_t *src = h->ptype == NEP_TUN_P_IPV6 ? inner + 8 :
								  inner + 12;
		if (!in_prefixes(&ts->endpoints[s->peer],
			    h->ptype == NEP_TUN_P_IPV6 ? 6 : 4, src))
			return drop(tun_drop_inner_source);
		if (raised)
			learn_peer(st, c, l3, c->frame + c->pi.l4_off);
	}
	if (raised)
		__atomic_store_n(&st->last_rx_tsc, c->now, __ATOMIC_RELAXED);
	if (unlikely(!ecn_decap(l3, c->pi.family, inner, h->ptype)))
		return drop(tun_drop_ecn);
	tw->stats->rx_pkts[s->state]++;
	tw->stats->rx_bytes[s->state] += ilen;
	/* The inner packet takes the frame's place: Ethernet addresses
	 * forward over the outer headers, the new ethertype. */
	inner_off = (uint32_t)(inner - c->frame);
	memmove(c->frame + inner_off - NEP_ETH_HLEN, c->frame, 12);
	c->frame[inner_off - 2] = h->ptype == NEP_TUN_P_IPV6 ? 0x86 : 0x08;
	c->frame[inner_off - 1] = h->ptype == NEP_TUN_P_IPV6 ? 0xdd : 0x00;
	rte_pktmbuf_adj(m, (uint16_t)(inner_off - NEP_ETH_HLEN));
	c->meta->flags = (uint8_t)((c->meta->flags & ~NEP_META_F_AGED) |
		NEP_META_F_DECAP);
	c->meta->table = 0;
	v = nep_reinput(c, m);
	/* SYNs out of the tunnel are clamped to what it carries. */
	if (v == NEP_V_NEXT && ts->mss_clamp &&
		c->pi.l4_proto == NEP_PROTO_TCP && c->pi.has_l4 && !c->pi.frag &&
		nep_tcp_clamp_mss(c->frame + c->pi.l4_off, c->pi.l3_off +
			c->pi.l3_len - c->pi.l4_off, (uint16_t)(s->inner_mtu -
			(c->pi.family == 6 ? 60 : 40))))
		tw->stats->mss_clamped++;
	return v;
}

nep_verdict_t
tun_ingress(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct tun_snap *ts = TUN_SNAP(c->s);
	struct tun_worker *tw;
	struct tun_state *st;
	const struct tun_sess *s;
	const struct tun_key *k;
	struct nep_tun_hdr h;
	struct tun_trace_rec t = { 0 };
	uint8_t *l3, *udp, *th, iv[NEP_TUN_NONCE_LEN];
	uint32_t ulen;
	uint64_t old_top;
	enum nep_tun_rc rc;
	nep_verdict_t v;
	int si;

	if (!ts->enabled || c->pi.l4_proto != NEP_PROTO_UDP)
		return NEP_V_NEXT;
	l3 = c->frame + c->pi.l3_off;
	if (!ours(ts, c, l3))
		return NEP_V_NEXT;
	if (unlikely(c->pi.fragmented || !c->pi.has_l4)) {
		/* An outer fragment (any fragment to our UDP traffic): the
		 * sender sets DF and never fragments (section 1). */
		return drop(tun_drop_outer_fragment);
	}
	udp = c->frame + c->pi.l4_off;
	if ((uint16_t)(udp[2] << 8 | udp[3]) != ts->port)
		return NEP_V_NEXT;
	tw = TUN_W(c->w);
	ulen = (uint32_t)(udp[4] << 8 | udp[5]);
	if (ulen < 8 || c->pi.l4_off + ulen > c->pi.l3_off + c->pi.l3_len)
		return drop(tun_drop_rc[NEP_TUN_ERR_LEN]);
	if (!nep_tun_outer_cksum_ok(l3, udp, c->pi.family))
		return drop(tun_drop_bad_udp_checksum);
	th = udp + 8;
	rc = nep_tun_hdr_decode(th, ulen - 8, ts->max_inner, &h);
	t.session_id = h.session_id;
	t.seq = h.seq;
	t.type = h.type;
	t.key_id = h.key_id;
	t.len = h.length;
	if (unlikely(rc != NEP_TUN_OK)) {
		v = drop(tun_drop_rc[rc]);
		goto out;
	}
	si = tun_sess_lookup(ts, h.session_id);
	if (si < 0) {
		v = drop(tun_drop_unknown_session);
		goto out;
	}
	s = &ts->sess[si];
	st = &TUN_CTL(c->w->app)->state[s->state];
	k = tun_key_of(s, h.key_id);
	if (k == NULL || !nep_tun_keys_accepts(&st->keys, h.key_id, c->now)) {
		v = drop(tun_drop_unknown_key);
		goto out;
	}
	if (h.suite != ts->suite) {
		v = drop(tun_drop_suite_mismatch);
		goto out;
	}
	if ((h.type == NEP_TUN_T_REKEY && ts->role != TUN_ROLE_HUB) ||
		(h.type == NEP_TUN_T_REKEY_ACK && ts->role != TUN_ROLE_ENDPOINT)) {
		v = drop(tun_drop_bad_role);
		goto out;
	}
	/* never sent (section 4): a receiver takes it for a forgery */
	rc = h.seq == UINT64_MAX ? NEP_TUN_ERR_SEQ_EXHAUSTED :
				   nep_tun_replay_check(&st->rx, h.seq);
	if (rc != NEP_TUN_OK) {
		tw->stats->replays[s->state]++;
		v = drop(tun_drop_rc[rc]);
		goto out;
	}
	if (nep_tun_suite_is_aead(h.suite))
		nep_tun_nonce(h.key_id, ts->rx_dir, h.seq, iv);
	if (nep_tcrypto_open(k->rx[tw->thread], th, NEP_TUN_HDR_LEN, h.length,
		    nep_tun_suite_is_aead(h.suite) ? iv : NULL) != 0) {
		tw->stats->auth_failed[s->state]++;
		v = drop(tun_drop_auth_failed);
		goto out;
	}
	old_top = st->rx.top;
	rc = nep_tun_replay_update(&st->rx, h.seq);
	if (rc != NEP_TUN_OK) {
		tw->stats->replays[s->state]++;
		v = drop(tun_drop_rc[rc]);
		goto out;
	}
	/* The peer uses the new key: the old one's grace time starts. */
	if (h.type <= NEP_TUN_T_KEEPALIVE)
		nep_tun_keys_peer_used(&st->keys, h.key_id, c->now,
			ts->grace_tsc);
	if (unlikely(c->meta->flags & NEP_META_F_TRACE))
		tun_trace(c, NEP_STAGE_INGRESS, TUN_TRACE_RX, NEP_V_NEXT, &t);
	return deliver(c, m, ts, (unsigned)si, st, k, &h, l3, th,
		h.seq > old_top || old_top == 0);
out:
	if (unlikely(c->meta->flags & NEP_META_F_TRACE))
		tun_trace(c, NEP_STAGE_INGRESS, TUN_TRACE_RX, v, &t);
	return v;
}

/* ---- egress ---- */

/* Endpoint: the flow's path among those up. */
static nep_verdict_t
endpoint_path(struct nep_pctx *c, const struct tun_snap *ts)
{
	const uint8_t *inner = c->frame + c->pi.l3_off;
	uint32_t label = nep_srv6_flow_label(inner, c->pi.l3_len);
	unsigned b = label & (TUN_BUCKETS - 1), k, gp;
	uint64_t up = __atomic_load_n(&ts->up_mask, __ATOMIC_ACQUIRE);
	uint64_t pref = __atomic_load_n(&ts->pref_mask, __ATOMIC_RELAXED);
	const struct nep_policy_conf *pc;
	const struct tun_path *p;

	/* The preferred hub (the controller's decision) while it has a
	 * usable path; local health overrides it: none up, all paths. */
	if (up & pref)
		up &= pref;
	/* A steering policy naming an uplink: strict keeps the flow on that
	 * uplink's paths, preferred tries them first. */
	pc = nep_mh_policy_of(c->s, c->frame, &c->pi);
	k = nep_rdv_pick(ts->rank[b], ts->n_paths, NULL, up, ts->path_uplink,
		pc != NULL && pc->mode != NEP_MODE_BALANCED ? pc->uplink : -1,
		pc != NULL && pc->mode == NEP_MODE_STRICT);
	if (unlikely(k == ts->n_paths))
		goto none;
	gp = ts->rank[b][k];
	p = &ts->paths[gp];
	c->meta->out_port = p->port;
	c->meta->neigh_pos = p->neigh_pos;
	c->meta->path = (uint8_t)(gp + 1);
	c->path_ctx = p;
	c->overhead = (uint16_t)(p->mtu - p->inner_mtu);
	return NEP_VERDICT(NEP_V_FORWARD, 0);
none:
	return nep_icmp_error_verdict(c->meta, tun_drop_no_path,
		NEP_ICMP_ERR_UNREACH, 0);
}

/* Hub: the endpoint's session it last used, to where it was seen. */
static nep_verdict_t
hub_path(struct nep_pctx *c, const struct tun_snap *ts, unsigned route)
{
	const struct tun_endpoint *te = &ts->endpoints[ts->route_ep[route]];
	const struct tun_state *state = TUN_CTL(c->w->app)->state;
	struct tun_path *p = &TUN_W(c->w)->hub_path;
	uint64_t best = 0;
	unsigned out = NEP_META_NO_PORT;
	int32_t npos = -1;
	int bs = -1;

	for (unsigned i = 0; i < te->n_sess; i++) {
		uint64_t t = __atomic_load_n(&state[ts->sess[te->sess[i]].state]
			.last_rx_tsc, __ATOMIC_RELAXED);
		if (t > best) {
			best = t;
			bs = te->sess[i];
		}
	}
	if (bs < 0 || !tun_read_peer(&state[ts->sess[bs].state], &p->o))
		return nep_icmp_error_verdict(c->meta, tun_drop_no_peer,
			NEP_ICMP_ERR_UNREACH, 0);
	p->o.ttl = ts->hop_limit;
	p->o.sport = ts->port;
	p->sess = (uint16_t)bs;
	(void)nep_route(c->w, c->s, p->o.family, p->o.dst, &out, &npos);
	if (out == NEP_META_NO_PORT)
		return nep_icmp_error_verdict(c->meta, tun_drop_no_peer,
			NEP_ICMP_ERR_UNREACH, 0);
	p->port = (uint8_t)out;
	p->mtu = c->w->app->ports[out].mtu;
	p->inner_mtu = (uint16_t)RTE_MIN((uint32_t)ts->sess[bs].inner_mtu,
		(uint32_t)p->mtu - nep_tun_overhead(ts->suite, p->o.family));
	c->meta->out_port = (uint8_t)out;
	c->meta->neigh_pos = npos;
	c->meta->path = 0;
	c->path_ctx = p;
	c->overhead = (uint16_t)(p->mtu - p->inner_mtu);
	return NEP_VERDICT(NEP_V_FORWARD, 0);
}

nep_verdict_t
tun_egress(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct tun_snap *ts = TUN_SNAP(c->s);
	uint32_t idx = nep_nh_index(c->nh);
	nep_verdict_t v;

	(void)m;
	if (nep_nh_kind(c->nh) != NEP_NH_FEATURE ||
		NEP_NH_FEATURE_OWNER(idx) != nep_tun_feature.id || !ts->enabled)
		return NEP_V_NEXT;
	v = ts->role == TUN_ROLE_ENDPOINT ? endpoint_path(c, ts) :
		hub_path(c, ts, NEP_NH_FEATURE_ROUTE(idx));
	if (NEP_VERDICT_KIND(v) == NEP_V_FORWARD)
		c->meta->action = tun_action_encap;
	return v;
}

/* ---- the path action ---- */

static nep_verdict_t
tun_action(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct tun_snap *ts = TUN_SNAP(c->s);
	const struct tun_path *p = c->path_ctx;
	const struct tun_sess *s = &ts->sess[p->sess];
	struct tun_state *st = &TUN_CTL(c->w->app)->state[s->state];
	struct tun_worker *tw = TUN_W(c->w);
	uint32_t ilen = c->pi.l3_len, hdr = nep_tun_outer_len(p->o.family) +
		NEP_TUN_HDR_LEN;
	struct tun_trace_rec t = { .path = c->meta->path ?
		(uint8_t)(c->meta->path - 1) : 0xff };
	const struct tun_key *k;
	struct nep_tun_hdr h;
	uint8_t *inner = c->frame + c->pi.l3_off, *f, tos;
	nep_verdict_t v;

	if (unlikely(__atomic_load_n(&st->tx_expired, __ATOMIC_RELAXED))) {
		v = drop(tun_drop_key_expired);
		goto out;
	}
	k = tun_key_of(s, nep_tun_keys_tx(&st->keys));
	if (unlikely(k == NULL)) {
		v = drop(tun_drop_key_expired);
		goto out;
	}
	if (ts->mss_clamp && c->pi.l4_proto == NEP_PROTO_TCP && c->pi.has_l4 &&
		!c->pi.frag &&
		nep_tcp_clamp_mss(c->frame + c->pi.l4_off, c->pi.l3_off + ilen -
			c->pi.l4_off, (uint16_t)(p->inner_mtu -
			(c->pi.family == 6 ? 60 : 40))))
		tw->stats->mss_clamped++;
	/* The inner packet is forwarded: aged here, the outer is new. */
	if (c->pi.family == 6) {
		((struct rte_ipv6_hdr *)inner)->hop_limits--;
		tos = (uint8_t)(rte_be_to_cpu_32(
			((struct rte_ipv6_hdr *)inner)->vtc_flow) >> 20);
	} else {
		nep_ip4_dec_ttl((struct rte_ipv4_hdr *)inner);
		tos = ((struct rte_ipv4_hdr *)inner)->type_of_service;
	}
	if (unlikely(rte_pktmbuf_append(m, ts->tag_len) == NULL)) {
		v = drop(tun_drop_headroom);
		goto out;
	}
	f = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)hdr);
	if (unlikely(f == NULL)) {
		rte_pktmbuf_trim(m, ts->tag_len);
		v = drop(tun_drop_headroom);
		goto out;
	}
	h.version = NEP_TUN_VERSION;
	h.type = NEP_TUN_T_DATA;
	h.flags = 0;
	h.ptype = c->pi.family == 6 ? NEP_TUN_P_IPV6 : NEP_TUN_P_IPV4;
	h.key_id = k->id;
	h.suite = ts->suite;
	h.length = (uint16_t)ilen;
	h.session_id = s->session_id;
	h.seq = __atomic_fetch_add(&st->tx_seq, 1, __ATOMIC_RELAXED);
	if (unlikely(tun_seal(k, tw->thread, ts->tx_dir, f + NEP_ETH_HLEN,
			     &p->o, tos, &h) != 0)) {
		v = drop(tun_drop_auth_failed);
		goto out;
	}
	f[12] = p->o.family == 6 ? 0x86 : 0x08;
	f[13] = p->o.family == 6 ? 0xdd : 0x00;
	c->frame = f;
	c->pi.l3_off = NEP_ETH_HLEN;
	c->pi.l3_len = (uint16_t)(hdr + ilen + ts->tag_len);
	c->pi.family = p->o.family;
	c->meta->family = p->o.family;
	c->meta->flags |= NEP_META_F_AGED;
	tw->stats->tx_pkts[s->state]++;
	tw->stats->tx_bytes[s->state] += ilen;
	t.session_id = h.session_id;
	t.seq = h.seq;
	t.type = h.type;
	t.key_id = h.key_id;
	t.len = h.length;
	v = NEP_V_NEXT;
out:
	if (unlikely(c->meta->flags & NEP_META_F_TRACE))
		tun_trace(c, NEP_STAGE_OUTPUT, TUN_TRACE_TX, v, &t);
	return v;
}

static unsigned
reg(const char *name, enum nep_stage st)
{
	int d = nep_drop_register(name, "tunnel", st);

	if (d < 0) {
		fprintf(stderr, "tunnel: the drop reason table is full\n");
		abort();
	}
	return (unsigned)d;
}

void
tun_register_datapath(void)
{
	static const struct nep_action encap = {
		.name = "tunnel_encap",
		.overhead = 0,	/* per path: pctx.overhead */
		.fn = tun_action,
	};
	int a;

	for (unsigned rc = 1; rc < NEP_TUN_RC_MAX; rc++)
		tun_drop_rc[rc] = reg(nep_tun_rc_name((enum nep_tun_rc)rc),
			NEP_STAGE_INGRESS);
	tun_drop_outer_fragment = reg("tun_outer_fragment", NEP_STAGE_INGRESS);
	tun_drop_bad_udp_checksum = reg("tun_bad_udp_checksum",
		NEP_STAGE_INGRESS);
	tun_drop_unknown_session = reg("tun_unknown_session", NEP_STAGE_INGRESS);
	tun_drop_unknown_key = reg("tun_unknown_key", NEP_STAGE_INGRESS);
	tun_drop_suite_mismatch = reg("tun_suite_mismatch", NEP_STAGE_INGRESS);
	tun_drop_bad_role = reg("tun_bad_role", NEP_STAGE_INGRESS);
	tun_drop_auth_failed = reg("tun_auth_failed", NEP_STAGE_INGRESS);
	tun_drop_inner_mismatch = reg("tun_inner_mismatch", NEP_STAGE_INGRESS);
	tun_drop_inner_source = reg("tun_inner_source", NEP_STAGE_INGRESS);
	tun_drop_no_path = reg("tun_no_path", NEP_STAGE_EGRESS);
	tun_drop_no_peer = reg("tun_no_peer", NEP_STAGE_EGRESS);
	tun_drop_key_expired = reg("tun_key_expired", NEP_STAGE_OUTPUT);
	tun_drop_headroom = reg("tun_no_headroom", NEP_STAGE_OUTPUT);
	tun_drop_ecn = reg("tun_ecn_ce_not_ect", NEP_STAGE_INGRESS);
	a = nep_action_register(&encap);
	if (a < 0) {
		fprintf(stderr, "tunnel: the path action table is full\n");
		abort();
	}
	tun_action_encap = (uint8_t)a;
}
