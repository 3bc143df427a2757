"""The library under hostile and multi-process use, through `qdctl vm` and `qdctl run` on
fakeqemu: never two QEMUs for one VM, a live QEMU's socket never removed, run directories
another user could control refused, names and values that cannot become QEMU options, a
changed configuration said out loud, and crashes that lose nothing."""
import errno
import json
import os
import select
import signal
import stat
import subprocess
import time

import pytest

from fakeqemu_client import QmpConnection
from hotplug_helpers import (WAIT_S, HotplugVm, assert_consistent, device_record, error_of,
                             hotplugged_cpu_ids)
from qdtest import QDCTL, WRAPPER, short_tmpdir, without_wrapper_noise


@pytest.fixture
def make_vm():
    vms = []

    def make(start=True, env=None, **config):
        vm = HotplugVm(env=env, **config)
        vms.append(vm)
        if start:
            vm.start()
            vm.uuid_at_start = vm.state()["uuid"]
        return vm

    yield make
    for vm in vms:
        vm.close()


def wait_gone(pid, timeout=WAIT_S):
    """Wait (pidfd) until process @pid has exited; False if it still runs at the deadline."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def qemus_of(vm):
    """Pids of the processes whose command line carries the VM's -uuid."""
    return qemus_of_uuid(vm.state()["uuid"])


def qemus_of_uuid(uuid):
    uuid = uuid.encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if b"-uuid" in args and args[args.index(b"-uuid") + 1:][:1] == [uuid]:
            found.append(int(entry))
    return found


# ---- one QEMU per VM, across processes (items 1 and 2) -----------------------------------

def test_stop_from_another_process_adopts_the_running_qemu(make_vm):
    vm = make_vm()
    [pid] = vm.pids
    vm.op("add-vcpus", "1")
    res = vm.run("stop")  # a new process, no attach
    assert res.ops == [{"op": "stop", "ok": True}], res
    assert wait_gone(pid), "stop without attach stopped the VM's QEMU"
    assert qemus_of(vm) == []
    st = vm.state()
    assert st["qemu-pid"] == 0 and st["vcpus"] == [] and st["devices"] == []


def test_operations_from_another_process_adopt_it_implicitly(make_vm):
    vm = make_vm()
    res = vm.run("status", "add-vcpus", "1")  # no attach
    assert res.ops == [{"op": "status", "ok": True, "status": "running"},
                       {"op": "add-vcpus", "ok": True, "added": 1}], res
    assert_consistent(vm)


def test_second_start_from_another_process_is_refused(make_vm):
    vm = make_vm()
    [pid] = vm.pids
    vm.op("add-block", "d0", vm.image("d0"))
    vm.op("add-vcpus", "1")
    sock = vm.qmp_path()
    res = vm.run("start")
    err = error_of(res[0])
    assert err["errno"] == errno.EALREADY, res
    assert f"QEMU pid {pid}" in err["message"]
    assert qemus_of(vm) == [pid], "never two QEMUs for one VM"
    assert os.path.exists(sock), "the running QEMU's QMP socket is still there"
    # Nothing of the running QEMU was forgotten.
    lib, _ = assert_consistent(vm)
    assert [d["id"] for d in lib["devices"]] == ["d0"] and hotplugged_cpu_ids(lib) == ["cpu-0"]


def test_start_on_a_running_vm_keeps_its_qmp_socket(make_vm):
    # The handle that owns the QEMU starts it again: -EALREADY, and the socket stays, so a
    # later process can still attach.
    vm = make_vm()
    res = vm.run("attach", "start")
    assert res[0] == {"op": "attach", "ok": True}
    assert error_of(res[1])["errno"] == errno.EALREADY
    op, _ = vm.op("status")
    assert op == {"op": "status", "ok": True, "status": "running"}


def test_start_after_qemu_died_starts_one_new_qemu(make_vm):
    vm = make_vm()
    [pid] = vm.pids
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    res = vm.run("start", expect_rc=0)
    assert qemus_of(vm) == [res[0]["pid"]]


# ---- run directories another user could control (item 7) ----------------------------------

