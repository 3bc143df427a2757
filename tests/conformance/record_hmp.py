#!/usr/bin/python3
"""record_hmp.py - the human monitor's fixed texts of a real QEMU, for fakeqemu's HMP:
fakeqemu-data/VERSION/hmp.json {"help-info": "info" without a command (the list of info
commands), "help": "help" (every command), "info-migrate": info migrate before any
migration}.

  /usr/bin/python3 tests/conformance/record_hmp.py --qemu PATH --out FILE
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import record  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    texts = {}
    lines = {"help-info": "info", "help": "help", "info-migrate": "info migrate"}
    cmds = [{"execute": "qmp_capabilities"}] + [
        {"execute": "human-monitor-command", "arguments": {"command-line": c}}
        for c in lines.values()]
    _, replies = record.qmp_session(args.qemu, ["-machine", "none", "-accel", "tcg", "-nodefaults",
                                                "-S", "-display", "none"], cmds)
    for key, reply in zip(lines, replies[1:]):
        texts[key] = reply["return"]
    with open(args.out, "w") as f:
        json.dump(texts, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
