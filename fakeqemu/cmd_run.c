/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmd_run.c - run state and identity commands: status, stop, cont, quit, version, name */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chardev.h"
#include "commands.h"
#include "guest.h"
#include "loop.h"
#include "monitor.h"
#include "fakeqemu.h"
#include "machine.h"
#include "migration.h"
#include "schema.h"

static const char *status_name(void)
{
	switch (fq_vm.state) {
	case FQ_PRELAUNCH:
		return "prelaunch";
	case FQ_RUNNING:
		return "running";
	case FQ_PAUSED:
		return "paused";
	case FQ_SHUTDOWN:
		return "shutdown";
	case FQ_INMIGRATE:
		return "inmigrate";
	case FQ_POSTMIGRATE:
		return "postmigrate";
	}
	return "internal-error";
}

void fq_cmd_query_status(json_object *args, struct fq_reply *r)
{
	json_object *o = json_object_new_object();

	(void)args;
	/* StatusInfo members in schema order: running, singlestep, status. */
	json_object_object_add(o, "running", json_object_new_boolean(fq_vm.state == FQ_RUNNING));
	if (fq_vm.cfg.dialect->status_has_singlestep)
		json_object_object_add(o, "singlestep", json_object_new_boolean(0));
	json_object_object_add(o, "status", json_object_new_string(status_name()));
	r->ret = o;
}

void fq_cmd_stop(json_object *args, struct fq_reply *r)
{
	(void)args;
	(void)r;
	/* qmp_stop(): while an incoming migration is awaited, only autostart changes. */
	if (fq_vm.state == FQ_INMIGRATE) {
		fq_migration_set_autostart(false);
		return;
	}
	fq_vm_set_running(false);
}

void fq_cmd_cont(json_object *args, struct fq_reply *r)
{
	(void)args;
	(void)r;
	if (fq_vm.state == FQ_SHUTDOWN) {
		fq_reply_error(r, "GenericError", "Resetting the Virtual Machine is required");
		return;
	}
	if (fq_vm.state == FQ_INMIGRATE) {
		fq_migration_set_autostart(true);
		return;
	}
	fq_vm_set_running(true);
}

/* An event that 5.2 sends after the reply and later versions before it. */
static void event_around_reply(const char *name, json_object *data)
{
	if (fq_vm.cfg.dialect->events_after_reply)
		fq_event_later(name, data, 0);
	else
		fq_event(name, data);
}

static json_object *shutdown_data(const char *reason, bool guest)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "guest", json_object_new_boolean(guest));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	return d;
}

void fq_cmd_quit(json_object *args, struct fq_reply *r)
{
	(void)args;
	(void)r;
	event_around_reply("SHUTDOWN", shutdown_data("host-qmp-quit", false));
	fq_vm.state = FQ_SHUTDOWN;
	fq_request_exit(0);
}

static void guest_powered_off(void *opaque)
{
	(void)opaque;
	fq_vm_shutdown("guest-shutdown", true);
	fq_request_exit(0);
}

void fq_cmd_system_powerdown(json_object *args, struct fq_reply *r)
{
	(void)args;
	(void)r;
	event_around_reply("POWERDOWN", NULL);
	/* A cooperative guest that is running answers the ACPI button. */
	if (fq_vm.state == FQ_RUNNING && fq_vm.cfg.guest != FQ_GUEST_ABSENT &&
	    fq_vm.cfg.guest != FQ_GUEST_REJECT && fq_vm.cfg.acpi) {
		int delay = fq_vm.cfg.guest == FQ_GUEST_SLOW ? fq_vm.cfg.guest_delay_ms : 20;

		fq_loop_timer(delay, guest_powered_off, NULL);
	}
}

void fq_cmd_system_reset(json_object *args, struct fq_reply *r)
{
	(void)args;
	(void)r;
	event_around_reply("RESET", shutdown_data("host-qmp-system-reset", false));
	fq_guest_reset();
	/* main_loop_should_exit(): a VM reset while not running is in prelaunch again. */
	if (fq_vm.state != FQ_RUNNING)
		fq_vm.state = FQ_PRELAUNCH;
}

void fq_cmd_query_version(json_object *args, struct fq_reply *r)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;
	json_object *v = json_object_new_object(), *q = json_object_new_object();

	(void)args;
	json_object_object_add(q, "major", json_object_new_int(d->major));
	json_object_object_add(q, "minor", json_object_new_int(d->minor));
	json_object_object_add(q, "micro", json_object_new_int(d->micro));
	json_object_object_add(v, "qemu", q);
	json_object_object_add(v, "package", json_object_new_string(d->package));
	r->ret = v;
}

void fq_cmd_query_name(json_object *args, struct fq_reply *r)
{
	json_object *o = json_object_new_object();

	(void)args;
	if (fq_vm.cfg.name)
		json_object_object_add(o, "name", json_object_new_string(fq_vm.cfg.name));
	r->ret = o;
}

void fq_cmd_query_uuid(json_object *args, struct fq_reply *r)
{
	json_object *o = json_object_new_object();

	(void)args;
	json_object_object_add(
	    o, "UUID",
	    json_object_new_string(fq_vm.cfg.uuid ? fq_vm.cfg.uuid
						  : "00000000-0000-0000-0000-000000000000"));
	r->ret = o;
}

void fq_cmd_query_kvm(json_object *args, struct fq_reply *r)
{
	json_object *o = json_object_new_object();

	(void)args;
	json_object_object_add(o, "enabled",
			       json_object_new_boolean(!strcmp(fq_vm.cfg.accel, "kvm")));
	json_object_object_add(o, "present",
			       json_object_new_boolean(access("/dev/kvm", F_OK) == 0));
	r->ret = o;
}

void fq_cmd_query_qmp_schema(json_object *args, struct fq_reply *r)
{
	(void)args;
	r->ret = fq_schema_reply();
}

void fq_cmd_migrate_pause(json_object *args, struct fq_reply *r)
{
	(void)args;
	if (!strcmp(fq_vm.cfg.dialect->name, "10.0"))
		fq_reply_error(
		    r, "GenericError",
		    "migrate-pause is currently only supported during postcopy-active or "
		    "postcopy-recover state");
	else
		fq_reply_error(
		    r, "GenericError",
		    "migrate-pause is currently only supported during postcopy-active state");
}

void fq_cmd_query_yank(json_object *args, struct fq_reply *r)
{
	(void)args;
	/* Every socket chardev registers a yank instance. */
	r->ret = fq_chardev_yank_instances();
}

/* inject-nmi: x86's NMI reaches every CPU; nothing to refuse. */
void fq_cmd_inject_nmi(json_object *args, struct fq_reply *r)
{
	(void)args;
	(void)r;
}

/* system_wakeup: the model never suspends (no guest S3), as QEMU with no guest. */
void fq_cmd_system_wakeup(json_object *args, struct fq_reply *r)
{
	(void)args;
	fq_reply_error(r, "GenericError", "Unable to wake up: guest is not in suspended state");
}

/*
 * set-action and watchdog-set-action: the actions for guest-triggered reboot,
 * shutdown, panic and watchdog expiry. The model has no guest that triggers
 * them, so they are taken (the schema checked their values) and kept by QEMU
 * alone.
 */
void fq_cmd_set_action(json_object *args, struct fq_reply *r)
{
	(void)args;
	(void)r;
}

void fq_cmd_watchdog_set_action(json_object *args, struct fq_reply *r)
{
	(void)args;
	(void)r;
}
