/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core rate of the tunnel's per-packet work (issue 11,
 * docs/tunnel-protocol.md), on one lcore, for each backend of lib/tcrypto
 * (aesni_mb: intel-ipsec-mb direct, rte_cryptodev CPU crypto on
 * crypto_aesni_mb where the direct path is unavailable or turned off,
 * see nep_tcrypto.h; openssl), each suite and each inner payload size.
 * Every timed row calls the code the data path calls:
 *
 *  encap  nep_tun_outer_write (outer IPv6 + UDP), nep_tun_hdr_encode,
 *         nep_tun_nonce (AEAD), nep_tcrypto_seal, nep_tun_outer_finish
 *         (the UDP checksum), on a buffer laid out as the packet is
 *         (outer IPv6 | UDP | tunnel header | payload | tag), the
 *         sequence one higher each time;
 *  decap  nep_tun_outer_cksum_ok, nep_tun_hdr_decode, nep_tun_replay_check,
 *         nep_tun_nonce (AEAD), nep_tcrypto_open, nep_tun_replay_update,
 *         on packets sealed by encap with increasing sequence numbers;
 *  encap_burst, decap_burst  the same over bursts of 32 packets, the
 *         crypto in one nep_tcrypto_seal_burst / nep_tcrypto_open_burst
 *         call per burst (on aesni_mb, HMAC: 32 jobs on intel-ipsec-mb's
 *         multi-buffer manager, which fills its lanes; not timed on
 *         OpenSSL, whose bursts are loops of the single calls);
 *  seal, open  nep_tcrypto_seal / nep_tcrypto_open alone, on the same
 *         buffers (what the crypto costs inside encap and decap);
 *  seal_cdev, open_cdev  aesni_mb: the same on a context created with
 *         the direct intel-ipsec-mb paths off (nep_tcrypto_set_direct(0):
 *         the PMD's CPU-crypto call, what lib/tcrypto did before them),
 *         for comparison; open_cdev for HMAC only (AEAD open is always
 *         direct).
 *
 * The packets are a ring of --ring slots (default 1024, 2 KiB apart),
 * cycled in order. encap and seal are timed over whole passes of
 * --seconds; decap and open over whole rings, each ring sealed again
 * (untimed) before it is opened, with sequences that keep increasing so
 * the one replay window accepts every packet. Every open must succeed,
 * every decap must pass all its checks: a failure fails the run. Times
 * are TSC cycles (rte_rdtsc_precise); a row's figures are per pass, the
 * first --warmup pass not counted.
 *
 *   tunnel_crypto [EAL args] -- [--seconds S] [--passes N] [--ring N]
 *       [--burst N (<= 32)] [--sizes 80,512,1400] [--suites 1,2,3,4]
 *       [--backends aesni_mb,openssl] [--direct MASK]  (JSON on stdout)
 *
 * --direct: the NEP_TCRYPTO_DIRECT_* mask for the rows' contexts
 * (default 7, all; 0: the CPU-crypto paths throughout).
 *
 * EAL: one lcore (-l 1), no hugepages needed (--no-huge), and the vdev
 * crypto_aesni_mb (nep_tcrypto_init() creates it when it is not given).
 * Built by meson (build-bench/tests/bench/tunnel_crypto), run by
 * tests/bench/run --only tunnel beside dpdk-test-crypto-perf.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>

#include "nep_tcrypto.h"
#include "nep_tun_outer.h"
#include "nep_tunnel.h"

#define SLOT 2048
#define OUTER (NEP_TUN_IP6_HLEN + NEP_TUN_UDP_HLEN)
#define MAX_PAYLOAD 1500
#define MAX_PASSES 64

static double opt_seconds = 0.25;
static unsigned int opt_passes = 5;
static unsigned int opt_ring = 1024;
static unsigned int sizes[8] = { 80, 512, 1400 };
static unsigned int n_sizes = 3;
static unsigned int suites[4] = { 1, 2, 3, 4 };
static unsigned int n_suites = 4;
static enum nep_tcrypto_backend backends[2] = {
	NEP_TCRYPTO_BE_AESNI_MB, NEP_TCRYPTO_BE_OPENSSL,
};
static unsigned int n_backends = 2;
static unsigned int opt_direct = NEP_TCRYPTO_DIRECT_ALL;

static const char *const suite_names[] = {
	"", "hmac-sha256-128", "hmac-sha256-256", "aes256-gcm",
	"chacha20-poly1305",
};

/* One tunnel direction as the data path holds it. */
struct tun {
	struct nep_tcrypto_ctx *ctx;
	struct nep_tcrypto_ctx *cdev; /* aesni_mb, direct paths off */
	struct nep_tun_outer o;
	struct nep_tun_hdr h;
	struct nep_tun_replay win;
	uint64_t next_seq;
	unsigned int plen, tag;
	uint8_t aead;
	uint8_t *ring;
};

static inline uint8_t *
slot(const struct tun *t, unsigned int i)
{
	return t->ring + (size_t)i * SLOT;
}

/* What the data path does to send one packet: 0, or -1. */
static inline int
encap_one(struct tun *t, uint8_t *p)
{
	uint8_t nonce[NEP_TUN_NONCE_LEN];
	uint8_t *th = p + OUTER;
	uint64_t seq;

	if (nep_tun_seq_next(&t->next_seq, &seq) != NEP_TUN_OK)
		return -1;
	nep_tun_outer_write(p, &t->o, 0,
		NEP_TUN_HDR_LEN + t->plen + t->tag);
	t->h.seq = seq;
	nep_tun_hdr_encode(&t->h, th);
	if (t->aead)
		nep_tun_nonce(t->h.key_id, NEP_TUN_D_INITIATOR, seq, nonce);
	if (nep_tcrypto_seal(t->ctx, th, NEP_TUN_HDR_LEN, t->plen,
		    t->aead ? nonce : NULL) != 0)
		return -1;
	nep_tun_outer_finish(p, 6);
	return 0;
}

/* What the data path does to receive one packet: 0, or -1 (dropped). */
static inline int
decap_one(struct tun *t, uint8_t *p)
{
	const struct rte_udp_hdr *u =
		(const struct rte_udp_hdr *)(p + NEP_TUN_IP6_HLEN);
	uint8_t nonce[NEP_TUN_NONCE_LEN];
	uint8_t *th = p + OUTER;
	struct nep_tun_hdr h;
	uint32_t ulen;

	if (!nep_tun_outer_cksum_ok(p, (const uint8_t *)u, 6))
		return -1;
	ulen = (uint32_t)rte_be_to_cpu_16(u->dgram_len) - NEP_TUN_UDP_HLEN;
	if (nep_tun_hdr_decode(th, ulen, MAX_PAYLOAD, &h) != NEP_TUN_OK)
		return -1;
	if (nep_tun_replay_check(&t->win, h.seq) != NEP_TUN_OK)
		return -1;
	if (t->aead)
		nep_tun_nonce(h.key_id, NEP_TUN_D_INITIATOR, h.seq, nonce);
	if (nep_tcrypto_open(t->ctx, th, NEP_TUN_HDR_LEN, h.length,
		    t->aead ? nonce : NULL) != 0)
		return -1;
	if (nep_tun_replay_update(&t->win, h.seq) != NEP_TUN_OK)
		return -1;
	return 0;
}

/* The crypto alone, on a slot encap_one() filled (ctx: t->ctx or t->cdev). */
static inline int
seal_one(struct tun *t, struct nep_tcrypto_ctx *ctx, uint8_t *p)
{
	uint8_t nonce[NEP_TUN_NONCE_LEN];

	if (t->aead)
		nep_tun_nonce(t->h.key_id, NEP_TUN_D_INITIATOR, t->h.seq,
			nonce);
	return nep_tcrypto_seal(ctx, p + OUTER, NEP_TUN_HDR_LEN, t->plen,
		t->aead ? nonce : NULL);
}

static inline int
open_one(struct tun *t, struct nep_tcrypto_ctx *ctx, uint8_t *p)
{
	uint8_t nonce[NEP_TUN_NONCE_LEN];
	uint64_t seq;

	memcpy(&seq, p + OUTER + NEP_TUN_OFF_SEQ, 8);
	if (t->aead)
		nep_tun_nonce(t->h.key_id, NEP_TUN_D_INITIATOR,
			rte_be_to_cpu_64(seq), nonce);
	return nep_tcrypto_open(ctx, p + OUTER, NEP_TUN_HDR_LEN, t->plen,
		t->aead ? nonce : NULL);
}

#define BURST 32 /* the most; --burst N for fewer */
static unsigned int opt_burst = BURST;

/* encap of a burst: headers per packet, one seal_burst, checksums. */
static inline int
encap_burst(struct tun *t, unsigned int first, unsigned int n)
{
	uint8_t nonce[BURST][NEP_TUN_NONCE_LEN];
	uint8_t *bufs[BURST];
	const uint8_t *ivs[BURST];
	uint32_t plens[BURST];
	int st[BURST];
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint8_t *p = slot(t, first + i);
		uint64_t seq;

		if (nep_tun_seq_next(&t->next_seq, &seq) != NEP_TUN_OK)
			return -1;
		nep_tun_outer_write(p, &t->o, 0,
			NEP_TUN_HDR_LEN + t->plen + t->tag);
		t->h.seq = seq;
		bufs[i] = p + OUTER;
		nep_tun_hdr_encode(&t->h, bufs[i]);
		if (t->aead)
			nep_tun_nonce(t->h.key_id, NEP_TUN_D_INITIATOR, seq,
				nonce[i]);
		ivs[i] = nonce[i];
		plens[i] = t->plen;
	}
	if (nep_tcrypto_seal_burst(t->ctx, bufs, plens, t->aead ? ivs : NULL,
		    NEP_TUN_HDR_LEN, n, st) != n)
		return -1;
	for (i = 0; i < n; i++)
		nep_tun_outer_finish(slot(t, first + i), 6);
	return 0;
}

