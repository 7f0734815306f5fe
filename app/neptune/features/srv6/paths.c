/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overlay path health on the control lcore: every path (local uplink,
 * remote endpoint) is probed with ICMPv6 echo from the uplink's address
 * to the endpoint (its WAN address, or the End SID locator::1 of a
 * neptune site), through the uplink's next hop, and judged by lib/health
 * like an uplink. The paths that are up form one mask the workers read.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>

#include "nep_control.h"
#include "nep_pkt.h"
#include "srv6.h"
#include "srv6_export.h"

#define PROBE_PAYLOAD 16

uint64_t
srv6_paths_mask(const struct srv6_snap *ss)
{
	uint64_t mask = 0;

	for (unsigned i = 0; i < ss->n_paths; i++)
		if ((ss->health ? nep_health_is_up(&ss->paths[i].health) :
				  !ss->paths[i].health.link_down) &&
			ss->paths[i].tclass != NEP_SRV6_T_OP)
			mask |= 1ull << i;
	return mask;
}

void
srv6_publish_mask(struct nep_app *app, struct srv6_snap *ss)
{
	uint64_t old = ss->up_mask, mask = srv6_paths_mask(ss);

	(void)app;
	if (mask == old)
		return;
	__atomic_store_n(&ss->up_mask, mask, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < ss->n_paths; i++)
		if (((old ^ mask) >> i) & 1) {
			const struct srv6_path *p = &ss->paths[i];
			char a[64];
			inet_ntop(AF_INET6, p->probe, a, sizeof(a));
			NEP_LOG(NOTICE, "srv6: path %u (uplink %s -> %s) %s", i,
				p->uplink, a, (mask >> i) & 1 ? "up" : "down");
		}
}

/* A new snapshot's paths take the health of the same paths (uplink,
 * probe target) of the running one. */
void
srv6_paths_carry(struct nep_app *app, struct nep_snapshot *s)
{
	struct srv6_snap *ss = SRV6_SNAP(s);
	const struct srv6_snap *old = app->snap ? SRV6_SNAP(app->snap) : NULL;

	for (unsigned i = 0; i < ss->n_paths; i++) {
		struct srv6_path *p = &ss->paths[i];

		if (old == NULL || !old->enabled)
			continue;
		for (unsigned j = 0; j < old->n_paths; j++) {
			const struct srv6_path *q = &old->paths[j];
			if (strcmp(p->uplink, q->uplink) == 0 &&
				memcmp(p->probe, q->probe, 16) == 0) {
				nep_health_carry(&p->health, &q->health);
				p->seq = q->seq;
				p->mode = q->mode;
				p->tclass = q->tclass;
				break;
			}
		}
		if (!app->ports[p->port].link_up) {
			struct nep_health_event ev;
			nep_health_link_down(&p->health, nep_now_ns(), &ev);
		}
	}
	ss->up_mask = srv6_paths_mask(ss);
}

static void
send_probe(struct nep_app *app, unsigned i, const struct srv6_path *p)
{
	struct rte_mbuf *m = nep_ctl_alloc(app);
	uint8_t *f;
	uint32_t len;

	if (m == NULL)
		return;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	len = nep_icmp6_build_echo(f + 14, 256, p->src, p->probe,
		(uint16_t)(SRV6_PROBE_ID_BASE + i), (uint16_t)p->seq,
		PROBE_PAYLOAD);
	m->data_len = m->pkt_len = 14 + len;
	f[12] = 0x86;
	f[13] = 0xdd;
	SRV6_CTL(app)->probes_sent++;
	nep_ctl_send_via(app, m, p->port_id, 6, p->next_hop);
}

