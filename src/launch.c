/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* launch.c - run QEMU without a shell: output to a log, a pre-opened QMP socket, exit tracking */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "deadline.h"
#include "error.h"
#include "launch.h"

/* The fd number QEMU finds its listening QMP socket at. */
#define QMP_CHILD_FD 3

int qd_launch_qmp_child_fd(void)
{
	return QMP_CHILD_FD;
}

static int pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * unix_socket() - a stream socket and the address of @path, checked for length
 *
 * Return: 0 with *@fd set, or a negative errno with @err set.
 */
static int unix_socket(const char *path, struct sockaddr_un *addr, int *fd, qd_error *err)
{
	size_t len = strlen(path);

	*addr = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (len >= sizeof(addr->sun_path))
		return qd_error_set(err, -ENAMETOOLONG, "socket path too long: %s", path);
	memcpy(addr->sun_path, path, len + 1);
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return qd_error_set(err, -errno, "socket: %s", strerror(errno));
	return 0;
}

int qd_listen_unix(const char *path, int *out, qd_error *err)
{
	struct sockaddr_un addr;
	_cleanup_close_ int fd = -1;
	int r;

	*out = -1;
	r = unix_socket(path, &addr, &fd, err);
	if (r < 0)
		return r;
	unlink(path); /* a stale socket of an earlier run */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return qd_error_set(err, -errno, "cannot bind %s: %s", path, strerror(errno));
	/* Owner only (the directory is 0700 as well). */
	if (chmod(path, 0600) < 0 || listen(fd, 4) < 0)
		return qd_error_set(err, -errno, "cannot listen on %s: %s", path, strerror(errno));
	*out = steal_fd(&fd);
	return 0;
}

int qd_connect_unix(const char *path, int *out, qd_error *err)
{
	struct sockaddr_un addr;
	_cleanup_close_ int fd = -1;
	int r;

	*out = -1;
	r = unix_socket(path, &addr, &fd, err);
	if (r < 0)
		return r;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -errno; /* callers decide whether to retry */
	*out = steal_fd(&fd);
	return 0;
}

int qd_spawn(char *const argv[], int qmp_fd, int logfd, struct qd_process *p, qd_error *err)
{
	_cleanup_close_ int moved = -1;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dfl;
	pid_t pid;
	int r;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->pidfd = -1;
	/* dup2() onto itself would keep close-on-exec: move the fd out of the way first. */
	if (qmp_fd == QMP_CHILD_FD) {
		moved = fcntl(qmp_fd, F_DUPFD_CLOEXEC, QMP_CHILD_FD + 1);
		if (moved < 0)
			return qd_error_set(err, -errno, "fcntl: %s", strerror(errno));
		qmp_fd = moved;
	}
	/* posix_spawn, not fork: its cost does not grow with the caller's memory. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, logfd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, logfd, STDERR_FILENO);
	if (qmp_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, qmp_fd, QMP_CHILD_FD);
	/* Nothing else leaks into QEMU. */
	posix_spawn_file_actions_addclosefrom_np(&fa,
						 qmp_fd >= 0 ? QMP_CHILD_FD + 1 : QMP_CHILD_FD);
	posix_spawnattr_init(&attr);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return qd_error_set(err, -r, "cannot execute %s: %s", argv[0], strerror(r));
	p->pid = pid;
	p->is_child = true;
	p->pidfd = pidfd_open_compat(pid);
	return 0;
}

/*
 * Children of this process that the library started and whose handle was
 * freed while they ran (qd_vm_free() leaves QEMU running). Someone must
 * reap them when they exit, or they stay zombies for the caller's lifetime:
 * a handle that adopts one again takes it back (and reaps it like its own),
 * and every later qd_vm_new(), start, attach and free reaps those that
 * exited meanwhile. This list is process-wide because waitpid() is.
 */
struct released_child {
	pid_t pid;
	int pidfd;
	struct released_child *next;
};
static pthread_mutex_t released_lock = PTHREAD_MUTEX_INITIALIZER;
static struct released_child *released;

/* A wait status (as waitpid() gives) from waitid()'s siginfo. */
static int wait_status_of(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_KILLED:
		return si->si_status & 0x7f;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return 0;
	}
}

/*
 * Reap @p if it has exited, without waiting. By pidfd when there is one:
 * should someone else have reaped it and its pid been reused, waitpid()
 * would reap a stranger. Return: true once it is gone (status filled in
 * when known).
 */
static bool reap_if_exited(struct qd_process *p)
{
	siginfo_t si;
	int r;

	memset(&si, 0, sizeof(si));
#ifdef P_PIDFD
	if (p->pidfd >= 0)
		r = waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG);
	else
#endif
		r = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG);
	if (r < 0 && errno == EINTR)
		return false;
	if (r == 0 && si.si_pid == 0)
		return false;			      /* still running */
	p->status = r == 0 ? wait_status_of(&si) : 0; /* ECHILD: reaped by someone else */
	p->exited = true;
	return true;
}

