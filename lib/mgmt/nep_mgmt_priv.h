/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal interfaces between the management server and its telemetry
 * front end. Not for use outside lib/mgmt (and its tests).
 */
#ifndef NEP_MGMT_PRIV_H
#define NEP_MGMT_PRIV_H

#include <jansson.h>

#include "nep_mgmt.h"

struct rte_tel_data;

extern int nep_mgmt_logtype;

/*
 * Most /neptune/... telemetry commands neptune registers. Older DPDK
 * releases held 64 commands in all (TELEMETRY_MAX_CALLBACKS); 22.11 has no
 * fixed bound but lists every command in one "/" reply (512 strings,
 * 16 KiB). Paths past this bound are skipped with a log line.
 */
#define NEP_MGMT_TEL_CMDS_MAX 64

/*
 * Derive the /neptune/... telemetry commands from the grammar entries not
 * seen before (one per "show" command, docs/cli.md "Telemetry"), register
 * the new ones and route them all to m. Paths that cannot be registered are
 * skipped with a log line. -1 only when another instance serves telemetry.
 */
int nep_mgmt_telemetry_attach(struct nep_mgmt *m);
/* Stop routing telemetry to m; waits for a request in progress. */
void nep_mgmt_telemetry_detach(struct nep_mgmt *m);

/*
 * Fill a fresh rte_tel_data from a JSON value (object, array or scalar).
 * 22.11 telemetry nests dicts freely but an array may only hold scalars or
 * arrays of scalars, so arrays of objects become dicts keyed by each
 * element's "name" (when all are distinct and valid keys) or by index.
 */
int nep_mgmt_tel_convert(struct rte_tel_data *d, json_t *j);

#endif /* NEP_MGMT_PRIV_H */
