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
 * drop verdict. Registered once, from a constructor.
 */
struct nep_pctx;
struct rte_mbuf;
typedef nep_verdict_t (*nep_mh_xlat4_fn)(struct nep_pctx *c,
	struct rte_mbuf *m, unsigned uplink);
void nep_mh_register_xlat4(nep_mh_xlat4_fn fn);
extern nep_mh_xlat4_fn nep_mh_xlat4;

/*
 * A connection that came in on uplink (a NAT44 port forward): its replies
 * (the packet at hand reversed, from the inside end c->dst and
 * inside_port, host order) are a flow pinned to that
 * uplink, as mwan3 keeps a connection on the WAN it arrived by, so they
 * leave translated to the address the remote end used. A flow that
 * exists keeps its uplink.
 */
void nep_mh_pin_reply(struct nep_pctx *c, unsigned uplink,
	uint16_t inside_port);

#endif /* NEP_MH_EXPORT_H */
