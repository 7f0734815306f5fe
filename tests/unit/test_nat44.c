/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/nat44: every translation (TCP, UDP with and without a checksum,
 * ICMP echo, first and later fragments, ICMP errors both ways quoting
 * TCP/UDP/ICMP, cut anywhere, hairpinning) byte for byte against the same
 * packet built with every checksum computed in full by this file's own
 * reference; the parser's result codes; port blocks (preservation,
 * parity, exhaustion, reservations, per-host limit, release and reuse,
 * two owners at random, threads racing for blocks); paired pooling; the
 * TCP state machine and the timeouts; filtering.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nep_nat44.h"

#define MAXPKT 2048

/* ---- deterministic randomness (xorshift64*) ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd32(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t
rnd(uint32_t n)
{
	return n == 0 ? 0 : rnd32() % n;
}

/* ---- reference checksums: full computations, nothing from the lib ---- */

static uint32_t
ref_sum(const uint8_t *p, uint32_t len, uint32_t acc)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static uint16_t
ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static unsigned int
ihl_of(const uint8_t *ip)
{
	return (ip[0] & 0xfu) * 4;
}

static void
ref_fix_ip(uint8_t *ip)
{
	wr16(ip + 10, 0);
	wr16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, ihl_of(ip), 0)));
}

/* Sum of the TCP/UDP pseudo-header for l4len bytes. */
static uint32_t
ref_pseudo(const uint8_t *ip, uint32_t l4len)
{
	uint32_t s = ref_sum(ip + 12, 8, 0);

	return s + ip[9] + l4len;
}

/*
 * Recompute the L4 checksum of a whole datagram (full_len bytes from the
 * IP header): TCP, UDP (unless its checksum is 0: none), ICMP.
 */
static void
ref_fix_l4(uint8_t *ip, uint32_t full_len)
{
	unsigned int ihl = ihl_of(ip);
	uint8_t *l4 = ip + ihl;
	uint32_t l4len = full_len - ihl;
	uint16_t c;

	switch (ip[9]) {
	case 6:
		wr16(l4 + 16, 0);
		wr16(l4 + 16, (uint16_t)~ref_fold(ref_sum(
				      l4, l4len, ref_pseudo(ip, l4len))));
		break;
	case 17:
		if (rd16(l4 + 6) == 0)
			break;
		wr16(l4 + 6, 0);
		c = (uint16_t)~ref_fold(
			ref_sum(l4, l4len, ref_pseudo(ip, l4len)));
		wr16(l4 + 6, c == 0 ? 0xffff : c);
		break;
	case 1:
		wr16(l4 + 2, 0);
		wr16(l4 + 2, (uint16_t)~ref_fold(ref_sum(l4, l4len, 0)));
		break;
	}
}

static void
ref_fix(uint8_t *ip, uint32_t full_len)
{
	ref_fix_l4(ip, full_len);
	ref_fix_ip(ip);
}

/* The checks a receiver makes, on a whole datagram. */
static void
ref_verify(const uint8_t *ip, uint32_t full_len)
{
	unsigned int ihl = ihl_of(ip);
	const uint8_t *l4 = ip + ihl;
	uint32_t l4len = full_len - ihl;

	assert_int_equal(ref_fold(ref_sum(ip, ihl, 0)), 0xffff);
	switch (ip[9]) {
	case 6:
		assert_int_equal(
			ref_fold(ref_sum(l4, l4len, ref_pseudo(ip, l4len))),
			0xffff);
		break;
	case 17:
		if (rd16(l4 + 6) != 0)
			assert_int_equal(ref_fold(ref_sum(l4, l4len,
						 ref_pseudo(ip, l4len))),
				0xffff);
		break;
	case 1:
		assert_int_equal(ref_fold(ref_sum(l4, l4len, 0)), 0xffff);
		break;
	}
}

/* ---- packet builders ---- */

static void
rnd_bytes(uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd32();
}

/*
 * A random datagram (header options, TCP options, payload) with correct
 * checksums; icmp_type for ICMP; udp_zero: no UDP checksum. Returns its
 * length.
 */
static uint32_t
gen_pkt(uint8_t *b, uint8_t proto, uint8_t icmp_type, uint32_t src,
	uint32_t dst, uint16_t sport, uint16_t dport, bool udp_zero,
	uint32_t max_payload)
{
	unsigned int ihlw = 5 + (rnd(4) == 0 ? rnd(11) : 0);
	unsigned int ihl = ihlw * 4, hl;
	uint32_t pay = rnd(4) == 0 ? 0 : rnd(max_payload + 1), l4len;
	uint8_t *l4 = b + ihl;

	memset(b, 0, MAXPKT);
	b[0] = (uint8_t)(0x40 | ihlw);
	b[1] = (uint8_t)rnd32();
	wr16(b + 4, (uint16_t)rnd32());
	wr16(b + 6, rnd(2) ? RTE_IPV4_HDR_DF_FLAG : 0);
	b[8] = (uint8_t)(1 + rnd(255));
	b[9] = proto;
	wr32(b + 12, src);
	wr32(b + 16, dst);
	rnd_bytes(b + 20, ihl - 20);
	switch (proto) {
	case 6:
		hl = 4 * (5 + (rnd(3) == 0 ? rnd(11) : 0));
		wr16(l4, sport);
		wr16(l4 + 2, dport);
		rnd_bytes(l4 + 4, 8);
		l4[12] = (uint8_t)(hl / 4 << 4);
		l4[13] = (uint8_t)rnd32();
		rnd_bytes(l4 + 14, 2);
		rnd_bytes(l4 + 18, 2);
		rnd_bytes(l4 + 20, hl - 20);
		break;
	case 17:
		hl = 8;
		wr16(l4, sport);
		wr16(l4 + 2, dport);
		wr16(l4 + 4, (uint16_t)(8 + pay));
		wr16(l4 + 6, udp_zero ? 0 : 1);
		break;
	default:
		hl = 8;
		l4[0] = icmp_type;
		wr16(l4 + 4, sport);
		rnd_bytes(l4 + 6, 2);
		break;
	}
	rnd_bytes(l4 + hl, pay);
	l4len = hl + pay;
	wr16(b + 2, (uint16_t)(ihl + l4len));
	ref_fix(b, ihl + l4len);
	return ihl + l4len;
}

/* The reference translation of a whole datagram: set, then recompute. */
static void
ref_translate(uint8_t *b, uint32_t full_len, enum nep_nat44_dir dir,
	uint32_t addr, uint16_t port)
{
	uint8_t *l4 = b + ihl_of(b);

	wr32(b + (dir == NEP_NAT44_OUT ? 12 : 16), addr);
	if (b[9] == 1)
		wr16(l4 + 4, port);
	else
		wr16(l4 + (dir == NEP_NAT44_OUT ? 0 : 2), port);
	ref_fix(b, full_len);
}

/* The first cut bytes of a datagram as its first fragment. */
static void
first_fragment(uint8_t *b, uint32_t cut)
{
	wr16(b + 6, (uint16_t)(rd16(b + 6) & ~RTE_IPV4_HDR_DF_FLAG) |
			    RTE_IPV4_HDR_MF_FLAG);
	wr16(b + 2, (uint16_t)cut);
	ref_fix_ip(b);
}

/*
 * An ICMP error from src to dst quoting q bytes of the packet orig;
 * rest: the 4 bytes after the checksum. Returns its length.
 */
static uint32_t
gen_icmp_err(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
	uint32_t rest, unsigned int opt_words, const uint8_t *orig, uint32_t q)
{
	unsigned int ihl = 20 + 4 * opt_words;
	uint8_t *icmp = b + ihl;

	memset(b, 0, MAXPKT);
	b[0] = (uint8_t)(0x40 | (ihl / 4));
	b[1] = 0xc0;
	wr16(b + 2, (uint16_t)(ihl + 8 + q));
	wr16(b + 4, 0x1234);
	b[8] = 64;
	b[9] = 1;
	wr32(b + 12, src);
	wr32(b + 16, dst);
	memset(b + 20, 0x01, ihl - 20); /* NOP options */
	icmp[0] = type;
	icmp[1] = code;
	wr32(icmp + 4, rest);
	memcpy(icmp + 8, orig, q);
	ref_fix(b, ihl + 8 + q);
	return ihl + 8 + q;
}

static void
assert_rc(enum nep_nat44_rc rc, enum nep_nat44_rc want, const char *what)
{
	if (rc != want)
		fail_msg("%s: got %s, want %s", what, nep_nat44_rc_name(rc),
			nep_nat44_rc_name(want));
}

static void
assert_bytes(const uint8_t *got, const uint8_t *want, uint32_t n,
	const char *what, unsigned int iter)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("%s #%u: byte %u is %02x, want %02x", what,
				iter, i, got[i], want[i]);
}

static uint32_t
rnd_addr(void)
{
	return rnd32() | 1;
}

static uint16_t
rnd_port(void)
{
	return (uint16_t)rnd32();
}

/* ---- names ---- */

