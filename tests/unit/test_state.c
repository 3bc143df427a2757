/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_state.c - the persistent VM state: round trip, atomic 0600 writes, validated loads */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <uuid/uuid.h>

#include <cmocka.h>

#include "qemudrv.h"
#include "scratch.h"
#include "state.h"

#ifndef QD_FIXTURES_DIR
#error "QD_FIXTURES_DIR must name tests/unit/fixtures"
#endif

#define UUID "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

/**
 * scratch_dir() - a new directory under the scratch directory
 * @buf:  receives its path
 * @size: of @buf
 * @name: its name
 *
 * Return: @buf.
 */
static char *scratch_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", scratch_root, name);
	assert_int_equal(mkdir(buf, 0700), 0);
	return buf;
}

/**
 * write_bytes() - replace @path with @len bytes of @text
 * @path: the file
 * @text: its content
 * @len:  its length
 */
static void write_bytes(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/**
 * write_file() - replace @path with the string @text
 * @path: the file
 * @text: its content
 */
static void write_file(const char *path, const char *text)
{
	write_bytes(path, text, strlen(text));
}

/**
 * read_all() - the bytes of @path
 * @path: the file
 * @len:  receives the length
 *
 * Return: malloc'd, NUL-terminated content.
 */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	assert_non_null(f);
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			cap = cap * 2 + 4096 + 1;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (!got)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/**
 * count_entries() - entries of @dir other than "." and ".."
 * @dir:  the directory
 * @only: when not NULL, fails on any entry with another name
 *
 * Return: the count.
 */
static int count_entries(const char *dir, const char *only)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (only && strcmp(e->d_name, only))
			fail_msg("unexpected %s in %s", e->d_name, dir);
		n++;
	}
	closedir(d);
	return n;
}

/**
 * full_state() - a state with every kind of record
 * @st: filled
 */
static void full_state(struct qd_state *st)
{
	struct qd_device_record blk = {.id = "blk0",
				       .kind = QD_HOTPLUG_VIRTIO_BLK,
				       .node = "drive-blk0",
				       .bridge = "pci-bridge-0",
				       .slot = 1};
	struct qd_device_record sd = {.id = "sd0",
				      .kind = QD_HOTPLUG_SCSI_HD,
				      .node = "drive-sd0",
				      .scsi_id = 3,
				      .lun = 7,
				      .unplugging = true};
	struct qd_device_record blk1 = {.id = "blk1",
					.kind = QD_HOTPLUG_VIRTIO_BLK,
					.node = "drive-blk1",
					.bridge = "pci-bridge-1",
					.slot = 7,
					.plugging = true};
	struct qd_device_record vf = {.id = "vfio0",
				      .kind = QD_HOTPLUG_VFIO,
				      .bridge = "pci-bridge-1",
				      .slot = 31,
				      .bdf = "0000:01:00.0"};
	struct qd_device_record nic = {.id = "nic0",
				       .kind = QD_HOTPLUG_VIRTIO_NET,
				       .netdev = "net-nic0",
				       .bridge = "pci-bridge-2",
				       .slot = 1,
				       .mac = "52:54:00:12:34:56",
				       .queues = 4};
	struct qd_device_record dimm = {
	    .id = "m0", .kind = QD_HOTPLUG_PC_DIMM, .memdev = "mem-m0", .size_mb = 256};
	struct qd_device_record vmem = {.id = "v0",
					.kind = QD_HOTPLUG_VIRTIO_MEM,
					.memdev = "mem-v0",
					.bridge = "pci-bridge-2",
					.slot = 2,
					.size_mb = 1ull << 20,
					.unplugging = true};

	memset(st, 0, sizeof(*st));
	strcpy(st->uuid, UUID);
	st->qemu_pid = 4242;
	st->vcpu_seq = 7;
	assert_int_equal(qd_state_add_bridge(st, "pci-bridge-0", 2, 1), 0);
	assert_int_equal(qd_state_add_bridge(st, "pci-bridge-1", 3, 2), 0);
	assert_int_equal(qd_state_add_bridge(st, "pci-bridge-2", 4, 3), 0);
	st->bridges[0].slots[1] = strdup("blk0");
	st->bridges[1].slots[31] = strdup("vfio0");
	st->bridges[1].slots[7] = strdup("blk1");
	st->bridges[2].slots[1] = strdup("nic0");
	st->bridges[2].slots[2] = strdup("v0");
	assert_int_equal(qd_state_add_vcpu(st, "cpu-1", 1, 0, 0, 0), 0);
	assert_int_equal(qd_state_add_vcpu(st, "cpu-2", -1, -1, 2, -1), 0);
	assert_int_equal(qd_state_add_device(st, &blk), 0);
	assert_int_equal(qd_state_add_device(st, &sd), 0);
	assert_int_equal(qd_state_add_device(st, &vf), 0);
	assert_int_equal(qd_state_add_device(st, &blk1), 0);
	assert_int_equal(qd_state_add_device(st, &nic), 0);
	assert_int_equal(qd_state_add_device(st, &dimm), 0);
	assert_int_equal(qd_state_add_device(st, &vmem), 0);
}

/**
 * assert_str_or_null() - both NULL or equal strings
 * @a: one
 * @b: the other
 */
