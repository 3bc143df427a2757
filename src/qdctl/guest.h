/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* guest.h - the test guest (Debian kernel + busybox initramfs): files, accelerator, console */
#ifndef QDCTL_GUEST_H
#define QDCTL_GUEST_H

#include <regex.h>
#include <stdbool.h>

#include <json-c/json.h>

#include "qemudrv.h"

struct sc_target;
struct sc_run_options;

/*
 * struct sc_guest_files - the test guest, built (or found cached) once per qdctl run.
 * @kernel, @initrd: given (--guest-kernel/--guest-initrd) or built
 * @error:           why there is no guest (set once tried), else NULL
 */
struct sc_guest_files {
	bool tried;
	char *kernel;
	char *initrd;
	char *error;
};

/**
 * sc_guest_files_get() - build the test guest with make-initramfs.sh, once
 * @g: the files; filled on the first call
 *
 * The builder is $QDCTL_GUEST_BUILDER, else the installed copy, else the
 * source tree's tests/system/guest/make-initramfs.sh; its cache is
 * $QD_GUEST_CACHE (default /tmp/qemudrv-guest-UID), shared with the
 * system tests. Idempotent: a cached guest is reused.
 *
 * Return: 0 when @g->kernel and @g->initrd are usable, else -ENOENT with @g->error.
 */
int sc_guest_files_get(struct sc_guest_files *g);

/**
 * sc_guest_choose_accel() - decide what the test guest boots under on @t
 * @t:    the target; fills guest_accel and guest_accel_reason (once)
 * @opts: "auto" probes: KVM when /dev/kvm is usable and a guest boots under
 *        it within 30 s, else TCG (saying why); "kvm" or "tcg" force it
 *
 * On hosts whose KVM is known not to run ordinary guests (kvm_pvm, a
 * paravirtual nested hypervisor: guests hang after the boot loader) the
 * probe is skipped and the reason says so.
 */
void sc_guest_choose_accel(struct sc_target *t, const struct sc_run_options *opts);

/* struct sc_console - the guest's virtio console (hvc0), line by line. */
struct sc_console {
	int fd;
	char *buf;
	size_t len, cap;
	json_object *pending; /* lines read and not yet taken by a wait */
	json_object *log;     /* every line, for reports */
	int seq;
};

/* sc_console_open() - connect to the VM's console socket. */
int sc_console_open(struct sc_console *c, const char *path, qd_error *err);

/* sc_console_close() - disconnect; the log stays until sc_console_free(). */
void sc_console_close(struct sc_console *c);

/* sc_console_free() - close and free everything. */
void sc_console_free(struct sc_console *c);

/**
 * sc_console_wait() - take console lines until one matches @re
 * @c:          the console
 * @re:         the pattern
 * @timeout_ms: deadline
 * @line:       receives the matching line (malloc'd), or NULL
 * @err:        error details
 *
 * Return: 0, -ETIMEDOUT, or -ECONNRESET when the console closed.
 */
int sc_console_wait(struct sc_console *c, const regex_t *re, int timeout_ms, char **line,
		    qd_error *err);

/**
 * sc_console_run() - run a shell command in the guest and collect its output
 * @c:          the console
 * @command:    the command line
 * @timeout_ms: deadline
 * @output:     receives its output lines joined by '\n' (malloc'd)
 * @status:     receives its exit status
 * @err:        error details
 *
 * Return: 0 (whatever the status), or a negative errno as sc_console_wait().
 */
int sc_console_run(struct sc_console *c, const char *command, int timeout_ms, char **output,
		   int *status, qd_error *err);

/* sc_console_boot_wait() - wait for the guest's shell: "echo QD-ALIVE" answered. */
int sc_console_boot_wait(struct sc_console *c, int timeout_ms, qd_error *err);

#endif
