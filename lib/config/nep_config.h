/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neptune configuration model.
 *
 * nep_config_load() parses a YAML file (libyaml) into a plain C structure.
 * Nothing in here touches EAL, so it is unit-tested on its own and used by
 * `neptune --check-config`. Every error names the file, line and column of
 * the offending node (1-based, as editors count) and the dotted key path.
 * This structure holds the core's sections; features register their own
 * top-level keys and parsers (nep_config_section.h).
 */
#ifndef NEP_CONFIG_H
#define NEP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define NEP_NAME_MAX 32	      /* names: ports, and the features' (uplinks...) */
#define NEP_MAX_PORTS 32	      /* physical ports and sub-interfaces */
#define NEP_MAX_VRFS 16	      /* FIB tables, the default one (0) included */
#define NEP_MAX_ADDRS 8	      /* addresses per port */
#define NEP_MAX_ROUTES 1024   /* static routes */
#define NEP_MAX_EAL_ARGS 32
#define NEP_DEVARGS_MAX 256
#define NEP_PATH_MAX 256
#define NEP_CONFIG_MAX_SECTIONS 16 /* registered by features */

/* An IPv4 or IPv6 address. IPv4 is kept in network byte order in a[0..3]. */
struct nep_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

struct nep_prefix {
	struct nep_addr addr; /* host bits cleared */
	uint8_t len;
};

/* An address configured on a port: the host address plus its prefix length. */
struct nep_ifaddr {
	struct nep_addr addr; /* host bits kept */
	uint8_t len;
};

enum nep_port_role { NEP_PORT_LAN = 0, NEP_PORT_WAN = 1 };

/*
 * A port is a physical port (a DPDK device) or an 802.1Q VLAN
 * sub-interface of one (parent >= 0: no device, queues or MAC of its
 * own). ports[] holds the physical ports first, then the sub-interfaces,
 * each group in file order; src_index is the position in the file's list
 * (the N of the key path ports[N]).
 */
struct nep_port_conf {
	char name[NEP_NAME_MAX];
	enum nep_port_role role;
	int parent;			/* sub-interface: index of its physical
					 * port in ports[]; -1: physical */
	uint16_t vlan;			/* sub-interface: 1..4094, else 0 */
	uint8_t vrf;			/* table (index into vrfs[]), 0 */
	unsigned src_index;		/* ports[src_index] in the file */
	char driver[NEP_NAME_MAX];	/* preset name, "" if none */
	char devargs[NEP_DEVARGS_MAX];	/* vdev string or PCI address, "" for
					 * a sub-interface */
	bool is_pci;			/* devargs is a PCI address */
	uint8_t mac[6];
	bool mac_set;			/* otherwise the NIC's own MAC */
	uint16_t mtu;			/* default 1500; sub-interface: the
					 * parent's */
	uint16_t rx_queues;		/* default 1 (preset may override); 0
					 * for a sub-interface, and so are: */
	uint16_t rx_desc;		/* default 1024 (preset may override) */
	uint16_t tx_desc;		/* default 1024 (preset may override) */
	unsigned n_addrs;
	struct nep_ifaddr addrs[NEP_MAX_ADDRS];
	/* addrs[0..n_static_addrs) are the file's; the rest were learnt
	 * (DHCP, SLAAC: nep_config_set_learnt) */
	unsigned n_static_addrs;
};

struct nep_route_conf {
	struct nep_prefix prefix;
	struct nep_addr via;		/* family 0: on-link via port */
	int port;			/* index into ports[], -1 if not given */
	uint8_t table;			/* VRF (index into vrfs[]), 0: main */
};

/*
 * A FIB table (VRF-lite). vrfs[0] is "default", the main table: the
 * top-level routes and every port no VRF lists. A port belongs to one
 * table (nep_port_conf.vrf); its connected and local routes are in that
 * table only.
 */
struct nep_vrf_conf {
	char name[NEP_NAME_MAX];
	bool compact;			/* fib: compact (rte_rib lookups, small)
					 * instead of fast (DIR24_8 / TRIE) */
	unsigned n_routes;		/* of cfg->routes[], table = this one */
	unsigned n_ports;		/* ports in this table */
};

