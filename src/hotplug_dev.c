/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug_dev.c - disks (virtio-blk on a bridge slot, or scsi-hd) and VFIO devices: checks and
 * specs */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "hotplug.h"
#include "names.h"

unsigned qd_vm_capabilities(struct qd_vm *vm)
{
	unsigned caps = QD_CAP_CPU_HOTPLUG;

	/* Devices hot-plug into bridge slots (pcie.0 itself refuses) or on scsi0.0. */
	if (vm->st.nbridges || vm->cfg.block_driver == QD_BLOCK_VIRTIO_SCSI)
		caps |= QD_CAP_BLOCK_HOTPLUG;
	if (vm->st.nbridges)
		caps |= QD_CAP_VFIO_HOTPLUG | QD_CAP_NET_HOTPLUG;
	if (vm->cfg.memory_slots && vm->cfg.max_memory_mb > vm->cfg.memory_mb)
		caps |= QD_CAP_MEMORY_HOTPLUG;
	return caps;
}

/* ---- disks ------------------------------------------------------------------------------------
 */

/* Everything about a disk that can be wrong is found before QEMU is asked. */
static int check_block(struct qd_vm *vm, const struct qd_block_device *dev, qd_error *err)
{
	int r = qd_hp_check_new_id(vm, dev->id, err);

	if (r < 0)
		return r;
	if (!qd_name_node_fits(dev->id))
		return qd_error_set(err, -EINVAL,
				    "device id '%s' is too long: QEMU node names hold %d "
				    "characters, and the node is 'drive-<id>'",
				    dev->id, QD_NODE_NAME_MAX);
	if (!dev->path || !*dev->path)
		return qd_error_set(err, -EINVAL, "block device %s has no path", dev->id);
	r = qd_hp_check_utf8("the path", dev->id, dev->path, err);
	if (r == 0)
		r = qd_hp_check_utf8("the format", dev->id, dev->format, err);
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

static const char *block_id(const void *dev)
{
	return ((const struct qd_block_device *)dev)->id;
}

static int prepare_block(struct qd_vm *vm, const void *d, struct qd_txn *t, int timeout_ms,
			 qd_error *err)
{
	const struct qd_block_device *dev = d;
	bool scsi = vm->cfg.block_driver == QD_BLOCK_VIRTIO_SCSI;
	struct qd_spec_host host = qd_hp_spec_host(vm);
	struct qd_bridge *bridge = NULL;
	int slot = 0, r;

	(void)timeout_ms;
	r = check_block(vm, dev, err);
	if (r == 0 && !scsi)
		r = qd_hp_take_slot(vm, dev->id, &bridge, &slot, err);
	if (r < 0)
		return r;
	t->rec = (struct qd_device_record){
	    .id = (char *)dev->id,
	    .kind = scsi ? QD_HOTPLUG_SCSI_HD : QD_HOTPLUG_VIRTIO_BLK,
	    .bridge = bridge ? bridge->id : NULL,
	    .slot = slot,
	    .scsi_id = scsi ? (int)(dev->index / 256) : 0,
	    .lun = scsi ? (int)(dev->index % 256) : 0,
	};
	if (scsi) {
		struct qd_spec_scsi at = {true, t->rec.scsi_id, t->rec.lun};

		r = qd_spec_scsi_disk(dev, &at, &t->spec);
	} else {
		struct qd_spec_pci at = {bridge->id, slot};

		r = qd_spec_virtio_disk(dev, &at, &host, &t->spec);
	}
	if (r < 0) {
		qd_hp_release_slot(vm, t->rec.bridge, slot, dev->id);
		return qd_error_set(err, r, "out of memory");
	}
	/* The node the spec names (names.h), borrowed from it. */
	t->rec.node = (char *)qd_part_name(&t->spec.part[0]);
	return 0;
}

static int locate_block(struct qd_vm *vm, const void *dev, const struct qd_txn *t, char **location,
			int timeout_ms, qd_error *err)
{
	(void)dev;
	(void)timeout_ms;
	(void)err;
	if (t->rec.bridge)
		*location = qd_hp_location(qd_hp_bridge(vm, t->rec.bridge), t->rec.slot);
	else if (asprintf(location, "%s:%d:%d", QD_ID_SCSI_BUS, t->rec.scsi_id, t->rec.lun) < 0)
		*location = NULL;
	return 0;
}

static const struct qd_hp_kind block_kind = {
    .what = "block",
    .size = sizeof(struct qd_block_device),
    .id_of = block_id,
    .prepare = prepare_block,
    .finish = locate_block,
};

int qd_vm_add_block(struct qd_vm *vm, const struct qd_block_device *dev, int timeout_ms,
		    char **location, qd_error *err)
{
	return qd_hp_plug(vm, &block_kind, dev, 1, false, timeout_ms, location, NULL, err);
}

int qd_vm_add_blocks(struct qd_vm *vm, const struct qd_block_device *devs, size_t n, int timeout_ms,
		     struct qd_plug_result *results, qd_error *err)
{
	return qd_hp_plug(vm, &block_kind, devs, n, true, timeout_ms, NULL, results, err);
}

int qd_vm_remove_block(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	static const enum qd_hotplug_kind kinds[] = {QD_HOTPLUG_VIRTIO_BLK, QD_HOTPLUG_SCSI_HD};

	const struct qd_hp_unplug how = {.kinds = kinds, .nkinds = 2, .what = "block"};

	return qd_hp_remove(vm, id, &how, timeout_ms, err);
}

/* ---- VFIO -------------------------------------------------------------------------------------
 */

struct vfio_dev {
	const char *id;
	const char *bdf;
};

static const char *vfio_id(const void *dev)
{
	return ((const struct vfio_dev *)dev)->id;
}

static int prepare_vfio(struct qd_vm *vm, const void *d, struct qd_txn *t, int timeout_ms,
			qd_error *err)
{
	const struct vfio_dev *dev = d;
	struct qd_bridge *bridge = NULL;
	int slot = 0, r;

	(void)timeout_ms;
	r = qd_hp_check_new_id(vm, dev->id, err);
	if (r == 0 && (!dev->bdf || !*dev->bdf))
		r = qd_error_set(err, -EINVAL, "VFIO device %s has no host address", dev->id);
	if (r == 0)
		r = qd_hp_check_utf8("the host address", dev->id, dev->bdf, err);
	if (r == 0 && !qd_bdf_valid(dev->bdf))
		r = qd_error_set(err, -EINVAL,
				 "VFIO device %s: '%s' is not a PCI address ([DDDD:]BB:SS.F)",
				 dev->id, dev->bdf);
	if (r == 0)
		r = qd_hp_take_slot(vm, dev->id, &bridge, &slot, err);
	if (r < 0)
		return r;
	t->rec = (struct qd_device_record){.id = (char *)dev->id,
					   .kind = QD_HOTPLUG_VFIO,
					   .bridge = bridge->id,
					   .slot = slot,
					   .bdf = (char *)dev->bdf};
	r = qd_spec_vfio(dev->id, dev->bdf, &(struct qd_spec_pci){bridge->id, slot}, &t->spec);
	if (r < 0) {
		qd_hp_release_slot(vm, bridge->id, slot, dev->id);
		return qd_error_set(err, r, "out of memory");
	}
	return 0;
}

static const struct qd_hp_kind vfio_kind = {
    .what = "VFIO",
    .size = sizeof(struct vfio_dev),
    .id_of = vfio_id,
    .prepare = prepare_vfio,
    .finish = locate_block,
};

int qd_vm_add_vfio(struct qd_vm *vm, const char *id, const char *bdf, int timeout_ms,
		   char **location, qd_error *err)
{
	const struct vfio_dev dev = {id, bdf};

	return qd_hp_plug(vm, &vfio_kind, &dev, 1, false, timeout_ms, location, NULL, err);
}

int qd_vm_remove_vfio(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	static const enum qd_hotplug_kind kinds[] = {QD_HOTPLUG_VFIO};

	const struct qd_hp_unplug how = {.kinds = kinds, .nkinds = 1, .what = "VFIO"};

	return qd_hp_remove(vm, id, &how, timeout_ms, err);
}
