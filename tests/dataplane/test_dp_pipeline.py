#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The worker pipeline (app/neptune/nep_pipeline.h, worker.c): the fused
burst fast path against the general path, the outcome accounting of both
planes, the Packet Too Big of a steered packet, `trace`, `show runtime` and
`show errors`.

Topology: the four-port steering topology of test_dp_steering.py (lan0,
wan1/isp1, wan2/isp2, wan3/isp3, strict policies srv1..3, balanced 70/30
over isp1/isp2, excluded prefixes), plus:

  - wan2's MTU is 1400 (the default route's port, wan1, keeps 1500);
  - isp4, a backup uplink on wan3 whose health is enabled but never
    answered (interval and timeout 60 s): it stays `unknown`, never
    usable, so the strict policy to-srv4 -> isp4 is refused
    (strict_uplink_down, Destination Unreachable);
  - more inside hosts fd42:100:1::11..17, and the unmappable inside
    address fd42:100:1:0:ffff:ffff:ffff:ffff, as static neighbours on lan0
    (so every ICMP error has a resolved next hop); fd42:100:1::99 is left
    unresolved (its packets are held, NS sent once: retrans_ms 60 s);
  - ICMP errors are not rate limited (the limiter is a clock) and the punt
    ring is large, so two runs of the same input decide alike.

What is checked:

  1. differential: a seeded random mix (about 8000 frames on the four
     ports: steered TCP/UDP flows of several packets from nine inside
     hosts, strict/balanced/excluded/down destinations, IPv4, LAN traffic
     from outside the inside prefix, WAN->LAN to the delegated prefixes and
     to other addresses, hop limits 1 and 2, 1450- and 1560-byte packets,
     malformed frames, multicast, link-local, other MACs, ARP, ND, echo and
     UDP to the appliance, unmappable sources and destinations, an
     unresolved host) gives the same bytes, drops, `show stats`, uplink
     and flow counters with the fast path, without it
     (`dataplane.fast_path: false`) and with `dataplane.burst: 1`; the
     packets of one flow keep their order whichever path takes each;
  2. accounting: worker rx = forwarded + punted + drops and punted =
     local + control forwarded + held + control drops, in the mixed runs,
     with the punt ring overflowing (each packet still counted once), with
     a neighbour resolving mid-run, and for every ICMP error decision;
  3. Packet Too Big with the MTU of the steered flow's uplink, quoting the
     packet as the host sent it, for new and established flows; errors
     about inbound (DNPT) packets quoting them as received;
  4. `trace add N [port NAME]`, `show trace [--json]`, `clear trace`;
  5. `show runtime`, `show errors`, `show local`.
