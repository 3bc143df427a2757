#!/bin/sh
# ci/run-demo.sh - the main job of `make run`: start QEMU, drive it over QMP with qdctl, stop it.
# Until fakeqemu (issue 3) and `qdctl run` (issue 4) land, this drives real QEMU
# with -machine none, which needs no KVM and no guest.
set -eu
cd "$(dirname "$0")/.."

qemu=${QD_QEMU:-qemu-system-x86_64}
dir=$(mktemp -d /tmp/qd-run-XXXXXX)
sock=$dir/qmp.sock
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

echo "qemudrv: starting $qemu with a QMP socket at $sock"
"$qemu" -S -display none -nodefaults -machine none \
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

echo "qemudrv: qdctl qmp -e SHUTDOWN $sock query-status query-version query-name quit"
build/src/qdctl/qdctl qmp -e SHUTDOWN "$sock" query-status query-version query-name quit
status=0
wait "$pid" || status=$?
echo "qemudrv: QEMU exited with status $status"
