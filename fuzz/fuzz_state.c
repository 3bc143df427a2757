/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_state.c - libFuzzer target: the state loader on any bytes, and what an accepted state gives
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "argv_oracle.h"
#include "config.h"
#include "state.h"

/*
 * The input is a state file's bytes, as qd_state_load_at() reads them. A
 * rejected one must say why. An accepted one must be a state the library
 * could have written: serialised and loaded again it is the same (a second
 * serialisation is byte-identical), it passes qd_state_check(), and the
 * command line built with its bridges has the shape of the same command line
 * with each bridge id replaced by a marker (argv_oracle.h): nothing from the
 * file turns into QEMU options.
 */

static void check_command_line(const struct qd_state *st)
{
	static const struct qd_host_facts host = {.ncpus = 4, .mem_mb = 4096};
	struct qd_vm_config in = {.id = "vm1", .kernel = "/boot/vmlinuz", .accel = "tcg"}, cfg;
	struct oracle_values values = {0};
	struct qd_state marked = {0};
	struct qd_launch_params lp[2] = {
	    {.qemu = "/usr/bin/qemu-system-x86_64",
	     .uuid = st->uuid,
	     .state = st,
	     .qmp_fd = 3,
	     .console_path = "/run/c.sock"},
	    {.qemu = "/usr/bin/qemu-system-x86_64",
	     .uuid = st->uuid,
	     .state = &marked,
	     .qmp_fd = 3,
	     .console_path = "/run/c.sock"},
	};
	char **argv[2] = {NULL, NULL};

	strcpy(marked.uuid, st->uuid);
	for (size_t i = 0; i < st->nbridges; i++)
		if (qd_state_add_bridge(&marked, oracle_marker(&values, st->bridges[i].id),
					st->bridges[i].addr, st->bridges[i].chassis) < 0)
			abort();
	if (qd_config_resolve(&in, &host, &cfg, NULL) < 0)
		abort();
	if (qd_build_argv(&cfg, &lp[0], &argv[0], NULL) == 0 &&
	    qd_build_argv(&cfg, &lp[1], &argv[1], NULL) == 0)
		oracle_compare(argv[0], argv[1], &values);
	qd_argv_free(argv[0]);
	qd_argv_free(argv[1]);
	qd_state_clear(&marked);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qd_state st, back;
	qd_error err = {0};
	json_object *o, *o2;
	char *first;

	if (qd_state_parse((const char *)data, size, "fuzz", &st, &err) < 0) {
		if (!err.message || st.bridges || st.vcpus || st.devices)
			abort(); /* a refusal says why and keeps nothing */
		qd_error_clear(&err);
		return 0;
	}
	if (qd_state_check(&st, NULL) < 0)
		abort();
	o = qd_state_to_json(&st);
	first = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	if (!first || qd_state_from_json(o, &back, &err) < 0)
		abort(); /* what the library writes, it reads */
	o2 = qd_state_to_json(&back);
	if (strcmp(first, json_object_to_json_string_ext(o2, JSON_C_TO_STRING_PLAIN)))
		abort();
	check_command_line(&st);
	free(first);
	json_object_put(o);
	json_object_put(o2);
	qd_state_clear(&st);
	qd_state_clear(&back);
	return 0;
}
