/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tunnel: the fixed header (round trip, the worked example's bytes of
 * docs/tunnel-protocol.md, every decode error), the nonce and KDF inputs,
 * overheads, and the RFC 6479 replay window against a reference set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nep_tunnel.h"
#include "nep_tun_keys.h"

#define W NEP_TUN_REPLAY_WINDOW
#define MAXP 1500

static void
assert_rc(enum nep_tun_rc rc, const char *want, const char *what)
{
	if (strcmp(nep_tun_rc_name(rc), want) != 0)
		fail_msg(
			"%s: got %s, want %s", what, nep_tun_rc_name(rc), want);
}

/* The worked example's header (HMAC-SHA-256-128, 32-byte IPv4 payload). */
static const uint8_t example_hdr[NEP_TUN_HDR_LEN] = {0x01, 0x01, 0x00, 0x04,
	0x01, 0x01, 0x00, 0x20, 0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x07};

static struct nep_tun_hdr
example(void)
{
	struct nep_tun_hdr h = {
		.seq = 7,
		.session_id = 0x0a0b0c0d,
		.length = 32,
		.type = NEP_TUN_T_DATA,
		.ptype = NEP_TUN_P_IPV4,
		.key_id = 1,
		.suite = NEP_TUN_S_HMAC_SHA256_128,
	};
	return h;
}

static void
test_hdr_example_bytes(void **state)
{
	struct nep_tun_hdr h = example(), d;
	uint8_t pkt[NEP_TUN_HDR_LEN + 32 + 16];

	(void)state;
	memset(pkt, 0xee, sizeof(pkt));
	nep_tun_hdr_encode(&h, pkt);
	assert_memory_equal(pkt, example_hdr, NEP_TUN_HDR_LEN);
	assert_rc(nep_tun_hdr_decode(pkt, sizeof(pkt), MAXP, &d), "ok",
		"example");
	assert_int_equal(d.version, 1);
	assert_int_equal(d.type, NEP_TUN_T_DATA);
	assert_int_equal(d.flags, 0);
	assert_int_equal(d.ptype, NEP_TUN_P_IPV4);
	assert_int_equal(d.key_id, 1);
	assert_int_equal(d.suite, NEP_TUN_S_HMAC_SHA256_128);
	assert_int_equal(d.length, 32);
	assert_int_equal(d.session_id, 0x0a0b0c0d);
	assert_true(d.seq == 7);
}

static void
round_trip(uint8_t type, uint8_t suite, uint64_t seq, uint32_t session,
	uint8_t key_id, uint16_t data_len, bool ip6)
{
	static uint8_t pkt[NEP_TUN_HDR_LEN + 65535 + NEP_TUN_MAX_TAG];
	struct nep_tun_hdr h =
				   {
					   .seq = seq,
					   .session_id = session,
					   .type = type,
					   .key_id = key_id,
					   .suite = suite,
				   },
			   d;
	uint32_t len;

	if (type == NEP_TUN_T_DATA) {
		h.ptype = ip6 ? NEP_TUN_P_IPV6 : NEP_TUN_P_IPV4;
		h.length = data_len;
	} else {
		h.ptype = NEP_TUN_P_NONE;
		h.length = NEP_TUN_CTRL_LEN;
	}
	len = NEP_TUN_HDR_LEN + h.length + nep_tun_tag_len(suite);
	nep_tun_hdr_encode(&h, pkt);
	assert_rc(nep_tun_hdr_decode(pkt, len, 65535, &d), "ok", "round trip");
	assert_int_equal(d.version, NEP_TUN_VERSION);
	assert_int_equal(d.type, h.type);
	assert_int_equal(d.flags, 0);
	assert_int_equal(d.ptype, h.ptype);
	assert_int_equal(d.key_id, h.key_id);
	assert_int_equal(d.suite, h.suite);
	assert_int_equal(d.length, h.length);
	assert_int_equal(d.session_id, h.session_id);
	assert_true(d.seq == h.seq);
}

/* Every type and suite, fields at their extremes, both ways. */
static void
test_hdr_round_trip(void **state)
{
	static const uint64_t seqs[] = {
		0, 1, 0x0102030405060708ULL, UINT64_MAX - 1, UINT64_MAX};
	unsigned int s, q, t;

	(void)state;
	for (s = NEP_TUN_S_HMAC_SHA256_128; s <= NEP_TUN_S_CHACHA20_POLY1305;
		s++)
		for (q = 0; q < sizeof(seqs) / sizeof(seqs[0]); q++)
			for (t = NEP_TUN_T_DATA; t <= NEP_TUN_T_REKEY_ACK; t++)
				round_trip(t, s, seqs[q],
					q == 0 ? 1 : UINT32_MAX - q,
					q == 0 ? 0 : 255, q == 0 ? 1 : 65535,
					q & 1);
}

