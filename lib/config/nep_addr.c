/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address and prefix helpers. Return codes of the parsers:
 * -EINVAL malformed, -ERANGE bad prefix length, -EDOM host bits set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nep_config.h"

static unsigned
addr_bits(const struct nep_addr *a)
{
	return a->family == AF_INET6 ? 128 : 32;
}

int
nep_addr_parse(const char *s, struct nep_addr *out)
{
	struct nep_addr a;

	if (s == NULL || out == NULL)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	/* A colon can only be IPv6; this keeps "1.2.3.4" out of AF_INET6. */
	a.family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(a.family, s, a.a) != 1)
		return -EINVAL;
	*out = a;
	return 0;
}

/* Split "ADDR/LEN"; the length is plain decimal, no sign, no spaces. */
static int
split_prefix(const char *s, struct nep_addr *addr, unsigned *len)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash, *p;
	unsigned v = 0;
	size_t n;

	if (s == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	if (slash == NULL)
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (nep_addr_parse(buf, addr) < 0)
		return -EINVAL;
	p = slash + 1;
	if (*p == '\0' || strlen(p) > 3)
		return -ERANGE;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -ERANGE;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > addr_bits(addr))
		return -ERANGE;
	*len = v;
	return 0;
}

static bool
host_bits_zero(const struct nep_addr *a, unsigned len)
{
	unsigned nbytes = addr_bits(a) / 8;
	unsigned i;

	for (i = len / 8; i < nbytes; i++) {
		uint8_t mask =
			i == len / 8 ? (uint8_t)(0xff >> (len % 8)) : 0xff;

		if (a->a[i] & mask)
			return false;
	}
	return true;
}

int
nep_prefix_parse(const char *s, struct nep_prefix *out)
{
	struct nep_addr a;
	unsigned len;
	int rc;

	rc = split_prefix(s, &a, &len);
	if (rc < 0)
		return rc;
	if (!host_bits_zero(&a, len))
		return -EDOM;
	out->addr = a;
	out->len = (uint8_t)len;
	return 0;
}

int
nep_ifaddr_parse(const char *s, struct nep_ifaddr *out)
{
	struct nep_addr a;
	unsigned len;
	int rc;

	rc = split_prefix(s, &a, &len);
	if (rc < 0)
		return rc;
	/* A /0 interface address would make every destination on-link. */
	if (len == 0)
		return -ERANGE;
	out->addr = a;
	out->len = (uint8_t)len;
	return 0;
}

const char *
nep_addr_str(const struct nep_addr *a, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return "";
	if (a == NULL || (a->family != AF_INET && a->family != AF_INET6) ||
		inet_ntop(a->family, a->a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "-");
	return buf;
}

const char *
nep_prefix_str(const struct nep_prefix *p, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (buf == NULL || len == 0)
		return "";
	if (p == NULL) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(buf, len, "%s/%u", nep_addr_str(&p->addr, tmp, sizeof(tmp)),
		p->len);
	return buf;
}

bool
nep_prefix_contains(const struct nep_prefix *p, const struct nep_addr *a)
{
	unsigned full, rem;

	if (p == NULL || a == NULL || p->addr.family != a->family)
		return false;
	if (p->len > addr_bits(a))
		return false;
	full = p->len / 8;
	rem = p->len % 8;
	if (memcmp(p->addr.a, a->a, full) != 0)
		return false;
	if (rem != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		if ((p->addr.a[full] ^ a->a[full]) & mask)
			return false;
	}
	return true;
}