void
srv6_probe_input(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv6_hdr *ip6 =
		(const struct rte_ipv6_hdr *)(f + pi->l3_off);
	const uint8_t *icmp = f + pi->l4_off;
	unsigned i = (unsigned)((icmp[4] << 8 | icmp[5]) - SRV6_PROBE_ID_BASE);
	uint16_t seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
	struct srv6_snap *ss = SRV6_SNAP(app->snap);
	struct srv6_path *p;

	if (!ss->enabled || i >= ss->n_paths) {
		SRV6_CTL(app)->probe_unmatched++;
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	p = &ss->paths[i];
	/* The reply of another path (a remote answering on another
	 * uplink) does not vouch for this one. */
	if (p->port != port || memcmp(ip6->src_addr, p->probe, 16) != 0 ||
		memcmp(ip6->dst_addr, p->src, 16) != 0) {
		SRV6_CTL(app)->probe_unmatched++;
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	uint32_t waited = (uint32_t)rte_rdtsc() - nep_meta(m)->arrival_tsc;
	uint64_t now = nep_now_ns(), waited_ns = (uint64_t)waited *
		1000000000ull / app->tsc_hz;
	nep_health_reply(&p->health, 0, seq,
		waited_ns < now ? now - waited_ns : now);
	SRV6_CTL(app)->probe_replies++;
	nep_local_consumed(app, m);
}

void
srv6_paths_link_change(struct nep_app *app, unsigned port, bool up)
{
	struct srv6_snap *ss = SRV6_SNAP(app->snap);

	if (!ss->enabled)
		return;
	for (unsigned i = 0; i < ss->n_paths; i++) {
		struct srv6_path *p = &ss->paths[i];
		struct nep_health_event ev;

		if (p->port != port)
			continue;
		if (!up)
			nep_health_link_down(&p->health, nep_now_ns(), &ev);
		else
			nep_health_link_up(&p->health, nep_now_ns());
	}
	srv6_publish_mask(app, ss);
}

void
srv6_paths_run(struct nep_app *app, uint64_t now_ns)
{
	struct srv6_snap *ss = SRV6_SNAP(app->snap);

	if (!ss->enabled || !ss->health)
		return;
	for (unsigned i = 0; i < ss->n_paths; i++) {
		struct srv6_path *p = &ss->paths[i];
		struct nep_health_event ev;

		if (now_ns >= nep_health_next_probe_ns(&p->health) &&
			app->ports[p->port].link_up) {
			p->seq = (p->seq + 1) & 0xffff;
			nep_health_probe_sent(&p->health, 0, p->seq, now_ns);
			send_probe(app, i, p);
		}
		while (nep_health_tick(&p->health, now_ns, &ev))
			;
	}
	srv6_publish_mask(app, ss);
}

/* Every second: the flows each path carried in the second before last. */
void
srv6_flows_tick(struct nep_app *app, uint64_t now_ns)
{
	struct srv6_ctl *sc = SRV6_CTL(app);
	unsigned old;

	if (now_ns - sc->flow_epoch_ns < 1000000000ull)
		return;
	sc->flow_epoch_ns = now_ns;
	/* Written during epoch e - 1, untouched since e began. */
	old = (sc->flow_epoch + 1) & 1;
	for (unsigned p = 0; p < SRV6_MAX_PATHS; p++) {
		uint64_t or[SRV6_FLOW_BITS / 64] = { 0 };
		unsigned ones = 0;

		for (unsigned w = 0; w < app->n_workers; w++) {
			struct srv6_flowbits *fb = SRV6_W(&app->workers[w])->flows;
			for (unsigned i = 0; i < SRV6_FLOW_BITS / 64; i++) {
				or[i] |= fb->w[old][p][i];
				fb->w[old][p][i] = 0;
			}
		}
		for (unsigned i = 0; i < SRV6_FLOW_BITS / 64; i++)
			ones += (unsigned)__builtin_popcountll(or[i]);
		if (ones == SRV6_FLOW_BITS)
			ones = SRV6_FLOW_BITS - 1;	/* saturated */
		sc->flows[p] = (uint32_t)(-(double)SRV6_FLOW_BITS *
			log((double)(SRV6_FLOW_BITS - ones) / SRV6_FLOW_BITS) + 0.5);
	}
	__atomic_store_n(&sc->flow_epoch, sc->flow_epoch + 1, __ATOMIC_RELAXED);
}
