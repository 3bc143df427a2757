/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* guest.c - device_del and the guest model: when ACPI unplug completes, and with which events */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "commands.h"
#include "cpu.h"
#include "devices.h"
#include "fakeqemu.h"
#include "faults.h"
#include "guest.h"
#include "loop.h"
#include "machine.h"
#include "memory.h"
#include "props.h"
#include "qomdata.h"

/*
 * Real QEMU (hw/acpi/pcihp.c, cpu.c) only asks the guest to eject a PCI
 * device or a CPU; the guest's ACPI code finishes it. What the guest does
 * is chosen by -fake-guest: cooperative (Linux: done in ~20 ms), slow=MS,
 * absent (no OS: PCI unplug never completes, CPU unplug is refused because
 * ACPI CPU hotplug is still in legacy mode) or reject.
 */

/*
 * How long a Linux guest takes, as recorded from QEMU 7.2 under TCG
 * (tests/conformance/guest/README.md): PCI unplug 125-520 ms on pc and
 * bridges, 30-160 ms on a q35 root port; CPU plug/unplug 20-100 ms.
 */
#define PCI_UNPLUG_MS	    200
#define ROOT_PORT_UNPLUG_MS 80
#define CPU_MS		    40
/* scsi-hd unplug needs no guest, but its event comes ~55 ms after the reply. */
#define SCSI_EVENT_MS 55

/* An unplug that the guest will complete (or refuse) later. */
struct completion {
	struct fq_device *dev;	 /* NULL for a boot CPU */
	struct fq_cpu_slot *cpu; /* for CPUs */
	bool withhold;		 /* faults: no event */
	int extra_delay_ms;	 /* faults: delay-event */
	bool waiting_for_run;	 /* requested while paused: completes after cont */
	struct completion *next;
};
static struct completion *completions;

static int guest_delay_for(const struct fq_device *dev, const struct fq_cpu_slot *cpu)
{
	if (fq_vm.cfg.guest == FQ_GUEST_SLOW)
		return fq_vm.cfg.guest_delay_ms;
	if (cpu || !dev)
		return CPU_MS;
	if (dev->bus && dev->bus->bridge && !strcmp(dev->bus->bridge->driver, "pcie-root-port"))
		return ROOT_PORT_UNPLUG_MS;
	return PCI_UNPLUG_MS;
}

/* The guest's ACPI code is up: it ran, has ACPI, and an OS is there. */
static bool guest_acpi_up(void)
{
	return fq_vm.ever_ran && fq_vm.cfg.acpi && fq_vm.cfg.guest != FQ_GUEST_ABSENT;
}

static bool device_alive(const struct fq_device *dev)
{
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (d == dev)
			return true;
	return false;
}

static json_object *deleted_data(const char *id, const char *path)
{
	json_object *d = json_object_new_object();

	if (id)
		json_object_object_add(d, "device", json_object_new_string(id));
	json_object_object_add(d, "path", json_object_new_string(path));
	return d;
}

/*
 * The guest's _OST answers, per slot: what query-acpi-ospm-status reports
 * (source and status of the last one; 0, 0 before any).
 */
struct ost_state {
	int source, status;
};
static struct ost_state *ost_cpu, *ost_dimm;
static size_t n_ost_cpu, n_ost_dimm;

static struct ost_state *ost_slot(bool dimm, int slot)
{
	struct ost_state **tab = dimm ? &ost_dimm : &ost_cpu;
	size_t *n = dimm ? &n_ost_dimm : &n_ost_cpu;

	if (slot < 0)
		return NULL;
	if ((size_t)slot >= *n) {
		size_t m = (size_t)slot + 16;

		*tab = realloc(*tab, m * sizeof(**tab));
		if (!*tab)
			abort();
		memset(*tab + *n, 0, (m - *n) * sizeof(**tab));
		*n = m;
	}
	return *tab + slot;
}

