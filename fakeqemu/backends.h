/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * backends.h - named backends that devices refer to by id: netdevs, chardevs,
 * user-creatable QOM objects, fsdevs and file descriptors passed to a monitor.
 *
 * DOC: Theory of operation
 *
 * A device property such as "netdev", "chardev", "fsdev", "memdev",
 * "iothread" or "vhostfd" names something created earlier by the command
 * line (-netdev, -chardev, -object, -fsdev) or by QMP (netdev_add,
 * chardev-add, object-add, getfd). Those creators register the backend here;
 * device creation looks it up, claims it for the device's QOM path (QEMU's
 * "it's in use" errors come from a second claim), and releases every claim
 * of a device when the device goes. The registry knows nothing of how each
 * kind is modelled: kind-specific data hangs off @priv.
 */
#ifndef FQ_BACKENDS_H
#define FQ_BACKENDS_H

#include <stdbool.h>

#include <json-c/json.h>

enum fq_backend_kind {
	FQ_BACKEND_NETDEV,  /* -netdev, netdev_add; @type "user", "tap", "socket", ... */
	FQ_BACKEND_CHARDEV, /* -chardev, chardev-add; QOM /chardevs/<id>; @type "socket", ... */
	FQ_BACKEND_OBJECT,  /* -object, object-add; QOM /objects/<id>; @type the qom-type */
	FQ_BACKEND_FSDEV,   /* -fsdev; @type "local", ... */
	FQ_BACKEND_FD,	    /* getfd on a monitor; @owner the monitor; @type unused */
	FQ_BACKEND_NKINDS,
};

/**
 * struct fq_backend - one named backend
 * @kind:      what it is
 * @id:        its id (the fd name for FQ_BACKEND_FD)
 * @type:      its driver/backend/qom-type, e.g. "tap", "socket", "memory-backend-ram"
 * @props:     the options it was created with (owned reference), or NULL
 * @user:      QOM path of the device or object that holds it, or NULL when free
 * @owner:     FQ_BACKEND_FD: the monitor the fd was passed on; else NULL
 * @fd:        FQ_BACKEND_FD: the descriptor (closed on removal); else -1
 * @priv:      kind-specific model data, freed with @free_priv on removal
 * @free_priv: destructor for @priv, or NULL
 * @next:      registry list, in creation order
 */
struct fq_backend {
	enum fq_backend_kind kind;
	char *id;
	char *type;
	json_object *props;
	char *user;
	void *owner;
	int fd;
	void *priv;
	void (*free_priv)(void *priv);
	struct fq_backend *next;
};

/**
 * fq_backend_add() - register a backend
 * @kind:  its kind
 * @id:    its id (copied)
 * @type:  its type (copied), or NULL
 * @props: options (the reference is taken over, also on failure), or NULL
 *
 * Return: the new backend, or NULL when one of @kind with @id exists
 * (FQ_BACKEND_FD: with the same @id on the same owner, see fq_backend_add_fd()).
 */
struct fq_backend *fq_backend_add(enum fq_backend_kind kind, const char *id, const char *type,
				  json_object *props);

/**
 * fq_backend_add_fd() - register (or replace, as getfd does) a named fd of a monitor
 * @owner: the monitor
 * @name:  the fd name (copied)
 * @fd:    the descriptor, owned by the registry from now on
 *
 * Return: the backend.
 */
struct fq_backend *fq_backend_add_fd(void *owner, const char *name, int fd);

/**
 * fq_backend_find() - the backend of @kind named @id
 * @kind: its kind
 * @id:   its id
 *
 * Return: the backend or NULL. For FQ_BACKEND_FD use fq_backend_find_fd().
 */
struct fq_backend *fq_backend_find(enum fq_backend_kind kind, const char *id);

/**
 * fq_backend_find_fd() - the fd named @name passed on monitor @owner
 * @owner: the monitor
 * @name:  the fd name
 *
 * Return: the backend or NULL.
 */
struct fq_backend *fq_backend_find_fd(void *owner, const char *name);

/**
 * fq_backend_remove() - unregister and free a backend (closing an fd's descriptor)
 * @b: the backend; NULL is allowed
 */
void fq_backend_remove(struct fq_backend *b);

/**
 * fq_backend_claim() - record that @user_path holds @b
 * @b:         the backend
 * @user_path: QOM path of the holder (copied)
 *
 * Return: true, or false when another holder has it (QEMU's "in use").
 */
bool fq_backend_claim(struct fq_backend *b, const char *user_path);

/**
 * fq_backend_release_user() - free every backend held by @user_path
 * @user_path: QOM path of a device or object that is going away
 */
void fq_backend_release_user(const char *user_path);

/**
 * fq_backend_first() - the first backend of @kind, in creation order
 * @kind: the kind
 *
 * Return: the backend or NULL; continue with fq_backend_next().
 */
struct fq_backend *fq_backend_first(enum fq_backend_kind kind);

/**
 * fq_backend_next() - the next backend of the same kind as @b
 * @b: a backend
 *
 * Return: the backend or NULL.
 */
struct fq_backend *fq_backend_next(struct fq_backend *b);

/**
 * fq_backends_remove_owner() - drop every fd passed on monitor @owner (it disconnected)
 * @owner: the monitor
 */
void fq_backends_remove_owner(void *owner);

/**
 * fq_backends_state_json() - every backend, for x-fakeqemu-state
 *
 * Return: a new array of {"kind", "id", "type", "user"} objects.
 */
json_object *fq_backends_state_json(void);

#endif
