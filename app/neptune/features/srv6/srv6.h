/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRv6 overlays between sites (docs/srv6.md): local SIDs (End, End.X,
 * End.DT4/DT6/DT46), overlays whose remote subnets are routes of a VRF to
 * an SR policy, multihomed overlay paths (local uplink, remote address),
 * health-checked and chosen per flow.
 *
 *   config.c    the `srv6:`, `sites:` and `overlays:` sections
 *   snapshot.c  SID table, policies, paths, overlay routes per snapshot
 *   stages.c    ingress (SIDs), egress (overlay routes), H.Encaps action
 *   paths.c     path health probes on the control lcore
 *   commands.c  show sr localsids / sr policies / overlays
 */
#ifndef NEP_SRV6_FEATURE_H
#define NEP_SRV6_FEATURE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash_crc.h>

#include "neptune.h"
#include "nep_config.h"
#include "nep_config_section.h"
#include "nep_health.h"
#include "nep_policy.h"
#include "nep_srv6.h"

#define SRV6_MAX_LOCATORS 8
#define SRV6_MAX_LOCALSIDS 64
#define SRV6_MAX_SITES 16
#define SRV6_MAX_ENDPOINTS 4	/* addresses or locators of a remote site */
#define SRV6_MAX_VIA 4		/* waypoint SIDs of an endpoint */
#define SRV6_MAX_OVERLAYS 16
#define SRV6_MAX_MEMBERS 16	/* sites of an overlay */
#define SRV6_MAX_PREFIXES 16	/* subnets of a member */
#define SRV6_MAX_UPLINKS 8
#define SRV6_MAX_PATHS 64	/* over all remote sites */
#define SRV6_SITE_PATHS 8	/* per remote site */
#define SRV6_BUCKETS 256	/* flow hash buckets of a site's path choice */
#define SRV6_MAX_SIDS_TABLE 512	/* local SID entries (explicit + allocated) */
#define SRV6_MAX_ROUTES 512	/* overlay routes */
#define SRV6_SID_SLOTS 2048	/* SID lookup table (4 x the entries) */
#define SRV6_PROBE_ID_BASE 0x5336	/* echo identifiers: base + path */

enum srv6_behavior {
	SRV6_END,
	SRV6_END_X,
	SRV6_END_DT4,
	SRV6_END_DT6,
	SRV6_END_DT46,
	SRV6_BEHAVIOR_MAX
};

extern const char *const srv6_behavior_names[SRV6_BEHAVIOR_MAX];

/* ---- configuration ---- */

struct srv6_locator_conf {
	struct nep_prefix prefix;
	char uplink[NEP_NAME_MAX];
};

struct srv6_localsid_conf {
	uint8_t sid[16];
	enum srv6_behavior behavior;
	char vrf[NEP_NAME_MAX];		/* End.DT*: "default" if not given */
	struct nep_addr next_hop;	/* End.X */
	int port;			/* End.X: index into cfg->ports[] */
};

struct srv6_endpoint_conf {
	bool is_locator;
	struct nep_prefix locator;	/* is_locator */
	uint8_t addr[16];		/* the address (A4) */
	uint8_t probe[16];		/* health-probe target */
	uint32_t weight;
	/* Waypoints before the endpoint's own SIDs (traffic engineering):
	 * the policy is <via..., address, overlay SID> or <via..., SID>. */
	unsigned n_via;
	uint8_t via[SRV6_MAX_VIA][16];
};

struct srv6_site_conf {
	char name[NEP_NAME_MAX];
	unsigned n_ep;
	struct srv6_endpoint_conf ep[SRV6_MAX_ENDPOINTS];
};

struct srv6_member_conf {
	char site[NEP_NAME_MAX];
	int site_idx;			/* in sites[], -1: the local site */
	unsigned n_prefixes;
	struct nep_prefix prefixes[SRV6_MAX_PREFIXES];
	bool has_sid6, has_sid4;
	uint8_t sid6[16], sid4[16];
};

