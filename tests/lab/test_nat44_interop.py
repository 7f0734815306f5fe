#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""NAT44's independent checks (issue 13; docs/nat44.md, "Independent
checks"): neptune's NAT44 (config/neptune-lab-nat44.yaml) judged by tools
and a NAT it shares no code with.

- RFC 5780 NAT behaviour discovery with Debian's coturn: a STUN server
  (turnserver on two addresses, ports 3478 and 3479: lab/stun) behind the
  ISPs, and `turnutils_natdiscovery -m -f` from the client. Through the
  strict isp1 path (srv1) it must report endpoint-independent mapping and,
  with the config's `filtering: endpoint-independent`, endpoint-independent
  filtering. Against a balanced destination (srv-global-bal) each of the
  tool's flows is steered on its own: its verdict must match the uplinks
  neptune chose (EIM is per uplink, the tool cannot tell uplinks apart).
- The Linux kernel's NAT (nftables `masquerade`, lab/knat: namespaces of
  its own) on the same probes from the same inside address and ports: the
  same tool, mapping reuse and port preservation (they agree), UDP
  timeouts measured over 60 s and read from conntrack and the sysctls,
  and where they differ by design (filtering, the UDP timer of a single
  exchange, TCP established, ICMP), printed without asserting agreement.

The 60 s timeout probes start with the module (fixture `udp_timers`) and
are checked by the last test, so they overlap the other tests.
"""
import json
import os
import re
import subprocess
import textwrap
import time

import pytest

from conftest import CONFIG, LAB_DIR, REPO, Lab, lab_up, standard_lab_running

NAT_CONFIG = REPO / "config" / "neptune-lab-nat44.yaml"
CLIENT4 = "192.0.2.10"              # the lab's client, and knat-cli's twin
WAN4 = {"isp1": "198.51.100.18", "isp2": "198.51.100.34", "isp3": "198.51.100.50"}
# STUN servers, (primary, alternate): behind neptune's ISPs, on the strict
# isp1 path (srv1) and on a balanced destination (srv-global-bal); the
# alternate addresses are added by the module and removed after it.
STUN_STRICT = ("srv1", "to-isp1", "203.0.113.42", "203.0.113.43")
STUN_BAL = ("srv-global-bal", "to-core", "203.0.113.10", "203.0.113.11")
# The kernel NAT (lab/knat): its public address and its STUN server.
KNAT_PUB = "198.51.100.66"
STUN_KNAT = ("knat-srv", None, "203.0.113.113", "203.0.113.114")
TIMER_S = 60


# ------------------------------------------------------------ processes

def run(*cmd, timeout=60, check=True):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} -> {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def nsrun(ns, *cmd, timeout=60, check=True):
    return run("ip", "netns", "exec", ns, *cmd, timeout=timeout, check=check)


def stun_start(server):
    ns, _, a1, a2 = server
    run(LAB_DIR / "stun", "start", ns, a1, a2, timeout=30)


def stun_stop(server):
    run(LAB_DIR / "stun", "stop", server[0], timeout=30, check=False)




@pytest.fixture(scope="module")
def nat():
    """The NAT44 lab with STUN servers on srv1 and srv-global-bal; after the
    module the standard lab again if it ran before, else nothing."""
    if os.geteuid() != 0:
        pytest.fail("tests/lab must run as root")
    for tool in ("turnserver", "turnutils_natdiscovery", "conntrack", "nft"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"],
                          capture_output=True).returncode:
            pytest.fail(f"missing tool: {tool} (lab/install-deps)")
    restore = standard_lab_running()
    added = []
    try:
        lab_up(NAT_CONFIG, build=False)
        for server in (STUN_STRICT, STUN_BAL):
            ns, dev, _, alt = server
            run("ip", "-n", ns, "addr", "add", alt + "/28", "dev", dev)
            added.append(server)
            stun_start(server)
        yield Lab()
    finally:
        for ns, dev, _, alt in added:
            stun_stop((ns, dev, None, alt))
            run("ip", "-n", ns, "addr", "del", alt + "/28", "dev", dev, check=False)
        if restore:
            lab_up(CONFIG, build=False)
        else:
            r = run(LAB_DIR / "down", timeout=120, check=False)
            if r.returncode != 0:
                pytest.fail(f"lab/down -> {r.returncode}\n{r.stdout}{r.stderr}")


@pytest.fixture(scope="module")
def knat():
    """The kernel NAT (lab/knat) with its STUN server; removed after the module."""
    try:
        run(LAB_DIR / "knat", "up", timeout=60)
        stun_start(STUN_KNAT)
        yield
    finally:
        stun_stop(STUN_KNAT)
        run(LAB_DIR / "knat", "down", timeout=60, check=False)


@pytest.fixture(autouse=True)
def neptune_alive(nat):
    assert nat.neptune_pid(), f"neptune is not running\n{nat.log_tail()}"
    yield
    if not nat.neptune_pid():
        pytest.fail(f"neptune died during the test\n{nat.log_tail()}")


# ------------------------------------------------------------ STUN probes

# A minimal RFC 5389 Binding client: one socket bound to (ADDR, PORT), one
# request per destination HOST:PORT; prints the XOR-MAPPED-ADDRESS of each
# answer (the socket's public endpoint as that server saw it) as JSON.
STUN_PROBE = textwrap.dedent("""
    import json, os, socket, struct, sys
    COOKIE = 0x2112A442
    def binding(s, dst):
        tid = os.urandom(12)
        for _ in range(3):
            s.sendto(struct.pack("!HHI", 1, 0, COOKIE) + tid, dst)
            s.settimeout(1.0)
            try:
                while True:
                    d, src = s.recvfrom(2048)
                    if len(d) >= 20 and d[8:20] == tid:
                        break
            except socket.timeout:
                continue
            n, i = 20 + struct.unpack("!H", d[2:4])[0], 20
            while i + 4 <= n:
                t, ln = struct.unpack("!HH", d[i:i + 4])
                v = d[i + 4:i + 4 + ln]
                if t == 0x0020 and v[1] == 1:
                    port = struct.unpack("!H", v[2:4])[0] ^ (COOKIE >> 16)
                    a = struct.unpack("!I", v[4:8])[0] ^ COOKIE
                    return [socket.inet_ntoa(struct.pack("!I", a)), port, src[0], src[1]]
                i += 4 + (ln + 3) // 4 * 4
        return None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], int(sys.argv[2])))
    out = []
    for hp in sys.argv[3:]:
        h, p = hp.rsplit(":", 1)
        out.append(binding(s, (h, int(p))))
    print(json.dumps(out))
