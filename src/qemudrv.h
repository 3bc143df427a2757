/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemudrv.h - public API of libqemudrv: run QEMU VMs for container sandboxes */
#ifndef QEMUDRV_H
#define QEMUDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QD_PUBLIC __attribute__((visibility("default")))

/**
 * struct qd_error - what went wrong, owned by the caller
 * @code:      the negative errno the failing call returned
 * @qmp_class: QEMU's error class (e.g. "GenericError") when QEMU refused a
 *             command, else NULL
 * @message:   human-readable text; for QMP errors, QEMU's desc verbatim
 *
 * Initialise with `qd_error err = {0};` and release with qd_error_clear().
 * Every fallible function takes a `qd_error *` that may be NULL; on failure it
 * returns a negative errno and fills the error (replacing any earlier one).
 */
typedef struct qd_error {
	int code;
	char *qmp_class;
	char *message;
} qd_error;

/**
 * qd_error_clear() - release the strings of an error and zero it
 * @err: the error; NULL is allowed
 */
QD_PUBLIC void qd_error_clear(qd_error *err);

/* Log levels, as syslog's. */
enum qd_log_level {
	QD_LOG_ERR = 3,
	QD_LOG_WARNING = 4,
	QD_LOG_INFO = 6,
	QD_LOG_DEBUG = 7,
};

/**
 * typedef qd_log_fn - receives the library's log messages
 * @opaque:  the pointer given with the callback
 * @level:   an enum qd_log_level
 * @message: the text, without trailing newline; valid during the call only
 *
 * May be called from any thread that uses the handle.
 */
typedef void (*qd_log_fn)(void *opaque, int level, const char *message);

/* ------------------------------------------------------------------------ */
/* QMP client                                                               */
/* ------------------------------------------------------------------------ */

/* Largest QMP message accepted by default: 16 MiB. */
#define QD_QMP_DEFAULT_MAX_MESSAGE (16u * 1024u * 1024u)

/* Events kept in a connection's queue before the oldest are dropped. */
#define QD_QMP_EVENT_QUEUE_MAX 1024u

/**
 * struct qd_qmp_options - tunables of a QMP connection; zero means default
 * @max_message_size: largest message accepted from QEMU, in bytes
 *                    (default QD_QMP_DEFAULT_MAX_MESSAGE)
 * @log_fn:           log callback, or NULL for silence
 * @log_opaque:       passed to @log_fn
 * @log_level:        highest level passed to @log_fn (default QD_LOG_WARNING)
 */
struct qd_qmp_options {
	size_t max_message_size;
	qd_log_fn log_fn;
	void *log_opaque;
	int log_level;
};

/* One QMP connection; opaque. Safe to use from several threads at once. */
struct qd_qmp;

/* An armed wait for one kind of event; opaque. */
struct qd_qmp_watch;

/**
 * struct qd_qemu_version - the version QEMU announced in its greeting
 * @major:   e.g. 7
 * @minor:   e.g. 2
 * @micro:   e.g. 22
 * @package: e.g. "Debian 1:7.2+dfsg-7+deb12u18+b3"; owned by the connection
 */
struct qd_qemu_version {
	int major;
	int minor;
	int micro;
	const char *package;
};

/**
 * qd_qmp_open_fd() - adopt an already-connected stream socket
 * @fd:   connected AF_UNIX stream socket; owned by the connection from now
 *        on, even on failure. It is switched to non-blocking mode.
 * @opts: tunables, or NULL for defaults
 * @out:  receives the new connection
 * @err:  error details, or NULL
 *
 * Does no I/O: call qd_qmp_handshake() next.
 *
 * Return: 0, or -EINVAL for a bad fd or option, -ENOMEM.
 */
QD_PUBLIC int qd_qmp_open_fd(int fd, const struct qd_qmp_options *opts, struct qd_qmp **out,
			     qd_error *err);

