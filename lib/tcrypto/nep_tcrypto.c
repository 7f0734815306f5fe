/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <rte_dev.h>
#include <rte_common.h>
#include <rte_cryptodev.h>
#include <rte_malloc.h>

#include "nep_tcrypto.h"
#include "nep_tunnel.h"

#define NEP_TCRYPTO_PMD "crypto_aesni_mb"

static int pmd_dev = -1;
static int pmd_created; /* we called rte_eal_hotplug_add()) */
static struct rte_mempool *sess_pool;

struct nep_tcrypto_ctx {
	uint8_t suite;
	uint8_t aead;
	uint8_t tag_len;
	enum nep_tcrypto_backend be;
	uint32_t aad_len;
	/* aesni_mb */
	void *sess_seal;
	void *sess_open; /* AEAD decrypt+verify; NULL for HMAC */
	/* OpenSSL */
	EVP_MAC_CTX *mac;
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
};

int
nep_tcrypto_pmd_available(void)
{
	return pmd_dev >= 0 && sess_pool != NULL;
}

int
nep_tcrypto_init(unsigned int max_sessions)
{
	struct rte_cryptodev_config cf = {
		.socket_id = SOCKET_ID_ANY,
		.nb_queue_pairs = 1,
	};
	struct rte_cryptodev_info info;
	int dev;

	if (nep_tcrypto_pmd_available())
		return 0;
	dev = rte_cryptodev_get_dev_id(NEP_TCRYPTO_PMD);
	if (dev < 0) {
		if (rte_eal_hotplug_add("vdev", NEP_TCRYPTO_PMD, "") != 0)
			return -1;
		pmd_created = 1;
		dev = rte_cryptodev_get_dev_id(NEP_TCRYPTO_PMD);
		if (dev < 0)
			return -1;
	}
	rte_cryptodev_info_get((uint8_t)dev, &info);
	if (!(info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO))
		goto fail;
	if (rte_cryptodev_configure((uint8_t)dev, &cf) != 0)
		goto fail;
	if (max_sessions < 2)
		max_sessions = 2;
	sess_pool = rte_cryptodev_sym_session_pool_create("nep_tcrypto_sess",
		2 * max_sessions,
		rte_cryptodev_sym_get_private_session_size((uint8_t)dev), 0, 0,
		SOCKET_ID_ANY);
	if (sess_pool == NULL)
		goto fail;
	pmd_dev = dev;
	return 0;
fail:
	if (pmd_created) {
		rte_eal_hotplug_remove("vdev", NEP_TCRYPTO_PMD);
		pmd_created = 0;
	}
	return -1;
}

void
nep_tcrypto_fini(void)
{
	rte_mempool_free(sess_pool);
	sess_pool = NULL;
	if (pmd_dev >= 0 && pmd_created) {
		rte_cryptodev_close((uint8_t)pmd_dev);
		rte_eal_hotplug_remove("vdev", NEP_TCRYPTO_PMD);
	}
	pmd_created = 0;
	pmd_dev = -1;
}

const char *
nep_tcrypto_backend_name(enum nep_tcrypto_backend be)
{
	switch (be) {
	case NEP_TCRYPTO_BE_AESNI_MB:
		return "aesni_mb";
	case NEP_TCRYPTO_BE_OPENSSL:
		return "openssl";
	default:
		return "auto";
	}
}

enum nep_tcrypto_backend
nep_tcrypto_ctx_backend(const struct nep_tcrypto_ctx *ctx)
{
	return ctx->be;
}

unsigned int
nep_tcrypto_ctx_tag_len(const struct nep_tcrypto_ctx *ctx)
{
	return ctx->tag_len;
}

static int
pmd_ctx_init(struct nep_tcrypto_ctx *c, const uint8_t *key,
	unsigned int key_len)
{
	struct rte_crypto_sym_xform x;

	memset(&x, 0, sizeof(x));
	if (!c->aead) {
		/* Always GENERATE: open compares with CRYPTO_memcmp, not the
		 * PMD's verify (a plain memcmp). */
		x.type = RTE_CRYPTO_SYM_XFORM_AUTH;
		x.auth.op = RTE_CRYPTO_AUTH_OP_GENERATE;
		x.auth.algo = RTE_CRYPTO_AUTH_SHA256_HMAC;
		x.auth.key.data = key;
		x.auth.key.length = (uint16_t)key_len;
		x.auth.digest_length = c->tag_len;
		c->sess_seal = rte_cryptodev_sym_session_create((uint8_t)pmd_dev,
			&x, sess_pool);
		return c->sess_seal != NULL ? 0 : -1;
	}
	x.type = RTE_CRYPTO_SYM_XFORM_AEAD;
	x.aead.op = RTE_CRYPTO_AEAD_OP_ENCRYPT;
	x.aead.algo = c->suite == NEP_TUN_S_AES256_GCM ?
		RTE_CRYPTO_AEAD_AES_GCM : RTE_CRYPTO_AEAD_CHACHA20_POLY1305;
	x.aead.key.data = key;
	x.aead.key.length = (uint16_t)key_len;
	x.aead.iv.offset = 0; /* CPU crypto takes the IV by pointer */
	x.aead.iv.length = NEP_TCRYPTO_IV_LEN;
	x.aead.digest_length = c->tag_len;
	x.aead.aad_length = (uint16_t)c->aad_len;
	c->sess_seal = rte_cryptodev_sym_session_create((uint8_t)pmd_dev, &x,
		sess_pool);
	if (c->sess_seal == NULL)
		return -1;
	x.aead.op = RTE_CRYPTO_AEAD_OP_DECRYPT;
	c->sess_open = rte_cryptodev_sym_session_create((uint8_t)pmd_dev, &x,
		sess_pool);
	return c->sess_open != NULL ? 0 : -1;
}

