/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STAMP test packets (RFC 8762) with the optional extensions of RFC 8972
 * (SSID, TLVs) and the Return Path TLV of RFC 9503, as a pure codec: no
 * EAL, no allocation, no state. Input and output are UDP payloads (port
 * 862 on the reflector).
 *
 * Base packets, byte offsets (RFC 8762 4.2.1, 4.2.2, 4.3.1, 4.3.2; the
 * SSID takes the first two MBZ bytes after the Error Estimate, RFC 8972
 * 3). Both modes are symmetric: sender and reflector bases have the same
 * length (RFC 8762 4.2):
 *   sender unauth (44):   seq 0, ts 4, err 12, ssid 14, MBZ 16..43
 *   sender auth (112):    seq 0, MBZ 4..15, ts 16, err 24, ssid 26,
 *                         MBZ 28..95 (68 bytes), HMAC 96..111
 *   reflector unauth (44): seq 0, ts 4, err 12, ssid 14, rx ts 16,
 *                         sender seq 24, sender ts 28, sender err 36,
 *                         MBZ 38..39, sender TTL 40, MBZ 41..43
 *   reflector auth (112): seq 0, MBZ 4..15, ts 16, err 24, ssid 26,
 *                         MBZ 28..31, rx ts 32, MBZ 40..47, sender seq
 *                         48, MBZ 52..63, sender ts 64, sender err 72,
 *                         MBZ 74..79, sender TTL 80, MBZ 81..95,
 *                         HMAC 96..111
 * The base HMAC (RFC 8762 4.4) is HMAC-SHA-256 truncated to 16 bytes over
 * the first 96 bytes (everything before it); it never covers the TLVs.
 *
 * TLVs (RFC 8972 4) follow the base: flags (U 0x80, M 0x40, I 0x20), type,
 * 16-bit length of the value. A Session-Sender sends every TLV with U set
 * and M, I clear; the Session-Reflector clears the flags of the TLVs it
 * understands, sets U alone in the others (copied unchanged), sets M in the
 * first malformed one and copies everything after it unprocessed, and on
 * a failed integrity check sets I in every TLV and answers none (RFC 8972
 * 4, 4.8). The TLVs are authenticated by the HMAC TLV (type 8, RFC 8972
 * 4.8), mandatory in authenticated mode unless the only TLV is one Extra
 * Padding: HMAC-SHA-256, truncated to 16 bytes, over the base packet's
 * Sequence Number (bytes 0..3) followed by every TLV before the HMAC TLV,
 * which comes after all of them but Extra Padding TLVs.
 *
 * The HMAC itself is the caller's (struct nep_stamp_auth): the key and the
 * crypto stay out of this library.
 *
 * Timestamps are kept raw (the 8 wire bytes as a big-endian uint64) and
 * converted with nep_stamp_ts_from_ns() / nep_stamp_ts_to_ns(): NTP
 * (seconds since 1900, 32-bit binary fraction) or PTPv2 truncated
 * (seconds since 1970, nanoseconds); the Z bit of the error estimate
 * says which. No leap-second or TAI/UTC offset is applied: the caller's
 * clock is taken as the timescale of the format it asks for.
 */
#ifndef NEP_STAMP_H
#define NEP_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEP_STAMP_PORT 862
#define NEP_STAMP_BASE_UNAUTH 44
#define NEP_STAMP_BASE_AUTH 112
#define NEP_STAMP_HMAC_LEN 16	/* HMAC-SHA-256 truncated to 128 bits */
#define NEP_STAMP_HMAC_COVER 96 /* bytes before the HMAC field */
#define NEP_STAMP_TLV_HDR 4
#define NEP_STAMP_MAX_LEN 65535 /* a UDP payload, at most */
/*
 * The TTL / hop limit the caller sends the reply with. RFC 8762 sets none
 * for the reply (4.3.1 only has the reflector copy the request's TTL into
 * the Session-Sender TTL field); 255 is this library's choice, the value
 * draft-ietf-ippm-stamp-ext-hdr 3.1 asks of both ends, so that the sender
 * can count the reply's hops as the reflector counted the request's.
 */
