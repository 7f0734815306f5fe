/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `controller:` section (docs/config.md, "controller"):
 *
 *   controller:
 *     url: http://127.0.0.1:8090    # neptune-controller; http or https
 *     device_id: site-a             # this appliance's id there
 *     psk_file: /run/neptune/ctl.key  # the pre-shared key, mode 0600
 *     interval_s: 10                # hub: metrics; endpoint: decisions
 *     timeout_ms: 2000              # one request
 *     name: "Site A"                # reported at registration (hub:
 *     internal_ip: 192.0.2.1        #   server_name, the addresses in
 *     external_ip: 2001:db8:71:1::2 #   the decisions endpoints get)
 *     push_config: true             # apply configurations pushed to it
 *     ca_file: /etc/neptune/ctl-ca.pem  # https: the CA to trust (default:
 *                                   #   the system's)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

int ctl_section_id = -1;

static const char *const ctl_keys[] = { "url", "device_id", "psk_file",
	"interval_s", "timeout_ms", "name", "internal_ip", "external_ip",
	"push_config", "ca_file", NULL };

static void
read_psk(struct nep_cfg *c, const struct nep_cfg_node *v, const char *path,
	struct ctl_config *cc)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(cc->psk_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		nep_cfg_fail(c, v, path, "%s: %s", cc->psk_file,
			strerror(errno));
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		close(fd);
		nep_cfg_fail(c, v, path, "%s: readable by others (chmod 600)",
			cc->psk_file);
	}
	n = read(fd, cc->psk, sizeof(cc->psk) - 1);
	close(fd);
	if (n < 0)
		nep_cfg_fail(c, v, path, "%s: %s", cc->psk_file,
			strerror(errno));
	cc->psk[n] = '\0';
	while (n > 0 && (cc->psk[n - 1] == '\n' || cc->psk[n - 1] == '\r' ||
			       cc->psk[n - 1] == ' '))
		cc->psk[--n] = '\0';
	if (n < 16)
		nep_cfg_fail(c, v, path, "%s: the key must have at least 16 "
			"characters", cc->psk_file);
}

static void
parse_controller(struct nep_cfg *c, const struct nep_cfg_node *node,
	void **obj)
{
	struct ctl_config *cc = calloc(1, sizeof(*cc));
	const struct nep_cfg_map *m;
	const struct nep_cfg_node *v;
	char kp[NEP_CFG_PATH_MAX];
	struct nep_addr a;

	if (cc == NULL)
		nep_cfg_fail(c, node, "controller", "out of memory");
	*obj = cc;
	cc->interval_s = 10;
	cc->timeout_ms = 2000;
	cc->push_config = true;
	if (node == NULL)
		return;
	cc->enabled = true;
	m = nep_cfg_map_open(c, node, "controller", ctl_keys);
	v = nep_cfg_req(m, "url");
	nep_cfg_copy_str(c, v, "controller.url", cc->url, sizeof(cc->url));
	if (strncmp(cc->url, "http://", 7) != 0 &&
		strncmp(cc->url, "https://", 8) != 0)
		nep_cfg_fail(c, v, "controller.url", "expected http://... or "
			"https://...");
	if (cc->url[strlen(cc->url) - 1] == '/')
		cc->url[strlen(cc->url) - 1] = '\0';
	v = nep_cfg_req(m, "device_id");
	nep_cfg_name(c, v, "controller.device_id", cc->device_id);
	v = nep_cfg_req(m, "psk_file");
	nep_cfg_copy_str(c, v, "controller.psk_file", cc->psk_file,
		sizeof(cc->psk_file));
	read_psk(c, v, "controller.psk_file", cc);
	nep_cfg_get_u32(m, "interval_s", 1, 3600, &cc->interval_s);
	nep_cfg_get_u32(m, "timeout_ms", 100, 60000, &cc->timeout_ms);
	nep_cfg_get_str(m, "name", cc->name, sizeof(cc->name));
	if ((v = nep_cfg_get(m, "internal_ip")) != NULL) {
		nep_cfg_addr(c, v, nep_cfg_path_key(kp, "controller",
			"internal_ip"), &a);
		nep_cfg_copy_str(c, v, kp, cc->internal_ip,
			sizeof(cc->internal_ip));
	}
	if ((v = nep_cfg_get(m, "external_ip")) != NULL) {
		nep_cfg_addr(c, v, nep_cfg_path_key(kp, "controller",
			"external_ip"), &a);
		nep_cfg_copy_str(c, v, kp, cc->external_ip,
			sizeof(cc->external_ip));
	}
	nep_cfg_get_bool(m, "push_config", &cc->push_config);
	if ((v = nep_cfg_get(m, "ca_file")) != NULL) {
		nep_cfg_copy_str(c, v, "controller.ca_file", cc->ca_file,
			sizeof(cc->ca_file));
		if (access(cc->ca_file, R_OK) != 0)
			nep_cfg_fail(c, v, "controller.ca_file", "%s: %s",
				cc->ca_file, strerror(errno));
	}
}

static void
free_controller(void *obj)
{
	/* the key */
	explicit_bzero(obj, sizeof(struct ctl_config));
	free(obj);
}

static void __attribute__((constructor))
ctl_config_register(void)
{
	ctl_section_id = nep_config_section_register("controller",
		parse_controller, free_controller);
	if (ctl_section_id < 0) {
		fprintf(stderr, "controller: cannot register its config "
			"section (%d)\n", ctl_section_id);
		abort();
	}
}
