#!/usr/bin/python3
"""fakeqemu_bench.py - fakeqemu vs real QEMU (5.2, 7.2, 10.0) vs a bare unix-socket ping-pong.

usage: /usr/bin/python3 bench/fakeqemu_bench.py [BUILD_DIR] [--quick]

  BUILD_DIR  meson build directory holding fakeqemu/fakeqemu (default: build/
             at the top of the tree)
  --quick    fewer repetitions (a smoke test, about 3 s; a full run takes
             about 8-12 s)
environment:
  QEMU       real QEMU binary (default: qemu-system-x86_64); if it is missing,
             its columns are skipped

Measures, in one run and with the same client code for every server:
  1. start-to-greeting: from just before posix_spawn() to the complete QMP
     greeting line being read from a listening socket that the script created
     and handed over as -chardev socket,fd=N (no filesystem polling; the
     client connects before the child is even spawned, the kernel queues it).
  2. QMP round trip: query-status after qmp_capabilities, one request line
     written, reply read up to "\\n", for fakeqemu, real QEMU and a forked
     ping-pong process (reads a line, writes a fixed reply of the same size).
     Each is measured unpinned, with client and server pinned to the same CPU,
     and pinned to two different CPUs (wake-ups across vCPUs dominate here).
  3. commands per second: sequential, and pipelined (N requests in one write,
     N replies read). The ping-pong answers a batch with one write, so its
     pipelined figure is only the client's and the kernel's ceiling.
  4. peak RSS (VmHWM from /proc/PID/status) after a workload, before quitting.
  5. per version (ci/get-qemu.sh 5.2, 7.2, 10.0; a version it cannot provide
     is skipped): fakeqemu in that dialect beside that real QEMU, as ratios:
     start-to-greeting, same-CPU round trip, and peak RSS after every recorded
     answer was asked for (device-list-properties and qom-list-properties of
     every QOM type, a static expansion of every CPU model).

Only reports: it never exits non-zero because of a timing. Stdlib only.
"""
import os
import select
import signal
import socket
import statistics
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Targets from the issue.
TARGET_GREETING_MS = 5.0
TARGET_RTT_RATIO = 2.0
TARGET_RSS_MIB = 8.0

QUERY_STATUS = b'{"execute":"query-status","id":%d}\n'
# What QEMU 7.2 and fakeqemu answer to query-status in prelaunch (-S), with an
# id of the same width as the ones sent below; the ping-pong sends this.
PINGPONG_REPLY = (b'{"return": {"status": "prelaunch", "singlestep": false, '
                  b'"running": false}, "id": 100000}\r\n')


def now_ns():
    return time.perf_counter_ns()


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


# ---------------------------------------------------------------- the client

