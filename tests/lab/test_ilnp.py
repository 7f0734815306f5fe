#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ILNP through neptune in the standard lab (issue 14, docs/ilnp.md).

No ILNP stack is packaged here: tests/lab/ilnp_peer.py plays the host
(client) and the correspondent (srv-global-bal) with scapy. The Linux
kernel of srv-global-bal is an independent witness: it does not know the
Nonce option (type 0x8B, top bits 10), so it answers a packet carrying it
with ICMPv6 Parameter Problem code 2 pointing at the option; that error,
translated back by neptune, shows that the option arrived as sent.

  - the kernel witness: the client's ILNP datagram reaches srv-global-bal
    from the client's NID on an uplink's locator (aware: no RFC 6296
    adjustment word), and the kernel's Parameter Problem (code 2, pointer
    42) comes back to the client quoting the client's own packet byte for
    byte but the hop limit;
  - a session across a failure: the client sends ILNP datagrams every
    50 ms on a flow on isp1 while the correspondent answers each; isp1
    fails upstream; the flow moves to isp2, neptune sends the
    correspondent an LU on the client's behalf (its NID and nonce,
    isp2's locator), the correspondent acknowledges, and the answers go
    on on isp2's locator.
"""
import ipaddress
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CLIENT6, GBAL6, lab_fail

HERE = Path(__file__).resolve().parent
PEER = [sys.executable if Path(sys.executable).name == "python3" else
        "/usr/bin/python3", str(HERE / "ilnp_peer.py")]
LOC = {"isp1": "2001:db8:1100:1::", "isp2": "2001:db8:2200:1::",
       "isp3": "2001:db8:3300:1::"}
NONCE = "5eed0001"


def nid(a):
    return ipaddress.IPv6Address(a).packed[8:]


def loc(a):
    return str(ipaddress.IPv6Address(ipaddress.IPv6Address(a).packed[:8] +
                                     bytes(8)))


def start(ns, *args):
    return subprocess.Popen(["ip", "netns", "exec", ns, *PEER,
                             *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(p, timeout=60):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        pytest.fail(f"ilnp_peer.py timed out\n{err}")
    assert p.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def flow_uplink(lab, sport):
    d = lab.cli_json("show", "flows", "proto", "udp", "dst", GBAL6, "port",
                     str(sport), "limit", "0")
    fl = [f for f in d["flows"] if f["sport"] == sport and
          f["src"] == CLIENT6]
    return fl[0]["uplink"] if fl else None


def test_kernel_answers_the_option_through_neptune(lab):
    """The nonce reaches srv-global-bal intact (its sniffer sees the
    client's NID on an uplink's locator) and its kernel's Parameter
    Problem (code 2, pointer 42: the option type) comes back to the
    client, quoting the packet the client sent."""
    cn = start("srv-global-bal", "cn", 4)
    time.sleep(1.0)
    r = finish(start("client", "probe", GBAL6, 44444))
    seen = finish(cn)
    sent = bytes.fromhex(r["sent"])
    # the error about the probe (the correspondent's ILNP answer draws
    # one from the client's own kernel too: not this one)
    mine = [e for e in r["errors"]
            if bytes.fromhex(e["quote"])[40 + 8:40 + 12] == sent[48:52]]
    assert len(mine) == 1, r
    e = mine[0]
    assert (e["code"], e["ptr"], e["dst"]) == (2, 42, CLIENT6), e
    quote = bytes.fromhex(e["quote"])
    # the quote is the client's packet, the hop limit as it arrived
    assert quote[:7] == sent[:7] and quote[8:] == sent[8:], (quote, sent)
    # srv-global-bal got it from the client's NID on an uplink's locator
    # (aware: no adjustment word), the nonce as sent
    got = [(s, n) for _, s, n in seen["data"]]
    assert len(got) == 1 and got[0][1] == NONCE, seen
    assert nid(got[0][0]) == nid(CLIENT6) and \
        loc(got[0][0]) in (LOC["isp1"], LOC["isp2"]), got
    st = lab.cli_json("show", "ilnp")
    assert st["errors_in"] >= 1 and st["aware_out"] >= 1, st


def test_session_survives_isp1_failure(lab):
    """A flow on isp1, answered by the correspondent; isp1 fails upstream:
    the LU neptune sends on the client's behalf lists isp2's locator, the
    correspondent acknowledges it, the answers go on over isp2."""
    # a source port whose flow takes isp1 (balanced 7:3)
    sport = None
    for p in range(45000, 45040):
        finish(start("client", "host", GBAL6, p, 0.01, 10), timeout=20)
        up = flow_uplink(lab, p)
        if up == "isp1":
            sport = p
            break
    assert sport is not None, "no flow on isp1 in 40 tries"
    cn = start("srv-global-bal", "cn", 14)
    time.sleep(1.0)
    host = start("client", "host", GBAL6, sport, 10, 50)
    try:
        time.sleep(3.0)
        t_fail = time.time()
        lab_fail("isp1", "upstream")
        h = finish(host)
        c = finish(cn)
    finally:
        lab_fail("isp1", "clear")
    srcs = [(t, s) for t, s, n in c["data"] if n == NONCE]
    before = [s for t, s in srcs if t < t_fail]
    after = [s for t, s in srcs if t > t_fail + 2.0]
    assert before and after, c
    assert {loc(s) for s in before} == {LOC["isp1"]}, before[:5]
    assert {loc(s) for s in after} == {LOC["isp2"]}, after[:5]
    assert all(nid(s) == nid(CLIENT6) for _, s in srcs)
    # neptune's LU for the client: from its NID on isp2, its nonce,
    # isp2's locator first; acknowledged
    lus = [x for x in c["lus"] if x[3] == 1 and x[2] == NONCE and
           nid(x[1]) == nid(CLIENT6)]
    assert lus, c["lus"]
    t, src, _, _, entries, ck_ok = lus[0]
    assert ck_ok and loc(src) == LOC["isp2"], lus[0]
    assert entries[0][0] == LOC["isp2"] and \
        LOC["isp1"] not in [e[0] for e in entries], entries
    peers = lab.cli_json("show", "ilnp", "peers")["peers"]
    me = [p for p in peers if p["host"] == CLIENT6 and
          p["correspondent"] == GBAL6]
    assert me and me[0]["lu"] == "acked" and me[0]["acks"] >= 1, peers
    # the answers went on after the failure
    late = [t for t, _ in h["replies"] if t > t_fail + 2.0]
    assert late, (len(h["replies"]), h["replies"][-3:])
