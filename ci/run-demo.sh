#!/bin/sh
# ci/run-demo.sh - the main job of `make run`: start a VM, drive it over QMP with qdctl, stop it.
# Runs on fakeqemu by default; QD_QEMU=qemu-system-x86_64 make run uses real QEMU.
# (`qdctl run`, issue 4, will replace this script.)
set -eu
cd "$(dirname "$0")/.."

qemu=${QD_QEMU:-build/fakeqemu/fakeqemu}
dir=$(mktemp -d /tmp/qd-run-XXXXXX)
sock=$dir/qmp.sock
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

echo "qemudrv: starting $qemu with a QMP socket at $sock"
"$qemu" -S -display none -nodefaults -machine pc -smp 1,maxcpus=4 \
	-qmp "unix:$sock,server=on,wait=off" >"$dir/qemu.log" 2>&1 &
pid=$!
i=0
while [ ! -S "$sock" ]; do
	if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 200 ]; then
		echo "qemudrv: QEMU did not create its QMP socket:" >&2
		cat "$dir/qemu.log" >&2
		exit 1
	fi
	i=$((i + 1))
	sleep 0.05
done

cpu=$(build/src/qdctl/qdctl qmp "$sock" query-hotpluggable-cpus 2>/dev/null |
	sed -n 's/.*"type": "\([^"]*\)".*/\1/p' | head -n 1)
echo "qemudrv: qdctl qmp: status, hot-plug a vCPU of type $cpu, list CPUs, quit"
build/src/qdctl/qdctl qmp -e SHUTDOWN "$sock" query-status \
	device_add "{\"driver\": \"$cpu\", \"id\": \"cpu-1\", \"socket-id\": 0, \"core-id\": 1, \"thread-id\": 0}" \
	query-cpus-fast quit
status=0
wait "$pid" || status=$?
pid=
echo "qemudrv: QEMU exited with status $status"
