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

#include "backends.h"
#include "chardev.h"
#include "cmdline.h"
#include "fakeqemu.h"
#include "fds.h"
#include "loop.h"
#include "monitor.h"
#include "opts.h"
#include "qjson.h"
#include "qmp_dispatch.h"

struct fq_monitor *fq_monitors;

/* -mon (and -qmp/-monitor) requests, attached once the chardevs exist. */
struct mon_request {
	char *location; /* "-mon ARG", "-qmp ARG": the prefix of its messages */
	char *chardev;
	bool control, pretty;
	struct mon_request *next;
};
static struct mon_request *requests;
static int compat_monitors; /* compat_monitorN of -qmp and -monitor */

static void on_listen(void *opaque, int fd, short revents);
static void update_watch(struct fq_monitor *m);
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
	m->out_fd = -1;
	for (pp = &fq_monitors; *pp; pp = &(*pp)->next)
		;
	*pp = m;
	return m;
}

static void request_add(const char *location, const char *chardev, bool control, bool pretty)
{
	struct mon_request *q = calloc(1, sizeof(*q)), **pp;

	if (!q)
		abort();
	q->location = strdup(location);
	q->chardev = strdup(chardev);
	q->control = control;
	q->pretty = pretty;
	for (pp = &requests; *pp; pp = &(*pp)->next)
		;
	*pp = q;
}

/* monitor_parse(): a legacy monitor argument becomes chardev compat_monitorN. */
static void add_compat(const char *option, const char *arg, bool control, bool pretty)
{
	char label[32], *location;

	if (asprintf(&location, "-%s %s", option, arg) < 0)
		abort();
	/* "chardev:ID" names a -chardev; it still counts a compat_monitorN. */
	snprintf(label, sizeof(label), "compat_monitor%d", compat_monitors++);
	if (!strncmp(arg, "chardev:", 8)) {
		request_add(location, arg + 8, control, pretty);
		free(location);
		return;
	}
	fq_chardev_compat(option, arg, label);
	request_add(location, label, control, pretty);
	free(location);
}

void fq_monitor_add_qmp(const char *arg, bool pretty)
{
	add_compat(pretty ? "qmp-pretty" : "qmp", arg, true, pretty);
}

void fq_monitor_add_hmp(const char *arg)
{
	if (!strcmp(arg, "none"))
		return;
	add_compat("monitor", arg, false, false);
}

void fq_monitor_add_mon(const char *arg)
{
	struct fq_opts o;
	const char *id, *mode;
	char *location;
	bool control;

	if (asprintf(&location, "-mon %s", arg) < 0)
		abort();
	fq_opts_parse_noisily(location, arg, "chardev", &o);
	fq_cmdline_check("mon", location, &o);
	id = fq_opts_get(&o, "chardev");
	mode = fq_opts_get(&o, "mode");
	if (mode && strcmp(mode, "control") && strcmp(mode, "readline")) {
		if (fq_vm.cfg.dialect->old_errors)
			fq_die("%s: Invalid parameter '%s'", location, mode);
		fq_die("%s: Parameter 'mode' does not accept value '%s'", location, mode);
	}
	control = mode && !strcmp(mode, "control");
	if (!id)
		fq_die("%s: Parameter 'chardev' is missing", location);
	request_add(location, id, control, fq_opts_get_bool(&o, "pretty", false) == 1);
	fq_opts_free(&o);
	free(location);
}

static void send_greeting(struct fq_monitor *m)
{
	json_object *g = fq_qmp_greeting();

	fq_monitor_send(m, g);
	json_object_put(g);
}

static void close_pending_fds(struct fq_monitor *m)
{
	for (int i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	m->nfds = 0;
}

/* A client is connected to the monitor's chardev: start a session. */
static void start_session(struct fq_monitor *m, int fd)
{
	m->client_fd = fd;
	m->negotiated = false;
	m->oob_enabled = false;
	m->busy = false;
	strbuf_reset(&m->in);
	m->in_pos = 0;
	strbuf_reset(&m->out);
	fq_json_parser_reset(m->parser);
	fq_chardev_connected(m->chr, fd);
	/* One client at a time: stop accepting until this one leaves. */
	if (m->listen_fd >= 0)
		fq_loop_unwatch(m->listen_fd);
	fq_loop_watch(fd, POLLIN, on_client, m);
	if (m->hmp)
		fq_hmp_session_open(m->rl, &m->out);
	else
		send_greeting(m);
	update_watch(m);
}

static void accept_client(struct fq_monitor *m)
{
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd >= 0)
		start_session(m, fd);
}

