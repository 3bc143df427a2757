/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memory.c - memory devices and the device memory region (see memory.h) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "commands.h"
#include "fakeqemu.h"
#include "machine.h"
#include "memory.h"
#include "numparse.h"
#include "schema.h"
#include "loop.h"
#include "opts.h"
#include "qjson.h"
#include "qomtree.h"
#include "report.h"
#include "props.h"
#include "qomdata.h"
#include "since.h"

#define GiB	      (1ULL << 30)
#define MiB	      (1ULL << 20)
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
	uint64_t plugged;    /* virtio-mem: what the guest plugged ("size") */
	uint64_t resize_timer; /* virtio-mem: the guest's driver at work */
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


static uint64_t ram_size(void)
{
	return fq_vm.cfg.ram_size;
}

static uint64_t maxram_size(void)
{
	return fq_vm.cfg.maxmem;
}

/* The space memory devices may take: maxmem - RAM (memory_device_check_addable()). */
static uint64_t region_size(void)
{
	return maxram_size() > ram_size() ? maxram_size() - ram_size() : 0;
}

int fq_memory_numa_nodes(void)
{
	/* numa_complete_configuration(): auto_enable_numa_with_memhp / _with_memdev */
	return fq_vm.cfg.ram_slots || maxram_size() > ram_size() ? 1 : 0;
}

/* ---- the machine's memory map (pc_memory_init()) ------------------------------- */

#define AMD_HT_START	     0xfd00000000ULL  /* the HyperTransport range below 1 TiB */
#define AMD_ABOVE_1TB_START  0x10000000000ULL /* where RAM above 4 GiB goes instead */
#define ACPI_MAX_RAM_SLOTS   256
#define TARGET_PAGE_SIZE     4096

static struct {
	bool board;		/* pc or q35 */
	uint64_t above_4g_start; /* 4 GiB, or 1 TiB when moved past AMD's HT range */
	uint64_t above_4g;	/* RAM above 4 GiB */
	uint64_t hole64_size;	/* the host bridge's pci-hole64-size */
} map;

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The device memory region: after the RAM above 4 GiB, 1 GiB aligned. */
static uint64_t region_base(void)
{
	return round_up(map.above_4g_start + map.above_4g, GiB);
}

/* Its size: what devices may take and 1 GiB per slot for alignment (enforce_aligned_dimm). */
static uint64_t region_full_size(void)
{
	return region_size() ? region_size() + GiB * fq_vm.cfg.ram_slots : 0;
}

/* pc_pci_hole64_start(): after the device memory, or the RAM without one. */
static uint64_t hole64_start(void)
{
	return round_up(region_size() ? region_base() + region_full_size()
				      : map.above_4g_start + map.above_4g,
			GiB);
}

static const char *host_bridge(void)
{
	return !strcmp(fq_vm.cfg.machine, "q35") ? "/machine/q35" : "/machine/i440fx";
}

static uint64_t qom_u64(const char *path, const char *name, uint64_t def)
{
	char *v = fq_qom_value(path, name);
	uint64_t n = v ? strtoull(v, NULL, 10) : def;

	free(v);
	return n;
}

#define BOOT_CPU "/machine/unattached/device[0]"

/* What the memory map needs of the boot CPU (its QOM properties, read once). */
static struct {
	unsigned phys_bits;
	bool amd, long_mode;
} boot_cpu;

static void read_boot_cpu(void)
{
	static const char *const names[] = {"phys-bits", "vendor", "lm"};
	char *v[3];

	fq_qom_values(BOOT_CPU, names, 3, v);
	boot_cpu.phys_bits = v[0] ? (unsigned)strtoul(v[0], NULL, 10) : 0;
	boot_cpu.amd = v[1] && !strcmp(v[1], "\"AuthenticAMD\"");
	boot_cpu.long_mode = v[2] && !strcmp(v[2], "true");
	for (int i = 0; i < 3; i++)
		free(v[i]);
}

/*
 * pc_max_used_gpa(): the highest address the guest may use. A CPU without
 * long mode has no 64-bit PCI hole: before 8.1 (and for machine types of
 * 8.0 and older, broken_32bit_mem_addr_check) its @limit, from 8.1 the end
 * of the device memory, or of the RAM.
 */
