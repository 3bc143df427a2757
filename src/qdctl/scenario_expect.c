/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scenario_expect.c - check a step's outcome: error, result, events, the state file, QEMU's view */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_ctx.h"

#define CHECK_TIMEOUT_MS 5000

static void failure(json_object *failures, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void failure(json_object *failures, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	json_object_array_add(failures, json_object_new_string(s ? s : "out of memory"));
	free(s);
}

static const char *plain(json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE)
		 : "null";
}

int sc_json_subset(json_object *want, json_object *got, const char *path, char **why)
{
	*why = NULL;
	if (json_object_is_type(want, json_type_object)) {
		if (!json_object_is_type(got, json_type_object)) {
			if (asprintf(why, "%s: expected an object %s, got %s", path, plain(want),
				     plain(got)) < 0)
				*why = NULL;
			return -1;
		}
		json_object_object_foreach(want, key, wv)
		{
			json_object *gv;
			char sub[256];

			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			if (!json_object_object_get_ex(got, key, &gv)) {
				if (asprintf(why, "%s: missing (expected %s)", sub, plain(wv)) < 0)
					*why = NULL;
				return -1;
			}
			if (sc_json_subset(wv, gv, sub, why) < 0)
				return -1;
		}
		return 0;
	}
	if (json_object_is_type(want, json_type_array)) {
		size_t n = json_object_array_length(want);

		if (!json_object_is_type(got, json_type_array) ||
		    json_object_array_length(got) != n) {
			if (asprintf(why, "%s: expected %s, got %s", path, plain(want),
				     plain(got)) < 0)
				*why = NULL;
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			char sub[256];

			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (sc_json_subset(json_object_array_get_idx(want, i),
					   json_object_array_get_idx(got, i), sub, why) < 0)
				return -1;
		}
		return 0;
	}
	if (json_object_equal(want, got))
		return 0;
	/* 2 and 2.0 are the same number to a reader. */
	if ((json_object_is_type(want, json_type_int) ||
	     json_object_is_type(want, json_type_double)) &&
	    (json_object_is_type(got, json_type_int) ||
	     json_object_is_type(got, json_type_double)) &&
	    json_object_get_double(want) == json_object_get_double(got))
		return 0;
	if (asprintf(why, "%s: expected %s, got %s", path, plain(want), plain(got)) < 0)
		*why = NULL;
	return -1;
}

/* ---- sets of names ------------------------------------------------------------------------- */

static bool contains(json_object *arr, const char *s)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s))
			return true;
	return false;
}

/* @want and @got (arrays of strings) hold the same names, in any order. */
static bool same_set(json_object *want, json_object *got)
{
	for (size_t i = 0; i < json_object_array_length(want); i++)
		if (!contains(got, json_object_get_string(json_object_array_get_idx(want, i))))
			return false;
	for (size_t i = 0; i < json_object_array_length(got); i++)
		if (!contains(want, json_object_get_string(json_object_array_get_idx(got, i))))
			return false;
	return true;
}

static json_object *ids_where(json_object *records, const char *flag)
{
	json_object *ids = json_object_new_array();

	for (size_t i = 0; records && i < json_object_array_length(records); i++) {
		json_object *r = json_object_array_get_idx(records, i), *v, *id;

		if (flag &&
		    (!json_object_object_get_ex(r, flag, &v) || !json_object_get_boolean(v)))
			continue;
		if (json_object_object_get_ex(r, "id", &id))
			json_object_array_add(ids, json_object_get(id));
	}
	return ids;
}

static void check_set(json_object *failures, const char *what, json_object *want, json_object *got)
{
	if (!same_set(want, got))
		failure(failures, "%s: expected %s, found %s", what, plain(want), plain(got));
}

/* ---- the state file ------------------------------------------------------------------------ */

