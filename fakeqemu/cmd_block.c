/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_block.c - the block layer (see block.h): blockdev-add/-del, -blockdev, -drive,
 * query-block, query-named-block-nodes, query-blockstats, block_resize
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block.h"
#include "commands.h"
#include "devices.h"
#include "fakeqemu.h"
#include "fds.h"
#include "keyval.h"
#include "machine.h"
#include "opts.h"
#include "qjson.h"
#include "report.h"
#include "schema.h"
#include "since.h"

/* ---- permissions ------------------------------------------------------------ */

/* BLK_PERM_*; "change children" (GRAPH_MOD) existed until 6.2. */
enum {
	PERM_CR = 1 << 0,
	PERM_W = 1 << 1,
	PERM_WU = 1 << 2,
	PERM_RESIZE = 1 << 3,
	PERM_GRAPH = 1 << 4,
};
#define PERM_PASSTHROUGH (PERM_CR | PERM_W | PERM_WU | PERM_RESIZE)

static const char *const perm_names[] = {"consistent read", "write", "write unchanged", "resize",
					 "change children"};

static unsigned perm_all(void)
{
	return fq_since(6, 2) ? PERM_PASSTHROUGH : PERM_PASSTHROUGH | PERM_GRAPH;
}

struct bb;

/* struct user - a BdrvChild: what one parent (a node or a BlockBackend) holds of a node. */
struct user {
	struct fq_block_node *parent; /* a parent node, or NULL */
	const char *role;	      /* "file", or "root" for a BlockBackend */
	struct bb *bb;		      /* a BlockBackend, or NULL */
	unsigned perm, shared;
	struct user *next; /* newest first, as QEMU's parents list */
};

/* struct bb - a BlockBackend: -drive's named one, or a device's anonymous one. */
struct bb {
	char *name;		    /* -drive id, or NULL */
	struct fq_block_node *root; /* NULL: no medium */
	struct fq_device *dev;	    /* the device attached, or NULL */
	bool attached;		    /* fq_block_attach() ran */
	bool write_cache;	    /* -drive cache= modes without writeback say false */
	struct bb *next;	    /* creation order */
};
static struct bb *bbs;

/* struct fq_node_priv - the block layer's view of a node. */
struct fq_node_priv {
	struct user *users;		   /* newest first */
	struct user *as_child;		   /* this node's entry among its file child's users */
	bool protocol;			   /* file or host_device: an open host file */
	int fd;				   /* protocol: the host file, or -1 */
	bool from_fdset;		   /* @fd is a /dev/fdset/N duplicate */
	bool monitor_owned;		   /* blockdev-add/-blockdev made it the root */
	bool locking;			   /* file-posix locking=on/auto */
	unsigned lock_perm, lock_unshared; /* the OFD locks @fd holds */
	bool raw_window;		   /* raw with offset= or size= */
	uint64_t offset, size;		   /* raw: its window of the child */
	unsigned cluster_bits, qcow2_version, refcount_order; /* qcow2 */
	uint64_t incompatible, compatible;
	int compression_type;
	const char *detect_zeroes; /* "off", "on", "unmap" */
	bool direct, no_flush;
	bool auto_ro; /* opened read-only until a user writes or resizes */
	bool fd_rw;   /* @fd is open read-write */
};

static const char *str_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool bool_member(json_object *o, const char *key, bool def)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return def;
	if (json_object_is_type(v, json_type_string))
		return !strcmp(json_object_get_string(v), "on");
	return json_object_get_boolean(v);
}

static void perm_text(unsigned perms, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < 5; i++)
		if (perms & (1u << i)) {
			size_t n = strlen(buf);

			snprintf(buf + n, len - n, "%s%s", n ? ", " : "", perm_names[i]);
		}
}

static void qdev_path(const struct fq_device *d, char *buf, size_t len);

/* bdrv_child_user_desc(): how an error names a user. */
static void user_desc(const struct user *u, char *buf, size_t len)
{
	const struct fq_device *d;
	char id[480];

	if (u->parent) {
		snprintf(buf, len, "node '%s'", u->parent->node_name);
		return;
	}
	if (u->bb->name) {
		snprintf(buf, len, "block device '%s'", u->bb->name);
		return;
	}
	d = u->bb->dev;
	if (!d) {
		snprintf(buf, len, "an unnamed block device");
		return;
	}
	qdev_path(d, id, sizeof(id));
	snprintf(buf, len, "block device '%s'", id);
}

/* 5.2 names the user without "block device"/"node". */
static void user_name_52(const struct user *u, char *buf, size_t len)
{
	char tmp[512];
	char *q;

	user_desc(u, tmp, sizeof(tmp));
	q = strchr(tmp, '\'');
	if (q) {
		snprintf(buf, len, "%s", q + 1);
		buf[strlen(buf) - 1] = '\0';
	} else {
		snprintf(buf, len, "%s", tmp);
	}
}

/* ---- the permission transaction ------------------------------------------------ */

struct change {
	struct user *u;
	unsigned perm, shared;
};

struct txn {
	struct change changes[64];
	int n;
};

static void node_cumulative(const struct fq_block_node *n, unsigned *perm, unsigned *shared)
{
	*perm = 0;
	*shared = perm_all();
	for (const struct user *u = n->priv->users; u; u = u->next) {
		*perm |= u->perm;
		*shared &= u->shared;
	}
}

/*
 * bdrv_default_perms() for the node's file child: raw passes its parents'
 * permissions through (raw_child_perm()), qcow2 keeps its metadata
 * consistent and unshares writes and resizes (bdrv_default_perms_for_storage()).
 */
static void child_perms(const struct fq_block_node *n, unsigned perm, unsigned shared,
			unsigned *nperm, unsigned *nshared)
{
	const struct fq_node_priv *p = n->priv;

	*nperm = perm & PERM_PASSTHROUGH;
	*nshared = (shared & PERM_PASSTHROUGH) | (perm_all() & ~PERM_PASSTHROUGH);
	if (!strcmp(n->driver, "raw")) {
		if (p->raw_window) {
			*nshared &= ~PERM_RESIZE;
			if (*nperm & PERM_WU)
				*nperm |= PERM_W;
			if (*nperm & PERM_W)
				*nperm |= PERM_RESIZE;
			*nperm &= ~(PERM_W | PERM_RESIZE);
			*nperm |= perm & (PERM_W | PERM_RESIZE);
		}
		return;
	}
	/* A format driver: metadata and data in its file. */
	if (!n->read_only)
		*nperm |= PERM_W | PERM_RESIZE;
	*nperm |= PERM_CR;
	*nshared &= ~(PERM_W | PERM_RESIZE);
	if (*nperm & PERM_WU)
		*nperm |= PERM_W;
	if (*nperm & PERM_W)
		*nperm |= PERM_RESIZE;
}

