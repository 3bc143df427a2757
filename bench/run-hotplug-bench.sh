#!/bin/sh
# run-hotplug-bench.sh - build bench/hotplug-bench and compare hot-plug through the
# library with kata-style connect-per-command QMP clients
#
# usage: bench/run-hotplug-bench.sh [BUILD_DIR [BENCH_OPTION...]]
#   BUILD_DIR      meson build directory (default: build/ at the top of the tree)
#   BENCH_OPTION   passed to every run (-r ROUNDS, -w WARMUP, -n DISKS, -p SETTLE_MS,
#                  -k KERNEL, -a kvm|tcg, -v)
# environment:
#   QEMU           real QEMU binary (default: /usr/bin/qemu-system-x86_64)
#   ROUNDS         measured rounds of each run (default 10)
#   FAKE=0         skip the fakeqemu runs
#   REAL=0         skip the real-QEMU run
#   DISK=0         skip the fakeqemu run with the run directory on disk
#   REAL_RUNNING=1 leave the real VMs running (default: paused with QMP stop,
#                  so the guest kernels do not load the host during the timing)
#   BENCH_WRAPPER  command prefix for the benchmark, e.g. "perf stat"
#
# Runs, in order:
#   1. fakeqemu, its default (cooperative) guest model, virtio-blk on a bridge
#   2. fakeqemu, FAKEQEMU_GUEST=slow=0 (unplugs complete at once): QMP cost only
#   3. as 2, with the run directory (state file) in $TMPDIR or /tmp (on disk
#      here) instead of /dev/shm (tmpfs)
#   4. real QEMU, scsi-hd on virtio-scsi (its unplug needs no guest OS)
#   5. as 4, the library adding each round's disks in one pipelined batch
#      (qd_vm_add_blocks(), -B)
# It only reports; timings never fail it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
build=${1:-$top/build}
[ $# -gt 0 ] && shift
qemu=${QEMU:-/usr/bin/qemu-system-x86_64}
rounds=${ROUNDS:-10}
bench=$build/bench/hotplug-bench
fake=$build/fakeqemu/fakeqemu


tmp=$(mktemp -d "${TMPDIR:-/tmp}/qd-hotplug-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

bench_build run-hotplug-bench "$build" "$tmp" bench/hotplug-bench fakeqemu/fakeqemu

dirty=
if [ -n "$(git -C "$top" status --porcelain -- src 2>/dev/null)" ]; then
	dirty=" (src/ has uncommitted changes)"
fi
echo "== tree: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$dirty"

if [ "${FAKE:-1}" != 0 ]; then
	echo
	echo "== 1. fakeqemu ($fake), default guest model, virtio-blk"
	# shellcheck disable=SC2086 # BENCH_WRAPPER is meant to split into words
	env -u FAKEQEMU_GUEST ${BENCH_WRAPPER:-} "$bench" -q "$fake" -r "$rounds" "$@"

	echo
	echo "== 2. fakeqemu, FAKEQEMU_GUEST=slow=0 (unplug completes at once), virtio-blk"
	# shellcheck disable=SC2086
	FAKEQEMU_GUEST=slow=0 ${BENCH_WRAPPER:-} "$bench" -q "$fake" -r "$rounds" "$@"

	if [ "${DISK:-1}" != 0 ]; then
		echo
		echo "== 3. as 2, run directory on disk ($tmp)"
		# shellcheck disable=SC2086
		FAKEQEMU_GUEST=slow=0 ${BENCH_WRAPPER:-} "$bench" -q "$fake" -r "$rounds" \
			-d "$tmp" "$@"
		rm -rf "${tmp:?}"/hp-* "${tmp:?}"/img
	fi
fi

if [ "${REAL:-1}" != 0 ]; then
	if [ ! -x "$qemu" ]; then
		echo "run-hotplug-bench: no QEMU at $qemu: real-QEMU run skipped" >&2
		exit 0
	fi
	pause=-P
	[ "${REAL_RUNNING:-0}" != 0 ] && pause=
	echo
	echo "== 4. real QEMU: $qemu ($("$qemu" --version | head -n 1)), scsi-hd"
	# shellcheck disable=SC2086
	${BENCH_WRAPPER:-} "$bench" -q "$qemu" -b virtio-scsi -r "$rounds" $pause "$@"

	echo
	echo "== 5. as 4, the library's adds in one pipelined batch (qd_vm_add_blocks)"
	# shellcheck disable=SC2086
	${BENCH_WRAPPER:-} "$bench" -q "$qemu" -b virtio-scsi -r "$rounds" -B $pause "$@"
fi
