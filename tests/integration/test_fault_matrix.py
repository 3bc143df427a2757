"""The fault matrix: every library operation (through `qdctl vm`: vCPUs, disks, VFIO, memory,
NICs, reconcile, status) x every QMP command it
sends x every fault action fakeqemu has. Nothing in it is listed by hand: the actions come
from fakeqemu itself (the error of an unknown action names them), the commands from what
each operation sends in a clean run (`qdctl vm -v` logs each one). After each case the
library's state must equal fakeqemu's model (x-fakeqemu-state) once QEMU is done with what
the fault started and the library reconciled, and the same operation must work again.

The matrix prints its size and result; the test fails with the list of failed cases.
"""
import errno
import json
import os
import re
import subprocess
import time

import pytest

from fakeqemu_client import ConnectionClosed, FakeQemu, QmpError, Timeout
from hotplug_helpers import SLOW, WAIT_S, HotplugVm, differences
from qdtest import QDCTL, WRAPPER

# Deadline of a faulted operation: the time faults that delay are measured against.
OP_MS = 250 * SLOW
VFIO_HOST = "0000:01:00.0"


def fakeqemu_actions():
    """The fault actions of the fakeqemu under test, as its own error message lists them."""
    with FakeQemu(args=["-machine", "none"]) as fq:
        c = fq.connect()
        try:
            c.execute("x-fakeqemu-fault", {"rule": {"command": "x", "action": "?"}})
        except QmpError as e:
            listed = re.search(r"\(([^)]*)\)", e.desc)
            assert listed, e.desc
            return [a.strip() for a in listed.group(1).split(",")]
    raise AssertionError("x-fakeqemu-fault accepted an unknown action")


def rule_for(command, action):
    """A rule that fires once on @command with @action (parameters the action needs)."""
    rule = {"command": command, "action": action}
    rule.update({
        "error": {"desc": "fault matrix: refused", "class": "GenericError"},
        "delay": {"ms": OP_MS * 2},
        "delay-event": {"ms": OP_MS * 2},
        "exit": {"code": 1},
        "split": {"size": 3},
        "garbage": {"bytes": "}{\"not\": qmp"},
    }.get(action, {}))
    return rule


# The operations, each with what it needs first and the VM kind it runs on.
def _block(vm):
    return ["add-block", "b0", vm.image("b0")]


def _scsi(vm):
    return ["add-block", "s0", vm.image("s0"), "5"]


OPERATIONS = {
    "add-vcpus": {"config": {}, "setup": [], "op": lambda vm: ["add-vcpus", "1"]},
    "remove-vcpus": {"config": {}, "setup": [lambda vm: ["add-vcpus", "1"]],
                     "op": lambda vm: ["remove-vcpus", "1"]},
    "add-block": {"config": {}, "setup": [], "op": _block},
    "remove-block": {"config": {}, "setup": [_block], "op": lambda vm: ["remove-block", "b0"]},
    "add-block-scsi": {"config": {"block_driver": "virtio-scsi"}, "setup": [], "op": _scsi},
    "remove-block-scsi": {"config": {"block_driver": "virtio-scsi"}, "setup": [_scsi],
                          "op": lambda vm: ["remove-block", "s0"]},
    "add-vfio": {"config": {}, "setup": [], "op": lambda vm: ["add-vfio", "g0", VFIO_HOST]},
    "remove-vfio": {"config": {}, "setup": [lambda vm: ["add-vfio", "g0", VFIO_HOST]],
                    "op": lambda vm: ["remove-vfio", "g0"]},
    "add-memory": {"config": {}, "setup": [], "op": lambda vm: ["add-memory", "m0", "64"]},
    "remove-memory": {"config": {}, "setup": [lambda vm: ["add-memory", "m0", "64"]],
                      "op": lambda vm: ["remove-memory", "m0"]},
    "add-net": {"config": {}, "setup": [], "op": lambda vm: ["add-net", "n0"]},
    "remove-net": {"config": {}, "setup": [lambda vm: ["add-net", "n0"]],
                   "op": lambda vm: ["remove-net", "n0"]},
    "reconcile": {"config": {}, "setup": [_block, lambda vm: ["add-vcpus", "1"]],
                  "op": lambda vm: ["reconcile"]},
    "status": {"config": {}, "setup": [], "op": lambda vm: ["status"]},
}
ENV = {"FAKEQEMU_GUEST": "slow=0", "FAKEQEMU_VFIO_HOSTS": VFIO_HOST}


def commands_sent(vm, args):
    """The QMP commands @args sends on a clean VM, in order, without repeats."""
    res = vm.run("attach", *args, verbose=True)
    assert res.rc == 0, res
    sent = []
    for line in res.stderr.splitlines():
        m = re.search(r'QMP send: \{"execute":"([^"]+)"', line)
        if m and m.group(1) not in sent and m.group(1) != "qmp_capabilities":
            sent.append(m.group(1))
    return sent


def qemu_responsive(vm):
    try:
        vm.qemu_state()
        return True
    except (OSError, Timeout, QmpError, ConnectionClosed, AssertionError):
        return False


