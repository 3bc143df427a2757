/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmd_device.c - device_add and device_del of PCI, SCSI and VFIO devices; query-pci */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "block.h"
#include "bus.h"
#include "commands.h"
#include "cpu.h"
#include "devices.h"
#include "guest.h"
#include "fakeqemu.h"
#include "loop.h"
#include "machine.h"
#include "memory.h"
#include "opts.h"
#include "props.h"
#include "qjson.h"
#include "qomdata.h"
#include "qomtree.h"
#include "report.h"
#include "since.h"
#include "strbuf.h"
#include "vhost.h"

/*
 * The device types fakeqemu models beyond what the recorded data tells (the
 * bus a type needs, its properties, its plain realize errors and its PCI
 * identity come from the data for every type): their kind decides realize,
 * placement and unplug. The identity here is for types whose query-pci entry
 * was not recorded (they need properties to be plugged at all).
 */
struct dev_type {
	const char *driver;
	enum fq_dev_kind kind;
	int vendor, device, subsystem_vendor, subsystem, class_code;
	const char *class_desc;
};

static const struct dev_type dev_types[] = {
    {"pci-bridge", FQ_DEV_PCI_BRIDGE, 0x1b36, 0x0001, -1, -1, 0x0604, "PCI bridge"},
    {"pcie-root-port", FQ_DEV_PCI_BRIDGE, 0x1b36, 0x000c, -1, -1, 0x0604, "PCI bridge"},
    {"virtio-scsi-pci", FQ_DEV_VIRTIO_SCSI, 0x1af4, 0x1004, 0x1af4, 8, 0x0100, "SCSI controller"},
    {"virtio-blk-pci", FQ_DEV_VIRTIO_BLK, 0x1af4, 0x1001, 0x1af4, 2, 0x0100, "SCSI controller"},
    {"vfio-pci", FQ_DEV_VFIO, -1, -1, -1, -1, -1, NULL},
    {"virtio-net-pci", FQ_DEV_PCI_OTHER, 0x1af4, 0x1000, 0x1af4, 1, 0x0200, "Ethernet controller"},
    {"virtio-serial-pci", FQ_DEV_PCI_OTHER, 0x1af4, 0x1003, 0x1af4, 3, 0x0780,
     "Communication controller"},
    {"virtio-9p-pci", FQ_DEV_PCI_OTHER, 0x1af4, 0x1009, 0x1af4, 9, 0x0002, "Class 0002"},
    {"virtio-rng-pci", FQ_DEV_PCI_OTHER, 0x1af4, 0x1005, 0x1af4, 4, 0x00ff, "Class 00ff"},
    {"virtio-balloon-pci", FQ_DEV_PCI_OTHER, 0x1af4, 0x1002, 0x1af4, 5, 0x00ff, "Class 00ff"},
    {"vhost-user-blk-pci", FQ_DEV_PCI_OTHER, 0x1af4, 0x1001, 0x1af4, 2, 0x0100, "SCSI controller"},
    {"vhost-user-fs-pci", FQ_DEV_PCI_OTHER, 0x1af4, 0x105a, 0x1af4, 0x1100, 0x0180, "Class 0180"},
    {"vhost-vsock-pci", FQ_DEV_PCI_OTHER, 0x1af4, 0x1053, 0x1af4, 0x1100, 0x00ff, "Class 00ff"},
    {"scsi-hd", FQ_DEV_SCSI_HD, -1, -1, -1, -1, -1, NULL},
};

static const struct dev_type *find_type(const char *driver)
{
	for (size_t i = 0; i < sizeof(dev_types) / sizeof(dev_types[0]); i++)
		if (!strcmp(dev_types[i].driver, driver))
			return &dev_types[i];
	return NULL;
}

/* ---- PCI ------------------------------------------------------------------ */

/* qbus_init(): anonymous buses are named "<type>.<n>" from a per-type counter. */
static int next_pci_auto_id = 1; /* pci.0 is the root bus */
static int next_scsi_auto_id;

