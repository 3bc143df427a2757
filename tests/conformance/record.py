#!/usr/bin/python3
"""record.py - record real QEMU's QMP answers to probe scripts, and compare recordings.

  record.py --qemu PATH --out DIR SCRIPT.json...   record one transcript per script
  record.py --compare DIR_A DIR_B                  diff two transcript directories
  record.py --qemu PATH --data DIR                 save greeting, schema, version and
                                                   argv errors of that QEMU into DIR

Only the standard library; see README.md beside this file for the formats.
"""

import argparse
import concurrent.futures
import array
import fcntl
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

STEP_DEADLINE = 10.0
sys.setrecursionlimit(20000)
ZERO_TS = {"seconds": 0, "microseconds": 0}
RAW_TS = re.compile(rb'"timestamp": \{"seconds": -?\d+, "microseconds": -?\d+\}')
RAW_TS_ZERO = b'"timestamp": {"seconds": 0, "microseconds": 0}'


# ---------------------------------------------------------------- helpers

def argv_item(x, subst):
    """A script argv element: a string (with @IMG@ substitutions) or {"hex": ...}."""
    if isinstance(x, dict):
        return bytes.fromhex(x["hex"])
    for k, v in subst.items():
        x = x.replace(k, v)
    return x.encode()


def step_bytes(step, subst):
    if "send_hex" in step:
        return bytes.fromhex(step["send_hex"])
    text = step["send"]
    for k, v in subst.items():
        text = text.replace(k, v)
    return text.encode()


def open_fd(kind, tmp):
    """A descriptor a step passes with SCM_RIGHTS: "null" (/dev/null read-write),
    "rdonly" (/dev/null read-only), "socket" (one end of a socketpair), "tap" (a tap
    device; needs CAP_NET_ADMIN), "file" (a file in the temp dir, read-write)."""
    if kind == "null":
        return os.open("/dev/null", os.O_RDWR)
    if kind == "rdonly":
        return os.open("/dev/null", os.O_RDONLY)
    if kind == "file":
        return os.open(os.path.join(tmp, "passed.img"), os.O_RDWR | os.O_CREAT, 0o600)
    if kind == "socket":
        a, b = socket.socketpair()
        b.close()
        return a.detach()
    if kind == "tap":
        fd = os.open("/dev/net/tun", os.O_RDWR)
        # struct ifreq: name (16 bytes, empty: the kernel picks tapN), flags IFF_TAP|IFF_NO_PI|IFF_VNET_HDR
        fcntl.ioctl(fd, 0x400454ca, b"\0" * 16 + (0x0002 | 0x1000 | 0x4000).to_bytes(2, "little") + b"\0" * 22)
        return fd
    raise ValueError("unknown fd kind %r" % kind)


def start_hangup_peer(path):
    """A listening unix socket that hangs up on each client once it has read the
    client's first message: a vhost-user backend that fails deterministically."""
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(8)

    def serve():
        while True:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            c.settimeout(30)
            try:
                c.recv(65536)
            except OSError:
                pass
            c.close()
    threading.Thread(target=serve, daemon=True).start()
    return lsock


def unsubst_bytes(data, subst):
    for k, v in subst.items():
        data = data.replace(v.encode(), k.encode())
    return data


