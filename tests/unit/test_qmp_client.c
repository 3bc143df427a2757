/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_qmp_client.c - the QMP client against a strict scripted peer */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "deadline.h"
#include "qemudrv.h"
#include "qmp_peer.h"

#define T    5000 /* generous deadline for steps that must succeed */
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct fixture {
	struct qmp_peer *peer;
	struct qd_qmp *q;
	qd_error err;
};

/* open_client() - start the peer on @steps and adopt the client's end. */
static void open_client(struct fixture *f, const struct peer_step *steps, size_t n,
			const struct qd_qmp_options *opts)
{
	int fd;

	memset(f, 0, sizeof(*f));
	f->peer = peer_start(steps, n, &fd);
	assert_int_equal(qd_qmp_open_fd(fd, opts, &f->q, &f->err), 0);
}

static void open_negotiated(struct fixture *f, const struct peer_step *steps, size_t n,
			    const struct qd_qmp_options *opts)
{
	open_client(f, steps, n, opts);
	assert_int_equal(qd_qmp_handshake(f->q, T, &f->err), 0);
}

static void close_client(struct fixture *f)
{
	qd_qmp_free(f->q);
	peer_finish(f->peer);
	qd_error_clear(&f->err);
}

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static void assert_json(json_object *o, const char *expected)
{
	json_object *want = parse(expected);

	if (!json_object_equal(o, want))
		fail_msg("got %s, expected %s", json_object_to_json_string(o), expected);
	json_object_put(want);
}

/* The greeting's version and capabilities are exposed; negotiation is sent. */
static void test_greeting_and_negotiation(void **state)
{
	static const struct peer_step script[] = {GREET};
	struct qd_qemu_version v;
	struct fixture f;

	open_client(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_get_version(f.q, &v), -ENOTCONN);
	assert_null(qd_qmp_capabilities(f.q)[0]);
	assert_int_equal(qd_qmp_handshake(f.q, T, &f.err), 0);
	assert_int_equal(qd_qmp_get_version(f.q, &v), 0);
	assert_int_equal(v.major, 7);
	assert_int_equal(v.minor, 2);
	assert_int_equal(v.micro, 22);
	assert_string_equal(v.package, "Debian 1:7.2+dfsg-7+deb12u18+b3");
	assert_true(qd_qmp_has_capability(f.q, "oob"));
	assert_false(qd_qmp_has_capability(f.q, "nope"));
	assert_string_equal(qd_qmp_capabilities(f.q)[0], "oob");
	assert_null(qd_qmp_capabilities(f.q)[1]);
	close_client(&f);
}

/* An event before the greeting is queued, not mistaken for the greeting. */
static void test_event_before_greeting(void **state)
{
	static const struct peer_step script[] = {
	    SEND("{\"timestamp\": {\"seconds\": 10, \"microseconds\": 5}, \"event\": "
		 "\"VSERPORT_CHANGE\", \"data\": {\"id\": \"ch0\", \"open\": true}}\r\n"),
	    GREET,
	};
	struct fixture f;
	json_object *ev;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_next_event(f.q, 0, &ev, &f.err), 0);
	assert_json(ev, "{\"timestamp\": {\"seconds\": 10, \"microseconds\": 5}, \"event\": "
			"\"VSERPORT_CHANGE\", \"data\": {\"id\": \"ch0\", \"open\": true}}");
	assert_int_equal(qd_qmp_event_timestamp_us(ev), 10000005);
	json_object_put(ev);
	close_client(&f);
}

/* A greeting without QMP.version is a protocol error, not a hang. */
static void test_bad_greeting(void **state)
{
	static const struct peer_step script[] = {
	    SEND("{\"QMP\": {\"capabilities\": []}}\r\n"),
	};
	struct fixture f;

	open_client(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_handshake(f.q, T, &f.err), -EPROTO);
	assert_non_null(strstr(f.err.message, "invalid QMP greeting"));
	close_client(&f);
}

/* The command goes out with arguments and a unique id; the return comes back. */
static void test_execute_return(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT_RAW("{\"execute\": \"query-status\", \"id\": 2}"),
	    SEND("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": "
		 "true}, \"id\": @ID@}\r\n"),
	    EXPECT_RAW("{\"execute\": \"device_del\", \"arguments\": {\"id\": \"vb1\"}, "
		       "\"id\": 3}"),
	    REPLY_OK,
	};
	struct fixture f;
	json_object *ret, *args = parse("{\"id\": \"vb1\"}");

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, &ret, &f.err), 0);
	assert_json(ret, "{\"status\": \"running\", \"singlestep\": false, \"running\": true}");
	json_object_put(ret);
	assert_int_equal(qd_qmp_execute(f.q, "device_del", args, T, &ret, &f.err), 0);
	assert_json(ret, "{}");
	json_object_put(ret);
	json_object_put(args);
	close_client(&f);
}

