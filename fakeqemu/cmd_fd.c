/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmd_fd.c - getfd, closefd, add-fd, remove-fd, query-fdsets and -add-fd (see fds.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"
#include "cmdline.h"
#include "fakeqemu.h"
#include "fds.h"
#include "monitor.h"
#include "opts.h"
#include "since.h"

/* A member of a set (MonFdsetFd). */
struct set_fd {
	int fd;
	bool removed;
	char *opaque;
	struct set_fd *next; /* newest first (QLIST_INSERT_HEAD) */
};

/* A set (MonFdset); the list is kept in ascending id order. */
struct fdset {
	int64_t id;
	struct set_fd *fds;
	int ndups; /* open duplicates (dup_fds) */
	struct fdset *next;
};

/* A duplicate handed out by fq_fdset_dup(). */
struct dup_fd {
	int fd;
	struct fdset *set;
	struct dup_fd *next;
};

static struct fdset *fdsets;
static struct dup_fd *dups;

static void set_fd_free(struct set_fd *f)
{
	close(f->fd);
	free(f->opaque);
	free(f);
}

static void fdset_unlink(struct fdset *s)
{
	for (struct fdset **pp = &fdsets; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	free(s);
}

/*
 * monitor_fdset_cleanup(): before 9.1, members go when removed (or unused
 * with no monitor connected) and only while the guest runs; an empty set
 * goes too. From 9.1 remove-fd closes at once and nothing else closes.
 */
static void fdset_cleanup(struct fdset *s)
{
	if (!fq_since(9, 1)) {
		bool running = fq_vm.state == FQ_RUNNING;

		for (struct set_fd **pp = &s->fds; *pp;) {
			struct set_fd *f = *pp;

			if ((f->removed || (s->ndups == 0 && fq_monitors_connected() == 0)) &&
			    running) {
				*pp = f->next;
				set_fd_free(f);
			} else {
				pp = &f->next;
			}
		}
	}
	if (!s->fds && s->ndups == 0)
		fdset_unlink(s);
}

void fq_fdsets_monitor_closed(void)
{
	struct fdset *s = fdsets, *next;

	for (; s; s = next) {
		next = s->next;
		fdset_cleanup(s);
	}
}

/* monitor_fdset_add_fd(). */
static struct fdset *fdset_add_fd(int fd, bool has_id, int64_t id, const char *opaque,
				  struct fq_reply *r)
{
	struct fdset *s = NULL, **pp;
	struct set_fd *f;

	if (has_id)
		for (s = fdsets; s && s->id < id; s = s->next)
			;
	if (!s || !has_id || s->id != id) {
		if (has_id && id < 0) {
			fq_reply_error(r, "GenericError",
				       "Parameter 'fdset-id' expects a non-negative value");
			return NULL;
		}
		if (!has_id) {
			/* The first id not taken, counting up from 0. */
			id = 0;
			for (struct fdset *t = fdsets; t && t->id == id; t = t->next)
				id++;
		}
		s = calloc(1, sizeof(*s));
		if (!s)
			abort();
		s->id = id;
		for (pp = &fdsets; *pp && (*pp)->id < id; pp = &(*pp)->next)
			;
		s->next = *pp;
		*pp = s;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		abort();
	f->fd = fd;
	f->opaque = opaque ? strdup(opaque) : NULL;
	f->next = s->fds;
	s->fds = f;
	return s;
}

void fq_cmd_getfd(json_object *args, struct fq_reply *r)
{
	const char *name = json_object_get_string(json_object_object_get(args, "fdname"));
	struct fq_monitor *m = fq_qmp_current_monitor();
	int fd = fq_monitor_take_fd(m);

	if (fd < 0) {
		fq_reply_error(r, "GenericError", "No file descriptor supplied via SCM_RIGHTS");
		return;
	}
	/* monitor_add_fd() */
	if (name[0] >= '0' && name[0] <= '9') {
		close(fd);
		fq_reply_error(r, "GenericError",
			       "Parameter 'fdname' expects a name not starting with a digit");
		return;
	}
	fq_backend_add_fd(m, name, fd);
}

void fq_cmd_closefd(json_object *args, struct fq_reply *r)
{
	const char *name = json_object_get_string(json_object_object_get(args, "fdname"));
	struct fq_backend *b = fq_backend_find_fd(fq_qmp_current_monitor(), name);

	if (!b) {
		fq_reply_error(r, "GenericError", "File descriptor named '%s' not found", name);
		return;
	}
	fq_backend_remove(b);
}

void fq_cmd_add_fd(json_object *args, struct fq_reply *r)
{
	json_object *id = json_object_object_get(args, "fdset-id");
	json_object *opaque = json_object_object_get(args, "opaque");
	int fd = fq_monitor_take_fd(fq_qmp_current_monitor());
	struct fdset *s;
	json_object *ret;

	if (fd < 0) {
		fq_reply_error(r, "GenericError", "No file descriptor supplied via SCM_RIGHTS");
		return;
	}
	s = fdset_add_fd(fd, id != NULL, id ? json_object_get_int64(id) : 0,
			 opaque ? json_object_get_string(opaque) : NULL, r);
	if (!s) {
		close(fd);
		return;
	}
	ret = json_object_new_object();
	json_object_object_add(ret, "fdset-id", json_object_new_int64(s->id));
	json_object_object_add(ret, "fd", json_object_new_int(fd));
	r->ret = ret;
}

void fq_cmd_remove_fd(json_object *args, struct fq_reply *r)
{
	int64_t id = json_object_get_int64(json_object_object_get(args, "fdset-id"));
	json_object *fdv = json_object_object_get(args, "fd");
	int64_t fd = fdv ? json_object_get_int64(fdv) : -1;

	for (struct fdset *s = fdsets; s; s = s->next) {
		bool found = false;

		if (s->id != id)
			continue;
		for (struct set_fd **pp = &s->fds; *pp;) {
			struct set_fd *f = *pp;

			if (fdv && f->fd != fd) {
				pp = &f->next;
				continue;
			}
			found = true;
			if (fq_since(9, 1)) {
				*pp = f->next;
				set_fd_free(f);
			} else {
				f->removed = true;
				pp = &f->next;
			}
			if (fdv)
				break;
		}
		if (fdv && !found)
			break;
		fdset_cleanup(s);
		return;
	}
	if (fdv)
		fq_reply_error(r, "GenericError",
			       "File descriptor named 'fdset-id:%lld, fd:%lld' not found",
			       (long long)id, (long long)fd);
	else
		fq_reply_error(r, "GenericError", "File descriptor named 'fdset-id:%lld' not found",
			       (long long)id);
}

void fq_cmd_query_fdsets(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();
	size_t n = 0;

	(void)args;
	for (struct fdset *s = fdsets; s; s = s->next)
		n++;
	/* QAPI_LIST_PREPEND twice: sets in descending id order, members oldest first. */
	for (size_t i = n; i-- > 0;) {
		struct fdset *s = fdsets;
		json_object *e = json_object_new_object(), *fds = json_object_new_array();
		size_t nf = 0;

		for (size_t j = 0; j < i; j++)
			s = s->next;
		for (struct set_fd *f = s->fds; f; f = f->next)
			nf++;
		for (size_t k = nf; k-- > 0;) {
			struct set_fd *f = s->fds;
			json_object *fe = json_object_new_object();

			for (size_t j = 0; j < k; j++)
				f = f->next;
			json_object_object_add(fe, "fd", json_object_new_int(f->fd));
			if (f->opaque)
				json_object_object_add(fe, "opaque",
						       json_object_new_string(f->opaque));
			json_object_array_add(fds, fe);
		}
		json_object_object_add(e, "fds", fds);
		json_object_object_add(e, "fdset-id", json_object_new_int64(s->id));
		json_object_array_add(list, e);
	}
	r->ret = list;
}

int fq_fdset_dup(int64_t id, int flags)
{
	for (struct fdset *s = fdsets; s; s = s->next) {
		struct dup_fd *d;
		int fd = -1;

		if (s->id != id)
			continue;
		for (struct set_fd *f = s->fds; f && fd < 0; f = f->next) {
			int fl = fcntl(f->fd, F_GETFL);

			if (fl == -1)
				return -1;
			if ((flags & O_ACCMODE) == (fl & O_ACCMODE))
				fd = f->fd;
		}
		if (fd < 0) {
			errno = EACCES;
			return -1;
		}
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		d = calloc(1, sizeof(*d));
		if (!d)
			abort();
		d->fd = fd;
		d->set = s;
		d->next = dups;
		dups = d;
		s->ndups++;
		return fd;
	}
	errno = ENOENT;
	return -1;
}

void fq_fdset_dup_close(int fd)
{
	for (struct dup_fd **pp = &dups; *pp; pp = &(*pp)->next) {
		struct dup_fd *d = *pp;

		if (d->fd != fd)
			continue;
		*pp = d->next;
		close(fd);
		if (--d->set->ndups == 0)
			fdset_cleanup(d->set);
		free(d);
		return;
	}
	close(fd);
}

void fq_add_fd_option(const char *arg)
{
	struct fq_opts o;
	unsigned long long fd = 0, set = 0;
	const char *opaque;
	int flags, dupfd;
	struct fq_reply r = {0};
	char *location;

	if (asprintf(&location, "-add-fd %s", arg) < 0)
		abort();
	fq_opts_parse_noisily(location, arg, NULL, &o);
	fq_cmdline_check("add-fd", location, &o);
	free(location);
	opaque = fq_opts_get(&o, "opaque");
	if (fq_opts_get_uint(&o, "fd", &fd) < 0)
		fq_die("-add-fd %s: fd option is required and must be non-negative", arg);
	if (fd <= 2)
		fq_die("-add-fd %s: fd cannot be a standard I/O stream", arg);
	/* Inherited descriptors have FD_CLOEXEC clear; QEMU's own have it set. */
	flags = fcntl((int)fd, F_GETFD);
	if (flags == -1 || (flags & FD_CLOEXEC))
		fq_die("-add-fd %s: fd is not valid or already in use", arg);
	if (fq_opts_get_uint(&o, "set", &set) < 0)
		fq_die("-add-fd %s: set option is required and must be non-negative", arg);
	dupfd = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		fq_die("-add-fd %s: error duplicating fd: %s", arg, strerror(errno));
	fdset_add_fd(dupfd, true, (int64_t)set, opaque, &r);
	/* cleanup_add_fd(): the inherited descriptor itself is closed. */
	close((int)fd);
	fq_opts_free(&o);
}
