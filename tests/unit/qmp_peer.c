/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_peer.c - a strict scripted QMP peer over a socketpair, for unit tests */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/sockios.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "deadline.h"
#include "qmp_peer.h"

#define PEER_DEADLINE_MS 10000

struct qmp_peer {
	int fd;
	pthread_t thread;
	const struct peer_step *steps;
	size_t nsteps;
	size_t done;
	char failure[1024];
	char last_id[256];
	char unanswered[32][256]; /* ids of the commands read and not answered, oldest first */
	int nunanswered;
	struct json_tokener *tok;
	bool in_msg;	/* a message has started in the tokener */
	int msg_fds[8]; /* descriptors that came with the message being read */
	int nmsg_fds;
};

static void close_msg_fds(struct qmp_peer *p)
{
	for (int i = 0; i < p->nmsg_fds; i++)
		close(p->msg_fds[i]);
	p->nmsg_fds = 0;
}

/* One byte, and any descriptors that came with it (SCM_RIGHTS). */
static ssize_t read_byte(struct qmp_peer *p, char *c)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = c, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	ssize_t n = recvmsg(p->fd, &msg, MSG_CMSG_CLOEXEC);

	for (struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; h; h = CMSG_NXTHDR(&msg, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			if (p->nmsg_fds < 8)
				p->msg_fds[p->nmsg_fds++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

static void peer_fail(struct qmp_peer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(p->failure, sizeof(p->failure), fmt, ap);
	va_end(ap);
}

/* Read one JSON message; NULL with *eof set at a clean EOF, else on failure. */
static json_object *peer_read(struct qmp_peer *p, bool *eof)
{
	int64_t deadline = qd_deadline_after_ms(PEER_DEADLINE_MS);

	*eof = false;
	for (;;) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		char c;
		json_object *msg;
		ssize_t n;

		if (poll(&pfd, 1, qd_deadline_left_ms(deadline)) <= 0) {
			peer_fail(p, "peer: timed out waiting for a message");
			return NULL;
		}
		n = read_byte(p, &c);
		if (n <= 0) {
			*eof = true;
			return NULL;
		}
		if (!p->in_msg && (c == ' ' || c == '\r' || c == '\n'))
			continue;
		p->in_msg = true;
		msg = json_tokener_parse_ex(p->tok, &c, 1);
		if (msg) {
			json_tokener_reset(p->tok);
			p->in_msg = false;
			return msg;
		}
		if (json_tokener_get_error(p->tok) != json_tokener_continue) {
			peer_fail(p, "peer: client sent invalid JSON");
			return NULL;
		}
	}
}

static void peer_write_all(struct qmp_peer *p, const char *buf, size_t len, bool bytewise)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(p->fd, buf + off, bytewise ? 1 : len - off, MSG_NOSIGNAL);

		if (n < 0) {
			peer_fail(p, "peer: write failed: %s", strerror(errno));
			return;
		}
		off += (size_t)n;
		if (bytewise) {
			/* Wait until the client has read this byte, so each read sees one. */
			int64_t deadline = qd_deadline_after_ms(PEER_DEADLINE_MS);
			int queued = 1;

			while (ioctl(p->fd, SIOCOUTQ, &queued) == 0 && queued > 0 &&
			       qd_deadline_left_ms(deadline) > 0)
				sched_yield();
		}
	}
}

/* @id is answered: it leaves the list of those waiting. */
static void answered(struct qmp_peer *p, const char *id)
{
	for (int i = 0; i < p->nunanswered; i++)
		if (!strcmp(p->unanswered[i], id)) {
			memmove(p->unanswered[i], p->unanswered[i + 1],
				(size_t)(p->nunanswered - i - 1) * sizeof(p->unanswered[0]));
			p->nunanswered--;
			return;
		}
}

/* @text with "@ID@" as the last command's id, or with @oldest the oldest one waiting. */
static void peer_send(struct qmp_peer *p, const char *text, bool bytewise, bool oldest)
{
	const char *mark = strstr(text, "@ID@");
	char id[256], *buf;

	if (!mark) {
		peer_write_all(p, text, strlen(text), bytewise);
		return;
	}
	if (oldest && !p->nunanswered) {
		peer_fail(p, "peer: ANSWER with no command waiting for an answer");
		return;
	}
	snprintf(id, sizeof(id), "%s", oldest ? p->unanswered[0] : p->last_id);
	answered(p, id);
	if (asprintf(&buf, "%.*s%s%s", (int)(mark - text), text, id, mark + 4) < 0)
		abort();
	peer_write_all(p, buf, strlen(buf), bytewise);
	free(buf);
}

static void remember_id(struct qmp_peer *p, json_object *msg)
{
	json_object *id;

	if (json_object_object_get_ex(msg, "id", &id))
		snprintf(p->last_id, sizeof(p->last_id), "%s",
			 json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN));
	else
		snprintf(p->last_id, sizeof(p->last_id), "null");
	if (p->nunanswered < 32)
		snprintf(p->unanswered[p->nunanswered++], sizeof(p->unanswered[0]), "%s",
			 p->last_id);
}

static const char *command_of(json_object *msg)
{
	json_object *e;

	if (!json_object_object_get_ex(msg, "execute", &e))
		return "(no execute)";
	return json_object_get_string(e);
}

