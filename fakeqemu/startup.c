/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* startup.c - build everything the command line asked for, in QEMU's order */
#include <string.h>

#include "block.h"
#include "chardev.h"
#include "devices.h"
#include "fakeqemu.h"
#include "fsdev.h"
#include "machine.h"
#include "monitor.h"
#include "net.h"
#include "objects.h"
#include "startup.h"

void fq_startup_create(void)
{
	bool has_board;

	/* select_machine() comes before any backend is created. */
	fq_machine_check_type();
	fq_objects_create(true);
	fq_chardevs_create();
	fq_fsdevs_create();
	fq_blocks_create();
	fq_machine_configure();
	fq_netdevs_create();
	fq_objects_create(false);
	/* qemu_create_late_backends() ends with the monitors, which greet from then on. */
	fq_monitors_start();
	fq_machine_init();
	/* The machine type is resolved (default "pc") by fq_machine_init(). */
	has_board = strcmp(fq_vm.cfg.machine, "none") != 0;
	fq_objects_machine_ram(has_board ? "pc.ram" : "ram", fq_machine_ram_size());
	fq_net_check_clients();
	fq_devices_check_nics();
}