/* "SLOT[.FUNC]" in hex, as the PCI "addr" property takes it. */
static int parse_pci_addr(const char *text, int *slot, int *func)
{
	char *end;
	long s, f = 0;

	errno = 0;
	s = strtol(text, &end, 16);
	if (errno || end == text || s < 0 || s > 0x1f)
		return -EINVAL;
	if (*end == '.') {
		const char *fs = end + 1;

		f = strtol(fs, &end, 16);
		if (end == fs || f < 0 || f > 7)
			return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	*slot = (int)s;
	*func = (int)f;
	return 0;
}

/* Find and claim a slot on @bus for @dev (do_pci_register_device()). */
static bool pci_claim(struct fq_pci_bus *bus, struct fq_device *dev, const char *addr, bool hotplug,
		      struct fq_reply *r)
{
	int slot = -1, func = 0;
	bool root_port = bus->bridge && !strcmp(bus->bridge->driver, "pcie-root-port");

	if (addr) {
		if (parse_pci_addr(addr, &slot, &func) < 0) {
			fq_reply_error(r, "GenericError",
				       "Property '%s.addr' doesn't take value '%s'", dev->driver,
				       addr);
			return false;
		}
		if (bus->slots[slot][func]) {
			const struct fq_device *o = bus->slots[slot][func];

			char s_text[8], f_text[8];

			snprintf(s_text, sizeof(s_text), "%d", slot);
			snprintf(f_text, sizeof(f_text), "%d", func);
			/* An anonymous device's id prints as "(null)" (7.2 on). */
			fq_reply_text(r, "pci-slot-in-use", "slot", s_text, "function", f_text,
				      "driver", dev->driver, "other", o->driver, "otherid",
				      o->id ? o->id : "(null)", NULL);
			return false;
		}
	} else {
		for (int s = 0; s < 32 && slot < 0; s++)
			if (!bus->slots[s][0] && !(root_port && s > 0))
				slot = s;
		if (slot < 0) {
			fq_reply_error(r, "GenericError",
				       "PCI: no slot/function available for %s, all in use or "
				       "reserved",
				       dev->driver);
			return false;
		}
	}
	/* A hot-plugged function needs function 0 of its slot free (pci_get_function_0()). */
	{
		const struct fq_device *f0 = root_port ? bus->slots[0][0] : bus->slots[slot][0];

		if (hotplug && f0 && (root_port ? (slot != 0 || func != 0) : func != 0)) {
			fq_reply_error(r, "GenericError",
				       "PCI: slot %d function 0 already occupied by %s, new func "
				       "%s cannot be exposed to guest.",
				       root_port ? 0 : slot, f0->driver, dev->driver);
			return false;
		}
	}
	dev->bus = bus;
	dev->slot = slot;
	dev->function = func;
	return true;
}

static void pci_release(struct fq_device *d)
{
	if (d->bus && d->bus->slots[d->slot][d->function] == d)
		d->bus->slots[d->slot][d->function] = NULL;
}

/* ---- device creation ------------------------------------------------------ */

static bool id_wellformed(const char *id)
{
	if (!isalpha((unsigned char)id[0]))
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return false;
	return true;
}

/*
 * qdev_set_id(): the device becomes a child of /machine/peripheral (or gets
 * the next peripheral-anon number). A later failure removes it again, but
 * leaves the hash table's tombstone and the used number, as in QEMU.
 */
static char *set_id(const char *id)
{
	char *p;

	if (!id)
		return fq_qom_anon_path();
	if (asprintf(&p, "/machine/peripheral/%s", id) < 0)
		abort();
	fq_qom_peripheral_added(id);
	return p;
}

static void unset_id(const char *id)
{
	if (id)
		fq_qom_peripheral_removed(id);
}

static void link_device(struct fq_device *d)
{
	struct fq_device **pp;

	for (pp = &fq_vm.devices; *pp; pp = &(*pp)->next)
		;
	*pp = d;
}

static void free_unlinked(struct fq_device *d)
{
	free(d->id);
	free(d->driver);
	free(d->qom_path);
	free(d->scsi_bus_name);
	free(d->host);
	json_object_put(d->props);
	free(d);
}

void fq_device_unlink(struct fq_device *dev)
{
	for (struct fq_device **pp = &fq_vm.devices; *pp; pp = &(*pp)->next)
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	pci_release(dev);
	fq_block_detach(dev);
	if (dev->child_bus) {
		for (struct fq_pci_bus **bp = &fq_vm.pci_buses; *bp; bp = &(*bp)->next)
			if (*bp == dev->child_bus) {
				*bp = dev->child_bus->next;
				break;
			}
		free(dev->child_bus->name);
		free(dev->child_bus);
	}
	fq_cpu_device_gone(dev);
	fq_memory_gone(dev);
	fq_bus_unplug(dev);
	fq_backend_release_user(dev->qom_path);
	fq_buses_remove_owner(dev);
	unset_id(dev->id);
	free_unlinked(dev);
}

static bool scsi_place(struct fq_device *dev, struct fq_device *ctrl, json_object *props,
		       struct fq_reply *r)
{
	long long id = -1, lun = 0;

	if (!fq_prop_int(props, dev->driver, "scsi-id", &id, r) ||
	    !fq_prop_int(props, dev->driver, "lun", &lun, r))
		return false;
	if (id > 255) {
		fq_reply_error(r, "GenericError", "bad scsi device id: %lld", id);
		return false;
	}
	if (lun > 16383) {
		fq_reply_error(r, "GenericError", "bad scsi device lun: %lld", lun);
		return false;
	}
	if (id < 0) {
		/* The first id whose lun is free. */
		for (id = 0; id <= 255; id++) {
			bool used = false;

			for (struct fq_device *d = fq_vm.devices; d; d = d->next)
				if (d->scsi_controller == ctrl && d->scsi_id == id && d->lun == lun)
					used = true;
			if (!used)
				break;
		}
	}
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (d->scsi_controller == ctrl && d->scsi_id == id && d->lun == lun) {
			fq_reply_error(r, "GenericError", "lun already used by '%s'",
				       d->id ? d->id : d->qom_path);
			return false;
		}
	dev->scsi_controller = ctrl;
	dev->scsi_id = (int)id;
	dev->lun = (int)lun;
	return true;
}

static bool vfio_host_known(const char *bdf)
{
	const char *list = getenv("FAKEQEMU_VFIO_HOSTS");
	size_t n = strlen(bdf);

	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && !strncmp(p, bdf, n))
			return true;
		p = comma ? comma + 1 : p + len;
	}
	return false;
}

/* "0000:01:00.0", "01:00.0" -> "0000:01:00.0"; NULL when malformed. */
static char *normalize_bdf(const char *text)
{
	unsigned dom = 0, bus, slot, fn;
	char *out;
	int n = 0;

	if (sscanf(text, "%x:%x:%x.%x%n", &dom, &bus, &slot, &fn, &n) == 4 && !text[n]) {
	} else if (dom = 0, sscanf(text, "%x:%x.%x%n", &bus, &slot, &fn, &n) == 3 && !text[n]) {
	} else {
		return NULL;
	}
	if (dom > 0xffff || bus > 0xff || slot > 0x1f || fn > 7)
		return NULL;
	if (asprintf(&out, "%04x:%02x:%02x.%x", dom, bus, slot, fn) < 0)
		abort();
	return out;
}

static bool vfio_realize(struct fq_device *dev, json_object *props, struct fq_reply *r)
{
	const char *host = fq_prop_str(props, "host"), *sysfs = fq_prop_str(props, "sysfsdev");
	char *bdf = NULL;

	if (host) {
		bdf = normalize_bdf(host);
		if (!bdf) {
			fq_reply_error(r, "GenericError",
				       "Property 'vfio-pci.host' doesn't take value '%s'", host);
			return false;
		}
	} else if (sysfs) {
		const char *base = strrchr(sysfs, '/');

		bdf = normalize_bdf(base ? base + 1 : sysfs);
		if (!bdf)
			bdf = strdup(base ? base + 1 : sysfs);
	} else {
		fq_reply_error(r, "GenericError", "No provided host device");
		return false;
	}
	if (!vfio_host_known(bdf)) {
		/* vfio_realize() names the device's sysfs path: the one given, if any. */
		if (sysfs)
			fq_reply_error(r, "GenericError",
				       "vfio %s: no such host device: No such file or directory",
				       sysfs);
		else
			fq_reply_error(r, "GenericError",
				       "vfio /sys/bus/pci/devices/%s: no such host device: No such "
				       "file or directory",
				       bdf);
		free(bdf);
		return false;
	}
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (d->host && !strcmp(d->host, bdf)) {
			fq_reply_error(r, "GenericError", "vfio %s: device is already attached",
				       bdf);
			free(bdf);
			return false;
		}
	dev->host = bdf;
	return true;
}

/* pcie_chassis_add_slot(): a PCIe port's (chassis, slot) is its own. */
static bool pcie_slot_free(struct fq_device *dev, json_object *props, struct fq_reply *r)
{
	long long chassis = 0, slot = 0;

	if (!fq_qom_type_is_a(fq_qom_type(dev->driver), "pcie-slot"))
		return true;
	if (!fq_prop_int(props, dev->driver, "chassis", &chassis, r) ||
	    !fq_prop_int(props, dev->driver, "slot", &slot, r))
		return false;
	for (struct fq_device *d = fq_vm.devices; d; d = d->next) {
		long long c = 0, s = 0;

		if (d == dev || !fq_qom_type_is_a(fq_qom_type(d->driver), "pcie-slot"))
			continue;
		fq_prop_int(d->props, d->driver, "chassis", &c, r);
		fq_prop_int(d->props, d->driver, "slot", &s, r);
		if (c == chassis && s == slot) {
			fq_reply_text(r, "pcie-chassis-busy", NULL);
			return false;
		}
	}
	return true;
}

