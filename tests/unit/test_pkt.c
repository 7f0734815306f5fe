/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser, checksum helpers and builders (no EAL). Checksums are
 * verified with an independent big-endian reference implementation so a
 * mistake shared by the builder and nep_icmp6_cksum cannot hide.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nep_pkt.h"

static uint8_t fr[2048] __attribute__((aligned(8)));
static uint8_t out[2048] __attribute__((aligned(8)));

/* ---- frame helpers ---- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
pton6(const char *s, uint8_t *a)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static uint32_t
pton4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* Reference one's-complement sum of big-endian 16-bit words. */
static uint32_t
ref_sum(const uint8_t *p, uint32_t n, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* An IPv6 packet (l3) carrying ICMPv6 right after the header checks out. */
static bool
ref_icmp6_ok(const uint8_t *l3)
{
	uint32_t plen = get16(l3 + 4), sum;

	sum = ref_sum(l3 + 8, 32, 0);
	sum += plen;
	sum += NEP_PROTO_ICMPV6;
	sum = ref_sum(l3 + NEP_IP6_HLEN, plen, sum);
	return sum == 0xffff;
}

static bool
ref_inet_ok(const uint8_t *p, uint32_t n)
{
	return ref_sum(p, n, 0) == 0xffff;
}

static void
ip4_fix(uint8_t *h)
{
	uint32_t ihl = (h[0] & 0xf) * 4u;

	h[10] = h[11] = 0;
	put16(h + 10, (uint16_t)~ref_sum(h, ihl, 0));
}

static void
eth(uint8_t *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	memcpy(f, macs, 12);
	put16(f + 12, type);
}

/* Ethernet + IPv6 header; returns a pointer to the byte after it. */
static uint8_t *
ip6(uint8_t *f, uint16_t plen, uint8_t nh, const char *src, const char *dst)
{
	uint8_t *h = f + NEP_ETH_HLEN;

	eth(f, RTE_ETHER_TYPE_IPV6);
	memset(h, 0, NEP_IP6_HLEN);
	h[0] = 0x60;
	put16(h + 4, plen);
	h[6] = nh;
	h[7] = 64;
	pton6(src, h + 8);
	pton6(dst, h + 24);
	return h + NEP_IP6_HLEN;
}

/* Ethernet + IPv4 header of ihl 32-bit words with a valid checksum. */
static uint8_t *
ip4(uint8_t *f, uint8_t ihl, uint16_t tot, uint8_t proto, const char *src,
	const char *dst)
{
	uint8_t *h = f + NEP_ETH_HLEN;
	uint32_t a;

	eth(f, RTE_ETHER_TYPE_IPV4);
	memset(h, 0, ihl * 4u);
	h[0] = (uint8_t)(0x40 | ihl);
	put16(h + 2, tot);
	put16(h + 4, 0x1234);
	h[8] = 64;
	h[9] = proto;
	a = pton4(src);
	memcpy(h + 12, &a, 4);
	a = pton4(dst);
	memcpy(h + 16, &a, 4);
	ip4_fix(h);
	return h + ihl * 4u;
}

static void
tcp(uint8_t *l4, uint16_t sp, uint16_t dp, uint8_t doff_words, uint8_t flags)
{
	memset(l4, 0, 20);
	put16(l4, sp);
	put16(l4 + 2, dp);
	l4[12] = (uint8_t)(doff_words << 4);
	l4[13] = flags;
}

static void
udp(uint8_t *l4, uint16_t sp, uint16_t dp, uint16_t len)
{
	memset(l4, 0, 8);
	put16(l4, sp);
	put16(l4 + 2, dp);
	put16(l4 + 4, len);
}

#define A6S "2001:db8:1::10"
#define A6D "2001:db8:2::20"

static enum nep_drop_reason
parse(uint32_t len, struct nep_pkt_info *pi)
{
	return nep_pkt_parse(fr, len, pi);
}

static void
assert_same_info(const struct nep_pkt_info *a, const struct nep_pkt_info *b)
{
	assert_int_equal(a->ethertype, b->ethertype);
	assert_int_equal(a->l3_off, b->l3_off);
	assert_int_equal(a->l4_off, b->l4_off);
	assert_int_equal(a->l3_len, b->l3_len);
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->l4_proto, b->l4_proto);
	assert_int_equal(a->has_l4, b->has_l4);
	assert_int_equal(a->frag, b->frag);
	assert_int_equal(a->fragmented, b->fragmented);
	assert_int_equal(a->vlan, b->vlan);
}

/*
 * The inline IPv6 TCP/UDP parser must agree with the full one on every
 * frame: mutate the header bytes and lengths of good frames at random and
 * compare verdicts and results.
 */
static void
test_parse_fast_matches_full(void **state)
{
	static const uint8_t protos[] = { NEP_PROTO_TCP, NEP_PROTO_UDP,
		NEP_PROTO_ICMPV6, 0 /* hop-by-hop */, 44 /* fragment */ };
	uint32_t seed = 12345, fast = 0, good = 0, bad = 0;
	struct nep_pkt_info a, b;

	(void)state;
	for (unsigned i = 0; i < 200000; i++) {
		uint8_t proto = protos[i % RTE_DIM(protos)];
		uint32_t plen = 20 + (i / 7) % 60, len;
		uint8_t *l4;

		memset(fr, 0, 256);
		l4 = ip6(fr, (uint16_t)plen, proto, A6S, A6D);
		if (proto == NEP_PROTO_TCP)
			tcp(l4, 1000, 80, 5, 0x10);
		else if (proto == NEP_PROTO_UDP)
			udp(l4, 1000, 53, (uint16_t)plen);
		len = 14 + 40 + plen;
		/* Up to three random byte changes in the first 80 bytes, a
		 * random length change (truncation or padding). */
		for (unsigned k = 0; k < i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			unsigned off = 12 + (seed >> 8) % 68;
			seed = seed * 1103515245u + 12345u;
			fr[off] = (uint8_t)(seed >> 16);
		}
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 3 == 0)
			len = (len + (seed >> 20) % 40 + 20) % 160;
		bool took = nep_pkt_parse_ip6_l4(fr, len, &a);
		enum nep_drop_reason ra = nep_pkt_parse(fr, len, &a);
		enum nep_drop_reason rb = nep_pkt_parse_full(fr, len, &b);
		assert_int_equal(ra, rb);
		if (ra == NEP_DROP_NONE)
			assert_same_info(&a, &b);
		fast += took;
		good += rb == NEP_DROP_NONE;
		bad += rb != NEP_DROP_NONE;
		/* Whatever the fast path takes, the full parser accepts. */
		if (took)
			assert_int_equal(rb, NEP_DROP_NONE);
	}
	/* Both parsers really were exercised. */
	assert_true(fast > 20000);
	assert_true(good > fast);
	assert_true(bad > 20000);
}

/*
 * The IPv4 fast paths' test (nep_pkt_ip4_l4_len) against the full parser
 * on good and mutated frames: whatever it takes, the full parser accepts,
 * with the same L3 length, TCP/UDP with its header, not a fragment; and
 * it takes every good unpadded TCP/UDP frame with a 20-byte header.
 */
