/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report_junit.c - JUnit XML: a testsuite per QEMU, a testcase per scenario, failures with QMP */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "results.h"

static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	report_escape_xml(f, value ? value : "");
	fputc('"', f);
}

static void seconds_attr(FILE *f, json_object *o)
{
	json_object *v;
	double s =
	    json_object_object_get_ex(o, "duration_ms", &v) ? json_object_get_double(v) / 1000 : 0;

	fprintf(f, " time=\"%.3f\"", s);
}

/* "QEMU 7.2.22" -> "qemu-7.2.22": a classname CI tools group by. */
static char *class_prefix(const char *label)
{
	char *s = strdup(label ? label : "qemu");

	for (char *p = s; p && *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
			   *p == '-'))
			*p = '-';
	}
	return s;
}

/* The body of a failure: what was expected, the step list, the QMP excerpt, QEMU's log. */
static void failure_body(FILE *f, json_object *result)
{
	json_object *steps, *log, *step = report_failed_step(result), *v;

	if (json_object_object_get_ex(result, "reason", &v)) {
		report_escape_xml(f, json_object_get_string(v));
		fputs("\n\n", f);
	}
	if (step && json_object_object_get_ex(step, "failures", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			fputs("  ! ", f);
			report_escape_xml(f,
					  json_object_get_string(json_object_array_get_idx(v, i)));
			fputc('\n', f);
		}
	if (step && json_object_object_get_ex(step, "qmp", &v)) {
		fputs("\nQMP of the failed step:\n", f);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			fputs("  ", f);
			report_escape_xml(f,
					  json_object_get_string(json_object_array_get_idx(v, i)));
			fputc('\n', f);
		}
	}
	if (json_object_object_get_ex(result, "qemu_log", &log) && json_object_array_length(log)) {
		fputs("\nQEMU's log (last lines):\n", f);
		for (size_t i = 0; i < json_object_array_length(log); i++) {
			fputs("  ", f);
			report_escape_xml(
			    f, json_object_get_string(json_object_array_get_idx(log, i)));
			fputc('\n', f);
		}
	}
	if (json_object_object_get_ex(result, "steps", &steps)) {
		fputs("\nSteps:\n", f);
		for (size_t i = 0; i < json_object_array_length(steps); i++) {
			json_object *s = json_object_array_get_idx(steps, i);

			fprintf(f, "  %2zu ", i + 1);
			report_escape_xml(f, qd_str(s, "label", "?"));
			fputs(": ", f);
			report_escape_xml(f, qd_str(s, "outcome", "?"));
			fputc('\n', f);
		}
	}
}

static void testcase(FILE *f, json_object *result, const char *prefix)
{
	const char *outcome = qd_str(result, "outcome", "error");
	char classname[256];

	snprintf(classname, sizeof(classname), "%s.%s", prefix, qd_str(result, "level", "qemu"));
	fputs("    <testcase", f);
	attr(f, "classname", classname);
	attr(f, "name", qd_str(result, "scenario", "?"));
	attr(f, "file", qd_str(result, "file", ""));
	seconds_attr(f, result);
	fputs(">\n", f);
	if (!strcmp(outcome, "skip")) {
		fputs("      <skipped", f);
		attr(f, "message", qd_str(result, "reason", "skipped"));
		fputs("/>\n", f);
	} else if (strcmp(outcome, "pass")) {
		/* A known issue is an expected failure: type "known", like an xfail. */
		bool known = qd_str(result, "known", NULL) != NULL;
		bool error = !known && (!strcmp(outcome, "error") || !strcmp(outcome, "crash"));

		fprintf(f, "      <%s", error ? "error" : "failure");
		attr(f, "message", qd_str(result, "reason", outcome));
		attr(f, "type", known ? "known" : outcome);
		fputs(">", f);
		failure_body(f, result);
		fprintf(f, "</%s>\n", error ? "error" : "failure");
	}
	fputs("    </testcase>\n", f);
}

static void count(json_object *results, const char *target, int *tests, int *failures, int *errors,
		  int *skipped, double *seconds)
{
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i), *v;
		const char *o = qd_str(r, "outcome", "error");

		if (target && strcmp(qd_str(r, "target", ""), target))
			continue;
		(*tests)++;
		*failures += !strcmp(o, "fail") || (qd_str(r, "known", NULL) && strcmp(o, "pass"));
		*errors +=
		    !qd_str(r, "known", NULL) && (!strcmp(o, "error") || !strcmp(o, "crash"));
		*skipped += !strcmp(o, "skip");
		if (json_object_object_get_ex(r, "duration_ms", &v))
			*seconds += json_object_get_double(v) / 1000;
	}
}

int report_junit(json_object *doc, const char *path, char **why)
{
	json_object *targets, *results;
	int tests = 0, failures = 0, errors = 0, skipped = 0, r;
	double seconds = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	json_object_object_get_ex(doc, "targets", &targets);
	json_object_object_get_ex(doc, "results", &results);
	count(results, NULL, &tests, &failures, &errors, &skipped, &seconds);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
	attr(f, "name", "qdctl scenarios");
	fprintf(f, " tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
		tests, failures, errors, skipped, seconds);
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		json_object *t = json_object_array_get_idx(targets, i);
		const char *id = qd_str(t, "id", "?");
		char *title = report_target_title(t),
		     *prefix = class_prefix(qd_str(t, "label", id));
		static const char *const props[] = {"path",
						    "version",
						    "package",
						    "fake_version",
						    "accel",
						    "accel_reason",
						    "guest_accel",
						    "guest_accel_reason",
						    "guest_unavailable",
						    NULL};

		tests = failures = errors = skipped = 0;
		seconds = 0;
		count(results, id, &tests, &failures, &errors, &skipped, &seconds);
		fputs("  <testsuite", f);
		attr(f, "name", title);
		attr(f, "id", id);
		attr(f, "timestamp", qd_str(doc, "started", ""));
		attr(f, "hostname", qd_str(json_object_object_get(doc, "host"), "hostname", ""));
		fprintf(
		    f,
		    " tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
		    tests, failures, errors, skipped, seconds);
		fputs("    <properties>\n", f);
		for (const char *const *p = props; *p; p++) {
			const char *v = qd_str(t, *p, NULL);
			char name[64];

			if (!v)
				continue;
			snprintf(name, sizeof(name), "qemu.%s", *p);
			fputs("      <property", f);
			attr(f, "name", name);
			attr(f, "value", v);
			fputs("/>\n", f);
		}
		fputs("    </properties>\n", f);
		for (size_t k = 0; k < json_object_array_length(results); k++) {
			json_object *res = json_object_array_get_idx(results, k);

			if (!strcmp(qd_str(res, "target", ""), id))
				testcase(f, res, prefix);
		}
		fputs("  </testsuite>\n", f);
		free(title);
		free(prefix);
	}
	fputs("</testsuites>\n", f);
	fclose(f);
	r = text ? qd_write_text(path, text, why) : -ENOMEM;
	free(text);
	return r;
}
