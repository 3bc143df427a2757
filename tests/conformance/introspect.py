#!/usr/bin/python3
"""introspect.py - record what a real QEMU says about itself, for fakeqemu to answer from.

  introspect.py --qemu PATH --out fakeqemu-data/VERSION/introspect.json [--quick]

Runs the binary several times (-machine none, pc and q35; -accel tcg and kvm
when /dev/kvm works) with -nodefaults -S and records, verbatim:

  - every QOM type with its parent and abstract flag (qom-list-types with
    abstract=true), and checks that the other forms of qom-list-types are
    that list filtered (so fakeqemu can derive them);
  - device-list-properties and qom-list-properties of every type (replies,
    errors, or the crash some types cause: QEMU aborts on those);
  - every argument-less query-* command of the schema, per machine and
    accelerator (query-machines, query-cpu-definitions, query-tpm-*,
    query-sev*, query-sgx*, query-kvm, query-migrate-capabilities, ...);
  - query-cpu-model-expansion of host and max (static and full, with the
    props libvirt adds) and of every named model, per accelerator;
  - query-command-line-options with and without each option name;
  - the QOM composition tree of each machine (qom-list of every object,
    qom-get of every property that is not a child or link);
  - each CPU model's object on machine pc (qom-list and every qom-get), per
    accelerator: the feature booleans libvirt reads.

Output: one JSON file. Every reply text is kept exactly as QEMU wrote it
(re-serialised by qemu_dumps() only after checking that this gives QEMU's
bytes back), and list elements and values are interned into "entries": a
list reply is a list of entry indexes, so the thousands of repeated property
descriptions are stored once. Errors are {"error": {"class", "desc"}}; a
command that killed QEMU is {"crash": STDERR-TAIL}. The layout is described
in fakeqemu-data/README.md. Only the standard library.
"""

import argparse
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

DEADLINE = 30.0


# ---------------------------------------------------------------- QEMU's JSON output

