#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden vectors for tests/unit/test_prov_*.c (lib/prov), built with scapy.

scapy is the independent peer, in two directions:

- server messages (DHCPv6 Advertise / Reply / Reconfigure, DHCPv4 Offer /
  Ack / Nak, Router Advertisements) are assembled by scapy's own option
  classes; the expected parse results are written here from the same
  Python values handed to scapy, never from neptune's output;
- client messages (DHCPv6 Solicit ... Information-request, DHCPv4
  Discover ... Inform, RA, RS) are built by scapy from the same fields
  the C test hands to neptune's builder, and the test compares neptune's
  bytes with scapy's byte for byte. Where RFCs leave neptune a choice,
  the scapy message is laid out as neptune documents it (option order,
  DHCPv6 client lifetimes 0, the DHCPv4 message zero-padded to 300
  bytes, ICMPv6 checksum left 0 for the caller): that part is
  neptune's convention reproduced, the encoding of every field is
  scapy's.

scapy has no SOL_MAX_RT class (option 82): it is built with scapy's
generic DHCP6OptUnknown.

Regenerate:
    /usr/bin/python3 tests/unit/gen_prov_vectors.py > tests/unit/prov_vectors.h
"""
import ipaddress
import struct

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dhcp6 import (DHCP6_Advertise, DHCP6_Confirm,
                                DHCP6_Decline, DHCP6_InfoRequest,
                                DHCP6_Rebind, DHCP6_Reconf, DHCP6_Release,
                                DHCP6_Renew, DHCP6_Reply, DHCP6_Request,
                                DHCP6_Solicit, DHCP6OptAuth, DHCP6OptClientId,
                                DHCP6OptDNSDomains, DHCP6OptDNSServers,
                                DHCP6OptElapsedTime, DHCP6OptIA_NA,
                                DHCP6OptIA_PD, DHCP6OptIAAddress,
                                DHCP6OptIAPrefix, DHCP6OptInfoRefreshTime,
                                DHCP6OptOptReq, DHCP6OptPref,
                                DHCP6OptRapidCommit, DHCP6OptReconfMsg,
                                DHCP6OptServerId, DHCP6OptStatusCode,
                                DHCP6OptUnknown, DUID_LLT)
from scapy.layers.inet6 import (ICMPv6ND_RA, ICMPv6ND_RS,
                                ICMPv6NDOptAdvInterval, ICMPv6NDOptDNSSL,
                                ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
                                ICMPv6NDOptRDNSS, ICMPv6NDOptRouteInfo,
                                ICMPv6NDOptSrcLLAddr)

MAC_C = "02:00:00:00:aa:01"
MAC_S = "02:00:00:00:53:01"
MAC_R = "02:00:00:00:00:fe"
DUID_C = DUID_LLT(lladdr=MAC_C, timeval=800000000)
DUID_S = DUID_LLT(lladdr=MAC_S, timeval=700000000)
DUID_C_T = 800000000


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def ip6(s):
    return ipaddress.IPv6Address(s).packed


def ip4(s):
    return int(ipaddress.IPv4Address(s))


def c_arr(b):
    return "{" + ", ".join(f"0x{x:02x}" for x in b) + "}"


def c_bytes(name, b):
    out = [f"static const uint8_t {name}[{len(b)}] = {{"]
    for i in range(0, len(b), 12):
        out.append("\t" + ", ".join(f"0x{x:02x}" for x in b[i:i + 12]) +
                   ",")
    out.append("};")
    return "\n".join(out)


def c_str(s):
    return '"' + s + '"'


def init(fields):
    """A C designated initializer from (name, value-as-C) pairs."""
    return "{" + ", ".join(f".{k} = {v}" for k, v in fields) + "}"


def masked(prefix, plen):
    return ipaddress.IPv6Network(f"{prefix}/{plen}", strict=False) \
        .network_address.packed


# ---- DHCPv6 server messages: scapy builds, neptune parses ----------------

def d6_expect(mtype, xid, **kw):
    """Fields of struct nep_dhcp6_msg as C, from the vector's values."""
    f = [("type", mtype), ("xid", f"0x{xid:06x}")]
    sid = bytes(DUID_S)
    f += [("server_id", c_arr(sid)), ("server_id_len", len(sid))]
    if kw.get("client_id", True):
        cid = bytes(DUID_C)
        f += [("client_id", c_arr(cid)), ("client_id_len", len(cid))]
    if "preference" in kw:
        f += [("has_preference", "true"), ("preference", kw["preference"])]
    if "status" in kw:
        f += [("has_status", "true"), ("status", kw["status"])]
    if kw.get("rapid_commit"):
        f += [("rapid_commit", "true")]
    if kw.get("auth"):
        f += [("has_auth", "true")]
    if "reconf_msg" in kw:
        f += [("has_reconf_msg", "true"), ("reconf_msg", kw["reconf_msg"])]
    if "sol_max_rt" in kw:
        f += [("sol_max_rt", kw["sol_max_rt"])]
    if "info_refresh" in kw:
        f += [("info_refresh", kw["info_refresh"])]
    if "pd" in kw:
        iaid, t1, t2, pfx = kw["pd"]
        f += [("has_pd", "true"), ("pd_iaid", iaid), ("pd_t1", t1),
              ("pd_t2", t2)]
        if "pd_status" in kw:
            f += [("pd_has_status", "true"), ("pd_status", kw["pd_status"])]
        f += [("n_prefixes", len(pfx)),
              ("prefixes", "{" + ", ".join(init([
                  ("prefix", c_arr(masked(p, l))), ("len", l),
                  ("preferred", pr), ("valid", va)])
                  for p, l, pr, va in pfx) + "}")]
    if "na" in kw:
        iaid, t1, t2, addrs = kw["na"]
        f += [("has_na", "true"), ("na_iaid", iaid), ("na_t1", t1),
              ("na_t2", t2)]
        if "na_status" in kw:
            f += [("na_has_status", "true"), ("na_status", kw["na_status"])]
        f += [("n_addrs", len(addrs)),
              ("addrs", "{" + ", ".join(init([
                  ("addr", c_arr(ip6(a))), ("preferred", pr),
                  ("valid", va)]) for a, pr, va in addrs) + "}")]
    if "dns" in kw:
        f += [("n_dns", len(kw["dns"])),
              ("dns", "{" + ", ".join(c_arr(ip6(a)) for a in kw["dns"]) +
               "}")]
    if "domains" in kw:
        f += [("n_domains", len(kw["domains"])),
              ("domains", "{" + ", ".join(c_str(d) for d in kw["domains"]) +
               "}")]
    if "ignored" in kw:
        f += [("n_ignored", kw["ignored"])]
    return init(f)


