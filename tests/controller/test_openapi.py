# SPDX-License-Identifier: BSD-3-Clause
"""docs/controller-openapi.yaml: valid OpenAPI 3 (@apidevtools/swagger-cli,
installed with `npm ci` under tests/controller/openapi when missing), it
names exactly the routes the service serves, and the service's live
answers match its response schemas."""

import os
import shutil
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(__file__))
from nctl import REPO, Client, Controller  # noqa: E402

DOC = REPO / "docs" / "controller-openapi.yaml"
NPM_DIR = REPO / "tests" / "controller" / "openapi"


def swagger_cli():
    exe = NPM_DIR / "node_modules" / ".bin" / "swagger-cli"
    if not exe.exists():
        if shutil.which("npm") is None:
            pytest.fail("npm not found (Debian: apt-get install npm)")
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"],
                           cwd=NPM_DIR, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
    return exe


def test_openapi_document_valid():
    r = subprocess.run([str(swagger_cli()), "validate", str(DOC)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "is valid" in r.stdout
    assert yaml.safe_load(DOC.read_text())["openapi"].startswith("3.")


def test_openapi_validator_catches_errors(tmp_path):
    """The validator is not a rubber stamp: a broken copy fails."""
    doc = yaml.safe_load(DOC.read_text())
    doc["paths"]["/metrics"]["post"]["requestBody"]["content"][
        "application/json"]["schema"] = {"$ref": "#/components/schemas/Nope"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    r = subprocess.run([str(swagger_cli()), "validate", str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0


# ---- the live service against the document ----

def resolve(doc, s):
    while "$ref" in s:
        node = doc
        for part in s["$ref"][2:].split("/"):
            node = node[part]
        s = node
    return s


def check(doc, schema, v, where="$"):
    s = resolve(doc, schema)
    if v is None:
        assert s.get("nullable") or not s, f"{where}: null not allowed"
        return
    for sub in s.get("allOf", []):
        check(doc, sub, v, where)
    t = s.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool,
             "integer": int, "number": (int, float)}
    if t:
        assert isinstance(v, types[t]) and not (
            t in ("integer", "number") and isinstance(v, bool)), \
            f"{where}: {v!r} is not {t}"
    if "enum" in s:
        assert v in s["enum"], f"{where}: {v!r} not in {s['enum']}"
    if isinstance(v, dict):
        for k in s.get("required", []):
            assert k in v, f"{where}: required {k} missing"
        for k, ps in s.get("properties", {}).items():
            if k in v:
                check(doc, ps, v[k], f"{where}.{k}")
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            check(doc, s["items"], x, f"{where}[{i}]")


def response_schema(doc, path, method, status):
    op = doc["paths"][path][method.lower()]
    r = resolve(doc, op["responses"][str(status)])
    return r["content"]["application/json"]["schema"]


def test_routes_match_document(tmp_path):
    doc = yaml.safe_load(DOC.read_text())
    ctl = Controller(tmp_path / "ctl").start()
    try:
        anon = Client(ctl.port)
        for path, ops in doc["paths"].items():
            p = path.replace("{endpoint_id}", "x").replace("{device_id}",
                                                             "x")
            for m in ("get", "post", "delete", "put"):
                st, _ = anon.raw(m.upper(), p, b"{}")
                if m in ops:
                    assert st in (200, 401), (m, path, st)
                else:
                    assert st in (405, 401), (m, path, st)
    finally:
        ctl.stop()


def test_live_answers_match_schemas(tmp_path):
    doc = yaml.safe_load(DOC.read_text())
    ctl = Controller(tmp_path / "ctl").start()
    seen = set()

    def call(c, method, path, body, tmpl, want):
        st, r = c.raw(method, path, body)
        assert st == want, (method, path, st, r)
        check(doc, response_schema(doc, tmpl, method, st), r,
              f"{method} {tmpl} {st}")
        seen.add((tmpl, method.lower(), str(st)))
        return r

    try:
        a = ctl.admin()
        call(Client(ctl.port), "GET", "/health", b"", "/health", 200)
        hub = ctl.device("hub1")
        r = call(hub, "POST", "/register", {"device_id": "hub1",
                                            "device_type": "routing_server"},
                 "/register", 201)
        hub = ctl.device("hub1", r["credential"])
        call(hub, "POST", "/register", {"device_id": "hub1",
                                        "device_type": "routing_server"},
             "/register", 200)
        ep, _ = ctl.register("ep1")
        call(ep, "GET", "/decision/ep1", b"", "/decision/{endpoint_id}", 503)
        call(hub, "POST", "/metrics", {"server_id": "hub1", "cpu_percent": 1,
                                       "memory_percent": 2,
                                       "bandwidth_mbps": 3,
                                       "active_tunnels": 4}, "/metrics", 200)
        call(hub, "POST", "/metrics", {"server_id": "hub1"}, "/metrics", 400)
        call(ep, "GET", "/decision/ep1", b"", "/decision/{endpoint_id}", 200)
        call(ep, "GET", "/decision/hub1", b"", "/decision/{endpoint_id}", 403)
        call(a, "GET", "/decision/zz", b"", "/decision/{endpoint_id}", 404)
        call(ep, "GET", "/status", b"", "/status", 200)
        call(Client(ctl.port), "GET", "/status", b"", "/status", 401)
        call(ep, "POST", "/status", {"device_id": "ep1", "status": "online",
                                     "tunnels": [{"hub": "hub1",
                                                  "state": "up"}]},
             "/status", 200)
        call(ep, "POST", "/config", {"device_id": "ep1", "config": {"a": 1}},
             "/config", 200)
        call(a, "POST", "/push_config/ep1", {"config": {"yaml": "x: 1\n"}},
             "/push_config/{device_id}", 202)
        call(ep, "GET", "/device/ep1", b"", "/device/{device_id}", 200)
        call(a, "GET", "/devices", b"", "/devices", 200)
        call(ep, "GET", "/devices", b"", "/devices", 403)
        call(a, "GET", "/topology", b"", "/topology", 200)
        call(a, "DELETE", "/device/ep1", b"", "/device/{device_id}", 200)
        call(a, "GET", "/device/ep1", b"", "/device/{device_id}", 404)
        # every documented operation was exercised with a success answer
        ops = {(p, m) for p, o in doc["paths"].items() for m in o
               if m in ("get", "post", "delete")}
        ok = {(p, m) for p, m, s in seen if s.startswith("2")}
        assert ops == ok, ops ^ ok
    finally:
        ctl.stop()
