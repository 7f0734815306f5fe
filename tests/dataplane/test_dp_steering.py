#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Multihoming through the whole data plane (docs/multihoming.md): flow
steering, NPTv6, persistence, and the steering CLI.

Four pcap ports: lan0, wan1, wan2, wan3, one uplink on each WAN port, all
with static next hops and `health: {enabled: false}` (up while the link is):

    isp1  wan1  2001:db8:10:1::1  2001:db8:1100:1::/64  primary weight 7
    isp2  wan2  2001:db8:20:1::1  2001:db8:2200:1::/64  primary weight 3
    isp3  wan3  2001:db8:30:1::1  2001:db8:3300:1::/64  backup

Inside prefix fd42:100:1::/64; strict policies srv1 (2001:db8:101:1::/64)
-> isp1, srv2 -> isp2, srv3 -> isp3; everything else is balanced 70/30
over isp1/isp2. Excluded destinations: the inside prefix, fe80::/10,
ff00::/8 and (to see the exclusion itself at work on a WAN route)
2001:db8:404:1::/64.

Steered packets are compared byte for byte with the original where only
the source address (the documented golden vectors), the hop limit and the
MACs differ: NPTv6 is checksum-neutral, the L4 checksum must not change.

Runs that change uplinks between packets feed lan0 through a FIFO with
`dataplane.burst: 1`, so each fed packet is handled at once (see
neptune_dp.Dataplane.cmd_kicked for the wake-up frame such a command
needs).
"""
import ipaddress
import struct

import pytest

from dp_packets import (ICMPv6DestUnreach, IPv6, Raw, UDP, fast_udp6,
                        from_host, icmp6_error, routed, udp6)
from neptune_dp import (GW6, GW_MAC, HOST6, HOST_MAC, LAN0_MAC,
                        STATIC_NEIGHBORS, WAN1_MAC, assert_frames)
from scapy.layers.l2 import Ether

# -- topology -----------------------------------------------------------------

WAN2_MAC, WAN3_MAC = "02:00:00:00:00:12", "02:00:00:00:00:13"
GW2_MAC, GW3_MAC = "02:00:00:00:bb:02", "02:00:00:00:bb:03"
GW2_6, GW3_6 = "2001:db8:20:1::1", "2001:db8:30:1::1"
HOST2_6, HOST2_MAC = "fd42:100:1::20", "02:00:00:00:aa:20"

UPLINKS = {
    # name: port, port MAC, next hop, next-hop MAC, delegated prefix,
    #       HOST6 as translated on it (the golden vectors of the docs)
    "isp1": ("wan1", WAN1_MAC, GW6, GW_MAC, "2001:db8:1100:1::/64",
             "2001:db8:1100:1:bf89::10"),
    "isp2": ("wan2", WAN2_MAC, GW2_6, GW2_MAC, "2001:db8:2200:1::/64",
             "2001:db8:2200:1:ae89::10"),
    "isp3": ("wan3", WAN3_MAC, GW3_6, GW3_MAC, "2001:db8:3300:1::/64",
             "2001:db8:3300:1:9d89::10"),
}
PORT_OF = {u: v[0] for u, v in UPLINKS.items()}
UPLINK_OF = {v[0]: u for u, v in UPLINKS.items()}
XLAT = {u: v[5] for u, v in UPLINKS.items()}
SRV = {"isp1": "2001:db8:101:1::10", "isp2": "2001:db8:202:1::10",
       "isp3": "2001:db8:303:1::10"}
BALANCED_DST = "2001:db8:998:1::10"
EXCLUDED_WAN_DST = "2001:db8:404:1::10"
WANS = ("wan1", "wan2", "wan3")

EXTRA_PORTS = [
    {"name": "wan2", "role": "wan", "mac": WAN2_MAC,
     "addresses": ["2001:db8:20:1::2/64"]},
    {"name": "wan3", "role": "wan", "mac": WAN3_MAC,
     "addresses": ["2001:db8:30:1::2/64"]},
]


def steering_cfg(weight1=7, flow_table_size=65536, burst=None):
    """The steering configuration. The default flow table (1M entries) does
    not fit in the harness's 256 MB of memory: 65536 is plenty here."""
    up = []
    for name, (port, _, nh, _, dp, _) in UPLINKS.items():
        u = {"name": name, "port": port, "next_hop": nh,
             "delegated_prefix": dp, "health": {"enabled": False}}
        if name == "isp1":
            u["weight"] = weight1
        elif name == "isp2":
            u["weight"] = 3
        else:
            u["role"] = "backup"
        up.append(u)
    st = {"inside_prefixes": ["fd42:100:1::/64"],
          "excluded_destination_prefixes": [
              "fd42:100:1::/64", "fe80::/10", "ff00::/8",
              "2001:db8:404:1::/64"],
          "policies": [
              {"name": f"to-srv{i}", "destination": f"2001:db8:{i}0{i}:1::/64",
               "mode": "strict", "uplink": f"isp{i}"} for i in (1, 2, 3)]}
    st["flow_table_size"] = flow_table_size
    cfg = {"neighbors": {"static": STATIC_NEIGHBORS + [
               {"port": "wan2", "address": GW2_6, "mac": GW2_MAC},
               {"port": "wan3", "address": GW3_6, "mac": GW3_MAC},
               {"port": "lan0", "address": HOST2_6, "mac": HOST2_MAC}]},
           "uplinks": up, "steering": st}
    if burst is not None:
        cfg["dataplane"] = {"burst": burst}
    return cfg


