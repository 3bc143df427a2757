/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schema.h - check command arguments against the QAPI schema the real binary reports */
#ifndef FQ_SCHEMA_H
#define FQ_SCHEMA_H

#include <stdbool.h>

#include <json-c/json.h>

/* fq_schema_command() - whether the dialect's schema has command @name. */
bool fq_schema_command(const char *name, bool *allow_oob);

/* fq_schema_event() - whether the dialect's schema has event @name. */
bool fq_schema_event(const char *name);

/*
 * fq_schema_check_args() - validate @args of @command as QEMU's generated
 * marshaller would. Return: NULL if valid, else QEMU's message (malloc'd).
 */
char *fq_schema_check_args(const char *command, json_object *args);

/* fq_schema_json() - the whole query-qmp-schema value (borrowed). */
json_object *fq_schema_json(void);

#endif
