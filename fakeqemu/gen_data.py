#!/usr/bin/env python3
"""gen_data.py - embed what each real QEMU version said about itself (fakeqemu-data/V/) in fakeqemu.

usage: gen_data.py --out OUT.c DATA_DIR      write the C file
       gen_data.py --list DATA_DIR           print the input files (for meson), one a line

Every subdirectory of DATA_DIR with a version.json is a version; nothing
lists them by hand. For each one, OUT.c gets:

  - the QAPI schema (schema.json) as compact entity texts with an index, so
    fakeqemu parses only the entities a command needs;
  - the CPU model names (cpu-definitions.json);
  - the version's struct fq_dialect: version.json's numbers and package,
    behaviour.json's flags and error texts (sorted, for fq_text());
  - a read-only blob of introspect.json (recorded by
    tests/conformance/introspect.py): interned texts, recorded replies, the
    QOM types and their properties, the composition trees and the CPU
    objects, with sorted indexes. qomdata.c reads it in place: nothing is
    parsed until a command needs it, and only the pages touched are resident.

Blob layout (little-endian uint32 unless said): see qomdata.c, which is the
one reader; HEADER below lists the fields in order.
"""
import json
import os
import re
import struct
import sys

MAGIC = 0x31445146  # "FQD1"
HEADER = ["magic", "nentries", "entry_off", "texts", "nrecs", "recs", "nlists", "lists",
          "ntypes", "types", "type_order", "nkeyed", "keyed", "nnodes", "nodes", "reserved"]
REC_NONE, REC_TEXT, REC_LIST, REC_TEMPLATE, REC_ERROR, REC_CRASH = range(6)
NO_TYPE = 0xFFFFFFFF
TYPE_FIELDS = 11   # name, parent, flags, dlp, qlp, devadd none/pc/q35, pci pc/q35, implementers
MACHINES = ("none", "pc", "q35")


def versions(data_dir):
    """The version directories, oldest first (5.2 before 10.0)."""
    out = []
    for name in os.listdir(data_dir):
        if os.path.exists(os.path.join(data_dir, name, "version.json")):
            out.append(name)
    return sorted(out, key=lambda v: [int(x) if x.isdigit() else x for x in v.split(".")])


def inputs(data_dir):
    files = []
    for v in versions(data_dir):
        for f in ("version.json", "schema.json", "cpu-definitions.json", "introspect.json",
                  "behaviour.json"):
            p = os.path.join(data_dir, v, f)
            if os.path.exists(p):
                files.append(p)
    return files


def c_ident(version):
    return version.replace(".", "_")


def c_bytes(data):
    """A C string literal for arbitrary bytes (octal escapes never run into digits)."""
    out, line = [], []
    for b in data:
        if 32 <= b < 127 and b not in (34, 92, 63):
            line.append(chr(b))
        else:
            line.append("\\%03o" % b)
        if len(line) >= 120:
            out.append('\t"' + "".join(line) + '"')
            line = []
    out.append('\t"' + "".join(line) + '"')
    return "\n".join(out)


def canon(args):
    """The key form of a command's arguments (qomdata.c builds the same)."""
    return json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class Blob:
    def __init__(self, entries):
        self.entries = list(entries)
        self.entry_ids = {t: i for i, t in enumerate(self.entries)}
        self.recs = [(REC_NONE, 0, 0, 0)]
        self.lists = []

    def string(self, s):
        i = self.entry_ids.get(s)
        if i is None:
            i = self.entry_ids[s] = len(self.entries)
            self.entries.append(s)
        return i

    def new_list(self, ids):
        off = len(self.lists)
        self.lists.extend(ids)
        return off

    def rec(self, value):
        """A recorded reply of introspect.json -> rec index."""
        if value is None:
            return 0
        if isinstance(value, int):
            self.recs.append((REC_TEXT, value, 0, 0))
        elif isinstance(value, list):
            self.recs.append((REC_LIST, self.new_list(value), len(value), 0))
        elif "template" in value:
            self.recs.append((REC_TEMPLATE, value["template"], self.new_list(value["pairs"]),
                              len(value["pairs"])))
        elif "error" in value:
            self.recs.append((REC_ERROR, self.string(value["error"]["class"]),
                              self.string(value["error"]["desc"]), 0))
        elif "crash" in value:
            self.recs.append((REC_CRASH, self.string(value["crash"]), 0, 0))
        else:
            raise ValueError("unknown recorded value %r" % (value,))
        return len(self.recs) - 1

    def text_rec(self, s):
        self.recs.append((REC_TEXT, self.string(s), 0, 0))
        return len(self.recs) - 1


