#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""SRv6 overlays in the lab: `lab/up srv6` (docs/lab.md, "The SRv6 lab";
docs/srv6.md).

Three multihomed sites over the lab's ISPs isp1 and isp2:

  A  neptune, config/neptune-srv6-a.yaml: client (vpn1) and client2 on VLAN
     100 of the LAN port (vpn2, VRF blue, the same 192.0.2.0/24)
  B  a Linux kernel edge (lab/siteb.sh): seg6 encap, End on its WAN
     addresses, End.DT6 and End.DX4; hostb (vpn1)
  C  a second neptune, config/neptune-srv6-c.yaml: hostc (vpn1) and hostc's
     VLAN 100 interface (vpn2)

The checks: site B and the routing of the new links; the CLI views; proxy
ND for the SIDs; ping and iperf3 TCP, IPv6 and IPv4, between client, hostb
and hostc (the kernel decapsulates neptune's packets and neptune the
kernel's); the packets on the wire (outer source, SRH, segments); vpn1 and
vpn2 isolated although they share 192.0.2.0/24; an unknown SID inside A's
locator dropped and counted; Packet Too Big / Fragmentation Needed with the
path's MTU and clamped MSS on SYNs; isp1 failing (upstream, link) under an
iperf3 TCP session client -> hostc that goes on over isp2, the outage
measured (tests/lab/srv6-failover-results.json).

These tests bring up their own lab (the module fixture `srv6`: lab/up srv6,
lab/down at the end, and the standard lab restored if it was up before);
conftest's autouse `neptune_alive` is overridden for both neptunes.
NEPTUNE_SRV6_LAB_MODE=no-vrf runs lab/up srv6 --no-vrf (a core without
VLAN sub-interfaces and VRFs: vpn2's tests then fail, as they must).
Run as root: /usr/bin/python3 -m pytest tests/lab/test_srv6.py
"""
import json
import os
import random
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

import capture
import measure
from measure import RatePing, loss_runs

from conftest import (CONFIG, LAB_DIR, LAB_NAMESPACES, LAB_ROOT_LINKS, LAB_TAPS, RUN_DIR,
                      Lab, _link_exists, _netns_list, lab_fail, lab_up,
                      standard_lab_running, wait_listen)

MODE = os.environ.get("NEPTUNE_SRV6_LAB_MODE", "")
RESULTS = Path(__file__).resolve().parent / "srv6-failover-results.json"

# What lab/srv6 adds (lab/lib.sh SRV6_*).
SRV6_NAMESPACES = ["client2", "siteb", "hostb", "hostc"]
SRV6_LINKS = ["s6c-lan", "s6c-isp1", "s6c-isp2", "b6c-lan", "b6c-isp1", "b6c-isp2",
              "v6c-lan", "v6c-isp1", "v6c-isp2", "v6a-v100", "t6a-v100", "v6c-v100",
              "t6c-v100"]
SOCK_C = "/run/neptune/srv6-c.sock"

# Hosts and their vpn1 / vpn2 addresses (docs/lab.md, "The SRv6 lab").
ADDR = {
    "client": {6: "fd42:100:1::10", 4: "192.0.2.10"},
    "hostb": {6: "fd42:200:1::10", 4: "198.18.20.10"},
    "hostc": {6: "fd42:300:1::10", 4: "198.18.30.10"},
    "client2": {6: "fd42:100:2::10", 4: "192.0.2.10"},
    "hostc-v100": {6: "fd42:300:2::10", 4: "198.18.31.10"},
}
LAN_IF = {"client": "nep-lan", "hostb": "to-siteb", "hostc": "s6c-lan",
          "client2": "vlan100", "hostc-v100": "vlan100"}
GW = {"client": {6: "fd42:100:1::1", 4: "192.0.2.1"},
      "hostc": {6: "fd42:300:1::1", 4: "198.18.30.1"}}
NS = {"hostc-v100": "hostc"}  # the namespace of a host name


def ns_of(host):
    return NS.get(host, host)


WAN = {"a": {"isp1": "2001:db8:10:1::2", "isp2": "2001:db8:20:1::2"},
       "b": {"isp1": "2001:db8:10:2::2", "isp2": "2001:db8:20:2::2"},
       "c": {"isp1": "2001:db8:10:3::2", "isp2": "2001:db8:20:3::2"}}
LOCATORS = {"a": {"isp1": "2001:db8:10:1:5::", "isp2": "2001:db8:20:1:5::"},
            "c": {"isp1": "2001:db8:10:3:5::", "isp2": "2001:db8:20:3:5::"}}
FUNC = {"vpn1": 0x100, "vpn2": 0x200}
B_SID = {6: "fc00:b::6", 4: "fc00:b::4"}
UPLINK_MTU = 1500
# H.Encaps overhead: outer IPv6 40 + SRH 8 + 16 per SID (not reduced)
OVERHEAD = {"c": 40 + 8 + 16, "b": 40 + 8 + 2 * 16, "a": 40 + 8 + 16}
MAC = {("a", "isp1"): "02:00:00:00:00:11", ("a", "isp2"): "02:00:00:00:00:12",
       ("c", "isp1"): "02:00:00:00:30:11", ("c", "isp2"): "02:00:00:00:30:12"}
# Which site a host is behind.
SITE_OF = {"client": "a", "client2": "a", "hostb": "b", "hostc": "c", "hostc-v100": "c"}

# Failover: product targets with 100 ms probes (docs/multihoming.md): a
# failure is detected and traffic moved within 1 s.
FAILOVER_MAX_MS = 1000.0


def sid(site, uplink, overlay):
    from ipaddress import IPv6Address  # noqa: PLC0415
    return str(IPv6Address(LOCATORS[site][uplink]) + FUNC[overlay])


# ---------------------------------------------------------------- the lab

class Neptune(Lab):
    """conftest's Lab helpers bound to one of the two neptunes."""

    def __init__(self, name, sock, pid_file, log):
        super().__init__()
        self.name, self.sock, self.pid_file, self.log = name, sock, pid_file, log

    def neptune_pid(self):
        try:
            pid = int(Path(self.pid_file).read_text().strip())
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except (OSError, ValueError):
            return None
        return pid if comm == "neptune" else None

    def log_grep(self, *words, n=20):
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        hits = [ln for ln in lines if any(w in ln for w in words)]
        return "\n".join(hits[-n:]) or "(nothing about " + "/".join(words) + ")"


class Srv6Lab:
    def __init__(self):
        sock_file = RUN_DIR / "socket"
        sock_a = sock_file.read_text().strip() if sock_file.exists() else "/run/neptune/lab.sock"
        self.a = Neptune("a", sock_a, RUN_DIR / "neptune.pid", RUN_DIR / "neptune.log")
        self.c = Neptune("c", SOCK_C, RUN_DIR / "srv6" / "c.pid", RUN_DIR / "srv6-c.log")
        self.sites = {"a": self.a, "c": self.c}

    def ns(self, ns, *cmd, **kw):
        return self.a.ns(ns, *cmd, **kw)

    def ping(self, ns, dst, **kw):
        return self.a.ping(ns, dst, **kw)

    def logs(self):
        return (f"--- neptune A ({self.a.log}):\n{self.a.log_tail(25)}\n"
                f"--- neptune C ({self.c.log}):\n{self.c.log_tail(25)}")




@pytest.fixture(scope="module")
def srv6():
    if os.geteuid() != 0:
        pytest.fail("tests/lab must run as root")
    restore = standard_lab_running()
    args = [str(LAB_DIR / "up"), "srv6"] + (["--" + MODE] if MODE else [])

    def down():
        r = subprocess.run([str(LAB_DIR / "down")], capture_output=True, text=True,
                           timeout=120)
        left = [n for n in _netns_list() if n in LAB_NAMESPACES + SRV6_NAMESPACES]
        links = [t for t in LAB_TAPS + LAB_ROOT_LINKS + SRV6_LINKS if _link_exists(t)]
        return r, left, links

    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            pytest.fail(f"{' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        if "not up" in r.stderr:
            pytest.fail(f"{' '.join(args)}: {r.stderr}")
        for tool in ("ping", "iperf3", "tcpdump"):
            if subprocess.run(["which", tool], capture_output=True).returncode != 0:
                pytest.fail(f"missing tool: {tool}")
        yield Srv6Lab()
    finally:
        r, left, links = down()
        assert r.returncode == 0 and not left and not links, \
            f"lab/down rc={r.returncode}, namespaces left {left}, links left {links}\n" \
            f"{r.stdout}{r.stderr}"
        if restore:
            lab_up(CONFIG, build=False)


@pytest.fixture(autouse=True)
def neptune_alive(srv6):
    """Overrides conftest's (no standard lab here): both neptunes are alive
    before and after each test."""
    for s in srv6.sites.values():
        assert s.neptune_pid(), f"neptune {s.name.upper()} is not running\n{s.log_tail()}"
    yield
    dead = [s for s in srv6.sites.values() if not s.neptune_pid()]
    if dead:
        pytest.fail("neptune died during the test: " +
                    "; ".join(f"{s.name.upper()}:\n{s.log_tail()}" for s in dead))


# ---------------------------------------------------------------- overlays

def overlay_paths(site, remote=None):
    """{path id: entry} of `show overlays --json` on site (Neptune), for the
    remote site `remote` (all remote sites if None); every entry gets
    `_site`. Read loosely: the JSON's field names may still change."""
    d = site.cli_json("show", "overlays")
    out = {}
    for ov in d.get("overlays", []) if isinstance(d, dict) else []:
        for s in ov.get("sites", []):
            name = s.get("site", s.get("name"))
            if s.get("local") or (remote is not None and name != remote):
                continue
            for p in s.get("paths", []):
                out.setdefault((name, p.get("path", p.get("id"))), dict(p, _site=name))
    return out


def path_tx(site, remote):
    """{(remote, path): tx_packets summed over the overlays} on site."""
    d = site.cli_json("show", "overlays")
    tx = {}
    for ov in d.get("overlays", []):
        for s in ov.get("sites", []):
            name = s.get("site", s.get("name"))
            if s.get("local") or name != remote:
                continue
            for p in s.get("paths", []):
                k = (name, p.get("path", p.get("id")))
                tx[k] = tx.get(k, 0) + int(p.get("tx_packets", 0))
    return tx


def not_up_paths(site):
    return {k: p.get("state") for k, p in overlay_paths(site).items()
            if p.get("state") != "up"}


def wait_paths(site, want, timeout, remote=None, uplink=None, endpoint=None):
    """Poll until every path (of remote, over uplink, to an endpoint that
    starts with `endpoint`) has state `want`; returns the seconds it took."""
    t0 = time.monotonic()
    while True:
        ps = [p for p in overlay_paths(site, remote).values()
              if (uplink is None or p.get("uplink") == uplink) and
              (endpoint is None or str(p.get("remote", "")).startswith(endpoint))]
        if ps and all(p.get("state") == want for p in ps):
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"site {site.name.upper()}: paths (remote {remote}, uplink "
                        f"{uplink}, endpoint {endpoint}) not {want} after {timeout} s: "
                        f"{[(p.get('uplink'), p.get('remote'), p.get('state')) for p in ps]}\n"
                        f"{site.cli('show', 'overlays').stdout}")
        time.sleep(0.02)


def wait_all_paths_up(srv6, timeout=15):
    for s in srv6.sites.values():
        wait_paths(s, "up", timeout)


@pytest.fixture(autouse=True)
def overlays_ready(srv6):
    """Every test starts with no injected failure and every overlay path of
    A and C up."""
    for isp in ("isp1", "isp2", "isp3"):
        lab_fail(isp, "clear")
    wait_all_paths_up(srv6)


# ---------------------------------------------------------------- captures

def Captures(tmp_path, where, bpf, snap=512):
    """Captures on each (namespace, interface) of where, as a context
    manager; [(ns, iface)] gives its packets."""
    return capture.Captures(tmp_path, {w: w for w in where}, bpf, snap)


def echo_requests(pkts):
    """[(family, src, dst)] of the ICMP/ICMPv6 echo requests in pkts
    (innermost IP header, so that encapsulated ones count as what they
    carry)."""
    from scapy.all import ICMP, ICMPv6EchoRequest, IPv6  # noqa: PLC0415
    out = []
    for p in pkts:
        if ICMPv6EchoRequest in p:
            ip = p[ICMPv6EchoRequest].underlayer
            while ip is not None and not isinstance(ip, IPv6):
                ip = ip.underlayer
            out.append((6, ip.src, ip.dst))
        elif ICMP in p and p[ICMP].type == 8:
            out.append((4, p[ICMP].underlayer.src, p[ICMP].underlayer.dst))
    return out


def echo_replies(pkts):
    from scapy.all import ICMP, ICMPv6EchoReply, IPv6  # noqa: PLC0415
    out = []
    for p in pkts:
        if ICMPv6EchoReply in p:
            ip = p[ICMPv6EchoReply].underlayer
            while ip is not None and not isinstance(ip, IPv6):
                ip = ip.underlayer
            out.append((6, ip.src, ip.dst))
        elif ICMP in p and p[ICMP].type == 0:
            out.append((4, p[ICMP].underlayer.src, p[ICMP].underlayer.dst))
    return out


def stop_procs(*procs):
    for p in procs:
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


# ------------------------------------------------------------ site B, routing

def test_site_b_kernel_edge(srv6):
    """Site B as lab/siteb.sh sets it up: the seg6local SIDs, the seg6
    encap routes of both families, SRH processing on the WAN interfaces,
    hostb <-> siteb."""
    r6 = srv6.ns("siteb", "ip", "-6", "route", "show", check=True).stdout
    r4 = srv6.ns("siteb", "ip", "-4", "route", "show", check=True).stdout
    assert "fc00:b::6  encap seg6local action End.DT6 table" in r6, r6
    assert "fc00:b::4  encap seg6local action End.DX4 nh4 198.18.20.10" in r6, r6
    for pfx, s in (("fd42:100:1::/64", sid("a", "isp1", "vpn1")),
                   ("fd42:300:1::/64", sid("c", "isp1", "vpn1"))):
        assert any(ln.startswith(pfx) and f"encap seg6 mode encap segs 1 [ {s} ]" in ln
                   for ln in r6.splitlines()), f"no {pfx} encap seg6 {s}:\n{r6}"
    for pfx, s in (("192.0.2.0/24", sid("a", "isp1", "vpn1")),
                   ("198.18.30.0/24", sid("c", "isp1", "vpn1"))):
        assert any(ln.startswith(pfx) and f"encap seg6 mode encap segs 1 [ {s} ]" in ln
                   for ln in r4.splitlines()), f"no {pfx} encap seg6 {s}:\n{r4}"
    for k in ("all", "to-isp1", "to-isp2"):
        v = srv6.ns("siteb", "sysctl", "-n", f"net.ipv6.conf.{k}.seg6_enabled",
                    check=True).stdout.strip()
        assert v == "1", f"siteb {k}.seg6_enabled = {v}"
    for dst in ("fd42:200:1::1", "198.18.20.1"):
        r = srv6.ping("hostb", dst, count=2)
        assert r.returncode == 0, f"hostb -> {dst}:\n{r.stdout}{r.stderr}"


@pytest.mark.parametrize("src_isp", ["isp1", "isp2"])
def test_wan_links_routed(srv6, src_isp):
    """From each of B's WAN addresses, every WAN address of A and C answers,
    through the same ISP and across the core to the other one."""
    src = WAN["b"][src_isp]
    bad = []
    for site in ("a", "c"):
        for isp, dst in WAN[site].items():
            r = srv6.ns("siteb", "ping", "-n", "-c", 2, "-i", 0.2, "-W", 2, "-I", src, dst)
            if r.returncode != 0:
                bad.append(f"{src} -> {dst} ({site} {isp}): {r.stdout.strip()[-200:]}")
    assert not bad, "\n".join(bad)


def test_site_c_uplinks_up(srv6):
    d = srv6.c.cli_json("show", "uplinks")
    st = {u["name"]: u["state"] for u in d["uplinks"]}
    assert st == {"isp1": "up", "isp2": "up"}, st


# ---------------------------------------------------------------- CLI

CLI_VIEWS = [("show", "overlays"), ("show", "sr", "localsids"), ("show", "sr", "policies"),
             ("show", "vrf"), ("show", "errors")]


@pytest.mark.parametrize("site", ["a", "c"])
@pytest.mark.parametrize("cmd", CLI_VIEWS, ids=[" ".join(c[1:]) for c in CLI_VIEWS])
def test_cli_views(srv6, site, cmd):
    """Each SRv6 view answers in text and in JSON (an object)."""
    n = srv6.sites[site]
    r = n.cli(*cmd)
    assert r.returncode == 0 and r.stdout.strip(), \
        f"{' '.join(cmd)} on {site.upper()} -> {r.returncode}\n{r.stdout}{r.stderr}"
    d = n.cli_json(*cmd)
    assert isinstance(d, dict), f"{' '.join(cmd)} --json: {d!r}"


def localsids(site):
    d = site.cli_json("show", "sr", "localsids")
    return {e["sid"]: e for e in d.get("localsids", [])}, d


@pytest.mark.parametrize("site", ["a", "c"])
def test_localsids(srv6, site):
    """Each locator has locator::1 (End, the probe target), vpn1's
    End.DT46 SID into VRF default (function 0x100) and vpn2's into VRF blue
    (0x200); each WAN address is an End SID (two-SID lists from B's side
    would not need it, but C and A address B that way, and docs/srv6.md
    says every WAN address processes an SRH)."""
    from ipaddress import IPv6Address  # noqa: PLC0415
    sids, d = localsids(srv6.sites[site])
    want = {}
    for isp in ("isp1", "isp2"):
        loc = IPv6Address(LOCATORS[site][isp])
        want[str(loc + 1)] = ("end", None)
        want[str(loc + 0x100)] = ("end.dt46", "default")
        want[str(loc + 0x200)] = ("end.dt46", "blue")
        want[WAN[site][isp]] = ("end", None)
    bad = []
    for s, (beh, vrf) in want.items():
        e = sids.get(s)
        if e is None:
            bad.append(f"{s}: missing")
            continue
        if str(e.get("behavior", "")).lower() != beh:
            bad.append(f"{s}: behavior {e.get('behavior')}, want {beh}")
        if vrf is not None and e.get("vrf") != vrf:
            bad.append(f"{s}: vrf {e.get('vrf')}, want {vrf}")
    assert not bad, f"site {site.upper()} localsids: {bad}\n{json.dumps(d)[:3000]}"
    locs = d.get("locators")
    if locs is not None:
        assert sorted(locs) == sorted(f"{LOCATORS[site][i]}/80" for i in ("isp1", "isp2")), locs


def policies(site):
    d = site.cli_json("show", "sr", "policies")
    out = {}
    for p in d.get("policies", []):
        fam = p.get("family")
        fam = {"ipv6": 6, "ipv4": 4}.get(fam, fam)
        out[(p.get("overlay"), p.get("site"), int(fam))] = p.get("paths", [])
    return out, d


def segments(path):
    s = path.get("segments", path.get("segment_list", []))
    if isinstance(s, str):
        s = [x.strip() for x in s.replace(" ", ",").split(",") if x.strip()]
    return [str(x) for x in s]


@pytest.mark.parametrize("site", ["a", "c"])
def test_policies(srv6, site):
    """The full mesh each neptune builds: to B (class A4) two-SID lists
    <B's WAN address, B's SID for the family> (overhead 80, MTU 1420); to
    the other neptune one SID, its locator + the overlay's function
    (overhead 64, MTU 1436); over isp1 and isp2, from the uplink's WAN
    address; vpn2 has no policy to B (not a member)."""
    other = "c" if site == "a" else "a"
    pol, d = policies(srv6.sites[site])
    want = {}
    for fam in (6, 4):
        want[("vpn1", "b", fam)] = {(up, (WAN["b"][isp], B_SID[fam]))
                                   for up in ("isp1", "isp2") for isp in ("isp1", "isp2")}
        for ov in ("vpn1", "vpn2"):
            want[(ov, other, fam)] = {(up, (sid(other, isp, ov),))
                                     for up in ("isp1", "isp2") for isp in ("isp1", "isp2")}
    bad = []
    for key, paths in want.items():
        got = pol.get(key)
        if got is None:
            bad.append(f"{key}: no policy")
            continue
        have = {(p.get("uplink"), tuple(segments(p))) for p in got}
        if have != paths:
            bad.append(f"{key}: paths {sorted(have)}, want {sorted(paths)}")
        remote = key[1]
        for p in got:
            ovh, mtu = p.get("overhead"), p.get("mtu")
            if ovh is not None and ovh != OVERHEAD[remote]:
                bad.append(f"{key} path {p.get('path')}: overhead {ovh}, want {OVERHEAD[remote]}")
            if mtu is not None and mtu != UPLINK_MTU - OVERHEAD[remote]:
                bad.append(f"{key} path {p.get('path')}: mtu {mtu}, "
                           f"want {UPLINK_MTU - OVERHEAD[remote]}")
            src = p.get("source")
            if src is not None and src != WAN[site][p.get("uplink")]:
                bad.append(f"{key} path {p.get('path')}: source {src}, "
                           f"want {WAN[site][p.get('uplink')]}")
    extra = [k for k in pol if k not in want]
    assert not bad and not extra, \
        f"site {site.upper()} policies: {bad}, unexpected {extra}\n{json.dumps(d)[:3000]}"


@pytest.mark.parametrize("site", ["a", "c"])
def test_show_vrf(srv6, site):
    """VRFs default and blue; lan0.100 is blue's."""
    d = srv6.sites[site].cli_json("show", "vrf")
    vrfs = d.get("vrfs", d.get("vrf", []))
    if isinstance(vrfs, dict):
        vrfs = [dict(v, name=k) for k, v in vrfs.items()]
    by = {v.get("name"): v for v in vrfs}
    assert {"default", "blue"} <= set(by), f"show vrf --json: {d}"
    assert "lan0.100" in by["blue"].get("interfaces", []), by["blue"]
    assert "lan0.100" not in by["default"].get("interfaces", []), by["default"]


# ---------------------------------------------------------------- proxy ND

@pytest.mark.parametrize("site,isp", [("a", "isp1"), ("a", "isp2"), ("c", "isp1"), ("c", "isp2")])
def test_proxy_nd(srv6, site, isp):
    """The ISP router resolves SIDs inside the on-link WAN /64 to the
    neptune's WAN MAC (proxy ND): locator::1 answers echo, vpn1's SID is
    resolved."""
    from ipaddress import IPv6Address  # noqa: PLC0415
    dev = {"a": f"nep-{isp}", "c": f"s6c-{isp}"}[site]
    end_sid = str(IPv6Address(LOCATORS[site][isp]) + 1)
    dt_sid = sid(site, isp, "vpn1")
    srv6.ns(isp, "ip", "-6", "neigh", "flush", "dev", dev)
    r = srv6.ping(isp, end_sid, count=2)
    assert r.returncode == 0, f"{isp} -> {end_sid} (End SID):\n{r.stdout}{r.stderr}"
    srv6.ns(isp, "ping", "-n", "-c", 1, "-W", 1, dt_sid)  # an echo to a DT46 SID: no answer
    bad = []
    for s in (end_sid, dt_sid):
        n = srv6.ns(isp, "ip", "-6", "neigh", "show", s, "dev", dev).stdout
        if MAC[(site, isp)] not in n.lower():
            bad.append(f"{s}: {n.strip() or 'no entry'}")
    assert not bad, f"{isp}: SIDs not resolved to {MAC[(site, isp)]}: {bad}"


# ---------------------------------------------------------------- vpn1

PAIRS = [("client", "hostb"), ("client", "hostc"), ("hostb", "client"),
         ("hostb", "hostc"), ("hostc", "client"), ("hostc", "hostb")]


@pytest.mark.parametrize("fam", [6, 4], ids=["ipv6", "ipv4"])
@pytest.mark.parametrize("src,dst", PAIRS, ids=[f"{s}-{d}" for s, d in PAIRS])
def test_vpn1_ping(srv6, src, dst, fam):
    r = srv6.ping(src, ADDR[dst][fam], count=3, interval=0.2, wait=2)
    assert r.returncode == 0, \
        f"{src} -> {dst} {ADDR[dst][fam]}:\n{r.stdout}{r.stderr}\n{srv6.logs()}"


IPERF_PAIRS = [("client", "hostb"), ("client", "hostc"), ("hostb", "hostc")]


@pytest.mark.parametrize("fam", [6, 4], ids=["ipv6", "ipv4"])
@pytest.mark.parametrize("src,dst", IPERF_PAIRS, ids=[f"{s}-{d}" for s, d in IPERF_PAIRS])
def test_vpn1_iperf3_tcp(srv6, src, dst, fam):
    """3 s of TCP at 50 Mbit/s (not a benchmark): no error, bytes arrive."""
    port = 5301
    srv = cli = None
    try:
        srv = subprocess.Popen(["ip", "netns", "exec", dst, "iperf3", "-s", "-1", "-p",
                                str(port), "-B", ADDR[dst][fam]],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listen(srv6.a, dst, port)
        r = srv6.ns(src, "iperf3", "-c", ADDR[dst][fam], "-p", port, "-t", 3, "-b", "50M",
                    "-J", timeout=30)
    finally:
        stop_procs(cli, srv)
    try:
        res = json.loads(r.stdout)
    except ValueError:
        pytest.fail(f"iperf3 -J output is not JSON (rc {r.returncode}):\n{r.stdout}\n{r.stderr}")
    assert "error" not in res, f"{res['error']}\n{srv6.logs()}"
    got = res["end"]["sum_received"]["bytes"]
    print(f"\niperf3 {src} -> {dst} IPv{fam}: {got} bytes, "
          f"{res['end']['sum_received']['bits_per_second'] / 1e6:.1f} Mbit/s, "
          f"retransmits {res['end']['sum_sent'].get('retransmits')}")
    assert got > 1_000_000, f"only {got} bytes received"


def test_wire_format(srv6, tmp_path):
    """What A sends on isp1/isp2 for client's echo requests: outer source the
    uplink's WAN address, hop limit 64, a non-zero flow label, an SRH with
    the policy's segments (to C: one SID, SL 0, C's locator + 0x100; to B:
    <B's address, B's SID>, SL 1, outer destination B's address), inner
    packet untouched."""
    from scapy.all import IP, UDP, IPv6, IPv6ExtHdrSegmentRouting  # noqa: PLC0415
    where = [("isp1", "nep-isp1"), ("isp2", "nep-isp2")]
    a_srcs = set(WAN["a"].values())
    with Captures(tmp_path, where, "ip6 and src net 2001:db8::/32 and ip6[6] == 43") as caps:
        for dst in ("hostb", "hostc"):
            for fam in (6, 4):
                # several identifiers, so that several paths are seen
                for ident in random.sample(range(1000, 60000), 6):
                    srv6.ns("client", "ping", "-n", "-c", 1, "-W", 1, "-e", ident,
                            ADDR[dst][fam])
    seen = {}
    bad = []
    stamp = 0
    for w in where:
        for p in caps[w]:
            if IPv6 not in p or IPv6ExtHdrSegmentRouting not in p:
                continue
            o = p[IPv6]
            if o.src not in a_srcs:
                continue  # B's or C's packets crossing this ISP
            srh = p[IPv6ExtHdrSegmentRouting]
            inner = srh.payload
            fam = 6 if isinstance(inner, IPv6) else 4 if isinstance(inner, IP) else None
            segs = list(srh.addresses)
            key = (w[0], o.src, o.dst, tuple(segs), srh.segleft, fam)
            seen[key] = seen.get(key, 0) + 1
            if o.hlim != 64:
                bad.append(f"{key}: outer hop limit {o.hlim}")
            if o.fl == 0:
                bad.append(f"{key}: flow label 0")
            if srh.nh != (41 if fam == 6 else 4):
                bad.append(f"{key}: SRH next header {srh.nh}")
            if srh.lastentry != len(segs) - 1:
                bad.append(f"{key}: last entry {srh.lastentry} for {len(segs)} segments")
            if fam == 6 and inner.src == GW["client"][6] and UDP in inner and \
                    {inner[UDP].sport, inner[UDP].dport} & {862, 8620}:
                # A's STAMP sessions to C's reflector (and A's reflector's
                # replies to C's): the same outer headers as the traffic,
                # the inner packet checked by tests/lab/test_stamp.py
                stamp += 1
                tgt = "hostc"
            elif fam is None or inner.src != ADDR["client"][fam]:
                bad.append(f"{key}: inner {inner.summary()}")
                continue
            else:
                tgt = "hostb" if inner.dst == ADDR["hostb"][fam] else "hostc"
            up = "isp1" if o.src == WAN["a"]["isp1"] else "isp2"
            if w[0] != up:
                bad.append(f"{key}: source of {up} seen on {w[0]}")
            if tgt == "hostc":
                if not (len(segs) == 1 and srh.segleft == 0 and o.dst == segs[0]
                        and segs[0] in (sid("c", "isp1", "vpn1"), sid("c", "isp2", "vpn1"))):
                    bad.append(f"{key}: not a single-SID list to C's vpn1 SID")
            else:
                # SRH order: segments[0] is the last segment
                if not (len(segs) == 2 and srh.segleft == 1 and segs[0] == B_SID[fam]
                        and segs[1] == o.dst and o.dst in WAN["b"].values()):
                    bad.append(f"{key}: not <B address, {B_SID[fam]}>")
    print("\nencapsulated by A: " + "; ".join(
        f"{k[0]} {k[1]} -> {k[2]} segs {list(k[3])} SL {k[4]} IPv{k[5]}: {n}"
        for k, n in sorted(seen.items(), key=str)))
    assert seen, "no encapsulated packet from A captured on isp1/isp2"
    assert not bad, bad[:20]
    assert stamp > 0, "no STAMP packet of A's sessions to C among them"
    for tgt_segs in ({sid("c", "isp1", "vpn1"), sid("c", "isp2", "vpn1")},):
        assert any(k[2] in tgt_segs for k in seen), "no packet to C's SIDs"
    assert any(k[2] in WAN["b"].values() for k in seen), "no packet to B"


# ---------------------------------------------------------------- vpn2

V2_PAIRS = [("client2", "hostc-v100"), ("hostc-v100", "client2")]


@pytest.mark.parametrize("fam", [6, 4], ids=["ipv6", "ipv4"])
@pytest.mark.parametrize("src,dst", V2_PAIRS, ids=[f"{s}-{d}" for s, d in V2_PAIRS])
def test_vpn2_ping(srv6, src, dst, fam):
    """client2 (VLAN 100 at A, VRF blue) and hostc's VLAN 100 address (VRF
    blue at C) reach each other over vpn2 (hostc pings from its VLAN 100
    address)."""
    extra = ("-I", ADDR[src][fam]) if src == "hostc-v100" else ()
    r = srv6.ping(ns_of(src), ADDR[dst][fam], count=3, interval=0.2, wait=2, extra=extra)
    assert r.returncode == 0, \
        f"{src} -> {dst} {ADDR[dst][fam]}:\n{r.stdout}{r.stderr}\n{srv6.logs()}"


@pytest.mark.parametrize("fam", [6, 4], ids=["ipv6", "ipv4"])
def test_vpn1_vpn2_same_subnet(srv6, tmp_path, fam):
    """client and client2 (both 192.0.2.10 for IPv4) ping hostc at the same
    time, each its own overlay's address: both are answered, each request
    arrives at hostc on its own interface, each reply at its own client."""
    where = [("client", "nep-lan"), ("client2", "vlan100"), ("hostc", "s6c-lan"),
             ("hostc", "vlan100")]
    with Captures(tmp_path, where, "icmp or icmp6") as caps:
        procs = {h: subprocess.Popen(
            ["ip", "netns", "exec", h, "ping", "-n", "-c", "5", "-i", "0.2", "-W", "2", ADDR[d][fam]],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for h, d in (("client", "hostc"), ("client2", "hostc-v100"))}
        outs = {h: p.communicate(timeout=30)[0] for h, p in procs.items()}
        rcs = {h: p.returncode for h, p in procs.items()}
    assert rcs == {"client": 0, "client2": 0}, f"{rcs}\n{outs}\n{srv6.logs()}"
    c, c2 = ADDR["client"][fam], ADDR["client2"][fam]
    h1, h2 = ADDR["hostc"][fam], ADDR["hostc-v100"][fam]
    req_lan = set(echo_requests(caps[("hostc", "s6c-lan")]))
    req_v100 = set(echo_requests(caps[("hostc", "vlan100")]))
    rep_c = set(echo_replies(caps[("client", "nep-lan")]))
    rep_c2 = set(echo_replies(caps[("client2", "vlan100")]))
    assert req_lan == {(fam, c, h1)}, f"echo requests on hostc's LAN: {req_lan}"
    assert req_v100 == {(fam, c2, h2)}, f"echo requests on hostc's VLAN 100: {req_v100}"
    assert rep_c == {(fam, h1, c)}, f"echo replies at client: {rep_c}"
    assert rep_c2 == {(fam, h2, c2)}, f"echo replies at client2: {rep_c2}"


ISOLATED = [("client2", "hostb", 6), ("client2", "hostb", 4), ("client2", "hostc", 6),
            ("client2", "hostc", 4), ("client", "hostc-v100", 6), ("client", "hostc-v100", 4)]


@pytest.mark.parametrize("src,dst,fam", ISOLATED,
                         ids=[f"{s}-{d}-ipv{f}" for s, d, f in ISOLATED])
def test_vpn_isolation(srv6, tmp_path, src, dst, fam):
    """vpn2's client2 reaches neither hostb nor hostc's vpn1 address, and
    vpn1's client does not reach hostc's vpn2 address: no reply, and no
    echo request arrives at any far host."""
    where = [("hostb", "to-siteb"), ("hostc", "s6c-lan"), ("hostc", "vlan100")]
    with Captures(tmp_path, where, "icmp or icmp6") as caps:
        r = srv6.ping(ns_of(src), ADDR[dst][fam], count=3, interval=0.2, wait=1)
    arrived = {w: echo_requests(caps[w]) for w in where}
    arrived = {w: v for w, v in arrived.items() if v}
    assert not arrived, f"{src} -> {dst} {ADDR[dst][fam]} leaked: {arrived}"
    assert r.returncode != 0 and " bytes from " not in r.stdout, \
        f"{src} -> {dst} {ADDR[dst][fam]} answered:\n{r.stdout}"


# ---------------------------------------------------------------- unknown SID

UNKNOWN_SID = "2001:db8:10:1:5::dead"

SEND_TO_SID = textwrap.dedent("""
    import sys
    from scapy.all import IP, ICMP, IPv6, IPv6ExtHdrSegmentRouting, ICMPv6EchoRequest, conf, send
    conf.verb = 0
    src, sid, n, srh = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "srh"
    inner = IPv6(src="fd42:200:1::10", dst="fd42:100:1::10") / ICMPv6EchoRequest(id=0x5e1d, seq=1)
    if srh:
        p = IPv6(src=src, dst=sid) / IPv6ExtHdrSegmentRouting(addresses=[sid], segleft=0) / inner
    else:
        p = IPv6(src=src, dst=sid, nh=41) / inner
    send(p, count=n, inter=0.005)
""")


def find_counter(obj, name):
    """The value of counter `name` anywhere in a JSON view: a key `name` or
    an object whose reason/name is `name` with a count; None if absent."""
    if isinstance(obj, dict):
        for tag in ("reason", "name", "counter"):
            if obj.get(tag) == name:
                for k in ("count", "packets", "value"):
                    if isinstance(obj.get(k), int):
                        return obj[k]
        if isinstance(obj.get(name), int):
            return obj[name]
        for v in obj.values():
            x = find_counter(v, name)
            if x is not None:
                return x
    elif isinstance(obj, list):
        for v in obj:
            x = find_counter(v, name)
            if x is not None:
                return x
    return None


def unknown_sid_counters(a):
    errors = find_counter(a.cli_json("show", "errors"), "srv6_unknown_sid") or 0
    sids = a.cli_json("show", "sr", "localsids")
    ls = find_counter(sids, "unknown_sid_drops")
    if ls is None:
        ls = find_counter(sids, "srv6_unknown_sid")
    return errors, ls


@pytest.mark.parametrize("srh", ["srh", "no-srh"])
def test_unknown_sid_dropped(srv6, tmp_path, srh):
    """20 packets from siteb to 2001:db8:10:1:5::dead (inside A's isp1
    locator, not allocated), with an SRH (SL 0) or as plain IPv6-in-IPv6:
    all dropped (nothing reaches client) and counted as srv6_unknown_sid in
    `show errors` and in `show sr localsids`."""
    n = 20
    e0, l0 = unknown_sid_counters(srv6.a)
    with Captures(tmp_path, [("client", "nep-lan")], "icmp6 and ip6[40] == 128") as caps:
        srv6.ns("siteb", "/usr/bin/python3", "-c", SEND_TO_SID, WAN["b"]["isp1"], UNKNOWN_SID,
                n, srh, timeout=60, check=True)
        time.sleep(0.5)
    e1, l1 = unknown_sid_counters(srv6.a)
    print(f"\nunknown SID ({srh}): show errors srv6_unknown_sid {e0} -> {e1}, "
          f"show sr localsids {l0} -> {l1}")
    leaked = [p.summary() for p in caps[("client", "nep-lan")]]
    assert not leaked, f"packets to the unknown SID reached client: {leaked[:5]}"
    assert n <= e1 - e0 <= n + 2, \
        f"show errors srv6_unknown_sid grew by {e1 - e0}, want {n}\n" \
        f"{srv6.a.cli('show', 'errors').stdout}"
    assert l0 is not None and l1 is not None, \
        f"no unknown-SID counter in show sr localsids --json: " \
        f"{json.dumps(srv6.a.cli_json('show', 'sr', 'localsids'))[:1500]}"
    assert n <= l1 - l0 <= n + 2, f"show sr localsids unknown SID counter grew by {l1 - l0}"


# ---------------------------------------------------------------- MTU, MSS

def flush_pmtu(srv6, ns):
    srv6.ns(ns, "ip", "-6", "route", "flush", "cache")
    srv6.ns(ns, "ip", "-4", "route", "flush", "cache")


def policy_mtu(a, remote, fam):
    """The MTU `show sr policies` reports for A's vpn1 paths to remote (the
    set of values), or None if it reports none."""
    pol, _ = policies(a)
    vals = {p.get("mtu") for p in pol.get(("vpn1", remote, fam), [])} - {None}
    return vals or None


@pytest.mark.parametrize("fam", [6, 4], ids=["ipv6", "ipv4"])
@pytest.mark.parametrize("dst", ["hostc", "hostb"])
def test_path_mtu_error(srv6, dst, fam):
    """A 1500-byte echo with DF from client to dst gets Packet Too Big /
    Fragmentation Needed from neptune's LAN address with the path's MTU
    (1500 - 64 = 1436 to C, 1500 - 80 = 1420 to B); a packet of exactly that
    size gets through."""
    mtu = UPLINK_MTU - OVERHEAD[SITE_OF[dst]]
    reported = policy_mtu(srv6.a, SITE_OF[dst], fam)
    if reported is not None:
        assert reported == {mtu}, f"show sr policies mtu {reported}, want {mtu}"
    hdr = 48 if fam == 6 else 28  # IP + ICMP headers
    flush_pmtu(srv6, "client")
    try:
        r = srv6.ns("client", "ping", "-n", "-c", 2, "-W", 2, "-M", "do", "-s",
                    UPLINK_MTU - hdr, ADDR[dst][fam], timeout=20)
        if fam == 6:
            want = f"From {GW['client'][6]} icmp_seq=1 Packet too big: mtu={mtu}"
        else:
            want = f"From {GW['client'][4]} icmp_seq=1 Frag needed and DF set (mtu = {mtu})"
        assert want in r.stdout, f"want '{want}':\n{r.stdout}{r.stderr}"
        flush_pmtu(srv6, "client")
        ok = srv6.ns("client", "ping", "-n", "-c", 2, "-W", 2, "-M", "do", "-s",
                     mtu - hdr, ADDR[dst][fam], timeout=20)
        assert ok.returncode == 0, \
            f"a {mtu}-byte packet (the path MTU) did not get through:\n{ok.stdout}{ok.stderr}"
    finally:
        flush_pmtu(srv6, "client")


LISTEN = textwrap.dedent("""
    import socket, sys, time
    fam, addr, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_INET6 if fam == 6 else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4)
    s.settimeout(15)
    print("listening", flush=True)
    try:
        c, _ = s.accept()
        time.sleep(0.5)
        c.close()
    except OSError:
        pass
""")

CONNECT = textwrap.dedent("""
    import socket, sys
    fam, addr, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_INET6 if fam == 6 else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((addr, port))
    s.close()
""")


def syn_mss(pkts, syn_ack):
    """[(src, dst, mss)] of the SYNs (or SYN-ACKs) in pkts."""
    from scapy.all import TCP  # noqa: PLC0415
    out = []
    for p in pkts:
        if TCP not in p:
            continue
        f = int(p[TCP].flags)
        if not f & 0x02 or bool(f & 0x10) != syn_ack:
            continue
        mss = dict((k, v) for k, v in p[TCP].options if isinstance(k, str)).get("MSS")
        out.append((p[TCP].underlayer.src, p[TCP].underlayer.dst, mss))
    return out


@pytest.mark.parametrize("fam", [6, 4], ids=["ipv6", "ipv4"])
@pytest.mark.parametrize("dst", ["hostc", "hostb"])
def test_mss_clamp(srv6, tmp_path, dst, fam):
    """A TCP connection client -> dst: the SYN arrives at dst with its MSS
    clamped by A to the path MTU - 40 (IPv4) / - 60 (IPv6) (client offers
    1460 / 1440); with C (a neptune at both ends) the SYN-ACK arrives at
    client clamped by C too."""
    mtu = UPLINK_MTU - OVERHEAD[SITE_OF[dst]]
    want = mtu - (40 if fam == 4 else 60)
    port = random.randint(40000, 49000)
    where = [(dst, LAN_IF[dst]), ("client", "nep-lan")]
    lst = None
    with Captures(tmp_path, where, f"tcp port {port}") as caps:
        try:
            lst = subprocess.Popen(["ip", "netns", "exec", dst, "/usr/bin/python3", "-c", LISTEN,
                                    str(fam), ADDR[dst][fam], str(port)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            assert lst.stdout.readline().strip() == "listening", "listener did not start"
            r = srv6.ns("client", "/usr/bin/python3", "-c", CONNECT, fam, ADDR[dst][fam], port,
                        timeout=20)
            assert r.returncode == 0, f"connect client -> {dst}: {r.stdout}{r.stderr}"
            lst.wait(10)
        finally:
            stop_procs(lst)
    syn_sent = syn_mss(caps[("client", "nep-lan")], False)
    syn_far = syn_mss(caps[(dst, LAN_IF[dst])], False)
    synack_client = syn_mss(caps[("client", "nep-lan")], True)
    print(f"\nMSS client -> {dst} IPv{fam}: sent {syn_sent}, arrived {syn_far}, "
          f"SYN-ACK at client {synack_client}; want {want}")
    assert syn_sent and syn_sent[0][2] == UPLINK_MTU - (40 if fam == 4 else 60), syn_sent
    assert syn_far, f"no SYN arrived at {dst}"
    assert {m for _, _, m in syn_far} == {want}, \
        f"SYN at {dst} with MSS {[m for _, _, m in syn_far]}, want {want} (path MTU {mtu})"
    if dst == "hostc":
        assert synack_client and {m for _, _, m in synack_client} == {want}, \
            f"SYN-ACK at client with MSS {[m for _, _, m in synack_client]}, want {want}"


# ---------------------------------------------------------------- failover

PROBE_SYN = textwrap.dedent("""
    import socket, sys
    fam, dst, port, sport, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    for _ in range(n):
        s = socket.socket(socket.AF_INET6 if fam == 6 else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(1)
        try:
            s.bind(("", sport))
            s.connect((dst, port))
        except OSError:
            pass
        finally:
            s.close()
""")


def flow_paths(srv6, remote, send, n=3):
    """Run send(), which sends n packets of one flow from client toward
    `remote` (and gets answers back): (A's path entry that carried them, C's
    path entry that carried the answers, if remote is C), each None if not
    exactly one path's tx_packets grew by >= n."""
    sites = [(srv6.a, remote)] + ([(srv6.c, "a")] if remote == "c" else [])
    before = [path_tx(s, r) for s, r in sites]
    send()
    time.sleep(0.2)
    out = []
    for (s, r), b in zip(sites, before):
        after = path_tx(s, r)
        grew = [k for k in after if after[k] - b.get(k, 0) >= n]
        out.append(overlay_paths(s, r)[grew[0]] if len(grew) == 1 else None)
    return out + [None] * (2 - len(out))


def desc(p):
    return p and f"{p.get('uplink')}->{p.get('remote')}"


def pick_tcp_port(srv6, dst, port, fam, uplink="isp1", tries=24):
    """A client source port whose TCP flow client -> dst:port rides one of
    A's paths over `uplink` (3 refused SYNs, then the paths' tx counters);
    returns (port, A's path, C's path of the RSTs)."""
    seen = {}
    for sport in random.sample(range(41000, 49000), tries):
        def send():
            srv6.ns("client", "/usr/bin/python3", "-c", PROBE_SYN, fam, ADDR[dst][fam], port,
                    sport, 3, timeout=30)
        pa, pc = flow_paths(srv6, SITE_OF[dst], send)
        seen[sport] = desc(pa)
        if pa and pa.get("uplink") == uplink:
            return sport, pa, pc
    pytest.fail(f"no client port whose flow to {dst} rides {uplink} in {tries} tries: {seen}")


def pick_echo_id(srv6, dst, fam, uplink="isp1", tries=24):
    """An echo identifier whose flow client -> dst rides one of A's paths
    over `uplink`; returns (identifier, A's path, C's path of the replies)."""
    seen = {}
    for ident in random.sample(range(1000, 65000), tries):
        def send():
            srv6.ns("client", "ping", "-n", "-c", 3, "-i", 0.05, "-W", 1, "-e", ident,
                    ADDR[dst][fam])
        pa, pc = flow_paths(srv6, SITE_OF[dst], send)
        seen[ident] = desc(pa)
        if pa and pa.get("uplink") == uplink:
            return ident, pa, pc
    pytest.fail(f"no echo identifier whose flow to {dst} rides {uplink} in {tries} tries: {seen}")


def record_result(key, value):
    measure.record_result(RESULTS, key, value, "srv6 failover")


def wan_tx_bytes(a):
    st = a.cli_json("show", "port", "stats")
    out = {}
    for e in st["ports"]:
        if e["name"] in ("wan1", "wan2"):
            out[e["name"]] = e["tx_bytes"]
    return out


# What fails with isp1, seen from each neptune: A loses every path over
# its isp1 uplink (link: its own port; upstream: isp1 forwards nothing) and,
# upstream, also isp2 -> C's isp1 locator (through the core and isp1); C
# loses every path to A's isp1 locator (link: A's end of it is down;
# upstream: isp1 forwards nothing) and, upstream, also its own isp1 uplink.
A_ISP1_LOC = "2001:db8:10:1:5::"


@pytest.mark.parametrize("what", ["upstream", "link"])
def test_overlay_failover(srv6, tmp_path, what):
    """isp1 fails (lab/fail isp1 upstream: beyond the ISP's first hop, or
    link: A's nep-isp1 down) during a 20 s iperf3 TCP session client ->
    hostc over vpn1 (20 Mbit/s) whose data flow rides one of A's isp1 paths,
    with a 1000 pps echo (also on an isp1 path at A) beside it: A's paths
    over isp1 and C's paths to A's isp1 locator go down, the flows move to
    isp2 and the session completes without a reset; the outage is measured
    (echo loss, iperf3 0.1 s intervals) and written to
    tests/lab/srv6-failover-results.json."""
    port, fam, dst = 5302, 6, "hostc"
    sport, tcp_a, tcp_c = pick_tcp_port(srv6, dst, port, fam)
    ident, echo_a, echo_c = pick_echo_id(srv6, dst, fam)
    srv = cli = None
    rp = RatePing(tmp_path, ADDR["client"][6], ADDR[dst][6], ident)
    injected = False
    try:
        srv = subprocess.Popen(["ip", "netns", "exec", dst, "iperf3", "-s", "-1", "-p",
                                str(port), "-B", ADDR[dst][fam]],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listen(srv6.a, dst, port)
        t_launch = time.time()
        cli = subprocess.Popen(["ip", "netns", "exec", "client", "iperf3", "-c", ADDR[dst][fam],
                                "-p", str(port), "--cport", str(sport), "-t", "20", "-i", "0.1",
                                "-b", "20M", "-J"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rp.start()
        time.sleep(2.0)
        # the data flow rides the path the probe found
        key = (tcp_a["_site"], tcp_a.get("path"))
        before = path_tx(srv6.a, "c")
        time.sleep(0.5)
        grew = path_tx(srv6.a, "c")[key] - before[key]
        assert grew > 300, f"A's path {desc(tcp_a)} carried {grew} packets in 0.5 s of " \
            f"iperf3 at 20 Mbit/s: the flow is elsewhere\n{srv6.a.cli('show', 'overlays').stdout}"
        time.sleep(1.0)
        t_inject = time.time()
        injected = True
        lab_fail("isp1", what)
        t_down_a = wait_paths(srv6.a, "down", 5, remote="c", uplink="isp1")
        t_down_c = time.time() - t_inject + \
            wait_paths(srv6.c, "down", 5, remote="a", endpoint=A_ISP1_LOC)
        time.sleep(max(0.0, 2.0 - (time.time() - t_inject)))
        w0 = wan_tx_bytes(srv6.a)
        time.sleep(2.0)
        w1 = wan_tx_bytes(srv6.a)
        wan_during = {k: w1[k] - w0[k] for k in w0}
        states_a = {desc(p): p.get("state") for p in overlay_paths(srv6.a, "c").values()}
        states_c = {desc(p): p.get("state") for p in overlay_paths(srv6.c, "a").values()}
        time.sleep(1.0)
        t_clear = time.time()
        lab_fail("isp1", "clear")
        injected = False
        t_up_a = wait_paths(srv6.a, "up", 15, remote="c")
        out, err = cli.communicate(timeout=40)
    finally:
        send, recv = rp.stop()
        stop_procs(cli, srv)
        if injected:
            lab_fail("isp1", "clear")
    try:
        res = json.loads(out)
    except ValueError:
        pytest.fail(f"iperf3 -J output is not JSON (rc {cli.returncode}):\n{out}\n{err}")
    ivals = [(i["sum"]["start"], i["sum"]["bytes"]) for i in res.get("intervals", [])]
    zero = [round(s, 1) for s, b in ivals if b == 0]
    at = t_inject - t_launch  # ~ the failure's time in iperf3's intervals
    runs = loss_runs(send, recv)
    fail_runs = [r for r in runs if t_inject - 0.002 <= send[r[0]] < t_clear]
    main = max(fail_runs, key=lambda r: r[1], default=None)
    outage_ms = main[2] if main and main[2] is not None else 0.0
    lost = sum(n for _, n, _ in fail_runs)
    result = {
        "what": what, "overlay": "vpn1", "flow": f"client:{sport} -> hostc:{port} IPv6",
        "tcp_path_a": desc(tcp_a), "tcp_path_c": desc(tcp_c),
        "echo_path_a": desc(echo_a), "echo_path_c": desc(echo_c),
        "paths_down_ms_a": round(t_down_a * 1000, 1),
        "paths_down_ms_c": round(t_down_c * 1000, 1),
        "paths_up_after_clear_ms_a": round(t_up_a * 1000, 1),
        "states_while_down_a": states_a, "states_while_down_c": states_c,
        "echo_lost": lost, "echo_outage_ms": round(outage_ms, 1),
        "echo_sent": len(send), "echo_received": len(recv),
        "echo_loss_runs": [(k, n, round(ms, 1) if ms else ms) for k, n, ms in runs[:20]],
        "iperf3_failure_at_s": round(at, 2),
        "iperf3_zero_intervals_s": zero,
        "iperf3_zero_ms": round(100.0 * len(zero), 1),
        "iperf3_retransmits": res.get("end", {}).get("sum_sent", {}).get("retransmits"),
        "iperf3_received_bytes": res.get("end", {}).get("sum_received", {}).get("bytes"),
        "wan_tx_bytes_while_down": wan_during,
        "iperf3_error": res.get("error"),
    }
    record_result(what, result)
    assert "error" not in res, f"iperf3: {res['error']}\n{srv6.logs()}"
    assert cli.returncode == 0, err
    assert res["end"]["sum_sent"]["seconds"] >= 19, res["end"]["sum_sent"]
    late = [s for s in zero if s > at + 2.0]
    assert not late, f"iperf3 0-byte intervals at {late} s (failure at {at:.1f} s)"
    assert wan_during["wan2"] > 1_000_000 and wan_during["wan2"] > 20 * wan_during["wan1"], \
        f"while isp1 was down A sent {wan_during} bytes on wan1/wan2"
    assert recv and max(recv.values()) > t_inject + 2, \
        "the echo flow was not answered after the failure"
    assert outage_ms <= FAILOVER_MAX_MS, \
        f"echo outage {outage_ms:.0f} ms ({lost} lost at 1000 pps), want <= {FAILOVER_MAX_MS} ms"
