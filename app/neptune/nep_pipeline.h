/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's packet pipeline: stages, verdicts and the per-packet
 * metadata they share (docs/architecture.md, "Packet path").
 *
 *   input -> ingress hooks -> lookup -> egress hooks -> output
 *
 * Every stage (and every feature hook inside a stage) returns one verdict:
 * NEXT (go on), FORWARD (egress decided, go to output), PUNT(reason) (hand
 * to the control lcore), DROP(reason) (counted once, freed), CONSUMED
 * (the stage took the packet) or HANDOFF(worker) (another worker owns the
 * state this packet needs: it runs the stages again there, once). The burst fast path is a fused variant of
 * the same stages, built from the same inline functions.
 */
#ifndef NEP_PIPELINE_H
#define NEP_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "nep_pkt.h"

enum nep_stage {
	NEP_STAGE_INPUT,	/* parse, L2 checks, to-self */
	NEP_STAGE_INGRESS,	/* DNPT; later SIDs, tunnel decapsulation */
	NEP_STAGE_LOOKUP,	/* FIB; dispatch on the kind of the result */
	NEP_STAGE_EGRESS,	/* path choice (steering) */
	NEP_STAGE_OUTPUT,	/* MTU, path action, neighbour, L2, tx */
	NEP_STAGE_FAST,		/* the fused burst variant of all of them */
	NEP_STAGE_CONTROL,	/* the control lcore (punted packets) */
	NEP_STAGE_MAX
};

extern const char *const nep_stage_names[NEP_STAGE_MAX];

typedef uint32_t nep_verdict_t;

enum nep_verdict_kind {
	NEP_V_NEXT = 0,
	NEP_V_FORWARD = 1,
	NEP_V_PUNT = 2,
	NEP_V_DROP = 3,
	NEP_V_CONSUMED = 4,
	NEP_V_HANDOFF = 5,
};

#define NEP_VERDICT(kind, reason) ((nep_verdict_t)(kind) | (uint32_t)(reason) << 8)
#define NEP_VERDICT_PUNT(why) NEP_VERDICT(NEP_V_PUNT, why)
#define NEP_VERDICT_DROP(r) NEP_VERDICT(NEP_V_DROP, r)
#define NEP_VERDICT_HANDOFF(worker) NEP_VERDICT(NEP_V_HANDOFF, worker)
#define NEP_VERDICT_KIND(v) ((enum nep_verdict_kind)((v) & 0xff))
#define NEP_VERDICT_REASON(v) ((v) >> 8)

/* Why a packet goes to the control lcore (nep_meta.punt). */
enum nep_punt {
	NEP_PUNT_NONE = 0,
	NEP_PUNT_LOCAL,		/* to us: the local-delivery table decides */
	NEP_PUNT_RESOLVE,	/* next hop has no MAC yet */
	NEP_PUNT_ICMP_ERROR,	/* dropped (counted); answer with meta.icmp */
	NEP_PUNT_MAX
};

extern const char *const nep_punt_names[NEP_PUNT_MAX];

/* The ICMP error a punted packet is answered with (both families). */
enum nep_icmp_err {
	NEP_ICMP_ERR_NONE,
	NEP_ICMP_ERR_TIME_EXCEEDED,	/* hop limit / TTL */
	NEP_ICMP_ERR_UNREACH,		/* no route (v6 1/0, v4 3/0) */
	NEP_ICMP_ERR_TOO_BIG,		/* PTB / Frag Needed, param = MTU */
	NEP_ICMP_ERR_PARAM_PROB,	/* param = pointer */
	NEP_ICMP_ERR_PORT_UNREACH,	/* v6 1/4, v4 3/3 */
	NEP_ICMP_ERR_SR_UPPER,		/* v6 4/4 (RFC 8986 4.1.1), param =
					 * pointer to the upper-layer header */
	NEP_ICMP_ERR_MAX
};

#define NEP_META_F_FWD 0x01	/* forwarded: hop limit still to decrement */
#define NEP_META_F_TRACE 0x02	/* traced (trace add) */
#define NEP_META_F_ORIG 0x04	/* originated by the control lcore */
#define NEP_META_F_DECAP 0x10	/* decapsulated: its L2 header is the
				 * outer packet's */
#define NEP_META_F_HANDOFF 0x20	/* came from another worker's handoff
				 * ring: never handed off again */
