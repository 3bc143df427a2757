/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm_dir.c - a VM's run directory: made private, refused when someone else controls it, used by fd
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "vm_dir.h"

/*
 * DOC: why everything goes through descriptors
 *
 * A run directory may be shared (/tmp, or a directory another user can
 * write). Whoever can create <run_dir>/<id> first decides what it is: a
 * symbolic link to /etc, or a directory of their own into which the library
 * would write its state and QEMU's log. So the VM directory is opened once,
 * with O_NOFOLLOW, checked through that descriptor (owner, type), made 0700
 * with fchmod(), and every later file operation is relative to it with
 * O_NOFOLLOW: nothing is resolved by path again except the unix sockets,
 * which have no *at() form (the directory being ours and 0700 protects them).
 */

/* Create @path's missing components, 0755 like any run directory. */
static int mkdir_parents(const char *path, qd_error *err)
{
	_cleanup_free_ char *copy = strdup(path);

	if (!copy)
		return qd_error_set(err, -ENOMEM, "out of memory");
	for (char *p = copy + 1;; p++) {
		bool last = !*p;

		if (*p && *p != '/')
			continue;
		*p = '\0';
		if (*copy && mkdir(copy, 0755) < 0 && errno != EEXIST)
			return qd_error_set(err, -errno, "cannot create %s: %s", copy,
					    strerror(errno));
		if (last)
			return 0;
		*p = '/';
	}
}

/* The run directory must not let another user replace the entries in it. */
static int check_run_dir(int fd, const char *run_dir, qd_error *err)
{
	struct stat st;
	uid_t me = geteuid();

	if (fstat(fd, &st) < 0)
		return qd_error_set(err, -errno, "cannot stat %s: %s", run_dir, strerror(errno));
	if (st.st_uid != me && st.st_uid != 0)
		return qd_error_set(err, -EPERM,
				    "run directory %s belongs to uid %u, neither you (uid %u) nor "
				    "root: refusing to create VMs in it",
				    run_dir, (unsigned)st.st_uid, (unsigned)me);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return qd_error_set(err, -EPERM,
				    "run directory %s is writable by other users and not sticky "
				    "(mode %04o): refusing to create VMs in it",
				    run_dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

int qd_vm_dir_open(const char *run_dir, const char *id, int *out, qd_error *err)
{
	_cleanup_close_ int runfd = -1, fd = -1;
	struct stat st;
	uid_t me = geteuid();
	int r;

	*out = -1;
	r = mkdir_parents(run_dir, err);
	if (r < 0)
		return r;
	runfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (runfd < 0)
		return qd_error_set(err, -errno, "cannot open run directory %s: %s", run_dir,
				    strerror(errno));
	r = check_run_dir(runfd, run_dir, err);
	if (r < 0)
		return r;
	if (mkdirat(runfd, id, 0700) < 0 && errno != EEXIST)
		return qd_error_set(err, -errno, "cannot create %s/%s: %s", run_dir, id,
				    strerror(errno));
	fd = openat(runfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOTDIR) {
		/* O_NOFOLLOW on a symbolic link gives ENOTDIR with O_DIRECTORY: say which. */
		if (fstatat(runfd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			errno = ELOOP;
		else
			errno = ENOTDIR;
	}
	if (fd < 0 && errno == ELOOP)
		return qd_error_set(err, -ELOOP,
				    "VM directory %s/%s is a symbolic link: refusing to use it",
				    run_dir, id);
	if (fd < 0 && errno == ENOTDIR)
		return qd_error_set(err, -ENOTDIR, "%s/%s is not a directory", run_dir, id);
	if (fd < 0)
		return qd_error_set(err, -errno, "cannot open %s/%s: %s", run_dir, id,
				    strerror(errno));
	if (fstat(fd, &st) < 0)
		return qd_error_set(err, -errno, "cannot stat %s/%s: %s", run_dir, id,
				    strerror(errno));
	if (st.st_uid != me)
		return qd_error_set(err, -EPERM,
				    "VM directory %s/%s belongs to uid %u, not to you (uid %u): "
				    "refusing to use it",
				    run_dir, id, (unsigned)st.st_uid, (unsigned)me);
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return qd_error_set(err, -errno, "cannot make %s/%s private: %s", run_dir, id,
				    strerror(errno));
	*out = steal_fd(&fd);
	return 0;
}

int qd_vm_dir_open_file(int dirfd, const char *name, int flags, mode_t mode)
{
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);

	return fd < 0 ? -errno : fd;
}

int qd_vm_dir_lock(int dirfd)
{
	for (;;) {
		if (flock(dirfd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	}
}

void qd_vm_dir_unlock(int dirfd)
{
	if (dirfd >= 0)
		flock(dirfd, LOCK_UN);
}

/* The entries of @dirfd, for the error message of a directory that is not empty. */
static char *list_entries(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char *names = NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		char *joined;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (asprintf(&joined, "%s%s%s", names ? names : "", names ? ", " : "", e->d_name) <
		    0)
			break;
		free(names);
		names = joined;
	}
	closedir(d);
	return names;
}

int qd_vm_dir_remove(const char *run_dir, const char *id, int dirfd, const char *const *names,
		     qd_error *err)
{
	static const char *const own[] = {QD_STATE_FILE, QD_LOG_FILE, QD_PID_FILE, NULL};
	_cleanup_close_ int runfd = -1;
	struct stat ours, now;

	for (const char *const *n = own; *n; n++)
		if (unlinkat(dirfd, *n, 0) < 0 && errno != ENOENT)
			return qd_error_set(err, -errno, "cannot remove %s/%s/%s: %s", run_dir, id,
					    *n, strerror(errno));
	for (const char *const *n = names; n && *n; n++)
		if (unlinkat(dirfd, *n, 0) < 0 && errno != ENOENT)
			return qd_error_set(err, -errno, "cannot remove %s/%s/%s: %s", run_dir, id,
					    *n, strerror(errno));
	runfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (runfd < 0)
		return qd_error_set(err, -errno, "cannot open run directory %s: %s", run_dir,
				    strerror(errno));
	if (fstat(dirfd, &ours) < 0 || fstatat(runfd, id, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return qd_error_set(err, -errno, "cannot stat %s/%s: %s", run_dir, id,
				    strerror(errno));
	if (ours.st_dev != now.st_dev || ours.st_ino != now.st_ino)
		return qd_error_set(err, -ESTALE,
				    "%s/%s is no longer the VM's directory (it was replaced): left "
				    "alone",
				    run_dir, id);
	if (unlinkat(runfd, id, AT_REMOVEDIR) < 0) {
		int e = errno;

		if (e == ENOTEMPTY || e == EEXIST) {
			_cleanup_free_ char *left = list_entries(dirfd);

			return qd_error_set(err, -ENOTEMPTY,
					    "VM directory %s/%s holds files qemudrv did not create "
					    "(%s): left in place",
					    run_dir, id, left ? left : "?");
		}
		return qd_error_set(err, -e, "cannot remove %s/%s: %s", run_dir, id, strerror(e));
	}
	return 0;
}