/* The OFD lock bytes of file-posix (RAW_LOCK_PERM_BASE 100, RAW_LOCK_SHARED_BASE 200). */
static int lock_byte(int fd, off_t byte, short type, bool test, bool *conflict)
{
	struct flock fl = {.l_whence = SEEK_SET, .l_start = byte, .l_len = 1, .l_type = type};

	if (test) {
		fl.l_type = F_WRLCK;
		if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
			return -errno;
		*conflict = fl.l_type != F_UNLCK;
		return 0;
	}
	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

/* raw_check_lock_bytes(): would these permissions clash with another open of the file? */
static bool check_locks(const struct fq_block_node *n, unsigned perm, unsigned shared,
			struct fq_reply *r)
{
	const struct fq_node_priv *p = n->priv;
	unsigned unshared = perm_all() & ~shared;

	if (!p->protocol || p->fd < 0 || !p->locking)
		return true;
	for (unsigned i = 0; i < 5; i++) {
		bool conflict = false;

		if ((perm & (1u << i)) && !(p->lock_perm & (1u << i))) {
			lock_byte(p->fd, 200 + i, F_WRLCK, true, &conflict);
			if (conflict) {
				fq_reply_error(r, "GenericError", "Failed to get \"%s\" lock",
					       perm_names[i]);
				return false;
			}
		}
	}
	for (unsigned i = 0; i < 5; i++) {
		bool conflict = false;

		if ((unshared & (1u << i)) && !(p->lock_unshared & (1u << i))) {
			lock_byte(p->fd, 100 + i, F_WRLCK, true, &conflict);
			if (conflict) {
				fq_reply_error(r, "GenericError",
					       "Failed to get shared \"%s\" lock", perm_names[i]);
				return false;
			}
		}
	}
	return true;
}

static int open_host_file(struct fq_block_node *n, const char *filename, int flags,
			  struct fq_reply *r);

/*
 * raw_reconfigure_getfd(): an auto-read-only file gets a read-write
 * descriptor once a user writes or resizes (its locks move with it).
 */
static void reopen_rw(struct fq_block_node *n)
{
	struct fq_node_priv *p = n->priv;
	struct fq_reply r = {0};
	bool was_fdset = p->from_fdset;
	int fd = open_host_file(n, n->filename, O_RDWR | (p->direct ? O_DIRECT : 0), &r);

	free(r.err_class);
	free(r.err_desc);
	if (fd < 0)
		return;
	if (was_fdset)
		fq_fdset_dup_close(p->fd);
	else
		close(p->fd);
	p->fd = fd;
	p->fd_rw = true;
	p->lock_perm = p->lock_unshared = 0;
}

/* raw_apply_lock_bytes(): hold what the node's permissions say, release the rest. */
static void apply_locks(struct fq_block_node *n)
{
	struct fq_node_priv *p = n->priv;
	unsigned perm, shared, unshared;
	bool unused;

	if (!p->protocol || p->fd < 0)
		return;
	node_cumulative(n, &perm, &shared);
	if ((perm & (PERM_W | PERM_RESIZE)) && !p->fd_rw && !n->read_only)
		reopen_rw(n);
	if (!p->locking)
		return;
	unshared = perm_all() & ~shared;
	for (unsigned i = 0; i < 5; i++) {
		unsigned bit = 1u << i;

		if ((perm & bit) != (p->lock_perm & bit))
			lock_byte(p->fd, 100 + i, (perm & bit) ? F_RDLCK : F_UNLCK, false, &unused);
		if ((unshared & bit) != (p->lock_unshared & bit))
			lock_byte(p->fd, 200 + i, (unshared & bit) ? F_RDLCK : F_UNLCK, false,
				  &unused);
	}
	p->lock_perm = perm;
	p->lock_unshared = unshared;
}

/*
 * 5.2's bdrv_check_update_perm(): the user whose permissions change against
 * each other user, newest first.
 */
static bool check_users_52(const struct fq_block_node *n, const struct user *changed,
			   struct fq_reply *r)
{
	for (const struct user *c = n->priv->users; c && changed; c = c->next) {
		unsigned clash;
		char perms[128], uc[512];

		if (c == changed)
			continue;
		user_name_52(c, uc, sizeof(uc));
		if ((clash = changed->perm & ~c->shared)) {
			perm_text(clash, perms, sizeof(perms));
			fq_reply_error(
			    r, "GenericError",
			    "Conflicts with use by %s as '%s', which does not allow '%s' "
			    "on %s",
			    uc, c->role, perms, n->node_name);
			return false;
		}
		if ((clash = c->perm & ~changed->shared)) {
			perm_text(clash, perms, sizeof(perms));
			fq_reply_error(r, "GenericError",
				       "Conflicts with use by %s as '%s', which uses '%s' on %s",
				       uc, c->role, perms, n->node_name);
			return false;
		}
	}
	return true;
}

/* bdrv_parent_perms_conflict(): every ordered pair of users, newest first. */
static bool check_users(const struct fq_block_node *n, const struct user *changed,
			struct fq_reply *r)
{
	if (!fq_since(6, 0))
		return check_users_52(n, changed, r);
	for (const struct user *a = n->priv->users; a; a = a->next)
		for (const struct user *b = n->priv->users; b; b = b->next) {
			unsigned clash;
			char perms[128], ua[512], ub[512];

			if (a == b || !(clash = b->perm & ~a->shared))
				continue;
			perm_text(clash, perms, sizeof(perms));
			user_desc(b, ub, sizeof(ub));
			user_desc(a, ua, sizeof(ua));
			fq_reply_error(
			    r, "GenericError",
			    "Permission conflict on node '%s': permissions '%s' are both "
			    "required by %s (uses node '%s' as '%s' child) and unshared by "
			    "%s (uses node '%s' as '%s' child).",
			    n->node_name, perms, ub, n->node_name, b->role, ua, n->node_name,
			    a->role);
			return false;
		}
	return true;
}

static void txn_set(struct txn *t, struct user *u, unsigned perm, unsigned shared)
{
	if (t->n < (int)(sizeof(t->changes) / sizeof(t->changes[0])))
		t->changes[t->n++] = (struct change){u, u->perm, u->shared};
	u->perm = perm;
	u->shared = shared;
}

static void txn_abort(struct txn *t)
{
	while (t->n > 0) {
		struct change *c = &t->changes[--t->n];

		c->u->perm = c->perm;
		c->u->shared = c->shared;
	}
}

/* bdrv_refresh_perms() from @n down (@changed: the user that changed): check, propagate. */
static bool refresh(struct fq_block_node *n, const struct user *changed, struct txn *t,
		    struct fq_reply *r)
{
	unsigned perm, shared, nperm, nshared;

	if (!check_users(n, changed, r))
		return false;
	node_cumulative(n, &perm, &shared);
	if ((perm & (PERM_W | PERM_WU)) && n->read_only) {
		fq_reply_error(r, "GenericError", "Block node is read-only");
		return false;
	}
	if (n->priv->protocol)
		return check_locks(n, perm, shared, r);
	if (!n->file || !n->priv->as_child)
		return true;
	child_perms(n, perm, shared, &nperm, &nshared);
	if (nperm == n->priv->as_child->perm && nshared == n->priv->as_child->shared)
		return true;
	txn_set(t, n->priv->as_child, nperm, nshared);
	return refresh(n->file, n->priv->as_child, t, r);
}

/* Apply the locks of every protocol node below @n (after a transaction succeeded). */
static void commit_locks(struct fq_block_node *n)
{
	for (; n; n = n->file)
		apply_locks(n);
}

static struct user *user_add(struct fq_block_node *n, struct fq_block_node *parent,
			     const char *role, struct bb *bb)
{
	struct user *u = calloc(1, sizeof(*u));

	if (!u)
		abort();
	u->parent = parent;
	u->role = role;
	u->bb = bb;
	u->shared = perm_all();
	u->next = n->priv->users;
	n->priv->users = u;
	if (parent)
		n->parents++;
	return u;
}

static void user_remove(struct fq_block_node *n, struct user *u)
{
	for (struct user **pp = &n->priv->users; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	if (u->parent)
		n->parents--;
	free(u);
}

/* A user's permissions change (or a new user, from 0/ALL): all-or-nothing. */
static bool user_set_perm(struct fq_block_node *n, struct user *u, unsigned perm, unsigned shared,
			  struct fq_reply *r)
{
	struct txn t = {0};

	txn_set(&t, u, perm, shared);
	if (!refresh(n, u, &t, r)) {
		txn_abort(&t);
		return false;
	}
	commit_locks(n);
	return true;
}

/* After a user left: permissions only relax, nothing can fail. */
static void relax(struct fq_block_node *n)
{
	struct txn t = {0};
	struct fq_reply r = {0};

	if (!refresh(n, NULL, &t, &r))
		txn_abort(&t);
	free(r.err_class);
	free(r.err_desc);
	commit_locks(n);
}

/* ---- nodes ------------------------------------------------------------------------ */

static struct bb *bb_by_name(const char *name)
{
	for (struct bb *b = bbs; b && name; b = b->next)
		if (b->name && !strcmp(b->name, name))
			return b;
	return NULL;
}

/* bdrv_assign_node_name(): a given name checked, or "#block" + counter + 2 random digits. */
static char *assign_name(const char *name, struct fq_reply *r)
{
	const bool old = !fq_since(6, 0);
	char *gen;

	if (!name) {
		if (asprintf(&gen, "#block%d%02d", fq_vm.auto_node_next++, rand() % 100) < 0)
			abort();
		return gen;
	}
	if (!fq_id_wellformed(name)) {
		if (old)
			fq_reply_error(r, "GenericError", "Invalid node name");
		else
			fq_reply_error(r, "GenericError", "Invalid node-name: '%s'", name);
		return NULL;
	}
	if (bb_by_name(name)) {
		fq_reply_error(r, "GenericError", "node-name=%s is conflicting with a device id",
			       name);
		return NULL;
	}
	if (fq_node_by_name(name)) {
		if (old)
			fq_reply_error(r, "GenericError", "Duplicate node name");
		else
			fq_reply_error(r, "GenericError", "Duplicate nodes with node-name='%s'",
				       name);
		return NULL;
	}
	if (strlen(name) > 31) {
		fq_reply_error(r, "GenericError", "Node name too long");
		return NULL;
	}
	return strdup(name);
}

static bool is_protocol_driver(const char *driver)
{
	return !strcmp(driver, "file") || !strcmp(driver, "host_device") ||
	       !strcmp(driver, "host_cdrom");
}

static void node_free(struct fq_block_node *n)
{
	if (n->priv) {
		while (n->priv->users)
			user_remove(n, n->priv->users);
		if (n->priv->fd >= 0) {
			if (n->priv->from_fdset)
				fq_fdset_dup_close(n->priv->fd);
			else
				close(n->priv->fd);
		}
		free(n->priv);
	}
	free(n->node_name);
	free(n->driver);
	free(n->filename);
	json_object_put(n->options);
	free(n);
}

static void node_link(struct fq_block_node *n)
{
	n->next = fq_vm.nodes;
	fq_vm.nodes = n;
}

static void node_unlink(struct fq_block_node *n)
{
	for (struct fq_block_node **pp = &fq_vm.nodes; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
}

/*
 * Remove @n (linked) and, below it, implicitly created children nobody
 * else uses: bdrv_unref() of a node whose last reference goes.
 */
static void node_delete(struct fq_block_node *n)
{
	struct fq_block_node *child = n->file;

	node_unlink(n);
	if (child && n->priv->as_child) {
		user_remove(child, n->priv->as_child);
		n->priv->as_child = NULL;
		if (!child->priv->monitor_owned && !child->priv->users)
			node_delete(child);
		else
			relax(child);
	}
	node_free(n);
}

/* The open(2) of file-posix, or monitor_fdset_dup_fd_add() for /dev/fdset/N. */
static int open_host_file(struct fq_block_node *n, const char *filename, int flags,
			  struct fq_reply *r)
{
	long long set;
	char *end;
	int fd;

	if (!strncmp(filename, "/dev/fdset/", 11)) {
		set = strtoll(filename + 11, &end, 10);
		if (end == filename + 11 || *end) {
			fq_reply_error(r, "GenericError", "Could not open '%s': %s", filename,
				       strerror(EINVAL));
			return -1;
		}
		fd = fq_fdset_dup(set, flags);
		if (fd < 0) {
			int e = errno;

			if (fq_since(9, 1) && e == ENOENT)
				fq_reply_error(r, "GenericError", "Failed to find fdset %s",
					       filename);
			else if (fq_since(9, 1))
				fq_reply_error(r, "GenericError",
					       "Failed to find file descriptor with matching "
					       "flags=0x%x",
					       flags & (O_ACCMODE | O_DIRECT));
			else
				fq_reply_error(r, "GenericError",
					       "Could not dup FD for %s flags %x: %s", filename,
					       flags & (O_ACCMODE | O_DIRECT), strerror(e));
			return -1;
		}
		n->priv->from_fdset = true;
		return fd;
	}
	fd = open(filename, flags | O_CLOEXEC);
	if (fd < 0)
		fq_reply_error(r, "GenericError", "Could not open '%s': %s", filename,
			       strerror(errno));
	return fd;
}

/* raw_open_common(): open the host file and check what it is. */
static bool open_protocol(struct fq_block_node *n, json_object *opts, struct fq_reply *r)
{
	struct fq_node_priv *p = n->priv;
	const char *filename = str_member(opts, "filename"), *locking = str_member(opts, "locking");
	struct stat st;
	int flags;

	if (!filename) {
		fq_reply_error(r, "GenericError", "Parameter 'filename' is missing");
		return false;
	}
	n->filename = strdup(filename);
	p->protocol = true;
	p->locking = !locking || strcmp(locking, "off");
	/* auto-read-only opens read-only until a writer needs more. */
	flags = (n->read_only || p->auto_ro) ? O_RDONLY : O_RDWR;
	p->fd_rw = flags == O_RDWR;
	if (p->direct)
		flags |= O_DIRECT;
	p->fd = open_host_file(n, filename, flags, r);
	if (p->fd < 0)
		return false;
	fstat(p->fd, &st);
	if (!strcmp(n->driver, "file") && !S_ISREG(st.st_mode)) {
		if (fq_since(6, 0)) {
			fq_reply_error(r, "GenericError",
				       "'file' driver requires '%s' to be a "
				       "regular file",
				       filename);
			return false;
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
			fq_reply_error(r, "GenericError",
				       "A regular file was expected by the 'file' driver, but "
				       "something else was given");
			return false;
		}
		fq_warn("Opening a %s device as a file using the 'file' driver is deprecated",
			S_ISCHR(st.st_mode) ? "character" : "block");
	}
	if (strcmp(n->driver, "file") && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
		if (fq_since(6, 0))
			fq_reply_error(r, "GenericError",
				       "'host_device' driver requires '%s' to be either a "
				       "character or block device",
				       filename);
		else
			fq_reply_error(r, "GenericError",
				       "'host_device' driver expects either a character or block "
				       "device");
		return false;
	}
	return true;
}

/* The length of @n in bytes (bdrv_getlength()). */
static uint64_t node_length(const struct fq_block_node *n)
{
	const struct fq_node_priv *p = n->priv;
	struct stat st;

	if (p->protocol) {
		uint64_t size = 0;

		if (fstat(p->fd, &st) < 0)
			return 0;
		if (S_ISBLK(st.st_mode) && ioctl(p->fd, BLKGETSIZE64, &size) == 0)
			return size;
		return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	}
	if (!strcmp(n->driver, "raw")) {
		uint64_t child = n->file ? node_length(n->file) : 0;

		if (p->raw_window && p->size)
			return p->size;
		return child > p->offset ? child - p->offset : 0;
	}
	return p->size;
}

static uint64_t be64(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The protocol node at the bottom of @n's file chain. */
static struct fq_block_node *protocol_of(struct fq_block_node *n)
{
	while (n && !n->priv->protocol)
		n = n->file;
	return n;
}

/* qcow2_open(): the header says what the image is. */
static bool open_qcow2(struct fq_block_node *n, struct fq_reply *r)
{
	struct fq_node_priv *p = n->priv;
	struct fq_block_node *proto = protocol_of(n->file);
	unsigned char h[112] = {0};
	ssize_t got = proto ? pread(proto->priv->fd, h, sizeof(h), 0) : -1;

	if (got < 72 || memcmp(h, "QFI\xfb", 4)) {
		fq_reply_error(r, "GenericError", "Image is not in qcow2 format");
		return false;
	}
	p->qcow2_version = be32(h + 4);
	if (p->qcow2_version < 2 || p->qcow2_version > 3) {
		fq_reply_error(r, "GenericError", "Unsupported qcow2 version %u", p->qcow2_version);
		return false;
	}
	p->cluster_bits = be32(h + 20);
	p->size = be64(h + 24);
	p->refcount_order = 4;
	if (p->qcow2_version == 3) {
		p->incompatible = be64(h + 72);
		p->compatible = be64(h + 80);
		p->refcount_order = be32(h + 96);
		if (be32(h + 100) > 104)
			p->compression_type = h[104];
	}
	if (be64(h + 8) != 0) {
		fq_reply_error(r, "GenericError",
			       "fakeqemu: qcow2 images with a backing file are not modelled");
		return false;
	}
	return true;
}

/* raw_open(): offset= and size= define a window of the child. */
static bool open_raw(struct fq_block_node *n, json_object *opts, struct fq_reply *r)
{
	struct fq_node_priv *p = n->priv;
	json_object *v;
	uint64_t child = n->file ? node_length(n->file) : 0;
	bool has_offset = json_object_object_get_ex(opts, "offset", &v);

	p->offset = has_offset ? (uint64_t)json_object_get_int64(v) : 0;
	p->raw_window = has_offset;
	if (json_object_object_get_ex(opts, "size", &v)) {
		p->raw_window = true;
		p->size = (uint64_t)json_object_get_int64(v);
		if (p->size % 512) {
			fq_reply_error(r, "GenericError", "Specified size is not multiple of 512");
			return false;
		}
	}
	if (p->offset > child || (p->size && p->offset + p->size > child)) {
		/* 5.2 printed the message before it had read the options. */
		bool old = !fq_since(6, 0);

		fq_reply_error(
		    r, "GenericError",
		    "The sum of offset (%llu) and size (%llu) has to be smaller or equal "
		    "to the  actual size of the containing file (%llu)",
		    old ? 0ULL : (unsigned long long)p->offset,
		    old ? 0ULL : (unsigned long long)p->size, (unsigned long long)child);
		return false;
	}
	return true;
}

/* node_open() works for -drive (blockdev_init()), not blockdev-add. */
static bool opening_drive;

static struct fq_block_node *node_open(json_object *opts, bool root, struct fq_block_node *parent,
				       struct fq_reply *r);

/* The "file" member: a reference to an existing node, or a child to open. */
static struct fq_block_node *open_file_child(json_object *opts, struct fq_block_node *parent,
					     bool *created, struct fq_reply *r)
{
	json_object *file;

	*created = false;
	if (!json_object_object_get_ex(opts, "file", &file)) {
		fq_reply_error(r, "GenericError", "A block device must be specified for \"file\"");
		return NULL;
	}
	if (json_object_is_type(file, json_type_string)) {
		const char *ref = json_object_get_string(file);
		struct bb *b = bb_by_name(ref);
		struct fq_block_node *c = b ? b->root : fq_node_by_name(ref);

		if (!c) {
			if (!fq_since(6, 0))
				fq_reply_error(r, "GenericError",
					       "Cannot find device=%s nor node_name=%s", ref, ref);
			else
				fq_reply_error(r, "GenericError",
					       "Cannot find device='%s' nor node-name='%s'", ref,
					       ref);
		}
		return c;
	}
	*created = true;
	return node_open(file, false, parent, r);
}

/*
 * node_open() - bdrv_open_inherit(): open @opts as a node; a child inherits
 * read-only, auto-read-only, cache and discard from @parent's options.
 */
static struct fq_block_node *node_open(json_object *opts, bool root, struct fq_block_node *parent,
				       struct fq_reply *r)
{
	const char *driver = str_member(opts, "driver"), *dz = str_member(opts, "detect-zeroes");
	const char *discard = str_member(opts, "discard");
	struct fq_block_node *n = calloc(1, sizeof(*n)), *child = NULL;
	struct fq_node_priv *p = calloc(1, sizeof(*p));
	json_object *cache;
	bool child_created = false;

	if (!n || !p)
		abort();
	n->priv = p;
	p->fd = -1;
	n->driver = strdup(driver ? driver : "");
	n->options = json_object_get(opts);
	n->read_only = bool_member(opts, "read-only", parent ? parent->read_only : false);
	p->auto_ro = bool_member(opts, "auto-read-only", parent ? parent->priv->auto_ro : false);
	p->direct = parent ? parent->priv->direct : false;
	p->no_flush = parent ? parent->priv->no_flush : false;
	if (json_object_object_get_ex(opts, "cache", &cache)) {
		p->direct = bool_member(cache, "direct", p->direct);
		p->no_flush = bool_member(cache, "no-flush", p->no_flush);
	}
	if (!discard && parent)
		discard = str_member(parent->options, "discard");
	p->detect_zeroes = dz ? dz : "off";

	/* bdrv_open_inherit() refuses force-share on a writable node before the children. */
	if (bool_member(opts, "force-share", false) && !n->read_only) {
		fq_reply_error(r, "GenericError",
			       "force-share=on can only be used with read-only images");
		goto fail;
	}
	/* Format nodes open their file first (bdrv_open_child_bs()). */
	if (!is_protocol_driver(n->driver) && strcmp(n->driver, "null-co") &&
	    strcmp(n->driver, "null-aio")) {
		if (strcmp(n->driver, "raw") && strcmp(n->driver, "qcow2")) {
			fq_reply_error(r, "GenericError",
				       "fakeqemu: the '%s' block driver is not modelled (file, "
				       "host_device, null-co, raw and qcow2 are)",
				       n->driver);
			goto fail;
		}
		child = open_file_child(opts, n, &child_created, r);
		if (!child)
			goto fail;
	}
	/*
	 * bdrv_open_common(): the generic options, then the name, then the driver.
	 * A -drive's nodes take detect-zeroes=unmap without discard=unmap.
	 */
	if (!opening_drive && dz && !strcmp(dz, "unmap") && !(discard && !strcmp(discard, "unmap"))) {
		fq_reply_error(r, "GenericError",
			       "setting detect-zeroes to unmap is not allowed "
			       "without setting discard operation to unmap");
		goto fail;
	}
	n->node_name = assign_name(str_member(opts, "node-name"), r);
	if (!n->node_name)
		goto fail;
	n->auto_named = n->node_name[0] == '#';
	if (child) {
		n->file = child;
		n->filename = child->filename ? strdup(child->filename) : NULL;
		p->as_child = user_add(child, n, "file", NULL);
	}
	if (!strcmp(n->driver, "raw") && (json_object_object_get_ex(opts, "offset", NULL) ||
					  json_object_object_get_ex(opts, "size", NULL))) {
		/* Not a plain filter: bdrv_refresh_filename() names it by its options. */
		json_object *j = json_object_new_object(), *f = json_object_new_object(), *v;
		char *text;

		json_object_object_add(j, "driver", json_object_new_string("raw"));
		if (json_object_object_get_ex(opts, "offset", &v))
			json_object_object_add(j, "offset", json_object_get(v));
		if (json_object_object_get_ex(opts, "size", &v))
			json_object_object_add(j, "size", json_object_get(v));
		json_object_object_add(f, "driver", json_object_new_string(child->driver));
		json_object_object_add(
		    f, "filename", json_object_new_string(child->filename ? child->filename : ""));
		json_object_object_add(j, "file", f);
		text = fq_json_to_qemu_string(j);
		free(n->filename);
		if (asprintf(&n->filename, "json:%s", text) < 0)
			abort();
		free(text);
		json_object_put(j);
	}
	if (is_protocol_driver(n->driver)) {
		if (!open_protocol(n, opts, r))
			goto fail;
	} else if (!strcmp(n->driver, "null-co") || !strcmp(n->driver, "null-aio")) {
		json_object *v;

		p->size = json_object_object_get_ex(opts, "size", &v)
			      ? (uint64_t)json_object_get_int64(v)
			      : 1ULL << 30;
		n->filename = strdup(n->driver);
	} else if (!strcmp(n->driver, "qcow2") ? !open_qcow2(n, r) : !open_raw(n, opts, r)) {
		goto fail;
	}
	/* The child's permissions come with the parent (bdrv_attach_child()). */
	if (child) {
		struct txn t = {0};

		if (!refresh(n, NULL, &t, r)) {
			txn_abort(&t);
			goto fail;
		}
		commit_locks(n);
	}
	/* A created child linked itself first: the list is newest first. */
	node_link(n);
	p->monitor_owned = root;
	return n;
fail:
	if (child && p->as_child) {
		user_remove(child, p->as_child);
		p->as_child = NULL;
		if (!child_created)
			relax(child);
	}
	if (child && child_created) {
		node_unlink(child);
		node_free(child);
	}
	n->file = NULL;
	node_free(n);
	return NULL;
}

void fq_blockdev_create(json_object *args, struct fq_reply *r)
{
	if (!str_member(args, "node-name")) {
		fq_reply_error(r, "GenericError",
			       "'node-name' must be specified for the root node");
		return;
	}
	node_open(args, true, NULL, r);
}

void fq_cmd_blockdev_add(json_object *args, struct fq_reply *r)
{
	fq_blockdev_create(args, r);
}

void fq_cmd_blockdev_del(json_object *args, struct fq_reply *r)
{
	const char *name = str_member(args, "node-name");
	struct fq_block_node *n = fq_node_by_name(name);

	if (!n) {
		if (!fq_since(6, 0))
			fq_reply_error(r, "GenericError", "Cannot find node %s", name);
		else
			fq_reply_error(r, "GenericError", "Failed to find node with node-name='%s'",
				       name);
		return;
	}
	for (const struct user *u = n->priv->users; u; u = u->next)
		if (u->bb) {
			fq_reply_error(r, "GenericError", "Node %s is in use", name);
			return;
		}
	if (!n->priv->monitor_owned) {
		fq_reply_error(r, "GenericError", "Node %s is not owned by the monitor", name);
		return;
	}
	if (n->priv->users) {
		fq_reply_error(r, "GenericError", "Block device %s is in use", name);
		return;
	}
	node_delete(n);
}

/* ---- -blockdev ---------------------------------------------------------------------- */

struct queued {
	char *location;
	char *text;
	bool is_drive;
	struct queued *next;
};
static struct queued *queue;

static void queue_add(const char *option, const char *arg, bool is_drive)
{
	struct queued *q = calloc(1, sizeof(*q)), **pp;

	if (!q)
		abort();
	if (asprintf(&q->location, "-%s %s", option, arg) < 0)
		abort();
	q->text = strdup(arg);
	q->is_drive = is_drive;
	for (pp = &queue; *pp; pp = &(*pp)->next)
		;
	*pp = q;
}

void fq_blockdev_option(const char *arg)
{
	queue_add("blockdev", arg, false);
}

/* "-blockdev" takes JSON or dotted keys ("file.filename=x"), typed by the schema. */
void fq_blockdev_add_cmdline(const char *text, struct fq_reply *r)
{
	json_object *args;
	char *err;

	if (text[0] == '{') {
		args = json_tokener_parse(text);
		if (!json_object_is_type(args, json_type_object)) {
			json_object_put(args);
			fq_reply_error(r, "GenericError", "JSON parse error");
			return;
		}
	} else {
		struct fq_opts o;

		fq_opts_parse(text, NULL, &o);
		args = fq_keyval_typed(&o, fq_command_arg_type("blockdev-add"));
		fq_opts_free(&o);
	}
	err = fq_schema_check_args("blockdev-add", args);
	if (err) {
		fq_reply_error(r, "GenericError", "%s", err);
		free(err);
	} else {
		fq_blockdev_create(args, r);
	}
	json_object_put(args);
}

/* ---- -drive ---------------------------------------------------------------------------- */

static struct bb *bb_new(const char *name)
{
	struct bb *b = calloc(1, sizeof(*b)), **pp;

	if (!b)
		abort();
	b->name = name ? strdup(name) : NULL;
	b->write_cache = true;
	for (pp = &bbs; *pp; pp = &(*pp)->next)
		;
	*pp = b;
	return b;
}

static void bb_free(struct bb *b)
{
	for (struct bb **pp = &bbs; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	free(b->name);
	free(b);
}

/* The BlockBackend's user entry on its root. */
static struct user *bb_user(const struct bb *b)
{
	for (struct user *u = b->root ? b->root->priv->users : NULL; u; u = u->next)
		if (u->bb == b)
			return u;
	return NULL;
}

static bool drive_id_taken(const char *id)
{
	for (struct queued *q = queue; q; q = q->next) {
		struct fq_opts o;
		bool same;

		if (!q->is_drive)
			continue;
		fq_opts_parse(q->text, "file", &o);
		same = fq_opts_get(&o, "id") && !strcmp(fq_opts_get(&o, "id"), id);
		fq_opts_free(&o);
		if (same)
			return true;
	}
	return false;
}

void fq_drive_option(const char *arg)
{
	struct fq_opts o;
	const char *id;
	char *location;

	if (asprintf(&location, "-drive %s", arg) < 0)
		abort();
	fq_opts_parse_noisily(location, arg, "file", &o);
	id = fq_opts_get(&o, "id");
	if (id && !fq_id_wellformed(id))
		fq_die("%s: Parameter 'id' expects an identifier\nIdentifiers consist of letters, "
		       "digits, '-', '.', '_', starting with a letter.",
		       location);
	if (id && drive_id_taken(id))
		fq_die("%s: Duplicate ID '%s' for drive", location, id);
	fq_opts_free(&o);
	free(location);
	queue_add("drive", arg, true);
}

/* drive_new()'s device of an if=virtio drive: -device virtio-blk-pci,drive=ID[,addr=]. */
static void queue_virtio_blk(const char *id, const char *addr, const char *location)
{
	char *dev;

	if (asprintf(&dev, "virtio-blk-pci,drive=%s%s%s", id, addr ? ",addr=" : "",
		     addr ? addr : "") < 0)
		abort();
	/* qemu_opts_create() saved the -drive's location with the device's options. */
	fq_machine_queue_device_for(dev, location);
	free(dev);
}

/* drive_new() + blockdev_init() for if=none and if=virtio: a named BlockBackend over implicit nodes. */
static void drive_create(const struct queued *q)
{
	static int virtio_units;
	struct fq_opts o;
	const char *file, *format, *iface, *id, *cache, *v;
	char virtio_id[32];
	bool virtio;
	int unit;
	json_object *opts, *child;
	struct fq_reply r = {0};
	struct fq_block_node *root = NULL;
	struct bb *b;

	fq_opts_parse(q->text, "file", &o);
	file = fq_opts_get(&o, "file");
	format = fq_opts_get(&o, "format");
	iface = fq_opts_get(&o, "if");
	id = fq_opts_get(&o, "id");
	cache = fq_opts_get(&o, "cache");
	virtio = iface && !strcmp(iface, "virtio");
	if (iface && strcmp(iface, "none") && !virtio)
		fq_die("%s: fakeqemu models -drive if=none and if=virtio only (not if=%s)",
		       q->location, iface);
	if (virtio) {
		/* drive_new(): if=virtio is unit N of no bus; its device comes after -device's. */
		unsigned long long index;

		unit = fq_opts_get_uint(&o, "index", &index) == 0 ? (int)index : virtio_units;
		virtio_units = unit + 1;
		if (!id) {
			snprintf(virtio_id, sizeof(virtio_id), "virtio%d", unit);
			id = virtio_id;
		}
	}
	if (!id)
		id = "none0";
	if (fq_node_by_name(id))
		fq_die("%s: Device name '%s' conflicts with an existing node name", q->location,
		       id);
	b = bb_new(id);
	if (!file || !*file) {
		if (virtio)
			queue_virtio_blk(id, fq_opts_get(&o, "addr"), q->location);
		fq_opts_free(&o);
		return; /* an empty drive */
	}
	opts = json_object_new_object();
	child = json_object_new_object();
	{
		/* bdrv_find_protocol(): host_device probes character and block devices. */
		struct stat st;
		bool dev = stat(file, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));

		json_object_object_add(child, "driver",
				       json_object_new_string(dev ? "host_device" : "file"));
	}
	json_object_object_add(child, "filename", json_object_new_string(file));
	if (!format) {
		/* Probing: a qcow2 header, else raw with QEMU's warning. */
		unsigned char magic[4] = {0};
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		struct stat st;

		/* The protocol opens first: what it refuses (a directory) is not probed. */
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			fd = -1;
		}
		if (fd >= 0 && pread(fd, magic, 4, 0) == 4 && !memcmp(magic, "QFI\xfb", 4))
			format = "qcow2";
		if (fd >= 0)
			close(fd);
		if (!format && fd >= 0) {
			format = "raw";
			fprintf(
			    stderr,
			    "WARNING: Image format was not specified for '%s' and probing "
			    "guessed raw.\n         Automatically detecting the format is "
			    "dangerous for raw images, write operations on block 0 will be "
			    "restricted.\n         Specify the 'raw' format explicitly to remove "
			    "the restrictions.\n",
			    file);
		}
		if (!format)
			format = "raw";
	}
	json_object_object_add(opts, "driver", json_object_new_string(format));
	json_object_object_add(opts, "file", child);
	/* -drive defaults auto-read-only=on (since 3.1). */
	json_object_object_add(child, "auto-read-only", json_object_new_boolean(1));
	if ((v = fq_opts_get(&o, "readonly")) && !strcmp(v, "on"))
		json_object_object_add(opts, "read-only", json_object_new_boolean(1));
	if ((v = fq_opts_get(&o, "discard")))
		json_object_object_add(opts, "discard", json_object_new_string(v));
	if ((v = fq_opts_get(&o, "detect-zeroes")))
		json_object_object_add(opts, "detect-zeroes", json_object_new_string(v));
	if (cache) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "direct",
				       json_object_new_boolean(!strcmp(cache, "none") ||
							       !strcmp(cache, "directsync")));
		json_object_object_add(c, "no-flush",
				       json_object_new_boolean(!strcmp(cache, "unsafe")));
		json_object_object_add(opts, "cache", c);
		b->write_cache = strcmp(cache, "writethrough") && strcmp(cache, "directsync");
	}
	opening_drive = true;
	root = node_open(opts, false, NULL, &r);
	opening_drive = false;
	json_object_put(opts);
	if (!root) {
		if (strstr(r.err_desc, "lock"))
			fq_die("%s: %s\nIs another process using the image [%s]?", q->location,
			       r.err_desc, file);
		fq_die("%s: %s", q->location, r.err_desc);
	}
	b->root = root;
	{
		struct user *u = user_add(root, NULL, "root", b);
		unsigned perm = PERM_CR | (root->read_only ? 0 : PERM_W);

		if (!user_set_perm(root, u, perm, perm_all(), &r))
			fq_die("%s: %s", q->location, r.err_desc);
	}
	if (virtio)
		queue_virtio_blk(id, fq_opts_get(&o, "addr"), q->location);
	fq_opts_free(&o);
}

void fq_blocks_create(void)
{
	for (int pass = 0; pass < 2; pass++)
		for (struct queued *q = queue; q; q = q->next) {
			struct fq_reply r = {0};

			if (q->is_drive != (pass == 1))
				continue;
			if (q->is_drive) {
				drive_create(q);
				continue;
			}
			fq_blockdev_add_cmdline(q->text, &r);
			if (r.err_class)
				fq_die("%s: %s", q->location, r.err_desc);
		}
}

/* ---- devices on BlockBackends ------------------------------------------------------------ */

static struct bb *bb_of_device(const struct fq_device *dev)
{
	for (struct bb *b = bbs; b; b = b->next)
		if (b->dev == dev)
			return b;
	return NULL;
}

static const char *drive_prop_owner(const struct fq_device *dev)
{
	return !strncmp(dev->driver, "virtio-blk-", 11) ? "virtio-blk-device" : dev->driver;
}

bool fq_block_check_attach(struct fq_device *dev, const char *drive, json_object *props,
			   struct fq_reply *r)
{
	struct bb *b;
	struct fq_block_node *n;
	struct user *u;
	bool share_rw = bool_member(props, "share-rw", false), ro;
	unsigned perm, shared;
	const char *srw = json_object_get_string(json_object_object_get(props, "share-rw"));

	if (srw && json_object_is_type(json_object_object_get(props, "share-rw"), json_type_string))
		share_rw = !strcmp(srw, "on") || !strcmp(srw, "true") || !strcmp(srw, "yes");
	if (!drive) {
		fq_reply_error(r, "GenericError", "drive property not set");
		return false;
	}
	/* parse_drive(): a -drive's BlockBackend, else a new one on the node. */
	b = bb_by_name(drive);
	if (b) {
		if (b->dev) {
			fq_reply_error(r, "GenericError",
				       "Drive '%s' is already in use by another device", drive);
			return false;
		}
		if (!b->root) {
			fq_reply_error(r, "GenericError", "Device needs media, but drive is empty");
			return false;
		}
		n = b->root;
		u = bb_user(b);
	} else {
		n = fq_node_by_name(drive);
		if (!n) {
			fq_reply_error(r, "GenericError",
				       "Property '%s.drive' can't find value '%s'",
				       drive_prop_owner(dev), drive);
			return false;
		}
		b = bb_new(NULL);
		b->root = n;
		u = user_add(n, NULL, "root", b);
	}
	b->dev = dev;
	/* blkconf_apply_backend_options(): read-only follows the node; disks resize. */
	ro = n->read_only;
	perm = PERM_CR | (ro ? 0 : PERM_W);
	shared =
	    PERM_CR | PERM_WU | PERM_RESIZE | (perm_all() & PERM_GRAPH) | (share_rw ? PERM_W : 0);
	if (!user_set_perm(n, u, perm, shared, r)) {
		fq_block_detach(dev);
		return false;
	}
	dev->drive = n;
	return true;
}

void fq_block_attach(struct fq_device *dev)
{
	struct bb *b = bb_of_device(dev);

	if (b)
		b->attached = true;
	if (dev->drive && !dev->drive->device)
		dev->drive->device = dev;
}

void fq_block_detach(struct fq_device *dev)
{
	struct bb *b = bb_of_device(dev);
	struct fq_block_node *n = b ? b->root : NULL;

	if (dev->drive && dev->drive->device == dev)
		dev->drive->device = NULL;
	dev->drive = NULL;
	if (!b)
		return;
	b->dev = NULL;
	b->attached = false;
	if (b->name) {
		/* The -drive's BlockBackend stays, with -drive's own permissions. */
		struct user *u = bb_user(b);

		if (u)
			user_set_perm(n, u, PERM_CR | (n->read_only ? 0 : PERM_W), perm_all(),
				      &(struct fq_reply){0});
		return;
	}
	if (n) {
		struct user *u = bb_user(b);

		if (u)
			user_remove(n, u);
		relax(n);
	}
	bb_free(b);
}

/* ---- queries ------------------------------------------------------------------------------ */

static json_object *image_info(const struct fq_block_node *n)
{
	const struct fq_node_priv *p = n->priv;
	const struct fq_block_node *proto = protocol_of((struct fq_block_node *)n);
	json_object *img = json_object_new_object();
	struct stat st;
	long long used = 0;

	if (proto && fstat(proto->priv->fd, &st) == 0 && S_ISREG(st.st_mode))
		used = (long long)st.st_blocks * 512;
	json_object_object_add(img, "filename",
			       json_object_new_string(n->filename ? n->filename : ""));
	json_object_object_add(img, "format", json_object_new_string(n->driver));
	json_object_object_add(img, "dirty-flag", json_object_new_boolean(0));
	json_object_object_add(img, "actual-size", json_object_new_int64(used));
	json_object_object_add(img, "virtual-size", json_object_new_int64((int64_t)node_length(n)));
	if (!strcmp(n->driver, "qcow2")) {
		json_object *fs = json_object_new_object(), *d = json_object_new_object();

		json_object_object_add(img, "cluster-size",
				       json_object_new_int64(1LL << p->cluster_bits));
		json_object_object_add(fs, "type", json_object_new_string("qcow2"));
		json_object_object_add(
		    d, "compat", json_object_new_string(p->qcow2_version == 3 ? "1.1" : "0.10"));
		if (p->qcow2_version == 3) {
			json_object_object_add(d, "lazy-refcounts",
					       json_object_new_boolean(p->compatible & 1));
			json_object_object_add(d, "corrupt",
					       json_object_new_boolean(!!(p->incompatible & 2)));
			json_object_object_add(d, "extended-l2",
					       json_object_new_boolean(!!(p->incompatible & 16)));
		}
		json_object_object_add(d, "refcount-bits",
				       json_object_new_int(1 << p->refcount_order));
		json_object_object_add(
		    d, "compression-type",
		    json_object_new_string(p->compression_type ? "zstd" : "zlib"));
		json_object_object_add(fs, "data", d);
		json_object_object_add(img, "format-specific", fs);
	} else if (fq_vm.cfg.dialect->node_active && p->protocol) {
		json_object *fs = json_object_new_object();

		json_object_object_add(fs, "type", json_object_new_string("file"));
		json_object_object_add(fs, "data", json_object_new_object());
		json_object_object_add(img, "format-specific", fs);
	}
	return img;
}

/* BlockDeviceInfo, members in schema order; @write_cache from the BlockBackend, if any. */
static json_object *node_info(const struct fq_block_node *n, bool write_cache)
{
	const struct fq_node_priv *p = n->priv;
	json_object *o = json_object_new_object(), *cache = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(n->filename ? n->filename : ""));
	json_object_object_add(o, "node-name", json_object_new_string(n->node_name));
	json_object_object_add(o, "ro", json_object_new_boolean(n->read_only));
	json_object_object_add(o, "drv", json_object_new_string(n->driver));
	json_object_object_add(o, "backing_file_depth", json_object_new_int(0));
	json_object_object_add(o, "encrypted", json_object_new_boolean(0));
	if (!fq_since(6, 0)) /* 5.2 still had it */
		json_object_object_add(o, "encryption_key_missing", json_object_new_boolean(0));
	json_object_object_add(o, "detect_zeroes", json_object_new_string(p->detect_zeroes));
	if (fq_vm.cfg.dialect->node_active)
		json_object_object_add(o, "active", json_object_new_boolean(1));
	json_object_object_add(o, "bps", json_object_new_int(0));
	json_object_object_add(o, "bps_rd", json_object_new_int(0));
	json_object_object_add(o, "bps_wr", json_object_new_int(0));
	json_object_object_add(o, "iops", json_object_new_int(0));
	json_object_object_add(o, "iops_rd", json_object_new_int(0));
	json_object_object_add(o, "iops_wr", json_object_new_int(0));
	json_object_object_add(o, "image", image_info(n));
	json_object_object_add(cache, "writeback", json_object_new_boolean(write_cache));
	json_object_object_add(cache, "direct", json_object_new_boolean(p->direct));
	json_object_object_add(cache, "no-flush", json_object_new_boolean(p->no_flush));
	json_object_object_add(o, "cache", cache);
	json_object_object_add(o, "write_threshold", json_object_new_int(0));
	return o;
}

