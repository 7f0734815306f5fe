#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""`reload` through the whole data plane (docs/cli.md "reload",
docs/architecture.md "Reload").

The multihoming topology of test_dp_steering.py (lan0, wan1..wan3 on pcap
ports; isp1 on wan1 weight 7, isp2 on wan2 weight 3, isp3 on wan3 backup;
health checks off), with lan0 fed through a FIFO so that packets can be
sent between reloads.

test_reload_refuses_restart_keys
    The configuration file is rewritten with one key that needs a restart
    changed at a time -- ports[1].mac, ports[1].mtu, eal.lcores,
    ports[0].devargs -- together with an uplink weight and a route that a
    reload could apply. Each `reload` must fail with
    `error: FILE:LINE:COLUMN: KEY: ...`, the position being where the new
    file sets that key (computed from the JSON text written), and nothing of
    the new file may be applied: `show ports` keeps the old MAC and MTU,
    `show uplinks` the old weight, `show routes` the old routes, `show
    stats` the old generation, and a 1450-byte packet to srv1 still leaves
    wan1 with wan1's MAC (no Packet Too Big for the refused 1400 MTU).
    Then a reload that changes only the routes, and one that changes only
    the uplink weights, succeed (generation + 1 each) and take effect.

test_reload_restores_weight_keeps_admin
    `set uplink isp1 weight 5` / `weight 0`, then `reload` with the file
    unchanged: the configured weight 7 is back (and with weight 0 isp1 is
    back in the pool). `set uplink isp2 admin down`, `reload`: isp2 stays
    admin down and out of the pool, no event is added, and new flows all
    take isp1; after `admin up` new flows use isp2 again.
