/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "nep_stamp.h"

#define NS_PER_S 1000000000ull

static const char *const err_names[NEP_STAMP_E_COUNT + 1] = {
#define NEP_STAMP_ERR_NAME(n, v, s) [-(v)] = s,
	NEP_STAMP_ERRS(NEP_STAMP_ERR_NAME)
#undef NEP_STAMP_ERR_NAME
};

const char *
nep_stamp_err_name(int err)
{
	if (err > 0 || err < -NEP_STAMP_E_COUNT)
		return "unknown";
	return err == 0 ? "ok" : err_names[-err];
}

/* ---- byte helpers ---- */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static inline void
wr64(uint8_t *p, uint64_t v)
{
	wr32(p, v >> 32);
	wr32(p + 4, (uint32_t)v);
}

/* ---- timestamps ---- */

uint64_t
nep_stamp_ntp_from_ns(uint64_t unix_ns)
{
	uint64_t sec = unix_ns / NS_PER_S, rem = unix_ns % NS_PER_S;
	/* rem < 10^9, so rem << 32 < 2^62: no overflow. */
	uint64_t frac = ((rem << 32) + NS_PER_S / 2) / NS_PER_S;

	if (frac >> 32) { /* rounded up to a whole second */
		frac = 0;
		sec++;
	}
	sec += NEP_STAMP_NTP_UNIX_OFFSET;
	return (sec & 0xffffffffull) << 32 | frac;
}

int
nep_stamp_ntp_to_ns(uint64_t ntp, uint64_t *unix_ns)
{
	uint64_t sec = ntp >> 32, frac = ntp & 0xffffffffull;

	*unix_ns = 0;
	/* Top bit clear: era 1 (from 2036-02-07), RFC 2030 3. */
	if (!(sec & 0x80000000ull))
		sec += 1ull << 32;
	if (sec < NEP_STAMP_NTP_UNIX_OFFSET)
		return NEP_STAMP_E_BAD_TS;
	sec -= NEP_STAMP_NTP_UNIX_OFFSET;
	/* frac * 10^9 < 2^62; the rounding may give 10^9 (a carry). */
	*unix_ns = sec * NS_PER_S + ((frac * NS_PER_S + (1ull << 31)) >> 32);
	return 0;
}

uint64_t
nep_stamp_ptp_from_ns(uint64_t unix_ns)
{
	return (unix_ns / NS_PER_S & 0xffffffffull) << 32 | unix_ns % NS_PER_S;
}

int
nep_stamp_ptp_to_ns(uint64_t ptp, uint64_t *unix_ns)
{
	uint64_t ns = ptp & 0xffffffffull;

	*unix_ns = 0;
	if (ns >= NS_PER_S)
		return NEP_STAMP_E_BAD_TS;
	*unix_ns = (ptp >> 32) * NS_PER_S + ns;
	return 0;
}

uint64_t
nep_stamp_ts_from_ns(enum nep_stamp_tsfmt fmt, uint64_t unix_ns)
{
	return fmt == NEP_STAMP_TS_PTP ? nep_stamp_ptp_from_ns(unix_ns)
				       : nep_stamp_ntp_from_ns(unix_ns);
}

int
nep_stamp_ts_to_ns(enum nep_stamp_tsfmt fmt, uint64_t ts, uint64_t *ns)
{
	return fmt == NEP_STAMP_TS_PTP ? nep_stamp_ptp_to_ns(ts, ns)
				       : nep_stamp_ntp_to_ns(ts, ns);
}

uint16_t
nep_stamp_errest_pack(const struct nep_stamp_errest *e)
{
	return (uint16_t)((e->s ? 0x8000 : 0) | (e->z & 1) << 14 |
			  (e->scale & 0x3f) << 8 | e->mult);
}

void
nep_stamp_errest_unpack(uint16_t v, struct nep_stamp_errest *e)
{
	e->s = (v & 0x8000) != 0;
	e->z = (v >> 14) & 1;
	e->scale = (v >> 8) & 0x3f;
	e->mult = v & 0xff;
}

