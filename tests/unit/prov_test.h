/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the lib/prov unit tests share (test_prov_dhcp6.c, test_prov_dhcp4.c,
 * test_prov_ra.c): include after <cmocka.h>. Each test file defines its
 * assert_err() with PROV_ASSERT_ERR and its parse_exact() with
 * PROV_PARSE_EXACT for its own module.
 */
#ifndef PROV_TEST_H
#define PROV_TEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

static inline void
assert_bytes(
	const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte %zu is 0x%02x, want 0x%02x", what, i,
				got[i], want[i]);
}

/* The error's name is want (names are what drop counters show). */
#define PROV_ASSERT_ERR(name_fn)                                               \
	static void assert_err(int rc, const char *want, const char *what)   \
	{                                                                      \
		if (strcmp(name_fn(rc), want) != 0)                            \
			fail_msg("%s: got %s (%d), want %s", what,             \
				name_fn(rc), rc, want);                        \
	}

/* Parse from a heap block of exactly len bytes: ASan sees any overread. */
#define PROV_PARSE_EXACT(parse_fn, type)                                       \
	static int parse_exact(const uint8_t *p, size_t len, type *out)        \
	{                                                                      \
		uint8_t *q = malloc(len ? len : 1);                            \
		int rc;                                                        \
                                                                               \
		assert_non_null(q);                                            \
		if (len)                                                       \
			memcpy(q, p, len);                                     \
		rc = parse_fn(q, len, out);                                    \
		free(q);                                                       \
		return rc;                                                     \
	}

#endif /* PROV_TEST_H */
