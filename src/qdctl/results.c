/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* results.c - the results document: build it, summarise it, find differences between QEMUs */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "json_diff.h"
#include "results.h"
#include "target.h"

static const char *const outcomes[] = {"pass", "fail", "crash", "error", "skip", NULL};

const char *qd_str(json_object *o, const char *key, const char *def)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return def;
	return json_object_get_string(v);
}

static json_object *host_json(void)
{
	json_object *h = json_object_new_object();
	struct utsname u;
	char name[256] = "";
	FILE *f;

	if (uname(&u) == 0) {
		json_object_object_add(h, "kernel", json_object_new_string(u.release));
		json_object_object_add(h, "machine", json_object_new_string(u.machine));
	}
	if (gethostname(name, sizeof(name) - 1) == 0)
		json_object_object_add(h, "hostname", json_object_new_string(name));
	json_object_object_add(h, "cpus", json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_object_add(h, "kvm", json_object_new_boolean(sc_kvm_usable()));
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[4096];
		bool nested = false, model = false;

		while (fgets(line, sizeof(line), f)) {
			if (!model && !strncmp(line, "model name", 10) && strchr(line, ':')) {
				char *v = strchr(line, ':') + 2;

				v[strcspn(v, "\n")] = '\0';
				json_object_object_add(h, "cpu", json_object_new_string(v));
				model = true;
			}
			if (!strncmp(line, "flags", 5) && strstr(line, " hypervisor"))
				nested = true;
		}
		fclose(f);
		json_object_object_add(h, "nested", json_object_new_boolean(nested));
	}
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		json_object_object_add(h, "kvm_module", json_object_new_string("kvm_pvm"));
	else if (access("/sys/module/kvm_intel", F_OK) == 0)
		json_object_object_add(h, "kvm_module", json_object_new_string("kvm_intel"));
	else if (access("/sys/module/kvm_amd", F_OK) == 0)
		json_object_object_add(h, "kvm_module", json_object_new_string("kvm_amd"));
	return h;
}

/* @argv as a shell command line: arguments that need it in single quotes. */
static char *command_line(int argc, char **argv)
{
	char *cmd = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&cmd, &len);

	if (!f)
		return NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool plain = *a != '\0';

		for (const char *p = a; *p && plain; p++)
			plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789-_./:=,+@%",
				       *p) != NULL;
		fputs(i ? " " : "", f);
		if (plain) {
			fputs(a, f);
			continue;
		}
		fputc('\'', f);
		for (const char *p = a; *p; p++)
			if (*p == '\'')
				fputs("'\\''", f);
			else
				fputc(*p, f);
		fputc('\'', f);
	}
	fclose(f);
	return cmd;
}

json_object *qd_results_new(int argc, char **argv)
{
	json_object *doc = json_object_new_object();
	char stamp[64], *cmd = command_line(argc, argv);
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(doc, "format", json_object_new_string(QD_RESULTS_FORMAT));
	json_object_object_add(doc, "tool", json_object_new_string("qdctl " QDCTL_VERSION));
	json_object_object_add(doc, "command", json_object_new_string(cmd ? cmd : ""));
	json_object_object_add(doc, "started", json_object_new_string(stamp));
	json_object_object_add(doc, "host", host_json());
	json_object_object_add(doc, "targets", json_object_new_array());
	json_object_object_add(doc, "results", json_object_new_array());
	free(cmd);
	return doc;
}

json_object *qd_results_target(json_object *doc, const char *id)
{
	json_object *targets;

	if (!json_object_object_get_ex(doc, "targets", &targets))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		json_object *t = json_object_array_get_idx(targets, i);

		if (!strcmp(qd_str(t, "id", ""), id))
			return t;
	}
	return NULL;
}

void qd_results_add_target(json_object *doc, const struct sc_target *t)
{
	json_object *targets, *o = sc_target_json(t);

	json_object_object_get_ex(doc, "targets", &targets);
	for (size_t i = 0; i < json_object_array_length(targets); i++)
		if (!strcmp(qd_str(json_object_array_get_idx(targets, i), "id", ""), t->id)) {
			json_object_array_put_idx(targets, i, o);
			return;
		}
	json_object_array_add(targets, o);
}

void qd_results_add(json_object *doc, json_object *result)
{
	json_object *results;

	json_object_object_get_ex(doc, "results", &results);
	json_object_array_add(results, result);
}

json_object *qd_results_find(json_object *doc, const char *scenario, const char *target)
{
	json_object *results;

	if (!json_object_object_get_ex(doc, "results", &results))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);

		if (!strcmp(qd_str(r, "scenario", ""), scenario) &&
		    !strcmp(qd_str(r, "target", ""), target))
			return r;
	}
	return NULL;
}

