#!/usr/bin/python3
"""make_scripts_qom.py - (re)generate the probe scripts scripts/qom-*.json: QEMU's
self-description (qom-list-types, device-list-properties, query-machines, ...),
device properties checked by type, the QOM tree, memory devices.

  /usr/bin/python3 tests/conformance/make_scripts_qom.py

Same format and helpers as make_scripts.py (which leaves qom-* alone).
"""

import json
import os

from make_scripts import CAPS, c

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "scripts")
PREFIX = "qom-"
SCRIPTS = {}


def script(name, desc, argv, steps, **kw):
    d = {"description": desc, "argv": argv, "steps": steps, "guest": False}
    d.update(kw)
    SCRIPTS[PREFIX + name] = d


def machine(m, accel="tcg"):
    return ["-machine", m, "-accel", accel, "-S"]


# ------------------------------------------------------------------ introspection

def introspection_steps(full):
    """What libvirt's capability probe asks, and the errors around it."""
    steps = [
        CAPS,
        c("qom-list-types", id="types"),
        c("qom-list-types", {"implements": "pci-device"}, id="pci"),
        c("qom-list-types", {"implements": "pci-device", "abstract": True}, id="pci-abs"),
        c("qom-list-types", {"implements": "hotplug-handler", "abstract": True}, id="iface"),
        c("qom-list-types", {"implements": "no-such-type"}, id="none"),
        c("qom-list-types", {"implements": 1}, id="bad"),
        c("device-list-properties", {"typename": "virtio-blk-pci"}, id="dlp"),
        c("device-list-properties", {"typename": "pcie-root-port"}, id="dlp-rp"),
        c("device-list-properties", {"typename": "pci-device"}, id="dlp-abstract"),
        c("device-list-properties", {"typename": "memory-backend-file"}, id="dlp-notdev"),
        c("device-list-properties", {"typename": "no-such-type"}, id="dlp-none"),
        c("device-list-properties", {"typename": "x"}, id="dlp-x"),
        c("device-list-properties", id="dlp-missing"),
        c("qom-list-properties", {"typename": "memory-backend-file"}, id="qlp"),
        c("qom-list-properties", {"typename": "max-x86_64-cpu"}, id="qlp-cpu"),
        c("qom-list-properties", {"typename": "device"}, id="qlp-abstract"),
        c("qom-list-properties", {"typename": "none-machine"}, id="qlp-machine"),
        c("qom-list-properties", {"typename": "no-such-class"}, id="qlp-none"),
        c("query-machines", id="machines"),
        c("query-cpu-definitions", id="cpus"),
        c("query-command-line-options", {"option": "machine"}, id="opt"),
        c("query-command-line-options", {"option": "no-such-opt"}, id="opt-bad"),
        c("query-migrate-capabilities", id="mig"),
        c("query-tpm-models", id="tpm-models"),
        c("query-tpm-types", id="tpm-types"),
        c("query-sev-capabilities", id="sev-caps"),
        c("query-sgx-capabilities", id="sgx-caps"),
        c("query-sev", id="sev"),
        c("query-sgx", id="sgx"),
        c("query-kvm", id="kvm"),
        c("query-cpu-model-expansion", {"type": "static", "model": {"name": "max"}}, id="exp-max"),
        c("query-cpu-model-expansion", {"type": "full", "model": {"name": "max"}}, id="exp-max-full"),
        c("query-cpu-model-expansion", {"type": "static", "model": {"name": "host"}}, id="exp-host"),
        c("query-cpu-model-expansion", {"type": "static", "model": {"name": "no-such-model"}},
          id="exp-none"),
        c("query-cpu-model-expansion", {"type": "bogus", "model": {"name": "max"}}, id="exp-type"),
        c("query-cpu-model-expansion", {"type": "full"}, id="exp-missing"),
    ]
    if full:
        steps += [
            c("query-command-line-options", id="opts"),
            c("query-commands", id="commands"),
            c("query-target", id="target"),
            c("query-current-machine", id="current"),
            c("query-cpu-model-expansion", {"type": "static", "model": {
                "name": "host", "props": {"migratable": False}}}, id="exp-host-nm"),
            c("query-cpu-model-expansion", {"type": "full", "model": {
                "name": "max", "props": {"migratable": False, "hv-passthrough": True}}}, id="exp-max-hv"),
        ]
    return steps


script("introspect-none", "libvirt's capability probe on -machine none: QOM types, device and "
       "object properties, machines, CPU models and expansions, options, SEV/SGX/TPM",
       machine("none"), introspection_steps(True))
script("introspect-pc", "introspection commands on pc", machine("pc"), introspection_steps(False))
script("introspect-q35", "introspection commands on q35", machine("q35"), introspection_steps(False))
script("introspect-kvm", "introspection commands under KVM (CPU models, expansions, SEV/SGX)",
       machine("none", "kvm"), [
           CAPS,
           c("query-kvm", id="kvm"),
           c("query-cpu-definitions", id="cpus"),
           c("query-cpu-model-expansion", {"type": "static", "model": {"name": "host"}}, id="exp-host"),
           c("query-cpu-model-expansion", {"type": "full", "model": {"name": "host"}}, id="exp-host-full"),
           c("query-cpu-model-expansion", {"type": "static", "model": {"name": "max"}}, id="exp-max"),
           c("query-sev-capabilities", id="sev-caps"),
           c("query-sgx-capabilities", id="sgx-caps"),
       ])


# ------------------------------------------------------------------ the QOM tree

CPU0 = "/machine/unattached/device[0]"


