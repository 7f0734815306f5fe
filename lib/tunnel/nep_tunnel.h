/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Authenticated UDP tunnel, the pure parts (docs/tunnel-protocol.md):
 *  - the fixed 20-byte header: nep_tun_hdr_encode() / nep_tun_hdr_decode(),
 *    every structural check with a named result code (drop reason);
 *  - the RFC 6479 anti-replay window: nep_tun_replay_check() (read-only,
 *    before the tag) and nep_tun_replay_update() (only after the tag
 *    verified);
 *  - the AEAD nonce and the key-derivation inputs;
 *  - per-suite tag length and per-family overhead.
 *
 * No EAL, no mbuf, no crypto: the caller computes and verifies tags with a
 * crypto library. Multi-byte fields are in network order on the wire.
 */
#ifndef NEP_TUNNEL_H
#define NEP_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEP_TUN_VERSION 1
#define NEP_TUN_DEFAULT_PORT 61900
#define NEP_TUN_HDR_LEN 20
#define NEP_TUN_CTRL_LEN 16 /* payload of every control message */
#define NEP_TUN_MAX_TAG 32

#define NEP_TUN_IP4_HLEN 20
#define NEP_TUN_IP6_HLEN 40
#define NEP_TUN_UDP_HLEN 8

/* Header field offsets (docs/tunnel-protocol.md, "Header"). */
#define NEP_TUN_OFF_VERSION 0
#define NEP_TUN_OFF_TYPE 1
#define NEP_TUN_OFF_FLAGS 2
#define NEP_TUN_OFF_PTYPE 3
#define NEP_TUN_OFF_KEY_ID 4
#define NEP_TUN_OFF_SUITE 5
#define NEP_TUN_OFF_LENGTH 6
#define NEP_TUN_OFF_SESSION 8
#define NEP_TUN_OFF_SEQ 12

enum nep_tun_type {
	NEP_TUN_T_DATA = 1,
	NEP_TUN_T_KEEPALIVE = 2,
	NEP_TUN_T_KEEPALIVE_REPLY = 3,
	NEP_TUN_T_REKEY = 4,
	NEP_TUN_T_REKEY_ACK = 5,
};

enum nep_tun_ptype {
	NEP_TUN_P_NONE = 0,
	NEP_TUN_P_IPV4 = 4,
	NEP_TUN_P_IPV6 = 6,
};

enum nep_tun_suite {
	NEP_TUN_S_HMAC_SHA256_128 = 1,
	NEP_TUN_S_HMAC_SHA256_256 = 2,
	NEP_TUN_S_AES256_GCM = 3,
	NEP_TUN_S_CHACHA20_POLY1305 = 4,
};

/* Direction of a packet, bound into the derived key and the nonce. */
enum nep_tun_dir {
	NEP_TUN_D_INITIATOR = 0, /* endpoint -> hub */
	NEP_TUN_D_RESPONDER = 1, /* hub -> endpoint */
};

/* Result codes; each name is stable (counters and logs use it). */
#define NEP_TUN_RCS(X)                                                         \
	X(OK, "ok")                                                            \
	X(ERR_TRUNCATED, "tun_truncated")                                      \
	X(ERR_VERSION, "tun_bad_version")                                      \
	X(ERR_TYPE, "tun_unknown_type")                                        \
	X(ERR_FLAGS, "tun_bad_flags")                                          \
	X(ERR_PTYPE, "tun_bad_payload_type")                                   \
	X(ERR_SUITE, "tun_unknown_suite")                                      \
	X(ERR_SESSION, "tun_bad_session_id")                                   \
	X(ERR_PLEN, "tun_bad_payload_length")                                  \
	X(ERR_LEN, "tun_length_mismatch")                                      \
	X(ERR_OVERSIZE, "tun_oversize")                                        \
	X(ERR_TOO_OLD, "tun_replay_too_old")                                   \
	X(ERR_DUPLICATE, "tun_replay_duplicate")                               \
	X(ERR_SEQ_EXHAUSTED, "tun_seq_exhausted")

enum nep_tun_rc {
#define NEP_TUN_RC_ENUM(n, s) NEP_TUN_##n,
	NEP_TUN_RCS(NEP_TUN_RC_ENUM)
#undef NEP_TUN_RC_ENUM
		NEP_TUN_RC_MAX
};

/* Stable short name of a result code; "unknown" when out of range. */
const char *nep_tun_rc_name(enum nep_tun_rc rc);

/* The fixed header, host order. */
struct nep_tun_hdr {
	uint64_t seq;
	uint32_t session_id;
	uint16_t length; /* payload bytes, tag excluded */
	uint8_t version;
	uint8_t type;
	uint8_t flags;
	uint8_t ptype;
	uint8_t key_id;
	uint8_t suite;
};

/* Tag bytes of a suite; 0 for an unknown one. */
static inline unsigned int
nep_tun_tag_len(uint8_t suite)
{
	switch (suite) {
	case NEP_TUN_S_HMAC_SHA256_128:
	case NEP_TUN_S_AES256_GCM:
	case NEP_TUN_S_CHACHA20_POLY1305:
		return 16;
	case NEP_TUN_S_HMAC_SHA256_256:
		return 32;
	default:
		return 0;
	}
}

