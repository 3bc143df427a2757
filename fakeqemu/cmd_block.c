/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmd_block.c - block nodes: blockdev-add, blockdev-del, query-block, query-named-block-nodes */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "block.h"
#include "commands.h"
#include "devices.h"
#include "fakeqemu.h"
#include "machine.h"
#include "opts.h"
#include "schema.h"

static bool node_name_valid(const char *name)
{
	if (!isalpha((unsigned char)name[0]))
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return false;
	return true;
}

static const char *str_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool is_protocol_driver(const char *driver)
{
	return !strcmp(driver, "file") || !strcmp(driver, "host_device") ||
	       !strcmp(driver, "host_cdrom");
}

static void node_prepend(struct fq_block_node *n)
{
	n->next = fq_vm.nodes;
	fq_vm.nodes = n;
}

static void node_free(struct fq_block_node *n)
{
	free(n->node_name);
	free(n->driver);
	free(n->filename);
	json_object_put(n->options);
	free(n);
}

static void node_remove(struct fq_block_node *n)
{
	for (struct fq_block_node **pp = &fq_vm.nodes; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	node_free(n);
}

static bool check_name(const char *name, struct fq_reply *r)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;

	if (!node_name_valid(name)) {
		if (d->old_errors)
			fq_reply_error(r, "GenericError", "Invalid node name");
		else
			fq_reply_error(r, "GenericError", "Invalid node-name: '%s'", name);
		return false;
	}
	if (strlen(name) > 31) {
		fq_reply_error(r, "GenericError", "Node name too long");
		return false;
	}
	if (fq_node_by_name(name)) {
		if (d->old_errors)
			fq_reply_error(r, "GenericError", "Duplicate node name");
		else
			fq_reply_error(r, "GenericError", "Duplicate nodes with node-name='%s'",
				       name);
		return false;
	}
	return true;
}

/* Open a protocol node (file/host_device): the file must exist. */
static struct fq_block_node *open_protocol(const char *driver, json_object *opts, const char *name,
					   struct fq_reply *r)
{
	const char *filename = str_member(opts, "filename");
	struct fq_block_node *n;
	struct stat st;

	if (!filename) {
		fq_reply_error(r, "GenericError", "Parameter 'filename' is missing");
		return NULL;
	}
	if (stat(filename, &st) < 0) {
		fq_reply_error(r, "GenericError", "Could not open '%s': %s", filename,
			       strerror(errno));
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		abort();
	n->driver = strdup(driver);
	n->filename = strdup(filename);
	if (name) {
		n->node_name = strdup(name);
	} else {
		/* id_generate(): "#block" + counter + two random digits. */
		if (asprintf(&n->node_name, "#block%d%02d", fq_vm.auto_node_next++, rand() % 100) <
		    0)
			abort();
		n->auto_named = true;
	}
	return n;
}

void fq_blockdev_create(json_object *args, struct fq_reply *r)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;
	const char *driver = str_member(args, "driver"), *name = str_member(args, "node-name");
	struct fq_block_node *node, *child = NULL;
	json_object *file, *ro;
	bool child_created = false;

	if (!name) {
		fq_reply_error(r, "GenericError",
			       "'node-name' must be specified for the root node");
		return;
	}
	if (!check_name(name, r))
		return;
	if (is_protocol_driver(driver)) {
		node = open_protocol(driver, args, name, r);
		if (!node)
			return;
	} else {
		if (!json_object_object_get_ex(args, "file", &file)) {
			fq_reply_error(r, "GenericError",
				       "A block device must be specified for \"file\"");
			return;
		}
		if (json_object_is_type(file, json_type_string)) {
			const char *ref = json_object_get_string(file);

			child = fq_node_by_name(ref);
			if (!child) {
				if (d->old_errors)
					fq_reply_error(r, "GenericError",
						       "Cannot find device=%s nor node_name=%s",
						       ref, ref);
				else
					fq_reply_error(r, "GenericError",
						       "Cannot find device='%s' nor node-name='%s'",
						       ref, ref);
				return;
			}
		} else {
			const char *cdrv = str_member(file, "driver");
			const char *cname = str_member(file, "node-name");

			if (!cdrv || !is_protocol_driver(cdrv)) {
				fq_reply_error(r, "GenericError",
					       "fakeqemu: only file and host_device children are "
					       "modelled (got driver '%s')",
					       cdrv ? cdrv : "");
				return;
			}
			if (cname && !check_name(cname, r))
				return;
			child = open_protocol(cdrv, file, cname, r);
			if (!child)
				return;
			child_created = true;
		}
		node = calloc(1, sizeof(*node));
		if (!node)
			abort();
		node->driver = strdup(driver);
		node->node_name = strdup(name);
		node->filename = child->filename ? strdup(child->filename) : NULL;
		node->file = child;
		child->parents++;
	}
	node->read_only =
	    json_object_object_get_ex(args, "read-only", &ro) && json_object_get_boolean(ro);
	node->options = json_object_get(args);
	/* The child opens first; the list is newest first, as QEMU's. */
	if (child_created)
		node_prepend(child);
	node_prepend(node);
}