/* decap of a burst: the checks per packet, one open_burst, the window. */
static inline int
decap_burst(struct tun *t, unsigned int first, unsigned int n)
{
	uint8_t nonce[BURST][NEP_TUN_NONCE_LEN];
	uint8_t *bufs[BURST];
	const uint8_t *ivs[BURST];
	uint32_t plens[BURST];
	uint64_t seqs[BURST];
	int st[BURST];
	unsigned int i, k = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t *p = slot(t, first + i);
		const struct rte_udp_hdr *u =
			(const struct rte_udp_hdr *)(p + NEP_TUN_IP6_HLEN);
		struct nep_tun_hdr h;
		uint32_t ulen;

		if (!nep_tun_outer_cksum_ok(p, (const uint8_t *)u, 6))
			continue;
		ulen = (uint32_t)rte_be_to_cpu_16(u->dgram_len) -
			NEP_TUN_UDP_HLEN;
		if (nep_tun_hdr_decode(p + OUTER, ulen, MAX_PAYLOAD, &h) !=
			    NEP_TUN_OK ||
		    nep_tun_replay_check(&t->win, h.seq) != NEP_TUN_OK)
			continue;
		if (t->aead)
			nep_tun_nonce(h.key_id, NEP_TUN_D_INITIATOR, h.seq,
				nonce[k]);
		bufs[k] = p + OUTER;
		ivs[k] = nonce[k];
		plens[k] = h.length;
		seqs[k] = h.seq;
		k++;
	}
	if (k != n || k == 0)
		return -1;
	nep_tcrypto_open_burst(t->ctx, bufs, plens, t->aead ? ivs : NULL,
		NEP_TUN_HDR_LEN, k, st);
	for (i = 0; i < k; i++)
		if (st[i] != 0 ||
		    nep_tun_replay_update(&t->win, seqs[i]) != NEP_TUN_OK)
			return -1;
	return 0;
}

