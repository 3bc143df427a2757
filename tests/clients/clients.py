#!/usr/bin/env python3
"""clients.py - real QEMU clients (kata's govmm, libvirt 9.0) against any QEMU binary.

Library for the `clients` test tier and its recorder. The clients' outputs on
real QEMU 5.2, 7.2 and 10.0 are recorded into expected/CLIENT/VERSION/NAME.txt;
the tests replay the same clients on fakeqemu in each dialect and compare.

    clients.py record [--client govmm|libvirt] [--version 5.2|7.2|10.0]...
    clients.py run --client govmm --scenario kata2-q35 --qemu PATH
    clients.py run --client libvirt --scenario lifecycle-pc --qemu PATH
    clients.py gaps --client govmm|libvirt [--version V]...
    clients.py fakeqemu-wrapper --version 7.2 [--guest absent] DIR

`run` prints a transcript for any binary: a real QEMU, fakeqemu (through the
wrapper that sets its dialect) or a recording proxy. stdlib only.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXPECTED = os.path.join(HERE, "expected")
VERSIONS = ("5.2", "7.2", "10.0")
GOVMM_SCENARIOS = ("kata1-pc", "kata1-q35", "kata2-pc", "kata2-q35")
GOVMM_SRC = os.path.join(HERE, "govmm")
# Where Debian's golang-github-kata-containers-govmm-dev puts govmm (go.mod's replace).
GOVMM_LIB = "/usr/share/gocode/src/github.com/kata-containers/govmm/qemu"


def build_dir():
    return os.environ.get("QD_BUILD_DIR", os.path.join(ROOT, "build"))


def fakeqemu_binary():
    return os.path.join(build_dir(), "fakeqemu", "fakeqemu")


def real_qemu(version):
    """(path, None) of real QEMU VERSION from ci/get-qemu.sh, or (None, why not)."""
    try:
        proc = subprocess.run([os.path.join(ROOT, "ci", "get-qemu.sh"), version],
                              capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"ci/get-qemu.sh {version}: {e}"
    if proc.returncode != 0 or not proc.stdout.strip():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"QEMU {version} not available: {last}"
    return proc.stdout.strip(), None


def fakeqemu_wrapper(version, directory, guest="absent"):
    """A qemu-system-x86_64 script that runs fakeqemu in dialect VERSION.

    Clients that launch QEMU themselves (govmm, libvirt) pass neither our
    options nor our environment (libvirt clears it): the dialect and the
    guest model are fixed in the script, and it keeps its own name as
    argv[0], as a binary named qemu-system-x86_64 would have: QEMU's messages
    start with that basename. Returns its path.
    """
    d = os.path.join(directory, f"fakeqemu-{version}-{guest}")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "qemu-system-x86_64")
    with open(path + ".tmp", "w") as f:
        f.write("#!/bin/bash\n"
                f"# fakeqemu as QEMU {version}, guest model {guest}\n"
                f"FAKEQEMU_VERSION={version} FAKEQEMU_GUEST={guest} "
                f"exec -a \"$0\" {fakeqemu_binary()} \"$@\"\n")
    os.chmod(path + ".tmp", 0o755)
    os.replace(path + ".tmp", path)
    return path


def expected_path(client, version, name):
    return os.path.join(EXPECTED, client, version, name + ".txt")


# ---------------------------------------------------------------- govmm


def govmm_missing():
    """Why the govmm driver cannot be built here, or None."""
    if shutil.which("go") is None:
        return "Go is not installed (golang-go; ci/deps.sh installs it)"
    if not os.path.isdir(GOVMM_LIB):
        return ("govmm is not installed (golang-github-kata-containers-govmm-dev; "
                "ci/deps.sh installs it)")
    return None


def netns_missing():
    """Why the govmm driver cannot get a private network namespace, or None."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) not found: tap devices need a private network namespace"
    proc = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if proc.returncode != 0:
        return ("cannot create a network namespace for the tap devices (unshare -n: "
                f"{proc.stderr.strip()}); run as root")
    return None


def build_govmm(out_dir):
    """Build the govmm driver offline into OUT_DIR; return the binary's path."""
    out_dir = os.path.abspath(out_dir)
    binary = os.path.join(out_dir, "govmm-client")
    env = dict(os.environ,
               GOPROXY="off", GOFLAGS="-mod=mod", GO111MODULE="on", GOTOOLCHAIN="local",
               GOCACHE=os.path.join(out_dir, "go-cache"),
               GOPATH=os.path.join(out_dir, "gopath"))
    proc = subprocess.run(["go", "build", "-o", binary, "."], cwd=GOVMM_SRC, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"go build of the govmm driver failed:\n{proc.stderr}")
    return binary


def run_govmm(binary, qemu, scenario, unplug_timeout="500ms", timeout=300):
    """Transcript of SCENARIO against QEMU, run in a private network namespace."""
    proc = subprocess.run(["unshare", "-n", binary, "-qemu", qemu, "-scenario", scenario,
                           "-unplug-timeout", unplug_timeout],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"govmm driver exited {proc.returncode} on {scenario} with {qemu}:\n"
                           f"{proc.stderr}\n--- transcript so far\n{proc.stdout}")
    return proc.stdout


# ---------------------------------------------------------------- gaps


def call_outcomes(text):
    """[(label, outcome lines)] of a transcript: each entry with what follows it."""
    entries = []
    for line in text.splitlines():
        if line.startswith(" ") and entries:
            entries[-1][1].append(line.strip())
        elif line.startswith("$ "):
            entries.append((line, []))
        elif ": " in line and not line.startswith(("exit ", "stdout:", "stderr:")):
            m = re.match(r"^(.*?): ((?:ok|error)\b.*)$", line)
            label, rest = m.groups() if m else line.split(": ", 1)
            entries.append((label, [rest]))
        elif entries:
            entries[-1][1].append(line)
        else:
            entries.append((line, []))
    return entries


