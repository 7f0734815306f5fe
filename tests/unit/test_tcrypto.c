/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcrypto known-answer tests, for each backend that can run here
 * (aesni_mb: intel-ipsec-mb direct and crypto_aesni_mb CPU crypto; and
 * OpenSSL), the aesni_mb backend both with its direct intel-ipsec-mb
 * paths (the default) and with them off (nep_tcrypto_set_direct(0): the
 * CPU-crypto paths): RFC 4231 cases 1-4, 6, 7 (HMAC-SHA-256, full and
 * 128-bit truncated tags), McGrew-Viega GCM test cases 14-16
 * (AES-256-GCM), RFC 8439 section 2.8.2 (ChaCha20-Poly1305); forged tags
 * (one bit flipped) and altered headers are rejected. The aesni_mb
 * backend's own AEAD open (intel-ipsec-mb, tag compared with
 * CRYPTO_memcmp): every byte of a forged tag matters, from an EAL lcore
 * and from a thread without one. Its direct HMAC (intel-ipsec-mb's SHA-NI
 * manager one packet at a time, its multi-buffer manager in bursts):
 * the bytes of OpenSSL's HMAC() for every length 0..1500 and keys of
 * 1..160 bytes, every forged tag byte refused, from a thread without an
 * lcore too; its AEAD seal (direct and CPU crypto) OpenSSL's bytes for
 * every payload length 0..1500.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>

#include "nep_tcrypto.h"
#include "nep_test_eal.h"
#include "nep_tunnel.h"

