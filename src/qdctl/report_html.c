/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report_html.c - the report as one self-contained HTML page: the matrix as a picture, details a
 * click away */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "results.h"

/*
 * DOC: HTML report
 *
 * One file, no external resource: inline CSS, an inline SVG for the
 * scenario x QEMU matrix (a coloured cell per result, its reason in the
 * tooltip), and a few lines of script that open the details a cell links
 * to. Cells of failures link to their details (open, with the QMP excerpt
 * of the failed step); passes link to the scenario's description; skips to
 * their reason. Column headers carry the version, machine and accelerator.
 */

#define LABEL_W	 300
#define COL_W	 132
#define ROW_H	 22
#define HEAD_H	 86
#define CELL_PAD 3

static const char css[] =
    ":root{--pass:#2f9e55;--fail:#d64045;--crash:#7b2fa8;--error:#e08a00;--skip:#c5cad3;"
    "--ink:#1d2430;--muted:#5c6675;--line:#e3e7ee;--bg:#f6f8fb}"
    "*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe "
    "UI',Roboto,sans-serif;color:var(--ink);background:var(--bg)}"
    "main{max-width:1440px;margin:0 auto;padding:24px 32px 64px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:36px 0 12px;padding-bottom:6px;"
    "border-bottom:1px solid var(--line)}h3{font-size:15px;margin:0 0 8px}"
    ".meta{color:var(--muted);margin:0 0 6px}code,pre{font:12.5px/1.4 ui-monospace,"
    "'DejaVu Sans Mono',monospace}pre{background:#0f1720;color:#dbe4ee;padding:10px 12px;"
    "border-radius:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}"
    ".cmd{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 10px;"
    "display:block;overflow-x:auto;white-space:pre}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:14px}"
    ".card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 16px;"
    "box-shadow:0 1px 2px rgba(0,0,0,.04)}.card dl{display:grid;grid-template-columns:max-content "
    "1fr;gap:3px 10px;margin:0 0 10px}.card dt{color:var(--muted)}.card dd{margin:0;"
    "word-break:break-word}.warn{color:var(--fail);font-weight:600}"
    ".bar{display:flex;height:10px;border-radius:5px;overflow:hidden;background:var(--line);"
    "margin:6px 0}.bar span{display:block}.counts{color:var(--muted);font-size:13px;margin:0}"
    ".legend{display:flex;flex-wrap:wrap;gap:14px;margin:0 0 10px;color:var(--muted)}"
    ".legend i{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;"
    "margin-right:5px}.matrix{background:#fff;border:1px solid var(--line);border-radius:10px;"
    "padding:10px;overflow-x:auto}svg text{font:12px system-ui,sans-serif}"
    "svg .name{font:12px ui-monospace,'DejaVu Sans Mono',monospace;fill:var(--ink)}"
    "svg .colhead{font-weight:600;fill:var(--ink)}svg .colsub{fill:var(--muted);font-size:11px}"
    "svg a:hover rect{stroke:#111;stroke-width:2}svg .glyph{fill:#fff;font-weight:700;"
    "pointer-events:none}svg .level{font-size:10px;fill:var(--muted)}"
    ".badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;"
    "font-weight:600;margin-right:6px}.b-pass{background:var(--pass)}.b-fail{background:var(--fail)"
    "}"
    ".b-crash{background:var(--crash)}.b-error{background:var(--error)}.b-skip{background:#8a93a3}"
    ".b-behaviour{background:#2f6fd6}.b-outcome{background:var(--fail)}.b-mixed-versions{"
    "background:var(--crash)}.b-known{background:#555}"
    ".finding{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px;"
    "margin:0 0 10px}.finding table{border-collapse:collapse;margin-top:6px;width:100%}"
    ".finding td{border-top:1px solid var(--line);padding:4px 8px;vertical-align:top}"
    ".finding td:first-child{width:24%;color:var(--muted)}.finding code{word-break:break-all}"
    ".finding details{border:0;margin:0;padding:0;background:none}.finding summary{padding:0;"
    "font-weight:400;color:var(--muted)}"
    "details{background:#fff;border:1px solid var(--line);border-radius:8px;margin:0 0 10px;"
    "padding:0 14px}details[open]{padding-bottom:12px}summary{cursor:pointer;padding:10px 0;"
    "font-weight:600}details:target,.finding:target,li:target{outline:3px solid #2f6fd6}"
    "table.steps{border-collapse:collapse;width:100%;font-size:13px}table.steps td,table.steps "
    "th{border-top:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}"
    "table.steps td.o-fail{color:var(--fail);font-weight:600}table.steps td.o-not-run{"
    "color:var(--muted)}ul.fail{color:var(--fail);margin:6px 0}.scen li{margin:2px 0}"
    ".scen .lvl{color:var(--muted);font-size:12px}";

