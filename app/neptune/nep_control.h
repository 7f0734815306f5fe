/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore's services to the core and the features: sending
 * frames (output.c: neighbour resolution, ICMP errors) and local delivery
 * (local.c). All of it runs on the control lcore only.
 */
#ifndef NEP_CONTROL_H
#define NEP_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "neptune.h"

static inline struct nep_lcore_stats *
nep_ctl_stats(struct nep_app *app)
{
	return &app->stats[rte_lcore_id()];
}

/* ---- output.c ---- */

void nep_ctl_output_init(struct nep_app *app);

/* A frame originated here (NEP_META_F_ORIG), or NULL (no_mbuf counted). */
struct rte_mbuf *nep_ctl_alloc(struct nep_app *app);

/* Drop a packet the control lcore holds, under one reason (originated
 * frames count as orig_drops instead: they were never received). */
void nep_ctl_drop(struct nep_app *app, struct rte_mbuf *m, unsigned reason);

/* Transmit a complete untagged frame on port (index) through worker 0;
 * a VLAN sub-interface's tag is inserted here. */
void nep_ctl_tx(struct nep_app *app, unsigned port, struct rte_mbuf *m);

/* Write the Ethernet header of m for port. */
void nep_ctl_set_eth(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const uint8_t *dst_mac, uint16_t ethertype);

/* Route m (IP at offset 14) through the FIB of its table (meta->table:
 * a reply or error goes back through the VRF its cause came in on) and
 * send it, holding it for neighbour resolution when needed. */
void nep_ctl_route_out(struct nep_app *app, struct rte_mbuf *m,
	uint8_t family);

/* Send m (IP at offset 14) to next hop nh on an interface (its ifid). */
void nep_ctl_send_via(struct nep_app *app, struct rte_mbuf *m,
	uint16_t ifid, uint8_t family, const uint8_t *nh);

/* Send m to the neighbour at a known table position. */
void nep_ctl_send_to_pos(struct nep_app *app, struct rte_mbuf *m,
	int32_t pos);

/* Pin a neighbour entry (uplink next hops) on an interface (its ifid):
 * its position, or < 0. */
int32_t nep_ctl_neigh_pin(struct nep_app *app, uint16_t ifid,
	uint8_t family, const uint8_t *addr);

/* Answer m (received on in_port) with an ICMP error; frees m without
 * counting it (its outcome was counted where the error was decided). */
void nep_ctl_icmp_error(struct nep_app *app, struct rte_mbuf *m,
	unsigned in_port, enum nep_icmp_err err, uint32_t param);

/* Our address on a port, preferring one on-link with peer (may be NULL). */
bool nep_port_addr(const struct nep_app *app, unsigned port, uint8_t family,
	const uint8_t *peer, uint8_t *out);

void nep_control_flush_neighbors(struct nep_app *app);

/* ---- local.c ---- */

void nep_local_init(struct nep_app *app);

/* A punted packet for us: dispatch on the local-delivery table. */
void nep_local_input(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi);

/* A local handler finished with m (consumed, counted as local). */
void nep_local_consumed(struct nep_app *app, struct rte_mbuf *m);

/* A local handler turned m into its reply (sent as originated). */
void nep_local_reply(struct nep_app *app, struct rte_mbuf *m);

/* The same, sent back to the request's previous hop on its port (echo
 * replies: the uplink a request came in by carries its answer). */
void nep_local_reply_back(struct nep_app *app, struct rte_mbuf *m,
	unsigned port);

bool nep_is_our_addr6(const struct nep_app *app, unsigned port,
	const uint8_t *a);
bool nep_is_our_addr4(const struct nep_app *app, unsigned port, uint32_t a);

/* `show local`: the table and its hit counts. */
void nep_local_show(struct nep_app *app, struct nep_cmd_ctx *ctx);

#endif /* NEP_CONTROL_H */
