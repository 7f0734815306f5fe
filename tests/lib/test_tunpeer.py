#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of tests/lib/tunpeer.py against docs/tunnel-protocol.md.

The worked examples are read from the document itself (section 10) and
from the output of tests/unit/gen_tunnel_example.py, so a change to either
that the peer does not follow fails here.  No root needed.
"""
import os
import random
import re
import struct
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import tunpeer as tp  # noqa: E402
from tunpeer import TunError  # noqa: E402

DOC = os.path.join(ROOT, "docs", "tunnel-protocol.md")
GEN = os.path.join(ROOT, "tests", "unit", "gen_tunnel_example.py")

PSK = bytes(range(32))
SID = 0x0a0b0c0d
SUITES = sorted(tp.SUITES)
W = 4032


# ------------------------------------------------------------ reading dumps

_HEXLINE = re.compile(r"^([0-9a-f]{4})\s\s(.*)$")


def parse_dump(text):
    """Bytes of a '0000  01 02 ...' hex dump; trailing annotations (any
    token that is not two hex digits) end a line."""
    out = bytearray()
    for line in text.splitlines():
        m = _HEXLINE.match(line.strip())
        if not m:
            continue
        assert int(m.group(1), 16) == len(out), line
        for tok in m.group(2).split():
            if not re.fullmatch(r"[0-9a-f]{2}", tok):
                break
            out.append(int(tok, 16))
    return bytes(out)


def doc_examples():
    """Section 10 of the document as a dict."""
    text = open(DOC, encoding="utf-8").read()
    sec = text[text.index("## 10. Worked example"):]
    sec = sec[:sec.index("\n## 11.")]
    blocks = re.findall(r"```\n(.*?)```", sec, re.S)
    ex = {"inner": parse_dump(blocks[0])}
    kv = dict(re.findall(r"^(info|PRK|K)\s*=\s*(.+)$", blocks[1], re.M))
    ex["info"] = bytes.fromhex(kv["info"].replace(" ", ""))
    ex["prk"] = bytes.fromhex(kv["PRK"])
    ex["key"] = {1: bytes.fromhex(kv["K"])}
    ex["udp"] = {1: parse_dump(blocks[2])}
    m = re.search(r"^Suite 1 \(([^)]*)\)", sec, re.M)
    ex["names"] = {1: m.group(1)}
    for m in re.finditer(r"^Suite (\d) \(([^)]*)\), K = `([0-9a-f]{64})`"
                         r"(.*?)```\n(.*?)```", sec, re.M | re.S):
        n = int(m.group(1))
        ex["names"][n] = m.group(2)
        ex["key"][n] = bytes.fromhex(m.group(3))
        ex["udp"][n] = parse_dump(m.group(5))
        nm = re.search(r"nonce `([0-9a-f ]+)`", m.group(4))
        if nm:
            ex["nonce"] = bytes.fromhex(nm.group(1).replace(" ", ""))
    return ex


EX = doc_examples()


def test_doc_has_all_four_suites():
    assert sorted(EX["udp"]) == SUITES
    assert sorted(EX["key"]) == SUITES
    assert {n: tp.SUITES[n][0] for n in SUITES} == EX["names"]


def test_doc_inner_packet_is_the_icmp_echo_it_describes():
    from scapy.layers.inet import ICMP, IP
    p = IP(src="10.0.0.1", dst="198.18.77.10", id=0, flags="DF", ttl=64) / \
        ICMP(type=8, id=1, seq=1) / b"ping"
    assert bytes(p) == EX["inner"]
    assert len(EX["inner"]) == 32


# ------------------------------------------------------- section 10 examples

def test_kdf_values():
    assert tp.kdf_info(SID, 1, 0, 1) == EX["info"] == bytes.fromhex(
        "0a0b0c0d010001")
    assert tp.kdf_prk(PSK) == EX["prk"]
    for suite in SUITES:
        assert tp.derive_key(PSK, SID, 1, tp.DIR_I2R, suite) == \
            EX["key"][suite], suite


def test_kdf_is_rfc5869_hkdf():
    """Cross-check the stdlib construction against cryptography's HKDF."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    rng = random.Random(5869)
    for _ in range(20):
        psk = rng.randbytes(rng.choice([32, 33, 64, 100]))
        sid, kid = rng.randrange(1, 1 << 32), rng.randrange(256)
        d, s = rng.randrange(2), rng.choice(SUITES)
        ref = HKDF(hashes.SHA256(), 32, b"neptune-tun-v1",
                   tp.kdf_info(sid, kid, d, s)).derive(psk)
        assert tp.derive_key(psk, sid, kid, d, s) == ref


