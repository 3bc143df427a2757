/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_utf8.c - what counts as UTF-8 QEMU will read, and that nothing else reaches it */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemudrv.h"
#include "qmp_peer.h"
#include "utf8.h"

static void test_valid_and_invalid(void **state)
{
	static const char *const valid[] = {
	    "",
	    "plain ascii",
	    "caf\xc3\xa9",
	    "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80",
	    "\xf4\x8f\xbf\xbf",
	    "\xed\x9f\xbf", /* U+D7FF */
	    "\xee\x80\x80", /* U+E000 */
	};
	static const char *const invalid[] = {
	    "\xff",
	    "\xfe",
	    "\x80", /* a lone continuation */
	    "\xc3",
	    "\xc3(",
	    "\xe2\x82", /* truncated */
	    "\xc0\x80",
	    "\xc1\xbf", /* overlong: NUL and U+007F */
	    "\xe0\x80\x80",
	    "\xf0\x80\x80\x80", /* overlong */
	    "\xed\xa0\x80",
	    "\xed\xbf\xbf", /* UTF-16 surrogates */
	    "\xf4\x90\x80\x80",
	    "\xf5\x80\x80\x80", /* above U+10FFFF */
	    "ok\xff then more",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		if (!qd_utf8_valid(valid[i]))
			fail_msg("valid case %zu refused", i);
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		if (qd_utf8_valid(invalid[i]))
			fail_msg("invalid case %zu accepted", i);
}

/* A command whose arguments are not UTF-8 is refused before a byte is sent. */
static void test_execute_sends_nothing(void **state)
{
	const struct peer_step steps[] = {
	    GREET,
	    EXPECT_ARGS("device_del", "{\"id\": \"ok\"}"),
	    REPLY_OK,
	};
	struct qmp_peer *peer;
	struct qd_qmp *q;
	qd_error err = {0};
	json_object *args;
	int fd;

	peer = peer_start(steps, sizeof(steps) / sizeof(steps[0]), &fd);
	assert_int_equal(qd_qmp_open_fd(fd, NULL, &q, &err), 0);
	assert_int_equal(qd_qmp_handshake(q, 5000, &err), 0);
	args = json_tokener_parse("{\"id\": \"x\"}");
	json_object_object_add(args, "id", json_object_new_string("bad\xff\xfe"));
	assert_int_equal(qd_qmp_execute(q, "device_del", args, 5000, NULL, &err), -EINVAL);
	assert_string_equal(err.message,
			    "QMP command 'device_del' not sent: its arguments are not valid UTF-8");
	json_object_put(args);
	/* The connection is as good as before: the next command is the next thing sent. */
	args = json_tokener_parse("{\"id\": \"ok\"}");
	assert_int_equal(qd_qmp_execute(q, "device_del", args, 5000, NULL, &err), 0);
	json_object_put(args);
	assert_int_equal(qd_qmp_broken(q, NULL), 0);
	qd_qmp_free(q);
	peer_finish(peer);
	qd_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_and_invalid),
	    cmocka_unit_test(test_execute_sends_nothing),
	};

	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
