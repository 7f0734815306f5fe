/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STAMP (RFC 8762, RFC 8972) in the appliance (docs/stamp.md): a
 * Session-Reflector on our WAN addresses, SIDs and overlay addresses; a
 * Session-Sender per uplink and per overlay path, whose packets the
 * worker timestamps as it sends them; per-session metrics; the SLA judge
 * that tells multihoming and SRv6 which uplinks and paths meet each
 * policy's SLA; and the SRv6 transparency prober (UCSS T0 / T1 / OP).
 *
 *   config.c     the `stamp:` section
 *   reflector.c  the Session-Reflector (local delivery, UDP port 862)
 *   sender.c     sessions: packets, replies, metrics, transparency
 *   sla.c        SLA verdicts with hysteresis, events
 *   commands.c   show stamp ..., telemetry
 *   stamp.c      the feature: init, reload, run
 */
#ifndef NEP_STAMP_FEATURE_H
#define NEP_STAMP_FEATURE_H

#include <stdbool.h>
#include <stdint.h>

#include "neptune.h"
#include "nep_config_section.h"
#include "nep_stamp.h"
#include "nep_stamp_metrics.h"

#define STAMP_MAX_SESSIONS 32	/* configured */
#define STAMP_MAX_RT 128	/* running: overlay sessions expand per path */
#define STAMP_MAX_RETURN 16
#define STAMP_MAX_KEY 64
#define STAMP_MAX_SIDS 8
#define STAMP_SENDER_PORT 8620
#define STAMP_RL_SLOTS 1024	/* per-source rate limiter */
#define STAMP_MAX_EVENTS 128

enum stamp_kind {
	STAMP_UPLINK,
	STAMP_OVERLAY,
};

/* ---- configuration ---- */

struct stamp_key {
	uint8_t key[STAMP_MAX_KEY];
	uint32_t len;
	char file[NEP_PATH_MAX];
};

struct stamp_return_conf {
	uint16_t ssid;
	int uplink;			/* cfg uplink index */
	unsigned n_sids;
	uint8_t sids[STAMP_MAX_SIDS][16];
};

struct stamp_reflector_conf {
	bool enabled;
	uint16_t port;
	bool stateful;
	bool auth;
	struct stamp_key key;
	uint8_t tsfmt;			/* enum nep_stamp_tsfmt */
	uint32_t rate_pps;		/* per source address; 0: no limit */
	uint32_t burst;
	bool tlvs;			/* RFC 8972 TLVs (else RFC 8762 only) */
	bool cos;			/* reply with the DSCP the sender asks */
	unsigned n_returns;
	struct stamp_return_conf returns[STAMP_MAX_RETURN];
};

struct stamp_session_conf {
	char name[NEP_NAME_MAX];
	enum stamp_kind kind;
	char uplink[NEP_NAME_MAX];	/* STAMP_UPLINK */
	char overlay[NEP_NAME_MAX];	/* STAMP_OVERLAY */
	char site[NEP_NAME_MAX];
	bool has_reflector;
	uint8_t reflector[16];		/* uplink: default its health target */
	bool has_source;
	uint8_t source[16];		/* overlay: the inner source */
	uint16_t port;			/* the reflector's */
	uint32_t interval_ms;
	uint32_t duration_s;		/* 0: unlimited */
	bool auth;
	struct stamp_key key;
	uint8_t tsfmt;
	uint8_t dscp;
	uint16_t size;			/* STAMP payload bytes */
	uint16_t ssid;			/* 0: allocated */
	bool stateful_reflector;	/* loss split by direction */
	bool clocks_synced;		/* one-way delays are meaningful */
	bool transparency;		/* overlay: probe encapsulations */
};

struct stamp_config {
	bool present;			/* the file has a stamp: section */
	uint16_t sender_port;
	struct stamp_reflector_conf refl;
	unsigned n_sessions;
	struct stamp_session_conf sessions[STAMP_MAX_SESSIONS];
	/* transparency: every reprobe_s, and when the session loses
	 * fail_count replies in a row */
	uint32_t reprobe_s;
	uint32_t fail_count;
	uint32_t window_ms;		/* SLA evaluation window */
};

extern int stamp_config_section_id;

static inline const struct stamp_config *
stamp_conf(const struct nep_config *cfg)
{
	return nep_config_section(cfg, stamp_config_section_id);
}

/* ---- sessions (control lcore) ---- */

/* One encapsulation of an overlay path being probed (transparency). */
struct stamp_probe {
	uint16_t ssid;
	uint32_t seq;
	uint32_t sent, answered;	/* of the current round */
	bool possible;			/* the path can be sent this way */
	bool works;			/* last round's verdict */
	uint64_t last_ok_ns;
};

#define STAMP_PROBE_PER_ROUND 3
/* probes: the encapsulations (enum nep_srv6_encap_mode), then plain
 * IPv6 to the path's endpoint (is anyone there to answer?) */
#define STAMP_PROBE_PLAIN 2
#define STAMP_N_PROBES 3
#define STAMP_OP_ROUNDS 3	/* rounds in a row before a path is OP */

