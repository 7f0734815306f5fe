/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DHCPv6 (lib/prov): nep_dhcp6_parse() names every failure, zeroes its
 * result on one, never reads past the input (an exact heap copy), fails
 * whenever a reference walk of the top-level options does, and what it
 * accepts is within bounds (server message type, 24-bit xid, DUID
 * lengths, at most the array sizes, prefix lengths <= 128 with the bits
 * past them clear, preferred <= valid, T1 <= T2 or T2 0, printable
 * dotted domains); parsing is deterministic. nep_dhcp6_build() of a
 * request drawn from the same bytes writes within its capacity, fails
 * only for the documented reasons, and what it builds, turned into a
 * Reply, parses back to the request's identifiers and IAs. Input: the
 * server message; the request is read from the same bytes.
 */
#include <stdbool.h>

#include "fuzz.h"

#include "nep_dhcp6.h"

static bool
ref_walk(const uint8_t *p, size_t len)
{
	size_t off = 4;

	if (len < 4)
		return false;
	while (off < len) {
		if (len - off < 4)
			return false;
		off += 4u + fuzz_get16(p + off + 2);
		if (off > len)
			return false;
	}
	return true;
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
check_parse(const uint8_t *data, size_t size)
{
	static const struct nep_dhcp6_msg zero;
	struct nep_dhcp6_msg m, m2;
	uint8_t *p = fuzz_dup(data, size);
	int rc = nep_dhcp6_parse(p, size, &m);

	FUZZ_CHECK(rc <= 0 && rc >= -NEP_DHCP6_E_COUNT);
	FUZZ_CHECK(strcmp(nep_dhcp6_err_name(rc), "unknown") != 0);
	FUZZ_CHECK(nep_dhcp6_parse(p, size, &m2) == rc);
	FUZZ_CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
	free(p);
	if (rc != 0) {
		FUZZ_CHECK(memcmp(&m, &zero, sizeof(m)) == 0);
		return;
	}
	FUZZ_CHECK(ref_walk(data, size));
	FUZZ_CHECK(m.type == NEP_DHCP6_ADVERTISE || m.type == NEP_DHCP6_REPLY ||
		   m.type == NEP_DHCP6_RECONFIGURE);
	FUZZ_CHECK(m.type == data[0] && m.xid <= 0xffffff);
	FUZZ_CHECK(m.server_id_len >= 3 && m.server_id_len <= NEP_DUID_MAX);
	FUZZ_CHECK(m.client_id_len == 0 ||
		   (m.client_id_len >= 3 && m.client_id_len <= NEP_DUID_MAX));
	FUZZ_CHECK(m.sol_max_rt == 0 ||
		   (m.sol_max_rt >= 60 && m.sol_max_rt <= 86400));
	FUZZ_CHECK(m.n_prefixes <= NEP_DHCP6_MAX_IA_ITEMS);
	FUZZ_CHECK(m.n_addrs <= NEP_DHCP6_MAX_IA_ITEMS);
	FUZZ_CHECK(m.n_dns <= NEP_DHCP6_MAX_DNS);
	FUZZ_CHECK(m.n_domains <= NEP_DHCP6_MAX_DOMAINS);
	FUZZ_CHECK(m.has_pd || (m.n_prefixes == 0 && !m.pd_has_status));
	FUZZ_CHECK(m.has_na || (m.n_addrs == 0 && !m.na_has_status));
	if (m.has_pd)
		FUZZ_CHECK(m.pd_t1 <= m.pd_t2 || m.pd_t2 == 0);
	if (m.has_na)
		FUZZ_CHECK(m.na_t1 <= m.na_t2 || m.na_t2 == 0);
	for (unsigned int i = 0; i < m.n_prefixes; i++) {
		FUZZ_CHECK(m.prefixes[i].len <= 128);
		FUZZ_CHECK(masked(m.prefixes[i].prefix, m.prefixes[i].len));
		FUZZ_CHECK(m.prefixes[i].preferred <= m.prefixes[i].valid);
	}
	for (unsigned int i = 0; i < m.n_addrs; i++)
		FUZZ_CHECK(m.addrs[i].preferred <= m.addrs[i].valid);
	for (unsigned int i = 0; i < m.n_domains; i++)
		FUZZ_CHECK(name_ok(m.domains[i]));
}

static const uint8_t client_types[] = {NEP_DHCP6_SOLICIT, NEP_DHCP6_REQUEST,
	NEP_DHCP6_CONFIRM, NEP_DHCP6_RENEW, NEP_DHCP6_REBIND, NEP_DHCP6_RELEASE,
	NEP_DHCP6_DECLINE, NEP_DHCP6_INFO_REQUEST};

/* Whether RFC 8415 (as nep_dhcp6.h documents it) allows the request. */
static bool
allowed(const struct nep_dhcp6_req *r)
{
	bool sid = r->type == NEP_DHCP6_REQUEST || r->type == NEP_DHCP6_RENEW ||
		   r->type == NEP_DHCP6_RELEASE || r->type == NEP_DHCP6_DECLINE;
	bool pd = r->type != NEP_DHCP6_CONFIRM &&
		  r->type != NEP_DHCP6_DECLINE &&
		  r->type != NEP_DHCP6_INFO_REQUEST;
	bool na = r->type != NEP_DHCP6_INFO_REQUEST;

	if (r->duid_len == 0 || r->duid_len > NEP_DUID_MAX)
		return false;
	if (sid != (r->server_id != NULL))
		return false;
	if (r->server_id != NULL &&
		(r->server_id_len == 0 || r->server_id_len > NEP_DUID_MAX))
		return false;
	if (r->rapid_commit && r->type != NEP_DHCP6_SOLICIT)
		return false;
	if ((r->want_pd && !pd) || (r->want_na && !na))
		return false;
	if (r->want_pd &&
		(r->pd_hint_len > 128 || (r->pd_have && r->pd.len > 128)))
		return false;
	return true;
}

static void
check_build(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t duid[NEP_DUID_MAX + 8], sid[NEP_DUID_MAX + 8], ctl, ctl2;
	struct nep_dhcp6_req r;
	struct nep_dhcp6_msg m;
	uint8_t *buf, big[1024];
	size_t cap;
	int rc, full;

	memset(&r, 0, sizeof(r));
	ctl = fuzz_u8(&in);
	ctl2 = fuzz_u8(&in);
	r.type = client_types[ctl % 8];
	r.xid = fuzz_u32(&in);
	r.duid_len = fuzz_u8(&in) % (NEP_DUID_MAX + 4);
	fuzz_bytes(&in, duid, r.duid_len);
	r.duid = duid;
	if (ctl & 0x08) {
		r.server_id_len = fuzz_u8(&in) % (NEP_DUID_MAX + 4);
		fuzz_bytes(&in, sid, r.server_id_len);
		r.server_id = sid;
	}
	r.elapsed_cs = fuzz_u16(&in);
	r.rapid_commit = ctl & 0x10;
	r.want_pd = ctl & 0x20;
	r.pd_iaid = fuzz_u32(&in);
	r.pd_hint_len = fuzz_u8(&in) % 140;
	r.pd_have = ctl & 0x40;
	fuzz_bytes(&in, r.pd.prefix, 16);
	r.pd.len = fuzz_u8(&in) % 140;
	r.want_na = ctl & 0x80;
	r.na_iaid = fuzz_u32(&in);
	r.na_have = ctl2 & 1;
	fuzz_bytes(&in, r.na.addr, 16);
	r.want_dns = ctl2 & 2;
	cap = fuzz_u16(&in) % 700;

	full = nep_dhcp6_build(&r, big, sizeof(big));
	if (!allowed(&r)) {
		FUZZ_CHECK(full == NEP_DHCP6_E_BUILD_BAD_REQUEST);
		return;
	}
	FUZZ_CHECK(full > 0 && (size_t)full <= sizeof(big));
	/* An exact-size block: ASan catches a write past cap. */
	buf = malloc(cap ? cap : 1);
	if (buf == NULL)
		abort();
	rc = nep_dhcp6_build(&r, buf, cap);
	if ((size_t)full > cap) {
		FUZZ_CHECK(rc == NEP_DHCP6_E_BUILD_NO_SPACE);
	} else {
		FUZZ_CHECK(rc == full && memcmp(buf, big, (size_t)rc) == 0);
	}
	free(buf);

	FUZZ_CHECK(big[0] == r.type);
	big[0] = NEP_DHCP6_REPLY;
	rc = nep_dhcp6_parse(big, (size_t)full, &m);
	if (r.server_id == NULL) {
		FUZZ_CHECK(rc == NEP_DHCP6_E_NO_SERVER_ID ||
			   (rc == NEP_DHCP6_E_BAD_DUID && r.duid_len < 3));
		return;
	}
	if (r.duid_len < 3 || r.server_id_len < 3) {
		FUZZ_CHECK(rc == NEP_DHCP6_E_BAD_DUID);
		return;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(m.xid == (r.xid & 0xffffff));
	FUZZ_CHECK(m.client_id_len == r.duid_len &&
		   memcmp(m.client_id, duid, r.duid_len) == 0);
	FUZZ_CHECK(m.server_id_len == r.server_id_len &&
		   memcmp(m.server_id, sid, r.server_id_len) == 0);
	FUZZ_CHECK(m.rapid_commit == r.rapid_commit);
	FUZZ_CHECK(m.has_pd == r.want_pd && m.has_na == r.want_na);
	if (r.want_pd) {
		uint8_t want_len = r.pd_have ? r.pd.len : r.pd_hint_len;

		FUZZ_CHECK(
			m.pd_iaid == r.pd_iaid && m.pd_t1 == 0 && m.pd_t2 == 0);
		FUZZ_CHECK(m.n_prefixes == (r.pd_have || r.pd_hint_len));
		if (m.n_prefixes) {
			FUZZ_CHECK(m.prefixes[0].len == want_len);
			FUZZ_CHECK(m.prefixes[0].valid == 0 &&
				   m.prefixes[0].preferred == 0);
			if (!r.pd_have)
				FUZZ_CHECK(masked(m.prefixes[0].prefix, 0));
		}
	}
	if (r.want_na) {
		FUZZ_CHECK(m.na_iaid == r.na_iaid);
		FUZZ_CHECK(m.n_addrs == r.na_have);
		if (r.na_have)
			FUZZ_CHECK(memcmp(m.addrs[0].addr, r.na.addr, 16) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	check_parse(data, size);
	check_build(data, size);
	return 0;
}
