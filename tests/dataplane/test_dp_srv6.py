#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""SRv6 through the whole data plane (docs/srv6.md, RFC 8754, RFC 8986):
every frame neptune emits is compared byte for byte with one scapy built
from the RFC rules.

Topology: the standard lan0/wan1 pair, plus

  - uplink isp1 on wan1 (next hop the gateway), srv6 site `a` with the
    locator 2001:db8:10:1:5::/80, inside wan1's on-link /64 (proxy ND);
    path health off, so every path is up with its link;
  - local SIDs: locator::1 (End), locator::100 (End.DT46, overlay vpn1),
    wan1's address (End for an SRH with segments left), and the localsids
    fc00:a::6 End.DT6, fc00:a::4 End.DT4, fc00:a::e End, fc00:a::e2 End.X
    via the gateway on wan1;
  - remote site b at the address 2001:db8:77::2 (two-SID lists
    <2001:db8:77::2, fc00:b::6 | fc00:b::4>, 80 bytes), remote site c at
    the locator 2001:db8:88:0:5::/80 (one SID 2001:db8:88:0:5::100 with an
    SRH of one segment, 64 bytes; 40 with `reduced`);
  - overlay vpn1 (function 0x100): a = the LAN subnets, b =
    fd42:200:1::/64 + 198.18.20.0/24, c = fd42:300:1::/64 + 198.18.30.0/24.
  - ICMP errors not rate limited (every error of a run is sent).

The outer flow label is the hash documented in lib/srv6/nep_srv6.h,
computed by tests/unit/gen_srv6_vectors.py's flow_label() (the Python twin
the unit vectors use), over the inner packet as the host sent it.

Runs (about 7 s in all):
  - encap (fast path and general path): H.Encaps with 1 and 2 SIDs, IPv6
    and IPv4 inner (TOS copied), inner hop limit 1, Packet Too Big /
    Fragmentation Needed with the inner MTU (1436, 1420), MSS clamping;
    `show sr policies`, `show overlays`;
  - reduced (`reduced: true`, `hop_limit: 17`): H.Encaps.Red with 1 SID
    (no SRH, 40 bytes) and 2 SIDs (SRH of one segment), its MTUs;
  - mss_clamp off;
  - rx (fast path and general path): End.DT6 / DT4 / DT46, two-SID lists
    to our WAN address, End / End.X with the next SID remote, End with
    three SIDs, echo to locator::1, proxy ND; `show sr localsids`;
  - malformed: every SRH / SID error, each packet's verdict read from
    `trace` (one named drop per packet) and the ICMPv6 error RFC 8754
    4.3.1.1, RFC 8986 4.1 / 4.1.1 / 4.4 / 4.6 and RFC 8200 4.4 ask for;
  - traced: the srv6 trace records of encapsulation and decapsulation.

