/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Router Advertisements and Solicitations (lib/prov): nep_ra_parse()
 * and nep_rs_parse() name every failure, fail exactly when a reference
 * walk of RFC 4861 4.6 options does (for the header checks and option
 * walk; a bad known option on top), zero their results on one and never
 * read past the input (an exact heap copy); an accepted RA is within
 * bounds (array counts, prefix lengths <= 128 with the bits past them
 * clear, prf never the reserved 2, printable dotted names) and
 * nep_ra_build() of it gives an RA that parses to the same struct, one
 * byte less room giving ra_build_no_space. Input: the ICMPv6 message.
 */
#include <stdbool.h>

#include "fuzz.h"

#include "nep_ra.h"

/* 0 when the options of p[off..len) walk cleanly, else the error. */
static int
ref_walk(const uint8_t *p, size_t len, size_t off)
{
	while (off < len) {
		if (len - off < 2)
			return NEP_RA_E_TRUNCATED;
		if (p[off + 1] == 0)
			return NEP_RA_E_ZERO_LEN_OPTION;
		if (8u * p[off + 1] > len - off)
			return NEP_RA_E_OPTION_OVERRUN;
		off += 8u * p[off + 1];
	}
	return 0;
}

static bool
name_ok(const char *s)
{
	size_t n = strnlen(s, NEP_PROV_NAME_MAX);

	if (n == 0 || n >= NEP_PROV_NAME_MAX || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

static bool
masked(const uint8_t *a, uint8_t len)
{
	for (unsigned int b = len; b < 128; b++)
		if (a[b / 8] & (0x80 >> (b % 8)))
			return false;
	return true;
}

static void
check_ra(const uint8_t *data, size_t size)
{
	static const struct nep_ra zero;
	struct nep_ra ra, ra2, back;
	uint8_t *p = fuzz_dup(data, size), *buf;
	int rc = nep_ra_parse(p, size, &ra), ref, n;

	FUZZ_CHECK(rc <= 0 && rc >= -NEP_RA_E_COUNT);
	FUZZ_CHECK(strcmp(nep_ra_err_name(rc), "unknown") != 0);
	FUZZ_CHECK(nep_ra_parse(p, size, &ra2) == rc);
	FUZZ_CHECK(memcmp(&ra, &ra2, sizeof(ra)) == 0);
	free(p);
	if (size < NEP_RA_HDR_LEN)
		ref = NEP_RA_E_TRUNCATED;
	else if (data[0] != NEP_ICMP6_RA)
		ref = NEP_RA_E_BAD_TYPE;
	else if (data[1] != 0)
		ref = NEP_RA_E_BAD_CODE;
	else
		ref = ref_walk(data, size, NEP_RA_HDR_LEN);
	/* A walk error is the parser's unless a known option failed first. */
	if (ref != 0)
		FUZZ_CHECK(rc == ref || rc == NEP_RA_E_BAD_OPTION ||
			   rc == NEP_RA_E_BAD_PREFIX_LEN);
	else
		FUZZ_CHECK(rc == 0 || rc == NEP_RA_E_BAD_OPTION ||
			   rc == NEP_RA_E_BAD_PREFIX_LEN);
	if (rc != 0) {
		FUZZ_CHECK(memcmp(&ra, &zero, sizeof(ra)) == 0);
		return;
	}
	FUZZ_CHECK(ra.prf != NEP_RA_PRF_RESERVED && ra.prf <= 3);
	FUZZ_CHECK(ra.n_prefixes <= NEP_RA_MAX_PREFIXES);
	FUZZ_CHECK(ra.n_rdnss <= NEP_RA_MAX_RDNSS);
	FUZZ_CHECK(ra.n_dnssl <= NEP_RA_MAX_DNSSL);
	for (unsigned int i = 0; i < ra.n_prefixes; i++)
		FUZZ_CHECK(ra.prefixes[i].len <= 128 &&
			   masked(ra.prefixes[i].prefix, ra.prefixes[i].len));
	for (unsigned int i = 0; i < ra.n_dnssl; i++)
		FUZZ_CHECK(name_ok(ra.dnssl[i]));

	/* Build it again: the same struct comes back. */
	buf = malloc(2048);
	if (buf == NULL)
		abort();
	n = nep_ra_build(&ra, buf, 2048);
	FUZZ_CHECK(n >= NEP_RA_HDR_LEN && n % 8 == 0);
	FUZZ_CHECK(nep_ra_parse(buf, (size_t)n, &back) == 0);
	/* A DNSSL whose names were all skipped kept its lifetime only. */
	if (ra.n_dnssl == 0)
		ra.dnssl_lifetime = 0;
	FUZZ_CHECK(memcmp(&ra, &back, sizeof(ra)) == 0);
	FUZZ_CHECK(nep_ra_build(&ra, buf, (size_t)n - 1) ==
		   NEP_RA_E_BUILD_NO_SPACE);
	free(buf);
}

static void
check_rs(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_dup(data, size), mac[6];
	bool has;
	int rc = nep_rs_parse(p, size, &has, mac), ref;

	free(p);
	if (size < NEP_RS_HDR_LEN)
		ref = NEP_RA_E_TRUNCATED;
	else if (data[0] != NEP_ICMP6_RS)
		ref = NEP_RA_E_BAD_TYPE;
	else if (data[1] != 0)
		ref = NEP_RA_E_BAD_CODE;
	else
		ref = ref_walk(data, size, NEP_RS_HDR_LEN);
	FUZZ_CHECK(rc == ref);
	if (rc != 0) {
		static const uint8_t z[6];

		FUZZ_CHECK(!has && memcmp(mac, z, 6) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	check_ra(data, size);
	check_rs(data, size);
	return 0;
}
