/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cryptodev.h>
#include <rte_dev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "nep_tcrypto.h"
#include "nep_tunnel.h"

#define NEP_TCRYPTO_PMD "crypto_aesni_mb"

static int pmd_dev = -1;
static int pmd_created; /* we called rte_eal_hotplug_add() */
static struct rte_mempool *sess_pool;

struct nep_tcrypto_ctx {
	/* aesni_mb, AEAD through intel-ipsec-mb (see aead_imb()):
	 * AES-256-GCM round keys and GHASH powers, expanded once here
	 * (64-byte aligned, as the library wants); ChaCha20 takes the raw
	 * key. */
	struct gcm_key_data gcm __rte_aligned(64);
	uint8_t chacha_key[32];
	/* aesni_mb, HMAC through intel-ipsec-mb (see hmac_imb()): the
	 * SHA-256 states after the key's ipad and opad blocks (RFC 2104's
	 * key schedule, computed once here as intel-ipsec-mb 1.3 asks its
	 * callers to: hmac_precompute()). */
	uint8_t ipad[32] __rte_aligned(16);
	uint8_t opad[32] __rte_aligned(16);
	/* aesni_mb: the HMAC of empty data (intel-ipsec-mb refuses a job
	 * of 0 bytes, IMB_ERR_JOB_AUTH_LEN), from OpenSSL at create. */
	uint8_t empty_tag[32];
	uint8_t suite;
	uint8_t aead;
	uint8_t tag_len;
	uint8_t direct; /* NEP_TCRYPTO_DIRECT_* this context uses */
	enum nep_tcrypto_backend be;
	uint32_t aad_len;
	/* aesni_mb: the CPU-crypto session (the paths not direct) */
	void *sess_seal;
	/* OpenSSL */
	EVP_MAC_CTX *mac;
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
};

/*
 * intel-ipsec-mb managers (about 200 KB each; one thread at a time), two
 * kinds per thread:
 *  MGR_MB     init_mb_mgr_auto(): the best architecture the library finds
 *             (AVX-512 with VAES here): AEAD seal and open, HMAC bursts
 *             (16 buffers at once);
 *  MGR_SHANI  init_mb_mgr_sse() on a CPU with SHA extensions: its
 *             HMAC-SHA-256 runs one buffer on SHA-NI (two lanes
 *             interleaved), so one packet costs one buffer's hashing
 *             instead of an AVX-512 manager's 16-lane pass; HMAC one
 *             packet at a time. None without SHA-NI (shani_ok == 0).
 * One of each per EAL lcore, allocated by nep_tcrypto_init() for the
 * lcores EAL started with, so no worker allocates in its packet path. An
 * lcore registered later (rte_thread_register) gets its own at its first
 * nep_tcrypto_thread_init() or use; a thread without an lcore id gets
 * thread-local ones, freed when it exits.
 */
enum { MGR_MB, MGR_SHANI, MGR_KINDS };
static IMB_MGR *lcore_mgr[MGR_KINDS][RTE_MAX_LCORE];
static __thread IMB_MGR *tls_mgr[MGR_KINDS];
static pthread_key_t tls_mgr_key[MGR_KINDS];
static pthread_once_t tls_mgr_once = PTHREAD_ONCE_INIT;
static int tls_mgr_key_ok;
static int shani_ok = -1; /* the library and the CPU have SHA-NI */
static unsigned int direct_mask = NEP_TCRYPTO_DIRECT_ALL;

static int
shani_available(void)
{
	if (shani_ok < 0)
		shani_ok = (imb_get_feature_flags() & IMB_FEATURE_SHANI) != 0;
	return shani_ok;
}

static IMB_MGR *
mgr_new(int kind)
{
	IMB_MGR *m;

	if (kind == MGR_SHANI && !shani_available())
		return NULL;
	m = alloc_mb_mgr(0);
	if (m == NULL)
		return NULL;
	if (kind == MGR_SHANI)
		init_mb_mgr_sse(m);
	else
		init_mb_mgr_auto(m, NULL);
	if (imb_get_errno(m) != 0 ||
	    (kind == MGR_SHANI && !(m->features & IMB_FEATURE_SHANI))) {
		free_mb_mgr(m);
		return NULL;
	}
	return m;
}

