/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "nep_neigh.h"

const char *const nep_neigh_state_names[] = {
	[NEP_NEIGH_INCOMPLETE] = "incomplete",
	[NEP_NEIGH_REACHABLE] = "reachable",
	[NEP_NEIGH_PROBE] = "probe",
	[NEP_NEIGH_FAILED] = "failed",
	[NEP_NEIGH_PERMANENT] = "permanent",
};

/* A FAILED entry answers "unreachable" for this long before retrying. */
#define NEP_NEIGH_FAILED_HOLD_MS 3000

static uint64_t
mac_word(const uint8_t mac[6])
{
	uint64_t v = 0;

	memcpy(&v, mac, 6);
	return v | NEP_NEIGH_VALID;
}

struct nep_neigh_table *
nep_neigh_create(const char *name, const struct nep_neigh_params *p,
	struct rte_rcu_qsbr *qsv)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = p->size,
		.key_len = sizeof(struct nep_neigh_key),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct nep_neigh_table *t = calloc(1, sizeof(*t));
	uint32_t slots, i;

	if (t == NULL)
		return NULL;
	t->p = *p;
	/*
	 * Lock-free readers only with RCU: in that mode rte_hash never frees
	 * a deleted key itself, the QSBR defer queue does. Without qsv a
	 * deleted key's slot would leak, so the plain mode frees it at once
	 * (no concurrent readers then).
	 */
	if (qsv != NULL)
		hp.extra_flag |= RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL)
		goto fail;
	if (qsv != NULL) {
		struct rte_hash_rcu_config rc = {
			.v = qsv,
			.mode = RTE_HASH_QSBR_MODE_DQ,
		};
		if (rte_hash_rcu_qsbr_add(t->h, &rc) != 0)
			goto fail;
	}
	/* Positions run up to the table size plus the extendable buckets. */
	slots = rte_hash_max_key_id(t->h) + 1;
	t->mac = rte_zmalloc("nep_neigh_mac", slots * sizeof(uint64_t),
		RTE_CACHE_LINE_SIZE);
	t->ctl = calloc(slots, sizeof(*t->ctl));
	if (t->mac == NULL || t->ctl == NULL)
		goto fail;
	for (i = 0; i < slots; i++) {
		t->ctl[i].queue = calloc(p->queue_len, sizeof(struct rte_mbuf *));
		if (t->ctl[i].queue == NULL)
			goto fail;
	}
	return t;
fail:
	nep_neigh_free(t, NULL);
	return NULL;
}

static void
drop_queue(struct nep_neigh_ctl *c, enum nep_drop_reason r,
	const struct nep_neigh_ops *ops)
{
	for (unsigned i = 0; i < c->n_queued; i++) {
		if (ops != NULL)
			ops->drop(ops->arg, c->queue[i], r);
		else
			rte_pktmbuf_free(c->queue[i]);
	}
	c->n_queued = 0;
}

void
nep_neigh_free(struct nep_neigh_table *t, const struct nep_neigh_ops *ops)
{
	if (t == NULL)
		return;
	if (t->ctl != NULL && t->h != NULL) {
		uint32_t slots = rte_hash_max_key_id(t->h) + 1;
		for (uint32_t i = 0; i < slots; i++) {
			drop_queue(&t->ctl[i], NEP_DROP_NEIGH_FAILED, ops);
			free(t->ctl[i].queue);
		}
	}
	free(t->ctl);
	rte_free(t->mac);
	rte_hash_free(t->h);
	free(t);
}

static void
set_mac(struct nep_neigh_table *t, int pos, uint64_t v)
{
	__atomic_store_n(&t->mac[pos], v, __ATOMIC_RELEASE);
}

static void
delete_entry(struct nep_neigh_table *t, int pos,
	const struct nep_neigh_ops *ops)
{
	struct nep_neigh_ctl *c = &t->ctl[pos];

	drop_queue(c, NEP_DROP_NEIGH_FAILED, ops);
	if (c->pinned) {
		/* Keep the key (its position is cached): forget the MAC and
		 * resolve again on the next timer. */
		set_mac(t, pos, 0);
		c->state = NEP_NEIGH_FAILED;
		c->probes = 0;
		return;
	}
	/* Invalidate first: a reader still holding pos sees "unresolved",
	 * and caches of positions (nep_dcache) drop theirs. */
	set_mac(t, pos, 0);
	__atomic_fetch_add(&t->gen, 1, __ATOMIC_RELEASE);
	rte_hash_del_key(t->h, &c->key);
	memset(&c->key, 0, sizeof(c->key));
	c->state = NEP_NEIGH_FAILED;
}