/* A port's hotplug=off (qemu_opt/JSON boolean). */
static bool hotplug_off(const struct fq_device *dev)
{
	const char *v = fq_prop_str(dev->props, "hotplug");

	return v &&
	       (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "n"));
}

/*
 * v9fs_device_realize_common(): the fsdev named must exist (it may be shared)
 * and give a mount_tag. Without an fsdev at all, the recorded plain error.
 */
static bool fsdev_realize(json_object *props, bool *handled, struct fq_reply *r)
{
	const char *id = fq_prop_str(props, "fsdev");

	*handled = id != NULL;
	if (!id)
		return true;
	if (!fq_backend_find(FQ_BACKEND_FSDEV, id)) {
		fq_reply_text(r, "9p-fsdev-not-found", "value", id, NULL);
		return false;
	}
	if (!fq_prop_str(props, "mount_tag")) {
		fq_reply_text(r, "9p-no-mount-tag", "value", id, NULL);
		return false;
	}
	return true;
}

static bool truthy(const char *v)
{
	return v && (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "y"));
}

/*
 * virtio_pci_realize(): legacy mode defaults to off below a PCIe port
 * (disable-legacy=auto), so disable-modern leaves the device no mode there.
 */
static bool virtio_pci_modes(struct fq_device *dev, json_object *props, bool cmdline,
			     struct fq_reply *r)
{
	const char *legacy = fq_prop_str(props, "disable-legacy");
	bool pcie_port = dev->bus && dev->bus->bridge &&
			 fq_qom_type_is_a(fq_qom_type(dev->bus->bridge->driver), "pcie-port");
	bool no_legacy, no_modern = truthy(fq_prop_str(props, "disable-modern"));
	size_t n = strlen(dev->driver);

	if (!fq_qom_type_is_a(fq_qom_type(dev->driver), "virtio-pci"))
		return true;
	/* The (non-)transitional variants set disable-legacy for the user. */
	if (!legacy && n > 17 && !strcmp(dev->driver + n - 17, "-non-transitional"))
		legacy = "on";
	else if (!legacy && n > 13 && !strcmp(dev->driver + n - 13, "-transitional"))
		legacy = "off";
	no_legacy = !legacy || !strcmp(legacy, "auto") ? pcie_port : truthy(legacy);
	if (no_legacy && no_modern) {
		/* The hint shows on the command line only (QMP drops hints). */
		fq_reply_error(r, "GenericError",
			       "device cannot work as neither modern nor legacy mode is enabled%s",
			       cmdline ? "\nSet either disable-modern or disable-legacy to off" : "");
		return false;
	}
	return true;
}

/* Device-specific realize; false with @r filled on error. */
static bool realize(struct fq_device *dev, const struct dev_type *t, json_object *props,
		    struct fq_reply *r)
{
	long long v;

	switch (t->kind) {
	case FQ_DEV_PCI_BRIDGE:
		if (!pcie_slot_free(dev, props, r))
			return false;
		if (!strcmp(t->driver, "pci-bridge")) {
			v = 0;
			if (!fq_prop_int(props, dev->driver, "chassis_nr", &v, r))
				return false;
			if (v == 0) {
				fq_reply_error(
				    r, "GenericError",
				    "Bridge chassis not specified. Each bridge is required "
				    "to be assigned a unique chassis id > 0.");
				return false;
			}
		}
		return true;
	case FQ_DEV_VIRTIO_BLK:
		return fq_block_check_attach(dev, fq_prop_str(props, "drive"), props, r);
	case FQ_DEV_SCSI_HD:
		return fq_block_check_attach(dev, fq_prop_str(props, "drive"), props, r);
	case FQ_DEV_VFIO:
		return vfio_realize(dev, props, r);
	default:
		return true;
	}
}

/* After realize: the hotplug handler's checks (SHPC slot 0 on a bridge). */
/* ACPI PCI hot-plug covers cold-plugged bridges: pc's always, q35's from 6.1. */
static bool acpi_bridge(const struct fq_device *br)
{
	const char *m = fq_vm.cfg.machine ? fq_vm.cfg.machine : "pc";

	return fq_vm.cfg.acpi && !br->hotplugged &&
	       (!strcmp(m, "pc") || (!strcmp(m, "q35") && fq_since(6, 1)));
}

static bool shpc_on(const struct fq_device *br)
{
	const char *shpc = fq_prop_str(br->props, "shpc");

	return !strcmp(br->driver, "pci-bridge") && (!shpc || truthy(shpc));
}

bool fq_pci_bus_shpc(const struct fq_pci_bus *b)
{
	const struct fq_device *br = b ? b->bridge : NULL;

	return br && shpc_on(br) && !acpi_bridge(br);
}

static bool plug_check(struct fq_device *dev, bool hotplug, struct fq_reply *r)
{
	if (hotplug && dev->bus && fq_pci_bus_shpc(dev->bus) && dev->slot == 0) {
		/* shpc_device_plug_cb() comes after realize: a virtio proxy's backend goes. */
		if (fq_qom_type_is_a(fq_qom_type(dev->driver), "virtio-pci")) {
			json_object *d = json_object_new_object();
			char *path;

			if (asprintf(&path, "%s/virtio-backend", dev->qom_path) < 0)
				abort();
			json_object_object_add(d, "path", json_object_new_string(path));
			fq_event("DEVICE_DELETED", d);
			free(path);
		}
		fq_reply_error(
		    r, "GenericError",
		    "Unsupported PCI slot 0 for standard hotplug controller. Valid slots "
		    "are between 1 and 31.");
		return false;
	}
	return true;
}

static void create_child_buses(struct fq_device *dev, const struct dev_type *t)
{
	if (t->kind == FQ_DEV_PCI_BRIDGE) {
		struct fq_pci_bus *b = calloc(1, sizeof(*b)), **pp;

		if (!b)
			abort();
		if (dev->id)
			b->name = strdup(dev->id);
		else if (asprintf(&b->name, "pci.%d", next_pci_auto_id++) < 0)
			abort();
		b->bridge = dev;
		b->hotplug_off = hotplug_off(dev);
		/* 6.x on: the bus says so; 5.2's port handler refuses (plug_check()). */
		b->hotpluggable = !b->hotplug_off || fq_vm.cfg.dialect->hotplug_off_in_handler;
		/* A pci-bridge without SHPC is hot-pluggable only where ACPI covers it. */
		if (!strcmp(dev->driver, "pci-bridge") && !shpc_on(dev) && !acpi_bridge(dev))
			b->hotpluggable = false;
		for (pp = &fq_vm.pci_buses; *pp; pp = &(*pp)->next)
			;
		*pp = b;
		dev->child_bus = b;
		fq_bus_add(b->name, !strcmp(dev->driver, "pcie-root-port") ? "PCIE" : "PCI",
			   b->hotpluggable, dev);
	} else if (t->kind == FQ_DEV_VIRTIO_SCSI) {
		if (dev->id) {
			if (asprintf(&dev->scsi_bus_name, "%s.0", dev->id) < 0)
				abort();
		} else if (asprintf(&dev->scsi_bus_name, "scsi.%d", next_scsi_auto_id++) < 0) {
			abort();
		}
		fq_bus_add(dev->scsi_bus_name, "SCSI", true, dev)->scsi = dev;
	}
}

