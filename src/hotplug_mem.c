/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug_mem.c - memory hot-plug: pc-dimm or virtio-mem on a memory backend, slots and maxmem */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "deadline.h"
#include "error.h"
#include "hotplug.h"
#include "names.h"
#include "qmp_commands.h"

#define MIB (1024ull * 1024ull)
/* Far beyond any machine, and small enough that the size in bytes fits QEMU's int64. */
#define MAX_SIZE_MB (1ull << 40)

/* The root image's NVDIMM: it takes a memory slot and its size counts against maxmem. */
static unsigned long long nvdimm_mb(const struct qd_vm *vm, bool *present)
{
	struct stat st;

	*present = vm->cfg.image && !vm->cfg.initrd;
	if (!*present || stat(vm->cfg.image, &st) < 0)
		return 0;
	return ((unsigned long long)st.st_size + MIB - 1) / MIB;
}

/* Slots and space: what the records and the command line already use, and what is left. */
static int check_room(struct qd_vm *vm, const struct qd_memory_device *m, qd_error *err)
{
	bool nvdimm;
	unsigned long long used = vm->cfg.memory_mb + nvdimm_mb(vm, &nvdimm);
	unsigned slots = nvdimm ? 1 : 0;

	for (size_t i = 0; i < vm->st.ndevices; i++) {
		const struct qd_device_record *d = &vm->st.devices[i];

		used += d->size_mb;
		slots += d->kind == QD_HOTPLUG_PC_DIMM;
	}
	if (m->model == QD_MEMORY_DIMM && slots >= vm->cfg.memory_slots)
		return qd_error_set(
		    err, -ENOSPC, "memory device %s: all %u memory slots are in use (memory_slots)",
		    m->id, vm->cfg.memory_slots);
	if (used + m->size_mb > vm->cfg.max_memory_mb)
		return qd_error_set(err, -ENOSPC,
				    "memory device %s: %llu MiB more would make %llu MiB, over "
				    "max_memory_mb (%llu)",
				    m->id, m->size_mb, used + m->size_mb, vm->cfg.max_memory_mb);
	return 0;
}

/* Everything about the description that can be wrong, found before QEMU is asked. */
static int check_memory(struct qd_vm *vm, const struct qd_memory_device *m, qd_error *err)
{
	int r = qd_hp_check_new_id(vm, m->id, err);

	if (r < 0)
		return r;
	if (m->model != QD_MEMORY_DIMM && m->model != QD_MEMORY_VIRTIO_MEM)
		return qd_error_set(err, -EINVAL,
				    "memory device %s: model %d is not pc-dimm or "
				    "virtio-mem",
				    m->id, m->model);
	if (m->backend != QD_MEMORY_RAM && m->backend != QD_MEMORY_FILE &&
	    m->backend != QD_MEMORY_MEMFD)
		return qd_error_set(err, -EINVAL,
				    "memory device %s: backend %d is not ram, file or memfd", m->id,
				    m->backend);
	if (m->size_mb == 0 || m->size_mb > MAX_SIZE_MB)
		return qd_error_set(err, -EINVAL, "memory device %s: size %llu MiB is not 1..%llu",
				    m->id, m->size_mb, MAX_SIZE_MB);
	if (m->backend == QD_MEMORY_FILE && (!m->mem_path || !*m->mem_path))
		return qd_error_set(err, -EINVAL,
				    "memory device %s: a file backend needs mem_path (a file, or "
				    "a directory such as a hugetlbfs mount)",
				    m->id);
	if (m->backend != QD_MEMORY_FILE && m->mem_path)
		return qd_error_set(err, -EINVAL,
				    "memory device %s: mem_path is for the file backend", m->id);
	r = qd_hp_check_utf8("mem_path", m->id, m->mem_path, err);
	if (r < 0)
		return r;
	if (m->hugepages && m->backend != QD_MEMORY_MEMFD)
		return qd_error_set(err, -EINVAL,
				    "memory device %s: hugepages is for the memfd backend (a file "
				    "backend has them when mem_path is on hugetlbfs)",
				    m->id);
	if (m->prealloc && m->model != QD_MEMORY_DIMM)
		return qd_error_set(err, -EINVAL,
				    "memory device %s: prealloc is for pc-dimm (virtio-mem gives "
				    "the guest memory in blocks)",
				    m->id);
	if (m->requested_mb && (m->model != QD_MEMORY_VIRTIO_MEM || m->requested_mb > m->size_mb))
		return qd_error_set(err, -EINVAL,
				    "memory device %s: requested_mb is for virtio-mem, at most "
				    "size_mb",
				    m->id);
	return check_room(vm, m, err);
}

