/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "nep_srv6.h"

#define IP6_PLEN_OFF 4
#define IP6_NH_OFF 6
#define IP6_HL_OFF 7
#define IP6_DST_OFF 24
#define IP4_HLEN 20
#define PROTO_TCP 6
#define PROTO_UDP 17
/* Extension headers walked before giving up: a long chain is an attack. */
#define MAX_EXT_HDRS 8

static const char *const rc_names[] = {
#define NEP_SRV6_RC_NAME(n, s) [NEP_SRV6_##n] = s,
	NEP_SRV6_RCS(NEP_SRV6_RC_NAME)
#undef NEP_SRV6_RC_NAME
};

const char *
nep_srv6_rc_name(enum nep_srv6_rc rc)
{
	if ((unsigned int)rc >= NEP_SRV6_RC_MAX)
		return "unknown";
	return rc_names[rc];
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

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Outer IPv6 header sane and its payload within len: the usable length. */
static enum nep_srv6_rc
ip6_check(const uint8_t *ip6, uint32_t len, uint32_t *end)
{
	uint32_t plen;

	if (len < NEP_SRV6_IP6_HLEN)
		return NEP_SRV6_ERR_TRUNCATED;
	if ((ip6[0] >> 4) != 6)
		return NEP_SRV6_ERR_NOT_IP6;
	plen = get16(ip6 + IP6_PLEN_OFF);
	if (plen + NEP_SRV6_IP6_HLEN > len)
		return NEP_SRV6_ERR_TRUNCATED;
	*end = plen + NEP_SRV6_IP6_HLEN;
	return NEP_SRV6_OK;
}

/* Validate the SRH at off (end: first byte past the IPv6 packet). */
static enum nep_srv6_rc
srh_check(
	const uint8_t *ip6, uint32_t off, uint32_t end, struct nep_srv6_srh *v)
{
	const uint8_t *h = ip6 + off;
	uint32_t hlen, sids_len, t, tend;

	v->srh_off = (uint16_t)off;
	if (off + NEP_SRV6_SRH_FIXED > end) {
		v->err_off = (uint16_t)off;
		return NEP_SRV6_ERR_SRH_TRUNCATED;
	}
	if (h[2] != NEP_SRV6_RT_SRH) {
		v->err_off = (uint16_t)(off + 2);
		return NEP_SRV6_ERR_RT_TYPE;
	}
	hlen = 8u * (h[1] + 1u);
	v->next_hdr = h[0];
	v->segments_left = h[3];
	v->last_entry = h[4];
	v->flags = h[5];
	v->tag = get16(h + 6);
	v->srh_len = (uint16_t)hlen;
	v->sids_off = (uint16_t)(off + NEP_SRV6_SRH_FIXED);
	if (off + hlen > end) {
		v->err_off = (uint16_t)(off + 1);
		return NEP_SRV6_ERR_SRH_TRUNCATED;
	}
	/* Hdr Ext Len = 2 * (Last Entry + 1) + TLV bytes / 8. */
	sids_len = NEP_SRV6_SID_LEN * (v->last_entry + 1u);
	if (NEP_SRV6_SRH_FIXED + sids_len > hlen) {
		v->err_off = (uint16_t)(off + 1);
		return NEP_SRV6_ERR_HDR_LEN;
	}
	/* SL == LE + 1 is legal: H.Encaps.Red leaves the first SID out. */
	if (v->segments_left > v->last_entry + 1u) {
		v->err_off = (uint16_t)(off + 3);
		return NEP_SRV6_ERR_SL;
	}
	t = off + NEP_SRV6_SRH_FIXED + sids_len;
	tend = off + hlen;
	v->tlv_off = (uint16_t)t;
	v->tlv_len = (uint16_t)(tend - t);
	/* Pad1 is one byte; every other TLV (PadN included) is type, len. */
	while (t < tend) {
		if (ip6[t] == NEP_SRV6_TLV_PAD1) {
			t++;
			continue;
		}
		if (t + 2 > tend || t + 2u + ip6[t + 1] > tend) {
			v->err_off = (uint16_t)t;
			return NEP_SRV6_ERR_TLV;
		}
		t += 2u + ip6[t + 1];
	}
	v->err_off = 0;
	return NEP_SRV6_OK;
}

/*
 * Walk Hop-by-Hop and Destination Options headers from the fixed header:
 * *nh and *off end at the first other header.
 */
static enum nep_srv6_rc
skip_opts(const uint8_t *ip6, uint32_t end, uint8_t *nh, uint32_t *off,
	unsigned int *n)
{
	while (*nh == NEP_SRV6_NH_HOPOPTS || *nh == NEP_SRV6_NH_DSTOPTS) {
		if (++*n > MAX_EXT_HDRS)
			return NEP_SRV6_ERR_EXT_CHAIN;
		if (*off + 2 > end)
			return NEP_SRV6_ERR_TRUNCATED;
		*nh = ip6[*off];
		*off += 8u * (ip6[*off + 1] + 1u);
		if (*off > end)
			return NEP_SRV6_ERR_TRUNCATED;
	}
	return NEP_SRV6_OK;
}

enum nep_srv6_rc
nep_srv6_parse(const uint8_t *ip6, uint32_t len, struct nep_srv6_srh *v)
{
	enum nep_srv6_rc rc;
	uint32_t end, off = NEP_SRV6_IP6_HLEN;
	unsigned int n = 0;
	uint8_t nh;

	memset(v, 0, sizeof(*v));
	rc = ip6_check(ip6, len, &end);
	if (rc != NEP_SRV6_OK)
		return rc;
	nh = ip6[IP6_NH_OFF];
	rc = skip_opts(ip6, end, &nh, &off, &n);
	if (rc != NEP_SRV6_OK)
		return rc;
	if (nh != NEP_SRV6_NH_ROUTING)
		return NEP_SRV6_ERR_NO_SRH;
	return srh_check(ip6, off, end, v);
}

enum nep_srv6_rc
nep_srv6_end(uint8_t *ip6, uint32_t len, struct nep_srv6_srh *v)
{
	uint8_t *h = ip6 + v->srh_off;

	if ((uint32_t)v->srh_off + v->srh_len > len)
		return NEP_SRV6_ERR_SRH_TRUNCATED;
	/* RFC 8986 4.1 order: SL == 0 first, then the hop limit. */
	if (v->segments_left == 0)
		return NEP_SRV6_NO_NEXT_SEG;
	if (ip6[IP6_HL_OFF] <= 1)
		return NEP_SRV6_HOP_LIMIT;
	ip6[IP6_HL_OFF]--;
	v->segments_left--;
	h[3] = v->segments_left;
	memcpy(ip6 + IP6_DST_OFF, nep_srv6_sid(ip6, v, v->segments_left),
		NEP_SRV6_SID_LEN);
	return NEP_SRV6_OK;
}

enum nep_srv6_rc
nep_srv6_decap_locate(
	const uint8_t *ip6, uint32_t len, uint32_t *inner_off, uint8_t *family)
{
	struct nep_srv6_srh v;
	enum nep_srv6_rc rc;
	uint32_t end, off = NEP_SRV6_IP6_HLEN;
	unsigned int n = 0;
	uint8_t nh;

	rc = ip6_check(ip6, len, &end);
	if (rc != NEP_SRV6_OK)
		return rc;
	nh = ip6[IP6_NH_OFF];
	for (;;) {
		rc = skip_opts(ip6, end, &nh, &off, &n);
		if (rc != NEP_SRV6_OK)
			return rc;
		if (nh != NEP_SRV6_NH_ROUTING)
			break;
		if (++n > MAX_EXT_HDRS)
			return NEP_SRV6_ERR_EXT_CHAIN;
		rc = srh_check(ip6, off, end, &v);
		if (rc == NEP_SRV6_ERR_RT_TYPE) {
			/* RFC 8200 4.4: unknown type with SL 0 is skipped. */
			if (off + 4 > end || ip6[off + 3] != 0)
				return rc;
			nh = ip6[off];
			off += 8u * (ip6[off + 1] + 1u);
			if (off > end)
				return NEP_SRV6_ERR_TRUNCATED;
			continue;
		}
		if (rc != NEP_SRV6_OK)
			return rc;
		if (v.segments_left != 0)
			return NEP_SRV6_ERR_DECAP_SL;
		nh = v.next_hdr;
		off += v.srh_len;
	}
	if (nh == NEP_SRV6_NH_FRAGMENT)
		return NEP_SRV6_ERR_DECAP_FRAG;
	if (nh == NEP_SRV6_NH_IPV6) {
		if (off + NEP_SRV6_IP6_HLEN > end || (ip6[off] >> 4) != 6)
			return NEP_SRV6_ERR_DECAP_NO_INNER;
		*family = 6;
	} else if (nh == NEP_SRV6_NH_IPV4) {
		if (off + IP4_HLEN > end || (ip6[off] >> 4) != 4)
			return NEP_SRV6_ERR_DECAP_NO_INNER;
		*family = 4;
	} else {
		return NEP_SRV6_ERR_DECAP_NO_INNER;
	}
	*inner_off = off;
	return NEP_SRV6_OK;
}

int
nep_srv6_policy_init(struct nep_srv6_policy *p, const uint8_t src[16],
	const uint8_t sids[][16], unsigned int n_sids, uint8_t hop_limit,
	bool reduced)
{
	unsigned int in_srh, i;
	uint8_t *srh;

	if (n_sids == 0 || n_sids > NEP_SRV6_MAX_SIDS || hop_limit == 0)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	in_srh = reduced ? n_sids - 1 : n_sids;
	p->n_sids = (uint8_t)n_sids;
	p->reduced = reduced;
	p->hdr_len = (uint16_t)nep_srv6_encap_overhead(n_sids, reduced);

	p->hdr[0] = 0x60;
	p->hdr[IP6_HL_OFF] = hop_limit;
	memcpy(p->hdr + 8, src, 16);
	memcpy(p->hdr + IP6_DST_OFF, sids[0], 16);
	if (in_srh == 0) {
		p->nh_off = IP6_NH_OFF;
		return 0;
	}
	p->hdr[IP6_NH_OFF] = NEP_SRV6_NH_ROUTING;
	srh = p->hdr + NEP_SRV6_IP6_HLEN;
	p->nh_off = NEP_SRV6_IP6_HLEN;
	srh[1] = (uint8_t)(2 * in_srh); /* no TLVs */
	srh[2] = NEP_SRV6_RT_SRH;
	srh[3] = (uint8_t)(n_sids - 1); /* Segments Left */
	srh[4] = (uint8_t)(in_srh - 1); /* Last Entry */
	/* flags and tag stay 0 */
	/* Segment List[0] is the last SID; reduced mode drops sids[0]. */
	for (i = 0; i < in_srh; i++)
		memcpy(srh + NEP_SRV6_SRH_FIXED + NEP_SRV6_SID_LEN * i,
			sids[n_sids - 1 - i], NEP_SRV6_SID_LEN);
	return 0;
}

/* Incremental checksum update for one 16-bit word, RFC 1624 eqn. 3. */
static inline uint16_t
csum_replace16(uint16_t csum, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~csum + (uint32_t)(uint16_t)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline uint32_t
mix(uint32_t h, uint32_t w)
{
	h ^= w;
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

uint32_t
nep_srv6_flow_label(const uint8_t *in, uint32_t len)
{
	uint32_t h = 0x6a09e667u, l4 = 0, off, i;
	unsigned int n = 0;
	bool ports = false;
	uint8_t nh;

	if ((in[0] >> 4) == 6) {
		for (i = 8; i < 40; i += 4)
			h = mix(h, get32(in + i));
		nh = in[IP6_NH_OFF];
		off = NEP_SRV6_IP6_HLEN;
		while ((nh == NEP_SRV6_NH_HOPOPTS ||
			       nh == NEP_SRV6_NH_ROUTING ||
			       nh == NEP_SRV6_NH_DSTOPTS) &&
			n++ < MAX_EXT_HDRS && off + 2 <= len) {
			nh = in[off];
			off += 8u * (in[off + 1] + 1u);
		}
		ports = (nh == PROTO_TCP || nh == PROTO_UDP) && off + 4 <= len;
	} else {
		h = mix(h, get32(in + 12));
		h = mix(h, get32(in + 16));
		nh = in[9];
		off = 4u * (in[0] & 0xf);
		/* MF or a fragment offset: no ports in most fragments */
		ports = (nh == PROTO_TCP || nh == PROTO_UDP) &&
			(get16(in + 6) & 0x3fff) == 0 && off + 4 <= len;
	}
	h = mix(h, nh);
	if (ports) {
		l4 = get32(in + off);
		h = mix(h, l4);
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h &= 0xfffff;
	return h != 0 ? h : 1;
}

enum nep_srv6_rc
nep_srv6_encap(const struct nep_srv6_policy *p, uint8_t *buf, uint32_t off,
	uint32_t len, uint32_t *out_off, uint32_t *out_len)
{
	return nep_srv6_encap_label(p, buf, off, len, 0, out_off, out_len);
}

enum nep_srv6_rc
nep_srv6_encap_label(const struct nep_srv6_policy *p, uint8_t *buf,
	uint32_t off, uint32_t len, uint32_t fl, uint32_t *out_off,
	uint32_t *out_len)
{
	uint8_t *in = buf + off, *o, tc, nh;
	uint32_t ilen, ihl, plen;
	uint16_t old;

	if (len < 1)
		return NEP_SRV6_ERR_INNER;
	if ((in[0] >> 4) == 6) {
		if (len < NEP_SRV6_IP6_HLEN)
			return NEP_SRV6_ERR_INNER;
		ilen = get16(in + IP6_PLEN_OFF) + NEP_SRV6_IP6_HLEN;
		/* a zero payload length is a jumbogram: not carried */
		if (ilen == NEP_SRV6_IP6_HLEN || ilen > len)
			return NEP_SRV6_ERR_INNER;
		if (in[IP6_HL_OFF] <= 1)
			return NEP_SRV6_ERR_INNER_TTL;
		tc = (uint8_t)((in[0] & 0x0f) << 4 | in[1] >> 4);
		nh = NEP_SRV6_NH_IPV6;
	} else if ((in[0] >> 4) == 4) {
		if (len < IP4_HLEN)
			return NEP_SRV6_ERR_INNER;
		ihl = 4u * (in[0] & 0xf);
		ilen = get16(in + 2);
		if (ihl < IP4_HLEN || ilen < ihl || ilen > len)
			return NEP_SRV6_ERR_INNER;
		if (in[8] <= 1)
			return NEP_SRV6_ERR_INNER_TTL;
		tc = in[1];
		nh = NEP_SRV6_NH_IPV4;
	} else {
		return NEP_SRV6_ERR_INNER;
	}
	if (off < p->hdr_len)
		return NEP_SRV6_ERR_HEADROOM;
	plen = p->hdr_len - NEP_SRV6_IP6_HLEN + ilen;
	if (plen > UINT16_MAX)
		return NEP_SRV6_ERR_TOO_BIG;

	/* The label hashes the inner packet as it arrived. */
	if (fl == 0)
		fl = nep_srv6_flow_label(in, ilen);
	if (nh == NEP_SRV6_NH_IPV6) {
		in[IP6_HL_OFF]--;
	} else {
		/* TTL and protocol share the checksummed word at offset 8 */
		old = get16(in + 8);
		in[8]--;
		put16(in + 10,
			csum_replace16(get16(in + 10), old, get16(in + 8)));
	}

	o = in - p->hdr_len;
	memcpy(o, p->hdr, p->hdr_len);
	put32(o, 6u << 28 | (uint32_t)tc << 20 | fl);
	put16(o + IP6_PLEN_OFF, (uint16_t)plen);
	o[p->nh_off] = nh;
	*out_off = off - p->hdr_len;
	*out_len = p->hdr_len + ilen;
	return NEP_SRV6_OK;
}
