"""fakeqemu's recorder (-fake-record / FAKEQEMU_RECORD) and the replay of its recordings.

The "real QEMU" behind the recorder here is fakeqemu itself (FAKEQEMU_REAL pointing at
it): what it says is known, its faults make the hard cases (a crash, a late reply), and
no real QEMU is needed. tests/system/test_record_replay_real.py does the same against
real QEMU 7.2 with qdctl and with kata's govmm.

Each test records a client session, checks the recording (plain text, every line as it
should read), then replays it to the same client and checks the client sees the same.
"""
import json
import os
import select
import signal
import socket
import subprocess
import time

import pytest

from fakeqemu_client import FAKEQEMU, FakeQemu, QmpConnection, Timeout
from qdtest import BUILD_DIR, run_qdctl, short_tmpdir

IMG_MB = 1


def recorder(rec, **kw):
    env = {"FAKEQEMU_RECORD": str(rec), "FAKEQEMU_REAL": FAKEQEMU}
    env.update(kw.pop("env", {}))
    return FakeQemu(env=env, **kw)


def replayer(rec, **kw):
    env = {"FAKEQEMU_REPLAY": str(rec)}
    env.update(kw.pop("env", {}))
    return FakeQemu(env=env, **kw)


def wait_gone(pid, timeout_s=10.0):
    """Wait until process @pid (not our child: it daemonized) has exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        if not select.select([fd], [], [], timeout_s)[0]:
            raise AssertionError(f"pid {pid} did not exit within {timeout_s} s of SIGTERM")
    finally:
        os.close(fd)


def lines(rec):
    """The recording's timed lines without their time."""
    out = []
    for line in open(rec):
        line = line.rstrip("\n")
        if line and line[0].isdigit():
            out.append(line.split(" ", 1)[1])
    return out


def session(fq):
    """A fixed client session; returns everything the client received, in order."""
    c = fq.connect(negotiate=False)
    got = [c.greeting]
    got.append(c.command("qmp_capabilities"))
    got.append(c.command("query-status"))
    got.append(c.command("device_del", {"id": "nope"}))
    got.append(c.command("stop"))
    got.append(c.wait_event("STOP"))
    got.append(c.command("quit"))
    c.wait_closed()
    return got


def strip_time(msgs):
    return [{k: v for k, v in m.items() if k != "timestamp"} for m in msgs]


def test_a_session_is_recorded_as_plain_text_and_replayed_the_same(tmp_path):
    rec = tmp_path / "session.rec"
    with recorder(rec) as fq:
        recorded = session(fq)
        assert fq.wait() == 0
    text = rec.read_text()
    assert text.startswith("fakeqemu-recording 1\n")
    assert f"real {json.dumps(FAKEQEMU)}\n" in text
    argv = json.loads([l for l in text.splitlines() if l.startswith("argv ")][0][5:])
    assert argv[:4] == ["-display", "none", "-nodefaults", "-machine"]
    assert "monitor m0 -chardev socket,id=qmp0,fd=" in text
    got = lines(rec)
    assert got[0] == "m0 connect"
    assert got[1].startswith('m0 < {"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, '
                             '"major": 7}')
    assert got[2] == 'm0 > {"execute": "qmp_capabilities", "id": 1}'
    assert got[3] == 'm0 < {"return": {}, "id": 1}'
    assert got[4] == 'm0 > {"execute": "query-status", "id": 2}'
    assert 'm0 < {"id": 3, "error": {"class": "DeviceNotFound", "desc": "Device \'nope\' not ' \
           'found"}}' in got
    assert any(l.startswith('m0 event {"timestamp": ') and '"event": "STOP"' in l for l in got)
    assert got[-2:] == ["m0 close qemu", "exit 0"]
    # QEMU's order is kept: SHUTDOWN comes before quit's return.
    shutdown = [i for i, l in enumerate(got) if '"SHUTDOWN"' in l][0]
    assert got[shutdown + 1] == 'm0 < {"return": {}, "id": 5}'

    with replayer(rec) as fq:
        replayed = session(fq)
        assert fq.wait() == 0
    assert replayed == recorded  # the timestamps are the recorded ones too


def test_replay_reports_the_first_request_that_differs(tmp_path):
    rec = tmp_path / "session.rec"
    with recorder(rec) as fq:
        session(fq)
        fq.wait()
    with replayer(rec) as fq:
        c = fq.connect()
        assert c.execute("query-status")["status"] == "running"
        reply = c.command("device_del", {"id": "other"})
        line = [i + 1 for i, l in enumerate(open(rec)) if '"device_del"' in l][0]
        want = (f"replay {rec}:{line}: m0 request 3 differs: expected "
                '{"execute": "device_del", "id": 3, "arguments": {"id": "nope"}} got '
                '{"execute": "device_del", "id": 3, "arguments": {"id": "other"}}')
        assert reply["error"] == {"class": "GenericError", "desc": want}
        # ... and every later request gets the same.
        assert c.command("query-status")["error"]["desc"] == want
        fq.stop()
        assert f"fakeqemu: {want}\n" in fq.output()


