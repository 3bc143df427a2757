/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_qmp_stream.c - byte stream to JSON messages: splits, merges, limits, garbage */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qemudrv.h"
#include "qmp_stream.h"

struct collected {
	json_object *msgs[16];
	int n;
	int stop_after; /* return -ECANCELED after this many, 0 = never */
};

static int collect(void *opaque, json_object *msg)
{
	struct collected *c = opaque;

	assert_true(c->n < 16);
	c->msgs[c->n++] = msg;
	if (c->stop_after && c->n == c->stop_after)
		return -ECANCELED;
	return 0;
}

static void collected_free(struct collected *c)
{
	for (int i = 0; i < c->n; i++)
		json_object_put(c->msgs[i]);
	c->n = 0;
}

static const char *plain(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void test_one_message(void **state)
{
	struct qd_qmp_stream *s = qd_qmp_stream_new(0);
	struct collected c = {0};
	const char *in = "{\"return\": {}, \"id\": \"qd-1\"}\r\n";

	assert_int_equal(qd_qmp_stream_feed(s, in, strlen(in), collect, &c, NULL), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(plain(c.msgs[0]), "{\"return\":{},\"id\":\"qd-1\"}");
	assert_int_equal(qd_qmp_stream_pending(s), 0);
	collected_free(&c);
	qd_qmp_stream_free(s);
}

/* Every split point of a two-message input gives the same two messages. */
static void test_every_split_point(void **state)
{
	const char *in = "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": "
			 "2}}\r\n{'return': {'name': 'a\\'b'}, 'id': 7}\r\n";
	size_t len = strlen(in);

	for (size_t cut = 0; cut <= len; cut++) {
		struct qd_qmp_stream *s = qd_qmp_stream_new(0);
		struct collected c = {0};

		assert_int_equal(qd_qmp_stream_feed(s, in, cut, collect, &c, NULL), 0);
		assert_int_equal(qd_qmp_stream_feed(s, in + cut, len - cut, collect, &c, NULL), 0);
		assert_int_equal(c.n, 2);
		assert_string_equal(plain(c.msgs[0]),
				    "{\"event\":\"STOP\",\"timestamp\":{\"seconds\""
				    ":1,\"microseconds\":2}}");
		assert_string_equal(plain(c.msgs[1]), "{\"return\":{\"name\":\"a'b\"},\"id\":7}");
		collected_free(&c);
		qd_qmp_stream_free(s);
	}
}

/* One byte per feed. */
static void test_bytewise(void **state)
{
	const char *in = "  {\"a\": [1, {\"b\": \"\\u00e9\\r\\n\"}]}\n\n{\"c\": null}";
	struct qd_qmp_stream *s = qd_qmp_stream_new(0);
	struct collected c = {0};

	for (size_t i = 0; i < strlen(in); i++)
		assert_int_equal(qd_qmp_stream_feed(s, in + i, 1, collect, &c, NULL), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(plain(c.msgs[1]), "{\"c\":null}");
	collected_free(&c);
	qd_qmp_stream_free(s);
}

/* Messages with no separator at all, as QEMU's input side allows. */
static void test_merged_without_separator(void **state)
{
	const char *in = "{\"a\":1}{\"b\":2}{\"c\":3}";
	struct qd_qmp_stream *s = qd_qmp_stream_new(0);
	struct collected c = {0};

	assert_int_equal(qd_qmp_stream_feed(s, in, strlen(in), collect, &c, NULL), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(plain(c.msgs[2]), "{\"c\":3}");
	collected_free(&c);
	qd_qmp_stream_free(s);
}

/* Invalid JSON fails with -EPROTO, and the stream stays failed. */
static void test_garbage(void **state)
{
	static const char *const bad[] = {"{\"a\" 1}", "\xff", "{]", "}", "{\"a\":tru}"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct qd_qmp_stream *s = qd_qmp_stream_new(0);
		struct collected c = {0};
		qd_error err = {0};

		assert_int_equal(qd_qmp_stream_feed(s, bad[i], strlen(bad[i]), collect, &c, &err),
				 -EPROTO);
		assert_non_null(strstr(err.message, "invalid JSON from QMP peer: "));
		assert_int_equal(qd_qmp_stream_feed(s, "{}", 2, collect, &c, &err), -EPROTO);
		assert_int_equal(c.n, 0);
		qd_error_clear(&err);
		qd_qmp_stream_free(s);
	}
}

/* A byte that cannot be JSON fails at once, not when the brackets balance. */
static void test_bad_byte_inside_message(void **state)
{
	struct qd_qmp_stream *s = qd_qmp_stream_new(0);
	struct collected c = {0};
	qd_error err = {0};

	assert_int_equal(qd_qmp_stream_feed(s, "{\"d\":\xff", 6, collect, &c, &err), -EPROTO);
	assert_string_equal(err.message, "invalid JSON from QMP peer: unexpected byte 0xff");
	assert_int_equal(qd_qmp_stream_feed(s, "{\"d\":\x00", 6, collect, &c, &err), -EPROTO);
	/* Inside strings any byte goes to json-c. */
	qd_qmp_stream_free(s);
	s = qd_qmp_stream_new(0);
	assert_int_equal(qd_qmp_stream_feed(s, "{\"d\":\"%@\"}", 10, collect, &c, &err), 0);
	assert_int_equal(c.n, 1);
	collected_free(&c);
	qd_error_clear(&err);
	qd_qmp_stream_free(s);
}

/* The size limit counts a message across feeds; exactly the limit passes. */
static void test_size_limit(void **state)
{
	struct qd_qmp_stream *s = qd_qmp_stream_new(10);
	struct collected c = {0};
	qd_error err = {0};

	/* {"a":"12"} is 10 bytes: accepted, even split in two. */
	assert_int_equal(qd_qmp_stream_feed(s, "{\"a\":", 5, collect, &c, &err), 0);
	assert_int_equal(qd_qmp_stream_pending(s), 5);
	assert_int_equal(qd_qmp_stream_feed(s, "\"12\"}\r\n", 7, collect, &c, &err), 0);
	assert_int_equal(c.n, 1);
	/* 11 bytes: refused once the eleventh byte arrives. */
	assert_int_equal(qd_qmp_stream_feed(s, "{\"a\":\"123\"", 10, collect, &c, &err), 0);
	assert_int_equal(qd_qmp_stream_feed(s, "}", 1, collect, &c, &err), -EMSGSIZE);
	assert_string_equal(err.message, "QMP message exceeds the size limit of 10 bytes");
	assert_int_equal(qd_qmp_stream_feed(s, "{}", 2, collect, &c, &err), -EMSGSIZE);
	collected_free(&c);
	qd_error_clear(&err);
	qd_qmp_stream_free(s);
}

/* The callback can stop the feed; the stream then stays failed. */
static void test_callback_stops(void **state)
{
	struct qd_qmp_stream *s = qd_qmp_stream_new(0);
	struct collected c = {.stop_after = 1};

	assert_int_equal(qd_qmp_stream_feed(s, "{\"a\":1}{\"b\":2}", 14, collect, &c, NULL),
			 -ECANCELED);
	assert_int_equal(c.n, 1);
	assert_int_equal(qd_qmp_stream_feed(s, "{\"c\":3}", 7, collect, &c, NULL), -ECANCELED);
	assert_int_equal(c.n, 1);
	collected_free(&c);
	qd_qmp_stream_free(s);
}

/* Nesting beyond QEMU's own limit of 1024 is refused. */
static void test_nesting_limit(void **state)
{
	struct qd_qmp_stream *s = qd_qmp_stream_new(0);
	struct collected c = {0};
	char deep[2100];

	memset(deep, '[', 2000);
	deep[0] = '{';
	deep[2000] = '\0';
	assert_int_equal(qd_qmp_stream_feed(s, "{\"a\":", 5, collect, &c, NULL), 0);
	assert_int_equal(qd_qmp_stream_feed(s, deep, strlen(deep), collect, &c, NULL), -EPROTO);
	qd_qmp_stream_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_message),	  cmocka_unit_test(test_every_split_point),
	    cmocka_unit_test(test_bytewise),	  cmocka_unit_test(test_merged_without_separator),
	    cmocka_unit_test(test_garbage),	  cmocka_unit_test(test_bad_byte_inside_message),
	    cmocka_unit_test(test_size_limit),	  cmocka_unit_test(test_callback_stops),
	    cmocka_unit_test(test_nesting_limit),
	};

	return cmocka_run_group_tests_name("qmp_stream", tests, NULL, NULL);
}
