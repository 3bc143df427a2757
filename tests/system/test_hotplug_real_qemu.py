"""Hot-plug at QEMU level against real QEMU (no guest OS): what QEMU itself accepts and refuses."""
import glob
import json
import os
import subprocess

import pytest

from qdtest import QDCTL, WRAPPER, qemu_binary, short_tmpdir, without_wrapper_noise

KERNELS = sorted(glob.glob("/boot/vmlinuz-*"))
pytestmark = [
    pytest.mark.skipif(qemu_binary() is None, reason="no qemu-system-x86_64 (set QD_QEMU)"),
    pytest.mark.skipif(not KERNELS, reason="no kernel in /boot (install linux-image-amd64)"),
]


def kvm_usable():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


class Vm:
    """A VM driven step by step with `qdctl vm` on real QEMU."""

    def __init__(self, tmp_path, **members):
        self.tmp = tmp_path
        self.rundir = short_tmpdir()
        cfg = {"id": "hp", "kernel": KERNELS[-1], "vcpus": 1, "max_vcpus": 4,
               "memory_mb": 256, "bridges": 1, "accel": "kvm" if kvm_usable() else "tcg",
               # No initrd: the kernel panics and reboots; keep QEMU alive instead.
               "kernel_params": "panic=0"}
        cfg.update(members)
        self.cfg = tmp_path / "vm.json"
        self.cfg.write_text(json.dumps(cfg))

    def ops(self, *ops, timeout=5000):
        proc = subprocess.run([*WRAPPER, QDCTL, "vm", "-d", self.rundir, "-q", qemu_binary(),
                               "-t", str(timeout), "-k", str(self.cfg), *ops],
                              capture_output=True, text=True, timeout=300)
        results = [json.loads(line) for line in proc.stdout.splitlines()]
        return results, without_wrapper_noise(proc.stderr)

    def state(self):
        return json.load(open(os.path.join(self.rundir, "hp", "state.json")))

    def image(self, name):
        path = self.tmp / name
        path.write_bytes(b"\0" * 1048576)
        return str(path)

    def close(self):
        self.ops("attach", "stop")


@pytest.fixture
def vm(tmp_path):
    v = Vm(tmp_path)
    yield v
    v.close()


def test_vcpu_hotplug_and_refused_unplug(vm):
    res, _ = vm.ops("start", "add-vcpus", "2", "remove-vcpus", "1")
    assert res[0]["ok"], res
    assert res[1] == {"op": "add-vcpus", "ok": True, "added": 2}
    # Without a guest OS, ACPI CPU hotplug is in legacy mode: QEMU refuses the unplug.
    assert res[2]["ok"] is False and res[2]["removed"] == 0
    assert res[2]["error"]["class"] == "GenericError"
    assert res[2]["error"]["message"].startswith(
        "acpi: device unplug request for not supported device type: host-x86_64-cpu") or \
        res[2]["error"]["message"].startswith(
        "acpi: device unplug request for not supported device type: max-x86_64-cpu")
    assert [v["id"] for v in vm.state()["vcpus"]] == ["cpu-0", "cpu-1"]


def test_vcpu_add_is_clamped_to_max(vm):
    res, _ = vm.ops("start", "add-vcpus", "9")
    assert res[1] == {"op": "add-vcpus", "ok": True, "added": 3}


def test_virtio_blk_on_a_bridge_and_unplug_without_guest(vm):
    img = vm.image("d1.img")
    res, _ = vm.ops("start", "add-block", "d1", img, "remove-block", "d1", timeout=1000)
    assert res[1] == {"op": "add-block", "ok": True, "location": "02/01"}
    # QEMU only asks the (absent) guest to eject: the unplug is not confirmed.
    assert res[2]["ok"] is False and res[2]["error"]["name"] == "ETIMEDOUT"
    dev = vm.state()["devices"][0]
    assert dev["id"] == "d1" and dev["unplugging"] is True
    assert vm.state()["bridges"][0]["slots"] == {"1": "d1"}


def test_failed_device_add_rolls_back_the_node(vm, tmp_path):
    res, _ = vm.ops("start", "add-block", "d1", "/nonexistent.img")
    assert res[1]["ok"] is False
    assert res[1]["error"]["message"] == \
        "Could not open '/nonexistent.img': No such file or directory"
    img = vm.image("ok.img")
    res, _ = vm.ops("attach", "add-block", "d1", img)
    assert res[1]["ok"], res


def test_scsi_hd_plug_and_synchronous_unplug(tmp_path):
    v = Vm(tmp_path, block_driver="virtio-scsi")
    try:
        img = v.image("s1.img")
        res, _ = v.ops("start", "add-block", "s1", img, "257", "remove-block", "s1",
                       "add-block", "s1", img, "257")
        assert res[1] == {"op": "add-block", "ok": True, "location": "scsi0.0:1:1"}
        assert res[2] == {"op": "remove-block", "ok": True}
        assert res[3]["ok"], "the same id plugs again after a confirmed unplug"
    finally:
        v.close()


def test_vfio_error_is_qemus_own(vm):
    res, _ = vm.ops("start", "add-vfio", "gpu0", "0000:99:00.0")
    assert res[1]["ok"] is False
    assert res[1]["error"]["message"] == (
        "vfio 0000:99:00.0: no such host device: No such file or directory") or \
        "no such host device" in res[1]["error"]["message"]
    assert vm.state()["bridges"][0]["slots"] == {}
