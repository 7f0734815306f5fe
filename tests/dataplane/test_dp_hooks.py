#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Event hooks (the `hooks:` section; docs/operations.md, "Event hooks").

neptune on the standard two pcap ports, with hooks that are small shell
scripts the test writes:

test_hook_writes_a_file
    A hook on every event appends its argv and NEPTUNE_* environment to a
    file: the `start` event arrives with its fields; `reload` gives a
    `reload` event; `show hooks --json` counts the runs and the events by
    kind; the hook runs in its own process group with stdin /dev/null
    and no inherited descriptor beyond 0-2, and what it prints reaches
    neptune's log.

test_hook_timeout_kills_and_control_lcore_keeps_going
    A hook that sleeps 30 s (and starts a child that sleeps too) with
    timeout_ms 300: it is killed with its process group near 300 ms,
    counted as a timeout; meanwhile the management socket answers at once
    (the control lcore never waits for a hook), and a second hook queued
    behind it still runs.

test_bad_hook_config
    A missing or non-executable exec and an unknown event kind fail
    --check-config with the key's position.
"""
import json
import os
import stat
import subprocess
import time

from neptune_dp import NEPTUNE, Dataplane


def script(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def wait_for(pred, timeout=5.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def records(path):
    """The complete lines the hook wrote so far (it may be mid-line)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    return [json.loads(l) for l in text.split("\n")[:-1] if l]


RECORD = """
import json, os, sys
fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
rec = {"argv": sys.argv[1:], "pgid_is_pid": os.getpgid(0) == os.getpid(),
       "fds": fds, "stdin": os.readlink("/proc/self/fd/0")}
rec.update({k: v for k, v in os.environ.items() if k.startswith("NEPTUNE_")})
with open(os.environ["OUT"] if "OUT" in os.environ else OUT, "a") as f:
    f.write(json.dumps(rec) + "\\n")
print("hook says hello")
"""


def test_hook_writes_a_file():
    dp = Dataplane()
    out = dp.tmp / "events.jsonl"
    hook = dp.tmp / "record"
    hook.write_text(f"#!/usr/bin/python3\nOUT = {str(out)!r}\n" + RECORD)
    hook.chmod(0o755)
    hook = str(hook)
    dp.cfg["hooks"] = [{"name": "rec", "exec": hook, "timeout_ms": 3000,
                        "args": ["--zone", "two words"]}]
    dp.write_config(dp.cfg)
    dp.start()
    try:
        recs = wait_for(lambda: records(out), 5)
        assert recs, f"no hook output\n{dp.log()}"
        r = recs[0]
        assert r["argv"] == ["--zone", "two words", "start", "neptune"]
        assert r["NEPTUNE_EVENT"] == "start" and r["NEPTUNE_SUBJECT"] == "neptune"
        assert r["NEPTUNE_HOOK"] == "rec" and r["NEPTUNE_SEQ"] == "1"
        assert r["NEPTUNE_SOCKET"] == str(dp.tmp / "nep.sock")
        assert r["NEPTUNE_TIME"].endswith("Z") and int(r["NEPTUNE_TIME_MS"]) > 0
        assert r["pgid_is_pid"] is True
        # 0, 1, 2 and the one listdir opens: nothing of neptune's
        assert r["fds"] == [0, 1, 2, 3], r["fds"]
        assert r["stdin"] == "/dev/null"
        assert wait_for(lambda: "hook rec: hook says hello" in dp.log(), 3), dp.log()

        dp.cmd("reload")
        recs = wait_for(lambda: [x for x in records(out)
                                 if x["NEPTUNE_EVENT"] == "reload"], 5)
        assert recs, records(out)
        assert recs[0]["NEPTUNE_TO"] == "2" and recs[0]["NEPTUNE_SEQ"] == "2"

        h = dp.json("show hooks")
        assert h["hooks"][0]["name"] == "rec" and h["hooks"][0]["exec"] == hook
        assert h["events"]["start"] == 1 and h["events"]["reload"] == 1
        assert wait_for(lambda: dp.json("show hooks")["runs"]["ok"] == 2, 3)
        assert h["last_run"] is not None
        assert h["recent"][-1]["kind"] == "reload"
        ok, text = dp.cmd("show hooks")
        assert ok and "rec" in text and "reload" in text
    finally:
        dp.stop()


def test_hook_timeout_kills_and_control_lcore_keeps_going():
    dp = Dataplane()
    pidfile = dp.tmp / "pids"
    slow = script(dp.tmp / "slow",
                  f'sleep 30 & echo $! >>{pidfile}\necho $$ >>{pidfile}\nsleep 30\n')
    after = dp.tmp / "after"
    quick = script(dp.tmp / "quick", f'echo "$NEPTUNE_EVENT" >>{after}\n')
    dp.cfg["hooks"] = [
        {"name": "slow", "exec": slow, "timeout_ms": 300, "events": ["start"]},
        {"name": "quick", "exec": quick, "events": ["start", "reload"]},
    ]
    dp.write_config(dp.cfg)
    t0 = time.monotonic()
    dp.start()
    try:
        # the control lcore answers while the slow hook runs
        t = time.monotonic()
        dp.json("show stats")
        assert time.monotonic() - t < 0.2
        assert wait_for(lambda: pidfile.exists() and
                        len(pidfile.read_text().split()) == 2, 3)
        pids = [int(p) for p in pidfile.read_text().split()]
        assert wait_for(lambda: dp.json("show hooks")["runs"]["timeout"] == 1, 5)
        elapsed = time.monotonic() - t0
        h = dp.json("show hooks")
        assert h["last_run"]["hook"] in ("slow", "quick")
        # killed, with its background child (the process group)
        for p in pids:
            assert wait_for(lambda: not os.path.exists(f"/proc/{p}") or
                            "Z" in open(f"/proc/{p}/stat").read().split()[2], 2), p
        assert elapsed < 5, elapsed
        # the hook queued behind it ran
        assert wait_for(lambda: after.exists() and "start" in after.read_text(), 3)
        assert "still running after 300 ms, killed" in dp.log()
    finally:
        dp.stop()


def test_bad_hook_config(tmp_path):
    noexec = tmp_path / "noexec"
    noexec.write_text("#!/bin/sh\n")
    noexec.chmod(stat.S_IRUSR | stat.S_IWUSR)
    base = Dataplane().cfg
    cases = [
        ({"exec": str(tmp_path / "missing")}, "hooks[0].exec", "not an executable"),
        ({"exec": str(noexec)}, "hooks[0].exec", "not an executable"),
        ({"exec": "/bin/true", "events": ["uplink_down", "sunrise"]},
         "hooks[0].events[1]", "expected an event kind"),
        ({"exec": "/bin/true", "timeout_ms": 5}, "hooks[0].timeout_ms", ""),
    ]
    for hook, key, msg in cases:
        cfg = dict(base, hooks=[hook])
        path = tmp_path / "bad.yaml"
        path.write_text(json.dumps(cfg, indent=2) + "\n")
        r = subprocess.run([str(NEPTUNE), "--check-config", str(path)],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode != 0, hook
        assert f"{key}:" in r.stderr and msg in r.stderr, r.stderr
        assert r.stderr.startswith(f"{path}:"), r.stderr
