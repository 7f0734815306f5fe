/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal EAL for the unit suites that need DPDK memory: no hugepages, no
 * PCI, no shared configuration, one lcore, and a file prefix of the suite's
 * own (nep_test_<name>_<pid>) so that suites can run side by side.
 * Header only: each suite is a single translation unit.
 */
#ifndef NEP_TEST_EAL_H
#define NEP_TEST_EAL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

static bool nep_test_eal_up;

/*
 * Starts the EAL for the suite test_<name> with mem_mb MB of memory.
 * Returns 0, or -1 after a message on stderr.
 */
static inline int
nep_test_eal_init(const char *name, unsigned int mem_mb)
{
	char prog[64], mem[16], prefix[64];
	char *args[] = {
		prog, (char *)"--no-huge", (char *)"-m", mem,
		(char *)"--no-shconf", (char *)"--no-pci",
		(char *)"--file-prefix", prefix, (char *)"--log-level=error",
		(char *)"-l", (char *)"0",
	};

	snprintf(prog, sizeof(prog), "test_%s", name);
	snprintf(mem, sizeof(mem), "%u", mem_mb);
	snprintf(prefix, sizeof(prefix), "nep_test_%s_%d", name, (int)getpid());
	nep_test_eal_up = rte_eal_init((int)RTE_DIM(args), args) >= 0;
	if (!nep_test_eal_up) {
		fprintf(stderr, "EAL init failed\n");
		return -1;
	}
	return 0;
}

/*
 * Stops the EAL and removes its runtime directory. Does nothing when
 * nep_test_eal_init() did not succeed.
 */
static inline void
nep_test_eal_fini(void)
{
	char rundir[256], cmd[300];

	if (!nep_test_eal_up)
		return;
	nep_test_eal_up = false;
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", rundir);
}

/* cmocka group teardown for the suites whose only fixture is the EAL. */
static inline int
nep_test_eal_teardown(void **state)
{
	(void)state;
	nep_test_eal_fini();
	return 0;
}

#endif /* NEP_TEST_EAL_H */
