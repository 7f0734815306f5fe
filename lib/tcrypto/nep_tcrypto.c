/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
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
	/* aesni_mb, AEAD open through intel-ipsec-mb (see open_imb()):
	 * AES-256-GCM round keys and GHASH powers, expanded once here
	 * (64-byte aligned, as the library wants); ChaCha20 takes the raw
	 * key. */
	struct gcm_key_data gcm __rte_aligned(64);
	uint8_t chacha_key[32];
	uint8_t suite;
	uint8_t aead;
	uint8_t tag_len;
	enum nep_tcrypto_backend be;
	uint32_t aad_len;
	/* aesni_mb: the CPU-crypto session (seal; HMAC open) */
	void *sess_seal;
	/* OpenSSL */
	EVP_MAC_CTX *mac;
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
};

/*
 * intel-ipsec-mb managers (about 200 KB each; one thread at a time): one
 * per EAL lcore, allocated by nep_tcrypto_init() for the lcores EAL
 * started with, so no worker allocates in its packet path. An lcore
 * registered later (rte_thread_register) gets its own at its first
 * nep_tcrypto_thread_init() or AEAD open; a thread without an lcore id
 * gets a thread-local one, freed when it exits.
 */
static IMB_MGR *lcore_mgr[RTE_MAX_LCORE];
static __thread IMB_MGR *tls_mgr;
static pthread_key_t tls_mgr_key;
static pthread_once_t tls_mgr_once = PTHREAD_ONCE_INIT;
static int tls_mgr_key_ok;

static IMB_MGR *
mgr_new(void)
{
	IMB_MGR *m = alloc_mb_mgr(0);

	if (m == NULL)
		return NULL;
	init_mb_mgr_auto(m, NULL);
	if (imb_get_errno(m) != 0) {
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
	tls_mgr_key_ok = pthread_key_create(&tls_mgr_key, tls_mgr_free) == 0;
}

/* The calling thread's manager, created at its first use (see above). */
static IMB_MGR *
mgr_get_slow(void)
{
	unsigned int id = rte_lcore_id();
	IMB_MGR *m;

	if (id < RTE_MAX_LCORE) {
		if (lcore_mgr[id] == NULL)
			lcore_mgr[id] = mgr_new();
		return lcore_mgr[id];
	}
	pthread_once(&tls_mgr_once, tls_mgr_key_create);
	if (!tls_mgr_key_ok)
		return NULL;
	m = mgr_new();
	if (m != NULL && pthread_setspecific(tls_mgr_key, m) != 0) {
		free_mb_mgr(m);
		m = NULL;
	}
	tls_mgr = m;
	return m;
}

static inline IMB_MGR *
mgr_get(void)
{
	unsigned int id = rte_lcore_id();

	if (likely(id < RTE_MAX_LCORE && lcore_mgr[id] != NULL))
		return lcore_mgr[id];
	if (id >= RTE_MAX_LCORE && tls_mgr != NULL)
		return tls_mgr;
	return mgr_get_slow();
}

int
nep_tcrypto_thread_init(void)
{
	return mgr_get() != NULL ? 0 : -1;
}

static void
mgrs_free(void)
{
	unsigned int i;

	for (i = 0; i < RTE_MAX_LCORE; i++) {
		free_mb_mgr(lcore_mgr[i]);
		lcore_mgr[i] = NULL;
	}
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
		if (lcore_mgr[lc] == NULL && (lcore_mgr[lc] = mgr_new()) == NULL)
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
	/* Open goes to intel-ipsec-mb itself (open_imb()): its keys. */
	if (c->suite == NEP_TUN_S_AES256_GCM) {
		IMB_MGR *m = mgr_get();

		if (m == NULL)
			return -1;
		IMB_AES256_GCM_PRE(m, key, &c->gcm);
	} else {
		memcpy(c->chacha_key, key, sizeof(c->chacha_key));
	}
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
 * AEAD open on the aesni_mb backend: intel-ipsec-mb (the library the PMD
 * wraps) decrypts in place and writes the tag it computed into `want`,
 * which we compare with CRYPTO_memcmp. The PMD's own verify (CPU crypto
 * or queue pair) compares with plain memcmp in DPDK 22.11.
 * AES-256-GCM: the library's direct call (gcm256_dec), synchronous.
 * ChaCha20-Poly1305: one job, decrypt direction (hash then cipher);
 * submitted alone on a drained manager, so it comes back from the submit
 * or from one flush.
 */
static int
open_imb(struct nep_tcrypto_ctx *c, uint8_t *buf, uint32_t aad_len,
	uint32_t plen, const uint8_t *iv)
{
	uint8_t want[16];
	uint8_t *pl = buf + aad_len;
	IMB_MGR *m = mgr_get();

	if (unlikely(m == NULL))
		return -1;
	if (c->suite == NEP_TUN_S_AES256_GCM) {
		struct gcm_context_data gctx;

		IMB_AES256_GCM_DEC(m, &c->gcm, &gctx, pl, pl, plen, iv, buf,
			aad_len, want, sizeof(want));
	} else {
		IMB_JOB *job = IMB_GET_NEXT_JOB(m);

		job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
		job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
		job->cipher_direction = IMB_DIR_DECRYPT;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
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
		job->auth_tag_output = want;
		job->auth_tag_output_len_in_bytes = sizeof(want);
		job->user_data = want;
		job = IMB_SUBMIT_JOB(m);
		if (job == NULL)
			job = IMB_FLUSH_JOB(m);
		if (unlikely(job == NULL || job->user_data != want ||
			    job->status != IMB_STATUS_COMPLETED)) {
			while (IMB_FLUSH_JOB(m) != NULL)
				;
			return -1;
		}
	}
	return CRYPTO_memcmp(want, buf + aad_len + plen, c->tag_len) == 0 ?
		0 : -1;
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
		if (c->be == NEP_TCRYPTO_BE_AESNI_MB)
			return open_imb(c, buf, aad_len, plen, iv);
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

/*
 * Bursts on aesni_mb: one CPU-crypto call for the whole burst, so the
 * multi-buffer manager fills its lanes (HMAC-SHA-256 runs 16 buffers at
 * once with AVX-512) instead of flushing one job per packet.
 * HMAC: data = header || payload, digest = the tag (seal) or want[i]
 * (open). AEAD seal: data = payload, AAD = header.
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
	if (c->be != NEP_TCRYPTO_BE_AESNI_MB) {
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
		pmd_run_burst(c, bufs + k, plens + k,
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
	 * (GCM, ChaCha20-Poly1305), so a loop of open_imb() is the burst. */
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
		pmd_run_burst(c, bufs + k, plens + k, NULL, aad_len, m, want,
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
