/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cpu.c - vCPU hot-plug as QEMU's x86 machine does it: slots, APIC IDs, checks */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "cpu.h"
#include "guest.h"
#include "machine.h"
#include "props.h"

bool fq_cpu_is_type(const char *driver)
{
	size_t n = strlen(driver), s = strlen("-x86_64-cpu");

	return n > s && !strcmp(driver + n - s, "-x86_64-cpu");
}

bool fq_cpu_prop_allowed(const char *name)
{
	static const char *const allowed[] = {
	    "driver",	 "id",	    "bus",     "socket-id",	    "die-id", "core-id",
	    "thread-id", "node-id", "apic-id", "start-powered-off", NULL,
	};

	for (int i = 0; allowed[i]; i++)
		if (!strcmp(allowed[i], name))
			return true;
	return false;
}

struct fq_cpu_slot *fq_cpu_slot_of(const struct fq_device *dev)
{
	for (int i = 0; i < fq_vm.ncpu_slots; i++)
		if (fq_vm.cpu_slots[i].cpu == dev)
			return &fq_vm.cpu_slots[i];
	return NULL;
}

struct fq_cpu_slot *fq_cpu_slot_by_path(const char *path)
{
	for (int i = 0; i < fq_vm.ncpu_slots; i++)
		if (fq_vm.cpu_slots[i].boot && !fq_vm.cpu_slots[i].gone &&
		    !strcmp(fq_vm.cpu_slots[i].qom_path, path))
			return &fq_vm.cpu_slots[i];
	return NULL;
}

static bool range_check(const char *what, long long v, long long max, struct fq_reply *r)
{
	if (v < 0) {
		fq_reply_error(r, "GenericError", "CPU %s is not set", what);
		return false;
	}
	if (v > max) {
		fq_reply_error(r, "GenericError", "Invalid CPU %s: %lld must be in range 0:%lld",
			       what, v, max);
		return false;
	}
	return true;
}

void fq_cpu_device_add(const char *driver, const char *id, json_object *props, bool hotplug,
		       struct fq_reply *r)
{
	const struct fq_config *c = &fq_vm.cfg;
	long long sock = -1, die = -1, core = -1, thread = -1;
	long long max_socket;
	struct fq_cpu_slot *slot = NULL;
	struct fq_device *dev, **pp;
	unsigned apic;
	int idx = -1;