static void
tls_mgr_free(void *m)
{
	free_mb_mgr(m);
}

static void
tls_mgr_key_create(void)
{
	tls_mgr_key_ok =
		pthread_key_create(&tls_mgr_key[MGR_MB], tls_mgr_free) == 0 &&
		pthread_key_create(&tls_mgr_key[MGR_SHANI], tls_mgr_free) == 0;
}

/* The calling thread's manager of a kind, created at its first use. */
static IMB_MGR *
mgr_get_slow(int kind)
{
	unsigned int id = rte_lcore_id();
	IMB_MGR *m;

	if (kind == MGR_SHANI && !shani_available())
		return NULL;
	if (id < RTE_MAX_LCORE) {
		if (lcore_mgr[kind][id] == NULL)
			lcore_mgr[kind][id] = mgr_new(kind);
		return lcore_mgr[kind][id];
	}
	pthread_once(&tls_mgr_once, tls_mgr_key_create);
	if (!tls_mgr_key_ok)
		return NULL;
	m = mgr_new(kind);
	if (m != NULL && pthread_setspecific(tls_mgr_key[kind], m) != 0) {
		free_mb_mgr(m);
		m = NULL;
	}
	tls_mgr[kind] = m;
	return m;
}

static inline IMB_MGR *
mgr_get(int kind)
{
	unsigned int id = rte_lcore_id();

	if (likely(id < RTE_MAX_LCORE && lcore_mgr[kind][id] != NULL))
		return lcore_mgr[kind][id];
	if (id >= RTE_MAX_LCORE && tls_mgr[kind] != NULL)
		return tls_mgr[kind];
	return mgr_get_slow(kind);
}

int
nep_tcrypto_thread_init(void)
{
	if (mgr_get(MGR_MB) == NULL)
		return -1;
	if (shani_available() && mgr_get(MGR_SHANI) == NULL)
		return -1;
	return 0;
}

static void
mgrs_free(void)
{
	unsigned int i, k;

	for (k = 0; k < MGR_KINDS; k++)
		for (i = 0; i < RTE_MAX_LCORE; i++) {
			free_mb_mgr(lcore_mgr[k][i]);
			lcore_mgr[k][i] = NULL;
		}
}

unsigned int
nep_tcrypto_set_direct(unsigned int mask)
{
	unsigned int old = direct_mask;

	direct_mask = mask & NEP_TCRYPTO_DIRECT_ALL;
	return old;
}

