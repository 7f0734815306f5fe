/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "nep_nptv6.h"

static struct nep_prefix
pfx(const char *s, uint8_t len)
{
	struct nep_prefix p;

	memset(&p, 0, sizeof(p));
	p.addr.family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, s, p.addr.a), 1);
	p.len = len;
	return p;
}

static void
addr(const char *s, uint8_t a[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static void
assert_addr(const uint8_t a[16], const char *want)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t w[16];

	addr(want, w);
	if (memcmp(a, w, 16) != 0) {
		inet_ntop(AF_INET6, a, buf, sizeof(buf));
		fail_msg("got %s, want %s", buf, want);
	}
}

static void
mk(struct nep_nptv6 *t, const char *in, uint8_t lin, const char *out,
	uint8_t lout)
{
	struct nep_prefix i = pfx(in, lin), o = pfx(out, lout);

	assert_int_equal(nep_nptv6_init(t, &i, &o), 0);
}

/* Translate a -> want with SNPT, then back with DNPT. */
static void
roundtrip(const struct nep_nptv6 *t, const char *a, const char *want)
{
	uint8_t x[16], orig[16];

	addr(a, x);
	memcpy(orig, x, 16);
	assert_int_equal(nep_nptv6_snpt(t, x), 0);
	assert_addr(x, want);
	assert_int_equal(nep_nptv6_dnpt(t, x), 0);
	assert_memory_equal(x, orig, 16);
}

/* Plain one's-complement sum over bytes (network order words). */
static uint32_t
sum_bytes(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Transport checksum over the IPv6 pseudo-header and the L4 bytes. */
static uint16_t
l4_csum(const uint8_t src[16], const uint8_t dst[16], uint8_t nh,
	const uint8_t *l4, size_t len)
{
	uint32_t s = 0;
	uint16_t c;

	s = sum_bytes(s, src, 16);
	s = sum_bytes(s, dst, 16);
	s += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	s += nh;
	s = sum_bytes(s, l4, len);
	c = (uint16_t)~fold(s);
	return c == 0 ? 0xffff : c;
}

static uint16_t
addr_sum(const uint8_t a[16])
{
	uint16_t s = fold(sum_bytes(0, a, 16));

	return s == 0xffff ? 0 : s; /* 0 and 0xFFFF are the same value */
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t
rng(void)
{
	/* xorshift64*: deterministic test input */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void
test_golden_64(void **state)
{
	struct nep_nptv6 t;

	(void)state;
	mk(&t, "fd42:100:1::", 64, "2001:db8:1100:1::", 64);
	assert_int_equal(t.adj_out, 0xbf89);
	roundtrip(&t, "fd42:100:1::10", "2001:db8:1100:1:bf89::10");

	mk(&t, "fd42:100:1::", 64, "2001:db8:2200:1::", 64);
	roundtrip(&t, "fd42:100:1::10", "2001:db8:2200:1:ae89::10");

	mk(&t, "fd42:100:1::", 64, "2001:db8:3300:1::", 64);
	roundtrip(&t, "fd42:100:1::10", "2001:db8:3300:1:9d89::10");
}

/* RFC 6296 Appendix B: FD01:0203:0405::/48 <-> 2001:0DB8:0001::/48. */
static void
test_rfc_48(void **state)
{
	struct nep_nptv6 t;

	(void)state;
	mk(&t, "fd01:203:405::", 48, "2001:db8:1::", 48);
	assert_int_equal(t.plen, 48);
	assert_int_equal(t.adj_out, 0xd54f);
	roundtrip(&t, "fd01:203:405:1::1234", "2001:db8:1:d550::1234");
	/* Subnet 0 and the interface identifier is never touched. */
	roundtrip(&t, "fd01:203:405::ffff:ffff:ffff:ffff",
		"2001:db8:1:d54f:ffff:ffff:ffff:ffff");
}

static void
test_ffff_skip(void **state)
{
	struct nep_nptv6 t;

	(void)state;
	mk(&t, "fd42:100:1::", 64, "2001:db8:1100:1::", 64);
	roundtrip(&t, "fd42:100:1:0:ffff::10",
		"2001:db8:1100:1:ffff:bf89:0:10");
	roundtrip(&t, "fd42:100:1:0:ffff:ffff:ffff:10",
		"2001:db8:1100:1:ffff:ffff:ffff:bf99");
	/* A result of 0xFFFF is written as 0: 0x4076 + 0xbf89 = 0xffff. */
	roundtrip(&t, "fd42:100:1:0:4076::10", "2001:db8:1100:1::10");
	roundtrip(&t, "fd42:100:1::", "2001:db8:1100:1:bf89::");
}

static void
test_unmappable(void **state)
{
	struct nep_nptv6 t;
	uint8_t a[16], orig[16];

	(void)state;
	mk(&t, "fd42:100:1::", 64, "2001:db8:1100:1::", 64);
	/* All interface-identifier words are 0xFFFF: nowhere to adjust. */
	addr("fd42:100:1:0:ffff:ffff:ffff:ffff", a);
	memcpy(orig, a, 16);
	assert_int_equal(nep_nptv6_snpt(&t, a), -1);
	assert_memory_equal(a, orig, 16);
	addr("2001:db8:1100:1:ffff:ffff:ffff:ffff", a);
	assert_int_equal(nep_nptv6_dnpt(&t, a), -1);
	/* Outside the prefix. */
	addr("fd42:100:2::10", a);
	assert_int_equal(nep_nptv6_snpt(&t, a), -1);
	addr("2001:db8:1100:2::10", a);
	assert_int_equal(nep_nptv6_dnpt(&t, a), -1);

	/* /48: subnet 0xFFFF cannot be mapped either way. */
	mk(&t, "fd01:203:405::", 48, "2001:db8:1::", 48);
	addr("fd01:203:405:ffff::1", a);
	memcpy(orig, a, 16);
	assert_int_equal(nep_nptv6_snpt(&t, a), -1);
	assert_memory_equal(a, orig, 16);
	addr("2001:db8:1:ffff::1", a);
	assert_int_equal(nep_nptv6_dnpt(&t, a), -1);
	/* ...but 0xFFFF in the IID is fine for /48. */
	roundtrip(&t, "fd01:203:405:1:ffff:ffff:ffff:ffff",
		"2001:db8:1:d550:ffff:ffff:ffff:ffff");
}

static void
test_init_invalid(void **state)
{
	struct nep_nptv6 t;
	struct nep_prefix i = pfx("fd42:100:1::", 64);
	struct nep_prefix o;

	(void)state;
	o = pfx("2001:db8:1100:1::", 65);
	assert_int_equal(nep_nptv6_init(&t, &i, &o), -EINVAL);
	o = pfx("2001:db8:1100:1::", 0);
	assert_int_equal(nep_nptv6_init(&t, &i, &o), -EINVAL);
	o = pfx("2001:db8:1100:1::1", 64);	/* host bits */
	assert_int_equal(nep_nptv6_init(&t, &i, &o), -EINVAL);
	o = pfx("2001:db8:1100:1::", 48);	/* host bits in word 3 */
	assert_int_equal(nep_nptv6_init(&t, &i, &o), -EINVAL);
	o = pfx("2001:db8:1100:1::", 64);
	o.addr.family = AF_INET;
	assert_int_equal(nep_nptv6_init(&t, &i, &o), -EINVAL);
	o = pfx("2001:db8:1100:1::", 64);
	assert_int_equal(nep_nptv6_init(&t, &i, &o), 0);
}

static void
test_prefix_match(void **state)
{
	struct nep_nptv6 t;
	uint8_t a[16];

	(void)state;
	mk(&t, "fd42:100:1::", 64, "2001:db8:1100::", 56);
	addr("fd42:100:1::10", a);
	assert_true(nep_nptv6_in_inside(&t, a));
	assert_false(nep_nptv6_in_outside(&t, a));
	addr("fd42:100:1:1::10", a);
	assert_false(nep_nptv6_in_inside(&t, a));
	addr("2001:db8:1100:ff::1", a);
	assert_true(nep_nptv6_in_outside(&t, a));
	addr("2001:db8:1100:100::1", a);
	assert_false(nep_nptv6_in_outside(&t, a));
}

/*
 * Different lengths: L = max, the shorter prefix is zero-extended to L and
 * only addresses in the extended prefix map.
 */
static void
test_mixed_lengths(void **state)
{
	struct nep_nptv6 t;
	uint8_t a[16];

	(void)state;
	/* /64 LAN into subnet 0 of a delegated /48: adjustment in word 4. */
	mk(&t, "fd42:100:1::", 64, "2001:db8:1::", 48);
	assert_int_equal(t.plen, 64);
	roundtrip(&t, "fd42:100:1::10", "2001:db8:1:0:d089::10");
	addr("2001:db8:1:5::10", a);	/* in the /48, not in the /64 */
	assert_true(nep_nptv6_in_outside(&t, a));
	assert_int_equal(nep_nptv6_dnpt(&t, a), -1);

	/* /48 ULA onto a delegated /56: only subnets 0x00xx map. */
	mk(&t, "fd01:203:405::", 48, "2001:db8:1:100::", 56);
	assert_int_equal(t.plen, 56);
	roundtrip(&t, "fd01:203:405:12::1", "2001:db8:1:112:d44f::1");
	addr("fd01:203:405:1200::1", a);
	assert_true(nep_nptv6_in_inside(&t, a));
	assert_int_equal(nep_nptv6_snpt(&t, a), -1);
}

/* Random addresses: SNPT then DNPT is the identity, sums are unchanged. */
static void
test_random_roundtrip(void **state)
{
	static const struct {
		const char *in, *out;
		uint8_t lin, lout;
	} cfg[] = {
		{ "fd42:100:1::", "2001:db8:1100:1::", 64, 64 },
		{ "fd01:203:405::", "2001:db8:1::", 48, 48 },
		{ "fd00::", "2001:db8::", 32, 32 },
		{ "fd01:203:405:6700::", "2001:db8:1:8900::", 56, 56 },
		{ "fd42:100:1::", "2001:db8:1::", 64, 48 },
		{ "fd01:203:405::", "2001:db8:1:100::", 48, 56 },
		{ "fdff:ffff:ffff:ffff::", "2001:db8:ffff:ffff::", 64, 64 },
	};
	unsigned int c, i, k, mapped = 0, refused = 0;
	struct nep_nptv6 t;
	uint8_t a[16], orig[16];

	(void)state;
	for (c = 0; c < RTE_DIM(cfg); c++) {
		mk(&t, cfg[c].in, cfg[c].lin, cfg[c].out, cfg[c].lout);
		for (i = 0; i < 50000; i++) {
			uint64_t r1 = rng(), r2 = rng();

			memcpy(a, t.inside, 16);
			nep_nptv6_store64(a, t.in_net | (r1 & ~t.mask));
			memcpy(a + 8, &r2, 8);
			/* Make the 0xFFFF paths likely. */
			for (k = 3; k < 8; k++)
				if ((rng() & 3) == 0 && (k > 3 || t.plen <= 48)) {
					a[2 * k] = 0xff;
					a[2 * k + 1] = 0xff;
				}
			memcpy(orig, a, 16);
			if (nep_nptv6_snpt(&t, a) != 0) {
				assert_memory_equal(a, orig, 16);
				refused++;
				continue;
			}
			mapped++;
			assert_true(nep_nptv6_in_outside(&t, a));
			assert_int_equal(addr_sum(a), addr_sum(orig));
			assert_int_equal(nep_nptv6_dnpt(&t, a), 0);
			assert_memory_equal(a, orig, 16);
		}
	}
	assert_true(mapped > 100000);
	assert_true(refused > 100);
}

/* Real UDP checksum over the pseudo-header, before and after SNPT. */
static void
test_udp_checksum_neutral(void **state)
{
	struct nep_nptv6 t;
	uint8_t src[16], dst[16], udp[64];
	uint16_t before, after;
	unsigned int i;

	(void)state;
	mk(&t, "fd42:100:1::", 64, "2001:db8:2200:1::", 64);
	for (i = 0; i < sizeof(udp); i++)
		udp[i] = (uint8_t)(i * 37 + 11);
	udp[4] = 0;
	udp[5] = sizeof(udp);
	udp[6] = udp[7] = 0;
	for (i = 0; i < 2000; i++) {
		uint64_t r = rng();

		addr("fd42:100:1::", src);
		memcpy(src + 8, &r, 8);
		addr("2001:db8:998:1::10", dst);
		before = l4_csum(src, dst, 17, udp, sizeof(udp));
		if (nep_nptv6_snpt(&t, src) != 0)
			continue;
		after = l4_csum(src, dst, 17, udp, sizeof(udp));
		assert_int_equal(before, after);
		/* Inbound reply: DNPT on the destination. */
		before = l4_csum(dst, src, 17, udp, sizeof(udp));
		assert_int_equal(nep_nptv6_dnpt(&t, src), 0);
		after = l4_csum(dst, src, 17, udp, sizeof(udp));
		assert_int_equal(before, after);
	}
}

/*
 * ICMPv6 error: outer header + [type code csum unused] + embedded IPv6
 * header + UDP. Returns the ICMPv6 length.
 */
static size_t
build_icmp6_err(uint8_t *m, uint8_t type, const char *isrc, const char *idst)
{
	uint8_t *ip6 = m + 8, *udp = m + 48;
	size_t i;

	memset(m, 0, 72);
	m[0] = type;
	ip6[0] = 0x60;
	ip6[5] = 16;		/* payload length */
	ip6[6] = 17;		/* UDP */
	ip6[7] = 63;
	addr(isrc, ip6 + 8);
	addr(idst, ip6 + 24);
	udp[0] = 0x30;
	udp[1] = 0x39;
	udp[2] = 0x00;
	udp[3] = 0x35;
	udp[5] = 16;
	for (i = 8; i < 16; i++)
		udp[i] = (uint8_t)(0xa0 + i);
	{
		uint16_t c = l4_csum(ip6 + 8, ip6 + 24, 17, udp, 16);

		udp[6] = (uint8_t)(c >> 8);
		udp[7] = (uint8_t)c;
	}
	return 72;
}

static void
set_csum(uint8_t *m, size_t len, const uint8_t src[16], const uint8_t dst[16])
{
	uint16_t c;

	m[2] = m[3] = 0;
	c = l4_csum(src, dst, 58, m, len);
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
}

/* A stored checksum is valid when the full sum folds to 0xFFFF. */
static int
csum_valid(const uint8_t src[16], const uint8_t dst[16], uint8_t nh,
	const uint8_t *l4, size_t len)
{
	uint32_t s = 0;

	s = sum_bytes(s, src, 16);
	s = sum_bytes(s, dst, 16);
	s += (uint32_t)len + nh;
	s = sum_bytes(s, l4, len);
	return fold(s) == 0xffff;
}

static void
test_icmp6_inner(void **state)
{
	struct nep_nptv6 t;
	uint8_t m[72], src[16], dst[16];
	size_t len;

	(void)state;
	mk(&t, "fd42:100:1::", 64, "2001:db8:1100:1::", 64);

	/*
	 * Egress: LAN host answers an inbound (already DNPT'ed) UDP packet
	 * with port unreachable. Embedded dst is the inside address.
	 */
	len = build_icmp6_err(m, 1, "2001:db8:998:1::10", "fd42:100:1::10");
	addr("fd42:100:1::10", src);
	addr("2001:db8:998:1::10", dst);
	set_csum(m, len, src, dst);
	assert_true(csum_valid(src, dst, 58, m, len));
	assert_int_equal(nep_nptv6_snpt(&t, src), 0);
	assert_int_equal(nep_nptv6_icmp6_inner(&t, m, len, NEP_NPTV6_EGRESS),
		1);
	assert_addr(m + 8 + 24, "2001:db8:1100:1:bf89::10");
	assert_addr(m + 8 + 8, "2001:db8:998:1::10");
	/* Same stored ICMPv6 checksum, still valid; embedded UDP too. */
	assert_true(csum_valid(src, dst, 58, m, len));
	assert_true(csum_valid(m + 16, m + 32, 17, m + 48, 16));

	/*
	 * Ingress: a router on the Internet reports time exceeded for a
	 * packet we sent after SNPT. Embedded src is the outside address.
	 */
	len = build_icmp6_err(m, 3, "2001:db8:1100:1:bf89::10",
		"2001:db8:998:1::10");
	addr("2001:db8:10:1::1", src);
	addr("2001:db8:1100:1:bf89::10", dst);
	set_csum(m, len, src, dst);
	assert_int_equal(nep_nptv6_dnpt(&t, dst), 0);
	assert_addr(dst, "fd42:100:1::10");
	assert_int_equal(nep_nptv6_icmp6_inner(&t, m, len, NEP_NPTV6_INGRESS),
		1);
	assert_addr(m + 8 + 8, "fd42:100:1::10");
	assert_true(csum_valid(src, dst, 58, m, len));
	assert_true(csum_valid(m + 16, m + 32, 17, m + 48, 16));

	/* Nothing to do: embedded address not in the prefix. */
	len = build_icmp6_err(m, 1, "2001:db8:998:1::10", "2001:db8:998:1::11");
	assert_int_equal(nep_nptv6_icmp6_inner(&t, m, len, NEP_NPTV6_EGRESS),
		0);
	/* Informational (echo request) is not touched. */
	m[0] = 128;
	assert_int_equal(nep_nptv6_icmp6_inner(&t, m, len, NEP_NPTV6_EGRESS),
		0);
	/* Truncated embedded header: drop rather than leak. */
	len = build_icmp6_err(m, 1, "2001:db8:998:1::10", "fd42:100:1::10");
	assert_int_equal(nep_nptv6_icmp6_inner(&t, m, 40, NEP_NPTV6_EGRESS),
		-1);
	/* Unmappable embedded address. */
	addr("fd42:100:1:0:ffff:ffff:ffff:ffff", m + 8 + 24);
	assert_int_equal(nep_nptv6_icmp6_inner(&t, m, len, NEP_NPTV6_EGRESS),
		-1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_64),
		cmocka_unit_test(test_rfc_48),
		cmocka_unit_test(test_ffff_skip),
		cmocka_unit_test(test_unmappable),
		cmocka_unit_test(test_init_invalid),
		cmocka_unit_test(test_prefix_match),
		cmocka_unit_test(test_mixed_lengths),
		cmocka_unit_test(test_random_roundtrip),
		cmocka_unit_test(test_udp_checksum_neutral),
		cmocka_unit_test(test_icmp6_inner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
