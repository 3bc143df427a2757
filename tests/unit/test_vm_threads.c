/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_vm_threads.c - hot-plug calls on one VM from several threads serialise (on fakeqemu) */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemudrv.h"

#define THREADS		 4
#define DISKS_PER_THREAD 5

struct worker {
	struct qd_vm *vm;
	const char *dir;
	int index;
	int failures;
	char locations[DISKS_PER_THREAD][16];
};

static void *add_disks(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < DISKS_PER_THREAD; i++) {
		struct qd_block_device d = {0};
		char id[32], path[512], *loc = NULL;
		qd_error err = {0};
		FILE *f;

		snprintf(id, sizeof(id), "d%d-%d", w->index, i);
		snprintf(path, sizeof(path), "%s/%s.img", w->dir, id);
		f = fopen(path, "w");
		if (f)
			fclose(f);
		d.id = id;
		d.path = path;
		if (qd_vm_add_block(w->vm, &d, 5000, &loc, &err) < 0) {
			fprintf(stderr, "add %s: %s\n", id, err.message);
			w->failures++;
		} else {
			snprintf(w->locations[i], sizeof(w->locations[i]), "%s", loc);
		}
		free(loc);
		qd_error_clear(&err);
	}
	return NULL;
}

/* 4 threads x 5 disks on one VM: every call succeeds and every slot is distinct. */
static void test_concurrent_block_hotplug(void **state)
{
	const char *fake = getenv("QD_FAKEQEMU");
	char dir[] = "/tmp/qd-threads-XXXXXX";
	struct qd_vm_config cfg = {0};
	struct worker workers[THREADS];
	pthread_t threads[THREADS];
	struct qd_vm *vm;
	qd_error err = {0};
	char kernel[256];
	unsigned added = 0;
	FILE *f;

	if (!fake) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
	f = fopen(kernel, "w");
	assert_non_null(f);
	fclose(f);
	cfg.id = "threads";
	cfg.run_dir = dir;
	cfg.qemu_path = fake;
	cfg.kernel = kernel;
	cfg.accel = "tcg";
	cfg.max_vcpus = 8;
	cfg.bridges = 1;
	assert_int_equal(qd_vm_new(&cfg, &vm, &err), 0);
	assert_int_equal(qd_vm_start(vm, 10000, &err), 0);
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){.vm = vm, .dir = dir, .index = i};
		assert_int_equal(pthread_create(&threads[i], NULL, add_disks, &workers[i]), 0);
	}
	/* vCPU hot-plug from this thread at the same time. */
	assert_int_equal(qd_vm_add_vcpus(vm, 3, 5000, &added, &err), 0);
	assert_int_equal(added, 3);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(workers[i].failures, 0);
	}
	for (int a = 0; a < THREADS * DISKS_PER_THREAD; a++)
		for (int b = a + 1; b < THREADS * DISKS_PER_THREAD; b++)
			assert_string_not_equal(
			    workers[a / DISKS_PER_THREAD].locations[a % DISKS_PER_THREAD],
			    workers[b / DISKS_PER_THREAD].locations[b % DISKS_PER_THREAD]);
	assert_int_equal(qd_vm_stop(vm, 5000, &err), 0);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_concurrent_block_hotplug),
	};

	return cmocka_run_group_tests_name("vm_threads", tests, NULL, NULL);
}
