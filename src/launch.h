/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* launch.h - run QEMU without a shell: output to a log, a pre-opened QMP socket, exit tracking */
#ifndef QD_LAUNCH_H
#define QD_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "qemudrv.h"

/* struct qd_process - a QEMU process we started (or adopted after -daemonize). */
struct qd_process {
	pid_t pid;
	int pidfd;     /* pollable: readable once the process exited; -1 if unavailable */
	bool is_child; /* ours to reap */
	bool exited;
	int status; /* wait status once exited */
};

/* qd_launch_qmp_child_fd() - the fd number the child finds the QMP socket at (for argv). */
int qd_launch_qmp_child_fd(void);

/* qd_listen_unix() - a listening unix socket at @path, mode 0600 (stale files replaced). */
int qd_listen_unix(const char *path, int *out, qd_error *err);

/* qd_connect_unix() - connect to @path; a negative errno (no message) on failure. */
int qd_connect_unix(const char *path, int *out, qd_error *err);

/*
 * qd_spawn() - posix_spawn @argv[0] (no shell, no PATH search): stdin
 * /dev/null, stdout and stderr to @logfd, @qmp_fd (if >= 0) at fd 3,
 * nothing else inherited. An exec failure is reported here, not later.
 */
int qd_spawn(char *const argv[], int qmp_fd, int logfd, struct qd_process *p, qd_error *err);

/*
 * qd_process_adopt() - watch a running QEMU found again by its pid: one this
 * process started and released (it becomes ours to reap again), or a
 * stranger's (a daemonized QEMU, another process's child).
 */
int qd_process_adopt(pid_t pid, struct qd_process *p, qd_error *err);

/*
 * qd_process_release() - the handle goes away: a child still running is
 * kept on a process-wide list and reaped once it exits (see
 * qd_process_reap_released()); one that exited is reaped now.
 */
void qd_process_release(struct qd_process *p);

/* qd_process_reap_released() - reap released children that exited meanwhile. */
void qd_process_reap_released(void);

/* qd_process_wait() - wait up to @timeout_ms for the exit (and reap). 0 or -ETIMEDOUT. */
int qd_process_wait(struct qd_process *p, int timeout_ms);

/* qd_process_poll_exit() - whether it exited, without waiting. */
int qd_process_poll_exit(struct qd_process *p);

void qd_process_close(struct qd_process *p);

/* qd_describe_exit() - "exited with status 1", "was killed by signal 9 (Killed)" (malloc'd). */
char *qd_describe_exit(int status);

/* qd_log_tail() - the last @max_lines lines of log @name in @dirfd, joined by '|' (malloc'd). */
char *qd_log_tail(int dirfd, const char *name, int max_lines);

#endif