static void check_state(struct sc_ctx *ctx, json_object *want, json_object *failures)
{
	char path[4096];
	json_object *st, *vcpus = NULL, *devices = NULL, *bridges = NULL;

	snprintf(path, sizeof(path), "%s/%s/state.json", ctx->cfg.run_dir, ctx->cfg.id);
	st = json_object_from_file(path);
	if (!st) {
		failure(failures, "state: cannot read %s: %s", path, json_util_get_last_err());
		return;
	}
	json_object_object_get_ex(st, "vcpus", &vcpus);
	json_object_object_get_ex(st, "devices", &devices);
	json_object_object_get_ex(st, "bridges", &bridges);
	json_object_object_foreach(want, key, w)
	{
		if (!strcmp(key, "vcpus")) {
			int n = vcpus ? (int)json_object_array_length(vcpus) : 0;

			if (n != json_object_get_int(w))
				failure(failures,
					"state.vcpus: expected %d hot-plugged vCPUs, found %d",
					json_object_get_int(w), n);
		} else if (!strcmp(key, "vcpu_ids")) {
			json_object *got = ids_where(vcpus, NULL);

			check_set(failures, "state.vcpu_ids", w, got);
			json_object_put(got);
		} else if (!strcmp(key, "devices") || !strcmp(key, "plugging") ||
			   !strcmp(key, "unplugging")) {
			const char *flag = !strcmp(key, "devices") ? NULL : key;
			json_object *got = ids_where(devices, flag);
			char what[32];

			if (flag) {
				/* vCPUs can be plugging too. */
				json_object *more = ids_where(vcpus, flag);

				for (size_t i = 0; i < json_object_array_length(more); i++)
					json_object_array_add(
					    got,
					    json_object_get(json_object_array_get_idx(more, i)));
				json_object_put(more);
			}
			snprintf(what, sizeof(what), "state.%s", key);
			check_set(failures, what, w, got);
			json_object_put(got);
		} else if (!strcmp(key, "slots")) {
			int used = 0;

			for (size_t i = 0; bridges && i < json_object_array_length(bridges); i++) {
				json_object *slots;

				if (json_object_object_get_ex(json_object_array_get_idx(bridges, i),
							      "slots", &slots))
					used += json_object_object_length(slots);
			}
			if (used != json_object_get_int(w))
				failure(failures,
					"state.slots: expected %d bridge slots in use, found %d",
					json_object_get_int(w), used);
		} else if (!strcmp(key, "records")) {
			json_object_object_foreach(w, id, fields)
			{
				json_object *rec = NULL;
				char sub[160], *why;

				for (size_t i = 0; devices && i < json_object_array_length(devices);
				     i++) {
					json_object *r = json_object_array_get_idx(devices, i), *v;

					if (json_object_object_get_ex(r, "id", &v) &&
					    !strcmp(json_object_get_string(v), id))
						rec = r;
				}
				snprintf(sub, sizeof(sub), "state.records.%s", id);
				if (!rec)
					failure(failures, "%s: no such device in the state", sub);
				else if (sc_json_subset(fields, rec, sub, &why) < 0) {
					failure(failures, "%s", why ? why : sub);
					free(why);
				}
			}
		}
	}
	json_object_put(st);
}

/* ---- QEMU's view ----------------------------------------------------------------------------- */

static int ask(struct sc_ctx *ctx, const char *cmd, json_object *args, json_object **ret,
	       json_object *failures)
{
	qd_error err = {0};
	struct qd_qmp *q = ctx->vm ? qd_vm_qmp(ctx->vm) : NULL;
	int r;

	if (!q) {
		failure(failures, "qemu: cannot ask QEMU (%s): no QMP connection", cmd);
		return -ENOTCONN;
	}
	r = qd_qmp_execute(q, cmd, args, CHECK_TIMEOUT_MS, ret, &err);
	if (r < 0)
		failure(failures, "qemu: cannot ask QEMU (%s): %s", cmd,
			err.message ? err.message : strerror(-r));
	qd_error_clear(&err);
	return r;
}