static int
ossl_ctx_init(struct nep_tcrypto_ctx *c, const uint8_t *key,
	unsigned int key_len)
{
	const EVP_CIPHER *ciph;

	if (!c->aead) {
		OSSL_PARAM p[2];
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

		if (mac == NULL)
			return -1;
		c->mac = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac);
		if (c->mac == NULL)
			return -1;
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
			(char *)"SHA256", 0);
		p[1] = OSSL_PARAM_construct_end();
		return EVP_MAC_init(c->mac, key, key_len, p) == 1 ? 0 : -1;
	}
	ciph = c->suite == NEP_TUN_S_AES256_GCM ? EVP_aes_256_gcm() :
		EVP_chacha20_poly1305();
	c->enc = EVP_CIPHER_CTX_new();
	c->dec = EVP_CIPHER_CTX_new();
	if (c->enc == NULL || c->dec == NULL)
		return -1;
	if (EVP_EncryptInit_ex(c->enc, ciph, NULL, NULL, NULL) != 1 ||
	    EVP_DecryptInit_ex(c->dec, ciph, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c->enc, EVP_CTRL_AEAD_SET_IVLEN,
		    NEP_TCRYPTO_IV_LEN, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c->dec, EVP_CTRL_AEAD_SET_IVLEN,
		    NEP_TCRYPTO_IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(c->enc, NULL, NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(c->dec, NULL, NULL, key, NULL) != 1)
		return -1;
	return 0;
}

struct nep_tcrypto_ctx *
nep_tcrypto_ctx_create(uint8_t suite, const uint8_t *key,
	unsigned int key_len, unsigned int aad_len,
	enum nep_tcrypto_backend want)
{
	struct nep_tcrypto_ctx *c;
	int rc;

	if (nep_tun_tag_len(suite) == 0 || key == NULL || key_len == 0 ||
	    key_len > UINT16_MAX)
		return NULL;
	if (nep_tun_suite_is_aead(suite) && (key_len != 32 || aad_len > 64))
		return NULL;
	if (want == NEP_TCRYPTO_BE_AUTO)
		want = nep_tcrypto_pmd_available() ? NEP_TCRYPTO_BE_AESNI_MB :
			NEP_TCRYPTO_BE_OPENSSL;
	if (want == NEP_TCRYPTO_BE_AESNI_MB && !nep_tcrypto_pmd_available())
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->suite = suite;
	c->aead = nep_tun_suite_is_aead(suite);
	c->tag_len = (uint8_t)nep_tun_tag_len(suite);
	c->aad_len = c->aead ? aad_len : 0;
	c->be = want;
	rc = want == NEP_TCRYPTO_BE_AESNI_MB ? pmd_ctx_init(c, key, key_len) :
		ossl_ctx_init(c, key, key_len);
	if (rc != 0) {
		nep_tcrypto_ctx_free(c);
		return NULL;
	}
	return c;
}

void
nep_tcrypto_ctx_free(struct nep_tcrypto_ctx *c)
{
	if (c == NULL)
		return;
	if (c->sess_seal != NULL)
		rte_cryptodev_sym_session_free((uint8_t)pmd_dev, c->sess_seal);
	if (c->sess_open != NULL)
		rte_cryptodev_sym_session_free((uint8_t)pmd_dev, c->sess_open);
	EVP_MAC_CTX_free(c->mac);
	EVP_CIPHER_CTX_free(c->enc);
	EVP_CIPHER_CTX_free(c->dec);
	free(c);
}

/* One CPU-crypto call over data[0, len), tag/digest at dgst. */
static int
pmd_run(void *sess, uint8_t *data, uint32_t len, const uint8_t *iv,
	uint8_t *aad, uint8_t *dgst)
{
	struct rte_crypto_vec v = { .base = data, .iova = 0, .len = len };
	struct rte_crypto_sgl sgl = { .vec = &v, .num = 1 };
	struct rte_crypto_va_iova_ptr ivp = { .va = (void *)(uintptr_t)iv };
	struct rte_crypto_va_iova_ptr aadp = { .va = aad };
	struct rte_crypto_va_iova_ptr dp = { .va = dgst };
	int32_t st = -1;
	struct rte_crypto_sym_vec vec = {
		.num = 1, .src_sgl = &sgl, .iv = &ivp, .aad = &aadp,
		.digest = &dp, .status = &st,
	};
	union rte_crypto_sym_ofs ofs = { .raw = 0 };

	if (rte_cryptodev_sym_cpu_crypto_process((uint8_t)pmd_dev, sess, ofs,
		    &vec) != 1 || st != 0)
		return -1;
	return 0;
}

static int
ossl_hmac(struct nep_tcrypto_ctx *c, const uint8_t *data, uint32_t len,
	uint8_t out[32])
{
	size_t ol = 0;

	/* Re-init with the key set at create. */
	if (EVP_MAC_init(c->mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(c->mac, data, len) != 1 ||
	    EVP_MAC_final(c->mac, out, &ol, 32) != 1 || ol != 32)
		return -1;
	return 0;
}

static int
ossl_aead(struct nep_tcrypto_ctx *c, int enc, uint8_t *buf, uint32_t aad_len,
	uint32_t plen, const uint8_t *iv)
{
	EVP_CIPHER_CTX *x = enc ? c->enc : c->dec;
	uint8_t *tag = buf + aad_len + plen;
	int ol;

	if (EVP_CipherInit_ex(x, NULL, NULL, NULL, iv, enc) != 1)
		return -1;
	if (aad_len > 0 &&
	    EVP_CipherUpdate(x, NULL, &ol, buf, (int)aad_len) != 1)
		return -1;
	if (plen > 0 && (EVP_CipherUpdate(x, buf + aad_len, &ol,
		buf + aad_len, (int)plen) != 1 || (uint32_t)ol != plen))
		return -1;
	if (!enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, c->tag_len,
		    tag) != 1)
		return -1;
	/* Decrypt: OpenSSL checks the tag with CRYPTO_memcmp. */
	if (EVP_CipherFinal_ex(x, buf + aad_len + plen, &ol) != 1)
		return -1;
	if (enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, c->tag_len,
		    tag) != 1)
		return -1;
	return 0;
}

