/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* events.c - fakeqemu's QMP events (now, or later on the event loop) and its virtual clock */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fakeqemu.h"
#include "faults.h"
#include "loop.h"
#include "monitor.h"

int64_t fq_vclock_ms(void)
{
	int64_t v = fq_vm.vclock_base_ms;

	if (fq_vm.run_started_ms >= 0)
		v += fq_loop_now_ms() - fq_vm.run_started_ms;
	return v;
}

static json_object *build_event(const char *name, json_object *data)
{
	json_object *ev = json_object_new_object(), *ts = json_object_new_object();
	struct timeval tv;

	gettimeofday(&tv, NULL);
	/* qmp_event_build_dict(): event, then timestamp, then data. */
	json_object_object_add(ev, "event", json_object_new_string(name));
	json_object_object_add(ts, "seconds", json_object_new_int64(tv.tv_sec));
	json_object_object_add(ts, "microseconds", json_object_new_int64(tv.tv_usec));
	json_object_object_add(ev, "timestamp", ts);
	if (data)
		json_object_object_add(ev, "data", data);
	return ev;
}

void fq_event(const char *name, json_object *data)
{
	json_object *ev = build_event(name, data);

	fq_monitor_broadcast_event(ev);
	json_object_put(ev);
}

struct later_event {
	char *name;
	json_object *data;
};

static void later_event_fire(void *opaque)
{
	struct later_event *l = opaque;

	fq_event(l->name, l->data);
	free(l->name);
	free(l);
}

void fq_event_later(const char *name, json_object *data, int delay_ms)
{
	const struct fq_fault_plan *plan = fq_current_plan;
	struct later_event *l;
	int64_t delay = delay_ms;

	if (plan && plan->withhold_events) {
		json_object_put(data);
		return;
	}
	if (plan && plan->event_before_reply) {
		fq_event(name, data);
		return;
	}
	/* 64 bits: a fault's delay plus the model's cannot overflow. */
	if (plan)
		delay += plan->event_delay_ms;
	l = calloc(1, sizeof(*l));
	if (!l)
		abort();
	l->name = strdup(name);
	l->data = data;
	fq_loop_timer(delay, later_event_fire, l);
}
