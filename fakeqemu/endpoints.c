/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* endpoints.c - the QMP monitors a command line asks for, and how a client reaches each */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "endpoints.h"
#include "opts.h"

/*
 * QEMU takes QMP from -qmp / -qmp-pretty (legacy chardev syntax:
 * "unix:PATH,server=on,wait=off") and from "-chardev socket,id=X,..." used
 * by "-mon chardev=X,mode=control". Monitors are numbered as QEMU numbers
 * its -monitor / -qmp options (compat_monitorN) so the chardev ids stay
 * what the client would see.
 */

static char *dup_join(const char *a, const char *b, const char *c, const char *d)
{
	char *s;

	if (asprintf(&s, "%s%s%s%s", a, b, c ? c : "", d ? d : "") < 0)
		return NULL;
	return s;
}

static bool is_opt(const char *arg, const char *name)
{
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return !strcmp(arg, name);
}

static void note(char **err, const char *fmt, const char *what)
{
	char *prev = *err, *msg;

	if (asprintf(&msg, fmt, what) < 0)
		return;
	if (prev) {
		char *both;

		if (asprintf(&both, "%s; %s", prev, msg) >= 0) {
			free(msg);
			msg = both;
		}
		free(prev);
	}
	*err = msg;
}

static struct fq_endpoint *grow(struct fq_endpoint **out, size_t *n)
{
	struct fq_endpoint *e = realloc(*out, (*n + 1) * sizeof(*e));

	if (!e)
		abort();
	*out = e;
	e = &e[(*n)++];
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->mon_index = -1;
	snprintf(e->label, sizeof(e->label), "m%zu", *n - 1);
	return e;
}

static int from_qmp(struct fq_endpoint *e, const char *arg, int index, int compat, bool pretty,
		    char **err)
{
	struct fq_opts o;
	const char *backend;
	char id[32];

	fq_opts_parse(arg, "backend", &o);
	backend = fq_opts_get(&o, "backend");
	if (!backend || strncmp(backend, "unix:", 5) || !backend[5]) {
		fq_opts_free(&o);
		note(err, "-qmp %s: only unix: sockets are recorded", arg);
		return -1;
	}
	e->path = strdup(backend + 5);
	e->server = fq_opts_get_bool(&o, "server", false) == 1;
	e->wait = fq_opts_get_bool(&o, "wait", true) == 1;
	e->pretty = pretty;
	e->opt_index = index;
	snprintf(id, sizeof(id), "compat_monitor%d", compat);
	e->chardev_id = strdup(id);
	e->how = dup_join(pretty ? "-qmp-pretty " : "-qmp ", arg, NULL, NULL);
	fq_opts_free(&o);
	return 0;
}

int fq_endpoints_find(int argc, char **argv, struct fq_endpoint **out, size_t *n, char **err)
{
	int compat = 0;

	*out = NULL;
	*n = 0;
	*err = NULL;
	for (int i = 1; i < argc; i++) {
		bool qmp = is_opt(argv[i], "qmp"), pretty = is_opt(argv[i], "qmp-pretty");

		if ((qmp || pretty || is_opt(argv[i], "monitor")) && i + 1 < argc) {
			if (qmp || pretty) {
				struct fq_endpoint *e = grow(out, n);

				if (from_qmp(e, argv[i + 1], i, compat, pretty, err) < 0) {
					free(e->path);
					(*n)--;
				}
			}
			compat++;
			i++;
			continue;
		}
		if (is_opt(argv[i], "mon") && i + 1 < argc) {
			struct fq_opts mo, co;
			const char *id, *mode;
			int c;

			fq_opts_parse(argv[i + 1], "chardev", &mo);
			id = fq_opts_get(&mo, "chardev");
			mode = fq_opts_get(&mo, "mode");
			if (!id || !mode || strcmp(mode, "control")) {
				fq_opts_free(&mo);
				i++;
				continue;
			}
			/* The -chardev it names (QEMU requires it on the command line). */
			for (c = 1; c < argc - 1; c++) {
				if (!is_opt(argv[c], "chardev"))
					continue;
				fq_opts_parse(argv[c + 1], "backend", &co);
				if (fq_opts_get(&co, "id") && !strcmp(fq_opts_get(&co, "id"), id))
					break;
				fq_opts_free(&co);
			}
			if (c >= argc - 1) {
				fq_opts_free(&mo);
				i++;
				continue; /* QEMU itself will complain */
			}
			if (strcmp(fq_opts_get(&co, "backend"), "socket") ||
			    (!fq_opts_get(&co, "path") && !fq_opts_get(&co, "fd"))) {
				note(err, "-chardev %s: only unix socket QMP chardevs are recorded",
				     argv[c + 1]);
			} else {
				struct fq_endpoint *e = grow(out, n);

				e->opt_index = c;
				e->mon_index = i;
				e->chardev_id = strdup(id);
				e->pretty = fq_opts_get_bool(&mo, "pretty", false) == 1;
				e->server = fq_opts_get_bool(&co, "server", false) == 1;
				e->wait = fq_opts_get_bool(&co, "wait", true) == 1;
				if (fq_opts_get(&co, "path"))
					e->path = strdup(fq_opts_get(&co, "path"));
				else
					e->fd = atoi(fq_opts_get(&co, "fd"));
				e->how = dup_join("-chardev ", argv[c + 1], " -mon ", argv[i + 1]);
			}
			fq_opts_free(&co);
			fq_opts_free(&mo);
			i++;
		}
	}
	return 0;
}

