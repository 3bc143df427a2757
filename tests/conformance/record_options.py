#!/usr/bin/python3
"""record_options.py - which command-line options a real QEMU has, and which take an
argument: fakeqemu-data/VERSION/options.txt (one "-name" or "-name ARG" a line).

  /usr/bin/python3 tests/conformance/record_options.py --qemu PATH --out FILE

Candidates are the options its -help names (split at "/": -hda/-hdb) plus those
other versions have; each is probed alone after "-machine bogus": QEMU parses the
whole command line before it looks at the machine, so the answer is "invalid
option", "requires an argument", or the machine error.
"""
import argparse
import os
import re
import subprocess
import tempfile

# Options other versions of QEMU have (5.2, 7.2, 10.0), so every recording probes them.
EXTRA = ["help", "M", "qmp-pretty", "realtime", "enable-fips", "writeconfig", "no-hpet", "no-acpi",
         "runas", "chroot", "run-with", "sdl", "curses", "soundhw", "tb-size", "watchdog",
         "no-quit", "alt-grab", "ctrl-grab", "show-cursor", "async-teardown", "audio",
         "audio-help", "compat", "action", "jitdump", "perfmap", "portrait", "rotate",
         "singlestep", "shim", "preconfig", "semihosting", "hdb", "hdc", "hdd", "fdb",
         "usbdevice", "usb", "enable-sync-profile", "xen-domid-restrict"]


def candidates(qemu):
    out = subprocess.run([qemu, "-help"], capture_output=True, text=True).stdout
    names = set(EXTRA)
    for line in out.splitlines():
        m = re.match(r"^-{1,2}([a-zA-Z0-9_/-]+)", line)
        if m:
            names.update(n.lstrip("-") for n in m.group(1).split("/") if n)
    return sorted(names)


def probe(qemu, name):
    # -jitdump and -perfmap start writing files as they are parsed: run where that is
    # harmless, and remove what -perfmap leaves in /tmp.
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.Popen([qemu, "-machine", "bogus", "-nodefaults", "-display", "none",
                              "-" + name], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, cwd=tmp, text=True)
        err = p.communicate(timeout=20)[1]
    try:
        os.unlink("/tmp/perf-%d.map" % p.pid)
    except OSError:
        pass
    if ": -%s: invalid option" % name in err:
        return None
    if ": -%s: requires an argument" % name in err:
        return "ARG"
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    lines = []
    for name in candidates(args.qemu):
        kind = probe(args.qemu, name)
        if kind is not None:
            lines.append(("-%s %s" % (name, kind)).strip())
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