FEATURE_WARNING = re.compile(r"warning: (?:TCG|host) doesn't support requested feature: "
                             r"((CPUID\.[0-9A-F_]+H:[A-Z]+)\.(\S+) \[bit (\d+)\])")


def cpu_features(intro):
    """name -> (word rank, bit, description) from every recorded CPU warning; the
    words ranked in the order the warnings list them (a topological merge)."""
    feats, after, words = {}, {}, []
    for models in intro["cpus"].values():
        for rec in models.values():
            seq = []
            for m in FEATURE_WARNING.finditer(rec.get("warnings", "")):
                desc, word, name, bit = m.group(1), m.group(2), m.group(3), int(m.group(4))
                feats[name] = (word, bit, desc)
                if word not in words:
                    words.append(word)
                if not seq or seq[-1] != word:
                    seq.append(word)
            for a, b in zip(seq, seq[1:]):
                after.setdefault(b, set()).add(a)
    ranked = []
    while len(ranked) < len(words):
        ready = [w for w in words if w not in ranked and after.get(w, set()) <= set(ranked)]
        ranked.append(ready[0] if ready else next(w for w in words if w not in ranked))
    return {n: (ranked.index(w), bit, desc) for n, (w, bit, desc) in feats.items()}


def build_blob(intro):
    b = Blob(intro["entries"])
    types = intro["types"]
    names = [t[0] for t in types]
    index_of = {n: i for i, n in enumerate(names)}
    sorted_names = sorted(names)
    sorted_pos = {n: i for i, n in enumerate(sorted_names)}
    devadd = intro.get("device-add", {})
    pci = intro.get("pci-identity", {})
    impl = intro.get("implementers", {})
    type_rows = []
    for n in sorted_names:
        name, parent, abstract = types[index_of[n]]
        row = [b.string(name), sorted_pos.get(parent, NO_TYPE) if parent else NO_TYPE,
               1 if abstract else 0,
               b.rec(intro["device-list-properties"].get(name)),
               b.rec(intro["qom-list-properties"].get(name))]
        with_bus = intro.get("device-add-pc-with-bus", {}).get(name)
        for m in MACHINES:
            rec = devadd.get(m, {}).get(name)
            # Where no bus was there to plug into, what it said once one was.
            if (m != "none" and with_bus is not None and isinstance(rec, dict)
                    and rec.get("error", {}).get("desc", "").startswith("No '")):
                rec = with_bus
            row.append(b.rec(rec))
        row += [b.rec(pci.get(name, {}).get(m)) for m in ("pc", "q35")]
        if name in impl:
            row.append(b.rec([b.string(x) for x in impl[name]]))
        else:
            row.append(0)
        type_rows.append(row)
    type_order = [sorted_pos[n] for n in names]

    keyed = {}
    for accel, per in intro["replies"].items():
        for machine, cmds in per.items():
            for cmd, value in cmds.items():
                keyed["reply:%s:%s:%s" % (accel, machine, cmd)] = b.rec(value)
    for accel, per in intro.get("replies-after-qom-list-types", {}).items():
        for machine, cmds in per.items():
            for cmd, value in cmds.items():
                keyed["reply-loaded:%s:%s:%s" % (accel, machine, cmd)] = b.rec(value)
    for accel, per in intro["replies-with-args"].items():
        for key, value in per.items():
            cmd, args = key.split(" ", 1)
            keyed["args:%s:%s %s" % (accel, cmd, canon(json.loads(args)))] = b.rec(value)
    for n in ("no-such-type",):
        keyed["dlp-missing"] = b.rec(intro["device-list-properties"][n])
        keyed["qlp-missing"] = b.rec(intro["qom-list-properties"][n])
    for machine, per in intro.get("unattached-smp", {}).items():
        for cpus, value in per.items():
            keyed["unattached-smp:%s:%s" % (machine, cpus)] = b.rec(value)

    nodes = {}

    def add_node(key, node, base=None):
        if "base" in node:
            # Delta-encoded CPU object (introspect.py delta_encode()).
            listing, values = base["list"], list(base["values"])
            for pos, value in node["delta"]:
                values[pos] = value
        else:
            listing, values = node["list"], node.get("values", [])
        vals = [b.rec(v) for v in values] if isinstance(listing, list) else []
        nodes[key] = (b.rec(listing), b.new_list(vals), len(vals))

    for machine, tree in intro["trees"].items():
        for path, node in tree.items():
            add_node("%s:%s" % (machine, path), node)
    probe = "/machine/peripheral/probe"
    for typename, tree in intro.get("device-objects", {}).items():
        for path, node in tree.items():
            add_node("dev:%s:%s" % (typename, path[len(probe):]), node)
    for accel, models in intro["cpus"].items():
        for model, rec in models.items():
            if "crash" in rec:
                keyed["cpu-crash:%s:%s" % (accel, model)] = b.rec(rec)
                continue
            obj = rec["object"]
            base = models[obj["base"]]["object"] if "base" in obj else None
            add_node("cpu:%s:%s:" % (accel, model), obj, base)
            for sub, node in rec["children"].items():
                add_node("cpu:%s:%s:%s" % (accel, model, sub), node)
            if rec.get("warnings"):
                keyed["cpu-warnings:%s:%s" % (accel, model)] = b.text_rec(rec["warnings"])

    # CPU feature warnings: each feature's "CPUID.07H:EBX.hle [bit 4]" and its
    # feature word's rank (QEMU warns word by word, bit by bit).
    for name, (rank, bit, desc) in cpu_features(intro).items():
        keyed["cpu-feature:" + name] = b.text_rec("%d %d %s" % (rank, bit, desc))
    # -device help: alias -> type name.
    # -device help: the user-creatable types, and alias -> type name.
    for line in intro.get("device-help", "").splitlines():
        m = re.match(r'name "([^"]+)"', line)
        if m:
            keyed["user-creatable:" + m.group(1)] = b.text_rec(m.group(1))
        m = re.match(r'name "([^"]+)",.*alias "([^"]+)"', line)
        if m:
            keyed["alias:" + m.group(2)] = b.text_rec(m.group(1))
    keyed_rows = sorted((b.string(k), v) for k, v in keyed.items())
    keyed_rows.sort(key=lambda kv: b.entries[kv[0]].encode())
    node_rows = sorted(((b.string(k),) + v for k, v in nodes.items()),
                       key=lambda row: b.entries[row[0]].encode())

    # Serialise: header, then each table, then the texts (each NUL-terminated).
    texts = bytearray()
    offs = []
    for t in b.entries:
        offs.append(len(texts))
        texts += t.encode("utf-8") + b"\0"
    offs.append(len(texts))
    parts = []
    pos = 4 * len(HEADER)
    hdr = dict.fromkeys(HEADER, 0)
    hdr["magic"] = MAGIC

    def section(name, data):
        nonlocal pos
        hdr[name] = pos
        parts.append(data)
        pos += len(data)

    def u32s(values):
        return struct.pack("<%dI" % len(values), *values)

    hdr["nentries"] = len(b.entries)
    section("entry_off", u32s(offs))
    hdr["nrecs"] = len(b.recs)
    section("recs", u32s([x for r in b.recs for x in r]))
    hdr["nlists"] = len(b.lists)
    section("lists", u32s(b.lists))
    hdr["ntypes"] = len(type_rows)
    section("types", u32s([x for r in type_rows for x in r]))
    section("type_order", u32s(type_order))
    hdr["nkeyed"] = len(keyed_rows)
    section("keyed", u32s([x for r in keyed_rows for x in r]))
    hdr["nnodes"] = len(node_rows)
    section("nodes", u32s([x for r in node_rows for x in r]))
    section("texts", bytes(texts))
    return u32s([hdr[h] for h in HEADER]) + b"".join(parts)


