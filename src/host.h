/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host.h - facts about the host: nesting, memory, CPUs, socket paths, the QEMU binary */
#ifndef QD_HOST_H
#define QD_HOST_H

#include <stddef.h>

#include "qemudrv.h"

/* The longest unix socket path: sizeof(sun_path) - 1. */
#define QD_MAX_SOCKET_PATH 107

/* The shortest socket file name qd_socket_path() shortens to (as kata). */
#define QD_MIN_SOCKET_NAME 12

/* qd_host_mem_mb() - MemTotal of @meminfo_path (NULL: /proc/meminfo) in MiB. */
int qd_host_mem_mb(const char *meminfo_path, unsigned long long *mb, qd_error *err);

/* qd_host_ncpus() - online host CPUs. */
unsigned qd_host_ncpus(void);

/*
 * qd_socket_path() - "<dir>/<name>", shortening @name to fit the unix
 * socket limit but not below QD_MIN_SOCKET_NAME characters. *@shortened
 * tells whether it was. Return: 0, or -ENAMETOOLONG with a clear message.
 */
int qd_socket_path(const char *dir, const char *name, char **out, int *shortened, qd_error *err);

/*
 * qd_qemu_binary() - @explicit_path if given (it must be an executable
 * file), else the arch default. Return: 0 or -ENOENT/-EACCES.
 */
int qd_qemu_binary(const char *explicit_path, char **out, qd_error *err);

#endif
