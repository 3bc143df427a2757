#!/bin/sh
# ci/get-qemu.sh - make a real qemu-system-x86_64 of one version runnable and
# print the path of something to exec (nothing else on stdout).
#
#   ci/get-qemu.sh 7.2    the system's /usr/bin/qemu-system-x86_64 (Debian bookworm)
#   ci/get-qemu.sh 5.2    Debian bullseye's build, unpacked beside the system one
#   ci/get-qemu.sh 10.0   Debian bookworm-backports' build, unpacked likewise
#   ci/get-qemu.sh SUITE  the build of any other Debian suite whose binaries run
#                         on this host's libc (e.g. bullseye, bookworm-backports)
#   ci/get-qemu.sh --list the names above with the QEMU version each one gives
#
# Each unpacked version is self-contained: QEMU itself, its own module
# packages (qemu-system-common, -gui, -modules-*, qemu-block-extra), firmware
# (qemu-system-data, seabios, ipxe-qemu) and every library the host lacks or
# has too old, resolved by APT against the host's dpkg status. The packages
# are fetched with `apt-get download` under a private APT configuration
# (own sources.list, state and cache under $QEMUDRV_QEMU_CACHE, default
# /var/cache/qemudrv-qemu), so the system's APT setup is untouched, and
# unpacked with `dpkg -x` into CACHE/VERSION/root. A wrapper
# CACHE/VERSION/qemu-system-x86_64 sets LD_LIBRARY_PATH, QEMU_MODULE_DIR and
# -L (firmware) and execs the real binary.
#
# Modules: QEMU searches QEMU_MODULE_DIR, then its compiled-in module
# directory (/usr/lib/x86_64-linux-gnu/qemu, the *system* QEMU's), then
# others of its own. A module missing from (or failing in) the first would
# be taken from the system QEMU of another version: 5.2 then prints "only
# modules from the same build can be loaded", 10.0 crashes. So the
# compiled-in directory is redirected into the version's own tree: through
# QEMU's relocation (`qemu-bundle` beside the binary, QEMU >= 7.1), or for
# older binaries by rewriting that one path in a copy of the binary to a
# directory that cannot exist. The script checks that no module directory
# outside the tree is left, that every module's libraries resolve, and that
# loading all modules gives no error.
#
# Idempotent: once CACHE/VERSION/.complete holds the current layout the
# script only prints the wrapper's path; an older unpacked tree is rebuilt
# (downloads already in the cache are reused). Needs root (or a writable
# cache) and the Debian mirror the system uses for bookworm (or
# QEMUDRV_DEBIAN_MIRROR).
set -eu

die() {
	echo "ci/get-qemu.sh: $*" >&2
	exit 1
}

# Bump when the unpacked tree changes shape, so old caches are rebuilt.
layout="layout 2: own modules, module directory fenced"
cache=${QEMUDRV_QEMU_CACHE:-/var/cache/qemudrv-qemu}
system_moddir=/usr/lib/x86_64-linux-gnu/qemu

usage() {
	die "usage: ci/get-qemu.sh 5.2|7.2|10.0|SUITE|--list"
}
[ $# -eq 1 ] || usage
spec=$1
# A suite that has a short name shares its cache with it.
case "$spec" in
bullseye) spec=5.2 ;;
bookworm-backports) spec=10.0 ;;
esac

# The suites a version name stands for: the suite QEMU comes from first,
# then the ones its libraries may come from.
suites_of() {
	case "$1" in
	5.2) echo "bullseye bullseye-updates" ;;
	10.0) echo "bookworm-backports bookworm bookworm-updates" ;;
	*-backports) echo "$1 ${1%-backports} ${1%-backports}-updates" ;;
	*) echo "$1" ;;
	esac
}

system_qemu() {
	[ -x /usr/bin/qemu-system-x86_64 ] && echo /usr/bin/qemu-system-x86_64 && return 0
	die "QEMU 7.2 is Debian bookworm's qemu-system-x86; install it (ci/deps.sh or apt-get install qemu-system-x86)"
}

case "$spec" in
--list)
	echo "7.2 bookworm (the system's qemu-system-x86)"
	echo "5.2 bullseye"
	echo "10.0 bookworm-backports"
	echo "SUITE: any Debian suite name whose qemu-system-x86 runs on this host's libc"
	exit 0
	;;
7.2 | bookworm) system_qemu ;;
*[!a-z0-9.-]* | "" | -*) usage ;;
esac
case "$spec" in 7.2 | bookworm) exit 0 ;; esac