static void
test_parse_fast4_matches_full(void **state)
{
	static const uint8_t protos[] = { NEP_PROTO_TCP, NEP_PROTO_UDP,
		NEP_PROTO_ICMP };
	uint32_t seed = 54321, fast = 0, good = 0, bad = 0;
	struct nep_pkt_info b;

	(void)state;
	for (unsigned i = 0; i < 200000; i++) {
		uint8_t proto = protos[i % RTE_DIM(protos)];
		uint32_t plen = 20 + (i / 7) % 60, len, l3;
		uint8_t *l4;
		bool mutated = false;

		memset(fr, 0, 256);
		l4 = ip4(fr, 5, (uint16_t)(20 + plen), proto, "192.0.2.10",
			"203.0.113.9");
		if (proto == NEP_PROTO_TCP)
			tcp(l4, 1000, 80, 5, 0x10);
		else if (proto == NEP_PROTO_UDP)
			udp(l4, 1000, 53, (uint16_t)plen);
		len = 14 + 20 + plen;
		for (unsigned k = 0; k < i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			unsigned off = 12 + (seed >> 8) % 40;
			seed = seed * 1103515245u + 12345u;
			fr[off] = (uint8_t)(seed >> 16);
			mutated = true;
		}
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 3 == 0) {
			len = (len + (seed >> 20) % 40 + 20) % 160;
			mutated = true;
		}
		l3 = nep_pkt_ip4_l4_len(fr, len);
		enum nep_drop_reason rb = nep_pkt_parse_full(fr, len, &b);
		fast += l3 != 0;
		good += rb == NEP_DROP_NONE;
		bad += rb != NEP_DROP_NONE;
		if (l3 != 0) {
			assert_int_equal(rb, NEP_DROP_NONE);
			assert_int_equal(b.family, 4);
			assert_int_equal(b.l3_len, l3);
			assert_int_equal(b.l4_off, 34);
			assert_true(b.has_l4);
			assert_false(b.fragmented);
			assert_true(b.l4_proto == NEP_PROTO_TCP ||
				b.l4_proto == NEP_PROTO_UDP);
		} else if (!mutated && proto != NEP_PROTO_ICMP) {
			fail_msg("a good frame (%u) was not taken", i);
		}
	}
	assert_true(fast > 20000);
	assert_true(good > fast);
	assert_true(bad > 20000);
}

/*
 * The fast parsers read nothing beyond len: every short frame is placed so
 * that it ends at an unreadable page, where one byte too far faults (issue
 * 16: nep_pkt_ip6_l4_len read the TCP data offset at L4 + 12 of a 62..66
 * byte frame whose payload length was below 20).
 */
static void
test_fast_parsers_read_within_len(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *mem = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *end;

	(void)state;
	assert_true(mem != MAP_FAILED);
	assert_int_equal(mprotect(mem + pg, (size_t)pg, PROT_NONE), 0);
	end = mem + pg;
	for (uint32_t plen = 0; plen <= 24; plen++) {
		for (unsigned k = 0; k < 2; k++) {
			uint8_t proto = k == 0 ? NEP_PROTO_TCP : NEP_PROTO_UDP;
			uint32_t len = 14 + 40 + plen;
			uint8_t *f = end - len;

			memset(fr, 0, sizeof(fr));
			ip6(fr, (uint16_t)plen, proto, A6S, A6D);
			memcpy(f, fr, len);
			/* a TCP header cut short is never taken */
			uint32_t l3 = nep_pkt_ip6_l4_len(f, len);
			if (proto == NEP_PROTO_TCP && plen < 20)
				assert_int_equal(l3, 0);
		}
		for (unsigned k = 0; k < 2; k++) {
			uint8_t proto = k == 0 ? NEP_PROTO_TCP : NEP_PROTO_UDP;
			uint32_t len = 14 + 20 + plen;
			uint8_t *f = end - len;

			memset(fr, 0, sizeof(fr));
			ip4(fr, 5, (uint16_t)(20 + plen), proto, "192.0.2.10",
				"203.0.113.9");
			memcpy(f, fr, len);
			(void)nep_pkt_ip4_l4_len(f, len);
		}
	}
	/* runts */
	for (uint32_t len = 0; len < 60; len++)
		assert_int_equal(nep_pkt_ip6_l4_len(end - len, len), 0);
	munmap(mem, (size_t)pg * 2);
}

/* ---- parser: good frames ---- */

