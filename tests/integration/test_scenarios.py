"""`qdctl scenario`: the scenario format's errors, the progress and summary it prints,
its exit status, the JUnit XML and results JSON it writes, and the shipped catalogue
(scenarios/*.json), each scenario of which must pass on fakeqemu.

Every error message must name the file, the step and the member, so each bad input
below is checked against the exact message qdctl prints.
"""
import glob
import json
import os
import xml.etree.ElementTree as ET

import pytest

from qdtest import WRAPPER, run_qdctl, short_tmpdir

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CATALOGUE = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.json")))
# Under valgrind each qdctl run is ~20x slower: a few scenarios cover the runner there;
# the plain and ASan tiers run the whole catalogue. (No "restart" scenario: valgrind has no
# pidfd_open, and the library then cannot see an attached QEMU that is its own child die.)
VALGRIND_SUBSET = {"qemu-block-plug", "fault-device-add-refused", "fault-crash-on-device-add",
                   "qemu-scsi-plug-unplug", "guest-block-hotplug"}


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def scenario(steps, **top):
    return {"steps": steps, **top}


START = {"op": "start"}
STOP = {"op": "stop"}


# ---- parser errors -------------------------------------------------------------------------

BAD = [
    ("not-json", "{\n  \"steps\": [\n    {\"op\": \"start\"},,\n  ]\n}\n",
     "{f}: line 3, column 21: not valid JSON: unexpected character"),
    ("truncated", "{\"steps\": [{\"op\": \"start\"}",
     "{f}: line 1: the JSON ends early (an unclosed object or string?)"),
    ("trailing", "{\"steps\": [{\"op\": \"start\"}]}\n{}",
     "{f}: line 2, column 1: text after the end of the scenario object"),
    ("not-object", "[1, 2]", "{f}: '(top level)': must be an object, not an array"),
    ("unknown-top", scenario([START], stpes=[]),
     "{f}: unknown member 'stpes' (a scenario takes: description, level, tags, requires, vm, "
     "fakeqemu, timeout_ms, boot_timeout_ms, steps, comment, known)"),
    ("no-steps", {"description": "x"}, "{f}: 'steps': required: an array of steps"),
    ("empty-steps", scenario([]), "{f}: 'steps': empty: a scenario needs at least one step"),
    ("step-not-object", scenario([START, "stop"]), "{f}: step 2: must be an object, not a string"),
    ("no-op", scenario([START, {"id": "d0"}]),
     "{f}: step 2: 'op': required, a string: one of start, stop, pause, resume, status, caps, "
     "restart, reconcile, kill, add-vcpus, remove-vcpus, add-block, add-blocks, remove-block, "
     "add-vfio, remove-vfio, add-memory, remove-memory, add-net, add-nets, remove-net, qmp, "
     "wait-event, fault, guest-run, guest-wait"),
    ("unknown-op", scenario([START, {"op": "add-disk", "id": "d0"}]),
     "{f}: step 2: 'op': unknown op 'add-disk' (known: start, stop, pause, resume, status, caps, "
     "restart, reconcile, kill, add-vcpus, remove-vcpus, add-block, add-blocks, remove-block, "
     "add-vfio, remove-vfio, add-memory, remove-memory, add-net, add-nets, remove-net, qmp, "
     "wait-event, fault, guest-run, guest-wait)"),
    ("unknown-member", scenario([START, {"op": "add-block", "id": "d0", "sise_mb": 8}]),
     "{f}: step 2 (add-block): unknown member 'sise_mb' (add-block takes: id, path, size_mb, "
     "format, read_only, index, and name, comment, timeout_ms, expect)"),
    ("bad-choice", scenario([START, {"op": "add-memory", "id": "m0", "size_mb": 64,
                                     "model": "nvdimm"}]),
     "{f}: step 2 (add-memory): 'model': must be one of dimm, virtio-mem"),
    ("list-not-array", scenario([START, {"op": "add-blocks", "disks": {"id": "d0"}}]),
     "{f}: step 2 (add-blocks): 'disks': must be an array of objects, not an object"),
    ("list-empty", scenario([START, {"op": "add-blocks", "disks": []}]),
     "{f}: step 2 (add-blocks): 'disks': must not be empty"),
    ("list-entry-member", scenario([START, {"op": "add-blocks", "disks": [{"id": "d0"},
                                                                        {"id": "d1", "ro": 1}]}]),
     "{f}: step 2 (add-blocks): disks[1]: unknown member 'ro' (disks takes: id, path, size_mb, "
     "format, read_only, index)"),
    ("list-entry-required", scenario([START, {"op": "add-blocks", "disks": [{"path": "/x"}]}]),
     "{f}: step 2 (add-blocks): disks[0]: 'id': required"),
    ("wrong-type", scenario([START, {"op": "add-block", "id": "d0", "index": "3"}]),
     "{f}: step 2 (add-block): 'index': must be a non-negative integer, not a string"),
    ("negative", scenario([START, {"op": "add-vcpus", "count": -1}]),
     "{f}: step 2 (add-vcpus): 'count': must be a non-negative integer, not a negative or too "
     "large number"),
    ("missing-param", scenario([START, {"op": "add-block", "path": "/x"}]),
     "{f}: step 2 (add-block): 'id': required"),
    ("bad-timeout", scenario([{"op": "start", "timeout_ms": 1.5}]),
     "{f}: step 1 (start): 'timeout_ms': must be a non-negative integer, not a number with a "
     "fraction"),
    ("expect-unknown", scenario([{"op": "start", "expect": {"okay": True}}]),
     "{f}: step 1 (start): unknown member 'okay' (expect takes: ok, error, result, match, state, "
     "qemu, events, no_events)"),
    ("errno-name", scenario([{"op": "start", "expect": {"error": {"errno": "ENOSPACE"}}}]),
     "{f}: step 1 (start): 'expect.error.errno': unknown errno name 'ENOSPACE' (write it as "
     "ENOSPC, ETIMEDOUT, EREMOTEIO, ...)"),
    ("contradiction", scenario([{"op": "start", "expect": {"ok": True, "error": {}}}]),
     "{f}: step 1 (start): 'expect.error': contradicts \"ok\": true"),
    ("bad-regex", scenario([{"op": "start", "expect": {"error": {"message": "(unclosed"}}}]),
     "{f}: step 1 (start): 'expect.error.message': not a valid regular expression (POSIX "
     "extended): Unmatched ( or \\("),
    ("state-member", scenario([{"op": "start", "expect": {"state": {"disks": []}}}]),
     "{f}: step 1 (start): unknown member 'disks' (expect.state takes: vcpus, devices, plugging, "
     "unplugging, slots, records, vcpu_ids)"),
    ("qemu-member-type", scenario([{"op": "start", "expect": {"qemu": {"cpus": "2"}}}]),
     "{f}: step 1 (start): 'expect.qemu.cpus': must be a non-negative integer, not a string"),
    ("event-entry", scenario([{"op": "start", "expect": {"events": [3]}}]),
     "{f}: step 1 (start): 'expect.events[0]': must be an event name or an object, not an "
     "integer"),
    ("vm-member", scenario([START], vm={"vcpu": 2}), "{f}: vm: unknown member 'vcpu'"),
    ("vm-type", scenario([START], vm={"vcpus": "2"}),
     "{f}: vm: 'vcpus' must be a non-negative integer"),
    ("vm-qemu", scenario([START], vm={"qemu": "/usr/bin/qemu-system-x86_64"}),
     "{f}: 'vm.qemu': the QEMU binary is chosen with --qemu, not in the scenario"),
    ("fake-guest", scenario([START], fakeqemu={"guest": "friendly"}),
     "{f}: fakeqemu: 'guest': must be cooperative, absent, reject or slow=MS, not 'friendly'"),
    ("fake-version", scenario([START], fakeqemu={"version": "seven"}),
     "{f}: fakeqemu: 'version': must be a QEMU version such as \"7.2\", not 'seven'"),
    ("fake-fault", scenario([START], fakeqemu={"faults": [{"command": "device_add"}]}),
     "{f}: fakeqemu: 'faults'[0]: a rule is an object with \"command\" and \"action\" strings "
     "(README: fault rules)"),
    ("level", scenario([START], level="os"), "{f}: 'level': must be \"qemu\" or \"guest\""),
    ("console-at-qemu-level", scenario([START, {"op": "guest-run", "command": "true"}]),
     "{f}: step 2 (guest-run): 'op': talks to the guest: needs \"level\": \"guest\""),
    ("signal", scenario([START, {"op": "kill", "signal": "SIGFOO"}]),
     "{f}: step 2 (kill): 'signal': unknown signal 'SIGFOO' (KILL, TERM, SEGV, ABRT, ...)"),
    ("requires", scenario([START], requires=["gpu"]),
     "{f}: 'requires'[0]: unknown requirement 'gpu' (fakeqemu, kvm, taps)"),
    ("known-reason", scenario([START], known=[{"qemu": "7.2.*"}]),
     "{f}: 'known[0].reason': required: a string saying what is known"),
]


