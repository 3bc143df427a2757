/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* devspec.h - one device model: each kind of device as QEMU's property dictionaries, once */
#ifndef QD_DEVSPEC_H
#define QD_DEVSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "qemudrv.h"

/*
 * DOC: device specs
 *
 * A device is described once, here: one function per kind turns its typed
 * description into the property dictionaries QEMU takes, the backends
 * (a block node, a netdev, a memory backend, a chardev, an fsdev) and the
 * frontend (the device), with their names from names.h and the host's
 * adjustments applied. The same dictionaries go onto the command line
 * (argv.c renders them as -blockdev, -netdev, -object, -chardev, -fsdev and
 * -device options, devspec_opts.c) and over QMP (blockdev-add, netdev_add,
 * object-add and device_add take them as they are), so a cold-plugged disk
 * and a hot-plugged one are the same disk: same node name, same
 * properties. Only where it sits differs, and that is an input (struct
 * qd_spec_pci): a bridge slot the library chose, or QEMU's choice on the
 * root bus.
 */

/* What a part of a device is, i.e. which QEMU option and QMP command take it. */
enum qd_part_kind {
	QD_PART_BLOCKDEV, /* -blockdev, blockdev-add; named by "node-name" */
	QD_PART_NETDEV,	  /* -netdev, netdev_add; named by "id" */
	QD_PART_OBJECT,	  /* -object, object-add; named by "id" */
	QD_PART_CHARDEV,  /* -chardev (command line only) */
	QD_PART_FSDEV,	  /* -fsdev (command line only) */
	QD_PART_DEVICE,	  /* -device, device_add; named by "id" */
};

/* struct qd_part - one dictionary: its kind and its properties (owned). */
struct qd_part {
	enum qd_part_kind kind;
	json_object *props;
};

#define QD_SPEC_MAX_PARTS 4

/* struct qd_spec - a device: its backends in the order QEMU needs them, the frontend last. */
struct qd_spec {
	struct qd_part part[QD_SPEC_MAX_PARTS];
	size_t n;
};

/* struct qd_spec_host - what of the host changes devices. */
struct qd_spec_host {
	bool
	    nested_kvm; /* KVM on a host that is a VM: virtio devices are legacy (disable-modern) */
};

/* struct qd_spec_pci - where a PCI device goes: @bus (a bridge) slot @slot, or (NULL) QEMU's
 * choice. */
struct qd_spec_pci {
	const char *bus;
	int slot;
};

/* struct qd_spec_scsi - a SCSI disk's address on scsi0.0, or (!@addressed) QEMU's choice. */
struct qd_spec_scsi {
	bool addressed;
	int scsi_id, lun;
};

/*
 * struct qd_spec_nic - a virtio-net NIC on a tap: @ifname names the tap
 * (command line), or, without it, QEMU gets @queues tap descriptors (and as
 * many vhost ones with @vhost_fds) by their monitor names (names.h).
 */
struct qd_spec_nic {
	const char *id;
	const char *mac; /* or NULL: QEMU's */
	unsigned queues; /* >= 1; more is multi-queue */
	const char *ifname;
	bool vhost;
	bool vhost_fds;
};

/* qd_spec_frontend() - the device part of @s (its last). */
static inline struct qd_part *qd_spec_frontend(struct qd_spec *s)
{
	return &s->part[s->n - 1];
}

/* qd_part_name() - what names a part in QEMU (its node-name or id), borrowed; NULL if none. */
const char *qd_part_name(const struct qd_part *p);

void qd_spec_clear(struct qd_spec *s);

/*
 * The kinds. Each fills @out (cleared first) and returns 0 or -ENOMEM;
 * descriptions were checked by the caller (ids valid, paths present).
 */
int qd_spec_virtio_disk(const struct qd_block_device *d, const struct qd_spec_pci *at,
			const struct qd_spec_host *host, struct qd_spec *out);
int qd_spec_scsi_disk(const struct qd_block_device *d, const struct qd_spec_scsi *at,
		      struct qd_spec *out);
int qd_spec_vfio(const char *id, const char *bdf, const struct qd_spec_pci *at,
		 struct qd_spec *out);
int qd_spec_vcpu(const char *id, const char *type, json_object *slot_props, struct qd_spec *out);
int qd_spec_nic(const struct qd_spec_nic *nic, const struct qd_spec_pci *at,
		const struct qd_spec_host *host, struct qd_spec *out);
int qd_spec_memory(const struct qd_memory_device *m, const struct qd_spec_pci *at,
		   struct qd_spec *out);
int qd_spec_9p(const char *id, const char *path, const char *tag, const struct qd_spec_host *host,
	       struct qd_spec *out);
int qd_spec_serial(const char *id, const char *socket_path, const char *port_name,
		   struct qd_spec *out);
int qd_spec_vhost_user(const char *id, const char *socket_path, const char *kind, const char *mac,
		       struct qd_spec *out);
int qd_spec_bridge(const char *id, const char *root_bus, int chassis, int addr,
		   struct qd_spec *out);

/* qemudrv's own devices (ids from names.h). */
int qd_spec_serial_controller(const struct qd_spec_host *host, struct qd_spec *out);
int qd_spec_console(const char *socket_path, struct qd_spec *out);
int qd_spec_scsi_controller(bool iothread, const struct qd_spec_host *host, struct qd_spec *out);

/* qd_spec_pci_addr() - @slot as QEMU's "addr" property takes it: "0x<slot>" into @buf. */
void qd_spec_pci_addr(int slot, char *buf, size_t size);

/*
 * qd_part_to_opts() - @p as a command-line option value ("virtio-blk-pci,id=d0,..."):
 * the kind's implied key first, nested dictionaries as dotted keys, booleans
 * on/off, every ',' in a value doubled (malloc'd; NULL: ENOMEM).
 */
char *qd_part_to_opts(const struct qd_part *p);

/* qd_escape_opt() - @value for QEMU's "a=b,c=d" syntax: every ',' doubled (malloc'd). */
char *qd_escape_opt(const char *value);

/* qd_part_option() - the command-line option that takes @kind ("-device", ...). */
const char *qd_part_option(enum qd_part_kind kind);

#endif