static unsigned int
unhex(const char *s, uint8_t *out, unsigned int max)
{
	unsigned int n = 0;

	while (s[0] != '\0' && s[1] != '\0') {
		unsigned int v;

		assert_true(n < max);
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static int pmd_up;
static int shani; /* intel-ipsec-mb found SHA-NI: direct HMAC per packet */

static int
be_runs(enum nep_tcrypto_backend be)
{
	return be != NEP_TCRYPTO_BE_AESNI_MB || pmd_up;
}

/*
 * What the known-answer tests run on: each backend, and aesni_mb once
 * more with its direct intel-ipsec-mb paths off (the CPU-crypto paths);
 * variant_begin() sets the direct mask for the contexts it creates.
 */
static const struct variant {
	enum nep_tcrypto_backend be;
	unsigned int direct;
	const char *name;
} variants[] = {
	{ NEP_TCRYPTO_BE_AESNI_MB, NEP_TCRYPTO_DIRECT_ALL, "aesni_mb" },
	{ NEP_TCRYPTO_BE_AESNI_MB, 0, "aesni_mb (CPU crypto)" },
	{ NEP_TCRYPTO_BE_OPENSSL, NEP_TCRYPTO_DIRECT_ALL, "openssl" },
};

static int
variant_begin(const struct variant *v)
{
	if (!be_runs(v->be))
		return 0;
	nep_tcrypto_set_direct(v->direct);
	return 1;
}

static void
variant_end(void)
{
	nep_tcrypto_set_direct(NEP_TCRYPTO_DIRECT_ALL);
}

/* The direct paths a context of the variant must report. */
static unsigned int
variant_direct(const struct variant *v, uint8_t suite)
{
	unsigned int d = 0;

	if (v->be != NEP_TCRYPTO_BE_AESNI_MB)
		return 0;
	if (nep_tun_suite_is_aead(suite))
		return NEP_TCRYPTO_DIRECT_AEAD_OPEN |
			(v->direct & NEP_TCRYPTO_DIRECT_AEAD_SEAL);
	d = v->direct & NEP_TCRYPTO_DIRECT_HMAC_BURST;
	if (shani)
		d |= v->direct & NEP_TCRYPTO_DIRECT_HMAC;
	return d;
}

/* ---- HMAC-SHA-256, RFC 4231 ---- */

struct hmac_kat {
	const char *name;
	uint8_t key[131];
	unsigned int key_len;
	const char *data; /* text */
	uint8_t data_bytes[50];
	unsigned int data_len; /* of data_bytes when data is NULL */
	const char *mac;
};

static struct hmac_kat hmac_kats[6];

static void
hmac_kats_fill(void)
{
	struct hmac_kat *k = hmac_kats;
	unsigned int i;

	k[0].name = "4231-1";
	memset(k[0].key, 0x0b, 20);
	k[0].key_len = 20;
	k[0].data = "Hi There";
	k[0].mac = "b0344c61d8db38535ca8afceaf0bf12b"
		   "881dc200c9833da726e9376c2e32cff7";
	k[1].name = "4231-2";
	memcpy(k[1].key, "Jefe", 4);
	k[1].key_len = 4;
	k[1].data = "what do ya want for nothing?";
	k[1].mac = "5bdcc146bf60754e6a042426089575c7"
		   "5a003f089d2739839dec58b964ec3843";
	k[2].name = "4231-3";
	memset(k[2].key, 0xaa, 20);
	k[2].key_len = 20;
	memset(k[2].data_bytes, 0xdd, 50);
	k[2].data_len = 50;
	k[2].mac = "773ea91e36800e46854db8ebd09181a7"
		   "2959098b3ef8c122d9635514ced565fe";
	k[3].name = "4231-4";
	for (i = 0; i < 25; i++)
		k[3].key[i] = (uint8_t)(i + 1);
	k[3].key_len = 25;
	memset(k[3].data_bytes, 0xcd, 50);
	k[3].data_len = 50;
	k[3].mac = "82558a389a443c0ea4cc819899f2083a"
		   "85f0faa3e578f8077a2e3ff46729665b";
	k[4].name = "4231-6";
	memset(k[4].key, 0xaa, 131);
	k[4].key_len = 131;
	k[4].data = "Test Using Larger Than Block-Size Key - Hash Key First";
	k[4].mac = "60e431591ee0b67f0d8a26aacbf5b77f"
		   "8e0bc6213728c5140546040f0ee37f54";
	k[5].name = "4231-7";
	memset(k[5].key, 0xaa, 131);
	k[5].key_len = 131;
	k[5].data = "This is a test using a larger than block-size key and a "
		    "larger than block-size data. The key needs to be hashed "
		    "before being used by the HMAC algorithm.";
	k[5].mac = "9b09ffa71b942fcb27635fbcd5b0e944"
		   "bfdc63644f0713938a7f51535c3a35e2";
}

static void
hmac_one(const struct variant *v, const struct hmac_kat *k, uint8_t suite)
{
	enum nep_tcrypto_backend be = v->be;
	uint8_t buf[256], mac[32];
	unsigned int len, tl = nep_tun_tag_len(suite), h;
	struct nep_tcrypto_ctx *c;

	len = k->data != NULL ? (unsigned int)strlen(k->data) : k->data_len;
	memcpy(buf, k->data != NULL ? (const void *)k->data : k->data_bytes,
		len);
	assert_int_equal(unhex(k->mac, mac, sizeof(mac)), 32);
	c = nep_tcrypto_ctx_create(suite, k->key, k->key_len, 0, be);
	if (c == NULL)
		fail_msg("%s %s suite %u: no context", v->name, k->name, suite);
	assert_int_equal(nep_tcrypto_ctx_backend(c), be);
	assert_int_equal(nep_tcrypto_ctx_tag_len(c), tl);
	assert_int_equal(nep_tcrypto_ctx_direct(c), variant_direct(v, suite));
	/* Header/payload split anywhere: the tag covers both. */
	for (h = 0; h <= len; h += len / 2 > 0 ? len / 2 : 1) {
		memset(buf + len, 0, 32);
		assert_int_equal(nep_tcrypto_seal(c, buf, h, len - h, NULL), 0);
		if (memcmp(buf + len, mac, tl) != 0)
			fail_msg("%s %s suite %u: wrong tag", v->name, k->name,
				suite);
		assert_int_equal(nep_tcrypto_open(c, buf, h, len - h, NULL), 0);
		/* Forged: one bit of the tag, first and last byte. */
		buf[len] ^= 0x01;
		assert_int_equal(nep_tcrypto_open(c, buf, h, len - h, NULL), -1);
		buf[len] ^= 0x01;
		buf[len + tl - 1] ^= 0x80;
		assert_int_equal(nep_tcrypto_open(c, buf, h, len - h, NULL), -1);
		buf[len + tl - 1] ^= 0x80;
		/* Altered data. */
		buf[0] ^= 0x04;
		assert_int_equal(nep_tcrypto_open(c, buf, h, len - h, NULL), -1);
		buf[0] ^= 0x04;
		assert_int_equal(nep_tcrypto_open(c, buf, h, len - h, NULL), 0);
	}
	nep_tcrypto_ctx_free(c);
}

static void
test_hmac_rfc4231(void **state)
{
	unsigned int b, i;

	(void)state;
	hmac_kats_fill();
	for (b = 0; b < RTE_DIM(variants); b++) {
		if (!variant_begin(&variants[b]))
			continue;
		for (i = 0; i < RTE_DIM(hmac_kats); i++) {
			hmac_one(&variants[b], &hmac_kats[i],
				NEP_TUN_S_HMAC_SHA256_256);
			hmac_one(&variants[b], &hmac_kats[i],
				NEP_TUN_S_HMAC_SHA256_128);
		}
	}
	variant_end();
}

/* ---- AEAD ---- */

struct aead_kat {
	const char *name;
	uint8_t suite;
	const char *key, *iv, *aad, *pt, *ct, *tag;
};

#define GCM_K15 "feffe9928665731c6d6a8f9467308308" \
		"feffe9928665731c6d6a8f9467308308"
#define GCM_P15 "d9313225f88406e5a55909c5aff5269a" \
		"86a7a9531534f7da2e4c303d8a318a72" \
		"1c3c0c95956809532fcf0e2449a6b525" \
		"b16aedf5aa0de657ba637b391aafd255"
#define GCM_C15 "522dc1f099567d07f47f37a32a84427d" \
		"643a8cdcbfe5c0c97598a2bd2555d1aa" \
		"8cb08e48590dbb3da7b08b1056828838" \
		"c5f61e6393ba7a0abcc9f662898015ad"
#define GCM_P16 "d9313225f88406e5a55909c5aff5269a" \
		"86a7a9531534f7da2e4c303d8a318a72" \
		"1c3c0c95956809532fcf0e2449a6b525" \
		"b16aedf5aa0de657ba637b39"
#define GCM_C16 "522dc1f099567d07f47f37a32a84427d" \
		"643a8cdcbfe5c0c97598a2bd2555d1aa" \
		"8cb08e48590dbb3da7b08b1056828838" \
		"c5f61e6393ba7a0abcc9f662"

static const struct aead_kat aead_kats[] = {
	{ "gcm-14", NEP_TUN_S_AES256_GCM,
	  "00000000000000000000000000000000"
	  "00000000000000000000000000000000",
	  "000000000000000000000000", "",
	  "00000000000000000000000000000000",
	  "cea7403d4d606b6e074ec5d3baf39d18",
	  "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "gcm-15", NEP_TUN_S_AES256_GCM, GCM_K15,
	  "cafebabefacedbaddecaf888", "", GCM_P15, GCM_C15,
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ "gcm-16", NEP_TUN_S_AES256_GCM, GCM_K15,
	  "cafebabefacedbaddecaf888",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2", GCM_P16, GCM_C16,
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
	{ "8439-2.8.2", NEP_TUN_S_CHACHA20_POLY1305,
	  "808182838485868788898a8b8c8d8e8f"
	  "909192939495969798999a9b9c9d9e9f",
	  "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
	  /* "Ladies and Gentlemen of the class of '99: If I could offer
	   * you only one tip for the future, sunscreen would be it." */
	  "4c616469657320616e642047656e746c"
	  "656d656e206f662074686520636c6173"
	  "73206f66202739393a20496620492063"
	  "6f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220"
	  "746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069"
	  "742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2"
	  "a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b"
	  "1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58"
	  "fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b"
	  "6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
};

static void
aead_one(const struct variant *v, const struct aead_kat *k)
{
	enum nep_tcrypto_backend be = v->be;
	uint8_t key[32], iv[12], aad[64], pt[128], ct[128], tag[16];
	uint8_t buf[256];
	unsigned int al, pl;
	struct nep_tcrypto_ctx *c;
	const char *bn = v->name;

	assert_int_equal(unhex(k->key, key, sizeof(key)), 32);
	assert_int_equal(unhex(k->iv, iv, sizeof(iv)), 12);
	al = unhex(k->aad, aad, sizeof(aad));
	pl = unhex(k->pt, pt, sizeof(pt));
	assert_int_equal(unhex(k->ct, ct, sizeof(ct)), pl);
	assert_int_equal(unhex(k->tag, tag, sizeof(tag)), 16);
	c = nep_tcrypto_ctx_create(k->suite, key, 32, al, be);
	if (c == NULL)
		fail_msg("%s %s: no context", bn, k->name);
	assert_int_equal(nep_tcrypto_ctx_backend(c), be);
	assert_int_equal(nep_tcrypto_ctx_direct(c), variant_direct(v, k->suite));
	memcpy(buf, aad, al);
	memcpy(buf + al, pt, pl);
	memset(buf + al + pl, 0, 16);
	assert_int_equal(nep_tcrypto_seal(c, buf, al, pl, iv), 0);
	if (memcmp(buf, aad, al) != 0 || memcmp(buf + al, ct, pl) != 0)
		fail_msg("%s %s: wrong ciphertext", bn, k->name);
	if (memcmp(buf + al + pl, tag, 16) != 0)
		fail_msg("%s %s: wrong tag", bn, k->name);
	assert_int_equal(nep_tcrypto_open(c, buf, al, pl, iv), 0);
	if (memcmp(buf + al, pt, pl) != 0)
		fail_msg("%s %s: wrong plaintext", bn, k->name);
	/* Forged tag: one bit, first and last byte. */
	memcpy(buf + al, ct, pl);
	buf[al + pl] ^= 0x01;
	assert_int_equal(nep_tcrypto_open(c, buf, al, pl, iv), -1);
	memcpy(buf + al, ct, pl);
	buf[al + pl] ^= 0x01;
	buf[al + pl + 15] ^= 0x80;
	assert_int_equal(nep_tcrypto_open(c, buf, al, pl, iv), -1);
	buf[al + pl + 15] ^= 0x80;
	/* Altered ciphertext, header (AAD), nonce. */
	memcpy(buf + al, ct, pl);
	buf[al] ^= 0x02;
	assert_int_equal(nep_tcrypto_open(c, buf, al, pl, iv), -1);
	memcpy(buf + al, ct, pl);
	if (al > 0) {
		buf[0] ^= 0x02;
		assert_int_equal(nep_tcrypto_open(c, buf, al, pl, iv), -1);
		buf[0] ^= 0x02;
		memcpy(buf + al, ct, pl);
	}
	iv[11] ^= 0x01;
	assert_int_equal(nep_tcrypto_open(c, buf, al, pl, iv), -1);
	iv[11] ^= 0x01;
	/* Still opens when intact. */
	memcpy(buf + al, ct, pl);
	assert_int_equal(nep_tcrypto_open(c, buf, al, pl, iv), 0);
	assert_memory_equal(buf + al, pt, pl);
	/* Wrong header length for the context. */
	assert_int_equal(nep_tcrypto_seal(c, buf, al + 1, pl - 1, iv), -1);
	nep_tcrypto_ctx_free(c);
}

static void
test_aead_kats(void **state)
{
	unsigned int b, i;

	(void)state;
	for (b = 0; b < RTE_DIM(variants); b++) {
		if (!variant_begin(&variants[b]))
			continue;
		for (i = 0; i < RTE_DIM(aead_kats); i++)
			aead_one(&variants[b], &aead_kats[i]);
	}
	variant_end();
}

/* Both backends interoperate on a tunnel-shaped packet (20-byte header). */
static void
test_cross_backend(void **state)
{
	static const uint8_t suites[] = {
		NEP_TUN_S_HMAC_SHA256_128, NEP_TUN_S_HMAC_SHA256_256,
		NEP_TUN_S_AES256_GCM, NEP_TUN_S_CHACHA20_POLY1305,
	};
	uint8_t key[32], iv[12], buf[20 + 1400 + 32], ref[sizeof(buf)];
	unsigned int s, i;

	(void)state;
	if (!pmd_up)
		skip();
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < sizeof(iv); i++)
		iv[i] = (uint8_t)i;
	for (s = 0; s < RTE_DIM(suites); s++) {
		struct nep_tcrypto_ctx *p = nep_tcrypto_ctx_create(suites[s],
			key, 32, 20, NEP_TCRYPTO_BE_AESNI_MB);
		struct nep_tcrypto_ctx *o = nep_tcrypto_ctx_create(suites[s],
			key, 32, 20, NEP_TCRYPTO_BE_OPENSSL);
		unsigned int tl = nep_tun_tag_len(suites[s]);

		assert_non_null(p);
		assert_non_null(o);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * 7);
		memcpy(ref, buf, sizeof(buf));
		assert_int_equal(nep_tcrypto_seal(p, buf, 20, 1400, iv), 0);
		assert_int_equal(nep_tcrypto_seal(o, ref, 20, 1400, iv), 0);
		assert_memory_equal(buf, ref, 20 + 1400 + tl);
		assert_int_equal(nep_tcrypto_open(o, buf, 20, 1400, iv), 0);
		assert_int_equal(nep_tcrypto_open(p, ref, 20, 1400, iv), 0);
		assert_memory_equal(buf, ref, 20 + 1400 + tl);
		nep_tcrypto_ctx_free(p);
		nep_tcrypto_ctx_free(o);
	}
}

/*
 * AEAD open on the aesni_mb backend (intel-ipsec-mb, CRYPTO_memcmp): in
 * both AEAD suites, on tunnel-shaped packets sealed by the other backend,
 * the right tag opens, and a tag wrong in any single byte (or all zero,
 * or the tag of another packet) is refused.
 */
struct forge_arg {
	uint8_t suite;
	unsigned int plen;
	int failures; /* checks that did not hold */
	int checks;
};

static void
forge_run(struct forge_arg *a)
{
	uint8_t key[32], iv[12], pkt[20 + 1400 + 16], sealed[sizeof(pkt)];
	uint8_t pt[1400], other_tag[16];
	struct nep_tcrypto_ctx *p, *o;
	unsigned int i, j, pl = a->plen;
	uint8_t *tag = sealed + 20 + pl;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 ^ (i * 13));
	for (i = 0; i < sizeof(iv); i++)
		iv[i] = (uint8_t)(0x30 + i);
	p = nep_tcrypto_ctx_create(a->suite, key, 32, 20,
		NEP_TCRYPTO_BE_AESNI_MB);
	o = nep_tcrypto_ctx_create(a->suite, key, 32, 20,
		NEP_TCRYPTO_BE_OPENSSL);
	if (p == NULL || o == NULL) {
		a->failures++;
		goto out;
	}
	for (i = 0; i < 20 + pl; i++)
		sealed[i] = (uint8_t)(i * 31 + a->suite);
	memcpy(pt, sealed + 20, pl);
	/* The tag of another payload under the same key and nonce. */
	memcpy(pkt, sealed, 20 + pl);
	pkt[20] ^= 0x01;
	if (nep_tcrypto_seal(o, pkt, 20, pl, iv) != 0)
		a->failures++;
	memcpy(other_tag, pkt + 20 + pl, 16);
	if (nep_tcrypto_seal(o, sealed, 20, pl, iv) != 0)
		a->failures++;
#define CHECK(cond) do { a->checks++; if (!(cond)) a->failures++; } while (0)
	/* Good: opens, plaintext back. */
	memcpy(pkt, sealed, sizeof(pkt));
	CHECK(nep_tcrypto_open(p, pkt, 20, pl, iv) == 0);
	CHECK(memcmp(pkt + 20, pt, pl) == 0);
	/* Each tag byte wrong on its own, low and high bit. */
	for (j = 0; j < 16; j++) {
		static const uint8_t flips[] = { 0x01, 0x80, 0xff };

		for (i = 0; i < RTE_DIM(flips); i++) {
			memcpy(pkt, sealed, sizeof(pkt));
			pkt[20 + pl + j] ^= flips[i];
			CHECK(nep_tcrypto_open(p, pkt, 20, pl, iv) == -1);
		}
	}
	memcpy(pkt, sealed, sizeof(pkt));
	memset(pkt + 20 + pl, 0, 16);
	CHECK(nep_tcrypto_open(p, pkt, 20, pl, iv) == -1);
	memcpy(pkt, sealed, sizeof(pkt));
	memcpy(pkt + 20 + pl, other_tag, 16);
	CHECK(nep_tcrypto_open(p, pkt, 20, pl, iv) == -1);
	/* A forged tag left nothing behind: the good packet still opens. */
	memcpy(pkt, sealed, sizeof(pkt));
	CHECK(nep_tcrypto_open(p, pkt, 20, pl, iv) == 0);
	CHECK(memcmp(pkt + 20, pt, pl) == 0);
	/* And what aesni_mb seals, OpenSSL opens. */
	memcpy(pkt, sealed, 20);
	memcpy(pkt + 20, pt, pl);
	CHECK(nep_tcrypto_seal(p, pkt, 20, pl, iv) == 0);
	CHECK(memcmp(pkt + 20 + pl, tag, 16) == 0);
	CHECK(nep_tcrypto_open(o, pkt, 20, pl, iv) == 0);
#undef CHECK
out:
	nep_tcrypto_ctx_free(p);
	nep_tcrypto_ctx_free(o);
}

static const uint8_t aead_suites[] = {
	NEP_TUN_S_AES256_GCM, NEP_TUN_S_CHACHA20_POLY1305,
};
static const unsigned int forge_sizes[] = { 1, 16, 80, 512, 1400 };

static void
test_aesni_mb_forged_aead_tag(void **state)
{
	unsigned int s, z;

	(void)state;
	if (!pmd_up)
		skip();
	for (s = 0; s < RTE_DIM(aead_suites); s++) {
		for (z = 0; z < RTE_DIM(forge_sizes); z++) {
			struct forge_arg a = { aead_suites[s], forge_sizes[z],
				0, 0 };

			forge_run(&a);
			if (a.failures != 0)
				fail_msg("suite %u, %u B: %d of %d checks failed",
					a.suite, a.plen, a.failures, a.checks);
			assert_int_equal(a.checks, 2 + 48 + 2 + 2 + 3);
		}
	}
}

static void *
forge_thread(void *arg)
{
	struct forge_arg *a = arg;

	if (nep_tcrypto_thread_init() != 0)
		a->failures++;
	forge_run(a);
	return NULL;
}

/* The same from a thread that is not an EAL lcore (its own manager). */
static void
test_aesni_mb_aead_other_thread(void **state)
{
	unsigned int s;

	(void)state;
	if (!pmd_up)
		skip();
	for (s = 0; s < RTE_DIM(aead_suites); s++) {
		struct forge_arg a = { aead_suites[s], 512, 0, 0 };
		pthread_t t;

		assert_int_equal(pthread_create(&t, NULL, forge_thread, &a), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		if (a.failures != 0 || a.checks == 0)
			fail_msg("suite %u in a non-EAL thread: %d of %d checks "
				"failed", a.suite, a.failures, a.checks);
	}
}

/*
 * Bursts give what packet-by-packet calls give: the same bytes sealed,
 * and open refuses exactly the forged packets of a burst, on each
 * backend and across backends; bursts longer than NEP_TCRYPTO_BURST_MAX
 * are split.
 */
#define BN 40

static void
burst_one(enum nep_tcrypto_backend be, enum nep_tcrypto_backend other,
	uint8_t suite)
{
	static uint8_t pk[BN][20 + 1400 + 32], ref[BN][20 + 1400 + 32];
	static uint8_t clear[BN][20 + 1400];
	uint8_t key[32], ivb[BN][12];
	uint8_t *bufs[BN], *refs[BN];
	const uint8_t *ivs[BN];
	uint32_t pl[BN];
	int st[BN], sto[BN];
	unsigned int i, j, tl = nep_tun_tag_len(suite);
	int aead = nep_tun_suite_is_aead(suite);
	struct nep_tcrypto_ctx *c, *o;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x11 * i + suite);
	c = nep_tcrypto_ctx_create(suite, key, 32, 20, be);
	o = nep_tcrypto_ctx_create(suite, key, 32, 20, other);
	assert_non_null(c);
	assert_non_null(o);
	for (i = 0; i < BN; i++) {
		pl[i] = i == 0 ? 1 : (i * 37) % 1400 + 1;
		for (j = 0; j < 20 + pl[i]; j++)
			pk[i][j] = (uint8_t)(i * 3 + j * 7);
		memcpy(clear[i], pk[i], 20 + pl[i]);
		memcpy(ref[i], pk[i], 20 + pl[i]);
		for (j = 0; j < 12; j++)
			ivb[i][j] = (uint8_t)(i + j);
		bufs[i] = pk[i];
		refs[i] = ref[i];
		ivs[i] = ivb[i];
	}
	assert_int_equal(nep_tcrypto_seal_burst(c, bufs, pl,
		aead ? ivs : NULL, 20, BN, st), BN);
	for (i = 0; i < BN; i++) {
		assert_int_equal(st[i], 0);
		assert_int_equal(nep_tcrypto_seal(o, ref[i], 20, pl[i],
			aead ? ivb[i] : NULL), 0);
		if (memcmp(pk[i], ref[i], 20 + pl[i] + tl) != 0)
			fail_msg("%s suite %u: burst seal differs at %u",
				nep_tcrypto_backend_name(be), suite, i);
	}
	/* Forge three of them: a tag byte (in each chunk), a header byte. */
	pk[3][20 + pl[3]] ^= 0x01;
	pk[33][20 + pl[33] + tl - 1] ^= 0x80;
	pk[17][5 + 2] ^= 0x04;
	memcpy(ref[3], pk[3], 20 + pl[3] + tl);
	memcpy(ref[33], pk[33], 20 + pl[33] + tl);
	memcpy(ref[17], pk[17], 20 + pl[17] + tl);
	assert_int_equal(nep_tcrypto_open_burst(c, bufs, pl,
		aead ? ivs : NULL, 20, BN, st), BN - 3);
	assert_int_equal(nep_tcrypto_open_burst(o, refs, pl,
		aead ? ivs : NULL, 20, BN, sto), BN - 3);
	for (i = 0; i < BN; i++) {
		int forged = i == 3 || i == 17 || i == 33;

		if (st[i] != (forged ? -1 : 0) || sto[i] != st[i])
			fail_msg("suite %u: burst open status %d / %d at %u",
				suite, st[i], sto[i], i);
		if (!forged && (memcmp(pk[i] + 20, clear[i] + 20, pl[i]) != 0 ||
			    memcmp(ref[i] + 20, clear[i] + 20, pl[i]) != 0))
			fail_msg("suite %u: burst open plaintext at %u", suite,
				i);
	}
	nep_tcrypto_ctx_free(c);
	nep_tcrypto_ctx_free(o);
}

static void
test_bursts(void **state)
{
	static const uint8_t suites[] = {
		NEP_TUN_S_HMAC_SHA256_128, NEP_TUN_S_HMAC_SHA256_256,
		NEP_TUN_S_AES256_GCM, NEP_TUN_S_CHACHA20_POLY1305,
	};
	uint8_t key[32] = { 1 }, b0[64] = { 0 };
	uint8_t *bufs[1] = { b0 };
	uint32_t pl[1] = { 8 };
	int st[1] = { 0 };
	struct nep_tcrypto_ctx *c;
	unsigned int s;

	(void)state;
	for (s = 0; s < RTE_DIM(suites); s++) {
		if (pmd_up) {
			burst_one(NEP_TCRYPTO_BE_AESNI_MB,
				NEP_TCRYPTO_BE_OPENSSL, suites[s]);
			burst_one(NEP_TCRYPTO_BE_OPENSSL,
				NEP_TCRYPTO_BE_AESNI_MB, suites[s]);
			/* the CPU-crypto bursts */
			nep_tcrypto_set_direct(0);
			burst_one(NEP_TCRYPTO_BE_AESNI_MB,
				NEP_TCRYPTO_BE_OPENSSL, suites[s]);
			variant_end();
		} else {
			burst_one(NEP_TCRYPTO_BE_OPENSSL,
				NEP_TCRYPTO_BE_OPENSSL, suites[s]);
		}
	}
	/* AEAD without nonces, or with the wrong header length: refused. */
	c = nep_tcrypto_ctx_create(NEP_TUN_S_AES256_GCM, key, 32, 20,
		NEP_TCRYPTO_BE_AUTO);
	assert_non_null(c);
	assert_int_equal(nep_tcrypto_seal_burst(c, bufs, pl, NULL, 20, 1, st),
		0);
	assert_int_equal(st[0], -1);
	st[0] = 0;
	assert_int_equal(nep_tcrypto_open_burst(c, bufs, pl, NULL, 20, 1, st),
		0);
	assert_int_equal(st[0], -1);
	nep_tcrypto_ctx_free(c);
}

/*
 * The aesni_mb backend's direct HMAC (intel-ipsec-mb's SHA-NI manager one
 * packet at a time; its multi-buffer manager in bursts) against OpenSSL's
 * one-shot HMAC(): every data length 0..1500 (header of up to 20 bytes,
 * the rest payload), both tag lengths; the bytes around the tag left
 * alone; every tag byte forged in turn (and the data) refused; keys of
 * 1..160 bytes at the lengths where SHA-256's padding changes. Counted,
 * not asserted, so that a thread without an lcore can run it too.
 */
#define SWEEP_MAX 1500
#define SWEEP_BURST 32

struct sweep_arg {
	unsigned int direct; /* the paths the contexts must use */
	int failures;
	int checks;
	char first[160]; /* the first failure */
};

#define SWEEP_CHECK(a, cond, ...) do { \
	(a)->checks++; \
	if (!(cond)) { \
		if ((a)->failures++ == 0) \
			snprintf((a)->first, sizeof((a)->first), __VA_ARGS__); \
	} \
} while (0)

