/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_util.c - what several qdctl commands need: finding fakeqemu, a placeholder kernel */
#include <errno.h>
#include <getopt.h>
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
	o->run_dir = "/tmp/qemudrv";
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
