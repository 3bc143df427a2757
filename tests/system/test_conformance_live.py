"""Live conformance: the same probe scripts against real QEMU and fakeqemu.

For each QEMU version available here (7.2 from Debian; 5.2 and 10.0 made
runnable by ci/get-qemu.sh), every script of tests/conformance/scripts is
recorded from the real binary now and from fakeqemu -fake-version V, and the
two transcripts must be identical after normalisation (timestamps, thread
ids, temp paths). The match count is written to build/conformance-report.txt.
"""
import os
import subprocess
import sys

import pytest

from qdtest import BUILD_DIR, live_recheck_skipped

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CONF = os.path.join(ROOT, "tests", "conformance")
FAKEQEMU = os.path.join(BUILD_DIR, "fakeqemu", "fakeqemu")
SCRIPTS = sorted(f[:-5] for f in os.listdir(os.path.join(CONF, "scripts")) if f.endswith(".json"))
REPORT = os.path.join(BUILD_DIR, "conformance-report.txt")

sys.path.insert(0, CONF)
import record  # noqa: E402
import known_gaps  # noqa: E402

results = {}


def real_qemu(version):
    proc = subprocess.run([os.path.join(ROOT, "ci", "get-qemu.sh"), version],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.skip(f"no QEMU {version} here: {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stdout.strip()


def record_all(qemu, out, env=None, jobs=2):
    """Play every script against qemu; jobs at once (a real QEMU's start-up
    takes a core, fakeqemu's does not)."""
    proc = subprocess.run(
        [sys.executable, os.path.join(CONF, "record.py"), "--qemu", qemu, "--out", out, "--jobs", str(jobs)]
        + [os.path.join(CONF, "scripts", s + ".json") for s in SCRIPTS],
        capture_output=True, text=True, timeout=600, env=env)
    problems = [ln for ln in proc.stdout.splitlines() if ": PROBLEMS:" in ln]
    assert proc.returncode == 0, "\n".join(problems)[:4000] + "\n" + proc.stderr[-2000:]


@pytest.fixture(scope="module", params=["7.2", "5.2", "10.0"])
def pair(request, tmp_path_factory):
    version = request.param
    why = live_recheck_skipped(version)
    if why:
        pytest.skip(why)
    qemu = real_qemu(version)
    real = str(tmp_path_factory.mktemp(f"real-{version}"))
    fake = str(tmp_path_factory.mktemp(f"fake-{version}"))
    record_all(qemu, real)
    record_all(FAKEQEMU, fake, jobs=4,
               env=dict(os.environ, FAKEQEMU_VERSION=version, FAKEQEMU_GUEST="absent"))
    return version, real, fake


@pytest.mark.parametrize("script", known_gaps.params(SCRIPTS))
def test_fakeqemu_matches_live_qemu(pair, script):
    version, real_dir, fake_dir = pair
    real = [x for x in record.load_transcript(os.path.join(real_dir, script + ".jsonl"))
            if "racy_event" not in x]
    fake = [x for x in record.load_transcript(os.path.join(fake_dir, script + ".jsonl"))
            if "racy_event" not in x]
    ok = real == fake
    results.setdefault(version, {})[script] = ok
    with open(REPORT, "w") as f:
        for v, r in sorted(results.items()):
            f.write(f"QEMU {v}: {sum(r.values())} of {len(r)} scripts match fakeqemu\n")
    for i, (a, b) in enumerate(zip(real, fake)):
        assert a == b, f"{version}/{script}: item {i}:\n real: {a}\n fake: {b}"
    assert len(real) == len(fake)
