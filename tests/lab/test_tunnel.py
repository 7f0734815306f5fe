#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The tunnel lab (lab/up tunnel; docs/lab.md "The tunnel lab";
docs/tunnel.md): site A's neptune is the endpoint with tunnels over isp1
and isp2 to hub1 (primary, IPv6 outer) and hub2 (backup, IPv4 outer), two
more neptunes; tunsrv sits behind both hubs and answers through the hub
that delivered a connection's last packet.

- ping and iperf3 TCP, IPv4 and IPv6, from the client to tunsrv through
  the tunnel (the core drops and counts hub traffic to site A's LAN that
  bypasses the tunnel: that counter stays 0);
- failover with 20 ms x 3 keepalives: hub1's process killed, and hub1's
  ISP dropping everything: the outage of a 1000 pps echo stream is under
  100 ms (recorded in tests/lab/tunnel-failover-results.json); traffic is
  back on hub1 after it returns and the hold time;
- key rotation during an iperf3 run and a 1000 pps echo stream: nothing
  lost, every session on the new key, no authentication failure;
- an attacker on the Internet holding site-x's key (hub1's other
  endpoint) cannot inject traffic as site A: its packets on site A's
  session fail authentication, its own session's packets with a site A
  source are dropped as tun_inner_source; with its own source they pass
  (so the refusals are not an accident of routing).
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from capture import Captures
from conftest import (CLI, LAB_DIR, LAB_NAMESPACES, LAB_ROOT_LINKS, LAB_TAPS,
                      REPO, _link_exists, _netns_list)
from measure import RatePing, loss_runs, record_result

sys.path.insert(0, str(REPO / "tests" / "lib"))
import tunpeer  # noqa: E402

TUN_NAMESPACES = ["tunsrv"]
TUN_LINKS = ["th1-wan", "th1-lan", "th2-wan", "th2-lan", "bt1-wan", "bt2-wan",
             "bt-lan", "vt1-wan", "vt2-wan", "vt-lan"]
SOCK = {"ep": "/run/neptune/lab.sock", "hub1": "/run/neptune/tun-hub1.sock",
        "hub2": "/run/neptune/tun-hub2.sock"}
KEYS = {"ep": Path("/run/neptune/tun-ep.keys"),
        "hub1": Path("/run/neptune/tun-hub1.keys"),
        "hub2": Path("/run/neptune/tun-hub2.keys")}
CLIENT6, CLIENT4 = "fd42:100:1::10", "192.0.2.10"
TUNSRV6, TUNSRV4 = "2001:db8:777::10", "198.18.77.10"
HUB1_WAN6 = "2001:db8:71:1::2"
CORE_TO_HUB1 = "2001:db8:71:1::1"
EP_SESSIONS = {1101: "hub1", 1102: "hub1", 1201: "hub2", 1202: "hub2"}
RESULTS = Path(__file__).resolve().parent / "tunnel-failover-results.json"
TARGET_MS = 100.0


def cli(who, *args, timeout=10):
    return subprocess.run([str(CLI), "-s", SOCK[who]] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout)