def test_keys_are_distinct_per_parameter():
    base = (PSK, SID, 1, 0, 1)
    keys = {tp.derive_key(*base)}
    for i, v in ((0, bytes(range(1, 33))), (1, SID + 1), (2, 2), (3, 1),
                 (4, 2)):
        args = list(base)
        args[i] = v
        keys.add(tp.derive_key(*args))
    assert len(keys) == 6


def test_nonce():
    assert tp.nonce(1, 0, 7) == EX["nonce"] == bytes.fromhex(
        "010000000000000000000007")
    assert tp.nonce(0xab, 1, 0x0102030405060708) == bytes.fromhex(
        "ab0100000102030405060708")


@pytest.mark.parametrize("suite", SUITES)
def test_worked_example_seal(suite):
    s = tp.Session(SID, "initiator", {1: (suite, PSK)}, 1)
    d = s.seal(tp.DATA, EX["inner"], tp.PT_IPV4, seq=7)
    assert d == EX["udp"][suite]
    assert len(d) == 20 + 32 + tp.tag_len(suite)


@pytest.mark.parametrize("suite", SUITES)
def test_worked_example_open(suite):
    r = tp.Session(SID, "responder", {1: (suite, PSK)}, 1)
    h, p = r.open(EX["udp"][suite])
    assert p == EX["inner"]
    assert (h["version"], h["type"], h["flags"], h["ptype"], h["key_id"],
            h["suite"], h["length"], h["session_id"], h["seq"]) == \
        (1, tp.DATA, 0, tp.PT_IPV4, 1, suite, 32, SID, 7)
    # the responder must not accept it as if it came from itself
    i = tp.Session(SID, "initiator", {1: (suite, PSK)}, 1)
    with pytest.raises(TunError) as e:
        i.open(EX["udp"][suite])
    assert e.value.name == "tun_auth_failed"


def test_worked_example_hmac_tag_statement():
    """'The tag is the first 16 bytes of HMAC-SHA-256(K, bytes 0x00-0x33).'"""
    import hashlib
    import hmac
    d = EX["udp"][1]
    assert hmac.new(EX["key"][1], d[:0x34], hashlib.sha256).digest()[:16] \
        == d[0x34:]


def gen_output():
    r = subprocess.run([sys.executable, GEN], capture_output=True, text=True,
                       check=True, timeout=60)
    return r.stdout


def test_generator_output_matches():
    """tests/unit/gen_tunnel_example.py (its output only) against us."""
    out = gen_output()
    head, *parts = re.split(r"^== suite ", out, flags=re.M)
    psk = parse_dump(head.split("PSK:")[1].split("inner packet")[0])
    inner = parse_dump(head.split("inner packet")[1].split("nonce")[0])
    assert psk == PSK and inner == EX["inner"]
    n = re.search(r"^nonce: ([0-9a-f]{24})$", head, re.M).group(1)
    assert bytes.fromhex(n) == tp.nonce(1, 0, 7)
    seen = set()
    for part in parts:
        suite = int(part.split()[0])
        seen.add(suite)
        kv = dict(re.findall(r"^(info|PRK|key):\s+([0-9a-f]+)$", part, re.M))
        assert bytes.fromhex(kv["info"]) == tp.kdf_info(SID, 1, 0, suite)
        assert bytes.fromhex(kv["PRK"]) == tp.kdf_prk(PSK)
        assert bytes.fromhex(kv["key"]) == tp.derive_key(PSK, SID, 1, 0,
                                                         suite)
        m = re.search(r"UDP payload \((\d+) bytes\):\n(.*)", part, re.S)
        udp = parse_dump(m.group(2))
        assert len(udp) == int(m.group(1))
        s = tp.Session(SID, "initiator", {1: (suite, PSK)}, 1)
        assert s.seal(tp.DATA, inner, tp.PT_IPV4, seq=7) == udp
        assert udp == EX["udp"][suite]
    assert seen == set(SUITES)


