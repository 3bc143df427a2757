/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* replay_recording.c - -fake-replay RECORDING: play a recorded QEMU session to the same client */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "endpoints.h"
#include "loop.h"
#include "qjson.h"
#include "recording.h"
#include "replay_recording.h"
#include "replay_subst.h"
#include "standin.h"
#include "strbuf.h"

/*
 * DOC: replaying a recording
 *
 * No QEMU and no machine model: the client's command line only says where
 * its QMP monitors are (taken in order: the recording's m0 is the first),
 * and the recording says everything QEMU did. Each monitor walks its own
 * lines: a client action (connect, a request, a close) is waited for; what
 * QEMU sent after it is sent again as long after the client's action as it
 * came after it then, so a reply that came late (or never) still does, and
 * a client's timeout is reproduced. Requests are compared with the
 * recording without their "id"; replies carry the client's id. QEMU's
 * output, its exit (status or signal) and signals the client sent follow
 * the same rule, and come after every monitor line recorded before them.
 *
 * The first request that differs is reported on stderr
 *   fakeqemu: replay FILE:LINE: m0 request 7 differs: expected {...} got {...}
 * and answered with an error, as is every later one.
 */

struct pmon {
	struct fq_endpoint *ep;
	int index;
	int listen_fd, client_fd;
	size_t *items; /* indices of this monitor's lines */
	size_t n, pos;
	bool connected;
	int64_t anchor_ms; /* when the last client action happened here */
	double anchor_t;   /* ... and when it had happened in the recording */
	uint64_t timer;
	int requests; /* requests matched so far, for messages */
	struct strbuf out;
	struct fq_splitter in;
	json_object *pending; /* client requests not yet matched: [{"text", "fds"}] */
	json_object *ids;     /* [recorded id text, client id] of matched requests */
	int fds_received;
};

static struct {
	struct fq_recording rec;
	struct pmon *mons;
	size_t nmons;
	size_t *proc; /* process lines */
	size_t nproc, proc_pos;
	uint64_t proc_timer;
	int64_t anchor_ms;
	double anchor_t;
	bool diverged;
	char *divergence;
	struct fq_standin standin;
	int signal_fd;
	int64_t start_ms;
	struct fq_subst subst; /* recorded paths and ids -> this run's */
} P;

static void advance(struct pmon *m);
static void advance_process(void);
static void on_listen(void *opaque, int fd, short revents);

static const struct fq_rec_item *item_of(struct pmon *m)
{
	return m->pos < m->n ? &P.rec.items[m->items[m->pos]] : NULL;
}

/* ---- divergence ---------------------------------------------------------------------------- */

static void diverge(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void diverge(int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (P.diverged)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	P.diverged = true;
	if (asprintf(&P.divergence, "replay %s:%d: %s", P.rec.path, line, msg ? msg : "?") < 0)
		P.divergence = NULL;
	fprintf(stderr, "fakeqemu: %s\n", P.divergence ? P.divergence : "replay diverged");
	free(msg);
}

/* ---- output to a client ---------------------------------------------------------------------- */

static void on_client(void *opaque, int fd, short revents);

static void watch_client(struct pmon *m)
{
	if (m->client_fd >= 0)
		fq_loop_watch(m->client_fd, POLLIN | (m->out.len ? POLLOUT : 0), on_client, m);
}

static void send_bytes(struct pmon *m, const char *data, size_t len)
{
	size_t n;
	char *text = fq_subst_apply(&P.subst, data, len, &n);

	strbuf_add(&m->out, text ? text : data, text ? n : len);
	strbuf_adds(&m->out, "\r\n");
	free(text);
	watch_client(m);
}

static void flush_client(struct pmon *m, bool block)
{
	if (block && m->client_fd >= 0)
		fcntl(m->client_fd, F_SETFL, fcntl(m->client_fd, F_GETFL) & ~O_NONBLOCK);
	while (m->client_fd >= 0 && m->out.len) {
		ssize_t n = send(m->client_fd, m->out.buf, m->out.len,
				 MSG_NOSIGNAL | (block ? 0 : MSG_DONTWAIT));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0) {
			strbuf_reset(&m->out);
			break;
		}
		strbuf_consume(&m->out, (size_t)n);
	}
}