def make(dataplane, inputs=None, fifo=False, **kw):
    return dataplane(inputs=inputs, extra_ports=EXTRA_PORTS,
                     extra_cfg=steering_cfg(burst=1 if fifo else None, **kw),
                     fifo_ports=["lan0"] if fifo else ())


# A frame neptune drops at once (l2_not_for_us): wakes a worker blocked on
# the lan0 FIFO so a published change completes (Dataplane.cmd_kicked);
# the runs expect dp.kicks of them as l2_not_for_us.
KICK = bytes(Ether(src=HOST_MAC, dst="02:00:00:00:ee:ee") /
             IPv6(src=HOST6, dst=BALANCED_DST) / UDP(sport=9, dport=9))


def kicked(dp, line):
    ok, payload = dp.cmd_kicked(line, "lan0", [KICK])
    assert ok, f"'{line}': {payload}"
    return payload


# -- expected frames ----------------------------------------------------------

def _a(addr):
    return ipaddress.IPv6Address(addr).packed


def _mac(mac):
    return bytes.fromhex(mac.replace(":", ""))


def snpt_frame(l3, uplink):
    """l3 (IPv6 from HOST6) as it must leave on uplink: source translated,
    hop limit one lower, every other byte (L4 checksum included) as sent."""
    port, mac, _, nh_mac, _, xl = UPLINKS[uplink]
    raw = bytearray(bytes(l3))
    assert raw[8:24] == _a(HOST6)
    raw[8:24] = _a(xl)
    raw[7] -= 1
    return bytes(Ether(src=mac, dst=nh_mac, type=0x86dd) / Raw(bytes(raw)))


def dnpt_frame(l3, uplink):
    """l3 (IPv6 to HOST6 as translated on uplink) as it must reach lan0."""
    raw = bytearray(bytes(l3))
    assert raw[24:40] == _a(XLAT[uplink])
    raw[24:40] = _a(HOST6)
    raw[7] -= 1
    return bytes(Ether(src=LAN0_MAC, dst=HOST_MAC, type=0x86dd) /
                 Raw(bytes(raw)))


def from_gw_of(uplink):
    _, mac, _, nh_mac, _, _ = UPLINKS[uplink]
    return Ether(src=nh_mac, dst=mac)


def checksum_ok(frame, layer):
    """Does the frame's checksum of `layer` (scapy UDP or ICMPv6 class) match
    scapy's recomputation?"""
    p = Ether(frame)
    field = "chksum" if layer is UDP else "cksum"
    ck = getattr(p[layer], field)
    setattr(p[layer], field, None)
    return getattr(Ether(bytes(p))[layer], field) == ck


def frame_info(f):
    """(source, sport, payload) of an Ether/IPv6/UDP frame, fast."""
    return (str(ipaddress.IPv6Address(f[22:38])),
            struct.unpack("!H", f[54:56])[0], f[62:])


def flows_by_sport(dp, dst):
    """{sport: uplink} of the flows to dst, from `show flows`."""
    fl = dp.json(f"show flows dst {dst} limit 0")
    assert fl["total"] == len(fl["flows"]), fl["total"]
    return {f["sport"]: f["uplink"] for f in fl["flows"]}


def uplinks(dp):
    return {u["name"]: u for u in dp.json("show uplinks")["uplinks"]}


