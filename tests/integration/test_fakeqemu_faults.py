"""fakeqemu's injected faults: every action, rule matching (nth/count/match), the
three ways to load rules, x-fakeqemu-fault errors and hit counts.

Timing is checked with deadlines on socket reads; nothing sleeps.
"""
import json
import signal
import time

import pytest

from fakeqemu_client import add_scsi_hd, add_virtio_blk, device_ids, run_fakeqemu

# How long "nothing arrives" is watched for.
QUIET = 0.3


def add_rule(conn, **rule):
    return conn.execute("x-fakeqemu-fault", {"rule": rule})["id"]


def rules_state(fq, conn=None):
    return fq.state(conn)["faults"]


# ---- one test per action ------------------------------------------------------------

def test_error_class_and_desc_verbatim(launch):
    fq = launch()
    c = fq.connect()
    desc = 'injected: "quoted", back\\slash, \u00e9t\u00e9 \U0001F600'
    add_rule(c, command="stop", action="error", **{"class": "DeviceNotActive"}, desc=desc)
    add_rule(c, command="cont", action="error", desc="no class given")
    rsp = c.command("stop")
    assert rsp == {"id": rsp["id"], "error": {"class": "DeviceNotActive", "desc": desc}}
    rsp = c.command("cont")
    assert rsp["error"] == {"class": "GenericError", "desc": "no class given"}
    # The command did not run: no STOP event, still running.
    c.assert_no_event("STOP", 0.05)
    assert c.execute("query-status")["status"] == "running"


