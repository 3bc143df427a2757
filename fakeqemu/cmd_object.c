/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmd_object.c - -object, object-add, object-del, query-iothreads, query-memdev (see objects.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends.h"
#include "chardev.h"
#include "fakeqemu.h"
#include "gtable.h"
#include "keyval.h"
#include "numparse.h"
#include "objects.h"
#include "opts.h"
#include "schema.h"
#include "since.h"

/* /objects: its children in GHashTable order; the values are registry entries. */
static struct fq_gtable *objects_root;

/* -object options, created by fq_objects_create(). */
struct queued {
	char *location;
	json_object *args; /* {"qom-type", "id", properties...} */
	bool early;
	struct queued *next;
};
static struct queued *queue;

/* The machine's RAM backend when -machine memory-backend= names one, and the defaults. */
static char *machine_memdev;

/* Memory backends -numa node,memdev= gave the NUMA nodes (then there is no default RAM). */
static char *numa_memdevs[64];
static int nnuma_memdevs;

static struct fq_gtable *root(void)
{
	if (!objects_root)
		objects_root = fq_gtable_new();
	return objects_root;
}

static const char *str_arg(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* ---- property values (typed JSON from QMP, strings from 5.2's command line) ---- */

static bool prop_u64(json_object *props, const char *key, uint64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(props, key, &v))
		return false;
	if (json_object_is_type(v, json_type_string))
		return fq_strtosz(json_object_get_string(v), out, NULL) == 0;
	*out = (uint64_t)json_object_get_int64(v);
	return true;
}

static bool prop_bool(json_object *props, const char *key, bool def)
{
	json_object *v;

	if (!json_object_object_get_ex(props, key, &v))
		return def;
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		return !strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true");
	}
	return json_object_get_boolean(v);
}

/* ---- types ------------------------------------------------------------------ */

/*
 * QEMU 5.2's object-add takes any type and any property, checked by QOM:
 * these are its user-creatable types and the properties of the common
 * ones (qom-list-types implements=user-creatable, qom-list-properties).
 */
static const char *const types_5_2 =
    " authz-list authz-list-file authz-simple can-bus can-host-socketcan colo-compare "
    "cryptodev-backend cryptodev-backend-builtin cryptodev-vhost-user dbus-vmstate "
    "filter-buffer filter-dump filter-mirror filter-redirector filter-replay filter-rewriter "
    "input-barrier input-linux iothread memory-backend-file memory-backend-memfd "
    "memory-backend-ram pr-manager-helper rng-builtin rng-egd rng-random secret "
    "secret_keyring sev-guest throttle-group tls-cipher-suites tls-creds-anon tls-creds-psk "
    "tls-creds-x509 ";

#define BACKEND_PROPS                                                                              \
	" share dump prealloc-threads x-use-canonical-path-for-ramblock-id policy size prealloc "  \
	"host-nodes merge "
static const struct {
	const char *type, *props;
} props_5_2[] = {
    {"memory-backend-ram", BACKEND_PROPS},
    {"memory-backend-file", BACKEND_PROPS "align pmem mem-path discard-data "},
    {"memory-backend-memfd", BACKEND_PROPS "hugetlb seal hugetlbsize "},
    {"iothread", " poll-max-ns poll-grow poll-shrink "},
    {"secret", " iv keyid loaded format file data "},
    {"rng-random", " opened filename "},
    {"rng-builtin", " opened "},
    {"rng-egd", " opened chardev "},
};

/* Abstract parents of user-creatable types, for 5.2's message. */
static bool abstract_5_2(const char *type)
{
	static const char *const abstract[] = {
	    "memory-backend", "rng-backend", "tls-creds", "netfilter", "authz", "object", NULL};

	for (int i = 0; abstract[i]; i++)
		if (!strcmp(type, abstract[i]))
			return true;
	return false;
}

static bool in_words(const char *list, const char *word)
{
	char pat[128];

	snprintf(pat, sizeof(pat), " %s ", word);
	return strstr(list, pat) != NULL;
}

/* 5.2: qom-type known, each property one of the type's. */
static bool check_5_2(const char *type, json_object *props, struct fq_reply *r)
{
	if (!in_words(types_5_2, type)) {
		if (abstract_5_2(type))
			fq_reply_error(r, "GenericError", "object type '%s' is abstract", type);
		else
			fq_reply_error(r, "GenericError", "invalid object type: %s", type);
		return false;
	}
	for (size_t i = 0; i < sizeof(props_5_2) / sizeof(props_5_2[0]); i++) {
		if (strcmp(props_5_2[i].type, type))
			continue;
		json_object_object_foreach(props, key, val)
		{
			(void)val;
			if (strcmp(key, "qom-type") && strcmp(key, "id") &&
			    !in_words(props_5_2[i].props, key)) {
				fq_reply_error(r, "GenericError", "Property '%s.%s' not found",
					       type, key);
				return false;
			}
		}
	}
	return true;
}

static bool is_memory_backend(const char *type)
{
	return !strncmp(type, "memory-backend-", 15);
}

/* host_memory_backend_memory_complete() and the backends' alloc functions. */
static bool complete_memory_backend(const char *type, json_object *props, struct fq_reply *r)
{
	uint64_t size = 0;

	prop_u64(props, "size", &size);
	if (size == 0) {
		fq_reply_error(r, "GenericError", "can't create backend with size 0");
		return false;
	}
	if (!strcmp(type, "memory-backend-file")) {
		const char *path = str_arg(props, "mem-path");
		bool readonly = prop_bool(props, "readonly", false);
		struct stat st;
		int fd;

		if (!path) {
			fq_reply_error(r, "GenericError", "mem-path property not set");
			return false;
		}
		/* A directory gets an unlinked temporary file: nothing to check. */
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return true;
		fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && !readonly)
			fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			fq_reply_error(r, "GenericError",
				       "can't open backing store %s for guest RAM: %s", path,
				       strerror(errno));
			return false;
		}
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			if (st.st_size > 0 && (uint64_t)st.st_size < size) {
				/* 9.0 added the 'offset' option and named the backend. */
				if (fq_since(9, 0))
					fq_reply_error(
					    r, "GenericError",
					    "%s backing store size 0x%llx is too small for "
					    "'size' option 0x%llx plus 'offset' option 0x0",
					    str_arg(props, "id"), (unsigned long long)st.st_size,
					    (unsigned long long)size);
				else
					fq_reply_error(
					    r, "GenericError",
					    "backing store size 0x%llx does not match 'size' "
					    "option 0x%llx",
					    (unsigned long long)st.st_size,
					    (unsigned long long)size);
				close(fd);
				return false;
			}
			/* file_ram_alloc() grows an empty file to the backend's size. */
			if (st.st_size == 0 && !readonly && ftruncate(fd, (off_t)size) < 0) {
				fq_reply_error(r, "GenericError", "ftruncate: %s", strerror(errno));
				close(fd);
				return false;
			}
		}
		close(fd);
	}
	return true;
}

