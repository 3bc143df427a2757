"""The VM life cycle through `qdctl run` on fakeqemu: launch, QMP ready, pause, resume, stop,
state kept across processes, and every way a start can fail."""
import json
import os
import stat
import subprocess

import pytest

from fakeqemu_client import QmpConnection
from qdtest import QDCTL, WRAPPER, short_tmpdir, without_wrapper_noise


def write_config(tmp_path, **members):
    cfg = {"id": "vm1", "accel": "tcg", "max_vcpus": 4, "memory_mb": 256}
    cfg.update(members)
    path = tmp_path / "vm.json"
    path.write_text(json.dumps(cfg))
    return str(path)


def qdctl_run(rundir, *args, check=None, env=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEQEMU_")}
    full_env.update(env or {})
    proc = subprocess.run([*WRAPPER, QDCTL, "run", "-d", rundir, *args],
                          capture_output=True, text=True, timeout=120, env=full_env)
    proc.stderr = without_wrapper_noise(proc.stderr)
    if check is not None:
        assert proc.returncode == check, proc.stdout + proc.stderr
    return proc


def no_process_with(text):
    out = subprocess.run(["pgrep", "-f", text], capture_output=True, text=True).stdout
    return out.strip() == ""


def test_default_life_cycle():
    rundir = short_tmpdir()
    proc = qdctl_run(rundir, check=0)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"VM qdctl-demo: directory {rundir}/qdctl-demo, uuid ")
    uuid = lines[0].rsplit(" ", 1)[1]
    assert f"-uuid {uuid}" in lines[1]
    assert lines[2].startswith("started: pid ") and "QMP ready after" in lines[2]
    assert lines[3:] == ["status: running", "paused: paused", "resumed: running", "stopped"]
    vmdir = os.path.join(rundir, "qdctl-demo")
    assert stat.S_IMODE(os.stat(vmdir).st_mode) == 0o700
    state = json.load(open(os.path.join(vmdir, "state.json")))
    assert state["version"] == 1 and state["uuid"] == uuid
    assert [b["id"] for b in state["bridges"]] == ["pci-bridge-0", "pci-bridge-1"]
    # The QMP and console sockets are gone with QEMU; the log stays.
    assert sorted(os.listdir(vmdir)) == ["qemu.log", "state.json"]


def test_state_survives_the_calling_process(tmp_path):
    rundir = short_tmpdir()
    cfg = write_config(tmp_path)
    first = qdctl_run(rundir, cfg, check=0).stdout.splitlines()[0]
    second = qdctl_run(rundir, cfg, check=0).stdout.splitlines()[0]
    assert first == second  # same directory, same UUID


def test_corrupt_state_is_an_error_and_left_alone(tmp_path):
    rundir = short_tmpdir()
    cfg = write_config(tmp_path)
    qdctl_run(rundir, cfg, check=0)
    state = os.path.join(rundir, "vm1", "state.json")
    with open(state, "w") as f:
        f.write('{"version": 1, "uuid": ')
    proc = qdctl_run(rundir, cfg, check=3)
    assert proc.stderr == (f"qdctl: cannot create the VM: state file {state} is corrupt "
                           "(not complete JSON); it was left as it is\n")
    assert open(state).read() == '{"version": 1, "uuid": '


def test_state_of_an_unknown_version(tmp_path):
    rundir = short_tmpdir()
    cfg = write_config(tmp_path)
    os.makedirs(os.path.join(rundir, "vm1"), mode=0o700)
    state = os.path.join(rundir, "vm1", "state.json")
    open(state, "w").write('{"version": 9, "uuid": "x"}')
    proc = qdctl_run(rundir, cfg, check=3)
    assert ("state: version 9 is not supported (this qemudrv reads version 1); "
            "it was left as it is") in proc.stderr


def test_crash_while_waiting_for_qmp(tmp_path):
    faults = tmp_path / "faults.json"
    faults.write_text('[{"command": "qmp_capabilities", "action": "crash"}]')
    proc = qdctl_run(short_tmpdir(), write_config(tmp_path), check=3,
                     env={"FAKEQEMU_FAULTS": str(faults)})
    assert "qdctl: start: QEMU was killed by signal 6 (Aborted) before QMP was ready" in \
        proc.stderr


def test_qemu_refuses_its_command_line(tmp_path):
    cfg = write_config(tmp_path, devices=[{"kind": "vfio", "id": "gpu0", "bdf": "01:00.0"}])
    proc = qdctl_run(short_tmpdir(), cfg, check=3)
    assert proc.stderr == (
        "qdctl: start: QEMU exited with status 1 before QMP was ready: fakeqemu: -device "
        "vfio-pci,id=gpu0,host=01:00.0: vfio /sys/bus/pci/devices/0000:01:00.0: no such host "
        "device: No such file or directory\n")