/* ---- what the data says of a type --------------------------------------------- */

/* Recorded device_add {"driver": T} answers that say what the type is. */
#define NO_BUS_PREFIX	 "No '"
#define NOT_HOTPLUGGABLE "can not be hotplugged on this machine"
#define NOT_PLUGGABLE	 "pluggable device type"
#define NOT_DYNAMIC	 "dynamic sysbus device type"
#define BUS_NO_HOTPLUG	 "does not support hotplugging"

static const char *recorded_error(int t, enum fq_type_field f)
{
	const char *cls, *desc;

	return fq_rec_error(fq_qom_type_rec(t, f), &cls, &desc) ? desc : NULL;
}

/* The record of device_add without properties on this machine type. */
static enum fq_type_field this_machine(void)
{
	if (!strcmp(fq_vm.cfg.machine, "q35"))
		return FQ_TYPE_DEVICE_ADD_Q35;
	if (!strcmp(fq_vm.cfg.machine, "pc"))
		return FQ_TYPE_DEVICE_ADD_PC;
	return FQ_TYPE_DEVICE_ADD_NONE;
}

/* The bus type a device type plugs into (-machine none has no bus: the error names it). */
static bool bus_type_of(int t, char *buf, size_t len)
{
	const char *e = recorded_error(t, FQ_TYPE_DEVICE_ADD_NONE);
	const char *q;

	if (!e || strncmp(e, NO_BUS_PREFIX, strlen(NO_BUS_PREFIX)) != 0)
		return false;
	q = strchr(e + strlen(NO_BUS_PREFIX), '\'');
	if (!q)
		return false;
	snprintf(buf, len, "%.*s", (int)(q - e - strlen(NO_BUS_PREFIX)), e + strlen(NO_BUS_PREFIX));
	return true;
}

/* `-device help` lists the user-creatable types (and their aliases). */
static const char *alias_target(const char *name)
{
	return fq_rec_text(fq_data_keyed("alias:%s", name));
}

/* A realize error of the type without properties: not about buses or hot-plug. */
static const char *plain_realize_error(int t)
{
	const char *e = recorded_error(t, this_machine());

	if (!e || strstr(e, NOT_PLUGGABLE) || strstr(e, NOT_HOTPLUGGABLE) ||
	    strstr(e, NOT_DYNAMIC) || strstr(e, BUS_NO_HOTPLUG) ||
	    !strncmp(e, NO_BUS_PREFIX, strlen(NO_BUS_PREFIX)) || strstr(e, "Invalid CPU type") ||
	    strstr(e, "CPU socket-id is not set"))
		return NULL;
	return e;
}

/* ---- properties ---------------------------------------------------------------------- */

struct ordered_key {
	const char *key;
	unsigned bucket;
	size_t index;
};

/* QDict iteration: buckets in order, the newest entry first within one. */
static int qdict_order(const void *a, const void *b)
{
	const struct ordered_key *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->index > y->index ? -1 : 1;
}

/* Keys in the order QEMU sets them: the QDict's (JSON) or the command line's. */
static size_t prop_order(json_object *props, bool given_order, const char **keys, size_t max)
{
	struct ordered_key k[128];
	size_t n = 0;

	json_object_object_foreach(props, key, val)
	{
		(void)val;
		if (n < max && n < 128) {
			k[n] = (struct ordered_key){key, fq_qdict_bucket(key), n};
			n++;
		}
	}
	if (!given_order)
		qsort(k, n, sizeof(k[0]), qdict_order);
	for (size_t i = 0; i < n; i++)
		keys[i] = k[i].key;
	return n;
}

static bool claimable(struct fq_backend *b, const struct fq_device *dev)
{
	return !b->user || !strcmp(b->user, dev->qom_path);
}

/* A property naming something: it must exist (and not be another's). */
static bool resolve_ref(struct fq_device *dev, const struct fq_prop_info *pi, const char *value,
			struct fq_reply *r)
{
	struct fq_backend *b;

	switch (pi->ref) {
	case FQ_REF_CHARDEV:
	case FQ_REF_NETDEV:
		b = fq_backend_find(
		    pi->ref == FQ_REF_CHARDEV ? FQ_BACKEND_CHARDEV : FQ_BACKEND_NETDEV, value);
		if (!b) {
			fq_reply_text(r, "prop-ref-not-found", "owner", pi->owner, "name", pi->name,
				      "value", value, NULL);
			return false;
		}
		if (!claimable(b, dev)) {
			fq_reply_text(r,
				      pi->ref == FQ_REF_CHARDEV ? "prop-chardev-in-use"
								: "prop-netdev-in-use",
				      "owner", pi->owner, "name", pi->name, "value", value, NULL);
			return false;
		}
		return true;
	case FQ_REF_LINK:
		b = fq_backend_find(FQ_BACKEND_OBJECT, value);
		if (!b) {
			char *t = fq_textf("prop-link-not-found", "value", value, NULL);

			fq_reply_error(r, "DeviceNotFound", "%s", t);
			free(t);
			return false;
		}
		if (!fq_qom_type_is_a(fq_qom_type(b->type), pi->link_type)) {
			fq_reply_text(r, "prop-link-type", "name", pi->name, "expected",
				      pi->link_type, NULL);
			return false;
		}
		return true;
	case FQ_REF_DRIVE:
		/* The block layer decides (block.h); the device's own checks come first. */
		return true;
	default:
		return true;
	}
}

/* Claims of chardevs and netdevs, once the device is in. */
static void claim_refs(struct fq_device *dev, const char *type)
{
	json_object_object_foreach(dev->props, key, val)
	{
		struct fq_prop_info pi;
		struct fq_backend *b;
		const char *v = json_object_get_string(val);

		if (!v || !fq_prop_find(type, key, &pi))
			continue;
		if (pi.ref == FQ_REF_CHARDEV)
			b = fq_backend_find(FQ_BACKEND_CHARDEV, v);
		else if (pi.ref == FQ_REF_NETDEV)
			b = fq_backend_find(FQ_BACKEND_NETDEV, v);
		else
			continue;
		if (b)
			fq_backend_claim(b, dev->qom_path);
	}
}

/*
 * object_set_properties_from_qdict(): each property in QEMU's order; the
 * first that fails stops. *@refs says whether any property names a
 * backend (which is what a type's plain realize errors usually ask for).
 */
