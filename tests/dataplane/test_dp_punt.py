#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The punt path under a flood (issue 16; docs/architecture.md, "The punt
path"): what goes to the control lcore is policed per class in the worker
(GCRA, `dataplane.punt_policer`), and neighbour discovery, ARP and probe
replies have a ring of their own that the control lcore drains first.

20 000 UDP datagrams to neptune's own LAN address (class `other`) arrive
at memory speed with, every 100th frame, a Neighbour Solicitation for
neptune's address from a LAN host, an ARP request for its IPv4 address,
and an echo reply on the WAN port (the `probe` class: what health probes
get back). With a small punt ring the junk alone would fill it
many times over (the ring has 128 here):

  - policer on (other 1000 pps, burst 64): the junk beyond the burst is
    dropped in the worker (punt_policed_other), and every NS gets its NA,
    every ARP request its reply, every echo reply reaches the control
    lcore (where, matching no probe of ours, it is local_unhandled);
  - policer off: the junk fills the low ring (punt_ring_full), and still
    every NS, ARP request and echo reply gets through their own ring.
Each run checks the accounting identity (every frame one outcome).
"""
import pytest

from dp_packets import IP, UDP, Raw
from neptune_dp import (GW6, GW_MAC, HOST6, HOST_MAC, LAN0_MAC, LAN4, LAN6,
                        WAN1_MAC, WAN6)
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6NDOptSrcLLAddr, IPv6)
from scapy.layers.l2 import ARP, Ether

N_JUNK = 20000
EVERY = 100


def frames():
    lan, wan = [], []
    junk = bytes(Ether(src=HOST_MAC, dst=LAN0_MAC) /
                 IP(src="192.0.2.10", dst=LAN4) / UDP(sport=5000, dport=9999) /
                 Raw(b"junk"))
    ns = bytes(Ether(src=HOST_MAC, dst=LAN0_MAC) /
               IPv6(src=HOST6, dst=LAN6, hlim=255) / ICMPv6ND_NS(tgt=LAN6) /
               ICMPv6NDOptSrcLLAddr(lladdr=HOST_MAC))
    arp = bytes(Ether(src=HOST_MAC, dst="ff:ff:ff:ff:ff:ff") /
                ARP(op=1, hwsrc=HOST_MAC, psrc="192.0.2.10", pdst=LAN4))
    n_ctl = 0
    for i in range(N_JUNK):
        lan.append(junk)
        if i % EVERY == 0:
            lan += [ns, arp]
            wan.append(bytes(Ether(src=GW_MAC, dst=WAN1_MAC) /
                             IPv6(src=GW6, dst=WAN6) /
                             ICMPv6EchoReply(id=0x7777, seq=i // EVERY)))
            n_ctl += 1
    return lan, wan, n_ctl


def policer(other_pps):
    # ND and probes unlimited here: the file arrives at memory speed, 400
    # of them in a few ms, far beyond any real rate of theirs
    return {"dataplane": {"punt_ring_size": 128, "punt_policer": {
        "nd_pps": 0, "probe_pps": 0, "icmp_pps": 5000,
        "resolve_pps": 50000, "other_pps": other_pps, "error_pps": 10000,
        "burst": 64}}}


@pytest.mark.parametrize("other_pps", [1000, 0], ids=["policed", "unpoliced"])
def test_flood_does_not_starve_nd_arp_and_probes(run_dataplane, other_pps):
    lan, wan, n = frames()
    r = run_dataplane(inputs={"lan0": lan, "wan1": wan},
                      extra_cfg=policer(other_pps))
    out = r.outputs["lan0"]
    nas = [f for f in out if f[12:14] == b"\x86\xdd" and
           ICMPv6ND_NA in Ether(f)]
    arps = [f for f in out if f[12:14] == b"\x08\x06" and
            Ether(f)[ARP].op == 2]
    assert (len(nas), len(arps)) == (n, n), (len(nas), len(arps))
    d = r.nonzero_drops()
    # the echo replies all reached the control lcore: no probe of ours
    assert d.get("local_unhandled", 0) == n, d
    if other_pps:
        # at most the burst and the rate's share of the run get through
        assert d["punt_policed_other"] > N_JUNK * 0.9, d
        assert "punt_ring_full" not in d, d
    else:
        assert "punt_policed_other" not in d, d
        assert d["punt_ring_full"] > 0, d
    assert not any(k.startswith("punt_policed_") and k != "punt_policed_other"
                   for k in d), d
    st = r.stats
    w, c = st["worker"], st["control"]
    by = w["punted_by_class"]
    assert (by["nd"], by["probe"]) == (2 * n, n), by
    assert sum(by.values()) == w["punted"], w
    assert w["rx_packets"] == len(lan) + len(wan)
    assert w["rx_packets"] == w["forwarded"] + w["punted"] + w["drops"], w
    assert w["punted"] == c["local"] + c["forwarded"] + c["held"] + \
        c["drops"], (w, c)
