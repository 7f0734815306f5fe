/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker-side flow steering: flow lookup, policy classification of new
 * flows, weighted persistent uplink choice, re-selection of flows whose
 * uplink failed. Used by the stage hooks and the fused fast path
 * (stages.c), so both decide alike.
 */
#ifndef NEP_STEER_H
#define NEP_STEER_H

#include <rte_hash.h>

#include "mh.h"

#define NEP_STEER_ROUTE (-2)	/* not steered: route plainly */
#define NEP_STEER_DONE (-1)	/* consumed (dropped or punted) */

static inline bool
steer_src_inside(const struct mh_snap *s, const uint8_t *src)
{
	for (unsigned i = 0; i < s->n_inside; i++)
		if (nep_nptv6_in_inside(&s->inside_npt[i], src))
			return true;
	return false;
}

static inline bool
steer_src_inside4(const struct mh_snap *s, uint32_t src_be)
{
	for (unsigned i = 0; i < s->n_inside4; i++)
		if ((src_be & s->inside4_mask[i]) == s->inside4_net[i])
			return true;
	return false;
}

/*
 * Choose an uplink for a flow of policy pol (0 = none) and family.
 * Returns the slot, or a negative drop reason.
 */
static inline int
steer_select(const struct mh_snap *s, const struct nep_steer_state *st,
	uint32_t pol, uint8_t family, uint32_t sig)
{
	uint32_t usable = family == 6 ? st->usable6 : st->usable4;
	const struct nep_uplink_set *pool = family == 6 ? &st->pool6 :
							  &st->pool4;
	uint64_t h = nep_mix64(sig);
	int u;

	if (pol != NEP_POLICY_NONE && pol <= s->n_policies) {
		const struct nep_policy_rt *p = &s->policy[pol - 1];
		if (p->mode == NEP_MODE_STRICT)
			return (usable >> p->uplink) & 1 ? p->uplink :
							   -(int)mh_drop_strict_down;
		if (unlikely(p->sla != NEP_SLA_NONE)) {
			/* only what meets the SLA; none does: best effort */
			uint32_t ok = usable & st->sla_ok[p->sla];

			if (p->mode == NEP_MODE_PREFERRED &&
				((ok >> p->uplink) & 1))
				return p->uplink;
			u = nep_uplink_pick(family == 6 ? &st->sla_pool6[p->sla] :
							  &st->sla_pool4[p->sla],
				h);
			if (u >= 0)
				return u;
		}
		if (p->mode == NEP_MODE_PREFERRED && ((usable >> p->uplink) & 1))
			return p->uplink;
	}
	u = nep_uplink_pick(pool, h);
	return u >= 0 ? u : -(int)mh_drop_no_uplink;
}

static inline void
steer_acl_input(const struct nep_flow_key *k, const uint8_t *l3,
	struct nep_acl_in *in)
{
	memset(in, 0, sizeof(*in));
	in->proto = k->proto;
	if (k->family == 6)
		in->dscp = (uint8_t)(((l3[0] & 0x0f) << 4 | l3[1] >> 4) >> 2);
	else
		in->dscp = l3[1] >> 2;
	memcpy(in->src, k->src, 16);
	memcpy(in->dst, k->dst, 16);
	in->sport = k->sport;
	in->dport = k->dport;
}

/* An established flow of a policy that moves on an SLA violation, on an
 * uplink that violates it while another one meets it. */
static inline bool
steer_sla_evict(const struct mh_snap *s, const struct nep_steer_state *st,
	uint32_t policy, unsigned uplink, uint32_t usable)
{
	const struct nep_policy_rt *p;
	uint32_t ok;

	if (policy == NEP_POLICY_NONE || policy > s->n_policies)
		return false;
	p = &s->policy[policy - 1];
	if (p->sla == NEP_SLA_NONE || !p->sla_move)
		return false;
	ok = usable & st->sla_ok[p->sla];
	return !((ok >> uplink) & 1) && ok != 0;
}

/* What steer_flow did, for the trace. */
enum steer_how {
	STEER_HIT,		/* established flow, its uplink usable */
	STEER_NEW,		/* classified and inserted */
	STEER_MOVED,		/* its uplink failed: re-selected */
	STEER_STATELESS,	/* table full: hashed without state */
	STEER_FAILED,		/* no usable uplink */
};

/* The policy of a flow key in this snapshot (rte_acl). */
static inline uint32_t
steer_classify(const struct mh_snap *s, const struct nep_flow_key *key,
	const uint8_t *l3)
{
	struct nep_acl_in in;
	const uint8_t *inp = (const uint8_t *)&in;
	uint32_t pol;

	steer_acl_input(key, l3, &in);
	nep_classify(&s->cls, key->family, &inp, &pol, 1);
	return pol;
}

/*
 * Find or create the flow of a LAN packet and return its uplink slot,
 * NEP_STEER_ROUTE for excluded traffic (or, with create false, a packet of
 * no established flow), or NEP_STEER_DONE when no uplink can take it
 * (*reason: the drop reason). *how and *pol say how it was decided,
 * *posp where its entry is (-1: none, the table was full).
 */