def normalize_obj(obj, keys):
    """Replace the value of every member named in keys (recursively)."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k == "timestamp" and isinstance(v, dict):
                out[k] = dict(ZERO_TS)
            elif k in keys:
                out[k] = keys[k]
            else:
                out[k] = normalize_obj(v, keys)
        return out
    if isinstance(obj, list):
        return [normalize_obj(v, keys) for v in obj]
    return obj


# Automatic block node names are "#block" + a counter + two random digits
# (util/id.c id_generate): the random digits become XX.
RAW_AUTONODE = re.compile(rb'"#block(\d*)\d\d"')


def normalize_raw(line, keys):
    line = RAW_TS.sub(RAW_TS_ZERO, line)
    line = RAW_AUTONODE.sub(rb'"#block\1XX"', line)
    for k, v in keys.items():
        pat = re.compile(rb'"' + re.escape(k.encode()) + rb'": (-?\d+(\.\d+)?|"(\\.|[^"\\])*"|true|false|null)')
        line = pat.sub(b'"' + k.encode() + b'": ' + json.dumps(v).encode(), line)
    return line


def normalize_stderr(text, subst):
    text = re.sub(r"from pid \d+", "from pid 0", text)
    # A fake QEMU names itself by its own program name (fakeqemu: ...).
    text = re.sub(r"^fakeqemu: ", "qemu-system-x86_64: ", text, flags=re.M)
    for k, v in subst.items():
        text = text.replace(v, k)
    return text


def send_item(data):
    try:
        return {"send": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"send_hex": data.hex()}


class Conn:
    """A QMP client connection that keeps every received line, raw."""

    def __init__(self, sock, proc=None):
        self.sock = sock
        self.proc = proc
        self.buf = b""
        self.eof = False

    def read_line(self, deadline):
        """Next complete line (bytes, with its terminator), or None at EOF/deadline."""
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl + 1], self.buf[nl + 1:]
                return line
            if self.eof:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return line
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            # A QEMU that exited before accepting leaves the connection in the
            # listening socket's backlog (which this process holds): nothing
            # more will come, so stop waiting once it is gone.
            r, _, _ = select.select([self.sock], [], [], min(left, 0.05))
            if not r:
                if self.proc is None or self.proc.poll() is None:
                    continue
                # Gone: what it wrote (and its EOF, when it had accepted) is
                # readable now, or nothing will ever come.
                r, _, _ = select.select([self.sock], [], [], 0)
                if not r:
                    return None
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                self.eof = True
            self.buf += data


# ---------------------------------------------------------------- recording

def qemu_argv(qemu, script, subst, fd):
    argv = [qemu.encode()] + [argv_item(a, subst) for a in script.get("argv", [])]
    if not script.get("defaults", False) and b"-nodefaults" not in argv:
        argv.append(b"-nodefaults")
    if b"-display" not in argv and b"-nographic" not in argv:
        argv += [b"-display", b"none"]
    if script.get("monitor", True):
        argv += [b"-chardev", ("socket,id=qmp0,fd=%d,server=on,wait=off" % fd).encode(),
                 b"-mon", b"chardev=qmp0,mode=control"]
    return argv


def record_one(qemu, script_path, outdir):
    with open(script_path) as f:
        script = json.load(f)
    name = os.path.splitext(os.path.basename(script_path))[0]
    keys = {}
    for n in script.get("normalize", []):
        keys[n["key"]] = n.get("value", 0)
    items = []
    raw = bytearray()
    problems = []

    with tempfile.TemporaryDirectory(prefix="qmprec-") as tmp:
        subst = scratch_images(tmp)
        peers = [start_hangup_peer(argv_item(p, subst).decode())
                 for p in script.get("hangup_peers", [])]
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(os.path.join(tmp, "qmp.sock"))
        lsock.listen(4)
        errf = open(os.path.join(tmp, "stderr"), "w+b")
        argv = qemu_argv(qemu, script, subst, lsock.fileno())
        if script.get("monitor", True):
            # Queued in the backlog before QEMU starts, so a start-up failure
            # after the monitors exist always finds the client there.
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(os.path.join(tmp, "qmp.sock"))
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=errf, stderr=errf,
                                pass_fds=[lsock.fileno()])
        conn = None
        try:
            if script.get("monitor", True):
                conn = Conn(c, proc)

                # Events whose arrival races with the monitor's set-up: QEMU 5.2
                # accepts the QMP connection before machine init is over, so the
                # RESUME of a VM started without -S may come before or after the
                # greeting or the capabilities reply. The first such event not
                # awaited by a step is kept apart as "racy_event" (not in .raw,
                # ignored by --compare).
                racy = set(script.get("racy_events", [] if b"-S" in argv else ["RESUME"]))

                def take(line, awaited=()):
                    line_n = normalize_raw(unsubst_bytes(line, subst), keys)
                    try:
                        msg = json.loads(line_n.decode("utf-8"))
                    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                        raw.extend(line_n)
                        items.append({"recv_raw": line_n.decode("latin-1")})
                        return None
                    msg = normalize_obj(msg, keys)
                    # A second greeting on the same connection: real QEMU (seen
                    # with 5.2 and 10.0 on a loaded host) sometimes reports the
                    # chardev's "opened" twice to the monitor, once from the
                    # connection and once when the monitor attaches. A race,
                    # kept apart like the racy events.
                    if isinstance(msg, dict) and "QMP" in msg and any(
                            "QMP" in (x.get("recv") or {}) for x in items if isinstance(x.get("recv"), dict)):
                        items.append({"racy_event": msg, "duplicate_greeting": True})
                        return None
                    if (isinstance(msg, dict) and msg.get("event") in racy
                            and msg.get("event") not in awaited):
                        racy.discard(msg["event"])
                        items.append({"racy_event": msg})
                        return None
                    raw.extend(line_n)
                    items.append({"recv": msg})
                    return msg

                # QEMU 5.2 may send an event (RESUME of a VM started without -S)
                # before the greeting: a race with its monitor set-up. Such
                # events are kept apart (not in .raw; --compare skips them).
                deadline = time.monotonic() + STEP_DEADLINE
                while True:
                    line = conn.read_line(deadline)
                    if line is None:
                        problems.append("no greeting")
                        break
                    try:
                        early = json.loads(normalize_raw(line, keys))
                    except (UnicodeDecodeError, json.JSONDecodeError):
                        early = None
                    if isinstance(early, dict) and "event" in early and "QMP" not in early:
                        items.append({"racy_event": early, "before_greeting": True})
                        racy.discard(early["event"])
                        continue
                    take(line)
                    break
                for i, step in enumerate(script.get("steps", [])):
                    if conn.eof and not conn.buf:
                        problems.append("step %d: connection closed before send" % i)
                        break
                    data = step_bytes(step, subst)
                    items.append(send_item(unsubst_bytes(data, subst)))
                    try:
                        if step.get("fds"):
                            # Descriptors go with the step's bytes, as clients send getfd.
                            fds = [open_fd(k, tmp) for k in step["fds"]]
                            c.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
                            for fd in fds:
                                os.close(fd)
                        else:
                            c.sendall(data)
                    except (BrokenPipeError, ConnectionResetError):
                        problems.append("step %d: send failed" % i)
                        break
                    want_replies = step.get("replies", 1)
                    want_events = list(step.get("events", []))
                    want_eof = step.get("eof", False)
                    until_id = step.get("until_id", None)
                    if "until_id" in step and "replies" not in step:
                        want_replies = 0
                    seen_id = "until_id" not in step
                    # An event with these data members (a MIGRATION "completed"
                    # after however many intermediate ones the version sends).
                    until_event = step.get("until_event")
                    seen_event = until_event is None
                    # The last step of a script where some versions crash: a reply or EOF.
                    or_eof = step.get("or_eof", False)
                    deadline = time.monotonic() + step.get("deadline", STEP_DEADLINE)
                    got = 0
                    while (got < want_replies or want_events or not seen_id or not seen_event
                           or (want_eof and not (conn.eof and not conn.buf))):
                        line = conn.read_line(deadline)
                        if line is None:
                            if or_eof and conn.eof and not conn.buf:
                                break
                            if (not (conn.eof and not conn.buf) or want_replies > got or want_events
                                    or not seen_id or not seen_event):
                                problems.append("step %d: timeout/EOF waiting for %d more replies, events %s%s%s%s"
                                                % (i, want_replies - got, want_events,
                                                   ", EOF" if want_eof else "",
                                                   "" if seen_id else ", id %s" % json.dumps(until_id),
                                                   "" if seen_event else ", event %s" % json.dumps(until_event)))
                            break
                        msg = take(line, want_events)
                        if msg is None and items and "racy_event" in items[-1]:
                            continue
                        if isinstance(msg, dict) and "event" in msg:
                            if msg["event"] in want_events:
                                want_events.remove(msg["event"])
                            if (until_event and msg["event"] == until_event["event"]
                                    and all(msg.get("data", {}).get(k) == v
                                            for k, v in until_event.get("data", {}).items())):
                                seen_event = True
                        else:
                            got += 1
                            if isinstance(msg, dict) and "id" in msg and msg["id"] == until_id:
                                seen_id = True
                    if conn.eof and not conn.buf:
                        items.append({"eof": True})
                        if i != len(script["steps"]) - 1:
                            problems.append("step %d: EOF before the last step" % i)
                        break
            if script.get("wait_exit", False) or (conn and conn.eof):
                try:
                    proc.wait(STEP_DEADLINE)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            killed = False
            if proc.poll() is None:
                if conn:
                    conn.sock.close()
                proc.send_signal(signal.SIGKILL)
                killed = True
            code = proc.wait()
            errf.seek(0)
            stderr = normalize_stderr(errf.read().decode("utf-8", "replace"), subst)
            errf.close()
            lsock.close()
            for p in peers:
                p.close()
        items.append(trailer_item(code, stderr, killed, problems))

    write_transcript(outdir, name, items, raw)
    # A QEMU that exits by itself (a start-up error) leaves the later steps
    # unanswered: that is the behaviour recorded, not a failed recording.
    exited = not killed and code != 0
    return name, problems, exited


def write_qcow2(path, size, cluster_bits=16):
    """An empty qcow2 (version 3) image of @size virtual bytes, as qemu-img create makes
    one: header, refcount table, one refcount block, an all-zero L1 table."""
    import struct
    cs = 1 << cluster_bits
    l2_entries = cs // 8
    l1_size = max(1, -(-size // (cs * l2_entries)))
    header = struct.pack(">4sIQIIQIIQQIIQQQQII", b"QFI\xfb", 3, 0, 0, cluster_bits, size, 0,
                         l1_size, 3 * cs, cs, 1, 0, 0, 0, 0, 0, 4, 104)
    header += b"\0" * (104 - len(header)) + struct.pack(">II", 0, 0)  # end of extensions
    with open(path, "wb") as f:
        f.write(header.ljust(cs, b"\0"))
        f.write(struct.pack(">Q", 2 * cs).ljust(cs, b"\0"))           # refcount table
        f.write((struct.pack(">H", 1) * 4).ljust(cs, b"\0"))          # clusters 0-3 in use
        f.write(b"\0" * cs)                                           # L1 table


def scratch_images(tmp):
    """Make the scripts' images in TMP: @IMG@ and @IMG2@ (1 MiB raw), @QCOW2@ (an empty
    qcow2 of 16 MiB), @DIR@ (a directory); return the placeholder -> path map."""
    subst = {}
    for tag in ("@IMG@", "@IMG2@"):
        path = os.path.join(tmp, tag.strip("@").lower() + ".img")
        with open(path, "wb") as f:
            f.truncate(1 << 20)
        subst[tag] = path
    subst["@QCOW2@"] = os.path.join(tmp, "disk.qcow2")
    write_qcow2(subst["@QCOW2@"], 16 << 20)
    subst["@DIR@"] = os.path.join(tmp, "dir")
    os.mkdir(subst["@DIR@"])
    subst["@TMP@"] = tmp
    return subst


# Lines real QEMU prints on stderr only sometimes: 5.2 on a loaded host, when
# its monitor's chardev reported "opened" twice (the duplicate greeting), ends
# with this GLib warning. Kept apart as "racy_stderr", not compared.
RACY_STDERR = ("qemu-system-x86_64: GLib: g_source_unref: assertion 'source != NULL' failed",)


def trailer_item(code, stderr, killed, problems):
    """The last item of a transcript: how the process ended."""
    lines = stderr.splitlines(keepends=True)
    racy = [ln for ln in lines if ln.rstrip("\n") in RACY_STDERR]
    stderr = "".join(ln for ln in lines if ln.rstrip("\n") not in RACY_STDERR)
    trailer = {"exit": code, "stderr": stderr}
    if racy:
        trailer["racy_stderr"] = "".join(racy)
    if killed:
        trailer["killed"] = True
    if problems:
        trailer["problems"] = problems
    return trailer


def write_transcript(outdir, name, items, raw):
    """Write NAME.jsonl (one item a line) and NAME.raw (the bytes QEMU sent)."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, name + ".jsonl"), "w") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=True) + "\n")
    with open(os.path.join(outdir, name + ".raw"), "wb") as f:
        f.write(bytes(raw))


