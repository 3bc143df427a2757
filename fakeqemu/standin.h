/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* standin.h - what the recorder and the replayer do as the process a client started as "QEMU" */
#ifndef FQ_STANDIN_H
#define FQ_STANDIN_H

#include <stdbool.h>

/*
 * struct fq_standin - the process-level options a client gave QEMU, which
 * the stand-in honours itself: -daemonize (the parent exits once ready) and
 * -pidfile (its own pid, so the client's signals reach it).
 */
struct fq_standin {
	const char *progname; /* for messages, as QEMU's ("qemu-system-x86_64: ...") */
	bool daemonize;
	const char *pidfile;
	int ready_fd; /* the daemonizing parent waits on it, or -1 */
};

/* fq_standin_options() - find -daemonize and -pidfile in @argv (argv[0] names us). */
void fq_standin_options(int argc, char **argv, struct fq_standin *s);

/* fq_standin_daemonize() - fork when asked to; the parent exits with what the child reports. */
void fq_standin_daemonize(struct fq_standin *s);

/* fq_standin_pidfile() - write our pid to -pidfile; exit 1 with QEMU's message on failure. */
void fq_standin_pidfile(const struct fq_standin *s);

/* fq_standin_ready() - tell the waiting parent we are up; stdio goes to /dev/null, as QEMU's. */
void fq_standin_ready(struct fq_standin *s);

/* fq_standin_failed() - tell the waiting parent to exit with @status (QEMU did). */
void fq_standin_failed(struct fq_standin *s, int status);

/* fq_standin_signals() - a signalfd for SIGTERM, SIGINT and SIGHUP (blocked), SIGPIPE ignored. */
int fq_standin_signals(void);

/* fq_standin_end() - unlink the pidfile; exit like QEMU did: @status, or killed by @signo. */
void fq_standin_end(const struct fq_standin *s, int status, int signo) __attribute__((noreturn));

#endif
