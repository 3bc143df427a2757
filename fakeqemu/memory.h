/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memory.h - memory devices (pc-dimm, nvdimm, virtio-mem-pci, ...): the
 * device memory region that -m slots=,maxmem= sets up, their slots,
 * addresses and backends, and the queries that list them
 *
 * A type is a memory device when it implements QEMU's "memory-device"
 * interface (recorded); the pc-dimm family also takes a DIMM slot. The
 * region starts after the RAM above 4 GiB (1 GiB aligned; from QEMU 7.1 at
 * 1 TiB past AMD's HyperTransport range when the CPU is AMD's and the
 * address space would reach it), holds maxmem - RAM for devices plus 1 GiB
 * per slot; devices go at the first free address aligned to 2 MiB.
 * With slots or maxmem QEMU creates one NUMA node (node 0), which the CPUs
 * then report as node-id.
 */
#ifndef FQ_MEMORY_H
#define FQ_MEMORY_H

#include <stdbool.h>

#include <json-c/json.h>

#include "fakeqemu.h"

struct fq_backend;
#include "qmp_dispatch.h"

/**
 * fq_memory_machine_init() - pc_memory_init(): the memory map of pc and q35
 *
 * Exits as QEMU does when the address space exceeds the CPU's phys-bits
 * (7.1 on), with more than 256 slots or a maxmem not page aligned.
 */
void fq_memory_machine_init(void);

/**
 * fq_memory_backend_size() - a memory backend's "size" in bytes
 * @b: the backend
 * @out: its size
 *
 * Return: false when it has none (or not one QEMU reads as a size).
 */
bool fq_memory_backend_size(const struct fq_backend *b, uint64_t *out);

/**
 * fq_memory_backend_mapped() - where memory backend @memdev's region is
 * mapped in the device memory (a pc-dimm's or virtio-mem's)
 * @memdev: the backend's id
 * @offset: its offset in /machine/device-memory[0]
 *
 * Return: false when no such device uses it (the region is not mapped).
 */
bool fq_memory_backend_mapped(const char *memdev, uint64_t *offset);

/**
 * fq_memory_hotplug_configured() - whether -m gave slots or a maxmem above
 * the RAM on pc or q35 (QEMU then has device memory and its ACPI registers)
 */
bool fq_memory_hotplug_configured(void);

/**
 * fq_memory_machine_prop() - a machine property the memory map decides
 * @path: a canonical QOM path ("/machine", "/machine/i440fx", ...)
 * @name: the property
 *
 * Return: QEMU's JSON text of its value (free it), or NULL when it is not
 * one of them (memory, device-memory-region-size, nvdimm, pci-hole64-*).
 */
char *fq_memory_machine_prop(const char *path, const char *name);

/**
 * fq_memory_is_device() - whether type @qt is a memory device
 * @qt: a QOM type index
 *
 * Return: true when it implements "memory-device".
 */
bool fq_memory_is_device(int qt);

/**
 * fq_memory_pre_plug() - the machine's and the device's checks of a memory
 * device (slots, memdev, space, alignment, node), in QEMU's order; on success
 * the device has its slot and address, and its memdev is claimed
 * @dev:          the device being created (props set)
 * @memdev_first: a missing memdev is found before a missing region (virtio-mem
 *                before QEMU 9.x: the type's recorded device_add tells)
 * @r:            receives QEMU's error
 *
 * Return: false on error (nothing kept).
 */
bool fq_memory_pre_plug(struct fq_device *dev, bool memdev_first, struct fq_reply *r);

/**
 * fq_memory_gone() - @dev left the model: its slot, address and memdev are free
 * @dev: the device
 */
void fq_memory_gone(struct fq_device *dev);

/**
 * fq_memory_numa_nodes() - the NUMA nodes QEMU created on its own
 *
 * Return: 1 with memory hot-plug configured (slots or maxmem), else 0.
 */
int fq_memory_numa_nodes(void);

/**
 * fq_memory_qom_value() - a memory device's run-time property as qom-get prints it
 * @dev:  the device
 * @name: the property ("addr", "size", "slot", "node", "requested-size", ...)
 *
 * Return: a malloc'd JSON text, or NULL when the model has no say.
 */
char *fq_memory_qom_value(const struct fq_device *dev, const char *name);

/**
 * fq_memory_qom_set() - qom-set of a memory device's run-time property
 * (virtio-mem's requested-size)
 * @dev:   the device
 * @name:  the property
 * @value: the new value
 * @r:     receives QEMU's error
 *
 * Return: false when the model does not take it (the caller decides).
 */
bool fq_memory_qom_set(struct fq_device *dev, const char *name, json_object *value,
		       struct fq_reply *r);

/**
 * fq_memory_is_dimm() - whether @dev takes a DIMM slot (ACPI memory hot-plug)
 * @dev: a device
 *
 * Return: true for the pc-dimm family.
 */
bool fq_memory_is_dimm(const struct fq_device *dev);

/**
 * fq_memory_dimm_slot() - the DIMM slot of @dev
 * @dev: a device of the pc-dimm family
 *
 * Return: its slot.
 */
int fq_memory_dimm_slot(const struct fq_device *dev);

/**
 * fq_memory_unplug_refused() - device_del of a memory device QEMU refuses
 * @dev: the device
 * @r: the reply, given the error when refused
 *
 * NVDIMMs never unplug; virtio-mem only from 8.2, and only with nothing
 * plugged or requested.
 *
 * Return: true when refused (@r says why).
 */
bool fq_memory_unplug_refused(const struct fq_device *dev, struct fq_reply *r);

/**
 * fq_memory_guest_resumed() - the VM runs again: a guest's virtio-mem driver
 * resumes plugging toward each device's requested size
 */
void fq_memory_guest_resumed(void);

/**
 * fq_memory_dimm_id_at() - the id of the DIMM in ACPI memory slot @slot
 * @slot: a slot number
 *
 * Return: its id, or NULL when the slot is free, holds an NVDIMM (not in
 * ACPI's memory hot-plug table) or a DIMM without id.
 */
const char *fq_memory_dimm_id_at(int slot);

/* QMP commands. */
void fq_cmd_query_memory_devices(json_object *args, struct fq_reply *r);
void fq_cmd_query_memory_size_summary(json_object *args, struct fq_reply *r);

#endif
