/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state.c - a VM's persistent hypervisor state: versioned JSON, atomic writes, validated loads */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup.h"
#include "deadline.h"
#include "error.h"
#include "state.h"

/* Temporary files of a save are "<name>.tmp.<pid>.<random>". */
#define TEMP_INFIX ".tmp."

/*
 * The file: {"version": 1, "uuid": "...", "bridges": [{"id", "addr",
 * "chassis", "slots": {"1": "dev-id", ...}}], "vcpus": [{"id", "socket-id",
 * "die-id", "core-id", "thread-id"}], "devices": [{"id", "kind", "node",
 * "bridge", "slot", "scsi-id", "lun", "bdf", "unplugging"}]}
 */

static const char *const kind_names[] = {NULL, "virtio-blk", "scsi-hd", "vfio"};

void qd_state_clear(struct qd_state *st)
{
	for (size_t i = 0; i < st->nbridges; i++) {
		free(st->bridges[i].id);
		for (int s = 0; s < QD_BRIDGE_SLOTS; s++)
			free(st->bridges[i].slots[s]);
	}
	for (size_t i = 0; i < st->nvcpus; i++)
		free(st->vcpus[i].id);
	for (size_t i = 0; i < st->ndevices; i++) {
		free(st->devices[i].id);
		free(st->devices[i].node);
		free(st->devices[i].bridge);
		free(st->devices[i].bdf);
	}
	free(st->bridges);
	free(st->vcpus);
	free(st->devices);
	memset(st, 0, sizeof(*st));
}

int qd_state_add_bridge(struct qd_state *st, const char *id, int addr, int chassis)
{
	struct qd_bridge *b = realloc(st->bridges, (st->nbridges + 1) * sizeof(*b));

	if (!b)
		return -ENOMEM;
	st->bridges = b;
	b = &st->bridges[st->nbridges];
	memset(b, 0, sizeof(*b));
	b->id = strdup(id);
	b->addr = addr;
	b->chassis = chassis;
	if (!b->id)
		return -ENOMEM;
	st->nbridges++;
	return 0;
}

