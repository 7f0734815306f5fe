#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""NAT44 with two workers (docs/nat44.md, "Several workers";
docs/architecture.md, "Several workers").

Two workers (`eal.lcores` "0@0,1@1,2@1": the control lcore and two workers
on this machine's two CPUs): lan0 is polled by worker 0, wan1 by worker 1,
so the two directions of every flow arrive at different workers, as RSS
would do on a NIC. A mapping lives on one worker; the packets that need it
are handed to that worker (verdict HANDOFF, the worker's handoff ring):
what the LAN sends to the worker of its source host, what comes to a
public address to the worker holding its port block (the quoted packet's
for an ICMP error, the first fragment's for a later one, the inside
host's for a port forward).

Eight LAN hosts 192.0.2.40-.47 (their workers split 3:5 by the host hash)
each send one UDP datagram to REMOTE4; the replies come back on wan1, one
of them in two fragments, plus an ICMP error about one host's datagram;
a TCP SYN through the port forward tcp 8080 -> SERVER:80 and SERVER's
SYN-ACK. Every frame out is compared byte for byte (as a multiset: two
workers send in their own order). Without the handoffs the replies of
the hosts whose mapping is on worker 0 would be dropped by worker 1
(nat44_no_mapping).

Both inputs are FIFOs: a worker blocks reading its port, so after frames
go to one port the test writes kicks (frames to another MAC, dropped as
l2_not_for_us) to the other one until the handed-off packets are out.
"""
import time

from dp_packets import IP, UDP, Raw
from neptune_dp import (GW_MAC, LAN0_MAC, REMOTE4, WAN1_MAC, WAN4,
                        assert_frames, read_pcap)
from scapy.layers.l2 import Ether
from test_dp_nat44 import (ISP1, NEIGHBORS, SERVER, SERVER_MAC, fragments,
                           icmp_err, tcp4, udp, xl)

HOSTS = [f"192.0.2.{40 + i}" for i in range(8)]
MACS = [f"02:00:00:00:ab:{40 + i:02x}" for i in range(8)]
ROUTER = "203.0.113.1"

KICK_LAN = bytes(Ether(src=MACS[0], dst="02:00:00:00:99:99") /
                 IP(src=HOSTS[0], dst="192.0.2.1") / UDP(sport=9, dport=9))
KICK_WAN = bytes(Ether(src=GW_MAC, dst="02:00:00:00:99:98") /
                 IP(src=REMOTE4, dst=WAN4) / UDP(sport=9, dport=9))


def eth(src, dst, l3):
    return bytes(Ether(src=src, dst=dst, type=0x0800) / Raw(bytes(l3)))


def cfg():
    return {
        "eal": {"lcores": "0@0,1@1,2@1"},
        "dataplane": {"burst": 1, "idle": "adaptive"},
        "uplinks": [ISP1],
        "steering": {"inside_prefixes": ["fd42:100:1::/64", "192.0.2.0/24"],
                     "flow_table_size": 65536},
        "neighbors": {"static": NEIGHBORS + [
            {"port": "lan0", "address": a, "mac": m}
            for a, m in zip(HOSTS, MACS)]},
        "icmp": {"rate_pps": 1000000, "burst": 1000000},
        "nat44": {"max_sessions": 4096, "inbound": [
            {"name": "web", "proto": "tcp", "port": 8080, "to": SERVER,
             "to_port": 80}]},
    }


def kick_until(dp, port, kick, cond, what, timeout=10.0):
    """Write kicks to port until cond() holds (the other worker handed
    packets to the one polling port, which is blocked reading it)."""
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, \
            f"timed out: {what}: {dp.stats()} {dp.drops()}"
        dp.feed(port, [kick])
        dp.kicks += 1
        time.sleep(0.02)


def test_two_workers_hand_off_to_the_mapping_owner(dataplane):
    dp = dataplane(extra_cfg=cfg(), fifo_ports=["lan0", "wan1"])
    # a tx queue per worker: net_pcap makes one of each tx_pcap
    for i, pc in enumerate(dp.cfg["ports"]):
        pc["devargs"] += f",tx_pcap={dp.tmp}/out{i}-q1.pcap"
    dp.write_config(dp.cfg)
    dp.start()
    lcores = [x for x in dp.json("show lcores")["lcores"]
              if x["role"] == "worker"]
    assert [[q["port"] for q in x["queues"]] for x in lcores] == \
        [["lan0"], ["wan1"]], lcores

    def forwarded():
        return dp.stats()["forwarded"]

    # 1. each host sends one datagram (sport 40000 + 256 * i) to REMOTE4:5000
    out = [udp(h, REMOTE4, 40000 + 256 * i, 5000, b"q%d" % i, ident=0x100 + i)
           for i, h in enumerate(HOSTS)]
    dp.feed("lan0", [eth(m, LAN0_MAC, p) for m, p in zip(MACS, out)])
    kick_until(dp, "wan1", KICK_WAN, lambda: forwarded() == 8,
               "8 datagrams out")
    sess = dp.json("show nat44 sessions")["sessions"]
    by_host = {s["inside"]: s for s in sess}
    assert sorted(by_host) == sorted(HOSTS), sess
    owner = {h: by_host[h]["worker"] for h in HOSTS}
    # the hosts are spread over both workers, and each one's mapping is on
    # one worker (the one its datagram was handed to, or worker 0's own)
    assert set(owner.values()) == {0, 1}, owner
    for i, h in enumerate(HOSTS):
        s = by_host[h]
        assert (s["public"], s["public_port"], s["packets_out"]) == \
            (WAN4, 40000 + 256 * i, 1), s
    out_handoffs = dp.stats()["worker"]["handoffs"]
    assert out_handoffs == sum(1 for h in HOSTS if owner[h] == 1)

    # 2. the replies, one in two fragments, and an ICMP error about the
    #    datagram of a host whose mapping is on worker 0
    w0 = [h for h in HOSTS if owner[h] == 0]
    frag_host, err_host = w0[0], w0[-1]
    back = {h: udp(REMOTE4, WAN4, 5000, 40000 + 256 * i, b"r%d" % i * 20,
                   ident=0x200 + i, ttl=50)
            for i, h in enumerate(HOSTS)}
    first, later = fragments(back[frag_host], 24)
    wan_in = [eth(GW_MAC, WAN1_MAC, back[h]) for h in HOSTS
              if h != frag_host]
    wan_in += [eth(GW_MAC, WAN1_MAC, first), eth(GW_MAC, WAN1_MAC, later)]
    e = HOSTS.index(err_host)
    quote = xl(out[e], src=WAN4)[:28]   # as it left, cut after UDP
    err = icmp_err(ROUTER, WAN4, 3, 1, quote, ttl=60, ident=0x300)
    wan_in.append(eth(GW_MAC, WAN1_MAC, err))
    # 3. through the port forward: a SYN from outside, SERVER's SYN-ACK
    syn = tcp4(REMOTE4, WAN4, 33000, 8080, "S", 1000, ident=0x400, ttl=50)
    wan_in.append(eth(GW_MAC, WAN1_MAC, syn))
    dp.feed("wan1", wan_in)
    kick_until(dp, "lan0", KICK_LAN, lambda: forwarded() == 8 + 11,
               "the replies, the error and the SYN in")
    synack = tcp4(SERVER, REMOTE4, 80, 33000, "SA", 5000, ack=1001,
                  ident=0x401)
    dp.feed("lan0", [eth(SERVER_MAC, LAN0_MAC, synack)])
    kick_until(dp, "wan1", KICK_WAN, lambda: forwarded() == 20,
               "the SYN-ACK out")
    st = dp.stats()
    r = dp.stop()

    # what each port sent, from both of its tx queues
    for i, p in enumerate(("lan0", "wan1")):
        r.outputs[p] += read_pcap(dp.tmp / f"out{i}-q1.pcap")
    mac_of = dict(zip(HOSTS, MACS))
    want_wan = [eth(WAN1_MAC, GW_MAC, xl(p, src=WAN4)) for p in out]
    want_wan.append(eth(WAN1_MAC, GW_MAC, xl(synack, src=WAN4, sport=8080)))
    want_lan = [eth(LAN0_MAC, mac_of[h], xl(back[h], dst=h))
                for h in HOSTS if h != frag_host]
    # the whole datagram translated, then cut (the first fragment carries
    # the checksum of all of it)
    want_lan += [eth(LAN0_MAC, mac_of[frag_host], f)
                 for f in fragments(xl(back[frag_host], dst=frag_host), 24)]
    # the error, its quote translated back (RFC 5508): the host's own
    # datagram as the router saw it (TTL one lower)
    want_lan.append(eth(LAN0_MAC, mac_of[err_host],
                        icmp_err(ROUTER, err_host, 3, 1,
                                 xl(out[e], ttl=-1)[:28], ttl=59,
                                 ident=0x300)))
    want_lan.append(eth(LAN0_MAC, SERVER_MAC, xl(syn, dst=SERVER, dport=80)))
    assert_frames(r.outputs["wan1"], want_wan, "wan1", ordered=False)
    assert_frames(r.outputs["lan0"], want_lan, "lan0", ordered=False)
    assert r.nonzero_drops() == {"l2_not_for_us": dp.kicks}, \
        r.nonzero_drops()
    # every packet whose state the other worker had was handed over once:
    # the replies, fragments and the error of worker 0's hosts, the
    # datagrams of worker 1's, SERVER's SYN-ACK (SERVER's worker is 1,
    # where its SYN arrived)
    n0 = sum(1 for h in HOSTS if owner[h] == 0)
    n1 = len(HOSTS) - n0
    want_handoffs = n1 + (n0 + 1 + 1) + 1
    assert st["worker"]["handoffs"] == want_handoffs, st["worker"]
    assert st["worker"]["rx_packets"] == st["forwarded"] + \
        st["worker"]["drops"] + st["punted"], st
