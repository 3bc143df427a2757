/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cpu.h - vCPU hot-plug as QEMU's x86 machine does it: slots, APIC IDs, checks */
#ifndef FQ_CPU_H
#define FQ_CPU_H

#include <stdbool.h>

#include <json-c/json.h>

#include "fakeqemu.h"
#include "qmp_dispatch.h"

/* fq_cpu_is_type() - whether @driver names an x86 CPU type. */
bool fq_cpu_is_type(const char *driver);

/*
 * fq_cpu_device_add() - x86_cpu_pre_plug() checks, then plug into the slot;
 * @qom_path (taken over) is where the device went in qdev_set_id().
 */
void fq_cpu_device_add(const char *driver, const char *id, char *qom_path, json_object *props,
		       bool hotplug, struct fq_reply *r);

/* fq_cpu_device_gone() - @dev left the model: free its slot if it is a CPU. */
void fq_cpu_device_gone(struct fq_device *dev);

/* fq_cpu_slot_of() - the slot a CPU device sits in, or NULL. */
struct fq_cpu_slot *fq_cpu_slot_of(const struct fq_device *dev);

/* fq_cpu_slot_by_path() - the boot CPU slot with this QOM path, or NULL. */
struct fq_cpu_slot *fq_cpu_slot_by_path(const char *path);

/**
 * fq_cpu_flag() - what -cpu says of feature @name
 * @name: a feature property ("sse4_2", "sse4-2" and "sse4.2" are one)
 *
 * Return: 1 for +name or name=on, 0 for -name or name=off, -1 when not given.
 */
int fq_cpu_flag(const char *name);

/**
 * fq_cpu_option() - the value -cpu gives property @name ("phys-bits=42")
 * @name: a property name
 *
 * Return: a new string (the last one given; free it), or NULL.
 */
char *fq_cpu_option(const char *name);

/**
 * fq_cpu_feature_supported() - whether the accelerator supports a feature
 * @name: a feature property
 *
 * Return: true when the recorded "max" CPU of this accelerator has it.
 */
bool fq_cpu_feature_supported(const char *name);

/**
 * fq_cpu_warn_features() - the warnings QEMU prints when it realizes a CPU
 * of the -cpu model: one per requested feature the accelerator lacks, in
 * feature-word and bit order (recorded per model, adjusted for the flags)
 */
void fq_cpu_warn_features(void);

#endif
