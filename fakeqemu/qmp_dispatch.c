/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_dispatch.c - QMP request handling as QEMU's monitor/qmp.c and qapi/qmp-dispatch.c */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fakeqemu.h"
#include "faults.h"
#include "loop.h"
#include "monitor.h"
#include "qjson.h"
#include "qmp_dispatch.h"
#include "replay.h"
#include "schema.h"

static struct fq_monitor *current;

struct fq_monitor *fq_qmp_current_monitor(void)
{
	return current;
}

void fq_reply_error(struct fq_reply *r, const char *cls, const char *fmt, ...)
{
	va_list ap;

	if (r->err_class)
		return;
	r->err_class = strdup(cls);
	va_start(ap, fmt);
	if (vasprintf(&r->err_desc, fmt, ap) < 0)
		abort();
	va_end(ap);
}

json_object *fq_error_response(const char *cls, const char *desc)
{
	json_object *rsp = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "class", json_object_new_string(cls));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(rsp, "error", e);
	return rsp;
}

json_object *fq_qmp_greeting(void)
{
	json_object *g, *qmp, *caps, *ver = NULL;
	struct fq_reply r = {0};

	if (fq_replay_active())
		return fq_replay_greeting();
	g = json_object_new_object();
	qmp = json_object_new_object();
	caps = json_object_new_array();
	fq_cmd_query_version(NULL, &r);
	ver = r.ret;
	/* Socket chardevs run the monitor in the I/O thread, so OOB is offered. */
	json_object_array_add(caps, json_object_new_string("oob"));
	json_object_object_add(qmp, "version", ver);
	json_object_object_add(qmp, "capabilities", caps);
	json_object_object_add(g, "QMP", qmp);
	return g;
}

struct member {
	const char *key;
	json_object *val;
	unsigned bucket;
	size_t index;
};

static int qdict_order(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->index > y->index ? -1 : 1;
}

/* qmp_dispatch_check_obj(): members are checked in QDict iteration order. */
static char *check_obj(json_object *dict, bool allow_oob)
{
	size_t n = (size_t)json_object_object_length(dict), i = 0;
	struct member *m = calloc(n ? n : 1, sizeof(*m));
	bool has_exec_key = false;
	char *err = NULL;

	json_object_object_foreach(dict, key, val)
	{
		m[i] = (struct member){key, val, fq_qdict_bucket(key), i};
		i++;
	}
	qsort(m, n, sizeof(*m), qdict_order);
	for (i = 0; i < n && !err; i++) {
		const char *name = m[i].key;

		if (!strcmp(name, "execute") || (!strcmp(name, "exec-oob") && allow_oob)) {
			if (!json_object_is_type(m[i].val, json_type_string)) {
				if (asprintf(&err, "QMP input member '%s' must be a string", name) <
				    0)
					abort();
			} else if (has_exec_key) {
				err = strdup("QMP input member 'execute' clashes with 'exec-oob'");
			}
			has_exec_key = true;
		} else if (!strcmp(name, "arguments")) {
			if (!json_object_is_type(m[i].val, json_type_object))
				err = strdup("QMP input member 'arguments' must be an object");
		} else if (strcmp(name, "id") != 0) {
			if (asprintf(&err, "QMP input member '%s' is unexpected", name) < 0)
				abort();
		}
	}
	if (!err && !has_exec_key)
		err = strdup("QMP input lacks member 'execute'");
	free(m);
	return err;
}

/* qmp_qmp_capabilities() */
static void cmd_qmp_capabilities(struct fq_monitor *m, json_object *args, struct fq_reply *r)
{
	json_object *enable;
	bool oob = false;

	if (m->negotiated) {
		fq_reply_error(r, "CommandNotFound",
			       "Capabilities negotiation is already complete, command ignored");
		return;
	}
	if (json_object_object_get_ex(args, "enable", &enable)) {
		/* The schema check left only "oob" here, which is always offered. */
		oob = json_object_array_length(enable) > 0;
	}
	m->negotiated = true;
	m->oob_enabled = oob;
}

