/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neptune-controller [-c FILE] [--check-config] [--database PATH]
 *                    [--listen ADDR] [--port N]
 *
 * The routing-system seed's load balancer and network controller as one
 * service (docs/controller.md). Runs until SIGINT or SIGTERM.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nctl.h"
#include "nctl_server.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: neptune-controller [-c FILE] [--check-config] "
		"[--database PATH] [--listen ADDR] [--port N]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "database", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *db = NULL, *listen = NULL;
	static struct nctl_config cfg;
	struct nctl_server *s;
	bool check = false;
	long port = -1;
	char err[600];
	sigset_t set;
	int c, sig;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': check = true; break;
		case 'd': db = optarg; break;
		case 'l': listen = optarg; break;
		case 'p': port = strtol(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path != NULL) {
		if (nctl_config_load(path, &cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	} else {
		nctl_config_defaults(&cfg);
		if (cfg.auth) {
			fprintf(stderr, "neptune-controller: a configuration "
				"file (-c) with security.admin_token is "
				"required\n");
			return 1;
		}
	}
	if (check) {
		printf("%s: OK\n", path ? path : "(defaults)");
		return 0;
	}
	if (db != NULL)
		snprintf(cfg.database, sizeof(cfg.database), "%s", db);
	if (listen != NULL)
		snprintf(cfg.listen, sizeof(cfg.listen), "%s", listen);
	if (port > 0 && port < 65536)
		cfg.port = (uint16_t)port;

	/* The server's thread must not take these signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	s = nctl_server_start(&cfg, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "neptune-controller: %s\n", err);
		return 1;
	}
	printf("neptune-controller: listening on %s port %u (%s), %u "
		"devices\n", cfg.listen, cfg.port, cfg.database,
		nctl_server_devices(s));
	fflush(stdout);
	sigwait(&set, &sig);
	nctl_server_stop(s);
	return 0;
}