def qom_tree_steps(machine_name):
    steps = [
        CAPS,
        c("qom-list", {"path": "/"}, id="root"),
        c("qom-list", {"path": "/machine"}, id="machine"),
        c("qom-list", {"path": "/machine/unattached"}, id="unattached"),
        c("qom-list", {"path": "/machine/peripheral"}, id="peripheral"),
        c("qom-list", {"path": "/machine/peripheral-anon"}, id="anon"),
        c("qom-list", {"path": "/objects"}, id="objects"),
        c("qom-list", {"path": "/chardevs"}, id="chardevs"),
        c("qom-get", {"path": "/machine", "property": "type"}, id="mtype"),
        c("qom-get", {"path": "/machine", "property": "bogus"}, id="mbogus"),
        c("qom-get", {"path": "/machine", "property": "hpet"}, id="hpet"),
        c("qom-get", {"path": "/machine", "property": "memory-backend"}, id="mb"),
        c("qom-get", {"path": "/nope", "property": "type"}, id="nope"),
        c("qom-list", {"path": "/nope"}, id="nope-list"),
        c("qom-list", {"path": "/machine/nope"}, id="nope-list2"),
        c("qom-list", {"path": "unattached"}, id="partial"),
        c("qom-list", {"path": "sysbus"}, id="partial2"),
        c("qom-list", {"path": "device[0]"}, id="partial-ambiguous"),
        c("qom-get", {"path": "device[0]", "property": "type"}, id="partial-get"),
        c("qom-list", {"path": ""}, id="empty"),
        c("qom-list", {"path": "/machine/"}, id="slash"),
        c("qom-list", {"path": "//machine"}, id="slash2"),
    ]
    if machine_name != "none":
        steps += [
            c("qom-list", {"path": CPU0}, id="cpu"),
            c("qom-get", {"path": CPU0, "property": "type"}, id="cpu-type"),
            c("qom-get", {"path": CPU0, "property": "realized"}, id="cpu-realized"),
            c("qom-get", {"path": CPU0, "property": "hotplugged"}, id="cpu-hotplugged"),
            c("qom-get", {"path": CPU0, "property": "feature-words"}, id="cpu-fw"),
            c("qom-get", {"path": CPU0, "property": "filtered-features"}, id="cpu-ff"),
            c("qom-get", {"path": CPU0, "property": "lm"}, id="cpu-lm"),
            c("qom-get", {"path": CPU0, "property": "model-id"}, id="cpu-model-id"),
            c("qom-get", {"path": CPU0, "property": "bogus"}, id="cpu-bogus"),
            c("qom-list", {"path": CPU0 + "/lapic"}, id="lapic"),
            c("qom-get", {"path": CPU0, "property": "lapic"}, id="cpu-child"),
            c("qom-get", {"path": CPU0, "property": "parent_bus"}, id="cpu-link"),
        ]
    return steps


script("tree-none", "the QOM tree of -machine none: containers, partial and bad paths",
       machine("none"), qom_tree_steps("none"))
script("tree-pc", "the QOM tree of pc: containers, the boot CPU, partial and bad paths",
       machine("pc"), qom_tree_steps("pc"))
script("tree-q35", "the QOM tree of q35", machine("q35"), qom_tree_steps("q35"))
script("tree-smp", "pc with 3 of 4 CPUs: where boot CPUs go in /machine/unattached",
       machine("pc") + ["-smp", "3,sockets=1,cores=4,threads=1,maxcpus=4"], [
           CAPS,
           c("qom-list", {"path": "/machine/unattached"}, id="unattached"),
           c("qom-get", {"path": "/machine/unattached/device[1]", "property": "type"}, id="d1"),
           c("qom-get", {"path": "/machine/unattached/device[2]", "property": "type"}, id="d2"),
           c("qom-get", {"path": "/machine/unattached/device[3]", "property": "type"}, id="d3"),
           c("qom-get", {"path": "/machine/unattached/device[4]", "property": "type"}, id="d4"),
           c("qom-get", {"path": "/machine/unattached/device[3]", "property": "apic-id"}, id="apic"),
           c("device_add", {"driver": "qemu64-x86_64-cpu", "id": "cpu3", "socket-id": 0,
                            "core-id": 3, "thread-id": 0}, id="plug"),
           c("qom-list", {"path": "/machine/peripheral"}, id="peripheral"),
           c("qom-get", {"path": "/machine/peripheral/cpu3", "property": "apic-id"}, id="apic3"),
           c("qom-get", {"path": "/machine/peripheral/cpu3", "property": "hotplugged"}, id="hp3"),
       ])


def libvirt_cpu_steps(words=True):
    """libvirt 9.0 at domain start: qom-list of the CPU, then qom-get of its properties."""
    props = ["realized", "hotplugged", "hotpluggable", "start-powered-off", "popcnt", "lm",
             "avx2", "x2apic", "svm", "vmx", "hypervisor", "pdpe1gb", "arch-capabilities",
             "kvmclock", "sse4.2", "sse4_2", "family", "model", "stepping", "model-id",
             "vendor", "tsc-frequency", "phys-bits"]
    if words:
        props += ["feature-words", "filtered-features"]
    return ([CAPS, c("query-cpus-fast", id="cpus"), c("qom-list", {"path": CPU0}, id="list")]
            + [c("qom-get", {"path": CPU0, "property": p}, id=p) for p in props])


script("cpu-props-tcg", "CPU feature properties as libvirt reads them: -cpu Skylake-Client-IBRS "
       "under TCG (unsupported features filtered)",
       machine("pc") + ["-cpu", "Skylake-Client-IBRS"], libvirt_cpu_steps(),
       normalize=[{"key": "thread-id", "value": 0}])
script("cpu-props-flags", "CPU feature properties with +/- flags: -cpu qemu64,+x2apic,-sse2,pdpe1gb=on",
       machine("pc") + ["-cpu", "qemu64,+x2apic,-sse2,pdpe1gb=on"], libvirt_cpu_steps(False),
       normalize=[{"key": "thread-id", "value": 0}])
script("cpu-props-kvm", "CPU feature properties under KVM: -cpu host,-arch-capabilities",
       machine("pc", "kvm") + ["-cpu", "host,-arch-capabilities"], libvirt_cpu_steps(),
       normalize=[{"key": "thread-id", "value": 0}])
script("cpu-props-default", "CPU feature properties of the default CPU (qemu64) under KVM",
       machine("pc", "kvm"), libvirt_cpu_steps(), normalize=[{"key": "thread-id", "value": 0}])

