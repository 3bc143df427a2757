"""fakeqemu's guest model (-fake-guest cooperative|absent|slow=MS|reject): what
device_del does for virtio-blk-pci, vfio-pci, scsi-hd and CPUs, by run state
and QEMU version. The expected events and errors are those recorded from real
QEMU in shared/reference/qmp-behaviour.md section 4.

Waits use deadlines on socket reads; "no event" is a bounded watch, not a sleep.
"""
import time

import pytest

from fakeqemu_client import QmpError, add_scsi_hd, add_virtio_blk, device, device_ids

# How long "nothing arrives" is watched for.
QUIET = 0.3
CPU_TYPE = "qemu64-x86_64-cpu"


def guest_args(guest, version="7.2", *more):
    return ["-fake-guest", guest, "-fake-version", version, *more]


def pci_slots(state, bus="pci.0"):
    for b in state["pci-buses"]:
        if b["name"] == bus:
            return b["slots"]
    raise KeyError(bus)


def index_of(msgs, pred):
    for i, m in enumerate(msgs):
        if pred(m):
            return i
    raise AssertionError(f"not found in {msgs}")


# ---- PCI: virtio-blk-pci ---------------------------------------------------------------

@pytest.mark.parametrize("version", ["5.2", "7.2", "10.0"])
def test_cooperative_virtio_blk_unplug(launch, version):
    fq = launch(guest_args("cooperative", version))
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0", node="drive0")
    st = fq.state(c)
    assert pci_slots(st)["02.0"] == "vb0"
    n = len(c.messages)
    rid = c.send("device_del", {"id": "vb0"})
    assert c.recv_reply(rid) == {"return": {}, "id": rid}
    first = c.wait_event("DEVICE_DELETED")
    second = c.wait_event("DEVICE_DELETED")
    assert first["data"] == {"path": "/machine/peripheral/vb0/virtio-backend"}
    assert second["data"] == {"device": "vb0", "path": "/machine/peripheral/vb0"}
    msgs = c.messages[n:]
    # Both events come after device_del's return.
    assert index_of(msgs, lambda m: m.get("id") == rid) < \
        index_of(msgs, lambda m: m.get("event") == "DEVICE_DELETED")
    c.assert_no_event("DEVICE_DELETED", 0.1)
    st = fq.state(c)
    assert "vb0" not in device_ids(st)
    assert "02.0" not in pci_slots(st)
    assert [n["device"] for n in st["block-nodes"] if n["node-name"] == "drive0"] == [None]
    # The id, the node and the slot can be used again.
    assert c.execute("device_add", {"driver": "virtio-blk-pci", "id": "vb0",
                                    "drive": "drive0"}) == {}
    assert pci_slots(fq.state(c))["02.0"] == "vb0"


@pytest.mark.parametrize("version", ["7.2", "10.0"])
def test_absent_guest_never_completes(launch, version):
    fq = launch(guest_args("absent", version))
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0")
    assert c.execute("device_del", {"id": "vb0"}) == {}
    c.assert_no_event("DEVICE_DELETED", QUIET)
    d = device(fq.state(c), "vb0")
    assert d["unplug-pending"] is True
    # The slot stays taken.
    rsp = c.command("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "addr": "2",
                                   "drive": "drive-vb0"})
    assert rsp["error"]["desc"] == ("PCI: slot 2 function 0 not available for virtio-blk-pci, "
                                    "in use by virtio-blk-pci,id=vb0")
    # A retry once more than 1 ms of guest time has passed is accepted, and
    # still nothing happens.
    assert c.execute("device_del", {"id": "vb0"}) == {}
    c.assert_no_event("DEVICE_DELETED", QUIET)
    assert "vb0" in device_ids(fq.state(c))


def test_guest_from_environment_and_option(launch):
    fq = launch(env={"FAKEQEMU_GUEST": "absent"})
    assert fq.state()["guest"] == "absent"
    # The option wins over the variable.
    fq = launch(["-fake-guest", "reject"], env={"FAKEQEMU_GUEST": "absent"})
    assert fq.state()["guest"] == "reject"
    fq = launch()
    assert fq.state()["guest"] == "cooperative"