#define NEP_STAMP_REPLY_TTL 255

/* 1900-01-01 to 1970-01-01 in seconds (NTP epoch to Unix epoch). */
#define NEP_STAMP_NTP_UNIX_OFFSET 2208988800u

enum nep_stamp_mode {
	NEP_STAMP_UNAUTH = 0,
	NEP_STAMP_AUTH = 1,
};

/* The Z bit's values (RFC 8762 4.2.1, after RFC 8186). */
enum nep_stamp_tsfmt {
	NEP_STAMP_TS_NTP = 0,
	NEP_STAMP_TS_PTP = 1,
};

/* TLV types (RFC 8972 4, RFC 9503 3 and 4, IANA "STAMP TLV Types"). */
#define NEP_STAMP_TLV_PADDING 1
#define NEP_STAMP_TLV_LOCATION 2
#define NEP_STAMP_TLV_TS_INFO 3
#define NEP_STAMP_TLV_COS 4
#define NEP_STAMP_TLV_DIRECT 5
#define NEP_STAMP_TLV_ACCESS_REPORT 6
#define NEP_STAMP_TLV_FOLLOW_UP 7
#define NEP_STAMP_TLV_HMAC 8
#define NEP_STAMP_TLV_DEST_NODE 9    /* Destination Node Address, RFC 9503 3 */
#define NEP_STAMP_TLV_RETURN_PATH 10 /* RFC 9503 4 */

/*
 * STAMP TLV Flags (RFC 8972 4): Unrecognized, Malformed, Integrity. The
 * sender sets U (and only U) in every TLV it sends; see the top.
 */
#define NEP_STAMP_TLV_F_U 0x80
#define NEP_STAMP_TLV_F_M 0x40
#define NEP_STAMP_TLV_F_I 0x20

/* Value lengths of the fixed-size TLVs this library answers. */
#define NEP_STAMP_TS_INFO_LEN 4
#define NEP_STAMP_COS_LEN 4
#define NEP_STAMP_DIRECT_LEN 12
#define NEP_STAMP_HMAC_TLV_LEN 16 /* RFC 8972 4.8 */

/* Synchronization sources and timestamping methods (RFC 8972 4.3). */
#define NEP_STAMP_SYNC_NTP 1
#define NEP_STAMP_SYNC_PTP 2
#define NEP_STAMP_SYNC_SSU_BITS 3
#define NEP_STAMP_SYNC_GPS 4
#define NEP_STAMP_SYNC_FREE_RUNNING 5
#define NEP_STAMP_TSM_HW 1
#define NEP_STAMP_TSM_SW 2
#define NEP_STAMP_TSM_CONTROL 3

/* Errors (negative; 0 is success). Names are stable (drop counters). */
#define NEP_STAMP_ERRS(X)                                                      \
	X(TRUNCATED, -1, "stamp_truncated")                                    \
	X(BAD_TLV, -2, "stamp_bad_tlv")                                        \
	X(BAD_AUTH, -3, "stamp_bad_auth")                                      \
	X(NO_KEY, -4, "stamp_no_key")                                          \
	X(NO_SPACE, -5, "stamp_no_space")                                      \
	X(BAD_TS, -6, "stamp_bad_ts")                                          \
	X(BAD_ARG, -7, "stamp_bad_arg")                                        \
	X(HMAC_FAILED, -8, "stamp_hmac_failed")

enum nep_stamp_err {
#define NEP_STAMP_ERR_ENUM(n, v, s) NEP_STAMP_E_##n = v,
	NEP_STAMP_ERRS(NEP_STAMP_ERR_ENUM)
#undef NEP_STAMP_ERR_ENUM
};
#define NEP_STAMP_E_COUNT 8 /* the errors are -1 .. -NEP_STAMP_E_COUNT */

