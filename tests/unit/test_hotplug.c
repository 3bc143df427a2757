/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_hotplug.c - every hot-plug kind against the scripted QMP peer: the exact commands, undo,
 * batches */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "argv.h"
#include "devspec.h"
#include "error.h"
#include "qmp_commands.h"
#include "qmp_peer.h"
#include "scratch.h"
#include "state.h"
#include "vm_private.h"

/*
 * A VM handle whose "QEMU" is the scripted peer: the process it watches is
 * this one (alive for as long as the test), its connection the peer's
 * socket. Everything else (state file, slots, records) is the library's own.
 * Each test gives the exact commands QEMU must receive, in order, and what
 * QEMU answers; a command the script does not expect fails the test.
 */

#define T 5000 /* deadline of the calls that QEMU answers */

#define ERROR_REPLY(cls, desc)                                                                     \
	SEND("{\"error\": {\"class\": \"" cls "\", \"desc\": \"" desc "\"}, \"id\": @ID@}\r\n")
#define RETURN(json) SEND("{\"return\": " json ", \"id\": @ID@}\r\n")
#define EVENT(name, data)                                                                          \
	SEND("{\"event\": \"" name "\", \"data\": " data ", \"timestamp\": {\"seconds\": 1, "      \
	     "\"microseconds\": 2}}\r\n")

struct hp {
	struct qd_vm *vm;
	struct qmp_peer *peer;
	char run_dir[128];
	struct peer_step *peer_steps; /* GREET and the test's steps */
	int saves;		      /* "state saved" log lines */
	qd_error err;
};

static void count_saves(void *opaque, int level, const char *message)
{
	struct hp *h = opaque;

	(void)level;
	if (!strncmp(message, "state saved", 11))
		h->saves++;
}

static struct qd_vm_config hp_config(const char *run_dir)
{
	return (struct qd_vm_config){.id = "vm1",
				     .kernel = "/boot/vmlinuz",
				     .initrd = "/boot/initrd.img",
				     .qemu_path = "/bin/true",
				     .run_dir = run_dir,
				     .bridges = 1,
				     .memory_mb = 1024,
				     .memory_slots = 2,
				     .max_memory_mb = 4096,
				     .cpuinfo_path = QD_FIXTURES_DIR "/cpuinfo_intel",
				     .meminfo_path = QD_FIXTURES_DIR "/meminfo"};
}

/* Start @h's VM (as @cfg, or the default) talking to a peer that runs GREET, then @steps. */
static void hp_start(struct hp *h, const struct qd_vm_config *cfg, const struct peer_step *steps,
		     size_t n)
{
	static int seq;
	struct peer_step *all = calloc(n + 3, sizeof(*all));
	const struct peer_step greet[] = {GREET};
	struct qd_vm_config c;
	struct qd_qmp_options opts;
	int fd;

	assert_non_null(all);
	memcpy(all, greet, sizeof(greet));
	if (n)
		memcpy(all + 3, steps, n * sizeof(*steps));
	snprintf(h->run_dir, sizeof(h->run_dir), "%s/run%d", scratch_root, seq++);
	c = cfg ? *cfg : hp_config(h->run_dir);
	c.run_dir = h->run_dir;
	if (qd_vm_new(&c, &h->vm, &h->err) < 0)
		fail_msg("qd_vm_new: %s", h->err.message);
	qd_vm_set_log(h->vm, count_saves, h, QD_LOG_DEBUG);
	h->vm->proc = (struct qd_process){.pid = getpid(), .pidfd = -1};
	if (!qd_state_bridges_are(&h->vm->st, c.bridges))
		assert_int_equal(qd_state_set_bridges(&h->vm->st, c.bridges), 0);
	h->peer = peer_start(all, n + 3, &fd);
	opts = qd_vm_qmp_options(h->vm);
	assert_int_equal(qd_qmp_open_fd(fd, &opts, &h->vm->qmp, &h->err), 0);
	assert_int_equal(qd_qmp_handshake(h->vm->qmp, T, &h->err), 0);
	h->saves = 0;
	/* The peer keeps the script until it ends. */
	h->peer_steps = all;
}

/* The state file as the library left it. */
static json_object *hp_state_file(struct hp *h)
{
	char path[256];
	json_object *o;

	snprintf(path, sizeof(path), "%s/vm1/state.json", h->run_dir);
	o = json_object_from_file(path);
	if (!o)
		fail_msg("no state file at %s", path);
	return o;
}

/* The script has run to its end; the VM is let go without touching "QEMU". */
static void hp_finish(struct hp *h)
{
	qd_qmp_free(h->vm->qmp);
	h->vm->qmp = NULL;
	h->vm->proc = (struct qd_process){.pid = -1, .pidfd = -1};
	peer_finish(h->peer);
	qd_vm_free(h->vm);
	free(h->peer_steps);
	qd_error_clear(&h->err);
}

/* A regular file to be a disk (the "file" driver). */
static void make_image(char *path, size_t size, const char *name)
{
	int fd;

	scratch_path(path, size, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
}

/* The device record @id of the state file, or NULL. */
static json_object *state_device(json_object *st, const char *id)
{
	json_object *devs, *v;

	if (!json_object_object_get_ex(st, "devices", &devs))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i);

		if (json_object_object_get_ex(d, "id", &v) &&
		    !strcmp(json_object_get_string(v), id))
			return d;
	}
	return NULL;
}

static const char *member_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int64_t member_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

static bool slot_free(struct qd_vm *vm, int slot)
{
	return vm->st.nbridges && !vm->st.bridges[0].slots[slot];
}

/* ---- disks ------------------------------------------------------------------------------- */

/* The arguments a hot-plugged virtio disk d0 on pci-bridge-0 slot 1 gets (shared with cold). */
#define DISK_NODE_ARGS                                                                             \
	"{\"driver\": \"raw\", \"node-name\": \"drive-d0\", \"read-only\": false, "                \
	"\"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}"
#define DISK_DEVICE_ARGS                                                                           \
	"{\"driver\": \"virtio-blk-pci\", \"id\": \"d0\", \"drive\": \"drive-d0\", "               \
	"\"config-wce\": false, \"bus\": \"pci-bridge-0\", \"addr\": \"0x1\"}"

static void test_virtio_disk(void **state)
{
	char img[256], node[512];
	struct hp h = {0};
	char *where = NULL;
	json_object *st, *rec;

	(void)state;
	make_image(img, sizeof(img), "d0.img");
	snprintf(node, sizeof(node), DISK_NODE_ARGS, img);
	{
		const struct peer_step steps[] = {
		    EXPECT_ARGS("blockdev-add", node),
		    REPLY_OK,
		    EXPECT_ARGS("device_add", DISK_DEVICE_ARGS),
		    REPLY_OK,
		    EXPECT_ARGS("device_del", "{\"id\": \"d0\"}"),
		    REPLY_OK,
		    EVENT("DEVICE_DELETED",
			  "{\"device\": \"d0\", \"path\": \"/machine/peripheral/d0\"}"),
		    EXPECT_ARGS("blockdev-del", "{\"node-name\": \"drive-d0\"}"),
		    REPLY_OK,
		};
		const struct qd_block_device d = {.id = "d0", .path = img};

		hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_block(h.vm, &d, T, &where, &h.err), 0);
	}
	assert_string_equal(where, "02/01");
	assert_int_equal(h.saves, 1); /* the record, as plugged, before QEMU is asked */
	st = hp_state_file(&h);
	rec = state_device(st, "d0");
	assert_non_null(rec);
	assert_string_equal(member_str(rec, "kind"), "virtio-blk");
	assert_string_equal(member_str(rec, "node"), "drive-d0");
	assert_string_equal(member_str(rec, "bridge"), "pci-bridge-0");
	assert_int_equal(member_int(rec, "slot"), 1);
	json_object_put(st);
	assert_int_equal(qd_vm_remove_block(h.vm, "d0", T, &h.err), 0);
	st = hp_state_file(&h);
	assert_null(state_device(st, "d0"));
	json_object_put(st);
	assert_true(slot_free(h.vm, 1));
	free(where);
	hp_finish(&h);
}

