#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The workers' destination cache never outlives what it caches.

Each worker remembers, per destination, the FIB's answer and the
neighbour's position. These tests change what it would remember while
traffic to the same destination keeps coming, one phase at a time (lan0's
input is a FIFO):

- a route changed by `reload`: the next packet takes the new route;
- a neighbour flushed (`clear neighbors`) and learnt again with another
  MAC: the next packet is held and solicited, then sent to the new MAC;
- thousands of destinations sharing the cache's slots: every packet still
  leaves with the right addresses.
"""
import ipaddress

from dp_packets import (ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                        ICMPv6NDOptSrcLLAddr, IPv6, fast_udp6, from_host,
                        mcast_mac, routed, solicited_node, udp6)
from neptune_dp import (GW6, GW_MAC, HOST6, HOST_MAC, LAN0_MAC, LAN6,
                        WAN1_MAC, Dataplane, assert_drops, assert_frame,
                        assert_frames)
from scapy.layers.l2 import Ether

DST = "2001:db8:77::5"
# A frame dropped as l2_not_for_us: wakes a worker blocked on the FIFO.
KICK = [Ether(src=HOST_MAC, dst="02:00:00:00:00:99") /
        udp6(dst=DST, data=b"kick")]
# Bursts of one: a frame fed into the FIFO is handled without waiting for
# the rest of a burst.
ONE = {"dataplane": {"burst": 1}}


def test_route_change_by_reload(dataplane):
    p1 = udp6(dst=DST, sport=41001, data=b"before the reload")
    p2 = udp6(dst=DST, sport=41001, data=b"after the reload")
    route_wan = {"routes": [{"prefix": "::/0", "via": GW6},
                            {"prefix": "2001:db8:77::/48", "via": GW6}],
                 **ONE}
    dp = dataplane(inputs={"lan0": [from_host() / p1]}, extra_cfg=route_wan,
                   fifo_ports=["lan0"]).start()
    dp.wait_idle()
    # The same destination now goes back to the LAN, via the LAN host.
    cfg = dp.cfg
    cfg["routes"] = [{"prefix": "::/0", "via": GW6},
                     {"prefix": "2001:db8:77::/48", "via": HOST6}]
    dp.write_config(cfg)
    ok, out = dp.cmd_kicked("reload", "lan0", KICK)
    assert ok, out
    dp.feed("lan0", [from_host() / p2])
    dp.close_feed("lan0")
    dp.wait_idle()
    r = dp.stop()
    assert_frames(r.outputs["wan1"],
                  [routed(Ether(src=WAN1_MAC, dst=GW_MAC), p1)], "wan1 output")
    assert_frames(r.outputs["lan0"],
                  [routed(Ether(src=LAN0_MAC, dst=HOST_MAC), p2)],
                  "lan0 output")
    assert_drops(r, {"l2_not_for_us": dp.kicks})


def test_neighbor_flushed_and_relearnt(dataplane):
    host2, host3 = "fd42:100:1::20", "fd42:100:1::30"
    mac1, mac2, mac3 = ("02:00:00:00:aa:21", "02:00:00:00:aa:22",
                        "02:00:00:00:aa:33")
    p1 = udp6(dst=host2, sport=42001, data=b"to the first MAC")
    p2 = udp6(dst=host2, sport=42001, data=b"to the second MAC")
    p3 = udp6(dst=host3, sport=42003, data=b"to host3")

    def na(host, mac):
        return Ether(src=mac, dst=LAN0_MAC) / \
            IPv6(src=host, dst=LAN6, hlim=255) / \
            ICMPv6ND_NA(R=0, S=1, O=1, tgt=host) / \
            ICMPv6NDOptDstLLAddr(lladdr=mac)

    def ns(host):
        return Ether(src=LAN0_MAC, dst=mcast_mac(solicited_node(host))) / \
            IPv6(src=LAN6, dst=solicited_node(host), hlim=255) / \
            ICMPv6ND_NS(tgt=host) / ICMPv6NDOptSrcLLAddr(lladdr=LAN0_MAC)

    def nb(host, key):
        return (dp.neighbor("lan0", host) or {}).get(key)

    dp = dataplane(inputs={"lan0": [from_host() / p1]},
                   extra_cfg={"neighbors": {"retrans_ms": 60000}, **ONE},
                   fifo_ports=["lan0"]).start()
    dp.wait_idle()
    dp.feed("lan0", [na(host2, mac1)])
    dp.wait_for("host2 learnt", lambda: nb(host2, "mac") == mac1)
    ok, out = dp.cmd_kicked("clear neighbors", "lan0", KICK)
    assert ok, out
    assert dp.neighbor("lan0", host2) is None, dp.neighbors()
    # host3 is learnt next and may take host2's old place in the table.
    dp.feed("lan0", [from_host() / p3])
    dp.wait_for("p3 held", lambda: nb(host3, "queued") == 1)
    dp.feed("lan0", [na(host3, mac3)])
    dp.wait_for("host3 learnt", lambda: nb(host3, "mac") == mac3)
    # p2 must not go to a remembered place (mac1, or mac3 if host3 took
    # it): it is held and host2 solicited again.
    dp.feed("lan0", [from_host() / p2])
    dp.wait_for("p2 held", lambda: nb(host2, "queued") == 1)
    dp.feed("lan0", [na(host2, mac2)])
    dp.close_feed("lan0")
    dp.wait_idle()
    r = dp.stop()
    assert_frames(r.outputs["lan0"], [
        ns(host2), routed(Ether(src=LAN0_MAC, dst=mac1), p1),
        ns(host3), routed(Ether(src=LAN0_MAC, dst=mac3), p3),
        ns(host2), routed(Ether(src=LAN0_MAC, dst=mac2), p2)],
        "lan0 output")


def test_many_destinations_share_slots(dataplane):
    # 3000 destinations > the cache's 1024 slots: collisions and refills.
    n = 3000
    base = int(ipaddress.IPv6Address("2001:db8:99::"))
    frames = [fast_udp6(HOST_MAC, LAN0_MAC, HOST6,
                        str(ipaddress.IPv6Address(base + (i * 7919) % 65536)),
                        40000 + i % 1000, 5001, b"x" * 16) for i in range(n)]
    # Each destination twice, far apart: the second is usually a refill.
    r = dataplane(inputs={"lan0": frames + frames}).run()
    out = r.outputs["wan1"]
    assert len(out) == 2 * n, len(out)
    for i, (f, o) in enumerate(zip(frames + frames, out)):
        want = bytearray(f)
        want[0:6] = bytes.fromhex(GW_MAC.replace(":", ""))
        want[6:12] = bytes.fromhex(WAN1_MAC.replace(":", ""))
        want[14 + 7] -= 1
        assert bytes(o) == bytes(want), (i, o.hex(), bytes(want).hex())
    assert_drops(r, {})


def test_route_cache_counters(dataplane):
    # 40 packets to one destination: one miss fills the cache, 39 hit.
    frames = [fast_udp6(HOST_MAC, LAN0_MAC, HOST6, "2001:db8:99::42",
                        40000 + i, 5001, b"y" * 16) for i in range(40)]
    dp = dataplane(inputs={"lan0": frames}).start()
    dp.wait_idle()
    workers = [lc for lc in dp.json("show lcores")["lcores"]
               if lc["role"] == "worker"]
    r = dp.stop()
    assert len(r.outputs["wan1"]) == 40
    assert sum(w["route_cache_misses"] for w in workers) == 1, workers
    assert sum(w["rx_packets"] for w in workers) == 40, workers
