#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ICMP errors neptune originates for forwarded traffic: time exceeded,
destination unreachable (no route), packet too big / fragmentation needed,
and the ICMP error rate limit.

Every error goes back to the LAN host on lan0, from neptune's lan0 address,
hop limit/TTL 64, quoting the offending packet as it was received (RFC 4443
2.4, RFC 792/1812), and each such packet is counted under its drop reason.
"""
import pytest

from dp_packets import (ICMP, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                        ICMPv6TimeExceeded, IPv6, Raw, from_gw, from_host,
                        icmp4_error, icmp6_error, udp4, udp6)
from neptune_dp import (Dataplane, GW_MAC, HOST6, REMOTE6, WAN1_MAC, WAN6,
                        assert_drops, assert_frames)


def _run(inputs, **kw):
    dp = Dataplane(inputs=inputs, **kw)
    try:
        return dp.run()
    finally:
        dp.cleanup()


# -- hop limit ---------------------------------------------------------------

HLIM6 = udp6(hlim=1, sport=41001)
TTL4 = udp4(ttl=1, sport=41002)
# From the WAN side: the error goes back through the gateway, from wan1's
# address.
HLIM6_WAN = udp6(src=REMOTE6, dst=HOST6, hlim=1, sport=41003, dport=40000)
# An ICMPv6 error that expires is not answered with another error.
HLIM6_ERR = IPv6(src=HOST6, dst=REMOTE6, hlim=1) / \
    ICMPv6DestUnreach(code=4) / Raw(bytes(udp6(src=REMOTE6, dst=HOST6)))


@pytest.fixture(scope="module")
def hoplimit():
    return _run({"lan0": [from_host() / HLIM6, from_host() / TTL4,
                          from_host() / HLIM6_ERR],
                 "wan1": [from_gw() / HLIM6_WAN]})


def test_hop_limit_exceeded_ipv6(hoplimit):
    want = icmp6_error(ICMPv6TimeExceeded(code=0), HLIM6)
    assert len(hoplimit.outputs["lan0"]) == 2, hoplimit.outputs["lan0"]
    assert_frames([o for o in hoplimit.outputs["lan0"] if o[12:14] == b"\x86\xdd"],
                  [want], "ICMPv6 time exceeded on lan0")


def test_ttl_exceeded_ipv4(hoplimit):
    want = icmp4_error(ICMP(type=11, code=0), TTL4)
    assert_frames([o for o in hoplimit.outputs["lan0"] if o[12:14] == b"\x08\x00"],
                  [want], "ICMP time exceeded on lan0")


def test_hop_limit_exceeded_from_wan(hoplimit):
    want = icmp6_error(ICMPv6TimeExceeded(code=0), HLIM6_WAN, src=WAN6,
                       dst=REMOTE6, eth_dst=GW_MAC, eth_src=WAN1_MAC)
    assert_frames(hoplimit.outputs["wan1"], [want], "wan1 output")


def test_hop_limit_counters(hoplimit):
    # 4 expired, 3 answered: no error about the ICMPv6 error.
    assert_drops(hoplimit, {"hop_limit_exceeded": 4})
    assert hoplimit.stats["icmp_errors_sent"] == 3, hoplimit.stats


# -- no route ----------------------------------------------------------------

NOROUTE6 = udp6(sport=42001)
NOROUTE4 = udp4(sport=42002)


@pytest.fixture(scope="module")
def noroute():
    return _run({"lan0": [from_host() / NOROUTE6, from_host() / NOROUTE4]},
                extra_cfg={"routes": []})


def test_no_route_ipv6(noroute):
    want = icmp6_error(ICMPv6DestUnreach(code=0), NOROUTE6)
    assert_frames([o for o in noroute.outputs["lan0"] if o[12:14] == b"\x86\xdd"],
                  [want], "ICMPv6 destination unreachable (no route)")


def test_no_route_ipv4(noroute):
    want = icmp4_error(ICMP(type=3, code=0), NOROUTE4)
    assert_frames([o for o in noroute.outputs["lan0"] if o[12:14] == b"\x08\x00"],
                  [want], "ICMP destination unreachable (net unreachable)")


def test_no_route_counters(noroute):
    assert len(noroute.outputs["lan0"]) == 2, noroute.outputs["lan0"]
    assert_frames(noroute.outputs["wan1"], [], "wan1 output")
    assert_drops(noroute, {"no_route": 2})


# -- MTU ---------------------------------------------------------------------

def _sized6(total, sport):
    """IPv6/UDP packet of exactly `total` bytes (IPv6 header included)."""
    p = udp6(sport=sport, data=b"\0")
    pad = total - len(p)
    return udp6(sport=sport, data=bytes((i * 7) & 0xff for i in range(1 + pad)))


def _sized4(total, sport, flags):
    p = udp4(sport=sport, data=b"\0", flags=flags)
    pad = total - len(p)
    return udp4(sport=sport, flags=flags,
                data=bytes((i * 5) & 0xff for i in range(1 + pad)))


BIG6 = _sized6(1400, 43001)
BIG4_DF = _sized4(1400, 43002, "DF")
BIG4_NODF = _sized4(1400, 43003, 0)
FITS6 = _sized6(1280, 43004)


@pytest.fixture(scope="module")
def mtu():
    assert len(BIG6) == len(BIG4_DF) == len(BIG4_NODF) == 1400
    assert len(FITS6) == 1280
    return _run({"lan0": [from_host() / p for p in
                          (BIG6, BIG4_DF, BIG4_NODF, FITS6)]},
                port_cfg={"wan1": {"mtu": 1280}})


def test_packet_too_big_ipv6(mtu):
    want = icmp6_error(ICMPv6PacketTooBig(mtu=1280), BIG6)
    assert len(bytes(want)) == 14 + 1280  # the quote is cut to fit 1280
    assert_frames([o for o in mtu.outputs["lan0"] if o[12:14] == b"\x86\xdd"],
                  [want], "ICMPv6 packet too big")


def test_fragmentation_needed_ipv4(mtu):
    """DF set: ICMP type 3 code 4 with the next-hop MTU; DF clear: dropped
    (neptune does not fragment), no error."""
    want = icmp4_error(ICMP(type=3, code=4, nexthopmtu=1280), BIG4_DF)
    assert_frames([o for o in mtu.outputs["lan0"] if o[12:14] == b"\x08\x00"],
                  [want], "ICMP fragmentation needed")


def test_mtu_counters(mtu):
    # A 1280-byte packet fits the 1280 MTU and is forwarded.
    assert len(mtu.outputs["wan1"]) == 1, mtu.outputs["wan1"]
    assert mtu.outputs["wan1"][0][14 + 8:14 + 40] == bytes(FITS6)[8:40]
    assert len(mtu.outputs["lan0"]) == 2, mtu.outputs["lan0"]
    assert_drops(mtu, {"mtu_exceeded": 3})


# -- rate limit ----------------------------------------------------------------

def test_icmp_error_rate_limit(dataplane):
    """200 expired packets in one go against rate_pps 10, burst 5: the
    bucket's 5 tokens (plus one more if 100 ms went by) become errors, the
    rest is counted as rate-limited."""
    pkts = [udp6(hlim=1, sport=50000 + i) for i in range(200)]
    r = dataplane(inputs={"lan0": [from_host() / p for p in pkts]},
                  extra_cfg={"icmp": {"rate_pps": 10, "burst": 5}}).run()
    out = r.outputs["lan0"]
    assert 5 <= len(out) <= 6, f"{len(out)} time-exceeded errors sent"
    # Each one is the exact error for one of the packets, in arrival order.
    expected = {bytes(icmp6_error(ICMPv6TimeExceeded(code=0), p)): i
                for i, p in enumerate(pkts)}
    idx = []
    for o in out:
        assert o in expected, f"not a time-exceeded for any input: {o.hex()}"
        idx.append(expected[o])
    assert idx == sorted(idx) and len(set(idx)) == len(idx), idx
    assert r.drops["icmp_error_ratelimited"] >= 190, r.nonzero_drops()
    assert r.drops["icmp_error_ratelimited"] == 200 - len(out), r.nonzero_drops()
    assert r.drops["hop_limit_exceeded"] == 200, r.nonzero_drops()
    assert r.stats["icmp_errors_sent"] == len(out), r.stats
    assert r.outputs["wan1"] == []
