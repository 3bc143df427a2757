/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_qmp_stream.c - libFuzzer target: qd_qmp_stream_feed over input-chosen read splits */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp_stream.h"

/*
 * Input layout (every byte sequence is valid; short inputs get defaults):
 *
 *   byte 0   control: bits 0-1 size limit mode, bits 2-4 stop-after count,
 *            bits 5-7 number of chunk-size bytes that follow byte 1
 *   byte 1   size limit parameter
 *   bytes    chunk sizes, used in turn and cycled: 0 = an empty feed,
 *            255 = everything that is left, else that many bytes
 *   rest     the QMP byte stream
 *
 * The stream is parsed twice: split as planned, and in a single feed. Both
 * runs must deliver the same messages and end with the same result, so any
 * dependence on read boundaries is a finding, not just crashes and leaks.
 * Each message of the split run is also serialised and fed back through a
 * second stream, which must accept it as exactly one message.
 */

#define HEADER_FIXED 2
#define STOP_RC	     (-ECANCELED)

/**
 * struct plan - how one input is fed
 * @max_message: size limit given to qd_qmp_stream_new() (0 = library default)
 * @stop_after:  the callback fails on this message (1-based); 0 = never
 * @sizes:       chunk sizes, cycled
 * @nsizes:      entries in @sizes; 0 = one feed of everything
 * @data:        the stream
 * @len:         bytes in @data
 */
struct plan {
	size_t max_message;
	unsigned int stop_after;
	const uint8_t *sizes;
	size_t nsizes;
	const uint8_t *data;
	size_t len;
};

/**
 * struct outcome - what one parse of the stream produced
 * @messages: messages delivered to the callback
 * @hash:     FNV-1a over the serialised messages, in order
 * @rc:       the first non-zero feed result, or 0
 * @pending:  qd_qmp_stream_pending() at the end
 * @stop_after: copied from the plan, for the callback
 * @echo:     if not NULL, a stream every message is fed back through, as
 *            json-c serialised it (which is how QEMU writes JSON)
 */
struct outcome {
	unsigned int messages;
	uint64_t hash;
	int rc;
	size_t pending;
	unsigned int stop_after;
	struct qd_qmp_stream *echo;
};

#define FNV_OFFSET 0xcbf29ce484222325ULL

/**
 * hash_bytes() - fold @len bytes of @p into the FNV-1a hash @h
 * @h:   running hash
 * @p:   bytes
 * @len: number of bytes
 *
 * Return: the new hash.
 */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int on_message(void *opaque, json_object *msg);

/**
 * check_echo() - feed @text through @echo: it must come back as one message
 * @echo: a stream with no message pending
 * @text: a message as json-c serialised it
 * @len:  its length
 *
 * The text of the message that comes back is not compared: json-c keeps the
 * source text of a double, so a number it accepts leniently (044127504e) is
 * written out as a different number (044127504, then an int) on the way back.
 */
static void check_echo(struct qd_qmp_stream *echo, const char *text, size_t len)
{
	struct outcome back = {.hash = FNV_OFFSET};
	qd_error err = {0};
	int rc = qd_qmp_stream_feed(echo, text, len, on_message, &back, &err);

	if (rc != 0 || back.messages != 1 || qd_qmp_stream_pending(echo) != 0) {
		fprintf(stderr,
			"re-feeding the serialised message gave rc %d (%s), %u messages:\n%s\n", rc,
			err.message ? err.message : "", back.messages, text);
		abort();
	}
	qd_error_clear(&err);
}

/**
 * on_message() - stream callback: record, serialise and free the message
 * @opaque: the struct outcome being filled
 * @msg:    the message; owned by us from here on
 *
 * Return: 0, or STOP_RC on the message the plan says to fail.
 */
static int on_message(void *opaque, json_object *msg)
{
	struct outcome *o = opaque;
	const char *text;
	size_t len;

	if (!msg)
		abort(); /* the stream promises a message, never NULL */
	text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	o->hash = hash_bytes(o->hash, text, len);
	o->hash = hash_bytes(o->hash, "\n", 1);
	o->messages++;
	if (o->echo)
		check_echo(o->echo, text, len);
	json_object_put(msg);
	if (o->stop_after && o->messages == o->stop_after)
		return STOP_RC;
	return 0;
}

/**
 * check_error() - abort unless @rc is an allowed result and @err matches it
 * @rc:  what qd_qmp_stream_feed() returned
 * @err: the error it was given
 */
static void check_error(int rc, const qd_error *err)
{
	if (rc == 0 || rc == STOP_RC)
		return;
	/* -ENOMEM is not documented, but a failed allocation is no finding. */
	if (rc != -EMSGSIZE && rc != -EPROTO && rc != -ENOMEM) {
		fprintf(stderr, "unexpected feed result %d\n", rc);
		abort();
	}
	if (err->code != rc || !err->message) {
		fprintf(stderr, "feed returned %d but the error says %d (%s)\n", rc, err->code,
			err->message ? err->message : "no message");
		abort();
	}
}

