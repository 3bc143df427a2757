/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_client.c - QMP connection: greeting, negotiation, id-matched commands, events */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "deadline.h"
#include "error.h"
#include "log.h"
#include "qmp_claims.h"
#include "qmp_client.h"
#include "qmp_events.h"
#include "qmp_stream.h"
#include "utf8.h"

#define READ_CHUNK 65536

/*
 * Threading model: one mutex guards the whole connection state. No thread of
 * the library's own runs; instead, whichever waiting caller finds nobody
 * reading becomes the reader: it polls and reads the socket with the lock
 * dropped, then parses and dispatches under the lock and wakes the others,
 * who find their reply or event already filed. Writes are serialised by a
 * separate mutex, taken with the caller's deadline, so one command's bytes
 * never interleave with another's.
 */

struct pending_cmd {
	uint64_t id;
	json_object *reply; /* set once the reply arrived */
	bool abandoned;	    /* the caller gave up; drop the reply when it comes */
	struct pending_cmd *next;
};

struct qd_qmp_watch {
	struct qd_event_filter filter;
	qd_qmp_event_pred pred; /* instead of @filter when set */
	void *pred_arg;
	struct qd_event_queue matched;
	struct qd_qmp_watch *next;
};

struct qd_qmp {
	int fd;
	struct qd_logger log;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t changed;
	pthread_mutex_t write_lock; /* one writer at a time */

	bool reader_active;
	int broken; /* 0, or the negative errno every call fails with */
	char *broken_msg;

	struct qd_qmp_stream *stream;
	char *read_buf; /* used by the reader only */

	bool greeted;
	struct qd_qemu_version version;
	char *package;
	char **capabilities; /* NULL-terminated */

	uint64_t next_id;
	struct pending_cmd *pending;
	struct qd_event_queue events;
	size_t events_dropped;
	struct qd_qmp_watch *watches;
	struct qd_event_claims claims; /* events of the library's own hot-plug */
};

static const char *const no_capabilities[] = {NULL};

/* ---- state helpers (lock held) ---------------------------------------- */