json_object *qd_results_scenarios(json_object *doc)
{
	json_object *results, *names = json_object_new_array();

	json_object_object_get_ex(doc, "results", &results);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		const char *n = qd_str(json_object_array_get_idx(results, i), "scenario", "?");
		bool seen = false;

		for (size_t k = 0; k < json_object_array_length(names) && !seen; k++)
			seen =
			    !strcmp(json_object_get_string(json_object_array_get_idx(names, k)), n);
		if (!seen)
			json_object_array_add(names, json_object_new_string(n));
	}
	return names;
}

int qd_results_failed(json_object *doc)
{
	json_object *results;
	int n = 0;

	json_object_object_get_ex(doc, "results", &results);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		const char *o = qd_str(r, "outcome", "error");

		/* A known issue that reproduced is reported, not failed on. */
		if (qd_str(r, "known", NULL))
			continue;
		n += !strcmp(o, "fail") || !strcmp(o, "crash") || !strcmp(o, "error");
	}
	return n;
}

static json_object *summary_of(json_object *doc)
{
	json_object *targets, *results, *summary = json_object_new_object();

	json_object_object_get_ex(doc, "targets", &targets);
	json_object_object_get_ex(doc, "results", &results);
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		const char *id = qd_str(json_object_array_get_idx(targets, i), "id", "?");
		json_object *counts = json_object_new_object();

		for (const char *const *o = outcomes; *o; o++) {
			int n = 0;

			for (size_t k = 0; k < json_object_array_length(results); k++) {
				json_object *r = json_object_array_get_idx(results, k);

				n += !strcmp(qd_str(r, "target", ""), id) &&
				     !strcmp(qd_str(r, "outcome", ""), *o);
			}
			json_object_object_add(counts, *o, json_object_new_int(n));
		}
		json_object_object_add(summary, id, counts);
	}
	return summary;
}

void qd_results_finish(json_object *doc, int64_t duration_ms)
{
	json_object_object_add(doc, "duration_ms", json_object_new_int64(duration_ms));
	json_object_object_add(doc, "summary", summary_of(doc));
	json_object_object_add(doc, "findings", qd_findings(doc));
}

/* ---- findings -----------------------------------------------------------------------------------
 */

static const char *target_label(json_object *doc, const char *id)
{
	return qd_str(qd_results_target(doc, id), "label", id);
}

/* Append @id to the variant whose value is @value, or make one (keeping @observed, borrowed). */
static void add_variant(json_object *variants, const char *value, const char *id,
			json_object *observed)
{
	json_object *v, *ids;

	for (size_t i = 0; i < json_object_array_length(variants); i++) {
		v = json_object_array_get_idx(variants, i);
		if (!strcmp(qd_str(v, "value", ""), value)) {
			json_object_object_get_ex(v, "targets", &ids);
			json_object_array_add(ids, json_object_new_string(id));
			return;
		}
	}
	v = json_object_new_object();
	ids = json_object_new_array();
	json_object_array_add(ids, json_object_new_string(id));
	json_object_object_add(v, "value", json_object_new_string(value));
	json_object_object_add(v, "targets", ids);
	if (observed)
		json_object_object_add(v, "observed", json_object_get(observed));
	json_object_array_add(variants, v);
}

/*
 * For a behaviour finding: each variant after the first gets "diff", where
 * its observation differs from the first's ("path: first → this"), and the
 * summary says that instead of whole values.
 */
static char *describe_diffs(json_object *doc, json_object *variants)
{
	json_object *base = json_object_array_get_idx(variants, 0), *bobs = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	json_object_object_get_ex(base, "observed", &bobs);
	fputs("compared with ", f);
	for (size_t k = 0; k < json_object_array_length(json_object_object_get(base, "targets"));
	     k++)
		fprintf(f, "%s%s", k ? ", " : "",
			target_label(doc, json_object_get_string(json_object_array_get_idx(
					      json_object_object_get(base, "targets"), k))));
	for (size_t i = 1; i < json_object_array_length(variants); i++) {
		json_object *v = json_object_array_get_idx(variants, i), *obs = NULL, *ids;
		json_object *diff = json_object_new_array();

		json_object_object_get_ex(v, "observed", &obs);
		qd_json_diff(bobs, obs, "", diff, 4);
		json_object_object_get_ex(v, "targets", &ids);
		fputs("; on ", f);
		for (size_t k = 0; k < json_object_array_length(ids); k++)
			fprintf(f, "%s%s", k ? ", " : "",
				target_label(doc, json_object_get_string(
						      json_object_array_get_idx(ids, k))));
		fputs(": ", f);
		for (size_t k = 0; k < json_object_array_length(diff); k++)
			fprintf(f, "%s%s", k ? ", " : "",
				json_object_get_string(json_object_array_get_idx(diff, k)));
		json_object_object_add(v, "diff", diff);
	}
	fclose(f);
	return out;
}

