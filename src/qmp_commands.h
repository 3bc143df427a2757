/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_commands.h - one function per QMP command the library sends (arguments built in one place) */
#ifndef QD_QMP_COMMANDS_H
#define QD_QMP_COMMANDS_H

#include <stdbool.h>

#include "qemudrv.h"

/*
 * qd_qmpc_block_node_exists() - query-named-block-nodes, and whether a node
 * named @node_name is among them.
 * Return: 1 present, 0 absent, or the command's negative errno.
 */
int qd_qmpc_block_node_exists(struct qd_qmp *q, const char *node_name, int timeout_ms,
			      qd_error *err);

#endif