static void mark_broken(struct qd_qmp *q, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mark_broken(struct qd_qmp *q, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (q->broken)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	q->broken = code;
	q->broken_msg = msg;
	qd_log(&q->log, QD_LOG_ERR, "QMP connection broken: %s", msg ? msg : "");
	pthread_cond_broadcast(&q->changed);
}

static int broken_error(struct qd_qmp *q, qd_error *err)
{
	return qd_error_set(err, q->broken, "%s",
			    q->broken_msg ? q->broken_msg : "QMP connection broken");
}

static struct pending_cmd *find_pending(struct qd_qmp *q, uint64_t id)
{
	for (struct pending_cmd *p = q->pending; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

static void remove_pending(struct qd_qmp *q, struct pending_cmd *cmd)
{
	for (struct pending_cmd **pp = &q->pending; *pp; pp = &(*pp)->next) {
		if (*pp == cmd) {
			*pp = cmd->next;
			json_object_put(cmd->reply);
			free(cmd);
			return;
		}
	}
}

/* ---- dispatch of parsed messages (lock held) -------------------------- */

static int take_greeting(struct qd_qmp *q, json_object *msg)
{
	json_object *qmp, *version, *qemu, *caps, *v;
	size_t n;

	if (!json_object_object_get_ex(msg, "QMP", &qmp) ||
	    !json_object_object_get_ex(qmp, "version", &version) ||
	    !json_object_object_get_ex(version, "qemu", &qemu) ||
	    !json_object_object_get_ex(qmp, "capabilities", &caps) ||
	    !json_object_is_type(caps, json_type_array))
		return -EPROTO;
	if (!json_object_object_get_ex(qemu, "major", &v) || !json_object_is_type(v, json_type_int))
		return -EPROTO;
	q->version.major = json_object_get_int(v);
	if (!json_object_object_get_ex(qemu, "minor", &v) || !json_object_is_type(v, json_type_int))
		return -EPROTO;
	q->version.minor = json_object_get_int(v);
	if (!json_object_object_get_ex(qemu, "micro", &v) || !json_object_is_type(v, json_type_int))
		return -EPROTO;
	q->version.micro = json_object_get_int(v);
	if (json_object_object_get_ex(version, "package", &v) &&
	    json_object_is_type(v, json_type_string))
		q->package = strdup(json_object_get_string(v));
	else
		q->package = strdup("");

	n = json_object_array_length(caps);
	q->capabilities = calloc(n + 1, sizeof(char *));
	if (!q->package || !q->capabilities)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(caps, i);

		if (!json_object_is_type(c, json_type_string))
			return -EPROTO;
		q->capabilities[i] = strdup(json_object_get_string(c));
		if (!q->capabilities[i])
			return -ENOMEM;
	}
	q->version.package = q->package;
	q->greeted = true;
	qd_log(&q->log, QD_LOG_DEBUG, "QMP greeting: QEMU %d.%d.%d (%s)", q->version.major,
	       q->version.minor, q->version.micro, q->package);
	return 0;
}

static bool watch_matches(const struct qd_qmp_watch *w, json_object *msg)
{
	return w->pred ? w->pred(msg, w->pred_arg) : qd_event_filter_matches(&w->filter, msg);
}

static void take_event(struct qd_qmp *q, json_object *msg)
{
	bool library_wait = false;

	for (struct qd_qmp_watch *w = q->watches; w; w = w->next) {
		if (!watch_matches(w, msg))
			continue;
		library_wait |= w->pred != NULL;
		if (qd_event_queue_push(&w->matched, msg) < 0)
			mark_broken(q, -ENOMEM, "out of memory queueing a QMP event");
	}
	/* An answer to the library's own hot-plug is not the caller's to read. */
	if (qd_claims_take(&q->claims, msg, library_wait))
		return;
	if (q->events.len >= QD_QMP_EVENT_QUEUE_MAX) {
		json_object_put(qd_event_queue_pop(&q->events));
		if (q->events_dropped++ == 0)
			qd_log(&q->log, QD_LOG_WARNING,
			       "QMP event queue full (%u): dropping the oldest events",
			       QD_QMP_EVENT_QUEUE_MAX);
	}
	if (qd_event_queue_push(&q->events, msg) < 0)
		mark_broken(q, -ENOMEM, "out of memory queueing a QMP event");
}

static void take_reply(struct qd_qmp *q, json_object *msg)
{
	json_object *id;
	struct pending_cmd *cmd;

	if (!json_object_object_get_ex(msg, "id", &id)) {
		json_object *e, *desc;
		const char *text = "";

		if (json_object_object_get_ex(msg, "error", &e) &&
		    json_object_object_get_ex(e, "desc", &desc))
			text = json_object_get_string(desc);
		mark_broken(q, -EPROTO,
			    "QMP reply without id (QEMU could not parse a request?): %s", text);
		return;
	}
	/* Ids are small positive integers: the shortest form QEMU has to read. */
	if (!json_object_is_type(id, json_type_int) || json_object_get_int64(id) <= 0 ||
	    !(cmd = find_pending(q, (uint64_t)json_object_get_int64(id)))) {
		mark_broken(q, -EPROTO, "QMP reply with unknown id %s",
			    json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN));
		return;
	}
	if (cmd->reply) {
		mark_broken(q, -EPROTO, "second QMP reply for id %" PRIu64, cmd->id);
		return;
	}
	if (cmd->abandoned) {
		qd_log(&q->log, QD_LOG_DEBUG, "discarding late QMP reply for id %" PRIu64, cmd->id);
		remove_pending(q, cmd);
		return;
	}
	cmd->reply = json_object_get(msg);
}

static int dispatch(void *opaque, json_object *msg)
{
	struct qd_qmp *q = opaque;
	_cleanup_json_ json_object *owned = msg; /* the stream hands the message over */

	(void)owned;
	if (!json_object_is_type(msg, json_type_object)) {
		mark_broken(q, -EPROTO, "QMP peer sent a non-object message: %.200s",
			    json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN));
		return q->broken;
	}
	if (json_object_object_get_ex(msg, "event", NULL)) {
		take_event(q, msg);
	} else if (!q->greeted) {
		int r = take_greeting(q, msg);

		if (r < 0)
			mark_broken(q, r, "invalid QMP greeting: %.200s",
				    json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN));
	} else if (json_object_object_get_ex(msg, "return", NULL) ||
		   json_object_object_get_ex(msg, "error", NULL)) {
		take_reply(q, msg);
	} else {
		mark_broken(q, -EPROTO, "unrecognised QMP message: %.200s",
			    json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN));
	}
	return q->broken;
}

/* ---- reading and waiting ---------------------------------------------- */

/*
 * read_some() - wait up to @timeout_ms for input and read it (lock NOT held).
 * Return: bytes read, 0 at EOF, -ETIMEDOUT, or a negative errno.
 */