static void
test_names(void **state)
{
	unsigned int i, j;

	(void)state;
	assert_string_equal(nep_nat44_rc_name(NEP_NAT44_OK), "ok");
	for (i = 1; i < NEP_NAT44_RC_MAX; i++) {
		const char *n = nep_nat44_rc_name((enum nep_nat44_rc)i);

		assert_non_null(n);
		assert_true(strncmp(n, "nat44_", 6) == 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(
				n, nep_nat44_rc_name((enum nep_nat44_rc)j));
	}
	assert_string_equal(nep_nat44_rc_name(NEP_NAT44_RC_MAX), "unknown");
	assert_string_equal(
		nep_nat44_rc_name(NEP_NAT44_ERR_NO_PORT), "nat44_no_port");
	assert_string_equal(nep_nat44_rc_name(NEP_NAT44_ERR_HOST_LIMIT),
		"nat44_host_limit");
	assert_string_equal(nep_nat44_tcp_state_name(NEP_NAT44_TCP_ESTABLISHED),
		"established");
	assert_string_equal(
		nep_nat44_tcp_state_name(NEP_NAT44_TCP_MAX), "unknown");
	for (i = 0; i < NEP_NAT44_TCP_MAX; i++)
		for (j = 0; j < i; j++)
			assert_string_not_equal(nep_nat44_tcp_state_name(i),
				nep_nat44_tcp_state_name(j));
	assert_int_equal(sizeof(struct nep_nat44_key), 8);
	assert_int_equal(sizeof(struct nep_nat44_frag_key), 12);
}

/* ---- parsing ---- */

static void
test_parse_errors(void **state)
{
	uint8_t b[MAXPKT], c[MAXPKT];
	struct nep_nat44_pkt pk;
	uint32_t n;

	(void)state;
	n = gen_pkt(b, 6, 0, 0x0a000001, 0x08080808, 40000, 443, false, 100);
	assert_rc(nep_nat44_parse(b, n, &pk), NEP_NAT44_OK, "tcp");
	assert_int_equal(pk.t.src, 0x0a000001);
	assert_int_equal(pk.t.dst, 0x08080808);
	assert_int_equal(pk.t.sport, 40000);
	assert_int_equal(pk.t.dport, 443);
	assert_int_equal(pk.t.proto, 6);
	assert_int_equal(pk.l4_off, ihl_of(b));
	assert_int_equal(pk.tcp_flags, b[ihl_of(b) + 13]);
	assert_false(pk.first_frag);

	/* buffer shorter than the header / than total_length */
	assert_rc(nep_nat44_parse(b, 19, &pk), NEP_NAT44_ERR_TRUNCATED, "19");
	assert_rc(nep_nat44_parse(b, 0, &pk), NEP_NAT44_ERR_TRUNCATED, "0");
	assert_rc(nep_nat44_parse(b, n - 1, &pk), NEP_NAT44_ERR_TRUNCATED,
		"tot > len");
	/* padding after total_length is fine */
	assert_rc(nep_nat44_parse(b, n + 30, &pk), NEP_NAT44_OK, "padding");

	memcpy(c, b, n);
	c[0] = 0x65;
	assert_rc(nep_nat44_parse(c, n, &pk), NEP_NAT44_ERR_NOT_IP4, "v6");
	assert_rc(
		nep_nat44_parse(c, 4, &pk), NEP_NAT44_ERR_NOT_IP4, "v6 short");
	memcpy(c, b, n);
	c[0] = 0x44;
	assert_rc(nep_nat44_parse(c, n, &pk), NEP_NAT44_ERR_BAD_HDR, "ihl 4");
	memcpy(c, b, n);
	c[0] = 0x4f;
	wr16(c + 2, 40);
	assert_rc(
		nep_nat44_parse(c, n, &pk), NEP_NAT44_ERR_BAD_HDR, "tot < ihl");
	memcpy(c, b, n);
	c[9] = 47;
	assert_rc(nep_nat44_parse(c, n, &pk), NEP_NAT44_ERR_PROTO, "gre");

	/* a TCP header cut below 20 bytes, a UDP one below 8 */
	n = gen_pkt(b, 6, 0, 1, 2, 3, 4, false, 0);
	wr16(b + 2, (uint16_t)(ihl_of(b) + 19));
	assert_rc(nep_nat44_parse(b, MAXPKT, &pk), NEP_NAT44_ERR_TRUNCATED,
		"tcp 19");
	n = gen_pkt(b, 17, 0, 1, 2, 3, 4, false, 0);
	wr16(b + 2, (uint16_t)(ihl_of(b) + 7));
	assert_rc(nep_nat44_parse(b, MAXPKT, &pk), NEP_NAT44_ERR_TRUNCATED,
		"udp 7");
	n = gen_pkt(b, 1, 8, 1, 2, 3, 3, false, 0);
	wr16(b + 2, (uint16_t)(ihl_of(b) + 7));
	assert_rc(nep_nat44_parse(b, MAXPKT, &pk), NEP_NAT44_ERR_TRUNCATED,
		"icmp 7");

	/* ICMP: echo both ways, errors, the rest */
	n = gen_pkt(b, 1, 8, 1, 2, 777, 777, false, 50);
	assert_rc(nep_nat44_parse(b, n, &pk), NEP_NAT44_OK, "echo");
	assert_int_equal(pk.t.sport, 777);
	assert_int_equal(pk.t.dport, 777);
	assert_int_equal(pk.icmp_type, 8);
	n = gen_pkt(b, 1, 0, 1, 2, 778, 778, false, 50);
	assert_rc(nep_nat44_parse(b, n, &pk), NEP_NAT44_OK, "echo reply");
	assert_int_equal(pk.t.dport, 778);
	{
		static const uint8_t errs[] = {3, 4, 11, 12};
		static const uint8_t others[] = {5, 9, 10, 13, 14, 15, 17, 42};
		unsigned int i;

		for (i = 0; i < sizeof(errs); i++) {
			n = gen_pkt(b, 1, errs[i], 1, 2, 3, 3, false, 50);
			assert_rc(nep_nat44_parse(b, n, &pk),
				NEP_NAT44_ICMP_ERROR, "icmp error");
			assert_rc(nep_nat44_snat(b, n, 5, 5),
				NEP_NAT44_ICMP_ERROR, "snat of an error");
		}
		for (i = 0; i < sizeof(others); i++) {
			n = gen_pkt(b, 1, others[i], 1, 2, 3, 3, false, 50);
			assert_rc(nep_nat44_parse(b, n, &pk),
				NEP_NAT44_ERR_ICMP_TYPE, "other icmp");
		}
	}
	(void)n;
}

static void
test_keys(void **state)
{
	uint8_t b[MAXPKT];
	struct nep_nat44_pkt pk;
	struct nep_nat44_key k;
	uint32_t n;

	(void)state;
	/* outbound: the inside side */
	n = gen_pkt(b, 17, 0, 0xc0a80105, 0x01020304, 5353, 53, false, 20);
	assert_rc(nep_nat44_parse(b, n, &pk), NEP_NAT44_OK, "udp");
	k = nep_nat44_key_src(&pk.t);
	assert_int_equal(k.addr, 0xc0a80105);
	assert_int_equal(k.port, 5353);
	assert_int_equal(k.proto, 17);
	assert_int_equal(k.pad, 0);
	/* inbound: the public side; the remote is the source */
	n = gen_pkt(b, 6, 0, 0x01020304, 0xcb007101, 443, 61000, false, 20);
	assert_rc(nep_nat44_parse(b, n, &pk), NEP_NAT44_OK, "tcp");
	k = nep_nat44_key_dst(&pk.t);
	assert_int_equal(k.addr, 0xcb007101);
	assert_int_equal(k.port, 61000);
	assert_int_equal(k.proto, 6);
	assert_int_equal(pk.t.src, 0x01020304);
	assert_int_equal(pk.t.sport, 443);
	/* ICMP echo reply inbound: the identifier */
	n = gen_pkt(b, 1, 0, 0x01020304, 0xcb007101, 999, 999, false, 20);
	assert_rc(nep_nat44_parse(b, n, &pk), NEP_NAT44_OK, "echo reply");
	k = nep_nat44_key_dst(&pk.t);
	assert_int_equal(k.port, 999);
	assert_int_equal(k.proto, 1);
	(void)n;
}

/* ---- translation against full recomputation ---- */

static const struct {
	uint8_t proto, type;
	bool udp_zero;
} kinds[] = {
	{6, 0, false},
	{17, 0, false},
	{17, 0, true},
	{1, 8, false},
	{1, 0, false},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static void
test_translate_random(void **state)
{
	static uint8_t orig[MAXPKT], got[MAXPKT], want[MAXPKT];
	unsigned int iter, frags = 0, zero_udp = 0;

	(void)state;
	for (iter = 0; iter < 100000; iter++) {
		unsigned int k = rnd(N_KINDS);
		enum nep_nat44_dir dir = rnd(2) ? NEP_NAT44_IN : NEP_NAT44_OUT;
		uint16_t sp = rnd_port(), dp = rnd_port();
		uint32_t addr = rnd_addr(), n, len, pad = rnd(3) * 7;
		uint16_t port = rnd(8) == 0 ? (dir == NEP_NAT44_OUT ? sp : dp)
					    : rnd_port();
		bool frag;
		enum nep_nat44_rc rc;

		if (kinds[k].proto == 1)
			dp = sp;
		if (kinds[k].proto == 1 && rnd(8) == 0)
			port = sp;
		n = gen_pkt(orig, kinds[k].proto, kinds[k].type, rnd_addr(),
			rnd_addr(), sp, dp, kinds[k].udp_zero, 1400);
		if (rnd(8) == 0)
			addr = rd32(orig + (dir == NEP_NAT44_OUT ? 12 : 16));
		memcpy(want, orig, n);
		ref_translate(want, n, dir, addr, port);
		ref_verify(want, n);
		len = n;
		/* A first fragment: the L4 checksum covers the datagram. */
		frag = n - ihl_of(orig) >= 48 && rnd(5) == 0;
		if (frag) {
			uint32_t l4min = kinds[k].proto == 6 ? 20 : 8;
			uint32_t room = (n - ihl_of(orig)) / 8 * 8;
			uint32_t cut;

			cut = ihl_of(orig) +
			      8 * ((l4min + 7) / 8 +
					  rnd(room / 8 - (l4min + 7) / 8 + 1));
			if (cut >= n)
				cut = ihl_of(orig) + (l4min + 7) / 8 * 8;
			if (cut < n) {
				first_fragment(orig, cut);
				first_fragment(want, cut);
				len = cut;
				frags++;
			}
		}
		if (kinds[k].udp_zero)
			zero_udp++;
		memcpy(got, orig, len);
		memset(got + len, 0xa5, pad);
		if (dir == NEP_NAT44_OUT)
			rc = nep_nat44_snat(got, len + pad, addr, port);
		else
			rc = nep_nat44_dnat(got, len + pad, addr, port);
		assert_rc(rc, NEP_NAT44_OK, "translate");
		assert_bytes(got, want, len, "translate", iter);
		for (n = 0; n < pad; n++)
			assert_int_equal(got[len + n], 0xa5);
		if (kinds[k].udp_zero)
			assert_int_equal(rd16(got + ihl_of(got) + 6), 0);
	}
	assert_true(frags > 5000);
	assert_true(zero_udp > 5000);
}

/*
 * The edges of one's-complement: a translation whose full recomputation
 * gives 0 (UDP: sent as 0xffff; TCP: 0x0000, never the other zero).
 */
static void
test_translate_checksum_edges(void **state)
{
	static uint8_t orig[MAXPKT], got[MAXPKT], want[MAXPKT];
	unsigned int iter;

	(void)state;
	for (iter = 0; iter < 2000; iter++) {
		uint8_t proto = iter & 1 ? 17 : 6;
		uint32_t n, ihl, l4len, a;
		uint16_t coff = proto == 6 ? 16 : 6, x;
		uint32_t addr = rnd_addr();
		uint16_t port = rnd_port();
		uint8_t *l4;

		do {
			n = gen_pkt(orig, proto, 0, rnd_addr(), rnd_addr(),
				rnd_port(), rnd_port(), false, 64);
		} while (n - ihl_of(orig) < (proto == 6 ? 20u : 8u) + 2 ||
			 ((n - ihl_of(orig)) & 1));
		ihl = ihl_of(orig);
		l4len = n - ihl;
		memcpy(want, orig, n);
		ref_translate(want, n, NEP_NAT44_OUT, addr, port);
		/* Set the last payload word so the translated sum is 0xffff. */
		l4 = want + ihl;
		wr16(l4 + l4len - 2, 0);
		wr16(l4 + coff, 0);
		a = ref_fold(ref_sum(l4, l4len, ref_pseudo(want, l4len)));
		x = (uint16_t)(0xffff - a);
		wr16(l4 + l4len - 2, x);
		wr16(orig + ihl + l4len - 2, x);
		wr16(orig + ihl + coff, 1);
		ref_fix(orig, n);
		wr16(l4 + coff, 1);
		ref_fix(want, n);
		assert_int_equal(
			rd16(want + ihl + coff), proto == 17 ? 0xffff : 0x0000);
		memcpy(got, orig, n);
		assert_rc(nep_nat44_snat(got, n, addr, port), NEP_NAT44_OK,
			"edge");
		assert_bytes(got, want, n, "checksum edge", iter);
		/* and back */
		assert_rc(nep_nat44_snat(
				  got, n, rd32(orig + 12), rd16(orig + ihl)),
			NEP_NAT44_OK, "edge back");
		assert_bytes(got, orig, n, "checksum edge back", iter);
	}
}

static void
test_translate_errors_leave_packet(void **state)
{
	uint8_t b[MAXPKT], c[MAXPKT];
	uint32_t n;

	(void)state;
	n = gen_pkt(b, 6, 0, 1, 2, 3, 4, false, 10);
	wr16(b + 6, 8); /* offset 64: a later fragment */
	ref_fix_ip(b);
	memcpy(c, b, n);
	assert_rc(nep_nat44_snat(c, n, 9, 9), NEP_NAT44_ERR_LATER_FRAGMENT,
		"later fragment");
	assert_memory_equal(b, c, n);
	assert_rc(nep_nat44_dnat(c, n - 1, 9, 9), NEP_NAT44_ERR_TRUNCATED,
		"truncated");
	assert_memory_equal(b, c, n);
	n = gen_pkt(b, 1, 13, 1, 2, 3, 3, false, 10);
	memcpy(c, b, n);
	assert_rc(nep_nat44_snat(c, n, 9, 9), NEP_NAT44_ERR_ICMP_TYPE,
		"timestamp");
	assert_memory_equal(b, c, n);
}

/* ---- fragments ---- */

static void
test_fragments(void **state)
{
	static uint8_t b[MAXPKT], want[MAXPKT];
	struct nep_nat44_pkt pk;
	struct nep_nat44_frag_key fk;
	unsigned int iter;
	uint32_t n;

	(void)state;
	n = gen_pkt(b, 17, 0, 0x0a000002, 0x08080404, 1000, 53, false, 300);
	assert_false(nep_nat44_is_fragment(b));
	assert_false(nep_nat44_is_first_fragment(b));
	assert_false(nep_nat44_is_later_fragment(b));
	assert_rc(nep_nat44_frag_snat(b, n, 5),
		NEP_NAT44_ERR_NOT_LATER_FRAGMENT, "whole packet");
	wr16(b + 4, 0xbeef);
	first_fragment(b, ihl_of(b) + 8);
	assert_true(nep_nat44_is_fragment(b));
	assert_true(nep_nat44_is_first_fragment(b));
	assert_false(nep_nat44_is_later_fragment(b));
	assert_rc(nep_nat44_parse(b, MAXPKT, &pk), NEP_NAT44_OK, "first");
	assert_true(pk.first_frag);
	assert_int_equal(pk.t.sport, 1000);
	assert_rc(nep_nat44_frag_snat(b, MAXPKT, 5),
		NEP_NAT44_ERR_NOT_LATER_FRAGMENT, "first fragment");
	fk = nep_nat44_frag_key(b);
	assert_int_equal(fk.src, 0x0a000002);
	assert_int_equal(fk.dst, 0x08080404);
	assert_int_equal(fk.id, 0xbeef);
	assert_int_equal(fk.proto, 17);
	assert_int_equal(fk.pad, 0);

	/* Later fragments (the last one has MF clear): address only. */
	for (iter = 0; iter < 5000; iter++) {
		bool last = rnd(2), in = rnd(2);
		uint32_t addr = rnd_addr(), len;
		uint16_t off = (uint16_t)(1 + rnd(8000));
		enum nep_nat44_rc rc;

		n = gen_pkt(b, (uint8_t[]){6, 17, 1, 50}[rnd(4)], 8, rnd_addr(),
			rnd_addr(), rnd_port(), rnd_port(), false, 1000);
		wr16(b + 6,
			(uint16_t)(off | (last ? 0 : RTE_IPV4_HDR_MF_FLAG)));
		ref_fix_ip(b);
		/* a later fragment may be as short as 1 payload byte */
		len = ihl_of(b) + rnd(n - ihl_of(b) + 1);
		wr16(b + 2, (uint16_t)len);
		ref_fix_ip(b);
		assert_true(nep_nat44_is_fragment(b));
		assert_false(nep_nat44_is_first_fragment(b));
		assert_true(nep_nat44_is_later_fragment(b));
		assert_rc(nep_nat44_parse(b, len, &pk),
			NEP_NAT44_ERR_LATER_FRAGMENT, "later");
		assert_int_equal(pk.t.src, rd32(b + 12));
		assert_int_equal(pk.t.proto, b[9]);
		assert_int_equal(pk.t.sport, 0);
		memcpy(want, b, len);
		wr32(want + (in ? 16 : 12), addr);
		ref_fix_ip(want);
		rc = in ? nep_nat44_frag_dnat(b, len, addr)
			: nep_nat44_frag_snat(b, len, addr);
		assert_rc(rc, NEP_NAT44_OK, "frag translate");
		assert_bytes(b, want, len, "later fragment", iter);
	}
	assert_rc(nep_nat44_frag_snat(b, 10, 5), NEP_NAT44_ERR_TRUNCATED,
		"short");
}

/* ---- ICMP errors ---- */

static const uint8_t err_types[][2] = {
	{3, 0},
	{3, 1},
	{3, 3},
	{3, 4},
	{3, 13},
	{4, 0},
	{11, 0},
	{11, 1},
	{12, 0},
};
#define N_ERR_TYPES (sizeof(err_types) / sizeof(err_types[0]))

/*
 * How much of a datagram of n bytes an error quotes: the header and 8
 * bytes at least; often exactly that, or (TCP) around the checksum, or
 * all of it.
 */
static uint32_t
quote_len(const uint8_t *p, uint32_t n)
{
	uint32_t min = ihl_of(p) + 8;

	switch (rnd(5)) {
	case 0:
		return min;
	case 1:
		min += rnd(13);
		return min < n ? min : n;
	case 2:
		return n;
	default:
		return min + rnd(n - min + 1);
	}
}

static void
check_icmp_err_case(bool inbound, unsigned int iter)
{
	static uint8_t o[MAXPKT], x[MAXPKT], e[MAXPKT], want[MAXPKT],
		qw[MAXPKT];
	unsigned int k = rnd(N_KINDS), t = rnd(N_ERR_TYPES);
	uint32_t host = rnd_addr(), pub = rnd_addr(), remote = rnd_addr();
	uint32_t router = rnd(2) ? remote : rnd_addr();
	uint16_t hp = rnd_port(), pp = rnd_port(), rp = rnd_port();
	uint32_t n, q, en, rest = rnd32();
	unsigned int opts = rnd(3) == 0 ? rnd(11) : 0;
	struct nep_nat44_icmp_err ie;
	struct nep_nat44_key key;
	uint8_t iproto = kinds[k].proto;

	if (kinds[k].proto == 1) {
		/* an error about an echo request */
		rp = hp;
		if (rnd(2))
			pp = hp;
	}
	if (inbound) {
		/* o: what the host sent; x: it after SNAT, which got an error
		 */
		n = gen_pkt(o, iproto, 8, host, remote, hp,
			iproto == 1 ? hp : rp, kinds[k].udp_zero, 600);
		memcpy(x, o, n);
		ref_translate(x, n, NEP_NAT44_OUT, pub, pp);
	} else {
		/* o: what arrived; x: it after DNAT, which the host answers */
		n = gen_pkt(o, iproto, 8, remote, pub, iproto == 1 ? pp : rp,
			pp, kinds[k].udp_zero, 600);
		memcpy(x, o, n);
		ref_translate(x, n, NEP_NAT44_IN, host, hp);
	}
	q = quote_len(x, n);
	memcpy(qw, o, q);
	/* A TCP checksum cut in its middle keeps the half it had. */
	if (iproto == 6 && q == ihl_of(o) + 17)
		qw[ihl_of(o) + 16] = x[ihl_of(o) + 16];
	if (inbound) {
		en = gen_icmp_err(e, router, pub, err_types[t][0],
			err_types[t][1], rest, opts, x, q);
		gen_icmp_err(want, router, host, err_types[t][0],
			err_types[t][1], rest, opts, qw, q);
	} else {
		en = gen_icmp_err(e, host, remote, err_types[t][0],
			err_types[t][1], rest, opts, x, q);
		gen_icmp_err(want, pub, remote, err_types[t][0],
			err_types[t][1], rest, opts, qw, q);
	}

	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie), NEP_NAT44_OK, "parse");
	assert_int_equal(ie.type, err_types[t][0]);
	assert_int_equal(ie.code, err_types[t][1]);
	assert_int_equal(ie.inner.proto, iproto);
	assert_int_equal(ie.inner_l4_len, q - ihl_of(x));
	assert_int_equal(ie.inner_l4_csum, iproto != 6 || q - ihl_of(x) >= 18);
	if (inbound) {
		assert_int_equal(ie.outer_dst, pub);
		assert_int_equal(ie.inner.src, pub);
		assert_int_equal(ie.inner.sport, pp);
		assert_int_equal(ie.inner.dst, remote);
		key = nep_nat44_key_src(&ie.inner);
		assert_int_equal(key.addr, pub);
		assert_int_equal(key.port, pp);
	} else {
		assert_int_equal(ie.outer_src, host);
		assert_int_equal(ie.inner.dst, host);
		assert_int_equal(ie.inner.dport, hp);
		assert_int_equal(ie.inner.src, remote);
		key = nep_nat44_key_dst(&ie.inner);
		assert_int_equal(key.addr, host);
		assert_int_equal(key.port, hp);
	}
	assert_int_equal(key.proto, iproto);
	assert_rc(nep_nat44_icmp_err_verify(e, &ie), NEP_NAT44_OK, "verify");

	if (inbound)
		assert_rc(nep_nat44_icmp_err_rewrite(
				  e, en, NEP_NAT44_IN, host, host, hp),
			NEP_NAT44_OK, "rewrite in");
	else
		assert_rc(nep_nat44_icmp_err_rewrite(
				  e, en, NEP_NAT44_OUT, pub, pub, pp),
			NEP_NAT44_OK, "rewrite out");
	assert_bytes(e, want, en, inbound ? "icmp error in" : "icmp error out",
		iter);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie), NEP_NAT44_OK,
		"parse after");
	assert_rc(nep_nat44_icmp_err_verify(e, &ie), NEP_NAT44_OK,
		"verify after");
}

