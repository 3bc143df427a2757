/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_util.c - what several qdctl commands need: finding fakeqemu, a placeholder kernel */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qdctl.h"

char *qdctl_find_fakeqemu(void)
{
	char self[PATH_MAX], *dir, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	dir = dirname(self);
	/* Installed side by side, or in the build tree. */
	if (asprintf(&path, "%s/fakeqemu", dir) >= 0 && access(path, X_OK) == 0)
		return path;
	free(path);
	if (asprintf(&path, "%s/../../fakeqemu/fakeqemu", dir) >= 0 && access(path, X_OK) == 0)
		return path;
	free(path);
	return NULL;
}

const char *qdctl_placeholder_kernel(const char *run_dir)
{
	static char path[PATH_MAX];
	FILE *f;

	/* fakeqemu only checks that the kernel file exists. */
	if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
		return NULL;
	snprintf(path, sizeof(path), "%s/placeholder-vmlinuz", run_dir);
	f = fopen(path, "a");
	if (!f)
		return NULL;
	fclose(f);
	return path;
}