static void on_listen(void *opaque, int fd, short revents)
{
	(void)fd;
	(void)revents;
	accept_client(opaque);
}

void fq_monitors_start(void)
{
	for (struct mon_request *q = requests; q; q = q->next) {
		struct fq_chardev *c = fq_chardev_find(q->chardev);
		struct fq_monitor *m;

		if (!c)
			fq_die("%s: chardev \"%s\" not found", q->location, q->chardev);
		if (q->control && !strcmp(c->backend, "stdio")) {
			/* QMP on stdio: a session from the start, stdin in, stdout out. */
			m = monitor_new(c->id);
			m->chr = c;
			m->pretty = q->pretty;
			m->parser = fq_json_parser_new(fq_qmp_handle_input, m);
			fq_chardev_set_frontend(c, m);
			fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
			fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
			m->out_fd = 1;
			start_session(m, 0);
			continue;
		}
		if (!c->is_socket || (!q->control && !c->server)) {
			/* A monitor on another chardev: open, not served. */
			c->fe_open = true;
			continue;
		}
		if (!c->server)
			fq_die("%s: fakeqemu serves QMP only on server=on socket chardevs",
			       q->location);
		m = monitor_new(c->id);
		m->chr = c;
		m->pretty = q->pretty;
		if (!q->control) {
			m->hmp = true;
			m->rl = calloc(1, sizeof(*m->rl));
			if (!m->rl)
				abort();
		}
		m->listen_fd = c->listen_fd;
		m->parser = fq_json_parser_new(fq_qmp_handle_input, m);
		fq_chardev_set_frontend(c, m);
		if (c->conn_fd >= 0) {
			/* wait=on: the client QEMU waited for is this monitor's first. */
			int fd = c->conn_fd;

			fq_loop_unwatch(fd);
			c->conn_fd = -1;
			set_nonblock(fd);
			start_session(m, fd);
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
	if (m->out_fd >= 0) {
		/* stdio: the session ends with stdin, the descriptors stay. */
		fq_loop_unwatch(m->out_fd);
		m->out_fd = -1;
	} else {
		close(m->client_fd);
	}
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
	close_pending_fds(m);
	fq_chardev_connected(m->chr, -1);
	fq_qmp_connection_closed(m);
	fq_fdsets_monitor_closed();
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
	if (m->out_fd >= 0) {
		/* stdio: stdin is read (until its end), stdout written. */
		if (m->stdin_eof)
			fq_loop_unwatch(m->client_fd);
		else
			fq_loop_watch(m->client_fd, ev, on_client, m);
		if (m->out.len && !m->hold_output && !m->split_wait)
			fq_loop_watch(m->out_fd, POLLOUT, on_client, m);
		else
			fq_loop_unwatch(m->out_fd);
		return;
	}
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
	if (m->out_fd >= 0)
		w = write(m->out_fd, m->out.buf, n);
	else
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
	while (!m->busy && m->client_fd >= 0 && m->in_pos < m->in.len) {
		unsigned char c = (unsigned char)m->in.buf[m->in_pos++];

		if (m->hmp)
			fq_hmp_session_byte(m->rl, c, &m->out);
		else
			fq_json_parser_feed_byte(m->parser, c);
	}
	if (m->in_pos == m->in.len) {
		strbuf_reset(&m->in);
		m->in_pos = 0;
	}
}

/*
 * receive() - tcp_chr_recv(): read, taking the descriptors sent with the
 * data. New descriptors replace (and close) those not taken yet. QEMU reads
 * one byte at a time, so they arrive with the first byte of the message they
 * were sent with; here they come with the read that ends in that message,
 * which is the same for clients sending each message on its own.
 */
static ssize_t receive(struct fq_monitor *m, char *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FQ_MONITOR_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	ssize_t n = recvmsg(m->client_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	/* stdio's stdin need not be a socket (no descriptors come then). */
	if (n < 0 && errno == ENOTSOCK)
		return read(m->client_fd, buf, len);
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t nfds;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		close_pending_fds(m);
		for (size_t i = 0; i < nfds; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			/* tcp_chr_recv(): passed descriptors are blocking, and inherited. */
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			if (m->nfds < FQ_MONITOR_MAX_FDS)
				m->fds[m->nfds++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

int fq_monitor_take_fd(struct fq_monitor *m)
{
	int fd;

	if (!m || m->nfds == 0)
		return -1;
	fd = m->fds[0];
	for (int i = 1; i < m->nfds; i++)
		close(m->fds[i]);
	m->nfds = 0;
	return fd;
}

int fq_monitor_get_fd(struct fq_monitor *m, const char *name, struct fq_reply *r)
{
	struct fq_backend *b = m ? fq_backend_find_fd(m, name) : NULL;
	int fd;

	if (!b) {
		fq_reply_error(r, "GenericError", "File descriptor named '%s' has not been found",
			       name);
		return -1;
	}
	/* The caller takes ownership. */
	fd = b->fd;
	b->fd = -1;
	fq_backend_remove(b);
	return fd;
}

int fq_monitor_fd_param(struct fq_monitor *m, const char *fdname, struct fq_reply *r)
{
	char *end;
	long fd;

	if (!(fdname[0] >= '0' && fdname[0] <= '9') && m)
		return fq_monitor_get_fd(m, fdname, r);
	/* qemu_parse_fd() */
	errno = 0;
	fd = strtol(fdname, &end, 10);
	if (errno || end == fdname || *end || fd < 0 || fd > 0x7fffffff) {
		fq_reply_error(r, "GenericError", "Invalid file descriptor number '%s'", fdname);
		return -1;
	}
	return (int)fd;
}

int fq_monitors_connected(void)
{
	int n = 0;

	for (struct fq_monitor *m = fq_monitors; m; m = m->next)
		n += m->client_fd >= 0;
	return n;
}

static void on_client(void *opaque, int fd, short revents)
{
	struct fq_monitor *m = opaque;
	char buf[4096];

	if (revents & POLLOUT)
		write_out(m);
	if (m->client_fd != fd || m->client_fd < 0)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = receive(m, buf, sizeof(buf));

		if (n == 0 && m->out_fd >= 0) {
			/* The end of stdin is no hang-up of stdout: QEMU goes on. */
			m->stdin_eof = true;
			update_watch(m);
			return;
		}
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
	text = m->pretty ? fq_json_to_qemu_pretty(msg) : fq_json_to_qemu_string(msg);
	/* monitor_puts() turns every '\n' into "\r\n". */
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			strbuf_addc(&m->out, '\r');
		strbuf_addc(&m->out, *p);
	}
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

void fq_monitors_greet_pending(void)
{
	struct fq_monitor *m;

	for (m = fq_monitors; m; m = m->next)
		if (m->client_fd < 0 && m->listen_fd >= 0)
			accept_client(m);
	fq_monitors_flush();
	/*
	 * QEMU's monitor thread reads what the client sends next (its
	 * qmp_capabilities) while the main thread exits: read it too, so the
	 * client sees EOF rather than a reset for unread bytes. Bounded: a
	 * client that sends nothing delays the exit by 200 ms at most.
	 */
	for (m = fq_monitors; m; m = m->next) {
		struct pollfd p = {.fd = m->client_fd, .events = POLLIN};
		char buf[4096];

		if (m->client_fd < 0)
			continue;
		while (poll(&p, 1, 200) > 0 && read(m->client_fd, buf, sizeof(buf)) > 0)
			;
	}
}

void fq_monitors_cleanup(void)
{
	/* Paths go before the connections close, so a client seeing EOF sees them gone. */
	fq_chardevs_cleanup();
	for (struct fq_monitor *m = fq_monitors; m; m = m->next) {
		if (m->client_fd >= 0)
			close(m->client_fd);
		m->client_fd = -1;
	}
}