class Client:
    """Raw QMP client: send a line, read until "\\n". Used for every server."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def readline(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                return line
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk

    def call(self, line):
        self.sock.sendall(line)
        return self.readline()

    def negotiate(self):
        self.call(b'{"execute":"qmp_capabilities"}\n')

    def round_trips(self, n, first_id, check=True):
        """n sequential query-status; returns the per-call times in ns."""
        times = []
        sock = self.sock
        for i in range(first_id, first_id + n):
            req = QUERY_STATUS % i
            t0 = now_ns()
            sock.sendall(req)
            # readline(), inlined: this is the timed path.
            buf = self.buf
            while True:
                j = buf.find(b"\n")
                if j >= 0:
                    break
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                buf += chunk
            t1 = now_ns()
            line, self.buf = buf[:j + 1], buf[j + 1:]
            if check and not line.startswith(b'{"return"'):
                raise RuntimeError("unexpected reply %r" % line[:200])
            times.append(t1 - t0)
        return times

    def pipelined(self, n, first_id):
        """Write n requests at once (one buffer), read n replies; returns ns."""
        data = b"".join(QUERY_STATUS % i for i in range(first_id, first_id + n))
        sock = self.sock
        timeout = sock.gettimeout()
        sock.setblocking(False)
        sent, got = 0, self.buf.count(b"\n")
        t0 = now_ns()
        try:
            while got < n:
                want_w = [sock] if sent < len(data) else []
                r, w, _ = select.select([sock], want_w, [], 30)
                if not r and not w:
                    raise TimeoutError("pipelined: no progress for 30 s")
                if w:
                    try:
                        sent += sock.send(data[sent:])
                    except BlockingIOError:
                        pass
                if r:
                    try:
                        chunk = sock.recv(1 << 20)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        raise ConnectionError("server closed the connection")
                    got += chunk.count(b"\n")
            t1 = now_ns()
        finally:
            sock.settimeout(timeout)
        self.buf = b""
        return t1 - t0


# ------------------------------------------------------------------- servers

CHILDREN = set()  # started servers, killed on the way out whatever happens


def kill_children():
    for pid in list(CHILDREN):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        CHILDREN.discard(pid)


def spawn(argv, errfd):
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        pid = os.posix_spawn(argv[0], argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                           (os.POSIX_SPAWN_DUP2, devnull, 1),
                                           (os.POSIX_SPAWN_DUP2, errfd, 2)])
    finally:
        os.close(devnull)
    CHILDREN.add(pid)
    return pid


def listener(tmpdir):
    """A listening socket and a client already connected to it (queued)."""
    path = os.path.join(tmpdir, "qmp.sock")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(4)
    csock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    csock.connect(path)
    os.unlink(path)
    os.set_inheritable(lsock.fileno(), True)
    return lsock, csock


def qmp_argv(binary, machine, lfd):
    return [binary, "-S", "-display", "none", "-nodefaults", "-machine", machine,
            "-chardev", "socket,id=qmp,fd=%d,server=on,wait=off" % lfd,
            "-mon", "chardev=qmp,mode=control"]


def pin(pid, cpus, threads=True):
    """Set the CPU affinity of @pid (all its threads: QEMU has several)."""
    tids = [pid]
    if threads:
        try:
            tids = [int(t) for t in os.listdir("/proc/%d/task" % pid)]
        except OSError:
            pass
    for tid in tids:
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError:
            pass


def reap(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    CHILDREN.discard(pid)


class Server:
    """A started QMP server (fakeqemu or QEMU) with a connected Client."""

    def __init__(self, binary, machine, tmpdir, label):
        self.label = label
        self.errpath = os.path.join(tmpdir, "stderr-%s.txt" % label.replace(" ", "_"))
        lsock, csock = listener(tmpdir)
        errfd = os.open(self.errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            self.pid = spawn(qmp_argv(binary, machine, lsock.fileno()), errfd)
        finally:
            os.close(errfd)
            lsock.close()
        csock.settimeout(30)
        self.client = Client(csock)
        try:
            self.greeting = self.client.readline()
        except Exception as e:
            self.stop()
            raise RuntimeError("%s: no greeting (%s); stderr: %s" % (label, e, self.stderr()))

    def stderr(self):
        try:
            with open(self.errpath, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def status(self):
        out = {}
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS"):
                    out[k] = int(v.split()[0]) / 1024.0  # MiB
        return out

    def stop(self):
        if self.pid:
            try:
                self.client.sock.sendall(b'{"execute":"quit"}\n')
            except OSError:
                pass
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                p, _ = os.waitpid(self.pid, os.WNOHANG)
                if p:
                    CHILDREN.discard(p)
                    break
                time.sleep(0.005)
            else:
                reap(self.pid)
            self.pid = None
        self.client.sock.close()


class PingPong:
    """A forked process: reads a request line, writes PINGPONG_REPLY."""

    def __init__(self):
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            a.close()
            code = 0
            try:
                recv, send, reply, pending = b.recv, b.sendall, PINGPONG_REPLY, 0
                while True:
                    chunk = recv(65536)
                    if not chunk:
                        break
                    pending += chunk.count(b"\n")
                    if pending:
                        send(reply * pending)
                        pending = 0
            except BaseException:
                code = 1
            os._exit(code)
        b.close()
        CHILDREN.add(pid)
        self.pid = pid
        self.label = "ping-pong"
        self.client = Client(a)

    def stop(self):
        self.client.sock.close()
        os.waitpid(self.pid, 0)
        CHILDREN.discard(self.pid)


# ---------------------------------------------------------------- benchmarks

def bench_greeting(binary, machine, reps, tmpdir):
    """Start-to-greeting times in ns (full greeting line read)."""
    errpath = os.path.join(tmpdir, "stderr-greeting.txt")
    times = []
    for _ in range(reps):
        lsock, csock = listener(tmpdir)
        argv = qmp_argv(binary, machine, lsock.fileno())
        errfd = os.open(errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        client = Client(csock)
        csock.settimeout(30)
        t0 = now_ns()
        pid = spawn(argv, errfd)
        try:
            line = client.readline()
            t1 = now_ns()
        except Exception as e:
            reap(pid)
            with open(errpath, errors="replace") as f:
                err = f.read()[-1000:]
            raise RuntimeError("%s -machine %s: no greeting (%s): %s" % (binary, machine, e, err))
        finally:
            os.close(errfd)
            lsock.close()
        if not line.startswith(b'{"QMP"'):
            reap(pid)
            raise RuntimeError("unexpected greeting %r" % line[:200])
        reap(pid)
        csock.close()
        times.append(t1 - t0)
    return times


def bench_spawn_floor(reps):
    """exec of /bin/true to its exit: the cost of posix_spawn+exec+waitpid."""
    true = "/bin/true"
    times = []
    for _ in range(reps):
        t0 = now_ns()
        pid = os.posix_spawn(true, [true], os.environ)
        os.waitpid(pid, 0)
        times.append(now_ns() - t0)
    return times


INTROSPECTION = (
    b'{"execute":"query-qmp-schema"}\n',
    b'{"execute":"query-commands"}\n',
    b'{"execute":"query-cpu-definitions"}\n',
    b'{"execute":"query-machines"}\n',
    b'{"execute":"qom-list-types"}\n',
    b'{"execute":"device-list-properties","arguments":{"typename":"virtio-blk-pci"}}\n',
    b'{"execute":"query-pci"}\n',
)


# libvirt 9.0's capability probe, less what INTROSPECTION has: answered from
# the recorded data (fakeqemu-data/V/introspect.json).
LIBVIRT_DEVICES = ("virtio-blk-pci", "virtio-net-pci", "virtio-scsi-pci", "vfio-pci", "scsi-hd",
                   "ide-hd", "PIIX4_PM", "usb-redir", "usb-storage", "kvm-pit", "VGA",
                   "vmware-svga", "qxl", "virtio-gpu-pci", "virtio-gpu-device", "ICH9-LPC",
                   "virtio-balloon-pci", "virtio-balloon-device", "intel-iommu", "mch", "nvdimm",
                   "pcie-root-port", "usb-host", "vhost-user-fs-device", "virtio-mem-pci",
                   "virtio-iommu-pci")
LIBVIRT_PROBE = (
    (b'{"execute":"qom-list-types","arguments":{"abstract":true}}\n',)
    + tuple(b'{"execute":"device-list-properties","arguments":{"typename":"%s"}}\n'
            % d.encode() for d in LIBVIRT_DEVICES)
    + tuple(b'{"execute":"qom-list-properties","arguments":{"typename":"%s"}}\n' % t
            for t in (b"memory-backend-file", b"memory-backend-memfd", b"max-x86_64-cpu",
                      b"none-machine"))
    + (b'{"execute":"query-tpm-models"}\n', b'{"execute":"query-tpm-types"}\n',
       b'{"execute":"query-command-line-options"}\n',
       b'{"execute":"query-migrate-capabilities"}\n',
       b'{"execute":"query-sev-capabilities"}\n',
       b'{"execute":"query-cpu-model-expansion","arguments":{"type":"static",'
       b'"model":{"name":"max"}}}\n',
       b'{"execute":"query-cpu-model-expansion","arguments":{"type":"full",'
       b'"model":{"name":"max","props":{"migratable":false,"hv-passthrough":true}}}}\n'))


def rss_stages(server):
    """VmHWM/VmRSS now, after three rounds of introspection commands, then after
    libvirt's capability probe."""
    stages = {"after query-status workload": server.status()}
    for _ in range(3):
        for cmd in INTROSPECTION:
            server.client.call(cmd)
    stages["after + schema/introspection"] = server.status()
    for cmd in LIBVIRT_PROBE:
        server.client.call(cmd)
    stages["after + libvirt probe"] = server.status()
    return stages