static void
test_parse_ip6_tcp(void **state)
{
	struct nep_pkt_info pi;
	uint8_t *l4;

	(void)state;
	memset(fr, 0, sizeof(fr));
	l4 = ip6(fr, 20 + 10, NEP_PROTO_TCP, A6S, A6D);
	tcp(l4, 1234, 80, 5, 0x02);
	assert_int_equal(parse(14 + 40 + 30, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.ethertype, RTE_ETHER_TYPE_IPV6);
	assert_int_equal(pi.family, 6);
	assert_int_equal(pi.l3_off, 14);
	assert_int_equal(pi.l4_off, 54);
	assert_int_equal(pi.l3_len, 70);
	assert_int_equal(pi.l4_proto, NEP_PROTO_TCP);
	assert_int_equal(pi.has_l4, 1);
	assert_int_equal(pi.frag, 0);

	/* Ethernet padding after the IPv6 packet is fine; l3_len ignores it. */
	assert_int_equal(parse(14 + 40 + 30 + 6, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l3_len, 70);

	/* TCP options inside the segment (data offset 7 words). */
	tcp(l4, 1234, 80, 7, 0x10);
	assert_int_equal(parse(14 + 40 + 30, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.has_l4, 1);
}

static void
test_parse_ip6_udp_icmp(void **state)
{
	struct nep_pkt_info pi;
	uint8_t *l4;

	(void)state;
	l4 = ip6(fr, 8 + 4, NEP_PROTO_UDP, A6S, A6D);
	udp(l4, 5353, 53, 12);
	assert_int_equal(parse(14 + 40 + 12, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l4_proto, NEP_PROTO_UDP);
	assert_int_equal(pi.l4_off, 54);
	assert_int_equal(pi.has_l4, 1);

	l4 = ip6(fr, 8, NEP_PROTO_ICMPV6, A6S, A6D);
	memset(l4, 0, 8);
	l4[0] = NEP_ICMP6_ECHO_REQUEST;
	assert_int_equal(parse(14 + 48, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l4_proto, NEP_PROTO_ICMPV6);
	assert_int_equal(pi.has_l4, 1);

	/* An upper layer the parser does not know: no L4 check, no has_l4. */
	ip6(fr, 4, 47, A6S, A6D);
	assert_int_equal(parse(14 + 44, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l4_proto, 47);
	assert_int_equal(pi.l4_off, 54);
	assert_int_equal(pi.has_l4, 0);

	/* No next header with a zero payload is not a jumbogram. */
	ip6(fr, 0, 59, A6S, A6D);
	assert_int_equal(parse(14 + 40, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l3_len, 40);
	assert_int_equal(pi.l4_proto, 59);
}

static void
test_parse_ip4(void **state)
{
	struct nep_pkt_info pi;
	uint8_t *l4;

	(void)state;
	l4 = ip4(fr, 5, 20 + 20, NEP_PROTO_TCP, "192.0.2.1", "198.51.100.1");
	tcp(l4, 40000, 443, 5, 0x11);
	assert_int_equal(parse(14 + 40, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.ethertype, RTE_ETHER_TYPE_IPV4);
	assert_int_equal(pi.family, 4);
	assert_int_equal(pi.l3_off, 14);
	assert_int_equal(pi.l4_off, 34);
	assert_int_equal(pi.l3_len, 40);
	assert_int_equal(pi.l4_proto, NEP_PROTO_TCP);
	assert_int_equal(pi.has_l4, 1);
	assert_int_equal(pi.frag, 0);

	/* IP options (IHL 6): L4 starts 4 bytes later. */
	l4 = ip4(fr, 6, 24 + 8, NEP_PROTO_UDP, "192.0.2.1", "198.51.100.1");
	udp(l4, 1, 2, 8);
	assert_int_equal(parse(14 + 32, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l4_off, 38);
	assert_int_equal(pi.l4_proto, NEP_PROTO_UDP);
	assert_int_equal(pi.has_l4, 1);

	/* Minimum-size Ethernet frame: padding after total length. */
	l4 = ip4(fr, 5, 28, NEP_PROTO_ICMP, "192.0.2.1", "198.51.100.1");
	memset(l4, 0, 8 + 18);
	l4[0] = NEP_ICMP4_ECHO_REQUEST;
	assert_int_equal(parse(60, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l3_len, 28);
	assert_int_equal(pi.l4_proto, NEP_PROTO_ICMP);
	assert_int_equal(pi.has_l4, 1);
	/* ... and the UDP length is checked against the IP length, not the
	 * frame: 16 bytes of UDP claimed, 8 in the datagram. */
	l4 = ip4(fr, 5, 28, NEP_PROTO_UDP, "192.0.2.1", "198.51.100.1");
	udp(l4, 1, 2, 16);
	assert_int_equal(parse(60, &pi), NEP_DROP_L4_TRUNCATED);
}

static void
test_parse_arp(void **state)
{
	struct nep_pkt_info pi;

	(void)state;
	memset(fr, 0, 64);
	eth(fr, RTE_ETHER_TYPE_ARP);
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.ethertype, RTE_ETHER_TYPE_ARP);
	assert_int_equal(pi.family, 0);
	assert_int_equal(pi.l3_off, 14);
	assert_int_equal(pi.has_l4, 0);
	assert_int_equal(parse(14 + 27, &pi), NEP_DROP_ARP_MALFORMED);
}

/* Insert an 802.1Q tag (tci) into the len-byte frame in fr: len + 4. */
static uint32_t
vlan_tag(uint32_t len, uint16_t tpid, uint16_t tci)
{
	memmove(fr + 16, fr + 12, len - 12);
	put16(fr + 12, tpid);
	put16(fr + 14, tci);
	return len + 4;
}

static void
test_parse_vlan(void **state)
{
	struct nep_pkt_info pi, un;
	uint32_t len;
	uint8_t *l4;

	(void)state;
	/* IPv6 TCP on VLAN 100: the same as untagged, 4 bytes further. */
	memset(fr, 0, sizeof(fr));
	l4 = ip6(fr, 20, NEP_PROTO_TCP, A6S, A6D);
	tcp(l4, 1234, 80, 5, 0x02);
	assert_int_equal(parse(14 + 40 + 20, &un), NEP_DROP_NONE);
	assert_false(nep_pkt_tagged(&un));
	assert_int_equal(un.vlan, 0);
	len = vlan_tag(14 + 40 + 20, RTE_ETHER_TYPE_VLAN, 100);
	/* The inline IPv6 parser leaves tagged frames to the full one. */
	assert_false(nep_pkt_parse_ip6_l4(fr, len, &pi));
	assert_int_equal(nep_pkt_ip6_l4_len(fr, len), 0);
	assert_int_equal(parse(len, &pi), NEP_DROP_NONE);
	assert_true(nep_pkt_tagged(&pi));
	assert_int_equal(pi.vlan, 100);
	assert_int_equal(pi.ethertype, RTE_ETHER_TYPE_IPV6);
	assert_int_equal(pi.l3_off, 18);
	assert_int_equal(pi.l4_off, 58);
	assert_int_equal(pi.l3_len, un.l3_len);
	assert_int_equal(pi.l4_proto, NEP_PROTO_TCP);
	assert_int_equal(pi.has_l4, 1);
	/* Priority and DEI bits are not part of the id. */
	put16(fr + 14, 0xe000 | 0x1000 | 4094);
	assert_int_equal(parse(len, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.vlan, 4094);
	/* A priority tag (VLAN 0) is a tag all the same. */
	put16(fr + 14, 0xa000);
	assert_int_equal(parse(len, &pi), NEP_DROP_NONE);
	assert_true(nep_pkt_tagged(&pi));
	assert_int_equal(pi.vlan, 0);
	assert_int_equal(pi.l3_off, 18);
	/* The IPv6 checks run at the moved offset: a truncated payload. */
	assert_int_equal(parse(len - 1, &pi), NEP_DROP_IP6_BAD_LENGTH);

	/* IPv4 UDP, its checksum checked 4 bytes further. */
	memset(fr, 0, sizeof(fr));
	l4 = ip4(fr, 5, 28, NEP_PROTO_UDP, "192.0.2.10", "198.51.100.1");
	udp(l4, 1, 2, 8);
	len = vlan_tag(14 + 28, RTE_ETHER_TYPE_VLAN, 7);
	assert_int_equal(parse(len, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.vlan, 7);
	assert_int_equal(pi.family, 4);
	assert_int_equal(pi.l3_off, 18);
	assert_int_equal(pi.l4_off, 38);
	assert_int_equal(pi.l3_len, 28);
	fr[18 + 8]--;	/* TTL, checksum not fixed */
	assert_int_equal(parse(len, &pi), NEP_DROP_IP4_BAD_CHECKSUM);

	/* ARP on a VLAN; a short one is malformed, not a runt. */
	memset(fr, 0, 64);
	eth(fr, RTE_ETHER_TYPE_ARP);
	len = vlan_tag(14 + 28, RTE_ETHER_TYPE_VLAN, 100);
	assert_int_equal(parse(len, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.family, 0);
	assert_int_equal(pi.ethertype, RTE_ETHER_TYPE_ARP);
	assert_int_equal(pi.l3_off, 18);
	assert_int_equal(pi.vlan, 100);
	assert_int_equal(parse(len - 1, &pi), NEP_DROP_ARP_MALFORMED);

	/* A tag cut short is a runt. */
	for (uint32_t n = 14; n < 18; n++)
		assert_int_equal(parse(n, &pi), NEP_DROP_RUNT);

	/* QinQ stays unsupported: 802.1ad outside, or two 802.1Q tags. */
	memset(fr, 0, sizeof(fr));
	l4 = ip6(fr, 8, NEP_PROTO_UDP, A6S, A6D);
	udp(l4, 1, 2, 8);
	len = vlan_tag(14 + 48, RTE_ETHER_TYPE_VLAN, 100);
	len = vlan_tag(len, RTE_ETHER_TYPE_QINQ, 200);
	assert_int_equal(parse(len, &pi), NEP_DROP_L2_UNSUPPORTED);
	put16(fr + 12, RTE_ETHER_TYPE_VLAN);
	assert_int_equal(parse(len, &pi), NEP_DROP_L2_UNSUPPORTED);
	put16(fr + 16, RTE_ETHER_TYPE_QINQ);
	assert_int_equal(parse(len, &pi), NEP_DROP_L2_UNSUPPORTED);
	assert_string_equal(nep_drop_names[NEP_DROP_VLAN_UNKNOWN],
		"vlan_unknown");
}

/* ---- parser: drop reasons ---- */

static void
test_drop_l2(void **state)
{
	struct nep_pkt_info pi;

	(void)state;
	memset(fr, 0, 64);
	eth(fr, RTE_ETHER_TYPE_IPV6);
	assert_int_equal(parse(13, &pi), NEP_DROP_RUNT);
	assert_int_equal(parse(0, &pi), NEP_DROP_RUNT);
	eth(fr, 0x88cc); /* LLDP */
	assert_int_equal(parse(60, &pi), NEP_DROP_L2_UNSUPPORTED);
	eth(fr, RTE_ETHER_TYPE_VLAN);
	assert_int_equal(parse(60, &pi), NEP_DROP_L2_UNSUPPORTED);
	assert_string_equal(nep_drop_names[NEP_DROP_RUNT], "runt_frame");
	for (int i = 0; i < NEP_DROP_MAX; i++)
		assert_non_null(nep_drop_names[i]);
}

static void
test_drop_ip6(void **state)
{
	struct nep_pkt_info pi;
	uint8_t *l4;

	(void)state;
	l4 = ip6(fr, 8, NEP_PROTO_UDP, A6S, A6D);
	udp(l4, 1, 2, 8);
	assert_int_equal(parse(14 + 48, &pi), NEP_DROP_NONE);
	assert_int_equal(parse(14 + 39, &pi), NEP_DROP_IP6_TRUNCATED);
	assert_int_equal(parse(14, &pi), NEP_DROP_IP6_TRUNCATED);

	/* payload length past the frame */
	assert_int_equal(parse(14 + 47, &pi), NEP_DROP_IP6_BAD_LENGTH);
	put16(fr + 14 + 4, 9);
	assert_int_equal(parse(14 + 48, &pi), NEP_DROP_IP6_BAD_LENGTH);
	/* jumbogram (payload length 0) */
	put16(fr + 14 + 4, 0);
	assert_int_equal(parse(14 + 48, &pi), NEP_DROP_IP6_BAD_LENGTH);
	put16(fr + 14 + 4, 8);

	/* version 4 in an IPv6 ethertype */
	fr[14] = 0x45;
	assert_int_equal(parse(14 + 48, &pi), NEP_DROP_IP6_BAD_VERSION);
	fr[14] = 0x60;

	/* multicast source */
	pton6("ff02::1", fr + 14 + 8);
	assert_int_equal(parse(14 + 48, &pi), NEP_DROP_IP6_BAD_SOURCE);
	/* multicast destination is fine for the parser */
	pton6(A6S, fr + 14 + 8);
	pton6("ff02::1", fr + 14 + 24);
	assert_int_equal(parse(14 + 48, &pi), NEP_DROP_NONE);
}

static void
test_drop_ip6_ext_chain(void **state)
{
	struct nep_pkt_info pi;
	uint8_t *x;
	int i;

	(void)state;
	/* destination options first, then hop-by-hop: HBH must be first */
	x = ip6(fr, 16 + 8, 60, A6S, A6D);
	memset(x, 0, 24);
	x[0] = 0;	/* next: HBH */
	x[8] = NEP_PROTO_UDP;
	udp(x + 16, 1, 2, 8);
	assert_int_equal(parse(14 + 40 + 24, &pi), NEP_DROP_IP6_BAD_EXT_CHAIN);
	/* the same with HBH first is fine */
	fr[14 + 6] = 0;
	x[0] = 60;
	assert_int_equal(parse(14 + 40 + 24, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l4_off, 14 + 40 + 16);
	assert_int_equal(pi.l4_proto, NEP_PROTO_UDP);

	/* header length overruns the payload */
	x = ip6(fr, 16, 60, A6S, A6D);
	memset(x, 0, 16);
	x[0] = NEP_PROTO_UDP;
	x[1] = 2;	/* 24 bytes, only 16 in the packet */
	assert_int_equal(parse(14 + 40 + 16, &pi), NEP_DROP_IP6_BAD_EXT_CHAIN);
	/* fewer than 8 bytes left for an extension header */
	x = ip6(fr, 4, 43, A6S, A6D);
	memset(x, 0, 8);
	assert_int_equal(parse(14 + 40 + 8, &pi), NEP_DROP_IP6_BAD_EXT_CHAIN);

	/* 8 destination option headers are accepted, 9 are too many */
	x = ip6(fr, 8 * 8 + 8, 60, A6S, A6D);
	for (i = 0; i < 8; i++) {
		memset(x + 8 * i, 0, 8);
		x[8 * i] = i == 7 ? NEP_PROTO_UDP : 60;
	}
	udp(x + 64, 1, 2, 8);
	assert_int_equal(parse(14 + 40 + 72, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l4_off, 14 + 40 + 64);
	assert_int_equal(pi.has_l4, 1);
	x = ip6(fr, 9 * 8 + 8, 60, A6S, A6D);
	for (i = 0; i < 9; i++) {
		memset(x + 8 * i, 0, 8);
		x[8 * i] = i == 8 ? NEP_PROTO_UDP : 60;
	}
	udp(x + 72, 1, 2, 8);
	assert_int_equal(parse(14 + 40 + 80, &pi), NEP_DROP_IP6_BAD_EXT_CHAIN);
}

static void
test_ext_headers_walk(void **state)
{
	struct nep_pkt_info pi;
	uint8_t *x;

	(void)state;
	/* HBH (8) + destination options (16) + routing (8) + TCP (20) */
	x = ip6(fr, 8 + 16 + 8 + 20, 0, A6S, A6D);
	memset(x, 0, 32);
	x[0] = 60;
	x[1] = 0;
	x[8] = 43;
	x[9] = 1;
	x[24] = NEP_PROTO_TCP;
	x[25] = 0;
	tcp(x + 32, 1000, 22, 5, 0x02);
	assert_int_equal(parse(14 + 40 + 52, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l4_proto, NEP_PROTO_TCP);
	assert_int_equal(pi.l4_off, 14 + 40 + 32);
	assert_int_equal(pi.has_l4, 1);
	assert_int_equal(pi.frag, 0);
	assert_int_equal(pi.l3_len, 40 + 52);

	/* the TCP header cut short after the chain */
	put16(fr + 14 + 4, 8 + 16 + 8 + 19);
	assert_int_equal(parse(14 + 40 + 51, &pi), NEP_DROP_L4_TRUNCATED);

	/* AH: length in 4-octet units minus 2 (here 24 bytes) */
	x = ip6(fr, 24 + 8, 51, A6S, A6D);
	memset(x, 0, 24);
	x[0] = NEP_PROTO_UDP;
	x[1] = 4;
	udp(x + 24, 1, 2, 8);
	assert_int_equal(parse(14 + 40 + 32, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.l4_off, 14 + 40 + 24);
	assert_int_equal(pi.l4_proto, NEP_PROTO_UDP);
}

static void
test_fragments(void **state)
{
	struct nep_pkt_info pi;
	uint8_t *x;

	(void)state;
	/* first fragment (offset 0, M=1): the L4 header is parsed */
	x = ip6(fr, 8 + 8, 44, A6S, A6D);
	memset(x, 0, 8);
	x[0] = NEP_PROTO_UDP;
	put16(x + 2, 0x0001);
	udp(x + 8, 1, 2, 8);
	assert_int_equal(parse(14 + 56, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.frag, 0);
	assert_int_equal(pi.has_l4, 1);
	assert_int_equal(pi.l4_off, 14 + 48);
	assert_int_equal(pi.l4_proto, NEP_PROTO_UDP);
	/* the UDP length covers the whole datagram, continued later */
	udp(x + 8, 1, 2, 1400);
	assert_int_equal(parse(14 + 56, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.has_l4, 1);
	/* ... but an atomic fragment (M=0) is the whole datagram */
	put16(x + 2, 0);
	assert_int_equal(parse(14 + 56, &pi), NEP_DROP_L4_TRUNCATED);
	/* a first fragment still needs a complete UDP header */
	put16(x + 2, 0x0001);
	put16(fr + 14 + 4, 8 + 7);
	assert_int_equal(parse(14 + 55, &pi), NEP_DROP_L4_TRUNCATED);

	/* non-first fragment: no L4, even if what follows is short */
	x = ip6(fr, 8 + 3, 44, A6S, A6D);
	memset(x, 0, 11);
	x[0] = NEP_PROTO_TCP;
	put16(x + 2, (uint16_t)(185 << 3));
	assert_int_equal(parse(14 + 51, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.frag, 1);
	assert_int_equal(pi.has_l4, 0);
	assert_int_equal(pi.l4_proto, NEP_PROTO_TCP);
	assert_int_equal(pi.l4_off, 14 + 48);
	assert_int_equal(pi.family, 6);

	/* IPv4 non-first fragment */
	x = ip4(fr, 5, 20 + 4, NEP_PROTO_UDP, "192.0.2.1", "198.51.100.1");
	put16(fr + 14 + 6, 100);
	ip4_fix(fr + 14);
	assert_int_equal(parse(14 + 24, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.frag, 1);
	assert_int_equal(pi.has_l4, 0);
	assert_int_equal(pi.l4_proto, NEP_PROTO_UDP);
	/* IPv4 first fragment (MF only): L4 is checked */
	put16(fr + 14 + 6, 0x2000);
	ip4_fix(fr + 14);
	assert_int_equal(parse(14 + 24, &pi), NEP_DROP_L4_TRUNCATED);
	x = ip4(fr, 5, 20 + 16, NEP_PROTO_UDP, "192.0.2.1", "198.51.100.1");
	udp(x, 1, 2, 3000);
	put16(fr + 14 + 6, 0x2000);
	ip4_fix(fr + 14);
	assert_int_equal(parse(14 + 36, &pi), NEP_DROP_NONE);
	assert_int_equal(pi.frag, 0);
	assert_int_equal(pi.has_l4, 1);
	put16(fr + 14 + 6, 0x4000);	/* DF, not fragmented: whole datagram */
	ip4_fix(fr + 14);
	assert_int_equal(parse(14 + 36, &pi), NEP_DROP_L4_TRUNCATED);
}

static void
test_drop_ip4(void **state)
{
	struct nep_pkt_info pi;
	uint8_t *h = fr + 14, *l4;

	(void)state;
	l4 = ip4(fr, 5, 28, NEP_PROTO_UDP, "192.0.2.1", "198.51.100.1");
	udp(l4, 1, 2, 8);
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_NONE);
	assert_int_equal(parse(14 + 19, &pi), NEP_DROP_IP4_TRUNCATED);

	h[0] = 0x65;
	ip4_fix(h);
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_IP4_BAD_VERSION);

	/* IHL below 5; IHL past the frame */
	h[0] = 0x44;
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_IP4_BAD_IHL);
	h[0] = 0x4f;
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_IP4_BAD_IHL);
	h[0] = 0x45;

	/* total length below the header; past the frame */
	put16(h + 2, 19);
	ip4_fix(h);
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_IP4_BAD_LENGTH);
	put16(h + 2, 29);
	ip4_fix(h);
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_IP4_BAD_LENGTH);
	put16(h + 2, 28);
	ip4_fix(h);
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_NONE);

	h[10] ^= 0x01;
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_IP4_BAD_CHECKSUM);
	ip4_fix(h);

	/* multicast, loopback and broadcast sources */
	static const char *const bad[] = { "224.0.0.1", "239.1.2.3",
		"127.0.0.1", "255.255.255.255" };
	for (unsigned i = 0; i < 4; i++) {
		uint32_t a = pton4(bad[i]);
		memcpy(h + 12, &a, 4);
		ip4_fix(h);
		assert_int_equal(parse(14 + 28, &pi), NEP_DROP_IP4_BAD_SOURCE);
	}
	/* a broadcast destination is fine for the parser */
	uint32_t a = pton4("192.0.2.1");
	memcpy(h + 12, &a, 4);
	a = pton4("255.255.255.255");
	memcpy(h + 16, &a, 4);
	ip4_fix(h);
	assert_int_equal(parse(14 + 28, &pi), NEP_DROP_NONE);
}

static void
test_drop_l4(void **state)
{
	struct nep_pkt_info pi;
	uint8_t *l4;

	(void)state;
	/* TCP: header cut; data offset below 5; data offset past the end */
	l4 = ip6(fr, 19, NEP_PROTO_TCP, A6S, A6D);
	tcp(l4, 1, 2, 5, 0);
	assert_int_equal(parse(14 + 59, &pi), NEP_DROP_L4_TRUNCATED);
	l4 = ip6(fr, 24, NEP_PROTO_TCP, A6S, A6D);
	tcp(l4, 1, 2, 4, 0);
	assert_int_equal(parse(14 + 64, &pi), NEP_DROP_L4_TRUNCATED);
	tcp(l4, 1, 2, 7, 0);
	assert_int_equal(parse(14 + 64, &pi), NEP_DROP_L4_TRUNCATED);
	tcp(l4, 1, 2, 6, 0);
	assert_int_equal(parse(14 + 64, &pi), NEP_DROP_NONE);

	/* UDP: length below 8; above the payload */
	l4 = ip6(fr, 12, NEP_PROTO_UDP, A6S, A6D);
	udp(l4, 1, 2, 7);
	assert_int_equal(parse(14 + 52, &pi), NEP_DROP_L4_TRUNCATED);
	udp(l4, 1, 2, 13);
	assert_int_equal(parse(14 + 52, &pi), NEP_DROP_L4_TRUNCATED);
	udp(l4, 1, 2, 12);
	assert_int_equal(parse(14 + 52, &pi), NEP_DROP_NONE);
	l4 = ip6(fr, 7, NEP_PROTO_UDP, A6S, A6D);
	assert_int_equal(parse(14 + 47, &pi), NEP_DROP_L4_TRUNCATED);

	/* ICMPv6 and ICMP: fewer than 8 bytes */
	l4 = ip6(fr, 7, NEP_PROTO_ICMPV6, A6S, A6D);
	memset(l4, 0, 7);
	assert_int_equal(parse(14 + 47, &pi), NEP_DROP_L4_TRUNCATED);
	l4 = ip4(fr, 5, 27, NEP_PROTO_ICMP, "192.0.2.1", "198.51.100.1");
	memset(l4, 0, 7);
	assert_int_equal(parse(14 + 27, &pi), NEP_DROP_L4_TRUNCATED);

	/* IPv4 TCP with a bad data offset */
	l4 = ip4(fr, 5, 40, NEP_PROTO_TCP, "192.0.2.1", "198.51.100.1");
	tcp(l4, 1, 2, 6, 0);
	assert_int_equal(parse(14 + 40, &pi), NEP_DROP_L4_TRUNCATED);
	tcp(l4, 1, 2, 5, 0);
	assert_int_equal(parse(14 + 40, &pi), NEP_DROP_NONE);
}

/* ---- checksum helpers ---- */

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static void
test_csum_update16(void **state)
{
	uint8_t buf[64];
	int iter, i;

	(void)state;
	/* RFC 1624 section 4 example: eqn 3 gives 0x0000, not 0xffff */
	assert_int_equal(nep_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);

	for (iter = 0; iter < 20000; iter++) {
		uint16_t c, inc, full, old, new_;
		unsigned w = rnd() % 31 + 1;	/* word 0 holds the checksum */

		for (i = 0; i < 64; i++)
			buf[i] = (uint8_t)rnd();
		buf[0] = buf[1] = 0;
		c = (uint16_t)~ref_sum(buf, 64, 0);
		put16(buf, c);
		old = get16(buf + 2 * w);
		new_ = (uint16_t)(iter < 100 ? (old ^ 0xffff) : rnd());
		put16(buf + 2 * w, new_);
		inc = nep_csum_update16(c, old, new_);
		buf[0] = buf[1] = 0;
		full = (uint16_t)~ref_sum(buf, 64, 0);
		put16(buf, inc);
		assert_true(ref_inet_ok(buf, 64));
		/* Only the two encodings of zero may differ. */
		if (inc != full)
			assert_true((inc == 0 || inc == 0xffff) &&
				(full == 0 || full == 0xffff));
	}
	/* nep_inet_cksum agrees with the reference */
	for (i = 0; i < 64; i++)
		buf[i] = (uint8_t)rnd();
	assert_int_equal(rte_be_to_cpu_16(nep_inet_cksum(buf, 63)),
		(uint16_t)~ref_sum(buf, 63, 0));
}

static void
check_dec_ttl(uint8_t *h)
{
	uint8_t ttl = h[8];
	uint16_t full;

	nep_ip4_dec_ttl((struct rte_ipv4_hdr *)h);
	assert_int_equal(h[8], (uint8_t)(ttl - 1));
	assert_true(ref_inet_ok(h, 20));
	assert_int_equal(nep_inet_cksum(h, 20), 0);
	full = get16(h + 10);
	h[10] = h[11] = 0;
	if (full != (uint16_t)~ref_sum(h, 20, 0))
		assert_true(full == 0xffff || full == 0);
	put16(h + 10, full);
}

static void
test_ip4_dec_ttl(void **state)
{
	uint8_t *h = fr + 14;
	unsigned ttl, id, zero_seen = 0;

	(void)state;
	for (ttl = 1; ttl <= 255; ttl++) {
		ip4(fr, 5, 20, NEP_PROTO_UDP, "192.0.2.1", "198.51.100.1");
		h[8] = (uint8_t)ttl;
		ip4_fix(h);
		check_dec_ttl(h);
	}
	/*
	 * Wraparound: headers whose checksum is 0x0000 (sum 0xffff), in both
	 * encodings of zero, and ones where removing 0x100 borrows.
	 */
	for (id = 0; id < 65536; id++) {
		ip4(fr, 5, 20, NEP_PROTO_TCP, "10.0.0.1", "10.0.0.2");
		put16(h + 4, (uint16_t)id);
		h[8] = 2;
		ip4_fix(h);
		if (get16(h + 10) == 0) {
			uint8_t copy[20];

			zero_seen++;
			memcpy(copy, h, 20);
			check_dec_ttl(h);
			memcpy(h, copy, 20);
			put16(h + 10, 0xffff);	/* the other zero */
			assert_true(ref_inet_ok(h, 20));
			check_dec_ttl(h);
			check_dec_ttl(h);	/* TTL 1 -> 0 */
			assert_int_equal(h[8], 0);
		} else if (get16(h + 10) <= 0x00ff || get16(h + 10) >= 0xff00) {
			check_dec_ttl(h);
			check_dec_ttl(h);
		}
	}
	assert_true(zero_seen > 0);
}

/* ---- builders ---- */

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void
test_build_ns_na(void **state)
{
	uint8_t src[16], dst[16], tgt[16], sn[16];
	uint32_t n;

	(void)state;
	pton6("fe80::1", src);
	pton6("2001:db8::1234:5678", tgt);
	nep_ip6_solicited_node(tgt, sn);
	pton6("ff02::1:ff34:5678", dst);
	assert_memory_equal(sn, dst, 16);

	n = nep_nd_build_ns(out, sizeof(out), src, sn, tgt, MAC);
	assert_int_equal(n, 40 + 32);
	assert_int_equal(out[0] >> 4, 6);
	assert_int_equal(get16(out + 4), 32);
	assert_int_equal(out[6], NEP_PROTO_ICMPV6);
	assert_int_equal(out[7], 255);
	assert_memory_equal(out + 8, src, 16);
	assert_memory_equal(out + 24, sn, 16);
	assert_int_equal(out[40], NEP_ICMP6_NS);
	assert_int_equal(out[41], 0);
	assert_memory_equal(out + 48, tgt, 16);
	assert_int_equal(out[64], 1);
	assert_int_equal(out[65], 1);
	assert_memory_equal(out + 66, MAC, 6);
	assert_true(ref_icmp6_ok(out));
	assert_int_equal(nep_icmp6_cksum((struct rte_ipv6_hdr *)out, out + 40,
				 32), 0);
	/* the options parse back */
	uint8_t m[6];
	assert_int_equal(nep_nd_find_lladdr(out + 64, 8, 1, m), 0);
	assert_memory_equal(m, MAC, 6);
	assert_int_equal(nep_nd_build_ns(out, 71, src, sn, tgt, MAC), 0);

	n = nep_nd_build_na(out, sizeof(out), tgt, src, tgt, MAC, true, false);
	assert_int_equal(n, 72);
	assert_int_equal(out[7], 255);
	assert_int_equal(out[40], NEP_ICMP6_NA);
	assert_int_equal(out[44], 0x40 | 0x20);	/* solicited, override */
	assert_memory_equal(out + 48, tgt, 16);
	assert_int_equal(out[64], 2);
	assert_int_equal(out[65], 1);
	assert_memory_equal(out + 66, MAC, 6);
	assert_true(ref_icmp6_ok(out));
	n = nep_nd_build_na(out, sizeof(out), tgt, src, tgt, MAC, false, true);
	assert_int_equal(out[44], 0x80 | 0x20);	/* router, override */
	assert_true(ref_icmp6_ok(out));
	assert_int_equal(nep_icmp6_cksum((struct rte_ipv6_hdr *)out, out + 40,
				 32), 0);
	assert_int_equal(nep_nd_build_na(out, 10, tgt, src, tgt, MAC, 1, 1), 0);
}

static void
test_build_echo(void **state)
{
	uint8_t src[16], dst[16];
	uint32_t n, plen;

	(void)state;
	pton6("2001:db8:ff::2", src);
	pton6("2001:db8:ff::1", dst);
	for (plen = 0; plen <= 57; plen += 19) {
		n = nep_icmp6_build_echo(out, sizeof(out), src, dst, 0xbeef,
			7, plen);
		assert_int_equal(n, 40 + 8 + plen);
		assert_int_equal(get16(out + 4), 8 + plen);
		assert_int_equal(out[7], 64);
		assert_int_equal(out[40], NEP_ICMP6_ECHO_REQUEST);
		assert_int_equal(get16(out + 44), 0xbeef);
		assert_int_equal(get16(out + 46), 7);
		if (plen > 3)
			assert_int_equal(out[48 + 3], 3);
		assert_true(ref_icmp6_ok(out));
		assert_int_equal(nep_icmp6_cksum((struct rte_ipv6_hdr *)out,
					 out + 40, 8 + plen), 0);

		/* to reply: addresses swapped, type 129, checksum valid */
		out[7] = 3;
		nep_icmp6_echo_to_reply(out, n);
		assert_memory_equal(out + 8, dst, 16);
		assert_memory_equal(out + 24, src, 16);
		assert_int_equal(out[7], 64);
		assert_int_equal(out[40], NEP_ICMP6_ECHO_REPLY);
		assert_int_equal(get16(out + 44), 0xbeef);
		assert_true(ref_icmp6_ok(out));
	}
	assert_int_equal(nep_icmp6_build_echo(out, 40 + 8 + 9, src, dst, 1, 1,
				 10), 0);
}

static void
test_icmp4_echo_to_reply(void **state)
{
	uint8_t *h = fr + 14, *l4;
	uint32_t a = pton4("192.0.2.1"), b = pton4("198.51.100.1");

	(void)state;
	l4 = ip4(fr, 5, 20 + 8 + 13, NEP_PROTO_ICMP, "192.0.2.1",
		"198.51.100.1");
	h[8] = 3;
	ip4_fix(h);
	memset(l4, 0, 21);
	l4[0] = NEP_ICMP4_ECHO_REQUEST;
	put16(l4 + 4, 0x4242);
	put16(l4 + 6, 9);
	for (int i = 0; i < 13; i++)
		l4[8 + i] = (uint8_t)(0xa0 + i);
	put16(l4 + 2, (uint16_t)~ref_sum(l4, 21, 0));
	assert_true(ref_inet_ok(l4, 21));

	nep_icmp4_echo_to_reply(h, 41);
	assert_memory_equal(h + 12, &b, 4);
	assert_memory_equal(h + 16, &a, 4);
	assert_int_equal(h[8], 64);
	assert_true(ref_inet_ok(h, 20));
	assert_int_equal(l4[0], NEP_ICMP4_ECHO_REPLY);
	assert_int_equal(get16(l4 + 4), 0x4242);
	assert_true(ref_inet_ok(l4, 21));
	struct nep_pkt_info pi;
	assert_int_equal(parse(14 + 41, &pi), NEP_DROP_NONE);
}

static void
test_build_icmp6_error(void **state)
{
	uint8_t me[16];
	uint8_t *l4;
	uint32_t n;

	(void)state;
	pton6("2001:db8:ff::2", me);
	/* a 1500-byte packet: the error is cut to 1280 bytes */
	l4 = ip6(fr, 1460, NEP_PROTO_UDP, A6S, A6D);
	udp(l4, 1, 2, 1460);
	for (int i = 8; i < 1460; i++)
		l4[i] = (uint8_t)i;
	n = nep_icmp6_build_error(out, sizeof(out), fr + 14, 1500,
		NEP_ICMP6_PKT_TOO_BIG, 0, 1400, me);
	assert_int_equal(n, 1280);
	assert_int_equal(out[0] >> 4, 6);
	assert_int_equal(get16(out + 4), 1240);
	assert_int_equal(out[6], NEP_PROTO_ICMPV6);
	assert_memory_equal(out + 8, me, 16);
	assert_memory_equal(out + 24, fr + 14 + 8, 16);	/* to the source */
	assert_int_equal(out[40], NEP_ICMP6_PKT_TOO_BIG);
	assert_int_equal(out[41], 0);
	assert_int_equal(get16(out + 44), 0);
	assert_int_equal(get16(out + 46), 1400);
	assert_memory_equal(out + 48, fr + 14, 1232);
	assert_true(ref_icmp6_ok(out));
	assert_int_equal(nep_icmp6_cksum((struct rte_ipv6_hdr *)out, out + 40,
				 1240), 0);
	/* cap too small */
	assert_int_equal(nep_icmp6_build_error(out, 1279, fr + 14, 1500,
				 NEP_ICMP6_PKT_TOO_BIG, 0, 1400, me), 0);

	/* a short packet is quoted whole */
	put16(fr + 14 + 4, 60);
	n = nep_icmp6_build_error(out, sizeof(out), fr + 14, 100,
		NEP_ICMP6_TIME_EXCEEDED, 0, 0, me);
	assert_int_equal(n, 148);
	assert_int_equal(get16(out + 4), 108);
	assert_int_equal(out[40], NEP_ICMP6_TIME_EXCEEDED);
	assert_memory_equal(out + 48, fr + 14, 100);
	assert_true(ref_icmp6_ok(out));
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 39,
				 NEP_ICMP6_TIME_EXCEEDED, 0, 0, me), 0);

	/* about an echo request: answered */
	l4 = ip6(fr, 8, NEP_PROTO_ICMPV6, A6S, A6D);
	memset(l4, 0, 8);
	l4[0] = NEP_ICMP6_ECHO_REQUEST;
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_DST_UNREACH, 0, 0, me), 48 + 48);
	assert_true(ref_icmp6_ok(out));
	/* about an error: never */
	l4[0] = NEP_ICMP6_DST_UNREACH;
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_TIME_EXCEEDED, 0, 0, me), 0);
	l4[0] = NEP_ICMP6_PKT_TOO_BIG;
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_PKT_TOO_BIG, 0, 1280, me), 0);

	/* multicast or unspecified source: never */
	ip6(fr, 8, NEP_PROTO_UDP, "ff0e::1", A6D);
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_PKT_TOO_BIG, 0, 1280, me), 0);
	ip6(fr, 8, NEP_PROTO_UDP, "::", A6D);
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_DST_UNREACH, 0, 0, me), 0);

	/* multicast destination: only packet-too-big and param-problem 2 */
	ip6(fr, 8, NEP_PROTO_UDP, A6S, "ff0e::1");
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_DST_UNREACH, 0, 0, me), 0);
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_TIME_EXCEEDED, 0, 0, me), 0);
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_PARAM_PROB, 0, 6, me), 0);
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_PKT_TOO_BIG, 0, 1280, me), 96);
	assert_int_equal(nep_icmp6_build_error(out, sizeof(out), fr + 14, 48,
				 NEP_ICMP6_PARAM_PROB, 2, 40, me), 96);
	assert_int_equal(get16(out + 46), 40);
	assert_true(ref_icmp6_ok(out));
}

