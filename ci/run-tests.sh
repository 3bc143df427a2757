#!/bin/sh
# ci/run-tests.sh - every tier: unit, integration, system and clients (govmm and
# libvirt on fakeqemu versus real QEMU) on a -Werror build, unit and
# integration again under ASan+UBSan and under valgrind, a short run of every
# fuzz target, the scenario catalogue qualified on fakeqemu and QEMU 7.2 (qdctl
# qualify); then one closing line "N passed, N failed, N skipped" summed over
# all of them.
#
# The tiers run in three lanes at once: most of a tier's time is spent waiting
# for QEMU processes, sockets and guests (one lane keeps two cores less than
# half busy), so three lanes on two cores finish in about half the time of one. Each lane's output is kept in its own
# file and printed whole when the lane ends, so the log reads tier by tier.
# Everything two lanes could both fetch or build (the QEMU versions, the test
# guest) is made ready before they start.
set -u
cd "$(dirname "$0")/.."

ci/deps.sh || exit 1
ci/build.sh plain >/dev/null || exit 1
ci/build.sh asan >/dev/null || exit 1

logs=build/tier-logs
rm -rf "$logs"
mkdir -p "$logs"

fuzz_built=yes
fuzz/run.sh build >"$logs/fuzz-build.txt" 2>&1 || fuzz_built=no
for v in 5.2 7.2 10.0; do
	ci/get-qemu.sh "$v" >/dev/null || echo "ci/run-tests.sh: QEMU $v is not available; its tests say so and skip"
done
sh tests/system/guest/make-initramfs.sh "${QD_GUEST_CACHE:-${TMPDIR:-/tmp}/qemudrv-guest-$(id -u)}" >/dev/null ||
	echo "ci/run-tests.sh: the test guest did not build; the guest tests say why"

# run_tier NAME BUILD_DIR MESON_TEST_ARGS...: the tier's meson log (a file of
# its own, as two lanes share build/) is kept as $logs/NAME.json. Everything is
# built already: no lane runs ninja while another runs tests.
run_tier() {
	name=$1 dir=$2
	shift 2
	# meson names the log LOGBASE-SETUP.json under --setup SETUP.
	log="$dir/meson-logs/tier-$name.json"
	prev=""
	for a in "$@"; do
		[ "$prev" = --setup ] && log="$dir/meson-logs/tier-$name-$a.json"
		prev=$a
	done
	echo "=== tier $name"
	rm -f "$log"
	started=$(date +%s)
	meson test -C "$dir" --no-rebuild --logbase "tier-$name" --print-errorlogs "$@"
	echo "=== tier $name took $(($(date +%s) - started)) s"
	cp "$log" "$logs/$name.json" 2>/dev/null
}

run_fuzz() {
	if [ "$fuzz_built" = yes ]; then
		run_tier fuzz build-fuzz --suite fuzz
	else
		echo "ci/run-tests.sh: the fuzz targets did not build (clang, libclang-rt-14-dev):"
		cat "$logs/fuzz-build.txt"
	fi
}

# The scenario catalogue against fakeqemu and the real QEMU 7.2 side by side: the
# report (with the differences between them) in build/qualify-7.2/.
run_qualify() {
	echo "=== tier qualify-7.2"
	started=$(date +%s)
	build/src/qdctl/qdctl qualify --qemu fake --qemu "$(ci/get-qemu.sh 7.2)" \
		--out build/qualify-7.2 --junit "$logs/qualify-7.2.xml" | tail -n 20
	echo "=== tier qualify-7.2 took $(($(date +%s) - started)) s"
}

lane_one() {
	run_tier unit build --suite unit --suite abi
	run_tier integration build --suite integration
	run_tier system build --suite system
}

lane_two() {
	run_tier clients build --suite clients
	run_tier unit-asan build-asan --suite unit
	run_tier integration-asan build-asan --suite integration
}

lane_three() {
	run_tier integration-valgrind build --setup valgrindtools --suite integration
	run_tier unit-valgrind build --setup valgrind --suite unit
	run_fuzz
	run_qualify
}

# The whole-recording re-checks on real QEMU only for the system's QEMU (see
# live_recheck_skipped() in tests/pylib/qdtest.py; `make system` runs all).
export QD_LIVE_VERSIONS="${QD_LIVE_VERSIONS-7.2}"

started=$(date +%s)
lane_one >"$logs/lane-one.txt" 2>&1 &
one=$!
lane_two >"$logs/lane-two.txt" 2>&1 &
two=$!
lane_three >"$logs/lane-three.txt" 2>&1 &
three=$!
wait $one
cat "$logs/lane-one.txt"
wait $two
cat "$logs/lane-two.txt"
wait $three
cat "$logs/lane-three.txt"
echo "=== all tiers took $(($(date +%s) - started)) s"

echo "=== summary"
[ -f build/conformance-report.txt ] && cat build/conformance-report.txt
tiers=""
for t in unit integration system integration-valgrind clients unit-asan integration-asan unit-valgrind; do
	tiers="$tiers $t=$logs/$t.json"
done
if [ "$fuzz_built" = yes ]; then
	tiers="$tiers fuzz=$logs/fuzz.json"
else
	tiers="$tiers fuzz=$logs/fuzz-did-not-build.json"
fi
# shellcheck disable=SC2086
python3 ci/summarize.py $tiers qualify-7.2=$logs/qualify-7.2.xml
