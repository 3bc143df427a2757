#!/bin/sh
# fuzz/run.sh - build the libFuzzer targets in build-fuzz and fuzz one of them for SECONDS (default 60)
#
# Usage: fuzz/run.sh [TARGET] [SECONDS] [extra libFuzzer flags...]
# TARGET is qmp_stream (the default), fakeqemu_qmp, state, config_json or argv; fuzz/run.sh [SECONDS]
# fuzzes qmp_stream as before.
# The seed corpus fuzz/corpus/TARGET is copied, never written: new inputs go to
# build-fuzz/corpus-run (qmp_stream) or build-fuzz/corpus-run-TARGET.
# fuzz/run.sh build only sets up build-fuzz and builds every target (what CI
# needs before `meson test -C build-fuzz --suite fuzz`, a short run of each).
# Exit status: 0 when nothing was found, 1 on a crash, leak or timeout (the
# reproducer is left in fuzz/ as crash-*, leak-* or timeout-*; for fakeqemu_qmp
# as fakeqemu_qmp-crash-* etc.), 2 on usage or build errors.
set -eu

usage() {
	echo "usage: $0 [qmp_stream|fakeqemu_qmp|state|config_json|argv] [SECONDS] [libFuzzer flags...]" >&2
	exit 2
}

target=qmp_stream
case ${1:-} in
qmp_stream|fakeqemu_qmp|state|config_json|argv|build) target=$1; shift ;;
esac
seconds=${1:-60}
[ $# -gt 0 ] && shift
case $seconds in
''|*[!0-9]*) usage ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=$top/build-fuzz

case $target in
qmp_stream)
	run_corpus=$build/corpus-run
	prefix=$here/
	;;
*)
	run_corpus=$build/corpus-run-$target
	prefix=$here/$target-
	;;
esac
dict=
[ -f "$here/$target.dict" ] && dict=-dict=$here/$target.dict

if [ ! -f "$build/build.ninja" ]; then
	CC=${CC:-clang} meson setup "$build" "$top" \
		-Dfuzzers=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false \
		"-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
		>"$build.setup.log" 2>&1 || { cat "$build.setup.log" >&2; exit 2; }
	rm -f "$build.setup.log"
fi
if [ "$target" = build ]; then
	ninja -C "$build" >/dev/null || exit 2
	exit 0
fi
ninja -C "$build" "fuzz/fuzz_$target" >/dev/null || exit 2

mkdir -p "$run_corpus"
cp "$here/corpus/$target"/* "$run_corpus"/

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
"$build/fuzz/fuzz_$target" "$run_corpus" \
	-max_len=65536 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	${dict:+"$dict"} -print_final_stats=1 -artifact_prefix="$prefix" "$@" || status=$?

if [ "$status" -ne 0 ]; then
	echo "fuzz/run.sh: fuzzer failed (status $status); reproducer(s):" >&2
	ls -1 "$prefix"crash-* "$prefix"leak-* "$prefix"timeout-* "$prefix"oom-* 2>/dev/null >&2 || true
	exit 1
fi
echo "fuzz/run.sh: no findings in $seconds s; corpus grew to $(ls "$run_corpus" | wc -l) files in $run_corpus"
