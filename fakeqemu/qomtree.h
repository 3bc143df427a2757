/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qomtree.h - the QOM composition tree: qom-list, qom-get and qom-set
 * over the recorded machine tree and the devices, CPUs and backends of the
 * model.
 *
 * DOC: Theory of operation
 *
 * What -nodefaults -S builds (/machine and its chipset, the boot CPU, the
 * containers) is the tree recorded from the real binary for the machine
 * type (qomdata.h). The model adds: devices under /machine/peripheral and
 * /machine/peripheral-anon (each answered from the object recorded for its
 * type after a real device_add, or from its qom-list-properties), boot and
 * hot-plugged CPUs (the CPU object recorded for the -cpu model under the
 * accelerator, with the -cpu flags and the CPU's topology applied), and
 * the objects and chardevs of the backend registry under /objects and
 * /chardevs. Containers list their children in GLib's hash order, with the
 * history of insertions and removals QEMU made (gtable.h). Paths resolve as
 * object_resolve_path() does: absolute, or a partial path that must match
 * exactly one object.
 */
#ifndef FQ_QOMTREE_H
#define FQ_QOMTREE_H

#include <stdbool.h>

#include "fakeqemu.h"

/**
 * fq_qom_peripheral_added() - a device got its id (qdev_set_id()): it is a
 * child of /machine/peripheral from now on, also if its creation fails later
 * @id: the device's id
 */
void fq_qom_peripheral_added(const char *id);

/**
 * fq_qom_peripheral_removed() - the device with @id left /machine/peripheral
 * (creation failed after qdev_set_id(), or it was unplugged)
 * @id: the device's id
 */
void fq_qom_peripheral_removed(const char *id);

/**
 * fq_qom_anon_path() - the path an anonymous device gets: QEMU numbers them
 * with a counter that failed creations also advance
 *
 * Return: a malloc'd "/machine/peripheral-anon/device[N]".
 */
char *fq_qom_anon_path(void);

/* QMP commands. */
/**
 * fq_qom_value() - what qom-get of @name at @path answers, as QEMU's JSON text
 * @path: a QOM path (partial paths resolve as for qom-get)
 * @name: a property name
 *
 * Return: a new string (free it), or NULL when there is no such property or
 * its value was not recorded.
 */
char *fq_qom_value(const char *path, const char *name);

/**
 * fq_qom_values() - fq_qom_value() of several properties of one object,
 * resolved and computed once
 * @path: a QOM path
 * @names: the property names
 * @n: how many
 * @out: receives each value as a new string (free them), or NULL
 */
void fq_qom_values(const char *path, const char *const *names, size_t n, char **out);

void fq_cmd_qom_list(json_object *args, struct fq_reply *r);
void fq_cmd_qom_get(json_object *args, struct fq_reply *r);
void fq_cmd_qom_set(json_object *args, struct fq_reply *r);

#endif