def sol_max_rt(v):
    return DHCP6OptUnknown(optcode=82, data=struct.pack("!I", v))


def dhcp6_server():
    sid, cid = DHCP6OptServerId(duid=DUID_S), DHCP6OptClientId(duid=DUID_C)
    dns = ["2001:db8::53", "2001:db8::54"]
    doms = ["example.com", "lan.example.net"]
    v = []
    # An Advertise offering a /56, DNS, a domain list, SOL_MAX_RT.
    v.append(("adv_pd", DHCP6_Advertise(trid=0xabcdef) / sid / cid /
              DHCP6OptPref(prefval=255) /
              DHCP6OptIA_PD(iaid=1, T1=1800, T2=2880, iapdopt=[
                  DHCP6OptIAPrefix(preflft=3600, validlft=7200, plen=56,
                                   prefix="2001:db8:1100::")]) /
              DHCP6OptDNSServers(dnsservers=dns) /
              DHCP6OptDNSDomains(dnsdomains=doms) / sol_max_rt(3600),
              d6_expect(2, 0xabcdef, preference=255,
                        pd=(1, 1800, 2880,
                            [("2001:db8:1100::", 56, 3600, 7200)]),
                        dns=dns, domains=doms, sol_max_rt=3600)))
    # A rapid-commit Reply with IA_NA and IA_PD: one IA Prefix with
    # preferred > valid (ignored), the IA's own Status Code, the
    # top-level one, an Authentication option, host bits in a prefix.
    v.append(("reply_pd_na", DHCP6_Reply(trid=0x000102) / sid / cid /
              DHCP6OptRapidCommit() /
              DHCP6OptIA_NA(iaid=7, T1=3000, T2=4800, ianaopts=[
                  DHCP6OptIAAddress(addr="2001:db8:10:1::100",
                                    preflft=5400, validlft=9000)]) /
              DHCP6OptIA_PD(iaid=1, T1=1800, T2=2880, iapdopt=[
                  DHCP6OptIAPrefix(preflft=3600, validlft=7200, plen=60,
                                   prefix="2001:db8:1100:10::"),
                  DHCP6OptIAPrefix(preflft=9000, validlft=100, plen=64,
                                   prefix="2001:db8:1100:30::"),
                  DHCP6OptIAPrefix(preflft=0, validlft=0, plen=64,
                                   prefix="2001:db8:1100:20:ffff::"),
                  DHCP6OptStatusCode(statuscode=0, statusmsg="ok")]) /
              DHCP6OptStatusCode(statuscode=0, statusmsg="all good") /
              DHCP6OptAuth(proto=3, alg=1, rdm=0, replay=bytes(8),
                           authinfo=b"keyinfo1"),
              d6_expect(7, 0x000102, rapid_commit=True, status=0, auth=True,
                        na=(7, 3000, 4800,
                            [("2001:db8:10:1::100", 5400, 9000)]),
                        pd=(1, 1800, 2880,
                            [("2001:db8:1100:10::", 60, 3600, 7200),
                             ("2001:db8:1100:20::", 64, 0, 0)]),
                        pd_status=0, ignored=1)))
    # No prefix for us: NoPrefixAvail inside the IA_PD.
    v.append(("reply_noprefix", DHCP6_Reply(trid=0x77) / sid / cid /
              DHCP6OptIA_PD(iaid=1, T1=0, T2=0, iapdopt=[
                  DHCP6OptStatusCode(statuscode=6, statusmsg="none")]),
              d6_expect(7, 0x77, pd=(1, 0, 0, []), pd_status=6)))
    # UseMulticast at top level, NoAddrsAvail in the IA_NA.
    v.append(("reply_usemcast", DHCP6_Reply(trid=0x78) / sid / cid /
              DHCP6OptStatusCode(statuscode=5, statusmsg="multicast") /
              DHCP6OptIA_NA(iaid=9, ianaopts=[
                  DHCP6OptStatusCode(statuscode=2)]),
              d6_expect(7, 0x78, status=5, na=(9, 0, 0, []), na_status=2)))
    # Reconfigure (Renew), authenticated.
    v.append(("reconfigure", DHCP6_Reconf(trid=0) / sid / cid /
              DHCP6OptReconfMsg(msgtype=5) /
              DHCP6OptAuth(proto=3, alg=1, rdm=0, replay=bytes(8),
                           authinfo=bytes(17)),
              d6_expect(10, 0, reconf_msg=5, auth=True)))
    # T1 > T2 > 0: that IA_PD is discarded, the next one taken; the third
    # is skipped (only the first valid one counts).
    v.append(("reply_t1_gt_t2", DHCP6_Reply(trid=0x10) / sid / cid /
              DHCP6OptIA_PD(iaid=1, T1=5000, T2=100, iapdopt=[
                  DHCP6OptIAPrefix(preflft=1, validlft=2, plen=48,
                                   prefix="2001:db8:aaaa::")]) /
              DHCP6OptIA_PD(iaid=2, T1=100, T2=200, iapdopt=[
                  DHCP6OptIAPrefix(preflft=300, validlft=400, plen=48,
                                   prefix="2001:db8:bbbb::")]) /
              DHCP6OptIA_PD(iaid=3, T1=1, T2=2, iapdopt=[
                  DHCP6OptIAPrefix(preflft=1, validlft=2, plen=48,
                                   prefix="2001:db8:cccc::")]),
              d6_expect(7, 0x10, pd=(2, 100, 200,
                                     [("2001:db8:bbbb::", 48, 300, 400)]),
                        ignored=1)))
    # More items than the arrays hold: the first ones kept. Out-of-range
    # SOL_MAX_RT ignored; Information Refresh Time read.
    many = [(f"2001:db8:1100:{i}::", 64, 100 + i, 200 + i) for i in range(6)]
    dns6 = [f"2001:db8::{i:x}" for i in range(1, 7)]
    v.append(("adv_many", DHCP6_Advertise(trid=0xfffffe) / sid / cid /
              DHCP6OptIA_PD(iaid=4, T1=10, T2=20, iapdopt=[
                  DHCP6OptIAPrefix(preflft=pr, validlft=va, plen=l, prefix=p)
                  for p, l, pr, va in many]) /
              DHCP6OptDNSServers(dnsservers=dns6[:3]) /
              DHCP6OptDNSServers(dnsservers=dns6[3:]) / sol_max_rt(10) /
              DHCP6OptInfoRefreshTime(reftime=86400),
              d6_expect(2, 0xfffffe, pd=(4, 10, 20, many[:4]), dns=dns6[:4],
                        info_refresh=86400)))
    # No Client Identifier (allowed by the parser: the caller compares).
    v.append(("reply_no_clientid", DHCP6_Reply(trid=0x20) / sid,
              d6_expect(7, 0x20, client_id=False)))
    return v


