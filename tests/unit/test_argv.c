/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_argv.c - configuration defaults and validation, and the QEMU command line built from it */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "argv.h"
#include "config.h"
#include "qemudrv.h"
#include "scratch.h"
#include "state.h"

#ifndef QD_FIXTURES_DIR
#error "QD_FIXTURES_DIR must name tests/unit/fixtures"
#endif

#define UUID "6e7c3a52-1b0e-4d4e-9a8f-2f1c0d9e8b7a"

/* The amd64 defaults every command line starts with (kata's qemu_amd64.go). */
#define KP_AMD64                                                                                   \
	"tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 "     \
	"i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k console=hvc0 console=hvc1 iommu=off "  \
	"cryptomgr.notests net.ifnames=0 pci=lastbus=0"

/* Host facts of the imaginary test host: 4 CPUs, 8 GiB, bare metal. */
static const struct qd_host_facts host4 = {.ncpus = 4, .mem_mb = 8192, .nested = false};

/**
 * base_config() - the smallest valid configuration
 *
 * Return: a config with only id and kernel set.
 */
static struct qd_vm_config base_config(void)
{
	return (struct qd_vm_config){.id = "vm1", .kernel = "/boot/vmlinuz"};
}

/**
 * resolve_ok() - qd_config_resolve() that must succeed
 * @in:   the configuration
 * @host: host facts
 *
 * Return: the resolved configuration.
 */
static struct qd_vm_config resolve_ok(const struct qd_vm_config *in,
				      const struct qd_host_facts *host)
{
	struct qd_vm_config out;
	qd_error err = {0};
	int r = qd_config_resolve(in, host, &out, &err);

	if (r != 0)
		fail_msg("qd_config_resolve: %d %s", r, err.message ? err.message : "(no message)");
	qd_error_clear(&err);
	return out;
}

/**
 * make_state() - a state with @n bridges at addr 2.. and chassis 1..
 * @st: filled
 * @n:  how many bridges
 */
static void make_state(struct qd_state *st, unsigned n)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->uuid, UUID);
	for (unsigned i = 0; i < n; i++) {
		char id[32];

		snprintf(id, sizeof(id), "pci-bridge-%u", i);
		assert_int_equal(qd_state_add_bridge(st, id, 2 + (int)i, (int)i + 1), 0);
	}
}

/* Launch parameters of VM "vm1" in /run/qd, QMP on a pre-opened socket at fd 3. */
static struct qd_launch_params params(const struct qd_state *st, bool nested)
{
	return (struct qd_launch_params){
	    .qemu = "/usr/bin/qemu-system-x86_64",
	    .uuid = UUID,
	    .state = st,
	    .qmp_path = "/run/qd/vm1/qmp.sock",
	    .qmp_fd = 3,
	    .console_path = "/run/qd/vm1/console.sock",
	    .pidfile = "/run/qd/vm1/qemu.pid",
	    .nested = nested,
	};
}

/**
 * join() - the argv as one line, elements with a space in single quotes
 * @argv: NULL-terminated
 *
 * Return: malloc'd text.
 */
static char *join(char **argv)
{
	size_t len = 1;
	char *s;

	for (char **p = argv; *p; p++)
		len += strlen(*p) + 3;
	s = calloc(1, len);
	assert_non_null(s);
	for (char **p = argv; *p; p++) {
		bool q = strchr(*p, ' ') != NULL;

		if (p != argv)
			strcat(s, " ");
		if (q)
			strcat(s, "'");
		strcat(s, *p);
		if (q)
			strcat(s, "'");
	}
	return s;
}

/**
 * build_ok() - resolve @in, build its argv and return it joined
 * @in:     configuration
 * @host:   host facts
 * @lp:     launch parameters
 * @argv_out: receives the argv too when not NULL (caller frees)
 *
 * Return: the joined command line (malloc'd).
 */
static char *build_ok(const struct qd_vm_config *in, const struct qd_host_facts *host,
		      const struct qd_launch_params *lp, char ***argv_out)
{
	struct qd_vm_config cfg = resolve_ok(in, host);
	qd_error err = {0};
	char **argv = NULL, *line;
	int r = qd_build_argv(&cfg, lp, &argv, &err);

	if (r != 0)
		fail_msg("qd_build_argv: %d %s", r, err.message ? err.message : "(no message)");
	qd_error_clear(&err);
	line = join(argv);
	if (argv_out)
		*argv_out = argv;
	else
		qd_argv_free(argv);
	return line;
}

/**
 * find_seq() - index where @seq (NULL-terminated) occurs contiguously in @argv
 * @argv: NULL-terminated
 * @seq:  NULL-terminated
 *
 * Return: the index, or -1.
 */
static int find_seq(char **argv, const char *const *seq)
{
	for (int i = 0; argv[i]; i++) {
		int k = 0;

		while (seq[k] && argv[i + k] && !strcmp(argv[i + k], seq[k]))
			k++;
		if (!seq[k])
			return i;
	}
	return -1;
}

/* assert_seq() - @argv contains the elements that follow, in a row (NULL ends them). */
#define assert_seq(argv, ...) assert_seq_(argv, (const char *const[]){__VA_ARGS__, NULL})

static void assert_seq_(char **argv, const char *const *seq)
{
	if (find_seq(argv, seq) < 0) {
		char *line = join(argv), *want = join((char **)seq);

		fprintf(stderr, "wanted: %s\nin:     %s\n", want, line);
		free(line);
		free(want);
		fail_msg("argv fragment missing");
	}
}

/**
 * count_of() - how many elements of @argv equal @s
 * @argv: NULL-terminated
 * @s:    the element
 *
 * Return: the count.
 */
static int count_of(char **argv, const char *s)
{
	int n = 0;

	for (; *argv; argv++)
		n += !strcmp(*argv, s);
	return n;
}

/**
 * argv_for() - resolve and build with one device, bare-metal host, 1 bridge
 * @in:     configuration
 * @nested: the host is a VM
 *
 * Return: the argv (free with qd_argv_free()).
 */
static char **argv_for(const struct qd_vm_config *in, bool nested)
{
	struct qd_state st;
	struct qd_launch_params lp;
	char **argv;

	make_state(&st, 1);
	lp = params(&st, nested);
	free(build_ok(in, &host4, &lp, &argv));
	qd_state_clear(&st);
	return argv;
}

/* ---- golden command lines ---------------------------------------------------------------- */

static void test_golden_pc_fd_bare_metal(void **state)
{
	struct qd_vm_config in = base_config();
	struct qd_state st;
	struct qd_launch_params lp;
	char *line;

	in.initrd = "/boot/initrd.img";
	make_state(&st, 2);
	lp = params(&st, false);
	line = build_ok(&in, &host4, &lp, NULL);
	assert_string_equal(
	    line,
	    "/usr/bin/qemu-system-x86_64 -name guest=sandbox-vm1 -uuid " UUID " "
	    "-machine pc,accel=kvm,kernel_irqchip=on -cpu host "
	    "-chardev socket,id=qmp0,fd=3,server=on,wait=off -mon chardev=qmp0,mode=control "
	    "-m 2048M,slots=10,maxmem=9216M "
	    "-device pci-bridge,id=pci-bridge-0,bus=pci.0,chassis_nr=1,shpc=on,addr=0x2 "
	    "-device pci-bridge,id=pci-bridge-1,bus=pci.0,chassis_nr=2,shpc=on,addr=0x3 "
	    "-device virtio-serial-pci,id=serial0 "
	    "-chardev socket,id=charconsole0,path=/run/qd/vm1/console.sock,server=on,wait=off "
	    "-device virtconsole,id=console0,chardev=charconsole0 "
	    "-rtc base=utc,driftfix=slew -global kvm-pit.lost_tick_policy=discard -vga none "
	    "-no-user-config -nodefaults -nographic "
	    "-kernel /boot/vmlinuz -initrd /boot/initrd.img "
	    "-append '" KP_AMD64 " quiet panic=1 initcall_debug nr_cpus=4' "
	    "-smp 1,cores=1,threads=1,sockets=4,maxcpus=4");
	free(line);
	qd_state_clear(&st);
}