/* Build the example, let mutate() spoil it, expect want. */
static void
expect_decode(const char *want, uint32_t len_delta, uint32_t maxp,
	void (*mutate)(uint8_t *p), const char *what)
{
	struct nep_tun_hdr h = example(), d;
	uint8_t pkt[NEP_TUN_HDR_LEN + 32 + 16 + 64];

	memset(pkt, 0, sizeof(pkt));
	nep_tun_hdr_encode(&h, pkt);
	if (mutate != NULL)
		mutate(pkt);
	assert_rc(nep_tun_hdr_decode(
			  pkt, NEP_TUN_HDR_LEN + 32 + 16 + len_delta, maxp, &d),
		want, what);
}

static void
m_version0(uint8_t *p)
{
	p[NEP_TUN_OFF_VERSION] = 0;
}
static void
m_version2(uint8_t *p)
{
	p[NEP_TUN_OFF_VERSION] = 2;
}
static void
m_type0(uint8_t *p)
{
	p[NEP_TUN_OFF_TYPE] = 0;
}
static void
m_type6(uint8_t *p)
{
	p[NEP_TUN_OFF_TYPE] = 6;
}
static void
m_flags(uint8_t *p)
{
	p[NEP_TUN_OFF_FLAGS] = 0x80;
}
static void
m_ptype_none(uint8_t *p)
{
	p[NEP_TUN_OFF_PTYPE] = NEP_TUN_P_NONE;
}
static void
m_ptype5(uint8_t *p)
{
	p[NEP_TUN_OFF_PTYPE] = 5;
}
static void
m_suite0(uint8_t *p)
{
	p[NEP_TUN_OFF_SUITE] = 0;
}
static void
m_suite5(uint8_t *p)
{
	p[NEP_TUN_OFF_SUITE] = 5;
}
static void
m_session0(uint8_t *p)
{
	memset(p + NEP_TUN_OFF_SESSION, 0, 4);
}
static void
m_len0(uint8_t *p)
{
	p[NEP_TUN_OFF_LENGTH + 1] = 0;
}
/* A keepalive keeping the data packet's IPv4 payload type. */
static void
m_ka_ptype(uint8_t *p)
{
	p[NEP_TUN_OFF_TYPE] = NEP_TUN_T_KEEPALIVE;
}
/* A keepalive of 32 bytes instead of 16. */
static void
m_ka_len(uint8_t *p)
{
	p[NEP_TUN_OFF_TYPE] = NEP_TUN_T_KEEPALIVE;
	p[NEP_TUN_OFF_PTYPE] = NEP_TUN_P_NONE;
}
/* The 32-byte tag suite on a datagram sized for a 16-byte tag. */
static void
m_suite_tag32(uint8_t *p)
{
	p[NEP_TUN_OFF_SUITE] = NEP_TUN_S_HMAC_SHA256_256;
}