static int
get_or_create(struct nep_neigh_table *t, const struct nep_neigh_key *k,
	bool *created)
{
	int pos = rte_hash_lookup(t->h, k);

	*created = false;
	if (pos >= 0)
		return pos;
	pos = rte_hash_add_key(t->h, k);
	if (pos < 0)
		return pos;
	*created = true;
	struct nep_neigh_ctl *c = &t->ctl[pos];
	c->key = *k;
	c->state = NEP_NEIGH_INCOMPLETE;
	c->probes = 0;
	c->pinned = 0;
	c->n_queued = 0;
	set_mac(t, pos, 0);
	return pos;
}

static void
flush_queue(struct nep_neigh_table *t, int pos, const struct nep_neigh_ops *ops)
{
	struct nep_neigh_ctl *c = &t->ctl[pos];
	uint64_t mac = t->mac[pos];

	for (unsigned i = 0; i < c->n_queued; i++)
		ops->xmit(ops->arg, c->queue[i], mac);
	c->n_queued = 0;
}

void
nep_neigh_resolve(struct nep_neigh_table *t, const struct nep_neigh_key *k,
	struct rte_mbuf *m, uint64_t now_ms, const struct nep_neigh_ops *ops)
{
	bool created;
	int pos = get_or_create(t, k, &created);
	struct nep_neigh_ctl *c;

	if (pos < 0) {
		ops->drop(ops->arg, m, NEP_DROP_NEIGH_QUEUE_FULL);
		return;
	}
	c = &t->ctl[pos];
	if (t->mac[pos] & NEP_NEIGH_VALID) {
		/* Resolved meanwhile (the worker raced the answer). */
		ops->xmit(ops->arg, m, t->mac[pos]);
		return;
	}
	if (c->state == NEP_NEIGH_FAILED) {
		if (now_ms < c->changed_ms + NEP_NEIGH_FAILED_HOLD_MS) {
			ops->drop(ops->arg, m, NEP_DROP_NEIGH_FAILED);
			return;
		}
		c->state = NEP_NEIGH_INCOMPLETE;
		c->probes = 0;
		created = true;
	}
	if (c->n_queued >= t->p.queue_len) {
		ops->drop(ops->arg, m, NEP_DROP_NEIGH_QUEUE_FULL);
	} else {
		c->queue[c->n_queued++] = m;
	}
	if (created) {
		c->changed_ms = now_ms;
		c->probes = 1;
		c->next_ms = now_ms + t->p.retrans_ms;
		ops->solicit(ops->arg, k, NULL);
	}
}

void
nep_neigh_learn(struct nep_neigh_table *t, const struct nep_neigh_key *k,
	const uint8_t mac[6], bool confirmed, bool create, uint64_t now_ms,
	const struct nep_neigh_ops *ops)
{
	int pos = rte_hash_lookup(t->h, k);
	struct nep_neigh_ctl *c;
	bool created = false;

	if (pos < 0) {
		if (!create && !confirmed)
			return;
		pos = get_or_create(t, k, &created);
		if (pos < 0)
			return;
	}
	c = &t->ctl[pos];
	if (c->state == NEP_NEIGH_PERMANENT)
		return;
	set_mac(t, pos, mac_word(mac));
	c->state = NEP_NEIGH_REACHABLE;
	c->probes = 0;
	c->changed_ms = now_ms;
	c->next_ms = now_ms + t->p.reachable_ms;
	flush_queue(t, pos, ops);
}

bool
nep_neigh_confirm(struct nep_neigh_table *t, const struct nep_neigh_key *k,
	uint64_t now_ms)
{
	int pos = rte_hash_lookup(t->h, k);
	struct nep_neigh_ctl *c;

	if (pos < 0)
		return false;
	c = &t->ctl[pos];
	if (c->state != NEP_NEIGH_REACHABLE && c->state != NEP_NEIGH_PROBE)
		return false;
	c->state = NEP_NEIGH_REACHABLE;
	c->probes = 0;
	c->changed_ms = now_ms;
	c->next_ms = now_ms + t->p.reachable_ms;
	return true;
}

