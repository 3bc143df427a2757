/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* faults.c - injected failures: rules from -fake-faults or x-fakeqemu-fault, matched per command */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeqemu.h"
#include "faults.h"
#include "strbuf.h"

/*
 * A rule: {"command": NAME, "match": {ARG: VALUE, ...}, "nth": N, "count": C,
 *          "action": ACTION, ...parameters}
 * It fires on the Nth command named NAME whose arguments contain every
 * ARG: VALUE of "match" (default nth 1), and on the C-1 matching commands
 * after it (default count 1; 0 means every one from the Nth on).
 */

static const char *const actions[] = {
    "error",	"delay",       "hang",
    "drop",	"exit",	       "crash",
    "no-event", "delay-event", "event-before-reply",
    "split",	"merge",       "garbage",
    NULL,
};

struct rule {
	int id;
	json_object *spec;
	char *command;
	json_object *match;
	long nth, count;
	char *action;
	long matched; /* matching commands seen */
	long fired;
	struct rule *next;
};

static struct rule *rules;
static int next_rule_id = 1;
const struct fq_fault_plan *fq_current_plan;

static const char *str_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An integer member >= @min, @def when absent; -1 (and *err) when wrong. */
static long int_member(json_object *o, const char *key, long def, long min, char **err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return def;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < min) {
		if (!*err &&
		    asprintf(err, "fault rule: '%s' must be an integer >= %ld", key, min) < 0)
			abort();
		return -1;
	}
	return (long)json_object_get_int64(v);
}

