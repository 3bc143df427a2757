/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qomtree.c - the QOM composition tree: qom-list, qom-get, qom-set (see qomtree.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "bus.h"
#include "commands.h"
#include "cpu.h"
#include "fakeqemu.h"
#include "gtable.h"
#include "machine.h"
#include "memory.h"
#include "qjson.h"
#include "qomdata.h"
#include "props.h"
#include "qomtree.h"
#include "strbuf.h"

#define PERIPHERAL "/machine/peripheral"
#define ANON	   "/machine/peripheral-anon"
#define UNATTACHED "/machine/unattached"
/* The id of the device introspect.py recorded: its subtree is renamed. */
#define PROBE_ID   "probe"
#define PROBE_PATH "/machine/peripheral/" PROBE_ID

/* /machine/peripheral's children, with the tombstones of those that left. */
static struct fq_gtable *peripheral;
static int anon_count;

static struct fq_gtable *peripheral_table(void)
{
	if (!peripheral)
		peripheral = fq_gtable_new();
	return peripheral;
}

/* The value stored for each child: the tables only keep names. */
static int present;
#define PRESENT (&present)

void fq_qom_peripheral_added(const char *id)
{
	fq_gtable_insert(peripheral_table(), id, PRESENT);
}

void fq_qom_peripheral_removed(const char *id)
{
	fq_gtable_remove(peripheral_table(), id);
}

char *fq_qom_anon_path(void)
{
	char *p;

	if (asprintf(&p, ANON "/device[%d]", anon_count++) < 0)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		abort();
	return d;
}

#define xasprintf fq_xasprintf

/*
 * The recorded tree of this machine: with memory hot-plug configured QEMU
 * has objects of its own (device memory, the ACPI device's registers, the
 * implicit NUMA node), recorded as "pc+memhp" and "q35+memhp".
 */
static const char *tree_machine(void)
{
	static char buf[64];
	struct fq_data_node n;

	if (fq_memory_hotplug_configured()) {
		snprintf(buf, sizeof(buf), "%s+memhp", fq_vm.cfg.machine);
		char *root = xasprintf("%s:/", buf);
		bool ok = fq_data_node(root, &n);

		free(root);
		if (ok)
			return buf;
	}
	return fq_vm.cfg.machine;
}

/* ---- objects ------------------------------------------------------------------ */

enum obj_kind {
	OBJ_RECORDED,	/* a node of the recorded machine tree */
	OBJ_PERIPHERAL, /* /machine/peripheral, /machine/peripheral-anon */
	OBJ_DEVICE,	/* a device of the model, or an object below it */
	OBJ_CPU,	/* a CPU, or an object below it */
	OBJ_BACKENDS,	/* /objects, /chardevs */
	OBJ_BACKEND,	/* one of their children */
};

struct obj {
	enum obj_kind kind;
	char *path; /* canonical */
	char *key;  /* the record's node key, or NULL */
	struct fq_device *dev;
	struct fq_cpu_slot *slot;
	const char *sub; /* DEVICE, CPU: the part of @path below the device */
	struct fq_backend *backend;
	bool anon; /* PERIPHERAL: peripheral-anon */
	bool region; /* BACKEND: a memory backend's own region, ID[0] */
	enum fq_backend_kind bkind;
};

struct prop {
	char *name, *type;
	char *text;	 /* the qom-list element, or NULL: built from name and type */
	fq_rec_id value; /* the recorded qom-get answer */
	char *computed;	 /* a computed answer (QEMU JSON), preferred over @value */
};

struct props {
	struct prop *v;
	size_t n, cap;
};

static void obj_free(struct obj *o)
{
	free(o->path);
	free(o->key);
	memset(o, 0, sizeof(*o));
}

static void props_free(struct props *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].type);
		free(p->v[i].text);
		free(p->v[i].computed);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static struct prop *props_add(struct props *p, const char *name, const char *type)
{
	struct prop *e;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		if (!p->v)
			abort();
	}
	e = &p->v[p->n++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	e->type = xstrdup(type);
	return e;
}

static struct prop *props_find(struct props *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].name, name))
			return &p->v[i];
	return NULL;
}

static void set_computed(struct prop *e, char *json_text)
{
	free(e->computed);
	e->computed = json_text;
}

static char *json_string_text(const char *s)
{
	json_object *o = json_object_new_string(s);
	char *t = fq_json_to_qemu_string(o);

	json_object_put(o);
	return t;
}

/* The recorded node @key as properties; false when there is no such node. */
static bool props_from_record(const char *key, struct props *p)
{
	struct fq_data_node n;
	char name[256], type[256];

	if (!fq_data_node(key, &n))
		return false;
	for (size_t i = 0; i < fq_rec_list_len(n.list); i++) {
		const char *item = fq_rec_list_item(n.list, i);
		struct prop *e;

		if (!fq_prop_item_field(item, "name", name, sizeof(name)) ||
		    !fq_prop_item_field(item, "type", type, sizeof(type)))
			continue;
		e = props_add(p, name, type);
		e->text = xstrdup(item);
		e->value = fq_data_node_value(&n, i);
	}
	return true;
}

