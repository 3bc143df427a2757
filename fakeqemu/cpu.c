/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cpu.c - vCPU hot-plug as QEMU's x86 machine does it: slots, APIC IDs, checks */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "cpu.h"
#include "guest.h"
#include "machine.h"
#include "memory.h"
#include "props.h"
#include "qomdata.h"

bool fq_cpu_is_type(const char *driver)
{
	size_t n = strlen(driver), s = strlen("-x86_64-cpu");

	return n > s && !strcmp(driver + n - s, "-x86_64-cpu");
}

struct fq_cpu_slot *fq_cpu_slot_of(const struct fq_device *dev)
{
	for (int i = 0; i < fq_vm.ncpu_slots; i++)
		if (fq_vm.cpu_slots[i].cpu == dev)
			return &fq_vm.cpu_slots[i];
	return NULL;
}

struct fq_cpu_slot *fq_cpu_slot_by_path(const char *path)
{
	for (int i = 0; i < fq_vm.ncpu_slots; i++)
		if (fq_vm.cpu_slots[i].boot && !fq_vm.cpu_slots[i].gone &&
		    !strcmp(fq_vm.cpu_slots[i].qom_path, path))
			return &fq_vm.cpu_slots[i];
	return NULL;
}

static bool range_check(const char *what, long long v, long long max, struct fq_reply *r)
{
	if (v < 0) {
		fq_reply_error(r, "GenericError", "CPU %s is not set", what);
		return false;
	}
	if (v > max) {
		fq_reply_error(r, "GenericError", "Invalid CPU %s: %lld must be in range 0:%lld",
			       what, v, max);
		return false;
	}
	return true;
}

