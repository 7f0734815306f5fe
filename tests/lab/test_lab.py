#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Basic lab tests: the lab itself, forwarding, neighbours, the CLI, ICMP
errors. Multihoming (uplinks, steering, failover): test_multihoming.py."""
import json
import re
import subprocess
import textwrap
import time

import pytest

from conftest import (CLIENT4, CLIENT6, GBAL4, GBAL6, GPREF4, GPREF6, ISP1_WAN4,
                      ISP1_WAN6, NEP_LAN4, NEP_LAN6, SRV1_4, SRV1_6, lab_fail,
                      wait_listen)


def _ok(r, what):
    assert r.returncode == 0, f"{what}: rc={r.returncode}\n{r.stdout}\n{r.stderr}"


# -- the lab itself (kernel only): a failure here is a lab problem ----------

@pytest.mark.parametrize("dst", [GBAL6, GPREF6, SRV1_6, GBAL4, GPREF4, SRV1_4])
def test_kernel_paths_from_isp1(lab, dst):
    _ok(lab.ping("isp1", dst, count=1), f"isp1 -> {dst} (kernel only)")


def _link_up(lab, port):
    ports = lab.cli_json("show", "ports")["ports"]
    entry = next((p for p in ports if p.get("name") == port), None)
    assert entry is not None, f"no port {port} in `show ports --json`: {ports}"
    return bool(entry["link"]["up"])


def _wait_link(lab, port, up, timeout=2.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if _link_up(lab, port) == up:
            return
        time.sleep(0.05)
    pytest.fail(f"port {port} link not {'up' if up else 'down'} after {timeout} s: "
                f"{lab.cli('show', 'ports').stdout}")


def test_ports_link_up(lab):
    """The taps stay in the root namespace (bridged into the lab), so
    net_tap reports their real link state: up."""
    for port in ("lan0", "wan1", "wan2", "wan3"):
        assert _link_up(lab, port), lab.cli("show", "ports").stdout


def test_fail_link_is_seen_by_neptune(lab, request):
    """lab/fail isp3 link sets nep-isp3 down in the root namespace; neptune
    sees wan3's link go down and, after lab/fail isp3 clear, up again."""
    request.addfinalizer(lambda: lab_fail("isp3", "clear"))
    lab_fail("isp3", "link")
    _wait_link(lab, "wan3", False)
    r = lab.ping("isp3", "2001:db8:30:1::2", count=1, wait=1)
    assert r.returncode != 0, "neptune's wan3 address answers with the link down"
    lab_fail("isp3", "clear")
    _wait_link(lab, "wan3", True)
    # Right after link up, replies can be lost to neighbour resolution:
    # neptune's entry for isp3, left incomplete while the link was down,
    # resolves on its next solicitation (neighbors.retrans_ms). Retry.
    end = time.monotonic() + 5
    while True:
        r = lab.ping("isp3", "2001:db8:30:1::2", count=1, wait=1)
        if r.returncode == 0 or time.monotonic() > end:
            break
    _ok(r, "isp3 -> wan3 within 5 s of lab/fail isp3 clear")


def test_fail_upstream_kernel(lab, request):
    """lab/fail isp3 upstream: isp3 still answers (first hop), but forwards
    nothing (srv3 cannot reach the core); clear restores forwarding."""
    request.addfinalizer(lambda: lab_fail("isp3", "clear"))
    lab_fail("isp3", "upstream")
    _ok(lab.ping("srv3", "2001:db8:303:1::1", count=1), "srv3 -> isp3 (first hop)")
    r = lab.ping("srv3", "2001:db8:30:ff::2", count=1, wait=1)
    assert r.returncode != 0, "isp3 still forwards with the upstream failure injected"
    lab_fail("isp3", "clear")
    _ok(lab.ping("srv3", "2001:db8:30:ff::2", count=1), "srv3 -> core after clear")


# -- neptune's own addresses -----------------------------------------------

@pytest.mark.parametrize("dst", [NEP_LAN6, NEP_LAN4])
def test_ping_neptune_lan_address(lab, dst):
    r = lab.ping("client", dst)
    _ok(r, f"client -> neptune {dst}")
    assert re.search(rf"from {re.escape(dst)}\b", r.stdout, re.I), r.stdout


# -- forwarding ------------------------------------------------------------

@pytest.mark.parametrize("dst", [GBAL6, SRV1_6, GBAL4, SRV1_4],
                         ids=["srv-global-bal-v6", "srv1-v6", "srv-global-bal-v4",
                              "srv1-v4"])
def test_ping_through_neptune(lab, dst):
    _ok(lab.ping("client", dst, count=3, wait=2), f"client -> {dst}")


