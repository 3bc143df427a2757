/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migration_channel.c - where a migration stream goes or comes from: exec:,
 * unix:, tcp:, fd: and (10.0) file: URIs, as migration/{exec,socket,fd,file}.c
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migration_channel.h"
#include "monitor.h"
#include "qmp_dispatch.h"
#include "since.h"
#include "strbuf.h"

#define CONNECT_TIMEOUT_MS 3000

static bool has_prefix(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n))
		return false;
	if (rest)
		*rest = s + n;
	return true;
}

bool fq_mig_channel_known(const char *uri)
{
	static const char *const protocols[] = {"tcp:", "unix:", "vsock:", "exec:", "fd:", NULL};

	for (int i = 0; protocols[i]; i++)
		if (has_prefix(uri, protocols[i], NULL))
			return true;
	/* migration/file.c came with 9.0. */
	return fq_since(9, 0) && has_prefix(uri, "file:", NULL);
}

static void init(struct fq_mig_channel *ch)
{
	ch->fd = -1;
	ch->listen_fd = -1;
	ch->child = 0;
	ch->unlink_path = NULL;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/*
 * qio_channel_command_new_spawn(): /bin/sh -c @cmd with the stream on its
 * stdin (@outgoing) or stdout, the other one /dev/null.
 */
static enum fq_mig_open spawn(const char *cmd, bool outgoing, struct fq_mig_channel *ch,
			      char **err)
{
	int p[2], devnull;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		*err = fq_xasprintf("Failed to create pipe: %s", strerror(errno));
		return FQ_MIG_OPEN_FAILED;
	}
	pid = fork();
	if (pid < 0) {
		*err = fq_xasprintf("Failed to fork process: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return FQ_MIG_OPEN_FAILED;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (outgoing) {
			dup2(p[0], 0);
			dup2(devnull, 1);
		} else {
			dup2(devnull, 0);
			dup2(p[1], 1);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(1);
	}
	close(outgoing ? p[0] : p[1]);
	ch->fd = outgoing ? p[1] : p[0];
	ch->child = pid;
	set_nonblock(ch->fd);
	return FQ_MIG_OPEN_OK;
}

/* "host:port" or "[v6]:port" into its parts (malloc'd), or false. */
static bool split_inet(const char *addr, char **host, char **port)
{
	const char *colon = strrchr(addr, ':');

	if (!colon)
		return false;
	if (addr[0] == '[' && colon > addr && colon[-1] == ']')
		*host = strndup(addr + 1, (size_t)(colon - addr - 2));
	else
		*host = strndup(addr, (size_t)(colon - addr));
	*port = strdup(colon + 1);
	return true;
}

/* A non-blocking connect() that gives up after CONNECT_TIMEOUT_MS; 0 or an errno. */
static int connect_wait(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int e = 0;
	socklen_t el = sizeof(e);

	set_nonblock(fd);
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	if (poll(&pfd, 1, CONNECT_TIMEOUT_MS) <= 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		return errno;
	return e;
}

static enum fq_mig_open connect_unix(const char *path, struct fq_mig_channel *ch, char **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = fq_xasprintf("UNIX socket path '%s' is too long", path);
		return FQ_MIG_OPEN_FAILED_LATER;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	e = fd < 0 ? errno : connect_wait(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (e) {
		*err = fq_xasprintf("Failed to connect to '%s': %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return FQ_MIG_OPEN_FAILED_LATER;
	}
	ch->fd = fd;
	return FQ_MIG_OPEN_OK;
}

static enum fq_mig_open connect_inet(const char *addr, struct fq_mig_channel *ch, char **err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
	char *host, *port;
	int rc, e = ECONNREFUSED;

	if (!split_inet(addr, &host, &port)) {
		*err = fq_xasprintf("error parsing address '%s'", addr);
		return FQ_MIG_OPEN_FAILED;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		*err = fq_xasprintf("address resolution failed for %s:%s: %s", host, port,
				 gai_strerror(rc));
		free(host);
		free(port);
		return FQ_MIG_OPEN_FAILED_LATER;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

		if (fd < 0) {
			e = errno;
			continue;
		}
		e = connect_wait(fd, ai->ai_addr, ai->ai_addrlen);
		if (!e) {
			ch->fd = fd;
			break;
		}
		close(fd);
	}
	freeaddrinfo(res);
	if (ch->fd < 0)
		*err = fq_xasprintf("Failed to connect to '%s:%s': %s", host, port, strerror(e));
	free(host);
	free(port);
	return ch->fd < 0 ? FQ_MIG_OPEN_FAILED_LATER : FQ_MIG_OPEN_OK;
}

/* fd:NAME - a descriptor passed with getfd (taken out of the monitor). */
static enum fq_mig_open monitor_fd(const char *name, struct fq_mig_channel *ch, char **err)
{
	struct fq_reply r = {0};

	/* Before 9.0 only a getfd name; monitor_fd_param() also takes a number since. */
	ch->fd = fq_since(9, 0) ? fq_monitor_fd_param(fq_qmp_current_monitor(), name, &r)
				: fq_monitor_get_fd(fq_qmp_current_monitor(), name, &r);
	if (ch->fd < 0) {
		*err = strdup(r.err_desc ? r.err_desc : "bad file descriptor");
		free(r.err_class);
		free(r.err_desc);
		return FQ_MIG_OPEN_FAILED;
	}
	set_nonblock(ch->fd);
	return FQ_MIG_OPEN_OK;
}

/* file:PATH[,offset=N] (9.0). */
static enum fq_mig_open open_file(const char *spec, int flags, struct fq_mig_channel *ch,
				  char **err)
{
	char *path = strdup(spec), *comma = strstr(path, ",offset=");
	off_t offset = 0;

	if (comma) {
		*comma = '\0';
		offset = (off_t)strtoull(comma + 8, NULL, 0);
	}
	ch->fd = open(path, flags | O_CLOEXEC, 0600);
	if (ch->fd < 0) {
		*err = fq_xasprintf("Unable to open %s: %s", path, strerror(errno));
		free(path);
		return FQ_MIG_OPEN_FAILED;
	}
	if (offset)
		lseek(ch->fd, offset, SEEK_SET);
	free(path);
	return FQ_MIG_OPEN_OK;
}

enum fq_mig_open fq_mig_channel_connect(const char *uri, struct fq_mig_channel *ch, char **err)
{
	const char *rest;

	init(ch);
	*err = NULL;
	if (!fq_mig_channel_known(uri))
		return FQ_MIG_OPEN_BAD_URI;
	if (has_prefix(uri, "exec:", &rest))
		return spawn(rest, true, ch, err);
	if (has_prefix(uri, "unix:", &rest))
		return connect_unix(rest, ch, err);
	if (has_prefix(uri, "tcp:", &rest))
		return connect_inet(rest, ch, err);
	if (has_prefix(uri, "fd:", &rest))
		return monitor_fd(rest, ch, err);
	if (has_prefix(uri, "file:", &rest))
		return open_file(rest, O_WRONLY | O_CREAT | O_TRUNC, ch, err);
	/* vsock: no such peer on this host. */
	*err = fq_xasprintf("Failed to connect to '%s': %s", uri + 6, strerror(ENODEV));
	return FQ_MIG_OPEN_FAILED_LATER;
}

static enum fq_mig_open listen_unix(const char *path, struct fq_mig_channel *ch, char **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = fq_xasprintf("UNIX socket path '%s' is too long", path);
		return FQ_MIG_OPEN_FAILED;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		*err = fq_xasprintf("Failed to bind socket to %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return FQ_MIG_OPEN_FAILED;
	}
	ch->listen_fd = fd;
	ch->unlink_path = strdup(path);
	return FQ_MIG_OPEN_OK;
}

static enum fq_mig_open listen_inet(const char *addr, struct fq_mig_channel *ch, char **err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE},
			*res;
	char *host, *port;
	int fd = -1, one = 1, rc;

	if (!split_inet(addr, &host, &port)) {
		*err = fq_xasprintf("error parsing address '%s'", addr);
		return FQ_MIG_OPEN_FAILED;
	}
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (rc) {
		*err = fq_xasprintf("address resolution failed for %s:%s: %s", host, port,
				 gai_strerror(rc));
	} else {
		fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 1) < 0) {
			*err = fq_xasprintf("Failed to bind socket: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
	}
	free(host);
	free(port);
	if (fd < 0)
		return FQ_MIG_OPEN_FAILED;
	ch->listen_fd = fd;
	return FQ_MIG_OPEN_OK;
}

enum fq_mig_open fq_mig_channel_listen(const char *uri, struct fq_mig_channel *ch, char **err)
{
	const char *rest;

	init(ch);
	*err = NULL;
	if (!fq_mig_channel_known(uri))
		return FQ_MIG_OPEN_BAD_URI;
	if (has_prefix(uri, "exec:", &rest))
		return spawn(rest, false, ch, err);
	if (has_prefix(uri, "unix:", &rest))
		return listen_unix(rest, ch, err);
	if (has_prefix(uri, "tcp:", &rest))
		return listen_inet(rest, ch, err);
	if (has_prefix(uri, "fd:", &rest))
		return monitor_fd(rest, ch, err);
	if (has_prefix(uri, "file:", &rest))
		return open_file(rest, O_RDONLY, ch, err);
	*err = fq_xasprintf("Failed to bind socket: %s", strerror(ENODEV));
	return FQ_MIG_OPEN_FAILED;
}

/* Whether @pid exits within @ms (it is reaped then). */
static bool exited_within(pid_t pid, int ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (pidfd >= 0) {
		poll(&p, 1, ms);
		close(pidfd);
	}
	return waitpid(pid, NULL, WNOHANG) != 0;
}

/*
 * qio_channel_command_abort(): the command has its EOF; one that does not exit
 * gets SIGTERM, then SIGKILL. (QEMU gives it no time at all; a moment here, so
 * that "cat > file" writes everything it read.)
 */
static void reap(pid_t pid)
{
	if (exited_within(pid, 1000))
		return;
	kill(pid, SIGTERM);
	if (!exited_within(pid, 100)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

void fq_mig_channel_close(struct fq_mig_channel *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	if (ch->listen_fd >= 0)
		close(ch->listen_fd);
	if (ch->child > 0)
		reap(ch->child);
	if (ch->unlink_path)
		unlink(ch->unlink_path);
	free(ch->unlink_path);
	ch->unlink_path = NULL;
	ch->fd = -1;
	ch->listen_fd = -1;
	ch->child = 0;
}
