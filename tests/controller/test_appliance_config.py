# SPDX-License-Identifier: BSD-3-Clause
"""neptune's controller: section (app/neptune/features/controller): every
error stops `neptune --check-config` with file:line:column: key: message;
a good section passes. (The client's behaviour is the lab test's:
tests/lab/test_controller_lab.py.)"""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from nctl import BUILD  # noqa: E402

NEPTUNE = BUILD / "app" / "neptune" / "neptune"

BASE = """eal:
  no_huge: true
ports:
  - name: lan0
    role: lan
    devargs: "net_null0"
    addresses: [2001:db8:1::1/64]
"""


def check(tmp_path, section, mode=0o600):
    key = tmp_path / "ctl.key"
    key.write_text("0123456789abcdef0123\n")
    os.chmod(key, mode)
    cfg = tmp_path / "n.yaml"
    cfg.write_text(BASE + section.replace("KEY", str(key)))
    return subprocess.run([str(NEPTUNE), "--check-config", str(cfg)],
                          capture_output=True, text=True, timeout=30), cfg


def test_good_section(tmp_path):
    r, _ = check(tmp_path, "controller:\n  url: http://127.0.0.1:8090\n"
                 "  device_id: site-a\n  psk_file: KEY\n  interval_s: 5\n"
                 "  external_ip: 2001:db8:71:1::2\n")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("section,line,col,msg", [
    ("controller:\n  url: ftp://x\n  device_id: a\n  psk_file: KEY\n",
     9, 8, "controller.url: expected http://"),
    ("controller:\n  url: http://x\n  psk_file: KEY\n",
     9, 3, "controller: missing required key 'device_id'"),
    ("controller:\n  url: http://x\n  device_id: a\n  psk_file: /nonexistent\n",
     11, 13, "controller.psk_file: /nonexistent: No such file"),
    ("controller:\n  url: http://x\n  device_id: a\n  psk_file: KEY\n"
     "  interval_s: 0\n", 12, 15, "controller.interval_s:"),
    ("controller:\n  url: http://x\n  device_id: a\n  psk_file: KEY\n"
     "  external_ip: nowhere\n", 12, 16, "controller.external_ip:"),
    ("controller:\n  url: http://x\n  device_id: a\n  psk_file: KEY\n"
     "  colour: blue\n", 12, 3, "controller.colour: unknown key"),
    ("controller:\n  url: https://x\n  device_id: a\n  psk_file: KEY\n"
     "  ca_file: /nonexistent.pem\n", 12, 12,
     "controller.ca_file: /nonexistent.pem: No such file"),
])
def test_errors(tmp_path, section, line, col, msg):
    r, cfg = check(tmp_path, section)
    assert r.returncode != 0
    err = (r.stdout + r.stderr).strip().splitlines()[-1]
    assert err.startswith(f"{cfg}:{line}:{col}: "), err
    assert msg in err, err


def test_key_file_readable_by_others(tmp_path):
    r, cfg = check(tmp_path, "controller:\n  url: http://x\n  device_id: a\n"
                   "  psk_file: KEY\n", mode=0o644)
    assert r.returncode != 0
    assert "readable by others" in r.stdout + r.stderr
    # the key itself is never printed
    assert "0123456789abcdef0123" not in r.stdout + r.stderr