/**
 * next_chunk() - size of the next feed
 * @p:    the plan
 * @step: index of this feed
 * @left: bytes not yet fed
 *
 * Return: bytes to feed, at most @left; 0 for an empty feed.
 */
static size_t next_chunk(const struct plan *p, size_t step, size_t left)
{
	uint8_t b;

	if (!p->nsizes)
		return left;
	b = p->sizes[step % p->nsizes];
	if (b == 255)
		return left;
	return b < left ? b : left;
}

/**
 * run_plan() - parse the stream with the plan's splits, or in one feed
 * @p:     the plan
 * @split: feed in the planned chunks if true, else all at once
 * @o:     filled with what happened
 */
static void run_plan(const struct plan *p, bool split, struct outcome *o)
{
	struct qd_qmp_stream *s = qd_qmp_stream_new(p->max_message);
	size_t pos = 0, step = 0, idle = 0;
	qd_error err = {0};
	size_t limit = p->max_message ? p->max_message : QD_QMP_DEFAULT_MAX_MESSAGE;

	memset(o, 0, sizeof(*o));
	o->hash = FNV_OFFSET;
	o->stop_after = p->stop_after;
	if (split)
		o->echo = qd_qmp_stream_new(0);
	if (!s || (split && !o->echo))
		abort();

	while (pos < p->len) {
		size_t n = split ? next_chunk(p, step++, p->len - pos) : p->len - pos;
		int rc;

		/* A plan of only empty feeds would never end: feed the rest. */
		if (n == 0 && ++idle > p->nsizes)
			n = p->len - pos;
		else if (n)
			idle = 0;

		rc = qd_qmp_stream_feed(s, (const char *)p->data + pos, n, on_message, o, &err);
		check_error(rc, &err);
		/* On -EMSGSIZE the byte that broke the limit is counted too. */
		if (rc == 0 && qd_qmp_stream_pending(s) > limit) {
			fprintf(stderr, "pending %zu over the limit %zu\n",
				qd_qmp_stream_pending(s), limit);
			abort();
		}
		pos += n;
		if (rc) {
			o->rc = rc;
			break;
		}
	}

	/* A failed stream stays failed, with the same error and no more messages. */
	if (o->rc == -EMSGSIZE || o->rc == -EPROTO || o->rc == -ENOMEM) {
		unsigned int before = o->messages;
		int again;

		qd_error_clear(&err);
		again = qd_qmp_stream_feed(s, "{}", 2, on_message, o, &err);
		if (again != o->rc || err.code != o->rc || o->messages != before) {
			fprintf(stderr, "failed stream (%d) answered %d to a later feed\n", o->rc,
				again);
			abort();
		}
	}
	o->pending = qd_qmp_stream_pending(s);
	qd_error_clear(&err);
	qd_qmp_stream_free(s);
	qd_qmp_stream_free(o->echo);
	o->echo = NULL;
}

/**
 * make_plan() - decode the header of a fuzz input into a plan
 * @data: the input
 * @size: its length
 * @p:    filled in
 */
static void make_plan(const uint8_t *data, size_t size, struct plan *p)
{
	uint8_t ctl = size > 0 ? data[0] : 0;
	uint8_t arg = size > 1 ? data[1] : 0;
	size_t hdr;

	memset(p, 0, sizeof(*p));
	switch (ctl & 3) {
	case 2: /* tiny: 1..256 bytes */
		p->max_message = (size_t)arg + 1;
		break;
	case 3: /* small: 64..16384 bytes */
		p->max_message = ((size_t)arg + 1) * 64;
		break;
	default: /* the library default */
		p->max_message = 0;
		break;
	}
	p->stop_after = (ctl >> 2) & 7;
	p->nsizes = (ctl >> 5) & 7;

	hdr = HEADER_FIXED + p->nsizes;
	if (size < hdr) {
		p->nsizes = 0;
		hdr = size;
	}
	p->sizes = data + HEADER_FIXED;
	p->data = data + hdr;
	p->len = size - hdr;
}

/**
 * LLVMFuzzerTestOneInput() - libFuzzer entry point
 * @data: the input
 * @size: its length
 *
 * Return: 0 always; findings abort.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan p;
	struct outcome split, whole;

	make_plan(data, size, &p);
	run_plan(&p, true, &split);
	if (p.nsizes == 0)
		return 0;
	run_plan(&p, false, &whole);
	/* After an error the split run may have fed fewer bytes: pending differs. */
	if (split.messages != whole.messages || split.hash != whole.hash || split.rc != whole.rc ||
	    (split.rc == 0 && split.pending != whole.pending)) {
		fprintf(stderr,
			"read boundaries changed the result: split %u messages rc %d pending %zu, "
			"whole %u messages rc %d pending %zu (max %zu)\n",
			split.messages, split.rc, split.pending, whole.messages, whole.rc,
			whole.pending, p.max_message);
		abort();
	}
	return 0;
}
