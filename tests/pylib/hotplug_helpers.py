"""hotplug_helpers.py - drive `qdctl vm` hot-plug operations on fakeqemu and compare the
library's state file with fakeqemu's own model (x-fakeqemu-state).

A HotplugVm is one VM in a private run directory. Every `run()` is one `qdctl vm`
process: it prints one JSON line per operation and exits, leaving QEMU running, so
the test can then talk QMP to the VM's socket itself (faults, x-fakeqemu-state,
waiting for events) and start another `qdctl vm ... attach OP` afterwards.

Nothing here sleeps: waits are QMP events read with deadlines.
"""
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import time

from fakeqemu_client import QmpConnection, Timeout
from qdtest import QDCTL, WRAPPER, short_tmpdir

# Under a wrapper (valgrind) everything is slower: deadlines scale.
SLOW = 10 if WRAPPER else 1
# Deadline of an operation that is expected to succeed promptly.
OP_TIMEOUT_MS = 3000 * SLOW
# Deadline of an operation that is expected to run into it (kept short: it is waited out).
SHORT_TIMEOUT_MS = 300 * SLOW
# How long a test waits for QEMU to do something it was told to do.
WAIT_S = 5.0 * SLOW

BASE_CONFIG = {"id": "vm1", "accel": "tcg", "vcpus": 1, "max_vcpus": 4, "memory_mb": 256,
               "bridges": 1}


def _no_core_dumps():
    # The crash fault aborts fakeqemu (qdctl's child) on purpose: no core files.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class OpResult:
    """What one `qdctl vm` process printed: .ops (one dict per JSON line), .rc, .stderr."""

    def __init__(self, proc, argv):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.argv = argv
        self.ops = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]

    def __getitem__(self, i):
        return self.ops[i]

    def __len__(self):
        return len(self.ops)

    @property
    def last(self):
        return self.ops[-1]

    def __repr__(self):
        return (f"qdctl {' '.join(self.argv)}\n rc={self.rc}\n stdout={self.stdout}\n"
                f" stderr={self.stderr}")


