/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT44's packet path (docs/nat44.md, "Packet path"):
 *  - outbound: multihoming steers an IPv4 flow to an uplink and its path
 *    action calls nat_xlat4() after the MTU check: the inside endpoint's
 *    mapping on that uplink (created on the first packet: paired address,
 *    preserved port or one of its parity, per-host limit), the source
 *    rewritten; an inside host's ICMP error about an inbound packet, a
 *    later fragment by the first's translation; port forwards' and 1:1
 *    hosts' replies leave from their public address and port;
 *  - inbound (ingress, order 30): IPv4 to one of the public addresses:
 *    the mapping, filtering (endpoint-independent or address-dependent),
 *    the destination rewritten, on to the lookup; port forwards and 1:1
 *    mappings; ICMP errors about our outbound packets; later fragments;
 *    a packet from the LAN to a public address is hairpinned (RFC 4787
 *    REQ-9: its source translated too);
 *  - the worker reaps idle mappings a few per poll.
 */
#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "mh_export.h"
#include "nep_flow.h"
#include "nep_worker.h"
#include "nat44.h"

static unsigned nat_drop_table_full, nat_drop_unsupported;

/* map_out()'s "the session table is full" (not a lib/nat44 result) */
#define NAT_RC_TABLE_FULL NEP_NAT44_RC_MAX

static inline nep_verdict_t
drop_rc(unsigned rc)
{
	return NEP_VERDICT_DROP(rc == NAT_RC_TABLE_FULL ? nat_drop_table_full :
							  nat_drop_rc[rc]);
}

static inline nep_verdict_t
drop_or_next(enum nep_nat44_rc rc)
{
	return rc == NEP_NAT44_OK ? NEP_V_NEXT : drop_rc(rc);
}

/* ---- mappings ---- */

/* For the mapping log (when on): the control lcore writes it. */
static inline void
map_log(struct nat_worker *nw, const struct nat_map *mp, bool created)
{
	struct nat_log_ev ev;

	if (nw->log == NULL)
		return;
	ev.wall_ms = 0;	/* stamped by the control lcore */
	ev.in_addr = mp->in_addr;
	ev.pub_addr = mp->pub_addr;
	ev.in_port = mp->in_port;
	ev.pub_port = mp->pub_port;
	ev.proto = mp->proto;
	ev.uplink = mp->uplink;
	ev.created = created;
	ev.pad = 0;
	if (rte_ring_enqueue_elem(nw->log, &ev, sizeof(ev)) != 0)
		nw->log_lost++;
}

static void
map_free(struct nat_worker *nw, uint32_t idx)
{
	struct nat_map *mp = &nw->maps[idx];

	map_log(nw, mp, false);
	struct nat_out_key ok = { .addr = mp->in_addr, .port = mp->in_port,
		.proto = mp->proto, .uplink = mp->uplink };
	struct nep_nat44_key ik = { .addr = mp->pub_addr,
		.port = mp->pub_port, .proto = mp->proto };

	rte_hash_del_key(nw->out, &ok);
	rte_hash_del_key(nw->in, &ik);
	if (nw->ports[mp->pool] != NULL)
		nep_nat44_port_free(nw->ports[mp->pool], nw->hosts, mp->in_addr,
			mp->pub_port);
	mp->used = 0;
	nw->free_list[nw->n_free++] = idx;
	nw->n_maps--;
}

/* The mapping of (src, sport, proto) on uplink u, created if needed.
 * NULL with *rc on failure. */
static struct nat_map *
map_out(struct nat_worker *nw, const struct nat_snap *ns, unsigned u,
	const struct nep_nat44_tuple *t, uint64_t now, enum nep_nat44_rc *rc)
{
	struct nat_out_key ok = { .addr = t->src, .port = t->sport,
		.proto = t->proto, .uplink = (uint8_t)u };
	const struct nat_uplink *up = &ns->up[u];
	struct nep_nat44_key ik;
	struct nat_map *mp;
	void *data;
	unsigned ai, pidx = nat_proto_index(t->proto);
	uint16_t pool, port;
	uint32_t idx;

	if (rte_hash_lookup_data(nw->out, &ok, &data) >= 0)
		return &nw->maps[(uint32_t)(uintptr_t)data];
	if (unlikely(up->n_addrs == 0)) {
		*rc = NEP_NAT44_ERR_NO_PORT;
		return NULL;
	}
	if (unlikely(nw->n_free == 0)) {
		*rc = (enum nep_nat44_rc)NAT_RC_TABLE_FULL;
		return NULL;
	}
	/* paired pooling: the host's address on this uplink */
	ai = nep_nat44_pick_address(t->src, up->addrs, up->n_addrs);
	pool = up->pool[ai][pidx];
	nw->hosts->limit = ns->max_per_host;	/* a reload may change it */
	*rc = nep_nat44_port_alloc(nw->ports[pool], nw->hosts, t->src,
		t->sport, &port);
	if (unlikely(*rc != NEP_NAT44_OK)) {
		if (*rc == NEP_NAT44_ERR_NO_PORT)
			nw->stats.alloc_failed[pidx]++;
		return NULL;
	}
	idx = nw->free_list[--nw->n_free];
	mp = &nw->maps[idx];
	memset(mp, 0, sizeof(*mp));
	mp->in_addr = t->src;
	mp->in_port = t->sport;
	mp->pub_addr = up->addrs[ai];
	mp->pub_port = port;
	mp->proto = t->proto;
	mp->uplink = (uint8_t)u;
	mp->pool = pool;
	mp->used = 1;
	mp->created_tsc = mp->last_tsc = now;
	ik.addr = mp->pub_addr;
	ik.port = port;
	ik.proto = t->proto;
	ik.pad = 0;
	if (unlikely(rte_hash_add_key_data(nw->out, &ok,
			     (void *)(uintptr_t)idx) < 0 ||
		    rte_hash_add_key_data(nw->in, &ik,
			    (void *)(uintptr_t)idx) < 0)) {
		nw->n_maps++;
		map_free(nw, idx);
		*rc = (enum nep_nat44_rc)NAT_RC_TABLE_FULL;
		return NULL;
	}
	nw->n_maps++;
	nw->stats.created++;
	map_log(nw, mp, true);
	return mp;
}

