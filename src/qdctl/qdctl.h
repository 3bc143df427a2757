/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl.h - subcommands of the qdctl command-line tool */
#ifndef QDCTL_H
#define QDCTL_H

/* Exit codes shared by every subcommand. */
enum {
	QDCTL_OK = 0,
	QDCTL_QMP_ERROR = 1, /* QEMU refused a command */
	QDCTL_USAGE = 2,
	QDCTL_FAILED = 3, /* connection, timeout, protocol or system error */
};

/* qdctl_qmp_main() - `qdctl qmp`: run QMP commands against a socket. */
int qdctl_qmp_main(int argc, char **argv);

/* qdctl_host_main() - `qdctl host`: nesting and KVM. */
int qdctl_host_main(int argc, char **argv);

/* qdctl_run_main() - `qdctl run`: a VM's life cycle from a JSON config. */
int qdctl_run_main(int argc, char **argv);

/* qdctl_vm_main() - `qdctl vm`: hot-plug and life-cycle operations on one VM. */
int qdctl_vm_main(int argc, char **argv);

/* qdctl_find_fakeqemu() - the fakeqemu installed or built next to qdctl (malloc'd), or NULL. */
char *qdctl_find_fakeqemu(void);

/*
 * qdctl_default_kernel() - the newest /boot/vmlinuz-* (what Debian's
 * linux-image package installs), or NULL: then QEMU boots its firmware.
 */
const char *qdctl_default_kernel(void);

/*
 * qdctl_default_run_dir() - $XDG_RUNTIME_DIR/qemudrv, /run/qemudrv for
 * root, else /tmp/qemudrv-<uid>.
 */
const char *qdctl_default_run_dir(void);

/*
 * qdctl_halt_kernel() - write a tiny kernel that halts at once (a machine
 * with no OS, bootable by real QEMU and accepted by fakeqemu) into @dir.
 * Return: its path (malloc'd), or NULL.
 */
char *qdctl_halt_kernel(const char *dir);

/* qdctl_scenario_main() - `qdctl scenario`: run scenario files against one QEMU. */
int qdctl_scenario_main(int argc, char **argv);

/* qdctl_qualify_main() - `qdctl qualify`: the catalogue against QEMU versions, one report. */
int qdctl_qualify_main(int argc, char **argv);

/* qdctl_report_main() - `qdctl report merge`: join results of several runs. */
int qdctl_report_main(int argc, char **argv);

/* qdctl_record_main() - `qdctl record`: qemudrv operations recorded against real QEMU. */
int qdctl_record_main(int argc, char **argv);

#include <stdbool.h>
#include <stdio.h>

#include "qemudrv.h"

/*
 * qdctl_error_set() - fill @err (NULL allowed) with @code and a message.
 * Return: @code.
 */
int qdctl_error_set(qd_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* struct qdctl_vm_options - the options `qdctl run` and `qdctl vm` share. */
struct qdctl_vm_options {
	const char *qemu;
	const char *run_dir;
	long timeout;
	bool keep; /* run: leave it running; vm: keep going after a failure */
	bool verbose;
};

/*
 * qdctl_parse_vm_options() - -q -d -t -k -v -h. Return: 0 to go on, -1 after
 * --help (exit 0), or an exit status for a bad option.
 */
int qdctl_parse_vm_options(int argc, char **argv, struct qdctl_vm_options *o,
			   void (*usage)(FILE *));

#endif