int qd_state_add_vcpu(struct qd_state *st, const char *id, int socket, int die, int core,
		      int thread)
{
	struct qd_vcpu_record *v = realloc(st->vcpus, (st->nvcpus + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	st->vcpus = v;
	v = &st->vcpus[st->nvcpus];
	*v = (struct qd_vcpu_record){strdup(id), socket, die, core, thread, false};
	if (!v->id)
		return -ENOMEM;
	st->nvcpus++;
	return 0;
}

void qd_state_remove_vcpu(struct qd_state *st, const char *id)
{
	for (size_t i = 0; i < st->nvcpus; i++)
		if (!strcmp(st->vcpus[i].id, id)) {
			free(st->vcpus[i].id);
			memmove(&st->vcpus[i], &st->vcpus[i + 1],
				(st->nvcpus - i - 1) * sizeof(st->vcpus[0]));
			st->nvcpus--;
			return;
		}
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int qd_state_add_device(struct qd_state *st, const struct qd_device_record *rec)
{
	struct qd_device_record *d = realloc(st->devices, (st->ndevices + 1) * sizeof(*d));

	if (!d)
		return -ENOMEM;
	st->devices = d;
	d = &st->devices[st->ndevices];
	*d = *rec;
	d->id = strdup(rec->id);
	d->node = dup_or_null(rec->node);
	d->bridge = dup_or_null(rec->bridge);
	d->bdf = dup_or_null(rec->bdf);
	if (!d->id)
		return -ENOMEM;
	st->ndevices++;
	return 0;
}

struct qd_device_record *qd_state_find_device(struct qd_state *st, const char *id)
{
	for (size_t i = 0; i < st->ndevices; i++)
		if (!strcmp(st->devices[i].id, id))
			return &st->devices[i];
	return NULL;
}

void qd_state_remove_device(struct qd_state *st, const char *id)
{
	for (size_t i = 0; i < st->ndevices; i++)
		if (!strcmp(st->devices[i].id, id)) {
			free(st->devices[i].id);
			free(st->devices[i].node);
			free(st->devices[i].bridge);
			free(st->devices[i].bdf);
			memmove(&st->devices[i], &st->devices[i + 1],
				(st->ndevices - i - 1) * sizeof(st->devices[0]));
			st->ndevices--;
			return;
		}
}

/* The first root-bus slot the bridges take (kata's bridgePCIStartAddr). */
#define BRIDGE_FIRST_ADDR 2

/* Bridge @i of a VM: its id, root-bus slot and chassis number. */
static void bridge_spec(unsigned i, char *id, size_t size, int *addr, int *chassis)
{
	snprintf(id, size, "pci-bridge-%u", i);
	*addr = BRIDGE_FIRST_ADDR + (int)i;
	*chassis = (int)i + 1;
}

bool qd_state_bridges_are(const struct qd_state *st, unsigned n)
{
	if (st->nbridges != n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		char id[32];
		int addr, chassis;

		bridge_spec(i, id, sizeof(id), &addr, &chassis);
		if (strcmp(st->bridges[i].id, id) || st->bridges[i].addr != addr ||
		    st->bridges[i].chassis != chassis)
			return false;
	}
	return true;
}

int qd_state_set_bridges(struct qd_state *st, unsigned n)
{
	for (size_t i = 0; i < st->nbridges; i++) {
		free(st->bridges[i].id);
		for (int s = 0; s < QD_BRIDGE_SLOTS; s++)
			free(st->bridges[i].slots[s]);
	}
	free(st->bridges);
	st->bridges = NULL;
	st->nbridges = 0;
	for (unsigned i = 0; i < n; i++) {
		char id[32];
		int addr, chassis;

		bridge_spec(i, id, sizeof(id), &addr, &chassis);
		if (qd_state_add_bridge(st, id, addr, chassis) < 0)
			return -ENOMEM;
	}
	return 0;
}

void qd_state_forget_qemu(struct qd_state *st)
{
	st->qemu_pid = 0;
	while (st->nvcpus)
		qd_state_remove_vcpu(st, st->vcpus[0].id);
	while (st->ndevices)
		qd_state_remove_device(st, st->devices[0].id);
	for (size_t i = 0; i < st->nbridges; i++)
		for (int s = 0; s < QD_BRIDGE_SLOTS; s++) {
			free(st->bridges[i].slots[s]);
			st->bridges[i].slots[s] = NULL;
		}
}

/* ---- serialisation ------------------------------------------------------------- */

static void add_str(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

json_object *qd_state_to_json(const struct qd_state *st)
{
	json_object *o = json_object_new_object(), *bridges = json_object_new_array();
	json_object *vcpus = json_object_new_array(), *devices = json_object_new_array();

	json_object_object_add(o, "version", json_object_new_int(QD_STATE_VERSION));
	json_object_object_add(o, "uuid", json_object_new_string(st->uuid));
	json_object_object_add(o, "qemu-pid", json_object_new_int(st->qemu_pid));
	json_object_object_add(o, "vcpu-seq", json_object_new_int((int)st->vcpu_seq));
	for (size_t i = 0; i < st->nbridges; i++) {
		const struct qd_bridge *b = &st->bridges[i];
		json_object *j = json_object_new_object(), *slots = json_object_new_object();

		add_str(j, "id", b->id);
		json_object_object_add(j, "addr", json_object_new_int(b->addr));
		json_object_object_add(j, "chassis", json_object_new_int(b->chassis));
		for (int s = 0; s < QD_BRIDGE_SLOTS; s++) {
			char key[8];

			if (!b->slots[s])
				continue;
			snprintf(key, sizeof(key), "%d", s);
			json_object_object_add(slots, key, json_object_new_string(b->slots[s]));
		}
		json_object_object_add(j, "slots", slots);
		json_object_array_add(bridges, j);
	}
	json_object_object_add(o, "bridges", bridges);
	for (size_t i = 0; i < st->nvcpus; i++) {
		const struct qd_vcpu_record *v = &st->vcpus[i];
		json_object *j = json_object_new_object();

		add_str(j, "id", v->id);
		json_object_object_add(j, "socket-id", json_object_new_int(v->socket));
		json_object_object_add(j, "die-id", json_object_new_int(v->die));
		json_object_object_add(j, "core-id", json_object_new_int(v->core));
		json_object_object_add(j, "thread-id", json_object_new_int(v->thread));
		json_object_object_add(j, "plugging", json_object_new_boolean(v->plugging));
		json_object_array_add(vcpus, j);
	}
	json_object_object_add(o, "vcpus", vcpus);
	for (size_t i = 0; i < st->ndevices; i++) {
		const struct qd_device_record *d = &st->devices[i];
		json_object *j = json_object_new_object();

		add_str(j, "id", d->id);
		add_str(j, "kind", kind_names[d->kind]);
		add_str(j, "node", d->node);
		add_str(j, "bridge", d->bridge);
		json_object_object_add(j, "slot", json_object_new_int(d->slot));
		json_object_object_add(j, "scsi-id", json_object_new_int(d->scsi_id));
		json_object_object_add(j, "lun", json_object_new_int(d->lun));
		add_str(j, "bdf", d->bdf);
		json_object_object_add(j, "unplugging", json_object_new_boolean(d->unplugging));
		json_object_object_add(j, "plugging", json_object_new_boolean(d->plugging));
		json_object_array_add(devices, j);
	}
	json_object_object_add(o, "devices", devices);
	return o;
}

/* Typed member access; the first problem wins and names the member. */
struct reader {
	qd_error *err;
	int r;
	char where[64];
};

static json_object *member(struct reader *rd, json_object *o, const char *key, enum json_type type,
			   bool required)
{
	json_object *v;

	if (rd->r)
		return NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			rd->r = qd_error_set(rd->err, -EBADMSG, "state: %s%s'%s' is missing",
					     rd->where, *rd->where ? " " : "", key);
		return NULL;
	}
	if (!json_object_is_type(v, type)) {
		rd->r = qd_error_set(rd->err, -EBADMSG, "state: %s%s'%s' has the wrong type",
				     rd->where, *rd->where ? " " : "", key);
		return NULL;
	}
	return v;
}

static int int_member(struct reader *rd, json_object *o, const char *key, int min, int max)
{
	json_object *v = member(rd, o, key, json_type_int, true);
	int64_t n;

	if (!v)
		return min;
	n = json_object_get_int64(v);
	if (n < min || n > max) {
		rd->r = qd_error_set(rd->err, -EBADMSG, "state: %s%s'%s' is %lld, outside %d..%d",
				     rd->where, *rd->where ? " " : "", key, (long long)n, min, max);
		return min;
	}
	return (int)n;
}

/* Every member of @o is one of @known (NULL-terminated): a typo is not silently ignored. */
static void only_members(struct reader *rd, json_object *o, const char *const *known)
{
	if (rd->r || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val)
	{
		bool ok = false;

		(void)val;
		for (const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(*k, key);
		if (!ok) {
			rd->r =
			    qd_error_set(rd->err, -EBADMSG, "state: %s%shas an unknown member '%s'",
					 rd->where, *rd->where ? " " : "", key);
			return;
		}
	}
}

static const char *str_member(struct reader *rd, json_object *o, const char *key, bool required)
{
	json_object *v = member(rd, o, key, json_type_string, required);

	return v ? json_object_get_string(v) : NULL;
}

int qd_state_from_json(json_object *o, struct qd_state *st, qd_error *err)
{
	struct reader rd = {.err = err};
	json_object *bridges, *vcpus, *devices, *ver;
	const char *uuid;
	uuid_t parsed;

	static const char *const top[] = {"version", "uuid",  "qemu-pid", "vcpu-seq",
					  "bridges", "vcpus", "devices",  NULL};
	static const char *const bridge_members[] = {"id", "addr", "chassis", "slots", NULL};
	static const char *const vcpu_members[] = {"id",	"socket-id", "die-id", "core-id",
						   "thread-id", "plugging",  NULL};
	static const char *const device_members[] = {"id",	   "kind",     "node", "bridge",
						     "slot",	   "scsi-id",  "lun",  "bdf",
						     "unplugging", "plugging", NULL};

	memset(st, 0, sizeof(*st));
	if (!json_object_is_type(o, json_type_object))
		return qd_error_set(err, -EBADMSG, "state: not a JSON object");
	ver = member(&rd, o, "version", json_type_int, true);
	if (ver && json_object_get_int(ver) != QD_STATE_VERSION)
		return qd_error_set(err, -EBADMSG,
				    "state: version %d is not supported (this qemudrv reads "
				    "version %d)",
				    json_object_get_int(ver), QD_STATE_VERSION);
	only_members(&rd, o, top);
	uuid = str_member(&rd, o, "uuid", true);
	if (uuid && (strlen(uuid) != 36 || uuid_parse(uuid, parsed) != 0))
		rd.r = qd_error_set(err, -EBADMSG, "state: 'uuid' is not a UUID: %s", uuid);
	if (!rd.r)
		memcpy(st->uuid, uuid, 37);
	if (json_object_object_get_ex(o, "qemu-pid", NULL))
		st->qemu_pid = int_member(&rd, o, "qemu-pid", 0, 1 << 30);
	if (json_object_object_get_ex(o, "vcpu-seq", NULL))
		st->vcpu_seq = (unsigned)int_member(&rd, o, "vcpu-seq", 0, 1 << 30);
	bridges = member(&rd, o, "bridges", json_type_array, true);
	for (size_t i = 0; bridges && !rd.r && i < json_object_array_length(bridges); i++) {
		json_object *b = json_object_array_get_idx(bridges, i), *slots;
		const char *id;
		int addr, chassis;

		snprintf(rd.where, sizeof(rd.where), "bridge %zu", i);
		if (!json_object_is_type(b, json_type_object)) {
			rd.r = qd_error_set(err, -EBADMSG, "state: %s is not an object", rd.where);
			break;
		}
		only_members(&rd, b, bridge_members);
		id = str_member(&rd, b, "id", true);
		addr = int_member(&rd, b, "addr", 1, 31);
		chassis = int_member(&rd, b, "chassis", 1, 255);
		slots = member(&rd, b, "slots", json_type_object, true);
		if (rd.r)
			break;
		if (qd_state_add_bridge(st, id, addr, chassis) < 0) {
			rd.r = qd_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		json_object_object_foreach(slots, key, val)
		{
			char *end;
			long s = strtol(key, &end, 10);

			if (*end || s < 1 || s >= QD_BRIDGE_SLOTS ||
			    st->bridges[st->nbridges - 1].slots[s] ||
			    !json_object_is_type(val, json_type_string)) {
				rd.r = qd_error_set(err, -EBADMSG, "state: %s has a bad slot '%s'",
						    rd.where, key);
				break;
			}
			st->bridges[st->nbridges - 1].slots[s] =
			    strdup(json_object_get_string(val));
			if (!st->bridges[st->nbridges - 1].slots[s]) {
				rd.r = qd_error_set(err, -ENOMEM, "out of memory");
				break;
			}
		}
	}
	rd.where[0] = '\0';
	vcpus = member(&rd, o, "vcpus", json_type_array, true);
	for (size_t i = 0; vcpus && !rd.r && i < json_object_array_length(vcpus); i++) {
		json_object *v = json_object_array_get_idx(vcpus, i);
		const char *id;
		int s, d, c, t;

		snprintf(rd.where, sizeof(rd.where), "vcpu %zu", i);
		only_members(&rd, v, vcpu_members);
		id = str_member(&rd, v, "id", true);
		s = int_member(&rd, v, "socket-id", -1, 1 << 20);
		d = int_member(&rd, v, "die-id", -1, 1 << 20);
		c = int_member(&rd, v, "core-id", -1, 1 << 20);
		t = int_member(&rd, v, "thread-id", -1, 1 << 20);
		json_object *pl = member(&rd, v, "plugging", json_type_boolean, false);

		if (!rd.r && qd_state_add_vcpu(st, id, s, d, c, t) < 0)
			rd.r = qd_error_set(err, -ENOMEM, "out of memory");
		if (!rd.r)
			st->vcpus[st->nvcpus - 1].plugging = pl && json_object_get_boolean(pl);
	}
	rd.where[0] = '\0';
	devices = member(&rd, o, "devices", json_type_array, true);
	for (size_t i = 0; devices && !rd.r && i < json_object_array_length(devices); i++) {
		json_object *d = json_object_array_get_idx(devices, i), *unpl;
		struct qd_device_record rec = {0};
		const char *kind;

		snprintf(rd.where, sizeof(rd.where), "device %zu", i);
		only_members(&rd, d, device_members);
		rec.id = (char *)str_member(&rd, d, "id", true);
		kind = str_member(&rd, d, "kind", true);
		for (int k = 1; kind && k <= QD_HOTPLUG_VFIO; k++)
			if (!strcmp(kind, kind_names[k]))
				rec.kind = (enum qd_hotplug_kind)k;
		if (!rd.r && !rec.kind)
			rd.r = qd_error_set(err, -EBADMSG, "state: %s has unknown kind '%s'",
					    rd.where, kind);
		rec.node = (char *)str_member(&rd, d, "node", false);
		rec.bridge = (char *)str_member(&rd, d, "bridge", false);
		rec.slot = int_member(&rd, d, "slot", 0, QD_BRIDGE_SLOTS - 1);
		rec.scsi_id = int_member(&rd, d, "scsi-id", 0, 255);
		rec.lun = int_member(&rd, d, "lun", 0, 16383);
		rec.bdf = (char *)str_member(&rd, d, "bdf", false);
		unpl = member(&rd, d, "unplugging", json_type_boolean, false);
		rec.unplugging = unpl && json_object_get_boolean(unpl);
		unpl = member(&rd, d, "plugging", json_type_boolean, false);
		rec.plugging = unpl && json_object_get_boolean(unpl);
		if (!rd.r && qd_state_add_device(st, &rec) < 0)
			rd.r = qd_error_set(err, -ENOMEM, "out of memory");
	}
	if (!rd.r)
		rd.r = qd_state_check(st, err);
	if (rd.r)
		qd_state_clear(st);
	return rd.r;
}

/* Read all of @fd (a regular file) into a NUL-terminated buffer. */
static int read_file(int fd, const char *display, char **out, size_t *lenp, qd_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return qd_error_set(err, -errno, "cannot read state %s: %s", display,
				    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return qd_error_set(err, -EBADMSG, "state file %s is not a regular file", display);
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *p = realloc(buf, cap = cap * 2 + 4096);

			if (!p)
				return qd_error_set(err, -ENOMEM, "out of memory");
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return qd_error_set(err, -errno, "cannot read state %s: %s", display,
					    strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > QD_STATE_MAX_SIZE)
			return qd_error_set(err, -EBADMSG,
					    "state file %s is larger than %d bytes; it was left as "
					    "it is",
					    display, QD_STATE_MAX_SIZE);
	}
	buf[len] = '\0';
	*out = steal_ptr(&buf);
	*lenp = len;
	return 0;
}

int qd_state_load_at(int dirfd, const char *name, const char *display, struct qd_state *st,
		     qd_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	_cleanup_free_ char *buf = NULL;
	struct json_tokener *tok;
	size_t len = 0;
	int fd, r;

	memset(st, 0, sizeof(*st));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		if (errno == ELOOP)
			return qd_error_set(err, -ELOOP,
					    "state file %s is a symbolic link: refusing to read it",
					    display);
		return qd_error_set(err, -errno, "cannot read state %s: %s", display,
				    strerror(errno));
	}
	r = read_file(fd, display, &buf, &len, err);
	close(fd);
	if (r < 0)
		return r;
	tok = json_tokener_new();
	if (!tok)
		return qd_error_set(err, -ENOMEM, "out of memory");
	o = json_tokener_parse_ex(tok, buf, (int)len);
	r = json_tokener_get_error(tok) == json_tokener_success && o &&
	    json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (!r)
		return qd_error_set(err, -EBADMSG,
				    "state file %s is corrupt (not complete JSON); it was left as "
				    "it is",
				    display);
	r = qd_state_from_json(o, st, err);
	if (r < 0 && err && err->message) {
		char *m = err->message;

		err->message = NULL;
		qd_error_set(err, r, "state file %s: %s; it was left as it is", display, m);
		free(m);
	}
	return r;
}

/* The directory of @path, opened, and its last component. Return: 0 or -errno. */
static int split_path(const char *path, int *dirfd, const char **base)
{
	_cleanup_free_ char *copy = strdup(path);
	const char *slash = strrchr(path, '/');

	if (!copy)
		return -ENOMEM;
	*base = slash ? slash + 1 : path;
	if (slash)
		copy[slash == path ? 1 : slash - path] = '\0';
	*dirfd = open(slash ? copy : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *dirfd < 0 ? -errno : 0;
}

int qd_state_load(const char *path, struct qd_state *st, qd_error *err)
{
	const char *base;
	int dirfd, r;

	memset(st, 0, sizeof(*st));
	r = split_path(path, &dirfd, &base);
	if (r == -ENOENT)
		return -ENOENT;
	if (r < 0)
		return qd_error_set(err, r, "cannot read state %s: %s", path, strerror(-r));
	r = qd_state_load_at(dirfd, base, path, st, err);
	close(dirfd);
	return r;
}

/*
 * A temporary file for the next version, created exclusively (O_EXCL, never
 * following a link): "<name>.tmp.<pid>.<random>". The pid lets a later owner
 * delete those of a process that died in the middle of a save.
 */
static int open_temp(int dirfd, const char *name, char *tmp, size_t size)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		unsigned rnd;
		int fd;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd = (unsigned)qd_now_ns() ^ (unsigned)attempt;
		snprintf(tmp, size, "%s" TEMP_INFIX "%d.%08x", name, (int)getpid(), rnd);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

static int write_all(int fd, const char *text, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		off += (size_t)n;
	}
	return 0;
}

/*
 * state_write() - write @st as @name in @dirfd: a new file, then rename()
 * over the old one (or link() when @exclusive, so that of two processes
 * creating the same VM one wins and the other sees -EEXIST). Readers see the
 * old or the new version, never a mix. With @durable the data and the
 * directory entry are fsynced, so the version survives a power loss.
 */
static int state_write(int dirfd, const char *name, const char *display, const struct qd_state *st,
		       bool durable, bool exclusive, qd_error *err)
{
	_cleanup_json_ json_object *o = qd_state_to_json(st);
	const char *text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_NOSLASHESCAPE)
			     : NULL;
	char tmp[PATH_MAX];
	int fd, r;

	if (!text)
		return qd_error_set(err, -ENOMEM, "out of memory");
	fd = open_temp(dirfd, name, tmp, sizeof(tmp));
	if (fd < 0)
		return qd_error_set(err, fd, "cannot write state %s: %s", display, strerror(-fd));
	r = write_all(fd, text, strlen(text));
	if (r == 0)
		r = write_all(fd, "\n", 1);
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && exclusive) {
		if (linkat(dirfd, tmp, dirfd, name, 0) < 0)
			r = -errno;
		unlinkat(dirfd, tmp, 0);
		if (r == -EEXIST)
			return r; /* no message: the caller loads the winner's file */
	} else if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
	}
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return qd_error_set(err, r, "cannot write state %s: %s", display, strerror(-r));
	}
	/* The new directory entry itself must reach the disk too. */
	if (durable && fsync(dirfd) < 0)
		return qd_error_set(err, -errno, "cannot sync the directory of %s: %s", display,
				    strerror(errno));
	return 0;
}

