/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT44, the pure parts that are not inline: names, ICMP errors (rare),
 * the port pools and the per-worker allocator, the host counters, paired
 * pooling, timeout validation. No hidden state: everything lives in the
 * structures the caller passes.
 */
#include <errno.h>
#include <string.h>

#include <rte_jhash.h>

#include "nep_nat44.h"

static const char *const rc_names[] = {
#define NEP_NAT44_RC_NAME(n, s) [NEP_NAT44_##n] = s,
	NEP_NAT44_RCS(NEP_NAT44_RC_NAME)
#undef NEP_NAT44_RC_NAME
};

const char *
nep_nat44_rc_name(enum nep_nat44_rc rc)
{
	if ((unsigned int)rc >= NEP_NAT44_RC_MAX)
		return "unknown";
	return rc_names[rc];
}

static const char *const tcp_state_names[] = {
#define NEP_NAT44_TCP_NAME(n, s) [NEP_NAT44_TCP_##n] = s,
	NEP_NAT44_TCP_STATES(NEP_NAT44_TCP_NAME)
#undef NEP_NAT44_TCP_NAME
};

const char *
nep_nat44_tcp_state_name(uint8_t st)
{
	if (st >= NEP_NAT44_TCP_MAX)
		return "unknown";
	return tcp_state_names[st];
}

/* ---- ICMP errors ---- */

enum nep_nat44_rc
nep_nat44_icmp_err_parse(
	const uint8_t *ip4, uint32_t len, struct nep_nat44_icmp_err *e)
{
	struct nep_nat44_pkt pk;
	enum nep_nat44_rc rc = nep_nat44_parse(ip4, len, &pk);
	const uint8_t *icmp, *in, *l4;
	uint32_t avail, ihl2, l4len;

	if (rc != NEP_NAT44_ICMP_ERROR)
		return rc == NEP_NAT44_OK ? NEP_NAT44_ERR_NOT_ICMP_ERROR : rc;
	icmp = ip4 + pk.l4_off;
	in = icmp + 8;
	avail = pk.l4_len - 8u; /* parse: l4_len >= 8 */
	if (avail < 20)
		return NEP_NAT44_ERR_INNER_TRUNCATED;
	if ((in[0] >> 4) != 4)
		return NEP_NAT44_ERR_INNER_BAD_HDR;
	ihl2 = (in[0] & 0xfu) * 4;
	if (ihl2 < 20)
		return NEP_NAT44_ERR_INNER_BAD_HDR;
	if (avail < ihl2 + 8)
		return NEP_NAT44_ERR_INNER_TRUNCATED;
	if (nep_nat44_get16(in + 6) & RTE_IPV4_HDR_OFFSET_MASK)
		return NEP_NAT44_ERR_INNER_FRAGMENT;
	l4 = in + ihl2;
	l4len = avail - ihl2;
	e->inner.src = nep_nat44_get32(in + 12);
	e->inner.dst = nep_nat44_get32(in + 16);
	e->inner.proto = in[9];
	switch (in[9]) {
	case NEP_NAT44_PROTO_TCP:
		e->inner.sport = nep_nat44_get16(l4);
		e->inner.dport = nep_nat44_get16(l4 + 2);
		e->inner_l4_csum = l4len >= 18;
		break;
	case NEP_NAT44_PROTO_UDP:
		e->inner.sport = nep_nat44_get16(l4);
		e->inner.dport = nep_nat44_get16(l4 + 2);
		e->inner_l4_csum = 1;
		break;
	case NEP_NAT44_PROTO_ICMP:
		if (!nep_nat44_icmp_is_echo(l4[0]))
			return NEP_NAT44_ERR_INNER_PROTO;
		e->inner.sport = e->inner.dport = nep_nat44_get16(l4 + 4);
		e->inner_l4_csum = 1;
		break;
	default:
		return NEP_NAT44_ERR_INNER_PROTO;
	}
	e->outer_src = pk.t.src;
	e->outer_dst = pk.t.dst;
	e->icmp_off = pk.l4_off;
	e->inner_off = (uint16_t)(pk.l4_off + 8);
	e->inner_l4_off = (uint16_t)(e->inner_off + ihl2);
	e->inner_l4_len = (uint16_t)l4len;
	e->icmp_len = pk.l4_len;
	e->fragmented = pk.first_frag;
	e->type = icmp[0];
	e->code = icmp[1];
	return NEP_NAT44_OK;
}