def test_overhead_table():
    """Section 9's table."""
    want = {1: (64, 84, 1436, 1416), 2: (80, 100, 1420, 1400),
            3: (64, 84, 1436, 1416), 4: (64, 84, 1436, 1416)}
    for s, (o4, o6, m4, m6) in want.items():
        assert tp.overhead(s) == o4 and tp.overhead(s, True) == o6
        assert 1500 - o4 == m4 and 1500 - o6 == m6


# -------------------------------------------------------------- round trips

def pair(suite=1, suite2=None, **kw):
    keys = {1: (suite, PSK)}
    if suite2:
        keys[2] = (suite2, bytes(range(100, 132)))
    i = tp.Session(SID, "initiator", keys, 1, **kw)
    r = tp.Session(SID, "responder", keys, 1, **kw)
    return i, r


@pytest.mark.parametrize("suite", SUITES)
def test_round_trip_data(suite):
    i, r = pair(suite)
    for a, b in ((i, r), (r, i)):
        for ptype, n in ((4, 20), (4, 576), (4, 1400), (6, 40), (6, 1280),
                         (6, 1400)):
            inner = tp.inner_packet(ptype, n)
            d = a.data(inner)
            assert len(d) == 20 + n + tp.tag_len(suite)
            if tp.SUITES[suite][2] is None:
                assert d[20:20 + n] == inner        # HMAC: clear
            else:
                assert d[20:20 + n] != inner        # AEAD: encrypted
            h, p = b.open(d)
            assert p == inner and h["ptype"] == ptype
            assert h["seq"] == a.last_seq


@pytest.mark.parametrize("suite", SUITES)
def test_round_trip_keepalive(suite):
    i, r = pair(suite)
    for a, b in ((i, r), (r, i)):
        ka = a.keepalive(timestamp=0x1122334455667788)
        h, body = b.open(ka)
        assert h["type"] == tp.KEEPALIVE and h["ptype"] == 0
        assert h["length"] == 16
        assert tp.parse_body(tp.KEEPALIVE, body) == {
            "timestamp": 0x1122334455667788}
        assert body[8:] == bytes(8)
        rep = b.answer(h, body)
        assert len(rep) == len(ka)              # no amplification
        h2, body2 = a.open(rep)
        assert h2["type"] == tp.KEEPALIVE_REPLY
        assert h2["key_id"] == h["key_id"]
        assert tp.parse_body(tp.KEEPALIVE_REPLY, body2) == {
            "echo_seq": h["seq"], "echo_timestamp": 0x1122334455667788}


def test_keepalive_rtt():
    i, r = pair(3)
    h, b = r.open(i.keepalive())
    h, b = i.open(r.answer(h, b))
    assert i.answer(h, b) is None
    assert 0 <= i.rtt_ns < 10**9


def test_control_bodies():
    assert tp.keepalive_body(5) == bytes(7) + b"\x05" + bytes(8)
    assert tp.keepalive_reply_body(1, 2) == struct.pack("!QQ", 1, 2)
    assert tp.rekey_body(3, 9) == b"\x03" + bytes(7) + struct.pack("!Q", 9)
    assert tp.rekey_ack_body(7, 2) == struct.pack("!Q", 7) + b"\x02" + \
        bytes(7)
    assert tp.parse_body(tp.REKEY, tp.rekey_body(3, 9)) == {
        "old_key_id": 3, "timestamp": 9}
    assert tp.parse_body(tp.REKEY_ACK, tp.rekey_ack_body(7, 2)) == {
        "echo_seq": 7, "new_key_id": 2}
    # zero fields are ignored on receipt
    assert tp.parse_body(tp.KEEPALIVE, tp.keepalive_body(5)[:8] +
                         b"\xff" * 8) == {"timestamp": 5}


