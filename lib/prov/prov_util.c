/* SPDX-License-Identifier: BSD-3-Clause */
#include "prov_util.h"

static bool
label_char_ok(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '.';
}

int
nep_prov_dns_names(const uint8_t *p, size_t len, char *out, size_t name_max,
	unsigned int max, unsigned int *n)
{
	size_t off = 0;

	while (off < len) {
		char name[256];
		size_t nl = 0;
		bool ok = true;

		if (p[off] == 0) {
			/* Padding, or an empty (root) name: nothing to keep. */
			off++;
			continue;
		}
		for (;;) {
			uint8_t ll;

			if (off >= len)
				return -1; /* no terminating root label */
			ll = p[off++];
			if (ll == 0)
				break;
			if (ll > 63 || ll > len - off)
				return -1;
			/* 255 octets on the wire at most: nl stays < 256. */
			if (nl + 1 + ll >= sizeof(name)) {
				ok = false;
			} else {
				if (nl != 0)
					name[nl++] = '.';
				for (unsigned int i = 0; i < ll; i++) {
					if (!label_char_ok(p[off + i]))
						ok = false;
					name[nl++] = (char)p[off + i];
				}
			}
			off += ll;
		}
		if (!ok || nl + 1 > name_max || *n >= max)
			continue;
		memcpy(out + (size_t)*n * name_max, name, nl);
		out[(size_t)*n * name_max + nl] = '\0';
		(*n)++;
	}
	return 0;
}

int
nep_prov_dns_encode(const char *name, struct prov_w *w)
{
	size_t start = w->len, total = strlen(name), i = 0;

	if (total > 0 && name[total - 1] == '.')
		total--;
	if (total == 0 || total > 253)
		return -1;
	while (i < total) {
		size_t j = i;

		while (j < total && name[j] != '.')
			j++;
		if (j == i || j - i > 63)
			return -1;
		prov_w_u8(w, (uint8_t)(j - i));
		prov_w_bytes(w, name + i, j - i);
		i = j + 1;
		if (j == total - 1 && name[j] == '.')
			return -1;
	}
	prov_w_u8(w, 0);
	return (int)(w->len - start);
}