/* user_creatable_complete() of the types fakeqemu checks; the rest just exist. */
static bool complete(const char *type, json_object *props, struct fq_reply *r)
{
	if (is_memory_backend(type))
		return complete_memory_backend(type, props, r);
	if (!strcmp(type, "secret")) {
		const char *data = str_arg(props, "data"), *file = str_arg(props, "file");
		const char *format = str_arg(props, "format");

		if (!data && !file) {
			fq_reply_error(r, "GenericError",
				       "Either 'file' or 'data' must be provided");
			return false;
		}
		if (data && format && !strcmp(format, "base64")) {
			for (const char *p = data; *p; p++)
				if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					    "0123456789+/=",
					    *p)) {
					fq_reply_error(r, "GenericError",
						       "Base64 data contains invalid characters");
					return false;
				}
		}
		if (file && access(file, R_OK) < 0) {
			fq_reply_error(r, "GenericError", "Unable to read %s: %s", file,
				       strerror(errno));
			return false;
		}
		return true;
	}
	if (!strcmp(type, "rng-random")) {
		const char *f = str_arg(props, "filename");
		int fd = open(f ? f : "/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fq_reply_error(r, "GenericError", "Could not open '%s': %s",
				       f ? f : "/dev/urandom", strerror(errno));
			return false;
		}
		close(fd);
		return true;
	}
	if (!strcmp(type, "rng-egd") && !str_arg(props, "chardev")) {
		fq_reply_error(r, "GenericError", "chardev property not set");
		return false;
	}
	return true;
}

