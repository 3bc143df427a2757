/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objects.h - user-creatable QOM objects: -object, object-add, object-del,
 * query-iothreads, query-memdev
 *
 * DOC: Theory of operation
 *
 * An object is created as user_creatable_add_type() does: its properties are
 * checked (by the schema's ObjectOptions from 6.0, by hand for 5.2's free
 * form), it becomes a child of /objects (a table in GHashTable order, which
 * the queries show), then it is "completed" against the host (a memory
 * backend's file opens, rng-random's device opens); a failed completion
 * removes the child again, leaving the tombstone QEMU leaves. Objects are
 * FQ_BACKEND_OBJECT entries of the backends registry, so devices claim them
 * by id (memdev, iothread, rng, secrets); the machine's own RAM backend
 * ("pc.ram", "ram") is one too.
 */
#ifndef FQ_OBJECTS_H
#define FQ_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"

/**
 * fq_object_option() - a -object option (keyval text or JSON), checked at parse time
 * @arg: its argument
 */
void fq_object_option(const char *arg);

/**
 * fq_objects_create() - create the -object objects of one phase, in order
 * @early: true for those QEMU creates before the chardevs, false for the
 *         rest (memory backends, filters, rng-egd: object_create_early())
 *
 * Exits with QEMU's message on the first failure.
 */
void fq_objects_create(bool early);

/**
 * fq_objects_machine_ram() - the machine's RAM backend, created at machine init
 * @id:       "pc.ram" for pc/q35, "ram" for none
 * @size:     bytes
 *
 * Does nothing when -machine memory-backend= names a user object instead.
 */
void fq_objects_machine_ram(const char *id, uint64_t size);

/**
 * fq_objects_numa_memdev() - -numa node,memdev=@id: the node's memory is that backend
 * @id: the backend's id (copied)
 */
void fq_objects_numa_memdev(const char *id);

/**
 * fq_object_find() - the object called @id
 * @id: its id
 *
 * Return: its properties as created (borrowed), or NULL.
 */
json_object *fq_object_find(const char *id);

/* QMP commands. */
void fq_cmd_object_add(json_object *args, struct fq_reply *r);
void fq_cmd_object_del(json_object *args, struct fq_reply *r);
void fq_cmd_query_iothreads(json_object *args, struct fq_reply *r);
void fq_cmd_query_memdev(json_object *args, struct fq_reply *r);

#endif