# == 1, 2, 4, 5: golden vectors, return path, exclusion, ICMPv6 errors ========

OUT = {u: udp6(dst=SRV[u], sport=40000 + i, dport=5001 + i,
               data=f"golden vector via {u}".encode())
       for i, u in enumerate(UPLINKS, 1)}
RET = {u: IPv6(src=SRV[u], dst=XLAT[u], hlim=57) /
       UDP(sport=5001 + i, dport=40000 + i) /
       Raw(f"return traffic via {u}".encode())
       for i, u in enumerate(UPLINKS, 1)}
EXCL_LAN = udp6(dst=HOST2_6, sport=40010, data=b"inside to inside")
EXCL_WAN = udp6(dst=EXCLUDED_WAN_DST, sport=40011, data=b"excluded dst")
# What a server's router answers about a packet we sent through isp1 (so
# quoting the translated source).
QUOTED_OUT = IPv6(src=XLAT["isp1"], dst=SRV["isp1"], hlim=61) / \
    UDP(sport=40001, dport=5001) / Raw(b"quoted by an ICMPv6 error")
ERR_IN = IPv6(src="2001:db8:101:1::1", dst=XLAT["isp1"], hlim=60) / \
    ICMPv6DestUnreach(code=1) / Raw(bytes(QUOTED_OUT))
# The LAN host's own error about a packet from srv1 (that came in through
# isp1, so it was DNPT'ed to HOST6): port unreachable, quoting HOST6 as the
# destination, which must leave as the translated address.
QUOTED_IN = IPv6(src=SRV["isp1"], dst=HOST6, hlim=50) / \
    UDP(sport=5001, dport=33434) / Raw(b"probe from srv1")
ERR_OUT = IPv6(src=HOST6, dst=SRV["isp1"], hlim=64) / \
    ICMPv6DestUnreach(code=4) / Raw(bytes(QUOTED_IN))


@pytest.fixture(scope="module")
def basic(request):
    from neptune_dp import Dataplane
    dp = Dataplane(
        inputs={"lan0": [from_host() / p for p in
                         list(OUT.values()) + [EXCL_LAN, EXCL_WAN, ERR_OUT]],
                "wan1": [from_gw_of("isp1") / RET["isp1"],
                         from_gw_of("isp1") / ERR_IN],
                "wan2": [from_gw_of("isp2") / RET["isp2"]],
                "wan3": [from_gw_of("isp3") / RET["isp3"]]},
        extra_ports=EXTRA_PORTS, extra_cfg=steering_cfg())
    request.addfinalizer(dp.cleanup)
    dp.start()
    dp.wait_idle()
    info = {"flows": dp.json("show flows limit 0")["flows"],
            "uplinks": uplinks(dp)}
    r = dp.stop()
    r.info = info
    return r


def test_golden_vectors(basic):
    """fd42:100:1::10 leaves isp1/2/3 as the documented golden addresses,
    hop limit -1, L4 checksum unchanged (and still valid)."""
    for u, l3 in OUT.items():
        port = PORT_OF[u]
        want = snpt_frame(l3, u)
        got = [f for f in basic.outputs[port] if f[12:14] == b"\x86\xdd"
               and f[54:56] == struct.pack("!H", l3[UDP].sport)]
        assert_frames(got, [want], f"{u} ({port}) output for srv of {u}")
        assert checksum_ok(got[0], UDP), f"{u}: UDP checksum invalid"


def test_return_path(basic):
    """Packets to the translated address come out on lan0 to HOST6, only the
    destination, hop limit and MACs changed."""
    want = [dnpt_frame(RET[u], u) for u in UPLINKS]
    got = [f for f in basic.outputs["lan0"]
           if f[20] == 17 and f[:6] == _mac(HOST_MAC)]
    assert_frames(got, want, "lan0 UDP output to HOST6", ordered=False)


