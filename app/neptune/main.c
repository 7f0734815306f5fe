/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neptune: entry point. Loads the configuration, builds the EAL arguments
 * from it (command-line EAL arguments after "--" override), brings up the
 * ports, starts one worker per non-main lcore and runs the control loop on
 * the main lcore until SIGINT/SIGTERM or the `shutdown` command.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_version.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_pdump.h>

#include "neptune.h"

static struct nep_app g_app;

static void
on_signal(int sig)
{
	(void)sig;
	g_app.quit = 1;
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -c FILE [--drivers-config DIR] [-- EAL ARGS...]\n"
		"       %s --check-config FILE [--drivers-config DIR]\n"
		"       %s --version\n",
		prog, prog, prog);
}

#define MAX_ARGV 256

struct eal_argv {
	int argc;
	char *argv[MAX_ARGV];
	char *owned[MAX_ARGV];	/* EAL rewrites argv[]; free from here */
};

static void
push(struct eal_argv *a, const char *s)
{
	if (a->argc < MAX_ARGV - 1) {
		a->owned[a->argc] = strdup(s);
		a->argv[a->argc] = a->owned[a->argc];
		a->argc++;
	}
}

/* EAL arguments from the configuration, then the command line's. */
static void
build_eal_args(const struct nep_config *cfg, const char *prog, int extra_argc,
	char **extra_argv, struct eal_argv *a)
{
	char buf[64];
	bool any_pci = false;
	unsigned i;
	int j;

	push(a, prog);
	/* "0-2" is a plain lcore list (-l); "0@0,1@1,2@1" or "(0-1)@0" map
	 * lcores to CPUs (--lcores), e.g. more workers than CPUs in a lab. */
	push(a, strpbrk(cfg->eal_lcores, "@()") != NULL ? "--lcores" : "-l");
	push(a, cfg->eal_lcores);
	if (cfg->eal_no_huge) {
		push(a, "--no-huge");
		push(a, "--no-shconf");
	} else if (cfg->eal_in_memory) {
		push(a, "--in-memory");
	}
	if (cfg->eal_file_prefix[0] != '\0') {
		push(a, "--file-prefix");
		push(a, cfg->eal_file_prefix);
	}
	if (cfg->eal_memory_mb) {
		snprintf(buf, sizeof(buf), "%u", cfg->eal_memory_mb);
		push(a, "-m");
		push(a, buf);
	}
	for (i = 0; i < cfg->n_ports; i++) {
		if (cfg->ports[i].parent >= 0)
			continue;	/* a VLAN sub-interface: no device */
		if (cfg->ports[i].is_pci) {
			push(a, "-a");
			any_pci = true;
		} else {
			push(a, "--vdev");
		}
		push(a, cfg->ports[i].devargs);
	}
	if (!any_pci)
		push(a, "--no-pci");
	for (i = 0; i < cfg->n_eal_args; i++)
		push(a, cfg->eal_args[i]);
	for (j = 0; j < extra_argc; j++)
		push(a, extra_argv[j]);
	a->argv[a->argc] = NULL;
}

/* After a failed EAL start: say plainly when hugepages are the cause. */
static void
hugepage_hint(const struct nep_config *cfg)
{
	static const char *const sizes[] = { "2048kB", "1048576kB" };
	unsigned long free_pages = 0, v;
	bool mounted = false;
	char path[128], line[512];
	FILE *f;

	for (unsigned i = 0; i < RTE_DIM(sizes); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/"
			"hugepages-%s/free_hugepages", sizes[i]);
		f = fopen(path, "r");
		if (f != NULL) {
			if (fscanf(f, "%lu", &v) == 1)
				free_pages += v;
			fclose(f);
		}
	}
	f = fopen("/proc/mounts", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, " hugetlbfs ") != NULL)
			mounted = true;
	if (f != NULL)
		fclose(f);
	if (free_pages > 0 && (mounted || cfg->eal_in_memory))
		return;
	fprintf(stderr, "neptune: %s: reserve hugepages and mount hugetlbfs "
		"with neptune-setup (or: dpdk-hugepages.py -p 2M --setup 1G); "
		"docs/operations.md, \"Host setup\"\n",
		free_pages == 0 ? "no free hugepages" :
		"hugetlbfs is not mounted (needed without eal.in_memory)");
}

static const char *
cfg_capture_why(const struct nep_config *cfg)
{
	if (cfg->eal_no_huge)
		return "eal.no_huge (no shared memory for secondary processes)";
	return "eal.in_memory (set it false and give eal.file_prefix)";
}

