/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `hooks:` section (docs/config.md, "hooks"):
 *
 *   hooks:
 *     - name: dns                      # default hook<N>
 *       exec: /etc/neptune/hooks/dns   # an executable; a relative path is
 *                                      # relative to this file's directory
 *       args: [--zone, example.net]    # before KIND SUBJECT (default none)
 *       timeout_ms: 5000               # killed beyond (default 5000)
 *       events: [uplink_down, uplink_up]   # default: every kind
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <unistd.h>

#include "events.h"

int ev_section_id = -1;

static const char *const hook_keys[] = { "name", "exec", "args",
	"timeout_ms", "events", NULL };

/* A relative exec is relative to the configuration file's directory
 * (config/neptune-lab.yaml names lab/hooks/record as ../lab/...). */
static void
resolve(struct nep_cfg *c, const struct nep_cfg_node *v, const char *path,
	char *exec, size_t size)
{
	const char *file = nep_cfg_config(c)->path;
	char dir[NEP_PATH_MAX], *real, out[NEP_PATH_MAX * 2];

	real = realpath(file, NULL);
	if (real == NULL)
		nep_cfg_fail(c, v, path, "expected an absolute path (the "
			"configuration has no file to be relative to)");
	snprintf(dir, sizeof(dir), "%s", dirname(real));
	free(real);
	if (snprintf(out, sizeof(out), "%s/%s", dir, exec) >= (int)size)
		nep_cfg_fail(c, v, path, "path too long");
	memcpy(exec, out, strlen(out) + 1);
}

static const char *kind_names[EV_KIND_MAX + 1];	/* NULL-terminated */

static void
parse_hooks(struct nep_cfg *c, const struct nep_cfg_node *node, void **obj)
{
	struct ev_config *ec = calloc(1, sizeof(*ec));
	char p[NEP_CFG_PATH_MAX], kp[NEP_CFG_PATH_MAX];
	const struct nep_cfg_node *v;
	unsigned n;

	if (ec == NULL)
		nep_cfg_fail(c, node, "hooks", "out of memory");
	*obj = ec;
	if (node == NULL)
		return;
	for (unsigned k = 0; k < EV_KIND_MAX; k++)
		kind_names[k] = ev_kind_names[k];
	kind_names[EV_KIND_MAX] = NULL;
	n = nep_cfg_seq(c, node, "hooks", EV_MAX_HOOKS, "hooks");
	for (unsigned i = 0; i < n; i++) {
		struct ev_hook_conf *h = &ec->hooks[i];
		const struct nep_cfg_map *m;

		nep_cfg_path_index(p, "hooks", i);
		m = nep_cfg_map_open(c, nep_cfg_seq_item(c, node, i), p,
			hook_keys);
		snprintf(h->name, sizeof(h->name), "hook%u", i);
		if ((v = nep_cfg_get(m, "name")) != NULL)
			nep_cfg_name(c, v, nep_cfg_path_key(kp, p, "name"),
				h->name);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(ec->hooks[j].name, h->name) == 0)
				nep_cfg_fail(c, nep_cfg_map_node(m),
					nep_cfg_path_key(kp, p, "name"),
					"duplicate hook name '%s'", h->name);
		v = nep_cfg_req(m, "exec");
		nep_cfg_copy_str(c, v, nep_cfg_path_key(kp, p, "exec"), h->exec,
			sizeof(h->exec));
		if (h->exec[0] != '/')
			resolve(c, v, kp, h->exec, sizeof(h->exec));
		if (access(h->exec, X_OK) != 0)
			nep_cfg_fail(c, v, kp, "%s is not an executable file",
				h->exec);
		if ((v = nep_cfg_get(m, "args")) != NULL) {
			h->n_args = nep_cfg_seq(c, v, nep_cfg_path_key(kp, p,
				"args"), EV_MAX_ARGS, "arguments");
			for (unsigned j = 0; j < h->n_args; j++) {
				char ip[NEP_CFG_PATH_MAX];

				nep_cfg_copy_str(c, nep_cfg_seq_item(c, v, j),
					nep_cfg_path_index(ip, kp, j), h->args[j],
					sizeof(h->args[j]));
			}
		}
		h->timeout_ms = 5000;
		nep_cfg_get_u32(m, "timeout_ms", 10, 600000, &h->timeout_ms);
		v = nep_cfg_get(m, "events");
		if (v == NULL) {
			h->kinds = (1u << EV_KIND_MAX) - 1;
		} else {
			unsigned k = nep_cfg_seq(c, v, nep_cfg_path_key(kp, p,
				"events"), UINT32_MAX, "events");
			for (unsigned j = 0; j < k; j++) {
				char ip[NEP_CFG_PATH_MAX];
				int e = nep_cfg_enum(c, nep_cfg_seq_item(c, v, j),
					nep_cfg_path_index(ip, kp, j),
					kind_names, "an event kind (start, "
					"reload, port_up, port_down, uplink_up, "
					"uplink_down, ...: docs/config.md)");
				h->kinds |= 1u << e;
			}
		}
	}
	ec->n_hooks = n;
}

static void
free_hooks(void *obj)
{
	free(obj);
}

static void __attribute__((constructor))
ev_config_register(void)
{
	ev_section_id = nep_config_section_register("hooks", parse_hooks,
		free_hooks);
	if (ev_section_id < 0) {
		fprintf(stderr, "events: cannot register its configuration "
				"section\n");
		abort();
	}
}
