/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration snapshots and reload. The control lcore builds a complete
 * new snapshot (FIBs and every feature's part) off to the side, swaps the
 * pointer workers read once per burst, waits for every worker to pass a
 * quiescent state (rte_rcu_qsbr), and only then frees the old one:
 * forwarding never stops on reload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neptune.h"

nep_fast_fn nep_fast_for_port(const struct nep_app *app,
	const struct nep_snapshot *s, unsigned port);

struct nep_snapshot *
nep_snapshot_build(struct nep_app *app, struct nep_config *cfg, char *err,
	size_t errlen)
{
	struct nep_snapshot *s = calloc(1, sizeof(*s));
	uint16_t ids[NEP_MAX_PORTS];
	struct nep_feature *f;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_ports && i < NEP_MAX_PORTS; i++)
		ids[i] = app->ports[i].ifid;
	s->generation = ++app->generation;
	/* One FIB per table; the features' routes are added to them by
	 * their snapshot_build, below. */
	s->ribs[0] = &s->rib;
	for (unsigned t = 1; t < NEP_MAX_VRFS; t++)
		s->ribs[t] = &s->vrf_rib[t - 1];
	for (unsigned t = 0; t < cfg->n_vrfs; t++) {
		if (nep_rib_build_table(s->ribs[t], cfg, ids, t, s->generation,
			    err, errlen) < 0) {
			while (t-- > 0)
				nep_rib_free(s->ribs[t]);
			free(s);
			return NULL;
		}
		s->n_vrfs = t + 1;
	}
	s->cfg = cfg;
	NEP_FOREACH_FEATURE(f)
		if (f->snapshot_build != NULL &&
			f->snapshot_build(app, s, err, errlen) < 0) {
			s->cfg = NULL; /* the caller still owns cfg on failure */
			nep_snapshot_free(s);
			return NULL;
		}
	for (unsigned i = 0; i < app->n_ports; i++)
		s->fast[i] = nep_fast_for_port(app, s, i);
	return s;
}

void
nep_snapshot_publish(struct nep_app *app, struct nep_snapshot *s)
{
	struct nep_snapshot *old = app->snap;

	__atomic_store_n(&app->snap, s, __ATOMIC_RELEASE);
	app->cfg = s->cfg;
	/* Wait until no worker can still hold the old pointer. */
	rte_rcu_qsbr_synchronize(app->qsv, RTE_QSBR_THRID_INVALID);
	nep_snapshot_free(old);
}

void
nep_snapshot_free(struct nep_snapshot *s)
{
	struct nep_feature *f;

	if (s == NULL)
		return;
	NEP_FOREACH_FEATURE(f)
		if (f->snapshot_free != NULL)
			f->snapshot_free(s);
	for (unsigned t = 0; t < s->n_vrfs; t++)
		nep_rib_free(s->ribs[t]);
	if (s->cfg != NULL)
		nep_config_free(s->cfg);
	free(s);
}

/*
 * What a reload cannot apply without a restart: the EAL, the ports (their
 * devices, roles, MACs, MTUs, queues, sub-interfaces), the VRFs and which
 * ports they hold, and the data-plane sizing. Returns -1 with the first
 * such key (file:line:column where it has one).
 */
