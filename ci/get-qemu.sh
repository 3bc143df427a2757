#!/bin/sh
# ci/get-qemu.sh - make a real qemu-system-x86_64 of one version runnable and
# print the path of something to exec (nothing else on stdout).
#
#   ci/get-qemu.sh 7.2    the system's /usr/bin/qemu-system-x86_64 (Debian bookworm)
#   ci/get-qemu.sh 5.2    Debian bullseye's build, unpacked beside the system one
#   ci/get-qemu.sh 10.0   Debian bookworm-backports' build, unpacked likewise
#
# 5.2 and 10.0 are fetched with `apt-get download` under a private APT
# configuration (own sources.list, state and cache under $QEMUDRV_QEMU_CACHE,
# default /var/cache/qemudrv-qemu), so the system's APT setup is untouched;
# the .debs are unpacked with `dpkg -x` into CACHE/VERSION/root and a wrapper
# CACHE/VERSION/qemu-system-x86_64 sets LD_LIBRARY_PATH and -L (firmware) and
# execs the real binary. Idempotent: once CACHE/VERSION/.complete exists the
# script only prints the wrapper's path. Needs root (or a writable cache) and
# the Debian mirror the system uses for bookworm (or QEMUDRV_DEBIAN_MIRROR).
set -eu

die() {
	echo "ci/get-qemu.sh: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: ci/get-qemu.sh 5.2|7.2|10.0"
version=$1
cache=${QEMUDRV_QEMU_CACHE:-/var/cache/qemudrv-qemu}

case "$version" in
7.2)
	if [ -x /usr/bin/qemu-system-x86_64 ]; then
		echo /usr/bin/qemu-system-x86_64
		exit 0
	fi
	die "QEMU 7.2 is Debian bookworm's qemu-system-x86; install it (ci/deps.sh or apt-get install qemu-system-x86)"
	;;
5.2)
	# Debian bullseye; everything from one suite.
	suites=bullseye
	main=qemu-system-x86
	;;
10.0)
	# bookworm-backports has only the backported packages (qemu, seabios);
	# the libraries they need come from bookworm itself.
	suites="bookworm-backports bookworm"
	main=qemu-system-x86/bookworm-backports
	;;
*)
	die "unknown version '$version' (want 5.2, 7.2 or 10.0)"
	;;
esac

dir=$cache/$version
wrapper=$dir/qemu-system-x86_64
if [ -f "$dir/.complete" ] && [ -x "$wrapper" ]; then
	echo "$wrapper"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found (Debian needed)"
command -v dpkg >/dev/null 2>&1 || die "dpkg not found (Debian needed)"
mkdir -p "$dir" 2>/dev/null || die "cannot create $dir (run as root or set QEMUDRV_QEMU_CACHE)"

# The mirror: $QEMUDRV_DEBIAN_MIRROR, else whatever the system uses for
# bookworm (deb822 or one-line style), else deb.debian.org.
mirror=${QEMUDRV_DEBIAN_MIRROR:-}
[ -n "$mirror" ] || mirror=$(
	cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm([ \n]|$)/ && /URIs:/ {
			n = split($0, l, "\n"); for (i = 1; i <= n; i++)
			if (l[i] ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", l[i]); split(l[i], u, " "); print u[1]; exit } }'
)
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
fi
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"

apt=$cache/apt-$version
mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/etc/preferences.d" "$apt/debs"
: >"$apt/etc/sources.list.tmp"
for s in $suites; do
	echo "deb [signed-by=$keyring] $mirror $s main" >>"$apt/etc/sources.list.tmp"
done
mv "$apt/etc/sources.list.tmp" "$apt/etc/sources.list"
: >"$apt/state/status"
aptopts="-o Dir::Etc::sourcelist=$apt/etc/sources.list -o Dir::Etc::sourceparts=- \
-o Dir::Etc::preferences=$apt/etc/preferences -o Dir::Etc::preferencesparts=$apt/etc/preferences.d \
-o Dir::State=$apt/state -o Dir::State::status=$apt/state/status -o Dir::Cache=$apt/cache \
-o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0 -o Acquire::Languages=none"

echo "ci/get-qemu.sh: fetching QEMU $version from $mirror ($suites)" >&2
# shellcheck disable=SC2086
apt-get $aptopts -qq update >"$apt/update.log" 2>&1 ||
	die "apt-get update for $suites failed (see $apt/update.log): $(tail -n 3 "$apt/update.log")"
# apt-get update exits 0 when a source is unreachable: look at what it said.
if grep -Eq '^(W|E|Err):.*(Failed to fetch|failed to download|Could not|Unable to)' "$apt/update.log" ||
	! ls "$apt/state/lists/"*_Packages* >/dev/null 2>&1; then
	die "cannot fetch the package lists of $suites from $mirror (see $apt/update.log): $(grep -E '^(W|E|Err)' "$apt/update.log" | head -n 3)"
fi

# depends PKG[/SUITE]: the package names PKG's candidate depends on (first
# alternative of each).
depends() {
	# shellcheck disable=SC2086
	apt-cache $aptopts show "$1" 2>/dev/null |
		awk '/^Depends:/ { sub(/^Depends:/, ""); n = split($0, d, ","); for (i = 1; i <= n; i++) {
			x = d[i]; sub(/\|.*/, "", x); sub(/\(.*/, "", x); sub(/:any/, "", x); gsub(/[ \t]/, "", x); print x } exit }'
}
host_has() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# What to fetch: QEMU and its firmware/data, plus every (transitive)
# dependency the host does not have installed (bullseye's libxen*, liburing1...).
want="$main"
for p in qemu-system-data seabios; do
	case "$suites" in
	*backports*) want="$want $p/bookworm-backports" ;;
	*) want="$want $p" ;;
	esac