static void
test_icmp_err_random(void **state)
{
	unsigned int iter;

	(void)state;
	for (iter = 0; iter < 100000; iter++)
		check_icmp_err_case(iter & 1, iter);
}

static void
test_icmp_err_rejects(void **state)
{
	static uint8_t o[MAXPKT], e[MAXPKT], c[MAXPKT];
	struct nep_nat44_icmp_err ie;
	uint32_t n, en;
	unsigned int ihl;

	(void)state;
	n = gen_pkt(o, 6, 0, 0xcb007101, 0x08080808, 40000, 80, false, 100);
	ihl = ihl_of(o);

	/* not an error */
	assert_rc(nep_nat44_icmp_err_parse(o, n, &ie),
		NEP_NAT44_ERR_NOT_ICMP_ERROR, "tcp");
	en = gen_pkt(e, 1, 8, 1, 2, 3, 3, false, 40);
	assert_rc(nep_nat44_icmp_err_rewrite(e, en, NEP_NAT44_IN, 1, 1, 1),
		NEP_NAT44_ERR_NOT_ICMP_ERROR, "echo");
	/* a redirect is not translated */
	en = gen_icmp_err(e, 9, 0xcb007101, 5, 1, 0x01020304, 0, o, ihl + 8);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie), NEP_NAT44_ERR_ICMP_TYPE,
		"redirect");

	/* cut quotes: before the end of the quoted header, before 8 bytes */
	en = gen_icmp_err(e, 9, 0xcb007101, 11, 0, 0, 0, o, 19);
	memcpy(c, e, en);
	assert_rc(nep_nat44_icmp_err_rewrite(e, en, NEP_NAT44_IN, 5, 5, 5),
		NEP_NAT44_ERR_INNER_TRUNCATED, "19 bytes");
	assert_memory_equal(c, e, en);
	en = gen_icmp_err(e, 9, 0xcb007101, 11, 0, 0, 0, o, ihl + 7);
	memcpy(c, e, en);
	assert_rc(nep_nat44_icmp_err_rewrite(e, en, NEP_NAT44_IN, 5, 5, 5),
		NEP_NAT44_ERR_INNER_TRUNCATED, "7 L4 bytes");
	assert_memory_equal(c, e, en);
	en = gen_icmp_err(e, 9, 0xcb007101, 3, 3, 0, 2, o, 0);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie),
		NEP_NAT44_ERR_INNER_TRUNCATED, "nothing quoted");

	/* the quoted header: not IPv4, short IHL, a later fragment */
	memcpy(c, o, n);
	c[0] = 0x60;
	en = gen_icmp_err(e, 9, 0xcb007101, 3, 1, 0, 0, c, n);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie),
		NEP_NAT44_ERR_INNER_BAD_HDR, "inner v6");
	memcpy(c, o, n);
	c[0] = 0x43;
	en = gen_icmp_err(e, 9, 0xcb007101, 3, 1, 0, 0, c, n);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie),
		NEP_NAT44_ERR_INNER_BAD_HDR, "inner ihl 3");
	memcpy(c, o, n);
	wr16(c + 6, 0x2000 | 100);
	ref_fix_ip(c);
	en = gen_icmp_err(e, 9, 0xcb007101, 3, 1, 0, 0, c, n);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie),
		NEP_NAT44_ERR_INNER_FRAGMENT, "inner later fragment");
	/* a quoted first fragment is fine */
	memcpy(c, o, n);
	wr16(c + 6, 0x2000);
	ref_fix_ip(c);
	en = gen_icmp_err(e, 9, 0xcb007101, 3, 1, 0, 0, c, n);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie), NEP_NAT44_OK,
		"inner first fragment");

	/* the quoted protocol: an error about an error, GRE */
	{
		uint8_t inner_err[MAXPKT];
		uint32_t m = gen_icmp_err(
			inner_err, 0xcb007101, 9, 3, 3, 0, 0, o, ihl + 8);

		en = gen_icmp_err(e, 9, 0xcb007101, 11, 0, 0, 0, inner_err, m);
		assert_rc(nep_nat44_icmp_err_parse(e, en, &ie),
			NEP_NAT44_ERR_INNER_PROTO, "error about an error");
	}
	memcpy(c, o, n);
	c[9] = 47;
	ref_fix_ip(c);
	en = gen_icmp_err(e, 9, 0xcb007101, 3, 2, 0, 0, c, n);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie),
		NEP_NAT44_ERR_INNER_PROTO, "inner gre");

	/* RFC 5508 REQ-3: bad ICMP checksum, bad quoted header checksum */
	en = gen_icmp_err(e, 9, 0xcb007101, 3, 3, 0, 0, o, n);
	e[en - 1] ^= 0x40;
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie), NEP_NAT44_OK, "parse");
	assert_rc(nep_nat44_icmp_err_verify(e, &ie),
		NEP_NAT44_ERR_ICMP_CHECKSUM, "icmp checksum");
	memcpy(c, o, n);
	c[8] ^= 1; /* TTL changed, checksum not */
	en = gen_icmp_err(e, 9, 0xcb007101, 3, 3, 0, 0, c, n);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie), NEP_NAT44_OK, "parse");
	assert_rc(nep_nat44_icmp_err_verify(e, &ie),
		NEP_NAT44_ERR_INNER_CHECKSUM, "inner checksum");
	/* a fragmented error: the ICMP checksum cannot be checked */
	en = gen_icmp_err(e, 9, 0xcb007101, 3, 3, 0, 0, o, n);
	e[en - 1] ^= 0x40;
	first_fragment(e, en);
	assert_rc(nep_nat44_icmp_err_parse(e, en, &ie), NEP_NAT44_OK, "parse");
	assert_true(ie.fragmented);
	assert_rc(nep_nat44_icmp_err_verify(e, &ie), NEP_NAT44_OK,
		"fragmented error");
}

