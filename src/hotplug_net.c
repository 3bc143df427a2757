/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug_net.c - NIC hot-plug: tap descriptors passed with getfd, netdev_add, virtio-net-pci */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "hotplug.h"
#include "names.h"

/* A descriptor the caller gives must be open: sendmsg() would fail on it half-way through. */
static int check_fds(const char *id, const int *fds, unsigned n, const char *what, qd_error *err)
{
	if (!fds)
		return qd_error_set(err, -EINVAL, "NIC %s: no %s descriptors", id, what);
	for (unsigned i = 0; i < n; i++)
		if (fds[i] < 0 || fcntl(fds[i], F_GETFD) < 0)
			return qd_error_set(err, -EBADF,
					    "NIC %s: %s descriptor %u (%d) is not open", id, what,
					    i, fds[i]);
	return 0;
}

static int check_net(struct qd_vm *vm, const struct qd_net_device *n, qd_error *err)
{
	int r = qd_hp_check_new_id(vm, n->id, err);

	if (r < 0)
		return r;
	if (n->queues < 1 || n->queues > QD_NET_MAX_QUEUES)
		return qd_error_set(err, -EINVAL, "NIC %s: %u queues is not 1..%d", n->id,
				    n->queues, QD_NET_MAX_QUEUES);
	r = qd_hp_check_utf8("the MAC", n->id, n->mac, err);
	if (r == 0 && n->mac && !qd_mac_valid(n->mac))
		r = qd_error_set(err, -EINVAL,
				 "NIC %s: '%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", n->id,
				 n->mac);
	if (r == 0)
		r = check_fds(n->id, n->tap_fds, n->queues, "tap", err);
	if (r == 0 && n->vhost_fds)
		r = check_fds(n->id, n->vhost_fds, n->queues, "vhost", err);
	return r;
}

/* The descriptors in the order they are passed (taps, then vhost), with their monitor names. */
static int fds_of(const struct qd_net_device *n, struct qd_txn *t)
{
	size_t count = n->queues * (n->vhost_fds ? 2u : 1u);

	t->fds = calloc(count, sizeof(int));
	t->fd_names = calloc(count, sizeof(char *));
	if (!t->fds || !t->fd_names)
		return -ENOMEM;
	t->nfds = count;
	for (size_t i = 0; i < count; i++) {
		bool vhost = i >= n->queues;
		unsigned q = (unsigned)(vhost ? i - n->queues : i);

		t->fds[i] = vhost ? n->vhost_fds[q] : n->tap_fds[q];
		t->fd_names[i] = qd_name_fd(n->id, vhost, q);
		if (!t->fd_names[i])
			return -ENOMEM;
	}
	return 0;
}

static const char *net_id(const void *dev)
{
	return ((const struct qd_net_device *)dev)->id;
}

static int prepare_net(struct qd_vm *vm, const void *d, struct qd_txn *t, int timeout_ms,
		       qd_error *err)
{
	const struct qd_net_device *n = d;
	const struct qd_spec_nic nic = {.id = n->id,
					.mac = n->mac,
					.queues = n->queues,
					.vhost = n->vhost,
					.vhost_fds = n->vhost_fds != NULL};
	struct qd_spec_host host = qd_hp_spec_host(vm);
	struct qd_bridge *bridge = NULL;
	int slot = 0, r;

	(void)timeout_ms;
	r = check_net(vm, n, err);
	if (r == 0)
		r = qd_hp_take_slot(vm, n->id, &bridge, &slot, err);
	if (r < 0)
		return r;
	t->rec = (struct qd_device_record){
	    .id = (char *)n->id,
	    .kind = QD_HOTPLUG_VIRTIO_NET,
	    .bridge = bridge->id,
	    .slot = slot,
	    .mac = (char *)n->mac,
	    .queues = n->queues,
	};
	r = qd_spec_nic(&nic, &(struct qd_spec_pci){bridge->id, slot}, &host, &t->spec);
	if (r == 0)
		r = fds_of(n, t);
	if (r < 0) {
		qd_hp_release_slot(vm, bridge->id, slot, n->id);
		qd_txn_clear(t);
		return qd_error_set(err, r, "out of memory");
	}
	t->rec.netdev = (char *)qd_part_name(&t->spec.part[0]);
	return 0;
}

static int locate_net(struct qd_vm *vm, const void *dev, const struct qd_txn *t, char **location,
		      int timeout_ms, qd_error *err)
{
	(void)dev;
	(void)timeout_ms;
	(void)err;
	*location = qd_hp_location(qd_hp_bridge(vm, t->rec.bridge), t->rec.slot);
	return 0;
}

static const struct qd_hp_kind net_kind = {
    .what = "NIC",
    .size = sizeof(struct qd_net_device),
    .id_of = net_id,
    .prepare = prepare_net,
    .finish = locate_net,
};

int qd_vm_add_net(struct qd_vm *vm, const struct qd_net_device *dev, int timeout_ms,
		  char **location, qd_error *err)
{
	return qd_hp_plug(vm, &net_kind, dev, 1, false, timeout_ms, location, NULL, err);
}

int qd_vm_add_nets(struct qd_vm *vm, const struct qd_net_device *devs, size_t n, int timeout_ms,
		   struct qd_plug_result *results, qd_error *err)
{
	return qd_hp_plug(vm, &net_kind, devs, n, true, timeout_ms, NULL, results, err);
}

int qd_vm_remove_net(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	static const enum qd_hotplug_kind kinds[] = {QD_HOTPLUG_VIRTIO_NET};

	const struct qd_hp_unplug how = {.kinds = kinds, .nkinds = 1, .what = "NIC"};

	return qd_hp_remove(vm, id, &how, timeout_ms, err);
}