class HotplugVm:
    """One VM driven through `qdctl vm`, with fakeqemu as QEMU.

    @config: members merged over BASE_CONFIG; @env: FAKEQEMU_* settings for the
    fakeqemu that `start` launches (the test's own FAKEQEMU_* are dropped).
    """

    def __init__(self, env=None, **config):
        self.rundir = short_tmpdir()
        self.config = dict(BASE_CONFIG)
        self.config.update(config)
        self.id = self.config["id"]
        self.vmdir = os.path.join(self.rundir, self.id)
        self.config_path = os.path.join(self.rundir, "vm.json")
        with open(self.config_path, "w") as f:
            json.dump(self.config, f)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEQEMU_")}
        self.env.update(env or {})
        self.images = os.path.join(self.rundir, "img")
        os.mkdir(self.images)
        self.pids = set()
        self.uuids = set()

    # ---- files ----------------------------------------------------------------------

    def image(self, name):
        """A 1 MiB sparse disk image (created once) for add-block."""
        path = os.path.join(self.images, f"{name}.img")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.truncate(1 << 20)
        return path

    def faults_file(self, rules):
        """A FAKEQEMU_FAULTS file holding @rules; its path."""
        path = os.path.join(self.rundir, "faults.json")
        with open(path, "w") as f:
            json.dump(rules, f)
        return path

    def state(self):
        """The library's state file, parsed (fails the test if it is not valid JSON)."""
        with open(os.path.join(self.vmdir, "state.json")) as f:
            return json.load(f)

    def qmp_path(self):
        socks = [f for f in os.listdir(self.vmdir) if f.startswith("qmp-")]
        assert len(socks) == 1, f"expected one QMP socket in {self.vmdir}: {socks}"
        return os.path.join(self.vmdir, socks[0])

    # ---- qdctl ----------------------------------------------------------------------

    def run(self, *ops, timeout_ms=OP_TIMEOUT_MS, verbose=False, keep_going=False,
            expect_rc=None):
        """One `qdctl vm` process running @ops; an OpResult."""
        argv = ["vm", "-d", self.rundir, "-t", str(timeout_ms)]
        if verbose:
            argv.append("-v")
        if keep_going:
            argv.append("-k")
        argv += [self.config_path, *ops]
        proc = subprocess.run([*WRAPPER, QDCTL, *argv], capture_output=True, text=True,
                              timeout=60 * SLOW, env=self.env, preexec_fn=_no_core_dumps)
        res = OpResult(proc, argv)
        for op in res.ops:
            if op.get("op") == "start" and op.get("ok"):
                self.pids.add(op["pid"])
                # Kept for close(): the state file may be gone or broken by then.
                self.uuids.add(self.state()["uuid"])
        if expect_rc is not None:
            assert res.rc == expect_rc, res
        return res

    def start(self):
        res = self.run("start", expect_rc=0)
        assert res.ops == [{"op": "start", "ok": True, "pid": res[0]["pid"]}], res
        return res

    def attach(self, *ops, **kw):
        """`attach` then @ops in one qdctl; the results of @ops (attach must succeed)."""
        res = self.run("attach", *ops, **kw)
        assert res.ops and res[0] == {"op": "attach", "ok": True}, res
        res.ops = res.ops[1:]
        return res

    def op(self, *args, **kw):
        """`attach` and one operation; that operation's JSON line (and the OpResult)."""
        res = self.attach(*args, **kw)
        assert len(res) == 1, res
        return res[0], res

    # ---- QMP, as a client of the VM's socket (only while no qdctl runs) ----------------

    @contextlib.contextmanager
    def qmp(self):
        c = QmpConnection(self.qmp_path())
        try:
            c.read_greeting(WAIT_S)
            c.negotiate(WAIT_S)
            yield c
        finally:
            c.close()

    def qemu_state(self):
        with self.qmp() as c:
            return c.execute("x-fakeqemu-state", timeout=WAIT_S)

    def add_fault(self, **rule):
        """Add a fault rule at run time (x-fakeqemu-fault); its id."""
        with self.qmp() as c:
            return c.execute("x-fakeqemu-fault", {"rule": rule}, timeout=WAIT_S)["id"]

    def fault(self, rule_id):
        """A rule's counters ({"matched", "fired", ...}) from x-fakeqemu-state."""
        for f in self.qemu_state()["faults"]:
            if f["id"] == rule_id:
                return f
        raise AssertionError(f"no fault rule {rule_id}")

    def spy(self, command, match=None):
        """A rule that never fires but counts @command (matching @match): 'was it sent?'."""
        rule = {"command": command, "action": "delay", "ms": 0, "nth": 1000000}
        if match:
            rule["match"] = match
        return self.add_fault(**rule)

    def sent(self, rule_id):
        return self.fault(rule_id)["matched"]

    def wait_device_gone(self, dev_id, timeout=WAIT_S):
        """Wait (for its DEVICE_DELETED) until fakeqemu no longer has @dev_id."""
        with self.qmp() as c:
            st = c.execute("x-fakeqemu-state", timeout=WAIT_S)
            if not any(d["id"] == dev_id for d in st["devices"]):
                return
            # Connected before the check: an event sent after it is queued here.
            c.wait_event("DEVICE_DELETED", timeout=timeout, data={"device": dev_id})

    def wait_cpu_gone(self, cpu_id, timeout=WAIT_S):
        """Wait (for the last ACPI_DEVICE_OST of its unplug) until @cpu_id is gone."""
        deadline = time.monotonic() + timeout
        with self.qmp() as c:
            while True:
                st = c.execute("x-fakeqemu-state", timeout=WAIT_S)
                if not any(s["id"] == cpu_id for s in st["cpus"]):
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout(f"vCPU {cpu_id} still plugged after {timeout} s")
                # Each step of a CPU unplug sends an event; re-check after each.
                try:
                    c.read_message(left)
                except Timeout:
                    raise Timeout(f"vCPU {cpu_id} still plugged after {timeout} s") from None

    # ---- teardown -------------------------------------------------------------------

    def _alive(self, pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            return False
        return any(u.encode() in cmdline for u in self.uuids)

    def close(self):
        """Stop QEMU (quit through qdctl, else SIGKILL by pid) and remove the run directory."""
        try:
            if any(self._alive(p) for p in self.pids):
                self.run("attach", "stop", timeout_ms=OP_TIMEOUT_MS)
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
        for pid in self.pids:
            if self._alive(pid):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.rundir, ignore_errors=True)


def vm_factory(defaults=None, kinds=None):
    """A pytest fixture body: yields make(kind=..., env=..., start=True, **config), a
    HotplugVm factory over @defaults (config) and @kinds ({kind: {"config", "env"}});
    every VM made is stopped afterwards."""
    vms = []

    def make(kind=None, env=None, start=True, **config):
        spec = (kinds or {}).get(kind, {})
        full_env = dict(spec.get("env", {}))
        full_env.update(env or {})
        full_config = dict(defaults or {})
        full_config.update(spec.get("config", {}))
        full_config.update(config)
        vm = HotplugVm(env=full_env, **full_config)
        vms.append(vm)
        if start:
            vm.start()
        return vm

    yield make
    for vm in vms:
        vm.close()


# ---- the comparison ---------------------------------------------------------------------

def _bridge_slots_qemu(bus):
    out = {}
    for key, dev in bus["slots"].items():
        slot, func = key.split(".")
        out[int(slot, 16)] = dev if func == "0" else f"{dev} (function {func})"
    return out


def normalize_bdf(bdf):
    parts = bdf.split(":")
    if len(parts) == 2:
        parts = ["0000", *parts]
    dom, bus, rest = parts
    slot, fn = rest.split(".")
    return f"{int(dom, 16):04x}:{int(bus, 16):02x}:{int(slot, 16):02x}.{int(fn, 16):x}"


