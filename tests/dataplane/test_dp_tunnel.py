#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The UDP tunnel (issue 11, docs/tunnel-protocol.md) through the whole data
plane. Every tunnel message neptune emits is compared byte for byte with
one built by tests/lib/tunpeer.py, the independent Python peer written
from the protocol document alone (same session, key and sequence number,
the sequence read from the observed header), and every message injected
comes from tunpeer, good or forged.

Topology: the standard lan0/wan1 pair (neptune_dp.py).

  - endpoint runs: uplink isp1 on wan1 (next hops the gateway, IPv6 and
    IPv4), one hub `hub1` at HUB6 (IPv6 outer) or HUB4 (IPv4 outer),
    session 1101, key id 1, keepalives off (paths up with their link, no
    keepalive traffic in a pcap run); tunnel routes 2001:db8:777::/64 and
    198.18.77.0/24 (the server segment behind the hub);
  - hub run: role hub, lan0 the server side (the LAN host plays the
    server), wan1 toward the endpoints site-a (sessions 2101, 2102,
    prefixes fd42:a::/64 10.1.0.0/24, keys 1 and 2) and site-b (session
    2201, fd42:b::/64 10.2.0.0/24, its own key 1).

Runs (about 17 s in all):
  - encap, per suite x outer family (8 runs), inner_mtu 1400: IPv4 and
    IPv6 payloads encapsulated (exact bytes, consecutive sequence numbers
    from the real-time clock), DATA from the hub decapsulated (exact
    bytes), Packet Too Big / Fragmentation Needed with 1400, Time
    Exceeded, MSS clamping both ways, `show tunnels`, the key never logged
    or shown;
  - ECN (1 run): copied on encapsulation, RFC 6040 on decapsulation;
  - computed inner MTU (4 runs): port MTU minus the overhead;
  - bad input (endpoint, 1 run per suite): one of every forge kind of
    tunpeer plus outer fragments and bad UDP checksums, interleaved with
    good packets, replays and the window edges, a forged tag far ahead;
    the whole drops dict, no answer to any bad packet, every good packet
    through; `show tunnels` counters; first fragments alone (1 run);
  - hub (1 run, both inputs FIFOs fed in lock step so the endpoints'
    packets are handled before the return traffic): decapsulation and the
    inner source check, return traffic to the learned address and port
    (not redirected by reordered or dropped packets), MTU and MSS of the
    return path, hub hairpin, another endpoint's key, KEEPALIVE answered,
    REKEY -> REKEY_ACK and the key switch, `show tunnels`;
  - key rotation driven by the endpoint (`tunnel rekey`, 1 run, lock step);
  - configuration errors (`neptune --check-config`, and one start).