/**
 * qd_qmp_open_path() - connect to a QMP unix socket by path
 * @path:       filesystem path of the socket
 * @opts:       tunables, or NULL for defaults
 * @timeout_ms: deadline for the connection, >= 0
 * @out:        receives the new connection
 * @err:        error details, or NULL
 *
 * Does not read the greeting: call qd_qmp_handshake() next.
 *
 * Return: 0; -ENAMETOOLONG when @path does not fit in a sockaddr_un
 * (107 bytes); the connect() errno (-ENOENT, -ECONNREFUSED, ...);
 * -ETIMEDOUT; -EINVAL for a negative timeout.
 */
QD_PUBLIC int qd_qmp_open_path(const char *path, const struct qd_qmp_options *opts, int timeout_ms,
			       struct qd_qmp **out, qd_error *err);

/**
 * qd_qmp_handshake() - read the greeting and negotiate capabilities
 * @q:          the connection
 * @timeout_ms: deadline for greeting plus negotiation, >= 0
 * @err:        error details, or NULL
 *
 * Events that arrive before the greeting are queued, not taken for it.
 * After success qd_qmp_get_version() and qd_qmp_has_capability() answer.
 *
 * Return: 0; -ETIMEDOUT; -EPROTO for a malformed greeting; -ECONNRESET when
 * QEMU closed the socket; -EREMOTEIO when QEMU refused qmp_capabilities.
 */
QD_PUBLIC int qd_qmp_handshake(struct qd_qmp *q, int timeout_ms, qd_error *err);

/**
 * qd_qmp_connect() - qd_qmp_open_path() followed by qd_qmp_handshake()
 * @path:       filesystem path of the socket
 * @opts:       tunables, or NULL for defaults
 * @timeout_ms: deadline for the whole operation, >= 0
 * @out:        receives the negotiated connection
 * @err:        error details, or NULL
 *
 * Return: 0 or a negative errno as for the two calls it makes.
 */
QD_PUBLIC int qd_qmp_connect(const char *path, const struct qd_qmp_options *opts, int timeout_ms,
			     struct qd_qmp **out, qd_error *err);

/**
 * qd_qmp_free() - close the socket and free the connection
 * @q: the connection; NULL is allowed
 *
 * No other thread may be inside a call on @q. Watches still armed are
 * freed too; their pointers become invalid.
 */
QD_PUBLIC void qd_qmp_free(struct qd_qmp *q);

/**
 * qd_qmp_get_version() - QEMU's version from the greeting
 * @q:   the connection
 * @out: filled on success; @out->package lives as long as @q
 *
 * Return: 0, or -ENOTCONN before the greeting was read.
 */
QD_PUBLIC int qd_qmp_get_version(struct qd_qmp *q, struct qd_qemu_version *out);

/**
 * qd_qmp_has_capability() - whether the greeting offered a capability
 * @q:   the connection
 * @cap: capability name, e.g. "oob"
 *
 * Return: true if offered.
 */
QD_PUBLIC bool qd_qmp_has_capability(struct qd_qmp *q, const char *cap);

/**
 * qd_qmp_capabilities() - the capabilities the greeting offered
 * @q: the connection
 *
 * Return: a NULL-terminated array owned by @q (empty before the greeting).
 */
QD_PUBLIC const char *const *qd_qmp_capabilities(struct qd_qmp *q);

/**
 * qd_qmp_execute() - run one command and wait for its reply
 * @q:          the connection
 * @command:    QMP command name, e.g. "query-status"
 * @arguments:  a JSON object of arguments (borrowed), or NULL for none
 * @timeout_ms: deadline for sending and for the reply, >= 0
 * @result:     receives the "return" value (a new reference the caller
 *              puts with json_object_put()), or NULL to discard it
 * @err:        error details, or NULL
 *
 * The command carries a unique "id" and its reply is matched by it, so
 * several threads may execute commands at once. If the deadline passes
 * before the reply, the connection stays usable and the late reply is
 * discarded when it arrives; if it passes in the middle of writing the
 * command, the connection is marked broken.
 *
 * Return: 0; -EREMOTEIO when QEMU answered with an error (@err->qmp_class
 * and @err->message hold its class and desc verbatim); -ETIMEDOUT; -EINVAL
 * for bad arguments or a negative timeout; -ECONNRESET, -EPIPE, -EPROTO or
 * -EMSGSIZE once the connection is broken (every later call fails the same).
 */
