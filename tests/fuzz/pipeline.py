#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Pipeline fuzzer: mutated frames through the real neptune binary.

neptune (built with ASan+UBSan, halt_on_error) runs on net_pcap vdevs with
the dataplane harness (tests/dataplane/neptune_dp.py) in four feature
configurations taken from the dataplane tests: multihoming with NPTv6 on
three uplinks, SRv6 (local SIDs, overlays), NAT44, ILNP (aware mode),
provisioning (DHCPv6-PD, SLAAC, DHCPv4, RAs on the LAN), STAMP (reflector,
an uplink and an overlay session with transparency probing).
Each round writes mutated frames, built from scapy seeds of every protocol
neptune speaks (ND, ARP, ICMPv6/ICMP, TCP/UDP both families, SRv6 SRH,
the UDP tunnel, NAT44 inbound, ILNP, DHCPv6, DHCPv4, RAs), into every
port's input and checks
at idle:
  - every frame received: worker rx_packets = the frames injected;
  - worker rx_packets = forwarded + punted + drops, control punted =
    local + forwarded + held + drops (show stats --json);
  - mbufs in use (neptune_mempool_in_use of show metrics) back to the
    baseline read before any traffic;
then shuts neptune down: exit status 0 and no sanitizer report in its
output. The random generator is seeded (--seed), so a run is repeatable.
Usage: pipeline.py [--seconds S] [--rounds N] [--frames F] [--seed X]
Prints one summary line; exit status 1 on the first violated invariant
(the round's frames are kept in tests/fuzz/artifacts/).
"""
import argparse
import os
import random
import re
import signal
import struct
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
os.environ.setdefault("NEPTUNE_BUILD", str(REPO / "build-fuzz"))
# halt_on_error: the first report ends neptune, the harness sees it.
os.environ["ASAN_OPTIONS"] = ("halt_on_error=1:abort_on_error=0:"
                              "detect_leaks=1:exitcode=99")
os.environ["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:exitcode=99"
os.environ["LSAN_OPTIONS"] = "exitcode=99"
sys.path.insert(0, str(REPO / "tests" / "dataplane"))

import neptune_dp as nd  # noqa: E402
from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA,
    ICMPv6ND_NS, ICMPv6ND_RS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
    ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPv6, IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrSegmentRouting,
    HBHOptUnknown)
from scapy.layers.dhcp import BOOTP, DHCP  # noqa: E402
from scapy.layers.dhcp6 import (  # noqa: E402
    DHCP6_Advertise, DHCP6_Reply, DHCP6OptClientId, DHCP6OptIA_NA,
    DHCP6OptIA_PD, DHCP6OptIAAddress, DHCP6OptIAPrefix, DHCP6OptServerId,
    DUID_LL)
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6ND_RA, ICMPv6NDOptDNSSL, ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS)
from scapy.layers.l2 import ARP, Dot1Q, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.contrib.stamp import (  # noqa: E402
    STAMPSessionReflectorTestUnauthenticated,
    STAMPSessionSenderTestUnauthenticated)

import test_dp_ilnp  # noqa: E402
import test_dp_nat44  # noqa: E402
import test_dp_provision  # noqa: E402
import test_dp_srv6  # noqa: E402
import test_dp_steering  # noqa: E402

SAN = re.compile(r"ERROR: AddressSanitizer|runtime error:|"
                 r"ERROR: LeakSanitizer|SUMMARY: \w+Sanitizer")

H6, H4, N6, N4 = nd.HOST6, nd.HOST4, nd.LAN6, nd.LAN4
W6, W4, G6, G4 = nd.WAN6, nd.WAN4, nd.GW6, nd.GW4
R6, R4 = nd.REMOTE6, nd.REMOTE4
NONCE = b"\x8b\x04\x01\x02\x03\x04"      # RFC 6744 Nonce option, 4 bytes
TUN_PORT = 61900


def lan(p):
    return Ether(src=nd.HOST_MAC, dst=nd.LAN0_MAC) / p


def wan(p):
    return Ether(src=nd.GW_MAC, dst=nd.WAN1_MAC) / p


def tun_hdr(ptype=6, length=48, suite=1):
    """The tunnel's 20-byte header (docs/tunnel-protocol.md)."""
    return struct.pack("!BBBBBBHIQ", 1, 1, 0, ptype, 0, suite, length, 1101,
                       7)


def seeds():
    """(port, frame) seeds: each protocol neptune speaks, both sides."""
    inner6 = IPv6(src="fd42:200:1::10", dst=H6) / UDP(sport=5, dport=6) / \
        Raw(b"x" * 16)
    sol = "ff02::1:ff00:1"
    s = [
        # ND and ARP to neptune, both sides
        ("lan0", lan(IPv6(src=H6, dst=sol, hlim=255) / ICMPv6ND_NS(tgt=N6) /
                     ICMPv6NDOptSrcLLAddr(lladdr=nd.HOST_MAC))),
        ("lan0", lan(IPv6(src=H6, dst=N6, hlim=255) / ICMPv6ND_NA(
            tgt=H6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(
                lladdr=nd.HOST_MAC))),
        ("lan0", Ether(src=nd.HOST_MAC, dst="33:33:00:00:00:02") /
         IPv6(src="fe80::10", dst="ff02::2", hlim=255) / ICMPv6ND_RS()),
        ("wan1", wan(IPv6(src=G6, dst=W6, hlim=255) / ICMPv6ND_NS(tgt=W6) /
                     ICMPv6NDOptSrcLLAddr(lladdr=nd.GW_MAC))),
        ("lan0", Ether(src=nd.HOST_MAC, dst="ff:ff:ff:ff:ff:ff") /
         ARP(op=1, hwsrc=nd.HOST_MAC, psrc=H4, pdst=N4)),
        ("wan1", wan(ARP(op=2, hwsrc=nd.GW_MAC, psrc=G4, hwdst=nd.WAN1_MAC,
                         pdst=W4))),
        # ICMP to neptune and through it
        ("lan0", lan(IPv6(src=H6, dst=N6) / ICMPv6EchoRequest(id=1, seq=1) /
                     Raw(b"ping6"))),
        ("lan0", lan(IP(src=H4, dst=N4) / ICMP(id=1, seq=1) / Raw(b"p4"))),
        ("wan1", wan(IPv6(src=R6, dst=W6) / ICMPv6EchoRequest(id=2))),
        ("wan1", wan(IP(src=R4, dst=W4) / ICMP(id=2))),
        ("wan1", wan(IPv6(src=G6, dst=H6) / ICMPv6PacketTooBig(mtu=1280) /
                     IPv6(src=H6, dst=R6) / UDP(sport=1, dport=2))),
        ("wan1", wan(IPv6(src=G6, dst=H6) / ICMPv6TimeExceeded() /
                     IPv6(src=H6, dst=R6) / TCP(sport=3, dport=4))),
        ("wan1", wan(IP(src=G4, dst=W4) / ICMP(type=3, code=4, nexthopmtu=1400) /
                     IP(src=W4, dst=R4) / UDP(sport=41000, dport=53))),
        # TCP/UDP both families, both ways, hop limit edge, fragments
        ("lan0", lan(IPv6(src=H6, dst=R6) / TCP(sport=40000, dport=443,
                                                 flags="S",
                                                 options=[("MSS", 1460)]))),
        ("lan0", lan(IPv6(src=H6, dst="2001:db8:101:1::10") /
                     UDP(sport=40001, dport=53) / Raw(b"q" * 20))),
        ("lan0", lan(IPv6(src=H6, dst=R6, hlim=1) / UDP(sport=1, dport=2))),
        ("lan0", lan(IPv6(src=H6, dst=R6) / IPv6ExtHdrFragment(
            m=1, id=9) / UDP(sport=7, dport=8) / Raw(b"f" * 32))),
        ("lan0", lan(IPv6(src=H6, dst=R6) / IPv6ExtHdrHopByHop(
            options=[HBHOptUnknown(otype=0x1e, optdata=b"ab")]) /
            UDP(sport=9, dport=10))),
        ("lan0", lan(IP(src=H4, dst=R4) / TCP(sport=40000, dport=80,
                                              flags="S"))),
        ("lan0", lan(IP(src=H4, dst=R4, flags="MF") / UDP(sport=5, dport=6) /
                     Raw(b"u" * 40))),
        ("lan0", Ether(src=nd.HOST_MAC, dst=nd.LAN0_MAC) / Dot1Q(vlan=100) /
         IP(src=H4, dst=R4) / UDP(sport=1, dport=2)),
        ("wan1", wan(IPv6(src=R6, dst="2001:db8:1100:1:bf89::10") /
                     TCP(sport=443, dport=40000, flags="SA"))),
        # NAT44 inbound: to the public address, a forwarded port, an error
        ("wan1", wan(IP(src=R4, dst=W4) / UDP(sport=5001, dport=41000) /
                     Raw(b"reply"))),
        ("wan1", wan(IP(src=R4, dst=W4) / TCP(sport=443, dport=40000,
                                              flags="SA"))),
        ("wan1", wan(IP(src=R4, dst=W4) / ICMP(type=0, id=77, seq=1))),
        # SRv6: SRH to our locator's SIDs, reduced encapsulation
        ("wan1", wan(IPv6(src="2001:db8:88::2", dst=test_dp_srv6.A_END) /
                     IPv6ExtHdrSegmentRouting(
                         addresses=[test_dp_srv6.A_END, "2001:db8:99::5"],
                         segleft=1) / inner6)),
        ("wan1", wan(IPv6(src="2001:db8:88::2",
                          dst=test_dp_srv6.SID_DT6) /
                     IPv6ExtHdrSegmentRouting(
                         addresses=[test_dp_srv6.SID_DT6], segleft=0) /
                     inner6)),
        ("wan1", wan(IPv6(src="2001:db8:88::2", dst=test_dp_srv6.SID_DT4) /
                     IP(src="198.18.20.10", dst=H4) / UDP(sport=1, dport=2))),
        # the UDP tunnel: a data header and a keepalive to the tunnel port
        ("wan1", wan(IPv6(src=R6, dst=W6) / UDP(sport=TUN_PORT,
                                                dport=TUN_PORT) /
                     Raw(tun_hdr() + bytes(inner6)[:48] + b"\0" * 16))),
        ("wan1", wan(IP(src=R4, dst=W4) / UDP(sport=TUN_PORT, dport=TUN_PORT) /
                     Raw(struct.pack("!BBBBBBHIQ", 1, 2, 0, 0, 0, 1, 16,
                                     1101, 8) + b"\0" * 32))),
        # ILNP: the Nonce option, both ways, and a Locator Update
        ("lan0", lan(IPv6(src=H6, dst=R6) / IPv6ExtHdrDestOpt(
            options=[]) / UDP(sport=40000, dport=53))),
        ("wan1", wan(IPv6(src=R6, dst="2001:db8:1100:1::10") /
                     IPv6ExtHdrDestOpt(options=[]) / UDP(sport=53,
                                                         dport=40000))),
        ("lan0", lan(IPv6(src=H6, dst=R6) / IPv6ExtHdrDestOpt(options=[]) /
                     Raw(bytes([156, 0, 0, 0, 1, 1, 0, 0]) +
                         bytes.fromhex("20010db811000001") + b"\0\x01\0\x3c"))),
        # provisioning: a DHCPv6 server, a DHCPv4 server, the ISP's router
        ("wan1", test_dp_provision.from_server(
            DHCP6_Reply(trid=1) /
            DHCP6OptClientId(duid=DUID_LL(lladdr=nd.WAN1_MAC)) /
            DHCP6OptServerId(duid=test_dp_provision.SRV_DUID) /
            DHCP6OptIA_PD(iaid=1, T1=5, T2=8, iapdopt=[DHCP6OptIAPrefix(
                preflft=30, validlft=60, plen=56,
                prefix=test_dp_provision.PD1)]))),
        ("wan1", test_dp_provision.from_server(
            DHCP6_Advertise(trid=1) /
            DHCP6OptClientId(duid=DUID_LL(lladdr=nd.WAN1_MAC)) /
            DHCP6OptServerId(duid=test_dp_provision.SRV_DUID) /
            DHCP6OptIA_NA(iaid=1, ianaopts=[DHCP6OptIAAddress(
                addr="2001:db8:10:1::100", preflft=30, validlft=60)]))),
        ("wan1", Ether(src=nd.GW_MAC, dst="ff:ff:ff:ff:ff:ff") /
         IP(src=G4, dst="255.255.255.255") / UDP(sport=67, dport=68) /
         BOOTP(op=2, xid=1, yiaddr="198.51.100.18", chaddr=bytes.fromhex(
             nd.WAN1_MAC.replace(":", "")) + b"\0" * 10) /
         DHCP(options=[("message-type", "ack"), ("server_id", G4),
                       ("subnet_mask", "255.255.255.240"), ("router", G4),
                       ("lease_time", 60), "end"])),
        ("wan1", Ether(src=nd.GW_MAC, dst="33:33:00:00:00:01") /
         IPv6(src="fe80::1", dst="ff02::1", hlim=255) /
         ICMPv6ND_RA(routerlifetime=1800) /
         ICMPv6NDOptPrefixInfo(prefix="2001:db8:10:1::", prefixlen=64) /
         ICMPv6NDOptRDNSS(dns=["2001:db8:999:1::53"]) /
         ICMPv6NDOptDNSSL(searchlist=["lab.example"])),
        # STAMP: requests to the reflector (WAN, LAN, an End SID with an
        # SRH at segments left 0, TLVs), replies to our sessions
        ("wan1", wan(IPv6(src=G6, dst=W6) / UDP(sport=40000, dport=862) /
                     STAMP_REQ)),
        ("lan0", lan(IPv6(src=H6, dst=N6) / UDP(sport=40001, dport=862) /
                     STAMP_REQ / STAMP_TLVS)),
        ("lan0", lan(IP(src=H4, dst=N4) / UDP(sport=40002, dport=862) /
                     STAMP_REQ)),
        ("wan1", wan(IPv6(src=G6, dst=test_dp_srv6.A_LOC + "1") /
                     IPv6ExtHdrSegmentRouting(addresses=[
                         test_dp_srv6.A_LOC + "1"], segleft=0, nh=17) /
                     UDP(sport=40003, dport=862) / STAMP_REQ)),
        ("wan1", wan(IPv6(src=G6, dst=W6) / UDP(sport=862, dport=8620) /
                     STAMP_REPLY)),
        # unknown ethertype, unknown protocol, multicast
        ("lan0", Ether(src=nd.HOST_MAC, dst=nd.LAN0_MAC, type=0x88b5) /
         Raw(b"z" * 46)),
        ("lan0", lan(IPv6(src=H6, dst=R6, nh=132) / Raw(b"s" * 12))),
        ("wan1", wan(IPv6(src=R6, dst="ff02::1") / UDP(sport=1, dport=2))),
    ]
    out = []
    for port, f in s:
        b = bytearray(bytes(f))
        # The ILNP seeds' Destination Options carry the Nonce (scapy's
        # PadN is replaced by the option, same length).
        i = b.find(b"\x01\x04\x00\x00\x00\x00")
        if port and IPv6ExtHdrDestOpt in f and i > 0:
            b[i:i + 6] = NONCE
        out.append((port, bytes(b)))
    return out


# Reproducers of the pipeline's findings, sent unmutated in every round
# (docs/reliability.md, "Fuzzing"); --avoid-known leaves them out.
REGRESSION = [
    # VLAN id 4095: input_vlan() read vlan_port[port][4095], past its row
    ("lan0", bytes(Ether(src=nd.HOST_MAC, dst=nd.LAN0_MAC) /
                   Dot1Q(vlan=4095) / IP(src=H4, dst=R4) /
                   UDP(sport=1, dport=2))),
]

INTERESTING = (0, 1, 0x7f, 0x80, 0xfe, 0xff)


def mutate(rng, f, pool):
    """Byte-level mutations of one frame; headers mostly kept (the first
    14 bytes are changed less often, so most frames reach the parsers)."""
    b = bytearray(f)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
        op = rng.randrange(9)
        lo = 14 if rng.random() < 0.9 and len(b) > 15 else 0
        if len(b) <= lo:
            b += bytes(rng.randrange(256) for _ in range(8))
            continue
        i = rng.randrange(lo, len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.randrange(256)
        elif op == 2:
            b[i] = rng.choice(INTERESTING)
        elif op == 3:                         # a 16-bit length or port
            if i + 1 < len(b):
                v = rng.choice((0, 1, 8, 20, 40, 0x7fff, 0xffff,
                                len(b) - 14, len(b) - 54, len(b)))
                b[i:i + 2] = struct.pack("!H", v & 0xffff)
        elif op == 4:                         # truncate
            del b[rng.randrange(lo, len(b)):]
        elif op == 5:                         # extend
            b += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        elif op == 6:                         # repeat a slice
            j = rng.randrange(i, len(b))
            b[i:i] = b[i:j + 1][:256]
        elif op == 7:                         # splice another seed's tail
            o = rng.choice(pool)[1]
            if len(o) > lo:
                b[i:] = o[rng.randrange(lo, len(o)):]
        else:                                 # zero a slice
            j = min(len(b), i + rng.randrange(1, 16))
            b[i:j] = bytes(j - i)
    if len(b) < 14:
        b += bytes(14 - len(b))
    return bytes(b[:9000])


def avoid_known(f):
    """--avoid-known: steer clear of the findings not fixed yet, so a run
    can look for others (docs/reliability.md, "Fuzzing"): VLAN id 4095
    (input_vlan() indexes vlan_port[][4095], one past its row)."""
    if len(f) >= 16 and f[12:14] == b"\x81\x00" and (f[15] | (f[14] & 15) << 8) == 0xfff:
        f = f[:15] + b"\xfe" + f[16:]
    return f


PROV_DUID = "/tmp/nep-fuzz-duid"

# STAMP seeds: scapy's codec (tests/lab/stamp_peer.py uses the same)
STAMP_REQ = Raw(bytes(STAMPSessionSenderTestUnauthenticated(seq=7, ssid=1)))
STAMP_REPLY = Raw(bytes(STAMPSessionReflectorTestUnauthenticated(
    seq=3, ssid=1, seq_sender=3)))
# Extra Padding (1), Timestamp Information (3), Class of Service (4),
# Direct Measurement (5), each flagged U as a sender sends them
STAMP_TLVS = Raw(bytes.fromhex("80010004" "00000000" "80030004" "00000000"
                               "80040004" "b8000000" "8005000c" + "00" * 12))


def stamp_cfg():
    """SRv6's configuration plus STAMP: the reflector (stateful, TLVs,
    a return path), an uplink session and an overlay session with
    transparency probing to site c: mutated requests reach the
    reflector, mutated replies the sessions."""
    cfg = test_dp_srv6.srv6_cfg()
    cfg["stamp"] = {
        "reflector": {"enabled": True, "mode": "stateful", "rate_limit_pps": 0,
                      "return_paths": [{"ssid": 9, "uplink": "isp1",
                                        "segments": [test_dp_srv6.C_PROBE]}]},
        # two seconds of sending (the rounds wait for neptune to be idle);
        # replies are taken (and mutated ones parsed) after that too
        "sessions": [
            {"name": "up", "uplink": "isp1", "reflector": G6, "ssid": 1,
             "interval_ms": 10, "duration_s": 2},
            {"name": "c", "overlay": "vpn1", "site": "c",
             "reflector": "fd42:300:1::1", "interval_ms": 10,
             "duration_s": 2}]}
    return cfg


def prov_cfg():
    """isp1 learns its prefix (DHCPv6-PD), WAN address (SLAAC) and IPv4
    (DHCPv4); RAs on lan0: the mutated server messages reach every
    client, and what they teach is applied (the configuration parsed and
    published again) under the sanitizers."""
    import copy
    cfg = copy.deepcopy(test_dp_provision.PD_CFG)
    up = cfg["uplinks"][0]
    up.update({"address": "slaac", "ipv4": "dhcp"})
    cfg["provisioning"] = {"duid_file": PROV_DUID,
                           "router_advertisements": [
                               dict(test_dp_provision.RA_CONF)]}
    return cfg


def scenarios():
    """name -> (extra_cfg, extra_ports): the dataplane tests' configs.
    Neighbour resolution gives up fast so held packets end within a
    round; ICMP errors are not rate limited, so more paths run."""
    fast = {"neighbors": {"retrans_ms": 50, "max_probes": 1},
            "icmp": {"rate_pps": 1000000, "burst": 1000000}}
    sc = {
        "nptv6": (test_dp_steering.steering_cfg(),
                  test_dp_steering.EXTRA_PORTS),
        "srv6": (test_dp_srv6.srv6_cfg(), ()),
        "nat44": (test_dp_nat44.nat_cfg({"max_sessions": 4096}), ()),
        "ilnp": (test_dp_ilnp.one_uplink_cfg(
            "fd42:100:1::/64", "2001:db8:1100:1::/64", "aware"), ()),
        "provision": (prov_cfg(), test_dp_provision.WAN2_PORT),
        "stamp": (stamp_cfg(), ()),
    }
    for cfg, _ in sc.values():
        nd.merge(cfg, fast)
    return sc


def mempool_in_use(dp):
    ok, text = dp.cmd("show metrics")
    if not ok:
        raise AssertionError(f"show metrics: {text}")
    n = 0
    for m in re.finditer(r'^neptune_mempool_in_use\{[^}]*\} (\d+)$', text,
                         re.M):
        n += int(m.group(1))
    return n


def check_identity(st):
    w, c = st["worker"], st["control"]
    assert w["rx_packets"] == w["forwarded"] + w["punted"] + w["drops"], \
        f"worker: rx != forwarded + punted + drops: {w}"
    assert w["punted"] == c["local"] + c["forwarded"] + c["held"] + \
        c["drops"], f"control: punted != local + forwarded + held + drops: {c}"


def save(name, frames, why):
    d = HERE / "artifacts" / name
    d.mkdir(parents=True, exist_ok=True)
    for port, fl in frames.items():
        nd.write_pcap(d / f"{port}.pcap", fl)
    (d / "why.txt").write_text(why + "\n")
    return d


def one_round(name, cfg, ports, frames):
    """One neptune run; returns (frames, stats) or raises AssertionError."""
    dp = nd.Dataplane(inputs=frames, extra_cfg=cfg, extra_ports=ports)
    try:
        # Inputs are read from the start at once: the baseline is taken
        # from a run with the same configuration and no frames.
        dp.start()
        n_in = dp.expected_rx()
        st = dp.wait_idle(timeout=60, settle=0.4)
        check_identity(st)
        held = st["control"]["held"]
        used = mempool_in_use(dp)
        r = dp.stop()
        if SAN.search(r.log):
            raise AssertionError("sanitizer report:\n" + r.log[-4000:])
        return n_in, st, used, held
    except (nd.DataplaneError, OSError) as e:
        # neptune gone (a sanitizer halts it): its log says why.
        if SAN.search(dp.log()):
            raise AssertionError("sanitizer report:\n" + dp.log()[-6000:])
        raise AssertionError(f"{e!r}"[-3000:] + "\n" + dp.log()[-3000:])
    finally:
        dp.cleanup()


def baseline(cfg, ports):
    dp = nd.Dataplane(inputs={}, extra_cfg=cfg, extra_ports=ports)
    try:
        dp.start()
        dp.wait_idle(rx=0, settle=0.3)
        b = mempool_in_use(dp)
        dp.stop()
        return b
    finally:
        dp.cleanup()


def main():
    # A SIGTERM still runs the harness's cleanup (neptune killed by PID).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--rounds", type=int, default=0,
                    help="stop after N rounds (0: by time)")
    ap.add_argument("--frames", type=int, default=1500,
                    help="frames per round (all ports)")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--avoid-known", action="store_true",
                    help="leave out the shapes of known, unfixed findings")
    ap.add_argument("--replay", metavar="DIR",
                    help="one round of a kept artifact (DIR/<port>.pcap) in "
                         "the configuration its name starts with")
    a = ap.parse_args()
    if not nd.NEPTUNE.is_file():
        print(f"pipeline: {nd.NEPTUNE} not built", file=sys.stderr)
        return 2
    if a.replay:
        d = Path(a.replay)
        name = d.name.split("-")[0]
        cfg, ports = scenarios()[name]
        frames = {p.stem: nd.read_pcap(p) for p in d.glob("*.pcap")}
        try:
            n_in, st, used, held = one_round(name, cfg, ports, frames)
            b = baseline(cfg, ports)
            assert used == b, f"mbufs in use {used} != baseline {b}"
        except AssertionError as e:
            print(f"pipeline: replay {d}: {e}", file=sys.stderr)
            return 1
        print(f"pipeline: replay {d}: {n_in} frames, clean")
        return 0
    rng = random.Random(a.seed)
    pool = seeds()
    sc = scenarios()
    base = {n: baseline(c, p) for n, (c, p) in sc.items()}
    t0, rounds, total = time.monotonic(), 0, 0
    names = sorted(sc)
    while True:
        name = names[rounds % len(names)]
        cfg, ports = sc[name]
        port_names = nd.PORTS + tuple(p["name"] for p in ports)
        frames = {p: [] for p in port_names}
        for _ in range(a.frames):
            port, f = rng.choice(pool)
            if port == "wan1" and len(port_names) > 2 and rng.random() < 0.3:
                port = rng.choice(port_names[1:])
            f = f if rng.random() < 0.05 else mutate(rng, f, pool)
            frames[port].append(avoid_known(f) if a.avoid_known else f)
        if not a.avoid_known:
            for port, f in REGRESSION:
                frames[port].append(f)
        try:
            n_in, st, used, held = one_round(name, cfg, ports, frames)
            if used != base[name]:
                raise AssertionError(
                    f"mbufs in use at idle {used} != baseline {base[name]} "
                    f"(held {held}): {st}")
        except AssertionError as e:
            d = save(f"{name}-seed{a.seed}-round{rounds}", frames, str(e))
            print(f"pipeline: {name} round {rounds} (seed {a.seed}): {e}\n"
                  f"frames kept in {d}", file=sys.stderr)
            return 1
        rounds += 1
        total += n_in
        if a.rounds and rounds >= a.rounds:
            break
        if not a.rounds and time.monotonic() - t0 >= a.seconds:
            break
    print(f"pipeline: {rounds} rounds, {total} frames, "
          f"{len(sc)} configurations, {time.monotonic() - t0:.0f} s, "
          f"seed {a.seed}: identity, mbufs and sanitizers clean")
    return 0


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        Path(PROV_DUID).unlink(missing_ok=True)   # prov_cfg()'s
    sys.exit(rc)