static const char *memory_id(const void *dev)
{
	return ((const struct qd_memory_device *)dev)->id;
}

static int prepare_memory(struct qd_vm *vm, const void *d, struct qd_txn *t, int timeout_ms,
			  qd_error *err)
{
	const struct qd_memory_device *m = d;
	bool virtio = m->model == QD_MEMORY_VIRTIO_MEM;
	struct qd_bridge *bridge = NULL;
	int slot = 0, r;

	r = check_memory(vm, m, err);
	if (r == 0 && virtio) {
		/* Not every QEMU has it: asked, not guessed from the version. */
		r = qd_qmpc_type_exists(vm->qmp, "virtio-mem-pci", timeout_ms, err);
		if (r == 0)
			r = qd_error_set(err, -EOPNOTSUPP,
					 "memory device %s: this QEMU has no virtio-mem-pci",
					 m->id);
		else if (r == 1)
			r = qd_hp_take_slot(vm, m->id, &bridge, &slot, err);
	}
	if (r < 0)
		return r;
	t->rec = (struct qd_device_record){
	    .id = (char *)m->id,
	    .kind = virtio ? QD_HOTPLUG_VIRTIO_MEM : QD_HOTPLUG_PC_DIMM,
	    .bridge = bridge ? bridge->id : NULL,
	    .slot = slot,
	    .size_mb = m->size_mb,
	};
	r = qd_spec_memory(m, bridge ? &(struct qd_spec_pci){bridge->id, slot} : NULL, &t->spec);
	if (r < 0) {
		qd_hp_release_slot(vm, t->rec.bridge, slot, m->id);
		return qd_error_set(err, r, "out of memory");
	}
	t->rec.memdev = (char *)qd_part_name(&t->spec.part[0]);
	return 0;
}

/* query-memory-devices confirms the device, and tells where it is. */
static int confirm_memory(struct qd_vm *vm, const void *d, const struct qd_txn *t, char **location,
			  int timeout_ms, qd_error *err)
{
	const struct qd_memory_device *m = d;
	_cleanup_json_ json_object *dev = NULL;
	json_object *slot, *addr, *size;
	int r = qd_qmpc_memory_device(vm->qmp, m->id, timeout_ms, &dev, err);

	if (r < 0)
		return r;
	if (!dev)
		return qd_error_set(err, -EPROTO,
				    "memory device %s: QEMU took device_add but "
				    "query-memory-devices does not list it",
				    m->id);
	if (t->rec.bridge) {
		*location = qd_hp_location(qd_hp_bridge(vm, t->rec.bridge), t->rec.slot);
		return 0;
	}
	if (!json_object_object_get_ex(dev, "slot", &slot) ||
	    !json_object_object_get_ex(dev, "addr", &addr) ||
	    !json_object_object_get_ex(dev, "size", &size) ||
	    (unsigned long long)json_object_get_int64(size) != m->size_mb * MIB)
		return qd_error_set(err, -EPROTO,
				    "memory device %s: query-memory-devices does not show it with "
				    "its slot, address and size: %s",
				    m->id, json_object_to_json_string(dev));
	if (asprintf(location, "dimm%d@0x%" PRIx64, json_object_get_int(slot),
		     (uint64_t)json_object_get_int64(addr)) < 0)
		*location = NULL;
	return 0;
}

static const struct qd_hp_kind memory_kind = {
    .what = "memory",
    .size = sizeof(struct qd_memory_device),
    .id_of = memory_id,
    .prepare = prepare_memory,
    .finish = confirm_memory,
};

int qd_vm_add_memory(struct qd_vm *vm, const struct qd_memory_device *dev, int timeout_ms,
		     char **location, qd_error *err)
{
	return qd_hp_plug(vm, &memory_kind, dev, 1, false, timeout_ms, location, NULL, err);
}

