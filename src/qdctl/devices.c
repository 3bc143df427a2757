/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* devices.c - what `qdctl vm` and scenarios share about hot-plugged devices (see devices.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#include "devices.h"
#include "qdctl.h"

const char *const qdctl_memory_models[] = {
    [QD_MEMORY_DIMM] = "dimm", [QD_MEMORY_VIRTIO_MEM] = "virtio-mem", NULL};
const char *const qdctl_memory_backends[] = {
    [QD_MEMORY_RAM] = "ram", [QD_MEMORY_FILE] = "file", [QD_MEMORY_MEMFD] = "memfd", NULL};

int qdctl_choice(const char *const *names, const char *name)
{
	for (int i = 0; name && names[i]; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int qdctl_taps_open(const char *name, unsigned queues, struct qdctl_taps *t, qd_error *err)
{
	memset(t, 0, sizeof(*t));
	if (queues < 1 || queues > QD_NET_MAX_QUEUES)
		return qdctl_error_set(err, -EINVAL, "%u queues is not 1..%d", queues,
				       QD_NET_MAX_QUEUES);
	if (name && (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/')))
		return qdctl_error_set(err, -EINVAL,
				       "'%s' is not a network interface name (1..%d characters, no "
				       "'/')",
				       name, IFNAMSIZ - 1);
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
	for (; t->n < queues; t->n++) {
		struct ifreq ifr = {0};
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), r;

		if (fd < 0) {
			r = -errno;
			qdctl_taps_close(t);
			return qdctl_error_set(err, r, "cannot open /dev/net/tun: %s",
					       strerror(-r));
		}
		/* A vnet header for virtio-net's offloads; one flag set for every queue. */
		ifr.ifr_flags =
		    IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (queues > 1 ? IFF_MULTI_QUEUE : 0);
		memcpy(ifr.ifr_name, t->name,
		       sizeof(t->name) < IFNAMSIZ ? sizeof(t->name) : IFNAMSIZ);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			r = -errno;
			close(fd);
			qdctl_taps_close(t);
			return qdctl_error_set(err, r, "cannot create tap device %s: %s%s",
					       *t->name ? t->name : "(any)", strerror(-r),
					       r == -EPERM ? " (it needs CAP_NET_ADMIN)" : "");
		}
		/* The kernel named it ("tapN") if we did not: the other queues join that one. */
		snprintf(t->name, sizeof(t->name), "%.*s", IFNAMSIZ - 1, ifr.ifr_name);
		t->fds[t->n] = fd;
	}
	return 0;
}

bool qdctl_taps_usable(void)
{
	struct qdctl_taps t;

	if (qdctl_taps_open(NULL, 1, &t, NULL) < 0)
		return false;
	qdctl_taps_close(&t);
	return true;
}

void qdctl_taps_close(struct qdctl_taps *t)
{
	for (unsigned i = 0; i < t->n; i++)
		close(t->fds[i]);
	t->n = 0;
}

void qdctl_caps_json(unsigned caps, json_object *o)
{
	static const struct {
		const char *name;
		unsigned bit;
	} kinds[] = {{"block", QD_CAP_BLOCK_HOTPLUG},
		     {"cpu", QD_CAP_CPU_HOTPLUG},
		     {"vfio", QD_CAP_VFIO_HOTPLUG},
		     {"memory", QD_CAP_MEMORY_HOTPLUG},
		     {"net", QD_CAP_NET_HOTPLUG}};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		json_object_object_add(o, kinds[i].name,
				       json_object_new_boolean(!!(caps & kinds[i].bit)));
}

json_object *qdctl_plug_results_json(const char *const *ids, const struct qd_plug_result *res,
				     size_t n)
{
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "id", json_object_new_string(ids[i] ? ids[i] : ""));
		json_object_object_add(e, "ok", json_object_new_boolean(res[i].code == 0));
		if (res[i].code == 0) {
			json_object_object_add(
			    e, "location",
			    json_object_new_string(res[i].location ? res[i].location : ""));
		} else {
			json_object *why = json_object_new_object();

			json_object_object_add(
			    why, "name",
			    json_object_new_string(strerrorname_np(-res[i].code)
						       ? strerrorname_np(-res[i].code)
						       : "?"));
			if (res[i].error.qmp_class)
				json_object_object_add(
				    why, "class", json_object_new_string(res[i].error.qmp_class));
			json_object_object_add(why, "message",
					       json_object_new_string(res[i].error.message
									  ? res[i].error.message
									  : ""));
			json_object_object_add(e, "error", why);
		}
		json_object_array_add(list, e);
	}
	return list;
}
