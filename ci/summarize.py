#!/usr/bin/env python3
"""ci/summarize.py - count test cases over meson test logs of every tier.

usage: summarize.py TIER=LOGFILE.json|TIER=JUNIT.xml...

Each meson test is a cmocka binary or a pytest run; the cases inside are
counted from their own closing lines. A meson test that failed without a
parsable count (a crash, a sanitizer or valgrind error) counts as one
failure. Skip reasons are printed, then one closing line:
"N passed, N failed, N skipped".
"""
import json
import re
import sys

CMOCKA = {
    "passed": re.compile(r"^\[  PASSED  \] (\d+) test", re.M),
    "failed": re.compile(r"^\[  FAILED  \] (\d+) test", re.M),
    "skipped": re.compile(r"^\[  SKIPPED \] (\d+) test", re.M),
}
PYTEST_LINE = re.compile(r"^=+ (.*) in [\d.]+s(?: \([^)]*\))? =+$", re.M)
PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|skipped|error|errors|xfailed|xpassed)")
PYTEST_SKIP = re.compile(r"^SKIPPED \[\d+\] (.*)$", re.M)
# Known gaps (xfail, strict): counted as skipped, each listed with its reason, so
# none passes silently; a strict xfail that starts passing fails its tier.
PYTEST_XFAIL = re.compile(r"^XFAIL (.*)$", re.M)


def count_one(entry):
    out = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    reasons = PYTEST_SKIP.findall(out)
    gaps = PYTEST_XFAIL.findall(out)
    found = False
    lines = PYTEST_LINE.findall(out)
    if lines:
        found = True
        for n, kind in PYTEST_COUNT.findall(lines[-1]):
            if kind == "passed":
                counts["passed"] += int(n)
            elif kind in ("skipped", "xfailed"):
                counts["skipped"] += int(n)
            else:
                counts["failed"] += int(n)
    else:
        for kind, rx in CMOCKA.items():
            m = rx.findall(out)
            if m:
                found = True
                counts[kind] += int(m[-1])
    result = entry.get("result")
    if not found:
        if result == "OK":
            counts["passed"] = 1
        elif result == "SKIP":
            counts["skipped"] = 1
            reasons.append(f"{entry['name']}: skipped by meson (exit code 77)")
        else:
            counts["failed"] = 1
    elif result not in ("OK", "SKIP") and counts["failed"] == 0:
        # All cases passed but the run failed: sanitizer, valgrind, crash at exit.
        counts["failed"] = 1
    return counts, reasons, gaps


def count_junit(path):
    """Counts of a JUnit file (qdctl qualify's): a failure of type "known" is an
    expected one (a known issue that reproduced), counted as skipped like an
    xfail and listed with its reason."""
    import xml.etree.ElementTree as ET
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    failed, reasons, known = [], [], []
    for suite in ET.parse(path).getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            name = f"{suite.get('name')}/{case.get('name')}"
            bad = case.find("failure")
            if bad is None:
                bad = case.find("error")
            skip = case.find("skipped")
            if bad is not None and bad.get("type") == "known":
                counts["skipped"] += 1
                known.append(f"{name}: {bad.get('message')}")
            elif bad is not None:
                counts["failed"] += 1
                failed.append(name)
            elif skip is not None:
                counts["skipped"] += 1
                reasons.append(f"{name}: {skip.get('message')}")
            else:
                counts["passed"] += 1
    return counts, failed, reasons, known


def main(argv):
    total = {"passed": 0, "failed": 0, "skipped": 0}
    failed_names = []
    for arg in argv:
        tier, _, path = arg.partition("=")
        tier_total = {"passed": 0, "failed": 0, "skipped": 0}
        if path.endswith(".xml"):
            try:
                counts, failed, reasons, known = count_junit(path)
            except (OSError, Exception) as e:  # a missing or unreadable report fails
                print(f"{tier}: no JUnit report ({e}); counted as 1 failure")
                counts, failed, reasons, known = (
                    {"passed": 0, "failed": 1, "skipped": 0}, [], [], [])
            failed_names += [f"{tier}/{n}" for n in failed]
            for r in reasons:
                print(f"{tier}: skipped: {r}")
            for k in known:
                print(f"{tier}: known issue (xfail): {k}")
            for k in total:
                total[k] += counts[k]
            print(f"{tier}: {counts['passed']} passed, {counts['failed']} failed, "
                  f"{counts['skipped']} skipped")
            continue
        try:
            entries = [json.loads(line) for line in open(path) if line.strip()]
        except OSError as e:
            print(f"{tier}: no test log ({e}); counted as 1 failure")
            entries = []
            tier_total["failed"] += 1
        for entry in entries:
            counts, reasons, gaps = count_one(entry)
            for k in total:
                tier_total[k] += counts[k]
            if counts["failed"]:
                failed_names.append(f"{tier}/{entry['name']}")
            for r in reasons:
                print(f"{tier}: skipped: {r}")
            for g in gaps:
                print(f"{tier}: known gap (xfail): {g}")
        for k in total:
            total[k] += tier_total[k]
        print(f"{tier}: {tier_total['passed']} passed, {tier_total['failed']} failed, "
              f"{tier_total['skipped']} skipped")
    for name in failed_names:
        print(f"FAILED: {name}")
    print(f"{total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