static const char script[] =
    "function openTarget(){var h=decodeURIComponent(location.hash.slice(1));if(!h)return;"
    "var e=document.getElementById(h);if(e&&e.tagName==='DETAILS')e.open=true;"
    "if(e)e.scrollIntoView({block:'start'});}"
    "window.addEventListener('hashchange',openTarget);window.addEventListener('load',openTarget);";

static void esc(FILE *f, const char *s)
{
	report_escape_xml(f, s ? s : "");
}

/* How each outcome looks: its colour and the glyph in its cell. */
static const struct {
	const char *outcome, *color, *glyph;
} looks[] = {
    {"pass", "var(--pass)", "✓"}, {"fail", "var(--fail)", "✗"},	  {"crash", "var(--crash)", "☠"},
    {"skip", "var(--skip)", "–"}, {"error", "var(--error)", "!"},
};

static int look(const char *outcome)
{
	for (size_t i = 0; i < sizeof(looks) / sizeof(looks[0]); i++)
		if (!strcmp(looks[i].outcome, outcome))
			return (int)i;
	return 4; /* anything else is an error */
}

static const char *color_var(const char *outcome)
{
	return looks[look(outcome)].color;
}

static const char *glyph(const char *outcome)
{
	return looks[look(outcome)].glyph;
}

static void anchor(FILE *f, const char *prefix, const char *scenario, const char *target)
{
	fprintf(f, "%s-", prefix);
	esc(f, scenario);
	if (target) {
		fputc('-', f);
		esc(f, target);
	}
}

static void head(FILE *f, json_object *doc)
{
	json_object *host = json_object_object_get(doc, "host");

	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
	      f);
	esc(f, qd_str(doc, "title", "QEMU qualification"));
	fprintf(f, "</title><style>%s</style><script>%s</script></head><body><main>\n", css,
		script);
	fputs("<h1>", f);
	esc(f, qd_str(doc, "title", "QEMU qualification"));
	fputs("</h1>\n<p class=\"meta\">Generated ", f);
	esc(f, qd_str(doc, "started", "?"));
	fputs(" by ", f);
	esc(f, qd_str(doc, "tool", "qdctl"));
	fputs(" on <b>", f);
	esc(f, qd_str(host, "hostname", "?"));
	fputs("</b> — ", f);
	esc(f, qd_str(host, "cpu", "?"));
	fprintf(f, ", %d CPUs, Linux ", json_object_get_int(json_object_object_get(host, "cpus")));
	esc(f, qd_str(host, "kernel", "?"));
	if (json_object_get_boolean(json_object_object_get(host, "nested")))
		fputs(", itself a virtual machine", f);
	if (qd_str(host, "kvm_module", NULL)) {
		fputs(", KVM module ", f);
		esc(f, qd_str(host, "kvm_module", ""));
	}
	fprintf(f, " — %.1f s</p>\n<p class=\"meta\">Reproduce with:</p><code class=\"cmd\">",
		json_object_get_double(json_object_object_get(doc, "duration_ms")) / 1000);
	esc(f, qd_str(doc, "command", "?"));
	fputs("</code>\n", f);
}