static bool set_properties(struct fq_device *dev, const char *type, json_object *props,
			   enum fq_values how, bool cmdline, bool *refs, struct fq_reply *r)
{
	const char *keys[128];
	size_t n = prop_order(props, cmdline && how == FQ_VALUES_OPTS, keys, 128);

	*refs = false;
	for (size_t i = 0; i < n; i++) {
		json_object *val = json_object_object_get(props, keys[i]);
		struct fq_prop_info pi;
		char *text = NULL;
		bool ok;

		if (!strcmp(keys[i], "driver") || !strcmp(keys[i], "bus") || !strcmp(keys[i], "id"))
			continue;
		if (!fq_prop_find(type, keys[i], &pi)) {
			fq_reply_text(r, "prop-not-found", "type", type, "name", keys[i], NULL);
			return false;
		}
		if (!fq_prop_value(&pi, val, how, cmdline, &text, r))
			return false;
		ok = !text || resolve_ref(dev, &pi, text, r);
		if (text && pi.ref != FQ_REF_NONE)
			*refs = true;
		free(text);
		if (!ok)
			return false;
	}
	return true;
}

/* ---- virtio-serial ports --------------------------------------------------------- */

static struct fq_device *serial_port_at(const struct fq_bus *bus, int nr, const char *name)
{
	for (struct fq_device *d = fq_vm.devices; d; d = d->next) {
		const char *n = fq_prop_str(d->props, "name");

		if (d->qbus == bus && (nr >= 0 ? d->port_nr == nr : n && !strcmp(n, name)))
			return d;
	}
	return NULL;
}

/*
 * virtser_port_device_realize(): an explicit id must be free, a name unique;
 * otherwise port 0 goes to the first console and the rest take the first
 * free id of the ports map (32-bit words: an id past max_ports is found
 * and then refused as out of range).
 */
static bool serial_port_place(struct fq_device *dev, json_object *props, struct fq_reply *r)
{
	struct fq_bus *bus = dev->qbus;
	const struct fq_device *ctrl = bus->owner;
	long long nr = -1, max = 31;
	const char *name = fq_prop_str(props, "name");
	char buf[32];

	if (ctrl && !fq_prop_int(ctrl->props, ctrl->driver, "max_ports", &max, r))
		return false;
	if (!fq_prop_int(props, dev->driver, "nr", &nr, r))
		return false;
	if (nr >= 0 && nr != 0xffffffffLL && serial_port_at(bus, (int)nr, NULL)) {
		snprintf(buf, sizeof(buf), "%lld", nr);
		fq_reply_text(r, "serial-port-taken", "nr", buf, NULL);
		return false;
	}
	if (name && serial_port_at(bus, -1, name)) {
		fq_reply_text(r, "serial-port-name-taken", "name", name, NULL);
		return false;
	}
	if (nr < 0 || nr == 0xffffffffLL) {
		long long words = (max + 31) / 32 * 32;

		if (!strcmp(dev->driver, "virtconsole") && !serial_port_at(bus, 0, NULL)) {
			nr = 0;
		} else {
			nr = -1;
			for (long long i = 1; nr < 0 && i < words; i++)
				if (!serial_port_at(bus, (int)i, NULL))
					nr = i;
			if (nr < 0) {
				fq_reply_text(r, "serial-ports-full", NULL);
				return false;
			}
		}
	}
	if (nr >= max) {
		snprintf(buf, sizeof(buf), "%lld", max - 1);
		fq_reply_text(r, "serial-port-range", "max", buf, NULL);
		return false;
	}
	dev->port_nr = (int)nr;
	return true;
}

/* ---- creation ---------------------------------------------------------------------- */

/*
 * qdev_device_add_from_qdict(): the driver, the bus and hot-plug checks,
 * the id, every property, realize, plug; each refused with QEMU's error.
 */
static void device_create(json_object *props, bool hotplug, enum fq_values how, bool cmdline,
			  struct fq_reply *r)
{
	const char *driver, *name, *bus_name, *id = NULL, *e;
	const struct dev_type *t;
	struct fq_pci_bus *pci = NULL;
	struct fq_bus *bus = NULL;
	struct fq_device *dev;
	json_object *idv, *drv;
	char bus_type[96];
	struct fq_prop_info fsdev;
	bool has_bus_type, is_cpu, refs;
	int qt;

	if (!json_object_object_get_ex(props, "driver", &drv)) {
		fq_reply_error(r, "GenericError", "Parameter 'driver' is missing");
		return;
	}
	if (!json_object_is_type(drv, json_type_string)) {
		if (how == FQ_VALUES_JSON)
			fq_reply_error(r, "GenericError", "Parameter 'driver' is missing");
		else
			fq_reply_text(r, "driver-not-device", "driver",
				      json_object_to_json_string_ext(drv, JSON_C_TO_STRING_PLAIN),
				      NULL);
		return;
	}
	driver = json_object_get_string(drv);
	if (json_object_object_get_ex(props, "id", &idv) &&
	    json_object_is_type(idv, json_type_string))
		id = json_object_get_string(idv);
	/* QemuOpts checks the id as it parses. */
	if (id && how == FQ_VALUES_OPTS && !id_wellformed(id)) {
		fq_reply_error(r, "GenericError", "Parameter 'id' expects an identifier%s",
			       cmdline ? "\nIdentifiers consist of letters, digits, '-', '.', '_', "
					 "starting with a letter."
				       : "");
		return;
	}
	/* qdev_get_device_class() */
	name = alias_target(driver) ? alias_target(driver) : driver;
	qt = fq_qom_type(name);
	if (qt < 0 || !fq_qom_type_is_a(qt, "device")) {
		fq_reply_text(r, "driver-not-device", "driver", driver, NULL);
		return;
	}
	if (fq_qom_type_abstract(qt)) {
		fq_reply_text(r, "driver-abstract", NULL);
		return;
	}
	e = recorded_error(qt, FQ_TYPE_DEVICE_ADD_NONE);
	if (e && strstr(e, NOT_PLUGGABLE) &&
	    (hotplug || !fq_data_keyed("user-creatable:%s", name))) {
		fq_reply_error(r, "GenericError", "%s", e);
		return;
	}
	e = recorded_error(qt, this_machine());
	if (e && strstr(e, NOT_DYNAMIC)) {
		fq_reply_error(r, "GenericError", "%s", e);
		return;
	}
	is_cpu = fq_cpu_is_type(name);
	t = find_type(name);
	has_bus_type = bus_type_of(qt, bus_type, sizeof(bus_type));

