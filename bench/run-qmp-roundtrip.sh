#!/bin/sh
# run-qmp-roundtrip.sh - run bench/qmp-roundtrip against a throwaway real QEMU
#
# usage: bench/run-qmp-roundtrip.sh [BUILD_DIR [BENCH_OPTION...]]
#   BUILD_DIR      meson build directory (default: build/ at the top of the tree)
#   BENCH_OPTION   passed to qmp-roundtrip (-r ROUNDS, -n ITERATIONS, -w WARMUP)
# environment:
#   QEMU           QEMU binary (default: qemu-system-x86_64)
#   BENCH_WRAPPER  command prefix for the benchmark, e.g. "perf stat"
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
build=${1:-$top/build}
[ $# -gt 0 ] && shift
qemu=${QEMU:-qemu-system-x86_64}
bench=$build/bench/qmp-roundtrip


tmp=$(mktemp -d "${TMPDIR:-/tmp}/qd-bench.XXXXXX")
sock=$tmp/qmp.sock
qemu_pid=

cleanup() {
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_build run-qmp-roundtrip "$build" "$tmp" bench/qmp-roundtrip

"$qemu" -S -display none -nodefaults -machine none \
	-qmp "unix:$sock,server=on,wait=off" 2>"$tmp/qemu.log" &
qemu_pid=$!

# Wait for the listening socket: up to 10 s, giving up early if QEMU exits.
tries=0
while [ ! -S "$sock" ]; do
	if ! kill -0 "$qemu_pid" 2>/dev/null; then
		echo "run-qmp-roundtrip: QEMU exited before creating $sock:" >&2
		cat "$tmp/qemu.log" >&2
		exit 1
	fi
	tries=$((tries + 1))
	if [ "$tries" -gt 1000 ]; then
		echo "run-qmp-roundtrip: no QMP socket from QEMU after 10 s" >&2
		exit 1
	fi
	sleep 0.01
done

# shellcheck disable=SC2086 # BENCH_WRAPPER is meant to split into words
${BENCH_WRAPPER:-} "$bench" "$@" "$sock"
