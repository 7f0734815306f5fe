# SPDX-License-Identifier: BSD-3-Clause
"""neptune-controller as a service (issue 12): every endpoint of the
seed's API with good and bad input, authentication, limits, the pools,
persistence across restarts. The process is started per test on a free
loopback port with its own database."""

import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from nctl import ADMIN, PSK, Client, Controller  # noqa: E402

METRICS = dict(server_name="Hub 1", cpu_percent=25.5, memory_percent=45.2,
               bandwidth_mbps=150.3, active_tunnels=5,
               total_rx_packets=1000000, total_tx_packets=950000,
               internal_ip="192.0.2.1", external_ip="2001:db8:1::1")


@pytest.fixture
def ctl(tmp_path):
    c = Controller(tmp_path / "ctl").start()
    yield c
    c.stop()


def make(tmp_path, extra, name="ctl"):
    return Controller(tmp_path / name, extra=extra).start()


def test_health_open(ctl):
    st, r = Client(ctl.port).get("/health")
    assert st == 200 and r["status"] == "healthy"
    assert r["devices"] == 0
    assert r["pools"]["ipv4_size"] == 65534


def test_everything_else_needs_auth(ctl):
    anon = Client(ctl.port)
    for m, p in [("POST", "/metrics"), ("GET", "/decision/ep1"),
                 ("GET", "/status"), ("POST", "/register"),
                 ("POST", "/config"), ("POST", "/status"),
                 ("GET", "/device/ep1"), ("GET", "/devices"),
                 ("GET", "/topology"), ("POST", "/push_config/ep1")]:
        st, r = anon.raw(m, p, b"{}")
        assert st == 401, (m, p, st, r)
    st, _ = anon.get("/nowhere")
    assert st == 404


def test_register_again_same_addresses(ctl):
    dev, r = ctl.register("ep1", name="Endpoint 1",
                          external_ip="2001:db8:5::1")
    assert r["new"] is True and r["status"] == "registered"
    assert r["tun_ipv4"] == "100.64.0.1" and r["tun_ipv6"] == "2001:db8:100::1"
    assert len(r["credential"]) == 64
    # again (default PSK, then its own credential): same addresses and
    # credential, 200 not 201
    st, r2 = ctl.device("ep1").post("/register", {"device_id": "ep1"})
    assert st == 200 and r2["new"] is False
    assert (r2["tun_ipv4"], r2["tun_ipv6"], r2["credential"]) == \
        (r["tun_ipv4"], r["tun_ipv6"], r["credential"])
    st, r3 = dev.post("/register", {"device_id": "ep1"})
    assert st == 200 and r3["tun_ipv4"] == r["tun_ipv4"]
    _, r4 = ctl.register("ep2")
    assert r4["tun_ipv4"] == "100.64.0.2"
    # the device reads itself; the credential is never shown again
    st, d = dev.get("/device/ep1")
    assert st == 200 and d["name"] == "ep1" or d["name"] == "Endpoint 1"
    assert "credential" not in d and d["external_ip"] == "2001:db8:5::1"


@pytest.mark.parametrize("body,field", [
    ({}, "device_id"),
    ({"device_id": 7}, "device_id"),
    ({"device_id": "bad id!"}, "device_id"),
    ({"device_id": "x" * 64}, "device_id"),
    ({"device_id": "ep1", "device_type": "toaster"}, "device_type"),
    ({"device_id": "ep1", "device_type": 3}, "device_type"),
    ({"device_id": "ep1", "name": ["x"]}, "name"),
    ({"device_id": "ep1", "external_ip": "not-an-ip"}, "external_ip"),
    ({"device_id": "ep1", "capabilities": "x"}, "capabilities"),
])
def test_register_bad_fields(ctl, body, field):
    st, r = ctl.admin().post("/register", body)
    assert st == 400 and r["field"] == field, r
    assert field in r["error"]