@pytest.mark.parametrize("suites", [(1, 1), (1, 3), (3, 4), (4, 2)])
def test_rekey(suites):
    i, r = pair(suites[0], suites[1])
    r.open(i.data(tp.ipv4_packet(60)))
    rk = i.rekey(2)
    h, b = r.open(rk)
    assert h["key_id"] == 2 and tp.parse_body(tp.REKEY, b)["old_key_id"] == 1
    ack = r.answer(h, b)
    assert r.send_key_id == 2
    in_flight = i.data(tp.ipv4_packet(60))      # still under key 1
    h2, b2 = i.open(ack)
    assert h2["type"] == tp.REKEY_ACK and h2["key_id"] == 2
    assert tp.parse_body(tp.REKEY_ACK, b2) == {"echo_seq": h["seq"],
                                               "new_key_id": 2}
    # a repeated REKEY gets another REKEY_ACK
    h3, b3 = r.open(i.rekey(2))
    assert r.answer(h3, b3) is not None
    assert i.answer(h2, b2) is None and i.send_key_id == 2
    # sequence numbers continue across keys, one window for both key ids
    d = i.data(tp.ipv4_packet(60))
    assert struct.unpack_from("!Q", d, 12)[0] > h3["seq"]
    assert r.open(d)[0]["key_id"] == 2
    assert r.open(in_flight)[0]["key_id"] == 1   # grace: old key accepted
    # grace over: the old key is forgotten
    r.remove_key(1)
    i.remove_key(1)
    old = tp.Session(SID, "initiator", {1: (suites[0], PSK)}, 1,
                     seq_start=i.next_seq)
    with pytest.raises(TunError) as e:
        r.open(old.data(tp.ipv4_packet(60)))
    assert e.value.name == "tun_unknown_key"


def test_same_seq_other_key_is_duplicate():
    """One window for all key ids of a session (section 5)."""
    i, r = pair(1, 3)
    d1 = i.seal(tp.DATA, tp.ipv4_packet(40), 4, key_id=1, seq=1000)
    d2 = i.seal(tp.DATA, tp.ipv4_packet(40), 4, key_id=2, seq=1000)
    r.open(d1)
    with pytest.raises(TunError) as e:
        r.open(d2)
    assert e.value.name == "tun_replay_duplicate"


def test_seq_start_and_exhaustion():
    import time
    t0 = time.time_ns()
    s = tp.Session(SID, "initiator", {1: (1, PSK)}, 1)
    assert t0 <= s.next_seq <= time.time_ns()
    d = s.keepalive()
    assert t0 <= struct.unpack_from("!Q", d, 12)[0] <= time.time_ns()
    s = tp.Session(SID, "initiator", {1: (1, PSK)}, 1,
                   seq_start=tp.UINT64_MAX - 1)
    s.keepalive()
    with pytest.raises(TunError) as e:
        s.keepalive()
    assert e.value.name == "tun_seq_exhausted"


def test_config_limits():
    with pytest.raises(ValueError):
        tp.Session(0, "initiator", {1: (1, PSK)}, 1)
    with pytest.raises(ValueError):
        tp.Session(SID, "initiator", {1: (1, PSK[:31])}, 1)
    with pytest.raises(ValueError):
        tp.Session(SID, "initiator", {1: (1, PSK), 2: (1, PSK),
                                      3: (1, PSK)}, 1)
    r = tp.Session(SID, "responder", {1: (1, PSK)}, 1)
    with pytest.raises(ValueError):
        r.rekey(1)                      # the responder never sends REKEY


# ------------------------------------------------------------ replay window

def states(w, seqs):
    out = []
    for s in seqs:
        st = w.state(s)
        out.append(st)
        if st == "new":
            w.update(s)
    return out


def test_window_size():
    w = tp.ReplayWindow()
    assert (w.B, w.W) == (64, W)
    assert tp.ReplayWindow(32).W == 31 * 64
    with pytest.raises(ValueError):
        tp.ReplayWindow(48)


def test_window_seq0_on_empty():
    w = tp.ReplayWindow()
    w.check(0)
    w.update(0)
    assert w.top == 0
    with pytest.raises(TunError) as e:
        w.check(0)
    assert e.value.name == "tun_replay_duplicate"
    assert states(w, [1, 0, 1]) == ["new", "duplicate", "duplicate"]


def test_window_empty_accepts_anything():
    for s in (0, 1, 63, 64, W, 10**18, tp.UINT64_MAX - 1):
        w = tp.ReplayWindow()
        assert w.state(s) == "new"


@pytest.mark.parametrize("top", [W, W + 1, 10**6, 10**6 + 63,
                                 1700000000000000000, 64 * 1000 + 17])
