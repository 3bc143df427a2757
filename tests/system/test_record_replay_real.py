"""Record against real QEMU 7.2, replay without it: the client cannot tell the difference.

Two clients: qdctl (`qdctl record` / `qdctl record --replay`, qemudrv's own operations)
and kata's govmm (the clients tier's driver, pointed at a wrapper that runs fakeqemu
as the recorder, then at one that replays). Each recording is made against the real
binary; each replay runs with no QEMU at all, and the client's output must be the same.
For govmm the recorded run must also match the transcript the clients tier recorded
straight from QEMU: the recorder itself changes nothing the client sees.
"""
import glob
import json
import os
import subprocess
import sys

import pytest

from qdtest import BUILD_DIR, run_qdctl, short_tmpdir

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "clients"))
import clients  # noqa: E402

FAKEQEMU = os.path.join(BUILD_DIR, "fakeqemu", "fakeqemu")


def real_7_2():
    path, why = clients.real_qemu("7.2")
    if path is None:
        pytest.skip(why)
    return path


def wrapper(directory, name, env):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + "".join(f"{k}='{v}' " for k, v in env.items()) +
                f"exec {FAKEQEMU} \"$@\"\n")
    os.chmod(path, 0o755)
    return path


def ops_of(proc):
    return [{k: v for k, v in json.loads(line).items() if k != "pid"}
            for line in proc.stdout.splitlines()]


def test_qdctl_session_recorded_on_qemu_7_2_replays_without_it(tmp_path):
    qemu = real_7_2()
    kernels = sorted(glob.glob("/boot/vmlinuz-*"))
    cfg = tmp_path / "vm.json"
    cfg.write_text(json.dumps({"id": "rr", "vcpus": 1, "max_vcpus": 4, "memory_mb": 256,
                               "bridges": 1, "accel": "tcg",
                               **({"kernel": kernels[-1], "kernel_params": "acpi=off panic=0"}
                                  if kernels else {})}))
    img = tmp_path / "d0.img"
    img.write_bytes(b"\0" * (1 << 20))
    rec = tmp_path / "qemu-7.2.rec"
    # remove-vcpus is refused without a guest (legacy ACPI): a QEMU error to reproduce.
    ops = ["start", "add-vcpus", "2", "add-block", "d0", str(img), "remove-vcpus", "1",
           "status", "stop"]
    recorded = run_qdctl("record", "-k", "-o", str(rec), "--qemu", qemu, "-d", short_tmpdir(),
                         "-t", "20000", str(cfg), *ops, timeout=120)
    assert recorded.returncode == 1, recorded.stderr  # the refused unplug
    text = rec.read_text()
    assert f"real {json.dumps(qemu)}" in text
    assert '"minor": 2, "major": 7}' in text
    assert "not supported device type" in text
    assert text.rstrip().endswith("exit 0")

    replayed = run_qdctl("record", "-k", "--replay", str(rec), "-d", short_tmpdir(),
                         "-t", "20000", str(cfg), *ops, timeout=120)
    assert replayed.returncode == recorded.returncode
    assert ops_of(replayed) == ops_of(recorded)
    assert ops_of(recorded)[3]["error"]["message"].startswith(
        "acpi: device unplug request for not supported device type")


@pytest.fixture(scope="module")
def govmm_client():
    why = clients.govmm_missing() or clients.netns_missing()
    if why:
        pytest.skip(why)
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        pytest.skip("kata's configurations use accel=kvm and /dev/kvm is not usable")
    return clients.build_govmm(os.path.join(BUILD_DIR, "clients-work", "record-replay"))


def test_govmm_session_recorded_on_qemu_7_2_replays_without_it(tmp_path, govmm_client):
    qemu = real_7_2()
    d = short_tmpdir()
    rec = os.path.join(d, "govmm-kata2-pc.rec")
    record = wrapper(d, "record-qemu", {"FAKEQEMU_RECORD": rec, "FAKEQEMU_REAL": qemu})
    replay = wrapper(d, "replay-qemu", {"FAKEQEMU_REPLAY": rec})

    recorded = clients.run_govmm(govmm_client, record, "kata2-pc")
    with open(rec) as f:
        text = f.read()
    assert "monitor m0 -qmp unix:" in text
    assert "fds=1" in text, "kata passes tap fds over QMP (getfd)"
    # kata's script ends where QEMU 7.2 aborts (a non-vhost fd in vhostfds): the
    # recording ends with that crash, and the replay must crash the same way.
    assert text.rstrip().endswith("killed ABRT")

    # The recorder is transparent: what govmm printed is what it prints on QEMU itself.
    expected = open(clients.expected_path("govmm", "7.2", "kata2-pc")).read()
    assert clients.differences(expected, recorded) == []

    replayed = clients.run_govmm(govmm_client, replay, "kata2-pc")
    assert clients.differences(recorded, replayed) == []
    assert replayed == recorded