/* "value on A, B; value2 on C" */
static char *describe_variants(json_object *doc, json_object *variants)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < json_object_array_length(variants); i++) {
		json_object *v = json_object_array_get_idx(variants, i), *ids;

		json_object_object_get_ex(v, "targets", &ids);
		fprintf(f, "%s%s on ", i ? "; " : "", qd_str(v, "value", ""));
		for (size_t k = 0; k < json_object_array_length(ids); k++)
			fprintf(f, "%s%s", k ? ", " : "",
				target_label(doc, json_object_get_string(
						      json_object_array_get_idx(ids, k))));
	}
	fclose(f);
	return out;
}

static json_object *finding(const char *scenario, const char *kind, int step, const char *label,
			    json_object *variants, char *summary)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "scenario", json_object_new_string(scenario));
	json_object_object_add(f, "kind", json_object_new_string(kind));
	json_object_object_add(f, "step", step ? json_object_new_int(step) : NULL);
	json_object_object_add(f, "label", label ? json_object_new_string(label) : NULL);
	json_object_object_add(f, "summary", json_object_new_string(summary ? summary : ""));
	json_object_object_add(f, "variants", variants);
	free(summary);
	return f;
}

/* What a step observed, as one comparable text: its result and the events it saw. */
/* What a step observed, as one comparable text. */
static char *step_value(json_object *step)
{
	json_object *obs;

	json_object_object_get_ex(step, "observed", &obs);
	return strdup(obs ? json_object_to_json_string_ext(obs, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE)
			  : "(no result)");
}

/*
 * The events a passing run saw, name by name, over the whole scenario:
 * when an asynchronous event lands (this step or the next) is timing, how
 * many of which came is behaviour.
 */
static char *event_counts(json_object *r)
{
	json_object *steps, *counts = json_object_new_object();
	char *text;

	json_object_object_get_ex(r, "steps", &steps);
	for (size_t i = 0; steps && i < json_object_array_length(steps); i++) {
		json_object *ev =
		    json_object_object_get(json_object_array_get_idx(steps, i), "events");

		for (size_t k = 0; ev && k < json_object_array_length(ev); k++) {
			const char *n = json_object_get_string(json_object_array_get_idx(ev, k));
			json_object *c = json_object_object_get(counts, n);

			json_object_object_add(
			    counts, n, json_object_new_int(c ? json_object_get_int(c) + 1 : 1));
		}
	}
	text = strdup(json_object_to_json_string_ext(counts, JSON_C_TO_STRING_PLAIN));
	json_object_put(counts);
	return text;
}