static void error_reply(struct pmon *m, json_object *request, const char *desc)
{
	json_object *rsp = json_object_new_object(), *e = json_object_new_object(), *id;
	char *text;

	json_object_object_add(e, "class", json_object_new_string("GenericError"));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	if (json_object_object_get_ex(request, "id", &id))
		json_object_object_add(rsp, "id", json_object_get(id));
	json_object_object_add(rsp, "error", e);
	text = fq_json_to_qemu_string(rsp);
	send_bytes(m, text, strlen(text));
	free(text);
	json_object_put(rsp);
}

/* A recorded reply with the id of the client's request it answers. */
static void send_reply(struct pmon *m, const struct fq_rec_item *it)
{
	json_object *o = json_tokener_parse(it->data), *id;
	const char *rec_id;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "id", &id)) {
		json_object_put(o);
		send_bytes(m, it->data, it->len);
		return;
	}
	rec_id = json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN);
	for (size_t i = 0; i < json_object_array_length(m->ids); i++) {
		json_object *pair = json_object_array_get_idx(m->ids, i), *client;

		if (strcmp(json_object_get_string(json_object_array_get_idx(pair, 0)), rec_id))
			continue;
		client = json_object_get(json_object_array_get_idx(pair, 1));
		json_object_array_del_idx(m->ids, i, 1);
		if (client &&
		    !strcmp(json_object_to_json_string_ext(client, JSON_C_TO_STRING_PLAIN),
			    rec_id)) {
			json_object_put(client);
			break; /* the same id: QEMU's own bytes */
		}
		json_object_object_add(o, "id", client);
		{
			char *text = fq_json_to_qemu_string(o);

			send_bytes(m, text, strlen(text));
			free(text);
		}
		json_object_put(o);
		return;
	}
	json_object_put(o);
	send_bytes(m, it->data, it->len);
}

/* ---- the client's actions -----------------------------------------------------------------------
 */

static void client_action(struct pmon *m, const struct fq_rec_item *it)
{
	m->anchor_ms = fq_loop_now_ms();
	m->anchor_t = it->t;
	P.anchor_ms = m->anchor_ms;
	P.anchor_t = it->t;
	m->pos++;
}

/* Equal as QMP requests: the same JSON but for "id" (or the same bytes when not JSON). */
static bool same_request(const struct fq_rec_item *want, const char *got, size_t len)
{
	size_t wlen;
	char *wtext = fq_subst_apply(&P.subst, want->data, want->len, &wlen);
	json_object *a = json_tokener_parse(wtext ? wtext : want->data),
		    *b = json_tokener_parse(got);
	bool same;

	if (json_object_is_type(a, json_type_object) && json_object_is_type(b, json_type_object)) {
		json_object_object_del(a, "id");
		json_object_object_del(b, "id");
		same = json_object_equal(a, b);
	} else {
		same = wtext && wlen == len && !memcmp(wtext, got, len);
	}
	json_object_put(a);
	json_object_put(b);
	free(wtext);
	return same;
}