static const char *command_name(json_object *dict, bool *oob)
{
	json_object *v;

	*oob = false;
	if (json_object_object_get_ex(dict, "execute", &v))
		return json_object_get_string(v);
	*oob = true;
	json_object_object_get_ex(dict, "exec-oob", &v);
	return json_object_get_string(v);
}

/*
 * dispatch() - run one request; fills @r. Returns false if the command
 * exists nowhere (CommandNotFound already set).
 */
static void dispatch(struct fq_monitor *m, json_object *dict, struct fq_reply *r,
		     struct fq_fault_plan *plan)
{
	const struct fq_command *cmd;
	json_object *args = NULL, *empty = NULL;
	bool oob, allow_oob = false, in_schema;
	const char *name;
	char *err;

	err = check_obj(dict, m->oob_enabled);
	if (err) {
		fq_reply_error(r, "GenericError", "%s", err);
		free(err);
		return;
	}
	name = command_name(dict, &oob);
	if (!m->negotiated) {
		if (strcmp(name, "qmp_capabilities") != 0) {
			fq_reply_error(r, "CommandNotFound", "The command %s has not been found",
				       name);
			return;
		}
		allow_oob = false;
		in_schema = true;
	} else {
		in_schema = fq_schema_command(name, &allow_oob);
	}
	cmd = fq_command_find(name);
	if (!in_schema && !(cmd && !cmd->schema_checked)) {
		fq_reply_error(r, "CommandNotFound", "The command %s has not been found", name);
		return;
	}
	if (oob && !allow_oob) {
		fq_reply_error(r, "GenericError", "The command %s does not support OOB", name);
		return;
	}
	if (!json_object_object_get_ex(dict, "arguments", &args) || !args)
		args = empty = json_object_new_object();
	if (in_schema && (!cmd || cmd->schema_checked)) {
		err = fq_schema_check_args(name, args);
		if (err) {
			fq_reply_error(r, "GenericError", "%s", err);
			free(err);
			goto out;
		}
	}
	fq_faults_match(name, args, plan);
	if (plan->crash)
		abort();
	if (plan->do_exit) {
		fq_monitors_flush();
		fq_monitors_cleanup();
		_exit(plan->exit_code);
	}
	if (plan->error) {
		fq_reply_error(r, plan->err_class, "%s", plan->err_desc);
		goto out;
	}
	if (plan->hang) {
		r->deferred = true;
		goto out;
	}
	fq_current_plan = plan;
	if (!strcmp(name, "qmp_capabilities"))
		cmd_qmp_capabilities(m, args, r);
	else if (!cmd)
		fq_reply_error(r, "GenericError",
			       "fakeqemu: command '%s' exists in QEMU %s but is not modelled by "
			       "fakeqemu",
			       name, fq_vm.cfg.dialect->name);
	else
		cmd->fn(args, r);
	fq_current_plan = NULL;
out:
	json_object_put(empty);
}

/* build_response() - the reply message for @r, with @id if the request had one. */
static json_object *build_response(struct fq_monitor *m, struct fq_reply *r, json_object *id,
				   bool has_id)
{
	json_object *rsp;

	if (r->err_class) {
		/* monitor_qmp_dispatch(): a clearer desc while negotiating. */
		if (!m->negotiated && !strcmp(r->err_class, "CommandNotFound")) {
			free(r->err_desc);
			r->err_desc = strdup("Expecting capabilities negotiation with "
					     "'qmp_capabilities'");
		}
		rsp = fq_error_response(r->err_class, r->err_desc);
		json_object_put(r->ret);
	} else {
		rsp = json_object_new_object();
		json_object_object_add(rsp, "return", r->ret ? r->ret : json_object_new_object());
	}
	if (has_id)
		json_object_object_add(rsp, "id", json_object_get(id));
	free(r->err_class);
	free(r->err_desc);
	memset(r, 0, sizeof(*r));
	return rsp;
}