/* The names of @path's children (qom-list: the child<...> properties). */
static json_object *qom_children(struct sc_ctx *ctx, const char *path, json_object *failures)
{
	json_object *args = json_object_new_object(), *ret = NULL, *ids = NULL;

	json_object_object_add(args, "path", json_object_new_string(path));
	if (ask(ctx, "qom-list", args, &ret, failures) == 0) {
		ids = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(ret); i++) {
			json_object *e = json_object_array_get_idx(ret, i), *name, *type;

			if (json_object_object_get_ex(e, "name", &name) &&
			    json_object_object_get_ex(e, "type", &type) &&
			    !strncmp(json_object_get_string(type), "child<", 6))
				json_object_array_add(ids, json_object_get(name));
		}
	}
	json_object_put(ret);
	json_object_put(args);
	return ids;
}

static json_object *peripheral_ids(struct sc_ctx *ctx, json_object *failures)
{
	return qom_children(ctx, "/machine/peripheral", failures);
}

static json_object *node_names(struct sc_ctx *ctx, json_object *failures)
{
	json_object *ret = NULL, *names = NULL;

	if (ask(ctx, "query-named-block-nodes", NULL, &ret, failures) == 0) {
		names = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(ret); i++) {
			json_object *n;

			if (json_object_object_get_ex(json_object_array_get_idx(ret, i),
						      "node-name", &n))
				json_object_array_add(names, json_object_get(n));
		}
	}
	json_object_put(ret);
	return names;
}

static void check_names(json_object *failures, const char *what, json_object *want,
			json_object *have, bool present);

/* The ids query-memory-devices lists. */
static json_object *memory_ids(struct sc_ctx *ctx, json_object *failures)
{
	json_object *ret = NULL, *ids = NULL;

	if (ask(ctx, "query-memory-devices", NULL, &ret, failures) == 0) {
		ids = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(ret); i++) {
			json_object *data, *id;

			if (json_object_object_get_ex(json_object_array_get_idx(ret, i), "data",
						      &data) &&
			    json_object_object_get_ex(data, "id", &id))
				json_object_array_add(ids, json_object_get(id));
		}
	}
	json_object_put(ret);
	return ids;
}

/* The children of /objects (memory backends, iothreads, ...). */
static json_object *object_ids(struct sc_ctx *ctx, json_object *failures)
{
	return qom_children(ctx, "/objects", failures);
}

/*
 * The names of the network clients (netdevs and NICs): QMP lists them
 * nowhere, so HMP's "info network" is read, one "name: ..." a line (a NIC's
 * peer indented under it as " \ name: ...").
 */
static json_object *netdev_ids(struct sc_ctx *ctx, json_object *failures)
{
	json_object *args = json_object_new_object(), *ret = NULL, *ids = NULL;

	json_object_object_add(args, "command-line", json_object_new_string("info network"));
	if (ask(ctx, "human-monitor-command", args, &ret, failures) == 0) {
		const char *text = json_object_get_string(ret);

		ids = json_object_new_array();
		while (text && *text) {
			const char *end = strchr(text, '\n'), *colon;
			size_t len = end ? (size_t)(end - text) : strlen(text);

			while (len && (*text == ' ' || *text == '\\')) {
				text++;
				len--;
			}
			colon = memchr(text, ':', len);
			if (colon && colon > text)
				json_object_array_add(
				    ids, json_object_new_string_len(text, (int)(colon - text)));
			text += len;
			if (*text == '\n')
				text++;
		}
	}
	json_object_put(ret);
	json_object_put(args);
	return ids;
}

/* A pair of expectations ("<what>_present", "<what>_absent") checked against @list(). */
static void check_listed(struct sc_ctx *ctx, json_object *want, json_object *failures,
			 const char *what, json_object *(*list)(struct sc_ctx *, json_object *))
{
	char present[64], absent[64], label[80];
	json_object *v, *have;

	snprintf(present, sizeof(present), "%s_present", what);
	snprintf(absent, sizeof(absent), "%s_absent", what);
	if (!json_object_object_get_ex(want, present, NULL) &&
	    !json_object_object_get_ex(want, absent, NULL))
		return;
	have = list(ctx, failures);
	if (json_object_object_get_ex(want, present, &v)) {
		snprintf(label, sizeof(label), "qemu.%s", present);
		check_names(failures, label, v, have, true);
	}
	if (json_object_object_get_ex(want, absent, &v)) {
		snprintf(label, sizeof(label), "qemu.%s", absent);
		check_names(failures, label, v, have, false);
	}
	json_object_put(have);
}

