#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""NAT44 (issue 13, docs/nat44.md) through the whole data plane.

Topology: the standard lan0/wan1 pair (neptune_dp.py), one uplink isp1 on
wan1 (next hops the gateway, health off), `steering.inside_prefixes`
with 192.0.2.0/24 (that makes multihoming steer IPv4 and call NAT44's
translator). Public address 198.51.100.18 (WAN4); in the forwards run
also 198.51.100.19, the 1:1 mapping of 192.0.2.30 (ONE). LAN hosts:
HOST4 192.0.2.10, HOST2 192.0.2.11, SERVER 192.0.2.20 (port forwards
tcp 8080 -> 80 and udp 5060). Remotes: REMOTE4 203.0.113.10, REMOTE_B
.11, REMOTE_C .99 (never contacted), ROUTER .1 (reports errors).

Every expected frame is built with scapy from the rules (RFC 4787, RFC
5382, RFC 5508: addresses and ports / identifiers rewritten, every
checksum a full recomputation by scapy, TTL one lower, every other byte
as sent) and compared byte for byte; each run's whole drops dict is
asserted. Ports neptune chooses (parity, low ports) are read from `show
nat44 sessions --json`, checked against the rules, then used in the
expected frames.

Runs (about 15 s in all):
  - main (lock step: both inputs FIFOs, burst 1, each frame fed with a
    kick on the other port so it is handled before the next one): TCP SYN
    with options, SYN-ACK, ACK, FINs; UDP (port preserved; a second remote
    on the same mapping, EIM; a zero checksum both ways; checksums that
    compute to zero once translated, sent 0xffff; a source port below
    1024; a second host on the same port: another of the same parity);
    ICMP echo by identifier; fragments both ways, later fragments without
    their first; ICMP errors both ways (Destination Unreachable, Time
    Exceeded; quoting UDP, TCP cut at 8 bytes, whole TCP, ICMP echo) and
    bad ones (checksums, cut quotes); unsolicited TCP/UDP to the public
    address; echo to it; endpoint-independent filtering; hairpinning
    through an existing mapping; `show nat44 sessions --json` after each
    step (TCP states, packets each way), `show nat44 summary --json`,
    `clear nat44 sessions`;
  - forwards (lock step): port forwards from the WAN, hairpinned from the
    LAN, the replies, ICMP errors about forwarded packets both ways, 1:1;
  - filtering (2 runs): address-dependent, address-and-port-dependent;
  - limits (1 run): `max_per_host` 1000 (nat44_host_limit) while another
    host still gets mappings, `max_sessions` 1024, the minimum
    (nat44_session_table_full);
  - exhaustion of an address's ports (1 run): port_block 4096 leaves
    61440 UDP ports (4096..65535); 61441 new flows of one host: each port
    once, the last flow nat44_no_port, alloc_failed_udp 1;
  - neptune's own ICMP errors about inbound packets (TTL 1, too big);
  - reload (2 runs): max_per_host, filtering;
  - configuration errors (`neptune --check-config`): file:line:column and
    the key path.