/*
 * The property setters' checks: they fail before the object is a child of
 * /objects (complete() failures come after, and leave a tombstone).
 */
static bool set_properties(const char *type, json_object *props, struct fq_reply *r)
{
	uint64_t size;

	if (is_memory_backend(type) && prop_u64(props, "size", &size) && size == 0) {
		fq_reply_error(r, "GenericError", "property 'size' of %s doesn't take value '0'",
			       type);
		return false;
	}
	if (!strcmp(type, "rng-egd")) {
		const char *chr = str_arg(props, "chardev");

		if (chr && !fq_chardev_find(chr)) {
			fq_reply_error(r, "DeviceNotFound", "Device '%s' not found", chr);
			return false;
		}
	}
	if (!strcmp(type, "iothread")) {
		static const char *const ns[] = {"poll-max-ns", "poll-grow", "poll-shrink", NULL};

		for (int i = 0; ns[i]; i++) {
			json_object *v;

			if (json_object_object_get_ex(props, ns[i], &v) &&
			    json_object_get_int64(v) < 0) {
				fq_reply_error(r, "GenericError",
					       "%s value must be in range [0, 9223372036854775807]",
					       ns[i]);
				return false;
			}
		}
	}
	return true;
}

/* ---- creation ------------------------------------------------------------------ */

/*
 * user_creatable_add_type(): @args is {"qom-type", "id", properties...} with
 * the properties typed (checked by the schema from 6.0 on).
 */
static void object_create(json_object *args, struct fq_reply *r)
{
	const char *type = str_arg(args, "qom-type"), *id = str_arg(args, "id");
	struct fq_backend *b;

	if (!fq_since(6, 0) && !check_5_2(type, args, r))
		return;
	if (fq_since(6, 0) && !fq_id_wellformed(id)) {
		fq_reply_error(r, "GenericError", "Parameter 'id' expects an identifier");
		return;
	}
	if (!set_properties(type, args, r))
		return;
	if (fq_gtable_lookup(root(), id)) {
		fq_reply_error(
		    r, "GenericError",
		    "attempt to add duplicate property '%s' to object (type 'container')", id);
		return;
	}
	b = fq_backend_add(FQ_BACKEND_OBJECT, id, type, json_object_get(args));
	fq_gtable_insert(root(), id, b);
	if (!complete(type, args, r)) {
		/* object_property_del(): the child goes, its slot becomes a tombstone. */
		fq_gtable_remove(root(), id);
		fq_backend_remove(b);
	}
}

/* 5.2's object-add: {"qom-type", "id", "props": {...}} and/or properties at top level. */
static json_object *flatten_5_2(json_object *args)
{
	json_object *flat = json_object_new_object(), *props;

	json_object_object_foreach(args, key, val)
	{
		if (strcmp(key, "props"))
			json_object_object_add(flat, key, json_object_get(val));
	}
	if (json_object_object_get_ex(args, "props", &props) &&
	    json_object_is_type(props, json_type_object)) {
		json_object_object_foreach(props, pk, pv)
		{
			json_object_object_add(flat, pk, json_object_get(pv));
		}
	}
	return flat;
}

