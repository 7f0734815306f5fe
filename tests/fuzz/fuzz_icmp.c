/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP error and echo builders (lib/pkt): every error built parses as a
 * well-formed packet with a right checksum (computed here independently),
 * goes back to the invoking packet's source, quotes exactly its first
 * bytes within the size limit, and is never built about an ICMP error,
 * a multicast or unspecified source or (IPv4) a later fragment. Echo
 * replies keep a right checksum. Input: a control byte, type, code,
 * parameter, source address, then the invoking L3 packet.
 */
#include "fuzz.h"

#include "nep_pkt.h"

/* Parse an L3 packet behind a synthetic Ethernet header. */
static enum nep_drop_reason
parse_l3(const uint8_t *l3, uint32_t len, uint16_t et, struct nep_pkt_info *pi,
	uint8_t **copy)
{
	uint8_t *f = malloc(14 + len);

	if (f == NULL)
		abort();
	memset(f, 0, 12);
	f[12] = (uint8_t)(et >> 8);
	f[13] = (uint8_t)et;
	memcpy(f + 14, l3, len);
	*copy = f;
	return nep_pkt_parse_full(f, 14 + len, pi);
}

static void
check_icmp6(const uint8_t *orig, uint32_t olen, uint8_t type, uint8_t code,
	uint32_t param, const uint8_t src[16], uint32_t cap)
{
	uint8_t *out = malloc(cap ? cap : 1), *f, *of;
	struct nep_pkt_info pi, opi;
	uint32_t n, quote, ps;
	bool is_err = false;

	if (out == NULL)
		abort();
	n = nep_icmp6_build_error(out, cap, orig, olen, type, code, param, src);
	/* The invoking packet as the receive path sees it. */
	if (olen >= 40 && parse_l3(orig, olen, RTE_ETHER_TYPE_IPV6, &opi,
				  &of) == NEP_DROP_NONE) {
		is_err = opi.has_l4 && opi.l4_proto == NEP_PROTO_ICMPV6 &&
			 of[opi.l4_off] < 128;
	} else if (olen >= 40) {
		/* Not parseable: at least the first header decides. */
		is_err = orig[6] == NEP_PROTO_ICMPV6 && olen > 40 &&
			 orig[40] < 128;
	}
	if (olen >= 40)
		free(of);
	if (n == 0)
		goto out;
	FUZZ_CHECK(olen >= 40);
	/* RFC 4443 2.4(e): never about an error, a multicast or an
	 * unspecified source. */
	FUZZ_CHECK(!is_err);
	FUZZ_CHECK(orig[8] != 0xff);
	FUZZ_CHECK(!nep_ip6_is_unspecified(orig + 8));
	FUZZ_CHECK(orig[24] != 0xff || type == NEP_ICMP6_PKT_TOO_BIG ||
		   (type == NEP_ICMP6_PARAM_PROB && code == 2));
	quote = olen < 1280 - 48 ? olen : 1280 - 48;
	FUZZ_CHECK(n == 48 + quote && n <= 1280 && n <= cap);
	FUZZ_CHECK(memcmp(out + 8, src, 16) == 0);
	FUZZ_CHECK(memcmp(out + 24, orig + 8, 16) == 0);
	FUZZ_CHECK(out[40] == type && out[41] == code);
	FUZZ_CHECK(((uint32_t)out[44] << 24 | (uint32_t)out[45] << 16 |
			   (uint32_t)out[46] << 8 | out[47]) == param);
	FUZZ_CHECK(memcmp(out + 48, orig, quote) == 0);
	ps = fuzz_sum16(out + 8, 32, 0) + NEP_PROTO_ICMPV6 + (n - 40);
	FUZZ_CHECK(fuzz_get16(out + 42) == fuzz_cksum(out + 40, n - 40, 2, ps));
	/* A multicast source is the fuzzer's (neptune's are unicast). */
	if (src[0] != 0xff) {
		FUZZ_CHECK(parse_l3(out, n, RTE_ETHER_TYPE_IPV6, &pi, &f) ==
			   NEP_DROP_NONE);
		FUZZ_CHECK(pi.family == 6 && pi.has_l4 &&
			   pi.l4_proto == NEP_PROTO_ICMPV6 && pi.l3_len == n);
		free(f);
	}
out:
	free(out);
}

