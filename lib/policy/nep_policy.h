/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy classification with rte_acl: the ordered policy list (first match
 * wins) and the excluded destinations compile into one ACL context per
 * address family, so classifying a new flow costs the same with 10 or
 * 1000 rules. Only flow-table misses are classified.
 */
#ifndef NEP_POLICY_H
#define NEP_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_acl.h>

#include "nep_config.h"

#define NEP_MAX_POLICIES 4096
#define NEP_MAX_PREFIXES 64   /* inside / excluded prefix lists */

enum nep_policy_mode {
	NEP_MODE_BALANCED = 0,
	NEP_MODE_STRICT = 1,
	NEP_MODE_PREFERRED = 2,
};

/* One steering policy (`steering.policies[]`, multihoming's section). */
struct nep_policy_conf {
	char name[NEP_NAME_MAX];	/* default "policy<N>" */
	bool has_dst, has_src;
	struct nep_prefix dst;
	struct nep_prefix src;
	int proto;			/* -1 any, else IP protocol number */
	uint16_t sport_lo, sport_hi;	/* 0..65535 = any */
	uint16_t dport_lo, dport_hi;
	int dscp;			/* -1 any, else 0..63 */
	enum nep_policy_mode mode;
	int uplink;			/* index of the uplink; -1 for balanced */
	/* SLA (docs/stamp.md, "SLA policies"): thresholds, 0 = not
	 * checked; new flows take only uplinks / overlay paths meeting
	 * it; sla_slot is its index among the policies with an SLA */
	bool has_sla;
	int sla_slot;			/* -1: none */
	uint32_t sla_max_rtt_ms, sla_max_loss_pct, sla_max_jitter_ms;
	uint32_t sla_violate_after;	/* windows over a threshold */
	uint32_t sla_restore_after;	/* windows under all of them */
	bool sla_move;			/* move_on_violation */
};

#define NEP_MAX_SLA 16			/* policies with an SLA */

/* What is steered and how: the classifier's input. */
struct nep_steering_conf {
	unsigned n_inside;
	struct nep_prefix inside[NEP_MAX_PREFIXES]; /* LAN prefixes to steer */
	unsigned n_excluded;
	struct nep_prefix excluded[NEP_MAX_PREFIXES];
	unsigned n_policies;
	struct nep_policy_conf *policies; /* heap, n_policies entries */
};

/* Classifier result: 0 no policy (balanced), i + 1 policy i, or excluded. */
#define NEP_POLICY_NONE 0u
#define NEP_POLICY_EXCLUDED 0xffffu

/* ACL input, built per new flow; addresses and ports in network order. */
struct nep_acl_in {
	uint8_t proto;
	uint8_t pad0[3];
	uint8_t dscp;
	uint8_t pad1[3];
	uint8_t src[16];	/* IPv4 in [0..3] */
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
};

struct nep_classifier {
	struct rte_acl_ctx *acl6;
	struct rte_acl_ctx *acl4;
	unsigned n_rules6, n_rules4;
};

/* Build from steering config. Returns 0 or -1 with err. */
int nep_classifier_build(struct nep_classifier *c,
	const struct nep_steering_conf *st, unsigned generation, char *err,
	size_t errlen);
void nep_classifier_free(struct nep_classifier *c);

/* Classify n inputs of one family; results[i] as above. */
static inline void
nep_classify(const struct nep_classifier *c, uint8_t family,
	const uint8_t **in, uint32_t *results, unsigned n)
{
	struct rte_acl_ctx *ctx = family == 6 ? c->acl6 : c->acl4;

	if (ctx == NULL) {
		for (unsigned i = 0; i < n; i++)
			results[i] = NEP_POLICY_NONE;
		return;
	}
	rte_acl_classify(ctx, in, results, n, 1);
}

#endif /* NEP_POLICY_H */