	/* The bus: the one named, or the first of the type the device needs. */
	bus_name = fq_prop_str(props, "bus");
	if (bus_name) {
		bus = fq_bus_find(bus_name);
		if (!bus) {
			fq_reply_text(r, "bus-not-found", "bus", bus_name, NULL);
			return;
		}
		if (!has_bus_type || !fq_bus_fits(bus, bus_type)) {
			fq_reply_text(r, "bus-wrong-type", "driver", name, "bustype", bus->type,
				      NULL);
			return;
		}
	} else if (has_bus_type) {
		bus = fq_bus_first_of(bus_type);
		if (!bus) {
			fq_reply_text(r, "bus-none-found", "bustype", bus_type, "driver", name,
				      NULL);
			return;
		}
	}
	pci = bus ? bus->pci : NULL;
	if (hotplug && bus && !(pci ? pci->hotpluggable : bus->hotpluggable)) {
		fq_reply_text(r, "bus-not-hotpluggable", "bus", bus->name, NULL);
		return;
	}
	if (hotplug && !bus && !is_cpu && (e = recorded_error(qt, this_machine())) &&
	    strstr(e, NOT_HOTPLUGGABLE)) {
		fq_reply_error(r, "GenericError", "%s", e);
		return;
	}
	if (id && fq_device_by_id(id)) {
		fq_reply_text(r, "duplicate-id", "id", id, NULL);
		return;
	}

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		abort();
	dev->driver = strdup(name);
	dev->id = id ? strdup(id) : NULL;
	dev->kind = t					 ? t->kind
		    : is_cpu				 ? FQ_DEV_CPU
		    : fq_qom_type_is_a(qt, "pci-device") ? FQ_DEV_PCI_OTHER
							 : FQ_DEV_OTHER;
	dev->hotplugged = hotplug;
	dev->props = json_object_get(props);
	dev->port_nr = -1;
	dev->qom_path = set_id(id);
	if (!set_properties(dev, name, props, how, cmdline, &refs, r))
		goto fail;
	if (is_cpu) {
		char *path = dev->qom_path;

		dev->qom_path = NULL;
		fq_cpu_device_add(name, id, path, props, hotplug, r);
		if (r->err_class)
			unset_id(id);
		free_unlinked(dev);
		return;
	}
	/* qdev_realize(): on the bus (a child link) before realize, off again on failure. */
	if (bus)
		fq_bus_plug(bus, dev);
	/*
	 * A memory device's pre_plug (slots, region, memdev, space, alignment).
	 * Whether a missing memdev is found before a missing region differs by
	 * version for virtio-mem: its recorded device_add says which.
	 */
	if (fq_memory_is_device(qt)) {
		char *unset = fq_textf("mem-memdev-unset", NULL);
		bool memdev_first = (e = plain_realize_error(qt)) && !strcmp(e, unset);

		free(unset);
		if (!fq_memory_pre_plug(dev, memdev_first, r))
			goto fail;
		refs = true;
	}
	/* The hot-plug handler's pre_plug (5.2's hotplug=off port). */
	if (hotplug && pci && pci->hotplug_off) {
		fq_reply_text(r, "port-hotplug-off", "bus", pci->name, NULL);
		goto fail;
	}
	if (pci) {
		json_object *addr;
		char devfn[16];
		const char *a = fq_prop_str(props, "addr");

		/* Typed JSON: a number is the devfn (slot << 3 | function). */
		if (how == FQ_VALUES_JSON && json_object_object_get_ex(props, "addr", &addr) &&
		    json_object_is_type(addr, json_type_int)) {
			int v = json_object_get_int(addr);

			snprintf(devfn, sizeof(devfn), "%x.%x", (v >> 3) & 0xff, v & 7);
			a = devfn;
		}
		if (!pci_claim(pci, dev, a, hotplug, r))
			goto fail;
	}
	if (bus && bus->scsi && !scsi_place(dev, bus->scsi, props, r))
		goto fail;
	if (bus && !strcmp(bus->type, "virtio-serial-bus") && !serial_port_place(dev, props, r))
		goto fail;
	if (pci && !virtio_pci_modes(dev, props, cmdline, r))
		goto fail;
	if (t && !realize(dev, t, props, r))
		goto fail;
	/* The vhost backend of vhost-vsock and vhost-user devices (vhost.c). */
	if (fq_vhost_device(name)) {
		if (!fq_vhost_realize(dev, props, r))
			goto fail;
		refs = true;
	}
	if (fq_prop_find(name, "fsdev", &fsdev)) {
		bool named;

		if (!fsdev_realize(props, &named, r))
			goto fail;
		refs = refs || named;
	}
	/* Types without a realize of their own say what the recording said. */
	if ((!t || t->kind == FQ_DEV_PCI_OTHER) && !refs && (e = plain_realize_error(qt))) {
		fq_reply_error(r, "GenericError", "%s", e);
		goto fail;
	}
	if (!plug_check(dev, hotplug, r))
		goto fail;
	fq_block_attach(dev);
	claim_refs(dev, name);
	if (dev->bus)
		dev->bus->slots[dev->slot][dev->function] = dev;
	if (t)
		create_child_buses(dev, t);
	fq_buses_add_recorded(dev);
	link_device(dev);
	fq_guest_bus_rescan();
	if (hotplug)
		fq_guest_dimm_plugged(dev);
	return;
fail:
	pci_release(dev);
	/* A realized device's BlockBackend goes with it (its node is free again). */
	fq_block_detach(dev);
	fq_memory_gone(dev);
	fq_backend_release_user(dev->qom_path);
	fq_bus_unplug(dev);
	unset_id(id);
	free_unlinked(dev);
}

void fq_devices_check_nics(void)
{
	for (struct fq_device *d = fq_vm.devices; d; d = d->next) {
		struct fq_prop_info pi;
		int n = 0;

		if (d->hotplugged || !fq_prop_find(d->driver, "netdev", &pi) ||
		    pi.ref != FQ_REF_NETDEV || fq_prop_str(d->props, "netdev"))
			continue;
		for (struct fq_device *e = fq_vm.devices; e != d; e = e->next)
			if (!strcmp(e->driver, d->driver))
				n++;
		if (d->id)
			fq_warn("nic %s has no peer", d->id);
		else
			fq_warn("nic %s.%d has no peer", d->driver, n);
	}
}

void fq_cmd_device_add(json_object *args, struct fq_reply *r)
{
	/* QEMU 9.x and later check device_add's values as typed JSON, before as QemuOpts. */
	device_create(args, true,
		      fq_vm.cfg.dialect->strict_device_props ? FQ_VALUES_JSON : FQ_VALUES_OPTS,
		      false, r);
}

void fq_device_add_cmdline(const char *text, struct fq_reply *r)
{
	struct fq_opts o;
	json_object *props;

	/* -device '{...}' (6.1+): a JSON object, typed. */
	if (text[0] == '{' && fq_vm.cfg.dialect->device_json) {
		props = json_tokener_parse(text);
		if (!props || !json_object_is_type(props, json_type_object)) {
			fq_reply_error(r, "GenericError", "JSON parse error");
			json_object_put(props);
			return;
		}
		device_create(props, false, FQ_VALUES_JSON, true, r);
		json_object_put(props);
		return;
	}
	props = json_object_new_object();
	fq_opts_parse(text, "driver", &o);
	for (size_t i = 0; i < o.n; i++)
		json_object_object_add(props, o.items[i].key,
				       json_object_new_string(o.items[i].value));
	fq_opts_free(&o);
	device_create(props, false, FQ_VALUES_OPTS, true, r);
	json_object_put(props);
}

