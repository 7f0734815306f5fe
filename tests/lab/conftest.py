#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab tests: neptune on net_tap ports between real Linux namespaces.

Run as root:  /usr/bin/python3 -m pytest tests/lab
The session fixture `lab` runs lab/up (config/neptune-lab.yaml, or
$NEPTUNE_LAB_CONFIG) once and lab/down at the end, whatever happens.
Nothing is skipped: a missing prerequisite fails.
"""
import json
import os
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB_DIR = REPO / "lab"
RUN_DIR = LAB_DIR / "run"
CONFIG = Path(os.environ.get("NEPTUNE_LAB_CONFIG", REPO / "config" / "neptune-lab.yaml"))
BUILD = Path(os.environ.get("NEPTUNE_BUILD_DIR", REPO / "build"))
CLI = BUILD / "app" / "neptune-cli" / "neptune-cli"

LAB_NAMESPACES = ["client", "isp1", "isp2", "isp3", "core", "srv1", "srv2",
                  "srv3", "srv-global-pref", "srv-global-bal"]
LAB_TAPS = ["nep-lan", "nep-isp1", "nep-isp2", "nep-isp3"]
# Root-namespace bridge and veth end of each tap (lab/lib.sh attach_tap).
LAB_ROOT_LINKS = [f"{kind}-{t[4:]}" for t in LAB_TAPS for kind in ("nbr", "nve")]

# Addresses (docs/lab.md).
NEP_LAN6, NEP_LAN4 = "fd42:100:1::1", "192.0.2.1"
CLIENT6, CLIENT4 = "fd42:100:1::10", "192.0.2.10"
GBAL6, GBAL4 = "2001:db8:998:1::10", "203.0.113.10"
GPREF6, GPREF4 = "2001:db8:999:1::10", "203.0.113.26"
SRV1_6, SRV1_4 = "2001:db8:101:1::10", "203.0.113.42"
ISP1_WAN6, ISP1_WAN4 = "2001:db8:10:1::1", "198.51.100.17"


def _netns_list():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def _link_exists(name):
    return subprocess.run(["ip", "link", "show", "dev", name],
                          capture_output=True).returncode == 0


class Lab:
    """Helpers bound to the running lab."""

    def __init__(self):
        sock_file = RUN_DIR / "socket"
        self.sock = sock_file.read_text().strip() if sock_file.exists() \
            else "/run/neptune/lab.sock"
        self.cli_path = CLI
        self.log = RUN_DIR / "neptune.log"

    # -- processes -----------------------------------------------------
    def ns(self, ns, *cmd, timeout=30, check=False):
        """Run cmd inside namespace ns; returns CompletedProcess (text)."""
        r = subprocess.run(["ip", "netns", "exec", ns, *map(str, cmd)],
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            pytest.fail(f"[{ns}] {' '.join(map(str, cmd))} -> {r.returncode}\n"
                        f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    def ping(self, ns, dst, count=3, wait=2, interval=0.2, extra=()):
        """ping -c count -W wait -i interval [extra] dst inside ns."""
        return self.ns(ns, "ping", "-n", "-c", count, "-W", wait, "-i", interval,
                       *extra, dst, timeout=count * (interval + wait) + 10)

    def neptune_pid(self):
        try:
            pid = int((RUN_DIR / "neptune.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return None
        return pid if comm == "neptune" or \
            os.path.basename(os.readlink(f"/proc/{pid}/exe")).startswith("neptune") \
            else None

    def log_tail(self, n=40):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    # -- neptune-cli ---------------------------------------------------
    def cli(self, *args, json_out=False, timeout=10):
        cmd = [str(self.cli_path), "-s", self.sock]
        if json_out:
            cmd.append("--json")
        cmd += [str(a) for a in args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def cli_json(self, *args):
        r = self.cli(*args, json_out=True)
        assert r.returncode == 0, \
            f"neptune-cli --json {' '.join(args)} -> {r.returncode}\n{r.stdout}{r.stderr}"
        try:
            return json.loads(r.stdout)
        except ValueError as e:
            pytest.fail(f"neptune-cli --json {' '.join(args)}: not JSON ({e}):\n{r.stdout}")

    def port_counters(self, name):
        """(rx_packets, tx_packets) of port `name` from `show port stats --json`."""
        return port_counters(self.cli_json("show", "port", "stats"), name)


def _find_port(stats, name):
    obj = stats
    if isinstance(obj, dict) and "ports" in obj:
        obj = obj["ports"]
    if isinstance(obj, dict):
        return obj.get(name)
    if isinstance(obj, list):
        for e in obj:
            if isinstance(e, dict) and name in (e.get("name"), e.get("port")):
                return e
    return None


def _counter(entry, *keys):
    for k in keys:
        if k in entry:
            return int(entry[k])
    for sub in ("stats", "counters"):
        if isinstance(entry.get(sub), dict):
            return _counter(entry[sub], *keys)
    raise KeyError(keys[0])


def port_counters(stats, name):
    entry = _find_port(stats, name)
    assert isinstance(entry, dict), \
        f"port {name} not found in `show port stats --json`: {json.dumps(stats)[:2000]}"
    try:
        return (_counter(entry, "rx_packets", "ipackets"),
                _counter(entry, "tx_packets", "opackets"))
    except KeyError as e:
        pytest.fail(f"port {name}: no {e} in `show port stats --json`: {entry}")


# n UDP datagrams, one per source port base..base+n-1 (one new flow each),
# from src to dst:dport, IPv6 or IPv4 by the address; prints the ports sent.
SEND_UDP = textwrap.dedent("""
    import socket, sys, time
    src, dst = sys.argv[1], sys.argv[2]
    dport, base, n = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    sent = []
    for i in range(n):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            s.bind((src, base + i))
            s.sendto(b"neptune-lab-flow", (dst, dport))
            sent.append(base + i)
        except OSError:
            pass
        finally:
            s.close()
        if i % 10 == 9:
            time.sleep(0.002)
    print(" ".join(map(str, sent)))