int
nep_neigh_add_static(struct nep_neigh_table *t, const struct nep_neigh_key *k,
	const uint8_t mac[6])
{
	bool created;
	int pos = get_or_create(t, k, &created);

	if (pos < 0)
		return pos;
	t->ctl[pos].state = NEP_NEIGH_PERMANENT;
	set_mac(t, pos, mac_word(mac));
	return 0;
}

int32_t
nep_neigh_pin(struct nep_neigh_table *t, const struct nep_neigh_key *k,
	uint64_t now_ms, const struct nep_neigh_ops *ops)
{
	bool created;
	int pos = get_or_create(t, k, &created);
	struct nep_neigh_ctl *c;

	if (pos < 0)
		return pos;
	c = &t->ctl[pos];
	c->pinned = 1;
	if (created) {
		c->changed_ms = now_ms;
		c->probes = 1;
		c->next_ms = now_ms + t->p.retrans_ms;
		ops->solicit(ops->arg, k, NULL);
	}
	return pos;
}

void
nep_neigh_tick(struct nep_neigh_table *t, uint64_t now_ms,
	const struct nep_neigh_ops *ops)
{
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;

	while ((pos = rte_hash_iterate(t->h, &key, &data, &iter)) >= 0) {
		struct nep_neigh_ctl *c = &t->ctl[pos];

		if (c->state == NEP_NEIGH_PERMANENT || now_ms < c->next_ms)
			continue;
		switch (c->state) {
		case NEP_NEIGH_INCOMPLETE:
			if (c->probes >= t->p.max_probes) {
				drop_queue(c, NEP_DROP_NEIGH_FAILED, ops);
				c->state = NEP_NEIGH_FAILED;
				c->changed_ms = now_ms;
				c->next_ms = now_ms + NEP_NEIGH_FAILED_HOLD_MS;
			} else {
				c->probes++;
				c->next_ms = now_ms + t->p.retrans_ms;
				ops->solicit(ops->arg, &c->key, NULL);
			}
			break;
		case NEP_NEIGH_REACHABLE:
			/* Confirm with unicast solicitations; keep using it. */
			c->state = NEP_NEIGH_PROBE;
			c->changed_ms = now_ms;
			/* fall through */
		case NEP_NEIGH_PROBE:
			if (c->probes >= t->p.max_probes) {
				delete_entry(t, pos, ops);
				break;
			}
			c->probes++;
			c->next_ms = now_ms + t->p.retrans_ms;
			{
				uint64_t w = t->mac[pos];
				ops->solicit(ops->arg, &c->key,
					(const uint8_t *)&w);
			}
			break;
		case NEP_NEIGH_FAILED:
			if (c->pinned) {
				/* Keep trying: an uplink's next hop. */
				c->state = NEP_NEIGH_INCOMPLETE;
				c->probes = 1;
				c->changed_ms = now_ms;
				c->next_ms = now_ms + t->p.retrans_ms;
				ops->solicit(ops->arg, &c->key, NULL);
				break;
			}
			/* Forget it; the next packet starts afresh. */
			delete_entry(t, pos, ops);
			break;
		default:
			break;
		}
	}
}

void
nep_neigh_port_up(struct nep_neigh_table *t, uint16_t port, uint64_t now_ms)
{
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;

	while ((pos = rte_hash_iterate(t->h, &key, &data, &iter)) >= 0) {
		struct nep_neigh_ctl *c = &t->ctl[pos];
		if (c->key.port != port || (c->state != NEP_NEIGH_INCOMPLETE &&
						   c->state != NEP_NEIGH_FAILED))
			continue;
		/* Solicitations sent while the link was down were lost. */
		c->state = NEP_NEIGH_INCOMPLETE;
		c->probes = 0;
		c->next_ms = now_ms;
	}
}

void
nep_neigh_flush(struct nep_neigh_table *t, const struct nep_neigh_ops *ops)
{
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;

	while ((pos = rte_hash_iterate(t->h, &key, &data, &iter)) >= 0)
		if (t->ctl[pos].state != NEP_NEIGH_PERMANENT)
			delete_entry(t, pos, ops);
}

void
nep_neigh_foreach(const struct nep_neigh_table *t, nep_neigh_visit_fn fn,
	void *arg)
{
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;

	while ((pos = rte_hash_iterate(t->h, &key, &data, &iter)) >= 0)
		fn(arg, &t->ctl[pos], t->mac[pos]);
}
