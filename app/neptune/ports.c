/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port bring-up: every configured port gets its rx queues (RSS when more
 * than one), one tx queue per worker, the configured MAC and MTU. Rx queues
 * are spread round-robin over workers. The control lcore has no tx queue of
 * its own (some PMDs have a fixed number): it hands frames to worker 0.
 */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "nep_dcache.h"
#include "neptune.h"
#include "nep_trace.h"
#include "nep_pkt.h"

static int
find_port(const struct nep_port_conf *pc, uint16_t *id)
{
	char name[NEP_DEVARGS_MAX];
	char *comma;

	snprintf(name, sizeof(name), "%s", pc->devargs);
	comma = strchr(name, ',');
	if (comma != NULL)
		*comma = '\0';
	return rte_eth_dev_get_port_by_name(name, id);
}

static int
setup_port(struct nep_app *app, unsigned i)
{
	const struct nep_port_conf *pc = &app->cfg->ports[i];
	struct nep_port *p = &app->ports[i];
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	unsigned q;
	int rc;

	if (find_port(pc, &p->id) != 0) {
		NEP_LOG(ERR, "port %s: no DPDK device for '%s'", pc->name,
			pc->devargs);
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	p->role = pc->role;
	p->mtu = pc->mtu;
	p->ifid = p->id;
	p->vlan = 0;
	p->parent = -1;
	p->vrf = pc->vrf;
	rc = rte_eth_dev_info_get(p->id, &info);
	if (rc != 0)
		return -1;
	p->n_rxq = pc->rx_queues;
	p->n_txq = (uint16_t)app->n_workers;
	if (p->n_rxq > info.max_rx_queues || p->n_txq > info.max_tx_queues) {
		NEP_LOG(ERR, "port %s: needs %u rx / %u tx queues, the device "
			"has %u / %u", pc->name, p->n_rxq, p->n_txq,
			info.max_rx_queues, info.max_tx_queues);
		return -1;
	}
	if (p->n_rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP |
			RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	if (info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 0; /* link state is polled */
	rc = rte_eth_dev_configure(p->id, p->n_rxq, p->n_txq, &conf);
	if (rc != 0 && p->n_rxq != p->n_txq) {
		/* Some PMDs (net_tap) want as many rx as tx queues: add rx
		 * queues, which the workers then poll like the others. */
		uint16_t n = RTE_MAX(p->n_rxq, p->n_txq);
		if (n <= info.max_rx_queues && n <= info.max_tx_queues) {
			p->n_rxq = p->n_txq = n;
			if (n > 1 && conf.rxmode.mq_mode == RTE_ETH_MQ_RX_NONE) {
				conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
				conf.rx_adv_conf.rss_conf.rss_hf =
					(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP |
						RTE_ETH_RSS_UDP) &
					info.flow_type_rss_offloads;
			}
			rc = rte_eth_dev_configure(p->id, p->n_rxq, p->n_txq,
				&conf);
		}
	}
	if (rc != 0) {
		NEP_LOG(ERR, "port %s: configure failed: %s", pc->name,
			rte_strerror(-rc));
		return -1;
	}
	uint16_t nrx = pc->rx_desc, ntx = pc->tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &nrx, &ntx);
	for (q = 0; q < p->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->id, (uint16_t)q, nrx,
			rte_eth_dev_socket_id(p->id), NULL, app->pool);
		if (rc != 0) {
			NEP_LOG(ERR, "port %s: rx queue %u: %s", pc->name, q,
				rte_strerror(-rc));
			return -1;
		}
	}
	for (q = 0; q < p->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->id, (uint16_t)q, ntx,
			rte_eth_dev_socket_id(p->id), NULL);
		if (rc != 0) {
			NEP_LOG(ERR, "port %s: tx queue %u: %s", pc->name, q,
				rte_strerror(-rc));
			return -1;
		}
	}
	rte_eth_macaddr_get(p->id, &p->mac);
	if (pc->mac_set) {
		struct rte_ether_addr mac;
		memcpy(mac.addr_bytes, pc->mac, 6);
		rc = rte_eth_dev_default_mac_addr_set(p->id, &mac);
		if (rc != 0) {
			/* The PMD cannot filter on it (net_pcap): use the
			 * configured MAC anyway and receive everything. */
			NEP_LOG(NOTICE, "port %s: PMD cannot set the MAC (%s); "
				"using it in software, promiscuous", pc->name,
				rte_strerror(-rc));
			rte_eth_promiscuous_enable(p->id);
		}
		p->mac = mac;
	}
	nep_ip6_linklocal_from_mac(p->mac.addr_bytes, p->ll);
	rc = rte_eth_dev_set_mtu(p->id, pc->mtu);
	if (rc != 0 && rc != -ENOTSUP)
		NEP_LOG(WARNING, "port %s: cannot set MTU %u: %s", pc->name,
			pc->mtu, rte_strerror(-rc));
	rc = rte_eth_dev_start(p->id);
	if (rc != 0) {
		NEP_LOG(ERR, "port %s: start failed: %s", pc->name,
			rte_strerror(-rc));
		return -1;
	}
	/* ND needs solicited-node multicast; ARP needs broadcast. */
	rte_eth_allmulticast_enable(p->id);
	app->port_index[p->ifid] = (int16_t)i;
	return 0;
}

