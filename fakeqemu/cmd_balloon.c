/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmd_balloon.c - balloon and query-balloon, with the guest answering (or not) the target */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fakeqemu.h"
#include "loop.h"
#include "machine.h"
#include "since.h"

/* What the guest has given back, in bytes (the balloon's size). */
static uint64_t inflated;
static uint64_t pending_target;

static uint64_t ram_size(void)
{
	return fq_machine_ram_size();
}

/* qemu_add_balloon_handler(): a virtio-balloon device exists. */
static bool balloon_present(void)
{
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (!strncmp(d->driver, "virtio-balloon", 14))
			return true;
	return false;
}

static json_object *actual_json(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "actual",
			       json_object_new_int64((int64_t)(ram_size() - inflated)));
	return o;
}

/* A cooperative guest's balloon driver reaches the target and reports it. */
static void guest_reached_target(void *opaque)
{
	(void)opaque;
	if (!balloon_present() || fq_vm.state != FQ_RUNNING)
		return;
	inflated = ram_size() - pending_target;
	fq_event("BALLOON_CHANGE", actual_json());
}

void fq_cmd_balloon(json_object *args, struct fq_reply *r)
{
	int64_t value = json_object_get_int64(json_object_object_get(args, "value"));

	if (!balloon_present()) {
		fq_reply_error(r, "DeviceNotActive", "No balloon device has been activated");
		return;
	}
	if (value <= 0) {
		/* 10.0 names the argument; earlier versions the internal 'target'. */
		fq_reply_error(r, "GenericError", "Parameter '%s' expects a size",
			       fq_since(8, 0) ? "value" : "target");
		return;
	}
	/* virtio_balloon_to_target(): never more than the RAM. */
	pending_target = (uint64_t)value > ram_size() ? ram_size() : (uint64_t)value;
	if (fq_vm.cfg.guest == FQ_GUEST_COOPERATIVE || fq_vm.cfg.guest == FQ_GUEST_SLOW)
		fq_loop_timer(fq_vm.cfg.guest == FQ_GUEST_SLOW ? fq_vm.cfg.guest_delay_ms : 10,
			      guest_reached_target, NULL);
}

void fq_cmd_query_balloon(json_object *args, struct fq_reply *r)
{
	(void)args;
	if (!balloon_present()) {
		fq_reply_error(r, "DeviceNotActive", "No balloon device has been activated");
		return;
	}
	r->ret = actual_json();
}