/* The properties of a new object of @type: its recorded qom-list-properties. */
static bool props_from_type(const char *type, struct props *p)
{
	int t = fq_qom_type(type);
	fq_rec_id qlp = t >= 0 ? fq_qom_type_rec(t, FQ_TYPE_QOM_LIST_PROPERTIES) : 0;
	char name[256], ptype[256];

	if (fq_rec_kind(qlp) != FQ_REC_LIST)
		return false;
	for (size_t i = 0; i < fq_rec_list_len(qlp); i++) {
		const char *item = fq_rec_list_item(qlp, i);
		json_object *o, *def;
		struct prop *e;

		if (!fq_prop_item_field(item, "name", name, sizeof(name)) ||
		    !fq_prop_item_field(item, "type", ptype, sizeof(ptype)))
			continue;
		e = props_add(p, name, ptype);
		o = json_tokener_parse(item);
		if (o && json_object_object_get_ex(o, "default-value", &def))
			e->computed = fq_json_to_qemu_string(def);
		json_object_put(o);
	}
	if (props_find(p, "type"))
		set_computed(props_find(p, "type"), json_string_text(type));
	return true;
}

/* "probe.0" -> "<id>.0", "probe" -> "<id>": names in a device's recorded subtree. */
static char *rename_probe(const char *s, const char *id)
{
	struct strbuf b = {0};
	const char *p = s, *hit;

	while ((hit = strstr(p, PROBE_ID))) {
		bool word = (hit == s || strchr("/\" ", hit[-1])) &&
			    (hit[5] == '\0' || strchr("./\"", hit[5]));

		strbuf_add(&b, p, (size_t)(hit - p) + (word ? 0 : 5));
		if (word)
			strbuf_adds(&b, id);
		p = hit + 5;
	}
	strbuf_adds(&b, p);
	return strbuf_steal(&b);
}

/* The recorded path below "probe" for a path below the device @id. */
static char *unrename(const char *sub, const char *id)
{
	struct strbuf b = {0};
	size_t n = strlen(id);
	const char *p = sub;

	while (*p) {
		if (*p == '/' && !strncmp(p + 1, id, n) &&
		    (p[1 + n] == '\0' || strchr("./", p[1 + n]))) {
			strbuf_addc(&b, '/');
			strbuf_adds(&b, PROBE_ID);
			p += 1 + n;
			continue;
		}
		strbuf_addc(&b, *p++);
	}
	return strbuf_steal(&b);
}

static const char *root_bus_path(void)
{
	return !strcmp(fq_vm.cfg.machine, "q35") ? "/machine/q35/pcie.0" : "/machine/i440fx/pci.0";
}

static char *bus_path(const struct fq_device *d)
{
	if (!d->bus)
		return xstrdup("");
	if (!d->bus->bridge)
		return xstrdup(root_bus_path());
	return xasprintf("%s/%s", d->bus->bridge->qom_path, d->bus->name);
}

/* A property value given to device_add/-device, as qom-get prints it. */
static char *given_value(json_object *v, const char *type)
{
	const char *s = json_object_get_string(v);

	if (!strcmp(type, "bool")) {
		bool on = json_object_is_type(v, json_type_boolean)
			      ? json_object_get_boolean(v)
			      : (s && (!strcmp(s, "on") || !strcmp(s, "true") ||
				       !strcmp(s, "yes") || !strcmp(s, "y")));
		return xstrdup(on ? "true" : "false");
	}
	if (!strncmp(type, "int", 3) || !strncmp(type, "uint", 4) || !strcmp(type, "size")) {
		char *end;
		long long n;

		if (json_object_is_type(v, json_type_int))
			return xasprintf("%lld", (long long)json_object_get_int64(v));
		n = s ? strtoll(s, &end, 0) : 0;
		return s && *s && !*end ? xasprintf("%lld", n) : NULL;
	}
	return s ? json_string_text(s) : NULL;
}

static void device_fixups(const struct obj *o, struct props *p)
{
	struct fq_device *d = o->dev;
	struct prop *e;

	if (o->sub[0])
		return;
	if ((e = props_find(p, "hotplugged")))
		set_computed(e, xstrdup(d->hotplugged ? "true" : "false"));
	if ((e = props_find(p, "realized")))
		set_computed(e, xstrdup("true"));
	if (d->bus && (e = props_find(p, "addr")))
		set_computed(e, xasprintf("%d", d->slot << 3 | d->function));
	if ((e = props_find(p, "parent_bus"))) {
		char *bp = bus_path(d);

		set_computed(e, json_string_text(bp));
		free(bp);
	}
	for (size_t i = 0; i < p->n; i++) {
		char *t = fq_memory_qom_value(d, p->v[i].name);

		if (t)
			set_computed(&p->v[i], t);
	}
	json_object_object_foreach(d->props, key, val)
	{
		if (!strcmp(key, "driver") || !strcmp(key, "id") || !strcmp(key, "bus") ||
		    !strcmp(key, "addr") || fq_memory_qom_value(d, key))
			continue;
		if ((e = props_find(p, key))) {
			char *t = given_value(val, e->type);

			if (t)
				set_computed(e, t);
		}
	}
}

