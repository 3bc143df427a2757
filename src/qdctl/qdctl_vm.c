/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_vm.c - `qdctl vm`: drive one VM through a sequence of operations, one JSON line each */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "qdctl.h"
#include "qemudrv.h"

static void usage(FILE *f)
{
	fputs("usage: qdctl vm [OPTIONS] CONFIG.json OP [ARGS] [OP [ARGS]]...\n"
	      "\n"
	      "Runs the operations in order on the VM of CONFIG.json and prints one JSON\n"
	      "line per operation. QEMU keeps running when qdctl exits unless `stop` ran,\n"
	      "so a later `qdctl vm CONFIG.json attach ...` continues (state is reloaded).\n"
	      "\n"
	      "operations:\n"
	      "  start | attach | stop | destroy | status | caps | reconcile | qmp-socket\n"
	      "  add-vcpus N | remove-vcpus N\n"
	      "  add-block ID PATH [INDEX] [format=FMT] [read-only] | remove-block ID\n"
	      "  add-vfio ID BDF | remove-vfio ID\n"
	      "  add-memory ID SIZE_MB [model=dimm|virtio-mem] [backend=ram|file|memfd]\n"
	      "             [path=MEM_PATH] [shared] [hugepages] [prealloc] [requested=MB]\n"
	      "           | remove-memory ID\n"
	      "  add-net ID [tap=NAME] [queues=N] [mac=MAC] [vhost] | remove-net ID\n"
	      "    (add-net opens the tap itself, created when absent: it needs CAP_NET_ADMIN)\n"
	      "\n"
	      "options:\n"
	      "  -q, --qemu PATH      QEMU binary (default: the config's, else fakeqemu)\n"
	      "  -d, --run-dir DIR    run directory (default as for qdctl run)\n"
	      "  -t, --timeout MS     deadline of each operation (default 10000)\n"
	      "  -k, --keep-going     run the next operations after a failure\n"
	      "  -v, --verbose        log what the library does\n"
	      "\n"
	      "exit status: 0 all succeeded, 1 an operation failed, 2 usage, 3 set-up failed\n",
	      f);
}

static void log_to_stderr(void *opaque, int level, const char *message)
{
	(void)opaque;
	(void)level;
	fprintf(stderr, "qdctl: %s\n", message);
}

static json_object *result(const char *op, int r, const qd_error *err)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "ok", json_object_new_boolean(r == 0));
	if (r < 0) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "errno", json_object_new_int(-r));
		json_object_object_add(
		    e, "name",
		    json_object_new_string(strerrorname_np(-r) ? strerrorname_np(-r) : "?"));
		if (err->qmp_class)
			json_object_object_add(e, "class", json_object_new_string(err->qmp_class));
		json_object_object_add(e, "message",
				       json_object_new_string(err->message ? err->message : ""));
		json_object_object_add(o, "error", e);
	}
	return o;
}

