/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* commands.h - the QMP commands fakeqemu models, and their handlers */
#ifndef FQ_COMMANDS_H
#define FQ_COMMANDS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"

typedef void (*fq_cmd_fn)(json_object *args, struct fq_reply *r);

/* struct fq_command - a modelled command. */
struct fq_command {
	const char *name;
	fq_cmd_fn fn;
	bool schema_checked; /* arguments are validated against the QAPI schema first */
};

/* fq_command_find() - the model's handler for @name, or NULL. */
const struct fq_command *fq_command_find(const char *name);

/* Handlers, one group per file. */
void fq_cmd_query_status(json_object *args, struct fq_reply *r);
void fq_cmd_stop(json_object *args, struct fq_reply *r);
void fq_cmd_cont(json_object *args, struct fq_reply *r);
void fq_cmd_quit(json_object *args, struct fq_reply *r);
void fq_cmd_system_powerdown(json_object *args, struct fq_reply *r);
void fq_cmd_system_reset(json_object *args, struct fq_reply *r);
void fq_cmd_query_version(json_object *args, struct fq_reply *r);
void fq_cmd_query_name(json_object *args, struct fq_reply *r);
void fq_cmd_query_uuid(json_object *args, struct fq_reply *r);
void fq_cmd_query_kvm(json_object *args, struct fq_reply *r);
void fq_cmd_query_commands(json_object *args, struct fq_reply *r);
void fq_cmd_query_qmp_schema(json_object *args, struct fq_reply *r);

/* cmd_introspect.c */
void fq_cmd_query_target(json_object *args, struct fq_reply *r);
void fq_cmd_qom_list_types(json_object *args, struct fq_reply *r);
void fq_cmd_device_list_properties(json_object *args, struct fq_reply *r);
void fq_cmd_qom_list_properties(json_object *args, struct fq_reply *r);
void fq_cmd_query_cpu_model_expansion(json_object *args, struct fq_reply *r);
void fq_cmd_query_command_line_options(json_object *args, struct fq_reply *r);
void fq_cmd_query_machines(json_object *args, struct fq_reply *r);
void fq_cmd_query_cpu_definitions(json_object *args, struct fq_reply *r);
void fq_cmd_query_tpm_models(json_object *args, struct fq_reply *r);
void fq_cmd_query_tpm_types(json_object *args, struct fq_reply *r);
void fq_cmd_query_tpm(json_object *args, struct fq_reply *r);
void fq_cmd_query_sev(json_object *args, struct fq_reply *r);
void fq_cmd_query_sev_capabilities(json_object *args, struct fq_reply *r);
void fq_cmd_query_sev_launch_measure(json_object *args, struct fq_reply *r);
void fq_cmd_query_sgx(json_object *args, struct fq_reply *r);
void fq_cmd_query_sgx_capabilities(json_object *args, struct fq_reply *r);
void fq_cmd_query_current_machine(json_object *args, struct fq_reply *r);
void fq_cmd_query_stats_schemas(json_object *args, struct fq_reply *r);
void fq_cmd_query_dump_guest_memory_capability(json_object *args, struct fq_reply *r);
void fq_cmd_query_vm_generation_id(json_object *args, struct fq_reply *r);
void fq_cmd_query_xen_replication_status(json_object *args, struct fq_reply *r);
void fq_cmd_query_colo_status(json_object *args, struct fq_reply *r);
void fq_cmd_query_replay(json_object *args, struct fq_reply *r);
void fq_cmd_query_display_options(json_object *args, struct fq_reply *r);
void fq_cmd_query_vnc(json_object *args, struct fq_reply *r);
void fq_cmd_query_vnc_servers(json_object *args, struct fq_reply *r);
void fq_cmd_query_mice(json_object *args, struct fq_reply *r);
void fq_cmd_query_cryptodev(json_object *args, struct fq_reply *r);
void fq_cmd_query_events(json_object *args, struct fq_reply *r);
void fq_cmd_query_spice(json_object *args, struct fq_reply *r);
void fq_cmd_query_jobs(json_object *args, struct fq_reply *r);
void fq_cmd_query_block_jobs(json_object *args, struct fq_reply *r);
void fq_cmd_query_block_exports(json_object *args, struct fq_reply *r);
void fq_cmd_query_hv_balloon_status_report(json_object *args, struct fq_reply *r);
void fq_cmd_inject_nmi(json_object *args, struct fq_reply *r);
void fq_cmd_system_wakeup(json_object *args, struct fq_reply *r);
void fq_cmd_set_action(json_object *args, struct fq_reply *r);
void fq_cmd_watchdog_set_action(json_object *args, struct fq_reply *r);
void fq_cmd_query_pr_managers(json_object *args, struct fq_reply *r);
void fq_cmd_query_dirty_rate(json_object *args, struct fq_reply *r);
void fq_cmd_query_vcpu_dirty_limit(json_object *args, struct fq_reply *r);
void fq_cmd_query_dump(json_object *args, struct fq_reply *r);
void fq_cmd_dump_guest_memory(json_object *args, struct fq_reply *r);

void fq_cmd_query_hotpluggable_cpus(json_object *args, struct fq_reply *r);
void fq_cmd_query_cpus_fast(json_object *args, struct fq_reply *r);
void fq_cmd_query_cpus(json_object *args, struct fq_reply *r);

void fq_cmd_device_add(json_object *args, struct fq_reply *r);
void fq_cmd_device_del(json_object *args, struct fq_reply *r);
void fq_cmd_query_pci(json_object *args, struct fq_reply *r);

void fq_cmd_blockdev_add(json_object *args, struct fq_reply *r);
void fq_cmd_blockdev_del(json_object *args, struct fq_reply *r);
void fq_cmd_query_block(json_object *args, struct fq_reply *r);
void fq_cmd_query_named_block_nodes(json_object *args, struct fq_reply *r);
void fq_cmd_query_blockstats(json_object *args, struct fq_reply *r);
void fq_cmd_block_resize(json_object *args, struct fq_reply *r);

void fq_cmd_qom_get(json_object *args, struct fq_reply *r);
void fq_cmd_qom_list(json_object *args, struct fq_reply *r);
void fq_cmd_qom_set(json_object *args, struct fq_reply *r);
void fq_cmd_migrate_pause(json_object *args, struct fq_reply *r);
void fq_cmd_query_yank(json_object *args, struct fq_reply *r);

void fq_cmd_balloon(json_object *args, struct fq_reply *r);
void fq_cmd_query_balloon(json_object *args, struct fq_reply *r);
void fq_cmd_query_migrate_capabilities(json_object *args, struct fq_reply *r);
void fq_cmd_migrate_set_capabilities(json_object *args, struct fq_reply *r);
void fq_cmd_query_migrate_parameters(json_object *args, struct fq_reply *r);
void fq_cmd_migrate_set_parameters(json_object *args, struct fq_reply *r);

void fq_cmd_human_monitor_command(json_object *args, struct fq_reply *r);

void fq_cmd_x_fakeqemu_state(json_object *args, struct fq_reply *r);
void fq_cmd_x_fakeqemu_fault(json_object *args, struct fq_reply *r);
void fq_cmd_x_fakeqemu_commands(json_object *args, struct fq_reply *r);

#endif
