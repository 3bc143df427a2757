/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vhost.c - the backend side of vhost devices' realize: a vhost-vsock device's
 * /dev/vhost-vsock or passed vhostfd, a vhost-user device's talk to its peer
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chardev.h"
#include "monitor.h"
#include "props.h"
#include "report.h"
#include "since.h"
#include "vhost.h"

/* vhost-user's VHOST_USER_GET_FEATURES, the first message QEMU sends. */
#define VHOST_USER_GET_FEATURES	 1
#define VHOST_USER_VERSION	 0x1
#define VHOST_USER_HDR_SIZE	 12
#define VU_REALIZE_CONN_RETRIES	 3

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool fq_vhost_device(const char *driver)
{
	return starts_with(driver, "vhost-vsock") || starts_with(driver, "vhost-user-");
}

/* ---- vhost-vsock ------------------------------------------------------------ */

static bool vsock_realize(json_object *props, const char *driver, struct fq_reply *r)
{
	long long cid = 0;
	const char *vhostfd = fq_prop_str(props, "vhostfd");
	int fd, e;

	if (!fq_prop_int(props, driver, "guest-cid", &cid, r))
		return false;
	if (cid <= 2) {
		fq_reply_error(r, "GenericError", "guest-cid property must be greater than 2");
		return false;
	}
	if (cid > UINT32_MAX) {
		fq_reply_error(r, "GenericError", "guest-cid property must be a 32-bit number");
		return false;
	}
	if (vhostfd) {
		struct fq_reply err = {0};

		fd = fq_monitor_fd_param(fq_qmp_current_monitor(), vhostfd, &err);
		if (fd < 0) {
			fq_reply_error(r, "GenericError", "vhost-vsock: unable to parse vhostfd: %s",
				       err.err_desc);
			free(err.err_class);
			free(err.err_desc);
			return false;
		}
	} else {
		fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fq_reply_error(r, "GenericError",
				       "vhost-vsock: failed to open vhost device: %s",
				       strerror(errno));
			return false;
		}
	}
	/* vhost_dev_init(): VHOST_SET_OWNER first. */
	if (ioctl(fd, VHOST_SET_OWNER, NULL) == 0)
		return true; /* a real vhost-vsock: it stays open with the device */
	e = errno;
	close(fd);
	if (fq_since(6, 0)) {
		fq_reply_error(r, "GenericError", "vhost_set_owner failed: %s", strerror(e));
	} else {
		/* 5.2 reports the ioctl's errno, then its own -1 as an errno. */
		fq_error_report("vhost_set_owner failed: %s (%d)", strerror(e), e);
		fq_reply_error(r, "GenericError", "vhost-vsock: vhost_dev_init failed: %s",
			       strerror(EPERM));
	}
	return false;
}

/* ---- vhost-user --------------------------------------------------------------- */

/*
 * vhost_user_backend_init() -> VHOST_USER_GET_FEATURES: true when the peer
 * answers with a header (a working backend, taken as is); false after QEMU's
 * report of the short read.
 */
static bool get_features(int fd)
{
	uint32_t hdr[3] = {VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, 0};
	char reply[VHOST_USER_HDR_SIZE];
	size_t got = 0;

	if (send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL) != (ssize_t)sizeof(hdr)) {
		fq_error_report("vhost_user_write failed");
		return false;
	}
	/* QEMU reads the reply blocking, as here. */
	while (got < sizeof(reply)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		n = recv(fd, reply + got, sizeof(reply) - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == sizeof(reply))
		return true;
	fq_error_report("Failed to read msg header. Read %zu instead of %d. Original request %d.",
			got, VHOST_USER_HDR_SIZE, VHOST_USER_GET_FEATURES);
	return false;
}

static bool user_realize(struct fq_device *dev, json_object *props, struct fq_reply *r)
{
	const char *id = fq_prop_str(props, "chardev");
	struct fq_chardev *c = id ? fq_chardev_find(id) : NULL;
	bool blk = !strcmp(dev->driver, "vhost-user-blk-pci") ||
		   !strcmp(dev->driver, "vhost-user-blk");
	int retries = VU_REALIZE_CONN_RETRIES;

	/* A missing or unknown chardev was refused with the properties. */
	if (!c)
		return true;
	if (!fq_since(6, 0)) {
		int fd = fq_chardev_wait_connected(c);

		if (fd >= 0 && get_features(fd))
			return true;
		if (blk) {
			/* 5.2 goes on to read the config of a device without vhost ops. */
			fq_error_report("vhost-user-blk: vhost initialization failed: %s",
					strerror(EPERM));
			fprintf(stderr,
				"%s: ../../hw/virtio/vhost.c:1556: vhost_dev_get_config: "
				"Assertion `hdev->vhost_ops' failed.\n",
				fq_vm.cfg.progname);
			abort();
		}
		fq_reply_error(r, "GenericError", "vhost_dev_init failed: %s", strerror(EPERM));
		return false;
	}
	/* vhost_user_blk_device_realize(): a peer that fails gets reconnected, thrice. */
	for (;;) {
		int fd = fq_chardev_wait_connected(c);

		if (fd >= 0 && get_features(fd))
			return true;
		fq_chardev_disconnect(c);
		if (!blk || retries-- == 0)
			break;
		fq_error_report("Reconnecting after error: vhost_backend_init failed: %s",
				strerror(EPROTO));
	}
	fq_reply_error(r, "GenericError", "vhost_backend_init failed: %s", strerror(EPROTO));
	return false;
}

bool fq_vhost_realize(struct fq_device *dev, json_object *props, struct fq_reply *r)
{
	if (starts_with(dev->driver, "vhost-vsock"))
		return vsock_realize(props, dev->driver, r);
	return user_realize(dev, props, r);
}
