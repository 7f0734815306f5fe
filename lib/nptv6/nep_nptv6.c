/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <sys/socket.h>

#include "nep_nptv6.h"

#define NEP_ICMP6_HDR_LEN 8
#define NEP_IP6_HDR_LEN 40
#define NEP_IP6_SRC_OFF 8
#define NEP_IP6_DST_OFF 24

/* One's-complement sum of the first 64 bits (the whole prefix). */
static uint16_t
prefix_sum(uint64_t net)
{
	uint16_t s = 0;
	int i;

	for (i = 3; i >= 0; i--)
		s = nep_csum16_add(s, (uint16_t)(net >> (16 * i)));
	return s;
}

static int
prefix_ok(const struct nep_prefix *p)
{
	uint64_t net;
	unsigned int i;

	if (p->addr.family != AF_INET6 || p->len == 0 ||
			p->len > NEP_NPTV6_MAX_PLEN)
		return 0;
	net = nep_nptv6_load64(p->addr.a);
	if (net & ~nep_nptv6_mask64(p->len))
		return 0;
	for (i = 8; i < 16; i++)
		if (p->addr.a[i])
			return 0;
	return 1;
}

int
nep_nptv6_init(struct nep_nptv6 *t, const struct nep_prefix *inside,
	const struct nep_prefix *outside)
{
	uint16_t sin, sout;

	if (!prefix_ok(inside) || !prefix_ok(outside))
		return -EINVAL;

	memset(t, 0, sizeof(*t));
	memcpy(t->inside, inside->addr.a, 16);
	memcpy(t->outside, outside->addr.a, 16);
	t->plen_in = inside->len;
	t->plen_out = outside->len;
	t->plen = RTE_MAX(t->plen_in, t->plen_out);
	t->in_net = nep_nptv6_load64(t->inside);
	t->out_net = nep_nptv6_load64(t->outside);
	t->in_mask = nep_nptv6_mask64(t->plen_in);
	t->out_mask = nep_nptv6_mask64(t->plen_out);
	t->mask = nep_nptv6_mask64(t->plen);

	/*
	 * Host bits are zero, so the sums over the configured prefixes equal
	 * the sums over the zero-extended ones. adj_out = sum(in) - sum(out):
	 * adding it after swapping the prefix keeps the address sum constant.
	 */
	sin = prefix_sum(t->in_net);
	sout = prefix_sum(t->out_net);
	t->adj_out = nep_csum16_add(sin, (uint16_t)~sout);
	t->adj_in = nep_csum16_add(sout, (uint16_t)~sin);
	return 0;
}

int
nep_nptv6_icmp6_inner(const struct nep_nptv6 *t, uint8_t *icmp6, size_t len,
	enum nep_nptv6_dir dir)
{
	uint8_t *ip6, *a;

	if (len < NEP_ICMP6_HDR_LEN)
		return -1;
	/* RFC 4443: types 0..127 are errors and carry the invoking packet. */
	if (icmp6[0] & 0x80)
		return 0;
	/* A partial embedded header would leak an untranslated address. */
	if (len < NEP_ICMP6_HDR_LEN + NEP_IP6_HDR_LEN)
		return -1;
	ip6 = icmp6 + NEP_ICMP6_HDR_LEN;
	if ((ip6[0] >> 4) != 6)
		return -1;

	if (dir == NEP_NPTV6_EGRESS) {
		a = ip6 + NEP_IP6_DST_OFF;
		if (!nep_nptv6_in_inside(t, a))
			return 0;
		return nep_nptv6_snpt(t, a) == 0 ? 1 : -1;
	}
	a = ip6 + NEP_IP6_SRC_OFF;
	if (!nep_nptv6_in_outside(t, a))
		return 0;
	return nep_nptv6_dnpt(t, a) == 0 ? 1 : -1;
}