static inline struct nat_map *
map_in(struct nat_worker *nw, uint32_t addr, uint16_t port, uint8_t proto)
{
	struct nep_nat44_key ik = { .addr = addr, .port = port, .proto = proto };
	void *data;

	if (rte_hash_lookup_data(nw->in, &ik, &data) < 0)
		return NULL;
	return &nw->maps[(uint32_t)(uintptr_t)data];
}

static inline void
map_seen(struct nat_map *mp, const struct nep_nat44_pkt *pk,
	enum nep_nat44_dir dir, uint64_t now)
{
	mp->last_tsc = now;
	if (mp->proto == NEP_NAT44_PROTO_TCP)
		mp->tcp_state = nep_nat44_tcp_next(mp->tcp_state, dir,
			pk->tcp_flags);
	if (dir == NEP_NAT44_OUT)
		mp->pkts_out++;
	else
		mp->pkts_in++;
}

/* ---- fragments: later ones follow the first's translation ---- */

static inline struct nat_frag *
frag_slot(struct nat_worker *nw, const struct nep_nat44_frag_key *k)
{
	uint32_t h = (k->src * 2654435761u) ^ (k->dst * 40503u) ^
		((uint32_t)k->id << 8 | k->proto);

	return &nw->frags[(h ^ h >> 16) & (NAT_FRAGS - 1)];
}

/* The shared owner table's slot and tag of a datagram (several workers). */
static inline uint64_t *
frag_owner_slot(const struct nep_nat44_frag_key *k, uint32_t *tag)
{
	uint32_t h = (k->src * 2246822519u) ^ (k->dst * 3266489917u) ^
		((uint32_t)k->id << 8 | k->proto) * 668265263u;

	*tag = h | 1;	/* never 0: 0 is an empty slot */
	return &nat_ctl_state.frag_owner[(h >> 20) & (NAT_FRAG_OWNERS - 1)];
}

static inline void
frag_note(struct nat_worker *nw, const uint8_t *ip, uint32_t new_addr,
	uint64_t now)
{
	struct nep_nat44_frag_key k = nep_nat44_frag_key(ip);
	struct nat_frag *f = frag_slot(nw, &k);

	f->src = k.src;
	f->dst = k.dst;
	f->id = k.id;
	f->proto = k.proto;
	f->used = 1;
	f->new_addr = new_addr;
	f->tsc = now;
}

static inline bool
frag_find(struct nat_worker *nw, const uint8_t *ip, uint64_t now,
	uint64_t max_age, uint32_t *new_addr)
{
	struct nep_nat44_frag_key k = nep_nat44_frag_key(ip);
	const struct nat_frag *f = frag_slot(nw, &k);

	if (!f->used || f->src != k.src || f->dst != k.dst || f->id != k.id ||
		f->proto != k.proto || now - f->tsc > max_age)
		return false;
	*new_addr = f->new_addr;
	return true;
}

/*
 * The worker an inbound first fragment goes to, for its later fragments:
 * written by the worker that received it, before it hands it on, so a
 * later fragment received next (by any worker) finds it; the handoff
 * ring keeps the two in order.
 */
static inline int
frag_publish(const uint8_t *ip, int owner)
{
	struct nep_nat44_frag_key k = nep_nat44_frag_key(ip);
	uint32_t tag;
	uint64_t *slot = frag_owner_slot(&k, &tag);

	__atomic_store_n(slot, (uint64_t)tag << 32 | (uint32_t)(owner + 1),
		__ATOMIC_RELAXED);
	return owner;
}

/* ---- forwards ---- */

