/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug.h - hot-plug's shared parts: the transaction, backends, presence, confirmed device_del */
#ifndef QD_HOTPLUG_H
#define QD_HOTPLUG_H

#include <stdbool.h>

#include "devspec.h"
#include "qemudrv.h"
#include "vm_private.h"

/*
 * qd_hp_begin() - lock @vm and make sure it talks to its running QEMU
 * (qd_vm_connect()); unlocks itself on failure.
 */
int qd_hp_begin(struct qd_vm *vm, int timeout_ms, qd_error *err);

/*
 * qd_hp_save() - write the state: atomically, not synced, since hot-plug
 * records die with QEMU (see DOC in vm.c). Also before a step whose outcome
 * may be lost, so that the intent is on record.
 */
int qd_hp_save(struct qd_vm *vm, qd_error *err);

/* qd_hp_peripheral() - ids of /machine/peripheral (qom-list); *@out NULL-terminated. */
int qd_hp_peripheral(struct qd_vm *vm, int timeout_ms, char ***out, qd_error *err);

/* A check that a device is really gone, after its event or its deadline: 1 gone, 0 not. */
typedef int (*qd_hp_gone_fn)(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err);

/* qd_hp_gone_from_peripheral() - 1 when qom-list no longer lists @id. */
int qd_hp_gone_from_peripheral(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err);

/*
 * qd_hp_device_del() - device_del @id with the wait for its events armed
 * first; done when a DEVICE_DELETED names the device (or @alt_path, e.g. a
 * CPU's lapic, and @gone agrees), or when QEMU says DeviceNotFound; over at
 * once when the guest refuses (DEVICE_UNPLUG_GUEST_ERROR, or an _OST failure
 * for the eject). After the deadline @gone decides (an event may be lost).
 * Return: 0 removed, -ETIMEDOUT still there, -EBUSY the guest refused,
 * -EREMOTEIO QEMU refused, other errno.
 */
int qd_hp_device_del(struct qd_vm *vm, const char *id, const char *alt_path, qd_hp_gone_fn gone,
		     int timeout_ms, qd_error *err);

/* qd_hp_cpu_listed() - whether a query-cpus-fast result lists vCPU @id. */
bool qd_hp_cpu_listed(json_object *cpus, const char *id);

/* qd_hp_claim() - the events of @id are the library's (see qd_qmp_claim()). */
void qd_hp_claim(struct qd_vm *vm, const char *id);

/* qd_hp_unclaim() - @id's record is gone. */
void qd_hp_unclaim(struct qd_vm *vm, const char *id);

/* qd_hp_can_ask() - whether the connection can still be asked what happened. */
bool qd_hp_can_ask(struct qd_vm *vm);

/*
 * qd_hp_id_taken() - whether @id names something of the VM already: a
 * hot-plugged device or vCPU, a cold-plugged device, a bridge.
 */
bool qd_hp_id_taken(struct qd_vm *vm, const char *id);

/* qd_hp_bridge() - the state's bridge @id, or NULL. */
struct qd_bridge *qd_hp_bridge(struct qd_vm *vm, const char *id);

