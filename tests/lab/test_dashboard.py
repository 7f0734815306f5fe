#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The web dashboard in a real browser (issue 15; docs/operations.md,
"Dashboard").

neptune serves the dashboard at http://127.0.0.1:9469/ (metrics.listen in
config/neptune-lab.yaml) from files compiled into it, over the read-only
JSON of /api/show/.... tests/browser/dashboard.mjs drives Debian's
chromium, headless, with playwright-core (npm, tests/browser/package.json
and package-lock.json; installed into tests/browser/node_modules with
`npm ci` when missing):

  - the page loads against the lab and shows the three uplinks up, the
    four ports, RTT chart lines for each uplink, the flow filter answering;
  - lab/fail isp1 upstream: the page shows isp1 down within a few seconds
    (measured), with the event listed; lab/fail isp1 clear: up again;
  - every request the page made went to neptune's own address (nothing
    fetched from anywhere else), without a console or page error;
  - screenshots are kept in tests/browser/artifacts/ (git-ignored).
"""
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import LAB_DIR, REPO

BROWSER = REPO / "tests" / "browser"
ARTIFACTS = BROWSER / "artifacts"
URL = "http://127.0.0.1:9469/"


def npm_ready():
    if (BROWSER / "node_modules" / "playwright-core").is_dir():
        return
    if shutil.which("npm") is None:
        pytest.fail("npm is missing (lab/install-deps)")
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER,
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail(f"npm ci in tests/browser failed:\n{r.stdout}{r.stderr}")


def test_dashboard_in_chromium(lab):
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("chromium is missing (lab/install-deps)")
    npm_ready()
    fail = f"{LAB_DIR / 'fail'} isp1 upstream"
    clear = f"{LAB_DIR / 'fail'} isp1 clear"
    try:
        r = subprocess.run(["node", str(BROWSER / "dashboard.mjs"), URL,
                            str(ARTIFACTS), fail, clear],
                           capture_output=True, text=True, timeout=180)
    finally:
        subprocess.run(clear.split(), capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["ok"], out
    print(f"dashboard: loaded (3 uplinks up) in {out['loaded_s']:.1f} s, "
          f"isp1 down on the page {out['down_after_s']:.1f} s after lab/fail, "
          f"up again {out['up_after_s']:.1f} s after clear")
    assert [u["name"] for u in out["uplinks"]] == ["isp1", "isp2", "isp3"]
    assert all(u["state"] == "up" for u in out["uplinks"])
    assert out["ports"] == ["lan0", "wan1", "wan2", "wan3"]
    assert sorted(out["chart_lines"]) == ["isp1", "isp2", "isp3"]
    assert "match" in out["flows_total"]
    assert out["version"].startswith("0.1.0")
    assert out["down_after_s"] < 5.0, out["down_after_s"]
    assert out["up_after_s"] < 15.0, out["up_after_s"]
    # nothing but neptune's own address
    hosts = {urlparse(u).netloc for u in out["requests"]}
    assert hosts == {"127.0.0.1:9469"}, hosts
    assert any("/api/show/uplinks" in u for u in out["requests"])
    # the only refused requests: features the standard lab does not have
    # (their sections stay hidden); Chromium logs each as a console error
    optional = ("/api/show/overlays", "/api/show/tunnels",
                "/api/show/nat44/summary")
    bad = [f for f in out["failed"] if not f["url"].split("?")[0].endswith(optional)]
    assert not bad, bad
    errors = [e for e in out["console_errors"]
              if not e.startswith("Failed to load resource: the server "
                                  "responded with a status of 400")]
    assert not errors and not out["page_errors"], out
    for shot in ("dashboard-up.png", "dashboard-isp1-down.png"):
        png = ARTIFACTS / shot
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