/* The inbound rule for a packet to (dst, dport) of proto on uplink bit. */
static inline const struct nat_forward *
forward_in(const struct nat_snap *ns, uint32_t dst, uint16_t dport,
	uint8_t proto, int uplink)
{
	for (unsigned i = 0; i < ns->n_forwards; i++) {
		const struct nat_forward *f = &ns->forwards[i];

		if (uplink < 0 || !((f->uplinks >> uplink) & 1))
			continue;
		if (f->kind == NAT_FWD_ONE_TO_ONE ? f->public_addr == dst :
			(f->proto == proto && f->port == dport))
			return f;
	}
	return NULL;
}

/* The rule whose inside end sent this (a reply of a forwarded server, a
 * 1:1 host), on uplink u. */
static inline const struct nat_forward *
forward_out(const struct nat_snap *ns, const struct nep_nat44_tuple *t,
	unsigned u)
{
	for (unsigned i = 0; i < ns->n_forwards; i++) {
		const struct nat_forward *f = &ns->forwards[i];

		if (!((f->uplinks >> u) & 1) || f->to != t->src)
			continue;
		if (f->kind == NAT_FWD_ONE_TO_ONE ||
			(f->proto == t->proto && f->to_port == t->sport))
			return f;
	}
	return NULL;
}

/*
 * A port forward's connection came in on one of its uplink's addresses:
 * the reply flow multihoming pins keeps which (NAT_COOKIE_FWD | index) as
 * its cookie, so the replies leave from that address, not the first.
 */
#define NAT_COOKIE_FWD 0x80000000u

static inline uint32_t
forward_addr(const struct nat_snap *ns, unsigned u, uint32_t cookie)
{
	uint32_t i = cookie & ~NAT_COOKIE_FWD;

	if (cookie != NEP_FLOW_XLAT_NONE && (cookie & NAT_COOKIE_FWD) &&
		i < ns->up[u].n_addrs)
		return ns->up[u].addrs[i];
	return ns->up[u].addrs[0];
}

/* The uplink slot whose public address a is, -1. */
static inline int
uplink_of_addr(const struct nat_snap *ns, uint32_t a)
{
	for (unsigned u = 0; u < NAT_MAX_UPLINKS; u++) {
		if (!ns->up[u].used)
			continue;
		for (unsigned i = 0; i < ns->up[u].n_addrs; i++)
			if (ns->up[u].addrs[i] == a)
				return (int)u;
	}
	for (unsigned i = 0; i < ns->n_forwards; i++)
		if (ns->forwards[i].kind == NAT_FWD_ONE_TO_ONE &&
			ns->forwards[i].public_addr == a)
			return __builtin_ctz(ns->forwards[i].uplinks);
	return -1;
}

/* ---- outbound (multihoming's path action) ---- */