static void match_requests(struct pmon *m)
{
	const struct fq_rec_item *it;

	while (json_object_array_length(m->pending) && (it = item_of(m)) &&
	       it->kind == FQ_REC_TO_QEMU) {
		json_object *req = json_object_array_get_idx(m->pending, 0);
		const char *text = json_object_get_string(json_object_object_get(req, "text"));
		size_t len =
		    (size_t)json_object_get_string_len(json_object_object_get(req, "text"));
		int fds = json_object_get_int(json_object_object_get(req, "fds"));
		json_object *parsed = json_tokener_parse(text), *rec = json_tokener_parse(it->data);
		json_object *rid, *cid, *pair;

		m->requests++;
		if (!same_request(it, text, len)) {
			diverge(it->line, "%s request %d differs: expected %s got %s", m->ep->label,
				m->requests, it->data, text);
		} else if (fds != it->nfds) {
			diverge(it->line,
				"%s request %d came with %d descriptor(s), the recording with %d",
				m->ep->label, m->requests, fds, it->nfds);
		}
		if (P.diverged) {
			error_reply(m, parsed,
				    P.divergence ? P.divergence : "fakeqemu replay diverged");
			json_object_put(parsed);
			json_object_put(rec);
			json_object_array_del_idx(m->pending, 0, 1);
			continue;
		}
		/* Remember which client id answers which recorded id. */
		if (json_object_object_get_ex(rec, "id", &rid)) {
			pair = json_object_new_array();
			json_object_array_add(
			    pair, json_object_new_string(
				      json_object_to_json_string_ext(rid, JSON_C_TO_STRING_PLAIN)));
			json_object_array_add(pair, json_object_object_get_ex(parsed, "id", &cid)
							? json_object_get(cid)
							: NULL);
			json_object_array_add(m->ids, pair);
		}
		json_object_put(parsed);
		json_object_put(rec);
		json_object_array_del_idx(m->pending, 0, 1);
		client_action(m, it);
		advance(m);
	}
	/* After a divergence every request gets the error. */
	while (P.diverged && json_object_array_length(m->pending)) {
		json_object *req = json_object_array_get_idx(m->pending, 0);
		json_object *parsed =
		    json_tokener_parse(json_object_get_string(json_object_object_get(req, "text")));

		error_reply(m, parsed, P.divergence ? P.divergence : "fakeqemu replay diverged");
		json_object_put(parsed);
		json_object_array_del_idx(m->pending, 0, 1);
	}
}

static void on_request(void *opaque, const char *msg, size_t len)
{
	struct pmon *m = opaque;
	json_object *req = json_object_new_object();
	const struct fq_rec_item *it = item_of(m);

	json_object_object_add(req, "text", json_object_new_string_len(msg, (int)len));
	json_object_object_add(req, "fds", json_object_new_int(m->fds_received));
	m->fds_received = 0;
	json_object_array_add(m->pending, req);
	if (!P.diverged && (!it || it->kind == FQ_REC_CONNECT || it->kind == FQ_REC_CLOSE_CLIENT ||
			    it->kind == FQ_REC_CLOSE_QEMU)) {
		/* Nothing more is expected from the client in this session. */
		diverge(it ? it->line : (int)P.rec.nitems,
			"%s: request %d was not in the recording: %.*s", m->ep->label,
			m->requests + 1, (int)len, msg);
	}
	match_requests(m);
}

static void session_end(struct pmon *m)
{
	fq_splitter_free(&m->in);
	strbuf_reset(&m->out);
	if (m->client_fd >= 0) {
		fq_loop_unwatch(m->client_fd);
		close(m->client_fd);
	}
	m->client_fd = -1;
	m->connected = false;
	while (json_object_array_length(m->pending))
		json_object_array_del_idx(m->pending, 0, 1);
	if (m->listen_fd >= 0)
		fq_loop_watch(m->listen_fd, POLLIN, on_listen, m);
}

static void client_closed(struct pmon *m)
{
	const struct fq_rec_item *it = item_of(m);

	if (it && it->kind == FQ_REC_CLOSE_CLIENT) {
		client_action(m, it);
	} else if (!P.diverged && it) {
		diverge(it->line,
			"%s: the client closed the connection; the recording goes on "
			"with: %s",
			m->ep->label, it->data ? it->data : "its next line");
		/* Resynchronise on the next session. */
		while ((it = item_of(m)) && it->kind != FQ_REC_CLOSE_CLIENT &&
		       it->kind != FQ_REC_CLOSE_QEMU)
			m->pos++;
		if (it)
			m->pos++;
	}
	session_end(m);
	advance(m);
}