struct srv6_overlay_conf {
	char name[NEP_NAME_MAX];
	char vrf[NEP_NAME_MAX];
	uint32_t function;
	unsigned n_members;
	struct srv6_member_conf members[SRV6_MAX_MEMBERS];
};

struct srv6_config {
	bool enabled;			/* the file has an srv6: section */
	char site[NEP_NAME_MAX];
	uint8_t hop_limit;
	bool reduced;
	bool mss_clamp;
	bool has_source;
	uint8_t source[16];
	unsigned n_uplinks;		/* 0: every uplink */
	char uplinks[SRV6_MAX_UPLINKS][NEP_NAME_MAX];
	struct nep_health_conf health;	/* of every path */
	unsigned n_locators;
	struct srv6_locator_conf locators[SRV6_MAX_LOCATORS];
	unsigned n_localsids;
	struct srv6_localsid_conf localsids[SRV6_MAX_LOCALSIDS];
	unsigned n_sites;
	struct srv6_site_conf sites[SRV6_MAX_SITES];
	unsigned n_overlays;
	struct srv6_overlay_conf overlays[SRV6_MAX_OVERLAYS];
};

extern int srv6_config_section_id;

/* A locator's address with v (a function) in its last 32 bits. */
static inline void
srv6_locator_plus(const struct nep_prefix *p, uint32_t v, uint8_t out[16])
{
	memcpy(out, p->addr.a, 16);
	out[12] |= (uint8_t)(v >> 24);
	out[13] |= (uint8_t)(v >> 16);
	out[14] |= (uint8_t)(v >> 8);
	out[15] |= (uint8_t)v;
}

static inline const struct srv6_config *
srv6_conf(const struct nep_config *cfg)
{
	return (const struct srv6_config *)nep_config_section(cfg,
		srv6_config_section_id);
}

/* ---- snapshot ---- */

/* One local SID. */
struct srv6_sid {
	uint8_t sid[16];
	uint8_t used;
	uint8_t behavior;		/* enum srv6_behavior */
	uint8_t table;			/* End.DT*: the VRF */
	uint8_t wan_addr;		/* one of our WAN addresses (End only
					 * when an SRH has segments left) */
	uint8_t out_port;		/* End.X */
	int32_t neigh_pos;		/* End.X */
	int16_t overlay;		/* allocated for an overlay, else -1 */
	char vrf[NEP_NAME_MAX];
};

/* One path: a local uplink to one endpoint of a remote site. */
struct srv6_path {
	uint8_t site;			/* index into sites */
	uint8_t ep;			/* endpoint of the site */
	uint8_t port;			/* egress port index */
	uint8_t backup;			/* over a backup uplink */
	int8_t uplink_idx;		/* in multihoming's uplinks[] */
	uint16_t port_id;
	int32_t neigh_pos;		/* the uplink's next hop, pinned */
	uint16_t mtu;			/* of the port */
	uint32_t weight;
	uint8_t src[16];		/* outer source */
	uint8_t next_hop[16];
	uint8_t probe[16];
	char uplink[NEP_NAME_MAX];
	/* Transparency (STAMP's prober, srv6_export.h): the encapsulation
	 * workers use (enum nep_srv6_encap_mode) and the class; written by
	 * the control lcore (atomic), carried over reloads. */
	uint8_t mode;
	uint8_t tclass;
	/* control lcore only */
	struct nep_health health;
	uint32_t seq;
};

/* An SR policy: (overlay, remote site, family) and one encapsulation
 * template per path of the site. */
struct srv6_policy {
	uint8_t overlay, site, family;
	uint8_t n_paths;
	uint8_t path[SRV6_SITE_PATHS];	/* global path index */
	struct nep_srv6_policy encap[SRV6_SITE_PATHS];
	/* IPv6-in-IPv6 straight to the decapsulation SID (UCSS case 3):
	 * only for an endpoint whose SID is routable (a locator) */
	uint8_t alt_ok[SRV6_SITE_PATHS];
	struct nep_srv6_policy alt[SRV6_SITE_PATHS];
};

