#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A flood at the appliance while its health probes run (issue 16; docs/
architecture.md "The punt path").

trafgen in isp1's namespace sends UDP to neptune's own wan1 address for 5 s
as fast as one CPU lets it: every datagram is for the control plane
(class `other`), on the very port where isp1's probe replies come back.
Meanwhile isp1's probes (every 100 ms, down after 3 misses) go on, and a
200 pps echo stream from the client crosses neptune to srv1 (strict on
isp1, so over the flooded port). The flood must be policed in the worker
(punt_policed_other grows by most of it), no uplink may go down (no
uplink_down event, every uplink usable throughout), and the transit
stream must get through (at most 1 % lost: the flood and the stream share
one tap queue in the kernel, which neptune does not control).
"""
import json
import os
import signal
import subprocess
import time

from conftest import CLIENT6, SRV1_6
from measure import RatePing

NEP_WAN1_6 = "2001:db8:10:1::2"
FLOOD_S = 5.0

TRAFGEN = """\
{{
  eth(da={da}, sa={sa}, type=0x86dd),
  ipv6(sa=2001:db8:10:1::1, da={dst}, hl=64, nh=17),
  udp(sp=drnd(), dp=9999),
  fill(0x00, 18)
}}
"""


def test_flood_at_wan_address_keeps_uplinks_up(lab, tmp_path):
    ports = {p["name"]: p for p in lab.cli_json("show", "ports")["ports"]}
    peer = json.loads(lab.ns("isp1", "ip", "-j", "link", "show", "nep-isp1",
                             check=True).stdout)[0]["address"]
    cfg = tmp_path / "flood.trafgen"
    cfg.write_text(TRAFGEN.format(da=ports["wan1"]["mac"], sa=peer,
                                  dst=NEP_WAN1_6))
    ev0 = lab.cli_json("show", "hooks")["events"]
    d0 = lab.cli_json("show", "drops")["drops"]
    rx0, _ = lab.port_counters("wan1")
    ping = RatePing(tmp_path, CLIENT6, SRV1_6, 0x5f10, rate=200).start()
    gen = None
    usable = []
    try:
        time.sleep(0.5)
        gen = subprocess.Popen(["ip", "netns", "exec", "isp1", "trafgen",
                                "--dev", "nep-isp1", "--conf", str(cfg),
                                "--cpus", "1", "--no-sock-mem",
                                "--notouch-irq"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
        end = time.monotonic() + FLOOD_S
        while time.monotonic() < end:
            assert gen.poll() is None, f"trafgen exited: {gen.stderr.read()}"
            usable.append({u["name"]: u["usable"] for u in
                           lab.cli_json("show", "uplinks")["uplinks"]})
            time.sleep(0.25)
    finally:
        if gen is not None and gen.poll() is None:
            os.killpg(gen.pid, signal.SIGINT)
            try:
                gen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(gen.pid, signal.SIGKILL)
                gen.wait(5)
        time.sleep(0.5)
        send, recv = ping.stop()
    rx1, _ = lab.port_counters("wan1")
    ev1 = lab.cli_json("show", "hooks")["events"]
    d1 = lab.cli_json("show", "drops")["drops"]
    flood = rx1 - rx0
    policed = d1.get("punt_policed_other", 0) - d0.get("punt_policed_other", 0)
    lost = len(send) - len(recv)
    print(f"flood: {flood} frames on wan1 in {FLOOD_S} s "
          f"({flood / FLOOD_S / 1e3:.0f} kpps), {policed} policed; echo "
          f"stream {len(send)} sent, {lost} lost")
    assert flood > 50000, f"only {flood} frames reached wan1: no flood"
    assert policed > flood * 0.8, (policed, flood)
    assert ev1.get("uplink_down", 0) == ev0.get("uplink_down", 0), (ev0, ev1)
    assert all(all(s.values()) for s in usable), usable
    assert len(send) > 900 and lost <= len(send) // 100, (len(send), lost)
