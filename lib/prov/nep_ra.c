/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "nep_ra.h"
#include "prov_util.h"

static const char *const err_names[NEP_RA_E_COUNT + 1] = {
#define NEP_RA_ERR_NAME(n, v, s) [-(v)] = s,
	NEP_RA_ERRS(NEP_RA_ERR_NAME)
#undef NEP_RA_ERR_NAME
};

const char *
nep_ra_err_name(int err)
{
	if (err > 0 || err < -NEP_RA_E_COUNT)
		return "unknown";
	return err == 0 ? "ok" : err_names[-err];
}

static void
mask_prefix(uint8_t pfx[16], uint8_t len)
{
	for (unsigned int i = 0; i < 16; i++) {
		if (len >= 8u * (i + 1))
			continue;
		if (len <= 8u * i)
			pfx[i] = 0;
		else
			pfx[i] &= (uint8_t)(0xff << (8u * (i + 1) - len));
	}
}

/* ---- build ---- */

static void
put_sllao(struct prov_w *w, const uint8_t mac[6])
{
	prov_w_u8(w, NEP_ND_OPT_SLLAO);
	prov_w_u8(w, 1);
	prov_w_bytes(w, mac, 6);
}

int
nep_ra_build(const struct nep_ra *ra, uint8_t *buf, size_t cap)
{
	struct prov_w w = {buf, cap, 0, false};

	if (ra->n_prefixes > NEP_RA_MAX_PREFIXES ||
		ra->n_rdnss > NEP_RA_MAX_RDNSS ||
		ra->n_dnssl > NEP_RA_MAX_DNSSL || ra->prf > 3 ||
		ra->prf == NEP_RA_PRF_RESERVED)
		return NEP_RA_E_BUILD_BAD_REQUEST;
	for (unsigned int i = 0; i < ra->n_prefixes; i++)
		if (ra->prefixes[i].len > 128)
			return NEP_RA_E_BUILD_BAD_REQUEST;

	prov_w_u8(&w, NEP_ICMP6_RA);
	prov_w_u8(&w, 0);  /* code */
	prov_w_u16(&w, 0); /* checksum: the caller's */
	prov_w_u8(&w, ra->cur_hop_limit);
	prov_w_u8(&w, (uint8_t)((ra->managed ? NEP_RA_FLAG_MANAGED : 0) |
				(ra->other ? NEP_RA_FLAG_OTHER : 0) |
				ra->prf << NEP_RA_PRF_SHIFT));
	prov_w_u16(&w, ra->router_lifetime);
	prov_w_u32(&w, ra->reachable_ms);
	prov_w_u32(&w, ra->retrans_ms);
	if (ra->has_sllao)
		put_sllao(&w, ra->sllao);
	if (ra->has_mtu) {
		prov_w_u8(&w, NEP_ND_OPT_MTU);
		prov_w_u8(&w, 1);
		prov_w_u16(&w, 0);
		prov_w_u32(&w, ra->mtu);
	}
	for (unsigned int i = 0; i < ra->n_prefixes; i++) {
		const struct nep_ra_prefix *x = &ra->prefixes[i];
		uint8_t pfx[16];

		memcpy(pfx, x->prefix, 16);
		mask_prefix(pfx, x->len);
		prov_w_u8(&w, NEP_ND_OPT_PREFIX_INFO);
		prov_w_u8(&w, 4);
		prov_w_u8(&w, x->len);
		prov_w_u8(&w,
			(uint8_t)((x->onlink ? NEP_RA_PI_ONLINK : 0) |
				  (x->autonomous ? NEP_RA_PI_AUTONOMOUS : 0)));
		prov_w_u32(&w, x->valid);
		prov_w_u32(&w, x->preferred);
		prov_w_u32(&w, 0); /* reserved */
		prov_w_bytes(&w, pfx, 16);
	}
	if (ra->n_rdnss != 0) {
		prov_w_u8(&w, NEP_ND_OPT_RDNSS);
		prov_w_u8(&w, (uint8_t)(1 + 2 * ra->n_rdnss));
		prov_w_u16(&w, 0);
		prov_w_u32(&w, ra->rdnss_lifetime);
		for (unsigned int i = 0; i < ra->n_rdnss; i++)
			prov_w_bytes(&w, ra->rdnss[i], 16);
	}
	if (ra->n_dnssl != 0) {
		size_t at = w.len, n;

		prov_w_u8(&w, NEP_ND_OPT_DNSSL);
		prov_w_u8(&w, 0); /* length, below */
		prov_w_u16(&w, 0);
		prov_w_u32(&w, ra->dnssl_lifetime);
		for (unsigned int i = 0; i < ra->n_dnssl; i++) {
			/* memchr: a name not terminated within its slot. */
			if (memchr(ra->dnssl[i], 0, NEP_PROV_NAME_MAX) ==
					NULL ||
				nep_prov_dns_encode(ra->dnssl[i], &w) < 0)
				return NEP_RA_E_BUILD_BAD_REQUEST;
		}
		/* Zero padding to 8 octets (RFC 8106 5.2). */
		while (!w.overflow && (w.len - at) % 8 != 0)
			prov_w_u8(&w, 0);
		n = (w.len - at) / 8;
		if (!w.overflow)
			buf[at + 1] = (uint8_t)n;
	}
	if (w.overflow)
		return NEP_RA_E_BUILD_NO_SPACE;
	return (int)w.len;
}

