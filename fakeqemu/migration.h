/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migration.h - the migration itself: migrate, migrate_cancel, migrate-incoming,
 * -incoming and query-migrate (the settings are cmd_migrate.c's)
 */
#ifndef FQ_MIGRATION_H
#define FQ_MIGRATION_H

#include <stdbool.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"

/**
 * fq_migration_startup() - start the machine as QEMU does after init: with
 * -incoming, in "inmigrate" (and the stream is awaited unless "defer");
 * otherwise running, or in prelaunch with -S
 *
 * Exits with QEMU's message when the -incoming URI cannot be used.
 */
void fq_migration_startup(void);

/**
 * fq_migration_set_autostart() - cont or stop while in "inmigrate": whether the
 * VM runs once the incoming migration completes (QEMU's autostart)
 * @on: cont (true) or stop (false)
 */
void fq_migration_set_autostart(bool on);

/* fq_migration_in_progress() - an outgoing migration is set up or running. */
bool fq_migration_in_progress(void);

/**
 * fq_migration_machine_type() - the full name of the machine type, as the
 * stream's configuration section carries it ("pc-i440fx-7.2", "none")
 *
 * Return: a malloc'd string.
 */
char *fq_migration_machine_type(void);

/* QMP commands. */
void fq_cmd_migrate(json_object *args, struct fq_reply *r);
void fq_cmd_migrate_cancel(json_object *args, struct fq_reply *r);
void fq_cmd_migrate_incoming(json_object *args, struct fq_reply *r);
void fq_cmd_query_migrate(json_object *args, struct fq_reply *r);

/* cmd_migrate.c: whether migrate-set-capabilities turned capability @name on. */
bool fq_migrate_capability(const char *name);

#endif
