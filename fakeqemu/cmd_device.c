/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmd_device.c - device_add and device_del of PCI, SCSI and VFIO devices; query-pci */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "commands.h"
#include "cpu.h"
#include "devices.h"
#include "guest.h"
#include "fakeqemu.h"
#include "loop.h"
#include "machine.h"
#include "opts.h"
#include "props.h"
#include "qomtree.h"

/* What fakeqemu knows of each device type. */
struct dev_type {
	const char *driver;
	enum fq_dev_kind kind;
	const char *bus_type; /* "PCI", "SCSI", NULL (none), "other:NAME" */
	/* query-pci identity */
	int vendor, device, subsystem_vendor, subsystem, class_code;
	const char *class_desc;
	const char *props; /* accepted properties, space-separated */
};

#define PCI_COMMON                                                                                 \
	"addr multifunction romfile rombar x-pcie-lnksta-dllla failover_pair_id acpi-index "
#define VIRTIO_PCI_COMMON                                                                          \
	PCI_COMMON "disable-legacy disable-modern iommu_platform ats vectors ioeventfd "           \
		   "event_idx indirect_desc packed page-per-vq x-disable-legacy-check "

static const struct dev_type dev_types[] = {
    {"pci-bridge", FQ_DEV_PCI_BRIDGE, "PCI", 0x1b36, 0x0001, -1, -1, 0x0604, "PCI bridge",
     PCI_COMMON "chassis_nr msi shpc"},
    {"pcie-root-port", FQ_DEV_PCI_BRIDGE, "PCIE", 0x1b36, 0x000c, -1, -1, 0x0604, "PCI bridge",
     PCI_COMMON "chassis slot port bus-reserve io-reserve mem-reserve pref64-reserve"},
    {"virtio-scsi-pci", FQ_DEV_VIRTIO_SCSI, "PCI", 0x1af4, 0x1004, 0x1af4, 8, 0x0100,
     "SCSI controller",
     VIRTIO_PCI_COMMON "iothread num_queues virtqueue_size max_sectors cmd_per_lun"},
    {"virtio-blk-pci", FQ_DEV_VIRTIO_BLK, "PCI", 0x1af4, 0x1001, 0x1af4, 2, 0x0100,
     "SCSI controller",
     VIRTIO_PCI_COMMON
     "drive serial config-wce num-queues queue-size iothread bootindex "
     "logical_block_size physical_block_size min_io_size opt_io_size "
     "discard_granularity share-rw write-cache rerror werror scsi seg-max-adjust"},
    {"vfio-pci", FQ_DEV_VFIO, "PCI", -1, -1, -1, -1, -1, NULL,
     PCI_COMMON "host sysfsdev x-no-mmap x-intx-mmap-timeout-ms bootindex display"},
    {"virtio-net-pci", FQ_DEV_PCI_OTHER, "PCI", 0x1af4, 0x1000, 0x1af4, 1, 0x0200,
     "Ethernet controller",
     VIRTIO_PCI_COMMON "netdev mac mq vectors bootindex host_mtu rx_queue_size tx_queue_size "
		       "csum gso guest_csum guest_tso4 guest_tso6 guest_ecn guest_ufo host_tso4 "
		       "host_tso6 host_ecn host_ufo mrg_rxbuf status ctrl_vq ctrl_rx ctrl_vlan"},
    {"virtio-serial-pci", FQ_DEV_PCI_OTHER, "PCI", 0x1af4, 0x1003, 0x1af4, 3, 0x0780,
     "Communication controller", VIRTIO_PCI_COMMON "max_ports"},
    {"virtio-9p-pci", FQ_DEV_PCI_OTHER, "PCI", 0x1af4, 0x1009, 0x1af4, 9, 0x0002, "Class 0002",
     VIRTIO_PCI_COMMON "fsdev mount_tag"},
    {"virtio-rng-pci", FQ_DEV_PCI_OTHER, "PCI", 0x1af4, 0x1005, 0x1af4, 4, 0x00ff, "Class 00ff",
     VIRTIO_PCI_COMMON "rng max-bytes period"},
    {"virtio-balloon-pci", FQ_DEV_PCI_OTHER, "PCI", 0x1af4, 0x1002, 0x1af4, 5, 0x00ff, "Class 00ff",
     VIRTIO_PCI_COMMON "deflate-on-oom free-page-reporting"},
    {"vhost-user-blk-pci", FQ_DEV_PCI_OTHER, "PCI", 0x1af4, 0x1001, 0x1af4, 2, 0x0100,
     "SCSI controller", VIRTIO_PCI_COMMON "chardev num-queues queue-size config-wce bootindex"},
    {"vhost-user-fs-pci", FQ_DEV_PCI_OTHER, "PCI", 0x1af4, 0x105a, 0x1af4, 0x1100, 0x0180,
     "Class 0180", VIRTIO_PCI_COMMON "chardev tag queue-size num-request-queues"},
    {"vhost-vsock-pci", FQ_DEV_PCI_OTHER, "PCI", 0x1af4, 0x1053, 0x1af4, 0x1100, 0x00ff,
     "Class 00ff", VIRTIO_PCI_COMMON "guest-cid vhostfd"},
    {"scsi-hd", FQ_DEV_SCSI_HD, "SCSI", -1, -1, -1, -1, -1, NULL,
     "drive channel scsi-id lun serial wwn vendor product ver removable bootindex "
     "logical_block_size physical_block_size discard_granularity share-rw write-cache "
     "rotation_rate rerror werror"},
    {"virtconsole", FQ_DEV_OTHER, "other:virtio-serial-bus", -1, -1, -1, -1, -1, NULL,
     "chardev name nr"},
    {"virtserialport", FQ_DEV_OTHER, "other:virtio-serial-bus", -1, -1, -1, -1, -1, NULL,
     "chardev name nr"},
    {"isa-serial", FQ_DEV_OTHER, "ISA", -1, -1, -1, -1, -1, NULL, "chardev index iobase irq"},
    {"pc-dimm", FQ_DEV_OTHER, "dimm", -1, -1, -1, -1, -1, NULL, "memdev slot addr node"},
    {"virtio-blk-device", FQ_DEV_OTHER, "other:virtio-bus", -1, -1, -1, -1, -1, NULL, "drive"},
    {"nvdimm", FQ_DEV_OTHER, "dimm", -1, -1, -1, -1, -1, NULL, "memdev slot addr node label-size"},
};

