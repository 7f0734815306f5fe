#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A flood at the appliance while its health probes run (issue 16; docs/
architecture.md "The punt path").

trafgen in isp1's namespace sends UDP to neptune's own wan1 address for 5 s,
every datagram for the control plane (class `other`), on the very port
where isp1's probe replies come back, while isp1's probes (every 100 ms,
down after 3 misses) go on and a 200 pps echo stream from the client
crosses neptune to srv1 (strict on isp1: over the flooded port, both
ways):

  - at 25 kpps, well within what the lab's tap carries (70-90 kpps reach
    neptune at trafgen's full rate here): the flood is policed in the worker
    (punt_policed_other gets most of it), neptune loses no control-plane
    frame, no uplink goes down (no uplink_down event, every uplink up
    throughout), the echo stream loses at most 1 %;
  - at trafgen's full rate (test_flood_beyond_the_port): see there.
"""
import json
import os
import signal
import subprocess
import time

from conftest import CLIENT6, SRV1_6
from measure import RatePing, loss_runs

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


def _flood(lab, tmp_path, rate, tag):
    """One flood (rate pps, 0: as fast as trafgen goes) of FLOOD_S with
    the echo stream; returns the figures."""
    ports = {p["name"]: p for p in lab.cli_json("show", "ports")["ports"]}
    peer = json.loads(lab.ns("isp1", "ip", "-j", "link", "show", "nep-isp1",
                             check=True).stdout)[0]["address"]
    cfg = tmp_path / "flood.trafgen"
    cfg.write_text(TRAFGEN.format(da=ports["wan1"]["mac"], sa=peer,
                                  dst=NEP_WAN1_6))
    ev0 = lab.cli_json("show", "hooks")["events"]
    d0 = lab.cli_json("show", "drops")["drops"]
    rx0, _ = lab.port_counters("wan1")
    ping = RatePing(tmp_path, CLIENT6, SRV1_6, tag, rate=200).start()
    gen = None
    states = []
    try:
        time.sleep(0.5)
        gen = subprocess.Popen(["ip", "netns", "exec", "isp1", "trafgen",
                                "--dev", "nep-isp1", "--conf", str(cfg),
                                "--cpus", "1", "--no-sock-mem",
                                "--notouch-irq"] +
                               (["--rate", f"{rate}pps"] if rate else []),
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
        end = time.monotonic() + FLOOD_S
        while time.monotonic() < end:
            assert gen.poll() is None, f"trafgen exited: {gen.stderr.read()}"
            states.append({u["name"]: u["state"] for u in
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
    runs = loss_runs(send, recv)
    f = {"flood": rx1 - rx0,
         "policed": d1.get("punt_policed_other", 0) -
         d0.get("punt_policed_other", 0),
         "neptune_drops": {k: v - d0.get(k, 0) for k, v in d1.items()
                           if v != d0.get(k, 0)},
         "uplink_down": ev1.get("uplink_down", 0) - ev0.get("uplink_down", 0),
         "states": states, "sent": len(send), "lost": len(send) - len(recv),
         "longest_gap_ms": max((ms or 0 for _, _, ms in runs), default=0)}
    print(f"flood {rate or 'max'} pps: {f['flood']} frames on wan1 in "
          f"{FLOOD_S} s ({f['flood'] / FLOOD_S / 1e3:.0f} kpps), "
          f"{f['policed']} policed; echo stream {f['sent']} sent, "
          f"{f['lost']} lost, longest gap {f['longest_gap_ms']:.0f} ms; "
          f"neptune drops {f['neptune_drops']}")
    return f


def _up_throughout(f):
    assert f["uplink_down"] == 0, f
    assert all(st == "up" for s in f["states"] for st in s.values()), \
        f["states"]


CONTROL_LOSSES = ("punt_ring_full", "punt_policed_nd", "punt_policed_probe")


def test_flood_at_wan_address_keeps_uplinks_up(lab, tmp_path):
    # a flood the port carries with room to spare (a third of what reaches
    # neptune at full rate here), 25 times the `other` class's rate:
    # policed in the worker, no uplink down, the stream loses nothing of note
    f = _flood(lab, tmp_path, 25000, 0x5f11)
    assert f["flood"] > 100000, f"only {f['flood']} frames reached wan1"
    assert f["policed"] > f["flood"] * 0.8, f
    _up_throughout(f)
    assert not set(f["neptune_drops"]) & set(CONTROL_LOSSES), f
    assert f["lost"] <= f["sent"] // 100, f


def test_flood_beyond_the_port(lab, tmp_path):
    """As fast as trafgen goes: more than the lab's tap carries, so the
    kernel's tap queue drops frames before neptune sees them, probe
    replies and the transit stream's among them. neptune itself loses no
    control-plane frame (no punt ring full, no ND or probe frame policed)
    and polices the flood; the stream goes on between the tap's losses.
    Whether isp1 survives depends on the kernel dropping 3 probe replies
    in a row: printed, not asserted (it went down once in 7 runs here)."""
    f = _flood(lab, tmp_path, 0, 0x5f10)
    assert f["flood"] > 100000, f"only {f['flood']} frames reached wan1"
    assert f["policed"] > f["flood"] * 0.8, f
    assert not set(f["neptune_drops"]) & set(CONTROL_LOSSES), f
    assert f["sent"] > 900 and f["sent"] - f["lost"] > f["sent"] // 4, f
    print(f"isp1 went down {f['uplink_down']} time(s) during the flood")
