/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_claims.c - which events answer the library's own hot-plug (no I/O, no locking) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qmp_claims.h"

#define PERIPHERAL "/machine/peripheral/"

static json_object *member(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

bool qd_event_name_is(json_object *ev, const char *name)
{
	json_object *v = member(ev, "event");

	return v && json_object_is_type(v, json_type_string) &&
	       !strcmp(json_object_get_string(v), name);
}

const char *qd_event_device_id(json_object *ev)
{
	json_object *data = member(ev, "data"), *v = member(data, "device");

	if (!v)
		v = member(member(data, "info"), "device");
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int qd_event_path_under(json_object *ev, const char *id)
{
	json_object *v = member(member(ev, "data"), "path");
	const char *path;
	size_t len = strlen(id);

	if (!v || !json_object_is_type(v, json_type_string))
		return 0;
	path = json_object_get_string(v);
	if (strncmp(path, PERIPHERAL, strlen(PERIPHERAL)) != 0)
		return 0;
	path += strlen(PERIPHERAL);
	if (strncmp(path, id, len) != 0)
		return 0;
	return path[len] == '\0' ? 2 : path[len] == '/' ? 1 : 0;
}

int qd_claims_add(struct qd_event_claims *c, const char *id)
{
	char *copy;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->ids[i], id))
			return 0;
	if (c->n == c->cap) {
		char **p = realloc(c->ids, (c->cap = c->cap * 2 + 8) * sizeof(char *));

		if (!p)
			return -ENOMEM;
		c->ids = p;
	}
	copy = strdup(id);
	if (!copy)
		return -ENOMEM;
	c->ids[c->n++] = copy;
	return 0;
}

void qd_claims_release(struct qd_event_claims *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->ids[i], id)) {
			unsigned slot = c->next_retired++ % QD_CLAIMS_RETIRED;

			free(c->retired[slot]);
			c->retired[slot] = c->ids[i];
			c->ids[i] = c->ids[--c->n];
			return;
		}
}

void qd_claims_expect_cpu_tail(struct qd_event_claims *c, int delta)
{
	if (delta > 0)
		c->cpu_ost_tails += (unsigned)delta;
	else if (c->cpu_ost_tails >= (unsigned)-delta)
		c->cpu_ost_tails -= (unsigned)-delta;
	else
		c->cpu_ost_tails = 0;
}

static bool claimed_id(const struct qd_event_claims *c, json_object *ev)
{
	const char *dev = qd_event_device_id(ev);

	for (size_t i = 0; i < c->n; i++)
		if ((dev && !strcmp(dev, c->ids[i])) || qd_event_path_under(ev, c->ids[i]))
			return true;
	for (unsigned i = 0; i < QD_CLAIMS_RETIRED; i++)
		if (c->retired[i] && ((dev && !strcmp(dev, c->retired[i])) ||
				      qd_event_path_under(ev, c->retired[i])))
			return true;
	return false;
}

/* The last _OST of a CPU eject: slot-type CPU, source 3 (eject), no device any more. */
static bool cpu_eject_tail(json_object *ev)
{
	json_object *info = member(member(ev, "data"), "info");
	json_object *type = member(info, "slot-type"), *source = member(info, "source");

	return info && !member(info, "device") && type &&
	       !strcmp(json_object_get_string(type), "CPU") && source &&
	       json_object_get_int(source) == 3;
}

bool qd_claims_take(struct qd_event_claims *c, json_object *ev, bool handled)
{
	bool ost = qd_event_name_is(ev, "ACPI_DEVICE_OST");
	bool refusal = qd_event_name_is(ev, "DEVICE_UNPLUG_GUEST_ERROR");

	if (!ost && !refusal && !qd_event_name_is(ev, "DEVICE_DELETED"))
		return false;
	if (ost && c->cpu_ost_tails && cpu_eject_tail(ev)) {
		c->cpu_ost_tails--;
		return true;
	}
	if (!claimed_id(c, ev))
		return false;
	if (refusal && !handled) {
		if (c->inbox.len >= QD_CLAIMS_INBOX_MAX)
			json_object_put(qd_event_queue_pop(&c->inbox));
		qd_event_queue_push(&c->inbox, ev); /* on -ENOMEM it is only lost */
	}
	return true;
}

void qd_claims_clear(struct qd_event_claims *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ids[i]);
	free(c->ids);
	for (unsigned i = 0; i < QD_CLAIMS_RETIRED; i++)
		free(c->retired[i]);
	qd_event_queue_clear(&c->inbox);
	memset(c, 0, sizeof(*c));
}