static const struct dev_type *find_type(const char *driver)
{
	for (size_t i = 0; i < sizeof(dev_types) / sizeof(dev_types[0]); i++)
		if (!strcmp(dev_types[i].driver, driver))
			return &dev_types[i];
	return NULL;
}

static bool prop_allowed(const struct dev_type *t, const char *name)
{
	const char *p = t->props;
	size_t n = strlen(name);

	if (!strcmp(name, "driver") || !strcmp(name, "id") || !strcmp(name, "bus"))
		return true;
	if (n == 0)
		return false;
	while ((p = strstr(p, name))) {
		if ((p == t->props || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
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

static const char *dev_label(const struct fq_device *d, char *buf, size_t len)
{
	if (d->id)
		snprintf(buf, len, "%s,id=%s", d->driver, d->id);
	else
		snprintf(buf, len, "%s", d->driver);
	return buf;
}

/* Find and claim a slot on @bus for @dev (do_pci_register_device()). */
static bool pci_claim(struct fq_pci_bus *bus, struct fq_device *dev, const char *addr, bool hotplug,
		      struct fq_reply *r)
{
	int slot = -1, func = 0;
	char label[160];
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

			if (fq_vm.cfg.dialect->old_errors)
				fq_reply_error(r, "GenericError",
					       "PCI: slot %d function %d not available for %s, in "
					       "use by %s",
					       slot, func, dev->driver, o->driver);
			else
				fq_reply_error(r, "GenericError",
					       "PCI: slot %d function %d not available for %s, in "
					       "use by %s",
					       slot, func, dev->driver,
					       dev_label(o, label, sizeof(label)));
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

static bool serial_bus_exists(void)
{
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (!strcmp(d->driver, "virtio-serial-pci"))
			return true;
	return false;
}

static struct fq_pci_bus *default_pci_bus(void)
{
	return fq_vm.pci_buses; /* the root bus is created first */
}

/* The bus named @name: a PCI bus, or a SCSI bus "<controller id>.0". */
static bool find_bus(const char *name, struct fq_pci_bus **pci, struct fq_device **scsi)
{
	*pci = fq_pci_bus_by_name(name);
	*scsi = NULL;
	if (*pci)
		return true;
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (d->scsi_bus_name && !strcmp(d->scsi_bus_name, name)) {
			*scsi = d;
			return true;
		}
	return !strcmp(name, "isa.0") || !strcmp(name, "main-system-bus");
}

static const char *bus_typename(const struct fq_pci_bus *pci, const struct fq_device *scsi,
				const char *name)
{
	if (pci)
		return !strcmp(pci->name, "pcie.0") ||
			       (pci->bridge && !strcmp(pci->bridge->driver, "pcie-root-port"))
			   ? "PCIE"
			   : "PCI";
	if (scsi)
		return "SCSI";
	return !strcmp(name, "isa.0") ? "ISA" : "System";
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
		fq_reply_error(r, "GenericError",
			       "vfio /sys/bus/pci/devices/%s: no such host device: No such file or "
			       "directory",
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

/* Device-specific realize; false with @r filled on error. */
static bool realize(struct fq_device *dev, const struct dev_type *t, json_object *props,
		    struct fq_reply *r)
{
	long long v;

	switch (t->kind) {
	case FQ_DEV_PCI_BRIDGE:
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
static bool plug_check(struct fq_device *dev, bool hotplug, struct fq_reply *r)
{
	if (hotplug && dev->bus && dev->bus->bridge &&
	    !strcmp(dev->bus->bridge->driver, "pci-bridge") && dev->slot == 0) {
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
		b->hotpluggable = true;
		for (pp = &fq_vm.pci_buses; *pp; pp = &(*pp)->next)
			;
		*pp = b;
		dev->child_bus = b;
	} else if (t->kind == FQ_DEV_VIRTIO_SCSI) {
		if (dev->id) {
			if (asprintf(&dev->scsi_bus_name, "%s.0", dev->id) < 0)
				abort();
		} else if (asprintf(&dev->scsi_bus_name, "scsi.%d", next_scsi_auto_id++) < 0) {
			abort();
		}
	}
}

/* qdev_device_add_from_qdict(): the checks in QEMU's order. */
static void device_create(json_object *props, bool hotplug, struct fq_reply *r)
{
	const struct fq_dialect *dl = fq_vm.cfg.dialect;
	const char *driver, *bus_name, *id = NULL;
	const struct dev_type *t;
	struct fq_pci_bus *pci = NULL;
	struct fq_device *scsi = NULL, *dev;
	json_object *idv, *drv;
	char *qom_path;
	bool is_cpu;

	if (!json_object_object_get_ex(props, "driver", &drv)) {
		fq_reply_error(r, "GenericError", "Parameter 'driver' is missing");
		return;
	}
	if (!json_object_is_type(drv, json_type_string)) {
		if (!dl->check_device_id) /* 10.0 */
			fq_reply_error(r, "GenericError", "Parameter 'driver' is missing");
		else
			fq_reply_error(r, "GenericError", "'%s' is not a valid device model name",
				       json_object_to_json_string_ext(drv, JSON_C_TO_STRING_PLAIN));
		return;
	}
	driver = json_object_get_string(drv);
	if (json_object_object_get_ex(props, "id", &idv) &&
	    json_object_is_type(idv, json_type_string))
		id = json_object_get_string(idv);
	if (id && dl->check_device_id && !id_wellformed(id)) {
		fq_reply_error(r, "GenericError", "Parameter 'id' expects an identifier");
		return;
	}
	is_cpu = fq_cpu_is_type(driver);
	t = find_type(driver);
	if (!t && !is_cpu) {
		fq_reply_error(r, "GenericError", "'%s' is not a valid device model name", driver);
		return;
	}

	bus_name = fq_prop_str(props, "bus");
	if (bus_name) {
		if (!find_bus(bus_name, &pci, &scsi)) {
			fq_reply_error(r, "GenericError", "Bus '%s' not found", bus_name);
			return;
		}
		const char *tn = bus_typename(pci, scsi, bus_name);
		bool fits;

		if (is_cpu || !t->bus_type)
			fits = false;
		else if (!strcmp(t->bus_type, "PCI")) /* PCIe buses take PCI devices too */
			fits = !strcmp(tn, "PCI") || !strcmp(tn, "PCIE");
		else
			fits = !strcmp(t->bus_type, tn);
		if (!fits) {
			fq_reply_error(r, "GenericError", "Device '%s' can't go on %s bus", driver,
				       tn);
			return;
		}
	} else if (t && t->bus_type) {
		if (!strcmp(t->bus_type, "PCI") || !strcmp(t->bus_type, "PCIE")) {
			pci = default_pci_bus();
			if (!pci) {
				fq_reply_error(r, "GenericError",
					       "No 'PCI' bus found for device '%s'", driver);
				return;
			}
		} else if (!strcmp(t->bus_type, "SCSI")) {
			for (struct fq_device *d = fq_vm.devices; d && !scsi; d = d->next)
				if (d->scsi_bus_name)
					scsi = d;
			if (!scsi) {
				fq_reply_error(r, "GenericError",
					       "No 'SCSI' bus found for device '%s'", driver);
				return;
			}
		} else if (!strcmp(t->bus_type, "ISA")) {
			if (hotplug) {
				fq_reply_error(r, "GenericError",
					       "Bus 'isa.0' does not support hotplugging");
				return;
			}
		} else if (!strcmp(t->bus_type, "dimm")) {
			if (hotplug) {
				fq_reply_error(
				    r, "GenericError",
				    "no slots where allocated, please specify the 'slots' "
				    "option");
				return;
			}
		} else if (!strcmp(t->bus_type, "other:virtio-serial-bus") && serial_bus_exists()) {
			/* virtconsole/virtserialport: the port bus of a virtio-serial-pci. */
		} else {
			fq_reply_error(r, "GenericError", "No '%s' bus found for device '%s'",
				       t->bus_type + 6, driver);
			return;
		}
	}
	if (hotplug && pci && !pci->hotpluggable) {
		fq_reply_error(r, "GenericError", "Bus '%s' does not support hotplugging",
			       pci->name);
		return;
	}
	if (id && fq_device_by_id(id)) {
		if (dl->old_errors)
			fq_reply_error(r, "GenericError", "Duplicate ID '%s' for device", id);
		else
			fq_reply_error(r, "GenericError", "Duplicate device ID '%s'", id);
		return;
	}
	qom_path = set_id(id);

	/* Properties. */
	json_object_object_foreach(props, key, val)
	{
		(void)val;
		if (is_cpu ? !fq_cpu_prop_allowed(key) : !prop_allowed(t, key)) {
			fq_reply_error(r, "GenericError", "Property '%s.%s' not found", driver,
				       key);
			unset_id(id);
			free(qom_path);
			return;
		}
	}

	if (dl->strict_device_props && !fq_props_check_ints(props, driver, r)) {
		unset_id(id);
		free(qom_path);
		return;
	}
	if (is_cpu) {
		fq_cpu_device_add(driver, id, qom_path, props, hotplug, r);
		if (r->err_class)
			unset_id(id);
		return;
	}

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		abort();
	dev->driver = strdup(driver);
	dev->id = id ? strdup(id) : NULL;
	dev->kind = t->kind;
	dev->hotplugged = hotplug;
	dev->qom_path = qom_path;
	dev->props = json_object_get(props);
	{
		json_object *addr;
		char devfn[16];
		const char *a = fq_prop_str(props, "addr");

		/* 10.0 takes a number as the devfn (slot << 3 | function). */
		if (dl->strict_device_props && json_object_object_get_ex(props, "addr", &addr) &&
		    json_object_is_type(addr, json_type_int)) {
			int v = json_object_get_int(addr);

			snprintf(devfn, sizeof(devfn), "%x.%x", (v >> 3) & 0xff, v & 7);
			a = devfn;
		}
		if (pci && !pci_claim(pci, dev, a, hotplug, r))
			goto fail;
	}
	if (scsi && !scsi_place(dev, scsi, props, r))
		goto fail;
	if (!realize(dev, t, props, r) || !plug_check(dev, hotplug, r)) {
		dev->drive = NULL;
		goto fail;
	}
	fq_block_attach(dev);
	if (dev->bus)
		dev->bus->slots[dev->slot][dev->function] = dev;
	create_child_buses(dev, t);
	link_device(dev);
	fq_guest_bus_rescan();
	return;
fail:
	unset_id(id);
	free_unlinked(dev);
}

void fq_cmd_device_add(json_object *args, struct fq_reply *r)
{
	device_create(args, true, r);
}

void fq_device_add_cmdline(const char *text, struct fq_reply *r)
{
	struct fq_opts o;
	json_object *props = json_object_new_object();

	fq_opts_parse(text, "driver", &o);
	for (size_t i = 0; i < o.n; i++)
		json_object_object_add(props, o.items[i].key,
				       json_object_new_string(o.items[i].value));
	fq_opts_free(&o);
	device_create(props, false, r);
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

json_object *fq_pci_device_json(struct fq_device *d, int bus_number)
{
	const struct dev_type *t = find_type(d->driver);
	json_object *o, *ci, *id, *regions;

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