void fq_cpu_device_add(const char *driver, const char *id, char *qom_path, json_object *props,
		       bool hotplug, struct fq_reply *r)
{
	const struct fq_config *c = &fq_vm.cfg;
	long long sock = -1, die = -1, core = -1, thread = -1;
	long long max_socket;
	struct fq_cpu_slot *slot = NULL;
	struct fq_device *dev, **pp;
	unsigned apic;
	int idx = -1;

	if (!fq_prop_int(props, driver, "socket-id", &sock, r) ||
	    !fq_prop_int(props, driver, "die-id", &die, r) ||
	    !fq_prop_int(props, driver, "core-id", &core, r) ||
	    !fq_prop_int(props, driver, "thread-id", &thread, r))
		goto fail;
	if (strcmp(driver, fq_vm.cpu_type) != 0) {
		fq_reply_error(r, "GenericError", "Invalid CPU type, expected cpu type: '%s'",
			       fq_vm.cpu_type);
		goto fail;
	}
	if (!fq_vm.ncpu_slots) {
		fq_reply_error(r, "GenericError",
			       "Device '%s' can not be hotplugged on this machine", driver);
		goto fail;
	}
	max_socket = (long long)(c->maxcpus - 1) / c->threads / c->cores / c->dies;
	if (die < 0 && c->dies == 1)
		die = 0;
	if (!range_check("socket-id", sock, max_socket, r) ||
	    !range_check("die-id", die, c->dies - 1, r) ||
	    !range_check("core-id", core, c->cores - 1, r) ||
	    !range_check("thread-id", thread, c->threads - 1, r))
		goto fail;
	apic = fq_x86_apic_id((int)sock, (int)die, (int)core, (int)thread);
	for (int i = 0; i < fq_vm.ncpu_slots; i++) {
		struct fq_cpu_slot *s = &fq_vm.cpu_slots[i];

		if (fq_x86_apic_id(s->socket, s->die, s->core, s->thread) == apic) {
			slot = s;
			idx = i;
		}
	}
	if (!slot) {
		fq_reply_error(
		    r, "GenericError",
		    "Invalid CPU [socket: %lld, die: %lld, core: %lld, thread: %lld] with "
		    "APIC ID %u, valid index range 0:%d",
		    sock, die, core, thread, apic, fq_vm.ncpu_slots - 1);
		goto fail;
	}
	if ((slot->boot && !slot->gone) || slot->cpu) {
		fq_reply_error(r, "GenericError", "CPU[%d] with APIC ID %u exists", idx, apic);
		goto fail;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		abort();
	dev->driver = strdup(driver);
	dev->id = id ? strdup(id) : NULL;
	dev->kind = FQ_DEV_CPU;
	dev->hotplugged = hotplug;
	dev->cpu_index = idx;
	dev->qom_path = qom_path;
	dev->props = json_object_get(props);
	fq_cpu_warn_features();
	slot->cpu = dev;
	slot->gone = false;
	for (pp = &fq_vm.devices; *pp; pp = &(*pp)->next)
		;
	*pp = dev;
	if (hotplug)
		fq_guest_cpu_plugged(dev);
	return;
fail:
	free(qom_path);
}

void fq_cpu_device_gone(struct fq_device *dev)
{
	struct fq_cpu_slot *s = fq_cpu_slot_of(dev);

	if (s)
		s->cpu = NULL;
}

static json_object *cpu_props(const struct fq_cpu_slot *s)
{
	json_object *p = json_object_new_object();

	/* CpuInstanceProperties in schema order; node-id once QEMU made a NUMA node. */
	if (fq_memory_numa_nodes())
		json_object_object_add(p, "node-id", json_object_new_int(0));
	json_object_object_add(p, "socket-id", json_object_new_int(s->socket));
	if (fq_vm.cfg.dies > 1)
		json_object_object_add(p, "die-id", json_object_new_int(s->die));
	json_object_object_add(p, "core-id", json_object_new_int(s->core));
	json_object_object_add(p, "thread-id", json_object_new_int(s->thread));
	return p;
}

static const char *slot_path(const struct fq_cpu_slot *s)
{
	if (s->cpu)
		return s->cpu->qom_path;
	if (s->boot && !s->gone)
		return s->qom_path;
	return NULL;
}

void fq_cmd_query_hotpluggable_cpus(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	if (!fq_vm.ncpu_slots) {
		json_object_put(list);
		fq_reply_error(r, "GenericError",
			       "The feature 'query-hotpluggable-cpus' is not enabled");
		return;
	}
	/* QAPI_LIST_PREPEND: the highest slot first. */
	for (int i = fq_vm.ncpu_slots - 1; i >= 0; i--) {
		const struct fq_cpu_slot *s = &fq_vm.cpu_slots[i];
		json_object *e = json_object_new_object();
		const char *path = slot_path(s);

		json_object_object_add(e, "type", json_object_new_string(fq_vm.cpu_type));
		json_object_object_add(e, "vcpus-count", json_object_new_int(1));
		json_object_object_add(e, "props", cpu_props(s));
		if (path)
			json_object_object_add(e, "qom-path", json_object_new_string(path));
		json_object_array_add(list, e);
	}
	r->ret = list;
}

void fq_cmd_query_cpus_fast(json_object *args, struct fq_reply *r)
{
	json_object *list = json_object_new_array();

	(void)args;
	for (int i = 0; i < fq_vm.ncpu_slots; i++) {
		const struct fq_cpu_slot *s = &fq_vm.cpu_slots[i];
		const char *path = slot_path(s);
		json_object *e;

		if (!path)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "cpu-index", json_object_new_int(i));
		json_object_object_add(e, "qom-path", json_object_new_string(path));
		json_object_object_add(e, "thread-id", json_object_new_int((int)getpid() + 1 + i));
		json_object_object_add(e, "props", cpu_props(s));
		if (fq_vm.cfg.dialect->cpus_fast_has_arch)
			json_object_object_add(e, "arch", json_object_new_string("x86"));
		json_object_object_add(e, "target", json_object_new_string("x86_64"));
		json_object_array_add(list, e);
	}
	r->ret = list;
}

/* ---- -cpu feature flags ---------------------------------------------------------- */

/* "sse4_2", "sse4-2" and "sse4.2" name one feature (feat2prop(), the aliases). */
static bool same_feature(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !(strchr("_-.", *a) && strchr("_-.", *b)))
			return false;
	return *a == *b;
}

char *fq_cpu_option(const char *name)
{
	char *opts = fq_vm.cfg.cpu_opts ? strdup(fq_vm.cfg.cpu_opts) : NULL, *save = NULL, *tok;
	char *value = NULL;

	tok = opts ? strtok_r(opts, ",", &save) : NULL;
	while (tok && (tok = strtok_r(NULL, ",", &save))) {
		const char *eq = strchr(tok, '=');

		if (eq && (size_t)(eq - tok) == strlen(name) && !strncmp(tok, name, strlen(name))) {
			free(value);
			value = strdup(eq + 1);
		}
	}
	free(opts);
	return value;
}

