/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ILNP's part of multihoming's IPv6 path (nep_mh_ilnp_ops, mh_export.h;
 * docs/ilnp.md, "Packet path"). General path only: an ILNP packet has a
 * Destination Options header, which the fused path leaves to the stages.
 *  - pick (egress, after steering): is it ILNP, which mode (the flow's
 *    policy, else ilnp.mode), and with multipath: drr the uplink for this
 *    packet, by bytes over the uplinks the policy may use;
 *  - snpt (the path action): aware: the source locator becomes the
 *    uplink's, the NID and every checksum untouched; an LU's inside
 *    locators become the outside locators of those uplinks;
 *  - dnpt (ingress) and its output-stage rewrite: the destination locator
 *    back to the inside one; an LU's (LU-ACK's) outside locators back to
 *    inside ones.
 * Transparent: NPTv6 as for any IPv6 packet, the packet otherwise as is.
 */
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "mh_export.h"
#include "nep_nptv6.h"
#include "nep_pkt.h"
#include "nep_worker.h"
#include "ilnp.h"

/* ---- trace ---- */

enum ilnp_trace_kind {
	ILNP_TRACE_OUT,		/* source locator rewritten */
	ILNP_TRACE_IN,		/* destination locator (dnpt) */
	ILNP_TRACE_ERR_IN,	/* an ICMPv6 error about an ILNP packet */
	ILNP_TRACE_PICK,	/* multipath: the uplink for this packet */
	ILNP_TRACE_TRANSPARENT,	/* left to NPTv6 */
};

struct ilnp_trace {
	uint64_t before, after;	/* locators */
	uint8_t uplink;		/* multihoming's slot */
	uint8_t nonce_len;
	uint8_t lu;		/* an LU: its locators after (0: none) */
};

static inline void
ilnp_trace(struct nep_pctx *c, enum ilnp_trace_kind kind, nep_verdict_t v,
	uint64_t before, uint64_t after, unsigned uplink, uint8_t nonce_len,
	uint8_t lu)
{
	struct ilnp_trace t = { before, after, (uint8_t)uplink, nonce_len,
		lu };

	if (unlikely(c->meta->flags & NEP_META_F_TRACE))
		nep_trace_add(c->w->trace, kind == ILNP_TRACE_PICK ||
			kind == ILNP_TRACE_IN || kind == ILNP_TRACE_ERR_IN ?
			(kind == ILNP_TRACE_PICK ? NEP_STAGE_EGRESS :
				NEP_STAGE_INGRESS) : NEP_STAGE_OUTPUT,
			(uint8_t)nep_ilnp_feature.id, (uint8_t)kind, v, &t,
			sizeof(t));
}

void
ilnp_trace_format(const struct nep_app *app, const struct nep_trace_rec *r,
	struct nep_buf *out)
{
	static const char *const what[] = { "locator out", "locator in",
		"error about an ILNP packet, locators in", "multipath (drr)",
		"transparent (NPTv6)" };
	struct ilnp_trace t;

	(void)app;
	memcpy(&t, r->data, sizeof(t));
	nep_buf_printf(out, "%s", r->kind < 5 ? what[r->kind] : "?");
	if (r->kind == ILNP_TRACE_PICK) {
		nep_buf_printf(out, ": uplink slot %u", t.uplink);
		return;
	}
	if (r->kind == ILNP_TRACE_TRANSPARENT)
		return;
	nep_buf_printf(out, " %04x:%04x:%04x:%04x -> %04x:%04x:%04x:%04x "
		"(NID and checksums untouched), nonce %u bytes",
		(unsigned)(t.before >> 48), (unsigned)(t.before >> 32) & 0xffff,
		(unsigned)(t.before >> 16) & 0xffff,
		(unsigned)t.before & 0xffff, (unsigned)(t.after >> 48),
		(unsigned)(t.after >> 32) & 0xffff,
		(unsigned)(t.after >> 16) & 0xffff, (unsigned)t.after & 0xffff,
		t.nonce_len);
	if (t.lu)
		nep_buf_printf(out, ", LU rewritten: %u locators", t.lu);
}

/* ---- Locator Updates ---- */

/* Which checksum an LU came with: ILNP's over the NIDs (RFC 6743 as the
 * ILNP stacks compute it), or the plain IPv6 one (a stack that does
 * not zero the locators); 0 for neither. */
enum lu_ck { LU_CK_BAD = 0, LU_CK_NID, LU_CK_IPV6 };

