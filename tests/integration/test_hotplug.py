"""Hot-plug through `qdctl vm` on fakeqemu: every operation, clean and under every relevant
fault, judged by its JSON line AND by comparing the library's state file with fakeqemu's
model (x-fakeqemu-state): same hot-plugged vCPUs, same devices on the same bridge slots
(or SCSI id/LUN), same block nodes, no orphan node, no leaked slot. After a failure the
same operation with the same id is tried again and must work (unless the fault is the
guest itself, which stays as it is).

Faults are added at run time with x-fakeqemu-fault (counted from then on), or given to
fakeqemu at start with FAKEQEMU_FAULTS; guests with FAKEQEMU_GUEST.
"""
import errno
import json
import time

import pytest

from hotplug_helpers import (OP_TIMEOUT_MS, SHORT_TIMEOUT_MS, assert_consistent,
                             device_record, error_of, hotplugged_cpu_ids, qemu_device,
                             vm_factory)

VFIO_HOSTS = [f"0000:01:00.{fn}" for fn in range(8)]
VFIO_ENV = {"FAKEQEMU_VFIO_HOSTS": ",".join(VFIO_HOSTS)}
# An unplug event held back this long arrives well after a SHORT_TIMEOUT_MS deadline.
LATE_EVENT_MS = SHORT_TIMEOUT_MS * 3
# Deadline for the tests that delay device_add's reply past it: wide margins both ways.
REPLY_TIMEOUT_MS = SHORT_TIMEOUT_MS * 2

# The device kinds qdctl hot-plugs, and how each is set up.
KINDS = {
    "virtio-blk": {"config": {}, "env": {}},
    "scsi-hd": {"config": {"block_driver": "virtio-scsi"}, "env": {}},
    "vfio": {"config": {}, "env": VFIO_ENV},
}
DRIVERS = {"virtio-blk": "virtio-blk-pci", "scsi-hd": "scsi-hd", "vfio": "vfio-pci"}
PCI_KINDS = ["virtio-blk", "vfio"]
BLOCK_KINDS = ["virtio-blk", "scsi-hd"]


@pytest.fixture
def make_vm():
    """HotplugVm factory (started unless start=False); every VM is stopped afterwards."""
    factory = vm_factory(kinds=KINDS)
    make = next(factory)
    yield lambda kind="virtio-blk", **kw: make(kind, **kw)
    next(factory, None)


def add_op(vm, kind, dev_id, n=0):
    """The qdctl arguments that hot-plug device @dev_id of @kind (@n: host / SCSI index)."""
    if kind == "vfio":
        return ["add-vfio", dev_id, VFIO_HOSTS[n]]
    if kind == "scsi-hd":
        return ["add-block", dev_id, vm.image(dev_id), str(n)]
    return ["add-block", dev_id, vm.image(dev_id)]


def remove_op(kind, dev_id):
    return ["remove-vfio" if kind == "vfio" else "remove-block", dev_id]


def location(kind, slot_or_index):
    """Where the guest finds the device: "02/SS" on the bridge, or scsi0.0:ID:LUN."""
    if kind == "scsi-hd":
        return f"scsi0.0:{slot_or_index // 256}:{slot_or_index % 256}"
    return f"02/{slot_or_index:02x}"


def plug(vm, kind, dev_id, n=0):
    """Hot-plug one device that must succeed; its location."""
    op, res = vm.op(*add_op(vm, kind, dev_id, n))
    assert op["ok"] is True, res
    return op["location"]


