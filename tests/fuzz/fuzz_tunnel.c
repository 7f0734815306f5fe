/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The UDP tunnel's header and replay window (lib/tunnel). A header that
 * decodes is well-formed (docs/tunnel-protocol.md: known type, version 1,
 * no flags, a suite with a tag, a session, a length that matches) and
 * encodes back to the same bytes; any header encodes and decodes to its
 * fields. The replay window against a model: a sequence is accepted once
 * when above the highest or fewer than NEP_TUN_REPLAY_WINDOW behind it
 * and unseen; check never changes the window. Input: a control byte,
 * then a header and payload (mode 0), or sequence deltas (mode 1).
 */
#include "fuzz.h"

#include "nep_tunnel.h"

/* The model remembers every accepted sequence (inputs are bounded). */
#define MODEL_MAX 4096
static uint64_t acc[MODEL_MAX];
static unsigned n_acc;

static bool
model_seen(uint64_t s)
{
	for (unsigned i = 0; i < n_acc; i++)
		if (acc[i] == s)
			return true;
	return false;
}

static void
fuzz_replay(struct fuzz_in *in)
{
	static struct nep_tun_replay r, copy;
	uint64_t top = 0, seq;
	bool any = false;

	nep_tun_replay_init(&r);
	n_acc = 0;
	seq = fuzz_u64(in) >> (fuzz_u8(in) & 63);
	while (in->n >= 2 && n_acc < MODEL_MAX) {
		uint8_t op = fuzz_u8(in);
		int64_t d = (int8_t)fuzz_u8(in);
		enum nep_tun_rc rc, want;

		/* Steps near the top, far jumps, and exact window edges. */
		switch (op & 3) {
		case 0:
			seq += d;
			break;
		case 1:
			seq += d * 64;
			break;
		case 2:
			seq = top - NEP_TUN_REPLAY_WINDOW + (d & 3);
			break;
		default:
			seq += (uint64_t)(uint8_t)d << (op >> 2 & 31);
			break;
		}
		if (!any || seq > top)
			want = NEP_TUN_OK;
		else if (top - seq >= NEP_TUN_REPLAY_WINDOW)
			want = NEP_TUN_ERR_TOO_OLD;
		else if (model_seen(seq))
			want = NEP_TUN_ERR_DUPLICATE;
		else
			want = NEP_TUN_OK;
		/* Before the first packet, top is 0: 0 itself is new once. */
		if (!any && seq == 0)
			want = NEP_TUN_OK;
		copy = r;
		rc = nep_tun_replay_check(&r, seq);
		FUZZ_CHECK(memcmp(&copy, &r, sizeof(r)) == 0);
		FUZZ_CHECK(rc == want);
		if (op & 0x80) /* a forged packet: checked, never updated */
			continue;
		FUZZ_CHECK(nep_tun_replay_update(&r, seq) == want);
		if (want != NEP_TUN_OK)
			FUZZ_CHECK(memcmp(&copy, &r, sizeof(r)) == 0);
		if (want == NEP_TUN_OK) {
			acc[n_acc++] = seq;
			if (!any || seq > top)
				top = seq;
			any = true;
			FUZZ_CHECK(r.top == top);
			/* Accepted once: a second time is a duplicate. */
			FUZZ_CHECK(nep_tun_replay_check(&r, seq) ==
				   NEP_TUN_ERR_DUPLICATE);
		}
	}
}

static void
fuzz_hdr(struct fuzz_in *in)
{
	uint8_t *buf = fuzz_dup(in->p, in->n), enc[NEP_TUN_HDR_LEN];
	uint32_t len = (uint32_t)in->n, maxp = 1500;
	struct nep_tun_hdr h, h2;
	enum nep_tun_rc rc;

	memset(&h, 0, sizeof(h));
	rc = nep_tun_hdr_decode(buf, len, maxp, &h);
	FUZZ_CHECK(rc < NEP_TUN_RC_MAX);
	if (rc == NEP_TUN_OK) {
		FUZZ_CHECK(len >= NEP_TUN_HDR_LEN);
		FUZZ_CHECK(h.version == NEP_TUN_VERSION && h.flags == 0);
		FUZZ_CHECK(h.session_id != 0);
		FUZZ_CHECK(nep_tun_tag_len(h.suite) != 0);
		FUZZ_CHECK(len == NEP_TUN_HDR_LEN + h.length +
					  nep_tun_tag_len(h.suite));
		FUZZ_CHECK(h.length <= maxp);
		if (h.type == NEP_TUN_T_DATA)
			FUZZ_CHECK((h.ptype == NEP_TUN_P_IPV4 ||
					   h.ptype == NEP_TUN_P_IPV6) &&
				   h.length > 0);
		else
			FUZZ_CHECK(h.ptype == NEP_TUN_P_NONE &&
				   h.length == NEP_TUN_CTRL_LEN);
		nep_tun_hdr_encode(&h, enc);
		FUZZ_CHECK(memcmp(enc, buf, NEP_TUN_HDR_LEN) == 0);
	}
	/* Any fields: encode, then decode gives them back as far as the
	 * decoder reads before refusing. */
	if (len >= NEP_TUN_HDR_LEN) {
		nep_tun_hdr_encode(&h, enc);
		memset(&h2, 0, sizeof(h2));
		rc = nep_tun_hdr_decode(enc, NEP_TUN_HDR_LEN, maxp, &h2);
		FUZZ_CHECK(h2.version == NEP_TUN_VERSION && h2.flags == 0);
		FUZZ_CHECK(h2.type == h.type && h2.session_id == h.session_id &&
			   h2.suite == h.suite && h2.seq == h.seq &&
			   h2.key_id == h.key_id && h2.ptype == h.ptype &&
			   h2.length == h.length);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t ctl = fuzz_u8(&in);

	if (ctl & 1)
		fuzz_replay(&in);
	else
		fuzz_hdr(&in);
	return 0;
}