static enum lu_ck
lu_check(uint8_t *ip6, uint8_t *icmp, uint32_t len)
{
	uint16_t stored = (uint16_t)(icmp[2] << 8 | icmp[3]), raw, c;

	if (nep_ilnp_icmp6_cksum(ip6 + 8, ip6 + 24, icmp, len) == stored)
		return LU_CK_NID;
	/* nep_icmp6_cksum: the field as stored (network order) */
	memcpy(&raw, icmp + 2, 2);
	icmp[2] = icmp[3] = 0;
	c = nep_icmp6_cksum((const struct rte_ipv6_hdr *)ip6, icmp, len);
	memcpy(icmp + 2, &raw, 2);
	return c == raw ? LU_CK_IPV6 : LU_CK_BAD;
}

/* Put lu at icmp (the packet ends there: its length may change), the
 * checksum of kind ck. false: no room (the packet is as it was). */
static bool
lu_write(struct nep_pctx *c, struct rte_mbuf *m, uint8_t *ip6, uint8_t *icmp,
	uint32_t len, const struct nep_ilnp_lu *lu, enum lu_ck ck, unsigned mtu)
{
	uint32_t nlen = NEP_ILNP_LU_HDR + lu->n * NEP_ILNP_LU_ENTRY;
	int32_t delta = (int32_t)nlen - (int32_t)len;
	uint16_t plen;

	if (delta > 0 && (c->pi.l3_len + (uint32_t)delta > mtu ||
			     rte_pktmbuf_append(m, (uint16_t)delta) == NULL))
		return false;
	if (delta < 0)
		rte_pktmbuf_trim(m, (uint16_t)-delta);
	c->pi.l3_len = (uint16_t)(c->pi.l3_len + delta);
	plen = (uint16_t)(ip6[4] << 8 | ip6[5]);
	plen = (uint16_t)(plen + delta);
	ip6[4] = (uint8_t)(plen >> 8);
	ip6[5] = (uint8_t)plen;
	nep_ilnp_lu_build(ip6 + 8, ip6 + 24, lu, icmp);
	if (ck == LU_CK_IPV6) {
		uint16_t v;

		icmp[2] = icmp[3] = 0;
		v = nep_icmp6_cksum((const struct rte_ipv6_hdr *)ip6, icmp, nlen);
		memcpy(icmp + 2, &v, 2);
	}
	return true;
}

/*
 * An LU from an inside host: each inside locator becomes the outside
 * locators of the uplinks its policy may use now (highest weight first:
 * preference + 0, + 1, ...), other locators stay. The source locator is
 * rewritten by the caller first (a plain IPv6 checksum covers it).
 */
static nep_verdict_t
lu_out(struct nep_pctx *c, struct rte_mbuf *m, struct ilnp_worker *iw,
	uint8_t *ip6, const struct nep_nptv6 *npt, uint32_t policy,
	unsigned mtu, uint8_t *orig_src)
{
	struct ilnp_stats *st = &iw->stats;
	uint8_t *icmp = ip6 + iw->cur.ii.l4_off;
	uint32_t len = c->pi.l3_len - iw->cur.ii.l4_off;
	struct nep_ilnp_lu lu, out = { 0 };
	const struct nep_nptv6 *npts[NEP_MAX_UPLINKS];
	uint8_t ids[NEP_MAX_UPLINKS], now_src[16];
	uint32_t weights[NEP_MAX_UPLINKS];
	unsigned n;
	enum lu_ck ck;

	st->lu_out++;
	if (nep_ilnp_lu_decode(icmp, len, &lu) != NEP_ILNP_LU_OK) {
		st->lu_unparsed++;
		return NEP_V_NEXT;
	}
	/* its checksum as the host computed it, on the address it sent */
	memcpy(now_src, ip6 + 8, 16);
	memcpy(ip6 + 8, orig_src, 16);
	ck = lu_check(ip6, icmp, len);
	memcpy(ip6 + 8, now_src, 16);
	if (ck == LU_CK_BAD)
		return NEP_VERDICT_DROP(ilnp_drop_lu_bad_checksum);
	n = nep_mh_live_uplinks6(c->w->app, c->s, policy, ids, weights, npts);
	out.code = lu.code;
	out.operation = lu.operation;
	for (unsigned i = 0; i < lu.n; i++) {
		const struct nep_ilnp_lu_entry *e = &lu.e[i];

		if ((e->locator & npt->in_mask) != npt->in_net || n == 0) {
			if (out.n < NEP_ILNP_LU_MAX)
				out.e[out.n++] = *e;
			continue;
		}
		for (unsigned j = 0; j < n && out.n < NEP_ILNP_LU_MAX; j++) {
			uint64_t l = e->locator;

			if (!nep_ilnp_locator_map(&l, npts[j]->in_net,
				    npts[j]->out_net, npts[j]->mask))
				continue;
			out.e[out.n].locator = l;
			out.e[out.n].preference = (uint16_t)(e->preference + j);
			out.e[out.n].lifetime = e->lifetime;
			out.n++;
		}
	}
	if (out.n == 0)
		return NEP_V_NEXT;
	if (!lu_write(c, m, ip6, icmp, len, &out, ck, mtu)) {
		st->lu_too_big++;
		return NEP_V_NEXT;
	}
	st->lu_rewritten_out++;
	return NEP_V_NEXT;
}

