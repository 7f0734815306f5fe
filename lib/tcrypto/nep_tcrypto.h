/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tunnel crypto (docs/tunnel-protocol.md section 3): one context per key,
 * bound to one suite of lib/tunnel (enum nep_tun_suite). Backends:
 *  - aesni_mb: intel-ipsec-mb, the library the crypto_aesni_mb PMD wraps,
 *    available when nep_tcrypto_init() found or created that device. The
 *    calls go to intel-ipsec-mb directly where that is faster for what
 *    the data path does (one packet at a time) or where the tag check
 *    must be constant-time; the PMD's synchronous CPU-crypto call
 *    (rte_cryptodev_sym_cpu_crypto_process, no queue pairs) is the path
 *    when a direct one is unavailable (HMAC one packet at a time on a CPU
 *    without SHA-NI; a thread whose manager could not be allocated) or
 *    turned off (nep_tcrypto_set_direct()):
 *
 *    call                 direct path (flag)           why
 *    HMAC seal/open,      one HMAC-SHA-256 job on an   one buffer on SHA-NI:
 *      one packet         SSE manager with SHA-NI      ~400 cycles at 100 B;
 *                         (NEP_TCRYPTO_DIRECT_HMAC)    the PMD's AVX-512
 *                                                      manager flushes a
 *                                                      16-lane pass per call
 *                                                      (~2 400), 6-8x slower
 *    HMAC bursts          32 jobs on the multi-buffer  16 lanes full (the
 *                         (AVX-512) manager            PMD's own rate; the
 *                         (..._HMAC_BURST)             CPU-crypto call is
 *                                                      the same within noise)
 *    AEAD seal, one       gcm256_enc / one ChaCha20-   no cryptodev layer:
 *      packet and bursts  Poly1305 job on the multi-   GCM 1.1-1.3x the
 *                         buffer manager               CPU-crypto seal,
 *                         (..._AEAD_SEAL)              ChaCha20 the same;
 *                                                      AEAD is one buffer
 *                                                      at a time anyway
 *    AEAD open, one       gcm256_dec / one decrypt     constant-time tag
 *      packet and bursts  job, always (..._AEAD_OPEN)  check (the PMD's
 *                                                      verify is memcmp)
 *
 *    The managers are per thread (nep_tcrypto_thread_init()); keys are
 *    expanded once per context (GCM round keys and GHASH powers; HMAC's
 *    ipad/opad SHA-256 states). HMAC open recomputes the tag and compares
 *    it with CRYPTO_memcmp on every path. HMAC of 0 bytes (aad_len +
 *    plen == 0), which intel-ipsec-mb refuses, is the tag OpenSSL
 *    computed at create (no such message in the protocol: its header is
 *    20 bytes);
 *  - OpenSSL libcrypto otherwise (or when asked for).
 * Buffer layout for seal/open: [aad_len bytes authenticated header]
 * [plen bytes payload][tag]. HMAC suites authenticate header || payload and
 * leave the payload in clear; AEAD suites take the header as AAD and
 * encrypt/decrypt the payload in place. No allocation per call in this
 * library's code, nor in intel-ipsec-mb's; measured with valgrind,
 * OpenSSL's AEAD path allocates nothing per call, but its HMAC re-init
 * (EVP_MAC_init with the key kept, OpenSSL 3.0) allocates twice per call
 * inside libcrypto. A context is used by one thread at a time.
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
 * The aesni_mb backend's direct paths need intel-ipsec-mb managers per
 * thread (about 200 KB each: the multi-buffer one, and the SHA-NI one on
 * a CPU with SHA extensions). nep_tcrypto_init() allocates them for every
 * lcore EAL started with; a thread registered later, or one without an
 * lcore id, gets its own at its first use, or here, outside its packet
 * path (0, or -1 when out of memory). Thread-local ones are freed when
 * their thread exits, the lcores' ones by nep_tcrypto_fini().
 */
int nep_tcrypto_thread_init(void);
/*
 * The aesni_mb backend's direct intel-ipsec-mb paths (see the table at
 * the top). AEAD open is always direct (constant-time tag check); the
 * others can be turned off, for tests and benchmarks of the CPU-crypto
 * path. HMAC one packet at a time is direct only on a CPU with SHA-NI.
 */
#define NEP_TCRYPTO_DIRECT_HMAC 0x1 /* HMAC seal/open, one packet */
#define NEP_TCRYPTO_DIRECT_HMAC_BURST 0x2 /* HMAC seal/open bursts */
#define NEP_TCRYPTO_DIRECT_AEAD_SEAL 0x4 /* AEAD seal, and its bursts */
#define NEP_TCRYPTO_DIRECT_AEAD_OPEN 0x8 /* reported only: always on */
#define NEP_TCRYPTO_DIRECT_ALL 0x7
/*
 * Which of the direct paths (NEP_TCRYPTO_DIRECT_HMAC, _HMAC_BURST,
 * _AEAD_SEAL) contexts created from now on may use; returns the previous
 * mask. Default NEP_TCRYPTO_DIRECT_ALL. Not thread-safe against
 * concurrent nep_tcrypto_ctx_create().
 */
unsigned int nep_tcrypto_set_direct(unsigned int mask);
/* The NEP_TCRYPTO_DIRECT_* paths a context uses (0 on OpenSSL). */
unsigned int nep_tcrypto_ctx_direct(const struct nep_tcrypto_ctx *ctx);
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
 *  - HMAC suites: the tag is recomputed (intel-ipsec-mb's HMAC job, the
 *    PMD's GENERATE op without SHA-NI, or OpenSSL's HMAC) and compared
 *    with CRYPTO_memcmp;
 *  - AEAD suites on aesni_mb: intel-ipsec-mb decrypts and computes the
 *    tag into a buffer of ours without comparing it (AES-256-GCM: its
 *    direct gcm256_dec call; ChaCha20-Poly1305: one decrypt job), then
 *    CRYPTO_memcmp. Not the PMD's decrypt+verify, whose compare in DPDK
 *    22.11 is a plain memcmp (verify_sync_dgst). Keys are expanded once
 *    in nep_tcrypto_ctx_create(); the library's managers are per lcore
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
 * On aesni_mb, HMAC bursts go to intel-ipsec-mb's multi-buffer manager
 * NEP_TCRYPTO_BURST_MAX jobs at a time (or one CPU-crypto call per
 * NEP_TCRYPTO_BURST_MAX packets when that path is off), which runs 16
 * buffers at once with AVX-512: a burst is about twice the rate of
 * SHA-NI one packet at a time (docs/performance.md, "Tunnel crypto").
 * AEAD bursts are loops of the one-packet calls (intel-ipsec-mb's AEAD is
 * one buffer at a time), as is everything on OpenSSL. No allocation.
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
