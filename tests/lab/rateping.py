#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fixed-rate ICMPv6 echo for failover measurements.

    rateping.py SRC DST IDENT RATE_PPS DURATION_S OUT.json

Sends echo requests from SRC to DST with identifier IDENT at a fixed rate
for DURATION_S seconds (or until SIGINT/SIGTERM), then waits 0.5 s for late
replies and writes {"ident", "rate_pps", "send": [t...], "recv": {"k": t}}
to OUT.json: send times of request k (wall clock, seconds) and the arrival
time of its reply.

Why not `ping -i 0.001`: iputils ping waits up to 10 ms for a reply when
one is outstanding and the next send is due within a jiffy, so during an
outage it slows to about 100 packets per second and its loss count no longer
measures milliseconds. This sender keeps its schedule whatever comes back.

Uses an ICMPv6 datagram ("ping") socket bound to IDENT, so the kernel
stamps IDENT as the echo identifier and delivers only this session's
replies (the namespace's net.ipv4.ping_group_range must allow the caller).
"""
import json
import select
import signal
import socket
import struct
import sys
import time


def main():
    src, dst, ident, rate, duration, out = sys.argv[1:7]
    ident, rate, duration = int(ident), float(rate), float(duration)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6)
    s.bind((src, ident))
    s.setblocking(False)
    stop = []
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))

    period = 1.0 / rate
    send, recv = [], {}

    def receive():
        while True:
            try:
                data = s.recv(2048)
            except BlockingIOError:
                return
            except OSError:  # an ICMPv6 error queued on the socket
                continue
            if len(data) >= 12 and data[0] == 129:
                (k,) = struct.unpack_from("!I", data, 8)
                recv.setdefault(k, time.time())

    t0 = time.monotonic()
    end = t0 + duration
    k = 0
    while not stop:
        now = time.monotonic()
        if now >= end:
            break
        due = t0 + k * period
        if now >= due:
            # type 128, code 0, checksum (kernel), id (kernel), seq, payload
            pkt = struct.pack("!BBHHHI", 128, 0, 0, 0, k & 0xFFFF, k) + b"neptune-rate" * 4
            send.append(time.time())
            try:
                s.sendto(pkt, (dst, 0))
            except OSError:
                pass  # e.g. no route: counted as lost
            k += 1
            continue
        r, _, _ = select.select([s], [], [], max(0.0, due - now))
        if r:
            receive()
    late_end = time.monotonic() + 0.5
    while time.monotonic() < late_end:
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            receive()
    with open(out, "w") as f:
        json.dump({"ident": ident, "rate_pps": rate, "send": send,
                   "recv": {str(i): t for i, t in recv.items()}}, f)


if __name__ == "__main__":
    main()
