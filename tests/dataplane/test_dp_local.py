#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Traffic for neptune itself on lan0, one run: Neighbour Discovery, ARP,
ICMPv6/ICMP echo, UDP to a closed port, and a malformed NS.

Every answer is generated on the control lcore and leaves on lan0; the
order between them is not defined, so each expected frame is looked up in
the output and the output must hold nothing else.
"""
import pytest

from dp_packets import (ARP, ICMP, ICMPv6DestUnreach, ICMPv6EchoReply,
                        ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                        ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IP, IPv6,
                        Raw, UDP, from_host, icmp4_error, icmp6_error,
                        mcast_mac, solicited_node)
from neptune_dp import (Dataplane, HOST4, HOST6, HOST_MAC, LAN0_MAC, LAN4,
                        LAN6, assert_drops, assert_frames, frame_diff)
from scapy.layers.l2 import Ether

SNMC = solicited_node(LAN6)

NS = Ether(src=HOST_MAC, dst=mcast_mac(SNMC)) / \
    IPv6(src=HOST6, dst=SNMC, hlim=255) / ICMPv6ND_NS(tgt=LAN6) / \
    ICMPv6NDOptSrcLLAddr(lladdr=HOST_MAC)
NA = Ether(src=LAN0_MAC, dst=HOST_MAC) / \
    IPv6(src=LAN6, dst=HOST6, hlim=255) / \
    ICMPv6ND_NA(R=1, S=1, O=1, tgt=LAN6) / ICMPv6NDOptDstLLAddr(lladdr=LAN0_MAC)

# Same NS with hop limit 64: not from the link (RFC 4861 7.1.1).
NS_HLIM64 = Ether(src=HOST_MAC, dst=mcast_mac(SNMC)) / \
    IPv6(src=HOST6, dst=SNMC, hlim=64) / ICMPv6ND_NS(tgt=LAN6) / \
    ICMPv6NDOptSrcLLAddr(lladdr=HOST_MAC)

ARP_REQ = Ether(src=HOST_MAC, dst="ff:ff:ff:ff:ff:ff") / \
    ARP(op=1, hwsrc=HOST_MAC, psrc=HOST4, hwdst="00:00:00:00:00:00", pdst=LAN4)
ARP_REPLY = Ether(src=LAN0_MAC, dst=HOST_MAC) / \
    ARP(op=2, hwsrc=LAN0_MAC, psrc=LAN4, hwdst=HOST_MAC, pdst=HOST4)

ECHO6_DATA = bytes(range(56))
ECHO6 = from_host() / IPv6(src=HOST6, dst=LAN6, hlim=61) / \
    ICMPv6EchoRequest(id=0x4242, seq=7, data=ECHO6_DATA)
ECHO6_REPLY = Ether(src=LAN0_MAC, dst=HOST_MAC) / \
    IPv6(src=LAN6, dst=HOST6, hlim=64) / \
    ICMPv6EchoReply(id=0x4242, seq=7, data=ECHO6_DATA)

ECHO4_DATA = bytes(range(56))
ECHO4 = from_host() / IP(src=HOST4, dst=LAN4, ttl=61, id=0x5151, flags="DF") / \
    ICMP(type=8, id=0x4343, seq=9) / Raw(ECHO4_DATA)
ECHO4_REPLY = Ether(src=LAN0_MAC, dst=HOST_MAC) / \
    IP(src=LAN4, dst=HOST4, ttl=64, id=0x5151, flags="DF") / \
    ICMP(type=0, id=0x4343, seq=9) / Raw(ECHO4_DATA)

UDP6_L3 = IPv6(src=HOST6, dst=LAN6, hlim=64) / UDP(sport=40001, dport=9) / \
    Raw(b"closed port v6")
UDP4_L3 = IP(src=HOST4, dst=LAN4, ttl=64, id=7, flags="DF") / \
    UDP(sport=40001, dport=9) / Raw(b"closed port v4")
PORT_UNREACH6 = icmp6_error(ICMPv6DestUnreach(code=4), UDP6_L3)
PORT_UNREACH4 = icmp4_error(ICMP(type=3, code=3), UDP4_L3)

INPUTS = [NS, ARP_REQ, ECHO6, ECHO4, NS_HLIM64, from_host() / UDP6_L3,
          from_host() / UDP4_L3]
EXPECTED = [NA, ARP_REPLY, ECHO6_REPLY, ECHO4_REPLY, PORT_UNREACH6,
            PORT_UNREACH4]


@pytest.fixture(scope="module")
def local():
    dp = Dataplane(inputs={"lan0": INPUTS})
    try:
        yield dp.run()
    finally:
        dp.cleanup()


def _find(out, want, what):
    want = bytes(want)
    if want in out:
        return
    # Show the closest candidate (same length first) to make the diff useful.
    near = [o for o in out if len(o) == len(want)] or out
    msg = f"{what}: expected frame not among the {len(out)} emitted on lan0"
    if near:
        msg += "\nclosest:\n" + frame_diff(want, near[0])
    raise AssertionError(msg)


def test_nd_neighbor_solicitation_answered(local):
    _find(local.outputs["lan0"], NA, "NA for fd42:100:1::1")


def test_arp_request_answered(local):
    _find(local.outputs["lan0"], ARP_REPLY, "ARP reply for 192.0.2.1")


def test_echo6_reply(local):
    _find(local.outputs["lan0"], ECHO6_REPLY, "ICMPv6 echo reply")


def test_echo4_reply(local):
    _find(local.outputs["lan0"], ECHO4_REPLY, "ICMP echo reply")


def test_udp_to_closed_port(local):
    _find(local.outputs["lan0"], PORT_UNREACH6, "ICMPv6 port unreachable")
    _find(local.outputs["lan0"], PORT_UNREACH4, "ICMP port unreachable")


def test_ns_with_hop_limit_64_dropped(local):
    assert local.drops["nd_malformed"] == 1, local.nonzero_drops()


def test_local_nothing_else(local):
    assert_frames(local.outputs["lan0"], EXPECTED, "lan0 output", ordered=False)
    assert_frames(local.outputs["wan1"], [], "wan1 output")
    assert_drops(local, {"nd_malformed": 1})
    assert local.stats["icmp_errors_sent"] == 2, local.stats
