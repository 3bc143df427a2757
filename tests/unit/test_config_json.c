/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_config_json.c - a VM configuration read from JSON: every member, defaults, type errors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qemudrv.h"

/**
 * parse() - JSON text to an object, failing the test when it is not JSON
 * @text: the JSON
 *
 * Return: a new reference.
 */
static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	if (!o)
		fail_msg("test JSON does not parse: %s", text);
	return o;
}

/**
 * expect_error() - reading @text fails with -EINVAL and exactly @message
 * @text:    the configuration JSON
 * @message: the expected message
 */
static void expect_error(const char *text, const char *message)
{
	json_object *o = parse(text);
	struct qd_vm_config cfg;
	qd_error err = {0};
	int r;

	memset(&cfg, 0x5a, sizeof(cfg));
	r = qd_vm_config_from_json(o, &cfg, &err);
	if (r != -EINVAL)
		fail_msg("%s: returned %d", text, r);
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(err.message);
	if (strcmp(err.message, message))
		fail_msg("%s:\n got:  %s\n want: %s", text, err.message, message);
	/* Nothing is left allocated. */
	assert_null(cfg.devices);
	assert_int_equal(cfg.ndevices, 0);
	qd_vm_config_clear(&cfg);
	qd_error_clear(&err);
	json_object_put(o);
}