@pytest.mark.parametrize("name, content, message", BAD, ids=[b[0] for b in BAD])
def test_a_bad_scenario_is_an_error_naming_file_step_and_member(tmp_path, name, content, message):
    path = write(tmp_path, f"{name}.json", content)
    proc = run_qdctl("scenario", "--check", path, check=2)
    assert proc.stderr == f"qdctl: {message.format(f=path)}\n"
    # The same when running: the file is an "error" result and the exit status is 2.
    out = tmp_path / "junit.xml"
    proc = run_qdctl("scenario", "--junit", str(out), path, check=2)
    assert f"qdctl: {message.format(f=path)}\n" in proc.stderr
    case = ET.parse(out).getroot().find("testsuite/testcase")
    assert case.get("name") == name
    assert case.find("error").get("message") == message.format(f=path)


def test_an_unreadable_file_is_named(tmp_path):
    path = str(tmp_path / "missing.json")
    proc = run_qdctl("scenario", "--check", path, check=2)
    assert proc.stderr == f"qdctl: {path}: cannot read: No such file or directory\n"


def test_check_reports_what_only_fakeqemu_can_run(tmp_path):
    ok = write(tmp_path, "ok.json", scenario([START, STOP]))
    faults = write(tmp_path, "faults.json", scenario([START], fakeqemu={
        "faults": [{"command": "device_add", "action": "crash"}]}))
    step = write(tmp_path, "step.json", scenario([START, {"op": "fault", "rule": {}}]))
    proc = run_qdctl("scenario", "--check", ok, faults, step, check=0)
    assert proc.stdout.splitlines() == [
        f"{ok}: ok (2 steps, QEMU level)",
        f"{faults}: ok (1 steps, QEMU level; fakeqemu only: it injects faults (fakeqemu.faults))",
        f"{step}: ok (2 steps, QEMU level; fakeqemu only: step 2 (fault) only works on fakeqemu)",
    ]


