"""fakeqemu against the transcripts recorded from real QEMU 5.2, 7.2 and 10.0.

Each probe script of tests/conformance/scripts is played against fakeqemu
with -fake-version V and compared, message by message and byte by byte
(timestamps, host thread ids and temp paths normalised), with the transcript
recorded from the real binary. The argv error cases recorded per version
(fakeqemu-data/V/argv-errors.json) are checked the same way.
"""
import json
import os
import subprocess
import sys

import pytest

from qdtest import BUILD_DIR

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CONF = os.path.join(ROOT, "tests", "conformance")
FAKEQEMU = os.path.join(BUILD_DIR, "fakeqemu", "fakeqemu")
VERSIONS = ["5.2", "7.2", "10.0"]
SCRIPTS = sorted(f[:-5] for f in os.listdir(os.path.join(CONF, "scripts")) if f.endswith(".json"))

sys.path.insert(0, CONF)
import record  # noqa: E402  (the recorder is the reference implementation of the comparison)
import known_gaps  # noqa: E402


@pytest.fixture(scope="module", params=VERSIONS)
def fake_transcripts(request, tmp_path_factory):
    """Record every script against fakeqemu once per version."""
    version = request.param
    out = tmp_path_factory.mktemp(f"fake-{version}")
    env = dict(os.environ, FAKEQEMU_VERSION=version, FAKEQEMU_GUEST="absent")
    proc = subprocess.run(
        [sys.executable, os.path.join(CONF, "record.py"), "--qemu", FAKEQEMU, "--out", str(out), "--jobs", "4"]
        + [os.path.join(CONF, "scripts", s + ".json") for s in SCRIPTS],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return version, str(out)


@pytest.mark.parametrize("script", known_gaps.params(SCRIPTS))
def test_script_matches_real_qemu(fake_transcripts, script):
    version, out = fake_transcripts
    real = record.load_transcript(os.path.join(CONF, "transcripts", version, script + ".jsonl"))
    fake = record.load_transcript(os.path.join(out, script + ".jsonl"))
    real = [x for x in real if "racy_event" not in x]
    fake = [x for x in fake if "racy_event" not in x]
    for i, (a, b) in enumerate(zip(real, fake)):
        assert a == b, f"{version}/{script}: item {i} differs:\n real: {a}\n fake: {b}"
    assert len(real) == len(fake), f"{version}/{script}: {len(real)} vs {len(fake)} items"
    raw_real = open(os.path.join(CONF, "transcripts", version, script + ".raw"), "rb").read()
    raw_fake = open(os.path.join(out, script + ".raw"), "rb").read()
    assert raw_real == raw_fake, f"{version}/{script}: same messages but different bytes"


def argv_cases():
    for version in VERSIONS:
        path = os.path.join(ROOT, "fakeqemu-data", version, "argv-errors.json")
        for i, case in enumerate(json.load(open(path))):
            yield pytest.param(version, case, id=f"{version}-{i}-{' '.join(case['argv'][:2])}")


@pytest.mark.parametrize("version,case", list(argv_cases()))
def test_argv_error_matches_real_qemu(version, case):
    env = dict(os.environ, FAKEQEMU_VERSION=version)
    proc = subprocess.run([FAKEQEMU] + case["argv"], env=env, capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)
    stderr = proc.stderr.replace("fakeqemu: ", "qemu-system-x86_64: ")
    assert (proc.returncode, stderr) == (case["exit"], case["stderr"])


# ---- with a booted Linux guest ------------------------------------------------------------

# Recorded from real QEMU 7.2 and 10.0 with the test guest (tests/conformance/guest).
GUEST_VERSIONS = ["7.2", "10.0"]
GUEST_SCRIPTS = sorted(f[:-6] for f in os.listdir(os.path.join(CONF, "transcripts", "7.2-guest"))
                       if f.endswith(".jsonl"))
NOT_MODELLED = {
    "cpu-replug": "real QEMU 7.2 and 10.0 crash (SIGSEGV or SIGABRT) when a CPU is plugged again "
                  "after an unplug under TCG; fakeqemu does not imitate crashes",
    "powerdown-ignored": "a guest without acpid ignores the power button; fakeqemu's "
                         "cooperative guest always powers off",
}


@pytest.fixture(scope="module", params=GUEST_VERSIONS)
def fake_guest_transcripts(request, tmp_path_factory):
    version = request.param
    out = str(tmp_path_factory.mktemp(f"fake-guest-{version}"))
    proc = subprocess.run(
        [sys.executable, os.path.join(CONF, "guest", "record_guest.py"), "--qemu", FAKEQEMU,
         "--no-console", "--out", out, "--jobs", "4", "--arg=-fake-version", f"--arg={version}",
         "--arg=-fake-guest", "--arg=cooperative"],
        capture_output=True, text=True, timeout=300)
    # The recorder flags scenarios that did not run as written: only unmodelled ones may.
    problems = [line.split(":")[0] for line in proc.stdout.splitlines() if "PROBLEMS" in line]
    assert set(problems) <= set(NOT_MODELLED), proc.stdout[-2000:] + proc.stderr[-2000:]
    return version, out


@pytest.mark.parametrize("script", GUEST_SCRIPTS)
def test_cooperative_guest_matches_a_linux_guest(fake_guest_transcripts, script):
    version, out = fake_guest_transcripts
    if script in NOT_MODELLED:
        pytest.skip(NOT_MODELLED[script])
    real = record.load_transcript(os.path.join(CONF, "transcripts", f"{version}-guest",
                                               script + ".jsonl"))
    fake = record.load_transcript(os.path.join(out, script + ".jsonl"))
    for i, (a, b) in enumerate(zip(real, fake)):
        assert a == b, f"{version}-guest/{script}: item {i}:\n real: {a}\n fake: {b}"
    assert len(real) == len(fake)