def test_hang_while_waiting_for_qmp_hits_the_deadline(tmp_path):
    faults = tmp_path / "faults.json"
    faults.write_text('[{"command": "qmp_capabilities", "action": "hang"}]')
    rundir = short_tmpdir()
    proc = qdctl_run(rundir, "-t", "300", write_config(tmp_path), check=3,
                     env={"FAKEQEMU_FAULTS": str(faults)})
    assert "qdctl: start: QMP command 'qmp_capabilities' got no reply within" in proc.stderr
    uuid = proc.stdout.splitlines()[0].rsplit(" ", 1)[1]
    assert no_process_with(uuid), "the hung QEMU was killed"


def test_missing_qemu_binary(tmp_path):
    proc = qdctl_run(short_tmpdir(), "--qemu", "/nonexistent/qemu", write_config(tmp_path),
                     check=3)
    assert "QEMU binary /nonexistent/qemu: No such file or directory" in proc.stderr


def test_socket_path_too_long(tmp_path):
    rundir = short_tmpdir() + "/" + "d" * 90
    proc = qdctl_run(rundir, write_config(tmp_path), check=3)
    assert "cannot be shortened enough" in proc.stderr


def test_long_run_dir_shortens_the_socket_name(tmp_path):
    rundir = short_tmpdir() + "/" + "d" * 55
    qdctl_run(rundir, "--keep", write_config(tmp_path), check=0)
    vmdir = os.path.join(rundir, "vm1")
    socks = [f for f in os.listdir(vmdir) if f.startswith("qmp-")]
    assert len(socks) == 1
    path = os.path.join(vmdir, socks[0])
    assert len(path) == 107, "shortened to exactly the unix socket limit"
    c = QmpConnection(path)
    c.read_greeting()
    c.negotiate()
    c.send("quit")
    c.wait_closed()


def test_bad_configuration(tmp_path):
    proc = qdctl_run(short_tmpdir(), write_config(tmp_path, vcpu=2), check=2)
    assert proc.stderr == "qdctl: bad configuration: config: unknown member 'vcpu'\n"
    proc = qdctl_run(short_tmpdir(), write_config(tmp_path, vcpus=8), check=3)
    assert "vcpus (8) is more than max_vcpus (4)" in proc.stderr


def test_comma_in_a_file_name_cannot_inject_an_option(tmp_path):
    img = tmp_path / "disk,format=qcow2,readonly=on.img"
    img.write_bytes(b"\0" * 65536)
    cfg = write_config(tmp_path, devices=[{"kind": "drive", "id": "d0", "path": str(img)}])
    rundir = short_tmpdir()
    qdctl_run(rundir, "--keep", cfg, check=0)
    vmdir = os.path.join(rundir, "vm1")
    sock = [os.path.join(vmdir, f) for f in os.listdir(vmdir) if f.startswith("qmp-")][0]
    c = QmpConnection(sock)
    c.read_greeting()
    c.negotiate()
    state = c.execute("x-fakeqemu-state")
    nodes = {n["node-name"]: n for n in state["block-nodes"]}
    # -blockdev: the format node is drive-d0 (as a hot-plugged disk's), over QEMU's file node.
    fmt = nodes["drive-d0"]
    assert fmt["driver"] == "raw" and fmt["read-only"] is False and fmt["device"] == "d0"
    assert nodes[fmt["file"]]["driver"] == "file"
    assert nodes[fmt["file"]]["filename"] == str(img)
    c.send("quit")
    c.wait_closed()


@pytest.mark.parametrize("mode", [{"qmp_path_mode": True}, {"daemonize": True},
                                  {"machine": "q35"}])
def test_other_launch_modes(tmp_path, mode):
    proc = qdctl_run(short_tmpdir(), write_config(tmp_path, **mode), check=0)
    assert proc.stdout.splitlines()[-1] == "stopped"
    if mode.get("qmp_path_mode"):
        assert "-qmp unix:" in proc.stdout
    if mode.get("daemonize"):
        assert "-daemonize -pidfile" in proc.stdout


def test_stop_of_an_already_dead_qemu_is_quiet(tmp_path):
    # exit fault on stop: QEMU dies when asked to pause; stop then succeeds quietly.
    faults = tmp_path / "faults.json"
    faults.write_text('[{"command": "stop", "action": "exit", "code": 0}]')
    proc = qdctl_run(short_tmpdir(), write_config(tmp_path), check=3,
                     env={"FAKEQEMU_FAULTS": str(faults)})
    assert "qdctl: pause: QMP connection closed by QEMU" in proc.stderr
    assert proc.stdout.splitlines()[-1] == "stopped"
