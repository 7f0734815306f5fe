#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Packet capture with dpdk-dumpcap from a running neptune (issue 15;
docs/operations.md, "Packet capture").

The lab runs neptune with a file prefix (nep-lab) and hugepages instead of
--in-memory, and neptune calls rte_pdump_init(), so DPDK's dpdk-dumpcap
attaches as a secondary process and writes pcapng:

  - a ping from the client to neptune's LAN address, captured on lan0
    (net_tap0): the echo requests and neptune's replies, read back with
    scapy and with tshark;
  - a ping to srv1 (strict policy: isp1), captured on wan1 (net_tap1): the
    request leaves with the client's source translated by NPTv6 into
    isp1's delegated prefix, the reply comes back to that address.
"""
import ipaddress
import shutil
import subprocess
import time

import pytest
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.utils import rdpcap

CLIENT6, NEP_LAN6 = "fd42:100:1::10", "fd42:100:1::1"
SRV1 = "2001:db8:101:1::10"
INSIDE, ISP1_DELEGATED = "fd42:100:1::/64", "2001:db8:1100:1::/64"
PREFIX = "nep-lab"


def nptv6(addr, inside, outside):
    """RFC 6296 checksum-neutral /64 translation (adjustment in word 4)."""
    a = bytearray(ipaddress.IPv6Address(addr).packed)
    i = ipaddress.IPv6Network(inside).network_address.packed
    o = ipaddress.IPv6Network(outside).network_address.packed

    def add(x, y):
        s = x + y
        return (s & 0xFFFF) + (s >> 16)

    si = so = 0
    for k in range(0, 8, 2):
        si = add(si, int.from_bytes(i[k:k + 2], "big"))
        so = add(so, int.from_bytes(o[k:k + 2], "big"))
    adj = add(si, ~so & 0xFFFF)
    a[0:8] = o[0:8]
    w4 = add(int.from_bytes(a[8:10], "big"), adj)
    a[8:10] = (0 if w4 == 0xFFFF else w4).to_bytes(2, "big")
    return str(ipaddress.IPv6Address(bytes(a)))


class Dumpcap:
    """dpdk-dumpcap attached to the lab's neptune, writing pcapng."""

    def __init__(self, iface, path):
        if shutil.which("dpdk-dumpcap") is None:
            pytest.fail("dpdk-dumpcap is missing (dpdk-dev)")
        self.path = path
        self.p = subprocess.Popen(
            ["stdbuf", "-oL", "dpdk-dumpcap", f"--file-prefix={PREFIX}", "-i", iface,
             "-p", "-q",
             "-w", str(path), "-a", "duration:30"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # it says so once its callbacks are in place (stdout line-buffered)
        end = time.monotonic() + 15
        self.out = ""
        while time.monotonic() < end:
            line = self.p.stdout.readline()
            if not line:
                break
            self.out += line
            if "Capturing on" in line:
                return
        self.stop()
        pytest.fail(f"dpdk-dumpcap did not start:\n{self.out}")

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(2)      # SIGINT: it closes the file cleanly
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.out += self.p.stdout.read()
        return self.out


def capture(lab, tmp_path, iface, action):
    path = tmp_path / f"{iface}.pcapng"
    d = Dumpcap(iface, path)
    try:
        action()
        time.sleep(0.5)
    finally:
        out = d.stop()
    assert d.p.returncode == 0, out
    assert path.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a", "not pcapng"
    return rdpcap(str(path)), path, out


def echo(pkts, cls, src, dst):
    return [p for p in pkts if IPv6 in p and cls in p and
            p[IPv6].src == src and p[IPv6].dst == dst]


def test_dumpcap_captures_ping_on_the_lan_port(lab, tmp_path):
    pkts, path, out = capture(
        lab, tmp_path, "net_tap0",
        lambda: lab.ping("client", NEP_LAN6, count=3, interval=0.2))
    req = echo(pkts, ICMPv6EchoRequest, CLIENT6, NEP_LAN6)
    rep = echo(pkts, ICMPv6EchoReply, NEP_LAN6, CLIENT6)
    assert len(req) == 3 and len(rep) == 3, \
        f"{len(req)} requests, {len(rep)} replies of {len(pkts)} packets\n{out}"
    assert {p[ICMPv6EchoRequest].seq for p in req} == \
        {p[ICMPv6EchoReply].seq for p in rep}
    # and tshark reads the same file
    r = subprocess.run(["tshark", "-r", str(path), "-Y", "icmpv6.type == 129",
                        "-T", "fields", "-e", "ipv6.src"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [NEP_LAN6] * 3, r.stdout


def test_dumpcap_captures_translated_packet_on_a_wan_port(lab, tmp_path):
    outside = nptv6(CLIENT6, INSIDE, ISP1_DELEGATED)
    pkts, _, out = capture(
        lab, tmp_path, "net_tap1",
        lambda: lab.ping("client", SRV1, count=3, interval=0.2))
    req = echo(pkts, ICMPv6EchoRequest, outside, SRV1)
    rep = echo(pkts, ICMPv6EchoReply, SRV1, outside)
    assert len(req) == 3 and len(rep) == 3, \
        f"translated {outside}: {len(req)} requests, {len(rep)} replies\n" \
        f"{[p.summary() for p in pkts]}\n{out}"
    # nothing leaves wan1 with the inside address
    assert not [p for p in pkts if IPv6 in p and p[IPv6].src == CLIENT6]
    assert ipaddress.IPv6Address(outside) in ipaddress.IPv6Network(ISP1_DELEGATED)
    # the capture detached: neptune still forwards
    assert lab.ping("client", SRV1, count=1).returncode == 0
