"""kata's govmm (Debian's golang-github-kata-containers-govmm-dev, unmodified) on
fakeqemu must print what it prints on real QEMU 5.2, 7.2 and 10.0.

The driver (govmm/) launches "QEMU" with kata 1.x and 2.x command lines on pc
and q35 and calls every x86_64 govmm Execute*/Exec* method; its transcripts on
the real binaries are in expected/govmm/VERSION/ (clients.py record).
"""
import os

import pytest

import clients
from conftest import real_qemu_or_skip
from gaps import GOVMM_GAPS
from transcripts import mismatch


def cases():
    for version in clients.VERSIONS:
        for scenario in clients.GOVMM_SCENARIOS:
            marks = []
            gap = GOVMM_GAPS.get((version, scenario))
            if gap:
                marks.append(pytest.mark.xfail(strict=True, reason=gap))
            yield pytest.param(version, scenario, marks=marks, id=f"{version}-{scenario}")


def recorded(version, scenario):
    with open(clients.expected_path("govmm", version, scenario)) as f:
        return f.read()


@pytest.mark.parametrize("version,scenario", cases())
def test_fakeqemu_matches_real_qemu(govmm_client, fakeqemu_built, work_dir, version, scenario):
    """Same client output on fakeqemu (no guest OS, as the recording) as on real QEMU."""
    qemu = clients.fakeqemu_wrapper(version, work_dir, guest="absent")
    text = clients.run_govmm(govmm_client, qemu, scenario)
    problem = mismatch(recorded(version, scenario), text, f"real QEMU {version}",
                       f"fakeqemu -fake-version {version}")
    assert problem is None, problem


@pytest.mark.parametrize("version", clients.VERSIONS)
@pytest.mark.parametrize("scenario", clients.GOVMM_SCENARIOS)
def test_real_qemu_matches_recording(govmm_client, version, scenario):
    """The recording is current and deterministic: real QEMU still prints it."""
    qemu = real_qemu_or_skip(version)
    text = clients.run_govmm(govmm_client, qemu, scenario)
    problem = mismatch(recorded(version, scenario), text, "recording", f"real QEMU {version} now")
    assert problem is None, problem


def unplug_lines(text, device):
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(f"ExecuteDeviceDel({device})"))
    return lines[i:i + 3]


@pytest.mark.xfail(strict=True, reason=GOVMM_GAPS.get(("cooperative", "kata2-pc")) or "none",
                   condition=("cooperative", "kata2-pc") in GOVMM_GAPS)
def test_cooperative_guest_completes_the_unplug_real_qemu_never_does(govmm_client, fakeqemu_built,
                                                                    work_dir):
    """Real QEMU without a guest OS never sends DEVICE_DELETED for a PCI device, so
    govmm's ExecuteDeviceDel times out and blockdev-del finds the node in use;
    fakeqemu's cooperative guest acknowledges: the same calls then succeed."""
    real = recorded("7.2", "kata2-pc")
    assert unplug_lines(real, "virtio-blk0")[:2] == [
        "ExecuteDeviceDel(virtio-blk0): error: context deadline exceeded",
        "ExecuteBlockdevDel(drive-blk0, device unplug pending): error: QMP command failed: "
        "Node drive-blk0 is in use"]

    qemu = clients.fakeqemu_wrapper("7.2", work_dir, guest="cooperative")
    text = clients.run_govmm(govmm_client, qemu, "kata2-pc", unplug_timeout="10s")
    assert unplug_lines(text, "virtio-blk0") == [
        "ExecuteDeviceDel(virtio-blk0): ok",
        '  event DEVICE_DELETED {"device":"virtio-blk0","path":"/machine/peripheral/virtio-blk0"}',
        "ExecuteBlockdevDel(drive-blk0, device unplug pending): ok"]
    assert unplug_lines(text, "virtio-net1")[0] == "ExecuteDeviceDel(virtio-net1): ok"
