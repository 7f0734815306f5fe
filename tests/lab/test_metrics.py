#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Prometheus exposition in the lab (issue 15; docs/operations.md,
"Monitoring").

neptune (config/neptune-lab.yaml: metrics.listen 127.0.0.1:9469) serves
/metrics from its HTTP thread. These tests

  - run Prometheus's own `promtool check metrics` on a scrape (format and
    lint: names, units, _total on counters, HELP on every family);
  - compare what the exposition says with the CLI's JSON (uplinks, ports,
    drops) and with traffic the test sends;
  - start a real Prometheus (Debian's `prometheus`) on loopback scraping
    neptune every second, query it through its HTTP API, break isp1 with
    lab/fail and see the uplink go down in Prometheus within seconds;
  - run every query of the Grafana dashboard (docs/grafana/neptune.json)
    against that Prometheus: each must parse, and each neptune_* name it
    uses must be a family neptune exports (the features the standard lab
    lacks are checked by tests/dataplane/test_dp_metrics.py);
  - check the /api/ JSON is read-only.
"""
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, lab_fail

METRICS = "http://127.0.0.1:9469"
PROM_ADDR = "127.0.0.1:19090"
DASHBOARD = REPO / "docs" / "grafana" / "neptune.json"
# Families the standard lab cannot show (no SRv6, tunnel or NAT44 there):
# tests/dataplane/test_dp_metrics.py scrapes a neptune that has them.
FEATURE_PREFIXES = ("neptune_srv6_", "neptune_tunnel_", "neptune_nat44_")


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()


def scrape():
    status, ctype, body = get(METRICS + "/metrics")
    assert status == 200
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    return body


def parse(text):
    """{family: type}, [(name, labels dict, value)]"""
    types, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
            assert m, f"bad sample line: {line!r}"
            labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                     m.group(3) or ""))
            samples.append((m.group(1), labels, float(m.group(4))))
    return types, samples


def value(samples, name, **labels):
    vals = [v for n, l, v in samples
            if n == name and all(l.get(k) == x for k, x in labels.items())]
    assert len(vals) == 1, f"{name}{labels}: {len(vals)} samples"
    return vals[0]


def test_promtool_accepts_the_exposition(lab):
    text = scrape()
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        f"promtool check metrics rc={r.returncode}\n{r.stdout}{r.stderr}"
    types, samples = parse(text)
    # every sample belongs to a declared family; counters end in _total
    for n, _, _ in samples:
        assert n in types, f"{n} has no # TYPE"
    for n, t in types.items():
        assert n.startswith("neptune_")
        assert (t == "counter") == n.endswith("_total"), f"{n} is a {t}"
    # the families the issue lists, from the standard lab
    for fam in ("neptune_port_rx_packets_total", "neptune_port_queue_rx_packets_total",
                "neptune_port_rx_errors_total", "neptune_drops_total",
                "neptune_uplink_up", "neptune_uplink_state", "neptune_uplink_rtt_seconds",
                "neptune_uplink_jitter_seconds", "neptune_uplink_loss_ratio",
                "neptune_uplink_flows", "neptune_uplink_tx_bytes_total",
                "neptune_health_target_rtt_seconds", "neptune_flow_table_entries",
                "neptune_mempool_in_use", "neptune_worker_busy_ratio",
                "neptune_events_total", "neptune_flows_new_total"):
        assert fam in types, f"missing family {fam}"


def test_exposition_matches_the_cli(lab):
    assert lab.ping("client", "2001:db8:101:1::10", count=3).returncode == 0
    cli_ports = {p["name"]: p for p in lab.cli_json("show", "port", "stats")["ports"]}
    cli_up = {u["name"]: u for u in lab.cli_json("show", "uplinks")["uplinks"]}
    cli_drops = lab.cli_json("show", "drops")["drops"]
    types, samples = parse(scrape())
    for name, u in cli_up.items():
        assert value(samples, "neptune_uplink_up", uplink=name) == 1.0
        assert value(samples, "neptune_uplink_state", uplink=name, state="up") == 1.0
        assert value(samples, "neptune_uplink_state", uplink=name, state="down") == 0.0
        assert value(samples, "neptune_uplink_weight", uplink=name) == u["weight"]
        assert value(samples, "neptune_uplink_tx_packets_total", uplink=name) >= u["tx_packets"]
        rtt = value(samples, "neptune_uplink_rtt_seconds", uplink=name)
        assert 0 < rtt < 0.1, f"{name} rtt {rtt} s"   # seconds, not ms
        assert 0 <= value(samples, "neptune_uplink_loss_ratio", uplink=name) <= 1
    # the ping went out through isp1 (strict srv1): counted on the uplink
    assert value(samples, "neptune_uplink_tx_packets_total", uplink="isp1") >= 3
    for name, p in cli_ports.items():
        assert value(samples, "neptune_port_rx_packets_total", port=name) >= p["rx_packets"]
        assert value(samples, "neptune_port_queue_rx_packets_total", port=name,
                     queue="0") >= p["rx_packets"]
    # every drop reason, with its stage and owner
    dropped = {l["reason"]: (l, v) for n, l, v in samples if n == "neptune_drops_total"}
    assert set(dropped) == set(cli_drops), set(dropped) ^ set(cli_drops)
    for reason, n in cli_drops.items():
        assert dropped[reason][1] >= n
        assert dropped[reason][0]["stage"] and dropped[reason][0]["feature"]
    assert dropped["strict_uplink_down"][0]["feature"] == "multihoming"
    assert dropped["no_route"][0]["stage"] == "egress"


def test_api_is_read_only_json(lab):
    status, ctype, body = get(METRICS + "/api/show/uplinks")
    assert status == 200 and ctype == "application/json"
    assert [u["name"] for u in json.loads(body)["uplinks"]] == ["isp1", "isp2", "isp3"]
    _, _, body = get(METRICS + "/api/show/uplink/isp2")
    assert json.loads(body)["name"] == "isp2"
    _, _, body = get(METRICS + "/api/show/flows?limit=5")
    assert "flows" in json.loads(body)
    for path, code in (("/api/shutdown", 403), ("/api/set/uplink/isp1/admin/down", 403),
                       ("/api/show/nothing", 404), ("/api/show/uplinks%20--json", 400),
                       ("/nowhere", 404)):
        with pytest.raises(urllib.error.HTTPError) as e:
            get(METRICS + path)
        assert e.value.code == code, path
        assert "error" in json.loads(e.value.read().decode())
    req = urllib.request.Request(METRICS + "/metrics", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 405
    # nothing changed
    assert all(u["admin"] == "up" for u in lab.cli_json("show", "uplinks")["uplinks"])


# ---------------------------------------------------------------- Prometheus

class Prometheus:
    def __init__(self, tmp):
        if shutil.which("prometheus") is None:
            pytest.fail("prometheus is not installed (lab/install-deps)")
        self.tmp = Path(tmp)
        cfg = self.tmp / "prometheus.yml"
        cfg.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: neptune\n"
            "    static_configs: [{targets: ['127.0.0.1:9469']}]\n")
        self.log = open(self.tmp / "prometheus.log", "w")
        self.p = subprocess.Popen(
            ["prometheus", f"--config.file={cfg}",
             f"--storage.tsdb.path={self.tmp / 'data'}",
             f"--web.listen-address={PROM_ADDR}", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def query(self, q):
        url = f"http://{PROM_ADDR}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        with urllib.request.urlopen(url, timeout=5) as r:
            d = json.loads(r.read().decode())
        assert d["status"] == "success", d
        return d["data"]["result"]

    def wait(self, q, pred, timeout):
        end, last = time.monotonic() + timeout, None
        while time.monotonic() < end:
            try:
                last = self.query(q)
                if pred(last):
                    return last
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.5)
        pytest.fail(f"Prometheus: {q} -> {last} after {timeout} s\n"
                    f"{(self.tmp / 'prometheus.log').read_text()[-2000:]}")

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.log.close()


@pytest.fixture(scope="module")
def prom(lab):
    tmp = tempfile.mkdtemp(prefix="nep-prom-")
    p = Prometheus(tmp)
    try:
        p.wait('up{job="neptune"}', lambda r: r and r[0]["value"][1] == "1", 60)
        yield p
    finally:
        p.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def by_uplink(result):
    return {r["metric"]["uplink"]: float(r["value"][1]) for r in result}


def test_prometheus_scrapes_neptune(lab, prom):
    r = prom.wait("neptune_uplink_up", lambda r: len(r) == 3, 20)
    assert by_uplink(r) == {"isp1": 1.0, "isp2": 1.0, "isp3": 1.0}
    # traffic shows up as a rate
    assert lab.ping("client", "2001:db8:101:1::10", count=20, interval=0.1).returncode == 0
    r = prom.wait('rate(neptune_uplink_tx_packets_total{uplink="isp1"}[5s])',
                  lambda r: r and float(r[0]["value"][1]) > 0, 15)
    r = prom.query("neptune_uplink_rtt_seconds")
    assert all(0 < float(x["value"][1]) < 0.1 for x in r), r
    # a failure is in Prometheus within seconds
    t0 = time.monotonic()
    lab_fail("isp1", "upstream")
    try:
        prom.wait('neptune_uplink_up{uplink="isp1"}',
                  lambda r: r and r[0]["value"][1] == "0", 10)
        seen = time.monotonic() - t0
        print(f"isp1 down in Prometheus after {seen:.1f} s")
        prom.wait('increase(neptune_events_total{kind="uplink_down"}[1m])',
                  lambda r: r and float(r[0]["value"][1]) > 0, 10)
    finally:
        lab_fail("isp1", "clear")
    prom.wait('neptune_uplink_up{uplink="isp1"}',
              lambda r: r and r[0]["value"][1] == "1", 15)


def dashboard_queries():
    dash = json.loads(DASHBOARD.read_text())
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                out.append((p["title"], t["expr"]))
            walk(p.get("panels", []))
    walk(dash["panels"])
    for v in dash["templating"]["list"]:
        if v.get("type") == "query":
            out.append((v["name"], v["definition"]))
    return out


def test_grafana_dashboard_queries(lab, prom):
    queries = dashboard_queries()
    assert len(queries) >= 20
    types, _ = parse(scrape())
    exported = set(types)
    unknown, empty = [], []
    for title, expr in queries:
        names = set(re.findall(r"\bneptune_[a-z0-9_]+", expr))
        assert names, f"{title}: {expr} uses no neptune metric"
        for n in names:
            if n not in exported and not n.startswith(FEATURE_PREFIXES):
                unknown.append((title, n))
        if expr.startswith("label_values("):
            continue
        q = expr.replace("$instance", ".*")
        res = prom.query(q)          # must parse and evaluate
        if not res and not any(n.startswith(FEATURE_PREFIXES) for n in names) \
                and "> 0" not in q:
            empty.append((title, q))
    assert not unknown, f"dashboard names neptune does not export: {unknown}"
    assert not empty, f"dashboard queries with no data in the lab: {empty}"