static void
test_hdr_decode_errors(void **state)
{
	struct nep_tun_hdr d;
	uint8_t pkt[NEP_TUN_HDR_LEN] = {0};
	uint32_t n;

	(void)state;
	for (n = 0; n < NEP_TUN_HDR_LEN; n++)
		assert_rc(nep_tun_hdr_decode(pkt, n, MAXP, &d), "tun_truncated",
			"short");
	/* Header-only datagram: a full header, then the length is wrong. */
	expect_decode("tun_length_mismatch", -48, MAXP, NULL, "no payload");
	expect_decode("tun_bad_version", 0, MAXP, m_version0, "version 0");
	expect_decode("tun_bad_version", 0, MAXP, m_version2, "version 2");
	expect_decode("tun_unknown_type", 0, MAXP, m_type0, "type 0");
	expect_decode("tun_unknown_type", 0, MAXP, m_type6, "type 6");
	expect_decode("tun_bad_flags", 0, MAXP, m_flags, "flags");
	expect_decode("tun_bad_payload_type", 0, MAXP, m_ptype_none,
		"data without payload type");
	expect_decode("tun_bad_payload_type", 0, MAXP, m_ptype5, "ptype 5");
	expect_decode("tun_bad_payload_type", 0, MAXP, m_ka_ptype,
		"keepalive with IPv4");
	expect_decode("tun_unknown_suite", 0, MAXP, m_suite0, "suite 0");
	expect_decode("tun_unknown_suite", 0, MAXP, m_suite5, "suite 5");
	expect_decode("tun_bad_session_id", 0, MAXP, m_session0, "session 0");
	expect_decode(
		"tun_bad_payload_length", -32, MAXP, m_len0, "empty data");
	expect_decode(
		"tun_bad_payload_length", 0, MAXP, m_ka_len, "keepalive of 32");
	expect_decode("tun_length_mismatch", 1, MAXP, NULL, "one byte more");
	expect_decode("tun_length_mismatch", -1, MAXP, NULL, "one byte less");
	expect_decode("tun_length_mismatch", 0, MAXP, m_suite_tag32,
		"tag of the wrong suite");
	expect_decode("ok", 0, 32, NULL, "payload at the limit");
	expect_decode("tun_oversize", 0, 31, NULL, "payload over the limit");
	/* Order: the first failing check names the drop. */
	expect_decode("tun_bad_version", 5, MAXP, m_version2, "version first");

	assert_string_equal(nep_tun_rc_name(NEP_TUN_RC_MAX), "unknown");
	assert_string_equal(nep_tun_rc_name((enum nep_tun_rc) - 1), "unknown");
}

static void
test_nonce_kdf_overhead(void **state)
{
	static const uint8_t want_nonce[] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x07};
	static const uint8_t want_info[] = {
		0x0a, 0x0b, 0x0c, 0x0d, 0x01, 0x00, 0x03};
	uint8_t nonce[NEP_TUN_NONCE_LEN], info[NEP_TUN_KDF_INFO_LEN];
	uint64_t next = UINT64_MAX - 1, seq = 0;

	(void)state;
	nep_tun_nonce(1, NEP_TUN_D_INITIATOR, 7, nonce);
	assert_memory_equal(nonce, want_nonce, sizeof(want_nonce));
	nep_tun_nonce(0xab, NEP_TUN_D_RESPONDER, 0x0102030405060708ULL, nonce);
	assert_int_equal(nonce[0], 0xab);
	assert_int_equal(nonce[1], 1);
	assert_int_equal(nonce[4], 0x01);
	assert_int_equal(nonce[11], 0x08);
	nep_tun_kdf_info(
		0x0a0b0c0d, 1, NEP_TUN_D_INITIATOR, NEP_TUN_S_AES256_GCM, info);
	assert_memory_equal(info, want_info, sizeof(want_info));
	assert_int_equal(strlen(NEP_TUN_KDF_SALT), NEP_TUN_KDF_SALT_LEN);

	assert_int_equal(nep_tun_overhead(NEP_TUN_S_HMAC_SHA256_128, 4), 64);
	assert_int_equal(nep_tun_overhead(NEP_TUN_S_HMAC_SHA256_128, 6), 84);
	assert_int_equal(nep_tun_overhead(NEP_TUN_S_HMAC_SHA256_256, 4), 80);
	assert_int_equal(nep_tun_overhead(NEP_TUN_S_HMAC_SHA256_256, 6), 100);
	assert_int_equal(nep_tun_overhead(NEP_TUN_S_AES256_GCM, 4), 64);
	assert_int_equal(nep_tun_overhead(NEP_TUN_S_CHACHA20_POLY1305, 6), 84);
	assert_int_equal(nep_tun_overhead(0, 4), 0);
	assert_int_equal(nep_tun_overhead(NEP_TUN_S_AES256_GCM, 5), 0);
	assert_true(nep_tun_suite_is_aead(NEP_TUN_S_AES256_GCM));
	assert_false(nep_tun_suite_is_aead(NEP_TUN_S_HMAC_SHA256_256));

	/* The sender never hands out UINT64_MAX. */
	assert_rc(nep_tun_seq_next(&next, &seq), "ok", "last usable");
	assert_true(seq == UINT64_MAX - 1);
	assert_rc(nep_tun_seq_next(&next, &seq), "tun_seq_exhausted",
		"exhausted");
	assert_true(seq == UINT64_MAX - 1);
}

/* check, then update; both must agree with want. */
static void
accept(struct nep_tun_replay *r, uint64_t seq, const char *want)
{
	char what[64];

	snprintf(what, sizeof(what), "seq %llu", (unsigned long long)seq);
	assert_rc(nep_tun_replay_check(r, seq), want, what);
	assert_rc(nep_tun_replay_update(r, seq), want, what);
}

