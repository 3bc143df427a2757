/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm_dir.h - a VM's run directory: made private, refused when someone else controls it, used by fd
 */
#ifndef QD_VM_DIR_H
#define QD_VM_DIR_H

#include <stdbool.h>
#include <sys/types.h>

#include "qemudrv.h"

/* The files the library keeps in a VM's directory. */
#define QD_STATE_FILE "state.json"
#define QD_LOG_FILE   "qemu.log"
#define QD_PID_FILE   "qemu.pid"

/*
 * qd_vm_dir_open() - create (mode 0700) or open <run_dir>/<id> and check it
 *
 * @run_dir (made with its parents if missing) must belong to the caller or
 * root and must not be writable by others unless sticky (/tmp is fine: the
 * sticky bit stops others from renaming our entries). The VM directory must
 * be a real directory (not a symbolic link) owned by the caller; its mode is
 * set to 0700 through the descriptor, so nothing is ever chmod'ed by path.
 *
 * Return: 0 with *@out an O_DIRECTORY descriptor (close-on-exec); -ELOOP (a
 * symbolic link), -EPERM (another owner, or an unsafe run directory),
 * -ENOTDIR, or the errno of mkdir/open, with @err naming the path.
 */
int qd_vm_dir_open(const char *run_dir, const char *id, int *out, qd_error *err);

/*
 * qd_vm_dir_open_file() - openat(@dirfd, @name) with O_NOFOLLOW | O_CLOEXEC added
 * Return: the descriptor or a negative errno (no message).
 */
int qd_vm_dir_open_file(int dirfd, const char *name, int flags, mode_t mode);

/*
 * qd_vm_dir_lock() - take the VM's owner lock (flock on @dirfd, not waiting)
 * Return: 0, -EBUSY when another descriptor (another handle, in this process
 * or another) holds it, or another negative errno.
 */
int qd_vm_dir_lock(int dirfd);

/* qd_vm_dir_unlock() - release the owner lock. */
void qd_vm_dir_unlock(int dirfd);

/*
 * qd_vm_dir_remove() - delete the library's files in the directory, then the directory
 * @run_dir, @id: where it is
 * @dirfd:        the directory as qd_vm_dir_open() opened it
 * @names:        the other file names the library made there (sockets), NULL-terminated
 * @err:          error details, or NULL
 *
 * Only the library's own files are deleted; the directory is removed only if
 * it is still the one @dirfd refers to.
 *
 * Return: 0; -ENOTEMPTY (files the library did not create are left, and
 * named); -ESTALE (the path now names another directory); another errno.
 */
int qd_vm_dir_remove(const char *run_dir, const char *id, int dirfd, const char *const *names,
		     qd_error *err);

#endif