static void
hmac_ref(const uint8_t *key, unsigned int kl, const uint8_t *d,
	unsigned int len, uint8_t out[32])
{
	unsigned int ol = 32;
	static const uint8_t empty[1];

	if (HMAC(EVP_sha256(), key, (int)kl, len > 0 ? d : empty, len, out,
		    &ol) == NULL || ol != 32)
		memset(out, 0, 32);
}

static void
sweep_suite(struct sweep_arg *a, uint8_t suite)
{
	static __thread uint8_t pk[SWEEP_BURST][SWEEP_MAX + 32 + 8];
	uint8_t key[160], ref[32];
	unsigned int tl = nep_tun_tag_len(suite), len, i, kl;
	struct nep_tcrypto_ctx *c;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x3c ^ (i * 11) ^ suite);
	c = nep_tcrypto_ctx_create(suite, key, 32, 0, NEP_TCRYPTO_BE_AESNI_MB);
	SWEEP_CHECK(a, c != NULL, "suite %u: no context", suite);
	if (c == NULL)
		return;
	SWEEP_CHECK(a, nep_tcrypto_ctx_direct(c) == a->direct,
		"suite %u: direct paths %#x, want %#x", suite,
		nep_tcrypto_ctx_direct(c), a->direct);
	/* One packet at a time. */
	for (len = 0; len <= SWEEP_MAX; len++) {
		uint8_t *p = pk[0];
		unsigned int h = len < 20 ? len / 2 : 20;

		for (i = 0; i < len; i++)
			p[i] = (uint8_t)(i * 131 + len);
		memset(p + len, 0xee, tl + 8);
		hmac_ref(key, 32, p, len, ref);
		SWEEP_CHECK(a, nep_tcrypto_seal(c, p, h, len - h, NULL) == 0,
			"suite %u len %u: seal failed", suite, len);
		SWEEP_CHECK(a, memcmp(p + len, ref, tl) == 0,
			"suite %u len %u: tag differs from OpenSSL", suite, len);
		for (i = 0; i < 8; i++)
			SWEEP_CHECK(a, p[len + tl + i] == 0xee,
				"suite %u len %u: wrote past the tag", suite,
				len);
		SWEEP_CHECK(a, nep_tcrypto_open(c, p, h, len - h, NULL) == 0,
			"suite %u len %u: good tag refused", suite, len);
		/* a forged tag: one bit of byte len % tl */
		p[len + len % tl] ^= (uint8_t)(1u << (len % 8));
		SWEEP_CHECK(a, nep_tcrypto_open(c, p, h, len - h, NULL) == -1,
			"suite %u len %u: forged tag byte %u accepted", suite,
			len, len % tl);
		p[len + len % tl] ^= (uint8_t)(1u << (len % 8));
		if (len > 0) {
			p[(len * 7) % len] ^= 0x10;
			SWEEP_CHECK(a, nep_tcrypto_open(c, p, h, len - h,
				NULL) == -1, "suite %u len %u: altered data "
				"accepted", suite, len);
			p[(len * 7) % len] ^= 0x10;
		}
		memset(p + len, 0, tl);
		SWEEP_CHECK(a, nep_tcrypto_open(c, p, h, len - h, NULL) == -1,
			"suite %u len %u: zero tag accepted", suite, len);
		memcpy(p + len, ref, tl);
		SWEEP_CHECK(a, nep_tcrypto_open(c, p, h, len - h, NULL) == 0,
			"suite %u len %u: good tag refused after forgeries",
			suite, len);
	}
	/* Bursts of 32 over the same lengths; every 5th packet forged. */
	for (len = 0; len <= SWEEP_MAX; len += SWEEP_BURST) {
		uint8_t *bufs[SWEEP_BURST], refs[SWEEP_BURST][32];
		uint32_t pl[SWEEP_BURST];
		int st[SWEEP_BURST];
		unsigned int n = RTE_MIN((unsigned int)SWEEP_BURST, SWEEP_MAX + 1 - len), j;
		unsigned int forged = 0;

		for (j = 0; j < n; j++) {
			unsigned int l = len + j;

			for (i = 0; i < l; i++)
				pk[j][i] = (uint8_t)(i * 29 + l);
			hmac_ref(key, 32, pk[j], l, refs[j]);
			bufs[j] = pk[j];
			pl[j] = l - (l < 20 ? l : 20);
		}
		/* header 20 bytes needs l >= 20: shorter ones in the first
		 * burst have their whole data as header */
		for (j = 0; j < n; j++)
			if (len + j < 20)
				pl[j] = 0;
		if (len == 0) {
			/* a burst's header length is one for all: lengths
			 * under 20 run alone */
			for (j = 0; j < 20; j++)
				SWEEP_CHECK(a, nep_tcrypto_seal_burst(c,
					&bufs[j], &pl[j], NULL, j, 1, st) == 1,
					"suite %u len %u: burst of one failed",
					suite, j);
			SWEEP_CHECK(a, nep_tcrypto_seal_burst(c, bufs + 20,
				pl + 20, NULL, 20, n - 20, st + 20) == n - 20,
				"suite %u: burst seal failed", suite);
		} else {
			SWEEP_CHECK(a, nep_tcrypto_seal_burst(c, bufs, pl, NULL,
				20, n, st) == n, "suite %u from %u: burst seal "
				"failed", suite, len);
		}
		for (j = 0; j < n; j++)
			SWEEP_CHECK(a, memcmp(pk[j] + len + j, refs[j], tl) == 0,
				"suite %u len %u: burst tag differs from "
				"OpenSSL", suite, len + j);
		if (len == 0)
			continue;
		for (j = 0; j < n; j += 5) {
			pk[j][len + j + (j % tl)] ^= 0x40;
			forged++;
		}
		SWEEP_CHECK(a, nep_tcrypto_open_burst(c, bufs, pl, NULL, 20, n,
			st) == n - forged, "suite %u from %u: burst open count",
			suite, len);
		for (j = 0; j < n; j++)
			SWEEP_CHECK(a, st[j] == (j % 5 == 0 ? -1 : 0),
				"suite %u len %u: burst open status %d", suite,
				len + j, st[j]);
	}
	nep_tcrypto_ctx_free(c);
	/* Keys of 1..160 bytes (the block is 64: hashed from 65 on). */
	for (kl = 1; kl <= sizeof(key); kl++) {
		static const unsigned int lens[] = { 0, 1, 55, 56, 63, 64, 65,
			119, 120, 1500 };

		c = nep_tcrypto_ctx_create(suite, key, kl, 0,
			NEP_TCRYPTO_BE_AESNI_MB);
		SWEEP_CHECK(a, c != NULL, "key %u: no context", kl);
		if (c == NULL)
			continue;
		for (i = 0; i < RTE_DIM(lens); i++) {
			uint8_t *p = pk[0];
			unsigned int l = lens[i], j;

			for (j = 0; j < l; j++)
				p[j] = (uint8_t)(j ^ kl);
			hmac_ref(key, kl, p, l, ref);
			SWEEP_CHECK(a, nep_tcrypto_seal(c, p, 0, l, NULL) == 0 &&
				memcmp(p + l, ref, tl) == 0, "suite %u key %u "
				"len %u: tag differs from OpenSSL", suite, kl,
				l);
			SWEEP_CHECK(a, nep_tcrypto_open(c, p, 0, l, NULL) == 0,
				"suite %u key %u len %u: good tag refused",
				suite, kl, l);
		}
		nep_tcrypto_ctx_free(c);
	}
}

