#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Whole-dataplane harness: neptune on net_pcap vdevs, no hugepages.

One `Dataplane` is one neptune process with two ports, lan0 and wan1, each a
net_pcap vdev reading `in<N>.pcap` and writing `out<N>.pcap` in a private
temporary directory. The test writes the packets to inject, starts neptune,
waits until the workers have received them all and the counters stopped
moving, reads the named drop counters over the management socket, shuts
neptune down (which flushes and closes the output captures) and compares the
frames that came out, byte for byte.

An input may also be a FIFO (`fifo_ports`): neptune then blocks on that port
until the test writes frames into it with `feed()` and closes it with
`close_feed()`. This orders "neptune sent X" before "the peer answers Y"
within one run (see test_dp_neighbors.py).

Everything runs from the build directory $NEPTUNE_BUILD (default: build/ at
the top of the repository).
"""
import copy
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("NEPTUNE_BUILD", REPO / "build")).resolve()
NEPTUNE = BUILD / "app" / "neptune" / "neptune"

# -- the standard topology -------------------------------------------------
LAN0_MAC = "02:00:00:00:00:10"
WAN1_MAC = "02:00:00:00:00:11"
HOST_MAC = "02:00:00:00:aa:10"     # a host on lan0
GW_MAC = "02:00:00:00:bb:01"       # the WAN gateway
LAN6, LAN4 = "fd42:100:1::1", "192.0.2.1"          # neptune on lan0
HOST6, HOST4 = "fd42:100:1::10", "192.0.2.10"      # the LAN host
WAN6, WAN4 = "2001:db8:10:1::2", "198.51.100.18"   # neptune on wan1
GW6, GW4 = "2001:db8:10:1::1", "198.51.100.17"     # the gateway
REMOTE6, REMOTE4 = "2001:db8:99::1", "203.0.113.10"  # beyond the gateway

PORTS = ("lan0", "wan1")

STATIC_NEIGHBORS = [
    {"port": "wan1", "address": GW6, "mac": GW_MAC},
    {"port": "wan1", "address": GW4, "mac": GW_MAC},
    {"port": "lan0", "address": HOST6, "mac": HOST_MAC},
    {"port": "lan0", "address": HOST4, "mac": HOST_MAC},
]

_seq = 0


def base_config(tmp, prefix):
    """The standard two-port configuration, as a dict (written as JSON,
    which the YAML loader reads as flow style)."""
    return {
        "eal": {"lcores": "0-1", "no_huge": True, "in_memory": False,
                "memory_mb": 256, "file_prefix": prefix},
        "management": {"socket": str(tmp / "nep.sock"), "telemetry": False},
        # net_pcap delivers a file at memory speed: the punt policer's
        # production rates would police what these tests count at the
        # punt ring; test_dp_punt.py configures and tests the policer
        "dataplane": {"punt_policer": {
            "nd_pps": 0, "probe_pps": 0, "icmp_pps": 0, "resolve_pps": 0,
            "other_pps": 0, "error_pps": 0}},
        "log": {"level": "info"},
        "neighbors": {"static": copy.deepcopy(STATIC_NEIGHBORS)},
        "ports": [
            {"name": "lan0", "role": "lan",
             "devargs": f"net_pcap0,rx_pcap={tmp}/in0.pcap,tx_pcap={tmp}/out0.pcap",
             "mac": LAN0_MAC, "addresses": [f"{LAN6}/64", f"{LAN4}/24"]},
            {"name": "wan1", "role": "wan",
             "devargs": f"net_pcap1,rx_pcap={tmp}/in1.pcap,tx_pcap={tmp}/out1.pcap",
             "mac": WAN1_MAC, "addresses": [f"{WAN6}/64", f"{WAN4}/28"]},
        ],
        "routes": [{"prefix": "::/0", "via": GW6},
                   {"prefix": "0.0.0.0/0", "via": GW4}],
    }


def merge(base, extra):
    """Deep-merge extra into base: mappings merge, anything else replaces."""
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


# -- pcap files --------------------------------------------------------------

PCAP_HDR = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def pcap_record(frame, i=0):
    frame = bytes(frame)
    return struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000,
                       len(frame), len(frame)) + frame


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(PCAP_HDR)
        for i, fr in enumerate(frames):
            f.write(pcap_record(fr, i))


def read_pcap(path):
    """Frames of a pcap file (bytes each); [] if the file is missing."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        end = ">"
    else:
        raise ValueError(f"{path}: not a pcap file (magic {magic:#x})")
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


# -- the management socket ---------------------------------------------------