void fq_cmd_query_named_block_nodes(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	for (struct fq_block_node *n = fq_vm.nodes; n; n = n->next)
		json_object_array_add(list, node_info(n, true));
	r->ret = list;
}

/* blk_get_attached_dev_id(): the attached device's id, else its QOM path. */
static void qdev_path(const struct fq_device *d, char *buf, size_t len)
{
	/* virtio-blk attaches its inner virtio-blk-device, which has no id. */
	if (!strncmp(d->driver, "virtio-blk-", 11))
		snprintf(buf, len, "%s/virtio-backend", d->qom_path);
	else
		snprintf(buf, len, "%s", d->id ? d->id : d->qom_path);
}

/* BlockBackends query-block and query-blockstats list: named, or with a device. */
static bool bb_listed(const struct bb *b)
{
	return b->name || b->dev;
}

void fq_cmd_query_block(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	for (struct bb *b = bbs; b; b = b->next) {
		json_object *o;
		char qdev[512];

		if (!bb_listed(b))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "device", json_object_new_string(b->name ? b->name : ""));
		if (b->dev) {
			qdev_path(b->dev, qdev, sizeof(qdev));
			json_object_object_add(o, "qdev", json_object_new_string(qdev));
		}
		json_object_object_add(o, "type", json_object_new_string("unknown"));
		json_object_object_add(o, "removable", json_object_new_boolean(!b->dev));
		json_object_object_add(o, "locked", json_object_new_boolean(0));
		if (b->root)
			json_object_object_add(o, "inserted", node_info(b->root, b->write_cache));
		if (b->dev)
			json_object_object_add(o, "io-status", json_object_new_string("ok"));
		json_object_array_add(list, o);
	}
	r->ret = list;
}

