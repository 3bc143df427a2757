#!/bin/sh
# run-launch-ready.sh - build bench/launch-ready and time QEMU launch to QMP ready
#
# usage: bench/run-launch-ready.sh [BUILD_DIR [BENCH_OPTION...]]
#   BUILD_DIR      meson build directory (default: build/ at the top of the tree)
#   BENCH_OPTION   passed to launch-ready (-r ROUNDS, -w WARMUP, -p SETTLE_MS,
#                  -s SEED, -k KERNEL, -a kvm|tcg, -v)
# environment:
#   QEMU           QEMU binary (default: /usr/bin/qemu-system-x86_64)
#   FAKE_ROUNDS    rounds of the reference run against build/fakeqemu/fakeqemu
#                  (default 10; 0 skips it)
#   BENCH_WRAPPER  command prefix for the benchmark, e.g. "perf stat"
#
# Runs the benchmark twice: against real QEMU (the figures that count), then
# once against fakeqemu for reference. It only reports; timings never fail it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
build=${1:-$top/build}
[ $# -gt 0 ] && shift
qemu=${QEMU:-/usr/bin/qemu-system-x86_64}
fake_rounds=${FAKE_ROUNDS:-10}
bench=$build/bench/launch-ready
fake=$build/fakeqemu/fakeqemu


tmp=$(mktemp -d "${TMPDIR:-/tmp}/qd-launch-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

targets=bench/launch-ready
[ "$fake_rounds" -gt 0 ] && targets="$targets fakeqemu/fakeqemu"
# shellcheck disable=SC2086 # targets is a list
bench_build run-launch-ready "$build" "$tmp" $targets

echo "== real QEMU: $qemu ($("$qemu" --version | head -n 1))"
# shellcheck disable=SC2086 # BENCH_WRAPPER is meant to split into words
${BENCH_WRAPPER:-} "$bench" -q "$qemu" -d "$tmp" "$@"

if [ "$fake_rounds" -gt 0 ]; then
	echo
	echo "== reference: fakeqemu ($fake)"
	rm -rf "${tmp:?}"/*
	# shellcheck disable=SC2086
	${BENCH_WRAPPER:-} "$bench" -q "$fake" -d "$tmp" -r "$fake_rounds" "$@"
fi
