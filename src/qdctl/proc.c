/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc.c - run a helper program (QEMU -version, the guest builder) with a deadline, capture its
 * output */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

int64_t qdctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int qdctl_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int qdctl_run_capture(char *const argv[], int timeout_ms, char **out, int *status)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], pidfd = -1, r = 0;
	int64_t deadline = qdctl_now_ms() + timeout_ms;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	pid_t pid;

	*out = NULL;
	*status = -1;
	if (!buf)
		return -ENOMEM;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		free(buf);
		return -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	r = -posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		free(buf);
		return r;
	}
	pidfd = qdctl_pidfd_open(pid);
	for (;;) {
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		int64_t left = deadline - qdctl_now_ms();
		ssize_t n;

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			r = -ETIMEDOUT;
			break;
		}
		if (len + 1024 > cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(pipefd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pipefd[0]);
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL);
	if (r == -ETIMEDOUT && pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};

		poll(&p, 1, 5000);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (waitpid(pid, status, 0) < 0 && r == 0)
		r = -errno;
	buf[len] = '\0';
	*out = buf;
	return r;
}
