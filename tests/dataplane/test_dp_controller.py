#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""neptune's controller client (app/neptune/features/controller) against a
real neptune-controller on loopback, neptune on net_pcap ports (no tunnel:
it registers as an endpoint):

- it registers and shows the tunnel addresses the pools gave, and reports
  its status every interval;
- a pushed configuration (a route more) is applied with reload semantics
  and reported applied; a bad one (an unknown key) is refused with its
  file:line:column error, reported, and the file is put back;
- the controller killed: neptune runs on, the requests fail, and it
  carries on when the controller is back; `shutdown` is not held up by
  the client thread;
- https with controller.ca_file: it registers; without the CA the
  certificate is refused (the client verifies).
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neptune_dp import GW6, Dataplane

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "controller"))
import nctl  # noqa: E402


def wait(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    pytest.fail(f"timed out ({timeout} s) waiting for {what}")


def key_file(tmp_path):
    k = tmp_path / "ctl.key"
    fd = os.open(k, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (nctl.PSK + "\n").encode())
    os.close(fd)
    return k


def neptune(tmp_path, url, **extra):
    sec = {"url": url, "device_id": "dp-ep",
           "psk_file": str(key_file(tmp_path)), "interval_s": 1,
           "timeout_ms": 500}
    sec.update(extra)
    return Dataplane(extra_cfg={"controller": sec})


def registered(dp):
    c = dp.json("show controller")
    return c if c["registered"] else None


def result_for(a, version):
    st, d = a.get("/device/dp-ep")
    r = d.get("config_result") if st == 200 else None
    return d if r and r["version"] == version else None


def test_register_status_push_and_outage(tmp_path):
    ctl = nctl.Controller(tmp_path / "ctl").start()
    dp = neptune(tmp_path, f"http://127.0.0.1:{ctl.port}")
    try:
        dp.start()
        a = ctl.admin()
        c = wait(lambda: registered(dp), 10, "registration")
        st, d = a.get("/device/dp-ep")
        assert st == 200 and d["device_type"] == "endpoint"
        assert (c["tun_ipv4"], c["tun_ipv6"]) == (d["tun_ipv4"], d["tun_ipv6"])
        assert c["role"] == "endpoint"
        # status every interval
        wait(lambda: a.get("/device/dp-ep")[1]["last_seen"], 5, "a status")
        t0 = a.get("/device/dp-ep")[1]["last_seen"]
        wait(lambda: a.get("/device/dp-ep")[1]["last_seen"] > t0 + 0.5, 5,
             "the next status")

        # a good push: one route more, applied by reload
        good = json.loads(dp.cfg_path.read_text())
        good["routes"].append({"prefix": "2001:db8:55::/48", "via": GW6})
        good_text = json.dumps(good, indent=2) + "\n"
        st, r = a.post("/push_config/dp-ep", {"config": {"yaml": good_text}})
        assert st == 202
        d = wait(lambda: result_for(a, r["version"]), 15, "the push applied")
        assert d["config_result"]["result"] == "applied", d["config_result"]
        assert "2001:db8:55::/48" in json.dumps(dp.json("show routes"))
        assert dp.cfg_path.read_text() == good_text
        assert dp.json("show controller")["last_push"]["result"] == "applied"

        # a bad push: refused, reported with its position, file put back
        bad = dict(good, bogus_key=1)
        st, r = a.post("/push_config/dp-ep",
                       {"config": {"yaml": json.dumps(bad, indent=2)}})
        d = wait(lambda: result_for(a, r["version"]), 15, "the push refused")
        res = d["config_result"]
        assert res["result"] == "refused"
        assert f"{dp.cfg_path}:" in res["error"] and \
            "bogus_key: unknown key" in res["error"], res
        assert dp.cfg_path.read_text() == good_text
        assert d["config"] == {"yaml": good_text}
        # a push that changes the controller section needs a restart
        other = json.loads(good_text)
        other["controller"]["interval_s"] = 2
        st, r = a.post("/push_config/dp-ep",
                       {"config": {"yaml": json.dumps(other)}})
        d = wait(lambda: result_for(a, r["version"]), 15, "refused")
        assert d["config_result"]["result"] == "refused"
        assert "controller: changed, needs a restart" in \
            d["config_result"]["error"]

        # the controller gone: neptune carries on
        failed = dp.json("show controller")["requests_failed"]
        ctl.kill9()
        wait(lambda: dp.json("show controller")["requests_failed"] > failed,
             5, "failed requests")
        assert dp.proc.poll() is None
        ctl.start()
        ok = dp.json("show controller")["requests_ok"]
        wait(lambda: dp.json("show controller")["requests_ok"] > ok + 1, 5,
             "requests answered again")
        assert registered(dp)
        # shutdown is not held up by a request in progress
        t = time.monotonic()
        res = dp.stop()
        assert time.monotonic() - t < 5
        assert "controller" in res.log
    finally:
        dp.cleanup()
        ctl.stop()


def test_https_ca_file(tmp_path):
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", str(key), "-out", str(crt),
                        "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    ctl = nctl.Controller(tmp_path / "ctl")
    ctl.cfg.write_text(ctl.cfg.read_text().replace(
        "  durability: full\n", f"  durability: full\n  tls:\n"
        f"    cert: {crt}\n    key: {key}\n"))
    ctl.proc = subprocess.Popen([str(nctl.EXE), "-c", str(ctl.cfg)])
    dp = neptune(tmp_path, f"https://127.0.0.1:{ctl.port}", ca_file=str(crt))
    dp2 = None
    try:
        time.sleep(0.5)
        dp.start()
        c = wait(lambda: registered(dp), 10, "registration over https")
        assert c["tun_ipv4"]
        dp.stop()
        # without the CA: refused by the client's verification
        dp2 = Dataplane(extra_cfg={"controller": {
            "url": f"https://127.0.0.1:{ctl.port}", "device_id": "dp-ep2",
            "psk_file": str(key_file(tmp_path)), "interval_s": 1,
            "timeout_ms": 500}}).start()
        wait(lambda: "certificate" in dp2.json("show controller")[
            "last_error"].lower() or "SSL" in dp2.json("show controller")[
            "last_error"], 10, "a certificate error")
        assert not dp2.json("show controller")["registered"]
    finally:
        dp.cleanup()
        if dp2 is not None:
            dp2.cleanup()
        ctl.stop()
