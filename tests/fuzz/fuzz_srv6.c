/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRv6 (lib/srv6): a parsed SRH lies inside the packet and is
 * consistent (segment list and TLVs within Hdr Ext Len, Segments Left
 * <= Last Entry + 1); End moves the DA to Segment List[SL-1], decrements
 * SL and the hop limit and changes nothing else; the fast decapsulation
 * finds the inner packet where the general one does; the fast flow label
 * is the general one; H.Encaps of a well-formed inner packet gives an
 * outer packet that parses, carries the inner one unchanged but for its
 * hop limit / TTL (IPv4 header checksum still right), and decapsulates
 * back to it; the fast H.Encaps writes the same bytes. Input: a control
 * byte, policy SIDs, then an IPv6 packet.
 */
#include "fuzz.h"

#include "nep_pkt.h"
#include "nep_srv6.h"

static void
check_parse(uint8_t *p, uint32_t len)
{
	struct nep_srv6_srh v, v2;
	enum nep_srv6_rc rc;
	uint8_t *q;
	uint32_t sl;

	rc = nep_srv6_parse(p, len, &v);
	FUZZ_CHECK(rc < NEP_SRV6_RC_MAX);
	if (rc != NEP_SRV6_OK)
		return;
	FUZZ_CHECK(v.srh_off >= 40 && v.srh_off + (uint32_t)v.srh_len <= len);
	FUZZ_CHECK(v.srh_len == 8u * (p[v.srh_off + 1] + 1u));
	FUZZ_CHECK(v.sids_off == v.srh_off + 8);
	FUZZ_CHECK(v.segments_left <= v.last_entry + 1u);
	FUZZ_CHECK(v.sids_off + 16u * (v.last_entry + 1u) <= v.tlv_off);
	FUZZ_CHECK(v.tlv_off + (uint32_t)v.tlv_len == v.srh_off + v.srh_len);
	FUZZ_CHECK(v.next_hdr == p[v.srh_off] && p[v.srh_off + 2] == 4 &&
		   v.segments_left == p[v.srh_off + 3] &&
		   v.last_entry == p[v.srh_off + 4]);

	/* End on a copy. */
	q = fuzz_dup(p, len);
	v2 = v;
	rc = nep_srv6_end(q, len, &v2);
	if (v.segments_left == 0) {
		FUZZ_CHECK(rc == NEP_SRV6_NO_NEXT_SEG);
		FUZZ_CHECK(memcmp(p, q, len) == 0);
	} else if (p[7] <= 1) {
		FUZZ_CHECK(rc == NEP_SRV6_HOP_LIMIT);
		FUZZ_CHECK(memcmp(p, q, len) == 0);
	} else {
		FUZZ_CHECK(rc == NEP_SRV6_OK);
		sl = v.segments_left - 1u;
		FUZZ_CHECK(v2.segments_left == sl && q[v.srh_off + 3] == sl);
		FUZZ_CHECK(q[7] == p[7] - 1);
		FUZZ_CHECK(memcmp(q + 24, nep_srv6_sid(p, &v, sl), 16) == 0);
		/* Nothing else moved. */
		q[7] = p[7];
		memcpy(q + 24, p + 24, 16);
		q[v.srh_off + 3] = p[v.srh_off + 3];
		FUZZ_CHECK(memcmp(p, q, len) == 0);
	}
	free(q);
}

static void
check_decap(const uint8_t *p, uint32_t len)
{
	uint32_t off = 0, fast, plen;
	uint8_t fam = 0;
	enum nep_srv6_rc rc;

	rc = nep_srv6_decap_locate(p, len, &off, &fam);
	FUZZ_CHECK(rc < NEP_SRV6_RC_MAX);
	if (rc == NEP_SRV6_OK)
		FUZZ_CHECK((fam == 6 && off + 40 <= len) ||
			   (fam == 4 && off + 20 <= len));
	if (len < 40 || (p[0] >> 4) != 6)
		return;
	plen = fuzz_get16(p + 4);
	if (plen + 40 > len)
		return;
	/* The fast path's caller hands it the packet as its payload
	 * length says and checks the inner version itself. */
	fast = nep_srv6_decap6_fast(p, plen + 40);
	if (fast != 0 && (p[fast] >> 4) == 6) {
		FUZZ_CHECK(rc == NEP_SRV6_OK && fam == 6 && off == fast);
	}
	if (rc == NEP_SRV6_OK && fam == 6 && len == plen + 40 &&
		(p[6] == 41 ||
			(p[6] == 43 && p[40] == 41 && p[42] == 4 &&
				8u * (p[41] + 1u) == 8 + 16 * (p[44] + 1u))))
		FUZZ_CHECK(fast == off);
}