/* Stable name of an error ("ok" for 0, "unknown" out of range). */
const char *nep_stamp_err_name(int err);

/* ---- timestamps ---- */

/*
 * NTP 64-bit: high 32 bits seconds since 1900, low 32 bits the fraction
 * in units of 2^-32 s (not micro- or nanoseconds). From ns: the fraction
 * is rounded to the nearest unit (a carry goes into the seconds) and the
 * seconds are taken modulo 2^32 (era wrap on 2036-02-07 06:28:16 UTC).
 */
uint64_t nep_stamp_ntp_from_ns(uint64_t unix_ns);
/*
 * To ns since the Unix epoch, the fraction rounded to the nearest ns.
 * Eras: seconds with the top bit set are 1968-2036 (era 0), clear are
 * 2036-2104 (era 1), as RFC 2030 3 resolves them. NEP_STAMP_E_BAD_TS
 * for a time before 1970 (not representable).
 */
int nep_stamp_ntp_to_ns(uint64_t ntp, uint64_t *unix_ns);
/* PTPv2 truncated: high 32 bits seconds since 1970 (mod 2^32), low ns. */
uint64_t nep_stamp_ptp_from_ns(uint64_t unix_ns);
/* NEP_STAMP_E_BAD_TS when the nanoseconds are >= 10^9. */
int nep_stamp_ptp_to_ns(uint64_t ptp, uint64_t *unix_ns);
uint64_t nep_stamp_ts_from_ns(enum nep_stamp_tsfmt fmt, uint64_t unix_ns);
int nep_stamp_ts_to_ns(enum nep_stamp_tsfmt fmt, uint64_t ts, uint64_t *ns);

/*
 * Error Estimate (RFC 8762 4.2.1, format of RFC 4656 4.1.2): S (clock
 * synchronized to UTC externally), Z (timestamp format), 6-bit scale,
 * 8-bit multiplier; error = multiplier * 2^(scale - 32) seconds.
 */
struct nep_stamp_errest {
	bool s;
	uint8_t z;     /* enum nep_stamp_tsfmt */
	uint8_t scale; /* 0..63 */
	uint8_t mult;
};
uint16_t nep_stamp_errest_pack(const struct nep_stamp_errest *e);
void nep_stamp_errest_unpack(uint16_t v, struct nep_stamp_errest *e);
/* The estimate in ns, rounded up; UINT64_MAX when it does not fit. */
uint64_t nep_stamp_errest_ns(const struct nep_stamp_errest *e);

/* ---- the HMAC, supplied by the caller ---- */

/*
 * Computes HMAC-SHA-256 of msg[0..len) under the session's key (the key
 * lives in ctx) into out (32 bytes; the first 16 are used). Returns 0,
 * or nonzero on failure (NEP_STAMP_E_HMAC_FAILED).
 */
typedef int (*nep_stamp_hmac_fn)(
	void *ctx, const uint8_t *msg, size_t len, uint8_t out[32]);
struct nep_stamp_auth {
	nep_stamp_hmac_fn hmac;
	void *ctx;
};
/*
 * The HMAC TLV's message is the Sequence Number followed by the TLVs
 * before it (RFC 8972 4.8), which are not contiguous in a packet: the
 * library lays them out itself, in four bytes it borrows (and restores)
 * just before the TLVs in a buffer it writes (nep_stamp_reflect(),
 * nep_stamp_hmac_tlv_append()), or, for nep_stamp_hmac_tlv_verify() of a
 * const packet, in a stack buffer of this many bytes (a jumbo frame's).
 */
#define NEP_STAMP_HMAC_TLV_COPY 9216

/* ---- packets ---- */