/* QMP errors keep QEMU's class and desc verbatim. */
static void test_execute_error_verbatim(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("device_add"),
	    SEND("{\"id\": @ID@, \"error\": {\"class\": \"GenericError\", \"desc\": "
		 "\"Duplicate device ID 'cpu-0'\"}}\r\n"),
	    EXPECT("device_del"),
	    SEND("{\"id\": @ID@, \"error\": {\"class\": \"DeviceNotFound\", \"desc\": "
		 "\"Device 'nope' not found\"}}\r\n"),
	};
	struct fixture f;
	json_object *ret = (json_object *)1;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "device_add", NULL, T, &ret, &f.err), -EREMOTEIO);
	assert_null(ret);
	assert_int_equal(f.err.code, -EREMOTEIO);
	assert_string_equal(f.err.qmp_class, "GenericError");
	assert_string_equal(f.err.message, "Duplicate device ID 'cpu-0'");
	assert_int_equal(qd_qmp_execute(f.q, "device_del", NULL, T, NULL, &f.err), -EREMOTEIO);
	assert_string_equal(f.err.qmp_class, "DeviceNotFound");
	assert_string_equal(f.err.message, "Device 'nope' not found");
	/* A QMP error does not break the connection. */
	assert_int_equal(qd_qmp_broken(f.q, NULL), 0);
	close_client(&f);
}

/* Event and reply in one write, event first: the armed watch still gets it. */
static void test_event_before_reply(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("device_del"),
	    SEND("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "
		 "\"DEVICE_DELETED\", \"data\": {\"device\": \"vb1\", \"path\": "
		 "\"/machine/peripheral/vb1\"}}\r\n{\"return\": {}, \"id\": @ID@}\r\n"),
	};
	struct qd_qmp_watch *w;
	struct fixture f;
	json_object *ev, *data, *dev;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_watch_new(f.q, "DEVICE_DELETED", "device", "vb1", &w, &f.err), 0);
	assert_int_equal(qd_qmp_execute(f.q, "device_del", NULL, T, NULL, &f.err), 0);
	assert_int_equal(qd_qmp_watch_wait(f.q, w, 0, &ev, &f.err), 0);
	assert_true(json_object_object_get_ex(ev, "data", &data));
	assert_true(json_object_object_get_ex(data, "device", &dev));
	assert_string_equal(json_object_get_string(dev), "vb1");
	json_object_put(ev);
	/* Nothing more for this watch. */
	assert_int_equal(qd_qmp_watch_wait(f.q, w, 0, &ev, &f.err), -ETIMEDOUT);
	qd_qmp_watch_free(f.q, w);
	close_client(&f);
}

/* A reply delivered one byte per read is reassembled. */
static void test_reply_split_bytewise(void **state)
{
	static const struct peer_step script[] = {
	    SEND_BYTEWISE(GREETING_72),
	    EXPECT("qmp_capabilities"),
	    REPLY_OK,
	    EXPECT("query-name"),
	    SEND_BYTEWISE("{\"return\": {\"name\": \"vm-\\u00e9\"}, \"id\": @ID@}"),
	};
	struct fixture f;
	json_object *ret;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "query-name", NULL, T, &ret, &f.err), 0);
	assert_json(ret, "{\"name\": \"vm-\\u00e9\"}");
	json_object_put(ret);
	close_client(&f);
}

/* Three messages in one write: two events and the reply. */
static void test_three_messages_one_write(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("stop"),
	    SEND("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}, \"event\": \"STOP\"}"
		 "{\"timestamp\": {\"seconds\": 2, \"microseconds\": 0}, \"event\": \"RESUME\"}"
		 "{\"return\": {}, \"id\": @ID@}"),
	};
	struct fixture f;
	json_object *ev;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "stop", NULL, T, NULL, &f.err), 0);
	assert_int_equal(qd_qmp_next_event(f.q, 0, &ev, &f.err), 0);
	assert_json(ev, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}, \"event\": "
			"\"STOP\"}");
	json_object_put(ev);
	assert_int_equal(qd_qmp_next_event(f.q, 0, &ev, &f.err), 0);
	assert_int_equal(qd_qmp_event_timestamp_us(ev), 2000000);
	json_object_put(ev);
	assert_int_equal(qd_qmp_next_event(f.q, 0, &ev, &f.err), -ETIMEDOUT);
	close_client(&f);
}

/* QEMU's JSON extensions: single-quoted strings and \r\n line ends. */
static void test_single_quotes_and_crlf(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("query-name"),
	    SEND("\r\n{'return': {'name': 'it\\'s'}, 'id': @ID@}\r\n\r\n"),
	};
	struct fixture f;
	json_object *ret;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "query-name", NULL, T, &ret, &f.err), 0);
	assert_json(ret, "{\"name\": \"it's\"}");
	json_object_put(ret);
	close_client(&f);
}

