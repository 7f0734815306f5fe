/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tunnel crypto (docs/tunnel-protocol.md section 3): one context per key,
 * bound to one suite of lib/tunnel (enum nep_tun_suite). Backends:
 *  - crypto_aesni_mb through rte_cryptodev_sym_cpu_crypto_process() (no
 *    queue pairs), when nep_tcrypto_init() found or created the device;
 *    AEAD open alone goes to intel-ipsec-mb, the library that PMD wraps,
 *    called directly (see nep_tcrypto_open());
 *  - OpenSSL libcrypto otherwise (or when asked for).
 * Buffer layout for seal/open: [aad_len bytes authenticated header]
 * [plen bytes payload][tag]. HMAC suites authenticate header || payload and
 * leave the payload in clear; AEAD suites take the header as AAD and
 * encrypt/decrypt the payload in place. No allocation per call in this
 * library's code; measured with valgrind, OpenSSL's AEAD path allocates
 * nothing per call, but its HMAC re-init (EVP_MAC_init with the key kept,
 * OpenSSL 3.0) allocates twice per call inside libcrypto. A context is used
 * by one thread at a time.
 */
#ifndef NEP_TCRYPTO_H
#define NEP_TCRYPTO_H

#include <stdint.h>

enum nep_tcrypto_backend {
	NEP_TCRYPTO_BE_AUTO = 0, /* aesni_mb when available, else OpenSSL */
	NEP_TCRYPTO_BE_AESNI_MB = 1,
	NEP_TCRYPTO_BE_OPENSSL = 2,
};

#define NEP_TCRYPTO_IV_LEN 12
#define NEP_TCRYPTO_TAG_MAX 32

struct nep_tcrypto_ctx;

/*
 * After rte_eal_init(): finds the crypto_aesni_mb device (or creates it
 * with rte_eal_hotplug_add("vdev", ...)), configures it and creates the
 * session pool for up to max_sessions contexts. Returns 0, or -1 when the
 * PMD cannot be used (the OpenSSL backend still works). Safe to call more
 * than once.
 */
int nep_tcrypto_init(unsigned int max_sessions);
/*
 * The aesni_mb backend's AEAD open needs an intel-ipsec-mb manager per
 * thread (about 200 KB). nep_tcrypto_init() allocates one for every lcore
 * EAL started with; a thread registered later, or one without an lcore
 * id, gets its own at its first AEAD open, or here, outside its packet
 * path (0, or -1 when out of memory). A thread-local one is freed when
 * its thread exits, the lcores' ones by nep_tcrypto_fini().
 */
int nep_tcrypto_thread_init(void);
/* Whether nep_tcrypto_init() brought up the PMD. */
int nep_tcrypto_pmd_available(void);
/* Releases what nep_tcrypto_init() created (after all contexts are freed). */
void nep_tcrypto_fini(void);

/*
 * A context for one key and suite. For HMAC suites the key may have any
 * length (K is 32 bytes in the protocol); AEAD suites need 32 bytes.
 * aad_len is the authenticated header length for AEAD suites (20 in the
 * protocol); ignored for HMAC suites. want: which backend; AUTO picks
 * aesni_mb when available. NULL on failure (bad suite/key, backend absent).
 */
struct nep_tcrypto_ctx *nep_tcrypto_ctx_create(uint8_t suite,
	const uint8_t *key, unsigned int key_len, unsigned int aad_len,
	enum nep_tcrypto_backend want);
void nep_tcrypto_ctx_free(struct nep_tcrypto_ctx *ctx);
enum nep_tcrypto_backend nep_tcrypto_ctx_backend(
	const struct nep_tcrypto_ctx *ctx);
const char *nep_tcrypto_backend_name(enum nep_tcrypto_backend be);
/* Tag bytes of the context's suite. */
unsigned int nep_tcrypto_ctx_tag_len(const struct nep_tcrypto_ctx *ctx);

/*
 * Seal: writes the tag at buf + aad_len + plen (AEAD: also encrypts the
 * payload in place). iv: 12 bytes (AEAD only; NULL for HMAC).
 * Returns 0, or -1 on error.
 */
int nep_tcrypto_seal(struct nep_tcrypto_ctx *ctx, uint8_t *buf,
	uint32_t aad_len, uint32_t plen, const uint8_t *iv);
/*
 * Open: verifies the tag at buf + aad_len + plen (AEAD: decrypts the
 * payload in place; on failure the payload bytes are unspecified and the
 * packet must be dropped). Returns 0 when authentic, -1 otherwise.
 * Every tag is compared in constant time:
 *  - HMAC suites: the tag is recomputed (the PMD's GENERATE op, or
 *    OpenSSL's HMAC) and compared with CRYPTO_memcmp;
 *  - AEAD suites on aesni_mb: intel-ipsec-mb decrypts and computes the
 *    tag into a buffer of ours without comparing it (AES-256-GCM: its
 *    direct gcm256_dec call; ChaCha20-Poly1305: one decrypt job), then
 *    CRYPTO_memcmp. Not the PMD's decrypt+verify, whose compare in DPDK
 *    22.11 is a plain memcmp (verify_sync_dgst). Keys are expanded once
 *    in nep_tcrypto_ctx_create(); the library's manager is per lcore
 *    (see nep_tcrypto_thread_init());
 *  - AEAD suites on OpenSSL: EVP's decrypt final, which compares with
 *    CRYPTO_memcmp.
 */
int nep_tcrypto_open(struct nep_tcrypto_ctx *ctx, uint8_t *buf,
	uint32_t aad_len, uint32_t plen, const uint8_t *iv);

/*
 * Bursts of n packets under one context (the same rules as seal and open,
 * packet by packet): bufs[i] is packet i's header, plens[i] its payload
 * length, ivs[i] its nonce (AEAD; ivs NULL for HMAC suites); status[i] is
 * set to 0 or -1 as seal/open would return. Returns how many got 0.
 * On aesni_mb a burst is one CPU-crypto call per NEP_TCRYPTO_BURST_MAX
 * packets, where the PMD's multi-buffer manager runs several buffers at
 * once: HMAC-SHA-256 one packet per call leaves its SIMD lanes empty and
 * is several times slower than a burst (docs/performance.md, "Tunnel
 * crypto"). AEAD open is per packet anyway (intel-ipsec-mb's AEAD is one
 * buffer at a time), as is everything on OpenSSL. No allocation.
 */
#define NEP_TCRYPTO_BURST_MAX 32
unsigned int nep_tcrypto_seal_burst(struct nep_tcrypto_ctx *ctx,
	uint8_t *const bufs[], const uint32_t plens[],
	const uint8_t *const ivs[], uint32_t aad_len, unsigned int n,
	int status[]);
unsigned int nep_tcrypto_open_burst(struct nep_tcrypto_ctx *ctx,
	uint8_t *const bufs[], const uint32_t plens[],
	const uint8_t *const ivs[], uint32_t aad_len, unsigned int n,
	int status[]);

/*
 * HKDF-SHA-256 (RFC 5869), extract then expand, through OpenSSL's EVP_KDF:
 * out_len bytes (at most 255 x 32) into out. The tunnel's traffic keys
 * (docs/tunnel-protocol.md 3.1). Control plane only (it allocates).
 * Returns 0, or -1.
 */
int nep_tcrypto_hkdf_sha256(const uint8_t *salt, unsigned int salt_len,
	const uint8_t *ikm, unsigned int ikm_len, const uint8_t *info,
	unsigned int info_len, uint8_t *out, unsigned int out_len);

#endif /* NEP_TCRYPTO_H */
