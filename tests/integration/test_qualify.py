"""`qdctl qualify`, `qdctl report merge` and `--emit-ci` on fakeqemu.

Two fakeqemu dialects (fake:5.2 and fake:7.2) stand in for two QEMU versions: they
differ where the real versions differ (5.2's "Cannot find node"), so the report must
show that difference as a finding. The reports are checked for well-formedness (XML
parses, the HTML's links all land on an element, the Markdown has the matrix) and for
what they must say (each column's version, machine and accelerator; the QMP excerpt
of a failure one link away).
"""
import html.parser
import json
import os
import xml.etree.ElementTree as ET

import pytest
import yaml

from qdtest import run_qdctl

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SC = os.path.join(ROOT, "scenarios")
DIFFERS = os.path.join(SC, "qemu-qmp-errors.json")     # 5.2 words blockdev-del's error otherwise
SAME = os.path.join(SC, "qemu-vcpu-add.json")
FAKE_ONLY = os.path.join(SC, "fault-vcpu-partial.json")

FAILING = {
    "description": "expects 3 vCPUs where 1 is asked for",
    "steps": [{"op": "start"}, {"op": "add-vcpus", "count": 1, "expect": {"result": {"added": 3}}},
              {"op": "stop"}],
}


class Page(html.parser.HTMLParser):
    """Ids, links and text of an HTML page; fails on mismatched tags."""

    VOID = {"meta", "br", "rect", "path", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.stack, self.text = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-3:]}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def qualify(tmp_path, *args, check=0, name="report"):
    out = tmp_path / name
    proc = run_qdctl("qualify", "--out", str(out), *args, check=check, timeout=600)
    return proc, out


def test_two_versions_one_report_with_the_difference(tmp_path):
    failing = tmp_path / "failing.json"
    failing.write_text(json.dumps(FAILING))
    proc, out = qualify(tmp_path, "--qemu", "fake:5.2", "--qemu", "fake:7.2", DIFFERS, SAME,
                        str(failing), check=1)
    assert "  t1: fakeqemu 5.2" in proc.stdout and "  t2: fakeqemu 7.2" in proc.stdout
    assert "machines: pc=pc-i440fx-5.2 q35=pc-q35-5.2" in proc.stdout
    # One progress line per scenario and QEMU.
    assert sum(1 for line in proc.stdout.splitlines() if line.startswith("[")) == 6

    doc = json.loads((out / "results.json").read_text())
    assert [t["label"] for t in doc["targets"]] == ["fakeqemu 5.2", "fakeqemu 7.2"]
    assert doc["targets"][0]["machines"] == {"pc": "pc-i440fx-5.2", "q35": "pc-q35-5.2"}
    assert doc["summary"] == {"t1": {"pass": 2, "fail": 1, "crash": 0, "error": 0, "skip": 0},
                              "t2": {"pass": 2, "fail": 1, "crash": 0, "error": 0, "skip": 0}}
    behaviour = [f for f in doc["findings"] if f["kind"] == "behaviour"]
    assert len(behaviour) == 1
    f = behaviour[0]
    assert (f["scenario"], f["step"], f["label"]) == ("qemu-qmp-errors", 3, "qmp blockdev-del")
    assert f["summary"] == (
        "step 3 (qmp blockdev-del) differs: compared with fakeqemu 5.2; on fakeqemu 7.2: "
        "result.error.message: \"Cannot find node nope\" → \"Failed to find node with "
        "node-name='nope'\"")
    assert [v["targets"] for v in f["variants"]] == [["t1"], ["t2"]]

    # JUnit: one suite per QEMU, named by version, machine and accelerator.
    root = ET.parse(out / "report.xml").getroot()
    suites = root.findall("testsuite")
    assert [s.get("tests") for s in suites] == ["3", "3"]
    assert suites[0].get("name").startswith("fakeqemu 5.2 — machine pc=pc-i440fx-5.2")
    assert " — accel " in suites[0].get("name")
    failure = suites[1].find("testcase[@name='failing']/failure")
    assert failure.get("message") == "step 2 (add-vcpus 1): result.added: expected 3, got 1"

    # Markdown: the matrix row per scenario, the finding, the failure with its QMP.
    md = (out / "report.md").read_text()
    assert "| qemu-qmp-errors | qemu | ✅ | ✅ |" in md
    assert "| failing | qemu | ❌ | ❌ |" in md
    assert "- **behaviour** `qemu-qmp-errors`: step 3 (qmp blockdev-del) differs" in md
    assert "### failing on fakeqemu 7.2: fail" in md
    assert '> {"execute":"device_add"' in md

    # HTML: well formed, every link lands, the matrix has a cell per result and the
    # failure's cell leads to its QMP excerpt.
    page = Page()
    page.feed((out / "report.html").read_text())
    page.close()
    assert page.stack == []
    internal = [link[1:] for link in page.links if link.startswith("#")]
    assert internal and all(i in page.ids for i in internal), set(internal) - page.ids
    assert "#d-failing-t2" in page.links and "d-failing-t2" in page.ids
    html_text = (out / "report.html").read_text()
    assert html_text.count("<rect x=") >= 6
    assert "QMP of the failed step" in html_text
    assert "&quot;execute&quot;:&quot;device_add&quot;" in html_text
    assert "pc → pc-i440fx-5.2" in html_text
    assert "<script>" in html_text and "http" not in html_text.split("<svg")[0].replace(
        "http://www.w3.org", ""), "self-contained: no external resource"


