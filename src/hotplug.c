/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug.c - hot-plug's shared parts: state saving, ids and slots, presence, confirmed unplug */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "deadline.h"
#include "error.h"
#include "hotplug.h"
#include "config.h"
#include "names.h"
#include "qmp_claims.h"
#include "qmp_client.h"
#include "qmp_commands.h"
#include "utf8.h"

/*
 * A guest may refuse an unplug after the removal gave up waiting: the record
 * says "unplugging" while QEMU no longer has an unplug pending. The refusal
 * was kept (claimed) on the connection; apply it before anything else.
 */
static void apply_late_refusals(struct qd_vm *vm)
{
	json_object *ev;
	bool changed = false;

	while ((ev = qd_qmp_take_refusal(vm->qmp))) {
		for (size_t i = 0; i < vm->st.ndevices; i++) {
			struct qd_device_record *rec = &vm->st.devices[i];
			const char *dev = qd_event_device_id(ev);

			if (rec->unplugging && ((dev && !strcmp(dev, rec->id)) ||
						qd_event_path_under(ev, rec->id) == 2)) {
				rec->unplugging = false;
				changed = true;
				qd_log(&vm->log, QD_LOG_INFO,
				       "device %s: the guest refused its unplug after the removal "
				       "gave up waiting; it stays plugged",
				       rec->id);
			}
		}
		json_object_put(ev);
	}
	if (changed) {
		qd_error ignored = {0};

		qd_hp_save(vm, &ignored);
		qd_error_clear(&ignored);
	}
}

int qd_hp_begin(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	int r = qd_error_check_timeout(err, timeout_ms);

	if (r < 0)
		return r;
	pthread_mutex_lock(&vm->lock);
	r = qd_vm_connect(vm, timeout_ms, err);
	if (r < 0) {
		pthread_mutex_unlock(&vm->lock);
		return r;
	}
	apply_late_refusals(vm);
	return 0;
}

int qd_hp_save(struct qd_vm *vm, qd_error *err)
{
	int r = qd_vm_save(vm, err);

	if (r < 0)
		qd_log(&vm->log, QD_LOG_ERR, "state not saved: %s", err ? err->message : "");
	else
		qd_log(&vm->log, QD_LOG_DEBUG, "state saved: %zu devices, %zu vCPUs",
		       vm->st.ndevices, vm->st.nvcpus);
	return r;
}

int qd_hp_peripheral(struct qd_vm *vm, int timeout_ms, char ***out, qd_error *err)
{
	return qd_qmpc_qom_children(vm->qmp, "/machine/peripheral", timeout_ms, out, err);
}

int qd_hp_gone_from_peripheral(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	char **ids;
	int r = qd_hp_peripheral(vm, timeout_ms, &ids, err);

	if (r < 0)
		return r;
	r = !qd_strv_has(ids, id);
	qd_strv_free(ids);
	return r;
}

bool qd_hp_cpu_listed(json_object *cpus, const char *id)
{
	char path[256];

	snprintf(path, sizeof(path), "/machine/peripheral/%s", id);
	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		json_object *qp;

		if (json_object_object_get_ex(json_object_array_get_idx(cpus, i), "qom-path",
					      &qp) &&
		    !strcmp(json_object_get_string(qp), path))
			return true;
	}
	return false;
}

/* What the guest's _OST reply to an eject request says: a failure code, or 0. */
static int ost_eject_failure(json_object *ev)
{
	json_object *data, *info, *source, *status;
	int code;

	if (!json_object_object_get_ex(ev, "data", &data) ||
	    !json_object_object_get_ex(data, "info", &info) ||
	    !json_object_object_get_ex(info, "source", &source) ||
	    !json_object_object_get_ex(info, "status", &status) || json_object_get_int(source) != 3)
		return 0;
	code = json_object_get_int(status);
	/* ACPI _OST: 1 failure, 2 unrecognised, 0x80-0x83 eject refused; 0x84 is "in progress". */
	return code == 1 || code == 2 || (code >= 0x80 && code <= 0x83) ? code : 0;
}

struct unplug {
	const char *id;
	const char *alt_path; /* a part whose deletion means "ask QEMU", or NULL */
};

