/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc_stats.h - what the soak and many-VM benchmarks report about processes: RSS, fds, leftovers
 */
#ifndef QD_BENCH_PROC_STATS_H
#define QD_BENCH_PROC_STATS_H

#include <sys/types.h>

/* proc_rss_kb() - VmRSS of @pid (0: this process) in KiB, or -1. */
long proc_rss_kb(pid_t pid);

/* proc_hwm_kb() - VmHWM (peak RSS) of this process in KiB, or -1. */
long proc_hwm_kb(void);

/* proc_fds() - how many file descriptors this process has open. */
int proc_fds(void);

/*
 * struct leftovers - processes that should not be there after the VMs were stopped
 * @children: children of this process still running
 * @zombies:  children of this process that exited and were never reaped
 * @qemus:    processes anywhere whose command line has one of the given UUIDs
 */
struct leftovers {
	int children;
	int zombies;
	int qemus;
};

/* count_leftovers() - scan /proc for this process's children and for QEMUs of @uuids. */
struct leftovers count_leftovers(const char *const *uuids, int nuuids);

/* built_fakeqemu() - the fakeqemu of this program's build directory (malloc'd; dies if none). */
char *built_fakeqemu(void);

#endif
