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

static int cpus_present(struct qd_vm *vm, int timeout_ms, json_object **out, qd_error *err)
{
	return qd_qmp_execute(vm->qmp, "query-cpus-fast", NULL, timeout_ms, out, err);
}

static bool recorded_node(struct qd_vm *vm, const char *node)
{
	for (size_t i = 0; i < vm->st.ndevices; i++)
		if (vm->st.devices[i].node && !strcmp(vm->st.devices[i].node, node))
			return true;
	return false;
}

/* Block nodes named like ours ("drive-*") that no device record owns: left by a crash. */
static int delete_orphan_nodes(struct qd_vm *vm, int timeout_ms, char **report, qd_error *err)
{
	_cleanup_json_ json_object *nodes = NULL, *blocks = NULL;
	int r = qd_qmp_execute(vm->qmp, "query-named-block-nodes", NULL, timeout_ms, &nodes, err);

	if (r == 0)
		r = qd_qmp_execute(vm->qmp, "query-block", NULL, timeout_ms, &blocks, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(nodes); i++) {
		const char *name = json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(nodes, i), "node-name"));
		bool attached = false;
		_cleanup_json_ json_object *args = NULL;
		qd_error e = {0};

		if (!name || strncmp(name, "drive-", 6) != 0 || recorded_node(vm, name))
			continue;
		for (size_t j = 0; j < vm->cfg.ndevices; j++)
			if (!strcmp(name + 6, vm->cfg.devices[j].id))
				attached = true; /* a cold-plugged -drive */
		for (size_t j = 0; !attached && j < json_object_array_length(blocks); j++) {
			json_object *ins;

			if (json_object_object_get_ex(json_object_array_get_idx(blocks, j),
						      "inserted", &ins) &&
			    !strcmp(
				json_object_get_string(json_object_object_get(ins, "node-name")),
				name))
				attached = true;
		}
		if (attached)
			continue;
		args = json_object_new_object();
		json_object_object_add(args, "node-name", json_object_new_string(name));
		if (qd_qmp_execute(vm->qmp, "blockdev-del", args, timeout_ms, NULL, &e) == 0)
			note(report, "deleted block node %s, left by an interrupted hot-plug",
			     name);
		else
			note(report, "block node %s has no device but could not be deleted: %s",
			     name, e.message);
		qd_error_clear(&e);
	}
	return 0;
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
	r = cpus_present(vm, timeout_ms, &cpus, err);
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
		struct qd_bridge *b = NULL;
		_cleanup_free_ char *id = strdup(rec->id);

		if (qd_hp_has(ids, id)) {
			if (rec->plugging) {
				rec->plugging = false;
				note(&text, "device %s: its hot-plug completed", id);
				changed = true;
			}
			continue;
		}
		note(&text,
		     rec->plugging     ? "device %s: its hot-plug did not happen; undone"
		     : rec->unplugging ? "device %s: its unplug completed; finished it"
				       : "device %s is no longer in QEMU: removed from the state",
		     id);
		if (rec->node) {
			_cleanup_json_ json_object *args = json_object_new_object();
			qd_error e = {0};

			json_object_object_add(args, "node-name",
					       json_object_new_string(rec->node));
			qd_qmp_execute(vm->qmp, "blockdev-del", args, timeout_ms, NULL, &e);
			qd_error_clear(&e);
		}
		for (size_t j = 0; rec->bridge && j < vm->st.nbridges; j++)
			if (!strcmp(vm->st.bridges[j].id, rec->bridge))
				b = &vm->st.bridges[j];
		if (b && rec->slot > 0) {
			free(b->slots[rec->slot]);
			b->slots[rec->slot] = NULL;
		}
		qd_state_remove_device(&vm->st, id);
		qd_hp_unclaim(vm, id);
		changed = true;
	}
	for (char **p = ids; p && *p; p++) {
		bool known = qd_state_find_device(&vm->st, *p) != NULL;

		for (size_t j = 0; !known && j < vm->st.nvcpus; j++)
			known = !strcmp(vm->st.vcpus[j].id, *p);
		for (size_t j = 0; !known && j < vm->st.nbridges; j++)
			known = !strcmp(vm->st.bridges[j].id, *p);
		for (size_t j = 0; !known && j < vm->cfg.ndevices; j++)
			known = !strcmp(vm->cfg.devices[j].id, *p);
		known = known || !strcmp(*p, "serial0") || !strcmp(*p, "console0") ||
			!strcmp(*p, "scsi0") || !strcmp(*p, "nv0");
		if (!known)
			note(&text, "QEMU has device %s, which the state does not record", *p);
	}
	r = delete_orphan_nodes(vm, timeout_ms, &text, err);
	if (r == 0 && changed)
		r = qd_hp_save(vm, err);
out:
	qd_hp_strv_free(ids);
	pthread_mutex_unlock(&vm->lock);
	if (report)
		*report = text ? text : strdup("");
	else
		free(text);
	return r;
}