static uint64_t max_used_gpa(uint64_t limit)
{
	if (boot_cpu.long_mode)
		return hole64_start() + map.hole64_size - 1;
	if (!fq_since(8, 1) || fq_machine_type_older(8, 1))
		return limit;
	if (region_size())
		return region_base() + region_full_size() - 1;
	return map.above_4g_start + map.above_4g - 1;
}

void fq_memory_machine_init(void)
{
	uint64_t ram = ram_size(), lowmem, max_below;

	map.board = !strcmp(fq_vm.cfg.machine, "pc") || !strcmp(fq_vm.cfg.machine, "q35");
	if (!map.board)
		return;
	map.above_4g_start = 4 * GiB;
	max_below = qom_u64("/machine", "max-ram-below-4g", 0);
	if (!strcmp(host_bridge(), "/machine/q35")) {
		/* pc_q35_init() */
		lowmem = ram >= 0xb0000000ULL ? 0x80000000ULL : 0xb0000000ULL;
		if (max_below && lowmem > max_below) {
			lowmem = max_below;
			if (ram - lowmem > lowmem && (lowmem & (GiB - 1)))
				fq_warn("There is possibly poor performance as the ram size "
					" (0x%" PRIx64 ") is more then twice the size of "
					"max-ram-below-4g (%" PRIu64 ") and max-ram-below-4g is not "
					"a multiple of 1G.",
					ram, max_below);
		}
	} else {
		/* pc_init1(), gigabyte_align */
		if (!max_below)
			max_below = 0xe0000000ULL;
		lowmem = max_below;
		if (ram >= lowmem) {
			if (lowmem > 0xc0000000ULL)
				lowmem = 0xc0000000ULL;
			if (lowmem & (GiB - 1))
				fq_warn("Large machine and max_ram_below_4g (%" PRIu64
					") not a multiple of 1G; possible bad performance.",
					max_below);
		}
	}
	map.above_4g = ram >= lowmem ? ram - lowmem : 0;
	map.hole64_size = qom_u64(host_bridge(), "pci-hole64-size", 0);
	/* QEMU 7.1 on: the address space against the CPU's phys-bits. */
	if (fq_since(7, 1)) {
		uint64_t limit;
		char lim[32], used[32], bits[16];

		read_boot_cpu();
		limit = (1ULL << boot_cpu.phys_bits) - 1;
		/* enforce_amd_1tb_hole: machine types of 7.1 on. */
		if (boot_cpu.amd && !fq_machine_type_older(7, 1) && max_used_gpa(limit) >= AMD_HT_START)
			map.above_4g_start = AMD_ABOVE_1TB_START;
		if (limit < max_used_gpa(limit)) {
			snprintf(lim, sizeof(lim), "0x%" PRIx64, limit);
			snprintf(used, sizeof(used), "0x%" PRIx64, max_used_gpa(limit));
			snprintf(bits, sizeof(bits), "%u", boot_cpu.phys_bits);
			fq_die("%s", fq_textf("mem-phys-bits-too-low", "limit", lim, "used", used,
					      "bits", bits, NULL));
		}
	}
	if (!region_size())
		return;
	if (fq_vm.cfg.ram_slots > ACPI_MAX_RAM_SLOTS) {
		char n[32];

		snprintf(n, sizeof(n), "%" PRIu64, fq_vm.cfg.ram_slots);
		fq_die("%s", fq_textf("mem-too-many-slots", "slots", n, NULL));
	}
	if (round_up(maxram_size(), TARGET_PAGE_SIZE) != maxram_size())
		fq_die("%s", fq_textf("mem-maxmem-unaligned", NULL));
}

static char *u64_text(uint64_t v)
{
	char *t;

	if (asprintf(&t, "%" PRIu64, v) < 0)
		abort();
	return t;
}