struct nep_stamp_sender {
	uint32_t seq;
	uint64_t ts; /* raw, format err.z */
	struct nep_stamp_errest err;
	uint16_t ssid;
	bool mbz_zero; /* parse: every MBZ byte was 0 (receivers ignore it) */
	const uint8_t *hmac; /* parse, auth: the 16 wire bytes */
	const uint8_t *tlv;  /* the bytes after the base (TLVs or padding) */
	size_t tlv_len;
};

struct nep_stamp_reflector {
	uint32_t seq;
	uint64_t ts; /* t3, raw, format err.z */
	struct nep_stamp_errest err;
	uint16_t ssid;
	uint64_t rx_ts; /* t2, raw, format err.z */
	uint32_t s_seq;
	uint64_t s_ts; /* t1, raw, format s_err.z */
	struct nep_stamp_errest s_err;
	uint8_t s_ttl;
	bool mbz_zero;
	const uint8_t *hmac;
	const uint8_t *tlv;
	size_t tlv_len;
};

static inline size_t
nep_stamp_base_len(enum nep_stamp_mode mode)
{
	return mode == NEP_STAMP_AUTH ? NEP_STAMP_BASE_AUTH
				      : NEP_STAMP_BASE_UNAUTH;
}

/*
 * Parse a sender / reflector packet of len bytes. NEP_STAMP_E_TRUNCATED
 * below the base length. In authenticated mode with auth non-NULL the
 * base HMAC is verified (NEP_STAMP_E_BAD_AUTH; constant-time compare); with
 * auth NULL it is only located. TLVs are not walked here (see
 * nep_stamp_tlv_next()), nor is the HMAC TLV checked (see
 * nep_stamp_hmac_tlv_verify()). out is zeroed on error.
 */
int nep_stamp_parse_sender(const uint8_t *p, size_t len,
	enum nep_stamp_mode mode, const struct nep_stamp_auth *auth,
	struct nep_stamp_sender *out);
int nep_stamp_parse_reflector(const uint8_t *p, size_t len,
	enum nep_stamp_mode mode, const struct nep_stamp_auth *auth,
	struct nep_stamp_reflector *out);

/*
 * Build a packet from in (the hmac and mbz_zero fields are ignored; MBZ
 * is written as zeros; in->tlv / tlv_len are copied after the base).
 * Authenticated mode needs auth (NEP_STAMP_E_NO_KEY). Returns the length
 * or NEP_STAMP_E_NO_SPACE.
 */
int nep_stamp_build_sender(uint8_t *buf, size_t cap, enum nep_stamp_mode mode,
	const struct nep_stamp_sender *in, const struct nep_stamp_auth *auth);
int nep_stamp_build_reflector(uint8_t *buf, size_t cap,
	enum nep_stamp_mode mode, const struct nep_stamp_reflector *in,
	const struct nep_stamp_auth *auth);

/* ---- TLVs ---- */

struct nep_stamp_tlv {
	uint8_t flags;
	uint8_t type;
	uint16_t len; /* of the value */
	const uint8_t *value;
	size_t off; /* of the TLV header in the walked region */
};

struct nep_stamp_tlv_iter {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool done;
};

void nep_stamp_tlv_iter_init(
	struct nep_stamp_tlv_iter *it, const uint8_t *p, size_t len);
/*
 * Next TLV: 1 with *t filled, 0 at the end, or an error that ends the
 * walk: NEP_STAMP_E_TRUNCATED when 1..3 bytes are left (no room for a
 * header), NEP_STAMP_E_BAD_TLV when the length runs past the end (t
 * still has the header, value NULL). Safe on any input.
 */
int nep_stamp_tlv_next(struct nep_stamp_tlv_iter *it, struct nep_stamp_tlv *t);
/*
 * Append a TLV at buf[*off]; NEP_STAMP_E_NO_SPACE if it does not fit. A
 * Session-Sender passes NEP_STAMP_TLV_F_U as flags (RFC 8972 4).
 */
int nep_stamp_tlv_put(uint8_t *buf, size_t cap, size_t *off, uint8_t flags,
	uint8_t type, const uint8_t *value, uint16_t len);

