/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* props.c - device properties as QemuOpts turns them into strings, and typed reads of them */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeqemu.h"
#include "props.h"

const char *fq_prop_str(json_object *props, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(props, name, &v) || !v)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
		return json_object_get_string(v);
	case json_type_boolean:
		return json_object_get_boolean(v) ? "on" : "off";
	default:
		return NULL;
	}
}

bool fq_prop_int(json_object *props, const char *driver, const char *name, long long *out,
		 struct fq_reply *r)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;
	bool is_signed = strstr(name, "-id") != NULL;
	json_object *v;
	const char *text;
	char *end;
	long long n;

	(void)driver;
	if (!json_object_object_get_ex(props, name, &v) || !v)
		return true;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return true;
	}
	if (d->strict_device_props && is_signed) {
		/* 10.0 visits device_add arguments as typed JSON. */
		fq_reply_error(r, "GenericError", "Invalid parameter type for '%s', expected: integer",
			       name);
		return false;
	}
	text = fq_prop_str(props, name);
	errno = 0;
	n = text ? strtoll(text, &end, 0) : 0;
	if (!text || errno || end == text || *end) {
		if (d->old_errors || (d->strict_device_props && !is_signed))
			fq_reply_error(r, "GenericError", "Parameter '%s' expects %s", name,
				       is_signed && d->old_errors ? "int64" : "uint64");
		else
			fq_reply_error(r, "GenericError", "Parameter '%s' expects integer", name);
		return false;
	}
	*out = n;
	return true;
}