@pytest.mark.parametrize("dst", [GBAL6, GBAL4], ids=["v6", "v4"])
def test_iperf3_tcp(lab, dst):
    # `ip netns exec` execs iperf3 in place: the Popen PID is iperf3's.
    srv = subprocess.Popen(["ip", "netns", "exec", "srv-global-bal", "iperf3", "-s",
                            "-1", "-B", dst], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_listen(lab, "srv-global-bal", 5201)
        r = lab.ns("client", "iperf3", "-c", dst, "-t", 3, "-J", timeout=30)
        try:
            res = json.loads(r.stdout)
        except ValueError:
            pytest.fail(f"iperf3 -J output is not JSON (rc {r.returncode}):\n"
                        f"{r.stdout}\n{r.stderr}")
        assert "error" not in res, res["error"]
        assert r.returncode == 0, r.stderr
        sent = res["end"]["sum_sent"]["bytes"]
        received = res["end"]["sum_received"]["bytes"]
        assert sent > 0 and received > 0, (sent, received)
    finally:
        if srv.poll() is None:
            srv.terminate()
            try:
                srv.wait(5)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait()


# -- neighbour resolution ----------------------------------------------------

def test_neighbors_after_flush(lab):
    _ok(lab.ping("client", GBAL6, count=1), "warm-up v6")
    _ok(lab.ping("client", GBAL4, count=1), "warm-up v4")
    neigh = json.dumps(lab.cli_json("show", "neighbors"))
    for a in (CLIENT6, ISP1_WAN6, CLIENT4, ISP1_WAN4):
        assert a in neigh, f"{a} missing from `show neighbors --json`: {neigh[:2000]}"

    r = lab.cli("clear", "neighbors")
    _ok(r, "neptune-cli clear neighbors")
    for ns in ("client", "isp1"):
        lab.ns(ns, "ip", "-6", "neigh", "flush", "all", check=True)
        lab.ns(ns, "ip", "-4", "neigh", "flush", "all", check=True)

    for dst in (GBAL6, GBAL4, SRV1_6, SRV1_4):
        _ok(lab.ping("client", dst, count=3), f"client -> {dst} after neighbour flush")


# -- neptune-cli -------------------------------------------------------------

def test_port_stats_move(lab):
    before = {p: lab.port_counters(p) for p in ("lan0", "wan1")}
    burst = 20
    # srv1 is strict via isp1 (wan1); balanced destinations may use wan2
    _ok(lab.ping("client", SRV1_6, count=burst, interval=0.01), "ping burst")
    after = {p: lab.port_counters(p) for p in ("lan0", "wan1")}
    for p in ("lan0", "wan1"):
        (rx0, tx0), (rx1, tx1) = before[p], after[p]
        assert rx1 - rx0 >= burst, f"{p} rx_packets {rx0} -> {rx1}"
        assert tx1 - tx0 >= burst, f"{p} tx_packets {tx0} -> {tx1}"


def test_show_drops_json_is_dict(lab):
    d = lab.cli_json("show", "drops")
    assert isinstance(d, dict), f"show drops --json: {d!r}"


@pytest.mark.parametrize("cmd", [["show", "version"], ["show", "ports"],
                                 ["show", "port", "stats"], ["show", "neighbors"],
                                 ["show", "drops"]])
def test_cli_text_commands(lab, cmd):
    r = lab.cli(*cmd)
    _ok(r, "neptune-cli " + " ".join(cmd))
    assert r.stdout.strip(), "empty output"


def test_unknown_command_fails_daemon_survives(lab):
    r = lab.cli("frobnicate", "the", "widget")
    assert r.returncode == 1, f"rc={r.returncode}\n{r.stdout}{r.stderr}"
    assert (r.stdout + r.stderr).strip(), "no error message"
    _ok(lab.cli("show", "version"), "show version after an unknown command")


# -- ICMP errors from neptune -------------------------------------------------

@pytest.mark.parametrize("dst,src,text", [
    (GBAL6, NEP_LAN6, "Time exceeded"),
    (GBAL4, NEP_LAN4, "Time to live exceeded"),
], ids=["v6", "v4"])
def test_hop_limit_exceeded(lab, dst, src, text):
    r = lab.ping("client", dst, count=1, extra=("-t", "1"))
    out = r.stdout + r.stderr
    assert re.search(rf"From {re.escape(src)}\b.*{text}", out), out


def test_hop_limit_icmpv6_error_contents(lab):
    """The Time Exceeded comes from neptune's LAN address, quotes the offending
    packet, fits in 1280 bytes and has a valid checksum (scapy does not check
    checksums, so it is recomputed here)."""
    script = textwrap.dedent("""
        import sys
        from scapy.all import (IPv6, ICMPv6EchoRequest, ICMPv6TimeExceeded,
                               IPerror6, conf, sr1, in6_chksum)
        conf.verb = 0
        src, dst, nep = sys.argv[1:4]
        p = IPv6(src=src, dst=dst, hlim=1) / ICMPv6EchoRequest(
            id=0x4e50, seq=7, data=b"neptune-hlim" * 8)
        r = sr1(p, iface="nep-lan", timeout=3)
        if r is None:
            sys.exit("no Time Exceeded reply")
        if r[IPv6].src != nep or ICMPv6TimeExceeded not in r:
            sys.exit("unexpected reply: " + r.summary())
        te = r[ICMPv6TimeExceeded]
        if te.code != 0:
            sys.exit("Time Exceeded code %d, want 0" % te.code)
        raw = bytes(r[IPv6])
        ip = IPv6(raw)
        icmp = bytes(ip.payload)
        zeroed = icmp[:2] + b"\\0\\0" + icmp[4:]
        want = in6_chksum(58, ip, zeroed)
        if want != te.cksum:
            sys.exit("bad ICMPv6 checksum %#x, want %#x" % (te.cksum, want))
        inner = r[IPerror6]
        if inner.dst != dst or inner.src != src:
            sys.exit("quoted header wrong: " + inner.summary())
        if b"neptune-hlim" not in raw:
            sys.exit("quoted payload missing")
        if len(raw) > 1280:
            sys.exit("error packet larger than 1280 bytes")
        print("ok", r.summary())
    """)
    r = lab.ns("client", "/usr/bin/python3", "-c", script, CLIENT6, GBAL6, NEP_LAN6,
               timeout=30)
    _ok(r, "scapy hop-limit probe")