static void
test_replay_edges(void **state)
{
	struct nep_tun_replay r;
	uint64_t i;

	(void)state;
	assert_true(W >= 2048);

	/* Sequence 0 on an empty window: once. */
	nep_tun_replay_init(&r);
	accept(&r, 0, "ok");
	accept(&r, 0, "tun_replay_duplicate");
	accept(&r, 1, "ok");
	accept(&r, 0, "tun_replay_duplicate");

	/* The window edge: W - 1 behind is in, once; W behind is out. */
	nep_tun_replay_init(&r);
	accept(&r, 10000, "ok");
	accept(&r, 10000 - (W - 1), "ok");
	accept(&r, 10000 - (W - 1), "tun_replay_duplicate");
	accept(&r, 10000 - W, "tun_replay_too_old");
	accept(&r, 10000 - W - 1, "tun_replay_too_old");
	accept(&r, 0, "tun_replay_too_old");
	/* Every other sequence in the window is still new, once. */
	for (i = 10000 - (W - 2); i < 10000; i++)
		accept(&r, i, "ok");
	for (i = 10000 - (W - 1); i <= 10000; i++)
		accept(&r, i, "tun_replay_duplicate");

	/* Far ahead: a jump past the window forgets everything behind. */
	accept(&r, 10000 + 10 * W, "ok");
	accept(&r, 10000, "tun_replay_too_old");
	accept(&r, 10000 + 9 * W + 1, "ok");
	accept(&r, 10000 + 10 * W - 1, "ok");
	accept(&r, 10000 + 10 * W, "tun_replay_duplicate");
	/* ... and a jump of exactly one block leaves no stale bit. */
	nep_tun_replay_init(&r);
	for (i = 0; i < 64; i++)
		accept(&r, i, "ok");
	accept(&r, 64 * NEP_TUN_REPLAY_BLOCKS, "ok");
	for (i = 64 * NEP_TUN_REPLAY_BLOCKS - W + 1;
		i < 64 * NEP_TUN_REPLAY_BLOCKS; i++)
		accept(&r, i, "ok");

	/* Far behind a high start (a sender starting from its clock). */
	nep_tun_replay_init(&r);
	accept(&r, UINT64_C(1) << 62, "ok");
	accept(&r, 1, "tun_replay_too_old");
	accept(&r, (UINT64_C(1) << 62) - 1, "ok");
	/* The top of the sequence space. */
	accept(&r, UINT64_MAX - 1, "ok");
	accept(&r, UINT64_MAX - 1 - W, "tun_replay_too_old");
	accept(&r, UINT64_MAX - W, "ok");
	accept(&r, UINT64_MAX - 1, "tun_replay_duplicate");
}

/* Check is read-only: a flood of checks leaves the window as it was. */
static void
test_replay_check_pure(void **state)
{
	struct nep_tun_replay r, copy;
	uint64_t i;

	(void)state;
	nep_tun_replay_init(&r);
	for (i = 100; i < 5000; i += 3)
		assert_rc(nep_tun_replay_update(&r, i), "ok", "fill");
	memcpy(&copy, &r, sizeof(r));
	for (i = 0; i < 3 * W + 10000; i++)
		(void)nep_tun_replay_check(&r, i);
	(void)nep_tun_replay_check(&r, UINT64_MAX);
	assert_memory_equal(&r, &copy, sizeof(r));
	/* A sequence checked (even far ahead) but never updated stays new. */
	assert_rc(nep_tun_replay_check(&r, 1000000), "ok", "checked only");
	assert_rc(nep_tun_replay_check(&r, 4999), "tun_replay_duplicate",
		"old top");
	assert_rc(nep_tun_replay_check(&r, 4998), "ok", "gap");
}

/* Reference: every accepted sequence in an open-addressed set. */
#define REF_BITS 20
#define REF_SIZE (1u << REF_BITS)
static uint64_t *ref_keys;
static uint8_t *ref_used;

static bool
ref_has(uint64_t k)
{
	uint32_t i = (uint32_t)((k * 0x9e3779b97f4a7c15ULL) >> (64 - REF_BITS));

	while (ref_used[i]) {
		if (ref_keys[i] == k)
			return true;
		i = (i + 1) & (REF_SIZE - 1);
	}
	return false;
}