/* Requests sent and answered per 100 ms of send time (loss windows). */
#define STAMP_LB 1024
#define STAMP_LB_NS 100000000ull
#define STAMP_LB_SEQ 4096	/* the bucket each recent request went in */
struct stamp_lossbuckets {
	uint64_t id[STAMP_LB];
	uint32_t sent[STAMP_LB], rcvd[STAMP_LB];
	uint64_t seq_bucket[STAMP_LB_SEQ];
	uint32_t seq_of[STAMP_LB_SEQ];
};

struct stamp_sess {
	bool in_use;
	char name[NEP_NAME_MAX * 2];
	unsigned conf;			/* index into stamp_config.sessions */
	enum stamp_kind kind;
	/* uplink sessions: the uplink's slot; overlay: the path's identity
	 * (uplink name, endpoint index) and its index in this snapshot */
	int slot;
	char uplink[NEP_NAME_MAX];
	unsigned site_path;		/* k of the site's paths */
	int path;			/* srv6 global index, -1: gone */
	uint16_t ssid;
	uint8_t dst[16];
	uint8_t src[16];
	uint32_t seq;
	uint64_t start_ns, next_ns;
	bool finished;			/* duration reached */
	uint64_t sent;
	uint64_t tx_failed;		/* no source, no route, no mbuf */
	uint64_t bad_replies;		/* malformed / unauthenticated */
	uint64_t last_reply_ns;
	uint32_t lost_run;		/* requests unanswered in a row */
	uint32_t last_answered_seq;
	uint8_t last_ttl;		/* the reflector saw our packet with */
	uint8_t last_dscp;		/* CoS: what the reflector received */
	uint64_t replies;
	uint64_t wall_now;		/* the wall clock of the last run */
	struct nep_stamp_stats *st;	/* heap */
	struct stamp_lossbuckets *lb;	/* heap */
	/* transparency (overlay) */
	uint8_t tclass;			/* enum nep_srv6_tclass */
	uint8_t mode;			/* encapsulation in use */
	struct stamp_probe probe[STAMP_N_PROBES];
	uint8_t endpoint[16];		/* the plain probe's destination */
	uint64_t round_ns;		/* current round's start, 0: none */
	bool round_triggered;		/* by lost requests, not the timer */
	uint64_t rounds;
	uint32_t op_rounds;		/* in a row that said OP */
	uint64_t last_trigger_ns;
	uint64_t next_round_ns;
	uint64_t reclassified;
	uint64_t outage_start_ns;	/* first unanswered request */
	uint64_t last_outage_ns;	/* the last fallback's measured gap */
};

struct stamp_rl {
	uint8_t src[16];
	uint64_t tat;			/* GCRA */
};

struct stamp_event {
	uint64_t wall_ms;
	char what[192];
};

struct stamp_state {
	unsigned n_sess;
	struct stamp_sess sess[STAMP_MAX_RT];
	int16_t by_ssid[65536];		/* -1: none; probes: -2 - index */
	/* reflector */
	uint64_t refl_rx, refl_tx, refl_rate_limited;
	uint64_t refl_drops[NEP_STAMP_E_COUNT + 1];
	uint64_t refl_unknown_tlv, refl_malformed_tlv, refl_return_path;
	uint64_t refl_cos;
	uint64_t refl_no_route;
	uint64_t refl_no_reply;		/* Return Path TLV: no reply wanted */
	struct stamp_rl rl[STAMP_RL_SLOTS];
	/* sender */
	uint64_t replies_unmatched;
	/* SLA (sla.c) */
	void *sla;
	unsigned n_events, event_head;
	struct stamp_event events[STAMP_MAX_EVENTS];
};

extern struct nep_feature nep_stamp_feature;

static inline struct stamp_state *
STAMP(const struct nep_app *app)
{
	return app->feat[nep_stamp_feature.id];
}

/* Drop reasons (control lcore: counted with nep_ctl_drop). */
extern unsigned stamp_drop_err[NEP_STAMP_E_COUNT + 1];
extern unsigned stamp_drop_rate, stamp_drop_disabled, stamp_drop_unmatched;

/* reflector.c */
void stamp_reflector_input(struct nep_app *app, struct rte_mbuf *m,
	unsigned port, const struct nep_pkt_info *pi);
int stamp_hmac(void *ctx, const uint8_t *msg, size_t len, uint8_t out[32]);

/* sender.c */
void stamp_sessions_build(struct nep_app *app);
void stamp_sessions_run(struct nep_app *app, uint64_t now_ns);
void stamp_reply_input(struct nep_app *app, struct rte_mbuf *m,
	unsigned port, const struct nep_pkt_info *pi);
void stamp_sessions_free(struct nep_app *app);
/* The session's windowed metrics (ms; false when nothing measured). */
struct stamp_window {
	bool valid;
	uint32_t n;
	double rtt_ms, rtt_min_ms, rtt_p99_ms, rtt_max_ms;
	double jitter_ms;
	double loss_pct;
};
void stamp_sess_window(struct stamp_sess *s, uint64_t win_ns,
	uint64_t now_ns, struct stamp_window *out);

/* sla.c */
void stamp_sla_run(struct nep_app *app, uint64_t now_ns);
void stamp_sla_free(struct nep_app *app);
void stamp_sla_json(struct nep_app *app, json_t *obj);
void stamp_event(struct nep_app *app, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* commands.c */
void stamp_commands(struct nep_app *app, struct nep_dispatch *d);

const char *stamp_a6(const uint8_t *a, char *buf, size_t len);

#endif /* NEP_STAMP_FEATURE_H */