#define NEP_META_F_TXSTAMP 0x40	/* originated: worker 0 writes the wall
				 * clock into it as it sends it (STAMP t1):
				 * icmp_param = timestamp offset << 16 |
				 * UDP checksum offset (from the frame
				 * start), reason = 1 for PTP, 0 for NTP */
#define NEP_META_F_AGED 0x08	/* hop limit already done (SRv6 End,
				 * encapsulation): output leaves it */

#define NEP_META_NO_PORT 0xff
#define NEP_DROPS_MAX_PKT 192	/* = NEP_DROPS_MAX (neptune.h) */

/*
 * Typed per-packet metadata in a registered mbuf dynamic field (22 bytes,
 * packed: the largest free dynamic area is 24 bytes once net_pcap has its
 * timestamp). Only the
 * general path and the punt/inject rings use it; the fast path never
 * touches it unless it hands a packet over.
 */
struct nep_meta {
	uint32_t arrival_tsc;	/* low TSC bits at rx (punted packets) */
	int32_t neigh_pos;	/* output neighbour position, -1 if none */
	uint32_t icmp_param;	/* ICMP error: pointer, or the path MTU */
	uint8_t in_port;	/* index into app->ports */
	uint8_t out_port;	/* egress port index, NEP_META_NO_PORT */
	uint8_t path;		/* 0: FIB route, else the feature's path + 1 */
	uint8_t action;		/* registered path action, 0: plain */
	uint8_t table;		/* FIB table (VRF): the receiving
				 * interface's, 0: default */
	uint8_t punt;		/* enum nep_punt */
	uint8_t flags;		/* NEP_META_F_* */
	uint8_t family;		/* 4 or 6, 0 for ARP */
	uint8_t reason;		/* drop reason an ICMP error punt was counted as */
	uint8_t icmp_err;	/* enum nep_icmp_err */
} __attribute__((packed));

_Static_assert(NEP_DROPS_MAX_PKT <= 256, "drop reasons must fit meta.reason");
_Static_assert(sizeof(struct nep_meta) <= 24, "meta must fit the free dynfield area");

extern int nep_meta_offset;

/* Register the field (before any packet is received). 0 or -1. */
int nep_meta_register(void);

static inline struct nep_meta *
nep_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, nep_meta_offset, struct nep_meta *);
}

/*
 * 802.1Q tags on the wire only: the input stage takes the tag off a
 * received frame (the rest of the pipeline and the control lcore see
 * untagged frames, L3 at offset 14, and the interface in meta), the output
 * stage and the control lcore's tx put it back for a sub-interface.
 */

/* Remove the tag of a tagged frame: 4 bytes at offset 12. */
static inline void
nep_vlan_pop(struct rte_mbuf *m)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	memmove(f + 4, f, 12);
	rte_pktmbuf_adj(m, 4);
}

/* Insert a tag for vlan after the MACs. -1 without 4 bytes of headroom. */
static inline int
nep_vlan_push(struct rte_mbuf *m, uint16_t vlan)
{
	uint8_t *f = (uint8_t *)rte_pktmbuf_prepend(m, 4);

	if (unlikely(f == NULL))
		return -1;
	memmove(f, f + 4, 12);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = (uint8_t)(vlan >> 8);
	f[15] = (uint8_t)vlan;
	return 0;
}

/* What the general path knows about the packet at hand. */
struct nep_worker;
struct nep_snapshot;

struct nep_pctx {
	struct nep_worker *w;
	const struct nep_snapshot *s;
	struct nep_meta *meta;
	uint8_t *frame;
	struct nep_pkt_info pi;
	uint64_t now;		/* TSC at the start of the burst */
	uint64_t nh;		/* FIB result (lookup stage) */
	const uint8_t *dst;	/* destination, 16 bytes (IPv4 zero padded) */
	uint8_t hop_limit;	/* as received */
	uint8_t dst4[16];
	const void *path_ctx;	/* the egress feature's, for its action */
	uint32_t path_arg;	/* ditto (SRv6: the flow label it hashed) */
	uint16_t overhead;	/* bytes the path adds beyond its action's
				 * registered overhead (per-policy sizes) */
	/* An ingress translation decided but not yet written: the output
	 * stage runs it after the MTU check, before the path's action. */
	nep_verdict_t (*rewrite)(struct nep_pctx *c, struct rte_mbuf *m);
	const void *rewrite_ctx;
	uint32_t rewrite_arg;
};

/* A stage hook of a feature. */
typedef nep_verdict_t (*nep_hook_fn)(struct nep_pctx *c, struct rte_mbuf *m);

#endif /* NEP_PIPELINE_H */