static void
die(const char *what)
{
	fprintf(stderr, "tunnel_crypto: %s\n", what);
	exit(1);
}

/* Seal the whole ring as encap does (untimed). */
static void
ring_encap(struct tun *t)
{
	unsigned int i;

	for (i = 0; i < opt_ring; i++)
		if (encap_one(t, slot(t, i)) != 0)
			die("encap failed");
}

enum dir { D_ENCAP, D_DECAP, D_ENCAP32, D_DECAP32, D_SEAL, D_OPEN,
	D_SEAL_CDEV, D_OPEN_CDEV, D_MAX };
static const char *const dir_names[] = { "encap", "decap", "encap_burst",
	"decap_burst", "seal", "open", "seal_cdev", "open_cdev" };

/*
 * One pass of about opt_seconds: packets done and TSC cycles spent in
 * the timed part.
 */
static void
one_pass(struct tun *t, enum dir d, uint64_t *pkts, uint64_t *cyc)
{
	uint64_t want = (uint64_t)(opt_seconds * (double)rte_get_tsc_hz());
	uint64_t n = 0, c = 0;
	unsigned int i;

	while (c < want) {
		uint64_t t0, t1;
		int bad = 0;

		if (d == D_DECAP || d == D_DECAP32 || d == D_OPEN ||
		    d == D_OPEN_CDEV)
			ring_encap(t);
		t0 = rte_rdtsc_precise();
		switch (d) {
		case D_ENCAP:
			for (i = 0; i < opt_ring; i++)
				bad |= encap_one(t, slot(t, i));
			break;
		case D_DECAP:
			for (i = 0; i < opt_ring; i++)
				bad |= decap_one(t, slot(t, i));
			break;
		case D_ENCAP32:
			for (i = 0; i < opt_ring; i += opt_burst)
				bad |= encap_burst(t, i,
					RTE_MIN(opt_burst, opt_ring - i));
			break;
		case D_DECAP32:
			for (i = 0; i < opt_ring; i += opt_burst)
				bad |= decap_burst(t, i,
					RTE_MIN(opt_burst, opt_ring - i));
			break;
		case D_SEAL:
			for (i = 0; i < opt_ring; i++)
				bad |= seal_one(t, t->ctx, slot(t, i));
			break;
		case D_SEAL_CDEV:
			for (i = 0; i < opt_ring; i++)
				bad |= seal_one(t, t->cdev, slot(t, i));
			break;
		case D_OPEN_CDEV:
			for (i = 0; i < opt_ring; i++)
				bad |= open_one(t, t->cdev, slot(t, i));
			break;
		default:
			for (i = 0; i < opt_ring; i++)
				bad |= open_one(t, t->ctx, slot(t, i));
			break;
		}
		t1 = rte_rdtsc_precise();
		if (bad)
			die(d == D_DECAP || d == D_DECAP32 ?
				"decap dropped a good packet" :
				d == D_OPEN || d == D_OPEN_CDEV ?
				"open refused a good packet" :
				"seal failed");
		c += t1 - t0;
		n += opt_ring;
	}
	/* seal re-sealed sealed slots under one nonce: make them packets
	 * again. */
	if (d == D_SEAL || d == D_SEAL_CDEV)
		ring_encap(t);
	*pkts = n;
	*cyc = c;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(const double *v, unsigned int n)
{
	double s[MAX_PASSES];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void
print_list(const char *name, const double *v, unsigned int n, int digits)
{
	unsigned int i;

	printf("\"%s\": [", name);
	for (i = 0; i < n; i++)
		printf("%s%.*f", i ? ", " : "", digits, v[i]);
	printf("]");
}

static int first_row = 1;

static void
run_row(struct tun *t, enum nep_tcrypto_backend be, unsigned int suite,
	enum dir d)
{
	double mpps[MAX_PASSES], gbps[MAX_PASSES], cpp[MAX_PASSES];
	double hz = (double)rte_get_tsc_hz();
	uint64_t n, c;
	unsigned int i;

	one_pass(t, d, &n, &c); /* warm-up */
	for (i = 0; i < opt_passes; i++) {
		one_pass(t, d, &n, &c);
		mpps[i] = (double)n / ((double)c / hz) / 1e6;
		gbps[i] = mpps[i] * 1e6 * t->plen * 8 / 1e9;
		cpp[i] = (double)c / (double)n;
	}
	printf("%s  {\"backend\": \"%s\", \"suite\": %u, \"suite_name\": "
		"\"%s\", \"size\": %u, \"dir\": \"%s\", \"packets_per_pass\": "
		"%" PRIu64 ", \"mpps\": %.4f, \"gbps\": %.3f, "
		"\"cycles_per_packet\": %.1f, \"direct\": %u, ",
		first_row ? "" : ",\n",
		nep_tcrypto_backend_name(be), suite, suite_names[suite],
		t->plen, dir_names[d], n, median(mpps, opt_passes),
		median(gbps, opt_passes), median(cpp, opt_passes),
		nep_tcrypto_ctx_direct(d == D_SEAL_CDEV || d == D_OPEN_CDEV ?
			t->cdev : t->ctx));
	print_list("mpps_passes", mpps, opt_passes, 4);
	printf("}");
	fflush(stdout);
	first_row = 0;
}

static unsigned int
parse_list(char *s, unsigned int *out, unsigned int max)
{
	unsigned int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			die("list too long");
		out[n++] = (unsigned int)strtoul(tok, NULL, 10);
	}
	return n;
}

static void
parse_args(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			die("option without a value");
		if (strcmp(a, "--seconds") == 0)
			opt_seconds = atof(v);
		else if (strcmp(a, "--passes") == 0)
			opt_passes = (unsigned int)atoi(v);
		else if (strcmp(a, "--ring") == 0)
			opt_ring = (unsigned int)atoi(v);
		else if (strcmp(a, "--direct") == 0)
			opt_direct = (unsigned int)strtoul(v, NULL, 0);
		else if (strcmp(a, "--burst") == 0)
			opt_burst = (unsigned int)atoi(v);
		else if (strcmp(a, "--sizes") == 0)
			n_sizes = parse_list(v, sizes, RTE_DIM(sizes));
		else if (strcmp(a, "--suites") == 0)
			n_suites = parse_list(v, suites, RTE_DIM(suites));
		else if (strcmp(a, "--backends") == 0) {
			n_backends = 0;
			if (strstr(v, "aesni_mb") != NULL)
				backends[n_backends++] = NEP_TCRYPTO_BE_AESNI_MB;
			if (strstr(v, "openssl") != NULL)
				backends[n_backends++] = NEP_TCRYPTO_BE_OPENSSL;
		} else
			die("unknown option");
		i++;
	}
	if (opt_passes == 0 || opt_passes > MAX_PASSES || opt_ring == 0 ||
	    opt_seconds <= 0 || opt_burst == 0 || opt_burst > BURST)
		die("bad --passes, --ring, --burst or --seconds");
	for (i = 0; i < (int)n_sizes; i++)
		if (sizes[i] == 0 || sizes[i] > MAX_PAYLOAD)
			die("sizes: 1..1500");
	for (i = 0; i < (int)n_suites; i++)
		if (nep_tun_tag_len((uint8_t)suites[i]) == 0)
			die("suites: 1..4");
}