bool fq_memory_backend_mapped(const char *memdev, uint64_t *offset)
{
	/* A DIMM's or virtio-mem's backend region sits in the device memory;
	 * an NVDIMM maps an alias of its own instead. */
	for (struct memdev_state *m = states; m; m = m->next)
		if (m->memdev && !strcmp(m->memdev, memdev) &&
		    !fq_qom_type_is_a(fq_qom_type(m->dev->driver), "nvdimm")) {
			*offset = m->addr - region_base();
			return true;
		}
	return false;
}

bool fq_memory_hotplug_configured(void)
{
	return map.board && (region_size() || fq_vm.cfg.ram_slots);
}

char *fq_memory_machine_prop(const char *path, const char *name)
{
	if (!map.board)
		return NULL;
	/* The device memory region: where pc_memory_init() put it. */
	if (!strcmp(path, "/machine/device-memory[0]")) {
		if (!strcmp(name, "addr"))
			return u64_text(region_base());
		if (!strcmp(name, "size"))
			return u64_text(region_full_size());
		return NULL;
	}
	if (!strcmp(path, "/machine")) {
		if (!strcmp(name, "device-memory-region-size"))
			return u64_text(region_full_size());
		if (!strcmp(name, "nvdimm"))
			return strdup(fq_vm.cfg.nvdimm ? "true" : "false");
		if (!strcmp(name, "memory")) {
			/* machine_get_mem(): slots and max-size only with slots. */
			json_object *o = json_object_new_object();
			char *t;

			json_object_object_add(o, "size", json_object_new_uint64(ram_size()));
			if (fq_vm.cfg.ram_slots) {
				json_object_object_add(o, "max-size",
						       json_object_new_uint64(maxram_size()));
				json_object_object_add(o, "slots",
						       json_object_new_uint64(fq_vm.cfg.ram_slots));
			}
			t = fq_json_to_qemu_string(o);
			json_object_put(o);
			return t;
		}
		return NULL;
	}
	if (!strcmp(path, host_bridge())) {
		/* x-pci-hole64-fix: the end rounded up to 1 GiB. */
		if (!strcmp(name, "pci-hole64-start"))
			return u64_text(hole64_start());
		if (!strcmp(name, "pci-hole64-end"))
			return u64_text(round_up(hole64_start() + map.hole64_size, GiB));
	}
	return NULL;
}

