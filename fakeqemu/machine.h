/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machine.h - the machine model built from the command line: type, CPUs, buses, run state */
#ifndef FQ_MACHINE_H
#define FQ_MACHINE_H

#include <stdbool.h>

#include <json-c/json.h>

#include "fakeqemu.h"

/* Command-line options that shape the machine. */
void fq_machine_option(const char *arg, struct fq_config *cfg);
void fq_machine_smp_option(const char *arg, struct fq_config *cfg);
void fq_machine_memory_option(const char *arg, struct fq_config *cfg);
void fq_machine_queue_device(const char *arg);
void fq_machine_queue_blockdev(const char *arg);
void fq_machine_queue_drive(const char *arg);

/*
 * fq_machine_check_type() - select_machine(): exit with QEMU's message when
 * -machine named an unknown type (before any backend is created)
 */
void fq_machine_check_type(void);

/* fq_machine_init() - build the model; exits with QEMU's message on a bad configuration. */
void fq_machine_init(void);

/* fq_machine_start() - start running unless -S was given. */
void fq_machine_start(void);

/* fq_vm_set_running() - stop/cont: change the run state and raise STOP/RESUME. */
void fq_vm_set_running(bool running);

/* fq_vm_shutdown() - raise SHUTDOWN with @reason and enter the shutdown state. */
void fq_vm_shutdown(const char *reason, bool guest);

/* Lookups. */
struct fq_device *fq_device_by_id(const char *id);
struct fq_device *fq_device_by_path(const char *qom_path);
struct fq_pci_bus *fq_pci_bus_by_name(const char *name);
struct fq_block_node *fq_node_by_name(const char *name);

/* fq_device_unlink() - remove @dev from the model and free it (slots, buses, drive). */
void fq_device_unlink(struct fq_device *dev);

/* fq_x86_apic_id() - the APIC ID of a topology position. */
unsigned fq_x86_apic_id(int socket, int die, int core, int thread);

/* fq_machine_state_json() - the whole model, for x-fakeqemu-state. */
json_object *fq_machine_state_json(void);

#endif