uint64_t
nep_stamp_errest_ns(const struct nep_stamp_errest *e)
{
	/* mult * 2^scale * 10^9 / 2^32, rounded up. */
	unsigned __int128 v = (unsigned __int128)e->mult * NS_PER_S
			      << (e->scale & 0x3f);

	v = (v + 0xffffffffu) >> 32;
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* ---- HMAC ---- */

static int
hmac16(const struct nep_stamp_auth *auth, const uint8_t *msg, uint8_t *out)
{
	uint8_t full[32];

	if (auth->hmac(auth->ctx, msg, NEP_STAMP_HMAC_COVER, full) != 0)
		return NEP_STAMP_E_HMAC_FAILED;
	memcpy(out, full, NEP_STAMP_HMAC_LEN);
	return 0;
}

/* Constant time: how long the compare takes says nothing of the tag. */
static int
hmac_check(const struct nep_stamp_auth *auth, const uint8_t *p)
{
	uint8_t want[NEP_STAMP_HMAC_LEN], diff = 0;
	int rc = hmac16(auth, p, want);

	if (rc != 0)
		return rc;
	for (unsigned int i = 0; i < NEP_STAMP_HMAC_LEN; i++)
		diff |= want[i] ^ p[NEP_STAMP_HMAC_COVER + i];
	return diff == 0 ? 0 : NEP_STAMP_E_BAD_AUTH;
}

/* ---- packets ---- */

/* Offsets of the fields that move between the two modes. */
struct layout {
	size_t base, ts, err, ssid;
	/* reflector only */
	size_t rx_ts, s_seq, s_ts, s_err, s_ttl;
};

static const struct layout snd_lay[2] = {
	[NEP_STAMP_UNAUTH] = {44, 4, 12, 14, 0, 0, 0, 0, 0},
	[NEP_STAMP_AUTH] = {112, 16, 24, 26, 0, 0, 0, 0, 0},
};
static const struct layout ref_lay[2] = {
	[NEP_STAMP_UNAUTH] = {44, 4, 12, 14, 16, 24, 28, 36, 40},
	[NEP_STAMP_AUTH] = {112, 16, 24, 26, 32, 48, 64, 72, 80},
};

/* Whether byte i of a base packet is MBZ. */
static bool
snd_mbz(enum nep_stamp_mode m, size_t i)
{
	if (m == NEP_STAMP_UNAUTH)
		return i >= 16;
	return (i >= 4 && i < 16) || (i >= 28 && i < 96);
}

static bool
ref_mbz(enum nep_stamp_mode m, size_t i)
{
	if (m == NEP_STAMP_UNAUTH)
		return i == 38 || i == 39 || i >= 41;
	return (i >= 4 && i < 16) || (i >= 28 && i < 32) ||
	       (i >= 40 && i < 48) || (i >= 52 && i < 64) ||
	       (i >= 74 && i < 80) || (i >= 81 && i < 96);
}

static bool
mbz_zero(const uint8_t *p, enum nep_stamp_mode m, bool refl)
{
	size_t n = nep_stamp_base_len(m);
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		if (refl ? ref_mbz(m, i) : snd_mbz(m, i))
			acc |= p[i];
	return acc == 0;
}

static bool
mode_ok(enum nep_stamp_mode m)
{
	return m == NEP_STAMP_UNAUTH || m == NEP_STAMP_AUTH;
}

int
nep_stamp_parse_sender(const uint8_t *p, size_t len, enum nep_stamp_mode mode,
	const struct nep_stamp_auth *auth, struct nep_stamp_sender *out)
{
	const struct layout *l;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!mode_ok(mode))
		return NEP_STAMP_E_BAD_ARG;
	l = &snd_lay[mode];
	if (len < l->base)
		return NEP_STAMP_E_TRUNCATED;
	if (mode == NEP_STAMP_AUTH && auth != NULL) {
		rc = hmac_check(auth, p);
		if (rc != 0)
			return rc;
	}
	out->seq = rd32(p);
	out->ts = rd64(p + l->ts);
	nep_stamp_errest_unpack(rd16(p + l->err), &out->err);
	out->ssid = rd16(p + l->ssid);
	out->mbz_zero = mbz_zero(p, mode, false);
	if (mode == NEP_STAMP_AUTH)
		out->hmac = p + NEP_STAMP_HMAC_COVER;
	out->tlv = p + l->base;
	out->tlv_len = len - l->base;
	return 0;
}

int
nep_stamp_parse_reflector(const uint8_t *p, size_t len,
	enum nep_stamp_mode mode, const struct nep_stamp_auth *auth,
	struct nep_stamp_reflector *out)
{
	const struct layout *l;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!mode_ok(mode))
		return NEP_STAMP_E_BAD_ARG;
	l = &ref_lay[mode];
	if (len < l->base)
		return NEP_STAMP_E_TRUNCATED;
	if (mode == NEP_STAMP_AUTH && auth != NULL) {
		rc = hmac_check(auth, p);
		if (rc != 0)
			return rc;
	}
	out->seq = rd32(p);
	out->ts = rd64(p + l->ts);
	nep_stamp_errest_unpack(rd16(p + l->err), &out->err);
	out->ssid = rd16(p + l->ssid);
	out->rx_ts = rd64(p + l->rx_ts);
	out->s_seq = rd32(p + l->s_seq);
	out->s_ts = rd64(p + l->s_ts);
	nep_stamp_errest_unpack(rd16(p + l->s_err), &out->s_err);
	out->s_ttl = p[l->s_ttl];
	out->mbz_zero = mbz_zero(p, mode, true);
	if (mode == NEP_STAMP_AUTH)
		out->hmac = p + NEP_STAMP_HMAC_COVER;
	out->tlv = p + l->base;
	out->tlv_len = len - l->base;
	return 0;
}

