#!/bin/sh
# ci/build.sh - configure (once) and build one build directory: plain or asan.
# usage: ci/build.sh [plain|asan] (default plain). Quiet unless something fails.
set -eu
cd "$(dirname "$0")/.."

kind=${1:-plain}
case "$kind" in
plain)
	dir=build
	opts="-Dwerror=true"
	;;
asan)
	dir=build-asan
	opts="-Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug"
	;;
*)
	echo "ci/build.sh: unknown build kind '$kind'" >&2
	exit 2
	;;
esac

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$dir/build.ninja" ]; then
	# shellcheck disable=SC2086
	if ! meson setup "$dir" $opts >"$log" 2>&1; then
		cat "$log" >&2
		echo "ci/build.sh: meson setup of $dir failed" >&2
		exit 1
	fi
fi
if ! ninja -C "$dir" >"$log" 2>&1; then
	cat "$log" >&2
	echo "ci/build.sh: build of $dir failed" >&2
	exit 1
fi
echo "$dir"
