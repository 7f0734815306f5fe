/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The key state of one session (docs/tunnel-protocol.md section 6): which
 * key it sends under, the key it retired and until when that one is still
 * accepted, and the initiator's rotation in progress. Pure (times are the
 * caller's units: TSC cycles in neptune); one writer per field group:
 *  - the control thread: tx_key, retired, rekey_* (nep_tun_keys_switch,
 *    _rekey_*);
 *  - the receiving worker: retired_until, once, when the peer first uses
 *    another key (nep_tun_keys_peer_used);
 * readers (workers) use the atomic loads below.
 */
#ifndef NEP_TUN_KEYS_H
#define NEP_TUN_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#define NEP_TUN_UNTIL_PEER UINT64_MAX	/* retired until the peer moves on */

struct nep_tun_keys {
	uint64_t retired_until;	/* time after which retired is refused */
	uint8_t tx_key;		/* the key id senders use */
	uint8_t retired;	/* the key id replaced by the last switch */
	uint8_t has_retired;
	uint8_t rekeying;	/* initiator: a REKEY is outstanding */
	uint8_t rekey_to;
	uint32_t rekey_tries;
};

enum nep_tun_rekey_step {
	NEP_TUN_REKEY_IDLE,	/* nothing to send */
	NEP_TUN_REKEY_SEND,	/* send (another) REKEY under rekey_to */
	NEP_TUN_REKEY_FAILED,	/* tries exhausted: stays on tx_key */
};

static inline void
nep_tun_keys_init(struct nep_tun_keys *k, uint8_t tx_key)
{
	k->retired_until = 0;
	k->tx_key = tx_key;
	k->retired = 0;
	k->has_retired = 0;
	k->rekeying = 0;
	k->rekey_to = 0;
	k->rekey_tries = 0;
}

static inline uint8_t
nep_tun_keys_tx(const struct nep_tun_keys *k)
{
	return __atomic_load_n(&k->tx_key, __ATOMIC_ACQUIRE);
}

/* Is a message under key_id (one of the session's live keys) accepted at
 * now? Only a retired key past its grace time is not. */
static inline bool
nep_tun_keys_accepts(const struct nep_tun_keys *k, uint8_t key_id,
	uint64_t now)
{
	return !(__atomic_load_n(&k->has_retired, __ATOMIC_ACQUIRE) &&
		 k->retired == key_id &&
		 now > __atomic_load_n(&k->retired_until, __ATOMIC_RELAXED));
}

/*
 * Send under `to` from now on. The key replaced stays accepted for grace
 * from now (retire_now: the initiator, whose peer already sends under
 * `to`), or until the peer is seen using another key, then grace (the
 * responder: its REKEY_ACK may be lost). No-op if `to` is current.
 */
static inline void
nep_tun_keys_switch(struct nep_tun_keys *k, uint8_t to, bool retire_now,
	uint64_t now, uint64_t grace)
{
	if (k->tx_key == to)
		return;
	k->retired = k->tx_key;
	__atomic_store_n(&k->retired_until, retire_now ? now + grace :
		NEP_TUN_UNTIL_PEER, __ATOMIC_RELAXED);
	__atomic_store_n(&k->has_retired, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&k->tx_key, to, __ATOMIC_RELEASE);
	k->rekeying = 0;
}

/* Receive side, after a message under key_id verified: the peer has moved
 * to another key than the retired one (DATA or KEEPALIVE only: a REKEY
 * proves nothing about what the peer sends). */
static inline void
nep_tun_keys_peer_used(struct nep_tun_keys *k, uint8_t key_id, uint64_t now,
	uint64_t grace)
{
	if (__atomic_load_n(&k->has_retired, __ATOMIC_ACQUIRE) &&
		key_id != k->retired &&
		__atomic_load_n(&k->retired_until, __ATOMIC_RELAXED) ==
			NEP_TUN_UNTIL_PEER)
		__atomic_store_n(&k->retired_until, now + grace,
			__ATOMIC_RELAXED);
}

/* Initiator: start rotating to `to` (another live key). */
static inline void
nep_tun_keys_rekey_start(struct nep_tun_keys *k, uint8_t to)
{
	k->rekeying = 1;
	k->rekey_to = to;
	k->rekey_tries = 0;
}

/* Initiator, each keepalive interval while rekeying: send another REKEY,
 * or give up after max_tries. */
static inline enum nep_tun_rekey_step
nep_tun_keys_rekey_tick(struct nep_tun_keys *k, uint32_t max_tries)
{
	if (!k->rekeying)
		return NEP_TUN_REKEY_IDLE;
	if (k->rekey_tries >= max_tries) {
		k->rekeying = 0;
		return NEP_TUN_REKEY_FAILED;
	}
	k->rekey_tries++;
	return NEP_TUN_REKEY_SEND;
}

/* Initiator: a REKEY_ACK verified under key_id. True when it completes
 * the rotation (key_id is the one being rotated to). */
static inline bool
nep_tun_keys_rekey_ack(struct nep_tun_keys *k, uint8_t key_id, uint64_t now,
	uint64_t grace)
{
	if (!k->rekeying || key_id != k->rekey_to)
		return false;
	nep_tun_keys_switch(k, key_id, true, now, grace);
	return true;
}

/* Responder: a REKEY verified under key_id: send under it from now on. */
static inline void
nep_tun_keys_on_rekey(struct nep_tun_keys *k, uint8_t key_id, uint64_t now,
	uint64_t grace)
{
	nep_tun_keys_switch(k, key_id, false, now, grace);
}

#endif /* NEP_TUN_KEYS_H */