def test_a_directory_stands_for_its_json_files_by_name(tmp_path):
    d = tmp_path / "cases"
    d.mkdir()
    b = write(d, "b.json", scenario([START, STOP]))
    a = write(d, "a.json", scenario([START]))
    (d / "notes.txt").write_text("not a scenario")
    proc = run_qdctl("scenario", "--check", str(d), check=0)
    assert proc.stdout.splitlines() == [f"{a}: ok (1 steps, QEMU level)",
                                        f"{b}: ok (2 steps, QEMU level)"]
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_qdctl("scenario", str(empty), check=2)
    assert proc.stderr == f"qdctl: {empty}: no scenario (*.json) in this directory\n"


# ---- running: progress, summary, exit status ------------------------------------------------

PASSING = scenario([START, {"op": "add-vcpus", "count": 2, "expect": {"result": {"added": 2}}},
                    STOP], description="two vCPUs")
FAILING = scenario([START, {"op": "add-vcpus", "count": 1, "expect": {"result": {"added": 2}}},
                    STOP])
FAKE_ONLY = scenario([START, {"op": "fault", "rule": {"command": "device_add",
                                                       "action": "error", "desc": "no"}},
                      {"op": "add-vcpus", "count": 1,
                       "expect": {"error": {"errno": "EREMOTEIO", "message": "^no$"}}}, STOP])


