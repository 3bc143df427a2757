/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* commands.c - the table of modelled commands, and fakeqemu's own x-fakeqemu-* commands */
#include <stdlib.h>
#include <string.h>

#include "chardev.h"
#include "commands.h"
#include "fds.h"
#include "net.h"
#include "objects.h"
#include "faults.h"
#include "guest.h"
#include "machine.h"
#include "memory.h"
#include "migration.h"
#include "schema.h"

/* Commands of the real schemas that fakeqemu models. */
static const struct fq_command commands[] = {
    {"query-status", fq_cmd_query_status, true},
    {"stop", fq_cmd_stop, true},
    {"cont", fq_cmd_cont, true},
    {"quit", fq_cmd_quit, true},
    {"system_powerdown", fq_cmd_system_powerdown, true},
    {"system_reset", fq_cmd_system_reset, true},
    {"query-version", fq_cmd_query_version, true},
    {"query-name", fq_cmd_query_name, true},
    {"query-uuid", fq_cmd_query_uuid, true},
    {"query-kvm", fq_cmd_query_kvm, true},
    {"query-target", fq_cmd_query_target, true},
    {"query-commands", fq_cmd_query_commands, true},
    /* cmd_introspect.c: QEMU's self-description, from the recorded data. */
    {"qom-list-types", fq_cmd_qom_list_types, true},
    {"device-list-properties", fq_cmd_device_list_properties, true},
    {"qom-list-properties", fq_cmd_qom_list_properties, true},
    {"query-machines", fq_cmd_query_machines, true},
    {"query-cpu-definitions", fq_cmd_query_cpu_definitions, true},
    {"query-cpu-model-expansion", fq_cmd_query_cpu_model_expansion, true},
    {"query-command-line-options", fq_cmd_query_command_line_options, true},
    {"query-tpm-models", fq_cmd_query_tpm_models, true},
    {"query-tpm-types", fq_cmd_query_tpm_types, true},
    {"query-tpm", fq_cmd_query_tpm, true},
    {"query-sev", fq_cmd_query_sev, true},
    {"query-sev-capabilities", fq_cmd_query_sev_capabilities, true},
    {"query-sev-launch-measure", fq_cmd_query_sev_launch_measure, true},
    {"query-sgx", fq_cmd_query_sgx, true},
    {"query-sgx-capabilities", fq_cmd_query_sgx_capabilities, true},
    {"query-current-machine", fq_cmd_query_current_machine, true},
    {"query-chardev-backends", fq_cmd_query_chardev_backends, true},
    {"query-stats-schemas", fq_cmd_query_stats_schemas, true},
    {"query-dump-guest-memory-capability", fq_cmd_query_dump_guest_memory_capability, true},
    {"query-vm-generation-id", fq_cmd_query_vm_generation_id, true},
    {"query-xen-replication-status", fq_cmd_query_xen_replication_status, true},
    {"query-colo-status", fq_cmd_query_colo_status, true},
    {"query-replay", fq_cmd_query_replay, true},
    {"query-display-options", fq_cmd_query_display_options, true},
    {"query-vnc", fq_cmd_query_vnc, true},
    {"query-vnc-servers", fq_cmd_query_vnc_servers, true},
    {"query-mice", fq_cmd_query_mice, true},
    {"query-cryptodev", fq_cmd_query_cryptodev, true},
    {"query-events", fq_cmd_query_events, true},
    {"query-spice", fq_cmd_query_spice, true},
    {"query-jobs", fq_cmd_query_jobs, true},
    {"query-block-jobs", fq_cmd_query_block_jobs, true},
    {"query-block-exports", fq_cmd_query_block_exports, true},
    {"query-hv-balloon-status-report", fq_cmd_query_hv_balloon_status_report, true},
    {"inject-nmi", fq_cmd_inject_nmi, true},
    {"system_wakeup", fq_cmd_system_wakeup, true},
    {"set-action", fq_cmd_set_action, true},
    {"watchdog-set-action", fq_cmd_watchdog_set_action, true},
    {"query-pr-managers", fq_cmd_query_pr_managers, true},
    {"query-dirty-rate", fq_cmd_query_dirty_rate, true},
    {"query-vcpu-dirty-limit", fq_cmd_query_vcpu_dirty_limit, true},
    {"query-dump", fq_cmd_query_dump, true},
    {"query-qmp-schema", fq_cmd_query_qmp_schema, true},
    {"query-hotpluggable-cpus", fq_cmd_query_hotpluggable_cpus, true},
    {"query-cpus-fast", fq_cmd_query_cpus_fast, true},
    {"query-cpus", fq_cmd_query_cpus, true},
    /* device_add is 'gen': false in QAPI: QEMU checks its arguments itself. */
    {"device_add", fq_cmd_device_add, false},
    {"device_del", fq_cmd_device_del, true},
    {"query-pci", fq_cmd_query_pci, true},
    {"blockdev-add", fq_cmd_blockdev_add, true},
    {"blockdev-del", fq_cmd_blockdev_del, true},
    {"query-block", fq_cmd_query_block, true},
    {"query-named-block-nodes", fq_cmd_query_named_block_nodes, true},
    {"query-blockstats", fq_cmd_query_blockstats, true},
    {"block_resize", fq_cmd_block_resize, true},
    {"qom-get", fq_cmd_qom_get, true},
    {"qom-list", fq_cmd_qom_list, true},
    {"qom-set", fq_cmd_qom_set, true},
    /* memory.c */
    {"query-memory-devices", fq_cmd_query_memory_devices, true},
    {"query-memory-size-summary", fq_cmd_query_memory_size_summary, true},
    {"query-acpi-ospm-status", fq_cmd_query_acpi_ospm_status, true},
    {"migrate-pause", fq_cmd_migrate_pause, true},
    {"query-yank", fq_cmd_query_yank, true},
    {"getfd", fq_cmd_getfd, true},
    {"closefd", fq_cmd_closefd, true},
    {"add-fd", fq_cmd_add_fd, true},
    {"remove-fd", fq_cmd_remove_fd, true},
    {"query-fdsets", fq_cmd_query_fdsets, true},
    {"chardev-add", fq_cmd_chardev_add, true},
    {"chardev-remove", fq_cmd_chardev_remove, true},
    {"query-chardev", fq_cmd_query_chardev, true},
    {"netdev_add", fq_cmd_netdev_add, true},
    {"netdev_del", fq_cmd_netdev_del, true},
    {"set_link", fq_cmd_set_link, true},
    {"query-rx-filter", fq_cmd_query_rx_filter, true},
    /* 'gen': false in 5.2 (free-form properties); checked by the handler. */
    {"object-add", fq_cmd_object_add, false},
    {"object-del", fq_cmd_object_del, true},
    {"query-iothreads", fq_cmd_query_iothreads, true},
    {"query-memdev", fq_cmd_query_memdev, true},
    {"balloon", fq_cmd_balloon, true},
    {"query-balloon", fq_cmd_query_balloon, true},
    {"query-migrate", fq_cmd_query_migrate, true},
    {"query-migrate-capabilities", fq_cmd_query_migrate_capabilities, true},
    {"migrate-set-capabilities", fq_cmd_migrate_set_capabilities, true},
    {"query-migrate-parameters", fq_cmd_query_migrate_parameters, true},
    {"migrate-set-parameters", fq_cmd_migrate_set_parameters, true},
    {"migrate-incoming", fq_cmd_migrate_incoming, true},
    {"migrate", fq_cmd_migrate, true},
    {"dump-guest-memory", fq_cmd_dump_guest_memory, true},
    {"migrate_cancel", fq_cmd_migrate_cancel, true},
    {"human-monitor-command", fq_cmd_human_monitor_command, true},
    /* fakeqemu's own, not in any QEMU schema. */
    {"x-fakeqemu-state", fq_cmd_x_fakeqemu_state, false},
    {"x-fakeqemu-fault", fq_cmd_x_fakeqemu_fault, false},
    {"x-fakeqemu-commands", fq_cmd_x_fakeqemu_commands, false},
};

