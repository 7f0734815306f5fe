#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden vectors for tests/unit/test_stamp.c (lib/stamp), built with scapy.

scapy.contrib.stamp (RFC 8762 with RFC 8972's SSID and generic TLVs) is
the independent peer:

- Session-Sender packets are built by scapy's
  STAMPSessionSenderTestUnauthenticated from Python values; the C test
  parses them and checks every field against those same values, never
  against neptune's output;
- the expected Session-Reflector replies are built by scapy's
  STAMPSessionReflectorTestUnauthenticated from the request's fields and
  the reflector parameters the C test hands to nep_stamp_reflect(), with
  the TLVs answered as RFC 8972 says (scapy has only the generic TLV: the
  Class of Service / Timestamp Information / Direct Measurement values
  are packed here from their RFC 8972 bit layouts); the test compares
  neptune's reply with scapy's byte for byte. Each expected reply is also
  dissected back by scapy here and its fields asserted;
- NTP timestamps are scapy's own encoding (scapy.layers.ntp's
  TimeStampField, 32.32 fixed point), for values a double holds exactly
  (whole seconds + k/512 s); the rounding edges and the 2036 era wrap are
  computed below with integer arithmetic from RFC 5905's definition;
- scapy models the PTP timestamp as a plain 64-bit count (UTCTimeField,
  'Q'), so PTPv2 truncated values (32-bit seconds, 32-bit nanoseconds)
  are handed to it raw;
- scapy has no authenticated-mode classes: those packets are laid out
  here from RFC 8762 4.2.2 / 4.3.2 with struct, and the base HMAC is
  Python's hmac (HMAC-SHA-256 over bytes 0..95, truncated to 16 bytes);
- scapy has neither the HMAC TLV (RFC 8972 4.8) nor the Return Path TLV
  (RFC 9503 4): both are scapy's generic STAMPTestTLV (the Return Path's
  sub-TLVs too: they have the TLV header), with the HMAC TLV's value
  computed here with Python's hmac over the Sequence Number and the
  bytes of the TLVs before it, and the Return Path values packed here
  from RFC 9503's layouts;
- the expected answers follow RFC 8972 4 as written: the sender sends its
  TLVs with U set, the reflector clears the flags of what it answers,
  keeps U on what it does not know, sets M on the first malformed TLV and
  leaves it and all after it as they came, and on a failed HMAC TLV check
  sets I on every TLV and answers none (4.8).

Regenerate:
    /usr/bin/python3 tests/unit/gen_stamp_vectors.py > tests/unit/stamp_vectors.h
