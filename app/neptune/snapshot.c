/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration snapshots. The control lcore builds a complete new snapshot
 * (FIBs included) off to the side, swaps the pointer workers read once per
 * burst, waits for every worker to pass a quiescent state (rte_rcu_qsbr),
 * and only then frees the old one: forwarding never stops on reload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_byteorder.h>

#include "neptune.h"

/*
 * Uplink slots are stable across reloads: an uplink keeps its slot (and
 * its flows and health) as long as its name stays; new names take free
 * slots, so flows never point at a different uplink than they chose.
 */
static int
assign_slots(const struct nep_app *app, const struct nep_config *cfg,
	uint8_t *slot_of_cfg, char *err, size_t errlen)
{
	bool taken[NEP_MAX_UPLINKS] = { false };
	unsigned i, j;

	for (i = 0; i < cfg->n_uplinks; i++) {
		slot_of_cfg[i] = 0xff;
		for (j = 0; j < NEP_MAX_UPLINKS; j++)
			if (app->uplinks[j].in_use &&
				strcmp(app->uplinks[j].name,
					cfg->uplinks[i].name) == 0) {
				slot_of_cfg[i] = (uint8_t)j;
				taken[j] = true;
			}
	}
	for (i = 0; i < cfg->n_uplinks; i++) {
		if (slot_of_cfg[i] != 0xff)
			continue;
		for (j = 0; j < NEP_MAX_UPLINKS; j++)
			if (!taken[j] && !app->uplinks[j].in_use)
				break;
		if (j == NEP_MAX_UPLINKS) {
			snprintf(err, errlen, "no free uplink slot for '%s' "
				"(removed uplinks free their slot on restart)",
				cfg->uplinks[i].name);
			return -1;
		}
		slot_of_cfg[i] = (uint8_t)j;
		taken[j] = true;
	}
	return 0;
}

static int
build_steering(struct nep_app *app, struct nep_snapshot *s, char *err,
	size_t errlen)
{
	const struct nep_steering_conf *st = &s->cfg->steering;
	static unsigned acl_generation;
	unsigned i;

	if (assign_slots(app, s->cfg, s->slot_of_cfg, err, errlen) < 0)
		return -1;
	s->first_inside6 = -1;
	for (i = 0; i < st->n_inside; i++) {
		const struct nep_prefix *p = &st->inside[i];
		if (p->addr.family == AF_INET) {
			uint32_t a;
			memcpy(&a, p->addr.a, 4);
			s->inside4_mask[s->n_inside4] = p->len ?
				rte_cpu_to_be_32(~0u << (32 - p->len)) : 0;
			s->inside4_net[s->n_inside4++] = a;
			continue;
		}
		if (s->first_inside6 < 0)
			s->first_inside6 = (int)i;
		/* Only the inside half is used (membership test). */
		if (nep_nptv6_init(&s->inside_npt[s->n_inside++], p, p) != 0) {
			snprintf(err, errlen, "bad inside prefix");
			return -1;
		}
	}
	s->policy = calloc(st->n_policies + 1, sizeof(*s->policy));
	if (s->policy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < st->n_policies; i++) {
		s->policy[i].mode = (uint8_t)st->policies[i].mode;
		s->policy[i].uplink = st->policies[i].uplink >= 0 ?
			s->slot_of_cfg[st->policies[i].uplink] : 0;
	}
	if (nep_classifier_build(&s->cls, st, ++acl_generation, err,
		    errlen) < 0)
		return -1;
	s->steering = true;
	return 0;
}

struct nep_snapshot *
nep_snapshot_build(struct nep_app *app, struct nep_config *cfg, char *err,
	size_t errlen)
{
	static uint64_t generation;
	struct nep_snapshot *s = calloc(1, sizeof(*s));
	uint16_t ids[NEP_MAX_PORTS];

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_ports && i < NEP_MAX_PORTS; i++)
		ids[i] = app->ports[i].id;
	if (nep_rib_build(&s->rib, cfg, ids, err, errlen) < 0) {
		free(s);
		return NULL;
	}
	s->cfg = cfg;
	s->generation = ++generation;
	if (cfg->has_steering && build_steering(app, s, err, errlen) < 0) {
		s->cfg = NULL; /* the caller still owns cfg on failure */
		nep_snapshot_free(s);
		return NULL;
	}
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
	if (s == NULL)
		return;
	nep_rib_free(&s->rib);
	nep_classifier_free(&s->cls);
	free(s->policy);
	if (s->cfg != NULL)
		nep_config_free(s->cfg);
	free(s);
}
