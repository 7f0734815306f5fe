/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ILNP (lib/ilnp): the nonce walk stays inside the packet and points at
 * a real Nonce option of a Destination Options header; a Locator Update
 * that parses builds back to the same bytes (reserved bytes aside) and
 * any LU built parses to what was built; the ILNP checksum is the
 * standard ICMPv6 checksum (lib/pkt) with both locators zeroed; locator
 * rewrites keep the NID; the per-packet scheduler keeps every path
 * within one packet of its weighted share. Input: a control byte, then
 * a packet, an LU or a schedule.
 */
#include "fuzz.h"

#include "nep_ilnp.h"
#include "nep_pkt.h"

static void
check_find(const uint8_t *p, uint32_t len)
{
	struct nep_ilnp_info ii;
	uint32_t off = 40;
	uint8_t nh;
	bool in_dstopts = false;

	if (!nep_ilnp_find(p, len, &ii))
		return;
	FUZZ_CHECK(len >= 40);
	FUZZ_CHECK(ii.nonce_len == 4 || ii.nonce_len == 12);
	FUZZ_CHECK(ii.nonce_off >= 42 && ii.nonce_off + ii.nonce_len <= len);
	FUZZ_CHECK(p[ii.nonce_off - 2] == NEP_ILNP_OPT_NONCE &&
		   p[ii.nonce_off - 1] == ii.nonce_len);
	FUZZ_CHECK(
		ii.l4_off <= len && ii.l4_off >= ii.nonce_off + ii.nonce_len);
	/* The option lies in a Destination Options header of the chain. */
	nh = p[6];
	for (int i = 0; i < 8 && off < ii.l4_off; i++) {
		uint32_t end = off + 8 + p[off + 1] * 8u;

		if (ii.nonce_off >= off + 2 && ii.nonce_off < end)
			in_dstopts = nh == NEP_IP6_NH_DSTOPTS;
		nh = p[off];
		off = end;
	}
	FUZZ_CHECK(in_dstopts);
	FUZZ_CHECK(off == ii.l4_off && nh == ii.proto);
}

static void
check_lu(const uint8_t *src, const uint8_t *dst, const uint8_t *m, uint32_t len)
{
	struct nep_ilnp_lu lu, lu2;
	enum nep_ilnp_lu_rc rc;
	uint8_t out[8 + 12 * NEP_ILNP_LU_MAX], *ip;
	uint32_t n;
	uint16_t ck;

	rc = nep_ilnp_lu_decode(m, len, &lu);
	if (rc == NEP_ILNP_LU_OK) {
		FUZZ_CHECK(lu.n >= 1 && lu.n <= NEP_ILNP_LU_MAX &&
			   len == 8 + 12u * lu.n);
		FUZZ_CHECK(lu.operation == 1 || lu.operation == 2);
		n = nep_ilnp_lu_build(src, dst, &lu, out);
		FUZZ_CHECK(n == len);
		FUZZ_CHECK(memcmp(out + 4, m + 4, 2) == 0 &&
			   memcmp(out + 8, m + 8, len - 8) == 0 &&
			   out[0] == NEP_ILNP_ICMP_LU && out[1] == m[1]);
		FUZZ_CHECK(nep_ilnp_lu_parse(src, dst, out, n, &lu2) ==
			   NEP_ILNP_LU_OK);
		/* The input parses iff its checksum is the built one's, given
		 * the same type (the caller checked it) and reserved bytes. */
		rc = nep_ilnp_lu_parse(src, dst, m, len, &lu2);
		if (m[0] == NEP_ILNP_ICMP_LU && m[6] == 0 && m[7] == 0)
			FUZZ_CHECK((rc == NEP_ILNP_LU_OK) ==
				   (memcmp(out + 2, m + 2, 2) == 0));
	}
	/* The ILNP checksum: the ICMPv6 one with the locators zeroed. */
	if (len >= 4 && len <= 2000) {
		ip = calloc(1, 40 + len);
		if (ip == NULL)
			abort();
		ip[0] = 0x60;
		fuzz_put16(ip + 4, (uint16_t)len);
		ip[6] = NEP_PROTO_ICMPV6;
		memcpy(ip + 16, src + 8, 8);
		memcpy(ip + 32, dst + 8, 8);
		memcpy(ip + 40, m, len);
		ip[42] = ip[43] = 0;
		ck = nep_icmp6_cksum(
			(const struct rte_ipv6_hdr *)ip, ip + 40, len);
		FUZZ_CHECK(nep_ilnp_icmp6_cksum(src, dst, m, len) ==
			   (uint16_t)((ck & 0xff) << 8 | ck >> 8));
		free(ip);
	}
}

