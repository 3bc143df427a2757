/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_events.c - FIFO queues of QMP events and event filters (no I/O, no locking) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qmp_events.h"

struct qd_event_node {
	json_object *ev;
	struct qd_event_node *next;
};

int qd_event_filter_init(struct qd_event_filter *f, const char *name, const char *data_key,
			 const char *data_value)
{
	memset(f, 0, sizeof(*f));
	if (!name || !*name || (data_value && !data_key))
		return -EINVAL;
	f->name = strdup(name);
	f->data_key = data_key ? strdup(data_key) : NULL;
	f->data_value = data_value ? strdup(data_value) : NULL;
	if (!f->name || (data_key && !f->data_key) || (data_value && !f->data_value)) {
		qd_event_filter_clear(f);
		return -ENOMEM;
	}
	return 0;
}

void qd_event_filter_clear(struct qd_event_filter *f)
{
	free(f->name);
	free(f->data_key);
	free(f->data_value);
	memset(f, 0, sizeof(*f));
}

bool qd_event_filter_matches(const struct qd_event_filter *f, json_object *ev)
{
	json_object *name, *data, *member;
	const char *text;

	if (!json_object_object_get_ex(ev, "event", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    strcmp(json_object_get_string(name), f->name) != 0)
		return false;
	if (!f->data_key)
		return true;
	if (!json_object_object_get_ex(ev, "data", &data) ||
	    !json_object_object_get_ex(data, f->data_key, &member))
		return false;
	if (!f->data_value)
		return true;
	/* Strings compare by content, anything else by its JSON text. */
	if (json_object_is_type(member, json_type_string))
		text = json_object_get_string(member);
	else
		text = json_object_to_json_string_ext(member, JSON_C_TO_STRING_PLAIN);
	return text && strcmp(text, f->data_value) == 0;
}

int qd_event_queue_push(struct qd_event_queue *q, json_object *ev)
{
	struct qd_event_node *n = malloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->ev = json_object_get(ev);
	n->next = NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	q->len++;
	return 0;
}

static json_object *unlink_node(struct qd_event_queue *q, struct qd_event_node *prev,
				struct qd_event_node *n)
{
	json_object *ev = n->ev;

	if (prev)
		prev->next = n->next;
	else
		q->head = n->next;
	if (q->tail == n)
		q->tail = prev;
	q->len--;
	free(n);
	return ev;
}

json_object *qd_event_queue_pop(struct qd_event_queue *q)
{
	return q->head ? unlink_node(q, NULL, q->head) : NULL;
}

json_object *qd_event_queue_take(struct qd_event_queue *q, const struct qd_event_filter *f)
{
	struct qd_event_node *prev = NULL;

	for (struct qd_event_node *n = q->head; n; prev = n, n = n->next)
		if (qd_event_filter_matches(f, n->ev))
			return unlink_node(q, prev, n);
	return NULL;
}

void qd_event_queue_clear(struct qd_event_queue *q)
{
	json_object *ev;

	while ((ev = qd_event_queue_pop(q)))
		json_object_put(ev);
}