def schema_part(ident, path):
    # Compact entities, each found by an index, so fakeqemu parses only the
    # ones a command needs (memory) and streams query-qmp-schema.
    entities = json.load(open(path))
    parts, index, off = [], [], 0
    for e in entities:
        t = json.dumps(e, separators=(",", ":"), ensure_ascii=True)
        index.append((e["name"], off, len(t)))
        parts.append(t)
        off += len(t)
    lines = ["static const char schema_%s[] =" % ident, c_bytes("".join(parts).encode()) + ";",
             "static const struct fq_schema_entity schema_index_%s[] = {" % ident]
    for n, o, ln in index:
        lines.append('\t{"%s", %d, %d},' % (n, o, ln))
    lines.append("};")
    order = sorted(range(len(index)), key=lambda i: index[i][0])
    lines.append("static const unsigned schema_sorted_%s[] = {" % ident +
                 ", ".join(str(i) for i in order) + "};")
    return lines, len(index)


FLAGS = ["prefer_sockets", "has_unplug_guest_error", "status_has_singlestep",
         "events_after_reply", "float_17g", "cpus_fast_has_arch", "smp_style",
         "strict_device_props", "check_device_id", "repeat_unplug_ok", "node_active",
         "old_errors", "device_json", "hotplug_off_in_handler"]


