#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Event hooks in the lab (issue 15; docs/operations.md, "Event hooks").

config/neptune-lab.yaml runs a hook (/bin/sh -c with a printf) on every
event; it appends one line per event to /run/neptune/lab-hooks.log. Breaking isp1 beyond its first
hop (lab/fail isp1 upstream) must run it with uplink_down for isp1 (from
up to down, the health checker's reason, the lab's socket), and clearing
the failure with uplink_up, each within a second of multihoming's own
event; the runs are counted as ok in `show hooks`, and the events by kind
in the Prometheus exposition.
"""
import re
import time
import urllib.request

from pathlib import Path

from conftest import lab_fail

LOG = Path("/run/neptune/lab-hooks.log")


def lines_after(offset):
    try:
        return LOG.read_text()[offset:].splitlines()
    except FileNotFoundError:
        return []


def wait_line(offset, pattern, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for l in lines_after(offset):
            if re.search(pattern, l):
                return l
        time.sleep(0.05)
    raise AssertionError(f"no hook line matching {pattern!r}: {lines_after(offset)}")


def fields(line):
    return dict(re.findall(r"(\w+)=(\S*)", line.split(" reason=")[0]))


def test_start_event_was_recorded(lab):
    assert LOG.exists(), f"the hook never ran (no {LOG})"
    assert "event=start subject=neptune" in LOG.read_text()


def test_hook_runs_on_uplink_failure_and_recovery(lab):
    offset = LOG.stat().st_size if LOG.exists() else 0
    before = lab.cli_json("show", "hooks")
    t0 = time.monotonic()
    lab_fail("isp1", "upstream")
    try:
        down = wait_line(offset, r"event=uplink_down subject=isp1 ")
        t_down = time.monotonic() - t0
    finally:
        lab_fail("isp1", "clear")
    up = wait_line(offset, r"event=uplink_up subject=isp1 ", timeout=10)
    f = fields(down)
    assert f["from"] == "up" and f["to"] == "down" and f["uplink"] == "isp1"
    assert f["hook"] == "record" and f["socket"] == lab.sock
    assert "consecutive failed rounds" in down.split(" reason=")[1]
    assert fields(up)["from"] == "down" and fields(up)["to"] == "up"
    assert int(fields(up)["seq"]) > int(f["seq"])
    # the hook ran within a second of multihoming's own event
    ev = [e for e in lab.cli_json("show", "events")["events"]
          if e["uplink"] == "isp1" and e["to"] == "down"][-1]
    t_ev = time.mktime(time.strptime(ev["time"][:19], "%Y-%m-%dT%H:%M:%S")) + \
        float("0" + ev["time"][19:-1])
    t_hook = time.mktime(time.strptime(down[:19], "%Y-%m-%dT%H:%M:%S")) + \
        float("0" + down[19:23])
    assert 0 <= t_hook - t_ev < 1.0, (ev["time"], down[:24])
    print(f"uplink_down hook line {t_down:.2f} s after lab/fail, "
          f"event time {t_hook - t_ev:.3f} s after multihoming's")
    after = lab.cli_json("show", "hooks")
    assert after["events"]["uplink_down"] >= before["events"]["uplink_down"] + 1
    assert after["events"]["uplink_up"] >= before["events"]["uplink_up"] + 1
    assert after["runs"]["ok"] >= before["runs"]["ok"] + 2
    assert after["runs"]["failed"] == before["runs"]["failed"]
    with urllib.request.urlopen("http://127.0.0.1:9469/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(r'^neptune_events_total\{kind="uplink_down"\} (\d+)$', text, re.M)
    assert m and int(m.group(1)) == after["events"]["uplink_down"]