static const char *schema_str(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* The schema's type of member @member of object type @type. */
static const char *member_type(const char *type, const char *member)
{
	json_object *e = type ? fq_schema_entity(type) : NULL;
	json_object *members = e ? json_object_object_get(e, "members") : NULL;

	for (size_t i = 0; members && i < json_object_array_length(members); i++) {
		json_object *m = json_object_array_get_idx(members, i);

		if (!strcmp(schema_str(m, "name"), member))
			return schema_str(m, "type");
	}
	return NULL;
}

/* BlockDeviceStats of nothing done yet: every member of the schema's type, zero. */
static json_object *zero_stats(bool account)
{
	const char *list = schema_str(fq_schema_entity("query-blockstats"), "ret-type");
	const char *elem = schema_str(list ? fq_schema_entity(list) : NULL, "element-type");
	const char *type = member_type(elem, "stats");
	json_object *e = type ? fq_schema_entity(type) : NULL;
	json_object *members = e ? json_object_object_get(e, "members") : NULL;
	json_object *o = json_object_new_object();

	for (size_t i = 0; members && i < json_object_array_length(members); i++) {
		json_object *m = json_object_array_get_idx(members, i), *te;
		const char *name = schema_str(m, "name"), *mt = schema_str(m, "type");

		if (json_object_object_get_ex(m, "default", NULL))
			continue; /* optional: absent until there is something to say */
		te = fq_schema_entity(mt);
		if (!strcmp(schema_str(te, "meta-type"), "array"))
			json_object_object_add(o, name, json_object_new_array());
		else if (!strcmp(mt, "bool"))
			json_object_object_add(o, name, json_object_new_boolean(account));
		else
			json_object_object_add(o, name, json_object_new_int(0));
	}
	return o;
}

/*
 * BlockStats (members in schema order): a BlockBackend's @device and @qdev,
 * the node's name, @stats (the node's own when NULL), its file child's as
 * "parent", file-posix's discard counters.
 */
static json_object *node_stats(const struct fq_block_node *n, json_object *stats,
			       const char *device, const char *qdev)
{
	json_object *o = json_object_new_object();

	if (device)
		json_object_object_add(o, "device", json_object_new_string(device));
	if (qdev)
		json_object_object_add(o, "qdev", json_object_new_string(qdev));
	if (!n) {
		json_object_object_add(o, "stats", stats);
		return o;
	}
	json_object_object_add(o, "node-name", json_object_new_string(n->node_name));
	json_object_object_add(o, "stats", stats ? stats : zero_stats(false));
	if (n->file)
		json_object_object_add(o, "parent", node_stats(n->file, NULL, NULL, NULL));
	if (n->priv->protocol) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "driver", json_object_new_string(n->driver));
		json_object_object_add(d, "discard-nb-ok", json_object_new_int(0));
		json_object_object_add(d, "discard-nb-failed", json_object_new_int(0));
		json_object_object_add(d, "discard-bytes-ok", json_object_new_int(0));
		json_object_object_add(o, "driver-specific", d);
	}
	return o;
}