suites=$(suites_of "$spec")
target=${suites%% *}
dir=$cache/$spec
wrapper=$dir/qemu-system-x86_64
if [ -x "$wrapper" ] && [ "$(cat "$dir/.complete" 2>/dev/null)" = "$layout" ]; then
	echo "$wrapper"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found (Debian needed)"
command -v dpkg >/dev/null 2>&1 || die "dpkg not found (Debian needed)"
mkdir -p "$dir" 2>/dev/null || die "cannot create $dir (run as root or set QEMUDRV_QEMU_CACHE)"

# One builder per version at a time; a second caller waits, then finds it done.
exec 9>"$dir/.lock"
flock 9
if [ -x "$wrapper" ] && [ "$(cat "$dir/.complete" 2>/dev/null)" = "$layout" ]; then
	echo "$wrapper"
	exit 0
fi
rm -f "$dir/.complete"

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

apt=$cache/apt-$spec
mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/etc/preferences.d" "$apt/debs"
: >"$apt/etc/sources.list.tmp"
for s in $suites; do
	echo "deb [signed-by=$keyring] $mirror $s main" >>"$apt/etc/sources.list.tmp"
done
mv "$apt/etc/sources.list.tmp" "$apt/etc/sources.list"
: >"$apt/state/status"
# Two views of the private archive: $aptopts knows nothing is installed
# (for downloads), $simopts sees the host's dpkg status, so that APT's own
# resolver says which packages this version needs beyond the host's.
aptopts="-o Dir::Etc::sourcelist=$apt/etc/sources.list -o Dir::Etc::sourceparts=- \
-o Dir::Etc::preferences=$apt/etc/preferences -o Dir::Etc::preferencesparts=$apt/etc/preferences.d \
-o Dir::State=$apt/state -o Dir::State::status=$apt/state/status -o Dir::Cache=$apt/cache \
-o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0 -o Acquire::Languages=none"
simopts="$aptopts -o Dir::State::status=/var/lib/dpkg/status \
-o Dir::State::extended_states=$apt/state/extended_states -o APT::Get::allow-downgrades=1"

echo "ci/get-qemu.sh: fetching QEMU $spec from $mirror ($suites)" >&2
# shellcheck disable=SC2086
apt-get $aptopts -qq update >"$apt/update.log" 2>&1 ||
	die "apt-get update for $suites failed (see $apt/update.log): $(tail -n 3 "$apt/update.log")"
# apt-get update exits 0 when a source is unreachable: look at what it said.
if grep -Eq '^(W|E|Err):.*(Failed to fetch|failed to download|Could not|Unable to)' "$apt/update.log" ||
	! ls "$apt/state/lists/"*"_${target}_"*Packages* >/dev/null 2>&1; then
	die "cannot fetch the package lists of $suites from $mirror (see $apt/update.log): $(grep -E '^(W|E|Err)' "$apt/update.log" | head -n 3)"
fi

# The version of QEMU this suite has; every QEMU package is taken at exactly
# that version (one build), the modules included.
# shellcheck disable=SC2086
qver=$(apt-cache $aptopts show "qemu-system-x86/$target" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
[ -n "$qver" ] || die "suite $target has no qemu-system-x86"
qemu_pkgs=""
for p in qemu-system-x86 qemu-system-common qemu-system-data qemu-system-gui \
	qemu-block-extra qemu-system-modules-spice qemu-system-modules-opengl; do
	# shellcheck disable=SC2086
	apt-cache $aptopts show "$p=$qver" >/dev/null 2>&1 && qemu_pkgs="$qemu_pkgs $p=$qver"
done

# What APT would install on this host for them: the QEMU packages plus the
# libraries the host lacks (bullseye's libxen*, liburing1, gtk for the GUI
# modules...) or has too old. Firmware always comes from the version's suite.
# shellcheck disable=SC2086
apt-get $simopts -t "$target" -s --no-install-recommends install $qemu_pkgs \
	>"$apt/resolve.log" 2>&1 ||
	die "APT cannot resolve QEMU $qver's packages (see $apt/resolve.log): $(grep '^E:' "$apt/resolve.log" | head -n 3)"
want=$(awk '$1 == "Inst" { v = ($3 ~ /^\[/) ? $4 : $3; sub(/^\(/, "", v); print $2 "=" v }' "$apt/resolve.log")
# A build for a newer C library cannot run beside this host's dynamic loader.
case " $(echo "$want" | tr '\n' ' ') " in
*" libc6="*)
	die "QEMU $qver from $target needs a newer C library ($(echo "$want" | grep '^libc6=' | cut -d= -f2)) than this host's; it cannot run here"
	;;
