/* SPDX-License-Identifier: BSD-3-Clause */
/* Authenticated UDP tunnel: header, replay window, nonce (no crypto). */
#include <string.h>

#include "nep_tunnel.h"

static const char *const rc_names[] = {
#define NEP_TUN_RC_NAME(n, s) [NEP_TUN_##n] = s,
	NEP_TUN_RCS(NEP_TUN_RC_NAME)
#undef NEP_TUN_RC_NAME
};

const char *
nep_tun_rc_name(enum nep_tun_rc rc)
{
	if ((unsigned int)rc >= NEP_TUN_RC_MAX)
		return "unknown";
	return rc_names[rc];
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, (uint32_t)v);
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void
nep_tun_hdr_encode(const struct nep_tun_hdr *h, uint8_t *buf)
{
	buf[NEP_TUN_OFF_VERSION] = NEP_TUN_VERSION;
	buf[NEP_TUN_OFF_TYPE] = h->type;
	buf[NEP_TUN_OFF_FLAGS] = 0;
	buf[NEP_TUN_OFF_PTYPE] = h->ptype;
	buf[NEP_TUN_OFF_KEY_ID] = h->key_id;
	buf[NEP_TUN_OFF_SUITE] = h->suite;
	put16(buf + NEP_TUN_OFF_LENGTH, h->length);
	put32(buf + NEP_TUN_OFF_SESSION, h->session_id);
	put64(buf + NEP_TUN_OFF_SEQ, h->seq);
}

static inline bool
type_known(uint8_t t)
{
	return t >= NEP_TUN_T_DATA && t <= NEP_TUN_T_REKEY_ACK;
}

enum nep_tun_rc
nep_tun_hdr_decode(const uint8_t *buf, uint32_t len, uint32_t max_payload,
	struct nep_tun_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (len < NEP_TUN_HDR_LEN)
		return NEP_TUN_ERR_TRUNCATED;
	h->version = buf[NEP_TUN_OFF_VERSION];
	h->type = buf[NEP_TUN_OFF_TYPE];
	h->flags = buf[NEP_TUN_OFF_FLAGS];
	h->ptype = buf[NEP_TUN_OFF_PTYPE];
	h->key_id = buf[NEP_TUN_OFF_KEY_ID];
	h->suite = buf[NEP_TUN_OFF_SUITE];
	h->length = get16(buf + NEP_TUN_OFF_LENGTH);
	h->session_id = get32(buf + NEP_TUN_OFF_SESSION);
	h->seq = get64(buf + NEP_TUN_OFF_SEQ);

	if (h->version != NEP_TUN_VERSION)
		return NEP_TUN_ERR_VERSION;
	if (!type_known(h->type))
		return NEP_TUN_ERR_TYPE;
	if (h->flags != 0)
		return NEP_TUN_ERR_FLAGS;
	if (nep_tun_tag_len(h->suite) == 0)
		return NEP_TUN_ERR_SUITE;
	if (h->session_id == 0)
		return NEP_TUN_ERR_SESSION;
	if (h->type == NEP_TUN_T_DATA) {
		if (h->ptype != NEP_TUN_P_IPV4 && h->ptype != NEP_TUN_P_IPV6)
			return NEP_TUN_ERR_PTYPE;
		if (h->length == 0)
			return NEP_TUN_ERR_PLEN;
	} else {
		if (h->ptype != NEP_TUN_P_NONE)
			return NEP_TUN_ERR_PTYPE;
		if (h->length != NEP_TUN_CTRL_LEN)
			return NEP_TUN_ERR_PLEN;
	}
	/* Both sides in 32 bits: length is 16 bits, the tag at most 32. */
	if (len != NEP_TUN_HDR_LEN + (uint32_t)h->length +
			   nep_tun_tag_len(h->suite))
		return NEP_TUN_ERR_LEN;
	if (h->length > max_payload)
		return NEP_TUN_ERR_OVERSIZE;
	return NEP_TUN_OK;
}

void
nep_tun_nonce(uint8_t key_id, uint8_t dir, uint64_t seq,
	uint8_t nonce[NEP_TUN_NONCE_LEN])
{
	nonce[0] = key_id;
	nonce[1] = dir;
	nonce[2] = 0;
	nonce[3] = 0;
	put64(nonce + 4, seq);
}

void
nep_tun_kdf_info(uint32_t session_id, uint8_t key_id, uint8_t dir,
	uint8_t suite, uint8_t info[NEP_TUN_KDF_INFO_LEN])
{
	put32(info, session_id);
	info[4] = key_id;
	info[5] = dir;
	info[6] = suite;
}

#define BLOCK_MASK (NEP_TUN_REPLAY_BLOCKS - 1)

void
nep_tun_replay_init(struct nep_tun_replay *r)
{
	memset(r, 0, sizeof(*r));
}

enum nep_tun_rc
nep_tun_replay_check(const struct nep_tun_replay *r, uint64_t seq)
{
	if (seq > r->top)
		return NEP_TUN_OK;
	if (r->top - seq >= NEP_TUN_REPLAY_WINDOW)
		return NEP_TUN_ERR_TOO_OLD;
	if (r->bits[(seq >> 6) & BLOCK_MASK] & (UINT64_C(1) << (seq & 63)))
		return NEP_TUN_ERR_DUPLICATE;
	return NEP_TUN_OK;
}

enum nep_tun_rc
nep_tun_replay_update(struct nep_tun_replay *r, uint64_t seq)
{
	enum nep_tun_rc rc = nep_tun_replay_check(r, seq);
	uint64_t blk, top_blk, n, i;

	if (rc != NEP_TUN_OK)
		return rc;
	if (seq > r->top) {
		/* Recycle the blocks the window slides over (RFC 6479). */
		top_blk = r->top >> 6;
		blk = seq >> 6;
		n = blk - top_blk;
		if (n > NEP_TUN_REPLAY_BLOCKS)
			n = NEP_TUN_REPLAY_BLOCKS;
		for (i = 1; i <= n; i++)
			r->bits[(top_blk + i) & BLOCK_MASK] = 0;
		r->top = seq;
	}
	r->bits[(seq >> 6) & BLOCK_MASK] |= UINT64_C(1) << (seq & 63);
	return NEP_TUN_OK;
}