static json_object *ost_info(bool dimm, const char *id, int slot, int source, int status)
{
	json_object *data = json_object_new_object(), *info = json_object_new_object();
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", slot);
	if (id)
		json_object_object_add(info, "device", json_object_new_string(id));
	json_object_object_add(info, "slot", json_object_new_string(buf));
	json_object_object_add(info, "slot-type", json_object_new_string(dimm ? "DIMM" : "CPU"));
	json_object_object_add(info, "source", json_object_new_int(source));
	json_object_object_add(info, "status", json_object_new_int(status));
	json_object_object_add(data, "info", info);
	return data;
}

/* Events of the device removal under way: @finalize_ms > 0 when they come later. */
static int finalize_ms;

static void emit(bool withhold, const char *name, json_object *data);

/* An _OST the guest evaluates: remembered for its slot, raised as ACPI_DEVICE_OST. */
static void ost(bool withhold, bool dimm, const char *id, int slot, int source, int status)
{
	struct ost_state *st = ost_slot(dimm, slot);

	if (st) {
		st->source = source;
		st->status = status;
	}
	emit(withhold, "ACPI_DEVICE_OST", ost_info(dimm, id, slot, source, status));
}

/* An _OST that comes after @delay_ms (a plug the guest notices later). */
struct ost_later {
	bool dimm;
	char *id;
	int slot, source, status;
};

static void ost_later_fire(void *opaque)
{
	struct ost_later *o = opaque;

	ost(false, o->dimm, o->id, o->slot, o->source, o->status);
	free(o->id);
	free(o);
}

static void ost_later(int delay_ms, bool dimm, const char *id, int slot, int source, int status)
{
	struct ost_later *o = calloc(1, sizeof(*o));

	if (!o)
		abort();
	o->dimm = dimm;
	o->id = id ? strdup(id) : NULL;
	o->slot = slot;
	o->source = source;
	o->status = status;
	fq_loop_timer(delay_ms, ost_later_fire, o);
}

static void emit(bool withhold, const char *name, json_object *data)
{
	if (withhold)
		json_object_put(data);
	else if (finalize_ms)
		fq_event_later(name, data, finalize_ms);
	else
		fq_event(name, data);
}

/* Remove a PCI device (and what sits behind it), with QEMU's DEVICE_DELETED events. */
static void pci_device_deleted(struct fq_device *dev, bool withhold)
{
	char path[512];

	if (dev->child_bus) {
		struct fq_device *d = fq_vm.devices, *next;

		for (; d; d = next) {
			next = d->next;
			if (d->bus == dev->child_bus) {
				pci_device_deleted(d, withhold);
				next = fq_vm.devices; /* the list changed */
			}
		}
	}
	if (dev->kind == FQ_DEV_VIRTIO_BLK || dev->kind == FQ_DEV_VIRTIO_SCSI ||
	    (dev->kind == FQ_DEV_PCI_OTHER && !strncmp(dev->driver, "virtio-", 7))) {
		snprintf(path, sizeof(path), "%s/virtio-backend", dev->qom_path);
		emit(withhold, "DEVICE_DELETED", deleted_data(NULL, path));
	}
	if (dev->kind == FQ_DEV_VIRTIO_SCSI)
		for (struct fq_device *d = fq_vm.devices, *next; d; d = next) {
			next = d->next;
			if (d->scsi_controller == dev) {
				emit(withhold, "DEVICE_DELETED", deleted_data(d->id, d->qom_path));
				fq_device_unlink(d);
				next = fq_vm.devices;
			}
		}
	emit(withhold, "DEVICE_DELETED", deleted_data(dev->id, dev->qom_path));
	fq_device_unlink(dev);
}

static const char *cpu_path(const struct completion *c)
{
	return c->dev ? c->dev->qom_path : c->cpu->qom_path;
}

