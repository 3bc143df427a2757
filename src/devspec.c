/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* devspec.c - one device model: each kind of device as QEMU's property dictionaries (DOC in .h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "devspec.h"
#include "names.h"

#define MIB (1024ull * 1024ull)

/*
 * The spec being built. A failed allocation anywhere marks it failed, so
 * the functions below read as the dictionaries they make; the kind's
 * function returns -ENOMEM at the end.
 */
struct builder {
	struct qd_spec *spec;
	bool failed;
};

static json_object *part(struct builder *b, enum qd_part_kind kind)
{
	json_object *o = json_object_new_object();

	if (!o || b->spec->n == QD_SPEC_MAX_PARTS) {
		json_object_put(o);
		b->failed = true;
		return NULL;
	}
	b->spec->part[b->spec->n++] = (struct qd_part){kind, o};
	return o;
}

static void put(struct builder *b, json_object *o, const char *key, json_object *v)
{
	if (!o || !v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		b->failed = true;
	}
}

static void put_str(struct builder *b, json_object *o, const char *key, const char *v)
{
	put(b, o, key, v ? json_object_new_string(v) : NULL);
}

/* A name from names.h (malloc'd, NULL on failure), taken over. */
static void put_name(struct builder *b, json_object *o, const char *key, char *name)
{
	put_str(b, o, key, name);
	free(name);
	if (!name)
		b->failed = true;
}

static void put_bool(struct builder *b, json_object *o, const char *key, bool v)
{
	put(b, o, key, json_object_new_boolean(v));
}

static void put_int(struct builder *b, json_object *o, const char *key, long long v)
{
	put(b, o, key, json_object_new_int64(v));
}

static void put_pci(struct builder *b, json_object *dev, const struct qd_spec_pci *at)
{
	char addr[16];

	if (!at || !at->bus)
		return;
	qd_spec_pci_addr(at->slot, addr, sizeof(addr));
	put_str(b, dev, "bus", at->bus);
	put_str(b, dev, "addr", addr);
}

/* KVM's nested virtio 1.0 bug: a virtio device of a nested KVM guest is legacy (as kata). */
static void adjust_virtio(struct builder *b, json_object *dev, const struct qd_spec_host *host)
{
	if (host && host->nested_kvm)
		put_bool(b, dev, "disable-modern", true);
}

static json_object *device(struct builder *b, const char *driver, const char *id)
{
	json_object *dev = part(b, QD_PART_DEVICE);

	put_str(b, dev, "driver", driver);
	if (id)
		put_str(b, dev, "id", id);
	return dev;
}

static int begin(struct builder *b, struct qd_spec *out)
{
	memset(out, 0, sizeof(*out));
	b->spec = out;
	b->failed = false;
	return 0;
}

static int finish(struct builder *b)
{
	if (!b->failed)
		return 0;
	qd_spec_clear(b->spec);
	return -ENOMEM;
}

void qd_spec_clear(struct qd_spec *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_object_put(s->part[i].props);
	memset(s, 0, sizeof(*s));
}

const char *qd_part_name(const struct qd_part *p)
{
	json_object *v;

	if (!json_object_object_get_ex(p->props, p->kind == QD_PART_BLOCKDEV ? "node-name" : "id",
				       &v))
		return NULL;
	return json_object_get_string(v);
}

void qd_spec_pci_addr(int slot, char *buf, size_t size)
{
	snprintf(buf, size, "0x%x", slot);
}

/* ---- disks ---------------------------------------------------------------------------------- */

/* The disk's format node over its protocol node (QEMU names that one: "#blockNNN"). */
static void disk_backend(struct builder *b, const struct qd_block_device *d)
{
	json_object *node = part(b, QD_PART_BLOCKDEV), *file = json_object_new_object();
	struct stat st;
	bool dev = stat(d->path, &st) == 0 && (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode));

	/* QEMU 6.0 took block and character devices away from the "file" driver (govmm#191). */
	put_str(b, file, "driver", dev ? "host_device" : "file");
	put_str(b, file, "filename", d->path);
	put_str(b, node, "driver", d->format ? d->format : "raw");
	put_name(b, node, "node-name", qd_name_node(d->id));
	put_bool(b, node, "read-only", d->read_only);
	put(b, node, "file", file);
}

