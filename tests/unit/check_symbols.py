#!/usr/bin/env python3
"""check_symbols.py - the exported ABI matches the version script and the header.

usage: check_symbols.py LIBQEMUDRV.so libqemudrv.map qemudrv.h
Every symbol in the map is declared QD_PUBLIC in the header, every QD_PUBLIC
function is in the map, and the shared library exports exactly those, each at
the version of the map node that lists it. A released node never changes:
QEMUDRV_0.1 must hold exactly the symbols it was released with, so a new
function goes into a new node (as qd_vm_destroy went into QEMUDRV_0.2).
"""
import re
import subprocess
import sys

# The ABI as released; appending to a released node would break binaries linked
# against a later library that run on an earlier one without a clear error.
RELEASED = {
    "QEMUDRV_0.1": {
        "qd_error_clear", "qd_qmp_open_fd", "qd_qmp_open_path", "qd_qmp_handshake",
        "qd_qmp_connect", "qd_qmp_free", "qd_qmp_get_version", "qd_qmp_has_capability",
        "qd_qmp_capabilities", "qd_qmp_execute", "qd_qmp_watch_new", "qd_qmp_watch_wait",
        "qd_qmp_watch_free", "qd_qmp_wait_event", "qd_qmp_next_event",
        "qd_qmp_event_timestamp_us", "qd_qmp_broken", "qd_vm_new", "qd_vm_argv",
        "qd_argv_free", "qd_vm_start", "qd_vm_pause", "qd_vm_resume", "qd_vm_status",
        "qd_vm_stop", "qd_vm_qmp", "qd_vm_pid", "qd_vm_uuid", "qd_vm_dir",
        "qd_vm_console_path", "qd_vm_set_log", "qd_vm_free", "qd_vm_config_from_json",
        "qd_vm_config_clear", "qd_host_is_nested", "qd_vm_capabilities", "qd_vm_add_vcpus",
        "qd_vm_remove_vcpus", "qd_vm_add_block", "qd_vm_remove_block", "qd_vm_add_vfio",
        "qd_vm_remove_vfio", "qd_vm_attach", "qd_vm_reconcile",
    },
}

so, mapfile, header = sys.argv[1:4]
map_text = re.sub(r"/\*.*?\*/", "", open(mapfile).read(), flags=re.S)
nodes = {}
for node, body in re.findall(r"(QEMUDRV_[\d.]+)\s*\{(.*?)\}", map_text, re.S):
    nodes[node] = set(re.findall(r"^\s*(qd_\w+);", body, re.M))
version_of = {sym: node for node, syms in nodes.items() for sym in syms}
mapped = set(version_of)
declared = set(re.findall(r"QD_PUBLIC\s[^;{]*?\b(qd_\w+)\s*\(", open(header).read(), re.S))
out = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True, text=True,
                     check=True).stdout
exported = {}
for line in out.splitlines():
    fields = line.split()
    if len(fields) >= 3 and fields[-2] in ("T", "W"):
        name, _, version = fields[-1].partition("@")
        exported[name] = version.lstrip("@")
ok = True
for name, got in (("in the map but not declared", mapped - declared),
                  ("declared but not in the map", declared - mapped),
                  ("exported but not in the map", set(exported) - mapped),
                  ("in the map but not exported", mapped - set(exported))):
    if got:
        print(f"FAIL: {name}: {sorted(got)}")
        ok = False
for sym in sorted(mapped & set(exported)):
    if exported[sym] != version_of[sym]:
        print(f"FAIL: {sym} is exported as {exported[sym] or '(no version)'}, "
              f"the map puts it in {version_of[sym]}")
        ok = False
for node, syms in RELEASED.items():
    if nodes.get(node) != syms:
        added = sorted(nodes.get(node, set()) - syms)
        removed = sorted(syms - nodes.get(node, set()))
        print(f"FAIL: released node {node} changed: added {added}, removed {removed} "
              "(new symbols go into a new version node)")
        ok = False
print(f"{len(mapped)} symbols checked in {len(nodes)} version nodes")
sys.exit(0 if ok else 1)
