#!/usr/bin/python3
"""make_scripts.py - (re)generate the probe scripts in scripts/ (the JSON files are
what record.py reads; this file is only their source, kept for easy editing).

  /usr/bin/python3 tests/conformance/make_scripts.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "scripts")

PC = ["-machine", "pc", "-accel", "tcg", "-S"]
Q35 = ["-machine", "q35", "-accel", "tcg", "-S"]
SCRIPTS = {}


def cmd(name, args=None, id=None, key="execute"):
    m = {key: name}
    if args is not None:
        m["arguments"] = args
    if id is not None:
        m["id"] = id
    return json.dumps(m)


def s(text, replies=1, events=None, **kw):
    st = {"send": text}
    if replies != 1:
        st["replies"] = replies
    if events:
        st["events"] = events
    st.update(kw)
    return st


def hexs(data, replies=1, **kw):
    st = {"send_hex": data.hex()}
    if replies != 1:
        st["replies"] = replies
    st.update(kw)
    return st


def c(name, args=None, id=None, **kw):
    return s(cmd(name, args, id), **kw)


CAPS = c("qmp_capabilities")
QUIT = s(cmd("quit"), events=["SHUTDOWN"], eof=True)


def script(name, desc, argv, steps, **kw):
    d = {"description": desc, "argv": argv, "steps": steps, "guest": False}
    d.update(kw)
    SCRIPTS[name] = d


def recover(tag):
    """qmp-test's proof of recovery, with an id so the recorder knows when it came."""
    return s("{ 'execute': 'no-such-cmd', 'id': '%s' }" % tag, until_id=tag)


# ------------------------------------------------------------------ protocol

script("proto-greeting", "greeting, qmp_capabilities, quit (SHUTDOWN vs return order, EOF)",
       ["-machine", "none"], [CAPS, QUIT])

script("proto-before-caps", "commands before qmp_capabilities: known, unknown, exec-oob, with and without id",
       ["-machine", "none"], [
           c("query-version"),
           c("query-version", id="v1"),
           c("no-such-cmd", id=2),
           s(cmd("query-status", id="oob1", key="exec-oob")),
           s(cmd("migrate-pause", id="oob2", key="exec-oob")),
           c("qmp_capabilities", {"enable": ["oob"]}, id="caps"),
           c("query-name", id="after"),
       ])

script("proto-caps-oob", "qmp_capabilities argument errors, enable oob, then twice; exec-oob after oob is on",
       ["-machine", "none"], [
           c("qmp_capabilities", {"enable": "oob"}, id=1),
           c("qmp_capabilities", {"enable": ["foo"]}, id=2),
           c("qmp_capabilities", {"enable": ["oob", "foo"]}, id=3),
           c("qmp_capabilities", {"bogus": 1}, id=4),
           c("qmp_capabilities", {"enable": ["oob"]}, id=5),
           c("qmp_capabilities", id=6),
           c("qmp_capabilities", {"enable": ["oob"]}, id=7),
           s(cmd("query-status", id="o1", key="exec-oob")),
           s(cmd("migrate-pause", id="o2", key="exec-oob")),
           s(cmd("query-yank", id="o3", key="exec-oob")),
           s(cmd("no-such-cmd", id="o4", key="exec-oob")),
           s('{"exec-oob": "query-yank"}'),
           c("query-status", id="ib"),
       ])

script("proto-caps-plain", "plain qmp_capabilities, then twice, then exec-oob without oob enabled",
       ["-machine", "none"], [
           CAPS,
           c("qmp_capabilities"),
           c("qmp_capabilities", id="again"),
           s(cmd("migrate-pause", id="o1", key="exec-oob")),
           s(cmd("query-yank", id="o2", key="exec-oob")),
       ])

ID_TEXTS = [
    '"str"', '""', '0', '42', '-7', '1e3', '-0', '1.5', '0.1', '-0.0', '1E2', '2.50',
    '{}', '{"a": [1, null, true, false, "x"]}', '[]', '[1, [2, [3]]]', 'null', 'true', 'false',
    '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809',
    '18446744073709551615', '18446744073709551616', '123456789012345678901234567890', '1e400',
    '"\\u00e9\\u00E9"', '"\\ud83d\\ude00"', '"tab\\tnl\\ncr\\rq\\"bs\\\\sl\\/"', '"\\u0000\\u001f\\u007f"',
    '"cookie#1"', "'single'",
]
steps = [CAPS]
for t in ID_TEXTS:
    steps.append(s('{"execute": "no-such-cmd", "id": %s}' % t))
