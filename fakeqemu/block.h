/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * block.h - the block layer: nodes (-blockdev, blockdev-add, -drive), BlockBackends,
 * QEMU's permission model and image locking, and how devices attach to them
 *
 * DOC: Theory of operation
 *
 * A node is opened as QEMU opens it: a protocol node ("file", "host_device")
 * opens the host file (or a /dev/fdset/N duplicate) and checks its type; a
 * format node ("raw", "qcow2") reads its child's data (qcow2's header gives
 * the virtual size). Every user of a node - a parent node through a child
 * role, or a BlockBackend - holds permissions (consistent read, write,
 * write unchanged, resize) and shares others; each node derives what it
 * needs from its children as block.c's bdrv_default_perms() does, users
 * that conflict are refused with QEMU's text, and protocol nodes take the
 * same OFD byte-range locks on their file as file-posix, so two nodes (or
 * two processes) on one image conflict as they do under QEMU. A device uses
 * a BlockBackend: the named one of a -drive, or an anonymous one on a node.
 */
#ifndef FQ_BLOCK_H
#define FQ_BLOCK_H

#include <stdbool.h>

#include <json-c/json.h>

#include "fakeqemu.h"
#include "qmp_dispatch.h"

/**
 * fq_block_check_attach() - resolve a device's "drive" property and take its permissions
 * @dev:   the device being created (not yet linked into the machine)
 * @drive: the property's value (a -drive id or a node name), or NULL when not set
 * @props: all of the device's properties ("share-rw" decides what it shares)
 * @r:     receives QEMU's error when the drive is missing, empty, or its use conflicts
 *
 * On success the device holds a BlockBackend on the node and @dev->drive is
 * its root node; fq_block_attach() makes that final, fq_block_detach() (also
 * after a later failure) gives it back.
 *
 * Return: true when the device may use the drive.
 */
bool fq_block_check_attach(struct fq_device *dev, const char *drive, json_object *props,
			   struct fq_reply *r);

/**
 * fq_block_attach() - commit what fq_block_check_attach() checked: @dev now uses its drive
 * @dev: the device, realized
 */
void fq_block_attach(struct fq_device *dev);

/**
 * fq_block_detach() - @dev goes away (or failed to realize): its BlockBackend lets go
 * @dev: the device
 */
void fq_block_detach(struct fq_device *dev);

/**
 * fq_blockdev_option() - a -blockdev option (JSON or dotted keys), created by fq_blocks_create()
 * @arg: its argument
 */
void fq_blockdev_option(const char *arg);

/**
 * fq_drive_option() - a -drive option, checked at parse time as QemuOpts does
 * @arg: its argument
 */
void fq_drive_option(const char *arg);

/**
 * fq_blocks_create() - configure_blockdev(): every -blockdev, then every -drive
 *
 * Exits with QEMU's message on the first failure.
 */
void fq_blocks_create(void);

/**
 * fq_block_state_json() - the BlockBackends, for x-fakeqemu-state
 *
 * Return: a new array of {"name" (the -drive id, or null), "node-name" (its
 * root, or null when empty), "device" (id or QOM path, or null)}.
 */
json_object *fq_block_state_json(void);

#endif
