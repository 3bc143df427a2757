/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memory.c - memory devices and the device memory region (see memory.h) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "commands.h"
#include "fakeqemu.h"
#include "memory.h"
#include "props.h"
#include "qomdata.h"

#define GiB	      (1ULL << 30)
#define MiB	      (1ULL << 20)
#define REGION_BASE   (4 * GiB)
#define ALIGN	      (2 * MiB)
#define VIRTIO_MEM_BS (2 * MiB) /* virtio-mem's default block-size here */

/* What the model keeps of a memory device. */
struct memdev_state {
	struct fq_device *dev;
	bool dimm; /* takes a slot */
	bool virtio_mem;
	int slot;
	uint64_t addr, size; /* size: the backend's (virtio-mem: max-size) */
	uint64_t requested;  /* virtio-mem */
	long long node;
	char *memdev;
	struct memdev_state *next;
};

static struct memdev_state *states;

static struct memdev_state *state_of(const struct fq_device *dev)
{
	for (struct memdev_state *m = states; m; m = m->next)
		if (m->dev == dev)
			return m;
	return NULL;
}

bool fq_memory_is_device(int qt)
{
	return fq_qom_type_is_a(qt, "memory-device");
}

bool fq_memory_is_dimm(const struct fq_device *dev)
{
	const struct memdev_state *m = state_of(dev);

	return m && m->dimm;
}

int fq_memory_dimm_slot(const struct fq_device *dev)
{
	const struct memdev_state *m = state_of(dev);

	return m ? m->slot : -1;
}

int fq_memory_numa_nodes(void)
{
	/* numa_complete_configuration(): auto_enable_numa_with_memhp / _with_memdev */
	return fq_vm.cfg.ram_slots || fq_vm.cfg.maxmem_mb > fq_vm.cfg.ram_mb ? 1 : 0;
}

static uint64_t ram_size(void)
{
	return (fq_vm.cfg.ram_mb ? fq_vm.cfg.ram_mb : 128) * MiB;
}

static uint64_t region_size(void)
{
	uint64_t max = fq_vm.cfg.maxmem_mb * MiB;

	return max > ram_size() ? max - ram_size() : 0;
}

/* A memory backend's "size": a number, or QEMU's size syntax from -object. */
static bool backend_size(struct fq_backend *b, uint64_t *out)
{
	json_object *v;
	const char *s;
	char *end;
	double d;

	if (!b->props || !json_object_object_get_ex(b->props, "size", &v))
		return false;
	if (json_object_is_type(v, json_type_int)) {
		*out = (uint64_t)json_object_get_int64(v);
		return true;
	}
	s = json_object_get_string(v);
	d = strtod(s, &end);
	switch (*end) {
	case 'k':
	case 'K':
		d *= 1024;
		break;
	case 'm':
	case 'M':
		d *= MiB;
		break;
	case 'g':
	case 'G':
		d *= GiB;
		break;
	case 't':
	case 'T':
		d *= (double)GiB * 1024;
		break;
	default:
		break;
	}
	*out = (uint64_t)d;
	return end != s;
}

static uint64_t used_space(void)
{
	uint64_t used = 0;

	for (struct memdev_state *m = states; m; m = m->next)
		used += m->size;
	return used;
}

/* memory_device_get_free_addr(): the first gap, in address order. */
static bool free_addr(uint64_t size, uint64_t *addr)
{
	uint64_t at = REGION_BASE;
	bool moved = true;

	while (moved) {
		moved = false;
		for (struct memdev_state *m = states; m; m = m->next)
			if (at < m->addr + m->size && m->addr < at + size) {
				at = (m->addr + m->size + ALIGN - 1) & ~(ALIGN - 1);
				moved = true;
			}
	}
	if (at + size > REGION_BASE + region_size())
		return false;
	*addr = at;
	return true;
}

static bool slot_taken(int slot)
{
	for (struct memdev_state *m = states; m; m = m->next)
		if (m->dimm && m->slot == slot)
			return true;
	return false;
}

static void hex(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIx64, v);
}

/* pc_dimm_get_free_slot(): the slot asked for, or the first free one. */
static bool dimm_slot(struct fq_device *dev, int *slot, struct fq_reply *r)
{
	long long want = -1;
	char a[24], b[24];

	if (!fq_prop_int(dev->props, dev->driver, "slot", &want, r))
		return false;
	if (want != -1 && (want < 0 || want >= (long long)fq_vm.cfg.ram_slots)) {
		snprintf(a, sizeof(a), "%lld", want);
		snprintf(b, sizeof(b), "%d", (int)fq_vm.cfg.ram_slots - 1);
		fq_reply_text(r, "mem-slot-invalid", "slot", a, "max", b, NULL);
		return false;
	}
	if (!fq_vm.cfg.ram_slots) {
		fq_reply_text(r, "mem-no-slots", NULL);
		return false;
	}
	if (want >= 0) {
		if (slot_taken((int)want)) {
			snprintf(a, sizeof(a), "%lld", want);
			fq_reply_text(r, "mem-slot-busy", "slot", a, NULL);
			return false;
		}
		*slot = (int)want;
		return true;
	}
	for (int s = 0; s < (int)fq_vm.cfg.ram_slots; s++)
		if (!slot_taken(s)) {
			*slot = s;
			return true;
		}
	fq_reply_text(r, "mem-slots-full", NULL);
	return false;
}