steps.append(s('{"id": "first", "execute": "query-name"}'))
steps.append(s('{"execute": "query-name", "id": "\u00e9\U0001F600"}'))
script("proto-id-echo", "id echoed for many JSON values (numbers re-serialised, strings re-escaped as ASCII)",
       ["-machine", "none"], steps)

NON_OBJECTS = ["null", "[]", '"str"', "1", "-1.5", "true", "{}", '[{"execute": "qmp_capabilities"}]']
steps = []
for i, t in enumerate(NON_OBJECTS):
    steps += [s(t, replies=0), recover("b%d" % i)]
steps.append(CAPS)
for i, t in enumerate(NON_OBJECTS):
    steps += [s(t, replies=0), recover("a%d" % i)]
steps += [s("1\n"), s("null\n")]
script("proto-non-object", "top-level values that are not objects, before and after negotiation; a "
       "top-level scalar (number, keyword) is only parsed when the next byte ends its token",
       ["-machine", "none"], steps)

script("proto-dispatch-errors", "request shape errors (missing/mistyped execute, arguments, extra members, exec-oob clash)",
       ["-machine", "none"], [
           CAPS,
           s('{"id": 1}'),
           s('{"execute": 1, "id": 2}'),
           s('{"execute": null, "id": 3}'),
           s('{"execute": ["query-status"], "id": 4}'),
           s('{"execute": "query-status", "arguments": [], "id": 5}'),
           s('{"execute": "query-status", "arguments": "x", "id": 6}'),
           s('{"execute": "query-status", "arguments": null, "id": 7}'),
           s('{"execute": "query-status", "extra": true, "id": 8}'),
           s('{"execute": "query-status", "exec-oob": "query-status", "id": 9}'),
           s('{"execute": "query-status", "control": {}, "id": 10}'),
           s('{"execute": "no-such-cmd", "arguments": [], "id": 11}'),
           s('{"execute": "no-such-cmd", "extra": true, "id": 12}'),
           s('{"exec-oob": 1, "id": 13}'),
           s('{"execute": "query-status", "arguments": {}, "id": 14}'),
           s('{"execute": "", "id": 15}'),
           s('{"execute": "human-monitor-command", "id": 16}'),
       ])


def malformed_steps(prefix):
    return [
        s("{]\n", replies=0), recover(prefix + "1"),
        hexs(b"{\xff", replies=0), recover(prefix + "2"),
        hexs(b"{\x01", replies=0), recover(prefix + "3"),
        hexs(b"{'bad \xff", replies=0), recover(prefix + "4"),
        s("{'execute': 'nonexistent', 'id':'\n", replies=0), recover(prefix + "5"),
        s("%p", replies=0), recover(prefix + "6"),
        s("null", replies=0), s("{}", replies=2), s("{ 'execute': true }"),
        s("{ 'execute': 'no-such-cmd', 'arguments': [] }"),
        s("{ 'execute': 'no-such-cmd', 'extra': true }"),
    ]


script("proto-malformed-before", "tests/qtest/qmp-test.c test_malformed before the handshake; each lexical "
       "error followed by a recovery command (the recorder waits for its id, however many errors came)",
       ["-machine", "none"], malformed_steps("b"))
script("proto-malformed-after", "tests/qtest/qmp-test.c test_malformed after the handshake",
       ["-machine", "none"], [CAPS] + malformed_steps("a") + [
           c("human-monitor-command", id=2), c("query-name", id="cookie#1")])

script("proto-json-errors", "syntax errors: invalid keyword, duplicate key, escapes, surrogates, separators",
       ["-machine", "none"], [
           CAPS,
           s("tru", replies=0), recover("r1"),
           s('{"execute": tru}', replies=0), recover("r2"),
           s('{"execute": "query-status", "execute": "query-name", "id": 1}', replies=0), recover("r3"),
           s('{"execute": "a\\x"}', replies=0), recover("r4"),
           s('{"execute": "a\\u12"}', replies=0), recover("r5"),
           s('{"execute": "a\\ud800"}', replies=0), recover("r6"),
           s('{"execute": "a\\udc00"}', replies=0), recover("r7"),
           s('{"execute": "a\\ud800\\u0041"}', replies=0), recover("r8"),
           s('{"execute": "a\\u0000b", "id": 9}', replies=0), recover("r9"),
           s("}", replies=0), recover("r10"),
           s("]", replies=0), recover("r11"),
           s('{1: 2}', replies=0), recover("r12"),
           s('{"a" 1}', replies=0), recover("r13"),
           s('{"a": 1 "b": 2}', replies=0), recover("r14"),
           s('{"a": [1 2]}', replies=0), recover("r15"),
           s('{"a": %d}', replies=0), recover("r16"),
           s('{"a": 01}', replies=0), recover("r17"),
           s('{"a": 0x10}', replies=0), recover("r18"),
           s('{"a": 1.}', replies=0), recover("r19"),
           s('{"a": .5}', replies=0), recover("r20"),
           s('{"a": +1}', replies=0), recover("r21"),
           s('{"a": 1,}', replies=0), recover("r22"),
           s('{"a": [1,]}', replies=0), recover("r23"),
           s('{"execute": "query-status" "id": 24}', replies=0), recover("r24"),
           s('{"a": NaN}', replies=0), recover("r25"),
           s('{"a": Infinity}', replies=0), recover("r26"),
           s('{"execute": "query-status", "id": 27} garbage\n', replies=0), recover("r27"),
       ])