/* Garbage breaks the connection with -EPROTO, for this and every later call. */
static void test_garbage_bytes(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("query-status"),
	    SEND("{\"return\": \xff\x01%%}\r\n"),
	};
	struct fixture f;
	const char *why;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err), -EPROTO);
	assert_non_null(strstr(f.err.message, "invalid JSON from QMP peer"));
	assert_int_equal(qd_qmp_broken(f.q, &why), -EPROTO);
	assert_non_null(strstr(why, "invalid JSON"));
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err), -EPROTO);
	close_client(&f);
}

/* A message over the configured limit fails cleanly with -EMSGSIZE. */
static void test_oversized_message(void **state)
{
	static char big[4096];
	static struct peer_step script[] = {
	    GREET,
	    EXPECT("query-qmp-schema"),
	    SEND(big),
	};
	struct qd_qmp_options opts = {.max_message_size = 1024};
	struct fixture f;

	snprintf(big, sizeof(big), "{\"return\": \"%0*d\", \"id\": @ID@}\r\n", 2000, 0);
	open_negotiated(&f, script, N(script), &opts);
	assert_int_equal(qd_qmp_execute(f.q, "query-qmp-schema", NULL, T, NULL, &f.err), -EMSGSIZE);
	assert_string_equal(f.err.message, "QMP message exceeds the size limit of 1024 bytes");
	assert_int_equal(qd_qmp_broken(f.q, NULL), -EMSGSIZE);
	close_client(&f);
}

/* A message of exactly the limit is accepted. */
static void test_message_at_limit(void **state)
{
	static char exact[2048];
	static struct peer_step script[] = {
	    GREET,
	    EXPECT("query-name"),
	    SEND(exact),
	};
	struct qd_qmp_options opts = {.max_message_size = 256};
	struct fixture f;
	json_object *ret;
	int pad;

	/* {"return": "xxx", "id": 2} is 24 bytes plus the padding. */
	pad = 256 - (int)strlen("{\"return\": \"\", \"id\": 2}");
	snprintf(exact, sizeof(exact), "{\"return\": \"%0*d\", \"id\": @ID@}\r\n", pad, 0);
	open_negotiated(&f, script, N(script), &opts);
	assert_int_equal(qd_qmp_execute(f.q, "query-name", NULL, T, &ret, &f.err), 0);
	assert_int_equal(strlen(json_object_get_string(ret)), pad);
	json_object_put(ret);
	close_client(&f);
}

/* The peer closes in the middle of a reply: pending and later calls fail. */
static void test_peer_closes_mid_reply(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("query-status"),
	    SEND("{\"return\": {\"status\": \"runn"),
	    CLOSE(),
	};
	struct fixture f;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err), -ECONNRESET);
	assert_string_equal(f.err.message,
			    "QMP connection closed by QEMU in the middle of a message");
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err), -ECONNRESET);
	assert_int_equal(qd_qmp_wait_event(f.q, "STOP", NULL, NULL, T, NULL, &f.err), -ECONNRESET);
	close_client(&f);
}

/* Writing to a closed peer returns an error instead of raising SIGPIPE. */
static void test_write_after_close_no_sigpipe(void **state)
{
	static const struct peer_step script[] = {GREET, CLOSE()};
	struct fixture f;
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
	int r;

	sigaction(SIGPIPE, &dfl, &old); /* a SIGPIPE would kill the test */
	open_negotiated(&f, script, N(script), NULL);
	/* Wait for the close to be seen, via an event wait that must fail. */
	assert_int_equal(qd_qmp_wait_event(f.q, "STOP", NULL, NULL, T, NULL, &f.err), -ECONNRESET);
	r = qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err);
	assert_int_equal(r, -ECONNRESET);
	sigaction(SIGPIPE, &old, NULL);
	close_client(&f);
}

/* Writing when the peer is gone but not yet seen as gone: EPIPE, no signal. */
static void test_send_to_dead_socket(void **state)
{
	static const struct peer_step script[] = {GREET, CLOSE()};
	struct fixture f;
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
	int r;

	sigaction(SIGPIPE, &dfl, &old);
	open_negotiated(&f, script, N(script), NULL);
	peer_finish(f.peer); /* the peer's end is closed once this returns */
	f.peer = NULL;
	r = qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err);
	assert_true(r == -EPIPE || r == -ECONNRESET);
	assert_int_equal(qd_qmp_broken(f.q, NULL), r);
	sigaction(SIGPIPE, &old, NULL);
	qd_qmp_free(f.q);
	qd_error_clear(&f.err);
}

