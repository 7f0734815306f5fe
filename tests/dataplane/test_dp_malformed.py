#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Malformed and unwanted frames, one run: each is dropped under exactly
its named reason (lib/pkt/nep_drop.h), nothing is emitted for any of them,
and the good packets sent after them are still forwarded."""
import pytest

from dp_packets import (ARP, ICMPv6EchoRequest, IP, IPv6, Raw, TCP, UDP,
                        from_host, routed, udp4, udp6)
from neptune_dp import (Dataplane, GW_MAC, HOST4, HOST6, LAN4, LAN6, REMOTE6,
                        WAN1_MAC, assert_frames)
from scapy.layers.inet6 import (IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop,
                                PadN)
from scapy.layers.l2 import Ether


def e(ethertype):
    """Ethernet header from the LAN host to lan0 with this ethertype."""
    return bytes(from_host())[:12] + ethertype.to_bytes(2, "big")


IP6 = 0x86dd
IP4 = 0x0800


def _v6(l3):
    return e(IP6) + bytes(l3)


def _v4(l3):
    return e(IP4) + bytes(l3)


def _ip6_plen(l3, plen):
    b = bytearray(bytes(l3))
    b[4:6] = plen.to_bytes(2, "big")
    return bytes(b)


def _ext_overrun():
    # Destination options header claiming 11 * 8 + 8 = 96 bytes, with only
    # 16 bytes left in the payload (payload length consistent with the frame).
    l3 = bytearray(bytes(IPv6(src=HOST6, dst=REMOTE6, nh=60) /
                         IPv6ExtHdrDestOpt(nh=17, options=[PadN(optdata=b"\0" * 4)]) /
                         Raw(b"\0" * 8)))
    l3[40 + 1] = 11
    return bytes(l3)


def _tcp_truncated():
    # TCP header cut after 12 bytes (payload length 12).
    full = bytes(IPv6(src=HOST6, dst=REMOTE6, hlim=64) / TCP(sport=1, dport=2))
    return _ip6_plen(full[:40 + 12], 12)


def _ip4_bad_cksum():
    p = bytearray(bytes(udp4(sport=44008)))
    p[10:12] = (int.from_bytes(p[10:12], "big") ^ 0x5a5a).to_bytes(2, "big")
    return bytes(p)


def _ip4_ihl4():
    p = bytearray(bytes(udp4(sport=44009)))
    p[0] = 0x44
    return bytes(p)


def _ip4_total_too_long():
    p = udp4(sport=44010)
    n = len(p)
    p = IP(bytes(p))
    p.len = n + 40
    del p.chksum
    return bytes(p)


def _icmp6_bad_cksum():
    p = bytearray(bytes(IPv6(src=HOST6, dst=LAN6) /
                        ICMPv6EchoRequest(id=1, seq=1, data=b"x" * 16)))
    p[42] ^= 0xff
    return bytes(p)


# (name, frame, drop reason)
CASES = [
    ("runt", bytes(from_host())[:10], "runt_frame"),
    ("ip6-truncated", e(IP6) + bytes(udp6(sport=44001))[:30], "ip6_truncated"),
    ("ip6-payload-length", _v6(_ip6_plen(udp6(sport=44002), 400)),
     "ip6_bad_length"),
    ("ip6-version", _v6(bytes([0x50]) + bytes(udp6(sport=44003))[1:]),
     "ip6_bad_version"),
    ("ip6-ext-overrun", _v6(_ext_overrun()), "ip6_bad_ext_chain"),
    ("ip6-hbh-not-first",
     _v6(IPv6(src=HOST6, dst=REMOTE6) / IPv6ExtHdrDestOpt() /
         IPv6ExtHdrHopByHop() / UDP(sport=44004, dport=9) / Raw(b"hbh")),
     "ip6_bad_ext_chain"),
    ("tcp-truncated", _v6(_tcp_truncated()), "l4_truncated"),
    ("ip4-checksum", _v4(_ip4_bad_cksum()), "ip4_bad_checksum"),
    ("ip4-ihl", _v4(_ip4_ihl4()), "ip4_bad_header_length"),
    ("ip4-total-length", _v4(_ip4_total_too_long()), "ip4_bad_length"),
    ("l2-other-mac", bytes(from_host(dst_mac="02:00:00:00:00:99") /
                           udp6(sport=44005)), "l2_not_for_us"),
    ("ethertype", e(0x88b5) + b"\x00" * 46, "l2_unsupported_ethertype"),
    ("icmp6-checksum", _v6(_icmp6_bad_cksum()), "icmp_bad_checksum"),
    ("ip6-mcast-source", _v6(udp6(src="ff02::1", sport=44006)),
     "ip6_bad_source"),
    # The rest of the parser's reasons, and unwanted multicast/broadcast.
    ("ip4-truncated", e(IP4) + bytes(udp4(sport=44011))[:19], "ip4_truncated"),
    ("ip4-version", _v4(bytes([0x65]) + bytes(udp4(sport=44012))[1:]),
     "ip4_bad_version"),
    ("ip4-loopback-source", _v4(udp4(src="127.0.0.1", sport=44013)),
     "ip4_bad_source"),
    ("arp-truncated", e(0x0806) + bytes(ARP(op=1, psrc=HOST4, pdst=LAN4))[:20],
     "arp_malformed"),
    ("ip6-mcast-dst", bytes(from_host(dst_mac="33:33:00:00:00:01") /
                            udp6(dst="ff02::1", sport=44014)),
     "multicast_unhandled"),
    ("ip4-broadcast-dst", bytes(from_host(dst_mac="ff:ff:ff:ff:ff:ff") /
                                udp4(dst="255.255.255.255", sport=44015)),
     "multicast_unhandled"),
]

GOOD6 = udp6(sport=44100, data=b"still forwarding v6")
GOOD4 = udp4(sport=44101, data=b"still forwarding v4")


@pytest.fixture(scope="module")
def malformed():
    # The good packets come after all the bad ones.
    frames = [f for _, f, _ in CASES] + [from_host() / GOOD6, from_host() / GOOD4]
    dp = Dataplane(inputs={"lan0": frames})
    try:
        yield dp.run()
    finally:
        dp.cleanup()


def _expected_counts():
    want = {}
    for _, _, reason in CASES:
        want[reason] = want.get(reason, 0) + 1
    return want


@pytest.mark.parametrize("name,reason", [(n, r) for n, _, r in CASES],
                         ids=[n for n, _, _ in CASES])
def test_malformed_dropped(malformed, name, reason):
    assert malformed.drops[reason] == _expected_counts()[reason], \
        f"{name}: {reason} = {malformed.drops[reason]}; " \
        f"all: {malformed.nonzero_drops()}"


def test_malformed_no_other_drops(malformed):
    assert malformed.nonzero_drops() == _expected_counts()


def test_forwarding_continues(malformed):
    assert_frames(malformed.outputs["wan1"],
                  [routed(Ether(src=WAN1_MAC, dst=GW_MAC), GOOD6),
                   routed(Ether(src=WAN1_MAC, dst=GW_MAC), GOOD4)],
                  "wan1 output")


def test_malformed_nothing_answered(malformed):
    assert_frames(malformed.outputs["lan0"], [], "lan0 output")
    assert malformed.stats["rx_packets"] == len(CASES) + 2
    assert malformed.stats["icmp_errors_sent"] == 0