"""
import hashlib
import hmac
import struct

from scapy.contrib.stamp import (ErrorEstimate,
                                 STAMPSessionReflectorTestUnauthenticated,
                                 STAMPSessionSenderTestUnauthenticated,
                                 STAMPTestTLV)
from scapy.layers.inet import UDP
from scapy.packet import Raw

NTP_OFF = 2208988800
NS = 10**9
KEY = bytes(range(1, 33))
F_U, F_M, F_I = 0x80, 0x40, 0x20
# nep_stamp.h NEP_STAMP_RP_CAN_*
RP_LINK, RP_ADDR, RP_MPLS, RP_SRV6 = 1, 2, 4, 8


def c_bytes(name, b):
    out = [f"static const uint8_t {name}[{len(b)}] = {{"]
    for i in range(0, len(b), 12):
        out.append("\t" + ", ".join(f"0x{x:02x}" for x in b[i:i + 12]) +
                   ",")
    out.append("};")
    return "\n".join(out)


# ---- timestamps ----

def ntp_exact(unix_s, k512):
    """(float NTP seconds for scapy, unix ns) of unix_s + k512/512 s."""
    return unix_s + NTP_OFF + k512 / 512, unix_s * NS + k512 * 1953125


def ntp_raw_int(ns):
    """RFC 5905: 32-bit seconds since 1900, fraction in 2^-32 s; rounded."""
    sec, rem = divmod(ns, NS)
    frac = ((rem << 32) + NS // 2) // NS
    if frac >> 32:
        sec, frac = sec + 1, 0
    return ((sec + NTP_OFF) & 0xffffffff) << 32 | frac


def scapy_ntp_bytes(val):
    p = STAMPSessionSenderTestUnauthenticated(ts=val)
    return bytes(p)[4:12]


def ptp_raw(ns):
    return (ns // NS & 0xffffffff) << 32 | ns % NS


NTP_SCAPY = [(1700000000, 256), (1700000000, 0), (0, 1), (0, 511),
             (2085978495, 511), (1234567890, 128), (4000000000 - NTP_OFF, 3)]


def ts_vectors():
    out = ["struct stamp_ts_vec {", "\tuint64_t ns;", "\tuint64_t raw;",
           "\tbool to_ns_exact; /* raw -> ns gives ns back */", "};", ""]
    out.append("/* NTP: scapy's TimeStampField bytes (exact values). */")
    out.append("static const struct stamp_ts_vec stamp_ntp_scapy[] = {")
    for s, k in NTP_SCAPY:
        val, ns = ntp_exact(s, k)
        raw = int.from_bytes(scapy_ntp_bytes(val), "big")
        assert raw == ntp_raw_int(ns), (s, k)
        out.append(f"\t{{{ns}ull, 0x{raw:016x}ull, true}},")
    out.append("};")
    # Rounding edges, from the definition (integer arithmetic).
    edges = [1, 2, 499999999, 500000000, 999999999, 123456789,
             1700000000 * NS + 1, 2085978496 * NS - 1, 2085978496 * NS,
             2085978496 * NS + 500000000]
    out.append("/* NTP: rounding and the 2036 era wrap (RFC 5905). */")
    out.append("static const struct stamp_ts_vec stamp_ntp_edges[] = {")
    for ns in edges:
        raw = ntp_raw_int(ns)
        frac = raw & 0xffffffff
        back = (raw >> 32)
        back = back + (1 << 32) if not back & 0x80000000 else back
        back = (back - NTP_OFF) * NS + ((frac * NS + (1 << 31)) >> 32)
        out.append(f"\t{{{ns}ull, 0x{raw:016x}ull, {str(back == ns).lower()}}},")
    out.append("};")
    out.append("static const struct stamp_ts_vec stamp_ptp_vecs[] = {")
    for ns in [0, 1, 999999999, 1700000000 * NS + 123456789,
               (2**32 - 1) * NS + 999999999]:
        raw = ptp_raw(ns)
        p = STAMPSessionSenderTestUnauthenticated(
            err_estimate=ErrorEstimate(Z=1))
        p.ts = raw  # after err_estimate: scapy picks ts's type by Z
        b = bytes(p)[4:12]
        assert int.from_bytes(b, "big") == raw
        out.append(f"\t{{{ns}ull, 0x{raw:016x}ull, true}},")
    out.append("};")
    return "\n".join(out)


# ---- TLV values (RFC 8972 4.3, 4.4, 4.5; RFC 9503 4 bit layouts) ----

def cos_val(dscp1, dscp2=0, ecn=0, rp=0):
    """RFC 8972 4.4: DSCP1 6 | DSCP2 6 | ECN 2 | RP 2 | 16 reserved."""
    return struct.pack(">HH", dscp1 << 10 | dscp2 << 4 | ecn << 2 | rp, 0)


def hmac16(b):
    return hmac.new(KEY, b, hashlib.sha256).digest()[:16]


class T:
    """A TLV to lay out: value bytes, "auto" (an HMAC TLV's value computed
    over the Sequence Number and the TLVs before it, RFC 8972 4.8) or
    ("req", i) (the value request TLV i went out with)."""

    def __init__(self, t, value=b"", flags=F_U, length=None):
        self.t, self.value, self.flags, self.length = t, value, flags, length


def A(t, value=b"", flags=0, length=None):
    """An answered TLV: flags cleared unless told."""
    return T(t, value, flags, length)


def lay(seq, items, req_vals=None):
    """scapy TLV objects, their bytes, and the values used."""
    objs, raw, vals = [], b"", []
    for it in items:
        v = it.value
        if isinstance(v, str):
            v = hmac16(struct.pack(">I", seq) + raw)
        elif isinstance(v, tuple):
            v = req_vals[v[1]]
        o = STAMPTestTLV(flags=it.flags, type=it.t,
                         len=len(v) if it.length is None else it.length,
                         value=v)
        objs.append(o)
        raw += bytes(o)
        vals.append(v)
    return objs, raw, vals


def walk(raw):
    """RFC 8972 4: the TLV headers of raw and how the walk ends."""
    hdrs, off = [], 0
    while off < len(raw):
        if len(raw) - off < 4:
            return hdrs, "stamp_truncated"
        f, t = raw[off], raw[off + 1]
        n = int.from_bytes(raw[off + 2:off + 4], "big")
        hdrs.append((f, t, n))
        if n > len(raw) - off - 4:
            return hdrs, "stamp_bad_tlv"
        off += 4 + n
    return hdrs, "ok"


def sub(t, v, flags=0, length=None):
    """A Return Path sub-TLV (RFC 9503 4.1): the TLV header."""
    return bytes(STAMPTestTLV(flags=flags, type=t,
                              len=len(v) if length is None else length,
                              value=v))


def sid(i):
    return bytes.fromhex("20010db800000000000000000000") + struct.pack(">H", i)


def lse(label, s=0, ttl=255):
    return label << 12 | s << 8 | ttl


RP_CC, RP_ADDR4, RP_MPLS_T, RP_SRV6_T = 1, 2, 3, 4
V4 = bytes([192, 0, 2, 7])
V6 = bytes.fromhex("20010db8ffff00000000000000000042")


def udp_payload(pkt):
    """The STAMP bytes, through a UDP header so scapy sizes the TLVs."""
    return bytes(UDP(sport=50000, dport=862) / pkt)[8:]


def dissect_reply(b):
    """The base through UDP; the TLVs one by one with STAMPTestTLV.

    scapy's tlv_objects length_from reads pkt.parent, which is None when
    dissecting a packet with TLV bytes (it only works empty), so the TLVs
    are dissected separately.
    """
    u = UDP(bytes(UDP(sport=862, dport=50000) / Raw(b[:44])))
    tlvs, rest = [], b[44:]
    while len(rest) >= 4:
        t = STAMPTestTLV(rest)
        tlvs.append((int(t.flags), t.type, t.len))
        rest = rest[4 + t.len:]
    return u[STAMPSessionReflectorTestUnauthenticated], tlvs


# ---- cases ----

T1_NS = 1700000000 * NS + 250000000
T2_NS = 1700000000 * NS + 251953125
T3_NS = 1700000000 * NS + 253906250


def ntp_val(ns):
    assert ns % 1953125 == 0
    return (ns // NS) + NTP_OFF + (ns % NS) / NS


REF0 = dict(z=0, stateful=False, rseq=0, ttl=9, tos=0, tlvs=True,
            cos_allowed=True, s=0, scale=0, mult=1)


def ref(**kw):
    r = dict(REF0)
    r.update(kw)
    return r


def case(name, tlvs, ans, info=None, mode="unauth", rp=None, **kw):
    c = dict(name=name, mode=mode, seq=kw.pop("seq", 100), z=0, s=0,
             scale=0, mult=1, ssid=kw.pop("ssid", 1), tlvs=tlvs, ans=ans,
             ref=kw.pop("ref", ref()), rp=rp)
    c.update(kw)
    i = dict(cos=False, dscp=0, n_tlv=0, n_unk=0, n_mal=0, hmac=False,
             integ=False, has_rp=False, rp_used=False, no_reply=False)
    i.update(info or {})
    c["info"] = i
    return c


SRV6_3 = sub(RP_SRV6_T, sid(1) + sid(2) + sid(3))

CASES = [
    case("ntp_plain", [], [], seq=1, z=0, s=1, scale=3, mult=7, ssid=0x1234,
         ref=dict(z=0, stateful=False, rseq=0, ttl=61, tos=0, tlvs=True,
                  cos_allowed=True, s=1, scale=2, mult=9)),
    case("ptp_stateful", [], [], seq=0xfffffffe, z=1, s=0, scale=0, mult=1,
         ssid=7, ref=dict(z=1, stateful=True, rseq=41, ttl=255, tos=0xb8,
                          tlvs=True, cos_allowed=True, s=1, scale=63,
                          mult=255)),
    case("rfc8762_padding", None, None, seq=5, s=0, scale=1, mult=1, ssid=0,
         raw_tail=bytes(27),
         ref=dict(z=0, stateful=False, rseq=0, ttl=64, tos=0, tlvs=False,
                  cos_allowed=True, s=0, scale=0, mult=1)),
    case("all_tlvs",
         [T(1, bytes([0xa5]) * 20), T(3, bytes(4)), T(4, cos_val(46)),
          T(5, struct.pack(">III", 1000, 0, 0)), T(200, b"xyz"), T(1, b"")],
         [A(1, bytes([0xa5]) * 20), A(3, bytes([1, 1, 2, 2])),
          A(4, cos_val(46, 0x29 >> 2, 0x29 & 3, 0)),
          A(5, struct.pack(">III", 1000, 123456, 123455)),
          A(200, b"xyz", flags=F_U), A(1, b"")],
         dict(cos=True, dscp=46, n_tlv=6, n_unk=1),
         seq=77, s=1, scale=5, mult=2, ssid=0xbeef,
         ref=dict(z=0, stateful=True, rseq=900, ttl=58, tos=0x29, tlvs=True,
                  cos_allowed=True, s=1, scale=4, mult=3,
                  ts_info=(1, 1, 2, 2), rxc=123456, txc=123455)),
    # Every flag the sender (wrongly) set is cleared in the answer.
    case("cos_refused", [T(4, cos_val(46, 11, 3, 2), flags=0xe0)],
         [A(4, cos_val(46, 2, 2, 1))], dict(cos=True, dscp=2, n_tlv=1),
         seq=9, z=1, ssid=3,
         ref=ref(z=0, ttl=200, tos=0x0a, cos_allowed=False)),
    # The first malformed TLV gets M; the rest come back as they went.
    case("hostile_wrong_len",
         [T(4, bytes(6)), T(3, bytes(2)), T(5, bytes(13)), T(0, b""),
          T(3, bytes([9] * 6))],
         [A(4, bytes(6), flags=F_M), T(3, bytes(2)), T(5, bytes(13)),
          T(0, b""), T(3, bytes([9] * 6))],
         dict(n_tlv=1, n_mal=1), seq=10, ref=ref(ttl=1)),
    case("hostile_past_end", [T(3, bytes(4)), T(1, b"abc", length=100)],
         [A(3, bytes([5, 2, 5, 2])), A(1, b"abc", length=100, flags=F_M)],
         dict(n_tlv=2, n_mal=1), seq=11, ref=ref(ts_info=(5, 2, 5, 2))),
    case("hostile_stray_bytes", [T(1, b"\x01")], [A(1, b"\x01")],
         dict(n_tlv=1, n_mal=1), seq=12, raw_tail=b"\x00\x04",
         ans_tail=b"\x00\x04"),
    # A padding TLV whose value looks like TLVs claiming more room.
    case("hostile_nested_len",
         [T(1, bytes([0, 4, 0xff, 0xff, 0, 200, 0, 8])),
          T(0xff, bytes([0xff] * 4), length=0xffff)],
         [A(1, bytes([0, 4, 0xff, 0xff, 0, 200, 0, 8])),
          A(0xff, bytes([0xff] * 4), length=0xffff, flags=F_M)],
         dict(n_tlv=2, n_mal=1), seq=13),
    case("malformed_stops",
         [T(4, cos_val(10)), T(5, bytes(8)), T(4, cos_val(20)),
          T(200, b"ab")],
         [A(4, cos_val(10, 0x2b >> 2, 3, 0)), A(5, bytes(8), flags=F_M),
          T(4, cos_val(20)), T(200, b"ab")],
         dict(cos=True, dscp=10, n_tlv=2, n_mal=1), seq=14,
         ref=ref(tos=0x2b)),
    # ---- the HMAC TLV (RFC 8972 4.8) in unauthenticated mode ----
    # Unchecked (no hmac_tlv): a type the reflector does not answer.
    case("hmac_unchecked", [T(4, cos_val(12)), T(8, "auto")],
         [A(4, cos_val(12)), A(8, ("req", 1), flags=F_U)],
         dict(cos=True, dscp=12, n_tlv=2, n_unk=1), seq=20),
    case("hmac_unauth_ok", [T(4, cos_val(12)), T(8, "auto"), T(1, bytes(8))],
         [A(4, cos_val(12)), A(8, "auto"), A(1, bytes(8))],
         dict(cos=True, dscp=12, n_tlv=3, hmac=True), seq=21,
         ref=ref(hmac_tlv=True)),
    case("hmac_unauth_bad", [T(4, cos_val(12)), T(8, bytes([0x5a]) * 16)],
         [A(4, cos_val(12), flags=F_I), A(8, "auto", flags=F_I)],
         dict(n_tlv=2, integ=True), seq=22, ref=ref(hmac_tlv=True)),
    # Optional in unauthenticated mode: none is no failure.
    case("hmac_unauth_absent", [T(4, cos_val(12))], [A(4, cos_val(12))],
         dict(cos=True, dscp=12, n_tlv=1), seq=23, ref=ref(hmac_tlv=True)),
    # Only Extra Padding may follow it: a CoS after it is a failure.
    case("hmac_unauth_misplaced", [T(8, "auto"), T(4, cos_val(12))],
         [A(8, "auto", flags=F_I), A(4, cos_val(12), flags=F_I)],
         dict(n_tlv=2, integ=True), seq=24, ref=ref(hmac_tlv=True)),
    # ---- the Return Path TLV (RFC 9503 4) ----
    case("rp_srv6", [T(10, SRV6_3)], [A(10, SRV6_3)],
         dict(n_tlv=1, has_rp=True, rp_used=True), seq=30,
         ref=ref(rp_caps=RP_SRV6), rp=dict(sids=[sid(1), sid(2), sid(3)])),
    case("rp_addr_srv6",
         [T(10, sub(RP_ADDR4, V6) + sub(RP_SRV6_T, sid(9) + sid(10)))],
         [A(10, sub(RP_ADDR4, V6) + sub(RP_SRV6_T, sid(9) + sid(10)))],
         dict(n_tlv=1, has_rp=True, rp_used=True), seq=31,
         ref=ref(rp_caps=RP_ADDR | RP_SRV6),
         rp=dict(addr=V6, sids=[sid(9), sid(10)])),
    # Asks for what the caller cannot do: back with U.
    case("rp_addr_nocap", [T(10, sub(RP_ADDR4, V4))],
         [A(10, sub(RP_ADDR4, V4), flags=F_U)],
         dict(n_tlv=1, has_rp=True), seq=32,
         ref=ref(rp_caps=RP_SRV6 | RP_MPLS), rp=dict(addr=V4)),
    case("rp_cc_noreply", [T(10, sub(RP_CC, bytes(4)))],
         [A(10, sub(RP_CC, bytes(4)))],
         dict(n_tlv=1, has_rp=True, rp_used=True, no_reply=True), seq=33,
         rp=dict(cc=0)),
    # With a Control Code the other sub-TLVs are ignored (4.1.1).
    case("rp_cc_samelink",
         [T(10, sub(RP_CC, struct.pack(">I", 1)) + sub(RP_ADDR4, V4))],
         [A(10, sub(RP_CC, struct.pack(">I", 1)) + sub(RP_ADDR4, V4))],
         dict(n_tlv=1, has_rp=True, rp_used=True), seq=34,
         ref=ref(rp_caps=RP_LINK), rp=dict(cc=1, addr=V4)),
    case("rp_mpls_nocap",
         [T(10, sub(RP_MPLS_T, struct.pack(">II", lse(16001),
                                           lse(16002, 1))))],
         [A(10, sub(RP_MPLS_T, struct.pack(">II", lse(16001),
                                           lse(16002, 1))), flags=F_U)],
         dict(n_tlv=1, has_rp=True), seq=35, ref=ref(rp_caps=RP_SRV6),
         rp=dict(labels=[lse(16001), lse(16002, 1)])),
    # Nine SIDs: well-formed, more than the caller is given: U.
    case("rp_too_many",
         [T(10, sub(RP_SRV6_T, b"".join(sid(i) for i in range(9))))],
         [A(10, sub(RP_SRV6_T, b"".join(sid(i) for i in range(9))),
            flags=F_U)],
         dict(n_tlv=1, has_rp=True), seq=36, ref=ref(rp_caps=RP_SRV6),
         rp=dict()),
    # A segment list of 20 bytes is malformed: M, and the rest untouched.
    case("rp_malformed",
         [T(10, sub(RP_SRV6_T, bytes(20))), T(4, cos_val(8))],
         [A(10, sub(RP_SRV6_T, bytes(20)), flags=F_M), T(4, cos_val(8))],
         dict(n_tlv=1, n_mal=1), seq=37, ref=ref(rp_caps=RP_SRV6)),
    # Only the first Return Path TLV counts; the second is ignored: U,
    # whatever flags the sender put on it.
    case("rp_twice",
         [T(10, sub(RP_SRV6_T, sid(5))), T(10, sub(RP_ADDR4, V4), flags=F_M)],
         [A(10, sub(RP_SRV6_T, sid(5))), A(10, sub(RP_ADDR4, V4), flags=F_U)],
         dict(n_tlv=2, has_rp=True, rp_used=True), seq=38,
         ref=ref(rp_caps=RP_SRV6), rp=dict(sids=[sid(5)])),
    case("rp_unknown_sub", [T(10, sub(9, b"abcd"))],
         [A(10, sub(9, b"abcd"), flags=F_U)],
         dict(n_tlv=1, has_rp=True), seq=39, ref=ref(rp_caps=0x0f),
         rp=dict(n_unknown=1)),
    case("rp_empty", [T(10, b"")], [A(10, b"", flags=F_U)],
         dict(n_tlv=1, has_rp=True), seq=40, ref=ref(rp_caps=0x0f),
         rp=dict()),
    # Destination Node Address (RFC 9503 3): not answered here.
    case("dest_node", [T(9, V6)], [A(9, V6, flags=F_U)],
         dict(n_tlv=1, n_unk=1), seq=41),
    # ---- authenticated mode (RFC 8762 4.2.2, 4.3.2; RFC 8972 4.8) ----
    case("auth_cos", [T(4, cos_val(10)), T(8, "auto")],
         [A(4, cos_val(10, 46, 1, 0)), A(8, "auto")],
         dict(cos=True, dscp=10, n_tlv=2, hmac=True), mode="auth",
         seq=0x01020304, s=1, scale=3, mult=7, ssid=0x4242,
         ref=dict(z=0, stateful=True, rseq=555, ttl=60, tos=0xb9, tlvs=True,
                  cos_allowed=True, s=1, scale=2, mult=9)),
    case("auth_pad_after", [T(3, bytes(4)), T(8, "auto"), T(1, bytes(30))],
         [A(3, bytes([1, 2, 1, 2])), A(8, "auto"), A(1, bytes(30))],
         dict(n_tlv=3, hmac=True), mode="auth", seq=50,
         ref=ref(ts_info=(1, 2, 1, 2))),
    case("auth_no_hmac", [T(4, cos_val(10))],
         [A(4, cos_val(10), flags=F_I)], dict(n_tlv=1, integ=True),
         mode="auth", seq=51),
    # A single Extra Padding TLV needs no HMAC TLV.
    case("auth_only_pad", [T(1, bytes(12))], [A(1, bytes(12))],
         dict(n_tlv=1), mode="auth", seq=52),
    case("auth_two_pads", [T(1, bytes(4)), T(1, bytes(4))],
         [A(1, bytes(4), flags=F_I), A(1, bytes(4), flags=F_I)],
         dict(n_tlv=2, integ=True), mode="auth", seq=53),
    case("auth_bad_hmac", [T(4, cos_val(10)), T(8, bytes(16))],
         [A(4, cos_val(10), flags=F_I), A(8, "auto", flags=F_I)],
         dict(n_tlv=2, integ=True), mode="auth", seq=54),
    # Not of length 16: a failure, and no reply HMAC to write.
    case("auth_hmac_len12", [T(4, cos_val(10)), T(8, bytes([7]) * 12)],
         [A(4, cos_val(10), flags=F_I), A(8, bytes([7]) * 12, flags=F_I)],
         dict(n_tlv=2, integ=True), mode="auth", seq=55),
    case("auth_misplaced", [T(8, "auto"), T(4, cos_val(10))],
         [A(8, "auto", flags=F_I), A(4, cos_val(10), flags=F_I)],
         dict(n_tlv=2, integ=True), mode="auth", seq=56),
    case("auth_rp_srv6", [T(10, SRV6_3), T(8, "auto")],
         [A(10, SRV6_3), A(8, "auto")],
         dict(n_tlv=2, hmac=True, has_rp=True, rp_used=True), mode="auth",
         seq=57, ref=ref(rp_caps=RP_SRV6),
         rp=dict(sids=[sid(1), sid(2), sid(3)])),
    case("auth_plain", [], [], mode="auth", seq=58),
]


def sender_ts(c):
    if c["z"] == 0:
        return ntp_val(T1_NS), ntp_raw_int(T1_NS)
    return ptp_raw(T1_NS), ptp_raw(T1_NS)


def auth_sender(seq, ts, err, ssid, tail=b""):
    """RFC 8762 4.2.2 with RFC 8972 3's SSID: seq 0, MBZ 4..15, ts 16,
    err 24, ssid 26, MBZ 28..95, HMAC 96..111 over bytes 0..95."""
    b = bytearray(112)
    struct.pack_into(">I", b, 0, seq)
    struct.pack_into(">QHH", b, 16, ts, err, ssid)
    b[96:112] = hmac16(bytes(b[:96]))
    return bytes(b) + tail


def auth_reflector(seq, ts, err, ssid, rx, sseq, sts, serr, ttl, tail=b""):
    """RFC 8762 4.3.2 with RFC 8972 3's SSID (offsets in nep_stamp.h)."""
    b = bytearray(112)
    struct.pack_into(">I", b, 0, seq)
    struct.pack_into(">QHH", b, 16, ts, err, ssid)
    struct.pack_into(">Q", b, 32, rx)
    struct.pack_into(">I", b, 48, sseq)
    struct.pack_into(">QH", b, 64, sts, serr)
    b[80] = ttl
    b[96:112] = hmac16(bytes(b[:96]))
    return bytes(b) + tail


