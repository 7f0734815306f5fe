/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT44 (lib/nat44). Translations: on a packet whose checksums the
 * harness made right, SNAT/DNAT leave the IPv4 header checksum and the
 * TCP/UDP/ICMP checksum exactly what a full recomputation gives (a zero
 * UDP checksum stays zero, a computed zero is 0xffff); only the address,
 * port and checksum fields change; anything refused is left untouched. ICMP
 * errors: what parses lies inside the packet; the rewrite keeps the outer
 * header, the ICMP message, the quoted header and (when wholly quoted) the
 * quoted L4 checksum right, and writes the addresses and port asked for. Input:
 * a control byte, an address and a port, then an IPv4 packet.
 */
#include "fuzz.h"

#include "nep_nat44.h"

/* Full L4 checksum of the TCP/UDP segment or ICMP message at l4. */
static uint16_t
l4_sum(const uint8_t *ip, const uint8_t *l4, uint32_t l4len, uint8_t proto)
{
	uint32_t ps = 0;

	if (proto == NEP_NAT44_PROTO_ICMP)
		return fuzz_cksum(l4, l4len, 2, 0);
	ps = fuzz_sum16(ip + 12, 8, 0) + proto + l4len;
	return fuzz_cksum(l4, l4len, proto == NEP_NAT44_PROTO_TCP ? 16 : 6, ps);
}

/* What a sender writes: UDP sends a computed zero as 0xffff (RFC 768). */
static uint16_t
l4_wire(const uint8_t *ip, const uint8_t *l4, uint32_t l4len, uint8_t proto)
{
	uint16_t c = l4_sum(ip, l4, l4len, proto);

	return proto == NEP_NAT44_PROTO_UDP && c == 0 ? 0xffff : c;
}

static unsigned
l4_ck_off(uint8_t proto)
{
	return proto == NEP_NAT44_PROTO_TCP   ? 16
	       : proto == NEP_NAT44_PROTO_UDP ? 6
					      : 2;
}

static void
check_xlat(uint8_t *p, uint32_t len, bool fix, bool in_dir, uint32_t addr,
	uint16_t port)
{
	struct nep_nat44_pkt pk;
	enum nep_nat44_rc rc;
	uint8_t *orig;
	uint32_t ihl = (p[0] & 15) * 4u, na = rte_cpu_to_be_32(addr), cko = 0;
	uint16_t np = rte_cpu_to_be_16(port);
	bool l4_fixed = false, udp0 = false;

	rc = nep_nat44_parse(p, len, &pk);
	if (fix && len >= 20 && ihl >= 20 && ihl <= len)
		fuzz_put16(p + 10, fuzz_cksum(p, ihl, 10, 0));
	if (fix && rc == NEP_NAT44_OK && !pk.first_frag) {
		uint8_t *l4 = p + pk.l4_off;

		cko = l4_ck_off(pk.t.proto);
		/* Odd lengths keep a zero UDP checksum (none) as it is. */
		udp0 = pk.t.proto == NEP_NAT44_PROTO_UDP &&
		       (l4[6] | l4[7]) == 0 && (len & 1);
		if (!udp0) {
			fuzz_put16(l4 + cko,
				l4_wire(p, l4, pk.l4_len, pk.t.proto));
			l4_fixed = true;
		}
	}
	orig = fuzz_dup(p, len);
	rc = in_dir ? nep_nat44_dnat(p, len, addr, port)
		    : nep_nat44_snat(p, len, addr, port);
	if (rc != NEP_NAT44_OK) {
		FUZZ_CHECK(memcmp(p, orig, len) == 0);
		free(orig);
		return;
	}
	FUZZ_CHECK(memcmp(p + (in_dir ? 16 : 12), &na, 4) == 0);
	if (fix)
		FUZZ_CHECK(fuzz_get16(p + 10) == fuzz_cksum(p, ihl, 10, 0));
	if (pk.t.proto == NEP_NAT44_PROTO_ICMP)
		FUZZ_CHECK(memcmp(p + pk.l4_off + 4, &np, 2) == 0);
	else
		FUZZ_CHECK(
			memcmp(p + pk.l4_off + (in_dir ? 2 : 0), &np, 2) == 0);
	if (l4_fixed) {
		const uint8_t *l4 = p + pk.l4_off;
		uint16_t got = fuzz_get16(l4 + cko);
		uint16_t want = l4_sum(p, l4, pk.l4_len, pk.t.proto);

		if (pk.t.proto == NEP_NAT44_PROTO_TCP)
			FUZZ_CHECK(got == want);
		else if (pk.t.proto == NEP_NAT44_PROTO_UDP)
			FUZZ_CHECK(fuzz_get16(orig + pk.l4_off + 6) == 0
					   ? got == 0
					   : got == (want ? want : 0xffff));
		else /* ICMP: exact too (0xffff for an all-zero message) */
			FUZZ_CHECK(got == want);
	}
	/* Nothing but the address, the port and the checksums moved. */
	memcpy(orig + 10, p + 10, 2);
	memcpy(orig + (in_dir ? 16 : 12), p + (in_dir ? 16 : 12), 4);
	if (pk.t.proto == NEP_NAT44_PROTO_ICMP) {
		memcpy(orig + pk.l4_off + 2, p + pk.l4_off + 2, 4);
	} else {
		memcpy(orig + pk.l4_off + (in_dir ? 2 : 0),
			p + pk.l4_off + (in_dir ? 2 : 0), 2);
		memcpy(orig + pk.l4_off + l4_ck_off(pk.t.proto),
			p + pk.l4_off + l4_ck_off(pk.t.proto), 2);
	}
	FUZZ_CHECK(memcmp(p, orig, len) == 0);
	free(orig);
}