script("proto-utf8-input", "bytes in strings: raw UTF-8, invalid UTF-8, overlong, control chars, 0xFE",
       ["-machine", "none"], [
           CAPS,
           hexs(b'{"execute": "no-such-cmd", "id": "\xc3\xa9\xf0\x9f\x98\x80"}'),
           hexs(b'{"execute": "no-such-cmd", "id": "\xc3"}', replies=0), recover("r2"),
           hexs(b'{"execute": "no-such-cmd", "id": "\xc0\x80"}', replies=0), recover("r3"),
           hexs(b'{"execute": "no-such-cmd", "id": "\xed\xa0\x80"}', replies=0), recover("r4"),
           hexs(b'{"execute": "no-such-cmd", "id": "\xf4\x90\x80\x80"}', replies=0), recover("r5"),
           hexs(b'{"execute": "no-such-cmd", "id": "a\tb"}', replies=0), recover("r6"),
           hexs(b'{"execute": "no-such-cmd", "id": "a\x7fb"}', replies=0), recover("r7"),
           hexs(b'{"execute": "no-such-cmd", "id": "a\xfeb"}', replies=0), recover("r8"),
           hexs(b'\xef\xbb\xbf{"execute": "no-such-cmd", "id": 9}', replies=0), recover("r9"),
       ])

script("proto-nesting", "nesting depth 1024 accepted, 1025 refused (the rest of the input is lexed anew)",
       ["-machine", "none"], [
           CAPS,
           s('{"execute": "no-such-cmd", "id": ' + "[" * 1023 + "]" * 1023 + "}"),
           s('{"execute": "no-such-cmd", "id": ' + "[" * 1024 + "]" * 1024 + "}", replies=0),
           recover("r1"),
           s("[" * 1025 + "]" * 1025, replies=0), recover("r2"),
       ])

script("proto-pipelining", "several commands in one write, one command in several writes (also split "
       "inside a string and inside a UTF-8 sequence), no newline anywhere",
       ["-machine", "none"], [
           CAPS,
           s('{"execute": "query-name", "id": 1}{"execute": "query-status", "id": 2}', replies=2),
           s('{"execute": "query-name", "id": 3} {"execute": "no-such", "id": 4}\n{"execute": "query-version", "id": 5}',
             replies=3),
           s('{"exec', replies=0), s('ute": "query-', replies=0), s('name", "id": 6', replies=0), s("}"),
           hexs(b'{"execute": "no-such", "id": "\xc3', replies=0), hexs(b'\xa9"}'),
           s('{"execute": "query-name", "id": 7}\r\n\r\n  \t'),
       ])

script("proto-single-quotes", "single-quoted strings and escaped quotes",
       ["-machine", "none"], [
           s("{'execute': 'qmp_capabilities'}"),
           s("{'execute': 'no-such', 'id': 'it\\'s'}"),
           s("{\"execute\": 'no-such', \"id\": \"a'b\"}"),
           s("{'execute': 'no-such', 'id': 'a\"b'}"),
           s("{'execute': 'query-name', 'id': '\\u00e9'}"),
       ])

script("proto-name-unicode", "-name with non-ASCII (é, U+1F600) and control characters: output escaping",
       ["-machine", "none", "-name", "vm-\u00e9-\U0001F600-\x01-\x7f-tab\tq\"b\\"], [
           CAPS, c("query-name"),
       ])
script("proto-name-invalid-utf8", "-name with invalid UTF-8 bytes (0xFF, lone 0xC3)",
       ["-machine", "none", "-name", {"hex": b"bad\xffname\xc3x".hex()}], [
           CAPS, c("query-name"),
       ])

# ------------------------------------------------------------------ argument validation

