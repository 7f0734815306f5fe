#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""neptune-cli against the lab as an operator types it (issue 15;
docs/cli.md): the standard lab config uses the default socket, so

  - neptune-cli finds it with neither -s nor $NEPTUNE_SOCKET;
  - `sh up` is `show uplinks`;
  - in the interactive shell (a pseudo-terminal), TAB after `show uplink `
    lists the lab's uplink names, and TAB completes `show port stats l`
    to lan0.
"""
import os
import pty
import select
import subprocess
import time

from conftest import CLI


def env_without_socket():
    env = dict(os.environ)
    env.pop("NEPTUNE_SOCKET", None)
    return env


def test_socket_found_by_itself(lab):
    assert lab.sock == "/run/neptune/neptune.sock"
    r = subprocess.run([str(CLI), "show", "version"], capture_output=True,
                       text=True, timeout=10, env=env_without_socket())
    assert r.returncode == 0 and r.stdout.startswith("neptune "), r.stderr
    r = subprocess.run([str(CLI), "sh", "up"], capture_output=True, text=True,
                       timeout=10, env=env_without_socket())
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split()[:4] == ["NAME", "PORT", "ROLE", "STATE"]
    assert [l.split()[0] for l in r.stdout.splitlines()[1:4]] == ["isp1", "isp2", "isp3"]


def read_for(fd, seconds):
    out, end = b"", time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out.decode(errors="replace")


def test_tab_completes_uplink_names(lab):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(str(CLI), [str(CLI)], env_without_socket())
    try:
        read_for(fd, 1.0)                       # banner and prompt
        os.write(fd, b"show uplink \t\t")
        listing = read_for(fd, 1.5)
        for name in ("isp1", "isp2", "isp3"):
            assert name in listing, listing
        os.write(fd, b"isp1\r")                 # run it: show uplink isp1
        assert "2001:db8:10:ff::2" in read_for(fd, 1.5)
        os.write(fd, b"show port stats l\t")    # l -> lan0, the only one
        partial = read_for(fd, 1.0)
        assert "lan0" in partial, partial
        os.write(fd, b"\rquit\r")
        read_for(fd, 0.5)
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