nep_verdict_t
nat_xlat4(struct nep_pctx *c, struct rte_mbuf *m, unsigned u,
	uint32_t *cookie)
{
	const struct nat_snap *ns = NAT_SNAP(c->s);
	struct nat_worker *nw = NAT_W(c->w);
	uint8_t *ip = c->frame + c->pi.l3_off;
	uint32_t len = c->pi.l3_len, a;
	const struct nat_forward *fw;
	struct nep_nat44_pkt pk;
	struct nat_map *mp;
	enum nep_nat44_rc rc, rc2 = NEP_NAT44_OK;

	(void)m;
	if (!ns->enabled || u >= NAT_MAX_UPLINKS || !ns->up[u].used)
		return NEP_V_NEXT;
	rc = nep_nat44_parse(ip, len, &pk);
	switch (rc) {
	case NEP_NAT44_OK:
		if (unlikely(ns->n_forwards != 0) &&
			(fw = forward_out(ns, &pk.t, u)) != NULL) {
			/* a forwarded server or a 1:1 host answers from its
			 * public address (and port) */
			a = fw->kind == NAT_FWD_ONE_TO_ONE ? fw->public_addr :
				forward_addr(ns, u, *cookie);
			if (pk.first_frag)
				frag_note(nw, ip, a, c->now);
			nw->stats.out_pkts++;
			return drop_or_next(nep_nat44_snat(ip, len, a,
				fw->kind == NAT_FWD_ONE_TO_ONE ? pk.t.sport :
								 fw->port));
		}
		mp = map_out(nw, ns, u, &pk.t, c->now, &rc2);
		if (unlikely(mp == NULL))
			return drop_rc(rc2);
		map_seen(mp, &pk, NEP_NAT44_OUT, c->now);
		/* kept whatever the filtering: a reload may turn it on */
		nep_nat44_remotes_note(&mp->remotes, NEP_NAT44_FILTER_APDF,
			pk.t.dst, pk.t.dport);
		if (pk.first_frag)
			frag_note(nw, ip, mp->pub_addr, c->now);
		else
			*cookie = (uint32_t)(mp - nw->maps);	/* nat_fast_out */
		nw->stats.out_pkts++;
		return drop_or_next(nep_nat44_snat(ip, len, mp->pub_addr,
			mp->pub_port));
	case NEP_NAT44_ICMP_ERROR: {
		/* an inside host's error about a packet that came in */
		struct nep_nat44_icmp_err e;
		struct nat_out_key ok;
		void *data;

		rc = nep_nat44_icmp_err_parse(ip, len, &e);
		if (rc != NEP_NAT44_OK)
			return drop_rc(rc);
		rc = nep_nat44_icmp_err_verify(ip, &e);
		if (rc != NEP_NAT44_OK)
			return drop_rc(rc);
		ok.addr = e.inner.dst;
		ok.port = e.inner.dport;
		ok.proto = e.inner.proto;
		ok.uplink = (uint8_t)u;
		nw->stats.icmp_errors++;
		if (rte_hash_lookup_data(nw->out, &ok, &data) >= 0) {
			mp = &nw->maps[(uint32_t)(uintptr_t)data];
			return drop_or_next(nep_nat44_icmp_err_rewrite(ip, len,
				NEP_NAT44_OUT, mp->pub_addr, mp->pub_addr,
				mp->pub_port));
		}
		/* about a packet a port forward (or 1:1 mapping) brought in */
		{
			struct nep_nat44_tuple q = { .src = e.inner.dst,
				.sport = e.inner.dport, .proto = e.inner.proto };
			if (unlikely(ns->n_forwards != 0) &&
				(fw = forward_out(ns, &q, u)) != NULL) {
				a = fw->kind == NAT_FWD_ONE_TO_ONE ?
					fw->public_addr : ns->up[u].addrs[0];
				return drop_or_next(nep_nat44_icmp_err_rewrite(ip,
					len, NEP_NAT44_OUT, a, a,
					fw->kind == NAT_FWD_ONE_TO_ONE ?
						e.inner.dport : fw->port));
			}
		}
		nw->stats.icmp_errors--;
		return drop_rc(NEP_NAT44_ERR_NO_MAPPING);
	}
	case NEP_NAT44_ERR_LATER_FRAGMENT:
		if (!frag_find(nw, ip, c->now, ns->timeout_tsc[NEP_NAT44_TCP_MAX +
			    1], &a))
			return drop_rc(NEP_NAT44_ERR_FRAG_NO_FIRST);
		nw->stats.frags++;
		return drop_or_next(nep_nat44_frag_snat(ip, len, a));
	case NEP_NAT44_ERR_PROTO:
	case NEP_NAT44_ERR_ICMP_TYPE:
		return NEP_VERDICT_DROP(nat_drop_unsupported);
	default:
		return drop_rc(rc);
	}
}

/*
 * The fast path's outbound translation (multihoming's fused path, a flow
 * hit): the mapping its flow entry's cookie names, checked against the
 * packet (a mapping reaped and reused, or the flow moved to another
 * uplink, no longer matches: false, the general path finds or makes the
 * right one and a new cookie). The same updates as nat_xlat4's.
 */
bool
nat_fast_out(const struct nep_snapshot *s, struct nep_worker *w,
	uint8_t *ip, unsigned u, uint32_t cookie, uint64_t now)
{
	const struct nat_snap *ns = NAT_SNAP(s);
	struct nat_worker *nw = NAT_W(w);
	struct nat_map *mp;
	uint32_t d;
	uint16_t sport, dport;

	if (!ns->enabled)
		return true;	/* not translated, as nat_xlat4 does */
	if (unlikely(cookie >= nw->cap))
		return false;
	mp = &nw->maps[cookie];
	sport = nep_nat44_get16(ip + 20);
	if (unlikely(!mp->used || mp->in_addr != nep_nat44_get32(ip + 12) ||
		    mp->in_port != sport || mp->proto != ip[9] ||
		    mp->uplink != u))
		return false;
	dport = nep_nat44_get16(ip + 22);
	mp->last_tsc = now;
	if (mp->proto == NEP_NAT44_PROTO_TCP)
		mp->tcp_state = nep_nat44_tcp_next(mp->tcp_state, NEP_NAT44_OUT,
			ip[33]);
	mp->pkts_out++;
	nep_nat44_remotes_note(&mp->remotes, NEP_NAT44_FILTER_APDF,
		nep_nat44_get32(ip + 16), dport);
	nw->stats.out_pkts++;
	d = nep_nat44_addr_rewrite(ip, NEP_NAT44_OUT, mp->pub_addr);
	nep_nat44_l4_rewrite(ip + 20, mp->proto, NEP_NAT44_OUT, d,
		mp->pub_port);
	return true;
}

/* ---- inbound ---- */

static inline bool
is_public(const struct nat_snap *ns, uint32_t a)
{
	for (unsigned i = 0; i < ns->n_public; i++)
		if (ns->public[i] == a)
			return true;
	return false;
}

/*
 * What inbound processing decided, applied by the output stage after the
 * hop-limit and MTU checks (c->rewrite), so an error neptune sends about
 * the packet quotes it as it was received, as for NPTv6.
 */
enum nat_pend_kind { NAT_PEND_DNAT, NAT_PEND_FRAG, NAT_PEND_ICMP };