static void
sweep_run(struct sweep_arg *a)
{
	sweep_suite(a, NEP_TUN_S_HMAC_SHA256_128);
	sweep_suite(a, NEP_TUN_S_HMAC_SHA256_256);
}

static void
test_aesni_mb_hmac_vs_openssl(void **state)
{
	static const unsigned int masks[] = { NEP_TCRYPTO_DIRECT_ALL, 0 };
	unsigned int m;

	(void)state;
	if (!pmd_up)
		skip();
	/* the direct paths, then the CPU-crypto ones */
	for (m = 0; m < RTE_DIM(masks); m++) {
		struct variant v = { NEP_TCRYPTO_BE_AESNI_MB, masks[m], "" };
		struct sweep_arg a = { variant_direct(&v,
			NEP_TUN_S_HMAC_SHA256_128), 0, 0, "" };

		nep_tcrypto_set_direct(masks[m]);
		sweep_run(&a);
		variant_end();
		if (a.failures != 0)
			fail_msg("direct %#x: %d of %d checks failed, first: %s",
				masks[m], a.failures, a.checks, a.first);
		assert_true(a.checks > 2 * 1501 * 10);
	}
	if (!shani)
		fprintf(stderr, "no SHA-NI: HMAC one packet at a time took "
			"the CPU-crypto path\n");
}

