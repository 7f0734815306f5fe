/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What multihoming offers other features: the steering policy a packet
 * matches (`steering.policies`), so flows another feature places on its
 * own paths (SRv6 overlay paths) follow the same policies as uplinks.
 */
#ifndef NEP_MH_EXPORT_H
#define NEP_MH_EXPORT_H

#include "neptune.h"
#include "nep_policy.h"

/*
 * The policy of the packet in frame (general path, pi parsed), NULL when
 * the snapshot has no steering, no policy matches (balanced) or the packet
 * is excluded.
 */
const struct nep_policy_conf *nep_mh_policy_of(const struct nep_snapshot *s,
	const uint8_t *frame, const struct nep_pkt_info *pi);

/*
 * The IPv4 translator of the flows multihoming steers (NAT44): called by
 * the uplink path action, after the MTU check, with the flow's uplink
 * slot (the index of `uplinks:`). NEP_V_NEXT: go on (translated), else a
 * drop verdict. *cookie is what the flow entry keeps for the translator
 * (NEP_FLOW_XLAT_NONE for a new flow, or what nep_mh_pin_reply gave it):
 * the translator may change it, and gets it again on the fast path.
 *
 * The fast path's half: the IPv4 TCP/UDP packet ip4 (20-byte header, not
 * a fragment, nep_pkt_ip4_l4_len() took it) of an established flow on
 * uplink, with the cookie its entry holds: translate it and return true,
 * or return false with the packet untouched when the general path must
 * decide (no cookie, a stale one, anything unusual). Registered once,
 * from a constructor.
 */
struct nep_pctx;
struct rte_mbuf;
struct nep_worker;
typedef nep_verdict_t (*nep_mh_xlat4_fn)(struct nep_pctx *c,
	struct rte_mbuf *m, unsigned uplink, uint32_t *cookie);
typedef bool (*nep_mh_fast_xlat4_fn)(const struct nep_snapshot *s,
	struct nep_worker *w, uint8_t *ip4, unsigned uplink, uint32_t cookie,
	uint64_t now);
void nep_mh_register_xlat4(nep_mh_xlat4_fn fn, nep_mh_fast_xlat4_fn fast);
extern nep_mh_xlat4_fn nep_mh_xlat4;
extern nep_mh_fast_xlat4_fn nep_mh_fast_xlat4;

/*
 * A connection that came in on uplink (a NAT44 port forward): its replies
 * (the packet at hand reversed, from the inside end c->dst and
 * inside_port, host order) are a flow pinned to that
 * uplink, as mwan3 keeps a connection on the WAN it arrived by, so they
 * leave translated to the address the remote end used (cookie: the
 * translator's, kept in the reply flow's entry). A flow that exists keeps
 * its uplink.
 */
void nep_mh_pin_reply(struct nep_pctx *c, unsigned uplink,
	uint16_t inside_port, uint32_t cookie);

/*
 * ILNP (features/ilnp): multihoming's IPv6 path asks it, when registered,
 * about each packet it translates.
 *  - pick: a packet of a LAN flow steered to uplink (policy: the
 *    classifier's result) may leave by another uplink (per-packet
 *    multipath); returns the uplink slot it leaves by. Called once per
 *    steered IPv6 packet, before the path action.
 *  - snpt: the path action's translation of that packet on uplink (npt:
 *    the uplink's NPTv6 mapping): true when it translated the packet
 *    itself (*v: its verdict), false for RFC 6296 NPTv6 as usual.
 *  - dnpt: an IPv6 packet from uplink's port to its delegated prefix
 *    (npt): true when it decided the translation itself (c->dst, and
 *    c->rewrite for the output stage), false for NPTv6.
 */
struct nep_nptv6;
struct nep_mh_ilnp_ops {
	unsigned (*pick)(struct nep_pctx *c, unsigned uplink, uint32_t policy);
	bool (*snpt)(struct nep_pctx *c, struct rte_mbuf *m, unsigned uplink,
		const struct nep_nptv6 *npt, nep_verdict_t *v);
	bool (*dnpt)(struct nep_pctx *c, unsigned uplink,
		const struct nep_nptv6 *npt);
};
void nep_mh_register_ilnp(const struct nep_mh_ilnp_ops *ops);

/*
 * The uplinks a flow of policy (0: none) may use now, for IPv6: those a
 * strict or preferred policy names while usable, else the balanced pool
 * (its weights); each with its NPTv6 mapping. Returns how many (at most
 * NEP_MAX_UPLINKS), ids[] and weights[] sorted by weight, highest first.
 */
unsigned nep_mh_live_uplinks6(const struct nep_app *app,
	const struct nep_snapshot *s, uint32_t policy, uint8_t *ids,
	uint32_t *weights, const struct nep_nptv6 **npts);

/* An uplink's NPTv6 mapping (NULL: no such uplink). */
const struct nep_nptv6 *nep_mh_uplink_npt(const struct nep_app *app,
	unsigned uplink);

/* The port an uplink's packets leave by, and its IPv6 next hop's
 * neighbour position (for a per-packet uplink change). -1: none. */
int nep_mh_uplink_out6(const struct nep_app *app, unsigned uplink,
	unsigned *port, int32_t *neigh_pos);

/*
 * One uplink as the control lcore knows it (STAMP's sessions and SLA
 * judge): where its packets leave, our address on it, its first health
 * target, and what its health probes measure. By slot or by name; -1
 * when there is no such uplink (or it was removed by a reload).
 */
struct nep_mh_uplink_info {
	unsigned slot;
	char name[NEP_NAME_MAX];
	unsigned port;			/* index into app->ports */
	bool has_nh6;
	uint8_t nh6[16];
	bool has_src6;			/* our address on-link with nh6 */
	uint8_t src6[16];
	bool has_target;		/* health.targets[0], else the next hop */
	uint8_t target[16];
	bool probed;			/* health probes run */
	bool up;			/* in the pool now */
	bool has_rtt;
	double rtt_ms, jitter_ms, loss_pct;
};
int nep_mh_uplink_info(const struct nep_app *app, unsigned slot,
	struct nep_mh_uplink_info *out);
int nep_mh_uplink_by_name(const struct nep_app *app, const char *name);

/*
 * SLA verdicts (STAMP's judge): bit u of ok is set when uplink slot u
 * meets the SLA of SLA slot k (nep_policy_conf.sla_slot). New flows of
 * a policy with an SLA only take uplinks in its mask (all when none is
 * in it); with move_on_violation established flows leave an uplink that
 * drops out. Control lcore; republishes the steering state on a change.
 */
void nep_mh_set_sla_ok(struct nep_app *app, unsigned k, uint32_t ok);

#endif /* NEP_MH_EXPORT_H */