/*
 * The deadline passes before the reply: -ETIMEDOUT, the connection stays
 * usable, and the late reply is discarded rather than given to the next call.
 */
static void test_deadline_then_late_reply(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("query-hotpluggable-cpus"),
	    EXPECT("query-status"),
	    /* Late reply to the first command (id 2), then the second's. */
	    SEND("{\"return\": [], \"id\": 2}\r\n"),
	    SEND("{\"return\": {\"status\": \"paused\"}, \"id\": @ID@}\r\n"),
	};
	struct fixture f;
	json_object *ret;
	int64_t start = qd_now_ns();

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "query-hotpluggable-cpus", NULL, 50, &ret, &f.err),
			 -ETIMEDOUT);
	assert_true(qd_now_ns() - start >= 50 * 1000000LL);
	assert_string_equal(f.err.message,
			    "QMP command 'query-hotpluggable-cpus' got no reply within 50 ms");
	assert_null(ret);
	assert_int_equal(qd_qmp_broken(f.q, NULL), 0);
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, &ret, &f.err), 0);
	assert_json(ret, "{\"status\": \"paused\"}");
	json_object_put(ret);
	close_client(&f);
}

/* QEMU stops reading: a send that times out half-way marks the connection broken. */
static void test_send_timeout_marks_broken(void **state)
{
	static const struct peer_step script[] = {GREET, STALL()};
	size_t big = 8 * 1024 * 1024;
	char *blob = malloc(big + 1);
	struct fixture f;
	json_object *args = json_object_new_object();

	memset(blob, 'x', big);
	blob[big] = '\0';
	json_object_object_add(args, "blob", json_object_new_string(blob));
	free(blob);
	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "x-big", args, 100, NULL, &f.err), -ETIMEDOUT);
	assert_non_null(strstr(f.err.message, "sending QMP command 'x-big' failed"));
	assert_int_equal(qd_qmp_broken(f.q, NULL), -ETIMEDOUT);
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err), -ETIMEDOUT);
	json_object_put(args);
	close_client(&f);
}

/* Zero timeout with nothing to read: an immediate -ETIMEDOUT. */
static void test_zero_timeout(void **state)
{
	static const struct peer_step script[] = {GREET};
	struct fixture f;
	json_object *ev;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_next_event(f.q, 0, &ev, &f.err), -ETIMEDOUT);
	assert_null(ev);
	assert_string_equal(f.err.message, "no QMP event within 0 ms");
	close_client(&f);
}

/* Negative timeouts are refused before any I/O. */
static void test_negative_timeout(void **state)
{
	static const struct peer_step script[] = {GREET};
	struct qd_qmp_watch *w;
	struct fixture f;
	struct qd_qmp *q2;
	json_object *ev;

	open_client(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_handshake(f.q, -1, &f.err), -EINVAL);
	assert_string_equal(f.err.message, "invalid timeout -1 ms: must not be negative");
	assert_int_equal(qd_qmp_handshake(f.q, T, &f.err), 0);
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, -5, NULL, &f.err), -EINVAL);
	assert_int_equal(qd_qmp_next_event(f.q, -1, &ev, &f.err), -EINVAL);
	assert_int_equal(qd_qmp_wait_event(f.q, "STOP", NULL, NULL, -1, NULL, &f.err), -EINVAL);
	assert_int_equal(qd_qmp_watch_new(f.q, "STOP", NULL, NULL, &w, &f.err), 0);
	assert_int_equal(qd_qmp_watch_wait(f.q, w, -1, NULL, &f.err), -EINVAL);
	qd_qmp_watch_free(f.q, w);
	assert_int_equal(qd_qmp_connect("/nonexistent", NULL, -1, &q2, &f.err), -EINVAL);
	assert_null(q2);
	close_client(&f);
}

/* A reply whose id was never sent is a protocol error. */
static void test_unknown_id(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("query-status"),
	    SEND("{\"return\": {}, \"id\": \"bogus-7\"}\r\n"),
	};
	struct fixture f;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err), -EPROTO);
	assert_string_equal(f.err.message, "QMP reply with unknown id \"bogus-7\"");
	close_client(&f);
}

/* An error without id (QEMU's answer to unparsable input) breaks the connection. */
static void test_reply_without_id(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("query-status"),
	    SEND("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, "
		 "expecting value\"}}\r\n"),
	};
	struct fixture f;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err), -EPROTO);
	assert_string_equal(f.err.message, "QMP reply without id (QEMU could not parse a "
					   "request?): JSON parse error, expecting value");
	close_client(&f);
}

/* Non-object messages and unknown message shapes are protocol errors. */
static void test_non_object_message(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("query-status"),
	    SEND("[1, 2]\r\n"),
	};
	struct fixture f;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, NULL, &f.err), -EPROTO);
	assert_string_equal(f.err.message, "QMP peer sent a non-object message: [1,2]");
	close_client(&f);
}

