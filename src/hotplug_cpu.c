/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug_cpu.c - vCPU hot-add and hot-remove, each step recorded, removals confirmed */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "hotplug.h"
#include "names.h"
#include "qmp_client.h"
#include "qmp_commands.h"

struct free_slot {
	json_object *props; /* borrowed from the query result */
	const char *type;
	int key[4]; /* socket, die, core, thread: the order slots are taken in */
};

static int prop(json_object *props, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(props, name, &v) ? json_object_get_int(v) : -1;
}

static int slot_order(const void *a, const void *b)
{
	const struct free_slot *x = a, *y = b;

	for (int i = 0; i < 4; i++)
		if (x->key[i] != y->key[i])
			return x->key[i] < y->key[i] ? -1 : 1;
	return 0;
}

/* 1 when query-cpus-fast no longer lists /machine/peripheral/@id. */
static int cpu_gone(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	_cleanup_json_ json_object *ret = NULL;
	int r;

	r = qd_qmpc_simple(vm->qmp, "query-cpus-fast", timeout_ms, &ret, err);
	if (r < 0)
		return r;
	return !qd_hp_cpu_listed(ret, id);
}

/* The next vCPU id, cpu-<seq>: never reused, and never one that is taken. */
static void next_vcpu_id(struct qd_vm *vm, char *id, size_t size)
{
	for (;;) {
		qd_name_vcpu(vm->st.vcpu_seq, id, size);
		if (!qd_hp_id_taken(vm, id))
			return;
		vm->st.vcpu_seq++;
	}
}

/*
 * One vCPU through the hot-plug transaction (hotplug.h): recorded and saved
 * as plugged before device_add, with exactly the ids QEMU reported for the
 * slot; an outcome that is not known is saved as plugging, for the next add
 * or reconcile.
 */
static int add_one(struct qd_vm *vm, const struct free_slot *s, int timeout_ms, qd_error *err)
{
	struct qd_txn t = {.vcpu = true};
	char id[32];
	int r;

	next_vcpu_id(vm, id, sizeof(id));
	t.rec.id = id;
	for (int i = 0; i < 4; i++)
		t.vcpu_slot[i] = s->key[i];
	r = qd_spec_vcpu(id, s->type, s->props, &t.spec);
	if (r < 0)
		return qd_error_set(err, r, "out of memory");
	vm->st.vcpu_seq++;
	r = qd_txn_run(vm, &t, 1, false, timeout_ms, err);
	if (r == 0)
		qd_log(&vm->log, QD_LOG_INFO, "hot-added vCPU %s", id);
	qd_txn_clear(&t);
	return r;
}

/*
 * vCPUs recorded as plugging are what an interrupted add left (its reply was
 * lost): whether QEMU made them decides, before anything else is added.
 */
static int settle_plugging_vcpus(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	_cleanup_json_ json_object *cpus = NULL;
	bool pending = false, changed = false;
	int r;

	for (size_t i = 0; i < vm->st.nvcpus; i++)
		pending |= vm->st.vcpus[i].plugging;
	if (!pending)
		return 0;
	r = qd_qmpc_simple(vm->qmp, "query-cpus-fast", timeout_ms, &cpus, err);
	if (r < 0)
		return r;
	for (size_t i = vm->st.nvcpus; i-- > 0;) {
		struct qd_vcpu_record *v = &vm->st.vcpus[i];
		_cleanup_free_ char *id = NULL;

		if (!v->plugging)
			continue;
		changed = true;
		if (qd_hp_cpu_listed(cpus, v->id)) {
			v->plugging = false;
			qd_log(&vm->log, QD_LOG_INFO, "vCPU %s: its interrupted hot-plug completed",
			       v->id);
			continue;
		}
		id = strdup(v->id);
		qd_log(&vm->log, QD_LOG_INFO, "vCPU %s: its interrupted hot-plug did not happen",
		       v->id);
		qd_state_remove_vcpu(&vm->st, v->id);
		if (id)
			qd_hp_unclaim(vm, id);
	}
	return changed ? qd_hp_save(vm, err) : 0;
}