# ---- DHCPv6 client messages: neptune builds, compared with scapy -------

def d6_req(mtype, xid, **kw):
    """struct nep_dhcp6_req as C, and the scapy message for the same."""
    cls = {1: DHCP6_Solicit, 3: DHCP6_Request, 4: DHCP6_Confirm,
           5: DHCP6_Renew, 6: DHCP6_Rebind, 8: DHCP6_Release,
           9: DHCP6_Decline, 11: DHCP6_InfoRequest}[mtype]
    f = [("type", mtype), ("xid", f"0x{xid:06x}"), ("duid", "prov_duid_c"),
         ("duid_len", len(bytes(DUID_C)))]
    pkt = cls(trid=xid) / DHCP6OptClientId(duid=DUID_C)
    if kw.get("sid"):
        f += [("server_id", "prov_duid_s"),
              ("server_id_len", len(bytes(DUID_S)))]
        pkt /= DHCP6OptServerId(duid=DUID_S)
    el = kw.get("elapsed", 0)
    f += [("elapsed_cs", el)]
    pkt /= DHCP6OptElapsedTime(elapsedtime=el)
    if mtype in (1, 3, 5, 6, 11):
        req = [23, 24] if kw.get("dns") else []
        req += [32, 83] if mtype == 11 else [82]
        pkt /= DHCP6OptOptReq(reqopts=req)
    if kw.get("dns"):
        f += [("want_dns", "true")]
    if kw.get("rapid"):
        f += [("rapid_commit", "true")]
        pkt /= DHCP6OptRapidCommit()
    if "na" in kw:
        iaid, addr = kw["na"]
        f += [("want_na", "true"), ("na_iaid", iaid)]
        sub = []
        if addr:
            f += [("na_have", "true"),
                  ("na", init([("addr", c_arr(ip6(addr))),
                               ("preferred", 1111), ("valid", 2222)]))]
            sub = [DHCP6OptIAAddress(addr=addr, preflft=0, validlft=0)]
        pkt /= DHCP6OptIA_NA(iaid=iaid, T1=0, T2=0, ianaopts=sub)
    if "pd" in kw:
        iaid, hint, held = kw["pd"]
        f += [("want_pd", "true"), ("pd_iaid", iaid), ("pd_hint_len", hint)]
        sub = []
        if held:
            p, l = held
            # The held lifetimes are not sent (zeros, RFC 8415 21.22).
            f += [("pd_have", "true"),
                  ("pd", init([("prefix", c_arr(ip6(p))), ("len", l),
                               ("preferred", 3333), ("valid", 4444)]))]
            sub = [DHCP6OptIAPrefix(preflft=0, validlft=0, plen=l,
                                    prefix=p)]
        elif hint:
            sub = [DHCP6OptIAPrefix(preflft=0, validlft=0, plen=hint,
                                    prefix="::")]
        pkt /= DHCP6OptIA_PD(iaid=iaid, T1=0, T2=0, iapdopt=sub)
    return init(f), bytes(pkt)


