#!/bin/sh
# ci/build.sh - configure (once) and build one build directory: plain, asan or fuzz.
# usage: ci/build.sh [plain|asan] (default plain)
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

if [ ! -f "$dir/build.ninja" ]; then
	# shellcheck disable=SC2086
	meson setup "$dir" $opts >/dev/null
fi
ninja -C "$dir" >/dev/null
echo "$dir"
