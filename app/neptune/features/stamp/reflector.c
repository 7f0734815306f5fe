/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Session-Reflector (RFC 8762 4.3, RFC 8972): a local-delivery
 * handler for UDP to the reflector port on any of our addresses (WAN and
 * LAN addresses, SIDs, overlay addresses). t2 is the time the worker
 * received the request (its arrival TSC), t3 the time the reply is built
 * here; the reply is exactly as long as the request. A request is
 * answered back the way it came: to the previous hop on its port, over
 * the overlay it was decapsulated from, or along the return segment list
 * its SSID selects (stamp.reflector.return_paths, the UCSS model).
 */
#include <string.h>

#include <netinet/in.h>
#include <openssl/hmac.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "mh_config.h"
#include "mh_export.h"
#include "nep_control.h"
#include "nep_pkt.h"
#include "nep_srv6.h"
#include "srv6_export.h"
#include "stamp.h"

/* GCRA per source address (hashed; a collision shares a budget: a new
 * source in a slot keeps its TAT, so two colliding sources taking turns
 * cannot reset each other's). */
static bool
rate_ok(struct stamp_state *ss, const struct stamp_reflector_conf *r,
	const uint8_t *src, uint64_t now_ns)
{
	uint32_t h = 2166136261u;
	struct stamp_rl *e;
	uint64_t T, tau, t;

	if (r->rate_pps == 0)
		return true;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ src[i]) * 16777619u;
	e = &ss->rl[h % STAMP_RL_SLOTS];
	T = 1000000000ull / r->rate_pps;
	tau = T * (r->burst > 0 ? r->burst - 1 : 0);
	memcpy(e->src, src, 16);	/* the last source seen */
	t = e->tat > now_ns ? e->tat : now_ns;
	if (t - now_ns > tau)
		return false;
	e->tat = t + T;
	return true;
}

/*
 * Per-session state: the stateful mode's count of replies (RFC 8762
 * 4.3.1) and the Direct Measurement counters (RFC 8972 4.5) are the
 * session's, not the reflector's. A session is the request's addresses,
 * UDP ports and SSID (RFC 8972 3), hashed into a fixed table; a colliding
 * session takes the slot over and starts again from zero. Control lcore
 * only.
 */
#define REFL_SESS_SLOTS 1024
#define REFL_SESS_KEY (1 + 16 + 16 + 4 + 2)

struct refl_sess {
	uint8_t key[REFL_SESS_KEY];
	uint32_t rx;	/* requests received (answered or rate-limited) */
	uint32_t tx;	/* replies sent */
};

static struct refl_sess refl_sess[REFL_SESS_SLOTS];

static struct refl_sess *
sess_of(uint8_t family, const uint8_t *src, const uint8_t *dst,
	const uint8_t *udp, uint16_t ssid)
{
	uint8_t key[REFL_SESS_KEY];
	uint32_t h = 2166136261u;
	struct refl_sess *e;

	key[0] = family;
	memcpy(key + 1, src, 16);
	memcpy(key + 17, dst, 16);
	memcpy(key + 33, udp, 4);	/* source and destination ports */
	key[37] = (uint8_t)(ssid >> 8);
	key[38] = (uint8_t)ssid;
	for (unsigned i = 0; i < REFL_SESS_KEY; i++)
		h = (h ^ key[i]) * 16777619u;
	e = &refl_sess[h % REFL_SESS_SLOTS];
	if (memcmp(e->key, key, REFL_SESS_KEY) != 0) {
		memcpy(e->key, key, REFL_SESS_KEY);
		e->rx = e->tx = 0;
	}
	return e;
}

static void
drop(struct nep_app *app, struct rte_mbuf *m, int err)
{
	unsigned i = err < 0 && -err <= NEP_STAMP_E_COUNT ? (unsigned)-err : 0;

	STAMP(app)->refl_drops[i]++;
	nep_ctl_drop(app, m, stamp_drop_err[i]);
}

/* The uplink (slot) on port, -1 if none. */
static int
uplink_of_port(const struct nep_app *app, unsigned port)
{
	struct nep_mh_uplink_info ui;

	for (unsigned u = 0; u < NEP_MAX_UPLINKS; u++)
		if (nep_mh_uplink_info(app, u, &ui) == 0 && ui.port == port)
			return (int)u;
	return -1;
}

