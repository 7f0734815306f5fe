#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""neptune-controller with the tunnel lab (issue 12; docs/controller.md).

The controller runs on loopback in the root namespace beside the three
neptunes of the tunnel lab, which run copies of config/neptune-tun-*.yaml
with a controller: section (lab/tunnel's TUN_CONFIG_DIR): site A
(endpoint site-a), hub1 and hub2 (routing servers) report every second.
The controller's algorithm: bandwidth weighs 0.70 (cpu, memory and
connections 0.10 each), anti_flap_threshold 0.10, max_bandwidth_mbps 10 (so a 2000 pps flood of
1400-byte echoes at a hub, about 23 Mbit/s each way, is a full load),
anti_flap_hold_time 12 s.

- both hubs register and report, site A registers and gets its tunnel
  addresses from the pools;
- loading the decided hub (a real flood from the core to its WAN
  address: its reported bandwidth and busy %) moves the decision to the
  other hub; moving the load back moves it back only once the hold time
  since the last change is over, not before; each time site A makes the
  decided hub its preferred tunnel and its traffic to tunsrv follows,
  the other hub's sessions staying up;
- the controller stopped (SIGKILL) and restarted under a 100 pps echo
  stream: nothing lost, the traffic stays on its hub, the decision is the
  same after the restart;
- the controller hung (SIGSTOP): the CLI answers at once, nothing lost;
- local health beats the decision: the preferred hub killed, traffic
  moves to the other hub before the controller notices;
- push_config: a good configuration is applied with reload semantics
  and reported applied; a bad one is refused with its file:line:column
  error, reported, and the running configuration and file are kept.
"""
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (CLI, CONFIG, LAB_DIR, LAB_NAMESPACES, LAB_ROOT_LINKS,
                      LAB_TAPS, REPO, _link_exists, _netns_list, lab_up,
                      standard_lab_running)
from measure import RatePing, loss_runs

sys.path.insert(0, str(REPO / "tests" / "controller"))
from nctl import ADMIN, Controller  # noqa: E402

TUN_NAMESPACES = ["tunsrv"]
TUN_LINKS = ["th1-wan", "th1-lan", "th2-wan", "th2-lan", "bt1-wan", "bt2-wan",
             "bt-lan", "vt1-wan", "vt2-wan", "vt-lan"]
SOCK = {"ep": "/run/neptune/lab.sock", "hub1": "/run/neptune/tun-hub1.sock",
        "hub2": "/run/neptune/tun-hub2.sock"}
CLIENT6, TUNSRV6 = "fd42:100:1::10", "2001:db8:777::10"
HUB_WAN6 = {"hub1": "2001:db8:71:1::2", "hub2": "2001:db8:72:1::2"}
HOLD = 12.0
THRESHOLD = 0.10
RUN = REPO / "lab" / "run" / "ctl-lab"
KEY = Path("/run/neptune/ctl-lab.key")
# Bandwidth decides: the busy % of three neptunes sharing two cores with
# the lab swings by 20 % on its own, worth 0.06 of score at the seed's
# cpu weight (0.30), more than the threshold: with 0.10 it stays below.
CTL_EXTRA = f"""algorithm:
  weights: {{cpu: 0.10, memory: 0.10, bandwidth: 0.70, connections: 0.10}}
  max_bandwidth_mbps: 10
  anti_flap_threshold: {THRESHOLD:g}
  anti_flap_hold_time: {HOLD:g}
  report_interval: 1
