/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmd_net.c - netdev_add, netdev_del, set_link, query-rx-filter, -netdev (see net.h) */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/vhost.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends.h"
#include "chardev.h"
#include "fakeqemu.h"
#include "keyval.h"
#include "machine.h"
#include "monitor.h"
#include "net.h"
#include "opts.h"
#include "report.h"
#include "schema.h"
#include "since.h"

/* A netdev's model data (the registry entry's priv). */
struct netdev {
	bool link_up;
	int fds[8]; /* descriptors it holds (tap fds, vhost fds, sockets) */
	int nfds;
};

/* -netdev options, created by fq_netdevs_create(). */
struct queued {
	char *location;
	json_object *netdev; /* typed Netdev */
	struct queued *next;
};
static struct queued *queue;

static void netdev_free(void *p)
{
	struct netdev *n = p;

	for (int i = 0; n && i < n->nfds; i++)
		close(n->fds[i]);
	free(n);
}

static void hold_fd(struct netdev *n, int fd)
{
	if (n->nfds < (int)(sizeof(n->fds) / sizeof(n->fds[0])))
		n->fds[n->nfds++] = fd;
	else
		close(fd);
}

static const char *str_arg(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static bool bool_arg(json_object *o, const char *key, bool *present)
{
	json_object *v;
	bool has = json_object_object_get_ex(o, key, &v);

	if (present)
		*present = has;
	return has && json_object_get_boolean(v);
}

static bool has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/*
 * Backends a distribution build of QEMU leaves out: the NIC pseudo-backend
 * and "none" are never netdevs; netmap (FreeBSD), vmnet (macOS) and af-xdp
 * are not built by Debian.
 */
static bool compiled_in(const char *type)
{
	static const char *const absent[] = {
	    "nic", "none", "netmap", "vmnet-host", "vmnet-shared", "vmnet-bridged", "af-xdp", NULL};

	for (int i = 0; absent[i]; i++)
		if (!strcmp(type, absent[i]))
			return false;
	return true;
}

static void run_bridge_helper(const char *helper);

/* ---- tap ------------------------------------------------------------------ */

/* tap_probe_vnet_hdr(): the fd must be a tap device. */
static int probe_vnet_hdr(int fd, struct fq_reply *r)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) != 0) {
		fq_reply_error(r, "GenericError", "Unable to query TUNGETIFF on FD %d: %s", fd,
			       strerror(errno));
		return -1;
	}
	return !!(ifr.ifr_flags & IFF_VNET_HDR);
}

/*
 * vhost_dev_init()'s first step on the vhost fd: VHOST_SET_OWNER. It fails on
 * anything but a vhost device, reported as QEMU reports it (5.2 adds the
 * errno); true when the fd is one.
 */
static bool vhost_set_owner(int fd)
{
	int e;

	if (ioctl(fd, VHOST_SET_OWNER, NULL) == 0)
		return true;
	e = errno;
	if (fq_since(6, 0))
		fq_error_report("vhost_set_owner failed: %s", strerror(e));
	else
		fq_error_report("vhost_set_owner failed: %s (%d)", strerror(e), e);
	return false;
}

/*
 * 7.x's net_init_tap_one() goes on without vhost after the warning and
 * returns success with no net client: net_client_init1() asserts on it.
 */
static void assert_nc_failed(void) __attribute__((noreturn));

static void assert_nc_failed(void)
{
	fprintf(stderr, "%s: ../../net/net.c:1131: net_client_init1: Assertion `nc' failed.\n",
		fq_vm.cfg.progname);
	abort();
}

/* net_init_tap_one(): the vhost part. */
static bool tap_vhost(json_object *tap, const char *vhostfdname, struct netdev *n,
		      struct fq_reply *r)
{
	bool has_vhost, force = bool_arg(tap, "vhostforce", NULL);
	bool vhost = bool_arg(tap, "vhost", &has_vhost);
	int fd;

