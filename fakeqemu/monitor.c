/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monitor.c - QMP monitors: listening sockets, one client each, greeting, I/O */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fakeqemu.h"
#include "loop.h"
#include "monitor.h"
#include "opts.h"
#include "qjson.h"
#include "qmp_dispatch.h"

struct fq_monitor *fq_monitors;

/* -chardev socket definitions waiting for a -mon. */
struct chardev {
	char *id;
	char *text;
	char *path;
	int fd;
	bool server, wait;
	bool used;
	struct chardev *next;
};
static struct chardev *chardevs;

static void on_listen(void *opaque, int fd, short revents);
static void on_client(void *opaque, int fd, short revents);

static void set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static struct fq_monitor *monitor_new(const char *label)
{
	struct fq_monitor *m = calloc(1, sizeof(*m)), **pp;

	if (!m)
		abort();
	m->label = strdup(label);
	m->listen_fd = -1;
	m->client_fd = -1;
	for (pp = &fq_monitors; *pp; pp = &(*pp)->next)
		;
	*pp = m;
	return m;
}

/* Bind and listen on @path, as QEMU's socket chardev does. */
static int listen_path(const char *path, const char *option)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		fq_die("%s: UNIX socket path '%s' is too long", option, path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fq_die("socket: %s", strerror(errno));
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		fq_die("%s: Failed to bind socket to %s: %s", option, path, strerror(errno));
	if (listen(fd, 1) < 0)
		fq_die("%s: Failed to listen on socket: %s", option, strerror(errno));
	return fd;
}

