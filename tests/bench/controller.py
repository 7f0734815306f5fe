# SPDX-License-Identifier: BSD-3-Clause
"""The controller block of tests/bench/run (`--only controller`, issue 12):
what neptune-controller sustains on this machine, loopback only.

neptune-controller runs with its database in tests/bench/work/controller/
(ext4 here, not tmpfs: the commits reach the disk), durability full (an
fsync of the WAL at every commit) and, for comparison, normal. The load
comes from wrk (Debian) with a Lua script, keep-alive connections and
bearer tokens, and from a bounded Python generator that signs every
request with HMAC-SHA-256 (as the appliances do):

- registrations/s: new devices from 0 to 10 000 (the pre-load, timed),
  then new devices beyond 10 000 and re-registrations of the 10 000 with
  wrk for WINDOW seconds;
- metric posts/s: 16 routing servers posting POST /metrics round robin
  with 10 000 devices registered;
- decisions/s: GET /decision/ID over the 10 000 endpoints;
- the same registrations and posts signed (Python, 2 processes);
- the server's CPU time per request (from /proc) beside each rate.

Every run checks its answers: wrk's non-2xx count must be 0, every
device registered is in GET /devices at the end, no address twice.
"""

import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "controller"))
import nctl  # noqa: E402

WORK = REPO / "tests" / "bench" / "work" / "controller"
N_DEVICES = 10000
N_HUBS = 16

POOLS = """ip_allocation:
  tun_ipv4_pool: {base: 100.64.0.0, start: 1, end: 4194302}
  tun_ipv6_pool: {base: "2001:db8:100::", start: 1, end: 16000000}
"""

LUA = r"""
-- neptune-controller load: one request kind per run (MODE), bearer admin
local token, mode, n_dev, n_hubs, prefix = "%(token)s", "%(mode)s", %(n)d, %(hubs)d, "%(prefix)s"
local threads = {}
local tid = 0
function setup(thread)
  thread:set("tid", tid)
  tid = tid + 1
  table.insert(threads, thread)
end
function init(args)
  i = 0
  hdr = {["Authorization"] = "Bearer admin:" .. token,
         ["Content-Type"] = "application/json"}
end
function request()
  i = i + 1
  if mode == "register_new" then
    return wrk.format("POST", "/register", hdr,
      '{"device_id":"' .. prefix .. tid .. '-' .. i .. '"}')
  elseif mode == "register_again" then
    local k = (i * 7919 + tid * 104729) %% n_dev
    return wrk.format("POST", "/register", hdr,
      '{"device_id":"ep' .. k .. '"}')
  elseif mode == "metrics" then
    local h = (i + tid) %% n_hubs
    return wrk.format("POST", "/metrics", hdr,
      '{"server_id":"hub' .. h .. '","cpu_percent":' .. (i %% 100) ..
      ',"memory_percent":40,"bandwidth_mbps":' .. (i %% 1000) ..
      ',"active_tunnels":' .. (i %% 50) .. ',"total_rx_packets":' .. i ..
      ',"total_tx_packets":' .. i .. '}')
  else
    local k = (i * 7919 + tid * 104729) %% n_dev
    return wrk.format("GET", "/decision/ep" .. k, hdr)
  end
end
"""


def server_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port, mode, seconds, conns, prefix="x", threads=2):
    script = WORK / f"{mode}.lua"
    script.write_text(LUA % dict(token=nctl.ADMIN, mode=mode, n=N_DEVICES,
                                 hubs=N_HUBS, prefix=prefix))
    r = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d",
                        f"{seconds}s", "--timeout", "10s", "-s", str(script),
                        f"http://127.0.0.1:{port}"], capture_output=True,
                       text=True, timeout=seconds + 60)
    if r.returncode != 0:
        raise RuntimeError(f"wrk {mode}: {r.stderr[-500:]}")
    out = r.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    return {"rate": rate, "requests": total,
            "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errs.group(1) if errs else None,
            "latency_avg": lat.group(1) if lat else None,
            "latency_max": lat.group(3) if lat else None,
            "connections": conns}


def _signed_worker(args):
    port, mode, start, count, key_of, out = args
    c = nctl.Client(port)
    ok = 0
    t0 = time.monotonic()
    for i in range(start, start + count):
        if mode == "register":
            ident = f"sig{i}"
            c.auth = ("sig", ident, nctl.PSK)
            st, _ = c.post("/register", {"device_id": ident})
        else:
            h = f"hub{i % N_HUBS}"
            c.auth = ("sig", h, key_of[h])
            st, _ = c.post("/metrics", {"server_id": h, "cpu_percent": i % 100,
                                        "memory_percent": 40,
                                        "bandwidth_mbps": i % 1000,
                                        "active_tunnels": 3})
        ok += st in (200, 201)
    out.put((ok, time.monotonic() - t0))


