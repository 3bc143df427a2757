/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scenario_events.c - the events a scenario sees: watches on the VM's connection, in order */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "qdctl.h"
#include "scenario_ctx.h"

/*
 * DOC: events
 *
 * The library keeps the events of its own hot-plug (the DEVICE_DELETED it
 * waits for) out of the connection's general queue, so a scenario arms a
 * watch of its own per event name: watches see every matching event. The
 * names are a default set plus every name the scenario mentions. Events of
 * several watches are merged by QEMU's timestamp. Watches belong to one
 * connection: they are released (drained first) before any op that may
 * close it (start, stop, restart) and armed again afterwards.
 */

static const char *const default_names[] = {
    "DEVICE_DELETED",
    "DEVICE_UNPLUG_GUEST_ERROR",
    "ACPI_DEVICE_OST",
    "STOP",
    "RESUME",
    "SHUTDOWN",
    "RESET",
    "POWERDOWN",
    "GUEST_PANICKED",
    "BLOCK_IO_ERROR",
    NULL,
};

static void check_connection(struct sc_ctx *ctx);

static void add_name(json_object *names, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(names); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(names, i)), name))
			return;
	json_object_array_add(names, json_object_new_string(name));
}

void sc_events_init(struct sc_ctx *ctx)
{
	const struct scenario *sc = ctx->sc;

	ctx->watch_names = json_object_new_array();
	for (const char *const *n = default_names; *n; n++)
		add_name(ctx->watch_names, *n);
	for (size_t i = 0; i < sc->nsteps; i++) {
		const struct sc_expect *e = &sc->steps[i].expect;
		json_object *v;

		for (size_t k = 0; k < e->nevents; k++)
			add_name(ctx->watch_names, e->events[k].name);
		for (size_t k = 0; k < e->nno_events; k++)
			add_name(ctx->watch_names, e->no_events[k]);
		if (!strcmp(sc->steps[i].op->name, "wait-event") &&
		    json_object_object_get_ex(sc->steps[i].json, "event", &v))
			add_name(ctx->watch_names, json_object_get_string(v));
	}
}

/*
 * The library replaces a broken connection (allocating the new one before it
 * frees the old, so the pointer changes) and frees it when QEMU is gone; the
 * watches go with it. So a connection that is no longer the VM's means the
 * watches are gone already, and a broken one is released while it still exists.
 */
static void check_connection(struct sc_ctx *ctx)
{
	struct qd_qmp *q = ctx->vm ? qd_vm_qmp(ctx->vm) : NULL;

	if (!ctx->watch_q)
		return;
	if (q != ctx->watch_q) {
		free(ctx->watches);
		ctx->watches = NULL;
		ctx->watch_q = NULL;
	} else if (qd_qmp_broken(q, NULL)) {
		sc_events_release(ctx);
	}
}

void sc_events_arm(struct sc_ctx *ctx)
{
	struct qd_qmp *q;
	size_t n = json_object_array_length(ctx->watch_names);

	check_connection(ctx);
	q = ctx->vm ? qd_vm_qmp(ctx->vm) : NULL;
	if (!q || ctx->watch_q || qd_qmp_broken(q, NULL))
		return;
	ctx->watches = calloc(n, sizeof(*ctx->watches));
	if (!ctx->watches)
		return;
	for (size_t i = 0; i < n; i++)
		if (qd_qmp_watch_new(
			q, json_object_get_string(json_object_array_get_idx(ctx->watch_names, i)),
			NULL, NULL, &ctx->watches[i], NULL) < 0)
			ctx->watches[i] = NULL;
	ctx->watch_q = q;
}

static int by_timestamp(const void *a, const void *b)
{
	int64_t ta = qd_qmp_event_timestamp_us(*(json_object *const *)a);
	int64_t tb = qd_qmp_event_timestamp_us(*(json_object *const *)b);

	return ta < tb ? -1 : ta > tb;
}

