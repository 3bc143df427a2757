/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* guest.h - device_del and the guest model: when ACPI unplug completes, and with which events */
#ifndef FQ_GUEST_H
#define FQ_GUEST_H

#include <json-c/json.h>

#include "fakeqemu.h"
#include "qmp_dispatch.h"

/* fq_guest_cpu_plugged() - a booted guest acknowledges a hot-added CPU (ACPI_DEVICE_OST). */
void fq_guest_cpu_plugged(struct fq_device *dev);

/**
 * fq_guest_dimm_plugged() - a booted guest acknowledges a hot-plugged DIMM
 * (ACPI_DEVICE_OST, slot-type DIMM; not for NVDIMMs)
 * @dev: the pc-dimm
 */
void fq_guest_dimm_plugged(struct fq_device *dev);

/* query-acpi-ospm-status: the guest's last _OST answer per DIMM and CPU slot. */
void fq_cmd_query_acpi_ospm_status(json_object *args, struct fq_reply *r);

/* fq_guest_bus_rescan() - a hot-plug made the guest rescan: lost unplug requests complete. */
void fq_guest_bus_rescan(void);

/* fq_guest_reset() - system_reset: pending PCI unplugs complete (acpi_pcihp_reset()). */
void fq_guest_reset(void);

#endif
