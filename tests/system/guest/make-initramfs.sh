#!/bin/sh
# make-initramfs.sh OUTDIR - build a tiny test-guest initramfs for the installed
# Debian kernel (busybox-static + the virtio/SCSI/ACPI-button modules), idempotently.
#
# Prints two lines on stdout: the kernel path, then the initramfs path.
# Progress and errors go to stderr; exit 1 on failure.
#
# The kernel printed is OUTDIR/qd-guest-KVER.vmlinux when the Debian bzImage can be
# unpacked (its xz payload is an ELF vmlinux with a PVH entry note, CONFIG_PVH=y):
# QEMU boots that directly (-kernel vmlinux, PVH option ROM), which saves the 2-4 s
# that decompressing the bzImage takes under TCG. Otherwise /boot/vmlinuz-KVER.
#
# Environment:
#   QD_GUEST_KVER     kernel version to use (default: newest /boot/vmlinuz-* that has
#                     /lib/modules/VERSION/modules.dep)
#   QD_GUEST_BUSYBOX  static busybox (default: /bin/busybox, must be statically linked)
#
# The image is OUTDIR/qd-guest-KVER.cpio.gz; OUTDIR/qd-guest-KVER.stamp holds a hash
# of this script, the kernel version, the busybox binary and the module list: when it
# matches, nothing is rebuilt (~5 ms). A build takes well under a second. Concurrent
# callers are safe (each builds in its own temp dir, the final rename is atomic).
#
# The guest (/init below) prints marker lines on the serial console (ttyS0):
#   QD-GUEST-READY uptime=SECS cpus=LIST blocks=LIST    everything below is set up
#   QD-BLOCK-ADD NAME / QD-BLOCK-DEL NAME               a disk appeared / went
#   QD-CPU-ADD N online=0|1 / QD-CPU-ONLINE N / QD-CPU-OFFLINE N / QD-CPU-DEL N
#   QD-PCI-ADD BDF VENDOR:DEVICE / QD-PCI-DEL BDF
#   QD-MEM-ADD N state=online|offline / QD-MEM-ONLINE N / QD-MEM-OFFLINE N / QD-MEM-DEL N
#                                                       a memory block (hot-plugged memory)
#   QD-NET-ADD IFNAME / QD-NET-DEL IFNAME               a network interface appeared / went
#   QD-POWER-BUTTON                                     acpid got the ACPI power button
#   QD-MODULE-FAIL NAME                                 insmod failed
# then reads shell command lines from the console (no echo, no prompt) and evals them,
# so a test can send e.g. "cat /proc/cpuinfo; echo QD-DONE 7 $?".
# Kernel command-line switches (all default on):
#   qd.online=0   do not online hot-added CPUs and memory blocks
#   qd.acpid=0    do not run acpid (the power button is then ignored)
#   qd.uevent=0   no uevent listener (no QD-BLOCK/CPU/PCI markers, no auto-online)
set -eu

