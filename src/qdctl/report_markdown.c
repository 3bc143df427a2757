/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report_markdown.c - the report as Markdown: columns, matrix, findings, failures with their QMP */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "results.h"

static const char *cell(json_object *r)
{
	const char *o = qd_str(r, "outcome", NULL);

	if (!r || !o)
		return " ";
	if (qd_str(r, "known", NULL))
		return !strcmp(o, "crash") ? "💥 known" : "❌ known";
	if (!strcmp(o, "pass"))
		return "✅";
	if (!strcmp(o, "fail"))
		return "❌";
	if (!strcmp(o, "crash"))
		return "💥";
	if (!strcmp(o, "skip"))
		return "⏭";
	return "⚠️";
}

/* Text safe in a Markdown table cell. */
static void md_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputs("<br>", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else
			fputc(*s, f);
	}
}

static void code_block(FILE *f, json_object *lines)
{
	fputs("```text\n", f);
	for (size_t i = 0; i < json_object_array_length(lines); i++)
		fprintf(f, "%s\n", json_object_get_string(json_object_array_get_idx(lines, i)));
	fputs("```\n", f);
}

static void columns(FILE *f, json_object *doc, json_object *targets)
{
	json_object *summary;

	json_object_object_get_ex(doc, "summary", &summary);
	fputs(
	    "## Columns\n\n| | QEMU | package | machine | QEMU-level accel | guest accel | pass | "
	    "fail | crash | error | skip |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
	    f);
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		json_object *t = json_object_array_get_idx(targets, i), *machines, *c;
		const char *id = qd_str(t, "id", "?");

		c = json_object_object_get(summary, id);
		fprintf(f, "| %s | %s | ", id, qd_str(t, "label", "?"));
		md_text(f, qd_str(t, "package", ""));
		fputs(" | ", f);
		if (json_object_object_get_ex(t, "machines", &machines) &&
		    json_object_object_length(machines)) {
			bool first = true;

			json_object_object_foreach(machines, alias, name)
			{
				if (qd_str(t, "machine", NULL) &&
				    strcmp(alias, qd_str(t, "machine", "")))
					continue;
				fprintf(f, "%s%s → %s", first ? "" : ", ", alias,
					json_object_get_string(name));
				first = false;
			}
		} else {
			fputs(qd_str(t, "machine", "each scenario's (pc)"), f);
		}
		fprintf(f, " | %s | ", qd_str(t, "accel", "?"));
		if (qd_str(t, "guest_accel", NULL)) {
			fprintf(f, "%s (", qd_str(t, "guest_accel", ""));
			md_text(f, qd_str(t, "guest_accel_reason", ""));
			fputs(")", f);
		} else {
			md_text(f, qd_str(t, "guest_unavailable", "–"));
		}
		fprintf(f, " | %d | %d | %d | %d | %d |\n",
			json_object_get_int(json_object_object_get(c, "pass")),
			json_object_get_int(json_object_object_get(c, "fail")),
			json_object_get_int(json_object_object_get(c, "crash")),
			json_object_get_int(json_object_object_get(c, "error")),
			json_object_get_int(json_object_object_get(c, "skip")));
	}
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		json_object *t = json_object_array_get_idx(targets, i);

		fprintf(f, "\n%s: `%s`", qd_str(t, "id", "?"), qd_str(t, "path", "?"));
	}
	fputs("\n\n", f);
}