def test_delay_reply_and_pipelined_command(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", action="delay", ms=300)
    t0 = time.monotonic()
    # Both requests in one write: the second must wait for the first.
    c.send_raw(json.dumps({"execute": "query-status", "id": "slow"}) +
               json.dumps({"execute": "query-name", "id": "next"}))
    first = c.read_message(timeout=3)
    elapsed = time.monotonic() - t0
    assert first["id"] == "slow", f"pipelined command answered first: {first}"
    assert first["return"]["status"] == "running"
    assert elapsed >= 0.3, f"delayed reply came after {elapsed:.3f} s"
    second = c.read_message(timeout=3)
    assert second == {"return": {}, "id": "next"}


def test_hang_no_reply_then_fresh_connection_works(launch):
    fq = launch(monitors=2)
    c = fq.connect()
    add_rule(c, command="stop", action="hang")
    c.send("stop")
    assert c.collect(QUIET) == []
    # The monitor reads nothing more on this connection.
    c.send("query-status")
    assert c.collect(QUIET) == []
    # Another monitor is not affected.
    other = fq.connect(monitor=1)
    assert other.execute("query-status")["status"] == "running"
    other.close()
    c.close()
    # After the client leaves, the monitor accepts a new one; the hung
    # command never ran (fakeqemu stops before executing it).
    c2 = fq.connect()
    assert c2.execute("query-status")["status"] == "running"
    (rule,) = rules_state(fq, c2)
    assert (rule["matched"], rule["fired"]) == (1, 1)


def test_drop_closes_connection_after_running_command(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="stop", action="drop")
    n = len(c.chunks)
    c.send("stop")
    assert c.wait_closed(timeout=3), "connection not closed"
    after = b"".join(c.chunks[n:])
    assert b'"return"' not in after and b'"error"' not in after, after
    c2 = fq.connect()
    st = fq.state(c2)
    assert st["status"] == "paused"
    assert (st["faults"][0]["matched"], st["faults"][0]["fired"]) == (1, 1)
    assert c2.execute("query-status")["status"] == "paused"


@pytest.mark.parametrize("code,expected", [(3, 3), (None, 1), (0, 0)])
def test_exit_status(launch, code, expected):
    fq = launch()
    c = fq.connect()
    rule = {"command": "query-status", "action": "exit"}
    if code is not None:
        rule["code"] = code
    add_rule(c, **rule)
    c.send("query-status")
    assert c.wait_closed(timeout=3)
    assert fq.wait(timeout=3) == expected


def test_crash_is_sigabrt(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", action="crash")
    c.send("query-status")
    assert c.wait_closed(timeout=3)
    assert fq.wait(timeout=3) == -signal.SIGABRT


def test_no_event_scsi_hd(launch):
    fq = launch()
    c = fq.connect()
    add_scsi_hd(fq, c, "sd0")
    add_rule(c, command="device_del", action="no-event")
    assert c.execute("device_del", {"id": "sd0"}) == {}
    c.assert_no_event("DEVICE_DELETED", QUIET)
    assert "sd0" not in device_ids(fq.state(c))


def test_no_event_virtio_blk_cooperative(launch):
    fq = launch(["-fake-guest", "cooperative"])
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0")
    add_rule(c, command="device_del", action="no-event")
    assert c.execute("device_del", {"id": "vb0"}) == {}
    c.assert_no_event("DEVICE_DELETED", QUIET)
    # The guest (20 ms) still ejected it: only the events were withheld.
    st = fq.state(c)
    assert "vb0" not in device_ids(st)
    assert "02.0" not in st["pci-buses"][0]["slots"]


def test_delay_event_scsi_hd(launch):
    fq = launch()
    c = fq.connect()
    add_scsi_hd(fq, c, "sd0")
    add_rule(c, command="device_del", action="delay-event", ms=300)
    t0 = time.monotonic()
    assert c.execute("device_del", {"id": "sd0"}) == {}
    assert time.monotonic() - t0 < 0.3, "the reply itself was delayed"
    ev = c.wait_event("DEVICE_DELETED", timeout=3)
    assert time.monotonic() - t0 >= 0.3
    assert ev["data"] == {"device": "sd0", "path": "/machine/peripheral/sd0"}


def test_delay_event_virtio_blk(launch):
    fq = launch()
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0")
    add_rule(c, command="device_del", action="delay-event", ms=300)
    t0 = time.monotonic()
    assert c.execute("device_del", {"id": "vb0"}) == {}
    c.wait_event("DEVICE_DELETED", timeout=3, data={"device": "vb0"})
    # The guest's own 20 ms plus the injected 300 ms.
    assert time.monotonic() - t0 >= 0.32


@pytest.mark.parametrize("kind", ["virtio-blk-pci", "scsi-hd"])
def test_event_before_reply(launch, kind):
    fq = launch()
    c = fq.connect()
    if kind == "scsi-hd":
        add_scsi_hd(fq, c, "dev0")
    else:
        add_virtio_blk(fq, c, "dev0")
    add_rule(c, command="device_del", action="event-before-reply")
    n = len(c.messages)
    rid = c.send("device_del", {"id": "dev0"})
    assert c.recv_reply(rid) == {"return": {}, "id": rid}
    before = c.messages[n:-1]
    assert [m.get("event") for m in before][-1:] == ["DEVICE_DELETED"], before
    assert before[-1]["data"] == {"device": "dev0", "path": "/machine/peripheral/dev0"}
    if kind == "virtio-blk-pci":
        assert [m["data"] for m in before] == [
            {"path": "/machine/peripheral/dev0/virtio-backend"},
            {"device": "dev0", "path": "/machine/peripheral/dev0"}]
    # Sent once, not again after the reply.
    c.take_events()
    c.assert_no_event("DEVICE_DELETED", 0.1)
    assert "dev0" not in device_ids(fq.state(c))


CPU1 = {"driver": "qemu64-x86_64-cpu", "id": "cpu1", "socket-id": 0, "core-id": 1,
        "thread-id": 0}
CPU1_UNPLUG_EVENTS = [
    ("ACPI_DEVICE_OST", {"info": {"device": "cpu1", "slot": "1", "slot-type": "CPU",
                                  "source": 3, "status": 132}}),
    ("DEVICE_DELETED", {"path": "/machine/peripheral/cpu1/lapic"}),
    ("ACPI_DEVICE_OST", {"info": {"slot": "1", "slot-type": "CPU", "source": 3, "status": 0}}),
]


def test_event_before_reply_cpu_unplug(launch):
    fq = launch(["-smp", "1,maxcpus=2"])
    c = fq.connect()
    c.execute("device_add", CPU1)
    c.wait_event("ACPI_DEVICE_OST")
    add_rule(c, command="device_del", action="event-before-reply")
    n = len(c.messages)
    rid = c.send("device_del", {"id": "cpu1"})
    assert c.recv_reply(rid, timeout=2) == {"return": {}, "id": rid}
    assert [(m["event"], m["data"]) for m in c.messages[n:-1]] == CPU1_UNPLUG_EVENTS
    assert fq.proc.poll() is None


def test_no_event_cpu_unplug(launch):
    fq = launch(["-smp", "1,maxcpus=2"])
    c = fq.connect()
    c.execute("device_add", CPU1)
    c.wait_event("ACPI_DEVICE_OST")
    add_rule(c, command="device_del", action="no-event")
    assert c.execute("device_del", {"id": "cpu1"}) == {}
    assert [m for m in c.collect(QUIET) if "event" in m] == []
    assert "cpu1" not in device_ids(fq.state(c))


def test_delayed_reply_dropped_with_its_connection(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", action="delay", ms=200)
    c.send("query-status", id="old")
    c.close()
    c2 = fq.connect()
    assert c2.execute("query-name") == {}
    # The old connection's reply never reaches the new one.
    assert c2.collect(QUIET) == []


def test_split_reply_arrives_in_pieces(launch):
    fq = launch()
    c = fq.connect()
    # One byte per write, 2 ms apart: ~80 writes over >= 160 ms, so even a
    # reader descheduled for a while sees several pieces.
    add_rule(c, command="query-status", action="split", size=1)
    n = len(c.chunks)
    rid = c.send("query-status")
    line = c.read_line()
    pieces = c.chunks[n:]
    assert len(pieces) >= 2, f"reply came in one read: {pieces}"
    assert b"".join(pieces) == line
    reply = json.loads(line)
    assert reply["id"] == rid and reply["return"]["status"] == "running"
    # Only that reply: the next one is whole again.
    n = len(c.chunks)
    c.execute("query-status")
    assert len(c.chunks) - n == 1


def test_merge_reply_with_next_event(launch):
    fq = launch()
    c = fq.connect()
    add_virtio_blk(fq, c, "vb0")
    add_rule(c, command="device_del", action="merge")
    n = len(c.chunks)
    rid = c.send("device_del", {"id": "vb0"})
    assert c.recv_reply(rid) == {"return": {}, "id": rid}
    # The reply was held until the guest's DEVICE_DELETED (20 ms later):
    # they left in the same write.
    first = c.chunks[n]
    lines = first.split(b"\r\n")
    assert json.loads(lines[0]) == {"return": {}, "id": rid}
    assert b'"DEVICE_DELETED"' in first, first


def test_merge_reply_released_after_a_second_alone(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", action="merge")
    t0 = time.monotonic()
    rid = c.send("query-status")
    reply = c.recv_reply(rid, timeout=3)
    elapsed = time.monotonic() - t0
    assert reply["return"]["status"] == "running"
    assert 0.9 <= elapsed < 2.5, elapsed


def test_merge_reply_with_next_reply(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", action="merge")
    n = len(c.chunks)
    a = c.send("query-status")
    assert c.collect(0.1) == []
    b = c.send("query-name")
    assert c.recv_reply(b) == {"return": {}, "id": b}
    assert c.recv_reply(a)["return"]["status"] == "running"
    assert len(c.chunks) - n == 1, c.chunks[n:]


def test_merge_hold_not_cut_short_by_an_earlier_merge(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", action="merge", count=2)
    a = c.send("query-status")
    b = c.send("query-name")   # releases a's reply at once
    c.recv_reply(b)
    c.recv_reply(a)
    assert c.collect(0.5) == []
    t1 = time.monotonic()
    rid = c.send("query-status")  # held again: up to 1 s, or until the next message
    c.recv_reply(rid, timeout=3)
    held = time.monotonic() - t1
    assert held >= 0.9, f"second merged reply released alone after {held:.3f} s"


def test_garbage_before_reply(launch):
    fq = launch()
    c = fq.connect()
    junk = "}{ not json \x01"
    add_rule(c, command="query-status", action="garbage", bytes=junk)
    rid = c.send("query-status")
    raw = c.read_raw_until(b"\r\n")
    assert raw.startswith(junk.encode()), raw
    reply = json.loads(raw[len(junk):])
    assert reply["id"] == rid and reply["return"]["status"] == "running"
    # The connection is still usable, and the next reply is clean.
    rid = c.send("query-name")
    assert json.loads(c.read_raw_until(b"\r\n")) == {"return": {}, "id": rid}


# ---- matching --------------------------------------------------------------------------

def statuses(c, n):
    """Send query-status @n times; 'ok' or the injected desc for each."""
    out = []
    for _ in range(n):
        rsp = c.command("query-status")
        out.append("ok" if "return" in rsp else rsp["error"]["desc"])
    return out


def test_nth(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", nth=2, action="error", desc="second")
    assert statuses(c, 4) == ["ok", "second", "ok", "ok"]
    (r,) = rules_state(fq, c)
    assert (r["matched"], r["fired"]) == (4, 1)


@pytest.mark.parametrize("nth,count,expected", [
    (2, 2, ["ok", "E", "E", "ok", "ok"]),
    (1, 3, ["E", "E", "E", "ok", "ok"]),
    (3, 0, ["ok", "ok", "E", "E", "E"]),
    (1, 1, ["E", "ok", "ok", "ok", "ok"]),
])
def test_nth_and_count(launch, nth, count, expected):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", nth=nth, count=count, action="error", desc="E")
    assert statuses(c, 5) == expected
    (r,) = rules_state(fq, c)
    assert r["matched"] == 5
    assert r["fired"] == expected.count("E")


def test_match_arguments(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="device_del", match={"id": "target"}, nth=2, action="error",
             desc="matched")
    # Other ids neither fire nor count towards nth.
    results = []
    for dev in ("other", "target", "other2", "target", "target"):
        err = c.command("device_del", {"id": dev})["error"]
        if err == {"class": "GenericError", "desc": "matched"}:
            results.append((dev, "E"))
        else:
            assert err == {"class": "DeviceNotFound", "desc": f"Device '{dev}' not found"}
            results.append((dev, "ok"))
    assert results == [("other", "ok"), ("target", "ok"), ("other2", "ok"),
                       ("target", "E"), ("target", "ok")]
    (r,) = rules_state(fq, c)
    assert (r["matched"], r["fired"]) == (3, 1)


def test_match_compares_json_values(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="qom-get", match={"path": "/machine", "property": "type"},
             count=0, action="error", desc="hit")
    assert c.command("qom-get", {"path": "/machine", "property": "type"})["error"]["desc"] \
        == "hit"
    # Every member of "match" must be equal; other arguments may differ.
    rsp = c.command("qom-get", {"path": "/machine", "property": "nope"})
    assert rsp["error"]["desc"] == "Property 'pc-i440fx-7.2-machine.nope' not found"


def test_rule_for_other_command_never_counts(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-name", action="error", desc="x")
    assert statuses(c, 2) == ["ok", "ok"]
    (r,) = rules_state(fq, c)
    assert (r["matched"], r["fired"]) == (0, 0)


def test_two_rules_on_one_command_both_apply(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", action="delay", ms=200)
    add_rule(c, command="query-status", action="error", desc="late error")
    t0 = time.monotonic()
    rsp = c.command("query-status", timeout=3)
    assert time.monotonic() - t0 >= 0.2
    assert rsp["error"]["desc"] == "late error"
    assert [(r["matched"], r["fired"]) for r in rules_state(fq, c)] == [(1, 1), (1, 1)]


def test_delay_combined_with_garbage(launch):
    fq = launch()
    c = fq.connect()
    add_rule(c, command="query-status", action="delay", ms=100)
    add_rule(c, command="query-status", action="garbage", bytes="JUNK")
    c.send("query-status")
    raw = c.read_raw_until(b"\r\n", timeout=3)
    assert raw.startswith(b"JUNK"), raw


def test_fault_on_qmp_capabilities(launch, tmp_path):
    rules = tmp_path / "caps.json"
    rules.write_text(json.dumps([{"command": "qmp_capabilities", "action": "error",
                                  "desc": "negotiation refused"}]))
    fq = launch(["-fake-faults", str(rules)])
    c = fq.connect(negotiate=False)
    rsp = c.command("qmp_capabilities")
    assert rsp.get("error", {}).get("desc") == "negotiation refused", rsp


# ---- where rules come from ------------------------------------------------------------

RULES = [
    {"command": "query-status", "nth": 2, "action": "error", "desc": "from file"},
    {"command": "query-name", "action": "error", "class": "DeviceNotFound", "desc": "nameless"},
]


@pytest.mark.parametrize("how", ["option", "env"])
def test_rules_from_file(launch, tmp_path, how):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(RULES))
    if how == "option":
        fq = launch(["-fake-faults", str(path)])
    else:
        fq = launch(env={"FAKEQEMU_FAULTS": str(path)})
    c = fq.connect()
    assert statuses(c, 3) == ["ok", "from file", "ok"]
    rsp = c.command("query-name")
    assert rsp["error"] == {"class": "DeviceNotFound", "desc": "nameless"}
    st = rules_state(fq, c)
    assert [r["id"] for r in st] == [1, 2]
    assert [r["rule"] for r in st] == RULES
    assert [(r["matched"], r["fired"]) for r in st] == [(3, 1), (1, 1)]


def test_rules_file_with_one_object(launch, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(RULES[1]))
    fq = launch(["-fake-faults", str(path)])
    c = fq.connect()
    assert c.command("query-name")["error"]["desc"] == "nameless"


def test_option_wins_over_env(launch, tmp_path):
    opt = tmp_path / "opt.json"
    env = tmp_path / "env.json"
    opt.write_text(json.dumps([{"command": "query-name", "action": "error", "desc": "opt"}]))
    env.write_text(json.dumps([{"command": "query-name", "action": "error", "desc": "env"}]))
    fq = launch(["-fake-faults", str(opt)], env={"FAKEQEMU_FAULTS": str(env)})
    c = fq.connect()
    assert c.command("query-name")["error"]["desc"] == "opt"
    assert len(rules_state(fq, c)) == 1


@pytest.mark.parametrize("content,message", [
    ('[{"command": "query-status", "action": "boom"}]',
     "rule 0: fault rule: unknown action 'boom' (error, delay, hang, drop, exit, crash, "
     "no-event, delay-event, event-before-reply, split, merge, garbage)"),
    ('[{"command": "x", "action": "delay"}, {"action": "delay"}]',
     "rule 1: fault rule: 'command' and 'action' are required strings"),
    ('"rules"', "expected an array of rule objects"),
    ('42\n', "expected an array of rule objects"),
    ('42', "expected an array of rule objects"),
    ('{"command": "x", "action": "error"}',
     "fault rule: action 'error' needs a 'desc' string (and optionally 'class', default "
     "GenericError)"),
])
def test_bad_rules_file_exits_1(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    for how in ("option", "env"):
        if how == "option":
            proc = run_fakeqemu(["-display", "none", "-fake-faults", str(path)])
        else:
            proc = run_fakeqemu(["-display", "none"], env={"FAKEQEMU_FAULTS": str(path)})
        assert proc.returncode == 1, proc
        assert proc.stderr == f"fakeqemu: -fake-faults {path}: {message}\n"


def test_unreadable_rules_file_exits_1(tmp_path):
    path = tmp_path / "missing.json"
    proc = run_fakeqemu(["-display", "none", "-fake-faults", str(path)])
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"fakeqemu: -fake-faults {path}: cannot read a JSON file")


# ---- x-fakeqemu-fault ----------------------------------------------------------------

def test_add_returns_increasing_ids_and_clear_drops_all(launch):
    fq = launch()
    c = fq.connect()
    a = add_rule(c, command="query-status", action="error", desc="a", count=0)
    b = add_rule(c, command="query-name", action="error", desc="b", count=0)
    assert (a, b) == (1, 2)
    st = rules_state(fq, c)
    assert [(r["id"], r["rule"]["desc"], r["matched"], r["fired"]) for r in st] == \
        [(1, "a", 0, 0), (2, "b", 0, 0)]
    assert c.command("query-status")["error"]["desc"] == "a"
    assert c.execute("x-fakeqemu-fault", {"clear": True}) == {}
    assert rules_state(fq, c) == []
    assert c.execute("query-status")["status"] == "running"
    assert c.execute("query-name") == {}


@pytest.mark.parametrize("args,desc", [
    ({}, 'x-fakeqemu-fault: expected {"rule": {...}} or {"clear": true}'),
    ({"clear": False}, 'x-fakeqemu-fault: expected {"rule": {...}} or {"clear": true}'),
    ({"rule": "error"}, "fault rule: must be a JSON object"),
    ({"rule": {"action": "error", "desc": "d"}},
     "fault rule: 'command' and 'action' are required strings"),
    ({"rule": {"command": "stop"}}, "fault rule: 'command' and 'action' are required strings"),
    ({"rule": {"command": 1, "action": "hang"}},
     "fault rule: 'command' and 'action' are required strings"),
    ({"rule": {"command": "stop", "action": "explode"}},
     "fault rule: unknown action 'explode' (error, delay, hang, drop, exit, crash, no-event, "
     "delay-event, event-before-reply, split, merge, garbage)"),
    ({"rule": {"command": "stop", "action": "hang", "match": ["id"]}},
     "fault rule: 'match' must be an object of argument values"),
    ({"rule": {"command": "stop", "action": "hang", "nth": 0}},
     "fault rule: 'nth' must be an integer >= 1"),
    ({"rule": {"command": "stop", "action": "hang", "nth": "2"}},
     "fault rule: 'nth' must be an integer >= 1"),
    ({"rule": {"command": "stop", "action": "hang", "count": -1}},
     "fault rule: 'count' must be an integer >= 0"),
    ({"rule": {"command": "stop", "action": "delay", "ms": -5}},
     "fault rule: 'ms' must be an integer >= 0"),
    ({"rule": {"command": "stop", "action": "exit", "code": 1.5}},
     "fault rule: 'code' must be an integer >= 0"),
    ({"rule": {"command": "stop", "action": "split", "size": 0}},
     "fault rule: 'size' must be an integer >= 1"),
    ({"rule": {"command": "stop", "action": "error"}},
     "fault rule: action 'error' needs a 'desc' string (and optionally 'class', default "
     "GenericError)"),
    ({"rule": {"command": "stop", "action": "error", "desc": 7}},
     "fault rule: action 'error' needs a 'desc' string (and optionally 'class', default "
     "GenericError)"),
    ({"rule": {"command": "stop", "action": "garbage"}},
     "fault rule: action 'garbage' needs a 'bytes' string"),
])
def test_invalid_rules_rejected(launch, args, desc):
    fq = launch()
    c = fq.connect()
    rsp = c.command("x-fakeqemu-fault", args)
    assert rsp["error"] == {"class": "GenericError", "desc": desc}
    assert rules_state(fq, c) == []
    # A rejected rule does not use up an id.
    assert add_rule(c, command="stop", action="hang") == 1
