/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request authentication: HMAC-SHA-256 signatures (OpenSSL), constant-
 * time comparisons, random credentials, and the nonce replay cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "nctl.h"

static void
to_hex(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
nctl_sign(const void *key, size_t keylen, const char *method,
	const char *path, const char *timestamp, const char *nonce,
	const void *body, size_t bodylen, char out[NCTL_SIG_HEX])
{
	const char *parts[4] = { method, path, timestamp, nonce };
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int rc = -1;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		return -1;
	ctx = EVP_MAC_CTX_new(mac);
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || !EVP_MAC_init(ctx, key, keylen, params))
		goto out;
	for (int i = 0; i < 4; i++)
		if (!EVP_MAC_update(ctx, (const uint8_t *)parts[i],
			    strlen(parts[i])) ||
			!EVP_MAC_update(ctx, (const uint8_t *)"\n", 1))
			goto out;
	if (bodylen != 0 && !EVP_MAC_update(ctx, body, bodylen))
		goto out;
	if (!EVP_MAC_final(ctx, md, &outl, sizeof(md)) || outl != 32)
		goto out;
	mdlen = (unsigned int)outl;
	to_hex(md, mdlen, out);
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

bool
nctl_sig_ok(const void *key, size_t keylen, const char *method,
	const char *path, const char *timestamp, const char *nonce,
	const void *body, size_t bodylen, const char *sig)
{
	char want[NCTL_SIG_HEX], got[NCTL_SIG_HEX];
	size_t n = strlen(sig);

	if (n != 64)
		return false;
	/* lower-case the presented hex so either case verifies */
	for (size_t i = 0; i < 64; i++)
		got[i] = (char)(sig[i] >= 'A' && sig[i] <= 'F' ?
				sig[i] - 'A' + 'a' : sig[i]);
	got[64] = '\0';
	if (nctl_sign(key, keylen, method, path, timestamp, nonce, body,
		    bodylen, want) < 0)
		return false;
	return CRYPTO_memcmp(want, got, 64) == 0;
}

bool
nctl_str_eq_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb || la == 0)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

int
nctl_random_hex(char *out, size_t n)
{
	uint8_t b[64];

	if (n > sizeof(b) || RAND_bytes(b, (int)n) != 1)
		return -1;
	to_hex(b, n, out);
	return 0;
}

bool
nctl_nonce_valid(const char *n)
{
	size_t l = strlen(n);

	if (l < 16 || l > 64)
		return false;
	for (size_t i = 0; i < l; i++) {
		char c = n[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* ---- nonce cache ---- */

struct nonce_ent {
	uint64_t h;
	double expires;
	int32_t next;			/* bucket chain, -1 */
	char key[NCTL_ID_MAX + 66];	/* "id\nnonce" */
};

struct nctl_nonces {
	uint32_t cap, n, head;		/* ring: oldest at head */
	uint32_t nbuckets;
	double window;
	int32_t *buckets;
	struct nonce_ent *e;
};

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

struct nctl_nonces *
nctl_nonces_new(uint32_t cap, double window_s)
{
	struct nctl_nonces *c = calloc(1, sizeof(*c));

	if (c == NULL || cap == 0)
		goto fail;
	c->cap = cap;
	c->window = window_s;
	c->nbuckets = 1;
	while (c->nbuckets < cap)
		c->nbuckets <<= 1;
	c->buckets = malloc(c->nbuckets * sizeof(*c->buckets));
	c->e = calloc(cap, sizeof(*c->e));
	if (c->buckets == NULL || c->e == NULL)
		goto fail;
	for (uint32_t i = 0; i < c->nbuckets; i++)
		c->buckets[i] = -1;
	return c;
fail:
	nctl_nonces_free(c);
	return NULL;
}

void
nctl_nonces_free(struct nctl_nonces *c)
{
	if (c == NULL)
		return;
	free(c->buckets);
	free(c->e);
	free(c);
}

static void
unlink_ent(struct nctl_nonces *c, uint32_t i)
{
	int32_t *pp = &c->buckets[c->e[i].h & (c->nbuckets - 1)];

	while (*pp >= 0) {
		if ((uint32_t)*pp == i) {
			*pp = c->e[i].next;
			return;
		}
		pp = &c->e[*pp].next;
	}
}

int
nctl_nonces_check(struct nctl_nonces *c, const char *id, const char *nonce,
	double now)
{
	char key[NCTL_ID_MAX + 66];
	uint64_t h;
	uint32_t slot;

	/* expire from the oldest */
	while (c->n > 0 && c->e[c->head].expires <= now) {
		unlink_ent(c, c->head);
		c->head = (c->head + 1) % c->cap;
		c->n--;
	}
	snprintf(key, sizeof(key), "%s\n%s", id, nonce);
	h = fnv1a(key);
	for (int32_t i = c->buckets[h & (c->nbuckets - 1)]; i >= 0;
		i = c->e[i].next)
		if (c->e[i].h == h && strcmp(c->e[i].key, key) == 0)
			return -EEXIST;
	if (c->n == c->cap)
		return -ENOSPC;
	slot = (c->head + c->n) % c->cap;
	c->e[slot].h = h;
	c->e[slot].expires = now + 2 * c->window;
	memcpy(c->e[slot].key, key, sizeof(key));
	c->e[slot].next = c->buckets[h & (c->nbuckets - 1)];
	c->buckets[h & (c->nbuckets - 1)] = (int32_t)slot;
	c->n++;
	return 0;
}

uint32_t
nctl_nonces_count(const struct nctl_nonces *c)
{
	return c->n;
}