/*
 * Timestamp Information (type 3, RFC 8972 4.3): the sender sends the four
 * bytes zeroed, the reflector fills them in with the synchronization
 * source and timestamping method of its ingress (t2) and egress (t3);
 * sub-TLVs may follow the four bytes (length > 4), which the reflector
 * copies.
 */
struct nep_stamp_ts_info {
	uint8_t sync_in;
	uint8_t method_in;
	uint8_t sync_out;
	uint8_t method_out;
};

/*
 * Class of Service (type 4, length 4, RFC 8972 4.4; RFC 9503 leaves it as
 * it is): DSCP1 (6 bits) | DSCP2 (6) | ECN (2) | RP (2) | 16 reserved
 * bits. DSCP1 is what the sender asks the reflector to use in the reply;
 * DSCP2 and ECN are the DS field the reflector received (ECN as corrected
 * by erratum 8199); RP (Reverse Path) is 0 from the sender, and the
 * reflector sets it to 1 when its policy did not let it use DSCP1 (the
 * reply then carries the DSCP it received, DSCP2), else 0.
 */
struct nep_stamp_cos {
	uint8_t dscp1;
	uint8_t dscp2;
	uint8_t ecn;
	uint8_t rp;
};

/*
 * Direct Measurement (type 5, length 12, RFC 8972 4.5): packet counters.
 * The sender fills S_TxC and zeroes the other two; the reflector copies
 * S_TxC and fills in R_RxC and R_TxC.
 */
struct nep_stamp_direct {
	uint32_t s_txc; /* Session-Sender transmit counter */
	uint32_t r_rxc; /* Session-Reflector receive counter */
	uint32_t r_txc; /* Session-Reflector transmit counter */
};

/* Decoders: NEP_STAMP_E_BAD_TLV on a wrong type or length (type 3: at
 * least 4). */
int nep_stamp_tlv_ts_info(
	const struct nep_stamp_tlv *t, struct nep_stamp_ts_info *out);
int nep_stamp_tlv_cos(const struct nep_stamp_tlv *t, struct nep_stamp_cos *out);
int nep_stamp_tlv_direct(
	const struct nep_stamp_tlv *t, struct nep_stamp_direct *out);
/* Encoders of the 4 / 4 / 12 value bytes. */
void nep_stamp_ts_info_encode(const struct nep_stamp_ts_info *in, uint8_t *v);
void nep_stamp_cos_encode(const struct nep_stamp_cos *in, uint8_t *v);
void nep_stamp_direct_encode(const struct nep_stamp_direct *in, uint8_t *v);

/*
 * Extra Padding (type 1, RFC 8972 4.1) has no fields: any length, the
 * sender fills it (pseudorandom, or zeros), the reflector copies it.
 */

/* ---- the HMAC TLV (type 8, RFC 8972 4.8) ---- */

/*
 * Whether RFC 8972 4.8 wants an HMAC TLV among the TLVs tlv[0..len) of an
 * authenticated-mode packet: false when there is no TLV, or when the only
 * one is a single whole Extra Padding TLV; true otherwise.
 */
bool nep_stamp_hmac_tlv_required(const uint8_t *tlv, size_t len);
/*
 * Append an HMAC TLV to the packet pkt[0..*len) (a whole base packet of
 * mode's length and its TLVs, as nep_stamp_build_sender() gives it): the
 * HMAC over pkt[0..3] and pkt[base..*len), truncated to 16 bytes, with the
 * given flags (a Session-Sender's: NEP_STAMP_TLV_F_U). *len grows by 20.
 * Extra Padding TLVs may still be appended after it. The bytes of pkt are
 * left as they were (the library may borrow four of them during the call).
 * Returns 0, NEP_STAMP_E_TRUNCATED (*len below the base), NEP_STAMP_E_NO_KEY,
 * NEP_STAMP_E_NO_SPACE, NEP_STAMP_E_BAD_ARG or NEP_STAMP_E_HMAC_FAILED.
 */
