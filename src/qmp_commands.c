/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_commands.c - one function per QMP command the library sends (DOC in qmp_commands.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "qmp_commands.h"

/* What a refusal means, where it is more than "QEMU refused" (-EREMOTEIO). */
static const struct {
	const char *command; /* NULL: every command */
	const char *qmp_class;
	int code;
} meanings[] = {
    {NULL, "CommandNotFound", -EOPNOTSUPP},
    {"device_del", "DeviceNotFound", -ENOENT},
    {"netdev_del", "DeviceNotFound", -ENOENT},
    {"qom-list", "DeviceNotFound", -ENOENT},
    {"qom-set", "DeviceNotFound", -ENOENT},
    {"closefd", "GenericError", -ENOENT}, /* "File descriptor named '...' not found" */
};

int qd_qmpc_map(const char *command, int r, qd_error *err)
{
	if (r != -EREMOTEIO || !err || !err->qmp_class)
		return r;
	for (size_t i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if ((!meanings[i].command || !strcmp(meanings[i].command, command)) &&
		    !strcmp(meanings[i].qmp_class, err->qmp_class)) {
			err->code = meanings[i].code;
			return meanings[i].code;
		}
	return r;
}

void qd_qmpc_clear(struct qd_qmpc *c)
{
	json_object_put(c->args);
	c->args = NULL;
}

int qd_qmpc_run(struct qd_qmp *q, const struct qd_qmpc *c, int timeout_ms, json_object **result,
		qd_error *err)
{
	qd_error local = {0};
	int r;

	if (!err)
		err = &local; /* the class decides the errno */
	if (c->fd >= 0)
		r = qd_qmp_execute_fd(q, c->command, c->args, c->fd, timeout_ms, result, err);
	else
		r = qd_qmp_execute(q, c->command, c->args, timeout_ms, result, err);
	r = qd_qmpc_map(c->command, r, err);
	qd_error_clear(&local);
	return r;
}

int qd_qmpc_run_batch(struct qd_qmp *q, const struct qd_qmpc *c, size_t n, int timeout_ms,
		      int *codes, qd_error *errs, qd_error *err)
{
	_cleanup_free_ struct qd_qmp_request *reqs = calloc(n ? n : 1, sizeof(*reqs));
	int r;

	if (!reqs)
		return qd_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		reqs[i] = (struct qd_qmp_request){
		    .command = c[i].command, .arguments = c[i].args, .fd = c[i].fd};
	r = qd_qmp_execute_batch(q, reqs, n, timeout_ms, err);
	for (size_t i = 0; i < n; i++) {
		json_object_put(reqs[i].result);
		codes[i] = qd_qmpc_map(c[i].command, reqs[i].r, &reqs[i].err);
		errs[i] = reqs[i].err;
	}
	return r;
}

/* A command whose arguments are one string member. */
static int build_named(const char *command, const char *key, const char *value, struct qd_qmpc *out)
{
	*out = (struct qd_qmpc){.command = command, .fd = -1};
	out->args = json_object_new_object();
	if (!out->args ||
	    json_object_object_add(out->args, key, json_object_new_string(value)) < 0) {
		qd_qmpc_clear(out);
		return -ENOMEM;
	}
	return 0;
}

static int run_named(struct qd_qmp *q, const char *command, const char *key, const char *value,
		     int timeout_ms, json_object **result, qd_error *err)
{
	struct qd_qmpc c;
	int r = build_named(command, key, value, &c);

	if (r < 0)
		return qd_error_set(err, r, "out of memory");
	r = qd_qmpc_run(q, &c, timeout_ms, result, err);
	qd_qmpc_clear(&c);
	return r;
}

static const struct {
	const char *add, *del, *key;
} part_commands[] = {
    [QD_PART_BLOCKDEV] = {"blockdev-add", "blockdev-del", "node-name"},
    [QD_PART_NETDEV] = {"netdev_add", "netdev_del", "id"},
    [QD_PART_OBJECT] = {"object-add", "object-del", "id"},
    [QD_PART_CHARDEV] = {NULL, NULL, NULL},
    [QD_PART_FSDEV] = {NULL, NULL, NULL},
    [QD_PART_DEVICE] = {"device_add", "device_del", "id"},
};

int qd_qmpc_add_part(const struct qd_part *p, struct qd_qmpc *out)
{
	*out = (struct qd_qmpc){.command = part_commands[p->kind].add, .fd = -1};
	if (!out->command)
		return -EINVAL;
	/*
	 * The dictionaries are what QMP takes: blockdev-add and object-add
	 * (flat since QEMU 6.0, and 5.2 reads the flat form too) are boxed,
	 * netdev_add and device_add take the properties as members.
	 */
	out->args = json_object_get(p->props);
	return 0;
}

int qd_qmpc_del_part(enum qd_part_kind kind, const char *name, struct qd_qmpc *out)
{
	if (!part_commands[kind].del)
		return -EINVAL;
	return build_named(part_commands[kind].del, part_commands[kind].key, name, out);
}

int qd_qmpc_build_getfd(const char *name, int fd, struct qd_qmpc *out)
{
	int r = build_named("getfd", "fdname", name, out);

	out->fd = fd;
	return r;
}

int qd_qmpc_build_closefd(const char *name, struct qd_qmpc *out)
{
	return build_named("closefd", "fdname", name, out);
}

int qd_qmpc_blockdev_del(struct qd_qmp *q, const char *node, int timeout_ms, qd_error *err)
{
	return run_named(q, "blockdev-del", "node-name", node, timeout_ms, NULL, err);
}

int qd_qmpc_device_del(struct qd_qmp *q, const char *id, int timeout_ms, qd_error *err)
{
	return run_named(q, "device_del", "id", id, timeout_ms, NULL, err);
}

int qd_qmpc_netdev_del(struct qd_qmp *q, const char *id, int timeout_ms, qd_error *err)
{
	return run_named(q, "netdev_del", "id", id, timeout_ms, NULL, err);
}

int qd_qmpc_object_del(struct qd_qmp *q, const char *id, int timeout_ms, qd_error *err)
{
	return run_named(q, "object-del", "id", id, timeout_ms, NULL, err);
}

int qd_qmpc_closefd(struct qd_qmp *q, const char *name, int timeout_ms, qd_error *err)
{
	return run_named(q, "closefd", "fdname", name, timeout_ms, NULL, err);
}

int qd_qmpc_qom_set(struct qd_qmp *q, const char *path, const char *property, json_object *value,
		    int timeout_ms, qd_error *err)
{
	struct qd_qmpc c;
	int r = build_named("qom-set", "path", path, &c);

	if (r == 0 &&
	    (json_object_object_add(c.args, "property", json_object_new_string(property)) < 0 ||
	     json_object_object_add(c.args, "value", json_object_get(value)) < 0))
		r = -ENOMEM;
	if (r < 0) {
		qd_qmpc_clear(&c);
		return qd_error_set(err, r, "out of memory");
	}
	r = qd_qmpc_run(q, &c, timeout_ms, NULL, err);
	qd_qmpc_clear(&c);
	return r;
}

int qd_qmpc_simple(struct qd_qmp *q, const char *command, int timeout_ms, json_object **result,
		   qd_error *err)
{
	const struct qd_qmpc c = {.command = command, .fd = -1};

	return qd_qmpc_run(q, &c, timeout_ms, result, err);
}

void qd_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

bool qd_strv_has(char **v, const char *s)
{
	for (char **p = v; p && *p; p++)
		if (!strcmp(*p, s))
			return true;
	return false;
}

int qd_qmpc_qom_children(struct qd_qmp *q, const char *path, int timeout_ms, char ***out,
			 qd_error *err)
{
	_cleanup_json_ json_object *ret = NULL;
	char **v;
	size_t n, k = 0;
	int r;

	*out = NULL;
	r = run_named(q, "qom-list", "path", path, timeout_ms, &ret, err);
	if (r < 0)
		return r;
	n = json_object_array_length(ret);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return qd_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(ret, i), *name, *type;

		if (!json_object_object_get_ex(e, "name", &name) ||
		    !json_object_object_get_ex(e, "type", &type) ||
		    strncmp(json_object_get_string(type), "child<", 6) != 0)
			continue;
		v[k] = strdup(json_object_get_string(name));
		if (!v[k++]) {
			qd_strv_free(v);
			return qd_error_set(err, -ENOMEM, "out of memory");
		}
	}
	*out = v;
	return 0;
}

/* Whether a query's array has an entry whose @key is @value. */
static bool listed(json_object *array, const char *key, const char *value)
{
	for (size_t i = 0; i < json_object_array_length(array); i++) {
		json_object *v;

		if (json_object_object_get_ex(json_object_array_get_idx(array, i), key, &v) &&
		    !strcmp(json_object_get_string(v), value))
			return true;
	}
	return false;
}

int qd_qmpc_block_node_exists(struct qd_qmp *q, const char *node_name, int timeout_ms,
			      qd_error *err)
{
	_cleanup_json_ json_object *nodes = NULL;
	int r = qd_qmpc_simple(q, "query-named-block-nodes", timeout_ms, &nodes, err);

	return r < 0 ? r : listed(nodes, "node-name", node_name);
}

int qd_qmpc_object_exists(struct qd_qmp *q, const char *id, int timeout_ms, qd_error *err)
{
	char **ids;
	int r = qd_qmpc_qom_children(q, "/objects", timeout_ms, &ids, err);

	if (r < 0)
		return r;
	r = qd_strv_has(ids, id);
	qd_strv_free(ids);
	return r;
}

int qd_qmpc_type_exists(struct qd_qmp *q, const char *type, int timeout_ms, qd_error *err)
{
	_cleanup_json_ json_object *types = NULL;
	/* Only @type and its subtypes (none for a name QEMU does not know), not all ~1000. */
	int r = run_named(q, "qom-list-types", "implements", type, timeout_ms, &types, err);

	return r < 0 ? r : listed(types, "name", type);
}

int qd_qmpc_memory_device(struct qd_qmp *q, const char *id, int timeout_ms, json_object **out,
			  qd_error *err)
{
	_cleanup_json_ json_object *devs = NULL;
	int r = qd_qmpc_simple(q, "query-memory-devices", timeout_ms, &devs, err);

	*out = NULL;
	if (r < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *e = json_object_array_get_idx(devs, i), *data, *v, *type;

		if (json_object_object_get_ex(e, "data", &data) &&
		    json_object_object_get_ex(data, "id", &v) &&
		    !strcmp(json_object_get_string(v), id)) {
			*out = json_object_get(data);
			if (json_object_object_get_ex(e, "type", &type))
				json_object_object_add(*out, "type", json_object_get(type));
			return 0;
		}
	}
	return 0;
}