def all_data(server, skip=frozenset()):
    """Every recorded kind of answer: device-list-properties and
    qom-list-properties of every QOM type the server lists (abstract ones
    included), and a static expansion of every CPU model, less the commands
    in @skip. Returns (commands sent, the commands fakeqemu says real QEMU
    aborts on: it knows from the recording, and they are left out for QEMU)."""
    import json
    types = json.loads(server.client.call(
        b'{"execute":"qom-list-types","arguments":{"abstract":true}}\n'))["return"]
    cpus = json.loads(server.client.call(b'{"execute":"query-cpu-definitions"}\n'))["return"]
    cmds = [json.dumps({"execute": cmd, "arguments": {"typename": t["name"]}}).encode() + b"\n"
            for t in types for cmd in ("device-list-properties", "qom-list-properties")]
    cmds += [json.dumps({"execute": "query-cpu-model-expansion", "arguments": {
        "type": "static", "model": {"name": c["name"]}}}).encode() + b"\n" for c in cpus]
    aborts = set()
    sent = 2
    server.hwm = server.status()
    for cmd in cmds:
        if cmd in skip:
            continue
        try:
            reply = server.client.call(cmd)
        except ConnectionError:
            # Real QEMU aborts on some of them (a module that cannot load here,
            # a type that asserts): its peak is what it had reached.
            return sent, aborts, cmd.decode().strip()
        if b"aborts on this command" in reply:
            aborts.add(cmd)
        sent += 1
        if sent % 25 == 0:
            server.hwm = server.status()
    server.hwm = server.status()
    return sent, aborts, None