def differences(expected, actual):
    """(label, real, fake) for each entry whose outcome differs, aligned by label."""
    exp, act = call_outcomes(expected), call_outcomes(actual)
    act_by_label = {}
    for label, out in act:
        act_by_label.setdefault(label, []).append(out)
    seen = {}
    diffs = []
    for label, out in exp:
        n = seen.get(label, 0)
        seen[label] = n + 1
        got = act_by_label.get(label, [])
        other = got[n] if n < len(got) else ["<not reached>"]
        if out != other:
            diffs.append((label, " / ".join(out), " / ".join(other)))
    for label, out in act:
        if label not in seen:
            diffs.append((label, "<not reached>", " / ".join(out)))
    return diffs


def print_gaps(client, versions, work):
    """Run CLIENT on fakeqemu in each dialect and print every differing call."""
    if client == "govmm":
        binary = build_govmm(os.path.join(work, "govmm"))
        names = GOVMM_SCENARIOS
        run_one = lambda qemu, name: run_govmm(binary, qemu, name)  # noqa: E731
        daemon = None
    else:
        sys.path.insert(0, os.path.join(HERE, "libvirt"))
        import harness  # noqa: E402
        names = harness.SCENARIOS
        daemon = harness.Libvirtd().start()
        run_one = lambda qemu, name: harness.run_scenario(  # noqa: E731
            name, qemu, os.path.join(work, "libvirt-gaps"), daemon)
    try:
        for version in versions:
            qemu = fakeqemu_wrapper(version, work)
            for name in names:
                with open(expected_path(client, version, name)) as f:
                    expected = f.read()
                diffs = differences(expected, run_one(qemu, name))
                print(f"## {client} {version} {name}: {len(diffs)} differing entries")
                for label, real, fake in diffs:
                    print(f"- {label}\n  real:     {real}\n  fakeqemu: {fake}")
    finally:
        if daemon:
            daemon.remove()


# ---------------------------------------------------------------- record


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def record_govmm(version, qemu, work):
    why = govmm_missing() or netns_missing()
    if why:
        raise RuntimeError(why)
    binary = build_govmm(os.path.join(work, "govmm"))
    for scenario in GOVMM_SCENARIOS:
        text = run_govmm(binary, qemu, scenario)
        path = expected_path("govmm", version, scenario)
        write(path, text)
        print(f"recorded {os.path.relpath(path, ROOT)} ({len(text.splitlines())} lines)")


def record_libvirt(version, qemu, work):
    sys.path.insert(0, os.path.join(HERE, "libvirt"))
    import harness  # noqa: E402 (tests/clients/libvirt)
    for scenario in harness.SCENARIOS:
        text = harness.run_scenario(scenario, qemu, os.path.join(work, f"libvirt-{version}"))
        path = expected_path("libvirt", version, scenario)
        write(path, text)
        print(f"recorded {os.path.relpath(path, ROOT)} ({len(text.splitlines())} lines)")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record", help="record the clients' outputs on real QEMU")
    rec.add_argument("--client", choices=("govmm", "libvirt"), action="append")
    rec.add_argument("--version", choices=VERSIONS, action="append")
    run = sub.add_parser("run", help="print one client transcript for any QEMU binary")
    run.add_argument("--client", choices=("govmm", "libvirt"), required=True)
    run.add_argument("--scenario", required=True)
    run.add_argument("--qemu", required=True)
    run.add_argument("--unplug-timeout", default="500ms")
    gaps = sub.add_parser("gaps", help="run a client on fakeqemu, list each call that differs")
    gaps.add_argument("--client", choices=("govmm", "libvirt"), required=True)
    gaps.add_argument("--version", choices=VERSIONS, action="append")
    wrap = sub.add_parser("fakeqemu-wrapper", help="write a qemu-system-x86_64 script for fakeqemu")
    wrap.add_argument("--version", choices=VERSIONS, required=True)
    wrap.add_argument("--guest", default="absent")
    wrap.add_argument("dir")
    args = ap.parse_args(argv)

    work = os.path.join(build_dir(), "clients-work")
    os.makedirs(work, exist_ok=True)
    if args.cmd == "fakeqemu-wrapper":
        print(fakeqemu_wrapper(args.version, args.dir, args.guest))
        return 0
    if args.cmd == "gaps":
        print_gaps(args.client, args.version or VERSIONS, work)
        return 0
    if args.cmd == "run":
        if args.client == "govmm":
            binary = build_govmm(os.path.join(work, "govmm"))
            sys.stdout.write(run_govmm(binary, args.qemu, args.scenario, args.unplug_timeout))
        else:
            sys.path.insert(0, os.path.join(HERE, "libvirt"))
            import harness  # noqa: E402
            sys.stdout.write(harness.run_scenario(args.scenario, args.qemu,
                                                  os.path.join(work, "libvirt-run")))
        return 0
    status = 0
    for version in args.version or VERSIONS:
        qemu, why = real_qemu(version)
        if qemu is None:
            print(f"record: {why}", file=sys.stderr)
            status = 1
            continue
        for client in args.client or ("govmm", "libvirt"):
            try:
                (record_govmm if client == "govmm" else record_libvirt)(version, qemu, work)
            except RuntimeError as e:
                print(f"record {client} {version}: {e}", file=sys.stderr)
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