static void check_names(json_object *failures, const char *what, json_object *want,
			json_object *have, bool present)
{
	for (size_t i = 0; have && i < json_object_array_length(want); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(want, i));

		if (contains(have, n) != present)
			failure(failures, "%s: QEMU %s '%s' (it has %s)", what,
				present ? "lacks" : "still has", n, plain(have));
	}
}

static void check_qemu(struct sc_ctx *ctx, json_object *want, json_object *failures)
{
	json_object *v, *devs = NULL, *nodes = NULL;

	if (json_object_object_get_ex(want, "running", &v)) {
		/* An exit is asynchronous: "gone" waits for it (deadline: the step's). */
		bool running = json_object_get_boolean(v)
				   ? sc_ctx_qemu_running(ctx)
				   : !sc_ctx_qemu_wait_gone(ctx, ctx->timeout_ms);

		if (running != json_object_get_boolean(v))
			failure(failures, "qemu.running: expected QEMU %s, it %s",
				json_object_get_boolean(v) ? "running" : "gone",
				running ? "runs" : (ctx->qemu_exit ? ctx->qemu_exit : "is gone"));
	}
	if (json_object_object_get_ex(want, "status", &v)) {
		json_object *ret = NULL, *s;

		if (ask(ctx, "query-status", NULL, &ret, failures) == 0 &&
		    json_object_object_get_ex(ret, "status", &s) &&
		    strcmp(json_object_get_string(s), json_object_get_string(v)))
			failure(failures, "qemu.status: expected %s, QEMU says %s",
				json_object_get_string(v), json_object_get_string(s));
		json_object_put(ret);
	}
	if (json_object_object_get_ex(want, "cpus", &v)) {
		json_object *ret = NULL;

		if (ask(ctx, "query-cpus-fast", NULL, &ret, failures) == 0 &&
		    (int)json_object_array_length(ret) != json_object_get_int(v))
			failure(failures, "qemu.cpus: expected %d vCPUs, QEMU has %d",
				json_object_get_int(v), (int)json_object_array_length(ret));
		json_object_put(ret);
	}
	if (json_object_object_get_ex(want, "devices_present", NULL) ||
	    json_object_object_get_ex(want, "devices_absent", NULL))
		devs = peripheral_ids(ctx, failures);
	if (json_object_object_get_ex(want, "devices_present", &v))
		check_names(failures, "qemu.devices_present", v, devs, true);
	if (json_object_object_get_ex(want, "devices_absent", &v))
		check_names(failures, "qemu.devices_absent", v, devs, false);
	if (json_object_object_get_ex(want, "nodes_present", NULL) ||
	    json_object_object_get_ex(want, "nodes_absent", NULL))
		nodes = node_names(ctx, failures);
	if (json_object_object_get_ex(want, "nodes_present", &v))
		check_names(failures, "qemu.nodes_present", v, nodes, true);
	if (json_object_object_get_ex(want, "nodes_absent", &v))
		check_names(failures, "qemu.nodes_absent", v, nodes, false);
	check_listed(ctx, want, failures, "memory", memory_ids);
	check_listed(ctx, want, failures, "objects", object_ids);
	check_listed(ctx, want, failures, "netdevs", netdev_ids);
	json_object_put(devs);
	json_object_put(nodes);
}

/* ---- events ------------------------------------------------------------------------------------
 */

static bool data_subset(json_object *want, json_object *ev)
{
	json_object *d;
	char *why;
	int r;

	if (!want)
		return true;
	if (!json_object_object_get_ex(ev, "data", &d))
		return false;
	r = sc_json_subset(want, d, "data", &why);
	free(why);
	return r == 0;
}