static void
test_build_icmp4_error(void **state)
{
	uint32_t me = pton4("203.0.113.2"), n;
	uint8_t *h = fr + 14, *l4;

	(void)state;
	l4 = ip4(fr, 5, 1000, NEP_PROTO_UDP, "192.0.2.1", "198.51.100.1");
	udp(l4, 1, 2, 980);
	for (int i = 8; i < 980; i++)
		l4[i] = (uint8_t)(i * 7);
	n = nep_icmp4_build_error(out, sizeof(out), h, 1000,
		NEP_ICMP4_DST_UNREACH, 4, 1400, me);
	assert_int_equal(n, 576);
	assert_int_equal(out[0], 0x45);
	assert_int_equal(get16(out + 2), 576);
	assert_int_equal(out[9], NEP_PROTO_ICMP);
	assert_true(out[8] > 0);
	assert_memory_equal(out + 12, &me, 4);
	assert_memory_equal(out + 16, h + 12, 4);	/* to the source */
	assert_true(ref_inet_ok(out, 20));
	assert_int_equal(out[20], NEP_ICMP4_DST_UNREACH);
	assert_int_equal(out[21], 4);
	assert_int_equal(get16(out + 24), 0);
	assert_int_equal(get16(out + 26), 1400);
	assert_memory_equal(out + 28, h, 548);
	assert_true(ref_inet_ok(out + 20, 556));
	/* the error itself parses as a good frame */
	memcpy(fr + 1024 + 14, out, n);
	eth(fr + 1024, RTE_ETHER_TYPE_IPV4);
	struct nep_pkt_info pi;
	assert_int_equal(nep_pkt_parse(fr + 1024, 14 + n, &pi), NEP_DROP_NONE);
	assert_int_equal(nep_icmp4_build_error(out, 575, h, 1000,
				 NEP_ICMP4_DST_UNREACH, 4, 1400, me), 0);

	/* short: quoted whole, no MTU */
	n = nep_icmp4_build_error(out, sizeof(out), h, 64,
		NEP_ICMP4_TIME_EXCEEDED, 0, 0, me);
	assert_int_equal(n, 28 + 64);
	assert_int_equal(get16(out + 26), 0);
	assert_true(ref_inet_ok(out, 20));
	assert_true(ref_inet_ok(out + 20, 8 + 64));
	assert_int_equal(nep_icmp4_build_error(out, sizeof(out), h, 19,
				 NEP_ICMP4_TIME_EXCEEDED, 0, 0, me), 0);

	/* about an echo request: yes; about an ICMP error: no */
	l4 = ip4(fr, 5, 28, NEP_PROTO_ICMP, "192.0.2.1", "198.51.100.1");
	memset(l4, 0, 8);
	l4[0] = NEP_ICMP4_ECHO_REQUEST;
	assert_int_equal(nep_icmp4_build_error(out, sizeof(out), h, 28,
				 NEP_ICMP4_TIME_EXCEEDED, 0, 0, me), 56);
	l4[0] = NEP_ICMP4_DST_UNREACH;
	assert_int_equal(nep_icmp4_build_error(out, sizeof(out), h, 28,
				 NEP_ICMP4_TIME_EXCEEDED, 0, 0, me), 0);
	l4[0] = NEP_ICMP4_TIME_EXCEEDED;
	assert_int_equal(nep_icmp4_build_error(out, sizeof(out), h, 28,
				 NEP_ICMP4_DST_UNREACH, 0, 0, me), 0);

	/* non-first fragment; multicast/broadcast; source 0.0.0.0 */
	ip4(fr, 5, 28, NEP_PROTO_UDP, "192.0.2.1", "198.51.100.1");
	put16(h + 6, 10);
	ip4_fix(h);
	assert_int_equal(nep_icmp4_build_error(out, sizeof(out), h, 28,
				 NEP_ICMP4_TIME_EXCEEDED, 0, 0, me), 0);
	ip4(fr, 5, 28, NEP_PROTO_UDP, "192.0.2.1", "239.0.0.1");
	assert_int_equal(nep_icmp4_build_error(out, sizeof(out), h, 28,
				 NEP_ICMP4_TIME_EXCEEDED, 0, 0, me), 0);
	ip4(fr, 5, 28, NEP_PROTO_UDP, "192.0.2.1", "255.255.255.255");
	assert_int_equal(nep_icmp4_build_error(out, sizeof(out), h, 28,
				 NEP_ICMP4_TIME_EXCEEDED, 0, 0, me), 0);
	ip4(fr, 5, 28, NEP_PROTO_UDP, "224.0.0.5", "198.51.100.1");
	assert_int_equal(nep_icmp4_build_error(out, sizeof(out), h, 28,
				 NEP_ICMP4_TIME_EXCEEDED, 0, 0, me), 0);
	ip4(fr, 5, 28, NEP_PROTO_UDP, "0.0.0.0", "198.51.100.1");
	assert_int_equal(nep_icmp4_build_error(out, sizeof(out), h, 28,
				 NEP_ICMP4_TIME_EXCEEDED, 0, 0, me), 0);
}