script("args-qapi", "QAPI argument validation: missing, unexpected, wrong types, enums, nested members",
       PC, [
           CAPS,
           c("query-named-block-nodes", {"flat": "x"}, id=1),
           c("query-named-block-nodes", {"flat": 1}, id=2),
           c("query-status", {"x": 1}, id=3),
           c("stop", {"x": 1}, id=4),
           c("human-monitor-command", {}, id=5),
           c("human-monitor-command", {"command-line": 5}, id=6),
           c("qom-set", {"path": "/machine", "property": "type"}, id=7),
           c("qom-get", {"path": "/machine", "property": "bogus"}, id=8),
           c("qom-get", {"path": "/nope", "property": "type"}, id=9),
           c("blockdev-add", {}, id=10),
           c("blockdev-add", {"driver": "bogus", "node-name": "n"}, id=11),
           c("blockdev-add", {"driver": 5, "node-name": "n"}, id=12),
           c("blockdev-add", {"driver": "file", "node-name": "n"}, id=13),
           c("blockdev-add", {"driver": "file", "node-name": "n", "filename": 5}, id=14),
           c("blockdev-add", {"driver": "raw", "node-name": "n", "file": {"driver": "file", "filename": 5}}, id=15),
           c("blockdev-add", {"driver": "raw", "node-name": "n", "file": {"driver": "file"}}, id=16),
           c("blockdev-add", {"driver": "file", "node-name": "n", "filename": "@IMG@", "cache": {"direct": "yes"}}, id=17),
           c("blockdev-add", {"driver": "file", "node-name": "n", "filename": "@IMG@", "discard": "bogus"}, id=18),
           c("blockdev-add", {"driver": "file", "node-name": "n", "filename": "@IMG@", "bogus": 1}, id=19),
           c("blockdev-add", {"driver": "file", "node-name": "n", "filename": "@IMG@", "read-only": "true"}, id=20),
           c("blockdev-add", {"driver": "file", "node-name": "n", "filename": "@IMG@", "aio": "bogus"}, id=21),
           c("blockdev-add", {"options": {"driver": "raw", "id": "drive-1", "file": {"driver": "file", "filename": "@IMG@"}}}, id=22),
           c("blockdev-add", {"driver": "raw", "id": "drive-1", "file": {"driver": "file", "filename": "@IMG@"}}, id=23),
           c("blockdev-del", {}, id=24),
           c("blockdev-del", {"node-name": 1}, id=25),
           c("device_del", {}, id=26),
           c("device_del", {"id": 1}, id=27),
           c("device_add", {}, id=28),
           c("device_add", {"driver": 1}, id=29),
           c("qmp_capabilities", {"enable": ["oob"]}, id=30),
       ])

# ------------------------------------------------------------------ run state

script("run-prelaunch", "run state from -S: stop in prelaunch, cont (RESUME order), cont when running, "
       "stop (STOP order), stop when paused, cont again",
       PC, [
           CAPS, c("query-status"), c("stop", id="s1"), c("query-status"),
           c("cont", id="c1", events=["RESUME"]), c("query-status"),
           c("cont", id="c2"), c("query-status"),
           c("stop", id="s2", events=["STOP"]), c("query-status"),
           c("stop", id="s3"), c("query-status"),
           c("cont", id="c3", events=["RESUME"]), c("query-status"),
       ])

script("run-running", "started without -S: status running, stop/cont events, system_powerdown without an ACPI guest",
       ["-machine", "pc", "-accel", "tcg"], [
           CAPS, c("query-status"),
           c("stop", events=["STOP"]), c("query-status"),
           c("system_powerdown", id="p1", events=["POWERDOWN"]),
           c("query-status"),
           c("cont", events=["RESUME"]),
           c("system_powerdown", id="p2", events=["POWERDOWN"]),
           c("query-status"),
           c("quit", id="q", events=["SHUTDOWN"], eof=True),
       ])

script("run-prelaunch-powerdown", "system_powerdown and system_reset in prelaunch; quit with an id",
       PC, [
           CAPS,
           c("system_powerdown", id="p1", events=["POWERDOWN"]),
           c("query-status"),
           c("system_reset", id="r1", events=["RESET"]),
           c("query-status"),
           c("quit", id="q", events=["SHUTDOWN"], eof=True),
       ])

script("info-basic", "query-version, query-name without -name, query-kvm, query-target, query-uuid under pc -S",
       PC, [CAPS, c("query-version"), c("query-name"), c("query-kvm"), c("query-target"), c("query-uuid"),
            c("query-status")])

script("info-name", "query-name with -name and -uuid",
       PC + ["-name", "vm-1,debug-threads=on", "-uuid", "12345678-1234-5678-9abc-def012345678"],
       [CAPS, c("query-name"), c("query-uuid")])