/* Adopt a pre-opened listening socket given as fd=N. */
static int adopt_fd(const char *text)
{
	char *end;
	long fd = strtol(text, &end, 10);
	int type = 0, listening = 0;
	socklen_t len = sizeof(type);

	if (*end || end == text || fd < 0)
		fq_die("Unable to parse fd '%s'", text);
	if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		fq_die("File descriptor '%ld' is not a socket", fd);
	len = sizeof(listening);
	if (getsockopt((int)fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
		fq_die("File descriptor '%ld' is not a listening socket", fd);
	return (int)fd;
}

void fq_monitor_add_qmp(const char *arg, bool pretty)
{
	struct fq_opts o;
	const char *backend;
	struct fq_monitor *m;
	int server, wait;

	fq_opts_parse(arg, "backend", &o);
	backend = fq_opts_get(&o, "backend");
	if (!backend || strncmp(backend, "unix:", 5) != 0 || !backend[5])
		fq_die("-qmp %s: fakeqemu supports only unix:PATH,server=on,wait=off monitors",
		       arg);
	server = fq_opts_get_bool(&o, "server", false);
	wait = fq_opts_get_bool(&o, "wait", true);
	if (server != 1)
		fq_die("-qmp %s: fakeqemu supports only server=on monitors", arg);
	m = monitor_new(backend + 5);
	m->path = strdup(backend + 5);
	if (asprintf(&m->option, "-qmp %s", arg) < 0)
		abort();
	m->from_qmp_option = true;
	m->wait = wait == 1;
	m->pretty = pretty;
	fq_opts_free(&o);
}

void fq_monitor_add_chardev(const char *arg)
{
	struct fq_opts o;
	struct chardev *c;
	const char *id, *path, *fd;

	fq_opts_parse(arg, "backend", &o);
	id = fq_opts_get(&o, "id");
	if (!id)
		fq_die("-chardev %s: Parameter 'id' is missing", arg);
	if (strcmp(fq_opts_get(&o, "backend"), "socket") != 0) {
		/* Other backends (stdio, file, pty...) are accepted and not served. */
		fq_opts_free(&o);
		return;
	}
	path = fq_opts_get(&o, "path");
	fd = fq_opts_get(&o, "fd");
	if (!path && !fd && !fq_opts_get(&o, "host")) {
		if (fq_vm.cfg.dialect->old_errors)
			fq_die("-chardev %s: Exactly one of 'path', 'fd' or 'host' required", arg);
		fq_die("-chardev %s: Unable to parse FD number ", arg);
	}
	if (!path && !fd)
		fq_die("-chardev %s: fakeqemu supports socket chardevs with path= or fd= only",
		       arg);
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->id = strdup(id);
	c->text = strdup(arg);
	c->path = path ? strdup(path) : NULL;
	c->fd = fd ? adopt_fd(fd) : -1;
	c->server = fq_opts_get_bool(&o, "server", false) == 1;
	c->wait = fq_opts_get_bool(&o, "wait", true) == 1;
	c->next = chardevs;
	chardevs = c;
	fq_opts_free(&o);
}

void fq_monitor_add_mon(const char *arg)
{
	struct fq_opts o;
	const char *id, *mode;
	struct fq_monitor *m;
	struct chardev *c;

	fq_opts_parse(arg, "chardev", &o);
	id = fq_opts_get(&o, "chardev");
	mode = fq_opts_get(&o, "mode");
	if (!id)
		fq_die("-mon %s: Parameter 'chardev' is missing", arg);
	for (c = chardevs; c && strcmp(c->id, id) != 0; c = c->next)
		;
	if (!c)
		fq_die("-mon %s: chardev \"%s\" not found", arg, id);
	if (!mode || strcmp(mode, "control") != 0) {
		/* An HMP monitor: accepted, not served. */
		fq_opts_free(&o);
		return;
	}
	if (!c->server)
		fq_die("-chardev %s: fakeqemu supports only server=on QMP chardevs", c->id);
	m = monitor_new(c->id);
	m->path = c->fd < 0 ? strdup(c->path) : NULL;
	if (asprintf(&m->option, "-chardev %s", c->text) < 0)
		abort();
	m->listen_fd = c->fd;
	m->wait = c->wait && c->fd < 0;
	m->pretty = fq_opts_get_bool(&o, "pretty", false) == 1;
	c->used = true;
	fq_opts_free(&o);
}

static void send_greeting(struct fq_monitor *m)
{
	json_object *g = fq_qmp_greeting();

	fq_monitor_send(m, g);
	json_object_put(g);
}

static void accept_client(struct fq_monitor *m)
{
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	m->client_fd = fd;
	m->negotiated = false;
	m->oob_enabled = false;
	m->busy = false;
	strbuf_reset(&m->in);
	m->in_pos = 0;
	strbuf_reset(&m->out);
	fq_json_parser_reset(m->parser);
	/* One client at a time: stop accepting until this one leaves. */
	fq_loop_unwatch(m->listen_fd);
	fq_loop_watch(fd, POLLIN, on_client, m);
	send_greeting(m);
}

static void on_listen(void *opaque, int fd, short revents)
{
	(void)fd;
	(void)revents;
	accept_client(opaque);
}

void fq_monitors_start(void)
{
	for (struct fq_monitor *m = fq_monitors; m; m = m->next) {
		m->parser = fq_json_parser_new(fq_qmp_handle_input, m);
		if (m->listen_fd < 0)
			m->listen_fd = listen_path(m->path, m->option);
		set_nonblock(m->listen_fd);
		if (m->wait) {
			struct pollfd p = {.fd = m->listen_fd, .events = POLLIN};

			fprintf(stderr,
				"%s: -qmp: info: QEMU waiting for connection on: "
				"disconnected:unix:%s,server=on\n",
				fq_vm.cfg.progname, m->path);
			while (poll(&p, 1, -1) < 0 && errno == EINTR)
				;
			accept_client(m);
		} else {
			fq_loop_watch(m->listen_fd, POLLIN, on_listen, m);
		}
	}
}

void fq_monitor_disconnect(struct fq_monitor *m)
{
	if (m->client_fd < 0)
		return;
	fq_loop_unwatch(m->client_fd);
	close(m->client_fd);
	m->client_fd = -1;
	m->negotiated = false;
	m->busy = false;
	m->drop_after_write = false;
	m->hold_output = m->hold_next = false;
	m->hold_timer = 0;
	m->split_bytes = 0;
	m->split_wait = false;
	fq_loop_cancel_opaque(m);
	strbuf_reset(&m->in);
	m->in_pos = 0;
	strbuf_reset(&m->out);
	fq_json_parser_reset(m->parser);
	fq_qmp_connection_closed(m);
	if (m->listen_fd >= 0)
		fq_loop_watch(m->listen_fd, POLLIN, on_listen, m);
}

static void update_watch(struct fq_monitor *m)
{
	short ev = 0;

	if (m->client_fd < 0)
		return;
	/* QEMU stops reading while a command is in progress (no OOB). */
	ev = POLLIN;
	if (m->out.len && !m->hold_output && !m->split_wait)
		ev |= POLLOUT;
	fq_loop_watch(m->client_fd, ev, on_client, m);
}

static void split_timer(void *opaque)
{
	struct fq_monitor *m = opaque;

	m->split_wait = false;
	update_watch(m);
}

static void write_out(struct fq_monitor *m)
{
	size_t n = m->out.len;
	ssize_t w;

	if (m->split_bytes > 0 && n > (size_t)m->split_bytes)
		n = (size_t)m->split_bytes;
	w = send(m->client_fd, m->out.buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fq_monitor_disconnect(m);
		return;
	}
	strbuf_consume(&m->out, (size_t)w);
	if (m->out.len == 0) {
		/* A big reply (query-qmp-schema) leaves no big buffer behind. */
		if (m->out.cap > 65536)
			strbuf_free(&m->out);
		m->split_bytes = 0;
		if (m->drop_after_write) {
			fq_monitor_disconnect(m);
			return;
		}
	} else if (m->split_bytes > 0) {
		/* Give the reader a chance to see each piece on its own. */
		m->split_wait = true;
		fq_loop_timer(2, split_timer, m);
		return;
	}
	update_watch(m);
}

/* Feed buffered input one byte at a time until a command suspends us. */
static void process_input(struct fq_monitor *m)
{
	while (!m->busy && m->client_fd >= 0 && m->in_pos < m->in.len)
		fq_json_parser_feed_byte(m->parser, (unsigned char)m->in.buf[m->in_pos++]);
	if (m->in_pos == m->in.len) {
		strbuf_reset(&m->in);
		m->in_pos = 0;
	}
}

static void on_client(void *opaque, int fd, short revents)
{
	struct fq_monitor *m = opaque;
	char buf[4096];

	if (revents & POLLOUT)
		write_out(m);
	if (m->client_fd != fd)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			fq_monitor_disconnect(m);
			return;
		}
		if (n > 0) {
			strbuf_add(&m->in, buf, (size_t)n);
			process_input(m);
		}
	}
	update_watch(m);
}

