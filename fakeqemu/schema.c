/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schema.c - check command arguments against the QAPI schema the real binary reports */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeqemu.h"
#include "ghash.h"
#include "qjson.h"
#include "schema.h"
#include "strbuf.h"

/*
 * The checks and messages follow QEMU's qobject-input-visitor as driven by
 * the generated marshallers: members are visited in schema order (missing
 * and mistyped members fail first), then leftovers are "unexpected". Error
 * names are "full names" (file.filename, enable[0]), except for enum values,
 * which use the bare member name or "null" inside a list, as QEMU does.
 */

static json_object *cache; /* name -> parsed entity, for the entities used so far */

static json_object *parse_entity(const struct fq_dialect *d, size_t i)
{
	const struct fq_schema_entity *e = &d->data->entities[i];
	struct json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, d->data->schema + e->offset, (int)e->length);

	json_tokener_free(tok);
	if (!o)
		fq_die("internal error: schema entity %s of %s does not parse", e->name, d->name);
	return o;
}

/* The entity called @name, parsed on first use (binary search of the index). */
static json_object *entity(const char *name)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;
	size_t lo = 0, hi = d->data->nentities;
	json_object *e;

	if (!cache)
		cache = json_object_new_object();
	if (json_object_object_get_ex(cache, name, &e))
		return e;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(d->data->entities[d->data->sorted[mid]].name, name);

		if (c == 0) {
			e = parse_entity(d, d->data->sorted[mid]);
			json_object_object_add(cache, name, e);
			return e;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The raw-JSON marker fq_json_to_qemu_string() copies verbatim. */
json_object *fq_schema_reply(void)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;
	struct strbuf b = {0};
	json_object *o = json_object_new_string("");

	/* One entity at a time: the whole tree never exists at once. */
	strbuf_addc(&b, '[');
	for (size_t i = 0; i < d->data->nentities; i++) {
		json_object *e = parse_entity(d, i);
		char *text = fq_json_to_qemu_string(e);

		if (i)
			strbuf_adds(&b, ", ");
		strbuf_adds(&b, text);
		free(text);
		json_object_put(e);
	}
	strbuf_addc(&b, ']');
	fq_json_set_raw(o, strbuf_steal(&b));
	return o;
}

void fq_schema_foreach(void (*fn)(json_object *entity, void *opaque), void *opaque)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;

	for (size_t i = 0; i < d->data->nentities; i++) {
		json_object *e = parse_entity(d, i);

		fn(e, opaque);
		json_object_put(e);
	}
}

static const char *member_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

bool fq_schema_command(const char *name, bool *allow_oob)
{
	json_object *e = entity(name), *oob;
	const char *meta = e ? member_str(e, "meta-type") : NULL;

	if (!meta || strcmp(meta, "command") != 0)
		return false;
	if (allow_oob)
		*allow_oob =
		    json_object_object_get_ex(e, "allow-oob", &oob) && json_object_get_boolean(oob);
	return true;
}

bool fq_schema_event(const char *name)
{
	json_object *e = entity(name);
	const char *meta = e ? member_str(e, "meta-type") : NULL;

	return meta && strcmp(meta, "event") == 0;
}

/* ---- the visitor ---------------------------------------------------------- */

/* One level of the visit: a dict (with its name) or a list (with its index). */
struct frame {
	const char *name; /* NULL for the root and for list elements */
	bool is_list;
	unsigned index; /* list: elements consumed so far */
	struct frame *up;
};

struct visit {
	char *err;
};

static void fail(struct visit *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct visit *v, const char *fmt, ...)
{
	va_list ap;

	if (v->err)
		return;
	va_start(ap, fmt);
	if (vasprintf(&v->err, fmt, ap) < 0)
		abort();
	va_end(ap);
}

/* qobject-input-visitor.c full_name_nth(..., 0) */
static char *full_name(const struct frame *top, const char *name)
{
	struct strbuf b = {0}, tmp = {0};
	char buf[32];

	for (const struct frame *f = top; f; f = f->up) {
		strbuf_reset(&tmp);
		if (!f->is_list) {
			strbuf_addc(&tmp, '.');
			strbuf_adds(&tmp, name ? name : "<anonymous>");
		} else {
			snprintf(buf, sizeof(buf), "[%u]", f->index);
			strbuf_adds(&tmp, buf);
		}
		strbuf_adds(&tmp, strbuf_str(&b));
		strbuf_reset(&b);
		strbuf_adds(&b, strbuf_str(&tmp));
		name = f->name;
	}
	strbuf_free(&tmp);
	if (name) {
		strbuf_reset(&tmp);
		strbuf_adds(&tmp, name);
		strbuf_adds(&tmp, strbuf_str(&b));
		strbuf_free(&b);
		return strbuf_steal(&tmp);
	}
	if (b.len && b.buf[0] == '.') {
		char *s = strdup(b.buf + 1);

		strbuf_free(&b);
		return s;
	}
	if (!b.len) {
		strbuf_free(&b);
		return strdup("<anonymous>");
	}
	return strbuf_steal(&b);
}