def test_slow_guest(launch):
    fq = launch(guest_args("slow=400"))
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0")
    t0 = time.monotonic()
    assert c.execute("device_del", {"id": "vb0"}) == {}
    ev = c.wait_event("DEVICE_DELETED", timeout=3, data={"device": "vb0"})
    assert time.monotonic() - t0 >= 0.4
    assert ev["data"]["path"] == "/machine/peripheral/vb0"
    # The backend's event came first.
    assert c.all_events[-2]["data"] == {"path": "/machine/peripheral/vb0/virtio-backend"}


@pytest.mark.parametrize("version", ["7.2", "10.0"])
def test_reject_sends_unplug_guest_error(launch, version):
    fq = launch(guest_args("reject", version))
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0")
    assert c.execute("device_del", {"id": "vb0"}) == {}
    ev = c.wait_event("DEVICE_UNPLUG_GUEST_ERROR")
    assert ev["data"] == {"device": "vb0", "path": "/machine/peripheral/vb0"}
    c.assert_no_event("DEVICE_DELETED", QUIET)
    d = device(fq.state(c), "vb0")
    assert d is not None and d["unplug-pending"] is False


def test_reject_on_5_2_is_silent(launch):
    fq = launch(guest_args("reject", "5.2"))
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0")
    assert c.execute("device_del", {"id": "vb0"}) == {}
    assert [m for m in c.collect(QUIET) if "event" in m] == []
    assert device(fq.state(c), "vb0")["unplug-pending"] is False


def test_never_ran_request_is_lost(launch):
    fq = launch(guest_args("cooperative"), paused=True)
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0")
    assert c.execute("device_del", {"id": "vb0"}) == {}
    with pytest.raises(QmpError) as e:
        c.execute("device_del", {"id": "vb0"})
    assert (e.value.cls, e.value.desc) == (
        "GenericError", "Device vb0 is already in the process of unplug")
    c.execute("cont")
    c.wait_event("RESUME")
    # Linux cleared the GPE at boot: the request is gone, and retries still fail.
    c.assert_no_event("DEVICE_DELETED", QUIET)
    with pytest.raises(QmpError) as e:
        c.execute("device_del", {"id": "vb0"})
    assert e.value.desc == "Device vb0 is already in the process of unplug"
    assert device(fq.state(c), "vb0")["unplug-pending"] is True
    # A later hot-plug makes the guest rescan the bus: vb0 goes then.
    add_virtio_blk(fq, c, "vb1")
    ev = c.wait_event("DEVICE_DELETED", data={"device": "vb0"})
    assert ev["data"]["path"] == "/machine/peripheral/vb0"
    assert device_ids(fq.state(c)) == ["vb1"]


def test_paused_vm_completes_after_cont(launch):
    fq = launch(guest_args("cooperative"))
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0")
    c.execute("stop")
    c.wait_event("STOP")
    assert c.execute("device_del", {"id": "vb0"}) == {}
    c.assert_no_event("DEVICE_DELETED", QUIET)
    # Recorded from 7.2 with a Linux guest (tests/conformance/guest): a retry while
    # paused is accepted too, and still only one pair of events follows cont.
    assert c.execute("device_del", {"id": "vb0"}) == {}
    assert device(fq.state(c), "vb0")["unplug-pending"] is True
    c.execute("cont")
    c.wait_event("DEVICE_DELETED", data={"device": "vb0"})
    names = [e["event"] for e in c.all_events]
    assert names[names.index("RESUME"):] == ["RESUME", "DEVICE_DELETED", "DEVICE_DELETED"]
    assert "vb0" not in device_ids(fq.state(c))


# ---- CPUs --------------------------------------------------------------------------------

def free_cpu_slots(c):
    return [e["props"] for e in c.execute("query-hotpluggable-cpus") if "qom-path" not in e]


def plug_cpu(c, cpu_id="cpu1"):
    (props,) = free_cpu_slots(c)
    c.execute("device_add", {"driver": CPU_TYPE, "id": cpu_id, **props})
    return props


def ost(slot, source, status, dev=None):
    info = {"slot": str(slot), "slot-type": "CPU", "source": source, "status": status}
    if dev:
        info["device"] = dev
    return {"info": info}