/* Hairpinning (RFC 4787 REQ-9, RFC 5508 REQ-7): both translations. */
static void
test_hairpin(void **state)
{
	static uint8_t b[MAXPKT], want[MAXPKT], err[MAXPKT], werr[MAXPKT],
		x[MAXPKT];
	const uint32_t h1 = 0xc0a80102, h2 = 0xc0a80103, pub = 0xcb007105;
	unsigned int iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		unsigned int k = rnd(N_KINDS);
		uint16_t hp1 = rnd_port(), pp1 = rnd_port();
		uint16_t hp2 = rnd_port(), pp2 = rnd_port();
		uint8_t proto = kinds[k].proto;
		uint32_t n, q, en;

		if (proto == 1) { /* an echo to a 1:1-mapped host */
			pp2 = hp1;
			hp2 = hp1;
		}
		/* h1:hp1 -> pub:pp2, which is h2:hp2's mapping */
		n = gen_pkt(
			b, proto, 8, h1, pub, hp1, pp2, kinds[k].udp_zero, 800);
		memcpy(want, b, n);
		if (proto == 1) {
			/* the identifier is translated once */
			wr32(want + 12, pub);
			wr32(want + 16, h2);
			ref_fix(want, n);
			assert_rc(nep_nat44_snat(b, n, pub, hp1), NEP_NAT44_OK,
				"snat");
			assert_rc(nep_nat44_dnat(b, n, h2, hp1), NEP_NAT44_OK,
				"dnat");
			assert_bytes(b, want, n, "hairpin echo", iter);
			continue;
		}
		wr32(want + 12, pub);
		wr16(want + ihl_of(want), pp1);
		wr32(want + 16, h2);
		wr16(want + ihl_of(want) + 2, hp2);
		ref_fix(want, n);
		memcpy(x, b, n);
		assert_rc(nep_nat44_snat(b, n, pub, pp1), NEP_NAT44_OK, "snat");
		assert_rc(nep_nat44_dnat(b, n, h2, hp2), NEP_NAT44_OK, "dnat");
		assert_bytes(b, want, n, "hairpin", iter);

		/* h2 answers with an error: to pub, about pub:pp1 -> h2:hp2 */
		q = quote_len(b, n);
		if (proto == 6 && q == ihl_of(b) + 17)
			q++;
		en = gen_icmp_err(err, h2, pub, 3, 3, 0, 0, b, q);
		gen_icmp_err(werr, pub, h1, 3, 3, 0, 0, x, q);
		assert_rc(nep_nat44_icmp_err_rewrite(
				  err, en, NEP_NAT44_OUT, pub, pub, pp2),
			NEP_NAT44_OK, "error out");
		assert_rc(nep_nat44_icmp_err_rewrite(
				  err, en, NEP_NAT44_IN, h1, h1, hp1),
			NEP_NAT44_OK, "error in");
		assert_bytes(err, werr, en, "hairpinned error", iter);
	}
}