def settle(vm):
    """Wait (for QEMU's events) until no unplug a fault left in flight is pending."""
    deadline = time.monotonic() + WAIT_S
    with vm.qmp() as c:
        while any(d["unplug-pending"] for d in c.execute("x-fakeqemu-state",
                                                         timeout=WAIT_S)["devices"]):
            left = deadline - time.monotonic()
            if left <= 0:
                return  # a guest that never completes: the state must say so as it is
            try:
                c.read_message(left)
            except Timeout:
                return


def clean(vm):
    """Back to a VM with nothing hot-plugged (between cases), or a fresh QEMU."""
    if not qemu_responsive(vm):
        vm.run("stop")
        vm.run("start", expect_rc=0)
        return
    res = vm.attach("reconcile")
    st = vm.state()
    ops = []
    remove = {"vfio": "remove-vfio", "virtio-net": "remove-net", "pc-dimm": "remove-memory",
              "virtio-mem": "remove-memory"}
    for d in st["devices"]:
        ops += [remove.get(d["kind"], "remove-block"), d["id"]]
    if st["vcpus"]:
        ops += ["remove-vcpus", str(len(st["vcpus"]))]
    if ops:
        res = vm.attach(*ops, keep_going=True)
    if vm.state()["devices"] or vm.state()["vcpus"] or res.rc != 0:
        vm.run("stop")
        vm.run("start", expect_rc=0)


OUTCOMES = {"op failed": 0, "QEMU lost": 0}


def run_case(vm, name, spec, command, action):
    """One case; None when it passed, else what went wrong."""
    clean(vm)
    for step in spec["setup"]:
        op, res = vm.op(*step(vm))
        if not op["ok"]:
            return f"set-up {step(vm)} failed: {op}"
    vm.add_fault(**rule_for(command, action))
    res = vm.run("attach", *spec["op"](vm), timeout_ms=OP_MS)
    if res.rc not in (0, 1) or len(res) != 2:
        return f"qdctl exited {res.rc}: {res.stdout} {res.stderr[-400:]}"
    outcome = res[1]
    OUTCOMES["op failed"] += not outcome["ok"]
    if not outcome["ok"] and not outcome.get("error", {}).get("message"):
        return f"a failure without a message: {outcome}"
    if not qemu_responsive(vm):
        # QEMU died or hung in the command: a restart must give a clean, consistent VM.
        OUTCOMES["QEMU lost"] += 1
        vm.run("stop")
        res = vm.run("start")
        if res.rc != 0:
            return f"restart failed: {res}"
        problems = differences(vm.state(), vm.qemu_state())
        if problems:
            return "state != QEMU after restart: " + "; ".join(problems)
        clean(vm)
        for step in spec["setup"]:
            vm.op(*step(vm))
        outcome = {"ok": False}
    settle(vm)
    if not outcome["ok"]:
        # The same operation again, without the fault and without a reconcile first.
        op, _ = vm.op(*spec["op"](vm))
        done = op["ok"] or (op["op"].startswith("add-") and op["op"] != "add-vcpus" and
                            op.get("error", {}).get("errno") == errno.EEXIST)
        if not done:
            return f"retry failed: {op}"
        settle(vm)
    problems = differences(vm.state(), vm.qemu_state())
    if problems:
        return "state != QEMU: " + "; ".join(problems)
    op, _ = vm.op("reconcile")
    if not op["ok"]:
        return f"reconcile failed: {op}"
    problems = differences(vm.state(), vm.qemu_state())
    if problems:
        return "state != QEMU after reconcile: " + "; ".join(problems)
    return None


def test_fault_matrix():
    actions = fakeqemu_actions()
    assert len(actions) >= 10, actions
    failures, cases, by_op = [], 0, {}
    for name, spec in OPERATIONS.items():
        vm = HotplugVm(env=ENV, **spec["config"])
        try:
            vm.start()
            for step in spec["setup"]:
                assert vm.op(*step(vm))[0]["ok"]
            commands = commands_sent(vm, spec["op"](vm))
            assert commands, name
            by_op[name] = (commands, 0, 0)
            for command in commands:
                for action in actions:
                    cases += 1
                    why = run_case(vm, name, spec, command, action)
                    ok, bad = by_op[name][1:]
                    by_op[name] = (commands, ok + (why is None), bad + (why is not None))
                    if why:
                        failures.append(f"{name} / {command} / {action}: {why}")
        finally:
            vm.close()
    print(f"\nfault matrix: {len(by_op)} operations x their QMP commands x {len(actions)} "
          f"fault actions ({', '.join(actions)}) = {cases} cases")
    for name, (commands, ok, bad) in by_op.items():
        print(f"  {name:18} {', '.join(commands):60} {ok:3} passed {bad:3} failed")
    print(f"fault matrix: the faulted operation failed in {OUTCOMES['op failed']} cases, "
          f"QEMU died or hung in {OUTCOMES['QEMU lost']}")
    print(f"fault matrix: {cases - len(failures)} of {cases} cases passed")
    assert not failures, f"{len(failures)} of {cases} cases failed:\n  " + "\n  ".join(failures)