void fq_cmd_query_blockstats(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	if (bool_member(args, "query-nodes", false)) {
		/* bdrv_next_node(): every node, oldest first. */
		size_t n = 0;

		for (struct fq_block_node *x = fq_vm.nodes; x; x = x->next)
			n++;
		for (size_t i = n; i-- > 0;) {
			struct fq_block_node *x = fq_vm.nodes;

			for (size_t j = 0; j < i; j++)
				x = x->next;
			json_object_array_add(list, node_stats(x, NULL, NULL, NULL));
		}
		r->ret = list;
		return;
	}
	for (struct bb *b = bbs; b; b = b->next) {
		char qdev[512];

		if (!bb_listed(b))
			continue;
		if (b->dev)
			qdev_path(b->dev, qdev, sizeof(qdev));
		/*
		 * A BlockBackend's own accounting: -drive's counts invalid and failed
		 * requests (stats-account-*), a device's since 6.0.
		 */
		json_object_array_add(
		    list, node_stats(b->root, zero_stats((b->name && b->root) || fq_since(6, 0)),
				     b->name ? b->name : "", b->dev ? qdev : NULL));
	}
	r->ret = list;
}

/* ---- block_resize ------------------------------------------------------------------------- */

static void put_be64(unsigned char *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
}

/* bdrv_co_truncate() down the chain: the host file or the qcow2 header changes. */
static bool truncate_node(struct fq_block_node *n, uint64_t size, struct fq_reply *r)
{
	struct fq_node_priv *p = n->priv;

	if (n->read_only) {
		fq_reply_error(r, "GenericError", "Image is read-only");
		return false;
	}
	if (p->protocol) {
		if (ftruncate(p->fd, (off_t)size) < 0) {
			fq_reply_error(r, "GenericError", "Failed to resize file: %s",
				       strerror(errno));
			return false;
		}
		return true;
	}
	if (!strcmp(n->driver, "raw")) {
		if (p->raw_window) {
			fq_reply_error(r, "GenericError",
				       "The new size of raw images with offset or size cannot be "
				       "changed");
			return false;
		}
		return truncate_node(n->file, size, r);
	}
	if (!strcmp(n->driver, "qcow2")) {
		struct fq_block_node *proto = protocol_of(n->file);
		unsigned char b[8];

		put_be64(b, size);
		if (!proto || pwrite(proto->priv->fd, b, 8, 24) != 8) {
			fq_reply_error(r, "GenericError", "Failed to update the image size");
			return false;
		}
		p->size = size;
		return true;
	}
	p->size = size;
	return true;
}