def dhcp6_client():
    pd_held = ("2001:db8:1100::", 56)
    return [
        ("solicit", *d6_req(1, 0x123456, dns=True, rapid=True,
                            pd=(1, 56, None))),
        ("solicit_na_nohint", *d6_req(1, 0xabc, elapsed=250,
                                      na=(0x01020304, None),
                                      pd=(2, 0, None))),
        ("request", *d6_req(3, 0x654321, sid=True, dns=True, elapsed=100,
                            na=(7, "2001:db8:10:1::100"),
                            pd=(1, 56, pd_held))),
        ("confirm", *d6_req(4, 0x1, na=(7, "2001:db8:10:1::100"))),
        ("renew", *d6_req(5, 0xfedcba, sid=True, dns=True,
                          pd=(1, 0, pd_held))),
        ("rebind", *d6_req(6, 0x0f0f0f, elapsed=65535,
                           na=(7, "2001:db8:10:1::100"),
                           pd=(1, 0, pd_held))),
        ("release", *d6_req(8, 0x424242, sid=True, pd=(1, 0, pd_held))),
        ("decline", *d6_req(9, 0x434343, sid=True,
                            na=(7, "2001:db8:10:1::100"))),
        ("info_request", *d6_req(11, 0x999999, dns=True)),
    ]