"""
import collections
import ipaddress
import json
import random
import re
import socket
import struct
import time

import pytest

from dp_packets import (ARP, ICMP, ICMPv6EchoRequest, ICMPv6ND_NA,
                        ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                        ICMPv6NDOptSrcLLAddr, ICMPv6PacketTooBig, IP, IPv6,
                        Raw, UDP, icmp6_error, inet_csum, mcast_mac,
                        solicited_node)
from neptune_dp import (Dataplane, DataplaneError, GW4, GW6, GW_MAC, HOST4,
                        HOST6, HOST_MAC, LAN0_MAC, LAN4, LAN6, REMOTE4,
                        REMOTE6, WAN1_MAC, WAN6, assert_frames, describe,
                        hexdump, merge)
from scapy.layers.inet import TCP
from scapy.layers.inet6 import (ICMPv6ParamProblem, ICMPv6TimeExceeded,
                                IPv6ExtHdrDestOpt)
from scapy.layers.l2 import Ether
from test_dp_steering import (EXCLUDED_WAN_DST, EXTRA_PORTS, GW2_MAC,
                              GW3_MAC, HOST2_6, HOST2_MAC, SRV, WAN2_MAC,
                              WAN3_MAC, XLAT, steering_cfg)

# -- topology additions --------------------------------------------------------

WAN2_MTU = 1400
GW4_6, GW4_MAC = "2001:db8:30:1::4", "02:00:00:00:bb:04"   # isp4 on wan3
ISP4_PREFIX = "2001:db8:4400:1::/64"
SRV4 = "2001:db8:404:4::10"          # strict to isp4 (never usable)
UNMAPPABLE_IN = "fd42:100:1:0:ffff:ffff:ffff:ffff"
UNRESOLVED = "fd42:100:1::99"
HOSTS = [HOST6, HOST2_6] + [f"fd42:100:1::{i:x}" for i in range(0x11, 0x18)]
HOST_MACS = {HOST6: HOST_MAC, HOST2_6: HOST2_MAC}
HOST_MACS.update({f"fd42:100:1::{i:x}": f"02:00:00:00:aa:{i:02x}"
                  for i in range(0x11, 0x18)})
HOST_MACS[UNMAPPABLE_IN] = "02:00:00:00:aa:ff"
WAN_PORT = {"isp1": "wan1", "isp2": "wan2", "isp3": "wan3"}
PORT_MAC = {"lan0": LAN0_MAC, "wan1": WAN1_MAC, "wan2": WAN2_MAC,
            "wan3": WAN3_MAC}
GW_OF_PORT = {"wan1": GW_MAC, "wan2": GW2_MAC, "wan3": GW3_MAC}
PORTS = ("lan0", "wan1", "wan2", "wan3")
BALANCED = ["2001:db8:998:1::10", "2001:db8:998:2::20", "2001:db8:997::1",
            "2001:db8:996:5::7"]
# The NPTv6 adjustment word of each uplink for fd42:100:1::/64 (the golden
# vectors of docs/multihoming.md: fd42:100:1::10 -> <prefix>:<adj>::10).
ADJ = {"isp1": 0xbf89, "isp2": 0xae89, "isp3": 0x9d89}
PREFIX = {"isp1": "2001:db8:1100:1", "isp2": "2001:db8:2200:1",
          "isp3": "2001:db8:3300:1"}


def xlat(host, uplink):
    """An inside host fd42:100:1::X (word 4 zero) as translated on uplink."""
    low = ipaddress.IPv6Address(host).packed[8:]
    assert low[:2] == b"\0\0", host
    hi = ipaddress.IPv6Address(PREFIX[uplink] + "::").packed[:8]
    return str(ipaddress.IPv6Address(hi + struct.pack("!H", ADJ[uplink]) +
                                     low[2:]))


assert xlat(HOST6, "isp1") == XLAT["isp1"] and \
    xlat(HOST6, "isp2") == XLAT["isp2"] and xlat(HOST6, "isp3") == XLAT["isp3"]


def pipeline_cfg(fast_path=None, burst=None, punt_ring_size=8192,
                 icmp_unlimited=True):
    cfg = steering_cfg()
    cfg["uplinks"].append({
        "name": "isp4", "port": "wan3", "next_hop": GW4_6,
        "delegated_prefix": ISP4_PREFIX, "role": "backup",
        "health": {"enabled": True, "interval_ms": 60000,
                   "timeout_ms": 60000}})
    cfg["steering"]["policies"].append(
        {"name": "to-srv4", "destination": "2001:db8:404:4::/64",
         "mode": "strict", "uplink": "isp4"})
    # (2001:db8:404:1::/64 stays excluded; to-srv4 is another /64.)
    static = cfg["neighbors"]["static"]
    static.append({"port": "wan3", "address": GW4_6, "mac": GW4_MAC})
    for h, m in HOST_MACS.items():
        if h not in (HOST6, HOST2_6):
            static.append({"port": "lan0", "address": h, "mac": m})
    cfg["neighbors"]["retrans_ms"] = 60000
    dp = {"punt_ring_size": punt_ring_size}
    if fast_path is not None:
        dp["fast_path"] = fast_path
    if burst is not None:
        dp["burst"] = burst
    cfg["dataplane"] = dp
    if icmp_unlimited:
        cfg["icmp"] = {"rate_pps": 1000000, "burst": 1000000}
    return cfg


def make_dp(inputs=None, fifo_ports=(), **kw):
    return Dataplane(inputs=inputs, extra_ports=EXTRA_PORTS,
                     extra_cfg=pipeline_cfg(**kw),
                     port_cfg={"wan2": {"mtu": WAN2_MTU}},
                     fifo_ports=fifo_ports)


# -- fast frame builders (thousands of frames; scapy for the odd ones) --------

def _mac(m):
    return bytes.fromhex(m.replace(":", ""))


def _a6(a):
    return ipaddress.IPv6Address(a).packed


def _l4_csum(src, dst, proto, l4):
    pseudo = src + dst + struct.pack("!IxxxB", len(l4), proto)
    return inet_csum(pseudo + l4)


def ip6(smac, dmac, src, dst, proto, l4, hlim=64):
    s, d = _a6(src), _a6(dst)
    if proto in (6, 17, 58):
        off = {6: 16, 17: 6, 58: 2}[proto]
        l4 = bytearray(l4)
        l4[off:off + 2] = b"\0\0"
        ck = _l4_csum(s, d, proto, bytes(l4))
        if proto == 17 and ck == 0:
            ck = 0xffff
        l4[off:off + 2] = struct.pack("!H", ck)
        l4 = bytes(l4)
    hdr = struct.pack("!IHBB", 6 << 28, len(l4), proto, hlim) + s + d
    return _mac(dmac) + _mac(smac) + b"\x86\xdd" + hdr + l4


def udp_l4(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp_l4(sport, dport, seq, flags, data):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 1000, 5 << 4, flags,
                       65535, 0, 0) + data


def data_of(seq, l3_len, hdr):
    """Payload making the L3 packet l3_len bytes, starting with its unique
    sequence number."""
    n = max(l3_len - 40 - hdr, 8)
    tag = b"#%07d:" % seq
    return (tag * (n // len(tag) + 1))[:n]


def u6_frame(dst, sport, l3_len, tag, src=HOST6, hlim=64):
    l3 = IPv6(src=src, dst=dst, hlim=hlim) / UDP(sport=sport, dport=5001) / \
        Raw(data_of(tag, l3_len, 8))
    assert len(l3) == l3_len
    return l3


def merge_cfg(base, extra):
    merge(base, extra)
    return base


def flow_key(f):
    """What identifies the flow of an emitted frame: addresses, protocol,
    ports or ICMP type, and for an ICMP error the flow it quotes."""
    et = f[12:14]
    if et == b"\x86\xdd" and len(f) >= 54:
        nh, k = f[20], (f[22:38], f[38:54])
        if nh in (6, 17) and len(f) >= 58:
            return ("6", nh) + k + (f[54:58],)
        if nh == 58 and len(f) >= 62:
            q = f[62:62 + 40 + 4] if f[54] < 128 else b""
            return ("6", nh, f[54]) + k + (q[8:40], q[6:7], q[40:44])
        return ("6", nh) + k
    if et == b"\x08\x00" and len(f) >= 34:
        ihl = (f[14] & 15) * 4
        nh, k = f[23], (f[26:30], f[30:34])
        l4 = 14 + ihl
        if nh in (6, 17):
            return ("4", nh) + k + (f[l4:l4 + 4],)
        if nh == 1:
            q = f[l4 + 8:l4 + 8 + 24]
            return ("4", nh, f[l4:l4 + 1]) + k + (q[12:20], q[9:10],
                                                   q[20:24])
        return ("4", nh) + k
    return ("l2", et, f[:12])


# -- the mixed traffic --------------------------------------------------------

def is_probe(f):
    """isp4's health probe (an echo request to its next hop, with a
    timestamp in it): the one frame two runs do not emit alike."""
    return f[12:14] == b"\x86\xdd" and f[20] == 58 and f[54] == 128 and \
        f[38:54] == _a6(GW4_6)


class Mix:
    """A seeded random mix: {port: [frame bytes]} and what went into it."""

    def __init__(self, seed, n_lan_flows=900, n_wan_flows=220):
        self.rng = rng = random.Random(seed)
        self.seq = 0
        self.counts = collections.Counter()
        lan = self._interleave(self._lan_flows(n_lan_flows))
        wan = {p: self._interleave(self._wan_flows(p, n_wan_flows))
               for p in ("wan1", "wan2", "wan3")}
        for f in self._lan_specials():
            lan.insert(rng.randrange(len(lan) + 1), f)
        for p in wan:
            for f in self._wan_specials(p):
                wan[p].insert(rng.randrange(len(wan[p]) + 1), f)
        self.inputs = {"lan0": lan, **wan}

    def n(self):
        return sum(len(v) for v in self.inputs.values())

    def _next(self):
        self.seq += 1
        return self.seq

    def _interleave(self, flows):
        """Packets of many flows, merged at random, each flow in order."""
        out, live = [], [list(f) for f in flows if f]
        while live:
            i = self.rng.randrange(len(live))
            out.append(live[i].pop(0))
            if not live[i]:
                live.pop(i)
        return out

    def _size(self):
        r = self.rng.random()
        if r < 0.04:
            return 1450          # too big for wan2 (1400) only
        if r < 0.06:
            return 1560          # too big for every port
        return self.rng.randrange(48, 1300)

    def _hlim(self):
        r = self.rng.random()
        if r < 0.02:
            self.counts["hlim1"] += 1
            return 1
        if r < 0.04:
            return 2
        return 64

    def _flow(self, smac, dmac, src, dst, sport, dport, tcp, npk):
        pk, seqno = [], self.rng.randrange(1 << 30)
        for i in range(npk):
            s, hl = self._next(), self._hlim()
            if tcp:
                flags = 0x02 if i == 0 else (0x11 if i == npk - 1 else 0x10)
                data = data_of(s, self._size(), 20)
                l4 = tcp_l4(sport, dport, seqno, flags, data)
                seqno += len(data)
                pk.append(ip6(smac, dmac, src, dst, 6, l4, hl))
            else:
                pk.append(ip6(smac, dmac, src, dst, 17,
                              udp_l4(sport, dport,
                                     data_of(s, self._size(), 8)), hl))
        return pk

    def _lan_flows(self, n):
        rng, flows = self.rng, []
        dsts = [(SRV["isp1"], 3), (SRV["isp2"], 3), (SRV["isp3"], 2),
                (SRV4, 1), (EXCLUDED_WAN_DST, 1), (HOST2_6, 1),
                (UNRESOLVED, 0.3)] + [(b, 4) for b in BALANCED]
        names, weights = zip(*dsts)
        for _ in range(n):
            src = rng.choice(HOSTS)
            dst = rng.choices(names, weights)[0]
            if dst == src:
                dst = BALANCED[0]
            flows.append(self._flow(HOST_MACS[src], LAN0_MAC, src, dst,
                                    rng.randrange(1024, 65535),
                                    rng.choice([53, 80, 443, 5001, 8080]),
                                    rng.random() < 0.4, rng.randint(1, 10)))
        # Routed LAN traffic from outside the inside prefix.
        for src in ("fd42:200::5", "2001:db8:77::5"):
            for _ in range(6):
                flows.append(self._flow(HOST_MAC, LAN0_MAC, src, REMOTE6,
                                        rng.randrange(1024, 65535), 80,
                                        rng.random() < 0.5,
                                        rng.randint(1, 6)))
        # IPv4 from inside (routed untranslated through GW4).
        for _ in range(12):
            sport, pk = rng.randrange(1024, 65535), []
            for i in range(rng.randint(1, 6)):
                s = self._next()
                size, ttl = self._size(), self._hlim()
                df = rng.random() < 0.7
                p = Ether(src=HOST_MAC, dst=LAN0_MAC) / \
                    IP(src=HOST4, dst=REMOTE4, ttl=ttl, id=s & 0xffff,
                       flags="DF" if df else 0) / \
                    UDP(sport=sport, dport=5001) / \
                    Raw(data_of(s, size + 20, 8))
                pk.append(bytes(p))
            flows.append(pk)
        return flows

    def _wan_flows(self, port, n):
        """Return traffic (to the delegated prefixes, DNPT) and transit."""
        rng, flows = self.rng, []
        up = {"wan1": "isp1", "wan2": "isp2", "wan3": "isp3"}[port]
        gw, me = GW_OF_PORT[port], PORT_MAC[port]
        for _ in range(n):
            host = rng.choice(HOSTS)
            r = rng.random()
            if r < 0.8:
                dst = xlat(host, up)
            elif r < 0.85:
                dst = xlat(UNRESOLVED, up)
            elif r < 0.92:
                dst = REMOTE6                 # transit: not delegated here
            else:
                # Another uplink's prefix arriving on the wrong port.
                other = rng.choice([u for u in ADJ if u != up])
                dst = xlat(host, other)
            src = rng.choice([SRV["isp1"], SRV["isp2"], BALANCED[1],
                              "2001:db8:555::1"])
            flows.append(self._flow(gw, me, src, dst, rng.choice([80, 443]),
                                    rng.randrange(1024, 65535),
                                    rng.random() < 0.4, rng.randint(1, 8)))
        if port == "wan3":
            # isp4's delegated prefix is translated back too.
            for _ in range(5):
                dst = ipaddress.IPv6Address(int(ipaddress.IPv6Address(
                    "2001:db8:4400:1::")) + rng.randrange(1, 1 << 16))
                flows.append(self._flow(gw, me, SRV["isp3"], str(dst), 80,
                                        rng.randrange(1024, 65535), False,
                                        rng.randint(1, 3)))
        return flows

    def _lan_specials(self):
        """The odd frames from the LAN."""
        out = []
        h = Ether(src=HOST_MAC, dst=LAN0_MAC)

        def u6(src=HOST6, dst=BALANCED[0], hlim=64, sport=33333, n=40):
            s = self._next()
            return IPv6(src=src, dst=dst, hlim=hlim) / \
                UDP(sport=sport, dport=7) / Raw(data_of(s, n + 48, 8))
        # Malformed and unwanted.
        good = bytes(h / u6())
        out.append(good[:14 + 30])                          # truncated IPv6
        out.append(good[:10])                               # runt
        bad = bytearray(good)
        bad[14] = 0x45                                      # version 4 in v6
        out.append(bytes(bad))
        bad = bytearray(good)
        bad[18:20] = b"\x05\xdc"                            # payload length
        out.append(bytes(bad))
        out.append(bytes(Ether(src=HOST_MAC, dst=LAN0_MAC, type=0x88b5) /
                         Raw(b"\0" * 46)))                  # unknown type
        v4 = bytearray(bytes(h / IP(src=HOST4, dst=REMOTE4) /
                             UDP(sport=1, dport=2) / Raw(b"x" * 30)))
        v4[24] ^= 0xff                                      # IPv4 checksum
        out.append(bytes(v4))
        out.append(bytes(h / IPv6(src=HOST6, dst=BALANCED[0], nh=6) /
                         Raw(b"\0" * 8)))                   # L4 truncated
        for i in range(4):                                  # another MAC
            out.append(bytes(Ether(src=HOST_MAC, dst="02:00:00:00:ee:%02x" % i)
                             / u6(sport=34000 + i)))
        # Padded (Ethernet trailer beyond the IP length): trimmed, forwarded.
        for i in range(6):
            out.append(bytes(h / u6(sport=35000 + i, n=10)) + b"\0" * 20)
        # Multicast, link-local.
        for i in range(3):
            out.append(bytes(Ether(src=HOST_MAC, dst="33:33:00:00:00:fb") /
                             u6(dst="ff02::fb", sport=5353 + i)))
            out.append(bytes(h / u6(dst="fe80::1", sport=36000 + i)))
        # Neighbour discovery, ARP, echo, UDP to the appliance.
        for i in range(3):
            out.append(bytes(Ether(src=HOST_MAC, dst=mcast_mac(
                solicited_node(LAN6))) /
                IPv6(src=HOST6, dst=solicited_node(LAN6), hlim=255) /
                ICMPv6ND_NS(tgt=LAN6) / ICMPv6NDOptSrcLLAddr(lladdr=HOST_MAC)))
            out.append(bytes(Ether(src=HOST_MAC, dst="ff:ff:ff:ff:ff:ff") /
                             ARP(op=1, hwsrc=HOST_MAC, psrc=HOST4,
                                 pdst=LAN4)))
            out.append(bytes(h / IPv6(src=HOST6, dst=LAN6) /
                             ICMPv6EchoRequest(id=7, seq=i) /
                             Raw(b"ping lan6 %d" % i)))
            out.append(bytes(h / IPv6(src=HOST6, dst=WAN6) /
                             ICMPv6EchoRequest(id=8, seq=i) /
                             Raw(b"ping wan6 %d" % i)))
            out.append(bytes(h / IP(src=HOST4, dst=LAN4) /
                             ICMP(type=8, id=9, seq=i) / Raw(b"ping4 %d" % i)))
            out.append(bytes(h / u6(dst=LAN6, sport=37000 + i)))
            # Steered ICMPv6 echo through an uplink.
            out.append(bytes(h / IPv6(src=HOST6, dst=SRV["isp2"]) /
                             ICMPv6EchoRequest(id=10, seq=i) /
                             Raw(b"steered echo %d" % i)))
        # Unmappable source: Parameter Problem (pointer 8) from the egress.
        for i in range(3):
            out.append(bytes(Ether(src=HOST_MACS[UNMAPPABLE_IN],
                                   dst=LAN0_MAC) /
                             u6(src=UNMAPPABLE_IN, dst=SRV["isp1"],
                                sport=38000)))
        return out

    def _wan_specials(self, port):
        out = []
        up = {"wan1": "isp1", "wan2": "isp2", "wan3": "isp3"}[port]
        h = Ether(src=GW_OF_PORT[port], dst=PORT_MAC[port])

        def u6(dst, src=SRV["isp1"], hlim=64, sport=80, n=40):
            s = self._next()
            return IPv6(src=src, dst=dst, hlim=hlim) / \
                UDP(sport=sport, dport=40000) / Raw(data_of(s, n + 48, 8))
        # Unmappable destination in the delegated prefix: Parameter Problem
        # pointer 24.
        out.append(bytes(h / u6(PREFIX[up] + ":ffff:ffff:ffff:ffff")))
        # Expiring, too big for lan0, for another MAC, echo to us.
        for i in range(2):
            out.append(bytes(h / u6(xlat(HOST6, up), hlim=1, sport=81 + i)))
            out.append(bytes(h / u6(xlat(HOST6, up), sport=83 + i, n=1550)))
            out.append(bytes(Ether(src=GW_OF_PORT[port],
                                   dst="02:00:00:00:ee:%02x" % (0x40 + i)) /
                             u6(xlat(HOST6, up), sport=85 + i)))
        me = {"wan1": WAN6, "wan2": "2001:db8:20:1::2",
              "wan3": "2001:db8:30:1::2"}[port]
        out.append(bytes(h / IPv6(src=SRV["isp1"], dst=me) /
                         ICMPv6EchoRequest(id=11) / Raw(b"ping " + port.encode())))
        # To the delegated prefix's image of our own LAN address.
        out.append(bytes(h / u6(xlat(LAN6, up), sport=87)))
        if port == "wan1":
            out.append(bytes(h / IPv6(src=GW6, dst=solicited_node(WAN6),
                                      hlim=255) /
                             ICMPv6ND_NS(tgt=WAN6) /
                             ICMPv6NDOptSrcLLAddr(lladdr=GW_MAC)))
            out.append(bytes(h / IP(src=REMOTE4, dst=HOST4, ttl=30) /
                             UDP(sport=5001, dport=40000) / Raw(b"v4 in")))
        return out


# -- running and comparing ---------------------------------------------------

def run_collect(inputs, timeout=40, **kw):
    """One run: outputs, drops, stats, and what only a live neptune can tell
    (uplinks, lcores, runtime, errors)."""
    dp = make_dp(inputs=inputs, **kw)
    try:
        dp.start()
        dp.wait_idle(timeout=timeout)
        live = {"uplinks": {u["name"]: u for u in
                            dp.json("show uplinks")["uplinks"]},
                "lcores": dp.json("show lcores")["lcores"],
                "runtime": {s["stage"]: s for s in
                            dp.json("show runtime")["stages"]},
                "errors": dp.json("show errors")["errors"],
                "flows": dp.json("show flows limit 0")["flows"],
                "local": dp.json("show local")["local"],
                "local_text": dp.cmd("show local")}
        r = dp.stop()
    finally:
        dp.cleanup()
    r.live = live
    return r


def worker_lcore(r):
    ws = [lc for lc in r.live["lcores"] if lc["role"] == "worker"]
    assert len(ws) == 1, r.live["lcores"]
    return ws[0]


def by_flow(frames):
    g = collections.defaultdict(list)
    for f in frames:
        g[flow_key(f)].append(f)
    return g


def compare_outputs(a, b, what):
    """Same frames on every port: as multisets, and in the same order
    within each flow. Returns {port: whether the whole order matched}."""
    same_order = {}
    for port in PORTS:
        fa = [f for f in a.outputs[port] if not is_probe(f)]
        fb = [f for f in b.outputs[port] if not is_probe(f)]
        ca, cb = collections.Counter(fa), collections.Counter(fb)
        if ca != cb:
            only_a = list((ca - cb).elements())
            only_b = list((cb - ca).elements())
            lines = [f"{what}: {port}: {len(fa)} vs {len(fb)} frames; "
                     f"{len(only_a)} only in the first, {len(only_b)} only "
                     "in the second"]
            for f in only_a[:3]:
                lines.append(f"only first: {describe(f)}\n{hexdump(f)}")
            for f in only_b[:3]:
                lines.append(f"only second: {describe(f)}\n{hexdump(f)}")
            raise AssertionError("\n".join(lines))
        ga, gb = by_flow(fa), by_flow(fb)
        bad = [k for k in ga if ga[k] != gb[k]]
        assert not bad, f"{what}: {port}: {len(bad)} flows in another order"
        same_order[port] = fa == fb
    return same_order


STAT_KEYS = ("rx_packets", "forwarded", "punted", "local",
             "control_forwarded", "held", "control_tx_packets",
             "originated_lost", "icmp_errors_lost", "drops",
             "icmp_errors_sent", "flows_new", "flows_moved",
             "flows_stateless", "worker", "control")


def stats_of(r):
    return {k: r.stats[k] for k in STAT_KEYS}


def uplink_counters(r):
    return {n: (u["tx_packets"], u["rx_packets"], u["tx_bytes"],
                u["rx_bytes"]) for n, u in r.live["uplinks"].items()}


def check_accounting(r, n_in):
    st = r.stats
    w, c = st["worker"], st["control"]
    assert w["rx_packets"] == st["rx_packets"] == n_in, (w, n_in)
    assert w["rx_packets"] == w["forwarded"] + w["punted"] + w["drops"], \
        f"worker: rx != forwarded + punted + drops: {w}"
    assert w["punted"] == c["local"] + c["forwarded"] + c["held"] + \
        c["drops"], f"control: punted {w['punted']} != local + forwarded " \
        f"+ held + drops: {c}"
    # The top-level fields are the planes' and the named reasons' sums.
    assert (st["forwarded"], st["punted"], st["local"],
            st["control_forwarded"], st["held"]) == \
        (w["forwarded"], w["punted"], c["local"], c["forwarded"],
         c["held"]), st
    named = sum(v for k, v in r.drops.items()
                if k != "icmp_error_ratelimited")
    assert st["drops"] == w["drops"] + c["drops"] == named, \
        (st["drops"], w["drops"], c["drops"], named)


# == 1, 2: fast path against the general path ================================

SEED = 20240611


@pytest.fixture(scope="module")
def mix():
    return Mix(SEED)


@pytest.fixture(scope="module")
def runs(mix):
    """The same input three times: fast path (default burst), general path
    only (fast_path: false), fast path with burst 1."""
    return {name: run_collect(mix.inputs, **kw) for name, kw in
            (("fast", {}), ("general", {"fast_path": False}),
             ("burst1", {"burst": 1}))}


def test_mix_is_varied(mix, runs):
    """The input exercises what it should (else the comparisons below
    prove little): thousands of frames, flow-cache hits and misses in the
    fast run (none in the general one), every drop reason the mix was
    built for, held packets, and every kind of ICMPv6 error back to the
    LAN, Packet Too Big with both 1400 (wan2) and 1500."""
    assert mix.n() >= 3000, mix.n()
    fast, gen = worker_lcore(runs["fast"]), worker_lcore(runs["general"])
    assert fast["flow_cache_hits"] > 500 and \
        fast["flow_cache_misses"] > 300, fast
    assert gen["flow_cache_hits"] == 0 and gen["flow_cache_misses"] == 0, gen
    d = runs["fast"].nonzero_drops()
    for reason in ("hop_limit_exceeded", "mtu_exceeded", "l2_not_for_us",
                   "ip6_truncated", "runt_frame", "ip6_bad_version",
                   "ip6_bad_length", "l2_unsupported_ethertype",
                   "ip4_bad_checksum", "l4_truncated", "multicast_unhandled",
                   "local_unhandled", "local_port_unreachable",
                   "nptv6_unmappable", "strict_uplink_down",
                   "neigh_queue_full"):
        assert d.get(reason), f"the mix has no {reason}: {d}"
    assert d["hop_limit_exceeded"] >= mix.counts["hlim1"]
    st = runs["fast"].stats
    assert st["held"] > 0 and st["icmp_errors_sent"] > 50, st
    # Time exceeded, too big (1400 and 1500), unreachable, parameter
    # problem all came back to the LAN.
    lan = runs["fast"].outputs["lan0"]
    icmp = collections.Counter((f[54], f[58:62]) for f in lan
                               if f[12:14] == b"\x86\xdd" and f[20] == 58)
    assert icmp[(3, b"\0\0\0\0")] > 0 and icmp[(1, b"\0\0\0\0")] > 0, icmp
    assert icmp[(2, struct.pack("!I", 1400))] > 0, icmp
    assert icmp[(2, struct.pack("!I", 1500))] > 0, icmp
    assert icmp[(4, struct.pack("!I", 8))] > 0, icmp


def test_fast_vs_general_bytes(runs):
    """Identical frames out of every port with and without the fast path.

    Order: per flow (same addresses, protocol and ports, or for an ICMP
    error the same quoted flow) the frames leave in the same order. The
    whole order of a port is not the same: the fast path looks up the
    flow-cache misses of a burst together after the burst (and hands new
    flows to the general path then), so a new flow's first packets leave
    after later packets of established flows of the same burst; and what
    the control lcore sends (ICMP errors, replies) joins a port's output
    whenever worker 0 drains the inject ring. So ports are compared as
    multisets plus per-flow order. isp4's one health probe per run carries
    a timestamp and is left out."""
    compare_outputs(runs["fast"], runs["general"], "fast vs general")


def test_fast_vs_general_counters(runs):
    """Same drop counters, show stats and uplink counters either way."""
    f, g = runs["fast"], runs["general"]
    assert f.nonzero_drops() == g.nonzero_drops(), \
        (f.nonzero_drops(), g.nonzero_drops())
    assert stats_of(f) == stats_of(g), (stats_of(f), stats_of(g))
    assert uplink_counters(f) == uplink_counters(g), \
        (uplink_counters(f), uplink_counters(g))
    # The flows themselves: same uplinks, packets and bytes.
    def flows(r):
        return sorted((x["src"], x["dst"], x["proto"], x["sport"],
                       x["dport"], x["uplink"], x["packets"], x["bytes"])
                      for x in r.live["flows"])
    assert flows(f) == flows(g)


def test_burst1_vs_default(runs):
    """dataplane.burst: 1 changes nothing either (every burst has one
    packet, so no batching at all)."""
    compare_outputs(runs["fast"], runs["burst1"], "burst 32 vs burst 1")
    f, b = runs["fast"], runs["burst1"]
    assert f.nonzero_drops() == b.nonzero_drops()
    assert stats_of(f) == stats_of(b), (stats_of(f), stats_of(b))
    assert uplink_counters(f) == uplink_counters(b)


def test_accounting_mixed(mix, runs):
    """Every received packet ends under exactly one worker outcome, every
    punted one under exactly one control outcome, in all three runs."""
    for name, r in runs.items():
        try:
            check_accounting(r, mix.n())
        except AssertionError as e:
            raise AssertionError(f"run {name}: {e}") from None


def test_flow_order_kept():
    """The packets of one flow leave in the order they came, whichever path
    takes each (stages.c: "the packets of one flow keep their order"):
    here each new flow's second packet carries a destination options
    header (or an Ethernet trailer), which the fast path hands to the
    general path at once, while its first and third are plain TCP/UDP,
    whose flow-cache misses the fast path looks up after the burst. The
    second must not overtake the first."""
    frames = []
    for i in range(16):
        for j in range(3):
            l3 = IPv6(src=HOST6, dst=SRV["isp1"])
            if j == 1 and i < 8:
                l3 = l3 / IPv6ExtHdrDestOpt()
            f = bytes(Ether(src=HOST_MAC, dst=LAN0_MAC) / l3 /
                      UDP(sport=45000 + i, dport=5001) /
                      Raw(b"flow %02d packet %d" % (i, j)))
            if j == 1 and i >= 8:
                f += b"\0" * 6             # Ethernet padding
            frames.append(f)
    order = {}
    for mode, fp in (("general", False), ("fast", True)):
        r = run_collect({"lan0": frames}, fast_path=fp)
        assert r.nonzero_drops() == {} and r.stats["flows_new"] == 16, \
            (mode, r.nonzero_drops(), r.stats)
        seen = collections.defaultdict(list)
        for f in r.outputs["wan1"]:
            tag = f[-16:]
            seen[int(tag[5:7])].append(int(tag[-1:]))
        order[mode] = dict(seen)
    want = {i: [0, 1, 2] for i in range(16)}
    assert order["general"] == want, order["general"]
    assert order["fast"] == want, \
        f"fast path: packets of a flow reordered: {order['fast']}"


# == 2: accounting when the punt ring overflows ==============================

N_EXPIRE, N_ECHO, N_RESOLVE = 1500, 400, 100


@pytest.fixture(scope="module")
def overflow():
    """punt_ring_size 64 (63 usable) and 2000 frames that all go to the
    control lcore, shuffled: hop limit 1 (an ICMP error each), echo
    requests to lan0's address, and packets to an unresolved LAN host. The
    ICMP error rate limit is the default one (100/s, burst 50)."""
    rng = random.Random(7)
    h = Ether(src=HOST_MAC, dst=LAN0_MAC)
    frames = [("expire", ip6(HOST_MAC, LAN0_MAC, HOST6, BALANCED[0], 17,
                             udp_l4(20000 + i, 5001, data_of(i, 100, 8)),
                             hlim=1)) for i in range(N_EXPIRE)]
    frames += [("echo", bytes(h / IPv6(src=HOST6, dst=LAN6) /
                              ICMPv6EchoRequest(id=1, seq=i) /
                              Raw(b"echo %d" % i))) for i in range(N_ECHO)]
    frames += [("resolve", ip6(HOST_MAC, LAN0_MAC, HOST6, UNRESOLVED, 17,
                               udp_l4(30000 + i, 9, b"held?"), hlim=64))
               for i in range(N_RESOLVE)]
    rng.shuffle(frames)
    # Fed through a FIFO once neptune runs, so the control lcore is
    # draining the ring while the worker fills it (a capture would be read
    # before the control loop even started).
    dp = make_dp(fifo_ports=["lan0"], punt_ring_size=64,
                 icmp_unlimited=False)
    try:
        dp.start()
        dp.wait_idle()
        dp.feed("lan0", [f for _, f in frames])
        dp.close_feed("lan0")
        dp.wait_idle(timeout=20)
        errors = dp.json("show errors")["errors"]
        r = dp.stop()
    finally:
        dp.cleanup()
    r.live = {"errors": errors}
    r.n_in = len(frames)
    return r


def test_overflow_identities(overflow):
    r = overflow
    check_accounting(r, r.n_in)
    assert r.stats["worker"]["forwarded"] == 0, r.stats


def test_overflow_happened(overflow):
    """The ring was full both for ICMP error punts and for local/resolve
    punts (else this test proves nothing)."""
    assert overflow.stats["icmp_errors_lost"] > 0, overflow.stats
    assert overflow.drops["punt_ring_full"] > 0, overflow.nonzero_drops()


def test_overflow_counted_once(overflow):
    """Each expired packet is one hop_limit_exceeded, ring full or not; its
    error was sent, rate limited or lost, exactly one of them; every other
    punt-bound packet ended once: ring full, consumed (echo), held, or
    dropped by the full neighbour queue."""
    r, st, d = overflow, overflow.stats, overflow.drops
    assert d["hop_limit_exceeded"] == N_EXPIRE, r.nonzero_drops()
    assert st["originated_lost"] == 0, st
    assert st["icmp_errors_sent"] + d["icmp_error_ratelimited"] + \
        st["icmp_errors_lost"] == N_EXPIRE, (st, r.nonzero_drops())
    assert d["punt_ring_full"] + st["local"] + st["held"] + \
        d["neigh_queue_full"] == N_ECHO + N_RESOLVE, (st, r.nonzero_drops())
    assert set(r.nonzero_drops()) <= {
        "hop_limit_exceeded", "punt_ring_full", "icmp_error_ratelimited",
        "neigh_queue_full"}, r.nonzero_drops()
    # Only the packets that reached the ring are punts (show errors).
    punts = {e["reason"]: e["count"] for e in r.live["errors"]
             if e["kind"] == "punt"}
    assert punts.get("local", 0) + punts.get("resolve", 0) == \
        st["worker"]["punted"], (punts, st)
    assert punts.get("icmp_error", 0) == N_EXPIRE - st["icmp_errors_lost"], \
        (punts, st)
    # What left: one echo reply per consumed request, the errors sent, one
    # NS for the unresolved host.
    lan = r.outputs["lan0"]
    kinds = collections.Counter(f[54] for f in lan
                                if f[12:14] == b"\x86\xdd" and f[20] == 58)
    assert kinds[129] == st["local"], (kinds, st)
    assert kinds[3] == st["icmp_errors_sent"], (kinds, st)
    assert kinds[135] == 1 and len(lan) == st["local"] + \
        st["icmp_errors_sent"] + 1, (kinds, len(lan))
    assert st["held"] <= 8 and d["neigh_queue_full"] > 0, st


@pytest.mark.parametrize("fast_path", [False, True],
                         ids=["general", "fast"])
def test_accounting_resolution(fast_path):
    """Packets held for an unresolved LAN host, then its Neighbour
    Advertisement, then more packets (which race with the answer: punted
    and sent by the control lcore, or sent by the worker once it sees the
    MAC): every one ends once, none is left held, the control lcore's
    forwarded ones are counted there.

    General path: the first 20 are punted before the NA, but ND has a
    punt ring of its own that the control lcore drains first (the punt
    path's priority), so the NA may overtake those still in the ring: at
    most 12 are refused by the full neighbour queue (8 held, then sent).
    With the fast path the NA (not fast-path traffic) is punted before
    the plain packets of its burst (their flow-cache misses are looked up
    after the burst), so it may well resolve the host before any of them
    is queued."""
    mac = "02:00:00:00:aa:99"
    pk = [ip6(HOST_MAC, LAN0_MAC, HOST6, UNRESOLVED, 17,
              udp_l4(46000 + i, 9, data_of(i, 80, 8))) for i in range(40)]
    na = bytes(Ether(src=mac, dst=LAN0_MAC) /
               IPv6(src=UNRESOLVED, dst=LAN6, hlim=255) /
               ICMPv6ND_NA(tgt=UNRESOLVED, R=0, S=1, O=1) /
               ICMPv6NDOptDstLLAddr(lladdr=mac))
    r = run_collect({"lan0": pk[:20] + [na] + pk[20:]}, fast_path=fast_path)
    check_accounting(r, 41)
    st, d = r.stats, r.nonzero_drops()
    assert st["held"] == 0 and st["local"] == 1, st
    out = [f for f in r.outputs["lan0"] if f[:6] == _mac(mac)]
    assert len(out) == st["forwarded"] + st["control_forwarded"], \
        (len(out), st)
    assert len(out) + d.get("neigh_queue_full", 0) == 40, (len(out), d)
    assert set(d) <= {"neigh_queue_full"}, d
    if not fast_path:
        assert d.get("neigh_queue_full", 0) <= 12, d
    # Every forwarded one left once, hop limit 63, to the learnt MAC.
    assert len({f[14 + 40 + 8:] for f in out}) == len(out)
    assert {f[21] for f in out} == {63}


ICMP_DECISIONS = {
    # reason: frames (each answered with one ICMP error)
    "hop_limit_exceeded": 4,       # IPv6 and IPv4, LAN and WAN
    "no_route": 2,                 # excluded from steering, no route
    "mtu_exceeded": 3,             # wan2 (1400), IPv4 with DF, to lan0
    "nptv6_unmappable": 2,         # source (SNPT), destination (DNPT)
    "strict_uplink_down": 2,       # to-srv4 -> isp4
}


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "general"])
def test_accounting_icmp_decisions(fast_path):
    """Each ICMP error decision of the worker counts its packet under its
    drop reason and nothing else: not as a punt, not again on the control
    lcore, which only builds the error from it (one each, all sent). The
    one error the control lcore decides itself (UDP to the appliance) is a
    control drop."""
    h = Ether(src=HOST_MAC, dst=LAN0_MAC)
    g = Ether(src=GW_MAC, dst=WAN1_MAC)
    d = Raw(b"x" * 40)
    lan = [h / IPv6(src=HOST6, dst=BALANCED[0], hlim=1) / UDP(sport=1) / d,
           h / IP(src=HOST4, dst=REMOTE4, ttl=1) / UDP(sport=2) / d,
           h / IPv6(src=HOST6, dst=EXCLUDED_WAN_DST) / UDP(sport=3) / d,
           h / IPv6(src=HOST6, dst=EXCLUDED_WAN_DST) / TCP(sport=4) / d,
           h / u6_frame(SRV["isp2"], 5, 1450, 5),
           h / IP(src=HOST4, dst=REMOTE4, flags="DF") / UDP(sport=6) /
           Raw(b"y" * 1500),
           Ether(src=HOST_MACS[UNMAPPABLE_IN], dst=LAN0_MAC) /
           IPv6(src=UNMAPPABLE_IN, dst=SRV["isp1"]) / UDP(sport=7) / d,
           h / IPv6(src=HOST6, dst=SRV4) / UDP(sport=8) / d,
           h / IPv6(src=HOST6, dst=SRV4) / TCP(sport=9) / d,
           h / IPv6(src=HOST6, dst=LAN6) / UDP(sport=10, dport=9999) / d]
    wan = [g / IPv6(src=SRV["isp1"], dst=XLAT["isp1"], hlim=1) /
           UDP(sport=11) / d,
           g / IP(src=REMOTE4, dst=HOST4, ttl=1) / UDP(sport=12) / d,
           g / IPv6(src=SRV["isp1"], dst=XLAT["isp1"]) / UDP(sport=13) /
           Raw(b"z" * 1500),
           g / IPv6(src=SRV["isp1"],
                    dst=PREFIX["isp1"] + ":ffff:ffff:ffff:ffff") /
           UDP(sport=14) / d]
    # No IPv6 default route: the errors to srv1 still have one.
    extra = {"routes": [{"prefix": "2001:db8:101::/48", "via": GW6},
                        {"prefix": "0.0.0.0/0", "via": GW4}]}
    dp = Dataplane(inputs={"lan0": lan, "wan1": wan},
                   extra_ports=EXTRA_PORTS,
                   extra_cfg=merge_cfg(pipeline_cfg(fast_path=fast_path),
                                       extra),
                   port_cfg={"wan2": {"mtu": WAN2_MTU}})
    try:
        r = dp.run()
    finally:
        dp.cleanup()
    n = len(lan) + len(wan)
    check_accounting(r, n)
    want = dict(ICMP_DECISIONS)
    want["local_port_unreachable"] = 1
    assert r.nonzero_drops() == want, r.nonzero_drops()
    st = r.stats
    assert st["worker"] == {"rx_packets": n, "forwarded": 0, "punted": 1,
                            "drops": sum(ICMP_DECISIONS.values()),
                            "handoffs": 0, "punted_by_class": {
                                "nd": 0, "probe": 0, "icmp": 0,
                                "resolve": 0, "other": 1}}, st
    assert st["control"] == {"local": 0, "forwarded": 0, "held": 0,
                             "drops": 1}, st
    errors = sum(ICMP_DECISIONS.values()) + 1
    assert st["icmp_errors_sent"] == errors, st
    icmp = [f for p in PORTS for f in r.outputs[p]
            if not is_probe(f) and
            ((f[12:14] == b"\x86\xdd" and f[20] == 58) or
             (f[12:14] == b"\x08\x00" and f[23] == 1))]
    others = [f for p in PORTS for f in r.outputs[p]
              if not is_probe(f) and f not in icmp]
    assert len(icmp) == errors and others == [], (len(icmp), others)
    probes = sum(1 for p in PORTS for f in r.outputs[p] if is_probe(f))
    assert st["control_tx_packets"] == errors + probes, (st, probes)


# == 3: Packet Too Big with the steered uplink's MTU ==========================

@pytest.fixture(scope="module", params=[True, False], ids=["fast", "general"])
def ptb(request):
    """Strict-to-isp2 flows (wan2, MTU 1400) and balanced flows, with a
    1450-byte packet as the first packet of a flow (decided by the general
    path) and as a later packet of an established flow (a flow-cache hit,
    in a later burst: the fast path hands it over)."""
    tag = iter(range(1, 1 << 20))
    first, later, fillers = [], [], []
    big = {}            # sport -> the 1450-byte (or other) packet

    def add(lst, dst, sport, size):
        p = u6_frame(dst, sport, size, next(tag))
        lst.append(p)
        return p
    big[41000] = add(first, SRV["isp2"], 41000, 1450)   # new flow, too big
    add(first, SRV["isp2"], 41001, 200)                 # established...
    big[41001] = add(later, SRV["isp2"], 41001, 1450)   # ...then too big
    add(later, SRV["isp2"], 41001, 1400)                # exactly fits
    big[41002] = add(later, SRV["isp2"], 41001, 1401)   # one too many
    big[41003] = add(first, SRV["isp1"], 41003, 1450)   # isp1: fits 1500
    for i in range(40):
        big[42000 + i] = add(first, BALANCED[0], 42000 + i, 1450)
        add(first, BALANCED[0], 43000 + i, 300)
        big[43000 + i] = add(later, BALANCED[0], 43000 + i, 1450)
    for i in range(64):     # two bursts between first and later packets
        add(fillers, BALANCED[1], 44000 + i, 100)
    frames = [Ether(src=HOST_MAC, dst=LAN0_MAC) / p
              for p in first + fillers + later]
    dp = make_dp(inputs={"lan0": frames}, fast_path=request.param)
    try:
        dp.start()
        dp.wait_idle()
        flows = {f["sport"]: f["uplink"] for f in
                 dp.json("show flows limit 0")["flows"]}
        r = dp.stop()
    finally:
        dp.cleanup()
    r.flows, r.big, r.frames = flows, big, first + fillers + later
    return r


def test_ptb_carries_uplink_mtu(ptb):
    """Every too-big packet of a flow on isp2 is answered with a Packet Too
    Big carrying wan2's MTU 1400 (not the 1500 of the default route's
    port), quoting the packet as the host sent it (inside source, hop limit
    64); the same size on isp1 leaves translated on wan1."""
    on = {s: ptb.flows[s] for s in (41000, 41001, 41003)}
    assert on == {41000: "isp2", 41001: "isp2", 41003: "isp1"}, on
    bal = {ptb.flows[42000 + i] for i in range(40)} | \
        {ptb.flows[43000 + i] for i in range(40)}
    assert bal == {"isp1", "isp2"}, bal
    want = []
    for sport, p in ptb.big.items():
        flow = 41001 if sport == 41002 else sport
        if ptb.flows[flow] == "isp2":
            want.append(icmp6_error(ICMPv6PacketTooBig(mtu=WAN2_MTU), p))
    assert len(want) >= 10, len(want)
    got = [f for f in ptb.outputs["lan0"]]
    assert_frames(got, want, "Packet Too Big errors on lan0", ordered=False)
    # Nothing on wan2 is bigger than 1400, and the isp1 flows' 1450-byte
    # packets left on wan1.
    assert max(len(f) - 14 for f in ptb.outputs["wan2"]) <= WAN2_MTU
    big_isp1 = [s for s, p in ptb.big.items() if s != 41002 and
                ptb.flows[s] == "isp1"]
    sizes = collections.Counter(struct.unpack("!H", f[54:56])[0]
                                for f in ptb.outputs["wan1"]
                                if len(f) - 14 == 1450)
    assert sorted(sizes) == sorted(big_isp1), (sizes, big_isp1)
    assert ptb.nonzero_drops() == {"mtu_exceeded": len(want)}, \
        ptb.nonzero_drops()
    # The 1400-byte packet of the established isp2 flow fitted.
    assert any(len(f) - 14 == 1400 for f in ptb.outputs["wan2"])


def test_icmp_errors_inbound_quote_received_packet():
    """An ICMPv6 error neptune originates about a packet that came in for a
    delegated prefix quotes the packet as it was received, destination in
    the delegated prefix: the sender matches the error by the packet it
    sent (RFC 4443 2.4(c): "as much of the invoking packet"), and the
    inside address is not for the Internet to see. Packet Too Big (1548
    bytes for lan0's 1500), Time Exceeded (hop limit 1), and Parameter
    Problem for an unmappable destination (not translated at all)."""
    g = Ether(src=GW_MAC, dst=WAN1_MAC)
    big = IPv6(src=SRV["isp1"], dst=XLAT["isp1"], hlim=60) / \
        UDP(sport=80, dport=40000) / Raw(b"z" * 1500)
    hl1 = IPv6(src=SRV["isp1"], dst=XLAT["isp1"], hlim=1) / \
        UDP(sport=81, dport=40000) / Raw(b"expiring")
    unm = IPv6(src=SRV["isp1"], dst=PREFIX["isp1"] + ":ffff:ffff:ffff:ffff",
               hlim=60) / UDP(sport=82, dport=40000) / Raw(b"unmappable")
    def err(e, orig):
        return icmp6_error(e, orig, src=WAN6, dst=SRV["isp1"],
                           eth_dst=GW_MAC, eth_src=WAN1_MAC)
    r = run_collect({"wan1": [bytes(g / p) for p in (big, hl1, unm)]})
    assert r.nonzero_drops() == {"mtu_exceeded": 1, "hop_limit_exceeded": 1,
                                 "nptv6_unmappable": 1}, r.nonzero_drops()
    assert_frames(r.outputs["wan1"],
                  [err(ICMPv6PacketTooBig(mtu=1500), big),
                   err(ICMPv6TimeExceeded(code=0), hl1),
                   err(ICMPv6ParamProblem(code=0, ptr=24), unm)],
                  "errors back to the sender on wan1", ordered=False)


# == 4: trace =================================================================

def _kick_frame(port):
    """A frame dropped at once (l2_not_for_us) that wakes a worker blocked
    on that port's FIFO."""
    src = HOST_MAC if port == "lan0" else GW_MAC
    return bytes(Ether(src=src, dst="02:00:00:00:ee:ee") /
                 IPv6(src=HOST6, dst=BALANCED[0]) / UDP(sport=9, dport=9))


def cmd_kicked2(dp, line):
    """A command that waits for an RCU grace period (clear trace) while the
    worker is blocked on the lan0 or wan1 FIFO (burst 1, so it reads them
    alternately): a kick on both every 50 ms until the reply comes."""
    dp.mgmt.send(line)
    end = time.monotonic() + 15
    while True:
        try:
            return dp.mgmt.reply(timeout=0.05)
        except socket.timeout:
            if time.monotonic() > end:
                raise DataplaneError(f"no reply to '{line}'\n{dp.log()}")
            dp.feed("lan0", [_kick_frame("lan0")])
            dp.feed("wan1", [_kick_frame("wan1")])
            dp.kicks += 2


TR_L1 = u6_frame(SRV["isp1"], 42001, 120, 1)                 # new flow
TR_W1 = IPv6(src=SRV["isp1"], dst=XLAT["isp1"], hlim=50) / \
    UDP(sport=5001, dport=42001) / Raw(b"return traffic")      # DNPT
TR_L2 = u6_frame(BALANCED[0], 42002, 100, 2, hlim=1)           # expires
TR_W2 = IPv6(src=SRV["isp1"], dst=WAN6) / ICMPv6EchoRequest(id=5) / \
    Raw(b"to the appliance")                                   # local
TR_L3 = u6_frame(REMOTE6, 42003, 100, 3, src="fd42:200::5")    # routed
TR_W3 = IPv6(src=SRV["isp1"], dst=XLAT["isp1"], hlim=50) / \
    UDP(sport=5001, dport=42001) / Raw(b"not traced")          # budget 0
# Second round, traced on wan1 only.
TR_R2_LAN = [u6_frame(BALANCED[1], 42100 + i, 100, 10 + i) for i in range(3)]
TR_R2_WAN = [IPv6(src=SRV["isp1"], dst=xlat(HOST2_6, "isp1"), hlim=50) /
             UDP(sport=5001, dport=42200 + i) / Raw(b"round 2 %d" % i)
             for i in range(3)]


def lan(p):
    return bytes(Ether(src=HOST_MAC, dst=LAN0_MAC) / p)


def wan(p):
    return bytes(Ether(src=GW_MAC, dst=WAN1_MAC) / p)


TR_LAN1 = [lan(TR_L1), lan(TR_L2), lan(TR_L3)]
TR_WAN1 = [wan(TR_W1), wan(TR_W2), wan(TR_W3)]
TR_LAN2 = [lan(p) for p in TR_R2_LAN]
TR_WAN2 = [wan(p) for p in TR_R2_WAN]


@pytest.fixture(scope="module")
def traced():
    """lan0 and wan1 are FIFOs, burst 1: the worker reads one frame from
    each in turn, so feeding three to each gives the order L1 W1 L2 W2 L3
    W3. `trace add 5` takes the first five."""
    dp = make_dp(fifo_ports=["lan0", "wan1"], burst=1)
    info = {}
    try:
        dp.start()
        ok, out = dp.cmd("trace add 5 --json")
        info["add"] = (ok, out)
        dp.feed("lan0", TR_LAN1)
        dp.feed("wan1", TR_WAN1)
        dp.wait_idle()
        info["json"] = dp.json("show trace")["trace"]
        info["text"] = dp.cmd("show trace")
        info["clear"] = cmd_kicked2(dp, "clear trace")
        info["after_clear"] = dp.json("show trace")["trace"]
        info["after_clear_text"] = dp.cmd("show trace")
        info["add_port"] = dp.cmd("trace add 5 port wan1")
        dp.feed("lan0", TR_LAN2)
        dp.feed("wan1", TR_WAN2)
        dp.wait_idle()
        info["port_json"] = dp.json("show trace")["trace"]
        info["bad_port"] = dp.cmd("trace add 5 port nosuch")
        info["bad_n"] = dp.cmd("trace add 0")
        r = dp.stop()
        r.kicks = dp.kicks
    finally:
        dp.cleanup()
    r.info = info
    return r


def _stages(pkt):
    return [(s["stage"], s["feature"]) for s in pkt["stages"]]


def _verdict(pkt):
    return pkt["stages"][-1]["verdict"]


def _find(pkt, stage, feature):
    got = [s for s in pkt["stages"]
           if (s["stage"], s["feature"]) == (stage, feature)]
    assert len(got) == 1, (stage, feature, pkt)
    return got[0]


def test_trace_packets(traced):
    """Five packets, in the order received, each with its stage records;
    the sixth (budget spent) is not there."""
    ok, out = traced.info["add"]
    assert ok and json.loads(out) == {"ok": True, "packets": 5}, out
    tr = traced.info["json"]
    assert [p["packet"] for p in tr] == [0, 1, 2, 3, 4], tr
    inputs = [_find(p, "input", "core")["detail"] for p in tr]
    for d, port in zip(inputs, ["lan0", "wan1", "lan0", "wan1", "lan0"]):
        assert d.startswith(f"port {port} ipv6"), inputs
    assert inputs[0] == "port lan0 ipv6 proto 17 fd42:100:1::10 port 42001 " \
        "-> 2001:db8:101:1::10 port 5001 hop limit 64 len 134", inputs[0]
    assert "hop limit 1 " in inputs[2] and "fd42:200::5" in inputs[4], inputs
    assert inputs[3] == "port wan1 ipv6 proto 58 2001:db8:101:1::10 -> " \
        f"{WAN6} hop limit 64 len 78", inputs[3]
    # W3 (hop limit 50, dport 42001 too) came sixth: 5 packets only.
    assert len(tr) == 5


def test_trace_new_steered_flow(traced):
    p = traced.info["json"][0]
    assert _stages(p) == [("input", "core"), ("lookup", "core"),
                          ("egress", "multihoming"),
                          ("output", "multihoming"), ("output", "core")], p
    eg = _find(p, "egress", "multihoming")
    assert eg["detail"] == "new flow, policy to-srv1, uplink isp1", eg
    assert eg["verdict"] == "forward", eg
    sn = [s for s in p["stages"] if s["stage"] == "output" and
          s["feature"] == "multihoming"][0]
    assert sn["detail"] == f"snpt uplink isp1 src {HOST6} -> {XLAT['isp1']}", sn
    out = _find(p, "output", "core")
    assert out["detail"] == "port wan1 mtu 1500 action nptv6 next hop " \
        f"{GW_MAC}", out
    assert _verdict(p) == "sent", p


def test_trace_routed(traced):
    """LAN traffic from outside the inside prefix: no steering record, a
    plain output."""
    p = traced.info["json"][4]
    assert _stages(p) == [("input", "core"), ("lookup", "core"),
                          ("output", "core")], p
    assert _find(p, "output", "core")["detail"] == \
        f"port wan1 mtu 1500 next hop {GW_MAC}", p
    assert _verdict(p) == "sent", p


def test_trace_dnpt(traced):
    """Every traced packet to a delegated prefix (W1 of the first trace,
    the three of the wan1-only trace) shows what arrived, its destination
    in the delegated prefix, then multihoming translating it back at
    ingress, then the route to lan0.

    The first wan1 packet of each trace arrives in the worker's first poll
    round after `trace add` (the worker was waiting in that round's rx
    when the trace was armed), and its LAN host is not in the destination
    cache yet, so the fast path cannot finish it: whatever path it takes,
    its trace must start from the packet as received."""
    pk = [(traced.info["json"][1], XLAT["isp1"], HOST6, 42001)] + \
        [(p, xlat(HOST2_6, "isp1"), HOST2_6, 42200 + i)
         for i, p in enumerate(traced.info["port_json"])]
    bad = []
    for p, outside, inside, dport in pk:
        inp = _find(p, "input", "core")["detail"]
        want = f"-> {outside} port {dport} hop limit 50"
        ok = want in inp and \
            _stages(p) == [("input", "core"), ("ingress", "multihoming"),
                           ("lookup", "core"), ("output", "core")]
        if ok:
            ing = _find(p, "ingress", "multihoming")
            ok = ing["detail"] == \
                f"dnpt uplink isp1 dst {outside} -> {inside}" and \
                ing["verdict"] == "next" and \
                _find(p, "lookup", "core")["detail"] == \
                "fib: connected via port lan0, neighbour known" and \
                _verdict(p) == "sent"
        if not ok:
            bad.append("\n".join(f"    {s['stage']} {s['feature']} "
                                  f"{s['detail']} -> {s['verdict']}"
                                  for s in p["stages"]))
    assert not bad, f"{len(bad)} of {len(pk)} DNPT packets traced " \
        "wrongly (expected input with the delegated destination, then " \
        "ingress/multihoming dnpt):\n" + "\n".join(bad)


def test_trace_hop_limit_verdict(traced):
    """The expired packet's outcome is a drop under hop_limit_exceeded (its
    one counter; the control lcore only reads it to build the error), and
    the trace says so."""
    p = traced.info["json"][2]
    assert ("egress", "multihoming") not in _stages(p), p
    assert _verdict(p) == "drop(hop_limit_exceeded)", p["stages"]


def test_trace_local_verdict(traced):
    p = traced.info["json"][3]
    assert _find(p, "lookup", "core")["detail"] == "fib: local", p
    assert _verdict(p) == "punt(local)", p


def test_trace_text(traced):
    """`show trace` (text) says the same as the JSON, record by record."""
    ok, text = traced.info["text"]
    assert ok, text
    heads = re.findall(r"^Packet (\d+) \(worker (\d+)\)$", text, re.M)
    assert heads == [(str(i), "0") for i in range(1, 6)], text
    lines = [ln for ln in text.splitlines() if ln.startswith("  ")]
    recs = [s for p in traced.info["json"] for s in p["stages"]]
    assert len(lines) == len(recs), text
    for ln, s in zip(lines, recs):
        m = re.match(r"^\s+[\d.]+ us (\S+)\s+(\S+)\s+(.*?)\s*-> (\S+)$", ln)
        assert m, ln
        assert m.groups() == (s["stage"], s["feature"], s["detail"],
                              s["verdict"]), (ln, s)


def test_trace_clear(traced):
    ok, out = traced.info["clear"]
    assert ok, out
    assert traced.info["after_clear"] == []
    ok, text = traced.info["after_clear_text"]
    assert ok and "no packets traced" in text, text


def test_trace_port_filter(traced):
    """`trace add 5 port wan1` with three frames on each port: the three
    from wan1 only, numbered from 0 again after the clear."""
    ok, out = traced.info["add_port"]
    assert ok and "wan1" in out, out
    tr = traced.info["port_json"]
    assert [p["packet"] for p in tr] == [0, 1, 2], tr
    for p in tr:
        assert _find(p, "input", "core")["detail"].startswith(
            "port wan1 "), p
        assert _verdict(p) == "sent", p
    ok, out = traced.info["bad_port"]
    assert not ok and "unknown port" in out, out
    ok, out = traced.info["bad_n"]
    assert not ok, out


def test_trace_changes_no_bytes(traced):
    """Traced packets take the general path: what left is what the same
    frames give without any trace (fast path)."""
    r = run_collect({"lan0": TR_LAN1 + TR_LAN2, "wan1": TR_WAN1 + TR_WAN2})
    compare_outputs(traced, r, "traced vs not traced")
    want = dict(r.nonzero_drops())
    if traced.kicks:
        want["l2_not_for_us"] = want.get("l2_not_for_us", 0) + traced.kicks
    assert traced.nonzero_drops() == want, (traced.nonzero_drops(), want)
    assert len(traced.outputs["wan1"]) > 0 and len(traced.outputs["lan0"]) > 0


# == 5: show runtime, show errors, show local =================================

def runtime_input():
    """Bursts of 32 from each capture (the pcap PMD reads a regular file
    32 at a time). lan0: 32 new balanced flows; their second packets (flow
    cache misses found in the flow table: fast); 10 expiring, 3 echo
    requests to us, 3 ARP requests, 2 strict to the down isp4, 2 from the
    unmappable source and 12 third packets (flow cache hits). wan1: an
    unmappable destination, then 31 packets to HOST6's isp1 address (the
    first misses the destination cache)."""
    h = Ether(src=HOST_MAC, dst=LAN0_MAC)

    def u(src, dst, sport, tag, hlim=64, smac=HOST_MAC):
        return ip6(smac, LAN0_MAC, src, dst, 17,
                   udp_l4(sport, 5001, data_of(tag, 100, 8)), hlim)
    b1 = [u(HOST6, BALANCED[0], 50000 + i, i) for i in range(32)]
    b2 = [u(HOST6, BALANCED[0], 50000 + i, 100 + i) for i in range(32)]
    b3 = [u(HOST6, BALANCED[0], 51000 + i, 200 + i, hlim=1)
          for i in range(10)]
    b3 += [bytes(h / IPv6(src=HOST6, dst=LAN6) / ICMPv6EchoRequest(seq=i))
           for i in range(3)]
    b3 += [bytes(Ether(src=HOST_MAC, dst="ff:ff:ff:ff:ff:ff") /
                 ARP(op=1, hwsrc=HOST_MAC, psrc=HOST4, pdst=LAN4))
           for i in range(3)]
    b3 += [u(HOST6, SRV4, 52000 + i, 300 + i) for i in range(2)]
    b3 += [u(UNMAPPABLE_IN, SRV["isp1"], 53000 + i, 400 + i,
             smac=HOST_MACS[UNMAPPABLE_IN]) for i in range(2)]
    b3 += [u(HOST6, BALANCED[0], 50000 + i, 500 + i) for i in range(12)]
    assert len(b3) == 32
    w = [ip6(GW_MAC, WAN1_MAC, SRV["isp1"],
             PREFIX["isp1"] + ":ffff:ffff:ffff:ffff", 17,
             udp_l4(5001, 40000, b"unmappable"))]
    w += [ip6(GW_MAC, WAN1_MAC, SRV["isp1"], XLAT["isp1"], 17,
              udp_l4(5001, 60000 + i, data_of(600 + i, 100, 8)))
          for i in range(31)]
    return {"lan0": b1 + b2 + b3, "wan1": w}


@pytest.fixture(scope="module")
def runtime():
    inp = runtime_input()
    return {"fast": run_collect(inp),
            "general": run_collect(inp, fast_path=False)}


RT_STAGES = ("input", "ingress", "lookup", "egress", "output")


def _rt(r):
    rt = r.live["runtime"]
    assert set(rt) == set(RT_STAGES) | {"fast-path"}, rt
    for s in RT_STAGES:
        assert rt[s]["calls"] == rt[s]["packets"], rt[s]
    return {s: rt[s]["packets"] for s in RT_STAGES}, rt["fast-path"]


def test_runtime_fast(runtime):
    """The fused path saw every packet, in 3 + 1 bursts; the stages only
    the 54 it handed over: 32 new flows, 20 odd packets of lan0, the
    unmappable and the first DNPT packet of wan1."""
    r = runtime["fast"]
    stages, fast = _rt(r)
    assert (fast["calls"], fast["packets"]) == (4, 128), fast
    assert r.stats["rx_packets"] == 128
    assert stages == {"input": 54, "ingress": 51, "lookup": 50, "egress": 37,
                      "output": 35}, stages


def test_runtime_general(runtime):
    """fast_path: false: the stages see everything."""
    stages, fast = _rt(runtime["general"])
    assert (fast["calls"], fast["packets"]) == (4, 128), fast
    assert stages == {"input": 128, "ingress": 125, "lookup": 124,
                      "egress": 111, "output": 109}, stages


def test_runtime_mixed(mix, runs):
    """In the mixed runs: the fast-path row counts every packet; the
    general run's input stage every packet, the fast run's fewer; the
    stages only narrow down."""
    n = mix.n()
    rts = {k: _rt(r) for k, r in runs.items()}
    for k, (stages, fast) in rts.items():
        assert fast["packets"] == n, (k, fast)
        vals = [stages[s] for s in RT_STAGES]
        assert vals == sorted(vals, reverse=True), (k, stages)
    assert rts["general"][0]["input"] == n
    assert rts["fast"][0]["input"] < n // 2, rts["fast"]
    assert rts["burst1"][1]["calls"] == n, rts["burst1"][1]
    # The stages that decide drops: every drop decided at input is one
    # packet that went no further (general run: each packet's one stage).
    r = runs["general"]
    inputs_out = sum(v for k, v in r.drops.items()
                     if v and k in INPUT_DROPS)
    assert inputs_out <= rts["general"][0]["input"] - \
        rts["general"][0]["ingress"], (inputs_out, rts["general"][0])


INPUT_DROPS = ("runt_frame", "l2_not_for_us", "l2_unsupported_ethertype",
               "ip6_truncated", "ip6_bad_version", "ip6_bad_length",
               "ip4_bad_checksum", "l4_truncated", "multicast_unhandled")

ERR_OWNER = {"hop_limit_exceeded": ("lookup", "core"),
             "strict_uplink_down": ("egress", "multihoming"),
             "nptv6_unmappable": ("output", "multihoming")}


@pytest.mark.parametrize("mode", ["fast", "general"])
def test_show_errors(runtime, mode):
    """show errors: each non-zero drop once, with the stage that decides it
    and its owner (multihoming's own reasons under multihoming), and the
    punts by reason."""
    r = runtime[mode]
    errs = r.live["errors"]
    drops = {e["reason"]: (e["stage"], e["feature"], e["count"])
             for e in errs if e["kind"] == "drop"}
    assert drops == {k: ERR_OWNER[k] + (n,) for k, n in
                     {"hop_limit_exceeded": 10, "strict_uplink_down": 2,
                      "nptv6_unmappable": 3}.items()}, errs
    assert r.nonzero_drops() == {k: v[2] for k, v in drops.items()}
    punts = {e["reason"]: (e["stage"], e["feature"], e["count"])
             for e in errs if e["kind"] == "punt"}
    assert punts == {"local": ("worker", "core", 6),
                     "icmp_error": ("worker", "core", 15)}, errs
    assert len(errs) == len(drops) + len(punts), errs
    assert r.stats["worker"]["punted"] == 6
    check_accounting(r, 128)


def test_show_errors_mixed(runs):
    """In the mixed run too: exactly the non-zero drops, each once, the
    multihoming ones owned by multihoming."""
    r = runs["fast"]
    errs = [e for e in r.live["errors"] if e["kind"] in ("drop", "info")]
    assert sorted(e["reason"] for e in errs) == sorted(r.nonzero_drops())
    for e in errs:
        assert e["count"] == r.drops[e["reason"]], e
        own = "multihoming" if e["reason"] in (
            "nptv6_unmappable", "strict_uplink_down",
            "no_uplink_available") else "core"
        assert e["feature"] == own, e
        if e["reason"] in INPUT_DROPS:
            assert e["stage"] == "input", e
    punts = {e["reason"]: e["count"] for e in r.live["errors"]
             if e["kind"] == "punt"}
    assert punts["local"] + punts["resolve"] == r.stats["punted"], punts


def test_show_local(runtime):
    """show local: the local-delivery table, ARP and echo6 hit once per
    request, the rest not at all."""
    for mode in ("fast", "general"):
        loc = runtime[mode].live["local"]
        hits = collections.Counter()
        for e in loc:
            hits[e["handler"]] += e["hits"]
        assert {"arp", "nd", "echo6", "echo4", "uplink-probe"} <= set(hits), loc
        assert +hits == collections.Counter({"arp": 3, "echo6": 3}), loc
        arp = [e for e in loc if e["handler"] == "arp"]
        assert arp == [{"family": 0, "proto": 0, "port_or_type": -1,
                        "handler": "arp", "hits": 3}], arp
        ok, text = runtime[mode].live["local_text"]
        assert ok and re.search(r"^ipv6\s+58\s+128\s+echo6\s+3$", text,
                                re.M), text