script("tree-devices", "devices in the tree: peripheral order (failed adds leave tombstones), "
       "anonymous devices, a device's own properties, qom-set",
       machine("pc"), [
           CAPS,
           c("device_add", {"driver": "virtio-net-pci", "id": "n1", "bogus": 1}, id="fail1"),
           c("device_add", {"driver": "qemu-xhci", "id": "xhci"}, id="xhci"),
           c("device_add", {"driver": "usb-tablet", "id": "t1"}, id="t1"),
           c("device_add", {"driver": "usb-storage", "id": "us1"}, id="fail2"),
           c("device_add", {"driver": "virtio-serial-pci", "id": "vs"}, id="vs"),
           c("device_add", {"driver": "e1000", "id": "e1"}, id="e1"),
           c("device_add", {"driver": "e1000"}, id="anon1"),
           c("device_add", {"driver": "virtio-blk-pci"}, id="anon-fail"),
           c("device_add", {"driver": "virtio-net-pci", "mac": "52:54:00:12:34:56"}, id="anon2"),
           c("device_add", {"driver": "virtio-net-pci", "id": "n2", "bus": "pci.0", "addr": "0x9"},
             id="n2"),
           c("device_add", {"driver": "virtio-balloon-pci", "id": "b1"}, id="b1"),
           c("qom-list", {"path": "/machine/peripheral"}, id="peripheral"),
           c("qom-list", {"path": "/machine/peripheral-anon"}, id="anon"),
           c("qom-list", {"path": "/machine/peripheral/e1"}, id="e1-list"),
           c("qom-get", {"path": "/machine/peripheral/e1", "property": "type"}, id="e1-type"),
           c("qom-get", {"path": "/machine/peripheral/e1", "property": "realized"}, id="e1-realized"),
           c("qom-get", {"path": "/machine/peripheral/e1", "property": "hotplugged"}, id="e1-hp"),
           c("qom-get", {"path": "/machine/peripheral/e1", "property": "addr"}, id="e1-addr"),
           c("qom-get", {"path": "/machine/peripheral/n2", "property": "addr"}, id="n2-addr"),
           c("qom-get", {"path": "/machine/peripheral/e1", "property": "romfile"}, id="e1-romfile"),
           c("qom-get", {"path": "/machine/peripheral/e1", "property": "parent_bus"}, id="e1-bus"),
           c("qom-get", {"path": "/machine/peripheral-anon/device[1]", "property": "mac"},
             id="anon-mac"),
           c("qom-get", {"path": "/machine/peripheral/n2", "property": "bogus"}, id="n2-bogus"),
           c("qom-list", {"path": "/machine/peripheral/xhci/xhci.0"}, id="usb-bus"),
           c("qom-list", {"path": "xhci.0"}, id="usb-bus-partial"),
           c("qom-set", {"path": "/machine/peripheral/e1", "property": "romfile", "value": "x"},
             id="set-realized"),
           c("qom-set", {"path": "/machine/peripheral/e1", "property": "type", "value": "x"},
             id="set-type"),
           c("qom-set", {"path": "/machine/peripheral/e1", "property": "bogus", "value": 1},
             id="set-bogus"),
           c("qom-set", {"path": "/nope", "property": "x", "value": 1}, id="set-nope"),
           c("device_del", {"id": "t1"}, id="del-usb"),
           c("qom-list", {"path": "/machine/peripheral"}, id="peripheral2"),
       ])


# ------------------------------------------------------------------ device properties

PROP_CASES = [
    ("pci-bridge", "chassis_nr", ["x", "300", 300, -1, 1.5, True, "0x10", [1], {"a": 1}, "1k", ""]),
    ("pci-bridge", "shpc", ["x", "yes", "y", "true", 1, "1", True, "ON"]),
    ("pci-bridge", "msi", ["x", "on", True, 1]),
    ("pci-bridge", "addr", ["x", "0x20", 300, "3.8", -5, True]),
    ("pci-bridge", "mem-reserve", ["x", "1k", "1.5M", -1, "18446744073709551616", 1.5, True]),
    ("virtio-net-pci", "mac", ["x", "52:54:00:12:34:56", 5, "52:54:00:12:34:5"]),
    ("virtio-net-pci", "netdev", ["nonet", 5]),
    ("virtio-blk-pci", "werror", ["x", 5, "report"]),
    ("virtio-blk-pci", "queue-size", ["70000", 70000, -1, "x"]),
    ("virtio-blk-pci", "bootindex", ["x", "-2", 2147483648]),
    ("virtio-blk-pci", "serial", [5, True]),
    ("virtio-blk-pci", "iothread", ["noio", 5]),
    ("pcie-root-port", "x-speed", ["x", "5", 5]),
    ("pcie-root-port", "chassis", ["256", 256]),
    ("virtio-serial-pci", "max_ports", ["x", 4294967296]),
    ("e1000", "mac", ["zz"]),
    ("pc-dimm", "memdev", ["nomem", 5]),
    ("virtio-rng-pci", "rng", ["norng"]),
    ("vhost-user-fs-pci", "chardev", ["nochr", 5]),
    ("nvdimm", "uuid", ["x"]),
]


def prop_steps():
    steps, n = [CAPS], 0
    for drv, prop, values in PROP_CASES:
        for v in values:
            args = {"driver": drv, "id": "p%d" % n, prop: v}
            if drv == "pci-bridge" and prop != "chassis_nr":
                args["chassis_nr"] = 1
            steps.append(c("device_add", args, id="p%d" % n))
            n += 1
    return steps


script("device-props", "device_add property values checked by their recorded type: integers "
       "(widths, signs, hex), booleans, enums, sizes, PCI addresses, MACs, references; "
       "QemuOpts strings (5.2, 7.2) versus typed JSON (10.0)",
       machine("pc"), prop_steps())

