/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state.h - a VM's persistent hypervisor state: versioned JSON, atomic writes, validated loads */
#ifndef QD_STATE_H
#define QD_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "qemudrv.h"

#define QD_STATE_VERSION 1
#define QD_BRIDGE_SLOTS	 32

/* struct qd_bridge - a PCI bridge and which device holds each of its slots. */
struct qd_bridge {
	char *id;		      /* "pci-bridge-0" */
	int addr;		      /* its slot on the root bus */
	int chassis;		      /* unique, > 0 */
	char *slots[QD_BRIDGE_SLOTS]; /* device id, or NULL; slot 0 is never used (SHPC) */
};

/* struct qd_vcpu_record - a hot-plugged vCPU. */
struct qd_vcpu_record {
	char *id;
	int socket, die, core, thread; /* -1 when QEMU did not report it */
	bool plugging;		       /* device_add sent, its outcome not known yet */
};

enum qd_hotplug_kind {
	QD_HOTPLUG_VIRTIO_BLK = 1,
	QD_HOTPLUG_SCSI_HD,
	QD_HOTPLUG_VFIO,
	QD_HOTPLUG_VIRTIO_NET,
	QD_HOTPLUG_PC_DIMM,
	QD_HOTPLUG_VIRTIO_MEM,
	QD_HOTPLUG_KIND_MAX = QD_HOTPLUG_VIRTIO_MEM,
};

/*
 * struct qd_device_record - a hot-plugged device, and what it owns in
 * QEMU's other namespaces (its backends, named as names.h says).
 */
struct qd_device_record {
	char *id;
	enum qd_hotplug_kind kind;
	char *node;   /* disks: the block node */
	char *netdev; /* NICs: the netdev */
	char *memdev; /* memory: the backend object */
	char *bridge; /* bridge id for PCI devices, or NULL */
	int slot;
	int scsi_id, lun;
	char *bdf;		    /* VFIO host address */
	char *mac;		    /* NICs: the MAC given, or NULL */
	unsigned queues;	    /* NICs: tap queues (descriptors passed) */
	unsigned long long size_mb; /* memory */
	bool unplugging;	    /* device_del sent, removal not confirmed */
	bool plugging;		    /* device_add sent, its outcome not known yet */
};

/* struct qd_state - everything qemudrv keeps about a VM across restarts. */
struct qd_state {
	char uuid[37];
	int qemu_pid;	   /* the running QEMU, for qd_vm_attach(); 0 when none */
	unsigned vcpu_seq; /* hot-plugged vCPU ids are cpu-<seq>, never reused */
	struct qd_bridge *bridges;
	size_t nbridges;
	struct qd_vcpu_record *vcpus;
	size_t nvcpus;
	struct qd_device_record *devices;
	size_t ndevices;
};

/* The largest state file accepted (a sane one is a few KiB). */
#define QD_STATE_MAX_SIZE (4 << 20)

/*
 * qd_state_load_at() - read and validate @name in @dirfd (never following a
 * symbolic link); @display names the file in messages.
 * Return: 0; -ENOENT (absent, no message); -EBADMSG (the message says why,
 * the file is left as it is); -ELOOP; another errno.
 */
int qd_state_load_at(int dirfd, const char *name, const char *display, struct qd_state *st,
		     qd_error *err);

/*
 * qd_state_parse() - the state file's text (@len bytes, NUL bytes included)
 * to records, validated as qd_state_load_at() does; @display names it.
 */
int qd_state_parse(const char *text, size_t len, const char *display, struct qd_state *st,
		   qd_error *err);

/*
 * qd_state_save_at() - replace @name in @dirfd atomically: a new file that
 * takes the old one's place. With @durable, the file and the directory are
 * fsynced and the UUID and bridges copied to the directory's durable record,
 * so the version survives a power loss; without, nothing waits for the disk
 * and a power loss may leave any version since the last durable one, or an
 * empty file (qd_state_file_torn()), which is what records that die with
 * QEMU can afford.
 */
int qd_state_save_at(int dirfd, const char *name, const char *display, const struct qd_state *st,
		     bool durable, qd_error *err);

/*
 * qd_state_create_at() - write @name durably only if it does not exist yet:
 * -EEXIST (no message) when another writer created it first.
 */
int qd_state_create_at(int dirfd, const char *name, const char *display, const struct qd_state *st,
		       qd_error *err);

/*
 * qd_state_file_torn() - whether @name is what a power loss leaves of a file
 * whose data never reached the disk: empty, or only NUL bytes (a page torn
 * between two versions is found by its date: qd_state_file_predates_boot()).
 */
bool qd_state_file_torn(int dirfd, const char *name);

/*
 * qd_state_file_predates_boot() - whether @name was last written before this
 * boot of the host: a QEMU it described cannot run any more.
 */
bool qd_state_file_predates_boot(int dirfd, const char *name);

/*
 * qd_state_load_durable_copy() - the UUID and bridges as the last durable
 * save recorded them (no vCPUs, devices or pid). -ENODATA when there is none.
 */
int qd_state_load_durable_copy(int dirfd, struct qd_state *st, qd_error *err);

/*
 * qd_state_remove_temps() - delete temporary files of saves of @name: those
 * of processes that no longer run, or with @all every one.
 */
void qd_state_remove_temps(int dirfd, const char *name, bool all);

/* Path-based forms of the above, for tests and tools. */
int qd_state_load(const char *path, struct qd_state *st, qd_error *err);
int qd_state_save(const char *path, const struct qd_state *st, qd_error *err);
int qd_state_save_quick(const char *path, const struct qd_state *st, qd_error *err);

/*
 * qd_state_check() - whether the records of @st agree with each other and
 * with what QEMU accepts (ids, slot owners, node names, addresses): 0, or
 * -EBADMSG naming the first problem. qd_state_from_json() runs it.
 */
int qd_state_check(const struct qd_state *st, qd_error *err);

/* qd_state_to_json() / qd_state_from_json() - the file format, for tests and tools. */
json_object *qd_state_to_json(const struct qd_state *st);
int qd_state_from_json(json_object *o, struct qd_state *st, qd_error *err);

void qd_state_clear(struct qd_state *st);

/*
 * qd_state_forget_qemu() - drop what died with the running QEMU: its pid,
 * the hot-plugged vCPUs and devices and their bridge slots. The UUID and the
 * bridges stay.
 */
void qd_state_forget_qemu(struct qd_state *st);

/* qd_state_bridges_are() - whether @st has exactly the @n bridges a VM with @n gets. */
bool qd_state_bridges_are(const struct qd_state *st, unsigned n);

/*
 * qd_state_set_bridges() - replace the bridges by @n new ones: pci-bridge-<i>
 * at root-bus slot 2+i, chassis i+1 (their slots empty). -ENOMEM on failure.
 */
int qd_state_set_bridges(struct qd_state *st, unsigned n);

/* Helpers used by the VM and hotplug code. */
int qd_state_add_bridge(struct qd_state *st, const char *id, int addr, int chassis);
int qd_state_add_vcpu(struct qd_state *st, const char *id, int socket, int die, int core,
		      int thread);
void qd_state_remove_vcpu(struct qd_state *st, const char *id);
int qd_state_add_device(struct qd_state *st, const struct qd_device_record *rec);
struct qd_device_record *qd_state_find_device(struct qd_state *st, const char *id);
void qd_state_remove_device(struct qd_state *st, const char *id);

#endif