static void
check_drr(struct fuzz_in *in)
{
	struct nep_ilnp_drr d;
	uint8_t ids[NEP_ILNP_DRR_PATHS];
	uint32_t w[NEP_ILNP_DRR_PATHS], maxb = 0;
	unsigned n = fuzz_u8(in) % (NEP_ILNP_DRR_PATHS + 1);

	memset(&d, 0, sizeof(d));
	for (unsigned i = 0; i < n; i++) {
		ids[i] = (uint8_t)(i * 3 + 1);
		w[i] = fuzz_u8(in) % 16 + 1;
	}
	if (n == 0) {
		FUZZ_CHECK(nep_ilnp_drr_pick(&d, ids, w, 0, 100) == -1);
		return;
	}
	while (in->n >= 2) {
		uint32_t b = fuzz_u16(in) % 9000 + 1;
		int id = nep_ilnp_drr_pick(&d, ids, w, n, b);

		if (b > maxb)
			maxb = b;
		FUZZ_CHECK(
			id >= 0 && (id - 1) % 3 == 0 && (unsigned)id / 3 < n);
		/* sent[i]/w[i] - sent[j]/w[j] <= maxb/w[i], cross-multiplied.
		 */
		for (unsigned i = 0; i < n; i++)
			for (unsigned j = 0; j < n; j++)
				FUZZ_CHECK((__int128)d.sent[i] * w[j] -
						   (__int128)d.sent[j] * w[i] <=
					   (__int128)maxb * w[j]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t ctl = fuzz_u8(&in), src[16], dst[16], *p;
	uint64_t from, to, mask, loc;
	unsigned plen;

	switch (ctl & 3) {
	case 0:
		if (in.n > 4096)
			return 0;
		p = fuzz_dup(in.p, in.n);
		check_find(p, (uint32_t)in.n);
		free(p);
		break;
	case 1:
		fuzz_bytes(&in, src, 16);
		fuzz_bytes(&in, dst, 16);
		p = fuzz_dup(in.p, in.n);
		check_lu(src, dst, p, (uint32_t)in.n);
		free(p);
		break;
	case 2:
		check_drr(&in);
		break;
	default:
		plen = fuzz_u8(&in) % 64 + 1;
		mask = plen >= 64 ? UINT64_MAX : ~(UINT64_MAX >> plen);
		from = fuzz_u64(&in) & mask;
		to = fuzz_u64(&in) & mask;
		fuzz_bytes(&in, src, 16);
		memcpy(dst, src, 16);
		loc = nep_ilnp_ld64(src);
		if (nep_ilnp_addr_map(dst, from, to, mask)) {
			FUZZ_CHECK((loc & mask) == from);
			FUZZ_CHECK(memcmp(dst + 8, src + 8, 8) == 0);
			FUZZ_CHECK(nep_ilnp_ld64(dst) == ((loc & ~mask) | to));
			/* and back */
			FUZZ_CHECK(nep_ilnp_addr_map(dst, to, from, mask));
			FUZZ_CHECK(memcmp(dst, src, 16) == 0);
		} else {
			FUZZ_CHECK((loc & mask) != from);
			FUZZ_CHECK(memcmp(dst, src, 16) == 0);
		}
		break;
	}
	return 0;
}
