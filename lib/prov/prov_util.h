/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private helpers of lib/prov: big-endian field access, a bounded
 * writer, and the uncompressed DNS name list decoder shared by the
 * DHCPv6 Domain Search List (RFC 8415 21.19 / RFC 3646) and the RA
 * DNSSL option (RFC 8106 5.2).
 */
#ifndef NEP_PROV_UTIL_H
#define NEP_PROV_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t
prov_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
prov_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Writer over a caller's buffer: a write that does not fit sets
 * overflow and writes nothing, so a builder checks once at the end.
 */
struct prov_w {
	uint8_t *p;
	size_t cap, len;
	bool overflow;
};

static inline uint8_t *
prov_w_room(struct prov_w *w, size_t n)
{
	uint8_t *q;

	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return NULL;
	}
	q = w->p + w->len;
	w->len += n;
	return q;
}

static inline void
prov_w_bytes(struct prov_w *w, const void *src, size_t n)
{
	uint8_t *q = prov_w_room(w, n);

	if (q != NULL && n != 0)
		memcpy(q, src, n);
}

static inline void
prov_w_u8(struct prov_w *w, uint8_t v)
{
	prov_w_bytes(w, &v, 1);
}

static inline void
prov_w_u16(struct prov_w *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	prov_w_bytes(w, b, 2);
}

static inline void
prov_w_u32(struct prov_w *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v};

	prov_w_bytes(w, b, 4);
}

/* Patch a 16-bit length written earlier at offset off. */
static inline void
prov_w_set16(struct prov_w *w, size_t off, uint16_t v)
{
	if (!w->overflow) {
		w->p[off] = (uint8_t)(v >> 8);
		w->p[off + 1] = (uint8_t)v;
	}
}

/*
 * Decode a list of uncompressed wire-format names in p[0..len) into
 * dotted strings (no trailing dot) of at most name_max - 1 characters,
 * appending to out[*n..max). Zero bytes between and after names (the
 * DNSSL padding) are skipped. A name too long for name_max, or a label
 * with a byte a dotted string cannot carry unambiguously (outside
 * 0x21..0x7e, or '.'), is skipped. Returns 0, or -1 when the encoding
 * itself is broken (label length > 63, i.e. a compression pointer, or a
 * name running past len): decoding stops there, names already decoded
 * stay.
 */
int nep_prov_dns_names(const uint8_t *p, size_t len, char *out, size_t name_max,
	unsigned int max, unsigned int *n);

/*
 * Encode a dotted name (an optional trailing dot allowed) in wire
 * format. Returns the encoded length, or -1 when a label is empty or
 * longer than 63 or the name longer than 253 characters.
 */
int nep_prov_dns_encode(const char *name, struct prov_w *w);

#endif /* NEP_PROV_UTIL_H */
