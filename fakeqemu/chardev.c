/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* chardev.c - character devices: -chardev, chardev-add/remove, query-chardev (see chardev.h) */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backends.h"
#include "chardev.h"
#include "cmdline.h"
#include "fakeqemu.h"
#include "gtable.h"
#include "loop.h"
#include "machine.h"
#include "monitor.h"
#include "numparse.h"
#include "opts.h"
#include "qomdata.h"
#include "report.h"
#include "since.h"
#include "strbuf.h"

/* /chardevs: its children in GHashTable order. */
static struct fq_gtable *chardevs_root;
static unsigned next_order;

/* Chardevs of the command line, opened by fq_chardevs_create() in order. */
struct queued {
	char *location; /* "-chardev ARG", "-qmp ARG": the prefix of its messages */
	char *text;	/* the QemuOpts text */
	char *label;	/* set for compat chardevs (-qmp ...) */
	struct queued *next;
};
static struct queued *queue;

static void on_listen(void *opaque, int fd, short revents);

static char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		abort();
	return d;
}

static struct fq_gtable *root(void)
{
	if (!chardevs_root)
		chardevs_root = fq_gtable_new();
	return chardevs_root;
}

struct fq_chardev *fq_chardev_find(const char *id)
{
	return id ? fq_gtable_lookup(root(), id) : NULL;
}

/* ---- recorded facts -------------------------------------------------------- */

/*
 * The backends this QEMU has, space-separated: its recorded
 * query-chardev-backends (object_class_foreach() order).
 */
static const char *backend_names(void)
{
	static char *names;
	json_object *list;

	if (names)
		return names;
	list = fq_rec_parse(fq_data_recorded_reply("query-chardev-backends"));
	{
		struct strbuf b = {0};

		for (size_t i = 0; list && i < json_object_array_length(list); i++) {
			json_object *e = json_object_array_get_idx(list, i);

			strbuf_addf(&b, "%s%s", i ? " " : "",
				    json_object_get_string(json_object_object_get(e, "name")));
		}
		names = strbuf_dup(&b);
		strbuf_free(&b);
	}
	json_object_put(list);
	return names;
}

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* char_get_class(): the driver, after the aliases QEMU still knows. */
static const char *driver_name(const char *name)
{
	if (!strcmp(name, "tty") && !word_in(backend_names(), "tty"))
		return "serial";
	if (!strcmp(name, "parport") && !word_in(backend_names(), "parport"))
		return "parallel";
	return name;
}

/* ---- filenames ------------------------------------------------------------- */

static const char *server_suffix(void)
{
	/* SocketAddress_to_str(): ",server" became ",server=on" in 6.0. */
	return fq_since(6, 0) ? ",server=on" : ",server";
}

/* qemu_chr_socket_address(): the listening (or unconnected) address. */
static char *socket_address(const struct fq_chardev *c, const char *prefix)
{
	char *s;
	const char *server = c->server ? server_suffix() : "";

	if (c->family == AF_UNIX) {
		if (asprintf(&s, "%sunix:%s%s", prefix, c->path, server) < 0)
			abort();
	} else if (c->family == AF_INET || c->family == AF_INET6) {
		if (asprintf(&s, "%s%s:%s:%s%s", prefix, c->telnet ? "telnet" : "tcp", c->host,
			     c->port, server) < 0)
			abort();
	} else {
		if (asprintf(&s, "%sfd:%s%s", prefix, c->fdstr, server) < 0)
			abort();
	}
	return s;
}

/* qemu_chr_compute_filename(): a connected socket. */
static char *connected_name(const struct fq_chardev *c, int fd)
{
	struct sockaddr_storage ss, ps;
	socklen_t sl = sizeof(ss), pl = sizeof(ps);
	char sh[NI_MAXHOST] = "", sv[NI_MAXSERV] = "", ph[NI_MAXHOST] = "", pv[NI_MAXSERV] = "";
	const char *l = "", *r = "";
	char *s;

	memset(&ss, 0, sizeof(ss));
	memset(&ps, 0, sizeof(ps));
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	getpeername(fd, (struct sockaddr *)&ps, &pl);
	switch (ss.ss_family) {
	case AF_UNIX: {
		const struct sockaddr_un *loc = (const void *)&ss, *peer = (const void *)&ps;

		/* 10.0 names the peer's path for a client; earlier versions the local one. */
		if (c->server || !fq_since(8, 0))
			s = xstrdup(loc->sun_path);
		else
			s = xstrdup(peer->sun_path);
		{
			char *t;

			if (asprintf(&t, "unix:%s%s", s, c->server ? server_suffix() : "") < 0)
				abort();
			free(s);
			return t;
		}
	}
	case AF_INET6:
		l = "[";
		r = "]";
		/* fall through */
	case AF_INET:
		getnameinfo((struct sockaddr *)&ss, sl, sh, sizeof(sh), sv, sizeof(sv),
			    NI_NUMERICHOST | NI_NUMERICSERV);
		getnameinfo((struct sockaddr *)&ps, pl, ph, sizeof(ph), pv, sizeof(pv),
			    NI_NUMERICHOST | NI_NUMERICSERV);
		if (asprintf(&s, "%s:%s%s%s:%s%s <-> %s%s%s:%s", c->telnet ? "telnet" : "tcp", l,
			     sh, r, sv, c->server ? server_suffix() : "", l, ph, r, pv) < 0)
			abort();
		return s;
	default:
		return xstrdup("unknown");
	}
}