""")


def stun_probe(ns, port, *dests):
    """[(public addr, public port), ...] of one inside socket, per destination."""
    r = nsrun(ns, "/usr/bin/python3", "-c", STUN_PROBE, CLIENT4, port, *dests,
              timeout=30)
    res = json.loads(r.stdout)
    assert all(res), f"no STUN answer from some of {dests}: {res}"
    return [tuple(m[:2]) for m in res]


def natdiscovery(ns, server, *opts):
    """turnutils_natdiscovery OPTS SERVER in ns: (output, verdicts)."""
    r = nsrun(ns, "turnutils_natdiscovery", *opts, server, timeout=90, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"turnutils_natdiscovery -> {r.returncode}\n{out}"
    verdicts = re.findall(r"NAT with ([A-Za-z ]+?(?:Mapping|Filtering))!", out)
    return out, verdicts


def udp_sessions(lab, inside_port=None):
    r = lab.cli_json("show", "nat44", "sessions", "proto", "udp", "src", CLIENT4,
                     "limit", "100000")
    return [s for s in r["sessions"]
            if inside_port is None or s["inside_port"] == inside_port]


# ------------------------------------------------------------ UDP timers

# The two ends of a timeout probe. The server answers the first datagram
# once (and takes a second one, unanswered, if the client sends it), then
# sends one late datagram to the public endpoint it saw, TIMER_S seconds
# after the first; the client reports whether the late one got through the
# NAT, i.e. whether the mapping was still there.
TIMER_SERVER = textwrap.dedent("""
    import json, socket, sys, time
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], int(sys.argv[2])))
    delay = float(sys.argv[3])
    d, peer = s.recvfrom(2048)
    t0 = time.monotonic()
    s.sendto(b"reply", peer)
    time.sleep(max(0.0, t0 + delay - time.monotonic()))
    s.sendto(b"late", peer)
    print(json.dumps({"public": list(peer)}))
