/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_introspect.c - the commands with which QEMU describes itself, answered
 * from what the real binary answered (qomdata.h).
 *
 * DOC: Theory of operation
 *
 * Replies that do not depend on the machine's state (query-machines,
 * query-cpu-definitions, query-tpm-models, the SEV and SGX answers, ...) are
 * the recorded ones, byte for byte, for the running machine type (pc, q35,
 * none) and accelerator. Commands that take a type name answer from the
 * type's record, and for a name QEMU does not know with QEMU's recorded
 * error for a name it did not know. qom-list-types is computed from the
 * recorded type list (introspect.py checked that QEMU's other answers are
 * that list filtered).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fakeqemu.h"
#include "qjson.h"
#include "qomdata.h"
#include "strbuf.h"

static const char *str_arg(json_object *args, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(args, key, &v) && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
}

static void not_recorded(const char *command, struct fq_reply *r)
{
	fq_reply_error(r, "GenericError",
		       "fakeqemu: the answer of QEMU %s to %s was not recorded "
		       "(tests/conformance/introspect.py)",
		       fq_vm.cfg.dialect->name, command);
}

/* Answer @command with its recorded reply for this machine and accelerator. */
static void recorded(const char *command, struct fq_reply *r)
{
	if (!fq_rec_reply(fq_data_recorded_reply(command), r))
		not_recorded(command, r);
}

/*
 * The recorded error for a name QEMU did not know (recorded with the name
 * "no-such-..."), told about @name instead.
 */
static void unknown_name(const char *key, const char *recorded_name, const char *name,
			 struct fq_reply *r)
{
	const char *cls, *desc, *at;

	if (!fq_rec_error(fq_data_keyed("%s", key), &cls, &desc) ||
	    !(at = strstr(desc, recorded_name))) {
		not_recorded(key, r);
		return;
	}
	fq_reply_error(r, cls, "%.*s%s%s", (int)(at - desc), desc, name,
		       at + strlen(recorded_name));
}

#define RECORDED_COMMAND(fn, name)                                                                 \
	void fn(json_object *args, struct fq_reply *r)                                             \
	{                                                                                          \
		(void)args;                                                                        \
		recorded(name, r);                                                                 \
	}

RECORDED_COMMAND(fq_cmd_query_machines, "query-machines")
RECORDED_COMMAND(fq_cmd_query_cpu_definitions, "query-cpu-definitions")
RECORDED_COMMAND(fq_cmd_query_tpm_models, "query-tpm-models")
RECORDED_COMMAND(fq_cmd_query_tpm_types, "query-tpm-types")
RECORDED_COMMAND(fq_cmd_query_tpm, "query-tpm")
RECORDED_COMMAND(fq_cmd_query_sev, "query-sev")
RECORDED_COMMAND(fq_cmd_query_sev_capabilities, "query-sev-capabilities")
RECORDED_COMMAND(fq_cmd_query_sev_launch_measure, "query-sev-launch-measure")
RECORDED_COMMAND(fq_cmd_query_sgx, "query-sgx")
RECORDED_COMMAND(fq_cmd_query_sgx_capabilities, "query-sgx-capabilities")
RECORDED_COMMAND(fq_cmd_query_commands, "query-commands")
RECORDED_COMMAND(fq_cmd_query_current_machine, "query-current-machine")
RECORDED_COMMAND(fq_cmd_query_stats_schemas, "query-stats-schemas")
RECORDED_COMMAND(fq_cmd_query_dump_guest_memory_capability, "query-dump-guest-memory-capability")
RECORDED_COMMAND(fq_cmd_query_vm_generation_id, "query-vm-generation-id")
RECORDED_COMMAND(fq_cmd_query_xen_replication_status, "query-xen-replication-status")
RECORDED_COMMAND(fq_cmd_query_colo_status, "query-colo-status")
RECORDED_COMMAND(fq_cmd_query_replay, "query-replay")
RECORDED_COMMAND(fq_cmd_query_display_options, "query-display-options")
RECORDED_COMMAND(fq_cmd_query_vnc, "query-vnc")
RECORDED_COMMAND(fq_cmd_query_vnc_servers, "query-vnc-servers")
RECORDED_COMMAND(fq_cmd_query_mice, "query-mice")
RECORDED_COMMAND(fq_cmd_query_cryptodev, "query-cryptodev")
/* Nothing fakeqemu models changes these: no jobs, exports, SPICE or hv-balloon. */
RECORDED_COMMAND(fq_cmd_query_events, "query-events")
RECORDED_COMMAND(fq_cmd_query_spice, "query-spice")
RECORDED_COMMAND(fq_cmd_query_jobs, "query-jobs")
RECORDED_COMMAND(fq_cmd_query_block_jobs, "query-block-jobs")
RECORDED_COMMAND(fq_cmd_query_block_exports, "query-block-exports")
RECORDED_COMMAND(fq_cmd_query_hv_balloon_status_report, "query-hv-balloon-status-report")
RECORDED_COMMAND(fq_cmd_query_pr_managers, "query-pr-managers")
RECORDED_COMMAND(fq_cmd_query_dirty_rate, "query-dirty-rate")
RECORDED_COMMAND(fq_cmd_query_vcpu_dirty_limit, "query-vcpu-dirty-limit")
RECORDED_COMMAND(fq_cmd_query_target, "query-target")

