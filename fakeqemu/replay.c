/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* replay.c - -fake-replay: answer from a transcript recorded from real QEMU */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fakeqemu.h"
#include "monitor.h"
#include "qjson.h"
#include "qmp_dispatch.h"
#include "replay.h"

/*
 * The transcript is tests/conformance's .jsonl: {"recv": MSG} lines (the
 * first is the greeting), {"send": TEXT} lines, {"eof": true} and a trailer
 * {"exit": CODE, ...}. Each client command must equal the next recorded
 * "send" (ignoring "id"); fakeqemu then sends the "recv" messages recorded
 * up to the following "send", with the client's id in the replies. The first
 * divergence is reported on stderr and in an error reply, and every later
 * command gets the same error.
 */

struct step {
	json_object *send; /* the recorded command */
	json_object **recv;
	size_t nrecv;
	bool eof; /* QEMU closed the connection after these */
};

static struct step *steps;
static size_t nsteps, next_step;
static json_object *greeting;
static bool loaded;
static int exit_code;
static char *divergence;

static struct step *add_step(void)
{
	steps = realloc(steps, (nsteps + 1) * sizeof(*steps));
	if (!steps)
		abort();
	memset(&steps[nsteps], 0, sizeof(steps[0]));
	return &steps[nsteps++];
}

void fq_replay_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	struct step *cur = NULL;
	int lineno = 0;

	if (!f)
		fq_die("-fake-replay %s: cannot open: %m", path);
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line), *v;

		lineno++;
		if (!json_object_is_type(o, json_type_object))
			fq_die("-fake-replay %s:%d: not a JSON object", path, lineno);
		if (json_object_object_get_ex(o, "recv", &v)) {
			if (!greeting && !cur) {
				greeting = json_object_get(v);
			} else if (cur) {
				cur->recv =
				    realloc(cur->recv, (cur->nrecv + 1) * sizeof(*cur->recv));
				if (!cur->recv)
					abort();
				cur->recv[cur->nrecv++] = json_object_get(v);
			}
		} else if (json_object_object_get_ex(o, "send", &v)) {
			json_object *cmd = json_tokener_parse(json_object_get_string(v));

			/* Malformed input was recorded to probe QEMU's parser: not replayable. */
			cur = json_object_is_type(cmd, json_type_object) ? add_step() : NULL;
			if (cur)
				cur->send = cmd;
			else
				json_object_put(cmd);
		} else if (json_object_object_get_ex(o, "eof", NULL)) {
			if (cur)
				cur->eof = true;
		} else if (json_object_object_get_ex(o, "exit", &v)) {
			exit_code = json_object_get_int(v) < 0 ? 0 : json_object_get_int(v);
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	if (!greeting)
		fq_die("-fake-replay %s: no greeting recorded", path);
	loaded = true;
}

bool fq_replay_active(void)
{
	return loaded;
}

json_object *fq_replay_greeting(void)
{
	return loaded ? json_object_get(greeting) : NULL;
}

/* Equal as commands: same members except "id". */
static bool same_command(json_object *want, json_object *got)
{
	int n = 0;

	json_object_object_foreach(want, key, val)
	{
		json_object *g;

		if (!strcmp(key, "id"))
			continue;
		if (!json_object_object_get_ex(got, key, &g) || !json_object_equal(val, g))
			return false;
		n++;
	}
	json_object_object_foreach(got, gkey, gval)
	{
		(void)gval;
		if (strcmp(gkey, "id") != 0)
			n--;
	}
	return n == 0;
}

static void send_error(struct fq_monitor *m, json_object *msg, const char *desc)
{
	json_object *rsp = fq_error_response("GenericError", desc), *id;

	if (json_object_object_get_ex(msg, "id", &id))
		json_object_object_add(rsp, "id", json_object_get(id));
	fq_monitor_send(m, rsp);
	json_object_put(rsp);
}

static json_object *with_fresh_fields(json_object *recorded, json_object *client_msg)
{
	json_object *out = NULL, *id, *ts;

	json_object_deep_copy(recorded, &out, NULL);
	if (json_object_object_get_ex(out, "timestamp", &ts)) {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		json_object_object_add(ts, "seconds", json_object_new_int64(tv.tv_sec));
		json_object_object_add(ts, "microseconds", json_object_new_int64(tv.tv_usec));
	}
	/* Replies carry the client's id (or none), whatever was recorded. */
	if (!json_object_object_get_ex(out, "event", NULL)) {
		json_object_object_del(out, "id");
		if (json_object_object_get_ex(client_msg, "id", &id))
			json_object_object_add(out, "id", json_object_get(id));
	}
	return out;
}

void fq_replay_input(struct fq_monitor *m, json_object *msg)
{
	struct step *s;

	if (divergence) {
		send_error(m, msg, divergence);
		return;
	}
	if (next_step >= nsteps) {
		if (asprintf(&divergence,
			     "fakeqemu replay: the transcript ended after %zu commands, got %s",
			     nsteps,
			     json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN)) < 0)
			abort();
		fprintf(stderr, "%s: %s\n", fq_vm.cfg.progname, divergence);
		send_error(m, msg, divergence);
		return;
	}
	s = &steps[next_step];
	if (!json_object_is_type(msg, json_type_object) || !same_command(s->send, msg)) {
		if (asprintf(&divergence,
			     "fakeqemu replay: divergence at command %zu: expected %s, got %s",
			     next_step + 1,
			     json_object_to_json_string_ext(s->send, JSON_C_TO_STRING_PLAIN),
			     json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN)) < 0)
			abort();
		fprintf(stderr, "%s: %s\n", fq_vm.cfg.progname, divergence);
		send_error(m, msg, divergence);
		return;
	}
	next_step++;
	if (!m->negotiated &&
	    !strcmp(json_object_get_string(json_object_object_get(msg, "execute")),
		    "qmp_capabilities"))
		m->negotiated = true;
	for (size_t i = 0; i < s->nrecv; i++) {
		json_object *out = with_fresh_fields(s->recv[i], msg);

		fq_monitor_send(m, out);
		json_object_put(out);
	}
	if (s->eof)
		fq_request_exit(exit_code);
}
