/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state.c - a VM's hypervisor state: its records and their versioned JSON form, read strictly */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "cleanup.h"
#include "error.h"
#include "names.h"
#include "state.h"

/*
 * The file: {"version": 1, "uuid": "...", "qemu-pid", "vcpu-seq", "bridges":
 * [{"id", "addr", "chassis", "slots": {"1": "dev-id", ...}}], "vcpus": [{"id",
 * "socket-id", "die-id", "core-id", "thread-id", "plugging"}], "devices":
 * [{"id", "kind", "node", "netdev", "memdev", "bridge", "slot", "scsi-id",
 * "lun", "bdf", "mac", "queues", "size-mb", "unplugging", "plugging"}]}. A
 * device has the members of its kind (state_check.c); newer kinds only add
 * members, so version 1 reads every file this one writes.
 */

static const char *const kind_names[] = {NULL,	       "virtio-blk", "scsi-hd",	  "vfio",
					 "virtio-net", "pc-dimm",    "virtio-mem"};

static void free_record_strings(struct qd_device_record *d)
{
	free(d->id);
	free(d->node);
	free(d->netdev);
	free(d->memdev);
	free(d->bridge);
	free(d->bdf);
	free(d->mac);
}

void qd_state_clear(struct qd_state *st)
{
	for (size_t i = 0; i < st->nbridges; i++) {
		free(st->bridges[i].id);
		for (int s = 0; s < QD_BRIDGE_SLOTS; s++)
			free(st->bridges[i].slots[s]);
	}
	for (size_t i = 0; i < st->nvcpus; i++)
		free(st->vcpus[i].id);
	for (size_t i = 0; i < st->ndevices; i++)
		free_record_strings(&st->devices[i]);
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
	d->netdev = dup_or_null(rec->netdev);
	d->memdev = dup_or_null(rec->memdev);
	d->bridge = dup_or_null(rec->bridge);
	d->bdf = dup_or_null(rec->bdf);
	d->mac = dup_or_null(rec->mac);
	if (!d->id || (rec->node && !d->node) || (rec->netdev && !d->netdev) ||
	    (rec->memdev && !d->memdev) || (rec->bridge && !d->bridge) || (rec->bdf && !d->bdf) ||
	    (rec->mac && !d->mac)) {
		free_record_strings(d);
		return -ENOMEM;
	}
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
			free_record_strings(&st->devices[i]);
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
	qd_name_bridge(i, id, size);
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
		add_str(j, "netdev", d->netdev);
		add_str(j, "memdev", d->memdev);
		add_str(j, "bridge", d->bridge);
		json_object_object_add(j, "slot", json_object_new_int(d->slot));
		json_object_object_add(j, "scsi-id", json_object_new_int(d->scsi_id));
		json_object_object_add(j, "lun", json_object_new_int(d->lun));
		add_str(j, "bdf", d->bdf);
		add_str(j, "mac", d->mac);
		if (d->kind == QD_HOTPLUG_VIRTIO_NET)
			json_object_object_add(j, "queues", json_object_new_int((int)d->queues));
		if (d->size_mb)
			json_object_object_add(j, "size-mb",
					       json_object_new_int64((int64_t)d->size_mb));
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

static int64_t int64_member(struct reader *rd, json_object *o, const char *key, int64_t min,
			    int64_t max)
{
	json_object *v = member(rd, o, key, json_type_int, true);
	int64_t n;

	if (!v)
		return min;
	n = json_object_get_int64(v);
	if (n < min || n > max) {
		rd->r = qd_error_set(
		    rd->err, -EBADMSG, "state: %s%s'%s' is %lld, outside %lld..%lld", rd->where,
		    *rd->where ? " " : "", key, (long long)n, (long long)min, (long long)max);
		return min;
	}
	return n;
}

static int int_member(struct reader *rd, json_object *o, const char *key, int min, int max)
{
	return (int)int64_member(rd, o, key, min, max);
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
	static const char *const device_members[] = {
	    "id",  "kind", "node", "netdev", "memdev",	"bridge",     "slot",	  "scsi-id",
	    "lun", "bdf",  "mac",  "queues", "size-mb", "unplugging", "plugging", NULL};

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
		for (int k = 1; kind && k <= QD_HOTPLUG_KIND_MAX; k++)
			if (!strcmp(kind, kind_names[k]))
				rec.kind = (enum qd_hotplug_kind)k;
		if (!rd.r && !rec.kind)
			rd.r = qd_error_set(err, -EBADMSG, "state: %s has unknown kind '%s'",
					    rd.where, kind);
		rec.node = (char *)str_member(&rd, d, "node", false);
		rec.netdev = (char *)str_member(&rd, d, "netdev", false);
		rec.memdev = (char *)str_member(&rd, d, "memdev", false);
		rec.bridge = (char *)str_member(&rd, d, "bridge", false);
		rec.slot = int_member(&rd, d, "slot", 0, QD_BRIDGE_SLOTS - 1);
		rec.scsi_id = int_member(&rd, d, "scsi-id", 0, 255);
		rec.lun = int_member(&rd, d, "lun", 0, 16383);
		rec.bdf = (char *)str_member(&rd, d, "bdf", false);
		rec.mac = (char *)str_member(&rd, d, "mac", false);
		if (json_object_object_get_ex(d, "queues", NULL))
			rec.queues = (unsigned)int_member(&rd, d, "queues", 1, QD_NET_MAX_QUEUES);
		if (json_object_object_get_ex(d, "size-mb", NULL))
			rec.size_mb = (unsigned long long)int64_member(&rd, d, "size-mb", 1,
								       (int64_t)1 << 40);
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