static void
check_icmp4(const uint8_t *orig, uint32_t olen, uint8_t type, uint8_t code,
	uint32_t mtu, uint32_t src, uint32_t cap)
{
	uint8_t *out = malloc(cap ? cap : 1), *f;
	struct nep_pkt_info pi;
	uint32_t n, quote, ihl;

	if (out == NULL)
		abort();
	n = nep_icmp4_build_error(out, cap, orig, olen, type, code, mtu, src);
	if (n == 0)
		goto out;
	FUZZ_CHECK(olen >= 20);
	ihl = (orig[0] & 0xf) * 4u;
	/* RFC 1812 4.3.2.7: not about an ICMP error, a later fragment, a
	 * multicast or broadcast destination, a multicast or zero source. */
	FUZZ_CHECK(!(orig[9] == NEP_PROTO_ICMP && olen > ihl &&
		     orig[ihl] != 0 && orig[ihl] != 8));
	FUZZ_CHECK((fuzz_get16(orig + 6) & 0x1fff) == 0);
	FUZZ_CHECK((orig[16] & 0xf0) != 0xe0 && (orig[12] & 0xf0) != 0xe0);
	FUZZ_CHECK(memcmp(orig + 16, "\xff\xff\xff\xff", 4) != 0);
	FUZZ_CHECK(memcmp(orig + 12, "\0\0\0\0", 4) != 0);
	quote = olen < 576 - 28 ? olen : 576 - 28;
	FUZZ_CHECK(n == 28 + quote && n <= 576 && n <= cap);
	FUZZ_CHECK(fuzz_get16(out + 10) == fuzz_cksum(out, 20, 10, 0));
	FUZZ_CHECK(memcmp(out + 12, &src, 4) == 0);
	FUZZ_CHECK(memcmp(out + 16, orig + 12, 4) == 0);
	FUZZ_CHECK(out[20] == type && out[21] == code);
	FUZZ_CHECK(fuzz_get16(out + 22) == fuzz_cksum(out + 20, n - 20, 2, 0));
	FUZZ_CHECK(memcmp(out + 28, orig, quote) == 0);
	/* The error itself must pass neptune's own receive checks, save
	 * its source (0.0.0.0 or 127/8 here are the fuzzer's). */
	if (src != 0 && (out[12] & 0xf0) != 0xe0 && out[12] != 127 &&
		src != 0xffffffff) {
		FUZZ_CHECK(parse_l3(out, n, RTE_ETHER_TYPE_IPV4, &pi, &f) ==
			   NEP_DROP_NONE);
		FUZZ_CHECK(pi.family == 4 && pi.has_l4 &&
			   pi.l4_proto == NEP_PROTO_ICMP);
		free(f);
	}
out:
	free(out);
}

static void
check_echo(const uint8_t *in, uint32_t len, int family)
{
	uint8_t *p = fuzz_dup(in, len);
	uint32_t ps, ihl;

	if (family == 6) {
		if (len < 48)
			goto out;
		p[6] = NEP_PROTO_ICMPV6;
		fuzz_put16(p + 4, (uint16_t)(len - 40));
		p[40] = NEP_ICMP6_ECHO_REQUEST;
		ps = fuzz_sum16(p + 8, 32, 0) + NEP_PROTO_ICMPV6 + (len - 40);
		fuzz_put16(p + 42, fuzz_cksum(p + 40, len - 40, 2, ps));
		nep_icmp6_echo_to_reply(p, len);
		FUZZ_CHECK(p[40] == NEP_ICMP6_ECHO_REPLY);
		FUZZ_CHECK(memcmp(p + 8, in + 24, 16) == 0 &&
			   memcmp(p + 24, in + 8, 16) == 0);
		FUZZ_CHECK(
			fuzz_fold(fuzz_sum16(p + 40, len - 40, ps)) == 0xffff);
	} else {
		if (len < 28)
			goto out;
		p[0] = 0x45;
		ihl = 20;
		fuzz_put16(p + 2, (uint16_t)len);
		p[9] = NEP_PROTO_ICMP;
		fuzz_put16(p + 10, fuzz_cksum(p, 20, 10, 0));
		p[ihl] = NEP_ICMP4_ECHO_REQUEST;
		fuzz_put16(p + ihl + 2, fuzz_cksum(p + ihl, len - ihl, 2, 0));
		nep_icmp4_echo_to_reply(p, len);
		FUZZ_CHECK(p[ihl] == NEP_ICMP4_ECHO_REPLY);
		FUZZ_CHECK(fuzz_get16(p + 10) == fuzz_cksum(p, 20, 10, 0));
		/* As a receiver checks it: the sum over the message, its
		 * checksum included, is all ones. */
		FUZZ_CHECK(
			fuzz_fold(fuzz_sum16(p + ihl, len - ihl, 0)) == 0xffff);
	}
out:
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t ctl = fuzz_u8(&in), type = fuzz_u8(&in), code = fuzz_u8(&in);
	uint32_t param = fuzz_u32(&in), cap;
	uint8_t src[16];
	uint8_t *orig;
	uint32_t olen;

	fuzz_bytes(&in, src, sizeof(src));
	if (in.n > 2000)
		return 0;
	olen = (uint32_t)in.n;
	orig = fuzz_dup(in.p, in.n);
	/* Usually room for the whole error, sometimes too little. */
	cap = (ctl & 0x80) ? (uint32_t)param % 1400 : 2048;
	switch (ctl & 3) {
	case 0:
		check_icmp6(orig, olen, type, code, param, src, cap);
		break;
	case 1:
		check_icmp4(orig, olen, type, code, param & 0xffff,
			(uint32_t)src[0] << 24 | src[1] << 16 | src[2] << 8 |
				src[3],
			cap);
		break;
	case 2:
		check_echo(orig, olen, 6);
		break;
	default:
		check_echo(orig, olen, 4);
		break;
	}
	free(orig);
	return 0;
}