/* Checks shared by the builders; the TLV bytes go after the base. */
static int
build_prep(uint8_t *buf, size_t cap, enum nep_stamp_mode mode,
	const uint8_t *tlv, size_t tlv_len, const struct nep_stamp_auth *auth)
{
	size_t base;

	/* A UDP payload: the length always fits the int returned. */
	if (!mode_ok(mode) || (tlv_len != 0 && tlv == NULL) ||
		tlv_len > NEP_STAMP_MAX_LEN)
		return NEP_STAMP_E_BAD_ARG;
	if (mode == NEP_STAMP_AUTH && (auth == NULL || auth->hmac == NULL))
		return NEP_STAMP_E_NO_KEY;
	base = nep_stamp_base_len(mode);
	if (cap < base || cap - base < tlv_len ||
		base + tlv_len > NEP_STAMP_MAX_LEN)
		return NEP_STAMP_E_NO_SPACE;
	memset(buf, 0, base);
	if (tlv_len != 0)
		memmove(buf + base, tlv, tlv_len);
	return 0;
}

static int
build_done(uint8_t *buf, enum nep_stamp_mode mode, size_t tlv_len,
	const struct nep_stamp_auth *auth)
{
	int rc;

	if (mode == NEP_STAMP_AUTH) {
		rc = hmac16(auth, buf, buf + NEP_STAMP_HMAC_COVER);
		if (rc != 0)
			return rc;
	}
	return (int)(nep_stamp_base_len(mode) + tlv_len);
}

int
nep_stamp_build_sender(uint8_t *buf, size_t cap, enum nep_stamp_mode mode,
	const struct nep_stamp_sender *in, const struct nep_stamp_auth *auth)
{
	const struct layout *l;
	int rc = build_prep(buf, cap, mode, in->tlv, in->tlv_len, auth);

	if (rc != 0)
		return rc;
	l = &snd_lay[mode];
	wr32(buf, in->seq);
	wr64(buf + l->ts, in->ts);
	wr16(buf + l->err, nep_stamp_errest_pack(&in->err));
	wr16(buf + l->ssid, in->ssid);
	return build_done(buf, mode, in->tlv_len, auth);
}

static void
put_reflector(uint8_t *buf, const struct layout *l,
	const struct nep_stamp_reflector *in)
{
	wr32(buf, in->seq);
	wr64(buf + l->ts, in->ts);
	wr16(buf + l->err, nep_stamp_errest_pack(&in->err));
	wr16(buf + l->ssid, in->ssid);
	wr64(buf + l->rx_ts, in->rx_ts);
	wr32(buf + l->s_seq, in->s_seq);
	wr64(buf + l->s_ts, in->s_ts);
	wr16(buf + l->s_err, nep_stamp_errest_pack(&in->s_err));
	buf[l->s_ttl] = in->s_ttl;
}

int
nep_stamp_build_reflector(uint8_t *buf, size_t cap, enum nep_stamp_mode mode,
	const struct nep_stamp_reflector *in, const struct nep_stamp_auth *auth)
{
	int rc = build_prep(buf, cap, mode, in->tlv, in->tlv_len, auth);

	if (rc != 0)
		return rc;
	put_reflector(buf, &ref_lay[mode], in);
	return build_done(buf, mode, in->tlv_len, auth);
}

/* ---- TLVs ---- */

void
nep_stamp_tlv_iter_init(
	struct nep_stamp_tlv_iter *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->len = p == NULL ? 0 : len;
	it->off = 0;
	it->done = false;
}

int
nep_stamp_tlv_next(struct nep_stamp_tlv_iter *it, struct nep_stamp_tlv *t)
{
	size_t left;

	memset(t, 0, sizeof(*t));
	if (it->done || it->off >= it->len) {
		it->done = true;
		return 0;
	}
	left = it->len - it->off;
	if (left < NEP_STAMP_TLV_HDR) {
		it->done = true;
		t->off = it->off;
		return NEP_STAMP_E_TRUNCATED;
	}
	t->flags = it->p[it->off];
	t->type = it->p[it->off + 1];
	t->len = rd16(it->p + it->off + 2);
	t->off = it->off;
	if (t->len > left - NEP_STAMP_TLV_HDR) {
		it->done = true;
		return NEP_STAMP_E_BAD_TLV;
	}
	t->value = it->p + it->off + NEP_STAMP_TLV_HDR;
	it->off += NEP_STAMP_TLV_HDR + t->len;
	return 1;
}