def signed(port, mode, total, procs=2, key_of=None):
    q = multiprocessing.Queue()
    per = total // procs
    ps = [multiprocessing.Process(target=_signed_worker,
                                  args=((port, mode, k * per, per, key_of or {},
                                         q),))
          for k in range(procs)]
    t0 = time.monotonic()
    for p in ps:
        p.start()
    res = [q.get(timeout=600) for _ in ps]
    for p in ps:
        p.join()
    wall = time.monotonic() - t0
    ok = sum(r[0] for r in res)
    if ok != per * procs:
        raise RuntimeError(f"signed {mode}: {per * procs - ok} failed")
    return {"rate": round(ok / wall, 1), "requests": ok, "processes": procs}


def timed(ctl, fn):
    c0, t0 = server_cpu(ctl.proc.pid), time.monotonic()
    r = fn()
    c1, t1 = server_cpu(ctl.proc.pid), time.monotonic()
    n = r["requests"]
    r["server_cpu_us_per_request"] = round((c1 - c0) * 1e6 / max(n, 1), 1)
    r["server_cpu_pct"] = round(100 * (c1 - c0) / (t1 - t0), 1)
    return r


def preload(port):
    """Register ep0..ep9999 (signed is too slow for a pre-load on two
    cores: wrk is not sequential, so a small pipelined client instead)."""
    c = nctl.Client(port, ("bearer", "admin", nctl.ADMIN))
    t0 = time.monotonic()
    for i in range(N_DEVICES):
        st, r = c.post("/register", {"device_id": f"ep{i}"})
        if st != 201:
            raise RuntimeError(f"preload ep{i}: {st} {r}")
    return {"rate": round(N_DEVICES / (time.monotonic() - t0), 1),
            "requests": N_DEVICES, "client": "python, 1 connection, bearer"}


def check(ctl):
    st, r = ctl.admin().get("/devices")
    if st != 200:
        raise RuntimeError(f"GET /devices: {st}")
    v4 = [d["tun_ipv4"] for d in r["devices"]]
    v6 = [d["tun_ipv6"] for d in r["devices"]]
    if len(set(v4)) != len(v4) or len(set(v6)) != len(v6):
        raise RuntimeError("an address held twice")
    return len(v4)


def run_one(durability, seconds, conns, log):
    d = WORK / durability
    shutil.rmtree(d, ignore_errors=True)
    ctl = nctl.Controller(d, extra=POOLS)
    ctl.cfg.write_text(ctl.cfg.read_text().replace(
        "durability: full", f"durability: {durability}"))
    ctl.start()
    R = {"durability": durability}
    try:
        R["preload_0_to_10000"] = timed(ctl, lambda: preload(ctl.port))
        log(f"  {durability}: registrations 0 -> {N_DEVICES} (1 conn): "
            f"{R['preload_0_to_10000']['rate']:.0f}/s")
        keys = {}
        for h in range(N_HUBS):
            _, r = ctl.register(f"hub{h}", "routing_server")
            keys[f"hub{h}"] = r["credential"]
        for name, mode in (("register_new", "register_new"),
                           ("register_again", "register_again"),
                           ("metrics", "metrics"),
                           ("decision", "decision")):
            R[name] = timed(ctl, lambda: wrk(ctl.port, mode, seconds, conns,
                                             prefix=f"n{durability[0]}"))
            if R[name]["non_2xx"]:
                raise RuntimeError(f"{name}: {R[name]['non_2xx']} non-2xx")
            log(f"  {durability}: {name:15s} {R[name]['rate']:9.0f}/s "
                f"(wrk {conns} conns, server {R[name]['server_cpu_pct']}% "
                f"CPU, {R[name]['server_cpu_us_per_request']} us/request)")
        R["register_signed"] = timed(ctl, lambda: signed(ctl.port, "register",
                                                         4000))
        R["metrics_signed"] = timed(ctl, lambda: signed(ctl.port, "metrics",
                                                        4000, key_of=keys))
        log(f"  {durability}: signed (python x2): register "
            f"{R['register_signed']['rate']:.0f}/s, metrics "
            f"{R['metrics_signed']['rate']:.0f}/s")
        R["devices_at_end"] = check(ctl)
        R["db_bytes"] = sum(f.stat().st_size for f in d.glob("state.db*"))
    finally:
        ctl.stop()
    return R


def run(seconds=5, conns=16, log=print):
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk not installed (apt-get install wrk)")
    if not nctl.EXE.exists():
        raise RuntimeError(f"{nctl.EXE} not built")
    WORK.mkdir(parents=True, exist_ok=True)
    fs = subprocess.run(["stat", "-f", "-c", "%T", str(WORK)],
                        capture_output=True, text=True).stdout.strip()
    R = {"exe": str(nctl.EXE), "filesystem": fs, "window_s": seconds,
         "devices": N_DEVICES, "hubs": N_HUBS, "wrk_connections": conns,
         "runs": {}}
    for dur in ("full", "normal"):
        R["runs"][dur] = run_one(dur, seconds, conns, log)
    shutil.rmtree(WORK, ignore_errors=True)
    return R


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