void fq_chardev_connected(struct fq_chardev *c, int fd)
{
	free(c->filename);
	c->filename = fd >= 0 ? connected_name(c, fd) : socket_address(c, "disconnected:");
}

/* ---- sockets --------------------------------------------------------------- */

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/*
 * The address of a unix socket; an abstract one starts with a NUL, and a
 * "tight" one (the default) is as long as its name. @len gets the length.
 */
static bool unix_addr(const char *path, bool abstract, bool tight, struct sockaddr_un *sa,
		      socklen_t *len, struct fq_reply *r)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n + (abstract ? 1 : 0) >= sizeof(sa->sun_path) + (abstract ? 1 : 0)) {
		fq_reply_error(r, "GenericError", "UNIX socket path '%s' is too long", path);
		return false;
	}
	memcpy(sa->sun_path + (abstract ? 1 : 0), path, n);
	*len = abstract && tight ? (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)
				 : (socklen_t)sizeof(*sa);
	return true;
}

static int inet_socket(struct fq_chardev *c, bool listening, struct fq_reply *r)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res = NULL;
	int fd = -1, err = 0;

	if (listening)
		hints.ai_flags |= AI_PASSIVE;
	if (getaddrinfo(c->host && *c->host ? c->host : NULL, c->port, &hints, &res) != 0) {
		fq_reply_error(r, "GenericError", "address resolution failed for %s:%s", c->host,
			       c->port);
		return -1;
	}
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		int one = 1;

		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (listening) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1) < 0) {
				err = errno;
				close(fd);
				fd = -1;
			}
		} else if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
		if (fd >= 0)
			c->family = a->ai_family;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (listening)
			fq_reply_error(r, "GenericError", "Failed to bind socket: %s",
				       strerror(err));
		else
			fq_reply_error(r, "GenericError", "Failed to connect to '%s:%s': %s",
				       c->host, c->port, strerror(err));
		return -1;
	}
	if (listening && !strcmp(c->port, "0")) {
		/* The filename shows the port the kernel chose. */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char port[NI_MAXSERV];

		getsockname(fd, (struct sockaddr *)&ss, &sl);
		getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, port, sizeof(port),
			    NI_NUMERICSERV);
		free(c->port);
		c->port = xstrdup(port);
	}
	return fd;
}

/* socket_get_fd(): from QMP the name of an fd passed to the monitor, else a number. */
static int socket_from_fd(struct fq_chardev *c, struct fq_reply *r)
{
	struct fq_monitor *m = fq_qmp_current_monitor();
	int fd, type = 0, listening = 0;
	socklen_t len = sizeof(type);

	if (m) {
		fd = fq_monitor_get_fd(m, c->fdstr, r);
		if (fd < 0)
			return -1;
	} else {
		char *end;
		long v;

		errno = 0;
		v = strtol(c->fdstr, &end, 10);
		if (!*c->fdstr || *end || errno || v < 0 || v > 0x7fffffff) {
			fq_reply_error(r, "GenericError", "Unable to parse FD number %s", c->fdstr);
			return -1;
		}
		fd = (int)v;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		fq_reply_error(r, "GenericError", "File descriptor '%s' is not a socket", c->fdstr);
		return -1;
	}
	len = sizeof(listening);
	if (c->server &&
	    (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)) {
		fq_reply_error(r, "GenericError", "File descriptor '%s' is not a listening socket",
			       c->fdstr);
		return -1;
	}
	return fd;
}

static void watch_connection(struct fq_chardev *c);

static void take_connection(struct fq_chardev *c, int fd)
{
	c->conn_fd = fd;
	fq_chardev_connected(c, fd);
	fq_loop_unwatch(c->listen_fd);
	watch_connection(c);
}

/* A held connection went away: listen again (a server) or stay disconnected. */
static void on_conn_event(void *opaque, int fd, short revents)
{
	struct fq_chardev *c = opaque;

	(void)revents;
	fq_loop_unwatch(fd);
	close(fd);
	c->conn_fd = -1;
	fq_chardev_connected(c, -1);
	if (c->server && c->listen_fd >= 0 && !c->mon) {
		fq_loop_watch(c->listen_fd, POLLIN, on_listen, c);
		/*
		 * A client that connected while the last one was held (its
		 * connection waits in the backlog) is taken now, not on a later
		 * pass of the loop: otherwise a command read in the same pass
		 * would see the server disconnected, depending only on how fast
		 * this process runs. Real QEMU answers "connected" there.
		 */
		on_listen(c, c->listen_fd, 0);
	}
}

static void watch_connection(struct fq_chardev *c)
{
	/* No frontend reads, so only a hang-up wakes us (events 0 still reports it). */
	fq_loop_watch(c->conn_fd, 0, on_conn_event, c);
}

static void on_listen(void *opaque, int fd, short revents)
{
	struct fq_chardev *c = opaque;
	int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)revents;
	if (conn >= 0)
		take_connection(c, conn);
}

