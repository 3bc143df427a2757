/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug_dev.c - disks and VFIO devices on bridge slots (or SCSI), each step undone on failure */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "hotplug.h"

#define MAX_NODE_NAME 31

unsigned qd_vm_capabilities(struct qd_vm *vm)
{
	unsigned caps = QD_CAP_CPU_HOTPLUG;

	/* Devices hot-plug into bridge slots (pcie.0 itself refuses) or on scsi0.0. */
	if (vm->st.nbridges || vm->cfg.block_driver == QD_BLOCK_VIRTIO_SCSI)
		caps |= QD_CAP_BLOCK_HOTPLUG;
	if (vm->st.nbridges)
		caps |= QD_CAP_VFIO_HOTPLUG;
	return caps;
}

/* A free bridge slot, chosen before anything is sent to QEMU. */
static int find_slot(struct qd_vm *vm, struct qd_bridge **bridge, int *slot, qd_error *err)
{
	for (size_t i = 0; i < vm->st.nbridges; i++)
		for (int s = 1; s < QD_BRIDGE_SLOTS; s++) /* slot 0: the SHPC's */
			if (!vm->st.bridges[i].slots[s]) {
				*bridge = &vm->st.bridges[i];
				*slot = s;
				return 0;
			}
	if (!vm->st.nbridges)
		return qd_error_set(err, -ENOSPC, "VM %s has no PCI bridges to hot-plug into",
				    vm->cfg.id);
	return qd_error_set(err, -ENOSPC, "all %zu PCI bridge slots are in use",
			    vm->st.nbridges * (QD_BRIDGE_SLOTS - 1));
}

static struct qd_bridge *bridge_by_id(struct qd_vm *vm, const char *id)
{
	for (size_t i = 0; id && i < vm->st.nbridges; i++)
		if (!strcmp(vm->st.bridges[i].id, id))
			return &vm->st.bridges[i];
	return NULL;
}

static void release_slot(struct qd_vm *vm, const struct qd_device_record *rec)
{
	struct qd_bridge *b = bridge_by_id(vm, rec->bridge);

	if (b && rec->slot > 0 && b->slots[rec->slot] && !strcmp(b->slots[rec->slot], rec->id)) {
		free(b->slots[rec->slot]);
		b->slots[rec->slot] = NULL;
	}
}

static int check_new_id(struct qd_vm *vm, const char *id, qd_error *err)
{
	if (!qd_id_valid(id))
		return qd_error_set(err, -EINVAL,
				    "device id '%s' is not valid (letters, digits, '-', '.', '_', "
				    "starting with a letter)",
				    id ? id : "");
	if (qd_state_find_device(&vm->st, id))
		return qd_error_set(err, -EEXIST, "device id '%s' is already hot-plugged", id);
	for (size_t i = 0; i < vm->cfg.ndevices; i++)
		if (!strcmp(vm->cfg.devices[i].id, id))
			return qd_error_set(err, -EEXIST, "device id '%s' is a cold-plugged device",
					    id);
	for (size_t i = 0; i < vm->st.nvcpus; i++)
		if (!strcmp(vm->st.vcpus[i].id, id))
			return qd_error_set(err, -EEXIST, "device id '%s' is a hot-plugged vCPU",
					    id);
	for (size_t i = 0; i < vm->st.nbridges; i++)
		if (!strcmp(vm->st.bridges[i].id, id))
			return qd_error_set(err, -EEXIST, "device id '%s' is a PCI bridge", id);
	if (qd_config_reserved_id(id))
		return qd_error_set(err, -EEXIST, "device id '%s' is one of qemudrv's own devices",
				    id);
	return 0;
}

static int blockdev_del(struct qd_vm *vm, const char *node, int timeout_ms, qd_error *err)
{
	_cleanup_json_ json_object *args = json_object_new_object();

	json_object_object_add(args, "node-name", json_object_new_string(node));
	return qd_qmp_execute(vm->qmp, "blockdev-del", args, timeout_ms, NULL, err);
}

