/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registries the features fill at start-up: features, path actions,
 * drop reasons (the core's from lib/pkt first), and the names of stages,
 * punts and the per-packet metadata field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf_dyn.h>

#include "neptune.h"

struct nep_feature *nep_features[NEP_MAX_FEATURES];
unsigned nep_n_features;
struct nep_action nep_actions[NEP_MAX_ACTIONS];
int nep_meta_offset = -1;

const char *const nep_stage_names[NEP_STAGE_MAX] = {
	[NEP_STAGE_INPUT] = "input",
	[NEP_STAGE_INGRESS] = "ingress",
	[NEP_STAGE_LOOKUP] = "lookup",
	[NEP_STAGE_EGRESS] = "egress",
	[NEP_STAGE_OUTPUT] = "output",
	[NEP_STAGE_FAST] = "fast-path",
	[NEP_STAGE_CONTROL] = "control",
};

const char *const nep_punt_names[NEP_PUNT_MAX] = {
	[NEP_PUNT_NONE] = "none",
	[NEP_PUNT_LOCAL] = "local",
	[NEP_PUNT_RESOLVE] = "resolve",
	[NEP_PUNT_ICMP_ERROR] = "icmp_error",
};

void
nep_feature_register(struct nep_feature *f)
{
	if (nep_n_features >= NEP_MAX_FEATURES) {
		fprintf(stderr, "neptune: too many features (%s)\n", f->name);
		abort();
	}
	/* Insert by order; ids follow the final positions. */
	unsigned i = nep_n_features++;
	while (i > 0 && nep_features[i - 1]->order > f->order) {
		nep_features[i] = nep_features[i - 1];
		nep_features[i]->id = i;
		i--;
	}
	nep_features[i] = f;
	f->id = i;
}

int
nep_action_register(const struct nep_action *a)
{
	for (unsigned i = 1; i < NEP_MAX_ACTIONS; i++)
		if (nep_actions[i].fn == NULL) {
			nep_actions[i] = *a;
			return (int)i;
		}
	return -1;
}

/* ---- drop reasons ---- */

struct drop_info {
	const char *name;
	const char *feature;
	enum nep_stage stage;
};

static struct drop_info drops[NEP_DROPS_MAX];
static unsigned n_drops;

/* Where each of lib/pkt's reasons is decided. */
static enum nep_stage
core_drop_stage(unsigned r)
{
	switch (r) {
	case NEP_DROP_ARP_MALFORMED:
	case NEP_DROP_ARP_NOT_FOR_US:
	case NEP_DROP_ND_MALFORMED:
	case NEP_DROP_ICMP_BAD_CHECKSUM:
	case NEP_DROP_LOCAL_UNHANDLED:
	case NEP_DROP_NEIGH_QUEUE_FULL:
	case NEP_DROP_NEIGH_FAILED:
	case NEP_DROP_NO_MBUF:
	case NEP_DROP_ICMP_RATELIMIT:
	case NEP_DROP_NO_LISTENER:
		return NEP_STAGE_CONTROL;
	case NEP_DROP_HOP_LIMIT:
		return NEP_STAGE_LOOKUP;
	case NEP_DROP_HANDOFF_RING_FULL:
		return NEP_STAGE_INGRESS;
	case NEP_DROP_NO_ROUTE:
		return NEP_STAGE_EGRESS;
	case NEP_DROP_MTU_EXCEEDED:
	case NEP_DROP_PUNT_RING_FULL:
	case NEP_DROP_PUNT_POLICED_ND:
	case NEP_DROP_PUNT_POLICED_PROBE:
	case NEP_DROP_PUNT_POLICED_ICMP:
	case NEP_DROP_PUNT_POLICED_RESOLVE:
	case NEP_DROP_PUNT_POLICED_OTHER:
	case NEP_DROP_TX_FULL:
	case NEP_DROP_PORT_DOWN:
	case NEP_DROP_BAD_VERDICT:
	case NEP_DROP_NO_HEADROOM:
		return NEP_STAGE_OUTPUT;
	case NEP_DROP_MBUF_CHAINED:
		return NEP_STAGE_INPUT;
	default:
		return NEP_STAGE_INPUT;
	}
}

static void
drops_init(void)
{
	if (n_drops != 0)
		return;
	for (unsigned r = 0; r < NEP_DROP_MAX; r++) {
		drops[r].name = nep_drop_names[r];
		drops[r].feature = "core";
		drops[r].stage = core_drop_stage(r);
	}
	n_drops = NEP_DROP_MAX;
}

int
nep_drop_register(const char *name, const char *feature, enum nep_stage stage)
{
	drops_init();
	for (unsigned i = 0; i < n_drops; i++)
		if (strcmp(drops[i].name, name) == 0)
			return (int)i;
	if (n_drops >= NEP_DROPS_MAX)
		return -1;
	drops[n_drops].name = name;
	drops[n_drops].feature = feature;
	drops[n_drops].stage = stage;
	return (int)n_drops++;
}

unsigned
nep_drop_count(void)
{
	drops_init();
	return n_drops;
}

const char *
nep_drop_name(unsigned id)
{
	drops_init();
	return id < n_drops ? drops[id].name : "?";
}

const char *
nep_drop_feature(unsigned id)
{
	drops_init();
	return id < n_drops ? drops[id].feature : "?";
}

enum nep_stage
nep_drop_stage(unsigned id)
{
	drops_init();
	return id < n_drops ? drops[id].stage : NEP_STAGE_INPUT;
}

/* ---- per-packet metadata ---- */

int
nep_meta_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "neptune_meta",
		.size = sizeof(struct nep_meta),
		.align = 1,	/* packed */
	};

	nep_meta_offset = rte_mbuf_dynfield_register(&desc);
	if (nep_meta_offset < 0)
		rte_mbuf_dyn_dump(stderr);
	return nep_meta_offset < 0 ? -1 : 0;
}