/* qd_hp_append() - append "; <text>" to @err's message ("<QEMU's words>; <what was done>"). */
void qd_hp_append(qd_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * qd_hp_delete_backends() - delete what device record @rec owns in QEMU
 * (its block node, netdev, memory backend; with @fds the descriptors a NIC
 * passed too), each one counted done when QEMU no longer has it. A backend
 * whose deletion gets no answer is tried again on a new connection.
 * Return: 0, or the first error (the others are still tried).
 */
int qd_hp_delete_backends(struct qd_vm *vm, const struct qd_device_record *rec, bool fds,
			  int timeout_ms, qd_error *err);

/* qd_hp_forget() - drop device record @id: its slot, its claim (the state is not saved). */
void qd_hp_forget(struct qd_vm *vm, const char *id);

/*
 * DOC: a hot-plug transaction
 *
 * One sequence serves every kind of device and the vCPUs: the record is
 * made (its bridge slot taken, its events claimed) and saved before QEMU is
 * asked for anything, as plugged, so that the usual outcome costs one save
 * and a reply lost to a timeout, a dropped connection or a crash always
 * leaves a record of what may exist. Then the steps: the descriptors it
 * passes (getfd), its backends, its frontend (device_add), in order. A step
 * QEMU refuses undoes exactly the steps before it that QEMU took (closefd,
 * blockdev-del, netdev_del, object-del), and the record goes. A step whose
 * outcome is unknown is settled by asking QEMU at once, when the connection
 * allows: the device there means the plug completed; otherwise whatever
 * the record names is deleted and the record goes. When QEMU cannot be
 * asked, the record stays as "plugging" until the next add of the id, or
 * qd_vm_reconcile(), settles it. An undo that fails leaves the record as
 * plugging when reconcile could not find the leftover by itself (a netdev,
 * a descriptor); a block node or memory backend of ours reconcile finds.
 *
 * A batch of devices is recorded with one save and, pipelined, sent in one
 * write: every device's steps, in order, QEMU answering each in turn. Each
 * device's outcome is then judged as above, on its own; a second save
 * follows only if something was undone or left uncertain.
 */

/* struct qd_txn - one device's (or vCPU's) hot-plug, its input and its outcome. */
struct qd_txn {
	/* Input. */
	struct qd_device_record rec; /* the record to make; strings borrowed */
	bool vcpu;		     /* a vCPU: rec.id, and its slot's ids below */
	int vcpu_slot[4];	     /* socket, die, core, thread (-1: not reported) */
	struct qd_spec spec;	     /* owned: cleared by qd_txn_clear() */
	int *fds;		     /* owned: passed first, each with getfd as @fd_names[i] */
	char **fd_names;	     /* owned */
	size_t nfds;
	/* Outcome. */
	int r;
	bool undone; /* refused, and nothing of it is left (in QEMU or the state) */
	qd_error err;
};

/* qd_txn_clear() - release a transaction's spec, names and error. */
void qd_txn_clear(struct qd_txn *t);

/*
 * qd_txn_run() - record and plug @n devices (lock held, connected): one by
 * one, each step waiting for its reply (@pipelined false: a refusal stops
 * that device), or all steps of all devices in one write (@pipelined).
 * Each @t[i].r and .err get that device's outcome.
 * Return: 0 when all were plugged, else the first failure's errno (in @err).
 */
int qd_txn_run(struct qd_vm *vm, struct qd_txn *t, size_t n, bool pipelined, int timeout_ms,
	       qd_error *err);

/*
 * struct qd_hp_kind - what an add of one kind of device needs
 * @what:    its name in messages ("block", "NIC", ...)
 * @size:    the size of one description (the caller's array element)
 * @id_of:   a description's id
 * @prepare: check one description and fill its transaction (its bridge slot
 *           taken, its spec and record), before anything is sent; on
 *           failure nothing is left taken
 * @finish:  after the plug, where the guest finds the device (*@location,
 *           malloc'd), confirming with QEMU where that is needed; or NULL
 */
struct qd_hp_kind {
	const char *what;
	size_t size;
	const char *(*id_of)(const void *dev);
	int (*prepare)(struct qd_vm *vm, const void *dev, struct qd_txn *t, int timeout_ms,
		       qd_error *err);
	int (*finish)(struct qd_vm *vm, const void *dev, const struct qd_txn *t, char **location,
		      int timeout_ms, qd_error *err);
};

/*
 * qd_hp_plug() - the public adds' common body: lock, settle earlier records
 * of the ids, prepare every device (one that fails refuses all: nothing is
 * sent), run the transactions, finish each plugged one. One device fills
 * *@location; a batch fills @results (either may be NULL).
 */
int qd_hp_plug(struct qd_vm *vm, const struct qd_hp_kind *kind, const void *devs, size_t n,
	       bool pipelined, int timeout_ms, char **location, struct qd_plug_result *results,
	       qd_error *err);

/*
 * qd_hp_settle_earlier() - before an add of @id: a record of that id (what
 * an interrupted add left) is believed only once QEMU confirms the device.
 * Return: 0 (no record now), -EEXIST (the device is there), or a query's error.
 */
int qd_hp_settle_earlier(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err);

/*
 * struct qd_hp_unplug - what a removal of one kind of device needs
 * @kinds:   the record kinds it removes
 * @what:    its name in messages
 * @before:  run before device_del (virtio-mem: release the memory), or NULL
 * @refused: QEMU or the guest refused the unplug: put back what @before
 *           changed, or NULL
 * @ctx:     passed to both
 */
struct qd_hp_unplug {
	const enum qd_hotplug_kind *kinds;
	size_t nkinds;
	const char *what;
	int (*before)(struct qd_vm *vm, struct qd_device_record *rec, void *ctx, int timeout_ms,
		      qd_error *err);
	void (*refused)(struct qd_vm *vm, const char *id, void *ctx, int timeout_ms);
	void *ctx;
};

/*
 * qd_hp_remove() - hot-unplug device @id (takes the lock, connects):
 * device_del, the wait for QEMU to delete it, its backends.
 */
int qd_hp_remove(struct qd_vm *vm, const char *id, const struct qd_hp_unplug *how, int timeout_ms,
		 qd_error *err);

/*
 * qd_hp_check_new_id() - @id may name a new device: valid, and nothing of
 * the VM has it (a record, a cold-plugged device, a vCPU, a bridge, one of
 * qemudrv's own). -EINVAL or -EEXIST.
 */
int qd_hp_check_new_id(struct qd_vm *vm, const char *id, qd_error *err);

/* qd_hp_check_utf8() - text that goes into a QMP string must be UTF-8 (-EINVAL). */
int qd_hp_check_utf8(const char *what, const char *id, const char *v, qd_error *err);

/*
 * qd_hp_take_slot() - take a free bridge slot for @id before anything is
 * sent (the record made later owns it). -ENOSPC when there is none.
 */
int qd_hp_take_slot(struct qd_vm *vm, const char *id, struct qd_bridge **bridge, int *slot,
		    qd_error *err);

/* qd_hp_release_slot() - give back slot @slot of bridge @bridge_id if @id holds it. */
void qd_hp_release_slot(struct qd_vm *vm, const char *bridge_id, int slot, const char *id);

/* qd_hp_location() - "BB/SS" (malloc'd) of a bridge slot. */
char *qd_hp_location(const struct qd_bridge *b, int slot);

/* qd_hp_spec_host() - the host adjustments of @vm's devices. */
struct qd_spec_host qd_hp_spec_host(const struct qd_vm *vm);

#endif