# ---- DHCPv4 -------------------------------------------------------------

def bootp_reply(mtype, opts, xid=0x11223344, yiaddr="198.51.100.23",
                siaddr="0.0.0.0", giaddr="0.0.0.0", sname=b"", file=b"",
                flags=0):
    return BOOTP(op=2, xid=xid, flags=flags, yiaddr=yiaddr, siaddr=siaddr,
                 giaddr=giaddr,
                 chaddr=mac_bytes(MAC_C) + bytes(10), sname=sname,
                 file=file) / \
        DHCP(options=[("message-type", mtype)] + opts + ["end"])


def d4_expect(mtype, xid=0x11223344, yiaddr="198.51.100.23",
              siaddr="0.0.0.0", giaddr="0.0.0.0", flags=0, **kw):
    f = [("op", 2), ("type", mtype), ("xid", f"0x{xid:08x}"),
         ("flags", f"0x{flags:04x}"), ("chaddr", c_arr(mac_bytes(MAC_C))),
         ("yiaddr", f"0x{ip4(yiaddr):08x}"),
         ("siaddr", f"0x{ip4(siaddr):08x}"),
         ("giaddr", f"0x{ip4(giaddr):08x}")]
    if "server_id" in kw:
        f += [("has_server_id", "true"),
              ("server_id", f"0x{ip4(kw['server_id']):08x}")]
    if "mask" in kw:
        f += [("has_mask", "true"), ("mask", f"0x{ip4(kw['mask']):08x}")]
    if "router" in kw:
        f += [("has_router", "true"),
              ("router", f"0x{ip4(kw['router']):08x}")]
    for k in ("lease_s", "t1_s", "t2_s"):
        if k in kw:
            f += [(k, kw[k])]
    if "mtu" in kw:
        f += [("has_mtu", "true"), ("mtu", kw["mtu"])]
    if "dns" in kw:
        f += [("n_dns", len(kw["dns"])),
              ("dns", "{" + ", ".join(f"0x{ip4(a):08x}" for a in kw["dns"])
               + "}")]
    return init(f)


def dhcp4_server():
    srv, gw = "198.51.100.1", "198.51.100.254"
    common = [("server_id", srv), ("lease_time", 86400),
              ("renewal_time", 43200), ("rebinding_time", 75600),
              ("subnet_mask", "255.255.255.0"), ("router", gw, srv),
              ("name_server", "192.0.2.53", "192.0.2.54", "192.0.2.55"),
              ("interface-mtu", 1492), ("domain", b"example.com")]
    exp = dict(server_id=srv, mask="255.255.255.0", router=gw,
               lease_s=86400, t1_s=43200, t2_s=75600, mtu=1492,
               dns=["192.0.2.53", "192.0.2.54", "192.0.2.55"])
    v = []
    v.append(("offer", bootp_reply("offer", common, siaddr=srv,
                                   flags=0x8000),
              d4_expect(2, siaddr=srv, flags=0x8000, **exp)))
    v.append(("ack", bootp_reply("ack", common, giaddr="203.0.113.1",
                                 xid=0xdeadbeef),
              d4_expect(5, giaddr="203.0.113.1", xid=0xdeadbeef, **exp)))
    v.append(("nak", bootp_reply("nak", [("server_id", srv),
                                         ("error_message", b"no")],
                                 yiaddr="0.0.0.0"),
              d4_expect(6, yiaddr="0.0.0.0", server_id=srv)))
    # Option Overload 3: options in file (first) then sname.
    file = bytes([6, 8]) + ipaddress.IPv4Address("192.0.2.60").packed + \
        ipaddress.IPv4Address("192.0.2.61").packed + bytes([255])
    sname = bytes([3, 4]) + ipaddress.IPv4Address(gw).packed + \
        bytes([0, 0, 1, 4, 255, 255, 0, 0, 255])
    v.append(("ack_overload", bootp_reply(
        "ack", [("server_id", srv), ("dhcp-option-overload", 3),
                ("lease_time", 3600), ("name_server", "192.0.2.53")],
        file=file, sname=sname),
        d4_expect(5, server_id=srv, lease_s=3600, router=gw,
                  mask="255.255.0.0",
                  dns=["192.0.2.53", "192.0.2.60", "192.0.2.61"])))
    # Two DNS options (RFC 3396 concatenation), 5 servers: 4 kept; an
    # interface MTU below 68 ignored.
    v.append(("ack_many_dns", bootp_reply(
        "ack", [("server_id", srv),
                ("name_server", "192.0.2.1", "192.0.2.2", "192.0.2.3"),
                ("name_server", "192.0.2.4", "192.0.2.5"),
                ("interface-mtu", 60)]),
        d4_expect(5, server_id=srv, dns=["192.0.2.1", "192.0.2.2",
                                         "192.0.2.3", "192.0.2.4"])))
    return v


