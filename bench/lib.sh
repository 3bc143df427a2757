# bench/lib.sh - sourced by the bench/run-*.sh scripts (POSIX sh)
# shellcheck shell=sh

# bench_build PROG BUILD_DIR TMP_DIR TARGET...
# Check that BUILD_DIR is a meson build directory and build TARGETs in it; on
# failure print the build log (kept in TMP_DIR) and exit 1, naming PROG.
bench_build() {
	_prog=$1 _build=$2 _log=$3/build.log
	shift 3
	if [ ! -f "$_build/build.ninja" ]; then
		echo "$_prog: $_build is not a meson build directory" >&2
		exit 1
	fi
	if ! ninja -C "$_build" "$@" >"$_log" 2>&1; then
		cat "$_log" >&2
		echo "$_prog: building $* in $_build failed" \
			"(a build dir set up with -Dtests=false skips the test targets)" >&2
		exit 1
	fi
}