""")
TIMER_CLIENT = textwrap.dedent("""
    import json, socket, sys, time
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], int(sys.argv[2])))
    dst, stream, delay = (sys.argv[3], int(sys.argv[4])), sys.argv[5] == "1", float(sys.argv[6])
    for _ in range(50):  # until the server listens
        s.sendto(b"hello", dst)
        s.settimeout(0.2)
        try:
            if s.recv(100) == b"reply":
                break
        except (socket.timeout, ConnectionRefusedError):
            pass
    else:
        print(json.dumps({"error": "no reply"})); sys.exit(0)
    t0 = time.monotonic()
    if stream:  # a second datagram 3 s later, after the reply
        time.sleep(3)
        s.sendto(b"again", dst)
    s.settimeout(delay + 5)
    try:
        late = s.recv(100) == b"late"
    except socket.timeout:
        late = False
    print(json.dumps({"late": late, "after_s": round(time.monotonic() - t0, 1)}))
""")

# name: (client ns, server ns, server address, server port, inside port, stream)
TIMER_PROBES = {
    "neptune, one reply": ("client", "srv1", "203.0.113.42", 5001, 45001, False),
    "neptune, stream": ("client", "srv1", "203.0.113.42", 5002, 45002, True),
    "kernel, one reply": ("knat-cli", "knat-srv", "203.0.113.113", 5001, 45001, False),
    "kernel, stream": ("knat-cli", "knat-srv", "203.0.113.113", 5002, 45002, True),
}


def conntrack_udp(sport):
    """The kernel's conntrack entry of inside port sport: (timeout left, line)."""
    r = nsrun("knat", "conntrack", "-L", "-p", "udp", "--orig-port-src", sport,
              check=False)
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) > 2 and f[0] == "udp":
            return int(f[2]), line
    return None, r.stdout + r.stderr