/* Recorded values that name the probe's own paths, for this device's. */
static void rename_values(struct props *p, const struct fq_device *d)
{
	for (size_t i = 0; i < p->n; i++) {
		const char *t = p->v[i].computed ? NULL : fq_rec_text(p->v[i].value);

		if (t && strstr(t, PROBE_PATH)) {
			struct strbuf b = {0};
			const char *s = t, *hit;

			while ((hit = strstr(s, PROBE_PATH))) {
				strbuf_add(&b, s, (size_t)(hit - s));
				strbuf_adds(&b, d->qom_path);
				s = hit + strlen(PROBE_PATH);
			}
			strbuf_adds(&b, s);
			set_computed(&p->v[i], strbuf_steal(&b));
		}
	}
}

static bool device_props(const struct obj *o, struct props *p)
{
	struct fq_device *d = o->dev;
	const char *id = d->id ? d->id : strrchr(d->qom_path, '/') + 1;
	char *sub = unrename(o->sub, id), *key = xasprintf("dev:%s:%s", d->driver, sub);
	bool ok = props_from_record(key, p);

	free(key);
	free(sub);
	if (ok) {
		for (size_t i = 0; i < p->n; i++) {
			char *n = rename_probe(p->v[i].name, id),
			     *t = rename_probe(p->v[i].text, id);

			free(p->v[i].name);
			free(p->v[i].text);
			p->v[i].name = n;
			p->v[i].text = t;
		}
		rename_values(p, d);
	} else if (!o->sub[0]) {
		ok = props_from_type(d->driver, p);
	}
	if (ok)
		device_fixups(o, p);
	return ok;
}

/* ---- CPUs ---------------------------------------------------------------------------- */

static const char *cpu_model(void)
{
	return fq_vm.cfg.cpu_model ? fq_vm.cfg.cpu_model : "qemu64";
}

/* The recorded CPU object for the -cpu model under the accelerator, or qemu64's. */
static char *cpu_key(const char *sub)
{
	const char *accels[] = {fq_data_accel(), "tcg"};
	const char *models[] = {cpu_model(), "qemu64"};
	struct fq_data_node n;

	for (int m = 0; m < 2; m++)
		for (int a = 0; a < 2; a++) {
			char *k = xasprintf("cpu:%s:%s:", accels[a], models[m]);

			if (fq_data_node(k, &n)) {
				free(k);
				return xasprintf("cpu:%s:%s:%s", accels[a], models[m], sub);
			}
			free(k);
		}
	return NULL;
}

/* -cpu MODEL,+feat,-feat,feat=on|off,prop=N applied to the model's values. */
static void cpu_flags(struct props *p)
{
	for (size_t i = 0; i < p->n; i++) {
		int flag = strcmp(p->v[i].type, "bool") ? -1 : fq_cpu_flag(p->v[i].name);
		char *v, *end;

		if (strcmp(p->v[i].type, "bool") && (v = fq_cpu_option(p->v[i].name))) {
			/* Numbers as numbers, anything else as a string. */
			if (*v && (strtoll(v, &end, 0), !*end))
				set_computed(&p->v[i], xasprintf("%lld", strtoll(v, NULL, 0)));
			else
				set_computed(&p->v[i], json_string_text(v));
			free(v);
			continue;
		}

		if (flag >= 0)
			set_computed(&p->v[i],
				     xstrdup(flag && fq_cpu_feature_supported(p->v[i].name)
						 ? "true"
						 : "false"));
	}
}

static bool cpu_props(const struct obj *o, struct props *p)
{
	char *key = cpu_key(o->sub);
	const struct fq_cpu_slot *s = o->slot;
	struct prop *e;
	bool ok = key && props_from_record(key, p);

	free(key);
	if (!ok || o->sub[0])
		return ok;
	cpu_flags(p);
	if ((e = props_find(p, "apic-id")))
		set_computed(
		    e, xasprintf("%u", fq_x86_apic_id(s->socket, s->die, s->core, s->thread)));
	if ((e = props_find(p, "socket-id")))
		set_computed(e, xasprintf("%d", s->socket));
	if ((e = props_find(p, "die-id")))
		set_computed(e, xasprintf("%d", s->die));
	if ((e = props_find(p, "core-id")))
		set_computed(e, xasprintf("%d", s->core));
	if ((e = props_find(p, "thread-id")))
		set_computed(e, xasprintf("%d", s->thread));
	if ((e = props_find(p, "hotplugged")))
		set_computed(e, xstrdup(o->dev && o->dev->hotplugged ? "true" : "false"));
	if ((e = props_find(p, "type")))
		set_computed(e, json_string_text(fq_vm.cpu_type));
	return true;
}

