/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* catalogue.c - which scenario files a run takes: files and directories given, else the shipped
 * catalogue */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalogue.h"

#ifndef QDCTL_SCENARIOS_INSTALLED
#define QDCTL_SCENARIOS_INSTALLED "/usr/share/qemudrv/scenarios"
#endif
#ifndef QDCTL_SCENARIOS_SOURCE
#define QDCTL_SCENARIOS_SOURCE ""
#endif

const char *sc_catalogue_dir(void)
{
	const char *env = getenv("QDCTL_SCENARIOS");
	struct stat st;

	if (env && *env)
		return env;
	if (*QDCTL_SCENARIOS_SOURCE && stat(QDCTL_SCENARIOS_SOURCE, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		return QDCTL_SCENARIOS_SOURCE;
	return QDCTL_SCENARIOS_INSTALLED;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add(char ***files, size_t *n, const char *path)
{
	char **nf = realloc(*files, (*n + 2) * sizeof(char *));

	if (!nf)
		return -ENOMEM;
	*files = nf;
	nf[*n] = strdup(path);
	nf[++*n] = NULL;
	return nf[*n - 1] ? 0 : -ENOMEM;
}

/* Every *.json of @dir, sorted by name. */
static int add_dir(char ***files, size_t *n, const char *dir, char **why)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = *n;

	if (!d) {
		if (asprintf(why, "%s: cannot read the directory: %s", dir, strerror(errno)) < 0)
			*why = NULL;
		return -errno;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *path;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0 || add(files, n, path) < 0) {
			closedir(d);
			return -ENOMEM;
		}
		free(path);
	}
	closedir(d);
	if (*n > first)
		qsort(*files + first, *n - first, sizeof(char *), by_name);
	if (*n == first) {
		if (asprintf(why, "%s: no scenario (*.json) in this directory", dir) < 0)
			*why = NULL;
		return -ENOENT;
	}
	return 0;
}

char **sc_catalogue_files(int argc, char **argv, char **why)
{
	char **files = NULL;
	size_t n = 0;
	int r = 0;

	*why = NULL;
	if (argc == 0)
		r = add_dir(&files, &n, sc_catalogue_dir(), why);
	for (int i = 0; r == 0 && i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			r = add_dir(&files, &n, argv[i], why);
		else
			r = add(&files, &n, argv[i]);
	}
	if (r < 0) {
		sc_catalogue_free(files);
		return NULL;
	}
	return files;
}

void sc_catalogue_free(char **files)
{
	for (char **f = files; f && *f; f++)
		free(*f);
	free(files);
}