""")


def standard_lab_running():
    """Is the standard lab (CONFIG) up? A module that brings up a lab of its
    own restores it afterwards when it was."""
    try:
        pid = int((RUN_DIR / "neptune.pid").read_text().strip())
        cfg = (RUN_DIR / "config").read_text().strip()
        alive = Path(f"/proc/{pid}/comm").read_text().strip() == "neptune"
    except (OSError, ValueError):
        return False
    return alive and Path(cfg).resolve() == CONFIG.resolve()


def lab_up(config, build=True):
    """Run lab/up CONFIG (it tears down a previous lab first); fail the test
    with lab/up's output if it fails. build=False skips lab/build."""
    env = dict(os.environ)
    if not build:
        env["LAB_NO_BUILD"] = "1"
    r = subprocess.run([str(LAB_DIR / "up"), str(config)], capture_output=True,
                       text=True, timeout=1800, env=env)
    if r.returncode != 0:
        pytest.fail(f"lab/up {config} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    # lab/up waits up to 15 s for the uplinks and only warns: fail here
    if "uplinks not up" in r.stderr:
        pytest.fail(f"lab/up {config}: {r.stderr}")


def lab_fail(isp, what):
    """lab/fail ISP upstream|link|clear; fails the test if lab/fail does."""
    r = subprocess.run([str(LAB_DIR / "fail"), isp, what], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, f"lab/fail {isp} {what} -> {r.returncode}\n{r.stdout}{r.stderr}"


@pytest.fixture(scope="session")
def lab(request):
    if os.geteuid() != 0:
        pytest.fail("tests/lab must run as root")
    for tool in ("ip", "ss"):
        if shutil.which(tool) is None:
            pytest.fail(f"missing tool: {tool}")
    if not CONFIG.is_file():
        pytest.fail(f"missing lab config {CONFIG}")

    def teardown():
        r = subprocess.run([str(LAB_DIR / "down")], capture_output=True, text=True,
                           timeout=120)
        left = [n for n in _netns_list() if n in LAB_NAMESPACES]
        links = [t for t in LAB_TAPS + LAB_ROOT_LINKS if _link_exists(t)]
        assert r.returncode == 0 and not left and not links, \
            f"lab/down rc={r.returncode}, namespaces left {left}, links left {links}\n" \
            f"{r.stdout}{r.stderr}"

    request.addfinalizer(teardown)
    lab_up(CONFIG)
    for tool in ("ping", "iperf3"):  # lab/build installs them
        if shutil.which(tool) is None:
            pytest.fail(f"missing tool: {tool}")
    return Lab()


@pytest.fixture(autouse=True)
def neptune_alive(lab):
    """Every test starts and ends with a live neptune; say so if it died."""
    assert lab.neptune_pid(), f"neptune is not running\n{lab.log_tail()}"
    yield
    if not lab.neptune_pid():
        pytest.fail(f"neptune died during the test\n{lab.log_tail()}")


def wait_listen(lab, ns, port, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = lab.ns(ns, "ss", "-Htln", f"sport = :{port}")
        if r.stdout.strip():
            return
        time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port} in {ns}")
