/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host.c - facts about the host: nesting, memory, CPUs, socket paths, the QEMU binary */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "host.h"

#define DEFAULT_QEMU "/usr/bin/qemu-system-x86_64"

static void qd_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_fclose_ __attribute__((cleanup(qd_fclosep)))

int qd_host_is_nested(const char *cpuinfo_path, qd_error *err)
{
	const char *path = cpuinfo_path ? cpuinfo_path : "/proc/cpuinfo";
	_cleanup_fclose_ FILE *f = fopen(path, "r");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return qd_error_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char *colon, *tok, *save = NULL;

		if (strncmp(line, "flags", 5) != 0 || !(colon = strchr(line, ':')))
			continue;
		for (tok = strtok_r(colon + 1, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			if (!strcmp(tok, "hypervisor"))
				return 1;
		return 0; /* the first CPU's flags decide */
	}
	if (ferror(f))
		return qd_error_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
	return 0;
}

int qd_host_mem_mb(const char *meminfo_path, unsigned long long *mb, qd_error *err)
{
	const char *path = meminfo_path ? meminfo_path : "/proc/meminfo";
	_cleanup_fclose_ FILE *f = fopen(path, "r");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return qd_error_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		unsigned long long kb;

		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) {
			if (kb == 0)
				return qd_error_set(err, -EINVAL, "%s: MemTotal is 0", path);
			*mb = kb / 1024;
			return 0;
		}
	}
	return qd_error_set(err, -EINVAL, "%s: no MemTotal line", path);
}

unsigned qd_host_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

int qd_socket_path(const char *dir, const char *name, char **out, int *shortened, qd_error *err)
{
	size_t dirlen = strlen(dir), namelen = strlen(name), avail;

	*out = NULL;
	*shortened = 0;
	if (dirlen + 1 + namelen <= QD_MAX_SOCKET_PATH) {
		if (asprintf(out, "%s/%s", dir, name) < 0)
			return qd_error_set(err, -ENOMEM, "out of memory");
		return 0;
	}
	avail = dirlen + 1 < QD_MAX_SOCKET_PATH ? QD_MAX_SOCKET_PATH - dirlen - 1 : 0;
	if (avail < QD_MIN_SOCKET_NAME)
		return qd_error_set(err, -ENAMETOOLONG,
				    "socket name '%s' cannot be shortened enough: directory %s "
				    "leaves %zu of the %d bytes a unix socket path may have (at "
				    "least %d are needed)",
				    name, dir, avail, QD_MAX_SOCKET_PATH, QD_MIN_SOCKET_NAME);
	if (asprintf(out, "%s/%.*s", dir, (int)avail, name) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	*shortened = 1;
	return 0;
}

int qd_qemu_binary(const char *explicit_path, char **out, qd_error *err)
{
	const char *path = explicit_path && *explicit_path ? explicit_path : DEFAULT_QEMU;
	struct stat st;

	*out = NULL;
	if (stat(path, &st) < 0)
		return qd_error_set(err, -errno, "QEMU binary %s: %s%s", path, strerror(errno),
				    explicit_path ? "" : " (set qemu_path)");
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return qd_error_set(err, -EACCES, "QEMU binary %s is not an executable file", path);
	*out = strdup(path);
	return *out ? 0 : qd_error_set(err, -ENOMEM, "out of memory");
}