void fq_cmd_blockdev_add(json_object *args, struct fq_reply *r)
{
	fq_blockdev_create(args, r);
}

/* "-blockdev" takes JSON or dotted keys ("file.filename=x"). */
void fq_blockdev_add_cmdline(const char *text, struct fq_reply *r)
{
	json_object *args;
	char *err;

	if (text[0] == '{') {
		args = json_tokener_parse(text);
		if (!json_object_is_type(args, json_type_object)) {
			json_object_put(args);
			fq_reply_error(r, "GenericError", "JSON parse error");
			return;
		}
	} else {
		struct fq_opts o;

		args = json_object_new_object();
		fq_opts_parse(text, NULL, &o);
		for (size_t i = 0; i < o.n; i++) {
			char *key = strdup(o.items[i].key), *dot;
			json_object *parent = args;

			while ((dot = strchr(key, '.'))) {
				json_object *sub;

				*dot = '\0';
				if (!json_object_object_get_ex(parent, key, &sub)) {
					sub = json_object_new_object();
					json_object_object_add(parent, key, sub);
				}
				parent = sub;
				memmove(key, dot + 1, strlen(dot + 1) + 1);
			}
			if (!strcmp(o.items[i].value, "on") || !strcmp(o.items[i].value, "off"))
				json_object_object_add(
				    parent, key,
				    json_object_new_boolean(!strcmp(o.items[i].value, "on")));
			else
				json_object_object_add(parent, key,
						       json_object_new_string(o.items[i].value));
			free(key);
		}
		fq_opts_free(&o);
	}
	err = fq_schema_check_args("blockdev-add", args);
	if (err) {
		fq_reply_error(r, "GenericError", "%s", err);
		free(err);
	} else {
		fq_blockdev_create(args, r);
	}
	json_object_put(args);
}

void fq_cmd_blockdev_del(json_object *args, struct fq_reply *r)
{
	const char *name = str_member(args, "node-name");
	struct fq_block_node *n = fq_node_by_name(name);

	if (!n || n->auto_named) {
		if (fq_vm.cfg.dialect->old_errors)
			fq_reply_error(r, "GenericError", "Cannot find node %s", name);
		else
			fq_reply_error(r, "GenericError", "Failed to find node with node-name='%s'",
				       name);
		return;
	}
	if (n->device) {
		fq_reply_error(r, "GenericError", "Node %s is in use", name);
		return;
	}
	if (n->parents > 0) {
		fq_reply_error(r, "GenericError", "Block device %s is in use", name);
		return;
	}
	if (n->file) {
		n->file->parents--;
		if (n->file->auto_named && n->file->parents == 0)
			node_remove(n->file);
	}
	node_remove(n);
}

static json_object *image_info(const struct fq_block_node *n)
{
	json_object *img = json_object_new_object();
	struct stat st;
	long long size = 0, used = 0;

	if (n->filename && stat(n->filename, &st) == 0) {
		size = st.st_size;
		used = (long long)st.st_blocks * 512;
	}
	json_object_object_add(img, "filename",
			       json_object_new_string(n->filename ? n->filename : ""));
	json_object_object_add(img, "format", json_object_new_string(n->driver));
	json_object_object_add(img, "dirty-flag", json_object_new_boolean(0));
	json_object_object_add(img, "actual-size", json_object_new_int64(used));
	json_object_object_add(img, "virtual-size", json_object_new_int64(size));
	if (fq_vm.cfg.dialect->node_active && !strcmp(n->driver, "file")) {
		json_object *fs = json_object_new_object();

		json_object_object_add(fs, "type", json_object_new_string("file"));
		json_object_object_add(fs, "data", json_object_new_object());
		json_object_object_add(img, "format-specific", fs);
	}
	return img;
}

