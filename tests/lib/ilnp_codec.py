# SPDX-License-Identifier: BSD-3-Clause
"""ILNP's Locator Update checksum and entries, written from RFC 6743 and
the ILNP seed's notes (the checksum over the NID-only pseudo-header, as
the ILNP Linux code computes it), for the tests that play ILNP ends
(tests/dataplane/test_dp_ilnp.py, tests/lab/ilnp_peer.py). No scapy."""
import ipaddress
import struct


def nid_cksum(src, dst, msg):
    """ILNP's ICMPv6 checksum of msg (its checksum field taken as zero)
    between addresses src and dst: the pseudo-header with both locators
    zero."""
    s = ipaddress.IPv6Address(src).packed[8:]
    d = ipaddress.IPv6Address(dst).packed[8:]
    ph = bytes(8) + s + bytes(8) + d + struct.pack("!I3xB", len(msg), 58)
    data = ph + msg[:2] + b"\0\0" + msg[4:]
    if len(data) % 2:
        data += b"\0"
    t = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return (~t) & 0xffff


def lu_entries(msg):
    """[[locator as an address string (its /64), preference, lifetime]]
    of an LU message (RFC 6743: 8 header bytes, 12 per locator)."""
    out = []
    for i in range(msg[4]):
        e = msg[8 + 12 * i:20 + 12 * i]
        pref, life = struct.unpack("!HH", e[8:12])
        out.append([str(ipaddress.IPv6Address(e[:8] + bytes(8))), pref,
                    life])
    return out
