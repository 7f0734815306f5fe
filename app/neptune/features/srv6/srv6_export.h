/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What SRv6 offers other features (STAMP): its overlay paths, sending an
 * inner packet over one of them in a chosen encapsulation, routing a
 * packet the control lcore originates over the overlays, the
 * encapsulation and transparency class of each path (UCSS section 3),
 * and SLA verdicts per path. Control lcore only.
 */
#ifndef NEP_SRV6_EXPORT_H
#define NEP_SRV6_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "neptune.h"

/* How a path's packets are encapsulated. */
enum nep_srv6_encap_mode {
	NEP_SRV6_ENC_SRH = 0,	/* the SR policy: outer SRH (UCSS case 2) */
	NEP_SRV6_ENC_IP6IP6,	/* IPv6-in-IPv6 to the decapsulation SID,
				 * no SRH (case 3) */
	NEP_SRV6_ENC_MAX
};

/* The transparency of a path (UCSS 3.4). */
enum nep_srv6_tclass {
	NEP_SRV6_T_UNKNOWN = 0,	/* not probed (yet) */
	NEP_SRV6_T0,		/* an outer SRH gets through */
	NEP_SRV6_T1,		/* no SRH, but IPv6-in-IPv6 does */
	NEP_SRV6_T_OP,		/* neither: the path is not used */
	NEP_SRV6_T_MAX
};

extern const char *const nep_srv6_encap_names[NEP_SRV6_ENC_MAX];
extern const char *const nep_srv6_tclass_names[NEP_SRV6_T_MAX];

struct nep_srv6_path_info {
	unsigned index;			/* global, in this snapshot */
	unsigned site_path;		/* k among the site's paths */
	char uplink[NEP_NAME_MAX];
	int uplink_slot;		/* multihoming's, -1 */
	uint8_t endpoint[16];		/* its probe target */
	uint8_t src[16];		/* its outer source */
	bool up;			/* in the workers' mask */
	bool health_up;
	bool modes[NEP_SRV6_ENC_MAX];	/* possible on this path */
	uint8_t mode, tclass;
	bool has_rtt;
	double rtt_ms, jitter_ms, loss_pct;
};

/*
 * The paths of remote site `site` as overlay `overlay` uses them (IPv6
 * policy): up to max into out; returns how many (0: no such pair).
 */
unsigned nep_srv6_site_paths(const struct nep_app *app, const char *overlay,
	const char *site, struct nep_srv6_path_info *out, unsigned max);

/* Every path, by global index (false past the end). */
bool nep_srv6_path(const struct nep_app *app, unsigned index,
	struct nep_srv6_path_info *out);
unsigned nep_srv6_n_paths(const struct nep_app *app);

/*
 * Send m, an inner IPv6 packet at offset 14 (Ethernet header room in
 * front), over path k of (overlay, site) encapsulated as mode; the
 * outer source is the path's. A frame to be timestamped by the worker
 * (NEP_META_F_TXSTAMP) keeps its offsets right. 0, or -1 with m freed
 * (no such path, mode impossible, no headroom).
 */
int nep_srv6_send_on_path(struct nep_app *app, struct rte_mbuf *m,
	const char *overlay, const char *site, unsigned k,
	enum nep_srv6_encap_mode mode);

/* Send m (an IPv6 packet at offset 14) unencapsulated out of the path's
 * uplink, to its next hop (a probe of plain IPv6 to the endpoint). */
int nep_srv6_send_plain(struct nep_app *app, struct rte_mbuf *m,
	unsigned index);

/*
 * Route m (an IPv6 packet at offset 14 the control lcore originates, in
 * VRF table) over an overlay when its destination is an overlay route
 * there: the path the workers would choose, its encapsulation. 0: sent
 * (or dropped and counted), -1: not an overlay destination (m untouched).
 */
int nep_srv6_route_inner(struct nep_app *app, struct rte_mbuf *m,
	unsigned table);

/*
 * Answer a request that came decapsulated from an overlay the way it
 * came: m (the reply, an IPv6 packet at offset 14, in VRF table) leaves
 * over the path out of in_port (the port the request came in by) whose
 * remote endpoint is nearest outer_src (the request's outer source, at
 * least the same /64), encapsulated as the request was (srh: it had an
 * SRH; else IPv6-in-IPv6 where the path can). Transparency differs by
 * direction and by encapsulation: a probe answered this way tests one
 * path, one encapsulation, both ways. -1 when no path matches (m
 * untouched).
 */
int nep_srv6_reply_reverse(struct nep_app *app, struct rte_mbuf *m,
	unsigned table, unsigned in_port, const uint8_t outer_src[16],
	bool srh);

/* The prober's verdict for a path: encapsulation and class (OP takes
 * the path out of use, other classes put it back). */
void nep_srv6_set_path_mode(struct nep_app *app, unsigned index,
	enum nep_srv6_encap_mode mode, enum nep_srv6_tclass tclass);

/* SLA verdicts for overlay paths: bit i of ok (global path index) set
 * when path i meets SLA slot k; an overlay flow of a policy with an SLA
 * takes the first path of its bucket that is up and meets it (any up
 * path when none does). */
void nep_srv6_set_sla_ok(struct nep_app *app, unsigned k, uint64_t ok);

#endif /* NEP_SRV6_EXPORT_H */
