#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Neighbour resolution of a WAN next hop, completed within one run.

The gateway has no static entry. lan0 receives an IPv6 and an IPv4 packet
for remote destinations; neptune must hold them (queued, state incomplete)
and solicit the gateway: an NS to its solicited-node multicast group and an
ARP request to broadcast. wan1's input is a FIFO, so the gateway's answers
(an NA and an ARP reply) are given only after the test saw the entries
incomplete with one packet queued each; then both packets must leave on
wan1 with the learnt MAC.

While the FIFO is open and empty the worker blocks inside the pcap PMD's
read, so the solicitations reach out1.pcap only once the FIFO is fed and
closed; the control lcore (and the management socket) keeps running.
"""
from dp_packets import (ARP, ICMP, ICMPv6ND_NA, ICMPv6ND_NS,
                        ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                        ICMPv6TimeExceeded, IPv6, from_gw, from_host,
                        icmp4_error, icmp6_error, mcast_mac, routed,
                        solicited_node, udp4, udp6)
from neptune_dp import (GW4, GW6, GW_MAC, HOST4, HOST6, HOST_MAC, WAN1_MAC,
                        WAN4, WAN6, assert_frame, assert_frames)
from scapy.layers.l2 import Ether

OUT6 = udp6(sport=45001, data=b"waiting for the gateway v6")
OUT4 = udp4(sport=45002, data=b"waiting for the gateway v4")

NS = Ether(src=WAN1_MAC, dst=mcast_mac(solicited_node(GW6))) / \
    IPv6(src=WAN6, dst=solicited_node(GW6), hlim=255) / ICMPv6ND_NS(tgt=GW6) / \
    ICMPv6NDOptSrcLLAddr(lladdr=WAN1_MAC)
ARP_REQ = Ether(src=WAN1_MAC, dst="ff:ff:ff:ff:ff:ff") / \
    ARP(op=1, hwsrc=WAN1_MAC, psrc=WAN4, hwdst="00:00:00:00:00:00", pdst=GW4)

NA = from_gw() / IPv6(src=GW6, dst=WAN6, hlim=255) / \
    ICMPv6ND_NA(R=1, S=1, O=1, tgt=GW6) / ICMPv6NDOptDstLLAddr(lladdr=GW_MAC)
ARP_REPLY = from_gw() / \
    ARP(op=2, hwsrc=GW_MAC, psrc=GW4, hwdst=WAN1_MAC, pdst=WAN4)

# Only the LAN host is static; the gateway must be resolved. A long
# retransmission interval keeps it to one solicitation each.
NEIGH_CFG = {"neighbors": {
    "retrans_ms": 60000,
    "static": [{"port": "lan0", "address": HOST6, "mac": HOST_MAC},
               {"port": "lan0", "address": HOST4, "mac": HOST_MAC}]}}


def _nb(dp, addr):
    return dp.neighbor("wan1", addr)


def test_neighbor_resolution(dataplane):
    dp = dataplane(inputs={"lan0": [from_host() / OUT6, from_host() / OUT4]},
                   extra_cfg=NEIGH_CFG, fifo_ports=["wan1"]).start()
    dp.wait_idle()

    # Held, not dropped: one packet queued on each incomplete entry.
    n6, n4 = _nb(dp, GW6), _nb(dp, GW4)
    assert n6 is not None and n4 is not None, dp.neighbors()
    for n in (n6, n4):
        assert n["state"] == "incomplete" and n["queued"] == 1 \
            and n["mac"] == "-", n
    held = dp.drops()
    assert {k: v for k, v in held.items() if v} == {}, held

    # The gateway answers.
    dp.feed("wan1", [NA, ARP_REPLY])
    dp.close_feed("wan1")
    dp.wait_idle()
    for addr in (GW6, GW4):
        n = _nb(dp, addr)
        assert n["state"] == "reachable" and n["queued"] == 0 and \
            n["mac"].lower() == GW_MAC, n
    r = dp.stop()

    out = r.outputs["wan1"]
    fwd6 = routed(Ether(src=WAN1_MAC, dst=GW_MAC), OUT6)
    fwd4 = routed(Ether(src=WAN1_MAC, dst=GW_MAC), OUT4)
    assert_frames(out, [NS, ARP_REQ, fwd6, fwd4], "wan1 output", ordered=False)
    # Each solicitation went out before the packet it held.
    assert out.index(bytes(NS)) < out.index(bytes(fwd6))
    assert out.index(bytes(ARP_REQ)) < out.index(bytes(fwd4))
    assert_frame(out[0], NS, "first frame on wan1 (NS for the gateway)")
    assert r.outputs["lan0"] == []
    assert r.nonzero_drops() == {}



def test_neighbor_queue_full(run_dataplane):
    """queue_len 1: the first packet for the unresolved gateway is held, the
    second is dropped as neigh_queue_full. An ICMP error originated right
    after (for an expired third packet) must not be affected by that: exact
    bytes, hop limit/TTL 64. Both families."""
    pk6 = [udp6(sport=46001, data=b"held"), udp6(sport=46002, data=b"dropped"),
           udp6(sport=46003, hlim=1, data=b"expired")]
    pk4 = [udp4(sport=46011, data=b"held"), udp4(sport=46012, data=b"dropped"),
           udp4(sport=46013, ttl=1, data=b"expired")]
    cfg = {"neighbors": dict(NEIGH_CFG["neighbors"], queue_len=1)}
    r = run_dataplane(inputs={"lan0": [from_host() / p for p in pk6 + pk4]},
                      extra_cfg=cfg)
    for gw in (GW6, GW4):
        n = [n for n in r.neighbors if n["address"] == gw]
        assert len(n) == 1 and n[0]["state"] == "incomplete" and \
            n[0]["queued"] == 1, r.neighbors
    assert r.nonzero_drops() == {"neigh_queue_full": 2,
                                 "hop_limit_exceeded": 2}, r.nonzero_drops()
    assert_frames(r.outputs["wan1"], [NS, ARP_REQ], "wan1 output")
    lan0 = r.outputs["lan0"]
    assert len(lan0) == 2, lan0
    errors = []
    for what, ethertype, want in [
            ("ICMPv6 time exceeded on lan0", b"\x86\xdd",
             icmp6_error(ICMPv6TimeExceeded(code=0), pk6[2])),
            ("ICMP time exceeded on lan0", b"\x08\x00",
             icmp4_error(ICMP(type=11, code=0), pk4[2]))]:
        try:
            assert_frames([o for o in lan0 if o[12:14] == ethertype], [want],
                          what)
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n\n".join(errors)


def test_probe_answered_without_option(dataplane):
    """RFC 4861 7.2.4/7.2.5: Linux answers a unicast NS with a solicited NA
    that carries no Target Link-Layer Address option; that confirms the
    entry. The gateway is learnt (multicast NS, NA with option); with
    reachable_ms 300 the entry goes to probe and neptune sends unicast
    NSes to the gateway's MAC; each is answered with S=1, O=0 and no
    option. For 2.5 s (several reachable periods; unanswered, the entry
    would be deleted 3 x 200 ms into its first probe) the entry is never
    gone, never incomplete, keeps the MAC, and neptune never multicasts a
    solicitation again. Frames that neptune drops as l2_not_for_us keep
    the worker (which sends the control lcore's NSes) awake."""
    import time
    cfg = {"neighbors": dict(NEIGH_CFG["neighbors"], reachable_ms=300,
                             retrans_ms=200, max_probes=3),
           "dataplane": {"burst": 1}}    # a FIFO frame is read at once
    kick = Ether(src=GW_MAC, dst="02:00:00:00:ee:ee") / \
        IPv6(src=GW6, dst=WAN6) / ICMPv6ND_NS(tgt=GW6)
    na_bare = from_gw() / IPv6(src=GW6, dst=WAN6, hlim=255) / \
        ICMPv6ND_NA(R=1, S=1, O=0, tgt=GW6)
    dp = dataplane(inputs={"lan0": [from_host() / OUT6]}, extra_cfg=cfg,
                   fifo_ports=["wan1"]).start()
    kicks, answered, states = 0, 0, []
    dp.feed("wan1", [kick])
    kicks += 1
    dp.wait_for("the gateway incomplete", lambda: _nb(dp, GW6))
    dp.feed("wan1", [NA])
    end = time.monotonic() + 2.5
    while time.monotonic() < end:
        n = _nb(dp, GW6)
        states.append(None if n is None else (n["state"], n["mac"].lower()))
        if n is not None and n["state"] == "probe":
            dp.feed("wan1", [na_bare])
            answered += 1
        dp.feed("wan1", [kick])
        kicks += 1
        time.sleep(0.05)
    dp.close_feed("wan1")
    dp.wait_idle()
    r = dp.stop()
    first = states.index(("reachable", GW_MAC))
    assert set(states[first:]) <= {("reachable", GW_MAC), ("probe", GW_MAC)}, \
        " ".join(str(x and x[0]) for x in states)
    assert answered >= 3, (answered, states)
    out = r.outputs["wan1"]
    ns = [Ether(f) for f in out if ICMPv6ND_NS in Ether(f)]
    multicast = [f for f in ns if f.dst.startswith("33:33:")]
    unicast = [f for f in ns if f.dst == GW_MAC]
    assert len(multicast) == 1 and len(unicast) >= 3, \
        (len(multicast), len(unicast))
    assert bytes(routed(Ether(src=WAN1_MAC, dst=GW_MAC), OUT6)) in out
    assert r.nonzero_drops() == {"l2_not_for_us": kicks}, r.nonzero_drops()