static int
reload_refused(const struct nep_config *old, const struct nep_config *cfg,
	char *err, size_t errlen)
{
	const char *key = NULL;
	char kbuf[64];

	if (strcmp(old->eal_lcores, cfg->eal_lcores) != 0)
		key = "eal.lcores";
	else if (old->eal_memory_mb != cfg->eal_memory_mb)
		key = "eal.memory_mb";
	else if (old->eal_no_huge != cfg->eal_no_huge)
		key = "eal.no_huge";
	else if (old->eal_in_memory != cfg->eal_in_memory)
		key = "eal.in_memory";
	else if (strcmp(old->eal_file_prefix, cfg->eal_file_prefix) != 0)
		key = "eal.file_prefix";
	else if (old->n_eal_args != cfg->n_eal_args ||
		memcmp(old->eal_args, cfg->eal_args,
			sizeof(old->eal_args[0]) * old->n_eal_args) != 0)
		key = "eal.args";
	else if (strcmp(old->mgmt_socket, cfg->mgmt_socket) != 0)
		key = "management.socket";
	else if (old->telemetry != cfg->telemetry)
		key = "management.telemetry";
	else if (strcmp(old->mgmt_read_group, cfg->mgmt_read_group) != 0)
		key = "management.read_group";
	else if (old->burst != cfg->burst)
		key = "dataplane.burst";
	else if (old->drain_us != cfg->drain_us)
		key = "dataplane.drain_us";
	else if (old->mbufs != cfg->mbufs)
		key = "dataplane.mbufs";
	else if (old->punt_ring_size != cfg->punt_ring_size)
		key = "dataplane.punt_ring_size";
	else if (old->idle_adaptive != cfg->idle_adaptive)
		key = "dataplane.idle";
	else if (old->idle_max_us != cfg->idle_max_us)
		key = "dataplane.idle_max_us";
	else if (old->neigh_table_size != cfg->neigh_table_size)
		key = "neighbors.table_size";
	else if (old->neigh_queue_len != cfg->neigh_queue_len)
		key = "neighbors.queue_len";
	else if (old->n_ports != cfg->n_ports)
		key = "ports";
	else if (old->n_vrfs != cfg->n_vrfs)
		key = "vrfs";
	for (unsigned t = 1; t < cfg->n_vrfs && key == NULL; t++) {
		const char *k = NULL;

		if (strcmp(old->vrfs[t].name, cfg->vrfs[t].name) != 0)
			k = "name";
		else if (old->vrfs[t].compact != cfg->vrfs[t].compact)
			k = "fib";
		else if (old->vrfs[t].n_ports != cfg->vrfs[t].n_ports)
			k = "interfaces";
		if (k != NULL) {
			snprintf(kbuf, sizeof(kbuf), "vrfs[%u].%s", t - 1, k);
			key = kbuf;
		}
	}
	if (key == NULL) {
		for (unsigned i = 0; i < cfg->n_ports && key == NULL; i++) {
			const struct nep_port_conf *a = &old->ports[i];
			const struct nep_port_conf *b = &cfg->ports[i];
			const char *k = NULL;

			if (strcmp(a->name, b->name) != 0)
				k = "name";
			else if (a->parent != b->parent)
				k = "parent";
			else if (a->vlan != b->vlan)
				k = "vlan";
			else if (strcmp(a->devargs, b->devargs) != 0)
				k = "devargs";
			else if (a->role != b->role)
				k = "role";
			else if (a->mac_set != b->mac_set ||
				memcmp(a->mac, b->mac, 6) != 0)
				k = "mac";
			else if (a->mtu != b->mtu)
				k = "mtu";
			else if (a->rx_queues != b->rx_queues)
				k = "rx_queues";
			else if (a->rx_desc != b->rx_desc)
				k = "rx_desc";
			else if (a->tx_desc != b->tx_desc)
				k = "tx_desc";
			else if (a->n_static_addrs != b->n_static_addrs ||
				memcmp(a->addrs, b->addrs,
					sizeof(a->addrs[0]) *
						a->n_static_addrs) != 0)
				k = "addresses";	/* learnt ones may move */
			if (k != NULL) {
				snprintf(kbuf, sizeof(kbuf), "ports[%u].%s",
					b->src_index, k);
				key = kbuf;
			} else if (a->vrf != b->vrf) {
				/* Named by the VRF that now lists it, or the
				 * one that no longer does. */
				unsigned t = b->vrf != 0 ? b->vrf : a->vrf;

				snprintf(kbuf, sizeof(kbuf),
					"vrfs[%u].interfaces", t - 1);
				key = kbuf;
			}
		}
	}
	if (key == NULL)
		return 0;
	char pos[NEP_PATH_MAX + 32];
	nep_config_key_pos(cfg, key, pos, sizeof(pos));
	snprintf(err, errlen, "%s: %s: changed, needs a restart (the running "
		"configuration is kept)", pos, key);
	return -1;
}

struct nep_config *
nep_reload_parse(const struct nep_app *app, char *err, size_t errlen)
{
	struct nep_config_error cerr;
	struct nep_config *cfg;

	cfg = nep_config_load(app->config_path,
		app->drivers_dir[0] ? app->drivers_dir : NULL, &cerr);
	if (cfg == NULL)
		snprintf(err, errlen, "%s", cerr.msg);
	return cfg;
}

int
nep_reload_apply(struct nep_app *app, struct nep_config *cfg, char *err,
	size_t errlen)
{
	struct nep_snapshot *s;
	struct nep_feature *f;

	if (reload_refused(app->cfg, cfg, err, errlen) < 0)
		goto refuse;
	NEP_FOREACH_FEATURE(f)
		if (f->reload_check != NULL &&
			f->reload_check(app, cfg, err, errlen) < 0)
			goto refuse;
	s = nep_snapshot_build(app, cfg, err, errlen);
	if (s == NULL)
		goto refuse;
	NEP_FOREACH_FEATURE(f)
		if (f->reload_prepare != NULL)
			f->reload_prepare(app, s);
	nep_snapshot_publish(app, s);
	NEP_FOREACH_FEATURE(f)
		if (f->reload_done != NULL)
			f->reload_done(app);
	if (app->cfg->reparsed)
		NEP_LOG(NOTICE, "configuration applied again with what was "
			"learnt (the text loaded from %s)", app->config_path);
	else
		NEP_LOG(NOTICE, "configuration reloaded from %s",
			app->config_path);
	return 0;
refuse:
	nep_config_free(cfg);
	return -1;
}

int
nep_reload(struct nep_app *app, char *err, size_t errlen)
{
	struct nep_config *cfg = nep_reload_parse(app, err, errlen);

	return cfg == NULL ? -1 : nep_reload_apply(app, cfg, err, errlen);
}