A configuration cannot express a list of three SIDs (an SR policy is one or
two SIDs by the remote's addressing class), so H.Encaps with 3 SIDs is
covered by the unit vectors (tests/unit/test_srv6.c, encap6_3 / red6_3);
here three SIDs are tested on the receiving side (End with segments left 2).
"""
import copy
import re
import struct
import sys

import pytest

from dp_packets import (ICMP, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA,
                        ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                        ICMPv6NDOptSrcLLAddr,
                        ICMPv6PacketTooBig, ICMPv6TimeExceeded, IP, IPv6, Raw,
                        TCP, UDP, aged, from_gw, from_host, icmp4_error,
                        icmp6_error, is6, mcast_mac, routed, solicited_node,
                        udp4, udp6)
from neptune_dp import (REPO, Dataplane, GW6, GW_MAC, HOST4, HOST6, HOST_MAC,
                        LAN0_MAC, LAN6, WAN1_MAC, WAN4, WAN6, assert_drops,
                        assert_frames,
                        frame_diff)
from scapy.layers.inet6 import (ICMPv6ParamProblem, IPv6ExtHdrFragment,
                                IPv6ExtHdrSegmentRouting)
from scapy.layers.l2 import Ether

sys.path.insert(0, str(REPO / "tests" / "unit"))
from gen_srv6_vectors import flow_label  # noqa: E402

# -- the SRv6 topology -------------------------------------------------------

A_LOC = "2001:db8:10:1:5::"            # our locator, /80, inside wan1's /64
A_END = A_LOC + "1"                    # End (echo answered)
A_DT46 = A_LOC + "100"                 # End.DT46, overlay vpn1
A_UNKNOWN = A_LOC + "dead"             # inside the locator, not allocated
SID_DT6, SID_DT4 = "fc00:a::6", "fc00:a::4"
SID_END, SID_ENDX = "fc00:a::e", "fc00:a::e2"

B_ADDR, B_SID6, B_SID4 = "2001:db8:77::2", "fc00:b::6", "fc00:b::4"
C_LOC = "2001:db8:88:0:5::"
C_SID = C_LOC + "100"                  # site c's End.DT46 for vpn1
C_PROBE = C_LOC + "1"
B6, B4 = "fd42:200:1::10", "198.18.20.10"   # hosts behind site b
C6, C4 = "fd42:300:1::10", "198.18.30.10"   # hosts behind site c

PEER = "2001:db8:88::2"                # a remote edge sending SRv6 to us
FAR, FAR2, MID = "2001:db8:99::5", "2001:db8:99::7", "2001:db8:99::6"

MTU = 1500
OVH_1, OVH_2, OVH_RED1 = 64, 80, 40    # 1 SID + SRH, 2 SIDs, 1 SID reduced

LOCALSIDS = [
    {"sid": SID_DT6, "behavior": "end.dt6"},
    {"sid": SID_DT4, "behavior": "end.dt4", "vrf": "default"},
    {"sid": SID_END, "behavior": "end"},
    {"sid": SID_ENDX, "behavior": "end.x", "next_hop": GW6, "port": "wan1"},
]


def srv6_cfg(srv6=None, dataplane=None):
    """extra_cfg of a run: the SRv6 topology, srv6 options merged in."""
    s = {"site": "a",
         "locators": [{"prefix": A_LOC + "/80", "uplink": "isp1"}],
         "localsids": LOCALSIDS,
         "health": {"enabled": False}}
    s.update(srv6 or {})
    cfg = {
        "uplinks": [{"name": "isp1", "port": "wan1", "next_hop": GW6,
                     "delegated_prefix": "2001:db8:1100:1::/64",
                     "health": {"enabled": False}}],
        "srv6": s,
        "sites": [{"name": "b", "addresses": [{"address": B_ADDR}]},
                  {"name": "c", "locators": [{"prefix": C_LOC + "/80"}]}],
        "overlays": [{"name": "vpn1", "function": "0x100", "sites": {
            "a": ["fd42:100:1::/64", "192.0.2.0/24"],
            "b": {"prefixes": ["fd42:200:1::/64", "198.18.20.0/24"],
                  "sid6": B_SID6, "sid4": B_SID4},
            "c": ["fd42:300:1::/64", "198.18.30.0/24"]}}],
        "icmp": {"rate_pps": 1000000, "burst": 1000000},
    }
    if dataplane:
        cfg["dataplane"] = dataplane
    return cfg


def run(inputs, queries=(), **cfg):
    """One neptune run; the `--json` answers of `queries` (asked once the
    traffic is done, before shutdown) in r.info."""
    dp = Dataplane(inputs=inputs, extra_cfg=srv6_cfg(**cfg))
    try:
        dp.start()
        dp.wait_idle()
        info = {q: dp.json(q) for q in queries}
        r = dp.stop()
    finally:
        dp.cleanup()
    r.info = info
    return r


# -- expected packets ---------------------------------------------------------




def tclass(l3):
    b = bytes(l3)
    return ((b[0] & 0xf) << 4 | b[1] >> 4) if is6(b) else b[1]


def encaps(inner, sids, reduced=False, hlim=64, src=WAN6):
    """H.Encaps / H.Encaps.Red (RFC 8986 5.1, 5.2) of the inner packet as
    the host sent it, out of wan1 to the gateway: outer source the WAN
    address, DA the first SID, traffic class copied, flow label the hash,
    the SRH listing the SIDs in reverse (without the first when reduced),
    Segments Left = n - 1, Last Entry = SIDs in the SRH - 1, flags and tag
    0; inner hop limit / TTL one lower."""
    b = bytes(inner)
    nh = 41 if is6(b) else 4
    in_srh = sids[1:] if reduced else sids
    outer = IPv6(src=src, dst=sids[0], tc=tclass(b), fl=flow_label(b),
                 hlim=hlim)
    if in_srh:
        outer.nh = 43
        pkt = outer / IPv6ExtHdrSegmentRouting(
            nh=nh, addresses=list(reversed(in_srh)), segleft=len(sids) - 1,
            lastentry=len(in_srh) - 1, tag=0) / Raw(aged(b))
    else:
        outer.nh = nh
        pkt = outer / Raw(aged(b))
    return Ether(src=WAN1_MAC, dst=GW_MAC) / pkt


def check_outer(frame, inner, n_sids, reduced=False, hlim=64):
    """The fields the brief names, read from the raw frame (independent of
    scapy): outer payload length, next headers, hop limit, traffic class,
    flow label, SRH lengths, Segments Left, Last Entry, flags, tag."""
    inner = bytes(inner)
    o = frame[14:]
    in_srh = n_sids - 1 if reduced else n_sids
    srh_len = 8 + 16 * in_srh if in_srh else 0
    vtf = struct.unpack("!I", o[:4])[0]
    assert vtf >> 28 == 6
    assert (vtf >> 20) & 0xff == tclass(inner), "traffic class not copied"
    assert vtf & 0xfffff == flow_label(inner), "flow label"
    assert struct.unpack("!H", o[4:6])[0] == srh_len + len(inner), \
        "outer payload length"
    assert o[7] == hlim, "outer hop limit"
    inner_nh = 41 if is6(inner) else 4
    if not srh_len:
        assert o[6] == inner_nh
    else:
        h = o[40:48]
        assert o[6] == 43 and h[0] == inner_nh
        assert h[1] == 2 * in_srh, "Hdr Ext Len"
        assert h[2] == 4, "Routing Type"
        assert h[3] == n_sids - 1, "Segments Left"
        assert h[4] == in_srh - 1, "Last Entry"
        assert h[5] == 0 and h[6:8] == b"\0\0", "flags / tag"
    assert o[40 + srh_len:] == aged(inner), "inner packet"


def sized6(total, dst, sport):
    """IPv6/UDP packet of exactly `total` bytes from the LAN host (udp6
    replaces empty data by its default payload: size from one byte)."""
    base = len(udp6(dst=dst, sport=sport, data=b"x")) - 1
    return udp6(dst=dst, sport=sport,
                data=bytes((i * 7 + sport) & 0xff
                           for i in range(total - base)))


def sized4(total, dst, sport, flags):
    base = len(udp4(dst=dst, sport=sport, data=b"x", flags=flags)) - 1
    return udp4(dst=dst, sport=sport, flags=flags,
                data=bytes((i * 5 + sport) & 0xff
                           for i in range(total - base)))


def syn4(dst, sport, mss, nop_first=False):
    opts = ([("NOP", None)] if nop_first else []) + \
        [("MSS", mss), ("SAckOK", b""), ("WScale", 7)]
    return IP(src=HOST4, dst=dst, ttl=64, id=0x4242, flags="DF") / \
        TCP(sport=sport, dport=443, flags="S", seq=1000, window=64240,
            options=opts)


def syn6(dst, sport, mss, nop_first=False):
    opts = ([("NOP", None)] if nop_first else []) + \
        [("MSS", mss), ("SAckOK", b""), ("WScale", 7)]
    return IPv6(src=HOST6, dst=dst, hlim=64) / \
        TCP(sport=sport, dport=443, flags="S", seq=1000, window=64800,
            options=opts)


def srv6_in(dst, seglist, sl, upper, hlim=50, src=PEER, le=None, hlen=None,
            rtype=4, tlv=b"", nh=None):
    """An SRv6 packet a remote edge sends: outer IPv6 to dst, an SRH with
    Segment List `seglist` (Segment List[0] = the last segment), Segments
    Left sl; le / hlen / rtype / tlv to forge broken ones."""
    up = bytes(upper)
    if nh is None:
        nh = 41 if is6(up) else 4 if up[0] >> 4 == 4 else 17
    srh = IPv6ExtHdrSegmentRouting(
        nh=nh, type=rtype, addresses=list(seglist), segleft=sl,
        lastentry=len(seglist) - 1 if le is None else le)
    if hlen is not None:
        srh.len = hlen
    elif tlv:
        srh.len = 2 * len(seglist) + len(tlv) // 8
    body = Raw(tlv + up) if tlv else upper
    return IPv6(src=src, dst=dst, nh=43, hlim=hlim) / srh / body


def inner6(sport, hlim=60, dst=HOST6, src=C6, tc=0x20):
    return IPv6(src=src, dst=dst, hlim=hlim, tc=tc, fl=0xabcde) / \
        UDP(sport=sport, dport=40000) / Raw(b"inner v6 %d " % sport * 4)


def inner4(sport, ttl=60, dst=HOST4, src=C4):
    return IP(src=src, dst=dst, ttl=ttl, id=sport, flags="DF", tos=0x20) / \
        UDP(sport=sport, dport=40000) / Raw(b"inner v4 %d " % sport * 4)


def wan(l3):
    return from_gw() / l3


def lan(l3):
    return from_host() / l3


def to_lan_host(l3):
    """What leaves lan0 for the LAN host: l3 forwarded (aged once)."""
    return routed(Ether(src=LAN0_MAC, dst=HOST_MAC), l3)


def to_gw(l3):
    return Ether(src=WAN1_MAC, dst=GW_MAC) / l3


def err_to_peer(err, orig, peer=PEER):
    """An ICMPv6 error about a packet received on wan1: from wan1's
    address, through the gateway, quoting the packet as received."""
    return icmp6_error(err, orig, src=WAN6, dst=peer, eth_dst=GW_MAC,
                       eth_src=WAN1_MAC)


def find(out, want, what):
    want = bytes(want)
    if want in out:
        return
    msg = f"{what}: expected frame not among the {len(out)} emitted"
    if out:
        # The closest: same length first, then fewest differing bytes.
        near = min(out, key=lambda o: (len(o) != len(want), sum(
            a != b for a, b in zip(o, want))))
        msg += "\nclosest:\n" + frame_diff(want, near)
    raise AssertionError(msg)


# == H.Encaps, MTU, MSS (one run per data path) ==============================

X6C = udp6(dst=C6, tc=0xb8, fl=0x12345, sport=40001, data=b"to site c " * 6)
X6B = udp6(dst=B6, tc=0x28, sport=40002, data=b"to site b " * 6)
X4B = udp4(dst=B4, tos=0xb9, sport=40003, ident=0x0b0b, data=b"v4 to b " * 6)
X4C = IP(src=HOST4, dst=C4, tos=0x28, ttl=17, id=0x0c0c) / \
    ICMP(type=8, id=0x77, seq=1) / Raw(b"ping site c")
X6C_HL1 = udp6(dst=C6, hlim=1, sport=40005)
X4B_TTL1 = udp4(dst=B4, ttl=1, sport=40006)

FIT6C = sized6(MTU - OVH_1, C6, 40011)
BIG6C = sized6(MTU - OVH_1 + 1, C6, 40012)
FIT6B = sized6(MTU - OVH_2, B6, 40013)
BIG6B = sized6(MTU - OVH_2 + 1, B6, 40014)
BIG4B_DF = sized4(MTU - OVH_2 + 1, B4, 40015, "DF")
BIG4B_NODF = sized4(MTU - OVH_2 + 1, B4, 40016, 0)
BIG4C_DF = sized4(MTU - OVH_1 + 1, C4, 40017, "DF")

SYN4B = syn4(B4, 40021, 1460)                  # MSS option at an even offset
SYN6C = syn6(C6, 40022, 1460, nop_first=True)  # ... at an odd offset
SYN6B = syn6(B6, 40023, 1460)
SYN4C_LOW = syn4(C4, 40024, 1200)              # below the clamp: unchanged
MSS4B = MTU - OVH_2 - 40      # 1380
MSS6C = MTU - OVH_1 - 60      # 1376
MSS6B = MTU - OVH_2 - 60      # 1360

B6_SIDS, B4_SIDS, C_SIDS = [B_ADDR, B_SID6], [B_ADDR, B_SID4], [C_SID]

ENCAP_IN = [X6C, X6B, X4B, X4C, X6C_HL1, X4B_TTL1, FIT6C, BIG6C, FIT6B, BIG6B,
            BIG4B_DF, BIG4B_NODF, BIG4C_DF, SYN4B, SYN6C, SYN6B, SYN4C_LOW]


def clamped(syn, mss):
    """The SYN with its MSS lowered, TCP checksum recomputed by scapy."""
    p = syn.copy()
    p[TCP].options = [("MSS", mss) if k == "MSS" else (k, v)
                      for k, v in p[TCP].options]
    p[TCP].chksum = None
    return p.__class__(bytes(p))


@pytest.fixture(scope="module", params=[True, False], ids=["fast", "general"])
def encap(request):
    return run({"lan0": [lan(p) for p in ENCAP_IN]},
               queries=("show overlays", "show sr policies"),
               dataplane={"fast_path": request.param})


@pytest.mark.parametrize("name,inner,sids", [
    ("1 SID, IPv6 inner (locator site c)", X6C, C_SIDS),
    ("2 SIDs, IPv6 inner (address site b)", X6B, B6_SIDS),
    ("2 SIDs, IPv4 inner, TOS 0xb9 copied", X4B, B4_SIDS),
    ("1 SID, IPv4 ICMP inner (3-tuple flow label)", X4C, C_SIDS),
])
def test_h_encaps(encap, name, inner, sids):
    want = encaps(inner, sids)
    find(encap.outputs["wan1"], want, f"H.Encaps {name}")
    check_outer(bytes(want), inner, len(sids))


def test_h_encaps_fits_exactly(encap):
    """The largest inner packets that fit: 1436 with one SID (64 bytes),
    1420 with two (80): 1500-byte outer packets."""
    for inner, sids in ((FIT6C, C_SIDS), (FIT6B, B6_SIDS)):
        want = encaps(inner, sids)
        assert len(bytes(want)) == 14 + MTU
        find(encap.outputs["wan1"], want, f"{len(inner)}-byte inner")


def test_inner_hop_limit_1_not_encapsulated(encap):
    """An inner packet that would leave with hop limit / TTL 0 is not
    carried: Time Exceeded to the host."""
    for err in (icmp6_error(ICMPv6TimeExceeded(code=0), X6C_HL1),
                icmp4_error(ICMP(type=11, code=0), X4B_TTL1)):
        find(encap.outputs["lan0"], err, "Time Exceeded for an inner "
             "packet with hop limit 1")


def test_packet_too_big_inner_mtu(encap):
    """Fits the port MTU but not the port MTU minus the overhead: Packet
    Too Big / Fragmentation Needed to the inner source with the inner MTU
    (1436 for one SID with an SRH, 1420 for two)."""
    out = encap.outputs["lan0"]
    find(out, icmp6_error(ICMPv6PacketTooBig(mtu=MTU - OVH_1), BIG6C),
         "Packet Too Big, MTU 1436")
    find(out, icmp6_error(ICMPv6PacketTooBig(mtu=MTU - OVH_2), BIG6B),
         "Packet Too Big, MTU 1420")
    find(out, icmp4_error(ICMP(type=3, code=4, nexthopmtu=MTU - OVH_2),
                          BIG4B_DF), "Fragmentation Needed, MTU 1420")
    find(out, icmp4_error(ICMP(type=3, code=4, nexthopmtu=MTU - OVH_1),
                          BIG4C_DF), "Fragmentation Needed, MTU 1436")


@pytest.mark.parametrize("name,syn,sids,mss", [
    ("IPv4 over 2 SIDs", SYN4B, B4_SIDS, MSS4B),
    ("IPv6 over 1 SID, MSS at an odd offset", SYN6C, C_SIDS, MSS6C),
    ("IPv6 over 2 SIDs", SYN6B, B6_SIDS, MSS6B),
])
def test_mss_clamped(encap, name, syn, sids, mss):
    """SYN with MSS 1460 over an overlay: MSS = port MTU - overhead - 40
    (IPv4) / 60 (IPv6), TCP checksum valid (scapy recomputes it)."""
    want = encaps(clamped(syn, mss), sids)
    find(encap.outputs["wan1"], want, f"SYN {name}, MSS {mss}")


def test_mss_below_clamp_unchanged(encap):
    find(encap.outputs["wan1"], encaps(SYN4C_LOW, C_SIDS), "SYN MSS 1200")


def test_encap_nothing_else(encap):
    wan_want = [encaps(X6C, C_SIDS), encaps(X6B, B6_SIDS),
                encaps(X4B, B4_SIDS), encaps(X4C, C_SIDS),
                encaps(FIT6C, C_SIDS), encaps(FIT6B, B6_SIDS),
                encaps(clamped(SYN4B, MSS4B), B4_SIDS),
                encaps(clamped(SYN6C, MSS6C), C_SIDS),
                encaps(clamped(SYN6B, MSS6B), B6_SIDS),
                encaps(SYN4C_LOW, C_SIDS)]
    assert_frames(encap.outputs["wan1"], wan_want, "wan1 output",
                  ordered=False)
    assert len(encap.outputs["lan0"]) == 6, encap.outputs["lan0"]
    # BIG4B_NODF: no DF, dropped without an error (no fragmentation).
    assert_drops(encap, {"mtu_exceeded": 5, "hop_limit_exceeded": 2})
    s = encap.stats["srv6"]
    assert s["encap"] == 10 and s["mss_clamped"] == 3, s


def test_show_sr_policies(encap):
    pol = encap.info["show sr policies"]["policies"]
    got = {(p["overlay"], p["site"], p["family"]): p["paths"] for p in pol}
    want = {("vpn1", "b", 6): (f"{B_ADDR},{B_SID6}", OVH_2),
            ("vpn1", "b", 4): (f"{B_ADDR},{B_SID4}", OVH_2),
            ("vpn1", "c", 6): (C_SID, OVH_1),
            ("vpn1", "c", 4): (C_SID, OVH_1)}
    assert set(got) == set(want), pol
    for k, (segs, ovh) in want.items():
        assert len(got[k]) == 1, got[k]
        p = got[k][0]
        assert (p["uplink"], p["source"], p["segments"], p["overhead"],
                p["mtu"], p["reduced"]) == \
            ("isp1", WAN6, segs, ovh, MTU - ovh, False), (k, p)


def test_show_overlays(encap):
    ov = encap.info["show overlays"]["overlays"]
    assert [o["name"] for o in ov] == ["vpn1"], ov
    o = ov[0]
    assert o["vrf"] == "default" and o["function"] == 0x100, o
    sites = {s["site"]: s for s in o["sites"]}
    assert set(sites) == {"a", "b", "c"}, o
    assert sites["a"]["local"] is True and sites["a"]["paths"] == []
    assert sorted(sites["c"]["prefixes"]) == ["198.18.30.0/24",
                                              "fd42:300:1::/64"], sites["c"]
    sent = {"b": [X6B, X4B, FIT6B, clamped(SYN4B, MSS4B),
                  clamped(SYN6B, MSS6B)],
            "c": [X6C, X4C, FIT6C, clamped(SYN6C, MSS6C), SYN4C_LOW]}
    ovh = {"b": OVH_2, "c": OVH_1}
    for name, remote in (("b", B_ADDR), ("c", C_PROBE)):
        s = sites[name]
        assert s["local"] is False and len(s["paths"]) == 1, s
        p = s["paths"][0]
        assert (p["uplink"], p["remote"], p["state"], p["buckets"]) == \
            ("isp1", remote, "up", 256), p
        assert p["tx_packets"] == len(sent[name]), p
        assert p["tx_bytes"] == sum(len(x) + ovh[name] for x in sent[name]), p


# == H.Encaps.Red, configured hop limit =======================================

R6C = udp6(dst=C6, tc=0x48, sport=41001)
R4C = udp4(dst=C4, tos=0x10, sport=41002)
R6B = udp6(dst=B6, tc=0x04, sport=41003)
R4B = udp4(dst=B4, sport=41004)
RFIT6C, RBIG6C = sized6(MTU - OVH_RED1, C6, 41011), \
    sized6(MTU - OVH_RED1 + 1, C6, 41012)
RBIG6B = sized6(MTU - OVH_1 + 1, B6, 41013)    # reduced 2 SIDs: 64 bytes
RSYN4C = syn4(C4, 41021, 1460)
HOP_LIMIT = 17


@pytest.fixture(scope="module")
def reduced():
    pkts = (R6C, R4C, R6B, R4B, RFIT6C, RBIG6C, RBIG6B, RSYN4C)
    return run({"lan0": [lan(p) for p in pkts]},
               queries=("show sr policies",),
               srv6={"reduced": True, "hop_limit": HOP_LIMIT})


@pytest.mark.parametrize("name,inner,sids", [
    ("1 SID, IPv6 inner: no SRH, 40 bytes", R6C, C_SIDS),
    ("1 SID, IPv4 inner: no SRH, 40 bytes", R4C, C_SIDS),
    ("2 SIDs, IPv6 inner: SRH of one segment, SL 1 LE 0", R6B, B6_SIDS),
    ("2 SIDs, IPv4 inner", R4B, B4_SIDS),
    ("1 SID, 1460-byte inner fits", RFIT6C, C_SIDS),
    ("1 SID, SYN MSS clamped to 1500-40-40", clamped(RSYN4C, 1420), C_SIDS),
])
def test_h_encaps_red(reduced, name, inner, sids):
    want = encaps(inner, sids, reduced=True, hlim=HOP_LIMIT)
    find(reduced.outputs["wan1"], want, f"H.Encaps.Red {name}")
    check_outer(bytes(want), inner, len(sids), reduced=True, hlim=HOP_LIMIT)


def test_h_encaps_red_mtu(reduced):
    out = reduced.outputs["lan0"]
    find(out, icmp6_error(ICMPv6PacketTooBig(mtu=MTU - OVH_RED1), RBIG6C),
         "Packet Too Big, MTU 1460 (reduced, 1 SID)")
    find(out, icmp6_error(ICMPv6PacketTooBig(mtu=MTU - OVH_1), RBIG6B),
         "Packet Too Big, MTU 1436 (reduced, 2 SIDs)")
    assert len(reduced.outputs["wan1"]) == 6, reduced.outputs["wan1"]
    assert len(out) == 2, out
    assert_drops(reduced, {"mtu_exceeded": 2})


def test_show_sr_policies_reduced(reduced):
    for p in reduced.info["show sr policies"]["policies"]:
        pa = p["paths"][0]
        if p["site"] == "c":
            assert (pa["segments"], pa["overhead"], pa["reduced"]) == \
                (C_SID, OVH_RED1, True), p
        else:
            sid = B_SID6 if p["family"] == 6 else B_SID4
            assert (pa["segments"], pa["overhead"], pa["reduced"]) == \
                (f"{B_ADDR},{sid}", OVH_1, True), p


# == mss_clamp: false =========================================================

def test_mss_clamp_off():
    syn_b, syn_c = syn4(B4, 42001, 1460), syn6(C6, 42002, 1460)
    r = run({"lan0": [lan(syn_b), lan(syn_c)]}, srv6={"mss_clamp": False})
    assert_frames(r.outputs["wan1"], [encaps(syn_b, B4_SIDS),
                                      encaps(syn_c, C_SIDS)],
                  "SYNs with their MSS untouched", ordered=False)
    assert r.stats["srv6"]["mss_clamped"] == 0, r.stats["srv6"]
    assert_drops(r, {})


# == End, End.X, End.DT4/DT6/DT46, proxy ND, echo (one run per data path) =====

D_DT6 = srv6_in(SID_DT6, [SID_DT6], 0, inner6(2001))
D_DT4 = srv6_in(SID_DT4, [SID_DT4], 0, inner4(2002))
D_DT46_6 = srv6_in(A_DT46, [A_DT46], 0, inner6(2003, tc=0xb8))
D_DT46_4 = srv6_in(A_DT46, [A_DT46], 0, inner4(2004))
D_DT46_RED = IPv6(src=PEER, dst=A_DT46, nh=41, hlim=50) / inner6(2005)
# Two-SID lists to us: End on our WAN address, then the SID in the list.
D_WAN_DT6 = srv6_in(WAN6, [SID_DT6, WAN6], 1, inner6(2006))
D_WAN_DT46_4 = srv6_in(WAN6, [A_DT46, WAN6], 1, inner4(2007))
# ... as H.Encaps.Red sends it: WAN address only in the DA (SL = LE + 1).
D_WAN_RED = srv6_in(WAN6, [SID_DT6], 1, inner6(2008))

DECAPS = {"End.DT6": (D_DT6, inner6(2001)),
          "End.DT4": (D_DT4, inner4(2002)),
          "End.DT46, IPv6 inner": (D_DT46_6, inner6(2003, tc=0xb8)),
          "End.DT46, IPv4 inner": (D_DT46_4, inner4(2004)),
          "End.DT46, no SRH (reduced 1 SID)": (D_DT46_RED, inner6(2005)),
          "End on the WAN address, SL 1 -> End.DT6": (D_WAN_DT6, inner6(2006)),
          "End on the WAN address, SL 1 -> End.DT46 (IPv4)":
              (D_WAN_DT46_4, inner4(2007)),
          "End on the WAN address (reduced SRH, SL = LE + 1) -> End.DT6":
              (D_WAN_RED, inner6(2008))}

E_END = srv6_in(SID_END, [FAR, SID_END], 1, inner6(2101, dst=FAR))
E_END_OUT = srv6_in(FAR, [FAR, SID_END], 0, inner6(2101, dst=FAR), hlim=49)
E_LOC3 = srv6_in(A_END, [FAR2, MID, A_END], 2, inner4(2102, dst="203.0.113.9"))
E_LOC3_OUT = srv6_in(MID, [FAR2, MID, A_END], 1,
                     inner4(2102, dst="203.0.113.9"), hlim=49)
E_X = srv6_in(SID_ENDX, [FAR, SID_ENDX], 1, inner6(2103, dst=FAR))
E_X_OUT = srv6_in(FAR, [FAR, SID_ENDX], 0, inner6(2103, dst=FAR), hlim=49)

ECHO = IPv6(src=PEER, dst=A_END, hlim=60) / \
    ICMPv6EchoRequest(id=0x0777, seq=3, data=b"probe of another site")
ECHO_REPLY = to_gw(IPv6(src=A_END, dst=PEER, hlim=64) /
                   ICMPv6EchoReply(id=0x0777, seq=3,
                                   data=b"probe of another site"))


def ns_from_gw(target):
    snm = solicited_node(target)
    return Ether(src=GW_MAC, dst=mcast_mac(snm)) / \
        IPv6(src=GW6, dst=snm, hlim=255) / ICMPv6ND_NS(tgt=target) / \
        ICMPv6NDOptSrcLLAddr(lladdr=GW_MAC)


def na_to_gw(target):
    return to_gw(IPv6(src=target, dst=GW6, hlim=255) /
                 ICMPv6ND_NA(R=1, S=1, O=1, tgt=target) /
                 ICMPv6NDOptDstLLAddr(lladdr=WAN1_MAC))


ONLINK_NOT_SID = "2001:db8:10:1::77"   # wan1's /64, outside the locator

RX_IN = [wan(p) for p, _ in DECAPS.values()] + \
    [wan(E_END), wan(E_LOC3), wan(E_X), wan(ECHO),
     ns_from_gw(A_END), ns_from_gw(A_DT46), ns_from_gw(ONLINK_NOT_SID)]


@pytest.fixture(scope="module", params=[True, False], ids=["fast", "general"])
def rx(request):
    return run({"wan1": RX_IN}, queries=("show sr localsids",),
               dataplane={"fast_path": request.param})


@pytest.mark.parametrize("name", list(DECAPS))
def test_decap(rx, name):
    """The inner packet leaves lan0 for the LAN host, from lan0's MAC, its
    hop limit / TTL one lower (IPv4 checksum right), nothing else changed."""
    _, inner = DECAPS[name]
    find(rx.outputs["lan0"], to_lan_host(inner), f"{name}: inner packet")


def test_end_next_sid_remote(rx):
    """End on a localsids End SID, SL 1, the next SID remote: out of wan1
    with SL 0, DA = Segment List[0], hop limit decremented once."""
    assert bytes(E_END_OUT)[7] == bytes(E_END)[7] - 1
    find(rx.outputs["wan1"], to_gw(E_END_OUT), "End, SL 1 -> 0")


def test_end_three_sids(rx):
    """End on locator::1 with a three-SID list, SL 2: SL 1, DA = the middle
    SID, forwarded to the gateway."""
    find(rx.outputs["wan1"], to_gw(E_LOC3_OUT), "End, SL 2 -> 1")


def test_end_x(rx):
    find(rx.outputs["wan1"], to_gw(E_X_OUT), "End.X via the gateway")


def test_echo_to_end_sid(rx):
    find(rx.outputs["wan1"], ECHO_REPLY, "echo reply from locator::1")


def test_proxy_nd(rx):
    """NS from the gateway for SIDs inside wan1's on-link prefix: answered
    with neptune's MAC; an on-link address outside the locator: nothing."""
    find(rx.outputs["wan1"], na_to_gw(A_END), "NA for locator::1")
    find(rx.outputs["wan1"], na_to_gw(A_DT46), "NA for locator::100")
    assert not [o for o in rx.outputs["wan1"]
                if bytes(IPv6(dst=ONLINK_NOT_SID))[24:40] in o], \
        "an address outside the locator was answered"


def test_rx_nothing_else(rx):
    """Nothing more than the frames above (their bytes: test_decap and
    the End / ND / echo tests)."""
    assert len(rx.outputs["lan0"]) == len(DECAPS), rx.outputs["lan0"]
    assert_frames(rx.outputs["wan1"],
                  [to_gw(E_END_OUT), to_gw(E_LOC3_OUT), to_gw(E_X_OUT),
                   ECHO_REPLY, na_to_gw(A_END), na_to_gw(A_DT46)],
                  "wan1 output", ordered=False)
    assert_drops(rx, {"local_unhandled": 1})     # the NS for ::77
    s = rx.stats["srv6"]
    assert (s["decap"], s["end"]) == (8, 6), s


def test_show_sr_localsids(rx):
    ls = rx.info["show sr localsids"]
    sids = {e["sid"]: e for e in ls["localsids"]}
    want_beh = {WAN6: "end", A_END: "end", A_DT46: "end.dt46",
                SID_DT6: "end.dt6", SID_DT4: "end.dt4", SID_END: "end",
                SID_ENDX: "end.x"}
    assert set(sids) == set(want_beh), sids
    for s, b in want_beh.items():
        assert sids[s]["behavior"] == b, sids[s]
    assert sids[WAN6]["use"] == "wan-address" and \
        sids[A_DT46]["use"] == "vpn1", sids
    assert sids[SID_DT6]["vrf"] == "default" and sids[SID_END]["vrf"] is None

    def pkts(*ps):
        return len(ps), sum(len(p) for p in ps)

    want = {SID_DT6: pkts(D_DT6, D_WAN_DT6, D_WAN_RED),
            SID_DT4: pkts(D_DT4),
            A_DT46: pkts(D_DT46_6, D_DT46_4, D_DT46_RED, D_WAN_DT46_4),
            WAN6: pkts(D_WAN_DT6, D_WAN_DT46_4, D_WAN_RED),
            SID_END: pkts(E_END), SID_ENDX: pkts(E_X),
            A_END: pkts(E_LOC3, ECHO)}
    got = {s: (sids[s]["packets"], sids[s]["bytes"]) for s in want}
    assert got == want, f"(packets, bytes) per SID: {got} != {want}"
    assert ls["locators"] == [A_LOC + "/80"], ls
    assert (ls["unknown_sid_drops"], ls["decap"], ls["end"]) == (0, 8, 6), ls


# == malformed SRv6 packets: one named drop each, ICMPv6 errors ===============

UP = inner6(3000, dst=HOST6)      # any inner packet
UDP_UP = UDP(sport=3001, dport=3002) / Raw(b"upper layer, not a packet")

SRH0 = 40 + 8 + 16      # upper-layer offset behind an SRH of one segment


def pp(code, ptr):
    return ICMPv6ParamProblem(code=code, ptr=ptr)


# (name, packet, its one drop counter, the ICMPv6 error RFC 8754 / RFC 8986
# / RFC 8200 want, or None)
_M = [
    # RFC 8754 4.3.1.1 S09-S13, RFC 8986 4.1 S09-S10.
    ("SL > Last Entry + 1",
     srv6_in(A_END, [FAR, A_END], 3, UP), "srh_bad_segments_left",
     pp(0, 43)),
    ("SL > Last Entry + 1, to our WAN address",
     srv6_in(WAN6, [FAR, WAN6], 3, UP), "srh_bad_segments_left", pp(0, 43)),
    # Last Entry > Hdr Ext Len / 2 - 1: neither RFC names the field to
    # point at; neptune points at the inconsistent one, Hdr Ext Len (RFC
    # 8200 4.2: the octet where the error was detected).
    ("Hdr Ext Len too short for Last Entry",
     srv6_in(A_END, [FAR, A_END], 1, UP, le=2, hlen=4), "srh_bad_hdr_len",
     pp(0, 41)),
    # A TLV running past the header.
    ("TLV past the SRH",
     srv6_in(A_END, [FAR2, FAR, A_END], 2, UP, tlv=b"\x81\x0a" + b"\0" * 6),
     "srh_bad_tlv", None),
    # RFC 8200 4.4: unrecognised Routing Type with SL > 0 (RH0, RFC 5095).
    ("Routing Type 0, SL 1",
     srv6_in(A_END, [FAR, A_END], 1, UP, rtype=0), "srh_bad_routing_type",
     pp(0, 42)),
    # RFC 8986 4.4 S02-S03: End.DT6 with segments left.
    ("End.DT6 with SL 1",
     srv6_in(SID_DT6, [FAR, SID_DT6], 1, UP), "srv6_decap_segments_left",
     pp(0, 43)),
    # RFC 8986 4.1 S05-S06: hop limit 1 at End.
    ("End with hop limit 1",
     srv6_in(SID_END, [FAR, SID_END], 1, UP, hlim=1),
     "srv6_hop_limit_exceeded", ICMPv6TimeExceeded(code=0)),
    ("End.DT6, outer packet fragmented",
     IPv6(src=PEER, dst=SID_DT6, hlim=50) /
     IPv6ExtHdrFragment(nh=41, offset=0, m=1, id=0x5eed) / UP,
     "srv6_decap_fragment", None),
    # RFC 8986 4.6 / 4.4 -> 4.1.1: an upper layer the SID does not take is
    # answered with Parameter Problem code 4 pointing at it.
    ("End.DT4 given IPv6",
     srv6_in(SID_DT4, [SID_DT4], 0, UP), "srv6_decap_wrong_family",
     pp(4, SRH0)),
    ("End.DT6 given IPv4",
     srv6_in(SID_DT6, [SID_DT6], 0, inner4(3003)), "srv6_decap_wrong_family",
     pp(4, SRH0)),
    ("End.DT6 given UDP",
     srv6_in(SID_DT6, [SID_DT6], 0, UDP_UP), "srv6_decap_no_inner",
     pp(4, SRH0)),
    # RFC 8986 4.1.1: End, SL 0, upper layer not ICMPv6.
    ("End, SL 0, UDP upper layer",
     srv6_in(A_END, [A_END], 0, UDP_UP), "srv6_no_next_segment", pp(4, SRH0)),
    ("End, no SRH, UDP upper layer",
     IPv6(src=PEER, dst=A_END, hlim=50) / UDP_UP, "srv6_no_next_segment",
     pp(4, 40)),
    ("unknown SID inside our locator",
     IPv6(src=PEER, dst=A_UNKNOWN, hlim=50) / UDP_UP, "srv6_unknown_sid",
     None),
]


def _truncated_srh():
    """An SRH whose Hdr Ext Len (6: three segments) runs past the IPv6
    payload, which holds two."""
    srh = bytearray(bytes(IPv6ExtHdrSegmentRouting(
        nh=59, addresses=[FAR, A_END], segleft=1, lastentry=1)))
    srh[1] = 6
    return IPv6(src=PEER, dst=A_END, nh=43, hlim=50) / Raw(bytes(srh))


# The core's IPv6 parse walks the extension headers before any stage and
# drops a header running past the payload under its own name: SRv6 never
# sees it (srh_truncated is lib/srv6's code for buffers given directly).
_M.append(("SRH longer than the packet", _truncated_srh(), "ip6_bad_ext_chain",
           None))
MALFORMED = {name: (pkt, counter, err) for name, pkt, counter, err in _M}


@pytest.fixture(scope="module")
def malformed():
    """wan1 is a FIFO (burst 1: the worker does not wait for a full burst)
    so that `trace add` is armed before the first packet: the trace gives
    each packet's own verdict."""
    dp = Dataplane(extra_cfg=srv6_cfg(dataplane={"burst": 1}),
                   fifo_ports=["wan1"])
    try:
        dp.start()
        ok, out = dp.cmd(f"trace add {len(MALFORMED)}")
        assert ok, out
        dp.feed("wan1", [bytes(wan(p)) for p, _, _ in MALFORMED.values()])
        dp.wait_idle()
        trace = dp.json("show trace")["trace"]
        r = dp.stop()
    finally:
        dp.cleanup()
    r.trace = trace
    return r


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_counter(malformed, name):
    """Each malformed packet ends as a drop under its own named reason."""
    i = list(MALFORMED).index(name)
    _, counter, _ = MALFORMED[name]
    assert len(malformed.trace) == len(MALFORMED), malformed.trace
    p = malformed.trace[i]
    verdict = p["stages"][-1]["verdict"]
    assert verdict == f"drop({counter})", \
        f"{name}: verdict {verdict}, expected drop({counter})\n" + \
        "\n".join(f"  {s['stage']} {s['feature']} {s['detail']} -> "
                  f"{s['verdict']}" for s in p["stages"])


@pytest.mark.parametrize("name", [n for n, v in MALFORMED.items()
                                  if v[2] is not None])
def test_malformed_icmp_error(malformed, name):
    """The ICMPv6 error the RFCs ask for, to the packet's source through
    the gateway, quoting it as received."""
    pkt, _, err = MALFORMED[name]
    find(malformed.outputs["wan1"], err_to_peer(err.copy(), pkt),
         f"{name}: {err.summary()}")


def test_malformed_totals(malformed):
    want = {}
    for _, counter, _ in MALFORMED.values():
        want[counter] = want.get(counter, 0) + 1
    assert_drops(malformed, want)
    assert_frames(malformed.outputs["wan1"],
                  [err_to_peer(e.copy(), p) for p, _, e in MALFORMED.values()
                   if e is not None], "ICMPv6 errors on wan1", ordered=False)
    assert malformed.outputs["lan0"] == []


# == trace ====================================================================

T_ENC6C = udp6(dst=C6, sport=43001, data=b"traced to c")
T_ENC6B = udp6(dst=B6, sport=43002, data=b"traced to b")
T_DT6 = srv6_in(SID_DT6, [SID_DT6], 0, inner6(4001))
T_WAN = srv6_in(WAN6, [SID_DT6, WAN6], 1, inner6(4002))


@pytest.fixture(scope="module")
def traced():
    """lan0 and wan1 FIFOs, burst 1: the worker reads lan0, wan1, lan0,
    wan1; `trace add 4` takes them all."""
    dp = Dataplane(extra_cfg=srv6_cfg(dataplane={"burst": 1}),
                   fifo_ports=["lan0", "wan1"])
    try:
        dp.start()
        ok, out = dp.cmd("trace add 4")
        assert ok, out
        dp.feed("lan0", [bytes(lan(T_ENC6C)), bytes(lan(T_ENC6B))])
        dp.feed("wan1", [bytes(wan(T_DT6)), bytes(wan(T_WAN))])
        dp.wait_idle()
        trace = dp.json("show trace")["trace"]
        pol = dp.json("show sr policies")["policies"]
        r = dp.stop()
    finally:
        dp.cleanup()
    r.trace, r.policies = trace, pol
    return r


def _srv6_recs(trace, needle):
    """The srv6 records of the traced packet whose input record contains
    needle."""
    for p in trace:
        if any(needle in s["detail"] for s in p["stages"]
               if s["stage"] == "input"):
            return [(s["stage"], s["detail"]) for s in p["stages"]
                    if s["feature"] == "srv6"], p
    raise AssertionError(f"no traced packet with {needle!r}: {trace}")


def _path(traced, site):
    return next(p["paths"][0]["path"] for p in traced.policies
                if p["site"] == site and p["family"] == 6)


def test_trace_encap(traced):
    assert len(traced.trace) == 4, traced.trace
    for inner, sids, site, ovh, port in (
            (T_ENC6C, C_SIDS, "c", OVH_1, 43001),
            (T_ENC6B, B6_SIDS, "b", OVH_2, 43002)):
        recs, p = _srv6_recs(traced.trace, f"port {port} ")
        fl = flow_label(inner)
        gp = _path(traced, site)
        assert [r[0] for r in recs] == ["egress", "output"], p
        assert re.fullmatch(
            rf"srv6 overlay route \d+ policy \d+ ipv6 flow-label 0x{fl:05x} "
            rf"bucket {fl & 255} path {gp} \(2 up\)", recs[0][1]), recs
        assert recs[1][1] == f"srv6 h.encaps da {sids[0]} sids {len(sids)} " \
            f"+{ovh} bytes -> {len(inner) + ovh} bytes path {gp}", recs
        assert p["stages"][-1]["verdict"] == "sent", p


def test_trace_decap(traced):
    recs, p = _srv6_recs(traced.trace, f"-> {SID_DT6} ")
    assert recs == [("ingress", f"srv6 sid {SID_DT6} end.dt6 segments-left 0 "
                                "decap table 0")], p
    assert p["stages"][-1]["verdict"] == "sent", p
    recs, p = _srv6_recs(traced.trace, f"-> {WAN6} ")
    assert [r[0] for r in recs] == ["ingress", "ingress"], p
    assert recs[0][1].startswith(f"srv6 sid {WAN6} end segments-left "), recs
    assert recs[1][1] == f"srv6 sid {SID_DT6} end.dt6 segments-left 0 " \
        "decap table 0", recs
    assert p["stages"][-1]["verdict"] == "sent", p
    assert len(traced.outputs["lan0"]) == 2, traced.outputs["lan0"]


# -- echo answered over the uplink it came in by; SYNs out of an overlay -----

OTHER_MAC = "02:00:00:00:cc:02"   # a second router on wan1's link


def test_echo_reply_to_previous_hop():
    """An echo to our End SID (the probe of a remote site) from a router
    that is not the default route's gateway is answered to that router's
    MAC, not through ::/0 (a multihomed peer probes each uplink); plain
    WAN-address echoes too, IPv4 included."""
    req6 = IPv6(src=PEER, dst=A_END, hlim=60) / ICMPv6EchoRequest(
        id=0x5336, seq=7, data=b"probe")
    req6w = IPv6(src=PEER, dst=WAN6, hlim=60) / ICMPv6EchoRequest(
        id=0x77, seq=1, data=b"wan")
    req4 = IP(src="203.0.113.77", dst=WAN4, ttl=60) / ICMP(id=9, seq=2)
    r = run({"wan1": [Ether(src=OTHER_MAC, dst=WAN1_MAC) / p
                      for p in (req6, req6w, req4)]})
    out = [Ether(f) for f in r.outputs["wan1"]]
    assert len(out) == 3, [o.summary() for o in out]
    for o in out:
        assert o.dst == OTHER_MAC and o.src == WAN1_MAC, o.summary()
    assert out[0][IPv6].src == A_END and out[0][IPv6].dst == PEER
    assert out[0].haslayer(ICMPv6EchoReply) and \
        out[0][ICMPv6EchoReply].seq == 7
    assert out[1][IPv6].src == WAN6 and out[1].haslayer(ICMPv6EchoReply)
    assert out[2][IP].src == WAN4 and out[2][ICMP].type == 0


def test_syn_out_of_overlay_clamped():
    """A SYN-ACK decapsulated by End.DT6 / End.DT4 (a remote that does not
    clamp, e.g. a Linux edge) leaves for the LAN host with its MSS lowered
    to the port MTU minus this encapsulation (64 bytes: IPv6 + an SRH of
    one SID) minus 60 / 40; checksum valid (compared with scapy's)."""
    synack6 = IPv6(src=C6, dst=HOST6, hlim=60) / TCP(
        sport=443, dport=40123, flags="SA", seq=5, ack=1001, window=65000,
        options=[("MSS", 1440), ("SAckOK", b"")])
    synack4 = IP(src=C4, dst=HOST4, ttl=60, id=3, flags="DF") / TCP(
        sport=443, dport=40124, flags="SA", seq=5, ack=1001, window=65000,
        options=[("MSS", 1460)])
    ins = [srv6_in(SID_DT6, [SID_DT6], 0, synack6),
           srv6_in(SID_DT4, [SID_DT4], 0, synack4)]
    r = run({"wan1": [wan(p) for p in ins]})
    out = [Ether(f) for f in r.outputs["lan0"]]
    assert len(out) == 2, [o.summary() for o in out]
    for o, orig, mss in ((out[0], synack6, 1500 - 64 - 60),
                         (out[1], synack4, 1500 - 64 - 40)):
        want = clamped(orig, mss)
        got = o.payload
        assert dict(got[TCP].options)["MSS"] == mss, got[TCP].options
        assert bytes(got[TCP]) == bytes(want[TCP]), (got.show2(dump=True),
                                                     want.show2(dump=True))


# -- waypoints: policies of 3 and 4 SIDs ---------------------------------------

WAY1, WAY2 = "2001:db8:99::a1", "2001:db8:99::a2"
D6, D4 = "fd42:400:1::10", "198.18.40.10"


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_h_encaps_waypoints(fast):
    """An endpoint with `via` waypoints: <WAY1, C_SID> (2 SIDs through a
    locator site), <WAY1, WAY2, C-locator SID> (3) and <WAY1, B_ADDR,
    B_SID6> (3) / <WAY1, WAY2, B_ADDR, B_SID4> (4), exact bytes; Packet
    Too Big quotes 1500 - 96 for 3 SIDs."""
    cfg = srv6_cfg(dataplane={"fast_path": fast})
    cfg["sites"] = [
        {"name": "b", "addresses": [{"address": B_ADDR,
                                     "via": [WAY1, WAY2]}]},
        {"name": "c", "locators": [{"prefix": C_LOC + "/80",
                                    "via": [WAY1, WAY2]}]},
        {"name": "d", "addresses": [{"address": B_ADDR, "via": [WAY1]}]},
    ]
    cfg["overlays"][0]["sites"]["d"] = {
        "prefixes": ["fd42:400:1::/64", "198.18.40.0/24"], "sid6": B_SID6}
    x6c = udp6(dst=C6, tc=0x10, sport=41001, data=b"3 sids " * 8)
    x6d = udp6(dst=D6, sport=41002, data=b"3 sids to d " * 4)
    x4b = udp4(dst="198.18.20.10", sport=41003, data=b"4 sids " * 8)
    x4d = udp4(dst=D4, sport=41004, data=b"3 sids v4 " * 5)
    big = udp6(dst=C6, sport=41005, data=b"z" * (1500 - 96 - 48 + 1))
    dp = Dataplane(inputs={"lan0": [lan(p) for p in (x6c, x6d, x4b, x4d,
                                                     big)]},
                   extra_cfg=cfg)
    try:
        r = dp.run()
    finally:
        dp.cleanup()
    out = r.outputs["wan1"]
    for inner, sids in ((x6c, [WAY1, WAY2, C_SID]),
                        (x6d, [WAY1, B_ADDR, B_SID6]),
                        (x4b, [WAY1, WAY2, B_ADDR, B_SID4]),
                        (x4d, [WAY1, B_ADDR, B_SID6])):
        want = encaps(inner, sids)
        find(out, want, f"H.Encaps, {len(sids)} SIDs")
        check_outer(bytes(want), inner, len(sids))
    assert len(out) == 4, [Ether(f).summary() for f in out]
    ptb = [Ether(f) for f in r.outputs["lan0"]]
    assert len(ptb) == 1 and ptb[0].haslayer(ICMPv6PacketTooBig), \
        [p.summary() for p in ptb]
    assert ptb[0][ICMPv6PacketTooBig].mtu == 1500 - 96


# -- steering policies place overlay flows too -----------------------------------

WAN2_MAC, GW2_MAC = "02:00:00:00:00:12", "02:00:00:00:bb:02"
WAN2_6, GW2_6 = "2001:db8:20:1::2", "2001:db8:20:1::1"


def test_policies_place_overlay_flows():
    """multihoming's steering policies apply to overlay flows: `strict
    isp2` keeps a flow on isp2's path to site c, `preferred isp1` puts it
    on isp1's; a flow no policy names is placed by its bucket. Both
    uplinks lead to site c's locator (two paths)."""
    cfg = srv6_cfg()
    cfg["uplinks"].append({"name": "isp2", "port": "wan2",
                           "next_hop": GW2_6,
                           "delegated_prefix": "2001:db8:2200:1::/64",
                           "health": {"enabled": False}})
    cfg["steering"] = {
        "inside_prefixes": ["fd42:100:1::/64"], "flow_table_size": 4096,
        "policies": [
            {"name": "to-c-5000", "destination": C6 + "/128",
             "protocol": "udp", "destination_ports": 5000,
             "mode": "strict", "uplink": "isp2"},
            {"name": "to-c-6000", "destination": C6 + "/128",
             "protocol": "udp", "destination_ports": 6000,
             "mode": "preferred", "uplink": "isp1"}]}
    cfg["neighbors"] = {"static": [
        {"port": "wan1", "address": GW6, "mac": GW_MAC},
        {"port": "wan2", "address": GW2_6, "mac": GW2_MAC},
        {"port": "lan0", "address": HOST6, "mac": HOST_MAC},
        {"port": "lan0", "address": HOST4, "mac": HOST_MAC}]}
    flows = [udp6(dst=C6, sport=42000 + i, dport=5000) for i in range(8)] + \
        [udp6(dst=C6, sport=43000 + i, dport=6000) for i in range(8)]
    dp = Dataplane(inputs={"lan0": [lan(p) for p in flows]}, extra_cfg=cfg,
                   extra_ports=[{"name": "wan2", "role": "wan",
                                 "mac": WAN2_MAC,
                                 "addresses": [WAN2_6 + "/64"]}])
    try:
        r = dp.run()
    finally:
        dp.cleanup()
    via = {"wan1": [], "wan2": []}
    for port in via:
        for f in r.outputs[port]:
            e = Ether(f)
            inner = e[IPv6ExtHdrSegmentRouting].payload
            via[port].append(inner[UDP].dport)
            src = WAN6 if port == "wan1" else WAN2_6
            assert e[IPv6].src == src and e[IPv6].dst == C_SID, e.summary()
    assert sorted(via["wan2"]) == [5000] * 8, via
    assert sorted(via["wan1"]) == [6000] * 8, via


# -- found in review: echoes with extension headers, NUD of a proxied SID,
#    End towards a next segment one must not route to ---------------------------

def _with_icmp6_cksum(pkt, l4_off):
    """pkt with the ICMPv6 checksum RFC 8200 8.1 defines (pseudo-header:
    the final destination and next header 58, whatever extension headers
    come between)."""
    b = bytearray(bytes(pkt))
    l4 = b[l4_off:]
    l4[2:4] = b"\0\0"
    ph = bytes(b[8:40]) + struct.pack("!IxxxB", len(l4), 58)
    data = ph + bytes(l4)
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    b[l4_off + 2:l4_off + 4] = struct.pack("!H", ~s & 0xffff)
    return IPv6(bytes(b))


def test_echo_with_extension_headers():
    """An echo to the End SID behind an SRH (SL 0) and one to the WAN
    address behind a Destination Options header are answered, the reply
    without extension headers and with a valid checksum (scapy's)."""
    from scapy.layers.inet6 import IPv6ExtHdrDestOpt
    r1 = _with_icmp6_cksum(
        IPv6(src=PEER, dst=A_END, hlim=60, nh=43) / IPv6ExtHdrSegmentRouting(
            nh=58, addresses=[A_END, MID], segleft=0, lastentry=1) /
        ICMPv6EchoRequest(id=0x0777, seq=9, data=b"srh echo"), 80)
    r2 = _with_icmp6_cksum(
        IPv6(src=PEER, dst=WAN6, hlim=60) / IPv6ExtHdrDestOpt() /
        ICMPv6EchoRequest(id=0x0778, seq=10, data=b"dst opt echo"), 48)
    r = run({"wan1": [wan(r1), wan(r2)]})
    out = [Ether(f) for f in r.outputs["wan1"]]
    assert len(out) == 2, ([o.summary() for o in out], r.nonzero_drops())
    for o, src, seq, data in ((out[0], A_END, 9, b"srh echo"),
                              (out[1], WAN6, 10, b"dst opt echo")):
        want = IPv6(src=src, dst=PEER, hlim=64) / ICMPv6EchoReply(
            id=o[ICMPv6EchoReply].id, seq=seq, data=data)
        assert bytes(o[IPv6]) == bytes(IPv6(bytes(want))), \
            o.show2(dump=True)


def test_nud_of_proxied_dt46_sid():
    """The gateway re-checks a proxied SID with a unicast NS to it (NUD):
    an End.DT46 SID answers like an End one."""
    ns = [Ether(src=GW_MAC, dst=WAN1_MAC) /
          IPv6(src=GW6, dst=t, hlim=255) / ICMPv6ND_NS(tgt=t) /
          ICMPv6NDOptSrcLLAddr(lladdr=GW_MAC) for t in (A_DT46, A_END)]
    r = run({"wan1": ns})
    out = [Ether(f) for f in r.outputs["wan1"]]
    tgts = sorted(o[ICMPv6ND_NA].tgt for o in out if o.haslayer(ICMPv6ND_NA))
    assert tgts == sorted([A_DT46, A_END]), [o.summary() for o in out]
    assert not r.nonzero_drops(), r.nonzero_drops()


def test_end_next_segment_not_routable():
    """End making a link-local or multicast address the destination drops
    the packet (srv6_bad_next_segment) instead of routing it."""
    ps = [srv6_in(SID_END, [d, SID_END], 1, inner6(3001 + i, dst=d))
          for i, d in enumerate(("fe80::99", "ff0e::1"))]
    r = run({"wan1": [wan(p) for p in ps]})
    assert all(not f for f in r.outputs.values()) or \
        not any(r.outputs.values()), r.outputs
    assert r.nonzero_drops() == {"srv6_bad_next_segment": 2}, \
        r.nonzero_drops()


# -- reload --------------------------------------------------------------------

def test_reload_keeps_flows_and_counts_right():
    """A reload that adds a localsid and a second endpoint of site c:
    applied (the new SID decapsulates, the new path is in show overlays),
    flows keep their path unless the new path wins their bucket (weighted
    rendezvous: only buckets it takes move), and the per-SID counters
    never show another SID's packets (they restart when SIDs move)."""
    kick = [Ether(src=HOST_MAC, dst="02:00:00:00:99:99") / IPv6(src=HOST6,
                                                                dst=LAN6)]
    cfg = srv6_cfg(dataplane={"burst": 1})
    dp = Dataplane(extra_cfg=cfg, fifo_ports=["lan0"])
    try:
        dp.start()
        flows = [udp6(dst=C6, sport=44000 + i) for i in range(64)]
        dp.feed("lan0", [lan(p) for p in flows])
        # SRv6 packets reach the SIDs by any port (lan0: the one FIFO)
        dp.feed("lan0", [lan(srv6_in(SID_DT6, [SID_DT6], 0,
                                     inner6(3100 + i))) for i in range(3)])
        dp.wait_idle()
        before = {s["sid"]: s["packets"] for s in
                  dp.json("show sr localsids")["localsids"]}
        assert before[SID_DT6] == 3, before
        cfg2 = copy.deepcopy(dp.cfg)
        cfg2["srv6"]["localsids"] = [{"sid": "fc00:a::1",
                                      "behavior": "end.dt6"}] + \
            cfg2["srv6"]["localsids"]
        cfg2["sites"][1]["locators"].append({"prefix": "2001:db8:89:0:5::/80"})
        dp.write_config(cfg2)
        ok, out = dp.cmd_kicked("reload", "lan0", kick)
        assert ok, out
        after = {s["sid"]: s["packets"] for s in
                 dp.json("show sr localsids")["localsids"]}
        # every SID shows only its own packets: 0 or the 3 of fc00:a::6
        assert all(v in (0, 3) for v in after.values()), after
        # fc00:a::1 took fc00:a::6's index: it must not show its 3
        assert after["fc00:a::1"] == 0, after
        dp.feed("lan0", [lan(p) for p in flows])
        dp.feed("lan0", [lan(srv6_in("fc00:a::1", ["fc00:a::1"], 0,
                                     inner6(3200)))])
        dp.wait_idle()
        paths = {p["remote"]: p for o in dp.json("show overlays")["overlays"]
                 for s in o["sites"] if s["site"] == "c" for p in s["paths"]}
        assert len(paths) == 2, paths
        r = dp.stop()
    finally:
        dp.cleanup()
    out = [Ether(f) for f in r.outputs["wan1"]]
    first = {e[UDP].sport: e[IPv6].dst for e in out[:64]}
    second = {e[UDP].sport: e[IPv6].dst for e in out[64:128]
              if e.haslayer(UDP)}
    assert len(first) == 64 and len(second) == 64, (len(first), len(second))
    moved = [s for s in first if first[s] != second[s]]
    # the new endpoint takes about half the buckets: only to it do flows move
    assert all(second[s].startswith("2001:db8:89:") for s in moved), moved
    assert 8 <= len(moved) <= 56, len(moved)
    lan_out = [Ether(f) for f in r.outputs["lan0"]]
    assert any(e.haslayer(UDP) and e[UDP].sport == 3200 for e in lan_out)