static void assert_str_or_null(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/**
 * assert_state_equal() - every member of @a and @b is the same
 * @a: one state
 * @b: the other
 */
static void assert_state_equal(const struct qd_state *a, const struct qd_state *b)
{
	assert_string_equal(a->uuid, b->uuid);
	assert_int_equal(a->qemu_pid, b->qemu_pid);
	assert_int_equal(a->vcpu_seq, b->vcpu_seq);
	assert_int_equal(a->nbridges, b->nbridges);
	for (size_t i = 0; i < a->nbridges; i++) {
		assert_string_equal(a->bridges[i].id, b->bridges[i].id);
		assert_int_equal(a->bridges[i].addr, b->bridges[i].addr);
		assert_int_equal(a->bridges[i].chassis, b->bridges[i].chassis);
		for (int s = 0; s < QD_BRIDGE_SLOTS; s++)
			assert_str_or_null(a->bridges[i].slots[s], b->bridges[i].slots[s]);
	}
	assert_int_equal(a->nvcpus, b->nvcpus);
	for (size_t i = 0; i < a->nvcpus; i++) {
		assert_string_equal(a->vcpus[i].id, b->vcpus[i].id);
		assert_int_equal(a->vcpus[i].socket, b->vcpus[i].socket);
		assert_int_equal(a->vcpus[i].die, b->vcpus[i].die);
		assert_int_equal(a->vcpus[i].core, b->vcpus[i].core);
		assert_int_equal(a->vcpus[i].thread, b->vcpus[i].thread);
	}
	assert_int_equal(a->ndevices, b->ndevices);
	for (size_t i = 0; i < a->ndevices; i++) {
		const struct qd_device_record *x = &a->devices[i], *y = &b->devices[i];

		assert_string_equal(x->id, y->id);
		assert_int_equal(x->kind, y->kind);
		assert_str_or_null(x->node, y->node);
		assert_str_or_null(x->bridge, y->bridge);
		assert_int_equal(x->slot, y->slot);
		assert_int_equal(x->scsi_id, y->scsi_id);
		assert_int_equal(x->lun, y->lun);
		assert_str_or_null(x->bdf, y->bdf);
		assert_str_or_null(x->netdev, y->netdev);
		assert_str_or_null(x->memdev, y->memdev);
		assert_str_or_null(x->mac, y->mac);
		assert_int_equal(x->queues, y->queues);
		assert_true(x->size_mb == y->size_mb);
		assert_int_equal(x->unplugging, y->unplugging);
		assert_int_equal(x->plugging, y->plugging);
	}
}

/* ---- round trip and the file --------------------------------------------------------------- */

static void test_round_trip(void **state)
{
	struct qd_state st, back;
	qd_error err = {0};
	char dir[256], path[300];

	full_state(&st);
	snprintf(path, sizeof(path), "%s/state.json", scratch_dir(dir, sizeof(dir), "rt"));
	assert_int_equal(qd_state_save(path, &st, &err), 0);
	assert_int_equal(qd_state_load(path, &back, &err), 0);
	assert_null(err.message);
	assert_state_equal(&st, &back);
	/* Spot checks, should assert_state_equal() itself be wrong. */
	assert_string_equal(back.uuid, UUID);
	assert_int_equal(back.qemu_pid, 4242);
	assert_int_equal(back.vcpu_seq, 7);
	assert_int_equal(back.nbridges, 3);
	assert_string_equal(back.bridges[1].slots[31], "vfio0");
	assert_string_equal(back.bridges[1].slots[7], "blk1");
	assert_true(back.devices[3].plugging);
	assert_null(back.bridges[1].slots[1]);
	assert_int_equal(back.vcpus[1].socket, -1);
	assert_true(back.devices[1].unplugging);
	assert_false(back.devices[0].unplugging);
	assert_int_equal(back.devices[2].kind, QD_HOTPLUG_VFIO);
	assert_string_equal(back.devices[2].bdf, "0000:01:00.0");
	assert_null(back.devices[1].bridge);
	assert_int_equal(back.devices[4].kind, QD_HOTPLUG_VIRTIO_NET);
	assert_string_equal(back.devices[4].mac, "52:54:00:12:34:56");
	assert_int_equal(back.devices[4].queues, 4);
	assert_int_equal(back.devices[5].kind, QD_HOTPLUG_PC_DIMM);
	assert_true(back.devices[6].size_mb == 1ull << 20);
	assert_string_equal(back.devices[6].memdev, "mem-v0");
	qd_state_clear(&back);

	/* An empty state round-trips too. */
	qd_state_clear(&st);
	strcpy(st.uuid, UUID);
	assert_int_equal(qd_state_save(path, &st, &err), 0);
	assert_int_equal(qd_state_load(path, &back, &err), 0);
	assert_state_equal(&st, &back);
	qd_state_clear(&back);
	qd_state_clear(&st);
}

static void test_json_round_trip(void **state)
{
	struct qd_state st, back;
	json_object *a, *b;
	qd_error err = {0};

	full_state(&st);
	a = qd_state_to_json(&st);
	assert_int_equal(qd_state_from_json(a, &back, &err), 0);
	assert_state_equal(&st, &back);
	b = qd_state_to_json(&back);
	assert_true(json_object_equal(a, b));
	json_object_put(a);
	json_object_put(b);
	qd_state_clear(&back);
	qd_state_clear(&st);
}

static void test_saved_file(void **state)
{
	struct qd_state st;
	qd_error err = {0};
	char dir[256], path[300];
	json_object *o, *v, *b, *slots;
	struct stat sb;
	size_t len;
	char *text;

	full_state(&st);
	snprintf(path, sizeof(path), "%s/state.json", scratch_dir(dir, sizeof(dir), "file"));
	assert_int_equal(qd_state_save(path, &st, &err), 0);

	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* The write went through a temporary file that is gone now. */
	assert_int_equal(count_entries(dir, "state.json"), 1);

	text = read_all(path, &len);
	o = json_tokener_parse(text);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "version", &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(o, "uuid", &v));
	assert_string_equal(json_object_get_string(v), UUID);
	assert_true(json_object_object_get_ex(o, "bridges", &v));
	assert_int_equal(json_object_array_length(v), 3);
	b = json_object_array_get_idx(v, 1);
	assert_true(json_object_object_get_ex(b, "slots", &slots));
	assert_true(json_object_object_get_ex(slots, "31", &v));
	assert_string_equal(json_object_get_string(v), "vfio0");
	assert_true(json_object_object_get_ex(o, "devices", &v));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(v, 1), "unplugging", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(o);
	free(text);
	qd_state_clear(&st);
}

static void test_save_replaces_atomically(void **state)
{
	struct qd_state st, back;
	qd_error err = {0};
	char dir[256], path[300];
	struct stat before, after;

	full_state(&st);
	snprintf(path, sizeof(path), "%s/state.json", scratch_dir(dir, sizeof(dir), "atomic"));
	write_file(path, "old content\n");
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(qd_state_save(path, &st, &err), 0);
	assert_int_equal(stat(path, &after), 0);
	/* A new file renamed over the old one, not the old one rewritten in place. */
	assert_true(before.st_ino != after.st_ino);
	assert_int_equal(after.st_mode & 07777, 0600);
	assert_int_equal(count_entries(dir, "state.json"), 1);
	assert_int_equal(qd_state_load(path, &back, &err), 0);
	assert_state_equal(&st, &back);
	qd_state_clear(&back);

	/* Saved again (e.g. after a hot-plug): still one file. */
	qd_state_remove_device(&st, "sd0");
	assert_int_equal(qd_state_save(path, &st, &err), 0);
	assert_int_equal(count_entries(dir, "state.json"), 1);
	assert_int_equal(qd_state_load(path, &back, &err), 0);
	assert_int_equal(back.ndevices, 6);
	assert_null(qd_state_find_device(&back, "sd0"));
	qd_state_clear(&back);
	qd_state_clear(&st);
}

static void test_save_and_load_errors(void **state)
{
	struct qd_state st, back;
	qd_error err = {0};
	char path[300];

	full_state(&st);
	snprintf(path, sizeof(path), "%s/no-such-dir/state.json", scratch_root);
	assert_true(qd_state_save(path, &st, &err) < 0);
	assert_int_equal(err.code, -ENOENT);
	assert_non_null(strstr(err.message, "cannot write state"));
	assert_non_null(strstr(err.message, "no-such-dir/state.json"));
	qd_error_clear(&err);

	assert_int_equal(qd_state_load(path, &back, &err), -ENOENT);
	assert_int_equal(back.nbridges, 0);
	qd_state_clear(&st);
	qd_error_clear(&err);
}

/* ---- corrupt files ------------------------------------------------------------------------- */

#define J_UUID "\"uuid\": \"" UUID "\""
#define J_BRIDGES                                                                                  \
	"\"bridges\": [{\"id\": \"pci-bridge-0\", \"addr\": 2, \"chassis\": 1, "                   \
	"\"slots\": {\"1\": \"blk0\"}}]"
#define J_VCPUS                                                                                    \
	"\"vcpus\": [{\"id\": \"cpu-1\", \"socket-id\": 1, \"die-id\": 0, \"core-id\": 0, "        \
	"\"thread-id\": 0}]"