/* ---- port blocks ---- */

static struct nep_nat44_pool pool;
static struct nep_nat44_ports wk[4];

static void
test_pool_init(void **state)
{
	static const struct {
		uint32_t bs;
		unsigned int first, end;
	} ok[] = {
		{64, 16, 1024},
		{128, 8, 512},
		{256, 4, 256},
		{512, 2, 128},
		{1024, 1, 64},
		{2048, 1, 32},
		{4096, 1, 16},
	};
	static const uint32_t bad[] = {0, 1, 32, 63, 96, 100, 8192, 65536};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rc(nep_nat44_pool_init(&pool, 1, 6, bad[i]),
			NEP_NAT44_ERR_BLOCK_SIZE, "bad block size");
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_rc(nep_nat44_pool_init(&pool, 0xcb007101, 17, ok[i].bs),
			NEP_NAT44_OK, "block size");
		assert_int_equal(pool.first_block, ok[i].first);
		assert_int_equal(pool.end_block, ok[i].end);
		assert_int_equal(
			nep_nat44_pool_blocks(&pool), ok[i].end - ok[i].first);
		assert_int_equal(nep_nat44_pool_free_blocks(&pool),
			ok[i].end - ok[i].first);
		assert_true(ok[i].first * ok[i].bs >= NEP_NAT44_PORT_MIN);
		assert_int_equal(nep_nat44_block_owner(&pool, ok[i].first),
			NEP_NAT44_NO_OWNER);
		/* outside the usable range: never granted */
		assert_int_equal(nep_nat44_block_grab(&pool, 1, 1023), -1);
		if (ok[i].bs > 1024)
			assert_int_equal(nep_nat44_block_grab(&pool, 1,
						 (uint16_t)(ok[i].bs - 1)),
				-1);
	}
	/* grab by port, by anything, release */
	nep_nat44_pool_init(&pool, 1, 6, 256);
	assert_int_equal(nep_nat44_block_grab(&pool, 7, 40000), 40000 / 256);
	assert_int_equal(nep_nat44_block_grab(&pool, 8, 40001), -1);
	assert_int_equal(nep_nat44_block_owner(&pool, 40000 / 256), 7);
	assert_int_equal(nep_nat44_pool_free_blocks(&pool), 251);
	for (i = 0; i < 251; i++) {
		int b = nep_nat44_block_grab(&pool, i, 0);

		assert_true(b >= 4 && b < 256 && b != 40000 / 256);
		assert_int_equal(
			nep_nat44_block_owner(&pool, (unsigned int)b), i);
	}
	assert_int_equal(nep_nat44_block_grab(&pool, 9, 0), -1);
	assert_int_equal(nep_nat44_pool_free_blocks(&pool), 0);
	nep_nat44_block_release(&pool, 100);
	assert_int_equal(nep_nat44_block_owner(&pool, 100), NEP_NAT44_NO_OWNER);
	assert_int_equal(nep_nat44_block_grab(&pool, 9, 0), 100);
}

static void
test_port_preservation(void **state)
{
	uint16_t p;
	unsigned int b;

	(void)state;
	nep_nat44_pool_init(&pool, 0xcb007101, 17, 256);
	nep_nat44_ports_init(&wk[0], &pool, 1, 1, 0);
	nep_nat44_ports_init(&wk[1], &pool, 2, 1, 0);

	assert_rc(nep_nat44_port_alloc(&wk[0], NULL, 10, 40000, &p),
		NEP_NAT44_OK, "alloc");
	assert_int_equal(p, 40000);
	assert_int_equal(wk[0].in_use, 1);
	assert_int_equal(nep_nat44_block_owner(&pool, 40000 / 256), 1);
	assert_true(nep_nat44_port_in_use(&wk[0], 40000));
	/* taken: the same parity, in the block held */
	assert_rc(nep_nat44_port_alloc(&wk[0], NULL, 11, 40000, &p),
		NEP_NAT44_OK, "alloc");
	assert_int_not_equal(p, 40000);
	assert_int_equal(p & 1, 0);
	assert_int_equal(p / 256, 40000 / 256);
	assert_rc(nep_nat44_port_alloc(&wk[0], NULL, 11, 40001, &p),
		NEP_NAT44_OK, "odd");
	assert_int_equal(p, 40001);
	/* another free block: claimed to preserve the port */
	assert_rc(nep_nat44_port_alloc(&wk[0], NULL, 12, 50001, &p),
		NEP_NAT44_OK, "alloc");
	assert_int_equal(p, 50001);
	assert_int_equal(wk[0].n_blocks, 2);
	/* another worker's block: not preserved, its own block, parity */
	assert_rc(nep_nat44_port_alloc(&wk[1], NULL, 13, 40002, &p),
		NEP_NAT44_OK, "other worker");
	assert_int_not_equal(p / 256, 40000 / 256);
	assert_int_not_equal(p / 256, 50001 / 256);
	assert_int_equal(p & 1, 0);
	b = p / 256;
	assert_int_equal(nep_nat44_block_owner(&pool, b), 2);
	/* below 1024: a dynamic port of the same parity */
	assert_rc(nep_nat44_port_alloc(&wk[1], NULL, 13, 53, &p), NEP_NAT44_OK,
		"53");
	assert_true(p >= 1024);
	assert_int_equal(p & 1, 1);
	assert_rc(nep_nat44_port_alloc(&wk[1], NULL, 13, 0, &p), NEP_NAT44_OK,
		"0");
	assert_true(p >= 1024);
	assert_int_equal(p & 1, 0);

	/* capped preservation claims */
	nep_nat44_pool_init(&pool, 0xcb007101, 17, 256);
	nep_nat44_ports_init(&wk[0], &pool, 1, 1, 2);
	assert_rc(nep_nat44_port_alloc(&wk[0], NULL, 1, 10000, &p),
		NEP_NAT44_OK, "cap 1");
	assert_int_equal(p, 10000);
	assert_rc(nep_nat44_port_alloc(&wk[0], NULL, 1, 20000, &p),
		NEP_NAT44_OK, "cap 2");
	assert_int_equal(p, 20000);
	assert_rc(nep_nat44_port_alloc(&wk[0], NULL, 1, 30000, &p),
		NEP_NAT44_OK, "cap 3");
	assert_int_not_equal(p, 30000);
	assert_true(p / 256 == 10000 / 256 || p / 256 == 20000 / 256);
	assert_int_equal(p & 1, 0);
	assert_int_equal(wk[0].n_blocks, 2);
}

static void
test_port_parity(void **state)
{
	unsigned int i, preserved = 0;
	uint16_t p;

	(void)state;
	nep_nat44_pool_init(&pool, 1, 17, 64);
	nep_nat44_ports_init(&wk[0], &pool, 1, 1, 0);
	nep_nat44_ports_init(&wk[1], &pool, 2, 1, 0);
	for (i = 0; i < 30000; i++) {
		uint16_t want = rnd_port();
		struct nep_nat44_ports *w = &wk[i & 1];

		assert_rc(nep_nat44_port_alloc(w, NULL, i, want, &p),
			NEP_NAT44_OK, "alloc");
		assert_int_equal(p & 1, want & 1);
		assert_true(p >= 1024);
		preserved += p == want;
	}
	/* preservation holds while the wanted ports are free */
	assert_true(preserved > 10000);
}

