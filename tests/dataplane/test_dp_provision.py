#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Uplink provisioning (issue 17, docs/provisioning.md) through the whole
data plane: scapy plays the ISP (DHCPv6 server, DHCPv4 server, router) on
wan1 and a host on lan0; neptune's messages are decoded with scapy's own
codecs (scapy.layers.dhcp6 / dhcp / inet6, independent of lib/prov) and
checked field by field.

The peers answer what neptune sent in the same run, so the inputs are
FIFOs (neptune_dp.Dataplane fifo_ports, `dataplane.burst: 1`). A worker
blocked on an empty FIFO would neither transmit what the control lcore
queued nor pass an RCU quiescent point (a republish of learnt values
waits for one), so a pump thread feeds one throwaway frame (to a foreign
MAC, dropped as `l2_not_for_us`) into every FIFO every 10 ms: the worker
keeps looping as it would on a real port. The tests read out<N>.pcap
while neptune runs (the pcap PMD flushes each burst) and wait with
bounded polls only.

Runs (about 30 s in all):
  - DHCPv6-PD (isp1 on wan1 asks for a prefix; isp2 on wan2 has a static
    one): Solicit, Advertise, Request, Reply (T1 3 s, T2 5 s); before the
    Reply isp1 is `unprovisioned`, balanced LAN traffic goes to isp2 and
    a strict isp1 destination is unreachable; after it the delegated /64
    (subnet 0) is isp1's NPTv6 prefix; the Renew at T1; a Reply moving the
    lease to another prefix moves the translation (the pinned flow
    re-selects), `changes` 2, the log lines; `pd_subnet` 1 translating
    to the second /64 and `show dhcp` prefix_used naming it; the Release
    and the last RA (router lifetime 0) at shutdown;
  - DHCPv6 bad input: truncated, option overrun, nested overrun, wrong
    xid, wrong client id, a Reconfigure: counted (bad_dhcp6, rejected,
    reconfigure_ignored), never answered, the client still takes the
    good Advertise after them; the accounting identities;
  - SLAAC: the RS, an RA from fe80::1, the DAD NS from ::, the address in
    use after 1 s, the learnt default route (NS for fe80::1, the held
    packet forwarded to its MAC), RAs with hop limit 64 or a global
    source dropped (nd_malformed) and without effect; a DAD answered by
    an NA: the address not used, the uplink unprovisioned;
  - DHCPv4: DISCOVER, OFFER, REQUEST, ACK; the leased address answers ARP
    (not before the ACK), NAT44 uses it as the source of a LAN flow, the
    learnt gateway resolved by ARP;
  - RAs on lan0: periodic (interval_s 4) with every field checked; an RS
    brings one within 0.5 s, an RS with hop limit 64 does not
    (nd_malformed);
  - configuration errors (`neptune --check-config`): file:line:column and
    the key path.