def real_qemu(version):
    """ci/get-qemu.sh's binary of @version, or None (the reason on stderr)."""
    import subprocess
    try:
        p = subprocess.run([os.path.join(TOP, "ci", "get-qemu.sh"), version],
                           capture_output=True, text=True, timeout=600)
    except OSError:
        return None
    path = p.stdout.strip()
    return path if p.returncode == 0 and os.access(path, os.X_OK) else None


def with_version(version, fn):
    """fn() with FAKEQEMU_VERSION=@version in the environment fakeqemu starts with."""
    old = os.environ.get("FAKEQEMU_VERSION")
    os.environ["FAKEQEMU_VERSION"] = version
    try:
        return fn()
    finally:
        if old is None:
            del os.environ["FAKEQEMU_VERSION"]
        else:
            os.environ["FAKEQEMU_VERSION"] = old


def side_by_side(fake, version, qemu, tmpdir, R):
    """fakeqemu in @version's dialect against real QEMU @version: greeting,
    same-CPU round trip, peak RSS with every recorded answer given."""
    out = {"version": version}
    cpu = {sorted(os.sched_getaffinity(0))[0]}
    out["greet"] = {
        "fakeqemu": with_version(version, lambda: bench_greeting(fake, "pc", R(300), tmpdir)),
        "QEMU": bench_greeting(qemu, "pc", R(30), tmpdir)}
    servers = {"fakeqemu": with_version(version, lambda: Server(fake, "pc", tmpdir,
                                                                "fakeqemu-" + version)),
               "QEMU": Server(qemu, "pc", tmpdir, "QEMU-" + version)}
    out["rtt"] = {k: [] for k in servers}
    out["rss"] = {}
    out["commands"] = {}
    try:
        for s in servers.values():
            s.client.negotiate()
        pin(0, cpu, threads=False)
        for s in servers.values():
            pin(s.pid, cpu)
        for r in range(3):
            for label in (list(servers) if r % 2 == 0 else list(reversed(list(servers)))):
                times, _ = bench_rtt(servers[label], R(1000) // 3, R(100), 100000 + r * 10000)
                out["rtt"][label].extend(times)
        pin(0, set(os.sched_getaffinity(0)) | set(range(os.cpu_count())), threads=False)
        aborts = set()
        out["died"] = {}
        for label, s in servers.items():   # fakeqemu first: it says what QEMU aborts on
            pin(s.pid, set(range(os.cpu_count())))
            stages = rss_stages(s)
            out["commands"][label], found, died = all_data(s, aborts)
            aborts |= found
            stages["after + every recorded answer"] = s.hwm
            out["rss"][label] = stages
            if died:
                out["died"][label] = died
                reap(s.pid)
                s.pid = None
        out["aborts"] = len(aborts)
    finally:
        for s in servers.values():
            s.stop()
    return out


def bench_rtt(server, n, warmup, first_id):
    c = server.client
    c.round_trips(warmup, first_id)
    t0 = now_ns()
    times = c.round_trips(n, first_id + warmup)
    wall = now_ns() - t0
    return times, wall


# ------------------------------------------------------------------ printing

def us(ns):
    return "%.1f" % (ns / 1000.0)


def ms(ns):
    return "%.2f" % (ns / 1e6)


def table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = lambda r: "  ".join(str(x).rjust(w) if i else str(x).ljust(w)
                              for i, (x, w) in enumerate(zip(r, widths)))
    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))


