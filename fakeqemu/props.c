/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* props.c - device properties as QemuOpts turns them into strings, and typed reads of them */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeqemu.h"
#include "props.h"
#include "qjson.h"

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

static int qdict_order(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	unsigned bx = fq_qdict_bucket(*x), by = fq_qdict_bucket(*y);

	return bx < by ? -1 : bx > by ? 1 : 0;
}

bool fq_props_check_ints(json_object *props, const char *driver, struct fq_reply *r)
{
	static const char *const ints[] = {
	    "socket-id", "die-id",  "core-id", "thread-id", "node-id", "chassis_nr",
	    "chassis",	 "scsi-id", "lun",     "channel",   NULL,
	};
	const char *keys[64];
	size_t n = 0;
	long long dummy;

	json_object_object_foreach(props, key, val)
	{
		(void)val;
		if (n < 64)
			keys[n++] = key;
	}
	qsort(keys, n, sizeof(keys[0]), qdict_order);
	for (size_t i = 0; i < n; i++)
		for (int j = 0; ints[j]; j++)
			if (!strcmp(keys[i], ints[j]) &&
			    !fq_prop_int(props, driver, keys[i], &dummy, r))
				return false;
	return true;
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
		fq_reply_error(r, "GenericError",
			       "Invalid parameter type for '%s', expected: integer", name);
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
