/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Uplink provisioning (docs/provisioning.md): per uplink a DHCPv6 client
 * (IA_PD, IA_NA), SLAAC from the ISP's RAs with DAD, a DHCPv4 client; per
 * LAN port Router Advertisements. Everything runs on the control lcore;
 * packets come through the local-delivery table. What is learnt reaches
 * the rest of the appliance as configuration: lib/config asks this
 * feature (nep_config_set_learnt) when a file is parsed, and a change
 * parses the running text again and applies it like a reload.
 */
#ifndef NEP_PROV_H
#define NEP_PROV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "neptune.h"
#include "nep_config_section.h"
#include "nep_dhcp4.h"
#include "nep_dhcp6.h"
#include "nep_ra.h"

#define PROV_MAX_RA 8
#define PROV_MAX_PFX 8
#define PROV_MAX_UPLINKS 16

struct prov_ra_conf {
	int port;			/* index into cfg->ports[] */
	bool prefixes_set;		/* else the port's own /64s */
	unsigned n_prefixes;
	struct nep_prefix prefixes[PROV_MAX_PFX];
	uint32_t interval_s;		/* MaxRtrAdvInterval */
	uint32_t router_lifetime_s;
	uint32_t valid_s, preferred_s;
	bool mtu;			/* MTU option with the port's MTU */
	bool managed, other;		/* M and O flags */
	unsigned n_rdnss;
	uint8_t rdnss[NEP_RA_MAX_RDNSS][16];
	unsigned n_dnssl;
	char dnssl[NEP_RA_MAX_DNSSL][NEP_PROV_NAME_MAX];
};

struct prov_config {
	char duid_file[NEP_PATH_MAX];
	unsigned n_ra;
	struct prov_ra_conf ra[PROV_MAX_RA];
};

extern int prov_config_section_id;

static inline const struct prov_config *
prov_conf(const struct nep_config *cfg)
{
	return nep_config_section(cfg, prov_config_section_id);
}

enum prov_d6_state {
	D6_OFF,
	D6_SOLICIT,
	D6_REQUEST,
	D6_BOUND,
	D6_RENEW,
	D6_REBIND,
};

enum prov_d4_state {
	D4_OFF,
	D4_SELECTING,
	D4_REQUESTING,
	D4_BOUND,
	D4_RENEWING,
	D4_REBINDING,
};

struct prov_d6 {
	enum prov_d6_state state;
	uint32_t xid;
	uint64_t start_ns;		/* of this exchange (Elapsed Time) */
	uint64_t next_ns;		/* retransmission */
	uint64_t rt_ns;			/* current retransmission timeout */
	unsigned tries;
	uint8_t server[NEP_DUID_MAX];
	uint16_t server_len;
	uint8_t server_addr[16];
	struct nep_dhcp6_prefix offer_pd;	/* from the Advertise */
	struct nep_dhcp6_iaaddr offer_na;
	/* the lease */
	uint64_t bound_ns;
	uint32_t t1, t2;		/* seconds after bound_ns */
	bool have_pd;
	struct nep_dhcp6_prefix pd;
	bool have_na;
	struct nep_dhcp6_iaaddr na;
	uint64_t changes;		/* prefix obtained, changed or lost */
	uint64_t sent, received, rejected;
};

struct prov_d4 {
	enum prov_d4_state state;
	uint32_t xid;
	uint64_t start_ns, next_ns;
	unsigned tries;
	uint32_t offered, server;
	/* the lease (host order) */
	uint64_t bound_ns;
	uint32_t addr, mask, router, lease_s, t1_s, t2_s;
	uint64_t changes;
	uint64_t sent, received, rejected;
};

/* SLAAC and the default router, and DAD of the address in use. */
struct prov_nd {
	bool have_router;
	uint8_t router[16];
	uint16_t router_lifetime;
	uint64_t router_until_ns;
	unsigned rs_sent;
	uint64_t next_rs_ns;
	/* the SLAAC prefix seen in the RAs */
	bool have_prefix;
	uint8_t prefix[16];
	uint64_t prefix_until_ns;
	/* DAD: the address being tested */
	bool dad_running, dad_dup;
	uint8_t tentative[16];
	uint64_t dad_until_ns;
	/* the address in use (after DAD) */
	bool have_addr;
	uint8_t addr[16];
	uint64_t ra_received, ra_rejected;
};

struct prov_uplink {
	bool used;
	char name[NEP_NAME_MAX];
	unsigned port;			/* index into app->ports */
	bool pd, na, slaac, dhcp4, router_learnt;
	uint8_t hint;
	uint32_t pd_subnet;		/* which /64 is translated to */
	uint32_t iaid;
	struct prov_d6 d6;
	struct prov_d4 d4;
	struct prov_nd nd;
};

struct prov_ra_rt {
	uint64_t next_ns;
	uint64_t last_ns;		/* last multicast RA (rate limit) */
	unsigned initial;		/* of the first few, sent faster */
	uint64_t sent, solicited;
	/* prefixes withdrawn by a reload: advertised at lifetime 0 */
	unsigned n_withdraw, withdraw_left;
	struct nep_prefix withdraw[PROV_MAX_PFX];
};

struct prov_state {
	pthread_mutex_t lock;		/* the learnt values (parse threads) */
	struct prov_uplink up[PROV_MAX_UPLINKS];
	struct prov_ra_rt ra[NEP_MAX_PORTS];
	uint8_t duid[NEP_DUID_MAX];
	uint16_t duid_len;
	bool dirty;			/* something learnt changed */
	uint64_t republished, republish_failed;
	uint64_t reconfigure_ignored;
	uint64_t bad_dhcp6, bad_dhcp4, bad_ra;
};

extern struct nep_feature nep_prov_feature;
extern struct prov_state prov_state;

#endif /* NEP_PROV_H */
