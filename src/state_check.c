/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_check.c - a loaded state must describe one possible VM: ids, slots and records agree */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "names.h"
#include "state.h"

/*
 * Each record was read and typed one by one; here the records are checked
 * against each other and against what QEMU accepts, because everything in
 * the state goes back to QEMU: bridge ids onto -device, device and vCPU ids
 * into device_del, node names into blockdev-del, host addresses into
 * device_add. A state that does not pass is corrupt (or hostile) and left as
 * it is; the first problem is named.
 */

/* QEMU's rule for block node names: an id (config.h) of QD_NODE_NAME_MAX characters at most. */
static bool node_name_valid(const char *n)
{
	return qd_id_valid(n) && strlen(n) <= QD_NODE_NAME_MAX;
}

static const struct qd_bridge *bridge_named(const struct qd_state *st, const char *id)
{
	for (size_t i = 0; id && i < st->nbridges; i++)
		if (!strcmp(st->bridges[i].id, id))
			return &st->bridges[i];
	return NULL;
}

static int check_bridges(const struct qd_state *st, qd_error *err)
{
	for (size_t i = 0; i < st->nbridges; i++) {
		const struct qd_bridge *b = &st->bridges[i];

		if (!qd_id_valid(b->id))
			return qd_error_set(
			    err, -EBADMSG, "state: bridge %zu id '%s' is not a valid id", i, b->id);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(st->bridges[j].id, b->id))
				return qd_error_set(
				    err, -EBADMSG,
				    "state: bridges %zu and %zu have the same id '%s'", j, i,
				    b->id);
			if (st->bridges[j].addr == b->addr)
				return qd_error_set(
				    err, -EBADMSG,
				    "state: bridges %zu and %zu have the same addr %d", j, i,
				    b->addr);
			if (st->bridges[j].chassis == b->chassis)
				return qd_error_set(
				    err, -EBADMSG,
				    "state: bridges %zu and %zu have the same chassis %d", j, i,
				    b->chassis);
		}
		/* Every slot owner is a device recorded on that very slot. */
		for (int s = 1; s < QD_BRIDGE_SLOTS; s++) {
			const struct qd_device_record *d;

			if (!b->slots[s])
				continue;
			d = qd_state_find_device((struct qd_state *)st, b->slots[s]);
			if (!d || !d->bridge || strcmp(d->bridge, b->id) || d->slot != s)
				return qd_error_set(
				    err, -EBADMSG,
				    "state: bridge %zu slot %d belongs to '%s', which is "
				    "not a device recorded on that slot",
				    i, s, b->slots[s]);
		}
	}
	return 0;
}

static int check_vcpus(const struct qd_state *st, qd_error *err)
{
	for (size_t i = 0; i < st->nvcpus; i++) {
		const char *id = st->vcpus[i].id;

		if (!qd_name_is_vcpu(id))
			return qd_error_set(err, -EBADMSG,
					    "state: vcpu %zu id '%s' is not a vCPU id (cpu-N)", i,
					    id);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(st->vcpus[j].id, id))
				return qd_error_set(
				    err, -EBADMSG, "state: vcpus %zu and %zu have the same id '%s'",
				    j, i, id);
	}
	return 0;
}

/* The members a device of each kind has (the others it must not have). */
static const struct shape {
	const char *name; /* in messages */
	bool pci;	  /* a bridge slot */
	bool scsi;	  /* a SCSI id and LUN */
	bool node, netdev, memdev, bdf, size;
	bool mac; /* may have one */
} shapes[] = {
    [QD_HOTPLUG_VIRTIO_BLK] = {"a virtio-blk disk", .pci = true, .node = true},
    [QD_HOTPLUG_SCSI_HD] = {"a SCSI disk", .scsi = true, .node = true},
    [QD_HOTPLUG_VFIO] = {"VFIO", .pci = true, .bdf = true},
    [QD_HOTPLUG_VIRTIO_NET] = {"a NIC", .pci = true, .netdev = true, .mac = true},
    [QD_HOTPLUG_PC_DIMM] = {"a DIMM", .memdev = true, .size = true},
    [QD_HOTPLUG_VIRTIO_MEM] = {"virtio-mem", .pci = true, .memdev = true, .size = true},
};

/* A name that goes back to QEMU in a delete command: a member it must or must not have. */
static int check_name(size_t i, const struct qd_device_record *d, const struct shape *sh,
		      bool wanted, const char *member, const char *value,
		      bool (*valid)(const char *), const char *what, qd_error *err)
{
	if (wanted && (!value || !valid(value)))
		return qd_error_set(err, -EBADMSG,
				    "state: device %zu (%s) needs a valid %s, not '%s'", i, d->id,
				    what, value ? value : "");
	if (!wanted && value)
		return qd_error_set(err, -EBADMSG, "state: device %zu (%s) is %s but has a %s", i,
				    d->id, sh->name, member);
	return 0;
}