def test_cpu_hotplug_and_unplug_cooperative(launch):
    fq = launch(guest_args("cooperative", "7.2", "-smp", "1,maxcpus=2"))
    c = fq.connect()
    props = plug_cpu(c, "cpu1")
    assert props == {"socket-id": 0, "core-id": 1, "thread-id": 0}
    ev = c.wait_event("ACPI_DEVICE_OST")
    assert ev["data"] == ost(1, 1, 0, "cpu1")
    assert free_cpu_slots(c) == []
    assert len(c.execute("query-cpus-fast")) == 2

    n = len(c.all_events)
    rid = c.send("device_del", {"id": "cpu1"})
    assert c.recv_reply(rid) == {"return": {}, "id": rid}
    c.wait_event("ACPI_DEVICE_OST", data={"info": ost(1, 3, 0)["info"]})
    evs = [(e["event"], e.get("data")) for e in c.all_events[n:]]
    assert evs == [
        ("ACPI_DEVICE_OST", ost(1, 3, 132, "cpu1")),
        ("DEVICE_DELETED", {"path": "/machine/peripheral/cpu1/lapic"}),
        ("ACPI_DEVICE_OST", ost(1, 3, 0)),
    ]
    # As observed on 7.2: the CPU's own DEVICE_DELETED never comes.
    c.assert_no_event("DEVICE_DELETED", QUIET, {"device": "cpu1"})
    assert free_cpu_slots(c) == [props]
    assert [e["cpu-index"] for e in c.execute("query-cpus-fast")] == [0]
    st = fq.state(c)
    assert "cpu1" not in device_ids(st)
    assert [cpu["plugged"] for cpu in st["cpus"]] == [True, False]


def test_cold_plugged_cpu_unplugs_by_qom_path(launch):
    fq = launch(guest_args("cooperative", "7.2", "-smp", "2"))
    c = fq.connect()
    slots = {e["props"]["core-id"]: e.get("qom-path") for e in
             c.execute("query-hotpluggable-cpus")}
    assert slots == {0: "/machine/unattached/device[0]", 1: "/machine/unattached/device[2]"}
    with pytest.raises(QmpError) as e:
        c.execute("device_del", {"id": slots[0]})
    assert e.value.desc == "Boot CPU is unpluggable"
    assert c.execute("device_del", {"id": slots[1]}) == {}
    c.wait_event("DEVICE_DELETED", data={"path": slots[1] + "/lapic"})
    c.wait_event("ACPI_DEVICE_OST", data={"info": ost(1, 3, 0)["info"]})
    assert free_cpu_slots(c) == [{"socket-id": 0, "core-id": 1, "thread-id": 0}]


@pytest.mark.parametrize("version", ["7.2", "5.2"])
def test_cpu_unplug_rejected_by_guest(launch, version):
    fq = launch(guest_args("reject", version, "-smp", "1,maxcpus=2"))
    c = fq.connect()
    plug_cpu(c, "cpu1")
    c.wait_event("ACPI_DEVICE_OST")
    assert c.execute("device_del", {"id": "cpu1"}) == {}
    ev = c.wait_event("ACPI_DEVICE_OST")
    assert ev["data"] == ost(1, 3, 1, "cpu1")
    if version == "5.2":
        c.assert_no_event("DEVICE_UNPLUG_GUEST_ERROR", QUIET)
    else:
        ev = c.wait_event("DEVICE_UNPLUG_GUEST_ERROR")
        assert ev["data"] == {"device": "cpu1", "path": "/machine/peripheral/cpu1"}
    c.assert_no_event("DEVICE_DELETED", 0.1)
    assert device(fq.state(c), "cpu1")["unplug-pending"] is False
    assert free_cpu_slots(c) == []