static void test_scsi_disk(void **state)
{
	char img[256], node[512];
	struct hp h = {0};
	struct qd_vm_config c;
	char *where = NULL;

	(void)state;
	make_image(img, sizeof(img), "s0.img");
	snprintf(node, sizeof(node),
		 "{\"driver\": \"qcow2\", \"node-name\": \"drive-s0\", \"read-only\": true, "
		 "\"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}",
		 img);
	{
		const struct peer_step steps[] = {
		    EXPECT_ARGS("blockdev-add", node),
		    REPLY_OK,
		    EXPECT_ARGS(
			"device_add",
			"{\"driver\": \"scsi-hd\", \"id\": \"s0\", \"drive\": \"drive-s0\", "
			"\"bus\": \"scsi0.0\", \"scsi-id\": 1, \"lun\": 2}"),
		    REPLY_OK,
		};
		const struct qd_block_device d = {
		    .id = "s0", .path = img, .format = "qcow2", .read_only = true, .index = 258};

		c = hp_config(NULL);
		c.block_driver = QD_BLOCK_VIRTIO_SCSI;
		hp_start(&h, &c, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_block(h.vm, &d, T, &where, &h.err), 0);
	}
	assert_string_equal(where, "scsi0.0:1:2");
	free(where);
	hp_finish(&h);
}

/* device_add refused: the node blockdev-add made is deleted, the record and slot go. */
static void test_disk_refused_is_undone(void **state)
{
	char img[256], node[512];
	struct hp h = {0};
	json_object *st;

	(void)state;
	make_image(img, sizeof(img), "d0.img");
	snprintf(node, sizeof(node), DISK_NODE_ARGS, img);
	{
		const struct peer_step steps[] = {
		    EXPECT_ARGS("blockdev-add", node),
		    REPLY_OK,
		    EXPECT_ARGS("device_add", DISK_DEVICE_ARGS),
		    ERROR_REPLY("GenericError", "Bus 'pci-bridge-0' does not support hotplugging"),
		    EXPECT_ARGS("blockdev-del", "{\"node-name\": \"drive-d0\"}"),
		    REPLY_OK,
		};
		const struct qd_block_device d = {.id = "d0", .path = img};

		hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_block(h.vm, &d, T, NULL, &h.err), -EREMOTEIO);
	}
	assert_string_equal(h.err.qmp_class, "GenericError");
	assert_string_equal(h.err.message, "Bus 'pci-bridge-0' does not support hotplugging");
	assert_int_equal(h.saves, 2); /* the intent, then its undoing */
	st = hp_state_file(&h);
	assert_null(state_device(st, "d0"));
	json_object_put(st);
	assert_true(slot_free(h.vm, 1));
	hp_finish(&h);
}

/*
 * Undoing a node QEMU already lost: blockdev-del's GenericError is not read
 * (no desc text): QEMU is asked whether the node is there.
 */
static void test_undo_asks_instead_of_reading_desc(void **state)
{
	char img[256], node[512];
	struct hp h = {0};

	(void)state;
	make_image(img, sizeof(img), "d0.img");
	snprintf(node, sizeof(node), DISK_NODE_ARGS, img);
	{
		const struct peer_step steps[] = {
		    EXPECT_ARGS("blockdev-add", node),
		    REPLY_OK,
		    EXPECT_ARGS("device_add", DISK_DEVICE_ARGS),
		    ERROR_REPLY("GenericError", "no"),
		    EXPECT_ARGS("blockdev-del", "{\"node-name\": \"drive-d0\"}"),
		    ERROR_REPLY("GenericError", "words that change between versions"),
		    EXPECT("query-named-block-nodes"),
		    RETURN("[{\"node-name\": \"other\"}]"),
		};
		const struct qd_block_device d = {.id = "d0", .path = img};

		hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_block(h.vm, &d, T, NULL, &h.err), -EREMOTEIO);
	}
	/* Nothing is left, so nothing is said about the undo. */
	assert_string_equal(h.err.message, "no");
	assert_null(qd_state_find_device(&h.vm->st, "d0"));
	hp_finish(&h);
}

/*
 * A batch: the six commands of three disks are all read before QEMU answers
 * any (a client waiting for each reply would stall the script); d1's
 * device_add is refused, and only d1's node is deleted. Two saves: the
 * batch's intent and d1's undoing.
 */
static void test_blocks_pipelined(void **state)
{
	char img[3][256], node[3][512], dev[3][512];
	struct qd_plug_result res[3];
	struct qd_block_device d[3];
	struct hp h = {0};
	json_object *st;

	(void)state;
	for (int i = 0; i < 3; i++) {
		char name[16], id[8];

		snprintf(name, sizeof(name), "d%d.img", i);
		snprintf(id, sizeof(id), "d%d", i);
		make_image(img[i], sizeof(img[i]), name);
		snprintf(node[i], sizeof(node[i]),
			 "{\"driver\": \"raw\", \"node-name\": \"drive-%s\", \"read-only\": false, "
			 "\"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}",
			 id, img[i]);
		snprintf(
		    dev[i], sizeof(dev[i]),
		    "{\"driver\": \"virtio-blk-pci\", \"id\": \"%s\", \"drive\": \"drive-%s\", "
		    "\"config-wce\": false, \"bus\": \"pci-bridge-0\", \"addr\": \"0x%d\"}",
		    id, id, i + 1);
		d[i] = (struct qd_block_device){.id = i == 0   ? "d0"
						      : i == 1 ? "d1"
							       : "d2",
						.path = img[i]};
	}
	{
		const struct peer_step steps[] = {
		    EXPECT_ARGS("blockdev-add", node[0]),
		    EXPECT_ARGS("device_add", dev[0]),
		    EXPECT_ARGS("blockdev-add", node[1]),
		    EXPECT_ARGS("device_add", dev[1]),
		    EXPECT_ARGS("blockdev-add", node[2]),
		    EXPECT_ARGS("device_add", dev[2]),
		    ANSWER_OK,
		    ANSWER_OK,
		    ANSWER_OK,
		    ANSWER("{\"error\": {\"class\": \"GenericError\", \"desc\": \"refused\"}, "
			   "\"id\": @ID@}\r\n"),
		    ANSWER_OK,
		    ANSWER_OK,
		    EXPECT_ARGS("blockdev-del", "{\"node-name\": \"drive-d1\"}"),
		    REPLY_OK,
		};

		hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_blocks(h.vm, d, 3, T, res, &h.err), -EREMOTEIO);
	}
	assert_string_equal(h.err.message, "refused; 1 of 3 devices were not plugged");
	assert_int_equal(res[0].code, 0);
	assert_string_equal(res[0].location, "02/01");
	assert_int_equal(res[1].code, -EREMOTEIO);
	assert_string_equal(res[1].error.qmp_class, "GenericError");
	assert_null(res[1].location);
	assert_int_equal(res[2].code, 0);
	assert_string_equal(res[2].location, "02/03");
	assert_int_equal(h.saves, 2);
	st = hp_state_file(&h);
	assert_non_null(state_device(st, "d0"));
	assert_null(state_device(st, "d1"));
	assert_non_null(state_device(st, "d2"));
	json_object_put(st);
	assert_true(slot_free(h.vm, 2));
	qd_plug_results_clear(res, 3);
	hp_finish(&h);
}

