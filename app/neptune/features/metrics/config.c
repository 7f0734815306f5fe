/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `metrics:` section (docs/config.md, "metrics"):
 *
 *   metrics:
 *     listen: 127.0.0.1:9469    # ADDR:PORT or [ADDR6]:PORT; loopback default
 *     dashboard: true           # also / and /api/show/... (default true)
 *     enabled: true             # default true once the section is there
 *
 * Without the section nothing listens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "nep_config_section.h"
#include "metrics.h"

int metrics_section_id = -1;

static const char *const keys[] = { "listen", "dashboard", "enabled", NULL };

/* "127.0.0.1:9469", "[::1]:9469": 0, or -1. */
static int
parse_listen(const char *s, struct metrics_config *mc)
{
	char host[64];
	const char *colon;
	struct nep_addr a;
	uint64_t port = 0;
	size_t hl;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		hl = (size_t)(end - s - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host) || memchr(s, ':', hl) != NULL)
			return -1;	/* IPv6 needs brackets */
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (nep_addr_parse(host, &a) != 0)
		return -1;
	if (nep_cmd_parse_u64(colon + 1, &port) != 0 || port == 0 ||
		port > 65535)
		return -1;
	mc->family = a.family;
	memcpy(mc->addr, a.a, 16);
	mc->port = (uint16_t)port;
	return 0;
}

static void
parse_metrics(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	struct metrics_config *mc = calloc(1, sizeof(*mc));
	const struct nep_cfg_map *m;

	if (mc == NULL)
		nep_cfg_fail(c, node, "metrics", "out of memory");
	*obj = mc;
	snprintf(mc->listen, sizeof(mc->listen), "127.0.0.1:%u",
		METRICS_PORT_DEFAULT);
	mc->dashboard = true;
	if (node == NULL) {
		parse_listen(mc->listen, mc);
		return;		/* no section: off */
	}
	mc->enabled = true;
	m = nep_cfg_map_open(c, node, "metrics", keys);
	nep_cfg_get_bool(m, "enabled", &mc->enabled);
	nep_cfg_get_bool(m, "dashboard", &mc->dashboard);
	nep_cfg_get_str(m, "listen", mc->listen, sizeof(mc->listen));
	if (parse_listen(mc->listen, mc) != 0)
		nep_cfg_fail(c, nep_cfg_get(m, "listen"), "metrics.listen",
			"expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT");
}

static void
free_metrics(void *obj)
{
	free(obj);
}

static void __attribute__((constructor))
metrics_config_register(void)
{
	metrics_section_id = nep_config_section_register("metrics",
		parse_metrics, free_metrics);
	if (metrics_section_id < 0) {
		fprintf(stderr, "metrics: cannot register its configuration "
				"section\n");
		abort();
	}
}