def test_exit_status_ignores_known_issues_but_not_failures(tmp_path):
    failing = tmp_path / "failing.json"
    failing.write_text(json.dumps(FAILING))
    qualify(tmp_path, "--qemu", "fake", str(failing), check=1, name="a")
    known = tmp_path / "known.json"
    known.write_text(json.dumps(dict(FAILING, known=[
        {"qemu": "7.2.*", "fake": True, "reason": "a reason"}])))
    proc, out = qualify(tmp_path, "--qemu", "fake", str(known), check=0, name="b")
    assert "FAIL (known)" in proc.stdout
    assert "known issue" in (out / "report.html").read_text()


def test_invalid_scenario_is_reported_and_fails_the_run(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"steps": [{"op": "teleport"}]}')
    proc, out = qualify(tmp_path, "--qemu", "fake", SAME, str(bad), check=2)
    assert f"qdctl: {bad}: step 1: 'op': unknown op 'teleport'" in proc.stderr
    doc = json.loads((out / "results.json").read_text())
    assert {r["scenario"]: r["outcome"] for r in doc["results"]} == {
        "qemu-vcpu-add": "pass", "bad": "error"}


def test_machine_columns(tmp_path):
    proc, out = qualify(tmp_path, "--qemu", "fake", "--machine", "pc", "--machine", "q35",
                        SAME, os.path.join(SC, "qemu-q35.json"))
    doc = json.loads((out / "results.json").read_text())
    assert [(t["id"], t["machine"]) for t in doc["targets"]] == [("t1", "pc"), ("t2", "q35")]
    outcome = {(r["scenario"], r["target"]): r["outcome"] for r in doc["results"]}
    assert outcome[("qemu-q35", "t1")] == "skip"
    assert outcome[("qemu-q35", "t2")] == "pass" and outcome[("qemu-vcpu-add", "t2")] == "pass"
    skip = [r for r in doc["results"] if r["outcome"] == "skip"][0]
    assert skip["reason"] == "the scenario is for machine q35, this column is pc"


