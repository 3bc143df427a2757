/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug.h - shared steps of hot-plug: state saving, device presence, confirmed device_del */
#ifndef QD_HOTPLUG_H
#define QD_HOTPLUG_H

#include <stdbool.h>

#include "qemudrv.h"
#include "vm_private.h"

/*
 * qd_hp_begin() - lock @vm and make sure it talks to its running QEMU
 * (qd_vm_connect()); unlocks itself on failure.
 */
int qd_hp_begin(struct qd_vm *vm, int timeout_ms, qd_error *err);

/*
 * qd_hp_save() - write the state: atomically, not synced, since hot-plug
 * records die with QEMU (see DOC in vm.c). Also before a step whose outcome
 * may be lost, so that the intent is on record.
 */
int qd_hp_save(struct qd_vm *vm, qd_error *err);

/* qd_hp_peripheral() - ids of /machine/peripheral (qom-list); *@out NULL-terminated. */
int qd_hp_peripheral(struct qd_vm *vm, int timeout_ms, char ***out, qd_error *err);

/* qd_hp_has() - whether @id is in a list from qd_hp_peripheral(). */
bool qd_hp_has(char **ids, const char *id);

void qd_hp_strv_free(char **v);

/* A check that a device is really gone, after its event or its deadline. */
typedef int (*qd_hp_gone_fn)(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err);

/* qd_hp_gone_from_peripheral() - 1 when qom-list no longer lists @id. */
int qd_hp_gone_from_peripheral(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err);

/*
 * qd_hp_device_del() - device_del @id with the wait for its events armed
 * first; done when a DEVICE_DELETED names the device (or @alt_path, e.g. a
 * CPU's lapic, and @gone agrees), or when QEMU says DeviceNotFound; over at
 * once when the guest refuses (DEVICE_UNPLUG_GUEST_ERROR, or an _OST failure
 * for the eject). After the deadline @gone decides (an event may be lost).
 * Return: 0 removed, -ETIMEDOUT still there, -EBUSY the guest refused,
 * -EREMOTEIO QEMU refused, other errno.
 */
int qd_hp_device_del(struct qd_vm *vm, const char *id, const char *alt_path, qd_hp_gone_fn gone,
		     int timeout_ms, qd_error *err);

/* qd_hp_cpu_listed() - whether a query-cpus-fast result lists vCPU @id. */
bool qd_hp_cpu_listed(json_object *cpus, const char *id);

/* qd_hp_claim() - the events of @id are the library's (see qd_qmp_claim()). */
void qd_hp_claim(struct qd_vm *vm, const char *id);

/* qd_hp_unclaim() - @id's record is gone. */
void qd_hp_unclaim(struct qd_vm *vm, const char *id);

#endif