	if (!(has_vhost ? vhost : (vhostfdname != NULL || force))) {
		if (vhostfdname) {
			fq_reply_error(r, "GenericError", "vhostfd(s)= is not valid without vhost");
			return false;
		}
		return true;
	}
	if (vhostfdname) {
		struct fq_reply err = {0};

		fd = fq_monitor_fd_param(fq_qmp_current_monitor(), vhostfdname, &err);
		if (fd < 0) {
			/* A warning before 8.0 (7.2 then trips an assertion); an error since. */
			bool fatal = force || fq_since(8, 0);

			if (fatal)
				fq_reply_error(r, err.err_class, "%s", err.err_desc);
			else
				fq_warn("%s", err.err_desc);
			free(err.err_class);
			free(err.err_desc);
			if (!fatal && fq_since(7, 0))
				assert_nc_failed();
			return !fatal;
		}
	} else {
		fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			if (force)
				fq_reply_error(r, "GenericError",
					       "tap: open vhost char device failed: %s",
					       strerror(errno));
			else
				fq_warn("tap: open vhost char device failed: %s", strerror(errno));
			return !force;
		}
	}
	if (!vhost_set_owner(fd)) {
		close(fd);
		/* Without vhostforce: 5.2 goes on without vhost, 7.x aborts, 8.0 refuses. */
		if (force || fq_since(8, 0)) {
			fq_reply_error(r, "GenericError",
				       "vhost-net requested but could not be initialized");
			return false;
		}
		fq_warn("vhost-net requested but could not be initialized");
		if (fq_since(7, 0))
			assert_nc_failed();
		return true;
	}
	hold_fd(n, fd);
	return true;
}

/* A fd given by name or number, made the netdev's. */
static int tap_fd(const char *name, struct netdev *n, int *vnet_hdr, struct fq_reply *r)
{
	int fd = fq_monitor_fd_param(fq_qmp_current_monitor(), name, r), v;

	if (fd < 0)
		return -1;
	v = probe_vnet_hdr(fd, r);
	if (v < 0) {
		/*
		 * net_init_tap() closes the descriptor it was given; one given by
		 * number is left alone here (it may be fakeqemu's own).
		 */
		if (!(name[0] >= '0' && name[0] <= '9'))
			close(fd);
		return -1;
	}
	if (vnet_hdr)
		*vnet_hdr = v;
	hold_fd(n, fd);
	return fd;
}

/* "a:b:c" of fds= and vhostfds=. */
static int split_names(const char *list, char names[][64], int max)
{
	int n = 0;

	for (const char *p = list; p && *p && n < max;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		snprintf(names[n++], 64, "%.*s", (int)len, p);
		p = colon ? colon + 1 : NULL;
	}
	return n;
}