/* An LU (an LU-ACK echoing ours) to an inside host: every locator of one
 * of our uplinks' delegated prefixes back to the inside one, duplicates
 * dropped. The destination is already the inside one. */
static nep_verdict_t
lu_in(struct nep_pctx *c, struct rte_mbuf *m, struct ilnp_worker *iw,
	uint8_t *ip6, uint8_t *orig_dst)
{
	struct ilnp_stats *st = &iw->stats;
	uint8_t *icmp = ip6 + iw->cur.ii.l4_off;
	uint32_t len = c->pi.l3_len - iw->cur.ii.l4_off;
	struct nep_ilnp_lu lu, out = { 0 };
	uint8_t now_dst[16];
	bool changed = false;
	enum lu_ck ck;

	st->lu_in++;
	if (nep_ilnp_lu_decode(icmp, len, &lu) != NEP_ILNP_LU_OK) {
		st->lu_unparsed++;
		return NEP_V_NEXT;
	}
	memcpy(now_dst, ip6 + 24, 16);
	memcpy(ip6 + 24, orig_dst, 16);
	ck = lu_check(ip6, icmp, len);
	memcpy(ip6 + 24, now_dst, 16);
	if (ck == LU_CK_BAD)
		return NEP_VERDICT_DROP(ilnp_drop_lu_bad_checksum);
	out.code = lu.code;
	out.operation = lu.operation;
	for (unsigned i = 0; i < lu.n; i++) {
		struct nep_ilnp_lu_entry e = lu.e[i];
		bool dup = false;

		for (unsigned u = 0; u < NEP_MAX_UPLINKS; u++) {
			const struct nep_nptv6 *t =
				nep_mh_uplink_npt(c->w->app, u);

			if (t != NULL && t->out_mask != 0 &&
				nep_ilnp_locator_map(&e.locator, t->out_net,
					t->in_net, t->mask)) {
				changed = true;
				break;
			}
		}
		for (unsigned k = 0; k < out.n; k++)
			dup |= out.e[k].locator == e.locator;
		if (!dup)
			out.e[out.n++] = e;
		else
			changed = true;
	}
	if (lu.operation == NEP_ILNP_LU_ACK)
		ilnp_peer_event(iw, c->now, ip6 + 24, ip6 + 8,
			ip6 + iw->cur.ii.nonce_off, iw->cur.ii.nonce_len, 0,
			ILNP_EV_ACK);
	if (!changed)
		return NEP_V_NEXT;
	if (!lu_write(c, m, ip6, icmp, len, &out, ck, UINT32_MAX)) {
		st->lu_too_big++;
		return NEP_V_NEXT;
	}
	st->lu_rewritten_in++;
	return NEP_V_NEXT;
}

static inline bool
is_lu(const struct ilnp_pkt *k, const uint8_t *ip6, uint32_t l3_len)
{
	return k->ii.proto == NEP_IP6_NH_ICMPV6 && k->ii.l4_off < l3_len &&
		ip6[k->ii.l4_off] == NEP_ILNP_ICMP_LU;
}

/* ---- the hooks ---- */

