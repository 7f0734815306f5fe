/* SPDX-License-Identifier: BSD-3-Clause */
/* The STAMP feature's globals and the helpers every part of it uses. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <netinet/in.h>
#include <openssl/hmac.h>

#include "stamp.h"

struct nep_feature nep_stamp_feature;
unsigned stamp_drop_err[NEP_STAMP_E_COUNT + 1];
unsigned stamp_drop_rate, stamp_drop_disabled, stamp_drop_unmatched;

int
stamp_hmac(void *ctx, const uint8_t *msg, size_t len, uint8_t out[32])
{
	const struct stamp_key *k = ctx;
	unsigned int olen = 32;

	if (k == NULL || k->len == 0)
		return -1;
	return HMAC(EVP_sha256(), k->key, (int)k->len, msg, len, out, &olen) ==
			       NULL
		       ? -1
		       : 0;
}

const char *
stamp_a6(const uint8_t *a, char *buf, size_t len)
{
	inet_ntop(AF_INET6, a, buf, (socklen_t)len);
	return buf;
}

void
stamp_event(struct nep_app *app, const char *fmt, ...)
{
	struct stamp_state *st = STAMP(app);
	struct stamp_event *e = &st->events[st->event_head];
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	e->wall_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	st->event_head = (st->event_head + 1) % STAMP_MAX_EVENTS;
	if (st->n_events < STAMP_MAX_EVENTS)
		st->n_events++;
	NEP_LOG(NOTICE, "stamp: %s", e->what);
}

