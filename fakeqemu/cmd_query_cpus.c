/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_query_cpus.c - query-cpus (gone in 6.0, so only 5.2's schema has it): the
 * entries of query-cpus-fast under their old names, with the fields that made
 * the old command slow (each vCPU's pc and halted state)
 */
#include <string.h>

#include "commands.h"
#include "fakeqemu.h"

/* x86's reset vector, where every vCPU is before it first ran. */
#define RESET_VECTOR 0xfffffff0LL
/* Where SeaBIOS leaves the vCPUs halted when no OS boots: the BSP, the APs. */
#define BIOS_HALT_BSP 1029528
#define BIOS_HALT_AP  1036448

static void move(json_object *from, const char *old, json_object *to, const char *name)
{
	json_object *v;

	if (json_object_object_get_ex(from, old, &v))
		json_object_object_add(to, name, json_object_get(v));
}

void fq_cmd_query_cpus(json_object *args, struct fq_reply *r)
{
	struct fq_reply fast = {0};
	json_object *list = json_object_new_array();

	fq_cmd_query_cpus_fast(args, &fast);
	for (size_t i = 0; fast.ret && i < json_object_array_length(fast.ret); i++) {
		json_object *f = json_object_array_get_idx(fast.ret, i), *e = json_object_new_object();
		int index = json_object_get_int(json_object_object_get(f, "cpu-index"));

		move(f, "cpu-index", e, "CPU");
		/* The monitor's current CPU is the first one. */
		json_object_object_add(e, "current", json_object_new_boolean(i == 0));
		/* Before the first run only the APs wait (halted) for their INIT/SIPI. */
		json_object_object_add(e, "halted", json_object_new_boolean(fq_vm.ever_ran || index));
		move(f, "qom-path", e, "qom_path");
		json_object_object_add(
		    e, "pc",
		    json_object_new_int64(!fq_vm.ever_ran ? RESET_VECTOR
					  : index	    ? BIOS_HALT_AP
							    : BIOS_HALT_BSP));
		move(f, "thread-id", e, "thread_id");
		move(f, "props", e, "props");
		json_object_object_add(e, "arch", json_object_new_string("x86"));
		json_object_array_add(list, e);
	}
	json_object_put(fast.ret);
	r->ret = list;
}