"""
import ipaddress
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from dp_packets import (ICMP, ICMPv6EchoReply, ICMPv6EchoRequest,
                        ICMPv6PacketTooBig, ICMPv6TimeExceeded, IP, IPv6, Raw,
                        TCP, UDP, aged, icmp4_error, icmp6_error, is6,
                        routed)
from neptune_dp import (GW4, GW6, GW_MAC, HOST4, HOST6, HOST_MAC, LAN0_MAC,
                        NEPTUNE, REMOTE6, REPO, WAN1_MAC, WAN4, WAN6,
                        Dataplane, DataplaneError, assert_frames, frame_diff)
from scapy.layers.inet6 import IPv6ExtHdrFragment, fragment6
from scapy.layers.l2 import Ether

sys.path.insert(0, str(REPO / "tests" / "lib"))
import tunpeer as tp  # noqa: E402

# -- the tunnel topology ------------------------------------------------------

PORT = tp.DEFAULT_PORT                 # 61900
HUB6, HUB4 = "2001:db8:71:1::2", "203.0.113.82"
SESS = 1101
SRV6, SRV4 = "2001:db8:777::10", "198.18.77.10"    # behind the hub
ROUTES = ["2001:db8:777::/64", "198.18.77.0/24"]
PSK1 = bytes(range(32))
PSK2 = bytes(range(100, 140))                      # 40 bytes: longer is fine
MTU = 1500
INNER = 1400

SUITES = {"hmac-sha256-128": tp.SUITE_HMAC128,
          "hmac-sha256-256": tp.SUITE_HMAC256,
          "aes256-gcm": tp.SUITE_AESGCM,
          "chacha20-poly1305": tp.SUITE_CHACHA}

ISP1 = {"name": "isp1", "port": "wan1", "next_hop": GW6, "next_hop_v4": GW4,
        "delegated_prefix": "2001:db8:1100:1::/64",
        "health": {"enabled": False}}

# The drop reasons of the tunnel (section 8 and section 1, plus the hub's
# inner source check): a run's drops must name each of them.
TUN_DROPS = tp.COUNTERS + ["tun_inner_source"]


def write_keys(kdir, lines, mode=0o600):
    path = Path(kdir) / "tunnel.keys"
    path.write_text("".join(f"{p} {k} {psk.hex()}\n" for p, k, psk in lines))
    os.chmod(path, mode)
    return str(path)


def endpoint_tunnel(suite, hubs, inner_mtu=INNER, **extra):
    """The `tunnel:` section of an endpoint over isp1; hubs: [(name,
    address, session)]."""
    t = {"role": "endpoint", "suite": suite,
         "keepalive": {"enabled": False}, "uplinks": ["isp1"],
         "hubs": [{"name": n, "address": a, "sessions": [s]}
                  for n, a, s in hubs],
         "routes": ROUTES}
    if inner_mtu is not None:
        t["inner_mtu"] = inner_mtu
    t.update(extra)
    return t


def run(inputs, tunnel, keys, queries=(), uplinks=(ISP1,), dataplane=None):
    """One neptune run with a tunnel: keys [(peer, key id, psk)] written to
    a 0600 keys file; the `--json` answers of `queries` in r.info; the real
    time before start and after stop in r.t0, r.t1."""
    kdir = tempfile.mkdtemp(prefix="nep-tunkeys-")
    try:
        t = dict(tunnel, keys_file=write_keys(kdir, keys))
        cfg = {"tunnel": t,
               "icmp": {"rate_pps": 1000000, "burst": 1000000}}
        if uplinks:
            cfg["uplinks"] = list(uplinks)
        if dataplane:
            cfg["dataplane"] = dataplane
        dp = Dataplane(inputs=inputs, extra_cfg=cfg)
        try:
            t0 = time.time_ns()
            dp.start()
            dp.wait_idle()
            info = {q: dp.json(q) for q in queries}
            r = dp.stop()
            t1 = time.time_ns()
        finally:
            dp.cleanup()
    finally:
        shutil.rmtree(kdir, ignore_errors=True)
    r.info, r.t0, r.t1 = info, t0, t1
    return r


# -- packets ------------------------------------------------------------------




def lan(l3):
    return Ether(src=HOST_MAC, dst=LAN0_MAC) / l3


def to_host(l3):
    """What leaves lan0 for the LAN host: l3 forwarded (aged once)."""
    return routed(Ether(src=LAN0_MAC, dst=HOST_MAC), l3)


def from_gw_udp(src, dst, datagram, sport=PORT, dport=PORT, **kw):
    return Ether(src=GW_MAC, dst=WAN1_MAC) / tp.udp_packet(
        src, dst, sport, dport, datagram, **kw)


def to_gw_udp(src, dst, datagram, sport=PORT, dport=PORT, tos=0):
    return Ether(src=WAN1_MAC, dst=GW_MAC) / tp.udp_packet(
        src, dst, sport, dport, datagram, tos=tos)


def sealed(sess, type_, payload, ptype, seq, key_id=None, key_psk=None):
    """One message of `sess` with an explicit sequence number and without
    touching its counter (tunpeer's build): key_psk protects it with
    another PSK under the same key id (another endpoint's key)."""
    kid = sess.send_key_id if key_id is None else key_id
    suite = sess.suite_of(kid)
    if key_psk is None:
        key = sess.key(kid, sess.tx_direction)
    else:
        key = tp.derive_key(key_psk, sess.session_id, kid, sess.tx_direction,
                            suite)
    return tp.build(key, sess.tx_direction, type_, ptype, kid, suite,
                    sess.session_id, seq, bytes(payload))


def data_at(sess, inner, seq, **kw):
    inner = bytes(inner)
    return sealed(sess, tp.DATA, inner, inner[0] >> 4, seq, **kw)


def tun_udp(frame):
    """(outer scapy packet, UDP payload) of a tunnel frame."""
    e = Ether(frame)
    return e, bytes(e[UDP].payload)


def tun_hdr(frame):
    return tp.decode_header(tun_udp(frame)[1])


def plain(rx, frame):
    """The payload of a tunnel frame, verified and decrypted with the keys
    of `rx` (the receiving side's twin), its replay window left alone."""
    d = tun_udp(frame)[1]
    h = tp.decode_header(d)
    kid = h["key_id"]
    return tp.unprotect(h["suite"], rx.key(kid, rx.rx_direction), d[:20],
                        d[20:], kid, rx.rx_direction, h["seq"])


def is_tunnel(frame):
    e = Ether(frame)
    return e.haslayer(UDP) and PORT in (e[UDP].sport, e[UDP].dport)


def sized6(total, dst, sport, src=HOST6, tc=0):
    base = len(IPv6() / UDP() / b"x") - 1
    return IPv6(src=src, dst=dst, hlim=64, tc=tc) / \
        UDP(sport=sport, dport=5001) / \
        Raw(bytes((i * 7 + sport) & 0xff for i in range(total - base)))


def sized4(total, dst, sport, src=HOST4, flags="DF", tos=0):
    base = len(IP() / UDP() / b"x") - 1
    return IP(src=src, dst=dst, ttl=64, id=sport & 0xffff, flags=flags,
              tos=tos) / UDP(sport=sport, dport=5001) / \
        Raw(bytes((i * 5 + sport) & 0xff for i in range(total - base)))


def syn4(src, dst, sport, mss, flags="S", ttl=64):
    return IP(src=src, dst=dst, ttl=ttl, id=0x4242, flags="DF") / \
        TCP(sport=sport, dport=443, flags=flags, seq=1000, window=64240,
            options=[("MSS", mss), ("SAckOK", b""), ("WScale", 7)])


def syn6(src, dst, sport, mss, flags="S", hlim=64, nop_first=False):
    opts = ([("NOP", None)] if nop_first else []) + \
        [("MSS", mss), ("SAckOK", b""), ("WScale", 7)]
    return IPv6(src=src, dst=dst, hlim=hlim) / \
        TCP(sport=sport, dport=443, flags=flags, seq=1000, window=64800,
            options=opts)


def clamped(syn, mss):
    """The SYN with its MSS lowered, TCP checksum recomputed by scapy."""
    p = syn.copy()
    p[TCP].options = [("MSS", mss) if k == "MSS" else (k, v)
                      for k, v in p[TCP].options]
    p[TCP].chksum = None
    return p.__class__(bytes(p))


def mss_of(l3):
    p = IPv6(bytes(l3)) if is6(l3) else IP(bytes(l3))
    return dict(p[TCP].options)["MSS"]


def find(out, want, what):
    want = bytes(want)
    if want in out:
        return
    msg = f"{what}: expected frame not among the {len(out)} emitted"
    if out:
        near = min(out, key=lambda o: (len(o) != len(want), sum(
            a != b for a, b in zip(o, want))))
        msg += "\nclosest:\n" + frame_diff(want, near)
    raise AssertionError(msg)


def session_info(info, sid):
    ss = [s for s in info["show tunnels"]["sessions"] if s["session"] == sid]
    assert len(ss) == 1, info["show tunnels"]
    return ss[0]


def check_drops(r, expected):
    missing = [d for d in TUN_DROPS if d not in r.drops]
    assert not missing, f"tunnel drop reasons not reported: {missing}"
    got = r.nonzero_drops()
    assert got == expected, \
        f"drop counters: expected {expected}, observed {got}"


# == encapsulation and decapsulation, per suite and outer family ==============

# From the LAN host: into the tunnel (routes 2001:db8:777::/64, 198.18.77/24)
E6 = IPv6(src=HOST6, dst=SRV6, hlim=64, tc=0x28, fl=0x12345) / \
    UDP(sport=40001, dport=5001) / Raw(b"v6 into the tunnel " * 3)
E4 = IP(src=HOST4, dst=SRV4, ttl=64, id=0x0404, flags="DF", tos=0xb9) / \
    UDP(sport=40002, dport=5001) / Raw(b"v4 into the tunnel " * 3)
E4_PING = IP(src=HOST4, dst=SRV4, ttl=17, id=0x0c0c, tos=0) / \
    ICMP(type=8, id=0x77, seq=1) / Raw(b"ping")
E6_PING = IPv6(src=HOST6, dst=SRV6, hlim=64, tc=0xb8) / \
    ICMPv6EchoRequest(id=0x66, seq=2, data=b"ping6")
FIT6 = sized6(INNER, SRV6, 40011)                 # exactly the inner MTU
FIT4 = sized4(INNER, SRV4, 40012)
BIG6 = sized6(INNER + 1, SRV6, 40013)              # one byte more: PTB
BIG4 = sized4(INNER + 1, SRV4, 40014)              # DF: Frag Needed
SYN4 = syn4(HOST4, SRV4, 40021, 1460)
SYN6 = syn6(HOST6, SRV6, 40022, 1460, nop_first=True)
SYN4_LOW = syn4(HOST4, SRV4, 40023, 1200)          # below the clamp
PLAIN6 = IPv6(src=HOST6, dst=REMOTE6, hlim=64) / UDP(sport=40031, dport=9) / \
    Raw(b"not a tunnel route")
E6_HL1 = IPv6(src=HOST6, dst=SRV6, hlim=1) / UDP(sport=40041, dport=9) / \
    Raw(b"hop limit 1")
E4_TTL1 = IP(src=HOST4, dst=SRV4, ttl=1, id=0x0101) / \
    UDP(sport=40042, dport=9) / Raw(b"ttl 1")

ENCAP_IN = [E6, E4, E4_PING, E6_PING, FIT6, FIT4, BIG6, BIG4, SYN4, SYN6,
            SYN4_LOW, PLAIN6, E6_HL1, E4_TTL1]
# what must come out through the tunnel, in order
TUNNELED = [E6, E4, E4_PING, E6_PING, FIT6, FIT4, clamped(SYN4, INNER - 40),
            clamped(SYN6, INNER - 60), SYN4_LOW]

# From the hub, decapsulated to the LAN host
D6 = IPv6(src=SRV6, dst=HOST6, hlim=63, tc=0x48, fl=0xabcde) / \
    UDP(sport=5001, dport=40001) / Raw(b"v6 out of the tunnel " * 3)
D4 = IP(src=SRV4, dst=HOST4, ttl=63, id=0x0d04, flags="DF", tos=0x20) / \
    UDP(sport=5001, dport=40002) / Raw(b"v4 out of the tunnel " * 3)
D6_REPLY = IPv6(src=SRV6, dst=HOST6, hlim=63) / \
    ICMPv6EchoReply(id=0x66, seq=2, data=b"ping6")
SYNACK4 = syn4(SRV4, HOST4, 443, 1460, flags="SA", ttl=63)
SYNACK6 = syn6(SRV6, HOST6, 443, 1460, flags="SA", hlim=63)
DECAP_IN = [D6, D4, D6_REPLY, SYNACK4, SYNACK6]
DECAP_OUT = [D6, D4, D6_REPLY, clamped(SYNACK4, INNER - 40),
             clamped(SYNACK6, INNER - 60)]


def twins(suite, sid=SESS, keys=None, send=1):
    """The endpoint's twin (initiator) and the hub's (responder)."""
    keys = keys or {1: PSK1}
    k = {kid: (suite, psk) for kid, psk in keys.items()}
    return (tp.Session(sid, "initiator", k, send),
            tp.Session(sid, "responder", k, send))


def encap_expected(ep, seq, inner, src, dst, sport=PORT, dport=PORT,
                   key_id=None):
    """The frame neptune must send out of wan1 to the gateway: the inner
    packet as forwarded, in a DATA message of `ep` (the sending side's
    twin) with that sequence number; outer DSCP/ECN copied from the inner
    packet, DF, TTL / hop limit 64, UDP checksum (scapy)."""
    fwd = aged(inner)
    d = data_at(ep, fwd, seq, key_id=key_id)
    return to_gw_udp(src, dst, d, sport, dport, tos=tp.outer_tos(fwd))


ENCAP_CASES = [(s, fam) for s in SUITES for fam in (6, 4)]


@pytest.fixture(scope="module", params=ENCAP_CASES,
                ids=[f"{s}-outer{f}" for s, f in ENCAP_CASES])
def encap(request):
    suite, fam = request.param
    hub, wan = (HUB6, WAN6) if fam == 6 else (HUB4, WAN4)
    ep, hb = twins(SUITES[suite])
    wan_in = [from_gw_udp(hub, wan, hb.data(p)) for p in DECAP_IN]
    r = run({"lan0": [lan(p) for p in ENCAP_IN], "wan1": wan_in},
            endpoint_tunnel(suite, [("hub1", hub, SESS)]),
            [("hub1", 1, PSK1)], queries=("show tunnels",))
    r.suite, r.fam, r.hub, r.wan, r.ep, r.hb = suite, fam, hub, wan, ep, hb
    r.hub_top = hb.last_seq
    r.tunnel = [f for f in r.outputs["wan1"] if is_tunnel(f)]
    return r


def test_encap_exact_bytes(encap):
    """Every packet routed into the tunnel leaves wan1 exactly as tunpeer
    builds it (same session, key, sequence from the observed header),
    in order, sequence numbers one apart; the packet to a destination
    outside the tunnel routes is forwarded plainly."""
    r = encap
    assert r.tunnel, [Ether(f).summary() for f in r.outputs["wan1"]]
    seq0 = tun_hdr(r.tunnel[0])["seq"]
    want = [encap_expected(r.ep, seq0 + i, p, r.wan, r.hub)
            for i, p in enumerate(TUNNELED)]
    assert_frames(r.tunnel, want, f"tunnel frames ({r.suite}, IPv{r.fam} "
                  "outer)")
    plain = [f for f in r.outputs["wan1"] if not is_tunnel(f)]
    assert_frames(plain, [routed(Ether(src=WAN1_MAC, dst=GW_MAC), PLAIN6)],
                  "plain routed frames on wan1")


def test_encap_outer_fields(encap):
    """The fields the protocol fixes, read from the raw frames (not from a
    tunpeer rebuild): outer TOS / traffic class = the inner's, DF on IPv4,
    TTL / hop limit 64, both UDP ports 61900, UDP checksum right, the
    header (version 1, DATA, no flags, payload type, key 1, suite, payload
    length, session), the tag length; the hub's twin opens every message
    and finds the inner packet as forwarded."""
    r = encap
    suite = SUITES[r.suite]
    assert len(r.tunnel) == len(TUNNELED)
    for f, inner in zip(r.tunnel, TUNNELED):
        fwd = aged(inner)
        o = f[14:]
        if r.fam == 6:
            assert f[12:14] == b"\x86\xdd"
            vtf = struct.unpack("!I", o[:4])[0]
            assert vtf >> 28 == 6 and (vtf >> 20) & 0xff == \
                tp.outer_tos(fwd), "traffic class not copied"
            assert o[6] == 17 and o[7] == 64, "next header / hop limit"
            assert o[8:24] == ipaddress.IPv6Address(WAN6).packed
            assert o[24:40] == ipaddress.IPv6Address(r.hub).packed
            udp = o[40:]
        else:
            assert f[12:14] == b"\x08\x00"
            assert o[0] == 0x45 and o[1] == tp.outer_tos(fwd), "TOS"
            assert struct.unpack("!H", o[6:8])[0] == 0x4000, "DF, no frag"
            assert o[8] == 64 and o[9] == 17, "TTL / protocol"
            assert o[12:16] == ipaddress.IPv4Address(WAN4).packed
            assert o[16:20] == ipaddress.IPv4Address(r.hub).packed
            udp = o[20:]
        assert struct.unpack("!HH", udp[:4]) == (PORT, PORT), "UDP ports"
        assert struct.unpack("!H", udp[4:6])[0] == len(udp), "UDP length"
        e = Ether(f)
        pkt = e[IPv6] if r.fam == 6 else e[IP]
        dgram = tp.udp_datagram(pkt, accept_zero_checksum4=False)
        h = tp.decode_header(dgram)
        assert (h["version"], h["type"], h["flags"], h["ptype"], h["key_id"],
                h["suite"], h["length"], h["session_id"]) == \
            (1, tp.DATA, 0, fwd[0] >> 4, 1, suite, len(fwd), SESS), h
        assert len(dgram) == 20 + len(fwd) + tp.tag_len(suite)
        _, payload = r.hb.open(dgram)
        assert payload == fwd, "inner packet as forwarded"


def test_encap_sequence_numbers(encap):
    """Sequence numbers start at the real-time clock in nanoseconds (taken
    between the test starting neptune and its end) and grow by one per
    packet; `show tunnels` agrees (tx_seq = the next one)."""
    r = encap
    seqs = [tun_hdr(f)["seq"] for f in r.tunnel]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert r.t0 <= seqs[0] <= r.t1, (r.t0, seqs[0], r.t1)
    s = session_info(r.info, SESS)
    assert s["tx_seq"] == seqs[-1] + 1, s


def test_decap_exact_bytes(encap):
    """DATA from the hub (IPv4 and IPv6 payloads, an echo reply, SYN-ACKs)
    leaves lan0 for the LAN host: hop limit / TTL one lower, MACs of lan0
    and the host, the rest byte for byte; the SYN-ACKs' MSS clamped to the
    inner MTU (1360 / 1340)."""
    r = encap
    dec = [f for f in r.outputs["lan0"]
           if not Ether(f).haslayer(ICMPv6PacketTooBig)
           and not Ether(f).haslayer(ICMPv6TimeExceeded)
           and not (Ether(f).haslayer(ICMP) and Ether(f)[ICMP].type in
                    (3, 11))]
    assert_frames(dec, [to_host(p) for p in DECAP_OUT], "decapsulated on "
                  "lan0")
    assert mss_of(bytes(dec[3])[14:]) == 1360
    assert mss_of(bytes(dec[4])[14:]) == 1340


def test_inner_mtu_errors(encap):
    """inner_mtu 1400: 1400-byte inner packets go through (above), 1401
    bytes get Packet Too Big / Fragmentation Needed with MTU 1400 back to
    the host; an inner packet that would leave with hop limit / TTL 0 is
    not carried (Time Exceeded); nothing else is dropped."""
    out = encap.outputs["lan0"]
    find(out, icmp6_error(ICMPv6PacketTooBig(mtu=INNER), BIG6),
         "Packet Too Big, MTU 1400")
    find(out, icmp4_error(ICMP(type=3, code=4, nexthopmtu=INNER), BIG4),
         "Fragmentation Needed, MTU 1400")
    find(out, icmp6_error(ICMPv6TimeExceeded(code=0), E6_HL1),
         "Time Exceeded, hop limit 1")
    find(out, icmp4_error(ICMP(type=11, code=0), E4_TTL1),
         "Time Exceeded, TTL 1")
    assert len(out) == len(DECAP_OUT) + 4, [Ether(f).summary() for f in out]
    check_drops(encap, {"mtu_exceeded": 2, "hop_limit_exceeded": 2})


def test_mss_clamped_into_tunnel(encap):
    """SYNs with MSS 1460 enter the tunnel with 1360 (IPv4) / 1340 (IPv6,
    MSS option at an odd offset); MSS 1200 is left alone."""
    got = [mss_of(plain(encap.hb, f)) for f in encap.tunnel[6:9]]
    assert got == [1360, 1340, 1200], got


def test_show_tunnels_encap(encap):
    """`show tunnels --json`: the endpoint's one session, up, key 1,
    packets sent and received as injected, nothing failed or replayed, the
    window's top the hub twin's last sequence, inner MTU 1400."""
    r = encap
    t = r.info["show tunnels"]
    assert (t["role"], t["suite"], t["port"]) == ("endpoint", r.suite, PORT)
    s = session_info(r.info, SESS)
    assert (s["peer"], s["state"], s["tx_key"], s["keys"], s["uplink"],
            s["inner_mtu"]) == ("hub1", "up", 1, [1], "isp1", INNER), s
    assert (s["peer_address"], s["local_address"]) == (r.hub, r.wan), s
    assert s["tx_packets"] == len(TUNNELED), s
    assert s["rx_packets"] == len(DECAP_IN), s
    assert (s["auth_failed"], s["replays"]) == (0, 0), s
    assert s["rx_top"] == r.hub_top, s
    assert s["tx_bytes"] == sum(len(bytes(p)) for p in TUNNELED), s
    assert s["rx_bytes"] == sum(len(bytes(p)) for p in DECAP_IN), s
    assert t["mss_clamped"] == 4, t
    for secret in (PSK1.hex(), PSK1.hex().upper()):
        assert secret not in r.log and secret not in json.dumps(t), \
            "the key is logged or shown"


# == ECN (section 1: RFC 6040, normal mode) ===================================

def _with_ecn(l3, ecn):
    """l3 with its ECN field set to ecn (IPv4 checksum recomputed)."""
    b = bytearray(bytes(l3))
    if is6(b):
        b[1] = (b[1] & ~0x30) | (ecn << 4)
        return IPv6(bytes(b))
    p = IP(bytes(b))
    p.tos = (p.tos & 0xfc) | ecn
    del p.chksum
    return IP(bytes(p))


def test_ecn_rfc6040():
    """Encapsulation copies the inner ECN field to the outer header (with
    the DSCP); decapsulation combines outer and inner as RFC 6040 section
    4.2 says: outer CE marks an ECN-capable inner packet CE, outer ECT(1)
    over inner ECT(0) gives ECT(1), and a Not-ECT inner packet under CE is
    dropped (not forwarded). Every inner/outer combination, IPv4 and IPv6
    inner packets, exact bytes."""
    ep, hb = twins(tp.SUITE_HMAC128)
    out_lan, wan_in, dropped = [], [], 0
    for fam in (4, 6):
        for ie in range(4):
            for oe in range(4):
                n = fam * 100 + ie * 4 + oe
                inner = (IP(src=SRV4, dst=HOST4, ttl=60, id=n, tos=0x20 | ie)
                         if fam == 4 else
                         IPv6(src=SRV6, dst=HOST6, hlim=60, tc=0x20 | ie)) / \
                    UDP(sport=n, dport=40000) / Raw(b"ecn %d" % n)
                wan_in.append(from_gw_udp(HUB6, WAN6, hb.data(inner),
                                          tos=0x20 | oe))
                want = tp.rfc6040_decap(ie, oe)
                if want is None:
                    dropped += 1
                else:
                    out_lan.append(to_host(_with_ecn(inner, want)))
    enc = [(IP(src=HOST4, dst=SRV4, ttl=64, tos=0x28 | e) if f == 4 else
            IPv6(src=HOST6, dst=SRV6, hlim=64, tc=0x28 | e)) /
           UDP(sport=42000 + e, dport=9) / Raw(b"ecn out") for f in (4, 6)
           for e in range(4)]
    r = run({"lan0": [lan(p) for p in enc], "wan1": wan_in},
            endpoint_tunnel("hmac-sha256-128", [("hub1", HUB6, SESS)]),
            [("hub1", 1, PSK1)])
    out = r.outputs["wan1"]
    seq0 = tun_hdr(out[0])["seq"] if out else 0
    assert_frames(out, [encap_expected(ep, seq0 + i, p, WAN6, HUB6)
                        for i, p in enumerate(enc)], "encapsulated, ECN")
    for f, p in zip(out, enc):
        assert f[15] >> 4 & 3 == tp.outer_tos(bytes(p)) & 3
    assert_frames(r.outputs["lan0"], out_lan, "decapsulated, RFC 6040")
    assert sum(r.nonzero_drops().values()) == dropped, r.nonzero_drops()


# == inner MTU computed from the port MTU =====================================

MTU_CASES = [("hmac-sha256-128", 4, MTU - 64),
             ("hmac-sha256-128", 6, MTU - 84),
             ("hmac-sha256-256", 4, MTU - 80),
             ("hmac-sha256-256", 6, MTU - 100)]


@pytest.mark.parametrize("suite,fam,mtu", MTU_CASES,
                         ids=[f"{s}-outer{f}" for s, f, _ in MTU_CASES])
def test_inner_mtu_computed(suite, fam, mtu):
    """No inner_mtu: port MTU (1500) - overhead (section 9). A packet of
    exactly that size leaves as a 1500-byte outer packet, one byte more
    gets Packet Too Big / Fragmentation Needed quoting it, SYNs are
    clamped to it; `show tunnels` shows it."""
    hub, wan = (HUB6, WAN6) if fam == 6 else (HUB4, WAN4)
    ep, hb = twins(SUITES[suite])
    fit6, fit4 = sized6(mtu, SRV6, 41001), sized4(mtu, SRV4, 41002)
    big6, big4 = sized6(mtu + 1, SRV6, 41003), sized4(mtu + 1, SRV4, 41004)
    s4, s6 = syn4(HOST4, SRV4, 41005, 1460), syn6(HOST6, SRV6, 41006, 1460)
    r = run({"lan0": [lan(p) for p in (fit6, big6, fit4, big4, s4, s6)]},
            endpoint_tunnel(suite, [("hub1", hub, SESS)], inner_mtu=None),
            [("hub1", 1, PSK1)], queries=("show tunnels",))
    out = r.outputs["wan1"]
    assert len(out) == 4, [Ether(f).summary() for f in out]
    seq0 = tun_hdr(out[0])["seq"]
    want = [encap_expected(ep, seq0 + i, p, wan, hub) for i, p in
            enumerate((fit6, fit4, clamped(s4, mtu - 40),
                       clamped(s6, mtu - 60)))]
    assert_frames(out, want, "tunnel frames")
    assert len(out[0]) == 14 + MTU and len(out[1]) == 14 + MTU
    assert_frames(r.outputs["lan0"], [
        icmp6_error(ICMPv6PacketTooBig(mtu=mtu), big6),
        icmp4_error(ICMP(type=3, code=4, nexthopmtu=mtu), big4)],
        "ICMP errors to the host")
    assert session_info(r.info, SESS)["inner_mtu"] == mtu
    check_drops(r, {"mtu_exceeded": 2})


# == bad input (endpoint role) ================================================
#
# Two hubs, no inner_mtu: session 1101 to HUB6 (inner MTU 1500 - the IPv6
# overhead, 1416 in suite 1), 1201 to HUB4 (1500 - the IPv4 overhead, the
# largest: step 10's limit). One run per suite.

BSUITE = tp.SUITE_HMAC128
BS6, BS4 = 1101, 1201


class BadRun:
    """The wan1 input of the bad-input run: good and bad messages in the
    order sent, what each must do, the window tops."""

    def __init__(self, suite):
        self.suite = suite
        self.mtu6 = MTU - tp.overhead(suite, True)
        self.mtu4 = MTU - tp.overhead(suite, False)
        self.h6 = tp.Session(BS6, "responder", {1: (suite, PSK1)}, 1,
                             inner_mtu=self.mtu6, max_inner_mtu=self.mtu4)
        self.h4 = tp.Session(BS4, "responder", {1: (suite, PSK2)}, 1,
                             inner_mtu=self.mtu4, max_inner_mtu=self.mtu4)
        self.frames, self.good, self.bad = [], [], {}
        self.top = {BS6: 0, BS4: 0}
        self.n_good = {BS6: 0, BS4: 0}
        self.n = 0

    def _inner(self, fam):
        self.n += 1
        tag = b"good packet %d " % self.n
        if fam == 6:
            return IPv6(src=SRV6, dst=HOST6, hlim=60) / \
                UDP(sport=5000 + self.n, dport=40000) / Raw(tag * 3)
        return IP(src=SRV4, dst=HOST4, ttl=60, id=self.n, flags="DF") / \
            UDP(sport=5000 + self.n, dport=40000) / Raw(tag * 3)

    def outer(self, sess, d, **kw):
        hub, wan = (HUB6, WAN6) if sess is self.h6 else (HUB4, WAN4)
        return from_gw_udp(hub, wan, d, **kw)

    def good_data(self, sess=None, fam=6, seq=None):
        """A good DATA message: must come out on lan0."""
        sess = sess or self.h6
        inner = self._inner(fam)
        if seq is None:
            d = sess.data(inner)
            seq = sess.last_seq
        else:
            d = data_at(sess, inner, seq)
        self.top[sess.session_id] = max(self.top[sess.session_id], seq)
        self.n_good[sess.session_id] += 1
        self.frames.append(self.outer(sess, d))
        self.good.append(to_host(inner))
        return d

    def bad_frames(self, reason, frames):
        self.frames.extend(frames)
        self.bad[reason] = self.bad.get(reason, 0) + len(frames)

    def bad_udp(self, reason, d, sess=None, **kw):
        self.bad_frames(reason, [self.outer(sess or self.h6, d, **kw)])


def build_bad_run(suite):
    b = BadRun(suite)
    h6, h4 = b.h6, b.h4
    MTU6, MTU4 = b.mtu6, b.mtu4
    first = b.good_data()
    first_seq = h6.last_seq
    b.good_data(fam=4)
    b.good_data(sess=h4, fam=4)
    # steps 1-10, each after a good packet
    for n in (0, 1, 19):
        b.bad_udp("tun_truncated", tp.forge("truncated", h6, n))
    b.good_data()
    for kind in ("bad_version", "unknown_type", "bad_flags", "unknown_suite",
                 "bad_session_id"):
        b.bad_udp(tp.FORGES[kind][1], tp.forge(kind, h6))
        b.good_data()
    for kind in ("bad_payload_type", "bad_payload_length", "length_mismatch"):
        for v in tp.FORGES[kind][2]:
            b.bad_udp(tp.FORGES[kind][1], tp.forge(kind, h6, v))
        b.good_data(fam=4)
    b.bad_udp("tun_oversize", tp.forge("oversize", h6, mtu=MTU4))
    b.bad_udp("tun_oversize", tp.forge("oversize", h4, mtu=MTU4,
                                       ptype=tp.PT_IPV6), sess=h4)
    # steps 11-14
    for kind in ("unknown_session", "unknown_key", "suite_mismatch",
                 "bad_role"):
        b.bad_udp(tp.FORGES[kind][1], tp.forge(kind, h6))
        b.good_data()
    # step 17, every variant
    for v in tp.FORGES["auth_failed"][2]:
        b.bad_udp("tun_auth_failed", tp.forge("auth_failed", h6, v))
    b.good_data()
    # step 19 (authentic: they use up their sequence numbers); 'mtu' is
    # 1417 bytes on the 1416 session, under step 10's 1436
    mismatch = []
    for v in tp.FORGES["inner_mismatch"][2]:
        d = tp.forge("inner_mismatch", h6, v, mtu=MTU6) if v == "mtu" else \
            tp.forge("inner_mismatch", h6, v)
        b.top[BS6] = h6.last_seq
        mismatch.append(d)
        b.bad_udp("tun_inner_mismatch", d)
    b.good_data()
    # section 1: outer fragments (IPv4 and IPv6), bad UDP checksums
    big = data_at(h4, b._inner(4) / Raw(b"f" * 600), h4.take_seq())
    frags4 = tp.fragment_packet(tp.udp_packet(HUB4, WAN4, PORT, PORT, big),
                                size=256)
    assert len(frags4) == 3
    big6 = data_at(h6, b._inner(6) / Raw(b"g" * 600), h6.take_seq())
    udp6 = bytes(tp.udp_packet(HUB6, WAN6, PORT, PORT, big6)[UDP])
    frags6 = fragment6(IPv6(src=HUB6, dst=WAN6, hlim=64) /
                       IPv6ExtHdrFragment(nh=17, id=0x6006) / Raw(udp6), 400)
    assert len(frags6) >= 2
    b.bad_frames("tun_outer_fragment",
                 [Ether(src=GW_MAC, dst=WAN1_MAC) / f for f in
                  list(frags4) + list(frags6)])
    b.good_data(sess=h4, fam=6)
    b.bad_udp("tun_bad_udp_checksum", h6.data(b._inner(6)),
              bad_checksum=True)
    b.bad_udp("tun_bad_udp_checksum", h4.data(b._inner(4)), sess=h4,
              bad_checksum=True)
    b.bad_udp("tun_bad_udp_checksum", h6.data(b._inner(6)),
              zero_checksum=True)
    b.good_data()
    # replays: the first good packet again, an inner-mismatch one again
    b.bad_udp("tun_replay_duplicate", first)
    b.bad_udp("tun_replay_duplicate", mismatch[0])
    # window edges: top - 4032 too old, top - 4031 new (never sent)
    top = b.top[BS6]
    b.bad_udp("tun_replay_too_old",
              data_at(h6, b._inner(6), top - 4032))
    b.bad_udp("tun_replay_too_old",
              data_at(h6, b._inner(6), first_seq - 5000))
    b.good_data(seq=top - 4031)
    # a forged tag far ahead moves nothing: then top + 1, an unseen number
    # just below top, and the very number the forgery used all pass
    far = top + 1000000
    forged = bytearray(data_at(h6, b._inner(6), far))
    forged[-1] ^= 0x01
    b.bad_udp("tun_auth_failed", bytes(forged))
    b.good_data(seq=top + 1)
    b.good_data(seq=top - 1)      # sent before with a bad checksum only
    b.good_data(seq=far)
    h6.next_seq = far + 1
    # the endpoint answers a KEEPALIVE (on 1201), not its replay, not a
    # forged one, not a REKEY (bad role, above)
    ka = h4.keepalive(timestamp=0x1122334455667788)
    b.ka = (ka, h4.last_seq)
    b.frames.append(b.outer(h4, ka))
    b.bad_udp("tun_replay_duplicate", ka, sess=h4)
    ka_bad = bytearray(h4.keepalive())
    ka_bad[-1] ^= 0x80
    b.bad_udp("tun_auth_failed", bytes(ka_bad), sess=h4)
    b.good_data(sess=h4, fam=4)
    return b


@pytest.fixture(scope="module", params=list(SUITES))
def bad(request):
    b = build_bad_run(SUITES[request.param])
    r = run({"wan1": b.frames},
            endpoint_tunnel(request.param,
                            [("hub1", HUB6, BS6), ("hub2", HUB4, BS4)],
                            inner_mtu=None, mode="active-standby"),
            [("hub1", 1, PSK1), ("hub2", 1, PSK2)],
            queries=("show tunnels",))
    r.b = b
    return r


def test_bad_input_each_counted_once(bad):
    """Every bad message is dropped under its own reason, exactly once:
    the whole drops dict is what was injected, nothing else."""
    check_drops(bad, bad.b.bad)


def test_bad_input_good_traffic_flows(bad):
    """Every good message interleaved with the bad ones comes out on lan0,
    in order, exactly (hop limit one lower), the window edges included:
    top - 4031 is still new, and after a forged tag far ahead the next
    number, a number below top and the forged number itself are new."""
    assert_frames(bad.outputs["lan0"], bad.b.good, "lan0 output")


def test_bad_input_never_answered(bad):
    """Nothing is sent in answer to a dropped message: the one frame on
    wan1 is the KEEPALIVE_REPLY to the one good KEEPALIVE (same size,
    under its key, echoing its sequence and timestamp, back to the hub
    over IPv4, exact bytes)."""
    out = bad.outputs["wan1"]
    assert len(out) == 1, [Ether(f).summary() for f in out]
    ka, ka_seq = bad.b.ka
    h = tun_hdr(out[0])
    assert h["type"] == tp.KEEPALIVE_REPLY and h["session_id"] == BS4, h
    ep = tp.Session(BS4, "initiator", {1: (bad.b.suite, PSK2)}, 1)
    want = to_gw_udp(WAN4, HUB4, sealed(
        ep, tp.KEEPALIVE_REPLY,
        tp.keepalive_reply_body(ka_seq, 0x1122334455667788), tp.PT_NONE,
        h["seq"]))
    assert_frames(out, [want], "KEEPALIVE_REPLY")
    assert len(tun_udp(out[0])[1]) == len(ka)


def test_bad_input_show_tunnels(bad):
    """Per session: DATA received = the good ones, authentication failures
    (session 1101: the five forge variants and the forgery far ahead;
    1201: the forged KEEPALIVE) and replays (1101: two duplicates, two too
    old; 1201: the replayed KEEPALIVE) as injected; the window's top the
    highest sequence accepted."""
    s6, s4 = session_info(bad.info, BS6), session_info(bad.info, BS4)
    assert (s6["auth_failed"], s6["replays"]) == \
        (len(tp.FORGES["auth_failed"][2]) + 1, 4), s6
    assert (s4["auth_failed"], s4["replays"]) == (1, 1), s4
    b = bad.b
    assert s6["rx_packets"] == b.n_good[BS6], s6
    assert s4["rx_packets"] == b.n_good[BS4], s4
    assert s6["rx_top"] == b.top[BS6], s6
    assert s4["rx_top"] == b.top[BS4], s4
    assert (s6["inner_mtu"], s4["inner_mtu"]) == (b.mtu6, b.mtu4)


def test_outer_first_fragments():
    """Outer fragments to the tunnel port are dropped as
    tun_outer_fragment (section 1), the first one (offset 0, MF set, the
    UDP header inside) as much as the others, over IPv4 and IPv6."""
    ep, hb = twins(BSUITE)
    d = hb.data(IPv6(src=SRV6, dst=HOST6) / UDP() / Raw(b"f" * 700))
    f4 = tp.fragment_packet(tp.udp_packet(HUB4, WAN4, PORT, PORT,
                                          d), size=256)
    d = hb.data(IPv6(src=SRV6, dst=HOST6) / UDP() / Raw(b"g" * 700))
    u6 = bytes(tp.udp_packet(HUB6, WAN6, PORT, PORT, d)[UDP])
    f6 = fragment6(IPv6(src=HUB6, dst=WAN6, hlim=64) /
                   IPv6ExtHdrFragment(nh=17, id=0x6006) / Raw(u6), 400)
    firsts = [f4[0], f6[0]]
    assert all(f.haslayer(IPv6ExtHdrFragment) and f[IPv6ExtHdrFragment].m
               or f.haslayer(IP) and f[IP].flags.MF for f in firsts)
    r = run({"wan1": [Ether(src=GW_MAC, dst=WAN1_MAC) / f for f in firsts]},
            endpoint_tunnel("hmac-sha256-128", [("hub1", HUB6, SESS)]),
            [("hub1", 1, PSK1)])
    check_drops(r, {"tun_outer_fragment": 2})
    assert not r.outputs["lan0"] and not r.outputs["wan1"]


# == hub role =================================================================
#
# lan0 is the server side (the LAN host plays the server), wan1 faces the
# endpoints. site-a: sessions 2101, 2102, keys 1 and 2 (1 current at
# start); site-b: session 2201, its own key 1.

HSUITE_NAME = "aes256-gcm"
HSUITE = SUITES[HSUITE_NAME]
PSK_A1, PSK_A2 = bytes(range(1, 33)), bytes(range(64, 96))
PSK_B = bytes(range(200, 232))
A_NET6, A_NET4 = "fd42:a::", "10.1.0."
B_NET6, B_NET4 = "fd42:b::", "10.2.0."
A6, A_PORT = "2001:db8:aa::2", 40123          # site-a's outer, not 61900
A6_Y, A6_Z = "2001:db8:aa::99", "2001:db8:aa::98"
A6_2, A_PORT2 = "2001:db8:aa::3", 41000       # site-a's second session
B4, B_PORT = "203.0.113.50", 45000            # site-b over IPv4

HUB_TUNNEL = {
    "role": "hub", "suite": HSUITE_NAME,
    "endpoints": [
        {"name": "site-a", "sessions": [2101, 2102],
         "prefixes": [A_NET6 + "/64", A_NET4 + "0/24"]},
        {"name": "site-b", "sessions": [2201],
         "prefixes": [B_NET6 + "/64", B_NET4 + "0/24"]}]}
HUB_KEYS = [("site-a", 1, PSK_A1), ("site-a", 2, PSK_A2),
            ("site-b", 1, PSK_B)]

LAN_KICK = Ether(src=HOST_MAC, dst="02:00:00:00:99:99") / \
    IPv6(src=HOST6, dst="fd42:100:1::1") / UDP(sport=9, dport=9)
WAN_KICK = Ether(src=GW_MAC, dst="02:00:00:00:99:98") / \
    IPv6(src=GW6, dst=WAN6) / UDP(sport=9, dport=9)


class Lockstep:
    """Both inputs FIFOs, burst 1: the worker reads one lan0 frame, then
    one wan1 frame, then blocks on lan0 again. Each frame given is fed
    with a kick (dropped as l2_not_for_us) on the other port, so it is
    handled before anything fed after it."""

    def __init__(self, dp):
        self.dp = dp
        self.kicks = 0

    def wan(self, *frames):
        for f in frames:
            self.dp.feed("lan0", [LAN_KICK])
            self.dp.feed("wan1", [f])
            self.kicks += 1

    def lan(self, *frames):
        for f in frames:
            self.dp.feed("lan0", [f])
            self.dp.feed("wan1", [WAN_KICK])
            self.kicks += 1


def ep_twin(sid, keys, send=1):
    k = {kid: (HSUITE, psk) for kid, psk in keys.items()}
    return tp.Session(sid, "initiator", k, send), \
        tp.Session(sid, "responder", k, send)


def a_in(n, fam, src=None):
    if fam == 6:
        return IPv6(src=src or A_NET6 + "10", dst=HOST6, hlim=60, tc=0x20) / \
            UDP(sport=6000 + n, dport=443) / Raw(b"from site-a %d " % n * 3)
    return IP(src=src or A_NET4 + "10", dst=HOST4, ttl=60, id=n, flags="DF",
              tos=0x20) / UDP(sport=6000 + n, dport=443) / \
        Raw(b"from site-a %d " % n * 3)


def ret(n, dst):
    if ":" in dst:
        return IPv6(src=HOST6, dst=dst, hlim=64, tc=0xb8) / \
            UDP(sport=443, dport=7000 + n) / Raw(b"return %d " % n * 4)
    return IP(src=HOST4, dst=dst, ttl=64, id=0x700 + n, flags="DF",
              tos=0x48) / UDP(sport=443, dport=7000 + n) / \
        Raw(b"return %d " % n * 4)


@pytest.fixture(scope="module")
def hub():
    ea1, ha1 = ep_twin(2101, {1: PSK_A1, 2: PSK_A2})
    ea2, ha2 = ep_twin(2102, {1: PSK_A1, 2: PSK_A2})
    eb, hb = ep_twin(2201, {1: PSK_B})
    h = {"ea1": ea1, "ha1": ha1, "ea2": ea2, "ha2": ha2, "eb": eb, "hb": hb}

    def a_udp(d, src=A6, sport=A_PORT):
        return from_gw_udp(src, WAN6, d, sport=sport)

    def b_udp(d):
        return from_gw_udp(B4, WAN4, d, sport=B_PORT)

    kdir = tempfile.mkdtemp(prefix="nep-tunkeys-")
    dp = Dataplane(extra_cfg={
        "tunnel": dict(HUB_TUNNEL, keys_file=write_keys(kdir, HUB_KEYS)),
        "dataplane": {"burst": 1}}, fifo_ports=["lan0", "wan1"])
    try:
        dp.start()
        ls = Lockstep(dp)
        good_in = []          # inner packets that must reach lan0, in order

        def a_data(n, fam, src=A6, sport=A_PORT, seq=None, key=None):
            inner = a_in(n, fam)
            good_in.append(inner)
            s = ea1.take_seq() if seq is None else seq
            ls.wan(a_udp(data_at(ea1, inner, s, key_id=key), src, sport))

        # endpoints' traffic; sequence s + 1 of 2101 is held back
        a_data(1, 6)
        held = ea1.take_seq()
        a_data(2, 4)
        for n, fam in ((3, 4), (4, 6)):
            inner = IPv6(src=B_NET6 + "10", dst=HOST6, hlim=60) / UDP(
                sport=6100 + n, dport=443) / Raw(b"from site-b " * 3) \
                if fam == 6 else IP(src=B_NET4 + "10", dst=HOST4, ttl=60,
                                    id=n) / UDP(sport=6100 + n, dport=443) / \
                Raw(b"from site-b " * 3)
            good_in.append(inner)
            ls.wan(b_udp(eb.data(inner)))
        # site-a sending from site-b's prefix or from nowhere, a broken
        # inner packet: all authentic, from another address (Z)
        for src in (B_NET6 + "10", "10.9.9.9"):
            fam = 6 if ":" in src else 4
            ls.wan(a_udp(ea1.data(a_in(90, fam, src=src)), A6_Z, 40200))
        ls.wan(a_udp(tp.forge("inner_mismatch", ea1, "length"), A6_Z, 40200))
        # site-b's key (also key id 1) on site-a's session
        ls.wan(b_udp(data_at(ea1, a_in(91, 6, src=A_NET6 + "66"),
                             ea1.take_seq(), key_psk=PSK_B)))
        # a REKEY_ACK to a hub
        ls.wan(a_udp(tp.forge("bad_role", ea1)))
        # a KEEPALIVE, answered
        h["ka"] = ea1.keepalive(timestamp=0x0102030405060708)
        h["ka_seq"] = ea1.last_seq
        ls.wan(a_udp(h["ka"]))
        # the held-back sequence, authentic, from Y: accepted (below top),
        # must not redirect the session
        a_data(5, 6, src=A6_Y, sport=50000, seq=held)
        # return traffic: site-a (IPv6 and IPv4 inside IPv6), site-b
        # (IPv4 outer); SYNs clamped to the path's inner MTU (IPv6 outer:
        # 1500 - 84 = 1416, IPv4: 1436); one byte over 1416: Packet Too Big
        h["ret"] = []         # (session, expected inner, key id)
        ptb_big = sized6(MTU - 84 + 1, A_NET6 + "20", 7099, src=HOST6)
        syn_a = syn6(HOST6, A_NET6 + "20", 7098, 1460)
        syn_b = syn4(HOST4, B_NET4 + "20", 7097, 1460)
        h["ptb"] = [icmp6_error(ICMPv6PacketTooBig(mtu=MTU - 84), ptb_big)]

        def ret_to(sid, kid, *pkts):
            for p, want in pkts:
                h["ret"].append((sid, want, kid))
                ls.lan(lan(p))

        ret_to(2101, 1, (ret(1, A_NET6 + "20"),) * 2,
               (ret(2, A_NET4 + "20"),) * 2,
               (syn_a, clamped(syn_a, MTU - 84 - 60)))
        ls.lan(lan(ptb_big))
        ret_to(2201, 1, (ret(3, B_NET4 + "20"),) * 2,
               (ret(4, B_NET6 + "20"),) * 2,
               (syn_b, clamped(syn_b, MTU - 64 - 40)))
        # site-a to site-b through the hub: decapsulated, routed, into
        # site-b's tunnel (aged once)
        hairpin = IPv6(src=A_NET6 + "10", dst=B_NET6 + "30", hlim=60) / \
            UDP(sport=6200, dport=6201) / Raw(b"site-a to site-b")
        h["ret"].append((2201, hairpin, 1))
        ls.wan(a_udp(ea1.data(hairpin)))
        dp.wait_idle()
        h["before_rekey"] = {"show tunnels": dp.json("show tunnels")}
        # REKEY under key 2: the hub switches and answers
        h["rekey"] = ea1.rekey(2)
        h["rekey_seq"] = ea1.last_seq
        ls.wan(a_udp(h["rekey"]))
        dp.wait_for("the hub sending under key 2", lambda: session_info(
            {"show tunnels": dp.json("show tunnels")}, 2101)["tx_key"] == 2)
        ret_to(2101, 2, (ret(5, A_NET6 + "20"),) * 2)
        # key 1 still accepted after the switch, key 2 too, then key 1
        a_data(6, 6, key=1)
        a_data(7, 4, key=2)
        a_data(8, 6, key=1)
        # site-a's other session, from elsewhere: the last used from now
        inner = a_in(9, 6)
        good_in.append(inner)
        ls.wan(from_gw_udp(A6_2, WAN6, ea2.data(inner), sport=A_PORT2))
        ret_to(2102, 1, (ret(6, A_NET6 + "20"),) * 2)
        dp.wait_idle()
        h["info"] = {"show tunnels": dp.json("show tunnels")}
        h["kicks"] = ls.kicks
        h["good_in"] = good_in
        r = dp.stop()
    finally:
        dp.cleanup()
        shutil.rmtree(kdir, ignore_errors=True)
    r.h = h
    return r


def test_hub_decap_and_inner_source(hub):
    """DATA from both endpoints (IPv4 and IPv6 payloads, IPv6 and IPv4
    outer) leaves lan0 exactly, the held-back (reordered) one included;
    site-a's packets from site-b's prefix or from outside its prefixes are
    dropped as tun_inner_source, a broken inner packet as
    tun_inner_mismatch, site-b's key on site-a's session (same key id 1)
    as tun_auth_failed, a REKEY_ACK as tun_bad_role; nothing else."""
    lan0 = hub.outputs["lan0"]
    errs = [f for f in lan0 if Ether(f).haslayer(ICMPv6PacketTooBig)]
    assert_frames([f for f in lan0 if f not in errs],
                  [to_host(p) for p in hub.h["good_in"]], "lan0 output")
    assert_frames(errs, hub.h["ptb"], "Packet Too Big, 1416, on lan0")
    check_drops(hub, {"tun_inner_source": 2, "tun_inner_mismatch": 1,
                      "tun_auth_failed": 1, "tun_bad_role": 1,
                      "mtu_exceeded": 1, "l2_not_for_us": hub.h["kicks"]})


def _hub_frames(hub):
    """wan1 output by (session, type): [(frame, header)]."""
    by = {}
    for f in hub.outputs["wan1"]:
        h = tun_hdr(f)
        by.setdefault((h["session_id"], h["type"]), []).append((f, h))
    return by


def test_hub_return_traffic_to_learned_address(hub):
    """Return traffic to site-a's prefixes is encapsulated toward the
    address and port site-a last used for an accepted packet that raised
    the window (2001:db8:aa::2 port 40123: not the reordered packet's, not
    the dropped ones'), from our address it sent to, port 61900; site-b's
    over IPv4; under the current key (1, then 2 after the REKEY); after
    site-a's other session was used, on that one (to its address); SYNs
    clamped to the path (1416 - 60 over IPv6, 1436 - 40 over IPv4); site-a
    to site-b goes through the hub into site-b's tunnel; exact bytes."""
    h = hub.h
    by = _hub_frames(hub)
    peer = {2101: (h["ha1"], WAN6, A6, A_PORT),
            2102: (h["ha2"], WAN6, A6_2, A_PORT2),
            2201: (h["hb"], WAN4, B4, B_PORT)}
    data = {sid: list(by.get((sid, tp.DATA), [])) for sid in peer}
    got, want = [], []
    for sid, inner, kid in h["ret"]:
        assert data[sid], f"no DATA on session {sid} for {inner!r}"
        f, hdr = data[sid].pop(0)
        tw, src, dst, dport = peer[sid]
        got.append(f)
        want.append(encap_expected(tw, hdr["seq"], inner, src, dst, PORT,
                                   dport, key_id=kid))
    assert_frames(got, want, "hub's DATA toward the endpoints")
    assert not any(data.values()), data


def test_hub_keepalive_reply(hub):
    """A KEEPALIVE is answered with a KEEPALIVE_REPLY of exactly its size,
    under its key id, echoing its sequence and timestamp, back to where it
    came from; tunpeer's endpoint opens it (exact bytes)."""
    h = hub.h
    rep = _hub_frames(hub).get((2101, tp.KEEPALIVE_REPLY), [])
    assert len(rep) == 1, rep
    f, hdr = rep[0]
    want = to_gw_udp(WAN6, A6, sealed(
        h["ha1"], tp.KEEPALIVE_REPLY,
        tp.keepalive_reply_body(h["ka_seq"], 0x0102030405060708), tp.PT_NONE,
        hdr["seq"], key_id=1), dport=A_PORT)
    assert_frames([f], [want], "KEEPALIVE_REPLY")
    d = tun_udp(f)[1]
    assert len(d) == len(h["ka"]) and hdr["key_id"] == 1
    body = tp.parse_body(tp.KEEPALIVE_REPLY, plain(h["ea1"], f))
    assert body == {"echo_seq": h["ka_seq"],
                    "echo_timestamp": 0x0102030405060708}, body


def test_hub_rekey_ack(hub):
    """A REKEY under key 2 is answered with a REKEY_ACK under key 2 whose
    body echoes the REKEY's sequence and names key 2 (exact bytes); the
    endpoint's twin opens it and switches to key 2; show tunnels shows the
    hub sending under 2 with keys 1 and 2 live."""
    h = hub.h
    acks = _hub_frames(hub).get((2101, tp.REKEY_ACK), [])
    assert len(acks) == 1, acks
    f, hdr = acks[0]
    want = to_gw_udp(WAN6, A6, sealed(
        h["ha1"], tp.REKEY_ACK, tp.rekey_ack_body(h["rekey_seq"], 2),
        tp.PT_NONE, hdr["seq"], key_id=2), dport=A_PORT)
    assert_frames([f], [want], "REKEY_ACK")
    ea = tp.Session(2101, "initiator", {1: (HSUITE, PSK_A1),
                                        2: (HSUITE, PSK_A2)}, 1)
    ea.rekey(2)
    hh, payload = ea.open(tun_udp(f)[1])
    assert ea.answer(hh, payload) is None and ea.send_key_id == 2
    s = session_info(h["info"], 2101)
    assert (s["tx_key"], sorted(s["keys"])) == (2, [1, 2]), s
    assert session_info(h["before_rekey"], 2101)["tx_key"] == 1


def test_hub_sequence_numbers(hub):
    """Everything the hub sends on a session (DATA, the KEEPALIVE_REPLY,
    the REKEY_ACK) takes the next number of one counter."""
    for sid in (2101, 2102, 2201):
        seqs = sorted(hdr["seq"] for f in hub.outputs["wan1"]
                      for hdr in [tun_hdr(f)] if hdr["session_id"] == sid)
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), (sid, seqs)


def test_hub_show_tunnels(hub):
    """`show tunnels --json` on the hub: each session's learned peer, DATA
    packets received and sent as injected, the authentication failure on
    2101, no replays."""
    t = hub.h["info"]["show tunnels"]
    assert (t["role"], t["suite"]) == ("hub", HSUITE_NAME), t
    s1, s2, sb = (session_info(hub.h["info"], x) for x in (2101, 2102, 2201))
    assert (s1["peer"], s1["peer_address"], s1["local_address"]) == \
        ("site-a", A6, WAN6), s1
    assert (s2["peer"], s2["peer_address"]) == ("site-a", A6_2), s2
    assert (sb["peer"], sb["peer_address"], sb["local_address"]) == \
        ("site-b", B4, WAN4), sb
    assert (s1["auth_failed"], s1["replays"]) == (1, 0), s1
    assert (sb["auth_failed"], sb["replays"], s2["auth_failed"]) == \
        (0, 0, 0), (sb, s2)
    assert (sb["rx_packets"], sb["tx_packets"]) == (2, 4), sb
    assert (s2["rx_packets"], s2["tx_packets"]) == (1, 1), s2
    assert s1["state"] == "up" and sb["state"] == "up", (s1, sb)


def test_hub_control_messages_counted_consistently(hub):
    """Session 2101 received 7 DATA + 2 control messages (KEEPALIVE, REKEY;
    the REKEY_ACK forgery and the failed ones excluded) and sent 4 DATA + 2
    control (KEEPALIVE_REPLY, REKEY_ACK). Its counters must use one rule
    for both directions: DATA only (rx 7, tx 4, tx_bytes = the inner
    packets' bytes) or every message (rx 9, tx 6)."""
    s = session_info(hub.h["info"], 2101)
    data_tx = sum(len(bytes(p)) for sid, p, _ in hub.h["ret"] if sid == 2101)
    got = (s["rx_packets"], s["tx_packets"])
    assert got in ((7, 4), (9, 6)), \
        f"2101 rx/tx packets {got}: neither DATA only (7, 4) nor every " \
        f"message (9, 6); tx_bytes {s['tx_bytes']} (DATA payloads: " \
        f"{data_tx})"
    if got == (7, 4):
        assert s["tx_bytes"] == data_tx, s


# == configuration errors =====================================================

def _yaml(keys, role="endpoint"):
    """A minimal configuration (lines) with a tunnel of `role`."""
    head = ["eal: {lcores: \"0-1\", no_huge: true}",
            "ports:",
            "  - name: lan0",
            "    role: lan",
            "    devargs: \"net_pcap0,rx_pcap=/dev/null\"",
            "    addresses: [fd42:100:1::1/64]",
            "  - name: wan1",
            "    role: wan",
            "    devargs: \"net_pcap1,rx_pcap=/dev/null\"",
            f"    addresses: [{WAN6}/64]"]
    if role == "endpoint":
        return head + [
            "uplinks:",
            f"  - {{name: isp1, port: wan1, next_hop: \"{GW6}\", "
            "delegated_prefix: \"2001:db8:1100:1::/64\"}",
            "tunnel:",
            "  role: endpoint",
            f"  keys_file: {keys}",
            "  uplinks: [isp1]",
            "  hubs:",
            "    - name: hub1",
            f"      address: \"{HUB6}\"",
            "      sessions: [1101]"]
    return head + [
        "tunnel:",
        "  role: hub",
        f"  keys_file: {keys}",
        "  endpoints:",
        "    - name: site-a",
        "      sessions: [2101]",
        "      prefixes: [fd42:a::/64]"]


def _pos(lines, text):
    """line:column (from 1) of the first occurrence of text."""
    for i, ln in enumerate(lines):
        if text in ln:
            return f"{i + 1}:{ln.index(text) + 1}"
    raise ValueError(text)


@pytest.fixture
def cfgdir():
    d = Path(tempfile.mkdtemp(prefix="nep-tuncfg-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def check_config(cfgdir, key_text, mode=0o600, role="endpoint"):
    """neptune --check-config on a configuration whose keys file holds
    key_text: (exit status, output, config path, keys path, lines)."""
    keys = cfgdir / "tunnel.keys"
    keys.write_text(key_text)
    os.chmod(keys, mode)
    lines = _yaml(keys, role)
    cfg = cfgdir / "neptune.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    p = subprocess.run([str(NEPTUNE), "--check-config", str(cfg)],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr, cfg, keys, lines


def test_check_config_accepts_good_keys(cfgdir):
    rc, out, *_ = check_config(cfgdir, f"hub1 1 {PSK1.hex()}\n")
    assert rc == 0, out


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_keys_file_readable_by_others_refused(cfgdir, mode):
    """A keys file anyone but its owner may read or write is refused: the
    error names the file and its mode."""
    rc, out, cfg, keys, lines = check_config(
        cfgdir, f"hub1 1 {PSK1.hex()}\n", mode)
    assert rc != 0, out
    assert f"{cfg}:{_pos(lines, str(keys))}: tunnel.keys_file: {keys}: " \
        f"mode {mode:04o}" in out, out
    assert PSK1.hex() not in out


def test_keys_file_mode_stops_startup(cfgdir):
    """Not only --check-config: neptune itself does not start."""
    keys = cfgdir / "tunnel.keys"
    keys.write_text(f"hub1 1 {PSK1.hex()}\n")
    os.chmod(keys, 0o644)
    dp = Dataplane(extra_cfg={"uplinks": [ISP1], "tunnel": dict(
        endpoint_tunnel("hmac-sha256-128", [("hub1", HUB6, SESS)]),
        keys_file=str(keys))})
    try:
        with pytest.raises(DataplaneError) as e:
            dp.start()
        assert f"{keys}: mode 0644" in str(e.value), str(e.value)
        assert dp.proc.returncode != 0
        assert not (dp.tmp / "nep.sock").exists()
    finally:
        dp.cleanup()


@pytest.mark.parametrize("name,text,where,what", [
    ("31 bytes", "# the hub\nhub1 1 " + "ab" * 31 + "\n", "2:8",
     "key: expected 64 to 128 hex digits (32 to 64 bytes), found 62 digits"),
    ("odd digits", "hub1 1 " + "ab" * 32 + "c\n", "1:8",
     "key: expected 64 to 128 hex digits"),
    ("not hex", "hub1 1 " + "ab" * 5 + "g" + "b" + "ab" * 26 + "\n", "1:18",
     "key: not a hex digit"),
    ("key id", "hub1 256 " + "ab" * 32 + "\n", "1:6",
     "key id: expected 0-255"),
])
def test_keys_file_bad_line(cfgdir, name, text, where, what):
    """A bad key line: the error points at file:line:column of the keys
    file, says what is wrong, and never echoes the key."""
    rc, out, cfg, keys, lines = check_config(cfgdir, text)
    assert rc != 0, out
    assert f"{keys}:{where}: {what}" in out, out
    assert "ab" * 8 not in out, "the key is echoed"


@pytest.mark.parametrize("role,peer", [("endpoint", "hub1"),
                                       ("hub", "site-a")])
def test_keys_file_missing_peer(cfgdir, role, peer):
    """A hub (endpoint role) or endpoint (hub role) with no key in the
    keys file: error at the name's file:line:column in the configuration."""
    rc, out, cfg, keys, lines = check_config(
        cfgdir, f"someone-else 1 {PSK1.hex()}\n", role=role)
    assert rc != 0, out
    kind = "hubs" if role == "endpoint" else "endpoints"
    what = "hub" if role == "endpoint" else "endpoint"
    line, col = _pos(lines, "name: " + peer).split(":")
    want = f"{cfg}:{line}:{int(col) + 6}: tunnel.{kind}[0].name: no key " \
        f"for {what} '{peer}' in {keys}"
    assert want in out, out


# == key rotation driven by the endpoint ======================================

def test_endpoint_rotation():
    """`tunnel rekey hub1` on an endpoint with keys 1 and 2 for the hub:
    it sends a REKEY under key 2 naming key 1 (exact bytes); until the
    REKEY_ACK it keeps sending DATA under key 1; on the hub's REKEY_ACK
    (under key 2) it sends under key 2; the hub's DATA under key 1 is still
    accepted (grace time), under key 2 too; a second `tunnel rekey` is
    refused (key 1 is retired, no new key). Lock step as in the hub
    run."""
    suite = tp.SUITE_CHACHA
    keys = {1: (suite, PSK1), 2: (suite, PSK2)}
    ep = tp.Session(SESS, "initiator", keys, 1)
    hb = tp.Session(SESS, "responder", keys, 1)
    kdir = tempfile.mkdtemp(prefix="nep-tunkeys-")
    dp = Dataplane(extra_cfg={
        "uplinks": [ISP1], "dataplane": {"burst": 1},
        "tunnel": dict(endpoint_tunnel("chacha20-poly1305",
                                       [("hub1", HUB6, SESS)]),
                       keys_file=write_keys(kdir, [("hub1", 1, PSK1),
                                                   ("hub1", 2, PSK2)]))},
        fifo_ports=["lan0", "wan1"])
    sent = [E6, E4, E6_PING]            # into the tunnel: key 1, 1, 2
    back = [D6, D4, D6_REPLY]           # from the hub: key 1, 1, 2
    try:
        dp.start()
        ls = Lockstep(dp)
        ls.lan(lan(sent[0]))
        dp.wait_idle()
        seq_before = session_info({"show tunnels": dp.json("show tunnels")},
                                  SESS)["tx_seq"]
        ok, out = dp.cmd("tunnel rekey hub1")
        assert ok, out

        def rekey_sent():
            ls.lan(LAN_KICK)            # lets the worker send what the
            s = session_info(            # control lcore queued
                {"show tunnels": dp.json("show tunnels")}, SESS)
            return s if s["tx_seq"] > seq_before else None
        s = dp.wait_for("the REKEY", rekey_sent)
        assert s["rekeying"] and s["tx_key"] == 1, s
        rekey_seq = s["tx_seq"] - 1
        ls.lan(lan(sent[1]))            # still key 1
        ls.wan(from_gw_udp(HUB6, WAN6, hb.seal(
            tp.REKEY_ACK, tp.rekey_ack_body(rekey_seq, 2), tp.PT_NONE, 2)))
        dp.wait_for("the endpoint sending under key 2", lambda: session_info(
            {"show tunnels": dp.json("show tunnels")}, SESS)["tx_key"] == 2)
        ls.lan(lan(sent[2]))
        ls.wan(from_gw_udp(HUB6, WAN6, hb.data(back[0], key_id=1)),
               from_gw_udp(HUB6, WAN6, hb.data(back[1], key_id=1)),
               from_gw_udp(HUB6, WAN6, hb.data(back[2], key_id=2)))
        dp.wait_idle()
        info = {"show tunnels": dp.json("show tunnels")}
        # key 1 is retired (refused by the hub after its grace time): no
        # rotation back to it, however the keys file still lists it
        again = dp.cmd("tunnel rekey hub1")
        r = dp.stop()
    finally:
        dp.cleanup()
        shutil.rmtree(kdir, ignore_errors=True)
    assert not again[0] and "no next key" in again[1], again
    out = r.outputs["wan1"]
    hdrs = [tun_hdr(f) for f in out]
    rk = [(f, h) for f, h in zip(out, hdrs) if h["type"] == tp.REKEY]
    assert len(rk) == 1, hdrs
    f, h = rk[0]
    body = plain(hb, f)
    assert body[:8] == b"\x01" + bytes(7) and h["key_id"] == 2 and \
        h["seq"] == rekey_seq, (h, body)
    assert_frames([f], [to_gw_udp(WAN6, HUB6, sealed(
        ep, tp.REKEY, body, tp.PT_NONE, h["seq"], key_id=2))], "REKEY")
    data = [(f, h) for f, h in zip(out, hdrs) if h["type"] == tp.DATA]
    want = [encap_expected(ep, h["seq"], p, WAN6, HUB6, key_id=k)
            for (f, h), p, k in zip(data, sent, (1, 1, 2))]
    assert_frames([f for f, _ in data], want, "DATA around the rotation")
    assert len(out) == 4, hdrs
    assert_frames(r.outputs["lan0"], [to_host(p) for p in back],
                  "the hub's DATA under keys 1 and 2")
    s = session_info(info, SESS)
    assert (s["tx_key"], s["rekeying"], s["rekeys"]) == (2, False, 1), s
