#!/usr/bin/python3
"""make_scripts_backends.py - (re)generate the be-* probe scripts in scripts/: what a
management stack uses besides hot-plug (descriptors passed over the monitor, netdevs,
chardevs, objects, balloon, migration, HMP), the block layer and the command line.
The JSON files are what record.py reads; this file is only their source.

  /usr/bin/python3 tests/conformance/make_scripts_backends.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "scripts")
PREFIX = "be-"

NONE = ["-machine", "none", "-accel", "tcg", "-S"]
PC = ["-machine", "pc", "-accel", "tcg", "-S"]
Q35 = ["-machine", "q35", "-accel", "tcg", "-S"]
SCRIPTS = {}


def cmd(name, args=None, id=None):
    m = {"execute": name}
    if args is not None:
        m["arguments"] = args
    if id is not None:
        m["id"] = id
    return json.dumps(m)


def c(name, args=None, id=None, fds=None, **kw):
    st = {"send": cmd(name, args, id)}
    if fds:
        st["fds"] = fds
    st.update(kw)
    return st


CAPS = c("qmp_capabilities")
QUIT = {"send": cmd("quit"), "events": ["SHUTDOWN"], "eof": True}


def script(name, desc, argv, steps, **kw):
    d = {"description": desc, "argv": argv, "steps": steps, "guest": False}
    d.update(kw)
    SCRIPTS[PREFIX + name] = d


def argv_error(name, desc, argv):
    """A command line QEMU refuses (or accepts): exit code and stderr, no monitor."""
    script(name, desc, argv, [], monitor=False, wait_exit=True)


# The descriptors QEMU reports are its own numbers: compared as 0.
FD = [{"key": "fd", "value": 0}]

# ------------------------------------------------------------------ descriptors

script("fds-getfd", "getfd/closefd: no descriptor sent, a name starting with a digit, the same "
       "name twice (replaced), two descriptors in one message (the first is taken), a "
       "descriptor sent with another command and taken later, closefd of unknown names",
       NONE, [
           CAPS,
           c("getfd", {"fdname": "f1"}),
           c("getfd", {"fdname": "f1"}, fds=["null"]),
           c("getfd", {"fdname": "f1"}, fds=["null"]),
           c("getfd", {"fdname": "f2"}, fds=["null", "rdonly"]),
           c("getfd", {"fdname": "f3"}),
           c("getfd", {"fdname": "1x"}, fds=["null"]),
           c("getfd", {"fdname": "1x"}),
           c("query-status", fds=["null"]),
           c("getfd", {"fdname": "late"}),
           c("closefd", {"fdname": "f1"}),
           c("closefd", {"fdname": "f1"}),
           c("closefd", {"fdname": "nope"}),
           c("closefd", {"fdname": "late"}),
           c("getfd", {}),
           c("getfd", {"fdname": 1}),
       ])

script("fds-fdsets", "add-fd/remove-fd/query-fdsets: automatic and given set ids, opaque, "
       "negative id, removal while the guest never ran (kept before 9.1), errors",
       NONE, [
           CAPS,
           c("add-fd"),
           c("query-fdsets"),
           c("add-fd", fds=["null"]),
           c("add-fd", {"fdset-id": 1, "opaque": "hello"}, fds=["rdonly"]),
           c("add-fd", {"fdset-id": 5}, fds=["null"]),
           c("add-fd", {"fdset-id": 5, "opaque": "second"}, fds=["null"]),
           c("add-fd", fds=["null"]),
           c("add-fd", {"fdset-id": -1}, fds=["null"]),
           c("add-fd", {"fdset-id": 3}, fds=["null", "null"]),
           c("query-fdsets"),
           c("remove-fd", {"fdset-id": 1, "fd": 99999}),
           c("remove-fd", {"fdset-id": 9}),
           c("remove-fd", {"fdset-id": 9, "fd": 1}),
           c("remove-fd", {"fdset-id": 5}),
           c("query-fdsets"),
           c("add-fd", fds=["null"]),
           c("query-fdsets"),
           c("remove-fd", {"fdset-id": "x"}),
       ], normalize=FD)

script("fds-fdsets-running", "remove-fd while the guest runs closes the set's members",
       ["-machine", "none", "-accel", "tcg"], [
           CAPS,
           c("add-fd", {"fdset-id": 2}, fds=["null"]),
           c("add-fd", {"fdset-id": 2}, fds=["null"]),
           c("add-fd", {"fdset-id": 4}, fds=["null"]),
           c("remove-fd", {"fdset-id": 2}),
           c("query-fdsets"),
           c("remove-fd", {"fdset-id": 4}),
           c("query-fdsets"),
       ], normalize=FD)

# ------------------------------------------------------------------ netdevs

script("netdev-basic", "netdev_add user: duplicate and malformed ids, missing id, unknown and "
       "uncompiled types, netdev_del, set_link, query-rx-filter without NICs",
       PC, [
           CAPS,
           c("netdev_add", {"type": "user", "id": "n1"}),
           c("netdev_add", {"type": "user", "id": "n1"}),
           c("netdev_add", {"type": "user", "id": "1n"}),
           c("netdev_add", {"type": "user", "id": "a b"}),
           c("netdev_add", {"type": "user"}),
           c("netdev_add", {"type": "bogus", "id": "x"}),
           c("netdev_add", {"type": "nic", "id": "x"}),
           c("netdev_add", {"type": "netmap", "id": "x", "ifname": "y"}),
           c("netdev_add", {"type": "user", "id": "n2", "bogus": 1}),
           c("netdev_add", {"type": "user", "id": "n3", "ipv4": "yes"}),
           c("netdev_add", {"type": "user", "id": "n4", "hostname": "guest", "restrict": True}),
           c("set_link", {"name": "n1", "up": False}),
           c("set_link", {"name": "n1", "up": True}),
           c("set_link", {"name": "nope", "up": False}),
           c("query-rx-filter"),
           c("query-rx-filter", {"name": "n1"}),
           c("query-rx-filter", {"name": "nope"}),
           c("netdev_del", {"id": "n1"}),
           c("netdev_del", {"id": "n1"}),
           c("netdev_add", {"type": "user", "id": "n1"}),
           c("netdev_del", {"id": "nope"}),
       ])

script("netdev-tap", "netdev_add tap: a real tap fd by getfd name, a descriptor that is not a "
       "tap, fd= with conflicting options, fds= counts, vhostfd without vhost, ifname without "
       "creating a host device, a script that cannot run, helper=, vhost without /dev/vhost-net",
       PC, [
           CAPS,
           c("netdev_add", {"type": "tap", "id": "t0", "fd": "nofd"}),
           c("getfd", {"fdname": "tapfd"}, fds=["tap"]),
           c("netdev_add", {"type": "tap", "id": "t1", "fd": "tapfd"}),
           c("netdev_add", {"type": "tap", "id": "t1b", "fd": "tapfd"}),
           c("getfd", {"fdname": "tapfd2"}, fds=["tap"]),
           c("netdev_add", {"type": "tap", "id": "t2", "fd": "tapfd2", "ifname": "x"}),
           c("netdev_add", {"type": "tap", "id": "t3", "fds": "a:b"}),
           c("netdev_add", {"type": "tap", "id": "t4", "fds": "a:b", "vhostfds": "c"}),
           c("netdev_add", {"type": "tap", "id": "t5", "fds": "a", "queues": 2}),
           c("netdev_add", {"type": "tap", "id": "t6", "vhostfds": "a"}),
           c("netdev_add", {"type": "tap", "id": "t7", "ifname": "fqtap7", "script": "no",
                            "downscript": "no"}),
           c("netdev_add", {"type": "tap", "id": "t8", "ifname": "fqtap8",
                            "script": "/nonexistent/ifup"}),
           c("netdev_add", {"type": "tap", "id": "t9", "helper": "/nonexistent/helper"}),
           c("netdev_add", {"type": "tap", "id": "t10", "helper": "/x", "ifname": "y"}),
           c("getfd", {"fdname": "tapfd3"}, fds=["tap"]),
           c("netdev_add", {"type": "tap", "id": "t11", "fd": "tapfd3", "vhost": True,
                            "vhostforce": True}),
           c("getfd", {"fdname": "tapfd5"}, fds=["tap"]),
           c("netdev_add", {"type": "tap", "id": "t13", "fd": "tapfd5", "vhost": False,
                            "vhostfd": "nofd"}),
           c("netdev_del", {"id": "t1"}),
           c("netdev_del", {"id": "t7"}),
       ])

script("netdev-tap-twice", "netdev_add of an id in use (G18): 7.2 refuses it first, 5.2 opens "
       "the backend again (taking its getfd'ed descriptor), answers {} and still has one netdev",
       PC, [
           CAPS,
           c("getfd", {"fdname": "tapfd"}, fds=["tap"]),
           c("netdev_add", {"type": "tap", "id": "t1", "fds": "tapfd"}),
           c("netdev_add", {"type": "tap", "id": "t1", "fds": "tapfd"}),
           c("getfd", {"fdname": "tapfd"}, fds=["tap"]),
           c("netdev_add", {"type": "tap", "id": "t1", "fds": "tapfd"}),
           c("closefd", {"fdname": "tapfd"}),
           c("netdev_add", {"type": "user", "id": "u1"}),
           c("netdev_add", {"type": "user", "id": "u1"}),
           c("netdev_del", {"id": "u1"}),
           c("netdev_del", {"id": "u1"}),
           c("netdev_del", {"id": "u1"}),
           c("netdev_del", {"id": "t1"}),
           c("netdev_del", {"id": "t1"}),
           c("netdev_del", {"id": "t1"}),
       ])

script("netdev-tap-vhostfds", "netdev_add tap with vhost=on and a vhostfds descriptor that is no "
       "vhost-net device (G12): 5.2 takes it, 7.2 reports, warns and aborts on an assertion, "
       "10.0 refuses it", PC, [
           CAPS,
           c("getfd", {"fdname": "tapfd"}, fds=["tap"]),
           c("getfd", {"fdname": "vfd"}, fds=["null"]),
           c("netdev_add", {"type": "tap", "id": "t1", "fds": "tapfd", "vhost": True,
                            "vhostfds": "vfd"}, or_eof=True),
       ])

script("netdev-tap-vhostfd", "netdev_add tap fd= with vhost=on and a vhostfd that is no vhost-net "
       "device, with and without vhostforce", PC, [
           CAPS,
           c("getfd", {"fdname": "tapfd"}, fds=["tap"]),
           c("getfd", {"fdname": "vfd"}, fds=["null"]),
           c("netdev_add", {"type": "tap", "id": "t1", "fd": "tapfd", "vhost": True,
                            "vhostfd": "vfd", "vhostforce": True}),
           c("getfd", {"fdname": "tapfd"}, fds=["tap"]),
           c("getfd", {"fdname": "vfd"}, fds=["null"]),
           c("query-status"),
           c("netdev_add", {"type": "tap", "id": "t2", "fd": "tapfd", "vhost": True,
                            "vhostfd": "vfd"}, or_eof=True),
       ])

script("netdev-tap-vhostfd-missing", "netdev_add tap fd= with vhost=on naming a vhostfd that was "
       "never passed, without vhostforce: 5.2 warns, 7.2 warns and aborts, 10.0 refuses", PC, [
           CAPS,
           c("getfd", {"fdname": "tapfd"}, fds=["tap"]),
           c("netdev_add", {"type": "tap", "id": "t1", "fd": "tapfd", "vhost": True,
                            "vhostfd": "nosuch"}, or_eof=True),
       ])

script("vhost-vsock", "vhost-vsock-pci: without vhostfd (no /dev/vhost-vsock here), a vhostfd "
       "that is no vhost device, guest-cid checks", PC, [
           CAPS,
           c("device_add", {"driver": "vhost-vsock-pci", "id": "v0", "guest-cid": 3}),
           c("getfd", {"fdname": "vfd"}, fds=["null"]),
           c("device_add", {"driver": "vhost-vsock-pci", "id": "v1", "guest-cid": 3,
                            "vhostfd": "vfd"}),
           c("device_add", {"driver": "vhost-vsock-pci", "id": "v2", "guest-cid": 3,
                            "vhostfd": "nosuch"}),
           c("device_add", {"driver": "vhost-vsock-pci", "id": "v3", "guest-cid": 2}),
           c("device_add", {"driver": "vhost-vsock-pci", "id": "v4"}),
           c("query-pci"),
       ])

VU_PEER = {"type": "socket", "data": {"addr": {"type": "unix", "data": {"path": "@TMP@/vu.sock"}},
                                     "server": False}}

script("vhost-user-blk-hangup", "vhost-user-blk-pci on a chardev whose peer hangs up after the "
       "first message (G12): 7.2/10.0 retry three times and refuse, 5.2 reports and aborts",
       PC, [
           CAPS,
           c("chardev-add", {"id": "vu0", "backend": VU_PEER}),
           c("device_add", {"driver": "vhost-user-blk-pci", "id": "vub0", "chardev": "vu0"},
             or_eof=True),
       ], hangup_peers=["@TMP@/vu.sock"])

script("vhost-user-fs-hangup", "vhost-user-fs-pci on a chardev whose peer hangs up after the "
       "first message", PC, [
           CAPS,
           c("chardev-add", {"id": "vu0", "backend": VU_PEER}),
           c("device_add", {"driver": "vhost-user-fs-pci", "id": "vuf0", "chardev": "vu0",
                            "tag": "fs0"}, or_eof=True),
       ], hangup_peers=["@TMP@/vu.sock"])

script("netdev-others", "netdev_add socket, stream, dgram, vde, bridge, hubport, vhost-user, "
       "vhost-vdpa, l2tpv3: the checks each backend makes",
       PC + ["-chardev", "null,id=cnull",
             "-chardev", "socket,id=csock,path=@TMP@/vu.sock,server=on,wait=off",
             "-chardev", "socket,id=ctcp,host=127.0.0.1,port=0,server=on,wait=off"], [
           CAPS,
           c("netdev_add", {"type": "socket", "id": "s1"}),
           c("netdev_add", {"type": "socket", "id": "s2", "listen": "127.0.0.1:0",
                            "connect": "127.0.0.1:1"}),
           c("netdev_add", {"type": "socket", "id": "s3", "listen": "127.0.0.1:0",
                            "localaddr": "127.0.0.1"}),
           c("netdev_add", {"type": "socket", "id": "s4", "fd": "nofd"}),
           c("netdev_add", {"type": "socket", "id": "s5", "listen": "127.0.0.1:0"}),
           c("netdev_add", {"type": "socket", "id": "s6", "connect": "127.0.0.1:1"}),
           c("netdev_add", {"type": "dgram", "id": "d1"}),
           c("netdev_add", {"type": "vde", "id": "v1"}),
           c("netdev_add", {"type": "bridge", "id": "b1"}),
           c("netdev_add", {"type": "hubport", "id": "h1", "hubid": 0}),
           c("netdev_add", {"type": "hubport", "id": "h2", "hubid": 0, "netdev": "nope"}),
           c("netdev_add", {"type": "vhost-user", "id": "u1", "chardev": "nochr"}),
           c("netdev_add", {"type": "vhost-user", "id": "u2", "chardev": "cnull"}),
           c("netdev_add", {"type": "vhost-user", "id": "u3", "chardev": "ctcp"}),
           c("netdev_add", {"type": "vhost-vdpa", "id": "p1", "vhostdev": "/dev/nonexistent"}),
           c("netdev_add", {"type": "l2tpv3", "id": "l1", "src": "127.0.0.1",
                            "dst": "127.0.0.1", "txsession": 1}),
           c("netdev_del", {"id": "s5"}),
           c("netdev_del", {"id": "h1"}),
           c("netdev_del", {"id": "l1"}),
       ])

script("netdev-cmdline", "-netdev user and hubport on the command line, then the same ids "
       "over QMP",
       PC + ["-netdev", "user,id=hn0", "-netdev", "hubport,id=hp0,hubid=1"], [
           CAPS,
           c("netdev_add", {"type": "user", "id": "hn0"}),
           c("netdev_del", {"id": "hp0"}),
           c("netdev_del", {"id": "hn0"}),
           c("netdev_add", {"type": "user", "id": "hn0"}),
       ])

argv_error("argv-netdev-dup", "-netdev with a duplicate id",
           ["-netdev", "user,id=n0", "-netdev", "user,id=n0"])
argv_error("argv-netdev-noid", "-netdev without id", ["-netdev", "user"])
argv_error("argv-netdev-badtype", "-netdev of an unknown type", ["-netdev", "bogus,id=n0"])
argv_error("argv-netdev-tapfd", "-netdev tap with fd= and ifname=",
           ["-netdev", "tap,id=n0,fd=3,ifname=x"])
argv_error("argv-netdev-socket", "-netdev socket without an address", ["-netdev", "socket,id=n0"])

# ------------------------------------------------------------------ chardevs

SOCK = {"type": "socket", "data": {"addr": {"type": "unix", "data": {"path": "@TMP@/s1.sock"}},
                                   "server": True, "wait": False}}

script("chardev-qmp", "chardev-add of each backend, duplicate ids, open failures, "
       "chardev-remove, query-chardev order (GHashTable), query-chardev-backends",
       NONE, [
           CAPS,
           c("query-chardev"),
           c("query-chardev-backends"),
           c("chardev-add", {"id": "c1", "backend": {"type": "null", "data": {}}}),
           c("chardev-add", {"id": "c1", "backend": {"type": "null", "data": {}}}),
           c("chardev-add", {"id": "1c", "backend": {"type": "null", "data": {}}}),
           c("chardev-add", {"id": "s1", "backend": SOCK}),
           c("chardev-add", {"id": "s2", "backend": {"type": "socket", "data": {
               "addr": {"type": "unix", "data": {"path": "@TMP@/nonexist.sock"}},
               "server": False}}}),
           c("chardev-add", {"id": "s3", "backend": {"type": "socket", "data": {
               "addr": {"type": "unix", "data": {"path": "@TMP@/s1.sock"}}, "server": False}}}),
           c("chardev-add", {"id": "s3w", "backend": {"type": "socket", "data": {
               "addr": {"type": "unix", "data": {"path": "@TMP@/s1.sock"}}, "server": False,
               "wait": False}}}),
           c("chardev-add", {"id": "s4", "backend": {"type": "socket", "data": {
               "addr": {"type": "unix", "data": {"path": "/nonexistent/dir/s.sock"}},
               "server": True, "wait": False}}}),
           c("chardev-add", {"id": "f1", "backend": {"type": "file", "data": {"out": "@TMP@/f1.log"}}}),
           c("chardev-add", {"id": "f2", "backend": {"type": "file", "data": {"out": "/nonexistent/f.log"}}}),
           c("chardev-add", {"id": "r1", "backend": {"type": "ringbuf", "data": {"size": 1024}}}),
           c("chardev-add", {"id": "r2", "backend": {"type": "ringbuf", "data": {"size": 1000}}}),
           c("chardev-add", {"id": "m1", "backend": {"type": "memory", "data": {}}}),
           c("chardev-add", {"id": "st", "backend": {"type": "stdio", "data": {}}}),
           c("chardev-add", {"id": "t1", "backend": {"type": "socket", "data": {
               "addr": {"type": "inet", "data": {"host": "127.0.0.1", "port": "0"}},
               "server": True, "wait": False}}}),
           c("chardev-remove", {"id": "t1"}),
           c("chardev-add", {"id": "x1", "backend": {"type": "bogus", "data": {}}}),
           c("chardev-add", {"id": "x2", "backend": {"type": "null"}}),
           c("chardev-add", {"id": "x3"}),
           c("query-chardev"),
           c("chardev-remove", {"id": "c1"}),
           c("chardev-remove", {"id": "c1"}),
           c("chardev-remove", {"id": "qmp0"}),
           c("chardev-remove", {"id": "s3"}),
           c("query-chardev"),
       ])

script("chardev-order", "query-chardev and query-yank of command-line chardevs of each kind "
       "(server sockets connected or not, client sockets, -qmp's compat_monitor0)",
       NONE + ["-chardev", "socket,id=cs1,path=@TMP@/cs1.sock,server=on,wait=off",
               "-chardev", "socket,id=cs2,path=@TMP@/cs1.sock",
               "-chardev", "file,id=cf,path=@TMP@/f.log",
               "-chardev", "null,id=cn", "-chardev", "ringbuf,id=cr,size=4096",
               "-chardev", "stdio,id=cst",
               "-qmp", "unix:@TMP@/q2.sock,server=on,wait=off",
               "-chardev", "socket,id=cs3,path=@TMP@/cs3.sock,server=on,wait=off"], [
           CAPS,
           c("query-chardev"),
           c("query-yank"),
           c("chardev-remove", {"id": "compat_monitor0"}),
           c("chardev-remove", {"id": "cs1"}),
           c("query-chardev"),
       ])

script("chardev-shortform", "deprecated short-form booleans (server,nowait) on -chardev: the "
       "warnings, and the socket is there", NONE + [
           "-chardev", "socket,id=cs,path=@TMP@/short.sock,server,nowait"], [
           CAPS, c("query-chardev")])

argv_error("argv-chardev-noid", "-chardev without id", ["-chardev", "socket,path=/tmp/x.sock"])
argv_error("argv-chardev-dup", "-chardev with a duplicate id",
           ["-chardev", "null,id=a", "-chardev", "null,id=a"])
argv_error("argv-chardev-badtype", "-chardev of an unknown backend", ["-chardev", "bogus,id=a"])
argv_error("argv-chardev-noaddr", "-chardev socket without an address", ["-chardev", "socket,id=a"])
argv_error("argv-chardev-bind", "-chardev socket server in a missing directory",
           ["-chardev", "socket,id=a,path=/nonexistent/x.sock,server=on,wait=off"])
argv_error("argv-chardev-long", "-chardev socket with a path over 107 bytes",
           ["-chardev", "socket,id=a,path=@TMP@/" + "x" * 110 + ".sock,server=on,wait=off"])
argv_error("argv-chardev-connect", "-chardev socket client with nobody listening",
           ["-chardev", "socket,id=a,path=@TMP@/nobody.sock"])
argv_error("argv-chardev-file", "-chardev file without path",
           ["-chardev", "file,id=a"])
argv_error("argv-chardev-file2", "-chardev file in a missing directory",
           ["-chardev", "file,id=a,path=/nonexistent/f"])
argv_error("argv-chardev-ringbuf", "-chardev ringbuf with a size not a power of two",
           ["-chardev", "ringbuf,id=a,size=1000"])
argv_error("argv-chardev-tcp", "-chardev tcp client refused",
           ["-chardev", "socket,id=a,host=127.0.0.1,port=1,server=off"])
argv_error("argv-chardev-badid", "-chardev with a malformed id",
           ["-chardev", "null,id=1a"])
# lookup_opt()'s first pass over the whole line: an unknown option (or one missing its
# argument) is reported before any earlier option is looked at.
argv_error("argv-invalid-late", "an unknown option after a -chardev that would warn and fail",
           ["-machine", "bogus", "-chardev", "socket,id=a,path=@TMP@/a.sock,server,nowait,bogus=1",
            "-nosuchoption"])
argv_error("argv-realtime-late", "kata 1.x's -realtime mlock=off after short-form -chardev booleans",
           ["-machine", "bogus", "-chardev", "socket,id=a,path=@TMP@/a.sock,server,nowait",
            "-realtime", "mlock=off"])

# qemu_strtosz() through QemuOpts (a "size" parameter): each version's parser. A size it
# takes is followed by -machine bogus's error, one it refuses stops parsing first.
for name, value in [("neg", "-1"), ("negzero", "-0"), ("hexsuffix", "0x10k"),
                    ("exponent", "1e3"), ("leadfrac", ".5k"), ("u64max", "18446744073709551615"),
                    ("16e", "16E"), ("fracbytes", "1.5"), ("hexfloat", "0x1p3"),
                    ("nearly1", "0.9999999999999999999E"), ("space", "1 k"), ("exa", "1e")]:
    argv_error("argv-size-" + name, "a QemuOpts size of '%s' (-chardev ringbuf,size=)" % value,
               ["-machine", "bogus", "-chardev", "ringbuf,id=a,size=" + value])
# parse_option_number(): qemu_strtou64(), so -1 wraps.
for name, value in [("neg", "-1"), ("big", "99999999999999999999"), ("suffix", "1k")]:
    argv_error("argv-number-" + name, "a QemuOpts number of '%s' (-boot reboot-timeout=)" % value,
               ["-machine", "bogus", "-boot", "reboot-timeout=" + value])
# monitor_parse() and qemu_chr_parse_compat(): the legacy forms QEMU refuses.
for name, opt, value in [("bogus", "-qmp", "bogus"), ("bogus-prefix", "-qmp", "bogus:x"),
                         ("noport", "-qmp", "tcp:127.0.0.1,server=on,wait=off"),
                         ("badopt", "-qmp", "unix:@TMP@/m.sock,server=on,wait=off,bogus=1"),
                         ("badbool", "-monitor", "unix:@TMP@/m.sock,server=maybe"),
                         ("empty-unix", "-qmp", "unix:"),
                         ("nochardev", "-qmp", "chardev:nosuch"),
                         ("none", "-qmp", "none")]:
    argv_error("argv-compat-" + name, "%s %s (qemu_chr_parse_compat)" % (opt, value),
               [opt, value])
argv_error("argv-mon-nochardev", "-mon of a missing chardev", ["-mon", "chardev=nope"])
argv_error("argv-mon-badmode", "-mon with an unknown mode",
           ["-chardev", "null,id=a", "-mon", "chardev=a,mode=bogus"])
argv_error("argv-add-fd-nofd", "-add-fd without fd", ["-add-fd", "set=1"])
argv_error("argv-add-fd-stdio", "-add-fd of a standard stream", ["-add-fd", "fd=1,set=1"])
argv_error("argv-add-fd-bad", "-add-fd of a descriptor not open", ["-add-fd", "fd=77,set=1"])


# ------------------------------------------------------------------ objects

THREAD = [{"key": "thread-id", "value": 0}]

script("object-qmp", "object-add of iothreads, memory backends, secrets, rngs: 5.2's flat and "
       "props forms, ids, duplicates, missing and bad properties, completion failures, "
       "object-del, query-iothreads and query-memdev (GHashTable order)",
       PC, [
           CAPS,
           c("query-iothreads"),
           c("query-memdev"),
           c("object-add", {"qom-type": "iothread", "id": "io1"}),
           c("object-add", {"qom-type": "iothread", "id": "io1"}),
           c("object-add", {"qom-type": "iothread", "id": "1io"}),
           c("object-add", {"qom-type": "iothread", "id": "io2", "props": {"poll-max-ns": 100}}),
           c("object-add", {"qom-type": "iothread", "id": "io3", "poll-max-ns": 100}),
           c("object-add", {"qom-type": "iothread", "id": "io4", "poll-max-ns": -1}),
           c("object-add", {"qom-type": "iothread", "id": "io5", "bogus": 1}),
           c("object-add", {"qom-type": "memory-backend-ram", "id": "mem1", "size": 134217728}),
           c("object-add", {"qom-type": "memory-backend-ram", "id": "mem2", "props": {"size": 134217728}}),
           c("object-add", {"qom-type": "memory-backend-ram", "id": "mem3"}),
           c("object-add", {"qom-type": "memory-backend-ram", "id": "mem4", "size": 0}),
           c("object-add", {"qom-type": "memory-backend-ram", "id": "mem5", "size": 1048576,
                            "dump": False, "merge": False, "prealloc": True, "host-nodes": [0],
                            "policy": "bind"}),
           c("object-add", {"qom-type": "memory-backend-file", "id": "mf1", "size": 1048576,
                            "mem-path": "@TMP@/mf1"}),
           c("object-add", {"qom-type": "memory-backend-file", "id": "mf2", "size": 1048576}),
           c("object-add", {"qom-type": "memory-backend-file", "id": "mf3", "size": 1048576,
                            "mem-path": "/nonexistent/dir/f"}),
           c("object-add", {"qom-type": "memory-backend-file", "id": "mf4", "size": 2097152,
                            "mem-path": "@TMP@", "share": True}),
           c("object-add", {"qom-type": "memory-backend-file", "id": "mf5", "size": 4194304,
                            "mem-path": "@IMG@"}),
           c("object-add", {"qom-type": "memory-backend-memfd", "id": "mm1", "size": 1048576}),
           c("object-add", {"qom-type": "secret", "id": "sec1", "data": "abc"}),
           c("object-add", {"qom-type": "secret", "id": "sec2"}),
           c("object-add", {"qom-type": "secret", "id": "sec3", "data": "!!", "format": "base64"}),
           c("object-add", {"qom-type": "rng-random", "id": "rng1", "filename": "/dev/urandom"}),
           c("object-add", {"qom-type": "rng-random", "id": "rng2", "filename": "/nonexistent"}),
           c("object-add", {"qom-type": "rng-builtin", "id": "rng3"}),
           c("object-add", {"qom-type": "rng-egd", "id": "rng4", "chardev": "nochr"}),
           c("object-add", {"qom-type": "throttle-group", "id": "tg1"}),
           c("object-add", {"qom-type": "bogus", "id": "b1"}),
           c("object-add", {"qom-type": "memory-backend", "id": "abs"}),
           c("object-add", {"qom-type": "iothread"}),
           c("object-add", {"id": "noqt"}),
           c("query-iothreads"),
           c("query-memdev"),
           c("object-del", {"id": "io1"}),
           c("object-del", {"id": "io1"}),
           c("object-del", {"id": "nope"}),
           c("object-del", {"id": "mem1"}),
           c("query-iothreads"),
           c("query-memdev"),
       ], normalize=THREAD)

script("object-cmdline", "-object of each kind on the command line (created before or after "
       "the chardevs), the machine's pc.ram among them, then the same ids over QMP",
       PC + ["-m", "256", "-object", "iothread,id=cio1",
             "-object", "memory-backend-ram,id=cmem,size=64M",
             "-object", "rng-random,id=crng,filename=/dev/urandom",
             "-object", "secret,id=csec,data=x",
             "-object", "memory-backend-file,id=cmf,size=1M,mem-path=@TMP@"], [
           CAPS,
           c("query-memdev"),
           c("query-iothreads"),
           c("object-add", {"qom-type": "iothread", "id": "cio1"}),
           c("object-del", {"id": "pc.ram"}),
           c("object-del", {"id": "cmem"}),
           c("query-memdev"),
       ], normalize=THREAD)

script("object-machine-ram", "-machine memory-backend= names the RAM object (as libvirt 9.0 does): "
       "no pc.ram of its own, and the object is in use",
       ["-machine", "pc,memory-backend=pc.ram", "-accel", "tcg", "-S", "-m", "128",
        "-object", "memory-backend-ram,id=pc.ram,size=134217728"], [
           CAPS, c("query-memdev"), c("object-del", {"id": "pc.ram"}), c("query-memdev")])

script("object-none", "-machine none: RAM only with -m, as 'ram'", NONE + ["-m", "64"], [
    CAPS, c("query-memdev"), c("object-del", {"id": "ram"})])

argv_error("argv-object-bogus", "-object of an unknown type", ["-object", "bogus,id=x"])
argv_error("argv-object-noid", "-object without id", ["-object", "iothread"])
argv_error("argv-object-nosize", "-object memory-backend-ram without size",
           ["-object", "memory-backend-ram,id=m"])
argv_error("argv-object-badprop", "-object with an unknown property",
           ["-object", "iothread,id=x,bogus=1"])
argv_error("argv-object-dup", "-object twice with one id",
           ["-object", "iothread,id=x", "-object", "iothread,id=x"])
argv_error("argv-object-memfile", "-object memory-backend-file in a missing directory",
           ["-object", "memory-backend-file,id=m,size=1M,mem-path=/nonexistent/d/f"])
argv_error("argv-object-readonly", "-object memory-backend-file,readonly=on (kata 2.x's nvdimm "
           "image; not a property in 5.2)",
           ["-object", "memory-backend-file,id=m,size=1M,mem-path=@IMG@,share=on,readonly=on"])
argv_error("argv-machine-memdev", "-machine memory-backend= naming no object",
           ["-machine", "pc,memory-backend=nope"])

# ------------------------------------------------------------------ balloon, migration

script("balloon", "balloon and query-balloon without and with a balloon device (no guest: "
       "the actual size stays)", PC + ["-m", "256"], [
           CAPS,
           c("query-balloon"),
           c("balloon", {"value": 1073741824}),
           c("device_add", {"driver": "virtio-balloon-pci", "id": "bal0"}),
           c("query-balloon"),
           c("balloon", {"value": 67108864}),
           c("balloon", {"value": 0}),
           c("balloon", {"value": -1}),
           c("balloon", {"value": 1 << 40}),
           c("balloon", {"value": "x"}),
           c("query-balloon"),
       ])

script("migrate-settings", "query-migrate before any migration, migration capabilities and "
       "parameters: unknown capabilities, setting and reading back", PC, [
           CAPS,
           c("query-migrate"),
           c("query-migrate-capabilities"),
           c("migrate-set-capabilities", {"capabilities": [{"capability": "bypass-shared-memory",
                                                             "state": True}]}),
           c("migrate-set-capabilities", {"capabilities": [{"capability": "x-ignore-shared",
                                                             "state": True},
                                                            {"capability": "events",
                                                             "state": True}]}),
           c("query-migrate-capabilities"),
           c("query-migrate-parameters"),
           c("migrate-set-parameters", {"max-bandwidth": 1000, "downtime-limit": 500}),
           c("migrate-set-parameters", {"bogus": 1}),
           c("query-migrate-parameters"),
           c("migrate-incoming", {"uri": "exec:cat /dev/null"}),
           c("query-migrate"),
       ])

EVENTS_ON = c("migrate-set-capabilities", {"capabilities": [{"capability": "events",
                                                              "state": True}]})
COMPLETED = {"event": "MIGRATION", "data": {"status": "completed"}}
FAILED = {"event": "MIGRATION", "data": {"status": "failed"}}
# What depends on timing and on what the guest's memory holds.
MIG_STATS = [{"key": k, "value": 0} for k in (
    "setup-time", "downtime", "total-time", "mbps", "transferred", "precopy-bytes",
    "downtime-bytes", "duplicate", "normal", "normal-bytes")]

# Only what does not race QEMU's migration cleanup: QEMU reports MIGRATION
# "completed" before its cleanup bottom half has run, so a `cont` (refused:
# "Migration is not finalized yet"), a query-status (finish-migrate or
# postmigrate) or another migrate (refused for the paused VM, or started while
# the state is still finish-migrate) right after it answer at random, most
# often on a loaded host.
script("migrate-exec", "migrate to exec:cat>FILE from prelaunch: the MIGRATION/MIGRATION_PASS/"
       "STOP events of each version, query-migrate after, migrate_cancel of a completed "
       "migration",
       PC + ["-m", "128"], [
           CAPS, EVENTS_ON,
           c("query-migrate"),
           c("migrate", {"uri": "exec:cat>@TMP@/mig1.state"}, until_event=COMPLETED),
           c("query-migrate"),
           c("migrate_cancel"),
           c("query-migrate"),
       ], normalize=MIG_STATS)

script("migrate-errors", "migrate: missing or unknown URIs, an unknown fd name, a unix socket "
       "nobody listens on and a refused TCP port (failing after the reply), query-migrate's "
       "error-desc", PC, [
           CAPS, EVENTS_ON,
           c("migrate_cancel"),
           c("migrate", {}),
           c("migrate", {"uri": "bogus:x"}),
           c("migrate", {"uri": "nocolon"}),
           c("migrate", {"uri": "fd:nosuch"}),
           c("query-migrate"),
           c("migrate", {"uri": "unix:/nonexistent/x.sock"}, until_event=FAILED),
           c("query-migrate"),
           c("migrate", {"uri": "tcp:127.0.0.1:1"}, until_event=FAILED),
           c("query-migrate"),
           c("query-status"),
       ])

script("migrate-incoming-defer", "-incoming defer: inmigrate, stop/cont only set autostart, "
       "migrate and dump refused, migrate-incoming errors and retries, a stream that is not one "
       "(QEMU exits)", ["-machine", "pc", "-accel", "tcg", "-incoming", "defer"], [
           CAPS,
           c("query-status"),
           c("stop"), c("query-status"),
           c("cont"), c("query-status"),
           c("migrate", {"uri": "exec:cat>/dev/null"}),
           c("dump-guest-memory", {"protocol": "file:/dev/null", "paging": False}),
           c("query-migrate"),
           c("migrate-incoming", {"uri": "bogus:x"}),
           c("migrate-incoming", {"uri": "unix:/nonexistent/x.sock"}),
           c("query-migrate"),
           c("migrate-incoming", {"uri": "exec:cat /dev/null"}),
       ], racy_events=[])

script("migrate-incoming-notstream", "-incoming defer, then migrate-incoming of a file that is "
       "no migration stream: QEMU reports it and exits",
       ["-machine", "pc", "-accel", "tcg", "-incoming", "defer"], [
           CAPS,
           {"send": cmd("migrate-incoming", {"uri": "exec:cat @IMG@"}), "eof": True},
       ], racy_events=[])

script("migrate-incoming-none", "migrate-incoming without -incoming, and with -incoming "
       "absent: query-status and query-migrate", PC, [
           CAPS,
           c("migrate-incoming", {"uri": "exec:cat /dev/null"}),
           c("query-migrate"),
       ])

argv_error("argv-incoming-notstream", "-incoming exec:cat of a file that is no migration stream",
           ["-machine", "pc", "-incoming", "exec:cat @IMG@"])
argv_error("argv-incoming-bogus", "-incoming with an unknown protocol",
           ["-machine", "pc", "-incoming", "bogus:x"])

script("query-cpus", "5.2's query-cpus (gone in 6.0): boot vCPUs and a hot-plugged one before "
       "the first run (reset vector, the APs halted)",
       PC + ["-smp", "2,maxcpus=4"], [
           CAPS,
           c("query-cpus"),
           c("device_add", {"driver": "qemu64-x86_64-cpu", "id": "c2", "socket-id": 2,
                            "core-id": 0, "thread-id": 0}),
           c("query-cpus"),
       ], normalize=[{"key": "thread_id", "value": 0}])



def unexpected_members():
    """Arguments with several members the command lacks: QEMU names the first one its
    GHashTable yields (QDict order in, consumed members out), not the first one given."""
    import random
    rnd = random.Random(8)
    words = ["a", "b", "id", "type", "script", "downscript", "ifname", "net", "host", "x1",
             "zz", "foo-bar", "node-name", "driver", "size", "qom-type", "mem", "bogus", "k",
             "cache", "discard", "abc", "fd", "path", "value"] + ["w%d" % j for j in range(30)]
    steps = [c("netdev_add", {"downscript": "", "id": "network-5", "ifname": "", "script": "",
                              "type": "user"})]
    for i in range(40):
        keys = rnd.sample(words, rnd.randint(2, 16))
        which = ["query-status", "netdev_add", "qom-list"][i % 3]
        d = {k: "" for k in keys}
        if which == "netdev_add":
            d.update(type="user", id="n%d" % i)
        if which == "qom-list":
            d["path"] = "/"
        items = list(d.items())
        rnd.shuffle(items)
        steps.append(c(which, dict(items)))
    return steps


script("qmp-unexpected-order", "which of several unexpected members QEMU names (G5: netdev_add "
       "user with script/downscript/ifname), over commands with and without members",
       NONE, [CAPS] + unexpected_members())

script("nvdimm-unplug", "device_del of an NVDIMM (G9: refused by pc_memory_unplug_request()) "
       "and of a pc-dimm (a request to the guest: no event without one)",
       ["-machine", "pc,nvdimm=on", "-accel", "tcg", "-S", "-m", "256M,slots=2,maxmem=1G"], [
           CAPS,
           c("object-add", {"qom-type": "memory-backend-ram", "id": "m1", "size": 134217728}),
           c("object-add", {"qom-type": "memory-backend-ram", "id": "m2", "size": 134217728}),
           c("device_add", {"driver": "nvdimm", "id": "nv1", "memdev": "m1"}),
           c("device_add", {"driver": "pc-dimm", "id": "d1", "memdev": "m2"}),
           c("device_del", {"id": "nv1"}),
           c("device_del", {"id": "d1"}),
           c("query-memory-devices"),
       ])

Q35_RP = Q35 + ["-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=1,addr=5",
               "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=2,addr=6"]
script("virtio-modes", "virtio-pci devices with disable-modern (G16): no mode left below a PCIe "
       "port (disable-legacy=auto is on there), legacy on pcie.0, the (non-)transitional "
       "variants", Q35_RP, [
           CAPS,
           c("device_add", {"driver": "virtio-net-pci", "id": "n0", "bus": "rp0",
                            "disable-modern": True}),
           c("device_add", {"driver": "virtio-net-pci", "id": "n1", "bus": "rp0",
                            "disable-modern": True, "disable-legacy": "off"}),
           c("device_add", {"driver": "virtio-net-pci", "id": "n2", "bus": "pcie.0",
                            "disable-modern": True, "addr": "9"}),
           c("device_add", {"driver": "virtio-net-pci", "id": "n3", "bus": "pcie.0",
                            "disable-modern": True, "disable-legacy": "on", "addr": "a"}),
           c("device_add", {"driver": "virtio-net-pci-non-transitional", "id": "n4",
                            "bus": "pcie.0", "disable-modern": True, "addr": "b"}),
           c("device_add", {"driver": "virtio-net-pci-transitional", "id": "n5", "bus": "rp1",
                            "disable-modern": True}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "b0", "bus": "pcie.0",
                            "disable-modern": True, "disable-legacy": "on", "addr": "c"}),
       ])
argv_error("argv-virtio-modes", "-device virtio-net-pci,disable-modern=on below a root port",
           ["-machine", "q35", "-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=1",
            "-device", "virtio-net-pci,bus=rp0,disable-modern=on"])

script("shpc-hotplug", "hot-plug below a hot-plugged pci-bridge (its SHPC, G17): slot 0 refused "
       "after realize (the virtio backend goes), a device on slot 3, its unplug completed by the "
       "SHPC at once", PC, [
           CAPS,
           c("device_add", {"driver": "pci-bridge", "id": "b1", "chassis_nr": 1, "addr": "5"}),
           c("device_add", {"driver": "virtio-net-pci", "id": "n1", "bus": "b1"},
             events=["DEVICE_DELETED"]),
           c("device_add", {"driver": "virtio-net-pci", "id": "n2", "bus": "b1", "addr": "3"}),
           c("device_del", {"id": "n2"}, events=["DEVICE_DELETED", "DEVICE_DELETED"]),
           c("device_del", {"id": "n2"}),
           c("blockdev-add", {"driver": "null-co", "node-name": "d0"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "v0", "bus": "b1", "drive": "d0"},
             events=["DEVICE_DELETED"]),
           c("blockdev-del", {"node-name": "d0"}),
           c("query-pci"),
       ])

for shpc in ("on", "off"):
    script("shpc-q35-" + shpc, "q35 with a cold-plugged pci-bridge,shpc=%s: slot 0 below it is "
           "SHPC's (refused) before 6.1, ACPI's since" % shpc,
           Q35 + ["-device", "pci-bridge,bus=pcie.0,id=br0,chassis_nr=1,shpc=%s,addr=2" % shpc], [
               CAPS,
               c("device_add", {"driver": "virtio-net-pci", "id": "n1", "bus": "br0"}),
               c("device_add", {"driver": "e1000", "id": "e1", "bus": "br0", "addr": "4"}),
               c("device_del", {"id": "e1"}),
           ])

# ------------------------------------------------------------------ dump-guest-memory

DUMP_DONE = {"event": "DUMP_COMPLETED"}

script("dump", "dump-guest-memory: ELF and kdump-zlib, paging, begin/length filters, every "
       "argument error, query-dump, detach, from prelaunch and from a running VM (STOP/RESUME)",
       PC + ["-m", "128"], [
           CAPS,
           c("query-dump"),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d1", "paging": False,
                                   "format": "elf"}, events=["DUMP_COMPLETED"]),
           c("query-dump"),
           c("query-status"),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d1", "paging": True},
             events=["DUMP_COMPLETED"]),
           c("dump-guest-memory", {"protocol": "bogus:x", "paging": False}),
           c("dump-guest-memory", {"protocol": "file:/nonexistent/d", "paging": False}),
           c("dump-guest-memory", {"protocol": "file:", "paging": False}),
           c("dump-guest-memory", {"protocol": "fd:nosuch", "paging": False}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": True,
                                   "format": "kdump-zlib"}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False, "begin": 0}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False,
                                   "length": 4096}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False, "begin": 0,
                                   "length": 4096, "format": "kdump-zlib"}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False, "begin": 0,
                                   "length": 0}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False,
                                   "begin": 4294967296, "length": 4096}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False,
                                   "begin": 134213632, "length": 8192},
             events=["DUMP_COMPLETED"]),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False,
                                   "begin": 655360, "length": 1048576},
             events=["DUMP_COMPLETED"]),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False,
                                   "format": "kdump-lzo"}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False,
                                   "format": "kdump-snappy"}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False,
                                   "format": "win-dmp"}, events=["DUMP_COMPLETED"]),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False,
                                   "format": "bogus"}),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d2", "paging": False,
                                   "format": "kdump-zlib"}, events=["DUMP_COMPLETED"]),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d3", "paging": False,
                                   "detach": True}, events=["DUMP_COMPLETED"]),
           c("query-dump"),
           {"send": cmd("cont"), "events": ["RESUME"]},
           c("dump-guest-memory", {"protocol": "file:@TMP@/d1", "paging": False},
             events=["STOP", "DUMP_COMPLETED", "RESUME"]),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d3", "paging": False,
                                   "detach": True}, events=["STOP", "DUMP_COMPLETED", "RESUME"]),
           c("query-status"),
       ])

script("dump-none", "dump-guest-memory of -machine none: without RAM, with -m 64",
       NONE, [CAPS, c("dump-guest-memory", {"protocol": "file:@TMP@/d", "paging": False})])
script("dump-none-ram", "dump-guest-memory of -machine none -m 64",
       NONE + ["-m", "64"], [
           CAPS, c("dump-guest-memory", {"protocol": "file:@TMP@/d", "paging": False},
                   events=["DUMP_COMPLETED"])])
script("dump-q35", "dump-guest-memory of q35 with 256 MiB: the guest-physical blocks",
       Q35 + ["-m", "256"], [
           CAPS,
           c("dump-guest-memory", {"protocol": "file:@TMP@/d", "paging": False},
             events=["DUMP_COMPLETED"]),
           c("dump-guest-memory", {"protocol": "file:@TMP@/d", "paging": False,
                                   "begin": 3221225472, "length": 2147483648},
             events=["DUMP_COMPLETED"]),
       ])


# ------------------------------------------------------------------ block layer

def bdev(node, driver, **kw):
    d = {"driver": driver, "node-name": node}
    d.update(kw)
    return c("blockdev-add", d)


def fnode(path, driver="file", **kw):
    d = {"driver": driver, "filename": path}
    d.update(kw)
    return d


script("block-open", "blockdev-add of protocol and format nodes: missing files, a directory, "
       "host_device on a regular file and on a character device, qcow2 over qcow2 and over "
       "raw, raw over qcow2, raw offset/size, detect-zeroes/discard, force-share, cache "
       "modes, read-only and auto-read-only; what query-named-block-nodes reports",
       PC, [
           CAPS,
           bdev("n0", "file", filename="@TMP@/missing.img"),
           bdev("n1", "file", filename="@DIR@"),
           bdev("n2", "host_device", filename="@IMG@"),
           bdev("n3", "host_device", filename="/dev/null", **{"read-only": True}),
           bdev("n4", "raw", file=fnode("@DIR@")),
           bdev("q1", "qcow2", file=fnode("@QCOW2@")),
           bdev("q2", "qcow2", file=fnode("@IMG@")),
           bdev("q3", "raw", file=fnode("@QCOW2@")),
           bdev("r1", "raw", offset=4096, size=8192, file=fnode("@IMG@")),
           bdev("r2", "raw", offset=4096, size=2097152, file=fnode("@IMG@")),
           bdev("r3", "raw", size=1000, file=fnode("@IMG@")),
           bdev("r4", "raw", **{"detect-zeroes": "unmap"}, file=fnode("@IMG@")),
           bdev("r5", "raw", **{"detect-zeroes": "unmap", "discard": "unmap"}, file=fnode("@IMG@")),
           bdev("r6", "raw", **{"detect-zeroes": "on"}, file=fnode("@IMG@")),
           bdev("r7", "raw", **{"force-share": True}, file=fnode("@IMG@")),
           bdev("r8", "raw", **{"force-share": True, "read-only": True}, file=fnode("@IMG@")),
           bdev("f1", "file", filename="@IMG2@", cache={"direct": True, "no-flush": True}),
           bdev("f2", "file", filename="@IMG2@", **{"read-only": True, "auto-read-only": True}),
           bdev("f3", "file", filename="@IMG2@", **{"auto-read-only": True}),
           bdev("q4", "qcow2", **{"read-only": True}, file={"driver": "file", "node-name": "q4f",
                                                             "filename": "@QCOW2@"}),
           c("query-named-block-nodes"),
           c("query-named-block-nodes", {"flat": True}),
           c("query-block"),
           c("query-blockstats"),
           c("query-blockstats", {"query-nodes": True}),
       ])

script("block-fdset", "a block node opened through /dev/fdset/N (libvirt passes disks so): "
       "matching access mode, a missing set, a set with only a read-only member",
       PC, [
           CAPS,
           c("add-fd", {"fdset-id": 1}, fds=["file"]),
           c("add-fd", {"fdset-id": 2}, fds=["rdonly"]),
           bdev("d1", "file", filename="/dev/fdset/1"),
           bdev("d2", "file", filename="/dev/fdset/7"),
           bdev("d3", "file", filename="/dev/fdset/2"),
           bdev("d4", "file", filename="/dev/fdset/2", **{"read-only": True}),
           c("query-named-block-nodes"),
           c("blockdev-del", {"node-name": "d1"}),
           c("remove-fd", {"fdset-id": 1}),
           c("query-fdsets"),
       ], normalize=FD)

script("block-perms", "devices on block nodes: two writers, share-rw, a device on a qcow2 "
       "node's file child, two devices on a read-only node, blockdev-del of nodes in use, "
       "query-block and query-blockstats with devices, block_resize",
       PC, [
           CAPS,
           bdev("q1", "qcow2", file={"driver": "file", "node-name": "q1f", "filename": "@QCOW2@"}),
           bdev("ro", "raw", **{"read-only": True}, file=fnode("@IMG@")),
           bdev("rw", "raw", file={"driver": "file", "node-name": "rwf", "filename": "@IMG2@"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "q1"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "drive": "q1"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb3", "drive": "q1f"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb4", "drive": "ro"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb5", "drive": "ro"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb6", "drive": "rw", "share-rw": True}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb7", "drive": "rw", "share-rw": True}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb8", "drive": "rw"}),
           c("blockdev-del", {"node-name": "q1"}),
           c("blockdev-del", {"node-name": "q1f"}),
           c("blockdev-del", {"node-name": "rwf"}),
           c("query-block"),
           c("query-blockstats"),
           c("block_resize", {"node-name": "rw", "size": 2097152}),
           c("block_resize", {"node-name": "rw", "size": 524288}),
           c("block_resize", {"node-name": "q1f", "size": 33554432}),
           c("block_resize", {"node-name": "ro", "size": 2097152}),
           c("block_resize", {"node-name": "nope", "size": 2097152}),
           c("block_resize", {"device": "nope", "size": 2097152}),
           c("block_resize", {"size": 2097152}),
           c("block_resize", {"node-name": "rw", "size": -1}),
           c("query-named-block-nodes"),
       ])

script("block-drive", "-drive if=none: its named BlockBackend and implicit #blockNNN nodes in "
       "query-block, query-named-block-nodes and query-blockstats; a device on it; "
       "blockdev-del of nodes the monitor does not own; an empty drive; -blockdev JSON",
       PC + ["-drive", "file=@IMG@,if=none,id=drive0,format=raw",
             "-drive", "file=@QCOW2@,if=none,id=drive1,format=qcow2,readonly=on",
             "-drive", "if=none,id=drive2",
             "-blockdev", '{"driver":"file","filename":"@IMG2@","node-name":"jf"}',
             "-blockdev", "driver=raw,file=jf,node-name=jr"], [
           CAPS,
           c("query-block"),
           c("query-named-block-nodes"),
           c("query-blockstats"),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb0", "drive": "drive0"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "drive1"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb2", "drive": "jr"}),
           c("query-block"),
           c("blockdev-del", {"node-name": "jr"}),
           c("blockdev-add", {"driver": "raw", "node-name": "drive0", "file": fnode("@IMG@")}),
       ])

script("block-drive-devices", "devices on -drive BlockBackends: a second device on one ('already "
       "in use by another device'), a read-only -drive with detect-zeroes=unmap and no discard "
       "(a -drive takes it), a read-only -drive of an image a writer holds (image locking)",
       PC + ["-drive", "file=@IMG@,if=none,id=d0,format=raw",
             "-drive", "file=@IMG2@,if=none,id=d1,format=raw,readonly=on,detect-zeroes=unmap",
             "-drive", "file=@IMG@,if=none,id=d2,format=raw,readonly=on"], [
           CAPS,
           c("device_add", {"driver": "virtio-blk-pci", "id": "v0", "drive": "d0"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "v1", "drive": "d0"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "v2", "drive": "d1"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "v3", "drive": "d1"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "v4", "drive": "d2"}),
           c("query-named-block-nodes"),
       ])
argv_error("argv-drive-dir-probe", "-drive of a directory without format: the protocol refuses "
           "it before any probing", ["-drive", "file=@DIR@,if=none,id=d0"])
argv_error("argv-drive-twice", "two -device on one -drive",
           ["-drive", "file=@IMG@,if=none,id=d0,format=raw",
            "-device", "virtio-blk-pci,drive=d0,id=v0", "-device", "virtio-blk-pci,drive=d0,id=v1"])
argv_error("argv-drive-dz-unmap", "-drive detect-zeroes=unmap without discard (accepted), then "
           "-machine bogus", ["-machine", "bogus", "-drive",
                              "file=@IMG@,if=none,id=d0,format=raw,detect-zeroes=unmap"])
argv_error("argv-blockdev-dz-unmap", "-blockdev detect-zeroes=unmap without discard (refused)",
           ["-blockdev", "driver=raw,node-name=r0,detect-zeroes=unmap,file.driver=file,"
                         "file.filename=@IMG@"])
argv_error("argv-blockdev-qcow2-raw", "-blockdev qcow2 over a raw file",
           ["-blockdev", "driver=qcow2,node-name=q0,file.driver=file,file.filename=@IMG@"])
argv_error("argv-blockdev-file-child", "-device on the file child of a qcow2 node",
           ["-blockdev", "driver=file,node-name=f0,filename=@QCOW2@",
            "-blockdev", "driver=qcow2,node-name=q0,file=f0",
            "-device", "virtio-blk-pci,drive=f0,id=v0"])

script("block-drive-virtio", "-drive if=virtio: BlockBackends virtio0 and a named one, their "
       "virtio-blk-pci devices created after the -device options (peripheral-anon), an empty "
       "one refused at realize only when it has no medium", PC + [
           "-drive", "file=@IMG@,if=virtio,format=raw",
           "-drive", "file=@QCOW2@,if=virtio,id=dq",
           "-device", "e1000,id=e0"], [
           CAPS,
           c("query-block"),
           c("query-pci"),
           c("device_del", {"id": "/machine/peripheral-anon/device[0]"}),
       ])
argv_error("argv-drive-virtio-empty", "-drive if=virtio without a file",
           ["-drive", "if=virtio"])

argv_error("argv-drive-probe", "-drive without format: the probing warning",
           ["-drive", "file=@IMG@,if=none,id=d0"])
argv_error("argv-drive-missing", "-drive of a missing file",
           ["-drive", "file=@TMP@/missing.img,if=none,id=d0,format=raw"])
argv_error("argv-drive-dir", "-drive of a directory", ["-drive", "file=@DIR@,if=none,id=d0,format=raw"])
argv_error("argv-drive-dup", "two -drive with one id",
           ["-drive", "file=@IMG@,if=none,id=d0,format=raw", "-drive", "file=@IMG2@,if=none,id=d0,format=raw"])
argv_error("argv-drive-badfmt", "-drive with a wrong format",
           ["-drive", "file=@IMG@,if=none,id=d0,format=qcow2"])
argv_error("argv-blockdev-hostdev", "-blockdev host_device on a regular file",
           ["-blockdev", "driver=host_device,filename=@IMG@,node-name=h0"])
argv_error("argv-blockdev-json", "-blockdev JSON with a bad member",
           ["-blockdev", '{"driver":"file","filename":"@IMG@","node-name":"f0","bogus":1}'])


# ------------------------------------------------------------------ command lines

# libvirt 9.0's command line for an ordinary domain (virsh domxml-to-native), TCG, with
# the -object/-device/-audiodev in the keyval form libvirt uses before QEMU 6.0 took
# JSON (test_fakeqemu_cmdline.py runs the JSON form).
LIBVIRT = [
    "-name", "guest=clients-pc,debug-threads=on", "-S",
    "-object", "secret,id=masterKey0,format=raw,file=@IMG@",
    "-machine", "pc,usb=off,dump-guest-core=off,memory-backend=pc.ram", "-accel", "tcg",
    "-cpu", "qemu64", "-m", "128",
    "-object", "memory-backend-ram,id=pc.ram,size=134217728",
    "-overcommit", "mem-lock=off", "-smp", "1,maxcpus=4,sockets=4,cores=1,threads=1",
    "-uuid", "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "-display", "none", "-no-user-config",
    "-nodefaults",
    "-chardev", "socket,id=charmonitor,path=@TMP@/monitor.sock,server=on,wait=off",
    "-mon", "chardev=charmonitor,id=monitor,mode=control", "-rtc", "base=utc", "-no-shutdown",
    "-boot", "strict=on",
    "-device", "virtio-scsi-pci,id=scsi0,bus=pci.0,addr=0x2",
    "-blockdev", '{"driver":"file","filename":"@IMG2@","node-name":"libvirt-1-storage",'
                 '"auto-read-only":true,"discard":"unmap"}',
    "-blockdev", '{"node-name":"libvirt-1-format","read-only":false,"driver":"raw",'
                 '"file":"libvirt-1-storage"}',
    "-device", "virtio-blk-pci,bus=pci.0,addr=0x3,drive=libvirt-1-format,id=virtio-disk0,"
               "bootindex=1",
    "-audiodev", "none,id=audio1",
    "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]

script("argv-libvirt", "libvirt 9.0's command line (JSON -blockdev, -audiodev, -sandbox, "
       "memory-backend=pc.ram, its own monitor socket; without -msg timestamp=on, whose stamps "
       "no transcript can compare): it starts, and the backends it named are there", LIBVIRT, [
           CAPS, c("query-status"), c("query-memdev"), c("query-chardev"), c("query-block"),
           c("query-named-block-nodes"), c("query-iothreads"),
           c("object-del", {"id": "masterKey0"}), c("object-del", {"id": "pc.ram"})],
       defaults=True)

# kata 2.x's command line (govmm), TCG instead of KVM, a user netdev instead of tap fds.
KATA2 = [
    "-name", "sandbox-govmm", "-uuid", "4a1b9f5e-2f7c-4f43-9c5d-6c2f0f6b7a10",
    "-machine", "pc,accel=tcg,nvdimm=on", "-cpu", "qemu64",
    "-qmp", "unix:@TMP@/kata-qmp.sock,server=on,wait=off", "-m", "256M,slots=10,maxmem=1024M",
    "-device", "virtio-serial-pci,disable-modern=false,id=serial0",
    "-device", "virtconsole,chardev=charconsole0,id=console0",
    "-chardev", "socket,id=charconsole0,path=@TMP@/console.sock,server=on,wait=off",
    "-object", "memory-backend-file,id=mem0,mem-path=@IMG@,size=1048576,share=on",
    "-device", "virtio-scsi-pci,id=scsi0,disable-modern=false",
    "-fsdev", "local,id=extra-9p-kataShared,path=@DIR@,security_model=none,multidevs=remap",
    "-netdev", "user,id=network-0",
    "-device", "driver=virtio-net-pci,netdev=network-0,mac=02:42:ac:11:00:02,disable-modern=false,mq=on,vectors=4",
    "-object", "rng-random,id=rng0,filename=/dev/urandom", "-device", "virtio-rng-pci,rng=rng0",
    "-rtc", "base=utc,driftfix=slew,clock=host", "-global", "kvm-pit.lost_tick_policy=discard",
    "-vga", "none", "-no-user-config", "-nodefaults", "-nographic", "--no-reboot", "-S",
    "-object", "memory-backend-ram,id=dimm1,size=256M", "-numa", "node,memdev=dimm1",
    "-pidfile", "@TMP@/pid", "-smp", "1,cores=1,threads=1,sockets=4,maxcpus=4"]

script("argv-kata2", "kata 2.x's command line (govmm) under TCG: its chardev sockets listen, its "
       "objects and netdev exist", KATA2, [
           CAPS, c("query-status"), c("query-chardev"), c("query-memdev"),
           c("netdev_add", {"type": "user", "id": "network-0"}),
           c("chardev-remove", {"id": "charconsole0"}), c("object-del", {"id": "rng0"})],
       defaults=True)

for name, desc, argv in [
        ("msg-bool", "-msg with a value not on/off", ["-msg", "timestamp=bogus"]),
        ("msg-key", "-msg with an unknown key", ["-msg", "bogus=1"]),
        ("overcommit", "-overcommit mem-lock=bogus (a boolean until 9.x)", ["-overcommit", "mem-lock=bogus"]),
        ("overcommit-key", "-overcommit with an unknown key", ["-overcommit", "bogus=on"]),
        ("sandbox-key", "-sandbox with an unknown key", ["-sandbox", "on,bogus=1"]),
        ("sandbox-enable", "-sandbox with an implied value not on/off", ["-sandbox", "bogus"]),
        ("boot-strict", "-boot strict=bogus", ["-boot", "strict=bogus"]),
        ("boot-order", "-boot order with a device PCs do not have", ["-boot", "order=x"]),
        ("rtc-base", "-rtc base=bogus", ["-rtc", "base=bogus"]),
        ("rtc-driftfix", "-rtc driftfix=bogus", ["-rtc", "driftfix=bogus"]),
        ("name-bool", "-name with debug-threads not on/off", ["-name", "guest=x,debug-threads=bogus"]),
        ("name-key", "-name with an unknown key", ["-name", "guest=x,bogus=1"]),
        ("smbios", "-smbios of a type QEMU cannot build", ["-smbios", "type=99"]),
        ("realtime", "-realtime mlock=off (kata 1.x; removed in 7.0)", ["-realtime", "mlock=off", "-S"]),
        ("no-hpet", "-no-hpet (removed in 10.0)", ["-no-hpet", "-machine", "pc", "-S"]),
        ("enable-fips", "-enable-fips (removed after 5.2)", ["-enable-fips", "-machine", "none", "-S"]),
        ("fsdev-noid", "-fsdev without id", ["-fsdev", "local,path=/tmp"]),
        ("fsdev-nomodel", "-fsdev local without security_model", ["-fsdev", "local,id=f0,path=/tmp"]),
        ("fsdev-badmodel", "-fsdev local with an unknown security_model",
         ["-fsdev", "local,id=f0,path=/tmp,security_model=bogus"]),
        ("fsdev-nopath", "-fsdev local without path", ["-fsdev", "local,id=f0,security_model=none"]),
        ("fsdev-driver", "-fsdev of an unknown driver", ["-fsdev", "bogus,id=f0,path=/tmp,security_model=none"]),
        ("fsdev-dup", "two -fsdev with one id", ["-fsdev", "local,id=f0,path=/tmp,security_model=none",
                                                  "-fsdev", "local,id=f0,path=/tmp,security_model=none"]),
        ("fsdev-key", "-fsdev with an unknown key", ["-fsdev", "local,id=f0,path=/tmp,security_model=none,bogus=1"]),
        ("mon-key", "-mon with an unknown key", ["-chardev", "null,id=c", "-mon", "chardev=c,bogus=1"]),
        ("chardev-key", "-chardev with an unknown key", ["-chardev", "null,id=c,bogus=1"])]:
    argv_error("argv-" + name, desc, argv)


# ------------------------------------------------------------------ the human monitor

def hmp(line, **kw):
    return c("human-monitor-command", {"command-line": line}, **kw)


script("hmp-info", "human-monitor-command: the common info commands over the same model as "
       "QMP (status, version, name, kvm, uuid, chardev, network, balloon, memdev, block, "
       "hotpluggable-cpus, migrate), the info list, unknown and malformed lines",
       PC + ["-name", "hmp", "-m", "256", "-smp", "1,maxcpus=2"], [
           CAPS,
           hmp("info status"), hmp("info version"), hmp("info name"), hmp("info kvm"),
           hmp("info uuid"), hmp("info chardev"), hmp("info network"), hmp("info block"),
           hmp("info balloon"), hmp("info memdev"), hmp("info hotpluggable-cpus"),
           hmp("info migrate"), hmp("info"), hmp("help info"), hmp("info bogus"), hmp("bogus"),
           hmp(""), hmp("  info   name  "), hmp("info status extra"),
           c("netdev_add", {"type": "user", "id": "n1"}),
           c("netdev_add", {"type": "hubport", "id": "h1", "hubid": 0}),
           c("netdev_add", {"type": "hubport", "id": "h2", "hubid": 0}),
           c("netdev_add", {"type": "hubport", "id": "h3", "hubid": 1}),
           hmp("info network"),
           c("device_add", {"driver": "virtio-balloon-pci", "id": "b0"}),
           hmp("info balloon"),
           c("blockdev-add", {"driver": "raw", "node-name": "d1",
                              "file": {"driver": "file", "filename": "@IMG@"}}),
           c("blockdev-add", {"driver": "raw", "node-name": "d2", "read-only": True,
                              "file": {"driver": "file", "filename": "@IMG2@"}}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb0", "drive": "d1"}),
           c("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "d2"}),
           hmp("info block"),
           c("object-add", {"qom-type": "memory-backend-ram", "id": "m1", "size": 1048576}),
           hmp("info memdev"),
       ])

script("hmp-commands", "human-monitor-command commands: stop/cont with their events, "
       "system_reset, device_del/netdev_del/chardev-remove/object_del errors, quit",
       ["-machine", "pc", "-accel", "tcg"], [
           CAPS,
           hmp("stop", events=["STOP"]), hmp("info status"), hmp("stop"),
           hmp("cont", events=["RESUME"]), hmp("info status"),
           hmp("system_reset", events=["RESET"]),
           hmp("device_del nope"), hmp("netdev_del nope"), hmp("chardev-remove nope"),
           hmp("object_del nope"),
           {"send": cmd("human-monitor-command", {"command-line": "quit"}),
            "events": ["SHUTDOWN"], "eof": True},
       ])


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