/* wait_event matches name and a data member; other events stay queued. */
static void test_wait_event_filter(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("device_del"),
	    SEND("{\"return\": {}, \"id\": @ID@}\r\n"
		 "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}, \"event\": "
		 "\"DEVICE_DELETED\", \"data\": {\"path\": "
		 "\"/machine/peripheral/vb2/virtio-backend\"}}\r\n"
		 "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 1}, \"event\": "
		 "\"DEVICE_DELETED\", \"data\": {\"device\": \"vb2\", \"path\": "
		 "\"/machine/peripheral/vb2\"}}\r\n"),
	    SEND("{\"timestamp\": {\"seconds\": 2, \"microseconds\": 0}, \"event\": "
		 "\"DEVICE_DELETED\", \"data\": {\"device\": \"vb1\", \"path\": "
		 "\"/machine/peripheral/vb1\"}}\r\n"),
	};
	struct fixture f;
	json_object *ev;

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "device_del", NULL, T, NULL, &f.err), 0);
	assert_int_equal(qd_qmp_wait_event(f.q, "DEVICE_DELETED", "device", "vb1", T, &ev, &f.err),
			 0);
	assert_int_equal(qd_qmp_event_timestamp_us(ev), 2000000);
	json_object_put(ev);
	/* The vb2 events are still in the general queue, in order. */
	assert_int_equal(qd_qmp_wait_event(f.q, "DEVICE_DELETED", "device", NULL, 0, &ev, &f.err),
			 0);
	assert_int_equal(qd_qmp_event_timestamp_us(ev), 1000001);
	json_object_put(ev);
	assert_int_equal(qd_qmp_next_event(f.q, 0, &ev, &f.err), 0);
	assert_int_equal(qd_qmp_event_timestamp_us(ev), 1000000);
	json_object_put(ev);
	assert_int_equal(
	    qd_qmp_wait_event(f.q, "DEVICE_DELETED", "device", "vb9", 20, NULL, &f.err),
	    -ETIMEDOUT);
	assert_string_equal(f.err.message, "no DEVICE_DELETED within 20 ms");
	close_client(&f);
}

/* The event queue is bounded: the oldest events are dropped past the limit. */
static void test_event_queue_bounded(void **state)
{
	static char burst[(QD_QMP_EVENT_QUEUE_MAX + 5) * 96];
	static struct peer_step script[] = {
	    GREET,
	    EXPECT("cont"),
	    SEND(burst),
	};
	struct fixture f;
	json_object *ev;
	size_t off = 0, count = 0;

	for (unsigned i = 0; i < QD_QMP_EVENT_QUEUE_MAX + 5; i++)
		off += (size_t)snprintf(burst + off, sizeof(burst) - off,
					"{\"timestamp\": {\"seconds\": %u, \"microseconds\": 0}, "
					"\"event\": \"RESUME\"}\r\n",
					i);
	snprintf(burst + off, sizeof(burst) - off, "{\"return\": {}, \"id\": @ID@}\r\n");
	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "cont", NULL, T, NULL, &f.err), 0);
	assert_int_equal(qd_qmp_next_event(f.q, 0, &ev, &f.err), 0);
	assert_int_equal(qd_qmp_event_timestamp_us(ev), 5 * 1000000LL);
	json_object_put(ev);
	for (count = 1; qd_qmp_next_event(f.q, 0, &ev, &f.err) == 0; count++)
		json_object_put(ev);
	assert_int_equal(count, QD_QMP_EVENT_QUEUE_MAX);
	close_client(&f);
}

struct worker {
	struct qd_qmp *q;
	int index;
	int failures;
};

#define WORKERS	   8
#define PER_WORKER 25

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PER_WORKER; i++) {
		json_object *args = json_object_new_object(), *ret = NULL, *echoed, *n;
		qd_error err = {0};
		char name[32];

		snprintf(name, sizeof(name), "cmd-%d", w->index);
		json_object_object_add(args, "n", json_object_new_int(i));
		if (qd_qmp_execute(w->q, name, args, T, &ret, &err) < 0 ||
		    !json_object_object_get_ex(ret, "execute", &echoed) ||
		    strcmp(json_object_get_string(echoed), name) != 0 ||
		    !json_object_object_get_ex(ret, "arguments", &echoed) ||
		    !json_object_object_get_ex(echoed, "n", &n) || json_object_get_int(n) != i)
			w->failures++;
		json_object_put(args);
		json_object_put(ret);
		qd_error_clear(&err);
	}
	return NULL;
}

/*
 * Concurrent callers on one connection: the peer answers each batch in
 * reverse order, so only matching by id gives every thread its own reply.
 */
