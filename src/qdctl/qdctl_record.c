/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_record.c - `qdctl record`: qemudrv's operations recorded against real QEMU, and replayed
 * without it */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qdctl.h"

/*
 * `qdctl record` runs the operations of `qdctl vm` with fakeqemu as the QEMU
 * binary, in recording mode in front of the real one (FAKEQEMU_RECORD and
 * FAKEQEMU_REAL): the session is written to FILE. `qdctl record --replay
 * FILE` runs the same operations with fakeqemu replaying FILE
 * (FAKEQEMU_REPLAY), no QEMU needed: a failure seen with real QEMU becomes
 * a reproducer. Any other client records the same way (docs/record-replay.md).
 */

static void usage(FILE *f)
{
	fputs("usage: qdctl record [-o FILE] [--qemu PATH] [VM-OPTIONS] CONFIG.json OP [ARGS]...\n"
	      "       qdctl record --replay FILE [VM-OPTIONS] CONFIG.json OP [ARGS]...\n"
	      "\n"
	      "Runs the operations as `qdctl vm` does (see qdctl vm --help for OP and\n"
	      "VM-OPTIONS), with fakeqemu in front of the real QEMU recording the session\n"
	      "(argv, every QMP message both ways, events, timing, QEMU's output and exit)\n"
	      "as plain text; or, with --replay, with fakeqemu playing a recording back to\n"
	      "the same operations without QEMU, reporting the first request that differs.\n"
	      "\n"
	      "options:\n"
	      "  -o, --output FILE   the recording to write (default qdctl-session.rec)\n"
	      "      --qemu PATH     the real QEMU (default /usr/bin/qemu-system-x86_64)\n"
	      "      --replay FILE   replay FILE instead of recording\n"
	      "\n"
	      "exit status: as qdctl vm's\n",
	      f);
}

int qdctl_record_main(int argc, char **argv)
{
	const char *output = "qdctl-session.rec", *real = "/usr/bin/qemu-system-x86_64";
	const char *replay = NULL;
	char **vm_argv, *fake;
	int n = 0, r;

	vm_argv = calloc((size_t)argc + 4, sizeof(char *));
	if (!vm_argv)
		return QDCTL_FAILED;
	vm_argv[n++] = "vm";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_next = i + 1 < argc;

		if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has_next) {
			output = argv[++i];
		} else if (!strcmp(a, "--qemu") && has_next) {
			real = argv[++i];
		} else if (!strcmp(a, "--replay") && has_next) {
			replay = argv[++i];
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			free(vm_argv);
			return QDCTL_OK;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--qemu=")) {
			fprintf(stderr, "qdctl: record: the real QEMU is given with --qemu PATH\n");
			free(vm_argv);
			return QDCTL_USAGE;
		} else {
			vm_argv[n++] = argv[i];
		}
	}
	if (n < 3) {
		usage(stderr);
		free(vm_argv);
		return QDCTL_USAGE;
	}
	fake = qdctl_find_fakeqemu();
	if (!fake) {
		fprintf(stderr, "qdctl: record needs fakeqemu next to qdctl\n");
		free(vm_argv);
		return QDCTL_FAILED;
	}
	if (!replay && access(real, X_OK) < 0) {
		fprintf(stderr, "qdctl: record: --qemu %s: %s\n", real, strerror(errno));
		free(fake);
		free(vm_argv);
		return QDCTL_FAILED;
	}
	/* `qdctl vm -q FAKEQEMU ...`: the operations, the options, everything as there. */
	memmove(vm_argv + 3, vm_argv + 1, (size_t)(n - 1) * sizeof(char *));
	vm_argv[1] = "-q";
	vm_argv[2] = fake;
	n += 2;
	vm_argv[n] = NULL;
	unsetenv("FAKEQEMU_RECORD");
	unsetenv("FAKEQEMU_REAL");
	unsetenv("FAKEQEMU_REPLAY");
	if (replay) {
		setenv("FAKEQEMU_REPLAY", replay, 1);
	} else {
		setenv("FAKEQEMU_RECORD", output, 1);
		setenv("FAKEQEMU_REAL", real, 1);
	}
	r = qdctl_vm_main(n, vm_argv);
	if (!replay)
		fprintf(stderr,
			"qdctl: the session is in %s (replay: qdctl record --replay %s ...)\n",
			output, output);
	free(fake);
	free(vm_argv);
	return r;
}