def assert_plugged_at(vm, kind, dev_id, where):
    """The device is in both the state and QEMU, at @where (bridge slot or SCSI index)."""
    lib, qemu = assert_consistent(vm)
    rec, q = device_record(lib, dev_id), qemu_device(qemu, dev_id)
    assert rec is not None and q is not None, (lib, qemu)
    assert q["driver"] == DRIVERS[kind]
    if kind == "scsi-hd":
        assert (rec["scsi-id"], rec["lun"]) == (where // 256, where % 256)
    else:
        assert (rec["bridge"], rec["slot"]) == ("pci-bridge-0", where)
    if kind in BLOCK_KINDS:
        assert rec["node"] == q["drive"] == f"drive-{dev_id}"
    return lib, qemu


def assert_absent(vm, dev_id):
    lib, qemu = assert_consistent(vm)
    assert device_record(lib, dev_id) is None
    assert qemu_device(qemu, dev_id) is None
    assert f"drive-{dev_id}" not in [n["node-name"] for n in qemu["block-nodes"]]
    return lib, qemu


def cpu_type(vm):
    return vm.qemu_state()["cpu-type"]


def plugged_cpu_ids(qemu):
    return sorted(c["id"] for c in qemu["cpus"] if c["plugged"] and not c["boot"])


# ---- capabilities ------------------------------------------------------------------------

@pytest.mark.parametrize("config, caps", [
    ({"machine": "pc", "bridges": 1},
     {"block": True, "cpu": True, "vfio": True, "memory": True, "net": True}),
    ({"machine": "pc", "bridges": 0},
     {"block": False, "cpu": True, "vfio": False, "memory": True, "net": False}),
    ({"machine": "pc", "bridges": 0, "block_driver": "virtio-scsi"},
     {"block": True, "cpu": True, "vfio": False, "memory": True, "net": False}),
    ({"machine": "pc", "bridges": 2, "block_driver": "virtio-scsi"},
     {"block": True, "cpu": True, "vfio": True, "memory": True, "net": True}),
    ({"machine": "pc", "bridges": 1, "memory_mb": 512, "max_memory_mb": 512},
     {"block": True, "cpu": True, "vfio": True, "memory": False, "net": True}),
], ids=["pc-bridges", "pc-no-bridges", "virtio-scsi-no-bridges", "virtio-scsi-bridges",
        "no-room-for-memory"])
def test_capabilities(make_vm, config, caps):
    vm = make_vm(start=False, **config)
    res = vm.run("caps", expect_rc=0)
    assert res.ops == [{"op": "caps", "ok": True, **caps}]


def test_no_bridges_refuses_pci_hotplug_without_asking_qemu(make_vm):
    vm = make_vm(env=VFIO_ENV, bridges=0)
    spies = [vm.spy("blockdev-add"), vm.spy("device_add")]
    res = vm.attach("add-block", "d0", vm.image("d0"), "add-vfio", "gpu0", VFIO_HOSTS[0],
                    keep_going=True)
    msg = "VM vm1 has no PCI bridges to hot-plug into"
    for op in res.ops:
        assert error_of(op) == {"errno": errno.ENOSPC, "name": "ENOSPC", "message": msg}
    assert [vm.sent(s) for s in spies] == [0, 0]
    assert_absent(vm, "d0")
    # vCPUs need no bridge.
    op, _ = vm.op("add-vcpus", "1")
    assert op == {"op": "add-vcpus", "ok": True, "added": 1}
    assert_consistent(vm)


# ---- vCPUs ---------------------------------------------------------------------------------

def test_add_and_remove_vcpus_last_in_first_out(make_vm):
    vm = make_vm()
    op, _ = vm.op("add-vcpus", "3")
    assert op == {"op": "add-vcpus", "ok": True, "added": 3}
    lib, qemu = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0", "cpu-1", "cpu-2"]
    # Lowest free slot first: sockets 1, 2, 3.
    assert [v["socket-id"] for v in lib["vcpus"]] == [1, 2, 3]

    confirm = vm.spy("query-cpus-fast")
    dels = vm.spy("device_del")
    op, _ = vm.op("remove-vcpus", "2")
    assert op == {"op": "remove-vcpus", "ok": True, "removed": 2}
    assert vm.sent(dels) == 2
    assert vm.sent(confirm) >= 2, "each removal is confirmed with query-cpus-fast"
    lib, qemu = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0"] == plugged_cpu_ids(qemu)

    # Ids are never reused; the freed slots are taken again.
    op, _ = vm.op("add-vcpus", "1")
    assert op == {"op": "add-vcpus", "ok": True, "added": 1}
    lib, _ = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0", "cpu-3"]
    assert [v["socket-id"] for v in lib["vcpus"]] == [1, 2]


def test_add_vcpus_clamps_to_max_vcpus_with_a_warning(make_vm):
    vm = make_vm(vcpus=1, max_vcpus=4)
    op, res = vm.op("add-vcpus", "5", verbose=True)
    assert op == {"op": "add-vcpus", "ok": True, "added": 3}
    assert ("cannot hot-add 5 vCPUs: the VM has 1 of at most 4; adding 3") in res.stderr
    lib, _ = assert_consistent(vm)
    assert len(lib["vcpus"]) == 3

    # At the limit: nothing to add, nothing sent, still a warning.
    adds = vm.spy("device_add")
    op, res = vm.op("add-vcpus", "1", verbose=True)
    assert op == {"op": "add-vcpus", "ok": True, "added": 0}
    assert "cannot hot-add 1 vCPUs: the VM has 4 of at most 4; adding 0" in res.stderr
    assert vm.sent(adds) == 0
    assert_consistent(vm)


def test_add_zero_vcpus_is_a_no_op(make_vm):
    vm = make_vm()
    spies = [vm.spy("query-hotpluggable-cpus"), vm.spy("device_add")]
    before = vm.state()
    res = vm.attach("add-vcpus", "0", "remove-vcpus", "0", expect_rc=0)
    assert res.ops == [{"op": "add-vcpus", "ok": True, "added": 0},
                       {"op": "remove-vcpus", "ok": True, "removed": 0}]
    assert [vm.sent(s) for s in spies] == [0, 0]
    assert vm.state() == before
    assert_consistent(vm)


def test_remove_more_vcpus_than_hot_plugged_is_an_error(make_vm):
    vm = make_vm()
    vm.op("add-vcpus", "2")
    dels = vm.spy("device_del")
    op, _ = vm.op("remove-vcpus", "3")
    assert op == {"op": "remove-vcpus", "ok": False, "removed": 0, "error": {
        "errno": errno.EINVAL, "name": "EINVAL",
        "message": "cannot remove 3 vCPUs: only 2 were hot-plugged (boot vCPUs stay)"}}
    assert vm.sent(dels) == 0
    lib, _ = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0", "cpu-1"]
    op, _ = vm.op("remove-vcpus", "2")
    assert op == {"op": "remove-vcpus", "ok": True, "removed": 2}
    lib, _ = assert_consistent(vm)
    assert lib["vcpus"] == []


def test_add_vcpus_partial_failure_keeps_what_went_in(make_vm):
    vm = make_vm()
    desc = "fault: CPU hotplug refused by the fake"
    vm.add_fault(command="device_add", match={"driver": cpu_type(vm)}, nth=2,
                 action="error", **{"class": "DeviceNotActive", "desc": desc})
    op, _ = vm.op("add-vcpus", "3")
    assert op == {"op": "add-vcpus", "ok": False, "added": 1, "error": {
        "errno": errno.EREMOTEIO, "name": "EREMOTEIO", "class": "DeviceNotActive",
        "message": desc}}
    lib, qemu = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0"] == plugged_cpu_ids(qemu)
    # Retry: the rest goes in.
    op, _ = vm.op("add-vcpus", "2")
    assert op == {"op": "add-vcpus", "ok": True, "added": 2}
    lib, qemu = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0", "cpu-1", "cpu-2"] == plugged_cpu_ids(qemu)


def test_add_vcpus_from_a_faults_file(make_vm, tmp_path):
    # The same partial failure, the rule given to fakeqemu at start (FAKEQEMU_FAULTS).
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"command": "device_add", "match": {"id": "cpu-1"},
                                   "action": "error", "desc": "no second CPU"}]))
    vm = make_vm(env={"FAKEQEMU_FAULTS": str(faults)})
    op, _ = vm.op("add-vcpus", "3")
    assert op == {"op": "add-vcpus", "ok": False, "added": 1, "error": {
        "errno": errno.EREMOTEIO, "name": "EREMOTEIO", "class": "GenericError",
        "message": "no second CPU"}}
    lib, _ = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0"]
    op, _ = vm.op("add-vcpus", "2")
    assert op["ok"] is True and op["added"] == 2
    assert_consistent(vm)


def test_remove_vcpus_refused_by_qemu(make_vm):
    vm = make_vm()
    vm.op("add-vcpus", "2")
    vm.add_fault(command="device_del", match={"id": "cpu-1"}, action="error",
                 desc="fault: unplug of cpu-1 refused")
    op, _ = vm.op("remove-vcpus", "2")
    assert op == {"op": "remove-vcpus", "ok": False, "removed": 0, "error": {
        "errno": errno.EREMOTEIO, "name": "EREMOTEIO", "class": "GenericError",
        "message": "fault: unplug of cpu-1 refused"}}
    lib, qemu = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0", "cpu-1"] == plugged_cpu_ids(qemu)
    op, _ = vm.op("remove-vcpus", "2")
    assert op == {"op": "remove-vcpus", "ok": True, "removed": 2}
    lib, _ = assert_consistent(vm)
    assert lib["vcpus"] == []