/* ---- containers ------------------------------------------------------------- */

static void add_child(struct props *p, const char *name, const char *type)
{
	char *t = xasprintf("child<%s>", type);

	props_add(p, name, t);
	free(t);
}

/* qom-list: QAPI_LIST_PREPEND over the children's hash order, then "type". */
static void children_of_table(struct props *p, const struct fq_gtable *t,
			      const char *(*type_of)(const char *name))
{
	size_t n = fq_gtable_count(t), pos = 0, i = 0;
	const char **names = calloc(n ? n : 1, sizeof(*names));

	if (!names)
		abort();
	props_add(p, "type", "string");
	/* Values are never NULL here (PRESENT), so NULL ends the iteration. */
	while (i < n && fq_gtable_next(t, &pos, &names[i]))
		i++;
	for (size_t k = i; k-- > 0;) {
		const char *type = type_of(names[k]);

		if (type)
			add_child(p, names[k], type);
	}
	free(names);
}

static const char *peripheral_type(const char *id)
{
	struct fq_device *d = fq_device_by_id(id);

	return d ? d->driver : NULL;
}

static const char *anon_type(const char *name)
{
	char *path = xasprintf(ANON "/%s", name);
	struct fq_device *d = fq_device_by_path(path);

	free(path);
	return d ? d->driver : NULL;
}

static void peripheral_props(const struct obj *o, struct props *p)
{
	if (!o->anon) {
		children_of_table(p, peripheral_table(), peripheral_type);
		return;
	}
	/* peripheral-anon: device[N] in creation order (failed ones gone again). */
	{
		struct fq_gtable *t = fq_gtable_new();
		int max = anon_count;

		for (int i = 0; i < max; i++) {
			char *name = xasprintf("device[%d]", i);

			fq_gtable_insert(t, name, PRESENT);
			if (!anon_type(name))
				fq_gtable_remove(t, name);
			free(name);
		}
		children_of_table(p, t, anon_type);
		fq_gtable_free(t);
	}
}

static enum fq_backend_kind current_bkind;
static struct props *current_recorded;

static const char *backend_child_type(const char *id)
{
	static char buf[160];
	struct fq_backend *b = fq_backend_find(current_bkind, id);
	struct prop *e;

	if (!b && current_recorded && (e = props_find(current_recorded, id))) {
		snprintf(buf, sizeof(buf), "%.*s", (int)strlen(e->type) - 7, e->type + 6);
		return buf;
	}
	if (!b)
		return NULL;
	snprintf(buf, sizeof(buf), "%s%s", current_bkind == FQ_BACKEND_CHARDEV ? "chardev-" : "",
		 b->type ? b->type : "");
	return buf;
}

/*
 * /objects: what the machine made itself (the recorded children, e.g. pc.ram)
 * and the registry's objects; /chardevs: the registry's chardevs (the
 * recording's were the recorder's own monitor).
 */
static bool backends_props(const struct obj *o, struct props *p)
{
	struct fq_gtable *t = fq_gtable_new();
	struct props recorded = {0};
	bool any = false;

	if (o->bkind == FQ_BACKEND_OBJECT) {
		char *key = xasprintf("%s:/objects", tree_machine());

		any = props_from_record(key, &recorded);
		free(key);
		for (size_t i = recorded.n; i-- > 0;)
			if (!strncmp(recorded.v[i].type, "child<", 6))
				fq_gtable_insert(t, recorded.v[i].name, PRESENT);
	}
	for (struct fq_backend *b = fq_backend_first(o->bkind); b; b = fq_backend_next(b)) {
		fq_gtable_insert(t, b->id, PRESENT);
		any = true;
	}
	current_bkind = o->bkind;
	current_recorded = &recorded;
	if (any)
		children_of_table(p, t, backend_child_type);
	current_recorded = NULL;
	props_free(&recorded);
	fq_gtable_free(t);
	return any;
}

static bool is_memory_backend(const struct fq_backend *b)
{
	int t = b->type ? fq_qom_type(b->type) : -1;

	return t >= 0 && fq_qom_type_is_a(t, "memory-backend");
}

/* The QOM type name of memory regions: "qemu:memory-region" before 6.0. */
static const char *memory_region_type(void)
{
	return fq_qom_type("memory-region") >= 0 ? "memory-region" : "qemu:memory-region";
}

/*
 * A memory backend's region (host_memory_backend_memory_complete()): the
 * properties of any memory region, mapped where a DIMM or virtio-mem put it.
 */