/* qom-list-types: the recorded type list, filtered as object_class_foreach() does. */
void fq_cmd_qom_list_types(json_object *args, struct fq_reply *r)
{
	const char *implements = str_arg(args, "implements");
	json_object *abs = NULL, *list;
	bool want_abstract = false;
	size_t n = fq_qom_ntypes();

	if (json_object_object_get_ex(args, "abstract", &abs))
		want_abstract = json_object_get_boolean(abs);
	if (!fq_data_present()) {
		not_recorded("qom-list-types", r);
		return;
	}
	fq_data_modules_loaded(); /* module_load_qom_all() */
	list = json_object_new_array();
	/* QAPI_LIST_PREPEND over the class table: the recorded order. */
	for (size_t i = 0; i < n; i++) {
		int t = fq_qom_type_in_order(i), p;
		json_object *e;

		if (fq_qom_type_abstract(t) && !want_abstract)
			continue;
		if (implements && !fq_qom_type_is_a(t, implements))
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "name", json_object_new_string(fq_qom_type_name(t)));
		if (fq_qom_type_abstract(t))
			json_object_object_add(e, "abstract", json_object_new_boolean(1));
		p = fq_qom_type_parent(t);
		if (p >= 0)
			json_object_object_add(e, "parent",
					       json_object_new_string(fq_qom_type_name(p)));
		json_object_array_add(list, e);
	}
	r->ret = list;
}

static void type_properties(json_object *args, enum fq_type_field field, const char *missing_key,
			    const char *command, struct fq_reply *r)
{
	const char *name = str_arg(args, "typename");
	int t = fq_qom_type(name);

	if (!fq_data_present()) {
		not_recorded(command, r);
		return;
	}
	if (t < 0) {
		unknown_name(missing_key, "no-such-type", name, r);
		return;
	}
	if (!fq_rec_reply(fq_qom_type_rec(t, field), r))
		not_recorded(command, r);
}

void fq_cmd_device_list_properties(json_object *args, struct fq_reply *r)
{
	type_properties(args, FQ_TYPE_DEVICE_LIST_PROPERTIES, "dlp-missing",
			"device-list-properties", r);
}

void fq_cmd_qom_list_properties(json_object *args, struct fq_reply *r)
{
	type_properties(args, FQ_TYPE_QOM_LIST_PROPERTIES, "qlp-missing", "qom-list-properties", r);
}

