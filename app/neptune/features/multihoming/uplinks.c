/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Uplinks on the control lcore: health probes (ICMPv6 echo sent from the
 * data plane through each uplink's own next hop), the health state
 * machines, link events, the active pool that workers read (RCU), flow
 * aging scans, events, and configuration reload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "mh.h"
#include "mh_export.h"
#include "nep_control.h"
#include "nep_pkt.h"

#define PROBE_ID_BASE 0x4e50	/* echo identifier: base + slot */
#define PROBE_PAYLOAD 16
#define SCAN_CHUNK 65536	/* flow entries examined per scan step */

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
mh_add_event(struct nep_app *app, unsigned slot, uint8_t from, uint8_t to,
	const char *reason)
{
	struct mh_state *mh = MH(app);
	struct nep_event *e = &mh->events[mh->event_head];

	e->wall_ms = wall_ms();
	e->slot = (uint8_t)slot;
	e->from = from;
	e->to = to;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	mh->event_head = (mh->event_head + 1) % NEP_MAX_EVENTS;
	if (mh->n_events < NEP_MAX_EVENTS)
		mh->n_events++;
	NEP_LOG(NOTICE, "uplink %s: %s -> %s (%s)", mh->uplinks[slot].name,
		nep_health_state_name(from), nep_health_state_name(to), reason);
}

static void
add_event(struct nep_app *app, unsigned slot, const struct nep_health_event *ev)
{
	mh_add_event(app, slot, (uint8_t)ev->from, (uint8_t)ev->to, ev->reason);
}

static void
slot_configure(struct nep_app *app, unsigned slot,
	const struct nep_uplink_conf *uc, bool fresh)
{
	struct nep_uplink_rt *u = &MH(app)->uplinks[slot];
	bool health_changed = fresh ||
		memcmp(&u->conf.health, &uc->health, sizeof(uc->health)) != 0 ||
		memcmp(&u->conf.next_hop, &uc->next_hop, sizeof(uc->next_hop));

	if (!fresh && uc->pd &&
		(u->conf.delegated.len != uc->delegated.len ||
			memcmp(&u->conf.delegated.addr, &uc->delegated.addr,
				sizeof(uc->delegated.addr)) != 0)) {
		/* A new delegated prefix: flows translated to the old one
		 * re-select (under NPTv6 they break either way). */
		u->prefix_changes++;
		if (u->conf.delegated.len != 0)
			MH(app)->prefix_moved_mask |= 1u << slot;
	}
	u->in_use = true;
	snprintf(u->name, sizeof(u->name), "%s", uc->name);
	/* The file is the reference: a reload restores the configured
	 * weight (docs/cli.md, set uplink NAME weight); admin state is the
	 * operator's and stays. */
	u->weight = uc->weight;
	if (fresh)
		u->admin_up = true;
	u->conf = *uc;
	u->port = (unsigned)uc->port;
	/* The probe source: our address on-link with the next hop. */
	nep_port_addr(app, u->port, 6, uc->next_hop.a, u->wan_src);
	if (health_changed) {
		/* The old machine is large; it lives on the heap meanwhile. */
		struct nep_health *prev = fresh ? NULL : malloc(sizeof(*prev));

		if (prev != NULL)
			*prev = u->health;
		nep_health_init(&u->health, &uc->health, nep_now_ns());
		if (uc->health.n_targets == 0)
			nep_health_set_target_addr(&u->health, 0, &uc->next_hop);
		/* Same uplink (same name): its state carries over, so a
		 * reload of its health settings moves none of its flows. */
		if (prev != NULL)
			nep_health_carry(&u->health, prev);
		free(prev);
	}
}

/* The SLA slots' pools: the views of the uplinks meeting each SLA. */
static void
sla_pools(struct nep_app *app, const struct nep_snapshot *s,
	struct nep_steer_state *st, const struct nep_uplink_view *v6,
	unsigned n6, const struct nep_uplink_view *v4, unsigned n4)
{
	const struct mh_config *mc = mh_conf(s->cfg);
	struct nep_uplink_view w[NEP_MAX_UPLINKS];

	st->sla_fast_ok = UINT32_MAX;
	for (unsigned i = 0; mc->has_steering && i < mc->steering.n_policies;
	     i++) {
		const struct nep_policy_conf *pc = &mc->steering.policies[i];
		unsigned k = (unsigned)pc->sla_slot, n;
		uint32_t ok;

		if (!pc->has_sla)
			continue;
		ok = MH(app)->sla_ok[k];
		st->sla_ok[k] = ok;
		if (pc->sla_move) {
			st->sla_moving = true;
			st->sla_fast_ok &= ok;
		}
		n = 0;
		for (unsigned j = 0; j < n6; j++)
			if ((ok >> v6[j].id) & 1)
				w[n++] = v6[j];
		nep_uplink_pool_build(w, n, &st->sla_pool6[k]);
		n = 0;
		for (unsigned j = 0; j < n4; j++)
			if ((ok >> v4[j].id) & 1)
				w[n++] = v4[j];
		nep_uplink_pool_build(w, n, &st->sla_pool4[k]);
	}
}

void
nep_mh_set_sla_ok(struct nep_app *app, unsigned slot, uint32_t ok)
{
	if (slot >= NEP_MAX_SLA || MH(app)->sla_ok[slot] == ok)
		return;
	MH(app)->sla_ok[slot] = ok;
	nep_uplinks_publish(app);
}

void
nep_uplinks_publish(struct nep_app *app)
{
	const struct nep_snapshot *s = app->snap;
	const struct mh_snap *ms = MH_SNAP(s);
	const struct mh_config *mc = mh_conf(s->cfg);
	struct nep_uplink_view v6[NEP_MAX_UPLINKS], v4[NEP_MAX_UPLINKS];
	struct nep_steer_state *st, *old;
	unsigned n6 = 0, n4 = 0, i;

	st = rte_zmalloc("nep_steer", sizeof(*st), RTE_CACHE_LINE_SIZE);
	if (st == NULL) {
		NEP_LOG(ERR, "out of memory publishing the uplink state");
		return;
	}
	for (i = 0; i < NEP_MAX_UPLINKS; i++) {
		struct nep_uplink_rt *u = &MH(app)->uplinks[i];
		struct nep_uplink_fwd *f = &st->up[i];
		struct nep_uplink_view v;

		if (!u->in_use)
			continue;
		st->n_slots = i + 1;
		f->port = (uint8_t)u->port;
		f->port_id = app->ports[u->port].ifid;
		memcpy(f->nh6, u->conf.next_hop.a, 16);
		f->has_v4 = u->conf.next_hop4.family == AF_INET;
		memcpy(f->nh4, u->conf.next_hop4.a, 4);
		/* Pinned, so workers read the MAC without a hash lookup. */
		f->nh6_pos = u->conf.next_hop.family == AF_INET6 ?
			nep_ctl_neigh_pin(app, f->port_id, 6, f->nh6) : -1;
		f->nh4_pos = f->has_v4 ?
			nep_ctl_neigh_pin(app, f->port_id, 4, f->nh4) : -1;
		if (f->nh6_pos >= 0 && app->ports[u->port].vlan == 0)
			st->fast6 |= 1u << i;
		if (f->nh4_pos >= 0 && app->ports[u->port].vlan == 0)
			st->fast4 |= 1u << i;
		if (mc->has_steering && ms->first_inside6 >= 0 &&
			u->conf.pending == 0 &&
			nep_nptv6_init(&f->npt,
				&mc->steering.inside[ms->first_inside6],
				&u->conf.delegated) == 0)
			st->port_slots[f->port] |= 1u << i;
		v.id = (uint8_t)i;
		v.role = u->conf.role;
		v.weight = u->weight;
		v.healthy = (!u->conf.health.enabled ||
				    nep_health_is_up(&u->health)) &&
			app->ports[u->port].link_up;
		v.admin_up = u->admin_up;
		if (v.healthy && v.admin_up) {
			/* provisioning: no prefix, address or router yet,
			 * no IPv6 flow */
			if (u->conf.pending == 0)
				st->usable6 |= 1u << i;
			if (f->has_v4)
				st->usable4 |= 1u << i;
		}
		if (f->has_v4)
			v4[n4++] = v;
		/* no prefix, address or router yet: not in the IPv6 pool */
		v.healthy = v.healthy && u->conf.pending == 0;
		v6[n6++] = v;
	}
	st->flush_tsc = MH(app)->age.flush_tsc;
	st->flush_mask = MH(app)->age.flush_mask;
	nep_uplink_pool_build(v6, n6, &st->pool6);
	nep_uplink_pool_build(v4, n4, &st->pool4);
	sla_pools(app, s, st, v6, n6, v4, n4);
	old = MH(app)->steer;
	__atomic_store_n(&MH(app)->steer, st, __ATOMIC_RELEASE);
	if (old != NULL) {
		rte_rcu_qsbr_synchronize(app->qsv, RTE_QSBR_THRID_INVALID);
		rte_free(old);
	}
}

/* The learnt IPv4 address of a port (after its configured ones). */
static bool
learnt_v4(const struct nep_config *cfg, unsigned port, uint8_t out[4])
{
	const struct nep_port_conf *pc = &cfg->ports[port];

	for (unsigned j = pc->n_static_addrs; j < pc->n_addrs; j++)
		if (pc->addrs[j].addr.family == AF_INET) {
			memcpy(out, pc->addrs[j].addr.a, 4);
			return true;
		}
	return false;
}

void
nep_uplinks_apply_config(struct nep_app *app, struct nep_snapshot *s)
{
	const struct mh_config *mc = mh_conf(s->cfg);
	const struct mh_snap *ms = MH_SNAP(s);
	bool keep[NEP_MAX_UPLINKS] = { false };
	unsigned i;

	for (i = 0; i < mc->n_uplinks; i++) {
		unsigned slot = ms->slot_of_cfg[i];
		bool fresh = !MH(app)->uplinks[slot].in_use;
		const struct nep_uplink_conf *uc = &mc->uplinks[i];

		/* A leased IPv4 address that changed (app->cfg is still the
		 * old configuration): its flows re-select, as for a prefix */
		if (!fresh && uc->ipv4_dhcp) {
			uint8_t a[4] = { 0 }, b[4] = { 0 };
			bool ha = learnt_v4(app->cfg, (unsigned)uc->port, a);
			bool hb = learnt_v4(s->cfg, (unsigned)uc->port, b);

			if (ha && (!hb || memcmp(a, b, 4) != 0)) {
				MH(app)->uplinks[slot].prefix_changes++;
				MH(app)->prefix_moved_mask |= 1u << slot;
			}
		}
		slot_configure(app, slot, uc, fresh);
		keep[slot] = true;
	}
	for (i = 0; i < NEP_MAX_UPLINKS; i++)
		if (MH(app)->uplinks[i].in_use && !keep[i] &&
			!MH(app)->uplinks[i].removed) {
			/* Removed: its flows re-select; the slot stays
			 * reserved until restart so no flow is misrouted, and
			 * it is no longer probed. */
			MH(app)->uplinks[i].removed = true;
			MH(app)->uplinks[i].admin_up = false;
			MH(app)->uplinks[i].conf.role = NEP_UPLINK_EXCLUDED;
			char old[NEP_NAME_MAX];
			memcpy(old, MH(app)->uplinks[i].name, sizeof(old));
			snprintf(MH(app)->uplinks[i].name, NEP_NAME_MAX, "%.20s~rm",
				old);
		}
}

int
nep_uplinks_init(struct nep_app *app)
{
	const struct mh_config *mc = mh_conf(app->cfg);
	struct mh_state *mh = MH(app);
	char name[RTE_HASH_NAMESIZE];

	for (unsigned k = 0; k < NEP_MAX_SLA; k++)
		mh->sla_ok[k] = UINT32_MAX;	/* until judged */
	if (mc->has_steering) {
		mh->age.idle_tsc = app->tsc_hz * mc->flow_timeout_s;
		mh->age.fin_idle_tsc = app->tsc_hz * mc->flow_fin_timeout_s;
		for (unsigned w = 0; w < app->n_workers; w++) {
			uint32_t size = mc->flow_table_size /
				app->n_workers;
			snprintf(name, sizeof(name), "nep_flows_%u", w);
			mh->workers[w].flows = nep_flow_table_create(name,
				size < 1024 ? 1024 : size, (int)rte_socket_id());
			if (mh->workers[w].flows == NULL) {
				NEP_LOG(ERR, "cannot allocate a flow table of "
					"%u entries: %s", size,
					rte_strerror(rte_errno));
				return -1;
			}
		}
	}
	nep_uplinks_apply_config(app, app->snap);
	nep_uplinks_publish(app);
	return 0;
}

void
nep_uplinks_fini(struct nep_app *app)
{
	struct mh_state *mh = MH(app);

	for (unsigned w = 0; w < app->n_workers; w++)
		if (mh->workers[w].flows != NULL) {
			nep_flow_table_free(mh->workers[w].flows);
			mh->workers[w].flows = NULL;
		}
	rte_free(mh->steer);
	mh->steer = NULL;
}

static void
send_probe(struct nep_app *app, unsigned slot, unsigned target, uint32_t seq)
{
	struct nep_uplink_rt *u = &MH(app)->uplinks[slot];
	struct rte_mbuf *m = nep_ctl_alloc(app);
	const uint8_t *dst = u->conf.health.n_targets ?
		u->conf.health.targets[target].a : u->conf.next_hop.a;
	uint8_t *f;
	uint32_t len;

	if (m == NULL)
		return;
	/* the source now: a learnt address comes and goes (provisioning) */
	nep_port_addr(app, u->port, 6, u->conf.next_hop.a, u->wan_src);
	f = rte_pktmbuf_mtod(m, uint8_t *);
	len = nep_icmp6_build_echo(f + 14, 256, u->wan_src, dst,
		(uint16_t)(PROBE_ID_BASE + slot), (uint16_t)seq, PROBE_PAYLOAD);
	m->data_len = m->pkt_len = 14 + len;
	f[12] = 0x86;
	f[13] = 0xdd;
	nep_ctl_send_via(app, m, app->ports[u->port].ifid, 6,
		u->conf.next_hop.a);
}

/* Local delivery of ICMPv6 echo replies: our probes' answers. */
void
mh_probe_input(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv6_hdr *ip6 =
		(const struct rte_ipv6_hdr *)(f + pi->l3_off);
	const uint8_t *icmp = f + pi->l4_off;
	uint16_t id = (uint16_t)(icmp[4] << 8 | icmp[5]);
	uint16_t seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
	unsigned slot = (unsigned)(id - PROBE_ID_BASE);
	struct nep_uplink_rt *u;

	if (id < PROBE_ID_BASE || slot >= NEP_MAX_UPLINKS) {
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	u = &MH(app)->uplinks[slot];
	if (!u->in_use || u->port != port) {
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	/* When the worker received it, not when we got to it. */
	uint32_t waited = (uint32_t)rte_rdtsc() - nep_meta(m)->arrival_tsc;
	uint64_t now = nep_now_ns(), waited_ns = (uint64_t)waited *
		1000000000ull / app->tsc_hz;
	uint64_t arrived = waited_ns < now ? now - waited_ns : now;
	for (unsigned t = 0; t < RTE_MAX(u->conf.health.n_targets, 1u); t++) {
		const uint8_t *a = u->conf.health.n_targets ?
			u->conf.health.targets[t].a : u->conf.next_hop.a;
		if (memcmp(a, ip6->src_addr, 16) == 0) {
			nep_health_reply(&u->health, t, seq, arrived);
			break;
		}
	}
	nep_local_consumed(app, m);
}

void
nep_uplinks_link_change(struct nep_app *app, unsigned port, bool up)
{
	bool changed = false;

	for (unsigned i = 0; i < NEP_MAX_UPLINKS; i++) {
		struct nep_uplink_rt *u = &MH(app)->uplinks[i];
		struct nep_health_event ev;

		if (!u->in_use || u->port != port)
			continue;
		if (!up && nep_health_link_down(&u->health, nep_now_ns(), &ev)) {
			add_event(app, i, &ev);
			changed = true;
		} else if (up) {
			nep_health_link_up(&u->health, nep_now_ns());
		}
	}
	if (changed)
		nep_uplinks_publish(app);
}

void
nep_uplinks_run(struct nep_app *app, uint64_t now_ns)
{
	bool changed = false;

	for (unsigned i = 0; i < NEP_MAX_UPLINKS; i++) {
		struct nep_uplink_rt *u = &MH(app)->uplinks[i];
		struct nep_health_event ev;

		if (!u->in_use || u->removed || !u->conf.health.enabled)
			continue;
		if (now_ns >= nep_health_next_probe_ns(&u->health) &&
			app->ports[u->port].link_up &&
			!(u->conf.pending & (NEP_PENDING_ROUTER |
				NEP_PENDING_ADDRESS))) {
			u->seq = (u->seq + 1) & 0xffff;
			for (unsigned t = 0;
				t < RTE_MAX(u->conf.health.n_targets, 1u); t++) {
				nep_health_probe_sent(&u->health, t, u->seq,
					now_ns);
				send_probe(app, i, t, u->seq);
			}
		}
		while (nep_health_tick(&u->health, now_ns, &ev)) {
			add_event(app, i, &ev);
			changed = true;
		}
	}
	if (changed)
		nep_uplinks_publish(app);
}

/*
 * Aging: walk the workers' entry arrays a chunk at a time (read-only),
 * post idle positions to their owners, and count live flows per uplink.
 */
void
nep_flows_scan(struct nep_app *app, uint64_t now_ns)
{
	struct mh_state *mh = MH(app);
	struct mh_scan *sc = &mh->scan;
	uint64_t now_tsc = rte_rdtsc();
	struct nep_flow_table *t;
	uint32_t end, max, pos = sc->pos;

	(void)now_ns;
	if (app->n_workers == 0 || mh->workers[0].flows == NULL)
		return;
	t = mh->workers[sc->worker].flows;
	max = rte_hash_max_key_id(t->h) + 1;
	end = RTE_MIN(pos + SCAN_CHUNK, max);
	for (; pos < end; pos++) {
		const struct nep_flow_entry *e = &t->e[pos];
		if (e->last_tsc == 0)
			continue;
		if (nep_flow_expired(e, now_tsc, &mh->age)) {
			if (rte_ring_sp_enqueue(t->expire,
				    (void *)(uintptr_t)pos) != 0)
				break; /* owner busy: resume here next time */
			continue;
		}
		if (e->uplink < NEP_MAX_UPLINKS)
			sc->counts[e->uplink]++;
	}
	sc->pos = pos;
	if (pos < max)
		return;
	sc->pos = 0;
	if (++sc->worker < app->n_workers)
		return;
	sc->worker = 0;
	for (unsigned i = 0; i < NEP_MAX_UPLINKS; i++) {
		mh->uplinks[i].flows = sc->counts[i];
		sc->counts[i] = 0;
	}
}

/*
 * Flush the flows of one uplink slot (or all, slot < 0). Workers drop a
 * flushed entry on its next packet; the aging scan reaps the idle ones.
 * Returns how many live flows matched.
 */
uint64_t
nep_flows_flush(struct nep_app *app, int slot)
{
	return nep_flows_flush_mask(app, slot < 0 ? 0xffffffffu : 1u << slot);
}

uint64_t
nep_flows_flush_mask(struct nep_app *app, uint32_t mask)
{
	uint64_t n = 0;

	MH(app)->age.flush_mask = mask;
	MH(app)->age.flush_tsc = rte_rdtsc();
	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct nep_flow_table *t = MH(app)->workers[w].flows;
		if (t == NULL)
			continue;
		uint32_t max = rte_hash_max_key_id(t->h) + 1;
		for (uint32_t pos = 0; pos < max; pos++)
			if (t->e[pos].last_tsc != 0 &&
				nep_flow_flushed(&t->e[pos], &MH(app)->age))
				n++;
	}
	nep_uplinks_publish(app);
	return n;
}

int
nep_mh_uplink_by_name(const struct nep_app *app, const char *name)
{
	const struct mh_state *mh = MH(app);

	for (unsigned i = 0; mh != NULL && i < NEP_MAX_UPLINKS; i++)
		if (mh->uplinks[i].in_use && !mh->uplinks[i].removed &&
			strcmp(mh->uplinks[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
nep_mh_uplink_info(const struct nep_app *app, unsigned slot,
	struct nep_mh_uplink_info *out)
{
	const struct mh_state *mh = MH(app);
	const struct nep_uplink_rt *u;
	const struct nep_steer_state *st;
	struct nep_health_metrics hm;

	memset(out, 0, sizeof(*out));
	if (mh == NULL || slot >= NEP_MAX_UPLINKS)
		return -1;
	u = &mh->uplinks[slot];
	if (!u->in_use || u->removed)
		return -1;
	st = __atomic_load_n(&mh->steer, __ATOMIC_ACQUIRE);
	out->slot = slot;
	snprintf(out->name, sizeof(out->name), "%s", u->name);
	out->port = u->port;
	out->has_nh6 = u->conf.next_hop.family == AF_INET6;
	memcpy(out->nh6, u->conf.next_hop.a, 16);
	out->has_src6 = out->has_nh6 &&
		nep_port_addr(app, u->port, 6, u->conf.next_hop.a, out->src6);
	out->has_target = u->conf.health.n_targets > 0 &&
		u->conf.health.targets[0].family == AF_INET6;
	memcpy(out->target, out->has_target ? u->conf.health.targets[0].a :
					      u->conf.next_hop.a, 16);
	out->has_target |= out->has_nh6;
	out->probed = u->conf.health.enabled;
	out->up = st != NULL && ((st->usable6 | st->usable4) >> slot) & 1;
	if (u->conf.health.enabled) {
		nep_health_get_metrics(&u->health, &hm);
		out->has_rtt = hm.n_targets > 0 && hm.target[0].has_rtt;
		out->rtt_ms = hm.rtt_ms;
		out->jitter_ms = hm.jitter_ms;
		out->loss_pct = hm.loss_pct;
	}
	return 0;
}
