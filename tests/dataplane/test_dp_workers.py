#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Steering with two workers (issue 16, "Several workers").

`eal.lcores` "0@0,1@1,2@1" gives two workers on this machine's two CPUs;
lan0 has two rx queues (net_pcap: one rx_pcap file each), polled by worker
0 and worker 1, as RSS would spread a NIC's flows. Each queue brings 50
flows of 4 packets (their own source ports). Every flow is made once, by
the worker whose queue it came on, in that worker's table (show lcores:
50 new flows each), none is seen by the other (every flow: 4 packets, one
entry); all 400 packets leave translated on isp1; `show flows` lists the
100 entries of both tables; `flush flows` empties both.
"""
from dp_packets import fast_udp6
from neptune_dp import (GW_MAC, HOST6, HOST_MAC, LAN0_MAC, WAN1_MAC,
                        read_pcap, write_pcap)
from scapy.layers.inet6 import IPv6

ISP1 = {"name": "isp1", "port": "wan1", "next_hop": "2001:db8:10:1::1",
        "delegated_prefix": "2001:db8:1100:1::/64",
        "health": {"enabled": False}}
DST = "2001:db8:99::1"


def test_two_workers_own_their_flows(dataplane):
    q = [[fast_udp6(HOST_MAC, LAN0_MAC, HOST6, DST, base + i, 80,
                    b"%d" % n) for n in range(4) for i in range(50)]
         for base in (10000, 20000)]
    cfg = {"eal": {"lcores": "0@0,1@1,2@1"},
           "uplinks": [ISP1],
           "steering": {"inside_prefixes": ["fd42:100:1::/64"],
                        "flow_table_size": 65536}}
    dp = dataplane(inputs={"lan0": q[0]}, extra_cfg=cfg,
                   port_cfg={"lan0": {"rx_queues": 2}})
    tmp = dp.tmp
    dp.cfg["ports"][0]["devargs"] = (
        f"net_pcap0,rx_pcap={tmp}/in0.pcap,rx_pcap={tmp}/in0b.pcap,"
        f"tx_pcap={tmp}/out0.pcap,tx_pcap={tmp}/out0-q1.pcap")
    dp.cfg["ports"][1]["devargs"] += f",tx_pcap={tmp}/out1-q1.pcap"
    dp.write_config(dp.cfg)
    write_pcap(tmp / "in0b.pcap", q[1])
    dp.start()
    dp.wait_idle(rx=400)     # in0.pcap (q[0]) and in0b.pcap (q[1])
    workers = [x for x in dp.json("show lcores")["lcores"]
               if x["role"] == "worker"]
    flows = dp.json("show flows limit 0")
    st = dp.stats()
    ok, _ = dp.cmd("flush flows")
    after = dp.wait_for("the flush", lambda: dp.json(
        "show flows limit 0")["total"] == 0 or None, timeout=5)
    r = dp.stop()
    del after
    assert ok
    assert [[q_["port"] + "/" + str(q_["queue"]) for q_ in w["queues"]]
            for w in workers] == [["lan0/0", "wan1/0"], ["lan0/1"]], workers
    assert [w["flows_new"] for w in workers] == [50, 50], workers
    assert [w["rx_packets"] for w in workers] == [200, 200], workers
    assert st["flows_new"] == 100 and flows["total"] == 100, (st, flows)
    # every flow made once, all its packets counted on its one entry
    assert sorted(f["sport"] for f in flows["flows"]) == \
        sorted(list(range(10000, 10050)) + list(range(20000, 20050)))
    assert {f["packets"] for f in flows["flows"]} == {4}, flows
    assert {f["uplink"] for f in flows["flows"]} == {"isp1"}
    out = r.outputs["wan1"] + read_pcap(tmp / "out1-q1.pcap")
    assert len(out) == 400, len(out)
    assert {IPv6(f[14:]).src for f in out} == {"2001:db8:1100:1:bf89::10"}
    assert all(f[:6] == bytes.fromhex(GW_MAC.replace(":", "")) and
               f[6:12] == bytes.fromhex(WAN1_MAC.replace(":", ""))
               for f in out)
    assert r.nonzero_drops() == {}, r.nonzero_drops()
