/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_stream.c - split a QMP byte stream into JSON messages (json-c streaming tokener) */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "qmp_stream.h"

/* QEMU's own parser refuses nesting deeper than this. */
#define QMP_MAX_DEPTH 1024

struct qd_qmp_stream {
	struct json_tokener *tok;
	size_t max_message;
	size_t in_message; /* bytes of the message being parsed */
	int failed;        /* 0, or the error every later feed returns */
	char *failure;
};

struct qd_qmp_stream *qd_qmp_stream_new(size_t max_message)
{
	struct qd_qmp_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
	if (!s->tok) {
		free(s);
		return NULL;
	}
	s->max_message = max_message ? max_message : QD_QMP_DEFAULT_MAX_MESSAGE;
	return s;
}

void qd_qmp_stream_free(struct qd_qmp_stream *s)
{
	if (!s)
		return;
	json_tokener_free(s->tok);
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

static int stream_fail(struct qd_qmp_stream *s, qd_error *err, int code, const char *message)
{
	s->failed = code;
	free(s->failure);
	s->failure = strdup(message);
	return qd_error_set(err, code, "%s", message);
}

int qd_qmp_stream_feed(struct qd_qmp_stream *s, const char *buf, size_t len, qd_qmp_stream_cb cb,
		       void *opaque, qd_error *err)
{
	size_t pos = 0;

	if (s->failed)
		return qd_error_set(err, s->failed, "%s", s->failure ? s->failure : "stream failed");

	while (pos < len) {
		size_t room, chunk, used;
		json_object *msg;
		enum json_tokener_error jerr;

		if (s->in_message == 0) {
			while (pos < len && is_json_space(buf[pos]))
				pos++;
			if (pos == len)
				break;
		}
		room = s->max_message - s->in_message;
		if (room == 0) {
			char text[96];

			snprintf(text, sizeof(text), "QMP message exceeds the size limit of %zu bytes",
				 s->max_message);
			return stream_fail(s, err, -EMSGSIZE, text);
		}
		chunk = len - pos < room ? len - pos : room;

		msg = json_tokener_parse_ex(s->tok, buf + pos, (int)chunk);
		jerr = json_tokener_get_error(s->tok);
		if (!msg && jerr == json_tokener_continue) {
			s->in_message += chunk;
			pos += chunk;
			continue;
		}
		if (!msg && jerr != json_tokener_success) {
			char msg_text[160];

			snprintf(msg_text, sizeof(msg_text), "invalid JSON from QMP peer: %s",
				 json_tokener_error_desc(jerr));
			return stream_fail(s, err, -EPROTO, msg_text);
		}

		used = json_tokener_get_parse_end(s->tok);
		pos += used;
		s->in_message = 0;
		json_tokener_reset(s->tok);
		if (!msg) {
			/* A bare JSON null: a complete value, but never a QMP message. */
			return stream_fail(s, err, -EPROTO, "invalid QMP message from peer: null");
		}
		int r = cb(opaque, msg);
		if (r)
			return r;
	}
	return 0;
}