const struct fq_command *fq_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void fq_cmd_x_fakeqemu_state(json_object *args, struct fq_reply *r)
{
	(void)args;
	r->ret = fq_machine_state_json();
}

/*
 * x-fakeqemu-fault: {"rule": {...}} adds a rule (see faults.c) and returns
 * {"id": N}; {"clear": true} drops every rule.
 */
void fq_cmd_x_fakeqemu_fault(json_object *args, struct fq_reply *r)
{
	json_object *rule, *clear, *ret;
	char *err = NULL;
	int id;

	if (json_object_object_get_ex(args, "clear", &clear) && json_object_get_boolean(clear)) {
		fq_faults_clear();
		return;
	}
	if (!json_object_object_get_ex(args, "rule", &rule)) {
		fq_reply_error(r, "GenericError",
			       "x-fakeqemu-fault: expected {\"rule\": {...}} or {\"clear\": true}");
		return;
	}
	id = fq_faults_add(rule, &err);
	if (id < 0) {
		fq_reply_error(r, "GenericError", "%s", err);
		free(err);
		return;
	}
	ret = json_object_new_object();
	json_object_object_add(ret, "id", json_object_new_int(id));
	r->ret = ret;
}

static void sort_command(json_object *e, void *opaque)
{
	json_object **lists = opaque, *meta, *name;

	if (!json_object_object_get_ex(e, "meta-type", &meta) ||
	    strcmp(json_object_get_string(meta), "command") != 0 ||
	    !json_object_object_get_ex(e, "name", &name))
		return;
	json_object_array_add(fq_command_find(json_object_get_string(name)) ||
				      !strcmp(json_object_get_string(name), "qmp_capabilities")
				  ? lists[0]
				  : lists[1],
			      json_object_get(name));
}

/*
 * x-fakeqemu-commands: the imitated version's commands split into
 * {"modelled": [...], "not-modelled": [...]} (the latter answer a
 * GenericError naming the command).
 */
void fq_cmd_x_fakeqemu_commands(json_object *args, struct fq_reply *r)
{
	json_object *lists[2] = {json_object_new_array(), json_object_new_array()};
	json_object *ret = json_object_new_object();

	(void)args;
	fq_schema_foreach(sort_command, lists);
	json_object_object_add(ret, "modelled", lists[0]);
	json_object_object_add(ret, "not-modelled", lists[1]);
	r->ret = ret;
}
