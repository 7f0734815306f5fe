#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The lab's delay and loss injection (docs/lab.md, "Delay and loss
injection"): lab/delay ispN TO_MS FROM_MS adds that much to the RTT through
ispN, lab/fail ispN loss PCT to drops that share of the echo requests.
Measured with ping from the client to srv1 (strict via isp1). About 20 s.

The box is shared and noisy: the RTT with and without the delay is
measured in interleaved rounds, and each test removes what it injected in
a finally."""
import re
import statistics
import subprocess
import time

from conftest import LAB_DIR, RUN_DIR, SRV1_6

TO_MS, FROM_MS = 4.0, 2.5   # asymmetric, fractional
ROUNDS, PER_ROUND = 4, 60   # >= 200 pings each with and without the delay


def _run(*cmd, timeout=30):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} -> {r.returncode}\n{r.stdout}{r.stderr}"
    return r


def _rtts(lab, count, interval):
    r = lab.ping("client", SRV1_6, count=count, wait=1, interval=interval)
    return [float(x) for x in re.findall(r"time=([\d.]+)", r.stdout)], r.stdout


def _in_bridge():
    r = subprocess.run(["ip", "-o", "link", "show", "dev", "nve-isp1"],
                       capture_output=True, text=True)
    return " master nbr-isp1 " in r.stdout


def test_delay_adds_to_rtt(lab):
    base, delayed = [], []
    try:
        for _ in range(ROUNDS):
            rtts, out = _rtts(lab, PER_ROUND, 0.005)
            assert len(rtts) == PER_ROUND, f"loss without delay:\n{out}"
            base += rtts
            _run(LAB_DIR / "delay", "isp1", TO_MS, FROM_MS)
            time.sleep(0.1)
            rtts, out = _rtts(lab, PER_ROUND, 0.005)
            assert len(rtts) == PER_ROUND, f"loss with the delay:\n{out}"
            delayed += rtts
            _run(LAB_DIR / "delay", "isp1", "clear")
    finally:
        _run(LAB_DIR / "delay", "isp1", "clear")
    added = statistics.median(delayed) - statistics.median(base)
    print(f"median RTT {statistics.median(base):.3f} -> {statistics.median(delayed):.3f} ms "
          f"(+{added:.3f}, set +{TO_MS + FROM_MS})")
    assert abs(added - (TO_MS + FROM_MS)) <= 0.3, \
        f"median RTT {statistics.median(base):.3f} -> {statistics.median(delayed):.3f} ms: " \
        f"+{added:.3f}, expected +{TO_MS + FROM_MS}"
    # clear put the wire back as lab/up made it
    assert _in_bridge()
    assert not (RUN_DIR / "delay" / "isp1.pid").exists()
    rtts, out = _rtts(lab, 20, 0.01)
    assert len(rtts) == 20 and statistics.median(rtts) < TO_MS, out


def test_loss_to_isp(lab):
    try:
        _run(LAB_DIR / "fail", "isp1", "loss", 10, "to")
        r = lab.ping("client", SRV1_6, count=1000, wait=1, interval=0.005)
        m = re.search(r"(\d+) packets transmitted, (\d+) received(?:, \+(\d+) errors)?",
                      r.stdout)
        assert m, r.stdout + r.stderr
        sent, got, errors = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        # isp1's health probes lose 10 % too: now and then three in a row,
        # and for the half second isp1 is down neptune answers srv1 (strict
        # isp1) with Destination Unreachable: those requests never met the
        # loss rule; the injected loss is over the others
        loss = 100.0 * (sent - got - errors) / (sent - errors)
        print(f"loss {loss:.1f} % of {sent - errors} ({errors} unreachable)")
        assert sent == 1000 and errors < 200 and 6 <= loss <= 14, \
            f"loss {loss:.1f} %:\n{r.stdout[-400:]}"
    finally:
        _run(LAB_DIR / "fail", "isp1", "clear")
    r = lab.ping("client", SRV1_6, count=50, wait=1, interval=0.005)
    assert " 0% packet loss" in r.stdout, r.stdout
    r = subprocess.run(["ip", "netns", "exec", "isp1", "nft", "list", "table", "inet",
                        "neptune_lab_loss"], capture_output=True, text=True)
    assert r.returncode != 0, f"lab/fail isp1 clear left the loss table:\n{r.stdout}"