int qd_state_save_at(int dirfd, const char *name, const char *display, const struct qd_state *st,
		     bool durable, qd_error *err)
{
	return state_write(dirfd, name, display, st, durable, false, err);
}

int qd_state_create_at(int dirfd, const char *name, const char *display, const struct qd_state *st,
		       qd_error *err)
{
	return state_write(dirfd, name, display, st, true, true, err);
}

static int save_path(const char *path, const struct qd_state *st, bool durable, qd_error *err)
{
	const char *base;
	int dirfd, r;

	r = split_path(path, &dirfd, &base);
	if (r < 0)
		return qd_error_set(err, r, "cannot write state %s: %s", path, strerror(-r));
	r = state_write(dirfd, base, path, st, durable, false, err);
	close(dirfd);
	return r;
}

int qd_state_save(const char *path, const struct qd_state *st, qd_error *err)
{
	return save_path(path, st, true, err);
}

int qd_state_save_quick(const char *path, const struct qd_state *st, qd_error *err)
{
	return save_path(path, st, false, err);
}

void qd_state_remove_temps(int dirfd, const char *name, bool all)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t prefix = strlen(name) + strlen(TEMP_INFIX);
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(e->d_name, name, strlen(name)) != 0 ||
		    strncmp(e->d_name + strlen(name), TEMP_INFIX, strlen(TEMP_INFIX)) != 0)
			continue;
		pid = strtol(e->d_name + prefix, &end, 10);
		/* A live writer's file stays (unless the VM is being deleted). */
		if (!all && *end == '.' && pid > 0 &&
		    (pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		unlinkat(dirfd, e->d_name, 0);
	}
	closedir(d);
}