def test_malformed_json_and_bodies(ctl):
    a = ctl.admin()
    for body in [b"{", b"[1,2]", b"null", b'{"a":1}{', b"\xff\xfe",
                 b'{"device_id":"a","device_id":"b"}']:
        st, r = a.post("/register", body)
        assert st == 400, (body, st, r)
    st, r = a.post("/register", b"")
    assert st == 400
    # huge body: refused before it is read (413), the service is fine
    st, r = a.post("/register", b"{" + b" " * 70000 + b"}")
    assert st == 413
    st, r = a.get("/devices")
    assert st == 200
    # the same without a Content-Length (chunked): counted as it comes
    s = socket.create_connection(("127.0.0.1", ctl.port))
    s.settimeout(5)
    chunk = b"{" + b" " * 8000
    s.sendall(b"POST /register HTTP/1.1\r\nHost: x\r\n"
              b"Authorization: Bearer admin:" + ADMIN.encode() +
              b"\r\nTransfer-Encoding: chunked\r\n\r\n" +
              (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 10 +
              b"0\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    s.close()
    assert data.startswith(b"HTTP/1.1 413"), data[:100]
    assert a.get("/devices")[0] == 200


def test_unknown_devices_404(ctl):
    a = ctl.admin()
    ctl.register("hub1", "routing_server")
    assert a.get("/device/nobody")[0] == 404
    assert a.get("/decision/nobody")[0] == 404
    assert a.post("/push_config/nobody", {"config": {}})[0] == 404
    assert a.post("/config", {"device_id": "nobody", "config": {}})[0] == 404
    assert a.post("/status", {"device_id": "nobody",
                              "status": "online"})[0] == 404
    st, r = a.post("/metrics", dict(METRICS, server_id="nobody"))
    assert st == 404 and r["field"] == "server_id"
    assert a.raw("DELETE", "/device/nobody")[0] == 404


@pytest.mark.parametrize("field,value", [
    ("cpu_percent", "25"), ("cpu_percent", 101), ("cpu_percent", -1),
    ("memory_percent", None), ("bandwidth_mbps", [1]),
    ("active_tunnels", 2.5), ("active_tunnels", -3),
    ("total_rx_packets", "many"), ("internal_ip", "999.1.1.1"),
    ("server_id", {"a": 1}), ("timestamp", "now"),
])
def test_metrics_bad_fields(ctl, field, value):
    hub, _ = ctl.register("hub1", "routing_server")
    body = dict(METRICS, server_id="hub1")
    body[field] = value
    if value is None:
        del body[field]
    st, r = hub.post("/metrics", body)
    assert st == 400 and r["field"] == field, r


def test_metrics_status_decision(ctl):
    hub1, _ = ctl.register("hub1", "routing_server")
    hub2, _ = ctl.register("hub2", "routing_server")
    ep, _ = ctl.register("ep1")
    st, r = ep.get("/decision/ep1")
    assert st == 503            # no routing server has reported
    st, r = hub1.post("/metrics", dict(METRICS, server_id="hub1"))
    assert st == 200 and r["score"] == 0.778    # docs/controller.md
    st, r = hub2.post("/metrics", dict(METRICS, server_id="hub2",
                                       cpu_percent=90, bandwidth_mbps=900,
                                       external_ip="2001:db8:2::1"))
    assert st == 200
    st, r = ep.get("/decision/ep1")
    assert st == 200
    assert set(r) >= {"optimal_router_id", "optimal_router_internal_ip",
                      "optimal_router_external_ip", "business_server_ip",
                      "score", "timestamp"}
    assert r["optimal_router_id"] == "hub1"
    assert r["optimal_router_external_ip"] == "2001:db8:1::1"
    assert r["score"] == 0.778
    st, s = ep.get("/status")
    assert st == 200 and s["total_servers"] == 2 and s["active_servers"] == 2
    assert s["active_decisions"] == 1
    srv = {x["server_id"]: x for x in s["servers"]}
    assert srv["hub1"]["status"] == "active"
    assert srv["hub1"]["cpu_percent"] == 25.5
    assert srv["hub1"]["active_tunnels"] == 5
    # a hub reports only for itself; an endpoint reads only its decision
    st, _ = hub1.post("/metrics", dict(METRICS, server_id="hub2"))
    assert st == 403
    assert ep.get("/decision/hub1")[0] == 403
    ctl.register("ep2")
    assert ep.get("/decision/ep2")[0] == 403
    assert ep.get("/devices")[0] == 403
    assert ep.get("/topology")[0] == 403


def test_anti_flap_hold(tmp_path):
    ctl = make(tmp_path, "algorithm:\n  anti_flap_hold_time: 3\n"
               "  report_interval: 1\n")
    try:
        h1, _ = ctl.register("hub1", "routing_server")
        h2, _ = ctl.register("hub2", "routing_server")
        ep, _ = ctl.register("ep1")

        def report(c, sid, cpu):
            assert c.post("/metrics", dict(METRICS, server_id=sid,
                                           cpu_percent=cpu))[0] == 200

        report(h1, "hub1", 10)
        report(h2, "hub2", 30)
        st, r = ep.get("/decision/ep1")
        t0 = time.time()
        assert r["optimal_router_id"] == "hub1" and r["changed"]
        # hub1 loaded: hub2 better by 0.18 > 0.05, but the hold is 3 s
        report(h1, "hub1", 90)
        assert ep.get("/decision/ep1")[1]["optimal_router_id"] == "hub1"
        # a small win never moves it: hub2 0.01 better than hub1
        while time.time() - t0 < 3.2:
            report(h1, "hub1", 31)
            report(h2, "hub2", 30)
            r = ep.get("/decision/ep1")[1]
            assert r["optimal_router_id"] == "hub1", r
            time.sleep(0.3)
        report(h1, "hub1", 90)
        r = ep.get("/decision/ep1")[1]
        assert r["optimal_router_id"] == "hub2" and r["changed"]
        # and it stays (hold again) though hub1 is better at once
        report(h1, "hub1", 0)
        report(h2, "hub2", 50)
        assert ep.get("/decision/ep1")[1]["optimal_router_id"] == "hub2"
        # hub2 silent for three report intervals: inactive, at once hub1
        t1 = time.time()
        while time.time() - t1 < 3.3:
            report(h1, "hub1", 0)
            time.sleep(0.5)
        r = ep.get("/decision/ep1")[1]
        assert r["optimal_router_id"] == "hub1"
        s = ep.get("/status")[1]
        assert {x["server_id"]: x["status"] for x in s["servers"]} == \
            {"hub1": "active", "hub2": "inactive"}
        # the decision is kept across a restart
        ctl.stop()
        ctl.start()
        report(h1, "hub1", 0)
        st, d = ctl.admin().get("/device/ep1")
        assert d["decision"]["router_id"] == "hub1"
    finally:
        ctl.stop()


def test_config_status_push_config(ctl):
    ep, _ = ctl.register("ep1")
    a = ctl.admin()
    st, r = ep.post("/config", {"device_id": "ep1",
                                "config": {"poll_interval": 10}})
    assert st == 200 and r["config_version"] == 1
    assert ep.post("/config", {"device_id": "ep1", "config": "x"})[1][
        "field"] == "config"
    st, r = ep.post("/status", {"device_id": "ep1", "status": "online",
                                "tunnels": [{"hub": "hub1", "state": "up"}]})
    assert st == 200 and r["pending_config_version"] is None
    assert ep.post("/status", {"device_id": "ep1", "status": 5})[1][
        "field"] == "status"
    assert ep.post("/status", {"device_id": "ep1", "status": "x",
                               "tunnels": {}})[1]["field"] == "tunnels"
    # push: admin only, queued, the device sees it pending
    assert ep.post("/push_config/ep1", {"config": {}})[0] == 403
    st, r = a.post("/push_config/ep1", {"config": {"yaml": "a: 1\n"}})
    assert st == 202 and r["version"] == 2
    assert a.post("/push_config/ep1", {"cfg": 1})[1]["field"] == "config"
    st, d = ep.get("/device/ep1")
    assert d["pending_config"] == {"version": 2,
                                   "config": {"yaml": "a: 1\n"}}
    st, r = ep.post("/status", {"device_id": "ep1", "status": "online"})
    assert r["pending_config_version"] == 2
    # refused: reported, the config stays the old one
    st, r = ep.post("/status", {"device_id": "ep1", "status": "online",
                                "config_version": 2,
                                "config_result": "refused",
                                "config_error": "x.yaml:1:1: a: unknown key"})
    assert st == 200 and r["pending_config_version"] is None
    d = ep.get("/device/ep1")[1]
    assert d["config"] == {"poll_interval": 10}
    assert d["config_result"]["result"] == "refused"
    assert "unknown key" in d["config_result"]["error"]
    # applied: it becomes the device's config
    a.post("/push_config/ep1", {"config": {"yaml": "b: 2\n"}})
    ep.post("/status", {"device_id": "ep1", "status": "online",
                        "config_version": 3, "config_result": "applied"})
    d = ep.get("/device/ep1")[1]
    assert d["config"] == {"yaml": "b: 2\n"} and d["pending_config"] is None
    assert ep.post("/status", {"device_id": "ep1", "status": "x",
                               "config_result": "maybe",
                               "config_version": 3})[1][
        "field"] == "config_result"


def test_devices_topology(ctl):
    a = ctl.admin()
    h1, _ = ctl.register("hub1", "routing_server")
    ep, _ = ctl.register("ep1")
    h1.post("/metrics", dict(METRICS, server_id="hub1"))
    ep.get("/decision/ep1")
    ep.post("/status", {"device_id": "ep1", "status": "online",
                        "tunnels": [{"hub": "hub1", "state": "up"},
                                    {"hub": "hub2", "state": "down"}]})
    st, r = a.get("/devices")
    assert st == 200 and r["total"] == 2
    assert [d["device_id"] for d in r["devices"]] == ["ep1", "hub1"]
    st, t = a.get("/topology")
    assert st == 200
    assert [s["server_id"] for s in t["routing_servers"]] == ["hub1"]
    assert t["endpoints"][0]["decision"] == "hub1"
    assert {(l["router"], l["state"], l["preferred"]) for l in t["links"]} \
        == {("hub1", "up", True), ("hub2", "down", False)}


def test_remove_releases_addresses(tmp_path):
    ctl = make(tmp_path, "ip_allocation:\n"
               "  tun_ipv4_pool: {base: 192.0.2.0, start: 1, end: 3}\n"
               "  tun_ipv6_pool: {base: \"2001:db8:7::\", start: 1, "
               "end: 100}\n")
    try:
        got = [ctl.register(f"d{i}")[1]["tun_ipv4"] for i in range(3)]
        assert got == ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
        st, r = ctl.device("d9").post("/register", {"device_id": "d9"})
        assert st == 503 and "tun_ipv4_pool exhausted" in r["error"]
        a = ctl.admin()
        assert ctl.device("d1", PSK).raw("DELETE", "/device/d1")[0] == 401
        assert a.raw("DELETE", "/device/d1")[0] == 200
        assert a.get("/device/d1")[0] == 404
        # the released address goes to the next new device, once
        assert ctl.register("d9")[1]["tun_ipv4"] == "192.0.2.2"
        assert ctl.device("dx").post("/register",
                                     {"device_id": "dx"})[0] == 503
        # kept across a restart: nothing moves, nothing is free
        ctl.stop()
        ctl.start()
        st, r = a.get("/devices")
        assert sorted(d["tun_ipv4"] for d in r["devices"]) == \
            ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
        assert ctl.device("dy").post("/register",
                                     {"device_id": "dy"})[0] == 503
        assert ctl.register("d9")[1]["tun_ipv4"] == "192.0.2.2"
    finally:
        ctl.stop()


def test_signatures_and_replay(ctl):
    dev, r = ctl.register("ep1")
    cred = r["credential"]
    path = "/device/ep1"
    c = Client(ctl.port)
    h = dev.headers("GET", path, b"")
    assert c.raw("GET", path, headers=h)[0] == 200
    # the same request again: replayed nonce
    st, r = c.raw("GET", path, headers=h)
    assert st == 401 and "replayed" in r["error"]
    # bad signature, wrong key, tampered path/body
    h = dev.headers("GET", path, b"")
    h["X-Nctl-Signature"] = "0" * 64
    assert c.raw("GET", path, headers=h)[0] == 401
    h = Client(ctl.port, ("sig", "ep1", "x" * 32)).headers("GET", path, b"")
    assert c.raw("GET", path, headers=h)[0] == 401
    h = dev.headers("GET", "/device/ep2", b"")
    assert c.raw("GET", path, headers=h)[0] == 401
    body = json.dumps({"device_id": "ep1", "status": "online"}).encode()
    h = dev.headers("POST", "/status", body)
    assert c.raw("POST", "/status", body.replace(b"online", b"evil!!"),
                 headers=h)[0] == 401
    assert c.raw("POST", "/status", body, headers=h)[0] == 200
    # outside the window (60 s in this config), either way
    for skew in (-120, 120):
        h = dev.headers("GET", path, b"", ts=f"{time.time() + skew:.0f}")
        st, r = c.raw("GET", path, headers=h)
        assert st == 401 and "window" in r["error"]
    # malformed headers
    for bad in [{"X-Nctl-Nonce": "short"}, {"X-Nctl-Timestamp": "soon"},
                {"X-Nctl-Id": "bad id"}]:
        h = dev.headers("GET", path, b"")
        h.update(bad)
        assert c.raw("GET", path, headers=h)[0] == 401
    # bearer tokens: the credential, the admin token; wrong ones refused
    assert ctl.device("ep1", cred, "bearer").get(path)[0] == 200
    assert ctl.admin("bearer").get("/devices")[0] == 200
    # one character changed (the credential may end in "0" itself)
    wrong = cred[:-1] + ("1" if cred[-1] == "0" else "0")
    assert ctl.device("ep1", wrong, "bearer").get(path)[0] == 401
    assert ctl.device("admin", ADMIN + "x", "bearer").get("/devices")[0] == 401
    assert c.raw("GET", path, headers={"Authorization": "Bearer nocolon"})[
        0] == 401
    # the default PSK registers, and does nothing else
    assert ctl.device("ep1", PSK).get(path)[0] == 401
    assert ctl.device("ep1", PSK).get("/status")[0] == 401
    # a device cannot register as another
    st, r = dev.post("/register", {"device_id": "ep2"})
    assert st == 403


def test_pre_shared_device_keys(tmp_path):
    ctl = make(tmp_path, "  devices:\n"
               "    - {device_id: hub1, psk: \"hub1-pre-shared-key-0123\"}\n")
    try:
        # a listed device registers only with its own key, and may sign
        # everything with it
        st, _ = ctl.device("hub1", PSK).post("/register",
                                             {"device_id": "hub1"})
        assert st == 401
        hub = ctl.device("hub1", "hub1-pre-shared-key-0123")
        st, r = hub.post("/register", {"device_id": "hub1",
                                       "device_type": "routing_server"})
        assert st == 201
        assert hub.post("/metrics", dict(METRICS, server_id="hub1"))[0] == 200
    finally:
        ctl.stop()


def test_rate_limit(tmp_path):
    ctl = make(tmp_path, "", name="r")
    ctl.stop()
    text = ctl.cfg.read_text().replace(
        "  durability: full\n", "  durability: full\n  rate_per_s: 5\n"
        "  rate_burst: 10\n")
    ctl.cfg.write_text(text)
    ctl.start()
    try:
        c = Client(ctl.port)
        codes = [c.get("/health")[0] for _ in range(30)]
        assert codes.count(429) >= 15 and codes[:8] == [200] * 8
        time.sleep(1.1)
        assert c.get("/health")[0] == 200
    finally:
        ctl.stop()


def test_connection_limit(tmp_path):
    ctl = make(tmp_path, "", name="c")
    ctl.stop()
    ctl.cfg.write_text(ctl.cfg.read_text().replace(
        "  durability: full\n", "  durability: full\n  max_connections: 4\n"
        "  idle_timeout_s: 30\n"))
    ctl.start()
    socks = []
    try:
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", ctl.port))
            socks.append(s)
        time.sleep(0.2)
        # the fifth is closed at once without an answer
        s = socket.create_connection(("127.0.0.1", ctl.port))
        s.settimeout(2)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert not data.startswith(b"HTTP/1.1 200"), data
        s.close()
        for s in socks:
            s.close()
        time.sleep(0.3)
        assert Client(ctl.port).get("/health")[0] == 200
    finally:
        for s in socks:
            s.close()
        ctl.stop()


def test_garbage_never_crashes(ctl):
    """Random bodies, headers and paths: always an answer, never a crash."""
    rnd = random.Random(12)
    ctl.register("hub1", "routing_server")
    a = ctl.admin()
    paths = ["/register", "/metrics", "/status", "/config",
             "/push_config/hub1", "/device/hub1", "/decision/hub1",
             "/device/%00", "/decision/" + "a" * 300, "/devices/x"]
    values = [None, True, 1, -1, 1e308, "x" * 300, [], {}, [[[[]]]],
              {"a": {"b": {}}}, "\u0000", 2 ** 70]
    for i in range(300):
        p = rnd.choice(paths)
        if rnd.random() < 0.3:
            body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(64)))
        else:
            keys = ["device_id", "server_id", "status", "config",
                    "cpu_percent", "memory_percent", "bandwidth_mbps",
                    "active_tunnels", "device_type", "tunnels",
                    "config_version", "config_result"]
            body = json.dumps({k: rnd.choice(values) for k in
                               rnd.sample(keys, rnd.randrange(len(keys)))}
                              ).encode()
        m = rnd.choice(["GET", "POST", "DELETE", "PUT"])
        st, _ = a.raw(m, p, body)
        assert 200 <= st < 600
        assert ctl.alive()
    # raw protocol garbage
    for junk in [b"\x00" * 100, b"GET / HTTP/9.9\r\n\r\n",
                 b"POST /register HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"POST /register HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                 b"\r\nzz\r\n"]:
        s = socket.create_connection(("127.0.0.1", ctl.port))
        s.settimeout(2)
        s.sendall(junk)
        try:
            s.recv(1000)
        except OSError:
            pass
        s.close()
    assert ctl.alive()
    assert Client(ctl.port).get("/health")[0] == 200