@pytest.mark.parametrize("guest,paused", [("absent", False), ("cooperative", True)])
def test_cpu_unplug_refused_without_guest_acpi(launch, guest, paused):
    fq = launch(guest_args(guest, "7.2", "-smp", "1,maxcpus=2"), paused=paused)
    c = fq.connect()
    plug_cpu(c, "cpu1")
    # No OS: the hot-plug is not acknowledged either.
    c.assert_no_event("ACPI_DEVICE_OST", QUIET)
    with pytest.raises(QmpError) as e:
        c.execute("device_del", {"id": "cpu1"})
    assert (e.value.cls, e.value.desc) == (
        "GenericError",
        f"acpi: device unplug request for not supported device type: {CPU_TYPE}")
    assert "cpu1" in device_ids(fq.state(c))
    assert free_cpu_slots(c) == []


# ---- scsi-hd: synchronous --------------------------------------------------------------

@pytest.mark.parametrize("guest,paused", [("absent", False), ("cooperative", True)])
def test_scsi_hd_unplug_is_synchronous(launch, guest, paused):
    fq = launch(guest_args(guest), paused=paused)
    c = fq.connect()
    add_scsi_hd(fq, c, "sd0")
    n = len(c.messages)
    rid = c.send("device_del", {"id": "sd0"})
    assert c.recv_reply(rid) == {"return": {}, "id": rid}
    # Gone already when the reply came, whatever the guest.
    st = fq.state(c)
    assert "sd0" not in device_ids(st)
    assert "scsi0" in device_ids(st)
    ev = c.wait_event("DEVICE_DELETED", timeout=1)
    assert ev["data"] == {"device": "sd0", "path": "/machine/peripheral/sd0"}
    msgs = c.messages[n:]
    assert msgs[0]["id"] == rid, "DEVICE_DELETED came before the return"
    c.assert_no_event("DEVICE_DELETED", 0.1)


# ---- vfio-pci ----------------------------------------------------------------------------

HOSTS = {"FAKEQEMU_VFIO_HOSTS": "0000:01:00.0,0000:02:00.0"}


def test_vfio_plug_and_cooperative_unplug(launch):
    fq = launch(guest_args("cooperative"), env=HOSTS)
    c = fq.connect()
    assert c.execute("device_add", {"driver": "vfio-pci", "id": "hostdev0",
                                    "host": "01:00.0"}) == {}
    d = device(fq.state(c), "hostdev0")
    assert (d["host"], d["bus"], d["slot"]) == ("0000:01:00.0", "pci.0", 2)
    with pytest.raises(QmpError) as e:
        c.execute("device_add", {"driver": "vfio-pci", "id": "hostdev1",
                                 "host": "0000:01:00.0"})
    assert e.value.desc == "vfio 0000:01:00.0: device is already attached"
    assert c.execute("device_add", {"driver": "vfio-pci", "id": "hostdev1",
                                    "host": "0000:02:00.0"}) == {}

    n = len(c.all_events)
    assert c.execute("device_del", {"id": "hostdev0"}) == {}
    c.wait_event("DEVICE_DELETED", data={"device": "hostdev0"})
    # Not virtio: a single event, no virtio-backend child.
    assert [e["data"] for e in c.all_events[n:]] == [
        {"device": "hostdev0", "path": "/machine/peripheral/hostdev0"}]
    st = fq.state(c)
    assert device_ids(st) == ["hostdev1"]
    assert "02.0" not in pci_slots(st)
    # The host device is free again.
    assert c.execute("device_add", {"driver": "vfio-pci", "id": "hostdev0",
                                    "host": "0000:01:00.0"}) == {}


@pytest.mark.parametrize("env", [HOSTS, {}])
def test_vfio_unknown_host(launch, env):
    fq = launch(env=env)
    c = fq.connect()
    host = "0000:03:00.0" if env else "0000:01:00.0"
    with pytest.raises(QmpError) as e:
        c.execute("device_add", {"driver": "vfio-pci", "id": "hostdev0", "host": host})
    assert (e.value.cls, e.value.desc) == (
        "GenericError",
        f"vfio /sys/bus/pci/devices/{host}: no such host device: No such file or directory")
    assert device_ids(fq.state(c)) == []


# ---- memory devices ----------------------------------------------------------------------
# (a cooperative guest against a Linux guest: conformance dimm-hotplug, dimm-unplug, virtio-mem)

MEM = ["-m", "256M,slots=2,maxmem=2G", "-object", "memory-backend-ram,id=m1,size=128M",
       "-object", "memory-backend-ram,id=v1,size=512M"]