static void print(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/*
 * The words after an op's own arguments that say more about it: "key=value"
 * for a key of @keys, or a flag of @flags; the first other word ends them (the
 * next op). *@i is advanced past them. Return: 0, or -2 for a key or value
 * the op does not take (said on stderr).
 */
static int take_words(int argc, char **argv, int *i, const char *const *keys,
		      const char *const *flags, const char **values, bool *set)
{
	for (; *i < argc; (*i)++) {
		const char *w = argv[*i], *eq = strchr(w, '=');
		int k;

		if (!eq) {
			k = qdctl_choice(flags, w);
			if (k < 0)
				return 0;
			set[k] = true;
			continue;
		}
		for (k = 0; keys[k] && (strncmp(keys[k], w, (size_t)(eq - w)) || keys[k][eq - w]);
		     k++)
			;
		if (!keys[k]) {
			fprintf(stderr, "qdctl: unknown key '%.*s'\n", (int)(eq - w), w);
			return -2;
		}
		values[k] = eq + 1;
	}
	return 0;
}

static int parse_ull(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static int op_add_memory(struct qd_vm *vm, int argc, char **argv, int *i, int timeout, char **text,
			 qd_error *err)
{
	static const char *const keys[] = {"model", "backend", "path", "requested", NULL};
	static const char *const flags[] = {"shared", "hugepages", "prealloc", NULL};
	const char *v[4] = {0};
	bool f[3] = {0};
	struct qd_memory_device m = {0};
	int model, backend;

	if (*i + 1 >= argc || parse_ull(argv[*i + 1], &m.size_mb) < 0)
		return -2;
	m.id = argv[*i];
	*i += 2;
	if (take_words(argc, argv, i, keys, flags, v, f) < 0)
		return -2;
	model = v[0] ? qdctl_choice(qdctl_memory_models, v[0]) : QD_MEMORY_DIMM;
	backend = v[1] ? qdctl_choice(qdctl_memory_backends, v[1]) : QD_MEMORY_RAM;
	if (model < 0 || backend < 0 || (v[3] && parse_ull(v[3], &m.requested_mb) < 0)) {
		fprintf(stderr, "qdctl: add-memory: model is dimm or virtio-mem, backend ram, file "
				"or memfd, requested a number of MiB\n");
		return -2;
	}
	m.model = (enum qd_memory_model)model;
	m.backend = (enum qd_memory_backend)backend;
	m.mem_path = v[2];
	m.shared = f[0];
	m.hugepages = f[1];
	m.prealloc = f[2];
	return qd_vm_add_memory(vm, &m, timeout, text, err);
}

static int op_add_net(struct qd_vm *vm, int argc, char **argv, int *i, int timeout, char **text,
		      json_object **extra, qd_error *err)
{
	static const char *const keys[] = {"tap", "queues", "mac", NULL};
	static const char *const flags[] = {"vhost", NULL};
	const char *v[3] = {0};
	bool f[1] = {0};
	struct qd_net_device n = {0};
	struct qdctl_taps taps;
	int r;

	if (*i >= argc)
		return -2;
	n.id = argv[(*i)++];
	if (take_words(argc, argv, i, keys, flags, v, f) < 0 ||
	    (v[1] && parse_uint(v[1], &n.queues) < 0))
		return -2;
	if (!v[1])
		n.queues = 1;
	n.mac = v[2];
	n.vhost = f[0];
	r = qdctl_taps_open(v[0], n.queues, &taps, err);
	if (r < 0)
		return r;
	n.tap_fds = taps.fds;
	r = qd_vm_add_net(vm, &n, timeout, text, err);
	*extra = json_object_new_string(taps.name);
	qdctl_taps_close(&taps);
	return r;
}

/* Run the operation at @argv[*i]; advance *i past its arguments. 0, -1 failed, -2 usage. */
static int run_one(struct qd_vm *vm, int argc, char **argv, int *i, int timeout)
{
	const char *op = argv[(*i)++];
	qd_error err = {0};
	json_object *o;
	unsigned n = 0, done = 0;
	char *text = NULL;
	int r;

#define ARG(k) ((*i) + (k) < argc ? argv[(*i) + (k)] : NULL)
	if (!strcmp(op, "start")) {
		r = qd_vm_start(vm, timeout, &err);
		o = result(op, r, &err);
		if (r == 0)
			json_object_object_add(o, "pid", json_object_new_int(qd_vm_pid(vm)));
	} else if (!strcmp(op, "attach")) {
		r = qd_vm_attach(vm, timeout, &err);
		o = result(op, r, &err);
	} else if (!strcmp(op, "stop")) {
		r = qd_vm_stop(vm, timeout, &err);
		o = result(op, r, &err);
	} else if (!strcmp(op, "destroy")) {
		r = qd_vm_destroy(vm, timeout, &err);
		o = result(op, r, &err);
	} else if (!strcmp(op, "status")) {
		r = qd_vm_status(vm, timeout, &text, &err);
		o = result(op, r, &err);
		if (r == 0)
			json_object_object_add(o, "status", json_object_new_string(text));
	} else if (!strcmp(op, "caps")) {
		unsigned caps = qd_vm_capabilities(vm);

		r = 0;
		o = result(op, 0, &err);
		qdctl_caps_json(caps, o);
	} else if (!strcmp(op, "reconcile")) {
		r = qd_vm_reconcile(vm, timeout, &text, &err);
		o = result(op, r, &err);
		if (r == 0)
			json_object_object_add(o, "report", json_object_new_string(text));
	} else if (!strcmp(op, "qmp-socket")) {
		char path[4096];

		r = 0;
		o = result(op, 0, &err);
		snprintf(path, sizeof(path), "%s", qd_vm_dir(vm));
		json_object_object_add(o, "dir", json_object_new_string(path));
		json_object_object_add(o, "uuid", json_object_new_string(qd_vm_uuid(vm)));
	} else if (!strcmp(op, "add-vcpus") || !strcmp(op, "remove-vcpus")) {
		if (!ARG(0) || parse_uint(ARG(0), &n) < 0)
			return -2;
		(*i)++;
		if (op[0] == 'a')
			r = qd_vm_add_vcpus(vm, n, timeout, &done, &err);
		else
			r = qd_vm_remove_vcpus(vm, n, timeout, &done, &err);
		o = result(op, r, &err);
		json_object_object_add(o, op[0] == 'a' ? "added" : "removed",
				       json_object_new_int((int)done));
	} else if (!strcmp(op, "add-block")) {
		static const char *const keys[] = {"format", NULL}, *const flags[] = {"read-only",
										      NULL};
		struct qd_block_device d = {0};
		bool read_only = false;

		if (!ARG(0) || !ARG(1))
			return -2;
		d.id = ARG(0);
		d.path = ARG(1);
		*i += 2;
		if (ARG(0) && parse_uint(ARG(0), &d.index) == 0)
			(*i)++;
		if (take_words(argc, argv, i, keys, flags, &d.format, &read_only) < 0)
			return -2;
		d.read_only = read_only;
		r = qd_vm_add_block(vm, &d, timeout, &text, &err);
		o = result(op, r, &err);
		if (r == 0)
			json_object_object_add(o, "location", json_object_new_string(text));
	} else if (!strcmp(op, "add-vfio")) {
		if (!ARG(0) || !ARG(1))
			return -2;
		r = qd_vm_add_vfio(vm, ARG(0), ARG(1), timeout, &text, &err);
		*i += 2;
		o = result(op, r, &err);
		if (r == 0)
			json_object_object_add(o, "location", json_object_new_string(text));
	} else if (!strcmp(op, "add-memory")) {
		r = op_add_memory(vm, argc, argv, i, timeout, &text, &err);
		if (r == -2)
			return -2;
		o = result(op, r, &err);
		if (r == 0)
			json_object_object_add(o, "location", json_object_new_string(text));
	} else if (!strcmp(op, "add-net")) {
		json_object *tap = NULL;

		r = op_add_net(vm, argc, argv, i, timeout, &text, &tap, &err);
		if (r == -2)
			return -2;
		o = result(op, r, &err);
		if (r == 0)
			json_object_object_add(o, "location", json_object_new_string(text));
		if (tap)
			json_object_object_add(o, "tap", tap);
	} else if (!strcmp(op, "remove-block") || !strcmp(op, "remove-vfio") ||
		   !strcmp(op, "remove-memory") || !strcmp(op, "remove-net")) {
		if (!ARG(0))
			return -2;
		if (!strcmp(op, "remove-block"))
			r = qd_vm_remove_block(vm, ARG(0), timeout, &err);
		else if (!strcmp(op, "remove-vfio"))
			r = qd_vm_remove_vfio(vm, ARG(0), timeout, &err);
		else if (!strcmp(op, "remove-memory"))
			r = qd_vm_remove_memory(vm, ARG(0), timeout, &err);
		else
			r = qd_vm_remove_net(vm, ARG(0), timeout, &err);
		(*i)++;
		o = result(op, r, &err);
	} else {
		fprintf(stderr, "qdctl: unknown operation '%s'\n", op);
		return -2;
	}
#undef ARG
	print(o);
	free(text);
	qd_error_clear(&err);
	return r < 0 ? -1 : 0;
}

/* As run_one(); on a usage error *@i is just past the op, which the message names. */
static int run_op(struct qd_vm *vm, int argc, char **argv, int *i, int timeout)
{
	int at = *i, r = run_one(vm, argc, argv, i, timeout);

	if (r == -2)
		*i = at + 1;
	return r;
}

int qdctl_vm_main(int argc, char **argv)
{
	struct qdctl_vm_options o;
	struct qd_vm_config cfg;
	struct qd_vm *vm = NULL;
	json_object *json;
	qd_error err = {0};
	char *fake = NULL;
	int status = QDCTL_OK, i;

	status = qdctl_parse_vm_options(argc, argv, &o, usage);
	if (status)
		return status < 0 ? QDCTL_OK : status;
	if (argc - optind < 2) {
		usage(stderr);
		return QDCTL_USAGE;
	}
	json = json_object_from_file(argv[optind]);
	if (!json) {
		fprintf(stderr, "qdctl: cannot read config %s: %s", argv[optind],
			json_util_get_last_err());
		return QDCTL_USAGE;
	}
	if (qd_vm_config_from_json(json, &cfg, &err) < 0) {
		fprintf(stderr, "qdctl: bad configuration: %s\n", err.message);
		status = QDCTL_USAGE;
		goto out;
	}
	if (!cfg.run_dir)
		cfg.run_dir = o.run_dir;
	if (o.qemu)
		cfg.qemu_path = o.qemu;
	else if (!cfg.qemu_path)
		cfg.qemu_path = fake = qdctl_find_fakeqemu();
	if (!cfg.kernel)
		cfg.kernel = qdctl_default_kernel();
	if (qd_vm_new(&cfg, &vm, &err) < 0) {
		fprintf(stderr, "qdctl: cannot create the VM: %s\n", err.message);
		status = QDCTL_FAILED;
		goto out;
	}
	if (o.verbose)
		qd_vm_set_log(vm, log_to_stderr, NULL, QD_LOG_DEBUG);
	for (i = optind + 1; i < argc;) {
		int r = run_op(vm, argc, argv, &i, (int)o.timeout);

		if (r == -2) {
			fprintf(stderr, "qdctl: missing or bad arguments for '%s'\n", argv[i - 1]);
			status = QDCTL_USAGE;
			break;
		}
		if (r < 0) {
			status = QDCTL_QMP_ERROR;
			if (!o.keep)
				break;
		}
	}
out:
	qd_error_clear(&err);
	qd_vm_free(vm);
	qd_vm_config_clear(&cfg);
	json_object_put(json);
	free(fake);
	return status;
}