static void *
sweep_thread(void *arg)
{
	struct sweep_arg *a = arg;

	if (nep_tcrypto_thread_init() != 0)
		a->failures++;
	sweep_run(a);
	return NULL;
}

/* The same from a thread that is not an EAL lcore (managers of its own). */
static void
test_aesni_mb_hmac_other_thread(void **state)
{
	struct variant v = { NEP_TCRYPTO_BE_AESNI_MB, NEP_TCRYPTO_DIRECT_ALL,
		"" };
	struct sweep_arg a = { variant_direct(&v, NEP_TUN_S_HMAC_SHA256_128),
		0, 0, "" };
	pthread_t t;

	(void)state;
	if (!pmd_up)
		skip();
	assert_int_equal(pthread_create(&t, NULL, sweep_thread, &a), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	if (a.failures != 0 || a.checks == 0)
		fail_msg("in a non-EAL thread: %d of %d checks failed, first: %s",
			a.failures, a.checks, a.first);
}

/*
 * AEAD seal on aesni_mb (intel-ipsec-mb direct, then the CPU-crypto
 * path) gives OpenSSL's bytes for every payload length 0..1500 behind a
 * 20-byte header, each opens the other's, and one flipped tag bit is
 * refused.
 */
static void
test_aesni_mb_aead_vs_openssl(void **state)
{
	static const unsigned int masks[] = { NEP_TCRYPTO_DIRECT_ALL, 0 };
	static uint8_t a[20 + SWEEP_MAX + 16], o[sizeof(a)], clear[sizeof(a)];
	uint8_t key[32], iv[12];
	unsigned int m, s, len, i;

	(void)state;
	if (!pmd_up)
		skip();
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x77 ^ (i * 5));
	for (m = 0; m < RTE_DIM(masks); m++) {
		for (s = 0; s < RTE_DIM(aead_suites); s++) {
			struct nep_tcrypto_ctx *p, *q;
			struct variant v = { NEP_TCRYPTO_BE_AESNI_MB, masks[m],
				"" };

			nep_tcrypto_set_direct(masks[m]);
			p = nep_tcrypto_ctx_create(aead_suites[s], key, 32, 20,
				NEP_TCRYPTO_BE_AESNI_MB);
			q = nep_tcrypto_ctx_create(aead_suites[s], key, 32, 20,
				NEP_TCRYPTO_BE_OPENSSL);
			variant_end();
			assert_non_null(p);
			assert_non_null(q);
			assert_int_equal(nep_tcrypto_ctx_direct(p),
				variant_direct(&v, aead_suites[s]));
			for (len = 0; len <= SWEEP_MAX; len++) {
				for (i = 0; i < 20 + len; i++)
					clear[i] = (uint8_t)(i * 17 + len);
				for (i = 0; i < 12; i++)
					iv[i] = (uint8_t)(len >> (i % 2 * 8));
				memcpy(a, clear, 20 + len);
				memcpy(o, clear, 20 + len);
				if (nep_tcrypto_seal(p, a, 20, len, iv) != 0 ||
				    nep_tcrypto_seal(q, o, 20, len, iv) != 0)
					fail_msg("direct %#x suite %u len %u: "
						"seal failed", masks[m],
						aead_suites[s], len);
				if (memcmp(a, o, 20 + len + 16) != 0)
					fail_msg("direct %#x suite %u len %u: "
						"sealed bytes differ from "
						"OpenSSL", masks[m],
						aead_suites[s], len);
				a[20 + len + len % 16] ^= 0x08;
				assert_int_equal(nep_tcrypto_open(p, a, 20, len,
					iv), -1);
				memcpy(a, o, 20 + len + 16);
				if (nep_tcrypto_open(p, o, 20, len, iv) != 0 ||
				    nep_tcrypto_open(q, a, 20, len, iv) != 0 ||
				    memcmp(a, clear, 20 + len) != 0 ||
				    memcmp(o, clear, 20 + len) != 0)
					fail_msg("direct %#x suite %u len %u: "
						"open failed", masks[m],
						aead_suites[s], len);
			}
			nep_tcrypto_ctx_free(p);
			nep_tcrypto_ctx_free(q);
		}
	}
}