static bool backend_region_props(const struct obj *o, struct props *p)
{
	char *key = xasprintf("%s:" UNATTACHED "/system[0]", tree_machine());
	bool ok = props_from_record(key, p);
	uint64_t offset = 0, size = 0;
	struct prop *e;
	bool mapped = fq_memory_backend_mapped(o->backend->id, &offset);

	free(key);
	if (!ok)
		return false;
	fq_memory_backend_size(o->backend, &size);
	if ((e = props_find(p, "type")))
		set_computed(e, json_string_text(memory_region_type()));
	if ((e = props_find(p, "container")))
		set_computed(e, json_string_text(mapped ? "/machine/device-memory[0]" : ""));
	if ((e = props_find(p, "addr")))
		set_computed(e, xasprintf("%" PRIu64, mapped ? offset : 0));
	if ((e = props_find(p, "size")))
		set_computed(e, xasprintf("%" PRIu64, size));
	if ((e = props_find(p, "priority")))
		set_computed(e, xstrdup("0"));
	return true;
}

static bool backend_props(const struct obj *o, struct props *p)
{
	const char *type;
	bool ok;

	if (o->region)
		return backend_region_props(o, p);
	current_bkind = o->bkind; /* a backend's own path, not only /objects' listing */
	type = backend_child_type(o->backend->id);
	ok = props_from_type(type, p);
	/* Its region, the one instance property (qom-list names it last). */
	if (ok && o->bkind == FQ_BACKEND_OBJECT && is_memory_backend(o->backend)) {
		char *name = xasprintf("%s[0]", o->backend->id);

		add_child(p, name, memory_region_type());
		free(name);
	}
	return ok;
}

/* Put @p in the order of the recorded qom-list @listing (names it lacks go last). */
static void reorder_as_recorded(struct props *p, fq_rec_id listing)
{
	struct prop *sorted;
	size_t n = 0;
	char name[256];

	if (!fq_rec_list_len(listing))
		return;
	sorted = calloc(p->n ? p->n : 1, sizeof(*sorted));
	if (!sorted)
		abort();
	for (size_t i = 0; i < fq_rec_list_len(listing); i++) {
		const char *item = fq_rec_list_item(listing, i);
		struct prop *e;

		if (fq_prop_item_field(item, "name", name, sizeof(name)) &&
		    (e = props_find(p, name)) && e->name[0]) {
			char type[256];

			sorted[n] = *e;
			if (fq_prop_item_field(item, "type", type, sizeof(type)) &&
			    !strcmp(type, e->type)) {
				free(sorted[n].text);
				sorted[n].text = xstrdup(item);
			}
			n++;
			memset(e, 0, sizeof(*e));
			e->name = xstrdup(""); /* taken */
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].name[0])
			sorted[n++] = p->v[i];
		else
			free(p->v[i].name);
	}
	free(p->v);
	p->v = sorted;
	p->cap = p->n;
}

/* /machine/unattached with -smp N: boot CPU k (k >= 1) is device[k + 1], the rest shift. */
static void unattached_fixups(struct props *p)
{
	int extra = (int)fq_vm.cfg.cpus - 1;
	char name[32];

	if (extra <= 0 || !fq_vm.ncpu_slots)
		return;
	for (size_t i = 0; i < p->n; i++) {
		int j;

		if (sscanf(p->v[i].name, "device[%d]", &j) == 1 && j >= 2) {
			char *text = NULL;

			snprintf(name, sizeof(name), "device[%d]", j + extra);
			free(p->v[i].name);
			p->v[i].name = xstrdup(name);
			free(p->v[i].text);
			p->v[i].text = text;
		}
	}
	for (int k = 1; k <= extra; k++) {
		snprintf(name, sizeof(name), "device[%d]", k + 1);
		add_child(p, name, fq_vm.cpu_type);
	}
	reorder_as_recorded(
	    p, fq_data_keyed("unattached-smp:%s:%u", fq_vm.cfg.machine, fq_vm.cfg.cpus));
}

static void recorded_fixups(const struct obj *o, struct props *p)
{
	struct prop *e;

	if (!strcmp(o->path, UNATTACHED))
		unattached_fixups(p);
	/* The machine: its type as given, what -machine sets. */
	if (!strcmp(o->path, "/machine")) {
		for (size_t i = 0; i < p->n; i++) {
			char *v = fq_machine_prop_json(p->v[i].name);

			if (v)
				set_computed(&p->v[i], v);
		}
		if ((e = props_find(p, "type")) && fq_machine_type()) {
			char *t = xasprintf("%s-machine", fq_machine_type());

			set_computed(e, json_string_text(t));
			free(t);
		}
	}
	/* What -m and the memory devices decide (sizes, the 64-bit PCI hole). */
	for (size_t i = 0; i < p->n; i++) {
		char *v = fq_memory_machine_prop(o->path, p->v[i].name);

		if (v)
			set_computed(&p->v[i], v);
	}
	/* The boot CPU's type is the -cpu model's. */
	if (!strcmp(o->path, UNATTACHED) && (e = props_find(p, "device[0]")) && fq_vm.ncpu_slots) {
		free(e->type);
		e->type = xasprintf("child<%s>", fq_vm.cpu_type);
		free(e->text);
		e->text = NULL;
	}
}

static char *type_name(struct props *p);

