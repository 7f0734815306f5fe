#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The STAMP Session-Reflector (RFC 8762, RFC 8972, RFC 9503 style SRv6)
through the whole data plane, against an independent codec: scapy's
scapy.contrib.stamp (Debian's python3-scapy 2.5) builds the Session-Sender
packets and dissects the replies; the authenticated packets, which scapy
has no class for, are built and checked with struct and hmac from the
RFC 8762 4.2.2 / 4.3.2 layouts. Every reply is also rebuilt byte for byte
(struct for the STAMP payload, scapy for the headers, checksums included)
from the request and the RFC rules, the reflector's timestamps taken from
what it sent after they were checked on their own.

Two quirks of scapy.contrib.stamp 2.5 are worked around, not relied on:
its STAMPTestTLV flags field names the bits "UMIRRRRR" from the least
significant one (flags="U" is 0x01, RFC 8972 4 has U as 0x80), so flags
are given and read as integers; it has no class for any particular TLV,
so TLV values are laid out here from RFC 8972 4.1-4.8; and its TLV list's
length comes from `pkt.parent`, which a dissection from the Ethernet frame
does not set (any TLV makes the STAMP layer fall back to Raw), so replies
are dissected from their UDP payload with the UDP layer as parent.

Runs (one neptune each, module-scoped):
  base       stateless, NTP, TLVs and CoS on (the defaults, `stamp:
             {reflector: {enabled: true}}`), lan0 + a VLAN sub-interface
             lan0.100: plain requests (seq, SSID, hop limit, DSCP), padded
             to 100 and 1000 bytes, every RFC 8972 TLV, malformed TLVs,
             malformed requests, IPv4, the WAN addresses from wan1;
  stateful   mode stateful, PTP timestamps, cos false;
  mirror     tlvs false (a plain RFC 8762 reflector);
  ratelimit  rate_limit_pps 10, burst 5: 50 requests from one source;
  off        enabled false: port 862 closed;
  auth       hmac-sha256 with a key file: 112-byte requests, HMAC TLVs,
             wrong HMACs (`stamp_bad_auth`, never answered);
  srv6       STAMP to an End SID with and without an SRH, return_paths
             (H.Encaps'd out of the uplink);
  rpath      RFC 9503 Return Path TLVs (laid out here with struct): a
             Control Code (no reply / reply on the same link), a Return
             Address, an SRv6 Segment List (H.Encaps'd out of the uplink
             of the port the request came in by), an SR-MPLS label stack
             (not supported: U).
Key file errors (mode, owner, content) are checked with `neptune
--check-config` and a start: file:line:column of key_file. About 10 s.
"""
import hashlib
import hmac
import ipaddress
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from dp_packets import ICMPv6DestUnreach, icmp6_error
from neptune_dp import (GW_MAC, HOST4, HOST6, HOST_MAC, LAN0_MAC, LAN4, LAN6,
                        NEPTUNE, REMOTE4, REMOTE6, REPO, WAN1_MAC, WAN4, WAN6,
                        GW6, Dataplane, DataplaneError, assert_drops,
                        frame_diff)
from scapy.contrib.stamp import (ErrorEstimate,
                                 STAMPSessionReflectorTestUnauthenticated,
                                 STAMPSessionSenderTestUnauthenticated,
                                 STAMPTestTLV)
from scapy.layers.inet import IP, UDP, IPOption
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrSegmentRouting)
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Raw

sys.path.insert(0, str(REPO / "tests" / "unit"))
from gen_srv6_vectors import flow_label  # noqa: E402

REFL = STAMPSessionReflectorTestUnauthenticated
SEND = STAMPSessionSenderTestUnauthenticated
PORT = 862
NTP_UNIX = 2208988800
PEER_MAC = "02:00:00:00:aa:99"      # a router on lan0 in front of the senders
VLAN_PEER_MAC = "02:00:00:00:aa:64"
VLAN6, VLAN4 = "fd42:164::1", "198.18.64.1"   # neptune on lan0.100
VHOST6, VHOST4 = "fd42:164::10", "198.18.64.10"

F_U, F_M, F_I = 0x80, 0x40, 0x20    # RFC 8972 4 (not scapy's flag names)
T_PAD, T_LOC, T_TSINFO, T_COS, T_DM = 1, 2, 3, 4, 5
T_ACCESS, T_FOLLOW, T_HMAC = 6, 7, 8

# host clock bounds of the whole module (t2, t3 must fall inside)
T_START = time.time()


# == codecs ================================================================

def ntp_raw(t):
    """Unix seconds (float) -> NTP 64-bit (RFC 5905 6)."""
    s = int(t)
    return (s + NTP_UNIX) << 32 | int((t - s) * 2**32)


def ntp_unix(raw):
    return (raw >> 32) - NTP_UNIX + (raw & 0xffffffff) / 2**32


def ptp_raw(t):
    """Unix seconds -> PTPv2 truncated (RFC 8186 2.3): s << 32 | ns."""
    s = int(t)
    return s << 32 | int((t - s) * 1e9)


def errest(s=0, z=0, scale=0, mult=1):
    return (s << 15) | (z << 14) | (scale << 8) | mult


def tlv(t, value=b"", flags=F_U, length=None):
    """A TLV as scapy's STAMPTestTLV; length past the value to forge."""
    return STAMPTestTLV(flags=flags, type=t, value=value,
                        len=len(value) if length is None else length)


def tlvb(t, value=b"", flags=F_U, length=None):
    return bytes(tlv(t, value, flags, length))


def cos_value(dscp1, dscp2=0, ecn=0, rp=0):
    """RFC 8972 4.4 (erratum 8199): DSCP1 6 | DSCP2 6 | ECN 2 | RP 2 | 16."""
    return struct.pack("!HH", dscp1 << 10 | dscp2 << 4 | ecn << 2 | rp, 0)


def cos_fields(v):
    w = struct.unpack("!H", v[:2])[0]
    return w >> 10, (w >> 4) & 0x3f, (w >> 2) & 3, w & 3, v[2:4]


def sender(seq, ssid, t1=None, err=None, tlvs=(), tail=b"", ptp=False):
    """A Session-Sender test packet (unauthenticated, RFC 8972 3) built by
    scapy: the timestamp is t1 (host time) in the format err's Z says."""
    t1 = time.time() if t1 is None else t1
    e = ErrorEstimate(S=1, Z=1 if ptp else 0, scale=5, multiplier=3) \
        if err is None else err
    # scapy's TimeStampField takes NTP seconds; its PTP branch
    # (UTCTimeField 'Q') takes the raw 64 bits.
    ts = ptp_raw(t1) if e.Z else t1 + NTP_UNIX
    # (the Error Estimate first: the ts field's type depends on its Z)
    p = SEND(seq=seq, err_estimate=e, ssid=ssid, tlv_objects=list(tlvs))
    p.ts = ts
    return p / Raw(tail) if tail else p


def padded(seq, ssid, size, tail_fn):
    """A sender packet of `size` bytes: base + tail_fn(n) of n bytes."""
    return sender(seq, ssid, tail=tail_fn(size - 44))


def pad_tlv(n):
    """An Extra Padding TLV filling n bytes (RFC 8972 4.1)."""
    rnd = random.Random(n)
    return tlvb(T_PAD, bytes(rnd.randrange(256) for _ in range(n - 4)))


def v6(payload, src=HOST6, dst=LAN6, hlim=64, tc=0, sport=40862,
       eth_src=PEER_MAC, eth_dst=LAN0_MAC, dport=PORT, ext=None):
    ip = IPv6(src=src, dst=dst, hlim=hlim, tc=tc)
    if ext is not None:
        ip = ip / ext
    return Ether(src=eth_src, dst=eth_dst) / ip / \
        UDP(sport=sport, dport=dport) / payload


def v4(payload, src=HOST4, dst=LAN4, ttl=64, tos=0, sport=40862,
       eth_src=PEER_MAC, eth_dst=LAN0_MAC, options=None):
    ip = IP(src=src, dst=dst, ttl=ttl, tos=tos, id=0x3333, flags="DF")
    if options is not None:
        ip.options = options
    return Ether(src=eth_src, dst=eth_dst) / ip / \
        UDP(sport=sport, dport=PORT) / payload


def vlan(frame, vid=100):
    b = bytes(frame)
    return b[:12] + struct.pack("!HH", 0x8100, vid) + b[12:]


def l3_of(frame):
    """(l3 scapy layer, vlan or None) of a frame."""
    e = Ether(bytes(frame))
    vid = e[Dot1Q].vlan if Dot1Q in e else None
    return (e[IPv6] if IPv6 in e else e[IP]), vid


def udp_payload(frame):
    e = Ether(bytes(frame))
    u = e[UDP]
    return bytes(u)[8:u.len]


def rx_tos(l3):
    return l3.tc if isinstance(l3, IPv6) else l3.tos


def rx_ttl(l3):
    return l3.hlim if isinstance(l3, IPv6) else l3.ttl


def reflector_base(req, seq, ts, err, rx_ts, ttl):
    """RFC 8762 4.3.1 / RFC 8972 3: the reply's 44 bytes from the
    request's (independent of neptune's and scapy's codecs)."""
    s_seq, s_ts, s_err, ssid = struct.unpack_from("!IQHH", req)
    return struct.pack("!IQHHQIQHHB3x", seq, ts, err, ssid, rx_ts, s_seq,
                       s_ts, s_err, 0, ttl)


def reply_frame(req_frame, payload, dscp, eth_src, eth_dst=None, vid=None):
    """The whole reply frame scapy builds from the request: addresses and
    ports swapped, hop limit / TTL 255, the DSCP given, ECN 0, no
    extension header, the payload given (checksums by scapy)."""
    e = Ether(bytes(req_frame))
    u = e[UDP]
    if IPv6 in e:
        ip = IPv6(src=e[IPv6].dst, dst=e[IPv6].src, hlim=255, tc=dscp << 2,
                  fl=0)
    else:
        ip = IP(src=e[IP].dst, dst=e[IP].src, ttl=255, tos=dscp << 2, id=0,
                flags=0)
    f = Ether(src=eth_src, dst=eth_dst or e.src) / ip / \
        UDP(sport=u.dport, dport=u.sport) / Raw(payload)
    return vlan(f, vid) if vid is not None else bytes(f)


class Reply:
    """A reply frame, dissected by scapy and checked against its request."""

    def __init__(self, frame, req_frame):
        self.frame = bytes(frame)
        self.req_frame = bytes(req_frame)
        self.e = Ether(self.frame)
        self.s = REFL(udp_payload(frame), _parent=self.e[UDP])
        self.req = udp_payload(req_frame)
        self.payload = udp_payload(frame)
        self.req_l3, self.req_vid = l3_of(req_frame)
        self.l3, self.vid = l3_of(frame)
        self.ptp = bool(self.s.err_estimate.Z)

    def times(self):
        """(t2, t3) as Unix seconds, from the raw bytes."""
        rx_ts, ts = struct.unpack_from("!Q", self.payload, 16)[0], \
            struct.unpack_from("!Q", self.payload, 4)[0]
        if self.ptp:
            for raw in (rx_ts, ts):
                assert raw & 0xffffffff < 10**9, f"PTP ns {raw & 0xffffffff}"
            return ((rx_ts >> 32) + (rx_ts & 0xffffffff) / 1e9,
                    (ts >> 32) + (ts & 0xffffffff) / 1e9)
        return ntp_unix(rx_ts), ntp_unix(ts)

    def check(self, seq=None, dscp=None, tlvs=None, eth_src=LAN0_MAC,
              t_end=None):
        """Every field of the reply (RFC 8762 4.3.1, RFC 8972 3), then
        the whole frame byte for byte. seq: the reply's expected sequence
        number (default the sender's); dscp: of the reply (default the
        request's); tlvs: the expected bytes after the base (default the
        request's, unchanged)."""
        s, req = self.s, self.req
        s_seq, s_ts, s_err, ssid = struct.unpack_from("!IQHH", req)
        assert self.l3.version == self.req_l3.version
        assert self.e.src == eth_src and \
            self.e.dst == Ether(self.req_frame).src, "not to the previous hop"
        assert self.vid == self.req_vid, "VLAN of the reply"
        assert self.l3.src == self.req_l3.dst and \
            self.l3.dst == self.req_l3.src, "addresses not swapped"
        assert rx_ttl(self.l3) == 255, "reply hop limit / TTL"
        u, ru = self.e[UDP], Ether(self.req_frame)[UDP]
        assert (u.sport, u.dport) == (ru.dport, ru.sport), "ports"
        assert len(self.payload) == len(req), "reply length != request's"
        assert u.len == ru.len
        # scapy's view of the STAMP fields
        assert s.seq == (s_seq if seq is None else seq), "sequence number"
        assert s.seq_sender == s_seq
        assert s.ssid == ssid, "SSID"
        assert struct.unpack_from("!Q", self.payload, 28)[0] == s_ts, \
            "sender timestamp"
        assert bytes(s.err_estimate_sender) == struct.pack("!H", s_err)
        assert s.ttl_sender == rx_ttl(self.req_l3), \
            "Session-Sender TTL: not the hop limit the request came with"
        assert s.mbz1 == 0 and s.mbz2 == 0
        assert s.err_estimate.multiplier != 0, "RFC 4656 4.1.2: mult 0"
        t2, t3 = self.times()
        assert t2 < t3, f"t2 {t2!r} !< t3 {t3!r}"
        t_end = time.time() if t_end is None else t_end
        assert T_START - 1 < t2 and t3 < t_end + 1, (T_START, t2, t3, t_end)
        if not self.ptp:
            # scapy's NTP decoding agrees
            assert abs(float(s.ts_rx) - NTP_UNIX - t2) < 1e-6
        if dscp is None:
            dscp = rx_tos(self.req_l3) >> 2
        assert rx_tos(self.l3) == dscp << 2, \
            f"reply DS field {rx_tos(self.l3):#x}, want DSCP {dscp}"
        # byte for byte
        ts, err, _, rx_ts = struct.unpack_from("!QHHQ", self.payload, 4)
        base = reflector_base(req, s.seq, ts, err, rx_ts,
                              rx_ttl(self.req_l3))
        want = base + (req[44:] if tlvs is None else bytes(tlvs))
        assert self.payload == want, "STAMP payload\n" + frame_diff(
            want, self.payload)
        exp = reply_frame(self.req_frame, want, dscp, eth_src, vid=self.vid)
        if IP in self.e:
            # id and DF are the reflector's choice: taken from the frame
            ip = Ether(exp)
            ip[IP].id, ip[IP].flags = self.e[IP].id, self.e[IP].flags
            del ip[IP].chksum
            exp = bytes(ip)
            assert self.e[IP].frag == 0 and not self.e[IP].flags.MF
        assert self.frame == exp, "reply frame\n" + frame_diff(exp,
                                                               self.frame)
        return self


def key_of(frame):
    """(UDP sport of the request side, SSID, sender seq) of a reply."""
    e = Ether(bytes(frame))
    p = udp_payload(frame)
    if len(p) < 44:
        return None
    return (e[UDP].dport, struct.unpack_from("!H", p, 14)[0],
            struct.unpack_from("!I", p, 24)[0])


def replies_by_key(frames):
    out = {}
    for f in frames:
        k = key_of(f)
        assert k not in out, f"two replies for {k}"
        out[k] = f
    return out


def req_key(frame):
    e = Ether(bytes(frame))
    p = udp_payload(frame)
    return (e[UDP].sport, struct.unpack_from("!H", p, 14)[0],
            struct.unpack_from("!I", p, 0)[0])


# == runs ====================================================================

def run(inputs, extra_cfg, queries=("show stamp reflector",),
        extra_ports=()):
    dp = Dataplane(inputs=inputs, extra_cfg=extra_cfg,
                   extra_ports=extra_ports)
    try:
        dp.start()
        dp.wait_idle()
        info = {q: dp.json(q) for q in queries}
        r = dp.stop()
    finally:
        dp.cleanup()
    r.info = info
    r.t_end = time.time()
    return r


def refl_cfg(**kw):
    return {"stamp": {"reflector": dict({"enabled": True}, **kw)}}


# -- base run -----------------------------------------------------------------

# 1. plain requests: different seq, SSID, hop limit, DSCP (and ECN)
PLAIN = [
    v6(sender(1, 101), hlim=64, sport=41001),
    v6(sender(0xfffffffe, 102), hlim=1, tc=46 << 2 | 2, sport=41002),
    v6(sender(7, 65535, err=ErrorEstimate(S=0, Z=0, scale=63,
                                          multiplier=255)),
       hlim=200, tc=10 << 2, sport=41003),
    # to the WAN address, from the LAN: answered on lan0
    v6(sender(12345, 104), dst=WAN6, hlim=33, sport=41004),
    # with a Destination Options header: the reply has none
    v6(sender(5, 105), hlim=17, sport=41005, ext=IPv6ExtHdrDestOpt()),
]
# padding: 100 and 1000 bytes, zeros or an Extra Padding TLV
PAD100Z = v6(padded(21, 121, 100, bytes), sport=41021)
PAD100P = v6(padded(22, 122, 100, pad_tlv), sport=41022)
PAD1000Z = v6(padded(23, 123, 1000, bytes), sport=41023)
PAD1000P = v6(padded(24, 124, 1000, pad_tlv), sport=41024)

# 4. RFC 8972 TLVs, one request with all of them; sent with DSCP 10, ECN 1
TS_SUB = tlvb(200, b"sub-tlv!")        # a sub-TLV after the 4 bytes
ALL_TLVS = [
    tlv(T_PAD, bytes(range(16))),
    tlv(T_TSINFO, bytes(4) + TS_SUB),
    tlv(T_COS, cos_value(46)),
    tlv(T_DM, struct.pack("!III", 77, 0, 0)),
    tlv(T_LOC, bytes(20)),
    tlv(T_ACCESS, bytes([0x10, 0, 0, 0])),
    tlv(T_FOLLOW, bytes(16)),
    tlv(T_HMAC, bytes(range(16))),     # unauthenticated: not checked
    tlv(200, b"unknown type!..."),
]
TLV_REQ = v6(sender(31, 131, tlvs=ALL_TLVS), tc=10 << 2 | 1, sport=41031)
# a malformed CoS (length 8) stops the walk: M on it, the rest as it came
BAD_TLV_REQ = v6(sender(32, 132, tlvs=[
    tlv(T_PAD, b"12345678"), tlv(T_COS, bytes(8)),
    tlv(T_DM, struct.pack("!III", 1, 0, 0)), tlv(T_PAD, b"abcd")]),
    tc=12 << 2, sport=41032)
# a length past the end of the packet
LONG_TLV_REQ = v6(sender(33, 133, tlvs=[tlv(T_COS, cos_value(8)),
                                        tlv(T_PAD, b"xxxxxxxx", length=100)]),
                  sport=41033)
# Direct Measurement: one session of three requests, other traffic between
DM_REQS = [v6(sender(40 + i, 140, tlvs=[tlv(T_DM, struct.pack(
    "!III", 1 + i, 0, 0))]), sport=41040) for i in range(3)]

# 6. malformed requests: each dropped under one reason, never answered
SHORT43 = v6(Raw(bytes(sender(50, 150))[:43]), sport=41050)
EMPTY = v6(Raw(b""), sport=41051)


def _udp_len_forged(frame, ulen):
    b = bytearray(bytes(frame))
    off = 14 + 40
    b[off + 4:off + 6] = struct.pack("!H", ulen)
    return bytes(b)


# a UDP length past the packet: the worker's parser drops it (l4_truncated)
# before local delivery
ULEN_LONG = _udp_len_forged(v6(sender(52, 152), sport=41052), 8 + 44 + 100)
# a UDP length one byte short of the base, in a packet that has all 44:
# the reflector goes by the UDP length
ULEN_SHORT = _udp_len_forged(v6(sender(53, 153), sport=41053), 8 + 43)
BAD_INPUTS = [SHORT43, EMPTY, ULEN_LONG, ULEN_SHORT]
BAD_REASONS = {"stamp_truncated": 3, "l4_truncated": 1}

# 8. IPv4
V4_REQS = [
    v4(sender(60, 160), ttl=37, tos=18 << 2, sport=41060),
    v4(sender(61, 161, tlvs=[tlv(T_COS, cos_value(34))]), ttl=2,
       tos=8 << 2 | 3, sport=41061),
    v4(padded(62, 162, 1000, pad_tlv), ttl=255, sport=41062),
    # with IP options (NOP, NOP, NOP, EOL): the reply has none
    v4(sender(63, 163), ttl=64, sport=41063,
       options=[IPOption(b"\x01\x01\x01\x00")]),
]
# from wan1, to the WAN addresses, through the gateway
WAN_REQS = [
    v6(sender(70, 170), src=REMOTE6, dst=WAN6, hlim=57, sport=41070,
       eth_src=GW_MAC, eth_dst=WAN1_MAC),
    v4(sender(71, 171), src=REMOTE4, dst=WAN4, ttl=49, sport=41071,
       eth_src=GW_MAC, eth_dst=WAN1_MAC),
]
# on the VLAN sub-interface lan0.100 (tagged in, tagged out)
VLAN_REQS = [
    vlan(v6(sender(80, 180), src=VHOST6, dst=VLAN6, hlim=44, sport=41080,
            eth_src=VLAN_PEER_MAC)),
    vlan(v4(sender(81, 181), src=VHOST4, dst=VLAN4, ttl=45, sport=41081,
            eth_src=VLAN_PEER_MAC)),
]
VLAN_PORT = {"name": "lan0.100", "role": "lan", "parent": "lan0",
             "vlan": 100, "addresses": [f"{VLAN6}/64", f"{VLAN4}/24"]}

BASE_LAN = (PLAIN[:2] + [DM_REQS[0]] + PLAIN[2:] + [DM_REQS[1], PAD100Z,
            PAD100P, PAD1000Z, PAD1000P, TLV_REQ, SHORT43, BAD_TLV_REQ,
            DM_REQS[2], LONG_TLV_REQ, EMPTY, ULEN_LONG, ULEN_SHORT] + V4_REQS +
            VLAN_REQS)
BASE_GOOD_LAN = [f for f in BASE_LAN if not any(f is b for b in BAD_INPUTS)]


@pytest.fixture(scope="module")
def base():
    return run({"lan0": BASE_LAN, "wan1": WAN_REQS}, refl_cfg(),
               extra_ports=[VLAN_PORT])


def find_reply(r, port, req):
    by = replies_by_key(r.outputs[port])
    k = req_key(req)
    assert k in by, f"no reply on {port} for {k}; replies: {sorted(by)}"
    return Reply(by[k], req)


def test_plain_requests(base):
    for req in PLAIN:
        find_reply(base, "lan0", req).check(t_end=base.t_end)


def test_timestamps_ordered_and_recent(base):
    """t1 (the sender's, taken before neptune started) < t2 < t3, all
    within the module's run; t3 - t2 is the reflector's residence time:
    well under a second."""
    for req in PLAIN:
        rep = find_reply(base, "lan0", req)
        t1 = ntp_unix(struct.unpack_from("!Q", rep.req, 4)[0])
        t2, t3 = rep.times()
        assert t1 < t2 < t3 < base.t_end, (t1, t2, t3, base.t_end)
        assert t3 - t2 < 0.5, t3 - t2


def test_padding_zeros_are_reserved_tlvs(base):
    """With TLVs on, RFC 8972 4 reads the bytes after the base as TLVs: a
    zero tail is TLVs of type 0 (reserved), length 0, which the reflector
    does not understand: each comes back with U set, still the same
    length."""
    for req, n in ((PAD100Z, 100), (PAD1000Z, 1000)):
        rep = find_reply(base, "lan0", req)
        assert len(rep.payload) == n
        rep.check(tlvs=bytes([F_U, 0, 0, 0]) * ((n - 44) // 4),
                  t_end=base.t_end)


def test_padding_tlv_mirrored(base):
    """An Extra Padding TLV (RFC 8972 4.1) is copied, its U flag cleared."""
    for req, n in ((PAD100P, 100), (PAD1000P, 1000)):
        rep = find_reply(base, "lan0", req)
        assert len(rep.payload) == n
        t = rep.s.tlv_objects
        assert len(t) == 1 and t[0].type == T_PAD and t[0].flags == 0
        assert t[0].value == rep.req[48:]
        rep.check(tlvs=tlvb(T_PAD, rep.req[48:], flags=0), t_end=base.t_end)


def test_rfc8972_tlvs(base):
    rep = find_reply(base, "lan0", TLV_REQ)
    got = {}
    for t in rep.s.tlv_objects:
        got.setdefault(t.type, t)
    assert [t.type for t in rep.s.tlv_objects] == [t.type for t in ALL_TLVS]
    # Extra Padding: copied
    assert got[T_PAD].flags == 0 and got[T_PAD].value == bytes(range(16))
    # Timestamp Information (4.3): sync source / method of t2 and t3
    # filled in, the sub-TLV after them copied
    ti = got[T_TSINFO]
    assert ti.flags == 0 and ti.len == 4 + len(TS_SUB)
    sync_in, meth_in, sync_out, meth_out = ti.value[:4]
    assert sync_in in range(1, 6) and sync_out in range(1, 6), ti.value
    assert meth_in in (1, 2, 3) and meth_out in (1, 2, 3), ti.value
    assert ti.value[4:] == TS_SUB
    # Class of Service (4.4): DSCP1 kept, DSCP2 / ECN = what came, RP 0
    c = got[T_COS]
    assert c.flags == 0
    assert cos_fields(c.value) == (46, 10, 1, 0, b"\0\0"), cos_fields(c.value)
    # Direct Measurement (4.5): S_TxC copied, the reflector's counters of
    # this (one-packet) session: received 1, transmitted 0 or 1
    d = got[T_DM]
    s_txc, r_rxc, r_txc = struct.unpack("!III", d.value)
    assert d.flags == 0 and s_txc == 77 and r_rxc == 1 and r_txc in (0, 1), \
        (s_txc, r_rxc, r_txc)
    # not answered by this reflector: copied with U
    for ty in (T_LOC, T_ACCESS, T_FOLLOW, T_HMAC, 200):
        want = next(t for t in ALL_TLVS if t.type == ty)
        assert got[ty].flags == F_U and got[ty].value == want.value, ty
    # the reply goes with DSCP1
    tail = b"".join(bytes(t) for t in rep.s.tlv_objects)
    rep.check(dscp=46, tlvs=tail, t_end=base.t_end)
    # and the exact TLV bytes, rebuilt from the RFC
    want = (tlvb(T_PAD, bytes(range(16)), 0) +
            tlvb(T_TSINFO, ti.value[:4] + TS_SUB, 0) +
            tlvb(T_COS, cos_value(46, 10, 1, 0), 0) +
            tlvb(T_DM, struct.pack("!III", 77, r_rxc, r_txc), 0) +
            b"".join(tlvb(t.type, t.value, F_U) for t in ALL_TLVS[4:]))
    assert tail == want, frame_diff(want, tail)


def test_direct_measurement_session_counters(base):
    """R_RxC / R_TxC count this session's packets (RFC 8972 4.5: 'in the
    test session'), whatever else the reflector answered in between."""
    counts = []
    for i, req in enumerate(DM_REQS):
        rep = find_reply(base, "lan0", req)
        (d,) = rep.s.tlv_objects
        s_txc, r_rxc, r_txc = struct.unpack("!III", d.value)
        assert s_txc == 1 + i and d.flags == 0
        counts.append((r_rxc, r_txc))
        rep.check(tlvs=tlvb(T_DM, d.value, 0), t_end=base.t_end)
    assert [c[0] for c in counts] == [1, 2, 3], counts
    r0 = counts[0][1]
    assert r0 in (0, 1) and [c[1] for c in counts] == [r0, r0 + 1, r0 + 2], \
        counts


def test_malformed_tlv_flagged(base):
    rep = find_reply(base, "lan0", BAD_TLV_REQ)
    req_tlvs = rep.req[44:]
    # Extra Padding answered; the malformed CoS gets M; everything after
    # it as it came (U still set); the reply keeps the request's DSCP
    want = (tlvb(T_PAD, b"12345678", 0) + tlvb(T_COS, bytes(8), F_M) +
            req_tlvs[12 + 12:])
    rep.check(tlvs=want, t_end=base.t_end)
    rep = find_reply(base, "lan0", LONG_TLV_REQ)
    want = (tlvb(T_COS, cos_value(8, 0, 0, 0), 0) +
            tlvb(T_PAD, b"xxxxxxxx", F_M, length=100))
    rep.check(dscp=8, tlvs=want, t_end=base.t_end)


def test_ipv4(base):
    a, b, c, d = (find_reply(base, "lan0", q) for q in V4_REQS)
    a.check(t_end=base.t_end)
    d.check(t_end=base.t_end)
    assert d.e[IP].ihl == 5 and Ether(bytes(V4_REQS[3]))[IP].ihl == 6
    (t,) = b.s.tlv_objects
    assert cos_fields(t.value) == (34, 8, 3, 0, b"\0\0")
    b.check(dscp=34, tlvs=tlvb(T_COS, cos_value(34, 8, 3, 0), 0),
            t_end=base.t_end)
    c.check(tlvs=tlvb(T_PAD, c.req[48:], 0), t_end=base.t_end)
    assert len(c.frame) == 14 + 20 + 8 + 1000


def test_wan_addresses_answered_on_wan1(base):
    for req in WAN_REQS:
        find_reply(base, "wan1", req).check(eth_src=WAN1_MAC,
                                            t_end=base.t_end)
    assert len(base.outputs["wan1"]) == len(WAN_REQS)


def test_vlan_subinterface(base):
    """A request on lan0.100 is answered tagged, on VLAN 100, to the MAC
    it came from."""
    for req in VLAN_REQS:
        find_reply(base, "lan0", req).check(t_end=base.t_end)


def test_malformed_requests_dropped(base):
    """Shorter than the 44-byte base (43 bytes, empty, a UDP length of
    43 bytes in a longer packet): `stamp_truncated`; a UDP length past the
    packet: `l4_truncated` (the worker's parser, before the reflector).
    One reason each, nothing else dropped, no reply; every good request
    answered once."""
    assert_drops(base, BAD_REASONS)
    keys = set(replies_by_key(base.outputs["lan0"]))
    assert keys == {req_key(f) for f in BASE_GOOD_LAN}
    for f in BAD_INPUTS:
        assert Ether(bytes(f))[UDP].sport not in {k[0] for k in keys}


def test_show_reflector_counters(base):
    j = base.info["show stamp reflector"]
    n_in = len(BASE_LAN) + len(WAN_REQS) - BAD_REASONS["l4_truncated"]
    n_good = len(BASE_GOOD_LAN) + len(WAN_REQS)
    assert j["enabled"] is True and j["port"] == PORT
    assert (j["mode"], j["authentication"], j["timestamp"]) == \
        ("stateless", "none", "ntp")
    assert j["received"] == n_in and j["replied"] == n_good, j
    assert j["rate_limited"] == 0 and j["return_path"] == 0, j
    assert j["drops"]["stamp_truncated"] == BAD_REASONS["stamp_truncated"]
    assert sum(j["drops"].values()) == BAD_REASONS["stamp_truncated"], j
    # the zero tails' reserved TLVs (14 + 239) and ALL_TLVS' five
    assert j["unknown_tlvs"] == 14 + 239 + 5, j
    # BAD_TLV_REQ's CoS, LONG_TLV_REQ's padding
    assert j["malformed_tlvs"] == 2, j
    # TLV_REQ, LONG_TLV_REQ and the IPv4 one
    assert j["cos_answered"] == 3, j
    assert len(base.outputs["lan0"]) == len(BASE_GOOD_LAN)


# -- stateful, PTP, cos false -------------------------------------------------

SF_A = [v6(sender(s, 201, ptp=(s == 55)), sport=42001) for s in
        (100, 7, 55, 3)]
SF_B = [v6(sender(s, 202), sport=42002, hlim=9) for s in (9, 10)]
SF_COS = v6(sender(500, 203, tlvs=[tlv(T_COS, cos_value(46))]),
            tc=12 << 2 | 2, sport=42003)
SF_INPUTS = [SF_A[0], SF_B[0], SF_A[1], SF_A[2], SF_B[1], SF_A[3], SF_COS]


@pytest.fixture(scope="module")
def stateful():
    return run({"lan0": SF_INPUTS}, refl_cfg(mode="stateful",
                                             timestamp="ptp", cos=False))


def test_stateful_sequence(stateful):
    """RFC 8762 4.3.1 stateful: the reply's Sequence Number counts the
    reflector's replies in the session from 0, whatever the sender's."""
    for reqs in (SF_A, SF_B):
        for i, req in enumerate(reqs):
            find_reply(stateful, "lan0", req).check(seq=i,
                                                    t_end=stateful.t_end)


def test_ptp_timestamps(stateful):
    """timestamp: ptp: Z set in the reply's Error Estimate, t2 / t3 PTPv2
    truncated (seconds since 1970, ns < 1e9); the sender's timestamp and
    Z copied as they came (NTP or PTP)."""
    for req in SF_A + SF_B:
        rep = find_reply(stateful, "lan0", req)
        assert rep.s.err_estimate.Z == 1
        assert struct.unpack_from("!H", rep.payload, 12)[0] & 0x4000
        t2, t3 = rep.times()             # asserts ns < 1e9
        assert T_START - 1 < t2 < t3 < stateful.t_end + 1
        # a PTP reading taken as NTP would be 70 years off
        assert abs(ntp_unix(struct.unpack_from("!Q", rep.payload, 16)[0])
                   - t2) > 3600
        sender_z = struct.unpack_from("!H", rep.req, 12)[0] >> 14 & 1
        assert rep.s.err_estimate_sender.Z == sender_z


def test_cos_not_allowed(stateful):
    """cos: false: the reply keeps the DSCP it came with (DSCP2), RP = 1
    (RFC 8972 4.4)."""
    rep = find_reply(stateful, "lan0", SF_COS)
    (t,) = rep.s.tlv_objects
    assert cos_fields(t.value) == (46, 12, 2, 1, b"\0\0"), cos_fields(t.value)
    rep.check(seq=0, dscp=12, tlvs=tlvb(T_COS, cos_value(46, 12, 2, 1), 0),
              t_end=stateful.t_end)


def test_stateful_counters(stateful):
    j = stateful.info["show stamp reflector"]
    assert (j["mode"], j["timestamp"]) == ("stateful", "ptp")
    assert j["received"] == j["replied"] == len(SF_INPUTS), j
    assert j["cos_answered"] == 1
    assert_drops(stateful, {})


# -- tlvs false: a plain RFC 8762 reflector -----------------------------------

MIRROR = [
    v6(sender(1, 301, tlvs=ALL_TLVS), tc=10 << 2 | 1, sport=43001),
    v6(padded(2, 302, 1000, bytes), sport=43002),
    v6(padded(3, 303, 100, pad_tlv), sport=43003),
    v6(sender(4, 304, tlvs=[tlv(T_PAD, b"xxxx", length=200)]), sport=43004),
]


@pytest.fixture(scope="module")
def mirror():
    return run({"lan0": MIRROR}, refl_cfg(tlvs=False))


def test_tlvs_off_mirrors_everything(mirror):
    """Everything after the base comes back unchanged: flags (U), values,
    a CoS TLV not answered (the reply keeps the request's DSCP), a zero
    tail, a TLV running past the end."""
    for req in MIRROR:
        find_reply(mirror, "lan0", req).check(t_end=mirror.t_end)
    j = mirror.info["show stamp reflector"]
    assert j["replied"] == len(MIRROR) and j["unknown_tlvs"] == 0 and \
        j["malformed_tlvs"] == 0 and j["cos_answered"] == 0, j
    assert_drops(mirror, {})


# -- rate limit ---------------------------------------------------------------

RL_A, RL_B = "fd42:100:1::20", "fd42:100:1::21"
RL_REQS = [v6(sender(i, 401), src=RL_A, sport=44001) for i in range(50)]
RL_OTHER = [v6(sender(i, 402), src=RL_B, sport=44002) for i in range(3)]




def rl_slot(addr):
    """The rate limiter's slot of a source (reflector.c: FNV-1a over the
    16 address bytes, 1024 slots). Only used to pick two sources that
    share one; should the hash change, they are two independent sources
    and test_rate_limit_collision still holds."""
    h = 2166136261
    for b in ipaddress.IPv6Address(addr).packed:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h % 1024


RL_D = "fd42:100:1::30"
RL_E = next(str(ipaddress.IPv6Address("fd42:100:1::100") + i)
            for i in range(1 << 20)
            if rl_slot(ipaddress.IPv6Address("fd42:100:1::100") + i) ==
            rl_slot(RL_D))
RL_DE = [v6(sender(i // 2, 403 + i % 2), src=(RL_D, RL_E)[i % 2],
            sport=44003 + i % 2) for i in range(40)]


@pytest.fixture(scope="module")
def ratelimit():
    return run({"lan0": RL_REQS + RL_OTHER + RL_DE},
               refl_cfg(rate_limit_pps=10, burst=5))


def test_rate_limit_per_source(ratelimit):
    """GCRA, T = 100 ms, tau = (burst - 1) T = 400 ms: of 50 requests
    handled within one T, the first 5 conform, the other 45 do not; the
    second source has its own budget."""
    by = replies_by_key(ratelimit.outputs["lan0"])
    got_a = sorted(k[2] for k in by if k[1] == 401)
    got_b = sorted(k[2] for k in by if k[1] == 402)
    assert got_a == [0, 1, 2, 3, 4], got_a
    assert got_b == [0, 1, 2], got_b
    for req in RL_REQS[:5] + RL_OTHER:
        find_reply(ratelimit, "lan0", req).check(t_end=ratelimit.t_end)
    j = ratelimit.info["show stamp reflector"]
    assert j["rate_limit_pps"] == 10
    n_de = sum(1 for k in by if k[1] in (403, 404))
    assert_drops(ratelimit, {"stamp_rate_limited": 45 + 40 - n_de})
    assert j["received"] == 93 and j["replied"] == 8 + n_de and \
        j["rate_limited"] == 45 + 40 - n_de, j


def test_rate_limit_collision(ratelimit):
    """Two sources in one slot of the limiter's table, alternating, 20
    requests each: neither gets more than its burst (the slot's budget is
    shared, docs/stamp.md), rather than each resetting the other's."""
    by = replies_by_key(ratelimit.outputs["lan0"])
    d = sum(1 for k in by if k[1] == 403)
    e = sum(1 for k in by if k[1] == 404)
    assert d <= 5 and e <= 5, (d, e)
    assert 5 <= d + e <= 10, (d, e)


# -- reflector off ------------------------------------------------------------

OFF_REQ = v6(sender(1, 701), sport=47001, eth_src=HOST_MAC)


@pytest.fixture(scope="module")
def off():
    return run({"lan0": [OFF_REQ]}, refl_cfg(enabled=False))


def test_reflector_disabled(off):
    """enabled: false: nothing listens on 862, the request gets the
    ICMPv6 Port Unreachable of any closed port, never a STAMP reply."""
    l3 = Ether(bytes(OFF_REQ))[IPv6]
    assert off.outputs["lan0"] == [bytes(icmp6_error(
        ICMPv6DestUnreach(code=4), l3))], off.outputs["lan0"]
    assert_drops(off, {"local_port_unreachable": 1})
    j = off.info["show stamp reflector"]
    assert j["enabled"] is False and j["received"] == 0, j


# -- authenticated mode -------------------------------------------------------

KEY = bytes.fromhex("00112233445566778899aabbccddeeff"
                    "0f1e2d3c4b5a69788796a5b4c3d2e1f0")


def hmac16(data, key=KEY):
    return hmac.new(key, data, hashlib.sha256).digest()[:16]


def auth_sender(seq, ssid, t1=None, err=errest(1, 0, 5, 3), key=KEY,
                tlvs=b"", tlv_hmac=False, bad_tlv_hmac=False):
    """RFC 8762 4.2.2 (SSID from RFC 8972 3): seq 0, MBZ 4..15, ts 16,
    err 24, SSID 26, MBZ 28..95, HMAC 96..111 over bytes 0..95; TLVs
    after, with an HMAC TLV (RFC 8972 4.8) over the Sequence Number and
    the TLVs before it when tlv_hmac."""
    t1 = time.time() if t1 is None else t1
    b = struct.pack("!I12xQHH68x", seq, ntp_raw(t1), err, ssid)
    b += hmac16(b, key)
    if tlv_hmac:
        h = hmac16(b[:4] + tlvs)
        if bad_tlv_hmac:
            h = bytes(16)
        tlvs += tlvb(T_HMAC, h)
    return b + tlvs


def parse_auth_reply(p):
    """RFC 8762 4.3.2: the reflector's authenticated fields."""
    return {
        "seq": struct.unpack_from("!I", p, 0)[0],
        "mbz": p[4:16] + p[28:32] + p[40:48] + p[52:64] + p[74:80] +
        p[81:96],
        "ts": struct.unpack_from("!Q", p, 16)[0],
        "err": struct.unpack_from("!H", p, 24)[0],
        "ssid": struct.unpack_from("!H", p, 26)[0],
        "rx_ts": struct.unpack_from("!Q", p, 32)[0],
        "s_seq": struct.unpack_from("!I", p, 48)[0],
        "s_ts": struct.unpack_from("!Q", p, 64)[0],
        "s_err": struct.unpack_from("!H", p, 72)[0],
        "ttl": p[80],
        "hmac": p[96:112],
    }


AU_GOOD = [
    v6(Raw(auth_sender(1000, 501)), hlim=61, sport=45001),
    v6(Raw(auth_sender(0xdeadbeef, 502)), hlim=3, tc=26 << 2, sport=45002),
    v4(Raw(auth_sender(1002, 503)), ttl=19, sport=45003),
]
AU_PAD = v6(Raw(auth_sender(1003, 504, tlvs=pad_tlv(40))), sport=45004)
AU_TLV = v6(Raw(auth_sender(1004, 505, tlvs=tlvb(T_COS, cos_value(40)),
                            tlv_hmac=True)), tc=4 << 2, sport=45005)
# TLVs without their HMAC TLV / with a wrong one: answered, every TLV
# flagged I and none answered (RFC 8972 4.8)
AU_TLV_NOHMAC = v6(Raw(auth_sender(1005, 506, tlvs=tlvb(T_COS,
                                                        cos_value(40)))),
                   sport=45006)
AU_TLV_BADHMAC = v6(Raw(auth_sender(1006, 507, tlvs=tlvb(T_COS,
                                                         cos_value(40)),
                                    tlv_hmac=True, bad_tlv_hmac=True)),
                    sport=45007)
_bad = bytearray(auth_sender(1010, 510))
_bad[111] ^= 1
AU_BAD = [
    v6(Raw(bytes(_bad)), sport=45010),                        # HMAC wrong
    v6(Raw(auth_sender(1011, 511, key=bytes(32))), sport=45011),  # wrong key
]
_tampered = bytearray(auth_sender(1012, 512))
_tampered[40] = 1                                             # MBZ, covered
AU_BAD.append(v6(Raw(bytes(_tampered)), sport=45012))
AU_SHORT = v6(sender(1013, 513), sport=45013)    # 44 bytes: not 112
AU_INPUTS = AU_GOOD + [AU_BAD[0], AU_PAD, AU_BAD[1], AU_TLV, AU_SHORT,
                       AU_BAD[2], AU_TLV_NOHMAC, AU_TLV_BADHMAC]


def write_key(path, key=KEY, mode=0o600, text=None):
    path.write_text((key.hex() if text is None else text) + "\n")
    os.chmod(path, mode)
    return str(path)


@pytest.fixture(scope="module")
def keydir():
    d = Path(tempfile.mkdtemp(prefix="nep-stamp-keys-"))
    yield d
    for f in d.iterdir():
        f.unlink()
    d.rmdir()


@pytest.fixture(scope="module")
def auth(keydir):
    kf = write_key(keydir / "reflector.key")
    return run({"lan0": AU_INPUTS}, refl_cfg(
        authentication="hmac-sha256", key_file=kf))


def auth_reply(r, req):
    e = Ether(bytes(req))
    want = (e[UDP].sport, struct.unpack_from("!H", udp_payload(req), 26)[0])
    for f in r.outputs["lan0"]:
        fe = Ether(f)
        p = udp_payload(f)
        if fe[UDP].dport == want[0] and struct.unpack_from(
                "!H", p, 26)[0] == want[1]:
            return f
    raise AssertionError(f"no reply for {want}")


def check_auth(r, req, tlvs=None, dscp=None):
    """The reply: 112 + TLV bytes, RFC 8762 4.3.2 fields, its HMAC right,
    the frame rebuilt byte for byte."""
    f = auth_reply(r, req)
    p, q = udp_payload(f), udp_payload(req)
    l3, _ = l3_of(req)
    a = parse_auth_reply(p)
    assert len(p) == len(q)
    assert a["hmac"] == hmac16(p[:96]), "reply HMAC"
    assert a["mbz"] == bytes(len(a["mbz"])), "MBZ"
    s_seq, s_ts, s_err, ssid = struct.unpack_from("!I12xQHH", q)
    assert (a["seq"], a["s_seq"], a["ssid"], a["s_ts"], a["s_err"]) == \
        (s_seq, s_seq, ssid, s_ts, s_err)
    assert a["ttl"] == rx_ttl(l3)
    t2, t3 = ntp_unix(a["rx_ts"]), ntp_unix(a["ts"])
    assert T_START - 1 < t2 < t3 < r.t_end + 1
    assert not a["err"] & 0x4000 and a["err"] & 0xff
    tail = q[112:] if tlvs is None else tlvs
    want = struct.pack("!I12xQHH4xQ8xI12xQH6xB15x", s_seq, a["ts"], a["err"],
                       ssid, a["rx_ts"], s_seq, s_ts, s_err, rx_ttl(l3))
    want += hmac16(want) + tail
    assert p == want, frame_diff(want, p)
    exp = reply_frame(req, want, rx_tos(l3) >> 2 if dscp is None else dscp,
                      LAN0_MAC)
    fe = Ether(f)
    if IP in fe:
        e = Ether(exp)
        e[IP].id, e[IP].flags = fe[IP].id, fe[IP].flags
        del e[IP].chksum
        exp = bytes(e)
    assert f == exp, frame_diff(exp, f)
    return p


def test_auth_replies(auth):
    for req in AU_GOOD:
        check_auth(auth, req)
    check_auth(auth, AU_PAD, tlvs=tlvb(T_PAD, udp_payload(AU_PAD)[116:], 0))


def test_auth_tlv_hmac(auth):
    """CoS answered (DSCP2 = 4, DSCP1 used), the reply's HMAC TLV over its
    Sequence Number and the TLVs before it (RFC 8972 4.8)."""
    p = udp_payload(auth_reply(auth, AU_TLV))
    cos = tlvb(T_COS, cos_value(40, 4, 0, 0), 0)
    h = hmac16(p[:4] + cos)
    check_auth(auth, AU_TLV, tlvs=cos + tlvb(T_HMAC, h, 0), dscp=40)


def test_auth_tlv_integrity_failure(auth):
    """No HMAC TLV, or a wrong one: every TLV back with I, none answered
    (the reply keeps the request's DSCP)."""
    check_auth(auth, AU_TLV_NOHMAC, tlvs=tlvb(T_COS, cos_value(40), F_I))
    # with a wrong HMAC TLV: the reply's HMAC TLV is the reflector's own,
    # over the reply (its Sequence Number and the TLVs before it, as sent)
    p = udp_payload(auth_reply(auth, AU_TLV_BADHMAC))
    cos = tlvb(T_COS, cos_value(40), F_I)
    check_auth(auth, AU_TLV_BADHMAC, tlvs=cos + tlvb(
        T_HMAC, hmac16(p[:4] + cos), F_I))


def test_auth_bad_not_answered(auth):
    answered = {Ether(f)[UDP].dport for f in auth.outputs["lan0"]}
    for req in AU_BAD + [AU_SHORT]:
        assert Ether(bytes(req))[UDP].sport not in answered
    assert len(auth.outputs["lan0"]) == len(AU_GOOD) + 4
    assert_drops(auth, {"stamp_bad_auth": len(AU_BAD), "stamp_truncated": 1})
    j = auth.info["show stamp reflector"]
    assert j["authentication"] == "hmac-sha256"
    assert j["drops"]["stamp_bad_auth"] == len(AU_BAD), j
    assert j["received"] == len(AU_INPUTS) and \
        j["replied"] == len(AU_INPUTS) - len(AU_BAD) - 1, j


@pytest.mark.parametrize("what", ["mode0640", "mode0604", "not_root",
                                  "not_hex", "short"])
def test_key_file_refused(keydir, what):
    """A key file readable by group or others, not root's, not hex, or
    under 16 bytes: --check-config fails with file:line:column of
    key_file, and so does a start."""
    kf = keydir / f"{what}.key"
    if what == "mode0640":
        write_key(kf, mode=0o640)
    elif what == "mode0604":
        write_key(kf, mode=0o604)
    elif what == "not_root":
        write_key(kf)
        os.chown(kf, 65534, 65534)
    elif what == "not_hex":
        write_key(kf, text="zz" * 16)
    else:
        write_key(kf, key=bytes(15))
    dp = Dataplane(extra_cfg=refl_cfg(authentication="hmac-sha256",
                                      key_file=str(kf)))
    try:
        text = dp.cfg_path.read_text()
        lines = text.splitlines()
        ln = next(i for i, s in enumerate(lines) if '"key_file"' in s)
        col_val = lines[ln].index(f'"{kf}"') + 1
        r = subprocess.run([str(NEPTUNE), "--check-config", str(dp.cfg_path)],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode != 0, r
        first = r.stderr.strip().splitlines()[0]
        assert first.startswith(f"{dp.cfg_path}:{ln + 1}:{col_val}: "
                                "stamp.reflector.key_file: "), first
        assert str(kf) in first, first
        if what.startswith("mode") or what == "not_root":
            assert "chmod 600" in first or "owned by root" in first, first
        with pytest.raises(DataplaneError) as ei:
            dp.start()
        assert f"{dp.cfg_path}:{ln + 1}:" in str(ei.value)
    finally:
        dp.cleanup()


# -- SRv6 ---------------------------------------------------------------------

A_LOC = "2001:db8:10:1:5::"
A_END = A_LOC + "1"
PEER6 = "2001:db8:88::2"
SEG1, SEG2 = "2001:db8:77::2", "fc00:b::e"
RP_SSID = 4242
SRV6_CFG = {
    "uplinks": [{"name": "isp1", "port": "wan1", "next_hop": GW6,
                 "delegated_prefix": "2001:db8:1100:1::/64",
                 "health": {"enabled": False}}],
    "srv6": {"site": "a",
             "locators": [{"prefix": A_LOC + "/80", "uplink": "isp1"}],
             "health": {"enabled": False}},
    "stamp": {"reflector": {"enabled": True, "return_paths": [
        {"ssid": RP_SSID, "uplink": "isp1", "segments": [SEG1, SEG2]}]}},
}


def from_wan(payload, dst, srh=None, hlim=50, sport=46000, src=PEER6):
    ip = IPv6(src=src, dst=dst, hlim=hlim)
    if srh is not None:
        ip = ip / srh
    return Ether(src=GW_MAC, dst=WAN1_MAC) / ip / \
        UDP(sport=sport, dport=PORT) / payload


SR_SL0 = from_wan(sender(1, 601), A_END, sport=46001,
                  srh=IPv6ExtHdrSegmentRouting(
                      addresses=[A_END, "2001:db8:99::5"], segleft=0,
                      lastentry=1))
SR_NOSRH = from_wan(sender(2, 602), A_END, sport=46002, hlim=41)
SR_RP_WAN = from_wan(sender(3, RP_SSID), WAN6, sport=46003, hlim=38)
SR_RP_LAN = v6(sender(4, RP_SSID), sport=46004, hlim=12, tc=26 << 2)
SR_RP_V4 = v4(sender(5, RP_SSID), sport=46005, ttl=23)
SR_OTHER = from_wan(sender(6, RP_SSID + 1), WAN6, sport=46006)


@pytest.fixture(scope="module")
def srv6():
    return run({"wan1": [SR_SL0, SR_NOSRH, SR_RP_WAN, SR_OTHER],
                "lan0": [SR_RP_LAN, SR_RP_V4]}, SRV6_CFG)


def test_srv6_end_sid(srv6):
    """RFC 9503 style: STAMP to our End SID, with an SRH at Segments Left
    0 or without one: answered from the SID to the source, no SRH, on
    wan1 to the gateway."""
    for req in (SR_SL0, SR_NOSRH):
        find_reply(srv6, "wan1", req).check(eth_src=WAN1_MAC,
                                            t_end=srv6.t_end)


def _decap(frame):
    """(outer IPv6, SRH, inner bytes) of an H.Encaps frame."""
    e = Ether(frame)
    o = e[IPv6]
    srh = o[IPv6ExtHdrSegmentRouting]
    return e, o, srh, bytes(srh.payload)


def test_srv6_return_path(srv6):
    """return_paths: a request of that SSID is answered H.Encaps'd out of
    the uplink isp1: outer IPv6 from its WAN address to the first segment,
    an SRH holding the segments (reversed, Segments Left 1), the inner
    reply intact -- also for a request that came in on lan0."""
    by = {}
    for f in srv6.outputs["wan1"]:
        e = Ether(f)
        if IPv6ExtHdrSegmentRouting in e:
            by[IPv6(_decap(f)[3])[UDP].dport] = f
    for req in (SR_RP_WAN, SR_RP_LAN):
        f = by.get(Ether(bytes(req))[UDP].sport)
        assert f is not None, f"no encapsulated reply for {req!r}"
        e, o, srh, inner = _decap(f)
        assert (e.src, e.dst) == (WAN1_MAC, GW_MAC)
        assert o.src == WAN6 and o.dst == SEG1 and o.nh == 43
        assert o.hlim == 64, o.hlim
        # RFC 8986 5.1: traffic class copied from the inner, the flow
        # label lib/srv6's hash of it (tests/unit/gen_srv6_vectors.py)
        assert o.tc == IPv6(inner).tc and o.fl == flow_label(inner), \
            (o.tc, o.fl, flow_label(inner))
        assert o.plen == 8 + 16 * 2 + len(inner)
        assert srh.type == 4 and srh.segleft == 1 and srh.lastentry == 1
        assert [str(a) for a in srh.addresses] == [SEG2, SEG1]
        assert srh.nh == 41
        # the inner reply as the reflector would send it on the request's
        # own link (its Ethernet header borrowed for the check)
        req_eth = Ether(bytes(req))
        fake = bytes(Ether(src=LAN0_MAC if req is SR_RP_LAN else WAN1_MAC,
                           dst=req_eth.src, type=0x86dd)) + inner
        Reply(fake, req).check(eth_src=Ether(fake).src, t_end=srv6.t_end)
    j = srv6.info["show stamp reflector"]
    assert j["return_path"] == 2 and j["no_route"] == 0, j


def test_srv6_return_path_ipv4_and_other_ssid(srv6):
    """An IPv4 request with that SSID and a request with another SSID are
    answered the usual way."""
    find_reply(srv6, "lan0", SR_RP_V4).check(t_end=srv6.t_end)
    find_reply(srv6, "wan1", SR_OTHER).check(eth_src=WAN1_MAC,
                                             t_end=srv6.t_end)
    assert len(srv6.outputs["wan1"]) == 5 and len(srv6.outputs["lan0"]) == 1
    assert_drops(srv6, {})
    j = srv6.info["show stamp reflector"]
    assert j["received"] == j["replied"] == 6, j


# -- RFC 9503 Return Path TLV -------------------------------------------------

# RFC 9503 4 (IANA: STAMP TLV type 10) and 4.1: the value is sub-TLVs with
# the RFC 8972 TLV header (flags, type, 16-bit length): Control Code (1,
# four bytes of flags, Reply Request the lowest bit: 0 no reply, 1 reply
# on the link the request came in on), Return Address (2, an IPv4 or IPv6
# address: 4 or 16 bytes), SR-MPLS Label Stack (3, 32-bit label stack
# entries), SRv6 Segment List (4, 16-byte segments, Segment(1), the first
# visited, first). Sub-TLV flags 0, as lib/stamp's encoder sends them.
T_RP = 10
SUB_CC, SUB_ADDR, SUB_MPLS, SUB_SRV6 = 1, 2, 3, 4


def rp_sub(t, value, flags=0):
    return struct.pack("!BBH", flags, t, len(value)) + value


def rp_cc(reply):
    return rp_sub(SUB_CC, struct.pack("!I", 1 if reply else 0))


def rp_addr(a):
    return rp_sub(SUB_ADDR, ipaddress.ip_address(a).packed)


def rp_mpls(*labels, ttl=255):
    """Label stack entries (RFC 3032): label 20 | TC 3 | S 1 | TTL 8."""
    return rp_sub(SUB_MPLS, b"".join(
        struct.pack("!I", lb << 12 | (i == len(labels) - 1) << 8 | ttl)
        for i, lb in enumerate(labels)))


def rp_srv6(*segs):
    return rp_sub(SUB_SRV6, b"".join(ipaddress.IPv6Address(s).packed
                                    for s in segs))


def rp_value(*subs):
    return b"".join(subs)


def rp_tlv(*subs):
    """The Return Path TLV as a Session-Sender sends it (U set)."""
    return tlv(T_RP, rp_value(*subs))


def with_src(frame, src):
    """The request frame with another source address: what a reply to a
    Return Address is checked against (the reply goes to src)."""
    e = Ether(bytes(frame))
    if IPv6 in e:
        e[IPv6].src = src
    else:
        e[IP].src = src
        del e[IP].chksum
    del e[UDP].chksum
    return bytes(e)


RA6, RA4 = "fd42:100:1::77", "192.0.2.77"   # Return Addresses on the LAN
RA_W6 = "2001:db8:99::7"                    # one beyond the gateway
SEG3 = "2001:db8:77::3"

# a Control Code asking for no reply: none sent, the other sub-TLVs (a
# sender's error) ignored
RP_NOREPLY = [
    v6(sender(1, 801, tlvs=[rp_tlv(rp_cc(False))]), sport=48001),
    v4(sender(2, 802, tlvs=[rp_tlv(rp_cc(False))]), sport=48002),
    from_wan(sender(3, 803, tlvs=[rp_tlv(rp_cc(False),
                                         rp_srv6(SEG1, SEG2))]),
             WAN6, sport=48003),
]
# a Control Code asking for a reply on the same link: the Return Address
# and the segment list beside it ignored (RFC 9503 4.1.1)
RP_CC_LAN = v6(sender(4, 804, tlvs=[rp_tlv(rp_cc(True), rp_addr(RA6))]),
               hlim=20, sport=48004)
RP_CC_WAN = from_wan(sender(5, 805, tlvs=[rp_tlv(rp_cc(True),
                                                 rp_srv6(SEG1, SEG2))]),
                     WAN6, sport=48005)
# a Return Address of the request's family (after a CoS TLV: the walk
# goes on), and of the other family (cannot be used: U)
RP_ADDR6 = v6(sender(6, 806, tlvs=[tlv(T_COS, cos_value(46)),
                                   rp_tlv(rp_addr(RA6))]),
              hlim=30, tc=10 << 2 | 1, sport=48006)
RP_ADDR4 = v4(sender(7, 807, tlvs=[rp_tlv(rp_addr(RA4))]), ttl=40,
              sport=48007)
RP_ADDR_X6 = v6(sender(8, 808, tlvs=[rp_tlv(rp_addr(RA4))]), sport=48008)
RP_ADDR_X4 = v4(sender(9, 809, tlvs=[rp_tlv(rp_addr(RA6))]), sport=48009)
# SRv6 Segment Lists, in from wan1 (isp1's port); one with a Return
# Address too; one with an SSID of return_paths (the TLV's list wins)
RP_SRV6 = from_wan(sender(10, 810, tlvs=[rp_tlv(rp_srv6(SEG1, SEG2))]),
                   WAN6, sport=48010, hlim=44)
RP_ADDR_SRV6 = from_wan(sender(11, 811, tlvs=[rp_tlv(
    rp_addr(RA_W6), rp_srv6(SEG3, SEG1, SEG2))]), WAN6, sport=48011)
RP_SRV6_SSID = from_wan(sender(12, RP_SSID, tlvs=[rp_tlv(
    rp_srv6(SEG3, SEG2))]), WAN6, sport=48012)
# a segment list the reflector cannot follow: in on lan0 (no uplink
# there), over IPv4
RP_SRV6_LAN = v6(sender(13, 813, tlvs=[rp_tlv(rp_srv6(SEG1, SEG2))]),
                 sport=48013)
RP_SRV6_V4 = v4(sender(14, 814, tlvs=[rp_tlv(rp_srv6(SEG1, SEG2))]),
                sport=48014)
# SR-MPLS: not supported: the whole TLV back with U, the reply the usual
# way (not to the Return Address, not along the segment list beside it)
RP_MPLS = v6(sender(15, 815, tlvs=[rp_tlv(rp_mpls(16001, 16002))]),
             sport=48015)
RP_MPLS_ADDR = from_wan(sender(16, 816, tlvs=[rp_tlv(
    rp_addr(RA_W6), rp_mpls(16001))]), WAN6, sport=48016)
RP_MPLS_SRV6 = from_wan(sender(17, 817, tlvs=[rp_tlv(
    rp_mpls(16001), rp_srv6(SEG1, SEG2))]), WAN6, sport=48017)

RP_LAN = [RP_NOREPLY[0], RP_NOREPLY[1], RP_CC_LAN, RP_ADDR6, RP_ADDR4,
          RP_ADDR_X6, RP_ADDR_X4, RP_SRV6_LAN, RP_SRV6_V4, RP_MPLS]
RP_WAN = [RP_NOREPLY[2], RP_CC_WAN, RP_SRV6, RP_ADDR_SRV6, RP_SRV6_SSID,
          RP_MPLS_ADDR, RP_MPLS_SRV6]


@pytest.fixture(scope="module")
def rpath():
    return run({"lan0": RP_LAN, "wan1": RP_WAN}, SRV6_CFG)


def rp_back(req, flags):
    """The request's TLVs as the reply carries them: each Return Path TLV
    with the flags given, the others as they came."""
    t = udp_payload(req)[44:]
    out, off = b"", 0
    while off < len(t):
        ty, ln = t[off + 1], struct.unpack_from("!H", t, off + 2)[0]
        h = bytes([flags]) if ty == T_RP else t[off:off + 1]
        out += h + t[off + 1:off + 4 + ln]
        off += 4 + ln
    return out


def plain_reply(r, port, req):
    """The reply on port for req, not encapsulated."""
    rep = find_reply(r, port, req)
    assert IPv6ExtHdrSegmentRouting not in rep.e, "encapsulated"
    return rep


def encap_replies(r):
    """{request's UDP source port: frame} of the H.Encaps'd replies."""
    by = {}
    for f in r.outputs["wan1"]:
        if IPv6ExtHdrSegmentRouting in Ether(f):
            by[IPv6(_decap(f)[3])[UDP].dport] = f
    return by


def check_encap(r, req, segs, to=None, tlvs=None):
    """The reply H.Encaps'd out of isp1 along segs (Segment(1) first):
    outer IPv6 from the uplink's address to segs[0], an SRH holding them
    reversed, Segments Left n - 1; the inner reply to `to` (default the
    request's source), checked byte for byte."""
    f = encap_replies(r).get(Ether(bytes(req))[UDP].sport)
    assert f is not None, f"no encapsulated reply for {req!r}"
    e, o, srh, inner = _decap(f)
    assert (e.src, e.dst) == (WAN1_MAC, GW_MAC)
    assert o.src == WAN6 and o.dst == segs[0] and o.nh == 43
    assert o.hlim == 64, o.hlim
    assert o.tc == IPv6(inner).tc and o.fl == flow_label(inner), \
        (o.tc, o.fl, flow_label(inner))
    assert o.plen == 8 + 16 * len(segs) + len(inner)
    assert srh.type == 4 and srh.segleft == len(segs) - 1 and \
        srh.lastentry == len(segs) - 1
    assert [str(a) for a in srh.addresses] == list(reversed(segs))
    assert srh.nh == 41
    fake = bytes(Ether(src=WAN1_MAC, dst=Ether(bytes(req)).src,
                       type=0x86dd)) + inner
    Reply(fake, req if to is None else with_src(req, to)).check(
        eth_src=WAN1_MAC, tlvs=tlvs, t_end=r.t_end)


def test_return_path_no_reply(rpath):
    """A Control Code with Reply Request 0 (RFC 9503 4.1.1): no reply at
    all, over IPv6 and IPv4, and with a segment list beside it; nothing
    dropped (the request is consumed)."""
    sent = {Ether(bytes(q))[UDP].sport for q in RP_NOREPLY}
    for port in ("lan0", "wan1"):
        for f in rpath.outputs[port]:
            e = Ether(f)
            if IPv6ExtHdrSegmentRouting in e:
                e = IPv6(_decap(f)[3])
            assert e[UDP].dport not in sent, f"a reply on {port}: {e!r}"
    assert_drops(rpath, {})


def test_return_path_control_code_same_link(rpath):
    """Reply Request 1: the reply on the link the request came in on, to
    its source; the Return Address and the segment list beside it are
    ignored (RFC 9503 4.1.1); the TLV back without U."""
    plain_reply(rpath, "lan0", RP_CC_LAN).check(
        tlvs=rp_back(RP_CC_LAN, 0), t_end=rpath.t_end)
    plain_reply(rpath, "wan1", RP_CC_WAN).check(
        eth_src=WAN1_MAC, tlvs=rp_back(RP_CC_WAN, 0), t_end=rpath.t_end)


def test_return_path_return_address(rpath):
    """A Return Address of the request's family: the reply goes to it
    instead of the source (on the request's link, to its previous hop),
    the TLV back without U; the CoS TLV before it answered as well."""
    rep = plain_reply(rpath, "lan0", RP_ADDR6)
    assert rep.l3.dst == RA6
    Reply(rep.frame, with_src(RP_ADDR6, RA6)).check(
        dscp=46, tlvs=tlvb(T_COS, cos_value(46, 10, 1, 0), 0) +
        tlvb(T_RP, rp_value(rp_addr(RA6)), 0), t_end=rpath.t_end)
    rep = plain_reply(rpath, "lan0", RP_ADDR4)
    assert rep.l3.dst == RA4
    Reply(rep.frame, with_src(RP_ADDR4, RA4)).check(
        tlvs=tlvb(T_RP, rp_value(rp_addr(RA4)), 0), t_end=rpath.t_end)


def test_return_path_return_address_other_family(rpath):
    """A Return Address of the other family cannot be used: the TLV back
    with U, the reply to the request's source."""
    for req in (RP_ADDR_X6, RP_ADDR_X4):
        plain_reply(rpath, "lan0", req).check(tlvs=rp_back(req, F_U),
                                               t_end=rpath.t_end)


def test_return_path_srv6(rpath):
    """An SRv6 Segment List (RFC 9503 4.1.3): the reply H.Encaps'd along
    it out of isp1, the uplink of wan1 the request came in by, the TLV
    back without U; with a Return Address beside it the inner reply goes
    there; the TLV's list before the SSID's return_paths."""
    check_encap(rpath, RP_SRV6, [SEG1, SEG2], tlvs=rp_back(RP_SRV6, 0))
    check_encap(rpath, RP_ADDR_SRV6, [SEG3, SEG1, SEG2], to=RA_W6,
                tlvs=rp_back(RP_ADDR_SRV6, 0))
    check_encap(rpath, RP_SRV6_SSID, [SEG3, SEG2],
                tlvs=rp_back(RP_SRV6_SSID, 0))


def test_return_path_srv6_not_possible(rpath):
    """A segment list the reflector cannot follow -- a request in on lan0,
    which is no uplink's port, or over IPv4 -- is not used: the TLV back
    with U, the reply the usual way (RFC 9503 4: used 'if possible')."""
    for req in (RP_SRV6_LAN, RP_SRV6_V4):
        plain_reply(rpath, "lan0", req).check(tlvs=rp_back(req, F_U),
                                               t_end=rpath.t_end)


def test_return_path_mpls_not_supported(rpath):
    """An SR-MPLS Label Stack: not supported, the whole TLV back with U and
    the reply the usual way: to the source, not to the Return Address
    beside it, not along the segment list beside it."""
    plain_reply(rpath, "lan0", RP_MPLS).check(tlvs=rp_back(RP_MPLS, F_U),
                                              t_end=rpath.t_end)
    for req in (RP_MPLS_ADDR, RP_MPLS_SRV6):
        rep = plain_reply(rpath, "wan1", req)
        assert rep.l3.dst == PEER6
        rep.check(eth_src=WAN1_MAC, tlvs=rp_back(req, F_U),
                  t_end=rpath.t_end)


def test_return_path_counters(rpath):
    """Every request received, all but the three no-reply ones answered,
    three over a return path, nothing dropped, no TLV counted unknown (a
    Return Path TLV flagged U is not an unknown type)."""
    assert len(rpath.outputs["lan0"]) == len(RP_LAN) - 2
    assert len(rpath.outputs["wan1"]) == len(RP_WAN) - 1
    assert len(encap_replies(rpath)) == 3
    j = rpath.info["show stamp reflector"]
    n = len(RP_LAN) + len(RP_WAN)
    assert j["received"] == n and j["replied"] == n - len(RP_NOREPLY), j
    assert j["return_path"] == 3 and j["no_route"] == 0, j
    assert j["unknown_tlvs"] == 0 and j["malformed_tlvs"] == 0, j
    assert j["cos_answered"] == 1, j
    assert_drops(rpath, {})