static void type_error(struct visit *v, const struct frame *f, const char *name,
		       const char *expected)
{
	char *fn = full_name(f, name);

	fail(v, "Invalid parameter type for '%s', expected: %s", fn, expected);
	free(fn);
}

static void visit_type(struct visit *v, struct frame *f, const char *name, json_object *value,
		       const char *type);

static bool is_int(json_object *o)
{
	return json_object_is_type(o, json_type_int);
}

static void visit_builtin(struct visit *v, struct frame *f, const char *name, json_object *value,
			  const char *json_type)
{
	if (!strcmp(json_type, "string")) {
		if (!json_object_is_type(value, json_type_string))
			type_error(v, f, name, "string");
	} else if (!strcmp(json_type, "int")) {
		if (!is_int(value))
			type_error(v, f, name, "integer");
	} else if (!strcmp(json_type, "number")) {
		if (!is_int(value) && !json_object_is_type(value, json_type_double))
			type_error(v, f, name, "number");
	} else if (!strcmp(json_type, "boolean")) {
		if (!json_object_is_type(value, json_type_boolean))
			type_error(v, f, name, "boolean");
	} else if (!strcmp(json_type, "null")) {
		if (value)
			type_error(v, f, name, "null");
	}
	/* "value" (any) accepts everything */
}

static void visit_enum(struct visit *v, struct frame *f, const char *name, json_object *value,
		       json_object *e)
{
	json_object *values;
	const char *s;
	size_t n;

	if (!json_object_is_type(value, json_type_string)) {
		type_error(v, f, name, "string");
		return;
	}
	s = json_object_get_string(value);
	if (json_object_object_get_ex(e, "values", &values)) {
		n = json_object_array_length(values);
		for (size_t i = 0; i < n; i++)
			if (!strcmp(json_object_get_string(json_object_array_get_idx(values, i)),
				    s))
				return;
	}
	if (fq_vm.cfg.dialect->old_errors)
		fail(v, "Invalid parameter '%s'", s);
	else
		fail(v, "Parameter '%s' does not accept value '%s'", name ? name : "null", s);
}

/* Visit the members of object type @e in @dict, marking each one seen. */
static void visit_members(struct visit *v, struct frame *f, json_object *dict, json_object *e,
			  json_object *seen)
{
	json_object *members, *variants;
	const char *tag;
	size_t n;

	if (json_object_object_get_ex(e, "members", &members)) {
		n = json_object_array_length(members);
		for (size_t i = 0; i < n && !v->err; i++) {
			json_object *m = json_object_array_get_idx(members, i), *val;
			const char *mname = member_str(m, "name");
			bool optional = json_object_object_get_ex(m, "default", NULL);

			if (!json_object_object_get_ex(dict, mname, &val)) {
				if (!optional) {
					char *fn = full_name(f, mname);

					fail(v, "Parameter '%s' is missing", fn);
					free(fn);
				}
				continue;
			}
			json_object_object_add(seen, mname, NULL);
			visit_type(v, f, mname, val, member_str(m, "type"));
		}
	}
	tag = member_str(e, "tag");
	if (!v->err && tag && json_object_object_get_ex(e, "variants", &variants)) {
		json_object *tagval;
		const char *tv;

		if (!json_object_object_get_ex(dict, tag, &tagval))
			return;
		tv = json_object_get_string(tagval);
		n = json_object_array_length(variants);
		for (size_t i = 0; i < n; i++) {
			json_object *var = json_object_array_get_idx(variants, i);

			if (!strcmp(member_str(var, "case"), tv)) {
				json_object *ve = entity(member_str(var, "type"));

				if (ve)
					visit_members(v, f, dict, ve, seen);
				return;
			}
		}
	}
}

/*
 * The member qobject_input_check_struct() calls unexpected: the first key
 * left in its GHashTable once the members in @seen (in visit order) are
 * consumed. NULL when none is left.
 */