QD_PUBLIC int qd_qmp_execute(struct qd_qmp *q, const char *command, json_object *arguments,
			     int timeout_ms, json_object **result, qd_error *err);

/**
 * qd_qmp_watch_new() - arm a wait for an event before causing it
 * @q:          the connection
 * @event:      event name, e.g. "DEVICE_DELETED"
 * @data_key:   member of the event's "data" to match, or NULL for any
 * @data_value: the value that member must have (compared as text), or NULL
 *              to only require the member
 * @out:        receives the watch
 * @err:        error details, or NULL
 *
 * From this call on, every matching event is kept for the watch, so an
 * event that arrives before the reply of the command that caused it is not
 * lost. Events still go to the connection's general queue as well.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
QD_PUBLIC int qd_qmp_watch_new(struct qd_qmp *q, const char *event, const char *data_key,
			       const char *data_value, struct qd_qmp_watch **out, qd_error *err);

/**
 * qd_qmp_watch_wait() - take the next event matched by a watch
 * @q:          the connection
 * @w:          the watch
 * @timeout_ms: deadline, >= 0; 0 only checks what has already arrived
 * @event:      receives the whole event message (new reference, with
 *              "event", "data" and "timestamp"), or NULL to discard it
 * @err:        error details, or NULL
 *
 * Return: 0; -ETIMEDOUT; -EINVAL; or the connection's error once it broke
 * and no matched event is left.
 */
QD_PUBLIC int qd_qmp_watch_wait(struct qd_qmp *q, struct qd_qmp_watch *w, int timeout_ms,
				json_object **event, qd_error *err);

/**
 * qd_qmp_watch_free() - disarm and free a watch
 * @q: the connection it belongs to
 * @w: the watch; NULL is allowed
 */
QD_PUBLIC void qd_qmp_watch_free(struct qd_qmp *q, struct qd_qmp_watch *w);

/**
 * qd_qmp_wait_event() - wait for an event, including one already queued
 * @q:          the connection
 * @event:      event name
 * @data_key:   member of "data" to match, or NULL
 * @data_value: its value as text, or NULL
 * @timeout_ms: deadline, >= 0
 * @out:        receives the event (new reference), or NULL
 * @err:        error details, or NULL
 *
 * Takes the oldest matching event from the general queue, reading more
 * from the socket until one arrives or the deadline passes.
 *
 * Return: 0, -ETIMEDOUT, -EINVAL, or the connection's error.
 */
QD_PUBLIC int qd_qmp_wait_event(struct qd_qmp *q, const char *event, const char *data_key,
				const char *data_value, int timeout_ms, json_object **out,
				qd_error *err);

/**
 * qd_qmp_next_event() - take the oldest event from the general queue
 * @q:          the connection
 * @timeout_ms: deadline, >= 0; 0 checks without blocking
 * @out:        receives the event (new reference)
 * @err:        error details, or NULL
 *
 * Return: 0, -ETIMEDOUT, -EINVAL, or the connection's error.
 */
QD_PUBLIC int qd_qmp_next_event(struct qd_qmp *q, int timeout_ms, json_object **out, qd_error *err);

/**
 * qd_qmp_event_timestamp_us() - an event's QEMU timestamp
 * @event: an event message as returned by the wait functions
 *
 * Return: microseconds since the epoch, or -1 when it has no valid timestamp.
 */
QD_PUBLIC int64_t qd_qmp_event_timestamp_us(json_object *event);

/**
 * qd_qmp_broken() - whether the connection can no longer be used
 * @q:       the connection
 * @message: receives the reason (owned by @q), or NULL
 *
 * Return: 0 while usable, else the negative errno every call now fails with.
 */
QD_PUBLIC int qd_qmp_broken(struct qd_qmp *q, const char **message);

#ifdef __cplusplus
}
#endif

#endif /* QEMUDRV_H */
