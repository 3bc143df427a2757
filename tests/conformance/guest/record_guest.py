#!/usr/bin/python3
"""record_guest.py - record what real QEMU says over QMP while a Linux guest runs.

  record_guest.py [--qemu PATH] [--out DIR] [--jobs N] [--list] [NAME...]
  record_guest.py --qemu build/fakeqemu/fakeqemu --no-console --out /tmp/fq \
      --arg=-fake-version --arg=7.2 --arg=-fake-guest --arg=cooperative
                  (the same steps against fakeqemu; then ../record.py --compare)

Boots the test guest of tests/system/guest (Debian kernel + busybox initramfs, TCG)
once per scenario, plays the scenario's steps, and writes into DIR (default
tests/conformance/transcripts/7.2-guest):

  NAME.jsonl      the QMP transcript, in the format of ../record.py (greeting,
                  {"send": text}, {"recv": msg} in arrival order, trailer
                  {"exit", "stderr", ["killed"], ["problems"]}); timestamps zeroed,
                  thread-id of query-cpus-fast zeroed, the image path is @IMG@
  NAME.raw        the exact received bytes (same normalisations)
  NAME.meta.json  the scenario (argv, steps as played), boot time, and a timeline:
                  every QMP message and guest console marker with its time, in
                  seconds since QEMU started and since the latest send

Steps are those of ../scripts/*.json plus guest-only members:
  "send": text           one write (may hold several commands)
  "replies": N           wait for N non-event messages (default 1; 0 with no send)
  "events": [E...]       then wait for each event E, a name or {"event", "data"}
                         (data: members that must match), counted from the send
  "console": REGEX       then wait for a guest console line matching REGEX,
                         counted from the send (the guest's QD-* markers)
  "observe": SECONDS     then record everything for this fixed window: used only
                         where the question is "does anything else ever come"
  "eof": true            then wait for QEMU to close the connection
  "deadline": SECONDS    bound of each wait (default 10; 60 for the boot)
A wait that runs out is noted in the trailer's "problems" and the recording goes
on. A QMP player (fakeqemu) can replay the same steps and skip "console".

Only the standard library. Whole run: about a minute (see README.md).
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True      # do not leave __pycache__ beside ../record.py
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "system", "guest"))
sys.path.insert(0, os.path.join(HERE, ".."))
from guest_vm import GuestVM, GuestVMError, build_guest, qemu_path   # noqa: E402
from record import normalize_obj, normalize_raw, normalize_stderr, scratch_images, \
    trailer_item, write_transcript   # noqa: E402

DEFAULT_OUT = os.path.join(TOP, "tests", "conformance", "transcripts", "7.2-guest")
NORMALIZE = {"thread-id": 0}
READY = r"QD-GUEST-READY\b"


# ---------------------------------------------------------------- scenario helpers

def ex(name, args=None, id=None):
    msg = {"execute": name}
    if args is not None:
        msg["arguments"] = args
    if id is not None:
        msg["id"] = id
    return json.dumps(msg)


def step(send=None, **kw):
    s = {}
    if send is not None:
        s["send"] = send
    s.update(kw)
    return s


def caps():
    return step(ex("qmp_capabilities"))


def boot():
    return step(console=READY, deadline=60)


def blockdev(node="d1", img="@IMG@", id=None):
    return step(ex("blockdev-add", {"driver": "raw", "node-name": node,
                                    "file": {"driver": "file", "filename": img}}, id))


def deleted(dev, path=None):
    return {"event": "DEVICE_DELETED", "data": {"device": dev} if path is None else {"path": path}}


SCENARIOS = {}


def scenario(name, description, steps, machine="pc", extra=(), append="", **vmargs):
    SCENARIOS[name] = {"description": description, "machine": machine, "extra_args": list(extra),
                       "append": append, "vmargs": vmargs, "steps": steps, "guest": True}


CPU = "qemu64-x86_64-cpu"

scenario(
    "vblk-pci0",
    "pc, booted Linux: virtio-blk-pci hot-plugged on pci.0 slot 5, seen by the guest, "
    "device_del: return, then DEVICE_DELETED virtio-backend and DEVICE_DELETED vb1 "
    "once the guest ejected it; the slot is free again; device_del again: not found",
    [caps(), boot(), blockdev(id=1),
     step(ex("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "d1",
                            "bus": "pci.0", "addr": "0x5"}, 2), console=r"QD-BLOCK-ADD vd[a-z]+"),
     step(ex("device_del", {"id": "vb1"}, "del1"),
          events=[deleted(None, "/machine/peripheral/vb1/virtio-backend"), deleted("vb1")],
          console=r"QD-PCI-DEL 0000:00:05\.0", observe=1.0),
     step(ex("device_del", {"id": "vb1"}, "del2")),
     step(ex("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "drive": "d1",
                            "bus": "pci.0", "addr": "0x5"}, 3), console=r"QD-BLOCK-ADD vd[a-z]+"),
     step(ex("device_del", {"id": "vb2"}, "del3"), events=[deleted("vb2")],
          console=r"QD-PCI-DEL 0000:00:05\.0"),
     step(ex("blockdev-del", {"node-name": "d1"}, 4))])

scenario(
    "vblk-bridge",
    "pc with pci-bridge br0 (chassis_nr=1, addr 0x10, from argv), booted Linux: "
    "virtio-blk-pci hot-plugged on br0 slot 3, seen by the guest, device_del until gone",
    [caps(), boot(), blockdev(id=1),
     step(ex("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "d1",
                            "bus": "br0", "addr": "0x3"}, 2), console=r"QD-BLOCK-ADD vd[a-z]+"),
     step(ex("device_del", {"id": "vb1"}, "del1"),
          events=[deleted(None, "/machine/peripheral/vb1/virtio-backend"), deleted("vb1")],
          console=r"QD-PCI-DEL 0000:01:03\.0", observe=1.0),
     step(ex("device_del", {"id": "vb1"}, "del2")),
     step(ex("blockdev-del", {"node-name": "d1"}, 3))])

scenario(
    "cpu-hotplug",
    "pc -smp 1,maxcpus=4 (1 socket x 4 cores), booted Linux: CPU hot-add at core-id 1 "
    "(ACPI_DEVICE_OST), the guest onlines it, query-cpus-fast; device_del: every event "
    "of a fixed 3 s window (ACPI_DEVICE_OST 132, lapic DEVICE_DELETED, ACPI_DEVICE_OST 0; "
    "does the CPU's own DEVICE_DELETED come?), then the queries and a second device_del",
    [caps(), boot(),
     step(ex("query-hotpluggable-cpus")),
     step(ex("device_add", {"driver": CPU, "id": "cpu-1", "socket-id": 0, "core-id": 1,
                            "thread-id": 0}, "plug"),
          events=["ACPI_DEVICE_OST"], console=r"QD-CPU-ONLINE 1\b"),
     step(ex("query-cpus-fast")),
     step(ex("query-hotpluggable-cpus")),
     step(ex("device_del", {"id": "cpu-1"}, "del1"),
          events=[{"event": "ACPI_DEVICE_OST", "data": {"info": {"device": "cpu-1"}}},
                  deleted(None, "/machine/peripheral/cpu-1/lapic"),
                  "ACPI_DEVICE_OST"],
          console=r"QD-CPU-DEL 1\b", observe=3.0),
     step(ex("query-cpus-fast")),
     step(ex("query-hotpluggable-cpus")),
     step(ex("device_del", {"id": "cpu-1"}, "del2")),
     step(ex("qom-list", {"path": "/machine/peripheral"}))])

scenario(
    "cpu-hotplug-two",
    "pc -smp 1,maxcpus=4, booted Linux: two CPUs hot-added one after the other (the guest "
    "onlines each), then the second one unplugged: every ACPI_DEVICE_OST of each step, a "
    "fixed 3 s window after the device_del",
    [caps(), boot(),
     step(ex("device_add", {"driver": CPU, "id": "cpu-1", "socket-id": 0, "core-id": 1,
                            "thread-id": 0}, "plug1"),
          events=["ACPI_DEVICE_OST"], console=r"QD-CPU-ONLINE 1\b", observe=1.0),
     step(ex("device_add", {"driver": CPU, "id": "cpu-2", "socket-id": 0, "core-id": 2,
                            "thread-id": 0}, "plug2"),
          events=["ACPI_DEVICE_OST"], console=r"QD-CPU-ONLINE 2\b", observe=1.0),
     step(ex("query-acpi-ospm-status")),
     step(ex("device_del", {"id": "cpu-2"}, "del2"),
          events=[{"event": "ACPI_DEVICE_OST", "data": {"info": {"device": "cpu-2"}}},
                  deleted(None, "/machine/peripheral/cpu-2/lapic"),
                  "ACPI_DEVICE_OST"],
          console=r"QD-CPU-DEL 2\b", observe=3.0),
     step(ex("query-acpi-ospm-status")),
     step(ex("query-hotpluggable-cpus"))])

scenario(
    "cpu-hotplug-batch",
    "pc -smp 1,maxcpus=4 -m 512M,slots=4,maxmem=2G (as qemudrv starts it), booted Linux: two "
    "CPUs hot-added in one write (qemudrv's pipelined add-vcpus), both onlined; every "
    "ACPI_DEVICE_OST in a fixed 3 s window; then the second unplugged, 3 s window (two "
    "unplugs in one write race the guest's scan of the slots: either order comes)",
    [caps(), boot(),
     step(ex("device_add", {"driver": CPU, "id": "cpu-1", "socket-id": 0, "core-id": 1,
                            "thread-id": 0}, "plug1") +
          ex("device_add", {"driver": CPU, "id": "cpu-2", "socket-id": 0, "core-id": 2,
                            "thread-id": 0}, "plug2"),
          replies=2, console=r"QD-CPU-ONLINE 2\b", observe=3.0),
     step(ex("device_del", {"id": "cpu-2"}, "del2"), console=r"QD-CPU-DEL 2\b", observe=3.0),
     step(ex("query-acpi-ospm-status")),
     step(ex("query-hotpluggable-cpus"))],
    memory="512M,slots=4,maxmem=2G")

MEMARGS = ["-object", "memory-backend-ram,id=m1,size=128M",
           "-object", "memory-backend-ram,id=v1,size=512M"]

scenario(
    "dimm-hotplug",
    "pc -m 512M,slots=4,maxmem=2G, booted Linux that onlines hot-added memory: pc-dimm d1 "
    "(128 MiB) hot-plugged (ACPI_DEVICE_OST), the guest onlines its block; device_del: what "
    "a guest that cannot offline the block answers, in a fixed 4 s window",
    [caps(), boot(),
     step(ex("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}, "plug"),
          events=["ACPI_DEVICE_OST"], console=r"QD-MEM-ONLINE \d+", observe=1.0),
     step(ex("query-acpi-ospm-status")),
     step(ex("device_del", {"id": "d1"}, "del1"), observe=4.0),
     step(ex("query-memory-devices")),
     step(ex("query-acpi-ospm-status"))],
    extra=MEMARGS, memory="512M,slots=4,maxmem=2G")

scenario(
    "dimm-unplug",
    "pc -m 512M,slots=4,maxmem=2G, booted Linux that leaves hot-added memory offline "
    "(qd.online=0): pc-dimm d1 hot-plugged, device_del: the guest ejects it (ACPI_DEVICE_OST, "
    "DEVICE_DELETED), a fixed 3 s window; then device_del again",
    [caps(), boot(),
     step(ex("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}, "plug"),
          events=["ACPI_DEVICE_OST"], console=r"QD-MEM-ADD \d+ state=offline", observe=1.0),
     step(ex("device_del", {"id": "d1"}, "del1"), events=[deleted("d1", None)],
          console=r"QD-MEM-DEL \d+", observe=3.0),
     step(ex("query-memory-devices")),
     step(ex("query-acpi-ospm-status")),
     step(ex("device_del", {"id": "d1"}, "del2"))],
    extra=MEMARGS, append="qd.online=0", memory="512M,slots=4,maxmem=2G")

scenario(
    "virtio-mem",
    "pc -m 512M,slots=4,maxmem=2G, booted Linux with virtio_mem: virtio-mem-pci vm1 over a "
    "512 MiB backend; requested-size 128 MiB: the guest plugs it (MEMORY_DEVICE_SIZE_CHANGE), "
    "size; requested-size 0: what the guest gives back in a fixed 3 s window; device_del",
    [caps(), boot(),
     step(ex("device_add", {"driver": "virtio-mem-pci", "id": "vm1", "memdev": "v1",
                            "bus": "pci.0", "addr": "0x6"}, "plug"), observe=2.0),
     step(ex("qom-set", {"path": "vm1", "property": "requested-size", "value": 134217728},
             "req"), events=["MEMORY_DEVICE_SIZE_CHANGE"], console=r"QD-MEM-ONLINE \d+",
          observe=2.0),
     step(ex("qom-get", {"path": "vm1", "property": "size"}, "size")),
     step(ex("query-memory-devices")),
     step(ex("query-memory-size-summary")),
     step(ex("qom-set", {"path": "vm1", "property": "requested-size", "value": 0}, "req0"),
          observe=3.0),
     step(ex("qom-get", {"path": "vm1", "property": "size"}, "size0")),
     step(ex("device_del", {"id": "vm1"}, "del"), observe=3.0)],
    extra=MEMARGS, memory="512M,slots=4,maxmem=2G")

scenario(
    "cpu-replug",
    "pc -smp 1,maxcpus=4, booted Linux: CPU hot-add, device_del until the guest removed it, "
    "then device_add into the same slot with the same id: QEMU 7.2 under TCG crashes "
    "(heap corruption; NOT for byte comparison: the crash signal and stderr vary)",
    [caps(), boot(),
     step(ex("device_add", {"driver": CPU, "id": "cpu-1", "socket-id": 0, "core-id": 1,
                            "thread-id": 0}, "plug"),
          events=["ACPI_DEVICE_OST"], console=r"QD-CPU-ONLINE 1\b"),
     step(ex("device_del", {"id": "cpu-1"}, "del1"),
          events=[deleted(None, "/machine/peripheral/cpu-1/lapic"),
                  {"event": "ACPI_DEVICE_OST", "data": {"info": {"source": 3, "status": 0,
                                                                "slot": "1", "slot-type": "CPU"}}}],
          console=r"QD-CPU-DEL 1\b", observe=0.5),
     step(ex("device_add", {"driver": CPU, "id": "cpu-1", "socket-id": 0, "core-id": 1,
                            "thread-id": 0}, "replug"), replies=0, observe=3.0)])

scenario(
    "scsi-hd",
    "pc with virtio-scsi-pci scsi0 (argv), booted Linux: scsi-hd hot-plugged (the guest "
    "sees sda), device_del: no guest involvement (return, then DEVICE_DELETED ~50 ms later), the guest "
    "loses sda",
    [caps(), boot(), blockdev(id=1),
     step(ex("device_add", {"driver": "scsi-hd", "id": "sh1", "drive": "d1", "bus": "scsi0.0",
                            "scsi-id": 0, "lun": 0}, 2), console=r"QD-BLOCK-ADD sd[a-z]+"),
     step(ex("device_del", {"id": "sh1"}, "del1"), events=[deleted("sh1")],
          console=r"QD-BLOCK-DEL sd[a-z]+", observe=1.0),
     step(ex("device_del", {"id": "sh1"}, "del2")),
     step(ex("blockdev-del", {"node-name": "d1"}, 3))],
    extra=["-device", "virtio-scsi-pci,id=scsi0,addr=0x6"])

scenario(
    "paused-unplug",
    "pc, booted Linux: virtio-blk-pci on pci.0 slot 5; stop; device_del (return, no event "
    "in a 2 s window); device_del again while paused; cont: RESUME, then the DEVICE_DELETEDs",
    [caps(), boot(), blockdev(id=1),
     step(ex("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "d1",
                            "bus": "pci.0", "addr": "0x5"}, 2), console=r"QD-BLOCK-ADD vd[a-z]+"),
     step(ex("stop", None, "stop"), events=["STOP"]),
     step(ex("device_del", {"id": "vb1"}, "del1"), observe=2.0),
     step(ex("device_del", {"id": "vb1"}, "del2")),
     step(ex("query-status")),
     step(ex("cont", None, "cont"),
          events=["RESUME", deleted(None, "/machine/peripheral/vb1/virtio-backend"), deleted("vb1")],
          console=r"QD-PCI-DEL 0000:00:05\.0", observe=1.0)])

scenario(
    "double-del",
    "pc, booted Linux: vb1 (slot 5) and vb2 (slot 6); two device_del vb1 in one write; "
    "device_del vb2, a 50 ms window, device_del vb2 again (guest time has passed); "
    "then device_del of the gone vb1",
    [caps(), boot(), blockdev("d1", "@IMG@", 1), blockdev("d2", "@IMG2@", 2),
     step(ex("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "d1",
                            "bus": "pci.0", "addr": "0x5"}, 3), console=r"QD-BLOCK-ADD vd[a-z]+"),
     step(ex("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "drive": "d2",
                            "bus": "pci.0", "addr": "0x6"}, 4), console=r"QD-BLOCK-ADD vd[a-z]+"),
     step(ex("device_del", {"id": "vb1"}, "del1") + ex("device_del", {"id": "vb1"}, "del2"),
          replies=2, events=[deleted("vb1")], console=r"QD-PCI-DEL 0000:00:05\.0", observe=1.0),
     step(ex("device_del", {"id": "vb2"}, "del3"), observe=0.05),
     step(ex("device_del", {"id": "vb2"}, "del4"), events=[deleted("vb2")],
          console=r"QD-PCI-DEL 0000:00:06\.0", observe=1.0),
     step(ex("device_del", {"id": "vb1"}, "del5"))])

scenario(
    "powerdown",
    "pc, booted Linux with busybox acpid (power button -> poweroff -f): system_powerdown: "
    "POWERDOWN, return, then the guest powers off: SHUTDOWN guest true, EOF, exit 0",
    [caps(), boot(),
     step(ex("system_powerdown"), events=["POWERDOWN"], console=r"QD-POWER-BUTTON"),
     step(events=["SHUTDOWN"], replies=0, eof=True)])

scenario(
    "powerdown-ignored",
    "pc, booted Linux without acpid (qd.acpid=0; the ACPI button driver is loaded, nothing "
    "acts on KEY_POWER): system_powerdown: POWERDOWN, return, nothing else in 3 s; still running",
    [caps(), boot(),
     step(ex("system_powerdown"), events=["POWERDOWN"], observe=3.0),
     step(ex("query-status"))],
    append="qd.acpid=0")

scenario(
    "q35-rootport",
    "q35 with pcie-root-port rp1 (chassis=1, slot=1, pcie.0 addr 0x10, from argv), booted "
    "Linux: virtio-blk-pci hot-plugged on rp1, seen by the guest, device_del until gone",
    [caps(), boot(), blockdev(id=1),
     step(ex("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "d1",
                            "bus": "rp1"}, 2), console=r"QD-BLOCK-ADD vd[a-z]+"),
     step(ex("device_del", {"id": "vb1"}, "del1"),
          events=[deleted(None, "/machine/peripheral/vb1/virtio-backend"), deleted("vb1")],
          console=r"QD-PCI-DEL 0000:01:00\.0", observe=1.0),
     step(ex("device_del", {"id": "vb1"}, "del2")),
     step(ex("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "drive": "d1",
                            "bus": "rp1"}, 3), console=r"QD-BLOCK-ADD vd[a-z]+"),
     step(ex("device_del", {"id": "vb2"}, "del3"), events=[deleted("vb2")],
          console=r"QD-PCI-DEL 0000:01:00\.0"),
     step(ex("blockdev-del", {"node-name": "d1"}, 4))],
    machine="q35")


# ---------------------------------------------------------------- playing

def event_matches(msg, want):
    if isinstance(want, str):
        return msg.get("event") == want
    if msg.get("event") != want["event"]:
        return False

    def sub(have, w):
        if isinstance(w, dict):
            return isinstance(have, dict) and all(k in have and sub(have[k], v) for k, v in w.items())
        return have == w
    return sub(msg.get("data", {}), want.get("data", {}))


def play(vm, steps, problems):
    for i, st in enumerate(steps):
        deadline_s = st.get("deadline", 10.0)
        emark, cmark = vm.event_mark(), vm.console_mark()
        if "send" in st:
            if vm.qmp_eof:
                problems.append("step %d: connection closed before send" % i)
                break
            vm.send_text(st["send"])
            for _ in range(st.get("replies", 1)):
                try:
                    vm.reply(deadline_s)
                except GuestVMError:
                    problems.append("step %d: no reply within %ss" % (i, deadline_s))
                    break
        want = list(st.get("events", []))
        if want:
            left = list(want)

            def all_seen():
                pending = list(left)
                for _, msg in vm.events[emark:]:
                    for w in pending:
                        if event_matches(msg, w):
                            pending.remove(w)
                            break
                return not pending
            if not vm.pump(time.monotonic() + deadline_s, all_seen):
                problems.append("step %d: events %s not all seen within %ss" % (i, want, deadline_s))
        if "console" in st:
            try:
                t, m = vm.wait_console(st["console"], deadline_s, cmark)
                if m.group(0).startswith("QD-GUEST-READY"):
                    vm.boot_seconds, vm.ready_line = t, vm.console[vm.find_console(st["console"], cmark)[0]][1]
            except GuestVMError:
                problems.append("step %d: console %r not seen within %ss" % (i, st["console"], deadline_s))
        if "observe" in st:
            vm.observe(st["observe"])
        if st.get("eof"):
            if not vm.pump(time.monotonic() + deadline_s, lambda: vm.qmp_eof):
                problems.append("step %d: no EOF within %ss" % (i, deadline_s))


def record_scenario(name, sc, qemu, kernel, initrd, outdir, console=True, more_args=()):
    """Play one scenario; console=False drops the serial port and every console wait."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="qdrecg-") as tmp:
        subst = scratch_images(tmp)

        def s_in(text):
            for k, v in subst.items():
                text = text.replace(k, v)
            return text

        def s_out(data):
            for k, v in subst.items():
                data = data.replace(v.encode(), k.encode())
            return data
        steps = [dict(st, send=s_in(st["send"])) if "send" in st else dict(st) for st in sc["steps"]]
        if not console:
            for st in steps:
                st.pop("console", None)
            steps = [st for st in steps if st]
        vm = GuestVM(machine=sc["machine"],
                     extra_args=[s_in(a) for a in sc["extra_args"]] + list(more_args),
                     append=sc["append"], qemu=qemu, kernel=kernel, initrd=initrd,
                     console=console, **sc["vmargs"])
        try:
            vm.start(negotiate=False)
            play(vm, steps, problems)
            if vm.qmp_eof:
                vm.wait_exit(10)
        except GuestVMError as e:
            problems.append("error: %s" % e)
        finally:
            killed = vm.proc is not None and vm.proc.poll() is None
            vm.close()
        code = vm.proc.returncode if vm.proc else None
        stderr = normalize_stderr(vm.stderr(), subst)

    items, raw, timeline = [], bytearray(), []
    last_send = 0.0
    log = [(t, "qmp", d, r, m) for (d, t, r, m) in vm.qmp_log]
    log += [(t, "console", None, mk, None) for (t, mk) in vm.markers()]
    log.sort(key=lambda x: x[0])
    for t, kind, direction, data, msg in log:
        ent = {"t": round(t, 3)}
        if kind == "console":
            ent["console"] = data
            ent["since_send"] = round(t - last_send, 3)
            timeline.append(ent)
            continue
        data = s_out(data)
        if direction == "send":
            last_send = t
            try:
                items.append({"send": data.decode("utf-8")})
            except UnicodeDecodeError:
                items.append({"send_hex": data.hex()})
            ent["send"] = items[-1].get("send")
        else:
            line = normalize_raw(data, NORMALIZE)
            raw.extend(line)
            try:
                m = normalize_obj(json.loads(line.decode("utf-8")), NORMALIZE)
                items.append({"recv": m})
            except (UnicodeDecodeError, json.JSONDecodeError):
                m = line.decode("latin-1")
                items.append({"recv_raw": m})
            ent["recv"] = m
            ent["since_send"] = round(t - last_send, 3)
        timeline.append(ent)
    if vm.qmp_eof:
        items.append({"eof": True})
    items.append(trailer_item(code, stderr, killed, problems))
    write_transcript(outdir, name, items, raw)
    argv = []
    for a in vm.args:
        a = a.replace(kernel, "@KERNEL@").replace(initrd, "@INITRD@")
        argv.append(s_out(a.encode()).decode())
    meta = {"description": sc["description"], "guest": True,
            "qemu": qemu, "argv": argv,
            "argv_note": "plus -chardev socket,id=ser0,fd=N -serial chardev:ser0 (a socketpair) "
                         "and -chardev socket,id=qmp0,fd=M,server=on,wait=off -mon "
                         "chardev=qmp0,mode=control (a listening unix socket)",
            "boot_seconds": round(vm.boot_seconds, 3) if vm.boot_seconds else None,
            "ready_line": vm.ready_line,
            "steps": sc["steps"],
            "timeline": timeline,
            "console_tail": [l for _, l in vm.console[-40:]]}
    with open(os.path.join(outdir, name + ".meta.json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=True)
        f.write("\n")
    return problems, vm.boot_seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu", default=None, help="default: $QD_QEMU or qemu-system-x86_64 on PATH")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--jobs", type=int, default=1, help="scenarios run at once (each is one TCG VM)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--no-console", action="store_true",
                    help="no serial port, skip the console waits (to play the steps against fakeqemu)")
    ap.add_argument("--arg", action="append", default=[], metavar="ARG",
                    help="one more QEMU argument (repeatable; --arg=-fake-guest --arg=cooperative)")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if args.list:
        for n, sc in SCENARIOS.items():
            print("%-18s %s" % (n, sc["description"]))
        return
    names = args.names or list(SCENARIOS)
    for n in names:
        if n not in SCENARIOS:
            ap.error("unknown scenario %s (see --list)" % n)
    qemu = args.qemu or qemu_path()
    t0 = time.monotonic()
    kernel, initrd = build_guest()
    print("guest: %s %s (%.1f s)" % (kernel, initrd, time.monotonic() - t0), flush=True)
    results = {}
    lock = threading.Lock()
    queue = list(names)

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                n = queue.pop(0)
            t = time.monotonic()
            problems, boot_s = record_scenario(n, SCENARIOS[n], qemu, kernel, initrd, args.out,
                                               not args.no_console, args.arg)
            with lock:
                results[n] = problems
                print("%s: %s (boot %.2f s, total %.1f s)"
                      % (n, "ok" if not problems else "PROBLEMS: " + "; ".join(problems),
                         boot_s or -1, time.monotonic() - t), flush=True)
    threads = [threading.Thread(target=worker) for _ in range(max(1, args.jobs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print("%d scenarios in %.1f s" % (len(names), time.monotonic() - t0))
    sys.exit(1 if any(results.values()) else 0)


if __name__ == "__main__":
    main()
