/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vhost.h - the backend side of vhost devices' realize: a vhost-vsock device's
 * /dev/vhost-vsock or passed vhostfd, a vhost-user device's talk to its peer
 */
#ifndef FQ_VHOST_H
#define FQ_VHOST_H

#include <stdbool.h>

#include <json-c/json.h>

#include "fakeqemu.h"
#include "qmp_dispatch.h"

/* fq_vhost_device() - whether @driver is a vhost device whose realize vhost.c does. */
bool fq_vhost_device(const char *driver);

/**
 * fq_vhost_realize() - the vhost part of @dev's realize, as QEMU does it
 * @dev:   the device being added
 * @props: its properties (already type-checked)
 * @r:     receives QEMU's error
 *
 * vhost-vsock: guest-cid checks, the vhostfd (or /dev/vhost-vsock) and
 * VHOST_SET_OWNER on it. vhost-user: the chardev's connection and
 * VHOST_USER_GET_FEATURES to the peer; a peer that hangs up gets each
 * version's retries and texts (5.2's vhost-user-blk then aborts, as it does).
 *
 * Return: false with @r set when QEMU refuses the device.
 */
bool fq_vhost_realize(struct fq_device *dev, json_object *props, struct fq_reply *r);

#endif
