# SPDX-License-Identifier: BSD-3-Clause
"""kill -9 during a burst of registrations, then restart (issue 12): every
registration that was acknowledged is still there with the addresses it
was given, and no address is held twice."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from nctl import Client, Controller, PSK  # noqa: E402


def burst(port, prefix, acked, errors, stop):
    c = Client(port, timeout=5)
    i = 0
    while not stop.is_set():
        ident = f"{prefix}-{i}"
        c.auth = ("sig", ident, PSK)
        try:
            st, r = c.post("/register", {"device_id": ident})
        except OSError:
            return          # the controller is gone
        if st in (200, 201):
            acked[ident] = (r["tun_ipv4"], r["tun_ipv6"], r["credential"])
        else:
            errors.append((ident, st, r))
        i += 1


def check(ctl, acked):
    st, r = ctl.admin().get("/devices")
    assert st == 200
    devs = {d["device_id"]: d for d in r["devices"]}
    for ident, (a4, a6, _) in acked.items():
        assert ident in devs, f"acknowledged {ident} lost"
        assert (devs[ident]["tun_ipv4"], devs[ident]["tun_ipv6"]) == (a4, a6)
    v4 = [d["tun_ipv4"] for d in devs.values()]
    v6 = [d["tun_ipv6"] for d in devs.values()]
    assert len(set(v4)) == len(v4), "an IPv4 address held twice"
    assert len(set(v6)) == len(v6), "an IPv6 address held twice"
    return devs


def test_kill9_during_registrations(tmp_path):
    ctl = Controller(tmp_path / "ctl").start()
    acked, errors = {}, []
    try:
        for rnd in range(3):
            stop = threading.Event()
            ts = [threading.Thread(target=burst,
                                   args=(ctl.port, f"r{rnd}t{k}", acked,
                                         errors, stop))
                  for k in range(6)]
            for t in ts:
                t.start()
            time.sleep(0.6 + 0.3 * rnd)
            n_before = len(acked)
            ctl.kill9()                 # mid-burst, no shutdown at all
            stop.set()
            for t in ts:
                t.join(10)
            assert n_before > 50, f"only {n_before} registrations in the burst"
            assert not errors, errors[:3]
            ctl.start()
            devs = check(ctl, acked)
            # the credential issued before the crash still signs
            ident, (a4, _, cred) = next(iter(acked.items()))
            st, d = ctl.device(ident, cred).get(f"/device/{ident}")
            assert st == 200 and d["tun_ipv4"] == a4
            # registering again after the restart: the same addresses
            st, r = ctl.device(ident).post("/register", {"device_id": ident})
            assert st == 200 and r["tun_ipv4"] == a4
            # and new ones do not collide with anything restored
            for k in range(20):
                _, r = ctl.register(f"after{rnd}-{k}")
                assert r["tun_ipv4"] not in {d["tun_ipv4"]
                                             for d in devs.values()}
                acked[f"after{rnd}-{k}"] = (r["tun_ipv4"], r["tun_ipv6"],
                                            r["credential"])
        check(ctl, acked)
        print(f"acknowledged {len(acked)} registrations over 3 kill -9s")
    finally:
        ctl.stop()
