/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_events.h - FIFO queues of QMP events and event filters (no I/O, no locking) */
#ifndef QD_QMP_EVENTS_H
#define QD_QMP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct qd_event_node;

/* struct qd_event_queue - FIFO of event messages; zero-initialised is empty. */
struct qd_event_queue {
	struct qd_event_node *head;
	struct qd_event_node *tail;
	size_t len;
};

/* struct qd_event_filter - event name plus an optional data member and value. */
struct qd_event_filter {
	char *name;
	char *data_key;	  /* NULL: any */
	char *data_value; /* NULL: the member only has to exist */
};

/* qd_event_filter_init() - copy the strings; returns -ENOMEM or -EINVAL (no name). */
int qd_event_filter_init(struct qd_event_filter *f, const char *name, const char *data_key,
			 const char *data_value);

/* qd_event_filter_clear() - free the strings. */
void qd_event_filter_clear(struct qd_event_filter *f);

/* qd_event_filter_matches() - whether @ev (a whole event message) passes @f. */
bool qd_event_filter_matches(const struct qd_event_filter *f, json_object *ev);

/* qd_event_queue_push() - append @ev, taking a new reference; -ENOMEM on failure. */
int qd_event_queue_push(struct qd_event_queue *q, json_object *ev);

/* qd_event_queue_pop() - remove and return the oldest event (caller's ref), or NULL. */
json_object *qd_event_queue_pop(struct qd_event_queue *q);

/* qd_event_queue_take() - remove and return the oldest event matching @f, or NULL. */
json_object *qd_event_queue_take(struct qd_event_queue *q, const struct qd_event_filter *f);

/* qd_event_queue_clear() - drop every event. */
void qd_event_queue_clear(struct qd_event_queue *q);

#endif