static void on_client(void *opaque, int fd, short revents)
{
	struct pmon *m = opaque;
	char buf[65536];
	int fds[16], nfds;
	ssize_t n;

	(void)fd;
	if (revents & POLLOUT)
		flush_client(m, false);
	if (m->client_fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
		n = fq_recv_with_fds(m->client_fd, buf, sizeof(buf), fds, 16, &nfds);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			fq_splitter_flush(&m->in, on_request, m);
			client_closed(m);
			return;
		}
		/* Counted for the comparison; nobody here to use them. */
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		m->fds_received += nfds;
		if (n > 0)
			fq_splitter_feed(&m->in, buf, (size_t)n, on_request, m);
	}
	watch_client(m);
}

static void start_session(struct pmon *m, int fd)
{
	const struct fq_rec_item *it = item_of(m);

	m->client_fd = fd;
	m->connected = true;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (it && it->kind == FQ_REC_CONNECT) {
		client_action(m, it);
	} else if (!P.diverged) {
		diverge(it ? it->line : (int)P.rec.nitems,
			"%s: the client connected again; the recording has no more sessions there",
			m->ep->label);
	}
	watch_client(m);
	advance(m);
}

static void on_listen(void *opaque, int fd, short revents)
{
	struct pmon *m = opaque;
	int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	(void)revents;
	if (client < 0)
		return;
	fq_loop_unwatch(fd); /* one client at a time, as QEMU */
	start_session(m, client);
}

/* ---- what QEMU did, at its time ---------------------------------------------------------- */

static void on_timer(void *opaque)
{
	struct pmon *m = opaque;

	m->timer = 0;
	advance(m);
}

static int64_t due_ms(int64_t anchor_ms, double anchor_t, double t)
{
	double d = (t - anchor_t) * 1000;

	return anchor_ms + (d > 0 ? (int64_t)d : 0);
}

static void advance(struct pmon *m)
{
	const struct fq_rec_item *it;

	while (!P.diverged && (it = item_of(m))) {
		int64_t due;

		if (it->kind == FQ_REC_CONNECT || it->kind == FQ_REC_TO_QEMU ||
		    it->kind == FQ_REC_CLOSE_CLIENT)
			break; /* the client's turn */
		if (!m->connected)
			break;
		due = due_ms(m->anchor_ms, m->anchor_t, it->t);
		if (due > fq_loop_now_ms()) {
			if (!m->timer)
				m->timer = fq_loop_timer(due - fq_loop_now_ms(), on_timer, m);
			break;
		}
		m->pos++;
		if (it->kind == FQ_REC_TO_CLIENT)
			send_reply(m, it);
		else if (it->kind == FQ_REC_EVENT)
			send_bytes(m, it->data, it->len);
		else if (it->kind == FQ_REC_CLOSE_QEMU) {
			flush_client(m, true);
			session_end(m);
		}
	}
	match_requests(m);
	advance_process();
}

/* ---- QEMU's output, signals and end ------------------------------------------------------- */

static void on_proc_timer(void *opaque)
{
	(void)opaque;
	P.proc_timer = 0;
	advance_process();
}

/* Whether every monitor line before file line @index has happened. */
static bool monitors_past(size_t index)
{
	for (size_t i = 0; i < P.nmons; i++) {
		struct pmon *m = &P.mons[i];

		if (m->pos < m->n && m->items[m->pos] < index)
			return false;
	}
	return true;
}

static void finish(int status, int signo)
{
	for (size_t i = 0; i < P.nmons; i++) {
		flush_client(&P.mons[i], true);
		if (P.mons[i].ep->server && P.mons[i].ep->path)
			unlink(P.mons[i].ep->path);
	}
	fq_standin_end(&P.standin, status, signo);
}

