/* SPDX-License-Identifier: BSD-3-Clause */
/* ILNP Locator Updates and their checksum (nep_ilnp.h). */
#include "nep_ilnp.h"

static uint32_t
sum16(const uint8_t *p, uint32_t len, uint32_t s)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

uint16_t
nep_ilnp_icmp6_cksum(const uint8_t *src, const uint8_t *dst,
	const uint8_t *icmp, uint32_t len)
{
	/* the NIDs only: the locators (upper halves) count as zero */
	uint32_t s = sum16(src + 8, 8, 0);

	s = sum16(dst + 8, 8, s);
	s += len >> 16;
	s += len & 0xffff;
	s += NEP_IP6_NH_ICMPV6;
	s = sum16(icmp, 2, s);	/* type, code; the checksum taken as 0 */
	if (len > 4)
		s = sum16(icmp + 4, len - 4, s);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

enum nep_ilnp_lu_rc
nep_ilnp_lu_parse(const uint8_t *src, const uint8_t *dst, const uint8_t *icmp,
	uint32_t len, struct nep_ilnp_lu *lu)
{
	enum nep_ilnp_lu_rc rc = nep_ilnp_lu_decode(icmp, len, lu);

	if (rc != NEP_ILNP_LU_OK)
		return rc;
	if (nep_ilnp_icmp6_cksum(src, dst, icmp, len) !=
		(uint16_t)(icmp[2] << 8 | icmp[3]))
		return NEP_ILNP_LU_BAD_CHECKSUM;
	return NEP_ILNP_LU_OK;
}

enum nep_ilnp_lu_rc
nep_ilnp_lu_decode(const uint8_t *icmp, uint32_t len, struct nep_ilnp_lu *lu)
{
	unsigned n;

	if (len < NEP_ILNP_LU_HDR)
		return NEP_ILNP_LU_TRUNCATED;
	n = icmp[4];
	if (n == 0)
		return NEP_ILNP_LU_NO_LOCATORS;
	if (len != NEP_ILNP_LU_HDR + n * NEP_ILNP_LU_ENTRY)
		return NEP_ILNP_LU_BAD_LENGTH;
	if (n > NEP_ILNP_LU_MAX)
		return NEP_ILNP_LU_TOO_MANY;
	if (icmp[5] != NEP_ILNP_LU_ADVERT && icmp[5] != NEP_ILNP_LU_ACK)
		return NEP_ILNP_LU_BAD_OPERATION;
	lu->code = icmp[1];
	lu->operation = icmp[5];
	lu->n = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = icmp + NEP_ILNP_LU_HDR +
			i * NEP_ILNP_LU_ENTRY;

		lu->e[i].locator = nep_ilnp_ld64(e);
		lu->e[i].preference = (uint16_t)(e[8] << 8 | e[9]);
		lu->e[i].lifetime = (uint16_t)(e[10] << 8 | e[11]);
	}
	return NEP_ILNP_LU_OK;
}

uint32_t
nep_ilnp_lu_build(const uint8_t *src, const uint8_t *dst,
	const struct nep_ilnp_lu *lu, uint8_t *icmp)
{
	uint32_t len = NEP_ILNP_LU_HDR + lu->n * NEP_ILNP_LU_ENTRY;
	uint16_t ck;

	icmp[0] = NEP_ILNP_ICMP_LU;
	icmp[1] = lu->code;
	icmp[2] = icmp[3] = 0;
	icmp[4] = lu->n;
	icmp[5] = lu->operation;
	icmp[6] = icmp[7] = 0;
	for (unsigned i = 0; i < lu->n; i++) {
		uint8_t *e = icmp + NEP_ILNP_LU_HDR + i * NEP_ILNP_LU_ENTRY;

		nep_ilnp_st64(e, lu->e[i].locator);
		e[8] = (uint8_t)(lu->e[i].preference >> 8);
		e[9] = (uint8_t)lu->e[i].preference;
		e[10] = (uint8_t)(lu->e[i].lifetime >> 8);
		e[11] = (uint8_t)lu->e[i].lifetime;
	}
	ck = nep_ilnp_icmp6_cksum(src, dst, icmp, len);
	icmp[2] = (uint8_t)(ck >> 8);
	icmp[3] = (uint8_t)ck;
	return len;
}

const char *
nep_ilnp_lu_rc_name(enum nep_ilnp_lu_rc rc)
{
	static const char *const names[] = {
		[NEP_ILNP_LU_OK] = "ok",
		[NEP_ILNP_LU_TRUNCATED] = "ilnp_lu_truncated",
		[NEP_ILNP_LU_BAD_LENGTH] = "ilnp_lu_bad_length",
		[NEP_ILNP_LU_NO_LOCATORS] = "ilnp_lu_no_locators",
		[NEP_ILNP_LU_TOO_MANY] = "ilnp_lu_too_many_locators",
		[NEP_ILNP_LU_BAD_OPERATION] = "ilnp_lu_bad_operation",
		[NEP_ILNP_LU_BAD_CHECKSUM] = "ilnp_lu_bad_checksum",
	};

	return (unsigned)rc < sizeof(names) / sizeof(names[0]) ?
		names[rc] : "?";
}