script("device-types", "device types from the data: unknown, abstract, not a device, not "
       "user-creatable, bus-less, wrong bus, no bus, aliases, controllers and their buses, "
       "property order, realize errors",
       machine("pc"), [
           CAPS,
           c("device_add", {"driver": "virtio-net-pci", "id": "n1", "bogus": 1}, id=1),
           c("device_add", {"driver": "pci-device"}, id=2),
           c("device_add", {"driver": "memory-backend-ram"}, id=3),
           c("device_add", {"driver": "PIIX4_PM"}, id=4),
           c("device_add", {"driver": "guest-loader"}, id=5),
           c("device_add", {"driver": "virtio-blk-device", "bus": "pci.0"}, id=6),
           c("device_add", {"driver": "usb-tablet"}, id=7),
           c("device_add", {"driver": "virtserialport"}, id=8),
           c("device_add", {"driver": "ide-hd", "bus": "ide.0"}, id=9),
           c("device_add", {"driver": "qemu-xhci", "id": "xhci"}, id=10),
           c("device_add", {"driver": "usb-tablet", "id": "t1"}, id=11),
           c("device_add", {"driver": "usb-tablet", "id": "t2", "bus": "xhci.0"}, id=12),
           c("device_add", {"driver": "usb-storage", "id": "us1"}, id=13),
           c("device_add", {"driver": "virtio-serial-pci", "id": "vs", "max_ports": 3}, id=14),
           c("device_add", {"driver": "virtserialport", "id": "p1"}, id=15),
           c("device_add", {"driver": "virtconsole", "id": "c0"}, id=16),
           c("device_add", {"driver": "virtserialport", "id": "p2", "nr": 1}, id=17),
           c("device_add", {"driver": "virtserialport", "id": "p3", "nr": 5}, id=18),
           c("device_add", {"driver": "virtserialport", "id": "p4", "name": "a"}, id=19),
           c("device_add", {"driver": "virtserialport", "id": "p5", "name": "a"}, id=20),
           c("device_add", {"driver": "virtserialport", "id": "p6"}, id=21),
           c("device_add", {"driver": "virtconsole", "id": "c1", "chardev": "nochr"}, id=22),
           c("device_add", {"driver": "virtio-net-pci", "id": "n2", "mac": "x", "bogus": 1,
                            "addr": "zz"}, id=23),
           c("device_add", {"driver": "virtio-net-pci", "id": "n3", "romfile": 5,
                            "bootindex": "x", "vectors": "y"}, id=24),
           c("device_add", {"driver": "e1000", "id": "e1"}, id=25),
           c("device_add", {"driver": "virtio-blk", "id": "a1"}, id=26),
           c("device_add", {"driver": "virtio-net", "id": "a2"}, id=27),
           c("device_add", {"driver": "e1000-82540em", "id": "a3"}, id=28),
           c("device_add", {"driver": "pcie-root-port", "id": "rp", "chassis": 5}, id=29),
           c("device_add", {"driver": "virtio-net-pci", "id": "n4", "bus": "rp"}, id=30),
           c("device_add", {"driver": "nvdimm", "id": "nv"}, id=31),
           c("device_add", {"driver": "virtio-balloon-pci", "id": "b1"}, id=32),
           c("device_add", {"driver": "vhost-vsock-pci", "id": "vv"}, id=33),
           c("device_add", {"driver": "qemu64-x86_64-cpu", "id": "cpu1", "bogus": 1}, id=34),
           c("device_del", {"id": "p1"}, id=35),
           c("query-pci", id="pci"),
       ])


script("9p", "virtio-9p-pci: the fsdev it names must exist (checked at realize, after the "
       "PCI address), without one the NULL id", machine("pc"), [
           CAPS,
           c("device_add", {"driver": "virtio-9p-pci", "id": "p0", "fsdev": "nope",
                            "mount_tag": "x"}, id=1),
           c("device_add", {"driver": "virtio-9p-pci", "id": "p1", "mount_tag": "x"}, id=2),
           c("device_add", {"driver": "virtio-9p-pci", "id": "p2", "fsdev": "nope"}, id=3),
           c("device_add", {"driver": "virtio-9p-pci", "id": "p3", "fsdev": "nope",
                            "addr": "0"}, id=4),
           c("qom-list", {"path": "/machine/peripheral"}, id=5),
       ])

script("hotplug-off", "q35: pcie-root-port hotplug=off takes cold-plugged devices and refuses "
       "hot-plug and hot-unplug (5.2 in the port's handler, later as a bus without hot-plug)",
       machine("q35") + ["-device", "pcie-root-port,id=rp1,chassis=1,hotplug=off",
                         "-device", "pcie-root-port,id=rp2,chassis=2",
                         "-device", "virtio-net-pci,id=n0,bus=rp1"], [
           CAPS,
           c("device_add", {"driver": "virtio-net-pci", "id": "n1", "bus": "rp1"}, id=1),
           c("device_del", {"id": "n0"}, id=2),
           c("device_add", {"driver": "virtio-net-pci", "id": "n2", "bus": "rp2"}, id=3),
           c("qom-get", {"path": "/machine/peripheral/rp1", "property": "hotplug"}, id=4),
           c("qom-list", {"path": "/machine/peripheral"}, id=5),
           c("device_add", {"driver": "pcie-root-port", "id": "rp3", "chassis": 1}, id=6),
       ])

# ------------------------------------------------------------------ memory devices

MEM = ["-m", "256M,slots=2,maxmem=1G",
       "-object", "memory-backend-ram,id=m1,size=128M",
       "-object", "memory-backend-ram,id=m2,size=128M",
       "-object", "memory-backend-ram,id=m3,size=1G",
       "-object", "memory-backend-ram,id=m4,size=129M",
       "-object", "memory-backend-ram,id=m5,size=128M",
       "-object", "memory-backend-file,id=mf,size=64M,mem-path=@TMP@/nv,share=on"]