static void advance_process(void)
{
	while (P.proc_pos < P.nproc) {
		size_t index = P.proc[P.proc_pos];
		const struct fq_rec_item *it = &P.rec.items[index];
		int64_t due;

		if (it->kind == FQ_REC_SIGNAL || !monitors_past(index))
			return; /* the client's turn, or a monitor is behind */
		due = due_ms(P.anchor_ms, P.anchor_t, it->t);
		if (due > fq_loop_now_ms()) {
			if (!P.proc_timer)
				P.proc_timer =
				    fq_loop_timer(due - fq_loop_now_ms(), on_proc_timer, NULL);
			return;
		}
		P.proc_pos++;
		if (it->kind == FQ_REC_STDOUT || it->kind == FQ_REC_STDERR) {
			if (write(it->kind == FQ_REC_STDOUT ? STDOUT_FILENO : STDERR_FILENO,
				  it->data, it->len) != (ssize_t)it->len) {
				/* Nobody reads our output: go on. */
			}
		} else if (it->kind == FQ_REC_EXIT) {
			finish(it->number, 0);
		} else if (it->kind == FQ_REC_KILLED) {
			finish(0, it->number);
		}
	}
}

static void on_signal(void *opaque, int fd, short revents)
{
	struct signalfd_siginfo si;
	const struct fq_rec_item *it;

	(void)opaque;
	(void)revents;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	it = P.proc_pos < P.nproc ? &P.rec.items[P.proc[P.proc_pos]] : NULL;
	if (it && it->kind == FQ_REC_SIGNAL && it->number == (int)si.ssi_signo && !P.diverged) {
		P.anchor_ms = fq_loop_now_ms();
		P.anchor_t = it->t;
		P.proc_pos++;
		advance_process();
		return;
	}
	/* A signal the recording did not see: end as QEMU ends on it. */
	diverge(it ? it->line : (int)P.rec.nitems, "signal %s was not in the recording here",
		sigabbrev_np((int)si.ssi_signo) ? sigabbrev_np((int)si.ssi_signo) : "?");
	finish(0, 0);
}

/* ---- QEMU's other sockets: there, and silent ------------------------------------------ */

static void on_other_data(void *opaque, int fd, short revents)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	(void)opaque;
	(void)revents;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		fq_loop_unwatch(fd);
		close(fd);
	}
}

static void on_other_listen(void *opaque, int fd, short revents)
{
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)opaque;
	(void)revents;
	if (c >= 0)
		fq_loop_watch(c, POLLIN, on_other_data, NULL);
}

/*
 * Consoles, agent channels...: the recording has nothing of what went over
 * them, but a client that connects to them must find them (as it found
 * QEMU's). Listening ones accept and stay silent; QEMU's outgoing ones
 * connect and stay silent.
 */
static void open_other_sockets(int argc, char **argv, const struct fq_endpoint *qmp, size_t nqmp)
{
	struct fq_endpoint *other = NULL;
	size_t n = 0;

	fq_endpoints_other_sockets(argc, argv, qmp, nqmp, &other, &n);
	for (size_t i = 0; i < n; i++) {
		char *err = NULL;
		int fd = other[i].server ? fq_endpoint_listen(&other[i], &err)
					 : fq_endpoint_connect_client(&other[i], &err);

		if (fd >= 0)
			fq_loop_watch(fd, POLLIN, other[i].server ? on_other_listen : on_other_data,
				      NULL);
		free(err);
	}
	fq_endpoints_free(other, n);
}

/* ---- set-up ---------------------------------------------------------------------------- */

bool fq_replay_recording_requested(int argc, char **argv, const char **path)
{
	*path = getenv("FAKEQEMU_REPLAY");
	if (*path && !**path)
		*path = NULL;
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "-fake-replay") || !strcmp(argv[i], "--fake-replay"))
			*path = argv[++i];
	return *path && fq_recording_is(*path);
}

