/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* props.h - device properties as QemuOpts turns them into strings, and typed reads of them */
#ifndef FQ_PROPS_H
#define FQ_PROPS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"

/* fq_prop_str() - a property as text: strings as is, numbers printed, booleans on/off. */
const char *fq_prop_str(json_object *props, const char *name);

/*
 * fq_prop_int() - an integer property of @driver into *@out (left alone when
 * absent). False with QEMU's message in @r when it is not an integer.
 */
bool fq_prop_int(json_object *props, const char *driver, const char *name, long long *out,
		 struct fq_reply *r);

/*
 * fq_props_check_ints() - QEMU 10.0 sets device properties in QDict order
 * from typed JSON: report the first integer property given as a string.
 */
bool fq_props_check_ints(json_object *props, const char *driver, struct fq_reply *r);

#endif