int nep_stamp_hmac_tlv_append(uint8_t *pkt, size_t cap, size_t *len,
	enum nep_stamp_mode mode, uint8_t flags,
	const struct nep_stamp_auth *auth);
/*
 * Verify the HMAC TLV of a packet (sender's or reflector's: both start
 * with their Sequence Number). 1: present, in its place and right; 0: no
 * HMAC TLV (whether one was needed: nep_stamp_hmac_tlv_required());
 * NEP_STAMP_E_BAD_AUTH: a wrong HMAC, a length other than 16, or out of
 * its place (anything but whole Extra Padding TLVs after it, RFC 8972 4.8
 * has that handled as a failed verification); NEP_STAMP_E_TRUNCATED below
 * the base; NEP_STAMP_E_NO_KEY; NEP_STAMP_E_NO_SPACE (more than
 * NEP_STAMP_HMAC_TLV_COPY bytes to cover); NEP_STAMP_E_HMAC_FAILED.
 * Constant-time compare. TLVs before it are only walked, not decoded.
 */
int nep_stamp_hmac_tlv_verify(const uint8_t *pkt, size_t len,
	enum nep_stamp_mode mode, const struct nep_stamp_auth *auth);

/* ---- the Return Path TLV (type 10, RFC 9503 4) ---- */

/*
 * Its value is a list of sub-TLVs with the TLV header (flags, type,
 * length): Control Code (1, length 4: 32 flag bits, bit 31 -- the lowest
 * -- is Reply Request: 0 no reply wanted, 1 reply on the link the request
 * came in on; the rest reserved), Return Address (2, length 4 or 16: the
 * reply goes there instead of to the request's source), SR-MPLS Label
 * Stack (3, length a non-zero multiple of 4) and SRv6 Segment List (4,
 * length a non-zero multiple of 16: Segment(1) first, Segment(n), the
 * bottom of the stack, last). A sender puts at most one of each, and a
 * Control Code alone; a reflector uses the first of each and, when there
 * is a Control Code, ignores the others (RFC 9503 4.1, 4.1.1, 4.1.3).
 */
#define NEP_STAMP_RP_SUB_CC 1
#define NEP_STAMP_RP_SUB_ADDR 2
#define NEP_STAMP_RP_SUB_MPLS 3
#define NEP_STAMP_RP_SUB_SRV6 4
#define NEP_STAMP_RP_CC_REPLY 0x00000001u /* Reply Request, bit 31 */
#define NEP_STAMP_RP_MAX_SIDS 8
#define NEP_STAMP_RP_MAX_LABELS 8
/* The longest value nep_stamp_return_path_encode() writes. */
#define NEP_STAMP_RETURN_PATH_MAX                                              \
	(8 + 20 + 4 + 4 * NEP_STAMP_RP_MAX_LABELS + 4 +                        \
		16 * NEP_STAMP_RP_MAX_SIDS)

struct nep_stamp_return_path {
	bool has_cc;
	uint32_t cc; /* Control Code Flags */
	bool has_addr;
	uint8_t af;	  /* of the Return Address: 4 or 6 */
	uint8_t addr[16]; /* IPv4: the first 4 bytes */
	bool has_mpls;
	uint8_t n_labels;
	uint32_t labels[NEP_STAMP_RP_MAX_LABELS]; /* label stack entries */
	bool has_srv6;
	uint8_t n_sids;
	/* sids[0] is Segment(1), the first visited; sids[n_sids - 1] is
	 * Segment(n), the bottom of the stack. */
	uint8_t sids[NEP_STAMP_RP_MAX_SIDS][16];
	unsigned int n_unknown; /* sub-TLVs of other types (ignored) */
};