int
nep_stamp_tlv_put(uint8_t *buf, size_t cap, size_t *off, uint8_t flags,
	uint8_t type, const uint8_t *value, uint16_t len)
{
	if (*off > cap || cap - *off < (size_t)NEP_STAMP_TLV_HDR + len)
		return NEP_STAMP_E_NO_SPACE;
	if (len != 0 && value == NULL)
		return NEP_STAMP_E_BAD_ARG;
	buf[*off] = flags;
	buf[*off + 1] = type;
	wr16(buf + *off + 2, len);
	if (len != 0)
		memmove(buf + *off + NEP_STAMP_TLV_HDR, value, len);
	*off += NEP_STAMP_TLV_HDR + len;
	return 0;
}

int
nep_stamp_tlv_ts_info(
	const struct nep_stamp_tlv *t, struct nep_stamp_ts_info *out)
{
	memset(out, 0, sizeof(*out));
	/* Sub-TLVs may follow the four bytes (RFC 8972 4.3). */
	if (t->type != NEP_STAMP_TLV_TS_INFO || t->len < NEP_STAMP_TS_INFO_LEN)
		return NEP_STAMP_E_BAD_TLV;
	out->sync_in = t->value[0];
	out->method_in = t->value[1];
	out->sync_out = t->value[2];
	out->method_out = t->value[3];
	return 0;
}

int
nep_stamp_tlv_cos(const struct nep_stamp_tlv *t, struct nep_stamp_cos *out)
{
	uint16_t v;

	memset(out, 0, sizeof(*out));
	if (t->type != NEP_STAMP_TLV_COS || t->len != NEP_STAMP_COS_LEN)
		return NEP_STAMP_E_BAD_TLV;
	/* DSCP1 (6) | DSCP2 (6) | ECN (2) | RP (2), then 16 reserved bits. */
	v = rd16(t->value);
	out->dscp1 = v >> 10;
	out->dscp2 = (v >> 4) & 0x3f;
	out->ecn = (v >> 2) & 3;
	out->rp = v & 3;
	return 0;
}

int
nep_stamp_tlv_direct(
	const struct nep_stamp_tlv *t, struct nep_stamp_direct *out)
{
	memset(out, 0, sizeof(*out));
	if (t->type != NEP_STAMP_TLV_DIRECT || t->len != NEP_STAMP_DIRECT_LEN)
		return NEP_STAMP_E_BAD_TLV;
	out->s_txc = rd32(t->value);
	out->r_rxc = rd32(t->value + 4);
	out->r_txc = rd32(t->value + 8);
	return 0;
}

void
nep_stamp_ts_info_encode(const struct nep_stamp_ts_info *in, uint8_t *v)
{
	v[0] = in->sync_in;
	v[1] = in->method_in;
	v[2] = in->sync_out;
	v[3] = in->method_out;
}

void
nep_stamp_cos_encode(const struct nep_stamp_cos *in, uint8_t *v)
{
	wr16(v, (uint16_t)((in->dscp1 & 0x3f) << 10 | (in->dscp2 & 0x3f) << 4 |
			   (in->ecn & 3) << 2 | (in->rp & 3)));
	v[2] = 0;
	v[3] = 0;
}

void
nep_stamp_direct_encode(const struct nep_stamp_direct *in, uint8_t *v)
{
	wr32(v, in->s_txc);
	wr32(v + 4, in->r_rxc);
	wr32(v + 8, in->r_txc);
}

/* ---- the HMAC TLV (RFC 8972 4.8) ---- */

/*
 * HMAC of seq[0..3] || tlv[0..n), truncated to 16 bytes into out, with
 * the four bytes before tlv (writable) lent for the call and restored.
 */
static int
tlv_hmac(const struct nep_stamp_auth *a, const uint8_t *seq, uint8_t *tlv,
	size_t n, uint8_t *out)
{
	uint8_t full[32], sq[4], save[4];
	int rc;

	memcpy(sq, seq, 4);
	memcpy(save, tlv - 4, 4);
	memcpy(tlv - 4, sq, 4);
	rc = a->hmac(a->ctx, tlv - 4, n + 4, full);
	memcpy(tlv - 4, save, 4);
	if (rc != 0)
		return NEP_STAMP_E_HMAC_FAILED;
	memcpy(out, full, NEP_STAMP_HMAC_LEN);
	return 0;
}

