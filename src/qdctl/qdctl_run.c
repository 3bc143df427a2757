/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_run.c - `qdctl run`: start a VM from a JSON config, show its life cycle, stop it */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qdctl.h"
#include "qemudrv.h"

static void usage(FILE *f)
{
	fputs("usage: qdctl run [OPTIONS] [CONFIG.json]\n"
	      "\n"
	      "Creates the VM described by CONFIG.json (or a small built-in default),\n"
	      "prints its QEMU command line, starts it, waits for QMP, pauses and resumes\n"
	      "it, and stops it. It runs on fakeqemu unless --qemu names a real binary.\n"
	      "\n"
	      "options:\n"
	      "  -q, --qemu PATH      QEMU binary (default: the fakeqemu built with qdctl)\n"
	      "  -d, --run-dir DIR    where the VM's directory goes (default $XDG_RUNTIME_DIR/\n"
	      "                       qemudrv, /run/qemudrv for root, else /tmp/qemudrv-UID)\n"
	      "  -t, --timeout MS     deadline of each step (default 10000)\n"
	      "  -k, --keep           leave the VM running and print its pid\n"
	      "  -v, --verbose        log what the library does\n",
	      f);
}

static void log_to_stderr(void *opaque, int level, const char *message)
{
	(void)opaque;
	(void)level;
	fprintf(stderr, "qdctl: %s\n", message);
}

/* The default runs on fakeqemu and on real QEMU alike (the kernel is found in /boot). */
static const char default_config[] = "{\"id\": \"qdctl-demo\", \"accel\": \"tcg\", "
				     "\"vcpus\": 1, \"max_vcpus\": 4, \"memory_mb\": 512, "
				     "\"bridges\": 2}";

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int fail(const char *what, qd_error *err)
{
	fprintf(stderr, "qdctl: %s: %s\n", what,
		err->message ? err->message : strerror(-err->code));
	qd_error_clear(err);
	return QDCTL_FAILED;
}

int qdctl_run_main(int argc, char **argv)
{
	struct qdctl_vm_options o;
	char *fake = NULL, *status = NULL, **qargv = NULL;
	json_object *json = NULL;
	struct qd_vm_config cfg;
	struct qd_vm *vm = NULL;
	qd_error err = {0};
	struct timespec t0;
	int rc;

	rc = qdctl_parse_vm_options(argc, argv, &o, usage);
	if (rc)
		return rc < 0 ? QDCTL_OK : rc;
	rc = QDCTL_OK;
	if (argc - optind > 1) {
		usage(stderr);
		return QDCTL_USAGE;
	}
	if (optind < argc) {
		json = json_object_from_file(argv[optind]);
		if (!json) {
			fprintf(stderr, "qdctl: cannot read config %s: %s", argv[optind],
				json_util_get_last_err());
			return QDCTL_USAGE;
		}
	} else {
		json = json_tokener_parse(default_config);
	}
	if (qd_vm_config_from_json(json, &cfg, &err) < 0) {
		rc = fail("bad configuration", &err);
		rc = QDCTL_USAGE;
		goto out;
	}
	if (!cfg.run_dir)
		cfg.run_dir = o.run_dir;
	if (o.qemu) {
		cfg.qemu_path = o.qemu;
	} else if (!cfg.qemu_path) {
		fake = qdctl_find_fakeqemu();
		if (!fake) {
			fprintf(stderr,
				"qdctl: fakeqemu not found next to qdctl; use --qemu PATH\n");
			rc = QDCTL_FAILED;
			goto out;
		}
		cfg.qemu_path = fake;
	}
	if (!cfg.kernel)
		cfg.kernel = qdctl_default_kernel();

	if (qd_vm_new(&cfg, &vm, &err) < 0) {
		rc = fail("cannot create the VM", &err);
		goto out;
	}
	if (o.verbose)
		qd_vm_set_log(vm, log_to_stderr, NULL, QD_LOG_DEBUG);
	printf("VM %s: directory %s, uuid %s\n", cfg.id, qd_vm_dir(vm), qd_vm_uuid(vm));
	if (qd_vm_argv(vm, &qargv, &err) < 0) {
		rc = fail("cannot build the command line", &err);
		goto out;
	}
	printf("command line:");
	for (char **a = qargv; *a; a++)
		printf(" %s", *a);
	printf("\n");
	qd_argv_free(qargv);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (qd_vm_start(vm, (int)o.timeout, &err) < 0) {
		rc = fail("start", &err);
		goto out;
	}
	{
		struct qd_qemu_version v;

		qd_qmp_get_version(qd_vm_qmp(vm), &v);
		printf("started: pid %d, QMP ready after %.1f ms, QEMU %d.%d.%d (%s)\n",
		       qd_vm_pid(vm), ms_since(&t0), v.major, v.minor, v.micro, v.package);
	}
	if (qd_vm_status(vm, (int)o.timeout, &status, &err) < 0) {
		rc = fail("status", &err);
		goto stop;
	}
	printf("status: %s\n", status);
	free(status);
	if (qd_vm_pause(vm, (int)o.timeout, &err) < 0 ||
	    qd_vm_status(vm, (int)o.timeout, &status, &err) < 0) {
		rc = fail("pause", &err);
		goto stop;
	}
	printf("paused: %s\n", status);
	free(status);
	if (qd_vm_resume(vm, (int)o.timeout, &err) < 0 ||
	    qd_vm_status(vm, (int)o.timeout, &status, &err) < 0) {
		rc = fail("resume", &err);
		goto stop;
	}
	printf("resumed: %s\n", status);
	free(status);
	if (o.keep) {
		printf("left running: pid %d\n", qd_vm_pid(vm));
		goto out;
	}
stop:
	if (qd_vm_stop(vm, (int)o.timeout, &err) < 0)
		rc = fail("stop", &err);
	else
		printf("stopped\n");
out:
	fflush(stdout);
	qd_vm_free(vm);
	qd_vm_config_clear(&cfg);
	json_object_put(json);
	free(fake);
	return rc;
}
