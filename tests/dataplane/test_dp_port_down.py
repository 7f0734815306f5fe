#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A port whose link is down (issue 16: `port_down` was never counted;
docs/cli.md "set port NAME link up|down").

`set port wan1 link down` has net_pcap take wan1's link down
(rte_eth_dev_set_link_down, testpmd's `set link-down port`); the control
lcore sees a carrier loss. Frames from the LAN host to the remote
destination, routed to wan1, are then each dropped once as `port_down`
(IPv6 and IPv4, through the worker's output stage), `show ports` says
so; after `link up` forwarding resumes. Bad requests get an error line and
the session stays open. (net_pcap has no link of its own to set: neptune
holds the port down itself, as it does for any PMD.)
"""
from dp_packets import from_host, routed, udp4, udp6
from neptune_dp import GW_MAC, WAN1_MAC, assert_frames
from scapy.layers.l2 import Ether


def frames(tag, n):
    out = []
    for i in range(n):
        data = f"{tag} {i}".encode() * 4
        out += [udp6(sport=41000 + i, data=data), udp4(sport=41000 + i, data=data)]
    return out


def test_port_down_counts_and_recovers(dataplane):
    dp = dataplane(inputs={}, fifo_ports=["lan0"],
                   extra_cfg={"dataplane": {"burst": 1}}).start()
    before, during, after = frames("before", 2), frames("during", 3), \
        frames("after", 2)

    def fed(n_more):
        want = dp.stats()["rx_packets"] + n_more
        return lambda: dp.stats()["rx_packets"] >= want

    def port(name):
        return next(p for p in dp.json("show ports")["ports"]
                    if p["name"] == name)

    cond = fed(len(before))
    dp.feed("lan0", [from_host() / f for f in before])
    dp.wait_for("the first frames", cond)
    assert port("wan1")["link"]["up"] is True

    ok, msg = dp.cmd("set port wan1 link down")
    assert ok and msg.strip() == "port wan1: link down", msg
    assert port("wan1")["link"] == dict(port("wan1")["link"], up=False,
                                        admin_up=False)
    cond = fed(len(during))
    dp.feed("lan0", [from_host() / f for f in during])
    dp.wait_for("the frames while wan1 is down", cond)
    assert dp.drops()["port_down"] == len(during)

    # the session survives bad requests
    for line, err in (("set port nosuch link down", "error: no port 'nosuch'"),
                      ("set port wan1 link sideways", "error:")):
        ok, msg = dp.cmd(line)
        assert not ok and msg.startswith(err), (line, msg)

    ok, msg = dp.cmd("set port wan1 link up")
    assert ok and msg.strip() == "port wan1: link up", msg
    assert port("wan1")["link"]["up"] is True
    cond = fed(len(after))
    dp.feed("lan0", [from_host() / f for f in after])
    dp.wait_for("the frames after", cond)

    res = dp.stop()
    want = [routed(Ether(src=WAN1_MAC, dst=GW_MAC), f) for f in before + after]
    assert_frames(res.outputs["wan1"], want, "wan1 output")
    assert res.nonzero_drops() == {"port_down": len(during)}, res.drops
    assert res.stats["rx_packets"] == len(before + during + after)