/* A disk: its nodes, then its device of @driver on them (the caller adds where it sits). */
static json_object *disk(struct builder *b, const struct qd_block_device *d, const char *driver,
			 struct qd_spec *out)
{
	json_object *dev;

	begin(b, out);
	disk_backend(b, d);
	dev = device(b, driver, d->id);
	put_name(b, dev, "drive", qd_name_node(d->id));
	return dev;
}

int qd_spec_virtio_disk(const struct qd_block_device *d, const struct qd_spec_pci *at,
			const struct qd_spec_host *host, struct qd_spec *out)
{
	struct builder b;
	json_object *dev = disk(&b, d, "virtio-blk-pci", out);

	put_bool(&b, dev, "config-wce", false);
	put_pci(&b, dev, at);
	adjust_virtio(&b, dev, host);
	return finish(&b);
}

int qd_spec_scsi_disk(const struct qd_block_device *d, const struct qd_spec_scsi *at,
		      struct qd_spec *out)
{
	struct builder b;
	json_object *dev = disk(&b, d, "scsi-hd", out);

	put_str(&b, dev, "bus", QD_ID_SCSI_BUS);
	if (at && at->addressed) {
		put_int(&b, dev, "scsi-id", at->scsi_id);
		put_int(&b, dev, "lun", at->lun);
	}
	return finish(&b);
}

/* ---- VFIO, vCPUs ------------------------------------------------------------------------------
 */

int qd_spec_vfio(const char *id, const char *bdf, const struct qd_spec_pci *at, struct qd_spec *out)
{
	struct builder b;
	json_object *dev;

	begin(&b, out);
	dev = device(&b, "vfio-pci", id);
	put_str(&b, dev, "host", bdf);
	put_pci(&b, dev, at);
	return finish(&b);
}

int qd_spec_vcpu(const char *id, const char *type, json_object *slot_props, struct qd_spec *out)
{
	struct builder b;
	json_object *dev;

	begin(&b, out);
	dev = device(&b, type, id);
	/* Exactly the ids QEMU reported for the slot (socket/die/core/thread/node). */
	json_object_object_foreach(slot_props, key, val) put(&b, dev, key, json_object_get(val));
	return finish(&b);
}

/* ---- NICs -------------------------------------------------------------------------------------
 */

/* "fd-X-0:fd-X-1:...": the monitor names of a NIC's descriptors. */
static char *fd_list(const char *id, bool vhost, unsigned n)
{
	char *list = NULL;

	for (unsigned q = 0; q < n; q++) {
		_cleanup_free_ char *name = qd_name_fd(id, vhost, q);
		char *joined;

		if (!name ||
		    asprintf(&joined, "%s%s%s", list ? list : "", list ? ":" : "", name) < 0) {
			free(list);
			return NULL;
		}
		free(list);
		list = joined;
	}
	return list;
}