int
nep_tcrypto_seal(struct nep_tcrypto_ctx *c, uint8_t *buf, uint32_t aad_len,
	uint32_t plen, const uint8_t *iv)
{
	uint8_t full[32];

	if (c->aead) {
		if (aad_len != c->aad_len || iv == NULL)
			return -1;
		if (c->be == NEP_TCRYPTO_BE_AESNI_MB)
			return pmd_run(c->sess_seal, buf + aad_len, plen, iv,
				buf, buf + aad_len + plen);
		return ossl_aead(c, 1, buf, aad_len, plen, iv);
	}
	if (c->be == NEP_TCRYPTO_BE_AESNI_MB)
		return pmd_run(c->sess_seal, buf, aad_len + plen, NULL, NULL,
			buf + aad_len + plen);
	if (ossl_hmac(c, buf, aad_len + plen, full) != 0)
		return -1;
	memcpy(buf + aad_len + plen, full, c->tag_len);
	return 0;
}

int
nep_tcrypto_open(struct nep_tcrypto_ctx *c, uint8_t *buf, uint32_t aad_len,
	uint32_t plen, const uint8_t *iv)
{
	uint8_t want[32];
	int rc;

	if (c->aead) {
		if (aad_len != c->aad_len || iv == NULL)
			return -1;
		/* The PMD's verify op: plain memcmp in 22.11 (see .h). */
		if (c->be == NEP_TCRYPTO_BE_AESNI_MB)
			return pmd_run(c->sess_open, buf + aad_len, plen, iv,
				buf, buf + aad_len + plen);
		return ossl_aead(c, 0, buf, aad_len, plen, iv);
	}
	if (c->be == NEP_TCRYPTO_BE_AESNI_MB)
		rc = pmd_run(c->sess_seal, buf, aad_len + plen, NULL, NULL,
			want);
	else
		rc = ossl_hmac(c, buf, aad_len + plen, want);
	if (rc != 0)
		return -1;
	return CRYPTO_memcmp(want, buf + aad_len + plen, c->tag_len) == 0 ?
		0 : -1;
}

int
nep_tcrypto_hkdf_sha256(const uint8_t *salt, unsigned int salt_len,
	const uint8_t *ikm, unsigned int ikm_len, const uint8_t *info,
	unsigned int info_len, uint8_t *out, unsigned int out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5];
	int rc = -1;

	EVP_KDF_free(kdf);
	if (kc == NULL)
		return -1;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
		(char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		(void *)salt, salt_len);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
		(void *)ikm, ikm_len);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		(void *)info, info_len);
	p[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kc, out, out_len, p) == 1)
		rc = 0;
	EVP_KDF_CTX_free(kc);
	return rc;
}