static bool open_socket(struct fq_chardev *c, json_object *data, bool startup, const char *loc,
			struct fq_reply *r)
{
	json_object *addr = json_object_object_get(data, "addr");
	json_object *ad = json_object_object_get(addr, "data"), *v;
	const char *type = json_object_get_string(json_object_object_get(addr, "type"));
	bool wait = true;

	c->is_socket = true;
	c->server = json_object_object_get_ex(data, "server", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(data, "wait", &v)) {
		wait = json_object_get_boolean(v);
		/* qmp_chardev_validate_socket(): deprecated by 5.2, refused since 7.0. */
		if (!c->server && fq_since(7, 0)) {
			fq_reply_error(
			    r, "GenericError",
			    "'wait' option is incompatible with socket in client connect "
			    "mode");
			return false;
		}
		if (!c->server)
			fq_warn("'wait' option is deprecated with socket in client connect mode");
	}
	c->telnet = json_object_object_get_ex(data, "telnet", &v) && json_object_get_boolean(v);
	if (!strcmp(type, "unix")) {
		struct sockaddr_un sa;
		socklen_t salen;
		bool abstract = json_object_object_get_ex(ad, "abstract", &v) &&
				json_object_get_boolean(v);
		bool tight = !json_object_object_get_ex(ad, "tight", &v) ||
			     json_object_get_boolean(v);
		int fd;

		c->family = AF_UNIX;
		c->path = xstrdup(json_object_get_string(json_object_object_get(ad, "path")));
		c->abstract = abstract;
		if (!unix_addr(c->path, abstract, tight, &sa, &salen, r))
			return false;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->server) {
			if (!abstract)
				unlink(c->path);
			if (bind(fd, (struct sockaddr *)&sa, salen) < 0 || listen(fd, 1) < 0) {
				fq_reply_error(r, "GenericError", "Failed to bind socket to %s: %s",
					       c->path, strerror(errno));
				close(fd);
				return false;
			}
			c->listen_fd = fd;
		} else if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
			fq_reply_error(r, "GenericError", "Failed to connect to '%s': %s", c->path,
				       strerror(errno));
			close(fd);
			return false;
		} else {
			c->conn_fd = fd;
		}
	} else if (!strcmp(type, "inet")) {
		int fd;

		c->family = AF_INET;
		c->host = xstrdup(json_object_get_string(json_object_object_get(ad, "host")));
		c->port = xstrdup(json_object_get_string(json_object_object_get(ad, "port")));
		fd = inet_socket(c, c->server, r);
		if (fd < 0)
			return false;
		if (c->server)
			c->listen_fd = fd;
		else
			c->conn_fd = fd;
	} else if (!strcmp(type, "fd")) {
		int fd;

		c->family = 0;
		c->fdstr = xstrdup(json_object_get_string(json_object_object_get(ad, "str")));
		fd = socket_from_fd(c, r);
		if (fd < 0)
			return false;
		if (c->server)
			c->listen_fd = fd;
		else
			c->conn_fd = fd;
	} else {
		fq_reply_error(r, "GenericError",
			       "fakeqemu: socket chardevs of type '%s' are not "
			       "modelled (unix, inet and fd are)",
			       type);
		return false;
	}
	if (c->listen_fd >= 0) {
		set_nonblock(c->listen_fd);
		fq_chardev_connected(c, -1);
		if (wait && startup) {
			struct pollfd p = {.fd = c->listen_fd, .events = POLLIN};
			int conn;

			fprintf(stderr, "%s: %s: info: QEMU waiting for connection on: %s\n",
				fq_vm.cfg.progname, loc, c->filename);
			while (poll(&p, 1, -1) < 0 && errno == EINTR)
				;
			conn = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (conn >= 0)
				take_connection(c, conn);
		}
		if (c->conn_fd < 0)
			fq_loop_watch(c->listen_fd, POLLIN, on_listen, c);
	} else {
		set_nonblock(c->conn_fd);
		fq_chardev_connected(c, c->conn_fd);
		watch_connection(c);
	}
	return true;
}

/* ---- other backends ---------------------------------------------------------- */

static bool open_file(struct fq_chardev *c, json_object *data, struct fq_reply *r)
{
	const char *out = json_object_get_string(json_object_object_get(data, "out"));
	json_object *v;
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC;

	if (json_object_object_get_ex(data, "append", &v) && json_object_get_boolean(v))
		flags |= O_APPEND;
	else
		flags |= O_TRUNC;
	c->fd = open(out, flags, 0666);
	if (c->fd < 0) {
		fq_reply_error(r, "GenericError", "Could not open '%s': %s", out, strerror(errno));
		return false;
	}
	return true;
}