def errest(s, z, scale, mult):
    return bytes(ErrorEstimate(S=s, Z=z, scale=scale, multiplier=mult))


def build_case(c):
    ts_val, ts_raw = sender_ts(c)
    r = c["ref"]
    rseq = r["rseq"] if r["stateful"] else c["seq"]
    objs, raw, vals = lay(c["seq"], c["tlvs"] or [])
    aobjs, araw, _ = lay(rseq, c["ans"] or [], vals)
    err = ErrorEstimate(S=c["s"], Z=c["z"], scale=c["scale"],
                        multiplier=c["mult"])
    rerr = ErrorEstimate(S=r["s"], Z=r["z"], scale=r["scale"],
                         multiplier=r["mult"])
    if r["z"] == 0:
        t2, t3 = ntp_val(T2_NS), ntp_val(T3_NS)
        t2r, t3r = ntp_raw_int(T2_NS), ntp_raw_int(T3_NS)
    else:
        t2 = t2r = ptp_raw(T2_NS)
        t3 = t3r = ptp_raw(T3_NS)
    tail = c.get("raw_tail", b"")
    if c["mode"] == "auth":
        e_s = int.from_bytes(bytes(err), "big")
        req = auth_sender(c["seq"], ts_raw, e_s, c["ssid"], raw + tail)
        reply = auth_reflector(rseq, t3r, int.from_bytes(bytes(rerr), "big"),
                               c["ssid"], t2r, c["seq"], ts_raw, e_s,
                               r["ttl"], araw)
        if c["ans"] is None:
            reply += req[112:]
        reply += c.get("ans_tail", b"")
        assert len(reply) == len(req)
        return req, reply, raw + tail
    snd = STAMPSessionSenderTestUnauthenticated(
        seq=c["seq"], err_estimate=err, ssid=c["ssid"], tlv_objects=objs)
    snd.ts = ts_val  # set after err_estimate: scapy picks its type by Z
    req = udp_payload(snd) + tail
    assert req[4:12] == ts_raw.to_bytes(8, "big")
    assert req[44:] == raw + tail  # scapy laid the TLVs out as we did
    rep = STAMPSessionReflectorTestUnauthenticated(
        seq=rseq, err_estimate=rerr, ssid=c["ssid"], seq_sender=c["seq"],
        err_estimate_sender=err, mbz1=0, ttl_sender=r["ttl"], mbz2=0,
        tlv_objects=aobjs)
    rep.ts, rep.ts_rx, rep.ts_sender = t3, t2, ts_val
    reply = udp_payload(rep)
    if c["ans"] is None:
        reply += req[44:]
    reply += c.get("ans_tail", b"")
    assert len(reply) == len(req), c["name"]
    # scapy reads the reply back as a reflector packet with our fields
    # (without a raw tail that is no whole TLV: scapy's TLV list would
    # fail on it).
    d, dt = dissect_reply(reply[:len(reply) - len(c.get("raw_tail", b""))])
    if c["ans"] is not None:
        assert dt == [(int(t.flags), t.type, t.len) for t in aobjs], dt
    assert d.seq_sender == c["seq"] and d.ttl_sender == r["ttl"]
    assert d.ssid == c["ssid"] and d.err_estimate.Z == r["z"]
    assert reply[4:12] == t3r.to_bytes(8, "big")
    assert reply[16:24] == t2r.to_bytes(8, "big")
    return req, reply, raw + tail