void fq_cmd_block_resize(json_object *args, struct fq_reply *r)
{
	const char *device = str_member(args, "device"), *node = str_member(args, "node-name");
	int64_t size = json_object_get_int64(json_object_object_get(args, "size"));
	struct fq_block_node *n = NULL;
	struct bb *tmp;
	struct user *u;

	/* bdrv_lookup_bs() */
	if (device) {
		struct bb *b = bb_by_name(device);

		if (b && !b->root) {
			fq_reply_error(r, "GenericError", "Device '%s' has no medium", device);
			return;
		}
		n = b ? b->root : NULL;
	}
	if (!n && node)
		n = fq_node_by_name(node);
	if (!n) {
		if (!fq_since(6, 0))
			fq_reply_error(r, "GenericError", "Cannot find device=%s nor node_name=%s",
				       device ? device : "", node ? node : "");
		else
			fq_reply_error(r, "GenericError",
				       "Cannot find device='%s' nor node-name='%s'",
				       device ? device : "", node ? node : "");
		return;
	}
	if (size < 0) {
		fq_reply_error(r, "GenericError", "Parameter 'size' expects a >0 size");
		return;
	}
	/* blk_new_with_bs(bs, BLK_PERM_RESIZE, BLK_PERM_ALL): a user that resizes. */
	tmp = bb_new(NULL);
	tmp->root = n;
	u = user_add(n, NULL, "root", tmp);
	if (user_set_perm(n, u, PERM_RESIZE, perm_all(), r))
		truncate_node(n, (uint64_t)size, r);
	user_remove(n, u);
	relax(n);
	bb_free(tmp);
}

json_object *fq_block_state_json(void)
{
	json_object *list = json_object_new_array();

	for (struct bb *b = bbs; b; b = b->next) {
		json_object *o;

		if (!bb_listed(b))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", b->name ? json_object_new_string(b->name) : NULL);
		json_object_object_add(o, "node-name",
				       b->root ? json_object_new_string(b->root->node_name) : NULL);
		json_object_object_add(
		    o, "device",
		    b->dev ? json_object_new_string(b->dev->id ? b->dev->id : b->dev->qom_path) : NULL);
		json_object_array_add(list, o);
	}
	return list;
}
