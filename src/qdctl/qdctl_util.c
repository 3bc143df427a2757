/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_util.c - what several qdctl commands need: finding fakeqemu, default kernel and run dir */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
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

/* Debian installs its kernels as /boot/vmlinuz-<version>: the newest wins. */
static int by_version(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

const char *qdctl_default_kernel(void)
{
	static char path[PATH_MAX];
	glob_t g;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0)
		return NULL; /* no kernel: QEMU boots its firmware, which real QEMU runs too */
	qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), by_version);
	snprintf(path, sizeof(path), "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return path;
}

const char *qdctl_default_run_dir(void)
{
	static char path[PATH_MAX];
	const char *runtime = getenv("XDG_RUNTIME_DIR");

	/*
	 * Never a fixed name in a world-writable place: another user could make it
	 * first. The per-user runtime directory, /run for root, else a name that
	 * carries the uid (the library refuses it if someone else owns it).
	 */
	if (runtime && runtime[0] == '/')
		snprintf(path, sizeof(path), "%s/qemudrv", runtime);
	else if (geteuid() == 0)
		snprintf(path, sizeof(path), "/run/qemudrv");
	else
		snprintf(path, sizeof(path), "/tmp/qemudrv-%u", (unsigned)geteuid());
	return path;
}

int qdctl_parse_vm_options(int argc, char **argv, struct qdctl_vm_options *o, void (*usage)(FILE *))
{
	static const struct option longopts[] = {
	    {"qemu", required_argument, NULL, 'q'},    {"run-dir", required_argument, NULL, 'd'},
	    {"timeout", required_argument, NULL, 't'}, {"keep", no_argument, NULL, 'k'},
	    {"keep-going", no_argument, NULL, 'k'},    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},	       {0},
	};
	int c;

	o->qemu = NULL;
	o->run_dir = qdctl_default_run_dir();
	o->timeout = 10000;
	o->keep = false;
	o->verbose = false;
	while ((c = getopt_long(argc, argv, "+q:d:t:kvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o->qemu = optarg;
			break;
		case 'd':
			o->run_dir = optarg;
			break;
		case 't': {
			char *end;

			errno = 0;
			o->timeout = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o->timeout < 0 ||
			    o->timeout > 0x7fffffff) {
				fprintf(stderr, "qdctl: invalid timeout '%s'\n", optarg);
				return QDCTL_USAGE;
			}
			break;
		}
		case 'k':
			o->keep = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return QDCTL_USAGE;
		}
	}
	return 0;
}