static void test_golden_q35_path_nested(void **state)
{
	struct qd_vm_config in = base_config();
	struct qd_state st;
	struct qd_launch_params lp;
	char *line;

	in.id = "vm2";
	in.name = "web,1";
	in.machine = QD_MACHINE_Q35;
	in.machine_options = "smm=off";
	in.cpu_features = "l3-cache=on";
	in.vcpus = 2;
	in.max_vcpus = 8;
	in.memory_mb = 4096;
	in.memory_slots = 4;
	in.max_memory_mb = 16384;
	in.initrd = "/boot/initrd.img";
	in.firmware = "/usr/share/qemu/bios.bin";
	in.debug = true;
	in.bridges = 1;
	in.block_driver = QD_BLOCK_VIRTIO_SCSI;
	in.iothreads = true;
	make_state(&st, 1);
	lp = params(&st, true);
	lp.qemu = "/opt/qemu/bin/qemu-system-x86_64";
	lp.qmp_fd = -1;
	lp.qmp_path = "/run/qd/vm2/qmp.sock";
	lp.console_path = "/run/qd/vm2/console.sock";
	line = build_ok(&in, &host4, &lp, NULL);
	assert_string_equal(
	    line,
	    "/opt/qemu/bin/qemu-system-x86_64 -name guest=web,,1 -uuid " UUID " "
	    "-machine q35,accel=kvm,kernel_irqchip=on,smm=off "
	    "-cpu host,-arch-capabilities,pmu=off,l3-cache=on "
	    "-qmp unix:/run/qd/vm2/qmp.sock,server=on,wait=off "
	    "-m 4096M,slots=4,maxmem=16384M "
	    "-device pci-bridge,id=pci-bridge-0,bus=pcie.0,chassis_nr=1,shpc=on,addr=0x2 "
	    "-device virtio-serial-pci,id=serial0,disable-modern=on "
	    "-chardev socket,id=charconsole0,path=/run/qd/vm2/console.sock,server=on,wait=off "
	    "-device virtconsole,id=console0,chardev=charconsole0 "
	    "-object iothread,id=iothread-scsi0 "
	    "-device virtio-scsi-pci,id=scsi0,disable-modern=on,iothread=iothread-scsi0 "
	    "-rtc base=utc,driftfix=slew -global kvm-pit.lost_tick_policy=discard -vga none "
	    "-no-user-config -nodefaults -nographic "
	    "-kernel /boot/vmlinuz -initrd /boot/initrd.img "
	    "-append '" KP_AMD64 " debug panic=1 initcall_debug nr_cpus=8' "
	    "-bios /usr/share/qemu/bios.bin "
	    "-smp 2,cores=1,threads=1,sockets=8,maxcpus=8");
	free(line);
	qd_state_clear(&st);
}

static void test_golden_pc_tcg_nested(void **state)
{
	struct qd_vm_config in = base_config();
	struct qd_host_facts host = {.ncpus = 2, .mem_mb = 1024, .nested = true};
	struct qd_state st;
	struct qd_launch_params lp;
	char *line;

	/*
	 * TCG: cpu "max", no kernel_irqchip, no -cpu host workaround, and no
	 * legacy virtio (the nesting bug is KVM's); no bridges.
	 */
	in.accel = "tcg";
	in.memory_mb = 512;
	in.initrd = "/boot/initrd.img";
	make_state(&st, 0);
	lp = params(&st, true);
	line = build_ok(&in, &host, &lp, NULL);
	assert_string_equal(
	    line,
	    "/usr/bin/qemu-system-x86_64 -name guest=sandbox-vm1 -uuid " UUID " "
	    "-machine pc,accel=tcg -cpu max "
	    "-chardev socket,id=qmp0,fd=3,server=on,wait=off -mon chardev=qmp0,mode=control "
	    "-m 512M,slots=10,maxmem=2048M "
	    "-device virtio-serial-pci,id=serial0 "
	    "-chardev socket,id=charconsole0,path=/run/qd/vm1/console.sock,server=on,wait=off "
	    "-device virtconsole,id=console0,chardev=charconsole0 "
	    "-rtc base=utc,driftfix=slew -global kvm-pit.lost_tick_policy=discard -vga none "
	    "-no-user-config -nodefaults -nographic "
	    "-kernel /boot/vmlinuz -initrd /boot/initrd.img "
	    "-append '" KP_AMD64 " quiet panic=1 initcall_debug nr_cpus=2' "
	    "-smp 1,cores=1,threads=1,sockets=2,maxcpus=2");
	free(line);
	qd_state_clear(&st);
}

/* ---- cold-plugged devices ---------------------------------------------------------------- */

/**
 * with_device() - argv of the base config plus one device
 * @d:      the device
 * @scsi:   use virtio-scsi
 * @nested: the host is a VM
 *
 * Return: the argv.
 */
static char **with_device(const struct qd_device *d, bool scsi, bool nested)
{
	struct qd_vm_config in = base_config();

	in.initrd = "/boot/initrd.img";
	in.devices = d;
	in.ndevices = 1;
	in.block_driver = scsi ? QD_BLOCK_VIRTIO_SCSI : QD_BLOCK_VIRTIO_BLK;
	return argv_for(&in, nested);
}

static void test_device_9p(void **state)
{
	struct qd_device d = {
	    .kind = QD_DEVICE_9P, .id = "share", .path = "/srv/share", .tag = "hostshare"};
	char **argv = with_device(&d, false, false);

	assert_seq(argv, "-fsdev", "local,id=fsdev-share,path=/srv/share,security_model=none",
		   "-device", "virtio-9p-pci,id=share,fsdev=fsdev-share,mount_tag=hostshare");
	qd_argv_free(argv);
	argv = with_device(&d, false, true);
	assert_seq(
	    argv, "-device",
	    "virtio-9p-pci,id=share,fsdev=fsdev-share,mount_tag=hostshare,disable-modern=on");
	qd_argv_free(argv);
}

static void test_device_serial(void **state)
{
	struct qd_device d = {.kind = QD_DEVICE_SERIAL,
			      .id = "agent",
			      .path = "/run/qd/agent.sock",
			      .tag = "agent.channel.0"};
	char **argv = with_device(&d, false, false);

	assert_seq(argv, "-chardev",
		   "socket,id=char-agent,path=/run/qd/agent.sock,server=on,wait=off", "-device",
		   "virtserialport,id=agent,chardev=char-agent,name=agent.channel.0");
	qd_argv_free(argv);
}

static void test_device_tap(void **state)
{
	struct qd_device with_mac = {
	    .kind = QD_DEVICE_TAP, .id = "eth0", .ifname = "tap0", .mac = "52:54:00:12:34:56"};
	struct qd_device no_mac = {.kind = QD_DEVICE_TAP, .id = "eth1", .ifname = "tap1"};
	char **argv = with_device(&with_mac, false, false);

	assert_seq(argv, "-netdev", "tap,id=net-eth0,ifname=tap0,script=no,downscript=no,vhost=on",
		   "-device", "virtio-net-pci,id=eth0,netdev=net-eth0,mac=52:54:00:12:34:56");
	qd_argv_free(argv);
	argv = with_device(&no_mac, false, false);
	assert_seq(argv, "-netdev", "tap,id=net-eth1,ifname=tap1,script=no,downscript=no,vhost=on",
		   "-device", "virtio-net-pci,id=eth1,netdev=net-eth1");
	qd_argv_free(argv);
	argv = with_device(&with_mac, false, true);
	assert_seq(
	    argv, "-device",
	    "virtio-net-pci,id=eth0,netdev=net-eth0,mac=52:54:00:12:34:56,disable-modern=on");
	qd_argv_free(argv);
	argv = with_device(&no_mac, false, true);
	assert_seq(argv, "-device", "virtio-net-pci,id=eth1,netdev=net-eth1,disable-modern=on");
	qd_argv_free(argv);
}

static void test_device_drive(void **state)
{
	struct qd_device raw = {.kind = QD_DEVICE_DRIVE, .id = "disk0", .path = "/var/lib/d0.img"};
	struct qd_device qcow = {.kind = QD_DEVICE_DRIVE,
				 .id = "disk1",
				 .path = "/var/lib/d1.qcow2",
				 .format = "qcow2",
				 .read_only = true};
	char **argv = with_device(&raw, false, false);

	/*
	 * -blockdev with the node name a hot-plugged disk gets, no -drive (whose
	 * nodes QEMU names #blockNNN) and no "scsi" property (QEMU 10.0 has none).
	 */
	assert_seq(argv, "-blockdev",
		   "driver=raw,node-name=drive-disk0,read-only=off,file.driver=file,"
		   "file.filename=/var/lib/d0.img",
		   "-device", "virtio-blk-pci,id=disk0,drive=drive-disk0,config-wce=off");
	assert_int_equal(count_of(argv, "-drive"), 0);
	assert_int_equal(count_of(argv, "virtio-scsi-pci,id=scsi0"), 0);
	qd_argv_free(argv);

	argv = with_device(&qcow, false, true);
	assert_seq(argv, "-blockdev",
		   "driver=qcow2,node-name=drive-disk1,read-only=on,file.driver=file,"
		   "file.filename=/var/lib/d1.qcow2",
		   "-device",
		   "virtio-blk-pci,id=disk1,drive=drive-disk1,config-wce=off,disable-modern=on");
	qd_argv_free(argv);

	/* virtio-scsi: the controller comes before the disk that sits on it. */
	argv = with_device(&raw, true, false);
	assert_seq(argv, "-device", "virtio-scsi-pci,id=scsi0");
	assert_seq(argv, "-blockdev",
		   "driver=raw,node-name=drive-disk0,read-only=off,file.driver=file,"
		   "file.filename=/var/lib/d0.img",
		   "-device", "scsi-hd,id=disk0,drive=drive-disk0,bus=scsi0.0");
	assert_true(find_seq(argv, (const char *const[]){"virtio-scsi-pci,id=scsi0", NULL}) <
		    find_seq(argv, (const char *const[]){
				       "scsi-hd,id=disk0,drive=drive-disk0,bus=scsi0.0", NULL}));
	qd_argv_free(argv);
}

