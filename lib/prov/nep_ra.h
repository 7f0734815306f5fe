/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMPv6 Router Advertisement and Router Solicitation (RFC 4861 4.1,
 * 4.2, 4.6; Router Preference RFC 4191 2.2; RDNSS and DNSSL RFC 8106),
 * as a pure codec: no EAL, no allocation, no state.
 *
 * Buffers hold the ICMPv6 message only, from its Type byte on. The
 * caller adds the IPv6 header and the checksum (built messages carry 0),
 * and checks what the IPv6 header decides: hop limit 255, a link-local
 * source, the checksum (RFC 4861 6.1.2).
 *
 * The parser reports what is on the wire; SLAAC's rules on a Prefix
 * Information option (RFC 4862 5.5.3: link-local prefix, preferred >
 * valid, length) are the caller's. Errors are negative NEP_RA_E_* with
 * stable names (nep_ra_err_name()), meant as drop counter names.
 */
#ifndef NEP_RA_H
#define NEP_RA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEP_ICMP6_RS 133
#define NEP_ICMP6_RA 134

/* Option types (RFC 4861 4.6, RFC 8106 5). */
#define NEP_ND_OPT_SLLAO 1
#define NEP_ND_OPT_PREFIX_INFO 3
#define NEP_ND_OPT_MTU 5
#define NEP_ND_OPT_RDNSS 25
#define NEP_ND_OPT_DNSSL 31

/* RA flags byte. */
#define NEP_RA_FLAG_MANAGED 0x80
#define NEP_RA_FLAG_OTHER 0x40
#define NEP_RA_PRF_SHIFT 3 /* 2 bits: 01 high, 00 medium, 11 low */
#define NEP_RA_PRF_HIGH 1
#define NEP_RA_PRF_MEDIUM 0
#define NEP_RA_PRF_RESERVED 2
#define NEP_RA_PRF_LOW 3
/* Prefix Information flags. */
#define NEP_RA_PI_ONLINK 0x80
#define NEP_RA_PI_AUTONOMOUS 0x40

#define NEP_RA_HDR_LEN 16
#define NEP_RS_HDR_LEN 8
#define NEP_RA_MAX_PREFIXES 8
#define NEP_RA_MAX_RDNSS 4
#define NEP_RA_MAX_DNSSL 4
#ifndef NEP_PROV_NAME_MAX
#define NEP_PROV_NAME_MAX 64 /* a dotted name and its NUL */
#endif

#define NEP_RA_ERRS(X)                                                         \
	X(TRUNCATED, -1, "ra_truncated")                                       \
	X(BAD_TYPE, -2, "ra_bad_type")                                         \
	X(BAD_CODE, -3, "ra_bad_code")                                         \
	X(ZERO_LEN_OPTION, -4, "ra_zero_length_option")                        \
	X(OPTION_OVERRUN, -5, "ra_option_overrun")                             \
	X(BAD_OPTION, -6, "ra_bad_option")                                     \
	X(BAD_PREFIX_LEN, -7, "ra_bad_prefix_len")                             \
	X(BUILD_NO_SPACE, -8, "ra_build_no_space")                             \
	X(BUILD_BAD_REQUEST, -9, "ra_build_bad_request")

enum nep_ra_err {
#define NEP_RA_ERR_ENUM(n, v, s) NEP_RA_E_##n = v,
	NEP_RA_ERRS(NEP_RA_ERR_ENUM)
#undef NEP_RA_ERR_ENUM
};
#define NEP_RA_E_COUNT 9 /* the errors are -1 .. -NEP_RA_E_COUNT */

struct nep_ra_prefix {
	uint8_t prefix[16]; /* bits past len are zero (parse clears them) */
	uint8_t len;
	bool onlink, autonomous;
	uint32_t valid, preferred;
};

struct nep_ra {
	uint8_t cur_hop_limit;
	bool managed, other;
	/* RFC 4191 Router Preference, the raw 2 bits (NEP_RA_PRF_*). The
	 * parser reports the reserved value 2 as 0 (medium), as RFC 4191
	 * 2.2 says receivers treat it; the builder refuses it. */
	uint8_t prf;
	uint16_t router_lifetime; /* seconds */
	uint32_t reachable_ms, retrans_ms;
	bool has_sllao;
	uint8_t sllao[6];
	bool has_mtu;
	uint32_t mtu;
	/* Prefix Information options, the first NEP_RA_MAX_PREFIXES. */
	unsigned int n_prefixes;
	struct nep_ra_prefix prefixes[NEP_RA_MAX_PREFIXES];
	/* RDNSS: the addresses of every RDNSS option (the first
	 * NEP_RA_MAX_RDNSS); the lifetime is the smallest of theirs. The
	 * builder writes one option. */
	uint32_t rdnss_lifetime;
	unsigned int n_rdnss;
	uint8_t rdnss[NEP_RA_MAX_RDNSS][16];
	/* DNSSL likewise, dotted names without the trailing dot. A name
	 * too long for NEP_PROV_NAME_MAX or with a byte outside printable
	 * ASCII is skipped; a broken encoding ends that option's list. */
	uint32_t dnssl_lifetime;
	unsigned int n_dnssl;
	char dnssl[NEP_RA_MAX_DNSSL][NEP_PROV_NAME_MAX];
};

/*
 * Build a Router Advertisement (type 134, code 0, checksum 0): the
 * header, then SLLAO, MTU, the prefixes, one RDNSS and one DNSSL
 * option, each only when present. Returns the ICMPv6 length, or
 * NEP_RA_E_BUILD_NO_SPACE, or NEP_RA_E_BUILD_BAD_REQUEST (counts past
 * the arrays, a prefix longer than 128, prf 2, a DNSSL name that does
 * not encode: empty label, label over 63, name over 253).
 */
int nep_ra_build(const struct nep_ra *ra, uint8_t *buf, size_t cap);

/*
 * Parse a Router Advertisement from its ICMPv6 type byte. Returns 0, or
 * TRUNCATED (shorter than 16 bytes, or 1 byte left where an option
 * header should be), BAD_TYPE (not 134), BAD_CODE (not 0),
 * ZERO_LEN_OPTION (an option with length 0: RFC 4861 4.6 says discard
 * the packet), OPTION_OVERRUN (an option past the message), BAD_OPTION
 * (a known option of a wrong length: Prefix Information not 4 units,
 * MTU not 1, RDNSS under 3 units or of an even count, DNSSL under 2),
 * BAD_PREFIX_LEN (Prefix Information longer than 128). Unknown options
 * are skipped. *ra is zeroed on error.
 */
int nep_ra_parse(const uint8_t *p, size_t len, struct nep_ra *ra);

/*
 * Build a Router Solicitation (type 133, code 0, checksum 0, reserved
 * 0), with a Source Link-Layer Address option when sllao is not NULL
 * (RFC 4861 4.1: not when the source is the unspecified address).
 * Returns 8 or 16, or NEP_RA_E_BUILD_NO_SPACE.
 */
int nep_rs_build(const uint8_t *sllao, uint8_t *buf, size_t cap);

/*
 * Parse a Router Solicitation (for the LAN side): type 133, code 0,
 * options checked as for an RA; *has_sllao and sllao[] report its
 * SLLAO. Returns 0 or one of the NEP_RA_E_* codes above (BAD_TYPE for a
 * type other than 133).
 */
int nep_rs_parse(
	const uint8_t *p, size_t len, bool *has_sllao, uint8_t sllao[6]);

/* Stable name of an error ("ok" for 0, "unknown" out of range). */
const char *nep_ra_err_name(int err);

#endif /* NEP_RA_H */