"""
DEVICE = {"ep": "site-a", "hub1": "hub1", "hub2": "hub2"}
CTL_SECTION = """
controller:
  url: http://127.0.0.1:{port}
  device_id: {dev}
  psk_file: {key}
  interval_s: 1
  timeout_ms: 500
  name: "{dev}"
{extra}"""


def cli_json(who, *args):
    r = subprocess.run([str(CLI), "-s", SOCK[who], "--json"] +
                       [str(a) for a in args], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, f"{who}: {' '.join(args)}: {r.stdout}{r.stderr}"
    return json.loads(r.stdout)


def cli(who, *args):
    return subprocess.run([str(CLI), "-s", SOCK[who]] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=10)


def wait(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    pytest.fail(f"timed out ({timeout} s) waiting for {what}")


def hub_rx(hub):
    """Data packets site A sent through hub (its sessions' tx counters
    count data only, not keepalives)."""
    return sum(s["tx_packets"] for s in
               cli_json("ep", "show", "tunnels")["sessions"]
               if s["peer"] == hub)


def via(n=50):
    """Send n echoes client -> tunsrv; which hub carried them."""
    before = {h: hub_rx(h) for h in ("hub1", "hub2")}
    r = subprocess.run(["ip", "netns", "exec", "client", "ping", "-6", "-c",
                        str(n), "-i", "0.01", "-W", "1", TUNSRV6],
                       capture_output=True, text=True, timeout=30)
    assert " 0% packet loss" in r.stdout, r.stdout
    d = {h: hub_rx(h) - before[h] for h in before}
    return max(d, key=d.get), d


class Flood:
    """2000 pps of 1400-byte echoes from the core at a hub's WAN address:
    its ports' bandwidth (and its worker's busy polls)."""

    def __init__(self, hub):
        self.hub = hub
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", "core", "ping", "-6", "-q", "-i", "0.0005",
             "-s", "1400", HUB_WAN6[hub]], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def lab_down():
    r = subprocess.run([str(LAB_DIR / "down")], capture_output=True, text=True,
                       timeout=120)
    left = [n for n in _netns_list() if n in LAB_NAMESPACES + TUN_NAMESPACES]
    links = [t for t in LAB_TAPS + LAB_ROOT_LINKS + TUN_LINKS if _link_exists(t)]
    return r, left, links


@pytest.fixture(scope="module")
def ctl_lab():
    if os.geteuid() != 0:
        pytest.fail("tests/lab must run as root")
    restore = standard_lab_running()
    RUN.mkdir(parents=True, exist_ok=True)
    psk = secrets.token_hex(24)
    fd = os.open(KEY, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (psk + "\n").encode())
    os.close(fd)
    for f in RUN.glob("state.db*"):
        f.unlink()
    ctl = Controller(RUN, extra=CTL_EXTRA)
    ctl.cfg.write_text(ctl.cfg.read_text().replace(
        "test-default-psk-0123456789abcdef", psk))
    ctl.start()
    cfgdir = RUN / "config"
    cfgdir.mkdir(exist_ok=True)
    for who, name in (("ep", "ep"), ("hub1", "hub1"), ("hub2", "hub2")):
        text = (REPO / "config" / f"neptune-tun-{name}.yaml").read_text()
        extra = ""
        if who != "ep":
            extra = f"  external_ip: {HUB_WAN6[who]}\n"
        (cfgdir / f"neptune-tun-{name}.yaml").write_text(
            text + CTL_SECTION.format(port=ctl.port, dev=DEVICE[who], key=KEY,
                                      extra=extra))
    try:
        r = subprocess.run([str(LAB_DIR / "up"), "tunnel"], capture_output=True,
                           text=True, timeout=1800,
                           env=dict(os.environ, TUN_CONFIG_DIR=str(cfgdir),
                                    LAB_NO_BUILD="1"))
        if r.returncode != 0:
            pytest.fail(f"lab/up tunnel failed ({r.returncode}):\n"
                        f"{r.stdout}\n{r.stderr}")
        yield ctl, cfgdir
    finally:
        ctl.stop()
        r, left, links = lab_down()
        KEY.unlink(missing_ok=True)
        assert r.returncode == 0 and not left and not links, \
            f"lab/down rc={r.returncode}, namespaces left {left}, links " \
            f"left {links}\n{r.stdout}{r.stderr}"
        if restore:
            lab_up(CONFIG, build=False)


@pytest.fixture(autouse=True)
def neptune_alive(ctl_lab):
    """The three neptunes answer before and after each test."""
    yield
    for who in SOCK:
        assert cli(who, "show", "version").returncode == 0, \
            f"neptune {who} is not answering"


def status(ctl):
    st, s = ctl.admin().get("/status")
    assert st == 200, s
    return {x["server_id"]: x for x in s["servers"]}


def decision(ctl):
    st, d = ctl.admin().get("/device/site-a")
    assert st == 200, d
    return d["decision"]


def preferred():
    return cli_json("ep", "show", "tunnels")["preferred_hub"]


def test_register_and_report(ctl_lab):
    ctl, _ = ctl_lab
    wait(lambda: len([s for s in status(ctl).values()
                      if s["status"] == "active"]) == 2, 30,
         "both hubs reporting")
    st, r = ctl.admin().get("/devices")
    devs = {d["device_id"]: d for d in r["devices"]}
    assert devs["hub1"]["device_type"] == "routing_server"
    assert devs["hub2"]["device_type"] == "routing_server"
    assert devs["site-a"]["device_type"] == "endpoint"
    v4 = [d["tun_ipv4"] for d in devs.values()]
    assert len(set(v4)) == 3 and all(a.startswith("100.64.") for a in v4)
    for who in ("ep", "hub1", "hub2"):
        c = wait(lambda: (lambda j: j if j["registered"] else None)(
            cli_json(who, "show", "controller")), 10, f"{who} registered")
        assert c["tun_ipv4"] == devs[DEVICE[who]]["tun_ipv4"]
        assert c["tun_ipv6"] == devs[DEVICE[who]]["tun_ipv6"]
    s = status(ctl)
    for h in ("hub1", "hub2"):
        # site A keeps keepalives on both of its sessions to each hub
        assert s[h]["active_tunnels"] == 2, s[h]
        assert 0 <= s[h]["cpu_percent"] <= 100
        assert s[h]["external_ip"] == HUB_WAN6[h]
        assert s[h]["total_rx_packets"] > 0
    # the endpoint follows its decision
    d = wait(lambda: decision(ctl), 10, "a decision for site-a")
    wait(lambda: preferred() == d["router_id"], 5, "site A preferring it")
    hub, counts = via()
    assert hub == d["router_id"], counts
    # text form
    out = cli("ep", "show", "controller").stdout
    assert "registered" in out and d["router_id"] in out


def test_load_moves_decision_after_hold(ctl_lab):
    ctl, _ = ctl_lab
    a = wait(lambda: decision(ctl), 10, "a decision")["router_id"]
    b = "hub2" if a == "hub1" else "hub1"
    # 1) load the decided hub: the decision moves to the other one (the
    #    hold since the first decision is long over, or ends meanwhile)
    fl = Flood(a)
    try:
        wait(lambda: status(ctl)[a]["bandwidth_mbps"] > 10, 10,
             f"{a} reporting the load")
        d = wait(lambda: (lambda x: x if x["router_id"] == b else None)(
            decision(ctl)), HOLD + 10, f"the decision moving to {b}")
        t1 = d["since"]
        wait(lambda: preferred() == b, 5, f"site A preferring {b}")
        hub, counts = via()
        assert hub == b, counts
        # the other hub's sessions stay up (keepalives answered)
        ses = cli_json("ep", "show", "tunnels")["sessions"]
        assert all(s["state"] == "up" for s in ses if s["peer"] == a), ses
    finally:
        fl.stop()
    # 2) now load b instead: a is better by far within a few seconds,
    #    but the decision holds until t1 + HOLD
    fl = Flood(b)
    try:
        seen_better = None
        while True:
            now = time.time()
            s = status(ctl)
            cur = decision(ctl)
            if s[a]["score"] > s[b]["score"] + THRESHOLD and \
                    seen_better is None:
                seen_better = now
            if cur["router_id"] == a:
                break
            assert now < t1 + HOLD + 6, \
                f"no move back to {a} by hold + 6 s (scores {s[a]['score']}" \
                f" / {s[b]['score']})"
            time.sleep(0.25)
        moved = cur["since"]
        assert seen_better is not None and seen_better < t1 + HOLD - 2, \
            "the load did not make the other hub better early enough " \
            "to test the hold"
        print(f"\nhold test: {b} decided at t1; {a} better by > "
              f"{THRESHOLD:g} from "
              f"t1 + {seen_better - t1:.1f} s; decision back to {a} at "
              f"t1 + {moved - t1:.1f} s (hold {HOLD:g} s)")
        # not before the hold time, and soon after it
        assert moved >= t1 + HOLD, (moved - t1)
        assert moved <= t1 + HOLD + 3, (moved - t1)
        wait(lambda: preferred() == a, 5, f"site A preferring {a} again")
        hub, counts = via()
        assert hub == a, counts
    finally:
        fl.stop()


def test_controller_restart_changes_nothing(ctl_lab, tmp_path):
    ctl, _ = ctl_lab
    pref = wait(lambda: preferred(), 10, "a preferred hub")
    # 100 pps: enough to see a gap of 10 ms, too little to load the hub
    # (measured: 200 pps cost it 0.037 of score with these weights; a drop
    # by the threshold would rightly move the decision)
    ping = RatePing(tmp_path, CLIENT6, TUNSRV6, 0x7c00, rate=100).start()
    before = {h: hub_rx(h) for h in ("hub1", "hub2")}
    try:
        time.sleep(1)
        before_kill = {h: (x["score"], x["cpu_percent"], x["bandwidth_mbps"])
                       for h, x in status(ctl).items()}
        t_kill = time.time()
        ctl.kill9()
        time.sleep(3)
        # the endpoint notices (failed requests), forwarding does not
        c = cli_json("ep", "show", "controller")
        assert c["requests_failed"] > 0 and "127.0.0.1" in c["last_error"] \
            or c["last_error"], c
        assert preferred() == pref
        ctl.start()
        seen = []
        for _ in range(6):
            s = status(ctl)
            seen.append((round(time.time() - t_kill, 1),
                         decision(ctl)["router_id"],
                         {h: (x["score"], x["cpu_percent"],
                              round(x["bandwidth_mbps"], 2),
                              x["memory_percent"], x["active_tunnels"])
                          for h, x in s.items()}))
            time.sleep(0.5)
    finally:
        send, recv = ping.stop()
    assert len(send) > 500
    # a run still open at the end is the echoes in flight when it stopped
    runs = [r for r in loss_runs(send, recv) if r[2] is not None]
    assert not runs, f"lost echoes around the controller restart: {runs}"
    d = {h: hub_rx(h) - before[h] for h in before}
    other = "hub2" if pref == "hub1" else "hub1"
    print(f"\nbefore the kill {before_kill}; after the restart {seen}")
    print(f"\ncontroller restart: {len(send)} echoes at 100 pps, "
          f"{len(send) - len(recv)} unanswered, through {d}")
    assert d[pref] >= len(send) and d[other] < 50, d
    assert preferred() == pref
    assert decision(ctl)["router_id"] == pref   # kept in the database
    c = cli_json("ep", "show", "controller")
    assert c["registered"] and c["decision"] == pref


def test_hung_controller_blocks_nothing(ctl_lab, tmp_path):
    """SIGSTOP: connections are accepted by the kernel and never answered.
    Every request times out (500 ms here) on the client thread; the
    control lcore (the CLI) and the workers do not wait."""
    ctl, _ = ctl_lab
    pref = wait(lambda: preferred(), 10, "a preferred hub")
    failed0 = cli_json("ep", "show", "controller")["requests_failed"]
    ping = RatePing(tmp_path, CLIENT6, TUNSRV6, 0x7d00, rate=100).start()
    slowest = 0.0
    try:
        time.sleep(1)
        os.kill(ctl.proc.pid, signal.SIGSTOP)
        try:
            end = time.monotonic() + 4
            while time.monotonic() < end:
                t = time.monotonic()
                for who in SOCK:
                    cli_json(who, "show", "controller")
                slowest = max(slowest, (time.monotonic() - t) / len(SOCK))
                time.sleep(0.2)
        finally:
            os.kill(ctl.proc.pid, signal.SIGCONT)
        time.sleep(2)
    finally:
        send, recv = ping.stop()
    runs = [r for r in loss_runs(send, recv) if r[2] is not None]
    assert not runs, f"lost echoes while the controller hung: {runs}"
    c = cli_json("ep", "show", "controller")
    assert c["requests_failed"] > failed0, c      # they timed out
    assert slowest < 0.5, f"show controller took {slowest:.2f} s"
    assert preferred() == pref
    print(f"\nhung controller: {len(send)} echoes, 0 lost; show controller "
          f"at most {slowest * 1000:.0f} ms; requests failed "
          f"{c['requests_failed'] - failed0}")


def test_local_health_beats_decision(ctl_lab, tmp_path):
    ctl, _ = ctl_lab
    pref = wait(lambda: preferred(), 10, "a preferred hub")
    other = "hub2" if pref == "hub1" else "hub1"
    r = subprocess.run([str(LAB_DIR / "tunnel"), "fail", pref, "kill"],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, LAB_NO_BUILD="1"))
    assert r.returncode == 0, r.stdout + r.stderr
    try:
        t0 = time.time()
        # the tunnel's keepalives (60 ms) find it dead: traffic moves at
        # once, while the controller still has the dead hub as decision
        wait(lambda: all(not s["usable"] for s in
                         cli_json("ep", "show", "tunnels")["sessions"]
                         if s["peer"] == pref), 3, f"{pref}'s paths down")
        # the controller has not noticed yet (3 report intervals): site A
        # still prefers the dead hub, and its traffic leaves by the other
        dec, pref_now = decision(ctl)["router_id"], preferred()
        assert dec == pref and pref_now == pref, (dec, pref_now)
        hub, counts = via(30)
        assert hub == other, counts
        t_moved = time.time() - t0
        assert t_moved < 3
        print(f"\nlocal health: {pref} killed, traffic through {other} "
              f"within {t_moved:.2f} s, the controller's decision still "
              f"{decision(ctl)['router_id']}")
        # then the controller marks it inactive and decides the other
        wait(lambda: decision(ctl)["router_id"] == other, 10,
             f"the decision moving to {other}")
        wait(lambda: preferred() == other, 5, f"site A preferring {other}")
    finally:
        r = subprocess.run([str(LAB_DIR / "tunnel"), "fail", pref, "clear"],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, LAB_NO_BUILD="1"))
        assert r.returncode == 0, r.stdout + r.stderr
    # the restarted hub registers again: the same addresses
    wait(lambda: status(ctl)[pref]["status"] == "active", 15,
         f"{pref} reporting again")
    c = wait(lambda: (lambda j: j if j["registered"] else None)(
        cli_json(pref, "show", "controller")), 10, f"{pref} registered")
    st, d = ctl.admin().get(f"/device/{pref}")
    assert c["tun_ipv4"] == d["tun_ipv4"]


def test_push_config(ctl_lab):
    ctl, cfgdir = ctl_lab
    a = ctl.admin()
    path = cfgdir / "neptune-tun-ep.yaml"
    text = path.read_text()
    # a good change: the tunnel's hold time
    assert "hold_ms: 500 " in text
    good = text.replace("hold_ms: 500 ", "hold_ms: 400 ")
    st, r = a.post("/push_config/site-a", {"config": {"yaml": good}})
    assert st == 202
    v = r["version"]
    d = wait(lambda: (lambda x: x if x["config_result"] and
                      x["config_result"]["version"] == v else None)(
        a.get("/device/site-a")[1]), 15, "site A applying the push")
    assert d["config_result"]["result"] == "applied", d["config_result"]
    assert d["config"] == {"yaml": good}
    assert path.read_text() == good
    c = cli_json("ep", "show", "controller")
    assert c["last_push"]["result"] == "applied"
    # a bad one: refused with the loader's position, nothing changes
    bad = good.replace("hold_ms: 400 ", "hold_ms: 400\n  no_such_key: 1 ")
    st, r = a.post("/push_config/site-a", {"config": {"yaml": bad}})
    v = r["version"]
    d = wait(lambda: (lambda x: x if x["config_result"] and
                      x["config_result"]["version"] == v else None)(
        a.get("/device/site-a")[1]), 15, "site A refusing the push")
    res = d["config_result"]
    assert res["result"] == "refused"
    assert "neptune-tun-ep.yaml:" in res["error"] and \
        "tunnel.no_such_key: unknown key" in res["error"], res
    assert path.read_text() == good       # the file put back
    assert d["config"] == {"yaml": good}  # the controller's record too
    # still forwarding, still on the decided hub
    hub, counts = via()
    assert hub == preferred(), counts
