/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_vm_fakeqemu.c - the public VM API against fakeqemu: owners, reconnects, reaping, destroy */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemudrv.h"
#include "scratch.h"

#define TIMEOUT_MS 10000

static const char *fake;

/* A config for VM @id in run directory <scratch>/@dir, on fakeqemu. */
static struct qd_vm_config config(const char *dir, const char *id)
{
	static char run_dir[8][256];
	static int next;
	char *rd = run_dir[next++ % 8];

	scratch_path(rd, 256, dir);
	return (struct qd_vm_config){.id = id,
				     .run_dir = rd,
				     .qemu_path = fake,
				     .accel = "tcg",
				     .vcpus = 1,
				     .max_vcpus = 4,
				     .memory_mb = 256,
				     .bridges = 1};
}

static struct qd_vm *new_vm(const struct qd_vm_config *cfg)
{
	struct qd_vm *vm = NULL;
	qd_error err = {0};

	if (qd_vm_new(cfg, &vm, &err) < 0)
		fail_msg("qd_vm_new: %s", err.message);
	return vm;
}

/* Every QEMU a test started: a failing test (cmocka jumps out of it) leaves none running. */
static int started[64];
static int nstarted;

static void start(struct qd_vm *vm)
{
	qd_error err = {0};

	if (qd_vm_start(vm, TIMEOUT_MS, &err) < 0)
		fail_msg("qd_vm_start: %s", err.message);
	if (nstarted < (int)(sizeof(started) / sizeof(started[0])))
		started[nstarted++] = qd_vm_pid(vm);
}

static int teardown(void **state)
{
	for (int i = 0; i < nstarted; i++)
		kill(started[i], SIGKILL); /* gone already, normally: ESRCH */
	return scratch_teardown(state);
}

/* What /proc says of @pid: 'R', 'S', 'Z' (a zombie), ..., or 0 when there is no such process. */
static char proc_state(int pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : '?';
}