static void test_device_vfio(void **state)
{
	struct qd_device d = {.kind = QD_DEVICE_VFIO, .id = "gpu0", .bdf = "0000:01:00.0"};
	char **argv = with_device(&d, false, true);

	assert_seq(argv, "-device", "vfio-pci,id=gpu0,host=0000:01:00.0");
	qd_argv_free(argv);
}

static void test_device_vhost_user(void **state)
{
	struct qd_device net = {.kind = QD_DEVICE_VHOST_USER,
				.id = "vnet0",
				.path = "/run/vhost/net0.sock",
				.tag = "net",
				.mac = "52:54:00:aa:bb:cc"};
	struct qd_device net_nomac = {.kind = QD_DEVICE_VHOST_USER,
				      .id = "vnet1",
				      .path = "/run/vhost/net1.sock",
				      .tag = "net"};
	struct qd_device blk = {.kind = QD_DEVICE_VHOST_USER,
				.id = "vblk0",
				.path = "/run/vhost/blk0.sock",
				.tag = "blk"};
	struct qd_device fs = {
	    .kind = QD_DEVICE_VHOST_USER, .id = "vfs0", .path = "/run/vhost/fs0.sock", .tag = "fs"};
	char **argv = with_device(&net, false, false);

	assert_seq(argv, "-chardev", "socket,id=char-vnet0,path=/run/vhost/net0.sock", "-netdev",
		   "vhost-user,id=net-vnet0,chardev=char-vnet0,vhostforce=on", "-device",
		   "virtio-net-pci,id=vnet0,netdev=net-vnet0,mac=52:54:00:aa:bb:cc");
	qd_argv_free(argv);
	argv = with_device(&net_nomac, false, false);
	assert_seq(argv, "-chardev", "socket,id=char-vnet1,path=/run/vhost/net1.sock", "-netdev",
		   "vhost-user,id=net-vnet1,chardev=char-vnet1,vhostforce=on", "-device",
		   "virtio-net-pci,id=vnet1,netdev=net-vnet1");
	qd_argv_free(argv);
	argv = with_device(&blk, false, false);
	assert_seq(argv, "-chardev", "socket,id=char-vblk0,path=/run/vhost/blk0.sock", "-device",
		   "vhost-user-blk-pci,id=vblk0,chardev=char-vblk0");
	qd_argv_free(argv);
	argv = with_device(&fs, false, false);
	assert_seq(argv, "-chardev", "socket,id=char-vfs0,path=/run/vhost/fs0.sock", "-device",
		   "vhost-user-fs-pci,id=vfs0,chardev=char-vfs0,tag=vfs0");
	qd_argv_free(argv);
}

/*
 * A vhost-user backend maps the guest's RAM: QEMU must back it with shared
 * memory (kata sets FileBackedMemShared for these devices), or the backend
 * never sees the guest's buffers.
 */
static void test_vhost_user_needs_shared_memory(void **state)
{
	struct qd_device fs = {
	    .kind = QD_DEVICE_VHOST_USER, .id = "vfs0", .path = "/run/vhost/fs0.sock", .tag = "fs"};
	char **argv = with_device(&fs, false, false);
	bool shared = false;

	for (int i = 0; argv[i] && argv[i + 1]; i++)
		if (!strcmp(argv[i], "-object") &&
		    !strncmp(argv[i + 1], "memory-backend-", strlen("memory-backend-")) &&
		    strstr(argv[i + 1], "share=on"))
			shared = true;
	if (!shared || count_of(argv, "-numa") != 1) {
		char *line = join(argv);

		fprintf(stderr, "%s\n", line);
		free(line);
	}
	assert_true(shared);
	assert_int_equal(count_of(argv, "-numa"), 1);
	qd_argv_free(argv);
}

/* Every device of every kind in one VM: each fragment once, in the order given. */
static void test_devices_all_kinds_together(void **state)
{
	const struct qd_device devs[] = {
	    {.kind = QD_DEVICE_9P, .id = "p9", .path = "/srv", .tag = "srv"},
	    {.kind = QD_DEVICE_SERIAL, .id = "ser", .path = "/run/s.sock", .tag = "port"},
	    {.kind = QD_DEVICE_TAP, .id = "tp", .ifname = "tap9"},
	    {.kind = QD_DEVICE_DRIVE, .id = "dr", .path = "/d.img"},
	    {.kind = QD_DEVICE_VFIO, .id = "vf", .bdf = "01:00.0"},
	    {.kind = QD_DEVICE_VHOST_USER, .id = "vu", .path = "/run/vu.sock", .tag = "blk"},
	};
	const char *const *frags[] = {
	    (const char *const[]){"virtio-9p-pci,id=p9,fsdev=fsdev-p9,mount_tag=srv", NULL},
	    (const char *const[]){"virtserialport,id=ser,chardev=char-ser,name=port", NULL},
	    (const char *const[]){"virtio-net-pci,id=tp,netdev=net-tp", NULL},
	    (const char *const[]){"virtio-blk-pci,id=dr,drive=drive-dr,config-wce=off", NULL},
	    (const char *const[]){"vfio-pci,id=vf,host=01:00.0", NULL},
	    (const char *const[]){"vhost-user-blk-pci,id=vu,chardev=char-vu", NULL},
	};
	struct qd_vm_config in = base_config();
	char **argv;
	int last = -1;

	in.initrd = "/boot/initrd.img";
	in.devices = devs;
	in.ndevices = sizeof(devs) / sizeof(devs[0]);
	argv = argv_for(&in, false);
	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		int at = find_seq(argv, frags[i]);

		if (at <= last)
			fail_msg("device %zu (%s) missing or out of order", i, frags[i][0]);
		assert_int_equal(count_of(argv, frags[i][0]), 1);
		last = at;
	}
	qd_argv_free(argv);
}

/* ---- knobs ------------------------------------------------------------------------------- */

static void test_knob_hugepages_and_prealloc(void **state)
{
	struct qd_vm_config in = base_config();
	char **argv;

	in.initrd = "/boot/initrd.img";
	in.memory_mb = 1024;
	in.hugepages = true;
	argv = argv_for(&in, false);
	assert_seq(
	    argv, "-object",
	    "memory-backend-file,id=dimm1,size=1024M,mem-path=/dev/hugepages,share=on,prealloc=on",
	    "-numa", "node,memdev=dimm1");
	qd_argv_free(argv);

	/* hugepages already preallocates: mem_prealloc adds nothing. */
	in.mem_prealloc = true;
	argv = argv_for(&in, false);
	assert_int_equal(count_of(argv, "-numa"), 1);
	assert_seq(
	    argv, "-object",
	    "memory-backend-file,id=dimm1,size=1024M,mem-path=/dev/hugepages,share=on,prealloc=on");
	qd_argv_free(argv);

	in.hugepages = false;
	argv = argv_for(&in, false);
	assert_seq(argv, "-object", "memory-backend-ram,id=dimm1,size=1024M,prealloc=on", "-numa",
		   "node,memdev=dimm1");
	qd_argv_free(argv);

	in.mem_prealloc = false;
	argv = argv_for(&in, false);
	assert_int_equal(count_of(argv, "-numa"), 0);
	assert_int_equal(count_of(argv, "-object"), 0);
	qd_argv_free(argv);
}

static void test_knob_mlock_realtime(void **state)
{
	struct qd_vm_config in = base_config();
	char **argv;

	in.initrd = "/boot/initrd.img";
	argv = argv_for(&in, false);
	assert_int_equal(count_of(argv, "-overcommit"), 0);
	qd_argv_free(argv);

	in.mlock = true;
	argv = argv_for(&in, false);
	assert_seq(argv, "-overcommit", "mem-lock=on");
	qd_argv_free(argv);

	in.mlock = false;
	in.realtime = true;
	argv = argv_for(&in, false);
	assert_seq(argv, "-overcommit", "mem-lock=off");
	qd_argv_free(argv);

	in.mlock = true;
	argv = argv_for(&in, false);
	assert_seq(argv, "-overcommit", "mem-lock=on");
	assert_int_equal(count_of(argv, "-overcommit"), 1);
	qd_argv_free(argv);
}

static void test_knob_daemonize(void **state)
{
	struct qd_vm_config in = base_config();
	char **argv;

	in.initrd = "/boot/initrd.img";
	argv = argv_for(&in, false);
	assert_int_equal(count_of(argv, "-daemonize"), 0);
	assert_int_equal(count_of(argv, "-pidfile"), 0);
	qd_argv_free(argv);

	in.daemonize = true;
	argv = argv_for(&in, false);
	assert_seq(argv, "-nographic", "-daemonize", "-pidfile", "/run/qd/vm1/qemu.pid");
	qd_argv_free(argv);
}

