/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DHCPv6 client messages (RFC 8415), as a pure codec: no EAL, no
 * allocation, no state. The caller owns the exchange (retransmission,
 * transaction IDs, matching the Client Identifier to its own DUID and
 * the IAIDs to its own); this builds the UDP payload a client sends and
 * parses the UDP payload a server sends.
 *
 * nep_dhcp6_build(): a client message (Solicit, Request, Confirm, Renew,
 * Rebind, Release, Decline, Information-request) from struct
 * nep_dhcp6_req. Option order: Client Identifier, Server Identifier,
 * Elapsed Time, Option Request, Rapid Commit, IA_NA, IA_PD. T1, T2 and
 * every lifetime a client sends are 0 (RFC 8415 21.4, 21.6, 21.21,
 * 21.22: the server ignores them), so the lifetimes in pd / na are not
 * sent.
 *
 * nep_dhcp6_parse(): a server message (Advertise, Reply, Reconfigure)
 * into struct nep_dhcp6_msg, or a negative NEP_DHCP6_E_* whose stable
 * name (nep_dhcp6_err_name()) is meant as a drop counter name. Every
 * option is bounds-checked against its container (message, IA, IA
 * Prefix / IA Address); unknown options are skipped.
 */
#ifndef NEP_DHCP6_H
#define NEP_DHCP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEP_DHCP6_CLIENT_PORT 546
#define NEP_DHCP6_SERVER_PORT 547
/* All_DHCP_Relay_Agents_and_Servers, ff02::1:2 (RFC 8415 7.1). */
#define NEP_DHCP6_ALL_SERVERS_INIT                                             \
	{                                                                      \
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2           \
	}

/* Message types (RFC 8415 7.3). */
enum {
	NEP_DHCP6_SOLICIT = 1,
	NEP_DHCP6_ADVERTISE,
	NEP_DHCP6_REQUEST,
	NEP_DHCP6_CONFIRM,
	NEP_DHCP6_RENEW,
	NEP_DHCP6_REBIND,
	NEP_DHCP6_REPLY,
	NEP_DHCP6_RELEASE,
	NEP_DHCP6_DECLINE,
	NEP_DHCP6_RECONFIGURE,
	NEP_DHCP6_INFO_REQUEST,
};

/* Option codes (RFC 8415 21, RFC 3646). */
#define NEP_DHCP6_OPT_CLIENTID 1
#define NEP_DHCP6_OPT_SERVERID 2
#define NEP_DHCP6_OPT_IA_NA 3
#define NEP_DHCP6_OPT_IAADDR 5
#define NEP_DHCP6_OPT_ORO 6
#define NEP_DHCP6_OPT_PREFERENCE 7
#define NEP_DHCP6_OPT_ELAPSED_TIME 8
#define NEP_DHCP6_OPT_AUTH 11
#define NEP_DHCP6_OPT_STATUS_CODE 13
#define NEP_DHCP6_OPT_RAPID_COMMIT 14
#define NEP_DHCP6_OPT_RECONF_MSG 19
#define NEP_DHCP6_OPT_DNS_SERVERS 23
#define NEP_DHCP6_OPT_DOMAIN_LIST 24
#define NEP_DHCP6_OPT_IA_PD 25
#define NEP_DHCP6_OPT_IAPREFIX 26
#define NEP_DHCP6_OPT_INFO_REFRESH_TIME 32
#define NEP_DHCP6_OPT_SOL_MAX_RT 82
#define NEP_DHCP6_OPT_INF_MAX_RT 83

/* Status codes (RFC 8415 21.13). */
#define NEP_DHCP6_ST_SUCCESS 0
#define NEP_DHCP6_ST_UNSPEC_FAIL 1
#define NEP_DHCP6_ST_NO_ADDRS_AVAIL 2
#define NEP_DHCP6_ST_NO_BINDING 3
#define NEP_DHCP6_ST_NOT_ON_LINK 4
#define NEP_DHCP6_ST_USE_MULTICAST 5
#define NEP_DHCP6_ST_NO_PREFIX_AVAIL 6