PRL = [1, 3, 6, 51, 58, 59, 26]


def d4_req(mtype, xid, secs=0, broadcast=False, ciaddr=None,
           requested=None, server=None, client_id=None, hostname=None):
    f = [("type", mtype), ("xid", f"0x{xid:08x}"), ("secs", secs),
         ("chaddr", c_arr(mac_bytes(MAC_C)))]
    if broadcast:
        f += [("broadcast", "true")]
    names = {1: "discover", 3: "request", 4: "decline", 7: "release",
             8: "inform"}
    opts = [("message-type", names[mtype])]
    if ciaddr:
        f += [("ciaddr", f"0x{ip4(ciaddr):08x}")]
    if client_id:
        f += [("client_id", "prov_d4_client_id"),
              ("client_id_len", len(client_id))]
        opts.append(("client_id", client_id))
    if requested:
        f += [("requested_ip", f"0x{ip4(requested):08x}")]
        opts.append(("requested_addr", requested))
    if server:
        f += [("server_id", f"0x{ip4(server):08x}")]
        opts.append(("server_id", server))
    if hostname:
        f += [("hostname", c_str(hostname))]
        opts.append(("hostname", hostname.encode()))
    if mtype not in (4, 7):
        opts.append(("param_req_list", PRL))
    pkt = BOOTP(op=1, htype=1, hlen=6, xid=xid, secs=secs,
                flags=0x8000 if broadcast else 0,
                ciaddr=ciaddr or "0.0.0.0",
                chaddr=mac_bytes(MAC_C) + bytes(10)) / \
        DHCP(options=opts + ["end"])
    b = bytes(pkt)
    b += bytes(max(0, 300 - len(b)))  # neptune's padding rule
    return init(f), b


D4_CLIENT_ID = b"\x01" + mac_bytes(MAC_C)


def dhcp4_client():
    srv = "198.51.100.1"
    return [
        ("discover", *d4_req(1, 0x01020304, secs=3, broadcast=True,
                             client_id=D4_CLIENT_ID, hostname="neptune")),
        ("request_selecting", *d4_req(3, 0x01020304, secs=4,
                                      client_id=D4_CLIENT_ID,
                                      requested="198.51.100.23",
                                      server=srv, hostname="neptune")),
        ("request_renewing", *d4_req(3, 0x0a0b0c0d,
                                     ciaddr="198.51.100.23")),
        ("decline", *d4_req(4, 0x5, requested="198.51.100.23",
                            server=srv)),
        ("release", *d4_req(7, 0x6, ciaddr="198.51.100.23", server=srv,
                            client_id=D4_CLIENT_ID)),
        ("inform", *d4_req(8, 0x7, ciaddr="198.51.100.23")),
    ]


# ---- Router Advertisements / Solicitations ------------------------------