def c_rp(name, rp):
    """The expected struct nep_stamp_return_path."""
    f = []
    if "cc" in rp:
        f.append(f".has_cc = true, .cc = 0x{rp['cc']:08x}u")
    if "addr" in rp:
        a = rp["addr"]
        f.append(f".has_addr = true, .af = {4 if len(a) == 4 else 6}, "
                 ".addr = {" + ", ".join(f"0x{x:02x}" for x in a) + "}")
    if "labels" in rp:
        f.append(f".has_mpls = true, .n_labels = {len(rp['labels'])}, "
                 ".labels = {" +
                 ", ".join(f"0x{x:08x}u" for x in rp["labels"]) + "}")
    if "sids" in rp:
        f.append(f".has_srv6 = true, .n_sids = {len(rp['sids'])}, "
                 ".sids = {" + ", ".join(
                     "{" + ", ".join(f"0x{x:02x}" for x in s) + "}"
                     for s in rp["sids"]) + "}")
    if "n_unknown" in rp:
        f.append(f".n_unknown = {rp['n_unknown']}")
    return (f"static const struct nep_stamp_return_path stamp_rp_{name} = {{\n"
            + "".join(f"\t{x},\n" for x in f) + "};")


def b(v):
    return str(bool(v)).lower()


def main():
    print("/* SPDX-License-Identifier: BSD-3-Clause */")
    print("/* Generated by tests/unit/gen_stamp_vectors.py (scapy): "
          "do not edit. */")
    print("#ifndef STAMP_VECTORS_H\n#define STAMP_VECTORS_H\n")
    print("#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n")
    print('#include "nep_stamp.h"\n')
    print("/* A TLV of a request as scapy laid it out; {0, 0, 0} ends. */")
    print("struct stamp_tlv_want {\n\tuint8_t flags;\n\tuint8_t type;"
          "\n\tuint16_t len;\n};\n")
    print(ts_vectors())
    print()
    print(f"#define STAMP_T1_NS {T1_NS}ull")
    print(f"#define STAMP_T2_NS {T2_NS}ull")
    print(f"#define STAMP_T3_NS {T3_NS}ull")
    print(c_bytes("stamp_key", KEY))
    print()
    rows = []
    for c in CASES:
        req, reply, tail = build_case(c)
        n = c["name"]
        print(c_bytes(f"stamp_req_{n}", req))
        print(c_bytes(f"stamp_rep_{n}", reply))
        _, ts_raw = sender_ts(c)
        r = c["ref"]
        tsi = r.get("ts_info", (0, 0, 0, 0))
        # the TLVs of the request, as our own walker reads scapy's bytes
        walk_hdrs, end = walk(tail) if c["tlvs"] is not None else ([], "ok")
        print(f"static const struct stamp_tlv_want stamp_tlvs_{n}[] = {{")
        for f, t, ln in walk_hdrs:
            print(f"\t{{{f}, {t}, {ln}}},")
        print("\t{0, 0, 0},\n};")
        rp = "NULL"
        if c["rp"] is not None:
            print(c_rp(n, c["rp"]))
            rp = f"&stamp_rp_{n}"
        i = c["info"]
        mode = "NEP_STAMP_AUTH" if c["mode"] == "auth" else "NEP_STAMP_UNAUTH"
        rows.append(f"""\t{{"{n}", stamp_req_{n}, sizeof(stamp_req_{n}),
		stamp_rep_{n}, {c['seq']}u, 0x{ts_raw:016x}ull,
		{{{c['s']}, {c['z']}, {c['scale']}, {c['mult']}}}, {c['ssid']},
		stamp_tlvs_{n}, {len(walk_hdrs)}, "{end}",
		{{.mode = {mode}, .tsfmt = {r['z']},
			.t2_ns = STAMP_T2_NS, .t3_ns = STAMP_T3_NS,
			.rx_ttl = {r['ttl']}, .rx_tos = {r['tos']},
			.stateful = {b(r['stateful'])}, .seq = {r['rseq']},
			.err = {{{r['s']}, 0, {r['scale']}, {r['mult']}}},
			.tlvs = {b(r['tlvs'])},
			.cos_allowed = {b(r['cos_allowed'])},
			.ts_info = {{{tsi[0]}, {tsi[1]}, {tsi[2]}, {tsi[3]}}},
			.r_rxc = {r.get('rxc', 0)}, .r_txc = {r.get('txc', 0)},
			.hmac_tlv = {b(r.get('hmac_tlv'))},
			.rp_caps = {r.get('rp_caps', 0)}}},
		{b(i['cos'])}, {i['dscp']}, {i['n_tlv']}, {i['n_unk']}, {i['n_mal']},
		{b(i['hmac'])}, {b(i['integ'])}, {b(i['has_rp'])}, {b(i['rp_used'])},
		{b(i['no_reply'])}, {rp}}},""")
    print("""
/* params.auth is left NULL here: the test puts its HMAC function in. */
struct stamp_case {
	const char *name;
	const uint8_t *req;
	size_t len;
	const uint8_t *reply;
	uint32_t seq;
	uint64_t ts;
	struct nep_stamp_errest err;
	uint16_t ssid;
	const struct stamp_tlv_want *tlvs;
	unsigned int n_tlvs; /* headers walked (the last may run past the end) */
	const char *walk_end; /* the walk's last result's name */
	struct nep_stamp_reflect_params params;
	bool cos;
	uint8_t reply_dscp;
	unsigned int n_tlv, n_unknown, n_malformed;
	bool tlv_hmac, tlv_integrity_failed, has_return_path, rp_used, no_reply;
	const struct nep_stamp_return_path *rp; /* what info->rp must be */
};
""")
    print("static const struct stamp_case stamp_cases[] = {")
    print("\n".join(rows))
    print("};\n")
    print("#define STAMP_AUTH_RX_TOS 0xb9 /* DSCP 46, ECN 1 */")
    print("\n#endif /* STAMP_VECTORS_H */")


if __name__ == "__main__":
    main()