static bool check_5_2_args(json_object *args, struct fq_reply *r)
{
	json_object *v;

	/* qmp_object_add() is 'gen': false in 5.2: it reads these itself. */
	if (!json_object_object_get_ex(args, "qom-type", &v)) {
		fq_reply_error(r, "GenericError", "Parameter 'qom-type' is missing");
		return false;
	}
	if (!json_object_is_type(v, json_type_string)) {
		fq_reply_error(r, "GenericError",
			       "Invalid parameter type for 'qom-type', expected: string");
		return false;
	}
	if (!json_object_object_get_ex(args, "id", &v)) {
		fq_reply_error(r, "GenericError", "Parameter 'id' is missing");
		return false;
	}
	if (!json_object_is_type(v, json_type_string)) {
		fq_reply_error(r, "GenericError",
			       "Invalid parameter type for 'id', expected: string");
		return false;
	}
	if (json_object_object_get_ex(args, "props", &v) &&
	    !json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_null)) {
		fq_reply_error(r, "GenericError",
			       "Invalid parameter type for 'props', expected: dict");
		return false;
	}
	return true;
}

void fq_cmd_object_add(json_object *args, struct fq_reply *r)
{
	if (fq_since(6, 0)) {
		char *err = fq_schema_check_args("object-add", args);

		if (err) {
			fq_reply_error(r, "GenericError", "%s", err);
			free(err);
			return;
		}
	} else {
		json_object *flat;

		if (!check_5_2_args(args, r))
			return;
		flat = flatten_5_2(args);
		object_create(flat, r);
		json_object_put(flat);
		return;
	}
	object_create(args, r);
}

void fq_cmd_object_del(json_object *args, struct fq_reply *r)
{
	const char *id = str_arg(args, "id");
	struct fq_backend *b = fq_gtable_lookup(root(), id);

	if (!b) {
		fq_reply_error(r, "GenericError", "object '%s' not found", id);
		return;
	}
	/* user_creatable_can_be_deleted(): a memory backend a device maps stays. */
	if (is_memory_backend(b->type) && b->user) {
		fq_reply_error(r, "GenericError", "object '%s' is in use, can not be deleted", id);
		return;
	}
	fq_gtable_remove(root(), id);
	fq_backend_remove(b);
}

json_object *fq_object_find(const char *id)
{
	struct fq_backend *b = id ? fq_gtable_lookup(root(), id) : NULL;

	return b ? b->props : NULL;
}

/* ---- the machine's RAM ------------------------------------------------------------ */

void fq_objects_machine_ram(const char *id, uint64_t size)
{
	json_object *args;
	struct fq_reply r = {0};
	struct fq_backend *b;

	if (machine_memdev) {
		b = fq_gtable_lookup(root(), machine_memdev);
		if (b)
			fq_backend_claim(b, "/machine");
		return;
	}
	/* numa_uses_legacy_mem(): nodes with memdevs are the RAM. */
	if (nnuma_memdevs) {
		for (int i = 0; i < nnuma_memdevs; i++) {
			b = fq_gtable_lookup(root(), numa_memdevs[i]);
			if (b)
				fq_backend_claim(b, "/machine/numa");
		}
		return;
	}
	if (!size)
		return;
	/* create_default_memdev(): a memory-backend-ram child of /objects. */
	args = json_object_new_object();
	json_object_object_add(args, "qom-type", json_object_new_string("memory-backend-ram"));
	json_object_object_add(args, "id", json_object_new_string(id));
	json_object_object_add(args, "size", json_object_new_int64((int64_t)size));
	b = fq_backend_add(FQ_BACKEND_OBJECT, id, "memory-backend-ram", args);
	fq_gtable_insert(root(), id, b);
	fq_backend_claim(b, "/machine");
	(void)r;
}

/* ---- queries ------------------------------------------------------------------------- */

static void reverse(json_object *list)
{
	size_t n = json_object_array_length(list);

	for (size_t i = 0; i < n / 2; i++) {
		json_object *a = json_object_get(json_object_array_get_idx(list, i));
		json_object *b = json_object_get(json_object_array_get_idx(list, n - 1 - i));

		json_object_array_put_idx(list, i, b);
		json_object_array_put_idx(list, n - 1 - i, a);
	}
}

