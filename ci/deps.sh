#!/bin/sh
# ci/deps.sh - install the Debian packages qemudrv needs, only those missing.
set -eu

PACKAGES="gcc make meson ninja-build pkg-config libcmocka-dev libjson-c-dev uuid-dev
python3 python3-pytest python3-yaml qemu-system-x86 valgrind clang libclang-rt-14-dev
linux-image-amd64 busybox-static cpio procps
golang-go golang-github-kata-containers-govmm-dev
libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi
echo "ci/deps.sh: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "ci/deps.sh: missing packages and not root; run: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
