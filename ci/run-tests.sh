#!/bin/sh
# ci/run-tests.sh - every tier: unit, integration, system and clients (govmm and
# libvirt on fakeqemu versus real QEMU) on a -Werror build, unit and
# integration again under ASan+UBSan and under valgrind, the scenario
# catalogue qualified on fakeqemu and QEMU 7.2 (qdctl qualify); then one
# closing line "N passed, N failed, N skipped" summed over all of them.
set -u
cd "$(dirname "$0")/.."

ci/deps.sh || exit 1
ci/build.sh plain >/dev/null || exit 1
ci/build.sh asan >/dev/null || exit 1

logs=build/tier-logs
rm -rf "$logs"
mkdir -p "$logs"
tiers=""

# run_tier NAME BUILD_DIR LOGNAME MESON_TEST_ARGS...
run_tier() {
	name=$1 dir=$2 log=$3
	shift 3
	echo "=== tier $name"
	rm -f "$dir/meson-logs/$log"
	started=$(date +%s)
	meson test -C "$dir" --print-errorlogs "$@"
	echo "=== tier $name took $(($(date +%s) - started)) s"
	cp "$dir/meson-logs/$log" "$logs/$name.json" 2>/dev/null
	tiers="$tiers $name=$logs/$name.json"
}

run_tier unit build testlog.json --suite unit --suite abi
run_tier integration build testlog.json --suite integration
run_tier system build testlog.json --suite system
run_tier clients build testlog.json --suite clients
run_tier unit-asan build-asan testlog.json --suite unit
run_tier integration-asan build-asan testlog.json --suite integration
run_tier unit-valgrind build testlog-valgrind.json --setup valgrind --suite unit
run_tier integration-valgrind build testlog-valgrindtools.json --setup valgrindtools --suite integration
# A short libFuzzer run of every fuzz target (fuzz/README.md has the long ones).
if fuzz/run.sh build; then
	run_tier fuzz build-fuzz testlog.json --suite fuzz
else
	echo "ci/run-tests.sh: the fuzz targets did not build (clang, libclang-rt-14-dev)" >&2
	tiers="$tiers fuzz=build-fuzz/meson-logs/missing.json"
fi

# The scenario catalogue against fakeqemu and the real QEMU 7.2 side by side: the
# report (with the differences between them) in build/qualify-7.2/.
echo "=== tier qualify-7.2"
build/src/qdctl/qdctl qualify --qemu fake --qemu "$(ci/get-qemu.sh 7.2)" \
	--out build/qualify-7.2 --junit "$logs/qualify-7.2.xml" | tail -n 20
tiers="$tiers qualify-7.2=$logs/qualify-7.2.xml"

echo "=== summary"
[ -f build/conformance-report.txt ] && cat build/conformance-report.txt
# shellcheck disable=SC2086
python3 ci/summarize.py $tiers