static bool
same16(const uint8_t *a, const uint8_t *b)
{
	uint8_t diff = 0;

	for (unsigned int i = 0; i < NEP_STAMP_HMAC_LEN; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/*
 * Find the HMAC TLV among tlv[0..len). 1: found in its place, of length
 * 16, at *hoff; 0: none; NEP_STAMP_E_BAD_AUTH: one of another length, or
 * followed by anything but whole Extra Padding TLVs (*hoff its offset).
 * *hoff is SIZE_MAX when there is none. *required: RFC 8972 4.8's rule.
 */
static int
hmac_tlv_find(const uint8_t *tlv, size_t len, size_t *hoff, bool *required)
{
	struct nep_stamp_tlv_iter it;
	struct nep_stamp_tlv t;
	unsigned int n = 0;
	bool only_pad = true, bad = false;
	int rc;

	*hoff = SIZE_MAX;
	nep_stamp_tlv_iter_init(&it, tlv, len);
	while ((rc = nep_stamp_tlv_next(&it, &t)) == 1) {
		n++;
		if (t.type != NEP_STAMP_TLV_PADDING)
			only_pad = false;
		if (*hoff == SIZE_MAX) {
			if (t.type == NEP_STAMP_TLV_HMAC) {
				*hoff = t.off;
				bad = t.len != NEP_STAMP_HMAC_TLV_LEN;
			}
		} else if (t.type != NEP_STAMP_TLV_PADDING) {
			bad = true; /* out of its place */
		}
	}
	if (rc == NEP_STAMP_E_BAD_TLV) {
		n++;
		only_pad = false;
	}
	*required = n > 1 || (n == 1 && !only_pad);
	if (*hoff == SIZE_MAX)
		return 0;
	/* After it: only whole Extra Padding TLVs. */
	return bad || rc != 0 ? NEP_STAMP_E_BAD_AUTH : 1;
}

bool
nep_stamp_hmac_tlv_required(const uint8_t *tlv, size_t len)
{
	size_t hoff;
	bool req;

	hmac_tlv_find(tlv, len, &hoff, &req);
	return req;
}

int
nep_stamp_hmac_tlv_append(uint8_t *pkt, size_t cap, size_t *len,
	enum nep_stamp_mode mode, uint8_t flags,
	const struct nep_stamp_auth *auth)
{
	size_t base, n;
	int rc;

	if (pkt == NULL || len == NULL || !mode_ok(mode) || *len > cap)
		return NEP_STAMP_E_BAD_ARG;
	base = nep_stamp_base_len(mode);
	if (*len < base)
		return NEP_STAMP_E_TRUNCATED;
	if (auth == NULL || auth->hmac == NULL)
		return NEP_STAMP_E_NO_KEY;
	n = *len;
	if (cap - n < NEP_STAMP_TLV_HDR + NEP_STAMP_HMAC_TLV_LEN ||
		n + NEP_STAMP_TLV_HDR + NEP_STAMP_HMAC_TLV_LEN >
			NEP_STAMP_MAX_LEN)
		return NEP_STAMP_E_NO_SPACE;
	rc = tlv_hmac(
		auth, pkt, pkt + base, n - base, pkt + n + NEP_STAMP_TLV_HDR);
	if (rc != 0)
		return rc;
	pkt[n] = flags;
	pkt[n + 1] = NEP_STAMP_TLV_HMAC;
	wr16(pkt + n + 2, NEP_STAMP_HMAC_TLV_LEN);
	*len = n + NEP_STAMP_TLV_HDR + NEP_STAMP_HMAC_TLV_LEN;
	return 0;
}

int
nep_stamp_hmac_tlv_verify(const uint8_t *pkt, size_t len,
	enum nep_stamp_mode mode, const struct nep_stamp_auth *auth)
{
	uint8_t want[NEP_STAMP_HMAC_LEN];
	size_t base, hoff;
	bool req;
	int rc;

	if (pkt == NULL || !mode_ok(mode))
		return NEP_STAMP_E_BAD_ARG;
	base = nep_stamp_base_len(mode);
	if (len < base)
		return NEP_STAMP_E_TRUNCATED;
	if (auth == NULL || auth->hmac == NULL)
		return NEP_STAMP_E_NO_KEY;
	rc = hmac_tlv_find(pkt + base, len - base, &hoff, &req);
	if (rc != 1)
		return rc;
	{
		/* A const packet: seq and TLVs copied together. */
		uint8_t msg[NEP_STAMP_HMAC_TLV_COPY], full[32];

		if (hoff > sizeof(msg) - 4)
			return NEP_STAMP_E_NO_SPACE;
		memcpy(msg, pkt, 4);
		if (hoff != 0)
			memcpy(msg + 4, pkt + base, hoff);
		if (auth->hmac(auth->ctx, msg, hoff + 4, full) != 0)
			return NEP_STAMP_E_HMAC_FAILED;
		memcpy(want, full, NEP_STAMP_HMAC_LEN);
	}
	return same16(want, pkt + base + hoff + NEP_STAMP_TLV_HDR)
		       ? 1
		       : NEP_STAMP_E_BAD_AUTH;
}

/* ---- the Return Path TLV (RFC 9503 4) ---- */

int
nep_stamp_tlv_return_path(
	const struct nep_stamp_tlv *t, struct nep_stamp_return_path *out)
{
	struct nep_stamp_tlv_iter it;
	struct nep_stamp_tlv s;
	bool too_long = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (t->type != NEP_STAMP_TLV_RETURN_PATH ||
		(t->len != 0 && t->value == NULL))
		return NEP_STAMP_E_BAD_TLV;
	/* Every sub-TLV is checked: a malformed one anywhere is BAD_TLV,
	 * before a list too long to hold is NO_SPACE. */
	nep_stamp_tlv_iter_init(&it, t->value, t->len);
	while ((rc = nep_stamp_tlv_next(&it, &s)) == 1) {
		switch (s.type) {
		case NEP_STAMP_RP_SUB_CC:
			if (s.len != 4)
				goto bad;
			if (!out->has_cc) {
				out->has_cc = true;
				out->cc = rd32(s.value);
			}
			break;
		case NEP_STAMP_RP_SUB_ADDR:
			if (s.len != 4 && s.len != 16)
				goto bad;
			if (!out->has_addr) {
				out->has_addr = true;
				out->af = s.len == 4 ? 4 : 6;
				memcpy(out->addr, s.value, s.len);
			}
			break;
		case NEP_STAMP_RP_SUB_MPLS:
			if (s.len == 0 || s.len % 4 != 0)
				goto bad;
			if (out->has_mpls || too_long)
				break;
			if (s.len / 4 > NEP_STAMP_RP_MAX_LABELS) {
				too_long = true;
				break;
			}
			out->has_mpls = true;
			out->n_labels = (uint8_t)(s.len / 4);
			for (unsigned int i = 0; i < out->n_labels; i++)
				out->labels[i] = rd32(s.value + 4 * i);
			break;
		case NEP_STAMP_RP_SUB_SRV6:
			if (s.len == 0 || s.len % 16 != 0)
				goto bad;
			if (out->has_srv6 || too_long)
				break;
			if (s.len / 16 > NEP_STAMP_RP_MAX_SIDS) {
				too_long = true;
				break;
			}
			out->has_srv6 = true;
			out->n_sids = (uint8_t)(s.len / 16);
			memcpy(out->sids, s.value, s.len);
			break;
		default:
			out->n_unknown++;
			break;
		}
	}
	if (rc != 0)
		goto bad;
	if (too_long) {
		memset(out, 0, sizeof(*out));
		return NEP_STAMP_E_NO_SPACE;
	}
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return NEP_STAMP_E_BAD_TLV;
}

int
nep_stamp_return_path_encode(
	const struct nep_stamp_return_path *in, uint8_t *v, size_t cap)
{
	uint8_t tmp[NEP_STAMP_RETURN_PATH_MAX];
	size_t off = 0;

	if (in == NULL || v == NULL)
		return NEP_STAMP_E_BAD_ARG;
	if (in->has_cc && (in->has_addr || in->has_mpls || in->has_srv6))
		return NEP_STAMP_E_BAD_ARG;
	if ((in->has_addr && in->af != 4 && in->af != 6) ||
		(in->has_mpls &&
			(in->n_labels == 0 ||
				in->n_labels > NEP_STAMP_RP_MAX_LABELS)) ||
		(in->has_srv6 && (in->n_sids == 0 ||
					 in->n_sids > NEP_STAMP_RP_MAX_SIDS)))
		return NEP_STAMP_E_BAD_ARG;
	if (in->has_cc) {
		uint8_t c[4];

		wr32(c, in->cc);
		nep_stamp_tlv_put(
			tmp, sizeof(tmp), &off, 0, NEP_STAMP_RP_SUB_CC, c, 4);
	}
	if (in->has_addr)
		nep_stamp_tlv_put(tmp, sizeof(tmp), &off, 0,
			NEP_STAMP_RP_SUB_ADDR, in->addr, in->af == 4 ? 4 : 16);
	if (in->has_mpls) {
		uint8_t l[4 * NEP_STAMP_RP_MAX_LABELS];

		for (unsigned int i = 0; i < in->n_labels; i++)
			wr32(l + 4 * i, in->labels[i]);
		nep_stamp_tlv_put(tmp, sizeof(tmp), &off, 0,
			NEP_STAMP_RP_SUB_MPLS, l, (uint16_t)(4 * in->n_labels));
	}
	if (in->has_srv6)
		nep_stamp_tlv_put(tmp, sizeof(tmp), &off, 0,
			NEP_STAMP_RP_SUB_SRV6, in->sids[0],
			(uint16_t)(16 * in->n_sids));
	if (off > cap)
		return NEP_STAMP_E_NO_SPACE;
	if (off != 0)
		memcpy(v, tmp, off);
	return (int)off;
}

/* ---- the Session-Reflector ---- */

/* Whether the caller can reply as rp asks (RFC 9503 4, 4.1.1). */
static bool
rp_usable(const struct nep_stamp_return_path *rp, uint8_t caps, bool *no_reply)
{
	*no_reply = false;
	if (rp->has_cc) {
		/* The other sub-TLVs are ignored then (4.1.1). */
		if (!(rp->cc & NEP_STAMP_RP_CC_REPLY)) {
			*no_reply = true;
			return true;
		}
		return (caps & NEP_STAMP_RP_CAN_SAME_LINK) != 0;
	}
	if (!rp->has_addr && !rp->has_mpls && !rp->has_srv6)
		return false;
	return (!rp->has_addr || (caps & NEP_STAMP_RP_CAN_ADDR)) &&
	       (!rp->has_mpls || (caps & NEP_STAMP_RP_CAN_MPLS)) &&
	       (!rp->has_srv6 || (caps & NEP_STAMP_RP_CAN_SRV6));
}

/*
 * Answer the TLVs already copied into tlv[0..len) (the request's), up to
 * the first malformed one (RFC 8972 4). verify: the HMAC TLV was checked.
 */
static void
reflect_tlvs(uint8_t *tlv, size_t len, bool verify,
	const struct nep_stamp_reflect_params *pr,
	struct nep_stamp_reflect_info *info)
{
	struct nep_stamp_tlv_iter it;
	struct nep_stamp_tlv t;
	bool seen_rp = false;
	int rc;

	nep_stamp_tlv_iter_init(&it, tlv, len);
	while ((rc = nep_stamp_tlv_next(&it, &t)) == 1) {
		uint8_t *h = tlv + t.off, *v = h + NEP_STAMP_TLV_HDR;
		struct nep_stamp_cos cos;
		struct nep_stamp_direct d;

		info->n_tlv++;
		switch (t.type) {
		case NEP_STAMP_TLV_PADDING:
			h[0] = 0;
			break;
		case NEP_STAMP_TLV_TS_INFO:
			/* Sub-TLVs after the four bytes: left as they came. */
			if (t.len < NEP_STAMP_TS_INFO_LEN)
				goto malformed;
			h[0] = 0;
			nep_stamp_ts_info_encode(&pr->ts_info, v);
			break;
		case NEP_STAMP_TLV_COS:
			if (t.len != NEP_STAMP_COS_LEN)
				goto malformed;
			h[0] = 0;
			nep_stamp_tlv_cos(&t, &cos);
			cos.dscp2 = pr->rx_tos >> 2;
			cos.ecn = pr->rx_tos & 3;
			cos.rp = pr->cos_allowed ? 0 : 1;
			nep_stamp_cos_encode(&cos, v);
			info->cos = true;
			info->reply_dscp =
				pr->cos_allowed ? cos.dscp1 : cos.dscp2;
			break;
		case NEP_STAMP_TLV_DIRECT:
			if (t.len != NEP_STAMP_DIRECT_LEN)
				goto malformed;
			h[0] = 0;
			nep_stamp_tlv_direct(&t, &d);
			d.r_rxc = pr->r_rxc;
			d.r_txc = pr->r_txc;
			nep_stamp_direct_encode(&d, v);
			break;
		case NEP_STAMP_TLV_HMAC:
			if (!verify)
				goto unknown;
			/* Checked already: in place, of length 16. */
			h[0] = 0;
			break;
		case NEP_STAMP_TLV_RETURN_PATH:
			if (seen_rp) {
				/* Only the first one counts (RFC 9503 4): the
				 * others are left unused, U. */
				h[0] = NEP_STAMP_TLV_F_U;
				break;
			}
			seen_rp = true;
			rc = nep_stamp_tlv_return_path(&t, &info->rp);
			if (rc == NEP_STAMP_E_BAD_TLV)
				goto malformed;
			info->has_return_path = true;
			info->rp_used =
				rc == 0 && rp_usable(&info->rp, pr->rp_caps,
						   &info->no_reply);
			h[0] = info->rp_used ? 0 : NEP_STAMP_TLV_F_U;
			break;
		default:
		unknown:
			/* Not ours to answer: copied, flagged Unrecognized. */
			h[0] = NEP_STAMP_TLV_F_U;
			info->n_unknown++;
			break;
		}
		continue;
	malformed:
		/* Flag it, leave it and the rest as they came (RFC 8972 4). */
		h[0] = NEP_STAMP_TLV_F_M;
		info->n_malformed++;
		return;
	}
	if (rc == NEP_STAMP_E_BAD_TLV) {
		/* Length past the end: flag it, leave the rest as it came. */
		tlv[t.off] = NEP_STAMP_TLV_F_M;
		info->n_tlv++;
		info->n_malformed++;
	} else if (rc == NEP_STAMP_E_TRUNCATED) {
		/* 1..3 stray bytes: no header to flag; mirrored as padding. */
		info->n_malformed++;
	}
}

/* RFC 8972 4.8 failure: every TLV copied with I, none answered. */
static void
flag_integrity(uint8_t *tlv, size_t len, struct nep_stamp_reflect_info *info)
{
	struct nep_stamp_tlv_iter it;
	struct nep_stamp_tlv t;
	int rc;

	info->tlv_integrity_failed = true;
	nep_stamp_tlv_iter_init(&it, tlv, len);
	while ((rc = nep_stamp_tlv_next(&it, &t)) == 1 ||
		rc == NEP_STAMP_E_BAD_TLV) {
		tlv[t.off] = NEP_STAMP_TLV_F_I;
		info->n_tlv++;
		if (rc != 1)
			break;
	}
	if (rc == NEP_STAMP_E_BAD_TLV || rc == NEP_STAMP_E_TRUNCATED)
		info->n_malformed++;
}

int
nep_stamp_reflect(const uint8_t *req, size_t len, uint8_t *out, size_t cap,
	const struct nep_stamp_reflect_params *pr,
	struct nep_stamp_reflect_info *info)
{
	struct nep_stamp_sender s;
	struct nep_stamp_reflector r;
	const struct layout *l;
	uint8_t *tlv;
	size_t tlen, hoff = SIZE_MAX;
	bool verify, failed = false;
	int rc;

	memset(info, 0, sizeof(*info));
	if (pr == NULL || !mode_ok(pr->mode) || pr->t3_ns < pr->t2_ns ||
		(pr->tsfmt != NEP_STAMP_TS_NTP &&
			pr->tsfmt != NEP_STAMP_TS_PTP))
		return NEP_STAMP_E_BAD_ARG;
	verify = pr->tlvs && (pr->mode == NEP_STAMP_AUTH || pr->hmac_tlv);
	if ((pr->mode == NEP_STAMP_AUTH || verify) &&
		(pr->auth == NULL || pr->auth->hmac == NULL))
		return NEP_STAMP_E_NO_KEY;
	l = &ref_lay[pr->mode];
	if (len < l->base)
		return NEP_STAMP_E_TRUNCATED;
	if (len > NEP_STAMP_MAX_LEN)
		return NEP_STAMP_E_BAD_ARG;
	if (cap < len)
		return NEP_STAMP_E_NO_SPACE;
	rc = nep_stamp_parse_sender(req, len, pr->mode,
		pr->mode == NEP_STAMP_AUTH ? pr->auth : NULL, &s);
	if (rc != 0)
		return rc;

	memset(&r, 0, sizeof(r));
	r.seq = pr->stateful ? pr->seq : s.seq;
	r.err = pr->err;
	r.err.z = pr->tsfmt;
	r.ts = nep_stamp_ts_from_ns(pr->tsfmt, pr->t3_ns);
	r.rx_ts = nep_stamp_ts_from_ns(pr->tsfmt, pr->t2_ns);
	r.ssid = s.ssid;
	r.s_seq = s.seq;
	r.s_ts = s.ts; /* as it came: t1 in the sender's own format */
	r.s_err = s.err;
	r.s_ttl = pr->rx_ttl;
	r.tlv = s.tlv;
	r.tlv_len = s.tlv_len;
	info->s_seq = s.seq;
	info->ssid = s.ssid;
	/* out is a copy of req from here: the TLVs are answered in place. */
	rc = build_prep(out, cap, pr->mode, s.tlv, s.tlv_len, pr->auth);
	if (rc != 0)
		return rc;
	tlv = out + l->base;
	tlen = len - l->base;
	if (verify) {
		/* RFC 8972 4.8: verified before any TLV is used. */
		uint8_t want[NEP_STAMP_HMAC_LEN];
		bool required;

		rc = hmac_tlv_find(tlv, tlen, &hoff, &required);
		if (rc == 1) {
			rc = tlv_hmac(pr->auth, req, tlv, hoff, want);
			if (rc != 0)
				return rc;
			failed = !same16(want, tlv + hoff + NEP_STAMP_TLV_HDR);
		} else {
			failed = rc != 0 ||
				 (pr->mode == NEP_STAMP_AUTH && required);
		}
	}
	put_reflector(out, l, &r);
	if (pr->tlvs) {
		if (failed)
			flag_integrity(tlv, tlen, info);
		else
			reflect_tlvs(tlv, tlen, verify, pr, info);
	}
	/* The reply's HMAC TLV, over the reply's Sequence Number and TLVs. */
	if (verify && hoff != SIZE_MAX &&
		rd16(tlv + hoff + 2) == NEP_STAMP_HMAC_TLV_LEN) {
		rc = tlv_hmac(pr->auth, out, tlv, hoff,
			tlv + hoff + NEP_STAMP_TLV_HDR);
		if (rc != 0)
			return rc;
		info->tlv_hmac = !failed;
	}
	/* The base HMAC covers bytes 0..95 only, so it can come last. */
	if (pr->mode == NEP_STAMP_AUTH) {
		rc = hmac16(pr->auth, out, out + NEP_STAMP_HMAC_COVER);
		if (rc != 0)
			return rc;
	}
	return (int)len;
}