static void test_concurrent_callers(void **state)
{
	static struct peer_step script[3 + PER_WORKER];
	struct worker workers[WORKERS];
	pthread_t threads[WORKERS];
	struct fixture f;
	size_t n = 0;

	script[n++] = (struct peer_step)SEND(GREETING_72);
	script[n++] = (struct peer_step)EXPECT("qmp_capabilities");
	script[n++] = (struct peer_step)REPLY_OK;
	/*
	 * Each worker has at most one command in flight and the peer answers a
	 * batch only when it is full, so every batch holds one command per worker.
	 */
	for (int i = 0; i < PER_WORKER; i++)
		script[n++] = (struct peer_step)SERVE_REVERSED(WORKERS);
	open_negotiated(&f, script, n, NULL);
	for (int i = 0; i < WORKERS; i++) {
		workers[i] = (struct worker){.q = f.q, .index = i};
		assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
	}
	for (int i = 0; i < WORKERS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(workers[i].failures, 0);
	}
	close_client(&f);
}

/* Connecting by path: a too-long path, a missing socket, a real listener. */
static void test_open_path(void **state)
{
	char longpath[200];
	struct qd_qmp *q = NULL;
	qd_error err = {0};
	char dir[] = "/tmp/qd-test-XXXXXX", path[64];
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int lfd;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(qd_qmp_open_path(longpath, NULL, T, &q, &err), -ENAMETOOLONG);
	assert_non_null(strstr(err.message, "QMP socket path is 199 bytes, over the unix socket "
					    "limit of 107"));
	assert_null(q);
	assert_int_equal(qd_qmp_open_path("/nonexistent/qmp.sock", NULL, T, &q, &err), -ENOENT);
	assert_string_equal(err.message, "cannot connect to QMP socket /nonexistent/qmp.sock: No "
					 "such file or directory");
	assert_int_equal(qd_qmp_open_path("", NULL, T, &q, &err), -EINVAL);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(qd_qmp_open_path(path, NULL, T, &q, &err), 0);
	/* No greeting is ever sent: the handshake times out, connection intact. */
	assert_int_equal(qd_qmp_handshake(q, 30, &err), -ETIMEDOUT);
	assert_string_equal(err.message, "no QMP greeting within 30 ms");
	qd_qmp_free(q);
	/* Listener closed: nobody accepts; a refused connect is reported. */
	close(lfd);
	assert_int_equal(qd_qmp_open_path(path, NULL, T, &q, &err), -ECONNREFUSED);
	unlink(path);
	rmdir(dir);
	qd_error_clear(&err);
}

/* Bad arguments are refused before anything is sent. */
static void test_bad_arguments(void **state)
{
	static const struct peer_step script[] = {GREET};
	struct qd_qmp_watch *w;
	struct fixture f;
	struct qd_qmp *other;
	json_object *arr = json_object_new_array();

	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute(f.q, "x", arr, T, NULL, &f.err), -EINVAL);
	assert_string_equal(f.err.message, "arguments of QMP command 'x' must be an object");
	assert_int_equal(qd_qmp_execute(f.q, "", NULL, T, NULL, &f.err), -EINVAL);
	assert_int_equal(qd_qmp_watch_new(f.q, NULL, NULL, NULL, &w, &f.err), -EINVAL);
	assert_int_equal(qd_qmp_watch_new(f.q, "X", NULL, "v", &w, &f.err), -EINVAL);
	assert_int_equal(qd_qmp_open_fd(-1, NULL, &other, &f.err), -EINVAL);
	assert_null(other);
	json_object_put(arr);
	close_client(&f);
}

struct log_capture {
	int count;
	char last[256];
};

static void capture_log(void *opaque, int level, const char *message)
{
	struct log_capture *c = opaque;

	c->count++;
	snprintf(c->last, sizeof(c->last), "%d %s", level, message);
}

/* The log callback sees the traffic at debug level and nothing by default. */
static void test_logging(void **state)
{
	static const struct peer_step script[] = {GREET, CLOSE()};
	struct log_capture cap = {0};
	struct qd_qmp_options opts = {
	    .log_fn = capture_log,
	    .log_opaque = &cap,
	    .log_level = QD_LOG_DEBUG,
	};
	struct fixture f;

	open_negotiated(&f, script, N(script), &opts);
	assert_true(cap.count >= 3); /* greeting, send, reply */
	assert_int_equal(qd_qmp_wait_event(f.q, "STOP", NULL, NULL, T, NULL, &f.err), -ECONNRESET);
	assert_string_equal(cap.last, "3 QMP connection broken: QMP connection closed by QEMU");
	close_client(&f);
}

/* ---- pipelined batches and descriptors ---------------------------------------------------- */