static inline int
steer_flow(struct mh_worker *w, const struct mh_snap *s,
	const struct nep_steer_state *st, const uint8_t *frame,
	const struct nep_pkt_info *pi, uint64_t now_tsc, int *reason,
	enum steer_how *how, uint32_t *polp, bool create, int32_t *posp)
{
	struct nep_flow_table *t = w->flows;
	struct nep_flow_key key;
	struct nep_flow_entry *e;
	uint8_t tcp_flags;
	uint32_t sig;
	int32_t pos;
	int u;

	*posp = -1;
	tcp_flags = nep_flow_key_from_pkt(frame, pi, &key);
	sig = nep_flow_hash(&key);
	pos = rte_hash_lookup_with_hash(t->h, &key, sig);
	if (unlikely(pos >= 0 && t->e[pos].created_tsc < st->flush_tsc) &&
		((st->flush_mask >> (t->e[pos].uplink & 31)) & 1)) {
		/* Flushed by the operator: start this flow afresh. */
		rte_hash_del_key_with_hash(t->h, &key, sig);
		t->by_uplink[t->e[pos].uplink]--;
		t->e[pos].last_tsc = 0;
		t->deletes++;
		pos = -ENOENT;
	}
	if (likely(pos >= 0)) {
		e = &t->e[pos];
		u = e->uplink;
		*how = STEER_HIT;
		*polp = e->policy;
		if (u != NEP_FLOW_UPLINK_BYPASS &&
			(unlikely(!(((pi->family == 6 ? st->usable6 :
							 st->usable4) >> u) & 1)) ||
				unlikely(st->sla_moving &&
					 steer_sla_evict(s, st, e->policy, u,
						 pi->family == 6 ? st->usable6 :
								   st->usable4)))) {
			/* Its uplink failed: only this flow's choice changes,
			 * by the policies of now (a reload may have changed
			 * them since the flow began). */
			uint32_t pol = steer_classify(s, &key,
				frame + pi->l3_off);
			int nu;

			if (pol == NEP_POLICY_EXCLUDED) {
				/* Excluded now: routed plainly from here on. */
				t->by_uplink[e->uplink]--;
				t->by_uplink[NEP_FLOW_UPLINK_BYPASS]++;
				e->uplink = NEP_FLOW_UPLINK_BYPASS;
				e->policy = NEP_POLICY_NONE;
				*polp = NEP_POLICY_NONE;
				u = NEP_FLOW_UPLINK_BYPASS;
			} else {
				e->policy = (uint16_t)pol;
				*polp = pol;
				nu = steer_select(s, st, pol, pi->family, sig);
				if (nu < 0) {
					*reason = -nu;
					*how = STEER_FAILED;
					return NEP_STEER_DONE;
				}
				t->by_uplink[e->uplink]--;
				t->by_uplink[(uint8_t)nu]++;
				e->uplink = (uint8_t)nu;
				e->xlat = NEP_FLOW_XLAT_NONE;
				w->stats->flows_moved++;
				w->stats->flows_moved4 += pi->family == 4;
				*how = STEER_MOVED;
				u = nu;
			}
		}
	} else {
		uint32_t pol;

		if (!create)
			return NEP_STEER_ROUTE;
		pol = steer_classify(s, &key, frame + pi->l3_off);
		*polp = pol;
		if (pol == NEP_POLICY_EXCLUDED) {
			u = NEP_FLOW_UPLINK_BYPASS;
			pol = NEP_POLICY_NONE;
			*polp = pol;
		} else {
			u = steer_select(s, st, pol, pi->family, sig);
			if (u < 0) {
				/* No state: when the uplink returns, the next
				 * packet starts the flow there. */
				*reason = -u;
				*how = STEER_FAILED;
				return NEP_STEER_DONE;
			}
		}
		w->stats->policy_hits[pol]++;
		pos = rte_hash_add_key_with_hash(t->h, &key, sig);
		if (unlikely(pos < 0)) {
			/* Table full: forward by the same stateless hash. */
			w->stats->flows_stateless++;
			*how = STEER_STATELESS;
			return u == NEP_FLOW_UPLINK_BYPASS ? NEP_STEER_ROUTE : u;
		}
		e = &t->e[pos];
		e->key = key;
		/* Now, not the burst's start: a flush published since then
		 * must not see this new flow as older than itself. */
		e->created_tsc = rte_rdtsc();
		e->packets = 0;
		e->bytes = 0;
		e->policy = (uint16_t)pol;
		e->uplink = (uint8_t)u;
		e->flags = 0;
		e->xlat = NEP_FLOW_XLAT_NONE;
		w->stats->flows_new++;
		t->inserts++;
		t->by_uplink[(uint8_t)u]++;
		*how = STEER_NEW;
	}
	e->last_tsc = now_tsc;
	e->packets++;
	e->bytes += pi->l3_len;
	if (tcp_flags & 0x05) /* FIN or RST */
		e->flags |= NEP_FLOW_F_FIN;
	*posp = pos;
	return u == NEP_FLOW_UPLINK_BYPASS ? NEP_STEER_ROUTE : u;
}

#endif /* NEP_STEER_H */