def verdict(ok):
    return "MET" if ok else "NOT MET"


def main(argv):
    quick = "--quick" in argv
    args = [a for a in argv if a != "--quick"]
    build = os.path.abspath(args[0]) if args else os.path.join(TOP, "build")
    fake = os.path.join(build, "fakeqemu", "fakeqemu")
    if not os.access(fake, os.X_OK):
        print("fakeqemu_bench: %s not found; build it with ninja -C %s" % (fake, build),
              file=sys.stderr)
        return 1
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    qemu_path = qemu if os.path.sep in qemu else next(
        (os.path.join(d, qemu) for d in os.environ.get("PATH", "").split(os.pathsep)
         if os.access(os.path.join(d, qemu), os.X_OK)), None)
    if qemu_path and not os.access(qemu_path, os.X_OK):
        qemu_path = None

    scale = 0.25 if quick else 1.0
    R = lambda n: max(3, int(n * scale))
    started = time.monotonic()

    print("fakeqemu benchmark")
    print("  fakeqemu: %s" % fake)
    print("  QEMU:     %s" % (qemu_path or "(not found, skipped)"))
    print("  host:     %d CPUs, %s, Python %s" % (
        os.cpu_count(), os.uname().release, sys.version.split()[0]))
    print()

    with tempfile.TemporaryDirectory(prefix="fq-bench.") as tmpdir:
        # ---- 1. start-to-greeting
        greet = []  # (label, times)
        bench_greeting(fake, "pc", 3, tmpdir)  # warm the page cache
        greet.append(("spawn floor: /bin/true exec->exit", bench_spawn_floor(R(200))))
        greet.append(("fakeqemu -machine none", bench_greeting(fake, "none", R(500), tmpdir)))
        greet.append(("fakeqemu -machine pc", bench_greeting(fake, "pc", R(500), tmpdir)))
        if qemu_path:
            bench_greeting(qemu_path, "none", 2, tmpdir)
            greet.append(("QEMU 7.2 -machine none",
                          bench_greeting(qemu_path, "none", R(60), tmpdir)))
            greet.append(("QEMU 7.2 -machine pc",
                          bench_greeting(qemu_path, "pc", R(40), tmpdir)))

        print("1. start-to-greeting (posix_spawn -> full greeting line read), ms")
        table(["server", "n", "median", "p90", "min", "max"],
              [[l, len(t), ms(statistics.median(t)), ms(pct(t, 90)), ms(min(t)), ms(max(t))]
               for l, t in greet])
        print()

        # ---- 2. + 3. round trip and commands per second
        N, W, P = R(3000), R(200), R(5000)
        rtt = {}
        cps = {}
        rss = {}
        makers = [("ping-pong", lambda: PingPong()),
                  ("fakeqemu", lambda: Server(fake, "pc", tmpdir, "fakeqemu"))]
        if qemu_path:
            makers.append(("QEMU 7.2", lambda: Server(qemu_path, "pc", tmpdir, "QEMU 7.2")))
        live = {}
        for label, make in makers:
            s = make()
            if label != "ping-pong":
                s.client.negotiate()
            live[label] = s
        # Round trips on this 2-vCPU VM depend mostly on where the scheduler
        # puts client and server: a wake-up across vCPUs costs tens of us.
        # So every server is measured in each placement.
        cpus = sorted(os.sched_getaffinity(0))
        placements = [("unpinned", None, None), ("same CPU", {cpus[0]}, {cpus[0]})]
        if len(cpus) > 1:
            placements.append(("cross CPU", {cpus[0]}, {cpus[1]}))
        rounds = 3
        for label in live:
            cps[label] = {"seq": [], "pipe": []}
            for pl in placements:
                rtt[(pl[0], label)] = []
        next_id = 100000
        for r in range(rounds):
            # Interleave rounds so that machine noise hits every server alike.
            order = list(live) if r % 2 == 0 else list(reversed(list(live)))
            for pl_name, client_cpus, server_cpus in placements:
                for label in order:
                    pin(0, client_cpus or set(cpus), threads=False)
                    pin(live[label].pid, server_cpus or set(cpus))
                    times, wall = bench_rtt(live[label], N // rounds, W, next_id)
                    next_id += N // rounds + W
                    rtt[(pl_name, label)].extend(times)
                    if pl_name == "unpinned":
                        cps[label]["seq"].append((N // rounds) / (wall / 1e9))
                        pn = P if label != "QEMU 7.2" else max(3, P // 4)
                        pns = live[label].client.pipelined(pn, next_id)
                        next_id += pn
                        cps[label]["pipe"].append(pn / (pns / 1e9))
        pin(0, set(cpus), threads=False)
        for s in live.values():
            pin(s.pid, set(cpus))

        # ---- 4. peak RSS after the workload, then a heavier one
        for label in ("fakeqemu", "QEMU 7.2"):
            if label in live:
                rss[label + " (7.2)" if label == "fakeqemu" else label] = rss_stages(live[label])
        for s in live.values():
            s.stop()
        # fakeqemu's other dialects, a fresh process each with the same kinds
        # of work: their schemas differ in size (5.2 < 7.2 < 10.0).
        for ver in ("5.2", "10.0"):
            os.environ["FAKEQEMU_VERSION"] = ver
            try:
                s = Server(fake, "pc", tmpdir, "fakeqemu-" + ver)
            finally:
                del os.environ["FAKEQEMU_VERSION"]
            s.client.negotiate()
            s.client.round_trips(R(1000), 100000)
            s.client.pipelined(P, 100000)
            rss["fakeqemu (%s)" % ver] = rss_stages(s)
            s.stop()

        print("2. QMP round trip: query-status, sequential, %d per server and placement "
              "(%d interleaved rounds), us" % (N // rounds * rounds, rounds))
        rows = []
        ratios = {}
        for pl_name, _, _ in placements:
            base = statistics.median(rtt[(pl_name, "ping-pong")])
            for label in live:
                t = rtt[(pl_name, label)]
                m = statistics.median(t)
                if label == "fakeqemu":
                    ratios[pl_name] = m / base
                rows.append([pl_name, label, us(m), us(pct(t, 90)), us(pct(t, 99)), us(min(t)),
                             "%.2f" % (m / base)])
        table(["placement", "server", "median", "p90", "p99", "min", "x ping-pong"], rows)
        print()

        print("3. commands per second (query-status; best of %d rounds)" % rounds)
        rows = []
        for label in live:
            rows.append([label, "%.0f" % max(cps[label]["seq"]),
                         "%.0f" % max(cps[label]["pipe"]),
                         "%d" % (P if label != "QEMU 7.2" else max(3, P // 4))])
        table(["server", "sequential/s", "pipelined/s", "pipeline depth"], rows)
        print()

        print("4. peak RSS (VmHWM, MiB; VmRSS in parentheses)")
        rows = []
        for label, stages in rss.items():
            for stage, st in stages.items():
                rows.append([label, stage, "%.2f (%.2f)" % (st["VmHWM"], st["VmRSS"])])
        table(["server", "when", "VmHWM (VmRSS)"], rows)
        print()

    # ---- 5. each version side by side with its real QEMU
    per_version = []
    with tempfile.TemporaryDirectory(prefix="fq-bench.") as tmpdir:
        for ver in ("5.2", "7.2", "10.0"):
            q = real_qemu(ver)
            if not q:
                print("5. QEMU %s: not available (ci/get-qemu.sh %s failed), skipped" % (ver, ver))
                continue
            per_version.append(side_by_side(fake, ver, q, tmpdir, R))
    if per_version:
        print("5. each version side by side with its real QEMU (-machine pc; round trip with "
              "client and server on one CPU)")
        rows = []
        for pv in per_version:
            gf, gq = (statistics.median(pv["greet"][k]) for k in ("fakeqemu", "QEMU"))
            rf, rq = (statistics.median(pv["rtt"][k]) for k in ("fakeqemu", "QEMU"))
            hf, hq = (max(st["VmHWM"] for st in pv["rss"][k].values()) for k in ("fakeqemu", "QEMU"))
            rows.append([pv["version"], ms(gf), ms(gq), "%.3f" % (gf / gq), us(rf), us(rq),
                         "%.3f" % (rf / rq), "%.2f" % hf, "%.2f" % hq, "%.3f" % (hf / hq),
                         "%d/%d" % (pv["commands"]["fakeqemu"], pv["commands"]["QEMU"])])
        table(["version", "greet fake ms", "greet QEMU ms", "ratio", "rtt fake us",
               "rtt QEMU us", "ratio", "HWM fake MiB", "HWM QEMU MiB", "ratio",
               "all-data cmds fake/QEMU"], rows)
        print("  (QEMU is not asked what fakeqemu's recording says aborts it: %s)" % ", ".join(
            "%s: %d commands" % (pv["version"], pv["aborts"]) for pv in per_version))
        for pv in per_version:
            for label, cmd in pv["died"].items():
                print("  (%s %s aborted on %s: its peak is the last one read before)"
                      % (label, pv["version"], cmd))
        rows = []
        for pv in per_version:
            for label in ("fakeqemu", "QEMU"):
                for stage, st in pv["rss"][label].items():
                    rows.append([pv["version"], label, stage,
                                 "%.2f (%.2f)" % (st["VmHWM"], st["VmRSS"])])
        table(["version", "server", "when", "VmHWM (VmRSS)"], rows)
        print()

    # ---- verdicts
    g = dict(greet)
    g_med = max(statistics.median(g["fakeqemu -machine none"]),
                statistics.median(g["fakeqemu -machine pc"]))
    g_p90 = max(pct(g["fakeqemu -machine none"], 90), pct(g["fakeqemu -machine pc"], 90))
    hwm = max([st["VmHWM"] for label, stages in rss.items() if label.startswith("fakeqemu")
               for st in stages.values()]
              + [st["VmHWM"] for pv in per_version for st in pv["rss"]["fakeqemu"].values()])
    g_med = max([g_med] + [statistics.median(pv["greet"]["fakeqemu"]) for pv in per_version])
    print("targets")
    table(["target", "measured", "verdict"], [
        ["fakeqemu greeting within %.0f ms of exec (median)" % TARGET_GREETING_MS,
         "median %.2f ms, p90 %.2f ms" % (g_med / 1e6, g_p90 / 1e6),
         verdict(g_med <= TARGET_GREETING_MS * 1e6)],
    ] + [
        ["fakeqemu round trip within %.0fx ping-pong (median, %s)" % (TARGET_RTT_RATIO, pl),
         "%.2fx" % ratio,
         verdict(ratio <= TARGET_RTT_RATIO) if pl != "unpinned" else "(info)"]
        for pl, ratio in ratios.items()
    ] + [
        ["fakeqemu peak RSS under %.0f MiB (worst dialect, every answer given)"
         % TARGET_RSS_MIB,
         "%.2f MiB" % hwm, verdict(hwm < TARGET_RSS_MIB)],
    ])
    print("  (round trip: the verdicts use the pinned placements, where both servers")
    print("   see the same wake-up path; unpinned, the scheduler may keep one pair on")
    print("   one vCPU and the other across two, which alone changes it 2-4x here.)")
    print()
    print("total time %.1f s" % (time.monotonic() - started))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main(sys.argv[1:]))
    finally:
        kill_children()
