/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* standin.c - what the recorder and the replayer do as the process a client started as "QEMU" */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "standin.h"

static bool is_opt(const char *arg, const char *name)
{
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return !strcmp(arg, name);
}

void fq_standin_options(int argc, char **argv, struct fq_standin *s)
{
	const char *slash = strrchr(argv[0], '/');

	s->progname = slash ? slash + 1 : argv[0];
	s->daemonize = false;
	s->pidfile = NULL;
	s->ready_fd = -1;
	for (int i = 1; i < argc; i++) {
		if (is_opt(argv[i], "daemonize"))
			s->daemonize = true;
		else if (is_opt(argv[i], "pidfile") && i + 1 < argc)
			s->pidfile = argv[++i];
	}
}

void fq_standin_daemonize(struct fq_standin *s)
{
	int pipefd[2];
	pid_t pid;
	unsigned char status;

	if (!s->daemonize)
		return;
	if (pipe2(pipefd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "%s: cannot daemonize: %s\n", s->progname, strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		/* QEMU's parent: exit 0 once the child is up, or with its failure. */
		close(pipefd[1]);
		if (read(pipefd[0], &status, 1) == 1)
			_exit(status);
		_exit(1);
	}
	close(pipefd[0]);
	setsid();
	s->ready_fd = pipefd[1];
}

void fq_standin_pidfile(const struct fq_standin *s)
{
	FILE *f;

	if (!s->pidfile)
		return;
	f = fopen(s->pidfile, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
		fprintf(stderr, "%s: cannot create PID file: Cannot open pid file: %s\n",
			s->progname, strerror(errno));
		fq_standin_failed((struct fq_standin *)s, 1);
		exit(1);
	}
}

void fq_standin_ready(struct fq_standin *s)
{
	unsigned char ok = 0;
	int null;

	if (s->ready_fd < 0)
		return;
	if (write(s->ready_fd, &ok, 1) != 1)
		_exit(1); /* the parent is gone: as QEMU, do not go on unseen */
	close(s->ready_fd);
	s->ready_fd = -1;
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
}

void fq_standin_failed(struct fq_standin *s, int status)
{
	unsigned char code = (unsigned char)(status ? status : 1);

	if (s->ready_fd < 0)
		return;
	if (write(s->ready_fd, &code, 1) != 1) {
		/* The parent is gone. */
	}
	close(s->ready_fd);
	s->ready_fd = -1;
}

int fq_standin_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	if (fd < 0) {
		fprintf(stderr, "fakeqemu: signalfd: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

void fq_standin_end(const struct fq_standin *s, int status, int signo)
{
	if (s->pidfile)
		unlink(s->pidfile);
	fflush(stdout);
	fflush(stderr);
	if (signo) {
		sigset_t set;

		/* Die of the same signal, without a core file of our own. */
		signal(signo, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, signo);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		if (signo == SIGSEGV || signo == SIGABRT || signo == SIGBUS || signo == SIGILL ||
		    signo == SIGFPE) {
			struct rlimit none = {0, 0};

			setrlimit(RLIMIT_CORE, &none);
		}
		raise(signo);
	}
	_exit(status);
}
