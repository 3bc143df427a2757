"""Memory and NIC hot-plug through qemudrv on real QEMU: at QEMU level (no guest OS: what
QEMU accepts, refuses and reports), and with the booted test guest (TCG): hot-plugged
memory comes up as memory blocks the guest onlines, a hot-plugged NIC as a network
interface with the MAC given, and both go again when unplugged.
"""
import glob
import json
import os
import re
import subprocess

import pytest

from fakeqemu_client import QmpConnection
from qdtest import QDCTL, qemu_binary, short_tmpdir, taps_usable
from test_hotplug_guest import BOOT_DEADLINE, STEP_DEADLINE, Console, guest_files  # noqa: F401
from test_hotplug_real_qemu import Vm as RealQemuVm

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
KERNELS = sorted(glob.glob("/boot/vmlinuz-*"))
MIB = 1 << 20
pytestmark = [
    pytest.mark.skipif(qemu_binary() is None, reason="no qemu-system-x86_64 (set QD_QEMU)"),
    pytest.mark.skipif(not KERNELS, reason="no kernel in /boot (install linux-image-amd64)"),
]
needs_taps = pytest.mark.skipif(not taps_usable(), reason="cannot create tap devices here "
                                "(no /dev/net/tun, or no CAP_NET_ADMIN)")


class Vm(RealQemuVm):
    """A VM driven with `qdctl vm` on real QEMU; QMP asked directly between the calls."""

    def __init__(self, tmp_path, **members):
        full = {"id": "mn", "max_vcpus": 2, "memory_slots": 4, "max_memory_mb": 2048}
        full.update(members)
        super().__init__(tmp_path, **full)
        self.id = full["id"]

    def attach(self, *ops, timeout=5000):
        res, err = self.ops("attach", *ops, timeout=timeout)
        assert res and res[0] == {"op": "attach", "ok": True}, (res, err)
        return res[1:]

    def state(self):
        return json.load(open(os.path.join(self.rundir, self.id, "state.json")))

    def qmp(self, command, arguments=None):
        vmdir = os.path.join(self.rundir, self.id)
        sock = [f for f in os.listdir(vmdir) if f.startswith("qmp-")][0]
        c = QmpConnection(os.path.join(vmdir, sock))
        try:
            c.read_greeting()
            c.negotiate()
            return c.execute(command, arguments)
        finally:
            c.close()

    def memory_devices(self):
        return {d["data"]["id"]: d for d in self.qmp("query-memory-devices")}

    def network_clients(self):
        text = self.qmp("human-monitor-command", {"command-line": "info network"})
        return {line.strip(" \\").split(":")[0]: line for line in text.splitlines()
                if ":" in line}

    def version(self):
        v = self.qmp("query-version")["qemu"]
        return (v["major"], v["minor"])


@pytest.fixture
def vm(tmp_path):
    v = Vm(tmp_path)
    yield v
    v.close()


# ---- QEMU level --------------------------------------------------------------------------

def test_memory_at_qemu_level(vm):
    res, err = vm.ops("start", "add-memory", "m0", "128", "add-memory", "f0", "64",
                      "backend=memfd", "shared", "add-memory", "v0", "256", "model=virtio-mem",
                      "requested=128")
    assert [r["ok"] for r in res] == [True] * 4, (res, err)
    assert re.fullmatch(r"dimm0@0x[0-9a-f]+", res[1]["location"])
    assert res[3]["location"] == "02/01"
    devs = vm.memory_devices()
    assert (devs["m0"]["type"], devs["m0"]["data"]["size"]) == ("dimm", 128 * MIB)
    assert devs["m0"]["data"]["memdev"] == "/objects/mem-m0"
    assert devs["f0"]["data"]["memdev"] == "/objects/mem-f0"
    assert (devs["v0"]["type"], devs["v0"]["data"]["requested-size"]) == ("virtio-mem",
                                                                          128 * MIB)
    objects = {o["name"]: o["type"] for o in vm.qmp("qom-list", {"path": "/objects"})}
    assert objects["mem-f0"] == "child<memory-backend-memfd>"
    # Without a guest, a DIMM's ACPI eject never completes.
    res = vm.attach("remove-memory", "m0", timeout=500)
    assert res[0]["ok"] is False and res[0]["error"]["name"] == "ETIMEDOUT", res
    assert [d["id"] for d in vm.state()["devices"] if d["unplugging"]] == ["m0"]
    res = vm.attach("remove-memory", "v0", timeout=2000)
    if vm.version() < (8, 1):
        # QEMU before 8.1 refuses; the requested size the removal took away is put back.
        assert res[0]["error"] == {"errno": 121, "name": "EREMOTEIO", "class": "GenericError",
                                   "message": "virtio based memory devices cannot be "
                                              "unplugged."}, res
        assert vm.memory_devices()["v0"]["data"]["requested-size"] == 128 * MIB
    else:
        assert res[0]["ok"] is False and res[0]["error"]["name"] == "ETIMEDOUT", res


