"""How much of each imitated QEMU's QMP fakeqemu models, written to
BUILD_DIR/conformance-report.txt (ci/run-tests.sh prints it), and proof that
an unmodelled command says so clearly instead of answering like QEMU.
"""
import os
import subprocess
import sys

import pytest

from qdtest import BUILD_DIR
from fakeqemu_client import FAKEQEMU, QmpError

VERSIONS = ["5.2", "7.2", "10.0"]
REPORT = os.path.join(BUILD_DIR, "conformance-report.txt")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


@pytest.fixture(scope="module")
def coverage():
    counts = {}
    yield counts
    lines = ["fakeqemu QMP coverage (commands of each version's schema):"]
    for v in VERSIONS:
        if v in counts:
            m, n = counts[v]
            lines.append(f"  QEMU {v}: {m + n} commands, {m} modelled, {n} answered "
                         f"'not modelled' (GenericError naming the command)")
    with open(REPORT, "w") as f:
        f.write("\n".join(lines) + "\n")


@pytest.mark.parametrize("version", VERSIONS)
def test_unmodelled_commands_say_so(launch, coverage, version):
    fq = launch(machine="pc", env={"FAKEQEMU_VERSION": version})
    qmp = fq.connect()
    split = qmp.execute("x-fakeqemu-commands")
    modelled, missing = split["modelled"], split["not-modelled"]
    assert not set(modelled) & set(missing)
    for name in ("qom-list-types", "device-list-properties", "query-machines",
                 "query-cpu-definitions", "query-cpu-model-expansion", "device_add", "qom-get"):
        assert name in modelled, name
    coverage[version] = (len(modelled), len(missing))
    # Every unmodelled command whose arguments can all be left out answers so.
    schema = {e["name"]: e for e in qmp.execute("query-qmp-schema")}
    argless = [c for c in missing
               if all("default" in m for m in schema[schema[c]["arg-type"]].get("members", []))]
    assert argless, "expected some argument-less unmodelled commands"
    for c in argless:
        with pytest.raises(QmpError) as e:
            qmp.execute(c)
        assert e.value.cls == "GenericError"
        assert e.value.desc == (f"fakeqemu: command '{c}' exists in QEMU {version} but is not "
                                f"modelled by fakeqemu")


def test_command_report_in_readme_is_current():
    """fakeqemu-data/README.md's per-version count of modelled and unmodelled
    commands is what fakeqemu says now (command_report.py --check)."""
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests", "conformance", "command_report.py"),
         "--fakeqemu", FAKEQEMU, "--check", os.path.join(ROOT, "fakeqemu-data", "README.md")],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