#define J_DEVICES                                                                                  \
	"\"devices\": [{\"id\": \"blk0\", \"kind\": \"virtio-blk\", \"node\": \"drive-blk0\", "    \
	"\"bridge\": \"pci-bridge-0\", \"slot\": 1, \"scsi-id\": 0, \"lun\": 0, "                  \
	"\"unplugging\": false}]"
#define J_VALID "{\"version\": 1, " J_UUID ", " J_BRIDGES ", " J_VCPUS ", " J_DEVICES "}"

/* A bridge list with one bridge whose members are @m. */
#define J_BRIDGE(m) "{\"version\": 1, " J_UUID ", \"bridges\": [" m "], " J_VCPUS ", " J_DEVICES "}"
#define J_SLOTS(s)                                                                                 \
	J_BRIDGE("{\"id\": \"pci-bridge-0\", \"addr\": 2, \"chassis\": 1, \"slots\": " s "}")
#define J_VCPU(m)   "{\"version\": 1, " J_UUID ", " J_BRIDGES ", \"vcpus\": [" m "], " J_DEVICES "}"
#define J_DEVICE(m) "{\"version\": 1, " J_UUID ", " J_BRIDGES ", " J_VCPUS ", \"devices\": [" m "]}"
/* Bridge 0 with slots @s and the devices @d: for states whose records must agree. */
#define J_SLOTS_DEVICE(s, d)                                                                       \
	"{\"version\": 1, " J_UUID ", \"bridges\": [{\"id\": \"pci-bridge-0\", \"addr\": 2, "      \
	"\"chassis\": 1, \"slots\": " s "}], " J_VCPUS ", \"devices\": [" d "]}"
#define J_DEV_OK                                                                                   \
	"\"id\": \"blk0\", \"node\": \"drive-blk0\", \"bridge\": \"pci-bridge-0\", \"scsi-id\": 0"

/* What a corrupt file is expected to produce. */
struct corrupt_case {
	const char *name;
	const char *content;
	const char *problem; /* the middle of the message; NULL: "not complete JSON" */
};

/**
 * expect_corrupt_len() - loading @c fails with -EBADMSG, names the problem, leaves the file
 * @dir:   directory to write the file in
 * @c:     the case
 * @exact: compare the whole message (else: it must contain @c->problem)
 * @clen:  bytes of @c->content to write
 */
static void expect_corrupt_len(const char *dir, const struct corrupt_case *c, bool exact,
			       size_t clen)
{
	char path[300], want[1024];
	struct qd_state st;
	qd_error err = {0};
	size_t len_before, len_after;
	char *before, *after;
	struct stat sb_before, sb_after;
	int r;

	snprintf(path, sizeof(path), "%s/%s.json", dir, c->name);
	write_bytes(path, c->content, clen);
	before = read_all(path, &len_before);
	assert_int_equal(len_before, clen);
	assert_int_equal(stat(path, &sb_before), 0);
	memset(&st, 0xa5, sizeof(st));

	r = qd_state_load(path, &st, &err);
	if (r != -EBADMSG)
		fail_msg("%s: qd_state_load returned %d (%s)", c->name, r,
			 err.message ? err.message : "no message");
	assert_int_equal(err.code, -EBADMSG);
	assert_non_null(err.message);
	if (!c->problem)
		snprintf(want, sizeof(want),
			 "state file %s is corrupt (not complete JSON); it was left as it is",
			 path);
	else
		snprintf(want, sizeof(want), "state file %s: %s; it was left as it is", path,
			 c->problem);
	if (exact && strcmp(err.message, want))
		fail_msg("%s:\n got:  %s\n want: %s", c->name, err.message, want);
	if (!exact && (!strstr(err.message, path) || !strstr(err.message, c->problem)))
		fail_msg("%s: '%s' does not name %s", c->name, err.message, c->problem);
	/* Nothing half-loaded is left behind. */
	assert_int_equal(st.nbridges, 0);
	assert_null(st.bridges);
	assert_int_equal(st.nvcpus, 0);
	assert_int_equal(st.ndevices, 0);

	/* The file is exactly as it was. */
	after = read_all(path, &len_after);
	assert_int_equal(len_before, len_after);
	assert_memory_equal(before, after, len_before);
	assert_int_equal(stat(path, &sb_after), 0);
	assert_int_equal(sb_before.st_ino, sb_after.st_ino);
	assert_int_equal(sb_before.st_mtim.tv_sec, sb_after.st_mtim.tv_sec);
	assert_int_equal(sb_before.st_mtim.tv_nsec, sb_after.st_mtim.tv_nsec);
	free(before);
	free(after);
	qd_error_clear(&err);
}

/**
 * expect_corrupt() - expect_corrupt_len() of the whole string @c->content
 * @dir:   directory to write the file in
 * @c:     the case
 * @exact: compare the whole message
 */
static void expect_corrupt(const char *dir, const struct corrupt_case *c, bool exact)
{
	expect_corrupt_len(dir, c, exact, strlen(c->content));
}

static void test_valid_fixture_loads(void **state)
{
	char dir[256], path[300];
	struct qd_state st;
	qd_error err = {0};

	snprintf(path, sizeof(path), "%s/state.json", scratch_dir(dir, sizeof(dir), "valid"));
	/* The text the corrupt cases start from is itself valid (with a trailing newline). */
	write_file(path, J_VALID "\n");
	assert_int_equal(qd_state_load(path, &st, &err), 0);
	assert_int_equal(st.nbridges, 1);
	assert_string_equal(st.bridges[0].slots[1], "blk0");
	/* Written before QEMU ran: no pid, no vCPU sequence yet. */
	assert_int_equal(st.qemu_pid, 0);
	assert_int_equal(st.vcpu_seq, 0);
	assert_int_equal(st.nvcpus, 1);
	assert_int_equal(st.ndevices, 1);
	qd_state_clear(&st);
	/* Optional members may be absent. */
	write_file(path, J_SLOTS_DEVICE("{\"2\": \"v\"}",
					"{\"id\": \"v\", \"kind\": \"vfio\", \"bridge\": "
					"\"pci-bridge-0\", \"bdf\": \"01:00.0\", \"slot\": 2, "
					"\"scsi-id\": 0, \"lun\": 0}"));
	assert_int_equal(qd_state_load(path, &st, &err), 0);
	assert_null(st.devices[0].node);
	assert_false(st.devices[0].unplugging);
	qd_state_clear(&st);
}

