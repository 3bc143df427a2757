/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_commands.h - one function per QMP command the library sends: arguments and errors, once */
#ifndef QD_QMP_COMMANDS_H
#define QD_QMP_COMMANDS_H

#include <stdbool.h>

#include "devspec.h"
#include "qemudrv.h"

/*
 * DOC: the QMP command layer
 *
 * Every command the library sends is built here, and QEMU's refusals are
 * turned into an errno here, by the error class and by what the command
 * means, so that no caller looks at QEMU's text (which changes between
 * versions): CommandNotFound is -EOPNOTSUPP for every command;
 * DeviceNotFound is -ENOENT where it means "no such thing to delete or look
 * at" (device_del, netdev_del, qom-list, qom-set); closefd's one refusal
 * (GenericError) is -ENOENT; anything else QEMU refuses is -EREMOTEIO. The
 * error keeps QEMU's class and desc verbatim in every case. Where a
 * GenericError could mean either "absent" or "in use" (blockdev-del,
 * object-del), the caller asks (qd_qmpc_block_node_exists(),
 * qd_qmpc_object_exists()) instead of guessing.
 *
 * A command can also be only built (struct qd_qmpc) and sent with others
 * in one pipelined batch (qd_qmpc_run_batch()): the errno is mapped the
 * same way.
 */

/* struct qd_qmpc - a built command: what to send, and how its refusals read. */
struct qd_qmpc {
	const char *command;
	json_object *args; /* owned, or NULL */
	int fd;		   /* passed with it (getfd), or -1 */
};

/* qd_qmpc_clear() - release a built command's arguments. */
void qd_qmpc_clear(struct qd_qmpc *c);

/* qd_qmpc_map() - the errno of @command's outcome @r (its refusal's class in @err). */
int qd_qmpc_map(const char *command, int r, qd_error *err);

/* qd_qmpc_run() - send a built command and wait; the mapped errno. */
int qd_qmpc_run(struct qd_qmp *q, const struct qd_qmpc *c, int timeout_ms, json_object **result,
		qd_error *err);

/*
 * qd_qmpc_run_batch() - send @n built commands in one go and collect every
 * reply: @codes[i] and @errs[i] (cleared by the caller) get each one's mapped
 * outcome. Return: 0 when every command was answered, else the batch's own
 * error (a timeout, a broken connection).
 */
int qd_qmpc_run_batch(struct qd_qmp *q, const struct qd_qmpc *c, size_t n, int timeout_ms,
		      int *codes, qd_error *errs, qd_error *err);

/*
 * Builders. qd_qmpc_add_part() builds what adds @p (blockdev-add,
 * netdev_add, object-add or device_add: the spec's dictionaries as they
 * are); qd_qmpc_del_part() what deletes it by its name. -ENOMEM or -EINVAL
 * (a command-line-only kind).
 */
int qd_qmpc_add_part(const struct qd_part *p, struct qd_qmpc *out);
int qd_qmpc_del_part(enum qd_part_kind kind, const char *name, struct qd_qmpc *out);
int qd_qmpc_build_getfd(const char *name, int fd, struct qd_qmpc *out);
int qd_qmpc_build_closefd(const char *name, struct qd_qmpc *out);

/* One function per command. */
int qd_qmpc_blockdev_del(struct qd_qmp *q, const char *node, int timeout_ms, qd_error *err);
int qd_qmpc_device_del(struct qd_qmp *q, const char *id, int timeout_ms, qd_error *err);
int qd_qmpc_netdev_del(struct qd_qmp *q, const char *id, int timeout_ms, qd_error *err);
int qd_qmpc_object_del(struct qd_qmp *q, const char *id, int timeout_ms, qd_error *err);
int qd_qmpc_closefd(struct qd_qmp *q, const char *name, int timeout_ms, qd_error *err);
int qd_qmpc_qom_set(struct qd_qmp *q, const char *path, const char *property, json_object *value,
		    int timeout_ms, qd_error *err);
int qd_qmpc_simple(struct qd_qmp *q, const char *command, int timeout_ms, json_object **result,
		   qd_error *err);

/*
 * qd_qmpc_qom_children() - the names of @path's child<...> properties
 * (qom-list): *@out NULL-terminated, free with qd_strv_free().
 */
int qd_qmpc_qom_children(struct qd_qmp *q, const char *path, int timeout_ms, char ***out,
			 qd_error *err);

/* qd_qmpc_block_node_exists() - query-named-block-nodes lists @node_name: 1, 0 or -errno. */
int qd_qmpc_block_node_exists(struct qd_qmp *q, const char *node_name, int timeout_ms,
			      qd_error *err);

/* qd_qmpc_object_exists() - /objects has @id (qom-list): 1, 0 or -errno. */
int qd_qmpc_object_exists(struct qd_qmp *q, const char *id, int timeout_ms, qd_error *err);

/* qd_qmpc_type_exists() - this QEMU has QOM type @type (qom-list-types implements=@type): 1, 0 or
 * -errno. */
int qd_qmpc_type_exists(struct qd_qmp *q, const char *type, int timeout_ms, qd_error *err);

/*
 * qd_qmpc_memory_device() - query-memory-devices' entry for @id (a new
 * reference to its "data", with "type" added), *@out NULL when absent.
 */
int qd_qmpc_memory_device(struct qd_qmp *q, const char *id, int timeout_ms, json_object **out,
			  qd_error *err);

/* qd_strv_free() - free a NULL-terminated array of strings. */
void qd_strv_free(char **v);

/* qd_strv_has() - whether @v (NULL-terminated, or NULL) holds @s. */
bool qd_strv_has(char **v, const char *s);

#endif