static void
test_port_exhaustion(void **state)
{
	static uint8_t seen[65536];
	unsigned int n = 0, i, other = 0;
	uint16_t p;
	enum nep_nat44_rc rc;

	(void)state;
	memset(seen, 0, sizeof(seen));
	nep_nat44_pool_init(&pool, 1, 6, 4096);
	nep_nat44_ports_init(&wk[0], &pool, 1, 1, 0);
	nep_nat44_ports_init(&wk[1], &pool, 2, 1, 0);
	for (;;) {
		uint16_t want = rnd_port();

		rc = nep_nat44_port_alloc(&wk[0], NULL, n, want, &p);
		if (rc != NEP_NAT44_OK)
			break;
		assert_false(seen[p]);
		assert_true(p >= 4096);
		seen[p] = 1;
		other += (p & 1) != (want & 1);
		n++;
	}
	assert_rc(rc, NEP_NAT44_ERR_NO_PORT, "exhausted");
	assert_int_equal(n, 15 * 4096);
	assert_int_equal(wk[0].in_use, 15 * 4096);
	assert_int_equal(nep_nat44_pool_free_blocks(&pool), 0);
	/* the other parity only once one parity ran out */
	assert_true(other > 0 && other < 4096);
	assert_rc(nep_nat44_port_alloc(&wk[1], NULL, 1, 5000, &p),
		NEP_NAT44_ERR_NO_PORT, "other worker");
	/* one odd port free: an even want gets it */
	assert_rc(nep_nat44_port_free(&wk[0], NULL, 0, 33333), NEP_NAT44_OK,
		"free");
	assert_rc(nep_nat44_port_free(&wk[0], NULL, 0, 33333),
		NEP_NAT44_ERR_NOT_ALLOCATED, "double free");
	assert_rc(nep_nat44_port_alloc(&wk[0], NULL, 1, 8000, &p), NEP_NAT44_OK,
		"last one");
	assert_int_equal(p, 33333);
	for (i = 0; i < 65536; i++)
		if (seen[i])
			assert_rc(nep_nat44_port_free(
					  &wk[0], NULL, 0, (uint16_t)i),
				NEP_NAT44_OK, "free all");
	assert_int_equal(wk[0].in_use, 0);
	assert_int_equal(wk[0].n_blocks, 1);
	assert_int_equal(nep_nat44_pool_free_blocks(&pool), 14);
	assert_int_equal(nep_nat44_ports_trim(&wk[0], 0), 1);
	assert_int_equal(nep_nat44_pool_free_blocks(&pool), 15);
	assert_rc(nep_nat44_port_alloc(&wk[1], NULL, 1, 5000, &p), NEP_NAT44_OK,
		"after release");
	assert_int_equal(p, 5000);
}

static void
test_port_reserved(void **state)
{
	unsigned int n = 0;
	uint16_t p;

	(void)state;
	nep_nat44_pool_init(&pool, 1, 6, 64);
	nep_nat44_pool_reserve(&pool, 8080);
	nep_nat44_pool_reserve(&pool, 8081);
	nep_nat44_pool_reserve(&pool, 443); /* below the pool: no effect */
	nep_nat44_ports_init(&wk[0], &pool, 1, 0, 0);
	assert_rc(nep_nat44_port_alloc(&wk[0], NULL, 1, 8080, &p), NEP_NAT44_OK,
		"8080");
	assert_int_not_equal(p, 8080);
	assert_int_equal(p & 1, 0);
	assert_int_equal(p / 64, 8080 / 64);
	assert_rc(nep_nat44_port_free(&wk[0], NULL, 1, 8080),
		NEP_NAT44_ERR_NOT_ALLOCATED, "free a reserved port");
	while (nep_nat44_port_alloc(&wk[0], NULL, 1, rnd_port(), &p) ==
		NEP_NAT44_OK) {
		assert_true(p != 8080 && p != 8081);
		n++;
	}
	assert_int_equal(n + 1, 64512 - 2);
}

static void
test_host_limit(void **state)
{
	static _Alignas(8) uint8_t mem[4096];
	struct nep_nat44_hosts *h = (struct nep_nat44_hosts *)mem;
	uint16_t ports[10], p;
	unsigned int i;

	(void)state;
	assert_true(nep_nat44_hosts_memsize(64) <= sizeof(mem));
	assert_int_equal(nep_nat44_hosts_init(h, 48, 10), -EINVAL);
	assert_int_equal(nep_nat44_hosts_init(h, 4, 10), -EINVAL);
	assert_int_equal(nep_nat44_hosts_init(h, 64, 10), 0);
	nep_nat44_pool_init(&pool, 1, 17, 64);
	nep_nat44_ports_init(&wk[0], &pool, 1, 1, 0);
	for (i = 0; i < 10; i++)
		assert_rc(nep_nat44_port_alloc(&wk[0], h, 0x0a000001,
				  (uint16_t)(2000 + i), &ports[i]),
			NEP_NAT44_OK, "under the limit");
	assert_int_equal(nep_nat44_host_count(h, 0x0a000001), 10);
	assert_rc(nep_nat44_port_alloc(&wk[0], h, 0x0a000001, 3000, &p),
		NEP_NAT44_ERR_HOST_LIMIT, "the 11th");
	assert_int_equal(wk[0].in_use, 10);
	assert_int_equal(nep_nat44_host_count(h, 0x0a000001), 10);
	assert_rc(nep_nat44_port_alloc(&wk[0], h, 0x0a000002, 3000, &p),
		NEP_NAT44_OK, "another host");
	assert_rc(nep_nat44_port_free(&wk[0], h, 0x0a000001, 9),
		NEP_NAT44_ERR_NOT_ALLOCATED, "bad free");
	assert_int_equal(nep_nat44_host_count(h, 0x0a000001), 10);
	assert_rc(nep_nat44_port_free(&wk[0], h, 0x0a000001, ports[3]),
		NEP_NAT44_OK, "free");
	assert_int_equal(nep_nat44_host_count(h, 0x0a000001), 9);
	assert_rc(nep_nat44_port_alloc(&wk[0], h, 0x0a000001, 3000, &p),
		NEP_NAT44_OK, "again under the limit");
	/* exhaustion gives the count back */
	nep_nat44_pool_init(&pool, 1, 17, 4096);
	nep_nat44_ports_init(&wk[0], &pool, 1, 1, 0);
	nep_nat44_hosts_init(h, 64, 0);
	for (i = 0; i < 15 * 4096; i++)
		assert_rc(nep_nat44_port_alloc(&wk[0], h, i & 7, 0, &p),
			NEP_NAT44_OK, "fill");
	assert_rc(nep_nat44_port_alloc(&wk[0], h, 99, 0, &p),
		NEP_NAT44_ERR_NO_PORT, "exhausted");
	assert_int_equal(nep_nat44_host_count(h, 99), 0);
	assert_int_equal(h->n, 8);

	/* a full table */
	assert_int_equal(nep_nat44_hosts_init(h, 8, 0), 0);
	for (i = 1; i <= 7; i++)
		assert_rc(nep_nat44_host_get(h, i), NEP_NAT44_OK, "host");
	assert_rc(nep_nat44_host_get(h, 8), NEP_NAT44_ERR_HOST_TABLE_FULL,
		"full");
	assert_rc(nep_nat44_host_get(h, 3), NEP_NAT44_OK, "known host");
	nep_nat44_host_put(h, 5);
	assert_rc(nep_nat44_host_get(h, 8), NEP_NAT44_OK, "room again");
	assert_int_equal(nep_nat44_host_count(h, 3), 2);
	assert_int_equal(nep_nat44_host_count(h, 5), 0);
	nep_nat44_host_put(h, 12345); /* unknown: nothing */
	assert_int_equal(h->n, 7);
}

/* The host table against a reference under random gets and puts. */
static void
test_hosts_random(void **state)
{
	static _Alignas(8)
		uint8_t mem[sizeof(struct nep_nat44_hosts) +
			    1024 * sizeof(struct nep_nat44_host_ent)];
	static uint32_t ref[700];
	struct nep_nat44_hosts *h = (struct nep_nat44_hosts *)mem;
	unsigned int i, j, n = 0;

	(void)state;
	memset(ref, 0, sizeof(ref));
	assert_int_equal(nep_nat44_hosts_init(h, 1024, 5), 0);
	for (i = 0; i < 300000; i++) {
		unsigned int x = rnd(700);
		/* clustered keys collide in the table: probing and shifts */
		uint32_t host = x * 1024u;

		if (rnd(2)) {
			enum nep_nat44_rc rc = nep_nat44_host_get(h, host);

			if (ref[x] == 5) {
				assert_rc(
					rc, NEP_NAT44_ERR_HOST_LIMIT, "limit");
			} else {
				assert_rc(rc, NEP_NAT44_OK, "get");
				n += ref[x] == 0;
				ref[x]++;
			}
		} else {
			nep_nat44_host_put(h, host);
			if (ref[x] > 0) {
				ref[x]--;
				n -= ref[x] == 0;
			}
		}
		assert_int_equal(h->n, n);
		if (i % 1000 == 0)
			for (j = 0; j < 700; j++)
				assert_int_equal(
					nep_nat44_host_count(h, j * 1024u),
					ref[j]);
	}
}

static void
test_ports_two_owners_random(void **state)
{
	static uint8_t owner_of[65536];
	static uint16_t list[2][65536];
	unsigned int nl[2] = {0, 0}, i, k;
	uint16_t p;

	(void)state;
	memset(owner_of, 0, sizeof(owner_of));
	nep_nat44_pool_init(&pool, 1, 6, 64);
	nep_nat44_ports_init(&wk[0], &pool, 101, 0, 0);
	nep_nat44_ports_init(&wk[1], &pool, 102, 2, 8);
	for (i = 0; i < 400000; i++) {
		unsigned int w = rnd(2);
		/* phases: fill mostly, then drain mostly */
		bool alloc = (i / 50000) % 2 == 0 ? rnd(10) < 7 : rnd(10) < 3;

		if (alloc) {
			enum nep_nat44_rc rc = nep_nat44_port_alloc(
				&wk[w], NULL, 0, rnd_port(), &p);

			if (rc == NEP_NAT44_ERR_NO_PORT)
				continue;
			assert_rc(rc, NEP_NAT44_OK, "alloc");
			assert_int_equal(owner_of[p], 0);
			assert_int_equal(
				nep_nat44_block_owner(&pool, p / 64), 101 + w);
			owner_of[p] = (uint8_t)(1 + w);
			list[w][nl[w]++] = p;
		} else if (nl[w] > 0) {
			k = rnd(nl[w]);
			p = list[w][k];
			list[w][k] = list[w][--nl[w]];
			assert_rc(nep_nat44_port_free(&wk[w], NULL, 0, p),
				NEP_NAT44_OK, "free");
			/* the other worker cannot free it */
			owner_of[p] = 0;
			assert_rc(nep_nat44_port_free(&wk[1 - w], NULL, 0, p),
				NEP_NAT44_ERR_NOT_ALLOCATED, "not its port");
		}
		assert_int_equal(wk[0].in_use, nl[0]);
		assert_int_equal(wk[1].in_use, nl[1]);
	}
	for (k = 0; k < 2; k++)
		while (nl[k] > 0)
			assert_rc(nep_nat44_port_free(
					  &wk[k], NULL, 0, list[k][--nl[k]]),
				NEP_NAT44_OK, "drain");
	assert_int_equal(wk[0].n_blocks, 0);
	assert_true(wk[1].n_blocks <= 2);
	nep_nat44_ports_trim(&wk[1], 0);
	assert_int_equal(nep_nat44_pool_free_blocks(&pool), 1008);
}

