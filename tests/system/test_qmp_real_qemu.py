"""The QMP client and qdctl against real QEMU (7.2 from Debian)."""
import json
import re
import subprocess

import pytest

from qdtest import QDCTL, WRAPPER, RealQemu, qemu_binary, run_qdctl

pytestmark = pytest.mark.skipif(qemu_binary() is None,
                                reason="no qemu-system-x86_64 on PATH (set QD_QEMU)")


@pytest.fixture
def qemu():
    q = RealQemu()
    yield q
    q.close()


def qemu_version():
    out = subprocess.run([qemu_binary(), "--version"], capture_output=True, text=True).stdout
    return re.search(r"version (\d+)\.(\d+)\.(\d+)", out).groups()


def test_greeting_status_error_and_quit(qemu):
    proc = run_qdctl("qmp", "-e", "SHUTDOWN", qemu.path, "query-status", "query-version",
                     "device_del", '{"id": "nope"}', "quit", check=1)
    major, minor, micro = qemu_version()
    assert re.search(rf"connected to QEMU {major}\.{minor}\.{micro} \(", proc.stderr)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0] == {"return": {"status": "prelaunch", "singlestep": False,
                                   "running": False}} or \
        lines[0]["return"]["status"] == "prelaunch"
    assert lines[1]["return"]["qemu"] == {"major": int(major), "minor": int(minor),
                                          "micro": int(micro)}
    assert lines[2] == {"error": {"class": "DeviceNotFound", "desc": "Device 'nope' not found"}}
    assert lines[3] == {"return": {}}
    assert lines[4]["event"]["event"] == "SHUTDOWN"
    assert lines[4]["event"]["data"] == {"guest": False, "reason": "host-qmp-quit"}
    assert qemu.wait() == 0


def test_unknown_command_error(qemu):
    proc = run_qdctl("qmp", qemu.path, "no-such-cmd", "quit", check=1)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0] == {"error": {"class": "CommandNotFound",
                                  "desc": "The command no-such-cmd has not been found"}}
    assert qemu.wait() == 0


def test_qemu_killed_mid_session(qemu):
    """QEMU exits between commands: the next one reports the closed connection."""
    proc = subprocess.Popen([*WRAPPER, QDCTL, "qmp", qemu.path, "query-status", "quit",
                             "query-status"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert "QMP connection closed by QEMU" in err or "Broken pipe" in err or \
        "Connection reset" in err
    assert json.loads(out.splitlines()[1]) == {"return": {}}