usage() { echo "usage: $0 OUTDIR" >&2; exit 1; }
[ $# -eq 1 ] || usage
OUTDIR=$1
die() { echo "make-initramfs.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------- kernel
KVER=${QD_GUEST_KVER:-}
if [ -z "$KVER" ]; then
    for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V -r); do
        if [ -r "/lib/modules/$k/modules.dep" ]; then KVER=$k; break; fi
    done
fi
[ -n "$KVER" ] || die "no /boot/vmlinuz-* with /lib/modules/VERSION/modules.dep (install linux-image-amd64)"
KERNEL=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER
[ -r "$KERNEL" ] || die "$KERNEL is missing or unreadable"
[ -r "$MODDIR/modules.dep" ] || die "$MODDIR/modules.dep is missing"

BUSYBOX=${QD_GUEST_BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (install busybox-static)"
if command -v file >/dev/null 2>&1; then
    file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not statically linked (install busybox-static)"
fi
command -v cpio >/dev/null 2>&1 || die "cpio is not installed"

# Wanted modules, in the order to load them (dependencies are added before each
# one; virtio_ring comes first). Soft dependencies of the crc helpers are listed
# explicitly so that no request_module() is needed in the guest. Names missing
# from modules.dep but listed in modules.builtin are built in and skipped.
WANT="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
virtio_blk scsi_common scsi_mod virtio_scsi crct10dif_generic crc64_rocksoft_generic sd_mod
failover net_failover virtio_net virtio_balloon virtio_console virtio_mem
acpiphp shpchp button evdev"

# ---------------------------------------------------------------- stamp
SELF_HASH=$(sha256sum "$0" | cut -d' ' -f1)
BB_HASH=$(sha256sum "$BUSYBOX" | cut -d' ' -f1)
DEP_HASH=$(sha256sum "$MODDIR/modules.dep" | cut -d' ' -f1)
STAMP=$(printf '%s\n' "$SELF_HASH" "$KVER" "$BB_HASH" "$DEP_HASH" "$WANT" | sha256sum | cut -d' ' -f1)
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
OUT=$OUTDIR/qd-guest-$KVER.cpio.gz
STAMPFILE=$OUTDIR/qd-guest-$KVER.stamp
VMLINUX=$OUTDIR/qd-guest-$KVER.vmlinux
if [ -s "$OUT" ] && [ -r "$STAMPFILE" ] && [ "$(cat "$STAMPFILE")" = "$STAMP" ]; then
    if [ -s "$VMLINUX" ]; then echo "$VMLINUX"; else echo "$KERNEL"; fi
    echo "$OUT"
    exit 0
fi

# ---------------------------------------------------------------- resolve modules
# modules.dep: "kernel/path/name.ko: dep1.ko dep2.ko ..." where deps are already in
# load order (modprobe loads them right to left). Names compare with - and _ equal.
ORDER=$(awk -v want="$WANT" -v builtin_file="$MODDIR/modules.builtin" '
    function norm(p,  b) { b = p; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b); gsub(/-/, "_", b); return b }
    function add(path,   n, i, parts) {
        if (path in done) return
        done[path] = 1
        n = split(deps[path], parts, " ")
        for (i = n; i >= 1; i--) add(parts[i])
        print path
    }
    BEGIN {
        while ((getline line < builtin_file) > 0) builtin[norm(line)] = 1
    }
    {
        p = $1; sub(/:$/, "", p)
        d = $0; sub(/^[^:]*:[ ]*/, "", d)
        deps[p] = d
        byname[norm(p)] = p
    }
    END {
        n = split(want, w, /[ \n]+/)
        for (i = 1; i <= n; i++) {
            if (w[i] == "") continue
            if (w[i] in byname) add(byname[w[i]])
            else if (w[i] in builtin) print "builtin " w[i] > "/dev/stderr"
            else print "missing " w[i] > "/dev/stderr"
        }
    }' "$MODDIR/modules.dep" 2>"$OUTDIR/.resolve.$$")
while read -r kind name; do
    case $kind in
        missing) echo "make-initramfs.sh: note: module $name not found for $KVER (skipped)" >&2 ;;
    esac
done < "$OUTDIR/.resolve.$$"
rm -f "$OUTDIR/.resolve.$$"
[ -n "$ORDER" ] || die "no module resolved from $MODDIR/modules.dep"

# ---------------------------------------------------------------- build tree
TMP=$(mktemp -d "$OUTDIR/.build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
R=$TMP/root
mkdir -p "$R/bin" "$R/sbin" "$R/etc/acpi/PWRF" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/run" \
         "$R/lib/modules" "$R/root" "$R/var/log" "$R/var/run"
cp "$BUSYBOX" "$R/bin/busybox"
for a in $("$BUSYBOX" --list); do
    case $a in busybox) continue ;; esac
    ln -s busybox "$R/bin/$a"
done
: > "$R/etc/qd-modules"
for p in $ORDER; do
    b=${p##*/}
    cp "$MODDIR/$p" "$R/lib/modules/$b"
    echo "$b" >> "$R/etc/qd-modules"
done

cat > "$R/init" <<'EOF'
#!/bin/sh
# qemudrv test guest /init (generated by tests/system/guest/make-initramfs.sh)
export PATH=/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# With console=hvc0 only, /dev/console has no device until virtio_console loads.
if (: </dev/console) 2>/dev/null; then exec 0</dev/console 1>/dev/console 2>&1; fi
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts

opt() {  # opt NAME DEFAULT: value of qd.NAME= on the kernel command line
    v=$2
    for w in $(cat /proc/cmdline); do
        case $w in "qd.$1="*) v=${w#qd.$1=} ;; esac
    done
    echo "$v"
}
QD_ONLINE=$(opt online 1)
QD_ACPID=$(opt acpid 1)
QD_UEVENT=$(opt uevent 1)
echo "$QD_ONLINE" > /run/qd-online

for m in $(cat /etc/qd-modules); do
    insmod "/lib/modules/$m" 2>/dev/null || echo "QD-MODULE-FAIL ${m%.ko}"
done

# qd.console=hvc0: speak on a virtio console (a module, so /dev/console cannot
# be it at boot): used when qemudrv's own command line runs this guest.
QD_CONSOLE=$(opt console "")
if [ -n "$QD_CONSOLE" ]; then
    i=0
    while [ ! -e "/dev/$QD_CONSOLE" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
    exec 0<"/dev/$QD_CONSOLE" 1>"/dev/$QD_CONSOLE" 2>&1
fi

if [ "$QD_UEVENT" = 1 ]; then
    uevent /bin/qd-uevent </dev/null >&1 2>&1 &
    # Wait until the listener's netlink socket is bound: poke cpu0 until the
    # handler has seen one of our "change" events.
    i=0
    while [ ! -e /run/qd-uevent-ready ] && [ $i -lt 200 ]; do
        echo change > /sys/devices/system/cpu/cpu0/uevent
        usleep 20000
        i=$((i + 1))
    done
    [ -e /run/qd-uevent-ready ] || echo "QD-UEVENT-FAIL"
    # CPUs present but offline at boot (none normally) are onlined too.
    if [ "$QD_ONLINE" = 1 ]; then
        for c in /sys/devices/system/cpu/cpu[0-9]*; do
            [ -e "$c/online" ] && [ "$(cat "$c/online")" = 0 ] && echo 1 > "$c/online"
        done
    fi
fi
if [ "$QD_ACPID" = 1 ]; then
    acpid -c /etc/acpi -l /var/log/acpid.log -p /run/acpid.pid
fi

cpus=$(cat /sys/devices/system/cpu/online)
blocks=$(ls /sys/block 2>/dev/null | grep -v -e '^loop' -e '^ram' | tr '\n' ',' | sed 's/,$//')
stty -echo 2>/dev/null
read up _ < /proc/uptime
echo "QD-GUEST-READY uptime=$up cpus=$cpus blocks=$blocks"

while :; do
    if read -r line; then
        eval "$line"
    else
        sleep 1
    fi
done
EOF
chmod 755 "$R/init"

cat > "$R/bin/qd-uevent" <<'EOF'
#!/bin/sh
# Run by "uevent" (busybox) for every kernel uevent, one at a time.
n=${DEVPATH##*/}
case "$SUBSYSTEM:$ACTION" in
block:add)    [ "$DEVTYPE" = disk ] && echo "QD-BLOCK-ADD $DEVNAME" ;;
block:remove) [ "$DEVTYPE" = disk ] && echo "QD-BLOCK-DEL $DEVNAME" ;;
cpu:add)
    n=${n#cpu}
    on=$(cat "/sys$DEVPATH/online" 2>/dev/null)
    echo "QD-CPU-ADD $n online=$on"
    if [ "$on" = 0 ] && [ "$(cat /run/qd-online)" = 1 ]; then
        echo 1 > "/sys$DEVPATH/online" || echo "QD-CPU-ONLINE-FAIL $n"
    fi ;;
cpu:online)   echo "QD-CPU-ONLINE ${n#cpu}" ;;
cpu:offline)  echo "QD-CPU-OFFLINE ${n#cpu}" ;;
cpu:remove)   echo "QD-CPU-DEL ${n#cpu}" ;;
cpu:change)   [ "$n" = cpu0 ] && : > /run/qd-uevent-ready ;;
pci:add)      echo "QD-PCI-ADD $n $PCI_ID" ;;
pci:remove)   echo "QD-PCI-DEL $n" ;;
memory:add)
    n=${n#memory}
    st=$(cat "/sys$DEVPATH/state" 2>/dev/null)
    echo "QD-MEM-ADD $n state=$st"
    if [ "$st" = offline ] && [ "$(cat /run/qd-online)" = 1 ]; then
        echo online > "/sys$DEVPATH/state" || echo "QD-MEM-ONLINE-FAIL $n"
    fi ;;
memory:online)  echo "QD-MEM-ONLINE ${n#memory}" ;;
memory:offline) echo "QD-MEM-OFFLINE ${n#memory}" ;;
memory:remove)  echo "QD-MEM-DEL ${n#memory}" ;;
net:add)      echo "QD-NET-ADD $INTERFACE" ;;
net:remove)   echo "QD-NET-DEL $INTERFACE" ;;
esac
exit 0
EOF
chmod 755 "$R/bin/qd-uevent"