def test_check_config_errors(tmp_path):
    from nctl import EXE
    p = tmp_path / "bad.yaml"
    p.write_text("controller:\n  bind_port: 70000\n")
    r = subprocess.run([str(EXE), "-c", str(p), "--check-config"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.startswith(f"{p}:2:14: controller.bind_port: ")
    p.write_text("security:\n  admin_token: \"" + "a" * 20 + "\"\n")
    r = subprocess.run([str(EXE), "-c", str(p), "--check-config"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_tls(tmp_path):
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", str(key), "-out", str(crt),
                        "-days", "1", "-subj", "/CN=127.0.0.1"],
                       capture_output=True)
    assert r.returncode == 0
    ctl = Controller(tmp_path / "t")
    ctl.cfg.write_text(ctl.cfg.read_text().replace(
        "  durability: full\n", f"  durability: full\n  tls:\n"
        f"    cert: {crt}\n    key: {key}\n"))
    ctl.proc = subprocess.Popen([str(__import__("nctl").EXE), "-c",
                                 str(ctl.cfg)])
    try:
        time.sleep(0.5)
        st, r = Client(ctl.port, tls=True).get("/health")
        assert st == 200 and r["status"] == "healthy"
        st, r = Client(ctl.port, ("bearer", "admin", ADMIN),
                       tls=True).get("/devices")
        assert st == 200
        # plain HTTP on the TLS port gets no answer
        with pytest.raises(Exception):
            Client(ctl.port, timeout=2).get("/health")
    finally:
        ctl.stop()