/* A VLAN sub-interface: its parent's device, MAC and tx queues. */
static void
setup_subif(struct nep_app *app, unsigned i)
{
	const struct nep_port_conf *pc = &app->cfg->ports[i];
	struct nep_port *p = &app->ports[i];
	const struct nep_port *par = &app->ports[pc->parent];

	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	p->id = par->id;
	p->ifid = nep_subif_ifid(i);
	p->vlan = pc->vlan;
	p->parent = (int16_t)pc->parent;
	p->vrf = pc->vrf;
	p->role = pc->role;
	p->mac = par->mac;
	memcpy(p->ll, par->ll, sizeof(p->ll));
	p->mtu = pc->mtu;
	p->n_rxq = 0;
	p->n_txq = par->n_txq;
	app->port_index[p->ifid] = (int16_t)i;
	app->vlan_port[pc->parent][p->vlan] = (uint8_t)i;
}

static int
setup_worker_queues(struct nep_app *app)
{
	unsigned i, q, w = 0, lcore;

	/* Worker contexts in lcore order. */
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct nep_worker *wk = &app->workers[w];
		char name[RTE_RING_NAMESIZE];

		if (w >= app->n_workers)
			break;
		wk->app = app;
		wk->lcore_id = lcore;
		wk->index = w;
		wk->stats = &app->stats[lcore];
		snprintf(name, sizeof(name), "nep_punt_%u", w);
		wk->punt = rte_ring_create(name, app->cfg->punt_ring_size,
			(int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "nep_punt_hi_%u", w);
		wk->punt_hi = rte_ring_create(name, NEP_PUNT_HI_RING,
			(int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		/* The policer: class c may send one packet every T cycles,
		 * punt_burst at once (GCRA: tau = burst x T). */
		for (unsigned c = 0; c < NEP_PUNT_CLASSES; c++) {
			uint32_t pps = app->cfg->punt_pps[c];

			wk->punt_T[c] = pps ? rte_get_tsc_hz() / pps : 0;
			wk->punt_tau[c] = wk->punt_T[c] *
				(app->cfg->punt_burst - 1);
			wk->punt_tat[c] = 0;
		}
		snprintf(name, sizeof(name), "nep_inject_%u", w);
		wk->inject = rte_ring_create(name, 1024, (int)rte_socket_id(),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		wk->dc = rte_malloc_socket("nep_dcache", sizeof(*wk->dc),
			RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		if (wk->dc != NULL)
			nep_dcache_init(wk->dc);
		wk->trace = rte_zmalloc_socket("nep_trace", sizeof(*wk->trace),
			RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		/* Several workers: packets whose state another one owns
		 * (NAT44 mappings) are handed to it (docs/architecture.md,
		 * "Several workers"). Any worker enqueues, this one alone
		 * dequeues. */
		if (app->n_workers > 1) {
			snprintf(name, sizeof(name), "nep_handoff_%u", w);
			wk->handoff = rte_ring_create(name, NEP_HANDOFF_RING,
				(int)rte_socket_id(), RING_F_SC_DEQ);
			if (wk->handoff == NULL) {
				NEP_LOG(ERR, "cannot create the handoff rings");
				return -1;
			}
		}
		if (wk->punt == NULL || wk->punt_hi == NULL ||
			wk->inject == NULL || wk->dc == NULL ||
			wk->trace == NULL) {
			NEP_LOG(ERR, "cannot create the punt rings");
			return -1;
		}
		for (i = 0; i < app->n_ports; i++) {
			wk->txb[i] = rte_zmalloc_socket("nep_txb",
				RTE_ETH_TX_BUFFER_SIZE(NEP_BURST_MAX), 0,
				(int)rte_socket_id());
			if (wk->txb[i] == NULL)
				return -1;
			rte_eth_tx_buffer_init(wk->txb[i], app->cfg->burst);
		}
		w++;
	}
	/* Spread (port, queue) pairs round-robin. */
	w = 0;
	for (i = 0; i < app->n_ports; i++)
		for (q = 0; q < app->ports[i].n_rxq; q++) {
			struct nep_worker *wk = &app->workers[w];
			if (wk->n_rxq >= NEP_MAX_RXQ_PER_WORKER)
				return -1;
			wk->rxq[wk->n_rxq].port = (uint16_t)i;
			wk->rxq[wk->n_rxq].queue = (uint16_t)q;
			wk->n_rxq++;
			w = (w + 1) % app->n_workers;
		}
	return 0;
}

int
nep_ports_init(struct nep_app *app)
{
	const struct nep_config *cfg = app->cfg;
	unsigned i, need = 0;

	memset(app->port_index, -1, sizeof(app->port_index));
	memset(app->vlan_port, NEP_VLAN_NONE, sizeof(app->vlan_port));
	app->n_ports = cfg->n_ports;
	app->n_phys = 0;
	while (app->n_phys < cfg->n_ports && cfg->ports[app->n_phys].parent < 0)
		app->n_phys++;
	for (i = 0; i < cfg->n_ports; i++)
		need += RTE_MAX(cfg->ports[i].rx_queues, app->n_workers) *
			cfg->ports[i].rx_desc +
			app->n_workers * cfg->ports[i].tx_desc;
	need += app->n_workers * (cfg->punt_ring_size + NEP_PUNT_HI_RING +
		cfg->n_ports * NEP_BURST_MAX + NEP_BURST_MAX);
	if (app->n_workers > 1)
		need += app->n_workers * NEP_HANDOFF_RING;
	need += 2048; /* neighbour queues, control traffic */
	if (need < cfg->mbufs)
		need = cfg->mbufs;
	/* One mbuf holds a frame of the largest MTU (and a VLAN tag): a
	 * packet within its port's MTU is never a chain of segments. */
	uint32_t buf = RTE_MBUF_DEFAULT_BUF_SIZE;
	for (i = 0; i < cfg->n_ports; i++)
		buf = RTE_MAX(buf, (uint32_t)RTE_PKTMBUF_HEADROOM +
			cfg->ports[i].mtu + RTE_ETHER_HDR_LEN + NEP_VLAN_HLEN +
			RTE_ETHER_CRC_LEN);
	app->pool = rte_pktmbuf_pool_create("nep_mbufs", need, 256, 0,
		(uint16_t)buf, (int)rte_socket_id());
	if (app->pool == NULL) {
		NEP_LOG(ERR, "cannot create a pool of %u mbufs: %s", need,
			rte_strerror(rte_errno));
		return -1;
	}
	for (i = 0; i < app->n_phys; i++)
		if (setup_port(app, i) < 0)
			return -1;
	for (; i < cfg->n_ports; i++)
		setup_subif(app, i);
	if (setup_worker_queues(app) < 0)
		return -1;
	nep_ports_poll_link(app);
	return 0;
}

void
nep_ports_poll_link(struct nep_app *app)
{
	unsigned i;

	for (i = 0; i < app->n_phys; i++) {
		struct rte_eth_link link;
		if (rte_eth_link_get_nowait(app->ports[i].id, &link) == 0)
			app->ports[i].link_up = link.link_status != 0 &&
				!app->ports[i].admin_down;
	}
	/* A sub-interface is up with its parent. */
	for (; i < app->n_ports; i++) {
		struct nep_port *p = &app->ports[i];

		p->link_up = app->ports[p->parent].link_up;
	}
}

void
nep_ports_link_update(struct nep_app *app)
{
	/* Carrier loss takes its uplinks out at once. */
	bool was[NEP_MAX_PORTS];
	struct nep_feature *f;

	for (unsigned i = 0; i < app->n_ports; i++)
		was[i] = app->ports[i].link_up;
	nep_ports_poll_link(app);
	for (unsigned i = 0; i < app->n_ports; i++) {
		if (was[i] == app->ports[i].link_up)
			continue;
		if (app->ports[i].link_up)
			nep_neigh_port_up(app->neigh, app->ports[i].ifid,
				nep_now_ms());
		NEP_FOREACH_FEATURE(f)
			if (f->link_change != NULL)
				f->link_change(app, i, app->ports[i].link_up);
	}
}

void
nep_ports_stop(struct nep_app *app)
{
	unsigned i, w;

	for (i = 0; i < app->n_phys; i++) {
		if (app->port_index[app->ports[i].ifid] < 0)
			continue;
		rte_eth_dev_stop(app->ports[i].id);
		rte_eth_dev_close(app->ports[i].id);
	}
	for (w = 0; w < app->n_workers; w++) {
		struct nep_worker *wk = &app->workers[w];
		struct rte_mbuf *m;
		if (wk->punt != NULL) {
			while (rte_ring_dequeue(wk->punt, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(wk->punt);
		}
		if (wk->punt_hi != NULL) {
			while (rte_ring_dequeue(wk->punt_hi, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(wk->punt_hi);
		}
		if (wk->inject != NULL) {
			while (rte_ring_dequeue(wk->inject, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(wk->inject);
		}
		if (wk->handoff != NULL) {
			while (rte_ring_dequeue(wk->handoff, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(wk->handoff);
		}
		for (i = 0; i < app->n_ports; i++)
			rte_free(wk->txb[i]);
	}
	rte_mempool_free(app->pool);
}

int
nep_port_find(const struct nep_app *app, const char *name)
{
	for (unsigned i = 0; i < app->n_ports; i++)
		if (strcmp(app->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}
