#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What `meson install` lays out, and that it works (docs/operations.md,
"Install").

1. `meson install --destdir TMP --no-rebuild` from the build directory;
   every expected file is there (binaries, neptune-setup, the unit, the
   default configuration, docs, the Grafana dashboard, man pages, driver
   presets, bash completion) with the right modes.
2. `systemd-analyze verify` accepts neptune@.service in that root (the
   host's own system units copied beside it so its dependencies resolve;
   ExecStart paths are checked against the installed files), and refuses
   the same unit with a missing binary.
3. The man pages render (`man -l`, groff warnings on) and name their
   program; the completion script parses (`bash -n`) and completes
   through the installed neptune-cli; the installed neptune accepts the
   installed default configuration with the installed driver presets;
   neptune-setup --dry-run reads it.

Usage: check_install.py SOURCE_ROOT BUILD_ROOT
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def main():
    src, build = Path(sys.argv[1]), Path(sys.argv[2])
    errors = []
    tmp = Path(tempfile.mkdtemp(prefix="nep-install-"))
    try:
        r = run(["meson", "install", "-C", str(build), "--destdir", str(tmp),
                 "--no-rebuild", "--quiet"])
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            return 1
        intro = run(["meson", "introspect", str(build), "--buildoptions"])
        import json
        opts = {o["name"]: o["value"] for o in json.loads(intro.stdout)}
        prefix = Path(opts["prefix"])

        def p(*parts):
            d = Path(*parts)
            return tmp / (d if d.is_absolute() else prefix / d).relative_to("/")

        bindir, sbindir = opts["bindir"], opts["sbindir"]
        datadir, mandir = opts["datadir"], opts["mandir"]
        sysconf = opts["sysconfdir"]
        unitdir = opts["systemdunitdir"] or str(prefix / "lib/systemd/system")
        expect = {
            p(bindir, "neptune"): 0o755, p(bindir, "neptune-cli"): 0o755,
            p(sbindir, "neptune-setup"): 0o755,
            p(unitdir, "neptune@.service"): None,
            p(sysconf, "neptune", "neptune.yaml"): None,
            p(datadir, "doc/neptune/operations.md"): None,
            p(datadir, "doc/neptune/config.md"): None,
            p(datadir, "doc/neptune/cli.md"): None,
            p(datadir, "doc/neptune/README.md"): None,
            p(datadir, "doc/neptune/grafana/neptune.json"): None,
            p(mandir, "man8/neptune.8"): None,
            p(mandir, "man8/neptune-cli.8"): None,
            p(mandir, "man8/neptune-setup.8"): None,
            p(datadir, "neptune/drivers-config/pci_vfio.yaml"): None,
            p(datadir, "neptune/drivers-config/net_tap.yaml"): None,
            p(datadir, "bash-completion/completions/neptune-cli"): None,
        }
        for f, mode in expect.items():
            if not f.is_file():
                errors.append(f"missing {f.relative_to(tmp)}")
            elif mode is not None and stat.S_IMODE(f.stat().st_mode) != mode:
                errors.append(f"{f.relative_to(tmp)}: mode "
                              f"{oct(stat.S_IMODE(f.stat().st_mode))}")
        if errors:
            raise SystemExit("\n".join(errors))

        # the unit: absolute paths into the install, verified by systemd
        unit = p(unitdir, "neptune@.service")
        text = unit.read_text()
        for want in (f"ExecStart={prefix / bindir / 'neptune'} -c",
                     f"ExecStartPre={prefix / sbindir / 'neptune-setup'}",
                     "Restart=on-failure", "RuntimeDirectory=neptune"):
            if want not in text:
                errors.append(f"neptune@.service lacks {want!r}")
        host_units = Path("/lib/systemd/system")
        if not host_units.is_dir() or shutil.which("systemd-analyze") is None:
            errors.append("systemd-analyze or /lib/systemd/system missing")
        else:
            shutil.copytree(host_units, tmp / "lib/systemd/system",
                            dirs_exist_ok=True, symlinks=True)
            r = run(["systemd-analyze", "verify", "--man=no", f"--root={tmp}",
                     "neptune@edge.service"])
            if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
                errors.append(f"systemd-analyze verify: rc={r.returncode}\n"
                              f"{r.stdout}{r.stderr}")
            broken = unit.with_name("neptune-broken@.service")
            broken.write_text(text.replace(str(prefix / bindir / "neptune") + " ",
                                           "/nonexistent/neptune "))
            r = run(["systemd-analyze", "verify", "--man=no", f"--root={tmp}",
                     "neptune-broken@edge.service"])
            if r.returncode == 0 or "is not executable" not in r.stderr:
                errors.append("systemd-analyze verify accepted a unit whose "
                              f"binary is missing: {r.stderr}")
            broken.unlink()

        # man pages render, without groff warnings
        for page in ("neptune", "neptune-cli", "neptune-setup"):
            f = p(mandir, f"man8/{page}.8")
            r = run(["man", "--warnings=w", "-l", str(f)],
                    env=dict(os.environ, MANWIDTH="80", MANPAGER="cat",
                             PAGER="cat"))
            title = page.upper() + "(8)"
            if r.returncode != 0 or r.stderr.strip() or title not in r.stdout \
                    or "SYNOPSIS" not in r.stdout:
                errors.append(f"man {page}: rc={r.returncode} {r.stderr[:500]}")

        # the installed binary takes the installed configuration
        nep = p(bindir, "neptune")
        r = run([str(nep), "--check-config", str(p(sysconf, "neptune", "neptune.yaml")),
                 "--drivers-config", str(p(datadir, "neptune/drivers-config"))])
        if r.returncode != 0:
            errors.append(f"installed neptune --check-config: {r.stdout}{r.stderr}")
        r = run([str(p(sbindir, "neptune-setup")), "--dry-run",
                 str(p(sysconf, "neptune", "neptune.yaml"))])
        if r.returncode != 0 or "hugepages" not in r.stdout or \
                "nothing to bind" not in r.stdout:
            errors.append(f"neptune-setup --dry-run: {r.stdout}{r.stderr}")
        # a PCI port and more hugepages than reserved: what it would run
        pci = tmp / "pci.yaml"
        pci.write_text("eal: {memory_mb: 2048}\nports:\n"
                       "  - {name: wan1, role: wan, driver: pci_vfio, "
                       "devargs: '0000:03:00.0'}\n"
                       "  - {name: lan0, role: lan, devargs: '04:00.1'}\n")
        r = run([str(p(sbindir, "neptune-setup")), "--dry-run",
                 "--hugepages", "512G", str(pci)])
        want = ["dpdk-hugepages.py -p 2M --reserve 524288M",
                "dpdk-devbind.py --bind=vfio-pci 0000:03:00.0",
                "dpdk-devbind.py --bind=vfio-pci 0000:04:00.1"]
        if r.returncode != 0 or not all(w in r.stdout for w in want):
            errors.append(f"neptune-setup --dry-run (PCI): {r.stdout}{r.stderr}")

        # completion: bash parses it, and it completes through neptune-cli
        comp = p(datadir, "bash-completion/completions/neptune-cli")
        r = run(["bash", "-n", str(comp)])
        if r.returncode != 0:
            errors.append(f"bash -n completion: {r.stderr}")
        cli = p(bindir, "neptune-cli")
        r = run([str(cli), "--complete", "show", "up"],
                env=dict(os.environ, NEPTUNE_SOCKET=str(tmp / "none.sock")))
        if r.returncode != 0 or sorted(r.stdout.split()) != ["uplink", "uplinks"]:
            errors.append(f"neptune-cli --complete show up: {r.stdout!r} {r.stderr}")
        if shutil.which("bash") and Path("/usr/share/bash-completion/bash_completion").exists():
            script = (f". /usr/share/bash-completion/bash_completion; . {comp}; "
                      f"PATH={cli.parent}:$PATH; COMP_WORDS=(neptune-cli show po); "
                      "COMP_CWORD=2; COMP_LINE='neptune-cli show po'; "
                      "COMP_POINT=${#COMP_LINE}; _neptune_cli; "
                      "printf '%s\\n' \"${COMPREPLY[@]}\"")
            r = run(["bash", "-c", script],
                    env=dict(os.environ, NEPTUNE_SOCKET=str(tmp / "none.sock")))
            if sorted(r.stdout.split()) != ["policies", "port", "ports"]:
                errors.append(f"bash completion of 'show po': {r.stdout!r} {r.stderr}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if errors:
        print("\n".join(errors))
        return 1
    print("install layout, unit, man pages, completion: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