static const char *
imb_arch_name(void)
{
	static const char *const names[] = { "none", "noaesni", "sse", "avx",
		"avx2", "avx512" };
	IMB_MGR *m = alloc_mb_mgr(0);
	IMB_ARCH a = IMB_ARCH_NONE;

	if (m == NULL)
		return "unknown";
	init_mb_mgr_auto(m, &a);
	free_mb_mgr(m);
	return (unsigned int)a < RTE_DIM(names) ? names[a] : "unknown";
}

int
main(int argc, char **argv)
{
	static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x10,
		0x00, 0x01, [15] = 0x02 };
	static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05,
		[15] = 0x01 };
	uint8_t key[32];
	unsigned int b, s, z, i;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		die("EAL init failed");
	parse_args(argc - n - 1 > 0 ? argc - n - 1 : 0, argv + n + 1);
	if (nep_tcrypto_init(8) != 0) {
		fprintf(stderr, "tunnel_crypto: crypto_aesni_mb unavailable; "
			"OpenSSL only\n");
		if (backends[0] == NEP_TCRYPTO_BE_AESNI_MB) {
			backends[0] = backends[1];
			n_backends--;
		}
	}
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x5a ^ (i * 29));
	printf("{\"tsc_hz\": %" PRIu64 ", \"lcore\": %u, \"imb_arch\": \"%s\", "
		"\"imb_version\": \"%s\", \"imb_shani\": %s, \"direct\": %u, "
		"\"ring\": %u, \"passes\": %u, "
		"\"seconds_per_pass\": %.3f, \"burst\": %u, \"outer\": \"ipv6\",\n"
		"\"rows\": [\n",
		rte_get_tsc_hz(), rte_lcore_id(), imb_arch_name(),
		imb_get_version_str(),
		imb_get_feature_flags() & IMB_FEATURE_SHANI ? "true" : "false",
		opt_direct, opt_ring, opt_passes, opt_seconds, opt_burst);
	for (b = 0; b < n_backends; b++) {
		for (s = 0; s < n_suites; s++) {
			for (z = 0; z < n_sizes; z++) {
				struct tun t;
				unsigned int d;

				memset(&t, 0, sizeof(t));
				nep_tcrypto_set_direct(opt_direct);
				t.ctx = nep_tcrypto_ctx_create((uint8_t)suites[s],
					key, sizeof(key), NEP_TUN_HDR_LEN,
					backends[b]);
				nep_tcrypto_set_direct(0);
				if (backends[b] == NEP_TCRYPTO_BE_AESNI_MB)
					t.cdev = nep_tcrypto_ctx_create(
						(uint8_t)suites[s], key,
						sizeof(key), NEP_TUN_HDR_LEN,
						backends[b]);
				if (t.ctx == NULL || (t.cdev == NULL &&
				    backends[b] == NEP_TCRYPTO_BE_AESNI_MB))
					die("no crypto context");
				t.plen = sizes[z];
				t.tag = nep_tun_tag_len((uint8_t)suites[s]);
				t.aead = nep_tun_suite_is_aead((uint8_t)suites[s]);
				t.o.family = 6;
				t.o.ttl = 64;
				t.o.sport = NEP_TUN_DEFAULT_PORT;
				t.o.dport = NEP_TUN_DEFAULT_PORT;
				memcpy(t.o.src, src6, 16);
				memcpy(t.o.dst, dst6, 16);
				t.h.type = NEP_TUN_T_DATA;
				t.h.ptype = NEP_TUN_P_IPV6;
				t.h.key_id = 1;
				t.h.suite = (uint8_t)suites[s];
				t.h.length = (uint16_t)t.plen;
				t.h.session_id = 0x0a0b0c0d;
				/* as a sender starts: about now in ns */
				t.next_seq = 1800000000ull * 1000000000ull;
				nep_tun_replay_init(&t.win);
				t.ring = aligned_alloc(64, (size_t)opt_ring * SLOT);
				if (t.ring == NULL)
					die("out of memory");
				for (i = 0; i < opt_ring * SLOT; i++)
					t.ring[i] = (uint8_t)(i * 131 + 7);
				ring_encap(&t);
				for (d = 0; d < D_MAX; d++) {
					if ((d == D_SEAL_CDEV || d == D_OPEN_CDEV) &&
					    t.cdev == NULL)
						continue;
					/* AEAD open: always direct */
					if (d == D_OPEN_CDEV && t.aead)
						continue;
					/* OpenSSL's bursts are loops of the
					 * single calls: nothing new to time. */
					if ((d == D_ENCAP32 || d == D_DECAP32) &&
					    backends[b] == NEP_TCRYPTO_BE_OPENSSL)
						continue;
					run_row(&t, backends[b], suites[s], d);
				}
				free(t.ring);
				nep_tcrypto_ctx_free(t.ctx);
				nep_tcrypto_ctx_free(t.cdev);
			}
		}
	}
	printf("\n]}\n");
	nep_tcrypto_fini();
	rte_eal_cleanup();
	return 0;
}
