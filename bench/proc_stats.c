/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc_stats.c - what the soak and many-VM benchmarks report about processes: RSS, fds, leftovers
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "proc_stats.h"

static long status_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    sscanf(line + strlen(key), " %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long proc_rss_kb(pid_t pid)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	return status_kb(path, "VmRSS:");
}

long proc_hwm_kb(void)
{
	return status_kb("/proc/self/status", "VmHWM:");
}

int proc_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

/* The state letter and parent of @pid from /proc/PID/stat. */
static int stat_of(const char *pid, char *state, int *ppid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 2, "%c %d", state, ppid) != 2)
		return -1;
	return 0;
}

static int has_uuid(const char *pid, const char *const *uuids, int nuuids)
{
	char path[64], buf[16384];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	for (int i = 0; i < nuuids; i++)
		if (uuids[i] && strstr(buf, uuids[i]))
			return 1;
	return 0;
}

struct leftovers count_leftovers(const char *const *uuids, int nuuids)
{
	struct leftovers l = {0};
	DIR *d = opendir("/proc");
	struct dirent *e;
	int me = (int)getpid();

	if (!d)
		return l;
	while ((e = readdir(d))) {
		char state;
		int ppid;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    stat_of(e->d_name, &state, &ppid) < 0)
			continue;
		if (ppid == me) {
			if (state == 'Z')
				l.zombies++;
			else
				l.children++;
		}
		l.qemus += state != 'Z' && has_uuid(e->d_name, uuids, nuuids);
	}
	closedir(d);
	return l;
}

char *built_fakeqemu(void)
{
	char self[4096], *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		die("cannot find this program's own path");
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	/* <build>/bench/PROGRAM -> <build>/fakeqemu/fakeqemu */
	if (asprintf(&path, "%s/../fakeqemu/fakeqemu", self) < 0)
		die("out of memory");
	if (access(path, X_OK) < 0)
		die("%s: %s (give -q QEMU)", path, strerror(errno));
	return path;
}