static void
test_bad_args(void **state)
{
	uint8_t key[32] = { 0 };

	(void)state;
	assert_null(nep_tcrypto_ctx_create(0, key, 32, 20,
		NEP_TCRYPTO_BE_OPENSSL));
	assert_null(nep_tcrypto_ctx_create(9, key, 32, 20,
		NEP_TCRYPTO_BE_OPENSSL));
	assert_null(nep_tcrypto_ctx_create(NEP_TUN_S_AES256_GCM, key, 16, 20,
		NEP_TCRYPTO_BE_OPENSSL));
	assert_null(nep_tcrypto_ctx_create(NEP_TUN_S_HMAC_SHA256_128, key, 0,
		20, NEP_TCRYPTO_BE_OPENSSL));
}

static int
setup(void **state)
{
	(void)state;
	if (nep_test_eal_init("tcrypto", 64) != 0)
		return -1;
	pmd_up = nep_tcrypto_init(16) == 0;
	shani = (imb_get_feature_flags() & IMB_FEATURE_SHANI) != 0;
	if (!pmd_up)
		fprintf(stderr, "crypto_aesni_mb unavailable: testing the "
			"OpenSSL backend only\n");
	else
		fprintf(stderr, "backends: aesni_mb (intel-ipsec-mb direct%s, "
			"and CPU crypto), openssl\n", shani ? ", SHA-NI" : "");
	return 0;
}