static void
ref_add(uint64_t k)
{
	uint32_t i = (uint32_t)((k * 0x9e3779b97f4a7c15ULL) >> (64 - REF_BITS));

	while (ref_used[i])
		i = (i + 1) & (REF_SIZE - 1);
	ref_used[i] = 1;
	ref_keys[i] = k;
}

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * Random sequences around a moving top: mostly reordering within and just
 * beyond the window, duplicates, jumps of a few blocks and past the
 * window, so the 64 blocks are recycled many times. The window must
 * answer exactly like the reference.
 */
static void
test_replay_random(void **state)
{
	struct nep_tun_replay r;
	uint64_t top = 0, seq, k;
	bool any = false;
	const char *want;
	unsigned int n, accepted = 0, old = 0, dup = 0;

	(void)state;
	ref_keys = calloc(REF_SIZE, sizeof(*ref_keys));
	ref_used = calloc(REF_SIZE, 1);
	assert_non_null(ref_keys);
	assert_non_null(ref_used);
	nep_tun_replay_init(&r);
	for (n = 0; n < 400000; n++) {
		k = xorshift();
		switch (k % 16) {
		case 0: /* jump past the window */
			seq = top + W + (k >> 8) % (4 * W);
			break;
		case 1: /* a few blocks ahead */
			seq = top + (k >> 8) % 256;
			break;
		case 2: /* around the window edge */
			seq = top - W - 2 + (k >> 8) % 5;
			break;
		default: /* reordering: up to 1.25 windows behind */
			seq = top - (k >> 8) % (W + W / 4);
			break;
		}
		if (seq > top + 8 * W) /* wrapped below 0 */
			seq = (k >> 8) % 64;
		if (!any || seq > top)
			want = "ok";
		else if (top - seq >= W)
			want = "tun_replay_too_old";
		else
			want = ref_has(seq) ? "tun_replay_duplicate" : "ok";
		/* Not all accepted: a check alone (a forged tag) sometimes. */
		if (k % 7 == 0) {
			assert_rc(nep_tun_replay_check(&r, seq), want, "check");
			continue;
		}
		accept(&r, seq, want);
		if (strcmp(want, "ok") == 0) {
			ref_add(seq);
			accepted++;
			if (!any || seq > top)
				top = seq;
			any = true;
		} else if (strcmp(want, "tun_replay_too_old") == 0) {
			old++;
		} else {
			dup++;
		}
		assert_true(r.top == top);
		if (accepted > REF_SIZE / 2)
			break;
	}
	/* The mix did exercise every outcome and many block recycles. */
	assert_true(accepted > 1000 && old > 1000 && dup > 1000);
	assert_true(top / 64 > 20 * NEP_TUN_REPLAY_BLOCKS);
	free(ref_keys);
	free(ref_used);
}

/* ---- key rotation (nep_tun_keys.h, protocol section 6) ---- */

#define GRACE 100