def test_excluded_destinations(basic):
    """An inside destination is routed on lan0, an excluded WAN destination
    by the routing table (wan1, untranslated)."""
    lan = [f for f in basic.outputs["lan0"] if f[0:6] == _mac(HOST2_MAC)]
    assert_frames(lan, [routed(Ether(src=LAN0_MAC, dst=HOST2_MAC), EXCL_LAN)],
                  "lan0 output to fd42:100:1::20")
    wan = [f for f in basic.outputs["wan1"]
           if f[38:54] == _a(EXCLUDED_WAN_DST)]
    assert_frames(wan, [routed(Ether(src=WAN1_MAC, dst=GW_MAC), EXCL_WAN)],
                  "wan1 output to the excluded WAN destination")
    routed_flows = [f for f in basic.info["flows"]
                    if f["dst"] == EXCLUDED_WAN_DST]
    assert len(routed_flows) == 1 and \
        routed_flows[0]["uplink"] == "(routed)", basic.info["flows"]
    assert not [f for f in basic.info["flows"] if f["dst"] == HOST2_6], \
        basic.info["flows"]


def test_icmp6_error_inbound(basic):
    """An ICMPv6 error from the Internet about a packet sent through isp1:
    outer destination and quoted source back to HOST6, checksum unchanged
    and valid."""
    got = [f for f in basic.outputs["lan0"] if f[20] == 58]
    assert len(got) == 1, [f.hex() for f in got]
    raw = bytearray(bytes(ERR_IN))
    raw[24:40] = _a(HOST6)              # outer destination
    raw[7] -= 1
    q = 40 + 8                          # the quoted IPv6 header
    assert raw[q + 8:q + 24] == _a(XLAT["isp1"])
    raw[q + 8:q + 24] = _a(HOST6)       # quoted source
    want = Ether(src=LAN0_MAC, dst=HOST_MAC, type=0x86dd) / Raw(bytes(raw))
    assert_frames(got, [want], "translated ICMPv6 error on lan0")
    assert checksum_ok(got[0], ICMPv6DestUnreach), "ICMPv6 checksum invalid"


def test_icmp6_error_outbound(basic):
    """The LAN host's ICMPv6 error to srv1 leaves isp1 with its source and
    the quoted destination translated, checksum unchanged and valid."""
    got = [f for f in basic.outputs["wan1"] if f[20] == 58]
    raw = bytearray(bytes(ERR_OUT))
    raw[8:24] = _a(XLAT["isp1"])
    raw[7] -= 1
    q = 40 + 8
    assert raw[q + 24:q + 40] == _a(HOST6)
    raw[q + 24:q + 40] = _a(XLAT["isp1"])   # quoted destination
    want = Ether(src=WAN1_MAC, dst=GW_MAC, type=0x86dd) / Raw(bytes(raw))
    assert_frames(got, [want], "translated ICMPv6 error on wan1")
    assert checksum_ok(got[0], ICMPv6DestUnreach), "ICMPv6 checksum invalid"


def test_basic_nothing_else(basic):
    assert basic.nonzero_drops() == {}, basic.nonzero_drops()
    counts = {p: len(basic.outputs[p]) for p in ("lan0",) + WANS}
    # wan1: golden + excluded + LAN host's error; lan0: 3 returns, the
    # inside destination, the inbound error.
    assert counts == {"lan0": 5, "wan1": 3, "wan2": 1, "wan3": 1}, counts
    # Flows: 3 golden, the LAN host's error, the routed (excluded) one.
    st = basic.stats
    assert (st["flows_new"], st["flows_moved"], st["flows_stateless"]) == \
        (5, 0, 0), st


def test_basic_counters(basic):
    up = basic.info["uplinks"]
    got = {u: (up[u]["tx_packets"], up[u]["rx_packets"]) for u in UPLINKS}
    assert got == {"isp1": (2, 2), "isp2": (1, 1), "isp3": (1, 1)}, got
    fl = {(f["dst"], f["proto"]): (f["uplink"], f["policy"])
          for f in basic.info["flows"]}
    want = {(SRV[u], "udp"): (u, f"to-srv{i}")
            for i, u in enumerate(UPLINKS, 1)}
    want[(SRV["isp1"], "icmpv6")] = ("isp1", "to-srv1")
    want[(EXCLUDED_WAN_DST, "udp")] = ("(routed)", None)
    assert fl == want, basic.info["flows"]


# == 3, 8: balanced split, persistence within a run, flush, reload ============

N_FLOWS = 10000
N_TWICE = 1000


def balanced(sport, tag, dst=BALANCED_DST):
    return fast_udp6(HOST_MAC, LAN0_MAC, HOST6, dst, sport, 5001,
                     b"%s-%05d" % (tag, sport))


