/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ND options and messages (lib/pkt): nep_nd_find_lladdr() against a
 * reference walk of RFC 4861 4.6 (every option length non-zero and in
 * bounds, the first option of the type wins), and the NS/NA/echo
 * builders: a message that parses, right checksum, hop limit 255, the
 * link-layer option that nep_nd_find_lladdr() finds again. Input: the
 * option type looked for, addresses, a MAC, then the options.
 */
#include "fuzz.h"

#include "nep_pkt.h"

static int
ref_find(const uint8_t *o, uint32_t len, uint8_t type, uint8_t mac[6])
{
	int found = -1;

	for (uint32_t off = 0; off < len;) {
		uint32_t olen;

		if (len - off < 2)
			return -2; /* a lone byte: malformed */
		olen = o[off + 1] * 8u;
		if (olen == 0 || olen > len - off)
			return -2;
		if (o[off] == type && found < 0) {
			memcpy(mac, o + off + 2, 6);
			found = 0;
		}
		off += olen;
	}
	return found;
}

static void
check_msg(const uint8_t *m, uint32_t n, uint8_t type, const uint8_t *src,
	const uint8_t *dst, uint8_t opt, const uint8_t *mac)
{
	uint8_t *f = malloc(14 + n), got[6];
	struct nep_pkt_info pi;
	uint32_t ps;

	if (f == NULL)
		abort();
	FUZZ_CHECK(n >= 48);
	memset(f, 0, 12);
	f[12] = 0x86;
	f[13] = 0xdd;
	memcpy(f + 14, m, n);
	/* A multicast source is the fuzzer's: the parser rightly refuses. */
	if (src[0] != 0xff) {
		FUZZ_CHECK(nep_pkt_parse_full(f, 14 + n, &pi) == NEP_DROP_NONE);
		FUZZ_CHECK(pi.has_l4 && pi.l4_proto == NEP_PROTO_ICMPV6 &&
			   pi.l3_len == n);
	}
	FUZZ_CHECK(m[40] == type);
	FUZZ_CHECK(memcmp(m + 8, src, 16) == 0 && memcmp(m + 24, dst, 16) == 0);
	ps = fuzz_sum16(m + 8, 32, 0) + NEP_PROTO_ICMPV6 + (n - 40);
	FUZZ_CHECK(fuzz_get16(m + 42) == fuzz_cksum(m + 40, n - 40, 2, ps));
	if (type == NEP_ICMP6_NS || type == NEP_ICMP6_NA) {
		FUZZ_CHECK(m[7] == 255);
		FUZZ_CHECK(nep_nd_find_lladdr(m + 64, n - 64, opt, got) == 0);
		FUZZ_CHECK(memcmp(got, mac, 6) == 0);
	}
	free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t type = fuzz_u8(&in), flags = fuzz_u8(&in);
	uint8_t src[16], dst[16], tgt[16], mac[6], m1[6], m2[6];
	uint8_t out[1600], *opts;
	uint16_t plen;
	int r1, r2;
	uint32_t n;

	fuzz_bytes(&in, src, 16);
	fuzz_bytes(&in, dst, 16);
	fuzz_bytes(&in, tgt, 16);
	fuzz_bytes(&in, mac, 6);
	plen = fuzz_u16(&in) % 1000;

	opts = fuzz_dup(in.p, in.n);
	memset(m1, 0xa5, 6);
	memcpy(m2, m1, 6);
	r1 = nep_nd_find_lladdr(opts, (uint32_t)in.n, type, m1);
	r2 = ref_find(opts, (uint32_t)in.n, type, m2);
	/* Options shorter than 8 bytes are malformed anyway; the MAC of a
	 * found one comes from inside it. */
	FUZZ_CHECK(r1 == r2);
	if (r1 == 0)
		FUZZ_CHECK(memcmp(m1, m2, 6) == 0);
	free(opts);

	n = nep_nd_build_ns(out, sizeof(out), src, dst, tgt, mac);
	check_msg(out, n, NEP_ICMP6_NS, src, dst, 1, mac);
	n = nep_nd_build_na(
		out, sizeof(out), src, dst, tgt, mac, flags & 1, flags & 2);
	check_msg(out, n, NEP_ICMP6_NA, src, dst, 2, mac);
	FUZZ_CHECK((out[44] & 0x40) == ((flags & 1) ? 0x40 : 0) &&
		   (out[44] & 0x80) == ((flags & 2) ? 0x80 : 0) &&
		   (out[44] & 0x20));
	FUZZ_CHECK(memcmp(out + 48, tgt, 16) == 0);
	n = nep_icmp6_build_echo(out, sizeof(out), src, dst, 7, plen, plen);
	FUZZ_CHECK(n == 48u + plen);
	check_msg(out, n, NEP_ICMP6_ECHO_REQUEST, src, dst, 0, NULL);
	/* Too little room: nothing built. */
	FUZZ_CHECK(nep_nd_build_ns(out, 71, src, dst, tgt, mac) == 0);
	FUZZ_CHECK(nep_icmp6_build_echo(
			   out, 47u + plen, src, dst, 1, 1, plen) == 0);
	return 0;
}