def test_remove_vcpu_without_event_is_confirmed_by_query_cpus_fast(make_vm):
    vm = make_vm()
    vm.op("add-vcpus", "1")
    vm.add_fault(command="device_del", action="no-event")
    confirm = vm.spy("query-cpus-fast")
    op, _ = vm.op("remove-vcpus", "1", timeout_ms=SHORT_TIMEOUT_MS)
    assert op == {"op": "remove-vcpus", "ok": True, "removed": 1}
    assert vm.sent(confirm) >= 1
    lib, _ = assert_consistent(vm)
    assert lib["vcpus"] == []
    res = vm.attach("add-vcpus", "1", "remove-vcpus", "1", expect_rc=0)
    assert [o["ok"] for o in res.ops] == [True, True]
    assert_consistent(vm)


def test_remove_vcpu_event_later_than_the_deadline(make_vm):
    vm = make_vm()
    vm.op("add-vcpus", "2")
    vm.add_fault(command="device_del", action="delay-event", ms=LATE_EVENT_MS)
    op, _ = vm.op("remove-vcpus", "1", timeout_ms=SHORT_TIMEOUT_MS)
    err = error_of(op)
    assert op["removed"] == 0 and err["errno"] == errno.ETIMEDOUT
    assert "cpu-1" in err["message"]
    # Not confirmed: it stays recorded (QEMU still has it too).
    lib, qemu = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0", "cpu-1"]
    # The guest finishes later; reconcile then takes it out of the state.
    vm.wait_cpu_gone("cpu-1")
    op, _ = vm.op("reconcile")
    assert op["ok"] is True
    assert "vCPU cpu-1 is no longer in QEMU: removed from the state" in op["report"]
    lib, _ = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0"]
    op, _ = vm.op("remove-vcpus", "1")
    assert op == {"op": "remove-vcpus", "ok": True, "removed": 1}
    assert_consistent(vm)


def test_remove_vcpu_event_before_reply(make_vm):
    vm = make_vm()
    vm.op("add-vcpus", "1")
    vm.add_fault(command="device_del", action="event-before-reply")
    op, _ = vm.op("remove-vcpus", "1")
    assert op == {"op": "remove-vcpus", "ok": True, "removed": 1}
    lib, _ = assert_consistent(vm)
    assert lib["vcpus"] == []
    res = vm.attach("add-vcpus", "1", "remove-vcpus", "1", expect_rc=0)
    assert [o["ok"] for o in res.ops] == [True, True]
    assert_consistent(vm)


def test_remove_vcpu_with_no_guest_is_refused(make_vm):
    vm = make_vm(env={"FAKEQEMU_GUEST": "absent"})
    op, _ = vm.op("add-vcpus", "1")
    assert op == {"op": "add-vcpus", "ok": True, "added": 1}
    want = {"op": "remove-vcpus", "ok": False, "removed": 0, "error": {
        "errno": errno.EREMOTEIO, "name": "EREMOTEIO", "class": "GenericError",
        "message": "acpi: device unplug request for not supported device type: "
                   f"{cpu_type(vm)}"}}
    for _ in range(2):  # the same again: still refused, nothing changed
        op, _ = vm.op("remove-vcpus", "1")
        assert op == want
        lib, qemu = assert_consistent(vm)
        assert hotplugged_cpu_ids(lib) == ["cpu-0"] == plugged_cpu_ids(qemu)


@pytest.mark.parametrize("version", ["5.2", "7.2", "10.0"])
def test_remove_vcpu_rejected_by_the_guest(make_vm, version):
    # The guest's _OST says no (every version has ACPI_DEVICE_OST): over at once.
    vm = make_vm(env={"FAKEQEMU_GUEST": "reject", "FAKEQEMU_VERSION": version})
    vm.op("add-vcpus", "1")
    for _ in range(2):
        started = time.monotonic()
        op, _ = vm.op("remove-vcpus", "1", timeout_ms=OP_TIMEOUT_MS)
        elapsed = time.monotonic() - started
        assert op == {"op": "remove-vcpus", "ok": False, "removed": 0, "error": {
            "errno": errno.EBUSY, "name": "EBUSY",
            "message": "device cpu-0: the guest refused to release it (ACPI _OST status "
                       "0x1); it stays plugged"}}
        assert elapsed < OP_TIMEOUT_MS / 1000 / 2, "the refusal ends the wait"
        lib, qemu = assert_consistent(vm)
        assert hotplugged_cpu_ids(lib) == ["cpu-0"] == plugged_cpu_ids(qemu)


# ---- devices: plain add and remove ---------------------------------------------------------

@pytest.mark.parametrize("kind", PCI_KINDS)
def test_pci_device_add_and_remove(make_vm, kind):
    vm = make_vm(kind)
    assert plug(vm, kind, "a0", 0) == "02/01"
    assert plug(vm, kind, "a1", 1) == "02/02"
    assert_plugged_at(vm, kind, "a0", 1)
    assert_plugged_at(vm, kind, "a1", 2)
    blockdel = vm.spy("blockdev-del", {"node-name": "drive-a0"})
    op, _ = vm.op(*remove_op(kind, "a0"))
    assert op == {"op": remove_op(kind, "a0")[0], "ok": True}
    assert vm.sent(blockdel) == (1 if kind in BLOCK_KINDS else 0)
    lib, _ = assert_absent(vm, "a0")
    assert lib["bridges"][0]["slots"] == {"2": "a1"}
    # The freed slot (the lowest) is taken again; the same id works again.
    assert plug(vm, kind, "a0", 0) == "02/01"
    assert_plugged_at(vm, kind, "a0", 1)


def test_vfio_host_address_forms(make_vm):
    vm = make_vm("vfio")
    op, _ = vm.op("add-vfio", "gpu0", "01:00.1")  # short form: domain 0000
    assert op == {"op": "add-vfio", "ok": True, "location": "02/01"}
    lib, qemu = assert_consistent(vm)
    assert qemu_device(qemu, "gpu0")["host"] == "0000:01:00.1"
    assert device_record(lib, "gpu0")["bdf"] in ("01:00.1", "0000:01:00.1")