/* -machine dump-guest-core= and mem-merge= give the backends' defaults. */
static bool machine_flag(const char *key, bool def)
{
	struct fq_opts o;
	int v;

	if (!fq_vm.cfg.machine_arg)
		return def;
	fq_opts_parse(fq_vm.cfg.machine_arg, "type", &o);
	v = fq_opts_get_bool(&o, key, def);
	fq_opts_free(&o);
	return v < 0 ? def : v;
}

void fq_cmd_query_memdev(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();
	struct fq_backend *b;
	size_t pos = 0;

	(void)args;
	while ((b = fq_gtable_next(root(), &pos, NULL))) {
		json_object *e, *nodes, *hn;
		uint64_t size = 0;
		const char *policy = str_arg(b->props, "policy");

		if (!is_memory_backend(b->type))
			continue;
		prop_u64(b->props, "size", &size);
		e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(b->id));
		json_object_object_add(e, "size", json_object_new_int64((int64_t)size));
		json_object_object_add(e, "merge",
				       json_object_new_boolean(prop_bool(
					   b->props, "merge", machine_flag("mem-merge", true))));
		json_object_object_add(
		    e, "dump",
		    json_object_new_boolean(
			prop_bool(b->props, "dump", machine_flag("dump-guest-core", true))));
		json_object_object_add(
		    e, "prealloc", json_object_new_boolean(prop_bool(b->props, "prealloc", false)));
		if (fq_since(6, 1)) {
			/* memfd shares by default. */
			bool share_def = !strcmp(b->type, "memory-backend-memfd");

			json_object_object_add(
			    e, "share",
			    json_object_new_boolean(prop_bool(b->props, "share", share_def)));
			json_object_object_add(
			    e, "reserve",
			    json_object_new_boolean(prop_bool(b->props, "reserve", true)));
		}
		nodes = json_object_new_array();
		if (json_object_object_get_ex(b->props, "host-nodes", &hn) &&
		    json_object_is_type(hn, json_type_array))
			for (size_t i = 0; i < json_object_array_length(hn); i++)
				json_object_array_add(
				    nodes, json_object_get(json_object_array_get_idx(hn, i)));
		json_object_object_add(e, "host-nodes", nodes);
		json_object_object_add(e, "policy",
				       json_object_new_string(policy ? policy : "default"));
		json_object_array_add(list, e);
	}
	reverse(list);
	r->ret = list;
}

void fq_cmd_query_iothreads(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();
	struct fq_backend *b;
	size_t pos = 0;
	int n = 0;

	(void)args;
	while ((b = fq_gtable_next(root(), &pos, NULL))) {
		json_object *e;
		uint64_t max_ns = 32768, grow = 0, shrink = 0, batch = 0;

		if (strcmp(b->type, "iothread"))
			continue;
		prop_u64(b->props, "poll-max-ns", &max_ns);
		prop_u64(b->props, "poll-grow", &grow);
		prop_u64(b->props, "poll-shrink", &shrink);
		prop_u64(b->props, "aio-max-batch", &batch);
		e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(b->id));
		/* No thread runs it: a stable stand-in for the host thread id. */
		json_object_object_add(e, "thread-id", json_object_new_int(getpid() + 1000 + n++));
		json_object_object_add(e, "poll-max-ns", json_object_new_int64((int64_t)max_ns));
		json_object_object_add(e, "poll-grow", json_object_new_int64((int64_t)grow));
		json_object_object_add(e, "poll-shrink", json_object_new_int64((int64_t)shrink));
		if (fq_since(6, 1))
			json_object_object_add(e, "aio-max-batch",
					       json_object_new_int64((int64_t)batch));
		json_object_array_add(list, e);
	}
	/* query_one_iothread() appends: the table's own order. */
	r->ret = list;
}