@pytest.fixture(scope="module")
def udp_timers(nat, knat):
    """Start the four timeout probes (both NATs, one reply and a stream) and
    read what each NAT holds right after the exchange."""
    procs, servers = {}, {}
    try:
        for name, (cns, sns, saddr, sport, iport, stream) in TIMER_PROBES.items():
            servers[name] = subprocess.Popen(
                ["ip", "netns", "exec", sns, "/usr/bin/python3", "-c", TIMER_SERVER,
                 saddr, str(sport), str(TIMER_S)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, (cns, sns, saddr, sport, iport, stream) in TIMER_PROBES.items():
            end = time.monotonic() + 5
            while not nsrun(sns, "ss", "-Hlun", f"sport = :{sport}").stdout.strip():
                assert time.monotonic() < end and servers[name].poll() is None, \
                    f"{name}: the server did not start\n{servers[name].communicate()}"
                time.sleep(0.05)
        for name, (cns, sns, saddr, sport, iport, stream) in TIMER_PROBES.items():
            srv = servers[name]
            cli = subprocess.Popen(["ip", "netns", "exec", cns, "/usr/bin/python3", "-c",
                                    TIMER_CLIENT, CLIENT4, str(iport), saddr, str(sport),
                                    "1" if stream else "0", str(TIMER_S)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            procs[name] = (srv, cli)
        t0 = time.monotonic()
        time.sleep(1)
        early = {"kernel, one reply": conntrack_udp(45001)}
        time.sleep(4)  # after the stream's second datagram
        early["kernel, stream"] = conntrack_udp(45002)
        for name in ("neptune, one reply", "neptune, stream"):
            ss = udp_sessions(nat, TIMER_PROBES[name][4])
            early[name] = ss[0] if ss else None
        yield {"t0": t0, "procs": procs, "early": early}
    finally:
        for p in [*servers.values(), *(c for _, c in procs.values())]:
            if p.poll() is None:
                p.kill()
            p.communicate()


# ------------------------------------------------------------ tests

def test_mapping_reuse_and_port_preservation(nat, knat, udp_timers):
    """(a) one inside socket, two destinations: the same public endpoint;
    (b) the inside port kept when free. The kernel's masquerade and neptune
    agree on both."""
    res = {}
    for who, ns, (_, _, a1, a2) in (("neptune", "client", STUN_STRICT),
                                    ("kernel", "knat-cli", STUN_KNAT)):
        for port in (41000, 41001):
            res[who, port] = stun_probe(ns, port, f"{a1}:3478", f"{a2}:3478",
                                        f"{a2}:3479")
    print()
    for (who, port), maps in res.items():
        print(f"{who:8} inside {CLIENT4}:{port} -> {maps}")
    for (who, port), maps in res.items():
        pub = WAN4["isp1"] if who == "neptune" else KNAT_PUB
        assert set(maps) == {(pub, port)}, \
            f"{who}: inside port {port} mapped to {maps}, want ({pub}, {port}) for all"
    # neptune's own view: one mapping per inside port, on isp1
    for port in (41000, 41001):
        ss = udp_sessions(nat, port)
        assert [(s["uplink"], s["public"], s["public_port"]) for s in ss] == \
            [("isp1", WAN4["isp1"], port)], ss


def test_natdiscovery_kernel(knat):
    """The same tool against the kernel's masquerade: endpoint-independent
    mapping (the port is free, so conntrack keeps it) and, by design,
    address-and-port-dependent filtering (conntrack admits only the
    remote of an entry)."""
    out, verdicts = natdiscovery("knat-cli", STUN_KNAT[2], "-m", "-f",
                                 "-L", CLIENT4, "-l", "42100")
    print("\n" + out)
    assert verdicts == ["Endpoint Independent Mapping",
                        "Address and Port Dependent Filtering"], verdicts
    refl = re.findall(r"UDP reflexive addr: :? ?([0-9.]+):([0-9]+)", out)
    assert (KNAT_PUB, "42100") in refl and {a for a, _ in refl} == {KNAT_PUB}, refl


def test_natdiscovery_neptune_strict(nat):
    """RFC 5780 discovery through neptune on one uplink (srv1 is strict
    isp1): endpoint-independent mapping and endpoint-independent
    filtering (the lab config's `filtering: endpoint-independent`)."""
    out, verdicts = natdiscovery("client", STUN_STRICT[2], "-m", "-f",
                                 "-L", CLIENT4, "-l", "42000")
    print("\n" + out)
    assert verdicts == ["Endpoint Independent Mapping",
                        "Endpoint Independent Filtering"], verdicts
    refl = re.findall(r"UDP reflexive addr: :? ?([0-9.]+):([0-9]+)", out)
    assert refl and {a for a, _ in refl} == {WAN4["isp1"]}, refl
    assert ("198.51.100.18", "42000") in refl, refl
    # neptune's sessions for the tool's sockets: all on isp1, port kept
    ports = {int(p) for _, p in refl}
    ss = [s for s in udp_sessions(nat) if s["inside_port"] in ports]
    assert ss and all(s["uplink"] == "isp1" and s["public_port"] == s["inside_port"]
                      for s in ss), ss


def _expected_mapping(maps):
    """RFC 5780 section 4.3 from the three mappings (primary, alternate
    address, alternate address and port)."""
    if maps[0] == maps[1]:
        return "Endpoint Independent Mapping"
    if maps[1] == maps[2]:
        return "Address Dependent Mapping"
    return "Address and Port Dependent Mapping"


def test_natdiscovery_neptune_balanced(nat):
    """Against a balanced destination each flow of the tool is steered on
    its own (the flow key has the destination): the tool's verdict is
    endpoint-independent exactly when its flows share an uplink, and
    otherwise says what the per-flow uplinks make of the mapping. Checked
    for one inside port of each kind."""
    a1, a2 = STUN_BAL[2], STUN_BAL[3]
    found = {}
    for port in range(42200, 42240):
        maps = stun_probe("client", port, f"{a1}:3478", f"{a2}:3478", f"{a2}:3479")
        kind = _expected_mapping(maps) == "Endpoint Independent Mapping"
        found.setdefault(kind, (port, maps))
        if len(found) == 2:
            break
    assert len(found) == 2, f"40 inside ports, all {'EIM' if True in found else 'not EIM'}"
    print()
    for kind, (port, maps) in sorted(found.items()):
        ups = {a: u for u, a in WAN4.items()}
        expect = _expected_mapping(maps)
        # the same inside port again: the same flows, the same uplinks
        out, verdicts = natdiscovery("client", a1, "-m", "-L", CLIENT4, "-l", str(port))
        print(f"inside port {port}: uplinks {[ups[a] for a, _ in maps]} mappings {maps}"
              f" -> natdiscovery: {verdicts}\n{out}")
        assert all(p == port for _, p in maps), maps  # port preserved on each uplink
        assert verdicts == [expect], (verdicts, expect, out)


def test_udp_timeouts(nat, knat, udp_timers):
    """(c) a UDP mapping TIMER_S (60) seconds after its last packet, measured:
    a late datagram from the server either passes the NAT or not. neptune
    (udp_s 300) keeps both mappings. The kernel keeps the stream (reply
    seen, then a packet more than 2 s after the first: 
    nf_conntrack_udp_timeout_stream, 120 s) and, when its one-exchange
    timeout (nf_conntrack_udp_timeout, 30 s) is below TIMER_S, drops the
    mapping of a single request and reply: the two agree on the stream and
    differ, by design, on a lone exchange."""
    sysctl = {}
    for k in ("udp_timeout", "udp_timeout_stream", "tcp_timeout_established",
              "icmp_timeout"):
        r = nsrun("knat", "sysctl", "-n", f"net.netfilter.nf_conntrack_{k}")
        sysctl[k] = int(r.stdout)
    import yaml  # noqa: PLC0415
    cfg = (yaml.safe_load(NAT_CONFIG.read_text()).get("nat44") or {}).get("timeouts") or {}
    nep_udp = int(cfg.get("udp_s", 300))

    left = TIMER_S + 20 - (time.monotonic() - udp_timers["t0"])
    results, idle = {}, {}
    for name, (srv, cli) in udp_timers["procs"].items():  # neptune's first
        out, err = cli.communicate(timeout=max(5, left + 20))
        results[name] = json.loads(out) if out.strip() else {"error": err}
        srv.communicate(timeout=10)
        if name.startswith("neptune"):  # its mapping right after the late datagram
            ss = udp_sessions(nat, TIMER_PROBES[name][4])
            idle[name] = ss[0] if ss else None
    early = udp_timers["early"]
    print(f"\nkernel sysctls (knat): {sysctl}; neptune udp_s {nep_udp}")
    for name in TIMER_PROBES:
        print(f"{name:20} right after: {early[name]}\n{'':20} at {TIMER_S} s: "
              f"{results[name]} {idle.get(name, '')}")
    for name, r in results.items():
        assert "error" not in r, (name, r)

    # read: what each NAT set up right after the exchange
    k1, k2 = early["kernel, one reply"][0], early["kernel, stream"][0]
    assert k1 is not None and sysctl["udp_timeout"] - 5 <= k1 <= sysctl["udp_timeout"], early
    assert k2 is not None and sysctl["udp_timeout_stream"] - 5 <= k2 <= \
        sysctl["udp_timeout_stream"], early
    for name, out in (("neptune, one reply", 1), ("neptune, stream", 2)):
        s = early[name]
        assert s and s["public"] == WAN4["isp1"] and \
            s["public_port"] == TIMER_PROBES[name][4], s
        assert (s["packets_out"], s["packets_in"]) == (out, 1), s

    # measured: the late datagram after TIMER_S seconds
    assert nep_udp > TIMER_S
    assert results["neptune, one reply"]["late"], results
    assert results["neptune, stream"]["late"], results
    assert results["kernel, stream"]["late"] == (sysctl["udp_timeout_stream"] > TIMER_S), results
    assert results["kernel, one reply"]["late"] == (sysctl["udp_timeout"] > TIMER_S), results
    for name in ("neptune, one reply", "neptune, stream"):
        s = idle[name]
        # the same mapping: the reply and the late datagram came in through it
        assert s and s["packets_in"] == 2 and s["public_port"] == s["inside_port"], s


TCP_SERVER = textwrap.dedent("""
    import socket, sys, time
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1)
    c, _ = s.accept(); c.sendall(b"hi"); time.sleep(float(sys.argv[3]))
""")
TCP_CLIENT = textwrap.dedent("""
    import socket, sys, time
    s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2])))
    s.settimeout(5); s.connect((sys.argv[3], int(sys.argv[4])))
    print(s.recv(10).decode(), flush=True); time.sleep(float(sys.argv[5]))
""")


def test_differences_by_design(nat, knat):
    """(d) Where the two differ by design, printed, not compared: each side
    is checked against its own setting only. One TCP connection through
    each NAT shows the established timer each gives it."""
    hold = 8
    procs = []
    try:
        for sns, saddr, cns in (("srv1", "203.0.113.42", "client"),
                                ("knat-srv", "203.0.113.113", "knat-cli")):
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", sns, "/usr/bin/python3", "-c", TCP_SERVER,
                 saddr, "5003", str(hold)], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True))
            time.sleep(0.3)
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", cns, "/usr/bin/python3", "-c", TCP_CLIENT,
                 CLIENT4, "45003", saddr, "5003", str(hold)], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True))
        for p in procs[1::2]:
            assert p.stdout.readline().strip() == "hi", p.stderr.read()
        time.sleep(0.5)
        r = nsrun("knat", "conntrack", "-L", "-p", "tcp", "--orig-port-src", "45003")
        ct = [line for line in r.stdout.splitlines() if line.startswith("tcp")]
        tcp = [s for s in nat.cli_json("show", "nat44", "sessions", "proto", "tcp", "src",
                                       CLIENT4)["sessions"] if s["inside_port"] == 45003]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.communicate()
    sysctl = {k: int(nsrun("knat", "sysctl", "-n", f"net.netfilter.nf_conntrack_{k}").stdout)
              for k in ("udp_timeout", "udp_timeout_stream", "tcp_timeout_established",
                        "icmp_timeout")}
    import yaml  # noqa: PLC0415
    n44 = yaml.safe_load(NAT_CONFIG.read_text()).get("nat44") or {}
    to = {"udp_s": 300, "tcp_established_s": 7440, "tcp_transitory_s": 240,
          "icmp_s": 60, **(n44.get("timeouts") or {})}
    print(f"\nkernel conntrack: {ct}\nneptune: {tcp}")
    rows = [
        ("filtering", "address and port dependent (conntrack)",
         n44.get("filtering", "endpoint-independent")),
        ("UDP, one exchange", f"{sysctl['udp_timeout']} s", f"{to['udp_s']} s"),
        ("UDP, stream", f"{sysctl['udp_timeout_stream']} s", f"{to['udp_s']} s"),
        ("TCP established", f"{sysctl['tcp_timeout_established']} s", f"{to['tcp_established_s']} s"),
        ("ICMP echo", f"{sysctl['icmp_timeout']} s", f"{to['icmp_s']} s"),
    ]
    for what, k, n in rows:
        print(f"{what:18} kernel {k:40} neptune {n}")
    assert len(ct) == 1 and "ESTABLISHED" in ct[0] and f"dst={KNAT_PUB}" in ct[0], ct
    left = int(ct[0].split()[2])
    assert sysctl["tcp_timeout_established"] - 10 <= left <= \
        sysctl["tcp_timeout_established"], ct
    assert len(tcp) == 1 and tcp[0]["state"] == "established" and \
        tcp[0]["public_port"] == 45003 and tcp[0]["uplink"] == "isp1", tcp
    assert to["tcp_established_s"] >= 7440 and to["udp_s"] >= 120 and to["icmp_s"] >= 60
