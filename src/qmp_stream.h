/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_stream.h - split a QMP byte stream into JSON messages */
#ifndef QD_QMP_STREAM_H
#define QD_QMP_STREAM_H

#include <stddef.h>

#include "qemudrv.h"

struct qd_qmp_stream;

/*
 * qd_qmp_stream_cb - receives each complete message, in order. Takes
 * ownership of @msg. Returning non-zero stops the feed with that value.
 */
typedef int (*qd_qmp_stream_cb)(void *opaque, json_object *msg);

/* qd_qmp_stream_new() - a parser that fails any message over @max_message bytes. */
struct qd_qmp_stream *qd_qmp_stream_new(size_t max_message);

/* qd_qmp_stream_free() - free the parser; NULL is allowed. */
void qd_qmp_stream_free(struct qd_qmp_stream *s);

/*
 * qd_qmp_stream_feed() - parse @len more bytes, calling @cb per message.
 *
 * Messages may be split over any number of feeds and several may arrive in
 * one; whitespace (including "\r\n") between them is skipped; QEMU's
 * single-quoted strings are accepted.
 *
 * Inside a message json-c's lenient parsing applies (trailing commas,
 * comments, NaN); QEMU never sends those. Bytes that cannot appear in JSON
 * outside a string fail at once rather than when the brackets balance.
 *
 * Return: 0; -EMSGSIZE for a message over the limit; -EPROTO for invalid
 * JSON; -ENOMEM; or what @cb returned. After any error, including one from
 * @cb, the stream stays failed and every later feed returns the same error.
 */
int qd_qmp_stream_feed(struct qd_qmp_stream *s, const char *buf, size_t len, qd_qmp_stream_cb cb,
		       void *opaque, qd_error *err);

/* qd_qmp_stream_pending() - bytes of an incomplete message held so far. */
size_t qd_qmp_stream_pending(const struct qd_qmp_stream *s);

#endif