static void test_corrupt_files(void **state)
{
	static const struct corrupt_case cases[] = {
	    {"not-json", "this is not JSON\n", NULL},
	    {"truncated", "{\"version\": 1, " J_UUID ", \"bridg", NULL},
	    {"truncated-at-end", "{\"version\": 1, " J_UUID ", " J_BRIDGES, NULL},
	    {"empty", "", NULL},
	    {"trailing-garbage", J_VALID " {}", NULL},
	    {"array", "[1, 2]\n", "state: not a JSON object"},
	    {"version-2", "{\"version\": 2, " J_UUID ", " J_BRIDGES ", " J_VCPUS ", " J_DEVICES "}",
	     "state: version 2 is not supported (this qemudrv reads version 1)"},
	    {"version-0", "{\"version\": 0, " J_UUID ", " J_BRIDGES ", " J_VCPUS ", " J_DEVICES "}",
	     "state: version 0 is not supported (this qemudrv reads version 1)"},
	    {"version-missing", "{" J_UUID ", " J_BRIDGES ", " J_VCPUS ", " J_DEVICES "}",
	     "state: 'version' is missing"},
	    {"version-string",
	     "{\"version\": \"1\", " J_UUID ", " J_BRIDGES ", " J_VCPUS ", " J_DEVICES "}",
	     "state: 'version' has the wrong type"},
	    {"uuid-missing", "{\"version\": 1, " J_BRIDGES ", " J_VCPUS ", " J_DEVICES "}",
	     "state: 'uuid' is missing"},
	    {"uuid-bad",
	     "{\"version\": 1, \"uuid\": \"not-a-uuid\", " J_BRIDGES ", " J_VCPUS ", " J_DEVICES
	     "}",
	     "state: 'uuid' is not a UUID: not-a-uuid"},
	    {"uuid-36-bad",
	     "{\"version\": 1, \"uuid\": \"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fX\", " J_BRIDGES
	     ", " J_VCPUS ", " J_DEVICES "}",
	     "state: 'uuid' is not a UUID: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fX"},
	    {"uuid-long",
	     "{\"version\": 1, \"uuid\": \"" UUID "0\", " J_BRIDGES ", " J_VCPUS ", " J_DEVICES "}",
	     "state: 'uuid' is not a UUID: " UUID "0"},
	    {"uuid-number",
	     "{\"version\": 1, \"uuid\": 7, " J_BRIDGES ", " J_VCPUS ", " J_DEVICES "}",
	     "state: 'uuid' has the wrong type"},
	    {"qemu-pid-string",
	     "{\"version\": 1, " J_UUID ", \"qemu-pid\": \"12\", " J_BRIDGES ", " J_VCPUS
	     ", " J_DEVICES "}",
	     "state: 'qemu-pid' has the wrong type"},
	    {"vcpu-seq-bool",
	     "{\"version\": 1, " J_UUID ", \"vcpu-seq\": true, " J_BRIDGES ", " J_VCPUS
	     ", " J_DEVICES "}",
	     "state: 'vcpu-seq' has the wrong type"},
	    {"bridges-missing", "{\"version\": 1, " J_UUID ", " J_VCPUS ", " J_DEVICES "}",
	     "state: 'bridges' is missing"},
	    {"bridges-object",
	     "{\"version\": 1, " J_UUID ", \"bridges\": {}, " J_VCPUS ", " J_DEVICES "}",
	     "state: 'bridges' has the wrong type"},
	    {"bridge-not-object", J_BRIDGE("1"), "state: bridge 0 is not an object"},
	    {"bridge-addr-0",
	     J_BRIDGE("{\"id\": \"b\", \"addr\": 0, \"chassis\": 1, \"slots\": {}}"),
	     "state: bridge 0 'addr' is 0, outside 1..31"},
	    {"bridge-addr-32",
	     J_BRIDGE("{\"id\": \"b\", \"addr\": 32, \"chassis\": 1, \"slots\": {}}"),
	     "state: bridge 0 'addr' is 32, outside 1..31"},
	    {"bridge-addr-huge",
	     J_BRIDGE("{\"id\": \"b\", \"addr\": 4294967298, \"chassis\": 1, \"slots\": {}}"),
	     "state: bridge 0 'addr' is 4294967298, outside 1..31"},
	    {"bridge-chassis-0",
	     J_BRIDGE("{\"id\": \"b\", \"addr\": 2, \"chassis\": 0, \"slots\": {}}"),
	     "state: bridge 0 'chassis' is 0, outside 1..255"},
	    {"bridge-addr-string",
	     J_BRIDGE("{\"id\": \"b\", \"addr\": \"2\", \"chassis\": 1, \"slots\": {}}"),
	     "state: bridge 0 'addr' has the wrong type"},
	    {"bridge-addr-double",
	     J_BRIDGE("{\"id\": \"b\", \"addr\": 2.5, \"chassis\": 1, \"slots\": {}}"),
	     "state: bridge 0 'addr' has the wrong type"},
	    {"bridge-id-missing", J_BRIDGE("{\"addr\": 2, \"chassis\": 1, \"slots\": {}}"),
	     "state: bridge 0 'id' is missing"},
	    {"bridge-id-number",
	     J_BRIDGE("{\"id\": 3, \"addr\": 2, \"chassis\": 1, \"slots\": {}}"),
	     "state: bridge 0 'id' has the wrong type"},
	    {"bridge-slots-array",
	     J_BRIDGE("{\"id\": \"b\", \"addr\": 2, \"chassis\": 1, \"slots\": []}"),
	     "state: bridge 0 'slots' has the wrong type"},
	    {"bridge-slots-missing", J_BRIDGE("{\"id\": \"b\", \"addr\": 2, \"chassis\": 1}"),
	     "state: bridge 0 'slots' is missing"},
	    {"slot-0", J_SLOTS("{\"0\": \"d\"}"), "state: bridge 0 has a bad slot '0'"},
	    {"slot-32", J_SLOTS("{\"32\": \"d\"}"), "state: bridge 0 has a bad slot '32'"},
	    {"slot-x", J_SLOTS("{\"x\": \"d\"}"), "state: bridge 0 has a bad slot 'x'"},
	    {"slot-empty", J_SLOTS("{\"\": \"d\"}"), "state: bridge 0 has a bad slot ''"},
	    {"slot-minus", J_SLOTS("{\"-1\": \"d\"}"), "state: bridge 0 has a bad slot '-1'"},
	    {"slot-suffix", J_SLOTS("{\"1x\": \"d\"}"), "state: bridge 0 has a bad slot '1x'"},
	    {"slot-value-number", J_SLOTS("{\"3\": 5}"), "state: bridge 0 has a bad slot '3'"},
	    {"second-bridge-bad",
	     J_BRIDGE("{\"id\": \"a\", \"addr\": 2, \"chassis\": 1, \"slots\": {}}, "
		      "{\"id\": \"b\", \"addr\": 3, \"chassis\": 2, \"slots\": {\"9\": \"d\", "
		      "\"40\": \"e\"}}"),
	     "state: bridge 1 has a bad slot '40'"},
	    {"vcpu-id-missing",
	     J_VCPU("{\"socket-id\": 1, \"die-id\": 0, \"core-id\": 0, \"thread-id\": 0}"),
	     "state: vcpu 0 'id' is missing"},
	    {"vcpu-socket-string",
	     J_VCPU("{\"id\": \"c\", \"socket-id\": \"1\", \"die-id\": 0, \"core-id\": 0, "
		    "\"thread-id\": 0}"),
	     "state: vcpu 0 'socket-id' has the wrong type"},
	    {"vcpu-core-range",
	     J_VCPU("{\"id\": \"c\", \"socket-id\": 1, \"die-id\": 0, \"core-id\": -2, "
		    "\"thread-id\": 0}"),
	     "state: vcpu 0 'core-id' is -2, outside -1..1048576"},
	    {"device-kind-unknown",
	     J_DEVICE("{" J_DEV_OK ", \"kind\": \"nvme\", \"slot\": 1, \"lun\": 0}"),
	     "state: device 0 has unknown kind 'nvme'"},
	    {"device-kind-missing", J_DEVICE("{" J_DEV_OK ", \"slot\": 1, \"lun\": 0}"),
	     "state: device 0 'kind' is missing"},
	    {"device-kind-number", J_DEVICE("{" J_DEV_OK ", \"kind\": 1, \"slot\": 1, \"lun\": 0}"),
	     "state: device 0 'kind' has the wrong type"},
	    {"device-id-missing",
	     J_DEVICE("{\"kind\": \"vfio\", \"slot\": 1, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 'id' is missing"},
	    {"device-unplugging-string",
	     J_DEVICE("{" J_DEV_OK ", \"kind\": \"virtio-blk\", \"slot\": 1, \"lun\": 0, "
		      "\"unplugging\": \"yes\"}"),
	     "state: device 0 'unplugging' has the wrong type"},
	    {"device-unplugging-int",
	     J_DEVICE("{" J_DEV_OK ", \"kind\": \"virtio-blk\", \"slot\": 1, \"lun\": 0, "
		      "\"unplugging\": 1}"),
	     "state: device 0 'unplugging' has the wrong type"},
	    {"device-node-number",
	     J_DEVICE("{\"id\": \"d\", \"kind\": \"virtio-blk\", \"node\": 5, \"slot\": 1, "
		      "\"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 'node' has the wrong type"},
	    {"device-bdf-array",
	     J_DEVICE("{\"id\": \"d\", \"kind\": \"vfio\", \"bdf\": [], \"slot\": 1, "
		      "\"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 'bdf' has the wrong type"},
	    {"device-slot-32",
	     J_DEVICE("{" J_DEV_OK ", \"kind\": \"virtio-blk\", \"slot\": 32, \"lun\": 0}"),
	     "state: device 0 'slot' is 32, outside 0..31"},
	    {"device-slot-missing",
	     J_DEVICE("{" J_DEV_OK ", \"kind\": \"virtio-blk\", \"lun\": 0}"),
	     "state: device 0 'slot' is missing"},
	    {"device-lun-negative",
	     J_DEVICE("{" J_DEV_OK ", \"kind\": \"scsi-hd\", \"slot\": 0, \"lun\": -1}"),
	     "state: device 0 'lun' is -1, outside 0..16383"},
	    {"device-scsi-id-range",
	     J_DEVICE("{\"id\": \"d\", \"kind\": \"scsi-hd\", \"slot\": 0, \"scsi-id\": 256, "
		      "\"lun\": 0}"),
	     "state: device 0 'scsi-id' is 256, outside 0..255"},
	};
	char dir[256];

	scratch_dir(dir, sizeof(dir), "corrupt");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_corrupt(dir, &cases[i], true);
	/* Nothing was written next to them. */
	assert_int_equal(count_entries(dir, NULL), (int)(sizeof(cases) / sizeof(cases[0])));
}

/*
 * Top-level members: a member missing after a bridge or vCPU was read must
 * not blame that bridge or vCPU, and an out-of-range one reads like the others.
 */
static void test_corrupt_names_top_level(void **state)
{
	static const struct corrupt_case cases[] = {
	    {"vcpus-missing-after-bridge",
	     "{\"version\": 1, " J_UUID ", " J_BRIDGES ", " J_DEVICES "}",
	     "state: 'vcpus' is missing"},
	    {"devices-missing-after-vcpu",
	     "{\"version\": 1, " J_UUID ", " J_BRIDGES ", " J_VCPUS "}",
	     "state: 'devices' is missing"},
	    {"vcpus-string",
	     "{\"version\": 1, " J_UUID ", " J_BRIDGES ", \"vcpus\": \"\", " J_DEVICES "}",
	     "state: 'vcpus' has the wrong type"},
	    {"devices-object",
	     "{\"version\": 1, " J_UUID ", " J_BRIDGES ", " J_VCPUS ", \"devices\": {}}",
	     "state: 'devices' has the wrong type"},
	    {"qemu-pid-negative",
	     "{\"version\": 1, " J_UUID ", \"qemu-pid\": -1, " J_BRIDGES ", " J_VCPUS ", " J_DEVICES
	     "}",
	     "state: 'qemu-pid' is -1, outside 0..1073741824"},
	    {"vcpu-seq-huge",
	     "{\"version\": 1, " J_UUID ", \"vcpu-seq\": 4294967296, " J_BRIDGES ", " J_VCPUS
	     ", " J_DEVICES "}",
	     "state: 'vcpu-seq' is 4294967296, outside 0..1073741824"},
	    {"devices-missing-no-vcpus",
	     "{\"version\": 1, " J_UUID ", \"bridges\": [], \"vcpus\": []}",
	     "state: 'devices' is missing"},
	};
	char dir[256];

	scratch_dir(dir, sizeof(dir), "toplevel");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_corrupt(dir, &cases[i], true);
}

/* A NUL byte ends the JSON text early: what follows must not be ignored. */
static void test_corrupt_nul_bytes(void **state)
{
	static const char garbage[] = J_VALID "\0garbage", nul_end[] = J_VALID "\0";
	const struct corrupt_case cases[] = {
	    {"nul-garbage", garbage, NULL},
	    {"nul-at-end", nul_end, NULL},
	};
	char dir[256];

	scratch_dir(dir, sizeof(dir), "nul");
	expect_corrupt_len(dir, &cases[0], true, sizeof(garbage) - 1);
	expect_corrupt_len(dir, &cases[1], true, sizeof(nul_end) - 1);
}

/* Records that are not objects, and two entries for one slot, are corrupt too. */
static void test_corrupt_shapes(void **state)
{
	static const struct corrupt_case cases[] = {
	    {"vcpu-not-object", J_VCPU("\"cpu-1\""), "vcpu 0"},
	    {"device-not-object", J_DEVICE("7"), "device 0"},
	    /* "1" and "01" are the same slot: which device holds it? (And one copy leaks.) */
	    {"slot-twice", J_SLOTS("{\"1\": \"a\", \"01\": \"b\"}"), "bridge 0"},
	};
	char dir[256];

	scratch_dir(dir, sizeof(dir), "shapes");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_corrupt(dir, &cases[i], false);
}

/*
 * Records that are each well-formed but do not describe one possible VM, or
 * carry text QEMU would take as more options: all refused, the first named.
 */
static void test_inconsistent_states(void **state)
{
#define BLK(id, slot)                                                                              \
	"{\"id\": \"" id "\", \"kind\": \"virtio-blk\", \"node\": \"drive-" id "\", "              \
	"\"bridge\": \"pci-bridge-0\", \"slot\": " slot ", \"scsi-id\": 0, \"lun\": 0}"
#define SCSI(id, sid, lun)                                                                         \
	"{\"id\": \"" id "\", \"kind\": \"scsi-hd\", \"node\": \"drive-" id "\", "                 \
	"\"slot\": 0, \"scsi-id\": " sid ", \"lun\": " lun "}"
	static const struct corrupt_case cases[] = {
	    {"bridge-id-comma",
	     J_BRIDGE("{\"id\": \"b,addr=5\", \"addr\": 2, \"chassis\": 1, \"slots\": {}}"),
	     "state: bridge 0 id 'b,addr=5' is not a valid id"},
	    {"bridge-id-twice",
	     J_BRIDGE("{\"id\": \"pci-bridge-0\", \"addr\": 2, \"chassis\": 1, \"slots\": "
		      "{\"1\": \"blk0\"}}, {\"id\": \"pci-bridge-0\", \"addr\": 3, \"chassis\": 2, "
		      "\"slots\": {}}"),
	     "state: bridges 0 and 1 have the same id 'pci-bridge-0'"},
	    {"bridge-addr-twice",
	     J_BRIDGE("{\"id\": \"pci-bridge-0\", \"addr\": 2, \"chassis\": 1, \"slots\": "
		      "{\"1\": \"blk0\"}}, {\"id\": \"b1\", \"addr\": 2, \"chassis\": 2, "
		      "\"slots\": {}}"),
	     "state: bridges 0 and 1 have the same addr 2"},
	    {"bridge-chassis-twice",
	     J_BRIDGE("{\"id\": \"pci-bridge-0\", \"addr\": 2, \"chassis\": 1, \"slots\": "
		      "{\"1\": \"blk0\"}}, {\"id\": \"b1\", \"addr\": 3, \"chassis\": 1, "
		      "\"slots\": {}}"),
	     "state: bridges 0 and 1 have the same chassis 1"},
	    {"ghost-slot-owner",
	     J_SLOTS_DEVICE("{\"1\": \"blk0\", \"5\": \"ghost\"}", BLK("blk0", "1")),
	     "state: bridge 0 slot 5 belongs to 'ghost', which is not a device recorded on that "
	     "slot"},
	    {"slot-owner-elsewhere",
	     J_SLOTS_DEVICE("{\"1\": \"blk0\", \"2\": \"blk0\"}", BLK("blk0", "1")),
	     "state: bridge 0 slot 2 belongs to 'blk0', which is not a device recorded on that "
	     "slot"},
	    {"device-slot-not-given", J_SLOTS_DEVICE("{}", BLK("blk0", "1")),
	     "state: device 0 (blk0) is on pci-bridge-0 slot 1, which the bridge does not give it"},
	    {"device-on-no-bridge",
	     J_SLOTS_DEVICE("{}",
			    "{\"id\": \"d\", \"kind\": \"virtio-blk\", \"node\": \"drive-d\", "
			    "\"bridge\": \"nope\", \"slot\": 3, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (d) is on bridge 'nope', which the state does not have"},
	    {"device-id-twice",
	     J_SLOTS_DEVICE("{\"1\": \"blk0\"}", BLK("blk0", "1") ", " SCSI("blk0", "0", "1")),
	     "state: devices 0 and 1 have the same id 'blk0'"},
	    {"device-id-comma", J_SLOTS_DEVICE("{}", SCSI("d,x=1", "0", "1")),
	     "state: device 0 id 'd,x=1' is not a valid id"},
	    {"device-id-of-vcpu", J_SLOTS_DEVICE("{}", SCSI("cpu-1", "0", "1")),
	     "state: device 0 has the id of vcpu 0 ('cpu-1')"},
	    {"device-id-of-bridge", J_SLOTS_DEVICE("{}", SCSI("pci-bridge-0", "0", "1")),
	     "state: device 0 has the id of a bridge ('pci-bridge-0')"},
	    {"device-node-twice",
	     J_SLOTS_DEVICE(
		 "{}", SCSI("a", "0", "1") ", {\"id\": \"b\", \"kind\": \"scsi-hd\", \"node\": "
					   "\"drive-a\", \"slot\": 0, \"scsi-id\": 0, \"lun\": 2}"),
	     "state: devices 0 and 1 have the same node 'drive-a'"},
	    {"scsi-address-twice",
	     J_SLOTS_DEVICE("{}", SCSI("a", "1", "2") ", " SCSI("b", "1", "2")),
	     "state: devices 0 and 1 have the same SCSI id 1 and LUN 2"},
	    {"device-node-comma",
	     J_SLOTS_DEVICE("{}", "{\"id\": \"a\", \"kind\": \"scsi-hd\", \"node\": \"n,x\", "
				  "\"slot\": 0, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (a) needs a valid block node name, not 'n,x'"},
	    {"block-without-node",
	     J_SLOTS_DEVICE("{}", "{\"id\": \"a\", \"kind\": \"scsi-hd\", \"slot\": 0, "
				  "\"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (a) needs a valid block node name, not ''"},
	    {"vfio-bdf-bad",
	     J_SLOTS_DEVICE(
		 "{\"1\": \"v\"}",
		 "{\"id\": \"v\", \"kind\": \"vfio\", \"bdf\": \"01:00.0,rombar=0\", "
		 "\"bridge\": \"pci-bridge-0\", \"slot\": 1, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (v) needs a host PCI address, not '01:00.0,rombar=0'"},
	    {"vfio-with-node",
	     J_SLOTS_DEVICE(
		 "{\"1\": \"v\"}",
		 "{\"id\": \"v\", \"kind\": \"vfio\", \"bdf\": \"01:00.0\", \"node\": "
		 "\"drive-v\", \"bridge\": \"pci-bridge-0\", \"slot\": 1, \"scsi-id\": 0, "
		 "\"lun\": 0}"),
	     "state: device 0 (v) is VFIO but has a node"},
	    {"scsi-on-a-bridge",
	     J_SLOTS_DEVICE(
		 "{\"1\": \"a\"}",
		 "{\"id\": \"a\", \"kind\": \"scsi-hd\", \"node\": \"drive-a\", "
		 "\"bridge\": \"pci-bridge-0\", \"slot\": 1, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (a) is a SCSI disk but has a PCI slot"},
	    {"scsi-lun-256", J_SLOTS_DEVICE("{}", SCSI("a", "0", "256")),
	     "state: device 0 (a) has LUN 256, outside 0..255"},
	    {"plugging-and-unplugging",
	     J_SLOTS_DEVICE("{}", "{\"id\": \"a\", \"kind\": \"scsi-hd\", \"node\": \"drive-a\", "
				  "\"slot\": 0, \"scsi-id\": 0, \"lun\": 0, \"plugging\": true, "
				  "\"unplugging\": true}"),
	     "state: device 0 (a) is both plugging and unplugging"},
	    {"vcpu-id-not-cpu-n",
	     J_VCPU("{\"id\": \"c,x\", \"socket-id\": 1, \"die-id\": 0, \"core-id\": 0, "
		    "\"thread-id\": 0}"),
	     "state: vcpu 0 id 'c,x' is not a vCPU id (cpu-N)"},
	    {"vcpu-id-twice",
	     J_VCPU("{\"id\": \"cpu-1\", \"socket-id\": 1, \"die-id\": 0, \"core-id\": 0, "
		    "\"thread-id\": 0}, {\"id\": \"cpu-1\", \"socket-id\": 2, \"die-id\": 0, "
		    "\"core-id\": 0, \"thread-id\": 0}"),
	     "state: vcpus 0 and 1 have the same id 'cpu-1'"},
	    /* The kinds of issue 11: each has the members of its kind and no others. */
	    {"nic-without-netdev",
	     J_SLOTS_DEVICE("{\"1\": \"n\"}", "{\"id\": \"n\", \"kind\": \"virtio-net\", "
					      "\"bridge\": \"pci-bridge-0\", \"slot\": 1, "
					      "\"queues\": 1, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (n) needs a valid netdev id, not ''"},
	    {"nic-netdev-comma",
	     J_SLOTS_DEVICE("{\"1\": \"n\"}",
			    "{\"id\": \"n\", \"kind\": \"virtio-net\", \"netdev\": \"n,fd=3\", "
			    "\"bridge\": \"pci-bridge-0\", \"slot\": 1, \"queues\": 1, "
			    "\"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (n) needs a valid netdev id, not 'n,fd=3'"},
	    {"nic-bad-mac",
	     J_SLOTS_DEVICE(
		 "{\"1\": \"n\"}",
		 "{\"id\": \"n\", \"kind\": \"virtio-net\", \"netdev\": \"net-n\", "
		 "\"mac\": \"52:54:00:12:34\", \"bridge\": \"pci-bridge-0\", \"slot\": 1, "
		 "\"queues\": 1, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (n) has a bad MAC '52:54:00:12:34'"},
	    {"nic-no-queues",
	     J_SLOTS_DEVICE(
		 "{\"1\": \"n\"}",
		 "{\"id\": \"n\", \"kind\": \"virtio-net\", \"netdev\": \"net-n\", "
		 "\"bridge\": \"pci-bridge-0\", \"slot\": 1, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (n) has 0 queues"},
	    {"nic-too-many-queues",
	     J_SLOTS_DEVICE("{\"1\": \"n\"}",
			    "{\"id\": \"n\", \"kind\": \"virtio-net\", \"netdev\": \"net-n\", "
			    "\"bridge\": \"pci-bridge-0\", \"slot\": 1, \"queues\": 65, "
			    "\"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 'queues' is 65, outside 1..64"},
	    {"vfio-with-mac",
	     J_SLOTS_DEVICE("{\"1\": \"v\"}",
			    "{\"id\": \"v\", \"kind\": \"vfio\", \"bdf\": \"01:00.0\", \"mac\": "
			    "\"52:54:00:12:34:56\", \"bridge\": \"pci-bridge-0\", \"slot\": 1, "
			    "\"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (v) has a bad MAC '52:54:00:12:34:56'"},
	    {"dimm-on-a-bridge",
	     J_SLOTS_DEVICE("{\"1\": \"m\"}",
			    "{\"id\": \"m\", \"kind\": \"pc-dimm\", \"memdev\": \"mem-m\", "
			    "\"size-mb\": 64, \"bridge\": \"pci-bridge-0\", \"slot\": 1, "
			    "\"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (m) is a DIMM but has a PCI slot"},
	    {"dimm-without-size",
	     J_SLOTS_DEVICE("{}", "{\"id\": \"m\", \"kind\": \"pc-dimm\", \"memdev\": "
				  "\"mem-m\", \"slot\": 0, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (m) is a DIMM but has no size"},
	    {"dimm-with-netdev",
	     J_SLOTS_DEVICE("{}", "{\"id\": \"m\", \"kind\": \"pc-dimm\", \"memdev\": "
				  "\"mem-m\", \"netdev\": \"net-m\", \"size-mb\": 64, \"slot\": 0, "
				  "\"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (m) is a DIMM but has a netdev"},
	    {"disk-with-size",
	     J_SLOTS_DEVICE("{}", "{\"id\": \"a\", \"kind\": \"scsi-hd\", \"node\": \"drive-a\", "
				  "\"size-mb\": 8, \"slot\": 0, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (a) is a SCSI disk but has a size"},
	    {"virtio-mem-without-slot",
	     J_SLOTS_DEVICE("{}",
			    "{\"id\": \"v\", \"kind\": \"virtio-mem\", \"memdev\": "
			    "\"mem-v\", \"size-mb\": 64, \"slot\": 0, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: device 0 (v) is virtio-mem but has no PCI bridge slot"},
	    {"memdev-twice",
	     J_SLOTS_DEVICE("{}", "{\"id\": \"m\", \"kind\": \"pc-dimm\", \"memdev\": "
				  "\"mem-m\", \"size-mb\": 64, \"slot\": 0, \"scsi-id\": 0, "
				  "\"lun\": 0}, {\"id\": \"n\", \"kind\": "
				  "\"pc-dimm\", \"memdev\": \"mem-m\", \"size-mb\": 64, \"slot\": "
				  "0, \"scsi-id\": 0, \"lun\": 0}"),
	     "state: devices 0 and 1 have the same memdev 'mem-m'"},
	    {"unknown-top-member",
	     "{\"version\": 1, " J_UUID ", \"extra\": 1, " J_BRIDGES ", " J_VCPUS ", " J_DEVICES
	     "}",
	     "state: has an unknown member 'extra'"},
	    {"unknown-device-member",
	     J_SLOTS_DEVICE("{}", "{\"id\": \"a\", \"kind\": \"scsi-hd\", "
				  "\"node\": \"drive-a\", \"slot\": 0, "
				  "\"scsi-id\": 0, \"lun\": 0, \"drive\": 1}"),
	     "state: device 0 has an unknown member 'drive'"},
	};
#undef BLK
#undef SCSI
	char dir[256];

	scratch_dir(dir, sizeof(dir), "inconsistent");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_corrupt(dir, &cases[i], true);
}

/* The durable copy holds the UUID and bridges of the last durable save, nothing else. */
static void test_durable_copy_and_torn_files(void **state)
{
	struct qd_state st, copy;
	qd_error err = {0};
	char dir[256], path[300];
	int dirfd;

	full_state(&st);
	scratch_dir(dir, sizeof(dir), "durable");
	snprintf(path, sizeof(path), "%s/state.json", dir);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dirfd >= 0);
	assert_int_equal(qd_state_load_durable_copy(dirfd, &copy, &err), -ENODATA);
	/* A quick save leaves no copy; a durable one does. */
	assert_int_equal(qd_state_save_at(dirfd, "state.json", path, &st, false, &err), 0);
	assert_int_equal(qd_state_load_durable_copy(dirfd, &copy, &err), -ENODATA);
	assert_int_equal(qd_state_save_at(dirfd, "state.json", path, &st, true, &err), 0);
	assert_int_equal(qd_state_load_durable_copy(dirfd, &copy, &err), 0);
	assert_string_equal(copy.uuid, UUID);
	assert_int_equal(copy.nbridges, 3);
	assert_string_equal(copy.bridges[2].id, "pci-bridge-2");
	assert_int_equal(copy.bridges[2].addr, 4);
	assert_null(copy.bridges[0].slots[1]);
	assert_int_equal(copy.nvcpus, 0);
	assert_int_equal(copy.ndevices, 0);
	assert_int_equal(copy.qemu_pid, 0);
	qd_state_clear(&copy);
	/* Quick saves after it keep it as it was. */
	qd_state_remove_device(&st, "sd0");
	assert_int_equal(qd_state_save_at(dirfd, "state.json", path, &st, false, &err), 0);
	assert_int_equal(qd_state_load_durable_copy(dirfd, &copy, &err), 0);
	assert_int_equal(copy.nbridges, 3);
	qd_state_clear(&copy);
	assert_int_equal(count_entries(dir, "state.json"), 1);

	/* What a power loss can leave of a file never synced: empty, or zeros. */
	assert_false(qd_state_file_torn(dirfd, "state.json"));
	write_file(path, "");
	assert_true(qd_state_file_torn(dirfd, "state.json"));
	write_bytes(path, "\0\0\0\0", 4);
	assert_true(qd_state_file_torn(dirfd, "state.json"));
	write_bytes(path, "\0\0{\0", 4);
	assert_false(qd_state_file_torn(dirfd, "state.json"));
	assert_false(qd_state_file_torn(dirfd, "absent.json"));
	close(dirfd);
	qd_state_clear(&st);
}

/* ---- through the public API ---------------------------------------------------------------- */

/**
 * vm_config() - a VM "vm1" in @run_dir on the fixture host
 * @run_dir: the run directory
 *
 * Return: the config.
 */
static struct qd_vm_config vm_config(const char *run_dir)
{
	return (struct qd_vm_config){
	    .id = "vm1",
	    .run_dir = run_dir,
	    .kernel = "/boot/vmlinuz",
	    .initrd = "/boot/initrd.img",
	    .qemu_path = "/bin/true",
	    .bridges = 2,
	    .cpuinfo_path = QD_FIXTURES_DIR "/cpuinfo_intel",
	    .meminfo_path = QD_FIXTURES_DIR "/meminfo",
	};
}

/**
 * mode_of() - the permission bits of @path
 * @path: an existing path
 *
 * Return: st_mode & 07777.
 */
static unsigned mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_vm_new_creates_state(void **state)
{
	char run_dir[256], vm_dir[300], path[320];
	struct qd_vm_config c;
	struct qd_vm *vm = NULL;
	qd_error err = {0};
	struct qd_state st;
	uuid_t parsed;
	char uuid[37];
	size_t len1, len2;
	char *before, *after;
	int r;

	snprintf(run_dir, sizeof(run_dir), "%s/pub/run", scratch_root);
	snprintf(vm_dir, sizeof(vm_dir), "%s/vm1", run_dir);
	snprintf(path, sizeof(path), "%s/state.json", vm_dir);
	c = vm_config(run_dir);
	r = qd_vm_new(&c, &vm, &err);
	if (r)
		fail_msg("qd_vm_new: %d %s", r, err.message);
	assert_string_equal(qd_vm_dir(vm), vm_dir);
	assert_int_equal(mode_of(vm_dir), 0700);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(count_entries(vm_dir, "state.json"), 1);

	/* A fresh, valid UUID and the bridges, as the file says. */
	assert_int_equal(strlen(qd_vm_uuid(vm)), 36);
	assert_int_equal(uuid_parse(qd_vm_uuid(vm), parsed), 0);
	strcpy(uuid, qd_vm_uuid(vm));
	assert_int_equal(qd_state_load(path, &st, &err), 0);
	assert_string_equal(st.uuid, uuid);
	assert_int_equal(st.nbridges, 2);
	assert_string_equal(st.bridges[0].id, "pci-bridge-0");
	assert_int_equal(st.bridges[0].addr, 2);
	assert_int_equal(st.bridges[0].chassis, 1);
	assert_string_equal(st.bridges[1].id, "pci-bridge-1");
	assert_int_equal(st.bridges[1].addr, 3);
	assert_int_equal(st.bridges[1].chassis, 2);
	assert_int_equal(st.nvcpus, 0);
	assert_int_equal(st.ndevices, 0);
	qd_state_clear(&st);
	qd_vm_free(vm);

	/* The caller restarts: the same VM, the same UUID, the file as it was. */
	before = read_all(path, &len1);
	c = vm_config(run_dir);
	assert_int_equal(qd_vm_new(&c, &vm, &err), 0);
	assert_string_equal(qd_vm_uuid(vm), uuid);
	qd_vm_free(vm);
	after = read_all(path, &len2);
	assert_int_equal(len1, len2);
	assert_memory_equal(before, after, len1);
	free(before);
	free(after);

	/* Another VM in the same run directory gets its own UUID. */
	c.id = "vm2";
	assert_int_equal(qd_vm_new(&c, &vm, &err), 0);
	assert_string_not_equal(qd_vm_uuid(vm), uuid);
	qd_vm_free(vm);
	assert_null(err.message);
}

static void test_vm_new_fixes_dir_mode(void **state)
{
	char run_dir[256], vm_dir[300];
	struct qd_vm_config c;
	struct qd_vm *vm = NULL;
	qd_error err = {0};

	snprintf(run_dir, sizeof(run_dir), "%s/pub-mode", scratch_root);
	snprintf(vm_dir, sizeof(vm_dir), "%s/vm1", run_dir);
	assert_int_equal(mkdir(run_dir, 0755), 0);
	assert_int_equal(mkdir(vm_dir, 0755), 0);
	assert_int_equal(chmod(vm_dir, 0755), 0);
	c = vm_config(run_dir);
	assert_int_equal(qd_vm_new(&c, &vm, &err), 0);
	assert_int_equal(mode_of(vm_dir), 0700);
	qd_vm_free(vm);
}

static void test_vm_new_corrupt_state(void **state)
{
	static const char *const contents[] = {
	    "{\"version\": 1, \"uuid\": \"",
	    "{\"version\": 2, " J_UUID ", " J_BRIDGES ", " J_VCPUS ", " J_DEVICES "}\n",
	    "{\"version\": 1, \"uuid\": \"nope\", \"bridges\": [], \"vcpus\": [], \"devices\": []}",
	};
	char run_dir[256], vm_dir[300], path[320];
	struct qd_vm_config c;
	struct qd_vm *vm;
	qd_error err = {0};

	snprintf(run_dir, sizeof(run_dir), "%s/pub-corrupt", scratch_root);
	snprintf(vm_dir, sizeof(vm_dir), "%s/vm1", run_dir);
	snprintf(path, sizeof(path), "%s/state.json", vm_dir);
	c = vm_config(run_dir);
	assert_int_equal(qd_vm_new(&c, &vm, &err), 0);
	qd_vm_free(vm);

	for (size_t i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
		size_t len;
		char *after;

		write_file(path, contents[i]);
		vm = (struct qd_vm *)&vm;
		assert_int_equal(qd_vm_new(&c, &vm, &err), -EBADMSG);
		assert_null(vm);
		assert_int_equal(err.code, -EBADMSG);
		assert_non_null(strstr(err.message, path));
		assert_non_null(strstr(err.message, "it was left as it is"));
		after = read_all(path, &len);
		assert_int_equal(len, strlen(contents[i]));
		assert_memory_equal(after, contents[i], len);
		free(after);
		assert_int_equal(count_entries(vm_dir, "state.json"), 1);
	}
	qd_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_saved_file),
	    cmocka_unit_test(test_save_replaces_atomically),
	    cmocka_unit_test(test_save_and_load_errors),
	    cmocka_unit_test(test_valid_fixture_loads),
	    cmocka_unit_test(test_corrupt_files),
	    cmocka_unit_test(test_corrupt_nul_bytes),
	    cmocka_unit_test(test_corrupt_names_top_level),
	    cmocka_unit_test(test_corrupt_shapes),
	    cmocka_unit_test(test_inconsistent_states),
	    cmocka_unit_test(test_durable_copy_and_torn_files),
	    cmocka_unit_test(test_vm_new_creates_state),
	    cmocka_unit_test(test_vm_new_fixes_dir_mode),
	    cmocka_unit_test(test_vm_new_corrupt_state),
	};

	return cmocka_run_group_tests_name("state", tests, scratch_setup, scratch_teardown);
}
