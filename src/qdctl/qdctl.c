/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl.c - entry point of qdctl: dispatch to a subcommand */
#include <stdio.h>
#include <string.h>

#include "qdctl.h"

static void usage(FILE *f)
{
	fputs("usage: qdctl COMMAND [ARGS...]\n"
	      "\n"
	      "commands:\n"
	      "  host    is this host a VM, is KVM usable (qdctl host --help)\n"
	      "  vm      hot-plug vCPUs, disks, VFIO on one VM, step by step (qdctl vm --help)\n"
	      "  run     start a VM from a JSON config, pause, resume, stop it (qdctl run --help)\n"
	      "  qmp     connect to a QMP socket and run commands (qdctl qmp --help)\n"
	      "  scenario  run scenario files (hot-plug edge cases) against a QEMU "
	      "(qdctl scenario --help)\n"
	      "  qualify   the scenario catalogue against several QEMUs, one report "
	      "(qdctl qualify --help)\n"
	      "  report    merge the results of several runs into one report "
	      "(qdctl report merge --help)\n"
	      "  record    vm operations recorded against real QEMU, replayed without it "
	      "(qdctl record --help)\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return QDCTL_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return QDCTL_OK;
	}
	if (strcmp(argv[1], "host") == 0)
		return qdctl_host_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "vm") == 0)
		return qdctl_vm_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return qdctl_run_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "qmp") == 0)
		return qdctl_qmp_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "scenario") == 0)
		return qdctl_scenario_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "qualify") == 0)
		return qdctl_qualify_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0)
		return qdctl_report_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "record") == 0)
		return qdctl_record_main(argc - 1, argv + 1);
	fprintf(stderr, "qdctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return QDCTL_USAGE;
}