@pytest.mark.parametrize("host, message", [
    ("0000:03:00.0", "vfio /sys/bus/pci/devices/0000:03:00.0: no such host device: "
                     "No such file or directory"),
    ("01:00.0", "vfio 0000:01:00.0: device is already attached"),
], ids=["unknown-host", "host-taken"])
def test_vfio_host_refused_by_qemu(make_vm, host, message):
    vm = make_vm("vfio")
    plug(vm, "vfio", "gpu0", 0)
    op, _ = vm.op("add-vfio", "gpu1", host)
    assert op == {"op": "add-vfio", "ok": False, "error": {
        "errno": errno.EREMOTEIO, "name": "EREMOTEIO", "class": "GenericError",
        "message": message}}
    lib, _ = assert_absent(vm, "gpu1")
    assert lib["bridges"][0]["slots"] == {"1": "gpu0"}, "the slot was freed"
    op, _ = vm.op("add-vfio", "gpu1", VFIO_HOSTS[2])
    assert op == {"op": "add-vfio", "ok": True, "location": "02/02"}
    assert_consistent(vm)


@pytest.mark.parametrize("index", [0, 1, 255, 256, 258, 65535])
def test_scsi_disk_location_is_index_over_256(make_vm, index):
    vm = make_vm("scsi-hd", bridges=0)
    op, _ = vm.op(*add_op(vm, "scsi-hd", "s0", index))
    assert op == {"op": "add-block", "ok": True, "location": location("scsi-hd", index)}
    assert_plugged_at(vm, "scsi-hd", "s0", index)
    op, _ = vm.op("remove-block", "s0")
    assert op == {"op": "remove-block", "ok": True}
    assert_absent(vm, "s0")


def test_scsi_disk_default_index_is_zero(make_vm):
    vm = make_vm("scsi-hd")
    op, _ = vm.op("add-block", "s0", vm.image("s0"))
    assert op == {"op": "add-block", "ok": True, "location": "scsi0.0:0:0"}
    lib, _ = assert_plugged_at(vm, "scsi-hd", "s0", 0)
    assert lib["bridges"][0]["slots"] == {}, "a SCSI disk takes no bridge slot"


def test_scsi_lun_in_use_is_qemus_error_and_rolled_back(make_vm):
    vm = make_vm("scsi-hd")
    plug(vm, "scsi-hd", "s0", 258)
    blockdel = vm.spy("blockdev-del", {"node-name": "drive-s1"})
    op, _ = vm.op(*add_op(vm, "scsi-hd", "s1", 258))
    assert op == {"op": "add-block", "ok": False, "error": {
        "errno": errno.EREMOTEIO, "name": "EREMOTEIO", "class": "GenericError",
        "message": "lun already used by 's0'"}}
    assert vm.sent(blockdel) == 1
    assert_absent(vm, "s1")
    assert plug(vm, "scsi-hd", "s1", 259) == "scsi0.0:1:3"
    assert_plugged_at(vm, "scsi-hd", "s1", 259)


def test_scsi_index_out_of_range(make_vm):
    vm = make_vm("scsi-hd")
    spies = [vm.spy("blockdev-add"), vm.spy("device_add")]
    res = vm.attach("add-block", "s9", vm.image("s9"), "65536")
    assert res.ops == [{"op": "add-block", "ok": False, "error": {
        "errno": errno.EINVAL, "name": "EINVAL",
        "message": "drive index 65536 is out of range: SCSI ids 0..255 with 256 LUNs each "
                   "allow 0..65535"}}], res
    assert [vm.sent(s) for s in spies] == [0, 0], "nothing was sent to QEMU"
    assert_absent(vm, "s9")
    assert plug(vm, "scsi-hd", "s9", 65535) == "scsi0.0:255:255"


# ---- devices: ids ------------------------------------------------------------------------

def test_unknown_id_removal(make_vm, tmp_path):
    cold = tmp_path / "root.img"
    cold.write_bytes(b"\0" * 65536)
    vm = make_vm(env=VFIO_ENV, devices=[{"kind": "drive", "id": "root", "path": str(cold)}])
    plug(vm, "virtio-blk", "d0")
    plug(vm, "vfio", "gpu0")
    dels = vm.spy("device_del")
    res = vm.attach("remove-block", "nope", "remove-vfio", "nope", "remove-block", "gpu0",
                    "remove-vfio", "d0", "remove-block", "root", keep_going=True)
    assert [o["error"] for o in res.ops] == [
        {"errno": errno.ENOENT, "name": "ENOENT", "message": m} for m in [
            "no hot-plugged block device 'nope'", "no hot-plugged VFIO device 'nope'",
            "no hot-plugged block device 'gpu0'", "no hot-plugged VFIO device 'd0'",
            "no hot-plugged block device 'root'"]]
    assert vm.sent(dels) == 0, "nothing was sent to QEMU"
    lib, _ = assert_consistent(vm, cold_ids=["root"])
    assert [d["unplugging"] for d in lib["devices"]] == [False, False]


def test_duplicate_id(make_vm, tmp_path):
    cold = tmp_path / "root.img"
    cold.write_bytes(b"\0" * 65536)
    vm = make_vm(env=VFIO_ENV, devices=[{"kind": "drive", "id": "root", "path": str(cold)}])
    plug(vm, "virtio-blk", "d0")
    plug(vm, "vfio", "gpu0")
    before = vm.state()
    spies = [vm.spy("blockdev-add"), vm.spy("device_add")]
    res = vm.attach("add-block", "d0", vm.image("d0"), "add-vfio", "d0", VFIO_HOSTS[1],
                    "add-block", "gpu0", vm.image("x"), "add-vfio", "gpu0", VFIO_HOSTS[1],
                    "add-block", "root", vm.image("y"), keep_going=True)
    already = "device id '{}' is already hot-plugged"
    assert [o["error"] for o in res.ops] == [
        {"errno": errno.EEXIST, "name": "EEXIST", "message": m} for m in [
            already.format("d0"), already.format("d0"), already.format("gpu0"),
            already.format("gpu0"), "device id 'root' is a cold-plugged device"]]
    assert [vm.sent(s) for s in spies] == [0, 0], "nothing was sent to QEMU"
    assert vm.state() == before
    assert_consistent(vm, cold_ids=["root"])


@pytest.mark.parametrize("dev_id", ["cpu-0", "pci-bridge-0", "serial0"])
def test_id_of_a_vcpu_or_qemudrv_device_is_in_use(make_vm, dev_id):
    vm = make_vm()
    vm.op("add-vcpus", "1")
    spies = [vm.spy("blockdev-add"), vm.spy("device_add")]
    op, _ = vm.op("add-block", dev_id, vm.image("x"))
    assert error_of(op)["errno"] == errno.EEXIST, op
    assert [vm.sent(s) for s in spies] == [0, 0], "nothing was sent to QEMU"
    assert_consistent(vm)


# ---- devices: bridges full ---------------------------------------------------------------