/* AEAD suites encrypt the payload; HMAC suites leave it in clear. */
static inline bool
nep_tun_suite_is_aead(uint8_t suite)
{
	return suite == NEP_TUN_S_AES256_GCM ||
	       suite == NEP_TUN_S_CHACHA20_POLY1305;
}

/*
 * Bytes the tunnel adds in front of and behind an inner packet: outer IP
 * (family 4 or 6) + UDP + header + tag. 0 for an unknown suite or family.
 */
static inline unsigned int
nep_tun_overhead(uint8_t suite, int family)
{
	unsigned int tag = nep_tun_tag_len(suite);
	unsigned int ip;

	if (family == 4)
		ip = NEP_TUN_IP4_HLEN;
	else if (family == 6)
		ip = NEP_TUN_IP6_HLEN;
	else
		return 0;
	if (tag == 0)
		return 0;
	return ip + NEP_TUN_UDP_HLEN + NEP_TUN_HDR_LEN + tag;
}

/*
 * Write h into buf[0..NEP_TUN_HDR_LEN). The version is always
 * NEP_TUN_VERSION and flags 0 (h->version and h->flags are ignored);
 * the other fields are written as given, so a test can build bad headers.
 */
void nep_tun_hdr_encode(const struct nep_tun_hdr *h, uint8_t *buf);

/*
 * Validate a received UDP payload of len bytes and fill h. In order:
 *  - ERR_TRUNCATED: len below the header;
 *  - ERR_VERSION, ERR_TYPE, ERR_FLAGS (any flag bit set in version 1),
 *    ERR_SUITE, ERR_SESSION (session id 0);
 *  - ERR_PTYPE: data without IPv4/IPv6, or a control message with one;
 *  - ERR_PLEN: an empty data payload, or a control message whose length
 *    is not NEP_TUN_CTRL_LEN;
 *  - ERR_LEN: len != header + length + tag of the suite;
 *  - ERR_OVERSIZE: a data payload longer than max_payload.
 * h is filled as far as the header was read, so counters can name the
 * session even on error.
 */
enum nep_tun_rc nep_tun_hdr_decode(const uint8_t *buf, uint32_t len,
	uint32_t max_payload, struct nep_tun_hdr *h);

/*
 * AEAD nonce (96 bits): key id || direction || 0x00 0x00 || sequence
 * (64 bits, big endian). Unique because the sender's sequence never
 * repeats within a (session, direction), whose key is derived apart.
 */
#define NEP_TUN_NONCE_LEN 12
void nep_tun_nonce(uint8_t key_id, uint8_t dir, uint64_t seq,
	uint8_t nonce[NEP_TUN_NONCE_LEN]);

/*
 * Key derivation inputs (HKDF-SHA-256, RFC 5869): the salt is the constant
 * NEP_TUN_KDF_SALT (14 bytes, no NUL), the info is built here:
 * session id (32 bits) || key id || direction || suite.
 */
#define NEP_TUN_KDF_SALT "neptune-tun-v1"
#define NEP_TUN_KDF_SALT_LEN 14
#define NEP_TUN_KDF_INFO_LEN 7
void nep_tun_kdf_info(uint32_t session_id, uint8_t key_id, uint8_t dir,
	uint8_t suite, uint8_t info[NEP_TUN_KDF_INFO_LEN]);

/*
 * Sender side: the sequence to use in *seq, advancing *next. The last
 * value, UINT64_MAX, is never sent: ERR_SEQ_EXHAUSTED (rotate the key
 * and restart the session long before, see the lifetimes).
 */
static inline enum nep_tun_rc
nep_tun_seq_next(uint64_t *next, uint64_t *seq)
{
	if (*next == UINT64_MAX)
		return NEP_TUN_ERR_SEQ_EXHAUSTED;
	*seq = (*next)++;
	return NEP_TUN_OK;
}

/*
 * Anti-replay window (RFC 6479): 64 blocks of 64 bits; one block is always
 * the one being recycled, so NEP_TUN_REPLAY_WINDOW sequences behind the
 * highest are remembered. One per (session, receive direction); it spans
 * key ids because the sequence does. Single writer: only the lcore that
 * owns the session calls update; check is read-only.
 */
#define NEP_TUN_REPLAY_BLOCKS 64 /* power of two */
#define NEP_TUN_REPLAY_WINDOW ((NEP_TUN_REPLAY_BLOCKS - 1) * 64)

struct nep_tun_replay {
	uint64_t top; /* highest sequence accepted (0 while none) */
	uint64_t bits[NEP_TUN_REPLAY_BLOCKS];
};

/* An empty window: every sequence acceptable once. */
void nep_tun_replay_init(struct nep_tun_replay *r);

/*
 * Before the tag: OK (new), ERR_TOO_OLD (NEP_TUN_REPLAY_WINDOW or more
 * behind the highest) or ERR_DUPLICATE. Changes nothing, so a forged
 * packet cannot move the window.
 */
enum nep_tun_rc nep_tun_replay_check(
	const struct nep_tun_replay *r, uint64_t seq);

/*
 * After the tag verified: record seq. Re-checks and returns the check's
 * result, so a duplicate that raced past the check is still refused.
 */
enum nep_tun_rc nep_tun_replay_update(struct nep_tun_replay *r, uint64_t seq);

#endif /* NEP_TUNNEL_H */