	if (!fq_prop_int(props, driver, "socket-id", &sock, r) ||
	    !fq_prop_int(props, driver, "die-id", &die, r) ||
	    !fq_prop_int(props, driver, "core-id", &core, r) ||
	    !fq_prop_int(props, driver, "thread-id", &thread, r))
		return;
	if (strcmp(driver, fq_vm.cpu_type) != 0) {
		fq_reply_error(r, "GenericError", "Invalid CPU type, expected cpu type: '%s'",
			       fq_vm.cpu_type);
		return;
	}
	if (!fq_vm.ncpu_slots) {
		fq_reply_error(r, "GenericError",
			       "Device '%s' can not be hotplugged on this machine", driver);
		return;
	}
	max_socket = (long long)(c->maxcpus - 1) / c->threads / c->cores / c->dies;
	if (die < 0 && c->dies == 1)
		die = 0;
	if (!range_check("socket-id", sock, max_socket, r) ||
	    !range_check("die-id", die, c->dies - 1, r) ||
	    !range_check("core-id", core, c->cores - 1, r) ||
	    !range_check("thread-id", thread, c->threads - 1, r))
		return;
	apic = fq_x86_apic_id((int)sock, (int)die, (int)core, (int)thread);
	for (int i = 0; i < fq_vm.ncpu_slots; i++) {
		struct fq_cpu_slot *s = &fq_vm.cpu_slots[i];

		if (fq_x86_apic_id(s->socket, s->die, s->core, s->thread) == apic) {
			slot = s;
			idx = i;
		}
	}
	if (!slot) {
		fq_reply_error(
		    r, "GenericError",
		    "Invalid CPU [socket: %lld, die: %lld, core: %lld, thread: %lld] with "
		    "APIC ID %u, valid index range 0:%d",
		    sock, die, core, thread, apic, fq_vm.ncpu_slots - 1);
		return;
	}
	if ((slot->boot && !slot->gone) || slot->cpu) {
		fq_reply_error(r, "GenericError", "CPU[%d] with APIC ID %u exists", idx, apic);
		return;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		abort();
	dev->driver = strdup(driver);
	dev->id = id ? strdup(id) : NULL;
	dev->kind = FQ_DEV_CPU;
	dev->hotplugged = hotplug;
	dev->cpu_index = idx;
	if (id) {
		if (asprintf(&dev->qom_path, "/machine/peripheral/%s", id) < 0)
			abort();
	} else if (asprintf(&dev->qom_path, "/machine/peripheral-anon/device[%d]",
			    fq_vm.anon_devices++) < 0) {
		abort();
	}
	slot->cpu = dev;
	slot->gone = false;
	for (pp = &fq_vm.devices; *pp; pp = &(*pp)->next)
		;
	*pp = dev;
	if (hotplug)
		fq_guest_cpu_plugged(dev);
}

void fq_cpu_device_gone(struct fq_device *dev)
{
	struct fq_cpu_slot *s = fq_cpu_slot_of(dev);

	if (s)
		s->cpu = NULL;
}

static json_object *cpu_props(const struct fq_cpu_slot *s)
{
	json_object *p = json_object_new_object();

	/* CpuInstanceProperties in schema order. */
	json_object_object_add(p, "socket-id", json_object_new_int(s->socket));
	if (fq_vm.cfg.dies > 1)
		json_object_object_add(p, "die-id", json_object_new_int(s->die));
	json_object_object_add(p, "core-id", json_object_new_int(s->core));
	json_object_object_add(p, "thread-id", json_object_new_int(s->thread));
	return p;
}

static const char *slot_path(const struct fq_cpu_slot *s)
{
	if (s->cpu)
		return s->cpu->qom_path;
	if (s->boot && !s->gone)
		return s->qom_path;
	return NULL;
}

void fq_cmd_query_hotpluggable_cpus(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	if (!fq_vm.ncpu_slots) {
		json_object_put(list);
		fq_reply_error(r, "GenericError",
			       "The feature 'query-hotpluggable-cpus' is not enabled");
		return;
	}
	/* QAPI_LIST_PREPEND: the highest slot first. */
	for (int i = fq_vm.ncpu_slots - 1; i >= 0; i--) {
		const struct fq_cpu_slot *s = &fq_vm.cpu_slots[i];
		json_object *e = json_object_new_object();
		const char *path = slot_path(s);

		json_object_object_add(e, "type", json_object_new_string(fq_vm.cpu_type));
		json_object_object_add(e, "vcpus-count", json_object_new_int(1));
		json_object_object_add(e, "props", cpu_props(s));
		if (path)
			json_object_object_add(e, "qom-path", json_object_new_string(path));
		json_object_array_add(list, e);
	}
	r->ret = list;
}

void fq_cmd_query_cpus_fast(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	for (int i = 0; i < fq_vm.ncpu_slots; i++) {
		const struct fq_cpu_slot *s = &fq_vm.cpu_slots[i];
		const char *path = slot_path(s);
		json_object *e;

		if (!path)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "cpu-index", json_object_new_int(i));
		json_object_object_add(e, "qom-path", json_object_new_string(path));
		json_object_object_add(e, "thread-id", json_object_new_int((int)getpid() + 1 + i));
		json_object_object_add(e, "props", cpu_props(s));
		if (fq_vm.cfg.dialect->cpus_fast_has_arch)
			json_object_object_add(e, "arch", json_object_new_string("x86"));
		json_object_object_add(e, "target", json_object_new_string("x86_64"));
		json_object_array_add(list, e);
	}
	r->ret = list;
}