/* Threads racing for the blocks of one address (the lock-free claim). */
struct thr {
	struct nep_nat44_ports *w;
	uint16_t *ports;
	unsigned int n;
	uint64_t seed;
};

static void *
thr_fill(void *arg)
{
	struct thr *t = arg;
	uint64_t s = t->seed;
	uint16_t p;

	for (;;) {
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		if (nep_nat44_port_alloc(t->w, NULL, 0,
			    (uint16_t)((s * 0x2545f4914f6cdd1dull) >> 48),
			    &p) != NEP_NAT44_OK)
			break;
		t->ports[t->n++] = p;
	}
	return NULL;
}

static void
test_ports_threads(void **state)
{
	static uint16_t ports[4][65536];
	static uint8_t seen[65536];
	pthread_t th[4];
	struct thr t[4];
	unsigned int i, j, total = 0;

	(void)state;
	memset(seen, 0, sizeof(seen));
	nep_nat44_pool_init(&pool, 1, 17, 64);
	for (i = 0; i < 4; i++) {
		nep_nat44_ports_init(&wk[i], &pool, i, 1, 0);
		t[i] = (struct thr){.w = &wk[i],
			.ports = ports[i],
			.seed = 0x1234567ull * (i + 1)};
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, thr_fill, &t[i]), 0);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 4; i++) {
		for (j = 0; j < t[i].n; j++) {
			uint16_t p = ports[i][j];

			assert_false(seen[p]);
			seen[p] = 1;
			assert_int_equal(
				nep_nat44_block_owner(&pool, p / 64), i);
		}
		total += t[i].n;
		assert_int_equal(wk[i].in_use, t[i].n);
	}
	assert_int_equal(total, 64512);
	assert_int_equal(nep_nat44_pool_free_blocks(&pool), 0);
}

/* ---- paired pooling ---- */

static void
test_pick_address(void **state)
{
	uint32_t addrs[8], shuffled[8], fewer[7];
	unsigned int count[8] = {0}, i, j, moved = 0, gone = 3;
	const unsigned int hosts = 20000;

	(void)state;
	for (i = 0; i < 8; i++)
		addrs[i] = 0xcb007100 + 10 * i;
	assert_int_equal(nep_nat44_pick_address(1, addrs, 0), 0);
	for (i = 0; i < 8; i++)
		shuffled[i] = addrs[(i * 3 + 5) % 8];
	for (i = 0, j = 0; i < 8; i++)
		if (i != gone)
			fewer[j++] = addrs[i];
	for (i = 0; i < hosts; i++) {
		uint32_t host = 0x0a000000 + i;
		unsigned int a = nep_nat44_pick_address(host, addrs, 8);
		unsigned int s = nep_nat44_pick_address(host, shuffled, 8);
		unsigned int f = nep_nat44_pick_address(host, fewer, 7);

		assert_true(a < 8);
		/* a pure function: the same again, in any order */
		assert_int_equal(nep_nat44_pick_address(host, addrs, 8), a);
		assert_int_equal(shuffled[s], addrs[a]);
		count[a]++;
		/* removing one address moves only its hosts */
		if (a != gone)
			assert_int_equal(fewer[f], addrs[a]);
		else
			moved++;
	}
	for (i = 0; i < 8; i++)
		assert_true(count[i] > hosts / 8 * 8 / 10 &&
			    count[i] < hosts / 8 * 12 / 10);
	assert_int_equal(moved, count[gone]);
	assert_int_equal(nep_nat44_pick_address(7, addrs, 1), 0);
}

/* ---- TCP state and timeouts ---- */

#define F NEP_NAT44_TCP_FIN
#define S NEP_NAT44_TCP_SYN
#define R NEP_NAT44_TCP_RST
#define A NEP_NAT44_TCP_ACK
#define O NEP_NAT44_OUT
#define I NEP_NAT44_IN

static uint8_t
run(uint8_t st, const uint8_t (*seq)[2], unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		st = nep_nat44_tcp_next(
			st, (enum nep_nat44_dir)seq[i][0], seq[i][1]);
	return st;
}

static void
test_tcp_states(void **state)
{
	static const struct {
		uint8_t from, dir, flags, to;
	} tr[] = {
		{NEP_NAT44_TCP_CLOSED, O, S, NEP_NAT44_TCP_SYN_SENT_OUT},
		{NEP_NAT44_TCP_CLOSED, I, S, NEP_NAT44_TCP_SYN_SENT_IN},
		{NEP_NAT44_TCP_CLOSED, O, A, NEP_NAT44_TCP_CLOSED},
		{NEP_NAT44_TCP_CLOSED, O, F | A, NEP_NAT44_TCP_CLOSED},
		{NEP_NAT44_TCP_CLOSED, O, R, NEP_NAT44_TCP_CLOSING},
		{NEP_NAT44_TCP_SYN_SENT_OUT, O, S, NEP_NAT44_TCP_SYN_SENT_OUT},
		{NEP_NAT44_TCP_SYN_SENT_OUT, O, A, NEP_NAT44_TCP_SYN_SENT_OUT},
		{NEP_NAT44_TCP_SYN_SENT_OUT, I, A, NEP_NAT44_TCP_SYN_SENT_OUT},
		{NEP_NAT44_TCP_SYN_SENT_OUT, I, S | A,
			NEP_NAT44_TCP_ESTABLISHED},
		{NEP_NAT44_TCP_SYN_SENT_OUT, I, S, NEP_NAT44_TCP_ESTABLISHED},
		{NEP_NAT44_TCP_SYN_SENT_OUT, I, R | A, NEP_NAT44_TCP_CLOSING},
		{NEP_NAT44_TCP_SYN_SENT_OUT, O, F, NEP_NAT44_TCP_FIN_WAIT_OUT},
		{NEP_NAT44_TCP_SYN_SENT_IN, O, S | A,
			NEP_NAT44_TCP_ESTABLISHED},
		{NEP_NAT44_TCP_SYN_SENT_IN, I, S, NEP_NAT44_TCP_SYN_SENT_IN},
		{NEP_NAT44_TCP_SYN_SENT_IN, I, F, NEP_NAT44_TCP_FIN_WAIT_IN},
		{NEP_NAT44_TCP_ESTABLISHED, O, A, NEP_NAT44_TCP_ESTABLISHED},
		{NEP_NAT44_TCP_ESTABLISHED, I, S, NEP_NAT44_TCP_ESTABLISHED},
		{NEP_NAT44_TCP_ESTABLISHED, O, F | A,
			NEP_NAT44_TCP_FIN_WAIT_OUT},
		{NEP_NAT44_TCP_ESTABLISHED, I, F | A,
			NEP_NAT44_TCP_FIN_WAIT_IN},
		{NEP_NAT44_TCP_ESTABLISHED, I, R, NEP_NAT44_TCP_CLOSING},
		{NEP_NAT44_TCP_ESTABLISHED, O, S | F,
			NEP_NAT44_TCP_ESTABLISHED},
		{NEP_NAT44_TCP_FIN_WAIT_OUT, O, F, NEP_NAT44_TCP_FIN_WAIT_OUT},
		{NEP_NAT44_TCP_FIN_WAIT_OUT, I, A, NEP_NAT44_TCP_FIN_WAIT_OUT},
		{NEP_NAT44_TCP_FIN_WAIT_OUT, I, F | A, NEP_NAT44_TCP_TIME_WAIT},
		{NEP_NAT44_TCP_FIN_WAIT_OUT, O, R, NEP_NAT44_TCP_CLOSING},
		{NEP_NAT44_TCP_FIN_WAIT_IN, O, F | A, NEP_NAT44_TCP_TIME_WAIT},
		{NEP_NAT44_TCP_FIN_WAIT_IN, I, F, NEP_NAT44_TCP_FIN_WAIT_IN},
		{NEP_NAT44_TCP_TIME_WAIT, O, A, NEP_NAT44_TCP_TIME_WAIT},
		{NEP_NAT44_TCP_TIME_WAIT, I, F, NEP_NAT44_TCP_TIME_WAIT},
		{NEP_NAT44_TCP_TIME_WAIT, O, S, NEP_NAT44_TCP_SYN_SENT_OUT},
		{NEP_NAT44_TCP_TIME_WAIT, I, S, NEP_NAT44_TCP_SYN_SENT_IN},
		{NEP_NAT44_TCP_TIME_WAIT, O, R, NEP_NAT44_TCP_CLOSING},
		{NEP_NAT44_TCP_CLOSING, O, A, NEP_NAT44_TCP_CLOSING},
		{NEP_NAT44_TCP_CLOSING, I, F, NEP_NAT44_TCP_CLOSING},
		{NEP_NAT44_TCP_CLOSING, O, S, NEP_NAT44_TCP_SYN_SENT_OUT},
		{NEP_NAT44_TCP_CLOSING, I, S | A, NEP_NAT44_TCP_SYN_SENT_IN},
	};
	static const uint8_t handshake_close[][2] = {
		{O, S},
		{I, S | A},
		{O, A},
		{O, A},
		{I, A},
		{O, F | A},
		{I, A},
		{I, F | A},
		{O, A},
	};
	static const uint8_t simultaneous[][2] = {{O, S}, {I, S}};
	unsigned int i;
	uint8_t st, f;

	(void)state;
	for (i = 0; i < sizeof(tr) / sizeof(tr[0]); i++) {
		st = nep_nat44_tcp_next(
			tr[i].from, (enum nep_nat44_dir)tr[i].dir, tr[i].flags);
		if (st != tr[i].to)
			fail_msg("%s + %s %02x: %s, want %s",
				nep_nat44_tcp_state_name(tr[i].from),
				tr[i].dir == O ? "out" : "in", tr[i].flags,
				nep_nat44_tcp_state_name(st),
				nep_nat44_tcp_state_name(tr[i].to));
	}
	assert_int_equal(run(NEP_NAT44_TCP_CLOSED, handshake_close, 3),
		NEP_NAT44_TCP_ESTABLISHED);
	assert_int_equal(run(NEP_NAT44_TCP_CLOSED, handshake_close, 6),
		NEP_NAT44_TCP_FIN_WAIT_OUT);
	assert_int_equal(run(NEP_NAT44_TCP_CLOSED, handshake_close, 9),
		NEP_NAT44_TCP_TIME_WAIT);
	assert_int_equal(run(NEP_NAT44_TCP_CLOSED, simultaneous, 2),
		NEP_NAT44_TCP_ESTABLISHED);
	/* RST wins over everything, in every state */
	for (st = 0; st < NEP_NAT44_TCP_MAX; st++)
		for (f = 0; f < 64; f++) {
			uint8_t n0 = nep_nat44_tcp_next(st, O, f);
			uint8_t n1 = nep_nat44_tcp_next(st, I, f);

			assert_true(n0 < NEP_NAT44_TCP_MAX);
			assert_true(n1 < NEP_NAT44_TCP_MAX);
			if (f & R) {
				assert_int_equal(n0, NEP_NAT44_TCP_CLOSING);
				assert_int_equal(n1, NEP_NAT44_TCP_CLOSING);
			}
			/* pure ACK / data never changes the state */
			if ((f & (S | F | R)) == 0) {
				assert_int_equal(n0, st);
				assert_int_equal(n1, st);
			}
		}
}

