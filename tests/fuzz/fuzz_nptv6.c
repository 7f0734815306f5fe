/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NPTv6 (lib/nptv6, RFC 6296): for any valid prefix pair and address,
 * SNPT gives an address in the outside prefix with the same ones'
 * complement sum (checksum neutral), DNPT of it gives the address back,
 * and the same for DNPT then SNPT; a refused address is left untouched.
 * The ICMPv6 error rewrite keeps the whole message's checksum right.
 * Input: two prefixes (16 bytes, length), an address, an ICMPv6 message.
 */
#include <sys/socket.h>

#include "fuzz.h"

#include "nep_nptv6.h"

static void
get_prefix(struct fuzz_in *in, struct nep_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->addr.family = AF_INET6;
	fuzz_bytes(in, p->addr.a, 8);
	p->len = fuzz_u8(in);
	/* Host bits cleared, so most inputs make a valid pair; a length
	 * outside 1..64 must be refused. */
	if (p->len >= 1 && p->len <= 64) {
		uint64_t net =
			nep_nptv6_load64(p->addr.a) & nep_nptv6_mask64(p->len);

		nep_nptv6_store64(p->addr.a, net);
	}
}

/* Sum of an address's eight words, 0xffff and 0 being one value. */
static uint16_t
addr_sum(const uint8_t *a)
{
	uint16_t s = fuzz_fold(fuzz_sum16(a, 16, 0));

	return s == 0xffff ? 0 : s;
}

static void
one_way(const struct nep_nptv6 *t, const uint8_t *a0, int snpt_first)
{
	uint8_t a[16], b[16];
	int r;

	memcpy(a, a0, 16);
	r = snpt_first ? nep_nptv6_snpt(t, a) : nep_nptv6_dnpt(t, a);
	if (r != 0) {
		FUZZ_CHECK(r == -1);
		FUZZ_CHECK(memcmp(a, a0, 16) == 0);
		return;
	}
	FUZZ_CHECK(snpt_first ? nep_nptv6_in_outside(t, a)
			      : nep_nptv6_in_inside(t, a));
	FUZZ_CHECK(addr_sum(a) == addr_sum(a0));
	/* The bits beyond the translated prefix, except the adjustment
	 * word, are the address's own. */
	if (t->plen <= 48) {
		FUZZ_CHECK(memcmp(a + 8, a0 + 8, 8) == 0);
	} else {
		FUZZ_CHECK((nep_nptv6_load64(a) & ~t->mask) ==
			   (nep_nptv6_load64(a0) & ~t->mask));
	}
	memcpy(b, a, 16);
	r = snpt_first ? nep_nptv6_dnpt(t, b) : nep_nptv6_snpt(t, b);
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(memcmp(b, a0, 16) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct nep_prefix pin, pout;
	struct nep_nptv6 t;
	uint8_t addr[16], *icmp, *copy;
	size_t ilen;
	int r, dir;

	get_prefix(&in, &pin);
	get_prefix(&in, &pout);
	fuzz_bytes(&in, addr, 16);
	dir = fuzz_u8(&in) & 1;
	r = nep_nptv6_init(&t, &pin, &pout);
	if (pin.len == 0 || pin.len > 64 || pout.len == 0 || pout.len > 64) {
		FUZZ_CHECK(r != 0);
		return 0;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(t.plen == (pin.len > pout.len ? pin.len : pout.len));

	one_way(&t, addr, 1);
	one_way(&t, addr, 0);
	/* Make the address an inside one so SNPT has work more often. */
	nep_nptv6_store64(addr, (nep_nptv6_load64(addr) & ~t.mask) | t.in_net);
	one_way(&t, addr, 1);
	nep_nptv6_store64(addr, (nep_nptv6_load64(addr) & ~t.mask) | t.out_net);
	one_way(&t, addr, 0);

	/* The ICMPv6 message an error carries: its embedded header's
	 * address is rewritten checksum-neutrally, nothing else moves. */
	ilen = in.n;
	icmp = fuzz_dup(in.p, ilen);
	copy = fuzz_dup(in.p, ilen);
	if (ilen >= 48) {
		uint8_t *a = icmp + 8 + (dir == NEP_NPTV6_EGRESS ? 24 : 8);

		if (icmp[1] & 1) /* often a matching embedded address */
			nep_nptv6_store64(a,
				(nep_nptv6_load64(a) & ~t.mask) |
					(dir == NEP_NPTV6_EGRESS ? t.in_net
								 : t.out_net));
		memcpy(copy, icmp, ilen);
	}
	r = nep_nptv6_icmp6_inner(&t, icmp, ilen, (enum nep_nptv6_dir)dir);
	FUZZ_CHECK(r >= -1 && r <= 1);
	if (r != 1) {
		FUZZ_CHECK(memcmp(icmp, copy, ilen) == 0);
	} else {
		size_t off = 8 + (dir == NEP_NPTV6_EGRESS ? 24 : 8);

		FUZZ_CHECK(ilen >= 48 && icmp[0] < 128);
		FUZZ_CHECK(memcmp(icmp, copy, off) == 0);
		FUZZ_CHECK(memcmp(icmp + off + 16, copy + off + 16,
				   ilen - off - 16) == 0);
		FUZZ_CHECK(fuzz_fold(fuzz_sum16(icmp, ilen, 0)) % 0xffff ==
			   fuzz_fold(fuzz_sum16(copy, ilen, 0)) % 0xffff);
	}
	if (r == -1)
		FUZZ_CHECK(ilen < 48 || (icmp[0] < 128));
	free(icmp);
	free(copy);
	return 0;
}