#define NEP_DUID_MAX 130 /* 2-octet type + at most 128 (RFC 8415 11.1) */
#define NEP_DUID_LLT_LEN 14
#define NEP_DHCP6_MAX_IA_ITEMS 4
#define NEP_DHCP6_MAX_DNS 4
#define NEP_DHCP6_MAX_DOMAINS 4
#ifndef NEP_PROV_NAME_MAX
#define NEP_PROV_NAME_MAX 64 /* a dotted name and its NUL */
#endif

/*
 * Errors (negative; 0 is success). Each name is stable: counters use
 * it. Parse errors first, then the builder's.
 */
#define NEP_DHCP6_ERRS(X)                                                      \
	X(TRUNCATED, -1, "dhcp6_truncated")                                    \
	X(BAD_MSG_TYPE, -2, "dhcp6_bad_msg_type")                              \
	X(OPTION_OVERRUN, -3, "dhcp6_option_overrun")                          \
	X(BAD_OPTION, -4, "dhcp6_bad_option")                                  \
	X(IA_OVERRUN, -5, "dhcp6_ia_option_overrun")                           \
	X(BAD_IA_OPTION, -6, "dhcp6_bad_ia_option")                            \
	X(BAD_PREFIX_LEN, -7, "dhcp6_bad_prefix_len")                          \
	X(BAD_DUID, -8, "dhcp6_bad_duid")                                      \
	X(NO_SERVER_ID, -9, "dhcp6_no_server_id")                              \
	X(BUILD_NO_SPACE, -10, "dhcp6_build_no_space")                         \
	X(BUILD_BAD_REQUEST, -11, "dhcp6_build_bad_request")

enum nep_dhcp6_err {
#define NEP_DHCP6_ERR_ENUM(n, v, s) NEP_DHCP6_E_##n = v,
	NEP_DHCP6_ERRS(NEP_DHCP6_ERR_ENUM)
#undef NEP_DHCP6_ERR_ENUM
};
#define NEP_DHCP6_E_COUNT 11 /* the errors are -1 .. -NEP_DHCP6_E_COUNT */

struct nep_dhcp6_prefix {
	uint8_t prefix[16];
	uint8_t len;
	uint32_t preferred, valid;
};

struct nep_dhcp6_iaaddr {
	uint8_t addr[16];
	uint32_t preferred, valid;
};

/* A client message to build. */
struct nep_dhcp6_req {
	uint8_t type; /* SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, RELEASE,
			 DECLINE or INFO_REQUEST */
	uint32_t xid; /* 24 bits used */
	/* Client Identifier, required (1..NEP_DUID_MAX bytes). */
	const uint8_t *duid;
	uint16_t duid_len;
	/* Server Identifier: required for Request, Renew, Release and
	 * Decline, NULL for the others (RFC 8415 18.2). */
	const uint8_t *server_id;
	uint16_t server_id_len;
	uint16_t elapsed_cs; /* Elapsed Time, 1/100 s, always included */
	bool rapid_commit;   /* Solicit only */
	/* IA_PD (not in Confirm, Decline, Information-request). The IA
	 * Prefix sent is pd.prefix/pd.len when pd_have, else ::/pd_hint_len
	 * when pd_hint_len != 0, else none. */
	bool want_pd;
	uint32_t pd_iaid;
	uint8_t pd_hint_len;
	bool pd_have;
	struct nep_dhcp6_prefix pd;
	/* IA_NA (not in Information-request): an IA Address when na_have. */
	bool want_na;
	uint32_t na_iaid;
	bool na_have;
	struct nep_dhcp6_iaaddr na;
	/* Option Request: DNS servers (23) and domain list (24) besides
	 * SOL_MAX_RT (82; INF_MAX_RT 83 and Information Refresh Time 32
	 * in an Information-request), which RFC 8415 18.2 requires.
	 * Release and Decline carry no Option Request. */
	bool want_dns;
};

/*
 * Build a client message into buf. Returns its length (the UDP
 * payload), NEP_DHCP6_E_BUILD_NO_SPACE when cap is too small, or
 * NEP_DHCP6_E_BUILD_BAD_REQUEST for a message RFC 8415 does not allow
 * (not a client type, no or oversized DUID, a Server Identifier missing
 * or where none belongs, Rapid Commit outside Solicit, an IA where the
 * type carries none, prefix length > 128).
 */
int nep_dhcp6_build(const struct nep_dhcp6_req *r, uint8_t *buf, size_t cap);