static void test_knob_iothreads(void **state)
{
	struct qd_vm_config in = base_config();
	char **argv;

	in.initrd = "/boot/initrd.img";
	in.block_driver = QD_BLOCK_VIRTIO_SCSI;
	argv = argv_for(&in, false);
	assert_seq(argv, "-device", "virtio-scsi-pci,id=scsi0");
	assert_int_equal(count_of(argv, "iothread,id=iothread-scsi0"), 0);
	qd_argv_free(argv);

	in.iothreads = true;
	argv = argv_for(&in, false);
	assert_seq(argv, "-object", "iothread,id=iothread-scsi0", "-device",
		   "virtio-scsi-pci,id=scsi0,iothread=iothread-scsi0");
	qd_argv_free(argv);

	/* No SCSI controller, no I/O thread. */
	in.block_driver = QD_BLOCK_VIRTIO_BLK;
	argv = argv_for(&in, false);
	assert_int_equal(count_of(argv, "iothread,id=iothread-scsi0"), 0);
	assert_int_equal(count_of(argv, "virtio-scsi-pci,id=scsi0,iothread=iothread-scsi0"), 0);
	qd_argv_free(argv);
}

static void test_knob_image_nvdimm(void **state)
{
	struct qd_vm_config in = base_config();
	char **argv;

	in.image = QD_FIXTURES_DIR "/image.img";
	argv = argv_for(&in, false);
	assert_seq(argv, "-machine", "pc,accel=kvm,kernel_irqchip=on,nvdimm=on");
	assert_seq(argv, "-device", "nvdimm,id=nv0,memdev=mem0", "-object",
		   "memory-backend-file,id=mem0,mem-path=" QD_FIXTURES_DIR "/image.img,size=64");
	assert_int_equal(count_of(argv, "-initrd"), 0);
	qd_argv_free(argv);

	/* An initrd wins over the image: no NVDIMM at all. */
	in.initrd = "/boot/initrd.img";
	argv = argv_for(&in, false);
	assert_seq(argv, "-machine", "pc,accel=kvm,kernel_irqchip=on");
	assert_seq(argv, "-initrd", "/boot/initrd.img");
	assert_int_equal(count_of(argv, "nvdimm,id=nv0,memdev=mem0"), 0);
	qd_argv_free(argv);
}

/*
 * The root parameters of the image, as kata's: "ro" is a parameter of its
 * own. Quoted into rootflags, "errors=remount-ro ro" is one (invalid) ext4
 * option and the root file system does not mount.
 */
static void test_knob_image_root_params(void **state)
{
	struct qd_vm_config in = base_config();
	char **argv;

	in.image = QD_FIXTURES_DIR "/image.img";
	argv = argv_for(&in, false);
	assert_seq(argv, "-append",
		   KP_AMD64
		   " quiet root=/dev/pmem0p1 rootflags=dax,data=ordered,errors=remount-ro ro "
		   "rootfstype=ext4 panic=1 initcall_debug nr_cpus=4");
	qd_argv_free(argv);
}

static void test_knob_image_missing(void **state)
{
	struct qd_vm_config in = base_config(), cfg;
	struct qd_state st;
	struct qd_launch_params lp;
	qd_error err = {0};
	char **argv = (char **)&argv;

	in.image = QD_FIXTURES_DIR "/no-such-image.img";
	cfg = resolve_ok(&in, &host4);
	make_state(&st, 1);
	lp = params(&st, false);
	assert_int_equal(qd_build_argv(&cfg, &lp, &argv, &err), -ENOENT);
	assert_null(argv);
	assert_string_equal(err.message, "image " QD_FIXTURES_DIR
					 "/no-such-image.img: No such file or directory");
	qd_error_clear(&err);
	qd_state_clear(&st);
}

static void test_knob_firmware(void **state)
{
	struct qd_vm_config in = base_config();
	char **argv;

	in.initrd = "/boot/initrd.img";
	argv = argv_for(&in, false);
	assert_int_equal(count_of(argv, "-bios"), 0);
	qd_argv_free(argv);
	in.firmware = "/usr/share/ovmf/OVMF.fd";
	argv = argv_for(&in, false);
	assert_seq(argv, "-bios", "/usr/share/ovmf/OVMF.fd");
	qd_argv_free(argv);
}

/*
 * QEMU reads a PCI "addr" as hexadecimal: a bridge the state puts at slot 17
 * must be written 0x11 (or 11), never "17", which QEMU would put at slot 23.
 */
static void test_bridge_addr_is_hex(void **state)
{
	struct qd_vm_config in = base_config();
	struct qd_state st;
	struct qd_launch_params lp;
	char **argv, *line;

	in.initrd = "/boot/initrd.img";
	make_state(&st, 0);
	assert_int_equal(qd_state_add_bridge(&st, "pci-bridge-0", 17, 1), 0);
	lp = params(&st, false);
	line = build_ok(&in, &host4, &lp, &argv);
	if (find_seq(argv,
		     (const char *const[]){
			 "pci-bridge,id=pci-bridge-0,bus=pci.0,chassis_nr=1,shpc=on,addr=0x11",
			 NULL}) < 0)
		fail_msg("bridge at slot 17 not written as hex: %s", line);
	free(line);
	qd_argv_free(argv);
	qd_state_clear(&st);
}

/* ---- escaping ---------------------------------------------------------------------------- */

