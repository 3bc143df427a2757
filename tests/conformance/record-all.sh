#!/bin/sh
# tests/conformance/record-all.sh [VERSION...] - fetch each real QEMU (ci/get-qemu.sh),
# re-record every probe script into transcripts/VERSION/ and refresh
# fakeqemu-data/VERSION/. Default versions: 5.2 7.2 10.0. Needs root for the
# first fetch (cache in /var/cache/qemudrv-qemu).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
[ $# -gt 0 ] || set -- 5.2 7.2 10.0
"$py" "$here/make_scripts.py" >/dev/null
"$py" "$here/make_scripts_qom.py" >/dev/null
rc=0
for v in "$@"; do
	qemu=$("$top/ci/get-qemu.sh" "$v")
	rm -rf "$here/transcripts/$v"
	"$py" "$here/record.py" --qemu "$qemu" --out "$here/transcripts/$v" "$here"/scripts/*.json || rc=1
	"$py" "$here/record.py" --qemu "$qemu" --data "$top/fakeqemu-data/$v" || rc=1
	"$py" "$here/introspect.py" --qemu "$qemu" --out "$top/fakeqemu-data/$v/introspect.json" || rc=1
done
exit $rc
