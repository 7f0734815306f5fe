/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every file of the feature reads: its registration (its id) and the
 * ids the core gave its drop reasons and path action (filled at start-up
 * by tunnel.c and stages.c; kept apart so the call graph stays acyclic).
 */
#include "tunnel.h"

struct nep_feature nep_tun_feature;
static struct tun_state tun_states[TUN_MAX_SESSIONS];
struct tun_ctl tun_ctl_state = { .state = tun_states };
uint8_t tun_action_encap;
unsigned tun_drop_rc[NEP_TUN_RC_MAX];
unsigned tun_drop_outer_fragment, tun_drop_bad_udp_checksum,
	tun_drop_unknown_session, tun_drop_unknown_key, tun_drop_suite_mismatch,
	tun_drop_bad_role, tun_drop_auth_failed, tun_drop_inner_mismatch,
	tun_drop_inner_source, tun_drop_no_path, tun_drop_no_peer,
	tun_drop_key_expired, tun_drop_headroom, tun_drop_ecn;