def qdctl_vm(rundir, config, *ops, env=None):
    path = os.path.join(short_tmpdir(), "vm.json")
    with open(path, "w") as f:
        json.dump(config, f)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEQEMU_")}
    full_env.update(env or {})
    argv = [*WRAPPER, QDCTL, "vm"] + (["-d", rundir] if rundir else []) + [path, *ops]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=full_env)
    proc.stderr = without_wrapper_noise(proc.stderr)
    return proc


CONFIG = {"id": "vm1", "accel": "tcg", "max_vcpus": 2, "memory_mb": 256}


def snapshot(path):
    """Names, modes and contents under @path, to show nothing there changed."""
    out = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            out[os.path.relpath(p, path)] = (stat.S_IMODE(st.st_mode), st.st_uid,
                                            open(p, "rb").read() if stat.S_ISREG(st.st_mode)
                                            else None)
    return out


def test_vm_directory_that_is_a_symlink_is_refused():
    rundir, target = short_tmpdir(), short_tmpdir()
    os.chmod(target, 0o755)
    open(os.path.join(target, "keep"), "w").write("x")
    os.symlink(target, os.path.join(rundir, "vm1"))
    before = snapshot(target)
    proc = qdctl_vm(rundir, CONFIG, "start")
    assert proc.returncode == 3, proc
    assert proc.stderr == (f"qdctl: cannot create the VM: VM directory {rundir}/vm1 is a "
                           "symbolic link: refusing to use it\n")
    assert snapshot(target) == before and stat.S_IMODE(os.stat(target).st_mode) == 0o755


def test_vm_directory_of_another_user_is_refused():
    if os.geteuid() != 0:
        pytest.skip("needs root to give a directory to another user")
    rundir = short_tmpdir()
    vmdir = os.path.join(rundir, "vm1")
    os.mkdir(vmdir, 0o777)
    os.chmod(vmdir, 0o777)
    os.chown(vmdir, 4321, 4321)
    proc = qdctl_vm(rundir, CONFIG, "start")
    assert proc.returncode == 3, proc
    assert proc.stderr == (f"qdctl: cannot create the VM: VM directory {vmdir} belongs to uid "
                           "4321, not to you (uid 0): refusing to use it\n")
    assert os.listdir(vmdir) == [] and stat.S_IMODE(os.stat(vmdir).st_mode) == 0o777


@pytest.mark.parametrize("mode, ok", [(0o777, False), (0o770, False), (0o1777, True),
                                      (0o755, True)])
def test_run_directory_others_can_write_is_refused(mode, ok):
    rundir = short_tmpdir()
    os.chmod(rundir, mode)
    proc = qdctl_vm(rundir, CONFIG, "caps")
    if ok:
        assert proc.returncode == 0, proc
        assert stat.S_IMODE(os.stat(os.path.join(rundir, "vm1")).st_mode) == 0o700
    else:
        assert proc.returncode == 3, proc
        assert proc.stderr == (f"qdctl: cannot create the VM: run directory {rundir} is "
                               f"writable by other users and not sticky (mode {mode:04o}): "
                               "refusing to create VMs in it\n")
        assert os.listdir(rundir) == []


def test_symlinked_qemu_log_is_not_followed(make_vm):
    vm = make_vm(start=False)
    vm.run("caps", expect_rc=0)
    victim = os.path.join(short_tmpdir(), "victim")
    open(victim, "w").write("precious\n")
    os.symlink(victim, os.path.join(vm.vmdir, "qemu.log"))
    vm.start()
    assert open(victim).read() == "precious\n"
    assert stat.S_ISREG(os.lstat(os.path.join(vm.vmdir, "qemu.log")).st_mode)


def test_symlinked_state_file_is_refused(make_vm):
    vm = make_vm(start=False)
    vm.run("caps", expect_rc=0)
    real = os.path.join(short_tmpdir(), "state.json")
    os.rename(os.path.join(vm.vmdir, "state.json"), real)
    os.symlink(real, os.path.join(vm.vmdir, "state.json"))
    res = vm.run("caps")
    assert res.rc == 3
    assert f"state file {vm.vmdir}/state.json is a symbolic link: refusing to read it" in \
        res.stderr


