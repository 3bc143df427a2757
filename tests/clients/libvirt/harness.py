"""harness.py - libvirt 9.0 (Debian, unmodified) driving any QEMU binary.

A private libvirtd per session: libvirt's unprivileged ("session") mode with
its own HOME and XDG config/runtime/cache directories, reached through an
explicit socket URI, so neither the machine's libvirtd nor an auto-spawned
session daemon is ever involved. Run by root, the daemon runs as nobody
(with the kvm group when it exists): privileged libvirt insists on its
libvirt-qemu account, which only libvirt-daemon-system creates, and the
session mode needs no cgroups, namespaces or security drivers.

The scenario drives virsh against QEMU (the domain's <emulator>) and returns
a transcript: each virsh command with its exit status, stdout and stderr,
normalised (work directory, emulator path).
"""
import os
import pwd
import grp
import re
import shutil
import signal
import socket
import subprocess
import tempfile

LIBVIRTD = "/usr/sbin/libvirtd"
VIRSH = "/usr/bin/virsh"
SCENARIOS = ("lifecycle-pc", "lifecycle-q35")
DOMAIN_UUID = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
NIC_MAC = "52:54:00:00:00:02"

QEMU_CONF = """# qemu.conf of the clients tier's private libvirtd (session mode)
# QEMU's stdout/stderr to the domain log file directly: no virtlogd.
stdio_handler = "file"
"""

DOMAIN_XML = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu placement='static' current='1'>4</vcpu>
  <os>
    <type arch='x86_64' machine='{machine}'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>{qemu}</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{dir}/disk0.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='scsi' model='virtio-scsi'/>
    <memballoon model='none'/>
  </devices>
</domain>
"""


NIC_XML = """<interface type='user'>
  <mac address='{mac}'/>
  <model type='virtio'/>