int fq_replay_recording_main(int argc, char **argv, const char *path)
{
	struct fq_endpoint *eps = NULL;
	size_t neps = 0;
	char *err = NULL;

	P.start_ms = fq_loop_now_ms();
	P.anchor_ms = P.start_ms;
	if (fq_recording_load(path, &P.rec, &err) < 0) {
		fprintf(stderr, "fakeqemu: -fake-replay %s\n", err ? err : path);
		free(err);
		return 1;
	}
	if (fq_endpoints_find(argc, argv, &eps, &neps, &err) < 0) {
		fprintf(stderr, "fakeqemu: -fake-replay: %s\n", err ? err : "bad command line");
		return 1;
	}
	free(err);
	err = NULL;
	{
		/* The client's arguments now, without ours, against the recorded ones. */
		char **now = calloc((size_t)argc + 1, sizeof(char *));
		size_t nnow = 0;

		for (int i = 1; now && i < argc; i++) {
			if (argv[i][0] == '-' &&
			    !strncmp(argv[i] + (argv[i][1] == '-' ? 2 : 1), "fake-", 5)) {
				i++;
				continue;
			}
			now[nnow++] = argv[i];
		}
		fq_subst_from_argv(&P.subst, P.rec.argv, P.rec.argc, now, nnow);
		free(now);
	}
	if (neps != P.rec.nmonitors)
		fprintf(
		    stderr,
		    "fakeqemu: replay %s: the command line has %zu QMP monitor(s), the recording "
		    "%zu: the first %zu are replayed\n",
		    path, neps, P.rec.nmonitors, neps < P.rec.nmonitors ? neps : P.rec.nmonitors);
	P.nmons = neps < P.rec.nmonitors ? neps : P.rec.nmonitors;
	P.mons = calloc(P.nmons ? P.nmons : 1, sizeof(*P.mons));
	P.proc = calloc(P.rec.nitems + 1, sizeof(size_t));
	for (size_t i = 0; i < P.nmons; i++) {
		struct pmon *m = &P.mons[i];

		*m = (struct pmon){.ep = &eps[i],
				   .index = (int)i,
				   .listen_fd = -1,
				   .client_fd = -1,
				   .anchor_ms = P.start_ms};
		m->items = calloc(P.rec.nitems + 1, sizeof(size_t));
		m->pending = json_object_new_array();
		m->ids = json_object_new_array();
	}
	for (size_t k = 0; k < P.rec.nitems; k++) {
		int mon = P.rec.items[k].monitor;

		if (mon < 0)
			P.proc[P.nproc++] = k;
		else if ((size_t)mon < P.nmons)
			P.mons[mon].items[P.mons[mon].n++] = k;
	}
	fq_standin_options(argc, argv, &P.standin);
	fq_standin_daemonize(&P.standin);
	P.signal_fd = fq_standin_signals();
	fq_loop_watch(P.signal_fd, POLLIN, on_signal, NULL);
	for (size_t i = 0; i < P.nmons; i++) {
		struct pmon *m = &P.mons[i];

		if (m->ep->server) {
			m->listen_fd = fq_endpoint_listen(m->ep, &err);
			if (m->listen_fd < 0) {
				fprintf(stderr, "fakeqemu: %s: %s\n", m->ep->how,
					err ? err : "listen");
				fq_standin_failed(&P.standin, 1);
				return 1;
			}
			fq_loop_watch(m->listen_fd, POLLIN, on_listen, m);
		} else {
			int fd = fq_endpoint_connect_client(m->ep, &err);

			if (fd < 0) {
				fprintf(stderr, "fakeqemu: %s: %s\n", m->ep->how,
					err ? err : "connect");
				fq_standin_failed(&P.standin, 1);
				return 1;
			}
			start_session(m, fd);
		}
	}
	open_other_sockets(argc, argv, eps, neps);
	fq_standin_pidfile(&P.standin);
	fq_standin_ready(&P.standin);
	advance_process();
	return fq_loop_run();
}