/* A host device (serial, parallel, pipe): it must open. */
static bool open_hostdev(struct fq_chardev *c, json_object *data, struct fq_reply *r)
{
	const char *dev = json_object_get_string(json_object_object_get(data, "device"));
	char *in = NULL, *out = NULL;

	if (!strcmp(c->backend, "pipe")) {
		/* qemu_chr_open_pipe(): PATH.in and PATH.out, else PATH itself. */
		if (asprintf(&in, "%s.in", dev) < 0 || asprintf(&out, "%s.out", dev) < 0)
			abort();
		c->fd = open(out, O_RDWR | O_CLOEXEC | O_NONBLOCK);
		free(in);
		free(out);
		if (c->fd >= 0)
			return true;
	}
	c->fd = open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (c->fd < 0) {
		fq_reply_error(r, "GenericError", "Could not open '%s': %s", dev, strerror(errno));
		return false;
	}
	return true;
}

static bool open_pty(struct fq_chardev *c, bool startup, struct fq_reply *r)
{
	const char *name;

	c->fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->fd < 0 || grantpt(c->fd) < 0 || unlockpt(c->fd) < 0 || !(name = ptsname(c->fd))) {
		fq_reply_error(r, "GenericError", "Failed to create PTY: %s", strerror(errno));
		return false;
	}
	free(c->filename);
	if (asprintf(&c->filename, "pty:%s", name) < 0)
		abort();
	/* qemu_printf(): stdout on the command line; a QMP monitor drops it. */
	if (startup) {
		printf("char device redirected to %s (label %s)\n", name, c->id);
		fflush(stdout);
	}
	return true;
}

static bool open_ringbuf(json_object *data, struct fq_reply *r)
{
	json_object *v;
	long long size = 65536;

	if (json_object_object_get_ex(data, "size", &v))
		size = json_object_get_int64(v);
	if (size <= 0 || (size & (size - 1))) {
		fq_reply_error(r, "GenericError", "size of ringbuf chardev must be power of two");
		return false;
	}
	return true;
}

/* ---- creation -------------------------------------------------------------- */

static void chardev_free(void *p)
{
	struct fq_chardev *c = p;

	if (!c)
		return;
	if (c->listen_fd >= 0) {
		/* The listener's close removes the socket file, as at exit. */
		if (c->family == AF_UNIX && c->path && !c->abstract)
			unlink(c->path);
		fq_loop_unwatch(c->listen_fd);
		close(c->listen_fd);
	}
	if (c->conn_fd >= 0) {
		fq_loop_unwatch(c->conn_fd);
		close(c->conn_fd);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->id);
	free(c->backend);
	free(c->filename);
	free(c->path);
	free(c->host);
	free(c->port);
	free(c->fdstr);
	free(c);
}

/*
 * chardev_new() - qemu_chardev_new(): open @backend ({"type", "data"}) as @id.
 * @startup: created from the command line (pty prints, wait=on blocks).
 */
