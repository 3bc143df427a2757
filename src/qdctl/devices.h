/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* devices.h - what `qdctl vm` and scenarios share about hot-plugged devices: names, taps, caps */
#ifndef QDCTL_DEVICES_H
#define QDCTL_DEVICES_H

#include <stdbool.h>

#include <json-c/json.h>

#include "qemudrv.h"

/* The names a memory model and backend go by ("dimm", "virtio-mem"; "ram", "file", "memfd"). */
extern const char *const qdctl_memory_models[];	  /* NULL-terminated, by enum qd_memory_model */
extern const char *const qdctl_memory_backends[]; /* NULL-terminated, by enum qd_memory_backend */

/* qdctl_choice() - the index of @name in @names (NULL-terminated), or -1. */
int qdctl_choice(const char *const *names, const char *name);

/*
 * struct qdctl_taps - the tap descriptors of a NIC that qdctl opens itself:
 * @queues of them on one tap device (IFF_MULTI_QUEUE for more than one),
 * named @name, or the kernel's choice ("tapN") when NULL.
 */
struct qdctl_taps {
	int fds[QD_NET_MAX_QUEUES];
	unsigned n;
	char name[16];
};

/*
 * qdctl_taps_open() - open @queues descriptors of tap @name (created if
 * absent; it lasts as long as a descriptor of it is open, so QEMU's copies
 * keep it). Return: 0, or a negative errno with @err saying why (EPERM: no
 * CAP_NET_ADMIN).
 */
int qdctl_taps_open(const char *name, unsigned queues, struct qdctl_taps *t, qd_error *err);

/* qdctl_taps_usable() - whether qdctl can create a tap device here (tried, then let go). */
bool qdctl_taps_usable(void);

/* qdctl_taps_close() - close qdctl's copies (QEMU has its own). */
void qdctl_taps_close(struct qdctl_taps *t);

/* qdctl_caps_json() - add what a VM can hot-plug to @o: "block", "cpu", "vfio", "memory", "net". */
void qdctl_caps_json(unsigned caps, json_object *o);

/* qdctl_plug_results_json() - a batch's outcomes as [{"id", "ok", "location"|"error"}]. */
json_object *qdctl_plug_results_json(const char *const *ids, const struct qd_plug_result *res,
				     size_t n);

#endif
