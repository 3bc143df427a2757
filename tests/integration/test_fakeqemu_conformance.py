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


@pytest.fixture(scope="module", params=VERSIONS)
def fake_transcripts(request, tmp_path_factory):
    """Record every script against fakeqemu once per version."""
    version = request.param
    out = tmp_path_factory.mktemp(f"fake-{version}")
    env = dict(os.environ, FAKEQEMU_VERSION=version, FAKEQEMU_GUEST="absent")
    proc = subprocess.run(
        [sys.executable, os.path.join(CONF, "record.py"), "--qemu", FAKEQEMU, "--out", str(out)]
        + [os.path.join(CONF, "scripts", s + ".json") for s in SCRIPTS],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return version, str(out)


@pytest.mark.parametrize("script", SCRIPTS)
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