class Mgmt:
    """One connection to neptune's management socket (docs/cli.md)."""

    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.timeout = timeout
        self.s.settimeout(timeout)
        self.s.connect(str(path))
        self.buf = b""

    def cmd(self, line):
        """Send one request line; returns (ok, payload text)."""
        self.send(line)
        return self.reply()

    def send(self, line):
        """Send a request line without waiting for its reply (reply())."""
        self.s.sendall(line.encode() + b"\n")

    def reply(self, timeout=None):
        """The next reply: (ok, payload text). With a timeout, raises
        socket.timeout when the reply is not complete by then; nothing is
        lost, call again."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            if b"\n" in self.buf:
                head, rest = self.buf.split(b"\n", 1)
                status, length = head.decode().split()
                length = int(length)
                if len(rest) >= length:
                    self.buf = rest[length:]
                    return status == "OK", rest[:length].decode()
            if end is not None:
                left = end - time.monotonic()
                if left <= 0:
                    raise socket.timeout("no reply yet")
                self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            finally:
                if end is not None:
                    self.s.settimeout(self.timeout)
            if not chunk:
                raise ConnectionError("management socket closed")
            self.buf += chunk

    def json(self, line):
        ok, payload = self.cmd(line + " --json")
        if not ok:
            raise RuntimeError(f"'{line}': {payload.strip()}")
        return json.loads(payload)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


# -- one neptune run ---------------------------------------------------------

class DataplaneError(AssertionError):
    pass


class Result:
    """What one run produced.

    outputs:   {port: [frame bytes, ...]} in the order they were written
    drops:     {reason: count} from `show drops --json` (all reasons)
    stats:     `show stats --json`
    neighbors: `show neighbors --json` ["neighbors"]
    log:       neptune's stdout+stderr
    """

    def __init__(self, outputs, drops, stats, neighbors, log):
        self.outputs = outputs
        self.drops = drops
        self.stats = stats
        self.neighbors = neighbors
        self.log = log

    def nonzero_drops(self):
        return {k: v for k, v in self.drops.items() if v}


def _runtime_dirs(prefix):
    """Where EAL may have put its runtime directory for this prefix."""
    if os.environ.get("RUNTIME_DIRECTORY"):
        bases = [os.environ["RUNTIME_DIRECTORY"]]
    elif os.geteuid() == 0:
        bases = ["/var/run"]
    else:
        bases = [os.environ.get("XDG_RUNTIME_DIR", "/tmp")]
    return [Path(b) / "dpdk" / prefix for b in bases]


class Dataplane:
    """One neptune process on net_pcap ports: lan0 = port 0, wan1 = 1, then
    any extra_ports."""

    def __init__(self, inputs=None, extra_cfg=None, port_cfg=None,
                 fifo_ports=(), extra_ports=()):
        """extra_ports: more port entries (mappings as in the configuration,
        without devargs), appended after lan0 and wan1; the N-th port of
        the run (from 0) reads in<N>.pcap and writes out<N>.pcap. An entry
        with a `parent` is a VLAN sub-interface: no device, no capture of
        its own (its frames are its parent's, tagged)."""
        global _seq
        _seq += 1
        self.tmp = Path(tempfile.mkdtemp(prefix="nep-dpt-"))
        self.prefix = f"nep-dpt-{os.getpid()}-{_seq}"
        self.ports = PORTS + tuple(p["name"] for p in extra_ports
                                   if "parent" not in p)
        self.inputs = {p: [bytes(f) for f in (inputs or {}).get(p, [])]
                       for p in self.ports}
        unknown = set(inputs or {}) - set(self.ports)
        if unknown:
            raise ValueError(f"unknown ports {unknown}")
        self.fifo_ports = tuple(fifo_ports)
        self.fifo_fds = {}
        self.fed = {p: 0 for p in self.ports}
        self.kicks = 0
        self.proc = None
        self.mgmt = None
        self.logf = None
        cfg = base_config(self.tmp, self.prefix)
        i = len(PORTS)
        for pc in extra_ports:
            pc = copy.deepcopy(pc)
            if "parent" not in pc:
                pc.setdefault("devargs", f"net_pcap{i},rx_pcap={self.tmp}/"
                              f"in{i}.pcap,tx_pcap={self.tmp}/out{i}.pcap")
                i += 1
            cfg["ports"].append(pc)
        merge(cfg, extra_cfg or {})
        for name, pc in (port_cfg or {}).items():
            port = next(p for p in cfg["ports"] if p["name"] == name)
            merge(port, pc)
        self.cfg = cfg
        self.cfg_path = self.tmp / "neptune.yaml"
        self.cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
        self.log_path = self.tmp / "neptune.log"

    # ---- lifecycle ----
    def start(self, timeout=15.0):
        if not NEPTUNE.is_file():
            raise DataplaneError(f"{NEPTUNE} not built (NEPTUNE_BUILD={BUILD})")
        for i, p in enumerate(self.ports):
            path = self.tmp / f"in{i}.pcap"
            if p in self.fifo_ports:
                os.mkfifo(path)
                # O_RDWR: neptune's open for reading does not block and the
                # FIFO stays open until close_feed(); the header is there
                # before libpcap looks for it.
                fd = os.open(path, os.O_RDWR)
                os.write(fd, PCAP_HDR)
                self.fifo_fds[p] = fd
                for fr in self.inputs[p]:
                    self.feed(p, [fr])
            else:
                write_pcap(path, self.inputs[p])
        self.logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(NEPTUNE), "-c", str(self.cfg_path)],
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        sock = self.tmp / "nep.sock"
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise DataplaneError(
                    f"neptune exited with {self.proc.returncode} at startup\n"
                    f"{self.log()}")
            if sock.exists():
                try:
                    self.mgmt = Mgmt(sock)
                    break
                except OSError:
                    pass
            if time.monotonic() > end:
                raise DataplaneError(f"neptune did not open {sock} within "
                                     f"{timeout}s\n{self.log()}")
            time.sleep(0.02)
        return self

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"

    def json(self, line):
        return self.mgmt.json(line)

    def cmd(self, line):
        """One management command: (ok, payload text)."""
        return self.mgmt.cmd(line)

    def cmd_kicked(self, line, port, kick):
        """A command that publishes new state while the worker is blocked
        in an empty FIFO input.

        Publishing (uplink admin/weight, flush, reload) waits for an RCU
        grace period, which needs the worker to pass a quiescent point; a
        worker blocked reading an empty FIFO never does, so the control
        lcore (and the reply) would hang. The request is sent, and until
        its reply comes the frames `kick` (e.g. one dropped as
        l2_not_for_us) are fed into `port` every 50 ms to wake the worker:
        once the control lcore has run the command, the next kick lets the
        grace period end (the worker reads the new state before its next
        frame). A kick fed before the command ran is just dropped. The
        number of kick frames fed is added to self.kicks. Returns (ok,
        payload)."""
        self.mgmt.send(line)
        end = time.monotonic() + 15
        while True:
            try:
                return self.mgmt.reply(timeout=0.05)
            except socket.timeout:
                if time.monotonic() > end:
                    raise DataplaneError(f"no reply to '{line}'\n{self.log()}")
                self.feed(port, kick)
                self.kicks += len(kick)

    def write_config(self, cfg):
        """Replace the configuration file in place (for `reload`)."""
        self.cfg = cfg
        tmp = self.cfg_path.with_suffix(".new")
        tmp.write_text(json.dumps(cfg, indent=2) + "\n")
        os.replace(tmp, self.cfg_path)

    def stats(self):
        return self.json("show stats")

    def drops(self):
        return self.json("show drops")["drops"]

    def neighbors(self):
        return self.json("show neighbors")["neighbors"]

    def neighbor(self, port, address):
        for n in self.neighbors():
            if n["port"] == port and n["address"] == address:
                return n
        return None

    def expected_rx(self):
        return sum(len(v) for p, v in self.inputs.items()
                   if p not in self.fifo_ports) + sum(self.fed.values())

    def wait_idle(self, rx=None, settle=0.3, timeout=10.0):
        """Wait until the workers received `rx` packets (default: all the
        packets given so far) and `show stats` and `show drops` have not
        changed for `settle` seconds. Returns the last stats."""
        want = self.expected_rx() if rx is None else rx
        end = time.monotonic() + timeout
        last, since = None, None
        while True:
            st = self.stats()
            snap = ({k: v for k, v in st.items() if k != "uptime_s"},
                    self.drops())
            now = time.monotonic()
            if st["rx_packets"] == want and snap == last:
                if now - since >= settle:
                    return st
            else:
                last, since = snap, now
            if self.proc.poll() is not None:
                raise DataplaneError(f"neptune died ({self.proc.returncode})\n"
                                     f"{self.log()}")
            if now > end:
                raise DataplaneError(
                    f"rx_packets {st['rx_packets']} != {want} injected (or "
                    f"counters still moving) after {timeout}s: {st}\n"
                    f"{self.log()}")
            time.sleep(0.02)

    def wait_for(self, what, cond, timeout=5.0):
        """Poll cond() until it returns a true value (returned)."""
        end = time.monotonic() + timeout
        while True:
            v = cond()
            if v:
                return v
            if time.monotonic() > end:
                raise DataplaneError(f"timed out waiting for {what}\n{self.log()}")
            time.sleep(0.02)

    # ---- FIFO inputs ----
    def feed(self, port, frames):
        """Write frames into a FIFO input (neptune reads them right away)."""
        data = b"".join(pcap_record(f, self.fed[port] + i)
                        for i, f in enumerate(frames))
        fd = self.fifo_fds[port]
        while data:
            n = os.write(fd, data)
            data = data[n:]
        self.fed[port] += len(frames)

    def close_feed(self, port):
        """End of a FIFO input: the port sees end of file."""
        fd = self.fifo_fds.pop(port, None)
        if fd is not None:
            os.close(fd)

    def _close_feeds(self):
        for p in list(self.fifo_fds):
            self.close_feed(p)

    def stop(self, timeout=10.0):
        """Read the counters, shut neptune down and collect the outputs."""
        self._close_feeds()
        drops = self.drops()
        stats = self.stats()
        neighbors = self.neighbors()
        ok, _ = self.mgmt.cmd("shutdown")
        self.mgmt.close()
        self.mgmt = None
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise DataplaneError(f"neptune did not exit within {timeout}s of "
                                 f"'shutdown'\n{self.log()}")
        if not ok or rc != 0:
            raise DataplaneError(f"shutdown: reply ok={ok}, exit status {rc}\n"
                                 f"{self.log()}")
        outputs = {p: read_pcap(self.tmp / f"out{i}.pcap")
                   for i, p in enumerate(self.ports)}
        return Result(outputs, drops, stats, neighbors, self.log())

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def cleanup(self):
        """Always safe: kill the process (by PID) if alive, remove files."""
        self._close_feeds()
        if self.mgmt is not None:
            self.mgmt.close()
            self.mgmt = None
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=3)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self.kill()
        if self.logf is not None:
            self.logf.close()
            self.logf = None
        shutil.rmtree(self.tmp, ignore_errors=True)
        for d in _runtime_dirs(self.prefix):
            shutil.rmtree(d, ignore_errors=True)

    def run(self, **wait):
        """start(), wait_idle(), stop()."""
        self.start()
        self.wait_idle(**wait)
        return self.stop()