/* ---- query-pci ----------------------------------------------------------------- */

struct builtin {
	const char *machine;
	int slot, func;
	const char *json;
};

/* The chipset functions, as real QEMU reports them (identical in 5.2, 7.2 and 10.0). */
static const struct builtin builtins[] = {
    {"pc", 0, 0,
     "{\"bus\": 0, \"slot\": 0, \"function\": 0, \"class_info\": {\"desc\": \"Host bridge\", "
     "\"class\": 1536}, \"id\": {\"vendor\": 32902, \"device\": 4663, \"subsystem-vendor\": "
     "6900, \"subsystem\": 4352}, \"irq_pin\": 0, \"qdev_id\": \"\", \"regions\": []}"},
    {"pc", 1, 0,
     "{\"bus\": 0, \"slot\": 1, \"function\": 0, \"class_info\": {\"desc\": \"ISA bridge\", "
     "\"class\": 1537}, \"id\": {\"vendor\": 32902, \"device\": 28672, \"subsystem-vendor\": "
     "6900, \"subsystem\": 4352}, \"irq_pin\": 0, \"qdev_id\": \"\", \"regions\": []}"},
    {"pc", 1, 1,
     "{\"bus\": 0, \"slot\": 1, \"function\": 1, \"class_info\": {\"desc\": \"IDE controller\", "
     "\"class\": 257}, \"id\": {\"vendor\": 32902, \"device\": 28688, \"subsystem-vendor\": "
     "6900, \"subsystem\": 4352}, \"irq_pin\": 0, \"qdev_id\": \"\", \"regions\": [{\"bar\": 4, "
     "\"type\": \"io\", \"address\": -1, \"size\": 16}]}"},
    {"pc", 1, 3,
     "{\"bus\": 0, \"slot\": 1, \"function\": 3, \"class_info\": {\"desc\": \"Bridge\", "
     "\"class\": 1664}, \"id\": {\"vendor\": 32902, \"device\": 28947, \"subsystem-vendor\": "
     "6900, \"subsystem\": 4352}, \"irq\": 0, \"irq_pin\": 1, \"qdev_id\": \"\", \"regions\": []}"},
    {"q35", 0, 0,
     "{\"bus\": 0, \"slot\": 0, \"function\": 0, \"class_info\": {\"desc\": \"Host bridge\", "
     "\"class\": 1536}, \"id\": {\"vendor\": 32902, \"device\": 10688, \"subsystem-vendor\": "
     "6900, \"subsystem\": 4352}, \"irq_pin\": 0, \"qdev_id\": \"\", \"regions\": []}"},
    {"q35", 31, 0,
     "{\"bus\": 0, \"slot\": 31, \"function\": 0, \"class_info\": {\"desc\": \"ISA bridge\", "
     "\"class\": 1537}, \"id\": {\"vendor\": 32902, \"device\": 10520, \"subsystem-vendor\": "
     "6900, \"subsystem\": 4352}, \"irq_pin\": 0, \"qdev_id\": \"\", \"regions\": []}"},
    {"q35", 31, 2,
     "{\"bus\": 0, \"slot\": 31, \"function\": 2, \"class_info\": {\"desc\": \"SATA "
     "controller\", \"class\": 262}, \"id\": {\"vendor\": 32902, \"device\": 10530, "
     "\"subsystem-vendor\": 6900, \"subsystem\": 4352}, \"irq\": 0, \"irq_pin\": 1, \"qdev_id\": "
     "\"\", \"regions\": [{\"bar\": 4, \"type\": \"io\", \"address\": -1, \"size\": 32}, "
     "{\"bar\": 5, \"type\": \"memory\", \"address\": -1, \"size\": 4096, \"prefetch\": false, "
     "\"mem_type_64\": false}]}"},
    {"q35", 31, 3,
     "{\"bus\": 0, \"slot\": 31, \"function\": 3, \"class_info\": {\"desc\": \"SMBus\", "
     "\"class\": 3077}, \"id\": {\"vendor\": 32902, \"device\": 10544, \"subsystem-vendor\": "
     "6900, \"subsystem\": 4352}, \"irq\": 0, \"irq_pin\": 1, \"qdev_id\": \"\", \"regions\": "
     "[{\"bar\": 4, \"type\": \"io\", \"address\": -1, \"size\": 64}]}"},
};

void fq_pci_add_builtin(struct fq_pci_bus *root, const char *machine)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		struct fq_device *d;

		if (strcmp(builtins[i].machine, machine) != 0)
			continue;
		d = calloc(1, sizeof(*d));
		if (!d)
			abort();
		d->driver = strdup(!strcmp(machine, "pc") ? (i == 0 ? "i440FX" : "PIIX3")
							  : (i == 4 ? "mch" : "ICH9"));
		d->kind = FQ_DEV_OTHER;
		d->bus = root;
		d->slot = builtins[i].slot;
		d->function = builtins[i].func;
		if (asprintf(&d->qom_path, "/machine/unattached/builtin[%zu]", i) < 0)
			abort();
		root->slots[d->slot][d->function] = d;
	}
}

static json_object *builtin_json(const struct fq_device *d)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (builtins[i].slot == d->slot && builtins[i].func == d->function &&
		    !strcmp(builtins[i].machine, fq_vm.cfg.machine))
			return json_tokener_parse(builtins[i].json);
	return NULL;
}

static json_object *region(int bar, const char *type, long long size, bool mem64)
{
	/* virtio's 64-bit BAR 4 is prefetchable; a bridge's BAR is not. */
	bool prefetch = mem64 && bar == 4;

	json_object *o = json_object_new_object();

	json_object_object_add(o, "bar", json_object_new_int(bar));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "address", json_object_new_int64(-1));
	json_object_object_add(o, "size", json_object_new_int64(size));
	if (!strcmp(type, "memory")) {
		json_object_object_add(o, "prefetch", json_object_new_boolean(prefetch));
		json_object_object_add(o, "mem_type_64", json_object_new_boolean(mem64));
	}
	return o;
}

static json_object *range(long long base, long long limit)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "base", json_object_new_int64(base));
	json_object_object_add(o, "limit", json_object_new_int64(limit));
	return o;
}

/*
 * @text (QEMU's JSON of an object) with top-level member @key's value
 * replaced by @value: the recorded text keeps QEMU's member order.
 */
