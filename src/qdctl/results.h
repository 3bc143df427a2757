/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* results.h - the results document of a run: targets, results, findings; every report reads it */
#ifndef QDCTL_RESULTS_H
#define QDCTL_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "target.h"

#define QD_RESULTS_FORMAT "qdctl-results/1"

/*
 * The document (docs/scenarios.md, "Results"):
 *   {"format": "qdctl-results/1", "tool", "command", "started", "duration_ms",
 *    "host": {...}, "targets": [target...], "results": [result...],
 *    "summary": {target id: {"pass": N, "fail": N, ...}}, "findings": [...]}
 */

/* qd_results_new() - an empty document for a run of @command (argv joined). */
json_object *qd_results_new(int argc, char **argv);

/* qd_results_add_target() - record a target (refreshed at finish: its guest accel). */
void qd_results_add_target(json_object *doc, const struct sc_target *t);

/* qd_results_add() - append one scenario result (consumed). */
void qd_results_add(json_object *doc, json_object *result);

/* qd_results_finish() - duration, per-target summary, findings. */
void qd_results_finish(json_object *doc, int64_t duration_ms);

/* qd_results_failed() - how many results are fail, crash or error. */
int qd_results_failed(json_object *doc);

/* qd_results_find() - the result of @scenario on @target, or NULL. */
json_object *qd_results_find(json_object *doc, const char *scenario, const char *target);

/* qd_results_target() - the target object with @id, or NULL. */
json_object *qd_results_target(json_object *doc, const char *id);

/* qd_results_scenarios() - scenario names in first-seen order (new array). */
json_object *qd_results_scenarios(json_object *doc);

/*
 * qd_findings() - differences between targets (new array): a scenario whose
 * outcome differs between columns, or whose steps observed different
 * results (error classes, messages, values) on different QEMUs.
 */
json_object *qd_findings(json_object *doc);

/* qd_write_text() - write @text to @path atomically; 0 or -errno with *@why. */
int qd_write_text(const char *path, const char *text, char **why);

/* qd_str() - member @key of @o as a string, or @def. */
const char *qd_str(json_object *o, const char *key, const char *def);

#endif
