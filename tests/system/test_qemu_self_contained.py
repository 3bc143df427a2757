"""Each QEMU version ci/get-qemu.sh provides runs on its own files only.

A qualification run must never mix versions. QEMU loads modules (USB host,
virtio-gpu-gl, qxl, spice, the curl/iscsi/... block drivers, the GTK UI)
at run time from a search path that includes the *system* QEMU's module
directory; a version unpacked beside it used to pick the system 7.2's
modules there (5.2 refused them, 10.0 crashed). Here each version is started,
made to load every module it has (qom-list-types loads each QOM module;
blockdev-add of an http node loads block-curl), and its /proc/PID/maps must
show modules mapped from its own tree and no file of another QEMU tree;
its stderr must hold no module error.
"""
import os
import sys

import pytest

from fakeqemu_client import QmpConnection, QmpError
from qdtest import RealQemu

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "clients"))
import clients  # noqa: E402  (ci/get-qemu.sh behind one helper)
SYSTEM_MODDIR = "/usr/lib/x86_64-linux-gnu/qemu"
CACHE = os.environ.get("QEMUDRV_QEMU_CACHE", "/var/cache/qemudrv-qemu")


def real_qemu(version):
    path, why = clients.real_qemu(version)
    if path is None:
        pytest.skip(why)
    return path


def tree_of(pid):
    """The install root of the QEMU binary running as PID ("/" for the system's)."""
    exe = os.readlink(f"/proc/{pid}/exe")
    suffix = "/usr/bin/qemu-system-x86_64"
    assert exe.endswith(suffix), exe
    return exe[: -len(suffix)] or "/"


def mapped_files(pid):
    with open(f"/proc/{pid}/maps") as f:
        return sorted({line.split(None, 5)[5].strip() for line in f
                       if len(line.split(None, 5)) == 6 and line.split(None, 5)[5].startswith("/")})


def foreign(path, tree):
    """Whether PATH belongs to another QEMU than the one installed at TREE."""
    own = tree.rstrip("/") + "/"
    if path.startswith(CACHE + "/"):
        return not path.startswith(own)
    if path.startswith(SYSTEM_MODDIR + "/") or path.startswith("/usr/share/qemu/"):
        return tree != "/"
    return False


@pytest.mark.parametrize("version", ["5.2", "7.2", "10.0"])
def test_version_maps_only_its_own_modules(version):
    binary = real_qemu(version)
    qemu = RealQemu(binary=binary)
    try:
        conn = QmpConnection(qemu.path)
        conn.read_greeting(timeout=30)
        conn.negotiate(timeout=30)
        tree = tree_of(qemu.proc.pid)
        own_moddir = (tree.rstrip("/") + SYSTEM_MODDIR)
        modules = sorted(f for f in os.listdir(own_moddir) if f.endswith(".so")) \
            if os.path.isdir(own_moddir) else []
        assert modules, f"QEMU {version} at {tree} has no modules of its own in {own_moddir}"

        types = {t["name"] for t in conn.execute("qom-list-types", timeout=30)}
        # usb-host is a module from 6.x on (built in before): either way it
        # must answer, from this version's own code.
        assert "usb-host" in types
        conn.execute("device-list-properties", {"typename": "usb-host"}, timeout=30)
        if "block-curl.so" in modules:
            with pytest.raises(QmpError):
                conn.execute("blockdev-add", {"driver": "http", "node-name": "probe",
                                              "url": "http://127.0.0.1:1/none"}, timeout=30)

        maps = mapped_files(qemu.proc.pid)
        others = [p for p in maps if foreign(p, tree)]
        assert not others, f"QEMU {version} mapped files of another QEMU: {others}"
        loaded = [p for p in maps if p.startswith(own_moddir + "/")]
        assert loaded, f"QEMU {version} loaded none of its modules {modules}; maps: {maps}"
        conn.execute("quit", timeout=30)
        conn.wait_closed(timeout=30)
        qemu.wait(timeout=30)
        with open(qemu.log_path) as f:
            log = f.read()
    finally:
        qemu.close()
    assert "module" not in log.lower(), f"QEMU {version} complained about modules:\n{log}"