void fq_endpoints_other_sockets(int argc, char **argv, const struct fq_endpoint *qmp, size_t nqmp,
				struct fq_endpoint **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	for (int i = 1; i + 1 < argc; i++) {
		struct fq_opts co;
		const char *id;
		bool taken = false;

		if (!is_opt(argv[i], "chardev"))
			continue;
		fq_opts_parse(argv[i + 1], "backend", &co);
		id = fq_opts_get(&co, "id");
		for (size_t k = 0; id && k < nqmp; k++)
			taken |= !strcmp(qmp[k].chardev_id, id);
		if (id && !taken && !strcmp(fq_opts_get(&co, "backend"), "socket") &&
		    (fq_opts_get(&co, "path") || fq_opts_get(&co, "fd"))) {
			struct fq_endpoint *e = grow(out, n);

			e->opt_index = i;
			e->chardev_id = strdup(id);
			e->server = fq_opts_get_bool(&co, "server", false) == 1;
			if (fq_opts_get(&co, "path"))
				e->path = strdup(fq_opts_get(&co, "path"));
			else
				e->fd = atoi(fq_opts_get(&co, "fd"));
			e->how = dup_join("-chardev ", argv[i + 1], NULL, NULL);
		}
		fq_opts_free(&co);
		i++;
	}
}

void fq_endpoints_free(struct fq_endpoint *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].how);
		free(e[i].chardev_id);
		free(e[i].path);
	}
	free(e);
}

static int unix_socket(const char *path, struct sockaddr_un *addr, char **err)
{
	int fd;

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path)) {
		if (asprintf(err, "UNIX socket path '%s' is too long", path) < 0)
			*err = NULL;
		return -ENAMETOOLONG;
	}
	memcpy(addr->sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && asprintf(err, "socket: %s", strerror(errno)) < 0)
		*err = NULL;
	return fd < 0 ? -errno : fd;
}

int fq_endpoint_listen(const struct fq_endpoint *e, char **err)
{
	struct sockaddr_un addr;
	int fd;

	*err = NULL;
	if (e->fd >= 0) {
		/* The client's own listening socket: not QEMU's to inherit. */
		fcntl(e->fd, F_SETFD, FD_CLOEXEC);
		return e->fd;
	}
	fd = unix_socket(e->path, &addr, err);
	if (fd < 0)
		return fd;
	unlink(e->path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
		int r = -errno;

		if (asprintf(err, "Failed to bind socket to %s: %s", e->path, strerror(errno)) < 0)
			*err = NULL;
		close(fd);
		return r;
	}
	return fd;
}

int fq_endpoint_connect_client(const struct fq_endpoint *e, char **err)
{
	struct sockaddr_un addr;
	int fd;

	*err = NULL;
	fd = unix_socket(e->path, &addr, err);
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int r = -errno;

		if (asprintf(err, "Failed to connect to '%s': %s", e->path, strerror(errno)) < 0)
			*err = NULL;
		close(fd);
		return r;
	}
	return fd;
}

ssize_t fq_recv_with_fds(int fd, char *buf, size_t len, int *fds, int max, int *nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int passed;

			memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max)
				fds[(*nfds)++] = passed;
			else
				close(passed);
		}
	}
	return n;
}
