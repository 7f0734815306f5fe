/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/ilnp: the Nonce option walk, locator rewriting, Locator Updates and
 * their NID-only checksum, per-packet DRR by bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "nep_ilnp.h"

static uint8_t pkt[512];

static void
a6(const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* IPv6 header + the extension headers hdrs (already laid out by the
 * caller at pkt + 40) + upper layer; returns the total length. */
static uint32_t
ip6(uint8_t nh, uint32_t plen)
{
	memset(pkt, 0, 40);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(plen >> 8);
	pkt[5] = (uint8_t)plen;
	pkt[6] = nh;
	pkt[7] = 64;
	a6("fd42:100:1::10", pkt + 8);
	a6("2001:db8:99::1", pkt + 24);
	return 40 + plen;
}

/* A Destination Options header at off with a nonce of nlen bytes, padded
 * with PadN (pad bytes of PadN before the nonce when lead). */
static uint32_t
dstopts(uint32_t off, uint8_t next, uint8_t nlen, bool lead)
{
	uint32_t o = off + 2, total = nlen == 4 ? 8 : 16;
	uint8_t *h = pkt + off;

	if (lead) {
		total += 8;
		h[2] = 1;	/* PadN, 6 bytes of padding in all */
		h[3] = 4;
		memset(h + 4, 0, 4);
		h[8] = 0;	/* and a Pad1 */
		h[9] = 0;
		o = off + 10;
		/* one more 8 bytes to keep the nonce and then pad */
	}
	h[0] = next;
	h[1] = (uint8_t)(total / 8 - 1);
	pkt[o] = NEP_ILNP_OPT_NONCE;
	pkt[o + 1] = nlen;
	for (unsigned i = 0; i < nlen; i++)
		pkt[o + 2 + i] = (uint8_t)(0xa0 + i);
	/* the rest: PadN / Pad1 */
	for (uint32_t p = o + 2 + nlen; p < off + total; p++)
		pkt[p] = 0;
	return total;
}

static void
test_find_nonce(void **state)
{
	struct nep_ilnp_info ii;
	uint32_t len, h;

	(void)state;
	/* 4-byte nonce, then UDP */
	h = dstopts(40, 17, 4, false);
	len = ip6(NEP_IP6_NH_DSTOPTS, h + 8);
	assert_true(nep_ilnp_find(pkt, len, &ii));
	assert_int_equal(ii.nonce_len, 4);
	assert_int_equal(ii.nonce_off, 44);
	assert_int_equal(ii.proto, 17);
	assert_int_equal(ii.l4_off, 48);
	/* 12-byte nonce after padding, then ICMPv6 */
	h = dstopts(40, 58, 12, true);
	len = ip6(NEP_IP6_NH_DSTOPTS, h + 8);
	assert_true(nep_ilnp_find(pkt, len, &ii));
	assert_int_equal(ii.nonce_len, 12);
	assert_int_equal(ii.nonce_off, 52);
	assert_int_equal(ii.proto, 58);
	assert_int_equal(ii.l4_off, 40 + h);
	/* behind a hop-by-hop header (8 bytes of PadN) */
	memset(pkt + 40, 0, 8);
	pkt[40] = NEP_IP6_NH_DSTOPTS;
	pkt[42] = 1;
	pkt[43] = 4;
	h = dstopts(48, 6, 4, false);
	len = ip6(NEP_IP6_NH_HOPOPTS, 8 + h + 20);
	assert_true(nep_ilnp_find(pkt, len, &ii));
	assert_int_equal(ii.proto, 6);
	assert_int_equal(ii.l4_off, 56);
	/* not ILNP: plain UDP; a destination option of another type; a
	 * nonce option of another length; cut short */
	len = ip6(17, 8);
	assert_false(nep_ilnp_find(pkt, len, &ii));
	h = dstopts(40, 17, 4, false);
	pkt[42] = 0x1e;
	len = ip6(NEP_IP6_NH_DSTOPTS, h + 8);
	assert_false(nep_ilnp_find(pkt, len, &ii));
	pkt[42] = NEP_ILNP_OPT_NONCE;
	pkt[43] = 2;
	pkt[46] = 1;	/* PadN over the rest */
	pkt[47] = 0;
	assert_false(nep_ilnp_find(pkt, len, &ii));
	h = dstopts(40, 17, 12, false);
	len = ip6(NEP_IP6_NH_DSTOPTS, h + 8);
	for (uint32_t cut = 40; cut < 40 + h; cut++)
		assert_false(nep_ilnp_find(pkt, cut, &ii));
	assert_true(nep_ilnp_find(pkt, 40 + h, &ii));
	/* an option running past its header */
	pkt[43] = 200;
	assert_false(nep_ilnp_find(pkt, len, &ii));
}

static void
test_locator_map(void **state)
{
	static const struct {
		const char *in, *out, *want;
		unsigned plen;
	} cases[] = {
		/* inside fd42:100::/48 -> 2001:db8:1100::/48, subnet kept */
		{ "fd42:100:0:7:1:2:3:4", "", "2001:db8:1100:7:1:2:3:4", 48 },
		/* /56: the low byte of the subnet kept */
		{ "fd42:100:0:7:1:2:3:4", "", "2001:db8:1100:7:1:2:3:4", 56 },
		/* /64: the whole locator replaced (fd42:100:0:7::/64 is
		 * another prefix then) */
		{ "fd42:100::1:2:3:4", "", "2001:db8:1100::1:2:3:4", 64 },
	};
	uint8_t a[16], want[16], net_in[16], net_out[16];

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		uint64_t mask = cases[i].plen >= 64 ? UINT64_MAX :
			~(UINT64_MAX >> cases[i].plen);

		a6("fd42:100::", net_in);
		a6("2001:db8:1100::", net_out);
		a6(cases[i].in, a);
		a6(cases[i].want, want);
		assert_true(nep_ilnp_addr_map(a, nep_ilnp_ld64(net_in) & mask,
			nep_ilnp_ld64(net_out) & mask, mask));
		assert_memory_equal(a, want, 16);
		/* and back */
		assert_true(nep_ilnp_addr_map(a, nep_ilnp_ld64(net_out) & mask,
			nep_ilnp_ld64(net_in) & mask, mask));
		a6(cases[i].in, want);
		assert_memory_equal(a, want, 16);
		/* outside the prefix: untouched */
		a6(cases[i].plen == 64 ? "fd42:100:0:7::1" : "2001:db8:99::1",
			a);
		memcpy(want, a, 16);
		assert_false(nep_ilnp_addr_map(a, nep_ilnp_ld64(net_in) & mask,
			nep_ilnp_ld64(net_out) & mask, mask));
		assert_memory_equal(a, want, 16);
	}
}