static void matrix(FILE *f, json_object *doc, json_object *targets, json_object *names)
{
	fputs(
	    "## Matrix\n\n✅ pass · ❌ fail · 💥 QEMU crashed · ⚠️ error · ⏭ skipped "
	    "(not "
	    "applicable: reason in the details) · *known*: a known issue that reproduced\n\n"
	    "| scenario | level |",
	    f);
	for (size_t i = 0; i < json_object_array_length(targets); i++)
		fprintf(f, " %s |", qd_str(json_object_array_get_idx(targets, i), "label", "?"));
	fputs("\n|---|---|", f);
	for (size_t i = 0; i < json_object_array_length(targets); i++)
		fputs("---|", f);
	fputc('\n', f);
	for (size_t k = 0; k < json_object_array_length(names); k++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, k));
		json_object *any = NULL;

		for (size_t i = 0; i < json_object_array_length(targets) && !any; i++)
			any = qd_results_find(
			    doc, name, qd_str(json_object_array_get_idx(targets, i), "id", ""));
		fprintf(f, "| %s | %s |", name, qd_str(any, "level", "?"));
		for (size_t i = 0; i < json_object_array_length(targets); i++)
			fprintf(f, " %s |",
				cell(qd_results_find(
				    doc, name,
				    qd_str(json_object_array_get_idx(targets, i), "id", ""))));
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void findings(FILE *f, json_object *doc)
{
	json_object *list;

	json_object_object_get_ex(doc, "findings", &list);
	fprintf(f, "## Differences between QEMUs (%zu findings)\n\n",
		json_object_array_length(list));
	if (!json_object_array_length(list))
		fputs("None: every QEMU behaved the same in every scenario it ran.\n", f);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *x = json_object_array_get_idx(list, i);

		fprintf(f, "- **%s**%s%s%s ", qd_str(x, "kind", "?"),
			qd_str(x, "scenario", NULL) ? " `" : "", qd_str(x, "scenario", ""),
			qd_str(x, "scenario", NULL) ? "`:" : ":");
		md_text(f, qd_str(x, "summary", ""));
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void failures(FILE *f, json_object *doc)
{
	json_object *results;
	bool any = false;

	json_object_object_get_ex(doc, "results", &results);
	fputs("## Failures, crashes and errors\n\n", f);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i), *v;
		const char *o = qd_str(r, "outcome", "error");
		json_object *t = qd_results_target(doc, qd_str(r, "target", ""));

		if (!strcmp(o, "pass") || !strcmp(o, "skip"))
			continue;
		any = true;
		fprintf(f, "### %s on %s: %s%s\n\n", qd_str(r, "scenario", "?"),
			qd_str(t, "label", "?"), o,
			qd_str(r, "known", NULL) ? " (known issue)" : "");
		if (qd_str(r, "description", NULL))
			fprintf(f, "*%s*\n\n", qd_str(r, "description", ""));
		fputs("- ", f);
		md_text(f, qd_str(r, "reason", ""));
		fputc('\n', f);
		if (qd_str(r, "known", NULL)) {
			fputs("- known: ", f);
			md_text(f, qd_str(r, "known", ""));
			fputc('\n', f);
		}
		fprintf(f, "- file: `%s`\n\n", qd_str(r, "file", "?"));
		v = report_failure_excerpt(r);
		if (v && json_object_array_length(v)) {
			fputs("QMP of the failed step:\n\n", f);
			code_block(f, v);
		}
		if (json_object_object_get_ex(r, "qemu_log", &v) && json_object_array_length(v)) {
			fputs("\nQEMU's log (last lines):\n\n", f);
			code_block(f, v);
		}
		if (json_object_object_get_ex(r, "console", &v) && json_object_array_length(v)) {
			fputs("\nGuest console (last lines):\n\n", f);
			code_block(f, v);
		}
		fputc('\n', f);
	}
	if (!any)
		fputs("None.\n\n", f);
}

static void skips(FILE *f, json_object *doc)
{
	json_object *results, *reasons = json_object_new_object();

	json_object_object_get_ex(doc, "results", &results);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i), *n;
		const char *reason = qd_str(r, "reason", "?");

		if (strcmp(qd_str(r, "outcome", ""), "skip"))
			continue;
		n = json_object_object_get(reasons, reason);
		json_object_object_add(reasons, reason,
				       json_object_new_int(n ? json_object_get_int(n) + 1 : 1));
	}
	if (json_object_object_length(reasons)) {
		fputs("## Skipped (not applicable), by reason\n\n", f);
		json_object_object_foreach(reasons, reason, n)
		{
			fprintf(f, "- %d × ", json_object_get_int(n));
			md_text(f, reason);
			fputc('\n', f);
		}
		fputc('\n', f);
	}
	json_object_put(reasons);
}

int report_markdown(json_object *doc, const char *path, char **why)
{
	json_object *targets, *names = qd_results_scenarios(doc), *host;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f) {
		json_object_put(names);
		return -ENOMEM;
	}
	json_object_object_get_ex(doc, "targets", &targets);
	json_object_object_get_ex(doc, "host", &host);
	fprintf(f, "# %s\n\n", qd_str(doc, "title", "QEMU qualification"));
	fprintf(
	    f, "Generated %s by %s on `%s` (%s, %d CPUs, kernel %s%s%s%s) in %.1f s.\n\n",
	    qd_str(doc, "started", "?"), qd_str(doc, "tool", "qdctl"),
	    qd_str(host, "hostname", "?"), qd_str(host, "cpu", "?"),
	    json_object_get_int(json_object_object_get(host, "cpus")), qd_str(host, "kernel", "?"),
	    json_object_get_boolean(json_object_object_get(host, "nested")) ? ", itself a VM" : "",
	    qd_str(host, "kvm_module", NULL) ? ", KVM: " : "", qd_str(host, "kvm_module", ""),
	    json_object_get_double(json_object_object_get(doc, "duration_ms")) / 1000);
	fprintf(f, "Reproduce with:\n\n```sh\n%s\n```\n\n", qd_str(doc, "command", "?"));
	columns(f, doc, targets);
	matrix(f, doc, targets, names);
	findings(f, doc);
	failures(f, doc);
	skips(f, doc);
	fclose(f);
	json_object_put(names);
	r = text ? qd_write_text(path, text, why) : -ENOMEM;
	free(text);
	return r;
}
