/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug_dev.c - disks and VFIO devices on bridge slots (or SCSI), each step undone on failure */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "hotplug.h"
#include "qmp_commands.h"
#include "utf8.h"

/*
 * DOC: a hot-plug transaction
 *
 * The device is recorded (its id, block node, bridge slot) and saved before
 * QEMU is asked for anything, so that a reply lost to a timeout, a dropped
 * connection or a crash always leaves a record of what may exist. Then
 * blockdev-add (disks), then device_add; a step QEMU refuses undoes the ones
 * before it and the record. When a step's outcome is unknown the library
 * asks QEMU at once if the connection allows (the node or the device is
 * there or not) and settles the record; otherwise the record is saved as
 * "plugging" until the next add with that id, or qd_vm_reconcile(), settles
 * it. The record is saved as plugged from the start, so that the usual
 * outcome costs one save: should the caller die mid-way, the next add of the
 * id checks QEMU before it believes the record, and reconcile removes a
 * record QEMU has no device for.
 */

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
				    id && qd_utf8_valid(id) ? id : "");
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
	/* vCPUs are cpu-<n>: a device called so would block a later vCPU hot-add. */
	if (qd_id_is_vcpu(id))
		return qd_error_set(err, -EINVAL,
				    "device id '%s' is reserved for hot-plugged vCPUs (cpu-N)", id);
	if (qd_config_reserved_id(id))
		return qd_error_set(err, -EEXIST, "device id '%s' is one of qemudrv's own devices",
				    id);
	return 0;
}

/* Text that goes into a QMP string must be UTF-8 (checked before anything is sent). */
static int check_utf8(const char *what, const char *id, const char *v, qd_error *err)
{
	if (v && !qd_utf8_valid(v))
		return qd_error_set(err, -EINVAL, "%s of device %s is not valid UTF-8", what, id);
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

/* Append @fmt to @err's message ("<QEMU's words>; <what the library did>"). */
static void add_to_message(qd_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_to_message(qd_error *err, const char *fmt, ...)
{
	va_list ap;
	char *more = NULL, *joined;

	if (!err || !err->message)
		return;
	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) < 0)
		more = NULL;
	va_end(ap);
	if (more && asprintf(&joined, "%s; %s", err->message, more) >= 0) {
		free(err->message);
		err->message = joined;
	}
	free(more);
}

