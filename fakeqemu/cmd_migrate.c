/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmd_migrate.c - migration settings: capabilities and parameters (migration.c migrates) */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fakeqemu.h"
#include "migration.h"
#include "qomdata.h"
#include "schema.h"
#include "since.h"

static json_object *caps;   /* capability -> bool, set so far */
static json_object *params; /* the current parameters */

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* The MigrationCapability enum's values, in schema order: query-migrate-capabilities' order. */
static json_object *capability_names(void)
{
	const char *at = str_of(fq_schema_entity("migrate-set-capabilities"), "arg-type");
	json_object *args = at ? fq_schema_entity(at) : NULL, *members, *list, *elem, *em;

	members = args ? json_object_object_get(args, "members") : NULL;
	list = members ? fq_schema_entity(str_of(json_object_array_get_idx(members, 0), "type"))
		       : NULL;
	elem = list ? fq_schema_entity(str_of(list, "element-type")) : NULL;
	em = elem ? json_object_object_get(elem, "members") : NULL;
	for (size_t i = 0; em && i < json_object_array_length(em); i++) {
		json_object *m = json_object_array_get_idx(em, i);

		if (!strcmp(str_of(m, "name"), "capability")) {
			json_object *e = fq_schema_entity(str_of(m, "type"));

			return e ? json_object_object_get(e, "values") : NULL;
		}
	}
	return NULL;
}

void fq_cmd_query_migrate_capabilities(json_object *args, struct fq_reply *r)
{
	json_object *names = capability_names(), *list = json_object_new_array(), *v;

	(void)args;
	for (size_t i = 0; names && i < json_object_array_length(names); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, i));
		json_object *e = json_object_new_object();
		bool on =
		    caps && json_object_object_get_ex(caps, name, &v) && json_object_get_boolean(v);

		json_object_object_add(e, "capability", json_object_new_string(name));
		json_object_object_add(e, "state", json_object_new_boolean(on));
		json_object_array_add(list, e);
	}
	r->ret = list;
}

bool fq_migrate_capability(const char *name)
{
	json_object *v;

	return caps && json_object_object_get_ex(caps, name, &v) && json_object_get_boolean(v);
}

void fq_cmd_migrate_set_capabilities(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_object_get(args, "capabilities");

	(void)r;
	if (!caps)
		caps = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i);

		json_object_object_add(caps, str_of(e, "capability"),
				       json_object_get(json_object_object_get(e, "state")));
	}
}

static json_object *current_params(void)
{
	/* A fresh QEMU's parameters, as recorded (the same for every machine). */
	if (!params)
		params = fq_rec_parse(fq_data_recorded_reply("query-migrate-parameters"));
	if (!params)
		params = json_object_new_object();
	return params;
}

void fq_cmd_query_migrate_parameters(json_object *args, struct fq_reply *r)
{
	const char *rt = str_of(fq_schema_entity("query-migrate-parameters"), "ret-type");
	json_object *t = rt ? fq_schema_entity(rt) : NULL, *p = current_params(), *out, *v;
	json_object *members = t ? json_object_object_get(t, "members") : NULL;

	(void)args;
	/* Built member by member in schema order, as the QAPI output visitor does. */
	out = json_object_new_object();
	for (size_t i = 0; members && i < json_object_array_length(members); i++) {
		const char *name = str_of(json_object_array_get_idx(members, i), "name");

		if (json_object_object_get_ex(p, name, &v))
			json_object_object_add(out, name, json_object_get(v));
	}
	r->ret = out;
}

void fq_cmd_migrate_set_parameters(json_object *args, struct fq_reply *r)
{
	json_object *p = current_params();

	(void)r;
	json_object_object_foreach(args, key, val)
	{
		/* The "StrOrNull" tls-* members: null means "". */
		if (json_object_is_type(val, json_type_null))
			json_object_object_add(p, key, json_object_new_string(""));
		else
			json_object_object_add(p, key, json_object_get(val));
	}
}
