/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report_common.c - what every report needs: escaping, the failed step, a column's title */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "results.h"

void report_escape_xml(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		case '\n':
		case '\t':
			fputc(*p, f);
			break;
		default:
			/* XML 1.0 allows no other control characters, not even escaped. */
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
}

json_object *report_failed_step(json_object *result)
{
	json_object *steps;

	if (!json_object_object_get_ex(result, "steps", &steps))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		json_object *s = json_object_array_get_idx(steps, i);

		if (!strcmp(qd_str(s, "outcome", ""), "fail"))
			return s;
	}
	return NULL;
}

json_object *report_failure_excerpt(json_object *result)
{
	json_object *s = report_failed_step(result), *qmp;

	return s && json_object_object_get_ex(s, "qmp", &qmp) ? qmp : NULL;
}

char *report_target_title(json_object *t)
{
	json_object *machines;
	const char *machine = qd_str(t, "machine", NULL);
	char *s = NULL, *m = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&m, &len);

	if (f) {
		if (json_object_object_get_ex(t, "machines", &machines) &&
		    json_object_object_length(machines)) {
			bool first = true;

			json_object_object_foreach(machines, alias, name)
			{
				if (machine && strcmp(alias, machine))
					continue;
				fprintf(f, "%s%s=%s", first ? "" : ", ", alias,
					json_object_get_string(name));
				first = false;
			}
		} else {
			fputs(machine ? machine : "pc (default)", f);
		}
		fclose(f);
	}
	if (asprintf(&s, "%s — machine %s — accel %s%s%s", qd_str(t, "label", "?"), m ? m : "?",
		     qd_str(t, "accel", "?"), qd_str(t, "guest_accel", NULL) ? ", guest " : "",
		     qd_str(t, "guest_accel", "")) < 0)
		s = NULL;
	free(m);
	return s;
}

int report_json(json_object *doc, const char *path, char **why)
{
	const char *text =
	    json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE);
	char *with_nl;
	int r;

	if (asprintf(&with_nl, "%s\n", text) < 0)
		return -12;
	r = qd_write_text(path, with_nl, why);
	free(with_nl);
	return r;
}

int report_write_all(json_object *doc, const char *junit, const char *markdown, const char *html,
		     const char *json, char **why)
{
	int r = 0;

	*why = NULL;
	if (junit)
		r = report_junit(doc, junit, why);
	if (r == 0 && markdown)
		r = report_markdown(doc, markdown, why);
	if (r == 0 && html)
		r = report_html(doc, html, why);
	if (r == 0 && json)
		r = report_json(doc, json, why);
	return r;
}