esac
for p in seabios ipxe-qemu; do
	# shellcheck disable=SC2086
	v=$(apt-cache $aptopts show "$p/$target" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
	# shellcheck disable=SC2086
	[ -n "$v" ] || v=$(apt-cache $aptopts show "$p" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
	[ -n "$v" ] || die "no $p in $suites"
	case " $want " in *" $p="*) ;; *) want="$want $p=$v" ;; esac
done

# Download what is not already there (idempotent after a partial run). A
# .deb's file name holds its version with ':' as '%3a'.
need=""
for pv in $want; do
	n=${pv%%=*}
	v=$(echo "${pv#*=}" | sed 's/:/%3a/')
	ls "$apt/debs/${n}_${v}_"*.deb >/dev/null 2>&1 || need="$need $pv"
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
for pv in $want; do
	n=${pv%%=*}
	v=$(echo "${pv#*=}" | sed 's/:/%3a/')
	for deb in "$apt/debs/${n}_${v}_"*.deb; do
		dpkg -x "$deb" "$root.tmp" || die "dpkg -x $deb failed"
	done
done
bin=$root.tmp/usr/bin/qemu-system-x86_64
[ -x "$bin" ] || die "no usr/bin/qemu-system-x86_64 in the downloaded packages"
# A symlink that names an absolute path would leave the tree.
find "$root.tmp" -type l | while read -r l; do
	case "$(readlink "$l")" in
	/*) ln -sfn "$root$(readlink "$l")" "$l" ;;
	esac
done

# Fence the compiled-in module directory (see the top of this file).
if grep -q qemu-bundle "$bin"; then
	# get_relocated_path(): EXEC_DIR/qemu-bundle + the configured path.
	ln -s ../.. "$root.tmp/usr/bin/qemu-bundle"
else
	grep -aq "$system_moddir" "$bin" || die "QEMU $qver: no compiled-in module directory found to fence"
	# Same length or shorter, NUL-padded; PID 0 never has a /proc entry.
	fence=/proc/0/qemudrv-no-modules
	perl -0777 -pi -e "s{\\0\Q$system_moddir\E\\0}{\"\\0$fence\" . (\"\\0\" x (length(\"$system_moddir\") - length(\"$fence\") + 1))}ge" "$bin" ||
		die "cannot rewrite the module directory of $bin"
	! grep -aq "$system_moddir" "$bin" || die "QEMU $qver: $system_moddir still named in $bin"
fi
rm -rf "$root"
mv "$root.tmp" "$root"
bin=$root/usr/bin/qemu-system-x86_64
moddir=$root$system_moddir

libpath="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu/ceph"
for d in "$root/usr/lib/x86_64-linux-gnu/"*/; do
	case "$d" in */qemu/) continue ;; esac
	ls "$d"*.so* >/dev/null 2>&1 && libpath="$libpath:${d%/}"
done
# Unresolved libraries are fatal: the wrapper (or the module) would fail at
# run time anyway, and a failed module would look like a QEMU difference.
missing=""
for f in "$bin" "$moddir"/*.so; do
	[ -e "$f" ] || continue
	m=$(LD_LIBRARY_PATH=$libpath ldd "$f" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
	[ -z "$m" ] || missing="$missing ${f#"$root"/}: $m;"
done
[ -z "$missing" ] || die "QEMU $qver still misses libraries:$missing"

cat >"$wrapper.tmp" <<EOF
#!/bin/sh
# QEMU $qver ($target) unpacked by ci/get-qemu.sh: its own libraries,
# modules (the compiled-in module directory is fenced into this tree) and
# firmware. Nothing of the system's QEMU is used.
LD_LIBRARY_PATH="$libpath\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
QEMU_MODULE_DIR="$moddir"
export LD_LIBRARY_PATH QEMU_MODULE_DIR
exec "$bin" -L "$root/usr/share/qemu" -L "$root/usr/share/seabios" -L "$root/usr/lib/ipxe/qemu" "\$@"
EOF
chmod 755 "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"

out=$("$wrapper" -version 2>&1) || die "QEMU $qver does not run: $out"
# `-device help` loads every device module: any failure shows here.
modout=$("$wrapper" -nodefaults -machine none -display none -device help 2>&1 >/dev/null) ||
	die "QEMU $qver -device help failed: $modout"
if echo "$modout" | grep -qi module; then
	die "QEMU $qver cannot load its modules: $(echo "$modout" | grep -i module | head -n 3)"
fi
echo "ci/get-qemu.sh: $(echo "$out" | head -n 1), $(find "$moddir" -name '*.so' 2>/dev/null | wc -l) modules" >&2
echo "$layout" >"$dir/.complete"
echo "$wrapper"
