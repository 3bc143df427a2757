/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* many_vms.c - benchmark: 100 VMs run at once from several threads, with RSS, fds and leftovers */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "proc_stats.h"
#include "qemudrv.h"

/*
 * VMS VMs, each with its own handle, spread over THREADS threads. Each thread,
 * for each of its VMs in turn: create and start it, hot-plug a vCPU and
 * DISKS disks, then leave it running; once every VM of every thread runs
 * (a barrier), each thread removes the disks and the vCPU of its VMs,
 * stops and destroys them. So at the peak all VMs run at once, each with its
 * QMP connection, and the library's own resources (fds, memory) are those of
 * VMS running VMs. Reported: the time of each phase, per-VM start latency
 * (median and p90), this process's RSS and fds before, at the peak and
 * after, and what is left afterwards (children, zombies, QEMUs of the VMs,
 * directories). Timings are printed, never judged.
 */

#define TIMEOUT_MS 30000

struct worker {
	pthread_t thread;
	int index;
	int first, count; /* VMs [first, first+count) */
	struct bench *b;
	int failures;
};

struct bench {
	const char *qemu;
	const char *run_dir;
	const char *kernel;
	int vms, threads, disks;
	struct qd_vm **vm;
	char **uuid;
	int64_t *start_ns;
	pthread_barrier_t running;
	long peak_rss;
	int peak_fds;
	pthread_mutex_t lock;
};

static void note_peak(struct bench *b)
{
	long rss = proc_rss_kb(0);
	int fds = proc_fds();

	pthread_mutex_lock(&b->lock);
	if (rss > b->peak_rss)
		b->peak_rss = rss;
	if (fds > b->peak_fds)
		b->peak_fds = fds;
	pthread_mutex_unlock(&b->lock);
}

static int fail(struct worker *w, const char *what, int i, qd_error *err)
{
	fprintf(stderr, "many-vms: VM %d: %s: %s\n", i, what, err->message ? err->message : "?");
	qd_error_clear(err);
	w->failures++;
	return -1;
}

static int bring_up(struct worker *w, int i)
{
	struct bench *b = w->b;
	char id[32], img[512];
	struct qd_vm_config cfg;
	qd_error err = {0};
	unsigned n;
	int64_t t0;

	snprintf(id, sizeof(id), "vm%03d", i);
	cfg = (struct qd_vm_config){.id = id,
				    .run_dir = b->run_dir,
				    .qemu_path = b->qemu,
				    .kernel = b->kernel,
				    .accel = "tcg",
				    .vcpus = 1,
				    .max_vcpus = 2,
				    .memory_mb = 128,
				    .bridges = 1};
	if (qd_vm_new(&cfg, &b->vm[i], &err) < 0)
		return fail(w, "new", i, &err);
	b->uuid[i] = strdup(qd_vm_uuid(b->vm[i]));
	t0 = now_ns();
	if (qd_vm_start(b->vm[i], TIMEOUT_MS, &err) < 0)
		return fail(w, "start", i, &err);
	b->start_ns[i] = now_ns() - t0;
	if (qd_vm_add_vcpus(b->vm[i], 1, TIMEOUT_MS, &n, &err) < 0)
		return fail(w, "add vCPU", i, &err);
	for (int k = 0; k < b->disks; k++) {
		struct qd_block_device d = {.path = img};
		char did[16], *loc = NULL;
		FILE *f;

		snprintf(did, sizeof(did), "d%d", k);
		snprintf(img, sizeof(img), "%s/%s-%s.img", b->run_dir, id, did);
		f = fopen(img, "w");
		if (f)
			fclose(f);
		d.id = did;
		if (qd_vm_add_block(b->vm[i], &d, TIMEOUT_MS, &loc, &err) < 0)
			return fail(w, "add disk", i, &err);
		free(loc);
	}
	return 0;
}