def test_window_edge(top):
    w = tp.ReplayWindow()
    w.update(top)
    assert w.state(top - W) == "too_old"            # exactly at the edge
    assert w.state(top - W - 1) == "too_old"
    assert w.state(top - (W - 1)) == "new"          # W-1 behind
    w.update(top - (W - 1))
    assert w.state(top - (W - 1)) == "duplicate"
    assert w.state(top) == "duplicate"
    assert w.state(top + 1) == "new"
    # one step forward pushes the edge packet out
    w.update(top + 1)
    assert w.state(top - (W - 1)) == "too_old"
    assert w.state(top - (W - 2)) == "new"


def test_window_far_ahead_jump():
    w = tp.ReplayWindow()
    for s in range(128):
        w.update(s)
    top = 64 * 64 + 5                  # block 64 recycles block 0's slot
    assert w.state(top) == "new"
    w.update(top)
    assert w.state(127) == "duplicate"          # block 1 survives
    assert w.state(top - (W - 1)) == "duplicate"   # = 69, block 1
    assert w.state(64) == "too_old"
    assert w.state(3) == "too_old"
    assert w.state(64 * 64 + 3) == "new"        # slot 0 was cleared
    assert w.state(64 * 2) == "new"             # block 2 was cleared
    # a jump of more than B blocks clears everything
    big = top + 10**12
    w.update(big)
    assert w.state(top) == "too_old"
    assert all(w.state(big - k) == "new" for k in range(1, W))
    assert w.state(big) == "duplicate"


def test_window_against_model():
    """Random traffic against the definition of section 5 over a set."""
    rng = random.Random(6479)
    for blocks in (2, 4, 64):
        w = tp.ReplayWindow(blocks)
        seen, top = set(), 0
        base = rng.randrange(1 << 62)
        for _ in range(20000):
            r = rng.random()
            if r < 0.6:
                s = top + rng.randrange(-w.W - 200, 300)
            elif r < 0.98:
                s = top + rng.randrange(-w.W - 5, 5)
            else:
                s = top + rng.randrange(1, 1 << 20)
            s = max(0, s) if top else base
            if s > top:
                want = "new"
            elif top - s >= w.W:
                want = "too_old"
            else:
                want = "duplicate" if s in seen else "new"
            assert w.state(s) == want, (blocks, s, top)
            if want == "new" and rng.random() < 0.9:
                w.update(s)
                seen.add(s)
                top = max(top, s)
            assert w.top == top


def test_forged_packet_does_not_move_window():
    i, r = pair(3)
    r.open(i.data(tp.ipv4_packet(40)))
    top = r.window.top
    # far ahead and bad tag
    far = i.seal(tp.DATA, tp.ipv4_packet(40), 4, seq=top + 10**9)
    bad = far[:-1] + bytes([far[-1] ^ 1])
    with pytest.raises(TunError) as e:
        r.open(bad)
    assert e.value.name == "tun_auth_failed"
    assert r.window.top == top
    # the numbers it used are still unseen: the real packets get in
    for s in (top + 1, top - 1):
        h, _ = r.open(i.seal(tp.DATA, tp.ipv4_packet(40), 4, seq=s))
        assert h["seq"] == s
    h, _ = r.open(far)
    assert r.window.top == top + 10**9


def test_window_checked_before_tag():
    """A bad tag on an old or replayed number is counted as the replay."""
    i, r = pair(1)
    d = i.data(tp.ipv4_packet(40))
    r.open(d)
    with pytest.raises(TunError) as e:
        r.open(d[:-1] + bytes([d[-1] ^ 1]))
    assert e.value.name == "tun_replay_duplicate"
    old = i.seal(tp.DATA, tp.ipv4_packet(40), 4, seq=r.window.top - W)
    with pytest.raises(TunError) as e:
        r.open(old[:-1] + bytes([old[-1] ^ 1]))
    assert e.value.name == "tun_replay_too_old"


def test_inner_mismatch_uses_up_sequence():
    i, r = pair(4)
    d = tp.forge("inner_mismatch", i)
    with pytest.raises(TunError) as e:
        r.open(d)
    assert e.value.name == "tun_inner_mismatch"
    with pytest.raises(TunError) as e:
        r.open(d)
    assert e.value.name == "tun_replay_duplicate"


def test_address_learning_flag():
    i, r = pair(1)
    a = i.data(tp.ipv4_packet(40))
    b = i.data(tp.ipv4_packet(40))
    assert r.open(b)[0]["raised_top"] is True
    assert r.open(a)[0]["raised_top"] is False      # reordered


