/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config_json.c - a VM configuration read from JSON, every member checked */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "qemudrv.h"

enum field_type {
	F_STR,
	F_UINT,
	F_ULL,
	F_BOOL
};

struct field {
	const char *name;
	enum field_type type;
	size_t offset;
};

#define S(n)                                                                                       \
	{                                                                                          \
#n, F_STR, offsetof(struct qd_vm_config, n)                                        \
	}
#define U(n)                                                                                       \
	{                                                                                          \
#n, F_UINT, offsetof(struct qd_vm_config, n)                                       \
	}
#define B(n)                                                                                       \
	{                                                                                          \
#n, F_BOOL, offsetof(struct qd_vm_config, n)                                       \
	}

static const struct field fields[] = {
    S(id),
    S(name),
    {"qemu", F_STR, offsetof(struct qd_vm_config, qemu_path)},
    S(run_dir),
    S(machine_options),
    S(accel),
    S(cpu_model),
    S(cpu_features),
    U(vcpus),
    U(max_vcpus),
    U(memory_mb),
    U(memory_slots),
    {"max_memory_mb", F_ULL, offsetof(struct qd_vm_config, max_memory_mb)},
    S(kernel),
    S(initrd),
    S(image),
    S(kernel_params),
    S(firmware),
    B(debug),
    U(bridges),
    B(iothreads),
    B(mem_prealloc),
    B(hugepages),
    B(realtime),
    B(mlock),
    B(daemonize),
    B(disable_nesting_checks),
    B(qmp_path_mode),
};

#undef S
#undef U
#undef B

static const char *const device_kinds[] = {NULL,    "9p",   "serial",	 "tap",
					   "drive", "vfio", "vhost-user"};

static int set_field(struct qd_vm_config *cfg, const struct field *f, json_object *v, qd_error *err)
{
	char *base = (char *)cfg + f->offset;

	switch (f->type) {
	case F_STR:
		if (!json_object_is_type(v, json_type_string))
			return qd_error_set(err, -EINVAL, "config: '%s' must be a string", f->name);
		*(const char **)base = json_object_get_string(v);
		return 0;
	case F_UINT:
	case F_ULL:
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    (f->type == F_UINT && json_object_get_int64(v) > 0x7fffffff))
			return qd_error_set(err, -EINVAL,
					    "config: '%s' must be a non-negative integer", f->name);
		if (f->type == F_UINT)
			*(unsigned *)base = (unsigned)json_object_get_int64(v);
		else
			*(unsigned long long *)base = (unsigned long long)json_object_get_int64(v);
		return 0;
	case F_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return qd_error_set(err, -EINVAL, "config: '%s' must be true or false",
					    f->name);
		*(bool *)base = json_object_get_boolean(v);
		return 0;
	}
	return -EINVAL;
}

static int read_device(json_object *o, size_t i, struct qd_device *d, qd_error *err)
{
	static const char *const strs[] = {"id", "path", "tag", "ifname", "mac", "format", "bdf"};
	const char **slots[] = {&d->id,	 &d->path,   &d->tag, &d->ifname,
				&d->mac, &d->format, &d->bdf};

	if (!json_object_is_type(o, json_type_object))
		return qd_error_set(err, -EINVAL, "config: devices[%zu] must be an object", i);
	json_object_object_foreach(o, key, v)
	{
		bool known = false;

		if (!strcmp(key, "kind")) {
			for (int k = 1; k <= QD_DEVICE_VHOST_USER; k++)
				if (json_object_is_type(v, json_type_string) &&
				    !strcmp(json_object_get_string(v), device_kinds[k]))
					d->kind = (enum qd_device_kind)k;
			if (!d->kind)
				return qd_error_set(
				    err, -EINVAL,
				    "config: devices[%zu].kind must be one of 9p, serial, "
				    "tap, drive, vfio, vhost-user",
				    i);
			continue;
		}
		if (!strcmp(key, "read_only")) {
			if (!json_object_is_type(v, json_type_boolean))
				return qd_error_set(
				    err, -EINVAL,
				    "config: devices[%zu].read_only must be true or false", i);
			d->read_only = json_object_get_boolean(v);
			continue;
		}
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++) {
			if (strcmp(key, strs[k]) != 0)
				continue;
			if (!json_object_is_type(v, json_type_string))
				return qd_error_set(err, -EINVAL,
						    "config: devices[%zu].%s must be a string", i,
						    key);
			*slots[k] = json_object_get_string(v);
			known = true;
		}
		if (!known)
			return qd_error_set(err, -EINVAL,
					    "config: devices[%zu]: unknown member '%s'", i, key);
	}
	if (!d->kind)
		return qd_error_set(err, -EINVAL, "config: devices[%zu].kind is missing", i);
	return 0;
}

int qd_vm_config_from_json(json_object *json, struct qd_vm_config *cfg, qd_error *err)
{
	int r = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->bridges = 1;
	if (!json_object_is_type(json, json_type_object))
		return qd_error_set(err, -EINVAL, "config: must be a JSON object");
	json_object_object_foreach(json, key, v)
	{
		bool known = false;

		if (!strcmp(key, "machine")) {
			const char *m = json_object_is_type(v, json_type_string)
					    ? json_object_get_string(v)
					    : "";

			if (!strcmp(m, "pc"))
				cfg->machine = QD_MACHINE_PC;
			else if (!strcmp(m, "q35"))
				cfg->machine = QD_MACHINE_Q35;
			else
				r = qd_error_set(err, -EINVAL,
						 "config: 'machine' must be \"pc\" or \"q35\"");
			known = true;
		} else if (!strcmp(key, "block_driver")) {
			const char *b = json_object_is_type(v, json_type_string)
					    ? json_object_get_string(v)
					    : "";

			if (!strcmp(b, "virtio-blk"))
				cfg->block_driver = QD_BLOCK_VIRTIO_BLK;
			else if (!strcmp(b, "virtio-scsi"))
				cfg->block_driver = QD_BLOCK_VIRTIO_SCSI;
			else
				r = qd_error_set(err, -EINVAL,
						 "config: 'block_driver' must be \"virtio-blk\" or "
						 "\"virtio-scsi\"");
			known = true;
		} else if (!strcmp(key, "devices")) {
			size_t n;

			known = true;
			if (!json_object_is_type(v, json_type_array)) {
				r = qd_error_set(err, -EINVAL,
						 "config: 'devices' must be an array");
				break;
			}
			n = json_object_array_length(v);
			cfg->devices = calloc(n ? n : 1, sizeof(struct qd_device));
			if (!cfg->devices) {
				r = qd_error_set(err, -ENOMEM, "out of memory");
				break;
			}
			cfg->ndevices = n;
			for (size_t i = 0; i < n && !r; i++)
				r = read_device(json_object_array_get_idx(v, i), i,
						(struct qd_device *)&cfg->devices[i], err);
		} else {
			for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
				if (!strcmp(fields[i].name, key)) {
					r = set_field(cfg, &fields[i], v, err);
					known = true;
				}
		}
		if (!known)
			r = qd_error_set(err, -EINVAL, "config: unknown member '%s'", key);
		if (r)
			break;
	}
	if (r)
		qd_vm_config_clear(cfg);
	return r;
}

void qd_vm_config_clear(struct qd_vm_config *cfg)
{
	free((void *)cfg->devices);
	cfg->devices = NULL;
	cfg->ndevices = 0;
}
