#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""neptune-cli and the management socket as an operator meets them (issue
15; docs/cli.md): neptune on the standard two pcap ports.

test_read_group
    management.read_group: nogroup. The socket is root:nogroup 0660; the
    user nobody (group nogroup) runs show commands and help but nothing
    that changes state (clear stats, set log level, shutdown: "read-only
    access"), also not through an abbreviation; a user outside the group
    cannot connect; root still can do everything. A reload cannot change
    the key.

test_cli_prefixes_json_errors_completion
    Unique abbreviations through neptune-cli (sh ver, sh po st lan0: the
    rest of the line decides between port, ports, policies; sh p is
    ambiguous); with
    --json an error is JSON on stdout ({"error": ...}, exit 1) and text on
    stderr; --complete offers the instance's port names after `show port
    stats` and `show port xstats`, keywords elsewhere.

test_port_rates_xstats_neighbors
    show port stats gives rates (pps, bit/s) since the previous show: the
    first after traffic is above zero, the next (no traffic) zero;
    show port xstats NAME lists the PMD's counters; show neighbors is
    sorted (port, IPv4 first, address) with AGE in units.

test_hugepage_error_is_plain
    hugetlbfs unmounted (in the test's own mount namespace): the start fails
    with "hugetlbfs is not mounted" and the setup step to run.
"""
import grp
from pathlib import Path
import json
import os
import pwd
import re
import shutil
import stat
import subprocess

from dp_packets import from_host, udp6
from neptune_dp import BUILD, HOST6, REMOTE6, Dataplane

CLI = BUILD / "app" / "neptune-cli" / "neptune-cli"


def cli(sock, *args, user=None, group=None, env=None):
    cmd = [str(CLI), "-s", str(sock), *args]
    if user is not None:
        if shutil.which("setpriv") is None:
            raise AssertionError("setpriv (util-linux) is missing")
        cmd = ["setpriv", f"--reuid={user}", f"--regid={group}",
               "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=20,
                          env=env)


def test_read_group():
    nobody = pwd.getpwnam("nobody").pw_uid
    nogroup = grp.getgrnam("nogroup").gr_gid
    other = grp.getgrnam("daemon").gr_gid
    dp = Dataplane(extra_cfg={"management": {"read_group": "nogroup"}})
    dp.start()
    try:
        sock = dp.tmp / "nep.sock"
        st = os.stat(sock)
        assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == nogroup
        assert os.stat(dp.tmp).st_mode & stat.S_IXOTH
        r = cli(sock, "show", "stats", user=nobody, group=nogroup)
        assert r.returncode == 0 and "rx packets" in r.stdout, r.stderr
        r = cli(sock, "help", user=nobody, group=nogroup)
        assert r.returncode == 0 and "show stats" in r.stdout
        for words in (["clear", "stats"], ["set", "log", "level", "debug"],
                      ["shutdown"], ["reload"], ["cl", "st"]):
            r = cli(sock, *words, user=nobody, group=nogroup)
            assert r.returncode == 1, (words, r.stdout, r.stderr)
            assert "read-only access" in r.stderr or \
                "type the first word" in r.stderr, (words, r.stderr)
        r = cli(sock, "--json", "clear", "stats", user=nobody, group=nogroup)
        assert r.returncode == 1
        assert "read-only access" in json.loads(r.stdout)["error"]
        # outside the group: the kernel refuses the connection
        r = cli(sock, "show", "stats", user=nobody, group=other)
        assert r.returncode == 2 and "Permission denied" in r.stderr, r.stderr
        # root: everything
        assert cli(sock, "clear", "stats").returncode == 0
        assert dp.proc.poll() is None
        # a reload may not change the key
        dp.cfg["management"]["read_group"] = "daemon"
        dp.write_config(dp.cfg)
        ok, text = dp.cmd("reload")
        assert not ok and "management.read_group" in text, text
    finally:
        dp.stop()


def test_cli_prefixes_json_errors_completion():
    dp = Dataplane()
    dp.start()
    try:
        sock = dp.tmp / "nep.sock"
        r = cli(sock, "sh", "ver")
        assert r.returncode == 0 and r.stdout.startswith("neptune "), r
        # "po" could be port, ports, policies: the rest of the line decides
        r = cli(sock, "sh", "po", "st", "lan0", "--json")
        assert r.returncode == 0
        assert [p["name"] for p in json.loads(r.stdout)["ports"]] == ["lan0"]
        r = cli(sock, "sh", "p", "--json")
        assert r.returncode == 1 and "ambiguous" in json.loads(r.stdout)["error"]
        r = cli(sock, "--json", "show", "port", "stats", "nosuch")
        assert r.returncode == 1
        assert json.loads(r.stdout) == {"error": "unknown port 'nosuch'"}
        assert "error: unknown port 'nosuch'" in r.stderr
        r = cli(sock, "--json", "show", "bogus")
        assert r.returncode == 1 and "unknown command" in json.loads(r.stdout)["error"]
        # completion from the grammar and from the instance
        r = cli(sock, "--complete", "show", "port", "stats", "")
        assert set(r.stdout.split()) == {"lan0", "wan1", "--json"}, r.stdout
        r = cli(sock, "--complete", "show", "port", "xstats", "w")
        assert r.stdout.split() == ["wan1"], r.stdout
        r = cli(sock, "--complete", "show", "por")
        assert sorted(r.stdout.split()) == ["port", "ports"], r.stdout
        # no instance: keywords still complete
        r = cli(dp.tmp / "none.sock", "--complete", "show", "port", "")
        assert sorted(r.stdout.split()) == ["stats", "xstats"], r.stdout
    finally:
        dp.stop()


def test_port_rates_xstats_neighbors():
    frames = [from_host() / udp6(HOST6, REMOTE6, sport=1000 + i, dport=53,
                                 data=b"x" * 100) for i in range(200)]
    dp = Dataplane(inputs={"lan0": frames})
    dp.start()
    try:
        dp.wait_idle()
        first = {p["name"]: p for p in dp.json("show port stats")["ports"]}
        lan = first["lan0"]
        assert lan["rx_packets"] == 200
        assert lan["rates"]["rx_pps"] > 0 and lan["rates"]["rx_bps"] > 0
        assert lan["rates"]["interval_s"] > 0
        assert first["wan1"]["rates"]["tx_pps"] > 0
        second = {p["name"]: p for p in dp.json("show port stats")["ports"]}
        assert second["lan0"]["rates"]["rx_pps"] == 0
        assert second["lan0"]["rates"]["interval_s"] < lan["rates"]["interval_s"]
        ok, text = dp.cmd("show port stats lan0")
        assert ok and re.search(r"rx +\d+ pps +\d+ bit/s", text), text
        x = dp.json("show port xstats lan0")
        assert x["name"] == "lan0" and x["xstats"]["rx_good_packets"] == 200
        ok, text = dp.cmd("show port xstats wan1")
        assert ok and "tx_good_packets" in text
        ok, text = dp.cmd("show port xstats nosuch")
        assert not ok and "unknown port" in text
        nb = dp.json("show neighbors")["neighbors"]
        keys = [(n["port"], ":" in n["address"]) for n in nb]
        assert keys == sorted(keys), keys
        ok, text = dp.cmd("show neighbors")
        lines = text.splitlines()
        assert lines[0].split() == ["PORT", "ADDRESS", "MAC", "STATE", "AGE",
                                    "QUEUED"]
        # every row as wide as the header: QUEUED right-aligned under it
        assert all(len(l) == len(lines[0]) for l in lines[1:]), lines
        assert all(re.search(r" \d+(\.\d)? (ms|s|min|h) +\d+$", l)
                   for l in lines[1:]), lines
    finally:
        dp.stop()


def test_hugepage_error_is_plain():
    """Without hugetlbfs (unmounted in a mount namespace of the test's own),
    a configuration that needs it fails with a plain message that names
    the setup step, not only EAL's."""
    dp = Dataplane(extra_cfg={"eal": {"no_huge": False, "in_memory": False,
                                      "memory_mb": 64}})
    # free pages must exist, or the message is about those instead (a
    # fresh machine has none reserved until a lab or neptune-setup runs)
    nr = Path("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")
    before = int(nr.read_text())
    if before < 64:
        nr.write_text("64")
    try:
            r = subprocess.run(
            ["unshare", "-m", "sh", "-c",
             "umount /dev/hugepages 2>/dev/null; umount /dev/hugepages "
             "2>/dev/null;"
             f" exec {BUILD / 'app' / 'neptune' / 'neptune'} -c {dp.cfg_path}"],
            capture_output=True, text=True, timeout=60)
    finally:
        if before < 64:
            nr.write_text(str(before))
    shutil.rmtree(dp.tmp, ignore_errors=True)
    assert r.returncode == 1, r.stdout + r.stderr
    err = r.stdout + r.stderr
    assert "neptune: EAL initialisation failed" in err, err
    assert "hugetlbfs is not mounted (needed without eal.in_memory)" in err, err
    assert "neptune-setup" in err and "dpdk-hugepages.py" in err, err
