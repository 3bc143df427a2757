/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report.h - reports rendered from a results document: JUnit XML, Markdown, HTML */
#ifndef QDCTL_REPORT_H
#define QDCTL_REPORT_H

#include <stdio.h>

#include <json-c/json.h>

/* Each writes @path atomically; 0, or a negative errno with *@why (malloc'd). */

/* report_junit() - one <testsuite> per target, one <testcase> per scenario. */
int report_junit(json_object *doc, const char *path, char **why);

/* report_markdown() - summary, matrix, findings, failures with their QMP excerpt. */
int report_markdown(json_object *doc, const char *path, char **why);

/* report_html() - a self-contained page: the matrix as a picture, details one click away. */
int report_html(json_object *doc, const char *path, char **why);

/* report_json() - the document itself, pretty-printed. */
int report_json(json_object *doc, const char *path, char **why);

/* report_write_all() - each report whose path is given (NULL: not written); as the above. */
int report_write_all(json_object *doc, const char *junit, const char *markdown, const char *html,
		     const char *json, char **why);

/* report_escape_xml() - write @s escaped for XML/HTML text and attributes. */
void report_escape_xml(FILE *f, const char *s);

/* report_failure_excerpt() - the QMP lines of the failed step of @result (array), or NULL. */
json_object *report_failure_excerpt(json_object *result);

/* report_failed_step() - the failed step record of @result, or NULL. */
json_object *report_failed_step(json_object *result);

/* report_target_title() - "QEMU 7.2.22" plus machine and accelerator (malloc'd). */
char *report_target_title(json_object *target);

#endif