/*
 * Three commands go out before any reply (the peer reads all three first);
 * the one QEMU refuses has its own outcome, the others theirs.
 */
static void test_batch_pipelined(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT_ARGS("device_del", "{\"id\": \"a\"}"),
	    EXPECT("query-status"),
	    EXPECT_ARGS("device_del", "{\"id\": \"c\"}"),
	    ANSWER_OK,
	    ANSWER("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no\"}, \"id\": "
		   "@ID@}\r\n"),
	    ANSWER("{\"return\": {\"status\": \"running\"}, \"id\": @ID@}\r\n"),
	};
	json_object *a = parse("{\"id\": \"a\"}"), *c = parse("{\"id\": \"c\"}");
	struct qd_qmp_request reqs[3] = {{.command = "device_del", .arguments = a, .fd = -1},
					 {.command = "query-status", .fd = -1},
					 {.command = "device_del", .arguments = c, .fd = -1}};
	struct fixture f;

	(void)state;
	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute_batch(f.q, reqs, 3, T, &f.err), 0);
	assert_int_equal(reqs[0].r, 0);
	assert_json(reqs[0].result, "{}");
	assert_int_equal(reqs[1].r, -EREMOTEIO);
	assert_string_equal(reqs[1].err.qmp_class, "CommandNotFound");
	assert_null(reqs[1].result);
	assert_int_equal(reqs[2].r, 0);
	assert_json(reqs[2].result, "{\"status\": \"running\"}");
	for (int i = 0; i < 3; i++) {
		json_object_put(reqs[i].result);
		qd_error_clear(&reqs[i].err);
	}
	json_object_put(a);
	json_object_put(c);
	close_client(&f);
}

/* A command whose text is not UTF-8 is not sent; the others are. */
static void test_batch_skips_invalid_utf8(void **state)
{
	static const struct peer_step script[] = {
	    GREET, EXPECT("stop"), EXPECT("cont"), ANSWER_OK, ANSWER_OK,
	};
	json_object *bad = json_object_new_object();
	struct qd_qmp_request reqs[3] = {{.command = "stop", .fd = -1},
					 {.command = "device_del", .arguments = bad, .fd = -1},
					 {.command = "cont", .fd = -1}};
	struct fixture f;

	(void)state;
	json_object_object_add(bad, "id", json_object_new_string("\xff"));
	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute_batch(f.q, reqs, 3, T, &f.err), -EINVAL);
	assert_string_equal(f.err.message,
			    "QMP command 'device_del' not sent: its arguments are not valid UTF-8");
	assert_int_equal(reqs[0].r, 0);
	assert_int_equal(reqs[1].r, -EINVAL);
	assert_string_equal(reqs[1].err.message,
			    "QMP command 'device_del' not sent: its arguments are not valid UTF-8");
	assert_int_equal(reqs[2].r, 0);
	for (int i = 0; i < 3; i++) {
		json_object_put(reqs[i].result);
		qd_error_clear(&reqs[i].err);
	}
	json_object_put(bad);
	close_client(&f);
}

/* A reply that misses the deadline fails its command only; it is dropped when it comes. */
static void test_batch_deadline(void **state)
{
	static const struct peer_step script[] = {
	    GREET,
	    EXPECT("stop"),
	    EXPECT("cont"),
	    ANSWER_OK,
	    EXPECT("query-status"), /* sent after the batch gave up on cont */
	    ANSWER_OK,		    /* the late reply to cont */
	    ANSWER("{\"return\": {\"status\": \"paused\"}, \"id\": @ID@}\r\n"),
	};
	struct qd_qmp_request reqs[2] = {{.command = "stop", .fd = -1},
					 {.command = "cont", .fd = -1}};
	json_object *ret = NULL;
	struct fixture f;

	(void)state;
	open_negotiated(&f, script, N(script), NULL);
	assert_int_equal(qd_qmp_execute_batch(f.q, reqs, 2, 200, &f.err), -ETIMEDOUT);
	assert_string_equal(f.err.message, "QMP command 'cont' got no reply in time");
	assert_int_equal(reqs[0].r, 0);
	assert_int_equal(reqs[1].r, -ETIMEDOUT);
	for (int i = 0; i < 2; i++) {
		json_object_put(reqs[i].result);
		qd_error_clear(&reqs[i].err);
	}
	qd_error_clear(&f.err);
	/* The connection is still good: the late reply is not taken for the next one's. */
	assert_int_equal(qd_qmp_execute(f.q, "query-status", NULL, T, &ret, &f.err), 0);
	assert_json(ret, "{\"status\": \"paused\"}");
	json_object_put(ret);
	close_client(&f);
}

/*
 * A descriptor goes with its own command's first byte (QEMU keeps it for the
 * command that brought it), in the middle of a batch too; the caller keeps
 * its copy.
 */