def test_replay_keeps_the_recorded_delays(tmp_path):
    # device_add answered 1.2 s late: a client with a 0.3 s deadline times out in the
    # replay exactly as it did with "QEMU".
    rec = tmp_path / "slow.rec"
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"command": "query-hotpluggable-cpus", "action": "delay",
                                   "ms": 1200}]))
    with recorder(rec, env={"FAKEQEMU_FAULTS": str(faults)}, paused=True) as fq:
        c = fq.connect()
        c.send("query-hotpluggable-cpus", id="slow")
        with pytest.raises(Timeout):
            c.recv_reply("slow", timeout=0.3)
        assert "return" in c.recv_reply("slow", timeout=5)
    with replayer(rec, paused=True) as fq:
        c = fq.connect()
        c.send("query-hotpluggable-cpus", id="slow")
        with pytest.raises(Timeout):
            c.recv_reply("slow", timeout=0.3)
        assert "return" in c.recv_reply("slow", timeout=5)


def test_every_monitor_and_every_session_is_recorded(tmp_path):
    # Two monitors; the client leaves monitor 0 and comes back: a fresh greeting.
    rec = tmp_path / "two.rec"

    def talk(fq):
        a = fq.connect(0)
        b = fq.connect(1)
        out = [a.execute("query-status"), b.execute("query-name")]
        a.close()
        a2 = fq.connect(0)
        out += [a2.greeting["QMP"]["version"], a2.execute("query-kvm")]
        a2.close()
        b.close()
        return out

    with recorder(rec, monitors=2, args=["-name", "two"]) as fq:
        recorded = talk(fq)
    got = lines(rec)
    assert [l for l in got if l.endswith("connect")] == ["m0 connect", "m1 connect", "m0 connect"]
    assert got.count("m0 close client") == 2 and got.count("m1 close client") == 1
    assert "monitor m1 -chardev socket,id=qmp1,fd=" in rec.read_text()
    assert got[-1] == "signal TERM" or got[-1] == "exit 0"
    with replayer(rec, monitors=2, args=["-name", "two"]) as fq:
        assert talk(fq) == recorded


def test_qemu_output_exit_status_and_a_crash_are_replayed(tmp_path):
    # A command line "QEMU" refuses: its message and status, through both.
    rec = tmp_path / "bad.rec"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEQEMU_")}
    proc = subprocess.run([FAKEQEMU, "-fake-record", str(rec), "-fake-real", FAKEQEMU,
                           "-machine", "bogus"], capture_output=True, text=True, env=env,
                          timeout=30)
    real = subprocess.run([FAKEQEMU, "-machine", "bogus"], capture_output=True, text=True,
                          env=env, timeout=30)
    assert (proc.returncode, proc.stderr) == (real.returncode, real.stderr) == (1, real.stderr)
    assert lines(rec)[-1] == "exit 1"
    assert any(l.startswith("stderr ") for l in lines(rec))
    again = subprocess.run([FAKEQEMU, "-fake-replay", str(rec), "-machine", "bogus"],
                           capture_output=True, text=True, env=env, timeout=30)
    assert (again.returncode, again.stderr) == (1, real.stderr)

    # A crash on a command: the recorder dies of the same signal; so does the replay.
    rec = tmp_path / "crash.rec"
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"command": "query-kvm", "action": "crash"}]))
    with recorder(rec, env={"FAKEQEMU_FAULTS": str(faults)}) as fq:
        c = fq.connect()
        c.send("query-kvm")
        c.wait_closed()
        assert fq.wait() == -signal.SIGABRT
    assert lines(rec)[-2:] == ["m0 close qemu", "killed ABRT"]
    with replayer(rec) as fq:
        c = fq.connect()
        c.send("query-kvm")
        c.wait_closed()
        assert fq.wait() == -signal.SIGABRT


def test_descriptors_passed_on_the_monitor_go_through_and_are_recorded(tmp_path):
    rec = tmp_path / "fds.rec"

    def getfd(c, with_fd=True):
        r, w = os.pipe()
        try:
            msg = json.dumps({"execute": "getfd", "arguments": {"fdname": "p0"}, "id": "g"})
            fds = [r] if with_fd else []
            c.sock.sendmsg([msg.encode()],
                           [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(
                               memoryview(bytearray(b"".join(f.to_bytes(4, "little")
                                                             for f in fds)))))] if fds else [])
            return c.recv_reply("g")
        finally:
            os.close(r)
            os.close(w)

    with recorder(rec) as fq:
        c = fq.connect()
        assert getfd(c) == {"return": {}, "id": "g"}
        assert c.execute("closefd", {"fdname": "p0"}) == {}
    got = lines(rec)
    assert 'm0 > fds=1 {"execute": "getfd", "arguments": {"fdname": "p0"}, "id": "g"}' in got
    with replayer(rec) as fq:
        c = fq.connect()
        assert getfd(c) == {"return": {}, "id": "g"}
    with replayer(rec) as fq:
        c = fq.connect()
        reply = getfd(c, with_fd=False)
        assert "came with 0 descriptor(s), the recording with 1" in reply["error"]["desc"]


