#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""`reload` reads and parses the file off the control lcore (issue 16;
docs/architecture.md "Reload").

The configuration file is replaced by a FIFO, so the parse of a `reload`
waits until the test writes the file into it: a parse that lasts as long
as the test likes. While it waits, a Neighbour Solicitation for neptune's
LAN address and an ARP request for its IPv4 address arrive on lan0; the
control lcore answers both (their replies leave lan0 stamped well before
the file is written), because only the management thread is waiting
(frames that neptune drops as l2_not_for_us keep the worker, which
blocks reading an empty FIFO and sends the control lcore's replies,
awake). Then
the file is written: the reload succeeds (generation + 1), and the next
`reload`, of a regular file that does not parse, fails with the file's
position and keeps the running configuration. Had the control lcore
parsed, the NA and the ARP reply would leave only after the file was
written.
"""
import json
import os
import socket
import struct
import threading
import time

from neptune_dp import HOST_MAC, HOST6, LAN0_MAC, LAN4, LAN6
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6
from scapy.layers.l2 import ARP, Ether
from test_dp_steering import KICK

WAIT_S = 1.5


def pcap_times(path):
    """(time, frame) of each record of a little-endian pcap file."""
    data = path.read_bytes()
    out, off = [], 24
    scale = 1e-9 if struct.unpack("<I", data[:4])[0] == 0xa1b23c4d else 1e-6
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec + frac * scale, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def test_reload_waits_for_its_file_off_the_control_lcore(dataplane):
    # burst 1: an rx burst on a FIFO returns after each frame
    dp = dataplane(inputs={}, fifo_ports=["lan0"],
                   extra_cfg={"dataplane": {"burst": 1}}).start()
    text = dp.cfg_path.read_text()
    gen0 = dp.stats()["generation"]
    real = dp.cfg_path.with_suffix(".real")
    os.rename(dp.cfg_path, real)
    os.mkfifo(dp.cfg_path)
    writer, kicks = None, 0
    try:
        dp.mgmt.send("reload")
        time.sleep(0.3)          # the management thread is in open()
        t_asked = time.time()
        dp.feed("lan0", [
            Ether(src=HOST_MAC, dst=LAN0_MAC) /
            IPv6(src=HOST6, dst=LAN6, hlim=255) / ICMPv6ND_NS(tgt=LAN6) /
            ICMPv6NDOptSrcLLAddr(lladdr=HOST_MAC),
            Ether(src=HOST_MAC, dst="ff:ff:ff:ff:ff:ff") /
            ARP(op=1, hwsrc=HOST_MAC, psrc="192.0.2.10", pdst=LAN4)])
        # the worker blocks reading an empty FIFO, and the control lcore's
        # replies leave through it: keep it awake
        while time.time() < t_asked + WAIT_S:
            time.sleep(0.05)
            dp.feed("lan0", [KICK])
            kicks += 1
        t_written = time.time()

        def write():
            with open(dp.cfg_path, "w") as f:
                f.write(text)
        writer = threading.Thread(target=write)
        writer.start()
        # publishing waits for the worker, blocked in its empty FIFO:
        # kick it until the reply comes (neptune_dp.cmd_kicked)
        end = time.monotonic() + 10
        while True:
            try:
                ok, msg = dp.mgmt.reply(timeout=0.05)
                break
            except socket.timeout:
                assert time.monotonic() < end, "no reply to reload"
                dp.feed("lan0", [KICK])
                kicks += 1
        writer.join(5)
        assert ok and f"generation {gen0 + 1}" in msg, msg
    finally:
        if writer is None:
            # unblock a reader still in open() before anything else
            fd = os.open(dp.cfg_path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        os.unlink(dp.cfg_path)
        os.rename(real, dp.cfg_path)
    assert dp.stats()["generation"] == gen0 + 1

    # a regular file that does not parse: refused with its position
    dp.cfg_path.write_text(json.dumps(dict(json.loads(text), bogus_key=1),
                                      indent=2) + "\n")
    ok, msg = dp.cmd("reload")
    assert not ok and f"{dp.cfg_path}:" in msg and "bogus_key: unknown key" in msg, msg
    assert dp.stats()["generation"] == gen0 + 1

    res = dp.stop()
    out = pcap_times(dp.tmp / "out0.pcap")
    na = [t for t, f in out if ICMPv6ND_NA in Ether(f)
          and Ether(f)[ICMPv6ND_NA].tgt == LAN6]
    arp = [t for t, f in out if ARP in Ether(f) and Ether(f)[ARP].op == 2
           and Ether(f)[ARP].psrc == LAN4]
    assert len(na) == 1 and len(arp) == 1, (na, arp, res.drops)
    for what, t in (("NA", na[0]), ("ARP reply", arp[0])):
        # answered while the parse still waited for its file
        assert t_asked - 0.2 <= t < t_written - WAIT_S / 2, \
            (what, t - t_asked, t_written - t_asked,
             [(round(x - t_asked, 3), Ether(f).summary()) for x, f in out])
    assert res.nonzero_drops() == ({"l2_not_for_us": kicks} if kicks else {}), \
        json.dumps(res.drops)