static void machines_text(FILE *f, json_object *t)
{
	json_object *machines;
	bool first = true;

	if (!json_object_object_get_ex(t, "machines", &machines) ||
	    !json_object_object_length(machines)) {
		esc(f, qd_str(t, "machine", "each scenario's (pc by default)"));
		return;
	}
	json_object_object_foreach(machines, alias, name)
	{
		if (qd_str(t, "machine", NULL) && strcmp(alias, qd_str(t, "machine", "")))
			continue;
		fputs(first ? "" : ", ", f);
		esc(f, alias);
		fputs(" → ", f);
		esc(f, json_object_get_string(name));
		first = false;
	}
	if (!qd_str(t, "machine", NULL))
		fputs(" (each scenario's; pc by default)", f);
}

static void cards(FILE *f, json_object *doc, json_object *targets)
{
	static const char *const outcomes[] = {"pass", "fail", "crash", "error", "skip", NULL};
	json_object *summary = json_object_object_get(doc, "summary");

	fputs("<h2 id=\"columns\">QEMUs</h2>\n<div class=\"cards\">\n", f);
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		json_object *t = json_object_array_get_idx(targets, i), *c, *files;
		int total = 0;

		c = json_object_object_get(summary, qd_str(t, "id", ""));
		for (const char *const *o = outcomes; *o; o++)
			total += json_object_get_int(json_object_object_get(c, *o));
		fputs("<div class=\"card\"><h3>", f);
		esc(f, qd_str(t, "id", "?"));
		fputs(" · ", f);
		esc(f, qd_str(t, "label", "?"));
		fputs("</h3><dl><dt>package</dt><dd>", f);
		esc(f, qd_str(t, "package", "–"));
		fputs("</dd><dt>binary</dt><dd><code>", f);
		esc(f, qd_str(t, "path", "?"));
		fputs("</code></dd><dt>machine</dt><dd>", f);
		machines_text(f, t);
		fputs("</dd><dt>QEMU level</dt><dd>", f);
		esc(f, qd_str(t, "accel", "?"));
		fputs(" — ", f);
		esc(f, qd_str(t, "accel_reason", ""));
		fputs("</dd><dt>guests</dt><dd>", f);
		if (qd_str(t, "guest_accel", NULL)) {
			esc(f, qd_str(t, "guest_accel", ""));
			fputs(" — ", f);
			esc(f, qd_str(t, "guest_accel_reason", ""));
		} else {
			esc(f, qd_str(t, "guest_unavailable", "no guest-level scenario ran"));
		}
		fputs("</dd>", f);
		if (json_object_object_get_ex(t, "foreign_files", &files) && files &&
		    json_object_array_length(files)) {
			fputs(
			    "<dt class=\"warn\">mixed</dt><dd class=\"warn\">maps files of another "
			    "QEMU: ",
			    f);
			for (size_t k = 0; k < json_object_array_length(files); k++) {
				fputs(k ? ", <code>" : "<code>", f);
				esc(f, json_object_get_string(json_object_array_get_idx(files, k)));
				fputs("</code>", f);
			}
			fputs("</dd>", f);
		}
		if (qd_str(t, "probe_error", NULL)) {
			fputs("<dt class=\"warn\">probe</dt><dd class=\"warn\">", f);
			esc(f, qd_str(t, "probe_error", ""));
			fputs("</dd>", f);
		}
		fputs("</dl><div class=\"bar\">", f);
		for (const char *const *o = outcomes; *o && total; o++) {
			int n = json_object_get_int(json_object_object_get(c, *o));

			if (n)
				fprintf(f,
					"<span style=\"width:%.2f%%;background:%s\" title=\"%d "
					"%s\"></span>",
					100.0 * n / total, color_var(*o), n, *o);
		}
		fputs("</div><p class=\"counts\">", f);
		for (const char *const *o = outcomes; *o; o++)
			fprintf(f, "%s%d %s", o == outcomes ? "" : " · ",
				json_object_get_int(json_object_object_get(c, *o)), *o);
		fputs("</p></div>\n", f);
	}
	fputs("</div>\n", f);
}