# ---------------------------------------------------------------- comparing

def load_transcript(path):
    """Items of a transcript, less the racy events and stderr lines (see
    record_one and trailer_item)."""
    with open(path) as f:
        items = [json.loads(l) for l in f if l.strip()]
    for it in items:
        it.pop("racy_stderr", None)
    return [it for it in items if "racy_event" not in it]


def compare(dir_a, dir_b, skip_greeting=False, show_all=False):
    names = sorted({os.path.splitext(n)[0] for n in os.listdir(dir_a) if n.endswith(".jsonl")}
                   | {os.path.splitext(n)[0] for n in os.listdir(dir_b) if n.endswith(".jsonl")})
    match = 0
    for name in names:
        pa, pb = os.path.join(dir_a, name + ".jsonl"), os.path.join(dir_b, name + ".jsonl")
        if not os.path.exists(pa) or not os.path.exists(pb):
            print("%s: only in %s" % (name, dir_a if os.path.exists(pa) else dir_b))
            continue
        ta, tb = load_transcript(pa), load_transcript(pb)
        diffs = []
        for i in range(max(len(ta), len(tb))):
            a = ta[i] if i < len(ta) else None
            b = tb[i] if i < len(tb) else None
            if skip_greeting and i == 0 and a and b and "QMP" in a.get("recv", {}) and "QMP" in b.get("recv", {}):
                continue
            if a != b:
                diffs.append((i, a, b))
                if not show_all:
                    break
        if not diffs:
            ra = open(os.path.join(dir_a, name + ".raw"), "rb").read() if os.path.exists(os.path.join(dir_a, name + ".raw")) else None
            rb = open(os.path.join(dir_b, name + ".raw"), "rb").read() if os.path.exists(os.path.join(dir_b, name + ".raw")) else None
            if ra is not None and rb is not None and ra != rb:
                la, lb = ra.split(b"\n"), rb.split(b"\n")
                for j in range(1 if skip_greeting else 0, max(len(la), len(lb))):
                    x = la[j] if j < len(la) else None
                    y = lb[j] if j < len(lb) else None
                    if x != y:
                        print("%s: raw bytes differ at line %d:\n  A: %r\n  B: %r" % (name, j + 1, x, y))
                        break
                else:
                    match += 1
                continue
            match += 1
        else:
            for i, a, b in diffs:
                print("%s: item %d differs:\n  A: %s\n  B: %s" % (name, i + 1, json.dumps(a), json.dumps(b)))
    print("%d of %d scripts match" % (match, len(names)))
    return match == len(names)