static json_object *step_event_names(struct sc_ctx *ctx)
{
	json_object *names = json_object_new_array();

	for (size_t i = ctx->step_events; i < json_object_array_length(ctx->events); i++) {
		json_object *n;

		if (json_object_object_get_ex(json_object_array_get_idx(ctx->events, i), "event",
					      &n))
			json_object_array_add(names, json_object_get(n));
	}
	return names;
}

static void check_events(struct sc_ctx *ctx, const struct sc_expect *e, json_object *failures)
{
	json_object *seen = step_event_names(ctx);

	for (size_t k = 0; k < e->nevents; k++) {
		bool found = false;

		for (size_t i = ctx->step_events;
		     i < json_object_array_length(ctx->events) && !found; i++) {
			json_object *ev = json_object_array_get_idx(ctx->events, i), *n;

			found = json_object_object_get_ex(ev, "event", &n) &&
				!strcmp(json_object_get_string(n), e->events[k].name) &&
				data_subset(e->events[k].data, ev);
		}
		if (!found)
			failure(failures, "events: expected %s%s%s during the step; seen: %s",
				e->events[k].name, e->events[k].data ? " with data " : "",
				e->events[k].data ? plain(e->events[k].data) : "", plain(seen));
	}
	for (size_t k = 0; k < e->nno_events; k++)
		if (contains(seen, e->no_events[k]))
			failure(failures, "no_events: %s came during the step (seen: %s)",
				e->no_events[k], plain(seen));
	json_object_put(seen);
}

/* ---- everything
 * ---------------------------------------------------------------------------------- */

static const char *errname(int code)
{
	const char *n = sc_errno_name(code < 0 ? -code : code);

	return n ? n : "?";
}

void sc_check_expect(struct sc_ctx *ctx, const struct sc_step *step, int rc, const qd_error *err,
		     json_object *observed, json_object *failures)
{
	const struct sc_expect *e = &step->expect;
	const char *msg = err && err->message ? err->message : "";

	if (e->ok && rc < 0) {
		failure(failures, "expected success, got %s: %s", errname(rc), msg);
	} else if (!e->ok && rc == 0) {
		failure(failures, "expected an error%s%s, got success", e->err_no ? " " : "",
			e->err_no ? errname(e->err_no) : "");
	} else if (!e->ok) {
		if (e->err_no && -rc != e->err_no)
			failure(failures, "expected error %s, got %s: %s", errname(e->err_no),
				errname(rc), msg);
		if (e->err_class &&
		    (!err || !err->qmp_class || strcmp(e->err_class, err->qmp_class)))
			failure(failures, "expected QMP error class %s, got %s", e->err_class,
				err && err->qmp_class ? err->qmp_class : "none (not a QMP error)");
		if (e->has_message && regexec(&e->err_message.re, msg, 0, NULL, 0) != 0)
			failure(failures, "error message does not match /%s/: it is '%s'",
				e->err_message.pattern, msg);
	}
	if (e->result) {
		char *why = NULL;

		if (sc_json_subset(e->result, observed, "result", &why) < 0)
			failure(failures, "%s", why ? why : "result differs");
		free(why);
	}
	for (size_t i = 0; i < e->nmatch; i++) {
		json_object *v;

		if (!json_object_object_get_ex(observed, e->match[i].member, &v) ||
		    !json_object_is_type(v, json_type_string))
			failure(failures, "result.%s: missing (expected to match /%s/)",
				e->match[i].member, e->match[i].pattern);
		else if (regexec(&e->match[i].re, json_object_get_string(v), 0, NULL, 0) != 0)
			failure(failures, "result.%s does not match /%s/: it is '%s'",
				e->match[i].member, e->match[i].pattern, json_object_get_string(v));
	}
	if (e->nevents || e->nno_events)
		check_events(ctx, e, failures);
	if (e->state)
		check_state(ctx, e->state, failures);
	if (e->qemu)
		check_qemu(ctx, e->qemu, failures);
}
