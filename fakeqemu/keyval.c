/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keyval.c - command-line "key=value" options as typed QAPI arguments (see keyval.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyval.h"
#include "numparse.h"
#include "schema.h"

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

const char *fq_command_arg_type(const char *command)
{
	json_object *e = fq_schema_entity(command);

	return e ? str_of(e, "arg-type") : NULL;
}

/* "a.b.c" -> nested objects; a key seen again turns its value into a list. */
static void tree_add(json_object *root, const char *key, const char *value)
{
	char *k = strdup(key), *part = k, *dot;
	json_object *parent = root, *cur;

	if (!k)
		abort();
	while ((dot = strchr(part, '.'))) {
		*dot = '\0';
		if (!json_object_object_get_ex(parent, part, &cur) ||
		    !json_object_is_type(cur, json_type_object)) {
			cur = json_object_new_object();
			json_object_object_add(parent, part, cur);
		}
		parent = cur;
		part = dot + 1;
	}
	if (json_object_object_get_ex(parent, part, &cur)) {
		if (!json_object_is_type(cur, json_type_array)) {
			json_object *list = json_object_new_array();

			json_object_array_add(list, json_object_get(cur));
			json_object_object_add(parent, part, list);
			cur = list;
		}
		json_object_array_add(cur, json_object_new_string(value));
	} else {
		json_object_object_add(parent, part, json_object_new_string(value));
	}
	free(k);
}

static json_object *convert(json_object *value, const char *type);

/* The member list of an object type, with the variant the tag selects. */
static const char *member_type(json_object *type_e, json_object *tree, const char *name)
{
	json_object *members = json_object_object_get(type_e, "members");
	const char *tag = str_of(type_e, "tag");
	size_t n = json_object_array_length(members);

	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(members, i);

		if (!strcmp(str_of(m, "name"), name))
			return str_of(m, "type");
	}
	if (tag) {
		const char *tv = str_of(tree, tag);
		json_object *variants = json_object_object_get(type_e, "variants");

		for (size_t i = 0; tv && i < json_object_array_length(variants); i++) {
			json_object *v = json_object_array_get_idx(variants, i);

			if (!strcmp(str_of(v, "case"), tv)) {
				json_object *ve = fq_schema_entity(str_of(v, "type"));

				return ve ? member_type(ve, tree, name) : NULL;
			}
		}
	}
	return NULL;
}

static json_object *convert_scalar(const char *s, const char *json_type)
{
	char *end;

	if (!strcmp(json_type, "int")) {
		long long v;

		errno = 0;
		v = strtoll(s, &end, 0);
		if (!errno && end != s && !*end)
			return json_object_new_int64(v);
		/* Sizes (1G, 512M) are integers too. */
		{
			uint64_t size;

			if (fq_strtosz(s, &size, NULL) == 0 && size <= INT64_MAX)
				return json_object_new_int64((long long)size);
		}
	} else if (!strcmp(json_type, "boolean")) {
		if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true"))
			return json_object_new_boolean(1);
		if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false"))
			return json_object_new_boolean(0);
	} else if (!strcmp(json_type, "number")) {
		double d = strtod(s, &end);

		if (end != s && !*end)
			return json_object_new_double(d);
	}
	return json_object_new_string(s);
}

static json_object *convert(json_object *value, const char *type)
{
	json_object *e = type ? fq_schema_entity(type) : NULL;
	const char *meta = e ? str_of(e, "meta-type") : NULL;

	if (!meta)
		return json_object_get(value);
	if (!strcmp(meta, "builtin")) {
		if (!json_object_is_type(value, json_type_string))
			return json_object_get(value);
		return convert_scalar(json_object_get_string(value), str_of(e, "json-type"));
	}
	if (!strcmp(meta, "array")) {
		const char *et = str_of(e, "element-type");
		json_object *list = json_object_new_array();

		if (json_object_is_type(value, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(value); i++)
				json_object_array_add(
				    list, convert(json_object_array_get_idx(value, i), et));
		} else if (json_object_is_type(value, json_type_object)) {
			/* keyval lists: "key.0", "key.1", ... */
			for (int i = 0;; i++) {
				char idx[16];
				json_object *el;

				snprintf(idx, sizeof(idx), "%d", i);
				if (!json_object_object_get_ex(value, idx, &el))
					break;
				json_object_array_add(list, convert(el, et));
			}
		} else {
			json_object_array_add(list, convert(value, et));
		}
		return list;
	}
	if (!strcmp(meta, "object")) {
		json_object *out = json_object_new_object();

		if (json_object_is_type(value, json_type_string)) {
			/* A String wrapper ({"str": ...}) given as a plain string. */
			json_object *members = json_object_object_get(e, "members");

			if (json_object_array_length(members) == 1) {
				json_object *m = json_object_array_get_idx(members, 0);

				json_object_object_add(out, str_of(m, "name"),
						       convert(value, str_of(m, "type")));
				return out;
			}
			json_object_put(out);
			return json_object_get(value);
		}
		if (!json_object_is_type(value, json_type_object)) {
			json_object_put(out);
			return json_object_get(value);
		}
		json_object_object_foreach(value, key, v)
		{
			json_object_object_add(out, key, convert(v, member_type(e, value, key)));
		}
		return out;
	}
	return json_object_get(value);
}

json_object *fq_keyval_typed(const struct fq_opts *o, const char *type)
{
	json_object *tree = json_object_new_object(), *out;

	for (size_t i = 0; i < o->n; i++)
		tree_add(tree, o->items[i].key, o->items[i].value);
	out = convert(tree, type);
	json_object_put(tree);
	return out;
}