def dimm_ost(source, status, dev="d1", slot="0"):
    info = {"source": source, "status": status, "slot": slot, "slot-type": "DIMM"}
    if dev:
        info["device"] = dev
    return {"info": info}


@pytest.mark.parametrize("version", ["7.2", "10.0"])
def test_reject_refuses_dimm_unplug(launch, version):
    fq = launch(guest_args("reject", version, *MEM))
    c = fq.connect()
    assert c.execute("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}) == {}
    assert c.wait_event("ACPI_DEVICE_OST")["data"] == dimm_ost(1, 0)
    assert c.execute("device_del", {"id": "d1"}) == {}
    assert c.wait_event("ACPI_DEVICE_OST")["data"] == dimm_ost(3, 1)
    ev = c.wait_event("DEVICE_UNPLUG_GUEST_ERROR")
    assert ev["data"] == {"device": "d1", "path": "/machine/peripheral/d1"}
    c.assert_no_event("DEVICE_DELETED", QUIET)
    assert [m["data"]["id"] for m in c.execute("query-memory-devices")] == ["d1"]
    # The slot keeps the guest's last answer.
    assert c.execute("query-acpi-ospm-status")[0] == dimm_ost(3, 1)["info"]


@pytest.mark.parametrize("guest", ["absent", "cooperative"])
def test_virtio_mem_size_follows_the_guest(launch, guest):
    fq = launch(guest_args(guest, "10.0", *MEM))
    c = fq.connect()
    assert c.execute("device_add", {"driver": "virtio-mem-pci", "id": "vm1", "memdev": "v1"}) == {}
    assert c.execute("qom-set", {"path": "vm1", "property": "requested-size",
                                 "value": 128 << 20}) == {}
    if guest == "absent":
        # No driver: nothing plugged, no event, and the request keeps the device.
        c.assert_no_event("MEMORY_DEVICE_SIZE_CHANGE", QUIET)
        assert c.execute("qom-get", {"path": "vm1", "property": "size"}) == 0
        err = c.command("device_del", {"id": "vm1"})["error"]["desc"]
        assert err == "virtio-mem device cannot get unplugged while 'requested-size' != '0'"
        return
    ev = c.wait_event("MEMORY_DEVICE_SIZE_CHANGE")
    assert ev["data"] == {"id": "vm1", "size": 128 << 20, "qom-path": "/machine/peripheral/vm1"}
    assert c.execute("qom-get", {"path": "vm1", "property": "size"}) == 128 << 20
    assert c.execute("query-memory-size-summary")["plugged-memory"] == 128 << 20
    err = c.command("device_del", {"id": "vm1"})["error"]["desc"]
    assert err == "virtio-mem device cannot get unplugged while 'size' != '0'"


def test_virtio_mem_waits_for_a_paused_guest(launch):
    fq = launch(guest_args("cooperative", "7.2", *MEM))
    c = fq.connect()
    assert c.execute("device_add", {"driver": "virtio-mem-pci", "id": "vm1", "memdev": "v1"}) == {}
    assert c.execute("stop") == {}
    assert c.execute("qom-set", {"path": "vm1", "property": "requested-size",
                                 "value": 64 << 20}) == {}
    c.assert_no_event("MEMORY_DEVICE_SIZE_CHANGE", QUIET)
    assert c.execute("cont") == {}
    assert c.wait_event("MEMORY_DEVICE_SIZE_CHANGE")["data"]["size"] == 64 << 20


def test_virtio_mem_event_without_qom_path_on_5_2(launch):
    fq = launch(guest_args("cooperative", "5.2", *MEM))
    c = fq.connect()
    assert c.execute("device_add", {"driver": "virtio-mem-pci", "id": "vm1", "memdev": "v1"}) == {}
    assert c.execute("qom-set", {"path": "vm1", "property": "requested-size",
                                 "value": 64 << 20}) == {}
    # 5.2's schema: MEMORY_DEVICE_SIZE_CHANGE {id, size}.
    assert c.wait_event("MEMORY_DEVICE_SIZE_CHANGE")["data"] == {"id": "vm1", "size": 64 << 20}
