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

The second test reloads three times while both workers forward (both
queues FIFOs fed by a sender thread), then lets both tables age out and
makes the flows again (see its docstring).
"""
from dp_packets import fast_udp6
from neptune_dp import (GW_MAC, HOST6, HOST_MAC, LAN0_MAC, WAN1_MAC,
                        read_pcap, write_pcap)
from scapy.layers.inet6 import IPv6

ISP1 = {"name": "isp1", "port": "wan1", "next_hop": "2001:db8:10:1::1",
        "delegated_prefix": "2001:db8:1100:1::/64",
        "health": {"enabled": False}}
DST = "2001:db8:99::1"


def two_queues(dataplane, weight=None, flow_timeout_s=None, dataplane_cfg=None,
               **kw):
    """Two workers; lan0 with two rx queues (in0.pcap, in0b.pcap: the
    second is the caller's to write) and a tx queue per worker on lan0
    and wan1 (the second worker's: out0-q1.pcap, out1-q1.pcap)."""
    cfg = {"eal": {"lcores": "0@0,1@1,2@1"},
           "uplinks": [ISP1 if weight is None else dict(ISP1, weight=weight)],
           "steering": {"inside_prefixes": ["fd42:100:1::/64"],
                        "flow_table_size": 65536}}
    if flow_timeout_s is not None:
        cfg["steering"]["flow_timeout_s"] = flow_timeout_s
    if dataplane_cfg is not None:
        cfg["dataplane"] = dataplane_cfg
    dp = dataplane(extra_cfg=cfg, port_cfg={"lan0": {"rx_queues": 2}}, **kw)
    tmp = dp.tmp
    dp.cfg["ports"][0]["devargs"] = (
        f"net_pcap0,rx_pcap={tmp}/in0.pcap,rx_pcap={tmp}/in0b.pcap,"
        f"tx_pcap={tmp}/out0.pcap,tx_pcap={tmp}/out0-q1.pcap")
    dp.cfg["ports"][1]["devargs"] += f",tx_pcap={tmp}/out1-q1.pcap"
    dp.write_config(dp.cfg)
    return dp


def test_two_workers_own_their_flows(dataplane):
    q = [[fast_udp6(HOST_MAC, LAN0_MAC, HOST6, DST, base + i, 80,
                    b"%d" % n) for n in range(4) for i in range(50)]
         for base in (10000, 20000)]
    dp = two_queues(dataplane, inputs={"lan0": q[0]})
    tmp = dp.tmp
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


def test_two_workers_reload_under_traffic_and_aging(dataplane):
    """Both of lan0's rx queues are FIFOs, each polled by its own worker,
    and a sender thread keeps 50 flows per queue going (a packet per flow
    per round) while `reload` runs three times (isp1's weight changes each
    time): every reload completes, needing both busy workers to pass a
    quiescent state; no packet is lost or doubled (each flow still one
    entry in its worker's table, with every packet sent counted on it; all
    of them leave on wan1), no flow moves. Then the traffic stops and only
    frames that make no flow (dropped as l2_not_for_us) keep the workers
    polling: after the 1 s idle timeout both tables are empty, aged by
    each worker itself; the same flows sent again are made anew, each by
    its queue's worker."""
    import os
    import threading
    import time
    from neptune_dp import PCAP_HDR, pcap_record
    from test_dp_steering import KICK

    def flows(base, n):
        return [fast_udp6(HOST_MAC, LAN0_MAC, HOST6, DST, base + i, 80,
                          b"%d" % n) for i in range(50)]

    dp = two_queues(dataplane, inputs={}, fifo_ports=["lan0"],
                    dataplane_cfg={"burst": 1}, weight=1, flow_timeout_s=1)
    tmp = dp.tmp
    os.mkfifo(tmp / "in0b.pcap")
    fd_b = os.open(tmp / "in0b.pcap", os.O_RDWR)
    os.write(fd_b, PCAP_HDR)
    seq = [0]

    def feed_b(frames):
        data = b"".join(pcap_record(f, seq[0] + i) for i, f in enumerate(frames))
        seq[0] += len(frames)
        while data:
            data = data[os.write(fd_b, data):]

    def feed(frames_a, frames_b):
        dp.feed("lan0", frames_a)
        feed_b(frames_b)

    def worker_view():
        return [x for x in dp.json("show lcores")["lcores"]
                if x["role"] == "worker"]

    try:
        dp.start()
        stop, rounds, err = threading.Event(), [0], []

        def sender():
            try:
                while not stop.is_set():
                    n = rounds[0]
                    feed(flows(10000, n), flows(20000, n))
                    rounds[0] += 1
                    time.sleep(0.01)
            except Exception as e:  # noqa: BLE001 -- reported below
                err.append(e)

        th = threading.Thread(target=sender)
        th.start()
        gens = []
        try:
            for weight in (2, 3, 4):
                time.sleep(0.3)
                dp.cfg["uplinks"][0]["weight"] = weight
                dp.write_config(dp.cfg)
                ok, msg = dp.cmd("reload")
                assert ok, msg
                gens.append(dp.stats()["generation"])
            time.sleep(0.3)
        finally:
            stop.set()
            th.join(10)
        assert not err, err
        sent = rounds[0] * 100
        dp.wait_for("every packet", lambda: dp.stats()["rx_packets"] == sent,
                    timeout=10)
        fl = dp.json("show flows limit 0")
        st = dp.stats()
        up = {u["name"]: u for u in dp.json("show uplinks")["uplinks"]}
        assert gens == [gens[0], gens[0] + 1, gens[0] + 2], gens
        assert up["isp1"]["weight"] == 4, up["isp1"]
        assert fl["total"] == 100 and st["flows_new"] == 100, (fl["total"], st)
        assert {f["packets"] for f in fl["flows"]} == {rounds[0]}, fl
        assert st["flows_moved"] == 0, st
        assert [w["flows_new"] for w in worker_view()] == [50, 50]

        # aging: only flowless frames from now on
        t0, kicks = time.monotonic(), 0
        while time.monotonic() < t0 + 3.0:
            feed([KICK], [KICK])
            kicks += 2
            time.sleep(0.05)
            if dp.json("show flows limit 0")["total"] == 0:
                break
        assert dp.json("show flows limit 0")["total"] == 0, \
            "flows not aged out within 3 s of a 1 s idle timeout"
        # the same flows again: made anew, each by its own worker
        feed(flows(10000, 99), flows(20000, 99))
        dp.wait_for("the new flows", lambda: dp.json(
            "show flows limit 0")["total"] == 100 or None, timeout=5)
        assert [w["flows_new"] for w in worker_view()] == [100, 100]
    finally:
        os.close(fd_b)
    r = dp.stop()
    out = r.outputs["wan1"] + read_pcap(tmp / "out1-q1.pcap")
    assert len(out) == sent + 100, (len(out), sent)
    assert r.nonzero_drops() == {"l2_not_for_us": kicks}, r.nonzero_drops()