def test_bridges_full(make_vm):
    vm = make_vm(env=VFIO_ENV, bridges=1)
    ops = []
    for i in range(31):
        ops += ["add-block", f"d{i}", vm.image(f"d{i}")]
    res = vm.attach(*ops, expect_rc=0)
    assert [o["location"] for o in res.ops] == [f"02/{s:02x}" for s in range(1, 32)]
    lib, qemu = assert_consistent(vm)
    assert len(lib["bridges"][0]["slots"]) == 31
    nodes_before = sorted(n["node-name"] for n in qemu["block-nodes"])

    spies = [vm.spy("blockdev-add"), vm.spy("device_add")]
    res = vm.attach("add-block", "d31", vm.image("d31"), "add-vfio", "gpu0", VFIO_HOSTS[0],
                    keep_going=True)
    for op in res.ops:
        assert error_of(op) == {"errno": errno.ENOSPC, "name": "ENOSPC",
                                "message": "all 31 PCI bridge slots are in use"}
    assert [vm.sent(s) for s in spies] == [0, 0], "nothing was sent to QEMU"
    lib, qemu = assert_consistent(vm)
    assert sorted(n["node-name"] for n in qemu["block-nodes"]) == nodes_before
    assert device_record(lib, "d31") is None

    # A removal frees a slot; the retry of the same id takes it.
    op, _ = vm.op("remove-block", "d7")
    assert op["ok"] is True
    assert plug(vm, "virtio-blk", "d31") == "02/08"
    assert_plugged_at(vm, "virtio-blk", "d31", 8)


# ---- devices: faults on add ----------------------------------------------------------------

@pytest.mark.parametrize("kind", BLOCK_KINDS)
def test_add_block_blockdev_add_refused(make_vm, kind):
    vm = make_vm(kind)
    desc = f"Could not open '{vm.image('b0')}': Permission denied"
    vm.add_fault(command="blockdev-add", action="error", desc=desc)
    adds = vm.spy("device_add")
    op, _ = vm.op(*add_op(vm, kind, "b0", 3))
    assert op == {"op": "add-block", "ok": False, "error": {
        "errno": errno.EREMOTEIO, "name": "EREMOTEIO", "class": "GenericError",
        "message": desc}}
    assert vm.sent(adds) == 0
    lib, _ = assert_absent(vm, "b0")
    if kind == "virtio-blk":
        assert lib["bridges"][0]["slots"] == {}
    want = 3 if kind == "scsi-hd" else 1
    assert plug(vm, kind, "b0", 3) == location(kind, want)
    assert_plugged_at(vm, kind, "b0", want)


@pytest.mark.parametrize("kind", list(KINDS))
def test_add_device_refused_by_device_add(make_vm, kind):
    vm = make_vm(kind)
    plug(vm, kind, "x0", 0)  # something already there: the slot of the failure is freed
    desc = "fault: device_add refused"
    vm.add_fault(command="device_add", match={"id": "x1"}, action="error",
                 **{"class": "GenericError", "desc": desc})
    blockdel = vm.spy("blockdev-del", {"node-name": "drive-x1"})
    op, _ = vm.op(*add_op(vm, kind, "x1", 1))
    assert op == {"op": add_op(vm, kind, "x1")[0], "ok": False, "error": {
        "errno": errno.EREMOTEIO, "name": "EREMOTEIO", "class": "GenericError",
        "message": desc}}
    # The block node was deleted again: no orphan; the slot was freed.
    assert vm.sent(blockdel) == (1 if kind in BLOCK_KINDS else 0)
    lib, _ = assert_absent(vm, "x1")
    if kind != "scsi-hd":
        assert lib["bridges"][0]["slots"] == {"1": "x0"}
    want = 1 if kind == "scsi-hd" else 2
    assert plug(vm, kind, "x1", 1) == location(kind, want)
    assert_plugged_at(vm, kind, "x1", want)


def test_add_block_rollback_that_fails_is_cleaned_by_reconcile(make_vm):
    vm = make_vm()
    vm.add_fault(command="device_add", action="error", desc="fault: no device")
    vm.add_fault(command="blockdev-del", action="error", desc="fault: node stuck")
    op, _ = vm.op("add-block", "d0", vm.image("d0"))
    err = error_of(op)
    assert err["errno"] == errno.EREMOTEIO and err["class"] == "GenericError"
    assert err["message"] == ("fault: no device (and removing block node drive-d0 failed: "
                              "fault: node stuck)")
    # The node is left in QEMU; reconcile deletes it.
    op, _ = vm.op("reconcile")
    assert op["ok"] is True
    assert "deleted block node drive-d0, left by an interrupted hot-plug" in op["report"]
    assert_absent(vm, "d0")
    assert plug(vm, "virtio-blk", "d0") == "02/01"
    assert_plugged_at(vm, "virtio-blk", "d0", 1)


