/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the configuration tests share: loading a YAML text that must load,
 * or must fail with exactly one message. Include after cmocka.h.
 */
#ifndef NEP_TEST_CONFIG_H
#define NEP_TEST_CONFIG_H

#include <string.h>

#include "nep_config.h"

static const char *no_drivers = "/nonexistent-neptune-drivers";

static inline struct nep_config *
load(const char *yaml)
{
	struct nep_config_error err;
	struct nep_config *cfg;

	cfg = nep_config_load_string("t.yaml", yaml, no_drivers, &err);
	if (cfg == NULL)
		fail_msg("unexpected error: %s", err.msg);
	return cfg;
}

static inline void
expect_err_dir(const char *yaml, const char *dir, const char *want)
{
	struct nep_config_error err;
	struct nep_config *cfg;

	memset(&err, 0, sizeof(err));
	cfg = nep_config_load_string("t.yaml", yaml, dir, &err);
	if (cfg != NULL) {
		nep_config_free(cfg);
		fail_msg("loaded, expected error: %s", want);
	}
	assert_string_equal(err.msg, want);
}

static inline void
expect_err(const char *yaml, const char *want)
{
	expect_err_dir(yaml, no_drivers, want);
}

#endif /* NEP_TEST_CONFIG_H */