/* Python's json.dumps(sort_keys=True, separators=(",", ":")): how introspect keys are made. */
static void canonical(struct strbuf *b, json_object *o);

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void canonical_string(struct strbuf *b, const char *s)
{
	strbuf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			strbuf_adds(b, "\\n");
		else if (*p == '\t')
			strbuf_adds(b, "\\t");
		else if (*p < 0x20 || *p >= 0x7f)
			strbuf_addf(b, "\\u%04x", *p); /* names are ASCII; good enough for keys */
		else
			strbuf_addc(b, (char)*p);
	}
	strbuf_addc(b, '"');
}

static void canonical(struct strbuf *b, json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		strbuf_adds(b, "null");
		break;
	case json_type_boolean:
		strbuf_adds(b, json_object_get_boolean(o) ? "true" : "false");
		break;
	case json_type_int:
		strbuf_addf(b, "%lld", (long long)json_object_get_int64(o));
		break;
	case json_type_double:
		strbuf_addf(b, "%.17g", json_object_get_double(o));
		break;
	case json_type_string:
		canonical_string(b, json_object_get_string(o));
		break;
	case json_type_array:
		strbuf_addc(b, '[');
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			if (i)
				strbuf_addc(b, ',');
			canonical(b, json_object_array_get_idx(o, i));
		}
		strbuf_addc(b, ']');
		break;
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(o), i = 0;
		const char **keys = calloc(n ? n : 1, sizeof(*keys));

		if (!keys)
			abort();
		json_object_object_foreach(o, k, v)
		{
			(void)v;
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), key_cmp);
		strbuf_addc(b, '{');
		for (i = 0; i < n; i++) {
			if (i)
				strbuf_addc(b, ',');
			canonical_string(b, keys[i]);
			strbuf_addc(b, ':');
			canonical(b, json_object_object_get(o, keys[i]));
		}
		strbuf_addc(b, '}');
		free(keys);
		break;
	}
	}
}

/* The record of @command with exactly these @args, recorded under the accelerator. */
static fq_rec_id recorded_with_args(const char *accel, const char *command, json_object *args)
{
	struct strbuf b = {0};
	fq_rec_id id;

	canonical(&b, args);
	id = fq_data_keyed("args:%s:%s %s", accel, command, strbuf_str(&b));
	strbuf_free(&b);
	return id;
}

void fq_cmd_query_command_line_options(json_object *args, struct fq_reply *r)
{
	const char *option = str_arg(args, "option");

	if (!option) {
		recorded("query-command-line-options", r);
		return;
	}
	/* Per option: the list does not depend on the machine or accelerator. */
	if (!fq_rec_reply(recorded_with_args("tcg", "query-command-line-options", args), r))
		unknown_name("args:tcg:query-command-line-options {\"option\":\"no-such-option\"}",
			     "no-such-option", option, r);
}

/*
 * query-cpu-model-expansion: the recorded expansion for these arguments.
 * libvirt's probes (host and max, static and full, with migratable and
 * hv-passthrough) and a sample of named models were recorded; an unknown
 * model gets QEMU's error for an unknown model.
 */
void fq_cmd_query_cpu_model_expansion(json_object *args, struct fq_reply *r)
{
	json_object *model = NULL;
	const char *name = NULL;
	char needle[160];

	if (fq_rec_reply(recorded_with_args(fq_data_accel(), "query-cpu-model-expansion", args), r))
		return;
	if (json_object_object_get_ex(args, "model", &model))
		name = str_arg(model, "name");
	snprintf(needle, sizeof(needle), " %s ", name ? name : "");
	if (name && !strstr(fq_vm.cfg.dialect->data->cpu_models, needle)) {
		unknown_name("args:tcg:query-cpu-model-expansion "
			     "{\"model\":{\"name\":\"no-such-model\"},\"type\":\"full\"}",
			     "no-such-model", name, r);
		return;
	}
	fq_reply_error(r, "GenericError",
		       "fakeqemu: the expansion of CPU model '%s' with these arguments was not "
		       "recorded from QEMU %s (tests/conformance/introspect.py)",
		       name ? name : "", fq_vm.cfg.dialect->name);
}
