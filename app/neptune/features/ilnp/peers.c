/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ILNP peers (docs/ilnp.md, "Peers"): workers post (host, correspondent,
 * nonce) for the ILNP packets they translate, at most once a second per
 * pair, and the LU-ACKs they see; the control lcore keeps the table and,
 * when the uplinks a peer's flows may use change (a failure, a recovery,
 * a weight), sends the correspondent a Locator Update from the host's NID
 * with the host's nonce listing the new set, on the best uplink, every
 * second until acknowledged, at most ILNP_LU_SENDS times.
 */
#include <rte_cycles.h>
#include <rte_ring.h>

#include "mh_export.h"
#include "nep_control.h"
#include "nep_nptv6.h"
#include "nep_pkt.h"
#include "nep_worker.h"
#include "ilnp.h"

/* ---- workers ---- */

void
ilnp_peer_event(struct ilnp_worker *iw, uint64_t now_tsc, const uint8_t *host,
	const uint8_t *cn, const uint8_t *nonce, uint8_t nonce_len,
	uint32_t policy, enum ilnp_ev_kind kind)
{
	struct ilnp_ev ev;
	uint32_t h = 2166136261u;
	struct ilnp_seen *sl;

	if (iw->ev == NULL)
		return;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ host[i] ^ (uint32_t)cn[i] << 8) * 16777619u;
	h = h * 2 + kind;
	sl = &iw->seen[h & (ILNP_SEEN_SLOTS - 1)];
	if (kind == ILNP_EV_SEEN && sl->tag == (h | 1) &&
		now_tsc - sl->tsc < iw->ev_every_tsc)
		return;
	sl->tag = h | 1;
	sl->tsc = now_tsc;
	memcpy(ev.host, host, 16);
	memcpy(ev.cn, cn, 16);
	memset(ev.nonce, 0, sizeof(ev.nonce));
	memcpy(ev.nonce, nonce, nonce_len <= 12 ? nonce_len : 12);
	ev.nonce_len = nonce_len;
	ev.kind = (uint8_t)kind;
	ev.pad = 0;
	ev.policy = policy;
	if (rte_ring_sp_enqueue_elem(iw->ev, &ev, sizeof(ev)) != 0)
		iw->ev_lost++;
}

/* ---- the control lcore ---- */