/* A batch with one bad disk sends nothing: its entry says why, the others are cancelled. */
static void test_blocks_checked_before_anything_is_sent(void **state)
{
	char img[256];
	struct qd_plug_result res[3];
	struct hp h = {0};

	(void)state;
	make_image(img, sizeof(img), "d0.img");
	{
		const struct qd_block_device d[3] = {
		    {.id = "d0", .path = img}, {.id = "d1", .path = ""}, {.id = "d2", .path = img}};

		hp_start(&h, NULL, NULL, 0);
		assert_int_equal(qd_vm_add_blocks(h.vm, d, 3, T, res, &h.err), -EINVAL);
		assert_string_equal(h.err.message, "block device d1 has no path");
		assert_int_equal(res[0].code, -ECANCELED);
		assert_string_equal(res[0].error.message,
				    "not sent: block d1 of the batch was refused");
		assert_int_equal(res[1].code, -EINVAL);
		assert_int_equal(res[2].code, -ECANCELED);
		qd_plug_results_clear(res, 3);
		qd_error_clear(&h.err);

		/* The same id twice. */
		const struct qd_block_device twice[2] = {{.id = "d0", .path = img},
							 {.id = "d0", .path = img}};

		assert_int_equal(qd_vm_add_blocks(h.vm, twice, 2, T, res, &h.err), -EINVAL);
		assert_string_equal(h.err.message, "block id 'd0' is given twice in the batch");
		qd_plug_results_clear(res, 2);
	}
	assert_int_equal(h.saves, 0);
	assert_int_equal(h.vm->st.ndevices, 0);
	assert_true(slot_free(h.vm, 1));
	hp_finish(&h);
}

/* ---- VFIO, vCPUs ------------------------------------------------------------------------- */

static void test_vfio(void **state)
{
	const struct peer_step steps[] = {
	    EXPECT_ARGS("device_add",
			"{\"driver\": \"vfio-pci\", \"id\": \"gpu0\", \"host\": "
			"\"0000:01:00.0\", \"bus\": \"pci-bridge-0\", \"addr\": \"0x1\"}"),
	    REPLY_OK,
	};
	struct hp h = {0};
	char *where = NULL;

	(void)state;
	hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(qd_vm_add_vfio(h.vm, "gpu0", "0000:01:00.0", T, &where, &h.err), 0);
	assert_string_equal(where, "02/01");
	free(where);
	hp_finish(&h);
}