static void svg_matrix(FILE *f, json_object *doc, json_object *targets, json_object *names)
{
	size_t ncols = json_object_array_length(targets), nrows = json_object_array_length(names);
	int width = LABEL_W + (int)ncols * COL_W + 10, height = HEAD_H + (int)nrows * ROW_H + 10;

	fputs("<h2 id=\"matrix\">Scenarios × QEMUs</h2>\n<div class=\"legend\">"
	      "<span><i style=\"background:var(--pass)\"></i>pass</span>"
	      "<span><i style=\"background:var(--fail)\"></i>fail</span>"
	      "<span><i style=\"background:var(--crash)\"></i>QEMU crashed</span>"
	      "<span><i style=\"background:var(--error)\"></i>error (could not run)</span>"
	      "<span><i style=\"background:var(--skip)\"></i>skipped: not applicable (reason on "
	      "hover)</span><span><i style=\"background:repeating-linear-gradient(45deg,#777 0 3px,"
	      "#fff 3px 6px)\"></i>known issue (still shown)</span>"
	      "<span>click a cell for its details</span></div>\n<div class=\"matrix\">",
	      f);
	fprintf(
	    f,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 "
	    "%d %d\" role=\"img\" aria-label=\"scenario by QEMU matrix\"><defs><pattern "
	    "id=\"known\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
	    "patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" "
	    "fill=\"rgba(255,255,255,.45)\"/></pattern></defs>\n",
	    width, height, width, height);
	for (size_t i = 0; i < ncols; i++) {
		json_object *t = json_object_array_get_idx(targets, i);
		int x = LABEL_W + (int)i * COL_W + COL_W / 2;
		char *m = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&m, &len);

		if (mf) {
			json_object *machines;

			if (qd_str(t, "machine", NULL))
				fputs(qd_str(t, "machine", ""), mf);
			else if (json_object_object_get_ex(t, "machines", &machines) &&
				 json_object_object_get_ex(machines, "pc", &machines))
				fputs(json_object_get_string(machines), mf);
			else
				fputs("pc", mf);
			fclose(mf);
		}
		fprintf(f, "<text class=\"colhead\" x=\"%d\" y=\"22\" text-anchor=\"middle\">", x);
		esc(f, qd_str(t, "label", "?"));
		fprintf(f,
			"</text><text class=\"colsub\" x=\"%d\" y=\"40\" text-anchor=\"middle\">",
			x);
		esc(f, m ? m : "");
		fprintf(f,
			"</text><text class=\"colsub\" x=\"%d\" y=\"56\" text-anchor=\"middle\">",
			x);
		esc(f, qd_str(t, "accel", "?"));
		if (qd_str(t, "guest_accel", NULL)) {
			fputs(" · guests ", f);
			esc(f, qd_str(t, "guest_accel", ""));
		}
		fprintf(f,
			"</text><text class=\"colsub\" x=\"%d\" y=\"72\" text-anchor=\"middle\">",
			x);
		esc(f, qd_str(t, "id", ""));
		fputs("</text>\n", f);
		free(m);
	}
	for (size_t k = 0; k < nrows; k++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, k));
		int y = HEAD_H + (int)k * ROW_H;
		json_object *any = NULL;

		for (size_t i = 0; i < ncols && !any; i++)
			any = qd_results_find(
			    doc, name, qd_str(json_object_array_get_idx(targets, i), "id", ""));
		if (k % 2)
			fprintf(
			    f,
			    "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f6f8fb\"/>",
			    y, width, ROW_H);
		fprintf(f, "<a href=\"#");
		anchor(f, "s", name, NULL);
		fprintf(f, "\"><text class=\"name\" x=\"8\" y=\"%d\">", y + ROW_H - 7);
		esc(f, name);
		fprintf(f,
			"</text></a><text class=\"level\" x=\"%d\" y=\"%d\" text-anchor=\"end\">",
			LABEL_W - 10, y + ROW_H - 7);
		esc(f, qd_str(any, "level", ""));
		fputs("</text>\n", f);
		for (size_t i = 0; i < ncols; i++) {
			const char *tid = qd_str(json_object_array_get_idx(targets, i), "id", "");
			json_object *r = qd_results_find(doc, name, tid);
			const char *o = qd_str(r, "outcome", NULL);
			int x = LABEL_W + (int)i * COL_W;

			if (!o)
				continue;
			fputs("<a href=\"#", f);
			if (!strcmp(o, "pass"))
				anchor(f, "s", name, NULL);
			else
				anchor(f, "d", name, tid);
			fprintf(f,
				"\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" "
				"fill=\"%s\"><title>",
				x + CELL_PAD, y + 2, COL_W - 2 * CELL_PAD, ROW_H - 4, color_var(o));
			esc(f, name);
			fputs(" on ", f);
			esc(f, qd_str(json_object_array_get_idx(targets, i), "label", "?"));
			fputs(": ", f);
			esc(f, o);
			if (qd_str(r, "reason", NULL)) {
				fputs(" — ", f);
				esc(f, qd_str(r, "reason", ""));
			}
			if (qd_str(r, "known", NULL)) {
				fputs(" [known: ", f);
				esc(f, qd_str(r, "known", ""));
				fputs("]", f);
			}
			fputs("</title></rect>", f);
			if (qd_str(r, "known", NULL))
				fprintf(
				    f,
				    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" "
				    "fill=\"url(#known)\" pointer-events=\"none\"/>",
				    x + CELL_PAD, y + 2, COL_W - 2 * CELL_PAD, ROW_H - 4);
			fprintf(f,
				"<text class=\"glyph\" x=\"%d\" y=\"%d\" "
				"text-anchor=\"middle\">%s%s</text>"
				"</a>\n",
				x + COL_W / 2, y + ROW_H - 7, glyph(o),
				qd_str(r, "known", NULL) ? " known" : "");
		}
	}
	fputs("</svg></div>\n", f);
}

