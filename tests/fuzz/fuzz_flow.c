/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow keys (lib/flow): for every frame the fast parsers take, the
 * register builders (nep_flow_kv_ip6_l4 / _ip4_l4) give the key
 * nep_flow_key_from_pkt() builds from the full parser's view, and their
 * hash is nep_flow_hash() of it; the in-memory variants and the key
 * compare agree. For any frame the full parser accepts the key is
 * canonical: zero padding, the family and protocol of the packet, IPv4
 * addresses zero beyond their 4 bytes, no ports for fragments. Input:
 * one Ethernet frame.
 */
#include "fuzz.h"

#include "nep_flow.h"

static void
check_fast(const uint8_t *l3, const struct nep_flow_key *ref, int family)
{
	struct nep_flow_kv v;
	struct nep_flow_key k;
	uint32_t h, h2;

	h = family == 6 ? nep_flow_kv_ip6_l4(l3, &v)
			: nep_flow_kv_ip4_l4(l3, &v);
	FUZZ_CHECK(memcmp(v.q, ref, sizeof(v.q)) == 0);
	FUZZ_CHECK(h == nep_flow_hash(ref));
	FUZZ_CHECK(nep_flow_key_eq_kv(ref, &v));
	memset(&k, 0xee, sizeof(k));
	h2 = family == 6 ? nep_flow_key_ip6_l4(l3, &k)
			 : nep_flow_key_ip4_l4(l3, &k);
	FUZZ_CHECK(h2 == h && memcmp(&k, ref, sizeof(k)) == 0);
	/* One differing word and the compare says so. */
	v.q[4] ^= 1;
	FUZZ_CHECK(!nep_flow_key_eq_kv(ref, &v));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f = fuzz_dup(data, size);
	static const uint8_t zero[16];
	struct nep_pkt_info pi;
	struct nep_flow_key k;
	uint32_t len = (uint32_t)size;
	uint8_t fl;

	if (size > 65535 || nep_pkt_parse_full(f, len, &pi) != NEP_DROP_NONE ||
		pi.family == 0) {
		free(f);
		return 0;
	}
	memset(&k, 0x5a, sizeof(k));
	fl = nep_flow_key_from_pkt(f, &pi, &k);
	FUZZ_CHECK(memcmp(k.pad, zero, sizeof(k.pad)) == 0);
	FUZZ_CHECK(k.family == pi.family && k.proto == pi.l4_proto);
	if (pi.family == 4)
		FUZZ_CHECK(memcmp(k.src + 4, zero, 12) == 0 &&
			   memcmp(k.dst + 4, zero, 12) == 0);
	if (!pi.has_l4 || pi.fragmented)
		FUZZ_CHECK(k.sport == 0 && k.dport == 0 && fl == 0);
	if (pi.l4_proto != NEP_PROTO_TCP)
		FUZZ_CHECK(fl == 0);
	if (pi.l4_proto != NEP_PROTO_TCP && pi.l4_proto != NEP_PROTO_UDP)
		FUZZ_CHECK(k.dport == 0);
	FUZZ_CHECK(nep_flow_hash(&k) == nep_flow_hash(&k));

	if (nep_pkt_ip6_l4_len(f, len) != 0)
		check_fast(f + NEP_ETH_HLEN, &k, 6);
	if (nep_pkt_ip4_l4_len(f, len) != 0)
		check_fast(f + NEP_ETH_HLEN, &k, 4);
	free(f);
	return 0;
}
