/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* guest.h - device_del and the guest model: when ACPI unplug completes, and with which events */
#ifndef FQ_GUEST_H
#define FQ_GUEST_H

#include "fakeqemu.h"

/* fq_guest_cpu_plugged() - a booted guest acknowledges a hot-added CPU (ACPI_DEVICE_OST). */
void fq_guest_cpu_plugged(struct fq_device *dev);

/* fq_guest_bus_rescan() - a hot-plug made the guest rescan: lost unplug requests complete. */
void fq_guest_bus_rescan(void);

/* fq_guest_reset() - system_reset: pending PCI unplugs complete (acpi_pcihp_reset()). */
void fq_guest_reset(void);

#endif