static void complete(struct completion *c)
{
	bool reject = fq_vm.cfg.guest == FQ_GUEST_REJECT;
	const char *id = c->dev ? c->dev->id : NULL;
	char path[512];

	if (c->cpu || (c->dev && fq_memory_is_dimm(c->dev))) {
		bool dimm = !c->cpu;
		int slot = dimm ? fq_memory_dimm_slot(c->dev) : (int)(c->cpu - fq_vm.cpu_slots);

		if (reject) {
			ost(c->withhold, dimm, id, slot, 3, 1);
			if (fq_vm.cfg.dialect->has_unplug_guest_error)
				emit(c->withhold, "DEVICE_UNPLUG_GUEST_ERROR",
				     deleted_data(id, dimm ? c->dev->qom_path : cpu_path(c)));
			if (c->dev)
				c->dev->unplug_pending = false;
			return;
		}
		/*
		 * Observed on 7.2 and 10.0: "ejection in progress", the device (a
		 * CPU's lapic only: its own DEVICE_DELETED never comes), "success"
		 * for the now empty slot.
		 */
		ost(c->withhold, dimm, id, slot, 3, 132);
		if (dimm) {
			emit(c->withhold, "DEVICE_DELETED", deleted_data(id, c->dev->qom_path));
		} else {
			snprintf(path, sizeof(path), "%s/lapic", cpu_path(c));
			emit(c->withhold, "DEVICE_DELETED", deleted_data(NULL, path));
		}
		ost(c->withhold, dimm, NULL, slot, 3, 0);
		if (c->dev) {
			fq_device_unlink(c->dev);
		} else {
			c->cpu->gone = true;
		}
		return;
	}
	if (reject) {
		c->dev->unplug_pending = false;
		if (fq_vm.cfg.dialect->has_unplug_guest_error)
			emit(c->withhold, "DEVICE_UNPLUG_GUEST_ERROR",
			     deleted_data(c->dev->id, c->dev->qom_path));
		return;
	}
	pci_device_deleted(c->dev, c->withhold);
}