/*
 * A variant of a finding: the first one in full (folded), the others as the
 * places where they differ from it; outcome variants are one word.
 */
static void variant_value(FILE *f, json_object *v, bool first)
{
	json_object *diff;

	if (!json_object_object_get_ex(v, "observed", NULL)) {
		fputs("<b>", f);
		esc(f, qd_str(v, "value", ""));
		fputs("</b>", f);
		return;
	}
	if (!first && json_object_object_get_ex(v, "diff", &diff) && diff &&
	    json_object_array_length(diff)) {
		for (size_t i = 0; i < json_object_array_length(diff); i++) {
			fputs(i ? "<br><code>" : "<code>", f);
			esc(f, json_object_get_string(json_object_array_get_idx(diff, i)));
			fputs("</code>", f);
		}
		return;
	}
	fputs(first ? "<details><summary>what they observed (the reference)</summary><code>"
		    : "<details><summary>what they observed</summary><code>",
	      f);
	esc(f, qd_str(v, "value", ""));
	fputs("</code></details>", f);
}

static void findings(FILE *f, json_object *doc)
{
	json_object *list = json_object_object_get(doc, "findings");

	fprintf(f, "<h2 id=\"findings\">Differences between QEMUs (%zu)</h2>\n",
		json_object_array_length(list));
	if (!json_object_array_length(list))
		fputs("<p>None: every QEMU behaved the same in every scenario it ran.</p>\n", f);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *x = json_object_array_get_idx(list, i), *variants;

		fprintf(f, "<div class=\"finding\" id=\"f-%zu\"><span class=\"badge b-", i + 1);
		esc(f, qd_str(x, "kind", "?"));
		fputs("\">", f);
		esc(f, qd_str(x, "kind", "?"));
		fputs("</span>", f);
		if (qd_str(x, "scenario", NULL)) {
			fputs("<a href=\"#", f);
			anchor(f, "s", qd_str(x, "scenario", ""), NULL);
			fputs("\"><code>", f);
			esc(f, qd_str(x, "scenario", ""));
			fputs("</code></a> ", f);
		}
		if (json_object_object_get(x, "step")) {
			fprintf(f, "step %d (<code>",
				json_object_get_int(json_object_object_get(x, "step")));
			esc(f, qd_str(x, "label", ""));
			fputs("</code>) differs", f);
		} else if (!json_object_object_get_ex(x, "variants", &variants)) {
			esc(f, qd_str(x, "summary", ""));
		} else if (!strcmp(qd_str(x, "kind", ""), "crash")) {
			fputs("QEMU crashed", f);
		} else if (!strcmp(qd_str(x, "kind", ""), "outcome")) {
			fputs("outcome differs", f);
		} else {
			fputs("the events seen over the scenario differ", f);
		}
		if (json_object_object_get_ex(x, "variants", &variants)) {
			fputs("<table>", f);
			for (size_t k = 0; k < json_object_array_length(variants); k++) {
				json_object *v = json_object_array_get_idx(variants, k), *ids;

				fputs("<tr><td>", f);
				json_object_object_get_ex(v, "targets", &ids);
				for (size_t j = 0; j < json_object_array_length(ids); j++) {
					const char *tid = json_object_get_string(
					    json_object_array_get_idx(ids, j));

					fputs(j ? ", " : "", f);
					esc(f, qd_str(qd_results_target(doc, tid), "label", tid));
				}
				fputs("</td><td>", f);
				variant_value(f, v, k == 0);
				fputs("</td></tr>", f);
			}
			fputs("</table>", f);
		}
		fputs("</div>\n", f);
	}
}