int qd_process_adopt(pid_t pid, struct qd_process *p, qd_error *err)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->pidfd = -1;
	/* One of ours that an earlier handle left running: ours to reap again. */
	pthread_mutex_lock(&released_lock);
	for (struct released_child **pp = &released; *pp; pp = &(*pp)->next)
		if ((*pp)->pid == pid) {
			struct released_child *c = *pp;

			*pp = c->next;
			p->pidfd = c->pidfd;
			p->is_child = true;
			free(c);
			break;
		}
	pthread_mutex_unlock(&released_lock);
	if (p->is_child)
		return 0;
	p->pidfd = pidfd_open_compat(pid);
	/* Without pidfd_open (old kernels, valgrind), kill(pid, 0) tells instead. */
	if (p->pidfd < 0 && errno != ENOSYS)
		return qd_error_set(err, -errno, "cannot watch QEMU process %d: %s", (int)pid,
				    strerror(errno));
	return 0;
}

void qd_process_release(struct qd_process *p)
{
	struct released_child *c;

	if (p->pid <= 0 || !p->is_child || p->exited || reap_if_exited(p)) {
		qd_process_close(p);
		return;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		qd_process_close(p); /* cannot track it: it is reaped when the caller exits */
		return;
	}
	c->pid = p->pid;
	c->pidfd = steal_fd(&p->pidfd);
	pthread_mutex_lock(&released_lock);
	c->next = released;
	released = c;
	pthread_mutex_unlock(&released_lock);
}

void qd_process_reap_released(void)
{
	pthread_mutex_lock(&released_lock);
	for (struct released_child **pp = &released; *pp;) {
		struct released_child *c = *pp;
		struct qd_process p = {.pid = c->pid, .pidfd = c->pidfd, .is_child = true};

		if (reap_if_exited(&p)) {
			*pp = c->next;
			if (c->pidfd >= 0)
				close(c->pidfd);
			free(c);
		} else {
			pp = &c->next;
		}
	}
	pthread_mutex_unlock(&released_lock);
}

/* Whether a process that is not ours is gone. */
static bool stranger_gone(struct qd_process *p)
{
	if (kill(p->pid, 0) < 0 && errno == ESRCH) {
		p->status = 0; /* not ours to reap: its status is unknown */
		p->exited = true;
	}
	return p->exited;
}

int qd_process_wait(struct qd_process *p, int timeout_ms)
{
	struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
	int64_t deadline = qd_deadline_after_ms(timeout_ms);

	if (p->exited || p->pid < 0)
		return 0;
	if (p->pidfd < 0) {
		/* No pidfd: poll with waitid (a child) or kill(pid, 0) (not ours). */
		for (;;) {
			if (p->is_child ? reap_if_exited(p) : stranger_gone(p))
				return 0;
			if (qd_deadline_left_ms(deadline) == 0)
				return -ETIMEDOUT;
			poll(NULL, 0,
			     qd_deadline_left_ms(deadline) < 10 ? qd_deadline_left_ms(deadline)
								: 10);
		}
	}
	for (;;) {
		int r = poll(&pfd, 1, qd_deadline_left_ms(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (p->is_child) {
			/* Readable means exited; the zombie is there to reap. */
			if (!reap_if_exited(p))
				continue;
		} else {
			p->status = 0;
			p->exited = true;
		}
		return 0;
	}
}

int qd_process_poll_exit(struct qd_process *p)
{
	return qd_process_wait(p, 0) == 0;
}

void qd_process_close(struct qd_process *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
}

char *qd_describe_exit(int status)
{
	char *s = NULL;

	if (WIFEXITED(status)) {
		if (asprintf(&s, "exited with status %d", WEXITSTATUS(status)) < 0)
			s = NULL;
	} else if (WIFSIGNALED(status)) {
		if (asprintf(&s, "was killed by signal %d (%s)", WTERMSIG(status),
			     strsignal(WTERMSIG(status))) < 0)
			s = NULL;
	} else if (asprintf(&s, "ended with wait status %d", status) < 0) {
		s = NULL;
	}
	return s;
}

char *qd_log_tail(int dirfd, const char *name, int max_lines)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *buf = NULL, *start;
	long size, from;
	size_t n;
	int lines = 0;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return strdup("");
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	from = size > 4096 ? size - 4096 : 0;
	fseek(f, from, SEEK_SET);
	buf = calloc(1, (size_t)(size - from) + 1);
	n = buf ? fread(buf, 1, (size_t)(size - from), f) : 0;
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	start = buf + n;
	while (start > buf) {
		if (start[-1] == '\n' && ++lines == max_lines)
			break;
		start--;
	}
	memmove(buf, start, strlen(start) + 1);
	/* One line of text for error messages. */
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = '|';
	return buf;
}
