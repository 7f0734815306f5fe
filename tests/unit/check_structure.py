#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The appliance's structure (docs/architecture.md, "Adding a feature"):

1. No import cycles between app files: the graph "object file A uses a
   symbol that object file B defines" (read with nm from the neptune
   build) has no cycle.
2. The core never includes a feature's header, and names no feature.
3. Each feature directory is registered by one line outside it (its
   subdir() in app/neptune/features/meson.build).

Usage: check_structure.py SOURCE_ROOT BUILD_ROOT
"""
import re
import subprocess
import sys
from pathlib import Path


def symbols(obj):
    out = subprocess.run(["nm", "--defined-only", str(obj)], check=True,
                         capture_output=True, text=True).stdout
    defined = {l.split()[-1] for l in out.splitlines()
               if len(l.split()) == 3 and l.split()[1] in "TDBRC"}
    out = subprocess.run(["nm", "--undefined-only", str(obj)], check=True,
                         capture_output=True, text=True).stdout
    used = {l.split()[-1] for l in out.splitlines() if l.strip()}
    return defined, used


def find_cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def main():
    src, build = Path(sys.argv[1]), Path(sys.argv[2])
    errors = []
    objdir = build / "app" / "neptune" / "neptune.p"
    objs = sorted(objdir.glob("*.o"))
    if len(objs) < 5:
        errors.append(f"no object files under {objdir}")
    defs, uses = {}, {}
    for o in objs:
        name = o.name[:-len(".c.o")]
        defs[name], uses[name] = symbols(o)
    owner = {}
    for n, d in defs.items():
        for s in d:
            owner[s] = n
    graph = {n: {owner[s] for s in uses[n] if s in owner and owner[s] != n}
             for n in defs}
    cycle = find_cycle(graph)
    if cycle:
        why = []
        for a, b in zip(cycle, cycle[1:]):
            syms = sorted(s for s in uses[a] if owner.get(s) == b)
            why.append(f"{a} -> {b} ({', '.join(syms[:3])})")
        errors.append("import cycle between app files: " + "; ".join(why))

    core = src / "app" / "neptune"
    features = sorted(p.name for p in (core / "features").iterdir()
                      if p.is_dir())
    inc = re.compile(r'#include\s+"([^"]+)"')
    fheaders = {h.name: f for f in features
                for h in (core / "features" / f).glob("*.h")}
    for f in sorted(core.glob("*.[ch]")):
        text = f.read_text()
        for h in inc.findall(text):
            if h in fheaders:
                errors.append(f"{f.relative_to(src)} includes {h} of "
                              f"feature {fheaders[h]}")
        for feat in features:
            if re.search(rf"\b{feat}\b", re.sub(r"/\*.*?\*/", "", text,
                                              flags=re.S)):
                errors.append(f"{f.relative_to(src)} names feature {feat}")
    reg = (core / "features" / "meson.build").read_text()
    for feat in features:
        n = len(re.findall(rf"subdir\('{feat}'\)", reg))
        if n != 1:
            errors.append(f"feature {feat}: {n} subdir() lines in "
                          "app/neptune/features/meson.build, expected 1")
        if not (core / "features" / feat / "meson.build").is_file():
            errors.append(f"feature {feat} has no meson.build")
    for e in errors:
        print("check_structure:", e)
    print(f"check_structure: {len(objs)} object files, {len(features)} "
          f"feature(s): {'FAIL' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