/* The events an unplug of @arg's device waits for (called under the connection's lock). */
static bool unplug_event(json_object *ev, void *arg)
{
	const struct unplug *u = arg;
	const char *dev = qd_event_device_id(ev);
	bool about = (dev && !strcmp(dev, u->id)) || qd_event_path_under(ev, u->id);

	return about && (qd_event_name_is(ev, "DEVICE_DELETED") ||
			 qd_event_name_is(ev, "DEVICE_UNPLUG_GUEST_ERROR") ||
			 qd_event_name_is(ev, "ACPI_DEVICE_OST"));
}

enum unplug_news {
	NEWS_NONE,	/* another part, or progress */
	NEWS_PART_GONE, /* @alt_path went: ask QEMU whether the device did */
	NEWS_GONE,	/* the device itself was deleted */
	NEWS_REFUSED,	/* the guest said no */
};

static enum unplug_news read_news(json_object *ev, const struct unplug *u, int *ost_code)
{
	json_object *data, *path;
	const char *dev = qd_event_device_id(ev);

	*ost_code = 0;
	if (qd_event_name_is(ev, "DEVICE_UNPLUG_GUEST_ERROR"))
		return NEWS_REFUSED;
	if (qd_event_name_is(ev, "ACPI_DEVICE_OST")) {
		*ost_code = ost_eject_failure(ev);
		return *ost_code ? NEWS_REFUSED : NEWS_NONE;
	}
	if ((dev && !strcmp(dev, u->id)) || qd_event_path_under(ev, u->id) == 2)
		return NEWS_GONE;
	if (u->alt_path && json_object_object_get_ex(ev, "data", &data) &&
	    json_object_object_get_ex(data, "path", &path) &&
	    !strcmp(json_object_get_string(path), u->alt_path))
		return NEWS_PART_GONE;
	return NEWS_NONE;
}

static int refused(const char *id, int ost_code, qd_error *err)
{
	if (ost_code)
		return qd_error_set(err, -EBUSY,
				    "device %s: the guest refused to release it (ACPI _OST status "
				    "0x%x); it stays plugged",
				    id, ost_code);
	return qd_error_set(err, -EBUSY,
			    "device %s: the guest refused to release it "
			    "(DEVICE_UNPLUG_GUEST_ERROR); it stays plugged",
			    id);
}

int qd_hp_device_del(struct qd_vm *vm, const char *id, const char *alt_path, qd_hp_gone_fn gone,
		     int timeout_ms, qd_error *err)
{
	struct unplug u = {.id = id, .alt_path = alt_path};
	struct qd_qmp_watch *w = NULL;
	int64_t deadline = qd_deadline_after_ms(timeout_ms);
	int ost_code, r;

	/* Armed before device_del: an event sent before the reply is not lost. */
	r = qd_qmp_watch_new_pred(vm->qmp, unplug_event, &u, &w, err);
	if (r < 0)
		return r;
	r = qd_qmpc_device_del(vm->qmp, id, timeout_ms, err);
	if (r == -ENOENT) {
		qd_log(&vm->log, QD_LOG_INFO, "device_del %s: QEMU no longer has it", id);
		qd_error_clear(err);
		r = 0;
		goto out;
	}
	if (r < 0)
		goto out;
	for (;;) {
		json_object *ev = NULL;
		enum unplug_news news;

		r = qd_qmp_watch_wait(vm->qmp, w, qd_deadline_left_ms(deadline), &ev, err);
		if (r == -ETIMEDOUT)
			break;
		if (r < 0)
			goto out;
		news = read_news(ev, &u, &ost_code);
		json_object_put(ev);
		if (news == NEWS_REFUSED) {
			r = refused(id, ost_code, err);
			goto out;
		}
		if (news == NEWS_GONE) {
			r = 0;
			goto out;
		}
		if (news == NEWS_PART_GONE) {
			r = gone(vm, id, timeout_ms, err);
			if (r == 1) {
				r = 0;
				goto out;
			}
			if (r < 0)
				goto out;
		}
	}
	/* No (conclusive) event in time: ask QEMU directly; an event may have been lost. */
	qd_error_clear(err);
	r = gone(vm, id, timeout_ms, err);
	if (r == 1) {
		qd_log(&vm->log, QD_LOG_WARNING,
		       "device %s is gone but no DEVICE_DELETED came within %d ms", id, timeout_ms);
		r = 0;
	} else if (r == 0) {
		r = qd_error_set(
		    err, -ETIMEDOUT,
		    "device %s: QEMU did not confirm the unplug within %d ms (the guest "
		    "did not release it); it stays recorded as unplugging",
		    id, timeout_ms);
	}
out:
	qd_qmp_watch_free(vm->qmp, w);
	return r;
}

