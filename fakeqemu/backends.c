/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backends.c - the registry of named backends devices refer to (see backends.h) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"

static struct fq_backend *backends;

static const char *const kind_names[FQ_BACKEND_NKINDS] = {
    [FQ_BACKEND_NETDEV] = "netdev", [FQ_BACKEND_CHARDEV] = "chardev",
    [FQ_BACKEND_OBJECT] = "object", [FQ_BACKEND_FSDEV] = "fsdev",
    [FQ_BACKEND_FD] = "fd",
};

static char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		abort();
	return d;
}

static void append(struct fq_backend *b)
{
	struct fq_backend **pp;

	for (pp = &backends; *pp; pp = &(*pp)->next)
		;
	*pp = b;
}

static struct fq_backend *backend_new(enum fq_backend_kind kind, const char *id, const char *type,
				      json_object *props)
{
	struct fq_backend *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	b->kind = kind;
	b->id = xstrdup(id);
	b->type = xstrdup(type);
	b->props = props;
	b->fd = -1;
	return b;
}

struct fq_backend *fq_backend_add(enum fq_backend_kind kind, const char *id, const char *type,
				  json_object *props)
{
	struct fq_backend *b;

	if (kind == FQ_BACKEND_FD || fq_backend_find(kind, id)) {
		json_object_put(props);
		return NULL;
	}
	b = backend_new(kind, id, type, props);
	append(b);
	return b;
}

struct fq_backend *fq_backend_add_fd(void *owner, const char *name, int fd)
{
	struct fq_backend *b = fq_backend_find_fd(owner, name);

	if (b) {
		/* getfd with a known name replaces the descriptor (monitor_add_fd()). */
		if (b->fd >= 0)
			close(b->fd);
		b->fd = fd;
		return b;
	}
	b = backend_new(FQ_BACKEND_FD, name, NULL, NULL);
	b->owner = owner;
	b->fd = fd;
	append(b);
	return b;
}

struct fq_backend *fq_backend_find(enum fq_backend_kind kind, const char *id)
{
	for (struct fq_backend *b = backends; b && id; b = b->next)
		if (b->kind == kind && !strcmp(b->id, id))
			return b;
	return NULL;
}

struct fq_backend *fq_backend_find_fd(void *owner, const char *name)
{
	for (struct fq_backend *b = backends; b && name; b = b->next)
		if (b->kind == FQ_BACKEND_FD && b->owner == owner && !strcmp(b->id, name))
			return b;
	return NULL;
}

void fq_backend_remove(struct fq_backend *b)
{
	if (!b)
		return;
	for (struct fq_backend **pp = &backends; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	if (b->free_priv)
		b->free_priv(b->priv);
	if (b->fd >= 0)
		close(b->fd);
	json_object_put(b->props);
	free(b->id);
	free(b->type);
	free(b->user);
	free(b);
}

bool fq_backend_claim(struct fq_backend *b, const char *user_path)
{
	if (b->user)
		return false;
	b->user = xstrdup(user_path);
	return true;
}

void fq_backend_release_user(const char *user_path)
{
	for (struct fq_backend *b = backends; b && user_path; b = b->next)
		if (b->user && !strcmp(b->user, user_path)) {
			free(b->user);
			b->user = NULL;
		}
}

struct fq_backend *fq_backend_first(enum fq_backend_kind kind)
{
	for (struct fq_backend *b = backends; b; b = b->next)
		if (b->kind == kind)
			return b;
	return NULL;
}

struct fq_backend *fq_backend_next(struct fq_backend *b)
{
	for (struct fq_backend *n = b ? b->next : NULL; n; n = n->next)
		if (n->kind == b->kind)
			return n;
	return NULL;
}

void fq_backends_remove_owner(void *owner)
{
	struct fq_backend *b = backends, *next;

	for (; b; b = next) {
		next = b->next;
		if (b->kind == FQ_BACKEND_FD && b->owner == owner)
			fq_backend_remove(b);
	}
}

json_object *fq_backends_state_json(void)
{
	json_object *a = json_object_new_array();

	for (struct fq_backend *b = backends; b; b = b->next) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "kind", json_object_new_string(kind_names[b->kind]));
		json_object_object_add(o, "id", json_object_new_string(b->id));
		json_object_object_add(o, "type", b->type ? json_object_new_string(b->type) : NULL);
		json_object_object_add(o, "user", b->user ? json_object_new_string(b->user) : NULL);
		json_object_array_add(a, o);
	}
	return a;
}
