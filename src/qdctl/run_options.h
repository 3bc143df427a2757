/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_options.h - the options `qdctl scenario` and `qdctl qualify` share: how scenarios run */
#ifndef QDCTL_RUN_OPTIONS_H
#define QDCTL_RUN_OPTIONS_H

#include <getopt.h>

#include "scenario_ctx.h"

enum {
	SC_OPT_GUEST_ACCEL = 1000,
	SC_OPT_GUEST_KERNEL,
	SC_OPT_GUEST_INITRD,
};

/* The long options sc_run_option() takes; short ones: -w DIR, -k. */
#define SC_RUN_LONGOPTS                                                                            \
	{"guest-accel", required_argument, NULL, SC_OPT_GUEST_ACCEL},                              \
	    {"guest-kernel", required_argument, NULL, SC_OPT_GUEST_KERNEL},                        \
	    {"guest-initrd", required_argument, NULL, SC_OPT_GUEST_INITRD},                        \
	    {"work-dir", required_argument, NULL, 'w'},                                            \
	{                                                                                          \
		"keep", no_argument, NULL, 'k'                                                     \
	}

/*
 * sc_run_option() - take option @c (with @arg) when it is one of the shared
 * ones. Return: 1 taken, 0 not one of them, -1 a bad value (said on stderr).
 */
int sc_run_option(int c, const char *arg, struct sc_run_options *o);

/* sc_run_options_check() - after the options: 0, or -1 (said on stderr). */
int sc_run_options_check(const struct sc_run_options *o);

/* sc_machine_option() - @arg is pc or q35: 0, or -1 (said on stderr). */
int sc_machine_option(const char *arg);

#endif