# -- comparing frames --------------------------------------------------------

def hexdump(b, width=16):
    return "\n".join(f"  {i:04x}  {b[i:i + width].hex(' ')}"
                     for i in range(0, len(b), width))


def describe(b):
    """A scapy one-liner for a frame, for failure messages."""
    try:
        from scapy.layers.l2 import Ether
        return Ether(b).summary()
    except Exception as e:  # noqa: BLE001 - only for messages
        return f"(undecodable: {e})"


def frame_diff(expected, got):
    expected, got = bytes(expected), bytes(got)
    first = next((i for i in range(min(len(expected), len(got)))
                  if expected[i] != got[i]), min(len(expected), len(got)))
    return (f"expected {len(expected)} bytes: {describe(expected)}\n"
            f"{hexdump(expected)}\n"
            f"observed {len(got)} bytes: {describe(got)}\n{hexdump(got)}\n"
            f"first difference at offset {first:#x}")


def assert_frame(got, expected, what="frame"):
    expected = bytes(expected)
    assert got == expected, f"{what} differs\n{frame_diff(expected, got)}"


def assert_frames(got, expected, what="output", ordered=True):
    """The port emitted exactly these frames (in order, or as a multiset)."""
    expected = [bytes(e) for e in expected]
    g, e = (got, expected) if ordered else (sorted(got), sorted(expected))
    if g == e:
        return
    lines = [f"{what}: expected {len(expected)} frames, observed {len(got)}"]
    for i in range(max(len(e), len(g))):
        if i < len(e) and i < len(g):
            if e[i] != g[i]:
                lines.append(f"#{i}: {frame_diff(e[i], g[i])}")
        elif i < len(e):
            lines.append(f"#{i}: missing {describe(e[i])}\n{hexdump(e[i])}")
        else:
            lines.append(f"#{i}: unexpected {describe(g[i])}\n{hexdump(g[i])}")
    raise AssertionError("\n".join(lines))


def assert_drops(result, expected):
    """Exactly these drop reasons are non-zero, with these counts."""
    got = result.nonzero_drops()
    missing = set(expected) - set(result.drops)
    assert not missing, f"drop reasons not reported: {missing}"
    assert got == expected, f"drop counters: expected {expected}, observed {got}"
