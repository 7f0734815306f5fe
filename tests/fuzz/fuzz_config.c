/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration loader (lib/config, with the multihoming feature's
 * sections as neptune registers them): any input either loads or fails
 * with one "name:line:column: ..." (or "name: ...") message whose line is
 * in the file; loading is deterministic, the file and buffer loaders
 * agree, nothing leaks (LeakSanitizer), and a loaded configuration is
 * consistent: ports within bounds with distinct names that
 * nep_config_port_index() finds, routes within bounds on known tables,
 * the default VRF first. Input: YAML text.
 */
#include <ctype.h>
#include <unistd.h>

#include "fuzz.h"

#include "nep_config.h"

static char path[64];

static void
remove_file(void)
{
	unlink(path);
}

static void
check_msg(const struct nep_config_error *e, const char *name, const char *y)
{
	size_t nl = strlen(name), lines = 1;
	const char *s = e->msg + nl;
	unsigned long line;
	char *end;

	FUZZ_CHECK(e->msg[0] != '\0');
	FUZZ_CHECK(strncmp(e->msg, name, nl) == 0 && *s == ':');
	FUZZ_CHECK(strchr(e->msg, '\n') == NULL);
	if (!isdigit((unsigned char)s[1]))
		return;
	for (const char *p = y; *p; p++)
		lines += *p == '\n';
	line = strtoul(s + 1, &end, 10);
	FUZZ_CHECK(*end == ':' && isdigit((unsigned char)end[1]));
	/* Positions come from this file, or from a driver preset it
	 * names (whose lines the message then counts). */
	if (strstr(e->msg, "preset") == NULL && strstr(e->msg, ".yaml") == NULL)
		FUZZ_CHECK(line >= 1 && line <= lines + 1);
}

static void
check_cfg(const struct nep_config *c)
{
	char buf[256];

	FUZZ_CHECK(c->n_ports <= NEP_MAX_PORTS);
	FUZZ_CHECK(c->n_routes <= NEP_MAX_ROUTES);
	FUZZ_CHECK(c->n_vrfs >= 1 && c->n_vrfs <= NEP_MAX_VRFS);
	FUZZ_CHECK(c->n_static_neigh <= NEP_MAX_STATIC_NEIGH);
	FUZZ_CHECK(nep_vrf_find(c, "default") == 0);
	for (unsigned i = 0; i < c->n_ports; i++) {
		FUZZ_CHECK(c->ports[i].name[0] != '\0');
		FUZZ_CHECK(
			nep_config_port_index(c, c->ports[i].name) == (int)i);
	}
	for (unsigned i = 0; i < c->n_routes; i++) {
		FUZZ_CHECK(c->routes[i].table < c->n_vrfs);
		FUZZ_CHECK(c->routes[i].port < (int)c->n_ports);
	}
	nep_config_key_pos(c, "ports", buf, sizeof(buf));
	FUZZ_CHECK(strlen(buf) < sizeof(buf));
	nep_config_key_pos(c, "ports[0].name", buf, sizeof(buf));
	nep_config_key_pos(c, "no.such[3].key", buf, sizeof(buf));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nep_config_error e1, e2, e3;
	struct nep_config *c1, *c2, *c3;
	char *y;
	FILE *f;

	if (size > 16384)
		return 0;
	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/nep-fuzz-config-%d.yaml",
			(int)getpid());
		atexit(remove_file);
	}
	y = malloc(size + 1);
	if (y == NULL)
		abort();
	memcpy(y, data, size);
	y[size] = '\0';

	c1 = nep_config_load_string("fuzz.yaml", y, NULL, &e1);
	if (c1 == NULL)
		check_msg(&e1, "fuzz.yaml", y);
	else
		check_cfg(c1);
	c2 = nep_config_load_string("fuzz.yaml", y, NULL, &e2);
	FUZZ_CHECK((c1 == NULL) == (c2 == NULL));
	if (c1 == NULL)
		FUZZ_CHECK(strcmp(e1.msg, e2.msg) == 0);

	/* The file loader reads the same bytes (a NUL ends the buffer
	 * loader's string: compare only inputs without one). */
	if (memchr(data, 0, size) == NULL) {
		f = fopen(path, "wb");
		if (f == NULL || fwrite(data, 1, size, f) != size)
			abort();
		fclose(f);
		c3 = nep_config_load(path, NULL, &e3);
		FUZZ_CHECK((c1 == NULL) == (c3 == NULL));
		if (c1 == NULL)
			FUZZ_CHECK(strcmp(e1.msg + strlen("fuzz.yaml"),
					   e3.msg + strlen(path)) == 0);
		nep_config_free(c3);
	}
	nep_config_free(c1);
	nep_config_free(c2);
	free(y);
	return 0;
}