NORM_THREADS = [{"key": "thread-id", "value": 0}]
NORM_THREADS_NOTE = " thread-id of query-cpus-fast varies: normalized to 0 (the props thread-id too; those are 0 anyway)"
for name, argv, desc in [
        ("cpus-pc-smp1", PC + ["-smp", "1,maxcpus=4"], "pc, -smp 1,maxcpus=4"),
        ("cpus-pc-sockets", PC + ["-smp", "2,sockets=2,cores=2,threads=1,maxcpus=4", "-cpu", "qemu64"],
         "pc, -smp 2,sockets=2,cores=2,threads=1,maxcpus=4, -cpu qemu64"),
        ("cpus-pc-threads", PC + ["-smp", "2,sockets=1,cores=2,threads=2,maxcpus=4", "-cpu", "max"],
         "pc, -smp 2,sockets=1,cores=2,threads=2,maxcpus=4, -cpu max"),
        ("cpus-q35", Q35 + ["-smp", "1,maxcpus=2"], "q35, -smp 1,maxcpus=2"),
]:
    script(name, "query-hotpluggable-cpus and query-cpus-fast: " + desc + "." + NORM_THREADS_NOTE, argv,
           [CAPS, c("query-hotpluggable-cpus"), c("query-cpus-fast")], normalize=NORM_THREADS)

# ------------------------------------------------------------------ CPU hotplug


def cpu_steps(cpu_type):
    return [
        CAPS,
        c("device_add", {"driver": cpu_type, "id": "cpu-1", "socket-id": 1, "core-id": 0, "thread-id": 0}, id="plug1"),
        c("query-hotpluggable-cpus"),
        c("query-cpus-fast"),
        c("device_add", {"driver": cpu_type, "id": "cpu-1", "socket-id": 0, "core-id": 1, "thread-id": 0}, id="dupid"),
        c("device_add", {"driver": cpu_type, "id": "cpu-x", "socket-id": 1, "core-id": 0, "thread-id": 0}, id="inuse"),
        c("device_add", {"driver": cpu_type, "id": "cpu-y", "socket-id": 0, "core-id": 0, "thread-id": 0}, id="boot"),
        c("device_add", {"driver": cpu_type, "id": "cpu-5", "socket-id": 5, "core-id": 0, "thread-id": 0}, id="sock"),
        c("device_add", {"driver": cpu_type, "id": "cpu-5", "socket-id": 1, "core-id": 3, "thread-id": 0}, id="core"),
        c("device_add", {"driver": cpu_type, "id": "cpu-5", "socket-id": 1, "core-id": 1, "thread-id": 2}, id="thread"),
        c("device_add", {"driver": cpu_type, "id": "cpu-5", "socket-id": -1, "core-id": 1, "thread-id": 0}, id="neg"),
        c("device_add", {"driver": cpu_type, "id": "cpu-5", "core-id": 0, "thread-id": 0}, id="nosock"),
        c("device_add", {"driver": cpu_type, "id": "cpu-5", "socket-id": 1, "thread-id": 0}, id="nocore"),
        c("device_add", {"driver": cpu_type, "id": "cpu-5", "socket-id": 1, "core-id": 1}, id="nothread"),
        c("device_add", {"driver": "Haswell-x86_64-cpu", "id": "cpu-5", "socket-id": 1, "core-id": 1, "thread-id": 0}, id="type"),
        c("device_add", {"driver": cpu_type, "id": "cpu-5", "socket-id": 1, "core-id": 1, "thread-id": 0, "bogus": 1}, id="prop"),
        c("device_add", {"driver": cpu_type, "id": "cpu-5", "socket-id": "x", "core-id": 0, "thread-id": 0}, id="strsock"),
        c("device_add", {"driver": cpu_type, "id": "cpu-2", "socket-id": "1", "core-id": "1", "thread-id": "0"}, id="plug2"),
        c("device_add", {"driver": cpu_type, "id": "cpu-3", "socket-id": 0, "core-id": 1, "thread-id": 0,
                         "bus": "pci.0"}, id="bus"),
        c("device_del", {"id": "cpu-1"}, id="del1"),
        c("device_del", {"id": "/machine/unattached/device[0]"}, id="delboot"),
        c("device_del", {"id": "cpu-9"}, id="delnone"),
        c("query-hotpluggable-cpus"),
        c("query-cpus-fast"),
    ]


TOPO = ["-smp", "1,sockets=2,cores=2,threads=1,maxcpus=4"]
script("cpu-hotplug-pc", "CPU hotplug on pc -S " + TOPO[1] + " (TCG, qemu64): plug, errors, unplug without guest."
       + NORM_THREADS_NOTE, PC + TOPO, cpu_steps("qemu64-x86_64-cpu"), normalize=NORM_THREADS)
