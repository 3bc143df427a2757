#!/bin/sh
# run-soak.sh - the long-running and the wide benchmarks of the library on fakeqemu:
# 10,000 hot-plug/unplug cycles on one VM, then 100 VMs at once from 4 threads;
# each reports RSS, open fds and the processes left over.
#
# usage: bench/run-soak.sh [BUILD_DIR]
# environment: CYCLES (default 10000), VMS (default 100), THREADS (default 4),
#   QEMU (default: the build's fakeqemu), BENCH_WRAPPER (a command prefix).
# The guest completes unplugs at once (FAKEQEMU_GUEST=slow=0): the soak measures
# the library, not the guest's ACPI delays. It only reports; it fails only when
# a library call fails.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
build=${1:-$top/build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qd-soak.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bench_build run-soak "$build" "$tmp" bench/soak bench/many-vms fakeqemu/fakeqemu
qemu=${QEMU:-$build/fakeqemu/fakeqemu}
echo "== tree: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?'), run dir $tmp on $(findmnt -no FSTYPE -T "$tmp")"
echo
echo "== soak: ${CYCLES:-10000} cycles"
# shellcheck disable=SC2086 # BENCH_WRAPPER is meant to split into words
FAKEQEMU_GUEST=slow=0 ${BENCH_WRAPPER:-} "$build/bench/soak" -q "$qemu" -n "${CYCLES:-10000}" \
	-d "$tmp"
echo
echo "== ${VMS:-100} VMs at once"
mkdir "$tmp/many"
# shellcheck disable=SC2086
FAKEQEMU_GUEST=slow=0 ${BENCH_WRAPPER:-} "$build/bench/many-vms" -q "$qemu" -n "${VMS:-100}" \
	-t "${THREADS:-4}" -d "$tmp/many"