def ra_expect(chlim, M, O, prf, life, reach, retrans, sllao=None, mtu=None,
              prefixes=(), rdnss=None, dnssl=None):
    f = [("cur_hop_limit", chlim), ("managed", "true" if M else "false"),
         ("other", "true" if O else "false"), ("prf", prf),
         ("router_lifetime", life), ("reachable_ms", reach),
         ("retrans_ms", retrans)]
    if sllao:
        f += [("has_sllao", "true"), ("sllao", c_arr(mac_bytes(sllao)))]
    if mtu is not None:
        f += [("has_mtu", "true"), ("mtu", mtu)]
    if prefixes:
        f += [("n_prefixes", len(prefixes)),
              ("prefixes", "{" + ", ".join(init([
                  ("prefix", c_arr(masked(p, l))), ("len", l),
                  ("onlink", "true" if L else "false"),
                  ("autonomous", "true" if A else "false"),
                  ("valid", va), ("preferred", pr)])
                  for p, l, L, A, va, pr in prefixes) + "}")]
    if rdnss:
        lt, addrs = rdnss
        f += [("rdnss_lifetime", lt), ("n_rdnss", len(addrs)),
              ("rdnss", "{" + ", ".join(c_arr(ip6(a)) for a in addrs) + "}")]
    if dnssl:
        lt, names = dnssl
        f += [("dnssl_lifetime", lt), ("n_dnssl", len(names)),
              ("dnssl", "{" + ", ".join(c_str(n) for n in names) + "}")]
    return init(f)


def pi(p, l, L, A, va, pr):
    return ICMPv6NDOptPrefixInfo(prefix=p, prefixlen=l, L=L, A=A,
                                 validlifetime=va, preferredlifetime=pr)


def ra_vectors():
    """(name, bytes, expected struct, also a build vector?)"""
    v = []
    pfx = [("2001:db8:10:1::", 64, 1, 1, 86400, 14400),
           ("2001:db8:10:2::", 64, 1, 0, 3600, 1800)]
    dns = ["2001:db8::53", "2001:db8::54"]
    names = ["example.com", "lan.example.net"]
    ra = ICMPv6ND_RA(cksum=0, chlim=64, M=0, O=1, prf=3,
                     routerlifetime=1800, reachabletime=30000,
                     retranstimer=1000) / \
        ICMPv6NDOptSrcLLAddr(lladdr=MAC_R) / ICMPv6NDOptMTU(mtu=1492)
    for p in pfx:
        ra /= pi(*p)
    ra /= ICMPv6NDOptRDNSS(lifetime=1200, dns=dns)
    ra /= ICMPv6NDOptDNSSL(lifetime=1200, searchlist=names)
    v.append(("ra_full", bytes(ra),
              ra_expect(64, 0, 1, 3, 1800, 30000, 1000, sllao=MAC_R,
                        mtu=1492, prefixes=pfx, rdnss=(1200, dns),
                        dnssl=(1200, names)), True))
    # A bare RA, M set, high preference, router lifetime 0.
    v.append(("ra_bare", bytes(ICMPv6ND_RA(cksum=0, chlim=0, M=1, O=1,
                                           prf=1, routerlifetime=0)),
              ra_expect(0, 1, 1, 1, 0, 0, 0), True))
    # Unknown options skipped (Route Information 24, Advertisement
    # Interval 7); reserved preference 2 read as medium; host bits in a
    # prefix cleared.
    ra = ICMPv6ND_RA(cksum=0, chlim=255, prf=2, routerlifetime=9000) / \
        ICMPv6NDOptRouteInfo(prefix="2001:db8:20::", plen=48,
                             rtlifetime=600) / \
        ICMPv6NDOptAdvInterval(advint=60000) / \
        pi("2001:db8:10:1::1", 64, 0, 1, 10, 5)
    v.append(("ra_unknown_opts", bytes(ra),
              ra_expect(255, 0, 0, 0, 9000, 0, 0,
                        prefixes=[("2001:db8:10:1::", 64, 0, 1, 10, 5)]),
              False))
    # Two RDNSS options (lifetimes 600, 300: the smaller kept), 5
    # addresses (4 kept); 9 prefixes (8 kept); two DNSSL.
    ra = ICMPv6ND_RA(cksum=0, chlim=64, prf=0, routerlifetime=1800)
    many = [(f"2001:db8:10:{i}::", 64, 1, 1, 1000 + i, 500 + i)
            for i in range(9)]
    for p in many:
        ra /= pi(*p)
    dns5 = [f"2001:db8::{i}" for i in range(1, 6)]
    ra /= ICMPv6NDOptRDNSS(lifetime=600, dns=dns5[:3])
    ra /= ICMPv6NDOptRDNSS(lifetime=300, dns=dns5[3:])
    ra /= ICMPv6NDOptDNSSL(lifetime=900, searchlist=["a.example"])
    ra /= ICMPv6NDOptDNSSL(lifetime=1000, searchlist=["b.example",
                                                      "c.example"])
    v.append(("ra_many", bytes(ra),
              ra_expect(64, 0, 0, 0, 1800, 0, 0, prefixes=many[:8],
                        rdnss=(300, dns5[:4]),
                        dnssl=(900, ["a.example", "b.example",
                                     "c.example"])), False))
    return v