int qd_spec_nic(const struct qd_spec_nic *nic, const struct qd_spec_pci *at,
		const struct qd_spec_host *host, struct qd_spec *out)
{
	unsigned queues = nic->queues ? nic->queues : 1;
	struct builder b;
	json_object *net, *dev;

	begin(&b, out);
	net = part(&b, QD_PART_NETDEV);
	put_str(&b, net, "type", "tap");
	put_name(&b, net, "id", qd_name_netdev(nic->id));
	if (nic->ifname) {
		put_str(&b, net, "ifname", nic->ifname);
		put_str(&b, net, "script", "no");
		put_str(&b, net, "downscript", "no");
		if (queues > 1)
			put_int(&b, net, "queues", queues);
	} else {
		/* One queue is "fd", more are "fds" (QEMU takes both; libvirt does the same). */
		put_name(&b, net, queues > 1 ? "fds" : "fd", fd_list(nic->id, false, queues));
	}
	put_bool(&b, net, "vhost", nic->vhost || nic->vhost_fds);
	if (nic->vhost_fds && !nic->ifname)
		put_name(&b, net, queues > 1 ? "vhostfds" : "vhostfd",
			 fd_list(nic->id, true, queues));
	dev = device(&b, "virtio-net-pci", nic->id);
	put_name(&b, dev, "netdev", qd_name_netdev(nic->id));
	if (nic->mac)
		put_str(&b, dev, "mac", nic->mac);
	if (queues > 1) {
		/* A vector per queue each way, one for config changes, one for control. */
		put_bool(&b, dev, "mq", true);
		put_int(&b, dev, "vectors", 2 * (long long)queues + 2);
	}
	put_pci(&b, dev, at);
	adjust_virtio(&b, dev, host);
	return finish(&b);
}

/* ---- memory -----------------------------------------------------------------------------------
 */

int qd_spec_memory(const struct qd_memory_device *m, const struct qd_spec_pci *at,
		   struct qd_spec *out)
{
	static const char *const backends[] = {
	    [QD_MEMORY_RAM] = "memory-backend-ram",
	    [QD_MEMORY_FILE] = "memory-backend-file",
	    [QD_MEMORY_MEMFD] = "memory-backend-memfd",
	};
	struct builder b;
	json_object *obj, *dev;

	begin(&b, out);
	obj = part(&b, QD_PART_OBJECT);
	put_str(&b, obj, "qom-type", backends[m->backend]);
	put_name(&b, obj, "id", qd_name_memdev(m->id));
	put_int(&b, obj, "size", (long long)(m->size_mb * MIB));
	if (m->backend == QD_MEMORY_FILE)
		put_str(&b, obj, "mem-path", m->mem_path);
	if (m->backend == QD_MEMORY_MEMFD && m->hugepages)
		put_bool(&b, obj, "hugetlb", true);
	/* memfd is shared by default; the others are private unless asked. */
	if (m->shared || m->backend == QD_MEMORY_MEMFD)
		put_bool(&b, obj, "share", m->shared);
	if (m->prealloc)
		put_bool(&b, obj, "prealloc", true);
	if (m->model == QD_MEMORY_VIRTIO_MEM) {
		unsigned long long requested = m->requested_mb ? m->requested_mb : m->size_mb;

		dev = device(&b, "virtio-mem-pci", m->id);
		put_name(&b, dev, "memdev", qd_name_memdev(m->id));
		put_int(&b, dev, "requested-size", (long long)(requested * MIB));
		/* virtio-mem is virtio 1.0 only: no legacy mode for nested hosts. */
		put_pci(&b, dev, at);
	} else {
		dev = device(&b, "pc-dimm", m->id);
		put_name(&b, dev, "memdev", qd_name_memdev(m->id));
	}
	return finish(&b);
}

/* ---- command-line-only kinds ------------------------------------------------------------------
 */

int qd_spec_9p(const char *id, const char *path, const char *tag, const struct qd_spec_host *host,
	       struct qd_spec *out)
{
	struct builder b;
	json_object *fs, *dev;

	begin(&b, out);
	fs = part(&b, QD_PART_FSDEV);
	put_str(&b, fs, "fsdriver", "local");
	put_name(&b, fs, "id", qd_name_fsdev(id));
	put_str(&b, fs, "path", path);
	put_str(&b, fs, "security_model", "none");
	dev = device(&b, "virtio-9p-pci", id);
	put_name(&b, dev, "fsdev", qd_name_fsdev(id));
	put_str(&b, dev, "mount_tag", tag);
	adjust_virtio(&b, dev, host);
	return finish(&b);
}

static void socket_chardev(struct builder *b, const char *id, const char *path, bool server)
{
	json_object *chr = part(b, QD_PART_CHARDEV);

	put_str(b, chr, "backend", "socket");
	put_name(b, chr, "id", qd_name_chardev(id));
	put_str(b, chr, "path", path);
	if (server) {
		put_bool(b, chr, "server", true);
		put_bool(b, chr, "wait", false);
	}
}