def memory_steps(q35=False):
    return [
        CAPS,
        c("query-memory-devices", id="empty"),
        c("query-memory-size-summary", id="summary0"),
        c("query-hotpluggable-cpus", id="cpus"),
        c("device_add", {"driver": "pc-dimm", "id": "d0"}, id="nomemdev"),
        c("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}, id="d1"),
        c("device_add", {"driver": "pc-dimm", "id": "d2", "memdev": "m1"}, id="busy"),
        c("device_add", {"driver": "pc-dimm", "id": "d3", "memdev": "m3"}, id="toobig"),
        c("device_add", {"driver": "pc-dimm", "id": "d4", "memdev": "m4"}, id="align"),
        c("device_add", {"driver": "pc-dimm", "id": "d5", "memdev": "m2", "slot": 7}, id="badslot"),
        c("device_add", {"driver": "pc-dimm", "id": "d9", "memdev": "m2", "slot": 0}, id="slotbusy"),
        c("device_add", {"driver": "pc-dimm", "id": "d6", "memdev": "m2", "node": 3}, id="badnode"),
        c("device_add", {"driver": "pc-dimm", "id": "d7", "memdev": "m2"}, id="d7"),
        c("device_add", {"driver": "pc-dimm", "id": "d8", "memdev": "m5"}, id="noslot"),
        c("device_add", {"driver": "nvdimm", "id": "nv", "memdev": "mf"}, id="nvdimm"),
        c("query-memory-devices", id="two"),
        c("query-memory-size-summary", id="summary"),
        c("query-acpi-ospm-status", id="ospm"),
        c("qom-get", {"path": "/machine/peripheral/d1", "property": "addr"}, id="addr"),
        c("qom-get", {"path": "/machine/peripheral/d1", "property": "size"}, id="size"),
        c("qom-get", {"path": "/machine/peripheral/d1", "property": "slot"}, id="slot"),
        c("device_del", {"id": "d1"}, id="del"),
        c("device_del", {"id": "d1"}, id="del2"),
        c("query-memory-devices", id="after-del"),
    ]


script("memory-pc", "memory hot-plug on pc with -m 256M,slots=2,maxmem=1G: pc-dimm with a "
       "memdev, busy/too big/misaligned backends, slots, query-memory-devices, the implicit "
       "NUMA node in query-hotpluggable-cpus, unplug without a guest",
       machine("pc") + MEM, memory_steps())
script("memory-q35", "memory hot-plug on q35 (as memory-pc)", machine("q35") + MEM,
       memory_steps(True))
script("memory-noslots", "pc without slots: pc-dimm, nvdimm and virtio-mem-pci refused",
       machine("pc") + ["-object", "memory-backend-ram,id=m1,size=128M"], [
           CAPS,
           c("query-hotpluggable-cpus", id="cpus"),
           c("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}, id=1),
           c("device_add", {"driver": "virtio-mem-pci", "id": "vm1", "memdev": "m1"}, id=2),
           c("device_add", {"driver": "nvdimm", "id": "nv1", "memdev": "m1"}, id=3),
           c("query-memory-devices", id=4),
       ])
script("memory-virtio-mem", "virtio-mem-pci with -m slots/maxmem: requested-size by qom-set",
       machine("pc") + ["-m", "256M,slots=2,maxmem=2G",
                        "-object", "memory-backend-ram,id=vmem0,size=1G"], [
           CAPS,
           c("device_add", {"driver": "virtio-mem-pci", "id": "vm1", "memdev": "vmem0"}, id=1),
           c("device_add", {"driver": "virtio-mem-pci", "id": "vm2", "memdev": "vmem0"}, id=2),
           c("query-memory-devices", id=3),
           c("qom-set", {"path": "vm1", "property": "requested-size", "value": 134217728}, id=4),
           c("qom-get", {"path": "/machine/peripheral/vm1", "property": "requested-size"}, id=5),
           c("qom-get", {"path": "/machine/peripheral/vm1", "property": "size"}, id=6),
           c("qom-set", {"path": "vm1", "property": "requested-size", "value": 3}, id=7),
           c("query-memory-devices", id=8),
       ])
script("memory-cmdline", "memory devices on the command line: -device pc-dimm and nvdimm "
       "(machine nvdimm=on), query-memory-devices",
       ["-machine", "pc,nvdimm=on", "-accel", "tcg", "-S", "-m", "256M,slots=4,maxmem=2G",
        "-object", "memory-backend-ram,id=m1,size=128M",
        "-object", "memory-backend-file,id=mf,size=64M,mem-path=@TMP@/nv,share=on",
        "-device", "pc-dimm,id=d1,memdev=m1", "-device", "nvdimm,id=nv1,memdev=mf"], [
           CAPS,
           c("query-memory-devices", id=1),
           c("query-memory-size-summary", id=2),
           c("query-hotpluggable-cpus", id=3),
       ])


# The memory map pc_memory_init() builds from -m: the machine's "memory" and
# device-memory-region-size, the host bridge's 64-bit PCI hole after the
# device memory, and where the first memory device goes.
def memory_map_steps(bridge, dev="pc-dimm"):
    return [
        CAPS,
        c("qom-get", {"path": "/machine", "property": "memory"}, id="memory"),
        c("qom-get", {"path": "/machine", "property": "device-memory-region-size"}, id="region"),
        c("qom-get", {"path": bridge, "property": "pci-hole64-start"}, id="hole-start"),
        c("qom-get", {"path": bridge, "property": "pci-hole64-end"}, id="hole-end"),
        c("qom-get", {"path": bridge, "property": "pci-hole64-size"}, id="hole-size"),
        c("device_add", {"driver": dev, "id": "d1", "memdev": "m1"}, id="plug"),
        c("query-memory-devices", id="devices"),
        c("query-memory-size-summary", id="summary"),
        c("query-hotpluggable-cpus", id="cpus"),
    ]


M1 = ["-object", "memory-backend-ram,id=m1,size=128M"]
I440FX, Q35 = "/machine/i440fx", "/machine/q35"
script("memory-map-pc-4g", "pc -m 4G,slots=2,maxmem=8G: RAM above 4 GiB moves the device memory",
       machine("pc") + ["-m", "4G,slots=2,maxmem=8G"] + M1, memory_map_steps(I440FX))
script("memory-map-q35-3g", "q35 -m 3G,slots=1,maxmem=4G: q35's 2 GiB below 4 GiB",
       machine("q35") + ["-m", "3G,slots=1,maxmem=4G"] + M1, memory_map_steps(Q35))
script("memory-map-lowmem", "pc,max-ram-below-4g=1G -m 2G,slots=1,maxmem=4G",
       machine("pc,max-ram-below-4g=1G") + ["-m", "2G,slots=1,maxmem=4G"] + M1,
       memory_map_steps(I440FX))
script("memory-map-noslots", "pc -m 256M,maxmem=1G (no slots): virtio-mem-pci in the region",
       machine("pc") + ["-m", "256M,maxmem=1G"] + M1, memory_map_steps(I440FX, "virtio-mem-pci"))
script("memory-map-physbits", "pc -m 1G,slots=2,maxmem=1T: past the 40 phys-bits of qemu64 "
       "(7.1 on: refused, after the move past AMD's HyperTransport hole)",
       machine("pc") + ["-m", "1G,slots=2,maxmem=1T"] + M1, memory_map_steps(I440FX))
script("memory-map-below-ht", "pc -m 1G,slots=2,maxmem=900G: below AMD's HyperTransport hole",
       machine("pc") + ["-m", "1G,slots=2,maxmem=900G"] + M1, memory_map_steps(I440FX))
script("memory-map-amd", "pc -m 1G,slots=2,maxmem=1010G: qemu64 is AMD's, so the memory above "
       "4 GiB moves past the HyperTransport hole, beyond its 40 phys-bits (7.1 on)",
       machine("pc") + ["-m", "1G,slots=2,maxmem=1010G"] + M1, memory_map_steps(I440FX))
script("memory-map-old-machine", "pc-i440fx-5.2 -m 1G,slots=2,maxmem=1010G: no move past "
       "the HyperTransport hole for older machine types",
       machine("pc-i440fx-5.2") + ["-m", "1G,slots=2,maxmem=1010G"] + M1,
       memory_map_steps(I440FX))
script("memory-map-intel", "-cpu qemu64,vendor=GenuineIntel -m 1G,slots=2,maxmem=1010G",
       machine("pc") + ["-cpu", "qemu64,vendor=GenuineIntel", "-m", "1G,slots=2,maxmem=1010G"]
       + M1, memory_map_steps(I440FX))
script("memory-map-qemu32", "-cpu qemu32 (no long mode, 36 phys-bits) -m 1G,slots=2,maxmem=100G",
       machine("pc") + ["-cpu", "qemu32", "-m", "1G,slots=2,maxmem=100G"] + M1,
       memory_map_steps(I440FX))
script("memory-map-hex", "-m 0x100M: a multiplier on a hex number (7.2 warns, 10.0 refuses)",
       machine("pc") + ["-m", "0x100M,slots=1,maxmem=0x200M"] + M1, memory_map_steps(I440FX))
script("memory-map-hex-legacy", "-m 0x100: the legacy MiB of a hex number",
       machine("pc") + ["-m", "0x100"], memory_map_steps(I440FX))
script("memory-map-odd", "-m 1000k: sizes rounded up to 8 KiB; -m 0 is the default",
       machine("pc") + ["-m", "1001k,slots=1,maxmem=1G"] + M1, memory_map_steps(I440FX))
script("memory-map-repeat", "-m keys given twice: the last wins",
       machine("pc") + ["-m", "1G,slots=2,maxmem=2G,slots=3,maxmem=3G"] + M1,
       memory_map_steps(I440FX))

script("memory-unplug", "unplug of memory devices without a guest: pc-dimm (an ACPI request "
       "left pending, repeated), nvdimm hot-plugged and cold-plugged (refused), virtio-mem-pci "
       "(a PCI request), query-acpi-ospm-status",
       ["-machine", "pc,nvdimm=on", "-accel", "tcg", "-S", "-m", "256M,slots=4,maxmem=4G",
        "-object", "memory-backend-ram,id=m1,size=128M",
        "-object", "memory-backend-ram,id=m2,size=128M",
        "-object", "memory-backend-ram,id=vm0,size=1G",
        "-object", "memory-backend-ram,id=vm1b,size=512M",
        "-object", "memory-backend-file,id=mf,size=64M,mem-path=@TMP@/nv,share=on",
        "-object", "memory-backend-file,id=mf2,size=64M,mem-path=@TMP@/nv2,share=on",
        "-device", "nvdimm,id=nv0,memdev=mf", "-device", "pc-dimm,id=d0,memdev=m2"], [
           CAPS,
           c("device_del", {"id": "nv0"}, id="del-nv0"),
           c("device_add", {"driver": "nvdimm", "id": "nv1", "memdev": "mf2"}, id="nv1"),
           c("device_del", {"id": "nv1"}, id="del-nv1"),
           c("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}, id="d1"),
           c("device_del", {"id": "d1"}, id="del-d1"),
           c("device_del", {"id": "d1"}, id="del-d1-again"),
           c("device_del", {"id": "d0"}, id="del-d0"),
           c("device_add", {"driver": "virtio-mem-pci", "id": "vm1", "memdev": "vm0"}, id="vm1"),
           c("device_del", {"id": "vm1"}, id="del-vm1"),
           c("device_del", {"id": "vm1"}, id="del-vm1-again"),
           c("device_add", {"driver": "virtio-mem-pci", "id": "vm2", "memdev": "vm1b"}, id="vm2"),
           c("qom-set", {"path": "vm2", "property": "requested-size", "value": 134217728},
             id="vm2-req"),
           c("device_del", {"id": "vm2"}, id="del-vm2"),
           c("query-acpi-ospm-status", id="ospm"),
           c("query-memory-devices", id="devices"),
           c("qom-list", {"path": "/machine/peripheral"}, id="peripheral"),
           c("cont", id="cont", events=["RESUME"]),
           c("device_del", {"id": "d1"}, id="del-d1-running"),
           c("query-acpi-ospm-status", id="ospm2"),
       ])
script("memory-unplug-noacpi", "pc,acpi=off with memory hot-plug: plug and unplug of a pc-dimm",
       ["-machine", "pc,acpi=off", "-accel", "tcg", "-S", "-m", "256M,slots=2,maxmem=1G",
        "-object", "memory-backend-ram,id=m1,size=128M"], [
           CAPS,
           c("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}, id="d1"),
           c("device_del", {"id": "d1"}, id="del-d1"),
           c("query-memory-devices", id="devices"),
       ])

# The whole composition tree of a machine with devices of every kind (boot and
# hot-plugged CPUs, a bridge, anonymous devices, a SCSI disk, a DIMM): qom-list
# of every object, the paths being the union of what QEMU 5.2, 7.2 and 10.0
# list (tests/conformance/qom_walk.json, made by walking their trees).
WALK_ARGV = ["-machine", "pc", "-accel", "tcg", "-S", "-smp", "1,maxcpus=2",
             "-m", "256M,slots=2,maxmem=1G", "-object", "memory-backend-ram,id=m1,size=128M",
             "-device", "pci-bridge,id=br0,chassis_nr=1", "-device", "virtio-scsi-pci,id=scsi0",
             "-device", "virtio-net-pci",
             "-blockdev", '{"driver":"null-co","node-name":"n0"}']
WALK_PLUG = [
    c("device_add", {"driver": "qemu64-x86_64-cpu", "id": "cpu1", "socket-id": 1, "core-id": 0,
                     "thread-id": 0}, id="cpu1"),
    c("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}, id="d1"),
    c("device_add", {"driver": "scsi-hd", "drive": "n0", "bus": "scsi0.0"}, id="sd"),
    c("device_add", {"driver": "virtio-blk-pci", "id": "vb", "drive": "n0", "bus": "br0",
                     "addr": "0x3", "share-rw": True}, id="vb"),
]
with open(os.path.join(HERE, "qom_walk.json")) as f:
    WALK_PATHS = json.load(f)
script("tree-walk-pc", "qom-list of every object of a pc with devices of every kind",
       WALK_ARGV, [CAPS] + WALK_PLUG + [c("qom-list", {"path": p}, id=p) for p in WALK_PATHS])

def region_gets(path):
    return [c("qom-get", {"path": path, "property": n}, id=path + "." + n)
            for n in ("type", "container", "addr", "size", "priority")]


script("memory-regions", "the memory regions memory hot-plug and backends add: "
       "/machine/device-memory[0], each backend's ID[0] before and after a DIMM, virtio-mem "
       "or NVDIMM maps it, pc.ram's",
       ["-machine", "pc,nvdimm=on", "-accel", "tcg", "-S", "-m", "256M,slots=2,maxmem=2G",
        "-object", "memory-backend-ram,id=m1,size=128M",
        "-object", "memory-backend-ram,id=v1,size=256M",
        "-object", "memory-backend-file,id=f1,size=64M,mem-path=@TMP@/nv,share=on"],
       [CAPS] + region_gets("/machine/device-memory[0]") + region_gets("/objects/m1/m1[0]") + [
           c("qom-list", {"path": "/objects/m1"}, id="list-m1"),
           c("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}, id="d1"),
           c("device_add", {"driver": "virtio-mem-pci", "id": "vm", "memdev": "v1"}, id="vm"),
           c("device_add", {"driver": "nvdimm", "id": "nv", "memdev": "f1"}, id="nv")]
       + region_gets("/objects/m1/m1[0]") + region_gets("/objects/v1/v1[0]")
       + region_gets("/objects/f1/f1[0]") + region_gets("/objects/pc.ram/pc.ram[0]") + [
           c("qom-get", {"path": "/objects/m1/m1[1]", "property": "type"}, id="nosuch"),
           c("qom-list", {"path": "/objects/pc.ram/pc.ram[0]"}, id="list-region")])

script("machine-commands", "commands about the machine and its run state with nothing to "
       "model behind them: query-events/-spice/-jobs/-block-jobs/-block-exports/"
       "-hv-balloon-status-report, inject-nmi, system_wakeup, set-action, watchdog-set-action",
       machine("pc"), [
           CAPS,
           c("query-events", id="events"),
           c("query-spice", id="spice"),
           c("query-jobs", id="jobs"),
           c("query-block-jobs", id="block-jobs"),
           c("query-block-exports", id="exports"),
           c("query-hv-balloon-status-report", id="hv"),
           c("inject-nmi", id="nmi"),
           c("system_wakeup", id="wakeup"),
           c("set-action", {"reboot": "shutdown", "panic": "pause"}, id="action"),
           c("set-action", {"reboot": "bogus"}, id="action-bad"),
           c("watchdog-set-action", {"action": "pause"}, id="wd"),
           c("watchdog-set-action", {"action": "x"}, id="wd-bad"),
           c("cont", id="cont", events=["RESUME"]),
           c("inject-nmi", id="nmi-running"),
           c("system_wakeup", id="wakeup-running"),
       ])

# -m values refused at start-up (each version's words).
MEM_ARGS = [
    "256M,slots=2", "1G,maxmem=512M", "1G,slots=2,maxmem=1G", "256M,slots=300,maxmem=1G",
    "256M,slots=2,maxmem=1000000001", "99999999999999T", "foo", "1G,bogus=1", "1G,slots=x",
    "1G,slots=-1,maxmem=2G", "1.5", "size=", "99999999999999", "17179869184T", "1G,maxmem=x",
    "-1", "1G,slots=99999999999999999999,maxmem=2G", "256M,slots=257,maxmem=2G",
    "1G,maxmem=1.5", "1G,slots=1,maxmem=1G", "0,slots=1", "1G,,slots=2",
]
for i, arg in enumerate(MEM_ARGS):
    script("argv-memory-%02d" % i, "-m %s: refused as QEMU refuses it" % arg,
           ["-machine", "pc", "-accel", "tcg", "-S", "-m", arg], [],
           monitor=False, wait_exit=True)

# -machine properties: checked against the machine type's recorded properties.
MACHINE_ARGS = [
    "pc,bogus=1", "pc,max-ram-below-4g=x", "pc,usb=x", "pc,max-ram-below-4g=5G", "pc,vmport=x",
    "pc,dump-guest-core", "pc,graphics=off,bogus", "pc,smm=maybe", "q35,bogus=1", "none,bogus=1",
    "pc,hpet=x", "pc,max-ram-below-4g=-1", "pc-i440fx-5.2,bogus=1", "pc,usb",
]
for i, arg in enumerate(MACHINE_ARGS):
    script("argv-machine-%02d" % i, "-machine %s: refused as QEMU refuses it" % arg,
           ["-machine", arg, "-accel", "tcg", "-S"], [], monitor=False, wait_exit=True)


def machine_prop_steps(names):
    return [CAPS] + [c("qom-get", {"path": "/machine", "property": n}, id=n) for n in names]


script("machine-props", "-machine pc with properties set: qom-get of each",
       ["-machine", "pc,max-ram-below-4g=2G,usb=off,dump-guest-core=off,vmport=off,hpet=off,"
        "smm=on,graphics=off,mem-merge=off", "-accel", "tcg", "-S"],
       machine_prop_steps(["type", "max-ram-below-4g", "usb", "dump-guest-core", "vmport", "hpet",
                           "smm", "graphics", "mem-merge", "sata", "nosuch"]))
script("machine-props-lowmem", "-machine pc,max-ram-below-4g=512k: BIOS warning, memory map",
       ["-machine", "pc,max-ram-below-4g=512k", "-accel", "tcg", "-S", "-m", "1G,slots=1,maxmem=2G"],
       memory_map_steps(I440FX)[:6])
script("machine-deprecated", "deprecated machine types: the start-up warning, /machine's type",
       ["-machine", "pc-1.1", "-accel", "tcg", "-S"], machine_prop_steps(["type"]))
script("machine-deprecated-72", "pc-i440fx-1.5 (deprecated in 7.2, gone in 10.0)",
       ["-machine", "pc-i440fx-1.5", "-accel", "tcg", "-S"], machine_prop_steps(["type"]))
script("machine-q35-versioned", "pc-q35-5.2: the type of /machine, a property the version lacks",
       ["-machine", "pc-q35-5.2", "-accel", "tcg", "-S"], machine_prop_steps(["type", "nosuch"]))

# ------------------------------------------------------------------ system_reset

script("reset-prelaunch", "system_reset with unplug requests pending on a VM that never ran, "
       "then the run state after a reset while paused",
       machine("pc") + ["-m", "256M,slots=2,maxmem=1G",
                        "-object", "memory-backend-ram,id=m1,size=128M"], [
           CAPS,
           c("device_add", {"driver": "virtio-net-pci", "id": "n1"}, id="n1"),
           c("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m1"}, id="d1"),
           c("device_del", {"id": "n1"}, id="del-n1"),
           c("device_del", {"id": "d1"}, id="del-d1"),
           # The pending PCI unplug completes: DEVICE_DELETED comes (or not, 5.2) soon after.
           c("system_reset", id="reset", events=["RESET", "DEVICE_DELETED", "DEVICE_DELETED"],
             deadline=1.0),
           c("query-status", id="status"),
           c("qom-list", {"path": "/machine/peripheral"}, id="peripheral"),
           c("query-memory-devices", id="mem"),
           c("device_del", {"id": "n1"}, id="del-n1-again"),
           c("cont", id="cont", events=["RESUME"]),
           c("stop", id="stop", events=["STOP"]),
           c("system_reset", id="reset2", events=["RESET"]),
           c("query-status", id="status2"),
           c("cont", id="cont2", events=["RESUME"]),
           c("query-status", id="status3"),
       ])
script("reset-running", "system_reset of a running VM (no guest OS), then stop, reset, cont",
       ["-machine", "pc", "-accel", "tcg"], [
           CAPS,
           c("query-status", id="status0"),
           c("system_reset", id="reset", events=["RESET"]),
           c("query-status", id="status"),
           c("stop", id="stop", events=["STOP"]),
           c("system_reset", id="reset2", events=["RESET"]),
           c("query-status", id="status2"),
           c("cont", id="cont", events=["RESUME"]),
           c("query-status", id="status3"),
       ])

# -device on the command line: QemuOpts strings everywhere, JSON from 6.1.
DEVICE_ARGS = [
    "pci-bridge,chassis_nr=x", "pci-bridge,chassis_nr=300", "pci-bridge,chassis_nr=1,shpc=x",
    "pci-bridge,chassis_nr=1,mem-reserve=x", "pci-bridge,chassis_nr=1,mem-reserve=-1",
    "pci-bridge,chassis_nr=1,addr=zz", "pci-bridge,chassis_nr=1,bogus=1",
    "pci-bridge,chassis_nr=1,msi=x", "virtio-net-pci,mac=x", "virtio-blk-pci,queue-size=x",
    "pci-bridge,chassis_nr=1,id=a,,b", "no-such-device", "pci-device", "PIIX4_PM",
    "usb-tablet", '{"driver":"pci-bridge","chassis_nr":"x"}',
    '{"driver":"pci-bridge","chassis_nr":1,"shpc":"on"}', "virtio-blk-pci",
]
for i, arg in enumerate(DEVICE_ARGS):
    script("argv-device-%02d" % i, "-device %s: refused as QEMU refuses it" % arg,
           ["-machine", "pc", "-accel", "tcg", "-S", "-device", arg], [],
           monitor=False, wait_exit=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.startswith(PREFIX) and old.endswith(".json") and old[:-5] not in SCRIPTS:
            os.unlink(os.path.join(OUT, old))
    for name, d in SCRIPTS.items():
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(d, f, indent=1, ensure_ascii=True)
            f.write("\n")
    print("%d scripts" % len(SCRIPTS))


if __name__ == "__main__":
    main()