int fq_faults_add(json_object *spec, char **err)
{
	const char *command, *action;
	struct rule *r, **pp;
	json_object *match = NULL;
	bool known = false;

	*err = NULL;
	if (!json_object_is_type(spec, json_type_object)) {
		*err = strdup("fault rule: must be a JSON object");
		return -1;
	}
	command = str_member(spec, "command");
	action = str_member(spec, "action");
	if (!command || !action) {
		*err = strdup("fault rule: 'command' and 'action' are required strings");
		return -1;
	}
	for (int i = 0; actions[i]; i++)
		known |= !strcmp(actions[i], action);
	if (!known) {
		if (asprintf(
			err,
			"fault rule: unknown action '%s' (error, delay, hang, drop, exit, crash, "
			"no-event, delay-event, event-before-reply, split, merge, garbage)",
			action) < 0)
			abort();
		return -1;
	}
	if (json_object_object_get_ex(spec, "match", &match) &&
	    !json_object_is_type(match, json_type_object)) {
		*err = strdup("fault rule: 'match' must be an object of argument values");
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->nth = int_member(spec, "nth", 1, 1, err);
	r->count = int_member(spec, "count", 1, 0, err);
	if (int_member(spec, "ms", 0, 0, err) > 3600000 && !*err)
		*err = strdup("fault rule: 'ms' must be at most 3600000 (one hour)");
	int_member(spec, "code", 0, 0, err);
	int_member(spec, "size", 1, 1, err);
	if (!strcmp(action, "error") && (!str_member(spec, "desc"))) {
		if (!*err)
			*err = strdup("fault rule: action 'error' needs a 'desc' string (and "
				      "optionally 'class', default GenericError)");
	}
	if (!strcmp(action, "garbage") && !str_member(spec, "bytes") && !*err)
		*err = strdup("fault rule: action 'garbage' needs a 'bytes' string");
	if (*err) {
		free(r);
		return -1;
	}
	r->id = next_rule_id++;
	r->spec = json_object_get(spec);
	r->command = strdup(command);
	r->match = match;
	r->action = strdup(action);
	for (pp = &rules; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	return r->id;
}

void fq_faults_clear(void)
{
	while (rules) {
		struct rule *r = rules;

		rules = r->next;
		json_object_put(r->spec);
		free(r->command);
		free(r->action);
		free(r);
	}
}

void fq_faults_load(const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf text = {0};
	json_object *list;
	char *err = NULL, buf[4096];
	size_t n;
	enum json_tokener_error jerr;

	if (!f)
		fq_die("-fake-faults %s: cannot read a JSON file: %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&text, buf, n);
	fclose(f);
	list = json_tokener_parse_verbose(strbuf_str(&text), &jerr);
	strbuf_free(&text);
	if (!list && jerr != json_tokener_success)
		fq_die("-fake-faults %s: cannot read a JSON file: %s", path,
		       json_tokener_error_desc(jerr));
	if (json_object_is_type(list, json_type_object)) {
		if (fq_faults_add(list, &err) < 0)
			fq_die("-fake-faults %s: %s", path, err);
	} else if (json_object_is_type(list, json_type_array)) {
		n = json_object_array_length(list);
		for (size_t i = 0; i < n; i++)
			if (fq_faults_add(json_object_array_get_idx(list, i), &err) < 0)
				fq_die("-fake-faults %s: rule %zu: %s", path, i, err);
	} else {
		fq_die("-fake-faults %s: expected an array of rule objects", path);
	}
	json_object_put(list);
}

/* Every member of @match equals the argument of that name (by JSON value). */
static bool args_match(json_object *match, json_object *args)
{
	if (!match)
		return true;
	json_object_object_foreach(match, key, want)
	{
		json_object *got;

		if (!json_object_object_get_ex(args, key, &got) || !json_object_equal(want, got))
			return false;
	}
	return true;
}

static void apply(const struct rule *r, struct fq_fault_plan *p)
{
	json_object *spec = r->spec, *v;
	const char *a = r->action;
	long ms = json_object_object_get_ex(spec, "ms", &v) ? json_object_get_int(v) : 0;

	if (!strcmp(a, "error")) {
		const char *cls = str_member(spec, "class");

		p->error = true;
		free(p->err_class);
		free(p->err_desc);
		p->err_class = strdup(cls ? cls : "GenericError");
		p->err_desc = strdup(str_member(spec, "desc"));
	} else if (!strcmp(a, "delay")) {
		p->delay_ms = (int)ms;
	} else if (!strcmp(a, "hang")) {
		p->hang = true;
	} else if (!strcmp(a, "drop")) {
		p->drop = true;
	} else if (!strcmp(a, "exit")) {
		p->do_exit = true;
		p->exit_code =
		    json_object_object_get_ex(spec, "code", &v) ? json_object_get_int(v) : 1;
	} else if (!strcmp(a, "crash")) {
		p->crash = true;
	} else if (!strcmp(a, "no-event")) {
		p->withhold_events = true;
	} else if (!strcmp(a, "delay-event")) {
		p->event_delay_ms = (int)ms;
	} else if (!strcmp(a, "event-before-reply")) {
		p->event_before_reply = true;
	} else if (!strcmp(a, "split")) {
		p->split_bytes =
		    json_object_object_get_ex(spec, "size", &v) ? json_object_get_int(v) : 1;
	} else if (!strcmp(a, "merge")) {
		p->merge = true;
	} else if (!strcmp(a, "garbage")) {
		free(p->garbage);
		p->garbage = strdup(str_member(spec, "bytes"));
	}
}

void fq_faults_match(const char *command, json_object *args, struct fq_fault_plan *plan)
{
	for (struct rule *r = rules; r; r = r->next) {
		if (strcmp(r->command, command) != 0 || !args_match(r->match, args))
			continue;
		r->matched++;
		if (r->matched < r->nth)
			continue;
		if (r->count > 0 && r->matched >= r->nth + r->count)
			continue;
		r->fired++;
		apply(r, plan);
	}
}

void fq_faults_plan_clear(struct fq_fault_plan *plan)
{
	free(plan->err_class);
	free(plan->err_desc);
	free(plan->garbage);
	memset(plan, 0, sizeof(*plan));
}

json_object *fq_faults_rules_json(void)
{
	json_object *list = json_object_new_array();

	for (struct rule *r = rules; r; r = r->next) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int(r->id));
		json_object_object_add(o, "rule", json_object_get(r->spec));
		json_object_object_add(o, "matched", json_object_new_int64(r->matched));
		json_object_object_add(o, "fired", json_object_new_int64(r->fired));
		json_object_array_add(list, o);
	}
	return list;
}