/* The reply as H.Encaps along a configured return segment list, out of
 * the return path's uplink. */
static bool
send_return_path(struct nep_app *app, struct rte_mbuf *m, uint32_t l3_len,
	const struct stamp_return_conf *rc)
{
	struct nep_mh_uplink_info ui;
	struct nep_srv6_policy pol;
	uint32_t off, len;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned hdr;

	if (nep_mh_uplink_info(app, (unsigned)rc->uplink, &ui) != 0 ||
		!ui.has_nh6 || !ui.has_src6)
		return false;
	if (nep_srv6_policy_init(&pol, ui.src6, (const uint8_t(*)[16])rc->sids,
		    rc->n_sids, 64, false) != 0)
		return false;
	hdr = pol.hdr_len;
	if (rte_pktmbuf_headroom(m) < hdr)
		return false;
	if (rte_pktmbuf_prepend(m, (uint16_t)hdr) == NULL)
		return false;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	/* the Ethernet header goes in front of the outer packet */
	memmove(f, f + hdr, 14);
	if (nep_srv6_encap(&pol, f, 14 + hdr, l3_len, &off, &len) !=
		NEP_SRV6_OK) {
		rte_pktmbuf_adj(m, (uint16_t)hdr);
		return false;
	}
	/* The reply is ours, not forwarded: nep_srv6_encap() aged the inner
	 * packet as a router's H.Encaps would; it leaves with hop limit
	 * NEP_STAMP_REPLY_TTL (not in the UDP checksum). */
	f[14 + hdr + 7] = NEP_STAMP_REPLY_TTL;
	f[12] = 0x86;
	f[13] = 0xdd;
	m->data_len = m->pkt_len = 14 + len;
	STAMP(app)->refl_return_path++;
	nep_ctl_send_via(app, m, app->ports[ui.port].ifid, 6, ui.nh6);
	return true;
}

/*
 * A request decapsulated from an overlay: its outer header is still in
 * the headroom, inner_off (meta icmp_param) bytes before the frame (its
 * source survives the Ethernet header's move; an SRH made inner_off
 * longer than 14 + 40). The reply goes back over the reverse path.
 */
static bool
reply_reverse(struct nep_app *app, struct rte_mbuf *m)
{
	struct nep_meta *meta = nep_meta(m);
	uint32_t inner_off = meta->icmp_param;
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint8_t outer_src[16];

	if (inner_off < 40 || inner_off > rte_pktmbuf_headroom(m))
		return false;
	/* the outer IPv6 header began 14 bytes into the old frame */
	memcpy(outer_src, f - inner_off + 14 + 8, 16);
	return nep_srv6_reply_reverse(app, m, meta->table, meta->in_port,
		       outer_src, inner_off > 40) == 0;
}

