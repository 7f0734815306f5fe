#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""IPv4 multihoming with NAT44 in the lab (config/neptune-lab-nat44.yaml;
docs/nat44.md): the standard lab with the LAN's 192.0.2.0/24 steered like
the IPv6 LAN and translated to each uplink's WAN address.

- 1000 new IPv4 UDP flows to srv-global-bal: 70/30 (+-5 points) over
  isp1/isp2 on the wire, each with its ISP's WAN address as the source
  (the same tolerance as the IPv6 test), none on the backup isp3; every
  datagram's source port preserved (ports are free); `show nat44
  sessions` agrees;
- strict IPv4 destinations (srv1..3) leave through their own ISP;
- failover: isp1 fails upstream, a 50 pps IPv4 ping flow pinned to isp1
  gets answers again through isp2 (a new mapping there: a moved NAT44 flow
  is a new flow to the server), new flows all on isp2;
- the port forward `web` (tcp 8080 -> client:80) answers from srv1 through
  isp1 and from srv2 through isp2, each to its own uplink's address.
"""
import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from capture import Captures
from conftest import (CONFIG, REPO, SEND_UDP, Lab, lab_fail, lab_up,
                      standard_lab_running)

NAT_CONFIG = REPO / "config" / "neptune-lab-nat44.yaml"
CLIENT4 = "192.0.2.10"
GBAL4 = "203.0.113.10"
SRV4 = {"isp1": "203.0.113.42", "isp2": "203.0.113.58", "isp3": "203.0.113.74"}
WAN4 = {"isp1": "198.51.100.18", "isp2": "198.51.100.34", "isp3": "198.51.100.50"}
ISPS = ("isp1", "isp2", "isp3")




@pytest.fixture(scope="module")
def nat():
    if os.geteuid() != 0:
        pytest.fail("tests/lab must run as root")
    restore = standard_lab_running()
    lab_up(NAT_CONFIG, build=False)
    try:
        yield Lab()
    finally:
        if restore:
            lab_up(CONFIG, build=False)


@pytest.fixture(autouse=True)
def neptune_alive(nat):
    assert nat.neptune_pid(), f"neptune is not running\n{nat.log_tail()}"
    yield
    if not nat.neptune_pid():
        pytest.fail(f"neptune died during the test\n{nat.log_tail()}")


def isp_caps(tmp_path, bpf):
    return Captures(tmp_path, {i: (i, "nep-" + i) for i in ISPS}, bpf)


def sessions(nat, *filters):
    r = nat.cli_json("show", "nat44", "sessions", *filters, "limit", "100000")
    return r["sessions"]


def test_balanced_split_70_30(nat, tmp_path):
    n, dport, base = 1000, 34567, 21000
    with isp_caps(tmp_path, f"udp and dst port {dport}") as caps:
        r = nat.ns("client", "/usr/bin/python3", "-c", SEND_UDP, CLIENT4, GBAL4,
                   str(dport), str(base), str(n), timeout=60, check=True)
        time.sleep(0.5)
    sent = [int(x) for x in r.stdout.split()]
    assert len(sent) >= n - 5
    from scapy.all import IP, UDP  # noqa: PLC0415
    by = {}
    for isp in ISPS:
        by[isp] = {}
        for p in caps[isp]:
            if IP in p and UDP in p and p[IP].dst == GBAL4 and p[UDP].dport == dport:
                by[isp][p[UDP].sport] = p[IP].src
    n1, n2, n3 = (len(by[i]) for i in ISPS)
    share = n1 / max(1, n1 + n2)
    print(f"\nIPv4 split of {len(sent)} flows: isp1 {n1} isp2 {n2} isp3 {n3} "
          f"(isp1 share {share:.3f})")
    assert n3 == 0, f"{n3} IPv4 flows on the backup isp3"
    assert n1 + n2 == len(sent), f"captured {n1 + n2} of {len(sent)}"
    assert not set(by["isp1"]) & set(by["isp2"])
    for isp in ("isp1", "isp2"):
        assert set(by[isp].values()) <= {WAN4[isp]}, by[isp]
    # ports preserved: every captured source port is one the client used
    assert set(by["isp1"]) | set(by["isp2"]) == set(sent)
    assert abs(share - 0.7) <= 0.05, f"isp1 share {share:.3f}, want 0.70 +- 0.05"
    # neptune's view agrees with the wire
    ss = [s for s in sessions(nat, "proto", "udp", "src", CLIENT4)
          if base <= s["inside_port"] < base + n]
    assert len(ss) == len(sent)
    for s in ss:
        assert s["public_port"] == s["inside_port"]
        assert s["public"] == WAN4[s["uplink"]]
        assert by[s["uplink"]].get(s["inside_port"]) == s["public"]


@pytest.mark.parametrize("isp", ISPS)
def test_strict_ipv4(nat, tmp_path, isp):
    dst = SRV4[isp]
    with isp_caps(tmp_path, f"icmp and host {dst}") as caps:
        r = nat.ns("client", "ping", "-c", "3", "-i", "0.2", "-W", "2", dst)
        time.sleep(0.3)
    assert " 0% packet loss" in r.stdout, r.stdout
    from scapy.all import ICMP, IP  # noqa: PLC0415
    for other in ISPS:
        req = [p for p in caps[other] if IP in p and ICMP in p and
               p[ICMP].type == 8 and p[IP].dst == dst]
        if other == isp:
            assert len(req) == 3 and {p[IP].src for p in req} == {WAN4[isp]}
        else:
            assert not req, f"requests to {dst} (strict {isp}) leaked on {other}"


def test_failover_ipv4(nat, tmp_path):
    """A ping flow on isp1 moves to isp2 when isp1 fails upstream."""
    # find a ping identifier the weights put on isp1
    ping = subprocess.Popen(["ip", "netns", "exec", "client", "ping", "-i", "0.02",
                             "-W", "1", GBAL4], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1)
        ss = [s for s in sessions(nat, "proto", "icmp", "src", CLIENT4)
              if s["packets_out"] >= 10]
        assert ss, "no ICMP mapping for the ping"
        first = ss[0]["uplink"]
        moved0 = nat.cli_json("show", "stats")["flows_moved_ipv4"]
        lab_fail(first, "upstream")
        try:
            time.sleep(3)
            ss2 = [s for s in sessions(nat, "proto", "icmp", "src", CLIENT4)
                   if s["idle_s"] < 0.5]
            assert ss2 and all(s["uplink"] != first for s in ss2), ss2
            # the ping flow moved (it broke: a new public address), counted
            assert nat.cli_json("show", "stats")["flows_moved_ipv4"] > moved0
            # new IPv4 flows avoid the failed uplink
            r = nat.ns("client", "/usr/bin/python3", "-c", SEND_UDP, CLIENT4,
                       GBAL4, "34999", "23000", "50", timeout=60, check=True)
            new = [s for s in sessions(nat, "proto", "udp", "src", CLIENT4)
                   if 23000 <= s["inside_port"] < 23050]
            assert len(new) == 50 and all(s["uplink"] != first for s in new), new
        finally:
            lab_fail(first, "clear")
    finally:
        ping.terminate()
        out, _ = ping.communicate(timeout=10)
    # the ping got answers again after the failover
    lines = [line for line in out.splitlines() if "bytes from" in line]
    assert len(lines) > 100, out[-2000:]
    time.sleep(1.5)


def test_port_forward_each_isp(nat, tmp_path):
    """The forward answers through each ISP: from srv1 / srv2 (strict
    destinations), and from srv-global-bal (balanced: its replies would
    follow the 7:3 choice if the connection were not pinned to the uplink
    it came in on) three times through each ISP's address."""
    conns = [("srv1", "isp1", SRV4["isp1"]), ("srv2", "isp2", SRV4["isp2"])] + \
        [("srv-global-bal", isp, GBAL4) for isp in ("isp1", "isp2") for _ in range(3)]
    srv = subprocess.Popen(["ip", "netns", "exec", "client", "/usr/bin/python3",
                            "-c", textwrap.dedent(f"""
        import socket
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("192.0.2.10", 80)); s.listen(8)
        for _ in range({len(conns)}):
            c, a = s.accept(); c.sendall(("hello " + a[0] + "\\n").encode()); c.close()
    """)])
    try:
        time.sleep(0.5)
        for ns, isp, src in conns:
            r = nat.ns(ns, "/usr/bin/python3", "-c", textwrap.dedent(f"""
                import socket
                s = socket.create_connection(("{WAN4[isp]}", 8080), timeout=5)
                print(s.getsockname()[1], s.recv(100).decode().strip())
            """), timeout=20)
            assert r.returncode == 0, (ns, isp, r.stdout + r.stderr)
            port, msg = r.stdout.split(" ", 1)
            assert msg.strip() == f"hello {src}", r.stdout
    finally:
        srv.kill()
        srv.wait()


def test_show_published(nat):
    """steering.published: the client at its NPTv6 address on every uplink
    (the addresses the IPv6 lab tests see it leave with)."""
    xlat = {"isp1": "2001:db8:1100:1:bf89::10", "isp2": "2001:db8:2200:1:ae89::10",
            "isp3": "2001:db8:3300:1:9d89::10"}
    pub = nat.cli_json("show", "published")["published"]
    assert [p["inside"] for p in pub] == ["fd42:100:1::10"]
    assert {u["uplink"]: u["address"] for u in pub[0]["uplinks"]} == xlat
    assert all(u["usable"] for u in pub[0]["uplinks"])


def test_mapping_log(nat):
    """nat44.log: the control lcore writes each mapping created and removed
    (here by clear nat44 sessions) with its inside and public endpoints."""
    log = Path("/run/neptune/nat44-mappings.log")
    r = nat.ns("client", "/usr/bin/python3", "-c", SEND_UDP, CLIENT4, GBAL4,
               "34777", "25000", "3", timeout=30, check=True)
    time.sleep(0.5)
    lines = log.read_text().splitlines()
    created = [ln for ln in lines if " created udp 192.0.2.10:2500" in ln]
    assert len(created) == 3, lines[-10:]
    for ln in created:
        f = ln.split()
        inside, public, uplink = f[3], f[4], f[6]
        assert public.split(":")[1] == inside.split(":")[1]
        assert public.split(":")[0] == WAN4[uplink]
    nat.cli("clear", "nat44", "sessions")
    time.sleep(0.5)
    lines = log.read_text().splitlines()
    for port in (25000, 25001, 25002):
        assert any(f" expired udp 192.0.2.10:{port} " in ln for ln in lines), port
