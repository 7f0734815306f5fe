#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The metric families of the features the standard lab does not run
(issue 15; docs/operations.md, "Monitoring"): SRv6, the UDP tunnel and
NAT44, each in its own lab (lab/up srv6, lab/up tunnel, lab/up
config/neptune-lab-nat44.yaml), scraped with `neptune-cli show metrics`
(what GET /metrics serves; those configs have no metrics: section):

  - promtool check metrics accepts each exposition without a lint;
  - the feature's families are there with the values its show command
    gives (paths and tunnel sessions up, SIDs, NAT44 pools);
  - every neptune_srv6_/neptune_tunnel_/neptune_nat44_ name the Grafana
    dashboard (docs/grafana/neptune.json) queries is exported by one of
    them (tests/lab/test_metrics.py checks the other names against the
    standard lab and runs every query in a real Prometheus).

The standard lab is brought back afterwards if it was running.
"""
import json
import re
import subprocess

import pytest

from conftest import CLI, CONFIG, LAB_DIR, REPO, RUN_DIR, lab_up, standard_lab_running

NAT_CONFIG = REPO / "config" / "neptune-lab-nat44.yaml"
DASHBOARD = REPO / "docs" / "grafana" / "neptune.json"
PREFIXES = ("neptune_srv6_", "neptune_tunnel_", "neptune_nat44_")


@pytest.fixture(autouse=True)
def neptune_alive():
    """Overrides conftest's: these tests run labs of their own."""
    yield


@pytest.fixture(scope="module")
def restore():
    was = standard_lab_running()
    yield
    subprocess.run([str(LAB_DIR / "down")], capture_output=True, timeout=120)
    if was:
        lab_up(CONFIG, build=False)


def up(*args):
    r = subprocess.run([str(LAB_DIR / "up"), *map(str, args)],
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0 or "not up" in r.stderr:
        pytest.fail(f"lab/up {' '.join(map(str, args))}: rc={r.returncode}\n"
                    f"{r.stdout}{r.stderr}")


def cli(*args, sock=None):
    sock = sock or (RUN_DIR / "socket").read_text().strip()
    r = subprocess.run([str(CLI), "-s", sock, *args], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 0, f"{args}: {r.stderr}"
    return r.stdout


def scrape(sock=None):
    text = cli("show", "metrics", sock=sock)
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        f"promtool: {r.stdout}{r.stderr}"
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            m = re.match(r'^(\w+)(\{(.*)\})? (\S+)$', line)
            assert m, line
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
            samples.setdefault(m.group(1), []).append((labels, float(m.group(4))))
    return samples


def dashboard_names():
    dash = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    return {n for e in exprs for n in re.findall(r"\bneptune_[a-z0-9_]+", e)
            if n.startswith(PREFIXES)}


SEEN = set()


def test_srv6_families(restore):
    up("srv6")
    s = scrape()
    SEEN.update(s)
    paths = s["neptune_srv6_path_up"]
    assert paths and all(v == 1.0 for _, v in paths), paths
    assert {l["overlay"] for l, _ in paths} and all(l["uplink"] for l, _ in paths)
    cli_paths = [p for o in json.loads(cli("--json", "show", "overlays"))["overlays"]
                 for st in o["sites"] for p in st["paths"]]
    assert len(paths) == len(cli_paths)
    assert all(0 < v < 0.1 for _, v in s["neptune_srv6_path_rtt_seconds"])
    sids = json.loads(cli("--json", "show", "sr", "localsids"))["localsids"]
    assert len(s["neptune_srv6_localsid_packets_total"]) == len(sids)
    assert "neptune_srv6_encap_total" in s          # its stats_json counters


def test_tunnel_families(restore):
    up("tunnel")
    s = scrape()
    SEEN.update(s)
    sessions = json.loads(cli("--json", "show", "tunnels"))["sessions"]
    ups = s["neptune_tunnel_session_up"]
    assert len(ups) == len(sessions) and all(v == 1.0 for _, v in ups), ups
    assert {l["peer"] for l, _ in ups} == {x["peer"] for x in sessions}
    assert s["neptune_tunnel_session_rx_packets_total"]
    assert all(0 < v < 0.1 for _, v in s["neptune_tunnel_session_rtt_seconds"])
    # the feature's own counters (stats_json) beside the sessions'
    assert "neptune_tunnel_keepalives_sent_total" in s
    assert len(s["neptune_tunnel_rx_packets_total"]) == 1
    # the events feature saw the sessions come up
    kinds = {l["kind"]: v for l, v in s["neptune_events_total"]}
    assert kinds["tunnel_up"] >= len(sessions)


def test_nat44_families(restore):
    up(NAT_CONFIG)
    assert lab_ping_v4()
    s = scrape()
    SEEN.update(s)
    pools = json.loads(cli("--json", "show", "nat44", "summary"))["pools"]
    assert len(s["neptune_nat44_sessions"]) == len(pools)
    assert sum(v for _, v in s["neptune_nat44_sessions"]) >= 1
    assert "neptune_nat44_created_total" in s


def lab_ping_v4():
    r = subprocess.run(["ip", "netns", "exec", "client", "ping", "-c", "2",
                        "-W", "2", "203.0.113.10"], capture_output=True, timeout=30)
    return r.returncode == 0


def test_dashboard_feature_queries_name_exported_families(restore):
    missing = dashboard_names() - SEEN
    assert dashboard_names(), "the dashboard has no feature panels"
    assert not missing, f"dashboard queries families no lab exported: {missing}"
