/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.c - VM configuration: defaults, validation naming the bad field */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "names.h"

#define DEFAULT_RUN_DIR "/run/qemudrv"
#define MAX_BRIDGES	5

bool qd_id_valid(const char *id)
{
	if (!id || !isalpha((unsigned char)id[0]))
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return false;
	return true;
}

/* No control characters: they cannot be passed through QEMU's option syntax. */
static int check_text(const char *field, const char *v, qd_error *err)
{
	for (const char *p = v; p && *p; p++)
		if ((unsigned char)*p < 0x20)
			return qd_error_set(err, -EINVAL, "%s contains a control character", field);
	return 0;
}

bool qd_word_valid(const char *s, const char *punct)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(punct, *s))
			return false;
	return true;
}

bool qd_mac_valid(const char *m)
{
	for (int i = 0; i < 6; i++, m += 3)
		if (!isxdigit((unsigned char)m[0]) || !isxdigit((unsigned char)m[1]) ||
		    m[2] != (i == 5 ? '\0' : ':'))
			return false;
	return true;
}

bool qd_bdf_valid(const char *s)
{
	int n = 0;
	unsigned dom, bus, slot, fn;
	char tail;

	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &slot, &fn, &tail) == 4)
		n = 4;
	else if (sscanf(s, "%2x:%2x.%1x%c", &bus, &slot, &fn, &tail) == 3)
		n = 3;
	if (!n)
		return false;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
			return false;
	/* sscanf skips spaces and takes "+1" or "0x1": the length pins the form down. */
	return strlen(s) == (n == 4 ? 12u : 7u) && slot < 32 && fn < 8;
}

static int check_device(const struct qd_device *d, size_t i, const struct qd_vm_config *cfg,
			qd_error *err)
{
	char field[48];
	int r;

	snprintf(field, sizeof(field), "devices[%zu]", i);
	if (!qd_id_valid(d->id))
		return qd_error_set(err, -EINVAL,
				    "%s.id '%s' is not a valid id (letters, digits, '-', '.', '_', "
				    "starting with a letter)",
				    field, d->id ? d->id : "");
	if (qd_name_is_vcpu(d->id))
		return qd_error_set(err, -EINVAL,
				    "%s.id '%s' is reserved for hot-plugged vCPUs (cpu-N)", field,
				    d->id);
	if (qd_name_is_reserved(d->id))
		return qd_error_set(
		    err, -EINVAL, "%s.id '%s' is reserved for qemudrv's own devices", field, d->id);
	for (size_t j = 0; j < i; j++)
		if (!strcmp(cfg->devices[j].id, d->id))
			return qd_error_set(err, -EINVAL, "%s.id '%s' is used twice", field, d->id);
	{
		const char *names[] = {"path", "tag", "ifname", "mac", "format", "bdf"};
		const char *vals[] = {d->path, d->tag, d->ifname, d->mac, d->format, d->bdf};
		for (int k = 0; k < 6; k++) {
			char f[64];
			snprintf(f, sizeof(f), "%s.%s", field, names[k]);
			if ((r = check_text(f, vals[k], err)))
				return r;
		}
	}
	switch (d->kind) {
	case QD_DEVICE_9P:
		if (!d->path || !d->tag)
			return qd_error_set(err, -EINVAL, "%s (9p) needs path and tag", field);
		return 0;
	case QD_DEVICE_SERIAL:
		if (!d->path || !d->tag)
			return qd_error_set(err, -EINVAL,
					    "%s (serial) needs path and tag (port name)", field);
		return 0;
	case QD_DEVICE_TAP:
		if (!d->ifname)
			return qd_error_set(err, -EINVAL, "%s (tap) needs ifname", field);
		return 0;
	case QD_DEVICE_DRIVE:
		if (!d->path)
			return qd_error_set(err, -EINVAL, "%s (drive) needs path", field);
		return 0;
	case QD_DEVICE_VFIO:
		if (!d->bdf)
			return qd_error_set(err, -EINVAL, "%s (vfio) needs bdf", field);
		return 0;
	case QD_DEVICE_VHOST_USER:
		if (!d->path || !d->tag ||
		    (strcmp(d->tag, "net") && strcmp(d->tag, "blk") && strcmp(d->tag, "fs")))
			return qd_error_set(err, -EINVAL,
					    "%s (vhost-user) needs path and tag net, blk or fs",
					    field);
		return 0;
	}
	return qd_error_set(err, -EINVAL, "%s.kind %d is not a known device kind", field, d->kind);
}

int qd_config_resolve(const struct qd_vm_config *in, const struct qd_host_facts *host,
		      struct qd_vm_config *out, qd_error *err)
{
	int r;

