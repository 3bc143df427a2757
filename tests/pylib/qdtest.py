"""qdtest.py - helpers shared by the pytest tiers: paths, running qdctl, QEMU."""
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile

BUILD_DIR = os.environ.get("QD_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
QDCTL = os.path.join(BUILD_DIR, "src", "qdctl", "qdctl")
# QD_WRAPPER="valgrind --error-exitcode=3 -q" runs every qdctl under that wrapper.
WRAPPER = shlex.split(os.environ.get("QD_WRAPPER", ""))


def without_wrapper_noise(text):
    """stderr without valgrind's own lines (--PID-- / ==PID==), when QD_WRAPPER is set."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not re.match(r"^(--|==)\d+(--|==)", line))


def run_qdctl(*args, timeout=60, check=None):
    """Run qdctl with ARGS; return the CompletedProcess (text mode)."""
    proc = subprocess.run(WRAPPER + [QDCTL, *args], capture_output=True, text=True,
                          timeout=timeout)
    proc.stderr = without_wrapper_noise(proc.stderr)
    if check is not None:
        assert proc.returncode == check, (
            f"qdctl {args} exited {proc.returncode}, expected {check}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def live_recheck_skipped(version):
    """Why re-recording on real QEMU VERSION is not done in this run, or None.

    The tests that play a whole recorded set against a real QEMU again, only
    to prove the committed recording still holds (test_conformance_live, the
    clients' test_real_qemu_matches_recording), run for the versions in
    QD_LIVE_VERSIONS (space-separated; default all). `make test` keeps them to
    the system's QEMU for its time budget; `make system` and `make clients`
    run all three. fakeqemu is compared with every version's recording either way."""
    wanted = os.environ.get("QD_LIVE_VERSIONS")
    if wanted is None or version in wanted.split():
        return None
    return (f"re-checking the QEMU {version} recordings on real QEMU {version} is not in this run "
            f"(QD_LIVE_VERSIONS={wanted!r}; `make system` / `make clients` run it); fakeqemu is "
            f"still compared with them")


# Every directory short_tmpdir() made, for the leak check in tests/conftest.py.
SHORT_TMPDIRS = []


def short_tmpdir():
    """A private temp dir with a short path, so unix socket paths fit in 107 bytes."""
    path = tempfile.mkdtemp(prefix="qd-", dir="/tmp")
    SHORT_TMPDIRS.append(path)
    return path


def processes_using(paths):
    """[(pid, argv)] of the processes other than this one whose command line
    names a path under one of paths (a QEMU or fakeqemu a test started there)."""
    found = []
    needles = [p.encode() for p in paths if p]
    if not needles:
        return found
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state != b"Z" and any(n in cmdline for n in needles):
            found.append((int(name), cmdline.replace(b"\0", b" ").decode(errors="replace").strip()))
    return found


def qemu_binary():
    return os.environ.get("QD_QEMU", shutil.which("qemu-system-x86_64"))


def taps_usable():
    """Whether a tap device can be created here (qdctl opens NICs' taps itself): a
    /dev/net/tun and CAP_NET_ADMIN. The tap made to find out goes with its descriptor."""
    import fcntl
    import struct

    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"", 0x0002 | 0x1000))  # TUNSETIFF
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


class RealQemu:
    """QEMU started with a QMP monitor on a listening socket created here.

    The socket is bound and listening before QEMU starts (handed over as an
    fd, as libvirt does), so a client can connect at once without polling.
    """

    def __init__(self, extra_args=(), binary=None):
        self.dir = short_tmpdir()
        self.path = os.path.join(self.dir, "qmp.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(4)
        fd = self.listener.fileno()
        self.log_path = os.path.join(self.dir, "qemu.log")
        self.log = open(self.log_path, "w")
        argv = [binary or qemu_binary(), "-S", "-display", "none", "-nodefaults",
                "-machine", "none",
                "-chardev", f"socket,id=qmp0,fd={fd},server=on,wait=off",
                "-mon", "chardev=qmp0,mode=control", *extra_args]
        self.proc = subprocess.Popen(argv, pass_fds=(fd,), stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def wait(self, timeout=30):
        return self.proc.wait(timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.listener.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