@pytest.mark.parametrize("kind", list(KINDS))
def test_add_device_reply_later_than_the_deadline(make_vm, kind):
    # device_add times out, but QEMU made the device: the library checks (qom-list)
    # once the late reply is out of the way, and records it.
    vm = make_vm(kind)
    vm.add_fault(command="device_add", action="delay", ms=REPLY_TIMEOUT_MS * 3 // 2)
    probe = vm.spy("qom-list")
    op, _ = vm.op(*add_op(vm, kind, "y0", 5), timeout_ms=REPLY_TIMEOUT_MS)
    want = 5 if kind == "scsi-hd" else 1
    assert op == {"op": add_op(vm, kind, "y0")[0], "ok": True, "location": location(kind, want)}
    assert vm.sent(probe) >= 1
    assert_plugged_at(vm, kind, "y0", want)
    op, _ = vm.op(*remove_op(kind, "y0"))
    assert op["ok"] is True
    assert_absent(vm, "y0")
    assert plug(vm, kind, "y0", 5) == location(kind, want)


def _reconciled_and_retried(vm, kind, dev_id, n):
    """After a lost device_add: reconcile, then state == QEMU, and the same op again works
    (or, if the device was adopted into the state, is refused as already plugged)."""
    op, _ = vm.op("reconcile")
    assert op["ok"] is True
    lib, _ = assert_consistent(vm)
    if kind == "vcpu":
        op, _ = vm.op("add-vcpus", "1")
        assert op == {"op": "add-vcpus", "ok": True, "added": 1}
    elif device_record(lib, dev_id) is None:
        op, _ = vm.op(*add_op(vm, kind, dev_id, n))
        assert op["ok"] is True, op
    else:
        op, _ = vm.op(*add_op(vm, kind, dev_id, n))
        assert error_of(op)["errno"] == errno.EEXIST
    assert_consistent(vm)


LOST_ADD_BUG = (
    "qemudrv bug: a device_add whose reply is lost (connection dropped, or a reply later "
    "than the qom-list check) may still have made the device, but nothing records it: "
    "src/hotplug_dev.c qd_vm_add_block() (line 216) / qd_vm_add_vfio() (line 274) and "
    "src/hotplug_cpu.c add_one() (line 68) write the state only after a successful reply, "
    "device_add() (hotplug_dev.c:110) gives up when its probe fails, and src/reconcile.c "
    "qd_vm_reconcile() only notes 'QEMU has device X, which the state does not record' "
    "(line 230) while delete_orphan_nodes() (line 120) skips the node because that device "
    "uses it. The device, its drive-X node and its bridge slot (or CPU slot) stay unknown "
    "for good and the retry fails ('Duplicate nodes with node-name', 'PCI: slot 1 function "
    "0 not available', 'Duplicate device ID cpu-0'). Fix: save the record as 'plugging' "
    "(id, node, bridge slot / vCPU slot) before device_add, and have reconcile (and the "
    "failure path, once the connection allows) keep it if QEMU has the device or undo it "
    "(blockdev-del, free the slot) if not")


@pytest.mark.parametrize("kind", ["vcpu", *KINDS])
def test_connection_dropped_on_device_add(make_vm, kind):
    vm = make_vm("virtio-blk" if kind == "vcpu" else kind)
    vm.add_fault(command="device_add", action="drop")
    args = ["add-vcpus", "1"] if kind == "vcpu" else add_op(vm, kind, "z0", 2)
    op, _ = vm.op(*args)
    assert error_of(op)["errno"] in (errno.ECONNRESET, errno.EPIPE)
    _reconciled_and_retried(vm, kind, "z0", 2)


@pytest.mark.parametrize("kind", list(KINDS))
def test_add_device_reply_later_than_the_check(make_vm, kind):
    # So late that the qom-list check times out too: the library cannot know.
    vm = make_vm(kind)
    vm.add_fault(command="device_add", action="delay", ms=REPLY_TIMEOUT_MS * 5 // 2)
    op, _ = vm.op(*add_op(vm, kind, "z0", 2), timeout_ms=REPLY_TIMEOUT_MS)
    assert error_of(op)["errno"] == errno.ETIMEDOUT
    _reconciled_and_retried(vm, kind, "z0", 2)


@pytest.mark.parametrize("kind", list(KINDS))
def test_qemu_crash_on_device_add(make_vm, kind):
    vm = make_vm(kind)
    vm.add_fault(command="device_add", action="crash")
    op, _ = vm.op(*add_op(vm, kind, "c0", 4))
    err = error_of(op)
    assert err["errno"] in (errno.ECONNRESET, errno.EPIPE)
    assert "QEMU" in err["message"] and "class" not in err
    # The state file is still valid and records the device as plugging: whether QEMU
    # made it is unknown (QEMU died); the next start forgets it.
    lib = vm.state()
    assert device_record(lib, "c0")["plugging"] is True
    res = vm.run("attach")
    assert error_of(res[0])["errno"] == errno.ESRCH
    res = vm.run("start", *add_op(vm, kind, "c0", 4), expect_rc=0)
    want = 4 if kind == "scsi-hd" else 1
    assert res[1] == {"op": add_op(vm, kind, "c0")[0], "ok": True,
                      "location": location(kind, want)}
    assert_plugged_at(vm, kind, "c0", want)


def test_start_after_a_crash_forgets_the_dead_qemus_devices(make_vm):
    vm = make_vm("vfio")
    res = vm.attach("add-vcpus", "3", *add_op(vm, "virtio-blk", "d0"),
                    *add_op(vm, "vfio", "gpu0"), expect_rc=0)
    vm.add_fault(command="device_add", action="crash")
    op, _ = vm.op(*add_op(vm, "virtio-blk", "d1"))
    assert error_of(op)["errno"] in (errno.ECONNRESET, errno.EPIPE)
    vm.run("start", expect_rc=0)
    lib, _ = assert_consistent(vm)
    assert lib["vcpus"] == [] and lib["devices"] == []
    res = vm.attach("add-vcpus", "3", *add_op(vm, "virtio-blk", "d0"), expect_rc=0)
    assert res[0]["added"] == 3 and res[1]["location"] == "02/01"
    assert_consistent(vm)


def test_reconcile_after_restart_following_a_crash(make_vm):
    # start forgets what died with the old QEMU; reconcile then finds nothing to fix.
    vm = make_vm()
    vm.attach("add-vcpus", "2", *add_op(vm, "virtio-blk", "d0"), expect_rc=0)
    vm.add_fault(command="device_add", action="crash")
    vm.op(*add_op(vm, "virtio-blk", "d1"))
    res = vm.run("start", "reconcile", expect_rc=0)
    assert res[1]["report"] == ""
    lib, _ = assert_consistent(vm)
    assert lib["vcpus"] == [] and lib["devices"] == []
    res = vm.attach("add-vcpus", "3", *add_op(vm, "virtio-blk", "d0"),
                    *add_op(vm, "virtio-blk", "d1"), expect_rc=0)
    assert res[0]["added"] == 3 and [r["location"] for r in res.ops[1:]] == ["02/01", "02/02"]
    assert_consistent(vm)


# ---- devices: faults on remove ---------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
def test_remove_device_refused_by_device_del(make_vm, kind):
    vm = make_vm(kind)
    plug(vm, kind, "r0", 7)
    vm.add_fault(command="device_del", action="error",
                 **{"class": "GenericError", "desc": "Bus 'pci-bridge-0' is busy"})
    blockdel = vm.spy("blockdev-del")
    op, _ = vm.op(*remove_op(kind, "r0"))
    assert op == {"op": remove_op(kind, "r0")[0], "ok": False, "error": {
        "errno": errno.EREMOTEIO, "name": "EREMOTEIO", "class": "GenericError",
        "message": "Bus 'pci-bridge-0' is busy"}}
    assert vm.sent(blockdel) == 0
    want = 7 if kind == "scsi-hd" else 1
    lib, qemu = assert_plugged_at(vm, kind, "r0", want)
    assert device_record(lib, "r0")["unplugging"] is False, "refused: it stays plugged"
    assert qemu_device(qemu, "r0")["unplug-pending"] is False
    op, _ = vm.op(*remove_op(kind, "r0"))
    assert op == {"op": remove_op(kind, "r0")[0], "ok": True}
    assert_absent(vm, "r0")


@pytest.mark.parametrize("kind", list(KINDS))
def test_remove_device_without_event_is_confirmed_by_qom_list(make_vm, kind):
    vm = make_vm(kind)
    plug(vm, kind, "r0")
    vm.add_fault(command="device_del", action="no-event")
    probe = vm.spy("qom-list")
    op, _ = vm.op(*remove_op(kind, "r0"), timeout_ms=SHORT_TIMEOUT_MS)
    assert op == {"op": remove_op(kind, "r0")[0], "ok": True}
    assert vm.sent(probe) >= 1
    lib, _ = assert_absent(vm, "r0")
    assert all(not s for b in lib["bridges"] for s in b["slots"].values())
    # Again with the same id, without the fault.
    res = vm.attach(*add_op(vm, kind, "r0"), *remove_op(kind, "r0"), expect_rc=0)
    assert [o["ok"] for o in res.ops] == [True, True]
    assert_absent(vm, "r0")


@pytest.mark.parametrize("kind", PCI_KINDS)
def test_remove_device_event_later_than_the_deadline(make_vm, kind):
    vm = make_vm(kind)
    plug(vm, kind, "r0")
    vm.add_fault(command="device_del", action="delay-event", ms=LATE_EVENT_MS)
    op, _ = vm.op(*remove_op(kind, "r0"), timeout_ms=SHORT_TIMEOUT_MS)
    err = error_of(op)
    assert err["errno"] == errno.ETIMEDOUT and "r0" in err["message"]
    lib, qemu = assert_plugged_at(vm, kind, "r0", 1)
    assert device_record(lib, "r0")["unplugging"] is True
    assert qemu_device(qemu, "r0")["unplug-pending"] is True
    # The guest finishes later; `attach reconcile` finishes the unplug.
    vm.wait_device_gone("r0")
    op, _ = vm.op("reconcile")
    assert op["ok"] is True
    assert "device r0: its unplug completed; finished it" in op["report"]
    lib, _ = assert_absent(vm, "r0")
    assert lib["bridges"][0]["slots"] == {}
    assert plug(vm, kind, "r0") == "02/01"
    assert_plugged_at(vm, kind, "r0", 1)


@pytest.mark.parametrize("kind", PCI_KINDS)
def test_remove_device_again_after_the_late_event(make_vm, kind):
    # The other way to finish a timed-out unplug: the same removal again (DeviceNotFound).
    vm = make_vm(kind)
    plug(vm, kind, "r0")
    vm.add_fault(command="device_del", action="delay-event", ms=LATE_EVENT_MS)
    op, _ = vm.op(*remove_op(kind, "r0"), timeout_ms=SHORT_TIMEOUT_MS)
    assert error_of(op)["errno"] == errno.ETIMEDOUT
    vm.wait_device_gone("r0")
    op, _ = vm.op(*remove_op(kind, "r0"))
    assert op == {"op": remove_op(kind, "r0")[0], "ok": True}
    assert_absent(vm, "r0")


def test_scsi_remove_event_later_than_the_deadline(make_vm):
    # SCSI unplug is synchronous: the disk is gone at once, only its event is late.
    vm = make_vm("scsi-hd")
    plug(vm, "scsi-hd", "r0", 9)
    vm.add_fault(command="device_del", action="delay-event", ms=LATE_EVENT_MS)
    op, _ = vm.op("remove-block", "r0", timeout_ms=SHORT_TIMEOUT_MS)
    assert op == {"op": "remove-block", "ok": True}
    assert_absent(vm, "r0")
    assert plug(vm, "scsi-hd", "r0", 9) == "scsi0.0:0:9"
    assert_plugged_at(vm, "scsi-hd", "r0", 9)


@pytest.mark.parametrize("kind", list(KINDS))
def test_remove_device_event_before_reply(make_vm, kind):
    vm = make_vm(kind)
    plug(vm, kind, "r0")
    vm.add_fault(command="device_del", action="event-before-reply")
    op, _ = vm.op(*remove_op(kind, "r0"))
    assert op == {"op": remove_op(kind, "r0")[0], "ok": True}
    assert_absent(vm, "r0")
    assert plug(vm, kind, "r0") == location(kind, 0 if kind == "scsi-hd" else 1)


@pytest.mark.parametrize("kind", list(KINDS))
def test_remove_device_qemu_no_longer_has(make_vm, kind):
    # Unplugged behind the library's back: device_del answers DeviceNotFound = removed.
    vm = make_vm(kind)
    plug(vm, kind, "r0")
    with vm.qmp() as c:
        c.execute("device_del", {"id": "r0"})
        c.wait_event("DEVICE_DELETED", data={"device": "r0"})
    op, _ = vm.op(*remove_op(kind, "r0"))
    assert op == {"op": remove_op(kind, "r0")[0], "ok": True}
    assert_absent(vm, "r0")


@pytest.mark.parametrize("kind", PCI_KINDS)
@pytest.mark.parametrize("guest", ["absent"])
def test_remove_pci_device_guest_does_not_release(make_vm, kind, guest):
    # A guest that refuses is another story: test_guest_refusal_fails_the_removal_at_once.
    vm = make_vm(kind, env={"FAKEQEMU_GUEST": guest})
    plug(vm, kind, "r0")
    for _ in range(2):  # the same again: same outcome, the state still right
        op, _ = vm.op(*remove_op(kind, "r0"), timeout_ms=SHORT_TIMEOUT_MS)
        err = error_of(op)
        assert err["errno"] == errno.ETIMEDOUT, op
        assert err["message"] == (
            f"device r0: QEMU did not confirm the unplug within {SHORT_TIMEOUT_MS} ms (the "
            "guest did not release it); it stays recorded as unplugging")
        lib, qemu = assert_plugged_at(vm, kind, "r0", 1)
        assert device_record(lib, "r0")["unplugging"] is True
        if guest == "absent":
            assert qemu_device(qemu, "r0")["unplug-pending"] is True
    # Nothing was freed: the next device takes the next slot.
    assert plug(vm, kind, "r1", 1) == "02/02"
    assert_consistent(vm)


@pytest.mark.parametrize("guest", ["absent", "reject"])
def test_remove_scsi_disk_needs_no_guest(make_vm, guest):
    vm = make_vm("scsi-hd", env={"FAKEQEMU_GUEST": guest})
    plug(vm, "scsi-hd", "r0", 1)
    op, _ = vm.op("remove-block", "r0")
    assert op == {"op": "remove-block", "ok": True}
    assert_absent(vm, "r0")


# ---- hardening: replies lost, bytes QEMU cannot parse, ids in use, guests that refuse ------

@pytest.mark.parametrize("version", ["7.2", "10.0"])
@pytest.mark.parametrize("kind", PCI_KINDS)
def test_guest_refusal_fails_the_removal_at_once(make_vm, kind, version):
    # DEVICE_UNPLUG_GUEST_ERROR (QEMU 6.2 on): the removal fails when it comes, not at its
    # deadline, and the state says what QEMU says: plugged, no unplug pending.
    vm = make_vm(kind, env={"FAKEQEMU_GUEST": "reject", "FAKEQEMU_VERSION": version})
    plug(vm, kind, "r0")
    for _ in range(2):  # the same again: the same refusal
        started = time.monotonic()
        op, _ = vm.op(*remove_op(kind, "r0"), timeout_ms=OP_TIMEOUT_MS)
        elapsed = time.monotonic() - started
        assert op == {"op": remove_op(kind, "r0")[0], "ok": False, "error": {
            "errno": errno.EBUSY, "name": "EBUSY",
            "message": "device r0: the guest refused to release it "
                       "(DEVICE_UNPLUG_GUEST_ERROR); it stays plugged"}}
        assert elapsed < OP_TIMEOUT_MS / 1000 / 2, "the refusal ends the wait"
        lib, qemu = assert_plugged_at(vm, kind, "r0", 1)
        assert device_record(lib, "r0")["unplugging"] is False
        assert qemu_device(qemu, "r0")["unplug-pending"] is False
        op, _ = vm.op("reconcile")
        assert op == {"op": "reconcile", "ok": True, "report": ""}
        lib, _ = assert_plugged_at(vm, kind, "r0", 1)
        assert device_record(lib, "r0")["unplugging"] is False
    assert plug(vm, kind, "r1", 1) == "02/02"
    assert_consistent(vm)


@pytest.mark.parametrize("what", ["path", "id", "bdf"])
def test_bytes_that_are_not_utf8_are_refused_before_anything_is_sent(make_vm, what):
    # QEMU answers invalid UTF-8 with a parse error that has no id; the library must never
    # send it: -EINVAL, and the same connection goes on (the next op in the same qdctl).
    vm = make_vm("vfio" if what == "bdf" else "virtio-blk")
    bad = b"\xff\xfe-\xc3("
    if what == "path":
        args = [b"add-block", b"b0", vm.image("b0").encode() + bad]
    elif what == "id":
        args = [b"add-block", b"b" + bad, vm.image("b0").encode()]
    else:
        args = [b"add-vfio", b"g0", b"0000:01:00." + bad]
    good = add_op(vm, "vfio" if what == "bdf" else "virtio-blk", "ok0")
    res = vm.attach(*args, *good, keep_going=True)
    err = error_of(res[0])
    assert err["errno"] == errno.EINVAL, res
    assert "UTF-8" in err["message"] or "not valid" in err["message"], err
    assert res[1]["ok"] is True, res
    lib, _ = assert_consistent(vm)
    assert [d["id"] for d in lib["devices"]] == ["ok0"]


@pytest.mark.parametrize("fault", ["drop", "delay"])
def test_lost_blockdev_add_reply_leaves_nothing_behind(make_vm, fault):
    # The reply to blockdev-add is lost (connection dropped, or later than the deadline):
    # the intent was recorded first, so the node it made is removed and a retry with the
    # same id works, with no reconcile in between.
    vm = make_vm()
    if fault == "drop":
        vm.add_fault(command="blockdev-add", action="drop")
    else:
        vm.add_fault(command="blockdev-add", action="delay", ms=REPLY_TIMEOUT_MS * 3 // 2)
    op, _ = vm.op("add-block", "b0", vm.image("b0"), timeout_ms=REPLY_TIMEOUT_MS)
    err = error_of(op)
    if fault == "drop":
        assert err["errno"] in (errno.ECONNRESET, errno.EPIPE), op
        assert "recorded as plugging" in err["message"], op
        assert device_record(vm.state(), "b0")["plugging"] is True
    else:
        assert err["errno"] == errno.ETIMEDOUT, op
        assert err["message"].endswith(
            "QEMU has no device b0 and what the step made was removed"), op
        assert_absent(vm, "b0")
    op, _ = vm.op("add-block", "b0", vm.image("b0"))
    assert op == {"op": "add-block", "ok": True, "location": "02/01"}, op
    assert_plugged_at(vm, "virtio-blk", "b0", 1)


def test_lost_blockdev_add_reply_retried_in_the_same_process(make_vm):
    # The dropped connection is mended by the next operation of the same handle.
    vm = make_vm()
    vm.add_fault(command="blockdev-add", action="drop")
    res = vm.attach("add-block", "b0", vm.image("b0"), "add-block", "b0", vm.image("b0"),
                    keep_going=True)
    assert error_of(res[0])["errno"] in (errno.ECONNRESET, errno.EPIPE), res
    assert res[1] == {"op": "add-block", "ok": True, "location": "02/01"}, res
    assert_plugged_at(vm, "virtio-blk", "b0", 1)


@pytest.mark.parametrize("kind", ["virtio-blk", "vfio"])
def test_device_id_in_the_vcpu_namespace_is_refused(make_vm, kind):
    # A device called cpu-N would block the vCPU hot-add that picks that id.
    vm = make_vm(kind)
    spies = [vm.spy("blockdev-add"), vm.spy("device_add")]
    args = (["add-vfio", "cpu-1", VFIO_HOSTS[0]] if kind == "vfio"
            else ["add-block", "cpu-1", vm.image("c")])
    op, _ = vm.op(*args)
    assert error_of(op) == {"errno": errno.EINVAL, "name": "EINVAL",
                            "message": "device id 'cpu-1' is reserved for hot-plugged vCPUs "
                                       "(cpu-N)"}
    assert [vm.sent(s) for s in spies] == [0, 0]
    op, _ = vm.op("add-vcpus", "3")
    assert op == {"op": "add-vcpus", "ok": True, "added": 3}
    lib, _ = assert_consistent(vm)
    assert hotplugged_cpu_ids(lib) == ["cpu-0", "cpu-1", "cpu-2"]


def test_add_vcpus_uint_max_is_clamped(make_vm):
    vm = make_vm()
    op, res = vm.op("add-vcpus", "4294967295", verbose=True)
    assert op == {"op": "add-vcpus", "ok": True, "added": 3}
    assert "cannot hot-add 4294967295 vCPUs: the VM has 1 of at most 4; adding 3" in res.stderr
    assert_consistent(vm)