/* Wait (by pidfd, with a deadline) until @pid has exited; it may then be a zombie. */
static void wait_exited(int pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (fd < 0 && errno == ENOSYS) {
		/* Under valgrind there is no pidfd_open: watch /proc, with the same deadline. */
		for (int waited = 0; proc_state(pid) && proc_state(pid) != 'Z'; waited += 5) {
			if (waited > TIMEOUT_MS)
				fail_msg("process %d still runs after %d ms", pid, TIMEOUT_MS);
			poll(NULL, 0, 5);
		}
		return;
	}
	if (fd < 0) {
		assert_int_equal(errno, ESRCH); /* gone already */
		return;
	}
	assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
	close(fd);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int qmp(struct qd_vm *vm, const char *cmd, const char *args_json, json_object **ret)
{
	json_object *args = args_json ? json_tokener_parse(args_json) : NULL;
	qd_error err = {0};
	int r = qd_qmp_execute(qd_vm_qmp(vm), cmd, args, TIMEOUT_MS, ret, &err);

	json_object_put(args);
	qd_error_clear(&err);
	return r;
}

/* Item 1: while one handle owns the VM's QEMU another is refused; once released, adopted. */
static void test_one_owner_per_vm(void **state)
{
	struct qd_vm_config cfg = config("owner", "vm1");
	struct qd_vm *a = new_vm(&cfg), *b = new_vm(&cfg);
	qd_error err = {0};
	char *status = NULL;
	int pid;

	start(a);
	pid = qd_vm_pid(a);
	assert_true(pid > 0);
	assert_int_equal(qd_vm_stop(b, TIMEOUT_MS, &err), -EBUSY);
	assert_non_null(strstr(err.message, "in use by another qemudrv handle"));
	assert_int_equal(qd_vm_start(b, TIMEOUT_MS, &err), -EALREADY);
	assert_int_equal(qd_vm_status(b, TIMEOUT_MS, &status, &err), -EBUSY);
	assert_int_equal(proc_state(pid) != 0 && proc_state(pid) != 'Z', 1);

	/* The owner goes away, leaving QEMU running: the other handle adopts it. */
	qd_vm_free(a);
	assert_int_equal(qd_vm_status(b, TIMEOUT_MS, &status, &err), 0);
	assert_string_equal(status, "running");
	free(status);
	assert_int_equal(qd_vm_pid(b), pid);
	assert_int_equal(qd_vm_start(b, TIMEOUT_MS, &err), -EALREADY);
	assert_int_equal(qd_vm_stop(b, TIMEOUT_MS, &err), 0);
	/* Stopped and reaped: no process, not even a zombie. */
	assert_int_equal(proc_state(pid), 0);
	assert_int_equal(qd_vm_pid(b), -1);
	qd_vm_free(b);
	qd_error_clear(&err);
}

/* Item 4: after the connection drops, attach on the same handle reconnects. */
static void test_attach_reconnects(void **state)
{
	struct qd_vm_config cfg = config("reconnect", "vm1");
	struct qd_vm *vm = new_vm(&cfg);
	qd_error err = {0};
	char *status = NULL, *report = NULL;
	int pid;

	start(vm);
	pid = qd_vm_pid(vm);
	assert_int_equal(qmp(vm, "x-fakeqemu-fault",
			     "{\"rule\": {\"command\": \"query-status\", \"action\": \"drop\"}}",
			     NULL),
			 0);
	assert_int_equal(qd_vm_status(vm, TIMEOUT_MS, &status, &err), -ECONNRESET);
	assert_non_null(qd_qmp_broken(qd_vm_qmp(vm), NULL) ? "broken" : NULL);
	assert_int_equal(qd_vm_attach(vm, TIMEOUT_MS, &err), 0);
	assert_int_equal(qd_qmp_broken(qd_vm_qmp(vm), NULL), 0);
	assert_int_equal(qd_vm_reconcile(vm, TIMEOUT_MS, &report, &err), 0);
	assert_string_equal(report, "");
	free(report);
	/* An operation after a drop mends the connection by itself too. */
	assert_int_equal(qmp(vm, "x-fakeqemu-fault",
			     "{\"rule\": {\"command\": \"query-status\", \"action\": \"drop\"}}",
			     NULL),
			 0);
	assert_int_equal(qd_vm_status(vm, TIMEOUT_MS, &status, &err), -ECONNRESET);
	assert_int_equal(qd_vm_status(vm, TIMEOUT_MS, &status, &err), 0);
	assert_string_equal(status, "running");
	free(status);
	assert_int_equal(qd_vm_pid(vm), pid);
	assert_int_equal(qd_vm_stop(vm, TIMEOUT_MS, &err), 0);
	assert_int_equal(proc_state(pid), 0);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

/* Item 4: a QEMU whose handle was freed is still reaped by the library when it exits. */
static void test_released_qemu_is_reaped(void **state)
{
	struct qd_vm_config cfg = config("reap", "vm1");
	struct qd_vm *vm = new_vm(&cfg), *other;
	qd_error err = {0};
	int pid;

	/* Freed, then killed: the next library call reaps it. */
	start(vm);
	pid = qd_vm_pid(vm);
	qd_vm_free(vm);
	kill(pid, SIGKILL);
	wait_exited(pid);
	cfg = config("reap", "vm2");
	other = new_vm(&cfg);
	assert_int_equal(proc_state(pid), 0);
	qd_vm_free(other);

	/* Freed, then adopted by a new handle that stops it: reaped, no zombie. */
	cfg = config("reap", "vm1");
	vm = new_vm(&cfg);
	start(vm);
	pid = qd_vm_pid(vm);
	qd_vm_free(vm);
	vm = new_vm(&cfg);
	assert_int_equal(qd_vm_attach(vm, TIMEOUT_MS, &err), 0);
	assert_int_equal(qd_vm_pid(vm), pid);
	assert_int_equal(qd_vm_stop(vm, TIMEOUT_MS, &err), 0);
	assert_int_equal(proc_state(pid), 0);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

/* Item 12: qd_vm_pid() of a QEMU that died is -1, and the handle notices. */
static void test_pid_of_a_dead_qemu(void **state)
{
	struct qd_vm_config cfg = config("dead", "vm1");
	struct qd_vm *vm = new_vm(&cfg);
	qd_error err = {0};
	char *status = NULL;
	int pid;

	start(vm);
	pid = qd_vm_pid(vm);
	kill(pid, SIGKILL);
	wait_exited(pid);
	assert_int_equal(qd_vm_pid(vm), -1);
	assert_int_equal(qd_vm_status(vm, TIMEOUT_MS, &status, &err), -ESRCH);
	assert_non_null(strstr(err.message, "was killed by signal 9"));
	/* Reaped, and it can be started again. */
	assert_int_equal(proc_state(pid), 0);
	start(vm);
	assert_true(qd_vm_pid(vm) > 0 && qd_vm_pid(vm) != pid);
	assert_int_equal(qd_vm_stop(vm, TIMEOUT_MS, &err), 0);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

/* Item 12: UINT_MAX vCPUs is clamped like any other too-large count. */
static void test_add_vcpus_uint_max(void **state)
{
	struct qd_vm_config cfg = config("uintmax", "vm1");
	struct qd_vm *vm = new_vm(&cfg);
	qd_error err = {0};
	unsigned added = 0;

	start(vm);
	assert_int_equal(qd_vm_add_vcpus(vm, UINT_MAX, TIMEOUT_MS, &added, &err), 0);
	assert_int_equal(added, 3);
	assert_int_equal(qd_vm_add_vcpus(vm, UINT_MAX, TIMEOUT_MS, &added, &err), 0);
	assert_int_equal(added, 0);
	assert_int_equal(qd_vm_stop(vm, TIMEOUT_MS, &err), 0);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

/* Item 12: a start whose handshake runs into the deadline returns at the deadline. */
static void test_handshake_deadline(void **state)
{
	struct qd_vm_config cfg = config("deadline", "vm1");
	char faults[300];
	struct qd_vm *vm;
	qd_error err = {0};
	int64_t t0, elapsed;
	FILE *f;

	scratch_path(faults, sizeof(faults), "deadline-faults.json");
	f = fopen(faults, "w");
	assert_non_null(f);
	fputs("[{\"command\": \"qmp_capabilities\", \"action\": \"delay\", \"ms\": 5000}]", f);
	fclose(f);
	setenv("FAKEQEMU_FAULTS", faults, 1);
	vm = new_vm(&cfg);
	t0 = now_ms();
	assert_int_equal(qd_vm_start(vm, 500, &err), -ETIMEDOUT);
	elapsed = now_ms() - t0;
	unsetenv("FAKEQEMU_FAULTS");
	/* The deadline, not the deadline plus a second of waiting for QEMU to exit. */
	if (elapsed > 500 + 400)
		fail_msg("qd_vm_start(500 ms) returned after %lld ms", (long long)elapsed);
	assert_int_equal(qd_vm_pid(vm), -1);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Item 12: qd_vm_destroy() leaves nothing behind, and nothing it did not make. */
static void test_destroy(void **state)
{
	struct qd_vm_config cfg;
	struct qd_vm *vm, *other;
	qd_error err = {0};
	char path[512];
	int pid;

	for (int i = 0; i < 20; i++) {
		char id[16];

		snprintf(id, sizeof(id), "vm%d", i);
		cfg = config("destroy", id);
		vm = new_vm(&cfg);
		start(vm);
		pid = qd_vm_pid(vm);
		assert_int_equal(qd_vm_destroy(vm, TIMEOUT_MS, &err), 0);
		assert_int_equal(proc_state(pid), 0);
		qd_vm_free(vm);
	}
	assert_int_equal(entries(cfg.run_dir), 0);

	/* Destroyed: only freeing is left; destroying again is fine. */
	cfg = config("destroy", "gone");
	vm = new_vm(&cfg);
	assert_int_equal(qd_vm_destroy(vm, TIMEOUT_MS, &err), 0);
	assert_int_equal(qd_vm_start(vm, TIMEOUT_MS, &err), -ENOENT);
	assert_int_equal(qd_vm_destroy(vm, TIMEOUT_MS, &err), 0);
	qd_vm_free(vm);

	/* A file qemudrv did not make stays, and so does the directory. */
	cfg = config("destroy", "foreign");
	vm = new_vm(&cfg);
	snprintf(path, sizeof(path), "%s/foreign/notes.txt", cfg.run_dir);
	fclose(fopen(path, "w"));
	assert_int_equal(qd_vm_destroy(vm, TIMEOUT_MS, &err), -ENOTEMPTY);
	assert_non_null(strstr(err.message, "notes.txt"));
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(qd_vm_destroy(vm, TIMEOUT_MS, &err), 0);
	qd_vm_free(vm);

	/* Another handle owns it: refused, nothing removed. */
	cfg = config("destroy", "owned");
	vm = new_vm(&cfg);
	other = new_vm(&cfg);
	start(vm);
	assert_int_equal(qd_vm_destroy(other, TIMEOUT_MS, &err), -EBUSY);
	assert_int_equal(qd_vm_stop(vm, TIMEOUT_MS, &err), 0);
	assert_int_equal(qd_vm_destroy(other, TIMEOUT_MS, &err), 0);
	qd_vm_free(other);
	qd_vm_free(vm);
	assert_int_equal(entries(cfg.run_dir), 0);
	qd_error_clear(&err);
}

struct collected {
	int sends;
	int queue_full;
};

static void collect(void *opaque, int level, const char *message)
{
	struct collected *c = opaque;

	(void)level;
	c->sends += !strncmp(message, "QMP send:", 9);
	c->queue_full += strstr(message, "event queue full") != NULL;
}

/* Item 11: a log set after the start reaches the QMP connection too. */
static void test_set_log_after_start(void **state)
{
	struct qd_vm_config cfg = config("log", "vm1");
	struct qd_vm *vm = new_vm(&cfg);
	struct collected c = {0};
	qd_error err = {0};
	char *status = NULL;

	start(vm);
	qd_vm_set_log(vm, collect, &c, QD_LOG_DEBUG);
	assert_int_equal(qd_vm_status(vm, TIMEOUT_MS, &status, &err), 0);
	free(status);
	assert_int_equal(c.sends, 1);
	qd_vm_set_log(vm, NULL, NULL, QD_LOG_WARNING);
	assert_int_equal(qd_vm_stop(vm, TIMEOUT_MS, &err), 0);
	assert_int_equal(c.sends, 1);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

/* Item 11: the events of the library's own hot-plug do not pile up in the caller's queue. */
static void test_hotplug_events_not_queued_for_the_caller(void **state)
{
	struct qd_vm_config cfg = config("events", "vm1");
	struct qd_vm *vm;
	struct collected c = {0};
	qd_error err = {0};
	json_object *ev = NULL;
	char img[300];
	unsigned n;

	scratch_path(img, sizeof(img), "events.img");
	fclose(fopen(img, "w"));
	setenv("FAKEQEMU_GUEST", "slow=0", 1);
	vm = new_vm(&cfg);
	qd_vm_set_log(vm, collect, &c, QD_LOG_WARNING);
	start(vm);
	unsetenv("FAKEQEMU_GUEST");
	/* Whatever QEMU said at start-up is the caller's. */
	while (qd_qmp_next_event(qd_vm_qmp(vm), 0, &ev, &err) == 0)
		json_object_put(ev);
	for (int i = 0; i < 40; i++) {
		struct qd_block_device d = {.id = "d0", .path = img};
		char *loc = NULL;

		assert_int_equal(qd_vm_add_vcpus(vm, 1, TIMEOUT_MS, &n, &err), 0);
		assert_int_equal(qd_vm_remove_vcpus(vm, 1, TIMEOUT_MS, &n, &err), 0);
		assert_int_equal(qd_vm_add_block(vm, &d, TIMEOUT_MS, &loc, &err), 0);
		free(loc);
		assert_int_equal(qd_vm_remove_block(vm, "d0", TIMEOUT_MS, &err), 0);
	}
	/* A QMP round trip lets every event sent meanwhile arrive first. */
	assert_int_equal(qmp(vm, "query-status", NULL, NULL), 0);
	if (qd_qmp_next_event(qd_vm_qmp(vm), 0, &ev, &err) == 0)
		fail_msg("the caller's queue holds %s",
			 json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN));
	assert_int_equal(c.queue_full, 0);
	/* Events the library did not cause are still the caller's. */
	assert_int_equal(qmp(vm, "stop", NULL, NULL), 0);
	assert_int_equal(
	    qd_qmp_wait_event(qd_vm_qmp(vm), "STOP", NULL, NULL, TIMEOUT_MS, NULL, &err), 0);
	assert_int_equal(qd_vm_stop(vm, TIMEOUT_MS, &err), 0);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

/* Item 3: fields that QEMU could not read are refused before anything is sent. */
static void test_block_fields_checked_before_qemu(void **state)
{
	struct qd_vm_config cfg = config("fields", "vm1");
	struct qd_vm *vm = new_vm(&cfg);
	struct collected c = {0};
	qd_error err = {0};
	char img[300], *loc = NULL;

	scratch_path(img, sizeof(img), "fields.img");
	fclose(fopen(img, "w"));
	start(vm);
	qd_vm_set_log(vm, collect, &c, QD_LOG_DEBUG);
	{
		struct qd_block_device d = {.id = "d0", .path = img, .format = "raw,readonly=on"};

		assert_int_equal(qd_vm_add_block(vm, &d, TIMEOUT_MS, &loc, &err), -EINVAL);
		assert_string_equal(
		    err.message, "block device d0: 'raw,readonly=on' is not a block format name");
		d.format = "q\xff";
		assert_int_equal(qd_vm_add_block(vm, &d, TIMEOUT_MS, &loc, &err), -EINVAL);
		assert_string_equal(err.message, "the format of device d0 is not valid UTF-8");
		d.format = NULL;
		d.path = "/tmp/\xc3(";
		assert_int_equal(qd_vm_add_block(vm, &d, TIMEOUT_MS, &loc, &err), -EINVAL);
		assert_string_equal(err.message, "the path of device d0 is not valid UTF-8");
	}
	assert_int_equal(qd_vm_add_vfio(vm, "g0", "0000:01:00.0,rombar=0", TIMEOUT_MS, &loc, &err),
			 -EINVAL);
	assert_string_equal(err.message,
			    "VFIO device g0: '0000:01:00.0,rombar=0' is not a PCI address "
			    "([DDDD:]BB:SS.F)");
	/* Nothing of it went to QEMU. */
	assert_int_equal(c.sends, 0);
	qd_vm_set_log(vm, NULL, NULL, QD_LOG_WARNING);
	assert_int_equal(qd_vm_stop(vm, TIMEOUT_MS, &err), 0);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

/* Item 10: a guest's refusal that comes after the removal gave up is applied later. */
static void test_late_guest_refusal(void **state)
{
	struct qd_vm_config cfg = config("late", "vm1");
	struct qd_block_device d = {.id = "d0"};
	struct qd_qmp_watch *w = NULL;
	struct qd_vm *vm;
	qd_error err = {0};
	char img[300], path[512], *loc = NULL, *report = NULL;
	json_object *st;

	scratch_path(img, sizeof(img), "late.img");
	fclose(fopen(img, "w"));
	d.path = img;
	setenv("FAKEQEMU_GUEST", "reject", 1);
	vm = new_vm(&cfg);
	start(vm);
	unsetenv("FAKEQEMU_GUEST");
	assert_int_equal(qd_vm_add_block(vm, &d, TIMEOUT_MS, &loc, &err), 0);
	free(loc);
	/* The refusal comes 1 s late, after a 200 ms removal gave up. */
	assert_int_equal(
	    qmp(vm, "x-fakeqemu-fault",
		"{\"rule\": {\"command\": \"device_del\", \"action\": \"delay-event\", "
		"\"ms\": 1000}}",
		NULL),
	    0);
	assert_int_equal(qd_vm_remove_block(vm, "d0", 200, &err), -ETIMEDOUT);
	snprintf(path, sizeof(path), "%s/vm1/state.json", cfg.run_dir);
	st = json_object_from_file(path);
	assert_true(json_object_get_boolean(json_object_object_get(
	    json_object_array_get_idx(json_object_object_get(st, "devices"), 0), "unplugging")));
	json_object_put(st);
	/* A watch (the caller's) sees the refusal arrive; the library applies it next call. */
	assert_int_equal(
	    qd_qmp_watch_new(qd_vm_qmp(vm), "DEVICE_UNPLUG_GUEST_ERROR", NULL, NULL, &w, &err), 0);
	assert_int_equal(qd_qmp_watch_wait(qd_vm_qmp(vm), w, TIMEOUT_MS, NULL, &err), 0);
	qd_qmp_watch_free(qd_vm_qmp(vm), w);
	assert_int_equal(qd_vm_reconcile(vm, TIMEOUT_MS, &report, &err), 0);
	free(report);
	st = json_object_from_file(path);
	assert_false(json_object_get_boolean(json_object_object_get(
	    json_object_array_get_idx(json_object_object_get(st, "devices"), 0), "unplugging")));
	json_object_put(st);
	assert_int_equal(qd_vm_stop(vm, TIMEOUT_MS, &err), 0);
	qd_vm_free(vm);
	qd_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_owner_per_vm),
	    cmocka_unit_test(test_attach_reconnects),
	    cmocka_unit_test(test_released_qemu_is_reaped),
	    cmocka_unit_test(test_pid_of_a_dead_qemu),
	    cmocka_unit_test(test_add_vcpus_uint_max),
	    cmocka_unit_test(test_handshake_deadline),
	    cmocka_unit_test(test_destroy),
	    cmocka_unit_test(test_set_log_after_start),
	    cmocka_unit_test(test_hotplug_events_not_queued_for_the_caller),
	    cmocka_unit_test(test_late_guest_refusal),
	    cmocka_unit_test(test_block_fields_checked_before_qemu),
	};

	fake = getenv("QD_FAKEQEMU");
	if (!fake) {
		printf("SKIP: QD_FAKEQEMU is not set (the path of fakeqemu)\n");
		return 77;
	}
	return cmocka_run_group_tests_name("vm_fakeqemu", tests, scratch_setup, teardown);
}
