/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* block.h - how devices attach to block nodes: the "drive" property and QEMU's permission checks */
#ifndef FQ_BLOCK_H
#define FQ_BLOCK_H

#include <stdbool.h>

#include <json-c/json.h>

#include "fakeqemu.h"
#include "qmp_dispatch.h"

/**
 * fq_block_check_attach() - resolve a device's "drive" property and check its use
 * @dev:   the device being created (not yet linked into the machine)
 * @drive: the property's value (a node name or a -drive id), or NULL when not set
 * @props: all of the device's properties (share-rw, read-only, ... decide permissions)
 * @r:     receives QEMU's error when the drive is missing or the use conflicts
 *
 * Sets @dev->drive on success; nothing else changes until fq_block_attach().
 *
 * Return: true when the device may use the node.
 */
bool fq_block_check_attach(struct fq_device *dev, const char *drive, json_object *props,
			   struct fq_reply *r);

/**
 * fq_block_attach() - commit what fq_block_check_attach() checked: @dev now uses its drive
 * @dev: the device, realized
 */
void fq_block_attach(struct fq_device *dev);

/**
 * fq_block_detach() - @dev goes away: its drive's node is free again
 * @dev: the device
 */
void fq_block_detach(struct fq_device *dev);

#endif
