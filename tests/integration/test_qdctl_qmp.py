"""qdctl qmp against a strict scripted QMP server: output, exit codes, errors."""
import json
import os
import socket

from qdtest import run_qdctl, short_tmpdir
from qmp_script import ScriptedQmp

OK = ("send", '{"return": {}, "id": @ID@}\r\n')
NEGOTIATE = [("send", ScriptedQmp.GREETING), ("expect", "qmp_capabilities"), OK]


def test_commands_in_order_with_arguments():
    srv = ScriptedQmp(NEGOTIATE + [
        ("expect", "query-status"),
        ("send", '{"return": {"status": "running", "singlestep": false, "running": true}, '
                 '"id": @ID@}\r\n'),
        ("expect", "device_del"),
        OK,
    ])
    proc = run_qdctl("qmp", srv.path, "query-status", "device_del", '{"id": "vb1"}', check=0)
    srv.finish()
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines == [{"return": {"status": "running", "singlestep": False, "running": True}},
                     {"return": {}}]
    assert srv.received[2]["arguments"] == {"id": "vb1"}
    assert len({json.dumps(m["id"]) for m in srv.received}) == 3
    assert "connected to QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" in proc.stderr


def test_qmp_error_is_printed_verbatim_and_exit_1():
    srv = ScriptedQmp(NEGOTIATE + [
        ("expect", "device_add"),
        ("send", '{"id": @ID@, "error": {"class": "GenericError", '
                 '"desc": "Duplicate device ID \'cpu-0\'"}}\r\n'),
        ("expect", "query-status"),
        ("send", '{"return": {"status": "paused"}, "id": @ID@}\r\n'),
    ])
    proc = run_qdctl("qmp", srv.path, "device_add", '{"driver": "x"}', "query-status", check=1)
    srv.finish()
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0] == {"error": {"class": "GenericError",
                                  "desc": "Duplicate device ID 'cpu-0'"}}
    assert lines[1] == {"return": {"status": "paused"}}


def test_event_armed_before_command_arrives_before_reply():
    srv = ScriptedQmp(NEGOTIATE + [
        ("expect", "device_del"),
        ("send", '{"timestamp": {"seconds": 5, "microseconds": 6}, "event": "DEVICE_DELETED", '
                 '"data": {"device": "vb1", "path": "/machine/peripheral/vb1"}}\r\n'
                 '{"return": {}, "id": @ID@}\r\n'),
    ])
    proc = run_qdctl("qmp", "-e", "DEVICE_DELETED:device=vb1", srv.path, "device_del",
                     '{"id": "vb1"}', check=0)
    srv.finish()
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[1]["event"]["data"] == {"device": "vb1", "path": "/machine/peripheral/vb1"}
    assert lines[1]["event"]["timestamp"] == {"seconds": 5, "microseconds": 6}


def test_missing_socket():
    proc = run_qdctl("qmp", "/nonexistent/qmp.sock", "query-status", check=3)
    assert proc.stderr == ("qdctl: cannot connect to QMP socket /nonexistent/qmp.sock: "
                           "No such file or directory\n")


def test_socket_path_too_long():
    path = "/tmp/" + "x" * 120
    proc = run_qdctl("qmp", path, "query-status", check=3)
    assert "QMP socket path is 125 bytes, over the unix socket limit of 107" in proc.stderr


def test_no_greeting_times_out():
    d = short_tmpdir()
    path = os.path.join(d, "s")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(1)
    proc = run_qdctl("qmp", "-t", "100", path, "query-status", check=3)
    lsock.close()
    assert proc.stderr == "qdctl: no QMP greeting within 100 ms\n"


def test_reply_timeout():
    srv = ScriptedQmp(NEGOTIATE + [("expect", "query-status")])
    proc = run_qdctl("qmp", "-t", "200", srv.path, "query-status", check=3)
    srv.finish()
    assert proc.stderr.endswith("qdctl: QMP command 'query-status' got no reply within 200 ms\n")


def test_qemu_closes_mid_reply():
    srv = ScriptedQmp(NEGOTIATE + [("expect", "query-status"),
                                   ("send", '{"return": {"sta'), ("close",)])
    proc = run_qdctl("qmp", srv.path, "query-status", check=3)
    srv.finish()
    assert proc.stderr.endswith(
        "qdctl: QMP connection closed by QEMU in the middle of a message\n")


def test_garbage_from_qemu():
    srv = ScriptedQmp(NEGOTIATE + [("expect", "query-status"), ("send", "\x01garbage\r\n")])
    proc = run_qdctl("qmp", srv.path, "query-status", check=3)
    srv.finish()
    assert proc.stderr.endswith("qdctl: invalid JSON from QMP peer: unexpected byte 0x01 "
                                "between messages\n")


def test_oversized_reply():
    srv = ScriptedQmp(NEGOTIATE + [("expect", "query-qmp-schema"),
                                   ("send", '{"return": "' + "a" * 5000 + '", "id": @ID@}\r\n')])
    proc = run_qdctl("qmp", "-m", "4096", srv.path, "query-qmp-schema", check=3)
    srv.finish()
    assert proc.stderr.endswith("qdctl: QMP message exceeds the size limit of 4096 bytes\n")


def test_usage_errors():
    assert run_qdctl("qmp", check=2).stderr.startswith("usage: qdctl qmp")
    proc = run_qdctl("qmp", "-t", "-1", "/x", "query-status", check=2)
    assert proc.stderr == "qdctl: invalid timeout '-1'\n"
    proc = run_qdctl("bogus", check=2)
    assert "qdctl: unknown command 'bogus'" in proc.stderr


def test_invalid_argument_json():
    srv = ScriptedQmp(NEGOTIATE)
    proc = run_qdctl("qmp", srv.path, "device_del", "{not json", check=2)
    srv.finish()
    assert "qdctl: arguments of 'device_del' are not valid JSON" in proc.stderr
