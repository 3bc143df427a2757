#!/bin/sh
# ci/run-demo.sh - the main job of `make run`: a VM's life cycle and hot-plug through qemudrv.
# Runs on fakeqemu by default; QD_QEMU=/usr/bin/qemu-system-x86_64 make run uses real QEMU
# (give it a kernel with QD_KERNEL=/boot/vmlinuz-...).
set -eu
cd "$(dirname "$0")/.."

qdctl=build/src/qdctl/qdctl
dir=$(mktemp -d /tmp/qd-run-XXXXXX)
trap 'rm -rf "$dir"' EXIT
qemu_opt=""
[ -n "${QD_QEMU:-}" ] && qemu_opt="--qemu $QD_QEMU"
kernel=""
[ -n "${QD_KERNEL:-}" ] && kernel="\"kernel\": \"$QD_KERNEL\", "
cat >"$dir/vm.json" <<JSON
{"id": "demo", ${kernel}"accel": "tcg", "vcpus": 1, "max_vcpus": 4, "memory_mb": 512,
 "bridges": 1}
JSON

echo "== qdctl run: create, start, pause, resume, stop"
# shellcheck disable=SC2086
$qdctl run -d "$dir" $qemu_opt "$dir/vm.json"

echo
echo "== qdctl vm: start, hot-plug 2 vCPUs and a disk, remove them, stop"
truncate -s 16M "$dir/disk1.img"
# shellcheck disable=SC2086
$qdctl vm -d "$dir" $qemu_opt "$dir/vm.json" start caps add-vcpus 2 \
	add-block disk1 "$dir/disk1.img" remove-block disk1 remove-vcpus 1 status stop
echo
echo "qemudrv: done (state kept in $dir/demo/state.json while it ran)"
