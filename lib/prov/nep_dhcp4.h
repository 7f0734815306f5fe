/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DHCPv4 client messages (RFC 2131, options RFC 2132), as a pure codec:
 * no EAL, no allocation, no state. IPv4 addresses are uint32_t in HOST
 * byte order.
 *
 * nep_dhcp4_build(): a client message (Discover, Request, Decline,
 * Release, Inform) as the UDP payload: the BOOTP header (op 1, htype 1,
 * hlen 6), the magic cookie, then options 53, 61, 50, 54, 12, 55, End,
 * zero-padded to at least 300 bytes (the BOOTP minimum RFC 2131 relays
 * and old servers expect).
 *
 * nep_dhcp4_parse(): a server message (Offer, Ack, Nak) into struct
 * nep_dhcp4_msg, or a negative NEP_DHCP4_E_* with a stable name
 * (nep_dhcp4_err_name()) meant as a drop counter name. Option Overload
 * (52) is handled: the file and then the sname field are parsed as
 * options when it says so (RFC 2131 4.1). Repeated instances of the
 * Router and DNS options are concatenated (RFC 3396), each still a
 * multiple of 4 bytes; other options: the first instance counts.
 */
#ifndef NEP_DHCP4_H
#define NEP_DHCP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEP_DHCP4_CLIENT_PORT 68
#define NEP_DHCP4_SERVER_PORT 67
#define NEP_DHCP4_MIN_LEN 300 /* what the builder pads to */
#define NEP_DHCP4_HDR_LEN 236 /* BOOTP fixed part, before the cookie */
#define NEP_DHCP4_MAGIC 0x63825363u
#define NEP_DHCP4_FLAG_BROADCAST 0x8000

/* DHCP Message Type values (RFC 2132 9.6). */
enum {
	NEP_DHCP4_DISCOVER = 1,
	NEP_DHCP4_OFFER,
	NEP_DHCP4_REQUEST,
	NEP_DHCP4_DECLINE,
	NEP_DHCP4_ACK,
	NEP_DHCP4_NAK,
	NEP_DHCP4_RELEASE,
	NEP_DHCP4_INFORM,
};

/* Option codes (RFC 2132). */
#define NEP_DHCP4_OPT_PAD 0
#define NEP_DHCP4_OPT_SUBNET_MASK 1
#define NEP_DHCP4_OPT_ROUTER 3
#define NEP_DHCP4_OPT_DNS 6
#define NEP_DHCP4_OPT_HOSTNAME 12
#define NEP_DHCP4_OPT_MTU 26
#define NEP_DHCP4_OPT_REQUESTED_IP 50
#define NEP_DHCP4_OPT_LEASE_TIME 51
#define NEP_DHCP4_OPT_OVERLOAD 52
#define NEP_DHCP4_OPT_MSG_TYPE 53
#define NEP_DHCP4_OPT_SERVER_ID 54
#define NEP_DHCP4_OPT_PARAM_REQ 55
#define NEP_DHCP4_OPT_T1 58
#define NEP_DHCP4_OPT_T2 59
#define NEP_DHCP4_OPT_CLIENT_ID 61
#define NEP_DHCP4_OPT_END 255

#define NEP_DHCP4_MAX_DNS 4

/* Errors (negative; 0 is success), each with a stable name. */
#define NEP_DHCP4_ERRS(X)                                                      \
	X(TRUNCATED, -1, "dhcp4_truncated")                                    \
	X(NOT_REPLY, -2, "dhcp4_not_bootreply")                                \
	X(BAD_MAGIC, -3, "dhcp4_bad_magic")                                    \
	X(OPTION_OVERRUN, -4, "dhcp4_option_overrun")                          \
	X(BAD_OPTION, -5, "dhcp4_bad_option")                                  \
	X(NO_MSG_TYPE, -6, "dhcp4_no_msg_type")                                \
	X(BAD_MSG_TYPE, -7, "dhcp4_bad_msg_type")                              \
	X(BUILD_NO_SPACE, -8, "dhcp4_build_no_space")                          \
	X(BUILD_BAD_REQUEST, -9, "dhcp4_build_bad_request")

enum nep_dhcp4_err {
#define NEP_DHCP4_ERR_ENUM(n, v, s) NEP_DHCP4_E_##n = v,
	NEP_DHCP4_ERRS(NEP_DHCP4_ERR_ENUM)
#undef NEP_DHCP4_ERR_ENUM
};
#define NEP_DHCP4_E_COUNT 9 /* the errors are -1 .. -NEP_DHCP4_E_COUNT */

/* A client message to build. */
struct nep_dhcp4_req {
	uint8_t type; /* DISCOVER, REQUEST, DECLINE, RELEASE or INFORM */
	uint32_t xid;
	uint16_t secs;
	bool broadcast; /* the BROADCAST flag (RFC 2131 4.1) */
	uint8_t chaddr[6];
	uint32_t ciaddr;       /* renew/rebind/release/inform: ours, else 0 */
	uint32_t requested_ip; /* option 50 when nonzero */
	uint32_t server_id;    /* option 54 when nonzero */
	const uint8_t *client_id; /* option 61 when non-NULL, 2..255 bytes */
	uint8_t client_id_len;
	const char *hostname; /* option 12 when non-NULL, 1..255 chars */
};

/*
 * Build a client message into buf. Returns its length (>= 300), or
 * NEP_DHCP4_E_BUILD_NO_SPACE, or NEP_DHCP4_E_BUILD_BAD_REQUEST (not a
 * client type, a client id or host name of a length option 61 / 12 does
 * not allow). The Parameter Request List (55) asks for subnet mask 1,
 * router 3, DNS 6, lease 51, T1 58, T2 59, MTU 26, in every type but
 * Decline and Release, where RFC 2131 table 5 forbids it.
 */
int nep_dhcp4_build(const struct nep_dhcp4_req *r, uint8_t *buf, size_t cap);

/* A parsed server message. */
struct nep_dhcp4_msg {
	uint8_t op, type; /* op is 2; type OFFER, ACK or NAK */
	uint32_t xid;
	uint16_t flags;
	uint8_t chaddr[6]; /* the first 6 bytes of chaddr */
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	bool has_server_id;
	uint32_t server_id;
	bool has_mask;
	uint32_t mask;
	bool has_router;
	uint32_t router;	      /* first router */
	uint32_t lease_s, t1_s, t2_s; /* 0 if absent */
	bool has_mtu;
	uint16_t mtu; /* only values >= 68 (RFC 2132 5.1) are kept */
	unsigned int n_dns;
	uint32_t dns[NEP_DHCP4_MAX_DNS];
};

/*
 * Parse a server message (UDP payload). Returns 0, or a negative
 * NEP_DHCP4_E_*: TRUNCATED (shorter than header + cookie), NOT_REPLY (op
 * is not BOOTREPLY), BAD_MAGIC, OPTION_OVERRUN (an option's length byte
 * or body past its field), BAD_OPTION (a known option with a length its
 * format does not allow, an overload value other than 1-3),
 * NO_MSG_TYPE, BAD_MSG_TYPE (not Offer, Ack or Nak). The options end at
 * End or at the end of their field (a missing End is tolerated). *m is
 * zeroed on error.
 */
int nep_dhcp4_parse(const uint8_t *p, size_t len, struct nep_dhcp4_msg *m);

/* Stable name of an error ("ok" for 0, "unknown" out of range). */
const char *nep_dhcp4_err_name(int err);

#endif /* NEP_DHCP4_H */