static void test_vcpu(void **state)
{
	const struct peer_step steps[] = {
	    EXPECT("query-hotpluggable-cpus"),
	    RETURN(
		"[{\"type\": \"host-x86_64-cpu\", \"vcpus-count\": 1, \"props\": {\"socket-id\": "
		"1, "
		"\"core-id\": 0, \"thread-id\": 0}}, {\"type\": \"host-x86_64-cpu\", "
		"\"vcpus-count\": 1, \"qom-path\": \"/machine/unattached/device[0]\", \"props\": "
		"{\"socket-id\": 0, \"core-id\": 0, \"thread-id\": 0}}]"),
	    EXPECT_ARGS("device_add", "{\"driver\": \"host-x86_64-cpu\", \"id\": \"cpu-0\", "
				      "\"socket-id\": 1, \"core-id\": 0, \"thread-id\": 0}"),
	    REPLY_OK,
	};
	struct hp h = {0};
	struct qd_vm_config c = hp_config(NULL);
	unsigned added = 0;

	(void)state;
	c.max_vcpus = 2;
	hp_start(&h, &c, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(qd_vm_add_vcpus(h.vm, 1, T, &added, &h.err), 0);
	assert_int_equal(added, 1);
	assert_int_equal(h.saves, 1);
	assert_int_equal(h.vm->st.nvcpus, 1);
	assert_int_equal(h.vm->st.vcpu_seq, 1);
	hp_finish(&h);
}

/* A refused vCPU gives its number back: the next one is cpu-0 again. */
static void test_vcpu_refused_frees_its_id(void **state)
{
	const struct peer_step steps[] = {
	    EXPECT("query-hotpluggable-cpus"),
	    RETURN("[{\"type\": \"host-x86_64-cpu\", \"vcpus-count\": 1, \"props\": "
		   "{\"socket-id\": 1, "
		   "\"core-id\": 0, \"thread-id\": 0}}]"),
	    EXPECT_ARGS("device_add", "{\"driver\": \"host-x86_64-cpu\", \"id\": \"cpu-0\", "
				      "\"socket-id\": 1, \"core-id\": 0, \"thread-id\": 0}"),
	    ERROR_REPLY("GenericError", "no"),
	};
	struct hp h = {0};
	struct qd_vm_config c = hp_config(NULL);
	unsigned added = 0;

	(void)state;
	c.max_vcpus = 2;
	hp_start(&h, &c, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(qd_vm_add_vcpus(h.vm, 1, T, &added, &h.err), -EREMOTEIO);
	assert_int_equal(h.vm->st.nvcpus, 0);
	assert_int_equal(h.vm->st.vcpu_seq, 0);
	hp_finish(&h);
}

/* ---- memory ------------------------------------------------------------------------------ */

#define MEM_DIMM_LIST                                                                              \
	"[{\"type\": \"dimm\", \"data\": {\"id\": \"m0\", \"slot\": 0, \"addr\": 4294967296, "     \
	"\"size\": 268435456, \"memdev\": \"/objects/mem-m0\", \"node\": 0, \"hotplugged\": "      \
	"true, \"hotpluggable\": true}}]"

static void test_memory_dimm(void **state)
{
	const struct peer_step steps[] = {
	    EXPECT_ARGS("object-add", "{\"qom-type\": \"memory-backend-ram\", \"id\": \"mem-m0\", "
				      "\"size\": 268435456}"),
	    REPLY_OK,
	    EXPECT_ARGS("device_add",
			"{\"driver\": \"pc-dimm\", \"id\": \"m0\", \"memdev\": \"mem-m0\"}"),
	    REPLY_OK,
	    EXPECT("query-memory-devices"),
	    RETURN(MEM_DIMM_LIST),
	    EXPECT_ARGS("device_del", "{\"id\": \"m0\"}"),
	    REPLY_OK,
	    EVENT("DEVICE_DELETED", "{\"device\": \"m0\", \"path\": \"/machine/peripheral/m0\"}"),
	    EXPECT_ARGS("object-del", "{\"id\": \"mem-m0\"}"),
	    REPLY_OK,
	};
	const struct qd_memory_device m = {.id = "m0", .size_mb = 256};
	struct hp h = {0};
	char *where = NULL;
	json_object *st, *rec;

	(void)state;
	hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(qd_vm_add_memory(h.vm, &m, T, &where, &h.err), 0);
	assert_string_equal(where, "dimm0@0x100000000");
	assert_int_equal(h.saves, 1);
	st = hp_state_file(&h);
	rec = state_device(st, "m0");
	assert_string_equal(member_str(rec, "kind"), "pc-dimm");
	assert_string_equal(member_str(rec, "memdev"), "mem-m0");
	assert_int_equal(member_int(rec, "size-mb"), 256);
	assert_null(member_str(rec, "bridge"));
	json_object_put(st);
	assert_true(qd_vm_capabilities(h.vm) & QD_CAP_MEMORY_HOTPLUG);
	assert_int_equal(qd_vm_remove_memory(h.vm, "m0", T, &h.err), 0);
	assert_int_equal(h.vm->st.ndevices, 0);
	free(where);
	hp_finish(&h);
}

/* The backends: a file (hugetlbfs, shared, preallocated) and memfd with huge pages. */
static void test_memory_backends(void **state)
{
	const struct peer_step steps[] = {
	    EXPECT_ARGS("object-add", "{\"qom-type\": \"memory-backend-file\", \"id\": \"mem-f0\", "
				      "\"size\": 134217728, \"mem-path\": \"/dev/hugepages\", "
				      "\"share\": true, \"prealloc\": true}"),
	    REPLY_OK,
	    EXPECT_ARGS("device_add",
			"{\"driver\": \"pc-dimm\", \"id\": \"f0\", \"memdev\": \"mem-f0\"}"),
	    REPLY_OK,
	    EXPECT("query-memory-devices"),
	    RETURN("[{\"type\": \"dimm\", \"data\": {\"id\": \"f0\", \"slot\": 0, \"addr\": "
		   "4294967296, \"size\": 134217728, \"memdev\": \"/objects/mem-f0\", \"node\": 0, "
		   "\"hotplugged\": true, \"hotpluggable\": true}}]"),
	    EXPECT_ARGS("object-add",
			"{\"qom-type\": \"memory-backend-memfd\", \"id\": "
			"\"mem-h0\", \"size\": 134217728, \"hugetlb\": true, \"share\": "
			"false}"),
	    REPLY_OK,
	    EXPECT_ARGS("device_add",
			"{\"driver\": \"pc-dimm\", \"id\": \"h0\", \"memdev\": \"mem-h0\"}"),
	    REPLY_OK,
	    EXPECT("query-memory-devices"),
	    RETURN("[{\"type\": \"dimm\", \"data\": {\"id\": \"h0\", \"slot\": 1, \"addr\": "
		   "4429185024, \"size\": 134217728, \"memdev\": \"/objects/mem-h0\", \"node\": 0, "
		   "\"hotplugged\": true, \"hotpluggable\": true}}]"),
	};
	const struct qd_memory_device file = {.id = "f0",
					      .size_mb = 128,
					      .backend = QD_MEMORY_FILE,
					      .mem_path = "/dev/hugepages",
					      .shared = true,
					      .prealloc = true};
	const struct qd_memory_device memfd = {
	    .id = "h0", .size_mb = 128, .backend = QD_MEMORY_MEMFD, .hugepages = true};
	struct hp h = {0};

	(void)state;
	hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(qd_vm_add_memory(h.vm, &file, T, NULL, &h.err), 0);
	assert_int_equal(qd_vm_add_memory(h.vm, &memfd, T, NULL, &h.err), 0);
	/* Both slots are taken now. */
	{
		const struct qd_memory_device third = {.id = "m3", .size_mb = 128};

		assert_int_equal(qd_vm_add_memory(h.vm, &third, T, NULL, &h.err), -ENOSPC);
		assert_string_equal(h.err.message,
				    "memory device m3: all 2 memory slots are in use "
				    "(memory_slots)");
	}
	hp_finish(&h);
}

/* device_add refused: the backend object-add made is deleted. */
static void test_memory_refused_is_undone(void **state)
{
	const struct peer_step steps[] = {
	    EXPECT_ARGS("object-add", "{\"qom-type\": \"memory-backend-ram\", \"id\": \"mem-m0\", "
				      "\"size\": 268435456}"),
	    REPLY_OK,
	    EXPECT_ARGS("device_add",
			"{\"driver\": \"pc-dimm\", \"id\": \"m0\", \"memdev\": \"mem-m0\"}"),
	    ERROR_REPLY("GenericError", "a used vhost backend has no free memory slots left"),
	    EXPECT_ARGS("object-del", "{\"id\": \"mem-m0\"}"),
	    REPLY_OK,
	};
	const struct qd_memory_device m = {.id = "m0", .size_mb = 256};
	struct hp h = {0};

	(void)state;
	hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(qd_vm_add_memory(h.vm, &m, T, NULL, &h.err), -EREMOTEIO);
	assert_string_equal(h.err.message, "a used vhost backend has no free memory slots left");
	assert_int_equal(h.vm->st.ndevices, 0);
	assert_int_equal(h.saves, 2);
	hp_finish(&h);
}

#define VIRTIO_MEM_LIST                                                                            \
	"[{\"type\": \"virtio-mem\", \"data\": {\"id\": \"v0\", \"size\": 536870912, "             \
	"\"requested-size\": 536870912, \"max-size\": 1073741824}}]"

/*
 * virtio-mem: asked for first; on a bridge slot with its requested size;
 * removal asks the guest to give the memory back (requested-size 0) and
 * waits until QEMU reports nothing plugged before device_del.
 */
static void test_memory_virtio_mem(void **state)
{
	const struct peer_step steps[] = {
	    EXPECT_ARGS("qom-list-types", "{\"implements\": \"virtio-mem-pci\"}"),
	    RETURN("[{\"name\": \"virtio-mem-pci\", \"parent\": \"virtio-mem-pci-base\"}]"),
	    EXPECT_ARGS("object-add", "{\"qom-type\": \"memory-backend-ram\", \"id\": \"mem-v0\", "
				      "\"size\": 1073741824}"),
	    REPLY_OK,
	    EXPECT_ARGS("device_add",
			"{\"driver\": \"virtio-mem-pci\", \"id\": \"v0\", \"memdev\": \"mem-v0\", "
			"\"requested-size\": 536870912, \"bus\": \"pci-bridge-0\", \"addr\": "
			"\"0x1\"}"),
	    REPLY_OK,
	    EXPECT("query-memory-devices"),
	    RETURN(VIRTIO_MEM_LIST),
	    EXPECT("query-memory-devices"),
	    RETURN(VIRTIO_MEM_LIST),
	    EXPECT_ARGS("qom-set", "{\"path\": \"/machine/peripheral/v0\", \"property\": "
				   "\"requested-size\", \"value\": 0}"),
	    REPLY_OK,
	    EXPECT("query-memory-devices"),
	    RETURN("[{\"type\": \"virtio-mem\", \"data\": {\"id\": \"v0\", \"size\": 536870912}}]"),
	    EVENT("MEMORY_DEVICE_SIZE_CHANGE",
		  "{\"id\": \"v0\", \"size\": 0, \"qom-path\": \"/machine/peripheral/v0\"}"),
	    EXPECT("query-memory-devices"),
	    RETURN("[{\"type\": \"virtio-mem\", \"data\": {\"id\": \"v0\", \"size\": 0}}]"),
	    EXPECT_ARGS("device_del", "{\"id\": \"v0\"}"),
	    REPLY_OK,
	    EVENT("DEVICE_DELETED", "{\"device\": \"v0\", \"path\": \"/machine/peripheral/v0\"}"),
	    EXPECT_ARGS("object-del", "{\"id\": \"mem-v0\"}"),
	    REPLY_OK,
	};
	const struct qd_memory_device m = {
	    .id = "v0", .size_mb = 1024, .model = QD_MEMORY_VIRTIO_MEM, .requested_mb = 512};
	struct hp h = {0};
	char *where = NULL;

	(void)state;
	hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(qd_vm_add_memory(h.vm, &m, T, &where, &h.err), 0);
	assert_string_equal(where, "02/01");
	assert_int_equal(qd_state_find_device(&h.vm->st, "v0")->kind, QD_HOTPLUG_VIRTIO_MEM);
	assert_int_equal(qd_vm_remove_memory(h.vm, "v0", T, &h.err), 0);
	assert_int_equal(h.vm->st.ndevices, 0);
	assert_true(slot_free(h.vm, 1));
	free(where);
	hp_finish(&h);
}

/* QEMU before 8.1 refuses any virtio-mem unplug: the guest is given its memory back. */
static void test_memory_virtio_mem_unplug_refused(void **state)
{
	const struct peer_step steps[] = {
	    EXPECT_ARGS("qom-list-types", "{\"implements\": \"virtio-mem-pci\"}"),
	    RETURN("[{\"name\": \"virtio-mem-pci\", \"parent\": \"virtio-mem-pci-base\"}]"),
	    EXPECT("object-add"),
	    REPLY_OK,
	    EXPECT("device_add"),
	    REPLY_OK,
	    EXPECT("query-memory-devices"),
	    RETURN(VIRTIO_MEM_LIST),
	    EXPECT("query-memory-devices"),
	    RETURN(VIRTIO_MEM_LIST),
	    EXPECT_ARGS("qom-set", "{\"path\": \"/machine/peripheral/v0\", \"property\": "
				   "\"requested-size\", \"value\": 0}"),
	    REPLY_OK,
	    EXPECT("query-memory-devices"),
	    RETURN("[{\"type\": \"virtio-mem\", \"data\": {\"id\": \"v0\", \"size\": 0}}]"),
	    EXPECT_ARGS("device_del", "{\"id\": \"v0\"}"),
	    ERROR_REPLY("GenericError", "virtio based memory devices cannot be unplugged."),
	    EXPECT_ARGS("qom-set", "{\"path\": \"/machine/peripheral/v0\", \"property\": "
				   "\"requested-size\", \"value\": 536870912}"),
	    REPLY_OK,
	};
	const struct qd_memory_device m = {
	    .id = "v0", .size_mb = 1024, .model = QD_MEMORY_VIRTIO_MEM, .requested_mb = 512};
	struct hp h = {0};

	(void)state;
	hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(qd_vm_add_memory(h.vm, &m, T, NULL, &h.err), 0);
	assert_int_equal(qd_vm_remove_memory(h.vm, "v0", T, &h.err), -EREMOTEIO);
	assert_string_equal(h.err.message, "virtio based memory devices cannot be unplugged.");
	assert_false(qd_state_find_device(&h.vm->st, "v0")->unplugging);
	hp_finish(&h);
}

static void test_memory_no_virtio_mem(void **state)
{
	const struct peer_step steps[] = {
	    EXPECT_ARGS("qom-list-types", "{\"implements\": \"virtio-mem-pci\"}"),
	    RETURN("[]"),
	};
	const struct qd_memory_device m = {
	    .id = "v0", .size_mb = 1024, .model = QD_MEMORY_VIRTIO_MEM};
	struct hp h = {0};

	(void)state;
	hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(qd_vm_add_memory(h.vm, &m, T, NULL, &h.err), -EOPNOTSUPP);
	assert_string_equal(h.err.message, "memory device v0: this QEMU has no virtio-mem-pci");
	assert_true(slot_free(h.vm, 1));
	hp_finish(&h);
}

/* Each description that cannot be right is refused with nothing sent, and says why. */
static void test_memory_bad_input(void **state)
{
	static const struct {
		struct qd_memory_device m;
		int code;
		const char *message;
	} cases[] = {
	    {{.id = "m0"}, -EINVAL, "memory device m0: size 0 MiB is not 1..1099511627776"},
	    {{.id = "m0", .size_mb = 1ull << 41},
	     -EINVAL,
	     "memory device m0: size 2199023255552 MiB is not 1..1099511627776"},
	    {{.id = "m0", .size_mb = 1, .model = 7},
	     -EINVAL,
	     "memory device m0: model 7 is not pc-dimm or virtio-mem"},
	    {{.id = "m0", .size_mb = 1, .backend = 9},
	     -EINVAL,
	     "memory device m0: backend 9 is not ram, file or memfd"},
	    {{.id = "m0", .size_mb = 1, .backend = QD_MEMORY_FILE},
	     -EINVAL,
	     "memory device m0: a file backend needs mem_path (a file, or a directory such as a "
	     "hugetlbfs mount)"},
	    {{.id = "m0", .size_mb = 1, .mem_path = "/dev/shm"},
	     -EINVAL,
	     "memory device m0: mem_path is for the file backend"},
	    {{.id = "m0", .size_mb = 1, .backend = QD_MEMORY_FILE, .mem_path = "/x\xff"},
	     -EINVAL,
	     "mem_path of device m0 is not valid UTF-8"},
	    {{.id = "m0", .size_mb = 1, .hugepages = true},
	     -EINVAL,
	     "memory device m0: hugepages is for the memfd backend (a file backend has them when "
	     "mem_path is on hugetlbfs)"},
	    {{.id = "m0", .size_mb = 1, .model = QD_MEMORY_VIRTIO_MEM, .prealloc = true},
	     -EINVAL,
	     "memory device m0: prealloc is for pc-dimm (virtio-mem gives the guest memory in "
	     "blocks)"},
	    {{.id = "m0", .size_mb = 1, .requested_mb = 1},
	     -EINVAL,
	     "memory device m0: requested_mb is for virtio-mem, at most size_mb"},
	    {{.id = "m0", .size_mb = 1, .model = QD_MEMORY_VIRTIO_MEM, .requested_mb = 2},
	     -EINVAL,
	     "memory device m0: requested_mb is for virtio-mem, at most size_mb"},
	    {{.id = "m0", .size_mb = 3073},
	     -ENOSPC,
	     "memory device m0: 3073 MiB more would make 4097 MiB, over max_memory_mb (4096)"},
	    {{.id = "0m", .size_mb = 1},
	     -EINVAL,
	     "device id '0m' is not valid (letters, digits, '-', '.', '_', starting with a "
	     "letter)"},
	    {{.id = "nv0", .size_mb = 1},
	     -EEXIST,
	     "device id 'nv0' is one of qemudrv's own devices"},
	    {{.id = "cpu-3", .size_mb = 1},
	     -EINVAL,
	     "device id 'cpu-3' is reserved for hot-plugged vCPUs (cpu-N)"},
	};
	struct hp h = {0};

	(void)state;
	hp_start(&h, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = qd_vm_add_memory(h.vm, &cases[i].m, T, NULL, &h.err);

		if (r != cases[i].code || !h.err.message || strcmp(h.err.message, cases[i].message))
			fail_msg("case %zu: %d '%s', expected %d '%s'", i, r,
				 h.err.message ? h.err.message : "", cases[i].code,
				 cases[i].message);
		qd_error_clear(&h.err);
	}
	assert_int_equal(qd_vm_remove_memory(h.vm, "m9", T, &h.err), -ENOENT);
	assert_string_equal(h.err.message, "no hot-plugged memory device 'm9'");
	assert_int_equal(h.saves, 0);
	hp_finish(&h);
}

/* ---- NICs -------------------------------------------------------------------------------- */

#define NIC_DEVICE_ARGS                                                                            \
	"{\"driver\": \"virtio-net-pci\", \"id\": \"n0\", \"netdev\": \"net-n0\", \"mac\": "       \
	"\"52:54:00:12:34:56\", \"bus\": \"pci-bridge-0\", \"addr\": \"0x1\"}"

static void test_net(void **state)
{
	int tap[2];
	struct hp h = {0};
	char *where = NULL;
	json_object *st, *rec;

	(void)state;
	assert_int_equal(pipe(tap), 0);
	{
		const struct peer_step steps[] = {
		    EXPECT_FD("getfd", "{\"fdname\": \"fd-n0-0\"}", tap[0]),
		    REPLY_OK,
		    EXPECT_ARGS("netdev_add", "{\"type\": \"tap\", \"id\": \"net-n0\", \"fd\": "
					      "\"fd-n0-0\", \"vhost\": false}"),
		    REPLY_OK,
		    EXPECT_ARGS("device_add", NIC_DEVICE_ARGS),
		    REPLY_OK,
		    EXPECT_ARGS("device_del", "{\"id\": \"n0\"}"),
		    REPLY_OK,
		    EVENT("DEVICE_DELETED",
			  "{\"device\": \"n0\", \"path\": \"/machine/peripheral/n0\"}"),
		    EXPECT_ARGS("netdev_del", "{\"id\": \"net-n0\"}"),
		    REPLY_OK,
		};
		const struct qd_net_device n = {
		    .id = "n0", .mac = "52:54:00:12:34:56", .tap_fds = &tap[0], .queues = 1};

		hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_net(h.vm, &n, T, &where, &h.err), 0);
	}
	assert_string_equal(where, "02/01");
	assert_int_equal(h.saves, 1);
	/* The caller keeps its descriptor. */
	assert_true(fcntl(tap[0], F_GETFD) >= 0);
	st = hp_state_file(&h);
	rec = state_device(st, "n0");
	assert_string_equal(member_str(rec, "kind"), "virtio-net");
	assert_string_equal(member_str(rec, "netdev"), "net-n0");
	assert_string_equal(member_str(rec, "mac"), "52:54:00:12:34:56");
	assert_int_equal(member_int(rec, "queues"), 1);
	json_object_put(st);
	assert_int_equal(qd_vm_remove_net(h.vm, "n0", T, &h.err), 0);
	assert_int_equal(h.vm->st.ndevices, 0);
	assert_true(slot_free(h.vm, 1));
	free(where);
	close(tap[0]);
	close(tap[1]);
	hp_finish(&h);
}

/* Two queues with vhost descriptors: four getfd, fds and vhostfds lists, mq and vectors. */
static void test_net_multiqueue(void **state)
{
	int p[2], q[2];
	struct hp h = {0};

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	{
		const int taps[2] = {p[0], p[1]}, vhosts[2] = {q[0], q[1]};
		const struct peer_step steps[] = {
		    EXPECT_FD("getfd", "{\"fdname\": \"fd-n0-0\"}", p[0]),
		    REPLY_OK,
		    EXPECT_FD("getfd", "{\"fdname\": \"fd-n0-1\"}", p[1]),
		    REPLY_OK,
		    EXPECT_FD("getfd", "{\"fdname\": \"vhostfd-n0-0\"}", q[0]),
		    REPLY_OK,
		    EXPECT_FD("getfd", "{\"fdname\": \"vhostfd-n0-1\"}", q[1]),
		    REPLY_OK,
		    EXPECT_ARGS("netdev_add", "{\"type\": \"tap\", \"id\": \"net-n0\", \"fds\": "
					      "\"fd-n0-0:fd-n0-1\", \"vhost\": true, \"vhostfds\": "
					      "\"vhostfd-n0-0:vhostfd-n0-1\"}"),
		    REPLY_OK,
		    EXPECT_ARGS("device_add",
				"{\"driver\": \"virtio-net-pci\", \"id\": \"n0\", "
				"\"netdev\": \"net-n0\", \"mq\": true, \"vectors\": 6, "
				"\"bus\": \"pci-bridge-0\", \"addr\": \"0x1\"}"),
		    REPLY_OK,
		};
		const struct qd_net_device n = {
		    .id = "n0", .tap_fds = taps, .queues = 2, .vhost_fds = vhosts};

		hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_net(h.vm, &n, T, NULL, &h.err), 0);
	}
	assert_int_equal(qd_state_find_device(&h.vm->st, "n0")->queues, 2);
	hp_finish(&h);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/*
 * device_add refused: netdev_del, then closefd of the descriptor (which the
 * netdev consumed: QEMU's "not found" counts as closed).
 */
static void test_net_refused_is_undone(void **state)
{
	int tap[2];
	struct hp h = {0};

	(void)state;
	assert_int_equal(pipe(tap), 0);
	{
		const struct peer_step steps[] = {
		    EXPECT_FD("getfd", "{\"fdname\": \"fd-n0-0\"}", tap[0]),
		    REPLY_OK,
		    EXPECT_ARGS("netdev_add", "{\"type\": \"tap\", \"id\": \"net-n0\", \"fd\": "
					      "\"fd-n0-0\", \"vhost\": false}"),
		    REPLY_OK,
		    EXPECT_ARGS("device_add", NIC_DEVICE_ARGS),
		    ERROR_REPLY("GenericError", "Bus 'pci-bridge-0' does not support hotplugging"),
		    EXPECT_ARGS("netdev_del", "{\"id\": \"net-n0\"}"),
		    REPLY_OK,
		    EXPECT_ARGS("closefd", "{\"fdname\": \"fd-n0-0\"}"),
		    ERROR_REPLY("GenericError", "File descriptor named 'fd-n0-0' not found"),
		};
		const struct qd_net_device n = {
		    .id = "n0", .mac = "52:54:00:12:34:56", .tap_fds = &tap[0], .queues = 1};

		hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_net(h.vm, &n, T, NULL, &h.err), -EREMOTEIO);
	}
	assert_string_equal(h.err.message, "Bus 'pci-bridge-0' does not support hotplugging");
	assert_int_equal(h.vm->st.ndevices, 0);
	assert_true(slot_free(h.vm, 1));
	hp_finish(&h);
	close(tap[0]);
	close(tap[1]);
}

