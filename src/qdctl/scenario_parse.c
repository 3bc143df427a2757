/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scenario_parse.c - read a scenario file and check every member; errors name file, step and member
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

/*
 * Every check fails with one message of the form
 *   FILE: step N (OP): 'member': what is wrong
 * (or FILE: 'member': ... for top-level members), and parsing stops at the
 * first problem: the file has to be fixed anyway, and one precise message
 * beats a cascade.
 */

struct parser {
	const char *path;
	char where[160]; /* "step 3 (add-block): " or "" */
	char *msg;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	char *text;
	va_list ap;

	if (p->msg)
		return -EINVAL;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (asprintf(&p->msg, "%s: %s%s", p->path, p->where, text ? text : "out of memory") < 0)
		p->msg = NULL;
	free(text);
	return -EINVAL;
}

static const char *type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number with a fraction";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "?";
}

static bool is_uint(json_object *v)
{
	return json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0 &&
	       json_object_get_int64(v) <= 0x7fffffff;
}

static int want_type(struct parser *p, const char *member, json_object *v, json_type t,
		     const char *what)
{
	if (json_object_is_type(v, t))
		return 0;
	return fail(p, "'%s': must be %s, not %s", member, what, type_name(v));
}

static int want_uint(struct parser *p, const char *member, json_object *v)
{
	if (is_uint(v))
		return 0;
	return fail(p, "'%s': must be a non-negative integer, not %s", member,
		    json_object_is_type(v, json_type_int) ? "a negative or too large number"
							  : type_name(v));
}

/* An array of strings (each checked by @check when given). */
static int want_strings(struct parser *p, const char *member, json_object *v)
{
	if (want_type(p, member, v, json_type_array, "an array of strings") < 0)
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string))
			return fail(p, "'%s'[%zu]: must be a string, not %s", member, i,
				    type_name(e));
	}
	return 0;
}

static int compile(struct parser *p, const char *member, const char *pattern, regex_t *re)
{
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	char buf[256];

	if (rc == 0)
		return 0;
	regerror(rc, re, buf, sizeof(buf));
	return fail(p, "'%s': not a valid regular expression (POSIX extended): %s", member, buf);
}

/* The members @o may have: NULL-terminated @allowed; the error lists them. */
static int check_members(struct parser *p, json_object *o, const char *what,
			 const char *const *allowed)
{
	json_object_object_foreach(o, key, val)
	{
		bool ok = false;
		char list[512] = "";

		(void)val;
		for (const char *const *a = allowed; *a; a++)
			ok |= !strcmp(*a, key);
		if (ok)
			continue;
		for (const char *const *a = allowed; *a; a++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 a == allowed ? "" : ", ", *a);
		return fail(p, "unknown member '%s' (%s takes: %s)", key, what, list);
	}
	return 0;
}

/* ---- expect -------------------------------------------------------------------------- */

static int parse_error_expect(struct parser *p, json_object *o, struct sc_expect *e)
{
	static const char *const allowed[] = {"errno", "class", "message", NULL};
	json_object *v;

	if (want_type(p, "expect.error", o, json_type_object, "an object") < 0 ||
	    check_members(p, o, "expect.error", allowed) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(o, "errno", &v)) {
		if (json_object_is_type(v, json_type_string)) {
			e->err_no = sc_errno_value(json_object_get_string(v));
			if (!e->err_no)
				return fail(p,
					    "'expect.error.errno': unknown errno name '%s' "
					    "(write it as ENOSPC, ETIMEDOUT, EREMOTEIO, ...)",
					    json_object_get_string(v));
		} else if (is_uint(v) && json_object_get_int(v) > 0 &&
			   sc_errno_name(json_object_get_int(v))) {
			e->err_no = json_object_get_int(v);
		} else {
			return fail(p, "'expect.error.errno': must be an errno name such as "
				       "\"ENOSPC\" (or its number)");
		}
	}
	if (json_object_object_get_ex(o, "class", &v)) {
		if (want_type(p, "expect.error.class", v, json_type_string, "a string") < 0)
			return -EINVAL;
		e->err_class = json_object_get_string(v);
	}
	if (json_object_object_get_ex(o, "message", &v)) {
		if (want_type(p, "expect.error.message", v, json_type_string,
			      "a string (a regular expression)") < 0)
			return -EINVAL;
		e->err_message.member = "message";
		e->err_message.pattern = json_object_get_string(v);
		if (compile(p, "expect.error.message", e->err_message.pattern, &e->err_message.re) <
		    0)
			return -EINVAL;
		e->has_message = true;
	}
	return 0;
}

