"""fakeqemu_client.py - a synchronous QMP test client and a fakeqemu launcher for pytest.

FakeQemu starts build/fakeqemu/fakeqemu with its QMP monitor(s) on listening
sockets bound here and handed over as fd=N, so a client connects at once,
without polling. QmpConnection speaks QMP over one connection: greeting,
qmp_capabilities, commands with ids, events kept in arrival order, waits
with deadlines (socket timeouts, never sleeps), raw bytes both ways.
"""
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import time

from qdtest import BUILD_DIR, short_tmpdir

FAKEQEMU = os.path.join(BUILD_DIR, "fakeqemu", "fakeqemu")

# Default deadline for anything that is expected to happen promptly.
TIMEOUT = 5.0


class QmpError(Exception):
    """An {"error": {...}} reply: .cls and .desc are QEMU's verbatim."""

    def __init__(self, reply):
        self.reply = reply
        self.cls = reply["error"]["class"]
        self.desc = reply["error"]["desc"]
        super().__init__(f"{self.cls}: {self.desc}")


class ConnectionClosed(Exception):
    """The peer closed the connection (EOF)."""


class Timeout(Exception):
    """Nothing (or not the expected thing) arrived before the deadline."""


class QmpConnection:
    """One QMP client connection. Not thread-safe; one test drives it."""

    def __init__(self, path, recv_size=65536):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.recv_size = recv_size
        self.buf = b""
        self.chunks = []      # every recv() result, in order (bytes)
        self.messages = []    # every decoded message, in arrival order
        self.events = []      # events not yet taken by wait_event()
        self.all_events = []  # every event ever received, in order
        self.replies = {}     # id (as JSON text) -> reply not yet taken
        self.next_id = 1
        self.greeting = None
        self.eof = False

    # ---- bytes -------------------------------------------------------------------

    @staticmethod
    def _remaining(deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("deadline passed")
        return left

    def _fill(self, deadline):
        """One recv() into the buffer, waiting at most until @deadline."""
        if self.eof:
            raise ConnectionClosed("connection already closed by peer")
        self.sock.settimeout(self._remaining(deadline))
        try:
            data = self.sock.recv(self.recv_size)
        except socket.timeout:
            raise Timeout("no data before the deadline") from None
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            raise ConnectionClosed("peer closed the connection")
        self.chunks.append(data)
        self.buf += data

    def send_raw(self, data):
        """Write bytes as they are."""
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def read_line(self, timeout=TIMEOUT):
        """The next raw line (bytes, including its b"\\n")."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            self._fill(deadline)
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    def read_raw_until(self, marker, timeout=TIMEOUT):
        """Raw bytes up to and including @marker (bytes)."""
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            self._fill(deadline)
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def wait_closed(self, timeout=TIMEOUT):
        """Read (and keep) whatever comes until EOF; True if the peer closed in time."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
        except ConnectionClosed:
            return True
        except Timeout:
            return False

    # ---- messages ----------------------------------------------------------------

    def read_message(self, timeout=TIMEOUT):
        """The next message (reply or event), decoded; also recorded in .messages."""
        line = self.read_line(timeout)
        msg = json.loads(line)
        self.messages.append(msg)
        if "event" in msg:
            self.events.append(msg)
            self.all_events.append(msg)
        elif "id" in msg:
            self.replies[json.dumps(msg["id"])] = msg
        return msg

    def read_greeting(self, timeout=TIMEOUT):
        msg = self.read_message(timeout)
        assert "QMP" in msg, f"expected a greeting, got {msg}"
        self.greeting = msg
        return msg

    def send(self, command, arguments=None, id=None):
        """Send one command with an id (a fresh integer unless given); return the id."""
        if id is None:
            id = self.next_id
            self.next_id += 1
        req = {"execute": command, "id": id}
        if arguments is not None:
            req["arguments"] = arguments
        self.send_raw(json.dumps(req))
        return id

    def recv_reply(self, id, timeout=TIMEOUT):
        """The reply carrying @id (events read meanwhile are queued)."""
        key = json.dumps(id)
        deadline = time.monotonic() + timeout
        while key not in self.replies:
            self.read_message(self._remaining(deadline))
        return self.replies.pop(key)

    def command(self, command, arguments=None, timeout=TIMEOUT):
        """Send a command and return its whole reply ({"return"...} or {"error"...})."""
        return self.recv_reply(self.send(command, arguments), timeout)

    def execute(self, command, arguments=None, timeout=TIMEOUT):
        """Send a command; return its "return" value or raise QmpError."""
        reply = self.command(command, arguments, timeout)
        if "error" in reply:
            raise QmpError(reply)
        return reply["return"]

    def negotiate(self, timeout=TIMEOUT):
        return self.execute("qmp_capabilities", timeout=timeout)

    def wait_event(self, name, timeout=TIMEOUT, data=None):
        """Take the first queued or arriving event @name (whose data contains @data)."""
        deadline = time.monotonic() + timeout

        def fits(ev):
            if ev["event"] != name:
                return False
            got = ev.get("data", {})
            return all(got.get(k) == v for k, v in (data or {}).items())

        while True:
            for i, ev in enumerate(self.events):
                if fits(ev):
                    return self.events.pop(i)
            try:
                self.read_message(self._remaining(deadline))
            except Timeout:
                raise Timeout(f"no {name} event {data or ''} within {timeout} s; "
                              f"queued: {self.events}") from None

    def collect(self, timeout):
        """Read every message arriving within @timeout seconds (a deadline, not a sleep)."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            try:
                got.append(self.read_message(self._remaining(deadline)))
            except Timeout:
                return got

    def assert_no_event(self, name, timeout, data=None):
        """Fail if event @name (with @data) is queued or arrives within @timeout seconds."""
        try:
            ev = self.wait_event(name, timeout, data)
        except Timeout:
            return
        raise AssertionError(f"unexpected event {ev}")

    def take_events(self):
        """Every queued event, in order; the queue is emptied."""
        evs, self.events = self.events, []
        return evs

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def _no_core_dumps():
    # The crash fault aborts on purpose: leave no core files behind.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class FakeQemu:
    """A fakeqemu process with @monitors QMP monitors on pre-opened listening sockets.

    @args: extra argv (appended); @env: extra environment variables (None
    values remove a variable); @machine: the -machine type (None: omit).
    """

    def __init__(self, args=(), env=None, machine="pc", monitors=1, binary=FAKEQEMU,
                 paused=False):
        self.dir = short_tmpdir()
        self.paths = []
        self.listeners = []
        argv = [binary, "-display", "none", "-nodefaults"]
        if machine:
            argv += ["-machine", machine]
        if paused:
            argv.append("-S")
        for i in range(monitors):
            path = os.path.join(self.dir, f"qmp{i}.sock")
            lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            lsock.bind(path)
            lsock.listen(4)
            self.paths.append(path)
            self.listeners.append(lsock)
            argv += ["-chardev", f"socket,id=qmp{i},fd={lsock.fileno()},server=on,wait=off",
                     "-mon", f"chardev=qmp{i},mode=control"]
        argv += list(args)
        self.argv = argv
        full_env = dict(os.environ)
        for k in list(full_env):
            if k.startswith("FAKEQEMU_"):
                del full_env[k]  # the test decides every fake setting
        for k, v in (env or {}).items():
            if v is None:
                full_env.pop(k, None)
            else:
                full_env[k] = v
        self.log_path = os.path.join(self.dir, "fakeqemu.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, pass_fds=[s.fileno() for s in self.listeners],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=full_env,
                                     preexec_fn=_no_core_dumps)
        self.conns = []
        self.returncode = None

    def connect(self, monitor=0, negotiate=True, recv_size=65536, timeout=TIMEOUT):
        """A new connection to monitor @monitor, greeting read (and capabilities negotiated)."""
        c = QmpConnection(self.paths[monitor], recv_size)
        self.conns.append(c)
        c.read_greeting(timeout)
        if negotiate:
            c.negotiate(timeout)
        return c

    def state(self, conn=None):
        """x-fakeqemu-state, over @conn or a fresh connection (closed afterwards)."""
        if conn is not None:
            return conn.execute("x-fakeqemu-state")
        c = self.connect()
        try:
            return c.execute("x-fakeqemu-state")
        finally:
            c.close()

    def wait(self, timeout=TIMEOUT):
        """Wait for the process to exit by itself; return its exit code (-N: signal N)."""
        self.returncode = self.proc.wait(timeout=timeout)
        return self.returncode

    def stop(self, timeout=TIMEOUT):
        """SIGTERM, then SIGKILL after @timeout; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self.returncode = self.proc.returncode
        return self.returncode

    def output(self):
        """What fakeqemu wrote to stdout and stderr so far."""
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        for c in self.conns:
            c.close()
        rc = self.stop()
        for s in self.listeners:
            s.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_fakeqemu(args=(), env=None, timeout=TIMEOUT):
    """Run fakeqemu to completion (for argv/option errors); the CompletedProcess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEQEMU_")}
    full_env.update(env or {})
    return subprocess.run([FAKEQEMU, *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout)


# ---- machine set-up shared by the tests ------------------------------------------------

def disk_image(fq, name="disk0.img", size=1 << 20):
    """A sparse file in the instance's directory, for a "file" block node."""
    path = os.path.join(fq.dir, name)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def add_virtio_blk(fq, conn, dev_id="vb0", node=None, **props):
    """blockdev-add a file node and device_add a virtio-blk-pci on it; the node name."""
    node = node or f"drive-{dev_id}"
    conn.execute("blockdev-add", {"driver": "file", "node-name": node,
                                  "filename": disk_image(fq, f"{node}.img")})
    conn.execute("device_add", {"driver": "virtio-blk-pci", "id": dev_id, "drive": node,
                                **props})
    return node


def add_scsi_hd(fq, conn, dev_id="sd0", controller="scsi0"):
    """A virtio-scsi-pci controller (once) and a scsi-hd on a new file node."""
    if not any(d["id"] == controller for d in fq.state(conn)["devices"]):
        conn.execute("device_add", {"driver": "virtio-scsi-pci", "id": controller})
    node = f"drive-{dev_id}"
    conn.execute("blockdev-add", {"driver": "file", "node-name": node,
                                  "filename": disk_image(fq, f"{node}.img")})
    conn.execute("device_add", {"driver": "scsi-hd", "id": dev_id, "drive": node,
                                "bus": f"{controller}.0"})
    return node


def device_ids(state):
    return [d["id"] for d in state["devices"]]


def device(state, dev_id):
    for d in state["devices"]:
        if d["id"] == dev_id:
            return d
    return None