struct nep_static_neigh_conf {
	int port;			/* index into ports[] */
	struct nep_addr addr;
	uint8_t mac[6];
};
#define NEP_MAX_STATIC_NEIGH 64

struct nep_config_keys;

#define NEP_CONFIG_MAX_BYTES (4u << 20)	/* a configuration file */
#define NEP_PUNT_CLASSES 6	/* nep_worker.h, enum nep_punt_class */

struct nep_config {
	char path[NEP_PATH_MAX];	/* file it was loaded from */

	/* eal: */
	char eal_lcores[64];		/* "0-1" default */
	uint32_t eal_memory_mb;		/* 0: EAL default */
	bool eal_no_huge;
	bool eal_in_memory;		/* default true */
	char eal_file_prefix[64];
	unsigned n_eal_args;
	char eal_args[NEP_MAX_EAL_ARGS][NEP_DEVARGS_MAX]; /* extra raw args */

	/* management: */
	char mgmt_socket[NEP_PATH_MAX];	/* default /run/neptune/neptune.sock */
	bool telemetry;			/* default true */
	/* management.read_group: this group may connect, show commands
	 * only ("" none); its gid, resolved when the file is loaded */
	char mgmt_read_group[64];
	unsigned mgmt_read_gid;
	char log_level[16];		/* default "info" */

	/* dataplane: */
	uint32_t burst;			/* default 32, max 64 */
	uint32_t drain_us;		/* default 100 */
	uint32_t mbufs;			/* default 16383 */
	uint32_t punt_ring_size;	/* default 1024 */
	/* dataplane.punt_policer: per worker and class (nd, probe, icmp,
	 * resolve, other, error), packets/s into the control lcore, 0 no
	 * limit; and the burst each class may send at once */
	uint32_t punt_pps[NEP_PUNT_CLASSES];
	uint32_t punt_burst;
	bool fast_path;			/* default true; false: every packet
					 * through the stages one by one */
	bool idle_adaptive;		/* idle: adaptive (default poll) */
	uint32_t idle_max_us;		/* adaptive: longest sleep, default 100 */

	/* neighbors: */
	uint32_t neigh_reachable_ms;	/* default 30000 */
	uint32_t neigh_retrans_ms;	/* default 1000 */
	uint32_t neigh_max_probes;	/* default 3 */
	uint32_t neigh_queue_len;	/* packets held per unresolved, default 8 */
	uint32_t neigh_table_size;	/* default 4096 */
	unsigned n_static_neigh;
	struct nep_static_neigh_conf static_neigh[NEP_MAX_STATIC_NEIGH];

	/* icmp: */
	uint32_t icmp_rate_pps;		/* error rate limit, default 100 */
	uint32_t icmp_burst;		/* default 50 */

	unsigned n_ports;
	struct nep_port_conf ports[NEP_MAX_PORTS];
	/* Static routes of every table: the top-level ones (table 0) first,
	 * then each VRF's, in file order; NEP_MAX_ROUTES in all. */
	unsigned n_routes;
	struct nep_route_conf routes[NEP_MAX_ROUTES];
	/* vrfs: [0] is "default" (always there), then the file's, in order:
	 * the index is the table id. */
	unsigned n_vrfs;
	struct nep_vrf_conf vrfs[NEP_MAX_VRFS];

	/* Sections features registered (uplinks, steering, ...): their
	 * parsers' objects, read with nep_config_section() (private). */
	void *section[NEP_CONFIG_MAX_SECTIONS];

	struct nep_config_keys *keys;	/* private: nep_config_key_pos() */
	char *text;			/* the YAML it was parsed from */
	bool reparsed;			/* by nep_config_reparse() */
};

/*
 * Values the appliance learns at run time (DHCPv6-PD, DHCPv4, SLAAC) that
 * keys like `delegated_prefix: dhcpv6-pd` stand for. The loader and the
 * sections' parsers ask through these callbacks, so a configuration
 * parsed again after a lease changed carries the new values (NULL
 * callbacks, or no source set: nothing learnt, e.g. --check-config). The
 * source may be asked from any thread.
 */