def test_qdctl_default_run_dir_is_private(tmp_path):
    # Without -d: $XDG_RUNTIME_DIR/qemudrv when set (else /run/qemudrv for root,
    # /tmp/qemudrv-<uid> otherwise), never a fixed name in a world-writable place.
    runtime = short_tmpdir()
    proc = qdctl_vm(None, CONFIG, "qmp-socket", env={"XDG_RUNTIME_DIR": runtime})
    assert proc.returncode == 0, proc
    assert json.loads(proc.stdout)["dir"] == f"{runtime}/qemudrv/vm1"
    assert stat.S_IMODE(os.stat(f"{runtime}/qemudrv/vm1").st_mode) == 0o700


# ---- values that reach QEMU's command line (items 8, 9, 12) -------------------------------

@pytest.mark.parametrize("name", ["web=1,debug-threads=on", "process=evil", "a,,b=", "plain"])
def test_name_with_equals_or_comma_is_the_guest_name(make_vm, name):
    vm = make_vm(name=name)
    with vm.qmp() as c:
        assert c.execute("query-name", timeout=WAIT_S) == {"name": name}


def test_changed_bridges_are_applied_at_the_next_start_and_said(make_vm):
    vm = make_vm(bridges=1)
    vm.run("attach", "stop", expect_rc=0)
    vm.config["bridges"] = 2
    with open(vm.config_path, "w") as f:
        json.dump(vm.config, f)
    res = vm.run("start", verbose=True, expect_rc=0)
    assert ("VM vm1: the configuration asks for 2 PCI bridges where the last QEMU had 1: "
            "this QEMU gets 2") in res.stderr
    assert [b["id"] for b in vm.state()["bridges"]] == ["pci-bridge-0", "pci-bridge-1"]
    assert_consistent(vm)
    # While that QEMU runs, another change is only said: hot-plug uses what QEMU has.
    vm.config["bridges"] = 1
    with open(vm.config_path, "w") as f:
        json.dump(vm.config, f)
    res = vm.run("caps", "status", verbose=True, expect_rc=0)
    assert ("VM vm1: the configuration asks for 1 PCI bridges; the running QEMU has 2, which "
            "hot-plug uses until the next start") in res.stderr
    assert len(vm.state()["bridges"]) == 2


# ---- crashes lose nothing (Also: durability) --------------------------------------------

def run_until_killed(vm, ops, n):
    """`qdctl vm -v attach OPS`, killed (SIGKILL) right after it sent its n-th QMP command."""
    proc = subprocess.Popen([*WRAPPER, QDCTL, "vm", "-v", "-d", vm.rundir, vm.config_path,
                             "attach", *ops], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=vm.env, text=True)
    sent = 0
    for line in proc.stderr:
        sent += "QMP send:" in line
        if sent >= n:
            proc.kill()
            break
    proc.stderr.close()
    proc.wait()
    return sent


def wait_unplugs_done(vm, timeout=WAIT_S):
    """Wait (for QEMU's events) until no unplug the killed caller asked for is still pending."""
    deadline = time.monotonic() + timeout
    with vm.qmp() as c:
        while any(d["unplug-pending"] for d in c.execute("x-fakeqemu-state",
                                                         timeout=WAIT_S)["devices"]):
            left = deadline - time.monotonic()
            assert left > 0, "an unplug is still pending"
            c.read_message(left)


def test_crash_of_the_caller_mid_hot_plug_loses_nothing(make_vm):
    # The caller is killed right after each of its QMP commands in turn: the state file is
    # always one complete version with the same UUID and bridges; after reconcile it equals
    # QEMU, and the same steps work again.
    vm = make_vm()
    uuid, bridges = vm.state()["uuid"], vm.state()["bridges"]
    ops = ["add-vcpus", "2", "add-block", "d0", vm.image("d0"), "remove-block", "d0",
           "remove-vcpus", "1"]
    n = 1
    while True:
        sent = run_until_killed(vm, ops, n)
        # An unplug requested just before the kill goes on in QEMU: let it finish first.
        wait_unplugs_done(vm)
        st = vm.state()
        assert st["uuid"] == uuid and st["bridges"][0]["id"] == bridges[0]["id"]
        op, _ = vm.op("reconcile")
        assert op["ok"] is True, op
        lib, _ = assert_consistent(vm)
        # Clean again for the next round: whatever the killed steps left goes.
        if device_record(lib, "d0"):
            assert vm.op("remove-block", "d0")[0]["ok"] is True
        if lib["vcpus"]:
            assert vm.op("remove-vcpus", str(len(lib["vcpus"])))[0]["ok"] is True
        lib, _ = assert_consistent(vm)
        assert lib["vcpus"] == [] and lib["devices"] == []
        if sent < n:
            break  # the whole sequence ran before the n-th command: every point was covered
        n += 1
    assert n > 8, f"only {n} kill points"
    res = vm.attach(*ops)
    assert [o["ok"] for o in res.ops] == [True] * 4, res
    assert_consistent(vm)