static int
launch_workers(struct nep_app *app)
{
	unsigned lcore, w = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct nep_worker *wk = &app->workers[w];
		if (w >= NEP_MAX_WORKERS)
			break;
		if (rte_eal_remote_launch(nep_worker_main, wk, lcore) != 0)
			return -1;
		w++;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "drivers-config", required_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nep_app *app = &g_app;
	struct nep_config_error cerr;
	struct eal_argv eal = { 0 };
	const char *config = NULL, *drivers = NULL;
	bool check_only = false;
	char err[256];
	int c, extra_argc = 0, rc = 1;
	char **extra_argv = NULL;

	/* Everything after "--" belongs to EAL. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			extra_argc = argc - i - 1;
			extra_argv = argv + i + 1;
			argc = i;
			break;
		}
	while ((c = getopt_long(argc, argv, "c:d:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			config = optarg;
			check_only = true;
			break;
		case 'd':
			drivers = optarg;
			break;
		case 'V':
			printf("neptune %s (%s)\n", NEP_VERSION, rte_version());
			return 0;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (config == NULL || optind != argc) {
		usage(argv[0]);
		return 2;
	}

	app->cfg = nep_config_load(config, drivers, &cerr);
	if (app->cfg == NULL) {
		fprintf(stderr, "%s\n", cerr.msg);
		return 1;
	}
	if (check_only) {
		printf("%s: configuration OK (%u ports, %u routes)\n",
			config, app->cfg->n_ports, app->cfg->n_routes);
		nep_config_free(app->cfg);
		return 0;
	}
	snprintf(app->config_path, sizeof(app->config_path), "%s", config);
	if (drivers != NULL)
		snprintf(app->drivers_dir, sizeof(app->drivers_dir), "%s",
			drivers);

	build_eal_args(app->cfg, argv[0], extra_argc, extra_argv, &eal);
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		fprintf(stderr, "neptune: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		if (!app->cfg->eal_no_huge)
			hugepage_hint(app->cfg);
		return 1;
	}
	nep_logtype = rte_log_register("neptune");
	if (nep_logtype < 0)
		nep_logtype = RTE_LOGTYPE_USER1;
	rte_log_set_level(nep_logtype, (uint32_t)nep_cmd_log_level(
		app->cfg->log_level));
	/* dpdk-dumpcap and dpdk-pdump attach as secondary processes: they
	 * need a file prefix and hugepages, not --in-memory (docs/operations.md,
	 * "Packet capture"). */
	if (rte_pdump_init() < 0)
		NEP_LOG(WARNING, "packet capture (dpdk-dumpcap) unavailable: %s",
			rte_strerror(rte_errno));
	else if (app->cfg->eal_no_huge || app->cfg->eal_in_memory)
		/* rte_pdump_init() succeeds without multi-process (ENOTSUP
		 * is not an error to it): say why dumpcap cannot attach. */
		NEP_LOG(INFO, "packet capture (dpdk-dumpcap) unavailable: %s",
			cfg_capture_why(app->cfg));
	if (nep_meta_register() < 0) {
		NEP_LOG(ERR, "cannot register the mbuf metadata field: %s",
			rte_strerror(rte_errno));
		goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	app->start_ms = nep_now_ms();
	app->n_workers = rte_lcore_count() - 1;
	if (app->n_workers == 0 || app->n_workers > NEP_MAX_WORKERS) {
		NEP_LOG(ERR, "need 1..%d worker lcores besides the main lcore "
			"(eal.lcores is \"%s\")", NEP_MAX_WORKERS,
			app->cfg->eal_lcores);
		goto out;
	}
	if (nep_ports_init(app) < 0)
		goto out;
	if (nep_control_init(app) < 0)
		goto out_ports;
	app->snap = nep_snapshot_build(app, app->cfg, err, sizeof(err));
	if (app->snap == NULL) {
		NEP_LOG(ERR, "%s", err);
		goto out_ports;
	}
	if (nep_control_start(app) < 0)
		goto out_ports;
	if (launch_workers(app) < 0) {
		NEP_LOG(ERR, "cannot launch the workers");
		app->quit = 1;
		app->workers_quit = 1;
	}
	NEP_LOG(INFO, "running: %u ports, %u workers, management on %s",
		app->n_ports, app->n_workers, app->cfg->mgmt_socket);
	nep_control_loop(app);
	rc = 0;

	NEP_LOG(INFO, "shutting down");
	app->quit = 1;
	nep_control_stop(app);
	__atomic_store_n(&app->workers_quit, 1, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	nep_control_fini(app);
	nep_snapshot_free(app->snap); /* owns app->cfg */
	app->cfg = NULL;
out_ports:
	nep_ports_stop(app);
out:
	if (app->cfg != NULL)
		nep_config_free(app->cfg);
	rte_eal_cleanup();
	for (int i = 0; i < eal.argc; i++)
		free(eal.owned[i]);
	return rc;
}
