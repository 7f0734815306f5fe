/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The multihoming part of a configuration snapshot: uplink slots, inside
 * prefixes, policy actions and the rte_acl classifier.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>

#include "mh.h"

/*
 * Uplink slots are stable across reloads: an uplink keeps its slot (and
 * its flows and health) as long as its name stays; new names take free
 * slots, so flows never point at a different uplink than they chose.
 */
static int
assign_slots(const struct mh_state *mh, const struct nep_config *cfg,
	uint8_t *slot_of_cfg, char *err, size_t errlen)
{
	const struct mh_config *mc = mh_conf(cfg);
	bool taken[NEP_MAX_UPLINKS] = { false };
	unsigned i, j;

	for (i = 0; i < mc->n_uplinks; i++) {
		slot_of_cfg[i] = 0xff;
		for (j = 0; j < NEP_MAX_UPLINKS; j++)
			if (mh->uplinks[j].in_use &&
				strcmp(mh->uplinks[j].name,
					mc->uplinks[i].name) == 0) {
				slot_of_cfg[i] = (uint8_t)j;
				taken[j] = true;
			}
	}
	for (i = 0; i < mc->n_uplinks; i++) {
		if (slot_of_cfg[i] != 0xff)
			continue;
		for (j = 0; j < NEP_MAX_UPLINKS; j++)
			if (!taken[j] && !mh->uplinks[j].in_use)
				break;
		if (j == NEP_MAX_UPLINKS) {
			snprintf(err, errlen, "no free uplink slot for '%s' "
				"(removed uplinks free their slot on restart)",
				mc->uplinks[i].name);
			return -1;
		}
		slot_of_cfg[i] = (uint8_t)j;
		taken[j] = true;
	}
	return 0;
}

static int
build_steering(struct mh_state *mh, struct mh_snap *ms,
	const struct nep_config *cfg, char *err, size_t errlen)
{
	const struct nep_steering_conf *st = &mh_conf(cfg)->steering;
	unsigned i;

	ms->first_inside6 = -1;
	for (i = 0; i < st->n_inside; i++) {
		const struct nep_prefix *p = &st->inside[i];
		if (p->addr.family == AF_INET) {
			uint32_t a;
			memcpy(&a, p->addr.a, 4);
			ms->inside4_mask[ms->n_inside4] = p->len ?
				rte_cpu_to_be_32(~0u << (32 - p->len)) : 0;
			ms->inside4_net[ms->n_inside4++] = a;
			continue;
		}
		if (ms->first_inside6 < 0)
			ms->first_inside6 = (int)i;
		/* Only the inside half is used (membership test). */
		if (nep_nptv6_init(&ms->inside_npt[ms->n_inside++], p, p) != 0) {
			snprintf(err, errlen, "bad inside prefix");
			return -1;
		}
	}
	ms->policy = calloc(st->n_policies + 1, sizeof(*ms->policy));
	if (ms->policy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ms->n_policies = st->n_policies;
	for (i = 0; i < st->n_policies; i++) {
		ms->policy[i].mode = (uint8_t)st->policies[i].mode;
		ms->policy[i].uplink = st->policies[i].uplink >= 0 ?
			ms->slot_of_cfg[st->policies[i].uplink] : 0;
		ms->policy[i].sla = st->policies[i].has_sla ?
			(uint8_t)st->policies[i].sla_slot : NEP_SLA_NONE;
		ms->policy[i].sla_move = st->policies[i].sla_move;
	}
	return nep_classifier_build(&ms->cls, st,
		(unsigned)++mh->acl_generation, err, errlen);
}

int
mh_snapshot_build(struct nep_app *app, struct nep_snapshot *s, char *err,
	size_t errlen)
{
	const unsigned id = nep_mh_feature.id;
	struct mh_state *mh = app->feat[id];
	struct mh_snap *ms;

	if (mh == NULL) {
		/* First build, before the feature's init. */
		mh = rte_zmalloc("nep_mh", sizeof(*mh), RTE_CACHE_LINE_SIZE);
		if (mh == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		app->feat[id] = mh;
	}
	ms = calloc(1, sizeof(*ms));
	if (ms == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->feat[id] = ms;
	if (assign_slots(mh, s->cfg, ms->slot_of_cfg, err, errlen) < 0)
		return -1;
	if (mh_conf(s->cfg)->has_steering &&
		build_steering(mh, ms, s->cfg, err, errlen) < 0)
		return -1;
	return 0;
}

void
mh_snapshot_free(struct nep_snapshot *s)
{
	struct mh_snap *ms = s->feat[nep_mh_feature.id];

	if (ms == NULL)
		return;
	nep_classifier_free(&ms->cls);
	free(ms->policy);
	free(ms);
	s->feat[nep_mh_feature.id] = NULL;
}
