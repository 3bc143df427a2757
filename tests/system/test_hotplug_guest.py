"""Hot-plug through qemudrv on real QEMU with a booted Linux guest (TCG): the guest sees it.

The guest is the Debian kernel with a busybox initramfs built at test time
(tests/system/guest/make-initramfs.sh). It talks on qemudrv's own virtio
console (hvc0, the VM's console.sock) and prints a marker line for every CPU
and disk that appears or goes.
"""
import glob
import json
import os
import socket
import subprocess
import time

import pytest

from qdtest import QDCTL, WRAPPER, qemu_binary, short_tmpdir, without_wrapper_noise

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
pytestmark = [
    pytest.mark.skipif(qemu_binary() is None, reason="no qemu-system-x86_64 (set QD_QEMU)"),
    pytest.mark.skipif(not glob.glob("/boot/vmlinuz-*"),
                       reason="no kernel in /boot (install linux-image-amd64)"),
    pytest.mark.skipif(not os.path.exists("/bin/busybox"),
                       reason="no busybox (install busybox-static)"),
]

BOOT_DEADLINE = 120.0
STEP_DEADLINE = 30.0


@pytest.fixture(scope="module")
def guest_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("guest")
    proc = subprocess.run([os.path.join(ROOT, "tests", "system", "guest", "make-initramfs.sh"),
                           str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    kernel, initrd = proc.stdout.split()[:2]
    return kernel, initrd


class Console:
    """The guest's virtio console: lines in, shell commands out, waits with deadlines."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.lines = []

    def send(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def wait_for(self, marker, deadline):
        end = time.monotonic() + deadline
        while True:
            for i, line in enumerate(self.lines):
                if marker in line:
                    del self.lines[:i + 1]
                    return line
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no '{marker}' from the guest in {deadline} s; "
                                     f"it said: {self.lines[-10:]}")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise AssertionError(f"console closed waiting for '{marker}'")
            self.buf += data
            *done, self.buf = self.buf.split(b"\n")
            self.lines += [d.decode("utf-8", "replace").strip("\r") for d in done]

    def close(self):
        self.sock.close()


class GuestVm:
    def __init__(self, tmp_path, kernel, initrd):
        self.tmp = tmp_path
        self.rundir = short_tmpdir()
        self.cfg = tmp_path / "vm.json"
        self.cfg.write_text(json.dumps({
            "id": "g", "accel": "tcg", "kernel": kernel, "initrd": initrd, "vcpus": 1,
            "max_vcpus": 4, "memory_mb": 512, "bridges": 1,
            # hvc0 is a module: the guest switches to it once loaded (qd.console).
            "kernel_params": "console=hvc0 qd.console=hvc0"}))

    def ops(self, *ops, timeout=20000):
        proc = subprocess.run([*WRAPPER, QDCTL, "vm", "-d", self.rundir, "-q", qemu_binary(),
                               "-t", str(timeout), str(self.cfg), *ops],
                              capture_output=True, text=True, timeout=300)
        res = [json.loads(line) for line in proc.stdout.splitlines()]
        assert proc.returncode == 0, (res, without_wrapper_noise(proc.stderr))
        return res

    def console(self):
        return Console(os.path.join(self.rundir, "g", "console.sock"))


def test_guest_sees_hotplugged_cpus_and_disks(tmp_path, guest_files):
    vm = GuestVm(tmp_path, *guest_files)
    vm.ops("start")
    con = vm.console()
    try:
        # Buffered by QEMU until the guest's shell reads it: no race with the boot.
        con.send("echo QD-ALIVE")
        con.wait_for("QD-ALIVE", BOOT_DEADLINE)

        res = vm.ops("attach", "add-vcpus", "1")
        assert res[1] == {"op": "add-vcpus", "ok": True, "added": 1}
        con.wait_for("QD-CPU-ONLINE 1", STEP_DEADLINE)

        img = tmp_path / "disk1.img"
        img.write_bytes(b"\0" * (8 << 20))
        res = vm.ops("attach", "add-block", "disk1", str(img))
        assert res[1] == {"op": "add-block", "ok": True, "location": "02/01"}
        disk = con.wait_for("QD-BLOCK-ADD", STEP_DEADLINE).split()[-1]
        assert disk.startswith("vd")

        # The guest ejects it: DEVICE_DELETED confirms the unplug.
        res = vm.ops("attach", "remove-block", "disk1")
        assert res[1] == {"op": "remove-block", "ok": True}
        con.wait_for(f"QD-BLOCK-DEL {disk}", STEP_DEADLINE)
        state = json.load(open(os.path.join(vm.rundir, "g", "state.json")))
        assert state["devices"] == [] and state["bridges"][0]["slots"] == {}

        # CPU unplug: confirmed through the lapic's DEVICE_DELETED and query-cpus-fast.
        res = vm.ops("attach", "remove-vcpus", "1")
        assert res[1] == {"op": "remove-vcpus", "ok": True, "removed": 1}
        con.wait_for("QD-CPU-DEL 1", STEP_DEADLINE)
        state = json.load(open(os.path.join(vm.rundir, "g", "state.json")))
        assert state["vcpus"] == []
    finally:
        con.close()
        vm.ops("attach", "stop")
