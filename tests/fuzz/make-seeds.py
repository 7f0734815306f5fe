#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the committed seed corpus, tests/fuzz/corpus/<target>/, a few
inputs per target built with scapy (the layout each target's comment
gives). Run again after changing a target's input layout."""
import hashlib
import hmac
import shutil
import struct
from pathlib import Path

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dhcp6 import (DHCP6_Advertise, DHCP6_Reconf, DHCP6_Reply,
                                DHCP6OptClientId, DHCP6OptDNSDomains,
                                DHCP6OptDNSServers, DHCP6OptIA_NA,
                                DHCP6OptIA_PD, DHCP6OptIAAddress,
                                DHCP6OptIAPrefix, DHCP6OptPref,
                                DHCP6OptReconfMsg, DHCP6OptServerId,
                                DHCP6OptStatusCode, DUID_LLT)
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (ICMPv6EchoRequest, ICMPv6ND_NS,
                                ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptDNSSL,
                                ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
                                ICMPv6NDOptRDNSS, ICMPv6NDOptSrcLLAddr, ICMPv6TimeExceeded,
                                IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrSegmentRouting)
from scapy.contrib.stamp import (ErrorEstimate,
                                 STAMPSessionSenderTestUnauthenticated,
                                 STAMPTestTLV)
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw

OUT = Path(__file__).resolve().parent / "corpus"
H6, R6, H4, R4 = "fd42:100:1::10", "2001:db8:99::1", "192.0.2.10", \
    "203.0.113.10"
E = Ether(src="02:00:00:00:aa:10", dst="02:00:00:00:00:10")
SRC16 = bytes.fromhex("20010db8001000010000000000000002")
NONCE_DO = bytes([17, 0, 0x8b, 4, 1, 2, 3, 4])   # next UDP, Nonce (4)


def b(p):
    return bytes(p)


def ilnp6(nh_payload):
    ip = bytearray(b(IPv6(src=H6, dst=R6, nh=60) / Raw(NONCE_DO) /
                     nh_payload))
    return bytes(ip)