static void test_full_config(void **state)
{
	json_object *o = parse(
	    "{\"id\": \"vm1\", \"name\": \"sandbox one\", \"qemu\": "
	    "\"/opt/qemu/bin/qemu-system-x86_64\","
	    " \"run_dir\": \"/var/run/qd\", \"machine\": \"q35\", \"machine_options\": \"smm=off\","
	    " \"accel\": \"tcg\", \"cpu_model\": \"max\", \"cpu_features\": \"pmu=off\","
	    " \"vcpus\": 2, \"max_vcpus\": 8, \"memory_mb\": 4096, \"memory_slots\": 4,"
	    " \"max_memory_mb\": 8589934592, \"kernel\": \"/boot/vmlinuz\", \"initrd\": "
	    "\"/boot/initrd\","
	    " \"image\": \"/var/lib/root.img\", \"kernel_params\": \"agent.log=debug\","
	    " \"firmware\": \"/usr/share/qemu/bios.bin\", \"debug\": true, \"bridges\": 3,"
	    " \"block_driver\": \"virtio-scsi\", \"iothreads\": true, \"mem_prealloc\": true,"
	    " \"hugepages\": true, \"realtime\": true, \"mlock\": true, \"daemonize\": true,"
	    " \"disable_nesting_checks\": true, \"qmp_path_mode\": true,"
	    " \"devices\": ["
	    "  {\"kind\": \"9p\", \"id\": \"share\", \"path\": \"/srv\", \"tag\": \"hostshare\"},"
	    "  {\"kind\": \"serial\", \"id\": \"agent\", \"path\": \"/run/a.sock\", \"tag\": "
	    "\"port0\"},"
	    "  {\"kind\": \"tap\", \"id\": \"eth0\", \"ifname\": \"tap0\", \"mac\": "
	    "\"52:54:00:00:00:01\"},"
	    "  {\"kind\": \"drive\", \"id\": \"disk0\", \"path\": \"/d.qcow2\", \"format\": "
	    "\"qcow2\","
	    "   \"read_only\": true},"
	    "  {\"kind\": \"vfio\", \"id\": \"gpu0\", \"bdf\": \"0000:01:00.0\"},"
	    "  {\"kind\": \"vhost-user\", \"id\": \"vfs0\", \"path\": \"/run/fs.sock\", \"tag\": "
	    "\"fs\"}"
	    " ]}");
	struct qd_vm_config cfg;
	const struct qd_device *d;
	qd_error err = {0};

	assert_int_equal(qd_vm_config_from_json(o, &cfg, &err), 0);
	assert_null(err.message);
	assert_string_equal(cfg.id, "vm1");
	assert_string_equal(cfg.name, "sandbox one");
	assert_string_equal(cfg.qemu_path, "/opt/qemu/bin/qemu-system-x86_64");
	assert_string_equal(cfg.run_dir, "/var/run/qd");
	assert_int_equal(cfg.machine, QD_MACHINE_Q35);
	assert_string_equal(cfg.machine_options, "smm=off");
	assert_string_equal(cfg.accel, "tcg");
	assert_string_equal(cfg.cpu_model, "max");
	assert_string_equal(cfg.cpu_features, "pmu=off");
	assert_int_equal(cfg.vcpus, 2);
	assert_int_equal(cfg.max_vcpus, 8);
	assert_int_equal(cfg.memory_mb, 4096);
	assert_int_equal(cfg.memory_slots, 4);
	assert_true(cfg.max_memory_mb == 8589934592ULL);
	assert_string_equal(cfg.kernel, "/boot/vmlinuz");
	assert_string_equal(cfg.initrd, "/boot/initrd");
	assert_string_equal(cfg.image, "/var/lib/root.img");
	assert_string_equal(cfg.kernel_params, "agent.log=debug");
	assert_string_equal(cfg.firmware, "/usr/share/qemu/bios.bin");
	assert_true(cfg.debug);
	assert_int_equal(cfg.bridges, 3);
	assert_int_equal(cfg.block_driver, QD_BLOCK_VIRTIO_SCSI);
	assert_true(cfg.iothreads);
	assert_true(cfg.mem_prealloc);
	assert_true(cfg.hugepages);
	assert_true(cfg.realtime);
	assert_true(cfg.mlock);
	assert_true(cfg.daemonize);
	assert_true(cfg.disable_nesting_checks);
	assert_true(cfg.qmp_path_mode);
	/* Test hooks are not part of the file format. */
	assert_null(cfg.cpuinfo_path);
	assert_null(cfg.meminfo_path);

	assert_int_equal(cfg.ndevices, 6);
	d = &cfg.devices[0];
	assert_int_equal(d->kind, QD_DEVICE_9P);
	assert_string_equal(d->id, "share");
	assert_string_equal(d->path, "/srv");
	assert_string_equal(d->tag, "hostshare");
	assert_null(d->ifname);
	d = &cfg.devices[1];
	assert_int_equal(d->kind, QD_DEVICE_SERIAL);
	assert_string_equal(d->id, "agent");
	assert_string_equal(d->path, "/run/a.sock");
	assert_string_equal(d->tag, "port0");
	d = &cfg.devices[2];
	assert_int_equal(d->kind, QD_DEVICE_TAP);
	assert_string_equal(d->id, "eth0");
	assert_string_equal(d->ifname, "tap0");
	assert_string_equal(d->mac, "52:54:00:00:00:01");
	assert_null(d->path);
	d = &cfg.devices[3];
	assert_int_equal(d->kind, QD_DEVICE_DRIVE);
	assert_string_equal(d->id, "disk0");
	assert_string_equal(d->path, "/d.qcow2");
	assert_string_equal(d->format, "qcow2");
	assert_true(d->read_only);
	d = &cfg.devices[4];
	assert_int_equal(d->kind, QD_DEVICE_VFIO);
	assert_string_equal(d->id, "gpu0");
	assert_string_equal(d->bdf, "0000:01:00.0");
	assert_false(d->read_only);
	d = &cfg.devices[5];
	assert_int_equal(d->kind, QD_DEVICE_VHOST_USER);
	assert_string_equal(d->id, "vfs0");
	assert_string_equal(d->path, "/run/fs.sock");
	assert_string_equal(d->tag, "fs");
	assert_null(d->mac);

	qd_vm_config_clear(&cfg);
	assert_null(cfg.devices);
	assert_int_equal(cfg.ndevices, 0);
	json_object_put(o);
}

static void test_defaults(void **state)
{
	json_object *o = parse("{}");
	struct qd_vm_config cfg;
	qd_error err = {0};

	memset(&cfg, 0x5a, sizeof(cfg));
	assert_int_equal(qd_vm_config_from_json(o, &cfg, &err), 0);
	/* One bridge unless told otherwise; everything else left to qd_vm_new(). */
	assert_int_equal(cfg.bridges, 1);
	assert_null(cfg.id);
	assert_null(cfg.qemu_path);
	assert_null(cfg.run_dir);
	assert_null(cfg.accel);
	assert_null(cfg.kernel);
	assert_int_equal(cfg.machine, QD_MACHINE_PC);
	assert_int_equal(cfg.block_driver, QD_BLOCK_VIRTIO_BLK);
	assert_int_equal(cfg.vcpus, 0);
	assert_int_equal(cfg.memory_mb, 0);
	assert_true(cfg.max_memory_mb == 0);
	assert_false(cfg.debug);
	assert_false(cfg.qmp_path_mode);
	assert_null(cfg.devices);
	assert_int_equal(cfg.ndevices, 0);
	qd_vm_config_clear(&cfg);
	json_object_put(o);

	/* Explicit values, including the ones equal to the zero default. */
	o = parse("{\"bridges\": 0, \"machine\": \"pc\", \"block_driver\": \"virtio-blk\", "
		  "\"debug\": false, \"devices\": []}");
	assert_int_equal(qd_vm_config_from_json(o, &cfg, &err), 0);
	assert_int_equal(cfg.bridges, 0);
	assert_int_equal(cfg.machine, QD_MACHINE_PC);
	assert_int_equal(cfg.block_driver, QD_BLOCK_VIRTIO_BLK);
	assert_false(cfg.debug);
	assert_int_equal(cfg.ndevices, 0);
	qd_vm_config_clear(&cfg);
	json_object_put(o);
	assert_null(err.message);
}