</interface>
"""


def missing():
    """Why libvirt cannot run here, or None."""
    for path, pkg in ((LIBVIRTD, "libvirt-daemon"), (VIRSH, "libvirt-clients"),
                      ("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so",
                       "libvirt-daemon-driver-qemu")):
        if not os.path.exists(path):
            return f"{path} missing ({pkg}; ci/deps.sh installs it)"
    if os.getuid() == 0 and shutil.which("setpriv") is None:
        return "setpriv (util-linux) not found: needed to run libvirtd unprivileged"
    return None


class Libvirtd:
    """A private unprivileged libvirtd under ROOT; virsh() talks to it."""

    def __init__(self, root=None):
        # Short: the monitor socket's path lives under it (108-byte limit).
        self.root = os.path.abspath(root) if root else tempfile.mkdtemp(prefix="qd-lv-", dir="/tmp")
        self.proc = None
        self.as_root = os.getuid() == 0
        if self.as_root:
            self.uid = pwd.getpwnam("nobody").pw_uid
            self.gid = grp.getgrnam("nogroup").gr_gid
            try:
                self.groups = [grp.getgrnam("kvm").gr_gid]
            except KeyError:
                self.groups = []
        self.dirs = {k: os.path.join(self.root, k) for k in ("home", "config", "runtime", "cache")}
        self.socket = os.path.join(self.dirs["runtime"], "libvirt", "libvirt-sock")
        self.uri = f"qemu+unix:///session?socket={self.socket}"
        self.log = os.path.join(self.root, "libvirtd.log")

    def env(self):
        # LIBVIRT_AUTOSTART=0: a virsh finding no socket must fail, not spawn
        # a session daemon of its own.
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "LIBVIRT_AUTOSTART": "0",
                "HOME": self.dirs["home"], "XDG_CONFIG_HOME": self.dirs["config"],
                "XDG_RUNTIME_DIR": self.dirs["runtime"], "XDG_CACHE_HOME": self.dirs["cache"]}

    def as_user(self, argv):
        if not self.as_root:
            return argv
        groups = ",".join(map(str, self.groups)) if self.groups else None
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}",
                f"--groups={groups}" if groups else "--clear-groups", *argv]

    def own(self, path):
        if self.as_root:
            os.chown(path, self.uid, self.gid)

    def start(self, timeout=60):
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        os.chmod(self.root, 0o755)
        self.own(self.root)
        for d in self.dirs.values():
            os.makedirs(d)
            self.own(d)
        conf_dir = os.path.join(self.dirs["config"], "libvirt")
        os.makedirs(conf_dir)
        self.own(conf_dir)
        with open(os.path.join(conf_dir, "qemu.conf"), "w") as f:
            f.write(QEMU_CONF)
        # Readiness: libvirtd sends READY=1 to $NOTIFY_SOCKET once it serves.
        notify_path = os.path.join(self.root, "notify.sock")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        os.chmod(notify_path, 0o777)
        notify.settimeout(timeout)
        env = dict(self.env(), NOTIFY_SOCKET=notify_path)
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(self.as_user([LIBVIRTD]), env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while True:
                msg = notify.recv(4096).decode(errors="replace")
                if "READY=1" in msg.split("\n"):
                    break
        except socket.timeout:
            self.stop()
            raise RuntimeError(f"libvirtd not ready within {timeout}s; log:\n{self.log_text()}")
        finally:
            notify.close()
        return self

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    # What QEMU answered libvirt when it failed: monitor errors and probe failures.
    MONITOR_ERROR = re.compile(r"^\S+ \S+ \d+: (?:error|warning) : "
                               r"((?:qemuMonitorJSONCheckErrorFull|virQEMUCapsLogProbeFailure):.*)$")

    def monitor_errors(self, offset):
        """libvirtd's log lines about QEMU's errors written since OFFSET."""
        try:
            with open(self.log) as f:
                f.seek(offset)
                lines = f.read().splitlines()
        except OSError:
            return []
        return [m.group(1) for m in map(self.MONITOR_ERROR.match, lines) if m]

    def alive(self):
        """The daemon runs and accepts connections (a dying one may still
        have its pid for a moment after virsh saw the connection drop)."""
        if self.proc is None or self.proc.poll() is not None:
            return False
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.socket)
            return True
        except OSError:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                return True
            return False
        finally:
            probe.close()

    def virsh(self, *args, timeout=120):
        proc = subprocess.run(self.as_user([VIRSH, "-c", self.uri, *args]), env=self.env(),
                              capture_output=True, text=True, timeout=timeout)
        return proc.returncode, proc.stdout, proc.stderr

    def stop(self):
        """Stop the daemon and the QEMUs it left running (by their pid files)."""
        if self.proc is None:
            return
        run_dir = os.path.join(self.dirs["runtime"], "libvirt", "qemu", "run")
        pids = []
        for name in os.listdir(run_dir) if os.path.isdir(run_dir) else []:
            if name.endswith(".pid"):
                try:
                    with open(os.path.join(run_dir, name)) as f:
                        pids.append(int(f.read().strip()))
                except (OSError, ValueError):
                    pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def remove(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Transcript:
    def __init__(self, replacements):
        self.lines = []
        self.replacements = replacements

    def normalize(self, text):
        for old, new in self.replacements:
            text = text.replace(old, new)
        # The domain id counts the daemon's starts; virsh's table rules are
        # as wide as the (longest, unnormalised) path.
        text = re.sub(r"<domain type='(\w+)' id='\d+'>", r"<domain type='\1' id='N'>", text)
        return re.sub(r"(?m)^(\s*)-{3,}$", r"\1---", text)

    def add(self, text):
        self.lines.append(self.normalize(text))

    def text(self):
        return "\n".join(self.lines) + "\n"


def machine_of(scenario):
    return scenario.rsplit("-", 1)[1]


def run_scenario(scenario, qemu, work, libvirtd=None):
    """Run SCENARIO with emulator QEMU; return the transcript.

    A libvirtd (Libvirtd, started) can be shared between scenarios; without
    one a private daemon is started and removed afterwards. The scenario's
    files go into a fresh directory under WORK.
    """
    own = libvirtd is None
    if own:
        libvirtd = Libvirtd().start()
    try:
        return Scenario(scenario, qemu, work, libvirtd).run()
    finally:
        if own:
            libvirtd.remove()


class Scenario:
    def __init__(self, scenario, qemu, work, libvirtd):
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown libvirt scenario {scenario!r} (have {', '.join(SCENARIOS)})")
        self.name = scenario
        self.machine = machine_of(scenario)
        self.qemu = qemu
        self.lv = libvirtd
        os.makedirs(work, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=f"{scenario}-", dir=work)
        os.chmod(self.dir, 0o755)
        libvirtd.own(self.dir)
        self.domain = f"clients-{self.machine}"
        self.t = Transcript([(self.dir, "@DIR@"), (qemu, "@QEMU@"), (libvirtd.root, "@LIBVIRTD@")])

    def file(self, name, size=None, text=None):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            if text is not None:
                f.write(text)
            if size is not None:
                f.truncate(size)
        self.lv.own(path)
        return path

    def virsh(self, *args, show=True):
        log_at = self.lv.log_size()
        rc, out, err = self.lv.virsh(*args)
        self.t.add(f"$ virsh {' '.join(args)}")
        self.t.add(f"exit {rc}")
        if show and out.strip():
            self.t.add("stdout:\n" + "\n".join("  " + line for line in out.rstrip("\n").split("\n")))
        if err.strip():
            self.t.add("stderr:\n" + "\n".join("  " + line for line in err.rstrip("\n").split("\n")))
        monitor = self.lv.monitor_errors(log_at)
        if monitor:
            self.t.add("libvirtd log:\n" + "\n".join("  " + line for line in monitor))
        if not self.lv.alive():
            self.t.add("libvirtd: died")
            raise LibvirtdDied(self.t.text() + "\n--- libvirtd log\n" + self.lv.log_text())
        return rc, out

    def state(self):
        self.virsh("domstate", self.domain)

    def run(self):
        try:
            return self.steps()
        finally:
            # Whatever step failed, leave no domain behind (not part of the transcript).
            if self.lv.alive():
                self.lv.virsh("destroy", self.domain)
                self.lv.virsh("undefine", self.domain)

    def steps(self):
        self.file("disk0.img", size=1 << 20)
        self.file("disk1.img", size=1 << 20)
        xml = self.file("domain.xml", text=DOMAIN_XML.format(
            name=self.domain, uuid=DOMAIN_UUID, machine=self.machine, qemu=self.qemu, dir=self.dir))
        self.virsh("domcapabilities", "--emulatorbin", self.qemu, "--machine", self.machine,
                   "--virttype", "qemu")
        self.virsh("domxml-to-native", "--format", "qemu-argv", "--xml", xml)
        self.virsh("define", xml)
        log_start = self.domain_log_size()
        rc, _ = self.virsh("start", self.domain)
        if rc != 0:
            self.t.add(f"domain log:\n{self.domain_log(log_start)}")
            self.virsh("undefine", self.domain)
            return self.t.text()
        self.state()
        self.virsh("dumpxml", self.domain)
        self.virsh("setvcpus", self.domain, "2", "--live")
        self.virsh("vcpucount", self.domain, "--live")
        self.virsh("setvcpus", self.domain, "1", "--live")
        self.virsh("vcpucount", self.domain, "--live")
        disk = os.path.join(self.dir, "disk1.img")
        self.virsh("attach-disk", self.domain, disk, "vdb", "--live", "--targetbus", "virtio",
                   "--driver", "qemu", "--subdriver", "raw")
        self.virsh("domblklist", self.domain)
        # Real QEMU without a guest OS never completes the unplug: libvirt
        # waits 5 s for DEVICE_DELETED, then leaves the disk in place.
        self.virsh("detach-disk", self.domain, "vdb", "--live")
        self.virsh("domblklist", self.domain)
        # virsh 9.0's attach-interface knows no type user (its answer is part
        # of the transcript); the same NIC goes in with attach-device, and
        # user networking (slirp) creates no host device.
        self.virsh("attach-interface", self.domain, "user", "unused", "--model", "virtio", "--mac", NIC_MAC,
                   "--live")
        nic = self.file("nic.xml", text=NIC_XML.format(mac=NIC_MAC))
        self.virsh("attach-device", self.domain, nic, "--live")
        self.virsh("domiflist", self.domain)
        self.virsh("suspend", self.domain)
        self.state()
        self.virsh("resume", self.domain)
        self.state()
        self.virsh("destroy", self.domain)
        self.state()
        self.virsh("undefine", self.domain)
        return self.t.text()

    def domain_log_path(self):
        return os.path.join(self.lv.dirs["cache"], "libvirt", "qemu", "log", self.domain + ".log")

    def domain_log_size(self):
        try:
            return os.path.getsize(self.domain_log_path())
        except OSError:
            return 0

    def domain_log(self, offset):
        """What QEMU said on stderr during this start (libvirt appends to the log)."""
        try:
            with open(self.domain_log_path()) as f:
                f.seek(offset)
                lines = f.read().splitlines()
        except OSError as e:
            return f"  ({e})"
        # libvirt's banner and the command line vary with paths and time;
        # QEMU's messages carry its program name.
        keep = [re.sub(r"^\S+Z (?=\S+: )", "", line) for line in lines
                if re.match(r"^(\S+Z )?\S*(qemu-system-x86_64|fakeqemu): ", line)]
        return "\n".join("  " + line for line in keep) or "  (nothing from QEMU)"


class LibvirtdDied(RuntimeError):
    pass