# ---------------------------------------------------------------- version data

ARGV_ERRORS = [
    ["-foo"],
    ["-smp", "2,maxcpus=1"],
    ["-smp", "5,maxcpus=4"],
    ["-smp", "1,sockets=2,cores=2,threads=1,maxcpus=5"],
    ["-machine", "bogus"],
    ["-m", "foo"],
    ["-cpu", "bogus"],
    ["-accel", "bogus"],
    ["-device", "bogus"],
    ["-chardev", "socket,id=c0"],
    ["-mon", "chardev=nochardev,mode=control"],
    ["-qmp", "unix:/nonexistent/dir/qmp.sock,server=on,wait=off"],
    ["-machine", "pc", "-device", "pci-bridge,chassis_nr=1,id=b1", "-device", "pci-bridge,chassis_nr=1,id=b1"],
    ["-machine", "pc", "-object", "bogus,id=x"],
    ["-S", "-machine", "pc", "-kernel", "/nonexistent/vmlinuz"],
]


def qmp_session(qemu, argv, commands):
    """Start qemu with argv plus a QMP monitor; return greeting and each reply."""
    with tempfile.TemporaryDirectory(prefix="qmprec-") as tmp:
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(os.path.join(tmp, "qmp.sock"))
        lsock.listen(1)
        full = [qemu] + argv + ["-chardev", "socket,id=qmp0,fd=%d,server=on,wait=off" % lsock.fileno(),
                                "-mon", "chardev=qmp0,mode=control"]
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, pass_fds=[lsock.fileno()])
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(os.path.join(tmp, "qmp.sock"))
        conn = Conn(c)
        greeting = json.loads(conn.read_line(time.monotonic() + STEP_DEADLINE))
        replies = []
        for cmd in commands:
            c.sendall(json.dumps(cmd).encode())
            while True:
                line = conn.read_line(time.monotonic() + 30)
                msg = json.loads(line)
                if "event" not in msg:
                    break
            replies.append(msg)
        proc.kill()
        proc.wait()
        lsock.close()
        return greeting, replies


