"""fakeqemu as a process: command line, monitors, connections, signals, daemonize, replay."""
import json
import os
import signal
import subprocess

import pytest

from fakeqemu_client import FAKEQEMU, FakeQemu, QmpConnection, Timeout, \
    run_fakeqemu
from qdtest import short_tmpdir

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_unknown_option_is_refused_like_qemu():
    proc = run_fakeqemu(["-S", "-foo"])
    assert (proc.returncode, proc.stderr) == (1, "fakeqemu: -foo: invalid option\n")


def test_option_without_its_argument():
    proc = run_fakeqemu(["-S", "-m"])
    assert (proc.returncode, proc.stderr) == (1, "fakeqemu: -m: requires an argument\n")


def test_unknown_fake_version():
    proc = run_fakeqemu(["-fake-version", "9.9"])
    assert proc.returncode == 1
    assert proc.stderr == ("fakeqemu: -fake-version 9.9: unknown QEMU version "
                           "(known: 5.2, 7.2, 10.0)\n")
    proc = run_fakeqemu([], env={"FAKEQEMU_VERSION": "4.0"})
    assert "fakeqemu: -fake-version 4.0: unknown QEMU version" in proc.stderr


def test_bad_fake_guest():
    proc = run_fakeqemu(["-fake-guest", "sleepy"])
    assert proc.returncode == 1
    assert proc.stderr == ("fakeqemu: -fake-guest sleepy: expected cooperative, absent, "
                           "slow=MS or reject\n")
    proc = run_fakeqemu(["-fake-guest", "slow=x"])
    assert "slow=MS needs a delay in milliseconds" in proc.stderr


def test_version_option_names_the_dialect():
    proc = run_fakeqemu(["-version", "-fake-version", "10.0"])
    assert proc.returncode == 0
    assert proc.stdout.startswith("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\n")
    assert "fakeqemu" in proc.stdout


@pytest.mark.parametrize("version,triple", [("5.2", [5, 2, 0]), ("7.2", [7, 2, 22]),
                                            ("10.0", [10, 0, 2])])
def test_version_from_option_or_environment(version, triple):
    for kw in ({"args": ["-fake-version", version]}, {"env": {"FAKEQEMU_VERSION": version}}):
        with FakeQemu(paused=True, **kw) as fq:
            c = fq.connect()
            q = c.greeting["QMP"]["version"]["qemu"]
            assert [q["major"], q["minor"], q["micro"]] == triple
            assert fq.state(c)["version"] == version


def test_option_overrides_environment():
    with FakeQemu(args=["-fake-version", "5.2"], env={"FAKEQEMU_VERSION": "10.0"}) as fq:
        assert fq.connect().greeting["QMP"]["version"]["qemu"]["major"] == 5


def test_quit_sends_shutdown_then_return_then_eof():
    with FakeQemu(paused=True) as fq:
        c = fq.connect()
        c.send("quit", id="q")
        first = c.read_message()
        assert first["event"] == "SHUTDOWN"
        assert first["data"] == {"guest": False, "reason": "host-qmp-quit"}
        assert c.read_message() == {"return": {}, "id": "q"}
        c.wait_closed()
        assert fq.wait() == 0


def test_quit_on_52_replies_before_the_event():
    with FakeQemu(paused=True, args=["-fake-version", "5.2"]) as fq:
        c = fq.connect()
        c.send("quit", id="q")
        assert c.read_message() == {"return": {}, "id": "q"}
        assert c.read_message()["event"] == "SHUTDOWN"
        assert fq.wait() == 0


def test_sigterm_exits_0_with_shutdown_event():
    with FakeQemu() as fq:
        c = fq.connect()
        fq.proc.send_signal(signal.SIGTERM)
        ev = c.wait_event("SHUTDOWN")
        assert ev["data"] == {"guest": False, "reason": "host-signal"}
        c.wait_closed()
        assert fq.wait() == 0
        assert "fakeqemu: terminating on signal 15 from pid" in fq.output()


def test_legacy_server_nowait_spelling_and_socket_cleanup():
    d = short_tmpdir()
    path = os.path.join(d, "qmp.sock")
    proc = subprocess.Popen([FAKEQEMU, "-S", "-nodefaults", "-daemonize",
                             "-qmp", f"unix:{path},server,nowait"])
    # -daemonize: the parent exits only once the monitor is listening.
    assert proc.wait(timeout=10) == 0
    c = QmpConnection(path)
    c.read_greeting()
    c.negotiate()
    c.send("quit")
    c.wait_closed()
    c.close()
    assert not os.path.exists(path), "the socket path is removed at exit, as QEMU does"