/*
 * Decode a Return Path TLV: 0; NEP_STAMP_E_BAD_TLV for another type or a
 * malformed value (a sub-TLV past the end or 1..3 stray bytes, a Control
 * Code not of length 4, a Return Address not of 4 or 16, a label stack or
 * segment list empty or not a multiple of its entry); NEP_STAMP_E_NO_SPACE
 * for a well-formed list longer than NEP_STAMP_RP_MAX_LABELS or
 * NEP_STAMP_RP_MAX_SIDS. A second sub-TLV of a kind already seen is
 * ignored. Sub-TLV flags are not looked at. out is zeroed on error.
 */
int nep_stamp_tlv_return_path(
	const struct nep_stamp_tlv *t, struct nep_stamp_return_path *out);
/*
 * Encode in as a Return Path TLV value into v[0..cap): the sub-TLVs in
 * the order Control Code, Return Address, SR-MPLS, SRv6, each with flags
 * 0; n_unknown is ignored. Returns the value's length, NEP_STAMP_E_NO_SPACE,
 * or NEP_STAMP_E_BAD_ARG for what a sender must not send (a Control Code
 * with anything else, an address family other than 4 or 6, an empty or
 * over-long list). Put it with nep_stamp_tlv_put(..., NEP_STAMP_TLV_F_U,
 * NEP_STAMP_TLV_RETURN_PATH, v, len).
 */
int nep_stamp_return_path_encode(
	const struct nep_stamp_return_path *in, uint8_t *v, size_t cap);

/* ---- the Session-Reflector ---- */

/*
 * What the caller can do with a reply of a Return Path TLV (RFC 9503 4),
 * for nep_stamp_reflect_params.rp_caps. A request asking for something
 * missing here gets its Return Path TLV back with U, and the caller
 * replies the usual way (RFC 9503 4: "cannot use the Return Path").
 */
#define NEP_STAMP_RP_CAN_SAME_LINK 0x01 /* out the link it came in on */
#define NEP_STAMP_RP_CAN_ADDR 0x02	/* to a Return Address */
#define NEP_STAMP_RP_CAN_MPLS 0x04	/* along an SR-MPLS label stack */
#define NEP_STAMP_RP_CAN_SRV6 0x08	/* along an SRv6 segment list */

struct nep_stamp_reflect_params {
	enum nep_stamp_mode mode;
	enum nep_stamp_tsfmt tsfmt; /* of the reply's timestamps */
	/*
	 * Receive (t2) and transmit (t3) times, ns since the Unix epoch.
	 * The caller takes t3 after t2 (t3 < t2 is NEP_STAMP_E_BAD_ARG).
	 */
	uint64_t t2_ns;
	uint64_t t3_ns;
	uint8_t rx_ttl; /* TTL / hop limit the request arrived with */
	uint8_t rx_tos; /* its DS field byte: DSCP << 2 | ECN */
	/*
	 * Stateless: the reply's sequence number is the sender's. Stateful
	 * (RFC 8762 4.3.1): the reflector counts the packets it transmits in
	 * the session, from zero: seq is the number of replies this session
	 * sent before this one (0 for the first), whatever the request's.
	 */
	bool stateful;
	uint32_t seq;
	struct nep_stamp_errest err; /* the reflector's (z is set from tsfmt) */
	const struct nep_stamp_auth *auth; /* required in NEP_STAMP_AUTH */
	/*
	 * Walk the bytes after the base as RFC 8972 TLVs; false: a plain
	 * RFC 8762 reflector, which mirrors them unchanged as padding.
	 */
	bool tlvs;
	bool cos_allowed; /* local policy lets the reply use DSCP1 */
	struct nep_stamp_ts_info ts_info; /* answered in type 3 TLVs */
	uint32_t r_rxc; /* Direct Measurement counters of this session */
	uint32_t r_txc;
	/*
	 * Verify and answer HMAC TLVs in unauthenticated mode too (RFC 8972
	 * 4.8 makes it optional there; it needs auth). Always done in
	 * NEP_STAMP_AUTH, where the TLVs must carry one.
	 */
	bool hmac_tlv;
	uint8_t rp_caps; /* NEP_STAMP_RP_CAN_* */
};

