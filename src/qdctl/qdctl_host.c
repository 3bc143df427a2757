/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_host.c - `qdctl host`: what qemudrv sees of the host (nesting, KVM) */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "qdctl.h"
#include "qemudrv.h"

int qdctl_host_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"cpuinfo", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *cpuinfo = NULL;
	qd_error err = {0};
	int c, nested, fd;

	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cpuinfo = optarg;
			break;
		case 'h':
			puts("usage: qdctl host [--cpuinfo PATH]\n\nPrints whether this host is "
			     "itself a VM (the hypervisor CPU flag) and whether /dev/kvm is "
			     "usable.");
			return QDCTL_OK;
		default:
			return QDCTL_USAGE;
		}
	}
	nested = qd_host_is_nested(cpuinfo, &err);
	if (nested < 0) {
		fprintf(stderr, "qdctl: %s\n", err.message);
		qd_error_clear(&err);
		return QDCTL_FAILED;
	}
	printf("nested: %s\n", nested ? "yes (the hypervisor flag is set: this host is a VM; "
					"qemudrv applies the nesting workarounds)"
				      : "no");
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	printf("kvm: %s\n", fd >= 0 ? "/dev/kvm is usable" : "/dev/kvm is not usable");
	if (fd >= 0)
		close(fd);
	return QDCTL_OK;
}