def test_daemonize_and_pidfile():
    d = short_tmpdir()
    path, pidfile = os.path.join(d, "qmp.sock"), os.path.join(d, "qemu.pid")
    proc = subprocess.run([FAKEQEMU, "-S", "-daemonize", "-pidfile", pidfile,
                           "-qmp", f"unix:{path},server=on,wait=off"], timeout=10)
    assert proc.returncode == 0
    pid = int(open(pidfile).read())
    assert open(pidfile).read() == f"{pid}\n"
    os.kill(pid, 0)  # alive
    c = QmpConnection(path)
    c.read_greeting()
    c.negotiate()
    assert c.execute("query-status")["status"] == "prelaunch"
    c.send("quit")
    c.wait_closed()
    c.close()
    assert not os.path.exists(pidfile), "the pidfile is removed at exit"


def test_daemonize_failure_is_reported_by_the_parent():
    proc = subprocess.run([FAKEQEMU, "-daemonize", "-qmp",
                           "unix:/nonexistent/dir/q.sock,server=on,wait=off"],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 1
    assert "Failed to bind socket to /nonexistent/dir/q.sock: No such file or directory" in \
        proc.stderr


def test_wait_on_server_blocks_until_a_client_connects():
    d = short_tmpdir()
    path = os.path.join(d, "qmp.sock")
    proc = subprocess.Popen([FAKEQEMU, "-S", "-qmp", f"unix:{path},server=on"],
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()  # printed once it is listening
    assert "QEMU waiting for connection on: disconnected:unix:" in line
    c = QmpConnection(path)
    assert "QMP" in c.read_greeting()
    c.negotiate()
    c.send("quit")
    c.wait_closed()
    assert proc.wait(timeout=10) == 0


def test_second_client_is_greeted_only_after_the_first_leaves():
    with FakeQemu(paused=True) as fq:
        first = fq.connect()
        second = QmpConnection(fq.paths[0])
        with pytest.raises(Timeout):
            second.read_message(timeout=0.3)  # connected, but not served yet
        first.close()
        assert "QMP" in second.read_greeting()
        second.negotiate()
        assert second.execute("query-status")["status"] == "prelaunch"
        second.close()


def test_events_go_to_every_negotiated_monitor_only():
    with FakeQemu(monitors=3) as fq:
        a = fq.connect(0)
        b = fq.connect(1)
        late = fq.connect(2, negotiate=False)
        a.execute("stop")
        assert a.wait_event("STOP")
        assert b.wait_event("STOP")
        # An event raised before negotiation is dropped, not queued.
        late.negotiate()
        late.execute("query-status")
        assert [m for m in late.messages if "event" in m] == []
        a.execute("cont")
        assert late.wait_event("RESUME")


def test_half_sent_request_is_discarded_on_disconnect():
    with FakeQemu(paused=True) as fq:
        c = fq.connect()
        c.send_raw(b'{"execute": "qu')
        c.close()
        c2 = fq.connect()
        # A fresh session: the fragment did not glue onto this input.
        assert c2.execute("query-status")["status"] == "prelaunch"


def test_unmodelled_command_says_so():
    with FakeQemu(paused=True) as fq:
        c = fq.connect()
        reply = c.command("screendump", {"filename": "/dev/null"})
        assert reply["error"] == {
            "class": "GenericError",
            "desc": "fakeqemu: command 'screendump' exists in QEMU 7.2 but is not modelled by "
                    "fakeqemu"}
        # A command the real schema lacks does not exist, as in QEMU.
        assert c.command("no-such-command")["error"]["class"] == "CommandNotFound"


def test_unmodelled_command_is_still_argument_checked():
    with FakeQemu(paused=True) as fq:
        c = fq.connect()
        reply = c.command("screendump", {"filename": "/dev/null", "bogus": 1})
        assert reply["error"]["desc"] == "Parameter 'bogus' is unexpected"


def test_state_dump_describes_the_machine():
    with FakeQemu(args=["-smp", "2,maxcpus=4", "-name", "vm1"], paused=True) as fq:
        s = fq.state()
        assert s["machine"] == "pc"
        assert s["status"] == "prelaunch"
        assert s["smp"] == {"cpus": 2, "sockets": 1, "dies": 1, "cores": 4, "threads": 1,
                            "maxcpus": 4}
        assert [c["plugged"] for c in s["cpus"]] == [True, True, False, False]
        assert s["cpu-type"] == "qemu64-x86_64-cpu"
        assert s["pci-buses"][0]["name"] == "pci.0"


def test_replay_answers_from_a_recorded_transcript(tmp_path):
    transcript = os.path.join(ROOT, "tests", "conformance", "transcripts", "7.2",
                              "info-basic.jsonl")
    sends = [json.loads(json.loads(line)["send"]) for line in open(transcript)
             if "send" in json.loads(line)]
    with FakeQemu(args=["-fake-replay", transcript], machine=None) as fq:
        c = fq.connect(negotiate=False)
        for cmd in sends:
            reply = c.command(cmd["execute"], cmd.get("arguments"))
            assert "return" in reply
        assert c.command("query-status")["error"]["desc"].startswith(
            "fakeqemu replay: the transcript ended after")


def test_replay_reports_the_first_divergence():
    transcript = os.path.join(ROOT, "tests", "conformance", "transcripts", "7.2",
                              "info-basic.jsonl")
    with FakeQemu(env={"FAKEQEMU_REPLAY": transcript}, machine=None) as fq:
        c = fq.connect()  # qmp_capabilities is the first recorded command
        reply = c.command("query-status")
        desc = reply["error"]["desc"]
        assert desc.startswith("fakeqemu replay: divergence at command 2: expected "
                               '{"execute":"query-version"}, got ')
        assert '"execute":"query-status"' in desc
        # Every later command gets the same answer.
        assert c.command("query-version")["error"]["desc"] == desc
        assert "fakeqemu replay: divergence at command 2" in fq.output()


def test_replay_of_a_missing_file():
    proc = run_fakeqemu(["-fake-replay", "/nonexistent.jsonl"])
    assert proc.returncode == 1
    assert proc.stderr == ("fakeqemu: -fake-replay /nonexistent.jsonl: cannot open: "
                           "No such file or directory\n")


def test_faults_file_errors_are_clear(tmp_path):
    bad = tmp_path / "faults.json"
    bad.write_text('[{"command": "stop", "action": "explode"}]')
    proc = run_fakeqemu(["-fake-faults", str(bad)])
    assert proc.returncode == 1
    assert "rule 0: fault rule: unknown action 'explode'" in proc.stderr
    proc = run_fakeqemu(["-fake-faults", str(tmp_path / "missing.json")])
    assert proc.returncode == 1
    assert "-fake-faults" in proc.stderr and "cannot read a JSON file" in proc.stderr


def test_cold_plugged_devices_from_the_command_line(tmp_path):
    img = tmp_path / "d.img"
    img.write_bytes(b"\0" * 4096)
    args = ["-device", "pci-bridge,id=br0,chassis_nr=1,addr=0x2",
            "-blockdev", f"driver=file,node-name=f0,filename={img}",
            "-blockdev", '{"driver": "raw", "node-name": "d0", "file": "f0"}',
            "-device", "virtio-blk-pci,id=vb0,drive=d0,bus=br0,addr=0x1"]
    with FakeQemu(args=args, paused=True) as fq:
        s = fq.state()
        devs = {d["id"]: d for d in s["devices"]}
        assert devs["vb0"]["bus"] == "br0" and devs["vb0"]["slot"] == 1
        assert devs["vb0"]["hotplugged"] is False
        assert devs["vb0"]["drive"] == "d0"


def test_cold_plug_error_stops_startup():
    proc = run_fakeqemu(["-S", "-device", "virtio-blk-pci,id=vb0,drive=nope"])
    assert proc.returncode == 1
    assert proc.stderr == ("fakeqemu: -device virtio-blk-pci,id=vb0,drive=nope: Property "
                           "'virtio-blk-device.drive' can't find value 'nope'\n")


def test_machine_none_has_no_hotpluggable_cpus():
    with FakeQemu(machine="none", paused=True) as fq:
        c = fq.connect()
        assert c.command("query-hotpluggable-cpus")["error"]["desc"] == \
            "The feature 'query-hotpluggable-cpus' is not enabled"
        assert c.execute("query-pci") == []
