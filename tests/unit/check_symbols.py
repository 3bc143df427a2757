#!/usr/bin/env python3
"""check_symbols.py - the exported ABI matches the version script and the header.

usage: check_symbols.py LIBQEMUDRV.so libqemudrv.map qemudrv.h
Every symbol in the map is declared QD_PUBLIC in the header, every QD_PUBLIC
function is in the map, and the shared library exports exactly those.
"""
import re
import subprocess
import sys

so, mapfile, header = sys.argv[1:4]
mapped = set(re.findall(r"^\s*(qd_\w+);", open(mapfile).read(), re.M))
declared = set(re.findall(r"QD_PUBLIC\s[^;{]*?\b(qd_\w+)\s*\(", open(header).read(), re.S))
out = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True, text=True,
                     check=True).stdout
exported = {line.split()[-1].split("@")[0] for line in out.splitlines()
            if line.split()[-2] in ("T", "W")}
ok = True
for name, got in (("in the map but not declared", mapped - declared),
                  ("declared but not in the map", declared - mapped),
                  ("exported but not in the map", exported - mapped),
                  ("in the map but not exported", mapped - exported)):
    if got:
        print(f"FAIL: {name}: {sorted(got)}")
        ok = False
print(f"{len(mapped)} symbols checked")
sys.exit(0 if ok else 1)
