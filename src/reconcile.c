/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reconcile.c - after a restart: find the running QEMU again and make the state agree with it */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "hotplug.h"
#include "names.h"
#include "qmp_commands.h"

static void note(char **report, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(char **report, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL, *joined;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (!line)
		return;
	if (asprintf(&joined, "%s%s\n", *report ? *report : "", line) >= 0) {
		free(*report);
		*report = joined;
	}
	free(line);
}

static bool recorded_node(struct qd_vm *vm, const char *node)
{
	for (size_t i = 0; i < vm->st.ndevices; i++)
		if (vm->st.devices[i].node && !strcmp(vm->st.devices[i].node, node))
			return true;
	return false;
}

static bool recorded_memdev(struct qd_vm *vm, const char *id)
{
	for (size_t i = 0; i < vm->st.ndevices; i++)
		if (vm->st.devices[i].memdev && !strcmp(vm->st.devices[i].memdev, id))
			return true;
	return false;
}

/* Whether a device uses block node @name (query-block: the root node of its backend). */
static bool node_attached(json_object *blocks, const char *name)
{
	for (size_t j = 0; j < json_object_array_length(blocks); j++) {
		json_object *ins, *node;

		if (json_object_object_get_ex(json_object_array_get_idx(blocks, j), "inserted",
					      &ins) &&
		    json_object_object_get_ex(ins, "node-name", &node) &&
		    !strcmp(json_object_get_string(node), name))
			return true;
	}
	return false;
}

static void delete_orphan(struct qd_vm *vm, enum qd_part_kind kind, const char *name,
			  int timeout_ms, char **report)
{
	struct qd_device_record orphan = {.node = kind == QD_PART_BLOCKDEV ? (char *)name : NULL,
					  .memdev = kind == QD_PART_OBJECT ? (char *)name : NULL};
	const char *what = kind == QD_PART_BLOCKDEV ? "block node" : "memory backend";
	qd_error e = {0};

	if (qd_hp_delete_backends(vm, &orphan, false, timeout_ms, &e) == 0)
		note(report, "deleted %s %s, left by an interrupted hot-plug", what, name);
	else
		note(report, "%s %s has no device but could not be deleted: %s", what, name,
		     e.message);
	qd_error_clear(&e);
}

/*
 * Block nodes and memory backends named like ours (names.h) that no record
 * owns and no device uses: left by a crash, or by a rollback that failed.
 * Cold-plugged disks' nodes have the same names and are in use by their
 * devices, so they are never taken for orphans.
 */
static int delete_orphans(struct qd_vm *vm, int timeout_ms, char **report, qd_error *err)
{
	_cleanup_json_ json_object *nodes = NULL, *blocks = NULL;
	char **objects = NULL;
	int r = qd_qmpc_simple(vm->qmp, "query-named-block-nodes", timeout_ms, &nodes, err);

	if (r == 0)
		r = qd_qmpc_simple(vm->qmp, "query-block", timeout_ms, &blocks, err);
	if (r == 0)
		r = qd_qmpc_qom_children(vm->qmp, "/objects", timeout_ms, &objects, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(nodes); i++) {
		const char *name = json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(nodes, i), "node-name"));

		if (name && qd_name_is_node(name) && !recorded_node(vm, name) &&
		    !node_attached(blocks, name))
			delete_orphan(vm, QD_PART_BLOCKDEV, name, timeout_ms, report);
	}
	for (char **p = objects; p && *p; p++)
		if (qd_name_is_memdev(*p) && !recorded_memdev(vm, *p))
			delete_orphan(vm, QD_PART_OBJECT, *p, timeout_ms, report);
	qd_strv_free(objects);
	return 0;
}

/* Whether @id is something of the VM's own making that the state need not record. */
static bool known_device(struct qd_vm *vm, const char *id)
{
	return qd_hp_id_taken(vm, id) || qd_name_is_own_device(id);
}

int qd_vm_reconcile(struct qd_vm *vm, int timeout_ms, char **report, qd_error *err)
{
	_cleanup_json_ json_object *cpus = NULL;
	char **ids = NULL, *text = NULL;
	bool changed = false;
	int r;

	if (report)
		*report = NULL;
	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0)
		return r;
	r = qd_qmpc_simple(vm->qmp, "query-cpus-fast", timeout_ms, &cpus, err);
	if (r == 0)
		r = qd_hp_peripheral(vm, timeout_ms, &ids, err);
	if (r < 0)
		goto out;
	for (size_t i = vm->st.nvcpus; i-- > 0;) {
		_cleanup_free_ char *id = strdup(vm->st.vcpus[i].id);

		if (!qd_hp_cpu_listed(cpus, id)) {
			note(&text,
			     vm->st.vcpus[i].plugging
				 ? "vCPU %s: its hot-plug did not happen; undone"
				 : "vCPU %s is no longer in QEMU: removed from the state",
			     id);
			qd_state_remove_vcpu(&vm->st, id);
			qd_hp_unclaim(vm, id);
			changed = true;
		} else if (vm->st.vcpus[i].plugging) {
			vm->st.vcpus[i].plugging = false;
			note(&text, "vCPU %s: its hot-plug completed", id);
			changed = true;
		}
	}
	for (size_t i = vm->st.ndevices; i-- > 0;) {
		struct qd_device_record *rec = &vm->st.devices[i];
		_cleanup_free_ char *id = strdup(rec->id);
		qd_error e = {0};

		if (qd_strv_has(ids, id)) {
			if (rec->plugging) {
				rec->plugging = false;
				note(&text, "device %s: its hot-plug completed", id);
				changed = true;
			}
			continue;
		}
		/*
		 * What it owns goes too (a plug that did not happen may have passed
		 * descriptors). A block node or memory backend left behind is found
		 * by the orphan pass below; a netdev could not be, so its record stays.
		 */
		if (qd_hp_delete_backends(vm, rec, rec->plugging, timeout_ms, &e) < 0 &&
		    rec->netdev) {
			note(&text, "device %s is no longer in QEMU but %s; it stays recorded", id,
			     e.message);
			qd_error_clear(&e);
			continue;
		}
		qd_error_clear(&e);
		rec = &vm->st.devices[i];
		note(&text,
		     rec->plugging     ? "device %s: its hot-plug did not happen; undone"
		     : rec->unplugging ? "device %s: its unplug completed; finished it"
				       : "device %s is no longer in QEMU: removed from the state",
		     id);
		qd_hp_forget(vm, id);
		changed = true;
	}
	for (char **p = ids; p && *p; p++)
		if (!known_device(vm, *p))
			note(&text, "QEMU has device %s, which the state does not record", *p);
	r = delete_orphans(vm, timeout_ms, &text, err);
	if (r == 0 && changed)
		r = qd_hp_save(vm, err);
out:
	qd_strv_free(ids);
	pthread_mutex_unlock(&vm->lock);
	if (report)
		*report = text ? text : strdup("");
	else
		free(text);
	return r;
}