/* net_init_tap(): fd=, fds=, helper=, or ifname/script (no host device is made). */
static bool init_tap(json_object *tap, struct netdev *n, struct fq_reply *r)
{
	const char *vhostfd = str_arg(tap, "vhostfd");

	if (has(tap, "fd")) {
		if (has(tap, "ifname") || has(tap, "script") || has(tap, "downscript") ||
		    has(tap, "vnet_hdr") || has(tap, "helper") || has(tap, "queues") ||
		    has(tap, "fds") || has(tap, "vhostfds")) {
			fq_reply_error(
			    r, "GenericError",
			    "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, "
			    "fds=, and vhostfds= are invalid with fd=");
			return false;
		}
		if (tap_fd(str_arg(tap, "fd"), n, NULL, r) < 0)
			return false;
		return tap_vhost(tap, vhostfd, n, r);
	}
	if (has(tap, "fds")) {
		char fds[16][64], vfds[16][64];
		int nf, nv = 0, hdr0 = 0;

		if (has(tap, "ifname") || has(tap, "script") || has(tap, "downscript") ||
		    has(tap, "vnet_hdr") || has(tap, "helper") || has(tap, "queues") ||
		    has(tap, "vhostfd")) {
			fq_reply_error(
			    r, "GenericError",
			    "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, "
			    "and vhostfd= are invalid with fds=");
			return false;
		}
		nf = split_names(str_arg(tap, "fds"), fds, 16);
		if (has(tap, "vhostfds")) {
			nv = split_names(str_arg(tap, "vhostfds"), vfds, 16);
			if (nf != nv) {
				fq_reply_error(r, "GenericError",
					       "The number of fds passed does not match the number "
					       "of vhostfds passed");
				return false;
			}
		}
		for (int i = 0; i < nf; i++) {
			int hdr = 0;

			if (tap_fd(fds[i], n, &hdr, r) < 0)
				return false;
			if (i == 0) {
				hdr0 = hdr;
			} else if (hdr != hdr0) {
				fq_reply_error(r, "GenericError",
					       "vnet_hdr not consistent across given tap fds");
				return false;
			}
			if (!tap_vhost(tap, nv ? vfds[i] : NULL, n, r))
				return false;
		}
		return true;
	}
	if (has(tap, "helper")) {
		if (has(tap, "ifname") || has(tap, "script") || has(tap, "downscript") ||
		    has(tap, "vnet_hdr") || has(tap, "queues") || has(tap, "vhostfds")) {
			fq_reply_error(r, "GenericError",
				       "ifname=, script=, downscript=, vnet_hdr=, queues=, and "
				       "vhostfds= are invalid with helper=");
			return false;
		}
		/* The helper would configure a host bridge: fakeqemu has none. */
		run_bridge_helper(str_arg(tap, "helper"));
		fq_reply_error(r, "GenericError", "bridge helper failed");
		return false;
	}
	if (has(tap, "vhostfds")) {
		fq_reply_error(r, "GenericError", "vhostfds= is invalid if fds= wasn't specified");
		return false;
	}
	{
		const char *script = str_arg(tap, "script");

		/* launch_script(): a script that cannot run exits 1 (status 256). */
		if (script && strcmp(script, "no") && *script && access(script, X_OK) < 0) {
			fq_reply_error(r, "GenericError",
				       "network script %s failed with status 256", script);
			return false;
		}
	}
	return tap_vhost(tap, vhostfd, n, r);
}

/*
 * net_bridge_run_helper() runs qemu-bridge-helper, which refuses unless an
 * ACL file allows the bridge; fakeqemu never plugs into a host bridge, so
 * it stops where a host without that file stops, printing what the helper
 * prints (the helper's stderr is QEMU's).
 */
static void run_bridge_helper(const char *helper)
{
	const char *path = helper ? helper : "/usr/lib/qemu/qemu-bridge-helper";

	if (access(path, X_OK) == 0 && access("/etc/qemu/bridge.conf", R_OK) < 0)
		fprintf(stderr, "failed to parse default acl file `/etc/qemu/bridge.conf'\n");
}

/* ---- other backends ---------------------------------------------------------- */

static bool init_socket(json_object *sock, struct netdev *n, struct fq_reply *r)
{
	int count = has(sock, "fd") + has(sock, "listen") + has(sock, "connect") +
		    has(sock, "mcast") + has(sock, "udp");

	if (count != 1) {
		fq_reply_error(r, "GenericError",
			       "exactly one of listen=, connect=, mcast= or udp= is required");
		return false;
	}
	if (has(sock, "localaddr") && !has(sock, "mcast") && !has(sock, "udp")) {
		fq_reply_error(r, "GenericError", "localaddr= is only valid with mcast= or udp=");
		return false;
	}
	if (has(sock, "fd")) {
		int fd = fq_monitor_fd_param(fq_qmp_current_monitor(), str_arg(sock, "fd"), r);

		if (fd < 0)
			return false;
		hold_fd(n, fd);
	}
	if (has(sock, "udp") && !has(sock, "localaddr")) {
		fq_reply_error(r, "GenericError", "localaddr= is mandatory with udp=");
		return false;
	}
	return true;
}

