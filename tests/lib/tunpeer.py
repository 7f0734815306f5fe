#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent peer of the neptune tunnel protocol, version 1.

Written from docs/tunnel-protocol.md alone (no look at lib/tunnel,
lib/tcrypto or app/), to show the document is enough to interoperate and
to give the dataplane tests a peer that can send good packets and every
kind of bad one.  Section numbers below ("§5") are the document's.

Crypto comes from ``cryptography`` (AES-256-GCM, ChaCha20-Poly1305) and the
standard library (HMAC-SHA-256, and HKDF built from it exactly as RFC 5869
writes it, with L = 32 so one HMAC block).  scapy is imported only by the
outer-packet helpers at the end.

Where the document leaves a choice open, the choice made here is written
next to the code as "ASSUMPTION".
"""
import hashlib
import hmac
import struct
import time
from collections import OrderedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import (AESGCM,
                                                         ChaCha20Poly1305)

__all__ = [
    "TunError", "VERSION", "HDR_LEN", "DEFAULT_PORT", "UINT64_MAX",
    "DATA", "KEEPALIVE", "KEEPALIVE_REPLY", "REKEY", "REKEY_ACK", "TYPES",
    "PT_NONE", "PT_IPV4", "PT_IPV6",
    "SUITE_HMAC128", "SUITE_HMAC256", "SUITE_AESGCM", "SUITE_CHACHA",
    "SUITES", "tag_len", "overhead", "COUNTERS",
    "DIR_I2R", "DIR_R2I", "KDF_SALT", "kdf_info", "kdf_prk", "derive_key",
    "nonce", "encode_header", "decode_header", "protect", "unprotect",
    "build", "inner_check", "ReplayWindow", "Session", "Receiver",
    "keepalive_body", "keepalive_reply_body", "rekey_body", "rekey_ack_body",
    "parse_body", "ipv4_packet", "ipv6_packet", "inner_packet",
    "FORGES", "forge", "udp_packet", "udp_datagram", "fragment_packet",
    "outer_tos", "rfc6040_decap",
]

VERSION = 1
HDR_LEN = 20
DEFAULT_PORT = 61900
UINT64_MAX = (1 << 64) - 1

# §2 Type
DATA, KEEPALIVE, KEEPALIVE_REPLY, REKEY, REKEY_ACK = 1, 2, 3, 4, 5
TYPES = {DATA: "DATA", KEEPALIVE: "KEEPALIVE",
         KEEPALIVE_REPLY: "KEEPALIVE_REPLY", REKEY: "REKEY",
         REKEY_ACK: "REKEY_ACK"}
CONTROL_LEN = 16

# §2 Payload Type
PT_NONE, PT_IPV4, PT_IPV6 = 0, 4, 6

# §2 Suite: number -> (name, tag length, AEAD class or None)
SUITE_HMAC128, SUITE_HMAC256, SUITE_AESGCM, SUITE_CHACHA = 1, 2, 3, 4
SUITES = {
    SUITE_HMAC128: ("HMAC-SHA-256-128", 16, None),
    SUITE_HMAC256: ("HMAC-SHA-256-256", 32, None),
    SUITE_AESGCM: ("AES-256-GCM", 16, AESGCM),
    SUITE_CHACHA: ("ChaCha20-Poly1305", 16, ChaCha20Poly1305),
}

# §3.1 Direction
DIR_I2R = 0     # initiator (endpoint) -> responder (hub)
DIR_R2I = 1     # responder -> initiator

# §8, in step order; the last two are counted outside the numbered steps
COUNTERS = [
    "tun_truncated",            # 1
    "tun_bad_version",          # 2
    "tun_unknown_type",         # 3
    "tun_bad_flags",            # 4
    "tun_unknown_suite",        # 5
    "tun_bad_session_id",       # 6
    "tun_bad_payload_type",     # 7
    "tun_bad_payload_length",   # 8
    "tun_length_mismatch",      # 9
    "tun_oversize",             # 10
    "tun_unknown_session",      # 11
    "tun_unknown_key",          # 12
    "tun_suite_mismatch",       # 13
    "tun_bad_role",             # 14
    "tun_replay_too_old",       # 15
    "tun_replay_duplicate",     # 16
    "tun_auth_failed",          # 17
    "tun_inner_mismatch",       # 19 (18 is the window update, no counter)
    "tun_outer_fragment",       # §1
    "tun_bad_udp_checksum",     # §1
]

# ASSUMPTION: §9 quotes the seed's 1400-byte tunnel MTU as fitting every
# suite and family; the document gives no default inner MTU, so 1400 it is.
DEFAULT_INNER_MTU = 1400


class TunError(Exception):
    """A dropped packet; ``name`` is the counter of §8 (or §1, §4, §6)."""

    def __init__(self, name, detail=""):
        super().__init__(name if not detail else f"{name}: {detail}")
        self.name = name
        self.detail = detail


def tag_len(suite):
    return SUITES[suite][1]


def overhead(suite, outer_ipv6=False):
    """§9: outer IP + UDP + header + tag."""
    return (40 if outer_ipv6 else 20) + 8 + HDR_LEN + tag_len(suite)


# ---------------------------------------------------------------- §3.1 keys

KDF_SALT = b"neptune-tun-v1"


def kdf_info(session_id, key_id, direction, suite):
    return struct.pack("!IBBB", session_id, key_id, direction, suite)


def kdf_prk(psk):
    """HKDF-Extract(salt = "neptune-tun-v1", IKM = PSK)."""
    return hmac.new(KDF_SALT, bytes(psk), hashlib.sha256).digest()


def derive_key(psk, session_id, key_id, direction, suite):
    """§3.1: the 32-byte traffic key K for one (session, key id, direction,
    suite).  HKDF-Expand with L = 32 is the single block T(1)."""
    info = kdf_info(session_id, key_id, direction, suite)
    return hmac.new(kdf_prk(psk), info + b"\x01", hashlib.sha256).digest()


def nonce(key_id, direction, seq):
    """§3.3: Key ID || Direction || 00 00 || Sequence Number."""
    return struct.pack("!BBHQ", key_id, direction, 0, seq)


# ------------------------------------------------------------------ §2 header

_HDR = struct.Struct("!BBBBBBHIQ")


def encode_header(type_, ptype, key_id, suite, length, session_id, seq,
                  version=VERSION, flags=0):
    """The 20-byte header; no field is checked (forging needs that)."""
    return _HDR.pack(version, type_, flags, ptype, key_id, suite, length,
                     session_id, seq)


def _hdr_dict(b):
    (version, type_, flags, ptype, key_id, suite, length, session_id,
     seq) = _HDR.unpack_from(b, 0)
    return {"version": version, "type": type_, "flags": flags,
            "ptype": ptype, "key_id": key_id, "suite": suite,
            "length": length, "session_id": session_id, "seq": seq}


def decode_header(datagram, max_inner_mtu=None):
    """§8 steps 1-10 on a UDP payload; returns the header as a dict.

    ``max_inner_mtu`` is "the largest inner MTU the receiver configures"
    (step 10); None skips step 10."""
    if len(datagram) < HDR_LEN:
        raise TunError("tun_truncated", f"{len(datagram)} bytes")
    h = _hdr_dict(datagram)
    if h["version"] != VERSION:
        raise TunError("tun_bad_version", str(h["version"]))
    if h["type"] not in TYPES:
        raise TunError("tun_unknown_type", str(h["type"]))
    if h["flags"] != 0:
        raise TunError("tun_bad_flags", f"{h['flags']:#04x}")
    if h["suite"] not in SUITES:
        raise TunError("tun_unknown_suite", str(h["suite"]))
    if h["session_id"] == 0:
        raise TunError("tun_bad_session_id")
    if h["type"] == DATA:
        if h["ptype"] not in (PT_IPV4, PT_IPV6):
            raise TunError("tun_bad_payload_type", f"DATA with {h['ptype']}")
        if h["length"] < 1:
            raise TunError("tun_bad_payload_length", "DATA with 0")
    else:
        if h["ptype"] != PT_NONE:
            raise TunError("tun_bad_payload_type",
                           f"{TYPES[h['type']]} with {h['ptype']}")
        if h["length"] != CONTROL_LEN:
            raise TunError("tun_bad_payload_length",
                           f"{TYPES[h['type']]} with {h['length']}")
    want = HDR_LEN + h["length"] + tag_len(h["suite"])
    if len(datagram) != want:
        raise TunError("tun_length_mismatch",
                       f"{len(datagram)} bytes, header says {want}")
    if (h["type"] == DATA and max_inner_mtu is not None
            and h["length"] > max_inner_mtu):
        raise TunError("tun_oversize", f"{h['length']} > {max_inner_mtu}")
    return h


# ------------------------------------------------------------- §3.2, §3.3

def protect(suite, key, header, payload, key_id, direction, seq):
    """Payload (cleartext or ciphertext) || tag, for one header."""
    name, tlen, aead = SUITES[suite]
    if aead is None:
        tag = hmac.new(key, header + payload, hashlib.sha256).digest()[:tlen]
        return bytes(payload) + tag
    return aead(key).encrypt(nonce(key_id, direction, seq), bytes(payload),
                             header)


def unprotect(suite, key, header, body, key_id, direction, seq):
    """Inverse of protect(); TunError('tun_auth_failed') if the tag fails."""
    name, tlen, aead = SUITES[suite]
    if aead is None:
        payload, tag = body[:-tlen], body[-tlen:]
        want = hmac.new(key, header + payload, hashlib.sha256).digest()[:tlen]
        if not hmac.compare_digest(tag, want):
            raise TunError("tun_auth_failed")
        return bytes(payload)
    try:
        return aead(key).decrypt(nonce(key_id, direction, seq), bytes(body),
                                 header)
    except InvalidTag:
        raise TunError("tun_auth_failed") from None


def build(key, direction, type_, ptype, key_id, suite, session_id, seq,
          payload, version=VERSION, flags=0, length=None):
    """One datagram protected with ``key`` (a derived K), no check at all.

    ``length`` overrides the Payload Length field (default len(payload))."""
    if length is None:
        length = len(payload)
    hdr = encode_header(type_, ptype, key_id, suite, length, session_id, seq,
                        version, flags)
    return hdr + protect(suite, key, hdr, payload, key_id, direction, seq)


# ----------------------------------------------------------------- §8 step 19

def inner_check(payload, ptype, inner_mtu):
    """§8 step 19; raises TunError('tun_inner_mismatch').

    ASSUMPTION: "the inner length field" is IPv4 Total Length, and for IPv6
    Payload Length + 40 (the fixed header); a payload too short to hold
    the fixed IP header is a mismatch too.  Nothing else (IHL, IPv4 header
    checksum, extension headers) is checked: the document lists no more."""
    n = len(payload)
    if n > inner_mtu:
        raise TunError("tun_inner_mismatch", f"{n} > inner MTU {inner_mtu}")
    version = payload[0] >> 4
    if version != ptype:
        raise TunError("tun_inner_mismatch",
                       f"IP version {version}, Payload Type {ptype}")
    if ptype == PT_IPV4:
        if n < 20:
            raise TunError("tun_inner_mismatch", f"IPv4 packet of {n}")
        ilen = struct.unpack_from("!H", payload, 2)[0]
    else:
        if n < 40:
            raise TunError("tun_inner_mismatch", f"IPv6 packet of {n}")
        ilen = 40 + struct.unpack_from("!H", payload, 4)[0]
    if ilen != n:
        raise TunError("tun_inner_mismatch",
                       f"inner length {ilen}, Payload Length {n}")


# -------------------------------------------------------------- §5 the window

class ReplayWindow:
    """RFC 6479 anti-replay bitmap: B blocks of 64 bits, W = (B - 1) * 64.

    check() is read-only (before the tag); update() records a sequence
    number (after the tag)."""

    def __init__(self, blocks=64, top=0):
        if blocks < 2 or blocks & (blocks - 1):
            raise ValueError("B must be a power of two, at least 2")
        self.B = blocks
        self.W = (blocks - 1) * 64
        self.top = top
        self.bits = [0] * blocks

    def _pos(self, s):
        return (s >> 6) & (self.B - 1), s & 63

    def state(self, s):
        """'new', 'too_old' or 'duplicate' (§5's three cases)."""
        if s > self.top:
            return "new"
        if self.top - s >= self.W:
            return "too_old"
        blk, bit = self._pos(s)
        return "duplicate" if self.bits[blk] >> bit & 1 else "new"

    def check(self, s):
        st = self.state(s)
        if st == "too_old":
            raise TunError("tun_replay_too_old", f"{s}, top {self.top}")
        if st == "duplicate":
            raise TunError("tun_replay_duplicate", str(s))

    def update(self, s):
        if s > self.top:
            tb, sb = self.top >> 6, s >> 6
            if sb - tb >= self.B:
                self.bits = [0] * self.B
            else:
                for b in range(tb + 1, sb + 1):
                    self.bits[b & (self.B - 1)] = 0
            self.top = s
        elif self.top - s >= self.W:
            return      # never called so after check(); do not corrupt a block
        blk, bit = self._pos(s)
        self.bits[blk] |= 1 << bit


# ------------------------------------------------------------ §7 control bodies

def keepalive_body(timestamp=None):
    """Timestamp (8) || zero (8).  ASSUMPTION: the timestamp is sent
    big-endian, in nanoseconds of CLOCK_REALTIME (the document says only
    "sender's clock, opaque to the receiver")."""
    if timestamp is None:
        timestamp = time.time_ns()
    return struct.pack("!Q8x", timestamp)


def keepalive_reply_body(echo_seq, echo_timestamp):
    return struct.pack("!QQ", echo_seq, echo_timestamp)


def rekey_body(old_key_id, timestamp=None):
    """Key ID being replaced (1) || zero (7) || Timestamp (8)."""
    if timestamp is None:
        timestamp = time.time_ns()
    return struct.pack("!B7xQ", old_key_id, timestamp)


def rekey_ack_body(echo_seq, new_key_id):
    """Echoed Sequence Number of the REKEY (8) || Key ID now current (1) ||
    zero (7)."""
    return struct.pack("!QB7x", echo_seq, new_key_id)


def parse_body(type_, body):
    """A control body as a dict; zero fields are ignored, as §7 says."""
    if len(body) != CONTROL_LEN:
        raise ValueError(f"control body of {len(body)} bytes")
    if type_ == KEEPALIVE:
        return {"timestamp": struct.unpack_from("!Q", body)[0]}
    if type_ == KEEPALIVE_REPLY:
        s, ts = struct.unpack("!QQ", body)
        return {"echo_seq": s, "echo_timestamp": ts}
    if type_ == REKEY:
        k, ts = struct.unpack("!B7xQ", body)
        return {"old_key_id": k, "timestamp": ts}
    if type_ == REKEY_ACK:
        s, k = struct.unpack("!QB7x", body)
        return {"echo_seq": s, "new_key_id": k}
    raise ValueError(f"type {type_} has no control body")


# ------------------------------------------------------------- inner packets

def _csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4_packet(length=64, src="10.0.0.1", dst="198.18.77.10", proto=253,
                tos=0, fill=b"\xa5"):
    """A well-formed IPv4 packet of exactly ``length`` bytes (protocol 253,
    RFC 3692 experimentation) to carry as DATA."""
    import ipaddress
    if length < 20:
        raise ValueError("IPv4 packet shorter than its header")
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, length, 0, 0x4000, 64,
                      proto, 0, ipaddress.IPv4Address(src).packed,
                      ipaddress.IPv4Address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + (fill * length)[:length - 20]


def ipv6_packet(length=80, src="fd00::1", dst="2001:db8::10", nh=253, tc=0,
                fill=b"\x5a"):
    """A well-formed IPv6 packet of exactly ``length`` bytes."""
    import ipaddress
    if length < 40:
        raise ValueError("IPv6 packet shorter than its header")
    hdr = struct.pack("!IHBB16s16s", (6 << 28) | (tc << 20), length - 40, nh,
                      64, ipaddress.IPv6Address(src).packed,
                      ipaddress.IPv6Address(dst).packed)
    return hdr + (fill * length)[:length - 40]


def inner_packet(ptype, length):
    return ipv4_packet(length) if ptype == PT_IPV4 else ipv6_packet(length)


# ------------------------------------------------------------------ sessions

ROLES = ("initiator", "responder")


class Session:
    """One tunnel session (one path) as seen from one side.

    ``keys`` maps key id -> (suite, psk); at most two are live (§6).
    The receive side keeps one replay window shared by all key ids (§5);
    the send side one 64-bit counter shared by all key ids (§4).
    """

    HISTORY = 8192      # sent datagrams kept for forge('replay_*')

    def __init__(self, session_id, role, keys, send_key_id, seq_start=None,
                 inner_mtu=DEFAULT_INNER_MTU, max_inner_mtu=None,
                 window_blocks=64):
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        if not 0 < session_id <= 0xffffffff:
            raise ValueError("Session ID is 32 bits and nonzero")
        self.session_id = session_id
        self.role = role
        self.keys = {}
        for kid, (suite, psk) in keys.items():
            self.add_key(kid, suite, psk)
        if send_key_id not in self.keys:
            raise ValueError(f"send key {send_key_id} not installed")
        self.send_key_id = send_key_id
        # §4: start at CLOCK_REALTIME in ns; the first packet carries it.
        self.next_seq = time.time_ns() if seq_start is None else seq_start
        self.last_seq = None
        self.history = OrderedDict()
        self.inner_mtu = inner_mtu
        # step 10 uses the receiver-wide largest inner MTU; a lone session
        # is its own receiver
        self.max_inner_mtu = inner_mtu if max_inner_mtu is None \
            else max_inner_mtu
        self.window = ReplayWindow(window_blocks)
        self.stats = {"rx_packets": 0, "rx_bytes": 0, "tx_packets": 0,
                      "tx_bytes": 0}
        self.drops = {}
        self.rtt_ns = None

    # --- keys ---------------------------------------------------------
    @property
    def tx_direction(self):
        return DIR_I2R if self.role == "initiator" else DIR_R2I

    @property
    def rx_direction(self):
        return DIR_R2I if self.role == "initiator" else DIR_I2R

    def add_key(self, key_id, suite, psk):
        if not 0 <= key_id <= 255:
            raise ValueError("Key ID is one byte")
        if suite not in SUITES:
            raise ValueError(f"unknown suite {suite}")
        if len(psk) < 32:
            raise ValueError("a PSK is at least 32 bytes (§3.1)")
        if key_id not in self.keys and len(self.keys) >= 2:
            raise ValueError("at most two keys live (§6)")
        self.keys[key_id] = (suite, bytes(psk), {
            DIR_I2R: derive_key(psk, self.session_id, key_id, DIR_I2R, suite),
            DIR_R2I: derive_key(psk, self.session_id, key_id, DIR_R2I, suite),
        })

    def remove_key(self, key_id):
        if key_id == self.send_key_id:
            raise ValueError("cannot forget the key in use for sending")
        del self.keys[key_id]

    def key(self, key_id, direction):
        return self.keys[key_id][2][direction]

    def suite_of(self, key_id):
        return self.keys[key_id][0]

    # --- send ---------------------------------------------------------
    def take_seq(self):
        s = self.next_seq
        if s >= UINT64_MAX:
            raise TunError("tun_seq_exhausted")
        self.next_seq = s + 1
        return s

    def seal(self, type_, payload, ptype, key_id=None, seq=None,
             strict=True):
        """The UDP payload (header + payload + tag) of one message.

        ``seq`` None takes the next counter value; an explicit ``seq`` is
        used as given (and pushes the counter past it).  ``strict`` refuses
        what §2/§6 forbid a sender (wrong Payload Type or length, REKEY from
        the responder, REKEY_ACK from the initiator)."""
        payload = bytes(payload)
        if key_id is None:
            key_id = self.send_key_id
        if key_id not in self.keys:
            raise ValueError(f"key {key_id} not installed")
        if strict:
            if type_ not in TYPES:
                raise ValueError(f"unknown type {type_}")
            if type_ == DATA:
                if ptype not in (PT_IPV4, PT_IPV6) or not payload:
                    raise ValueError("DATA carries an IPv4/IPv6 packet")
            elif ptype != PT_NONE or len(payload) != CONTROL_LEN:
                raise ValueError("control: Payload Type 0, 16-byte body")
            if type_ == REKEY and self.role != "initiator":
                raise ValueError("the responder never sends REKEY")
            if type_ == REKEY_ACK and self.role != "responder":
                raise ValueError("only the responder sends REKEY_ACK")
            if len(payload) > 0xffff:
                raise ValueError("payload over 65535 bytes")
        if seq is None:
            seq = self.take_seq()
        else:
            if seq >= UINT64_MAX:
                raise TunError("tun_seq_exhausted")
            if seq >= self.next_seq:
                self.next_seq = seq + 1
        d = build(self.key(key_id, self.tx_direction), self.tx_direction,
                  type_, ptype, key_id, self.suite_of(key_id),
                  self.session_id, seq, payload)
        if self.last_seq is None or seq > self.last_seq:
            self.last_seq = seq
        self.history[seq] = d
        while len(self.history) > self.HISTORY:
            self.history.popitem(last=False)
        self.stats["tx_packets"] += 1
        self.stats["tx_bytes"] += len(d)
        return d

    def data(self, inner, key_id=None):
        """A DATA message; Payload Type from the inner IP version."""
        inner = bytes(inner)
        return self.seal(DATA, inner, inner[0] >> 4, key_id)

    def keepalive(self, timestamp=None, key_id=None):
        return self.seal(KEEPALIVE, keepalive_body(timestamp), PT_NONE,
                         key_id)

    def rekey(self, new_key_id, timestamp=None):
        """§6 step 2: REKEY under the new key, naming the key replaced."""
        return self.seal(REKEY, rekey_body(self.send_key_id, timestamp),
                         PT_NONE, new_key_id)

    # --- receive ------------------------------------------------------
    def open(self, datagram):
        """All of §8 on one UDP payload: (header dict, payload) or
        TunError(counter name).  Counts drops in self.drops."""
        try:
            h = decode_header(datagram, self.max_inner_mtu)
            if h["session_id"] != self.session_id:
                raise TunError("tun_unknown_session",
                               f"{h['session_id']:#010x}")
            return self.open_decoded(h, datagram)
        except TunError as e:
            self.drops[e.name] = self.drops.get(e.name, 0) + 1
            raise

    def open_decoded(self, h, datagram):
        """§8 steps 12-19 for a datagram whose header passed 1-11."""
        kid = h["key_id"]
        if kid not in self.keys:
            raise TunError("tun_unknown_key", str(kid))
        if h["suite"] != self.suite_of(kid):
            raise TunError("tun_suite_mismatch",
                           f"header {h['suite']}, key {self.suite_of(kid)}")
        if h["type"] == REKEY and self.role != "responder":
            raise TunError("tun_bad_role", "REKEY at the initiator")
        if h["type"] == REKEY_ACK and self.role != "initiator":
            raise TunError("tun_bad_role", "REKEY_ACK at the responder")
        self.window.check(h["seq"])                       # 15, 16
        header = bytes(datagram[:HDR_LEN])
        payload = unprotect(h["suite"], self.key(kid, self.rx_direction),
                            header, datagram[HDR_LEN:], kid,
                            self.rx_direction, h["seq"])  # 17
        raised = h["seq"] > self.window.top
        self.window.update(h["seq"])                      # 18
        h["raised_top"] = raised    # §8 address learning needs this
        if h["type"] == DATA:
            inner_check(payload, h["ptype"], self.inner_mtu)  # 19
        self.stats["rx_packets"] += 1
        self.stats["rx_bytes"] += len(datagram)
        return h, payload

    def answer(self, h, payload):
        """The reply §6/§7 call for to an opened message, or None.

        KEEPALIVE -> KEEPALIVE_REPLY under the request's key id;
        REKEY (responder) -> switch sending to the REKEY's key, REKEY_ACK
        under it; REKEY_ACK (initiator) -> switch sending, no reply;
        KEEPALIVE_REPLY -> RTT recorded in self.rtt_ns, no reply."""
        t = h["type"]
        if t == DATA:
            return None
        body = parse_body(t, payload)
        if t == KEEPALIVE:
            return self.seal(KEEPALIVE_REPLY,
                             keepalive_reply_body(h["seq"], body["timestamp"]),
                             PT_NONE, h["key_id"])
        if t == KEEPALIVE_REPLY:
            # ASSUMPTION: our own KEEPALIVE timestamps are CLOCK_REALTIME ns
            self.rtt_ns = time.time_ns() - body["echo_timestamp"]
            return None
        if t == REKEY:
            self.send_key_id = h["key_id"]
            return self.seal(REKEY_ACK, rekey_ack_body(h["seq"], h["key_id"]),
                             PT_NONE, h["key_id"])
        if t == REKEY_ACK:
            # ASSUMPTION: the header's key id is the one to switch to; the
            # body's "Key ID now current" is expected to equal it.
            self.send_key_id = h["key_id"]
            return None
        return None


class Receiver:
    """A receiver holding several sessions (a hub): session lookup by
    Session ID (step 11) and step 10 against the largest inner MTU of all
    its sessions (ASSUMPTION: that is "the largest inner MTU the receiver
    configures")."""

    def __init__(self, sessions=(), max_inner_mtu=None):
        self.sessions = {s.session_id: s for s in sessions}
        self._max = max_inner_mtu
        self.drops = {}

    def add(self, session):
        self.sessions[session.session_id] = session

    @property
    def max_inner_mtu(self):
        if self._max is not None:
            return self._max
        return max((s.inner_mtu for s in self.sessions.values()),
                   default=0)

    def open(self, datagram):
        """(session, header dict, payload) or TunError."""
        try:
            h = decode_header(datagram, self.max_inner_mtu)
            s = self.sessions.get(h["session_id"])
            if s is None:
                raise TunError("tun_unknown_session",
                               f"{h['session_id']:#010x}")
            try:
                h, p = s.open_decoded(h, datagram)
            except TunError as e:
                s.drops[e.name] = s.drops.get(e.name, 0) + 1
                raise
            return s, h, p
        except TunError as e:
            self.drops[e.name] = self.drops.get(e.name, 0) + 1
            raise


# --------------------------------------------------------------------- forge
#
# Every forge_* takes the *sending* Session (the peer of the receiver under
# test, same configuration, opposite role) and returns one UDP payload that
# a correct receiver drops under the counter FORGES[kind][1]: every check
# before that step passes, and the packet is otherwise exactly what the
# sender would send (authentic where authenticity is reachable).

def _fresh(sender, type_=DATA, ptype=PT_IPV4, length=None):
    """A fresh, valid message (takes a sequence number)."""
    if type_ == DATA:
        return sender.seal(DATA, inner_packet(ptype, length or 64), ptype)
    return sender.seal(type_, keepalive_body(), PT_NONE)


def _patch(d, off, value):
    d = bytearray(d)
    d[off] = value
    return bytes(d)


def forge_truncated(sender, n=HDR_LEN - 1):
    """Step 1: shorter than the header (0..19 bytes)."""
    assert 0 <= n < HDR_LEN
    return _fresh(sender)[:n]


def forge_bad_version(sender, version=2):
    assert version != VERSION
    return _patch(_fresh(sender), 0, version)


def forge_unknown_type(sender, type_=0):
    assert type_ not in TYPES
    return _patch(_fresh(sender), 1, type_)


def forge_bad_flags(sender, flags=0x80):
    assert flags != 0
    return _patch(_fresh(sender), 2, flags)


def forge_unknown_suite(sender, suite=5):
    assert suite not in SUITES
    return _patch(_fresh(sender), 5, suite)


def forge_bad_session_id(sender):
    d = _fresh(sender)
    return d[:8] + b"\0\0\0\0" + d[12:]


def forge_bad_payload_type(sender, variant="data_none"):
    """Step 7: 'data_none' DATA with 0, 'data_other' DATA with 5,
    'control_ipv4' KEEPALIVE with 4.  Authentic (tag over the bad header)."""
    k = sender.send_key_id
    if variant == "control_ipv4":
        return sender.seal(KEEPALIVE, keepalive_body(), PT_IPV4, k,
                           strict=False)
    pt = {"data_none": PT_NONE, "data_other": 5}[variant]
    return sender.seal(DATA, ipv4_packet(64), pt, k, strict=False)


def forge_bad_payload_length(sender, variant="data0"):
    """Step 8: 'data0' DATA of 0 bytes, 'control15' / 'control17' a
    KEEPALIVE body one byte short / long.  The datagram length agrees."""
    k = sender.send_key_id
    if variant == "data0":
        return sender.seal(DATA, b"", PT_IPV4, k, strict=False)
    n = {"control15": 15, "control17": 17}[variant]
    return sender.seal(KEEPALIVE, (keepalive_body() + b"\0")[:n], PT_NONE, k,
                       strict=False)


def forge_length_mismatch(sender, variant="long"):
    """Step 9: one byte too many ('long') or too few ('short')."""
    d = _fresh(sender)
    return d + b"\0" if variant == "long" else d[:-1]


def forge_oversize(sender, mtu=None, ptype=PT_IPV4):
    """Step 10: an authentic, well-formed DATA of ``mtu`` + 1 bytes, ``mtu``
    being the receiver's largest inner MTU (default the sender's)."""
    mtu = sender.max_inner_mtu if mtu is None else mtu
    return sender.seal(DATA, inner_packet(ptype, mtu + 1), ptype)


def forge_unknown_session(sender, session_id=None):
    """Step 11: authentic for a session (same PSK, key id, suite) the
    receiver does not have."""
    sid = session_id or (sender.session_id % 0xffffffff) + 1
    kid = sender.send_key_id
    suite, psk, _ = sender.keys[kid]
    key = derive_key(psk, sid, kid, sender.tx_direction, suite)
    return build(key, sender.tx_direction, DATA, PT_IPV4, kid, suite, sid,
                 sender.take_seq(), ipv4_packet(64))


def forge_unknown_key(sender, key_id=None):
    """Step 12: a key id not live on the session, protected with a key
    derived from the current PSK under that key id."""
    if key_id is None:
        key_id = next(k for k in range(256) if k not in sender.keys)
    suite, psk, _ = sender.keys[sender.send_key_id]
    key = derive_key(psk, sender.session_id, key_id, sender.tx_direction,
                     suite)
    return build(key, sender.tx_direction, DATA, PT_IPV4, key_id, suite,
                 sender.session_id, sender.take_seq(), ipv4_packet(64))


def forge_suite_mismatch(sender, suite=None):
    """Step 13: the live key id under another suite (length consistent
    with the header's suite, protected with K derived for that suite)."""
    kid = sender.send_key_id
    ksuite, psk, _ = sender.keys[kid]
    if suite is None:
        suite = ksuite % len(SUITES) + 1
    assert suite != ksuite and suite in SUITES
    key = derive_key(psk, sender.session_id, kid, sender.tx_direction, suite)
    return build(key, sender.tx_direction, DATA, PT_IPV4, kid, suite,
                 sender.session_id, sender.take_seq(), ipv4_packet(64))


def forge_bad_role(sender):
    """Step 14: REKEY_ACK from the initiator, or REKEY from the responder,
    otherwise authentic."""
    if sender.role == "initiator":
        return sender.seal(REKEY_ACK, rekey_ack_body(0, sender.send_key_id),
                           PT_NONE, strict=False)
    return sender.seal(REKEY, rekey_body(sender.send_key_id), PT_NONE,
                       strict=False)


def forge_replay_too_old(sender, top=None):
    """Step 15: sequence ``top`` - W, ``top`` being the receiver's window
    top (default the sender's highest sequence sent, i.e. the receiver got
    it).  A real old packet from the history when there is one, else a
    fresh seal with that number."""
    W = sender.window.W     # ASSUMPTION: both sides use the same B
    top = sender.last_seq if top is None else top
    s = top - W
    if s < 0:
        raise ValueError(f"top {top} < W {W}: nothing is too old yet")
    if s in sender.history:
        return sender.history[s]
    saved = sender.next_seq, sender.last_seq
    d = build(sender.key(sender.send_key_id, sender.tx_direction),
              sender.tx_direction, DATA, PT_IPV4, sender.send_key_id,
              sender.suite_of(sender.send_key_id), sender.session_id, s,
              ipv4_packet(64))
    sender.next_seq, sender.last_seq = saved
    return d


def forge_replay_duplicate(sender, seq=None):
    """Step 16: an exact copy of a datagram already sent (default the
    last); the receiver must have accepted the original."""
    if seq is None:
        if not sender.history:
            sender.data(ipv4_packet(64))
        seq = next(reversed(sender.history))
    return sender.history[seq]


def forge_auth_failed(sender, variant="tag"):
    """Step 17, fresh sequence number: 'tag' last tag bit flipped,
    'payload' first payload byte flipped, 'header' Payload Type 4 <-> 6
    (the tag covers the header), 'direction' sealed with the receiver's own
    direction key (a reflected packet), 'psk' another PSK."""
    if variant == "direction":
        kid = sender.send_key_id
        return build(sender.key(kid, sender.rx_direction), sender.rx_direction,
                     DATA, PT_IPV4, kid, sender.suite_of(kid),
                     sender.session_id, sender.take_seq(), ipv4_packet(64))
    if variant == "psk":
        kid = sender.send_key_id
        suite = sender.suite_of(kid)
        key = derive_key(b"\xee" * 32, sender.session_id, kid,
                         sender.tx_direction, suite)
        return build(key, sender.tx_direction, DATA, PT_IPV4, kid, suite,
                     sender.session_id, sender.take_seq(), ipv4_packet(64))
    d = bytearray(_fresh(sender))
    if variant == "tag":
        d[-1] ^= 0x01
    elif variant == "payload":
        d[HDR_LEN] ^= 0x80
    elif variant == "header":
        d[3] = PT_IPV6 if d[3] == PT_IPV4 else PT_IPV4
    else:
        raise ValueError(variant)
    return bytes(d)


def forge_inner_mismatch(sender, variant="version", mtu=None):
    """Step 19, authentic: 'version' an IPv4 packet as Payload Type 6,
    'length' IPv4 Total Length one more than the payload, 'length6' IPv6
    Payload Length one less, 'short' 10 bytes as IPv4, 'mtu' a well-formed
    packet of the session's inner MTU + 1 (``mtu``, default the sender's
    inner_mtu; the receiver's largest inner MTU must be higher, or step 10
    catches it first)."""
    k = sender.send_key_id
    if variant == "version":
        return sender.seal(DATA, ipv4_packet(64), PT_IPV6, k)
    if variant == "length":
        p = bytearray(ipv4_packet(64))
        p[2:4] = struct.pack("!H", 65)
        return sender.seal(DATA, p, PT_IPV4, k)
    if variant == "length6":
        p = bytearray(ipv6_packet(80))
        p[4:6] = struct.pack("!H", 39)
        return sender.seal(DATA, p, PT_IPV6, k)
    if variant == "short":
        return sender.seal(DATA, ipv4_packet(20)[:10], PT_IPV4, k)
    if variant == "mtu":
        mtu = sender.inner_mtu if mtu is None else mtu
        return sender.seal(DATA, ipv4_packet(mtu + 1), PT_IPV4, k)
    raise ValueError(variant)


# kind -> (function, counter, variants); forge(kind, sender, ...) calls it
FORGES = {
    "truncated": (forge_truncated, "tun_truncated", ()),
    "bad_version": (forge_bad_version, "tun_bad_version", ()),
    "unknown_type": (forge_unknown_type, "tun_unknown_type", ()),
    "bad_flags": (forge_bad_flags, "tun_bad_flags", ()),
    "unknown_suite": (forge_unknown_suite, "tun_unknown_suite", ()),
    "bad_session_id": (forge_bad_session_id, "tun_bad_session_id", ()),
    "bad_payload_type": (forge_bad_payload_type, "tun_bad_payload_type",
                         ("data_none", "data_other", "control_ipv4")),
    "bad_payload_length": (forge_bad_payload_length,
                           "tun_bad_payload_length",
                           ("data0", "control15", "control17")),
    "length_mismatch": (forge_length_mismatch, "tun_length_mismatch",
                        ("long", "short")),
    "oversize": (forge_oversize, "tun_oversize", ()),
    "unknown_session": (forge_unknown_session, "tun_unknown_session", ()),
    "unknown_key": (forge_unknown_key, "tun_unknown_key", ()),
    "suite_mismatch": (forge_suite_mismatch, "tun_suite_mismatch", ()),
    "bad_role": (forge_bad_role, "tun_bad_role", ()),
    "replay_too_old": (forge_replay_too_old, "tun_replay_too_old", ()),
    "replay_duplicate": (forge_replay_duplicate, "tun_replay_duplicate", ()),
    "auth_failed": (forge_auth_failed, "tun_auth_failed",
                    ("tag", "payload", "header", "direction", "psk")),
    "inner_mismatch": (forge_inner_mismatch, "tun_inner_mismatch",
                       ("version", "length", "length6", "short", "mtu")),
}


def forge(kind, sender, *args, **kw):
    """One bad datagram of ``kind`` (a key of FORGES) from ``sender``."""
    return FORGES[kind][0](sender, *args, **kw)


# ------------------------------------------------------------ outer packets

def outer_tos(inner):
    """§1: outer DSCP copied from the inner packet and ECN per RFC 6040
    normal mode (copied too), so the outer TOS / Traffic Class is the
    inner's.  ASSUMPTION: control messages (no inner packet) use 0."""
    if not inner:
        return 0
    v = inner[0] >> 4
    if v == 4:
        return inner[1]
    if v == 6:
        return ((inner[0] & 0x0f) << 4) | (inner[1] >> 4)
    return 0


def rfc6040_decap(inner_ecn, outer_ecn):
    """RFC 6040 section 4.2 decapsulation: the inner ECN to forward, or
    None to drop.  ECN codepoints 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE."""
    if inner_ecn == 0:
        return None if outer_ecn == 3 else 0
    if inner_ecn == 3 or outer_ecn == 3:
        return 3
    if inner_ecn == 2 and outer_ecn == 1:
        return 1
    return inner_ecn


def udp_packet(src, dst, sport, dport, datagram, tos=0, ttl=64,
               bad_checksum=False, zero_checksum=False):
    """Outer IPv4 (DF set) or IPv6 + UDP carrying ``datagram``, returned
    re-dissected so the lengths and checksums scapy computed are fields.
    ``bad_checksum`` flips the UDP checksum (tun_bad_udp_checksum);
    ``zero_checksum`` sends 0 (no checksum, IPv4 only per RFC 768)."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.packet import Raw
    if ":" in src:
        ip = IPv6(src=src, dst=dst, hlim=ttl, tc=tos)
    else:
        ip = IP(src=src, dst=dst, ttl=ttl, tos=tos, flags="DF", id=0)
    pkt = ip / UDP(sport=sport, dport=dport) / Raw(bytes(datagram))
    pkt = pkt.__class__(bytes(pkt))
    if bad_checksum or zero_checksum:
        c = 0 if zero_checksum else (pkt[UDP].chksum ^ 0x0001) or 0xffff
        pkt[UDP].chksum = c
        pkt = pkt.__class__(bytes(pkt))
    return pkt


def fragment_packet(pkt, size=256):
    """The outer IPv4 packet split into fragments (tun_outer_fragment);
    the DF bit is cleared first."""
    from scapy.layers.inet import IP, fragment
    p = pkt.copy()
    p[IP].flags = 0
    del p[IP].chksum
    return fragment(p.__class__(bytes(p)), fragsize=size)


def udp_datagram(pkt, accept_zero_checksum4=True):
    """The UDP payload of an outer packet a receiver got, after the §1
    checks: TunError('tun_outer_fragment') for an IPv4 fragment or an IPv6
    packet with a Fragment header, TunError('tun_bad_udp_checksum').
    ASSUMPTION: a zero UDP checksum over IPv4 means "none" (RFC 768) and
    is accepted unless ``accept_zero_checksum4`` is False; over IPv6 it is
    bad (RFC 8200 section 8.1)."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment
    if IP in pkt:
        ip = pkt[IP]
        if ip.flags.MF or ip.frag:
            raise TunError("tun_outer_fragment")
    elif IPv6 in pkt:
        if IPv6ExtHdrFragment in pkt:
            raise TunError("tun_outer_fragment")
    else:
        raise ValueError("not an IP packet")
    udp = pkt[UDP]
    got = udp.chksum
    if got == 0:
        if IP in pkt and accept_zero_checksum4:
            return bytes(udp.payload)
        raise TunError("tun_bad_udp_checksum", "zero")
    ref = pkt[IP].copy() if IP in pkt else pkt[IPv6].copy()
    ref[UDP].chksum = None
    want = ref.__class__(bytes(ref))[UDP].chksum
    if got != want:
        raise TunError("tun_bad_udp_checksum", f"{got:#06x} != {want:#06x}")
    return bytes(udp.payload)