static const char *first_unconsumed(json_object *dict, json_object *seen)
{
	size_t n, nseen = 0;
	const char **inserted = fq_qdict_keys(dict, &n);
	const char **removed = calloc((size_t)json_object_object_length(seen) + 1, sizeof(*removed));
	const char *left;

	if (!removed)
		abort();
	json_object_object_foreach(seen, skey, sval)
	{
		(void)sval;
		if (json_object_object_get_ex(dict, skey, NULL))
			removed[nseen++] = skey;
	}
	left = fq_ghash_first_left(inserted, n, removed, nseen);
	free(inserted);
	free(removed);
	return left;
}

static void visit_object(struct visit *v, struct frame *f, const char *name, json_object *value,
			 json_object *e)
{
	struct frame inner = {.name = name, .up = f};
	json_object *seen;

	if (!json_object_is_type(value, json_type_object)) {
		type_error(v, f, name, "object");
		return;
	}
	seen = json_object_new_object();
	visit_members(v, &inner, value, e, seen);
	if (!v->err) {
		const char *left = first_unconsumed(value, seen);

		if (left) {
			char *fn = full_name(&inner, left);

			fail(v, "Parameter '%s' is unexpected", fn);
			free(fn);
		}
	}
	json_object_put(seen);
}

static void visit_array(struct visit *v, struct frame *f, const char *name, json_object *value,
			json_object *e)
{
	struct frame inner = {.name = name, .is_list = true, .up = f};
	const char *elt = member_str(e, "element-type");
	size_t n;

	if (!json_object_is_type(value, json_type_array)) {
		type_error(v, f, name, "array");
		return;
	}
	n = json_object_array_length(value);
	for (size_t i = 0; i < n && !v->err; i++) {
		inner.index = (unsigned)i + 1; /* QEMU counts the element as consumed */
		visit_type(v, &inner, NULL, json_object_array_get_idx(value, i), elt);
	}
}

/* The JSON type an alternate member accepts, from its schema entity. */
static bool alternate_accepts(json_object *me, json_object *value)
{
	const char *meta = member_str(me, "meta-type");
	const char *jt = member_str(me, "json-type");

	if (!strcmp(meta, "builtin")) {
		if (!strcmp(jt, "string"))
			return json_object_is_type(value, json_type_string);
		if (!strcmp(jt, "int"))
			return is_int(value);
		if (!strcmp(jt, "number"))
			return is_int(value) || json_object_is_type(value, json_type_double);
		if (!strcmp(jt, "boolean"))
			return json_object_is_type(value, json_type_boolean);
		if (!strcmp(jt, "null"))
			return value == NULL;
		return true;
	}
	if (!strcmp(meta, "enum"))
		return json_object_is_type(value, json_type_string);
	if (!strcmp(meta, "object"))
		return json_object_is_type(value, json_type_object);
	if (!strcmp(meta, "array"))
		return json_object_is_type(value, json_type_array);
	return false;
}

static void visit_alternate(struct visit *v, struct frame *f, const char *name, json_object *value,
			    json_object *e)
{
	json_object *members;
	size_t n;

	if (json_object_object_get_ex(e, "members", &members)) {
		n = json_object_array_length(members);
		for (size_t i = 0; i < n; i++) {
			const char *t = member_str(json_object_array_get_idx(members, i), "type");
			json_object *me = entity(t);

			if (me && alternate_accepts(me, value)) {
				visit_type(v, f, name, value, t);
				return;
			}
		}
	}
	fail(v, "Invalid parameter type for '%s', expected: %s", name ? name : "null",
	     member_str(e, "name"));
}

static void visit_type(struct visit *v, struct frame *f, const char *name, json_object *value,
		       const char *type)
{
	json_object *e = entity(type);
	const char *meta;

	if (!e || v->err)
		return;
	meta = member_str(e, "meta-type");
	if (!strcmp(meta, "builtin"))
		visit_builtin(v, f, name, value, member_str(e, "json-type"));
	else if (!strcmp(meta, "enum"))
		visit_enum(v, f, name, value, e);
	else if (!strcmp(meta, "object"))
		visit_object(v, f, name, value, e);
	else if (!strcmp(meta, "array"))
		visit_array(v, f, name, value, e);
	else if (!strcmp(meta, "alternate"))
		visit_alternate(v, f, name, value, e);
}

char *fq_schema_check_args(const char *command, json_object *args)
{
	json_object *cmd = entity(command);
	const char *arg_type = cmd ? member_str(cmd, "arg-type") : NULL;
	struct visit v = {0};
	json_object *e = arg_type ? entity(arg_type) : NULL;

	if (!e)
		return NULL;
	/* The root is visited with no name, as a command's arguments are. */
	visit_object(&v, NULL, NULL, args, e);
	return v.err;
}

json_object *fq_schema_entity(const char *name)
{
	return entity(name);
}