def lines_of(proc):
    # Step lines end with a duration that varies: compare without it.
    return [line.rsplit(None, 2)[0] if line.endswith(" ms") and line.startswith("  [") else line
            for line in proc.stdout.splitlines()]


def test_progress_lines_and_summary(tmp_path):
    good = write(tmp_path, "good.json", PASSING)
    bad = write(tmp_path, "bad.json", FAILING)
    proc = run_qdctl("scenario", good, bad, check=1)
    lines = lines_of(proc)
    assert lines[1] == "=== good (QEMU level) on fakeqemu 7.2: two vCPUs"
    assert lines[2:5] == ["  [ 1/3] start                              ok",
                          "  [ 2/3] add-vcpus 2                        ok",
                          "  [ 3/3] stop                               ok"]
    assert lines[5].startswith("--- PASS good (3 steps, ")
    assert lines[6] == "=== bad (QEMU level) on fakeqemu 7.2"
    assert lines[8] == "  [ 2/3] add-vcpus 1                        FAIL"
    assert lines[9] == "           ! result.added: expected 2, got 1"
    assert lines[10].startswith("--- FAIL bad (3 steps, ")
    assert lines[10].endswith("): step 2 (add-vcpus 1): result.added: expected 2, got 1")
    assert lines[-2].startswith("summary: 2 scenarios on fakeqemu 7.2: 1 passed, 1 failed, "
                                "0 crashed, 0 errors, 0 skipped (")
    assert lines[-1] == "FAILED: bad: step 2 (add-vcpus 1): result.added: expected 2, got 1"


def test_fake_only_scenario_is_skipped_on_real_qemu_with_the_reason(tmp_path):
    qemu = os.environ.get("QD_QEMU") or "/usr/bin/qemu-system-x86_64"
    if not os.access(qemu, os.X_OK):
        pytest.skip("no real QEMU here")
    path = write(tmp_path, "fake.json", FAKE_ONLY)
    proc = run_qdctl("scenario", "-q", qemu, path, check=0)
    assert "--- SKIP fake: only fakeqemu can run it: step 2 (fault) only works on fakeqemu" \
        in proc.stdout
    assert "0 passed, 0 failed, 0 crashed, 0 errors, 1 skipped" in proc.stdout
    # ... and runs on fakeqemu.
    run_qdctl("scenario", path, check=0)


def test_a_qemu_that_is_not_one_is_a_set_up_failure(tmp_path):
    path = write(tmp_path, "good.json", PASSING)
    proc = run_qdctl("scenario", "-q", "/bin/true", path, check=3)
    assert proc.stderr == ("qdctl: --qemu /bin/true: '/bin/true -version' did not print a QEMU "
                           "version\n")
    proc = run_qdctl("scenario", "-q", str(tmp_path / "nope"), path, check=3)
    assert "cannot run it: No such file or directory" in proc.stderr


# ---- JUnit and JSON ------------------------------------------------------------------------------

