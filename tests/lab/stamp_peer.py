#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent STAMP peer for the lab tests, built on scapy's RFC
8762/8972 codec (scapy.contrib.stamp, by the EveryWAN authors), run inside
a lab namespace with a plain UDP socket:

  stamp_peer.py reflect PORT LOG [stateful|stateless] [ADDR]
      Session-Reflector on [ADDR or ::]:PORT (one process per session
      measured: a second session's requests queued behind the first's
      would move its t3 relative to t2, and with it the one-way delays): t2 is the kernel's receive timestamp
      (SO_TIMESTAMPNS), t3 the time just before the reply is sent; every
      request's decoded fields are appended to LOG as a JSON line.
  stamp_peer.py send DST PORT COUNT INTERVAL_MS SIZE HLIM OUT [SRC]
      Session-Sender: COUNT requests (seq 0.., SSID 0x5a5a, SIZE bytes of
      payload), each reply decoded; OUT gets a JSON list of the requests'
      and replies' fields and the local t1/t4.
"""
import json
import socket
import struct
import sys
import time

from scapy.contrib.stamp import (STAMPSessionReflectorTestUnauthenticated,
                                 STAMPSessionSenderTestUnauthenticated)
from scapy.layers.inet import UDP

NTP_OFFSET = 2208988800
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux


def ntp(t):
    """scapy's NTP timestamp fields take seconds since 1900."""
    return t + NTP_OFFSET


def unix(field):
    """A decoded NTP timestamp field (seconds since 1900) as Unix time."""
    return float(field) - NTP_OFFSET


def decode(cls, data):
    """scapy's STAMP classes size their TLVs from the UDP length above."""
    return cls(data, _parent=UDP(sport=1, dport=862, len=8 + len(data)))


def reflect(port, log, stateful, addr="::"):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    s.bind((addr, port))
    seqs = {}      # stateful: a count per session (sender address, port, SSID)
    with open(log, "a", buffering=1) as out:
        while True:
            data, anc, _, peer = s.recvmsg(65535, 256)
            t2 = time.time()
            hlim = None
            for level, kind, val in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, ns = struct.unpack("qq", val[:16])
                    t2 = sec + ns / 1e9
                elif level == socket.IPPROTO_IPV6 and kind == socket.IPV6_HOPLIMIT:
                    hlim = struct.unpack("i", val[:4])[0]
            if len(data) < 44:
                out.write(json.dumps({"short": len(data)}) + "\n")
                continue
            req = decode(STAMPSessionSenderTestUnauthenticated, data)
            key = (peer[0], peer[1], req.ssid)
            seq = seqs.get(key, 0)
            seqs[key] = seq + 1
            rep = STAMPSessionReflectorTestUnauthenticated(
                seq=seq if stateful else req.seq, ssid=req.ssid,
                ts_rx=ntp(t2), seq_sender=req.seq, ts_sender=req.ts,
                err_estimate_sender=req.err_estimate, ttl_sender=hlim or 0)
            raw = bytearray(bytes(rep))
            # the sender's timestamp and error estimate exactly as sent
            # (scapy re-encodes the timestamp through a float)
            raw[28:38] = data[4:14]
            # the reply mirrors the request's size (RFC 8762 4.3)
            raw = raw[:44] + data[44:] if len(data) > 44 else raw[:44]
            # t3 as late as Python can take it, right before the send
            # (building a scapy packet takes 0.3 ms: the NTP value is
            # packed here, in the format scapy decoded above)
            t3 = time.time()
            raw[4:12] = struct.pack("!II", int(t3) + NTP_OFFSET,
                                    int((t3 % 1) * 4294967296.0))
            s.sendto(bytes(raw), peer)
            out.write(json.dumps({
                "peer": peer[0], "sport": peer[1], "len": len(data),
                "seq": req.seq, "ssid": req.ssid, "t1": unix(req.ts),
                "t2": t2, "z": int(req.err_estimate.Z), "hlim": hlim,
                "tail_zero": data[44:] == bytes(len(data) - 44)}) + "\n")


def send(dst, port, count, interval_ms, size, hlim, out, src=None):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hlim)
    if src:
        s.bind((src, 0))
    s.settimeout(0.2)
    res = []
    for i in range(count):
        req = STAMPSessionSenderTestUnauthenticated(seq=i, ssid=0x5a5a)
        t1 = time.time()
        req.ts = ntp(t1)
        raw = bytes(req)
        raw = raw + bytes(size - len(raw)) if size > len(raw) else raw
        s.sendto(raw, (dst, port))
        rec = {"seq": i, "t1": t1, "len": len(raw), "ts_raw": raw[4:12].hex()}
        try:
            data, peer = s.recvfrom(65535)
            rec["t4"] = time.time()
            r = decode(STAMPSessionReflectorTestUnauthenticated, data)
            rec.update({
                "rlen": len(data), "peer": peer[0], "rseq": r.seq,
                "rssid": r.ssid, "t2": unix(r.ts_rx), "t3": unix(r.ts),
                "rt2": data[16:24].hex(), "rt3": data[4:12].hex(),
                "seq_sender": r.seq_sender, "ts_sender_raw": data[28:36].hex(),
                "err_sender_raw": data[36:38].hex(), "ttl_sender": r.ttl_sender,
                "tail": data[44:].hex()})
        except socket.timeout:
            pass
        res.append(rec)
        time.sleep(interval_ms / 1000.0)
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    if sys.argv[1] == "reflect":
        reflect(int(sys.argv[2]), sys.argv[3],
                len(sys.argv) > 4 and sys.argv[4] == "stateful",
                sys.argv[5] if len(sys.argv) > 5 else "::")
    else:
        a = sys.argv[2:]
        send(a[0], int(a[1]), int(a[2]), float(a[3]), int(a[4]), int(a[5]),
             a[6], a[7] if len(a) > 7 else None)