void qd_hp_claim(struct qd_vm *vm, const char *id)
{
	if (qd_qmp_claim(vm->qmp, id) < 0)
		qd_log(&vm->log, QD_LOG_WARNING,
		       "out of memory: the events of %s may reach the general event queue", id);
}

void qd_hp_unclaim(struct qd_vm *vm, const char *id)
{
	qd_qmp_unclaim(vm->qmp, id);
}

bool qd_hp_can_ask(struct qd_vm *vm)
{
	return vm->qmp && !qd_qmp_broken(vm->qmp, NULL);
}

bool qd_hp_id_taken(struct qd_vm *vm, const char *id)
{
	if (qd_state_find_device(&vm->st, id) || qd_hp_bridge(vm, id))
		return true;
	for (size_t i = 0; i < vm->st.nvcpus; i++)
		if (!strcmp(vm->st.vcpus[i].id, id))
			return true;
	for (size_t i = 0; i < vm->cfg.ndevices; i++)
		if (!strcmp(vm->cfg.devices[i].id, id))
			return true;
	return false;
}

struct qd_bridge *qd_hp_bridge(struct qd_vm *vm, const char *id)
{
	for (size_t i = 0; id && i < vm->st.nbridges; i++)
		if (!strcmp(vm->st.bridges[i].id, id))
			return &vm->st.bridges[i];
	return NULL;
}

void qd_hp_append(qd_error *err, const char *fmt, ...)
{
	va_list ap;
	char *more = NULL;

	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) < 0)
		more = NULL;
	va_end(ap);
	if (more)
		qd_error_append(err, "; %s", more);
	free(more);
}

struct qd_spec_host qd_hp_spec_host(const struct qd_vm *vm)
{
	return (struct qd_spec_host){.nested_kvm = vm->nested && !strcmp(vm->cfg.accel, "kvm")};
}

int qd_hp_check_new_id(struct qd_vm *vm, const char *id, qd_error *err)
{
	if (!qd_id_valid(id))
		return qd_error_set(err, -EINVAL,
				    "device id '%s' is not valid (letters, digits, '-', '.', '_', "
				    "starting with a letter)",
				    id && qd_utf8_valid(id) ? id : "");
	if (qd_state_find_device(&vm->st, id))
		return qd_error_set(err, -EEXIST, "device id '%s' is already hot-plugged", id);
	for (size_t i = 0; i < vm->cfg.ndevices; i++)
		if (!strcmp(vm->cfg.devices[i].id, id))
			return qd_error_set(err, -EEXIST, "device id '%s' is a cold-plugged device",
					    id);
	for (size_t i = 0; i < vm->st.nvcpus; i++)
		if (!strcmp(vm->st.vcpus[i].id, id))
			return qd_error_set(err, -EEXIST, "device id '%s' is a hot-plugged vCPU",
					    id);
	if (qd_hp_bridge(vm, id))
		return qd_error_set(err, -EEXIST, "device id '%s' is a PCI bridge", id);
	/* vCPUs are cpu-<n>: a device called so would block a later vCPU hot-add. */
	if (qd_name_is_vcpu(id))
		return qd_error_set(err, -EINVAL,
				    "device id '%s' is reserved for hot-plugged vCPUs (cpu-N)", id);
	if (qd_name_is_reserved(id))
		return qd_error_set(err, -EEXIST, "device id '%s' is one of qemudrv's own devices",
				    id);
	return 0;
}

int qd_hp_check_utf8(const char *what, const char *id, const char *v, qd_error *err)
{
	if (v && !qd_utf8_valid(v))
		return qd_error_set(err, -EINVAL, "%s of device %s is not valid UTF-8", what, id);
	return 0;
}

