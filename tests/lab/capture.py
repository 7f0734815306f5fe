# SPDX-License-Identifier: BSD-3-Clause
"""Packet captures in lab namespaces (tcpdump -w), for the lab tests."""
import select
import signal
import subprocess
import time

import pytest


class Capture:
    """tcpdump -w in a namespace, started and stopped by PID."""

    def __init__(self, tmp_path, ns, iface, bpf, snap=256):
        self.ns, self.iface, self.bpf, self.snap = ns, iface, bpf, snap
        self.path = tmp_path / f"{ns}-{iface}-{time.monotonic_ns()}.pcap"
        self.proc = None
        self.err = ""

    def start(self):
        # `ip netns exec` execs tcpdump in place: the Popen PID is tcpdump's.
        # -Z root: keep root, the file lives in a root-only directory.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "tcpdump", "-n", "-U",
             "--immediate-mode", "-Z", "root", "-s", str(self.snap), "-i",
             self.iface, "-w", str(self.path), self.bpf],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 10
        buf = ""
        while time.monotonic() < end:
            r, _, _ = select.select([self.proc.stderr], [], [], 0.1)
            if r:
                line = self.proc.stderr.readline()
                buf += line
                if "listening on" in line:
                    self.err = buf
                    return self
                if not line:
                    break
            if self.proc.poll() is not None:
                break
        self.stop()
        pytest.fail(f"tcpdump in {self.ns} on {self.iface} did not start:\n{buf}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.err += self.proc.stderr.read()
            self.proc.stderr.close()
            self.proc.stderr = None

    def packets(self):
        from scapy.all import rdpcap  # noqa: PLC0415 (slow import, only here)
        return list(rdpcap(str(self.path))) if self.path.exists() else []


class Captures:
    """Several Captures as a context manager; where maps a key to the
    (namespace, interface) to capture on, [key] gives its packets."""

    def __init__(self, tmp_path, where, bpf, snap=256):
        self.caps = {k: Capture(tmp_path, ns, iface, bpf, snap)
                     for k, (ns, iface) in where.items()}

    def __enter__(self):
        try:
            for c in self.caps.values():
                c.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for c in self.caps.values():
            c.stop()

    def __exit__(self, *exc):
        time.sleep(0.3)  # let the last packets reach the files
        self.stop()
        return False

    def __getitem__(self, key):
        return self.caps[key].packets()
