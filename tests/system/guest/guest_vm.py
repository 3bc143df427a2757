#!/usr/bin/python3
"""guest_vm.py - run real QEMU with a tiny booted Linux guest, under TCG, for tests.

The guest is the installed Debian kernel with the busybox initramfs built by
make-initramfs.sh beside this file (see there for the console markers). Only the
standard library is used.

    from guest_vm import GuestVM
    with GuestVM(machine="pc") as vm:          # starts QEMU, negotiates QMP
        vm.wait_ready()                          # console "QD-GUEST-READY", deadline
        vm.cmd("blockdev-add", {...})
        mark = vm.event_mark()
        vm.cmd("device_add", {"driver": "virtio-blk-pci", "id": "vb1", "drive": "d1"})
        vm.wait_console(r"QD-BLOCK-ADD (\\w+)")
        vm.cmd("device_del", {"id": "vb1"})
        vm.wait_event("DEVICE_DELETED", {"device": "vb1"}, start=mark)

Design:
- QMP: a unix socket bound and listening before QEMU starts, passed as
  `-chardev socket,fd=N,server=on,wait=off`; the client connects at once (the
  backlog holds it), so nothing polls.
- Serial console: one end of a socketpair passed as a client-mode socket chardev
  (`-chardev socket,id=ser0,fd=N -serial chardev:ser0`): no listener, no lost
  output, and the test can type into the guest's command loop (`run()`).
- One thread: every wait pumps both sockets with select() until its condition or
  its deadline; nothing sleeps for a fixed time except `observe(seconds)`, which
  is meant for "does X ever come" windows.
- Everything is logged with monotonic times relative to start(): `qmp_log`
  (("send"|"recv", t, raw bytes, parsed message or None)), `events`
  ((t, msg)), `console` ((t, line)).
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_INITRAMFS = os.path.join(HERE, "make-initramfs.sh")
DEFAULT_APPEND = "console=ttyS0 panic=-1 quiet mitigations=off no_timer_check tsc=reliable"
MARKER = re.compile(r"QD-[A-Z][A-Z-]*(?: [^\s]+)*")


class QMPError(Exception):
    """A QMP command answered with an error."""

    def __init__(self, reply):
        self.reply = reply
        err = reply.get("error", {})
        super().__init__("%s: %s" % (err.get("class"), err.get("desc")))


class GuestVMError(Exception):
    pass


def default_cache_dir():
    return os.environ.get("QD_GUEST_CACHE", os.path.join(tempfile.gettempdir(),
                                                         "qemudrv-guest-%d" % os.getuid()))


def build_guest(outdir=None):
    """Run make-initramfs.sh (idempotent); return (kernel, initrd)."""
    outdir = outdir or default_cache_dir()
    p = subprocess.run(["sh", MAKE_INITRAMFS, outdir], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        raise GuestVMError("make-initramfs.sh failed: " + p.stderr.strip())
    lines = p.stdout.split()
    if len(lines) != 2:
        raise GuestVMError("make-initramfs.sh printed %r" % p.stdout)
    return lines[0], lines[1]


def qemu_path():
    return os.environ.get("QD_QEMU") or shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"


class GuestVM:
    """Real QEMU (TCG) booting the test guest; QMP and console in one select loop.

    machine:     "pc" or "q35"
    smp, memory: -smp / -m values
    bridge:      pc: add `-device pci-bridge,id=br0,chassis_nr=1,addr=0x10`
    root_ports:  q35: number of `pcie-root-port`s rp1..rpN (chassis=N, slot=N,
                 on pcie.0 addr 0x10+N-1)
    extra_args:  more QEMU arguments (list of str)
    append:      more kernel command-line words (e.g. "qd.acpid=0")
    paused:      start with -S (the guest boots after "cont")
    console:     False: no serial port at all (e.g. to play the same steps against
                 fakeqemu, which has no guest console); console waits then time out
    """

    def __init__(self, machine="pc", smp="1,maxcpus=4", memory=512, bridge=True,
                 root_ports=1, extra_args=(), append="", paused=False, qemu=None,
                 kernel=None, initrd=None, accel="tcg", console=True):
        self.machine = machine
        self.with_console = console
        self.qemu = qemu or qemu_path()
        if kernel is None or initrd is None:
            k, i = build_guest()
            kernel = kernel or k
            initrd = initrd or i
        self.kernel, self.initrd = kernel, initrd
        self.tmp = tempfile.mkdtemp(prefix="qd-guestvm-")
        self.append = (DEFAULT_APPEND + " " + append).strip()
        args = ["-machine", machine, "-accel", accel, "-m", str(memory), "-smp", smp,
                "-nodefaults", "-display", "none", "-no-reboot",
                "-kernel", kernel, "-initrd", initrd, "-append", self.append]
        if machine.startswith("pc") and bridge:
            args += ["-device", "pci-bridge,id=br0,chassis_nr=1,addr=0x10"]
        if machine.startswith("q35"):
            for n in range(1, root_ports + 1):
                args += ["-device", "pcie-root-port,id=rp%d,bus=pcie.0,chassis=%d,slot=%d,addr=0x%x"
                         % (n, n, n, 0x10 + n - 1)]
        args += list(extra_args)
        if paused:
            args.append("-S")
        self.args = args            # without the qemu path, the serial and the monitor
        self.proc = None
        self.t0 = None
        self.qmp_log = []           # ("send"|"recv", t, raw bytes, msg or None)
        self.events = []            # (t, msg)
        self.console = []           # (t, line str)
        self.greeting = None
        self.boot_seconds = None
        self.ready_line = None
        self._qbuf = b""
        self._cbuf = b""
        self._qeof = False
        self._ceof = False
        self._pending = []          # non-event QMP messages not yet taken by cmd()
        self._run_seq = 0

    # ------------------------------------------------------------ lifecycle

    def start(self, negotiate=True):
        """Start QEMU, read the greeting, and (by default) send qmp_capabilities."""
        lpath = os.path.join(self.tmp, "qmp.sock")
        self._lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._lsock.bind(lpath)
        self._lsock.listen(1)
        fds = [self._lsock.fileno()]
        serial = []
        if self.with_console:
            self._con, con_qemu = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            fds.append(con_qemu.fileno())
            serial = ["-chardev", "socket,id=ser0,fd=%d" % con_qemu.fileno(),
                      "-serial", "chardev:ser0"]
        else:
            self._con, self._ceof = None, True
        self.argv = ([self.qemu] + self.args + serial +
                     ["-chardev", "socket,id=qmp0,fd=%d,server=on,wait=off" % self._lsock.fileno(),
                      "-mon", "chardev=qmp0,mode=control"])
        self._errf = open(os.path.join(self.tmp, "stderr"), "w+b")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._errf,
                                     stderr=self._errf, pass_fds=fds)
        if self.with_console:
            con_qemu.close()
        self._qmp = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._qmp.connect(lpath)      # queued in the backlog until QEMU accepts
        self.greeting = self._next_reply(time.monotonic() + 30)
        if self.greeting is None or "QMP" not in self.greeting:
            raise GuestVMError("no QMP greeting; stderr: %s" % self.stderr())
        if negotiate:
            self.cmd("qmp_capabilities")
        return self

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def now(self):
        return time.monotonic() - self.t0

    def stderr(self):
        """QEMU's stderr so far (after close(): all of it)."""
        if getattr(self, "_errf", None) is None:
            return getattr(self, "_stderr_text", "")
        try:
            self._errf.flush()
            self._errf.seek(0)
            return self._errf.read().decode("utf-8", "replace")
        except (ValueError, AttributeError):
            return ""

    def close(self):
        """Kill QEMU (if still running), close the sockets, remove the temp dir."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        for s in ("_qmp", "_con", "_lsock"):
            sock = getattr(self, s, None)
            if sock is not None:
                sock.close()
                setattr(self, s, None)
        if getattr(self, "_errf", None) is not None:
            self._stderr_text = self.stderr()
            self._errf.close()
            self._errf = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def wait_exit(self, timeout=10):
        """Wait for QEMU to exit by itself (pumping its output); return the exit code or None."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.pump(min(deadline, time.monotonic() + 0.05))
        return self.proc.poll()

    # ------------------------------------------------------------ I/O pump

    def pump(self, deadline, stop=None):
        """Read QMP and console until stop() is true or the deadline passes.

        Returns True if stop() became true (or was None and the deadline passed).
        """
        while True:
            if stop is not None and stop():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return stop is None
            socks = []
            if not self._qeof:
                socks.append(self._qmp)
            if not self._ceof:
                socks.append(self._con)
            if not socks:
                # Both ends closed: only QEMU's exit can still change anything.
                try:
                    self.proc.wait(timeout=left)
                except subprocess.TimeoutExpired:
                    pass
                return stop is None or bool(stop())
            r, _, _ = select.select(socks, [], [], left)
            for s in r:
                try:
                    data = s.recv(65536)
                except (ConnectionResetError, OSError):
                    data = b""
                t = self.now()
                if s is self._qmp:
                    if not data:
                        self._qeof = True
                        continue
                    self._qbuf += data
                    while b"\n" in self._qbuf:
                        line, self._qbuf = self._qbuf.split(b"\n", 1)
                        self._take_qmp(t, line + b"\n")
                else:
                    if not data:
                        self._ceof = True
                        continue
                    self._cbuf += data
                    while b"\n" in self._cbuf:
                        line, self._cbuf = self._cbuf.split(b"\n", 1)
                        text = line.decode("utf-8", "replace").rstrip("\r")
                        self.console.append((t, text))

    def _take_qmp(self, t, raw):
        try:
            msg = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            msg = None
        self.qmp_log.append(("recv", t, raw, msg))
        if isinstance(msg, dict) and "event" in msg:
            self.events.append((t, msg))
        else:
            self._pending.append(msg)

    def _next_reply(self, deadline):
        if not self.pump(deadline, lambda: bool(self._pending) or self._qeof):
            return None
        return self._pending.pop(0) if self._pending else None

    @property
    def qmp_eof(self):
        return self._qeof

    # ------------------------------------------------------------ QMP

    def send_text(self, text):
        """Send raw QMP text (one write), logged as ("send", t, bytes, None)."""
        data = text.encode() if isinstance(text, str) else text
        self.qmp_log.append(("send", self.now(), data, None))
        self._qmp.sendall(data)

    def send(self, name, args=None, id=None):
        msg = {"execute": name}
        if args is not None:
            msg["arguments"] = args
        if id is not None:
            msg["id"] = id
        self.send_text(json.dumps(msg))

    def reply(self, timeout=10):
        """The next non-event message (reply), or GuestVMError at the deadline."""
        msg = self._next_reply(time.monotonic() + timeout)
        if msg is None:
            raise GuestVMError("no QMP reply within %ss (eof=%s); stderr: %s"
                               % (timeout, self._qeof, self.stderr()))
        return msg

    def cmd_reply(self, name, args=None, id=None, timeout=10):
        """Send a command and return its reply message (error or not)."""
        self.send(name, args, id)
        return self.reply(timeout)

    def cmd(self, name, args=None, id=None, timeout=10):
        """Send a command; return its "return" value, raise QMPError on an error."""
        r = self.cmd_reply(name, args, id, timeout)
        if "error" in r:
            raise QMPError(r)
        return r.get("return")

    # ------------------------------------------------------------ events

    def event_mark(self):
        """Index to pass as start= so that only later events count."""
        return len(self.events)

    @staticmethod
    def _matches(msg, name, data):
        if msg.get("event") != name:
            return False
        if data:
            d = msg.get("data", {})
            return all(d.get(k) == v for k, v in data.items())
        return True

    def find_event(self, name, data=None, start=0):
        for i in range(start, len(self.events)):
            if self._matches(self.events[i][1], name, data):
                return i
        return None

    def wait_event(self, name, data=None, timeout=10, start=0):
        """First event `name` (whose data contains `data`) at index >= start.

        Returns (t, msg); raises GuestVMError at the deadline.
        """
        found = []

        def stop():
            i = self.find_event(name, data, start)
            if i is not None:
                found.append(self.events[i])
                return True
            return False
        if not self.pump(time.monotonic() + timeout, stop):
            raise GuestVMError("no %s %s within %ss" % (name, data or "", timeout))
        return found[0]

    def observe(self, seconds):
        """Collect whatever comes for a fixed window (for "does X ever come")."""
        self.pump(time.monotonic() + seconds)

    # ------------------------------------------------------------ console

    def console_mark(self):
        return len(self.console)

    def find_console(self, pattern, start=0):
        rx = re.compile(pattern)
        for i in range(start, len(self.console)):
            m = rx.search(self.console[i][1])
            if m:
                return i, m
        return None

    def wait_console(self, pattern, timeout=10, start=0):
        """First console line at index >= start matching regex; returns (t, match)."""
        found = []

        def stop():
            r = self.find_console(pattern, start)
            if r:
                found.append((self.console[r[0]][0], r[1]))
                return True
            return False
        if not self.pump(time.monotonic() + timeout, stop):
            raise GuestVMError("console: no %r within %ss (last lines: %s)"
                               % (pattern, timeout, [l for _, l in self.console[-5:]]))
        return found[0]

    def markers(self, start=0):
        """(t, "QD-...") for every marker in the console from index start."""
        out = []
        for t, line in self.console[start:]:
            for m in MARKER.finditer(line):
                out.append((t, m.group(0)))
        return out

    def wait_ready(self, timeout=60):
        """Wait for QD-GUEST-READY; returns the seconds since start()."""
        t, m = self.wait_console(r"QD-GUEST-READY\b.*", timeout)
        self.boot_seconds = t
        self.ready_line = m.group(0)
        return t

    def run(self, command, timeout=10):
        """Run a shell command line in the guest; return (status, output lines)."""
        self._run_seq += 1
        n = self._run_seq
        if self._con is None:
            raise GuestVMError("no console (console=False)")
        start = self.console_mark()
        self._con.sendall(("%s; echo QD-DONE %d $?\n" % (command, n)).encode())
        _, m = self.wait_console(r"QD-DONE %d (\d+)" % n, timeout, start)
        lines = [l for _, l in self.console[start:]]
        end = next(i for i, l in enumerate(lines) if re.search(r"QD-DONE %d \d" % n, l))
        return int(m.group(1)), lines[:end]


if __name__ == "__main__":
    # Smoke test: boot pc and q35, print the boot times.
    import sys
    for machine in (sys.argv[1:] or ["pc", "q35"]):
        with GuestVM(machine=machine) as vm:
            t = vm.wait_ready()
            st, out = vm.run("cat /sys/devices/system/cpu/online")
            print("%s: ready after %.2f s (%s); cpus online %s" % (machine, t, vm.ready_line, out))
