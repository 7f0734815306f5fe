#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Frames the dataplane tests inject, and the frames neptune must emit.

Builders return scapy packets; compare with bytes(). Checksums and lengths
are left to scapy, computed from the expected field values.
"""
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoReply,
                                ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                                ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPv6)
import ipaddress
import struct

from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from neptune_dp import (GW_MAC, HOST4, HOST6, HOST_MAC, LAN0_MAC, LAN4, LAN6,
                        REMOTE4, REMOTE6, WAN1_MAC)

__all__ = [
    "ARP", "Ether", "ICMP", "ICMPv6DestUnreach", "ICMPv6EchoReply",
    "ICMPv6EchoRequest", "ICMPv6ND_NA", "ICMPv6ND_NS", "ICMPv6NDOptDstLLAddr",
    "ICMPv6NDOptSrcLLAddr", "ICMPv6PacketTooBig", "ICMPv6TimeExceeded", "IP",
    "IPv6", "Raw", "TCP", "UDP",
    "from_host", "from_gw", "udp6", "udp4", "routed", "icmp6_error",
    "icmp4_error", "solicited_node", "mcast_mac", "inet_csum", "fast_udp6",
    "fast_udp4",
]


def payload(tag, n=32):
    """n bytes of recognisable payload."""
    b = (tag.encode() + b"-") * (n // (len(tag) + 1) + 1)
    return b[:n]


def from_host(dst_mac=LAN0_MAC):
    """Ethernet header of a frame the LAN host sends to neptune's lan0."""
    return Ether(src=HOST_MAC, dst=dst_mac)


def from_gw(dst_mac=WAN1_MAC):
    """Ethernet header of a frame the gateway sends to neptune's wan1."""
    return Ether(src=GW_MAC, dst=dst_mac)


def udp6(src=HOST6, dst=REMOTE6, hlim=64, sport=40000, dport=5001, data=None,
         tc=0, fl=0):
    return IPv6(src=src, dst=dst, hlim=hlim, tc=tc, fl=fl) / \
        UDP(sport=sport, dport=dport) / Raw(data or payload(f"v6-{sport}"))


def udp4(src=HOST4, dst=REMOTE4, ttl=64, sport=40000, dport=5001, data=None,
         ident=0x1234, flags="DF", tos=0):
    return IP(src=src, dst=dst, ttl=ttl, id=ident, flags=flags, tos=tos) / \
        UDP(sport=sport, dport=dport) / Raw(data or payload(f"v4-{sport}"))


def routed(eth, l3):
    """The frame neptune forwards: eth on top of l3 with the hop limit/TTL
    one lower and (IPv4) the header checksum recomputed; the rest of l3 is
    byte for byte what came in."""
    raw = bytearray(bytes(l3))
    eth = eth.copy()
    if raw[0] >> 4 == 6:
        raw[7] -= 1
        eth.type = 0x86dd
        return eth / Raw(bytes(raw))
    p = IP(bytes(raw))
    p.ttl -= 1
    del p.chksum
    eth.type = 0x0800
    return eth / Raw(bytes(p))


def icmp6_error(err, orig, src=LAN6, dst=HOST6, eth_dst=HOST_MAC,
                eth_src=LAN0_MAC):
    """ICMPv6 error `err` (e.g. ICMPv6TimeExceeded(code=0)) quoting orig,
    cut so the error fits in 1280 bytes (RFC 4443 2.4(c)), hop limit 64."""
    quote = bytes(orig)[:1280 - 48]
    return Ether(src=eth_src, dst=eth_dst) / \
        IPv6(src=src, dst=dst, hlim=64) / err / Raw(quote)


def icmp4_error(icmp, orig, src=LAN4, dst=HOST4, eth_dst=HOST_MAC,
                eth_src=LAN0_MAC):
    """ICMPv4 error quoting the original datagram (at most 548 bytes, so the
    error fits in 576), from a fresh IP header: TOS 0, ID 0, no flags,
    TTL 64."""
    quote = bytes(orig)[:576 - 28]
    return Ether(src=eth_src, dst=eth_dst) / \
        IP(src=src, dst=dst, ttl=64, id=0, flags=0, tos=0) / icmp / Raw(quote)


def is6(b):
    """Is the packet (bytes or scapy) IPv6?"""
    return bytes(b)[0] >> 4 == 6


def aged(l3):
    """The packet as neptune forwards it: hop limit / TTL one lower, the
    IPv4 header checksum recomputed from scratch (scapy)."""
    b = bytearray(bytes(l3))
    if is6(b):
        b[7] -= 1
        return bytes(b)
    p = IP(bytes(b))
    p.ttl -= 1
    del p.chksum
    return bytes(p)


def solicited_node(addr):
    """ff02::1:ffXX:XXXX for a unicast IPv6 address."""
    import ipaddress
    a = ipaddress.IPv6Address(addr).packed
    return str(ipaddress.IPv6Address(
        bytes.fromhex("ff0200000000000000000001ff") + a[13:]))


def mcast_mac(group):
    import ipaddress
    a = ipaddress.IPv6Address(group).packed
    return "33:33:" + ":".join(f"{b:02x}" for b in a[12:])


def inet_csum(data):
    """Internet checksum (RFC 1071) of data, as an int."""
    data = bytes(data)
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def _mac(m):
    return bytes.fromhex(m.replace(":", ""))


def fast_udp6(eth_src, eth_dst, src, dst, sport, dport, data, hlim=64):
    """Bytes of Ether/IPv6/UDP/data, as scapy would build them (traffic
    class and flow label 0), without scapy's per-packet cost: for the
    tests that inject thousands of flows."""
    s6 = ipaddress.IPv6Address(src).packed
    d6 = ipaddress.IPv6Address(dst).packed
    ulen = 8 + len(data)
    pseudo = s6 + d6 + struct.pack("!IxxxB", ulen, 17)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + bytes(data)
    ck = inet_csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
    ip6 = struct.pack("!IHBB", 6 << 28, ulen, 17, hlim) + s6 + d6
    return _mac(eth_dst) + _mac(eth_src) + b"\x86\xdd" + ip6 + udp


def fast_udp4(eth_src, eth_dst, src, dst, sport, dport, data, ttl=64,
              ident=0, df=True):
    """Bytes of Ether/IPv4/UDP/data, as scapy would build them (TOS 0, no
    options), without scapy's per-packet cost: for the tests that inject
    tens of thousands of flows."""
    s4 = ipaddress.IPv4Address(src).packed
    d4 = ipaddress.IPv4Address(dst).packed
    ulen = 8 + len(data)
    pseudo = s4 + d4 + struct.pack("!xBH", 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + bytes(data)
    ck = inet_csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
    hdr = struct.pack("!BBHHHBBH", 0x45, 0, 20 + ulen, ident,
                      0x4000 if df else 0, ttl, 17, 0) + s4 + d4
    hdr = hdr[:10] + struct.pack("!H", inet_csum(hdr)) + hdr[12:]
    return _mac(eth_dst) + _mac(eth_src) + b"\x08\x00" + hdr + udp
