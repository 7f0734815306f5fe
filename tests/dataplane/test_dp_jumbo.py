#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Frames larger than one mbuf (issue 16): net_pcap, like a NIC with
scattered receive, hands a frame larger than an mbuf's room over as a
chain of segments.

  - MTU 9000: the mbufs hold a 9000-byte frame, so 3000- and 8000-byte
    IPv6 and IPv4 packets are routed through, byte for byte (the hop
    limit / TTL one lower), none is a chain;
  - MTU 1500: a 100-byte IPv6 packet padded to a 5000-byte frame arrives
    as a chain: it leaves at its IP length (the padding cut), not at 5000
    bytes; a genuine 3000-byte packet cannot be made one segment and is
    dropped as mbuf_chained (before: ip6_bad_length), never sent.
"""
from dp_packets import IP, UDP, Raw
from neptune_dp import (GW_MAC, HOST4, HOST6, HOST_MAC, LAN0_MAC, REMOTE4,
                        REMOTE6, WAN1_MAC, assert_frames)
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether


def eth(src, dst, l3, et=0x86DD):
    return bytes(Ether(src=src, dst=dst, type=et)) + bytes(l3)


def aged6(l3):
    b = bytearray(l3)
    b[7] -= 1
    return bytes(b)


def aged4(l3):
    p = IP(bytes(l3))
    p.ttl -= 1
    del p.chksum
    return bytes(p)


def test_jumbo_frames_with_mtu_9000(run_dataplane):
    p6 = [bytes(IPv6(src=HOST6, dst=REMOTE6) / UDP(sport=7000 + n, dport=9) /
                Raw(bytes(n - 48))) for n in (3000, 8000)]
    p4 = [bytes(IP(src=HOST4, dst=REMOTE4, flags="DF") /
                UDP(sport=7100 + n, dport=9) / Raw(bytes(n - 28)))
          for n in (3000, 8000)]
    r = run_dataplane(
        inputs={"lan0": [eth(HOST_MAC, LAN0_MAC, p) for p in p6] +
                [eth(HOST_MAC, LAN0_MAC, p, 0x0800) for p in p4]},
        port_cfg={"lan0": {"mtu": 9000}, "wan1": {"mtu": 9000}},
        # 9 KiB mbufs: more than the harness's default 256 MB
        extra_cfg={"eal": {"memory_mb": 1024}})
    assert_frames(r.outputs["wan1"],
                  [eth(WAN1_MAC, GW_MAC, aged6(p)) for p in p6] +
                  [eth(WAN1_MAC, GW_MAC, aged4(p), 0x0800) for p in p4],
                  "wan1")
    assert r.nonzero_drops() == {}, r.nonzero_drops()


def test_chained_frames_with_mtu_1500(run_dataplane):
    small = bytes(IPv6(src=HOST6, dst=REMOTE6) / UDP(sport=7200, dport=9) /
                  Raw(b"padded far beyond its length"))
    padded = eth(HOST_MAC, LAN0_MAC, small) + bytes(5000 - 14 - len(small))
    big = bytes(IPv6(src=HOST6, dst=REMOTE6) / UDP(sport=7201, dport=9) /
                Raw(bytes(3000 - 48)))
    r = run_dataplane(inputs={"lan0": [padded, eth(HOST_MAC, LAN0_MAC,
                                                   big)]})
    assert_frames(r.outputs["wan1"], [eth(WAN1_MAC, GW_MAC, aged6(small))],
                  "wan1")
    assert r.nonzero_drops() == {"mbuf_chained": 1}, r.nonzero_drops()
