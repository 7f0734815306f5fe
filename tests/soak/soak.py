#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The soak test (issue 16; docs/reliability.md "Soak"): the standard lab
with 10 ms health probes, for --minutes, under

  - flow churn: trafgen in the client namespace sends IPv6 UDP to
    srv-global-bal at --rate packets per second, each with a random source
    port and one of 16 destination ports (about a million possible flows;
    a 5 s flow idle timeout keeps them coming and going);
  - long flows that must stay: a 200 pps echo stream (rateping) and 8 UDP
    flows with fixed ports, one datagram each every 100 ms;
  - a reload every 10 s (isp2's weight alternates 3 and 4);
  - an uplink flap every 2 s (`lab/fail UPLINK link`, then `clear`), on an
    uplink that none of the long flows uses;
  - management clients: one connecting, asking `show stats` and leaving
    every 50 ms, one connecting and leaving without a word every 500 ms,
    one sending a garbage line every 2 s.

At the end (traffic stopped, flows aged out) it checks, and prints and
writes to --json (default tests/soak/results.json):

  - mbufs in use (show metrics, neptune_mempool_in_use) back to the
    baseline taken before the traffic;
  - the resident set of neptune after the warm-up minute against the end
    (no growth beyond 8 MiB), the flow table never above its size;
  - every long flow kept its uplink and its one entry the whole time (its
    age only grew); the echo stream lost at most 2 %;
  - events: as many uplink_down / uplink_up as flaps, all of the flapped
    uplink, no other uplink down; as many reload events as reloads, every
    reload answered "configuration reloaded";
  - every management request answered.

Exit 0 when every check holds. Needs root; it runs lab/up and lab/down
(also on failure) and kills what it started by PID.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "dataplane"))
from neptune_dp import Mgmt as MgmtConn  # noqa: E402  (the framed client)
BUILD = Path(os.environ.get("NEPTUNE_BUILD_DIR", REPO / "build"))
CLI = BUILD / "app" / "neptune-cli" / "neptune-cli"
LAB = REPO / "lab"
BASE_CONFIG = REPO / "config" / "neptune-lab-fast.yaml"
WORK = Path("/tmp/neptune-soak")
CLIENT6, GBAL6 = "fd42:100:1::10", "2001:db8:998:1::10"
UPLINKS = ("isp1", "isp2", "isp3")

TRAFGEN = """\
/* written by tests/soak/soak.py: flow churn, client -> srv-global-bal */
{{
  eth(da={da}, sa={sa}, type=0x86dd),
  ipv6(sa={src}, da={dst}, hl=64, nh=17),
  udp(sp=drnd(), dp=dinc(5000, 5015)),
  fill(0x00, 18)
}}
"""

# 8 UDP flows with fixed ports, one datagram each every 100 ms, until
# SIGTERM; prints the count sent per flow.
LONG_UDP = """
import signal, socket, sys, time
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
socks = []
for i in range(8):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("%s", 47000 + i))
    socks.append(s)
n = 0
while not stop:
    for s in socks:
        try:
            s.sendto(b"soak-long-flow", ("%s", 7000))
        except OSError:
            pass
    n += 1
    time.sleep(0.1)
print(n)
""" % (CLIENT6, GBAL6)


def log(msg):
    print(f"soak: {time.strftime('%H:%M:%S')} {msg}", flush=True)


def run(*cmd, check=True, timeout=120, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: {r.returncode}\n"
                           f"{r.stdout}{r.stderr}")
    return r