"""
import copy
import ipaddress
import json
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from dp_packets import ICMP, IP, TCP, UDP, Raw, fast_udp4
from neptune_dp import (GW4, GW6, GW_MAC, HOST4, HOST_MAC, LAN0_MAC, NEPTUNE,
                        REMOTE4, STATIC_NEIGHBORS, WAN1_MAC, WAN4, WAN6,
                        Dataplane, assert_frames, frame_diff)
from scapy.layers.l2 import Ether

# -- topology -----------------------------------------------------------------

HOST2, HOST2_MAC = "192.0.2.11", "02:00:00:00:aa:11"
SERVER, SERVER_MAC = "192.0.2.20", "02:00:00:00:aa:20"
ONE, ONE_MAC, ONE_PUB = "192.0.2.30", "02:00:00:00:aa:30", "198.51.100.19"
REMOTE_B, REMOTE_C, ROUTER = "203.0.113.11", "203.0.113.99", "203.0.113.1"
MAC_OF = {HOST4: HOST_MAC, HOST2: HOST2_MAC, SERVER: SERVER_MAC,
          ONE: ONE_MAC}

ISP1 = {"name": "isp1", "port": "wan1", "next_hop": GW6, "next_hop_v4": GW4,
        "delegated_prefix": "2001:db8:1100:1::/64",
        "health": {"enabled": False}}

NEIGHBORS = STATIC_NEIGHBORS + [
    {"port": "lan0", "address": a, "mac": m}
    for a, m in ((HOST2, HOST2_MAC), (SERVER, SERVER_MAC), (ONE, ONE_MAC))]


def nat_cfg(nat44, burst=None, flow_table_size=65536):
    """The configuration of a NAT44 run: nat44 is the `nat44:` section.
    Tables stay small: the harness runs in 256 MB without hugepages."""
    cfg = {"uplinks": [ISP1],
           "steering": {"inside_prefixes": ["fd42:100:1::/64",
                                            "192.0.2.0/24"],
                        "flow_table_size": flow_table_size},
           "neighbors": {"static": NEIGHBORS},
           "icmp": {"rate_pps": 1000000, "burst": 1000000},
           "nat44": nat44}
    if burst is not None:
        cfg["dataplane"] = {"burst": burst}
    return cfg


# -- frames -------------------------------------------------------------------

def eth(src, dst, l3):
    return bytes(Ether(src=src, dst=dst, type=0x0800) / Raw(bytes(l3)))


def lan(l3, src_mac=HOST_MAC):
    return eth(src_mac, LAN0_MAC, l3)


def wan(l3):
    return eth(GW_MAC, WAN1_MAC, l3)


def to_wan(l3):
    return eth(WAN1_MAC, GW_MAC, l3)


def to_lan(l3):
    return eth(LAN0_MAC, MAC_OF[IP(bytes(l3)).dst], l3)


def xl(l3, src=None, sport=None, dst=None, dport=None, ttl=-1):
    """l3 (an IPv4 packet, scapy or bytes) with its source and/or
    destination address and port (ICMP echo: the identifier) replaced, the
    TTL changed by ttl, and every checksum recomputed by scapy (a zero UDP
    checksum stays zero: none)."""
    p = IP(bytes(l3))
    if src is not None:
        p.src = src
    if dst is not None:
        p.dst = dst
    p.ttl += ttl
    del p.chksum
    if TCP in p:
        if sport is not None:
            p[TCP].sport = sport
        if dport is not None:
            p[TCP].dport = dport
        del p[TCP].chksum
    elif UDP in p:
        if sport is not None:
            p[UDP].sport = sport
        if dport is not None:
            p[UDP].dport = dport
        if p[UDP].chksum != 0:
            del p[UDP].chksum
    elif ICMP in p:
        ident = sport if sport is not None else dport
        if ident is not None:
            p[ICMP].id = ident
        del p[ICMP].chksum
    return bytes(p)


def icmp_err(src, dst, type_, code, quote, ttl=64, ident=0, bad_ck=False):
    """An ICMP error from src to dst quoting the bytes quote; bad_ck: its
    ICMP checksum off by one."""
    p = IP(src=src, dst=dst, ttl=ttl, id=ident, flags=0) / \
        ICMP(type=type_, code=code) / Raw(bytes(quote))
    b = bytearray(bytes(p))
    if bad_ck:
        b[22] ^= 0x01
    return bytes(b)


def bad_ip_ck(l3):
    b = bytearray(bytes(l3))
    b[10] ^= 0x01
    return bytes(b)


def fragments(l3, cut):
    """The IPv4 packet l3 cut in two fragments, the first with cut bytes
    (a multiple of 8) of its payload: (first, later), header checksums by
    scapy."""
    p = IP(bytes(l3))
    body = bytes(p.payload)
    h = dict(src=p.src, dst=p.dst, ttl=p.ttl, id=p.id, proto=p.proto,
             tos=p.tos)
    first = IP(flags="MF", frag=0, **h) / Raw(body[:cut])
    later = IP(flags=0, frag=cut // 8, **h) / Raw(body[cut:])
    return bytes(first), bytes(later)


def tcp4(src, dst, sport, dport, flags, seq, ack=0, ident=1, ttl=64,
         options=(), data=b""):
    return IP(src=src, dst=dst, ttl=ttl, id=ident, flags="DF") / \
        TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack,
            window=64240, options=list(options)) / Raw(data)


def udp(src, dst, sport, dport, data, ident=1, ttl=64, zero_ck=False):
    u = UDP(sport=sport, dport=dport)
    if zero_ck:
        u.chksum = 0
    return IP(src=src, dst=dst, ttl=ttl, id=ident, flags="DF") / u / \
        Raw(data)


def ping(src, dst, ident, seq, data, type_=8, ttl=64, ip_id=1):
    return IP(src=src, dst=dst, ttl=ttl, id=ip_id) / \
        ICMP(type=type_, id=ident, seq=seq) / Raw(data)


# Kicks (dropped as l2_not_for_us) on the other FIFO, so a fed frame is
# handled before the next (see Lockstep).
LAN_KICK = bytes(Ether(src=HOST_MAC, dst="02:00:00:00:99:99") /
                 IP(src=HOST4, dst="192.0.2.1") / UDP(sport=9, dport=9))
WAN_KICK = bytes(Ether(src=GW_MAC, dst="02:00:00:00:99:98") /
                 IP(src=GW4, dst=WAN4) / UDP(sport=9, dport=9))


class Lockstep:
    """Both inputs FIFOs, burst 1: the worker reads one lan0 frame, then
    one wan1 frame, then blocks on lan0 again. Each frame given is fed with
    a kick on the other port, so it is handled before anything after it."""

    def __init__(self, dp):
        self.dp = dp
        self.kicks = 0

    def lan(self, *frames):
        for f in frames:
            self.dp.feed("lan0", [f])
            self.dp.feed("wan1", [WAN_KICK])
            self.kicks += 1

    def wan(self, *frames):
        for f in frames:
            self.dp.feed("lan0", [LAN_KICK])
            self.dp.feed("wan1", [f])
            self.kicks += 1

    def command(self, line):
        """A command that publishes new state (reload): kicks on both
        ports until its reply comes, so the worker passes its quiescent
        point (see neptune_dp.Dataplane.cmd_kicked)."""
        self.dp.mgmt.send(line)
        end = time.monotonic() + 15
        while True:
            try:
                return self.dp.mgmt.reply(timeout=0.05)
            except socket.timeout:
                assert time.monotonic() < end, f"no reply to '{line}'"
                self.dp.feed("lan0", [LAN_KICK])
                self.dp.feed("wan1", [WAN_KICK])
                self.kicks += 2


def sessions(dp):
    """{(proto, inside, inside_port): session} of show nat44 sessions."""
    s = dp.json("show nat44 sessions")
    assert s["total"] == len(s["sessions"]), s
    return {(x["proto"], x["inside"], x["inside_port"]): x
            for x in s["sessions"]}


def find(out, want, what):
    """want (bytes) is among the frames out, else the closest in the
    failure message."""
    want = bytes(want)
    if want in out:
        return
    near = [o for o in out if len(o) == len(want)] or out
    msg = f"{what}: expected frame not among the {len(out)} emitted"
    if near:
        msg += "\nclosest:\n" + frame_diff(want, near[0])
    raise AssertionError(msg)


# == the main run =============================================================

OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)),
        ("NOP", None), ("WScale", 7)]
OPTS_SA = [("MSS", 1400), ("NOP", None), ("WScale", 8), ("SAckOK", b""),
           ("Timestamp", (9999, 123456))]

# phase 1: from the LAN
SYN = tcp4(HOST4, REMOTE4, 40000, 443, "S", 1000, ident=0x101, options=OPTS)
UDP_A = udp(HOST4, REMOTE4, 41000, 5001, b"udp a, preserved", ident=0x102)
UDP_A2 = udp(HOST4, REMOTE_B, 41000, 5002, b"same endpoint, 2nd remote",
             ident=0x103)
UDP_H2 = udp(HOST2, REMOTE4, 41000, 5001, b"host2, same port", ident=0x104)
UDP_Z = udp(HOST4, REMOTE4, 41001, 5001, b"no checksum", ident=0x105,
            zero_ck=True)
UDP_LOW = udp(HOST4, REMOTE4, 123, 123, b"ntp from port 123", ident=0x106)
PING_LOW = ping(HOST4, REMOTE4, 77, 1, b"echo id 77", ip_id=0x107)
PING = ping(HOST4, REMOTE4, 0x4242, 5, b"echo id 0x4242", ip_id=0x108)
FRAG_FULL = udp(HOST4, REMOTE4, 42000, 5003, bytes(range(48)), ident=0xf0f)
FRAG1, FRAG2 = fragments(FRAG_FULL, 24)
FRAG_ORPHAN = fragments(udp(HOST4, REMOTE4, 42001, 5003, bytes(range(40)),
                            ident=0xe0e), 16)[1]


def ck_zero_data(tag, src, dst, sport, dport):
    """tag + 2 bytes that make the UDP checksum of src:sport -> dst:dport
    compute to zero (sent as 0xffff, RFC 768)."""
    assert len(tag) % 2 == 0
    c = IP(bytes(udp(src, dst, sport, dport, tag + b"\0\0")))[UDP].chksum
    return tag + struct.pack("!H", c)


# UDP checksums at the edge: once translated, this one computes to zero
# (must leave as 0xffff); this one is 0xffff as sent
UDP_CK0 = udp(HOST4, REMOTE4, 41000, 5001, ck_zero_data(
    b"zero once out!", WAN4, REMOTE4, 41000, 5001), ident=0x10b)
UDP_CKF = udp(HOST4, REMOTE4, 41000, 5001, ck_zero_data(
    b"0xffff as sent", HOST4, REMOTE4, 41000, 5001), ident=0x10c)
HP_MAP = udp(HOST2, WAN4, 44000, 41000, b"hairpin via HOST4's mapping",
             ident=0x10a)
PHASE1 = [(UDP_H2, HOST2_MAC) if p is UDP_H2 else
          (HP_MAP, HOST2_MAC) if p is HP_MAP else (p, HOST_MAC)
          for p in (SYN, UDP_A, UDP_A2, UDP_CK0, UDP_CKF, UDP_H2, UDP_Z,
                    UDP_LOW, PING_LOW, PING, FRAG1, FRAG2, FRAG_ORPHAN,
                    HP_MAP)]

# phase 2: from the WAN (the ports the mappings got are filled in by the
# run: main.info["in"])
SYNACK = tcp4(REMOTE4, WAN4, 443, 40000, "SA", 9000, 1001, ident=0x201,
              ttl=50, options=OPTS_SA)
R_A = udp(REMOTE4, WAN4, 5001, 41000, b"reply a", ident=0x202, ttl=50)
R_A2 = udp(REMOTE_B, WAN4, 5002, 41000, b"reply from the 2nd remote",
           ident=0x203, ttl=50)
R_EIF = udp(REMOTE_C, WAN4, 7000, 41000, b"never contacted (EIF)",
            ident=0x204, ttl=50)
R_CK0 = udp(REMOTE4, WAN4, 5001, 41000, ck_zero_data(
    b"zero once in:)", REMOTE4, HOST4, 5001, 41000), ident=0x214, ttl=50)
R_Z = udp(REMOTE4, WAN4, 5001, 41001, b"reply, no checksum", ident=0x205,
          ttl=50, zero_ck=True)
PONG = ping(REMOTE4, WAN4, 0x4242, 5, b"echo id 0x4242", type_=0,
            ip_id=0x213, ttl=50)
FRAG_IN_FULL = udp(REMOTE4, WAN4, 5003, 42000, bytes(range(100, 164)),
                   ident=0x1f1f, ttl=50)
FRAG_IN1, FRAG_IN2 = fragments(FRAG_IN_FULL, 32)
FRAG_IN_ORPHAN = fragments(udp(REMOTE4, WAN4, 5003, 42000, bytes(40),
                               ident=0x1e1e, ttl=50), 16)[1]
UNSOL_UDP = udp(REMOTE4, WAN4, 5001, 6666, b"unsolicited", ident=0x206)
UNSOL_TCP = tcp4(REMOTE4, WAN4, 5001, 7777, "S", 77, ident=0x207)
ECHO_WAN = ping(REMOTE4, WAN4, 0x5151, 3, b"ping the appliance",
                ip_id=0x208, ttl=50)

# The packets as they left (what a remote quotes), from the rules.
SYN_WIRE = xl(SYN, src=WAN4)
UDP_A_WIRE = xl(UDP_A, src=WAN4)
# ICMP errors from outside about them: (error, the inside end's view of
# the quoted packet); the quoted TTL is what the reporter saw.
ERR_IN = {
    # port unreachable from the remote about UDP_A
    "udp": (REMOTE4, 3, 3, UDP_A_WIRE, xl(UDP_A, ttl=-1)),
    # time exceeded from a router, the SYN cut after 8 bytes of TCP
    # (RFC 792): no TCP checksum in the quote
    "tcp8": (ROUTER, 11, 0, SYN_WIRE[:28], xl(SYN, ttl=-1)[:28]),
    # host unreachable from a router, the whole SYN quoted (options too)
    "tcp": (ROUTER, 3, 1, SYN_WIRE, xl(SYN, ttl=-1)),
}
# Bad ones: dropped under their counters (the cut one: see test).
ERR_IN_BAD = {
    "nat44_icmp_bad_checksum": icmp_err(REMOTE4, WAN4, 3, 3, UDP_A_WIRE,
                                        ttl=50, ident=0x230, bad_ck=True),
    "nat44_icmp_inner_bad_checksum": icmp_err(
        REMOTE4, WAN4, 3, 3, bad_ip_ck(UDP_A_WIRE), ttl=50, ident=0x231),
    "cut": icmp_err(REMOTE4, WAN4, 3, 3, UDP_A_WIRE[:24], ttl=50,
                    ident=0x232),
}

# phase 3: from the LAN again
ACK = tcp4(HOST4, REMOTE4, 40000, 443, "A", 1001, 9001, ident=0x301)
R_A_SEEN = xl(R_A, dst=HOST4)           # R_A as HOST4 received it
ERR_OUT = icmp_err(HOST4, REMOTE4, 3, 3, R_A_SEEN, ident=0x302)
ERR_OUT_TRUNC = icmp_err(HOST4, REMOTE4, 3, 3, R_A_SEEN[:24], ident=0x303)
ERR_OUT_BADCK = icmp_err(HOST4, REMOTE4, 3, 3, R_A_SEEN, ident=0x304,
                         bad_ck=True)
HP_MAP_REPLY = udp(HOST4, WAN4, 41000, 44000, b"hairpin reply",
                   ident=0x309)
FIN = tcp4(HOST4, REMOTE4, 40000, 443, "FA", 1001, 9001, ident=0x30a)

# phase 4: from the WAN
FIN_IN = tcp4(REMOTE4, WAN4, 443, 40000, "FA", 9001, 1002, ident=0x401,
              ttl=50)


def run_lockstep(nat44, script):
    """One lock-step run (both inputs FIFOs, burst 1) of script(dp, ls,
    step, info); step(name) waits until neptune is idle and keeps `show
    nat44 sessions` as r.snaps[name]. Returns the Result with r.info,
    r.snaps and r.kicks."""
    dp = Dataplane(extra_cfg=nat_cfg(nat44, burst=1),
                   fifo_ports=["lan0", "wan1"])
    info, snaps = {}, {}
    try:
        dp.start()
        ls = Lockstep(dp)

        def step(name):
            dp.wait_idle()
            snaps[name] = sessions(dp)
        script(dp, ls, step, info)
        r = dp.stop()
    finally:
        dp.cleanup()
    r.info, r.snaps, r.kicks = info, snaps, ls.kicks
    return r


def _main_script(dp, ls, step, info):
    # 1. outbound
    ls.lan(*[lan(p, mac) for p, mac in PHASE1])
    step("syn")
    s = dp.json("show nat44 sessions")["sessions"]
    port = {(x["proto"], x["inside"], x["inside_port"]): x["public_port"]
            for x in s}
    p_h2, p_low = port[("udp", HOST2, 41000)], port[("udp", HOST4, 123)]
    p_77 = port[("icmp", HOST4, 77)]
    # 2. inbound, to the ports the mappings got
    r_h2 = udp(REMOTE4, WAN4, 5001, p_h2, b"reply to host2", ident=0x210,
               ttl=50)
    r_low = udp(REMOTE4, WAN4, 123, p_low, b"ntp reply", ident=0x211,
                ttl=50)
    pong_low = ping(REMOTE4, WAN4, p_77, 1, b"echo id 77", type_=0,
                    ip_id=0x212, ttl=50)
    # time exceeded about the echo request: its identifier mapped back
    err_echo = (ROUTER, 11, 0, xl(PING_LOW, src=WAN4, sport=p_77),
                xl(PING_LOW, ttl=-1))
    errs = dict(ERR_IN, echo=err_echo)
    err_frames = {k: icmp_err(src, WAN4, t, c, q, ttl=60, ident=0x220 + i)
                  for i, (k, (src, t, c, q, _)) in enumerate(errs.items())}
    info["in"] = dict(r_h2=r_h2, r_low=r_low, pong_low=pong_low,
                      errs=errs, err_frames=err_frames)
    ls.wan(wan(SYNACK))
    step("synack")
    ls.wan(*[wan(p) for p in (
        R_A, R_A2, R_EIF, R_CK0, r_h2, R_Z, r_low, pong_low, PONG, FRAG_IN1,
        FRAG_IN2, FRAG_IN_ORPHAN, UNSOL_UDP, UNSOL_TCP, ECHO_WAN,
        *err_frames.values(), *ERR_IN_BAD.values())])
    step("inbound")
    # 3. the LAN again
    ls.lan(lan(ACK))
    step("ack")
    ls.lan(lan(ERR_OUT), lan(ERR_OUT_TRUNC), lan(ERR_OUT_BADCK),
           lan(HP_MAP_REPLY), lan(FIN))
    step("fin_out")
    # 4. the WAN again
    ls.wan(wan(FIN_IN))
    step("fin_in")
    info["summary"] = dp.json("show nat44 summary")
    # clear: the workers clear at their next poll; with the FIFOs closed
    # they poll freely
    dp.close_feed("lan0")
    dp.close_feed("wan1")
    dp.wait_idle()
    info["clear"] = dp.cmd("clear nat44 sessions --json")
    info["after_clear"] = dp.json("show nat44 sessions")
    info["summary_after_clear"] = dp.json("show nat44 summary")


@pytest.fixture(scope="module")
def main():
    return run_lockstep({"max_sessions": 4096}, _main_script)


def _ports(main):
    s = main.snaps["syn"]
    return {k: v["public_port"] for k, v in s.items()}


def main_expected(main):
    """{port: [expected frames]} of the main run, in the order sent."""
    pt = _ports(main)
    p_h2, p_low = pt[("udp", HOST2, 41000)], pt[("udp", HOST4, 123)]
    p_77 = pt[("icmp", HOST4, 77)]
    inn = main.info["in"]
    wan1 = [to_wan(xl(p, src=WAN4)) for p in (SYN, UDP_A, UDP_A2, UDP_CK0,
                                              UDP_CKF)] + [
        to_wan(xl(UDP_H2, src=WAN4, sport=p_h2)),
        to_wan(xl(UDP_Z, src=WAN4)),
        to_wan(xl(UDP_LOW, src=WAN4, sport=p_low)),
        to_wan(xl(PING_LOW, src=WAN4, sport=p_77)),
        to_wan(xl(PING, src=WAN4)),
        *[to_wan(f) for f in fragments(xl(FRAG_FULL, src=WAN4), 24)],
        # neptune answers the echo to its public address itself
        to_wan(ping(WAN4, REMOTE4, 0x5151, 3, b"ping the appliance",
                    type_=0, ip_id=0x208, ttl=64)),
        to_wan(xl(ACK, src=WAN4)),
        # the LAN host's port unreachable: outer source and the quoted
        # destination translated
        to_wan(icmp_err(WAN4, REMOTE4, 3, 3, xl(R_A_SEEN, dst=WAN4, ttl=0),
                        ttl=63, ident=0x302)),
        to_wan(xl(FIN, src=WAN4))]
    lan0 = [
        # hairpin through HOST4's mapping: HOST2's source translated too
        to_lan(xl(HP_MAP, src=WAN4, dst=HOST4)),
        to_lan(xl(SYNACK, dst=HOST4)),
        *[to_lan(xl(p, dst=HOST4)) for p in (R_A, R_A2, R_EIF, R_CK0)],
        to_lan(xl(inn["r_h2"], dst=HOST2, dport=41000)),
        to_lan(xl(R_Z, dst=HOST4)),
        to_lan(xl(inn["r_low"], dst=HOST4, dport=123)),
        to_lan(xl(inn["pong_low"], dst=HOST4, dport=77)),
        to_lan(xl(PONG, dst=HOST4)),
        *[to_lan(f) for f in fragments(xl(FRAG_IN_FULL, dst=HOST4), 32)],
        *[to_lan(icmp_err(src, HOST4, t, c, inside, ttl=59,
                          ident=0x220 + i))
          for i, (src, t, c, _, inside) in enumerate(inn["errs"].values())],
        to_lan(xl(HP_MAP_REPLY, src=WAN4, dst=HOST2)),
        to_lan(xl(FIN_IN, dst=HOST4))]
    return {"lan0": lan0, "wan1": wan1}


def _want(main, port, l3):
    """The expected frame for l3 among main_expected (by its IP ID)."""
    ident = IP(bytes(l3)).id
    for f in main_expected(main)[port]:
        if IP(f[14:]).id == ident:
            return f
    raise KeyError(ident)


def test_tcp_outbound_and_back(main):
    """A SYN with options leaves from 198.51.100.18:40000 (port preserved),
    the SYN-ACK, ACK, FINs translated exactly (TTL - 1, checksums)."""
    for p in (SYN, ACK, FIN):
        find(main.outputs["wan1"], _want(main, "wan1", p), "wan1")
    for p in (SYNACK, FIN_IN):
        find(main.outputs["lan0"], _want(main, "lan0", p), "lan0")


def test_udp_outbound_and_back(main):
    """UDP: port preserved; endpoint-independent mapping (a second remote,
    same public port); a zero checksum stays zero both ways; replies
    translated back."""
    for p in (UDP_A, UDP_A2, UDP_Z):
        find(main.outputs["wan1"], _want(main, "wan1", p), "wan1")
    for p in (R_A, R_A2, R_Z):
        find(main.outputs["lan0"], _want(main, "lan0", p), "lan0")
    zero = [f for f in main.outputs["wan1"] + main.outputs["lan0"]
            if IP(f[14:]).id in (UDP_Z.id, R_Z.id)]
    assert len(zero) == 2 and all(f[40:42] == b"\0\0" for f in zero), \
        [f.hex() for f in zero]


def test_udp_checksum_edges(main):
    """A UDP checksum that computes to zero once translated leaves as
    0xffff (RFC 768), both ways; one that is 0xffff as sent is translated
    like any other."""
    assert bytes(UDP_CKF)[26:28] == b"\xff\xff"
    for port, p in (("wan1", UDP_CK0), ("wan1", UDP_CKF), ("lan0", R_CK0)):
        want = _want(main, port, p)
        find(main.outputs[port], want, port)
        if p is not UDP_CKF:
            assert want[40:42] == b"\xff\xff", want.hex()
    s = main.snaps["syn"]
    assert s[("udp", HOST4, 41000)]["public_port"] == 41000
    assert s[("udp", HOST4, 41001)]["public_port"] == 41001
    assert s[("tcp", HOST4, 40000)]["public_port"] == 40000
    assert s[("icmp", HOST4, 0x4242)]["public_port"] == 0x4242


def test_parity_when_taken(main):
    """HOST2 uses 41000 too: it gets another port of the same parity
    (RFC 4787 REQ-4), and its reply comes back to HOST2:41000."""
    p = _ports(main)[("udp", HOST2, 41000)]
    assert p != 41000 and p % 2 == 0 and p >= 1024, p
    find(main.outputs["wan1"], _want(main, "wan1", UDP_H2), "wan1")
    find(main.outputs["lan0"], _want(main, "lan0", main.info["in"]["r_h2"]),
         "lan0")


def test_low_port_mapped_high(main):
    """Source port 123 gets a port of 1024..65535 (same parity); the reply
    comes back to port 123."""
    p = _ports(main)[("udp", HOST4, 123)]
    assert 1024 <= p <= 65535 and p % 2 == 1, p
    find(main.outputs["wan1"], _want(main, "wan1", UDP_LOW), "wan1")
    find(main.outputs["lan0"],
         _want(main, "lan0", main.info["in"]["r_low"]), "lan0")


def test_icmp_echo(main):
    """Echo by identifier: 0x4242 kept, 77 mapped to >= 1024 (same
    parity); the replies come back by the allocated identifier."""
    p = _ports(main)[("icmp", HOST4, 77)]
    assert 1024 <= p <= 65535 and p % 2 == 1, p
    for x in (PING_LOW, PING):
        find(main.outputs["wan1"], _want(main, "wan1", x), "wan1")
    for x in (main.info["in"]["pong_low"], PONG):
        find(main.outputs["lan0"], _want(main, "lan0", x), "lan0")


def test_endpoint_independent_filtering(main):
    """Default filtering: a remote the mapping never sent to (REMOTE_C)
    gets through, as do the two it did."""
    for p in (R_A, R_A2, R_EIF):
        find(main.outputs["lan0"], _want(main, "lan0", p), "lan0")


def test_icmp_errors_inbound(main):
    """RFC 5508: errors from outside about our translated UDP, TCP (cut at
    8 bytes and whole) and echo packets reach HOST4 with the outer
    destination, the quoted source address and port / identifier, and the
    outer IP, ICMP, quoted IP and quoted L4 checksums right."""
    got = [f for f in main.outputs["lan0"] if f[23] == 1 and f[34] != 0]
    want = [f for f in main_expected(main)["lan0"]
            if f[23] == 1 and f[34] != 0]
    assert len(want) == 4
    assert_frames(got, want, "ICMP errors on lan0")


def test_icmp_error_outbound(main):
    """HOST4's port unreachable about R_A leaves with source 198.51.100.18
    and the quoted destination 198.51.100.18:41000 (checksums right)."""
    find(main.outputs["wan1"], _want(main, "wan1", ERR_OUT), "wan1")


def test_icmp_errors_bad(main):
    """Bad ICMP checksum (both ways) and bad quoted IP header checksum:
    dropped under their counters; a quote cut inside its UDP header from
    the LAN: nat44_icmp_inner_truncated. None of them leaves."""
    d = main.drops
    assert d["nat44_icmp_bad_checksum"] == 2, d
    assert d["nat44_icmp_inner_bad_checksum"] == 1, d
    assert d["nat44_icmp_inner_truncated"] == 1, d
    bad = {IP(b).id for b in list(ERR_IN_BAD.values())} | \
        {IP(ERR_OUT_TRUNC).id, IP(ERR_OUT_BADCK).id}
    out = [f for p in ("lan0", "wan1") for f in main.outputs[p]
           if IP(f[14:]).id in bad]
    assert out == [], [Ether(f).summary() for f in out]


def test_icmp_error_inbound_cut_quote(main):
    """An error from outside whose quote stops inside the UDP header
    names no mapping (its ports are not there): it is the appliance's
    (docs/nat44.md: ICMP to a public address goes on to it), which drops
    it as local_unhandled; it does not reach the LAN."""
    assert main.drops["local_unhandled"] == 1, main.nonzero_drops()


def test_fragments(main):
    """The first fragment is translated by its ports (the UDP checksum of
    the whole datagram), the later one (same IP ID) by address, both ways;
    a later fragment without its first is dropped both ways."""
    exp = main_expected(main)
    firsts = [f for f in exp["wan1"] if IP(f[14:]).id == 0xf0f]
    assert len(firsts) == 2
    assert_frames([f for f in main.outputs["wan1"]
                   if IP(f[14:]).id == 0xf0f], firsts, "wan1 fragments")
    back = [f for f in exp["lan0"] if IP(f[14:]).id == 0x1f1f]
    assert len(back) == 2
    assert_frames([f for f in main.outputs["lan0"]
                   if IP(f[14:]).id == 0x1f1f], back, "lan0 fragments")
    assert main.drops["nat44_fragment_no_first"] == 2, main.nonzero_drops()
    assert main.snaps["syn"][("udp", HOST4, 42000)]["public_port"] == 42000


def test_unsolicited_inbound(main):
    """TCP and UDP to the public address with no mapping: dropped
    (nat44_no_mapping), nothing sent back; an echo to it is answered by
    neptune itself."""
    assert main.drops["nat44_no_mapping"] == 2, main.nonzero_drops()
    find(main.outputs["wan1"], _want(main, "wan1", ECHO_WAN), "wan1")
    # no RST, no port unreachable (HOST4's own error, ERR_OUT, aside)
    back = [f for f in main.outputs["wan1"]
            if (f[23] == 6 and f[47] & 0x04) or
            (f[23] == 1 and f[34] == 3 and IP(f[14:]).id != IP(ERR_OUT).id)]
    assert back == [], [Ether(f).summary() for f in back]


def test_hairpin_existing_mapping(main):
    """HOST2 sends to HOST4's public endpoint 198.51.100.18:41000: it
    reaches HOST4:41000 from HOST2's own public endpoint
    198.51.100.18:44000 (RFC 4787 REQ-9), and HOST4's answer to that
    reaches HOST2:44000 from 198.51.100.18:41000."""
    find(main.outputs["lan0"], _want(main, "lan0", HP_MAP), "lan0")
    find(main.outputs["lan0"], _want(main, "lan0", HP_MAP_REPLY), "lan0")
    assert main.snaps["syn"][("udp", HOST2, 44000)]["public_port"] == 44000


def test_main_nothing_else(main):
    exp = main_expected(main)
    for p in ("lan0", "wan1"):
        assert_frames(main.outputs[p], exp[p], f"{p} output", ordered=False)
    assert main.nonzero_drops() == {
        "l2_not_for_us": main.kicks, "nat44_no_mapping": 2,
        "nat44_fragment_no_first": 2, "nat44_icmp_bad_checksum": 2,
        "nat44_icmp_inner_bad_checksum": 1, "nat44_icmp_inner_truncated": 1,
        "local_unhandled": 1}, main.nonzero_drops()


# What show nat44 sessions must say at each step: (public port, TCP state,
# packets out, packets in). Hairpinned packets count on both mappings
# (in on the one they reach, out on the sender's); ICMP errors count on
# none (RFC 5508 REQ-6: they refresh nothing); later fragments neither.
def expected_sessions(main, step):
    pt = _ports(main)
    t = {"syn": "syn_sent_out", "synack": "established",
         "inbound": "established", "ack": "established",
         "fin_out": "fin_wait_out", "fin_in": "time_wait"}[step]
    after = ["syn", "synack", "inbound", "ack", "fin_out", "fin_in"].index
    n = after(step)
    tcp_out = 1 + (n >= after("ack")) + (n >= after("fin_out"))
    tcp_in = (n >= after("synack")) + (n >= after("fin_in"))
    inbound = int(n >= after("inbound"))
    fin = int(n >= after("fin_out"))
    return {
        ("tcp", HOST4, 40000): (40000, t, tcp_out, tcp_in),
        ("udp", HOST4, 41000): (41000, "-", 4 + fin, 1 + 4 * inbound),
        ("udp", HOST2, 41000): (pt[("udp", HOST2, 41000)], "-", 1, inbound),
        ("udp", HOST4, 41001): (41001, "-", 1, inbound),
        ("udp", HOST4, 123): (pt[("udp", HOST4, 123)], "-", 1, inbound),
        ("udp", HOST4, 42000): (42000, "-", 1, inbound),
        ("icmp", HOST4, 77): (pt[("icmp", HOST4, 77)], "-", 1, inbound),
        ("icmp", HOST4, 0x4242): (0x4242, "-", 1, inbound),
        ("udp", HOST2, 44000): (44000, "-", 1, fin),
    }


@pytest.mark.parametrize("step", ["syn", "synack", "inbound", "ack",
                                  "fin_out", "fin_in"])
def test_sessions(main, step):
    """show nat44 sessions --json after each step: the mappings, their
    public address and port, uplink, TCP state (SYN out: syn_sent_out;
    SYN-ACK in: established; FIN out: fin_wait_out; FIN in: time_wait),
    packets each way."""
    got = {k: (v["public_port"], v["state"], v["packets_out"],
               v["packets_in"]) for k, v in main.snaps[step].items()}
    assert got == expected_sessions(main, step)
    for v in main.snaps[step].values():
        assert (v["public"], v["uplink"]) == (WAN4, "isp1"), v


def test_summary(main):
    """show nat44 summary --json: per pool (uplink, address, protocol) the
    ports in use, blocks (of 256 ports) and sessions, TCP by state; the
    totals."""
    pt = _ports(main)
    want = []
    for proto in ("tcp", "udp", "icmp"):
        ports = [v for k, v in pt.items() if k[0] == proto]
        want.append({"uplink": "isp1", "address": WAN4, "proto": proto,
                     "ports_in_use": len(ports),
                     "blocks": len({p >> 8 for p in ports}),
                     "sessions": len(ports),
                     "tcp_states": {"time_wait": 1} if proto == "tcp"
                     else {}})
    sm = main.info["summary"]
    assert sm["pools"] == want, sm["pools"]
    # out: SYN UDP_A UDP_A2 UDP_CK0 UDP_CKF UDP_H2 UDP_Z UDP_LOW PING_LOW
    # PING FRAG1 ACK FIN; in: SYNACK R_A R_A2 R_EIF R_CK0 r_h2 R_Z r_low
    # pong_low PONG FRAG_IN1 FIN_IN and the two hairpinned packets
    # (through the mapping they reach).
    tot = {k: v for k, v in sm.items() if k != "pools"}
    assert tot == {"created": 9, "expired": 0, "packets_out": 13,
                   "packets_in": 14, "icmp_errors": 5, "forwarded_in": 0,
                   "alloc_failed_tcp": 0, "alloc_failed_udp": 0,
                   "alloc_failed_icmp": 0}, tot


def test_clear_sessions(main):
    ok, out = main.info["clear"]
    assert ok and json.loads(out) == {"cleared": True}, out
    assert main.info["after_clear"] == {"sessions": [], "total": 0}
    pools = main.info["summary_after_clear"]["pools"]
    assert [(p["ports_in_use"], p["sessions"]) for p in pools] == \
        [(0, 0)] * 3, pools


# == port forwards, 1:1, hairpinning through a forward ========================

FWD = [{"name": "web", "proto": "tcp", "port": 8080, "to": SERVER,
        "to_port": 80},
       {"name": "sip", "proto": "udp", "port": 5060, "to": SERVER},
       {"name": "dmz", "public": ONE_PUB, "to": ONE}]

HP_FWD = tcp4(HOST2, WAN4, 43000, 8080, "S", 5000, ident=0x501,
              options=OPTS)
ONE_OUT = udp(ONE, REMOTE4, 33333, 80, b"from the 1:1 host", ident=0x502)
FWD_SYN = tcp4(REMOTE4, WAN4, 50000, 8080, "S", 3000, ident=0x601, ttl=50,
               options=OPTS)
FWD_UDP = udp(REMOTE4, WAN4, 5070, 5060, b"INVITE sip:x", ident=0x602,
              ttl=50)
ONE_SYN = tcp4(REMOTE4, ONE_PUB, 5555, 22, "S", 4000, ident=0x603, ttl=50)
FWD_SYNACK = tcp4(SERVER, REMOTE4, 80, 50000, "SA", 7000, 3001, ident=0x701,
                  options=OPTS_SA)
ONE_SYNACK = tcp4(ONE, REMOTE4, 22, 5555, "SA", 8000, 4001, ident=0x702)
HP_FWD_REPLY = tcp4(SERVER, WAN4, 80, 43000, "SA", 6000, 5001, ident=0x703,
                    options=OPTS_SA)
# SERVER's port unreachable about FWD_UDP (as it received it)
ERR_FWD_OUT = icmp_err(SERVER, REMOTE4, 3, 3, xl(FWD_UDP, dst=SERVER),
                       ident=0x704)
# A router's time exceeded about SERVER's SYN-ACK as it left
FWD_SYNACK_WIRE = xl(FWD_SYNACK, src=WAN4, sport=8080)
ERR_FWD_IN = icmp_err(ROUTER, WAN4, 11, 0, FWD_SYNACK_WIRE, ttl=60,
                      ident=0x801)


def _fwd_script(dp, ls, step, info):
    ls.lan(lan(ONE_OUT, ONE_MAC), lan(HP_FWD, HOST2_MAC))
    step("out")
    ls.wan(wan(FWD_SYN), wan(FWD_UDP), wan(ONE_SYN))
    step("in")
    ls.lan(lan(FWD_SYNACK, SERVER_MAC), lan(ONE_SYNACK, ONE_MAC),
           lan(ERR_FWD_OUT, SERVER_MAC), lan(HP_FWD_REPLY, SERVER_MAC))
    step("replies")
    ls.wan(wan(ERR_FWD_IN))
    step("end")
    info["summary"] = dp.json("show nat44 summary")


@pytest.fixture(scope="module")
def fwd():
    return run_lockstep({
        "max_sessions": 4096, "inbound": FWD,
        "uplinks": [{"uplink": "isp1", "addresses": [WAN4, ONE_PUB]}]},
        _fwd_script)


FWD_EXPECTED = {
    "wan1": [to_wan(xl(ONE_OUT, src=ONE_PUB)),
             to_wan(FWD_SYNACK_WIRE),
             to_wan(xl(ONE_SYNACK, src=ONE_PUB)),
             # RFC 5508: translated like the forwarded packet it quotes
             to_wan(icmp_err(WAN4, REMOTE4, 3, 3,
                             xl(FWD_UDP, dst=WAN4, ttl=-1), ttl=63,
                             ident=0x704))],
    "lan0": [to_lan(xl(HP_FWD, src=WAN4, dst=SERVER, dport=80)),
             to_lan(xl(FWD_SYN, dst=SERVER, dport=80)),
             to_lan(xl(FWD_UDP, dst=SERVER)),
             to_lan(xl(ONE_SYN, dst=ONE)),
             # RFC 4787 REQ-9: from the server's public endpoint, the one
             # HOST2 connected to
             to_lan(xl(HP_FWD_REPLY, src=WAN4, sport=8080, dst=HOST2)),
             to_lan(icmp_err(ROUTER, SERVER, 11, 0, xl(FWD_SYNACK, ttl=-1),
                             ttl=59, ident=0x801))],
}


def _fwant(port, l3):
    ident = IP(bytes(l3)).id
    return next(f for f in FWD_EXPECTED[port] if IP(f[14:]).id == ident)


def test_port_forward_from_wan(fwd):
    """tcp 8080 -> SERVER:80 and udp 5060 -> SERVER:5060 from the WAN,
    only the destination translated; the server's SYN-ACK leaves from
    198.51.100.18:8080. A forward makes no mapping."""
    for p in (FWD_SYN, FWD_UDP):
        find(fwd.outputs["lan0"], _fwant("lan0", p), "lan0")
    find(fwd.outputs["wan1"], _fwant("wan1", FWD_SYNACK), "wan1")
    assert not [k for k in fwd.snaps["in"] if k[1] == SERVER], fwd.snaps


def test_one_to_one(fwd):
    """1:1 198.51.100.19 <-> 192.0.2.30: inbound to any port, the host's
    replies and its own flows leave from .19, ports untouched."""
    find(fwd.outputs["lan0"], _fwant("lan0", ONE_SYN), "lan0")
    for p in (ONE_SYNACK, ONE_OUT):
        find(fwd.outputs["wan1"], _fwant("wan1", p), "wan1")
    assert not [k for k in fwd.snaps["end"] if k[1] == ONE], fwd.snaps


def test_hairpin_port_forward(fwd):
    """HOST2 -> 198.51.100.18:8080 reaches SERVER:80 from HOST2's public
    endpoint 198.51.100.18:43000 (RFC 4787 REQ-9)."""
    find(fwd.outputs["lan0"], _fwant("lan0", HP_FWD), "lan0")
    assert fwd.snaps["out"][("tcp", HOST2, 43000)]["public_port"] == 43000


def test_hairpin_port_forward_reply(fwd):
    """SERVER's SYN-ACK to 198.51.100.18:43000 reaches HOST2:43000 from
    198.51.100.18:8080, the endpoint HOST2 connected to (RFC 4787 REQ-9:
    the source is the sender's public endpoint, here the forward's), and
    makes no mapping of its own for SERVER:80."""
    find(fwd.outputs["lan0"], _fwant("lan0", HP_FWD_REPLY), "lan0")
    assert not [k for k in fwd.snaps["replies"] if k[1] == SERVER], \
        fwd.snaps["replies"]


def test_hairpin_tcp_state(fwd):
    """The hairpinned connection's mapping tracks TCP too: HOST2's SYN out
    and the SYN-ACK back make it established (else it would get the
    4-minute transitory timeout)."""
    s = fwd.snaps["replies"][("tcp", HOST2, 43000)]
    assert (s["state"], s["packets_out"], s["packets_in"]) == \
        ("established", 1, 1), s


def test_icmp_error_port_forward_outbound(fwd):
    """SERVER's port unreachable about a forwarded UDP packet leaves with
    source 198.51.100.18 and the quoted destination 198.51.100.18:5060
    (RFC 5508; docs/nat44.md: an error about a translated packet is
    translated in both directions)."""
    find(fwd.outputs["wan1"], _fwant("wan1", ERR_FWD_OUT), "wan1")


def test_icmp_error_port_forward_inbound(fwd):
    """A router's time exceeded about SERVER's SYN-ACK (which left from
    198.51.100.18:8080) reaches SERVER with the quoted source
    SERVER:80."""
    find(fwd.outputs["lan0"], _fwant("lan0", ERR_FWD_IN), "lan0")


def test_fwd_nothing_else(fwd):
    for p in ("lan0", "wan1"):
        assert_frames(fwd.outputs[p], FWD_EXPECTED[p], f"{p} output",
                      ordered=False)
    assert fwd.nonzero_drops() == {"l2_not_for_us": fwd.kicks}, \
        fwd.nonzero_drops()
    # FWD_SYN, FWD_UDP, ONE_SYN and HP_FWD (hairpinned through a forward)
    assert fwd.info["summary"]["forwarded_in"] == 4, fwd.info["summary"]


# == filtering ================================================================

@pytest.mark.parametrize("mode", ["address-dependent",
                                  "address-and-port-dependent"])
def test_filtering(dataplane, mode):
    """HOST4:41000 sent to REMOTE4:5001. Inbound to its mapping from
    REMOTE4:5001 is accepted; from REMOTE4:6000 too with address-dependent
    filtering, not with address-and-port-dependent; from REMOTE_C never
    (nat44_filtered)."""
    dp = dataplane(inputs={"lan0": [lan(UDP_A)]},
                   extra_cfg=nat_cfg({"max_sessions": 4096,
                                      "filtering": mode}),
                   fifo_ports=["wan1"]).start()
    dp.wait_idle()
    other_port = udp(REMOTE4, WAN4, 6000, 41000, b"other port", ident=0x902,
                     ttl=50)
    other_addr = udp(REMOTE_C, WAN4, 5001, 41000, b"other address",
                     ident=0x903, ttl=50)
    dp.feed("wan1", [wan(R_A), wan(other_port), wan(other_addr)])
    dp.close_feed("wan1")
    dp.wait_idle()
    s = sessions(dp)[("udp", HOST4, 41000)]
    r = dp.stop()
    adf = mode == "address-dependent"
    assert_frames(r.outputs["wan1"], [to_wan(xl(UDP_A, src=WAN4))], "wan1")
    assert_frames(r.outputs["lan0"], [to_lan(xl(R_A, dst=HOST4))] +
                  ([to_lan(xl(other_port, dst=HOST4))] if adf else []),
                  "lan0")
    assert r.nonzero_drops() == {"nat44_filtered": 1 if adf else 2}, \
        r.nonzero_drops()
    assert (s["packets_out"], s["packets_in"]) == (1, 2 if adf else 1), s


# == limits: per host, session table ==========================================

N_HOST = 1000


def test_host_limit_and_table_full(dataplane):
    """max_per_host 1000, max_sessions 1024 (the minimum): HOST4's 1001st
    new mapping is dropped (nat44_host_limit) while HOST2 still gets
    mappings, 24 of them, until the table is full: its 25th is dropped
    (nat44_session_table_full). Existing mappings keep working."""
    h4 = [fast_udp4(HOST_MAC, LAN0_MAC, HOST4, REMOTE4, 20000 + i, 5001,
                    b"h4-%04d" % i, ident=i) for i in range(N_HOST + 1)]
    h2 = [fast_udp4(HOST2_MAC, LAN0_MAC, HOST2, REMOTE4, 30000 + i, 5001,
                    b"h2-%04d" % i, ident=i) for i in range(25)]
    again = [fast_udp4(HOST_MAC, LAN0_MAC, HOST4, REMOTE4, 20000, 5001,
                       b"h4 again", ident=5000),
             fast_udp4(HOST2_MAC, LAN0_MAC, HOST2, REMOTE4, 30000, 5001,
                       b"h2 again", ident=5001)]
    dp = dataplane(inputs={"lan0": h4 + h2 + again},
                   extra_cfg=nat_cfg({"max_sessions": 1024,
                                      "max_per_host": N_HOST})).start()
    dp.wait_idle(timeout=20)
    total = dp.json("show nat44 sessions limit 1")["total"]
    per = {h: dp.json(f"show nat44 sessions src {h} limit 1")["total"]
           for h in (HOST4, HOST2)}
    summary = dp.json("show nat44 summary")
    r = dp.stop()
    assert r.nonzero_drops() == {"nat44_host_limit": 1,
                                 "nat44_session_table_full": 1}, \
        r.nonzero_drops()
    assert (total, per) == (1024, {HOST4: N_HOST, HOST2: 24})
    out = r.outputs["wan1"]
    assert len(out) == N_HOST + 24 + 2, len(out)

    def w(ip, sport, data, ident):
        return fast_udp4(WAN1_MAC, GW_MAC, WAN4, REMOTE4, sport, 5001, data,
                         ttl=63, ident=ident)
    # HOST4's ports are free: preserved, exact bytes
    want4 = [w(HOST4, 20000 + i, b"h4-%04d" % i, i) for i in range(N_HOST)]
    assert_frames(out[:N_HOST], want4, "HOST4's flows")
    assert out[-2] == w(HOST4, 20000, b"h4 again", 5000)
    # HOST2's got their own port (30000.. preserved too)
    want2 = [w(HOST2, 30000 + i, b"h2-%04d" % i, i) for i in range(24)]
    assert_frames(out[N_HOST:N_HOST + 24], want2, "HOST2's flows")
    assert out[-1] == w(HOST2, 30000, b"h2 again", 5001)
    udp_pool = [p for p in summary["pools"] if p["proto"] == "udp"][0]
    assert (udp_pool["sessions"], udp_pool["ports_in_use"]) == (1024, 1024)
    assert (summary["created"], summary["alloc_failed_udp"]) == (1024, 0), \
        summary


# == exhaustion of an address's ports =========================================

N_PORTS = 65536 - 4096      # port_block 4096: blocks 1..15 usable


def test_port_exhaustion(dataplane):
    """port_block 4096 leaves 61440 UDP ports (4096..65535) on
    198.51.100.18; 61441 new UDP flows of one host (no per-host limit):
    the first 61440 get every one of those ports once, the last is dropped
    (nat44_no_port, alloc_failed_udp 1). ICMP identifiers are another
    space: an echo still gets one."""
    flows = [fast_udp4(HOST_MAC, LAN0_MAC, HOST4, REMOTE4, 1024 + i, 9, b"x",
                       ident=i & 0xffff) for i in range(N_PORTS + 1)]
    echo = ping(HOST4, REMOTE4, 0x4242, 1, b"after", ip_id=0xabc)
    dp = dataplane(inputs={"lan0": flows + [lan(echo)]},
                   extra_cfg=nat_cfg({"max_sessions": 65536,
                                      "max_per_host": 0,
                                      "port_block": 4096},
                                     flow_table_size=131072)).start()
    dp.wait_idle(timeout=40)
    summary = dp.json("show nat44 summary")
    r = dp.stop()
    assert r.nonzero_drops() == {"nat44_no_port": 1}, r.nonzero_drops()
    out = r.outputs["wan1"]
    assert len(out) == N_PORTS + 1, len(out)
    assert out[-1] == to_wan(xl(echo, src=WAN4))
    sports = [struct.unpack("!H", f[34:36])[0] for f in out[:-1]]
    srcs = {f[26:30] for f in out[:-1]}
    assert srcs == {ipaddress.IPv4Address(WAN4).packed}
    assert sorted(sports) == list(range(4096, 65536))
    # the one dropped is the last (IP IDs: the flows' numbers)
    assert [struct.unpack("!H", f[18:20])[0] for f in out[:-1]] == \
        list(range(N_PORTS))
    pools = {p["proto"]: p for p in summary["pools"]}
    assert (pools["udp"]["ports_in_use"], pools["udp"]["blocks"],
            pools["udp"]["sessions"]) == (N_PORTS, 15, N_PORTS), pools
    assert (summary["alloc_failed_udp"], summary["created"]) == \
        (1, N_PORTS + 1), summary


# == configuration errors =====================================================

CFG_HEAD = [
    "ports:",
    "  - name: lan0",
    "    role: lan",
    "    devargs: \"net_pcap0,rx_pcap=/dev/null\"",
    "    addresses: [fd42:100:1::1/64, 192.0.2.1/24]",
    "  - name: wan1",
    "    role: wan",
    "    devargs: \"net_pcap1,rx_pcap=/dev/null\"",
    f"    addresses: [{WAN6}/64, {WAN4}/28]",
    "uplinks:",
    f"  - {{name: isp1, port: wan1, next_hop: \"{GW6}\", "
    f"next_hop_v4: {GW4}, delegated_prefix: \"2001:db8:1100:1::/64\"}}",
    "steering:",
    "  inside_prefixes: [fd42:100:1::/64, 192.0.2.0/24]",
    "nat44:",
    "  max_sessions: 4096",
]


@pytest.fixture
def cfgdir():
    d = Path(tempfile.mkdtemp(prefix="nep-natcfg-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def check_config(cfgdir, lines):
    cfg = cfgdir / "neptune.yaml"
    cfg.write_text("\n".join(CFG_HEAD + lines) + "\n")
    p = subprocess.run([str(NEPTUNE), "--check-config", str(cfg)],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr, cfg


def test_check_config_good(cfgdir):
    rc, out, _ = check_config(cfgdir, [
        "  filtering: address-dependent",
        "  timeouts: {udp_s: 120, tcp_established_s: 7440}",
        "  port_block: 1024",
        "  uplinks:",
        f"    - {{uplink: isp1, addresses: [{WAN4}, {ONE_PUB}]}}",
        "  inbound:",
        f"    - {{name: dmz, public: {ONE_PUB}, to: {ONE}}}"])
    assert rc == 0, out


@pytest.mark.parametrize("name,lines,at,what", [
    ("udp timeout", ["  timeouts:", "    udp_s: 119"], "119",
     "nat44.timeouts.udp_s: below the minimum"),
    ("port block", ["  port_block: 768"], "768",
     "nat44.port_block: must be a power of two"),
    ("unknown uplink", ["  uplinks:", "    - uplink: isp9"], "isp9",
     "nat44.uplinks[0].uplink: unknown uplink 'isp9'"),
    ("1:1 not in a pool", ["  inbound:",
                           f"    - {{name: dmz, public: {ONE_PUB}, "
                           f"to: {ONE}}}"], ONE_PUB,
     "nat44.inbound[0].public: not a public address of a NAT44 uplink"),
])
def test_check_config_errors(cfgdir, name, lines, at, what):
    """Each error names file:line:column of the offending value and its
    key path; neptune --check-config fails."""
    rc, out, cfg = check_config(cfgdir, lines)
    assert rc != 0, out
    allv = CFG_HEAD + lines
    ln = max(i for i, x in enumerate(allv) if at in x)
    want = f"{cfg}:{ln + 1}:{allv[ln].index(at) + 1}: {what}"
    assert want in out, out


# == neptune's own errors about inbound packets ===============================

def test_errors_about_inbound_quote_what_was_received(dataplane):
    """An inbound packet to a mapping that cannot be delivered (TTL 1; DF
    and bigger than lan0's MTU 1280): neptune's Time Exceeded / Fragmentation
    Needed to the remote quotes the packet as the remote sent it, to
    198.51.100.18:41000, as multihoming does for NPTv6 (the remote must
    recognise its packet; the inside address must not leak)."""
    dp = dataplane(inputs={"lan0": [lan(UDP_A)]},
                   extra_cfg=nat_cfg({"max_sessions": 4096}),
                   port_cfg={"lan0": {"mtu": 1280}},
                   fifo_ports=["wan1"]).start()
    dp.wait_idle()
    ttl1 = udp(REMOTE4, WAN4, 5001, 41000, b"ttl one", ident=0x999, ttl=1)
    big = udp(REMOTE4, WAN4, 5001, 41000, bytes(1372), ident=0x998, ttl=50)
    assert len(big) == 1400
    dp.feed("wan1", [wan(ttl1), wan(big)])
    dp.close_feed("wan1")
    dp.wait_idle()
    r = dp.stop()

    def err(icmp, quote):
        return to_wan(IP(src=WAN4, dst=REMOTE4, ttl=64, id=0, flags=0) /
                      icmp / Raw(bytes(quote)[:548]))
    assert_frames(r.outputs["wan1"], [
        to_wan(xl(UDP_A, src=WAN4)), err(ICMP(type=11, code=0), ttl1),
        err(ICMP(type=3, code=4, nexthopmtu=1280), big)], "wan1",
        ordered=False)
    assert r.outputs["lan0"] == []
    assert r.nonzero_drops() == {"hop_limit_exceeded": 1,
                                 "mtu_exceeded": 1}, r.nonzero_drops()


# == reload ===================================================================

def reload_run(nat44, before, new_nat44, after_lan, after_wan):
    """A lock-step run: the lan0 frames before, a reload with the nat44
    section updated by new_nat44, then after_lan and after_wan. Returns
    (Result, reload reply, nonzero drops before the reload); r.kicks."""
    dp = Dataplane(extra_cfg=nat_cfg(nat44, burst=1),
                   fifo_ports=["lan0", "wan1"])
    try:
        dp.start()
        ls = Lockstep(dp)
        ls.lan(*before)
        dp.wait_idle()
        drops = {k: v for k, v in dp.drops().items() if v}
        cfg = copy.deepcopy(dp.cfg)
        cfg["nat44"].update(new_nat44)
        dp.write_config(cfg)
        reply = ls.command("reload")
        ls.lan(*after_lan)
        ls.wan(*after_wan)
        dp.wait_idle()
        r = dp.stop()
    finally:
        dp.cleanup()
    r.kicks = ls.kicks
    return r, reply, drops


def test_reload_max_per_host():
    """docs/nat44.md: a reload may change the per-host limit.
    max_per_host 2: HOST4's 3rd and 4th new mappings are dropped; after a
    reload with max_per_host 4 the same two are mapped and a 5th is
    dropped."""
    flows = [udp(HOST4, REMOTE4, 45000 + i, 5001, b"flow %d" % i,
                 ident=0xa00 + i) for i in range(5)]
    again = [udp(HOST4, REMOTE4, 45000 + i, 5001, b"again %d" % i,
                 ident=0xa10 + i) for i in range(5)]
    r, reply, before = reload_run(
        {"max_sessions": 4096, "max_per_host": 2},
        [lan(p) for p in flows[:4]], {"max_per_host": 4},
        [lan(p) for p in again[2:5]], [])
    assert reply[0], reply
    assert before == {"l2_not_for_us": 4, "nat44_host_limit": 2}, before
    assert_frames(r.outputs["wan1"],
                  [to_wan(xl(p, src=WAN4)) for p in flows[:2] + again[2:4]],
                  "wan1 (the 2 first, then the 2 the new limit allows)")
    assert r.nonzero_drops() == {"l2_not_for_us": r.kicks,
                                 "nat44_host_limit": 3}, r.nonzero_drops()


def test_reload_filtering():
    """docs/nat44.md: a reload may change the filtering. Endpoint-
    independent, HOST4:45000 and :45001 send to REMOTE4:5001; reload with
    address-dependent; :45001 sends again. REMOTE4's answers to both
    mappings get in (it was contacted: a reload does not make existing
    mappings forget the remotes they sent to), REMOTE_C's is filtered."""
    a = udp(HOST4, REMOTE4, 45000, 5001, b"to remote4", ident=0xb00)
    b = udp(HOST4, REMOTE4, 45001, 5001, b"to remote4 too", ident=0xb01)
    b2 = udp(HOST4, REMOTE4, 45001, 5001, b"after the reload", ident=0xb02)
    ra = udp(REMOTE4, WAN4, 5001, 45000, b"answer a", ident=0xb10, ttl=50)
    rb = udp(REMOTE4, WAN4, 5001, 45001, b"answer b", ident=0xb11, ttl=50)
    rc = udp(REMOTE_C, WAN4, 5001, 45000, b"not contacted", ident=0xb12,
             ttl=50)
    r, reply, before = reload_run(
        {"max_sessions": 4096}, [lan(a), lan(b)],
        {"filtering": "address-dependent"}, [lan(b2)],
        [wan(ra), wan(rb), wan(rc)])
    assert reply[0], reply
    assert_frames(r.outputs["wan1"],
                  [to_wan(xl(p, src=WAN4)) for p in (a, b, b2)], "wan1")
    assert_frames(r.outputs["lan0"],
                  [to_lan(xl(p, dst=HOST4)) for p in (ra, rb)], "lan0")
    assert r.nonzero_drops() == {"l2_not_for_us": r.kicks,
                                 "nat44_filtered": 1}, r.nonzero_drops()


# == a port forward on an uplink of two addresses =============================

WAN4_B = "198.51.100.20"


def test_port_forward_reply_from_the_address_used(dataplane):
    """isp1 has two public addresses; the forward tcp 8080 -> SERVER:80
    is on both. A connection to each one is answered from the address it
    came to (the reply flow's cookie), on every packet of the reply, not
    from the uplink's first address."""
    syn_a = tcp4(REMOTE4, WAN4, 50001, 8080, "S", 100, ident=0x901, ttl=50)
    syn_b = tcp4(REMOTE_B, WAN4_B, 50002, 8080, "S", 200, ident=0x902,
                 ttl=50)
    rep_a = [tcp4(SERVER, REMOTE4, 80, 50001, fl, 900 + i, 101,
                  ident=0x911 + i) for i, fl in enumerate(("SA", "A"))]
    rep_b = [tcp4(SERVER, REMOTE_B, 80, 50002, fl, 700 + i, 201,
                  ident=0x921 + i) for i, fl in enumerate(("SA", "A"))]
    cfg = nat_cfg({"max_sessions": 4096, "inbound": FWD[:1],
                   "uplinks": [{"uplink": "isp1",
                                "addresses": [WAN4, WAN4_B]}]}, burst=1)
    dp = dataplane(extra_cfg=cfg, fifo_ports=["lan0", "wan1"]).start()
    ls = Lockstep(dp)
    ls.wan(wan(syn_a), wan(syn_b))
    ls.lan(*[lan(p, SERVER_MAC) for p in rep_a + rep_b])
    dp.wait_idle()
    r = dp.stop()
    assert_frames(r.outputs["lan0"],
                  [to_lan(xl(syn_a, dst=SERVER, dport=80)),
                   to_lan(xl(syn_b, dst=SERVER, dport=80))], "lan0")
    assert_frames(r.outputs["wan1"],
                  [to_wan(xl(p, src=WAN4, sport=8080)) for p in rep_a] +
                  [to_wan(xl(p, src=WAN4_B, sport=8080)) for p in rep_b],
                  "wan1")
    assert r.nonzero_drops() == {"l2_not_for_us": ls.kicks}, \
        r.nonzero_drops()


# == the fast path: established flows, the same bytes as the stages ===========

def u4(host, data, ident, sport=43000, ttl=64):
    return udp(host, REMOTE4, sport, 5001, data, ident=ident, ttl=ttl)


# Established flows of two hosts (UDP, a whole TCP connection), then IPv4
# the fast path leaves to the stages: a bad header checksum, IP options,
# TTL 1, a frame padded beyond its IP length.
FAST_UDP = [(HOST4 if n % 2 == 0 else HOST2, b"u%d" % n, 0x500 + n)
            for n in range(10)]
FAST_TCP = [tcp4(HOST4, REMOTE4, 44000, 80, fl, seq, ack=ack,
                 ident=0x520 + i, data=data)
            for i, (fl, seq, ack, data) in enumerate(
                [("S", 100, 0, b""), ("A", 101, 1, b""),
                 ("PA", 101, 1, b"get"), ("FA", 104, 1, b""),
                 ("A", 105, 2, b"")])]
FAST_OPTS = IP(src=HOST4, dst=REMOTE4, ttl=64, id=0x531, flags="DF",
               options=[b"\x01\x01\x01\x00"]) / \
    UDP(sport=43000, dport=5001) / Raw(b"with options")
FAST_TTL1 = u4(HOST4, b"ttl 1", 0x532, ttl=1)
FAST_PAD = u4(HOST4, b"pad", 0x533)
# after `clear nat44 sessions`: the flow entries' cookies are stale
FAST_AGAIN = [u4(HOST4, b"after clear", 0x540),
              u4(HOST4, b"and again", 0x541)]


def fast_frames():
    bad = bytearray(lan(u4(HOST4, b"bad ck", 0x530)))
    bad[24] ^= 0x01
    return [lan(u4(h, d, i), MAC_OF[h]) for h, d, i in FAST_UDP] + \
        [lan(p) for p in FAST_TCP] + \
        [bytes(bad), lan(FAST_OPTS), lan(FAST_TTL1),
         lan(FAST_PAD) + b"\x00" * 12]


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "general"])
def test_fast_path_matches_stages(dataplane, fast_path):
    """The same traffic with the fused fast path and with the stages only
    (dataplane.fast_path false): the same frames out, byte for byte (each
    the scapy recomputation of its translation, TTL one lower), the same
    drops and mappings; the fast path took the established flows (flow
    cache hits), the stages none. After `clear nat44 sessions` the flow
    entries' cookies name freed mappings: the next datagrams are given to
    the stages, which make new mappings (the same preserved port), and
    leave translated."""
    cfg = nat_cfg({"max_sessions": 4096})
    cfg["dataplane"] = {"fast_path": fast_path, "burst": 1}
    dp = dataplane(extra_cfg=cfg, fifo_ports=["lan0", "wan1"]).start()
    ls = Lockstep(dp)
    ls.lan(*fast_frames())
    dp.wait_idle()
    before = sessions(dp)
    st = [x for x in dp.json("show lcores")["lcores"]
          if x["role"] == "worker"][0]
    assert ls.command("clear nat44 sessions")[0]
    ls.lan(LAN_KICK)	# a poll after the clear flag
    dp.wait_for("the mappings cleared",
                lambda: dp.json("show nat44 sessions")["total"] == 0)
    ls.lan(*[lan(p) for p in FAST_AGAIN])
    dp.wait_idle()
    after = sessions(dp)
    r = dp.stop()
    p_h2 = before[("udp", HOST2, 43000)]["public_port"]
    want = [to_wan(xl(u4(h, d, i), src=WAN4,
                      sport=43000 if h == HOST4 else p_h2))
            for h, d, i in FAST_UDP]
    want += [to_wan(xl(p, src=WAN4)) for p in FAST_TCP]
    want += [to_wan(xl(p, src=WAN4)) for p in (FAST_OPTS, FAST_PAD)]
    want += [to_wan(xl(p, src=WAN4)) for p in FAST_AGAIN]
    assert_frames(r.outputs["wan1"], want, "wan1")
    # TTL 1: time exceeded to the host, quoting what it sent
    lan_out = [f for f in r.outputs["lan0"] if IP(f[14:]).proto == 1]
    assert len(lan_out) == 1 and IP(lan_out[0][14:])[ICMP].type == 11
    # (the kick after the clear is one more frame not for us)
    assert r.nonzero_drops() == {"ip4_bad_checksum": 1,
                                 "hop_limit_exceeded": 1,
                                 "l2_not_for_us": ls.kicks + 1}, \
        r.nonzero_drops()
    assert {k: v["packets_out"] for k, v in before.items()} == \
        {("udp", HOST4, 43000): 5 + 2, ("udp", HOST2, 43000): 5,
         ("tcp", HOST4, 44000): 5}, before
    assert before[("tcp", HOST4, 44000)]["state"] == "fin_wait_out", before
    assert {k: (v["packets_out"], v["public_port"]) for k, v in
            after.items()} == {("udp", HOST4, 43000): (2, 43000)}, after
    if fast_path:
        # 15 packets of 3 flows: each flow's first two miss the
        # exact-match cache (the first makes the flow, the second finds
        # it in the table and fills the cache); the four odd ones never
        # look
        assert (st["flow_cache_hits"], st["flow_cache_misses"]) == \
            (15 - 6, 6), st
    else:
        assert st["flow_cache_hits"] == 0 and \
            st["flow_cache_misses"] == 0, st