static bool init_vhost_user(json_object *vu, const char *id, struct fq_reply *r)
{
	const char *name = str_arg(vu, "chardev");
	struct fq_chardev *c = fq_chardev_find(name);
	struct fq_backend *b = fq_backend_find(FQ_BACKEND_CHARDEV, name);
	char path[160];

	if (!c) {
		fq_reply_error(r, "GenericError", "chardev \"%s\" not found", name);
		return false;
	}
	/* net_vhost_check_net(): only a socket chardev reconnects and passes fds. */
	if (!c->is_socket) {
		fq_reply_error(r, "GenericError", "chardev \"%s\" is not reconnectable", name);
		return false;
	}
	if (c->family != AF_UNIX) {
		fq_reply_error(r, "GenericError", "chardev \"%s\" does not support FD passing",
			       name);
		return false;
	}
	snprintf(path, sizeof(path), "/netdevs/%s", id);
	if (c->mon || (b && !fq_backend_claim(b, path))) {
		fq_reply_error(r, "GenericError", "Device '%s' is in use", name);
		return false;
	}
	return true;
}

static bool init_vdpa(json_object *v, struct netdev *n, struct fq_reply *r)
{
	const char *dev = str_arg(v, "vhostdev"), *fdname = str_arg(v, "vhostfd");
	int fd;

	if (!dev && !fdname) {
		fq_reply_error(r, "GenericError",
			       "vhost-vdpa: neither vhostdev= nor vhostfd= was specified");
		return false;
	}
	if (dev && fdname) {
		fq_reply_error(r, "GenericError",
			       "vhost-vdpa: vhostdev= and vhostfd= are mutually exclusive");
		return false;
	}
	if (fdname) {
		fd = fq_monitor_fd_param(fq_qmp_current_monitor(), fdname, r);
		if (fd < 0)
			return false;
	} else {
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			if (fq_since(6, 0))
				fq_reply_error(r, "GenericError", "Could not open '%s': %s", dev,
					       strerror(errno));
			else
				fq_reply_error(r, "GenericError",
					       "Device 'vhost-vdpa' could not be initialized");
			return false;
		}
	}
	hold_fd(n, fd);
	return true;
}

/* The backend's init function; false with @r set. */
static bool init_backend(const char *type, const char *id, json_object *nd, struct netdev *n,
			 struct fq_reply *r)
{
	if (!strcmp(type, "tap"))
		return init_tap(nd, n, r);
	if (!strcmp(type, "socket"))
		return init_socket(nd, n, r);
	if (!strcmp(type, "vhost-user"))
		return init_vhost_user(nd, id, r);
	if (!strcmp(type, "vhost-vdpa"))
		return init_vdpa(nd, n, r);
	if (!strcmp(type, "vde")) {
		/* No vde switch exists for it to join. */
		fq_reply_error(r, "GenericError", "Could not open vde: No such file or directory");
		return false;
	}
	if (!strcmp(type, "bridge")) {
		run_bridge_helper(str_arg(nd, "helper"));
		fq_reply_error(r, "GenericError", "bridge helper failed");
		return false;
	}
	if (!strcmp(type, "hubport")) {
		const char *peer = str_arg(nd, "netdev");

		if (peer && !fq_backend_find(FQ_BACKEND_NETDEV, peer)) {
			fq_reply_error(r, "GenericError", "netdev '%s' not found", peer);
			return false;
		}
	}
	if (!strcmp(type, "dgram") && !has(nd, "local") && !has(nd, "remote")) {
		fq_reply_error(r, "GenericError", "dgram requires local= parameter");
		return false;
	}
	return true;
}