static int parse_state_expect(struct parser *p, json_object *o)
{
	static const char *const allowed[] = {"vcpus", "devices", "plugging", "unplugging",
					      "slots", "records", "vcpu_ids", NULL};

	if (want_type(p, "expect.state", o, json_type_object, "an object") < 0 ||
	    check_members(p, o, "expect.state", allowed) < 0)
		return -EINVAL;
	json_object_object_foreach(o, key, v)
	{
		char member[64];

		snprintf(member, sizeof(member), "expect.state.%s", key);
		if (!strcmp(key, "vcpus") || !strcmp(key, "slots")) {
			if (want_uint(p, member, v) < 0)
				return -EINVAL;
		} else if (!strcmp(key, "records")) {
			if (want_type(p, member, v, json_type_object,
				      "an object (device id: members its record must have)") < 0)
				return -EINVAL;
		} else if (want_strings(p, member, v) < 0) {
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_qemu_expect(struct parser *p, json_object *o)
{
	static const char *const allowed[] = {
	    "running",	      "status",
	    "cpus",	      "devices_present",
	    "devices_absent", "nodes_present",
	    "nodes_absent",   "memory_present",
	    "memory_absent",  "objects_present",
	    "objects_absent", "netdevs_present",
	    "netdevs_absent", NULL,
	};

	if (want_type(p, "expect.qemu", o, json_type_object, "an object") < 0 ||
	    check_members(p, o, "expect.qemu", allowed) < 0)
		return -EINVAL;
	json_object_object_foreach(o, key, v)
	{
		char member[64];

		snprintf(member, sizeof(member), "expect.qemu.%s", key);
		if (!strcmp(key, "running")) {
			if (want_type(p, member, v, json_type_boolean, "true or false") < 0)
				return -EINVAL;
		} else if (!strcmp(key, "status")) {
			if (want_type(p, member, v, json_type_string, "a string") < 0)
				return -EINVAL;
		} else if (!strcmp(key, "cpus")) {
			if (want_uint(p, member, v) < 0)
				return -EINVAL;
		} else if (want_strings(p, member, v) < 0) {
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_events_expect(struct parser *p, json_object *v, struct sc_expect *e)
{
	size_t n;

	if (want_type(p, "expect.events", v, json_type_array,
		      "an array of event names or {\"event\", \"data\"} objects") < 0)
		return -EINVAL;
	n = json_object_array_length(v);
	e->events = calloc(n ? n : 1, sizeof(*e->events));
	if (!e->events)
		return fail(p, "out of memory");
	for (size_t i = 0; i < n; i++) {
		static const char *const allowed[] = {"event", "data", NULL};
		json_object *ev = json_object_array_get_idx(v, i), *m;
		char member[48];

		snprintf(member, sizeof(member), "expect.events[%zu]", i);
		if (json_object_is_type(ev, json_type_string)) {
			e->events[i].name = json_object_get_string(ev);
		} else if (json_object_is_type(ev, json_type_object)) {
			if (check_members(p, ev, member, allowed) < 0)
				return -EINVAL;
			if (!json_object_object_get_ex(ev, "event", &m) ||
			    !json_object_is_type(m, json_type_string))
				return fail(p, "'%s': needs \"event\": a string", member);
			e->events[i].name = json_object_get_string(m);
			if (json_object_object_get_ex(ev, "data", &m)) {
				if (want_type(p, member, m, json_type_object,
					      "an object (\"data\")") < 0)
					return -EINVAL;
				e->events[i].data = m;
			}
		} else {
			return fail(p, "'%s': must be an event name or an object, not %s", member,
				    type_name(ev));
		}
	}
	e->nevents = n;
	return 0;
}

static int parse_expect(struct parser *p, json_object *o, struct sc_expect *e)
{
	static const char *const allowed[] = {"ok",   "error",	"result",    "match", "state",
					      "qemu", "events", "no_events", NULL};
	json_object *v;
	bool has_ok = false;

	e->ok = true;
	if (!o)
		return 0;
	if (want_type(p, "expect", o, json_type_object, "an object") < 0 ||
	    check_members(p, o, "expect", allowed) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(o, "ok", &v)) {
		if (want_type(p, "expect.ok", v, json_type_boolean, "true or false") < 0)
			return -EINVAL;
		e->ok = json_object_get_boolean(v);
		has_ok = true;
	}
	if (json_object_object_get_ex(o, "error", &v)) {
		if (has_ok && e->ok)
			return fail(p, "'expect.error': contradicts \"ok\": true");
		e->ok = false;
		if (parse_error_expect(p, v, e) < 0)
			return -EINVAL;
	}
	if (json_object_object_get_ex(o, "result", &v)) {
		if (want_type(p, "expect.result", v, json_type_object,
			      "an object (members the op's result must have)") < 0)
			return -EINVAL;
		e->result = v;
	}
	if (json_object_object_get_ex(o, "match", &v)) {
		size_t i = 0;

		if (want_type(p, "expect.match", v, json_type_object,
			      "an object (result member: regular expression)") < 0)
			return -EINVAL;
		e->match = calloc((size_t)json_object_object_length(v) + 1, sizeof(*e->match));
		if (!e->match)
			return fail(p, "out of memory");
		json_object_object_foreach(v, key, pat)
		{
			char member[80];

			snprintf(member, sizeof(member), "expect.match.%s", key);
			if (want_type(p, member, pat, json_type_string,
				      "a string (a regular expression)") < 0)
				return -EINVAL;
			e->match[i].member = key;
			e->match[i].pattern = json_object_get_string(pat);
			if (compile(p, member, e->match[i].pattern, &e->match[i].re) < 0)
				return -EINVAL;
			e->nmatch = ++i;
		}
	}
	if (json_object_object_get_ex(o, "state", &v)) {
		if (parse_state_expect(p, v) < 0)
			return -EINVAL;
		e->state = v;
	}
	if (json_object_object_get_ex(o, "qemu", &v)) {
		if (parse_qemu_expect(p, v) < 0)
			return -EINVAL;
		e->qemu = v;
	}
	if (json_object_object_get_ex(o, "events", &v) && parse_events_expect(p, v, e) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(o, "no_events", &v)) {
		size_t n;

		if (want_strings(p, "expect.no_events", v) < 0)
			return -EINVAL;
		n = json_object_array_length(v);
		e->no_events = calloc(n ? n : 1, sizeof(char *));
		if (!e->no_events)
			return fail(p, "out of memory");
		for (size_t i = 0; i < n; i++)
			e->no_events[i] = json_object_get_string(json_object_array_get_idx(v, i));
		e->nno_events = n;
	}
	return 0;
}

/* ---- steps ----------------------------------------------------------------------------- */

static const char *const step_common[] = {"op", "name", "comment", "timeout_ms", "expect"};

static int check_params(struct parser *p, const struct sc_param *params, json_object *o,
			const char *opname, bool step);

static int check_param(struct parser *p, const struct sc_param *param, json_object *v)
{
	switch (param->type) {
	case SC_PARAM_STRING:
		return want_type(p, param->name, v, json_type_string, "a string");
	case SC_PARAM_UINT:
		return want_uint(p, param->name, v);
	case SC_PARAM_BOOL:
		return want_type(p, param->name, v, json_type_boolean, "true or false");
	case SC_PARAM_OBJECT:
		return want_type(p, param->name, v, json_type_object, "an object");
	case SC_PARAM_SIGNAL:
		if (want_type(p, param->name, v, json_type_string, "a signal name") < 0)
			return -EINVAL;
		if (!sc_signal_value(json_object_get_string(v)))
			return fail(p, "'%s': unknown signal '%s' (KILL, TERM, SEGV, ABRT, ...)",
				    param->name, json_object_get_string(v));
		return 0;
	case SC_PARAM_REGEX: {
		regex_t re;

		if (want_type(p, param->name, v, json_type_string,
			      "a string (a regular expression)") < 0 ||
		    compile(p, param->name, json_object_get_string(v), &re) < 0)
			return -EINVAL;
		regfree(&re);
		return 0;
	}
	case SC_PARAM_CHOICE: {
		char list[256] = "";

		for (const char *const *c = param->choices; *c; c++)
			if (json_object_is_type(v, json_type_string) &&
			    !strcmp(*c, json_object_get_string(v)))
				return 0;
		for (const char *const *c = param->choices; *c; c++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 c == param->choices ? "" : ", ", *c);
		return fail(p, "'%s': must be one of %s", param->name, list);
	}
	case SC_PARAM_LIST: {
		char where[sizeof(p->where)];
		int r = 0;

		if (want_type(p, param->name, v, json_type_array, "an array of objects") < 0)
			return -EINVAL;
		if (!json_object_array_length(v))
			return fail(p, "'%s': must not be empty", param->name);
		memcpy(where, p->where, sizeof(where));
		for (size_t i = 0; r == 0 && i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);

			/* A long label is only cut short, which the message survives. */
			if (snprintf(p->where, sizeof(p->where), "%s%s[%zu]: ", where, param->name,
				     i) >= (int)sizeof(p->where))
				p->where[sizeof(p->where) - 1] = '\0';
			if (!json_object_is_type(e, json_type_object))
				r = fail(p, "must be an object");
			else
				r = check_params(p, param->members, e, param->name, false);
		}
		memcpy(p->where, where, sizeof(where));
		return r;
	}
	}
	return 0;
}

/*
 * The members of @o against @params: each known and of its type, the
 * required ones there. A step (@step) also has the members every step has.
 */
static int check_params(struct parser *p, const struct sc_param *params, json_object *o,
			const char *opname, bool step)
{
	json_object_object_foreach(o, key, val)
	{
		const struct sc_param *param = NULL;
		bool common = false;

		for (size_t i = 0; step && i < sizeof(step_common) / sizeof(step_common[0]); i++)
			common |= !strcmp(step_common[i], key);
		for (const struct sc_param *q = params; q && q->name; q++)
			if (!strcmp(q->name, key))
				param = q;
		if (param) {
			if (check_param(p, param, val) < 0)
				return -EINVAL;
		} else if (!common) {
			char list[512] = "";

			for (const struct sc_param *q = params; q && q->name; q++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 q == params ? "" : ", ", q->name);
			return fail(p, "unknown member '%s' (%s takes: %s%s)", key, opname, list,
				    step ? ", and name, comment, timeout_ms, expect" : "");
		}
	}
	for (const struct sc_param *q = params; q && q->name; q++)
		if (q->required && !json_object_object_get_ex(o, q->name, NULL))
			return fail(p, "'%s': required", q->name);
	return 0;
}

static int op_list(char *buf, size_t size)
{
	buf[0] = '\0';
	for (const struct sc_op *op = sc_ops; op->name; op++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", op == sc_ops ? "" : ", ",
			 op->name);
	return 0;
}

static int parse_step(struct parser *p, json_object *o, size_t index, struct sc_step *s)
{
	const char *opname;
	json_object *v;
	char ops[1024];

	s->index = index;
	s->json = o;
	s->timeout_ms = -1;
	snprintf(p->where, sizeof(p->where), "step %zu: ", index);
	if (!json_object_is_type(o, json_type_object))
		return fail(p, "must be an object, not %s", type_name(o));
	if (!json_object_object_get_ex(o, "op", &v) || !json_object_is_type(v, json_type_string)) {
		op_list(ops, sizeof(ops));
		return fail(p, "'op': required, a string: one of %s", ops);
	}
	opname = json_object_get_string(v);
	s->op = sc_op_find(opname);
	if (!s->op) {
		op_list(ops, sizeof(ops));
		return fail(p, "'op': unknown op '%s' (known: %s)", opname, ops);
	}
	snprintf(p->where, sizeof(p->where), "step %zu (%s): ", index, opname);
	if (check_params(p, s->op->params, o, opname, true) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(o, "name", &v)) {
		if (want_type(p, "name", v, json_type_string, "a string") < 0)
			return -EINVAL;
		s->name = json_object_get_string(v);
	}
	if (json_object_object_get_ex(o, "comment", &v) &&
	    want_type(p, "comment", v, json_type_string, "a string") < 0)
		return -EINVAL;
	if (json_object_object_get_ex(o, "timeout_ms", &v)) {
		if (want_uint(p, "timeout_ms", v) < 0)
			return -EINVAL;
		s->timeout_ms = json_object_get_int(v);
	}
	json_object_object_get_ex(o, "expect", &v);
	if (parse_expect(p, json_object_object_get_ex(o, "expect", NULL) ? v : NULL, &s->expect) <
	    0)
		return -EINVAL;
	p->where[0] = '\0';
	return 0;
}

/* ---- top level --------------------------------------------------------------------------- */

static int parse_fakeqemu(struct parser *p, json_object *o, struct scenario *sc)
{
	static const char *const allowed[] = {"version",    "guest",   "faults",
					      "vfio_hosts", "comment", NULL};
	json_object *v;

	snprintf(p->where, sizeof(p->where), "fakeqemu: ");
	if (want_type(p, "fakeqemu", o, json_type_object, "an object") < 0 ||
	    check_members(p, o, "fakeqemu", allowed) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(o, "version", &v)) {
		const char *s = json_object_get_string(v);
		int major, minor, n = 0;

		if (want_type(p, "version", v, json_type_string, "a string") < 0)
			return -EINVAL;
		if (sscanf(s, "%d.%d%n", &major, &minor, &n) != 2 || s[n])
			return fail(
			    p, "'version': must be a QEMU version such as \"7.2\", not '%s'", s);
		sc->fake_version = s;
	}
	if (json_object_object_get_ex(o, "guest", &v)) {
		const char *s = json_object_get_string(v);
		char *end;

		if (want_type(p, "guest", v, json_type_string, "a string") < 0)
			return -EINVAL;
		if (strcmp(s, "cooperative") && strcmp(s, "absent") && strcmp(s, "reject") &&
		    (strncmp(s, "slow=", 5) || strtol(s + 5, &end, 10) < 0 || *end || end == s + 5))
			return fail(p,
				    "'guest': must be cooperative, absent, reject or slow=MS, "
				    "not '%s'",
				    s);
		sc->fake_guest = s;
	}
	if (json_object_object_get_ex(o, "faults", &v)) {
		if (want_type(p, "faults", v, json_type_array, "an array of fault rules") < 0)
			return -EINVAL;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *r = json_object_array_get_idx(v, i), *m;

			if (!json_object_is_type(r, json_type_object) ||
			    !json_object_object_get_ex(r, "command", &m) ||
			    !json_object_is_type(m, json_type_string) ||
			    !json_object_object_get_ex(r, "action", &m) ||
			    !json_object_is_type(m, json_type_string))
				return fail(p,
					    "'faults'[%zu]: a rule is an object with \"command\" "
					    "and \"action\" strings (README: fault rules)",
					    i);
		}
		sc->fake_faults = v;
	}
	if (json_object_object_get_ex(o, "vfio_hosts", &v)) {
		if (want_strings(p, "vfio_hosts", v) < 0)
			return -EINVAL;
		sc->vfio_hosts = v;
	}
	p->where[0] = '\0';
	return 0;
}

/*
 * "known": QEMU behaviour already understood (a crash of one version, say):
 * the result keeps its outcome and says it is known, so the report shows it
 * and the exit status does not fail on it.
 */
static int parse_known(struct parser *p, json_object *v)
{
	static const char *const allowed[] = {"qemu", "accel", "fake", "outcome", "reason", NULL};

	if (want_type(p, "known", v, json_type_array, "an array of known issues") < 0)
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *k = json_object_array_get_idx(v, i), *m;
		char member[48];

		snprintf(member, sizeof(member), "known[%zu]", i);
		if (want_type(p, member, k, json_type_object, "an object") < 0 ||
		    check_members(p, k, member, allowed) < 0)
			return -EINVAL;
		if (!json_object_object_get_ex(k, "qemu", &m) ||
		    !json_object_is_type(m, json_type_string))
			return fail(p, "'%s.qemu': required: a version pattern such as \"7.2.*\"",
				    member);
		if (!json_object_object_get_ex(k, "reason", &m) ||
		    !json_object_is_type(m, json_type_string))
			return fail(p, "'%s.reason': required: a string saying what is known",
				    member);
		if (json_object_object_get_ex(k, "accel", &m) &&
		    (!json_object_is_type(m, json_type_string) ||
		     (strcmp(json_object_get_string(m), "kvm") &&
		      strcmp(json_object_get_string(m), "tcg"))))
			return fail(p, "'%s.accel': must be \"kvm\" or \"tcg\"", member);
		if (json_object_object_get_ex(k, "fake", &m) &&
		    !json_object_is_type(m, json_type_boolean))
			return fail(p, "'%s.fake': must be true or false", member);
		if (json_object_object_get_ex(k, "outcome", &m) &&
		    (!json_object_is_type(m, json_type_string) ||
		     (strcmp(json_object_get_string(m), "fail") &&
		      strcmp(json_object_get_string(m), "crash"))))
			return fail(p, "'%s.outcome': must be \"fail\" or \"crash\"", member);
	}
	return 0;
}

static int parse_vm(struct parser *p, json_object *o, struct scenario *sc)
{
	struct qd_vm_config cfg;
	qd_error err = {0};
	int r;

	if (want_type(p, "vm", o, json_type_object, "an object (the VM configuration)") < 0)
		return -EINVAL;
	if (json_object_object_get_ex(o, "qemu", NULL))
		return fail(p, "'vm.qemu': the QEMU binary is chosen with --qemu, not in the "
			       "scenario");
	if (json_object_object_get_ex(o, "run_dir", NULL))
		return fail(p, "'vm.run_dir': each run gets its own directory; leave it out");
	/* The library's own reader names the member; the runner's defaults come later. */
	r = qd_vm_config_from_json(o, &cfg, &err);
	qd_vm_config_clear(&cfg);
	if (r < 0) {
		const char *m = err.message ? err.message : "invalid";

		if (!strncmp(m, "config: ", 8))
			m += 8;
		fail(p, "vm: %s", m);
		qd_error_clear(&err);
		return -EINVAL;
	}
	sc->vm = o;
	return 0;
}

/* Why only fakeqemu can run @sc (static text), or NULL. */
static const char *fake_only_reason(const struct scenario *sc, const struct sc_step **step)
{
	*step = NULL;
	if (sc->fake_faults && json_object_array_length(sc->fake_faults))
		return "it injects faults (fakeqemu.faults)";
	for (size_t i = 0; i < sc->nsteps; i++) {
		json_object *cmd;
		bool fake_cmd = json_object_object_get_ex(sc->steps[i].json, "execute", &cmd) &&
				!strncmp(json_object_get_string(cmd), "x-fakeqemu-", 11);

		if ((sc->steps[i].op->flags & SC_OP_FAKE_ONLY) || fake_cmd) {
			*step = &sc->steps[i];
			return NULL;
		}
	}
	if (sc->vfio_hosts)
		return "it needs host PCI devices (fakeqemu.vfio_hosts)";
	if (sc->fake_guest &&
	    strcmp(sc->fake_guest, sc->level == SC_LEVEL_GUEST ? "cooperative" : "absent"))
		return sc->level == SC_LEVEL_GUEST
			   ? "its guest model (fakeqemu.guest) is not what the booted test guest "
			     "does"
			   : "its guest model (fakeqemu.guest) needs a guest OS: QEMU-level runs "
			     "have none (make it a guest-level scenario to run it on real QEMU)";
	return NULL;
}

static char *read_all(const char *path, int *err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	*err = 0;
	if (!f) {
		*err = -errno;
		return NULL;
	}
	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				*err = -ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f))
		*err = -EIO;
	fclose(f);
	if (*err) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* Line and column (1-based) of byte @off of @text. */
static void position(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static json_object *parse_json(struct parser *p, const char *text)
{
	json_tokener *tok = json_tokener_new();
	size_t len = strlen(text), end;
	json_object *o;
	int line, col;

	if (!tok) {
		fail(p, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	o = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!o) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		position(text, end, &line, &col);
		if (e == json_tokener_continue)
			fail(p, "line %d: the JSON ends early (an unclosed object or string?)",
			     line);
		else
			fail(p, "line %d, column %d: not valid JSON: %s", line, col,
			     json_tokener_error_desc(e));
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	while (end < len && strchr(" \t\r\n", text[end]))
		end++;
	if (end < len) {
		position(text, end, &line, &col);
		fail(p, "line %d, column %d: text after the end of the scenario object", line, col);
		json_object_put(o);
		return NULL;
	}
	return o;
}

static char *name_from_path(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t n = strlen(base);

	if (n > 5 && !strcmp(base + n - 5, ".json"))
		n -= 5;
	return strndup(base, n);
}

int sc_parse_file(const char *path, struct scenario **out, char **errmsg)
{
	static const char *const allowed[] = {
	    "description", "level",	      "tags",  "requires", "vm",    "fakeqemu",
	    "timeout_ms",  "boot_timeout_ms", "steps", "comment",  "known", NULL};
	struct parser p = {.path = path};
	struct scenario *sc;
	json_object *root, *v, *steps;
	const struct sc_step *fake_step;
	const char *reason;
	char *text;
	int r;

	*out = NULL;
	*errmsg = NULL;
	text = read_all(path, &r);
	if (!text) {
		if (asprintf(errmsg, "%s: cannot read: %s", path, strerror(-r)) < 0)
			*errmsg = NULL;
		return r;
	}
	root = parse_json(&p, text);
	free(text);
	if (!root) {
		*errmsg = p.msg;
		return -EINVAL;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		json_object_put(root);
		return -ENOMEM;
	}
	sc->root = root;
	sc->path = strdup(path);
	sc->name = name_from_path(path);
	sc->timeout_ms = 5000;
	sc->boot_timeout_ms = 120000;
	if (want_type(&p, "(top level)", root, json_type_object, "an object") < 0 ||
	    check_members(&p, root, "a scenario", allowed) < 0)
		goto bad;
	if (json_object_object_get_ex(root, "description", &v)) {
		if (want_type(&p, "description", v, json_type_string, "a string") < 0)
			goto bad;
		sc->description = json_object_get_string(v);
	}
	if (json_object_object_get_ex(root, "level", &v)) {
		const char *l = json_object_get_string(v);

		if (!json_object_is_type(v, json_type_string) ||
		    (strcmp(l, "qemu") && strcmp(l, "guest"))) {
			fail(&p, "'level': must be \"qemu\" or \"guest\"");
			goto bad;
		}
		sc->level = !strcmp(l, "guest") ? SC_LEVEL_GUEST : SC_LEVEL_QEMU;
	}
	if (json_object_object_get_ex(root, "tags", &v)) {
		if (want_strings(&p, "tags", v) < 0)
			goto bad;
		sc->tags = v;
	}
	if (json_object_object_get_ex(root, "requires", &v)) {
		if (want_strings(&p, "requires", v) < 0)
			goto bad;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *req = json_object_get_string(json_object_array_get_idx(v, i));

			if (!strcmp(req, "kvm")) {
				sc->needs_kvm = true;
			} else if (!strcmp(req, "taps")) {
				sc->needs_taps = true;
			} else if (!strcmp(req, "fakeqemu")) {
				sc->fake_only = true;
				sc->fake_only_reason =
				    strdup("it says so (\"requires\": fakeqemu)");
			} else {
				fail(&p,
				     "'requires'[%zu]: unknown requirement '%s' (fakeqemu, kvm, "
				     "taps)",
				     i, req);
				goto bad;
			}
		}
	}
	for (const char *const *k = (const char *const[]){"timeout_ms", "boot_timeout_ms", NULL};
	     *k; k++)
		if (json_object_object_get_ex(root, *k, &v)) {
			if (want_uint(&p, *k, v) < 0)
				goto bad;
			*(!strcmp(*k, "timeout_ms") ? &sc->timeout_ms : &sc->boot_timeout_ms) =
			    json_object_get_int(v);
		}
	if (json_object_object_get_ex(root, "known", &v)) {
		if (parse_known(&p, v) < 0)
			goto bad;
		sc->known = v;
	}
	if (json_object_object_get_ex(root, "vm", &v)) {
		if (parse_vm(&p, v, sc) < 0)
			goto bad;
	} else {
		sc->vm = NULL;
	}
	if (json_object_object_get_ex(root, "fakeqemu", &v) && parse_fakeqemu(&p, v, sc) < 0)
		goto bad;
	if (!json_object_object_get_ex(root, "steps", &steps)) {
		fail(&p, "'steps': required: an array of steps");
		goto bad;
	}
	if (want_type(&p, "steps", steps, json_type_array, "an array of steps") < 0)
		goto bad;
	sc->nsteps = json_object_array_length(steps);
	if (!sc->nsteps) {
		fail(&p, "'steps': empty: a scenario needs at least one step");
		goto bad;
	}
	sc->steps = calloc(sc->nsteps, sizeof(*sc->steps));
	if (!sc->steps) {
		fail(&p, "out of memory");
		goto bad;
	}
	for (size_t i = 0; i < sc->nsteps; i++) {
		if (parse_step(&p, json_object_array_get_idx(steps, i), i + 1, &sc->steps[i]) < 0)
			goto bad;
		if (sc->steps[i].op->flags & SC_OP_CONSOLE) {
			if (sc->level != SC_LEVEL_GUEST) {
				snprintf(p.where, sizeof(p.where), "step %zu (%s): ", i + 1,
					 sc->steps[i].op->name);
				fail(&p, "'op': talks to the guest: needs \"level\": \"guest\"");
				goto bad;
			}
			sc->uses_console = true;
		}
	}
	reason = fake_only_reason(sc, &fake_step);
	if (!sc->fake_only && (reason || fake_step)) {
		sc->fake_only = true;
		if (reason)
			sc->fake_only_reason = strdup(reason);
		else if (asprintf(&sc->fake_only_reason, "step %zu (%s) only works on fakeqemu",
				  fake_step->index, fake_step->op->name) < 0)
			sc->fake_only_reason = NULL;
	}
	*out = sc;
	return 0;
bad:
	*errmsg = p.msg ? p.msg : strdup("invalid scenario");
	sc_free(sc);
	return -EINVAL;
}

static void expect_clear(struct sc_expect *e)
{
	if (e->has_message)
		regfree(&e->err_message.re);
	for (size_t i = 0; i < e->nmatch; i++)
		regfree(&e->match[i].re);
	free(e->match);
	free(e->events);
	free(e->no_events);
}

void sc_free(struct scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; sc->steps && i < sc->nsteps; i++)
		expect_clear(&sc->steps[i].expect);
	free(sc->steps);
	free(sc->fake_only_reason);
	free(sc->path);
	free(sc->name);
	json_object_put(sc->root);
	free(sc);
}

char *sc_step_label(const struct sc_step *step)
{
	json_object *v;
	char *s;

	if (step->name)
		return strdup(step->name);
	if (step->op->label && json_object_object_get_ex(step->json, step->op->label, &v)) {
		const char *text = json_object_is_type(v, json_type_string)
				       ? json_object_get_string(v)
				       : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);

		if (asprintf(&s, "%s %s", step->op->name, text) >= 0)
			return s;
	}
	return strdup(step->op->name);
}
