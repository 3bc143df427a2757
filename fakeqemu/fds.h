/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fds.h - descriptors passed to QEMU: getfd/closefd on a monitor, fd sets
 * (add-fd, remove-fd, query-fdsets, -add-fd) and /dev/fdset/N opens
 */
#ifndef FQ_FDS_H
#define FQ_FDS_H

#include <stdint.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"

/**
 * fq_add_fd_option() - a -add-fd fd=N,set=M[,opaque=S] option
 * @arg: its argument
 *
 * Exits with QEMU's message when the descriptor or the set is not usable.
 */
void fq_add_fd_option(const char *arg);

/**
 * fq_fdset_dup() - monitor_fdset_dup_fd_add(): open /dev/fdset/@id with @flags
 * @id:    the fd set
 * @flags: open(2) flags; a member with the same access mode is duplicated
 *
 * Return: the new descriptor, or -1 with errno ENOENT (no such set) or
 * EACCES (no member with that access mode).
 */
int fq_fdset_dup(int64_t id, int flags);

/**
 * fq_fdset_dup_close() - monitor_fdset_dup_fd_remove(): a duplicate is closed
 * @fd: the descriptor fq_fdset_dup() returned (closed here)
 */
void fq_fdset_dup_close(int fd);

/**
 * fq_fdsets_monitor_closed() - a monitor lost its client: QEMU's
 * monitor_fdsets_cleanup() (before 9.1 that closes unused sets once no
 * monitor is connected and the guest runs)
 */
void fq_fdsets_monitor_closed(void);

/* QMP commands. */
void fq_cmd_getfd(json_object *args, struct fq_reply *r);
void fq_cmd_closefd(json_object *args, struct fq_reply *r);
void fq_cmd_add_fd(json_object *args, struct fq_reply *r);
void fq_cmd_remove_fd(json_object *args, struct fq_reply *r);
void fq_cmd_query_fdsets(json_object *args, struct fq_reply *r);

#endif