def rs_vectors():
    return [("rs_sllao", bytes(ICMPv6ND_RS(cksum=0) /
                               ICMPv6NDOptSrcLLAddr(lladdr=MAC_C))),
            ("rs_bare", bytes(ICMPv6ND_RS(cksum=0)))]


def main():
    out = ["/* SPDX-License-Identifier: BSD-3-Clause */",
           "/* Generated by tests/unit/gen_prov_vectors.py (scapy): do not "
           "edit. */",
           "#ifndef PROV_VECTORS_H", "#define PROV_VECTORS_H", "",
           "#include <stdbool.h>", "#include <stddef.h>",
           "#include <stdint.h>", "", '#include "nep_dhcp4.h"',
           '#include "nep_dhcp6.h"', '#include "nep_ra.h"', ""]
    out.append(c_bytes("prov_duid_c", bytes(DUID_C)))
    out.append(c_bytes("prov_duid_s", bytes(DUID_S)))
    out.append(f"static const uint8_t prov_mac_c[6] = "
               f"{c_arr(mac_bytes(MAC_C))};")
    out.append(f"#define PROV_DUID_C_TIME {DUID_C_T}u")
    out.append(c_bytes("prov_d4_client_id", D4_CLIENT_ID))
    out.append("")

    def table(kind, ctype, rows, fields):
        for r in rows:
            out.append(c_bytes(f"prov_{kind}_{r[0]}", r[1]))
        out.append(f"static const struct {ctype} prov_{kind}_vecs[] = {{")
        for r in rows:
            out.append(f"\t{{\"{r[0]}\", prov_{kind}_{r[0]}, "
                       f"sizeof(prov_{kind}_{r[0]}), " +
                       ", ".join(fields(r)) + "},")
        out.append("};")
        out.append("")

    out.append("struct prov_d6_srv_vec {\n\tconst char *name;\n"
               "\tconst uint8_t *msg;\n\tsize_t len;\n"
               "\tstruct nep_dhcp6_msg want;\n};")
    table("d6_srv", "prov_d6_srv_vec",
          [(n, bytes(p), e) for n, p, e in dhcp6_server()],
          lambda r: [r[2]])
    out.append("struct prov_d6_cli_vec {\n\tconst char *name;\n"
               "\tconst uint8_t *want;\n\tsize_t len;\n"
               "\tstruct nep_dhcp6_req req;\n};")
    table("d6_cli", "prov_d6_cli_vec",
          [(n, b, r) for n, r, b in dhcp6_client()], lambda r: [r[2]])
    out.append("struct prov_d4_srv_vec {\n\tconst char *name;\n"
               "\tconst uint8_t *msg;\n\tsize_t len;\n"
               "\tstruct nep_dhcp4_msg want;\n};")
    table("d4_srv", "prov_d4_srv_vec",
          [(n, bytes(p), e) for n, p, e in dhcp4_server()],
          lambda r: [r[2]])
    out.append("struct prov_d4_cli_vec {\n\tconst char *name;\n"
               "\tconst uint8_t *want;\n\tsize_t len;\n"
               "\tstruct nep_dhcp4_req req;\n};")
    table("d4_cli", "prov_d4_cli_vec",
          [(n, b, r) for n, r, b in dhcp4_client()], lambda r: [r[2]])
    out.append("/* build: also compared with neptune's build of want. */")
    out.append("struct prov_ra_vec {\n\tconst char *name;\n"
               "\tconst uint8_t *msg;\n\tsize_t len;\n"
               "\tstruct nep_ra want;\n\tbool build;\n};")
    table("ra", "prov_ra_vec", ra_vectors(),
          lambda r: [r[2], "true" if r[3] else "false"])
    for n, b in rs_vectors():
        out.append(c_bytes(f"prov_{n}", b))
    out += ["", "#endif /* PROV_VECTORS_H */"]
    print("\n".join(out))


if __name__ == "__main__":
    main()