def test_fake_only_scenario_is_skipped_with_its_reason_on_real_qemu(tmp_path):
    qemu = os.environ.get("QD_QEMU") or "/usr/bin/qemu-system-x86_64"
    if not os.access(qemu, os.X_OK):
        pytest.skip("no real QEMU here")
    proc, out = qualify(tmp_path, "--qemu", "fake", "--qemu", qemu, FAKE_ONLY, SAME)
    doc = json.loads((out / "results.json").read_text())
    outcome = {(r["scenario"], r["target"]): (r["outcome"], r.get("reason"))
               for r in doc["results"]}
    assert outcome[("fault-vcpu-partial", "t1")][0] == "pass"
    assert outcome[("fault-vcpu-partial", "t2")] == (
        "skip", "only fakeqemu can run it: it injects faults (fakeqemu.faults)")
    # Real QEMU was probed: nothing of another QEMU mapped.
    assert doc["targets"][1]["foreign_files"] == []
    assert not [f for f in doc["findings"] if f["kind"] == "mixed-versions"]


def test_report_merge_joins_the_columns_of_separate_runs(tmp_path):
    _, a = qualify(tmp_path, "--qemu", "fake:5.2", DIFFERS, SAME, name="a")
    _, b = qualify(tmp_path, "--qemu", "fake:7.2", DIFFERS, SAME, name="b")
    _, together = qualify(tmp_path, "--qemu", "fake:5.2", "--qemu", "fake:7.2", DIFFERS, SAME,
                          name="together")
    merged = tmp_path / "merged"
    proc = run_qdctl("report", "merge", "--out", str(merged), str(a / "results.json"),
                     str(b / "results.json"), check=0)
    assert proc.stdout.startswith("merged 2 result file(s), 2 column(s), 1 finding(s): ")
    doc = json.loads((merged / "results.json").read_text())
    one = json.loads((together / "results.json").read_text())
    assert [t["label"] for t in doc["targets"]] == ["fakeqemu 5.2", "fakeqemu 7.2"]
    assert [t["from"] for t in doc["targets"]] == [str(a / "results.json"),
                                                   str(b / "results.json")]
    assert [f["summary"] for f in doc["findings"]] == [f["summary"] for f in one["findings"]]
    assert doc["summary"] == one["summary"]
    for name in ("report.xml", "report.md", "report.html"):
        assert (merged / name).stat().st_size > 0
    assert len(ET.parse(merged / "report.xml").getroot().findall("testsuite")) == 2


def test_report_merge_refuses_what_is_not_a_results_file(tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text('{"format": "something else"}')
    proc = run_qdctl("report", "merge", "--out", str(tmp_path / "m"), str(junk), check=2)
    assert proc.stderr == f"qdctl: {junk}: not a qdctl results document (format qdctl-results/1)\n"
    proc = run_qdctl("report", "frobnicate", check=2)
    assert "usage: qdctl report merge" in proc.stderr


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_emit_ci_writes_one_job_per_qemu_and_machine_and_a_merge(tmp_path, kind):
    out = tmp_path / "ci.yml"
    proc = run_qdctl("qualify", "--emit-ci", kind, "--qemu", "5.2", "--qemu", "10.0",
                     "--machine", "pc", "--machine", "q35", "--out", str(out), check=0)
    assert "4 job(s) and a merge job" in proc.stderr
    ci = yaml.safe_load(out.read_text())
    if kind == "github":
        include = ci["jobs"]["qualify"]["strategy"]["matrix"]["include"]
        assert include == [{"qemu": q, "machine": m} for q in ("5.2", "10.0") for m in ("pc", "q35")]
        steps = " ".join(str(s) for s in ci["jobs"]["qualify"]["steps"])
        assert "ci/get-qemu.sh" in steps and "qdctl qualify" in steps
        assert "upload-artifact" in steps
        merge = " ".join(str(s) for s in ci["jobs"]["report"]["steps"])
        assert ci["jobs"]["report"]["needs"] == "qualify"
        assert "qdctl report merge" in merge
    else:
        matrix = ci["qualify"]["parallel"]["matrix"]
        assert matrix == [{"QEMU": ["5.2", "10.0"], "MACHINE": ["pc", "q35"]}]
        assert ci["qualify"]["artifacts"]["reports"]["junit"] == "qualify-*/report.xml"
        assert ci["report"]["needs"] == ["qualify"]
        assert any("qdctl report merge" in line for line in ci["report"]["script"])