"""
import ipaddress
import json
import struct
import subprocess
import threading
import time

import pytest

from dp_packets import UDP, IPv6, Raw, from_host, udp6, udp4
from neptune_dp import (GW6, GW_MAC, HOST4, HOST6, HOST_MAC, LAN0_MAC,
                        NEPTUNE, REMOTE4, REMOTE6, STATIC_NEIGHBORS,
                        WAN1_MAC, WAN6, DataplaneError, read_pcap)
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dhcp6 import (DHCP6_Advertise, DHCP6_Release,
                                DHCP6_Renew, DHCP6_Reply, DHCP6_Request,
                                DHCP6_Solicit, DHCP6OptClientId,
                                DHCP6OptElapsedTime, DHCP6OptIA_PD,
                                DHCP6OptIAPrefix, DHCP6OptOptReq,
                                DHCP6OptServerId, DUID_LL)
from scapy.layers.inet import IP
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptDNSSL,
                                ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU,
                                ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS,
                                ICMPv6NDOptSrcLLAddr)
from scapy.layers.l2 import ARP, Ether
from scapy.utils6 import in6_getnsma, in6_getnsmac, in6_mactoifaceid

# -- topology -----------------------------------------------------------------

def ll_of(mac):
    """The modified-EUI-64 link-local address of a MAC (scapy's own)."""
    return canon("fe80::" + in6_mactoifaceid(mac))


def canon(addr):
    return str(ipaddress.IPv6Address(addr))


NEP_WAN_LL = ll_of(WAN1_MAC)       # fe80::ff:fe00:11
NEP_LAN_LL = ll_of(LAN0_MAC)
SRV_MAC, SRV_LL = "02:00:00:00:bb:05", "fe80::5"    # the DHCPv6 server
RTR_MAC, RTR_LL = "02:00:00:00:bb:01", "fe80::1"    # the ISP's router
SRV_DUID = DUID_LL(lladdr=SRV_MAC)
PD1, PD2 = "2001:db8:1100::", "2001:db8:1200::"      # delegated /56s
SRV1 = "2001:db8:101:1::10"        # strict -> isp1
BALANCED = "2001:db8:998:1::10"
INSIDE = "fd42:100:1::/64"
WAN2_MAC, GW2_6, GW2_MAC = "02:00:00:00:00:12", "2001:db8:20:1::1", \
    "02:00:00:00:bb:02"
ISP2_PFX = "2001:db8:2200:1::"
SLAAC_PFX = "2001:db8:10:1::"
SLAAC_ADDR = canon(SLAAC_PFX[:-1] + in6_mactoifaceid(WAN1_MAC))
# DHCPv4: the lease is not the harness's static WAN address on purpose
LEASE4, MASK4, ROUTER4, SERVER4 = ("198.51.100.34", "255.255.255.240",
                                   "198.51.100.33", "198.51.100.40")
ROUTER4_MAC, SERVER4_MAC = "02:00:00:00:bb:21", "02:00:00:00:bb:22"
BCAST = "ff:ff:ff:ff:ff:ff"

# A frame neptune drops at once (l2_not_for_us): the pump's kick.
KICK = {
    "lan0": bytes(Ether(src=HOST_MAC, dst="02:00:00:00:ee:ee") /
                  IPv6(src=HOST6, dst=REMOTE6) / UDP(sport=9, dport=9)),
    "wan1": bytes(Ether(src=GW_MAC, dst="02:00:00:00:ee:ee") /
                  IPv6(src=GW6, dst=WAN6) / UDP(sport=9, dport=9)),
}


def a16(addr):
    return ipaddress.IPv6Address(addr).packed


def mac_b(mac):
    return bytes.fromhex(mac.replace(":", ""))


def npt64(addr, inside, outside):
    """RFC 6296 3.2/3.7 for two /64s: the prefix replaced, the first word
    of the interface identifier adjusted so the one's complement sum of
    the address is unchanged (computed here, not taken from neptune)."""
    a = bytearray(a16(addr))
    i, o = a16(inside), a16(outside)

    def s(b):
        t = sum(struct.unpack("!4H", b[:8]))
        while t >> 16:
            t = (t & 0xffff) + (t >> 16)
        return t
    w = struct.unpack("!H", a[8:10])[0]
    t = w + s(i) + (~s(o) & 0xffff)
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    assert t != 0xffff
    a[:8] = o[:8]
    a[8:10] = struct.pack("!H", t)
    return str(ipaddress.IPv6Address(bytes(a)))


def ones_sum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return t


# -- a neptune whose FIFO inputs are kept awake -------------------------------

class Live:
    """A Dataplane on FIFO inputs with a pump thread (see the module
    docstring); send() feeds frames, wait_frame() reads the outputs."""

    def __init__(self, dataplane, extra_cfg, fifo=("lan0", "wan1"),
                 extra_ports=()):
        cfg = dict(extra_cfg)
        cfg.setdefault("dataplane", {})["burst"] = 1
        self.dp = dataplane(extra_cfg=cfg, fifo_ports=list(fifo),
                            extra_ports=list(extra_ports))
        self.dp.cfg.setdefault("provisioning", {})["duid_file"] = \
            str(self.dp.tmp / "duid")
        self.dp.write_config(self.dp.cfg)
        self.fifo = tuple(fifo)
        self.kicks = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = None
        self.seen = {p: 0 for p in self.dp.ports}
        self.t0 = None

    def start(self):
        self.dp.start()
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()
        return self

    def _pump(self):
        while not self.stopping.is_set():
            with self.lock:
                try:
                    for p in self.fifo:
                        self.dp.feed(p, [KICK[p]])
                        self.kicks += 1
                except (KeyError, OSError):
                    return      # the harness closed the FIFOs (a failure)
            time.sleep(0.01)

    def send(self, port, frames):
        with self.lock:
            for f in frames:
                self.dp.feed(port, [bytes(f)])

    def json(self, line):
        return self.dp.json(line)

    def out(self, port):
        i = self.dp.ports.index(port)
        return read_pcap(self.dp.tmp / f"out{i}.pcap")

    def wait_frame(self, port, pred, what, timeout=5.0, since=None):
        """The first frame on port (from index `since`, default: the
        frames not yet looked at by an earlier wait) for which pred(Ether)
        is true; returns the scapy packet. Frames before it stay looked
        at."""
        start = self.seen[port] if since is None else since
        end = time.monotonic() + timeout
        while True:
            frames = self.out(port)
            for k in range(start, len(frames)):
                p = Ether(frames[k])
                if pred(p):
                    self.seen[port] = k + 1
                    p.raw = frames[k]
                    p.when = time.monotonic()
                    return p
            if self.dp.proc.poll() is not None:
                raise DataplaneError(f"neptune died\n{self.dp.log()}")
            if time.monotonic() > end:
                raise DataplaneError(
                    f"no {what} on {port} within {timeout}s; saw " +
                    "; ".join(Ether(f).summary() for f in frames[start:])
                    + f"\n{self.dp.log()}")
            time.sleep(0.01)

    def poll(self, what, cond, timeout=5.0):
        return self.dp.wait_for(what, cond, timeout=timeout)

    def wait_rx(self, timeout=5.0):
        """Every frame fed so far received (kicks included)."""
        end = time.monotonic() + timeout
        while True:
            with self.lock:
                want = self.dp.expected_rx()
            st = self.dp.stats()
            if st["rx_packets"] >= want:
                return st
            if time.monotonic() > end:
                raise DataplaneError(f"rx {st['rx_packets']} < {want}\n"
                                     f"{self.dp.log()}")
            time.sleep(0.01)

    def stop(self):
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()
        self.dp._close_feeds()      # end of file: nothing blocks any more
        self.dp.wait_idle()
        return self.dp.stop()


def dhcp6(p, cls):
    return p.haslayer(UDP) and p[UDP].dport == 547 and p.haslayer(cls)


def uplink(live, name):
    return next(u for u in live.json("show uplinks")["uplinks"]
                if u["name"] == name)


def dhcp_of(live, name="isp1"):
    d = live.json("show dhcp")
    return d, next(u for u in d["uplinks"] if u["uplink"] == name)


def check_accounting(st):
    w, c = st["worker"], st["control"]
    assert w["rx_packets"] == st["rx_packets"]
    assert w["rx_packets"] == w["forwarded"] + w["punted"] + w["drops"], w
    assert w["punted"] == c["local"] + c["forwarded"] + c["held"] + \
        c["drops"], c


def assert_only_drops(r, expected):
    got = r.nonzero_drops()
    assert got == expected, f"drops: expected {expected}, observed {got}"


def from_server(msg, dst=NEP_WAN_LL, dst_mac=WAN1_MAC):
    return Ether(src=SRV_MAC, dst=dst_mac) / \
        IPv6(src=SRV_LL, dst=dst, hlim=64) / UDP(sport=547, dport=546) / msg


def raw_opt(code, data):
    return struct.pack("!HH", code, len(data)) + data


def icmp6_cksum_ok(p, cls):
    """The ICMPv6 checksum is the one scapy computes from the bytes."""
    q = Ether(p.raw)
    del q[cls].cksum
    assert Ether(bytes(q))[cls].cksum == p[cls].cksum, \
        f"{cls.__name__}: checksum {p[cls].cksum:#06x}, should be " \
        f"{Ether(bytes(q))[cls].cksum:#06x}"


def check_dhcp6_frame(p, cls, duid):
    """What every client message of neptune's must be."""
    assert p[Ether].src == WAN1_MAC
    assert p[Ether].dst == "33:33:00:01:00:02"
    ip = p[IPv6]
    assert (ip.src, ip.dst, ip.hlim) == (NEP_WAN_LL, "ff02::1:2", 1), \
        ip.summary()
    assert (p[UDP].sport, p[UDP].dport) == (546, 547)
    # checksums: as scapy computes them from the same bytes
    q = Ether(p.raw)
    del q[UDP].chksum
    assert Ether(bytes(q))[UDP].chksum == p[UDP].chksum
    assert p.haslayer(cls)
    assert bytes(p[DHCP6OptClientId].duid) == duid
    assert p.haslayer(DHCP6OptElapsedTime)


# == 1. DHCPv6-PD ==============================================================

PD_CFG = {
    "neighbors": {"static": STATIC_NEIGHBORS + [
        {"port": "wan2", "address": GW2_6, "mac": GW2_MAC}]},
    "uplinks": [
        {"name": "isp1", "port": "wan1", "next_hop": GW6,
         "delegated_prefix": "dhcpv6-pd", "prefix_hint": 56,
         "health": {"enabled": False}},
        {"name": "isp2", "port": "wan2", "next_hop": GW2_6,
         "delegated_prefix": ISP2_PFX + "/64", "health": {"enabled": False}},
    ],
    "steering": {"inside_prefixes": [INSIDE], "flow_table_size": 4096,
                 "excluded_destination_prefixes": [INSIDE, "fe80::/10",
                                                   "ff00::/8"],
                 "policies": [{"name": "srv1",
                               "destination": "2001:db8:101:1::/64",
                               "mode": "strict", "uplink": "isp1"}]},
}
WAN2_PORT = [{"name": "wan2", "role": "wan", "mac": WAN2_MAC,
              "addresses": ["2001:db8:20:1::2/64"]}]


def steered(p, port_mac, gw_mac, prefix, l3):
    """p is l3 from HOST6 as it must leave: source NPTv6-translated to
    prefix (/64), hop limit one lower, MACs of the egress; every other
    byte as sent (the UDP checksum unchanged: checksum-neutral)."""
    raw = bytearray(bytes(l3))
    raw[8:24] = a16(npt64(HOST6, "fd42:100:1::", prefix))
    raw[7] -= 1
    want = bytes(Ether(src=port_mac, dst=gw_mac, type=0x86dd)) + bytes(raw)
    assert p.raw == want, f"{Ether(p.raw).summary()} != {Ether(want).summary()}"
    # the translated packet still verifies (scapy recomputes the sum)
    q = IPv6(bytes(raw))
    del q[UDP].chksum
    assert IPv6(bytes(q))[UDP].chksum == IPv6(bytes(raw))[UDP].chksum


def test_dhcpv6_pd_lease_renew_and_prefix_change(dataplane):
    live = Live(dataplane, PD_CFG, extra_ports=WAN2_PORT).start()
    t_start = time.time()

    # -- Solicit
    sol = live.wait_frame("wan1", lambda p: dhcp6(p, DHCP6_Solicit),
                          "Solicit", timeout=4)
    duid = bytes(sol[DHCP6OptClientId].duid)
    # DUID-LLT (type 1), hardware type 1, time since 2000, the WAN MAC
    typ, hw, tv = struct.unpack("!HHI", duid[:8])
    assert (typ, hw, duid[8:]) == (1, 1, mac_b(WAN1_MAC)), duid.hex()
    assert abs(tv + 946684800 - t_start) < 30, tv
    check_dhcp6_frame(sol, DHCP6_Solicit, duid)
    assert sol[DHCP6OptElapsedTime].elapsedtime < 200     # < 2 s, in 1/100 s
    assert {23, 24} <= set(sol[DHCP6OptOptReq].reqopts), sol[DHCP6OptOptReq]
    assert not sol.haslayer(DHCP6OptServerId)
    ia = sol[DHCP6OptIA_PD]
    iaid = ia.iaid
    hint = ia.iapdopt[0]
    assert isinstance(hint, DHCP6OptIAPrefix)
    assert (hint.plen, hint.prefix) == (56, "::"), hint.show(dump=True)
    xid = sol[DHCP6_Solicit].trid

    # -- before the lease: unprovisioned, no LAN traffic on wan1
    assert uplink(live, "isp1")["state"] == "unprovisioned"
    assert uplink(live, "isp2")["state"] == "up"
    _, d = dhcp_of(live)
    assert d["dhcp6"]["state"] == "soliciting"
    bal = udp6(dst=BALANCED, sport=41000)
    strict_before = udp6(dst=SRV1, sport=41001)
    live.send("lan0", [from_host() / bal, from_host() / strict_before])
    p = live.wait_frame("wan2", lambda p: p.haslayer(UDP) and
                        p[UDP].sport == 41000, "balanced packet on isp2")
    steered(p, WAN2_MAC, GW2_MAC, ISP2_PFX, bal)
    unr = live.wait_frame("lan0", lambda p: p.haslayer(ICMPv6DestUnreach),
                          "Destination Unreachable for strict isp1")
    assert unr[IPv6].dst == HOST6

    # -- Advertise -> Request
    adv = DHCP6_Advertise(trid=xid) / DHCP6OptClientId(duid=duid) / \
        DHCP6OptServerId(duid=SRV_DUID) / \
        DHCP6OptIA_PD(iaid=iaid, T1=3, T2=5, iapdopt=[DHCP6OptIAPrefix(
            preflft=30, validlft=60, plen=56, prefix=PD1)])
    live.send("wan1", [from_server(adv)])
    req = live.wait_frame("wan1", lambda p: dhcp6(p, DHCP6_Request),
                          "Request", timeout=3)
    check_dhcp6_frame(req, DHCP6_Request, duid)
    assert bytes(req[DHCP6OptServerId].duid) == bytes(SRV_DUID)
    assert req[DHCP6_Request].trid != xid      # a new transaction
    rq = req[DHCP6OptIA_PD]
    assert rq.iaid == iaid
    assert (rq.iapdopt[0].prefix, rq.iapdopt[0].plen) == (PD1, 56)
    # nothing steered to isp1 has left meanwhile: only DHCPv6 on wan1
    for f in live.out("wan1"):
        q = Ether(f)
        assert q.haslayer(UDP) and q[UDP].dport == 547, q.summary()
    _, d = dhcp_of(live)
    assert d["dhcp6"]["state"] == "requesting"
    assert uplink(live, "isp1")["state"] == "unprovisioned"

    # -- Reply: bound, the prefix in use
    rep = DHCP6_Reply(trid=req[DHCP6_Request].trid) / \
        DHCP6OptClientId(duid=duid) / DHCP6OptServerId(duid=SRV_DUID) / \
        DHCP6OptIA_PD(iaid=iaid, T1=3, T2=5, iapdopt=[DHCP6OptIAPrefix(
            preflft=30, validlft=60, plen=56, prefix=PD1)])
    live.send("wan1", [from_server(rep)])
    t_bound = time.monotonic()
    live.poll("isp1 provisioned",
              lambda: uplink(live, "isp1")["state"] == "up")
    assert uplink(live, "isp1")["delegated_prefix"] == PD1 + "/64"
    tot, d = dhcp_of(live)
    d6 = d["dhcp6"]
    assert d6["state"] == "bound", d6
    assert (d6["prefix"], d6["prefix_used"]) == (PD1 + "/56", PD1 + "/64")
    assert d6["server"] == bytes(SRV_DUID).hex()
    assert (d6["t1_s"], d6["t2_s"]) == (3, 5)
    assert 28 <= d6["preferred_s"] <= 30 and 58 <= d6["valid_s"] <= 60, d6
    assert d6["changes"] == 1 and d6["received"] == 2 and \
        d6["rejected"] == 0, d6
    assert tot["republished"] >= 1 and tot["republish_failed"] == 0, tot
    assert "dhcp6 isp1: prefix 2001:db8:1100::/56 obtained (preferred " \
        "30 s, valid 60 s)" in live.dp.log()
    # the DUID is kept for the next start
    assert (live.dp.tmp / "duid").read_bytes() == duid
    flow = udp6(dst=SRV1, sport=42000)
    live.send("lan0", [from_host() / flow])
    p = live.wait_frame("wan1", lambda p: p.haslayer(UDP) and
                        p[UDP].sport == 42000, "isp1 packet")
    steered(p, WAN1_MAC, GW_MAC, PD1, flow)

    # -- Renew at T1, to all servers, with the Server ID
    ren = live.wait_frame("wan1", lambda p: dhcp6(p, DHCP6_Renew),
                          "Renew", timeout=6)
    assert ren.when - t_bound >= 2.5, "Renew before T1"
    check_dhcp6_frame(ren, DHCP6_Renew, duid)
    assert bytes(ren[DHCP6OptServerId].duid) == bytes(SRV_DUID)
    rn = ren[DHCP6OptIA_PD]
    assert rn.iaid == iaid
    assert (rn.iapdopt[0].prefix, rn.iapdopt[0].plen) == (PD1, 56)
    _, d = dhcp_of(live)
    assert d["dhcp6"]["state"] == "renewing"

    # -- the ISP moves the lease: old prefix at lifetime 0, a new one
    rep2 = DHCP6_Reply(trid=ren[DHCP6_Renew].trid) / \
        DHCP6OptClientId(duid=duid) / DHCP6OptServerId(duid=SRV_DUID) / \
        DHCP6OptIA_PD(iaid=iaid, T1=30, T2=48, iapdopt=[
            DHCP6OptIAPrefix(preflft=0, validlft=0, plen=56, prefix=PD1),
            DHCP6OptIAPrefix(preflft=40, validlft=80, plen=56, prefix=PD2)])
    live.send("wan1", [from_server(rep2)])
    live.poll("the new prefix on isp1", lambda: uplink(
        live, "isp1")["delegated_prefix"] == PD2 + "/64")
    _, d = dhcp_of(live)
    d6 = d["dhcp6"]
    assert (d6["state"], d6["prefix"], d6["prefix_used"]) == \
        ("bound", PD2 + "/56", PD2 + "/64"), d6
    assert d6["changes"] == 2 and (d6["t1_s"], d6["t2_s"]) == (30, 48), d6
    log = live.dp.log()
    assert "dhcp6 isp1: prefix changed 2001:db8:1100::/56 -> " \
        "2001:db8:1200::/56" in log, log
    assert "uplink isp1: learnt prefix or address changed, 1 flows " \
        "re-select" in log, log
    u = uplink(live, "isp1")
    assert (u["address_changes"], u["address_change_flows"]) == (2, 1), u
    # the same flow again, and a new one: the new prefix
    flow2 = udp6(dst=SRV1, sport=42001)
    live.send("lan0", [from_host() / flow, from_host() / flow2])
    p = live.wait_frame("wan1", lambda p: p.haslayer(UDP) and
                        p[UDP].sport == 42000, "isp1 packet (same flow)")
    steered(p, WAN1_MAC, GW_MAC, PD2, flow)
    p = live.wait_frame("wan1", lambda p: p.haslayer(UDP) and
                        p[UDP].sport == 42001, "isp1 packet (new flow)")
    steered(p, WAN1_MAC, GW_MAC, PD2, flow2)
    _, d = dhcp_of(live)
    assert d["dhcp6"]["rejected"] == 0 and d["dhcp6"]["changes"] == 2

    r = live.stop()
    check_accounting(r.stats)
    assert_only_drops(r, {"l2_not_for_us": live.kicks,
                          "strict_uplink_down": 1})


def bind_pd(live):
    """Solicit, Advertise, Request, Reply (PD1, T1 30 s): bound. Returns
    the client's DUID."""
    sol = live.wait_frame("wan1", lambda p: dhcp6(p, DHCP6_Solicit),
                          "Solicit", timeout=4)
    duid = bytes(sol[DHCP6OptClientId].duid)
    iaid = sol[DHCP6OptIA_PD].iaid

    def lease(cls, trid):
        return cls(trid=trid) / DHCP6OptClientId(duid=duid) / \
            DHCP6OptServerId(duid=SRV_DUID) / \
            DHCP6OptIA_PD(iaid=iaid, T1=30, T2=48, iapdopt=[
                DHCP6OptIAPrefix(preflft=40, validlft=80, plen=56,
                                 prefix=PD1)])
    live.send("wan1", [from_server(lease(DHCP6_Advertise,
                                         sol[DHCP6_Solicit].trid))])
    req = live.wait_frame("wan1", lambda p: dhcp6(p, DHCP6_Request),
                          "Request", timeout=3)
    live.send("wan1", [from_server(lease(DHCP6_Reply,
                                         req[DHCP6_Request].trid))])
    live.poll("bound", lambda: dhcp_of(live)[1]["dhcp6"]["state"] ==
              "bound")
    return duid


def test_pd_subnet_is_the_translated_64(dataplane):
    """pd_subnet 1: the second /64 of the delegated /56 is isp1's NPTv6
    prefix, and `show dhcp` prefix_used names that /64."""
    cfg = dict(PD_CFG)
    cfg["uplinks"] = [dict(PD_CFG["uplinks"][0], pd_subnet=1),
                      PD_CFG["uplinks"][1]]
    live = Live(dataplane, cfg, extra_ports=WAN2_PORT).start()
    bind_pd(live)
    sub1 = "2001:db8:1100:1::"
    live.poll("isp1 provisioned", lambda: uplink(live, "isp1")[
        "delegated_prefix"] == sub1 + "/64")
    flow = udp6(dst=SRV1, sport=42100)
    live.send("lan0", [from_host() / flow])
    p = live.wait_frame("wan1", lambda p: p.haslayer(UDP) and
                        p[UDP].sport == 42100, "isp1 packet")
    steered(p, WAN1_MAC, GW_MAC, sub1, flow)
    d6 = dhcp_of(live)[1]["dhcp6"]
    assert (d6["prefix"], d6["prefix_used"]) == (PD1 + "/56", sub1 + "/64"), d6
    r = live.stop()
    check_accounting(r.stats)


def test_lease_events(dataplane):
    """The events feature reports provisioning (docs/operations.md):
    delegated_prefix none -> the prefix ("obtained") once bound, and the
    republish as a reload whose reason says learnt values."""
    live = Live(dataplane, dict(PD_CFG), extra_ports=WAN2_PORT).start()
    bind_pd(live)

    def ev(kind):
        return [e for e in live.json("show hooks")["recent"]
                if e["kind"] == kind]
    live.poll("a delegated_prefix event", lambda: ev("delegated_prefix"))
    e = ev("delegated_prefix")[-1]
    assert (e["subject"], e["from"], e["to"], e["reason"]) == \
        ("isp1", "none", PD1 + "/56", "obtained"), e
    live.poll("a reload event", lambda: ev("reload"))
    assert ev("reload")[-1]["reason"] == "learnt values applied", ev("reload")
    live.stop()


def test_duid_kept_across_restarts(dataplane):
    """RFC 8415 11: the DUID a restarted neptune finds in duid_file is
    the one it sends (here a DUID-EN neptune would never make itself),
    and the file is left as it was."""
    kept = bytes.fromhex("0002000009bf") + b"kept-by-a-restart"
    live = Live(dataplane, dict(PD_CFG), extra_ports=WAN2_PORT)
    (live.dp.tmp / "duid").write_bytes(kept)
    live.start()
    sol = live.wait_frame("wan1", lambda p: dhcp6(p, DHCP6_Solicit),
                          "Solicit", timeout=4)
    assert bytes(sol[DHCP6OptClientId].duid) == kept
    live.stop()
    assert (live.dp.tmp / "duid").read_bytes() == kept


def test_shutdown_releases_lease_and_retires_router(dataplane):
    """docs/provisioning.md: on shutdown a Release for every lease
    (RFC 8415 18.2.7) and a last RA with router lifetime 0 (RFC 4861
    6.2.5)."""
    cfg = dict(PD_CFG, provisioning={"router_advertisements": [RA_CONF]})
    live = Live(dataplane, cfg, extra_ports=WAN2_PORT).start()
    duid = bind_pd(live)
    live.wait_frame("lan0", lambda p: p.haslayer(ICMPv6ND_RA), "an RA")
    seen = dict(live.seen)
    r = live.stop()
    rel = [Ether(f) for f in r.outputs["wan1"][seen["wan1"]:]]
    rel = [p for p in rel if dhcp6(p, DHCP6_Release)]
    assert len(rel) == 1, "no Release at shutdown: " + str(
        [Ether(f).summary() for f in r.outputs["wan1"][seen["wan1"]:]])
    rel[0].raw = bytes(rel[0])
    check_dhcp6_frame(rel[0], DHCP6_Release, duid)
    assert bytes(rel[0][DHCP6OptServerId].duid) == bytes(SRV_DUID)
    assert rel[0][DHCP6OptIA_PD].iapdopt[0].prefix == PD1
    last = [Ether(f) for f in r.outputs["lan0"][seen["lan0"]:]]
    last = [p for p in last if p.haslayer(ICMPv6ND_RA)]
    assert last and last[-1][ICMPv6ND_RA].routerlifetime == 0, \
        "no RA with router lifetime 0 at shutdown"


# == 2. DHCPv6: bad input ======================================================

def test_dhcpv6_bad_input_dropped_and_counted(dataplane):
    cfg = {"uplinks": [PD_CFG["uplinks"][0]],
           "steering": {"inside_prefixes": [INSIDE], "flow_table_size": 4096}}
    live = Live(dataplane, cfg).start()
    sol = live.wait_frame("wan1", lambda p: dhcp6(p, DHCP6_Solicit),
                          "Solicit", timeout=4)
    duid = bytes(sol[DHCP6OptClientId].duid)
    xid = sol[DHCP6_Solicit].trid
    iaid = sol[DHCP6OptIA_PD].iaid
    hdr = struct.pack("!I", (2 << 24) | xid)          # Advertise
    cid, sid = raw_opt(1, duid), raw_opt(2, bytes(SRV_DUID))
    iapfx = raw_opt(26, struct.pack("!IIB", 30, 60, 56) + a16(PD1))
    iapd = raw_opt(25, struct.pack("!III", iaid, 3, 5) + iapfx)
    good = hdr + cid + sid + iapd

    bad = [
        hdr[:3],                                  # truncated header
        hdr + cid + sid + struct.pack("!HH", 25, 200) + iapd[4:],  # overrun
        # the IA Prefix claims more than its IA_PD holds
        hdr + cid + sid + raw_opt(25, struct.pack("!III", iaid, 3, 5) +
                                  struct.pack("!HH", 26, 40) + iapfx[4:]),
    ]
    wrong_xid = struct.pack("!I", (2 << 24) | (xid ^ 0x5a5a5a)) + cid + \
        sid + iapd
    other = bytearray(duid)
    other[-1] ^= 0xff
    wrong_cid = hdr + raw_opt(1, bytes(other)) + sid + iapd
    reconf = struct.pack("!I", (10 << 24) | xid) + cid + sid + \
        raw_opt(19, b"\x05")                      # Reconfigure: Renew
    live.send("wan1", [from_server(Raw(b)) for b in bad] +
              [from_server(Raw(wrong_xid)), from_server(Raw(wrong_cid)),
               from_server(Raw(reconf))])
    live.poll("the bad messages counted", lambda: (
        live.json("show dhcp")["bad_dhcp6"] == 3 and
        live.json("show dhcp")["reconfigure_ignored"] == 1 and
        dhcp_of(live)[1]["dhcp6"]["rejected"] == 2))
    time.sleep(0.3)       # anything they would have caused has happened
    tot, d = dhcp_of(live)
    assert (tot["bad_dhcp6"], tot["reconfigure_ignored"]) == (3, 1), tot
    d6 = d["dhcp6"]
    assert (d6["state"], d6["received"], d6["rejected"]) == \
        ("soliciting", 0, 2), d6
    # never answered: every DHCPv6 message so far a Solicit of that xid
    for f in live.out("wan1"):
        q = Ether(f)
        assert dhcp6(q, DHCP6_Solicit) and q[DHCP6_Solicit].trid == xid, \
            q.summary()
    # the client is alive and takes a well-formed Advertise
    live.send("wan1", [from_server(Raw(good))])
    req = live.wait_frame("wan1", lambda p: dhcp6(p, DHCP6_Request),
                          "Request after the good Advertise", timeout=3)
    assert bytes(req[DHCP6OptServerId].duid) == bytes(SRV_DUID)
    r = live.stop()
    assert "obtained" not in r.log
    check_accounting(r.stats)
    assert_only_drops(r, {"l2_not_for_us": live.kicks})


# == 3. SLAAC and the default router ===========================================

SLAAC_CFG = {
    # no static IPv6 on wan1, no IPv6 default route: both learnt
    "neighbors": {"static": [n for n in STATIC_NEIGHBORS
                             if n["address"] != GW6]},
    "routes": [{"prefix": "0.0.0.0/0", "via": "198.51.100.17"}],
    "uplinks": [{"name": "isp1", "port": "wan1", "address": "slaac",
                 "delegated_prefix": "2001:db8:1100:1::/64",
                 "health": {"enabled": False}}],
}


def router_ra(hlim=255, src=RTR_LL, lifetime=1800, pfx=SLAAC_PFX):
    return Ether(src=RTR_MAC, dst="33:33:00:00:00:01") / \
        IPv6(src=src, dst="ff02::1", hlim=hlim) / \
        ICMPv6ND_RA(routerlifetime=lifetime) / \
        ICMPv6NDOptSrcLLAddr(lladdr=RTR_MAC) / \
        ICMPv6NDOptPrefixInfo(prefix=pfx, prefixlen=64, L=1, A=1,
                              validlifetime=3600, preferredlifetime=1800)


def slaac_live(dataplane):
    live = Live(dataplane, SLAAC_CFG)
    for p in live.dp.cfg["ports"]:
        if p["name"] == "wan1":
            p["addresses"] = ["198.51.100.18/28"]
    live.dp.write_config(live.dp.cfg)
    live.start()
    rs = live.wait_frame("wan1", lambda p: p.haslayer(ICMPv6ND_RS),
                         "Router Solicitation", timeout=3)
    assert (rs[Ether].dst, rs[IPv6].src, rs[IPv6].dst, rs[IPv6].hlim) == \
        ("33:33:00:00:00:02", NEP_WAN_LL, "ff02::2", 255), rs.summary()
    assert rs[ICMPv6NDOptSrcLLAddr].lladdr == WAN1_MAC
    icmp6_cksum_ok(rs, ICMPv6ND_RS)
    assert uplink(live, "isp1")["state"] == "unprovisioned"
    live.send("wan1", [router_ra()])
    ns = live.wait_frame("wan1", lambda p: p.haslayer(ICMPv6ND_NS),
                         "DAD Neighbor Solicitation", timeout=3)
    t_dad = time.monotonic()
    assert ns[Ether].dst == in6_getnsmac(in6_getnsma(a16(SLAAC_ADDR)))
    assert (ns[IPv6].src, ns[IPv6].dst, ns[IPv6].hlim) == \
        ("::", str(ipaddress.IPv6Address(in6_getnsma(a16(SLAAC_ADDR)))),
         255), ns.summary()
    assert ns[ICMPv6ND_NS].tgt == SLAAC_ADDR
    assert not ns.haslayer(ICMPv6NDOptSrcLLAddr)   # RFC 4862 5.4.2
    icmp6_cksum_ok(ns, ICMPv6ND_NS)
    _, d = dhcp_of(live)
    assert d["slaac"]["tentative"] == SLAAC_ADDR and \
        d["slaac"]["address"] is None, d
    assert d["slaac"]["router"] == RTR_LL
    return live, t_dad


def test_slaac_address_and_default_router(dataplane):
    live, t_dad = slaac_live(dataplane)
    _, d = live.poll("the SLAAC address in use", lambda: (
        lambda x: x if x[1]["slaac"]["address"] else None)(dhcp_of(live)),
        timeout=3)
    assert time.monotonic() - t_dad >= 0.9, "DAD shorter than 1 s"
    s = d["slaac"]
    assert (s["address"], s["tentative"], s["router"]) == \
        (SLAAC_ADDR, None, RTR_LL), s
    assert 1790 <= s["router_lifetime_s"] <= 1800 and s["ra_received"] == 1
    live.poll("isp1 provisioned",
              lambda: uplink(live, "isp1")["state"] == "up")
    assert uplink(live, "isp1")["next_hop"] == RTR_LL
    assert f"slaac isp1: address {SLAAC_ADDR} in use" in live.dp.log()
    assert f"ra isp1: default router {RTR_LL} (lifetime 1800 s)" in \
        live.dp.log()
    routes = live.json("show routes")
    assert any(r.get("prefix") == "::/0" and RTR_LL in json.dumps(r)
               for r in routes["routes"]), routes
    # the address answers: echo to it from the router
    # (and the port's address list has it)
    # a LAN packet to an unknown destination: the default route via
    # fe80::1, resolved by ND first
    pkt = udp6(dst=REMOTE6, sport=43000)
    live.send("lan0", [from_host() / pkt])
    ns = live.wait_frame("wan1", lambda p: p.haslayer(ICMPv6ND_NS) and
                         p[ICMPv6ND_NS].tgt == RTR_LL, "NS for fe80::1")
    assert ns[IPv6].dst == str(ipaddress.IPv6Address(in6_getnsma(
        a16(RTR_LL)))) and ns[ICMPv6NDOptSrcLLAddr].lladdr == WAN1_MAC
    na = Ether(src=RTR_MAC, dst=WAN1_MAC) / \
        IPv6(src=RTR_LL, dst=ns[IPv6].src, hlim=255) / \
        ICMPv6ND_NA(tgt=RTR_LL, R=1, S=1, O=1) / \
        ICMPv6NDOptDstLLAddr(lladdr=RTR_MAC)
    live.send("wan1", [na])
    p = live.wait_frame("wan1", lambda p: p.haslayer(UDP) and
                        p[UDP].sport == 43000, "the routed packet")
    want = bytearray(bytes(pkt))
    want[7] -= 1
    assert p.raw == bytes(Ether(src=WAN1_MAC, dst=RTR_MAC, type=0x86dd)) + \
        bytes(want), p.summary()
    # RAs that must not count: hop limit 64, a global source (each one
    # withdrawing the router if it were taken)
    live.send("wan1", [router_ra(hlim=64, lifetime=0),
                       router_ra(src=GW6, lifetime=0)])
    live.poll("two RAs rejected",
              lambda: live.json("show drops")["drops"]["nd_malformed"] == 2)
    time.sleep(0.2)
    tot, d = dhcp_of(live)
    assert (d["slaac"]["router"], d["slaac"]["address"]) == \
        (RTR_LL, SLAAC_ADDR), d
    assert (d["slaac"]["ra_received"], d["slaac"]["ra_rejected"],
            tot["bad_ra"]) == (1, 2, 2), (d, tot)
    assert uplink(live, "isp1")["state"] == "up"
    r = live.stop()
    assert "withdrawn" not in r.log
    check_accounting(r.stats)
    assert_only_drops(r, {"l2_not_for_us": live.kicks, "nd_malformed": 2})


def test_slaac_duplicate_address_not_used(dataplane):
    live, _ = slaac_live(dataplane)
    # another node has the address: its NA for it
    na = Ether(src="02:00:00:00:cc:01", dst="33:33:00:00:00:01") / \
        IPv6(src=SLAAC_ADDR, dst="ff02::1", hlim=255) / \
        ICMPv6ND_NA(tgt=SLAAC_ADDR, R=0, S=0, O=1) / \
        ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:cc:01")
    live.send("wan1", [na])
    live.poll("DAD over", lambda: dhcp_of(live)[1]["slaac"]["tentative"]
              is None, timeout=3)
    time.sleep(0.2)
    _, d = dhcp_of(live)
    assert d["slaac"]["address"] is None, d
    assert uplink(live, "isp1")["state"] == "unprovisioned"
    r = live.stop()
    assert f"isp1: {SLAAC_ADDR} is a duplicate (DAD): not used" in r.log
    assert "in use" not in r.log
    check_accounting(r.stats)


# == 4. DHCPv4 =================================================================

V4_CFG = {
    "neighbors": {"static": [n for n in STATIC_NEIGHBORS
                             if n["address"] != "198.51.100.17"]},
    "routes": [{"prefix": "::/0", "via": GW6}],
    "uplinks": [{"name": "isp1", "port": "wan1", "next_hop": GW6,
                 "delegated_prefix": "2001:db8:1100:1::/64", "ipv4": "dhcp",
                 "health": {"enabled": False}}],
    "steering": {"inside_prefixes": [INSIDE, "192.0.2.0/24"],
                 "flow_table_size": 4096},
    "nat44": {"max_sessions": 4096},
}


def dhcp_opts(p):
    return {o[0]: o[1:] for o in p[DHCP].options if isinstance(o, tuple)}


def from_dhcp4_server(msg_type, xid, extra=()):
    return Ether(src=SERVER4_MAC, dst=BCAST) / \
        IP(src=SERVER4, dst="255.255.255.255", ttl=64) / \
        UDP(sport=67, dport=68) / \
        BOOTP(op=2, xid=xid, yiaddr=LEASE4, flags=0x8000,
              chaddr=mac_b(WAN1_MAC) + b"\0" * 10) / \
        DHCP(options=[("message-type", msg_type), ("server_id", SERVER4),
                      ("lease_time", 60), ("subnet_mask", MASK4),
                      ("router", ROUTER4)] + list(extra) + ["end"])


def check_dhcp4_frame(p, msg_type):
    assert (p[Ether].src, p[Ether].dst) == (WAN1_MAC, BCAST)
    assert (p[IP].src, p[IP].dst) == ("0.0.0.0", "255.255.255.255")
    assert (p[UDP].sport, p[UDP].dport) == (68, 67)
    q = Ether(p.raw)
    del q[IP].chksum, q[UDP].chksum
    q = Ether(bytes(q))
    assert (q[IP].chksum, q[UDP].chksum) == (p[IP].chksum, p[UDP].chksum)
    b = p[BOOTP]
    assert (b.op, b.htype, b.hlen, b.flags) == (1, 1, 6, 0x8000), b.summary()
    assert b.chaddr[:6] == mac_b(WAN1_MAC) and b.ciaddr == "0.0.0.0"
    o = dhcp_opts(p)
    assert o["message-type"] == (msg_type,), o
    assert o["client_id"] == (b"\x01" + mac_b(WAN1_MAC),), o
    assert {1, 3} <= set(o["param_req_list"][0]), o
    return o


def test_dhcpv4_lease_arp_and_nat44(dataplane):
    live = Live(dataplane, V4_CFG)
    for p in live.dp.cfg["ports"]:
        if p["name"] == "wan1":
            p["addresses"] = [WAN6 + "/64"]
    live.dp.write_config(live.dp.cfg)
    live.start()
    disc = live.wait_frame("wan1", lambda p: p.haslayer(DHCP), "DISCOVER",
                           timeout=4)
    check_dhcp4_frame(disc, 1)
    xid = disc[BOOTP].xid
    _, d = dhcp_of(live)
    assert d["dhcp4"]["state"] == "selecting" and \
        d["dhcp4"]["address"] is None
    live.send("wan1", [from_dhcp4_server(2, xid)])
    req = live.wait_frame("wan1", lambda p: p.haslayer(DHCP), "REQUEST",
                          timeout=3)
    o = check_dhcp4_frame(req, 3)
    assert req[BOOTP].xid == xid
    assert o["requested_addr"] == (LEASE4,) and o["server_id"] == (SERVER4,)
    # not ours yet: an ARP for the offered address is not answered
    arp_req = Ether(src=ROUTER4_MAC, dst=BCAST) / \
        ARP(op=1, hwsrc=ROUTER4_MAC, psrc=ROUTER4, pdst=LEASE4)
    live.send("wan1", [arp_req])
    live.poll("arp_not_for_us", lambda: live.json("show drops")["drops"][
        "arp_not_for_us"] == 1)
    live.send("wan1", [from_dhcp4_server(5, xid)])
    _, d = live.poll("bound", lambda: (lambda x: x if x[1]["dhcp4"][
        "state"] == "bound" else None)(dhcp_of(live)))
    d4 = d["dhcp4"]
    assert (d4["address"], d4["gateway"], d4["server"]) == \
        (LEASE4 + "/28", ROUTER4, SERVER4), d4
    assert 58 <= d4["lease_s"] <= 60 and 28 <= d4["renew_in_s"] <= 30, d4
    assert d4["changes"] == 1 and d4["rejected"] == 0, d4
    assert f"dhcp4 isp1: address {LEASE4}/28 obtained, gateway {ROUTER4}, " \
        "lease 60 s" in live.dp.log()
    # the address is the port's: ARP answered (after the republish)
    k = live.seen["wan1"]

    def arp_answered():
        live.send("wan1", [arp_req])
        try:
            return live.wait_frame("wan1", lambda p: p.haslayer(ARP) and
                                   p[ARP].op == 2, "ARP reply", timeout=0.3)
        except DataplaneError:
            return None
    rep = live.poll("ARP reply for the lease", arp_answered)
    assert (rep[Ether].src, rep[Ether].dst) == (WAN1_MAC, ROUTER4_MAC)
    assert (rep[ARP].hwsrc, rep[ARP].psrc, rep[ARP].hwdst,
            rep[ARP].pdst) == (WAN1_MAC, LEASE4, ROUTER4_MAC, ROUTER4)
    # a LAN flow: NAT44 with the leased address, via the leased gateway
    pkt = udp4(dst=REMOTE4, sport=40000)
    live.send("lan0", [from_host() / pkt])
    who = live.wait_frame("wan1", lambda p: p.haslayer(ARP) and
                          p[ARP].op == 1, "ARP for the gateway", since=k)
    assert (who[ARP].psrc, who[ARP].pdst, who[ARP].hwsrc) == \
        (LEASE4, ROUTER4, WAN1_MAC), who.summary()
    live.send("wan1", [Ether(src=ROUTER4_MAC, dst=WAN1_MAC) /
                       ARP(op=2, hwsrc=ROUTER4_MAC, psrc=ROUTER4,
                           hwdst=WAN1_MAC, pdst=LEASE4)])
    out = live.wait_frame("wan1", lambda p: p.haslayer(UDP) and
                          p.haslayer(IP) and p[IP].dst == REMOTE4,
                          "the NAT44 packet")
    sess = live.json("show nat44 sessions")
    sess = sess.get("sessions", sess)
    s = next(x for x in sess if x["inside"] == HOST4)
    assert (s["public"], s["uplink"]) == (LEASE4, "isp1"), s
    want = IP(bytes(pkt))
    want.src, want.ttl = LEASE4, want.ttl - 1
    want[UDP].sport = s["public_port"]
    del want.chksum, want[UDP].chksum
    assert out.raw == bytes(Ether(src=WAN1_MAC, dst=ROUTER4_MAC) / want), \
        out.summary()
    r = live.stop()
    check_accounting(r.stats)
    assert_only_drops(r, {"l2_not_for_us": live.kicks, "arp_not_for_us": 1})


# == 5. Router Advertisements on lan0 ==========================================

RA_CONF = {"port": "lan0", "interval_s": 4, "router_lifetime_s": 1800,
           "valid_lifetime_s": 86400, "preferred_lifetime_s": 14400,
           "other": True, "rdnss": ["2001:db8:999:1::53"],
           "dnssl": ["lab.example"]}


def ra_live(dataplane, **over):
    cfg = {"provisioning": {"router_advertisements": [dict(RA_CONF,
                                                          **over)]}}
    return Live(dataplane, cfg, fifo=("lan0",)).start()


def check_lan_ra(p, lifetime=1800, opt_lifetime=12):
    assert (p[Ether].src, p[Ether].dst) == (LAN0_MAC, "33:33:00:00:00:01")
    assert (p[IPv6].src, p[IPv6].dst, p[IPv6].hlim) == \
        (NEP_LAN_LL, "ff02::1", 255), p.summary()
    icmp6_cksum_ok(p, ICMPv6ND_RA)
    ra = p[ICMPv6ND_RA]
    assert (ra.chlim, ra.M, ra.O, ra.routerlifetime, ra.reachabletime,
            ra.retranstimer) == (64, 0, 1, lifetime, 0, 0), ra.show(dump=True)
    assert p[ICMPv6NDOptSrcLLAddr].lladdr == LAN0_MAC
    assert p[ICMPv6NDOptMTU].mtu == 1500
    pi = p[ICMPv6NDOptPrefixInfo]
    assert (pi.prefix, pi.prefixlen, pi.L, pi.A, pi.validlifetime,
            pi.preferredlifetime) == ("fd42:100:1::", 64, 1, 1, 86400, 14400)
    assert not pi.payload.haslayer(ICMPv6NDOptPrefixInfo)   # only one
    rd = p[ICMPv6NDOptRDNSS]
    assert (rd.lifetime, rd.dns) == (opt_lifetime, ["2001:db8:999:1::53"])
    ds = p[ICMPv6NDOptDNSSL]
    assert (ds.lifetime, ds.searchlist) == (opt_lifetime, ["lab.example."])


def test_lan_router_advertisements_periodic(dataplane):
    live = ra_live(dataplane)
    ras = []
    for i in range(3):
        ras.append(live.wait_frame("lan0", lambda p: p.haslayer(ICMPv6ND_RA),
                                   f"RA #{i}", timeout=5))
    for p in ras:
        check_lan_ra(p)
    assert ras[0].when - live.t0 < 1.5, "first RA not at start"
    for a, b in zip(ras, ras[1:]):
        # MinRtrAdvInterval = 4/3 s .. MaxRtrAdvInterval = 4 s
        assert 4 / 3 - 0.15 <= b.when - a.when <= 4 + 0.3, b.when - a.when
    ra = live.json("show ra")["ports"][0]
    assert ra["port"] == "lan0" and ra["sent"] >= 3 and \
        ra["solicited"] == 0, ra
    assert ra["prefixes"] == [{"prefix": "fd42:100:1::/64",
                               "valid_s": 86400, "preferred_s": 14400}]
    r = live.stop()
    check_accounting(r.stats)
    assert_only_drops(r, {"l2_not_for_us": live.kicks})


def test_lan_router_solicitation(dataplane):
    # interval 1800: after the first RA the next is 16 s away, so an RA
    # within 0.5 s of an RS is the RS's
    live = ra_live(dataplane, interval_s=1800)
    first = live.wait_frame("lan0", lambda p: p.haslayer(ICMPv6ND_RA),
                            "first RA", timeout=3)
    check_lan_ra(first, opt_lifetime=5400)
    host_ll = ll_of(HOST_MAC)
    rs = Ether(src=HOST_MAC, dst="33:33:00:00:00:02") / \
        IPv6(src=host_ll, dst="ff02::2", hlim=255) / ICMPv6ND_RS() / \
        ICMPv6NDOptSrcLLAddr(lladdr=HOST_MAC)
    bad = rs.copy()
    bad[IPv6].hlim = 64
    # past the 3 s rate limit of solicited RAs
    live.poll("3 s since the first RA",
              lambda: time.monotonic() - first.when > 3.1, timeout=4)
    live.send("lan0", [bad])
    live.poll("bad RS dropped", lambda: live.json("show drops")["drops"][
        "nd_malformed"] == 1)
    t = time.monotonic()
    with pytest.raises(DataplaneError):
        live.wait_frame("lan0", lambda p: p.haslayer(ICMPv6ND_RA),
                        "RA after a bad RS", timeout=1.0)
    live.send("lan0", [rs])
    t = time.monotonic()
    p = live.wait_frame("lan0", lambda p: p.haslayer(ICMPv6ND_RA),
                        "RA after the RS", timeout=2)
    assert p.when - t <= 0.6, p.when - t
    check_lan_ra(p, opt_lifetime=5400)
    ra = live.json("show ra")["ports"][0]
    assert (ra["sent"], ra["solicited"]) == (2, 1), ra
    r = live.stop()
    check_accounting(r.stats)
    assert_only_drops(r, {"l2_not_for_us": live.kicks, "nd_malformed": 1})


# == 6. configuration errors ===================================================

CFG_HEAD = [
    "eal: {lcores: \"0-1\", no_huge: true, in_memory: true}",
    "ports:",
    "  - {name: lan0, role: lan, devargs: \"net_null0\", "
    "addresses: [fd42:100:1::1/64, 192.0.2.1/24]}",
    "  - {name: wan1, role: wan, devargs: \"net_null1\", "
    "addresses: [2001:db8:10:1::2/64]}",
]


@pytest.mark.parametrize("name,lines,at,what", [
    ("next_hop_v4 with dhcp",
     ["uplinks:", "  - name: isp1", "    port: wan1",
      "    next_hop: 2001:db8:10:1::1",
      "    delegated_prefix: 2001:db8:1100:1::/64", "    ipv4: dhcp",
      "    next_hop_v4: 198.51.100.17"], "198.51.100.17",
     "uplinks[0].next_hop_v4: not with ipv4: dhcp"),
    ("prefix_hint without pd",
     ["uplinks:", "  - name: isp1", "    port: wan1",
      "    next_hop: 2001:db8:10:1::1",
      "    delegated_prefix: 2001:db8:1100:1::/64", "    prefix_hint: 56"],
     "2001:db8:1100:1::/64",
     "uplinks[0].delegated_prefix: prefix_hint and pd_subnet need "
     "delegated_prefix: dhcpv6-pd"),
    ("static address without next_hop",
     ["uplinks:", "  - name: isp1", "    port: wan1", "    address: static",
      "    delegated_prefix: 2001:db8:1100:1::/64"], "name: isp1",
     "uplinks[0]: missing required key 'next_hop'"),
    ("router advertisements on a wan port",
     ["provisioning:", "  router_advertisements:", "    - port: wan1"],
     "wan1", "provisioning.router_advertisements[0].port: port 'wan1' is "
     "not a lan port"),
])
def test_check_config_errors(tmp_path, name, lines, at, what):
    cfg = tmp_path / "neptune.yaml"
    allv = CFG_HEAD + lines
    cfg.write_text("\n".join(allv) + "\n")
    p = subprocess.run([str(NEPTUNE), "--check-config", str(cfg)],
                       capture_output=True, text=True, timeout=30)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    ln = max(i for i, x in enumerate(allv) if at in x)
    want = f"{cfg}:{ln + 1}:{allv[ln].index(at) + 1}: {what}"
    assert want in out, out


def test_check_config_good(tmp_path):
    cfg = tmp_path / "neptune.yaml"
    cfg.write_text("\n".join(CFG_HEAD + [
        "provisioning:", f"  duid_file: {tmp_path}/duid",
        "  router_advertisements:",
        "    - {port: lan0, interval_s: 4, rdnss: [2001:db8:999:1::53]}",
        "uplinks:", "  - name: isp1", "    port: wan1", "    address: slaac",
        "    delegated_prefix: dhcpv6-pd", "    prefix_hint: 56",
        "    pd_subnet: 1", "    ipv4: dhcp"]) + "\n")
    p = subprocess.run([str(NEPTUNE), "--check-config", str(cfg)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