def seeds():
    udp6 = IPv6(src=H6, dst=R6) / UDP(sport=40000, dport=53) / Raw(b"q" * 8)
    tcp6 = IPv6(src=H6, dst=R6) / TCP(sport=40000, dport=443, flags="S",
                                      options=[("MSS", 1460)])
    udp4 = IP(src=H4, dst=R4) / UDP(sport=41000, dport=53) / Raw(b"q" * 8)
    tcp4 = IP(src=H4, dst=R4) / TCP(sport=41000, dport=80, flags="S",
                                    options=[("MSS", 1460)])
    frames = {
        "udp6": E / udp6, "tcp6": E / tcp6, "udp4": E / udp4,
        "tcp4": E / tcp4, "frag6": E / IPv6(src=H6, dst=R6) /
        IPv6ExtHdrFragment(m=1) / UDP() / Raw(b"f" * 16),
        "vlan": Ether(dst="02:00:00:00:00:10") / Dot1Q(vlan=100) / udp4,
        "arp": Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst="192.0.2.1"),
        "ns": E / IPv6(src=H6, dst="ff02::1:ff00:1", hlim=255) /
        ICMPv6ND_NS(tgt="fd42:100:1::1") /
        ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:aa:10"),
    }
    s = {}
    s["pkt"] = {k: b(v) for k, v in frames.items()}
    s["flow"] = {k: b(v) for k, v in frames.items() if k != "arp"}
    # icmp: control, type, code, param(4), source(16), invoking packet
    hdr = lambda c, t, code: bytes([c, t, code]) + b"\0\0\x05\x00" + SRC16
    s["icmp"] = {"te6": hdr(0, 3, 0) + b(udp6),
                 "ptb6": hdr(0, 2, 0) + b(tcp6),
                 "err6": hdr(0, 3, 0) + b(IPv6(src=H6, dst=R6) /
                                           ICMPv6TimeExceeded() / udp6),
                 "te4": hdr(1, 11, 0) + b(udp4),
                 "echo6": hdr(2, 0, 0) + b(IPv6(src=H6, dst=R6) /
                                           ICMPv6EchoRequest() / Raw(b"ab")),
                 "echo4": hdr(3, 0, 0) + b(IP(src=H4, dst=R4) / ICMP() /
                                           Raw(b"ab"))}
    # nd: type looked for, flags, src, dst, target, mac, echo length, opts
    lead = bytes([1, 3]) + SRC16 * 3 + bytes(6) + b"\0\x10"
    s["nd"] = {"sll": lead + bytes([1, 1]) + bytes(6),
               "two": lead + bytes([2, 1]) + bytes(6) + bytes([1, 1]) +
               bytes(6),
               "bad": lead + bytes([1, 0]) + bytes(6)}
    # nptv6: inside prefix (8) + len, outside (8) + len, address, dir, msg
    pin = bytes.fromhex("fd42010000010000") + b"\x40"
    pout = bytes.fromhex("20010db811000001") + b"\x40"
    p48 = bytes.fromhex("fd42010000000000") + b"\x30"
    icmp_err = b(ICMPv6TimeExceeded() / IPv6(src=R6, dst=H6) / UDP())
    s["nptv6"] = {"64": pin + pout + bytes.fromhex(
        "fd420100000100000000000000000010") + b"\0" + icmp_err,
        "48": p48 + pout + bytes(16) + b"\1" + icmp_err,
        "ffff": pin + pout + bytes.fromhex(
            "fd42010000010000ffffffffffffffff") + b"\0"}
    # srv6: control, hop limit, SIDs (control & 15 of them), packet
    sid = lambda i: bytes.fromhex("20010db8008800000005000000000100")[:15] + \
        bytes([i])
    inner = IPv6(src="fd42:200:1::10", dst=H6) / UDP() / Raw(b"x" * 8)
    srh = IPv6(src="2001:db8:88::2", dst="2001:db8:10:1:5::1") / \
        IPv6ExtHdrSegmentRouting(addresses=["2001:db8:10:1:5::1",
                                            "2001:db8:99::5"], segleft=1) / \
        inner
    s["srv6"] = {"end": bytes([2, 64]) + sid(1) + sid(2) + b(srh),
                 "dt6": bytes([1, 64]) + sid(1) + b(IPv6(
                     src="2001:db8:88::2", dst="2001:db8:10:1:5::2") /
                     IPv6ExtHdrSegmentRouting(addresses=[
                         "2001:db8:10:1:5::2"], segleft=0) / inner),
                 "encap4": bytes([0x21, 64]) + sid(3) + b(udp4),
                 "red": bytes([0x13, 64]) + sid(1) + sid(2) + sid(3) +
                 b(tcp6)}
    # tunnel: control (bit 0: replay), header + payload / deltas
    th = struct.pack("!BBBBBBHIQ", 1, 1, 0, 6, 0, 1, 48, 1101, 7)
    s["tunnel"] = {"data": b"\0" + th + bytes(48) + bytes(16),
                   "keepalive": b"\0" + struct.pack(
                       "!BBBBBBHIQ", 1, 2, 0, 0, 0, 4, 16, 9, 1) +
                   bytes(16) + bytes(32),
                   "replay": b"\1" + bytes(8) + b"\0" + bytes(
                       [0, 1, 0, 1, 0, 255, 1, 2, 2, 0, 3, 200, 0, 1, 0, 1]),
                   "window": b"\1" + struct.pack("!Q", 5000) + b"\0" +
                   bytes([3, 1, 2, 0, 0, 0, 2, 3, 1, 1, 0, 0x80])}
    # ilnp: control, then packet / src dst LU / weights / locator map
    lu = bytes([156, 0, 0, 0, 2, 1, 0, 0]) + \
        bytes.fromhex("20010db811000001") + b"\0\x01\0\x3c" + \
        bytes.fromhex("20010db822000001") + b"\0\x02\0\x3c"
    s["ilnp"] = {"nonce": b"\0" + ilnp6(UDP(sport=1, dport=2)),
                 "nonce12": b"\0" + b(IPv6(src=H6, dst=R6, nh=60) / Raw(
                     bytes([17, 1, 0x8b, 12]) + bytes(range(12)) +
                     bytes([1, 0])) / UDP()),
                 "lu": b"\1" + SRC16 + SRC16 + lu,
                 "drr": b"\2" + bytes([3, 7, 3, 1]) + b"\x05\xdc" * 20,
                 "map": b"\3\x30" + bytes.fromhex("fd42010000000000") +
                 bytes.fromhex("20010db811000000") + SRC16}
    # nat44: control (1 fix checksums, 2 inbound, 4 ICMP error), address,
    # outer address, port, packet
    a = bytes([198, 51, 100, 18, 192, 0, 2, 10]) + b"\xa0\x28"
    err = IP(src=R4, dst="198.51.100.18") / ICMP(type=3, code=4) / \
        IP(src="198.51.100.18", dst=R4) / UDP(sport=41000, dport=53) / \
        Raw(b"q" * 8)
    s["nat44"] = {"udp": b"\1" + a + b(udp4), "tcp": b"\1" + a + b(tcp4),
                  "echo": b"\3" + a + b(IP(src=R4, dst=H4) /
                                        ICMP(type=0, id=5, seq=0)),
                  "udp0": b"\1" + a + b(IP(src=H4, dst=R4) /
                                        UDP(sport=1, dport=2, chksum=0) /
                                        Raw(b"z")),
                  "err": b"\7" + a + b(err),
                  "errtcp": b"\5" + a + b(IP(src=R4, dst=H4) /
                                          ICMP(type=11) / tcp4)}
    s["config"] = {
        "ports": b"eal: {lcores: \"0-1\", no_huge: true}\nports:\n"
                 b"  - {name: lan0, role: lan, devargs: \"net_null0\", "
                 b"mac: \"02:00:00:00:00:10\", addresses: "
                 b"[\"fd42:100:1::1/64\", \"192.0.2.1/24\"]}\n"
                 b"  - {name: wan1, role: wan, devargs: \"net_null1\", "
                 b"addresses: [\"2001:db8:10:1::2/64\"]}\n"
                 b"routes:\n  - {prefix: \"::/0\", via: \"2001:db8:10:1::1\"}\n",
        "uplinks": b"ports:\n  - {name: wan1, role: wan, devargs: net_null0,"
                   b" addresses: [\"2001:db8:10:1::2/64\"]}\nuplinks:\n"
                   b"  - {name: isp1, port: wan1, next_hop: "
                   b"\"2001:db8:10:1::1\", delegated_prefix: "
                   b"\"2001:db8:1100:1::/64\"}\nsteering:\n"
                   b"  inside_prefixes: [\"fd42:100:1::/64\"]\n",
        "bad": b"ports: [{name: x, role: sideways}]\n",
        "anchors": b"a: &x {b: [1, 2, *x]}\nneighbors: {retrans_ms: -1}\n"}
    s["cli"] = {"show": b"\0show uplinks --json", "abbrev": b"\0sh up",
                "flows": b"\2show flows uplink isp1 proto tcp port 443 "
                         b"src 2001:db8::/32 limit 10",
                "ro": b"\4set uplink isp1 weight 3",
                "prefix": b"\0" + b"2001:db8::1/64",
                "help": b"\1help show"}
    # dhcp6, dhcp4, ra: the server message itself (lib/prov)
    sid = DHCP6OptServerId(duid=DUID_LLT(lladdr="02:00:00:00:53:01",
                                         timeval=700000000))
    cid = DHCP6OptClientId(duid=DUID_LLT(lladdr="02:00:00:00:aa:10",
                                         timeval=800000000))
    pd = DHCP6OptIA_PD(iaid=1, T1=1800, T2=2880, iapdopt=[
        DHCP6OptIAPrefix(preflft=3600, validlft=7200, plen=56,
                         prefix="2001:db8:1100::")])
    s["dhcp6"] = {
        "advertise": b(DHCP6_Advertise(trid=0x123456) / sid / cid /
                       DHCP6OptPref(prefval=255) / pd /
                       DHCP6OptDNSServers(dnsservers=["2001:db8::53"]) /
                       DHCP6OptDNSDomains(dnsdomains=["example.com"])),
        "reply": b(DHCP6_Reply(trid=0x123456) / sid / cid /
                   DHCP6OptIA_NA(iaid=7, T1=3000, T2=4800, ianaopts=[
                       DHCP6OptIAAddress(addr="2001:db8:10:1::100",
                                         preflft=5400, validlft=9000)]) /
                   pd / DHCP6OptStatusCode(statuscode=0)),
        "noprefix": b(DHCP6_Reply(trid=1) / sid / cid / DHCP6OptIA_PD(
            iaid=1, iapdopt=[DHCP6OptStatusCode(statuscode=6)])),
        "reconfigure": b(DHCP6_Reconf() / sid / cid /
                         DHCP6OptReconfMsg(msgtype=5))}
    reply4 = lambda t, opts, **kw: b(BOOTP(
        op=2, xid=0x01020304, yiaddr="198.51.100.23",
        chaddr=bytes.fromhex("02000000aa10") + bytes(10), **kw) /
        DHCP(options=[("message-type", t)] + opts + ["end"]))
    opts4 = [("server_id", "198.51.100.1"), ("lease_time", 86400),
             ("renewal_time", 43200), ("rebinding_time", 75600),
             ("subnet_mask", "255.255.255.0"), ("router", "198.51.100.1"),
             ("name_server", "192.0.2.53", "192.0.2.54"),
             ("interface-mtu", 1492)]
    s["dhcp4"] = {"offer": reply4("offer", opts4),
                  "ack": reply4("ack", opts4),
                  "nak": reply4("nak", [("server_id", "198.51.100.1")]),
                  "overload": reply4("ack", [("dhcp-option-overload", 3)],
                                     file=bytes([6, 4, 192, 0, 2, 1, 255]),
                                     sname=bytes([3, 4, 192, 0, 2, 2, 255]))}
    s["ra"] = {
        "ra": b(ICMPv6ND_RA(cksum=0, chlim=64, O=1, routerlifetime=1800) /
                ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:fe") /
                ICMPv6NDOptMTU(mtu=1492) /
                ICMPv6NDOptPrefixInfo(prefix="2001:db8:10:1::", prefixlen=64,
                                      validlifetime=86400,
                                      preferredlifetime=14400) /
                ICMPv6NDOptRDNSS(lifetime=1200, dns=["2001:db8::53"]) /
                ICMPv6NDOptDNSSL(lifetime=1200, searchlist=["example.com"])),
        "bare": b(ICMPv6ND_RA(cksum=0)),
        "rs": b(ICMPv6ND_RS(cksum=0) /
                ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:aa:10"))}
    # stamp: [flags][TTL][TOS][request length][request][samples]
    # (fuzz_stamp.c); the authenticated seed's HMAC under its key.
    tl = [STAMPTestTLV(type=1, len=8, value=bytes(8)),
          STAMPTestTLV(type=3, len=4, value=bytes(4)),
          STAMPTestTLV(type=4, len=4, value=struct.pack(">HH", 46 << 10, 0)),
          STAMPTestTLV(type=5, len=12, value=bytes(12)),
          STAMPTestTLV(type=99, len=2, value=b"zz")]
    snd = STAMPSessionSenderTestUnauthenticated(
        seq=7, err_estimate=ErrorEstimate(S=1, scale=3, multiplier=7),
        ssid=0x1234, tlv_objects=tl)
    snd.ts = 3908988800.5
    req = b(UDP(sport=50000, dport=862) / snd)[8:]
    smp = b"".join(struct.pack(">IIHHHH", q, q, 100, 10, 120, 1000)
                   for q in (0, 1, 3, 2, 2, 5))
    areq = bytearray(112)
    struct.pack_into(">I", areq, 0, 9)
    struct.pack_into(">QHH", areq, 16, 3908988800 << 32, 0x8307, 1)
    akey = bytes(range(1, 9)) + bytes(24)
    areq[96:] = hmac.new(akey, bytes(areq[:96]), hashlib.sha256).digest()[:16]

    def st(flags, r, tail=b""):
        return bytes([flags, 60, 0xb8]) + struct.pack(">H", len(r)) + r + \
            tail

    s["stamp"] = {"tlvs": st(0x1c, req, smp), "plain": st(0x22, req[:44]),
                  "padding": st(0x04, req),
                  "auth": st(0x0d, bytes(areq) + bytes(tl[2]), smp),
                  "past_end": st(0x08, req[:44] + bytes([0, 1, 0, 200, 1]))}
    return s


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    n = 0
    for target, files in seeds().items():
        d = OUT / target
        d.mkdir(parents=True)
        for name, data in files.items():
            (d / name).write_bytes(data)
            n += 1
    print(f"make-seeds: {n} files in {OUT}")


if __name__ == "__main__":
    main()