static void pre(FILE *f, const char *title, json_object *lines)
{
	if (!lines || !json_object_array_length(lines))
		return;
	fputs("<p><b>", f);
	esc(f, title);
	fputs("</b></p><pre>", f);
	for (size_t i = 0; i < json_object_array_length(lines); i++) {
		esc(f, json_object_get_string(json_object_array_get_idx(lines, i)));
		fputc('\n', f);
	}
	fputs("</pre>", f);
}

static void steps_table(FILE *f, json_object *r)
{
	json_object *steps = json_object_object_get(r, "steps");

	if (!steps || !json_object_array_length(steps))
		return;
	fputs("<table class=\"steps\"><tr><th>#</th><th>step</th><th>outcome</th><th>ms</th>"
	      "<th>observed</th></tr>",
	      f);
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		json_object *s = json_object_array_get_idx(steps, i), *obs;
		const char *o = qd_str(s, "outcome", "?");

		fprintf(f, "<tr><td>%zu</td><td><code>", i + 1);
		esc(f, qd_str(s, "label", "?"));
		fputs("</code></td><td class=\"o-", f);
		esc(f, o);
		fputs("\">", f);
		esc(f, o);
		fprintf(f, "</td><td>%d</td><td><code>",
			json_object_get_int(json_object_object_get(s, "duration_ms")));
		if (json_object_object_get_ex(s, "observed", &obs))
			esc(f, json_object_to_json_string_ext(
				   obs, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		else if (qd_str(s, "reason", NULL))
			esc(f, qd_str(s, "reason", ""));
		fputs("</code></td></tr>", f);
	}
	fputs("</table>", f);
}

static void details(FILE *f, json_object *doc)
{
	json_object *results = json_object_object_get(doc, "results");
	bool any = false;

	fputs("<h2 id=\"failures\">Failures, crashes and errors</h2>\n", f);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i), *step, *v;
		const char *o = qd_str(r, "outcome", "error");
		const char *tid = qd_str(r, "target", "");

		if (!strcmp(o, "pass") || !strcmp(o, "skip"))
			continue;
		any = true;
		fputs("<details open id=\"", f);
		anchor(f, "d", qd_str(r, "scenario", "?"), tid);
		fprintf(f, "\"><summary><span class=\"badge b-%s\">%s</span>", o, o);
		if (qd_str(r, "known", NULL))
			fputs("<span class=\"badge b-known\">known issue</span>", f);
		fputs("<code>", f);
		esc(f, qd_str(r, "scenario", "?"));
		fputs("</code> on ", f);
		esc(f, qd_str(qd_results_target(doc, tid), "label", tid));
		fputs(" — ", f);
		esc(f, qd_str(r, "reason", ""));
		fputs("</summary>", f);
		if (qd_str(r, "description", NULL)) {
			fputs("<p><i>", f);
			esc(f, qd_str(r, "description", ""));
			fputs("</i></p>", f);
		}
		if (qd_str(r, "known", NULL)) {
			fputs("<p><b>Known:</b> ", f);
			esc(f, qd_str(r, "known", ""));
			fputs("</p>", f);
		}
		fputs("<p>file <code>", f);
		esc(f, qd_str(r, "file", "?"));
		fputs("</code></p>", f);
		step = report_failed_step(r);
		if (step && json_object_object_get_ex(step, "failures", &v)) {
			fputs("<ul class=\"fail\">", f);
			for (size_t k = 0; k < json_object_array_length(v); k++) {
				fputs("<li>", f);
				esc(f, json_object_get_string(json_object_array_get_idx(v, k)));
				fputs("</li>", f);
			}
			fputs("</ul>", f);
		}
		pre(f, "QMP of the failed step", report_failure_excerpt(r));
		pre(f, "QEMU's log (last lines)", json_object_object_get(r, "qemu_log"));
		pre(f, "Guest console (last lines)", json_object_object_get(r, "console"));
		steps_table(f, r);
		fputs("</details>\n", f);
	}
	if (!any)
		fputs("<p>None.</p>\n", f);
}