static void test_unknown_member(void **state)
{
	expect_error("{\"id\": \"vm1\", \"memory\": 1024}", "config: unknown member 'memory'");
	/* The struct's name is not the file's. */
	expect_error("{\"qemu_path\": \"/q\"}", "config: unknown member 'qemu_path'");
	expect_error("{\"ID\": \"vm1\"}", "config: unknown member 'ID'");
}

static void test_not_an_object(void **state)
{
	expect_error("[]", "config: must be a JSON object");
	expect_error("\"vm1\"", "config: must be a JSON object");
	expect_error("3", "config: must be a JSON object");
}

static void test_wrong_types(void **state)
{
	/* Strings. */
	expect_error("{\"kernel\": 5}", "config: 'kernel' must be a string");
	expect_error("{\"id\": null}", "config: 'id' must be a string");
	expect_error("{\"qemu\": [\"/q\"]}", "config: 'qemu' must be a string");
	expect_error("{\"kernel_params\": {}}", "config: 'kernel_params' must be a string");
	/* Unsigned integers. */
	expect_error("{\"vcpus\": \"2\"}", "config: 'vcpus' must be a non-negative integer");
	expect_error("{\"vcpus\": -1}", "config: 'vcpus' must be a non-negative integer");
	expect_error("{\"memory_mb\": 2.5}", "config: 'memory_mb' must be a non-negative integer");
	expect_error("{\"memory_slots\": true}",
		     "config: 'memory_slots' must be a non-negative integer");
	expect_error("{\"max_vcpus\": 4294967296}",
		     "config: 'max_vcpus' must be a non-negative integer");
	expect_error("{\"bridges\": null}", "config: 'bridges' must be a non-negative integer");
	/* The 64-bit one. */
	expect_error("{\"max_memory_mb\": -5}",
		     "config: 'max_memory_mb' must be a non-negative integer");
	expect_error("{\"max_memory_mb\": \"8G\"}",
		     "config: 'max_memory_mb' must be a non-negative integer");
	/* Booleans. */
	expect_error("{\"debug\": \"true\"}", "config: 'debug' must be true or false");
	expect_error("{\"hugepages\": 1}", "config: 'hugepages' must be true or false");
	expect_error("{\"qmp_path_mode\": null}", "config: 'qmp_path_mode' must be true or false");
	/* Enumerations. */
	expect_error("{\"machine\": \"virt\"}", "config: 'machine' must be \"pc\" or \"q35\"");
	expect_error("{\"machine\": 1}", "config: 'machine' must be \"pc\" or \"q35\"");
	expect_error("{\"block_driver\": \"nvme\"}",
		     "config: 'block_driver' must be \"virtio-blk\" or \"virtio-scsi\"");
	expect_error("{\"block_driver\": false}",
		     "config: 'block_driver' must be \"virtio-blk\" or \"virtio-scsi\"");
	/* The device list. */
	expect_error("{\"devices\": {}}", "config: 'devices' must be an array");
	expect_error("{\"devices\": \"9p\"}", "config: 'devices' must be an array");
}

static void test_device_kinds(void **state)
{
	static const char *const names[] = {"9p", "serial", "tap", "drive", "vfio", "vhost-user"};
	static const enum qd_device_kind kinds[] = {QD_DEVICE_9P,   QD_DEVICE_SERIAL,
						    QD_DEVICE_TAP,  QD_DEVICE_DRIVE,
						    QD_DEVICE_VFIO, QD_DEVICE_VHOST_USER};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char text[128];
		json_object *o;
		struct qd_vm_config cfg;
		qd_error err = {0};

		snprintf(text, sizeof(text), "{\"devices\": [{\"id\": \"d\", \"kind\": \"%s\"}]}",
			 names[i]);
		o = parse(text);
		assert_int_equal(qd_vm_config_from_json(o, &cfg, &err), 0);
		assert_int_equal(cfg.ndevices, 1);
		assert_int_equal(cfg.devices[0].kind, kinds[i]);
		assert_string_equal(cfg.devices[0].id, "d");
		qd_vm_config_clear(&cfg);
		json_object_put(o);
	}
}