def differences(lib, qemu, cold_ids=()):
    """Every way the library's state @lib disagrees with fakeqemu's model @qemu."""
    problems = []

    # vCPUs: the same hot-plugged ids plugged, in the same slots.
    lib_cpus = {v["id"]: (v["socket-id"], v["core-id"], v["thread-id"]) for v in lib["vcpus"]}
    q_cpus = {c["id"]: (c["socket-id"], c["core-id"], c["thread-id"])
              for c in qemu["cpus"] if c["plugged"] and not c["boot"]}
    if lib_cpus != q_cpus:
        problems.append(f"vCPUs: state {lib_cpus} != QEMU {q_cpus}")

    # Hot-plugged devices (not CPUs): the same ids, where the state says.
    q_devs = {d["id"]: d for d in qemu["devices"]
              if d["hotplugged"] and "cpu-index" not in d}
    l_devs = {d["id"]: d for d in lib["devices"]}
    if set(l_devs) != set(q_devs):
        problems.append(f"devices: state {sorted(l_devs)} != QEMU {sorted(q_devs)}")
    for dev_id in set(l_devs) & set(q_devs):
        rec, q = l_devs[dev_id], q_devs[dev_id]
        if rec["kind"] in ("virtio-blk", "vfio"):
            want = "virtio-blk-pci" if rec["kind"] == "virtio-blk" else "vfio-pci"
            if (q["driver"], q.get("bus"), q.get("slot")) != (want, rec.get("bridge"),
                                                              rec["slot"]):
                problems.append(f"device {dev_id}: state {rec} != QEMU {q}")
        elif rec["kind"] == "scsi-hd":
            if (q["driver"], q.get("scsi-id"), q.get("lun")) != ("scsi-hd", rec["scsi-id"],
                                                                 rec["lun"]):
                problems.append(f"device {dev_id}: state {rec} != QEMU {q}")
        if rec.get("node") != q.get("drive"):
            problems.append(f"device {dev_id}: state node {rec.get('node')} != QEMU drive "
                            f"{q.get('drive')}")
        if rec["kind"] == "vfio" and normalize_bdf(rec["bdf"]) != q.get("host"):
            problems.append(f"device {dev_id}: state bdf {rec['bdf']} != QEMU {q.get('host')}")

    # Bridge slots: nothing leaked, nothing taken behind the state's back.
    buses = {b["name"]: b for b in qemu["pci-buses"]}
    for b in lib["bridges"]:
        lib_slots = {int(k): v for k, v in b["slots"].items()}
        if b["id"] not in buses:
            problems.append(f"bridge {b['id']} is not in QEMU")
            continue
        q_slots = _bridge_slots_qemu(buses[b["id"]])
        if lib_slots != q_slots:
            problems.append(f"bridge {b['id']} slots: state {lib_slots} != QEMU {q_slots}")

    # Block nodes: exactly the recorded ones (plus cold-plugged drives), none orphaned.
    cold_nodes = {f"drive-{i}" for i in cold_ids}
    named = {n["node-name"]: n for n in qemu["block-nodes"] if not n["node-name"].startswith("#")}
    lib_nodes = {d["node"]: d["id"] for d in lib["devices"] if d.get("node")}
    q_nodes = {k: v["device"] for k, v in named.items() if k not in cold_nodes}
    if set(lib_nodes) != set(q_nodes):
        problems.append(f"block nodes: state {sorted(lib_nodes)} != QEMU {sorted(q_nodes)}")
    for node, owner in q_nodes.items():
        if owner is None:
            problems.append(f"block node {node} has no device (orphan)")
        elif node in lib_nodes and lib_nodes[node] != owner:
            problems.append(f"block node {node}: state says {lib_nodes[node]}, QEMU {owner}")
    children = {n["file"] for n in qemu["block-nodes"] if n.get("file")}
    # A -drive's implicit root node (#blockNNN) belongs to its BlockBackend.
    children |= {b["node-name"] for b in qemu.get("block-backends", []) if b["node-name"]}
    for n in qemu["block-nodes"]:
        if n["node-name"].startswith("#") and n["node-name"] not in children:
            problems.append(f"protocol node {n['node-name']} has no parent (orphan)")
    return problems


def assert_consistent(vm, cold_ids=()):
    """The library's state equals fakeqemu's model; returns both for further checks."""
    lib, qemu = vm.state(), vm.qemu_state()
    problems = differences(lib, qemu, cold_ids)
    assert not problems, "state.json disagrees with QEMU:\n  " + "\n  ".join(problems)
    return lib, qemu


def device_record(lib, dev_id):
    for d in lib["devices"]:
        if d["id"] == dev_id:
            return d
    return None


def qemu_device(qemu, dev_id):
    for d in qemu["devices"]:
        if d["id"] == dev_id:
            return d
    return None


def hotplugged_cpu_ids(lib):
    return [v["id"] for v in lib["vcpus"]]


def error_of(op):
    """The op's error object (asserting it failed)."""
    assert op["ok"] is False and "error" in op, op
    return op["error"]
