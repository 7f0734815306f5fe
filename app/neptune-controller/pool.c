/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tunnel address pools (the seed's tun_ipv4_pool / tun_ipv6_pool): an
 * address is base + index, index in start..end; a bitmap says which are
 * handed out. The database is the truth; the bitmap is rebuilt from it at
 * start and changed only together with a committed transaction.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nctl.h"

/* Largest pool: 16M addresses (a 2 MiB bitmap). */
#define POOL_MAX (1u << 24)

int
nctl_pool_conf_check(const struct nctl_pool_conf *c)
{
	if (c->start > c->end || c->end - c->start >= POOL_MAX)
		return -EINVAL;
	if (c->family == AF_INET) {
		uint32_t b;

		memcpy(&b, c->base, 4);
		b = ntohl(b);
		if ((uint64_t)b + c->end > UINT32_MAX)
			return -EINVAL;
		return 0;
	}
	if (c->family == AF_INET6) {
		uint64_t lo = 0;

		for (int i = 8; i < 16; i++)
			lo = lo << 8 | c->base[i];
		/* the index is added to the low 64 bits: no carry */
		if (lo + c->end < lo)
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int
nctl_pool_init(struct nctl_pool *p, const struct nctl_pool_conf *c)
{
	memset(p, 0, sizeof(*p));
	if (nctl_pool_conf_check(c) < 0)
		return -EINVAL;
	p->conf = *c;
	p->size = c->end - c->start + 1;
	p->bits = calloc((p->size + 63) / 64, sizeof(uint64_t));
	return p->bits == NULL ? -ENOMEM : 0;
}

void
nctl_pool_fini(struct nctl_pool *p)
{
	free(p->bits);
	p->bits = NULL;
}

bool
nctl_pool_is_used(const struct nctl_pool *p, uint32_t idx)
{
	uint32_t o;

	if (idx < p->conf.start || idx > p->conf.end)
		return false;
	o = idx - p->conf.start;
	return (p->bits[o / 64] >> (o % 64)) & 1;
}

int64_t
nctl_pool_alloc(struct nctl_pool *p)
{
	uint32_t words = (p->size + 63) / 64, w0, o;

	if (p->used >= p->size)
		return -ENOSPC;
	/* From the hint's word round the bitmap: the first clear bit. */
	w0 = p->hint / 64;
	for (uint32_t k = 0; k <= words; k++) {
		uint32_t w = (w0 + k) % words;
		uint64_t free_bits = ~p->bits[w];

		if (w == words - 1 && p->size % 64)
			free_bits &= (1ull << (p->size % 64)) - 1;
		if (free_bits == 0)
			continue;
		o = w * 64 + (uint32_t)__builtin_ctzll(free_bits);
		p->bits[w] |= 1ull << (o % 64);
		p->used++;
		p->hint = o;
		return (int64_t)p->conf.start + o;
	}
	return -ENOSPC;
}

int
nctl_pool_take(struct nctl_pool *p, uint32_t idx)
{
	uint32_t o;

	if (idx < p->conf.start || idx > p->conf.end)
		return -ERANGE;
	if (nctl_pool_is_used(p, idx))
		return -EEXIST;
	o = idx - p->conf.start;
	p->bits[o / 64] |= 1ull << (o % 64);
	p->used++;
	return 0;
}

int
nctl_pool_release(struct nctl_pool *p, uint32_t idx)
{
	uint32_t o;

	if (idx < p->conf.start || idx > p->conf.end)
		return -ERANGE;
	if (!nctl_pool_is_used(p, idx))
		return -ENOENT;
	o = idx - p->conf.start;
	p->bits[o / 64] &= ~(1ull << (o % 64));
	p->used--;
	return 0;
}

const char *
nctl_pool_addr(const struct nctl_pool_conf *c, uint32_t idx, char *buf,
	size_t len)
{
	uint8_t a[16];

	memcpy(a, c->base, 16);
	if (c->family == AF_INET) {
		uint32_t b;

		memcpy(&b, a, 4);
		b = htonl(ntohl(b) + idx);
		memcpy(a, &b, 4);
	} else {
		uint64_t lo = 0;

		for (int i = 8; i < 16; i++)
			lo = lo << 8 | a[i];
		lo += idx;
		for (int i = 15; i >= 8; i--, lo >>= 8)
			a[i] = (uint8_t)lo;
	}
	if (inet_ntop(c->family, a, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}
