/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * chardev.h - character devices: -chardev, the chardevs behind -qmp/-serial/-monitor,
 * chardev-add and chardev-remove, query-chardev
 *
 * DOC: Theory of operation
 *
 * Every chardev, whatever created it, is turned into QMP's ChardevBackend
 * ({"type": ..., "data": {...}}) and opened by one function, as QEMU's
 * qemu_chr_parse_opts() + qemu_chardev_new() do. Opening does what QEMU
 * does to the host: a socket server binds and listens on its path (and,
 * without a frontend, accepts one client at a time and holds it), a client
 * connects, a file is created, a pty is allocated. The chardev is then a
 * child of /chardevs (kept in a table with GHashTable order, which
 * query-chardev shows) and a FQ_BACKEND_CHARDEV in the backends registry,
 * whose user is its frontend: a monitor or a device.
 */
#ifndef FQ_CHARDEV_H
#define FQ_CHARDEV_H

#include <stdbool.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"

struct fq_monitor;

/**
 * struct fq_chardev - one character device
 * @id:          its label
 * @backend:     ChardevBackendKind, e.g. "socket", "file", "pty"
 * @filename:    what query-chardev reports (changes as sockets connect)
 * @is_socket:   a socket chardev
 * @server:      socket: listening
 * @telnet:      socket: telnet protocol (shown in the filename)
 * @family:      socket: AF_UNIX, AF_INET, AF_INET6, or 0 for fd=
 * @path:        unix socket path (also its filename for messages)
 * @host:        inet host
 * @port:        inet port (the bound one for port 0)
 * @fdstr:       fd= as given
 * @listen_fd:   socket server: listening descriptor, or -1
 * @conn_fd:     socket: the connection held without a monitor, or -1
 * @fd:          file, pipe, pty (master), serial: the open descriptor, or -1
 * @mon:         the monitor using it, or NULL
 * @fe_open:     frontend-open of query-chardev
 * @order:       creation number (yank instances list in this order)
 */
struct fq_chardev {
	char *id;
	char *backend;
	char *filename;
	bool is_socket, server, telnet;
	bool abstract; /* unix: in the abstract namespace, no file */
	int family;
	char *path, *host, *port, *fdstr;
	int listen_fd, conn_fd, fd;
	struct fq_monitor *mon;
	bool fe_open;
	unsigned order;
};

/**
 * fq_chardev_option() - a -chardev option: checked as QemuOpts does at parse time
 * @arg: its argument
 *
 * Exits with QEMU's message on a missing or duplicate id; the chardev is
 * opened later by fq_chardevs_create().
 */
void fq_chardev_option(const char *arg);

/**
 * fq_chardev_compat() - the chardev of a legacy -qmp/-monitor/-serial argument
 * @option: the option name for messages, e.g. "qmp"
 * @arg:    its argument, e.g. "unix:/run/qmp.sock,server=on,wait=off"
 * @label:  the chardev's id, e.g. "compat_monitor0" (copied)
 *
 * Queues a chardev as qemu_chr_parse_compat() turns @arg into one.
 */
void fq_chardev_compat(const char *option, const char *arg, const char *label);

/**
 * fq_chardevs_create() - open every queued chardev, in command-line order
 *
 * Exits with QEMU's message (prefixed by the option) when one cannot be
 * opened; a server socket with wait=on blocks here for its first client.
 */
void fq_chardevs_create(void);

/**
 * fq_chardev_find() - the chardev labelled @id
 * @id: its label
 *
 * Return: the chardev or NULL.
 */
struct fq_chardev *fq_chardev_find(const char *id);

/**
 * fq_chardev_set_frontend() - a monitor takes @c (NULL: it lets go)
 * @c:   the chardev
 * @mon: the monitor, or NULL
 *
 * A monitor does its own reads and writes on the socket; while it holds the
 * chardev, the chardev stops accepting on its own.
 */
void fq_chardev_set_frontend(struct fq_chardev *c, struct fq_monitor *mon);

/**
 * fq_chardev_connected() - the socket of @c has a connection now (or none: @fd -1)
 * @c:  the chardev
 * @fd: the connected socket, or -1 when it went
 *
 * Updates the filename as QEMU's tcp_chr_connect()/tcp_chr_disconnect() do.
 */
void fq_chardev_connected(struct fq_chardev *c, int fd);

/**
 * fq_chardev_wait_connected() - qemu_chr_fe_wait_connected() for a device that
 * talks on the socket itself (vhost-user): the connection, made now if need be
 * (a client connects again; a server blocks for a client, as QEMU does)
 * @c: a socket chardev
 *
 * Return: the connected socket (still @c's), or -1.
 */
int fq_chardev_wait_connected(struct fq_chardev *c);

/* fq_chardev_disconnect() - qemu_chr_fe_disconnect(): drop the connection of @c. */
void fq_chardev_disconnect(struct fq_chardev *c);

/**
 * fq_chardev_yank_instances() - the yank instances of socket chardevs, in creation order
 *
 * Return: a new array of {"type": "chardev", "id": ID}.
 */
json_object *fq_chardev_yank_instances(void);

/**
 * fq_chardevs_cleanup() - close the chardevs' descriptors at exit
 */
void fq_chardevs_cleanup(void);

/* QMP commands. */
void fq_cmd_chardev_add(json_object *args, struct fq_reply *r);
void fq_cmd_chardev_remove(json_object *args, struct fq_reply *r);
void fq_cmd_query_chardev(json_object *args, struct fq_reply *r);
void fq_cmd_query_chardev_backends(json_object *args, struct fq_reply *r);

/**
 * fq_chardev_info_lines() - "label: filename=..." lines of HMP's info chardev
 * @out: receives the text
 */
struct strbuf;
void fq_chardev_info_lines(struct strbuf *out);

#endif
