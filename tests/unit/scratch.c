/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scratch.c - a per-run scratch directory for the unit tests that touch files */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scratch.h"

char scratch_root[] = "/tmp/qd-test-XXXXXX";

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	chmod(path, 0700);
	if (remove(path) < 0)
		fprintf(stderr, "cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

int scratch_setup(void **state)
{
	(void)state;
	umask(022);
	return mkdtemp(scratch_root) ? 0 : -1;
}

int scratch_teardown(void **state)
{
	(void)state;
	nftw(scratch_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

char *scratch_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", scratch_root, name);
	return buf;
}
