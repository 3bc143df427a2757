/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* names.c - the names qemudrv gives what it makes in QEMU, from one place (DOC in names.h) */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#define NODE_PREFIX    "drive-"
#define NETDEV_PREFIX  "net-"
#define MEMDEV_PREFIX  "mem-"
#define CHARDEV_PREFIX "char-"
#define FSDEV_PREFIX   "fsdev-"
#define VCPU_PREFIX    "cpu-"
#define BRIDGE_PREFIX  "pci-bridge-"

static char *prefixed(const char *prefix, const char *id)
{
	char *s;

	return asprintf(&s, "%s%s", prefix, id) < 0 ? NULL : s;
}

char *qd_name_node(const char *dev_id)
{
	return prefixed(NODE_PREFIX, dev_id);
}

bool qd_name_node_fits(const char *dev_id)
{
	return strlen(NODE_PREFIX) + strlen(dev_id) <= QD_NODE_NAME_MAX;
}

/* Whether @s is @prefix and more. */
static bool prefixed_by(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix)) && s[strlen(prefix)];
}

bool qd_name_is_node(const char *node)
{
	return prefixed_by(node, NODE_PREFIX);
}

char *qd_name_netdev(const char *dev_id)
{
	return prefixed(NETDEV_PREFIX, dev_id);
}

char *qd_name_memdev(const char *dev_id)
{
	return prefixed(MEMDEV_PREFIX, dev_id);
}

bool qd_name_is_memdev(const char *id)
{
	return prefixed_by(id, MEMDEV_PREFIX);
}

char *qd_name_chardev(const char *dev_id)
{
	return prefixed(CHARDEV_PREFIX, dev_id);
}

char *qd_name_fsdev(const char *dev_id)
{
	return prefixed(FSDEV_PREFIX, dev_id);
}

char *qd_name_fd(const char *dev_id, bool vhost, unsigned queue)
{
	char *s;

	return asprintf(&s, "%s-%s-%u", vhost ? "vhostfd" : "fd", dev_id, queue) < 0 ? NULL : s;
}

void qd_name_vcpu(unsigned seq, char *buf, size_t size)
{
	snprintf(buf, size, VCPU_PREFIX "%u", seq);
}

bool qd_name_is_vcpu(const char *id)
{
	const char *p = id;

	if (!prefixed_by(p, VCPU_PREFIX))
		return false;
	for (p += strlen(VCPU_PREFIX); *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

void qd_name_bridge(unsigned i, char *buf, size_t size)
{
	snprintf(buf, size, BRIDGE_PREFIX "%u", i);
}

static const char *const own_devices[] = {QD_ID_SERIAL, QD_ID_CONSOLE, QD_ID_SCSI, QD_ID_NVDIMM,
					  NULL};
static const char *const own_others[] = {QD_ID_CONSOLE_CHAR, QD_ID_SCSI_IOTHREAD, QD_ID_QMP_CHAR,
					 QD_ID_NVDIMM_MEM,   QD_ID_RAM,		  NULL};

bool qd_name_is_own_device(const char *id)
{
	for (int i = 0; own_devices[i]; i++)
		if (!strcmp(own_devices[i], id))
			return true;
	return false;
}

bool qd_name_is_reserved(const char *id)
{
	for (int i = 0; own_others[i]; i++)
		if (!strcmp(own_others[i], id))
			return true;
	return qd_name_is_own_device(id) || !strncmp(id, BRIDGE_PREFIX, strlen(BRIDGE_PREFIX)) ||
	       qd_name_is_vcpu(id);
}
