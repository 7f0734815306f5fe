#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ILNP through the whole data plane (issue 14, docs/ilnp.md).

No ILNP stack is packaged here, so the packets are built with scapy: an
IPv6 Destination Options header with the Nonce option (type 0x8B, RFC
6744, 4- and 12-byte nonces) before UDP or ICMPv6, and Locator Updates
(ICMPv6 type 156, RFC 6743: Num of Locs, Operation, entries of Locator,
Preference, Lifetime) whose checksum this file computes itself over the
NID-only pseudo-header (the locators zeroed, as the ILNP Linux code does).

  - aware mode, delegated prefixes /48, /56 and /64: an ILNP packet leaves
    with its source locator the uplink's and every other byte as sent (NID,
    nonce, UDP checksum), and comes back with the inside locator; a plain
    IPv6 packet of the same host gets RFC 6296 NPTv6 (for /64 the NID
    changes, the checksum stays valid over the new addresses);
  - transparent mode: the ILNP packet is translated like the plain one;
  - Locator Updates: the host's inside locator becomes the outside locators
    of isp1 (weight 7, preference as sent) and isp2 (weight 3, preference
    + 1), the checksum right; the correspondent's LU-ACK echoing both comes
    back with the inside locator once; a bad checksum is dropped
    (ilnp_lu_bad_checksum); an LU with a plain IPv6 checksum is rewritten
    with a plain IPv6 checksum;
  - per-packet multipath (policy `spread`, multipath drr): 10 000 ILNP
    packets of random sizes split 7:3 by bytes over isp1/isp2 within 2 %,
    while a plain IPv6 flow to the same destination keeps one uplink.
