/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* soak.c - benchmark: 10,000 hot-plug/unplug cycles on one VM, RSS, fds and events watched */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "proc_stats.h"
#include "qemudrv.h"

/*
 * One VM, one handle, CYCLES cycles of: add a vCPU, add a disk (virtio-blk on a
 * bridge slot), remove the disk, remove the vCPU. Every REPORT cycles a line:
 * this process's RSS and open fds, QEMU's RSS, and the events the caller's
 * queue holds (the library's own hot-plug events must not pile up there; it
 * is drained without blocking, so the count is of that slice). At the end:
 * RSS and fds against their values after the warm-up (growth is a leak),
 * the VM stopped, and the processes left (children, zombies, QEMUs of the
 * VM). Timings are printed, never judged.
 */

#define TIMEOUT_MS 10000

static void usage(FILE *f)
{
	fprintf(f, "usage: soak [-q QEMU] [-n CYCLES] [-r REPORT] [-d RUN_DIR] [-k KERNEL]\n"
		   "  -q QEMU    QEMU binary (default: fakeqemu next to this program)\n"
		   "  -n CYCLES  hot-plug/unplug cycles (default 10000)\n"
		   "  -r REPORT  print a line every REPORT cycles (default 1000)\n"
		   "  -d RUN_DIR run directory (default: a new one under $TMPDIR or /tmp)\n"
		   "  -k KERNEL  guest kernel (default: none, QEMU's firmware)\n");
}

static int drain_events(struct qd_vm *vm)
{
	json_object *ev;
	int n = 0;

	while (qd_qmp_next_event(qd_vm_qmp(vm), 0, &ev, NULL) == 0) {
		json_object_put(ev);
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *qemu = NULL, *run_dir = NULL, *kernel = NULL;
	long cycles = 10000, report = 1000;
	struct qd_vm_config cfg = {0};
	struct qd_vm *vm = NULL;
	qd_error err = {0};
	char img[4096], tmpl[] = "/tmp/qd-soak-XXXXXX", *fake = NULL;
	long rss0, fds0, events = 0;
	int64_t t0, tprev;
	const char *uuid[1];
	struct leftovers left;
	int opt;
	FILE *f;

	while ((opt = getopt(argc, argv, "q:n:r:d:k:h")) != -1) {
		switch (opt) {
		case 'q':
			qemu = optarg;
			break;
		case 'n':
			cycles = atol(optarg);
			break;
		case 'r':
			report = atol(optarg);
			break;
		case 'd':
			run_dir = optarg;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!qemu)
		qemu = fake = built_fakeqemu();
	if (!run_dir && !(run_dir = mkdtemp(tmpl)))
		die("mkdtemp: %s", strerror(errno));
	snprintf(img, sizeof(img), "%s/soak.img", run_dir);
	f = fopen(img, "w");
	if (!f)
		die("%s: %s", img, strerror(errno));
	fclose(f);
	cfg = (struct qd_vm_config){.id = "soak",
				    .run_dir = run_dir,
				    .qemu_path = qemu,
				    .kernel = kernel,
				    .accel = "tcg",
				    .vcpus = 1,
				    .max_vcpus = 2,
				    .memory_mb = 256,
				    .bridges = 1};
	if (qd_vm_new(&cfg, &vm, &err) < 0 || qd_vm_start(vm, TIMEOUT_MS, &err) < 0)
		die("VM: %s", err.message);
	printf(
	    "soak: %ld cycles (vCPU add, disk add, disk remove, vCPU remove) on %s, run dir %s\n",
	    cycles, qemu, run_dir);
	drain_events(vm);
	rss0 = fds0 = -1;
	t0 = tprev = now_ns();
	printf("%8s %10s %6s %12s %8s %10s\n", "cycle", "rss KiB", "fds", "QEMU rss KiB", "events",
	       "ms/cycle");
	for (long i = 1; i <= cycles; i++) {
		struct qd_block_device d = {.id = "d0", .path = img};
		unsigned n;
		char *loc = NULL;

		if (qd_vm_add_vcpus(vm, 1, TIMEOUT_MS, &n, &err) < 0 || n != 1)
			die("cycle %ld: add vCPU: %s", i, err.message);
		if (qd_vm_add_block(vm, &d, TIMEOUT_MS, &loc, &err) < 0)
			die("cycle %ld: add disk: %s", i, err.message);
		free(loc);
		if (qd_vm_remove_block(vm, "d0", TIMEOUT_MS, &err) < 0)
			die("cycle %ld: remove disk: %s", i, err.message);
		if (qd_vm_remove_vcpus(vm, 1, TIMEOUT_MS, &n, &err) < 0 || n != 1)
			die("cycle %ld: remove vCPU: %s", i, err.message);
		events += drain_events(vm);
		if (i == 100) {
			/* After a warm-up: caches and arenas have their working size. */
			rss0 = proc_rss_kb(0);
			fds0 = proc_fds();
		}
		if (i % report == 0 || i == cycles) {
			int64_t t = now_ns();

			printf("%8ld %10ld %6d %12ld %8ld %10.3f\n", i, proc_rss_kb(0), proc_fds(),
			       proc_rss_kb(qd_vm_pid(vm)), events,
			       (double)(t - tprev) / 1e6 / (double)report);
			tprev = t;
			fflush(stdout);
		}
	}
	printf("soak: %ld cycles in %.1f s; RSS %ld -> %ld KiB (peak %ld), fds %ld -> %d, %ld "
	       "events reached the caller's queue\n",
	       cycles, (double)(now_ns() - t0) / 1e9, rss0, proc_rss_kb(0), proc_hwm_kb(), fds0,
	       proc_fds(), events);
	uuid[0] = qd_vm_uuid(vm);
	if (qd_vm_stop(vm, TIMEOUT_MS, &err) < 0)
		die("stop: %s", err.message);
	left = count_leftovers(uuid, 1);
	printf("soak: after stop: %d children, %d zombies, %d QEMUs of the VM left; fds %d\n",
	       left.children, left.zombies, left.qemus, proc_fds());
	if (qd_vm_destroy(vm, TIMEOUT_MS, &err) < 0)
		die("destroy: %s", err.message);
	qd_vm_free(vm);
	if (!strncmp(run_dir, "/tmp/qd-soak-", 13)) {
		unlink(img);
		rmdir(run_dir);
	}
	free(fake);
	return 0;
}
