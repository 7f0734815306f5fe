/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Growable, always NUL-terminated text buffer used for command replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nep_mgmt.h"

#define NEP_BUF_MIN 256

/* Make room for n more bytes plus the terminating NUL. */
static int
buf_reserve(struct nep_buf *b, size_t n)
{
	size_t need = b->len + n + 1;
	size_t cap;
	char *p;

	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : NEP_BUF_MIN;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

void
nep_buf_init(struct nep_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	/* Allocate early so data is a valid (empty) string from the start. */
	if (buf_reserve(b, 0) == 0)
		b->data[0] = '\0';
}

void
nep_buf_free(struct nep_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
nep_buf_reset(struct nep_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
nep_buf_append(struct nep_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
nep_buf_vprintf(struct nep_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
	return n;
}

int
nep_buf_printf(struct nep_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = nep_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return n;
}