static void test_escape_opt(void **state)
{
	const char *cases[][2] = {
	    {"", ""},	     {"plain", "plain"},
	    {"a,b", "a,,b"}, {",", ",,"},
	    {",,", ",,,,"},  {"/tmp/a,b,format=qcow2", "/tmp/a,,b,,format=qcow2"},
	    {"x=y", "x=y"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e = qd_escape_opt(cases[i][0]);

		assert_non_null(e);
		assert_string_equal(e, cases[i][1]);
		free(e);
	}
}

/* One "key=value" of a QEMU option string, as QEMU's opts parser splits it. */
struct opt {
	char key[64];
	char value[256];
};

/**
 * parse_opts() - split @s as QEMU's option parser does: ',' separates, ",," is a comma
 * @s:    option string
 * @opts: receives up to @max options (key empty for a bare value)
 * @max:  capacity
 *
 * Return: the number of options.
 */
static int parse_opts(const char *s, struct opt *opts, int max)
{
	int n = 0;

	while (*s && n < max) {
		char tok[256];
		size_t t = 0;
		struct opt *o = &opts[n++];
		char *eq;

		while (*s && t < sizeof(tok) - 1) {
			if (*s == ',' && s[1] == ',') {
				tok[t++] = ',';
				s += 2;
			} else if (*s == ',') {
				s++;
				break;
			} else {
				tok[t++] = *s++;
			}
		}
		tok[t] = '\0';
		memset(o, 0, sizeof(*o));
		eq = strchr(tok, '=');
		if (eq) {
			snprintf(o->key, sizeof(o->key), "%.*s", (int)(eq - tok), tok);
			snprintf(o->value, sizeof(o->value), "%s", eq + 1);
		} else {
			snprintf(o->value, sizeof(o->value), "%s", tok);
		}
	}
	return n;
}

/**
 * opt_values() - how many options of @s are called @key; the last value in @value
 * @s:     option string
 * @key:   the key
 * @value: receives the last value (256 bytes)
 *
 * Return: the count.
 */
static int opt_values(const char *s, const char *key, char *value)
{
	struct opt opts[32];
	int n = parse_opts(s, opts, 32), c = 0;

	for (int i = 0; i < n; i++)
		if (!strcmp(opts[i].key, key)) {
			c++;
			strcpy(value, opts[i].value);
		}
	return c;
}

/**
 * after() - the element following the first @flag whose value starts with @prefix
 * @argv:   NULL-terminated
 * @flag:   e.g. "-drive"
 * @prefix: e.g. "id=drive-"
 *
 * Return: the element (owned by @argv); fails the test when absent.
 */
static const char *after(char **argv, const char *flag, const char *prefix)
{
	for (int i = 0; argv[i] && argv[i + 1]; i++)
		if (!strcmp(argv[i], flag) && !strncmp(argv[i + 1], prefix, strlen(prefix)))
			return argv[i + 1];
	fail_msg("no %s %s...", flag, prefix);
	return NULL;
}

static void test_escape_no_injection(void **state)
{
	const struct qd_device devs[] = {
	    {.kind = QD_DEVICE_DRIVE, .id = "d0", .path = "/tmp/a,b,format=qcow2"},
	    {.kind = QD_DEVICE_9P,
	     .id = "p0",
	     .path = "/srv/x,security_model=passthrough",
	     .tag = "t,readonly=on"},
	    {.kind = QD_DEVICE_SERIAL, .id = "s0", .path = "/run/s,server=off", .tag = "n,x=1"},
	    {.kind = QD_DEVICE_TAP, .id = "t0", .ifname = "tap0,script=/bin/evil"},
	    {.kind = QD_DEVICE_VHOST_USER, .id = "v0", .path = "/run/v,reconnect=1", .tag = "fs"},
	};
	struct qd_vm_config in = base_config();
	struct qd_state st;
	struct qd_launch_params lp;
	char **argv, val[256];

	in.name = "n,debug-threads=on";
	in.initrd = "/boot/initrd.img";
	in.devices = devs;
	in.ndevices = sizeof(devs) / sizeof(devs[0]);
	make_state(&st, 1);
	lp = params(&st, false);
	lp.qmp_fd = -1;
	lp.qmp_path = "/run/q,server=off/qmp.sock";
	lp.console_path = "/run/c,wait=on/console.sock";
	free(build_ok(&in, &host4, &lp, &argv));

	assert_seq(argv, "-blockdev",
		   "driver=raw,node-name=drive-d0,read-only=off,file.driver=file,"
		   "file.filename=/tmp/a,,b,,format=qcow2");
	assert_int_equal(opt_values(after(argv, "-blockdev", "driver=raw,node-name=drive-d0"),
				    "file.filename", val),
			 1);
	assert_string_equal(val, "/tmp/a,b,format=qcow2");
	assert_int_equal(
	    opt_values(after(argv, "-blockdev", "driver=raw,node-name=drive-d0"), "format", val),
	    0);
	assert_int_equal(
	    opt_values(after(argv, "-blockdev", "driver=raw,node-name=drive-d0"), "driver", val),
	    1);
	assert_string_equal(val, "raw");

	assert_int_equal(opt_values(after(argv, "-fsdev", "local,id=fsdev-p0"), "path", val), 1);
	assert_string_equal(val, "/srv/x,security_model=passthrough");
	assert_int_equal(
	    opt_values(after(argv, "-fsdev", "local,id=fsdev-p0"), "security_model", val), 1);
	assert_string_equal(val, "none");
	assert_int_equal(opt_values(after(argv, "-device", "virtio-9p-pci"), "mount_tag", val), 1);
	assert_string_equal(val, "t,readonly=on");
	assert_int_equal(opt_values(after(argv, "-device", "virtio-9p-pci"), "readonly", val), 0);

	assert_int_equal(opt_values(after(argv, "-chardev", "socket,id=char-s0,"), "path", val), 1);
	assert_string_equal(val, "/run/s,server=off");
	assert_int_equal(opt_values(after(argv, "-chardev", "socket,id=char-s0,"), "server", val),
			 1);
	assert_string_equal(val, "on");
	assert_int_equal(opt_values(after(argv, "-device", "virtserialport,id=s0"), "name", val),
			 1);
	assert_string_equal(val, "n,x=1");

	assert_int_equal(opt_values(after(argv, "-netdev", "tap,id=net-t0"), "ifname", val), 1);
	assert_string_equal(val, "tap0,script=/bin/evil");
	assert_int_equal(opt_values(after(argv, "-netdev", "tap,id=net-t0"), "script", val), 1);
	assert_string_equal(val, "no");

	assert_int_equal(opt_values(after(argv, "-chardev", "socket,id=char-v0"), "path", val), 1);
	assert_string_equal(val, "/run/v,reconnect=1");
	assert_int_equal(opt_values(after(argv, "-chardev", "socket,id=char-v0"), "reconnect", val),
			 0);

	assert_seq(argv, "-name", "guest=n,,debug-threads=on");
	/* A path with '=' cannot go after -qmp unix: (it would be a key): the long form. */
	assert_seq(argv, "-chardev",
		   "socket,id=qmp0,path=/run/q,,server=off/qmp.sock,server=on,wait=off");
	assert_int_equal(opt_values(after(argv, "-chardev", "socket,id=qmp0"), "server", val), 1);
	assert_string_equal(val, "on");
	assert_int_equal(opt_values(after(argv, "-chardev", "socket,id=charconsole0"), "path", val),
			 1);
	assert_string_equal(val, "/run/c,wait=on/console.sock");
	assert_int_equal(opt_values(after(argv, "-chardev", "socket,id=charconsole0"), "wait", val),
			 1);
	assert_string_equal(val, "off");
	qd_argv_free(argv);
	qd_state_clear(&st);
}

/* -name takes "guest=" explicitly: a name with '=' or ',' is one value, never sub-options. */
static void test_name_is_one_value(void **state)
{
	const char *names[] = {"process=evil", "a,process=evil", "x=y,debug-threads=on", "=",
			       "plain"};
	char val[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct qd_vm_config in = base_config();
		struct opt opts[8];
		char **argv;
		int n;

		in.initrd = "/boot/initrd.img";
		in.name = names[i];
		argv = argv_for(&in, false);
		n = parse_opts(after(argv, "-name", ""), opts, 8);
		assert_int_equal(n, 1);
		assert_string_equal(opts[0].key, "guest");
		assert_string_equal(opts[0].value, names[i]);
		qd_argv_free(argv);
	}
	/* The default name too. */
	{
		struct qd_vm_config in = base_config();
		char **argv;

		in.initrd = "/boot/initrd.img";
		argv = argv_for(&in, false);
		assert_int_equal(opt_values(after(argv, "-name", ""), "guest", val), 1);
		assert_string_equal(val, "sandbox-vm1");
		qd_argv_free(argv);
	}
}

static void expect_invalid(const struct qd_vm_config *in, const char *message);

/* cpu_model is one model name: QEMU splits -cpu at the first ',' (",," is no escape there). */
static void test_cpu_model_is_a_name(void **state)
{
	const char *bad[] = {"qemu64,+vmx", "qemu64,,pmu=off", "host,", "a=b", "", "ma x"};
	struct qd_vm_config in;
	char msg[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in = base_config();
		in.cpu_model = bad[i];
		snprintf(msg, sizeof(msg),
			 "cpu_model '%s' is not a CPU model name (letters, digits, '-', '.', '_'); "
			 "features go in cpu_features",
			 bad[i]);
		expect_invalid(&in, msg);
	}
	in = base_config();
	in.initrd = "/boot/initrd.img";
	in.accel = "tcg";
	in.cpu_model = "Skylake-Server-v4";
	in.cpu_features = "pmu=off";
	{
		char **argv = argv_for(&in, false);

		assert_seq(argv, "-cpu", "Skylake-Server-v4,pmu=off");
		qd_argv_free(argv);
	}
}

/* A bridge id from the state is escaped like any other value (the loader refuses it too). */
static void test_bridge_id_escaped(void **state)
{
	struct qd_vm_config in = base_config();
	struct qd_state st;
	struct qd_launch_params lp;
	char **argv, val[256];

	in.initrd = "/boot/initrd.img";
	memset(&st, 0, sizeof(st));
	strcpy(st.uuid, UUID);
	assert_int_equal(qd_state_add_bridge(&st, "b,addr=9,bus=pci.1", 2, 1), 0);
	lp = params(&st, false);
	free(build_ok(&in, &host4, &lp, &argv));
	assert_int_equal(opt_values(after(argv, "-device", "pci-bridge"), "id", val), 1);
	assert_string_equal(val, "b,addr=9,bus=pci.1");
	assert_int_equal(opt_values(after(argv, "-device", "pci-bridge"), "addr", val), 1);
	assert_string_equal(val, "0x2");
	assert_int_equal(opt_values(after(argv, "-device", "pci-bridge"), "bus", val), 1);
	assert_string_equal(val, "pci.0");
	qd_argv_free(argv);
	qd_state_clear(&st);
}

/* A QMP socket path with '=' (run_dir "/run/a=b"): -qmp unix: would read it as a key. */
static void test_qmp_path_with_equals(void **state)
{
	struct qd_vm_config in = base_config();
	struct qd_state st;
	struct qd_launch_params lp;
	char **argv, val[256];

	in.initrd = "/boot/initrd.img";
	make_state(&st, 0);
	lp = params(&st, false);
	lp.qmp_fd = -1;
	lp.qmp_path = "/run/a=b,c/qmp.sock";
	free(build_ok(&in, &host4, &lp, &argv));
	assert_int_equal(count_of(argv, "-qmp"), 0);
	assert_int_equal(opt_values(after(argv, "-chardev", "socket,id=qmp0"), "path", val), 1);
	assert_string_equal(val, "/run/a=b,c/qmp.sock");
	assert_seq(argv, "-mon", "chardev=qmp0,mode=control");
	qd_argv_free(argv);
	qd_state_clear(&st);
}

/* No kernel: QEMU boots its firmware; no -kernel, -initrd or -append. */
static void test_no_kernel(void **state)
{
	struct qd_vm_config in = base_config();
	char **argv;

	in.kernel = NULL;
	argv = argv_for(&in, false);
	assert_int_equal(count_of(argv, "-kernel"), 0);
	assert_int_equal(count_of(argv, "-append"), 0);
	assert_int_equal(count_of(argv, "-initrd"), 0);
	assert_seq(argv, "-smp", "1,cores=1,threads=1,sockets=4,maxcpus=4");
	qd_argv_free(argv);
}

static void test_escape_format_and_bdf(void **state)
{
	const struct qd_device devs[] = {
	    {.kind = QD_DEVICE_DRIVE, .id = "d0", .path = "/d.img", .format = "raw,readonly=off"},
	    {.kind = QD_DEVICE_VFIO, .id = "g0", .bdf = "01:00.0,x-igd-opregion=on"},
	};
	struct qd_vm_config in = base_config();
	char **argv, val[256];

	in.initrd = "/boot/initrd.img";
	in.devices = devs;
	in.ndevices = 2;
	argv = argv_for(&in, false);
	assert_int_equal(opt_values(after(argv, "-blockdev", "driver=raw"), "driver", val), 1);
	assert_string_equal(val, "raw,readonly=off");
	assert_int_equal(opt_values(after(argv, "-blockdev", "driver=raw"), "readonly", val), 0);
	assert_int_equal(opt_values(after(argv, "-blockdev", "driver=raw"), "read-only", val), 1);
	assert_string_equal(val, "off");
	assert_seq(argv, "-device", "vfio-pci,id=g0,host=01:00.0,,x-igd-opregion=on");
	qd_argv_free(argv);
}

static void test_escape_image_path(void **state)
{
	char dir[128], path[160];
	struct qd_vm_config in = base_config();
	char **argv, val[256];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/img,dir", scratch_root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/img,share=on", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("0123456789", f);
	fclose(f);
	in.image = path;
	argv = argv_for(&in, false);
	assert_int_equal(
	    opt_values(after(argv, "-object", "memory-backend-file,id=mem0"), "mem-path", val), 1);
	assert_string_equal(val, path);
	assert_int_equal(
	    opt_values(after(argv, "-object", "memory-backend-file,id=mem0"), "share", val), 0);
	assert_int_equal(
	    opt_values(after(argv, "-object", "memory-backend-file,id=mem0"), "size", val), 1);
	assert_string_equal(val, "10");
	qd_argv_free(argv);
	unlink(path);
	rmdir(dir);
}

/* ---- kernel parameters ------------------------------------------------------------------- */

/**
 * cmdline() - qd_kernel_cmdline() of the resolved base config changed by the arguments
 * @params: kernel_params, or NULL
 * @debug:  debug instead of quiet
 * @err:    receives the error
 * @out:    receives the line on success
 *
 * Return: what qd_kernel_cmdline() returned.
 */
static int cmdline(const char *params_text, bool debug, qd_error *err, char **out)
{
	struct qd_vm_config in = base_config(), cfg;

	in.kernel_params = params_text;
	in.debug = debug;
	in.initrd = "/boot/initrd.img";
	cfg = resolve_ok(&in, &host4);
	*out = NULL;
	return qd_kernel_cmdline(&cfg, out, err);
}

static void test_kernel_defaults_and_order(void **state)
{
	qd_error err = {0};
	char *line;

	assert_int_equal(cmdline(NULL, false, &err, &line), 0);
	assert_string_equal(line, KP_AMD64 " quiet panic=1 initcall_debug nr_cpus=4");
	free(line);

	assert_int_equal(cmdline(NULL, true, &err, &line), 0);
	assert_string_equal(line, KP_AMD64 " debug panic=1 initcall_debug nr_cpus=4");
	assert_null(strstr(line, "quiet"));
	free(line);

	/* The user's come after the defaults, so the kernel takes theirs. */
	assert_int_equal(
	    cmdline("panic=0 nr_cpus=2  console=ttyS0 agent.log=debug", false, &err, &line), 0);
	assert_string_equal(line,
			    KP_AMD64 " quiet panic=1 initcall_debug nr_cpus=4 panic=0 nr_cpus=2 "
				     "console=ttyS0 agent.log=debug");
	free(line);

	assert_int_equal(cmdline("   ", false, &err, &line), 0);
	assert_string_equal(line, KP_AMD64 " quiet panic=1 initcall_debug nr_cpus=4");
	free(line);
	assert_null(err.message);
}

static void test_kernel_quoting(void **state)
{
	qd_error err = {0};
	char *line;

	assert_int_equal(cmdline("dyndbg=\"module virtio +p\" init=/sbin/init", false, &err, &line),
			 0);
	assert_string_equal(line, KP_AMD64 " quiet panic=1 initcall_debug nr_cpus=4 "
					   "dyndbg=\"module virtio +p\" init=/sbin/init");
	free(line);

	/* Quotes around a value without a space are not needed and dropped. */
	assert_int_equal(cmdline("a=\"b\" c=", false, &err, &line), 0);
	assert_string_equal(line, KP_AMD64 " quiet panic=1 initcall_debug nr_cpus=4 a=b c=");
	free(line);
}

static void test_kernel_refused(void **state)
{
	qd_error err = {0};
	char *line;

	assert_int_equal(cmdline("a=x\"y\"", false, &err, &line), -EINVAL);
	assert_null(line);
	assert_string_equal(err.message,
			    "kernel parameter a: a value cannot contain a double quote");

	assert_int_equal(cmdline("a=\"\"x\"\"", false, &err, &line), -EINVAL);
	assert_string_equal(err.message,
			    "kernel parameter a: a value cannot contain a double quote");

	assert_int_equal(cmdline("ok=1 a=\"b c", false, &err, &line), -EINVAL);
	assert_null(line);
	assert_string_equal(err.message, "kernel_params: unbalanced quote in 'a=\"b c'");

	assert_int_equal(cmdline("\"ab\"", false, &err, &line), -EINVAL);
	assert_string_equal(err.message, "kernel parameter name '\"ab\"' is not valid");

	assert_int_equal(cmdline("=v", false, &err, &line), -EINVAL);
	assert_string_equal(err.message, "kernel parameter name '' is not valid");
	qd_error_clear(&err);
}

/* A refused kernel parameter fails the whole argv, with no leak. */
static void test_kernel_refused_in_argv(void **state)
{
	struct qd_vm_config in = base_config(), cfg;
	struct qd_state st;
	struct qd_launch_params lp;
	qd_error err = {0};
	char **argv = (char **)&argv;

	in.initrd = "/boot/initrd.img";
	in.kernel_params = "x=\"a";
	cfg = resolve_ok(&in, &host4);
	make_state(&st, 1);
	lp = params(&st, false);
	assert_int_equal(qd_build_argv(&cfg, &lp, &argv, &err), -EINVAL);
	assert_null(argv);
	assert_string_equal(err.message, "kernel_params: unbalanced quote in 'x=\"a'");
	qd_error_clear(&err);
	qd_state_clear(&st);
}

/* ---- configuration defaults and validation ----------------------------------------------- */

static void test_config_defaults(void **state)
{
	struct qd_vm_config in = base_config(), out;

	out = resolve_ok(&in, &host4);
	assert_string_equal(out.id, "vm1");
	assert_string_equal(out.run_dir, "/run/qemudrv");
	assert_string_equal(out.accel, "kvm");
	assert_string_equal(out.cpu_model, "host");
	assert_int_equal(out.vcpus, 1);
	assert_int_equal(out.max_vcpus, 4);
	assert_int_equal(out.memory_mb, 2048);
	assert_int_equal(out.memory_slots, 10);
	assert_int_equal(out.max_memory_mb, 8192 + 1024);
	assert_int_equal(out.machine, QD_MACHINE_PC);
	assert_int_equal(out.block_driver, QD_BLOCK_VIRTIO_BLK);
	assert_int_equal(out.bridges, 0);
	assert_null(out.name);
	/* The strings stay the caller's. */
	assert_ptr_equal(out.kernel, in.kernel);
	assert_ptr_equal(out.id, in.id);

	in.accel = "tcg";
	out = resolve_ok(&in, &host4);
	assert_string_equal(out.cpu_model, "max");

	/* Given values are kept. */
	in.cpu_model = "Skylake-Server";
	in.run_dir = "/var/run/x";
	in.vcpus = 3;
	in.max_vcpus = 6;
	in.memory_mb = 1000;
	in.memory_slots = 2;
	in.max_memory_mb = 1000;
	out = resolve_ok(&in, &host4);
	assert_string_equal(out.cpu_model, "Skylake-Server");
	assert_string_equal(out.run_dir, "/var/run/x");
	assert_int_equal(out.vcpus, 3);
	assert_int_equal(out.max_vcpus, 6);
	assert_int_equal(out.memory_mb, 1000);
	assert_int_equal(out.memory_slots, 2);
	assert_int_equal(out.max_memory_mb, 1000);

	/* More boot vCPUs than host CPUs: the limit follows them. */
	in = base_config();
	in.vcpus = 8;
	out = resolve_ok(&in, &host4);
	assert_int_equal(out.max_vcpus, 8);
}

/* On a host with more CPUs than QEMU takes, the default is QEMU's limit, not an error. */
static void test_config_default_max_vcpus_capped(void **state)
{
	struct qd_host_facts big = {.ncpus = 384, .mem_mb = 1 << 20};
	struct qd_vm_config in = base_config(), out;

	out = resolve_ok(&in, &big);
	assert_int_equal(out.max_vcpus, 255);
}

/**
 * expect_invalid() - qd_config_resolve() of @in fails with -EINVAL and @message
 * @in:      the configuration
 * @message: the exact message
 */
static void expect_invalid(const struct qd_vm_config *in, const char *message)
{
	struct qd_vm_config out;
	qd_error err = {0};

	assert_int_equal(qd_config_resolve(in, &host4, &out, &err), -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(err.message);
	assert_string_equal(err.message, message);
	qd_error_clear(&err);
}

static void test_config_errors(void **state)
{
	struct qd_vm_config in;

#define CASE(stmt, msg)                                                                            \
	do {                                                                                       \
		in = base_config();                                                                \
		stmt;                                                                              \
		expect_invalid(&in, msg);                                                          \
	} while (0)

	CASE(in.id = NULL, "id is required");
	CASE(in.id = "", "id is required");
	CASE(in.id = "1vm",
	     "id '1vm' is not valid (letters, digits, '-', '.', '_', starting with a "
	     "letter)");
	CASE(in.id = "vm/../x",
	     "id 'vm/../x' is not valid (letters, digits, '-', '.', '_', starting "
	     "with a letter)");
	CASE(in.id = "vm 1",
	     "id 'vm 1' is not valid (letters, digits, '-', '.', '_', starting with a "
	     "letter)");
	CASE(in.run_dir = "run/qd", "run_dir 'run/qd' must be an absolute path");
	CASE(in.run_dir = "", "run_dir '' must be an absolute path");
	CASE(in.machine = (enum qd_machine_type)7, "machine 7 is not pc or q35");
	CASE(in.accel = "xen", "accel 'xen' is not kvm or tcg");
	CASE(in.accel = "", "accel '' is not kvm or tcg");
	CASE((in.vcpus = 8, in.max_vcpus = 4), "vcpus (8) is more than max_vcpus (4)");
	CASE(in.max_vcpus = 256, "max_vcpus 256 is over QEMU's limit of 255");
	CASE((in.memory_mb = 4096, in.max_memory_mb = 2048),
	     "max_memory_mb (2048) is less than memory_mb (4096)");
	CASE((in.kernel = NULL, in.initrd = "/boot/initrd.img"), "initrd needs a kernel");
	CASE((in.kernel = NULL, in.image = "/img/root.raw"), "image needs a kernel");
	CASE((in.kernel = NULL, in.kernel_params = "debug"), "kernel_params needs a kernel");
	CASE(in.bridges = 6, "bridges 6 is more than 5");
	CASE(in.block_driver = (enum qd_block_driver)9,
	     "block_driver 9 is not virtio-blk or virtio-scsi");
	CASE(in.name = "a\nb", "name contains a control character");
	CASE(in.kernel = "/boot/vm\x01linuz", "kernel contains a control character");
	CASE(in.initrd = "/i\r", "initrd contains a control character");
	CASE(in.image = "/i\t", "image contains a control character");
	CASE(in.firmware = "\x1b[0m", "firmware contains a control character");
	CASE(in.kernel_params = "a=1\nb=2", "kernel_params contains a control character");
	CASE(in.cpu_features = "pmu=off\n", "cpu_features contains a control character");
	CASE(in.machine_options = "\x7f\x01", "machine_options contains a control character");
	CASE(in.ndevices = 2, "ndevices is 2 but devices is NULL");
#undef CASE

	/* Valid at the limits. */
	in = base_config();
	in.bridges = 5;
	in.max_vcpus = 255;
	in.vcpus = 255;
	resolve_ok(&in, &host4);
}

/**
 * expect_device_invalid() - a config with @n devices fails with @message
 * @devs:    the devices
 * @n:       how many
 * @message: the exact message
 */
static void expect_device_invalid(const struct qd_device *devs, size_t n, const char *message)
{
	struct qd_vm_config in = base_config();

	in.devices = devs;
	in.ndevices = n;
	expect_invalid(&in, message);
}

static void test_config_device_errors(void **state)
{
	const char *bad_id = "(letters, digits, '-', '.', '_', starting with a letter)";
	char msg[160];

	snprintf(msg, sizeof(msg), "devices[0].id '' is not a valid id %s", bad_id);
	expect_device_invalid(&(struct qd_device){.kind = QD_DEVICE_TAP, .ifname = "t"}, 1, msg);
	snprintf(msg, sizeof(msg), "devices[0].id '0d' is not a valid id %s", bad_id);
	expect_device_invalid(&(struct qd_device){.kind = QD_DEVICE_TAP, .id = "0d", .ifname = "t"},
			      1, msg);
	snprintf(msg, sizeof(msg), "devices[1].id 'a,b' is not a valid id %s", bad_id);
	expect_device_invalid(
	    (const struct qd_device[]){{.kind = QD_DEVICE_TAP, .id = "ok", .ifname = "t"},
				       {.kind = QD_DEVICE_TAP, .id = "a,b", .ifname = "t"}},
	    2, msg);
	expect_device_invalid(
	    (const struct qd_device[]){{.kind = QD_DEVICE_TAP, .id = "n0", .ifname = "t0"},
				       {.kind = QD_DEVICE_VFIO, .id = "x", .bdf = "01:00.0"},
				       {.kind = QD_DEVICE_TAP, .id = "n0", .ifname = "t1"}},
	    3, "devices[2].id 'n0' is used twice");

	/* One missing member per kind. */
	expect_device_invalid(&(struct qd_device){.kind = QD_DEVICE_9P, .id = "p", .tag = "t"}, 1,
			      "devices[0] (9p) needs path and tag");
	expect_device_invalid(&(struct qd_device){.kind = QD_DEVICE_9P, .id = "p", .path = "/x"}, 1,
			      "devices[0] (9p) needs path and tag");
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_SERIAL, .id = "s", .path = "/s"}, 1,
	    "devices[0] (serial) needs path and tag (port name)");
	expect_device_invalid(&(struct qd_device){.kind = QD_DEVICE_SERIAL, .id = "s", .tag = "p"},
			      1, "devices[0] (serial) needs path and tag (port name)");
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_TAP, .id = "t", .mac = "52:54:00:00:00:01"}, 1,
	    "devices[0] (tap) needs ifname");
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_DRIVE, .id = "d", .format = "qcow2"}, 1,
	    "devices[0] (drive) needs path");
	expect_device_invalid(&(struct qd_device){.kind = QD_DEVICE_VFIO, .id = "v"}, 1,
			      "devices[0] (vfio) needs bdf");
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_VHOST_USER, .id = "u", .tag = "net"}, 1,
	    "devices[0] (vhost-user) needs path and tag net, blk or fs");
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_VHOST_USER, .id = "u", .path = "/u"}, 1,
	    "devices[0] (vhost-user) needs path and tag net, blk or fs");
	expect_device_invalid(
	    &(struct qd_device){
		.kind = QD_DEVICE_VHOST_USER, .id = "u", .path = "/u", .tag = "scsi"},
	    1, "devices[0] (vhost-user) needs path and tag net, blk or fs");
	expect_device_invalid(&(struct qd_device){.kind = (enum qd_device_kind)0, .id = "k"}, 1,
			      "devices[0].kind 0 is not a known device kind");
	expect_device_invalid(&(struct qd_device){.kind = (enum qd_device_kind)42, .id = "k"}, 1,
			      "devices[0].kind 42 is not a known device kind");
	/* The vCPUs' id namespace: a cold-plugged "cpu-3" would block the fourth vCPU. */
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_DRIVE, .id = "cpu-3", .path = "/d.img"}, 1,
	    "devices[0].id 'cpu-3' is reserved for hot-plugged vCPUs (cpu-N)");
}

