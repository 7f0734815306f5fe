/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "nep_flow.h"

struct nep_flow_table *
nep_flow_table_create(const char *name, uint32_t size, int socket)
{
	char rname[RTE_RING_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = size,
		.key_len = sizeof(struct nep_flow_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = NEP_FLOW_HASH_INIT,
		.socket_id = socket,
		/* Single writer (the owning worker): no locks. The extendable
		 * buckets keep inserts succeeding at high load. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct nep_flow_table *t = rte_zmalloc_socket("nep_flow", sizeof(*t),
		RTE_CACHE_LINE_SIZE, socket);

	if (t == NULL)
		return NULL;
	t->size = size;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL)
		goto fail;
	t->e = rte_zmalloc_socket("nep_flow_e",
		(size_t)(rte_hash_max_key_id(t->h) + 1) * sizeof(*t->e),
		RTE_CACHE_LINE_SIZE, socket);
	t->emc = rte_malloc_socket("nep_flow_emc",
		NEP_FLOW_EMC_SIZE * sizeof(*t->emc), RTE_CACHE_LINE_SIZE,
		socket);
	if (t->emc != NULL)
		for (unsigned i = 0; i < NEP_FLOW_EMC_SIZE; i++)
			t->emc[i] = (struct nep_flow_emc_slot){ 0, -1 };
	snprintf(rname, sizeof(rname), "%s_x", name);
	t->expire = rte_ring_create(rname, 4096, socket,
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (t->e == NULL || t->expire == NULL || t->emc == NULL)
		goto fail;
	return t;
fail:
	nep_flow_table_free(t);
	return NULL;
}

void
nep_flow_table_free(struct nep_flow_table *t)
{
	if (t == NULL)
		return;
	rte_ring_free(t->expire);
	rte_free(t->emc);
	rte_free(t->e);
	rte_hash_free(t->h);
	rte_free(t);
}

size_t
nep_flow_table_memsize(uint32_t size)
{
	/* The entry array; the benchmark measures the whole table (hash
	 * buckets and key store included) from the heap statistics. */
	return (size_t)size * sizeof(struct nep_flow_entry);
}

void
nep_flow_reap(struct nep_flow_table *t, uint64_t now_tsc,
	const struct nep_flow_age *a)
{
	void *objs[64];
	unsigned n, i;

	n = rte_ring_sc_dequeue_burst(t->expire, objs, 64, NULL);
	for (i = 0; i < n; i++) {
		struct nep_flow_entry *e = &t->e[(uintptr_t)objs[i]];

		/* A packet may have refreshed it since the scan, or the slot
		 * may already hold another flow. */
		if (e->last_tsc == 0 ||
			!nep_flow_expired(e, now_tsc, a))
			continue;
		if (rte_hash_del_key(t->h, &e->key) >= 0)
			t->deletes++;
		t->by_uplink[e->uplink]--;
		e->last_tsc = 0;
	}
}