int qd_spec_serial(const char *id, const char *socket_path, const char *port_name,
		   struct qd_spec *out)
{
	struct builder b;
	json_object *dev;

	begin(&b, out);
	socket_chardev(&b, id, socket_path, true);
	dev = device(&b, "virtserialport", id);
	put_name(&b, dev, "chardev", qd_name_chardev(id));
	put_str(&b, dev, "name", port_name);
	return finish(&b);
}

int qd_spec_vhost_user(const char *id, const char *socket_path, const char *kind, const char *mac,
		       struct qd_spec *out)
{
	struct builder b;
	json_object *dev;

	begin(&b, out);
	socket_chardev(&b, id, socket_path, false);
	if (!strcmp(kind, "net")) {
		json_object *net = part(&b, QD_PART_NETDEV);

		put_str(&b, net, "type", "vhost-user");
		put_name(&b, net, "id", qd_name_netdev(id));
		put_name(&b, net, "chardev", qd_name_chardev(id));
		put_bool(&b, net, "vhostforce", true);
		dev = device(&b, "virtio-net-pci", id);
		put_name(&b, dev, "netdev", qd_name_netdev(id));
		if (mac)
			put_str(&b, dev, "mac", mac);
	} else {
		dev = device(&b, !strcmp(kind, "blk") ? "vhost-user-blk-pci" : "vhost-user-fs-pci",
			     id);
		put_name(&b, dev, "chardev", qd_name_chardev(id));
		if (strcmp(kind, "blk"))
			put_str(&b, dev, "tag", id);
	}
	return finish(&b);
}

int qd_spec_bridge(const char *id, const char *root_bus, int chassis, int addr, struct qd_spec *out)
{
	struct builder b;
	json_object *dev;
	char slot[16];

	begin(&b, out);
	qd_spec_pci_addr(addr, slot, sizeof(slot));
	dev = device(&b, "pci-bridge", id);
	put_str(&b, dev, "bus", root_bus);
	put_int(&b, dev, "chassis_nr", chassis);
	put_bool(&b, dev, "shpc", true);
	put_str(&b, dev, "addr", slot);
	return finish(&b);
}

int qd_spec_serial_controller(const struct qd_spec_host *host, struct qd_spec *out)
{
	struct builder b;

	begin(&b, out);
	adjust_virtio(&b, device(&b, "virtio-serial-pci", QD_ID_SERIAL), host);
	return finish(&b);
}

int qd_spec_console(const char *socket_path, struct qd_spec *out)
{
	struct builder b;
	json_object *chr, *dev;

	begin(&b, out);
	chr = part(&b, QD_PART_CHARDEV);
	put_str(&b, chr, "backend", "socket");
	put_str(&b, chr, "id", QD_ID_CONSOLE_CHAR);
	put_str(&b, chr, "path", socket_path);
	put_bool(&b, chr, "server", true);
	put_bool(&b, chr, "wait", false);
	dev = device(&b, "virtconsole", QD_ID_CONSOLE);
	put_str(&b, dev, "chardev", QD_ID_CONSOLE_CHAR);
	return finish(&b);
}

int qd_spec_scsi_controller(bool iothread, const struct qd_spec_host *host, struct qd_spec *out)
{
	struct builder b;
	json_object *dev;

	begin(&b, out);
	if (iothread) {
		json_object *obj = part(&b, QD_PART_OBJECT);

		put_str(&b, obj, "qom-type", "iothread");
		put_str(&b, obj, "id", QD_ID_SCSI_IOTHREAD);
	}
	dev = device(&b, "virtio-scsi-pci", QD_ID_SCSI);
	adjust_virtio(&b, dev, host);
	if (iothread)
		put_str(&b, dev, "iothread", QD_ID_SCSI_IOTHREAD);
	return finish(&b);
}
