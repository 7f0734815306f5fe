#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Plain forwarding, both directions, both families, one neptune run.

lan0 receives an IPv6 and an IPv4 packet for a remote destination (default
routes via the static gateway); wan1 receives an IPv6 and an IPv4 packet for
the LAN host (static neighbour). Each must leave on the other port with the
hop limit/TTL one lower, the egress port's MAC as source, the neighbour's MAC
as destination and everything else unchanged.
"""
import pytest

from dp_packets import from_gw, from_host, routed, udp4, udp6
from neptune_dp import (Dataplane, GW_MAC, HOST4, HOST6, HOST_MAC, LAN0_MAC,
                        REMOTE4, REMOTE6, WAN1_MAC, assert_drops, assert_frame,
                        assert_frames)
from scapy.layers.l2 import Ether

OUT6 = udp6(hlim=64, tc=0x28, fl=0x12345, data=b"lan-to-wan v6 " * 8)
OUT4 = udp4(ttl=64, ident=0xbeef, tos=0x28, data=b"lan-to-wan v4 " * 8)
IN6 = udp6(src=REMOTE6, dst=HOST6, hlim=57, sport=443, dport=40000,
           data=b"wan-to-lan v6 " * 8)
IN4 = udp4(src=REMOTE4, dst=HOST4, ttl=3, sport=443, dport=40000,
           ident=0x0102, flags=0, data=b"wan-to-lan v4 " * 8)


@pytest.fixture(scope="module")
def fwd():
    dp = Dataplane(inputs={"lan0": [from_host() / OUT6, from_host() / OUT4],
                           "wan1": [from_gw() / IN6, from_gw() / IN4]})
    try:
        yield dp.run()
    finally:
        dp.cleanup()


def test_forward_ipv6_lan_to_wan(fwd):
    want = routed(Ether(src=WAN1_MAC, dst=GW_MAC), OUT6)
    assert len(fwd.outputs["wan1"]) == 2, fwd.outputs["wan1"]
    assert_frame(fwd.outputs["wan1"][0], want, "IPv6 forwarded lan0 -> wan1")
    assert fwd.outputs["wan1"][0][14 + 7] == 63


def test_forward_ipv4_lan_to_wan(fwd):
    want = routed(Ether(src=WAN1_MAC, dst=GW_MAC), OUT4)
    assert len(fwd.outputs["wan1"]) == 2, fwd.outputs["wan1"]
    assert_frame(fwd.outputs["wan1"][1], want, "IPv4 forwarded lan0 -> wan1")
    assert fwd.outputs["wan1"][1][14 + 8] == 63


def test_forward_wan_to_lan(fwd):
    assert_frames(fwd.outputs["lan0"],
                  [routed(Ether(src=LAN0_MAC, dst=HOST_MAC), IN6),
                   routed(Ether(src=LAN0_MAC, dst=HOST_MAC), IN4)],
                  "lan0 output")


def test_forward_counters(fwd):
    assert_drops(fwd, {})
    assert fwd.stats["rx_packets"] == 4
    assert fwd.stats["punted"] == 0, fwd.stats
    assert fwd.stats["icmp_errors_sent"] == 0, fwd.stats