int qd_vm_add_vcpus(struct qd_vm *vm, unsigned n, int timeout_ms, unsigned *added, qd_error *err)
{
	_cleanup_json_ json_object *list = NULL;
	_cleanup_free_ struct free_slot *slots = NULL;
	unsigned current, nfree = 0;
	size_t len;
	int r;

	*added = 0;
	if (n == 0) {
		qd_log(&vm->log, QD_LOG_INFO, "adding 0 vCPUs: nothing to do");
		return qd_error_check_timeout(err, timeout_ms);
	}
	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0)
		return r;
	r = settle_plugging_vcpus(vm, timeout_ms, err);
	if (r < 0)
		goto out;
	current = vm->cfg.vcpus + (unsigned)vm->st.nvcpus;
	/* As a difference: current + n would wrap around for a huge n. */
	if (current >= vm->cfg.max_vcpus || n > vm->cfg.max_vcpus - current) {
		qd_log(&vm->log, QD_LOG_WARNING,
		       "cannot hot-add %u vCPUs: the VM has %u of at most %u; adding %u", n,
		       current, vm->cfg.max_vcpus,
		       current < vm->cfg.max_vcpus ? vm->cfg.max_vcpus - current : 0);
		n = current < vm->cfg.max_vcpus ? vm->cfg.max_vcpus - current : 0;
		if (n == 0)
			goto out;
	}
	r = qd_qmpc_simple(vm->qmp, "query-hotpluggable-cpus", timeout_ms, &list, err);
	if (r < 0)
		goto out;
	len = json_object_array_length(list);
	slots = calloc(len ? len : 1, sizeof(*slots));
	if (!slots) {
		r = qd_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(list, i), *props, *type;

		/* A qom-path means the slot is in use. */
		if (json_object_object_get_ex(e, "qom-path", NULL) ||
		    !json_object_object_get_ex(e, "props", &props) ||
		    !json_object_object_get_ex(e, "type", &type))
			continue;
		slots[nfree] =
		    (struct free_slot){props,
				       json_object_get_string(type),
				       {prop(props, "socket-id"), prop(props, "die-id"),
					prop(props, "core-id"), prop(props, "thread-id")}};
		nfree++;
	}
	qsort(slots, nfree, sizeof(*slots), slot_order);
	for (unsigned i = 0; i < nfree && *added < n; i++) {
		r = add_one(vm, &slots[i], timeout_ms, err);
		if (r < 0)
			goto out; /* QEMU's error for this one, verbatim; the count says the rest */
		(*added)++;
	}
	if (*added < n)
		r = qd_error_set(err, -ENOSPC,
				 "only %u of %u vCPUs were added: QEMU has no more free "
				 "CPU slots",
				 *added, n);
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int qd_vm_remove_vcpus(struct qd_vm *vm, unsigned n, int timeout_ms, unsigned *removed,
		       qd_error *err)
{
	int r;

	*removed = 0;
	if (n == 0)
		return qd_error_check_timeout(err, timeout_ms);
	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0)
		return r;
	if (n > vm->st.nvcpus) {
		r = qd_error_set(
		    err, -EINVAL,
		    "cannot remove %u vCPUs: only %zu were hot-plugged (boot vCPUs stay)", n,
		    vm->st.nvcpus);
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		/* Last in, first out. */
		_cleanup_free_ char *id = strdup(vm->st.vcpus[vm->st.nvcpus - 1].id);
		char lapic[256];

		if (!id) {
			r = qd_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		/* QEMU 7.2 deletes the lapic, not always the CPU object: either will do. */
		snprintf(lapic, sizeof(lapic), "/machine/peripheral/%s/lapic", id);
		/* Its last _OST names no device any more (it can come before we know the CPU
		 * is gone): it is claimed from the start. */
		qd_qmp_claim_cpu_tail(vm->qmp, 1);
		r = qd_hp_device_del(vm, id, lapic, cpu_gone, timeout_ms, err);
		if (r < 0) {
			qd_qmp_claim_cpu_tail(vm->qmp, -1);
			goto out;
		}
		qd_state_remove_vcpu(&vm->st, id);
		qd_hp_unclaim(vm, id);
		(*removed)++;
		r = qd_hp_save(vm, err);
		if (r < 0)
			goto out;
	}
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}