static struct fq_chardev *chardev_new(const char *id, json_object *backend, bool startup,
				      const char *loc, struct fq_reply *r)
{
	const char *type = json_object_get_string(json_object_object_get(backend, "type"));
	json_object *data = json_object_object_get(backend, "data");
	struct fq_chardev *c;
	struct fq_backend *b;
	bool ok = true;

	type = driver_name(type ? type : "");
	if (!word_in(backend_names(), type)) {
		fq_reply_error(r, "GenericError", "'%s' is not a valid char driver name", type);
		return NULL;
	}
	if (fq_chardev_find(id)) {
		if (fq_since(6, 0))
			fq_reply_error(r, "GenericError", "Chardev with id '%s' already exists",
				       id);
		else
			fq_reply_error(r, "GenericError",
				       "attempt to add duplicate property '%s' to object (type "
				       "'container')",
				       id);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->id = xstrdup(id);
	c->backend = xstrdup(type);
	c->listen_fd = c->conn_fd = c->fd = -1;
	/* Backends that do not name themselves show their type (typename + 8). */
	c->filename = xstrdup(type);
	if (!strcmp(type, "socket"))
		ok = open_socket(c, data, startup, loc, r);
	else if (!strcmp(type, "file"))
		ok = open_file(c, data, r);
	else if (!strcmp(type, "serial") || !strcmp(type, "parallel") || !strcmp(type, "pipe"))
		ok = open_hostdev(c, data, r);
	else if (!strcmp(type, "pty"))
		ok = open_pty(c, startup, r);
	else if (!strcmp(type, "ringbuf") || !strcmp(type, "memory"))
		ok = open_ringbuf(data, r);
	else if (!strcmp(type, "mux") || !strcmp(type, "hub")) {
		const char *base = json_object_get_string(json_object_object_get(data, "chardev"));

		if (!fq_chardev_find(base)) {
			fq_reply_error(r, "GenericError", "mux: base chardev %s not found", base);
			ok = false;
		}
	}
	if (!ok) {
		chardev_free(c);
		return NULL;
	}
	c->order = next_order++;
	fq_gtable_insert(root(), id, c);
	b = fq_backend_add(FQ_BACKEND_CHARDEV, id, type, json_object_get(backend));
	if (b) {
		b->priv = c;
		b->free_priv = chardev_free;
	}
	return c;
}

/* ---- the command line ---------------------------------------------------------- */

static void json_add_str(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void json_add_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

/* An "on/off" option as a bool member (absent: not added). */
static void opt_bool(const struct fq_opts *o, const char *key, const char *member, json_object *d,
		     bool invert)
{
	int v = fq_opts_get_bool(o, key, false);

	if (fq_opts_get(o, key))
		json_add_bool(d, member, invert ? !v : v);
}

/*
 * qemu_chr_parse_*(): QemuOpts -> ChardevBackend. Returns NULL with @r set
 * on errors QEMU reports while parsing.
 */
static json_object *backend_from_opts(const struct fq_opts *o, const char *type, struct fq_reply *r)
{
	json_object *be = json_object_new_object(), *d = json_object_new_object();
	const char *path = fq_opts_get(o, "path");

	json_add_str(be, "type", type);
	json_object_object_add(be, "data", d);
	json_add_str(d, "logfile", fq_opts_get(o, "logfile"));
	opt_bool(o, "logappend", "logappend", d, false);
	if (!strcmp(type, "socket")) {
		const char *host = fq_opts_get(o, "host"), *port = fq_opts_get(o, "port");
		const char *fd = fq_opts_get(o, "fd");
		json_object *addr = json_object_new_object(), *ad = json_object_new_object();

		if (!fq_since(6, 0) && (!!path + !!host + !!fd) != 1) {
			fq_reply_error(r, "GenericError",
				       "Exactly one of 'path', 'fd' or 'host' required");
			json_object_put(addr);
			json_object_put(ad);
			json_object_put(be);
			return NULL;
		}
		if (path) {
			json_add_str(addr, "type", "unix");
			json_add_str(ad, "path", path);
			/* Linux's abstract namespace (5.1). */
			opt_bool(o, "abstract", "abstract", ad, false);
			opt_bool(o, "tight", "tight", ad, false);
		} else if (host) {
			if (!port) {
				fq_reply_error(r, "GenericError", "chardev: socket: no port given");
				json_object_put(addr);
				json_object_put(ad);
				json_object_put(be);
				return NULL;
			}
			json_add_str(addr, "type", "inet");
			json_add_str(ad, "host", host);
			json_add_str(ad, "port", port);
		} else {
			json_add_str(addr, "type", "fd");
			json_add_str(ad, "str", fd ? fd : "");
		}
		json_object_object_add(addr, "data", ad);
		json_object_object_add(d, "addr", addr);
		json_add_bool(d, "server", fq_opts_get_bool(o, "server", false) == 1);
		opt_bool(o, "wait", "wait", d, false);
		opt_bool(o, "telnet", "telnet", d, false);
		opt_bool(o, "websocket", "websocket", d, false);
		opt_bool(o, "delay", "nodelay", d, true);
		opt_bool(o, "nodelay", "nodelay", d, false);
	} else if (!strcmp(type, "file")) {
		if (!path) {
			fq_reply_error(r, "GenericError", "chardev: file: no filename given");
			json_object_put(be);
			return NULL;
		}
		json_add_str(d, "out", path);
		opt_bool(o, "append", "append", d, false);
	} else if (!strcmp(type, "serial") || !strcmp(type, "parallel") || !strcmp(type, "pipe")) {
		if (!path) {
			fq_reply_error(r, "GenericError", "chardev: %s: no %s given", type,
				       strcmp(type, "pipe") ? "device path" : "filename");
			json_object_put(be);
			return NULL;
		}
		json_add_str(d, "device", path);
	} else if (!strcmp(type, "ringbuf") || !strcmp(type, "memory")) {
		const char *size = fq_opts_get(o, "size");
		uint64_t bytes;

		/* fq_cmdline_check() has refused what is no size. */
		if (size && fq_strtosz(size, &bytes, NULL) == 0)
			json_object_object_add(d, "size", json_object_new_int64((int64_t)bytes));
	} else if (!strcmp(type, "stdio")) {
		opt_bool(o, "signal", "signal", d, false);
	} else if (!strcmp(type, "mux") || !strcmp(type, "hub")) {
		json_add_str(d, "chardev", fq_opts_get(o, "chardev"));
	}
	return be;
}

static void queue_add(const char *location, const char *text, const char *label)
{
	struct queued *q = calloc(1, sizeof(*q)), **pp;

	if (!q)
		abort();
	q->location = xstrdup(location);
	q->text = xstrdup(text);
	q->label = xstrdup(label);
	for (pp = &queue; *pp; pp = &(*pp)->next)
		;
	*pp = q;
}

/* The id of a queued chardev (its label, or id= of its text). */
static char *queued_id(const struct queued *q)
{
	struct fq_opts o;
	char *id;

	if (q->label)
		return xstrdup(q->label);
	fq_opts_parse(q->text, "backend", &o);
	id = xstrdup(fq_opts_get(&o, "id"));
	fq_opts_free(&o);
	return id;
}

void fq_chardev_option(const char *arg)
{
	struct fq_opts o;
	const char *id;
	char *location;

	if (asprintf(&location, "-chardev %s", arg) < 0)
		abort();
	fq_opts_parse_noisily(location, arg, "backend", &o);
	fq_cmdline_check("chardev", location, &o);
	id = fq_opts_get(&o, "id");
	if (id && !fq_id_wellformed(id))
		fq_die("%s: Parameter 'id' expects an identifier\nIdentifiers consist of letters, "
		       "digits, '-', '.', '_', starting with a letter.",
		       location);
	for (struct queued *q = queue; q && id; q = q->next) {
		char *other = queued_id(q);
		bool dup = other && !strcmp(other, id);

		free(other);
		if (dup)
			fq_die("%s: Duplicate ID '%s' for chardev", location, id);
	}
	fq_opts_free(&o);
	queue_add(location, arg, NULL);
	free(location);
}

/* ",key=value" with every comma of the value doubled (QemuOpts text). */
static void add_opt(struct strbuf *b, const char *key, const char *val)
{
	strbuf_addf(b, ",%s=", key);
	for (const char *p = val; *p; p++) {
		if (*p == ',')
			strbuf_addc(b, ',');
		strbuf_addc(b, *p);
	}
}

/* qemu_opts_do_parse() of @params into @b: false (reported) on a bad option. */
static bool add_params(struct strbuf *b, const char *location, const char *params,
		       const char *implied)
{
	struct fq_opts o;
	char *err;

	fq_opts_parse(params, implied, &o);
	err = fq_cmdline_error("chardev", location, &o);
	if (err) {
		fq_report_location(location);
		fq_error_report("%s", err);
		fq_report_location(NULL);
		free(err);
		fq_opts_free(&o);
		return false;
	}
	for (size_t i = 0; i < o.n; i++)
		add_opt(b, o.items[i].key, o.items[i].value);
	fq_opts_free(&o);
	return true;
}

/*
 * qemu_chr_parse_compat(): a legacy "backend:address,options" argument as
 * -chardev text (malloc'd), or NULL when it is none (what QEMU reports about
 * it reported). "mon:" only where a monitor may be muxed in.
 */
static char *parse_compat(const char *location, const char *filename, bool permit_mux_mon)
{
	static const char *const simple[] = {"null",	"pty",	   "msmouse", "wctablet",
					     "braille", "testdev", "stdio",   NULL};
	struct strbuf b = {0};
	char host[65], port[33], w[8], h[8];
	bool mux = false;
	const char *p;
	int pos = 0;

	if (!strncmp(filename, "mon:", 4)) {
		if (!permit_mux_mon) {
			fq_report_location(location);
			fq_error_report("mon: isn't supported in this context");
			fq_report_location(NULL);
			return NULL;
		}
		filename += 4;
		mux = true;
	}
	for (int i = 0; simple[i]; i++)
		if (!strcmp(filename, simple[i])) {
			strbuf_addf(&b, "backend=%s", filename);
			/* Muxed onto stdio, Ctrl-C goes to the guest. */
			if (mux && !strcmp(filename, "stdio"))
				strbuf_adds(&b, ",signal=off");
			goto done;
		}
	if (!strncmp(filename, "vc", 2)) {
		p = filename + 2;
		strbuf_adds(&b, "backend=vc");
		if (*p == ':') {
			if (sscanf(p + 1, "%7[0-9]x%7[0-9]", w, h) == 2) {
				add_opt(&b, "width", w);
				add_opt(&b, "height", h);
			} else if (sscanf(p + 1, "%7[0-9]Cx%7[0-9]C", w, h) == 2) {
				add_opt(&b, "cols", w);
				add_opt(&b, "rows", h);
			} else {
				goto fail;
			}
		}
		goto done;
	}
	if (!strcmp(filename, "con:")) {
		strbuf_adds(&b, "backend=console");
		goto done;
	}
	if (!strncmp(filename, "COM", 3) || !strncmp(filename, "/dev/", 5)) {
		bool par = !strncmp(filename, "/dev/parport", 12) || !strncmp(filename, "/dev/ppi", 8);

		strbuf_addf(&b, "backend=%s", par ? "parallel" : "serial");
		add_opt(&b, "path", filename);
		goto done;
	}
	if (!strncmp(filename, "file:", 5) || !strncmp(filename, "pipe:", 5)) {
		strbuf_addf(&b, "backend=%.4s", filename);
		add_opt(&b, "path", filename + 5);
		goto done;
	}
	if (!strncmp(filename, "tcp:", 4) || !strncmp(filename, "telnet:", 7) ||
	    !strncmp(filename, "tn3270:", 7) || !strncmp(filename, "websocket:", 10)) {
		p = strchr(filename, ':') + 1;
		if (sscanf(p, "%64[^:]:%32[^,]%n", host, port, &pos) < 2) {
			host[0] = 0;
			if (sscanf(p, ":%32[^,]%n", port, &pos) < 1)
				goto fail;
		}
		strbuf_adds(&b, "backend=socket");
		add_opt(&b, "host", host);
		add_opt(&b, "port", port);
		if (p[pos] == ',' && !add_params(&b, location, p + pos + 1, NULL))
			goto fail;
		if (filename[0] != 't' || filename[1] != 'c')
			add_opt(&b, filename[0] == 'w' ? "websocket" : filename[1] == 'e' ? "telnet"
								   : "tn3270",
				"on");
		goto done;
	}
	if (!strncmp(filename, "udp:", 4)) {
		p = filename + 4;
		strbuf_adds(&b, "backend=udp");
		if (sscanf(p, "%64[^:]:%32[^@,]%n", host, port, &pos) < 2) {
			host[0] = 0;
			if (sscanf(p, ":%32[^@,]%n", port, &pos) < 1)
				goto fail;
		}
		add_opt(&b, "host", host);
		add_opt(&b, "port", port);
		if (p[pos] == '@') {
			p += pos + 1;
			if (sscanf(p, "%64[^:]:%32[^,]%n", host, port, &pos) < 2) {
				host[0] = 0;
				if (sscanf(p, ":%32[^,]%n", port, &pos) < 1)
					goto fail;
			}
			add_opt(&b, "localaddr", host);
			add_opt(&b, "localport", port);
		}
		goto done;
	}
	if (!strncmp(filename, "unix:", 5)) {
		strbuf_adds(&b, "backend=socket");
		if (!add_params(&b, location, filename + 5, "path"))
			goto fail;
		goto done;
	}
	fq_report_location(location);
	fq_error_report("'%s' is not a valid char driver", filename);
	fq_report_location(NULL);
fail:
	strbuf_free(&b);
	return NULL;
done:
	if (mux)
		strbuf_adds(&b, ",mux=on");
	return strbuf_steal(&b);
}

void fq_chardev_compat(const char *option, const char *arg, const char *label)
{
	char *location, *text;

	if (asprintf(&location, "-%s %s", option, arg) < 0)
		abort();
	text = parse_compat(location, arg, true);
	if (!text)
		fq_die("%s: parse error: %s", location, arg);
	queue_add(location, text, label);
	free(text);
	free(location);
}

void fq_chardevs_create(void)
{
	struct queued *q = queue;

	for (; q; q = q->next) {
		struct fq_reply r = {0};
		struct fq_opts o;
		const char *type;
		char *id = queued_id(q);
		json_object *be;

		fq_opts_parse(q->text, "backend", &o);
		type = fq_opts_get(&o, "backend");
		if (!id)
			fq_die("%s: chardev: no id specified", q->location);
		if (!type || !word_in(backend_names(), driver_name(type)))
			fq_die("%s: '%s' is not a valid char driver name", q->location,
			       type ? type : "");
		be = backend_from_opts(&o, driver_name(type), &r);
		if (be)
			chardev_new(id, be, true, q->location, &r);
		if (r.err_class) {
			if (strstr(r.err_desc, "UNIX socket path") == r.err_desc)
				fq_die("%s: %s\nPath must be less than %zu bytes", q->location,
				       r.err_desc, sizeof(((struct sockaddr_un *)0)->sun_path));
			fq_die("%s: %s", q->location, r.err_desc);
		}
		json_object_put(be);
		fq_opts_free(&o);
		free(id);
	}
}

/* ---- a device's own use of a socket (vhost-user) ------------------------------- */

int fq_chardev_wait_connected(struct fq_chardev *c)
{
	struct fq_reply r = {0};
	int fd = -1;

	if (!c->is_socket)
		return -1;
	if (c->conn_fd >= 0)
		return c->conn_fd;
	if (c->server && c->listen_fd >= 0) {
		/* tcp_chr_wait_connected(): QEMU blocks until a client comes. */
		fq_error_report("QEMU waiting for connection on: %s", c->filename);
		fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return -1;
		take_connection(c, fd);
		return fd;
	}
	if (c->family == AF_UNIX && c->path) {
		struct sockaddr_un sa;
		socklen_t salen;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && (!unix_addr(c->path, c->abstract, true, &sa, &salen, &r) ||
				connect(fd, (struct sockaddr *)&sa, salen) < 0)) {
			close(fd);
			fd = -1;
		}
	} else if (c->host) {
		fd = inet_socket(c, false, &r);
	}
	free(r.err_class);
	free(r.err_desc);
	if (fd < 0)
		return -1;
	c->conn_fd = fd;
	fq_chardev_connected(c, fd);
	watch_connection(c);
	return fd;
}

void fq_chardev_disconnect(struct fq_chardev *c)
{
	if (c->conn_fd < 0)
		return;
	fq_loop_unwatch(c->conn_fd);
	close(c->conn_fd);
	c->conn_fd = -1;
	fq_chardev_connected(c, -1);
	if (c->server && c->listen_fd >= 0 && !c->mon)
		fq_loop_watch(c->listen_fd, POLLIN, on_listen, c);
}

/* ---- frontends ---------------------------------------------------------------- */

void fq_chardev_set_frontend(struct fq_chardev *c, struct fq_monitor *mon)
{
	struct fq_backend *b = fq_backend_find(FQ_BACKEND_CHARDEV, c->id);

	c->mon = mon;
	c->fe_open = mon != NULL;
	if (b && mon)
		fq_backend_claim(b, "monitor");
	if (mon && c->listen_fd >= 0)
		fq_loop_unwatch(c->listen_fd); /* the monitor accepts from now on */
}

json_object *fq_chardev_yank_instances(void)
{
	json_object *list = json_object_new_array();

	for (unsigned n = 0; n < next_order; n++) {
		size_t pos = 0;
		struct fq_chardev *c;

		while ((c = fq_gtable_next(root(), &pos, NULL)))
			if (c->order == n && c->is_socket) {
				json_object *e = json_object_new_object();

				json_add_str(e, "type", "chardev");
				json_add_str(e, "id", c->id);
				json_object_array_add(list, e);
			}
	}
	return list;
}

void fq_chardevs_cleanup(void)
{
	size_t pos = 0;
	struct fq_chardev *c;

	/* QEMU removes the unix sockets it listened on when it exits. */
	while ((c = fq_gtable_next(root(), &pos, NULL))) {
		if (c->server && c->family == AF_UNIX && c->path && !c->abstract)
			unlink(c->path);
		if (c->conn_fd >= 0)
			close(c->conn_fd);
		c->conn_fd = -1;
	}
}

/* ---- QMP ----------------------------------------------------------------------- */

void fq_cmd_chardev_add(json_object *args, struct fq_reply *r)
{
	const char *id = json_object_get_string(json_object_object_get(args, "id"));
	json_object *backend = json_object_object_get(args, "backend");
	struct fq_reply inner = {0};
	struct fq_chardev *c = chardev_new(id, backend, false, NULL, &inner);

	if (!c) {
		/* qmp_chardev_add() prefixes open errors since 6.0; not the duplicate check. */
		if (fq_since(6, 0) && strncmp(inner.err_desc, "Chardev with id", 15) &&
		    !strstr(inner.err_desc, "is not a valid char driver name"))
			fq_reply_error(r, inner.err_class, "Failed to add chardev '%s': %s", id,
				       inner.err_desc);
		else
			fq_reply_error(r, inner.err_class, "%s", inner.err_desc);
		free(inner.err_class);
		free(inner.err_desc);
		return;
	}
	if (!strcmp(c->backend, "pty")) {
		json_object *ret = json_object_new_object();

		json_add_str(ret, "pty", c->filename + 4);
		r->ret = ret;
	}
}

void fq_cmd_chardev_remove(json_object *args, struct fq_reply *r)
{
	const char *id = json_object_get_string(json_object_object_get(args, "id"));
	struct fq_chardev *c = fq_chardev_find(id);
	struct fq_backend *b = fq_backend_find(FQ_BACKEND_CHARDEV, id);

	if (!c) {
		fq_reply_error(r, "GenericError", "Chardev '%s' not found", id);
		return;
	}
	if (c->mon || (b && b->user)) {
		fq_reply_error(r, "GenericError", "Chardev '%s' is busy", id);
		return;
	}
	fq_gtable_remove(root(), id);
	if (b)
		fq_backend_remove(b); /* frees the chardev */
	else
		chardev_free(c);
}

/* QAPI_LIST_PREPEND over a whole walk: @list reversed in place. */
static void reverse(json_object *list)
{
	size_t n = json_object_array_length(list);

	for (size_t i = 0; i < n / 2; i++) {
		json_object *a = json_object_get(json_object_array_get_idx(list, i));
		json_object *b = json_object_get(json_object_array_get_idx(list, n - 1 - i));

		json_object_array_put_idx(list, i, b);
		json_object_array_put_idx(list, n - 1 - i, a);
	}
}

/*
 * frontend-open: a monitor holds its chardev open; of the devices, consoles
 * and serial/parallel ports open theirs at realize (qemu_chr_fe_set_open()
 * or set_handlers(..., true)), while a virtserialport waits for the guest.
 */
static bool frontend_open(const struct fq_chardev *c)
{
	static const char *const opening[] = {"virtconsole",   "isa-serial",	"pci-serial",
					      "pci-serial-2x", "pci-serial-4x", "usb-serial",
					      "isa-parallel",  "isa-debugcon",	NULL};
	struct fq_backend *b = fq_backend_find(FQ_BACKEND_CHARDEV, c->id);
	struct fq_device *d = b && b->user ? fq_device_by_path(b->user) : NULL;

	if (c->fe_open)
		return true;
	for (int i = 0; d && opening[i]; i++)
		if (!strcmp(d->driver, opening[i]))
			return true;
	return false;
}

void fq_cmd_query_chardev(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();
	size_t pos = 0;
	struct fq_chardev *c;

	(void)args;
	/* object_child_foreach() + QAPI_LIST_PREPEND: the table's order reversed. */
	while ((c = fq_gtable_next(root(), &pos, NULL))) {
		json_object *e = json_object_new_object();

		json_add_bool(e, "frontend-open", frontend_open(c));
		json_add_str(e, "filename", c->filename);
		json_add_str(e, "label", c->id);
		json_object_array_add(list, e);
	}
	reverse(list);
	r->ret = list;
}

void fq_cmd_query_chardev_backends(json_object *args, struct fq_reply *r)
{
	(void)args;
	if (!fq_rec_reply(fq_data_recorded_reply("query-chardev-backends"), r))
		r->ret = json_object_new_array();
}

void fq_chardev_info_lines(struct strbuf *out)
{
	struct fq_reply r = {0};
	size_t n;

	fq_cmd_query_chardev(NULL, &r);
	n = json_object_array_length(r.ret);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(r.ret, i);

		strbuf_addf(out, "%s: filename=%s\r\n",
			    json_object_get_string(json_object_object_get(e, "label")),
			    json_object_get_string(json_object_object_get(e, "filename")));
	}
	json_object_put(r.ret);
}
