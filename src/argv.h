/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* argv.h - a resolved VM configuration to QEMU's command line (no shell, ",," escaping) */
#ifndef QD_ARGV_H
#define QD_ARGV_H

#include <stdbool.h>

#include "devspec.h"
#include "qemudrv.h"
#include "state.h"

/* struct qd_launch_params - what the command line needs besides the configuration. */
struct qd_launch_params {
	const char *qemu; /* binary */
	const char *uuid;
	const struct qd_state *state; /* bridges */
	const char *qmp_path;	      /* path mode: QEMU creates the socket here */
	int qmp_fd;		      /* >= 0: QEMU adopts this listening socket instead */
	const char *console_path;
	const char *pidfile; /* with daemonize */
	bool nested;	     /* the host is a VM: apply the nesting workarounds */
};

/*
 * qd_build_argv() - the argv (NULL-terminated, malloc'd) for @cfg, which
 * qd_config_resolve() checked. Image size is read from the file.
 */
int qd_build_argv(const struct qd_vm_config *cfg, const struct qd_launch_params *lp, char ***out,
		  qd_error *err);

/*
 * qd_kernel_cmdline() - arch defaults, debug/quiet, panic=1, initcall_debug,
 * nr_cpus=<max_vcpus>, then the user's parameters (which win): "k=v k2".
 * A value with a space is quoted; one with a double quote is refused.
 */
int qd_kernel_cmdline(const struct qd_vm_config *cfg, char **out, qd_error *err);

#endif