static ssize_t read_some(struct qd_qmp *q, int timeout_ms)
{
	struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
	int64_t deadline = qd_deadline_after_ms(timeout_ms);

	for (;;) {
		int r = poll(&pfd, 1, qd_deadline_left_ms(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t n = recv(q->fd, q->read_buf, READ_CHUNK, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return n < 0 ? -errno : n;
	}
}

typedef bool (*ready_fn)(struct qd_qmp *q, void *arg);

/*
 * wait_for() - block (lock held) until @ready says so, the connection
 * breaks, or @deadline passes. A passed deadline still allows one
 * non-blocking read, so a zero timeout sees data already in the socket.
 */
static int wait_for(struct qd_qmp *q, ready_fn ready, void *arg, int64_t deadline)
{
	bool polled = false;

	for (;;) {
		int left;

		if (ready(q, arg))
			return 0;
		if (q->broken)
			return q->broken;
		left = qd_deadline_left_ms(deadline);
		if (left == 0 && polled)
			return -ETIMEDOUT;
		if (!q->reader_active) {
			ssize_t n;
			qd_error perr = {0};

			q->reader_active = true;
			polled = true;
			pthread_mutex_unlock(&q->lock);
			n = read_some(q, left);
			pthread_mutex_lock(&q->lock);
			if (n > 0) {
				int r = qd_qmp_stream_feed(q->stream, q->read_buf, (size_t)n,
							   dispatch, q, &perr);
				if (r < 0)
					mark_broken(q, r, "%s",
						    perr.message ? perr.message
								 : "QMP stream error");
				qd_error_clear(&perr);
			} else if (n == 0) {
				if (qd_qmp_stream_pending(q->stream))
					mark_broken(
					    q, -ECONNRESET,
					    "QMP connection closed by QEMU in the middle of "
					    "a message");
				else
					mark_broken(q, -ECONNRESET,
						    "QMP connection closed by QEMU");
			} else if (n != -ETIMEDOUT) {
				mark_broken(q, (int)n, "reading from QMP socket: %s",
					    strerror((int)-n));
			}
			q->reader_active = false;
			pthread_cond_broadcast(&q->changed);
		} else {
			struct timespec ts = qd_deadline_timespec(deadline);

			if (left == 0)
				return -ETIMEDOUT;
			pthread_cond_timedwait(&q->changed, &q->lock, &ts);
		}
	}
}

/* ---- writing ------------------------------------------------------------ */

/*
 * send_all() - write @len bytes by @deadline without SIGPIPE (write_lock held).
 * Return: 0, or a negative errno with *@sent the bytes that did go out.
 */
static int send_all(struct qd_qmp *q, const char *buf, size_t len, int64_t deadline, size_t *sent)
{
	*sent = 0;
	while (*sent < len) {
		ssize_t n = send(q->fd, buf + *sent, len - *sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			*sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;

		struct pollfd pfd = {.fd = q->fd, .events = POLLOUT};
		int left = qd_deadline_left_ms(deadline);
		if (left == 0)
			return -ETIMEDOUT;
		int r = poll(&pfd, 1, left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* ---- construction --------------------------------------------------------- */

int qd_qmp_open_fd(int fd, const struct qd_qmp_options *opts, struct qd_qmp **out, qd_error *err)
{
	_cleanup_close_ int owned_fd = fd;
	struct qd_qmp *q;
	pthread_condattr_t attr;
	int flags;

	*out = NULL;
	if (fd < 0)
		return qd_error_set(err, -EINVAL, "invalid QMP file descriptor %d", fd);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return qd_error_set(err, -errno, "cannot use QMP file descriptor %d: %s", fd,
				    strerror(errno));

	q = calloc(1, sizeof(*q));
	if (!q)
		return qd_error_set(err, -ENOMEM, "out of memory");
	q->stream = qd_qmp_stream_new(opts ? opts->max_message_size : 0);
	q->read_buf = malloc(READ_CHUNK);
	if (!q->stream || !q->read_buf) {
		qd_qmp_stream_free(q->stream);
		free(q->read_buf);
		free(q);
		return qd_error_set(err, -ENOMEM, "out of memory");
	}
	if (opts) {
		q->log.fn = opts->log_fn;
		q->log.opaque = opts->log_opaque;
		q->log.max_level = opts->log_level;
	}
	if (!q->log.max_level)
		q->log.max_level = QD_LOG_WARNING;
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->write_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->changed, &attr);
	pthread_condattr_destroy(&attr);
	q->fd = steal_fd(&owned_fd);
	q->next_id = 1;
	*out = q;
	return 0;
}

int qd_qmp_open_path(const char *path, const struct qd_qmp_options *opts, int timeout_ms,
		     struct qd_qmp **out, qd_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	int64_t deadline;
	int r;

	*out = NULL;
	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	if (!path || !*path)
		return qd_error_set(err, -EINVAL, "empty QMP socket path");
	if (strlen(path) >= sizeof(addr.sun_path))
		return qd_error_set(err, -ENAMETOOLONG,
				    "QMP socket path is %zu bytes, over the unix socket limit of "
				    "%zu: %s",
				    strlen(path), sizeof(addr.sun_path) - 1, path);
	memcpy(addr.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return qd_error_set(err, -errno, "socket: %s", strerror(errno));
	deadline = qd_deadline_after_ms(timeout_ms);
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int e = errno;

		if (e == EINTR)
			continue;
		if (e != EAGAIN && e != EINPROGRESS)
			return qd_error_set(err, -e, "cannot connect to QMP socket %s: %s", path,
					    strerror(e));
		/* Backlog full: wait for the listener, within the deadline. */
		if (qd_deadline_left_ms(deadline) == 0 ||
		    poll(&pfd, 1, qd_deadline_left_ms(deadline)) == 0)
			return qd_error_set(err, -ETIMEDOUT,
					    "timed out connecting to QMP socket %s after %d ms",
					    path, timeout_ms);
		if (e == EINPROGRESS)
			break;
	}
	return qd_qmp_open_fd(steal_fd(&fd), opts, out, err);
}

static bool is_greeted(struct qd_qmp *q, void *arg)
{
	(void)arg;
	return q->greeted;
}

/* handshake_until() - the handshake by @deadline; @timeout_ms is what the caller asked for. */
static int handshake_until(struct qd_qmp *q, int64_t deadline, int timeout_ms, qd_error *err)
{
	int r;

	pthread_mutex_lock(&q->lock);
	r = wait_for(q, is_greeted, NULL, deadline);
	if (r == -ETIMEDOUT)
		qd_error_set(err, r, "no QMP greeting within %d ms", timeout_ms);
	else if (r < 0)
		broken_error(q, err);
	pthread_mutex_unlock(&q->lock);
	if (r < 0)
		return r;
	return qd_qmp_execute(q, "qmp_capabilities", NULL, qd_deadline_left_ms(deadline), NULL,
			      err);
}

int qd_qmp_handshake(struct qd_qmp *q, int timeout_ms, qd_error *err)
{
	int r = qd_error_check_timeout(err, timeout_ms);

	if (r < 0)
		return r;
	return handshake_until(q, qd_deadline_after_ms(timeout_ms), timeout_ms, err);
}

int qd_qmp_connect(const char *path, const struct qd_qmp_options *opts, int timeout_ms,
		   struct qd_qmp **out, qd_error *err)
{
	struct qd_qmp *q;
	int64_t deadline;
	int r;

	*out = NULL;
	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	deadline = qd_deadline_after_ms(timeout_ms);
	r = qd_qmp_open_path(path, opts, timeout_ms, &q, err);
	if (r < 0)
		return r;
	r = handshake_until(q, deadline, timeout_ms, err);
	if (r < 0) {
		qd_qmp_free(q);
		return r;
	}
	*out = q;
	return 0;
}

void qd_qmp_free(struct qd_qmp *q)
{
	if (!q)
		return;
	while (q->watches) {
		struct qd_qmp_watch *w = q->watches;

		q->watches = w->next;
		qd_event_filter_clear(&w->filter);
		qd_event_queue_clear(&w->matched);
		free(w);
	}
	while (q->pending)
		remove_pending(q, q->pending);
	qd_event_queue_clear(&q->events);
	qd_claims_clear(&q->claims);
	if (q->capabilities)
		for (char **c = q->capabilities; *c; c++)
			free(*c);
	free(q->capabilities);
	free(q->package);
	free(q->broken_msg);
	qd_qmp_stream_free(q->stream);
	free(q->read_buf);
	close(q->fd);
	pthread_cond_destroy(&q->changed);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->write_lock);
	free(q);
}

void qd_qmp_set_log(struct qd_qmp *q, qd_log_fn fn, void *opaque, int level)
{
	pthread_mutex_lock(&q->lock);
	q->log.fn = fn;
	q->log.opaque = opaque;
	q->log.max_level = level ? level : QD_LOG_WARNING;
	pthread_mutex_unlock(&q->lock);
}

/* ---- queries ------------------------------------------------------------- */

int qd_qmp_get_version(struct qd_qmp *q, struct qd_qemu_version *out)
{
	int r = -ENOTCONN;

	pthread_mutex_lock(&q->lock);
	if (q->greeted) {
		*out = q->version;
		r = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

const char *const *qd_qmp_capabilities(struct qd_qmp *q)
{
	const char *const *caps;

	pthread_mutex_lock(&q->lock);
	caps = q->greeted ? (const char *const *)q->capabilities : no_capabilities;
	pthread_mutex_unlock(&q->lock);
	return caps;
}

bool qd_qmp_has_capability(struct qd_qmp *q, const char *cap)
{
	for (const char *const *c = qd_qmp_capabilities(q); *c; c++)
		if (strcmp(*c, cap) == 0)
			return true;
	return false;
}

int qd_qmp_broken(struct qd_qmp *q, const char **message)
{
	int r;

	pthread_mutex_lock(&q->lock);
	r = q->broken;
	if (message)
		*message = q->broken_msg;
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* ---- commands ------------------------------------------------------------- */

static bool reply_arrived(struct qd_qmp *q, void *arg)
{
	(void)q;
	return ((struct pending_cmd *)arg)->reply != NULL;
}

static char *format_command(const char *command, json_object *arguments, uint64_t id)
{
	_cleanup_json_ json_object *msg = json_object_new_object();
	const char *text;

	if (!msg)
		return NULL;
	json_object_object_add(msg, "execute", json_object_new_string(command));
	if (arguments)
		json_object_object_add(msg, "arguments", json_object_get(arguments));
	json_object_object_add(msg, "id", json_object_new_int64((int64_t)id));
	text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	return text ? strdup(text) : NULL;
}

static int reply_to_result(json_object *reply, const char *command, json_object **result,
			   qd_error *err)
{
	json_object *ret, *e, *cls, *desc;

	if (json_object_object_get_ex(reply, "return", &ret)) {
		if (result)
			*result = json_object_get(ret);
		return 0;
	}
	if (!json_object_object_get_ex(reply, "error", &e) ||
	    !json_object_object_get_ex(e, "class", &cls) ||
	    !json_object_object_get_ex(e, "desc", &desc))
		return qd_error_set(err, -EPROTO, "malformed QMP error reply to '%s': %.200s",
				    command,
				    json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	return qd_error_set_qmp(err, json_object_get_string(cls), json_object_get_string(desc));
}

int qd_qmp_execute(struct qd_qmp *q, const char *command, json_object *arguments, int timeout_ms,
		   json_object **result, qd_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_object *reply = NULL;
	struct pending_cmd *cmd;
	struct qd_logger log;
	int64_t deadline;
	size_t sent = 0;
	int r;

	if (result)
		*result = NULL;
	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	if (!command || !*command)
		return qd_error_set(err, -EINVAL, "empty QMP command name");
	if (arguments && !json_object_is_type(arguments, json_type_object))
		return qd_error_set(err, -EINVAL, "arguments of QMP command '%s' must be an object",
				    command);
	deadline = qd_deadline_after_ms(timeout_ms);

	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return qd_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_lock(&q->lock);
	if (q->broken) {
		r = broken_error(q, err);
		pthread_mutex_unlock(&q->lock);
		free(cmd);
		return r;
	}
	cmd->id = q->next_id++;
	cmd->next = q->pending;
	q->pending = cmd;
	log = q->log; /* qd_qmp_set_log() may change it meanwhile */
	pthread_mutex_unlock(&q->lock);

	text = format_command(command, arguments, cmd->id);
	if (!text) {
		r = qd_error_set(err, -ENOMEM, "out of memory");
		goto drop;
	}
	/* QEMU would answer invalid UTF-8 with an id-less parse error: never send it. */
	if (!qd_utf8_valid(text)) {
		r = qd_error_set(err, -EINVAL,
				 "QMP command '%s' not sent: its arguments are not valid UTF-8",
				 command);
		goto drop;
	}
	qd_log(&log, QD_LOG_DEBUG, "QMP send: %s", text);
	struct timespec until = qd_deadline_timespec(deadline);
	r = -pthread_mutex_clocklock(&q->write_lock, CLOCK_MONOTONIC, &until);
	if (r == 0) {
		r = send_all(q, text, strlen(text), deadline, &sent);
		pthread_mutex_unlock(&q->write_lock);
	}
	if (r < 0) {
		pthread_mutex_lock(&q->lock);
		if (sent > 0 || (r != -ETIMEDOUT && r != -EAGAIN))
			mark_broken(q, r == -ETIMEDOUT ? -ETIMEDOUT : r,
				    "sending QMP command '%s' failed after %zu of %zu bytes: %s",
				    command, sent, strlen(text), strerror(-r));
		pthread_mutex_unlock(&q->lock);
		if (r == -ETIMEDOUT && sent == 0)
			qd_error_set(err, r, "timed out after %d ms sending QMP command '%s'",
				     timeout_ms, command);
		else
			qd_error_set(err, r, "sending QMP command '%s' failed: %s", command,
				     strerror(-r));
		goto drop;
	}

	pthread_mutex_lock(&q->lock);
	r = wait_for(q, reply_arrived, cmd, deadline);
	if (r == -ETIMEDOUT) {
		cmd->abandoned = true; /* its reply is dropped when it comes */
		pthread_mutex_unlock(&q->lock);
		return qd_error_set(err, r, "QMP command '%s' got no reply within %d ms", command,
				    timeout_ms);
	}
	if (r < 0) {
		broken_error(q, err);
		remove_pending(q, cmd);
		pthread_mutex_unlock(&q->lock);
		return r;
	}
	reply = steal_ptr(&cmd->reply);
	remove_pending(q, cmd);
	pthread_mutex_unlock(&q->lock);
	if (qd_log_enabled(&log, QD_LOG_DEBUG))
		qd_log(&log, QD_LOG_DEBUG, "QMP reply to %s: %s", command,
		       json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	return reply_to_result(reply, command, result, err);

drop:
	pthread_mutex_lock(&q->lock);
	remove_pending(q, cmd);
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* ---- pipelined commands ------------------------------------------------------- */

/*
 * send_with_fd() - write @len bytes with @fd attached to the first of them
 * (SCM_RIGHTS), then the rest (write_lock held). QEMU keeps a descriptor it
 * receives for the command whose bytes brought it (getfd, add-fd), and
 * reads no further while a command waits: so a descriptor must come with
 * its own command's first byte, never with an earlier command's bytes.
 */
static int send_with_fd(struct qd_qmp *q, const char *buf, size_t len, int fd, int64_t deadline,
			size_t *sent)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *c;
	size_t rest = 0;
	ssize_t n;
	int r;

	*sent = 0;
	memset(control.buf, 0, sizeof(control.buf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	for (;;) {
		struct pollfd pfd = {.fd = q->fd, .events = POLLOUT};
		int left;

		n = sendmsg(q->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		left = qd_deadline_left_ms(deadline);
		if (left == 0 || (r = poll(&pfd, 1, left)) == 0)
			return -ETIMEDOUT;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
	*sent = (size_t)n;
	if (*sent == len)
		return 0;
	r = send_all(q, buf + *sent, len - *sent, deadline, &rest);
	*sent += rest;
	return r;
}

/* The pending entries of a batch, all answered (lock held). */
struct batch_wait {
	struct pending_cmd **cmds;
	size_t n;
};

static bool batch_answered(struct qd_qmp *q, void *arg)
{
	const struct batch_wait *b = arg;

	(void)q;
	for (size_t i = 0; i < b->n; i++)
		if (b->cmds[i] && !b->cmds[i]->reply)
			return false;
	return true;
}

/*
 * send_batch() - write the texts in order: each run of descriptor-less
 * commands in one send, a command with a descriptor in a sendmsg of its own
 * (write_lock held). Return: 0, or the error after which nothing more went
 * out; *@unsent is the first command not sent whole and *@partial how many
 * of its bytes did go.
 */
static int send_batch(struct qd_qmp *q, char **texts, const struct qd_qmp_request *reqs, size_t n,
		      int64_t deadline, size_t *unsent, size_t *partial)
{
	size_t i = 0;

	*partial = 0;
	while (i < n) {
		_cleanup_free_ char *run = NULL;
		size_t j = i + 1, len = 0, sent = 0;
		int r;

		if (!texts[i]) {
			i++;
			continue;
		}
		if (reqs[i].fd >= 0) {
			r = send_with_fd(q, texts[i], strlen(texts[i]), reqs[i].fd, deadline,
					 &sent);
		} else {
			while (j < n && (!texts[j] || reqs[j].fd < 0))
				j++;
			for (size_t k = i; k < j; k++)
				len += texts[k] ? strlen(texts[k]) : 0;
			run = malloc(len + 1);
			if (!run) {
				*unsent = i;
				return -ENOMEM;
			}
			len = 0;
			for (size_t k = i; k < j; k++)
				if (texts[k]) {
					memcpy(run + len, texts[k], strlen(texts[k]));
					len += strlen(texts[k]);
				}
			r = send_all(q, run, len, deadline, &sent);
		}
		if (r < 0) {
			/* The commands before the cut went out whole. */
			for (; i < j; i++) {
				size_t l = texts[i] ? strlen(texts[i]) : 0;

				if (sent < l)
					break;
				sent -= l;
			}
			*unsent = i;
			*partial = sent;
			return r;
		}
		i = j;
	}
	*unsent = n;
	return 0;
}

/* Allocate, number and file the batch's pending entries; -EPIPE etc. when broken (lock held). */
static int batch_register(struct qd_qmp *q, struct pending_cmd **cmds, size_t n, qd_error *err)
{
	if (q->broken)
		return broken_error(q, err);
	for (size_t i = 0; i < n; i++) {
		cmds[i]->id = q->next_id++;
		cmds[i]->next = q->pending;
		q->pending = cmds[i];
	}
	return 0;
}

/* Collect the replies (lock held): each request's outcome; the batch's own error, or 0. */
static int batch_collect(struct qd_qmp *q, struct qd_qmp_request *reqs, struct pending_cmd **cmds,
			 size_t n, int waited, const struct qd_logger *log, qd_error *err)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		_cleanup_json_ json_object *reply = NULL;

		if (!cmds[i])
			continue;
		if (!cmds[i]->reply) {
			if (waited == -ETIMEDOUT) {
				cmds[i]->abandoned = true; /* its reply is dropped when it comes */
				reqs[i].r = qd_error_set(&reqs[i].err, -ETIMEDOUT,
							 "QMP command '%s' got no reply in time",
							 reqs[i].command);
			} else {
				reqs[i].r = broken_error(q, &reqs[i].err);
				remove_pending(q, cmds[i]);
			}
			continue;
		}
		reply = steal_ptr(&cmds[i]->reply);
		remove_pending(q, cmds[i]);
		if (qd_log_enabled(log, QD_LOG_DEBUG))
			qd_log(log, QD_LOG_DEBUG, "QMP reply to %s: %s", reqs[i].command,
			       json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
		reqs[i].r = reply_to_result(reply, reqs[i].command, &reqs[i].result, &reqs[i].err);
	}
	for (size_t i = 0; i < n && r == 0; i++)
		if (reqs[i].r < 0 && reqs[i].r != -EREMOTEIO)
			r = qd_error_copy(err, &reqs[i].err);
	return r;
}

int qd_qmp_execute_batch(struct qd_qmp *q, struct qd_qmp_request *reqs, size_t n, int timeout_ms,
			 qd_error *err)
{
	_cleanup_free_ struct pending_cmd **cmds = NULL;
	_cleanup_free_ char **texts = NULL;
	struct batch_wait wait;
	struct qd_logger log;
	struct timespec until;
	size_t unsent = 0, partial = 0;
	int64_t deadline;
	int r;

	for (size_t i = 0; i < n; i++) {
		reqs[i].r = 0;
		reqs[i].result = NULL;
		reqs[i].err = (qd_error){0};
	}
	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0 || n == 0)
		return r;
	deadline = qd_deadline_after_ms(timeout_ms);
	cmds = calloc(n, sizeof(*cmds));
	texts = calloc(n, sizeof(*texts));
	for (size_t i = 0; cmds && texts && i < n; i++)
		if (!(cmds[i] = calloc(1, sizeof(**cmds))))
			break;
	if (!cmds || !texts || !cmds[n - 1]) {
		for (size_t i = 0; cmds && i < n; i++)
			free(cmds[i]);
		return qd_error_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&q->lock);
	r = batch_register(q, cmds, n, err);
	for (size_t i = 0; r < 0 && i < n; i++) {
		free(cmds[i]);
		reqs[i].r = broken_error(q, &reqs[i].err);
	}
	log = q->log;
	pthread_mutex_unlock(&q->lock);
	if (r < 0)
		return r;

	for (size_t i = 0; i < n; i++) {
		texts[i] = format_command(reqs[i].command, reqs[i].arguments, cmds[i]->id);
		if (!texts[i])
			reqs[i].r = qd_error_set(&reqs[i].err, -ENOMEM, "out of memory");
		else if (!qd_utf8_valid(texts[i]))
			reqs[i].r = qd_error_set(
			    &reqs[i].err, -EINVAL,
			    "QMP command '%s' not sent: its arguments are not valid UTF-8",
			    reqs[i].command);
		else
			qd_log(&log, QD_LOG_DEBUG, "QMP send: %s", texts[i]);
		if (reqs[i].r < 0) {
			free(texts[i]);
			texts[i] = NULL;
		}
	}
	until = qd_deadline_timespec(deadline);
	r = -pthread_mutex_clocklock(&q->write_lock, CLOCK_MONOTONIC, &until);
	if (r == 0) {
		r = send_batch(q, texts, reqs, n, deadline, &unsent, &partial);
		pthread_mutex_unlock(&q->write_lock);
	}

	pthread_mutex_lock(&q->lock);
	if (r < 0) {
		/* Half a command went out: the stream is out of step with QEMU. */
		if (partial > 0 || (r != -ETIMEDOUT && r != -EAGAIN))
			mark_broken(q, r, "sending QMP command '%s' failed: %s",
				    reqs[unsent < n ? unsent : n - 1].command, strerror(-r));
		for (size_t i = unsent; i < n; i++)
			if (reqs[i].r == 0)
				reqs[i].r =
				    qd_error_set(&reqs[i].err, r, "QMP command '%s' not sent: %s",
						 reqs[i].command, strerror(-r));
	}
	for (size_t i = 0; i < n; i++)
		if (reqs[i].r < 0) {
			remove_pending(q, cmds[i]);
			cmds[i] = NULL;
		}
	wait = (struct batch_wait){cmds, n};
	r = batch_collect(q, reqs, cmds, n, wait_for(q, batch_answered, &wait, deadline), &log,
			  err);
	pthread_mutex_unlock(&q->lock);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	return r;
}

int qd_qmp_execute_fd(struct qd_qmp *q, const char *command, json_object *arguments, int fd,
		      int timeout_ms, json_object **result, qd_error *err)
{
	struct qd_qmp_request req = {.command = command, .arguments = arguments, .fd = fd};
	int r;

	if (result)
		*result = NULL;
	if (!command || !*command)
		return qd_error_set(err, -EINVAL, "empty QMP command name");
	if (arguments && !json_object_is_type(arguments, json_type_object))
		return qd_error_set(err, -EINVAL, "arguments of QMP command '%s' must be an object",
				    command);
	if (fd < 0)
		return qd_error_set(err, -EINVAL, "QMP command '%s': no descriptor to pass (%d)",
				    command, fd);
	r = qd_qmp_execute_batch(q, &req, 1, timeout_ms, err);
	if (r == 0 && req.r < 0)
		r = qd_error_copy(err, &req.err);
	if (result)
		*result = req.result;
	else
		json_object_put(req.result);
	qd_error_clear(&req.err);
	return r;
}

/* ---- events ----------------------------------------------------------------- */

int qd_qmp_watch_new(struct qd_qmp *q, const char *event, const char *data_key,
		     const char *data_value, struct qd_qmp_watch **out, qd_error *err)
{
	struct qd_qmp_watch *w;
	int r;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return qd_error_set(err, -ENOMEM, "out of memory");
	r = qd_event_filter_init(&w->filter, event, data_key, data_value);
	if (r < 0) {
		free(w);
		return qd_error_set(err, r, "invalid event filter (event '%s', key '%s')",
				    event ? event : "", data_key ? data_key : "");
	}
	pthread_mutex_lock(&q->lock);
	w->next = q->watches;
	q->watches = w;
	pthread_mutex_unlock(&q->lock);
	*out = w;
	return 0;
}

int qd_qmp_watch_new_pred(struct qd_qmp *q, qd_qmp_event_pred pred, void *arg,
			  struct qd_qmp_watch **out, qd_error *err)
{
	struct qd_qmp_watch *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return qd_error_set(err, -ENOMEM, "out of memory");
	w->pred = pred;
	w->pred_arg = arg;
	w->filter.name = strdup("(library)"); /* for messages */
	if (!w->filter.name) {
		free(w);
		return qd_error_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&q->lock);
	w->next = q->watches;
	q->watches = w;
	pthread_mutex_unlock(&q->lock);
	*out = w;
	return 0;
}

int qd_qmp_claim(struct qd_qmp *q, const char *id)
{
	int r;

	pthread_mutex_lock(&q->lock);
	r = qd_claims_add(&q->claims, id);
	pthread_mutex_unlock(&q->lock);
	return r;
}

void qd_qmp_unclaim(struct qd_qmp *q, const char *id)
{
	pthread_mutex_lock(&q->lock);
	qd_claims_release(&q->claims, id);
	pthread_mutex_unlock(&q->lock);
}

void qd_qmp_claim_cpu_tail(struct qd_qmp *q, int delta)
{
	pthread_mutex_lock(&q->lock);
	qd_claims_expect_cpu_tail(&q->claims, delta);
	pthread_mutex_unlock(&q->lock);
}

json_object *qd_qmp_take_refusal(struct qd_qmp *q)
{
	json_object *ev;

	pthread_mutex_lock(&q->lock);
	ev = qd_event_queue_pop(&q->claims.inbox);
	pthread_mutex_unlock(&q->lock);
	return ev;
}

void qd_qmp_watch_free(struct qd_qmp *q, struct qd_qmp_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&q->lock);
	for (struct qd_qmp_watch **pp = &q->watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&q->lock);
	qd_event_filter_clear(&w->filter);
	qd_event_queue_clear(&w->matched);
	free(w);
}

static bool queue_nonempty(struct qd_qmp *q, void *arg)
{
	(void)q;
	return ((struct qd_event_queue *)arg)->len > 0;
}

struct take_arg {
	const struct qd_event_filter *filter;
	json_object *found;
};

static bool take_matching(struct qd_qmp *q, void *arg)
{
	struct take_arg *t = arg;

	t->found = qd_event_queue_take(&q->events, t->filter);
	return t->found != NULL;
}

/* finish_event_wait() - turn wait_for()'s result into the caller's error (lock held). */
static int finish_event_wait(struct qd_qmp *q, int r, const char *what, int timeout_ms,
			     qd_error *err)
{
	if (r == -ETIMEDOUT)
		return qd_error_set(err, r, "no %s within %d ms", what, timeout_ms);
	if (r < 0)
		return broken_error(q, err);
	return 0;
}

int qd_qmp_watch_wait(struct qd_qmp *q, struct qd_qmp_watch *w, int timeout_ms, json_object **event,
		      qd_error *err)
{
	json_object *ev = NULL;
	int r;

	if (event)
		*event = NULL;
	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	pthread_mutex_lock(&q->lock);
	r = wait_for(q, queue_nonempty, &w->matched, qd_deadline_after_ms(timeout_ms));
	if (r == 0)
		ev = qd_event_queue_pop(&w->matched);
	else
		r = finish_event_wait(q, r, w->filter.name, timeout_ms, err);
	pthread_mutex_unlock(&q->lock);
	if (event)
		*event = ev;
	else
		json_object_put(ev);
	return r;
}

int qd_qmp_wait_event(struct qd_qmp *q, const char *event, const char *data_key,
		      const char *data_value, int timeout_ms, json_object **out, qd_error *err)
{
	struct qd_event_filter filter;
	struct take_arg t = {.filter = &filter};
	int r;

	if (out)
		*out = NULL;
	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	r = qd_event_filter_init(&filter, event, data_key, data_value);
	if (r < 0)
		return qd_error_set(err, r, "invalid event filter (event '%s')",
				    event ? event : "");
	pthread_mutex_lock(&q->lock);
	r = wait_for(q, take_matching, &t, qd_deadline_after_ms(timeout_ms));
	r = finish_event_wait(q, r, event, timeout_ms, err);
	pthread_mutex_unlock(&q->lock);
	qd_event_filter_clear(&filter);
	if (out)
		*out = t.found;
	else
		json_object_put(t.found);
	return r;
}

int qd_qmp_next_event(struct qd_qmp *q, int timeout_ms, json_object **out, qd_error *err)
{
	int r;

	*out = NULL;
	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	pthread_mutex_lock(&q->lock);
	r = wait_for(q, queue_nonempty, &q->events, qd_deadline_after_ms(timeout_ms));
	if (r == 0)
		*out = qd_event_queue_pop(&q->events);
	else
		r = finish_event_wait(q, r, "QMP event", timeout_ms, err);
	pthread_mutex_unlock(&q->lock);
	return r;
}

int64_t qd_qmp_event_timestamp_us(json_object *event)
{
	json_object *ts, *sec, *usec;

	if (!json_object_object_get_ex(event, "timestamp", &ts) ||
	    !json_object_object_get_ex(ts, "seconds", &sec) ||
	    !json_object_object_get_ex(ts, "microseconds", &usec) ||
	    !json_object_is_type(sec, json_type_int) || !json_object_is_type(usec, json_type_int))
		return -1;
	return json_object_get_int64(sec) * 1000000 + json_object_get_int64(usec);
}