/* After a failed step: undo the node; keep the first error, mention a second. */
static void undo_node(struct qd_vm *vm, const char *node, int timeout_ms, qd_error *err)
{
	qd_error undo = {0};

	if (blockdev_del(vm, node, timeout_ms, &undo) < 0 && err && err->message) {
		char *m = err->message;

		if (asprintf(&err->message, "%s (and removing block node %s failed: %s)", m, node,
			     undo.message ? undo.message : "") < 0)
			err->message = m;
		else
			free(m);
		qd_log(&vm->log, QD_LOG_ERR, "rollback of block node %s failed: %s", node,
		       undo.message);
	}
	qd_error_clear(&undo);
}

/*
 * device_add, and when its reply is lost to a timeout, whether QEMU made the
 * device anyway. Return: 0 plugged, or the error (nothing plugged).
 */
static int device_add(struct qd_vm *vm, json_object *args, const char *id, int timeout_ms,
		      qd_error *err)
{
	int r = qd_qmp_execute(vm->qmp, "device_add", args, timeout_ms, NULL, err);

	if (r == -ETIMEDOUT && !qd_qmp_broken(vm->qmp, NULL)) {
		qd_error probe = {0};
		int gone = qd_hp_gone_from_peripheral(vm, id, timeout_ms, &probe);

		qd_error_clear(&probe);
		if (gone == 0) {
			qd_log(&vm->log, QD_LOG_WARNING,
			       "device_add %s timed out but QEMU has the device", id);
			qd_error_clear(err);
			return 0;
		}
	}
	return r;
}

/*
 * plug() - record @rec as plugging (saved), device_add, then settle the
 * record by the outcome. When the outcome is unknown (reply lost to a
 * timeout or a dropped connection) the record stays "plugging" for
 * qd_vm_reconcile(); *@uncertain says so and the caller must not undo.
 */