/* A full rotation 1 -> 2: initiator and responder, in order. */
static void
test_keys_rotation(void **state)
{
	struct nep_tun_keys ini, rsp;

	(void)state;
	nep_tun_keys_init(&ini, 1);
	nep_tun_keys_init(&rsp, 1);
	assert_int_equal(nep_tun_keys_tx(&ini), 1);
	assert_true(nep_tun_keys_accepts(&ini, 1, 0));
	assert_true(nep_tun_keys_accepts(&ini, 2, 0)); /* installed: accepted */
	/* nothing to send until a rotation starts */
	assert_int_equal(nep_tun_keys_rekey_tick(&ini, 3), NEP_TUN_REKEY_IDLE);
	nep_tun_keys_rekey_start(&ini, 2);
	assert_int_equal(nep_tun_keys_rekey_tick(&ini, 3), NEP_TUN_REKEY_SEND);
	/* the initiator keeps sending under 1 until the ACK */
	assert_int_equal(nep_tun_keys_tx(&ini), 1);
	/* responder: REKEY under 2 -> sends under 2, key 1 accepted until
	 * the initiator is seen using 2 */
	nep_tun_keys_on_rekey(&rsp, 2, 1000, GRACE);
	assert_int_equal(nep_tun_keys_tx(&rsp), 2);
	assert_true(nep_tun_keys_accepts(&rsp, 1, 1000000));
	/* an ACK under another key than the one rotated to: ignored */
	assert_false(nep_tun_keys_rekey_ack(&ini, 1, 1010, GRACE));
	assert_int_equal(nep_tun_keys_tx(&ini), 1);
	/* the ACK under 2 completes it: key 1 accepted for GRACE from now */
	assert_true(nep_tun_keys_rekey_ack(&ini, 2, 1020, GRACE));
	assert_int_equal(nep_tun_keys_tx(&ini), 2);
	assert_false(ini.rekeying);
	assert_int_equal(nep_tun_keys_rekey_tick(&ini, 3), NEP_TUN_REKEY_IDLE);
	assert_true(nep_tun_keys_accepts(&ini, 1, 1020 + GRACE));
	assert_false(nep_tun_keys_accepts(&ini, 1, 1020 + GRACE + 1));
	assert_true(nep_tun_keys_accepts(&ini, 2, 1 << 30));
	/* a second ACK (repeated REKEY) changes nothing */
	assert_false(nep_tun_keys_rekey_ack(&ini, 2, 2000, GRACE));
	assert_false(nep_tun_keys_accepts(&ini, 1, 2000));
	/* responder: a REKEY under 2 proves nothing; DATA under 1 neither */
	nep_tun_keys_peer_used(&rsp, 1, 5000, GRACE);
	assert_true(nep_tun_keys_accepts(&rsp, 1, 1000000));
	/* DATA / KEEPALIVE under 2: the grace time starts */
	nep_tun_keys_peer_used(&rsp, 2, 5000, GRACE);
	assert_true(nep_tun_keys_accepts(&rsp, 1, 5000 + GRACE));
	assert_false(nep_tun_keys_accepts(&rsp, 1, 5000 + GRACE + 1));
	/* only once: later packets do not extend it */
	nep_tun_keys_peer_used(&rsp, 2, 9000, GRACE);
	assert_false(nep_tun_keys_accepts(&rsp, 1, 5000 + GRACE + 1));
	/* a repeated REKEY under the current key: no change */
	nep_tun_keys_on_rekey(&rsp, 2, 9000, GRACE);
	assert_int_equal(nep_tun_keys_tx(&rsp), 2);
	assert_int_equal(rsp.retired, 1);
}

/* Every REKEY_ACK lost: the initiator gives up and stays on the old key,
 * which the responder (already on the new one) still accepts. */
static void
test_keys_rotation_acks_lost(void **state)
{
	struct nep_tun_keys ini, rsp;

	(void)state;
	nep_tun_keys_init(&ini, 7);
	nep_tun_keys_init(&rsp, 7);
	nep_tun_keys_rekey_start(&ini, 9);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(nep_tun_keys_rekey_tick(&ini, 3),
			NEP_TUN_REKEY_SEND);
		nep_tun_keys_on_rekey(&rsp, 9, 100 + i, GRACE);
	}
	assert_int_equal(nep_tun_keys_rekey_tick(&ini, 3), NEP_TUN_REKEY_FAILED);
	assert_int_equal(nep_tun_keys_rekey_tick(&ini, 3), NEP_TUN_REKEY_IDLE);
	assert_int_equal(nep_tun_keys_tx(&ini), 7);
	assert_int_equal(nep_tun_keys_tx(&rsp), 9);
	/* the initiator keeps sending under 7: the responder accepts it
	 * however long it takes */
	nep_tun_keys_peer_used(&rsp, 7, 1 << 20, GRACE);
	assert_true(nep_tun_keys_accepts(&rsp, 7, UINT64_MAX - 1));
	/* a later rotation completes it */
	nep_tun_keys_rekey_start(&ini, 9);
	assert_int_equal(nep_tun_keys_rekey_tick(&ini, 3), NEP_TUN_REKEY_SEND);
	nep_tun_keys_on_rekey(&rsp, 9, 2000000, GRACE);
	assert_true(nep_tun_keys_rekey_ack(&ini, 9, 2000010, GRACE));
	nep_tun_keys_peer_used(&rsp, 9, 2000020, GRACE);
	assert_false(nep_tun_keys_accepts(&rsp, 7, 2000020 + GRACE + 1));
	assert_false(nep_tun_keys_accepts(&ini, 7, 2000010 + GRACE + 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_example_bytes),
		cmocka_unit_test(test_hdr_round_trip),
		cmocka_unit_test(test_hdr_decode_errors),
		cmocka_unit_test(test_nonce_kdf_overhead),
		cmocka_unit_test(test_replay_edges),
		cmocka_unit_test(test_replay_check_pure),
		cmocka_unit_test(test_replay_random),
		cmocka_unit_test(test_keys_rotation),
		cmocka_unit_test(test_keys_rotation_acks_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