bool fq_memory_pre_plug(struct fq_device *dev, bool memdev_first, struct fq_reply *r)
{
	int qt = fq_qom_type(dev->driver);
	bool dimm = fq_qom_type_is_a(qt, "pc-dimm"), nvdimm = fq_qom_type_is_a(qt, "nvdimm");
	const char *memdev = fq_prop_str(dev->props, "memdev");
	struct fq_backend *b;
	struct memdev_state *m;
	uint64_t size = 0, addr;
	long long node = 0;
	char used[24], total[24], align[24], num[24];
	int slot = -1;

	/* pc_memory_pre_plug() */
	if (nvdimm && !fq_vm.cfg.nvdimm) {
		fq_reply_text(r, "mem-nvdimm-disabled", NULL);
		return false;
	}
	/* pc_dimm_pre_plug() */
	if (dimm && !dimm_slot(dev, &slot, r))
		return false;
	/* memory_device_pre_plug(): a region, then the device's memory (its memdev). */
	if (!memdev && memdev_first && !dimm) {
		fq_reply_text(r, "mem-memdev-unset", NULL);
		return false;
	}
	if (!region_size()) {
		fq_reply_text(r, "mem-not-enabled", NULL);
		return false;
	}
	if (!memdev) {
		fq_reply_text(r, "mem-memdev-unset", NULL);
		return false;
	}
	b = fq_backend_find(FQ_BACKEND_OBJECT, memdev);
	if (!b || !backend_size(b, &size))
		size = 0;
	if (used_space() + size > region_size()) {
		hex(used, sizeof(used), used_space());
		hex(total, sizeof(total), region_size());
		fq_reply_text(r, "mem-no-space", "used", used, "total", total, NULL);
		return false;
	}
	if (size % ALIGN) {
		hex(align, sizeof(align), ALIGN);
		fq_reply_text(r, "mem-align", "align", align, NULL);
		return false;
	}
	if (!free_addr(size, &addr)) {
		hex(used, sizeof(used), used_space());
		hex(total, sizeof(total), region_size());
		fq_reply_text(r, "mem-no-space", "used", used, "total", total, NULL);
		return false;
	}
	/* realize: the backend is this device's alone, the node must exist. */
	if (b && b->user && strcmp(b->user, dev->qom_path) != 0) {
		fq_reply_text(r, "mem-memdev-busy", "memdev", memdev, NULL);
		return false;
	}
	if (!fq_prop_int(dev->props, dev->driver, "node", &node, r))
		return false;
	if (dimm && ((fq_memory_numa_nodes() > 0 && node >= fq_memory_numa_nodes()) ||
		     (fq_memory_numa_nodes() == 0 && node > 0))) {
		snprintf(num, sizeof(num), "%lld", node);
		snprintf(used, sizeof(used), "%d", fq_memory_numa_nodes());
		fq_reply_text(r, "mem-node-range", "node", num, "nodes", used, NULL);
		return false;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		abort();
	m->dev = dev;
	m->dimm = dimm;
	m->virtio_mem = fq_qom_type_is_a(qt, "virtio-mem-pci");
	m->slot = slot;
	m->addr = addr;
	m->size = size;
	m->node = node;
	m->memdev = strdup(memdev);
	m->next = states;
	states = m;
	if (b)
		fq_backend_claim(b, dev->qom_path);
	return true;
}

void fq_memory_gone(struct fq_device *dev)
{
	for (struct memdev_state **pp = &states; *pp; pp = &(*pp)->next)
		if ((*pp)->dev == dev) {
			struct memdev_state *m = *pp;

			*pp = m->next;
			free(m->memdev);
			free(m);
			return;
		}
}

char *fq_memory_qom_value(const struct fq_device *dev, const char *name)
{
	const struct memdev_state *m = state_of(dev);
	char *t = NULL;
	int n = -1;

	if (!m)
		return NULL;
	if (!strcmp(name, "addr") || !strcmp(name, "memaddr"))
		n = asprintf(&t, "%" PRIu64, m->addr);
	else if (!strcmp(name, "size"))
		n = asprintf(&t, "%" PRIu64, m->virtio_mem ? 0 : m->size);
	else if (!strcmp(name, "slot") && m->dimm)
		n = asprintf(&t, "%d", m->slot);
	else if (!strcmp(name, "node"))
		n = asprintf(&t, "%lld", m->node);
	else if (!strcmp(name, "requested-size") && m->virtio_mem)
		n = asprintf(&t, "%" PRIu64, m->requested);
	else if (!strcmp(name, "max-size") && m->virtio_mem)
		n = asprintf(&t, "%" PRIu64, m->size);
	else if (!strcmp(name, "block-size") && m->virtio_mem)
		n = asprintf(&t, "%llu", VIRTIO_MEM_BS);
	if (n < 0)
		return NULL;
	return t;
}

bool fq_memory_qom_set(struct fq_device *dev, const char *name, json_object *value,
		       struct fq_reply *r)
{
	struct memdev_state *m = state_of(dev);
	uint64_t v;
	char bs[24];

	if (!m || !m->virtio_mem || strcmp(name, "requested-size") != 0)
		return false;
	v = (uint64_t)json_object_get_int64(value);
	if (v % VIRTIO_MEM_BS) {
		hex(bs, sizeof(bs), VIRTIO_MEM_BS);
		fq_reply_text(r, "virtio-mem-requested-align", "block", bs, NULL);
		return true;
	}
	m->requested = v;
	return true;
}

/* ---- queries ------------------------------------------------------------------------- */

static int by_addr(const void *a, const void *b)
{
	const struct memdev_state *x = *(const struct memdev_state *const *)a;
	const struct memdev_state *y = *(const struct memdev_state *const *)b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* MemoryDeviceInfo of one device. */
static json_object *device_info(const struct memdev_state *m)
{
	json_object *o = json_object_new_object(), *d = json_object_new_object();
	char path[256];

	snprintf(path, sizeof(path), "/objects/%s", m->memdev);
	if (m->dev->id)
		json_object_object_add(d, "id", json_object_new_string(m->dev->id));
	if (m->virtio_mem) {
		json_object_object_add(d, "memaddr", u64(m->addr));
		json_object_object_add(d, "requested-size", u64(m->requested));
		json_object_object_add(d, "size", u64(0));
		json_object_object_add(d, "max-size", u64(m->size));
		json_object_object_add(d, "block-size", u64(VIRTIO_MEM_BS));
		json_object_object_add(d, "node", json_object_new_int64(m->node));
		json_object_object_add(d, "memdev", json_object_new_string(path));
		json_object_object_add(o, "type", json_object_new_string("virtio-mem"));
	} else {
		json_object_object_add(d, "addr", u64(m->addr));
		json_object_object_add(d, "size", u64(m->size));
		json_object_object_add(d, "slot", json_object_new_int(m->slot));
		json_object_object_add(d, "node", json_object_new_int64(m->node));
		json_object_object_add(d, "memdev", json_object_new_string(path));
		json_object_object_add(d, "hotplugged",
				       json_object_new_boolean(m->dev->hotplugged));
		json_object_object_add(d, "hotpluggable", json_object_new_boolean(1));
		json_object_object_add(
		    o, "type",
		    json_object_new_string(fq_qom_type_is_a(fq_qom_type(m->dev->driver), "nvdimm")
					       ? "nvdimm"
					       : "dimm"));
	}
	json_object_object_add(o, "data", d);
	return o;
}

void fq_cmd_query_memory_devices(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();
	struct memdev_state *sorted[256];
	size_t n = 0;

	(void)args;
	for (struct memdev_state *m = states; m && n < 256; m = m->next)
		sorted[n++] = m;
	qsort(sorted, n, sizeof(sorted[0]), by_addr);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, device_info(sorted[i]));
	r->ret = list;
}

void fq_cmd_query_memory_size_summary(json_object *args, struct fq_reply *r)
{
	json_object *o = json_object_new_object();
	uint64_t plugged = 0;

	(void)args;
	for (struct memdev_state *m = states; m; m = m->next)
		plugged += m->virtio_mem ? 0 : m->size;
	json_object_object_add(o, "base-memory", u64(ram_size()));
	if (region_size())
		json_object_object_add(o, "plugged-memory", u64(plugged));
	r->ret = o;
}

/* ACPI memory hot-plug: one entry per DIMM slot, the device in it if any. */
void fq_cmd_query_acpi_ospm_status(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	for (int s = 0; s < (int)fq_vm.cfg.ram_slots; s++) {
		json_object *e = json_object_new_object();
		char slot[16];

		for (struct memdev_state *m = states; m; m = m->next)
			if (m->dimm && m->slot == s && m->dev->id)
				json_object_object_add(e, "device",
						       json_object_new_string(m->dev->id));
		snprintf(slot, sizeof(slot), "%d", s);
		json_object_object_add(e, "slot", json_object_new_string(slot));
		json_object_object_add(e, "slot-type", json_object_new_string("DIMM"));
		json_object_object_add(e, "source", json_object_new_int(0));
		json_object_object_add(e, "status", json_object_new_int(0));
		json_object_array_add(list, e);
	}
	r->ret = list;
}