/* A parsed server message. */
struct nep_dhcp6_msg {
	uint8_t type; /* ADVERTISE, REPLY or RECONFIGURE */
	uint32_t xid;
	/* Server Identifier: always present (else NEP_DHCP6_E_NO_SERVER_ID);
	 * Client Identifier: client_id_len 0 when absent. */
	uint8_t server_id[NEP_DUID_MAX];
	uint16_t server_id_len;
	uint8_t client_id[NEP_DUID_MAX];
	uint16_t client_id_len;
	bool has_preference;
	uint8_t preference;
	bool has_status; /* top-level Status Code */
	uint16_t status;
	bool rapid_commit;
	bool has_auth; /* an Authentication option is present */
	bool has_reconf_msg;
	uint8_t reconf_msg;
	/* 0 if absent, or outside 60..86400 (RFC 8415 21.24: ignored). */
	uint32_t sol_max_rt;
	uint32_t info_refresh; /* Information Refresh Time, 0 if absent */
	/* The first valid IA_PD. An IA_PD with T1 > T2 > 0 is discarded as
	 * if absent (RFC 8415 21.21), and counted in n_ignored. */
	bool has_pd;
	uint32_t pd_iaid, pd_t1, pd_t2;
	bool pd_has_status;
	uint16_t pd_status;
	/* IA Prefixes of that IA_PD, the first NEP_DHCP6_MAX_IA_ITEMS;
	 * bits past len are cleared; one with preferred > valid is skipped
	 * and counted in n_ignored (RFC 8415 21.22). */
	unsigned int n_prefixes;
	struct nep_dhcp6_prefix prefixes[NEP_DHCP6_MAX_IA_ITEMS];
	/* The first valid IA_NA, likewise. */
	bool has_na;
	uint32_t na_iaid, na_t1, na_t2;
	bool na_has_status;
	uint16_t na_status;
	unsigned int n_addrs;
	struct nep_dhcp6_iaaddr addrs[NEP_DHCP6_MAX_IA_ITEMS];
	/* DNS Recursive Name Servers (23), from every such option. */
	unsigned int n_dns;
	uint8_t dns[NEP_DHCP6_MAX_DNS][16];
	/* Domain Search List (24), dotted. A malformed encoding ends the
	 * list there (the message is still accepted). */
	unsigned int n_domains;
	char domains[NEP_DHCP6_MAX_DOMAINS][NEP_PROV_NAME_MAX];
	unsigned int n_ignored; /* IAs and IA items discarded, see above */
};

/*
 * Parse a server message (UDP payload). Returns 0, or a negative
 * NEP_DHCP6_E_*: TRUNCATED (shorter than the 4-byte header, or an option
 * header cut by the end of the message), BAD_MSG_TYPE (not Advertise,
 * Reply or Reconfigure), OPTION_OVERRUN (a top-level option's length
 * runs past the message), BAD_OPTION (a known top-level option with a
 * length its format does not allow), IA_OVERRUN (an option inside an IA
 * or inside an IA Prefix / IA Address runs past its container; an
 * option header cut there too), BAD_IA_OPTION (a known option inside an
 * IA with a wrong length), BAD_PREFIX_LEN (an IA Prefix longer than
 * 128), BAD_DUID (a Server or Client Identifier of fewer than 3 or more
 * than NEP_DUID_MAX bytes), NO_SERVER_ID. Only the first IA_PD and the
 * first IA_NA are parsed inside; later ones are skipped whole. *m is
 * fully written either way (zeroed first).
 */
int nep_dhcp6_parse(const uint8_t *p, size_t len, struct nep_dhcp6_msg *m);

/* Stable name of an error ("ok" for 0, "unknown" out of range). */
const char *nep_dhcp6_err_name(int err);

/*
 * DUID-LLT (RFC 8415 11.2: type 1, hardware type 1 Ethernet, time in
 * seconds since 2000-01-01 UTC mod 2^32, MAC) into out, which must hold
 * NEP_DUID_LLT_LEN bytes. Returns NEP_DUID_LLT_LEN.
 */
uint16_t nep_dhcp6_duid_llt(
	uint8_t *out, const uint8_t mac[6], uint32_t time_since_2000);

#endif /* NEP_DHCP6_H */