static struct ilnp_peer *
peer_find(struct ilnp_ctl *ct, const uint8_t *host, const uint8_t *cn,
	bool create)
{
	struct ilnp_peer *free_slot = NULL;

	for (unsigned i = 0; i < ILNP_MAX_PEERS; i++) {
		struct ilnp_peer *p = &ct->peers[i];

		if (!p->used) {
			if (free_slot == NULL)
				free_slot = p;
			continue;
		}
		if (memcmp(p->host, host, 16) == 0 &&
			memcmp(p->cn, cn, 16) == 0)
			return p;
	}
	if (!create)
		return NULL;
	if (free_slot == NULL) {
		ct->peers_full++;
		return NULL;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	memcpy(free_slot->host, host, 16);
	memcpy(free_slot->cn, cn, 16);
	ct->n_peers++;
	return free_slot;
}

static unsigned
live_set(struct nep_app *app, uint32_t policy, uint8_t *ids, uint32_t *w,
	const struct nep_nptv6 **npts)
{
	return nep_mh_live_uplinks6(app, app->snap, policy, ids, w, npts);
}

/* The LU for peer p over the n uplinks ids (npts their mappings): from
 * the host's address on the first of them, to the correspondent. */
static void
send_lu(struct nep_app *app, struct ilnp_peer *p, unsigned n,
	const uint8_t *ids, const struct nep_nptv6 **npts)
{
	struct ilnp_ctl *ct = &ilnp_ctl_state;
	struct nep_ilnp_lu lu = { .code = 0, .operation = NEP_ILNP_LU_ADVERT };
	unsigned port, dlen = p->nonce_len == 4 ? 8 : 16;
	struct rte_mbuf *m;
	int32_t pos;
	uint8_t *f, *ip6, *icmp;
	uint64_t inside = nep_ilnp_ld64(p->host);
	uint32_t len;

	if (n == 0 || nep_mh_uplink_out6(app, ids[0], &port, &pos) < 0)
		return;
	for (unsigned i = 0; i < n && lu.n < NEP_ILNP_LU_MAX; i++) {
		uint64_t l = inside;

		if (!nep_ilnp_locator_map(&l, npts[i]->in_net, npts[i]->out_net,
			    npts[i]->mask))
			continue;
		lu.e[lu.n].locator = l;
		lu.e[lu.n].preference = (uint16_t)(ILNP_LU_PREFERENCE + i);
		lu.e[lu.n].lifetime = ILNP_LU_LIFETIME_S;
		lu.n++;
	}
	if (lu.n == 0 || (m = nep_ctl_alloc(app)) == NULL)
		return;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	ip6 = f + 14;
	memset(ip6, 0, 40 + dlen);
	ip6[0] = 0x60;
	ip6[6] = NEP_IP6_NH_DSTOPTS;
	ip6[7] = 64;
	memcpy(ip6 + 8, p->host, 16);
	nep_ilnp_st64(ip6 + 8, lu.e[0].locator);
	memcpy(ip6 + 24, p->cn, 16);
	/* the Destination Options header: the nonce fills it exactly (2 + 2
	 * + 4 = 8 or 2 + 2 + 12 = 16 bytes), as RFC 6744 lays it out */
	ip6[40] = NEP_IP6_NH_ICMPV6;
	ip6[41] = (uint8_t)(dlen / 8 - 1);
	ip6[42] = NEP_ILNP_OPT_NONCE;
	ip6[43] = p->nonce_len;
	memcpy(ip6 + 44, p->nonce, p->nonce_len);
	icmp = ip6 + 40 + dlen;
	len = nep_ilnp_lu_build(ip6 + 8, ip6 + 24, &lu, icmp);
	ip6[4] = (uint8_t)((dlen + len) >> 8);
	ip6[5] = (uint8_t)(dlen + len);
	f[12] = 0x86;
	f[13] = 0xdd;
	m->data_len = m->pkt_len = (uint16_t)(14 + 40 + dlen + len);
	nep_meta(m)->out_port = (uint8_t)port;
	nep_ctl_send_to_pos(app, m, pos);
	p->lus_sent++;
	ct->lu_sent++;
}

void
ilnp_peers_run(struct nep_app *app, uint64_t now_ns)
{
	struct ilnp_ctl *ct = &ilnp_ctl_state;
	uint64_t now = now_ns / 1000000;
	const struct nep_nptv6 *npts[NEP_MAX_UPLINKS];
	uint8_t ids[NEP_MAX_UPLINKS];
	uint32_t w[NEP_MAX_UPLINKS];
	struct ilnp_ev ev;

	for (unsigned wi = 0; wi < app->n_workers; wi++) {
		struct ilnp_worker *iw = ILNP_W(&app->workers[wi]);

		while (iw != NULL && iw->ev != NULL &&
			rte_ring_sc_dequeue_elem(iw->ev, &ev, sizeof(ev)) == 0) {
			struct ilnp_peer *p = peer_find(ct, ev.host, ev.cn,
				ev.kind == ILNP_EV_SEEN);

			ct->ev_in++;
			if (p == NULL)
				continue;
			if (ev.kind == ILNP_EV_ACK) {
				p->acks++;
				if (p->state == ILNP_LU_SENDING)
					p->state = ILNP_LU_ACKED;
				continue;
			}
			if (p->first_ms == 0) {
				/* the set the host's own traffic uses now */
				p->first_ms = now;
				p->n_adv = (uint8_t)live_set(app, ev.policy,
					p->adv_id, p->adv_w, npts);
			}
			p->last_ms = now;
			p->policy = ev.policy;
			memcpy(p->nonce, ev.nonce, sizeof(p->nonce));
			p->nonce_len = ev.nonce_len;
		}
	}
	for (unsigned i = 0; i < ILNP_MAX_PEERS; i++) {
		struct ilnp_peer *p = &ct->peers[i];
		unsigned n;

		if (!p->used)
			continue;
		if (now - p->last_ms > ILNP_PEER_IDLE_MS) {
			p->used = false;
			ct->n_peers--;
			continue;
		}
		n = live_set(app, p->policy, ids, w, npts);
		if (n != p->n_adv || memcmp(ids, p->adv_id, n) != 0 ||
			memcmp(w, p->adv_w, n * sizeof(w[0])) != 0) {
			/* the set changed: tell the correspondent, now */
			p->n_adv = (uint8_t)n;
			memcpy(p->adv_id, ids, n);
			memcpy(p->adv_w, w, n * sizeof(w[0]));
			p->state = n != 0 ? ILNP_LU_SENDING : ILNP_LU_IDLE;
			p->sends = 0;
			p->next_ms = now;
		}
		if (p->state != ILNP_LU_SENDING || now < p->next_ms)
			continue;
		if (p->sends >= ILNP_LU_SENDS) {
			p->state = ILNP_LU_FAILED;
			ct->lu_failed++;
			continue;
		}
		send_lu(app, p, n, ids, npts);
		p->sends++;
		p->next_ms = now + ILNP_LU_EVERY_MS;
	}
}