static nep_verdict_t
nat_rewrite_in(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct nat_pending *pd = c->rewrite_ctx;
	uint8_t *ip = c->frame + c->pi.l3_off;
	uint32_t len = c->pi.l3_len;
	enum nep_nat44_rc rc;

	(void)m;
	switch (pd->kind) {
	case NAT_PEND_DNAT:
		rc = nep_nat44_dnat(ip, len, pd->d_addr, pd->d_port);
		break;
	case NAT_PEND_FRAG:
		rc = nep_nat44_frag_dnat(ip, len, pd->d_addr);
		break;
	default:
		rc = nep_nat44_icmp_err_rewrite(ip, len, NEP_NAT44_IN, pd->d_addr,
			pd->d_addr, pd->d_port);
		break;
	}
	if (rc == NEP_NAT44_OK && pd->snat)
		rc = nep_nat44_snat(ip, len, pd->s_addr, pd->s_port);
	return drop_or_next(rc);
}

/*
 * A LAN host reached another through a public address: its source is
 * translated too, so the answer comes back through us (RFC 4787 REQ-9):
 * a forwarded server or 1:1 host answering from its public endpoint, else
 * the host's own mapping on that uplink.
 */
static nep_verdict_t
hairpin(struct nep_pctx *c, struct nat_worker *nw, const struct nat_snap *ns,
	int u, const struct nep_nat44_pkt *pk, struct nat_pending *pd)
{
	enum nep_nat44_rc rc = NEP_NAT44_OK;
	const struct nat_forward *fw;
	struct nat_map *mp;

	if (u < 0)
		return NEP_V_NEXT;
	if (unlikely(ns->n_forwards != 0) &&
		(fw = forward_out(ns, &pk->t, (unsigned)u)) != NULL) {
		pd->snat = 1;
		pd->s_addr = fw->kind == NAT_FWD_ONE_TO_ONE ? fw->public_addr :
			ns->up[u].addrs[0];
		pd->s_port = fw->kind == NAT_FWD_ONE_TO_ONE ? pk->t.sport :
							      fw->port;
		return NEP_V_NEXT;
	}
	mp = map_out(nw, ns, (unsigned)u, &pk->t, c->now, &rc);
	if (mp == NULL)
		return drop_rc(rc);
	map_seen(mp, pk, NEP_NAT44_OUT, c->now);
	nep_nat44_remotes_note(&mp->remotes, NEP_NAT44_FILTER_APDF, pk->t.dst,
		pk->t.dport);
	pd->snat = 1;
	pd->s_addr = mp->pub_addr;
	pd->s_port = mp->pub_port;
	return NEP_V_NEXT;
}

/* The inbound rule whose public end an error's quoted packet left from (a
 * forwarded server's or 1:1 host's reply). */
static inline const struct nat_forward *
forward_of_quote(const struct nat_snap *ns, const struct nep_nat44_tuple *q)
{
	return forward_in(ns, q->src, q->sport, q->proto,
		uplink_of_addr(ns, q->src));
}

/* ---- several workers: the worker that owns a packet's mapping ---- */

/*
 * An inside host's mappings, per-host count and multihoming flows live on
 * one worker, chosen from its address: what the LAN sends is handed
 * there, so endpoint-independent mapping and the per-host limit hold
 * across workers whatever RSS does.
 */
static inline unsigned
host_worker(uint32_t addr, unsigned n_workers)
{
	uint32_t h = addr * 2654435761u;

	return (unsigned)(((uint64_t)(h ^ h >> 15) * n_workers) >> 32);
}

/* The worker holding the port block of (addr, port, proto), -1. */
static int
port_owner(const struct nat_snap *ns, uint32_t addr, uint16_t port,
	uint8_t proto)
{
	for (unsigned u = 0; u < NAT_MAX_UPLINKS; u++) {
		const struct nat_uplink *up = &ns->up[u];

		if (!up->used)
			continue;
		for (unsigned i = 0; i < up->n_addrs; i++) {
			const struct nep_nat44_pool *p;
			uint32_t o;

			if (up->addrs[i] != addr)
				continue;
			p = nat_ctl_state.pools[up->pool[i][nat_proto_index(
				proto)]];
			o = nep_nat44_block_owner(p, port >> p->shift);
			return o == NEP_NAT44_NO_OWNER ? -1 : (int)o;
		}
	}
	return -1;
}

/*
 * Where a packet's NAT44 state is (several workers only): for what comes
 * from the LAN to anything but a public address, the source host's
 * worker; for what comes to a public address, the worker holding the
 * port block of its mapping (of the quoted packet's for an ICMP error),
 * the inside host's for a port forward or 1:1 mapping (its replies are
 * pinned there), the first fragment's for a later one. -1: any worker
 * (nothing to find, the packet is ours or dropped the same everywhere).
 */