# -------------------------------------------------------------------- forge

def variants(kind):
    v = tp.FORGES[kind][2]
    return [(kind, x) for x in v] if v else [(kind, None)]


CASES = [c for k in tp.FORGES for c in variants(k)]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("sender_role", ["initiator", "responder"])
@pytest.mark.parametrize("kind,variant", CASES)
def test_forge(kind, variant, sender_role, suite):
    keys = {1: (suite, PSK)}
    other = "responder" if sender_role == "initiator" else "initiator"
    tx = tp.Session(SID, sender_role, keys, 1)
    rx = tp.Session(SID, other, keys, 1, max_inner_mtu=9000)
    for n in range(3):
        rx.open(tx.data(tp.ipv4_packet(40 + n)))
    rx.open(tx.keepalive())
    top = rx.window.top
    kw = {} if variant is None else {"variant": variant}
    if kind == "oversize":
        kw["mtu"] = 9000
    d = tp.forge(kind, tx, **kw)
    with pytest.raises(TunError) as e:
        rx.open(d)
    assert e.value.name == tp.FORGES[kind][1]
    if kind != "inner_mismatch":        # step 19 comes after the update
        assert rx.window.top == top, "a dropped packet moved the window"
    # the session still works afterwards
    h, _ = rx.open(tx.data(tp.ipv4_packet(50)))
    assert h["seq"] > top


@pytest.mark.parametrize("n", range(20))
def test_forge_truncated_lengths(n):
    i, r = pair(1)
    with pytest.raises(TunError) as e:
        r.open(tp.forge("truncated", i, n))
    assert e.value.name == "tun_truncated"


def test_forge_replay_too_old_from_history():
    i, r = pair(1)
    for _ in range(W + 10):
        r.open(i.data(tp.ipv4_packet(20)))
    d = tp.forge("replay_too_old", i)
    assert d in i.history.values()              # a real old packet
    with pytest.raises(TunError) as e:
        r.open(d)
    assert e.value.name == "tun_replay_too_old"


def test_forge_other_values():
    i, r = pair(2)
    for kind, kw, name in (
            ("bad_version", {"version": 0}, "tun_bad_version"),
            ("bad_version", {"version": 255}, "tun_bad_version"),
            ("unknown_type", {"type_": 6}, "tun_unknown_type"),
            ("unknown_type", {"type_": 255}, "tun_unknown_type"),
            ("bad_flags", {"flags": 1}, "tun_bad_flags"),
            ("unknown_suite", {"suite": 0}, "tun_unknown_suite"),
            ("unknown_suite", {"suite": 255}, "tun_unknown_suite"),
            ("unknown_key", {"key_id": 0}, "tun_unknown_key"),
            ("unknown_key", {"key_id": 255}, "tun_unknown_key"),
            ("suite_mismatch", {"suite": 1}, "tun_suite_mismatch"),
            ("suite_mismatch", {"suite": 4}, "tun_suite_mismatch"),
            ("unknown_session", {"session_id": 0xffffffff},
             "tun_unknown_session")):
        with pytest.raises(TunError) as e:
            r.open(tp.forge(kind, i, **kw))
        assert e.value.name == name, (kind, kw)


def test_receiver_multi_session():
    keys = {1: (3, PSK)}
    hub = tp.Receiver([tp.Session(SID, "responder", keys, 1, inner_mtu=1400),
                       tp.Session(SID + 1, "responder", keys, 1,
                                  inner_mtu=1500)])
    a = tp.Session(SID, "initiator", keys, 1, inner_mtu=1400)
    b = tp.Session(SID + 1, "initiator", keys, 1, inner_mtu=1500)
    s, h, p = hub.open(b.data(tp.ipv4_packet(1500)))
    assert s.session_id == SID + 1
    # 1450 bytes: within the hub's largest MTU (step 10) but above the
    # session's own (step 19)
    with pytest.raises(TunError) as e:
        hub.open(a.data(tp.ipv4_packet(1450)))
    assert e.value.name == "tun_inner_mismatch"
    with pytest.raises(TunError) as e:
        hub.open(tp.forge("oversize", a, mtu=1500))
    assert e.value.name == "tun_oversize"
    with pytest.raises(TunError) as e:
        hub.open(tp.forge("unknown_session", a, session_id=SID + 2))
    assert e.value.name == "tun_unknown_session"
    assert hub.drops == {"tun_inner_mismatch": 1, "tun_oversize": 1,
                         "tun_unknown_session": 1}


