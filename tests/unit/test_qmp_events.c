/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_qmp_events.c - event filters and FIFO queues */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "qmp_events.h"

static json_object *ev(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static void test_filter_matching(void **state)
{
	struct qd_event_filter by_name, by_key, by_value, by_int;
	json_object *del = ev("{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"vb1\", "
			      "\"path\": \"/machine/peripheral/vb1\"}}");
	json_object *child = ev("{\"event\": \"DEVICE_DELETED\", \"data\": {\"path\": "
				"\"/machine/peripheral/vb1/virtio-backend\"}}");
	json_object *ost = ev("{\"event\": \"ACPI_DEVICE_OST\", \"data\": {\"source\": 3}}");
	json_object *stop = ev("{\"event\": \"STOP\"}");

	assert_int_equal(qd_event_filter_init(&by_name, "DEVICE_DELETED", NULL, NULL), 0);
	assert_int_equal(qd_event_filter_init(&by_key, "DEVICE_DELETED", "device", NULL), 0);
	assert_int_equal(qd_event_filter_init(&by_value, "DEVICE_DELETED", "device", "vb1"), 0);
	assert_int_equal(qd_event_filter_init(&by_int, "ACPI_DEVICE_OST", "source", "3"), 0);

	assert_true(qd_event_filter_matches(&by_name, del));
	assert_true(qd_event_filter_matches(&by_name, child));
	assert_false(qd_event_filter_matches(&by_name, stop));
	assert_true(qd_event_filter_matches(&by_key, del));
	assert_false(qd_event_filter_matches(&by_key, child));
	assert_true(qd_event_filter_matches(&by_value, del));
	assert_false(qd_event_filter_matches(&by_value, child));
	assert_true(qd_event_filter_matches(&by_int, ost));
	assert_false(qd_event_filter_matches(&by_int, stop));

	qd_event_filter_clear(&by_name);
	qd_event_filter_clear(&by_key);
	qd_event_filter_clear(&by_value);
	qd_event_filter_clear(&by_int);
	json_object_put(del);
	json_object_put(child);
	json_object_put(ost);
	json_object_put(stop);
}

static void test_filter_invalid(void **state)
{
	struct qd_event_filter f;

	assert_int_equal(qd_event_filter_init(&f, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(qd_event_filter_init(&f, "", NULL, NULL), -EINVAL);
	assert_int_equal(qd_event_filter_init(&f, "X", NULL, "value-without-key"), -EINVAL);
}

static void test_queue_fifo_and_take(void **state)
{
	struct qd_event_queue q = {0};
	struct qd_event_filter f;
	json_object *a = ev("{\"event\": \"A\"}"), *b = ev("{\"event\": \"B\"}");
	json_object *c = ev("{\"event\": \"A\", \"data\": {\"n\": 2}}"), *got;

	assert_int_equal(qd_event_queue_push(&q, a), 0);
	assert_int_equal(qd_event_queue_push(&q, b), 0);
	assert_int_equal(qd_event_queue_push(&q, c), 0);
	assert_int_equal(q.len, 3);

	/* Take from the middle, then the tail stays consistent. */
	assert_int_equal(qd_event_filter_init(&f, "B", NULL, NULL), 0);
	got = qd_event_queue_take(&q, &f);
	assert_ptr_equal(got, b);
	json_object_put(got);
	assert_null(qd_event_queue_take(&q, &f));
	qd_event_filter_clear(&f);

	got = qd_event_queue_pop(&q);
	assert_ptr_equal(got, a);
	json_object_put(got);
	json_object *d = ev("{\"event\": \"D\"}");
	assert_int_equal(qd_event_queue_push(&q, d), 0);
	got = qd_event_queue_pop(&q);
	assert_ptr_equal(got, c);
	json_object_put(got);
	got = qd_event_queue_pop(&q);
	assert_ptr_equal(got, d);
	json_object_put(got);
	assert_null(qd_event_queue_pop(&q));
	assert_int_equal(q.len, 0);

	/* clear drops the queue's references only. */
	assert_int_equal(qd_event_queue_push(&q, a), 0);
	qd_event_queue_clear(&q);
	assert_null(q.head);
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
	json_object_put(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filter_matching),
	    cmocka_unit_test(test_filter_invalid),
	    cmocka_unit_test(test_queue_fifo_and_take),
	};

	return cmocka_run_group_tests_name("qmp_events", tests, NULL, NULL);
}
