/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scenario_names.c - errno and signal names as scenarios write them ("ENOSPC", "KILL") */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

/* Highest errno glibc names on Linux (EHWPOISON). */
#define MAX_ERRNO 133

const char *sc_errno_name(int err_no)
{
	if (err_no <= 0 || err_no > MAX_ERRNO)
		return NULL;
	return strerrorname_np(err_no);
}

int sc_errno_value(const char *name)
{
	for (int e = 1; name && e <= MAX_ERRNO; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strcmp(n, name))
			return e;
	}
	return 0;
}

int sc_signal_value(const char *name)
{
	if (!name)
		return 0;
	if (!strncmp(name, "SIG", 3))
		name += 3;
	for (int s = 1; s < NSIG; s++) {
		const char *n = sigabbrev_np(s);

		if (n && !strcmp(n, name))
			return s;
	}
	return 0;
}