/* The template a path's packets are encapsulated with now. */
static inline const struct nep_srv6_policy *
srv6_path_encap(const struct srv6_policy *pol, const struct srv6_path *p,
	unsigned k)
{
	if (unlikely(__atomic_load_n(&p->mode, __ATOMIC_RELAXED) != 0) &&
		pol->alt_ok[k])
		return &pol->alt[k];
	return &pol->encap[k];
}

/* A remote site's path choice: for every flow bucket, the site's paths
 * by decreasing weighted rendezvous score (primaries first). */
struct srv6_site_rt {
	uint8_t n_paths;
	uint8_t path[SRV6_SITE_PATHS];
	uint8_t rank[SRV6_BUCKETS][SRV6_SITE_PATHS];	/* local index */
};

struct srv6_route {
	uint16_t policy;
	uint16_t overlay;
};

struct srv6_snap {
	bool enabled;
	uint8_t hop_limit;
	bool mss_clamp;
	bool health;			/* paths probed (else up with the link) */
	/* sid -> index into sid[]: open addressing, linear probing, built
	 * once per snapshot (rte_hash costs 110 instructions a lookup here,
	 * this 20). */
	int16_t slot_idx[SRV6_SID_SLOTS];	/* -1: empty */
	unsigned n_sids;
	struct srv6_sid sid[SRV6_MAX_SIDS_TABLE];
	unsigned n_locators;
	struct nep_prefix locators[SRV6_MAX_LOCATORS];
	unsigned n_paths;
	struct srv6_path *paths;	/* SRV6_MAX_PATHS */
	int8_t path_uplink[SRV6_MAX_PATHS];	/* each path's uplink index */
	unsigned n_policies;
	struct srv6_policy *policies;
	unsigned n_sites;
	struct srv6_site_rt *sites;	/* per remote site */
	unsigned n_routes;
	struct srv6_route routes[SRV6_MAX_ROUTES];
	/* Paths up (bit = path): written by the control lcore (atomic),
	 * read by the workers. */
	uint64_t up_mask;
	/* per SLA slot, the paths meeting it (STAMP's judge; all ones
	 * until judged), written like up_mask */
	uint64_t sla_ok[NEP_MAX_SLA];
};

/* ---- per-worker counters ---- */

struct srv6_stats {
	uint64_t sid_pkts[SRV6_MAX_SIDS_TABLE];
	uint64_t sid_bytes[SRV6_MAX_SIDS_TABLE];
	uint64_t path_pkts[SRV6_MAX_PATHS];
	uint64_t path_bytes[SRV6_MAX_PATHS];
	uint64_t encap_pkts, decap_pkts, end_pkts, mss_clamped;
} __rte_cache_aligned;

/*
 * The fast path's cache of FIB results for LAN destinations: whether the
 * destination is routed to one of our overlays, and by which route.
 * Direct-mapped; a new snapshot (generation) empties it.
 */
#define SRV6_RCACHE_SIZE 1024
#define SRV6_RCACHE_NONE 0xffff	/* not an overlay route */

struct srv6_rcache_entry {
	uint64_t dst[2];
	uint64_t gen;
	uint16_t route;
};

/*
 * Flows per path, estimated (linear counting): every encapsulated packet
 * sets the bit of its flow label in its path's bitmap of the current
 * epoch (one second); the control lcore ORs the workers' bitmaps of the
 * epoch before the last (nobody writes them any more), estimates
 * -m ln(zero bits / m) and clears them.
 */
#define SRV6_FLOW_BITS 1024

struct srv6_flowbits {
	uint64_t w[2][SRV6_MAX_PATHS][SRV6_FLOW_BITS / 64];
};

static inline void
srv6_flow_seen(struct srv6_flowbits *fb, uint32_t epoch, unsigned path,
	uint32_t label)
{
	unsigned bit = (label >> 8 ^ label) & (SRV6_FLOW_BITS - 1);

	fb->w[epoch & 1][path][bit / 64] |= 1ull << (bit % 64);
}

