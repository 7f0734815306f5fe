#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ILNP ends for the lab (tests/lab/test_ilnp.py), built with scapy: no
ILNP stack is packaged for Debian. Run inside a lab namespace.

    ilnp_peer.py cn SECONDS              correspondent: answer ILNP UDP to
                                         port 7000 (the same nonce, to the
                                         source seen), acknowledge LUs
                                         (RFC 6743, NID-only checksum)
    ilnp_peer.py host DST SPORT SECONDS INTERVAL_MS
                                         host: ILNP UDP to DST:7000 every
                                         INTERVAL ms, the replies recorded
    ilnp_peer.py probe DST SPORT         one ILNP UDP datagram to DST:7000
                                         and the errors back in 2 s

Each prints one JSON object on stdout when it ends.
"""
import json
import struct
import sys
import threading
import time
from pathlib import Path

from scapy.all import (AsyncSniffer, HBHOptUnknown, ICMPv6ParamProblem,
                       IPv6, IPv6ExtHdrDestOpt, Raw, UDP, conf, get_if_list,
                       send)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from ilnp_codec import lu_entries, nid_cksum  # noqa: E402

conf.verb = 0
NONCE = bytes.fromhex("5eed0001")


def iface():
    return next(i for i in get_if_list() if i != "lo")


def nonce_of(p):
    h = p.getlayer(IPv6ExtHdrDestOpt)
    if h is None:
        return None
    for o in h.options:
        if getattr(o, "otype", None) == 0x8B:
            return bytes(o.optdata)
    return None


def ilnp(src, dst, nonce, l4):
    return IPv6(src=src, dst=dst) / IPv6ExtHdrDestOpt(
        options=[HBHOptUnknown(otype=0x8B, optdata=nonce)]) / l4


def cn(seconds):
    rec = {"data": [], "lus": []}

    def handle(p):
        # ILNP packets themselves (a Destination Options header right
        # after IPv6), not the kernel's errors quoting one
        if IPv6 not in p or p[IPv6].nh != 60 or nonce_of(p) is None:
            return
        ip = p[IPv6]
        n = nonce_of(p)
        if UDP in p and p[UDP].dport == 7000:
            rec["data"].append([time.time(), ip.src, n.hex()])
            send(ilnp(ip.dst, ip.src, n, UDP(sport=7000,
                                              dport=p[UDP].sport) /
                      Raw(b"echo " + bytes(p[UDP].payload))), iface=iface())
            return
        msg = bytes(p[IPv6ExtHdrDestOpt].payload)
        if p[IPv6ExtHdrDestOpt].nh == 58 and msg[:1] == b"\x9c":
            ok = nid_cksum(ip.src, ip.dst, msg) == \
                struct.unpack("!H", msg[2:4])[0]
            rec["lus"].append([time.time(), ip.src, n.hex(), msg[5],
                               lu_entries(msg), ok])
            if msg[5] == 1:
                ack = bytearray(msg)
                ack[5] = 2
                ack[2:4] = b"\0\0"
                c = nid_cksum(ip.dst, ip.src, bytes(ack))
                ack[2:4] = struct.pack("!H", c)
                send(IPv6(src=ip.dst, dst=ip.src) / IPv6ExtHdrDestOpt(
                    nh=58, options=[HBHOptUnknown(otype=0x8B,
                                                  optdata=n)]) /
                     Raw(bytes(ack)), iface=iface())

    s = AsyncSniffer(iface=iface(), filter="ip6", prn=handle, store=False)
    s.start()
    time.sleep(seconds)
    s.stop()
    print(json.dumps(rec))


def host(dst, sport, seconds, interval_ms):
    rec = {"sent": [], "replies": []}
    me = None

    def handle(p):
        if IPv6 in p and p[IPv6].nh == 60 and UDP in p and \
                p[UDP].sport == 7000 and \
                p[UDP].dport == sport and nonce_of(p) == NONCE:
            rec["replies"].append([time.time(), bytes(p[UDP].payload)
                                   .decode(errors="replace")])

    s = AsyncSniffer(iface=iface(), filter="ip6", prn=handle, store=False)
    s.start()
    time.sleep(0.3)
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        pkt = IPv6(dst=dst) / IPv6ExtHdrDestOpt(
            options=[HBHOptUnknown(otype=0x8B, optdata=NONCE)]) / \
            UDP(sport=sport, dport=7000) / Raw(b"seq %d" % i)
        if me is None:
            me = pkt[IPv6].src
        send(pkt)
        rec["sent"].append([time.time(), i])
        i += 1
        time.sleep(interval_ms / 1000.0)
    time.sleep(0.5)
    s.stop()
    rec["src"] = me
    print(json.dumps(rec))


def probe(dst, sport):
    got = []

    def handle(p):
        if ICMPv6ParamProblem in p:
            e = p[ICMPv6ParamProblem]
            q = bytes(e.payload)
            got.append({"code": e.code, "ptr": e.ptr, "dst": p[IPv6].dst,
                        "quote": q.hex()})

    s = AsyncSniffer(iface=iface(), filter="ip6", prn=handle, store=False)
    s.start()
    time.sleep(0.3)
    pkt = IPv6(dst=dst) / IPv6ExtHdrDestOpt(
        options=[HBHOptUnknown(otype=0x8B, optdata=NONCE)]) / \
        UDP(sport=sport, dport=7000) / Raw(b"ilnp probe")
    send(pkt)
    time.sleep(2)
    s.stop()
    print(json.dumps({"sent": bytes(pkt).hex(), "errors": got}))


if __name__ == "__main__":
    if sys.argv[1] == "cn":
        cn(float(sys.argv[2]))
    elif sys.argv[1] == "host":
        host(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
             float(sys.argv[5]))
    else:
        probe(sys.argv[2], int(sys.argv[3]))
    sys.stdout.flush()
    threading.Event().wait(0)