/*
 * netdev_add refused: only the descriptor is taken back; the refusal of a
 * netdev that could not be undone would leave the record as plugging.
 */
static void test_net_netdev_refused(void **state)
{
	int tap[2];
	struct hp h = {0};

	(void)state;
	assert_int_equal(pipe(tap), 0);
	{
		const struct peer_step steps[] = {
		    EXPECT_FD("getfd", "{\"fdname\": \"fd-n0-0\"}", tap[0]),
		    REPLY_OK,
		    EXPECT_ARGS("netdev_add", "{\"type\": \"tap\", \"id\": \"net-n0\", \"fd\": "
					      "\"fd-n0-0\", \"vhost\": false}"),
		    ERROR_REPLY("GenericError", "Unable to query TUNGETIFF on FD 12: Bad address"),
		    EXPECT_ARGS("closefd", "{\"fdname\": \"fd-n0-0\"}"),
		    REPLY_OK,
		};
		const struct qd_net_device n = {.id = "n0", .tap_fds = &tap[0], .queues = 1};

		hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_net(h.vm, &n, T, NULL, &h.err), -EREMOTEIO);
	}
	assert_string_equal(h.err.message, "Unable to query TUNGETIFF on FD 12: Bad address");
	assert_int_equal(h.vm->st.ndevices, 0);
	hp_finish(&h);
	close(tap[0]);
	close(tap[1]);
}

