/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_config_json.c - libFuzzer target: qd_vm_config_from_json() on any JSON, then the command
 * line */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "config.h"
#include "qemudrv.h"
#include "state.h"

/*
 * The input is JSON text, parsed by json-c as qdctl does (json_object_from_file).
 * A configuration that is refused must say why and keep nothing. One that is
 * accepted is written back as JSON member by member and read again: the two
 * configurations are the same (nothing was dropped, moved or re-typed). Then
 * it is resolved with fixed host facts and, if valid, its command line built:
 * neither may crash, leak, or refuse without a message.
 */

static void put_str(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *config_to_json(const struct qd_vm_config *c)
{
	static const char *const kinds[] = {NULL,    "9p",   "serial",	  "tap",
					    "drive", "vfio", "vhost-user"};
	json_object *o = json_object_new_object(), *devs = json_object_new_array();

	put_str(o, "id", c->id);
	put_str(o, "name", c->name);
	put_str(o, "qemu", c->qemu_path);
	put_str(o, "run_dir", c->run_dir);
	json_object_object_add(o, "machine",
			       json_object_new_string(c->machine == QD_MACHINE_Q35 ? "q35" : "pc"));
	put_str(o, "machine_options", c->machine_options);
	put_str(o, "accel", c->accel);
	put_str(o, "cpu_model", c->cpu_model);
	put_str(o, "cpu_features", c->cpu_features);
	json_object_object_add(o, "vcpus", json_object_new_int64(c->vcpus));
	json_object_object_add(o, "max_vcpus", json_object_new_int64(c->max_vcpus));
	json_object_object_add(o, "memory_mb", json_object_new_int64(c->memory_mb));
	json_object_object_add(o, "memory_slots", json_object_new_int64(c->memory_slots));
	json_object_object_add(o, "max_memory_mb",
			       json_object_new_int64((int64_t)c->max_memory_mb));
	put_str(o, "kernel", c->kernel);
	put_str(o, "initrd", c->initrd);
	put_str(o, "image", c->image);
	put_str(o, "kernel_params", c->kernel_params);
	put_str(o, "firmware", c->firmware);
	json_object_object_add(o, "bridges", json_object_new_int64(c->bridges));
	json_object_object_add(o, "block_driver",
			       json_object_new_string(c->block_driver == QD_BLOCK_VIRTIO_SCSI
							  ? "virtio-scsi"
							  : "virtio-blk"));
#define B(f) json_object_object_add(o, #f, json_object_new_boolean(c->f))
	B(debug);
	B(iothreads);
	B(mem_prealloc);
	B(hugepages);
	B(realtime);
	B(mlock);
	B(daemonize);
	B(disable_nesting_checks);
	B(qmp_path_mode);
#undef B
	for (size_t i = 0; i < c->ndevices; i++) {
		const struct qd_device *d = &c->devices[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "kind", json_object_new_string(kinds[d->kind]));
		put_str(j, "id", d->id);
		put_str(j, "path", d->path);
		put_str(j, "tag", d->tag);
		put_str(j, "ifname", d->ifname);
		put_str(j, "mac", d->mac);
		put_str(j, "format", d->format);
		put_str(j, "bdf", d->bdf);
		json_object_object_add(j, "read_only", json_object_new_boolean(d->read_only));
		json_object_array_add(devs, j);
	}
	json_object_object_add(o, "devices", devs);
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct qd_host_facts host = {.ncpus = 4, .mem_mb = 4096};
	struct json_tokener *tok = json_tokener_new();
	struct qd_vm_config cfg, again, resolved;
	json_object *in, *out, *out2;
	qd_error err = {0};
	char *text;

	if (!tok)
		abort();
	in = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!in)
		return 0;
	if (qd_vm_config_from_json(in, &cfg, &err) < 0) {
		if (!err.message || cfg.devices || cfg.ndevices)
			abort();
		qd_error_clear(&err);
		json_object_put(in);
		return 0;
	}
	out = config_to_json(&cfg);
	text = strdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	if (!text || qd_vm_config_from_json(out, &again, &err) < 0)
		abort(); /* a configuration written back must read */
	out2 = config_to_json(&again);
	if (strcmp(text, json_object_to_json_string_ext(out2, JSON_C_TO_STRING_PLAIN)))
		abort();
	if (qd_config_resolve(&cfg, &host, &resolved, &err) == 0) {
		struct qd_state st = {.uuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"};
		struct qd_launch_params lp = {.qemu = "/usr/bin/qemu-system-x86_64",
					      .uuid = st.uuid,
					      .state = &st,
					      .qmp_fd = 3,
					      .console_path = "/run/c.sock",
					      .pidfile = "/run/p"};
		char **argv = NULL;

		if (qd_state_set_bridges(&st, resolved.bridges) < 0)
			abort();
		if (qd_build_argv(&resolved, &lp, &argv, &err) < 0 && !err.message)
			abort();
		qd_argv_free(argv);
		qd_state_clear(&st);
	} else if (!err.message) {
		abort();
	}
	qd_error_clear(&err);
	free(text);
	json_object_put(out2);
	json_object_put(out);
	qd_vm_config_clear(&again);
	qd_vm_config_clear(&cfg);
	json_object_put(in);
	return 0;
}