script("cpu-hotplug-q35", "CPU hotplug on q35 -S " + TOPO[1] + " (TCG, qemu64)." + NORM_THREADS_NOTE,
       Q35 + TOPO, cpu_steps("qemu64-x86_64-cpu"), normalize=NORM_THREADS)
script("cpu-hotplug-default-topo", "CPU hotplug with -smp 1,maxcpus=4 and no topology: 5.2 makes 4 sockets, "
       "7.2/10.0 make 4 cores in one socket (a plug into socket 1 or core 1 fails on one of them)."
       + NORM_THREADS_NOTE, PC + ["-smp", "1,maxcpus=4"], [
           CAPS,
           c("device_add", {"driver": "qemu64-x86_64-cpu", "id": "cpu-s1", "socket-id": 1, "core-id": 0, "thread-id": 0}, id="s1"),
           c("device_add", {"driver": "qemu64-x86_64-cpu", "id": "cpu-c1", "socket-id": 0, "core-id": 1, "thread-id": 0}, id="c1"),
           c("query-hotpluggable-cpus"),
       ], normalize=NORM_THREADS)
script("cpu-hotplug-running", "CPU hotplug on a running pc (no guest OS, SeaBIOS only): plug, unplug, re-unplug."
       + NORM_THREADS_NOTE, ["-machine", "pc", "-accel", "tcg", "-smp", "1,sockets=2,cores=1,threads=1,maxcpus=2"], [
           CAPS,
           c("device_add", {"driver": "qemu64-x86_64-cpu", "id": "cpu-1", "socket-id": 1, "core-id": 0, "thread-id": 0}, id="plug"),
           c("query-cpus-fast"),
           c("device_del", {"id": "cpu-1"}, id="del1"),
           c("device_del", {"id": "cpu-1"}, id="del2"),
           c("query-hotpluggable-cpus"),
       ], normalize=NORM_THREADS)

# ------------------------------------------------------------------ block and PCI

script("block-nodes", "blockdev-add/del: file+raw nodes on a 1 MiB image (@IMG@), queries, node-name errors, in-use child",
       PC, [
           CAPS,
           c("blockdev-add", {"driver": "file", "node-name": "f1", "filename": "@IMG@"}, id=1),
           c("blockdev-add", {"driver": "raw", "node-name": "d1", "file": "f1"}, id=2),
           c("blockdev-add", {"driver": "raw", "node-name": "d2",
                              "file": {"driver": "file", "filename": "@IMG2@"}}, id=3),
           c("query-named-block-nodes"),
           c("query-named-block-nodes", {"flat": True}),
           c("query-block"),
           c("blockdev-add", {"driver": "file", "node-name": "f1", "filename": "@IMG2@"}, id="dup"),
           c("blockdev-add", {"driver": "file", "node-name": "1abc", "filename": "@IMG2@"}, id="inv1"),
           c("blockdev-add", {"driver": "file", "node-name": "a b", "filename": "@IMG2@"}, id="inv2"),
           c("blockdev-add", {"driver": "file", "node-name": "a" * 31, "filename": "@IMG2@"}, id="len31"),
           c("blockdev-add", {"driver": "file", "node-name": "b" * 32, "filename": "@IMG2@"}, id="len32"),
           c("blockdev-add", {"driver": "file", "filename": "@IMG2@"}, id="noname"),
           c("blockdev-add", {"driver": "file", "node-name": "m1", "filename": "@TMP@/missing.img"}, id="missing"),
           c("blockdev-add", {"driver": "raw", "node-name": "m2", "file": "nonode"}, id="nochild"),
           c("blockdev-del", {"node-name": "nope"}, id="delnone"),
           c("blockdev-del", {"node-name": "f1"}, id="delchild"),
           c("blockdev-del", {"node-name": "d1"}, id="del1"),
           c("blockdev-del", {"node-name": "f1"}, id="del2"),
           c("blockdev-del", {"node-name": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, id="del3"),
           c("query-named-block-nodes"),
       ])

script("block-inuse", "blockdev on a virtio-blk-pci device: del in use, second writer conflict, query-block",
       PC, [
           CAPS,
           c("blockdev-add", {"driver": "raw", "node-name": "drive-1",
                              "file": {"driver": "file", "filename": "@IMG@"}}, id=1),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "drive-1"}, id=2),
           c("blockdev-del", {"node-name": "drive-1"}, id=3),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "drive": "drive-1"}, id=4),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb3", "drive": "nonode"}, id=5),
           c("query-block"),
       ])

