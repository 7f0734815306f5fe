# SPDX-License-Identifier: BSD-3-Clause
"""A neptune-controller for the tests: write its config, start it, stop it
(by PID), and a signing HTTP client (docs/controller.md, "Security").
Used by tests/controller, tests/lab/test_controller_lab.py and the
benchmark (tests/bench/controller.py)."""

import hashlib
import hmac
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("NEPTUNE_BUILD_DIR",
                            os.environ.get("NEPTUNE_BUILD", REPO / "build")))
EXE = BUILD / "app" / "neptune-controller" / "neptune-controller"

PSK = "test-default-psk-0123456789abcdef"
ADMIN = "test-admin-token-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign(key, method, path, ts, nonce, body):
    msg = f"{method}\n{path}\n{ts}\n{nonce}\n".encode() + body
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


class Client:
    """One keep-alive connection. auth: ("sig", id, key) signs each
    request, ("bearer", id, key) sends a bearer token, None nothing."""

    def __init__(self, port, auth=None, host="127.0.0.1", tls=False,
                 timeout=10):
        self.port, self.host, self.auth = port, host, auth
        self.tls, self.timeout = tls, timeout
        self.conn = None

    def _connect(self):
        if self.tls:
            import ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.host, self.port,
                                               timeout=self.timeout,
                                               context=ctx)
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=self.timeout)

    def headers(self, method, path, body, ts=None, nonce=None):
        h = {"Content-Type": "application/json"}
        if self.auth is None:
            return h
        kind, ident, key = self.auth
        if kind == "bearer":
            h["Authorization"] = f"Bearer {ident}:{key}"
            return h
        ts = f"{time.time():.3f}" if ts is None else ts
        nonce = secrets.token_hex(16) if nonce is None else nonce
        h.update({"X-Nctl-Id": ident, "X-Nctl-Timestamp": ts,
                  "X-Nctl-Nonce": nonce,
                  "X-Nctl-Signature": sign(key, method, path, ts, nonce,
                                           body)})
        return h

    def raw(self, method, path, body=b"", headers=None):
        """(status, parsed JSON or raw bytes)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        h = self.headers(method, path, body) if headers is None else headers
        for attempt in range(2):
            if self.conn is None:
                self.conn = self._connect()
            try:
                self.conn.request(method, path, body=body or None,
                                  headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data

    def get(self, path):
        return self.raw("GET", path)

    def post(self, path, body):
        return self.raw("POST", path, body)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def config_text(port, db, extra=""):
    return f"""controller:
  bind_address: 127.0.0.1
  bind_port: {port}
  database: {db}
  durability: full
security:
  default_psk: "{PSK}"
  admin_token: "{ADMIN}"
  time_window: 60
{extra}"""


class Controller:
    """neptune-controller in dirpath; start() waits for /health."""

    def __init__(self, dirpath, extra="", port=None, text=None):
        self.dir = Path(dirpath)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.db = self.dir / "state.db"
        self.cfg = self.dir / "controller.yaml"
        self.cfg.write_text(text if text is not None else
                            config_text(self.port, self.db, extra))
        self.proc = None
        self.log = self.dir / "controller.log"

    def start(self, timeout=10):
        assert EXE.exists(), f"{EXE} not built"
        self.proc = subprocess.Popen([str(EXE), "-c", str(self.cfg)],
                                     stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError("controller exited: "
                                   + self.log.read_text()[-2000:])
            try:
                st, _ = Client(self.port, timeout=1).get("/health")
                if st == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("controller did not answer /health")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.proc = None

    def admin(self, kind="sig"):
        return Client(self.port, (kind, "admin", ADMIN))

    def device(self, ident, key=PSK, kind="sig"):
        return Client(self.port, (kind, ident, key))

    def register(self, ident, device_type="endpoint", **kw):
        """Register with the default PSK; returns a client signing with
        the issued credential, and the reply."""
        st, r = self.device(ident).post("/register",
                                        dict(device_id=ident,
                                             device_type=device_type, **kw))
        assert st in (200, 201), (st, r)
        return self.device(ident, r["credential"]), r