/* A memory backend's "size": a number, or QEMU's size syntax from -object. */
bool fq_memory_backend_size(const struct fq_backend *b, uint64_t *out)
{
	json_object *v;

	if (!b->props || !json_object_object_get_ex(b->props, "size", &v))
		return false;
	if (json_object_is_type(v, json_type_int)) {
		*out = (uint64_t)json_object_get_int64(v);
		return true;
	}
	/* 5.2's -object keeps the text: qemu_strtosz() as that version has it. */
	return fq_strtosz(json_object_get_string(v), out, NULL) == 0;
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
	uint64_t at = region_base();
	bool moved = true;

	while (moved) {
		moved = false;
		for (struct memdev_state *m = states; m; m = m->next)
			if (at < m->addr + m->size && m->addr < at + size) {
				at = (m->addr + m->size + ALIGN - 1) & ~(ALIGN - 1);
				moved = true;
			}
	}
	if (at + size > region_base() + region_full_size())
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

	/* pc_memory_pre_plug(): the ACPI device announces DIMMs to the guest. */
	if (dimm && !fq_vm.cfg.acpi) {
		fq_reply_error(r, "GenericError",
			       "memory hotplug is not enabled: missing acpi device or acpi disabled");
		return false;
	}
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
	if (!b || !fq_memory_backend_size(b, &size))
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
			if (m->resize_timer)
				fq_loop_cancel(m->resize_timer);
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
		n = asprintf(&t, "%" PRIu64, m->virtio_mem ? m->plugged : m->size);
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

/* ---- virtio-mem and the guest ------------------------------------------------------- */

#define VIRTIO_MEM_GUEST_MS 50 /* a cooperative guest's driver (un)plugging blocks */

/* The schema's members of an event's data: whether @event's has @member. */
static bool event_has_member(const char *event, const char *member)
{
	json_object *e = fq_schema_entity(event), *t, *members;
	const char *type = NULL;
	bool found = false;

	if (e && json_object_object_get_ex(e, "arg-type", &t))
		type = json_object_get_string(t);
	e = type ? fq_schema_entity(type) : NULL;
	if (!e || !json_object_object_get_ex(e, "members", &members))
		return false;
	for (size_t i = 0; i < json_object_array_length(members) && !found; i++) {
		json_object *n;

		found = json_object_object_get_ex(json_object_array_get_idx(members, i), "name", &n) &&
			!strcmp(json_object_get_string(n), member);
	}
	return found;
}

/*
 * The guest's virtio-mem driver plugs or unplugs blocks until "size" is the
 * requested size; the device reports it with MEMORY_DEVICE_SIZE_CHANGE
 * (qom-path from 7.1, as the schema says). A guest that is absent or has
 * not run does nothing, and neither does a paused one until cont.
 */
static void guest_resize(void *opaque)
{
	struct memdev_state *m = opaque;
	json_object *d;

	m->resize_timer = 0;
	if (fq_vm.state != FQ_RUNNING || m->plugged == m->requested)
		return;
	m->plugged = m->requested;
	d = json_object_new_object();
	if (m->dev->id)
		json_object_object_add(d, "id", json_object_new_string(m->dev->id));
	json_object_object_add(d, "size", json_object_new_uint64(m->plugged));
	if (event_has_member("MEMORY_DEVICE_SIZE_CHANGE", "qom-path"))
		json_object_object_add(d, "qom-path", json_object_new_string(m->dev->qom_path));
	fq_event("MEMORY_DEVICE_SIZE_CHANGE", d);
}

static void guest_resize_later(struct memdev_state *m)
{
	enum fq_guest_kind g = fq_vm.cfg.guest;

	if (g == FQ_GUEST_ABSENT || !fq_vm.ever_ran || m->resize_timer)
		return;
	m->resize_timer = fq_loop_timer(g == FQ_GUEST_SLOW ? fq_vm.cfg.guest_delay_ms
							 : VIRTIO_MEM_GUEST_MS,
					guest_resize, m);
}

void fq_memory_guest_resumed(void)
{
	for (struct memdev_state *m = states; m; m = m->next)
		if (m->virtio_mem && m->plugged != m->requested)
			guest_resize_later(m);
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
	guest_resize_later(m);
	return true;
}

bool fq_memory_unplug_refused(const struct fq_device *dev, struct fq_reply *r)
{
	const struct memdev_state *m = state_of(dev);

	if (!m)
		return false;
	/* pc_memory_unplug_request() */
	if (m->dimm && fq_qom_type_is_a(fq_qom_type(dev->driver), "nvdimm")) {
		fq_reply_text(r, "mem-nvdimm-unplug", NULL);
		return true;
	}
	if (!m->virtio_mem)
		return false;
	/* Before 8.2 virtio-mem never unplugs; from then virtio_mem_unplug_request_check(). */
	if (fq_dialect_text(fq_vm.cfg.dialect, "mem-virtio-unplug")) {
		fq_reply_text(r, "mem-virtio-unplug", NULL);
		return true;
	}
	if (m->plugged || m->requested) {
		fq_reply_text(r, "mem-virtio-unplug-busy", "prop", m->plugged ? "size" : "requested-size",
			      NULL);
		return true;
	}
	return false;
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
		json_object_object_add(d, "size", u64(m->plugged));
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
		plugged += m->virtio_mem ? m->plugged : m->size;
	json_object_object_add(o, "base-memory", u64(ram_size()));
	/* get_plugged_memory_size(): 0 without memory devices (machine none too). */
	json_object_object_add(o, "plugged-memory", u64(plugged));
	r->ret = o;
}

/* ACPI memory hot-plug: one entry per DIMM slot, the device in it if any. */
const char *fq_memory_dimm_id_at(int slot)
{
	/* NVDIMMs take a slot but are not in ACPI's memory hot-plug table. */
	for (struct memdev_state *m = states; m; m = m->next)
		if (m->dimm && m->slot == slot &&
		    !fq_qom_type_is_a(fq_qom_type(m->dev->driver), "nvdimm"))
			return m->dev->id;
	return NULL;
}