script("pci-bridge-pc", "pci-bridge on pc pci.0 and virtio-blk-pci on it: addr, slot in use, addr 0x20, query-pci",
       PC, [
           CAPS,
           c("device_add", {"driver": "pci-bridge", "id": "br0", "bus": "pci.0"}, id="nochassis"),
           c("device_add", {"driver": "pci-bridge", "id": "br1", "bus": "pci.0", "chassis_nr": 1, "addr": "0x2"}, id=1),
           c("device_add", {"driver": "pci-bridge", "id": "br2", "bus": "pci.0", "chassis_nr": 1, "addr": "0x2"}, id="slot"),
           c("blockdev-add", {"driver": "raw", "node-name": "d1", "file": {"driver": "file", "filename": "@IMG@"}}, id=2),
           c("blockdev-add", {"driver": "raw", "node-name": "d2", "file": {"driver": "file", "filename": "@IMG2@"}}, id=3),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "bus": "br1", "addr": "0x1", "drive": "d1"}, id=4),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "bus": "br1", "addr": "0x1", "drive": "d2"}, id="inuse"),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "bus": "br1", "addr": "0x20", "drive": "d2"}, id="0x20"),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "bus": "br1", "addr": "0x1f", "drive": "d2"}, id="0x1f"),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb3", "bus": "br1", "addr": "0x0", "drive": "d2"}, id="0x0"),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "bus": "br1", "addr": "0x3", "drive": "d2"}, id="dupid"),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb4", "bus": "br1", "addr": "0x2.1", "drive": "d2"}, id="func"),
           c("query-pci"),
           c("query-block"),
       ])

script("pci-unplug-prelaunch", "device_del of virtio-blk-pci on pc with -S (never ran, no guest): no event, "
       "second device_del refused; device still in query-pci",
       PC, [
           CAPS,
           c("blockdev-add", {"driver": "raw", "node-name": "d1", "file": {"driver": "file", "filename": "@IMG@"}}, id=1),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb0", "drive": "d1", "addr": "0x5"}, id=2),
           c("device_del", {"id": "vb0"}, id="del1"),
           c("device_del", {"id": "vb0"}, id="del2"),
           c("query-pci"),
           c("device_del", {"id": "nope"}, id="del3"),
           c("device_del", {"id": "/machine"}, id="del4"),
           c("device_del", {"id": "/machine/peripheral/vb0"}, id="del5"),
       ])

script("pci-unplug-running", "device_del of virtio-blk-pci on a running pc without a guest OS: returns, no event",
       ["-machine", "pc", "-accel", "tcg"], [
           CAPS,
           c("blockdev-add", {"driver": "raw", "node-name": "d1", "file": {"driver": "file", "filename": "@IMG@"}}, id=1),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb0", "drive": "d1", "addr": "0x5"}, id=2),
           c("device_del", {"id": "vb0"}, id="del1"),
           c("query-status"),
       ])

script("scsi", "virtio-scsi-pci + scsi-hd: scsi-id/lun, bad ids, lun in use, synchronous unplug with DEVICE_DELETED events",
       PC, [
           CAPS,
           c("device_add", {"driver": "virtio-scsi-pci", "id": "scsi0", "bus": "pci.0", "addr": "0x3"}, id=1),
           c("blockdev-add", {"driver": "raw", "node-name": "d1", "file": {"driver": "file", "filename": "@IMG@"}}, id=2),
           c("blockdev-add", {"driver": "raw", "node-name": "d2", "file": {"driver": "file", "filename": "@IMG2@"}}, id=3),
           c("device_add", {"driver": "scsi-hd", "id": "sh1", "bus": "scsi0.0", "drive": "d1",
                            "channel": 0, "scsi-id": 0, "lun": 0}, id=4),
           c("device_add", {"driver": "scsi-hd", "id": "sh2", "bus": "scsi0.0", "drive": "d2", "scsi-id": 0, "lun": 0}, id="inuse"),
           c("device_add", {"driver": "scsi-hd", "id": "sh2", "bus": "scsi0.0", "drive": "d2", "scsi-id": 300, "lun": 0}, id="badid"),
           c("device_add", {"driver": "scsi-hd", "id": "sh2", "bus": "scsi0.0", "drive": "d2", "scsi-id": 0, "lun": 20000}, id="badlun"),
           c("device_add", {"driver": "scsi-hd", "id": "sh2", "bus": "pci.0", "drive": "d2"}, id="pcibus"),
           c("device_add", {"driver": "scsi-hd", "id": "sh2", "bus": "scsi9.0", "drive": "d2"}, id="nobus"),
           c("device_add", {"driver": "scsi-hd", "id": "sh2", "bus": "scsi0.0", "drive": "d1", "scsi-id": 1, "lun": 0}, id="nodeuse"),
           c("query-block"),
           c("device_del", {"id": "sh1"}, id="del1", events=["DEVICE_DELETED"]),
           c("device_del", {"id": "sh1"}, id="del2"),
           c("device_add", {"driver": "scsi-hd", "id": "sh2", "bus": "scsi0.0", "drive": "d2", "scsi-id": 0, "lun": 0}, id=5),
           c("query-block"),
       ])