void fq_monitor_resume(struct fq_monitor *m)
{
	m->busy = false;
	if (m->client_fd >= 0) {
		process_input(m);
		update_watch(m);
	}
}

void fq_monitor_send_raw(struct fq_monitor *m, const char *bytes, size_t len)
{
	if (m->client_fd < 0)
		return;
	strbuf_add(&m->out, bytes, len);
	update_watch(m);
}

static void release_held(void *opaque)
{
	struct fq_monitor *m = opaque;

	m->hold_timer = 0;
	m->hold_output = false;
	update_watch(m);
}

void fq_monitor_send(struct fq_monitor *m, json_object *msg)
{
	char *text;

	if (m->client_fd < 0)
		return;
	text = fq_json_to_qemu_string(msg);
	strbuf_adds(&m->out, text);
	/* monitor_puts() turns every '\n' into "\r\n". */
	strbuf_adds(&m->out, "\r\n");
	free(text);
	if (m->hold_timer) {
		fq_loop_cancel(m->hold_timer);
		m->hold_timer = 0;
	}
	if (m->hold_next) {
		/* Merge fault: this message waits for the next one (at most 1 s). */
		m->hold_next = false;
		m->hold_output = true;
		m->hold_timer = fq_loop_timer(1000, release_held, m);
	} else {
		m->hold_output = false;
	}
	update_watch(m);
}

void fq_monitor_broadcast_event(json_object *ev)
{
	for (struct fq_monitor *m = fq_monitors; m; m = m->next)
		if (m->client_fd >= 0 && m->negotiated)
			fq_monitor_send(m, ev);
}

void fq_monitors_flush(void)
{
	for (struct fq_monitor *m = fq_monitors; m; m = m->next) {
		while (m->client_fd >= 0 && m->out.len) {
			struct pollfd p = {.fd = m->client_fd, .events = POLLOUT};
			ssize_t w;

			if (poll(&p, 1, 1000) <= 0)
				break;
			w = send(m->client_fd, m->out.buf, m->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w <= 0 && errno != EAGAIN)
				break;
			if (w > 0)
				strbuf_consume(&m->out, (size_t)w);
		}
	}
}

void fq_monitors_cleanup(void)
{
	for (struct fq_monitor *m = fq_monitors; m; m = m->next)
		if (m->path)
			unlink(m->path);
	for (struct fq_monitor *m = fq_monitors; m; m = m->next) {
		if (m->client_fd >= 0)
			close(m->client_fd);
		if (m->listen_fd >= 0)
			close(m->listen_fd);
	}
}
