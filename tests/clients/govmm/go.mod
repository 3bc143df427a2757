// The kata govmm client driver. govmm comes from Debian's
// golang-github-kata-containers-govmm-dev (no network, no module proxy):
// build with GOFLAGS=-mod=mod GOPROXY=off (see tests/clients/README.md).
module qemudrv.test/clients/govmm

go 1.19

require github.com/kata-containers/govmm v0.0.0

replace github.com/kata-containers/govmm => /usr/share/gocode/src/github.com/kata-containers/govmm