static void test_device_errors(void **state)
{
	const char *kinds = "9p, serial, tap, drive, vfio, vhost-user";
	char want[160];

	snprintf(want, sizeof(want), "config: devices[0].kind must be one of %s", kinds);
	expect_error("{\"devices\": [{\"id\": \"d\", \"kind\": \"nvme\"}]}", want);
	expect_error("{\"devices\": [{\"id\": \"d\", \"kind\": 3}]}", want);
	expect_error("{\"devices\": [{\"id\": \"d\", \"kind\": \"9P\"}]}", want);
	snprintf(want, sizeof(want), "config: devices[1].kind must be one of %s", kinds);
	expect_error("{\"devices\": [{\"id\": \"a\", \"kind\": \"tap\"}, {\"kind\": \"\"}]}", want);

	expect_error("{\"devices\": [{\"id\": \"d\"}]}", "config: devices[0].kind is missing");
	expect_error("{\"devices\": [{\"kind\": \"vfio\", \"id\": \"a\"}, {\"id\": \"b\", "
		     "\"bdf\": \"01:00.0\"}]}",
		     "config: devices[1].kind is missing");
	expect_error("{\"devices\": [{\"kind\": \"drive\", \"id\": \"a\", \"size\": 10}]}",
		     "config: devices[0]: unknown member 'size'");
	expect_error("{\"devices\": [{\"kind\": \"drive\", \"id\": \"a\"}, {\"kind\": \"drive\", "
		     "\"id\": \"b\", \"readonly\": true}]}",
		     "config: devices[1]: unknown member 'readonly'");
	expect_error("{\"devices\": [\"9p\"]}", "config: devices[0] must be an object");
	expect_error("{\"devices\": [{\"kind\": \"tap\", \"id\": \"t\"}, null]}",
		     "config: devices[1] must be an object");
	expect_error("{\"devices\": [{\"kind\": \"drive\", \"id\": \"a\", \"path\": 1}]}",
		     "config: devices[0].path must be a string");
	expect_error("{\"devices\": [{\"kind\": \"tap\", \"id\": 7}]}",
		     "config: devices[0].id must be a string");
	expect_error("{\"devices\": [{\"kind\": \"tap\", \"id\": \"t\", \"mac\": false}]}",
		     "config: devices[0].mac must be a string");
	expect_error(
	    "{\"devices\": [{\"kind\": \"drive\", \"id\": \"a\", \"read_only\": \"yes\"}]}",
	    "config: devices[0].read_only must be true or false");
	/* An error after good devices frees them too (valgrind checks). */
	expect_error("{\"devices\": [{\"kind\": \"tap\", \"id\": \"a\", \"ifname\": \"t\"}, "
		     "{\"kind\": \"tap\", \"id\": \"b\", \"ifname\": \"u\"}], \"vcpus\": -3}",
		     "config: 'vcpus' must be a non-negative integer");
}

/* What JSON accepts is still checked by qd_vm_new() (through the public API). */
static void test_from_json_to_vm_error(void **state)
{
	json_object *o = parse("{\"id\": \"1bad\", \"kernel\": \"/k\", \"run_dir\": \"/tmp\", "
			       "\"disable_nesting_checks\": true}");
	struct qd_vm_config cfg;
	struct qd_vm *vm = (struct qd_vm *)&o;
	qd_error err = {0};

	assert_int_equal(qd_vm_config_from_json(o, &cfg, &err), 0);
	assert_int_equal(qd_vm_new(&cfg, &vm, &err), -EINVAL);
	assert_null(vm);
	assert_string_equal(err.message, "id '1bad' is not valid (letters, digits, '-', '.', '_', "
					 "starting with a letter)");
	qd_error_clear(&err);
	qd_vm_config_clear(&cfg);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_config),	   cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_unknown_member), cmocka_unit_test(test_not_an_object),
	    cmocka_unit_test(test_wrong_types),	   cmocka_unit_test(test_device_kinds),
	    cmocka_unit_test(test_device_errors),  cmocka_unit_test(test_from_json_to_vm_error),
	};

	return cmocka_run_group_tests_name("config_json", tests, NULL, NULL);
}