static char *set_member(const char *text, const char *key, const char *value)
{
	struct strbuf b = {0};
	size_t klen = strlen(key);
	int depth = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '"') {
			const char *q = p + 1;

			while (*q && *q != '"')
				q += *q == '\\' && q[1] ? 2 : 1;
			if (depth == 1 && (size_t)(q - p - 1) == klen &&
			    !strncmp(p + 1, key, klen) && !strncmp(q + 1, ": ", 2)) {
				const char *v = q + 3, *end = v;
				int d = 0;

				for (; *end && (d > 0 || (*end != ',' && *end != '}')); end++) {
					if (*end == '{' || *end == '[')
						d++;
					else if (*end == '}' || *end == ']')
						d--;
					else if (*end == '"')
						for (end++; *end && *end != '"'; end++)
							if (*end == '\\' && end[1])
								end++;
				}
				strbuf_add(&b, p, (size_t)(v - p));
				strbuf_adds(&b, value);
				strbuf_adds(&b, end);
				return strbuf_steal(&b);
			}
			strbuf_add(&b, p, (size_t)(q - p + (*q ? 1 : 0)));
			p = *q ? q : q - 1;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		strbuf_addc(&b, *p);
	}
	return strbuf_steal(&b);
}

/* The query-pci entry recorded for the type once plugged, moved to @d's place. */
static json_object *recorded_pci_json(const struct fq_device *d, int bus_number)
{
	int t = fq_qom_type(d->driver);
	bool q35 = !strcmp(fq_vm.cfg.machine, "q35");
	fq_rec_id id = t < 0 ? 0 : fq_qom_type_rec(t, q35 ? FQ_TYPE_PCI_Q35 : FQ_TYPE_PCI_PC);
	char *text, *next, num[16];
	json_object *qid;
	char *qtext;

	if (!id && t >= 0)
		id = fq_qom_type_rec(t, q35 ? FQ_TYPE_PCI_PC : FQ_TYPE_PCI_Q35);
	text = fq_rec_json_text(id);
	if (!text)
		return NULL;
	snprintf(num, sizeof(num), "%d", bus_number);
	next = set_member(text, "bus", num);
	free(text);
	snprintf(num, sizeof(num), "%d", d->slot);
	text = set_member(next, "slot", num);
	free(next);
	snprintf(num, sizeof(num), "%d", d->function);
	next = set_member(text, "function", num);
	free(text);
	qid = json_object_new_string(d->id ? d->id : "");
	qtext = fq_json_to_qemu_string(qid);
	json_object_put(qid);
	text = set_member(next, "qdev_id", qtext);
	free(next);
	free(qtext);
	return fq_raw_json(text);
}

json_object *fq_pci_device_json(struct fq_device *d, int bus_number)
{
	const struct dev_type *t = find_type(d->driver);
	json_object *o, *ci, *id, *regions;

	if (!d->qom_path || strncmp(d->qom_path, "/machine/unattached/builtin", 27) != 0) {
		o = recorded_pci_json(d, bus_number);
		if (o)
			return o;
	}
	if (!t)
		return builtin_json(d);
	/* PciDeviceInfo members in schema order. */
	o = json_object_new_object();
	json_object_object_add(o, "bus", json_object_new_int(bus_number));
	json_object_object_add(o, "slot", json_object_new_int(d->slot));
	json_object_object_add(o, "function", json_object_new_int(d->function));
	ci = json_object_new_object();
	if (t->class_desc)
		json_object_object_add(ci, "desc", json_object_new_string(t->class_desc));
	json_object_object_add(ci, "class",
			       json_object_new_int(t->class_code > 0 ? t->class_code : 0));
	json_object_object_add(o, "class_info", ci);
	id = json_object_new_object();
	json_object_object_add(id, "vendor", json_object_new_int(t->vendor > 0 ? t->vendor : 0));
	json_object_object_add(id, "device", json_object_new_int(t->device > 0 ? t->device : 0));
	if (t->subsystem_vendor >= 0) {
		json_object_object_add(id, "subsystem-vendor",
				       json_object_new_int(t->subsystem_vendor));
		json_object_object_add(id, "subsystem", json_object_new_int(t->subsystem));
	}
	json_object_object_add(o, "id", id);
	json_object_object_add(o, "irq", json_object_new_int(0));
	json_object_object_add(o, "irq_pin", json_object_new_int(1));
	json_object_object_add(o, "qdev_id", json_object_new_string(d->id ? d->id : ""));
	if (d->kind == FQ_DEV_PCI_BRIDGE) {
		json_object *pb = json_object_new_object(), *bus = json_object_new_object();
		bool rp = !strcmp(d->driver, "pcie-root-port");

		json_object_object_add(bus, "number", json_object_new_int(0));
		json_object_object_add(bus, "secondary", json_object_new_int(0));
		json_object_object_add(bus, "subordinate", json_object_new_int(0));
		json_object_object_add(bus, "io_range", range(rp ? 61440 : 0, 4095));
		json_object_object_add(bus, "memory_range", range(rp ? 4293918720LL : 0, 1048575));
		json_object_object_add(bus, "prefetchable_range",
				       range(rp ? 4293918720LL : 0, 1048575));
		json_object_object_add(pb, "bus", bus);
		json_object_object_add(o, "pci_bridge", pb);
	}
	regions = json_object_new_array();
	switch (d->kind) {
	case FQ_DEV_PCI_BRIDGE:
		if (!strcmp(d->driver, "pcie-root-port"))
			json_object_array_add(regions, region(0, "memory", 4096, false));
		else
			json_object_array_add(regions, region(0, "memory", 256, true));
		break;
	case FQ_DEV_VIRTIO_BLK:
	case FQ_DEV_PCI_OTHER:
		json_object_array_add(regions, region(0, "io", 128, false));
		json_object_array_add(regions, region(1, "memory", 4096, false));
		json_object_array_add(regions, region(4, "memory", 16384, true));
		break;
	case FQ_DEV_VIRTIO_SCSI:
		json_object_array_add(regions, region(0, "io", 64, false));
		json_object_array_add(regions, region(1, "memory", 4096, false));
		json_object_array_add(regions, region(4, "memory", 16384, true));
		break;
	default:
		break;
	}
	json_object_object_add(o, "regions", regions);
	return o;
}

void fq_cmd_query_pci(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array(), *bus0, *devs;
	struct fq_pci_bus *root = fq_vm.pci_buses;

	(void)args;
	if (!root || !strcmp(fq_vm.cfg.machine, "none")) {
		r->ret = list;
		return;
	}
	/*
	 * Without firmware having run, bridges have no bus number yet, so only
	 * the root bus is listed (as real QEMU under -S).
	 */
	bus0 = json_object_new_object();
	devs = json_object_new_array();
	json_object_object_add(bus0, "bus", json_object_new_int(0));
	for (int s = 0; s < 32; s++)
		for (int f = 0; f < 8; f++)
			if (root->slots[s][f]) {
				json_object *dj = fq_pci_device_json(root->slots[s][f], 0);

				if (dj)
					json_object_array_add(devs, dj);
			}
	json_object_object_add(bus0, "devices", devs);
	json_object_array_add(list, bus0);
	r->ret = list;
}