static void
test_build_arp(void **state)
{
	static const uint8_t zero[6];
	uint32_t s = pton4("192.0.2.1"), t = pton4("192.0.2.254");

	(void)state;
	memset(out, 0xee, 64);
	assert_int_equal(nep_arp_build(out, sizeof(out), 1, MAC, s, zero, t),
		28);
	assert_int_equal(get16(out), 1);		/* Ethernet */
	assert_int_equal(get16(out + 2), 0x0800);	/* IPv4 */
	assert_int_equal(out[4], 6);
	assert_int_equal(out[5], 4);
	assert_int_equal(get16(out + 6), 1);		/* request */
	assert_memory_equal(out + 8, MAC, 6);
	assert_memory_equal(out + 14, &s, 4);
	assert_memory_equal(out + 18, zero, 6);
	assert_memory_equal(out + 24, &t, 4);
	assert_int_equal(out[28], 0xee);
	assert_int_equal(nep_arp_build(out, 27, 2, MAC, s, zero, t), 0);
	assert_int_equal(nep_arp_build(out, 28, 2, MAC, s, MAC, t), 28);
	assert_int_equal(get16(out + 6), 2);
	assert_memory_equal(out + 18, MAC, 6);
}

static void
test_nd_find_lladdr(void **state)
{
	uint8_t o[32], m[6];

	(void)state;
	/* nonce (14, 8 bytes), then source link-layer address */
	memset(o, 0, sizeof(o));
	o[0] = 14;
	o[1] = 1;
	o[8] = 1;
	o[9] = 1;
	memcpy(o + 10, MAC, 6);
	memset(m, 0, 6);
	assert_int_equal(nep_nd_find_lladdr(o, 16, 1, m), 0);
	assert_memory_equal(m, MAC, 6);
	assert_int_equal(nep_nd_find_lladdr(o, 16, 2, m), -1);
	assert_int_equal(nep_nd_find_lladdr(o, 0, 1, m), -1);
	/* a trailing byte that is not an option */
	assert_int_equal(nep_nd_find_lladdr(o, 17, 1, m), -2);
	/* zero-length option */
	o[1] = 0;
	assert_int_equal(nep_nd_find_lladdr(o, 16, 1, m), -2);
	/* option runs past the end */
	o[1] = 1;
	o[9] = 2;
	assert_int_equal(nep_nd_find_lladdr(o, 16, 1, m), -2);
	/* an unrelated 16-byte option followed by the target address */
	memset(o, 0, sizeof(o));
	o[0] = 5;
	o[1] = 2;
	o[16] = 2;
	o[17] = 1;
	memcpy(o + 18, MAC, 6);
	memset(m, 0, 6);
	assert_int_equal(nep_nd_find_lladdr(o, 24, 2, m), 0);
	assert_memory_equal(m, MAC, 6);
}