def test_daemonize_and_pidfile_as_qemu(tmp_path):
    # libvirt's and kata's way: -daemonize -pidfile, then connect by path.
    d = short_tmpdir()
    qmp, pidfile, rec = os.path.join(d, "q.sock"), os.path.join(d, "q.pid"), tmp_path / "d.rec"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEQEMU_")}
    args = ["-machine", "none", "-nodefaults", "-display", "none", "-daemonize", "-pidfile",
            pidfile, "-qmp", f"unix:{qmp},server=on,wait=off"]

    def run_daemon(extra):
        proc = subprocess.run([FAKEQEMU, *extra, *args], capture_output=True, text=True,
                              env=env, timeout=30)
        assert proc.returncode == 0, proc.stderr
        pid = int(open(pidfile).read())
        try:
            c = QmpConnection(qmp)  # bound and listening once the parent exited
            c.read_greeting()
            c.negotiate()
            version = c.execute("query-version")
            os.kill(pid, signal.SIGTERM)
            c.wait_closed()
            wait_gone(pid)
        finally:
            if os.path.exists(f"/proc/{pid}"):
                os.kill(pid, signal.SIGKILL)
        return pid, version

    pid, version = run_daemon(["-fake-record", str(rec), "-fake-real", FAKEQEMU])
    assert "monitor m0 -qmp unix:" in rec.read_text()
    assert "signal TERM" in lines(rec)
    assert "-daemonize" in json.loads(
        [l for l in open(rec) if l.startswith("argv ")][0][5:])
    pid2, version2 = run_daemon(["-fake-replay", str(rec)])
    assert version2 == version and pid2 != pid


def test_a_bad_recording_is_named_with_its_line(tmp_path):
    rec = tmp_path / "bad.rec"
    rec.write_text("fakeqemu-recording 1\nargv []\nmonitor m0 -qmp x\n0.1 m0 connect\n"
                   "0.2 m3 > {}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEQEMU_")}
    proc = subprocess.run([FAKEQEMU, "-fake-replay", str(rec)], capture_output=True, text=True,
                          env=env, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr == (f"fakeqemu: -fake-replay {rec}:5: monitor m3 is not declared by a "
                           "'monitor' line\n")
    proc = subprocess.run([FAKEQEMU, "-fake-record", str(rec)], capture_output=True, text=True,
                          env=env, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr == ("fakeqemu: -fake-record needs the real QEMU: -fake-real PATH (or "
                           "FAKEQEMU_REAL)\n")


def test_qdctl_record_and_replay_round_trip(tmp_path):
    # qdctl's own operations against "QEMU" (fakeqemu as the real one here), then replayed.
    cfg = tmp_path / "vm.json"
    cfg.write_text(json.dumps({"id": "r1", "vcpus": 1, "max_vcpus": 4, "memory_mb": 256,
                               "bridges": 1}))
    img = tmp_path / "d0.img"
    img.write_bytes(b"\0" * (IMG_MB << 20))
    rec = tmp_path / "qdctl.rec"
    ops = ["start", "add-vcpus", "2", "add-block", "d0", str(img), "status", "stop"]
    recorded = run_qdctl("record", "-o", str(rec), "--qemu", FAKEQEMU, "-d", short_tmpdir(),
                         str(cfg), *ops, check=0)
    assert f"the session is in {rec}" in recorded.stderr
    assert any('"execute":"device_add"' in l for l in lines(rec))
    replayed = run_qdctl("record", "--replay", str(rec), "-d", short_tmpdir(), str(cfg), *ops,
                         check=0)

    def ops_of(proc):
        return [{k: v for k, v in json.loads(l).items() if k != "pid"}
                for l in proc.stdout.splitlines()]

    assert ops_of(replayed) == ops_of(recorded)
    # Other operations than recorded: the first differing request is named.
    other = run_qdctl("record", "--replay", str(rec), "-d", short_tmpdir(), str(cfg), "start",
                      "add-vcpus", "1", "add-block", "d0", str(img), check=1)
    # That run ends without a stop: its QEMU (the replaying fakeqemu) is ours to end.
    started = json.loads(other.stdout.splitlines()[0])
    os.kill(started["pid"], signal.SIGKILL)
    line = ops_of(other)[2]
    assert line["ok"] is False
    assert line["error"]["message"].startswith(f"replay {rec}:")
    assert "m0 request 4 differs: expected " in line["error"]["message"]