script("vfio", "vfio-pci with a host BDF that does not exist",
       PC, [
           CAPS,
           c("device_add", {"driver": "vfio-pci", "id": "v1", "host": "0000:99:00.0"}, id=1),
           c("device_add", {"driver": "vfio-pci", "id": "v1", "host": "99:00.0"}, id=2),
           c("device_add", {"driver": "vfio-pci", "id": "v1", "sysfsdev": "/sys/bus/pci/devices/0000:99:00.0"}, id=3),
           c("device_add", {"driver": "vfio-pci", "id": "v1"}, id=4),
           c("device_add", {"driver": "vfio-pci", "id": "v1", "host": "zz"}, id=5),
       ])

script("q35-pcie", "q35: hotplug onto pcie.0 refused, pcie-root-port from argv accepts virtio-blk-pci, device_del no event",
       Q35 + ["-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x4"], [
           CAPS,
           c("blockdev-add", {"driver": "raw", "node-name": "d1", "file": {"driver": "file", "filename": "@IMG@"}}, id=1),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "d1"}, id="root"),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "bus": "pcie.0", "drive": "d1"}, id="root2"),
           c("device_add", {"driver": "pcie-root-port", "id": "rp2", "bus": "pcie.0", "chassis": 2}, id="rp"),
           c("device_add", {"driver": "pci-bridge", "id": "br1", "bus": "pcie.0", "chassis_nr": 1}, id="br"),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "bus": "rp1", "drive": "d1"}, id=2),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "bus": "rp1", "addr": "0x1", "drive": "d1"}, id="rpslot"),
           c("query-pci"),
           c("device_del", {"id": "vb1"}, id="del1"),
           c("device_del", {"id": "vb1"}, id="del2"),
       ])

script("device-errors", "device_add/device_del generic errors: unknown driver, unknown bus, wrong bus type, "
       "bad ids, unknown property, non-string id, driver not hotpluggable",
       PC, [
           CAPS,
           c("device_add", {"driver": "no-such-driver", "id": "x"}, id=1),
           c("device_add", {"driver": "virtio-blk-pci", "id": "x", "bus": "nobus"}, id=2),
           c("device_add", {"driver": "scsi-hd", "id": "x"}, id=3),
           c("device_add", {"driver": "pci-bridge", "id": "1abc", "chassis_nr": 1}, id=4),
           c("device_add", {"driver": "pci-bridge", "id": "a b", "chassis_nr": 1}, id=5),
           c("device_add", {"driver": "pci-bridge", "id": "b1", "chassis_nr": 1, "bogus": 1}, id=6),
           c("device_add", {"driver": "pci-bridge", "id": 5, "chassis_nr": 1, "addr": "0x6"}, id=7),
           c("device_add", {"driver": "pci-bridge", "id": "b2", "chassis_nr": 2, "addr": 7}, id=8),
           c("device_add", {"driver": "pci-bridge", "id": "b3", "chassis_nr": "x"}, id=9),
           c("device_add", {"driver": "virtio-blk-pci", "id": "x"}, id=10),
           c("device_add", {"driver": "isa-serial", "id": "x"}, id=11),
           c("device_add", {"driver": "pc-dimm", "id": "x"}, id=12),
           c("device_add", {"driver": "virtio-blk-device", "id": "x"}, id=13),
           c("device_add", {"driver": "pci-bridge", "id": "b4", "chassis_nr": 4, "bus": "pci.1"}, id=14),
           c("device_del", {"id": "nope"}, id=15),
           c("device_del", {"id": "/machine"}, id=16),
           c("device_del", {"id": "/machine/peripheral-anon/device[0]"}, id=17),
           c("device_del", {"id": "b2"}, id=18),
           c("query-pci"),
       ])

script("query-pci-pc", "query-pci of a bare pc -nodefaults machine", PC, [CAPS, c("query-pci"), c("query-block"),
                                                                          c("query-named-block-nodes")])


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        # be-*: make_scripts_backends.py's; qom-*: make_scripts_qom.py's.
        if (old.endswith(".json") and old[:-5] not in SCRIPTS
                and not old.startswith(("be-", "qom-"))):
            os.unlink(os.path.join(OUT, old))
    for name, d in SCRIPTS.items():
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(d, f, indent=1, ensure_ascii=True)
            f.write("\n")
    print("%d scripts" % len(SCRIPTS))


if __name__ == "__main__":
    main()