class Neptune:
    def __init__(self, sock):
        self.sock = sock

    def cli(self, *args, check=True):
        return run(CLI, "-s", self.sock, *args, check=check, timeout=30)

    def json(self, *args):
        return json.loads(self.cli("--json", *args).stdout)

    def metric(self, name):
        total = 0
        for line in self.cli("show", "metrics").stdout.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
        return total


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Mgmt(threading.Thread):
    """The management churn: counts requests and their answers."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock, self.stop = sock, threading.Event()
        self.asked = self.answered = self.silent = self.garbage = 0
        self.garbage_answered = 0
        self.errors = []

    def request(self, line):
        """One connection, one request: (status word, payload)."""
        m = MgmtConn(self.sock)
        try:
            ok, text = m.cmd(line)
        finally:
            m.close()
        return ("OK" if ok else "ERR"), text

    def run(self):
        t = 0
        while not self.stop.is_set():
            try:
                self.asked += 1
                status, _ = self.request("show stats")
                if status == "OK":
                    self.answered += 1
                if t % 10 == 0:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(self.sock)
                    s.close()
                    self.silent += 1
                if t % 40 == 0:
                    self.garbage += 1
                    status, text = self.request("\x01\x7f frobnicate ;;")
                    if status == "ERR" and text.startswith("error:"):
                        self.garbage_answered += 1
            except (OSError, ValueError) as e:
                self.errors.append(repr(e))
            t += 1
            time.sleep(0.05)


def soak_config(path):
    text = BASE_CONFIG.read_text()
    text = text.replace("flow_timeout_s: 30", "flow_timeout_s: 5")
    path.write_text(text)
    return text


def set_isp2_weight(path, text, weight):
    # isp2's weight is the second "weight:" of the uplinks
    parts = text.split("    weight: ")
    assert len(parts) >= 3, "no isp2 weight in the lab config"
    rest = parts[2].split("\n", 1)
    parts[2] = f"{weight}\n{rest[1]}"
    new = "    weight: ".join(parts)
    path.write_text(new)


def tracked_flows(nep):
    """{key: (uplink, age)} of the long flows in neptune's tables."""
    out = {}
    found = nep.json("show", "flows", "proto", "icmpv6", "dst", GBAL6,
                     "limit", "0")["flows"] + \
        nep.json("show", "flows", "proto", "udp", "port", "7000",
                 "limit", "0")["flows"]
    for f in found:
        if f["proto"] == "icmpv6" or 47000 <= f["sport"] < 47008:
            out[(f["proto"], f["sport"])] = (f["uplink"], f["age_s"])
    return out