/* BlockDeviceInfo, members in schema order. */
static json_object *node_info(const struct fq_block_node *n)
{
	json_object *o = json_object_new_object(), *cache = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(n->filename ? n->filename : ""));
	json_object_object_add(o, "node-name", json_object_new_string(n->node_name));
	json_object_object_add(o, "ro", json_object_new_boolean(n->read_only));
	json_object_object_add(o, "drv", json_object_new_string(n->driver));
	json_object_object_add(o, "backing_file_depth", json_object_new_int(0));
	json_object_object_add(o, "encrypted", json_object_new_boolean(0));
	if (fq_vm.cfg.dialect->old_errors) /* 5.2 still had it */
		json_object_object_add(o, "encryption_key_missing", json_object_new_boolean(0));
	json_object_object_add(o, "detect_zeroes", json_object_new_string("off"));
	if (fq_vm.cfg.dialect->node_active)
		json_object_object_add(o, "active", json_object_new_boolean(1));
	json_object_object_add(o, "bps", json_object_new_int(0));
	json_object_object_add(o, "bps_rd", json_object_new_int(0));
	json_object_object_add(o, "bps_wr", json_object_new_int(0));
	json_object_object_add(o, "iops", json_object_new_int(0));
	json_object_object_add(o, "iops_rd", json_object_new_int(0));
	json_object_object_add(o, "iops_wr", json_object_new_int(0));
	json_object_object_add(o, "image", image_info(n));
	json_object_object_add(cache, "writeback", json_object_new_boolean(1));
	json_object_object_add(cache, "direct", json_object_new_boolean(0));
	json_object_object_add(cache, "no-flush", json_object_new_boolean(0));
	json_object_object_add(o, "cache", cache);
	json_object_object_add(o, "write_threshold", json_object_new_int(0));
	return o;
}

void fq_cmd_query_named_block_nodes(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	for (struct fq_block_node *n = fq_vm.nodes; n; n = n->next)
		json_object_array_add(list, node_info(n));
	r->ret = list;
}

void fq_cmd_query_block(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	/* Anonymous block backends of devices, in the order they were attached. */
	for (struct fq_device *d = fq_vm.devices; d; d = d->next) {
		json_object *o;
		char qdev[512];

		if (!d->drive)
			continue;
		if (d->kind == FQ_DEV_VIRTIO_BLK)
			snprintf(qdev, sizeof(qdev), "%s/virtio-backend", d->qom_path);
		else
			snprintf(qdev, sizeof(qdev), "%s", d->id ? d->id : d->qom_path);
		o = json_object_new_object();
		json_object_object_add(o, "device", json_object_new_string(""));
		json_object_object_add(o, "qdev", json_object_new_string(qdev));
		json_object_object_add(o, "type", json_object_new_string("unknown"));
		json_object_object_add(o, "removable", json_object_new_boolean(0));
		json_object_object_add(o, "locked", json_object_new_boolean(0));
		json_object_object_add(o, "inserted", node_info(d->drive));
		json_object_object_add(o, "io-status", json_object_new_string("ok"));
		json_object_array_add(list, o);
	}
	r->ret = list;
}

/* ---- devices on nodes ---------------------------------------------------- */

/* The block device path QEMU names in permission errors. */
static void blk_user_name(const struct fq_device *d, char *buf, size_t len)
{
	if (d->kind == FQ_DEV_VIRTIO_BLK)
		snprintf(buf, len, "%s/virtio-backend", d->qom_path);
	else
		snprintf(buf, len, "%s", d->id ? d->id : d->qom_path);
}

bool fq_block_check_attach(struct fq_device *dev, const char *drive, json_object *props,
			   struct fq_reply *r)
{
	struct fq_block_node *n;
	char a[256], b[256];

	if (!drive) {
		fq_reply_error(r, "GenericError", "drive property not set");
		return false;
	}
	n = fq_node_by_name(drive);
	if (!n) {
		fq_reply_error(r, "GenericError", "Property '%s.drive' can't find value '%s'",
			       dev->kind == FQ_DEV_VIRTIO_BLK ? "virtio-blk-device" : dev->driver,
			       drive);
		return false;
	}
	if (n->device) {
		blk_user_name(n->device, a, sizeof(a));
		blk_user_name(dev, b, sizeof(b));
		if (fq_vm.cfg.dialect->old_errors)
			fq_reply_error(r, "GenericError",
				       "Conflicts with use by %s as 'root', which does not allow "
				       "'write' on %s",
				       a, n->node_name);
		else
			fq_reply_error(r, "GenericError",
				       "Permission conflict on node '%s': permissions 'write' are "
				       "both required by block device '%s' (uses node '%s' as "
				       "'root' child) and unshared by block device '%s' (uses node "
				       "'%s' as 'root' child).",
				       n->node_name, a, n->node_name, b, n->node_name);
		return false;
	}
	dev->drive = n;
	return true;
}

void fq_block_attach(struct fq_device *dev)
{
	if (dev->drive)
		dev->drive->device = dev;
}

void fq_block_detach(struct fq_device *dev)
{
	if (dev->drive && dev->drive->device == dev)
		dev->drive->device = NULL;
	dev->drive = NULL;
}
