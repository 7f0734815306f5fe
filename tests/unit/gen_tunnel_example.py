#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Worked examples of docs/tunnel-protocol.md: prints the key derivation
and one data packet's exact bytes in each suite. HMAC from hashlib/hmac;
the AEAD suites need the `cryptography` package (skipped without it)."""
import hashlib
import hmac
import struct

SALT = b"neptune-tun-v1"
PSK = bytes(range(0x00, 0x20))  # 32 bytes 00..1f
SESSION = 0x0A0B0C0D
KEY_ID = 1
DIR = 0  # initiator (endpoint) -> responder (hub)
SEQ = 0x0000000000000007
TAG = {1: 16, 2: 32, 3: 16, 4: 16}
NAME = {1: "HMAC-SHA-256-128", 2: "HMAC-SHA-256-256", 3: "AES-256-GCM",
        4: "ChaCha20-Poly1305"}


def hkdf(psk, info):
    prk = hmac.new(SALT, psk, hashlib.sha256).digest()
    return prk, hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def ip4_csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def inner_packet():
    # IPv4 ICMP echo request 10.0.0.1 -> 198.18.77.10, id 1 seq 1, 4 bytes.
    icmp = bytearray(struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping")
    struct.pack_into("!H", icmp, 2, ip4_csum(bytes(icmp)))
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp),
                               0, 0x4000, 64, 1, 0,
                               bytes([10, 0, 0, 1]),
                               bytes([198, 18, 77, 10])))
    struct.pack_into("!H", ip, 10, ip4_csum(bytes(ip)))
    return bytes(ip + icmp)


def header(suite, length):
    return struct.pack("!BBBBBBHIQ", 1, 1, 0, 4, KEY_ID, suite, length,
                       SESSION, SEQ)


def hexdump(b):
    out = []
    for i in range(0, len(b), 16):
        out.append("%04x  %s" % (i, " ".join("%02x" % x for x in b[i:i + 16])))
    return "\n".join(out)


def main():
    inner = inner_packet()
    nonce = bytes([KEY_ID, DIR, 0, 0]) + struct.pack("!Q", SEQ)
    print("PSK:\n" + hexdump(PSK))
    print("inner packet (%d bytes):\n%s" % (len(inner), hexdump(inner)))
    print("nonce: " + nonce.hex())
    for suite in (1, 2, 3, 4):
        info = struct.pack("!IBBB", SESSION, KEY_ID, DIR, suite)
        prk, key = hkdf(PSK, info)
        hdr = header(suite, len(inner))
        if suite in (1, 2):
            tag = hmac.new(key, hdr + inner,
                           hashlib.sha256).digest()[:TAG[suite]]
            body = inner + tag
        else:
            try:
                from cryptography.hazmat.primitives.ciphers import aead
            except ImportError:
                print("%s: skipped (no cryptography)" % NAME[suite])
                continue
            cls = aead.AESGCM if suite == 3 else aead.ChaCha20Poly1305
            body = cls(key).encrypt(nonce, inner, hdr)
        pkt = hdr + body
        print("\n== suite %d %s" % (suite, NAME[suite]))
        print("info: " + info.hex())
        print("PRK:  " + prk.hex())
        print("key:  " + key.hex())
        print("UDP payload (%d bytes):\n%s" % (len(pkt), hexdump(pkt)))


if __name__ == "__main__":
    main()
