"""kata's govmm (Debian's golang-github-kata-containers-govmm-dev, unmodified) on
fakeqemu must print what it prints on real QEMU 5.2, 7.2 and 10.0.

The driver (govmm/) launches "QEMU" with kata 1.x and 2.x command lines on pc
and q35 and calls every x86_64 govmm Execute*/Exec* method; its transcripts on
the real binaries are in expected/govmm/VERSION/ (clients.py record).
"""

import pytest

import clients
from conftest import real_qemu_or_skip
from gaps import GOVMM_GAPS
from qdtest import live_recheck_skipped
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
    why = live_recheck_skipped(version)
    if why:
        pytest.skip(why)
    qemu = real_qemu_or_skip(version)
    text = clients.run_govmm(govmm_client, qemu, scenario)
    problem = mismatch(recorded(version, scenario), text, "recording", f"real QEMU {version} now")
    assert problem is None, problem


def unplug_lines(text, device, n):
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(f"ExecuteDeviceDel({device})"))
    return lines[i:i + n]


def deleted(device):
    """The events of a completed virtio-blk-pci unplug: its backend, then itself."""
    return [f'  event DEVICE_DELETED {{"path":"/machine/peripheral/{device}/virtio-backend"}}',
            f'  event DEVICE_DELETED {{"device":"{device}","path":"/machine/peripheral/{device}"}}']


@pytest.mark.xfail(strict=True, reason=GOVMM_GAPS.get(("cooperative", "kata2-pc")) or "none",
                   condition=("cooperative", "kata2-pc") in GOVMM_GAPS)
def test_cooperative_guest_completes_the_unplug_real_qemu_never_does(govmm_client, fakeqemu_built,
                                                                    work_dir):
    """Real QEMU without a guest OS never sends DEVICE_DELETED for an ACPI
    hot-plugged PCI device, so govmm's ExecuteDeviceDel times out and
    blockdev-del finds the node in use; fakeqemu's cooperative guest
    acknowledges, and QEMU's events of a completed unplug follow (as real 5.2
    sends them when an SHPC bridge completes one without a guest)."""
    real = recorded("7.2", "kata2-pc")
    assert unplug_lines(real, "virtio-blk0", 2) == [
        "ExecuteDeviceDel(virtio-blk0): error: context deadline exceeded",
        "ExecuteBlockdevDel(drive-blk0, device unplug pending): error: QMP command failed: "
        "Node drive-blk0 is in use"]
    assert unplug_lines(recorded("5.2", "kata1-q35"), "virtio-blk1", 3)[1:] == deleted("virtio-blk1")

    qemu = clients.fakeqemu_wrapper("7.2", work_dir, guest="cooperative")
    text = clients.run_govmm(govmm_client, qemu, "kata2-pc", unplug_timeout="10s")
    assert unplug_lines(text, "virtio-blk0", 4) == [
        "ExecuteDeviceDel(virtio-blk0): ok", *deleted("virtio-blk0"),
        "ExecuteBlockdevDel(drive-blk0, device unplug pending): ok"], text
    assert unplug_lines(text, "virtio-net1", 1) == ["ExecuteDeviceDel(virtio-net1): ok"], text