struct nep_config_learnt {
	/* Addresses learnt on the port named port: appended after its
	 * configured ones. Returns how many were written (at most max). */
	unsigned (*port_addrs)(void *arg, const char *port,
		struct nep_ifaddr *out, unsigned max);
	/* The delegated prefix of the uplink named uplink. */
	bool (*prefix6)(void *arg, const char *uplink, struct nep_prefix *out);
	/* The uplink's next hop of family AF_INET or AF_INET6 (the default
	 * router of the RAs, the DHCPv4 router option). */
	bool (*next_hop)(void *arg, const char *uplink, int family,
		struct nep_addr *out);
	/* A default route of family for the main table when the file has
	 * none: the next hop and the name of its port. */
	bool (*default_route)(void *arg, int family, struct nep_addr *via,
		char port[NEP_NAME_MAX]);
	void *arg;
};
void nep_config_set_learnt(const struct nep_config_learnt *l);
const struct nep_config_learnt *nep_config_learnt(void);

/*
 * Log level names, most severe first: nep_log_levels[i] is DPDK log level
 * i + 1 (RTE_LOG_EMERG is 1, RTE_LOG_DEBUG 8). NULL-terminated. The one
 * list: log.level here, `set log level` in lib/mgmt.
 */
#define NEP_N_LOG_LEVELS 8
extern const char *const nep_log_levels[NEP_N_LOG_LEVELS + 1];

/* Error report: "file:line:column: key: message". */
struct nep_config_error {
	char msg[512];
};

/*
 * Load and validate a configuration file. drivers_dir is where driver
 * presets (<driver>.yaml) are looked up; NULL means the compiled-in default.
 * Returns a heap-allocated config on success, NULL on error with err filled.
 */
struct nep_config *nep_config_load(const char *path, const char *drivers_dir,
	struct nep_config_error *err);

/* Same, from a string (tests); name is used as the file name in errors. */
struct nep_config *nep_config_load_string(const char *name, const char *yaml,
	const char *drivers_dir, struct nep_config_error *err);

void nep_config_free(struct nep_config *cfg);
/* cfg's own text parsed again (with what has been learnt since). */
struct nep_config *nep_config_reparse(const struct nep_config *cfg,
	const char *drivers_dir, struct nep_config_error *err);

/*
 * "file:line:column" of the value of a dotted key path as the parser names
 * it ("ports[0].mac", "eal.lcores", "uplinks[1].health.interval_ms"), or
 * "file" alone when the file does not set that key (a default); for a
 * section key ("ports", "eal.args") the position of that node. Writes into
 * buf (always NUL-terminated when len > 0), returns buf. Lines and columns
 * are 1-based, as in the load errors; reload uses this to name a key it
 * refuses in the new file.
 */
const char *nep_config_key_pos(const struct nep_config *cfg, const char *key,
	char *buf, size_t len);

/* Index of a port by name, -1 if absent. */
int nep_config_port_index(const struct nep_config *cfg, const char *name);

/* Table id of a VRF by name ("default": 0), -1 if absent. */
int nep_vrf_find(const struct nep_config *cfg, const char *name);

/*
 * Address helpers shared by the parser, the CLI and the tests. The parsers
 * return 0 on success, -EINVAL if malformed, -ERANGE for a bad prefix length
 * (nep_ifaddr_parse also rejects /0) and -EDOM when a prefix has host bits.
 * The *_str helpers write "-" for an unset (family 0) address.
 */
int nep_addr_parse(const char *s, struct nep_addr *out);	/* 0 on success */
int nep_prefix_parse(const char *s, struct nep_prefix *out);	/* strict: host bits must be 0 */
int nep_ifaddr_parse(const char *s, struct nep_ifaddr *out);	/* addr/len, host bits allowed */
const char *nep_addr_str(const struct nep_addr *a, char *buf, size_t len);
const char *nep_prefix_str(const struct nep_prefix *p, char *buf, size_t len);
bool nep_prefix_contains(const struct nep_prefix *p, const struct nep_addr *a);

#endif /* NEP_CONFIG_H */