/* A member of virtio-mem device @id's entry in query-memory-devices, or -errno (0: gone). */
static int64_t memory_member(struct qd_vm *vm, const char *id, const char *member, int timeout_ms,
			     qd_error *err)
{
	_cleanup_json_ json_object *dev = NULL;
	json_object *v;
	int r = qd_qmpc_memory_device(vm->qmp, id, timeout_ms, &dev, err);

	if (r < 0)
		return r;
	if (!dev)
		return 0; /* gone: nothing left plugged */
	if (!json_object_object_get_ex(dev, member, &v))
		return qd_error_set(err, -EPROTO, "query-memory-devices gives %s no %s", id,
				    member);
	return json_object_get_int64(v);
}

/* What a virtio-mem removal changed: its requested size, put back should the unplug fail. */
struct virtio_mem_release {
	int64_t requested; /* bytes; -1: not changed */
};

static int set_requested(struct qd_vm *vm, const char *id, int64_t bytes, int timeout_ms,
			 qd_error *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_object *v = json_object_new_int64(bytes);

	if (!v || asprintf(&path, "/machine/peripheral/%s", id) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	return qd_qmpc_qom_set(vm->qmp, path, "requested-size", v, timeout_ms, err);
}

/* The unplug did not happen: the guest is asked to take the memory again. */
static void restore_virtio_mem(struct qd_vm *vm, const char *id, void *ctx, int timeout_ms)
{
	struct virtio_mem_release *rel = ctx;
	qd_error e = {0};

	if (rel->requested < 0)
		return;
	if (set_requested(vm, id, rel->requested, timeout_ms, &e) < 0)
		qd_log(&vm->log, QD_LOG_WARNING,
		       "memory device %s: its requested size could not be put back to %" PRId64
		       " bytes: %s",
		       id, rel->requested, e.message ? e.message : "");
	rel->requested = -1;
	qd_error_clear(&e);
}

/*
 * virtio-mem goes only once the guest gave its memory back (QEMU refuses
 * the unplug of a device with memory plugged, or any virtio-mem unplug
 * before 8.1): the requested size is set to 0, and the device's size
 * awaited (MEMORY_DEVICE_SIZE_CHANGE, armed before the request;
 * query-memory-devices decides). Should that, or the unplug, fail, the
 * requested size is put back.
 */
static int release_virtio_mem(struct qd_vm *vm, struct qd_device_record *rec, void *ctx,
			      int timeout_ms, qd_error *err)
{
	struct virtio_mem_release *rel = ctx;
	_cleanup_free_ char *id = strdup(rec->id);
	struct qd_qmp_watch *w = NULL;
	int64_t deadline = qd_deadline_after_ms(timeout_ms), size;
	int r;

	rel->requested = -1;
	if (rec->kind != QD_HOTPLUG_VIRTIO_MEM)
		return 0;
	if (!id)
		return qd_error_set(err, -ENOMEM, "out of memory");
	size = memory_member(vm, id, "requested-size", timeout_ms, err);
	if (size <= 0)
		return (int)size; /* gone (the unplug finds it so), or an error */
	r = qd_qmp_watch_new(vm->qmp, "MEMORY_DEVICE_SIZE_CHANGE", "id", id, &w, err);
	if (r < 0)
		return r;
	r = set_requested(vm, id, 0, timeout_ms, err);
	if (r == -ENOENT) {
		/* QEMU no longer has it: the unplug finds it gone. */
		qd_error_clear(err);
		r = 0;
		goto out;
	}
	if (r == 0)
		rel->requested = size;
	while (r == 0) {
		size = memory_member(vm, id, "size", timeout_ms, err);
		if (size <= 0) {
			r = (int)size;
			break;
		}
		r = qd_qmp_watch_wait(vm->qmp, w, qd_deadline_left_ms(deadline), NULL, err);
		if (r == -ETIMEDOUT)
			r = qd_error_set(
			    err, -ETIMEDOUT,
			    "memory device %s: the guest did not give back its %" PRId64
			    " bytes within %d ms; it stays plugged",
			    id, size, timeout_ms);
	}
	if (r < 0)
		restore_virtio_mem(vm, id, rel, timeout_ms);
out:
	qd_qmp_watch_free(vm->qmp, w);
	return r;
}

int qd_vm_remove_memory(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	static const enum qd_hotplug_kind kinds[] = {QD_HOTPLUG_PC_DIMM, QD_HOTPLUG_VIRTIO_MEM};
	struct virtio_mem_release rel = {-1};
	const struct qd_hp_unplug how = {kinds, 2, "memory", release_virtio_mem, restore_virtio_mem,
					 &rel};

	return qd_hp_remove(vm, id, &how, timeout_ms, err);
}