static bool is_bus_link(const char *name)
{
	int k;

	return !strcmp(name, "hotplug-handler") || !strcmp(name, "realized") ||
	       sscanf(name, "child[%d]", &k) == 1;
}

/*
 * A bus's instance properties ("realized", "hotplug-handler" and a "child[N]"
 * link per device on it) follow "type" in its table's order, once the model
 * changed what is on it.
 */
static void bus_links(const struct obj *o, struct props *p)
{
	const char *last = strrchr(o->path, '/');
	char *type = type_name(p);
	struct fq_bus *bus = NULL;
	struct props links = {0}, kept = {0};
	size_t n, pos = 0, i = 0;
	const char **names;

	if (last && fq_qom_type_is_a(fq_qom_type(type), "bus"))
		bus = fq_bus_by_qom_name(last + 1);
	free(type);
	if (!bus || !bus->touched)
		return;
	for (size_t k = 0; k < p->n; k++) {
		struct props *to = is_bus_link(p->v[k].name) ? &links : &kept;

		if (to->n == to->cap) {
			to->cap = to->cap ? to->cap * 2 : 64;
			to->v = realloc(to->v, to->cap * sizeof(*to->v));
			if (!to->v)
				abort();
		}
		to->v[to->n++] = p->v[k];
	}
	n = fq_gtable_count(bus->links);
	names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		abort();
	while (i < n && fq_gtable_next(bus->links, &pos, &names[i]))
		i++;
	for (size_t k = i; k-- > 0;) {
		struct prop *e = props_find(&links, names[k]);
		struct prop *ne;
		int index;

		if (e) {
			ne = props_add(&kept, e->name, e->type);
			ne->text = e->text ? xstrdup(e->text) : NULL;
			ne->value = e->value;
			ne->computed = e->computed ? xstrdup(e->computed) : NULL;
			continue;
		}
		if (sscanf(names[k], "child[%d]", &index) != 1)
			continue;
		for (struct fq_device *d = fq_vm.devices; d; d = d->next)
			if (d->qbus == bus && d->bus_index == index) {
				char *t = xasprintf("link<%s>", d->driver);

				ne = props_add(&kept, names[k], t);
				ne->computed = json_string_text(d->qom_path);
				free(t);
			}
	}
	free(names);
	props_free(&links);
	free(p->v);
	*p = kept;
}

static bool obj_props(const struct obj *o, struct props *p)
{
	bool ok;

	switch (o->kind) {
	case OBJ_RECORDED:
		if (!props_from_record(o->key, p))
			return false;
		recorded_fixups(o, p);
		bus_links(o, p);
		return true;
	case OBJ_PERIPHERAL:
		peripheral_props(o, p);
		return true;
	case OBJ_DEVICE:
		ok = device_props(o, p);
		if (ok)
			bus_links(o, p);
		return ok;
	case OBJ_CPU:
		return cpu_props(o, p);
	case OBJ_BACKENDS:
		return backends_props(o, p);
	case OBJ_BACKEND:
		return backend_props(o, p);
	}
	return false;
}

/* ---- resolution ------------------------------------------------------------ */

/* Canonical form: components joined by '/', empty ones dropped. */
static char *canonical(const char *path)
{
	struct strbuf b = {0};
	char *copy = xstrdup(path), *save = NULL;

	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		strbuf_addc(&b, '/');
		strbuf_adds(&b, c);
	}
	free(copy);
	return strbuf_steal(&b);
}

static bool under(const char *path, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return false;
	*rest = path + n;
	return true;
}

static bool node_exists(const char *key)
{
	struct fq_data_node n;

	return fq_data_node(key, &n);
}

