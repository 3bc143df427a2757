/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug.c - shared steps of hot-plug: state saving, device presence, confirmed device_del */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "deadline.h"
#include "error.h"
#include "hotplug.h"
#include "qmp_claims.h"
#include "qmp_client.h"

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
	return r;
}

void qd_hp_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

int qd_hp_peripheral(struct qd_vm *vm, int timeout_ms, char ***out, qd_error *err)
{
	_cleanup_json_ json_object *args = json_object_new_object(), *ret = NULL;
	char **v;
	size_t n, k = 0;
	int r;

	*out = NULL;
	json_object_object_add(args, "path", json_object_new_string("/machine/peripheral"));
	r = qd_qmp_execute(vm->qmp, "qom-list", args, timeout_ms, &ret, err);
	if (r < 0)
		return r;
	n = json_object_array_length(ret);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return qd_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(ret, i), *name, *type;

		if (json_object_object_get_ex(e, "name", &name) &&
		    json_object_object_get_ex(e, "type", &type) &&
		    !strncmp(json_object_get_string(type), "child<", 6))
			v[k++] = strdup(json_object_get_string(name));
	}
	*out = v;
	return 0;
}

bool qd_hp_has(char **ids, const char *id)
{
	for (char **p = ids; p && *p; p++)
		if (!strcmp(*p, id))
			return true;
	return false;
}

int qd_hp_gone_from_peripheral(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	char **ids;
	int r = qd_hp_peripheral(vm, timeout_ms, &ids, err);

	if (r < 0)
		return r;
	r = !qd_hp_has(ids, id);
	qd_hp_strv_free(ids);
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
	_cleanup_json_ json_object *args = json_object_new_object();
	struct unplug u = {.id = id, .alt_path = alt_path};
	struct qd_qmp_watch *w = NULL;
	int64_t deadline = qd_deadline_after_ms(timeout_ms);
	int ost_code, r;

	/* Armed before device_del: an event sent before the reply is not lost. */
	r = qd_qmp_watch_new_pred(vm->qmp, unplug_event, &u, &w, err);
	if (r < 0)
		return r;
	json_object_object_add(args, "id", json_object_new_string(id));
	r = qd_qmp_execute(vm->qmp, "device_del", args, timeout_ms, NULL, err);
	if (r == -EREMOTEIO && err && err->qmp_class && !strcmp(err->qmp_class, "DeviceNotFound")) {
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