struct nep_stamp_reflect_info {
	uint32_t s_seq; /* the request's */
	uint16_t ssid;
	bool cos; /* a well-formed Class of Service TLV was answered */
	uint8_t reply_dscp;	/* when cos: the DSCP to send the reply with */
	unsigned int n_tlv;	/* TLVs walked (up to the first malformed) */
	unsigned int n_unknown; /* flagged U */
	unsigned int n_malformed; /* flagged M, or an unwalkable tail */
	/* the request's HMAC TLV verified, the reply's written */
	bool tlv_hmac;
	/*
	 * RFC 8972 4.8 failure (a wrong or misplaced HMAC TLV, or none in
	 * authenticated mode where one is needed): every TLV came back with
	 * I and none was answered.
	 */
	bool tlv_integrity_failed;
	/* A well-formed first Return Path TLV (RFC 9503 4) and what it asks. */
	bool has_return_path;
	struct nep_stamp_return_path rp;
	/*
	 * rp_used: the reflector took it (the reply's TLV has no U): the
	 * caller must send the reply as rp says -- to rp.addr, along rp.sids
	 * or rp.labels, out the link the request came in on (rp.has_cc); and
	 * no_reply: its Control Code asked for no reply, so the caller must
	 * not send one (RFC 9503 4.1.1). When rp_used is false the reply goes
	 * back the usual way.
	 */
	bool rp_used;
	bool no_reply;
};

/*
 * Answer the sender packet req[0..len): writes a reply of exactly len
 * bytes (never more: the reply mirrors the request's size, RFC 8762 4.3)
 * into out (cap >= len, else NEP_STAMP_E_NO_SPACE; out must not overlap
 * req) and returns len, or a negative error: NEP_STAMP_E_TRUNCATED,
 * NEP_STAMP_E_NO_KEY, NEP_STAMP_E_BAD_AUTH (the base HMAC),
 * NEP_STAMP_E_BAD_ARG, NEP_STAMP_E_HMAC_FAILED. The reply copies the SSID, the
 * sender's sequence number, timestamp and error estimate, and the TTL it
 * arrived with (RFC 8762 4.3.1).
 *
 * TLVs (params->tlvs), RFC 8972 4: with an integrity check (authenticated
 * mode, or hmac_tlv) the HMAC TLV is verified first, and if it fails
 * every TLV is copied with I and nothing is answered (4.8). Otherwise,
 * in order: Extra Padding is copied; Timestamp Information gets the
 * reflector's sources and methods in its first four bytes (sub-TLVs after
 * them are copied); Class of Service gets DSCP2/ECN from rx_tos and RP,
 * and sets info->cos and reply_dscp; Direct Measurement gets the
 * reflector's counters; the HMAC TLV (checked) is kept; the first Return
 * Path TLV is decoded into info->rp and copied, with U when rp_caps
 * cannot do what it asks (RFC 9503 4; later Return Path TLVs are ignored:
 * copied with U); any other type is copied with U (Location, Access
 * Report, Follow-Up Telemetry, Destination Node Address, and the HMAC TLV
 * when unchecked: types this library does not answer). Answered TLVs have
 * their flags cleared. The first malformed TLV (a known type of a wrong
 * length, a malformed Return Path, a length past the end) gets M and
 * everything after it is copied as it came (RFC 8972 4). The reply's HMAC
 * TLV, when the request had one in place, is then computed over the
 * reply. The caller sends the reply with TTL / hop limit
 * NEP_STAMP_REPLY_TTL, and as info->rp_used / no_reply say.
 */
int nep_stamp_reflect(const uint8_t *req, size_t len, uint8_t *out, size_t cap,
	const struct nep_stamp_reflect_params *params,
	struct nep_stamp_reflect_info *info);

#endif /* NEP_STAMP_H */