static int plug(struct qd_vm *vm, struct qd_device_record *rec, json_object *args, int timeout_ms,
		bool *uncertain, qd_error *err)
{
	struct qd_bridge *b = bridge_by_id(vm, rec->bridge);
	struct qd_device_record *saved;
	int r;

	*uncertain = false;
	rec->plugging = true;
	if (qd_state_add_device(&vm->st, rec) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	if (b)
		b->slots[rec->slot] = strdup(rec->id);
	r = qd_hp_save_intent(vm, err);
	if (r == 0)
		r = device_add(vm, args, rec->id, timeout_ms, err);
	saved = qd_state_find_device(&vm->st, rec->id);
	if (r == 0) {
		saved->plugging = false;
		return qd_hp_save(vm, err);
	}
	if (r == -ETIMEDOUT || qd_qmp_broken(vm->qmp, NULL)) {
		char *m = err ? err->message : NULL;

		*uncertain = true;
		if (m && asprintf(&err->message,
				  "%s; device %s is recorded as plugging until qd_vm_reconcile() "
				  "sees what QEMU did",
				  m, rec->id) >= 0)
			free(m);
		else if (err)
			err->message = m;
		return r;
	}
	release_slot(vm, saved);
	qd_state_remove_device(&vm->st, rec->id);
	{
		qd_error ignored = {0};

		qd_hp_save(vm, &ignored);
		qd_error_clear(&ignored);
	}
	return r;
}

static char *location_of(const struct qd_bridge *b, int slot)
{
	char *s;

	return asprintf(&s, "%02x/%02x", b->addr, slot) < 0 ? NULL : s;
}

int qd_vm_add_block(struct qd_vm *vm, const struct qd_block_device *dev, int timeout_ms,
		    char **location, qd_error *err)
{
	_cleanup_json_ json_object *node_args = json_object_new_object();
	_cleanup_json_ json_object *dev_args = json_object_new_object();
	_cleanup_json_ json_object *file = json_object_new_object();
	struct qd_device_record rec = {0};
	struct qd_bridge *bridge = NULL;
	char node[40];
	bool scsi = vm->cfg.block_driver == QD_BLOCK_VIRTIO_SCSI;
	struct stat st;
	int slot = 0, r;

	if (location)
		*location = NULL;
	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0)
		return r;
	r = check_new_id(vm, dev->id, err);
	if (r < 0)
		goto out;
	if (strlen("drive-") + strlen(dev->id) > MAX_NODE_NAME) {
		r = qd_error_set(err, -EINVAL,
				 "device id '%s' is too long: QEMU node names hold %d "
				 "characters, and the node is 'drive-<id>'",
				 dev->id, MAX_NODE_NAME);
		goto out;
	}
	if (!dev->path || !*dev->path) {
		r = qd_error_set(err, -EINVAL, "block device %s has no path", dev->id);
		goto out;
	}
	snprintf(node, sizeof(node), "drive-%s", dev->id);
	/* Everything that can fail without QEMU fails before QEMU is asked. */
	if (scsi) {
		if (dev->index >= 256 * 256) {
			r = qd_error_set(err, -EINVAL,
					 "drive index %u is out of range: SCSI ids 0..255 with 256 "
					 "LUNs each allow 0..65535",
					 dev->index);
			goto out;
		}
		rec.kind = QD_HOTPLUG_SCSI_HD;
		rec.scsi_id = (int)(dev->index / 256);
		rec.lun = (int)(dev->index % 256);
	} else {
		r = find_slot(vm, &bridge, &slot, err);
		if (r < 0)
			goto out;
		rec.kind = QD_HOTPLUG_VIRTIO_BLK;
	}

	json_object_object_add(
	    file, "driver",
	    json_object_new_string(stat(dev->path, &st) == 0 && S_ISBLK(st.st_mode) ? "host_device"
										    : "file"));
	json_object_object_add(file, "filename", json_object_new_string(dev->path));
	json_object_object_add(node_args, "driver",
			       json_object_new_string(dev->format ? dev->format : "raw"));
	json_object_object_add(node_args, "node-name", json_object_new_string(node));
	json_object_object_add(node_args, "read-only", json_object_new_boolean(dev->read_only));
	json_object_object_add(node_args, "file", json_object_get(file));
	r = qd_qmp_execute(vm->qmp, "blockdev-add", node_args, timeout_ms, NULL, err);
	if (r < 0)
		goto out;

	json_object_object_add(dev_args, "id", json_object_new_string(dev->id));
	json_object_object_add(dev_args, "drive", json_object_new_string(node));
	if (scsi) {
		json_object_object_add(dev_args, "driver", json_object_new_string("scsi-hd"));
		json_object_object_add(dev_args, "bus", json_object_new_string("scsi0.0"));
		json_object_object_add(dev_args, "scsi-id", json_object_new_int(rec.scsi_id));
		json_object_object_add(dev_args, "lun", json_object_new_int(rec.lun));
	} else {
		char addr[8];

		snprintf(addr, sizeof(addr), "0x%x", slot);
		json_object_object_add(dev_args, "driver",
				       json_object_new_string("virtio-blk-pci"));
		json_object_object_add(dev_args, "bus", json_object_new_string(bridge->id));
		json_object_object_add(dev_args, "addr", json_object_new_string(addr));
	}
	rec.id = (char *)dev->id;
	rec.node = node;
	if (bridge) {
		rec.bridge = bridge->id;
		rec.slot = slot;
	}
	{
		bool uncertain;

		r = plug(vm, &rec, dev_args, timeout_ms, &uncertain, err);
		if (r < 0) {
			if (!uncertain)
				undo_node(vm, node, timeout_ms, err);
			goto out;
		}
	}
	if (location) {
		if (bridge)
			*location = location_of(bridge, slot);
		else if (asprintf(location, "scsi0.0:%d:%d", rec.scsi_id, rec.lun) < 0)
			*location = NULL;
	}
	qd_log(&vm->log, QD_LOG_INFO, "hot-plugged %s %s on %s",
	       scsi ? "scsi-hd" : "virtio-blk-pci", dev->id, node);
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int qd_vm_add_vfio(struct qd_vm *vm, const char *id, const char *bdf, int timeout_ms,
		   char **location, qd_error *err)
{
	_cleanup_json_ json_object *args = json_object_new_object();
	struct qd_device_record rec = {0};
	struct qd_bridge *bridge = NULL;
	char addr[8];
	int slot = 0, r;

	if (location)
		*location = NULL;
	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0)
		return r;
	r = check_new_id(vm, id, err);
	if (r == 0 && (!bdf || !*bdf))
		r = qd_error_set(err, -EINVAL, "VFIO device %s has no host address", id);
	if (r == 0)
		r = find_slot(vm, &bridge, &slot, err);
	if (r < 0)
		goto out;
	snprintf(addr, sizeof(addr), "0x%x", slot);
	json_object_object_add(args, "driver", json_object_new_string("vfio-pci"));
	json_object_object_add(args, "id", json_object_new_string(id));
	json_object_object_add(args, "host", json_object_new_string(bdf));
	json_object_object_add(args, "bus", json_object_new_string(bridge->id));
	json_object_object_add(args, "addr", json_object_new_string(addr));
	rec = (struct qd_device_record){.id = (char *)id,
					.kind = QD_HOTPLUG_VFIO,
					.bridge = bridge->id,
					.slot = slot,
					.bdf = (char *)bdf};
	{
		bool uncertain;

		r = plug(vm, &rec, args, timeout_ms, &uncertain, err);
	}
	if (r == 0 && location)
		*location = location_of(bridge, slot);
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}

