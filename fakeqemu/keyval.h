/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keyval.h - command-line "key=value" options as typed QAPI arguments, the way
 * QEMU's keyval and opts visitors read them against the QAPI schema
 */
#ifndef FQ_KEYVAL_H
#define FQ_KEYVAL_H

#include <json-c/json.h>

#include "opts.h"

/**
 * fq_keyval_typed() - @o as a JSON object of QAPI type @type
 * @o:    the parsed option ("a.b=1" nests, a repeated key makes a list)
 * @type: the schema name of the object type, e.g. a command's arg-type
 *
 * Each value is converted to what the schema says its member is (integers,
 * booleans from on/off/yes/no/true/false, lists of String wrappers from
 * plain strings); a value that does not convert stays a string, so the
 * schema check reports it as QEMU does.
 *
 * Return: a new JSON object.
 */
json_object *fq_keyval_typed(const struct fq_opts *o, const char *type);

/**
 * fq_command_arg_type() - the arg-type of command @command in the schema
 * @command: the command
 *
 * Return: the type's name (owned by the schema cache), or NULL.
 */
const char *fq_command_arg_type(const char *command);

#endif