int qd_hp_take_slot(struct qd_vm *vm, const char *id, struct qd_bridge **bridge, int *slot,
		    qd_error *err)
{
	for (size_t i = 0; i < vm->st.nbridges; i++)
		for (int s = 1; s < QD_BRIDGE_SLOTS; s++) { /* slot 0: the SHPC's */
			struct qd_bridge *b = &vm->st.bridges[i];

			if (b->slots[s])
				continue;
			b->slots[s] = strdup(id);
			if (!b->slots[s])
				return qd_error_set(err, -ENOMEM, "out of memory");
			*bridge = b;
			*slot = s;
			return 0;
		}
	if (!vm->st.nbridges)
		return qd_error_set(err, -ENOSPC, "VM %s has no PCI bridges to hot-plug into",
				    vm->cfg.id);
	return qd_error_set(err, -ENOSPC, "all %zu PCI bridge slots are in use",
			    vm->st.nbridges * (QD_BRIDGE_SLOTS - 1));
}

void qd_hp_release_slot(struct qd_vm *vm, const char *bridge_id, int slot, const char *id)
{
	struct qd_bridge *b = qd_hp_bridge(vm, bridge_id);

	if (b && slot > 0 && slot < QD_BRIDGE_SLOTS && b->slots[slot] &&
	    !strcmp(b->slots[slot], id)) {
		free(b->slots[slot]);
		b->slots[slot] = NULL;
	}
}

char *qd_hp_location(const struct qd_bridge *b, int slot)
{
	char *s;

	return asprintf(&s, "%02x/%02x", b->addr, slot) < 0 ? NULL : s;
}

/*
 * The device is gone: delete its backends, then forget the record. A
 * backend QEMU does not delete keeps the record (unplugging), and the error
 * says so: the next removal of the id finds the device gone and tries again.
 */
static int finish_unplug(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	struct qd_device_record *rec = qd_state_find_device(&vm->st, id);
	qd_error e = {0};
	int r = qd_hp_delete_backends(vm, rec, false, timeout_ms, &e);

	if (r < 0) {
		rec = qd_state_find_device(&vm->st, id);
		if (rec) {
			rec->unplugging = true;
			qd_hp_save(vm, NULL);
		}
		r = qd_error_set(err, r,
				 "device %s was unplugged but its %s; it stays recorded until a "
				 "removal of %s deletes it",
				 id, e.message ? e.message : strerror(-r), id);
		qd_error_clear(&e);
		return r;
	}
	qd_hp_forget(vm, id);
	return qd_hp_save(vm, err);
}

int qd_hp_remove(struct qd_vm *vm, const char *id, const struct qd_hp_unplug *how, int timeout_ms,
		 qd_error *err)
{
	struct qd_device_record *rec;
	_cleanup_free_ char *copy = NULL;
	bool ours = false;
	int r;

	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0)
		return r;
	rec = id ? qd_state_find_device(&vm->st, id) : NULL;
	for (size_t i = 0; rec && i < how->nkinds; i++)
		ours |= rec->kind == how->kinds[i];
	if (!ours) {
		r = qd_error_set(err, -ENOENT, "no hot-plugged %s device '%s'", how->what,
				 id && qd_utf8_valid(id) ? id : "");
		goto out;
	}
	copy = strdup(id);
	if (!copy) {
		r = qd_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (how->before) {
		r = how->before(vm, rec, how->ctx, timeout_ms, err);
		if (r < 0)
			goto out;
		rec = qd_state_find_device(&vm->st, copy);
	}
	/*
	 * Not saved before device_del: should the outcome be lost, the record as
	 * it was (plugged) is settled the same way by reconcile, from QEMU.
	 */
	rec->unplugging = true;
	r = qd_hp_device_del(vm, copy, NULL, qd_hp_gone_from_peripheral, timeout_ms, err);
	rec = qd_state_find_device(&vm->st, copy);
	if (r == 0) {
		r = finish_unplug(vm, copy, timeout_ms, err);
	} else if (r == -EREMOTEIO || r == -EBUSY) {
		/* Refused (by QEMU or by the guest): it stays plugged, as saved. */
		rec->unplugging = false;
		if (how->refused)
			how->refused(vm, copy, how->ctx, timeout_ms);
	} else {
		qd_error save_err = {0};

		/* Timed out, or the outcome is lost: QEMU may be unplugging it. */
		qd_hp_save(vm, &save_err);
		qd_error_clear(&save_err);
	}
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}
