#!/bin/sh
# fuzz/smoke.sh - a short libFuzzer run of one target on a copy of its seed corpus (CI)
# usage: fuzz/smoke.sh FUZZER CORPUS_DIR SECONDS
# Exit status: the fuzzer's (0: nothing found in SECONDS; a finding is printed with its
# reproducer, kept in a temporary directory that is named).
set -eu
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/qd-fuzz-smoke.XXXXXX")
mkdir "$work/corpus"
cp "$corpus"/* "$work/corpus/"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
"$fuzzer" "$work/corpus" -max_len=65536 -max_total_time="$seconds" -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" 2>"$work/log" || status=$?
tail -n 12 "$work/log"
if [ "$status" -ne 0 ]; then
	echo "fuzz/smoke.sh: $(basename "$fuzzer") found something; reproducer and log in $work" >&2
	exit "$status"
fi
rm -rf "$work"