static void
check_err(uint8_t *p, uint32_t len, bool fix, bool in_dir, uint32_t outer,
	uint32_t addr, uint16_t port)
{
	struct nep_nat44_icmp_err e, e2;
	enum nep_nat44_rc rc;
	uint8_t *orig, *in, *l4;
	uint32_t ihl2, qlen, itot;
	bool inner_full = false;

	rc = nep_nat44_icmp_err_parse(p, len, &e);
	if (rc != NEP_NAT44_OK) {
		orig = fuzz_dup(p, len);
		FUZZ_CHECK(nep_nat44_icmp_err_rewrite(p, len,
				   in_dir ? NEP_NAT44_IN : NEP_NAT44_OUT, outer,
				   addr, port) == rc);
		FUZZ_CHECK(memcmp(p, orig, len) == 0);
		free(orig);
		return;
	}
	FUZZ_CHECK(
		e.icmp_off >= 20 && e.icmp_off + (uint32_t)e.icmp_len <= len);
	FUZZ_CHECK(e.inner_off == e.icmp_off + 8);
	FUZZ_CHECK(e.inner_l4_off >= e.inner_off + 20);
	FUZZ_CHECK(e.inner_l4_len >= 8 &&
		   e.inner_l4_off + (uint32_t)e.inner_l4_len ==
			   e.icmp_off + (uint32_t)e.icmp_len);
	FUZZ_CHECK(nep_nat44_icmp_is_error(e.type));
	in = p + e.inner_off;
	l4 = p + e.inner_l4_off;
	ihl2 = e.inner_l4_off - e.inner_off;
	qlen = e.icmp_len - 8;
	itot = fuzz_get16(in + 2);
	if (fix) {
		/* Right checksums everywhere, inside first. */
		fuzz_put16(p + 10, fuzz_cksum(p, e.icmp_off, 10, 0));
		fuzz_put16(in + 10, fuzz_cksum(in, ihl2, 10, 0));
		if (itot == qlen && e.inner.proto != NEP_NAT44_PROTO_ICMP &&
			e.inner_l4_len >= (e.inner.proto == 6 ? 18u : 8u)) {
			unsigned o = l4_ck_off(e.inner.proto);

			if (!(e.inner.proto == 17 && (l4[6] | l4[7]) == 0)) {
				fuzz_put16(
					l4 + o, l4_wire(in, l4, e.inner_l4_len,
							e.inner.proto));
				inner_full = true;
			}
		} else if (itot == qlen &&
			   e.inner.proto == NEP_NAT44_PROTO_ICMP) {
			fuzz_put16(
				l4 + 2, fuzz_cksum(l4, e.inner_l4_len, 2, 0));
			inner_full = true;
		}
		fuzz_put16(p + e.icmp_off + 2,
			fuzz_cksum(p + e.icmp_off, e.icmp_len, 2, 0));
		FUZZ_CHECK(nep_nat44_icmp_err_verify(p, &e) == NEP_NAT44_OK);
	}
	rc = nep_nat44_icmp_err_rewrite(p, len,
		in_dir ? NEP_NAT44_IN : NEP_NAT44_OUT, outer, addr, port);
	FUZZ_CHECK(rc == NEP_NAT44_OK);
	FUZZ_CHECK(nep_nat44_icmp_err_parse(p, len, &e2) == NEP_NAT44_OK);
	if (in_dir) {
		FUZZ_CHECK(e2.outer_dst == outer && e2.inner.src == addr &&
			   e2.inner.sport == port);
		FUZZ_CHECK(e2.outer_src == e.outer_src &&
			   e2.inner.dst == e.inner.dst);
	} else {
		FUZZ_CHECK(e2.outer_src == outer && e2.inner.dst == addr &&
			   e2.inner.dport == port);
		FUZZ_CHECK(e2.outer_dst == e.outer_dst &&
			   e2.inner.src == e.inner.src);
	}
	if (e.inner.proto == NEP_NAT44_PROTO_ICMP)
		FUZZ_CHECK(e2.inner.sport == port && e2.inner.dport == port);
	if (!fix)
		return;
	FUZZ_CHECK(fuzz_get16(p + 10) == fuzz_cksum(p, e.icmp_off, 10, 0));
	FUZZ_CHECK(fuzz_get16(in + 10) == fuzz_cksum(in, ihl2, 10, 0));
	if (!e.fragmented)
		FUZZ_CHECK(fuzz_fold(fuzz_sum16(
				   p + e.icmp_off, e.icmp_len, 0)) == 0xffff);
	FUZZ_CHECK(nep_nat44_icmp_err_verify(p, &e2) == NEP_NAT44_OK);
	if (inner_full) {
		if (e.inner.proto == NEP_NAT44_PROTO_ICMP)
			FUZZ_CHECK(fuzz_get16(l4 + 2) ==
				   fuzz_cksum(l4, e.inner_l4_len, 2, 0));
		else
			FUZZ_CHECK(
				fuzz_get16(l4 + l4_ck_off(e.inner.proto)) ==
				l4_wire(in, l4, e.inner_l4_len, e.inner.proto));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t ctl = fuzz_u8(&in);
	uint32_t addr = fuzz_u32(&in), outer = fuzz_u32(&in);
	uint16_t port = fuzz_u16(&in);
	uint8_t *p;

	if (in.n > 2048)
		return 0;
	p = fuzz_dup(in.p, in.n);
	if (ctl & 4)
		check_err(
			p, (uint32_t)in.n, ctl & 1, ctl & 2, outer, addr, port);
	else
		check_xlat(p, (uint32_t)in.n, ctl & 1, ctl & 2, addr, port);
	free(p);
	return 0;
}