int
nep_rs_build(const uint8_t *sllao, uint8_t *buf, size_t cap)
{
	struct prov_w w = {buf, cap, 0, false};

	prov_w_u8(&w, NEP_ICMP6_RS);
	prov_w_u8(&w, 0);
	prov_w_u16(&w, 0);
	prov_w_u32(&w, 0);
	if (sllao != NULL)
		put_sllao(&w, sllao);
	if (w.overflow)
		return NEP_RA_E_BUILD_NO_SPACE;
	return (int)w.len;
}

/* ---- parse ---- */

static int
parse_opt(uint8_t type, const uint8_t *o, size_t olen, struct nep_ra *ra,
	bool *seen_rdnss, bool *seen_dnssl)
{
	uint32_t lt;

	switch (type) {
	case NEP_ND_OPT_SLLAO:
		if (!ra->has_sllao) {
			ra->has_sllao = true;
			memcpy(ra->sllao, o + 2, 6);
		}
		break;
	case NEP_ND_OPT_MTU:
		if (olen != 8)
			return NEP_RA_E_BAD_OPTION;
		if (!ra->has_mtu) {
			ra->has_mtu = true;
			ra->mtu = prov_get32(o + 4);
		}
		break;
	case NEP_ND_OPT_PREFIX_INFO: {
		struct nep_ra_prefix *x;

		if (olen != 32)
			return NEP_RA_E_BAD_OPTION;
		if (o[2] > 128)
			return NEP_RA_E_BAD_PREFIX_LEN;
		if (ra->n_prefixes >= NEP_RA_MAX_PREFIXES)
			break;
		x = &ra->prefixes[ra->n_prefixes++];
		x->len = o[2];
		x->onlink = o[3] & NEP_RA_PI_ONLINK;
		x->autonomous = o[3] & NEP_RA_PI_AUTONOMOUS;
		x->valid = prov_get32(o + 4);
		x->preferred = prov_get32(o + 8);
		memcpy(x->prefix, o + 16, 16);
		mask_prefix(x->prefix, x->len);
		break;
	}
	case NEP_ND_OPT_RDNSS:
		/* 8 + 16 per address: an odd unit count of at least 3. */
		if (olen < 24 || (olen / 8) % 2 == 0)
			return NEP_RA_E_BAD_OPTION;
		lt = prov_get32(o + 4);
		if (!*seen_rdnss || lt < ra->rdnss_lifetime)
			ra->rdnss_lifetime = lt;
		*seen_rdnss = true;
		for (size_t off = 8;
			off < olen && ra->n_rdnss < NEP_RA_MAX_RDNSS; off += 16)
			memcpy(ra->rdnss[ra->n_rdnss++], o + off, 16);
		break;
	case NEP_ND_OPT_DNSSL:
		if (olen < 16)
			return NEP_RA_E_BAD_OPTION;
		lt = prov_get32(o + 4);
		if (!*seen_dnssl || lt < ra->dnssl_lifetime)
			ra->dnssl_lifetime = lt;
		*seen_dnssl = true;
		(void)nep_prov_dns_names(o + 8, olen - 8, &ra->dnssl[0][0],
			NEP_PROV_NAME_MAX, NEP_RA_MAX_DNSSL, &ra->n_dnssl);
		break;
	}
	return 0;
}

