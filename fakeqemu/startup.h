/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* startup.h - build everything the command line asked for, in QEMU's order */
#ifndef FQ_STARTUP_H
#define FQ_STARTUP_H

/**
 * fq_startup_create() - create the backends and the machine from the parsed command line
 *
 * The order is QEMU's: the machine type, qemu_create_early_backends() (early
 * objects, chardevs, block nodes), the machine's options (-m, -smp,
 * accelerator), qemu_create_late_backends() (netdevs, late objects, the
 * monitors, which greet their clients from then on), then the board with its
 * CPUs, memory map and devices, the RAM backend, and the start-up warnings
 * about NICs and netdevs without peers. Exits with QEMU's message
 * when something cannot be created. Shared by main() and the fuzz harness so
 * both see the same machine.
 */
void fq_startup_create(void);

#endif