unsigned int
nep_tcrypto_ctx_direct(const struct nep_tcrypto_ctx *ctx)
{
	return ctx->direct;
}

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
	unsigned int lc;
	int dev;

	if (nep_tcrypto_pmd_available())
		return 0;
	RTE_LCORE_FOREACH(lc) {
		if (lcore_mgr[MGR_MB][lc] == NULL &&
		    (lcore_mgr[MGR_MB][lc] = mgr_new(MGR_MB)) == NULL)
			goto fail;
		if (shani_available() && lcore_mgr[MGR_SHANI][lc] == NULL &&
		    (lcore_mgr[MGR_SHANI][lc] = mgr_new(MGR_SHANI)) == NULL)
			goto fail;
	}
	dev = rte_cryptodev_get_dev_id(NEP_TCRYPTO_PMD);
	if (dev < 0) {
		if (rte_eal_hotplug_add("vdev", NEP_TCRYPTO_PMD, "") != 0)
			goto fail;
		pmd_created = 1;
		dev = rte_cryptodev_get_dev_id(NEP_TCRYPTO_PMD);
		if (dev < 0)
			goto fail;
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
	mgrs_free();
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
	mgrs_free();
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

/*
 * HMAC-SHA-256 key schedule for intel-ipsec-mb's HMAC jobs, which take
 * the SHA-256 states after one block of (K' xor ipad) and of (K' xor
 * opad), K' the key zero-padded to the 64-byte block, or its SHA-256
 * digest when longer (RFC 2104 section 2). intel-ipsec-mb 1.3 has no
 * helper for it (1.4 adds imb_hmac_ipad_opad()); its tests and DPDK's
 * own aesni_mb PMD do the same with the library's IMB_SHA256 and
 * IMB_SHA256_ONE_BLOCK. test_tcrypto checks the result against RFC 4231
 * (keys of 4 to 131 bytes) and OpenSSL.
 */
static int
hmac_precompute(struct nep_tcrypto_ctx *c, const uint8_t *key,
	unsigned int key_len)
{
	uint8_t k[64], blk[64];
	IMB_MGR *m = mgr_get(MGR_MB);
	unsigned int i;

	if (m == NULL)
		return -1;
	memset(k, 0, sizeof(k));
	if (key_len > sizeof(k))
		IMB_SHA256(m, key, key_len, k);
	else
		memcpy(k, key, key_len);
	for (i = 0; i < sizeof(blk); i++)
		blk[i] = k[i] ^ 0x36;
	IMB_SHA256_ONE_BLOCK(m, blk, c->ipad);
	for (i = 0; i < sizeof(blk); i++)
		blk[i] = k[i] ^ 0x5c;
	IMB_SHA256_ONE_BLOCK(m, blk, c->opad);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(blk, sizeof(blk));
	return imb_get_errno(m) == 0 ? 0 : -1;
}

static int
pmd_ctx_init(struct nep_tcrypto_ctx *c, const uint8_t *key,
	unsigned int key_len)
{
	struct rte_crypto_sym_xform x;
	unsigned int ol;

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
		if (c->sess_seal == NULL)
			return -1;
		ol = sizeof(c->empty_tag);
		if (HMAC(EVP_sha256(), key, (int)key_len, c->empty_tag, 0,
			    c->empty_tag, &ol) == NULL ||
		    ol != sizeof(c->empty_tag))
			return -1;
		if (direct_mask & (NEP_TCRYPTO_DIRECT_HMAC |
			    NEP_TCRYPTO_DIRECT_HMAC_BURST)) {
			if (hmac_precompute(c, key, key_len) != 0)
				return -1;
			c->direct = direct_mask & NEP_TCRYPTO_DIRECT_HMAC_BURST;
			if (shani_available())
				c->direct |= direct_mask &
					NEP_TCRYPTO_DIRECT_HMAC;
		}
		return 0;
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
	/* Open, and seal when direct, go to intel-ipsec-mb itself
	 * (aead_imb()): its keys. */
	if (c->suite == NEP_TUN_S_AES256_GCM) {
		IMB_MGR *m = mgr_get(MGR_MB);

		if (m == NULL)
			return -1;
		IMB_AES256_GCM_PRE(m, key, &c->gcm);
	} else {
		memcpy(c->chacha_key, key, sizeof(c->chacha_key));
	}
	c->direct = NEP_TCRYPTO_DIRECT_AEAD_OPEN |
		(direct_mask & NEP_TCRYPTO_DIRECT_AEAD_SEAL);
	return 0;
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
	void *mem;
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
	if (posix_memalign(&mem, 64, sizeof(*c)) != 0)
		return NULL;
	c = mem;
	memset(c, 0, sizeof(*c));
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
	EVP_MAC_CTX_free(c->mac);
	EVP_CIPHER_CTX_free(c->enc);
	EVP_CIPHER_CTX_free(c->dec);
	OPENSSL_cleanse(c, sizeof(*c)); /* the expanded AEAD keys */
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

/*
 * AEAD on the aesni_mb backend through intel-ipsec-mb (the library the
 * PMD wraps), MGR_MB manager. Seal writes the tag after the payload;
 * open decrypts in place and the library writes the tag it computed into
 * `want`, which we compare with CRYPTO_memcmp (the PMD's own verify, CPU
 * crypto or queue pair, compares with plain memcmp in DPDK 22.11).
 * AES-256-GCM: the library's direct calls (gcm256_enc / gcm256_dec),
 * synchronous. ChaCha20-Poly1305: one job (encrypt: cipher then hash;
 * decrypt: hash then cipher), submitted alone on a drained manager, so
 * it comes back from the submit or from one flush.
 */
static inline int
aead_imb(const struct nep_tcrypto_ctx *c, int enc, uint8_t *buf,
	uint32_t aad_len, uint32_t plen, const uint8_t *iv)
{
	uint8_t want[16];
	uint8_t *pl = buf + aad_len, *tag = pl + plen;
	uint8_t *out = enc ? tag : want;
	IMB_MGR *m = mgr_get(MGR_MB);

	if (unlikely(m == NULL))
		return -1;
	if (c->suite == NEP_TUN_S_AES256_GCM) {
		struct gcm_context_data gctx;

		if (enc)
			IMB_AES256_GCM_ENC(m, &c->gcm, &gctx, pl, pl, plen, iv,
				buf, aad_len, out, c->tag_len);
		else
			IMB_AES256_GCM_DEC(m, &c->gcm, &gctx, pl, pl, plen, iv,
				buf, aad_len, out, c->tag_len);
	} else {
		IMB_JOB *job = IMB_GET_NEXT_JOB(m);

		job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
		job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
		job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
		job->chain_order = enc ? IMB_ORDER_CIPHER_HASH :
			IMB_ORDER_HASH_CIPHER;
		job->enc_keys = c->chacha_key;
		job->dec_keys = c->chacha_key;
		job->key_len_in_bytes = IMB_KEY_256_BYTES;
		job->src = pl;
		job->dst = pl;
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = plen;
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = plen;
		job->iv = iv;
		job->iv_len_in_bytes = NEP_TCRYPTO_IV_LEN;
		job->u.CHACHA20_POLY1305.aad = buf;
		job->u.CHACHA20_POLY1305.aad_len_in_bytes = aad_len;
		job->auth_tag_output = out;
		job->auth_tag_output_len_in_bytes = c->tag_len;
		job->user_data = out;
		job = IMB_SUBMIT_JOB(m);
		if (job == NULL)
			job = IMB_FLUSH_JOB(m);
		if (unlikely(job == NULL || job->user_data != out ||
			    job->status != IMB_STATUS_COMPLETED)) {
			while (IMB_FLUSH_JOB(m) != NULL)
				;
			return -1;
		}
	}
	if (enc)
		return 0;
	return CRYPTO_memcmp(want, tag, c->tag_len) == 0 ? 0 : -1;
}

/*
 * HMAC of 0 bytes on aesni_mb (intel-ipsec-mb refuses such a job): the
 * tag OpenSSL computed at create, written (seal) or compared (open).
 */
static inline int
hmac_empty(const struct nep_tcrypto_ctx *c, int seal, uint8_t *tag)
{
	if (seal) {
		memcpy(tag, c->empty_tag, c->tag_len);
		return 0;
	}
	return CRYPTO_memcmp(c->empty_tag, tag, c->tag_len) == 0 ? 0 : -1;
}

/* An HMAC-SHA-256 job over data[0, len), the tag (tag_len bytes) to out. */
static inline void
hmac_job_fill(IMB_JOB *job, const struct nep_tcrypto_ctx *c,
	const uint8_t *data, uint32_t len, uint8_t *out)
{
	job->cipher_mode = IMB_CIPHER_NULL;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->hash_alg = IMB_AUTH_HMAC_SHA_256;
	job->src = data;
	job->dst = NULL;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = 0;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->auth_tag_output = out;
	job->auth_tag_output_len_in_bytes = c->tag_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = c->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = c->opad;
}

/*
 * HMAC of one packet through intel-ipsec-mb's SHA-NI manager (MGR_SHANI):
 * one job on a drained manager; its two-lane SHA-NI code holds the job at
 * submit (waiting for a second buffer) and the flush hashes the one
 * buffer. 0; -1 when the job failed; 1 when this thread has no such
 * manager (the caller takes the CPU-crypto path).
 */
static inline int
hmac_imb(const struct nep_tcrypto_ctx *c, const uint8_t *data, uint32_t len,
	uint8_t *out)
{
	IMB_MGR *m = mgr_get(MGR_SHANI);
	IMB_JOB *job;

	if (unlikely(m == NULL))
		return 1;
	job = IMB_GET_NEXT_JOB(m);
	hmac_job_fill(job, c, data, len, out);
	job->user_data = out;
	job = IMB_SUBMIT_JOB(m);
	if (job == NULL)
		job = IMB_FLUSH_JOB(m);
	if (unlikely(job == NULL || job->user_data != out ||
		    job->status != IMB_STATUS_COMPLETED)) {
		while (IMB_FLUSH_JOB(m) != NULL)
			;
		return -1;
	}
	return 0;
}

int
nep_tcrypto_seal(struct nep_tcrypto_ctx *c, uint8_t *buf, uint32_t aad_len,
	uint32_t plen, const uint8_t *iv)
{
	uint8_t full[32];
	int rc;

	if (c->aead) {
		if (aad_len != c->aad_len || iv == NULL)
			return -1;
		if (c->direct & NEP_TCRYPTO_DIRECT_AEAD_SEAL)
			return aead_imb(c, 1, buf, aad_len, plen, iv);
		if (c->be == NEP_TCRYPTO_BE_AESNI_MB)
			return pmd_run(c->sess_seal, buf + aad_len, plen, iv,
				buf, buf + aad_len + plen);
		return ossl_aead(c, 1, buf, aad_len, plen, iv);
	}
	if (c->be == NEP_TCRYPTO_BE_AESNI_MB && unlikely(aad_len + plen == 0))
		return hmac_empty(c, 1, buf);
	if (c->direct & NEP_TCRYPTO_DIRECT_HMAC) {
		rc = hmac_imb(c, buf, aad_len + plen, buf + aad_len + plen);
		if (likely(rc <= 0))
			return rc;
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
	int rc = 1;

	if (c->aead) {
		if (aad_len != c->aad_len || iv == NULL)
			return -1;
		if (c->be == NEP_TCRYPTO_BE_AESNI_MB)
			return aead_imb(c, 0, buf, aad_len, plen, iv);
		return ossl_aead(c, 0, buf, aad_len, plen, iv);
	}
	if (c->be == NEP_TCRYPTO_BE_AESNI_MB && unlikely(aad_len + plen == 0))
		return hmac_empty(c, 0, buf);
	if (c->direct & NEP_TCRYPTO_DIRECT_HMAC)
		rc = hmac_imb(c, buf, aad_len + plen, want);
	if (rc > 0)
		rc = c->be == NEP_TCRYPTO_BE_AESNI_MB ?
			pmd_run(c->sess_seal, buf, aad_len + plen, NULL, NULL,
				want) :
			ossl_hmac(c, buf, aad_len + plen, want);
	if (rc != 0)
		return -1;
	return CRYPTO_memcmp(want, buf + aad_len + plen, c->tag_len) == 0 ?
		0 : -1;
}

/*
 * HMAC bursts through intel-ipsec-mb's multi-buffer manager (MGR_MB):
 * every job submitted, then flushed, so its lanes (16 with AVX-512) are
 * full; the jobs come back in order, user_data their index. Digest to
 * want[i] (open) or after the payload (seal); st[i] 0 or -1. 1 when
 * this thread has no manager (the caller takes the CPU-crypto path).
 */
static int
hmac_burst_imb(const struct nep_tcrypto_ctx *c, uint8_t *const bufs[],
	const uint32_t plens[], uint32_t aad_len, unsigned int n,
	uint8_t (*want)[NEP_TCRYPTO_TAG_MAX], int32_t st[])
{
	IMB_MGR *m = mgr_get(MGR_MB);
	IMB_JOB *job;
	unsigned int i;

	if (unlikely(m == NULL))
		return 1;
	for (i = 0; i < n; i++) {
		uint8_t *b = bufs[i];

		st[i] = -1;
		job = IMB_GET_NEXT_JOB(m);
		hmac_job_fill(job, c, b, aad_len + plens[i],
			want != NULL ? want[i] : b + aad_len + plens[i]);
		job->user_data = (void *)(uintptr_t)i;
		job = IMB_SUBMIT_JOB(m);
		if (job != NULL && (uintptr_t)job->user_data < n)
			st[(uintptr_t)job->user_data] =
				job->status == IMB_STATUS_COMPLETED ? 0 : -1;
	}
	while ((job = IMB_FLUSH_JOB(m)) != NULL)
		if ((uintptr_t)job->user_data < n)
			st[(uintptr_t)job->user_data] =
				job->status == IMB_STATUS_COMPLETED ? 0 : -1;
	return 0;
}

/*
 * Bursts on the CPU-crypto path: one call for the whole burst, so the
 * PMD's multi-buffer manager fills its lanes instead of flushing one job
 * per packet. HMAC: data = header || payload, digest = the tag (seal) or
 * want[i] (open). AEAD seal: data = payload, AAD = header.
 */
static unsigned int
pmd_run_burst(struct nep_tcrypto_ctx *c, uint8_t *const bufs[],
	const uint32_t plens[], const uint8_t *const ivs[], uint32_t aad_len,
	unsigned int n, uint8_t (*want)[NEP_TCRYPTO_TAG_MAX], int32_t st[])
{
	struct rte_crypto_vec v[NEP_TCRYPTO_BURST_MAX];
	struct rte_crypto_sgl sgl[NEP_TCRYPTO_BURST_MAX];
	struct rte_crypto_va_iova_ptr ivp[NEP_TCRYPTO_BURST_MAX];
	struct rte_crypto_va_iova_ptr aadp[NEP_TCRYPTO_BURST_MAX];
	struct rte_crypto_va_iova_ptr dp[NEP_TCRYPTO_BURST_MAX];
	struct rte_crypto_sym_vec vec = {
		.num = n, .src_sgl = sgl, .iv = ivp, .aad = aadp,
		.digest = dp, .status = st,
	};
	union rte_crypto_sym_ofs ofs = { .raw = 0 };
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint8_t *b = bufs[i];

		if (c->aead) {
			v[i].base = b + aad_len;
			v[i].len = plens[i];
			ivp[i].va = (void *)(uintptr_t)ivs[i];
			aadp[i].va = b;
		} else {
			v[i].base = b;
			v[i].len = aad_len + plens[i];
			ivp[i].va = NULL;
			aadp[i].va = NULL;
		}
		v[i].iova = 0;
		sgl[i].vec = &v[i];
		sgl[i].num = 1;
		dp[i].va = want != NULL ? want[i] : b + aad_len + plens[i];
		st[i] = -1;
	}
	return rte_cryptodev_sym_cpu_crypto_process((uint8_t)pmd_dev,
		c->sess_seal, ofs, &vec);
}

/*
 * One chunk of at most NEP_TCRYPTO_BURST_MAX on aesni_mb, multi-buffer.
 * HMAC of 0 bytes (no header, empty payload) is refused by intel-ipsec-mb
 * (IMB_ERR_JOB_AUTH_LEN), and a refused job inside the PMD's CPU-crypto
 * call leaves its manager returning the previous job's digest to later
 * calls (DPDK 22.11): such a chunk goes packet by packet (hmac_empty()).
 */
static void
mb_run_burst(struct nep_tcrypto_ctx *c, uint8_t *const bufs[],
	const uint32_t plens[], const uint8_t *const ivs[], uint32_t aad_len,
	unsigned int n, uint8_t (*want)[NEP_TCRYPTO_TAG_MAX], int32_t st[])
{
	unsigned int i;

	if (!c->aead && unlikely(aad_len == 0)) {
		for (i = 0; i < n && plens[i] != 0; i++)
			;
		if (i < n) {
			for (i = 0; i < n; i++) {
				if (plens[i] == 0) {
					memcpy(want != NULL ? want[i] : bufs[i],
						c->empty_tag, c->tag_len);
					st[i] = 0;
				} else {
					mb_run_burst(c, bufs + i, plens + i,
						NULL, 0, 1,
						want != NULL ? want + i : NULL,
						st + i);
				}
			}
			return;
		}
	}
	if (c->aead || !(c->direct & NEP_TCRYPTO_DIRECT_HMAC_BURST) ||
	    hmac_burst_imb(c, bufs, plens, aad_len, n, want, st) != 0)
		pmd_run_burst(c, bufs, plens, ivs, aad_len, n, want, st);
}

static int
burst_args_ok(const struct nep_tcrypto_ctx *c, const uint8_t *const ivs[],
	uint32_t aad_len)
{
	if (c->aead)
		return aad_len == c->aad_len && ivs != NULL;
	return 1;
}

unsigned int
nep_tcrypto_seal_burst(struct nep_tcrypto_ctx *c, uint8_t *const bufs[],
	const uint32_t plens[], const uint8_t *const ivs[], uint32_t aad_len,
	unsigned int n, int status[])
{
	unsigned int done = 0, i, k, m;

	if (!burst_args_ok(c, ivs, aad_len)) {
		for (i = 0; i < n; i++)
			status[i] = -1;
		return 0;
	}
	/* OpenSSL, and AEAD seal through intel-ipsec-mb (one buffer at a
	 * time anyway): packet by packet. */
	if (c->be != NEP_TCRYPTO_BE_AESNI_MB ||
	    (c->direct & NEP_TCRYPTO_DIRECT_AEAD_SEAL)) {
		for (i = 0; i < n; i++) {
			status[i] = nep_tcrypto_seal(c, bufs[i], aad_len,
				plens[i], ivs != NULL ? ivs[i] : NULL);
			done += status[i] == 0;
		}
		return done;
	}
	for (k = 0; k < n; k += m) {
		int32_t st[NEP_TCRYPTO_BURST_MAX];

		m = RTE_MIN(n - k, (unsigned int)NEP_TCRYPTO_BURST_MAX);
		mb_run_burst(c, bufs + k, plens + k,
			ivs != NULL ? ivs + k : NULL, aad_len, m, NULL, st);
		for (i = 0; i < m; i++) {
			status[k + i] = st[i] == 0 ? 0 : -1;
			done += st[i] == 0;
		}
	}
	return done;
}

unsigned int
nep_tcrypto_open_burst(struct nep_tcrypto_ctx *c, uint8_t *const bufs[],
	const uint32_t plens[], const uint8_t *const ivs[], uint32_t aad_len,
	unsigned int n, int status[])
{
	unsigned int done = 0, i, k, m;

	if (!burst_args_ok(c, ivs, aad_len)) {
		for (i = 0; i < n; i++)
			status[i] = -1;
		return 0;
	}
	/* AEAD on aesni_mb: intel-ipsec-mb's AEAD runs one buffer at a time
	 * (GCM, ChaCha20-Poly1305), so a loop of aead_imb() is the burst. */
	if (c->be != NEP_TCRYPTO_BE_AESNI_MB || c->aead) {
		for (i = 0; i < n; i++) {
			status[i] = nep_tcrypto_open(c, bufs[i], aad_len,
				plens[i], ivs != NULL ? ivs[i] : NULL);
			done += status[i] == 0;
		}
		return done;
	}
	for (k = 0; k < n; k += m) {
		uint8_t want[NEP_TCRYPTO_BURST_MAX][NEP_TCRYPTO_TAG_MAX];
		int32_t st[NEP_TCRYPTO_BURST_MAX];

		m = RTE_MIN(n - k, (unsigned int)NEP_TCRYPTO_BURST_MAX);
		mb_run_burst(c, bufs + k, plens + k, NULL, aad_len, m, want,
			st);
		for (i = 0; i < m; i++) {
			uint8_t *b = bufs[k + i];
			int ok = st[i] == 0 && CRYPTO_memcmp(want[i],
				b + aad_len + plens[k + i], c->tag_len) == 0;

			status[k + i] = ok ? 0 : -1;
			done += ok;
		}
	}
	return done;
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