/* One's-complement sum of a buffer, folded (RFC 1071). */
static uint16_t
raw_sum(const uint8_t *p, uint32_t len)
{
	uint64_t s = 0;
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += nep_nat44_get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

enum nep_nat44_rc
nep_nat44_icmp_err_verify(
	const uint8_t *ip4, const struct nep_nat44_icmp_err *e)
{
	const uint8_t *in = ip4 + e->inner_off;

	if (!e->fragmented && raw_sum(ip4 + e->icmp_off, e->icmp_len) != 0xffff)
		return NEP_NAT44_ERR_ICMP_CHECKSUM;
	if (raw_sum(in, (uint32_t)(e->inner_l4_off - e->inner_off)) != 0xffff)
		return NEP_NAT44_ERR_INNER_CHECKSUM;
	return NEP_NAT44_OK;
}

enum nep_nat44_rc
nep_nat44_icmp_err_rewrite(uint8_t *ip4, uint32_t len, enum nep_nat44_dir dir,
	uint32_t new_outer, uint32_t new_addr, uint16_t new_port)
{
	struct nep_nat44_icmp_err e;
	enum nep_nat44_rc rc = nep_nat44_icmp_err_parse(ip4, len, &e);
	/* IN: the outer destination, the quoted source; OUT: the reverse. */
	enum nep_nat44_dir inner_dir =
		dir == NEP_NAT44_IN ? NEP_NAT44_OUT : NEP_NAT44_IN;
	uint8_t *icmp, *in, *l4, *pp;
	uint16_t np = rte_cpu_to_be_16(new_port), op, ick, ock, ck, nck;
	uint32_t da, dp, dicmp;

	if (rc != NEP_NAT44_OK)
		return rc;
	icmp = ip4 + e.icmp_off;
	in = ip4 + e.inner_off;
	l4 = ip4 + e.inner_l4_off;

	/* Outer header (the ICMP checksum has no pseudo-header). */
	nep_nat44_addr_rewrite(ip4, dir, new_outer);

	/* Quoted header: address and header checksum. */
	ick = nep_nat44_ld16(in + 10);
	da = nep_nat44_addr_rewrite(in, inner_dir, new_addr);
	dicmp = da + nep_nat44_cdiff16(ick, nep_nat44_ld16(in + 10));

	/* Quoted port / identifier and its checksum when quoted. */
	if (e.inner.proto == NEP_NAT44_PROTO_ICMP)
		pp = l4 + 4;
	else
		pp = l4 + (inner_dir == NEP_NAT44_OUT ? 0 : 2);
	op = nep_nat44_ld16(pp);
	nep_nat44_st16(pp, np);
	dp = nep_nat44_cdiff16(op, np);
	dicmp += dp;
	switch (e.inner.proto) {
	case NEP_NAT44_PROTO_TCP:
		if (e.inner_l4_csum) {
			ck = nep_nat44_ld16(l4 + 16);
			nck = nep_nat44_cadjust(ck, da + dp);
			nep_nat44_st16(l4 + 16, nck);
			dicmp += nep_nat44_cdiff16(ck, nck);
		}
		break;
	case NEP_NAT44_PROTO_UDP:
		ck = nep_nat44_ld16(l4 + 6);
		if (ck != 0) {
			nck = nep_nat44_cadjust(ck, da + dp);
			if (nck == 0)
				nck = 0xffff;
			nep_nat44_st16(l4 + 6, nck);
			dicmp += nep_nat44_cdiff16(ck, nck);
		}
		break;
	default: /* ICMP echo: no pseudo-header */
		ck = nep_nat44_ld16(l4 + 2);
		nck = nep_nat44_cadjust(ck, dp);
		nep_nat44_st16(l4 + 2, nck);
		/* A wholly quoted all-zero echo: 0xffff, not -0. */
		if (nep_nat44_get16(in + 2) == e.inner_l4_off - e.inner_off +
				e.inner_l4_len) {
			nep_nat44_icmp_fix_zero(l4, e.inner_l4_len);
			nck = nep_nat44_ld16(l4 + 2);
		}
		dicmp += nep_nat44_cdiff16(ck, nck);
		break;
	}

	/* The ICMP checksum covers every quoted byte that changed. */
	ock = nep_nat44_ld16(icmp + 2);
	nep_nat44_st16(icmp + 2, nep_nat44_cadjust(ock, dicmp));
	return NEP_NAT44_OK;
}

/* ---- pools ---- */

#define PAR_EVEN UINT64_C(0x5555555555555555)
#define PAR_ODD UINT64_C(0xaaaaaaaaaaaaaaaa)

static const uint64_t par_mask[2] = {PAR_EVEN, PAR_ODD};

static inline bool
bit_test(const uint64_t *m, unsigned int i)
{
	return (m[i >> 6] >> (i & 63)) & 1;
}

enum nep_nat44_rc
nep_nat44_pool_init(struct nep_nat44_pool *p, uint32_t addr, uint8_t proto,
	uint32_t block_size)
{
	unsigned int b, total;

	if (block_size < NEP_NAT44_BLOCK_MIN ||
		block_size > NEP_NAT44_BLOCK_MAX ||
		(block_size & (block_size - 1)) != 0)
		return NEP_NAT44_ERR_BLOCK_SIZE;
	memset(p, 0, sizeof(*p));
	p->addr = addr;
	p->proto = proto;
	p->block_size = (uint16_t)block_size;
	p->shift = (uint8_t)__builtin_ctz(block_size);
	total = 65536u >> p->shift;
	p->first_block =
		(uint16_t)((NEP_NAT44_PORT_MIN + block_size - 1) >> p->shift);
	p->end_block = (uint16_t)total;
	for (b = 0; b < NEP_NAT44_MAX_BLOCKS; b++) {
		p->owner[b] = NEP_NAT44_NO_OWNER;
		if (b < p->first_block || b >= total)
			p->claimed[b >> 6] |= UINT64_C(1) << (b & 63);
	}
	return NEP_NAT44_OK;
}

void
nep_nat44_pool_reserve(struct nep_nat44_pool *p, uint16_t port)
{
	p->reserved[port >> 6] |= UINT64_C(1) << (port & 63);
}

unsigned int
nep_nat44_pool_blocks(const struct nep_nat44_pool *p)
{
	return (unsigned int)(p->end_block - p->first_block);
}

unsigned int
nep_nat44_pool_free_blocks(const struct nep_nat44_pool *p)
{
	unsigned int i, n = 0;

	for (i = 0; i < NEP_NAT44_MAX_BLOCKS / 64; i++)
		n += (unsigned int)__builtin_popcountll(
			~__atomic_load_n(&p->claimed[i], __ATOMIC_RELAXED));
	return n;
}

int
nep_nat44_block_grab(
	struct nep_nat44_pool *p, uint32_t owner, uint16_t want_port)
{
	unsigned int nwords = ((unsigned int)p->end_block + 63) >> 6;
	unsigned int i, start;
	uint64_t bit, old, v;

	if (want_port != 0) {
		unsigned int b = (unsigned int)want_port >> p->shift;

		if (b < p->first_block || b >= p->end_block)
			return -1;
		bit = UINT64_C(1) << (b & 63);
		old = __atomic_fetch_or(
			&p->claimed[b >> 6], bit, __ATOMIC_ACQ_REL);
		if (old & bit)
			return -1;
		__atomic_store_n(&p->owner[b], owner, __ATOMIC_RELAXED);
		return (int)b;
	}
	start = ((owner * 0x9e3779b1u) >> 16) % nwords;
	for (i = 0; i < nwords; i++) {
		unsigned int w = (start + i) % nwords;

		v = __atomic_load_n(&p->claimed[w], __ATOMIC_RELAXED);
		while (~v != 0) {
			unsigned int b = (unsigned int)__builtin_ctzll(~v);

			bit = UINT64_C(1) << b;
			old = __atomic_fetch_or(
				&p->claimed[w], bit, __ATOMIC_ACQ_REL);
			if (!(old & bit)) {
				b += w * 64;
				__atomic_store_n(
					&p->owner[b], owner, __ATOMIC_RELAXED);
				return (int)b;
			}
			v = old | bit; /* lost the race: try another bit */
		}
	}
	return -1;
}

void
nep_nat44_block_release(struct nep_nat44_pool *p, unsigned int block)
{
	if (block < p->first_block || block >= p->end_block)
		return;
	__atomic_store_n(
		&p->owner[block], NEP_NAT44_NO_OWNER, __ATOMIC_RELAXED);
	__atomic_fetch_and(&p->claimed[block >> 6],
		~(UINT64_C(1) << (block & 63)), __ATOMIC_RELEASE);
}

uint32_t
nep_nat44_block_owner(const struct nep_nat44_pool *p, unsigned int block)
{
	if (block >= NEP_NAT44_MAX_BLOCKS || !bit_test(p->claimed, block) ||
		block < p->first_block || block >= p->end_block)
		return NEP_NAT44_NO_OWNER;
	return __atomic_load_n(&p->owner[block], __ATOMIC_RELAXED);
}

/* ---- per-host counters ---- */

static inline uint32_t
host_hash(const struct nep_nat44_hosts *h, uint32_t host)
{
	uint32_t x = host * 0x9e3779b1u;

	return (x ^ (x >> 16)) & h->mask;
}

size_t
nep_nat44_hosts_memsize(uint32_t capacity)
{
	return sizeof(struct nep_nat44_hosts) +
	       (size_t)capacity * sizeof(struct nep_nat44_host_ent);
}

int
nep_nat44_hosts_init(
	struct nep_nat44_hosts *h, uint32_t capacity, uint32_t limit)
{
	if (capacity < 8 || (capacity & (capacity - 1)) != 0)
		return -EINVAL;
	h->mask = capacity - 1;
	h->limit = limit;
	h->n = 0;
	h->max_n = capacity - capacity / 8;
	memset(h->ent, 0, (size_t)capacity * sizeof(h->ent[0]));
	return 0;
}

enum nep_nat44_rc
nep_nat44_host_get(struct nep_nat44_hosts *h, uint32_t host)
{
	uint32_t i = host_hash(h, host);

	for (;;) {
		struct nep_nat44_host_ent *e = &h->ent[i];

		if (e->count == 0) {
			if (h->n >= h->max_n)
				return NEP_NAT44_ERR_HOST_TABLE_FULL;
			e->host = host;
			e->count = 1;
			h->n++;
			return NEP_NAT44_OK;
		}
		if (e->host == host) {
			if (h->limit != 0 && e->count >= h->limit)
				return NEP_NAT44_ERR_HOST_LIMIT;
			e->count++;
			return NEP_NAT44_OK;
		}
		i = (i + 1) & h->mask;
	}
}

static int
host_find(const struct nep_nat44_hosts *h, uint32_t host)
{
	uint32_t i = host_hash(h, host);

	while (h->ent[i].count != 0) {
		if (h->ent[i].host == host)
			return (int)i;
		i = (i + 1) & h->mask;
	}
	return -1;
}

void
nep_nat44_host_put(struct nep_nat44_hosts *h, uint32_t host)
{
	int f = host_find(h, host);
	uint32_t i, j, k;

	if (f < 0)
		return;
	i = (uint32_t)f;
	if (--h->ent[i].count != 0)
		return;
	/* Backward-shift deletion (linear probing, no tombstones). */
	j = i;
	for (;;) {
		j = (j + 1) & h->mask;
		if (h->ent[j].count == 0)
			break;
		k = host_hash(h, h->ent[j].host);
		/* Entry j may move to i unless its home k is in (i, j]. */
		if (((j - k) & h->mask) >= ((j - i) & h->mask)) {
			h->ent[i] = h->ent[j];
			i = j;
		}
	}
	h->ent[i].host = 0;
	h->ent[i].count = 0;
	h->n--;
}

uint32_t
nep_nat44_host_count(const struct nep_nat44_hosts *h, uint32_t host)
{
	int f = host_find(h, host);

	return f < 0 ? 0 : h->ent[f].count;
}

/* ---- a worker's ports ---- */

void
nep_nat44_ports_init(struct nep_nat44_ports *w, struct nep_nat44_pool *p,
	uint32_t owner, uint16_t keep_blocks, uint16_t max_pref_blocks)
{
	memset(w, 0, sizeof(*w));
	w->pool = p;
	w->owner = owner;
	w->keep_blocks = keep_blocks;
	w->max_pref_blocks = max_pref_blocks;
}

static inline unsigned int
block_words(const struct nep_nat44_pool *p)
{
	return (unsigned int)p->block_size >> 6;
}

static inline unsigned int
block_base_word(const struct nep_nat44_pool *p, unsigned int b)
{
	return (b << p->shift) >> 6;
}

static void
ports_add_block(struct nep_nat44_ports *w, unsigned int b)
{
	const struct nep_nat44_pool *p = w->pool;
	unsigned int i, base = block_base_word(p, b), nw = block_words(p);
	unsigned int fe = 0, fo = 0;

	w->held[b >> 6] |= UINT64_C(1) << (b & 63);
	w->slot[b] = w->n_blocks;
	w->blocks[w->n_blocks++] = (uint16_t)b;
	for (i = 0; i < nw; i++) {
		uint64_t r = p->reserved[base + i];

		w->used[base + i] = r;
		fe += (unsigned int)__builtin_popcountll(~r & PAR_EVEN);
		fo += (unsigned int)__builtin_popcountll(~r & PAR_ODD);
	}
	w->nused[b] = 0;
	w->nfree[b][0] = (uint16_t)fe;
	w->nfree[b][1] = (uint16_t)fo;
	w->free_par[0] += fe;
	w->free_par[1] += fo;
}

static void
ports_remove_block(struct nep_nat44_ports *w, unsigned int b)
{
	const struct nep_nat44_pool *p = w->pool;
	unsigned int idx = w->slot[b], last = w->blocks[w->n_blocks - 1];
	unsigned int base = block_base_word(p, b), nw = block_words(p);

	w->blocks[idx] = (uint16_t)last;
	w->slot[last] = (uint16_t)idx;
	w->n_blocks--;
	if (w->cursor >= w->n_blocks)
		w->cursor = 0;
	w->held[b >> 6] &= ~(UINT64_C(1) << (b & 63));
	w->free_par[0] -= w->nfree[b][0];
	w->free_par[1] -= w->nfree[b][1];
	w->nfree[b][0] = w->nfree[b][1] = 0;
	memset(&w->used[base], 0, nw * sizeof(w->used[0]));
	nep_nat44_block_release(w->pool, b);
}

static inline void
ports_take(struct nep_nat44_ports *w, unsigned int port)
{
	unsigned int b = port >> w->pool->shift, par = port & 1;

	w->used[port >> 6] |= UINT64_C(1) << (port & 63);
	w->nused[b]++;
	w->nfree[b][par]--;
	w->free_par[par]--;
	w->in_use++;
}

/*
 * A free port of parity par in a held block (the caller checked
 * free_par[par]): the blocks from the cursor on, inside a block from the
 * word of near (the wanted port) on.
 */
static unsigned int
ports_find(struct nep_nat44_ports *w, unsigned int par, unsigned int near)
{
	const struct nep_nat44_pool *p = w->pool;
	unsigned int nw = block_words(p), k, j;

	for (k = 0; k < w->n_blocks; k++) {
		unsigned int idx = (w->cursor + k) % w->n_blocks;
		unsigned int b = w->blocks[idx], base;

		if (w->nfree[b][par] == 0)
			continue;
		base = block_base_word(p, b);
		for (j = 0; j < nw; j++) {
			unsigned int wi = base + (((near >> 6) + j) & (nw - 1));
			uint64_t f = ~w->used[wi] & par_mask[par];

			if (f != 0) {
				w->cursor = (uint16_t)idx;
				return wi * 64 +
				       (unsigned int)__builtin_ctzll(f);
			}
		}
	}
	return 0; /* not reached: free_par[par] counts these */
}

static int
ports_alloc(struct nep_nat44_ports *w, unsigned int want)
{
	struct nep_nat44_pool *p = w->pool;
	unsigned int par = want & 1, b = want >> p->shift, port;
	int g;

	/* 1. Port preservation. */
	if (b >= p->first_block && b < p->end_block) {
		if (bit_test(w->held, b)) {
			if (!bit_test(w->used, want))
				goto take_want;
		} else if ((w->max_pref_blocks == 0 ||
				   w->n_blocks < w->max_pref_blocks) &&
			   nep_nat44_block_grab(p, w->owner, (uint16_t)want) >=
				   0) {
			ports_add_block(w, b);
			if (!bit_test(w->used, want))
				goto take_want;
		}
	}
	/* 2. Same parity in a held block; 3. in a new one. */
	if (w->free_par[par] == 0) {
		g = nep_nat44_block_grab(p, w->owner, 0);
		if (g >= 0)
			ports_add_block(w, (unsigned int)g);
	}
	/* 4. The other parity. */
	if (w->free_par[par] == 0) {
		par ^= 1;
		if (w->free_par[par] == 0)
			return -1;
	}
	port = ports_find(w, par, want);
	ports_take(w, port);
	return (int)port;

take_want:
	ports_take(w, want);
	return (int)want;
}

enum nep_nat44_rc
nep_nat44_port_alloc(struct nep_nat44_ports *w, struct nep_nat44_hosts *hosts,
	uint32_t host, uint16_t want, uint16_t *port)
{
	enum nep_nat44_rc rc;
	int p;

	if (hosts != NULL) {
		rc = nep_nat44_host_get(hosts, host);
		if (rc != NEP_NAT44_OK)
			return rc;
	}
	p = ports_alloc(w, want);
	if (p < 0) {
		if (hosts != NULL)
			nep_nat44_host_put(hosts, host);
		return NEP_NAT44_ERR_NO_PORT;
	}
	*port = (uint16_t)p;
	return NEP_NAT44_OK;
}

enum nep_nat44_rc
nep_nat44_port_free(struct nep_nat44_ports *w, struct nep_nat44_hosts *hosts,
	uint32_t host, uint16_t port)
{
	const struct nep_nat44_pool *p = w->pool;
	unsigned int b = (unsigned int)port >> p->shift, par = port & 1;

	if (b < p->first_block || b >= p->end_block || !bit_test(w->held, b) ||
		!bit_test(w->used, port) || bit_test(p->reserved, port))
		return NEP_NAT44_ERR_NOT_ALLOCATED;
	w->used[port >> 6] &= ~(UINT64_C(1) << (port & 63));
	w->nused[b]--;
	w->nfree[b][par]++;
	w->free_par[par]++;
	w->in_use--;
	if (hosts != NULL)
		nep_nat44_host_put(hosts, host);
	if (w->nused[b] == 0 && w->n_blocks > w->keep_blocks)
		ports_remove_block(w, b);
	return NEP_NAT44_OK;
}

unsigned int
nep_nat44_ports_trim(struct nep_nat44_ports *w, unsigned int keep)
{
	unsigned int i, n = 0;

	for (i = w->n_blocks; i-- > 0 && w->n_blocks > keep;) {
		unsigned int b = w->blocks[i];

		if (w->nused[b] == 0) {
			ports_remove_block(w, b);
			n++;
		}
	}
	return n;
}

/* ---- paired pooling ---- */

#define NEP_NAT44_PAIR_SEED 0x6e617434u /* "nat4" */

unsigned int
nep_nat44_pick_address(uint32_t host, const uint32_t *addrs, unsigned int n)
{
	unsigned int i, best = n;
	uint32_t best_score = 0;

	for (i = 0; i < n; i++) {
		uint32_t s =
			rte_jhash_2words(host, addrs[i], NEP_NAT44_PAIR_SEED);

		if (best == n || s > best_score ||
			(s == best_score && addrs[i] > addrs[best])) {
			best = i;
			best_score = s;
		}
	}
	return best;
}

/* ---- timeouts ---- */

enum nep_nat44_rc
nep_nat44_timeouts_check(const struct nep_nat44_timeouts *t, const char **field)
{
	static const struct {
		const char *name;
		size_t off;
		uint32_t min;
	} f[] = {
		{"tcp_established",
			offsetof(struct nep_nat44_timeouts, tcp_established),
			NEP_NAT44_TCP_EST_MIN},
		{"tcp_transitory",
			offsetof(struct nep_nat44_timeouts, tcp_transitory),
			NEP_NAT44_TCP_TRANS_MIN},
		{"udp", offsetof(struct nep_nat44_timeouts, udp),
			NEP_NAT44_UDP_MIN},
		{"icmp", offsetof(struct nep_nat44_timeouts, icmp),
			NEP_NAT44_ICMP_MIN},
	};
	unsigned int i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint32_t v;

		memcpy(&v, (const uint8_t *)t + f[i].off, sizeof(v));
		if (v < f[i].min || v > NEP_NAT44_TIMEOUT_MAX) {
			if (field != NULL)
				*field = f[i].name;
			return NEP_NAT44_ERR_TIMEOUT;
		}
	}
	return NEP_NAT44_OK;
}