/* A control character in a device member: the message names the member. */
static void test_config_device_control_chars(void **state)
{
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_DRIVE, .id = "d", .path = "/d\n.img"}, 1,
	    "devices[0].path contains a control character");
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_9P, .id = "p", .path = "/p", .tag = "t\x01"}, 1,
	    "devices[0].tag contains a control character");
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_TAP, .id = "t", .ifname = "tap\t0"}, 1,
	    "devices[0].ifname contains a control character");
	expect_device_invalid(
	    &(struct qd_device){
		.kind = QD_DEVICE_TAP, .id = "t", .ifname = "tap0", .mac = "52:54\n"},
	    1, "devices[0].mac contains a control character");
	expect_device_invalid(
	    &(struct qd_device){
		.kind = QD_DEVICE_DRIVE, .id = "d", .path = "/d", .format = "raw\n"},
	    1, "devices[0].format contains a control character");
	expect_device_invalid(
	    &(struct qd_device){.kind = QD_DEVICE_VFIO, .id = "v", .bdf = "01:00.0\n"}, 1,
	    "devices[0].bdf contains a control character");
}

static void test_id_valid(void **state)
{
	assert_true(qd_id_valid("a"));
	assert_true(qd_id_valid("vm-1.test_2"));
	assert_true(qd_id_valid("Z9"));
	assert_false(qd_id_valid(NULL));
	assert_false(qd_id_valid(""));
	assert_false(qd_id_valid("-a"));
	assert_false(qd_id_valid("_a"));
	assert_false(qd_id_valid(".a"));
	assert_false(qd_id_valid("9a"));
	assert_false(qd_id_valid("a/b"));
	assert_false(qd_id_valid("a,b"));
	assert_false(qd_id_valid("a b"));
	assert_false(qd_id_valid("a=b"));
	assert_false(qd_id_valid("é"));
}