def test_step_order():
    """Earlier steps win when a packet fails several."""
    i, r = pair(1)
    d = bytearray(tp.forge("unknown_session", i))
    d[-1] ^= 1
    with pytest.raises(TunError) as e:
        r.open(bytes(d))
    assert e.value.name == "tun_unknown_session"
    d = bytearray(i.data(tp.ipv4_packet(40)))
    d[0], d[1] = 2, 9                       # bad version and type
    with pytest.raises(TunError) as e:
        r.open(bytes(d))
    assert e.value.name == "tun_bad_version"
    # unknown suite is decided before the length
    d = bytearray(i.data(tp.ipv4_packet(40)))
    d[2], d[5] = 0, 9
    with pytest.raises(TunError) as e:
        r.open(bytes(d) + b"x")
    assert e.value.name == "tun_unknown_suite"
    # role is decided before the window
    rk = tp.forge("bad_role", r)            # REKEY from the responder
    i.open(r.data(tp.ipv4_packet(40)))
    with pytest.raises(TunError) as e:
        i.open(rk)
    assert e.value.name == "tun_bad_role"


# ------------------------------------------------------------ outer packets

@pytest.mark.parametrize("src,dst", [("192.0.2.1", "198.51.100.2"),
                                     ("2001:db8::1", "2001:db8:1::2")])
def test_udp_packet(src, dst):
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    i, r = pair(1)
    dg = i.data(tp.ipv4_packet(100, tos=0xb8))
    pkt = tp.udp_packet(src, dst, 61900, tp.DEFAULT_PORT, dg,
                        tos=tp.outer_tos(tp.ipv4_packet(100, tos=0xb8)))
    raw = bytes(pkt)
    if ":" in src:
        assert pkt[IPv6].hlim == 64 and pkt[IPv6].tc == 0xb8
        assert pkt[IPv6].plen == 8 + len(dg)
    else:
        assert pkt[IP].ttl == 64 and pkt[IP].flags.DF
        assert pkt[IP].tos == 0xb8 and pkt[IP].len == 28 + len(dg)
    assert pkt[UDP].chksum not in (None, 0)
    got = (IPv6 if ":" in src else IP)(raw)
    assert tp.udp_datagram(got) == dg
    assert r.open(tp.udp_datagram(got))[1] == tp.ipv4_packet(100, tos=0xb8)
    bad = tp.udp_packet(src, dst, 61900, 61900, dg, bad_checksum=True)
    with pytest.raises(TunError) as e:
        tp.udp_datagram(bad)
    assert e.value.name == "tun_bad_udp_checksum"
    zero = tp.udp_packet(src, dst, 61900, 61900, dg, zero_checksum=True)
    if ":" in src:
        with pytest.raises(TunError) as e:
            tp.udp_datagram(zero)
        assert e.value.name == "tun_bad_udp_checksum"
    else:
        assert tp.udp_datagram(zero) == dg


def test_outer_fragment():
    i, _ = pair(1)
    pkt = tp.udp_packet("192.0.2.1", "198.51.100.2", 61900, 61900,
                        i.data(tp.ipv4_packet(1000)))
    frags = tp.fragment_packet(pkt, 256)
    assert len(frags) > 1
    for f in frags:
        with pytest.raises(TunError) as e:
            tp.udp_datagram(f)
        assert e.value.name == "tun_outer_fragment"


def test_outer_tos_and_ecn():
    assert tp.outer_tos(tp.ipv4_packet(40, tos=0x2e)) == 0x2e
    assert tp.outer_tos(tp.ipv6_packet(60, tc=0xb9)) == 0xb9
    # RFC 6040 figure 4
    NOT, E1, E0, CE = 0, 1, 2, 3
    table = {NOT: (NOT, NOT, NOT, None), E0: (E0, E1, E0, CE),
             E1: (E1, E1, E1, CE), CE: (CE, CE, CE, CE)}
    for inner, row in table.items():
        for outer, want in zip((NOT, E1, E0, CE), row):
            assert tp.rfc6040_decap(inner, outer) == want, (inner, outer)
