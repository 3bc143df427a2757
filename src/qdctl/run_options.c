/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_options.c - the options `qdctl scenario` and `qdctl qualify` share: how scenarios run */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_options.h"

int sc_run_option(int c, const char *arg, struct sc_run_options *o)
{
	switch (c) {
	case SC_OPT_GUEST_ACCEL:
		if (strcmp(arg, "auto") && strcmp(arg, "kvm") && strcmp(arg, "tcg")) {
			fprintf(stderr, "qdctl: --guest-accel %s: must be auto, kvm or tcg\n", arg);
			return -1;
		}
		o->guest_accel = arg;
		return 1;
	case SC_OPT_GUEST_KERNEL:
		free(o->guest->kernel);
		o->guest->kernel = strdup(arg);
		return 1;
	case SC_OPT_GUEST_INITRD:
		free(o->guest->initrd);
		o->guest->initrd = strdup(arg);
		return 1;
	case 'w':
		o->work_base = arg;
		return 1;
	case 'k':
		o->keep = true;
		return 1;
	}
	return 0;
}

int sc_run_options_check(const struct sc_run_options *o)
{
	if (!!o->guest->kernel != !!o->guest->initrd) {
		fprintf(stderr, "qdctl: --guest-kernel and --guest-initrd go together\n");
		return -1;
	}
	return 0;
}

int sc_machine_option(const char *arg)
{
	if (strcmp(arg, "pc") && strcmp(arg, "q35")) {
		fprintf(stderr, "qdctl: --machine %s: must be pc or q35\n", arg);
		return -1;
	}
	return 0;
}