static int check_device_shape(const struct qd_state *st, size_t i, qd_error *err)
{
	const struct qd_device_record *d = &st->devices[i];
	const struct shape *sh = &shapes[d->kind];
	const struct qd_bridge *b;
	int r;

	if ((r = check_name(i, d, sh, sh->node, "node", d->node, node_name_valid, "block node name",
			    err)) ||
	    (r = check_name(i, d, sh, sh->netdev, "netdev", d->netdev, qd_id_valid, "netdev id",
			    err)) ||
	    (r = check_name(i, d, sh, sh->memdev, "memdev", d->memdev, qd_id_valid,
			    "memory backend id", err)))
		return r;
	if (sh->bdf && (!d->bdf || !qd_bdf_valid(d->bdf)))
		return qd_error_set(err, -EBADMSG,
				    "state: device %zu (%s) needs a host PCI address, not '%s'", i,
				    d->id, d->bdf ? d->bdf : "");
	if (!sh->bdf && d->bdf)
		return qd_error_set(err, -EBADMSG,
				    "state: device %zu (%s) has a host PCI address but is not VFIO",
				    i, d->id);
	if (d->mac && (!sh->mac || !qd_mac_valid(d->mac)))
		return qd_error_set(err, -EBADMSG, "state: device %zu (%s) has a bad MAC '%s'", i,
				    d->id, d->mac);
	if (d->kind == QD_HOTPLUG_VIRTIO_NET ? d->queues < 1 : d->queues != 0)
		return qd_error_set(err, -EBADMSG, "state: device %zu (%s) has %u queues", i, d->id,
				    d->queues);
	if (sh->size != (d->size_mb > 0))
		return qd_error_set(err, -EBADMSG, "state: device %zu (%s) is %s but has %s size",
				    i, d->id, sh->name, d->size_mb ? "a" : "no");
	if (!sh->scsi && (d->scsi_id || d->lun))
		return qd_error_set(err, -EBADMSG,
				    "state: device %zu (%s) is %s but has a SCSI id or LUN", i,
				    d->id, sh->name);
	if (sh->scsi && d->lun > 255)
		return qd_error_set(err, -EBADMSG,
				    "state: device %zu (%s) has LUN %d, outside 0..255", i, d->id,
				    d->lun);
	if (!sh->pci) {
		if (d->bridge || d->slot)
			return qd_error_set(err, -EBADMSG,
					    "state: device %zu (%s) is %s but has a PCI slot", i,
					    d->id, sh->name);
		return 0;
	}
	if (!d->bridge)
		return qd_error_set(err, -EBADMSG,
				    "state: device %zu (%s) is %s but has no PCI bridge slot", i,
				    d->id, sh->name);
	b = bridge_named(st, d->bridge);
	if (!b)
		return qd_error_set(
		    err, -EBADMSG,
		    "state: device %zu (%s) is on bridge '%s', which the state does "
		    "not have",
		    i, d->id, d->bridge ? d->bridge : "");
	if (d->slot < 1 || !b->slots[d->slot] || strcmp(b->slots[d->slot], d->id))
		return qd_error_set(
		    err, -EBADMSG,
		    "state: device %zu (%s) is on %s slot %d, which the bridge does "
		    "not give it",
		    i, d->id, b->id, d->slot);
	return 0;
}

static int check_devices(const struct qd_state *st, qd_error *err)
{
	for (size_t i = 0; i < st->ndevices; i++) {
		const struct qd_device_record *d = &st->devices[i];
		int r;

		if (!qd_id_valid(d->id))
			return qd_error_set(
			    err, -EBADMSG, "state: device %zu id '%s' is not a valid id", i, d->id);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(st->devices[j].id, d->id))
				return qd_error_set(
				    err, -EBADMSG,
				    "state: devices %zu and %zu have the same id '%s'", j, i,
				    d->id);
		for (size_t j = 0; j < st->nvcpus; j++)
			if (!strcmp(st->vcpus[j].id, d->id))
				return qd_error_set(
				    err, -EBADMSG,
				    "state: device %zu has the id of vcpu %zu ('%s')", i, j, d->id);
		if (bridge_named(st, d->id))
			return qd_error_set(err, -EBADMSG,
					    "state: device %zu has the id of a bridge ('%s')", i,
					    d->id);
		if (d->plugging && d->unplugging)
			return qd_error_set(
			    err, -EBADMSG, "state: device %zu (%s) is both plugging and unplugging",
			    i, d->id);
		for (size_t j = 0; j < i; j++) {
			const struct qd_device_record *e = &st->devices[j];

			if (d->node && e->node && !strcmp(e->node, d->node))
				return qd_error_set(
				    err, -EBADMSG,
				    "state: devices %zu and %zu have the same node '%s'", j, i,
				    d->node);
			if (d->netdev && e->netdev && !strcmp(e->netdev, d->netdev))
				return qd_error_set(
				    err, -EBADMSG,
				    "state: devices %zu and %zu have the same netdev '%s'", j, i,
				    d->netdev);
			if (d->memdev && e->memdev && !strcmp(e->memdev, d->memdev))
				return qd_error_set(
				    err, -EBADMSG,
				    "state: devices %zu and %zu have the same memdev '%s'", j, i,
				    d->memdev);
		}
		for (size_t j = 0; d->kind == QD_HOTPLUG_SCSI_HD && j < i; j++)
			if (st->devices[j].kind == QD_HOTPLUG_SCSI_HD &&
			    st->devices[j].scsi_id == d->scsi_id && st->devices[j].lun == d->lun)
				return qd_error_set(err, -EBADMSG,
						    "state: devices %zu and %zu have the same SCSI "
						    "id %d and LUN %d",
						    j, i, d->scsi_id, d->lun);
		r = check_device_shape(st, i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int qd_state_check(const struct qd_state *st, qd_error *err)
{
	int r = check_bridges(st, err);

	if (r == 0)
		r = check_vcpus(st, err);
	if (r == 0)
		r = check_devices(st, err);
	return r;
}
