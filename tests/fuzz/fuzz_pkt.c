/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parsing (lib/pkt): the fast parsers the workers try first
 * (nep_pkt_ip6_l4_len, nep_pkt_parse_ip6_l4, nep_pkt_ip4_l4_len) against
 * the full one, both ways: what the fast one takes the full one accepts
 * with the same fields, and the full one's plain IPv6/IPv4 TCP/UDP
 * packets are what the fast one takes. The full parser's view must lie
 * inside the frame. Input: one Ethernet frame.
 */
#include "fuzz.h"

#include "nep_pkt.h"

static void
check_view(const struct nep_pkt_info *pi, size_t len)
{
	uint32_t end;

	FUZZ_CHECK(pi->l3_off == NEP_ETH_HLEN ||
		   pi->l3_off == NEP_ETH_HLEN + NEP_VLAN_HLEN);
	FUZZ_CHECK(pi->l3_off <= len);
	if (pi->family == 0) {
		FUZZ_CHECK(pi->ethertype == RTE_ETHER_TYPE_ARP);
		FUZZ_CHECK(pi->l3_off + 28u <= len);
		return;
	}
	FUZZ_CHECK(pi->family == 4 || pi->family == 6);
	end = pi->l3_off + pi->l3_len;
	FUZZ_CHECK(end <= len);
	FUZZ_CHECK(pi->l3_len >= (pi->family == 6 ? 40 : 20));
	FUZZ_CHECK(pi->l4_off >= pi->l3_off + (pi->family == 6 ? 40 : 20));
	FUZZ_CHECK(pi->l4_off <= end);
	FUZZ_CHECK(!pi->frag || pi->fragmented);
	FUZZ_CHECK(!(pi->frag && pi->has_l4));
	if (pi->has_l4) {
		uint32_t need = pi->l4_proto == NEP_PROTO_TCP ? 20 : 8;

		FUZZ_CHECK(pi->l4_proto == NEP_PROTO_TCP ||
			   pi->l4_proto == NEP_PROTO_UDP ||
			   pi->l4_proto == NEP_PROTO_ICMP ||
			   pi->l4_proto == NEP_PROTO_ICMPV6);
		FUZZ_CHECK(pi->l4_off + need <= end);
	}
}

static bool
same_view(const struct nep_pkt_info *a, const struct nep_pkt_info *b)
{
	return a->ethertype == b->ethertype && a->l3_off == b->l3_off &&
	       a->l4_off == b->l4_off && a->l3_len == b->l3_len &&
	       a->family == b->family && a->l4_proto == b->l4_proto &&
	       a->has_l4 == b->has_l4 && a->frag == b->frag &&
	       a->fragmented == b->fragmented && a->vlan == b->vlan;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f = fuzz_dup(data, size);
	struct nep_pkt_info full, fast, any;
	enum nep_drop_reason r, r2;
	uint32_t len = (uint32_t)size, l6, l4;
	bool plain;

	if (size > 65535) {
		free(f);
		return 0;
	}
	r = nep_pkt_parse_full(f, len, &full);
	FUZZ_CHECK(r < NEP_DROP_MAX);
	if (r == NEP_DROP_NONE)
		check_view(&full, size);
	/* Deterministic: the same bytes, the same answer. */
	r2 = nep_pkt_parse_full(f, len, &any);
	FUZZ_CHECK(r2 == r && (r != NEP_DROP_NONE || same_view(&any, &full)));

	l6 = nep_pkt_ip6_l4_len(f, len);
	if (l6 != 0) {
		FUZZ_CHECK(r == NEP_DROP_NONE);
		FUZZ_CHECK(full.family == 6 && full.l3_off == NEP_ETH_HLEN &&
			   full.l3_len == l6 && full.l4_off == 54 &&
			   full.has_l4 && !full.fragmented && full.vlan == 0 &&
			   (full.l4_proto == NEP_PROTO_TCP ||
				   full.l4_proto == NEP_PROTO_UDP));
	}
	FUZZ_CHECK(nep_pkt_parse_ip6_l4(f, len, &fast) == (l6 != 0));
	if (l6 != 0)
		FUZZ_CHECK(same_view(&fast, &full));
	/* The other way: a plain untagged IPv6 TCP/UDP packet is the fast
	 * parser's, or the workers' fast path silently loses it. */
	plain = r == NEP_DROP_NONE && full.family == 6 &&
		full.l3_off == NEP_ETH_HLEN && full.l4_off == 54 &&
		full.has_l4 && !full.fragmented &&
		(full.l4_proto == NEP_PROTO_TCP ||
			full.l4_proto == NEP_PROTO_UDP);
	FUZZ_CHECK(plain == (l6 != 0));

	l4 = nep_pkt_ip4_l4_len(f, len);
	if (l4 != 0) {
		FUZZ_CHECK(r == NEP_DROP_NONE);
		FUZZ_CHECK(full.family == 4 && full.l3_off == NEP_ETH_HLEN &&
			   full.l3_len == l4 && full.l4_off == 34 &&
			   full.has_l4 && !full.fragmented &&
			   l4 + NEP_ETH_HLEN == len &&
			   (full.l4_proto == NEP_PROTO_TCP ||
				   full.l4_proto == NEP_PROTO_UDP));
	}
	plain = r == NEP_DROP_NONE && full.family == 4 &&
		full.l3_off == NEP_ETH_HLEN && full.l4_off == 34 &&
		full.has_l4 && !full.fragmented &&
		full.l3_len + NEP_ETH_HLEN == len &&
		(full.l4_proto == NEP_PROTO_TCP ||
			full.l4_proto == NEP_PROTO_UDP);
	FUZZ_CHECK(plain == (l4 != 0));

	/* nep_pkt_parse() is the fast parser, then the full one. */
	r2 = nep_pkt_parse(f, len, &any);
	FUZZ_CHECK(r2 == r && (r != NEP_DROP_NONE || same_view(&any, &full)));

	/* MSS clamping keeps a right TCP checksum right. */
	if (r == NEP_DROP_NONE && full.has_l4 &&
		full.l4_proto == NEP_PROTO_TCP && !full.fragmented) {
		uint8_t *tcp = f + full.l4_off;
		uint32_t tlen = full.l3_off + full.l3_len - full.l4_off;
		uint32_t ps;
		uint16_t mss = (uint16_t)(536 + (f[len - 1] << 2));

		if (full.family == 6)
			ps = fuzz_sum16(f + full.l3_off + 8, 32, 0);
		else
			ps = fuzz_sum16(f + full.l3_off + 12, 8, 0);
		ps += NEP_PROTO_TCP + tlen;
		fuzz_put16(tcp + 16, fuzz_cksum(tcp, tlen, 16, ps));
		if (nep_tcp_clamp_mss(tcp, tlen, mss))
			FUZZ_CHECK(fuzz_get16(tcp + 16) ==
				   fuzz_cksum(tcp, tlen, 16, ps));
	}
	free(f);
	return 0;
}