done
want="$want ipxe-qemu"
seen=" qemu-system-x86 qemu-system-data seabios ipxe-qemu qemu-system-common "
todo=$(depends "$main")
depth=0
while [ -n "$todo" ] && [ $depth -lt 6 ]; do
	next=""
	for p in $todo; do
		case "$seen" in *" $p "*) continue ;; esac
		seen="$seen$p "
		host_has "$p" && continue
		want="$want $p"
		next="$next $(depends "$p")"
	done
	todo=$next
	depth=$((depth + 1))
done

# Download what is not already there (idempotent after a partial run).
need=""
for p in $want; do
	n=${p%%/*}
	ls "$apt/debs/${n}_"*.deb >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	# APT::Sandbox::User=root: the _apt user may not write into the cache dir.
	# shellcheck disable=SC2086
	(cd "$apt/debs" && apt-get $aptopts -o APT::Sandbox::User=root -qq download $need) \
		>"$apt/download.log" 2>&1 ||
		die "apt-get download of$need failed (see $apt/download.log): $(tail -n 3 "$apt/download.log")"
fi

root=$dir/root
rm -rf "$root.tmp"
mkdir -p "$root.tmp"
for deb in "$apt/debs/"*.deb; do
	dpkg -x "$deb" "$root.tmp" || die "dpkg -x $deb failed"
done
bin=$root.tmp/usr/bin/qemu-system-x86_64
[ -x "$bin" ] || die "no usr/bin/qemu-system-x86_64 in the downloaded packages"
rm -rf "$root"
mv "$root.tmp" "$root"
bin=$root/usr/bin/qemu-system-x86_64

libpath="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu/ceph"
# Unresolved libraries are fatal: the wrapper would fail at run time anyway.
missing=$(LD_LIBRARY_PATH=$libpath ldd "$bin" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
[ -z "$missing" ] || die "QEMU $version still misses libraries: $missing"

cat >"$wrapper.tmp" <<EOF
#!/bin/sh
# QEMU $version unpacked by ci/get-qemu.sh; firmware from its own share/qemu.
# Module directory: QEMU looks for modules relative to its binary and in
# QEMU_MODULE_DIR.
LD_LIBRARY_PATH="$libpath\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
QEMU_MODULE_DIR="$root/usr/lib/x86_64-linux-gnu/qemu"
export LD_LIBRARY_PATH QEMU_MODULE_DIR
exec "$bin" -L "$root/usr/share/qemu" -L "$root/usr/share/seabios" -L "$root/usr/lib/ipxe/qemu" "\$@"
EOF
chmod 755 "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"

out=$("$wrapper" -version 2>&1) || die "QEMU $version does not run: $out"
echo "ci/get-qemu.sh: $(echo "$out" | head -n 1)" >&2
touch "$dir/.complete"
echo "$wrapper"