/* Walk the options of p[off..len); ra NULL: an RS, SLLAO only. */
static int
walk_opts(const uint8_t *p, size_t len, size_t off, struct nep_ra *ra,
	bool *has_sllao, uint8_t sllao[6])
{
	bool seen_rdnss = false, seen_dnssl = false;
	int rc;

	while (off < len) {
		size_t olen;

		if (len - off < 2)
			return NEP_RA_E_TRUNCATED;
		if (p[off + 1] == 0)
			return NEP_RA_E_ZERO_LEN_OPTION;
		olen = 8u * p[off + 1];
		if (olen > len - off)
			return NEP_RA_E_OPTION_OVERRUN;
		if (ra != NULL) {
			rc = parse_opt(p[off], p + off, olen, ra, &seen_rdnss,
				&seen_dnssl);
			if (rc < 0)
				return rc;
		} else if (p[off] == NEP_ND_OPT_SLLAO && !*has_sllao) {
			*has_sllao = true;
			memcpy(sllao, p + off + 2, 6);
		}
		off += olen;
	}
	return 0;
}

int
nep_ra_parse(const uint8_t *p, size_t len, struct nep_ra *ra)
{
	uint8_t unused_mac[6];
	bool unused = false;
	int rc;

	memset(ra, 0, sizeof(*ra));
	if (len < NEP_RA_HDR_LEN)
		return NEP_RA_E_TRUNCATED;
	if (p[0] != NEP_ICMP6_RA)
		return NEP_RA_E_BAD_TYPE;
	if (p[1] != 0)
		return NEP_RA_E_BAD_CODE;
	ra->cur_hop_limit = p[4];
	ra->managed = p[5] & NEP_RA_FLAG_MANAGED;
	ra->other = p[5] & NEP_RA_FLAG_OTHER;
	ra->prf = (p[5] >> NEP_RA_PRF_SHIFT) & 3;
	if (ra->prf == NEP_RA_PRF_RESERVED)
		ra->prf = NEP_RA_PRF_MEDIUM;
	ra->router_lifetime = prov_get16(p + 6);
	ra->reachable_ms = prov_get32(p + 8);
	ra->retrans_ms = prov_get32(p + 12);
	rc = walk_opts(p, len, NEP_RA_HDR_LEN, ra, &unused, unused_mac);
	if (rc < 0)
		memset(ra, 0, sizeof(*ra));
	return rc;
}

int
nep_rs_parse(const uint8_t *p, size_t len, bool *has_sllao, uint8_t sllao[6])
{
	int rc;

	*has_sllao = false;
	memset(sllao, 0, 6);
	if (len < NEP_RS_HDR_LEN)
		return NEP_RA_E_TRUNCATED;
	if (p[0] != NEP_ICMP6_RS)
		return NEP_RA_E_BAD_TYPE;
	if (p[1] != 0)
		return NEP_RA_E_BAD_CODE;
	rc = walk_opts(p, len, NEP_RS_HDR_LEN, NULL, has_sllao, sllao);
	if (rc < 0) {
		*has_sllao = false;
		memset(sllao, 0, 6);
	}
	return rc;
}
