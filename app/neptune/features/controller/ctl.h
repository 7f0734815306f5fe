/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neptune-controller client (docs/controller.md, "The appliance
 * side"): a hub reports its metrics, an endpoint follows the controller's
 * decisions, both register (getting tunnel addresses from the pools),
 * report their status and take pushed configurations.
 *
 *   config.c      the `controller:` section and its root-only key file
 *   client.c      the client thread (rte_ctrl_thread_create, not an EAL
 *                 lcore): libcurl, request signing, JSON
 *   controller.c  the feature: metrics samples, applying decisions and
 *                 pushed configurations on the control lcore, show
 *                 controller
 *
 * The control lcore and the thread share one small record under a mutex
 * that the control lcore only ever try-locks (it never waits), and the
 * thread never holds across I/O. Nothing is queued: the thread sends the
 * latest metrics sample, a slow or dead controller skips samples.
 */
#ifndef NEP_CTL_FEATURE_H
#define NEP_CTL_FEATURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "nep_config.h"
#include "nep_config_section.h"
#include "neptune.h"

#define CTL_URL_MAX 256
#define CTL_KEY_MAX 128
#define CTL_ID_MAX 64
#define CTL_HUBS 8
#define CTL_ERR_MAX 512

struct ctl_config {
	bool enabled;
	char url[CTL_URL_MAX];		/* http://127.0.0.1:8090 */
	char device_id[CTL_ID_MAX];
	char psk_file[NEP_PATH_MAX];
	char psk[CTL_KEY_MAX];		/* read from psk_file */
	uint32_t interval_s;		/* reports and polls, default 10 */
	uint32_t timeout_ms;		/* one request, default 2000 */
	char name[128];
	char internal_ip[64], external_ip[64];
	bool push_config;		/* accept pushed configurations */
	char ca_file[NEP_PATH_MAX];	/* https: CA bundle, "" system's */
};

extern int ctl_section_id;

static inline const struct ctl_config *
ctl_conf(const struct nep_config *cfg)
{
	return (const struct ctl_config *)nep_config_section(cfg,
		ctl_section_id);
}

/* A metrics sample (hub), taken by the control lcore. */
struct ctl_sample {
	uint64_t seq;			/* 0: none yet */
	double cpu_percent, memory_percent, bandwidth_mbps;
	unsigned active_tunnels;
	uint64_t rx_packets, tx_packets;
	uint64_t heap_used, heap_total;
};

struct ctl_hubs {
	unsigned n;
	char name[CTL_HUBS][NEP_NAME_MAX];
	bool usable[CTL_HUBS];
	char preferred[NEP_NAME_MAX];
};

struct ctl_shared {
	pthread_mutex_t lock;
	bool stop;
	/* what the thread works from (copied at start) */
	struct ctl_config conf;
	bool hub;			/* tunnel role hub: report metrics */
	char config_path[NEP_PATH_MAX];
	/* control lcore -> thread */
	struct ctl_sample sample;
	struct ctl_hubs hubs;
	/* thread -> control lcore */
	uint64_t dec_seq;		/* a new decision */
	char dec_hub[CTL_ID_MAX];
	uint64_t push_req, push_done;	/* a pushed config to apply */
	int64_t push_version;
	int push_rc;
	char push_err[CTL_ERR_MAX];
	/* the thread's state (show controller) */
	bool registered;
	char tun_ipv4[64], tun_ipv6[64];
	uint64_t req_ok, req_failed, reports, samples_skipped, polls,
		decisions;
	uint64_t pushes_applied, pushes_refused;
	char last_error[256];
	double last_ok;			/* wall clock of the last answer */
	double decided_at;
	char decision[CTL_ID_MAX];	/* the controller's latest */
};

extern struct ctl_shared ctl_shared;
extern struct nep_feature nep_ctl_feature;

/* client.c */
int ctl_client_start(void);
void ctl_client_stop(void);

#endif /* NEP_CTL_FEATURE_H */