static int
owner_of(const struct nep_pctx *c, const struct nat_snap *ns,
	const uint8_t *ip, bool to_public, bool from_lan)
{
	unsigned nw = c->w->app->n_workers;
	const struct nat_forward *fw;
	struct nep_nat44_pkt pk;
	int o;

	if (!to_public)
		return from_lan ? (int)host_worker(nep_nat44_get32(ip + 12),
			nw) : -1;
	switch (nep_nat44_parse(ip, c->pi.l3_len, &pk)) {
	case NEP_NAT44_OK:
		o = port_owner(ns, pk.t.dst, pk.t.dport, pk.t.proto);
		if (o < 0) {
			fw = forward_in(ns, pk.t.dst, pk.t.dport, pk.t.proto,
				uplink_of_addr(ns, pk.t.dst));
			o = fw != NULL ? (int)host_worker(fw->to, nw) : -1;
		}
		return o >= 0 && pk.first_frag ? frag_publish(ip, o) : o;
	case NEP_NAT44_ICMP_ERROR: {
		struct nep_nat44_icmp_err e;

		if (nep_nat44_icmp_err_parse(ip, c->pi.l3_len, &e) !=
			NEP_NAT44_OK)
			return -1;
		o = port_owner(ns, e.inner.src, e.inner.sport, e.inner.proto);
		if (o >= 0)
			return o;
		fw = forward_of_quote(ns, &e.inner);
		return fw != NULL ? (int)host_worker(fw->to, nw) : -1;
	}
	case NEP_NAT44_ERR_LATER_FRAGMENT: {
		struct nep_nat44_frag_key k = nep_nat44_frag_key(ip);
		uint32_t tag;
		uint64_t v = __atomic_load_n(frag_owner_slot(&k, &tag),
			__ATOMIC_RELAXED);

		if ((uint32_t)(v >> 32) != tag || (uint32_t)v == 0)
			return -1;
		return (int)(uint32_t)v - 1;
	}
	default:
		return -1;
	}
}

nep_verdict_t
nat_ingress(struct nep_pctx *c, struct rte_mbuf *m)
{
	const struct nat_snap *ns = NAT_SNAP(c->s);
	struct nat_worker *nw;
	struct nat_pending *pd;
	const struct nat_forward *fw;
	struct nep_nat44_pkt pk;
	struct nat_map *mp;
	enum nep_nat44_rc rc;
	bool from_lan, to_public;
	int u, pin = -1;
	uint8_t *ip;
	uint32_t len, a;
	nep_verdict_t v = NEP_V_NEXT;

	(void)m;
	if (!ns->enabled || c->pi.family != 4)
		return NEP_V_NEXT;
	ip = c->frame + c->pi.l3_off;
	to_public = is_public(ns, nep_nat44_get32(ip + 16));
	from_lan = c->w->app->ports[c->meta->in_port].role == NEP_PORT_LAN;
	if (unlikely(c->w->handoff != NULL) &&
		!(c->meta->flags & (NEP_META_F_HANDOFF | NEP_META_F_DECAP))) {
		int o = owner_of(c, ns, ip, to_public, from_lan);

		if (o >= 0 && (unsigned)o != c->w->index)
			return NEP_VERDICT_HANDOFF((unsigned)o);
	}
	if (!to_public)
		return NEP_V_NEXT;
	nw = NAT_W(c->w);
	pd = &nw->pending;
	pd->snat = 0;
	len = c->pi.l3_len;
	rc = nep_nat44_parse(ip, len, &pk);
	switch (rc) {
	case NEP_NAT44_OK:
		mp = map_in(nw, pk.t.dst, pk.t.dport, pk.t.proto);
		if (mp != NULL) {
			if (!from_lan && !nep_nat44_filter_allow(
				    (enum nep_nat44_filtering)ns->filtering,
				    &mp->remotes, pk.t.src, pk.t.sport))
				return drop_rc(NEP_NAT44_ERR_FILTERED);
			map_seen(mp, &pk, NEP_NAT44_IN, c->now);
			if (pk.first_frag)
				frag_note(nw, ip, mp->in_addr, c->now);
			nw->stats.in_pkts++;
			pd->kind = NAT_PEND_DNAT;
			pd->d_addr = mp->in_addr;
			pd->d_port = mp->in_port;
			if (from_lan)
				v = hairpin(c, nw, ns, mp->uplink, &pk, pd);
			break;
		}
		u = uplink_of_addr(ns, pk.t.dst);
		fw = forward_in(ns, pk.t.dst, pk.t.dport, pk.t.proto, u);
		if (fw != NULL) {
			if (pk.first_frag)
				frag_note(nw, ip, fw->to, c->now);
			nw->stats.forwards_in++;
			pd->kind = NAT_PEND_DNAT;
			pd->d_addr = fw->to;
			pd->d_port = fw->kind == NAT_FWD_ONE_TO_ONE ? pk.t.dport :
								      fw->to_port;
			if (from_lan)
				v = hairpin(c, nw, ns, u, &pk, pd);
			else
				pin = u;
			break;
		}
		/* Ours: echo to the appliance, replies to its probes. A TCP
		 * or UDP packet nobody asked for is dropped, unanswered. */
		if (pk.t.proto == NEP_NAT44_PROTO_ICMP)
			return NEP_V_NEXT;
		/* The DHCPv4 server answering the appliance's client on a
		 * leased address (ports below 1024 are never mapped). */
		if (pk.t.proto == NEP_NAT44_PROTO_UDP && pk.t.sport == 67 &&
			pk.t.dport == 68)
			return NEP_V_NEXT;
		return drop_rc(NEP_NAT44_ERR_NO_MAPPING);
	case NEP_NAT44_ICMP_ERROR: {
		/* about a packet we translated on its way out */
		struct nep_nat44_icmp_err e;

		if (nep_nat44_icmp_err_parse(ip, len, &e) != NEP_NAT44_OK)
			return NEP_V_NEXT;	/* not about a mapping: ours */
		mp = map_in(nw, e.inner.src, e.inner.sport, e.inner.proto);
		if (mp != NULL) {
			pd->d_addr = mp->in_addr;
			pd->d_port = mp->in_port;
		} else if ((fw = forward_of_quote(ns, &e.inner)) != NULL) {
			pd->d_addr = fw->to;
			pd->d_port = fw->kind == NAT_FWD_ONE_TO_ONE ?
				e.inner.sport : fw->to_port;
		} else {
			return NEP_V_NEXT;
		}
		rc = nep_nat44_icmp_err_verify(ip, &e);
		if (rc != NEP_NAT44_OK)
			return drop_rc(rc);
		nw->stats.icmp_errors++;
		pd->kind = NAT_PEND_ICMP;
		break;
	}
	case NEP_NAT44_ERR_LATER_FRAGMENT:
		if (!frag_find(nw, ip, c->now, ns->timeout_tsc[NEP_NAT44_TCP_MAX +
			    1], &a))
			return ip[9] == NEP_NAT44_PROTO_ICMP ? NEP_V_NEXT :
				drop_rc(NEP_NAT44_ERR_FRAG_NO_FIRST);
		nw->stats.frags++;
		pd->kind = NAT_PEND_FRAG;
		pd->d_addr = a;
		pd->d_port = 0;
		break;
	default:
		return NEP_V_NEXT;
	}
	if (v != NEP_V_NEXT)
		return v;
	/* the lookup routes the new destination; the output stage rewrites */
	a = rte_cpu_to_be_32(pd->d_addr);
	memcpy(c->dst4, &a, 4);
	c->dst = c->dst4;
	c->rewrite = nat_rewrite_in;
	c->rewrite_ctx = pd;
	/* a forward's replies leave by the uplink it came in on, from the
	 * address it came to */
	if (pin >= 0) {
		uint32_t ai = 0;

		while (ai < ns->up[pin].n_addrs &&
			ns->up[pin].addrs[ai] != pk.t.dst)
			ai++;
		nep_mh_pin_reply(c, (unsigned)pin, pd->d_port,
			ai < ns->up[pin].n_addrs ? NAT_COOKIE_FWD | ai :
						   NEP_FLOW_XLAT_NONE);
	}
	return NEP_V_NEXT;
}