/* A reply held back by a "delay" fault. */
struct delayed_reply {
	struct fq_monitor *m;
	json_object *rsp;
	struct fq_fault_plan plan; /* split, merge, garbage still apply */
	struct delayed_reply *next;
};
static struct delayed_reply *delayed;

static void send_reply(struct fq_monitor *m, json_object *rsp, const struct fq_fault_plan *plan)
{
	if (plan && plan->garbage)
		fq_monitor_send_raw(m, plan->garbage, strlen(plan->garbage));
	if (plan && plan->split_bytes > 0)
		m->split_bytes = plan->split_bytes;
	if (plan && plan->merge)
		m->hold_next = true; /* released by the next message */
	fq_monitor_send(m, rsp);
}

static void delayed_reply_fire(void *opaque)
{
	struct delayed_reply *d = opaque;

	for (struct delayed_reply **pp = &delayed; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	send_reply(d->m, d->rsp, &d->plan);
	json_object_put(d->rsp);
	fq_faults_plan_clear(&d->plan);
	fq_monitor_resume(d->m);
	free(d);
}

void fq_qmp_handle_input(void *opaque, json_object *value, bool is_null, const char *error)
{
	struct fq_monitor *m = opaque;
	struct fq_fault_plan plan = {0};
	struct fq_reply r = {0};
	json_object *id = NULL, *rsp;
	bool has_id = false;

	(void)is_null;
	if (error) {
		/* Parse errors never carry an id; the connection stays open. */
		fq_reply_error(&r, "GenericError", "%s", error);
		rsp = build_response(m, &r, NULL, false);
		send_reply(m, rsp, NULL);
		json_object_put(rsp);
		return;
	}
	if (fq_replay_active()) {
		fq_replay_input(m, value);
		json_object_put(value);
		return;
	}
	if (!json_object_is_type(value, json_type_object)) {
		fq_reply_error(&r, "GenericError", "QMP input must be a JSON object");
		rsp = build_response(m, &r, NULL, false);
		send_reply(m, rsp, NULL);
		json_object_put(rsp);
		json_object_put(value);
		return;
	}
	has_id = json_object_object_get_ex(value, "id", &id);
	current = m;
	dispatch(m, value, &r, &plan);
	current = NULL;
	if (plan.hang) {
		/* QEMU is stuck in this command: no reply, no further input. */
		m->busy = true;
	} else if (plan.drop) {
		/* The command ran; its reply is lost with the connection. */
		json_object_put(build_response(m, &r, id, has_id));
		fq_monitor_disconnect(m);
	} else {
		rsp = build_response(m, &r, id, has_id);
		if (plan.delay_ms > 0) {
			struct delayed_reply *d = calloc(1, sizeof(*d));

			if (!d)
				abort();
			d->m = m;
			d->rsp = rsp;
			d->plan = plan; /* takes the plan's strings */
			memset(&plan, 0, sizeof(plan));
			d->next = delayed;
			delayed = d;
			m->busy = true;
			fq_loop_timer(d->plan.delay_ms, delayed_reply_fire, d);
		} else {
			send_reply(m, rsp, &plan);
			json_object_put(rsp);
		}
	}
	fq_faults_plan_clear(&plan);
	json_object_put(value);
}

void fq_qmp_connection_closed(struct fq_monitor *m)
{
	struct delayed_reply **pp = &delayed;

	while (*pp) {
		struct delayed_reply *d = *pp;

		if (d->m == m) {
			*pp = d->next;
			fq_loop_cancel_opaque(d);
			json_object_put(d->rsp);
			fq_faults_plan_clear(&d->plan);
			free(d);
		} else {
			pp = &d->next;
		}
	}
}