/* ---- through the public API -------------------------------------------------------------- */

/**
 * vm_config() - a config for qd_vm_new() in @run_dir with the fixture host
 * @run_dir: the run directory
 * @cpuinfo: fixture name
 *
 * Return: the config (strings static or @run_dir).
 */
static struct qd_vm_config vm_config(const char *run_dir, const char *cpuinfo)
{
	struct qd_vm_config c = base_config();

	c.run_dir = run_dir;
	c.qemu_path = "/bin/true";
	c.initrd = "/boot/initrd.img";
	c.bridges = 2;
	c.cpuinfo_path = cpuinfo;
	c.meminfo_path = QD_FIXTURES_DIR "/meminfo";
	return c;
}

static void test_public_vm_argv(void **state)
{
	char run_dir[128], want[256];
	struct qd_vm_config c;
	struct qd_vm *vm = NULL;
	qd_error err = {0};
	char **argv = NULL;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	snprintf(run_dir, sizeof(run_dir), "%s/run", scratch_root);
	c = vm_config(run_dir, QD_FIXTURES_DIR "/cpuinfo_intel");
	r = qd_vm_new(&c, &vm, &err);
	if (r)
		fail_msg("qd_vm_new: %d %s", r, err.message);
	assert_int_equal(qd_vm_argv(vm, &argv, &err), 0);
	assert_string_equal(argv[0], "/bin/true");
	assert_seq(argv, "-uuid", qd_vm_uuid(vm));
	assert_int_equal(strlen(qd_vm_uuid(vm)), 36);
	assert_seq(argv, "-device",
		   "pci-bridge,id=pci-bridge-0,bus=pci.0,chassis_nr=1,shpc=on,addr=0x2", "-device",
		   "pci-bridge,id=pci-bridge-1,bus=pci.0,chassis_nr=2,shpc=on,addr=0x3");
	assert_seq(argv, "-cpu", "host");
	assert_seq(argv, "-chardev", "socket,id=qmp0,fd=3,server=on,wait=off");
	/* meminfo fixture: 32791612 kB = 32023 MiB, + 1024. */
	assert_seq(argv, "-m", "2048M,slots=10,maxmem=33047M");
	snprintf(want, sizeof(want), "1,cores=1,threads=1,sockets=%ld,maxcpus=%ld", ncpus, ncpus);
	assert_seq(argv, "-smp", want);
	snprintf(want, sizeof(want),
		 "socket,id=charconsole0,path=%s/vm1/console.sock,server=on,wait=off", run_dir);
	assert_seq(argv, "-chardev", want);
	assert_int_equal(count_of(argv, "virtio-serial-pci,id=serial0"), 1);
	qd_argv_free(argv);
	qd_vm_free(vm);

	/* Path mode and a nested host (the fixture's hypervisor flag). */
	c = vm_config(run_dir, QD_FIXTURES_DIR "/cpuinfo_intel_nested");
	c.qmp_path_mode = true;
	assert_int_equal(qd_vm_new(&c, &vm, &err), 0);
	assert_int_equal(qd_vm_argv(vm, &argv, &err), 0);
	snprintf(want, sizeof(want), "unix:%s/vm1/qmp-%s,server=on,wait=off", run_dir,
		 qd_vm_uuid(vm));
	assert_seq(argv, "-qmp", want);
	assert_seq(argv, "-cpu", "host,-arch-capabilities,pmu=off");
	assert_int_equal(count_of(argv, "virtio-serial-pci,id=serial0,disable-modern=on"), 1);
	qd_argv_free(argv);
	qd_vm_free(vm);

	/* disable_nesting_checks: the flag is not looked at. */
	c.disable_nesting_checks = true;
	c.cpuinfo_path = QD_FIXTURES_DIR "/no-such-cpuinfo";
	assert_int_equal(qd_vm_new(&c, &vm, &err), 0);
	assert_int_equal(qd_vm_argv(vm, &argv, &err), 0);
	assert_seq(argv, "-cpu", "host");
	qd_argv_free(argv);

	/* No QEMU binary: qd_vm_argv() says so. */
	qd_vm_free(vm);
	c.qemu_path = "/nonexistent/qemu";
	assert_int_equal(qd_vm_new(&c, &vm, &err), 0);
	argv = NULL;
	assert_int_equal(qd_vm_argv(vm, &argv, &err), -ENOENT);
	assert_null(argv);
	assert_string_equal(err.message,
			    "QEMU binary /nonexistent/qemu: No such file or directory");
	qd_vm_free(vm);
	qd_error_clear(&err);
}