@pytest.fixture(scope="module")
def split(request):
    from neptune_dp import Dataplane
    first = [balanced(10000 + i, b"first") for i in range(N_FLOWS)]
    second = [balanced(10000 + i, b"second") for i in range(N_TWICE)]
    dp = Dataplane(inputs={"lan0": first + second}, extra_ports=EXTRA_PORTS,
                   extra_cfg=steering_cfg())
    request.addfinalizer(dp.cleanup)
    dp.start()
    dp.wait_idle(timeout=30)
    info = {"total": dp.json("show flows limit 1")["total"],
            "per_uplink": {u: dp.json(f"show flows uplink {u} limit 1")
                           ["total"] for u in UPLINKS}}
    # The per-uplink flow counts of show uplinks come from the aging scan
    # (every 10 ms): wait until it has seen them all.
    want = info["per_uplink"]

    def scanned():
        up = uplinks(dp)
        return up if all(up[n]["flows"] == want[n] for n in up) else None
    try:
        info["uplinks"] = dp.wait_for("show uplinks flows", scanned)
    except AssertionError:
        info["uplinks"] = uplinks(dp)

    # 8. flush the flows of isp2: they go at once or after the next scan.
    info["flush_reply"] = dp.cmd("flush flows uplink isp2 --json")

    def flushed():
        t = dp.json("show flows limit 1")["total"]
        return t if t == N_FLOWS - want["isp2"] else None
    try:
        info["after_flush"] = dp.wait_for("the flushed flows to go", flushed)
    except AssertionError:
        info["after_flush"] = dp.json("show flows limit 1")["total"]
    info["after_flush_isp2"] = dp.json("show flows uplink isp2 limit 1")[
        "total"]

    # 8. reload with isp1's weight changed.
    cfg = dict(dp.cfg)
    cfg.update(steering_cfg(weight1=5))
    dp.write_config(cfg)
    info["reload"] = dp.cmd("reload --json")
    info["after_reload"] = dp.json("show flows limit 1")["total"]
    info["after_reload_up"] = uplinks(dp)
    r = dp.stop()
    r.info = info
    return r


def _split_outputs(r):
    seen = {}          # sport -> set of ports
    per_port = {}
    for port in WANS:
        for f in r.outputs[port]:
            src, sport, _ = frame_info(f)
            assert src == XLAT[UPLINK_OF[port]], \
                f"{port}: source {src} (sport {sport})"
            seen.setdefault(sport, set()).add(port)
            per_port[port] = per_port.get(port, 0) + 1
    return seen, per_port


def test_balanced_split(split):
    seen, per_port = _split_outputs(split)
    assert "wan3" not in per_port, per_port
    assert sum(per_port.values()) == N_FLOWS + N_TWICE, per_port
    assert len(seen) == N_FLOWS
    flows = {p: sum(1 for s in seen.values() if s == {p})
             for p in ("wan1", "wan2")}
    share = flows["wan1"] / N_FLOWS
    assert 0.67 <= share <= 0.73, f"isp1 got {share:.1%} of the flows {flows}"
    split.info["flows_per_port"] = flows


def test_balanced_flow_consistency(split):
    seen, _ = _split_outputs(split)
    moved = {s: p for s, p in seen.items() if len(p) != 1}
    assert not moved, "flows seen on several uplinks: " \
        f"{dict(list(moved.items())[:10])}"
    assert split.nonzero_drops() == {}, split.nonzero_drops()


def test_balanced_cli_counters(split):
    seen, per_port = _split_outputs(split)
    flows = {UPLINK_OF[p]: sum(1 for s in seen.values() if s == {p})
             for p in ("wan1", "wan2")}
    flows["isp3"] = 0
    assert split.info["total"] == N_FLOWS
    st = split.stats
    assert (st["flows_new"], st["flows_moved"], st["flows_stateless"]) == \
        (N_FLOWS, 0, 0), st
    # show flows walked the table in the management thread (its prep),
    # never on the control lcore; show uplinks walks nothing (the
    # workers' counts): 1 + 3 show flows before the flush, 2 after
    assert st["flow_walks_control_lcore"] == 0, st
    assert st["flow_walks_offloaded"] >= 6, st
    assert split.info["per_uplink"] == flows, split.info["per_uplink"]
    up = split.info["uplinks"]
    assert {u: up[u]["flows"] for u in UPLINKS} == flows
    assert {u: up[u]["tx_packets"] for u in UPLINKS} == \
        {u: per_port.get(PORT_OF[u], 0) for u in UPLINKS}
    assert up["isp1"]["weight"] == 7 and up["isp2"]["weight"] == 3