/* ---- the command line ------------------------------------------------------------------ */

/* object_create_early(): what waits until the chardevs and netdevs exist. */
static bool created_early(const char *type)
{
	return !(!strcmp(type, "rng-egd") || !strcmp(type, "qtest") ||
		 !strcmp(type, "cryptodev-vhost-user") || !strcmp(type, "vhost-user-blk-server") ||
		 !strncmp(type, "filter-", 7) || !strcmp(type, "colo-compare") ||
		 is_memory_backend(type));
}

void fq_object_option(const char *arg)
{
	struct queued *q = calloc(1, sizeof(*q)), **pp;
	json_object *args;
	const char *type, *id;

	if (!q)
		abort();
	if (asprintf(&q->location, "-object %s", arg) < 0)
		abort();
	/* JSON -object came with 6.0; 5.2 reads any text as QemuOpts. */
	if (arg[0] == '{' && fq_since(6, 0)) {
		args = json_tokener_parse(arg);
		if (!json_object_is_type(args, json_type_object))
			fq_die("%s: JSON parse error", q->location);
	} else {
		struct fq_opts o;

		fq_opts_parse(arg, "qom-type", &o);
		args = fq_since(6, 0) ? fq_keyval_typed(&o, fq_command_arg_type("object-add"))
				      : fq_keyval_typed(&o, NULL);
		fq_opts_free(&o);
	}
	type = str_arg(args, "qom-type");
	id = str_arg(args, "id");
	if (fq_since(6, 0)) {
		char *err = fq_schema_check_args("object-add", args);

		/* The keyval visitor words a leftover key as QemuOpts did. */
		if (err && arg[0] != '{' && !strncmp(err, "Parameter '", 11) &&
		    strstr(err, "' is unexpected")) {
			*strstr(err, "' is unexpected") = '\0';
			fq_die("%s: Invalid parameter '%s'", q->location, err + 11);
		}
		if (err)
			fq_die("%s: %s", q->location, err);
	}
	for (struct queued *p = queue; p && id; p = p->next) {
		const char *other = str_arg(p->args, "id");

		if (other && !strcmp(other, id))
			fq_die("%s: Duplicate ID '%s' for object", q->location, id);
	}
	q->args = args;
	q->early = !type || created_early(type);
	for (pp = &queue; *pp; pp = &(*pp)->next)
		;
	*pp = q;
}

void fq_objects_create(bool early)
{
	for (struct queued *q = queue; q; q = q->next) {
		struct fq_reply r = {0};

		if (q->early != early)
			continue;
		/* user_creatable_add_opts() of 5.2 reads these before the type. */
		if (!fq_since(6, 0) && !str_arg(q->args, "qom-type"))
			fq_die("%s: Parameter 'qom-type' is missing", q->location);
		if (!fq_since(6, 0) && !str_arg(q->args, "id"))
			fq_die("%s: Parameter 'id' is missing", q->location);
		object_create(q->args, &r);
		/* From 6.0 objects are created after the command line: no location. */
		if (r.err_class && fq_since(6, 0))
			fq_die("%s", r.err_desc);
		if (r.err_class)
			fq_die("%s: %s", q->location, r.err_desc);
	}
	if (!early && fq_vm.cfg.machine_arg) {
		struct fq_opts o;
		const char *mb;

		fq_opts_parse(fq_vm.cfg.machine_arg, "type", &o);
		mb = fq_opts_get(&o, "memory-backend");
		if (mb) {
			machine_memdev = strdup(mb);
			if (!fq_gtable_lookup(root(), mb))
				fq_die("Memory backend '%s' not found", mb);
		}
		fq_opts_free(&o);
	}
}

void fq_objects_numa_memdev(const char *id)
{
	if (nnuma_memdevs < (int)(sizeof(numa_memdevs) / sizeof(numa_memdevs[0])))
		numa_memdevs[nnuma_memdevs++] = strdup(id);
}