def dump_data(qemu, outdir):
    os.makedirs(outdir, exist_ok=True)
    greeting, replies = qmp_session(qemu, ["-machine", "pc", "-accel", "tcg", "-nodefaults", "-S",
                                           "-display", "none"],
                                    [{"execute": "qmp_capabilities"},
                                     {"execute": "query-qmp-schema"},
                                     {"execute": "query-version"},
                                     {"execute": "query-commands"},
                                     {"execute": "query-machines"},
                                     {"execute": "query-cpu-definitions"}])
    files = {"greeting.json": greeting, "schema.json": replies[1]["return"],
             "version.json": replies[2]["return"], "commands.json": replies[3]["return"],
             "machines.json": replies[4]["return"], "cpu-definitions.json": replies[5]["return"]}
    for fn, val in files.items():
        with open(os.path.join(outdir, fn), "w") as f:
            json.dump(val, f, ensure_ascii=True)
            f.write("\n")
    out = []
    for argv in ARGV_ERRORS:
        full = [qemu] + argv
        if "-display" not in argv:
            full += ["-display", "none"]
        if "-nodefaults" not in argv:
            full += ["-nodefaults"]
        try:
            p = subprocess.run(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=10)
            rec = {"argv": full[1:], "exit": p.returncode,
                   "stderr": p.stderr.decode("utf-8", "replace"),
                   "stdout": p.stdout.decode("utf-8", "replace")}
        except subprocess.TimeoutExpired:
            rec = {"argv": full[1:], "exit": None, "stderr": "", "note": "still running after 10 s (accepted)"}
        if not rec.get("stdout"):
            rec.pop("stdout", None)
        out.append(rec)
    with open(os.path.join(outdir, "argv-errors.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=True)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu")
    ap.add_argument("--out")
    ap.add_argument("--compare", nargs=2, metavar="DIR")
    ap.add_argument("--skip-greeting", action="store_true",
                    help="with --compare: ignore the greeting (the version numbers)")
    ap.add_argument("--all", action="store_true", help="with --compare: every divergence, not the first")
    ap.add_argument("--data", metavar="DIR")
    ap.add_argument("--jobs", type=int, default=1, metavar="N",
                    help="scripts played at once (each has its own QEMU and directory; default 1)")
    ap.add_argument("scripts", nargs="*")
    args = ap.parse_args()
    if args.compare:
        sys.exit(0 if compare(*args.compare, skip_greeting=args.skip_greeting, show_all=args.all) else 1)
    if not args.qemu:
        ap.error("--qemu is required")
    if args.data:
        dump_data(args.qemu, args.data)
        return
    if not args.out or not args.scripts:
        ap.error("--out and at least one script are required")
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    # Each script runs its own QEMU in its own temporary directory, and most of
    # a script's time is spent waiting for QEMU: several at once cost nothing
    # in fidelity. Results print in the order the scripts were given.
    bad = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, problems, exited in pool.map(lambda s: record_one(args.qemu, s, args.out),
                                               args.scripts):
            if not problems:
                status = "ok"
            elif exited:
                status = "ok (exited; steps unanswered: %s)" % "; ".join(problems)
            else:
                status = "PROBLEMS: " + "; ".join(problems)
            print("%s: %s" % (name, status))
            bad += bool(problems) and not exited
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