@needs_taps
def test_nic_at_qemu_level(vm):
    res, err = vm.ops("start", "add-net", "n0", "mac=52:54:00:12:34:56", "add-net", "n1",
                      "queues=4")
    assert [r["ok"] for r in res] == [True] * 3, (res, err)
    assert (res[1]["location"], res[2]["location"]) == ("02/01", "02/02")
    clients = vm.network_clients()
    assert "net-n0" in clients and "type=tap" in clients["net-n0"], clients
    assert vm.qmp("qom-get", {"path": "/machine/peripheral/n0", "property": "mac"}) == \
        "52:54:00:12:34:56"
    assert vm.qmp("qom-get", {"path": "/machine/peripheral/n1", "property": "mq"}) is True
    rec = [d for d in vm.state()["devices"] if d["id"] == "n1"][0]
    assert (rec["kind"], rec["netdev"], rec["queues"]) == ("virtio-net", "net-n1", 4)
    # No guest: the unplug never completes, and the netdev stays with its NIC.
    res = vm.attach("remove-net", "n0", timeout=500)
    assert res[0]["ok"] is False and res[0]["error"]["name"] == "ETIMEDOUT", res
    assert "net-n0" in vm.network_clients()


@pytest.mark.parametrize("name", ["qemu-memory-hotplug", "qemu-memory-limits",
                                  "qemu-net-hotplug", "qemu-blocks-batch", "qemu-nets-batch"])
def test_catalogue_scenario_on_real_qemu(name):
    out = os.path.join(short_tmpdir(), "out.json")
    proc = subprocess.run([QDCTL, "scenario", "--qemu", qemu_binary(), "--json", out,
                           os.path.join(ROOT, "scenarios", name + ".json")],
                          capture_output=True, text=True, timeout=300)
    result = json.load(open(out))["results"][0]
    if result["outcome"] == "skip":
        pytest.skip(result.get("reason", "skipped"))
    assert result["outcome"] == "pass", proc.stdout + proc.stderr


# ---- with the booted guest ---------------------------------------------------------------

class GuestVm(Vm):
    def __init__(self, tmp_path, kernel, initrd):
        super().__init__(tmp_path, id="g", accel="tcg", kernel=kernel, initrd=initrd,
                         memory_mb=512, memory_slots=4, max_memory_mb=2048,
                         kernel_params="console=hvc0 qd.console=hvc0")

    def console(self):
        return Console(os.path.join(self.rundir, self.id, "console.sock"))


def guest_run(con, command, marker):
    """Run @command in the guest; its output lines (up to the QD-DONE-@marker line)."""
    con.send(f"echo QD-BEGIN-{marker}; {command}; echo QD-DONE-{marker} $?")
    con.wait_for(f"QD-BEGIN-{marker}", STEP_DEADLINE)
    out = []
    while True:
        line = con.wait_for("", STEP_DEADLINE)
        if line.startswith(f"QD-DONE-{marker}"):
            return out, int(line.split()[-1])
        out.append(line)


def mem_total_kib(con, marker):
    out, status = guest_run(con, "grep MemTotal /proc/meminfo", marker)
    assert status == 0, out
    return int(out[-1].split()[1])


@pytest.fixture
def guest(tmp_path, guest_files):  # noqa: F811
    vm = GuestVm(tmp_path, *guest_files)
    res, err = vm.ops("start", timeout=20000)
    assert res[0]["ok"], (res, err)
    con = vm.console()
    con.send("echo QD-ALIVE")
    con.wait_for("QD-ALIVE", BOOT_DEADLINE)
    yield vm, con
    con.close()
    vm.close()


def test_guest_onlines_hotplugged_memory(guest):
    vm, con = guest
    before = mem_total_kib(con, "m1")
    res = vm.attach("add-memory", "m0", "256", timeout=20000)
    assert res[0]["ok"], res
    # 256 MiB are two 128 MiB memory blocks: each comes up offline and is onlined.
    con.wait_for("QD-MEM-ONLINE", STEP_DEADLINE)
    con.wait_for("QD-MEM-ONLINE", STEP_DEADLINE)
    assert mem_total_kib(con, "m2") - before == 256 * 1024
    # virtio-mem: the guest's driver takes the requested 128 MiB in blocks.
    res = vm.attach("add-memory", "v0", "512", "model=virtio-mem", "requested=128",
                    timeout=20000)
    assert res[0]["ok"], res
    con.wait_for("QD-MEM-ONLINE", STEP_DEADLINE)
    assert vm.memory_devices()["v0"]["data"]["size"] == 128 * MIB


@needs_taps
def test_guest_sees_the_nic_as_a_link(guest):
    vm, con = guest
    res = vm.attach("add-net", "n0", "mac=52:54:00:12:34:56", timeout=20000)
    assert res[0]["ok"], res
    ifname = con.wait_for("QD-NET-ADD", STEP_DEADLINE).split()[-1]
    out, status = guest_run(con, f"cat /sys/class/net/{ifname}/address", "n1")
    assert (status, out[-1]) == (0, "52:54:00:12:34:56")
    # A link the guest can bring up (IFF_UP in its flags; the carrier is the tap's).
    out, status = guest_run(con, f"ip link set {ifname} up && cat /sys/class/net/{ifname}"
                                 "/flags", "n2")
    assert status == 0 and int(out[-1], 16) & 0x1, out
    # The guest ejects it; then the netdev goes.
    res = vm.attach("remove-net", "n0", timeout=20000)
    assert res[0] == {"op": "remove-net", "ok": True}, res
    con.wait_for(f"QD-NET-DEL {ifname}", STEP_DEADLINE)
    assert "net-n0" not in vm.network_clients()
    assert vm.state()["devices"] == []