struct srv6_worker {
	struct srv6_stats *stats;
	struct srv6_rcache_entry *rcache;	/* SRV6_RCACHE_SIZE */
	struct srv6_flowbits *flows;
};

struct srv6_ctl {
	struct srv6_stats *stats_base;	/* at clear stats, per worker */
	uint32_t flow_epoch;		/* workers read it (relaxed) */
	uint64_t flow_epoch_ns;
	uint32_t flows[SRV6_MAX_PATHS];	/* estimate of the last second */
	uint64_t probes_sent, probe_replies, probe_unmatched;
};

extern struct nep_feature nep_srv6_feature;
extern unsigned srv6_drop_unknown_sid, srv6_drop_no_path,
	srv6_drop_wrong_inner, srv6_drop_bad_next_sid;
extern unsigned srv6_drop_rc[NEP_SRV6_RC_MAX];
extern uint8_t srv6_action_encap;

static inline struct srv6_snap *
SRV6_SNAP(const struct nep_snapshot *s)
{
	return (struct srv6_snap *)s->feat[nep_srv6_feature.id];
}

static inline struct srv6_worker *
SRV6_W(const struct nep_worker *w)
{
	return (struct srv6_worker *)w->feat[nep_srv6_feature.id];
}

static inline struct srv6_ctl *
SRV6_CTL(const struct nep_app *app)
{
	return (struct srv6_ctl *)app->feat[nep_srv6_feature.id];
}

/* stages.c */
void srv6_register_datapath(void);
nep_verdict_t srv6_ingress(struct nep_pctx *c, struct rte_mbuf *m);
nep_verdict_t srv6_egress(struct nep_pctx *c, struct rte_mbuf *m);
nep_fast_fn srv6_fast_for_port(const struct nep_app *app,
	const struct nep_snapshot *s, unsigned port);
void srv6_trace_format(const struct nep_app *app,
	const struct nep_trace_rec *r, struct nep_buf *out);

/* snapshot.c */
int srv6_snapshot_build(struct nep_app *app, struct nep_snapshot *s,
	char *err, size_t errlen);
void srv6_snapshot_free(struct nep_snapshot *s);
/* The slot a SID hashes to first. */
static inline unsigned
srv6_sid_slot(const uint8_t *a)
{
	uint64_t k[2];

	memcpy(k, a, 16);
	return rte_hash_crc_8byte(k[1], rte_hash_crc_8byte(k[0], 0)) &
	       (SRV6_SID_SLOTS - 1);
}

/* Index of a local SID in ss->sid[], -1 if a is none. */
static inline int
srv6_sid_lookup(const struct srv6_snap *ss, const uint8_t *a)
{
	for (unsigned s = srv6_sid_slot(a);; s = (s + 1) & (SRV6_SID_SLOTS - 1)) {
		int i = ss->slot_idx[s];

		if (i < 0)
			return -1;
		if (memcmp(ss->sid[i].sid, a, 16) == 0)
			return i;
	}
}

bool srv6_in_locator(const struct srv6_snap *ss, const uint8_t *a);

/* paths.c */
void srv6_paths_run(struct nep_app *app, uint64_t now_ns);
void srv6_flows_tick(struct nep_app *app, uint64_t now_ns);
void srv6_paths_link_change(struct nep_app *app, unsigned port, bool up);
void srv6_paths_carry(struct nep_app *app, struct nep_snapshot *s);
uint64_t srv6_paths_mask(const struct srv6_snap *ss);
void srv6_publish_mask(struct nep_app *app, struct srv6_snap *ss);
void srv6_probe_input(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi);

/* commands.c */
void srv6_commands(struct nep_app *app, struct nep_dispatch *d);
void srv6_stats_json(struct nep_app *app, json_t *obj);
void srv6_clear_stats(struct nep_app *app);
uint64_t srv6_stat_sum(const struct nep_app *app, size_t offset);

#endif /* NEP_SRV6_FEATURE_H */