static void
test_timeouts(void **state)
{
	const struct nep_nat44_timeouts def = NEP_NAT44_TIMEOUTS_DEFAULT;
	struct nep_nat44_timeouts t;
	const char *field;
	uint8_t st;

	(void)state;
	assert_int_equal(def.tcp_established, 7440);
	assert_int_equal(def.tcp_transitory, 240);
	assert_int_equal(def.udp, 300);
	assert_int_equal(def.icmp, 60);
	field = NULL;
	assert_rc(nep_nat44_timeouts_check(&def, &field), NEP_NAT44_OK, "def");
	assert_null(field);

	t = def;
	t.udp = 120;
	assert_rc(nep_nat44_timeouts_check(&t, &field), NEP_NAT44_OK, "120");
	t.udp = 119;
	assert_rc(nep_nat44_timeouts_check(&t, &field), NEP_NAT44_ERR_TIMEOUT,
		"udp 119");
	assert_string_equal(field, "udp");
	t = def;
	t.tcp_established = 7439;
	assert_rc(nep_nat44_timeouts_check(&t, &field), NEP_NAT44_ERR_TIMEOUT,
		"est");
	assert_string_equal(field, "tcp_established");
	t = def;
	t.tcp_transitory = 239;
	assert_rc(nep_nat44_timeouts_check(&t, &field), NEP_NAT44_ERR_TIMEOUT,
		"trans");
	assert_string_equal(field, "tcp_transitory");
	t = def;
	t.icmp = 59;
	assert_rc(nep_nat44_timeouts_check(&t, NULL), NEP_NAT44_ERR_TIMEOUT,
		"icmp");
	t = def;
	t.udp = NEP_NAT44_TIMEOUT_MAX + 1;
	assert_rc(nep_nat44_timeouts_check(&t, &field), NEP_NAT44_ERR_TIMEOUT,
		"max");
	assert_string_equal(field, "udp");
	t.udp = NEP_NAT44_TIMEOUT_MAX;
	assert_rc(nep_nat44_timeouts_check(&t, &field), NEP_NAT44_OK, "max ok");

	t = def;
	t.udp = 600;
	for (st = 0; st < NEP_NAT44_TCP_MAX; st++)
		assert_int_equal(nep_nat44_timeout(st, 6, &t),
			st == NEP_NAT44_TCP_ESTABLISHED ? 7440 : 240);
	assert_int_equal(nep_nat44_timeout(0, 17, &t), 600);
	assert_int_equal(nep_nat44_timeout(0, 1, &t), 60);
	assert_int_equal(nep_nat44_timeout(0, 47, &t), 0);
	assert_int_equal(
		nep_nat44_expiry(NEP_NAT44_TCP_ESTABLISHED, 6, 1000, &t), 8440);
	assert_int_equal(
		nep_nat44_expiry(NEP_NAT44_TCP_FIN_WAIT_IN, 6, 1000, &t), 1240);
	assert_int_equal(nep_nat44_expiry(0, 17, 1000, &t), 1600);
	assert_int_equal(nep_nat44_expiry(0, 1, 1000, &t), 1060);
	/* never before the full timeout */
	assert_false(nep_nat44_expired(0, 1, 1000, 1060, &t));
	assert_true(nep_nat44_expired(0, 1, 1000, 1061, &t));
	assert_false(nep_nat44_expired(
		NEP_NAT44_TCP_ESTABLISHED, 6, 1000, 8440, &t));
	assert_true(
		nep_nat44_expired(NEP_NAT44_TCP_TIME_WAIT, 6, 1000, 1241, &t));
}

/* ---- filtering ---- */

static void
test_filtering(void **state)
{
	struct nep_nat44_remotes r;
	unsigned int i;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* EIF: anyone, nothing recorded */
	nep_nat44_remotes_note(&r, NEP_NAT44_FILTER_EIF, 1, 1);
	assert_int_equal(r.n, 0);
	assert_true(nep_nat44_filter_allow(NEP_NAT44_FILTER_EIF, &r, 9, 9));

	/* ADF: the addresses sent to, any port */
	assert_false(nep_nat44_filter_allow(NEP_NAT44_FILTER_ADF, &r, 1, 1));
	nep_nat44_remotes_note(&r, NEP_NAT44_FILTER_ADF, 0x01010101, 53);
	nep_nat44_remotes_note(&r, NEP_NAT44_FILTER_ADF, 0x01010101, 54);
	assert_int_equal(r.n, 1);
	assert_true(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_ADF, &r, 0x01010101, 9999));
	assert_false(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_ADF, &r, 0x01010102, 53));
	for (i = 2; i <= 4; i++)
		nep_nat44_remotes_note(
			&r, NEP_NAT44_FILTER_ADF, 0x01010100 + i, 53);
	assert_int_equal(r.n, 4);
	for (i = 1; i <= 4; i++)
		assert_true(nep_nat44_filter_allow(
			NEP_NAT44_FILTER_ADF, &r, 0x01010100 + i, 1));
	/* a fifth remote replaces the oldest */
	nep_nat44_remotes_note(&r, NEP_NAT44_FILTER_ADF, 0x01010105, 53);
	assert_false(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_ADF, &r, 0x01010101, 53));
	for (i = 2; i <= 5; i++)
		assert_true(nep_nat44_filter_allow(
			NEP_NAT44_FILTER_ADF, &r, 0x01010100 + i, 1));
	/* a known one does not evict anyone */
	nep_nat44_remotes_note(&r, NEP_NAT44_FILTER_ADF, 0x01010103, 1);
	for (i = 2; i <= 5; i++)
		assert_true(nep_nat44_filter_allow(
			NEP_NAT44_FILTER_ADF, &r, 0x01010100 + i, 1));
	nep_nat44_remotes_note(&r, NEP_NAT44_FILTER_ADF, 0x01010106, 1);
	assert_false(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_ADF, &r, 0x01010102, 1));
	assert_true(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_ADF, &r, 0x01010106, 1));
	/* EIF ignores the list */
	assert_true(nep_nat44_filter_allow(NEP_NAT44_FILTER_EIF, &r, 7, 7));

	/* APDF: address and port */
	memset(&r, 0, sizeof(r));
	nep_nat44_remotes_note(&r, NEP_NAT44_FILTER_APDF, 0x08080808, 53);
	nep_nat44_remotes_note(&r, NEP_NAT44_FILTER_APDF, 0x08080808, 443);
	assert_int_equal(r.n, 2);
	assert_true(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_APDF, &r, 0x08080808, 53));
	assert_true(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_APDF, &r, 0x08080808, 443));
	assert_false(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_APDF, &r, 0x08080808, 80));
	assert_true(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_ADF, &r, 0x08080808, 80));
	assert_false(nep_nat44_filter_allow(
		NEP_NAT44_FILTER_APDF, &r, 0x08080809, 53));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_translate_random),
		cmocka_unit_test(test_translate_checksum_edges),
		cmocka_unit_test(test_translate_errors_leave_packet),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_icmp_err_random),
		cmocka_unit_test(test_icmp_err_rejects),
		cmocka_unit_test(test_hairpin),
		cmocka_unit_test(test_pool_init),
		cmocka_unit_test(test_port_preservation),
		cmocka_unit_test(test_port_parity),
		cmocka_unit_test(test_port_exhaustion),
		cmocka_unit_test(test_port_reserved),
		cmocka_unit_test(test_host_limit),
		cmocka_unit_test(test_hosts_random),
		cmocka_unit_test(test_ports_two_owners_random),
		cmocka_unit_test(test_ports_threads),
		cmocka_unit_test(test_pick_address),
		cmocka_unit_test(test_tcp_states),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_filtering),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
