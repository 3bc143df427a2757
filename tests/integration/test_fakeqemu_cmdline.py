"""fakeqemu's command line against what each real QEMU has: every option recorded in
fakeqemu-data/VERSION/options.txt is known (and takes an argument when QEMU's does),
every option another version has and this one lacks is "invalid option"."""
import os
import re
import subprocess

import pytest

from fakeqemu_client import FAKEQEMU

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
VERSIONS = ["5.2", "7.2", "10.0"]


def recorded(version):
    out = {}
    with open(os.path.join(ROOT, "fakeqemu-data", version, "options.txt")) as f:
        for line in f:
            parts = line.split()
            if parts:
                out[parts[0].lstrip("-")] = len(parts) > 1
    return out


def classify(version, name):
    """What fakeqemu says of "-NAME" alone after -machine bogus (as record_options.py asks)."""
    p = subprocess.run([FAKEQEMU, "-machine", "bogus", "-nodefaults", "-display", "none",
                        "-" + name], capture_output=True, text=True, timeout=20,
                       env=dict(os.environ, FAKEQEMU_VERSION=version), stdin=subprocess.DEVNULL)
    if f": -{name}: invalid option" in p.stderr:
        return None
    return f": -{name}: requires an argument" in p.stderr


@pytest.mark.parametrize("version", VERSIONS)
def test_the_options_of_each_version(version):
    own = recorded(version)
    others = set()
    for v in VERSIONS:
        others |= set(recorded(v))
    wrong = {}
    for name in sorted(others):
        want = own.get(name) if name in own else None
        got = classify(version, name)
        if got != want:
            wrong[name] = (want, got)
    assert wrong == {}, "(expected, fakeqemu): None = invalid option, True = takes an argument"


def libvirt_json_argv(tmp):
    """libvirt 9.0's JSON forms (domxml-to-native on 7.2), TCG, its own monitor socket."""
    key = os.path.join(tmp, "master-key.aes")
    disk = os.path.join(tmp, "disk0.img")
    with open(key, "wb") as f:
        f.write(b"k" * 32)
    with open(disk, "wb") as f:
        f.truncate(1 << 20)
    return [
        "-name", "guest=clients-pc,debug-threads=on", "-S",
        "-object", '{"qom-type":"secret","id":"masterKey0","format":"raw","file":"%s"}' % key,
        "-machine", "pc,usb=off,dump-guest-core=off,memory-backend=pc.ram", "-accel", "tcg",
        "-m", "128",
        "-object", '{"qom-type":"memory-backend-ram","id":"pc.ram","size":134217728}',
        "-overcommit", "mem-lock=off", "-display", "none", "-no-user-config", "-nodefaults",
        "-rtc", "base=utc", "-no-shutdown", "-boot", "strict=on",
        "-blockdev", '{"driver":"file","filename":"%s","node-name":"libvirt-1-storage",'
                     '"auto-read-only":true,"discard":"unmap"}' % disk,
        "-blockdev", '{"node-name":"libvirt-1-format","read-only":false,"driver":"raw",'
                     '"file":"libvirt-1-storage"}',
        "-audiodev", '{"id":"audio1","driver":"none"}',
        "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
        "-msg", "timestamp=on"]


@pytest.mark.parametrize("version", ["7.2", "10.0"])
def test_libvirt_json_forms_start(launch, tmp_path, version):
    fq = launch(machine=None, args=libvirt_json_argv(str(tmp_path)) + ["-fake-version", version])
    c = fq.connect()
    assert [m["id"] for m in c.execute("query-memdev")] == ["pc.ram"]
    assert c.execute("query-memdev")[0]["dump"] is False  # -machine dump-guest-core=off
    nodes = {n["node-name"] for n in c.execute("query-named-block-nodes")}
    assert nodes == {"libvirt-1-storage", "libvirt-1-format"}
    err = c.command("object-del", {"id": "pc.ram"})["error"]
    assert err["desc"] == "object 'pc.ram' is in use, can not be deleted"
    assert c.execute("object-del", {"id": "masterKey0"}) == {}


def test_json_object_is_not_5_2s(tmp_path):
    """5.2 takes -object as QemuOpts text only (real 5.2 says so of libvirt's JSON)."""
    p = subprocess.run([FAKEQEMU] + libvirt_json_argv(str(tmp_path)), capture_output=True,
                       text=True, timeout=20, env=dict(os.environ, FAKEQEMU_VERSION="5.2"),
                       stdin=subprocess.DEVNULL)
    key = os.path.join(str(tmp_path), "master-key.aes")
    assert p.returncode == 1
    # -msg timestamp=on: "2026-12-01T09:28:49.323840Z " first, as real 5.2 printed it.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z " + re.escape(
        'fakeqemu: -object {"qom-type":"secret","id":"masterKey0","format":"raw",'
        '"file":"%s"}: Parameter \'id\' is missing\n' % key), p.stderr)
