/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers of the libFuzzer targets (tests/fuzz/README.md). A
 * violated invariant prints where and aborts, so libFuzzer keeps the
 * input as a crash artifact.
 */
#ifndef NEP_FUZZ_H
#define NEP_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(c)                                                          \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #c);                       \
			abort();                                               \
		}                                                              \
	} while (0)

/* Consume bytes from the front of the input (zero once it runs out). */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)(fuzz_u8(in) << 8 | fuzz_u8(in));
}

static inline uint32_t
fuzz_u32(struct fuzz_in *in)
{
	return (uint32_t)fuzz_u16(in) << 16 | fuzz_u16(in);
}

static inline uint64_t
fuzz_u64(struct fuzz_in *in)
{
	return (uint64_t)fuzz_u32(in) << 32 | fuzz_u32(in);
}

static inline void
fuzz_bytes(struct fuzz_in *in, void *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)out)[i] = fuzz_u8(in);
}

/*
 * The rest of the input in a heap block of exactly its size, so that
 * AddressSanitizer sees any read past it (libFuzzer's own buffer is
 * exact too, but const: transforms need a writable copy).
 */
static inline uint8_t *
fuzz_dup(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d == NULL)
		abort();
	if (n)
		memcpy(d, p, n);
	return d;
}

/* Reference Internet checksum pieces, written apart from lib/pkt's. */
static inline uint32_t
fuzz_sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static inline uint16_t
fuzz_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The checksum a full computation gives over len bytes at p whose
 * checksum field (at ck, relative to p) is taken as zero; pseudo: the
 * pseudo-header's sum. Host order. */
static inline uint16_t
fuzz_cksum(const uint8_t *p, size_t len, size_t ck, uint32_t pseudo)
{
	uint32_t s = pseudo;

	s = fuzz_sum16(p, ck, s);
	if (ck + 2 < len)
		s = fuzz_sum16(p + ck + 2, len - ck - 2, s);
	/* ck is even in every header, so the words line up. */
	return (uint16_t)~fuzz_fold(s);
}

static inline uint16_t
fuzz_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
fuzz_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif /* NEP_FUZZ_H */