# busybox acpid: the power button (input KEY_POWER) maps to "PWRF 00000080", whose
# default action runs /etc/acpi/PWRF/00000080 (run-parts when it is a directory).
cat > "$R/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "QD-POWER-BUTTON" > /dev/console
sync
poweroff -f
EOF
chmod 755 "$R/etc/acpi/PWRF/00000080"

# Unpack the bzImage's xz payload (the ELF vmlinux, PVH-bootable).
rm -f "$VMLINUX"
if grep -q '^CONFIG_PVH=y' "/boot/config-$KVER" 2>/dev/null && command -v xz >/dev/null 2>&1; then
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$KERNEL" | head -1 | cut -d: -f1)
    if [ -n "$off" ] && tail -c +$((off + 1)) "$KERNEL" | xz -dc --single-stream > "$TMP/vmlinux" 2>/dev/null \
       && [ "$(head -c 4 "$TMP/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        mv -f "$TMP/vmlinux" "$VMLINUX"
    else
        echo "make-initramfs.sh: note: could not unpack $KERNEL, using the bzImage (slower under TCG)" >&2
    fi
fi

(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$TMP/out.cpio.gz"
mv -f "$TMP/out.cpio.gz" "$OUT"
echo "$STAMP" > "$TMP/stamp"
mv -f "$TMP/stamp" "$STAMPFILE"
if [ -s "$VMLINUX" ]; then echo "$VMLINUX"; else echo "$KERNEL"; fi
echo "$OUT"