int fq_cpu_flag(const char *name)
{
	char *opts = fq_vm.cfg.cpu_opts ? strdup(fq_vm.cfg.cpu_opts) : NULL, *save = NULL, *tok;
	int flag = -1;

	/* The first element is the model; later flags win. */
	tok = opts ? strtok_r(opts, ",", &save) : NULL;
	while (tok && (tok = strtok_r(NULL, ",", &save))) {
		const char *feat = tok, *eq = strchr(tok, '=');
		int on = 1;
		char buf[128];

		if (*tok == '+' || *tok == '-') {
			on = *tok == '+';
			feat = tok + 1;
		} else if (eq) {
			if (!strcmp(eq + 1, "on") || !strcmp(eq + 1, "true"))
				on = 1;
			else if (!strcmp(eq + 1, "off") || !strcmp(eq + 1, "false"))
				on = 0;
			else
				continue; /* a value, not a feature */
		}
		snprintf(buf, sizeof(buf), "%.*s", eq && feat < eq ? (int)(eq - feat) : 127, feat);
		if (same_feature(buf, name))
			flag = on;
	}
	free(opts);
	return flag;
}

bool fq_cpu_feature_supported(const char *name)
{
	struct fq_data_node n;
	char key[64], item_name[128];

	snprintf(key, sizeof(key), "cpu:%s:max:", fq_data_accel());
	if (!fq_data_node(key, &n))
		return false;
	for (size_t i = 0; i < fq_rec_list_len(n.list); i++)
		if (fq_prop_item_field(fq_rec_list_item(n.list, i), "name", item_name,
				       sizeof(item_name)) &&
		    !strcmp(item_name, name)) {
			const char *v = fq_rec_text(fq_data_node_value(&n, i));

			return v && !strcmp(v, "true");
		}
	return false;
}

struct feature_warning {
	int rank, bit;
	char name[64];
	char desc[128];
};

static int warning_order(const void *a, const void *b)
{
	const struct feature_warning *x = a, *y = b;

	return x->rank != y->rank ? x->rank - y->rank : x->bit - y->bit;
}

/* "RANK BIT CPUID.07H:EBX.hle [bit 4]" of a feature seen in a recorded warning. */
static bool feature_info(const char *name, struct feature_warning *w)
{
	const char *t = fq_rec_text(fq_data_keyed("cpu-feature:%s", name));
	int used = 0;

	if (!t || sscanf(t, "%d %d %n", &w->rank, &w->bit, &used) < 2)
		return false;
	snprintf(w->name, sizeof(w->name), "%s", name);
	snprintf(w->desc, sizeof(w->desc), "%s", t + used);
	return true;
}

static bool listed(const struct feature_warning *w, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (same_feature(w[i].name, name))
			return true;
	return false;
}

void fq_cpu_warn_features(void)
{
	const char *model = fq_vm.cfg.cpu_model ? fq_vm.cfg.cpu_model : "qemu64";
	const char *rec = fq_rec_text(fq_data_keyed("cpu-warnings:%s:%s", fq_data_accel(), model));
	const char *marker = "doesn't support requested feature: CPUID.";
	struct feature_warning w[128];
	size_t n = 0;
	char *opts, *save = NULL, *tok;

	/* The model's own: features the recording warned about, unless turned off. */
	for (const char *p = rec ? strstr(rec, marker) : NULL; p && n < 128;
	     p = strstr(p + 1, marker)) {
		const char *dot = strchr(p + strlen(marker), ':'), *end;
		char name[64];

		dot = dot ? strchr(dot, '.') : NULL;
		end = dot ? strstr(dot, " [bit") : NULL;
		if (!end)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(end - dot - 1), dot + 1);
		if (fq_cpu_flag(name) != 0 && feature_info(name, &w[n]))
			n++;
	}
	/* Features turned on that the accelerator lacks. */
	opts = fq_vm.cfg.cpu_opts ? strdup(fq_vm.cfg.cpu_opts) : NULL;
	tok = opts ? strtok_r(opts, ",", &save) : NULL;
	while (tok && (tok = strtok_r(NULL, ",", &save)) && n < 128) {
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(tok + (*tok == '+'), "="),
			 tok + (*tok == '+'));
		if (*tok != '-' && fq_cpu_flag(name) == 1 && !fq_cpu_feature_supported(name) &&
		    !listed(w, n, name) && feature_info(name, &w[n]))
			n++;
	}
	free(opts);
	qsort(w, n, sizeof(w[0]), warning_order);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s: warning: %s doesn't support requested feature: %s\n",
			fq_vm.cfg.progname, strcmp(fq_data_accel(), "kvm") ? "TCG" : "host",
			w[i].desc);
}