static void skipped(FILE *f, json_object *doc)
{
	json_object *results = json_object_object_get(doc, "results");
	bool any = false;

	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		const char *tid = qd_str(r, "target", "");

		if (strcmp(qd_str(r, "outcome", ""), "skip"))
			continue;
		if (!any)
			fputs(
			    "<h2 id=\"skipped\">Skipped: not applicable</h2>\n<ul class=\"scen\">",
			    f);
		any = true;
		fputs("<li id=\"", f);
		anchor(f, "d", qd_str(r, "scenario", "?"), tid);
		fputs("\"><code>", f);
		esc(f, qd_str(r, "scenario", "?"));
		fputs("</code> on ", f);
		esc(f, qd_str(qd_results_target(doc, tid), "label", tid));
		fputs(": ", f);
		esc(f, qd_str(r, "reason", ""));
		fputs("</li>", f);
	}
	if (any)
		fputs("</ul>\n", f);
}

static void scenarios(FILE *f, json_object *doc, json_object *names, json_object *targets)
{
	fputs("<h2 id=\"scenarios\">Scenarios</h2>\n<ul class=\"scen\">", f);
	for (size_t k = 0; k < json_object_array_length(names); k++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, k));
		json_object *any = NULL, *tags;

		for (size_t i = 0; i < json_object_array_length(targets) && !any; i++)
			any = qd_results_find(
			    doc, name, qd_str(json_object_array_get_idx(targets, i), "id", ""));
		fputs("<li id=\"", f);
		anchor(f, "s", name, NULL);
		fputs("\"><code>", f);
		esc(f, name);
		fputs("</code> <span class=\"lvl\">", f);
		esc(f, qd_str(any, "level", ""));
		if (json_object_object_get_ex(any, "tags", &tags) && tags) {
			for (size_t t = 0; t < json_object_array_length(tags); t++) {
				fputs(" #", f);
				esc(f, json_object_get_string(json_object_array_get_idx(tags, t)));
			}
		}
		fputs("</span> — ", f);
		esc(f, qd_str(any, "description", ""));
		fputs("</li>", f);
	}
	fputs("</ul>\n", f);
}

int report_html(json_object *doc, const char *path, char **why)
{
	json_object *targets = json_object_object_get(doc, "targets"), *names;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f)
		return -ENOMEM;
	names = qd_results_scenarios(doc);
	head(f, doc);
	cards(f, doc, targets);
	svg_matrix(f, doc, targets, names);
	findings(f, doc);
	details(f, doc);
	skipped(f, doc);
	scenarios(f, doc, names, targets);
	fputs("</main></body></html>\n", f);
	fclose(f);
	json_object_put(names);
	r = text ? qd_write_text(path, text, why) : -ENOMEM;
	free(text);
	return r;
}