def test_flush_uplink(split):
    ok, out = split.info["flush_reply"]
    assert ok, out
    import json
    rep = json.loads(out)
    assert rep == {"ok": True,
                   "flushed": split.info["per_uplink"]["isp2"]}, rep
    assert split.info["after_flush"] == \
        N_FLOWS - split.info["per_uplink"]["isp2"]
    assert split.info["after_flush_isp2"] == 0


def test_reload_keeps_flows(split):
    ok, out = split.info["reload"]
    assert ok, out
    assert split.info["after_reload"] == split.info["after_flush"]
    up = split.info["after_reload_up"]
    assert up["isp1"]["weight"] == 5, up["isp1"]
    assert up["isp2"]["weight"] == 3, up["isp2"]


# == 6: strict policy, uplink down ===========================================

STRICT1 = udp6(dst=SRV["isp1"], sport=40101, data=b"strict while isp1 down")
STRICT1_UP = udp6(dst=SRV["isp1"], sport=40102, data=b"strict, isp1 back")


def test_strict_uplink_down(dataplane):
    dp = make(dataplane, fifo=True).start()
    kicked(dp, "set uplink isp1 admin down")
    up = dp.json("show uplinks")
    assert up["pool"] == ["isp2"], up
    flows = [balanced(21000 + i, b"while-down") for i in range(200)]
    dp.feed("lan0", [from_host() / STRICT1] + flows)
    dp.wait_idle()
    down_drops = dp.drops()["strict_uplink_down"]
    n_flows = dp.json("show flows limit 1")["total"]
    srv1_flows = dp.json(f"show flows dst {SRV['isp1']} limit 1")["total"]
    # Back up: the next packet to srv1 uses isp1 again (no state was kept).
    kicked(dp, "set uplink isp1 admin up")
    dp.feed("lan0", [from_host() / STRICT1_UP])
    dp.close_feed("lan0")
    dp.wait_idle()
    r = dp.stop()

    assert down_drops == 1
    # No state for the refused packet: 200 balanced flows, then srv1's.
    assert (r.stats["flows_new"], r.stats["flows_moved"]) == (201, 0), r.stats
    assert srv1_flows == 0 and n_flows == 200, (srv1_flows, n_flows)
    assert r.nonzero_drops() == {"strict_uplink_down": 1,
                                 "l2_not_for_us": dp.kicks}, r.nonzero_drops()
    assert_frames(r.outputs["lan0"],
                  [icmp6_error(ICMPv6DestUnreach(code=0), STRICT1)],
                  "lan0 output (destination unreachable)")
    assert_frames(r.outputs["wan1"], [snpt_frame(STRICT1_UP, "isp1")],
                  "wan1 output")
    assert r.outputs["wan3"] == []
    srcs = {frame_info(f)[0] for f in r.outputs["wan2"]}
    assert len(r.outputs["wan2"]) == 200 and srcs == {XLAT["isp2"]}, \
        (len(r.outputs["wan2"]), srcs)


# == 7: persistence across failure and recovery =============================

def test_persistence(dataplane):
    dp = make(dataplane, fifo=True).start()
    old = range(20000, 20100)
    new = range(20100, 20200)
    newest = range(20200, 20220)
    rounds = {}

    def send(tag, sports):
        dp.feed("lan0", [balanced(s, tag) for s in sports])
        dp.wait_idle()
        rounds[tag] = flows_by_sport(dp, BALANCED_DST)

    send(b"r1", old)
    r1 = {s: rounds[b"r1"][s] for s in old}
    assert set(r1.values()) == {"isp1", "isp2"}, r1

    kicked(dp, "set uplink isp1 admin down")
    send(b"r2", old)
    r2 = {s: rounds[b"r2"][s] for s in old}
    # isp1's flows moved to isp2, isp2's stayed.
    assert r2 == {s: "isp2" for s in old}, r2

    kicked(dp, "set uplink isp1 admin up")
    send(b"r3", old)
    r3 = {s: rounds[b"r3"][s] for s in old}
    back = {s for s in old if r3[s] != r2[s]}
    assert not back, f"flows moved back after recovery: {sorted(back)}"

    send(b"r4", new)
    r4 = {s: rounds[b"r4"][s] for s in new}
    assert "isp1" in r4.values() and "isp2" in r4.values(), r4

    kicked(dp, "set uplink isp1 admin down")
    kicked(dp, "set uplink isp2 admin down")
    assert dp.json("show uplinks")["pool"] == ["isp3"]
    send(b"r5", newest)
    r5 = {s: rounds[b"r5"][s] for s in newest}
    assert r5 == {s: "isp3" for s in newest}, r5
    dp.close_feed("lan0")
    dp.wait_idle()
    r = dp.stop()

    # The frames agree with show flows, round by round.
    want = {b"r1": r1, b"r2": r2, b"r3": r3, b"r4": r4, b"r5": r5}
    got = {}
    for port in WANS:
        for f in r.outputs[port]:
            src, sport, data = frame_info(f)
            assert src == XLAT[UPLINK_OF[port]], (port, src)
            got.setdefault(data[:2], {})[sport] = UPLINK_OF[port]
    assert got == want
    assert r.nonzero_drops() == {"l2_not_for_us": dp.kicks}, r.nonzero_drops()
    # Moved: isp1's flows of round 1, once (recovery moves nothing).
    moved = sum(1 for u in r1.values() if u == "isp1")
    assert (r.stats["flows_new"], r.stats["flows_moved"],
            r.stats["flows_stateless"]) == (220, moved, 0), r.stats


