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

/* fq_schema_reply() - query-qmp-schema's return value, serialised entity by entity. */
json_object *fq_schema_reply(void);

/* fq_schema_foreach() - call @fn with each schema entity (parsed, freed after the call). */
void fq_schema_foreach(void (*fn)(json_object *entity, void *opaque), void *opaque);

/**
 * fq_schema_entity() - a schema entity by name ("netdev_add", or a type's name)
 * @name: the entity's name
 *
 * Return: the parsed entity (owned by the schema cache; do not put), or NULL.
 */
json_object *fq_schema_entity(const char *name);

#endif
