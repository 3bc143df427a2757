/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machine.h - the machine model built from the command line: type, CPUs, buses, run state */
#ifndef FQ_MACHINE_H
#define FQ_MACHINE_H

#include <stdbool.h>

#include <json-c/json.h>

#include <stdint.h>

#include "fakeqemu.h"

/* Command-line options that shape the machine. */
void fq_machine_option(const char *arg, struct fq_config *cfg);
void fq_machine_smp_option(const char *arg, struct fq_config *cfg);
void fq_machine_memory_option(const char *arg, struct fq_config *cfg);

/**
 * fq_machine_ram_size() - the machine's RAM in bytes (-m, aligned to 8 KiB,
 * or the machine type's default), known once fq_machine_configure() has run
 */
uint64_t fq_machine_ram_size(void);
void fq_machine_queue_device(const char *arg);
/* fq_machine_queue_device_for() - a device an option made (-drive if=virtio): its errors name @location. */
void fq_machine_queue_device_for(const char *arg, const char *location);
void fq_machine_queue_blockdev(const char *arg);
void fq_machine_queue_drive(const char *arg);

/**
 * fq_machine_check_type() - qemu_create_machine(): refuse an unsupported
 * -machine type (default pc), before any backend is created
 */
void fq_machine_check_type(void);

/**
 * fq_machine_configure() - the machine's options as QEMU applies them
 * before the late backends: -m against itself, the accelerator, -smp
 */
void fq_machine_configure(void);

/**
 * fq_machine_type() - the machine type as query-machines names it, an alias
 * resolved ("pc" is "pc-i440fx-7.2" on 7.2), once fq_machine_check_type() ran
 */
const char *fq_machine_type(void);

/**
 * fq_machine_type_older() - whether the machine type is a versioned one
 * older than @major.@minor (compat properties of older machine types)
 * @major: major version
 * @minor: minor version
 */
bool fq_machine_type_older(int major, int minor);

/**
 * fq_machine_prop_json() - the value -machine gives property @name of the
 * machine, as QEMU's JSON text (free it), or NULL when not given
 * @name: a property of the machine type
 */
char *fq_machine_prop_json(const char *name);

/**
 * fq_machine_init() - the board: CPUs (the -cpu model), the memory map,
 * buses and the cold-plugged devices; exits with QEMU's message on a bad
 * configuration (by then the monitors have greeted their clients)
 */
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