def c_str(s):
    return c_bytes(s.encode()).strip()


def dialect_part(v, ident, vdir, index):
    """struct fq_dialect of version @v from version.json and behaviour.json."""
    version = json.load(open(os.path.join(vdir, "version.json")))
    beh = json.load(open(os.path.join(vdir, "behaviour.json")))
    missing = [f for f in FLAGS if f not in beh["flags"]]
    if missing:
        sys.exit("gen_data.py: %s/behaviour.json lacks flags %s" % (v, ", ".join(missing)))
    lines = ["static const struct fq_text texts_%s[] = {" % ident]
    for k in sorted(beh["texts"]):
        lines.append("\t{%s, %s}," % (c_str(k), c_str(beh["texts"][k])))
    lines.append("};")
    q = version["qemu"]
    fields = ['.name = "%s"' % v, ".major = %d" % q["major"], ".minor = %d" % q["minor"],
              ".micro = %d" % q["micro"], ".package = %s" % c_str(version["package"]),
              ".machine_suffix = %s" % c_str(beh["machine-suffix"])]
    for f in FLAGS:
        val = beh["flags"][f]
        fields.append(".%s = %s" % (f, ("true" if val else "false") if isinstance(val, bool)
                                     else str(val)))
    fields += [".texts = texts_%s" % ident, ".ntexts = %d" % len(beh["texts"]),
               ".data = &fq_version_data[%d]" % index]
    return lines, fields


def main(argv):
    if argv[0] == "--list":
        print("\n".join(inputs(argv[1])))
        return
    if argv[0] != "--out" or len(argv) != 3:
        sys.exit(__doc__)
    out_path, data_dir = argv[1], argv[2]
    lines = ["/* Generated by gen_data.py from fakeqemu-data/: do not edit. */",
             "#include <stdbool.h>", "#include <stddef.h>", "", '#include "dialect.h"', ""]
    table, dialects = [], []
    for n, v in enumerate(versions(data_dir)):
        ident = c_ident(v)
        vdir = os.path.join(data_dir, v)
        schema_lines, nentities = schema_part(ident, os.path.join(vdir, "schema.json"))
        lines += schema_lines
        cpus = json.load(open(os.path.join(vdir, "cpu-definitions.json")))
        names = " ".join(sorted(c["name"] for c in cpus))
        lines.append('static const char cpu_models_%s[] = " %s ";' % (ident, names))
        blob_size = 0
        intro = os.path.join(vdir, "introspect.json")
        if os.path.exists(intro):
            blob = build_blob(json.load(open(intro)))
            blob_size = len(blob)
            # uint32 reads in qomdata.c use memcpy: no alignment needed.
            lines.append("static const unsigned char blob_%s[] =" % ident)
            lines.append(c_bytes(blob) + ";")
        table.append('\t{"%s", schema_%s, schema_index_%s, schema_sorted_%s, %d, cpu_models_%s, %s, %d},'
                     % (v, ident, ident, ident, nentities, ident,
                        "blob_" + ident if blob_size else "NULL", blob_size))
        text_lines, fields = dialect_part(v, ident, vdir, n)
        lines += text_lines
        dialects.append("\t{\n\t\t" + ",\n\t\t".join(fields) + ",\n\t},")
        lines.append("")
    lines.append("const struct fq_version_data fq_version_data[] = {")
    lines += table
    lines.append("\t{NULL, NULL, NULL, NULL, 0, NULL, NULL, 0},")
    lines.append("};")
    lines.append("")
    lines.append("const struct fq_dialect fq_dialects[] = {")
    lines += dialects
    lines.append("\t{.name = NULL},")
    lines.append("};")
    lines.append('const char fq_dialect_list[] = "%s";' % ", ".join(versions(data_dir)))
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
