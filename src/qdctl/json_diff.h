/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json_diff.h - where two JSON values differ */
#ifndef QDCTL_JSON_DIFF_H
#define QDCTL_JSON_DIFF_H

#include <json-c/json.h>

/**
 * qd_json_diff() - list where @b differs from @a
 * @a, @b: the values (NULL means absent)
 * @path:  the path of @a and @b so far ("" at the top)
 * @out:   an array; gets one "path: A → B" string per difference (values shortened)
 * @max:   stop after this many lines in @out
 */
void qd_json_diff(json_object *a, json_object *b, const char *path, json_object *out, int max);

#endif