/* ---- the worker's housekeeping ---- */

void
nat_worker_poll(struct nep_worker *w, uint64_t now_tsc)
{
	const struct nat_snap *ns = NAT_SNAP(__atomic_load_n(&w->app->snap,
		__ATOMIC_ACQUIRE));
	struct nat_worker *nw = NAT_W(w);

	if (nw == NULL || !ns->enabled)
		return;
	if (unlikely(__atomic_load_n(&nw->flush, __ATOMIC_ACQUIRE))) {
		for (uint32_t i = 0; i < nw->cap; i++)
			if (nw->maps[i].used)
				map_free(nw, i);
		__atomic_store_n(&nw->flush, 0, __ATOMIC_RELEASE);
		return;
	}
	/* Timeouts are seconds: a step every poll (each burst) would cost
	 * a busy worker ~25 instructions a packet for nothing. */
	if (nw->n_maps == 0 || now_tsc - nw->reap_tsc < nw->reap_every_tsc)
		return;
	nw->reap_tsc = now_tsc;
	for (unsigned k = 0; k < NAT_REAP_PER_POLL; k++) {
		uint32_t i = nw->reap_pos;
		const struct nat_map *mp = &nw->maps[i];

		nw->reap_pos = i + 1 == nw->cap ? 0 : i + 1;
		if (mp->used && now_tsc - mp->last_tsc >
			nat_timeout(ns, mp->proto, mp->tcp_state)) {
			map_free(nw, i);
			nw->stats.expired++;
		}
	}
}