void
stamp_reflector_input(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	static uint8_t req[NEP_STAMP_MAX_LEN];
	const struct stamp_config *sc = stamp_conf(app->cfg);
	const struct stamp_reflector_conf *r = &sc->refl;
	struct stamp_state *ss = STAMP(app);
	struct nep_meta *meta = nep_meta(m);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *l3 = f + pi->l3_off, *udp = f + pi->l4_off;
	uint64_t now_tsc = rte_rdtsc();
	uint64_t t2 = nep_wall_ns_at(app,
		nep_arrival_tsc(now_tsc, meta->arrival_tsc));
	struct nep_stamp_reflect_params rp;
	struct nep_stamp_reflect_info info;
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	uint8_t ttl, tos;
	uint32_t ulen, plen, hl;
	int n;

	ss->refl_rx++;
	if (!sc->present || !r->enabled) {
		nep_ctl_drop(app, m, stamp_drop_disabled);
		return;
	}
	if (!pi->has_l4 || pi->fragmented) {
		drop(app, m, NEP_STAMP_E_TRUNCATED);
		return;
	}
	ulen = (uint32_t)(udp[4] << 8 | udp[5]);
	if (ulen < 8 || pi->l4_off + ulen > rte_pktmbuf_data_len(m)) {
		drop(app, m, NEP_STAMP_E_TRUNCATED);
		return;
	}
	plen = ulen - 8;
	if (pi->family == 6) {
		memcpy(src, l3 + 8, 16);
		memcpy(dst, l3 + 24, 16);
		ttl = l3[7];
		tos = (uint8_t)((l3[0] & 0x0f) << 4 | l3[1] >> 4);
	} else {
		memcpy(src, l3 + 12, 4);
		memcpy(dst, l3 + 16, 4);
		ttl = l3[8];
		tos = l3[1];
	}
	/* the session, once the request has its base (else it is dropped
	 * as truncated below) */
	size_t base = nep_stamp_base_len(r->auth ? NEP_STAMP_AUTH :
						    NEP_STAMP_UNAUTH);
	struct refl_sess *sess = plen < base ? NULL :
		sess_of(pi->family, src, dst, udp, (uint16_t)(udp[8 +
			(r->auth ? 26 : 14)] << 8 | udp[8 + (r->auth ? 27 :
			15)]));

	if (!rate_ok(ss, r, src, nep_now_ns())) {
		if (sess != NULL)
			sess->rx++;
		ss->refl_rate_limited++;
		nep_ctl_drop(app, m, stamp_drop_rate);
		return;
	}
	memcpy(req, udp + 8, plen);
	memset(&rp, 0, sizeof(rp));
	rp.mode = r->auth ? NEP_STAMP_AUTH : NEP_STAMP_UNAUTH;
	rp.tsfmt = r->tsfmt;
	rp.t2_ns = t2;
	rp.rx_ttl = ttl;
	rp.rx_tos = tos;
	rp.stateful = r->stateful;
	rp.seq = sess != NULL ? sess->tx : 0;
	rp.err.s = false;
	rp.err.mult = 1;
	rp.tlvs = r->tlvs;
	rp.cos_allowed = r->cos;
	/* RFC 9503 Return Path: back out of the link it came in on, to a
	 * return address, or (IPv6) along an SRv6 segment list */
	rp.rp_caps = NEP_STAMP_RP_CAN_SAME_LINK | NEP_STAMP_RP_CAN_ADDR |
		     (pi->family == 6 ? NEP_STAMP_RP_CAN_SRV6 : 0);
	rp.ts_info.sync_in = NEP_STAMP_SYNC_NTP;
	rp.ts_info.method_in = NEP_STAMP_TSM_SW;
	rp.ts_info.sync_out = NEP_STAMP_SYNC_NTP;
	rp.ts_info.method_out = NEP_STAMP_TSM_SW;
	/* this request counted, this reply not yet */
	rp.r_rxc = sess != NULL ? sess->rx + 1 : 0;
	rp.r_txc = sess != NULL ? sess->tx : 0;
	struct nep_stamp_auth auth = { stamp_hmac, (void *)&r->key };
	rp.auth = r->auth ? &auth : NULL;

	/* The reply: a fresh IP header (no extension headers), the UDP
	 * ports swapped, the same payload size. */
	hl = pi->family == 6 ? 40 : 20;
	if (pi->l3_off + hl + 8 + plen > rte_pktmbuf_data_len(m) + 0u &&
		hl + 8 + plen > pi->l3_len) {
		drop(app, m, NEP_STAMP_E_TRUNCATED);
		return;
	}
	uint16_t sport = (uint16_t)(udp[0] << 8 | udp[1]);
	uint16_t dport = (uint16_t)(udp[2] << 8 | udp[3]);
	uint8_t *nl3 = f + 14, *nudp = nl3 + hl;

	rp.t3_ns = nep_wall_ns_at(app, rte_rdtsc());
	if (rp.t3_ns <= rp.t2_ns)
		rp.t3_ns = rp.t2_ns + 1;
	n = nep_stamp_reflect(req, plen, nudp + 8, NEP_STAMP_MAX_LEN, &rp,
		&info);
	/* The Return Path TLV asks for what this request cannot have (a
	 * Return Address of the other family, a segment list in by a port
	 * that is no uplink's): answered again without it, so the TLV comes
	 * back with U and the reply goes the usual way (RFC 9503 4). */
	if (n >= 0 && info.rp_used && !info.rp.has_cc) {
		uint8_t cant = 0;

		if (info.rp.has_addr && info.rp.af != pi->family)
			cant |= NEP_STAMP_RP_CAN_ADDR;
		if (info.rp.has_srv6 && uplink_of_port(app, port) < 0)
			cant |= NEP_STAMP_RP_CAN_SRV6;
		if (cant != 0) {
			rp.rp_caps &= (uint8_t)~cant;
			n = nep_stamp_reflect(req, plen, nudp + 8,
				NEP_STAMP_MAX_LEN, &rp, &info);
		}
	}
	if (n < 0) {
		drop(app, m, n);
		return;
	}
	if (info.rp_used && info.no_reply) {
		/* the sender asked for no reply (RFC 9503 4.1.1) */
		if (sess != NULL)
			sess->rx++;
		ss->refl_no_reply++;
		nep_local_consumed(app, m);
		return;
	}
	/* with a Control Code the other sub-TLVs are ignored (RFC 9503
	 * 4.1.1): the reply goes back on the link the request came in on */
	if (info.rp_used && !info.rp.has_cc && info.rp.has_addr &&
		info.rp.af == pi->family)
		memcpy(src, info.rp.addr, pi->family == 6 ? 16 : 4);
	if (sess != NULL) {
		sess->rx++;
		sess->tx++;
	}
	ss->refl_unknown_tlv += info.n_unknown;
	ss->refl_malformed_tlv += info.n_malformed;
	ss->refl_cos += info.cos;
	/* the DSCP of the reply: the one asked for (CoS TLV), else the
	 * request's */
	uint8_t dscp = info.cos ? info.reply_dscp : (uint8_t)(tos >> 2);
	if (pi->l3_off != 14)	/* a tagged frame: the L2 header is 14 now */
		memmove(f + pi->l3_off - 14, f, 12);
	if (pi->family == 6) {
		nep_udp6_wrap(nl3, dst, src, dport, sport, plen,
			(uint8_t)(dscp << 2), NEP_STAMP_REPLY_TTL);
		f[12] = 0x86;
		f[13] = 0xdd;
	} else {
		uint32_t s4, d4;

		memcpy(&s4, dst, 4);
		memcpy(&d4, src, 4);
		nep_udp4_wrap(nl3, s4, d4, dport, sport, plen,
			(uint8_t)(dscp << 2), NEP_STAMP_REPLY_TTL);
		f[12] = 0x08;
		f[13] = 0x00;
	}
	m->data_len = m->pkt_len = 14 + hl + 8 + plen;
	meta->family = pi->family;
	ss->refl_tx++;
	/* A Return Path TLV's segment list, out of the uplink of the port
	 * the request came in by */
	if (info.rp_used && !info.rp.has_cc && info.rp.has_srv6 &&
		pi->family == 6) {
		struct stamp_return_conf rc = { .ssid = info.ssid,
			.uplink = uplink_of_port(app, port),
			.n_sids = info.rp.n_sids };

		memcpy(rc.sids, info.rp.sids, 16u * info.rp.n_sids);
		nep_ctl_stats(app)->local++;
		meta->flags = NEP_META_F_ORIG;
		meta->neigh_pos = -1;
		if (rc.uplink < 0 ||
			!send_return_path(app, m, hl + 8 + plen, &rc)) {
			ss->refl_no_route++;
			nep_ctl_drop(app, m, NEP_DROP_NO_ROUTE);
		}
		return;
	}
	/* SSID-selected return path (IPv6 only: an SRv6 encapsulation) */
	for (unsigned i = 0; pi->family == 6 && i < r->n_returns; i++)
		if (r->returns[i].ssid == info.ssid) {
			nep_ctl_stats(app)->local++;
			meta->flags = NEP_META_F_ORIG;
			meta->neigh_pos = -1;
			if (!send_return_path(app, m, hl + 8 + plen,
				    &r->returns[i])) {
				ss->refl_no_route++;
				nep_ctl_drop(app, m, NEP_DROP_NO_ROUTE);
			}
			return;
		}
	if ((meta->flags & NEP_META_F_DECAP) && pi->family == 6) {
		/* came over an overlay: goes back over it */
		nep_ctl_stats(app)->local++;
		meta->flags = NEP_META_F_ORIG;
		meta->neigh_pos = -1;
		if (!reply_reverse(app, m) &&
			nep_srv6_route_inner(app, m, meta->table) != 0)
			nep_ctl_route_out(app, m, 6);
		return;
	}
	nep_local_reply_back(app, m, port);
}