static void tear_down(struct worker *w, int i)
{
	struct bench *b = w->b;
	qd_error err = {0};
	unsigned n;

	if (!b->vm[i])
		return;
	for (int k = 0; k < b->disks; k++) {
		char did[16], img[512];

		snprintf(did, sizeof(did), "d%d", k);
		if (qd_vm_remove_block(b->vm[i], did, TIMEOUT_MS, &err) < 0)
			fail(w, "remove disk", i, &err);
		snprintf(img, sizeof(img), "%s/vm%03d-%s.img", b->run_dir, i, did);
		unlink(img);
	}
	if (qd_vm_remove_vcpus(b->vm[i], 1, TIMEOUT_MS, &n, &err) < 0)
		fail(w, "remove vCPU", i, &err);
	if (qd_vm_destroy(b->vm[i], TIMEOUT_MS, &err) < 0)
		fail(w, "destroy", i, &err);
	qd_vm_free(b->vm[i]);
	b->vm[i] = NULL;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	for (int i = w->first; i < w->first + w->count; i++) {
		bring_up(w, i);
		note_peak(w->b);
	}
	pthread_barrier_wait(&w->b->running);
	note_peak(w->b);
	pthread_barrier_wait(&w->b->running);
	for (int i = w->first; i < w->first + w->count; i++)
		tear_down(w, i);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct bench b = {.vms = 100, .threads = 4, .disks = 2};
	char tmpl[] = "/tmp/qd-many-XXXXXX", *fake = NULL;
	struct worker *w;
	struct leftovers left;
	long rss0;
	int fds0, failures = 0, opt, running;
	int64_t t0, t_up, t_down;

	while ((opt = getopt(argc, argv, "q:n:t:D:d:k:h")) != -1) {
		switch (opt) {
		case 'q':
			b.qemu = optarg;
			break;
		case 'n':
			b.vms = atoi(optarg);
			break;
		case 't':
			b.threads = atoi(optarg);
			break;
		case 'D':
			b.disks = atoi(optarg);
			break;
		case 'd':
			b.run_dir = optarg;
			break;
		case 'k':
			b.kernel = optarg;
			break;
		case 'h':
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: many-vms [-q QEMU] [-n VMS] [-t THREADS] [-D DISKS] [-d "
				"RUN_DIR] "
				"[-k KERNEL]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (b.vms < 1 || b.threads < 1 || b.threads > b.vms)
		die("need 1 <= THREADS <= VMS");
	if (!b.qemu)
		b.qemu = fake = built_fakeqemu();
	if (!b.run_dir && !(b.run_dir = mkdtemp(tmpl)))
		die("mkdtemp: %s", strerror(errno));
	b.vm = calloc((size_t)b.vms, sizeof(*b.vm));
	b.uuid = calloc((size_t)b.vms, sizeof(*b.uuid));
	b.start_ns = calloc((size_t)b.vms, sizeof(*b.start_ns));
	w = calloc((size_t)b.threads, sizeof(*w));
	if (!b.vm || !b.uuid || !b.start_ns || !w)
		die("out of memory");
	pthread_mutex_init(&b.lock, NULL);
	/* The workers and the main thread: all up, measured, then all down. */
	pthread_barrier_init(&b.running, NULL, (unsigned)b.threads + 1);
	rss0 = proc_rss_kb(0);
	fds0 = proc_fds();
	printf("many-vms: %d VMs from %d threads on %s (%d disks and 1 vCPU each), run dir %s\n",
	       b.vms, b.threads, b.qemu, b.disks, b.run_dir);
	t0 = now_ns();
	for (int t = 0, first = 0; t < b.threads; t++) {
		int count = b.vms / b.threads + (t < b.vms % b.threads);

		w[t] = (struct worker){.index = t, .first = first, .count = count, .b = &b};
		first += count;
		if (pthread_create(&w[t].thread, NULL, run, &w[t]) != 0)
			die("pthread_create");
	}
	pthread_barrier_wait(&b.running);
	t_up = now_ns() - t0;
	note_peak(&b);
	running = 0;
	for (int i = 0; i < b.vms; i++)
		running += b.vm[i] && qd_vm_pid(b.vm[i]) > 0;
	t0 = now_ns();
	pthread_barrier_wait(&b.running);
	for (int t = 0; t < b.threads; t++) {
		pthread_join(w[t].thread, NULL);
		failures += w[t].failures;
	}
	t_down = now_ns() - t0;
	qsort(b.start_ns, (size_t)b.vms, sizeof(int64_t), cmp_i64);
	left = count_leftovers((const char *const *)b.uuid, b.vms);
	printf("many-vms: %d of %d VMs ran at once; up (start + hot-plug) %.2f s, down (unplug + "
	       "destroy) %.2f s; start median %.2f ms, p90 %.2f ms\n",
	       running, b.vms, (double)t_up / 1e9, (double)t_down / 1e9,
	       (double)b.start_ns[b.vms / 2] / 1e6, (double)b.start_ns[b.vms * 9 / 10] / 1e6);
	printf("many-vms: RSS %ld KiB before, %ld at the peak, %ld after; fds %d before, %d at the "
	       "peak, %d after\n",
	       rss0, b.peak_rss, proc_rss_kb(0), fds0, b.peak_fds, proc_fds());
	printf("many-vms: left: %d children, %d zombies, %d QEMUs of the VMs; %d failed calls\n",
	       left.children, left.zombies, left.qemus, failures);
	if (!strncmp(b.run_dir, "/tmp/qd-many-", 13))
		rmdir(b.run_dir); /* empty unless a destroy failed */
	for (int i = 0; i < b.vms; i++)
		free(b.uuid[i]);
	free(b.uuid);
	free(b.vm);
	free(b.start_ns);
	free(w);
	free(fake);
	return failures ? 1 : 0;
}