"""
import copy
import json
import re

from dp_packets import IPv6, Raw, UDP, from_host, routed, udp6
from neptune_dp import GW_MAC, WAN1_MAC, assert_frames
from scapy.layers.l2 import Ether
from test_dp_steering import (EXCLUDED_WAN_DST, EXTRA_PORTS, GW2_6, GW2_MAC,
                              KICK, SRV, WAN2_MAC, balanced, frame_info,
                              kicked, snpt_frame, steering_cfg, uplinks)

EXCLUDED_PREFIX = "2001:db8:404:1::/64"


def make(dataplane):
    return dataplane(inputs={}, extra_ports=EXTRA_PORTS,
                     extra_cfg=steering_cfg(burst=1),
                     fifo_ports=["lan0"])


def text_pos(text, needle, offset=0):
    """1-based (line, column) of the single occurrence of needle in text,
    plus offset characters (to point past a key at its value)."""
    assert text.count(needle) == 1, \
        f"{needle!r} occurs {text.count(needle)} times in the config"
    i = text.index(needle) + offset
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


def port_view(dp):
    return {p["name"]: p for p in dp.json("show ports")["ports"]}


def route_prefixes(dp):
    return {(r["prefix"], r["type"], r["port"], r["via"])
            for r in dp.json("show routes")["routes"]}


def big_to_srv1(sport):
    """A 1450-byte IPv6 packet (strict srv1 -> isp1, wan1): fits 1500, not
    the refused 1400."""
    l3 = IPv6(src="fd42:100:1::10", dst=SRV["isp1"], hlim=64) / \
        UDP(sport=sport, dport=5001)
    return l3 / Raw(b"m" * (1450 - len(l3)))


# == B ========================================================================

def _refused_changes(cfg, tmp):
    """(key, change(cfg), needle, offset into needle of the value)."""
    def mac(c):
        c["ports"][1]["mac"] = "02:00:00:00:00:99"

    def mtu(c):
        c["ports"][1]["mtu"] = 1400

    def lcores(c):
        c["eal"]["lcores"] = "0-2"

    new_devargs = (f"net_pcap0,rx_pcap={tmp}/in0.pcap,"
                   f"tx_pcap={tmp}/out0-reloaded.pcap")

    def devargs(c):
        c["ports"][0]["devargs"] = new_devargs

    return [
        ("ports[1].mac", mac, '"02:00:00:00:00:99"', 0),
        ("ports[1].mtu", mtu, '"mtu": 1400', len('"mtu": ')),
        ("eal.lcores", lcores, '"lcores": "0-2"', len('"lcores": ')),
        ("ports[0].devargs", devargs, json.dumps(new_devargs), 0),
    ]


def test_reload_refuses_restart_keys(dataplane):
    dp = make(dataplane).start()
    base = copy.deepcopy(dp.cfg)
    gen0 = dp.stats()["generation"]
    ports0 = port_view(dp)
    routes0 = route_prefixes(dp)
    assert (ports0["wan1"]["mac"], ports0["wan1"]["mtu"]) == (WAN1_MAC, 1500)
    sent_srv1 = []          # l3 packets to srv1, in order
    sport = 41000
    for key, change, needle, off in _refused_changes(base, dp.tmp):
        cfg = copy.deepcopy(base)
        change(cfg)
        # Things a reload could apply, in the same file: none of it may be.
        cfg["uplinks"][0]["weight"] = 1
        cfg["routes"].append({"prefix": EXCLUDED_PREFIX, "via": GW2_6})
        dp.write_config(cfg)
        text = dp.cfg_path.read_text()
        line, col = text_pos(text, needle, off)
        ok, out = dp.cmd_kicked("reload", "lan0", [KICK])
        assert not ok, f"reload with {key} changed was accepted: {out}"
        want = re.compile(rf"error: {re.escape(str(dp.cfg_path))}:{line}:"
                          rf"{col}: {re.escape(key)}: \S.*\n\Z")
        assert want.match(out), \
            f"reload with {key} changed: {out!r}, want 'error: " \
            f"{dp.cfg_path}:{line}:{col}: {key}: ...'"
        # The running configuration is kept, all of it.
        st = dp.stats()
        assert st["generation"] == gen0, (key, st)
        ports = port_view(dp)
        for p in ("lan0", "wan1", "wan2", "wan3"):
            assert (ports[p]["mac"], ports[p]["mtu"], ports[p]["devargs"]) \
                == (ports0[p]["mac"], ports0[p]["mtu"],
                    ports0[p]["devargs"]), (key, p, ports[p])
        up = uplinks(dp)
        assert (up["isp1"]["weight"], up["isp2"]["weight"]) == (7, 3), \
            (key, up["isp1"], up["isp2"])
        assert route_prefixes(dp) == routes0, (key, route_prefixes(dp))
        # Forwarding still works, with the old MAC and MTU.
        l3 = big_to_srv1(sport)
        sport += 1
        sent_srv1.append(l3)
        dp.feed("lan0", [from_host() / l3])
        dp.wait_idle()
        out1 = dp.json(f"show flows dst {SRV['isp1']} port {l3[UDP].sport}")
        assert [f["uplink"] for f in out1["flows"]] == ["isp1"], (key, out1)

    # An excluded destination is routed by the routing table: wan1 now.
    excl1 = udp6(dst=EXCLUDED_WAN_DST, sport=41100, data=b"before reload")
    dp.feed("lan0", [from_host() / excl1])
    dp.wait_idle()

    # Routes only: accepted, applied.
    cfg = copy.deepcopy(base)
    cfg["routes"].append({"prefix": EXCLUDED_PREFIX, "via": GW2_6})
    dp.write_config(cfg)
    ok, out = dp.cmd_kicked("reload --json", "lan0", [KICK])
    assert ok, f"reload of the routes only refused: {out}"
    assert json.loads(out) == {"ok": True, "generation": gen0 + 1}, out
    assert dp.stats()["generation"] == gen0 + 1
    assert (EXCLUDED_PREFIX, "static", "wan2", GW2_6) in route_prefixes(dp), \
        route_prefixes(dp)
    excl2 = udp6(dst=EXCLUDED_WAN_DST, sport=41101, data=b"after reload")
    dp.feed("lan0", [from_host() / excl2])
    dp.wait_idle()

    # Uplink weights only: accepted, applied.
    cfg = copy.deepcopy(cfg)
    cfg["uplinks"][0]["weight"] = 2
    cfg["uplinks"][1]["weight"] = 8
    dp.write_config(cfg)
    ok, out = dp.cmd_kicked("reload --json", "lan0", [KICK])
    assert ok, f"reload of the uplink weights only refused: {out}"
    assert json.loads(out) == {"ok": True, "generation": gen0 + 2}, out
    up = uplinks(dp)
    assert (up["isp1"]["weight"], up["isp2"]["weight"]) == (2, 8), up
    assert dp.stats()["generation"] == gen0 + 2
    ports = port_view(dp)
    assert {p: (ports[p]["mac"], ports[p]["mtu"]) for p in ports} == \
        {p: (ports0[p]["mac"], ports0[p]["mtu"]) for p in ports0}, ports

    # And forwarding after the accepted reloads too.
    last = big_to_srv1(sport)
    sent_srv1.append(last)
    dp.feed("lan0", [from_host() / last])
    dp.close_feed("lan0")
    dp.wait_idle()
    r = dp.stop()

    assert_frames([f for f in r.outputs["wan1"] if f[20] == 17 and
                   f[38:54] != bytes(excl1)[24:40]],
                  [snpt_frame(p, "isp1") for p in sent_srv1],
                  "wan1: the 1450-byte packets to srv1 (old MAC, old MTU)")
    assert_frames([f for f in r.outputs["wan1"]
                   if f[38:54] == bytes(excl1)[24:40]],
                  [routed(Ether(src=WAN1_MAC, dst=GW_MAC), excl1)],
                  "wan1: the excluded destination before the route reload")
    assert_frames(r.outputs["wan2"],
                  [routed(Ether(src=WAN2_MAC, dst=GW2_MAC), excl2)],
                  "wan2: the excluded destination after the route reload")
    assert r.outputs["lan0"] == [], \
        f"{len(r.outputs['lan0'])} frames back to the LAN (Packet Too Big?)"
    assert r.outputs["wan3"] == []
    assert r.nonzero_drops() == {"l2_not_for_us": dp.kicks}, r.nonzero_drops()


# == C ========================================================================

def test_reload_restores_weight_keeps_admin(dataplane):
    dp = make(dataplane).start()
    up = uplinks(dp)
    assert (up["isp1"]["weight"], up["isp2"]["weight"]) == (7, 3), up
    gen0 = dp.stats()["generation"]

    # A runtime weight does not survive a reload of the unchanged file.
    kicked(dp, "set uplink isp1 weight 5")
    assert uplinks(dp)["isp1"]["weight"] == 5
    out = json.loads(kicked(dp, "reload --json"))
    assert out == {"ok": True, "generation": gen0 + 1}, out
    assert uplinks(dp)["isp1"]["weight"] == 7, \
        "reload kept the runtime weight 5 (docs/cli.md: reload restores " \
        "the configured weight)"

    kicked(dp, "set uplink isp1 weight 0")
    assert dp.json("show uplinks")["pool"] == ["isp2"]
    kicked(dp, "reload")
    u = dp.json("show uplinks")
    assert {x["name"]: x["weight"] for x in u["uplinks"]}["isp1"] == 7, u
    assert u["pool"] == ["isp1", "isp2"], u

    # Admin state is the operator's: it survives a reload.
    kicked(dp, "set uplink isp2 admin down")
    ev0 = dp.json("show events")["events"]
    assert ev0 and (ev0[-1]["uplink"], ev0[-1]["to"]) == ("isp2", "down"), ev0
    kicked(dp, "reload")
    u = dp.json("show uplinks")
    isp2 = {x["name"]: x for x in u["uplinks"]}["isp2"]
    assert (isp2["admin"], isp2["state"], isp2["weight"]) == \
        ("down", "down", 3), isp2
    assert u["pool"] == ["isp1"], u
    assert dp.json("show events")["events"] == ev0, \
        "reload changed the event log of an admin-down uplink"
    down_flows = range(42000, 42040)
    dp.feed("lan0", [balanced(s, b"admin-down") for s in down_flows])
    dp.wait_idle()

    kicked(dp, "set uplink isp2 admin up")
    u = dp.json("show uplinks")
    assert u["pool"] == ["isp1", "isp2"], u
    up_flows = range(42100, 42140)
    dp.feed("lan0", [balanced(s, b"admin-up") for s in up_flows])
    dp.close_feed("lan0")
    dp.wait_idle()
    r = dp.stop()

    got = {}
    for port, uplink in (("wan1", "isp1"), ("wan2", "isp2"), ("wan3", "isp3")):
        for f in r.outputs[port]:
            _, sport, data = frame_info(f)
            got.setdefault(data.rsplit(b"-", 1)[0], {})[sport] = uplink
    down = got.get(b"admin-down", {})
    assert sorted(down) == list(down_flows) and \
        set(down.values()) == {"isp1"}, \
        f"new flows while isp2 is admin down (after a reload): {down}"
    upf = got.get(b"admin-up", {})
    assert sorted(upf) == list(up_flows), upf
    assert "isp2" in upf.values(), \
        f"no new flow on isp2 after admin up: {upf}"
    assert r.nonzero_drops() == {"l2_not_for_us": dp.kicks}, r.nonzero_drops()


def test_moved_flow_takes_the_policies_of_now(dataplane):
    """A flow began under policy 3 (to-srv3, strict isp3); a reload leaves
    one policy; then isp3 goes admin down. The flow's stored policy index
    names nothing any more: its move must classify it again by the
    policies of now (none matches srv3: balanced over isp1/isp2), not read
    the old index in the new, shorter policy table."""
    dp = make(dataplane).start()
    srv3 = SRV["isp3"]

    def pkt(tag):
        return fast_udp6_pkt(srv3, 43000, tag)

    dp.feed("lan0", [pkt(b"before")])
    dp.wait_idle()
    flows = dp.json("show flows")["flows"]
    mine = [f for f in flows if f["dst"] == srv3 and f["sport"] == 43000]
    assert len(mine) == 1 and mine[0]["uplink"] == "isp3" and \
        mine[0]["policy"] == "to-srv3", mine
    cfg = copy.deepcopy(dp.cfg)
    cfg["steering"]["policies"] = cfg["steering"]["policies"][:1]
    dp.write_config(cfg)
    kicked(dp, "reload")
    assert [p["name"] for p in dp.json("show policies")["policies"]] == \
        ["to-srv1"]
    kicked(dp, "set uplink isp3 admin down")
    dp.feed("lan0", [pkt(b"after")])
    dp.close_feed("lan0")
    dp.wait_idle()
    flows = dp.json("show flows")["flows"]
    mine = [f for f in flows if f["dst"] == srv3 and f["sport"] == 43000]
    r = dp.stop()
    assert len(mine) == 1 and mine[0]["uplink"] in ("isp1", "isp2") and \
        mine[0]["policy"] is None, mine
    left = {}
    for port in ("wan1", "wan2", "wan3"):
        for f in r.outputs[port]:
            left.setdefault(f[62:].rsplit(b"-", 1)[0], []).append(port)
    assert left.get(b"before") == ["wan3"], left
    assert left.get(b"after") == [{"isp1": "wan1",
                                   "isp2": "wan2"}[mine[0]["uplink"]]], left
    assert r.nonzero_drops() == {"l2_not_for_us": dp.kicks}, r.nonzero_drops()


def fast_udp6_pkt(dst, sport, tag):
    from neptune_dp import HOST6, HOST_MAC, LAN0_MAC
    from dp_packets import fast_udp6
    return fast_udp6(HOST_MAC, LAN0_MAC, HOST6, dst, sport, 5001,
                     b"%s-%05d" % (tag, sport))
