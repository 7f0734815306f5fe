# SPDX-License-Identifier: BSD-3-Clause
"""Outage measurements for the lab tests: a fixed-rate echo sender in the
client namespace (tests/lab/rateping.py), the runs of lost replies, and
the JSON file the results are merged into."""
import datetime
import json
import signal
import subprocess
from pathlib import Path

import pytest


class RatePing:
    """rateping.py in the client namespace: echo requests at a fixed rate
    (1000 pps; unlike iputils ping, it does not slow down when replies
    stop)."""

    SCRIPT = Path(__file__).resolve().parent / "rateping.py"

    def __init__(self, tmp_path, src, dst, ident, rate=1000):
        self.src, self.dst, self.ident, self.rate = src, dst, ident, rate
        self.out = tmp_path / f"rateping-{ident}.json"
        self.proc = None

    def start(self):
        # `ip netns exec` execs python in place: the Popen PID is the sender's
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", "client", "/usr/bin/python3", str(self.SCRIPT),
             self.src, self.dst, str(self.ident), str(self.rate), "300",
             str(self.out)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return self

    def stop(self):
        """SIGINT, wait for the result file; returns (send times, {k: recv})."""
        if self.proc is None:
            return [], {}
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        try:
            d = json.loads(self.out.read_text())
        except (OSError, ValueError):
            pytest.fail(f"rateping {self.ident}: no result (rc {self.proc.returncode})\n{out}")
        return d["send"], {int(k): t for k, t in d["recv"].items()}


def loss_runs(send, recv):
    """Runs of consecutive unanswered requests: [(first k, count, ms from the
    first lost send to the next answered send)]."""
    runs, k, n = [], 0, len(send)
    while k < n:
        if k in recv:
            k += 1
            continue
        j = k
        while j < n and j not in recv:
            j += 1
        runs.append((k, j - k, (send[j] - send[k]) * 1000.0 if j < n else None))
        k = j
    return runs


def record_result(path, key, value, label="failover"):
    """Merge one measurement (timestamped) into the JSON file path."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    value = dict(value, time=datetime.datetime.now(datetime.timezone.utc)
                 .isoformat(timespec="seconds"))
    data[key] = value
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"\n{label} {key}: {json.dumps(value, sort_keys=True)}")