/* net_client_init1() for a netdev: @nd is a schema-checked Netdev. */
static void netdev_create(json_object *nd, struct fq_reply *r)
{
	const char *type = str_arg(nd, "type"), *id = str_arg(nd, "id");
	struct netdev *n;
	struct fq_backend *b;

	if (fq_since(6, 0) && !fq_id_wellformed(id)) {
		fq_reply_error(r, "GenericError", "Parameter 'id' expects an identifier");
		return;
	}
	if (!compiled_in(type)) {
		if (fq_since(6, 0))
			fq_reply_error(r, "GenericError",
				       "network backend '%s' is not compiled into this binary",
				       type);
		else
			fq_reply_error(r, "GenericError",
				       "Parameter 'type' expects a netdev backend type");
		return;
	}
	/*
	 * 5.2's QAPI netdev_add does not look for a netdev of that id: it opens
	 * the backend again (taking the descriptors it names), and one netdev of
	 * the name is left (netdev_del finds no second one).
	 */
	if (fq_since(6, 0) && fq_backend_find(FQ_BACKEND_NETDEV, id)) {
		fq_reply_error(r, "GenericError", "Duplicate ID '%s'", id);
		return;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		abort();
	n->link_up = true;
	if (!init_backend(type, id, nd, n, r)) {
		char path[160];

		snprintf(path, sizeof(path), "/netdevs/%s", id);
		fq_backend_release_user(path);
		netdev_free(n);
		return;
	}
	b = fq_backend_add(FQ_BACKEND_NETDEV, id, type, json_object_get(nd));
	if (!b) {
		/* 5.2's second one of the name: gone, the first stays. */
		netdev_free(n);
		return;
	}
	b->priv = n;
	b->free_priv = netdev_free;
}

void fq_cmd_netdev_add(json_object *args, struct fq_reply *r)
{
	netdev_create(args, r);
}

void fq_cmd_netdev_del(json_object *args, struct fq_reply *r)
{
	const char *id = str_arg(args, "id");
	struct fq_backend *b = fq_backend_find(FQ_BACKEND_NETDEV, id);
	char path[160];

	if (!b) {
		fq_reply_error(r, "DeviceNotFound", "Device '%s' not found", id);
		return;
	}
	/* A NIC keeps its peer's state until it goes; the id is free at once. */
	snprintf(path, sizeof(path), "/netdevs/%s", id);
	fq_backend_release_user(path);
	fq_backend_remove(b);
}

/* A NIC: a device with that id that holds a netdev, or a virtio-net/e1000/... */
static struct fq_device *nic_by_name(const char *name)
{
	struct fq_device *d = fq_device_by_id(name);

	if (!d)
		return NULL;
	for (struct fq_backend *b = fq_backend_first(FQ_BACKEND_NETDEV); b; b = fq_backend_next(b))
		if (b->user && !strcmp(b->user, d->qom_path))
			return d;
	if (strstr(d->driver, "-net-") || !strncmp(d->driver, "e1000", 5) ||
	    !strcmp(d->driver, "rtl8139") || !strncmp(d->driver, "vmxnet3", 7) ||
	    !strcmp(d->driver, "ne2k_pci") || !strcmp(d->driver, "pcnet"))
		return d;
	return NULL;
}

void fq_cmd_set_link(json_object *args, struct fq_reply *r)
{
	const char *name = str_arg(args, "name");
	struct fq_backend *b = fq_backend_find(FQ_BACKEND_NETDEV, name);

	if (b) {
		((struct netdev *)b->priv)->link_up = bool_arg(args, "up", NULL);
		return;
	}
	if (!nic_by_name(name))
		fq_reply_error(r, "DeviceNotFound", "Device '%s' not found", name);
}

void fq_cmd_query_rx_filter(json_object *args, struct fq_reply *r)
{
	const char *name = str_arg(args, "name");

	if (name && fq_backend_find(FQ_BACKEND_NETDEV, name)) {
		fq_reply_error(r, "GenericError", "net client(%s) isn't a NIC", name);
		return;
	}
	if (name && nic_by_name(name)) {
		fq_reply_error(r, "GenericError",
			       "fakeqemu: query-rx-filter of a NIC is not modelled by fakeqemu");
		return;
	}
	if (name) {
		fq_reply_error(r, "GenericError", "invalid net client name: %s", name);
		return;
	}
	r->ret = json_object_new_array();
}

/* ---- the command line ---------------------------------------------------------- */

void fq_netdev_option(const char *arg)
{
	struct queued *q = calloc(1, sizeof(*q)), **pp;
	json_object *nd;

	if (!q)
		abort();
	if (asprintf(&q->location, "-netdev %s", arg) < 0)
		abort();
	if (arg[0] == '{') {
		nd = json_tokener_parse(arg);
		if (!json_object_is_type(nd, json_type_object))
			fq_die("%s: JSON parse error", q->location);
	} else {
		struct fq_opts o;
		const char *id;

		fq_opts_parse_noisily(q->location, arg, "type", &o);
		id = fq_opts_get(&o, "id");
		if (id && !fq_id_wellformed(id))
			fq_die("%s: Parameter 'id' expects an identifier\nIdentifiers consist of "
			       "letters, digits, '-', '.', '_', starting with a letter.",
			       q->location);
		for (struct queued *p = queue; p && id; p = p->next) {
			const char *other = str_arg(p->netdev, "id");

			if (other && !strcmp(other, id))
				fq_die("%s: Duplicate ID '%s' for netdev", q->location, id);
		}
		nd = fq_keyval_typed(&o, fq_command_arg_type("netdev_add"));
		fq_opts_free(&o);
	}
	q->netdev = nd;
	for (pp = &queue; *pp; pp = &(*pp)->next)
		;
	*pp = q;
}

void fq_netdevs_create(void)
{
	for (struct queued *q = queue; q; q = q->next) {
		struct fq_reply r = {0};
		char *err = fq_schema_check_args("netdev_add", q->netdev);

		/* 5.2's net_init_clients() reported without the option's location. */
		const char *loc = fq_since(6, 0) ? q->location : NULL;

		if (err)
			fq_die("%s%s%s", loc ? loc : "", loc ? ": " : "", err);
		fq_report_location(loc);
		netdev_create(q->netdev, &r);
		fq_report_location(NULL);
		if (r.err_class)
			fq_die("%s%s%s", loc ? loc : "", loc ? ": " : "", r.err_desc);
	}
}

/* The peer of hub port @hp: the netdev it names, or a device holding it. */
static bool hubport_has_peer(struct fq_backend *hp)
{
	return str_arg(hp->props, "netdev") || hp->user;
}

/* Whether netdev @b has a peer: a NIC holds it, or a hub port names it. */
static bool netdev_has_peer(struct fq_backend *b)
{
	if (!strcmp(b->type, "hubport"))
		return hubport_has_peer(b);
	if (b->user)
		return true;
	for (struct fq_backend *h = fq_backend_first(FQ_BACKEND_NETDEV); h;
	     h = fq_backend_next(h)) {
		const char *peer = str_arg(h->props, "netdev");

		if (!strcmp(h->type, "hubport") && peer && !strcmp(peer, b->id))
			return true;
	}
	return false;
}

void fq_net_check_clients(void)
{
	struct fq_backend *ports[64];
	int nports = 0;

	/* net_hub_check_clients(): hubs and their ports newest first. */
	for (struct fq_backend *b = fq_backend_first(FQ_BACKEND_NETDEV); b; b = fq_backend_next(b))
		if (!strcmp(b->type, "hubport") && nports < 64)
			ports[nports++] = b;
	for (int i = nports; i-- > 0;) {
		long long hub =
		    json_object_get_int64(json_object_object_get(ports[i]->props, "hubid"));
		bool first = true;

		/* Each hub once, at its newest port. */
		for (int j = i + 1; j < nports; j++)
			if (json_object_get_int64(
				json_object_object_get(ports[j]->props, "hubid")) == hub)
				first = false;
		if (!first)
			continue;
		for (int j = i; j >= 0; j--)
			if (json_object_get_int64(
				json_object_object_get(ports[j]->props, "hubid")) == hub &&
			    !hubport_has_peer(ports[j]))
				fq_warn("hub port %s has no peer", ports[j]->id);
	}
	for (struct fq_backend *b = fq_backend_first(FQ_BACKEND_NETDEV); b; b = fq_backend_next(b))
		if (!netdev_has_peer(b))
			fq_warn("netdev %s has no peer", b->id);
}
