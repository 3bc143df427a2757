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

int qd_hp_begin(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	int r = qd_error_check_timeout(err, timeout_ms);

	if (r < 0)
		return r;
	pthread_mutex_lock(&vm->lock);
	if (!vm->qmp) {
		pthread_mutex_unlock(&vm->lock);
		return qd_error_set(err, -ENOTCONN, "VM %s is not running", vm->cfg.id);
	}
	return 0;
}

int qd_hp_save(struct qd_vm *vm, qd_error *err)
{
	int r = qd_state_save(vm->state_path, &vm->st, err);

	if (r < 0)
		qd_log(&vm->log, QD_LOG_ERR, "state not saved: %s", err ? err->message : "");
	return r;
}

int qd_hp_save_intent(struct qd_vm *vm, qd_error *err)
{
	return qd_state_save_quick(vm->state_path, &vm->st, err);
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

/*
 * What @ev (a DEVICE_DELETED) says: 2 the device itself is gone (conclusive),
 * 1 a part named @alt_path went (ask QEMU), 0 another device.
 */
static int names(json_object *ev, const char *id, const char *alt_path)
{
	json_object *data, *v;
	char own[256];

	if (!json_object_object_get_ex(ev, "data", &data))
		return 0;
	if (json_object_object_get_ex(data, "device", &v) && !strcmp(json_object_get_string(v), id))
		return 2;
	snprintf(own, sizeof(own), "/machine/peripheral/%s", id);
	if (!json_object_object_get_ex(data, "path", &v))
		return 0;
	if (!strcmp(json_object_get_string(v), own))
		return 2;
	return alt_path && !strcmp(json_object_get_string(v), alt_path) ? 1 : 0;
}

int qd_hp_device_del(struct qd_vm *vm, const char *id, const char *alt_path, qd_hp_gone_fn gone,
		     int timeout_ms, qd_error *err)
{
	_cleanup_json_ json_object *args = json_object_new_object();
	struct qd_qmp_watch *w = NULL;
	int64_t deadline = qd_deadline_after_ms(timeout_ms);
	int r;

	/* Armed before device_del: an event sent before the reply is not lost. */
	r = qd_qmp_watch_new(vm->qmp, "DEVICE_DELETED", NULL, NULL, &w, err);
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

		r = qd_qmp_watch_wait(vm->qmp, w, qd_deadline_left_ms(deadline), &ev, err);
		if (r == -ETIMEDOUT)
			break;
		if (r < 0)
			goto out;
		int what = names(ev, id, alt_path);

		json_object_put(ev);
		if (what == 2) {
			r = 0;
			goto out;
		}
		if (what == 1) {
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