static void
check_encap(const uint8_t *sids, unsigned n, bool reduced, uint8_t hl,
	const uint8_t *inner, uint32_t ilen, bool ip4)
{
	static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct nep_srv6_policy pol;
	uint32_t room = NEP_SRV6_MAX_HDR, ooff, olen, ioff, il;
	uint8_t *buf, *buf2, fam;
	enum nep_srv6_rc rc;

	if (nep_srv6_policy_init(&pol, src, (const uint8_t(*)[16])sids, n, hl,
		    reduced) != 0) {
		FUZZ_CHECK(n == 0 || n > NEP_SRV6_MAX_SIDS || hl == 0);
		return;
	}
	FUZZ_CHECK(pol.hdr_len == nep_srv6_encap_overhead(n, reduced));
	buf = malloc(room + ilen);
	if (buf == NULL)
		abort();
	memcpy(buf + room, inner, ilen);
	if (ip4) {
		/* A right header checksum, so the TTL update can be checked. */
		if (ilen >= 20 && (inner[0] >> 4) == 4 &&
			(inner[0] & 15) * 4u <= ilen)
			fuzz_put16(buf + room + 10,
				fuzz_cksum(buf + room, (inner[0] & 15) * 4u, 10,
					0));
	}
	buf2 = fuzz_dup(buf, room + ilen);
	rc = nep_srv6_encap(&pol, buf, room, ilen, &ooff, &olen);
	FUZZ_CHECK(rc < NEP_SRV6_RC_MAX);
	if (rc != NEP_SRV6_OK) {
		FUZZ_CHECK(memcmp(buf, buf2, room + ilen) == 0);
		goto out;
	}
	il = olen - pol.hdr_len;
	FUZZ_CHECK(ooff == room - pol.hdr_len && il <= ilen);
	FUZZ_CHECK(fuzz_get16(buf + ooff + 4) + 40u == olen);
	/* The inner packet is the input's but its hop limit / TTL. */
	if ((inner[0] >> 4) == 6) {
		FUZZ_CHECK(buf[room + 7] == inner[7] - 1);
		buf[room + 7]++;
		FUZZ_CHECK(memcmp(buf + room, inner, il) == 0);
		buf[room + 7]--;
	} else {
		uint32_t ihl = (inner[0] & 15) * 4u;

		FUZZ_CHECK((inner[0] >> 4) == 4);
		FUZZ_CHECK(buf[room + 8] == inner[8] - 1);
		/* A right header checksum stays the full computation's. */
		if (fuzz_fold(fuzz_sum16(buf2 + room, ihl, 0)) == 0xffff)
			FUZZ_CHECK(fuzz_get16(buf + room + 10) ==
				   fuzz_cksum(buf + room, ihl, 10, 0));
		FUZZ_CHECK(memcmp(buf + room + 12, inner + 12, il - 12) == 0);
	}
	/* Decapsulation finds it again, unless the SRH still has segments
	 * left (more than one SID in it: an End must come first). */
	rc = nep_srv6_decap_locate(buf + ooff, olen, &ioff, &fam);
	if (pol.hdr_len == 40 || (n == 1 && !reduced)) {
		FUZZ_CHECK(rc == NEP_SRV6_OK && ioff == pol.hdr_len &&
			   fam == ((inner[0] >> 4) == 6 ? 6 : 4));
	}
	/* The fast H.Encaps: same bytes (IPv6 inner, hop limit > 1). */
	if ((inner[0] >> 4) == 6) {
		uint32_t fl = nep_srv6_flow_label(buf2 + room, il);

		nep_srv6_encap6_fast(&pol, buf2 + room, il, fl);
		FUZZ_CHECK(memcmp(buf2 + ooff, buf + ooff, olen) == 0);
	}
out:
	free(buf);
	free(buf2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t ctl = fuzz_u8(&in), hl = fuzz_u8(&in);
	uint8_t sids[NEP_SRV6_MAX_SIDS + 1][16];
	unsigned n = (ctl & 15) % (NEP_SRV6_MAX_SIDS + 2);
	uint32_t len;
	uint8_t *p;

	for (unsigned i = 0; i < n && i <= NEP_SRV6_MAX_SIDS; i++) {
		fuzz_bytes(&in, sids[i], 16);
	}
	if (in.n > 4096)
		return 0;
	len = (uint32_t)in.n;
	p = fuzz_dup(in.p, in.n);
	check_parse(p, len);
	check_decap(p, len);
	/* The fast flow label of a plain TCP/UDP packet is the general one. */
	if (len >= 44 && (p[0] >> 4) == 6 && (p[6] == 6 || p[6] == 17) &&
		fuzz_get16(p + 4) + 40u <= len)
		FUZZ_CHECK(nep_srv6_flow_label6_l4(p) ==
			   nep_srv6_flow_label(p, len));
	check_encap(&sids[0][0], n, ctl & 0x10, hl, p, len, ctl & 0x20);
	free(p);
	return 0;
}