/* Find the object at the canonical absolute path @path. */
static bool resolve_canonical(const char *path, struct obj *o)
{
	const char *rest;
	int j;

	memset(o, 0, sizeof(*o));
	o->path = xstrdup(path);
	if (!strcmp(path, "/objects") || !strcmp(path, "/chardevs")) {
		o->kind = OBJ_BACKENDS;
		o->bkind = path[1] == 'o' ? FQ_BACKEND_OBJECT : FQ_BACKEND_CHARDEV;
		return true;
	}
	if (under(path, "/objects", &rest) || under(path, "/chardevs", &rest)) {
		const char *slash = strchr(rest + 1, '/');

		o->bkind = path[1] == 'o' ? FQ_BACKEND_OBJECT : FQ_BACKEND_CHARDEV;
		o->backend = slash ? NULL : fq_backend_find(o->bkind, rest + 1);
		if (slash && o->bkind == FQ_BACKEND_OBJECT) {
			/* /objects/ID/ID[0]: a memory backend's region. */
			char *id = strndup(rest + 1, (size_t)(slash - rest - 1));
			struct fq_backend *b = id ? fq_backend_find(o->bkind, id) : NULL;
			char *want = b ? xasprintf("/%s[0]", id) : NULL;

			if (b && is_memory_backend(b) && !strcmp(slash, want)) {
				o->backend = b;
				o->region = true;
			}
			free(want);
			free(id);
		}
		o->kind = OBJ_BACKEND;
		if (o->backend || o->bkind == FQ_BACKEND_CHARDEV)
			return o->backend != NULL;
	}
	if (!strcmp(path, PERIPHERAL) || !strcmp(path, ANON)) {
		o->kind = OBJ_PERIPHERAL;
		o->anon = !strcmp(path, ANON);
		return true;
	}
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (d->qom_path && under(path, d->qom_path, &rest)) {
			o->dev = d;
			o->sub = o->path + strlen(d->qom_path);
			o->slot = d->kind == FQ_DEV_CPU ? fq_cpu_slot_of(d) : NULL;
			o->kind = o->slot ? OBJ_CPU : OBJ_DEVICE;
			return true;
		}
	for (int i = 0; i < fq_vm.ncpu_slots; i++) {
		struct fq_cpu_slot *s = &fq_vm.cpu_slots[i];

		if (s->boot && !s->gone && s->qom_path && under(path, s->qom_path, &rest)) {
			o->kind = OBJ_CPU;
			o->slot = s;
			o->sub = o->path + strlen(s->qom_path);
			return true;
		}
	}
	if (under(path, PERIPHERAL, &rest) || under(path, ANON, &rest))
		return false;
	o->kind = OBJ_RECORDED;
	if (sscanf(path, UNATTACHED "/device[%d]", &j) == 1 && fq_vm.ncpu_slots && j >= 2) {
		/* Past the boot CPUs: the recorded object of the same rank. */
		const char *tail = strchr(path + strlen(UNATTACHED "/device["), ']') + 1;

		if (j <= (int)fq_vm.cfg.cpus)
			return false;
		o->key = xasprintf("%s:" UNATTACHED "/device[%d]%s", tree_machine(),
				   j - ((int)fq_vm.cfg.cpus - 1), tail);
	} else {
		o->key = xasprintf("%s:%s", tree_machine(), path[0] ? path : "/");
	}
	return node_exists(o->key);
}

/* A child property's object path. */
static char *child_path(const char *parent, const char *name)
{
	return xasprintf("%s/%s", strcmp(parent, "/") ? parent : "", name);
}

/* Every object's canonical path (depth first from the root), into @out. */
static void walk(const char *path, int depth, void (*fn)(const char *path, void *opaque),
		 void *opaque)
{
	struct obj o;
	struct props p = {0};

	if (depth > 32 || !resolve_canonical(path, &o)) {
		obj_free(&o);
		return;
	}
	fn(path, opaque);
	if (obj_props(&o, &p))
		for (size_t i = 0; i < p.n; i++)
			if (!strncmp(p.v[i].type, "child<", 6)) {
				char *c = child_path(path, p.v[i].name);

				walk(c, depth + 1, fn, opaque);
				free(c);
			}
	props_free(&p);
	obj_free(&o);
}

struct partial {
	const char *suffix; /* "/a/b" */
	char *found;
	int matches;
};

static void match_partial(const char *path, void *opaque)
{
	struct partial *m = opaque;
	size_t n = strlen(path), k = strlen(m->suffix);

	if (n >= k && !strcmp(path + n - k, m->suffix)) {
		if (!m->matches++)
			m->found = xstrdup(path);
	}
}

/*
 * object_resolve_path(): an absolute path, or a partial one that names
 * exactly one object (*@ambiguous when several).
 */
static bool resolve(const char *path, struct obj *o, bool *ambiguous)
{
	char *c = canonical(path);
	bool ok;

	*ambiguous = false;
	if (path[0] == '/') {
		ok = resolve_canonical(c[0] ? c : "/", o);
		free(c);
		return ok;
	}
	{
		struct partial m = {.suffix = c};

		walk("/", 0, match_partial, &m);
		free(c);
		if (m.matches == 1) {
			ok = resolve_canonical(m.found, o);
			free(m.found);
			return ok;
		}
		free(m.found);
		*ambiguous = m.matches > 1;
		memset(o, 0, sizeof(*o));
		return false;
	}
}

/* The object's type name, for "Property 'TYPE.NAME' not found". */
static char *type_name(struct props *p)
{
	struct prop *e = props_find(p, "type");
	const char *t = e ? (e->computed ? e->computed : fq_rec_text(e->value)) : NULL;
	json_object *o = t ? json_tokener_parse(t) : NULL;
	char *name = xstrdup(
	    o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : "object");

	json_object_put(o);
	return name;
}

/* ---- commands ------------------------------------------------------------------- */

static const char *str_arg(json_object *args, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(args, key, &v) ? json_object_get_string(v) : "";
}

static char *prop_text(const struct prop *e)
{
	json_object *o;
	char *t;

	if (e->text)
		return xstrdup(e->text);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "type", json_object_new_string(e->type));
	t = fq_json_to_qemu_string(o);
	json_object_put(o);
	return t;
}