/* ---- HKDF-SHA-256: RFC 5869 A.1, and the protocol's worked example ---- */

static void
test_hkdf(void **state)
{
	uint8_t ikm[32], salt[13], info[10], out[42], want[42];
	uint8_t tinfo[NEP_TUN_KDF_INFO_LEN];

	(void)state;
	memset(ikm, 0x0b, 22);
	unhex("000102030405060708090a0b0c", salt, sizeof(salt));
	unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof(info));
	unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4"
	      "c5bf34007208d5b887185865", want, sizeof(want));
	assert_int_equal(nep_tcrypto_hkdf_sha256(salt, 13, ikm, 22, info, 10,
		out, 42), 0);
	assert_memory_equal(out, want, 42);

	/* docs/tunnel-protocol.md section 10: session 0x0a0b0c0d, key 1,
	 * direction 0, suite 1, PSK 00..1f. */
	for (unsigned i = 0; i < 32; i++)
		ikm[i] = (uint8_t)i;
	nep_tun_kdf_info(0x0a0b0c0d, 1, NEP_TUN_D_INITIATOR,
		NEP_TUN_S_HMAC_SHA256_128, tinfo);
	unhex("49a582a508315f4a332baa38adf339b954b7e42263885eafe7c7620eff3be89b",
		want, 32);
	assert_int_equal(nep_tcrypto_hkdf_sha256(
		(const uint8_t *)NEP_TUN_KDF_SALT, NEP_TUN_KDF_SALT_LEN, ikm, 32,
		tinfo, sizeof(tinfo), out, 32), 0);
	assert_memory_equal(out, want, 32);
}