	*out = *in;
	if (!in->id || !*in->id)
		return qd_error_set(err, -EINVAL, "id is required");
	if (!qd_id_valid(in->id))
		return qd_error_set(
		    err, -EINVAL,
		    "id '%s' is not valid (letters, digits, '-', '.', '_', starting "
		    "with a letter)",
		    in->id);
	if (!out->run_dir)
		out->run_dir = DEFAULT_RUN_DIR;
	if (out->run_dir[0] != '/')
		return qd_error_set(err, -EINVAL, "run_dir '%s' must be an absolute path",
				    out->run_dir);
	if (in->machine != QD_MACHINE_PC && in->machine != QD_MACHINE_Q35)
		return qd_error_set(err, -EINVAL, "machine %d is not pc or q35", in->machine);
	if (!out->accel)
		out->accel = "kvm";
	if (strcmp(out->accel, "kvm") && strcmp(out->accel, "tcg"))
		return qd_error_set(err, -EINVAL, "accel '%s' is not kvm or tcg", out->accel);
	if (!out->cpu_model)
		out->cpu_model = !strcmp(out->accel, "kvm") ? "host" : "max";
	/*
	 * QEMU splits -cpu at the first ',' itself (",," is no escape there): a
	 * model name with one would turn the rest into CPU features.
	 */
	if (!qd_word_valid(out->cpu_model, "-._"))
		return qd_error_set(err, -EINVAL,
				    "cpu_model '%s' is not a CPU model name (letters, digits, '-', "
				    "'.', '_'); features go in cpu_features",
				    out->cpu_model);
	if (!out->vcpus)
		out->vcpus = 1;
	if (!out->max_vcpus) {
		/* The host's CPUs, but never over QEMU's limit unless vcpus asks for it. */
		out->max_vcpus = host->ncpus > out->vcpus ? host->ncpus : out->vcpus;
		if (out->max_vcpus > 255 && out->vcpus <= 255)
			out->max_vcpus = 255;
	}
	if (out->max_vcpus > 255)
		return qd_error_set(err, -EINVAL, "max_vcpus %u is over QEMU's limit of 255",
				    out->max_vcpus);
	if (out->vcpus > out->max_vcpus)
		return qd_error_set(err, -EINVAL, "vcpus (%u) is more than max_vcpus (%u)",
				    out->vcpus, out->max_vcpus);
	if (!out->memory_mb)
		out->memory_mb = 2048;
	if (!out->memory_slots)
		out->memory_slots = 10;
	if (!out->max_memory_mb)
		out->max_memory_mb = host->mem_mb + 1024;
	if (out->max_memory_mb < out->memory_mb)
		return qd_error_set(err, -EINVAL,
				    "max_memory_mb (%llu) is less than memory_mb (%u)",
				    out->max_memory_mb, out->memory_mb);
	/* Without a kernel QEMU boots its firmware: the kernel's companions need one. */
	if (!out->kernel && (out->initrd || out->image || out->kernel_params))
		return qd_error_set(err, -EINVAL, "%s needs a kernel",
				    out->initrd	 ? "initrd"
				    : out->image ? "image"
						 : "kernel_params");
	if (in->bridges > MAX_BRIDGES)
		return qd_error_set(err, -EINVAL, "bridges %u is more than %d", in->bridges,
				    MAX_BRIDGES);
	if (in->block_driver != QD_BLOCK_VIRTIO_BLK && in->block_driver != QD_BLOCK_VIRTIO_SCSI)
		return qd_error_set(err, -EINVAL,
				    "block_driver %d is not virtio-blk or virtio-scsi",
				    in->block_driver);
	if ((r = check_text("name", out->name, err)) ||
	    (r = check_text("qemu", out->qemu_path, err)) ||
	    (r = check_text("run_dir", out->run_dir, err)) ||
	    (r = check_text("cpu_model", out->cpu_model, err)) ||
	    (r = check_text("kernel", out->kernel, err)) ||
	    (r = check_text("initrd", out->initrd, err)) ||
	    (r = check_text("image", out->image, err)) ||
	    (r = check_text("firmware", out->firmware, err)) ||
	    (r = check_text("kernel_params", out->kernel_params, err)) ||
	    (r = check_text("cpu_features", out->cpu_features, err)) ||
	    (r = check_text("machine_options", out->machine_options, err)))
		return r;
	if (in->ndevices && !in->devices)
		return qd_error_set(err, -EINVAL, "ndevices is %zu but devices is NULL",
				    in->ndevices);
	for (size_t i = 0; i < in->ndevices; i++)
		if ((r = check_device(&in->devices[i], i, in, err)) < 0)
			return r;
	return 0;
}