/* Record @rec (its slot taken, its events claimed) and save it, before QEMU is asked. */
static int record_intent(struct qd_vm *vm, struct qd_device_record *rec, qd_error *err)
{
	struct qd_bridge *b = bridge_by_id(vm, rec->bridge);

	rec->plugging = false;
	if (qd_state_add_device(&vm->st, rec) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	if (b) {
		b->slots[rec->slot] = strdup(rec->id);
		if (!b->slots[rec->slot]) {
			qd_state_remove_device(&vm->st, rec->id);
			return qd_error_set(err, -ENOMEM, "out of memory");
		}
	}
	qd_hp_claim(vm, rec->id);
	return qd_hp_save(vm, err);
}

/* Forget device @id: its slot, its record, its claim (the state saved, best effort). */
static void forget_record(struct qd_vm *vm, const char *id)
{
	struct qd_device_record *rec = qd_state_find_device(&vm->st, id);
	_cleanup_free_ char *copy = strdup(id);
	qd_error ignored = {0};

	if (!rec)
		return;
	release_slot(vm, rec);
	qd_state_remove_device(&vm->st, id);
	if (copy)
		qd_hp_unclaim(vm, copy);
	qd_hp_save(vm, &ignored);
	qd_error_clear(&ignored);
}

/* Whether the connection can still be asked what happened. */
static bool can_ask(struct qd_vm *vm)
{
	return !qd_qmp_broken(vm->qmp, NULL);
}

/*
 * settle() - decide a record by what QEMU has: the device there means the
 * add completed (the record is kept, 1); otherwise what it may have made
 * (its block node) is deleted and the record goes (0).
 * Return: 1, 0, or the error of a query (the record stays as it was).
 */
static int settle(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	struct qd_device_record *rec = qd_state_find_device(&vm->st, id);
	_cleanup_free_ char *node = NULL;
	int r;

	r = qd_hp_gone_from_peripheral(vm, id, timeout_ms, err);
	if (r < 0)
		return r;
	if (r == 0) {
		if (!rec->plugging)
			return 1;
		rec->plugging = false;
		qd_log(&vm->log, QD_LOG_INFO, "device %s: its interrupted hot-plug completed", id);
		r = qd_hp_save(vm, err);
		return r < 0 ? r : 1;
	}
	if (rec->node) {
		node = strdup(rec->node);
		if (!node)
			return qd_error_set(err, -ENOMEM, "out of memory");
		r = qd_qmpc_block_node_exists(vm->qmp, node, timeout_ms, err);
		if (r == 1)
			r = blockdev_del(vm, node, timeout_ms, err);
		if (r < 0)
			return r;
	}
	qd_log(&vm->log, QD_LOG_INFO, "device %s: its interrupted hot-plug did not happen; undone",
	       id);
	forget_record(vm, id);
	return 0;
}

/*
 * Before an add: a record with the same id is believed only once QEMU
 * confirms the device (it may be what an interrupted add left).
 */
static int settle_earlier_attempt(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	struct qd_device_record *rec = id ? qd_state_find_device(&vm->st, id) : NULL;
	bool was_plugging;
	int r;

	if (!rec)
		return 0;
	was_plugging = rec->plugging;
	r = settle(vm, id, timeout_ms, err);
	if (r == 1)
		return qd_error_set(err, -EEXIST, "device id '%s' is already hot-plugged%s", id,
				    was_plugging ? " (an earlier, interrupted add of it completed)"
						 : "");
	return r;
}

/*
 * A step whose outcome is unknown (timeout, lost connection): settled now if
 * QEMU can still be asked, else left recorded. The error says which.
 */
static void step_uncertain(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	struct qd_device_record *rec;
	qd_error probe = {0};
	int r = can_ask(vm) ? settle(vm, id, timeout_ms, &probe) : -ENOTCONN;

	if (r == 0) {
		add_to_message(err, "QEMU has no device %s and what the step made was removed", id);
	} else if (r == 1) {
		add_to_message(err, "QEMU made device %s all the same; it is recorded as plugged",
			       id);
	} else {
		rec = qd_state_find_device(&vm->st, id);
		if (rec) {
			rec->plugging = true;
			qd_hp_save(vm, &probe);
		}
		add_to_message(err,
			       "device %s is recorded as plugging until the next add of it or "
			       "qd_vm_reconcile() sees what QEMU did",
			       id);
	}
	qd_error_clear(&probe);
}

/*
 * device_add, and when its reply is lost to a timeout, whether QEMU made the
 * device anyway. Return: 0 plugged, or the error (nothing plugged).
 */
static int device_add(struct qd_vm *vm, json_object *args, const char *id, int timeout_ms,
		      qd_error *err)
{
	int r = qd_qmp_execute(vm->qmp, "device_add", args, timeout_ms, NULL, err);

	if (r == -ETIMEDOUT && can_ask(vm)) {
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

/* Whether a failed step's outcome is unknown (as opposed to refused by QEMU). */
static bool uncertain(struct qd_vm *vm, int r)
{
	return r == -ETIMEDOUT || !can_ask(vm);
}

/*
 * plug() - device_add the recorded device and settle its record by the
 * outcome. Return: 0 plugged; an error after which nothing of the device
 * is left (QEMU refused: the caller undoes earlier steps when *@undo); or an
 * unknown outcome, settled as far as QEMU could be asked (no undo).
 */
static int plug(struct qd_vm *vm, const char *id, json_object *args, int timeout_ms, bool *undo,
		qd_error *err)
{
	int r = device_add(vm, args, id, timeout_ms, err);

	*undo = false;
	if (r == 0)
		return 0; /* recorded as plugged already */
	if (uncertain(vm, r)) {
		step_uncertain(vm, id, timeout_ms, err);
		return r;
	}
	*undo = true;
	return r;
}

static char *location_of(const struct qd_bridge *b, int slot)
{
	char *s;

	return asprintf(&s, "%02x/%02x", b->addr, slot) < 0 ? NULL : s;
}

/* Everything about a disk that can be wrong is found before QEMU is asked. */
static int check_block(struct qd_vm *vm, const struct qd_block_device *dev, qd_error *err)
{
	int r = check_new_id(vm, dev->id, err);

	if (r < 0)
		return r;
	if (strlen("drive-") + strlen(dev->id) > MAX_NODE_NAME)
		return qd_error_set(err, -EINVAL,
				    "device id '%s' is too long: QEMU node names hold %d "
				    "characters, and the node is 'drive-<id>'",
				    dev->id, MAX_NODE_NAME);
	if (!dev->path || !*dev->path)
		return qd_error_set(err, -EINVAL, "block device %s has no path", dev->id);
	r = check_utf8("the path", dev->id, dev->path, err);
	if (r == 0)
		r = check_utf8("the format", dev->id, dev->format, err);
	/* A block driver name: raw, qcow2, ... */
	if (r == 0 && dev->format && !qd_word_valid(dev->format, "_-+."))
		r = qd_error_set(err, -EINVAL, "block device %s: '%s' is not a block format name",
				 dev->id, dev->format);
	if (r == 0 && vm->cfg.block_driver == QD_BLOCK_VIRTIO_SCSI && dev->index >= 256 * 256)
		r = qd_error_set(err, -EINVAL,
				 "drive index %u is out of range: SCSI ids 0..255 with 256 "
				 "LUNs each allow 0..65535",
				 dev->index);
	return r;
}

static json_object *blockdev_args(const struct qd_block_device *dev, const char *node)
{
	json_object *args = json_object_new_object(), *file = json_object_new_object();
	struct stat st;
	bool blk = stat(dev->path, &st) == 0 && S_ISBLK(st.st_mode);

	json_object_object_add(file, "driver",
			       json_object_new_string(blk ? "host_device" : "file"));
	json_object_object_add(file, "filename", json_object_new_string(dev->path));
	json_object_object_add(args, "driver",
			       json_object_new_string(dev->format ? dev->format : "raw"));
	json_object_object_add(args, "node-name", json_object_new_string(node));
	json_object_object_add(args, "read-only", json_object_new_boolean(dev->read_only));
	json_object_object_add(args, "file", file);
	return args;
}

static json_object *block_device_args(const struct qd_block_device *dev,
				      const struct qd_device_record *rec, const char *node)
{
	json_object *args = json_object_new_object();

	json_object_object_add(args, "id", json_object_new_string(dev->id));
	json_object_object_add(args, "drive", json_object_new_string(node));
	if (rec->kind == QD_HOTPLUG_SCSI_HD) {
		json_object_object_add(args, "driver", json_object_new_string("scsi-hd"));
		json_object_object_add(args, "bus", json_object_new_string("scsi0.0"));
		json_object_object_add(args, "scsi-id", json_object_new_int(rec->scsi_id));
		json_object_object_add(args, "lun", json_object_new_int(rec->lun));
	} else {
		char addr[8];

		snprintf(addr, sizeof(addr), "0x%x", rec->slot);
		json_object_object_add(args, "driver", json_object_new_string("virtio-blk-pci"));
		json_object_object_add(args, "bus", json_object_new_string(rec->bridge));
		json_object_object_add(args, "addr", json_object_new_string(addr));
	}
	return args;
}

int qd_vm_add_block(struct qd_vm *vm, const struct qd_block_device *dev, int timeout_ms,
		    char **location, qd_error *err)
{
	_cleanup_json_ json_object *node_args = NULL, *dev_args = NULL;
	struct qd_device_record rec = {0};
	struct qd_bridge *bridge = NULL;
	bool scsi = vm->cfg.block_driver == QD_BLOCK_VIRTIO_SCSI, undo;
	char node[40];
	int slot = 0, r;

	if (location)
		*location = NULL;
	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0)
		return r;
	r = settle_earlier_attempt(vm, dev->id, timeout_ms, err);
	if (r == 0)
		r = check_block(vm, dev, err);
	if (r == 0 && !scsi)
		r = find_slot(vm, &bridge, &slot, err);
	if (r < 0)
		goto out;
	snprintf(node, sizeof(node), "drive-%s", dev->id);
	rec = (struct qd_device_record){
	    .id = (char *)dev->id,
	    .kind = scsi ? QD_HOTPLUG_SCSI_HD : QD_HOTPLUG_VIRTIO_BLK,
	    .node = node,
	    .bridge = bridge ? bridge->id : NULL,
	    .slot = slot,
	    .scsi_id = scsi ? (int)(dev->index / 256) : 0,
	    .lun = scsi ? (int)(dev->index % 256) : 0,
	};
	node_args = blockdev_args(dev, node);
	dev_args = block_device_args(dev, &rec, node);
	r = record_intent(vm, &rec, err);
	if (r < 0) {
		forget_record(vm, dev->id);
		goto out;
	}
	r = qd_qmp_execute(vm->qmp, "blockdev-add", node_args, timeout_ms, NULL, err);
	if (r < 0) {
		if (uncertain(vm, r))
			step_uncertain(vm, dev->id, timeout_ms, err);
		else
			forget_record(vm, dev->id);
		goto out;
	}
	r = plug(vm, dev->id, dev_args, timeout_ms, &undo, err);
	if (r < 0) {
		if (undo) {
			undo_node(vm, node, timeout_ms, err);
			forget_record(vm, dev->id);
		}
		goto out;
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
	bool undo;
	int slot = 0, r;

	if (location)
		*location = NULL;
	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0)
		return r;
	r = settle_earlier_attempt(vm, id, timeout_ms, err);
	if (r == 0)
		r = check_new_id(vm, id, err);
	if (r == 0 && (!bdf || !*bdf))
		r = qd_error_set(err, -EINVAL, "VFIO device %s has no host address", id);
	if (r == 0)
		r = check_utf8("the host address", id, bdf, err);
	if (r == 0 && !qd_bdf_valid(bdf))
		r = qd_error_set(err, -EINVAL,
				 "VFIO device %s: '%s' is not a PCI address ([DDDD:]BB:SS.F)", id,
				 bdf);
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
	r = record_intent(vm, &rec, err);
	if (r == 0)
		r = plug(vm, id, args, timeout_ms, &undo, err);
	else
		undo = true;
	if (r < 0 && undo)
		forget_record(vm, id);
	if (r == 0 && location)
		*location = location_of(bridge, slot);
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}

/*
 * The device is gone: delete its block node, then forget the record. A node
 * QEMU does not delete is tried once more, on a new connection if the first
 * attempt got no answer (a monitor that does not answer may never answer
 * again); a node that is gone counts as deleted, whatever the error said.
 * Should it still be there, the record stays (unplugging) and the error says
 * so: the next removal of the id finds the device gone and deletes the node.
 */
static int finish_unplug(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	struct qd_device_record *rec = qd_state_find_device(&vm->st, id);
	_cleanup_free_ char *node = rec->node ? strdup(rec->node) : NULL;
	qd_error e = {0};
	int r = 0;

	for (int attempt = 0; node && attempt < 2; attempt++) {
		r = blockdev_del(vm, node, timeout_ms, &e);
		if (r == 0)
			break;
		if (r == -ETIMEDOUT || !can_ask(vm)) {
			qd_qmp_free(vm->qmp);
			vm->qmp = NULL;
			if (qd_vm_connect(vm, timeout_ms, NULL) < 0)
				break;
		}
		if (qd_qmpc_block_node_exists(vm->qmp, node, timeout_ms, NULL) == 0) {
			r = 0;
			break;
		}
	}
	if (r < 0) {
		rec = qd_state_find_device(&vm->st, id);
		if (rec) {
			rec->unplugging = true;
			qd_hp_save(vm, NULL);
		}
		r = qd_error_set(
		    err, r,
		    "device %s was unplugged but its block node %s was not deleted: %s; "
		    "it stays recorded until a removal of %s deletes it",
		    id, node, e.message ? e.message : strerror(-r), id);
		qd_error_clear(&e);
		return r;
	}
	qd_error_clear(&e);
	forget_record(vm, id);
	return 0;
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
				 k1 == QD_HOTPLUG_VFIO ? "VFIO" : "block",
				 id && qd_utf8_valid(id) ? id : "");
		goto out;
	}
	copy = strdup(id);
	if (!copy) {
		r = qd_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/*
	 * Not saved before device_del: should the outcome be lost, the record as
	 * it was (plugged) is settled the same way by reconcile, from QEMU.
	 */
	rec->unplugging = true;
	r = qd_hp_device_del(vm, copy, NULL, qd_hp_gone_from_peripheral, timeout_ms, err);
	rec = qd_state_find_device(&vm->st, copy);
	if (r == 0) {
		r = finish_unplug(vm, copy, timeout_ms, err);
	} else if (r == -EREMOTEIO || r == -EBUSY) {
		/* Refused (by QEMU or by the guest): it stays plugged, as saved. */
		rec->unplugging = false;
	} else {
		qd_error save_err = {0};

		/* Timed out, or the outcome is lost: QEMU may be unplugging it. */
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