/* Two NICs pipelined: every step of both is read before QEMU answers any. */
static void test_nets_pipelined(void **state)
{
	int a[2], b[2];
	struct qd_plug_result res[2];
	struct hp h = {0};

	(void)state;
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	{
		const struct peer_step steps[] = {
		    EXPECT_FD("getfd", "{\"fdname\": \"fd-n0-0\"}", a[0]),
		    EXPECT_ARGS("netdev_add", "{\"type\": \"tap\", \"id\": \"net-n0\", \"fd\": "
					      "\"fd-n0-0\", \"vhost\": false}"),
		    EXPECT_ARGS("device_add", "{\"driver\": \"virtio-net-pci\", \"id\": \"n0\", "
					      "\"netdev\": \"net-n0\", \"bus\": \"pci-bridge-0\", "
					      "\"addr\": \"0x1\"}"),
		    EXPECT_FD("getfd", "{\"fdname\": \"fd-n1-0\"}", b[0]),
		    EXPECT_ARGS("netdev_add", "{\"type\": \"tap\", \"id\": \"net-n1\", \"fd\": "
					      "\"fd-n1-0\", \"vhost\": false}"),
		    EXPECT_ARGS("device_add", "{\"driver\": \"virtio-net-pci\", \"id\": \"n1\", "
					      "\"netdev\": \"net-n1\", \"bus\": \"pci-bridge-0\", "
					      "\"addr\": \"0x2\"}"),
		    ANSWER_OK,
		    ANSWER_OK,
		    ANSWER_OK,
		    ANSWER_OK,
		    ANSWER_OK,
		    ANSWER_OK,
		};
		const struct qd_net_device n[2] = {{.id = "n0", .tap_fds = &a[0], .queues = 1},
						   {.id = "n1", .tap_fds = &b[0], .queues = 1}};

		hp_start(&h, NULL, steps, sizeof(steps) / sizeof(steps[0]));
		assert_int_equal(qd_vm_add_nets(h.vm, n, 2, T, res, &h.err), 0);
	}
	assert_string_equal(res[0].location, "02/01");
	assert_string_equal(res[1].location, "02/02");
	assert_int_equal(h.saves, 1);
	qd_plug_results_clear(res, 2);
	hp_finish(&h);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void test_net_bad_input(void **state)
{
	enum {
		CLOSED = 1023
	}; /* a descriptor number nothing has open */
	int tap[2];
	struct hp h = {0};

	(void)state;
	assert_int_equal(pipe(tap), 0);
	assert_true(fcntl(CLOSED, F_GETFD) < 0);
	{
		const int two[2] = {tap[0], CLOSED}, closed[1] = {CLOSED};
		const struct {
			struct qd_net_device n;
			int code;
			const char *message;
		} cases[] = {
		    {{.id = "n0", .tap_fds = tap, .queues = 0},
		     -EINVAL,
		     "NIC n0: 0 queues is not 1..64"},
		    {{.id = "n0", .tap_fds = tap, .queues = 65},
		     -EINVAL,
		     "NIC n0: 65 queues is not 1..64"},
		    {{.id = "n0", .tap_fds = tap, .queues = 1, .mac = "52:54:00:12:34"},
		     -EINVAL,
		     "NIC n0: '52:54:00:12:34' is not a MAC address (xx:xx:xx:xx:xx:xx)"},
		    {{.id = "n0", .tap_fds = tap, .queues = 1, .mac = "52:54:00:12:34:5g"},
		     -EINVAL,
		     "NIC n0: '52:54:00:12:34:5g' is not a MAC address (xx:xx:xx:xx:xx:xx)"},
		    {{.id = "n0", .tap_fds = tap, .queues = 1, .mac = "52:54:00:12:34:56,x=y"},
		     -EINVAL,
		     "NIC n0: '52:54:00:12:34:56,x=y' is not a MAC address (xx:xx:xx:xx:xx:xx)"},
		    {{.id = "n0", .queues = 1}, -EINVAL, "NIC n0: no tap descriptors"},
		    {{.id = "n0", .tap_fds = two, .queues = 2},
		     -EBADF,
		     "NIC n0: tap descriptor 1 (1023) is not open"},
		    {{.id = "n0", .tap_fds = tap, .queues = 1, .vhost_fds = closed},
		     -EBADF,
		     "NIC n0: vhost descriptor 0 (1023) is not open"},
		    {{.id = "n0", .tap_fds = (const int[]){-1}, .queues = 1},
		     -EBADF,
		     "NIC n0: tap descriptor 0 (-1) is not open"},
		    {{.id = "serial0", .tap_fds = tap, .queues = 1},
		     -EEXIST,
		     "device id 'serial0' is one of qemudrv's own devices"},
		};

		hp_start(&h, NULL, NULL, 0);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			int r = qd_vm_add_net(h.vm, &cases[i].n, T, NULL, &h.err);

			if (r != cases[i].code || !h.err.message ||
			    strcmp(h.err.message, cases[i].message))
				fail_msg("case %zu: %d '%s', expected %d '%s'", i, r,
					 h.err.message ? h.err.message : "", cases[i].code,
					 cases[i].message);
			qd_error_clear(&h.err);
		}
	}
	assert_int_equal(qd_vm_remove_net(h.vm, "n0", T, &h.err), -ENOENT);
	assert_string_equal(h.err.message, "no hot-plugged NIC device 'n0'");
	assert_int_equal(h.saves, 0);
	assert_true(slot_free(h.vm, 1));
	hp_finish(&h);
	close(tap[0]);
	close(tap[1]);
}

