/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* commands.h - the QMP commands fakeqemu models, and their handlers */
#ifndef FQ_COMMANDS_H
#define FQ_COMMANDS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"

typedef void (*fq_cmd_fn)(json_object *args, struct fq_reply *r);

/* struct fq_command - a modelled command. */
struct fq_command {
	const char *name;
	fq_cmd_fn fn;
	bool schema_checked; /* arguments are validated against the QAPI schema first */
};

/* fq_command_find() - the model's handler for @name, or NULL. */
const struct fq_command *fq_command_find(const char *name);

/* Handlers, one group per file. */
void fq_cmd_query_status(json_object *args, struct fq_reply *r);
void fq_cmd_stop(json_object *args, struct fq_reply *r);
void fq_cmd_cont(json_object *args, struct fq_reply *r);
void fq_cmd_quit(json_object *args, struct fq_reply *r);
void fq_cmd_system_powerdown(json_object *args, struct fq_reply *r);
void fq_cmd_system_reset(json_object *args, struct fq_reply *r);
void fq_cmd_query_version(json_object *args, struct fq_reply *r);
void fq_cmd_query_name(json_object *args, struct fq_reply *r);
void fq_cmd_query_uuid(json_object *args, struct fq_reply *r);
void fq_cmd_query_kvm(json_object *args, struct fq_reply *r);
void fq_cmd_query_commands(json_object *args, struct fq_reply *r);
void fq_cmd_query_qmp_schema(json_object *args, struct fq_reply *r);

void fq_cmd_query_hotpluggable_cpus(json_object *args, struct fq_reply *r);
void fq_cmd_query_cpus_fast(json_object *args, struct fq_reply *r);

void fq_cmd_device_add(json_object *args, struct fq_reply *r);
void fq_cmd_device_del(json_object *args, struct fq_reply *r);
void fq_cmd_query_pci(json_object *args, struct fq_reply *r);

void fq_cmd_blockdev_add(json_object *args, struct fq_reply *r);
void fq_cmd_blockdev_del(json_object *args, struct fq_reply *r);
void fq_cmd_query_block(json_object *args, struct fq_reply *r);
void fq_cmd_query_named_block_nodes(json_object *args, struct fq_reply *r);

void fq_cmd_qom_get(json_object *args, struct fq_reply *r);
void fq_cmd_qom_list(json_object *args, struct fq_reply *r);
void fq_cmd_migrate_pause(json_object *args, struct fq_reply *r);
void fq_cmd_query_yank(json_object *args, struct fq_reply *r);

void fq_cmd_x_fakeqemu_state(json_object *args, struct fq_reply *r);
void fq_cmd_x_fakeqemu_fault(json_object *args, struct fq_reply *r);

#endif