int
nat_worker_init(struct nep_app *app, struct nep_worker *w,
	const struct nat_config *nc)
{
	struct nat_worker *nw;
	int sock = (int)rte_lcore_to_socket_id(w->lcore_id);
	struct rte_hash_parameters hp = { .entries = nc->max_sessions * 2,
		.socket_id = sock };
	char name[RTE_HASH_NAMESIZE];
	uint32_t hcap = 8;

	nw = rte_zmalloc_socket("nat44_worker", sizeof(*nw),
		RTE_CACHE_LINE_SIZE, sock);
	if (nw == NULL)
		return -1;
	w->feat[nep_nat_feature.id] = nw;
	nw->cap = nc->max_sessions;
	nw->reap_every_tsc = rte_get_tsc_hz() * NAT_REAP_EVERY_US / 1000000;
	nw->maps = rte_zmalloc_socket("nat44_maps", sizeof(*nw->maps) *
		nw->cap, RTE_CACHE_LINE_SIZE, sock);
	nw->free_list = rte_malloc_socket("nat44_free", sizeof(uint32_t) *
		nw->cap, 0, sock);
	while (hcap < nc->max_sessions)
		hcap <<= 1;
	nw->hosts = rte_zmalloc_socket("nat44_hosts",
		nep_nat44_hosts_memsize(hcap), RTE_CACHE_LINE_SIZE, sock);
	if (nw->maps == NULL || nw->free_list == NULL || nw->hosts == NULL)
		return -1;
	nep_nat44_hosts_init(nw->hosts, hcap, nc->max_per_host);
	for (uint32_t i = 0; i < nw->cap; i++)
		nw->free_list[i] = nw->cap - 1 - i;
	nw->n_free = nw->cap;
	snprintf(name, sizeof(name), "nat44_out_%u", w->index);
	hp.name = name;
	hp.key_len = sizeof(struct nat_out_key);
	nw->out = rte_hash_create(&hp);
	snprintf(name, sizeof(name), "nat44_in_%u", w->index);
	hp.name = name;
	hp.key_len = sizeof(struct nep_nat44_key);
	nw->in = rte_hash_create(&hp);
	if (nw->out == NULL || nw->in == NULL)
		return -1;
	if (nc->log[0] != '\0') {
		snprintf(name, sizeof(name), "nat44_log_%u", w->index);
		nw->log = rte_ring_create_elem(name, sizeof(struct nat_log_ev),
			NAT_LOG_RING, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (nw->log == NULL)
			return -1;
	}
	for (unsigned p = 0; p < nat_ctl_state.n_pools; p++) {
		nw->ports[p] = rte_zmalloc_socket("nat44_ports",
			sizeof(struct nep_nat44_ports), RTE_CACHE_LINE_SIZE, sock);
		if (nw->ports[p] == NULL)
			return -1;
		/* keep one block, preserve ports with a few blocks at most */
		nep_nat44_ports_init(nw->ports[p], nat_ctl_state.pools[p],
			w->index, 1, 8);
	}
	(void)app;
	return 0;
}

int
nat_worker_add_pool(struct nep_app *app, unsigned p)
{
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct nat_worker *nw = NAT_W(&app->workers[w]);
		int sock = (int)rte_lcore_to_socket_id(app->workers[w].lcore_id);

		if (nw == NULL)
			continue;
		nw->ports[p] = rte_zmalloc_socket("nat44_ports",
			sizeof(struct nep_nat44_ports), RTE_CACHE_LINE_SIZE, sock);
		if (nw->ports[p] == NULL)
			return -1;
		nep_nat44_ports_init(nw->ports[p], nat_ctl_state.pools[p],
			app->workers[w].index, 1, 8);
	}
	return 0;
}

static unsigned
reg(const char *name, enum nep_stage st)
{
	int d = nep_drop_register(name, "nat44", st);

	if (d < 0) {
		fprintf(stderr, "nat44: the drop reason table is full\n");
		abort();
	}
	return (unsigned)d;
}

void
nat_register_datapath(void)
{
	/* the drops of lib/nat44's result codes (not OK / ICMP_ERROR, and
	 * not the configuration's) */
	for (unsigned rc = NEP_NAT44_ERR_NOT_IP4; rc < NEP_NAT44_RC_MAX; rc++) {
		if (rc == NEP_NAT44_ERR_BLOCK_SIZE || rc == NEP_NAT44_ERR_TIMEOUT ||
			rc == NEP_NAT44_ERR_NOT_ALLOCATED ||
			rc == NEP_NAT44_ERR_NOT_LATER_FRAGMENT ||
			rc == NEP_NAT44_ERR_NOT_ICMP_ERROR ||
			rc == NEP_NAT44_ERR_PROTO || rc == NEP_NAT44_ERR_ICMP_TYPE)
			continue;
		nat_drop_rc[rc] = reg(nep_nat44_rc_name((enum nep_nat44_rc)rc),
			NEP_STAGE_OUTPUT);
	}
	nat_drop_unsupported = reg("nat44_unsupported_protocol",
		NEP_STAGE_OUTPUT);
	nat_drop_rc[NEP_NAT44_ERR_PROTO] = nat_drop_unsupported;
	nat_drop_rc[NEP_NAT44_ERR_ICMP_TYPE] = nat_drop_unsupported;
	nat_drop_table_full = reg("nat44_session_table_full", NEP_STAGE_OUTPUT);
	nep_mh_register_xlat4(nat_xlat4, nat_fast_out);
}