def test_junit_and_json_are_well_formed_and_agree(tmp_path):
    files = [write(tmp_path, "good.json", PASSING), write(tmp_path, "bad.json", FAILING),
             write(tmp_path, "broken.json", "{"), write(tmp_path, "fake.json", FAKE_ONLY)]
    junit, results = tmp_path / "out.xml", tmp_path / "out.json"
    run_qdctl("scenario", "--junit", str(junit), "--json", str(results), *files, check=2)

    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == \
        ("4", "1", "1", "0")
    suite = root.find("testsuite")
    assert suite.get("name").startswith("fakeqemu 7.2 — machine ")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["qemu.version"] == "7.2.22" and props["qemu.accel"] in ("kvm", "tcg")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"good", "bad", "broken", "fake"}
    assert cases["good"].find("failure") is None and cases["good"].find("error") is None
    assert cases["good"].get("classname") == "fakeqemu-7.2.qemu"
    failure = cases["bad"].find("failure")
    assert failure.get("message") == "step 2 (add-vcpus 1): result.added: expected 2, got 1"
    assert failure.get("type") == "fail"
    # The QMP excerpt of the failed step is in the body.
    assert '> {"execute":"device_add"' in failure.text
    assert "QMP of the failed step:" in failure.text
    assert cases["broken"].find("error").get("message").endswith(
        "broken.json: line 1: the JSON ends early (an unclosed object or string?)")

    doc = json.loads(results.read_text())
    assert doc["format"] == "qdctl-results/1"
    assert [t["id"] for t in doc["targets"]] == ["t1"]
    assert doc["targets"][0]["fake"] is True
    by_name = {r["scenario"]: r for r in doc["results"]}
    assert {n: r["outcome"] for n, r in by_name.items()} == {
        "good": "pass", "bad": "fail", "broken": "error", "fake": "pass"}
    assert doc["summary"]["t1"] == {"pass": 2, "fail": 1, "crash": 0, "error": 1, "skip": 0}
    steps = by_name["bad"]["steps"]
    assert [s["outcome"] for s in steps] == ["pass", "fail", "not-run"]
    assert steps[1]["observed"] == {"ok": True, "added": 1}
    assert steps[1]["failures"] == ["result.added: expected 2, got 1"]
    assert any('"execute":"device_add"' in line for line in steps[1]["qmp"])
    assert by_name["fake"]["steps"][2]["observed"]["error"] == {
        "errno": "EREMOTEIO", "class": "GenericError", "message": "no"}


def test_events_state_and_qemu_checks_fail_with_what_was_found(tmp_path):
    path = write(tmp_path, "checks.json", scenario([
        START,
        {"op": "add-block", "id": "d0",
         "expect": {"events": ["DEVICE_DELETED"], "state": {"devices": ["d0", "d1"], "slots": 2},
                    "qemu": {"devices_absent": ["d0"], "cpus": 3}}}], vm={"bridges": 1}))
    results = tmp_path / "out.json"
    run_qdctl("scenario", "--json", str(results), path, check=1)
    step = json.loads(results.read_text())["results"][0]["steps"][1]
    assert step["failures"] == [
        "events: expected DEVICE_DELETED during the step; seen: []",
        'state.devices: expected ["d0","d1"], found ["d0"]',
        "state.slots: expected 2 bridge slots in use, found 1",
        "qemu.cpus: expected 3 vCPUs, QEMU has 1",
        # qom-list /machine/peripheral: QEMU's (GLib hash table) order.
        "qemu.devices_absent: QEMU still has 'd0' (it has "
        '["console0","pci-bridge-0","d0","serial0"])',
    ]


def test_known_issue_keeps_the_outcome_and_the_exit_status(tmp_path):
    path = write(tmp_path, "known.json", dict(FAILING, known=[
        {"qemu": "7.2.*", "fake": True, "reason": "the fake adds one at a time here"}]))
    results = tmp_path / "out.json"
    proc = run_qdctl("scenario", "--json", str(results), path, check=0)
    assert "[known issue: the fake adds one at a time here]" in proc.stdout
    assert "KNOWN FAILED: known: step 2" in proc.stdout
    r = json.loads(results.read_text())["results"][0]
    assert (r["outcome"], r["known"]) == ("fail", "the fake adds one at a time here")


# ---- the catalogue ----------------------------------------------------------------------------------

def test_the_catalogue_is_big_enough_and_valid():
    assert len(CATALOGUE) >= 40
    proc = run_qdctl("scenario", "--check", *CATALOGUE, check=0)
    assert proc.stdout.count(": ok (") == len(CATALOGUE)
    levels = {json.load(open(f)).get("level", "qemu") for f in CATALOGUE}
    assert levels == {"qemu", "guest"}


RUN = [p for p in CATALOGUE if not WRAPPER or os.path.basename(p)[:-5] in VALGRIND_SUBSET]


@pytest.mark.parametrize("path", RUN, ids=[os.path.basename(p)[:-5] for p in RUN])
def test_catalogue_scenario_passes_on_fakeqemu(path):
    out = os.path.join(short_tmpdir(), "out.json")
    proc = run_qdctl("scenario", "--json", out, path, timeout=300)
    result = json.load(open(out))["results"][0]
    assert result["outcome"] == "pass", proc.stdout + proc.stderr
    assert proc.returncode == 0
