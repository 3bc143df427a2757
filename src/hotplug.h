/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug.h - shared steps of hot-plug: state saving, device presence, confirmed device_del */
#ifndef QD_HOTPLUG_H
#define QD_HOTPLUG_H

#include <stdbool.h>

#include "qemudrv.h"
#include "vm_private.h"

/* qd_hp_begin() - lock @vm and check it is started; unlocks itself on failure. */
int qd_hp_begin(struct qd_vm *vm, int timeout_ms, qd_error *err);

/* qd_hp_save() - write the state (durably). */
int qd_hp_save(struct qd_vm *vm, qd_error *err);

/* qd_hp_save_intent() - write the state before a step whose outcome may be lost (no fsync). */
int qd_hp_save_intent(struct qd_vm *vm, qd_error *err);

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
 * qd_hp_device_del() - device_del @id with the DEVICE_DELETED wait armed
 * first; done when an event names the device (or @alt_path, e.g. a CPU's
 * lapic) and @gone agrees, or when QEMU says DeviceNotFound. After the
 * deadline @gone decides (an event may have been lost).
 * Return: 0 removed, -ETIMEDOUT still there, -EREMOTEIO refused, other errno.
 */
int qd_hp_device_del(struct qd_vm *vm, const char *id, const char *alt_path, qd_hp_gone_fn gone,
		     int timeout_ms, qd_error *err);

#endif