def cli_json(who, *args):
    r = subprocess.run([str(CLI), "-s", SOCK[who], "--json"] +
                       [str(a) for a in args], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, f"{who}: {' '.join(args)}: {r.stdout}{r.stderr}"
    return json.loads(r.stdout)


def sessions(who):
    return {s["session"]: s for s in cli_json(who, "show", "tunnels")["sessions"]}


def drops(who):
    return cli_json(who, "show", "drops")["drops"]


def ns(name, *cmd, timeout=60, check=True):
    r = subprocess.run(["ip", "netns", "exec", name] + list(cmd),
                       capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"{name}: {' '.join(cmd)}: {r.stdout}{r.stderr}"
    return r


def lab_tunnel(*args, timeout=120):
    r = subprocess.run([str(LAB_DIR / "tunnel")] + list(args), capture_output=True,
                       text=True, timeout=timeout,
                       env=dict(os.environ, LAB_NO_BUILD="1"))
    assert r.returncode == 0, f"lab/tunnel {' '.join(args)}: {r.stdout}{r.stderr}"
    return r


def wait(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out ({timeout} s) waiting for {what}")


def all_up():
    try:
        return all(s["usable"] for s in sessions("ep").values())
    except (AssertionError, ValueError, subprocess.TimeoutExpired):
        return False


def leak_count():
    """Packets of hub -> site A LAN that bypassed the tunnel (the core
    drops and counts them, lab/tunnel)."""
    r = ns("core", "nft", "-j", "list", "table", "inet", "neptune_tun_lab")
    n = 0
    for item in json.loads(r.stdout)["nftables"]:
        rule = item.get("rule")
        if rule:
            for e in rule.get("expr", []):
                if "counter" in e:
                    n += e["counter"]["packets"]
    return n


@pytest.fixture(scope="module")
def tun():
    if os.geteuid() != 0:
        pytest.fail("tests/lab must run as root")

    def down():
        r = subprocess.run([str(LAB_DIR / "down")], capture_output=True, text=True,
                           timeout=120)
        left = [n for n in _netns_list() if n in LAB_NAMESPACES + TUN_NAMESPACES]
        links = [t for t in LAB_TAPS + LAB_ROOT_LINKS + TUN_LINKS if _link_exists(t)]
        return r, left, links

    try:
        r = subprocess.run([str(LAB_DIR / "up"), "tunnel"], capture_output=True,
                           text=True, timeout=1800)
        if r.returncode != 0:
            pytest.fail(f"lab/up tunnel failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        wait(all_up, 20, "every tunnel path up")
        yield
    finally:
        r, left, links = down()
        assert r.returncode == 0 and not left and not links, \
            f"lab/down rc={r.returncode}, namespaces left {left}, links left {links}\n" \
            f"{r.stdout}{r.stderr}"


@pytest.fixture(autouse=True)
def neptunes_alive(tun):
    yield
    for who in SOCK:
        assert cli(who, "show", "version").returncode == 0, f"neptune {who} is not answering"


def test_sessions_up(tun):
    ep = sessions("ep")
    assert set(ep) == set(EP_SESSIONS)
    for sid, s in ep.items():
        assert s["peer"] == EP_SESSIONS[sid] and s["state"] == "up", s
        assert s["keepalive_replies"] > 0 and 0 < s["rtt_ms"] < 20, s
        assert s["backup"] == (EP_SESSIONS[sid] == "hub2"), s
    # A hub judges an endpoint by the last authenticated packet (gone
    # after miss x interval, 60 ms here): read it until both are seen up.
    wait(lambda: all(sessions("hub1")[k]["state"] == "up" for k in (1101, 1102)),
         5, "hub1 seeing both of site A's sessions up")
    h1 = sessions("hub1")
    assert h1[1901]["state"] == "down"     # site-x never connected
    # the hub probes the sessions it hears from: per-tunnel keepalive RTT
    wait(lambda: all(sessions("hub1")[k]["keepalive_replies"] > 0
                     for k in (1101, 1102)), 5, "hub1's keepalives answered")
    h1 = sessions("hub1")
    assert all(0 < h1[k]["rtt_ms"] < 20 for k in (1101, 1102)), h1
    assert h1[1901]["keepalives_sent"] == 0
    # The hub learned where each session comes from (outer source).
    assert h1[1101]["peer_address"] == "2001:db8:10:1::2"
    assert h1[1102]["peer_address"] == "2001:db8:20:1::2"
    assert sessions("hub2")[1201]["peer_address"] == "198.51.100.18"


@pytest.mark.parametrize("dst", [TUNSRV6, TUNSRV4])
def test_ping(tun, dst):
    before = sum(s["tx_packets"] for s in sessions("ep").values() if s["peer"] == "hub1")
    leaks = leak_count()
    r = ns("client", "ping", "-c", "20", "-i", "0.05", "-W", "1", dst, check=False)
    assert " 0% packet loss" in r.stdout, r.stdout
    after = sum(s["tx_packets"] for s in sessions("ep").values() if s["peer"] == "hub1")
    # through the primary hub, and nothing came back outside the tunnel
    assert after - before >= 20
    assert leak_count() == leaks


@pytest.mark.parametrize("dst,fam", [(TUNSRV6, "-6"), (TUNSRV4, "-4")])
def test_iperf3_tcp(tun, dst, fam):
    srv = subprocess.Popen(["ip", "netns", "exec", "tunsrv", "iperf3", "-s", "-1",
                            "-p", "5301"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        r = ns("client", "iperf3", fam, "-c", dst, "-p", "5301", "-t", "3", "-J",
               timeout=30)
        res = json.loads(r.stdout)
        bps = res["end"]["sum_received"]["bits_per_second"]
        assert bps > 10e6, f"only {bps / 1e6:.1f} Mbit/s"
        # MSS clamped to the tunnel's inner MTU 1400: no segment too big
        mss = res["start"].get("tcp_mss_default")
        assert mss is None or mss <= 1400 - (60 if fam == "-6" else 40), res["start"]
    finally:
        srv.kill()
        srv.wait()


def _failover_once(tmp_path, how, attempt):
    """One hub1 failure under a 1000 pps echo stream: (outage ms, loss
    runs, sent); hub1 restored afterwards, its paths up again."""
    ping = RatePing(tmp_path, CLIENT6, TUNSRV6,
                    0x7100 + 2 * attempt + (how == "drop")).start()
    try:
        time.sleep(1.5)
        lab_tunnel("fail", "hub1", how)
        try:
            wait(lambda: all(not s["usable"] for s in sessions("ep").values()
                             if s["peer"] == "hub1"), 5, "hub1's paths down")
            time.sleep(1.5)
        finally:
            send, recv = ping.stop()
        ep = sessions("ep")
        assert any(s["peer"] == "hub2" and s["tx_packets"] > 0
                   for s in ep.values())
    finally:
        lab_tunnel("fail", "hub1", "clear")
        wait(all_up, 20, "hub1's paths back up")
    runs = loss_runs(send, recv)
    assert len(runs) <= 1, f"more than one outage: {runs}"
    outage = runs[0][2] if runs else 0.0
    assert outage is not None, f"never recovered: {runs}"
    return outage, runs, len(send)


@pytest.mark.parametrize("how", ["kill", "drop"])
def test_hub_failover(tun, tmp_path, how):
    """hub1 fails; the 1000 pps echo stream is on hub2 in under 100 ms. A
    first measurement over the target is repeated once (a timing outlier
    on a shared 2-core box), both recorded, as the multihoming test does."""
    tries = []
    for attempt in range(2):
        outage, runs, sent = _failover_once(tmp_path, how, attempt)
        tries.append(round(outage, 1))
        if outage < TARGET_MS:
            break
    record_result(RESULTS, f"hub1_{how}", {"outage_ms": round(outage, 1),
                  "lost": runs[0][1] if runs else 0, "sent": sent,
                  "attempts": tries, "keepalive": "20ms x 3"},
                  label="tunnel failover")
    assert outage < TARGET_MS, f"outage {outage:.1f} ms >= {TARGET_MS} ms " \
        f"(attempts {tries})"
    # back on hub1 (the primary) after the hold time
    before = {k: s["tx_packets"] for k, s in sessions("ep").items()}
    r = ns("client", "ping", "-c", "10", "-i", "0.05", TUNSRV6, check=False)
    assert " 0% packet loss" in r.stdout, r.stdout
    after = sessions("ep")
    assert sum(after[k]["tx_packets"] - before[k] for k in (1101, 1102)) >= 10


def _attacker_send(datagram):
    """Send one UDP datagram from the core (on the Internet) to hub1."""
    code = ("import sys\nfrom scapy.all import IPv6, UDP, Raw, send\n"
            f"send(IPv6(src='{CORE_TO_HUB1}', dst='{HUB1_WAN6}')/"
            f"UDP(sport=40000, dport=61900)/Raw(bytes.fromhex('{datagram.hex()}')),"
            " verbose=0)\n")
    ns("core", "/usr/bin/python3", "-c", code)


def _site_x_key():
    for line in KEYS["hub1"].read_text().splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "site-x":
            return int(f[1]), bytes.fromhex(f[2])
    pytest.fail("no site-x key in hub1's keys file")


def test_other_endpoint_cannot_inject(tun, tmp_path):
    from scapy.layers.inet import ICMP, IP
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
    kid, psk = _site_x_key()
    suite = tunpeer.SUITE_HMAC128
    d0 = drops("hub1")
    marker = b"neptune-inject-test"
    # 1: site-x's key on site A's session
    a = tunpeer.Session(1101, "initiator", {kid: (suite, psk)}, kid)
    forged = a.data(bytes(IPv6(src=CLIENT6, dst=TUNSRV6) /
                          ICMPv6EchoRequest(id=0x4a1, data=marker)))
    # 2: site-x's own session, site A's source address
    x = tunpeer.Session(1901, "initiator", {kid: (suite, psk)}, kid)
    spoofed = x.data(bytes(IP(src=CLIENT4, dst=TUNSRV4) /
                           ICMP(id=0x4a2) / marker))
    # 3: site-x's own session and prefix: delivered (the refusals above are
    # not an accident of routing)
    own = x.data(bytes(IPv6(src="fd42:900:1::1", dst=TUNSRV6) /
                       ICMPv6EchoRequest(id=0x4a3, data=marker)))
    with Captures(tmp_path, {"srv": ("tunsrv", "to-hubs")},
                  f"(icmp6 and dst host {TUNSRV6}) or (icmp and dst host {TUNSRV4})"
                  ) as caps:
        for d in (forged, spoofed, own):
            _attacker_send(d)
        time.sleep(0.5)
    got = [bytes(p) for p in caps["srv"] if marker in bytes(p)]
    d = drops("hub1")
    assert d["tun_auth_failed"] - d0["tun_auth_failed"] == 1
    assert d["tun_inner_source"] - d0["tun_inner_source"] == 1
    assert len(got) == 1, f"tunsrv saw {len(got)} marked packets (want only site-x's own)"
    assert b"\xfd\x42\x09\x00" in got[0]  # fd42:900:1::1


def _hex32():
    return os.urandom(32).hex()


def test_key_rotation_during_iperf3(tun, tmp_path):
    """Install key 2 everywhere, reload, rotate during traffic: nothing
    lost, everything on key 2, no authentication failure. iperf3 runs at
    50 Mbit/s, below what the lab carries, so that a loss would be the
    rotation's and not a full queue's."""
    k1, k2 = _hex32(), _hex32()
    for who, lines in (("ep", [f"hub1 2 {k1}", f"hub2 2 {k2}"]),
                       ("hub1", [f"site-a 2 {k1}"]), ("hub2", [f"site-a 2 {k2}"])):
        with KEYS[who].open("a") as f:
            f.write("\n".join(lines) + "\n")
    for who in SOCK:
        r = cli(who, "reload")
        assert r.returncode == 0, f"{who} reload: {r.stdout}{r.stderr}"
    d0 = {who: drops(who) for who in SOCK}
    srv = subprocess.Popen(["ip", "netns", "exec", "tunsrv", "iperf3", "-s", "-1",
                            "-p", "5302"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    ping = RatePing(tmp_path, CLIENT6, TUNSRV6, 0x7200).start()
    try:
        time.sleep(0.5)
        ip = subprocess.Popen(["ip", "netns", "exec", "client", "iperf3", "-6", "-c",
                               TUNSRV6, "-p", "5302", "-t", "5", "-b", "50M", "-J"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        t_rekey = time.time()
        r = cli("ep", "tunnel", "rekey", "all")
        assert r.returncode == 0 and "rotating 4" in r.stdout, r.stdout + r.stderr
        wait(lambda: all(s["tx_key"] == 2 for s in sessions("ep").values()), 5,
             "the endpoint on key 2")
        out, err = ip.communicate(timeout=30)
        assert ip.returncode == 0, err
    finally:
        send, recv = ping.stop()
        srv.kill()
        srv.wait()
    runs = loss_runs(send, recv)
    if runs:
        # where did they go: every counter that moved, and when (ms after
        # the rekey command) the first lost request was sent
        moved = {}
        for who in SOCK:
            d = drops(who)
            moved[who] = {n: v - d0[who].get(n, 0) for n, v in d.items()
                          if v != d0[who].get(n, 0)}
        at = [round((send[k] - t_rekey) * 1000.0, 1) for k, _, _ in runs]
        ev = cli("ep", "show", "events").stdout.splitlines()[-12:]
        pytest.fail(f"echo replies lost during the rotation: {runs}, sent "
                    f"{at} ms after the rekey; drops moved: {moved}; the "
                    "endpoint's last events:\n" + "\n".join(ev))
    res = json.loads(out)
    assert res["end"]["sum_received"]["bytes"] > 0
    for sid, s in sessions("ep").items():
        assert s["tx_key"] == 2 and s["rekeys"] >= 1 and s["rekey_failed"] == 0, s
    for who in ("hub1", "hub2"):
        for sid, s in sessions(who).items():
            if s["peer"] == "site-a":
                assert s["tx_key"] == 2, (who, s)
    for who in SOCK:
        d = drops(who)
        for name in ("tun_auth_failed", "tun_unknown_key", "tun_replay_duplicate",
                     "tun_replay_too_old"):
            assert d[name] == d0[who][name], (who, name, d[name] - d0[who][name])
    record_result(RESULTS, "key_rotation", {"lost": sum(c for _, c, _ in runs),
                  "sent": len(send), "iperf3_retransmits":
                  res["end"]["sum_sent"].get("retransmits")}, label="tunnel")
