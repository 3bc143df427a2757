/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc.h - run a helper program with a deadline; clocks and pidfds */
#ifndef QDCTL_PROC_H
#define QDCTL_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* qdctl_now_ms() - CLOCK_MONOTONIC in milliseconds. */
int64_t qdctl_now_ms(void);

/* qdctl_pidfd_open() - a pidfd for @pid (readable once it exits), or -1. */
int qdctl_pidfd_open(pid_t pid);

/**
 * qdctl_run_capture() - run a program, wait for it, keep its output
 * @argv:       program (searched in PATH) and arguments, NULL-terminated
 * @timeout_ms: deadline; the program is killed when it passes
 * @out:        receives stdout and stderr interleaved (malloc'd, NUL-terminated)
 * @status:     receives the wait status
 *
 * Return: 0 once it exited (whatever its status), -ETIMEDOUT, or another
 * negative errno (could not start it).
 */
int qdctl_run_capture(char *const argv[], int timeout_ms, char **out, int *status);

#endif
