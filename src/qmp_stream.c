/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_stream.c - split a QMP byte stream into JSON messages, as QEMU's json-streamer does */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "qmp_stream.h"

/*
 * A small lexer finds where each message ends: it counts {} and [] outside
 * strings (QEMU's json-streamer does the same) and copies the message into a
 * buffer, rewriting QEMU's \' escape, which json-c does not know, as \u0027.
 * The complete message is then parsed by json-c in one go, which also accepts
 * QEMU's single-quoted strings.
 */

/* QEMU's own parser refuses nesting deeper than this. */
#define QMP_MAX_DEPTH 1024

struct qd_qmp_stream {
	struct json_tokener *tok;
	size_t max_message;
	size_t in_message; /* raw bytes of the message being collected */
	char *buf;	   /* the message, escapes rewritten */
	size_t len, cap;
	int depth;
	char quote;   /* '"' or '\'' inside a string, else 0 */
	bool escaped; /* the previous byte in the string was a backslash */
	int failed;   /* 0, or the error every later feed returns */
	char *failure;
};

struct qd_qmp_stream *qd_qmp_stream_new(size_t max_message)
{
	struct qd_qmp_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->tok = json_tokener_new_ex(QMP_MAX_DEPTH + 1);
	if (!s->tok) {
		free(s);
		return NULL;
	}
	s->max_message = max_message ? max_message : QD_QMP_DEFAULT_MAX_MESSAGE;
	/* json-c takes an int length. */
	if (s->max_message > INT_MAX)
		s->max_message = INT_MAX;
	return s;
}

void qd_qmp_stream_free(struct qd_qmp_stream *s)
{
	if (!s)
		return;
	json_tokener_free(s->tok);
	free(s->buf);
	free(s->failure);
	free(s);
}

size_t qd_qmp_stream_pending(const struct qd_qmp_stream *s)
{
	return s->in_message;
}

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Bytes that can appear in JSON outside strings. */
static bool is_token_byte(char c)
{
	return is_json_space(c) || (c && strchr("{}[]:,\"'-+.", c)) || (c >= '0' && c <= '9') ||
	       (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int stream_fail(struct qd_qmp_stream *s, qd_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int stream_fail(struct qd_qmp_stream *s, qd_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	s->failed = code;
	free(s->failure);
	s->failure = msg;
	return qd_error_set(err, code, "%s", msg ? msg : "QMP stream error");
}

static int append(struct qd_qmp_stream *s, const char *bytes, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *p;

		while (cap < s->len + n)
			cap *= 2;
		p = realloc(s->buf, cap);
		if (!p)
			return -ENOMEM;
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, bytes, n);
	s->len += n;
	return 0;
}

/* Parse the collected message and hand it over. */
static int emit(struct qd_qmp_stream *s, qd_qmp_stream_cb cb, void *opaque, qd_error *err)
{
	json_object *msg;
	enum json_tokener_error jerr;
	size_t len = s->len;
	int r;

	json_tokener_reset(s->tok);
	msg = json_tokener_parse_ex(s->tok, s->buf, (int)len);
	jerr = json_tokener_get_error(s->tok);
	s->len = 0;
	s->in_message = 0;
	if (jerr != json_tokener_success || !msg || json_tokener_get_parse_end(s->tok) != len) {
		json_object_put(msg);
		return stream_fail(s, err, -EPROTO, "invalid JSON from QMP peer: %s",
				   jerr == json_tokener_success ? "trailing bytes in message"
								: json_tokener_error_desc(jerr));
	}
	/* Shrink a buffer a huge message left behind. */
	if (s->cap > 65536) {
		free(s->buf);
		s->buf = NULL;
		s->cap = 0;
	}
	r = cb(opaque, msg);
	if (r)
		stream_fail(s, err, r, "QMP message rejected by its consumer");
	return r;
}

int qd_qmp_stream_feed(struct qd_qmp_stream *s, const char *buf, size_t len, qd_qmp_stream_cb cb,
		       void *opaque, qd_error *err)
{
	size_t start = 0; /* first byte of buf not yet appended */

	if (s->failed)
		return qd_error_set(err, s->failed, "%s",
				    s->failure ? s->failure : "stream failed");

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (s->in_message == 0) {
			/* Between messages: only whitespace or the start of one. */
			if (is_json_space(c)) {
				start = i + 1;
				continue;
			}
			if (c != '{' && c != '[')
				return stream_fail(s, err, -EPROTO,
						   "invalid JSON from QMP peer: unexpected byte "
						   "0x%02x between messages",
						   (unsigned char)c);
		}
		if (++s->in_message > s->max_message)
			return stream_fail(s, err, -EMSGSIZE,
					   "QMP message exceeds the size limit of %zu bytes",
					   s->max_message);
		if (s->quote) {
			if (s->escaped) {
				s->escaped = false;
				/* The backslash was held back: write \u0027 for \', else it. */
				if (c == '\'') {
					if (append(s, "\\u0027", 6) < 0)
						return stream_fail(s, err, -ENOMEM,
								   "out of memory");
					start = i + 1;
				} else {
					if (append(s, "\\", 1) < 0)
						return stream_fail(s, err, -ENOMEM,
								   "out of memory");
					start = i;
				}
			} else if (c == '\\') {
				if (append(s, buf + start, i - start) < 0)
					return stream_fail(s, err, -ENOMEM, "out of memory");
				start = i + 1;
				s->escaped = true;
			} else if (c == s->quote) {
				s->quote = 0;
			}
			continue;
		}
		if (!is_token_byte(c))
			return stream_fail(s, err, -EPROTO,
					   "invalid JSON from QMP peer: unexpected byte 0x%02x",
					   (unsigned char)c);
		switch (c) {
		case '"':
		case '\'':
			s->quote = c;
			break;
		case '{':
		case '[':
			if (++s->depth > QMP_MAX_DEPTH)
				return stream_fail(s, err, -EPROTO,
						   "invalid JSON from QMP peer: nesting deeper "
						   "than %d",
						   QMP_MAX_DEPTH);
			break;
		case '}':
		case ']':
			if (--s->depth == 0) {
				int r;

				if (append(s, buf + start, i + 1 - start) < 0)
					return stream_fail(s, err, -ENOMEM, "out of memory");
				start = i + 1;
				r = emit(s, cb, opaque, err);
				if (r)
					return r;
			}
			break;
		}
	}
	/* Keep the tail of an unfinished message. */
	if (start < len && append(s, buf + start, len - start) < 0)
		return stream_fail(s, err, -ENOMEM, "out of memory");
	return 0;
}