/* Forget a removed device: its node (if any), its slot, its record. */
static void forget_device(struct qd_vm *vm, struct qd_device_record *rec, int timeout_ms)
{
	qd_error ignored = {0};

	if (rec->node && blockdev_del(vm, rec->node, timeout_ms, &ignored) < 0 &&
	    !(ignored.message && (strstr(ignored.message, "Failed to find node") ||
				  strstr(ignored.message, "Cannot find node"))))
		qd_log(&vm->log, QD_LOG_WARNING, "blockdev-del %s after unplug: %s", rec->node,
		       ignored.message);
	qd_error_clear(&ignored);
	release_slot(vm, rec);
	qd_state_remove_device(&vm->st, rec->id);
}

static int remove_device(struct qd_vm *vm, const char *id, enum qd_hotplug_kind k1,
			 enum qd_hotplug_kind k2, int timeout_ms, qd_error *err)
{
	struct qd_device_record *rec;
	_cleanup_free_ char *copy = NULL;
	int r;

	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0)
		return r;
	rec = id ? qd_state_find_device(&vm->st, id) : NULL;
	if (!rec || (rec->kind != k1 && rec->kind != k2)) {
		r = qd_error_set(err, -ENOENT, "no hot-plugged %s device '%s'",
				 k1 == QD_HOTPLUG_VFIO ? "VFIO" : "block", id ? id : "");
		goto out;
	}
	copy = strdup(id);
	rec->unplugging = true;
	r = qd_hp_save_intent(vm, err);
	if (r < 0)
		goto out;
	r = qd_hp_device_del(vm, copy, NULL, qd_hp_gone_from_peripheral, timeout_ms, err);
	rec = qd_state_find_device(&vm->st, copy);
	if (r == 0) {
		forget_device(vm, rec, timeout_ms);
		r = qd_hp_save(vm, err);
	} else if (r == -EREMOTEIO) {
		rec->unplugging = false; /* refused: it stays plugged */
		qd_error save_err = {0};

		qd_hp_save(vm, &save_err);
		qd_error_clear(&save_err);
	}
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int qd_vm_remove_block(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	return remove_device(vm, id, QD_HOTPLUG_VIRTIO_BLK, QD_HOTPLUG_SCSI_HD, timeout_ms, err);
}

int qd_vm_remove_vfio(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	return remove_device(vm, id, QD_HOTPLUG_VFIO, QD_HOTPLUG_VFIO, timeout_ms, err);
}