def _qemu_str(s):
    out = ['"']
    for ch in s:
        cp = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif cp > 0xFFFF:
            cp -= 0x10000
            out.append("\\u%04X\\u%04X" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)))
        elif cp < 0x20 or cp >= 0x7F:
            out.append("\\u%04X" % cp)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def qemu_dumps(v, float_17g=True):
    """Serialise as QEMU's qobject_to_json(): ", "/": ", \\uXXXX upper case, %.17g."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if float_17g:
            return "%.17g" % v
        t = ("%f" % v).rstrip("0")
        return t[:-1] if t.endswith(".") else t
    if isinstance(v, str):
        return _qemu_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(qemu_dumps(x, float_17g) for x in v) + "]"
    return "{" + ", ".join(_qemu_str(k) + ": " + qemu_dumps(x, float_17g) for k, x in v.items()) + "}"


# ---------------------------------------------------------------- a QMP session

class Crash(Exception):
    pass


class Session:
    """One QEMU process with a QMP monitor on a pre-opened socket."""

    def __init__(self, qemu, argv):
        self.qemu, self.argv = qemu, argv
        self.tmp = tempfile.TemporaryDirectory(prefix="introspect-")
        path = os.path.join(self.tmp.name, "qmp.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(1)
        self.errf = open(os.path.join(self.tmp.name, "stderr"), "w+b")
        full = [qemu] + argv + ["-display", "none", "-chardev",
                                "socket,id=qmp0,fd=%d,server=on,wait=off" % lsock.fileno(),
                                "-mon", "chardev=qmp0,mode=control"]
        self.proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=self.errf,
                                     stderr=self.errf, pass_fds=[lsock.fileno()])
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        lsock.close()
        self.buf = b""
        self.greeting = self._line()
        self.call("qmp_capabilities")

    def stderr(self):
        self.errf.seek(0)
        return self.errf.read().decode("utf-8", "replace")

    def _line(self):
        deadline = time.monotonic() + DEADLINE
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                raise Crash("no reply within %d s" % DEADLINE)
            try:
                data = self.sock.recv(1 << 20)
            except ConnectionResetError:
                data = b""
            if not data:
                self.proc.wait()
                raise Crash(self.stderr()[-600:])
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8")

    def raw(self, name, args=None):
        """The reply line to one command (events skipped), as QEMU wrote it."""
        msg = {"execute": name}
        if args is not None:
            msg["arguments"] = args
        try:
            self.sock.sendall(json.dumps(msg).encode())
        except (BrokenPipeError, ConnectionResetError):
            self.proc.wait()
            raise Crash(self.stderr()[-600:])
        while True:
            line = self._line()
            if not line.startswith('{"timestamp"'):
                return line

    def call(self, name, args=None):
        return json.loads(self.raw(name, args))

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.sock.close()
        self.errf.close()
        self.tmp.cleanup()


# ---------------------------------------------------------------- the recording

class Recorder:
    def __init__(self, qemu, float_17g):
        self.qemu = qemu
        self.float_17g = float_17g
        self.entries = []
        self.entry_ids = {}
        self.sessions = {}
        self.notes = []

    def intern(self, text):
        i = self.entry_ids.get(text)
        if i is None:
            i = self.entry_ids[text] = len(self.entries)
            self.entries.append(text)
        return i

    def session(self, machine, accel, extra=()):
        key = (machine, accel, tuple(extra))
        s = self.sessions.get(key)
        if s is None or s.proc.poll() is not None:
            argv = ["-machine", machine, "-accel", accel, "-nodefaults", "-S"] + list(extra)
            s = self.sessions[key] = Session(self.qemu, argv)
        return s

    def close_sessions(self):
        for s in self.sessions.values():
            s.close()
        self.sessions = {}

    def check_text(self, line, value):
        again = qemu_dumps(value, self.float_17g)
        if again != line:
            raise SystemExit("introspect.py: cannot reproduce QEMU's bytes:\n  %s\n  %s"
                             % (line[:300], again[:300]))

    def reply(self, machine, accel, name, args=None, as_list=False, extra=()):
        """Record one command: entry id of the return text, a list of entry ids
        (as_list), {"error": ...} or {"crash": ...}."""
        try:
            s = self.session(machine, accel, extra)
            line = s.raw(name, args)
        except Crash as e:
            self.sessions.pop((machine, accel, tuple(extra)), None)
            return {"crash": str(e)}
        msg = json.loads(line)
        self.check_text(line, msg)
        if "error" in msg:
            return {"error": msg["error"]}
        ret = msg["return"]
        if as_list and isinstance(ret, list):
            return [self.intern(qemu_dumps(x, self.float_17g)) for x in ret]
        return self.compact(ret)

    def compact(self, ret):
        """An entry id; or, when the value holds a dict of more than BIG members
        (a CPU model's props), {"template": id, "pairs": [ids]}: the template is
        the text with that dict replaced by PLACEHOLDER, each pair is one
        '"key": value' member text, so models share their members."""
        big = find_big_dict(ret)
        if big is None:
            return self.intern(qemu_dumps(ret, self.float_17g))
        pairs = [self.intern(_qemu_str(k) + ": " + qemu_dumps(v, self.float_17g))
                 for k, v in big.items()]
        big.clear()
        big[PLACEHOLDER_KEY] = 0
        return {"template": self.intern(qemu_dumps(ret, self.float_17g)), "pairs": pairs}

    def text(self, rec):
        """The return value of a recorded reply, parsed."""
        if isinstance(rec, int):
            return json.loads(self.entries[rec])
        if isinstance(rec, list):
            return [json.loads(self.entries[i]) for i in rec]
        return None


BIG = 32
PLACEHOLDER_KEY = "@pairs"


def find_big_dict(v):
    """The first dict (depth first) with more than BIG members, or None."""
    if isinstance(v, dict):
        if len(v) > BIG:
            return v
        vals = v.values()
    elif isinstance(v, list):
        vals = v
    else:
        return None
    for x in vals:
        d = find_big_dict(x)
        if d is not None:
            return d
    return None


def schema_queries(schema):
    """Argument-less query-* commands of a schema."""
    by_name = {e["name"]: e for e in schema}
    out = []
    for e in schema:
        if (e["meta-type"] != "command" or not e["name"].startswith("query-")
                or e["name"] == "query-qmp-schema"):   # schema.json has it
            continue
        arg = by_name.get(e["arg-type"], {})
        if all("default" in m for m in arg.get("members", [])):
            out.append(e["name"])
    return sorted(out)


def kvm_usable(qemu):
    try:
        s = Session(qemu, ["-machine", "none", "-accel", "kvm", "-nodefaults", "-S"])
    except Crash:
        return False
    ok = s.call("query-kvm")["return"]["enabled"]
    s.close()
    return ok


def cpu_expansion_args(models):
    """query-cpu-model-expansion arguments recorded: libvirt 9.0's probes, then a few
    named models (a sample: each expansion is 500-odd members)."""
    args = []
    for name in ("host", "max"):
        for typ in ("static", "full"):
            args.append({"type": typ, "model": {"name": name}})
            args.append({"type": typ, "model": {"name": name, "props": {"migratable": False}}})
        args.append({"type": "full", "model": {"name": name,
                                               "props": {"migratable": False, "hv-passthrough": True}}})
    for m in models:
        if m in ("qemu64", "base", "Skylake-Client", "EPYC"):
            args.append({"type": "static", "model": {"name": m}})
            args.append({"type": "full", "model": {"name": m}})
    args.append({"type": "static", "model": {"name": "no-such-model"}})
    args.append({"type": "full", "model": {"name": "no-such-model"}})
    args.append({"type": "bogus", "model": {"name": "max"}})
    return args


def record_types(rec):
    """Types, their properties, and the forms of qom-list-types."""
    s = rec.session("none", "tcg")
    all_types = s.call("qom-list-types", {"abstract": True})["return"]
    types = [[t["name"], t.get("parent"), bool(t.get("abstract", False))] for t in all_types]
    order = [t[0] for t in types]
    abstract = {t[0] for t in types if t[2]}
    parent = {t[0]: t[1] for t in types}

    def ancestors(n):
        while n:
            yield n
            n = parent.get(n)

    checks = [({}, lambda n: n not in abstract)]
    for impl in ("device", "pci-device", "x86_64-cpu", "machine", "memory-backend", "bogus"):
        checks.append(({"implements": impl}, lambda n, i=impl: n not in abstract and i in ancestors(n)))
        checks.append(({"implements": impl, "abstract": True}, lambda n, i=impl: i in ancestors(n)))
    for args, keep in checks:
        got = [t["name"] for t in s.call("qom-list-types", args)["return"]]
        want = [n for n in order if keep(n)]
        if got != want:
            raise SystemExit("introspect.py: qom-list-types %s is not the abstract=true list "
                             "filtered; fakeqemu cannot derive it" % json.dumps(args))
    # Interfaces are not in the parent chain: record who implements each.
    implementers = {}
    for name in order:
        if "interface" in ancestors(name) and name != "interface":
            got = s.call("qom-list-types", {"implements": name, "abstract": True})["return"]
            implementers[name] = [t["name"] for t in got]
    dlp, qlp = {}, {}
    for name in order:
        dlp[name] = rec.reply("none", "tcg", "device-list-properties", {"typename": name}, as_list=True)
        qlp[name] = rec.reply("none", "tcg", "qom-list-properties", {"typename": name}, as_list=True)
    for bogus in ("no-such-type",):
        dlp[bogus] = rec.reply("none", "tcg", "device-list-properties", {"typename": bogus}, as_list=True)
        qlp[bogus] = rec.reply("none", "tcg", "qom-list-properties", {"typename": bogus}, as_list=True)
    return types, implementers, dlp, qlp


def record_replies(rec, queries, accels, machines):
    """Each query on a fresh machine, then (where the answer changes) after
    qom-list-types, which loads every QOM module: e.g. the spice module adds
    the -spice option to query-command-line-options."""
    out, loaded = {}, {}
    for accel in accels:
        for machine in machines:
            per = out.setdefault(accel, {}).setdefault(machine, {})
            for q in queries:
                per[q] = rec.reply(machine, accel, q)
            rec.reply(machine, accel, "qom-list-types")
            after = loaded.setdefault(accel, {}).setdefault(machine, {})
            for q in queries:
                r = rec.reply(machine, accel, q)
                if r != per[q]:
                    after[q] = r
            s = rec.sessions.pop((machine, accel, ()), None)
            if s:
                s.close()
    return out, loaded


def record_with_args(rec, accels, models, options):
    """Commands with arguments, keyed by their canonical argument JSON."""
    out = {}
    for accel in accels:
        per = out.setdefault(accel, {})
        for args in cpu_expansion_args(models):
            per["query-cpu-model-expansion " + json.dumps(args, sort_keys=True)] = \
                rec.reply("none", accel, "query-cpu-model-expansion", args)
        for args in ({"type": "static", "model": {"name": "max"}},
                     {"type": "full", "model": {"name": "max"}}):
            per["query-cpu-model-expansion@pc " + json.dumps(args, sort_keys=True)] = \
                rec.reply("pc", accel, "query-cpu-model-expansion", args)
    tcg = out.setdefault("tcg", {})
    for opt in list(options) + ["no-such-option"]:
        tcg["query-command-line-options " + json.dumps({"option": opt}, sort_keys=True)] = \
            rec.reply("none", "tcg", "query-command-line-options", {"option": opt})
    return out


def walk_tree(rec, machine, accel, root="/", extra=()):
    """qom-list of every object under root and qom-get of each listed property
    that is not a child (children are walked instead): {path: {"list": [entry
    ids], "values": [one reply per list element, null for children]}}."""
    tree = {}
    todo = [root]
    while todo:
        path = todo.pop(0)
        listing = rec.reply(machine, accel, "qom-list", {"path": path}, as_list=True, extra=extra)
        node = {"list": listing}
        tree[path] = node
        if not isinstance(listing, list):
            continue
        values = []
        for prop in rec.text(listing):
            if prop["type"].startswith("child<"):
                todo.append(path.rstrip("/") + "/" + prop["name"])
                values.append(None)
            else:
                values.append(rec.reply(machine, accel, "qom-get",
                                        {"path": path, "property": prop["name"]}, extra=extra))
        node["values"] = values
    return tree


def delta_encode(models, base_name):
    """CPU objects differ from each other in a few dozen features: store each
    model's object as {"base": base_name, "delta": [[position, value], ...]},
    the changes from the base's values, when both list the same properties
    in the same order (the list is then the base's)."""
    base = models.get(base_name)
    if not base or "object" not in base:
        return
    for name, m in models.items():
        obj = m.get("object")
        if name == base_name or not obj or obj["list"] != base["object"]["list"]:
            continue
        diffs = [[i, v] for i, (v, b) in enumerate(zip(obj["values"], base["object"]["values"]))
                 if v != b]
        m["object"] = {"base": base_name, "delta": diffs}   # the base's "list"


def record_device_add(rec, types):
    """device_add {"driver": T, "id": "probe"} of every concrete device type on each
    machine: the error names the bus type the device needs (-machine none has no
    bus), whether it is user-creatable, and the root buses' hot-plug rules. When
    it succeeds on pc or q35, query-pci shows the device's PCI identity (and on
    pc its object, /machine/peripheral/probe, is walked as walk_tree() does),
    and the machine is started afresh for the next type."""
    parent = {t[0]: t[1] for t in types}
    concrete = [t[0] for t in types if not t[2]]

    def is_device(n):
        while n:
            if n == "device":
                return True
            n = parent.get(n)
        return False

    out, pci, objects = {}, {}, {}
    for machine in ("none", "pc", "q35"):
        per = out.setdefault(machine, {})
        for name in concrete:
            if not is_device(name):
                continue
            r = rec.reply(machine, "tcg", "device_add", {"driver": name, "id": "probe"})
            per[name] = r
            if isinstance(r, dict) and ("error" in r or "crash" in r):
                continue
            if machine == "pc":
                objects[name] = walk_tree(rec, machine, "tcg", "/machine/peripheral/probe")
            if machine != "none":
                q = rec.text(rec.reply(machine, "tcg", "query-pci"))
                for bus in q or []:
                    for d in bus["devices"]:
                        if d["qdev_id"] == "probe":
                            pci.setdefault(name, {})[machine] = rec.intern(qemu_dumps(d, rec.float_17g))
            s = rec.sessions.pop((machine, "tcg", ()), None)
            if s:
                s.close()
    return out, pci, objects


# What to plug first so that a device finds the bus it needs (-machine pc).
BUS_PROVIDERS = {
    "usb-bus": [{"driver": "qemu-xhci", "id": "probebus"}],
    "virtio-serial-bus": [{"driver": "virtio-serial-pci", "id": "probebus"}],
    "SCSI": [{"driver": "virtio-scsi-pci", "id": "probebus"}],
    "HDA": [{"driver": "intel-hda", "id": "probebus"}],
    "ccid-bus": [{"driver": "qemu-xhci", "id": "probeusb"}, {"driver": "usb-ccid", "id": "probebus"}],
}


def record_device_add_bus(rec, types, device_add, objects):
    """device_add of the types that found no bus on pc, with a bus plugged first
    (BUS_PROVIDERS): their realize errors without properties, and the object
    of those that plug."""
    out = {}
    for name, r in device_add.get("none", {}).items():
        desc = r.get("error", {}).get("desc", "") if isinstance(r, dict) else ""
        m = re.match(r"No '(.+)' bus found for device", desc)
        if not m or m.group(1) not in BUS_PROVIDERS:
            continue
        for dev in BUS_PROVIDERS[m.group(1)]:
            rec.reply("pc", "tcg", "device_add", dev)
        r = rec.reply("pc", "tcg", "device_add", {"driver": name, "id": "probe"})
        out[name] = r
        if isinstance(r, int):
            objects[name] = walk_tree(rec, "pc", "tcg", "/machine/peripheral/probe")
        s = rec.sessions.pop(("pc", "tcg", ()), None)
        if s:
            s.close()
    return out


def record_cpus(rec, accels, models, quick):
    """Each CPU model's object on machine pc: qom-list and every qom-get."""
    out = {}
    for accel in accels:
        per = out.setdefault(accel, {})
        for model in (models[:4] if quick else models):
            cpu = model
            if accel == "kvm" and model == "host":
                # -cpu host aborts on this machine's KVM unless arch-capabilities is off.
                cpu = "host,-arch-capabilities"
            extra = ("-cpu", cpu)
            try:
                s = rec.session("pc", accel, extra)
            except Crash as e:
                per[model] = {"crash": str(e)}
                continue
            path = "/machine/unattached/device[0]"
            tree = walk_tree(rec, "pc", accel, path, extra)
            per[model] = {"cpu-arg": cpu, "warnings": s.stderr(), "object": tree[path],
                          "children": {p[len(path):]: v for p, v in tree.items() if p != path}}
            s.close()
            rec.sessions.pop(("pc", accel, extra), None)
    return out


def device_help(qemu):
    """`-device help`: every user-creatable device with its bus, alias and description."""
    p = subprocess.run([qemu, "-device", "help"], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=DEADLINE)
    return p.stdout.decode("utf-8", "replace")


PARTS = ("types", "replies", "trees", "trees-memhp", "unattached", "device-add",
         "device-add-bus", "device-add-props", "cpus", "device-help")

# With memory hot-plug (-m slots=,maxmem=) QEMU adds objects of its own: the
# device memory region, the ACPI device's memory hot-plug registers, the
# implicit NUMA node. Those trees are recorded as MACHINE+memhp.
MEMHP = ("-m", "256M,slots=2,maxmem=1G")

# Types whose plain device_add fails for want of a property (record_device_add()
# could not walk them): what to start QEMU with and what to give them, so that
# their objects (children: buses, memory regions, the virtio backend) are
# recorded too. The names given are substituted by fakeqemu's own.
MEMDEV = ("-m", "256M,slots=2,maxmem=2G", "-object", "memory-backend-ram,id=probemem,size=128M")
NEED_PROPS = [
    (("pci-bridge", "pci-bridge-seat"), "pc", (), {"chassis_nr": 1}),
    (("virtio-blk-pci", "virtio-blk-pci-transitional", "virtio-blk-pci-non-transitional"), "pc",
     ("-blockdev", '{"driver":"null-co","node-name":"probedrive"}'), {"drive": "probedrive"}),
    (("nvme",), "pc", (), {"serial": "probe"}),
    (("virtio-mem-pci", "virtio-pmem-pci"), "pc", MEMDEV, {"memdev": "probemem"}),
    (("pc-dimm",), "pc", MEMDEV, {"memdev": "probemem"}),
    (("nvdimm",), "pc,nvdimm=on", MEMDEV, {"memdev": "probemem"}),
    (("virtio-9p-pci", "virtio-9p-pci-transitional", "virtio-9p-pci-non-transitional"), "pc",
     ("-fsdev", "local,id=probefs,path=/tmp,security_model=none"),
     {"fsdev": "probefs", "mount_tag": "probe"}),
]


def record_device_add_props(rec, types, objects):
    """device_add of the NEED_PROPS types with what they need, on -machine pc:
    the object tree of those that plug, as record_device_add() records it.
    Returns {type: tree} for the types not already in @objects."""
    known = {t[0] for t in types}
    out = {}
    for names, machine, extra, props in NEED_PROPS:
        for name in names:
            if name not in known or name in objects:
                continue
            args = dict({"driver": name, "id": "probe"}, **props)
            r = rec.reply(machine, "tcg", "device_add", args, extra=extra)
            if isinstance(r, dict) and ("error" in r or "crash" in r):
                print("device-add-props: %s: %s" % (name, r), file=sys.stderr)
            else:
                out[name] = walk_tree(rec, machine, "tcg", "/machine/peripheral/probe", extra=extra)
            s = rec.sessions.pop((machine, "tcg", tuple(extra)), None)
            if s:
                s.close()
    return out



def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true", help="a few CPU models only (for trying it out)")
    ap.add_argument("--parts", help="record only these parts (comma-separated, of %s) into the "
                    "existing --out file" % ", ".join(PARTS))
    args = ap.parse_args()
    parts = args.parts.split(",") if args.parts else list(PARTS)
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error("unknown parts: %s" % ", ".join(sorted(unknown)))

    probe = Session(args.qemu, ["-machine", "none", "-accel", "tcg", "-nodefaults", "-S"])
    version = probe.call("query-version")["return"]
    schema = probe.call("query-qmp-schema")["return"]
    models = [m["name"] for m in probe.call("query-cpu-definitions")["return"]]
    options = [o["option"] for o in probe.call("query-command-line-options")["return"]]
    probe.close()
    float_17g = (version["qemu"]["major"], version["qemu"]["minor"]) >= (6, 0)
    rec = Recorder(args.qemu, float_17g)
    data = {}
    if args.parts:
        with open(args.out) as f:
            data = json.load(f)
        # Old indexes stay valid: new texts are appended.
        for t in data["entries"]:
            rec.intern(t)
    accels = ["tcg"] + (["kvm"] if kvm_usable(args.qemu) else [])
    data.update({"qemu": version, "accels": accels, "float-17g": float_17g})
    t0 = time.monotonic()

    def done(what):
        rec.close_sessions()
        print("%s (%.1f s)" % (what, time.monotonic() - t0), file=sys.stderr)

    if "types" in parts:
        types, implementers, dlp, qlp = record_types(rec)
        data.update({"types": types, "implementers": implementers,
                     "device-list-properties": dlp, "qom-list-properties": qlp})
        done("types: %d" % len(types))
    if "replies" in parts:
        replies, replies_loaded = record_replies(rec, schema_queries(schema), accels,
                                                 ["none", "pc", "q35"])
        data.update({"replies": replies, "replies-after-qom-list-types": replies_loaded,
                     "replies-with-args": record_with_args(rec, accels, models, options)})
        done("replies")
    if "trees" in parts:
        data["trees"] = {m: walk_tree(rec, m, "tcg") for m in ("none", "pc", "q35")}
        done("trees")
    if "trees-memhp" in parts:
        for m in ("pc", "q35"):
            data["trees"][m + "+memhp"] = walk_tree(rec, m, "tcg", extra=MEMHP)
        done("trees with memory hot-plug")
    if "unattached" in parts:
        # Where the extra boot CPUs go among /machine/unattached/device[N], and the
        # order qom-list gives them (GLib's hash order of a history fakeqemu cannot
        # replay): -smp 2 to 8.
        data.pop("unattached-smp3", None)
        data["unattached-smp"] = {
            m: {str(n): rec.reply(m, "tcg", "qom-list", {"path": "/machine/unattached"},
                                  as_list=True, extra=("-smp", str(n)))
                for n in range(2, 9)}
            for m in ("pc", "q35")}
        done("unattached")
    if "device-add" in parts:
        device_add, pci_ids, device_objects = record_device_add(rec, data["types"])
        data.update({"device-add": device_add, "pci-identity": pci_ids,
                     "device-objects": device_objects})
        done("device_add")
    if "device-add-bus" in parts:
        data["device-add-pc-with-bus"] = record_device_add_bus(
            rec, data["types"], data["device-add"], data["device-objects"])
        done("device_add with a bus")
    if "device-add-props" in parts:
        data["device-objects"].update(
            record_device_add_props(rec, data["types"], data["device-objects"]))
        done("device_add with properties")
    if "cpus" in parts:
        cpus = record_cpus(rec, accels, models, args.quick)
        for per in cpus.values():
            delta_encode(per, "qemu64")
        data["cpus"] = cpus
        done("cpus")
    if "device-help" in parts:
        data["device-help"] = device_help(args.qemu)
    data["entries"] = rec.entries

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".tmp", "w") as f:
        json.dump(data, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    os.replace(args.out + ".tmp", args.out)
    print("%s: %d entries, %d bytes" % (args.out, len(rec.entries), os.path.getsize(args.out)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