static void test_descriptors(void **state)
{
	int p[2];
	struct fixture f;

	(void)state;
	assert_int_equal(pipe(p), 0);
	{
		const struct peer_step script[] = {
		    GREET,
		    EXPECT_FD("getfd", "{\"fdname\": \"one\"}", p[0]),
		    REPLY_OK,
		    EXPECT("stop"),
		    EXPECT_FD("getfd", "{\"fdname\": \"two\"}", p[1]),
		    EXPECT("cont"),
		    ANSWER_OK,
		    ANSWER_OK,
		    ANSWER_OK,
		};
		json_object *one = parse("{\"fdname\": \"one\"}"),
			    *two = parse("{\"fdname\": \"two\"}");
		struct qd_qmp_request reqs[3] = {{.command = "stop", .fd = -1},
						 {.command = "getfd", .arguments = two, .fd = p[1]},
						 {.command = "cont", .fd = -1}};

		open_negotiated(&f, script, N(script), NULL);
		assert_int_equal(qd_qmp_execute_fd(f.q, "getfd", one, p[0], T, NULL, &f.err), 0);
		assert_int_equal(qd_qmp_execute_fd(f.q, "getfd", one, -1, T, NULL, &f.err),
				 -EINVAL);
		assert_string_equal(f.err.message,
				    "QMP command 'getfd': no descriptor to pass (-1)");
		qd_error_clear(&f.err);
		assert_int_equal(qd_qmp_execute_batch(f.q, reqs, 3, T, &f.err), 0);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(reqs[i].r, 0);
			json_object_put(reqs[i].result);
			qd_error_clear(&reqs[i].err);
		}
		json_object_put(one);
		json_object_put(two);
		close_client(&f);
	}
	close(p[0]);
	close(p[1]);
}

/* On a connection QEMU closed, every command of a batch fails with the connection's error. */
static void test_batch_on_a_closed_connection(void **state)
{
	static const struct peer_step script[] = {GREET, CLOSE()};
	struct qd_qmp_request reqs[2] = {{.command = "stop", .fd = -1},
					 {.command = "cont", .fd = -1}};
	json_object *ret = NULL;
	struct fixture f;
	int r;

	(void)state;
	open_negotiated(&f, script, N(script), NULL);
	/* Wait until the client has seen the EOF (a command fails on it). */
	r = qd_qmp_execute(f.q, "query-status", NULL, T, &ret, &f.err);
	assert_true(r < 0);
	qd_error_clear(&f.err);
	r = qd_qmp_execute_batch(f.q, reqs, 2, T, &f.err);
	assert_true(r < 0);
	assert_int_equal(reqs[0].r, r);
	assert_int_equal(reqs[1].r, r);
	for (int i = 0; i < 2; i++)
		qd_error_clear(&reqs[i].err);
	close_client(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_greeting_and_negotiation),
	    cmocka_unit_test(test_event_before_greeting),
	    cmocka_unit_test(test_bad_greeting),
	    cmocka_unit_test(test_execute_return),
	    cmocka_unit_test(test_execute_error_verbatim),
	    cmocka_unit_test(test_event_before_reply),
	    cmocka_unit_test(test_reply_split_bytewise),
	    cmocka_unit_test(test_three_messages_one_write),
	    cmocka_unit_test(test_single_quotes_and_crlf),
	    cmocka_unit_test(test_garbage_bytes),
	    cmocka_unit_test(test_oversized_message),
	    cmocka_unit_test(test_message_at_limit),
	    cmocka_unit_test(test_peer_closes_mid_reply),
	    cmocka_unit_test(test_write_after_close_no_sigpipe),
	    cmocka_unit_test(test_send_to_dead_socket),
	    cmocka_unit_test(test_deadline_then_late_reply),
	    cmocka_unit_test(test_send_timeout_marks_broken),
	    cmocka_unit_test(test_zero_timeout),
	    cmocka_unit_test(test_negative_timeout),
	    cmocka_unit_test(test_unknown_id),
	    cmocka_unit_test(test_reply_without_id),
	    cmocka_unit_test(test_non_object_message),
	    cmocka_unit_test(test_wait_event_filter),
	    cmocka_unit_test(test_event_queue_bounded),
	    cmocka_unit_test(test_concurrent_callers),
	    cmocka_unit_test(test_open_path),
	    cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_logging),
	    cmocka_unit_test(test_batch_pipelined),
	    cmocka_unit_test(test_batch_skips_invalid_utf8),
	    cmocka_unit_test(test_batch_deadline),
	    cmocka_unit_test(test_descriptors),
	    cmocka_unit_test(test_batch_on_a_closed_connection),
	};

	return cmocka_run_group_tests_name("qmp_client", tests, NULL, NULL);
}