static void test_public_vm_new_invalid(void **state)
{
	char run_dir[128];
	struct qd_vm_config c;
	struct qd_vm *vm = (struct qd_vm *)&vm;
	qd_error err = {0};

	snprintf(run_dir, sizeof(run_dir), "%s/never", scratch_root);
	c = vm_config(run_dir, QD_FIXTURES_DIR "/cpuinfo_intel");
	c.accel = "hvf";
	assert_int_equal(qd_vm_new(&c, &vm, &err), -EINVAL);
	assert_null(vm);
	assert_string_equal(err.message, "accel 'hvf' is not kvm or tcg");
	/* Nothing was created for an invalid configuration. */
	assert_int_equal(access(run_dir, F_OK), -1);

	c = vm_config(run_dir, QD_FIXTURES_DIR "/cpuinfo_intel");
	c.meminfo_path = QD_FIXTURES_DIR "/meminfo_broken";
	assert_int_equal(qd_vm_new(&c, &vm, &err), -EINVAL);
	assert_string_equal(err.message, QD_FIXTURES_DIR "/meminfo_broken: no MemTotal line");

	c = vm_config(run_dir, QD_FIXTURES_DIR "/no-such-cpuinfo");
	assert_int_equal(qd_vm_new(&c, &vm, &err), -ENOENT);
	assert_string_equal(err.message, "cannot read " QD_FIXTURES_DIR
					 "/no-such-cpuinfo: No such file or directory");
	assert_int_equal(access(run_dir, F_OK), -1);
	qd_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_pc_fd_bare_metal),
	    cmocka_unit_test(test_golden_q35_path_nested),
	    cmocka_unit_test(test_golden_pc_tcg_nested),
	    cmocka_unit_test(test_device_9p),
	    cmocka_unit_test(test_device_serial),
	    cmocka_unit_test(test_device_tap),
	    cmocka_unit_test(test_device_drive),
	    cmocka_unit_test(test_device_vfio),
	    cmocka_unit_test(test_device_vhost_user),
	    cmocka_unit_test(test_vhost_user_needs_shared_memory),
	    cmocka_unit_test(test_devices_all_kinds_together),
	    cmocka_unit_test(test_knob_hugepages_and_prealloc),
	    cmocka_unit_test(test_knob_mlock_realtime),
	    cmocka_unit_test(test_knob_daemonize),
	    cmocka_unit_test(test_knob_iothreads),
	    cmocka_unit_test(test_knob_image_nvdimm),
	    cmocka_unit_test(test_knob_image_root_params),
	    cmocka_unit_test(test_knob_image_missing),
	    cmocka_unit_test(test_knob_firmware),
	    cmocka_unit_test(test_bridge_addr_is_hex),
	    cmocka_unit_test(test_escape_opt),
	    cmocka_unit_test(test_escape_no_injection),
	    cmocka_unit_test(test_escape_format_and_bdf),
	    cmocka_unit_test(test_name_is_one_value),
	    cmocka_unit_test(test_cpu_model_is_a_name),
	    cmocka_unit_test(test_bridge_id_escaped),
	    cmocka_unit_test(test_no_kernel),
	    cmocka_unit_test(test_qmp_path_with_equals),
	    cmocka_unit_test(test_escape_image_path),
	    cmocka_unit_test(test_kernel_defaults_and_order),
	    cmocka_unit_test(test_kernel_quoting),
	    cmocka_unit_test(test_kernel_refused),
	    cmocka_unit_test(test_kernel_refused_in_argv),
	    cmocka_unit_test(test_config_defaults),
	    cmocka_unit_test(test_config_default_max_vcpus_capped),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_config_device_errors),
	    cmocka_unit_test(test_config_device_control_chars),
	    cmocka_unit_test(test_id_valid),
	    cmocka_unit_test(test_public_vm_argv),
	    cmocka_unit_test(test_public_vm_new_invalid),
	};

	return cmocka_run_group_tests_name("argv", tests, scratch_setup, scratch_teardown);
}