def flow_count(nep):
    return nep.json("show", "flows", "limit", "1")["total"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--rate", type=int, default=50000,
                    help="flow-churn packets per second (default 50000)")
    ap.add_argument("--json", default=str(REPO / "tests" / "soak" /
                                          "results.json"))
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("tests/soak/run: must run as root")
    WORK.mkdir(parents=True, exist_ok=True)
    cfg_path = WORK / "neptune-soak.yaml"
    cfg_text = soak_config(cfg_path)
    procs = []
    env = dict(os.environ, LAB_NO_BUILD="1") if a.no_build else dict(os.environ)
    failures, res = [], {"minutes": a.minutes, "rate_pps": a.rate}
    try:
        log(f"lab/up {cfg_path}")
        r = run(LAB / "up", cfg_path, timeout=1800, env=env, check=False)
        if r.returncode != 0 or "uplinks not up" in r.stderr:
            raise RuntimeError(f"lab/up failed:\n{r.stdout}{r.stderr}")
        sock = (LAB / "run" / "socket").read_text().strip()
        pid = int((LAB / "run" / "neptune.pid").read_text().strip())
        nep = Neptune(sock)
        size = 1 << 20    # steering.flow_table_size, the default
        lan = next(p for p in nep.json("show", "ports")["ports"]
                   if p["name"] == "lan0")
        cmac = run("ip", "-n", "client", "-j", "link", "show", "nep-lan").stdout
        cmac = json.loads(cmac)[0]["address"]
        time.sleep(1)
        base_mbufs = min(nep.metric("neptune_mempool_in_use") for _ in range(5))
        h = nep.json("show", "hooks")
        hooks0 = h["events"]
        # events before the soak (the uplinks coming up) are not its own
        seen_seq = {ev["seq"] for ev in h["recent"]}
        st0 = nep.json("show", "stats")
        log(f"baseline: {base_mbufs:.0f} mbufs in use, rss {rss_kib(pid)} KiB")

        # long flows first, then the churn
        ping = subprocess.Popen(
            ["ip", "netns", "exec", "client", "/usr/bin/python3",
             str(REPO / "tests" / "lab" / "rateping.py"), CLIENT6, GBAL6,
             "29001", "200", str(a.minutes * 60 + 60), str(WORK / "ping.json")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(ping)
        udp = subprocess.Popen(["ip", "netns", "exec", "client",
                                "/usr/bin/python3", "-c", LONG_UDP],
                               stdout=subprocess.PIPE, text=True)
        procs.append(udp)
        time.sleep(2)
        first = tracked_flows(nep)
        if len(first) != 9:
            raise RuntimeError(f"long flows not all seen: {first}")
        used = {u for u, _ in first.values()}
        flap = next((u for u in ("isp3", "isp2", "isp1") if u not in used),
                    None)
        if flap is None:
            raise RuntimeError(f"the long flows use every uplink: {first}")
        log(f"long flows on {sorted(used)}; flapping {flap}")
        tg_cfg = WORK / "churn.trafgen"
        tg_cfg.write_text(TRAFGEN.format(da=lan["mac"], sa=cmac, src=CLIENT6,
                                         dst=GBAL6))
        tg = subprocess.Popen(["ip", "netns", "exec", "client", "trafgen",
                               "--dev", "nep-lan", "--conf", str(tg_cfg),
                               "--rate", f"{a.rate}pps", "--cpus", "1",
                               "--no-sock-mem", "--notouch-irq"],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
        procs.append(tg)
        mg = Mgmt(sock)
        mg.start()

        t0 = time.monotonic()
        end = t0 + a.minutes * 60
        next_flap, next_reload, next_sample = t0 + 2, t0 + 10, t0
        flapped_down, flaps, reloads, reload_ok, weight = False, 0, 0, 0, 3
        events = []
        samples, flow_max, stayed_bad = [], 0, []
        rss_warm = None
        while time.monotonic() < end:
            now = time.monotonic()
            if tg.poll() is not None:
                raise RuntimeError(f"trafgen exited: {tg.stderr.read()}")
            if now >= next_flap:
                run(LAB / "fail", flap, "clear" if flapped_down else "link")
                flapped_down = not flapped_down
                flaps += flapped_down
                next_flap += 2
            if now >= next_reload:
                weight = 7 - weight
                set_isp2_weight(cfg_path, cfg_text, weight)
                r = nep.cli("reload", check=False)
                reloads += 1
                reload_ok += "configuration reloaded" in r.stdout
                next_reload += 10
            if now >= next_sample:
                for ev in nep.json("show", "hooks")["recent"]:
                    if ev["seq"] not in seen_seq:
                        seen_seq.add(ev["seq"])
                        events.append(ev)
                cur = tracked_flows(nep)
                for k, (u, age) in first.items():
                    if k not in cur:
                        stayed_bad.append((round(now - t0, 1), k, "gone"))
                    elif cur[k][0] != u:
                        stayed_bad.append((round(now - t0, 1), k,
                                           f"moved {u} -> {cur[k][0]}"))
                    elif cur[k][1] < age:
                        stayed_bad.append((round(now - t0, 1), k,
                                           "made again (age fell)"))
                    else:
                        first[k] = (u, cur[k][1])
                st = nep.json("show", "stats")
                n_flows = flow_count(nep)
                flow_max = max(flow_max, n_flows)
                rss = rss_kib(pid)
                if rss_warm is None and now - t0 >= min(60, a.minutes * 30):
                    rss_warm = rss
                samples.append({"t": round(now - t0, 1), "flows": n_flows,
                                "rx": st["rx_packets"], "rss_kib": rss,
                                "mbufs": nep.metric("neptune_mempool_in_use")})
                log(f"t={now - t0:5.0f}s flows {n_flows:7d} rx "
                    f"{st['rx_packets']} rss {rss} KiB flaps {flaps} "
                    f"reloads {reloads}")
                next_sample += 5
            time.sleep(0.05)

        # stop the churn and the flaps; the long flows and clients too
        os.killpg(tg.pid, signal.SIGINT)
        tg.wait(10)
        if flapped_down:
            run(LAB / "fail", flap, "clear")
        mg.stop.set()
        mg.join(15)
        udp.send_signal(signal.SIGTERM)
        udp_out, _ = udp.communicate(timeout=10)
        ping.send_signal(signal.SIGINT)
        ping.communicate(timeout=20)
        d = json.loads((WORK / "ping.json").read_text())
        sent, recv = len(d["send"]), len(d["recv"])
        time.sleep(1)
        for ev in nep.json("show", "hooks")["recent"]:
            if ev["seq"] not in seen_seq:
                seen_seq.add(ev["seq"])
                events.append(ev)
        # everything ages out: 5 s idle, then the reaper
        t_idle = time.monotonic()
        while flow_count(nep) > 0 and \
                time.monotonic() < t_idle + 30:
            time.sleep(0.5)
        left = flow_count(nep)
        mbufs_end = min(nep.metric("neptune_mempool_in_use") for _ in range(10))
        rss_end = rss_kib(pid)
        st1 = nep.json("show", "stats")
        hooks1 = nep.json("show", "hooks")["events"]
        drops = {k: v for k, v in nep.json("show", "drops")["drops"].items()
                 if v}

        delta = {k: hooks1.get(k, 0) - hooks0.get(k, 0) for k in hooks1}
        ups = [e for e in events if e["kind"] in ("uplink_down", "uplink_up")]
        res.update({
            "flapped_uplink": flap, "flaps": flaps, "reloads": reloads,
            "reloads_ok": reload_ok, "events": delta,
            "flows_new": st1["flows_new"] - st0["flows_new"],
            "flows_max": flow_max, "flow_table_size": size,
            "flows_left_after_idle": left,
            "rx_packets": st1["rx_packets"] - st0["rx_packets"],
            "mbufs_baseline": base_mbufs, "mbufs_end": mbufs_end,
            "rss_kib_warm": rss_warm, "rss_kib_end": rss_end,
            "long_flows_not_kept": stayed_bad,
            "echo_sent": sent, "echo_lost": sent - recv,
            "long_udp_rounds": int(udp_out.strip() or 0),
            "mgmt": {"asked": mg.asked, "answered": mg.answered,
                     "silent": mg.silent, "garbage": mg.garbage,
                     "garbage_answered": mg.garbage_answered,
                     "errors": mg.errors[:5]},
            "drops": drops, "samples": samples,
        })
        # the checks
        if mbufs_end != base_mbufs:
            failures.append(f"mbufs in use {mbufs_end} != baseline {base_mbufs}")
        if rss_warm and rss_end - rss_warm > 8 * 1024:
            failures.append(f"rss grew {rss_end - rss_warm} KiB after warm-up")
        if size and flow_max > size:
            failures.append(f"{flow_max} flows > table size {size}")
        if left:
            failures.append(f"{left} flows left 30 s after the traffic")
        if stayed_bad:
            failures.append(f"long flows not kept: {stayed_bad[:5]}")
        if delta.get("uplink_down", 0) != flaps or \
                delta.get("uplink_up", 0) != flaps:
            failures.append(f"uplink events {delta} for {flaps} flaps")
        if any(e["subject"] != flap for e in ups):
            failures.append("an uplink other than the flapped one changed: "
                            f"{[e for e in ups if e['subject'] != flap][:3]}")
        if delta.get("reload", 0) != reloads or reload_ok != reloads:
            failures.append(f"{reloads} reloads, {reload_ok} answered ok, "
                            f"{delta.get('reload', 0)} reload events")
        if sent - recv > sent // 50:
            failures.append(f"the echo stream lost {sent - recv} of {sent}")
        if mg.answered != mg.asked or mg.garbage_answered != mg.garbage or \
                mg.errors:
            failures.append(f"management: {res['mgmt']}")
    except Exception as e:  # noqa: BLE001 -- reported as a failure
        failures.append(f"{type(e).__name__}: {e}")
    finally:
        for p in procs:
            if p.poll() is None:
                try:
                    if "trafgen" in p.args:
                        os.killpg(p.pid, signal.SIGKILL)
                    else:
                        p.kill()
                except ProcessLookupError:
                    pass
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        r = run(LAB / "down", check=False, timeout=300)
        if r.returncode != 0:
            failures.append(f"lab/down: {r.stdout}{r.stderr}")
    res["failures"] = failures
    res["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    Path(a.json).write_text(json.dumps(res, indent=2) + "\n")
    summary = {k: v for k, v in res.items() if k != "samples"}
    print(json.dumps(summary, indent=2))
    if failures:
        print("soak: FAILED\n  " + "\n  ".join(failures))
        return 1
    print("soak: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