static void unlink_completion(struct completion *c)
{
	for (struct completion **pp = &completions; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

static void completion_fire(void *opaque)
{
	struct completion *c = opaque;

	unlink_completion(c);
	if ((c->dev && device_alive(c->dev)) || (!c->dev && c->cpu && !c->cpu->gone)) {
		if (fq_vm.state != FQ_RUNNING) {
			/* Paused meanwhile: the guest finishes after cont. */
			c->waiting_for_run = true;
			c->next = completions;
			completions = c;
			return;
		}
		complete(c);
	}
	free(c);
}

static void schedule(struct fq_device *dev, struct fq_cpu_slot *cpu)
{
	const struct fq_fault_plan *plan = fq_current_plan;
	struct completion *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	c->dev = dev;
	c->cpu = cpu;
	c->withhold = plan && plan->withhold_events;
	c->extra_delay_ms = plan ? plan->event_delay_ms : 0;
	if (plan && plan->event_before_reply && fq_vm.state == FQ_RUNNING) {
		complete(c);
		free(c);
		return;
	}
	c->next = completions;
	completions = c;
	if (fq_vm.state == FQ_RUNNING)
		fq_loop_timer(guest_delay_for(dev, cpu) + c->extra_delay_ms, completion_fire, c);
	else
		c->waiting_for_run = true;
}

void fq_guest_resumed(void)
{
	fq_memory_guest_resumed();
	for (struct completion *c = completions; c; c = c->next)
		if (c->waiting_for_run) {
			c->waiting_for_run = false;
			fq_loop_timer(guest_delay_for(c->dev, c->cpu) + c->extra_delay_ms,
				      completion_fire, c);
		}
}

void fq_guest_bus_rescan(void)
{
	/* A hotplug makes a Linux guest rescan: requests lost before boot complete. */
	if (!guest_acpi_up() || fq_vm.state != FQ_RUNNING || fq_vm.cfg.guest == FQ_GUEST_REJECT)
		return;
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (d->unplug_pending && d->unplug_requested_before_run) {
			d->unplug_requested_before_run = false;
			schedule(d, NULL);
		}
}

/*
 * system_reset: ACPI PCI hot-plug ejects what the guest was asked to eject
 * (acpi_pcihp_reset()): the devices go at once, finalized a little later.
 */
void fq_guest_reset(void)
{
	struct fq_device *d, *next;

	finalize_ms = SCSI_EVENT_MS;
	for (d = fq_vm.devices; d; d = next) {
		next = d->next;
		if (d->unplug_pending && d->bus && d->kind != FQ_DEV_CPU) {
			for (struct completion *c = completions; c; c = c->next)
				if (c->dev == d)
					c->dev = NULL, c->cpu = NULL;
			pci_device_deleted(d, false);
			next = fq_vm.devices; /* the list changed */
		}
	}
	finalize_ms = 0;
}

void fq_guest_cpu_plugged(struct fq_device *dev)
{
	struct fq_cpu_slot *s = fq_cpu_slot_of(dev);

	if (!s || !guest_acpi_up() || fq_vm.state != FQ_RUNNING)
		return;
	ost_later(guest_delay_for(NULL, s), false, dev->id, (int)(s - fq_vm.cpu_slots), 1, 0);
}

void fq_guest_dimm_plugged(struct fq_device *dev)
{
	/* NVDIMMs are announced through NFIT, not the memory hot-plug _OST. */
	if (!fq_memory_is_dimm(dev) || fq_qom_type_is_a(fq_qom_type(dev->driver), "nvdimm") ||
	    !guest_acpi_up() || fq_vm.state != FQ_RUNNING)
		return;
	ost_later(guest_delay_for(NULL, NULL), true, dev->id, fq_memory_dimm_slot(dev), 1, 0);
}

/*
 * query-acpi-ospm-status: a DIMM slot per -m slots=, then, once a guest's
 * ACPI has switched CPU hot-plug to its modern interface, a CPU slot per
 * possible vCPU; "device" names what occupies the slot.
 */
void fq_cmd_query_acpi_ospm_status(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	for (int s = 0; s < (int)fq_vm.cfg.ram_slots; s++) {
		const struct ost_state *st = ost_slot(true, s);
		json_object *d = ost_info(true, fq_memory_dimm_id_at(s), s, st->source, st->status);
		json_object *info;

		json_object_object_get_ex(d, "info", &info);
		json_object_array_add(list, json_object_get(info));
		json_object_put(d);
	}
	for (int s = 0; guest_acpi_up() && s < fq_vm.ncpu_slots; s++) {
		const struct ost_state *st = ost_slot(false, s);
		const struct fq_device *cpu = fq_vm.cpu_slots[s].cpu;
		json_object *d = ost_info(false, cpu ? cpu->id : NULL, s, st->source, st->status);
		json_object *info;

		json_object_object_get_ex(d, "info", &info);
		json_object_array_add(list, json_object_get(info));
		json_object_put(d);
	}
	r->ret = list;
}

/* ---- device_del ------------------------------------------------------------------ */

static void cpu_unplug(struct fq_device *dev, struct fq_cpu_slot *slot, struct fq_reply *r)
{
	if (slot - fq_vm.cpu_slots == 0) {
		fq_reply_error(r, "GenericError", "Boot CPU is unpluggable");
		return;
	}
	if (!fq_vm.cfg.acpi) {
		fq_reply_error(r, "GenericError", "CPU hot unplug not supported without ACPI");
		return;
	}
	if (!guest_acpi_up()) {
		fq_reply_error(r, "GenericError",
			       "acpi: device unplug request for not supported device type: %s",
			       fq_vm.cpu_type);
		return;
	}
	if (dev)
		dev->unplug_pending = true;
	schedule(dev, slot);
}

static void shpc_removed(void *opaque)
{
	pci_device_deleted(opaque, false);
}

static void pci_unplug(struct fq_device *dev, const char *name, struct fq_reply *r)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;

	if (dev->bus && !dev->bus->hotpluggable) {
		fq_reply_error(r, "GenericError", "Bus '%s' does not support hotplugging",
			       dev->bus->name);
		return;
	}
	if (dev->bus && dev->bus->hotplug_off) {
		fq_reply_text(r, "port-hotunplug-off", "bus", dev->bus->name, NULL);
		return;
	}
	bool pcie_native =
	    dev->bus && dev->bus->bridge && !strcmp(dev->bus->bridge->driver, "pcie-root-port");

	/* A slot no guest driver powered up: the SHPC removes the device at once. */
	if (fq_pci_bus_shpc(dev->bus)) {
		fq_loop_timer(0, shpc_removed, dev);
		return;
	}

	/* A booted Linux guest acknowledges the request: 7.2 then accepts repeats (recorded). */
	bool acked = dev->unplug_pending && !dev->unplug_requested_before_run && guest_acpi_up() &&
		     fq_vm.cfg.guest != FQ_GUEST_REJECT;

	if (dev->unplug_pending && !acked && (!d->repeat_unplug_ok || pcie_native)) {
		/* acpi_pcihp: a retry is refused until 1 ms of guest time passed. */
		if (dev->unplug_requested_before_run ||
		    fq_vclock_ms() - dev->unplug_vclock_ms < 1) {
			fq_reply_error(r, "GenericError",
				       "Device %s is already in the process of unplug", name);
			return;
		}
	}
	if (dev->unplug_pending && !dev->unplug_requested_before_run)
		return; /* re-sent to the guest; the first request is still in flight */
	dev->unplug_pending = true;
	dev->unplug_vclock_ms = fq_vclock_ms();
	if (!fq_vm.ever_ran) {
		/* Linux clears the ACPI GPE at boot: this request is lost. */
		dev->unplug_requested_before_run = true;
		return;
	}
	if (!guest_acpi_up())
		return; /* no OS: the eject request is never acted on */
	schedule(dev, NULL);
}

void fq_cmd_device_del(json_object *args, struct fq_reply *r)
{
	json_object *idv;
	const char *id;
	struct fq_device *dev;
	struct fq_cpu_slot *boot;

	json_object_object_get_ex(args, "id", &idv);
	id = json_object_get_string(idv);
	dev = id[0] == '/' ? fq_device_by_path(id) : fq_device_by_id(id);
	if (!dev) {
		boot = id[0] == '/' ? fq_cpu_slot_by_path(id) : NULL;
		if (boot) {
			cpu_unplug(NULL, boot, r);
			return;
		}
		if (!strcmp(id, "/machine") || !strncmp(id, "/machine/", 9)) {
			/* An object that is not a device: only /machine itself is found. */
			if (!strcmp(id, "/machine"))
				fq_reply_text(r, "device-del-not-device", "path", id, NULL);
			else
				fq_reply_error(r, "DeviceNotFound", "Device '%s' not found", id);
			return;
		}
		fq_reply_error(r, "DeviceNotFound", "Device '%s' not found", id);
		return;
	}
	if (fq_memory_unplug_refused(dev, r))
		return;
	switch (dev->kind) {
	case FQ_DEV_CPU:
		cpu_unplug(dev, fq_cpu_slot_of(dev), r);
		break;
	case FQ_DEV_SCSI_HD:
		/* SCSI unplug is synchronous: the event follows the reply at once. */
		fq_event_later("DEVICE_DELETED", deleted_data(dev->id, dev->qom_path),
			       SCSI_EVENT_MS);
		fq_device_unlink(dev);
		break;
	case FQ_DEV_OTHER:
		/* ACPI memory hot-unplug: a request to the guest, as PCI's (repeats allowed). */
		if (fq_memory_is_dimm(dev)) {
			dev->unplug_pending = true;
			if (guest_acpi_up() && fq_vm.state == FQ_RUNNING)
				schedule(dev, NULL);
			break;
		}
		/*
		 * A controller's bus (USB, virtio-serial, ...) unplugs at once, as
		 * SCSI does: gone from the tree now, finalized (the event) later.
		 */
		if (dev->qbus && dev->qbus->hotpluggable && !dev->qbus->pci) {
			fq_event_later("DEVICE_DELETED", deleted_data(dev->id, dev->qom_path),
				       SCSI_EVENT_MS);
			fq_device_unlink(dev);
			break;
		}
		fq_reply_error(r, "GenericError", "Bus '%s' does not support hotplugging",
			       dev->qbus ? dev->qbus->name : "main-system-bus");
		break;
	default:
		pci_unplug(dev, id, r);
	}
}