/* Append @batch (events, consumed) to ctx->events in QEMU's order. */
static void append_sorted(struct sc_ctx *ctx, json_object **batch, size_t n)
{
	qsort(batch, n, sizeof(*batch), by_timestamp);
	for (size_t i = 0; i < n; i++) {
		json_object *rec = json_object_new_object(), *v;

		if (json_object_object_get_ex(batch[i], "event", &v))
			json_object_object_add(rec, "event", json_object_get(v));
		if (json_object_object_get_ex(batch[i], "data", &v))
			json_object_object_add(rec, "data", json_object_get(v));
		json_object_object_add(rec, "step", json_object_new_int(ctx->step_index));
		json_object_array_add(ctx->events, rec);
		sc_ctx_log(ctx, "< ",
			   json_object_to_json_string_ext(
			       batch[i], JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(batch[i]);
	}
}

void sc_ctx_drain_events(struct sc_ctx *ctx)
{
	size_t n = json_object_array_length(ctx->watch_names), len = 0, cap = 16;
	json_object **batch;

	if (ctx->watch_q && ctx->watch_q != (ctx->vm ? qd_vm_qmp(ctx->vm) : NULL))
		check_connection(ctx);
	if (!ctx->watch_q)
		return;
	/* The general queue holds what the watches saw too: emptied, not to fill up. */
	for (json_object *ev = NULL; qd_qmp_next_event(ctx->watch_q, 0, &ev, NULL) == 0; ev = NULL)
		json_object_put(ev);
	batch = malloc(cap * sizeof(*batch));
	for (size_t i = 0; batch && i < n; i++) {
		json_object *ev = NULL;

		while (ctx->watches[i] &&
		       qd_qmp_watch_wait(ctx->watch_q, ctx->watches[i], 0, &ev, NULL) == 0) {
			if (len == cap) {
				json_object **nb = realloc(batch, (cap *= 2) * sizeof(*batch));

				if (!nb) {
					json_object_put(ev);
					break;
				}
				batch = nb;
			}
			batch[len++] = ev;
			ev = NULL;
		}
	}
	if (batch)
		append_sorted(ctx, batch, len);
	free(batch);
}

void sc_events_release(struct sc_ctx *ctx)
{
	size_t n = json_object_array_length(ctx->watch_names);

	if (ctx->watch_q && ctx->watch_q != (ctx->vm ? qd_vm_qmp(ctx->vm) : NULL))
		check_connection(ctx);
	if (!ctx->watch_q)
		return;
	sc_ctx_drain_events(ctx);
	if (!ctx->watch_q)
		return;
	for (size_t i = 0; i < n; i++)
		qd_qmp_watch_free(ctx->watch_q, ctx->watches[i]);
	free(ctx->watches);
	ctx->watches = NULL;
	ctx->watch_q = NULL;
}

void sc_events_free(struct sc_ctx *ctx)
{
	sc_events_release(ctx);
	json_object_put(ctx->watch_names);
	ctx->watch_names = NULL;
}

/* An event matches @name and every member of @data (by JSON value). */
static bool event_matches(json_object *ev, const char *name, json_object *data)
{
	json_object *n, *d;

	if (!json_object_object_get_ex(ev, "event", &n) || strcmp(json_object_get_string(n), name))
		return false;
	if (!data)
		return true;
	if (!json_object_object_get_ex(ev, "data", &d))
		return false;
	json_object_object_foreach(data, key, want)
	{
		json_object *got;

		if (!json_object_object_get_ex(d, key, &got) || !json_object_equal(want, got))
			return false;
	}
	return true;
}

/* The first event not yet taken that matches, marked taken; NULL when none. */
static json_object *take_event(struct sc_ctx *ctx, const char *name, json_object *data)
{
	for (size_t i = 0; i < json_object_array_length(ctx->events); i++) {
		json_object *e = json_object_array_get_idx(ctx->events, i), *taken;

		if (json_object_object_get_ex(e, "taken", &taken) && json_object_get_boolean(taken))
			continue;
		if (event_matches(e, name, data)) {
			json_object_object_add(e, "taken", json_object_new_boolean(true));
			return e;
		}
	}
	return NULL;
}

int sc_events_wait(struct sc_ctx *ctx, const char *name, json_object *data, int timeout_ms,
		   json_object **out, qd_error *err)
{
	int64_t deadline = qdctl_now_ms() + timeout_ms;
	size_t idx = 0, n = json_object_array_length(ctx->watch_names);

	*out = NULL;
	sc_events_arm(ctx);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(ctx->watch_names, i)),
			    name))
			idx = i;
	for (;;) {
		json_object *ev = NULL;
		int64_t left;
		int r;

		sc_ctx_drain_events(ctx);
		*out = take_event(ctx, name, data);
		if (*out)
			return 0;
		left = deadline - qdctl_now_ms();
		if (left <= 0 || !ctx->watch_q || !ctx->watches[idx])
			break;
		/* Block on this name's watch; the event goes through the same bookkeeping. */
		r = qd_qmp_watch_wait(ctx->watch_q, ctx->watches[idx], (int)left, &ev, err);
		if (r == -ETIMEDOUT)
			break;
		if (r < 0)
			return r;
		append_sorted(ctx, &ev, 1);
	}
	return qdctl_error_set(err, -ETIMEDOUT, "no %s event within %d ms", name, timeout_ms);
}
