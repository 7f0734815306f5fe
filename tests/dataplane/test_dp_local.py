#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Traffic for neptune itself on lan0, one run: Neighbour Discovery
(multicast NS with a source link-layer option, unicast NS without one, an
NS with hop limit 64), ARP (for neptune's address and for another one),
ICMPv6/ICMP echo (to the LAN address and to the WAN address), and UDP to a
closed port.

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
                        LAN6, WAN6, assert_drops, assert_frames, frame_diff)
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

# Unicast NS without a source link-layer option, from a host neptune does
# not know: the NA goes to the frame's source MAC (RFC 4861 7.2.4).
HOST2_MAC, HOST2_6 = "02:00:00:00:aa:11", "fd42:100:1::11"
NS_UNICAST = Ether(src=HOST2_MAC, dst=LAN0_MAC) / \
    IPv6(src=HOST2_6, dst=LAN6, hlim=255) / ICMPv6ND_NS(tgt=LAN6)
NA_UNICAST = Ether(src=LAN0_MAC, dst=HOST2_MAC) / \
    IPv6(src=LAN6, dst=HOST2_6, hlim=255) / \
    ICMPv6ND_NA(R=1, S=1, O=1, tgt=LAN6) / ICMPv6NDOptDstLLAddr(lladdr=LAN0_MAC)

ARP_REQ = Ether(src=HOST_MAC, dst="ff:ff:ff:ff:ff:ff") / \
    ARP(op=1, hwsrc=HOST_MAC, psrc=HOST4, hwdst="00:00:00:00:00:00", pdst=LAN4)
ARP_REPLY = Ether(src=LAN0_MAC, dst=HOST_MAC) / \
    ARP(op=2, hwsrc=LAN0_MAC, psrc=LAN4, hwdst=HOST_MAC, pdst=HOST4)
# For an address that is not neptune's: not answered.
ARP_OTHER = Ether(src=HOST_MAC, dst="ff:ff:ff:ff:ff:ff") / \
    ARP(op=1, hwsrc=HOST_MAC, psrc=HOST4, hwdst="00:00:00:00:00:00",
        pdst="192.0.2.99")

ECHO6_DATA = bytes(range(56))
ECHO6 = from_host() / IPv6(src=HOST6, dst=LAN6, hlim=61) / \
    ICMPv6EchoRequest(id=0x4242, seq=7, data=ECHO6_DATA)
ECHO6_REPLY = Ether(src=LAN0_MAC, dst=HOST_MAC) / \
    IPv6(src=LAN6, dst=HOST6, hlim=64) / \
    ICMPv6EchoReply(id=0x4242, seq=7, data=ECHO6_DATA)

# neptune's WAN address answers from the LAN too.
ECHO6_WAN = from_host() / IPv6(src=HOST6, dst=WAN6, hlim=64) / \
    ICMPv6EchoRequest(id=0x4244, seq=1, data=b"wan address")
ECHO6_WAN_REPLY = Ether(src=LAN0_MAC, dst=HOST_MAC) / \
    IPv6(src=WAN6, dst=HOST6, hlim=64) / \
    ICMPv6EchoReply(id=0x4244, seq=1, data=b"wan address")

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
          from_host() / UDP4_L3, NS_UNICAST, ARP_OTHER, ECHO6_WAN]
EXPECTED = [NA, ARP_REPLY, ECHO6_REPLY, ECHO4_REPLY, PORT_UNREACH6,
            PORT_UNREACH4, NA_UNICAST, ECHO6_WAN_REPLY]


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


def test_nd_unicast_ns_without_slla(local):
    _find(local.outputs["lan0"], NA_UNICAST, "NA to the NS's source MAC")


def test_arp_request_answered(local):
    _find(local.outputs["lan0"], ARP_REPLY, "ARP reply for 192.0.2.1")


def test_echo6_reply(local):
    _find(local.outputs["lan0"], ECHO6_REPLY, "ICMPv6 echo reply")


def test_echo6_reply_wan_address(local):
    _find(local.outputs["lan0"], ECHO6_WAN_REPLY,
          "ICMPv6 echo reply from the WAN address")


def test_echo4_reply(local):
    _find(local.outputs["lan0"], ECHO4_REPLY, "ICMP echo reply")


def test_udp_to_closed_port(local):
    _find(local.outputs["lan0"], PORT_UNREACH6, "ICMPv6 port unreachable")
    _find(local.outputs["lan0"], PORT_UNREACH4, "ICMP port unreachable")


def test_ns_with_hop_limit_64_dropped(local):
    assert local.drops["nd_malformed"] == 1, local.nonzero_drops()


def test_arp_for_another_address_ignored(local):
    assert local.drops["arp_not_for_us"] == 1, local.nonzero_drops()


def test_local_nothing_else(local):
    assert_frames(local.outputs["lan0"], EXPECTED, "lan0 output", ordered=False)
    assert_frames(local.outputs["wan1"], [], "wan1 output")
    # The two UDP datagrams to closed ports end there (answered with Port
    # Unreachable): one outcome each, local_port_unreachable.
    assert_drops(local, {"nd_malformed": 1, "arp_not_for_us": 1,
                         "local_port_unreachable": 2})
    assert local.stats["icmp_errors_sent"] == 2, local.stats
