/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_commands.c - one function per QMP command the library sends (arguments built in one place) */
#include <string.h>

#include "cleanup.h"
#include "qmp_commands.h"

int qd_qmpc_block_node_exists(struct qd_qmp *q, const char *node_name, int timeout_ms,
			      qd_error *err)
{
	_cleanup_json_ json_object *nodes = NULL;
	int r = qd_qmp_execute(q, "query-named-block-nodes", NULL, timeout_ms, &nodes, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(nodes); i++) {
		json_object *name;

		if (json_object_object_get_ex(json_object_array_get_idx(nodes, i), "node-name",
					      &name) &&
		    !strcmp(json_object_get_string(name), node_name))
			return 1;
	}
	return 0;
}