/* No bridges, no slot: NICs, virtio disks, VFIO and virtio-mem need one. */
static void test_no_bridge_no_slot(void **state)
{
	int tap[2];
	struct hp h = {0};
	struct qd_vm_config c = hp_config(NULL);

	(void)state;
	assert_int_equal(pipe(tap), 0);
	c.bridges = 0;
	hp_start(&h, &c, NULL, 0);
	{
		const struct qd_net_device n = {.id = "n0", .tap_fds = tap, .queues = 1};

		assert_int_equal(qd_vm_add_net(h.vm, &n, T, NULL, &h.err), -ENOSPC);
		assert_string_equal(h.err.message, "VM vm1 has no PCI bridges to hot-plug into");
	}
	assert_false(qd_vm_capabilities(h.vm) & QD_CAP_NET_HOTPLUG);
	hp_finish(&h);
	close(tap[0]);
	close(tap[1]);
}

/* ---- the error classes ----------------------------------------------------------------- */

static void test_error_classes(void **state)
{
	static const struct {
		const char *command, *qmp_class;
		int code;
	} cases[] = {
	    {"device_add", "CommandNotFound", -EOPNOTSUPP},
	    {"getfd", "CommandNotFound", -EOPNOTSUPP},
	    {"device_del", "DeviceNotFound", -ENOENT},
	    {"netdev_del", "DeviceNotFound", -ENOENT},
	    {"qom-list", "DeviceNotFound", -ENOENT},
	    {"qom-set", "DeviceNotFound", -ENOENT},
	    {"closefd", "GenericError", -ENOENT},
	    /* GenericError means both "absent" and "in use" here: the caller asks QEMU. */
	    {"blockdev-del", "GenericError", -EREMOTEIO},
	    {"object-del", "GenericError", -EREMOTEIO},
	    {"device_add", "DeviceNotFound", -EREMOTEIO}, /* a bus or device it names */
	    {"device_add", "GenericError", -EREMOTEIO},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qd_error e = {0};
		int r;

		qd_error_set_qmp(&e, cases[i].qmp_class, "the desc is never read");
		r = qd_qmpc_map(cases[i].command, -EREMOTEIO, &e);
		if (r != cases[i].code || e.code != r)
			fail_msg("%s %s: %d, expected %d", cases[i].command, cases[i].qmp_class, r,
				 cases[i].code);
		assert_string_equal(e.message, "the desc is never read");
		assert_string_equal(e.qmp_class, cases[i].qmp_class);
		qd_error_clear(&e);
	}
	/* Not a refusal: left as it is. */
	assert_int_equal(qd_qmpc_map("device_del", -ETIMEDOUT, NULL), -ETIMEDOUT);
}

/* ---- cold and hot: one device -------------------------------------------------------------- */

/*
 * A command-line option value ("virtio-blk-pci,id=d0,...") read the way
 * QEMU reads it (keyval/QemuOpts): ",," is a comma, the first value without
 * a key is @implied's, dotted keys nest. Every value a string.
 */