static void step_expect(struct qmp_peer *p, const struct peer_step *s)
{
	bool eof;
	json_object *msg = peer_read(p, &eof), *args = NULL;

	if (!msg) {
		if (eof)
			peer_fail(p, "peer: client closed, expected '%s'", s->text);
		return;
	}
	remember_id(p, msg);
	if (s->op == PEER_EXPECT_FD) {
		struct stat got, want;

		if (p->nmsg_fds != 1)
			peer_fail(p, "peer: '%s' came with %d descriptors, expected one", s->text,
				  p->nmsg_fds);
		else if (fstat(p->msg_fds[0], &got) < 0 || fstat(s->count, &want) < 0 ||
			 got.st_dev != want.st_dev || got.st_ino != want.st_ino)
			peer_fail(p, "peer: '%s' came with a descriptor of another file (fd %d)",
				  s->text, s->count);
	} else if (p->nmsg_fds) {
		peer_fail(p, "peer: %d descriptors came with '%s', which takes none", p->nmsg_fds,
			  command_of(msg));
	}
	close_msg_fds(p);
	if (s->op == PEER_EXPECT_RAW) {
		json_object *want = json_tokener_parse(s->text);

		if (!json_object_equal(want, msg))
			peer_fail(p, "peer: expected %s, got %s", s->text,
				  json_object_to_json_string(msg));
		json_object_put(want);
	} else if (strcmp(command_of(msg), s->text) != 0) {
		peer_fail(p, "peer: unexpected command '%s', expected '%s'", command_of(msg),
			  s->text);
	} else if (s->args) {
		json_object *want = json_tokener_parse(s->args);

		json_object_object_get_ex(msg, "arguments", &args);
		if (!json_object_equal(want, args))
			peer_fail(p, "peer: '%s' arguments %s, expected %s", s->text,
				  args ? json_object_to_json_string(args) : "(none)", s->args);
		json_object_put(want);
	}
	json_object_put(msg);
}

static void step_serve_reversed(struct qmp_peer *p, int count)
{
	json_object **msgs = calloc((size_t)count, sizeof(*msgs));
	int got = 0;

	for (; got < count; got++) {
		bool eof;

		msgs[got] = peer_read(p, &eof);
		if (!msgs[got]) {
			peer_fail(p, "peer: got %d of %d commands", got, count);
			break;
		}
	}
	for (int i = got - 1; i >= 0; i--) {
		json_object *id, *args = NULL, *reply = json_object_new_object();
		json_object *ret = json_object_new_object();
		const char *text;

		json_object_object_get_ex(msgs[i], "id", &id);
		json_object_object_get_ex(msgs[i], "arguments", &args);
		json_object_object_add(ret, "execute", json_object_new_string(command_of(msgs[i])));
		json_object_object_add(ret, "arguments", json_object_get(args));
		json_object_object_add(reply, "return", ret);
		json_object_object_add(reply, "id", json_object_get(id));
		text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
		/*
		 * One write with its line end: the client is done once it has the
		 * message, and may close before a separate "\r\n" is sent.
		 */
		{
			char *line = NULL;

			if (asprintf(&line, "%s\r\n", text) < 0)
				abort();
			peer_write_all(p, line, strlen(line), false);
			free(line);
		}
		json_object_put(reply);
		json_object_put(msgs[i]);
	}
	free(msgs);
}

static void step_stall(struct qmp_peer *p)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLRDHUP};

	if (poll(&pfd, 1, PEER_DEADLINE_MS) <= 0 || !(pfd.revents & (POLLRDHUP | POLLHUP)))
		peer_fail(p, "peer: client did not hang up while the peer stalled");
	close(p->fd);
	p->fd = -1;
}

static void *peer_main(void *arg)
{
	struct qmp_peer *p = arg;

	for (; p->done < p->nsteps && !p->failure[0]; p->done++) {
		const struct peer_step *s = &p->steps[p->done];

		switch (s->op) {
		case PEER_SEND:
		case PEER_SEND_BYTEWISE:
			peer_send(p, s->text, s->op == PEER_SEND_BYTEWISE, false);
			break;
		case PEER_ANSWER:
			peer_send(p, s->text, false, true);
			break;
		case PEER_EXPECT:
		case PEER_EXPECT_FD:
		case PEER_EXPECT_RAW:
			step_expect(p, s);
			break;
		case PEER_CLOSE:
			close(p->fd);
			p->fd = -1;
			break;
		case PEER_SERVE_REVERSED:
			step_serve_reversed(p, s->count);
			break;
		case PEER_STALL:
			step_stall(p);
			break;
		}
	}
	/* Strict end: the client may only close now; any further command fails. */
	if (p->fd >= 0 && !p->failure[0]) {
		bool eof;
		json_object *extra = peer_read(p, &eof);

		if (extra) {
			peer_fail(p, "peer: unexpected command after the script: %s",
				  json_object_to_json_string(extra));
			json_object_put(extra);
		}
	}
	return NULL;
}

struct qmp_peer *peer_start(const struct peer_step *steps, size_t nsteps, int *client_fd)
{
	struct qmp_peer *p = calloc(1, sizeof(*p));
	int sv[2];

	assert_non_null(p);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->fd = sv[0];
	p->steps = steps;
	p->nsteps = nsteps;
	p->tok = json_tokener_new();
	snprintf(p->last_id, sizeof(p->last_id), "null");
	*client_fd = sv[1];
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
	return p;
}

void peer_finish(struct qmp_peer *p)
{
	char failure[sizeof(p->failure)];
	size_t done, nsteps;

	pthread_join(p->thread, NULL);
	close_msg_fds(p);
	if (p->fd >= 0)
		close(p->fd);
	json_tokener_free(p->tok);
	memcpy(failure, p->failure, sizeof(failure));
	done = p->done;
	nsteps = p->nsteps;
	free(p);
	if (failure[0])
		fail_msg("%s", failure);
	if (done != nsteps)
		fail_msg("peer: %zu of %zu script steps unused", nsteps - done, nsteps);
}