"""
import ipaddress
import random
import struct
import sys
import time
from pathlib import Path

import pytest

from dp_packets import UDP, Raw
from neptune_dp import (GW6, GW_MAC, HOST6, HOST_MAC, LAN0_MAC, WAN1_MAC,
                        assert_frames)
from scapy.layers.inet6 import (HBHOptUnknown, ICMPv6ParamProblem, IPv6,
                                IPv6ExtHdrDestOpt)
from scapy.layers.inet6 import in6_chksum
from scapy.layers.l2 import Ether
from test_dp_steering import (BALANCED_DST, EXTRA_PORTS, GW2_MAC,
                              steering_cfg)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from ilnp_codec import nid_cksum  # noqa: E402

REMOTE = "2001:db8:99::1"
NONCE4 = bytes.fromhex("a1b2c3d4")
NONCE12 = bytes.fromhex("0102030405060708090a0b0c")


def nonce_hdr(nonce, nh=None):
    h = IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x8B,
                                                 optdata=nonce)])
    if nh is not None:
        h.nh = nh
    return h


def ilnp_udp(src, dst, sport, dport, data, nonce=NONCE4, hlim=64):
    return bytes(IPv6(src=src, dst=dst, hlim=hlim) / nonce_hdr(nonce) /
                 UDP(sport=sport, dport=dport) / Raw(data))


def plain_udp(src, dst, sport, dport, data, hlim=64):
    return bytes(IPv6(src=src, dst=dst, hlim=hlim) /
                 UDP(sport=sport, dport=dport) / Raw(data))


def eth(src, dst, l3):
    return bytes(Ether(src=src, dst=dst, type=0x86DD)) + bytes(l3)


def aged(l3, src=None, dst=None):
    """l3 with the hop limit one lower and, when given, the first 8 bytes
    (the locator) of its source or destination replaced; nothing else."""
    b = bytearray(l3)
    b[7] -= 1
    if src is not None:
        b[8:16] = ipaddress.IPv6Address(src).packed[:8]
    if dst is not None:
        b[24:32] = ipaddress.IPv6Address(dst).packed[:8]
    return bytes(b)


def lu_msg(src, dst, entries, op=1, code=0, ck="nid"):
    """An LU: entries [(locator as an address string's first 64 bits,
    preference, lifetime)]."""
    body = struct.pack("!BBHBBH", 156, code, 0, len(entries), op, 0)
    for loc, pref, life in entries:
        body += ipaddress.IPv6Address(loc).packed[:8] + \
            struct.pack("!HH", pref, life)
    if ck == "nid":
        c = nid_cksum(src, dst, body)
    else:
        c = in6_chksum(58, IPv6(src=src, dst=dst), body)
        if ck == "bad":
            c ^= 0x5555
    return body[:2] + struct.pack("!H", c) + body[4:]


def ilnp_lu(src, dst, entries, op=1, ck="nid", hlim=64):
    msg = lu_msg(src, dst, entries, op=op, ck=ck)
    return bytes(IPv6(src=src, dst=dst, hlim=hlim) / nonce_hdr(NONCE4, 58) /
                 Raw(msg))


# -- aware and transparent, three prefix lengths ----------------------------

# (inside prefix, delegated prefix, the LAN host, its ILNP address outside)
# (the LAN is fd42:100:1::/64, subnet word 0 under /48 and /56)
PREFIXES = {
    48: ("fd42:100:1::/48", "2001:db8:1100::/48", "fd42:100:1::10",
         "2001:db8:1100::10"),
    56: ("fd42:100:1::/56", "2001:db8:1100:aa00::/56", "fd42:100:1::10",
         "2001:db8:1100:aa00::10"),
    64: ("fd42:100:1::/64", "2001:db8:1100:1::/64", "fd42:100:1::10",
         "2001:db8:1100:1::10"),
}


def one_uplink_cfg(inside, delegated, mode=None):
    cfg = {"uplinks": [{"name": "isp1", "port": "wan1", "next_hop": GW6,
                        "delegated_prefix": delegated,
                        "health": {"enabled": False}}],
           "steering": {"inside_prefixes": [inside],
                        "flow_table_size": 65536}}
    if mode is not None:
        cfg["ilnp"] = {"mode": mode}
    return cfg


@pytest.mark.parametrize("plen", [48, 56, 64])
def test_aware_rewrites_the_locator_alone(run_dataplane, plen):
    inside, delegated, host, outside = PREFIXES[plen]
    out_ilnp = ilnp_udp(host, REMOTE, 40000, 53, b"ilnp query")
    out_ilnp12 = ilnp_udp(host, REMOTE, 40001, 53, b"long nonce",
                          nonce=NONCE12)
    out_plain = plain_udp(host, REMOTE, 40002, 53, b"plain query")
    back = ilnp_udp(REMOTE, outside, 53, 40000, b"ilnp answer", hlim=50)
    # what a correspondent without ILNP answers (the Linux kernel: the
    # option type's top bits 10 ask for it): Parameter Problem, code 2,
    # pointer at the option, quoting the packet as it left
    err = bytes(IPv6(src=REMOTE, dst=outside, hlim=50) /
                ICMPv6ParamProblem(code=2, ptr=42) /
                Raw(aged(out_ilnp, src=outside)))
    r = run_dataplane(
        inputs={"lan0": [eth(HOST_MAC, LAN0_MAC, p)
                         for p in (out_ilnp, out_ilnp12, out_plain)],
                "wan1": [eth(GW_MAC, WAN1_MAC, p) for p in (back, err)]},
        extra_cfg=one_uplink_cfg(inside, delegated))
    wan = r.outputs["wan1"]
    assert len(wan) == 3, [Ether(f).summary() for f in wan]
    # the ILNP packets: the locator, the hop limit, nothing else
    assert_frames(wan[:2], [eth(WAN1_MAC, GW_MAC, aged(p, src=outside))
                            for p in (out_ilnp, out_ilnp12)], "wan1 ILNP")
    # the plain one: RFC 6296 (checksum-neutral, so its UDP checksum is
    # still right over the new source)
    p = IPv6(wan[2][14:])
    assert ipaddress.IPv6Address(p.src).packed[:6] == \
        ipaddress.IPv6Address(outside).packed[:6]
    ck = p[UDP].chksum
    del p[UDP].chksum
    assert IPv6(bytes(p))[UDP].chksum == ck
    if plen == 64:
        # the adjustment word lies in the NID: what aware mode avoids
        assert p.src != outside, p.src
    # the error reaches the host about its own packet (the quote's
    # source locator back, the nonce as sent), its checksum scapy's
    err_in = IPv6(src=REMOTE, dst=host, hlim=49) / \
        ICMPv6ParamProblem(code=2, ptr=42) / Raw(aged(out_ilnp))
    assert_frames(r.outputs["lan0"],
                  [eth(LAN0_MAC, HOST_MAC, aged(back, dst=host)),
                   eth(LAN0_MAC, HOST_MAC, bytes(err_in))], "lan0")
    assert r.nonzero_drops() == {}, r.nonzero_drops()


def test_transparent_mode_is_plain_nptv6(run_dataplane):
    """ilnp.mode transparent: the ILNP packet gets exactly the plain one's
    translation (RFC 6296, the NID word adjusted for /64)."""
    inside, delegated, host, outside = PREFIXES[64]
    a = ilnp_udp(host, REMOTE, 40000, 53, b"x")
    b = plain_udp(host, REMOTE, 40001, 53, b"x")
    r = run_dataplane(inputs={"lan0": [eth(HOST_MAC, LAN0_MAC, p)
                                       for p in (a, b)]},
                      extra_cfg=one_uplink_cfg(inside, delegated,
                                               "transparent"))
    wan = r.outputs["wan1"]
    assert len(wan) == 2
    assert IPv6(wan[0][14:]).src == IPv6(wan[1][14:]).src != outside


# -- Locator Updates --------------------------------------------------------

HOST_LOC = "fd42:100:1::"
ISP1_LOC, ISP2_LOC = "2001:db8:1100:1::", "2001:db8:2200:1::"
OUT_OF = {"wan1": "2001:db8:1100:1::10", "wan2": "2001:db8:2200:1::10"}
GW_OF = {"wan1": GW_MAC, "wan2": GW2_MAC}


def two_uplinks(extra=None):
    cfg = steering_cfg()
    if extra:
        cfg.update(extra)
    return cfg


def test_locator_updates(dataplane):
    """The host's LU leaves listing isp1's and isp2's locators (weights 7
    and 3: preference 10 and 11), its checksum ILNP's; the LU-ACK echoing
    them comes back listing the inside locator once; a bad checksum is
    dropped; a plain-IPv6-checksum LU is rewritten with a plain one."""
    lu = ilnp_lu(HOST6, REMOTE, [(HOST_LOC, 10, 30)])
    lu_ipv6 = ilnp_lu(HOST6, REMOTE, [(HOST_LOC, 5, 60)], ck="ipv6")
    lu_bad = ilnp_lu(HOST6, REMOTE, [(HOST_LOC, 10, 30)], ck="bad")
    dp = dataplane(inputs={"lan0": [eth(HOST_MAC, LAN0_MAC, p)
                                    for p in (lu, lu_ipv6, lu_bad)]},
                   extra_ports=EXTRA_PORTS, extra_cfg=two_uplinks(),
                   fifo_ports=["wan1", "wan2"]).start()
    dp.wait_idle(rx=3)
    st = dp.json("show ilnp")
    assert (st["lu_out"], st["lu_rewritten_out"]) == (3, 2), st
    r0 = dp.stop()
    outs = [(p, f) for p in ("wan1", "wan2") for f in r0.outputs[p]]
    assert len(outs) == 2, outs
    assert r0.nonzero_drops() == {"ilnp_lu_bad_checksum": 1}, \
        r0.nonzero_drops()
    want_entries = [(ISP1_LOC, 10, 30), (ISP2_LOC, 11, 30)]
    for (port, f), (orig, entries, ck) in zip(
            sorted(outs, key=lambda x: IPv6(x[1][14:]).plen),
            [(lu, want_entries, "nid"),
             (lu_ipv6, [(ISP1_LOC, 5, 60), (ISP2_LOC, 6, 60)], "ipv6")]):
        src = OUT_OF[port]
        want = IPv6(src=src, dst=REMOTE, hlim=63) / nonce_hdr(NONCE4, 58) / \
            Raw(lu_msg(src, REMOTE, entries, ck=ck))
        assert f == eth(WAN1_MAC if port == "wan1" else
                        EXTRA_PORTS[0]["mac"], GW_OF[port], bytes(want)), \
            (port, IPv6(f[14:]).show(dump=True))


def test_locator_update_ack_inbound(dataplane):
    """An LU-ACK to the host's isp1 address echoing isp1's and isp2's
    locators reaches the host with its inside locator once (checksum
    ILNP's, over the inside address)."""
    ack = ilnp_lu(REMOTE, OUT_OF["wan1"], [(ISP1_LOC, 10, 30),
                                           (ISP2_LOC, 11, 30)], op=2,
                  hlim=50)
    r = dataplane(inputs={"wan1": [eth(GW_MAC, WAN1_MAC, ack)]},
                  extra_ports=EXTRA_PORTS, extra_cfg=two_uplinks()).run()
    want = IPv6(src=REMOTE, dst=HOST6, hlim=49) / nonce_hdr(NONCE4, 58) / \
        Raw(lu_msg(REMOTE, HOST6, [(HOST_LOC, 10, 30)], op=2))
    assert_frames(r.outputs["lan0"], [eth(LAN0_MAC, HOST_MAC, bytes(want))],
                  "lan0")
    assert r.nonzero_drops() == {}, r.nonzero_drops()


# -- per-packet multipath ---------------------------------------------------

def test_drr_splits_bytes_by_weight(dataplane):
    """10 000 ILNP packets of one flow (random sizes) under the policy
    `spread` (multipath drr): bytes over isp1/isp2 7:3 within 2 %; a plain
    IPv6 flow to the same destination stays on one uplink; show ilnp
    counts the multipath packets per uplink."""
    cfg = two_uplinks()
    cfg["steering"]["policies"].append(
        {"name": "spread", "destination": "2001:db8:998:1::/64",
         "mode": "balanced"})
    cfg["ilnp"] = {"policies": [{"policy": "spread", "multipath": "drr"}]}
    rnd = random.Random(14)
    frames, sent = [], 0
    for i in range(10000):
        data = bytes(rnd.randrange(1, 1400))
        p = ilnp_udp(HOST6, BALANCED_DST, 41000, 9000, data)
        sent += len(p)
        frames.append(eth(HOST_MAC, LAN0_MAC, p))
    plain = [eth(HOST_MAC, LAN0_MAC, plain_udp(HOST6, BALANCED_DST, 41001,
                                               9000, b"p%d" % i))
             for i in range(50)]
    r = dataplane(inputs={"lan0": frames + plain}, extra_ports=EXTRA_PORTS,
                  extra_cfg=cfg).run(timeout=30)
    by = {}
    for port in ("wan1", "wan2"):
        ilnp = [f for f in r.outputs[port] if IPv6(f[14:]).nh == 60]
        by[port] = sum(len(f) - 14 for f in ilnp)
        # every packet: its uplink's locator, the rest as sent
        for f in ilnp[:20]:
            assert IPv6(f[14:]).src == OUT_OF[port], IPv6(f[14:]).src
    share1 = by["wan1"] / (by["wan1"] + by["wan2"])
    assert abs(share1 - 0.7) < 0.7 * 0.02, by
    assert by["wan1"] + by["wan2"] == sent
    plain_ports = {p for p in ("wan1", "wan2") for f in r.outputs[p]
                   if IPv6(f[14:]).nh == 17}
    assert len(plain_ports) == 1, plain_ports
    assert r.nonzero_drops() == {}, r.nonzero_drops()


def test_trace_shows_the_locator_rewrite(dataplane):
    """`trace add`: an ILNP packet's trace has ILNP's record with both
    locators (and the nonce's size) after multihoming's steering."""
    from test_dp_nat44 import Lockstep
    inside, delegated, host, outside = PREFIXES[64]
    cfg = one_uplink_cfg(inside, delegated)
    cfg["dataplane"] = {"burst": 1}
    dp = dataplane(extra_cfg=cfg, fifo_ports=["lan0", "wan1"]).start()
    ls = Lockstep(dp)
    assert ls.command("trace add 1")[0]
    ls.lan(eth(HOST_MAC, LAN0_MAC, ilnp_udp(host, REMOTE, 40000, 53,
                                            b"traced", nonce=NONCE12)))
    dp.wait_idle()
    ok, text = dp.mgmt.cmd("show trace")
    dp.stop()
    assert ok, text
    assert "egress   multihoming  new flow" in text, text
    assert "ilnp         locator out fd42:0100:0001:0000 -> " \
        "2001:0db8:1100:0001 (NID and checksums untouched), nonce 12 " \
        "bytes" in text, text


# -- LUs on the host's behalf -----------------------------------------------

def test_lu_on_the_hosts_behalf(dataplane):
    """The host talks ILNP to a correspondent over the balanced pool (isp1
    weight 7, isp2 weight 3): `show ilnp peers` lists the pair with both
    uplinks. isp2 taken down: neptune sends the correspondent an LU from
    the host's NID with its nonce, listing isp1's locator alone, on isp1,
    every second until the LU-ACK arrives (then no more)."""
    from test_dp_nat44 import Lockstep
    cfg = two_uplinks()
    cfg["dataplane"] = {"burst": 1}
    dp = dataplane(extra_ports=EXTRA_PORTS, extra_cfg=cfg,
                   fifo_ports=["lan0", "wan1"]).start()
    ls = Lockstep(dp)
    ls.lan(eth(HOST_MAC, LAN0_MAC, ilnp_udp(HOST6, BALANCED_DST, 42000, 7,
                                            b"hello", nonce=NONCE12)))
    dp.wait_for("the peer", lambda: dp.json("show ilnp peers")["peers"])
    peers = dp.json("show ilnp peers")["peers"]
    assert [(p["host"], p["correspondent"], p["nonce_bytes"], p["uplinks"],
             p["lu"]) for p in peers] == \
        [(HOST6, BALANCED_DST, 12, ["isp1", "isp2"], "idle")], peers
    assert ls.command("set uplink isp2 admin down")[0]
    dp.wait_for("an LU sent", lambda: dp.json("show ilnp peers")
                ["peers"][0]["lu_sent"] >= 1)
    p = dp.json("show ilnp peers")["peers"][0]
    assert (p["uplinks"], p["lu"]) == (["isp1"], "sending"), p
    # the correspondent acknowledges, to the host's isp1 address
    ack = ilnp_lu(BALANCED_DST, OUT_OF["wan1"], [(ISP1_LOC, 10, 30)], op=2,
                  hlim=50)
    ls.wan(eth(GW_MAC, WAN1_MAC, ack))
    dp.wait_for("the ack", lambda: dp.json("show ilnp peers")
                ["peers"][0]["lu"] == "acked")
    sent = dp.json("show ilnp peers")["peers"][0]["lu_sent"]
    time.sleep(1.5)
    assert dp.json("show ilnp peers")["peers"][0]["lu_sent"] == sent
    r = dp.stop()
    lus = [f for f in r.outputs["wan1"] if IPv6(f[14:]).nh == 60 and
           f[14 + 40 + 16] == 156]
    assert len(lus) == sent and 1 <= sent <= 3, [Ether(f).summary()
                                                 for f in r.outputs["wan1"]]
    # from the host's NID on isp1, its nonce, isp1's locator (preference
    # 10, 30 s), ILNP's checksum
    src = OUT_OF["wan1"]
    want = IPv6(src=src, dst=BALANCED_DST, hlim=64) / \
        nonce_hdr(NONCE12, 58) / \
        Raw(lu_msg(src, BALANCED_DST, [(ISP1_LOC, 10, 30)]))
    assert lus[0][14:] == bytes(want), \
        (IPv6(lus[0][14:]).show(dump=True), IPv6(bytes(want)).show(dump=True))
    assert r.outputs["wan2"] == [] or all(
        IPv6(f[14:]).nh != 60 for f in r.outputs["wan2"][1:])
