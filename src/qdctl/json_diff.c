/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json_diff.c - where two JSON values differ, as short "path: old → new" lines */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_diff.h"

#define MAX_TEXT 160

static char *short_text(json_object *v)
{
	const char *s = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE)
			  : "(absent)";
	char *out;

	if (strlen(s) <= MAX_TEXT)
		return strdup(s);
	if (asprintf(&out, "%.*s…", MAX_TEXT, s) < 0)
		return NULL;
	return out;
}

static void line(json_object *out, const char *path, json_object *a, json_object *b)
{
	char *ta = short_text(a), *tb = short_text(b), *l;

	if (asprintf(&l, "%s: %s → %s", *path ? path : "(value)", ta ? ta : "?", tb ? tb : "?") >=
	    0) {
		json_object_array_add(out, json_object_new_string(l));
		free(l);
	}
	free(ta);
	free(tb);
}

static bool full(json_object *out, int max)
{
	return (int)json_object_array_length(out) >= max;
}

static bool all_strings(json_object *arr)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!json_object_is_type(json_object_array_get_idx(arr, i), json_type_string))
			return false;
	return true;
}

void qd_json_diff(json_object *a, json_object *b, const char *path, json_object *out, int max)
{
	char sub[512];

	if (full(out, max) || json_object_equal(a, b))
		return;
	if (json_object_is_type(a, json_type_object) && json_object_is_type(b, json_type_object)) {
		json_object_object_foreach(a, key, va)
		{
			json_object *vb = NULL;

			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			if (!json_object_object_get_ex(b, key, &vb))
				line(out, sub, va, NULL);
			else
				qd_json_diff(va, vb, sub, out, max);
			if (full(out, max))
				return;
		}
		json_object_object_foreach(b, key2, vb2)
		{
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key2);
			if (!json_object_object_get_ex(a, key2, NULL))
				line(out, sub, NULL, vb2);
			if (full(out, max))
				return;
		}
		return;
	}
	/* Lists of names (events) read better whole than element by element. */
	if (json_object_is_type(a, json_type_array) && json_object_is_type(b, json_type_array) &&
	    all_strings(a) && all_strings(b)) {
		line(out, path, a, b);
		return;
	}
	if (json_object_is_type(a, json_type_array) && json_object_is_type(b, json_type_array)) {
		size_t na = json_object_array_length(a), nb = json_object_array_length(b);

		for (size_t i = 0; i < (na > nb ? na : nb) && !full(out, max); i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			qd_json_diff(i < na ? json_object_array_get_idx(a, i) : NULL,
				     i < nb ? json_object_array_get_idx(b, i) : NULL, sub, out,
				     max);
		}
		return;
	}
	line(out, path, a, b);
}
