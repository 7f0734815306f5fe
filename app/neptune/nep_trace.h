/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet trace (`trace add N [port NAME]`, `show trace`), as VPP's: the
 * next N packets a worker receives are marked, and every stage (and each
 * feature hook) appends a record of what it decided. Records are written
 * by the owning worker only, without locks; the control lcore reads the
 * records below the published count and formats them (trace.c and the
 * features' trace_format).
 */
#ifndef NEP_TRACE_H
#define NEP_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "nep_pipeline.h"

#define NEP_TRACE_MAX_PKTS 1024
#define NEP_TRACE_MAX_RECS 8192
#define NEP_TRACE_DATA 48

#define NEP_TRACE_CORE 0xff	/* feature field of the core's records */
#define NEP_TRACE_RESULT_ICMP 1	/* result record kind: dropped, ICMP error sent */

struct nep_trace_rec {
	uint32_t pkt;		/* packet number within this worker's trace */
	uint8_t stage;		/* enum nep_stage */
	uint8_t feature;	/* feature id, or NEP_TRACE_CORE */
	uint8_t kind;		/* what data holds (owner-defined) */
	uint8_t len;
	nep_verdict_t verdict;
	uint32_t pad;
	uint64_t tsc;
	uint8_t data[NEP_TRACE_DATA];
};

struct nep_trace {
	/* Written by the control lcore. */
	uint32_t budget;	/* packets still to mark */
	int16_t port;		/* only packets received here, -1: any */
	uint32_t reset_req;	/* bumped by trace add / clear trace */
	/* Written by the worker; n_recs published with release. The worker
	 * empties its own buffer (reset_done = reset_req) when it next
	 * looks at an armed trace, so the control lcore never writes under
	 * it nor waits for it. */
	uint32_t reset_done;
	uint32_t n_pkts;
	uint32_t n_recs;
	uint32_t cur_pkt;	/* number of the packet being traced */
	struct nep_trace_rec rec[NEP_TRACE_MAX_RECS];
};

/* The core stages' records (worker.c writes, trace.c formats). */
struct nep_trace_input {
	uint8_t port, family, proto, hop_limit;
	uint16_t sport, dport;
	uint16_t len;
	uint8_t src[16], dst[16];
};

struct nep_trace_lookup {
	uint8_t kind;		/* enum nep_nh_kind */
	uint8_t out;		/* port index, or NEP_META_NO_PORT */
	uint16_t pad;
	int32_t neigh_pos;
};

struct nep_trace_output {
	uint8_t out, action, path, pad;
	uint8_t mac[6];		/* next hop; zero when unresolved */
	uint16_t mtu;
};

/* "next", "forward", "punt(resolve)", "drop(no_route)", "sent". */
void nep_trace_verdict_str(nep_verdict_t v, char *buf, size_t len);

/* Worker: is a trace armed for packets received on port? (per burst) */
static inline bool
nep_trace_armed(const struct nep_trace *t, unsigned port)
{
	return __atomic_load_n(&t->budget, __ATOMIC_ACQUIRE) != 0 &&
		(t->port < 0 || (unsigned)t->port == port);
}

/*
 * Worker: mark this packet if the trace wants it. The budget is taken
 * with a compare-and-swap, so a `clear trace` storing 0 meanwhile is never
 * overwritten; a full buffer disarms the trace.
 */
static inline bool
nep_trace_want(struct nep_trace *t, unsigned port)
{
	uint32_t b = __atomic_load_n(&t->budget, __ATOMIC_ACQUIRE);

	uint32_t req;

	if (likely(b == 0))
		return false;
	req = __atomic_load_n(&t->reset_req, __ATOMIC_ACQUIRE);
	if (req != t->reset_done) {
		t->n_pkts = 0;
		__atomic_store_n(&t->n_recs, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&t->reset_done, req, __ATOMIC_RELEASE);
	}
	if (t->port >= 0 && (unsigned)t->port != port)
		return false;
	if (t->n_pkts >= NEP_TRACE_MAX_PKTS || t->n_recs >= NEP_TRACE_MAX_RECS) {
		__atomic_compare_exchange_n(&t->budget, &b, 0, false,
			__ATOMIC_RELAXED, __ATOMIC_RELAXED);
		return false;
	}
	if (!__atomic_compare_exchange_n(&t->budget, &b, b - 1, false,
		    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return false;	/* cleared meanwhile */
	t->cur_pkt = t->n_pkts++;
	return true;
}

/* Worker: append one record for the packet being traced. */
static inline void
nep_trace_add(struct nep_trace *t, enum nep_stage stage, uint8_t feature,
	uint8_t kind, nep_verdict_t v, const void *data, unsigned len)
{
	uint32_t n = t->n_recs;
	struct nep_trace_rec *r;

	if (n >= NEP_TRACE_MAX_RECS)
		return;
	r = &t->rec[n];
	r->pkt = t->cur_pkt;
	r->stage = (uint8_t)stage;
	r->feature = feature;
	r->kind = kind;
	r->verdict = v;
	r->tsc = rte_rdtsc();
	r->len = (uint8_t)RTE_MIN(len, (unsigned)NEP_TRACE_DATA);
	if (len != 0)
		memcpy(r->data, data, r->len);
	__atomic_store_n(&t->n_recs, n + 1, __ATOMIC_RELEASE);
}

#endif /* NEP_TRACE_H */
