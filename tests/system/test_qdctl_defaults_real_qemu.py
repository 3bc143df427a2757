"""What README.md promises works on real QEMU as written: `qdctl run --qemu
/usr/bin/qemu-system-x86_64` with its built-in default configuration (the Debian kernel
from /boot), and the library's hardening (one QEMU per VM, destroy) on real QEMU."""
import glob
import json
import os
import subprocess

import pytest

from qdtest import QDCTL, WRAPPER, qemu_binary, short_tmpdir, without_wrapper_noise

KERNELS = sorted(glob.glob("/boot/vmlinuz-*"))
pytestmark = pytest.mark.skipif(qemu_binary() is None,
                                reason="no qemu-system-x86_64 (set QD_QEMU)")


def qdctl(*args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([*WRAPPER, QDCTL, *args], capture_output=True, text=True,
                          timeout=180, env=full_env)
    proc.stderr = without_wrapper_noise(proc.stderr)
    return proc


@pytest.mark.skipif(not KERNELS, reason="no kernel in /boot (ci/deps.sh installs "
                                        "linux-image-amd64)")
def test_qdctl_run_builtin_default_on_real_qemu():
    # Exactly the documented command; only the default run directory is made private to
    # the test ($XDG_RUNTIME_DIR/qemudrv is the default's first choice).
    runtime = short_tmpdir()
    proc = qdctl("run", "--qemu", qemu_binary(), env={"XDG_RUNTIME_DIR": runtime})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"VM qdctl-demo: directory {runtime}/qemudrv/qdctl-demo, uuid ")
    assert f" -kernel {sorted(KERNELS)[-1]} " in lines[1] or " -kernel " in lines[1]
    assert lines[2].startswith("started: pid ") and "QEMU " in lines[2]
    assert lines[3:] == ["status: running", "paused: paused", "resumed: running", "stopped"]


def test_one_qemu_per_vm_on_real_qemu(tmp_path):
    # A second process's start is refused while the first one's QEMU runs; a third
    # process's stop (no attach) stops it; destroy leaves no directory behind.
    rundir = short_tmpdir()
    cfg = tmp_path / "vm.json"
    members = {"id": "one", "accel": "tcg", "max_vcpus": 2, "memory_mb": 128}
    if KERNELS:
        members.update(kernel=KERNELS[-1], kernel_params="panic=0")
    cfg.write_text(json.dumps(members))
    qemu = qemu_binary()
    first = qdctl("vm", "-q", qemu, "-d", rundir, "-t", "30000", str(cfg), "start")
    assert first.returncode == 0, first.stderr
    pid = json.loads(first.stdout)["pid"]
    try:
        check_one_qemu(qemu, rundir, cfg, pid)
    finally:
        # Whatever failed, no QEMU of this VM outlives the test.
        uuid = json.load(open(os.path.join(rundir, "one", "state.json")))["uuid"] \
            if os.path.exists(os.path.join(rundir, "one", "state.json")) else None
        for entry in os.listdir("/proc"):
            try:
                args = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if uuid and b"-uuid" in args and uuid.encode() in args:
                os.kill(int(entry), 9)


def check_one_qemu(qemu, rundir, cfg, pid):
    second = qdctl("vm", "-q", qemu, "-d", rundir, "-t", "30000", str(cfg), "start")
    err = json.loads(second.stdout)["error"]
    assert err["name"] == "EALREADY" and f"QEMU pid {pid}" in err["message"]
    third = qdctl("vm", "-q", qemu, "-d", rundir, "-t", "30000", str(cfg), "status", "stop")
    assert [json.loads(line) for line in third.stdout.splitlines()] == [
        {"op": "status", "ok": True, "status": "running"}, {"op": "stop", "ok": True}], third
    assert not os.path.exists(f"/proc/{pid}/cmdline") or \
        open(f"/proc/{pid}/cmdline", "rb").read() == b""
    gone = qdctl("vm", "-q", qemu, "-d", rundir, str(cfg), "destroy")
    assert json.loads(gone.stdout) == {"op": "destroy", "ok": True}, gone
    assert os.listdir(rundir) == []