static unsigned
ilnp_pick(struct nep_pctx *c, unsigned u, uint32_t policy)
{
	struct ilnp_worker *iw = ILNP_W(c->w);
	const struct ilnp_config *ic = ilnp_conf(c->s->cfg);
	const struct ilnp_policy_conf *pc;
	struct ilnp_pkt *k = &iw->cur;
	const uint8_t *ip6 = c->frame + c->pi.l3_off;
	const struct nep_nptv6 *npts[NEP_MAX_UPLINKS];
	uint8_t ids[NEP_MAX_UPLINKS];
	uint32_t weights[NEP_MAX_UPLINKS];
	struct ilnp_drr_slot *slot;
	int32_t pos = (int32_t)c->path_arg;
	unsigned n;
	int p;

	k->ilnp = nep_ilnp_find(ip6, c->pi.l3_len, &k->ii);
	if (!k->ilnp)
		return u;
	k->policy = policy;
	pc = ilnp_policy(ic, policy);
	k->aware = (pc != NULL ? pc->mode : ic->mode) == ILNP_AWARE;
	if (!k->aware || pc == NULL || !pc->multipath || pos < 0)
		return u;
	n = nep_mh_live_uplinks6(c->w->app, c->s, policy, ids, weights, npts);
	slot = &iw->drr[(uint32_t)pos & (ILNP_DRR_SLOTS - 1)];
	if (slot->pos != (uint32_t)pos + 1) {
		memset(slot, 0, sizeof(*slot));
		slot->pos = (uint32_t)pos + 1;
	}
	p = nep_ilnp_drr_pick(&slot->d, ids, weights, n, c->pi.l3_len);
	if (p < 0)
		return u;
	iw->stats.multipath_pkts[p]++;
	iw->stats.multipath_bytes[p] += c->pi.l3_len;
	ilnp_trace(c, ILNP_TRACE_PICK, NEP_V_NEXT, 0, 0, (unsigned)p,
		k->ii.nonce_len, 0);
	return (unsigned)p;
}

static bool
ilnp_snpt(struct nep_pctx *c, struct rte_mbuf *m, unsigned u,
	const struct nep_nptv6 *npt, nep_verdict_t *v)
{
	struct ilnp_worker *iw = ILNP_W(c->w);
	const struct ilnp_config *ic = ilnp_conf(c->s->cfg);
	struct ilnp_pkt *k = &iw->cur;
	uint8_t *ip6 = c->frame + c->pi.l3_off;
	uint8_t orig[16];

	if (!k->ilnp)
		return false;
	k->ilnp = false;	/* this packet's decision is used up */
	iw->stats.pkts_out++;
	if (!k->aware) {
		iw->stats.transparent++;
		ilnp_trace(c, ILNP_TRACE_TRANSPARENT, NEP_V_NEXT, 0, 0, u,
			k->ii.nonce_len, 0);
		return false;
	}
	memcpy(orig, ip6 + 8, 16);
	if (!nep_ilnp_addr_map(ip6 + 8, npt->in_net, npt->out_net, npt->mask))
		return false;	/* not an inside locator: NPTv6 decides */
	iw->stats.aware_out++;
	ilnp_peer_event(iw, c->now, orig, ip6 + 24, ip6 + k->ii.nonce_off,
		k->ii.nonce_len, k->policy, ILNP_EV_SEEN);
	*v = NEP_V_NEXT;
	if (ic->lu_rewrite && is_lu(k, ip6, c->pi.l3_len))
		*v = lu_out(c, m, iw, ip6, npt, k->policy,
			c->w->app->ports[c->meta->out_port].mtu, orig);
	ilnp_trace(c, ILNP_TRACE_OUT, *v, nep_ilnp_ld64(orig),
		nep_ilnp_ld64(ip6 + 8), u, k->ii.nonce_len,
		is_lu(k, ip6, c->pi.l3_len) ? ip6[k->ii.l4_off + 4] : 0);
	return true;
}

/* The output stage's half of dnpt for an ICMPv6 error about an ILNP
 * packet: the destination and the quoted source locators back to the
 * inside ones; the error is plain ICMPv6, its checksum computed again. */
static nep_verdict_t
ilnp_rewrite_err_in(struct nep_pctx *c, struct rte_mbuf *m)
{
	struct ilnp_worker *iw = ILNP_W(c->w);
	const struct nep_nptv6 *npt = c->rewrite_ctx;
	uint8_t *ip6 = c->frame + c->pi.l3_off;
	uint8_t *icmp = c->frame + c->pi.l4_off;
	uint32_t len = c->pi.l3_off + c->pi.l3_len - c->pi.l4_off;
	uint16_t ck;

	(void)m;
	memcpy(ip6 + 24, c->dst, 16);
	(void)nep_ilnp_addr_map(icmp + 8 + 8, npt->out_net, npt->in_net,
		npt->mask);
	icmp[2] = icmp[3] = 0;
	ck = nep_icmp6_cksum((const struct rte_ipv6_hdr *)ip6, icmp, len);
	memcpy(icmp + 2, &ck, 2);
	iw->stats.errors_in++;
	return NEP_V_NEXT;
}