/* The straightforward checksum, for comparison: a pseudo-header buffer
 * with the locators zeroed, then the message. */
static uint16_t
ref_cksum(const uint8_t *src, const uint8_t *dst, const uint8_t *m,
	uint32_t len)
{
	uint8_t buf[40 + 512];
	uint32_t s = 0, n = 40 + len;

	memset(buf, 0, 40);
	memcpy(buf + 8, src + 8, 8);
	memcpy(buf + 24, dst + 8, 8);
	buf[34] = (uint8_t)(len >> 8);
	buf[35] = (uint8_t)len;
	buf[39] = 58;
	memcpy(buf + 40, m, len);
	buf[42] = buf[43] = 0;
	for (uint32_t i = 0; i < n; i += 2)
		s += (uint32_t)buf[i] << 8 | (i + 1 < n ? buf[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
test_lu_build_parse(void **state)
{
	struct nep_ilnp_lu lu = { .code = 0, .operation = NEP_ILNP_LU_ADVERT },
			  got;
	uint8_t src[16], dst[16], m[8 + 12 * NEP_ILNP_LU_MAX + 12];
	uint32_t len;

	(void)state;
	a6("fd42:100:1::10", src);
	a6("2001:db8:99::1", dst);
	for (unsigned n = 1; n <= NEP_ILNP_LU_MAX; n++) {
		lu.n = (uint8_t)n;
		for (unsigned i = 0; i < n; i++)
			lu.e[i] = (struct nep_ilnp_lu_entry){
				0x20010db811000000ull + i * 0x10000, (uint16_t)(10 + i),
				(uint16_t)(30 * (i + 1)) };
		len = nep_ilnp_lu_build(src, dst, &lu, m);
		assert_int_equal(len, 8 + 12 * n);
		assert_int_equal(m[0], 156);
		assert_int_equal(m[4], n);
		assert_int_equal((uint16_t)(m[2] << 8 | m[3]),
			ref_cksum(src, dst, m, len));
		memset(&got, 0, sizeof(got));
		assert_int_equal(nep_ilnp_lu_parse(src, dst, m, len, &got),
			NEP_ILNP_LU_OK);
		assert_int_equal(got.n, n);
		assert_memory_equal(got.e, lu.e, n * sizeof(lu.e[0]));
		/* the locators of the addresses are not covered */
		src[0] ^= 0xff;
		dst[3] ^= 0x55;
		assert_int_equal(nep_ilnp_lu_parse(src, dst, m, len, &got),
			NEP_ILNP_LU_OK);
		/* the NIDs are */
		src[15] ^= 1;
		assert_int_equal(nep_ilnp_lu_parse(src, dst, m, len, &got),
			NEP_ILNP_LU_BAD_CHECKSUM);
		src[15] ^= 1;
		src[0] ^= 0xff;
		dst[3] ^= 0x55;
	}
	lu.n = 2;
	len = nep_ilnp_lu_build(src, dst, &lu, m);
	assert_int_equal(nep_ilnp_lu_parse(src, dst, m, 7, &got),
		NEP_ILNP_LU_TRUNCATED);
	assert_int_equal(nep_ilnp_lu_parse(src, dst, m, len - 1, &got),
		NEP_ILNP_LU_BAD_LENGTH);
	m[5] = 3;
	assert_int_equal(nep_ilnp_lu_parse(src, dst, m, len, &got),
		NEP_ILNP_LU_BAD_OPERATION);
	m[5] = NEP_ILNP_LU_ACK;
	assert_int_equal(nep_ilnp_lu_parse(src, dst, m, len, &got),
		NEP_ILNP_LU_BAD_CHECKSUM);
	m[4] = 0;
	assert_int_equal(nep_ilnp_lu_parse(src, dst, m, 8, &got),
		NEP_ILNP_LU_NO_LOCATORS);
	m[4] = NEP_ILNP_LU_MAX + 1;
	assert_int_equal(nep_ilnp_lu_parse(src, dst, m,
		8 + 12 * (NEP_ILNP_LU_MAX + 1), &got), NEP_ILNP_LU_TOO_MANY);
	assert_string_equal(nep_ilnp_lu_rc_name(NEP_ILNP_LU_BAD_CHECKSUM),
		"ilnp_lu_bad_checksum");
}

static void
test_drr_by_bytes(void **state)
{
	struct nep_ilnp_drr d = { 0 };
	const uint8_t ids[3] = { 0, 1, 2 };
	const uint32_t w[3] = { 7, 3, 1 };
	uint64_t bytes[3] = { 0 }, total = 0;
	uint32_t seed = 7;

	(void)state;
	for (unsigned i = 0; i < 10000; i++) {
		uint32_t b;
		int p;

		seed = seed * 1103515245u + 12345u;
		b = 60 + (seed >> 8) % 1441;
		p = nep_ilnp_drr_pick(&d, ids, w, 3, b);
		assert_true(p >= 0 && p < 3);
		bytes[p] += b;
		total += b;
		/* every path within one packet (1500 B) of its share */
		for (unsigned k = 0; k < 3; k++) {
			double share = (double)total * w[k] / 11.0;
			assert_true((double)bytes[k] < share + 1501.0);
		}
	}
	for (unsigned k = 0; k < 3; k++) {
		double share = (double)bytes[k] / (double)total;
		double want = w[k] / 11.0;
		assert_true(share > want * 0.98 && share < want * 1.02);
	}
	/* a path leaves: the counters start again over the two left */
	assert_int_equal(nep_ilnp_drr_pick(&d, ids + 1, w + 1, 2, 100), 1);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.sent[0], 100);
	assert_int_equal(d.sent[1], 0);
	assert_int_equal(nep_ilnp_drr_pick(&d, ids, w, 0, 100), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_nonce),
		cmocka_unit_test(test_locator_map),
		cmocka_unit_test(test_lu_build_parse),
		cmocka_unit_test(test_drr_by_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