static void
test_addr_helpers(void **state)
{
	uint8_t a[16], w[16], mac[6];
	static const uint8_t want_mac[6] = { 0x33, 0x33, 0xff, 0x34, 0x56,
		0x78 };
	static const uint8_t m2[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };

	(void)state;
	pton6("2001:db8::abcd:1234:5678", w);
	nep_ip6_solicited_node(w, a);
	pton6("ff02::1:ff34:5678", w);
	assert_memory_equal(a, w, 16);
	nep_ip6_mcast_mac(a, mac);
	assert_memory_equal(mac, want_mac, 6);
	pton6("ff02::1", w);
	nep_ip6_mcast_mac(w, mac);
	assert_int_equal(mac[0], 0x33);
	assert_int_equal(mac[5], 0x01);
	assert_int_equal(mac[2], 0);

	nep_ip6_linklocal_from_mac(MAC, a);
	pton6("fe80::5054:ff:fe12:3456", w);
	assert_memory_equal(a, w, 16);
	nep_ip6_linklocal_from_mac(m2, a);	/* U/L bit set: flipped off */
	pton6("fe80::5eff:fe10:1", w);
	assert_memory_equal(a, w, 16);
	assert_true(nep_ip6_is_linklocal(a));

	pton6("febf::1", w);
	assert_true(nep_ip6_is_linklocal(w));
	pton6("fec0::1", w);
	assert_false(nep_ip6_is_linklocal(w));
	pton6("ff02::2", w);
	assert_true(nep_ip6_is_multicast(w));
	assert_false(nep_ip6_is_unspecified(w));
	memset(w, 0, 16);
	assert_true(nep_ip6_is_unspecified(w));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ip6_tcp),
		cmocka_unit_test(test_parse_ip6_udp_icmp),
		cmocka_unit_test(test_parse_ip4),
		cmocka_unit_test(test_parse_arp),
		cmocka_unit_test(test_parse_vlan),
		cmocka_unit_test(test_drop_l2),
		cmocka_unit_test(test_drop_ip6),
		cmocka_unit_test(test_drop_ip6_ext_chain),
		cmocka_unit_test(test_ext_headers_walk),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_drop_ip4),
		cmocka_unit_test(test_drop_l4),
		cmocka_unit_test(test_csum_update16),
		cmocka_unit_test(test_ip4_dec_ttl),
		cmocka_unit_test(test_build_ns_na),
		cmocka_unit_test(test_build_echo),
		cmocka_unit_test(test_icmp4_echo_to_reply),
		cmocka_unit_test(test_build_icmp6_error),
		cmocka_unit_test(test_build_icmp4_error),
		cmocka_unit_test(test_build_arp),
		cmocka_unit_test(test_nd_find_lladdr),
		cmocka_unit_test(test_addr_helpers),
		cmocka_unit_test(test_parse_fast_matches_full),
		cmocka_unit_test(test_parse_fast4_matches_full),
		cmocka_unit_test(test_fast_parsers_read_within_len),
	};

	return cmocka_run_group_tests_name("pkt", tests, NULL, NULL);
}
