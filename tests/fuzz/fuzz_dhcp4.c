/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DHCPv4 (lib/prov): nep_dhcp4_parse() names every failure, zeroes its
 * result on one, never reads past the input (an exact heap copy), and
 * what it accepts is a BOOTREPLY with the magic cookie, of a server
 * type, whose header fields are the input's and whose lists are within
 * bounds; parsing is deterministic. nep_dhcp4_build() of a request drawn
 * from the same bytes writes within its capacity, fails only for the
 * documented reasons, gives at least 300 bytes ending its options with
 * End, and turned into an Ack parses back to the request's header and
 * Server Identifier. Input: the server message; the request is read
 * from the same bytes.
 */
#include <stdbool.h>

#include "fuzz.h"

#include "nep_dhcp4.h"

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)fuzz_get16(p) << 16 | fuzz_get16(p + 2);
}

static void
check_parse(const uint8_t *data, size_t size)
{
	static const struct nep_dhcp4_msg zero;
	struct nep_dhcp4_msg m, m2;
	uint8_t *p = fuzz_dup(data, size);
	int rc = nep_dhcp4_parse(p, size, &m);

	FUZZ_CHECK(rc <= 0 && rc >= -NEP_DHCP4_E_COUNT);
	FUZZ_CHECK(strcmp(nep_dhcp4_err_name(rc), "unknown") != 0);
	FUZZ_CHECK(nep_dhcp4_parse(p, size, &m2) == rc);
	FUZZ_CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
	free(p);
	if (rc != 0) {
		FUZZ_CHECK(memcmp(&m, &zero, sizeof(m)) == 0);
		if (size < 240)
			FUZZ_CHECK(rc == NEP_DHCP4_E_TRUNCATED);
		return;
	}
	FUZZ_CHECK(size >= 240 && data[0] == 2 && m.op == 2);
	FUZZ_CHECK(get32(data + 236) == NEP_DHCP4_MAGIC);
	FUZZ_CHECK(m.type == NEP_DHCP4_OFFER || m.type == NEP_DHCP4_ACK ||
		   m.type == NEP_DHCP4_NAK);
	FUZZ_CHECK(
		m.xid == get32(data + 4) && m.flags == fuzz_get16(data + 10));
	FUZZ_CHECK(
		m.ciaddr == get32(data + 12) && m.yiaddr == get32(data + 16) &&
		m.siaddr == get32(data + 20) && m.giaddr == get32(data + 24));
	FUZZ_CHECK(memcmp(m.chaddr, data + 28, 6) == 0);
	FUZZ_CHECK(m.n_dns <= NEP_DHCP4_MAX_DNS);
	FUZZ_CHECK(!m.has_mtu || m.mtu >= 68);
	FUZZ_CHECK(m.has_server_id || m.server_id == 0);
	FUZZ_CHECK(m.has_router || m.router == 0);
	FUZZ_CHECK(m.has_mask || m.mask == 0);
}

static const uint8_t client_types[] = {NEP_DHCP4_DISCOVER, NEP_DHCP4_REQUEST,
	NEP_DHCP4_DECLINE, NEP_DHCP4_RELEASE, NEP_DHCP4_INFORM};

static void
check_build(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t cid[256], *buf, big[1024], ctl, hl;
	char host[300];
	struct nep_dhcp4_req r;
	struct nep_dhcp4_msg m;
	bool bad = false;
	size_t cap, off;
	int rc, full;

	memset(&r, 0, sizeof(r));
	ctl = fuzz_u8(&in);
	r.type = (ctl & 0x80) ? fuzz_u8(&in) : client_types[ctl % 5];
	r.xid = fuzz_u32(&in);
	r.secs = fuzz_u16(&in);
	r.broadcast = ctl & 0x08;
	fuzz_bytes(&in, r.chaddr, 6);
	r.ciaddr = (ctl & 0x10) ? fuzz_u32(&in) : 0;
	r.requested_ip = (ctl & 0x20) ? fuzz_u32(&in) : 0;
	r.server_id = (ctl & 0x40) ? fuzz_u32(&in) : 0;
	if (fuzz_u8(&in) & 1) {
		r.client_id_len = fuzz_u8(&in);
		fuzz_bytes(&in, cid, r.client_id_len);
		r.client_id = cid;
		bad |= r.client_id_len < 2;
	}
	hl = fuzz_u8(&in);
	if (hl != 0) {
		/* 1..256 characters, NUL bytes from the input cut it. */
		size_t n = hl + (fuzz_u8(&in) & 1);

		fuzz_bytes(&in, host, n);
		host[n] = '\0';
		r.hostname = host;
		bad |= strlen(host) == 0 || strlen(host) > 255;
	}
	cap = fuzz_u16(&in) % 900;
	bad |= r.type != NEP_DHCP4_DISCOVER && r.type != NEP_DHCP4_REQUEST &&
	       r.type != NEP_DHCP4_DECLINE && r.type != NEP_DHCP4_RELEASE &&
	       r.type != NEP_DHCP4_INFORM;

	full = nep_dhcp4_build(&r, big, sizeof(big));
	if (bad) {
		FUZZ_CHECK(full == NEP_DHCP4_E_BUILD_BAD_REQUEST);
		return;
	}
	FUZZ_CHECK(full >= NEP_DHCP4_MIN_LEN && (size_t)full <= sizeof(big));
	buf = malloc(cap ? cap : 1);
	if (buf == NULL)
		abort();
	rc = nep_dhcp4_build(&r, buf, cap);
	if ((size_t)full > cap)
		FUZZ_CHECK(rc == NEP_DHCP4_E_BUILD_NO_SPACE);
	else
		FUZZ_CHECK(rc == full && memcmp(buf, big, (size_t)rc) == 0);
	free(buf);

	/* The options: a walk reaches End, zeros after it. */
	FUZZ_CHECK(big[0] == 1 && get32(big + 236) == NEP_DHCP4_MAGIC);
	FUZZ_CHECK(big[240] == 53 && big[241] == 1 && big[242] == r.type);
	for (off = 240; off < (size_t)full && big[off] != 255;)
		off += 2u + big[off + 1];
	FUZZ_CHECK(off < (size_t)full);
	for (size_t i = off + 1; i < (size_t)full; i++)
		FUZZ_CHECK(big[i] == 0);

	big[0] = 2;
	big[242] = NEP_DHCP4_ACK;
	FUZZ_CHECK(nep_dhcp4_parse(big, (size_t)full, &m) == 0);
	FUZZ_CHECK(m.xid == r.xid && m.ciaddr == r.ciaddr &&
		   memcmp(m.chaddr, r.chaddr, 6) == 0);
	FUZZ_CHECK(m.flags == (r.broadcast ? NEP_DHCP4_FLAG_BROADCAST : 0));
	FUZZ_CHECK(m.has_server_id == (r.server_id != 0) &&
		   m.server_id == r.server_id);
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
