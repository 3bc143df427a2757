/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* devices.h - device and block-node creation shared by QMP commands and the command line */
#ifndef FQ_DEVICES_H
#define FQ_DEVICES_H

#include <stdbool.h>

#include <json-c/json.h>

#include "fakeqemu.h"
#include "qmp_dispatch.h"

/* fq_device_add_cmdline() - a -device option; errors go to @r. */
void fq_device_add_cmdline(const char *text, struct fq_reply *r);

/* fq_blockdev_add_cmdline() - a -blockdev option (JSON or dotted keys); errors go to @r. */
void fq_blockdev_add_cmdline(const char *text, struct fq_reply *r);

/* fq_blockdev_create() - blockdev-add's work, for QMP and the command line. */
void fq_blockdev_create(json_object *args, struct fq_reply *r);

/* fq_pci_add_builtin() - the chipset devices of @machine on its root bus. */
void fq_pci_add_builtin(struct fq_pci_bus *root, const char *machine);

/* fq_guest_resumed() - the VM runs again: unplug requests queued while paused complete. */
void fq_guest_resumed(void);

/* fq_device_kind_name() - "virtio-blk-pci" style name of a PCI device's class, for query-pci. */
json_object *fq_pci_device_json(struct fq_device *d, int bus_number);

/**
 * fq_devices_check_nics() - net_check_clients() for NICs: warn of each NIC
 * from the command line without a netdev ("nic ID has no peer"; an
 * anonymous one is MODEL.N)
 */
void fq_devices_check_nics(void);

/*
 * fq_pci_bus_shpc() - whether hot-plug on @b goes through the bridge's
 * standard hot-plug controller (SHPC): a pci-bridge with shpc=on that ACPI
 * does not handle (a bridge hot-plugged itself, or q35 before 6.1).
 */
bool fq_pci_bus_shpc(const struct fq_pci_bus *b);

#endif