/*
 * An ICMPv6 error to one of our ILNP hosts' outside addresses, about a
 * packet it sent: the quote (after the error's 8 bytes) is ILNP. Its
 * locators are translated like the packet's were (NPTv6 would map the
 * destination to another inside address: the aware mapping is not the
 * RFC 6296 one).
 */
static bool
dnpt_error(struct nep_pctx *c, const struct nep_nptv6 *npt)
{
	const uint8_t *ip6 = c->frame + c->pi.l3_off;
	const uint8_t *icmp = c->frame + c->pi.l4_off;
	uint32_t len = c->pi.l3_off + c->pi.l3_len - c->pi.l4_off;
	struct nep_ilnp_info qi;

	if (c->pi.l4_proto != NEP_PROTO_ICMPV6 || !c->pi.has_l4 ||
		icmp[0] >= 128 || len < 8 + 40 ||
		!nep_ilnp_find(icmp + 8, len - 8, &qi) ||
		!nep_nptv6_in_outside(npt, icmp + 8 + 8))
		return false;
	memcpy(c->dst4, ip6 + 24, 16);
	if (!nep_ilnp_addr_map(c->dst4, npt->out_net, npt->in_net, npt->mask))
		return false;
	c->dst = c->dst4;
	c->rewrite = ilnp_rewrite_err_in;
	c->rewrite_ctx = npt;
	ilnp_trace(c, ILNP_TRACE_ERR_IN, NEP_V_NEXT, nep_ilnp_ld64(ip6 + 24),
		nep_ilnp_ld64(c->dst4), 0, qi.nonce_len, 0);
	return true;
}

/* The output stage's half of dnpt: the packet written. */
static nep_verdict_t
ilnp_rewrite_in(struct nep_pctx *c, struct rte_mbuf *m)
{
	struct ilnp_worker *iw = ILNP_W(c->w);
	const struct ilnp_config *ic = ilnp_conf(c->s->cfg);
	uint8_t *ip6 = c->frame + c->pi.l3_off;
	uint8_t orig[16];

	memcpy(orig, ip6 + 24, 16);
	memcpy(ip6 + 24, c->dst, 16);
	iw->stats.aware_in++;
	if (ic->lu_rewrite && is_lu(&iw->cur, ip6, c->pi.l3_len))
		return lu_in(c, m, iw, ip6, orig);
	return NEP_V_NEXT;
}

static bool
ilnp_dnpt(struct nep_pctx *c, unsigned u, const struct nep_nptv6 *npt)
{
	struct ilnp_worker *iw = ILNP_W(c->w);
	const struct ilnp_config *ic = ilnp_conf(c->s->cfg);
	struct ilnp_pkt *k = &iw->cur;
	const uint8_t *ip6 = c->frame + c->pi.l3_off;

	k->ilnp = false;
	if (!nep_ilnp_find(ip6, c->pi.l3_len, &k->ii))
		return ic->mode == ILNP_AWARE && dnpt_error(c, npt);
	iw->stats.pkts_in++;
	if (ic->mode != ILNP_AWARE) {
		iw->stats.transparent++;
		return false;
	}
	memcpy(c->dst4, ip6 + 24, 16);
	if (!nep_ilnp_addr_map(c->dst4, npt->out_net, npt->in_net, npt->mask))
		return false;
	c->dst = c->dst4;
	c->rewrite = ilnp_rewrite_in;
	c->rewrite_ctx = NULL;
	ilnp_trace(c, ILNP_TRACE_IN, NEP_V_NEXT, nep_ilnp_ld64(ip6 + 24),
		nep_ilnp_ld64(c->dst4), u, k->ii.nonce_len, 0);
	return true;
}

static const struct nep_mh_ilnp_ops ilnp_ops = {
	.pick = ilnp_pick,
	.snpt = ilnp_snpt,
	.dnpt = ilnp_dnpt,
};

void
ilnp_register_datapath(void)
{
	int d = nep_drop_register("ilnp_lu_bad_checksum", "ilnp",
		NEP_STAGE_OUTPUT);

	if (d < 0) {
		fprintf(stderr, "ilnp: the drop reason table is full\n");
		abort();
	}
	ilnp_drop_lu_bad_checksum = (unsigned)d;
	nep_mh_register_ilnp(&ilnp_ops);
}