/* docs/tunnel-protocol.md section 10, the other direction: a
 * KEEPALIVE_REPLY from the responder (direction 1), sequence 8, suites 3
 * and 1, on every backend. */
static void
test_example_direction1(void **state)
{
	static const struct {
		uint8_t suite;
		const char *key, *msg;
	} ex[] = {
		{ NEP_TUN_S_AES256_GCM,
		  "4c64c1973141a09990d4c67cd7b185a3723e0abfa72a59de4e5b4c55ff26212c",
		  "0103000001030010" "0a0b0c0d00000000" "00000008c087632f"
		  "e9046a8750584008" "6737719026ac15ae" "017b2e7f397c8349"
		  "548e7c5d" },
		{ NEP_TUN_S_HMAC_SHA256_128,
		  "508c8ba8963ea7f53ce9cfbdeca09e4f7682e4b0ab9740fe4bf7241d227ab2de",
		  "0103000001010010" "0a0b0c0d00000000" "0000000800000000"
		  "0000000701020304" "05060708b63dd3b2" "0f16a805b3fb86d7"
		  "82271db9" },
	};
	uint8_t psk[32], info[NEP_TUN_KDF_INFO_LEN], k[32], want_k[32];
	uint8_t want[64], buf[64], iv[NEP_TUN_NONCE_LEN];
	struct nep_tun_hdr h = { .type = NEP_TUN_T_KEEPALIVE_REPLY,
		.ptype = NEP_TUN_P_NONE, .key_id = 1, .length = NEP_TUN_CTRL_LEN,
		.session_id = 0x0a0b0c0d, .seq = 8 };

	(void)state;
	for (unsigned i = 0; i < 32; i++)
		psk[i] = (uint8_t)i;
	for (unsigned e = 0; e < sizeof(ex) / sizeof(ex[0]); e++) {
		unsigned n = unhex(ex[e].msg, want, sizeof(want));

		h.suite = ex[e].suite;
		nep_tun_kdf_info(h.session_id, 1, NEP_TUN_D_RESPONDER, h.suite,
			info);
		assert_int_equal(nep_tcrypto_hkdf_sha256(
			(const uint8_t *)NEP_TUN_KDF_SALT, NEP_TUN_KDF_SALT_LEN,
			psk, 32, info, sizeof(info), k, 32), 0);
		unhex(ex[e].key, want_k, sizeof(want_k));
		assert_memory_equal(k, want_k, 32);
		nep_tun_nonce(1, NEP_TUN_D_RESPONDER, 8, iv);
		for (unsigned b = 0; b < RTE_DIM(variants); b++) {
			struct nep_tcrypto_ctx *c;

			if (!variant_begin(&variants[b]))
				continue;
			c = nep_tcrypto_ctx_create(h.suite, k, 32,
				NEP_TUN_HDR_LEN, variants[b].be);
			variant_end();
			assert_non_null(c);
			assert_int_equal(nep_tcrypto_ctx_direct(c),
				variant_direct(&variants[b], h.suite));
			memset(buf, 0, sizeof(buf));
			nep_tun_hdr_encode(&h, buf);
			/* body: echoed sequence 7, echoed timestamp */
			buf[NEP_TUN_HDR_LEN + 7] = 7;
			for (unsigned i = 0; i < 8; i++)
				buf[NEP_TUN_HDR_LEN + 8 + i] = (uint8_t)(i + 1);
			assert_int_equal(nep_tcrypto_seal(c, buf, NEP_TUN_HDR_LEN,
				NEP_TUN_CTRL_LEN, nep_tun_suite_is_aead(h.suite) ?
					iv : NULL), 0);
			assert_int_equal(n, NEP_TUN_HDR_LEN + NEP_TUN_CTRL_LEN +
				nep_tcrypto_ctx_tag_len(c));
			assert_memory_equal(buf, want, n);
			assert_int_equal(nep_tcrypto_open(c, buf, NEP_TUN_HDR_LEN,
				NEP_TUN_CTRL_LEN, nep_tun_suite_is_aead(h.suite) ?
					iv : NULL), 0);
			nep_tcrypto_ctx_free(c);
		}
	}
}

static int
teardown(void **state)
{
	nep_tcrypto_fini();
	return nep_test_eal_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_aead_kats),
		cmocka_unit_test(test_cross_backend),
		cmocka_unit_test(test_aesni_mb_forged_aead_tag),
		cmocka_unit_test(test_aesni_mb_aead_other_thread),
		cmocka_unit_test(test_bursts),
		cmocka_unit_test(test_aesni_mb_hmac_vs_openssl),
		cmocka_unit_test(test_aesni_mb_hmac_other_thread),
		cmocka_unit_test(test_aesni_mb_aead_vs_openssl),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_hkdf),
		cmocka_unit_test(test_example_direction1),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