static void scenario_findings(json_object *doc, const char *name, json_object *out)
{
	json_object *targets, *outcome_variants = json_object_new_array(),
			      *ran = json_object_new_array();
	int nsteps = 0;
	bool crash = false;

	json_object_object_get_ex(doc, "targets", &targets);
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		const char *id = qd_str(json_object_array_get_idx(targets, i), "id", "?");
		json_object *r = qd_results_find(doc, name, id), *steps;
		const char *o = qd_str(r, "outcome", "skip");

		if (!r || !strcmp(o, "skip"))
			continue;
		crash |= !strcmp(o, "crash");
		add_variant(outcome_variants, o, id, NULL);
		json_object_array_add(ran, json_object_get(r));
		if (json_object_object_get_ex(r, "steps", &steps) &&
		    (int)json_object_array_length(steps) > nsteps)
			nsteps = (int)json_object_array_length(steps);
	}
	if (json_object_array_length(outcome_variants) > 1 || crash) {
		char *text = describe_variants(doc, outcome_variants), *summary;

		if (asprintf(&summary, "%s: %s", crash ? "QEMU crashed" : "outcome differs",
			     text ? text : "") < 0)
			summary = NULL;
		free(text);
		json_object_array_add(out, finding(name, crash ? "crash" : "outcome", 0, NULL,
						   json_object_get(outcome_variants), summary));
	}
	json_object_put(outcome_variants);
	/* Step by step, among the QEMUs that ran the step. */
	for (int s = 0; s < nsteps && json_object_array_length(ran) > 1; s++) {
		json_object *variants = json_object_new_array();
		const char *label = NULL;
		size_t nran = 0;

		for (size_t i = 0; i < json_object_array_length(ran); i++) {
			json_object *r = json_object_array_get_idx(ran, i), *steps, *step;
			const char *so;
			char *value;

			json_object_object_get_ex(r, "steps", &steps);
			step = json_object_array_get_idx(steps, (size_t)s);
			so = qd_str(step, "outcome", "not-run");
			/* A failed step is the outcome finding's; only what passed compares. */
			if (!step || strcmp(so, "pass"))
				continue;
			label = qd_str(step, "label", "?");
			value = step_value(step);
			{
				json_object *seen = json_object_new_object();

				json_object_object_add(
				    seen, "result",
				    json_object_get(json_object_object_get(step, "observed")));
				add_variant(variants, value ? value : "?", qd_str(r, "target", "?"),
					    seen);
				json_object_put(seen);
			}
			free(value);
			nran++;
		}
		if (nran > 1 && json_object_array_length(variants) > 1) {
			char *text = describe_diffs(doc, variants), *summary;

			if (asprintf(&summary, "step %d (%s) differs: %s", s + 1, label,
				     text ? text : "") < 0)
				summary = NULL;
			free(text);
			json_object_array_add(out, finding(name, "behaviour", s + 1, label,
							   json_object_get(variants), summary));
		}
		json_object_put(variants);
	}
	/* The events of the whole scenario, among the QEMUs it passed on. */
	{
		json_object *variants = json_object_new_array();
		size_t npass = 0;

		for (size_t i = 0; i < json_object_array_length(ran); i++) {
			json_object *r = json_object_array_get_idx(ran, i), *seen, *parsed;
			char *counts;

			if (strcmp(qd_str(r, "outcome", ""), "pass"))
				continue;
			counts = event_counts(r);
			parsed = json_tokener_parse(counts);
			seen = json_object_new_object();
			json_object_object_add(seen, "events", parsed);
			add_variant(variants, counts, qd_str(r, "target", "?"), seen);
			json_object_put(seen);
			free(counts);
			npass++;
		}
		if (npass > 1 && json_object_array_length(variants) > 1) {
			char *text = describe_diffs(doc, variants), *summary;

			if (asprintf(&summary, "the events seen differ: %s", text ? text : "") < 0)
				summary = NULL;
			free(text);
			json_object_array_add(out, finding(name, "behaviour", 0, "events",
							   json_object_get(variants), summary));
		}
		json_object_put(variants);
	}
	json_object_put(ran);
}

/* A QEMU that mapped another QEMU's files: the run mixed versions. */
static void target_findings(json_object *doc, json_object *out)
{
	json_object *targets;

	json_object_object_get_ex(doc, "targets", &targets);
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		json_object *t = json_object_array_get_idx(targets, i), *files;
		char *summary = NULL;
		size_t len = 0;
		FILE *f;

		if (!json_object_object_get_ex(t, "foreign_files", &files) || !files ||
		    !json_object_array_length(files))
			continue;
		f = open_memstream(&summary, &len);
		if (!f)
			continue;
		fprintf(f, "%s mapped files of another QEMU (versions mixed):",
			qd_str(t, "label", "?"));
		for (size_t k = 0; k < json_object_array_length(files); k++)
			fprintf(f, " %s",
				json_object_get_string(json_object_array_get_idx(files, k)));
		fclose(f);
		{
			json_object *fo = json_object_new_object();

			json_object_object_add(fo, "scenario", NULL);
			json_object_object_add(fo, "kind",
					       json_object_new_string("mixed-versions"));
			json_object_object_add(fo, "target",
					       json_object_new_string(qd_str(t, "id", "?")));
			json_object_object_add(fo, "summary", json_object_new_string(summary));
			json_object_array_add(out, fo);
		}
		free(summary);
	}
}

json_object *qd_findings(json_object *doc)
{
	json_object *names = qd_results_scenarios(doc), *out = json_object_new_array();

	target_findings(doc, out);

	for (size_t i = 0; i < json_object_array_length(names); i++)
		scenario_findings(doc, json_object_get_string(json_object_array_get_idx(names, i)),
				  out);
	json_object_put(names);
	return out;
}

int qd_write_text(const char *path, const char *text, char **why)
{
	char *tmp;
	size_t len = strlen(text);
	int fd;

	*why = NULL;
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
		if (asprintf(why, "cannot write %s: %s", path, strerror(e)) < 0)
			*why = NULL;
		return -e;
	}
	free(tmp);
	return 0;
}
