#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""VLAN sub-interfaces and VRF-lite tables, one neptune run.

Topology (docs/config.md "ports[]" and "vrfs[]"):

    lan0      untagged, table default: 192.0.2.1/24, fd42:100:1::1/64
    lan0.100  VLAN 100 on lan0, VRF blue: the *same* addresses as lan0
    lan0.200  VLAN 200 on lan0, VRF blue: 198.18.2.1/24, fd42:200:2::1/64
    lan0.300  VLAN 300 on lan0, table default: fd42:300:3::1/64
    wan1      table default, default routes via the gateway
    wan2      VRF blue: 198.18.3.1/24, fd42:300::1/64; blue routes
              198.19.0.0/16 and fd42:399::/48 via its gateway, and no
              default route

The blue host on VLAN 100 has the same IPv4 and IPv6 addresses as the
lan0 host (192.0.2.10, fd42:100:1::10), another MAC: two neighbours.

What it checks, exact bytes built with scapy:
- echo requests to neptune on VLAN 100 are answered on VLAN 100, and ARP
  and Neighbour Solicitations on it too;
- the two tables stay apart: blue traffic to what only the default table
  routes gets ICMP unreachable (tagged, from blue's address) and is not
  forwarded; default traffic to what only blue routes or holds takes the
  default route; each table reaches its own 192.0.2.10;
- routing inside blue between lan0.100, lan0.200 and wan2 writes, rewrites
  and removes the tags; a Time Exceeded in blue goes back tagged;
- a default-table route out of a sub-interface (lan0.300) stays tagged
  when the fast path takes over (destination cache);
- an unknown VLAN is dropped as vlan_unknown, 802.1ad (QinQ) as
  l2_unsupported_ethertype; a priority tag (VLAN 0) is lan0's;
- counters per sub-interface, `show vrf`, `show routes vrf blue`;
- reload: a VRF's routes apply, its interfaces or a VLAN id are refused
  (`FILE:LINE:COLUMN: KEY: ...`, the running configuration kept);
- a feature on the VRF tables: an SRv6 overlay in blue (its route in
  blue's FIB, H.Encaps from VLAN 100) and End.DT4/DT46 into blue.
"""
import copy
import json
import re
import struct

import pytest

from dp_packets import (ARP, ICMP, ICMPv6DestUnreach, ICMPv6EchoReply,
                        ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                        ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IP, IPv6,
                        Raw, from_gw, from_host, icmp4_error, icmp6_error,
                        mcast_mac, routed, solicited_node, udp4, udp6)
from neptune_dp import (Dataplane, GW_MAC, HOST4, HOST6, HOST_MAC,
                        LAN0_MAC, LAN4, LAN6, REMOTE4, REMOTE6,
                        STATIC_NEIGHBORS, WAN1_MAC, assert_drops,
                        assert_frames)
from scapy.layers.l2 import Ether

BLUE_MAC = "02:00:00:00:cc:10"     # the host on lan0.100: HOST4, HOST6
NEW_MAC, NEW4, NEW6 = "02:00:00:00:cc:11", "192.0.2.20", "fd42:100:1::20"
B2_MAC, B2_4, B2_6 = "02:00:00:00:cc:20", "198.18.2.10", "fd42:200:2::10"
D3_MAC, D3_6 = "02:00:00:00:cc:30", "fd42:300:3::10"   # lan0.300 host
WAN2_MAC = "02:00:00:00:00:12"
WAN2_4, WAN2_6 = "198.18.3.1", "fd42:300::1"
GW2_MAC, GW2_4, GW2_6 = "02:00:00:00:bb:02", "198.18.3.254", "fd42:300::fe"
BLUE_ONLY4, BLUE_ONLY6 = "198.19.1.1", "fd42:399::1"   # routed by blue only

EXTRA_PORTS = [
    {"name": "wan2", "role": "wan", "mac": WAN2_MAC,
     "addresses": [f"{WAN2_6}/64", f"{WAN2_4}/24"]},
    {"name": "lan0.100", "role": "lan", "parent": "lan0", "vlan": 100,
     "addresses": [f"{LAN6}/64", f"{LAN4}/24"]},
    {"name": "lan0.200", "role": "lan", "parent": "lan0", "vlan": 200,
     "addresses": ["fd42:200:2::1/64", "198.18.2.1/24"]},
    {"name": "lan0.300", "role": "lan", "parent": "lan0", "vlan": 300,
     "addresses": ["fd42:300:3::1/64"]},
]
VRFS = [{"name": "blue", "interfaces": ["lan0.100", "lan0.200", "wan2"],
         "routes": [{"prefix": "198.19.0.0/16", "via": GW2_4},
                    {"prefix": "fd42:399::/48", "via": GW2_6}]}]
NEIGHBORS = STATIC_NEIGHBORS + [
    {"port": "lan0.100", "address": HOST4, "mac": BLUE_MAC},
    {"port": "lan0.100", "address": HOST6, "mac": BLUE_MAC},
    {"port": "lan0.200", "address": B2_4, "mac": B2_MAC},
    {"port": "lan0.200", "address": B2_6, "mac": B2_MAC},
    {"port": "lan0.300", "address": D3_6, "mac": D3_MAC},
    {"port": "wan2", "address": GW2_4, "mac": GW2_MAC},
    {"port": "wan2", "address": GW2_6, "mac": GW2_MAC},
]


def tag(frame, vlan, tpid=0x8100):
    """frame (scapy or bytes) with an 802.1Q tag after the MACs."""
    b = bytes(frame)
    return b[:12] + struct.pack("!HH", tpid, vlan) + b[12:]


def blue(l3):
    """l3 sent by the blue host on VLAN 100 to neptune."""
    return tag(Ether(src=BLUE_MAC, dst=LAN0_MAC) / l3, 100)


def out_on(vlan, dst_mac, l3):
    """What neptune forwards on lan0 VLAN vlan (l3 one hop older)."""
    return tag(routed(Ether(src=LAN0_MAC, dst=dst_mac), l3), vlan)


def echo4(src, dst, ident):
    return IP(src=src, dst=dst, ttl=60, id=0x5151, flags="DF") / \
        ICMP(type=8, id=ident, seq=1) / Raw(b"ping on a vlan")


def echo4_reply(src, dst, ident):
    return IP(src=src, dst=dst, ttl=64, id=0x5151, flags="DF") / \
        ICMP(type=0, id=ident, seq=1) / Raw(b"ping on a vlan")


# ---- lan0 (blue frames are tagged 100) ----
ECHO4 = echo4(HOST4, LAN4, 0x0101)
ECHO6 = IPv6(src=HOST6, dst=LAN6, hlim=61) / \
    ICMPv6EchoRequest(id=0x0102, seq=3, data=b"ping6 on a vlan")
SNMC = solicited_node(LAN6)
ARP_REQ = tag(Ether(src=NEW_MAC, dst="ff:ff:ff:ff:ff:ff") /
              ARP(op=1, hwsrc=NEW_MAC, psrc=NEW4, hwdst="00:00:00:00:00:00",
                  pdst=LAN4), 100)
NS = tag(Ether(src=NEW_MAC, dst=mcast_mac(SNMC)) /
         IPv6(src=NEW6, dst=SNMC, hlim=255) / ICMPv6ND_NS(tgt=LAN6) /
         ICMPv6NDOptSrcLLAddr(lladdr=NEW_MAC), 100)
TO_DEFAULT_ONLY = udp4(dst=REMOTE4, sport=40100, data=b"blue to remote4")
TO_B2_4 = udp4(dst=B2_4, sport=40101, data=b"blue to blue vlan 200")
TO_B2_6 = udp6(dst=B2_6, sport=40102, data=b"blue to blue vlan 200 v6")
TO_BLUE_GW4 = udp4(dst=BLUE_ONLY4, sport=40103, data=b"blue out wan2")
TO_BLUE_GW6 = udp6(dst=BLUE_ONLY6, sport=40104, data=b"blue out wan2 v6")
TTL1 = udp4(dst=B2_4, ttl=1, sport=40105, data=b"ttl 1 in blue")
UNKNOWN_VLAN = tag(from_host() / udp4(sport=40106), 999)
QINQ = tag(tag(from_host() / udp4(sport=40107), 100), 10, tpid=0x88a8)
LAN_TO_BLUE_ONLY = udp4(dst=BLUE_ONLY4, sport=40108, data=b"default table")
LAN_TO_B2 = udp4(dst=B2_4, sport=40109, data=b"not blue's prefix here")
PRIO_TAGGED = udp6(dst=REMOTE6, sport=40110, data=b"priority tagged")

LAN0_IN = [
    blue(ECHO4), blue(ECHO6), ARP_REQ, NS, blue(TO_DEFAULT_ONLY),
    blue(TO_B2_4), blue(TO_B2_6), blue(TO_BLUE_GW4), blue(TO_BLUE_GW6),
    blue(TTL1), UNKNOWN_VLAN, QINQ,
    from_host() / LAN_TO_BLUE_ONLY, from_host() / LAN_TO_B2,
    tag(from_host() / PRIO_TAGGED, 0),
]

# ---- wan1 ----
TO_HOST4 = udp4(src=REMOTE4, dst=HOST4, sport=443, dport=40200,
                data=b"default table host")
TO_D3 = [udp6(src=REMOTE6, dst=D3_6, sport=443, dport=40300 + i,
              data=b"to lan0.300 %d" % i) for i in range(3)]
WAN1_IN = [from_gw() / TO_HOST4] + [from_gw() / p for p in TO_D3]

# ---- wan2 (blue) ----
W2_TO_HOST4 = udp4(src="198.19.7.7", dst=HOST4, sport=443, dport=40201,
                   data=b"blue table host")
W2_TO_HOST6 = udp6(src=BLUE_ONLY6, dst=HOST6, sport=443, dport=40202,
                   data=b"blue table host v6")
W2_TO_REMOTE4 = udp4(src="198.19.7.7", dst=REMOTE4, sport=443, dport=40203,
                     data=b"blue has no such route")
W2_TO_D3 = udp6(src=BLUE_ONLY6, dst=D3_6, sport=443, dport=40204,
                data=b"lan0.300 is not blue's")


def from_gw2(l3):
    return Ether(src=GW2_MAC, dst=WAN2_MAC) / l3


WAN2_IN = [from_gw2(W2_TO_HOST4), from_gw2(W2_TO_HOST6),
           from_gw2(W2_TO_REMOTE4), from_gw2(W2_TO_D3)]


def vrf_cfg(**dataplane):
    return {"eal": {"memory_mb": 512}, "vrfs": copy.deepcopy(VRFS),
            "neighbors": {"static": NEIGHBORS}, "dataplane": dataplane}


# Both ways: through the fused fast paths, and every packet through the
# stages (dataplane.fast_path: false).
@pytest.fixture(scope="module", params=[True, False],
                ids=["fast_path", "general_path"])
def vrf(request):
    dp = Dataplane(inputs={"lan0": LAN0_IN, "wan1": WAN1_IN,
                           "wan2": WAN2_IN},
                   extra_ports=EXTRA_PORTS,
                   extra_cfg=vrf_cfg(fast_path=request.param))
    try:
        dp.start()
        dp.wait_idle()
        extra = {
            "port_stats": {p["name"]: p for p in
                           dp.json("show port stats")["ports"]},
            "ports": {p["name"]: p for p in dp.json("show ports")["ports"]},
            "vrf": dp.json("show vrf")["vrfs"],
            "routes_blue": dp.json("show routes vrf blue")["routes"],
            "routes": dp.json("show routes")["routes"],
            "unknown_vrf": dp.cmd("show routes vrf green"),
        }
        r = dp.stop()
        r.extra = extra
        yield r
    finally:
        dp.cleanup()


def test_echo_on_vlan_answered_tagged(vrf):
    out = vrf.outputs["lan0"]
    want4 = tag(Ether(src=LAN0_MAC, dst=BLUE_MAC) /
                echo4_reply(LAN4, HOST4, 0x0101), 100)
    want6 = tag(Ether(src=LAN0_MAC, dst=BLUE_MAC) /
                IPv6(src=LAN6, dst=HOST6, hlim=64) /
                ICMPv6EchoReply(id=0x0102, seq=3, data=b"ping6 on a vlan"),
                100)
    assert want4 in out, "ICMP echo reply on VLAN 100"
    assert want6 in out, "ICMPv6 echo reply on VLAN 100"


def test_arp_and_nd_on_vlan(vrf):
    out = vrf.outputs["lan0"]
    arp = tag(Ether(src=LAN0_MAC, dst=NEW_MAC) /
              ARP(op=2, hwsrc=LAN0_MAC, psrc=LAN4, hwdst=NEW_MAC, pdst=NEW4),
              100)
    na = tag(Ether(src=LAN0_MAC, dst=NEW_MAC) /
             IPv6(src=LAN6, dst=NEW6, hlim=255) /
             ICMPv6ND_NA(R=1, S=1, O=1, tgt=LAN6) /
             ICMPv6NDOptDstLLAddr(lladdr=LAN0_MAC), 100)
    assert arp in out, "ARP reply on VLAN 100"
    assert na in out, "Neighbour Advertisement on VLAN 100"
    # Learnt on the sub-interface, not on lan0.
    learnt = {(n["port"], n["address"]) for n in vrf.neighbors
              if n["state"] != "permanent"}
    assert learnt == {("lan0.100", NEW4), ("lan0.100", NEW6)}, learnt


def test_same_address_two_neighbours(vrf):
    nb = {(n["port"], n["address"]): n["mac"] for n in vrf.neighbors}
    assert nb[("lan0", HOST4)] == HOST_MAC
    assert nb[("lan0.100", HOST4)] == BLUE_MAC
    assert nb[("lan0", HOST6)] == HOST_MAC
    assert nb[("lan0.100", HOST6)] == BLUE_MAC
    out = vrf.outputs["lan0"]
    # The default table's 192.0.2.10 is on lan0, blue's on VLAN 100.
    assert bytes(routed(Ether(src=LAN0_MAC, dst=HOST_MAC), TO_HOST4)) in out
    assert out_on(100, BLUE_MAC, W2_TO_HOST4) in out
    assert out_on(100, BLUE_MAC, W2_TO_HOST6) in out


def test_vrfs_isolated(vrf):
    # Blue to an address only the default table routes: unreachable,
    # answered on VLAN 100 from blue's address, not forwarded.
    unreach = tag(icmp4_error(ICMP(type=3, code=0), TO_DEFAULT_ONLY,
                              eth_dst=BLUE_MAC), 100)
    assert unreach in vrf.outputs["lan0"], "unreachable on VLAN 100"
    wan1 = vrf.outputs["wan1"]
    assert not any(bytes(TO_DEFAULT_ONLY)[12:20] in f for f in wan1)
    # The default table ignores blue's routes and connected prefixes.
    assert_frames(wan1,
                  [routed(Ether(src=WAN1_MAC, dst=GW_MAC), LAN_TO_BLUE_ONLY),
                   routed(Ether(src=WAN1_MAC, dst=GW_MAC), LAN_TO_B2),
                   routed(Ether(src=WAN1_MAC, dst=GW_MAC), PRIO_TAGGED)],
                  "wan1: default-table traffic only", ordered=False)
    # From wan2 (blue): no route to REMOTE4, none to lan0.300's prefix.
    want = [icmp4_error(ICMP(type=3, code=0), W2_TO_REMOTE4, src=WAN2_4,
                        dst="198.19.7.7", eth_dst=GW2_MAC, eth_src=WAN2_MAC),
            icmp6_error(ICMPv6DestUnreach(code=0), W2_TO_D3, src=WAN2_6,
                        dst=BLUE_ONLY6, eth_dst=GW2_MAC, eth_src=WAN2_MAC)]
    for w in want:
        assert bytes(w) in vrf.outputs["wan2"], w.summary()


def test_routing_inside_vrf(vrf):
    lan0 = vrf.outputs["lan0"]
    # VLAN 100 -> VLAN 200: the tag rewritten.
    assert out_on(200, B2_MAC, TO_B2_4) in lan0
    assert out_on(200, B2_MAC, TO_B2_6) in lan0
    # VLAN 100 -> wan2: the tag removed (wan2 -> VLAN 100, written:
    # test_same_address_two_neighbours); wan2 also carries blue's errors.
    assert_frames(vrf.outputs["wan2"],
                  [routed(Ether(src=WAN2_MAC, dst=GW2_MAC), TO_BLUE_GW4),
                   routed(Ether(src=WAN2_MAC, dst=GW2_MAC), TO_BLUE_GW6),
                   icmp4_error(ICMP(type=3, code=0), W2_TO_REMOTE4,
                               src=WAN2_4, dst="198.19.7.7", eth_dst=GW2_MAC,
                               eth_src=WAN2_MAC),
                   icmp6_error(ICMPv6DestUnreach(code=0), W2_TO_D3,
                               src=WAN2_6, dst=BLUE_ONLY6, eth_dst=GW2_MAC,
                               eth_src=WAN2_MAC)],
                  "wan2 output", ordered=False)
    # Time Exceeded in blue goes back on VLAN 100 from blue's address.
    te = tag(icmp4_error(ICMP(type=11, code=0), TTL1, eth_dst=BLUE_MAC), 100)
    assert te in lan0, "Time Exceeded on VLAN 100"


def test_default_subif_fast_path_keeps_tag(vrf):
    lan0 = vrf.outputs["lan0"]
    for p in TO_D3:
        assert out_on(300, D3_MAC, p) in lan0, p.summary()


def test_lan0_output_exactly(vrf):
    """Nothing else left lan0: no blue packet untagged, no default packet
    on a blue VLAN."""
    want = [
        tag(Ether(src=LAN0_MAC, dst=BLUE_MAC) /
            echo4_reply(LAN4, HOST4, 0x0101), 100),
        tag(Ether(src=LAN0_MAC, dst=BLUE_MAC) /
            IPv6(src=LAN6, dst=HOST6, hlim=64) /
            ICMPv6EchoReply(id=0x0102, seq=3, data=b"ping6 on a vlan"), 100),
        tag(Ether(src=LAN0_MAC, dst=NEW_MAC) /
            ARP(op=2, hwsrc=LAN0_MAC, psrc=LAN4, hwdst=NEW_MAC, pdst=NEW4),
            100),
        tag(Ether(src=LAN0_MAC, dst=NEW_MAC) /
            IPv6(src=LAN6, dst=NEW6, hlim=255) /
            ICMPv6ND_NA(R=1, S=1, O=1, tgt=LAN6) /
            ICMPv6NDOptDstLLAddr(lladdr=LAN0_MAC), 100),
        tag(icmp4_error(ICMP(type=3, code=0), TO_DEFAULT_ONLY,
                        eth_dst=BLUE_MAC), 100),
        out_on(200, B2_MAC, TO_B2_4),
        out_on(200, B2_MAC, TO_B2_6),
        tag(icmp4_error(ICMP(type=11, code=0), TTL1, eth_dst=BLUE_MAC), 100),
        routed(Ether(src=LAN0_MAC, dst=HOST_MAC), TO_HOST4),
        out_on(100, BLUE_MAC, W2_TO_HOST4),
        out_on(100, BLUE_MAC, W2_TO_HOST6),
    ] + [out_on(300, D3_MAC, p) for p in TO_D3]
    assert_frames(vrf.outputs["lan0"], want, "lan0 output", ordered=False)


def test_drops(vrf):
    assert_drops(vrf, {"vlan_unknown": 1, "l2_unsupported_ethertype": 1,
                       "no_route": 3, "hop_limit_exceeded": 1})
    assert vrf.stats["icmp_errors_sent"] == 4, vrf.stats
    assert vrf.stats["rx_packets"] == len(LAN0_IN) + len(WAN1_IN) + \
        len(WAN2_IN)


def test_counters_per_subinterface(vrf):
    st = vrf.extra["port_stats"]
    # Each frame is counted on the interface it was received on.
    assert st["lan0.100"]["sw_rx_packets"] == 10, st["lan0.100"]
    assert st["lan0.200"]["sw_rx_packets"] == 0
    assert st["lan0"]["sw_rx_packets"] == len(LAN0_IN) - 10
    assert sum(p["sw_rx_packets"] for p in st.values()) == \
        vrf.stats["rx_packets"]
    # tx: 2 to VLAN 200; VLAN 300: the three; VLAN 100: the replies and
    # errors the control lcore sent (6) and the 2 forwarded from wan2.
    assert st["lan0.200"]["sw_tx_packets"] == 2
    assert st["lan0.300"]["sw_tx_packets"] == 3
    assert st["lan0.100"]["sw_tx_packets"] == 8
    assert st["lan0"]["sw_tx_packets"] == 1
    assert st["lan0.100"]["parent"] == "lan0"
    assert st["lan0.100"]["vlan"] == 100
    assert st["lan0.100"]["rx_packets"] is None
    ports = vrf.extra["ports"]
    assert (ports["lan0.100"]["parent"], ports["lan0.100"]["vlan"],
            ports["lan0.100"]["vrf"]) == ("lan0", 100, "blue")
    assert (ports["lan0"]["parent"], ports["lan0"]["vlan"],
            ports["lan0"]["vrf"]) == (None, None, "default")
    assert ports["lan0.100"]["mac"] == LAN0_MAC
    assert ports["lan0.100"]["port_id"] == ports["lan0"]["port_id"]
    assert ports["lan0.100"]["ifid"] != ports["lan0"]["ifid"]


def test_show_vrf_and_routes(vrf):
    v = {x["name"]: x for x in vrf.extra["vrf"]}
    assert list(v) == ["default", "blue"]
    assert v["default"]["table"] == 0 and v["blue"]["table"] == 1
    assert v["default"]["interfaces"] == ["lan0", "wan1", "lan0.300"]
    assert v["blue"]["interfaces"] == ["wan2", "lan0.100", "lan0.200"]
    # blue: wan2 2 connected + 2 local, lan0.100 2 + 2, lan0.200 2 + 2,
    # 2 static
    assert v["blue"]["routes"] == 14
    assert v["blue"]["fib"] == "fast"
    blue_r = {(r["prefix"], r["type"], r["port"]) for r in
              vrf.extra["routes_blue"]}
    assert ("192.0.2.0/24", "connected", "lan0.100") in blue_r
    assert ("198.19.0.0/16", "static", "wan2") in blue_r
    assert not any(r[2] in ("lan0", "wan1", "lan0.300") for r in blue_r)
    main_r = {(r["prefix"], r["type"], r["port"]) for r in
              vrf.extra["routes"]}
    assert ("192.0.2.0/24", "connected", "lan0") in main_r
    assert ("fd42:300:3::/64", "connected", "lan0.300") in main_r
    assert not any(r[2] in ("lan0.100", "lan0.200", "wan2") for r in main_r)
    assert vrf.extra["unknown_vrf"] == (False, "error: unknown vrf 'green'\n")


# ---- reload ----------------------------------------------------------------

KICK = bytes(Ether(src=HOST_MAC, dst="02:00:00:00:ee:ee") /
             udp4(sport=9, dport=9))


def text_pos(text, needle, offset=0):
    """1-based (line, column) of the one needle in text, plus offset."""
    assert text.count(needle) == 1, needle
    i = text.index(needle) + offset
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


def test_vrf_reload(dataplane):
    dp = dataplane(inputs={}, extra_ports=EXTRA_PORTS,
                   extra_cfg=vrf_cfg(burst=1), fifo_ports=["lan0"]).start()
    base = copy.deepcopy(dp.cfg)
    gen0 = dp.stats()["generation"]

    def blue_routes():
        return {(r["prefix"], r["type"], r["port"], r["via"])
                for r in dp.json("show routes vrf blue")["routes"]}

    routes0 = blue_routes()
    # Refused: blue's interfaces, a sub-interface's VLAN.
    refused = []
    c = copy.deepcopy(base)
    c["vrfs"][0]["interfaces"] = ["lan0.100", "wan2"]
    refused.append((c, "vrfs[0].interfaces", '"interfaces": [',
                    len('"interfaces": ')))
    c = copy.deepcopy(base)
    c["ports"][3]["vlan"] = 101
    refused.append((c, "ports[3].vlan", '"vlan": 101', len('"vlan": ')))
    for c, key, needle, off in refused:
        c["vrfs"][0]["routes"].append({"prefix": "203.0.113.0/24",
                                       "via": GW2_4})
        dp.write_config(c)
        line, col = text_pos(dp.cfg_path.read_text(), needle, off)
        ok, out = dp.cmd_kicked("reload", "lan0", [KICK])
        want = re.compile(rf"error: {re.escape(str(dp.cfg_path))}:{line}:"
                          rf"{col}: {re.escape(key)}: changed, needs a "
                          rf"restart")
        assert not ok and want.match(out), (key, out)
        assert dp.stats()["generation"] == gen0
        assert blue_routes() == routes0
    # Before: blue cannot reach REMOTE4.
    dp.feed("lan0", [blue(udp4(dst=REMOTE4, sport=40400, data=b"before"))])
    dp.wait_idle()
    assert dp.drops()["no_route"] == 1
    # A new route in blue: applied.
    c = copy.deepcopy(base)
    c["vrfs"][0]["routes"].append({"prefix": "203.0.113.0/24", "via": GW2_4})
    dp.write_config(c)
    ok, out = dp.cmd_kicked("reload --json", "lan0", [KICK])
    assert ok and json.loads(out) == {"ok": True, "generation": gen0 + 1}, out
    assert blue_routes() == routes0 | {("203.0.113.0/24", "static", "wan2",
                                        GW2_4)}
    after = udp4(dst=REMOTE4, sport=40401, data=b"after")
    dp.feed("lan0", [blue(after)])
    dp.close_feed("lan0")
    dp.wait_idle()
    r = dp.stop()
    assert r.drops["no_route"] == 1
    assert r.drops["l2_not_for_us"] == dp.kicks
    # The blue packet leaves by wan2 now, never by wan1.
    assert_frames(r.outputs["wan2"],
                  [routed(Ether(src=WAN2_MAC, dst=GW2_MAC), after)],
                  "wan2 after the reload")
    assert r.outputs["wan1"] == []


# ---- a feature's routes and decapsulation in a VRF (SRv6) --------------------

def test_srv6_overlay_in_vrf():
    """SRv6 on the VRF tables (docs/srv6.md): overlay vpn2 in VRF blue.
    From VLAN 100, a packet to vpn2's prefix at site c is encapsulated by
    blue's feature route (out of wan1, untagged); our End.DT46 SID of vpn2
    and an End.DT4 SID in blue decapsulate into blue (out on VLAN 100),
    vpn1's End.DT46 into the default table (lan0 untagged), the same inner
    packet both times. Fast and general paths."""
    import test_dp_srv6 as s6

    blue6, blue_host6 = "fd42:100:2::1", "fd42:100:2::10"
    c2_4, c2_6 = "198.18.31.10", "fd42:300:2::10"
    a_vpn2, c_vpn2 = s6.A_LOC + "200", s6.C_LOC + "200"
    sid_dt4_blue = "fc00:a::b4"
    to_blue4 = IP(src=c2_4, dst=HOST4, ttl=40, id=7, flags="DF") / \
        ICMP(type=8, id=5, seq=1) / Raw(b"c to blue")
    to_blue6 = udp6(src=c2_6, dst=blue_host6, hlim=40, sport=2200,
                    dport=2201, data=b"c to blue v6")
    from_blue = udp4(src=HOST4, dst=c2_4, sport=2300, dport=2301,
                     data=b"blue to site c")
    wan_in = [s6.srv6_in(a_vpn2, [a_vpn2], 0, to_blue4),
              s6.srv6_in(a_vpn2, [a_vpn2], 0, to_blue6),
              s6.srv6_in(sid_dt4_blue, [sid_dt4_blue], 0, to_blue4),
              s6.srv6_in(s6.A_DT46, [s6.A_DT46], 0, to_blue4)]
    for fast in (True, False):
        cfg = s6.srv6_cfg(
            srv6={"localsids": s6.LOCALSIDS + [
                {"sid": sid_dt4_blue, "behavior": "end.dt4", "vrf": "blue"}]},
            dataplane={"fast_path": fast})
        cfg["overlays"].append({"name": "vpn2", "vrf": "blue",
                                "function": "0x200", "sites": {
                                    "a": ["fd42:100:2::/64", "192.0.2.0/24"],
                                    "c": ["fd42:300:2::/64",
                                          "198.18.31.0/24"]}})
        cfg["vrfs"] = [{"name": "blue", "interfaces": ["lan0.100"]}]
        cfg["neighbors"] = {"static": STATIC_NEIGHBORS + [
            {"port": "lan0.100", "address": HOST4, "mac": BLUE_MAC},
            {"port": "lan0.100", "address": blue_host6, "mac": BLUE_MAC}]}
        cfg["eal"] = {"memory_mb": 512}
        dp = Dataplane(inputs={"lan0": [blue(from_blue)],
                               "wan1": [s6.wan(p) for p in wan_in]},
                       extra_ports=[{"name": "lan0.100", "role": "lan",
                                     "parent": "lan0", "vlan": 100,
                                     "addresses": [f"{blue6}/64",
                                                   f"{LAN4}/24"]}],
                       extra_cfg=cfg)
        try:
            dp.start()
            dp.wait_idle()
            routes = {(r["prefix"], r["type"]) for r in
                      dp.json("show routes vrf blue")["routes"]}
            r = dp.stop()
        finally:
            dp.cleanup()
        what = "fast path" if fast else "general path"
        assert ("198.18.31.0/24", "feature") in routes, (what, routes)
        assert_frames(r.outputs["wan1"],
                      [s6.encaps(from_blue, [c_vpn2])],
                      f"{what}: vpn2 from VLAN 100 encapsulated")
        assert_frames(r.outputs["lan0"],
                      [out_on(100, BLUE_MAC, to_blue4),
                       out_on(100, BLUE_MAC, to_blue6),
                       out_on(100, BLUE_MAC, to_blue4),
                       routed(Ether(src=LAN0_MAC, dst=HOST_MAC), to_blue4)],
                      f"{what}: decapsulated into blue and default",
                      ordered=False)
        assert_drops(r, {})
