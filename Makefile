# Thin wrapper over ci/: `make run` and `make test` install what is missing,
# build, and run. Everything real lives in ci/*.sh and meson.
.PHONY: all deps build run test unit integration system clients asan valgrind fuzz bench clean qualify

all: build

deps:
	@ci/deps.sh

build: deps
	@ci/build.sh plain >/dev/null

# The main job: drive a VM through qdctl (see README.md).
run: build
	@ci/run-demo.sh

# Every tier, with ASan+UBSan and valgrind runs; ends with "N passed, N failed, N skipped".
test: deps
	@ci/run-tests.sh

unit integration system: build
	meson test -C build --suite $@ --print-errorlogs

# Real QEMU clients (kata's govmm, libvirt 9.0) on fakeqemu vs real QEMU (tests/clients/).
clients: build
	meson test -C build --suite clients --print-errorlogs

asan: deps
	@ci/build.sh asan >/dev/null
	meson test -C build-asan --suite unit --suite integration --print-errorlogs

valgrind: build
	meson test -C build --setup valgrind --suite unit --print-errorlogs

# The scenario catalogue against real QEMU 5.2, 7.2 and 10.0 side by side (and
# fakeqemu): one report in build/qemu-matrix/ (report.html, report.md, report.xml).
qualify: build
	@ci/qemu-matrix

fuzz: deps
	fuzz/run.sh 60

bench: build
	bench/run-qmp-roundtrip.sh build

clean:
	rm -rf build build-asan build-fuzz