void fq_cmd_qom_list(json_object *args, struct fq_reply *r)
{
	const char *path = str_arg(args, "path");
	struct obj o;
	struct props p = {0};
	struct strbuf b = {0};
	bool ambiguous;

	if (!resolve(path, &o, &ambiguous) || !obj_props(&o, &p)) {
		if (ambiguous)
			fq_reply_error(r, "GenericError", "Path '%s' is ambiguous", path);
		else
			fq_reply_error(r, "DeviceNotFound", "Device '%s' not found", path);
		obj_free(&o);
		props_free(&p);
		return;
	}
	strbuf_addc(&b, '[');
	for (size_t i = 0; i < p.n; i++) {
		char *t = prop_text(&p.v[i]);

		if (i)
			strbuf_adds(&b, ", ");
		strbuf_adds(&b, t);
		free(t);
	}
	strbuf_addc(&b, ']');
	r->ret = fq_raw_json(strbuf_steal(&b));
	obj_free(&o);
	props_free(&p);
}

void fq_qom_values(const char *path, const char *const *names, size_t n, char **out)
{
	struct obj o;
	struct props p = {0};
	bool ambiguous, found;

	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	found = resolve(path, &o, &ambiguous) && obj_props(&o, &p);
	for (size_t i = 0; found && i < n; i++) {
		struct prop *e = props_find(&p, names[i]);

		if (e && e->computed)
			out[i] = xstrdup(e->computed);
		else if (e && fq_rec_kind(e->value) == FQ_REC_TEXT)
			out[i] = xstrdup(fq_rec_text(e->value));
	}
	obj_free(&o);
	props_free(&p);
}

char *fq_qom_value(const char *path, const char *name)
{
	char *t;

	fq_qom_values(path, &name, 1, &t);
	return t;
}

void fq_cmd_qom_get(json_object *args, struct fq_reply *r)
{
	const char *path = str_arg(args, "path"), *name = str_arg(args, "property");
	struct obj o;
	struct props p = {0};
	struct prop *e;
	bool ambiguous;

	if (!resolve(path, &o, &ambiguous) || !obj_props(&o, &p)) {
		fq_reply_error(r, "DeviceNotFound", "Device '%s' not found", path);
	} else if (!(e = props_find(&p, name))) {
		char *t = type_name(&p);

		fq_reply_error(r, "GenericError", "Property '%s.%s' not found", t, name);
		free(t);
	} else if (e->computed) {
		r->ret = fq_raw_json(xstrdup(e->computed));
	} else if (!strncmp(e->type, "child<", 6)) {
		char *c = child_path(o.path, name);

		r->ret = json_object_new_string(c);
		free(c);
	} else if (!fq_rec_reply(e->value, r)) {
		fq_reply_error(r, "GenericError",
			       "fakeqemu: the value of %s property '%s' was not recorded", path,
			       name);
	}
	obj_free(&o);
	props_free(&p);
}

/* Properties a realized device still takes (QOM properties with a run-time setter). */
static bool settable_at_run_time(const char *name)
{
	return !strcmp(name, "requested-size") || !strcmp(name, "guest-stats-polling-interval");
}

void fq_cmd_qom_set(json_object *args, struct fq_reply *r)
{
	const char *path = str_arg(args, "path"), *name = str_arg(args, "property");
	json_object *value = json_object_object_get(args, "value");
	struct obj o;
	struct props p = {0};
	struct prop *e;
	bool ambiguous;
	char *t = NULL;

	if (!resolve(path, &o, &ambiguous) || !obj_props(&o, &p)) {
		fq_reply_error(r, "DeviceNotFound", "Device '%s' not found", path);
		goto out;
	}
	t = type_name(&p);
	e = props_find(&p, name);
	if (!e) {
		fq_reply_error(r, "GenericError", "Property '%s.%s' not found", t, name);
	} else if (!strcmp(name, "type") || !strncmp(e->type, "child<", 6)) {
		fq_reply_text(r, "prop-not-writable", "type", t, "name", name, NULL);
	} else if (o.kind == OBJ_DEVICE && !o.sub[0] && fq_memory_qom_set(o.dev, name, value, r)) {
		/* virtio-mem's requested-size: the memory model took it */
	} else if (o.kind == OBJ_DEVICE && !o.sub[0] && !settable_at_run_time(name)) {
		if (o.dev->id)
			fq_reply_error(
			    r, "GenericError",
			    "Attempt to set property '%s' on device '%s' (type '%s') after "
			    "it was realized",
			    name, o.dev->id, t);
		else
			fq_reply_error(
			    r, "GenericError",
			    "Attempt to set property '%s' on anonymous device (type '%s') "
			    "after it was realized",
			    name, t);
	} else if (o.kind == OBJ_DEVICE && !o.sub[0]) {
		json_object_object_add(o.dev->props, name, json_object_get(value));
	} else {
		fq_reply_error(r, "GenericError",
			       "fakeqemu: qom-set of %s property '%s' is not modelled by fakeqemu",
			       path, name);
	}
out:
	free(t);
	obj_free(&o);
	props_free(&p);
}