static json_object *parse_opts(const char *text, const char *implied)
{
	json_object *o = json_object_new_object();
	char *buf = strdup(text), *out = buf;
	const char *p = text;
	bool first = true;

	while (*p) {
		char *start = out, *eq, *dot, *key;
		json_object *where = o, *sub;

		for (; *p && !(*p == ',' && p[1] != ','); p++) {
			*out++ = *p;
			if (*p == ',')
				p++;
		}
		*out++ = '\0';
		if (*p == ',')
			p++;
		eq = strchr(start, '=');
		if (!eq && first && implied) {
			json_object_object_add(o, implied, json_object_new_string(start));
			first = false;
			continue;
		}
		first = false;
		assert_non_null(eq);
		*eq = '\0';
		for (key = start; (dot = strchr(key, '.')); key = dot + 1) {
			*dot = '\0';
			if (!json_object_object_get_ex(where, key, &sub)) {
				sub = json_object_new_object();
				json_object_object_add(where, key, sub);
			}
			where = sub;
		}
		json_object_object_add(where, key, json_object_new_string(eq + 1));
	}
	free(buf);
	return o;
}

/* QMP's typed arguments as the command line spells them: on/off, decimal; without @drop. */
static json_object *as_opts(const char *json, const char *const *drop)
{
	json_object *in = json_tokener_parse(json), *out = json_object_new_object();

	assert_non_null(in);
	json_object_object_foreach(in, key, val)
	{
		bool skip = false;

		for (const char *const *d = drop; d && *d; d++)
			skip |= !strcmp(*d, key);
		if (skip)
			continue;
		if (json_object_is_type(val, json_type_object)) {
			json_object_object_add(out, key,
					       as_opts(json_object_to_json_string(val), NULL));
			continue;
		}
		if (json_object_is_type(val, json_type_boolean))
			json_object_object_add(
			    out, key,
			    json_object_new_string(json_object_get_boolean(val) ? "on" : "off"));
		else
			json_object_object_add(out, key,
					       json_object_new_string(json_object_get_string(val)));
	}
	json_object_put(in);
	return out;
}

/* The value after option @opt that starts with @prefix. */
static const char *option_value(char **argv, const char *opt, const char *prefix)
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++)
		if (!strcmp(argv[i], opt) && !strncmp(argv[i + 1], prefix, strlen(prefix)))
			return argv[i + 1];
	fail_msg("no %s %s...", opt, prefix);
	return NULL;
}

static void assert_same(json_object *cold, json_object *hot, const char *what)
{
	if (!json_object_equal(cold, hot))
		fail_msg("%s: cold %s, hot %s", what, json_object_to_json_string(cold),
			 json_object_to_json_string(hot));
	json_object_put(cold);
	json_object_put(hot);
}

/*
 * The cold-plugged disk d0 and VFIO device are, on the command line, what
 * the hot-plug tests above send over QMP (names and properties), but for
 * where they sit: a bridge slot when hot-plugged, QEMU's choice when cold.
 */
static void test_cold_and_hot_are_one_device(void **state)
{
	static const char *const where[] = {"bus", "addr", NULL};
	char img[256], node[512];
	struct qd_vm_config c;
	struct qd_device devs[2];
	struct qd_vm *vm = NULL;
	char run_dir[256], **argv = NULL;
	qd_error err = {0};

	(void)state;
	make_image(img, sizeof(img), "d0.img");
	snprintf(node, sizeof(node), DISK_NODE_ARGS, img);
	snprintf(run_dir, sizeof(run_dir), "%s/cold", scratch_root);
	c = hp_config(run_dir);
	devs[0] = (struct qd_device){.kind = QD_DEVICE_DRIVE, .id = "d0", .path = img};
	devs[1] = (struct qd_device){.kind = QD_DEVICE_VFIO, .id = "gpu0", .bdf = "0000:01:00.0"};
	c.devices = devs;
	c.ndevices = 2;
	assert_int_equal(qd_vm_new(&c, &vm, &err), 0);
	assert_int_equal(qd_vm_argv(vm, &argv, &err), 0);
	assert_same(parse_opts(option_value(argv, "-blockdev", "driver=raw"), NULL),
		    as_opts(node, NULL), "disk backend");
	assert_same(parse_opts(option_value(argv, "-device", "virtio-blk-pci"), "driver"),
		    as_opts(DISK_DEVICE_ARGS, where), "disk frontend");
	assert_same(parse_opts(option_value(argv, "-device", "vfio-pci"), "driver"),
		    as_opts("{\"driver\": \"vfio-pci\", \"id\": \"gpu0\", \"host\": "
			    "\"0000:01:00.0\"}",
			    NULL),
		    "VFIO");
	qd_argv_free(argv);
	qd_vm_free(vm);
}

/* A NIC on a tap: cold by its name, hot by descriptors; the device part is one. */
static void test_cold_and_hot_nic_share_the_device(void **state)
{
	static const char *const where[] = {"bus", "addr", NULL};
	struct qd_vm_config c;
	struct qd_device dev = {
	    .kind = QD_DEVICE_TAP, .id = "n0", .ifname = "tap0", .mac = "52:54:00:12:34:56"};
	struct qd_vm *vm = NULL;
	char run_dir[256], **argv = NULL;
	qd_error err = {0};
	json_object *netdev;

	(void)state;
	snprintf(run_dir, sizeof(run_dir), "%s/coldnic", scratch_root);
	c = hp_config(run_dir);
	c.devices = &dev;
	c.ndevices = 1;
	assert_int_equal(qd_vm_new(&c, &vm, &err), 0);
	assert_int_equal(qd_vm_argv(vm, &argv, &err), 0);
	assert_same(parse_opts(option_value(argv, "-device", "virtio-net-pci"), "driver"),
		    as_opts(NIC_DEVICE_ARGS, where), "NIC frontend");
	netdev = parse_opts(option_value(argv, "-netdev", "tap"), "type");
	assert_string_equal(member_str(netdev, "id"), "net-n0");
	assert_string_equal(member_str(netdev, "ifname"), "tap0");
	json_object_put(netdev);
	qd_argv_free(argv);
	qd_vm_free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_virtio_disk),
	    cmocka_unit_test(test_scsi_disk),
	    cmocka_unit_test(test_disk_refused_is_undone),
	    cmocka_unit_test(test_undo_asks_instead_of_reading_desc),
	    cmocka_unit_test(test_blocks_pipelined),
	    cmocka_unit_test(test_blocks_checked_before_anything_is_sent),
	    cmocka_unit_test(test_vfio),
	    cmocka_unit_test(test_vcpu),
	    cmocka_unit_test(test_vcpu_refused_frees_its_id),
	    cmocka_unit_test(test_memory_dimm),
	    cmocka_unit_test(test_memory_backends),
	    cmocka_unit_test(test_memory_refused_is_undone),
	    cmocka_unit_test(test_memory_virtio_mem),
	    cmocka_unit_test(test_memory_virtio_mem_unplug_refused),
	    cmocka_unit_test(test_memory_no_virtio_mem),
	    cmocka_unit_test(test_memory_bad_input),
	    cmocka_unit_test(test_net),
	    cmocka_unit_test(test_net_multiqueue),
	    cmocka_unit_test(test_net_refused_is_undone),
	    cmocka_unit_test(test_net_netdev_refused),
	    cmocka_unit_test(test_nets_pipelined),
	    cmocka_unit_test(test_net_bad_input),
	    cmocka_unit_test(test_no_bridge_no_slot),
	    cmocka_unit_test(test_error_classes),
	    cmocka_unit_test(test_cold_and_hot_are_one_device),
	    cmocka_unit_test(test_cold_and_hot_nic_share_the_device),
	};

	return cmocka_run_group_tests_name("hotplug", tests, scratch_setup, scratch_teardown);
}
