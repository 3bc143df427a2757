/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* startup.h - build everything the command line asked for, in QEMU's order */
#ifndef FQ_STARTUP_H
#define FQ_STARTUP_H

/**
 * fq_startup_create() - create the backends and the machine from the parsed command line
 *
 * The order is QEMU's qemu_create_early_backends(), qemu_create_late_backends()
 * and machine creation: early objects, chardevs, block nodes, netdevs, late
 * objects, the machine with its devices, the RAM backend, then the start-up
 * warnings about NICs and netdevs without peers. Exits with QEMU's message
 * when something cannot be created. Shared by main() and the fuzz harness so
 * both see the same machine.
 */
void fq_startup_create(void);

#endif