def test_state_after_a_power_loss_keeps_uuid_and_bridges(make_vm):
    # A power loss may bring back any complete version written since the last durable one
    # (atomic replace, no fsync): whichever it is, the UUID and the bridges are the durable
    # ones, and a start forgets what died with QEMU.
    vm = make_vm()
    versions = [open(os.path.join(vm.vmdir, "state.json")).read()]
    for ops in (["add-vcpus", "1"], ["add-block", "d0", vm.image("d0")], ["remove-vcpus", "1"]):
        vm.op(*ops)
        versions.append(open(os.path.join(vm.vmdir, "state.json")).read())
    [pid] = vm.pids
    os.kill(pid, signal.SIGKILL)  # the power goes: QEMU with it
    assert wait_gone(pid)
    for text in versions:
        with open(os.path.join(vm.vmdir, "state.json"), "w") as f:
            f.write(text)
        res = vm.run("start", "caps", expect_rc=0)
        st = vm.state()
        assert st["uuid"] == json.loads(versions[0])["uuid"]
        assert st["bridges"][0]["id"] == "pci-bridge-0"
        assert st["vcpus"] == [] and st["devices"] == []
        assert_consistent(vm)
        os.kill(res[0]["pid"], signal.SIGKILL)
        assert wait_gone(res[0]["pid"])


def test_state_emptied_by_a_power_loss_is_recovered(make_vm):
    # Saved without fsync, the state file can come back empty after a power loss (its data
    # never reached the disk). With no QEMU of that UUID running, the UUID and bridges come
    # back from the durable copy (an xattr of the VM directory); what died with QEMU is gone.
    vm = make_vm(bridges=2)
    uuid = vm.state()["uuid"]
    vm.op("add-vcpus", "1")
    [pid] = vm.pids
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    state = os.path.join(vm.vmdir, "state.json")
    for torn, before_boot in ((b"", False), (b"\0" * 1500, False),
                              (b'{"version": 1, "uu\0\0garbled page', True)):
        with open(state, "wb") as f:
            f.write(torn)
        if before_boot:
            # A page torn between two versions, last written before this boot.
            with open("/proc/stat") as f:
                btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
            os.utime(state, (btime - 60, btime - 60))
        res = vm.run("start", "caps", verbose=True, expect_rc=0)
        assert (f"state file {state} was empty or torn (a power loss before its data reached "
                "the disk): the UUID and bridges were recovered from the durable copy") in \
            res.stderr
        st = vm.state()
        assert st["uuid"] == uuid and [b["id"] for b in st["bridges"]] == [
            "pci-bridge-0", "pci-bridge-1"]
        assert st["vcpus"] == [] and st["devices"] == []
        assert_consistent(vm)
        os.kill(res[0]["pid"], signal.SIGKILL)
        assert wait_gone(res[0]["pid"])


def test_empty_state_of_a_running_qemu_is_an_error_and_left_alone(make_vm):
    # The same empty file while that QEMU still runs: its records are truly lost, and a
    # second QEMU must not be started; the file is left for someone to look at.
    vm = make_vm()
    state = os.path.join(vm.vmdir, "state.json")
    open(state, "wb").close()
    res = vm.run("start")
    assert res.rc == 3, res
    assert f"state file {state} is corrupt (not complete JSON); it was left as it is" in \
        res.stderr
    assert os.path.getsize(state) == 0
    [pid] = qemus_of_uuid(vm.uuid_at_start)
    os.kill(pid, signal.SIGKILL)  # the state that would let close() find it is gone
    assert wait_gone(pid)