# == 9: flow table full ======================================================

N_FULL = 3000


@pytest.fixture(scope="module")
def full(request):
    from neptune_dp import Dataplane
    dp = Dataplane(inputs={"lan0": [balanced(30000 + i, b"full")
                                    for i in range(N_FULL)]},
                   extra_ports=EXTRA_PORTS,
                   extra_cfg=steering_cfg(flow_table_size=1024))
    request.addfinalizer(dp.cleanup)
    dp.start()
    dp.wait_idle(timeout=20)
    info = {"total": dp.json("show flows limit 1")["total"]}
    r = dp.stop()
    r.info = info
    return r


def test_table_full_forwards_everything(full):
    per_port = {p: len(full.outputs[p]) for p in WANS}
    assert per_port["wan3"] == 0 and \
        per_port["wan1"] + per_port["wan2"] == N_FULL, per_port
    # Stateless flows are hashed over the pool too, not sent one way.
    assert per_port["wan1"] > 0 and per_port["wan2"] > 0, per_port
    for port in ("wan1", "wan2"):
        srcs = {frame_info(f)[0] for f in full.outputs[port]}
        assert srcs == {XLAT[UPLINK_OF[port]]}, (port, srcs)
    assert full.nonzero_drops() == {}, full.nonzero_drops()
    assert full.info["total"] == 1024, full.info


def test_table_full_counts_stateless(full):
    """docs/multihoming.md: flows that find the table full are forwarded
    and counted (`show stats`: flows_stateless, packets of new flows
    forwarded without an entry)."""
    st = full.stats
    assert "flows_stateless" in st, \
        f"no flows_stateless in show stats --json: {st}"
    assert (st["flows_new"], st["flows_stateless"]) == \
        (full.info["total"], N_FULL - full.info["total"]), st


def test_tables_line_up(dataplane):
    """`show uplinks` and `show flows` text: every value starts under its
    column's header (LOSS too), AGE and IDLE carry their unit."""
    flows = [fast_udp6(HOST_MAC, LAN0_MAC, HOST6, BALANCED_DST, 5555 + i,
                       80, b"x") for i in range(3)]
    dp = make(dataplane, inputs={"lan0": flows}).start()
    dp.wait_idle()
    ok, up = dp.mgmt.cmd("show uplinks")
    ok2, fl = dp.mgmt.cmd("show flows")
    dp.stop()
    assert ok and ok2
    for text, cols in ((up, ("STATE", "RTT", "LOSS", "FLOWS")),
                       (fl, ("UPLINK", "AGE", "IDLE", "PKTS"))):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        head = lines[0]
        rows = [ln for ln in lines[1:]
                if not ln.startswith("pool:") and " of " not in ln]
        for ln in rows:
            for c in cols:
                at = head.index(c)
                assert ln[at] != " " and (at == 0 or ln[at - 1] == " "), \
                    (c, head, ln)
    rows = [ln.split() for ln in fl.splitlines()[1:] if ln.strip() and
            " of " not in ln]
    assert len(rows) == 3, fl
    for w in rows:
        assert w[6].endswith("s") and w[7].endswith("s"), w
