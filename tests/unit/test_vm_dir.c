/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_vm_dir.c - a VM's run directory: made private, refused when hostile, locked, removed */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"
#include "vm_dir.h"

static unsigned mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

static void expect_refused(const char *run_dir, const char *id, int code, const char *message)
{
	qd_error err = {0};
	int fd = 7;

	assert_int_equal(qd_vm_dir_open(run_dir, id, &fd, &err), code);
	assert_int_equal(fd, -1);
	if (strcmp(err.message, message))
		fail_msg("got:  %s\nwant: %s", err.message, message);
	qd_error_clear(&err);
}

static void test_created_private_with_parents(void **state)
{
	char run_dir[256], vm[300], parent[256];
	qd_error err = {0};
	int fd;

	scratch_path(run_dir, sizeof(run_dir), "run/a/b");
	assert_int_equal(qd_vm_dir_open(run_dir, "vm1", &fd, &err), 0);
	snprintf(vm, sizeof(vm), "%s/vm1", run_dir);
	assert_int_equal(mode_of(vm), 0700);
	assert_int_equal(mode_of(run_dir), 0755);
	assert_int_equal(mode_of(scratch_path(parent, sizeof(parent), "run")), 0755);
	/* The descriptor is the directory: a file made through it is there. */
	close(qd_vm_dir_open_file(fd, "probe", O_WRONLY | O_CREAT, 0600));
	snprintf(vm, sizeof(vm), "%s/vm1/probe", run_dir);
	assert_int_equal(access(vm, F_OK), 0);
	close(fd);

	/* Existing and 0755: made private again, through the descriptor. */
	snprintf(vm, sizeof(vm), "%s/vm1", run_dir);
	assert_int_equal(chmod(vm, 0755), 0);
	assert_int_equal(qd_vm_dir_open(run_dir, "vm1", &fd, &err), 0);
	assert_int_equal(mode_of(vm), 0700);
	close(fd);
	assert_null(err.message);
}

static void test_symlink_refused_and_target_untouched(void **state)
{
	char run_dir[256], target[256], link[300], want[600];

	scratch_path(run_dir, sizeof(run_dir), "run-link");
	scratch_path(target, sizeof(target), "elsewhere");
	assert_int_equal(mkdir(run_dir, 0755), 0);
	assert_int_equal(mkdir(target, 0755), 0);
	assert_int_equal(chmod(target, 0755), 0);
	snprintf(link, sizeof(link), "%s/vm1", run_dir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(want, sizeof(want), "VM directory %s/vm1 is a symbolic link: refusing to use it",
		 run_dir);
	expect_refused(run_dir, "vm1", -ELOOP, want);
	assert_int_equal(mode_of(target), 0755);

	/* A dangling one too: it is not created through. */
	assert_int_equal(unlink(link), 0);
	snprintf(want, sizeof(want), "%s/nothing-here", target);
	assert_int_equal(symlink(want, link), 0);
	snprintf(want, sizeof(want), "VM directory %s/vm1 is a symbolic link: refusing to use it",
		 run_dir);
	expect_refused(run_dir, "vm1", -ELOOP, want);
	snprintf(want, sizeof(want), "%s/nothing-here", target);
	assert_int_equal(access(want, F_OK), -1);
}

static void test_not_a_directory(void **state)
{
	char run_dir[256], file[300], want[600];

	scratch_path(run_dir, sizeof(run_dir), "run-file");
	assert_int_equal(mkdir(run_dir, 0755), 0);
	snprintf(file, sizeof(file), "%s/vm1", run_dir);
	touch(file);
	snprintf(want, sizeof(want), "%s/vm1 is not a directory", run_dir);
	expect_refused(run_dir, "vm1", -ENOTDIR, want);
	/* A parent that is a file. */
	snprintf(file, sizeof(file), "%s/vm1/sub", run_dir);
	snprintf(want, sizeof(want), "cannot create %s/vm1/sub: Not a directory", run_dir);
	expect_refused(file, "vm2", -ENOTDIR, want);
}

static void test_other_owners_refused(void **state)
{
	char run_dir[256], vm[300], want[600];

	if (geteuid() != 0) {
		skip(); /* needs root to give a directory away */
		return;
	}
	scratch_path(run_dir, sizeof(run_dir), "run-owner");
	assert_int_equal(mkdir(run_dir, 0755), 0);
	snprintf(vm, sizeof(vm), "%s/vm1", run_dir);
	assert_int_equal(mkdir(vm, 0777), 0);
	assert_int_equal(chmod(vm, 0777), 0);
	assert_int_equal(chown(vm, 4321, 4321), 0);
	snprintf(want, sizeof(want),
		 "VM directory %s/vm1 belongs to uid 4321, not to you (uid 0): refusing to use it",
		 run_dir);
	expect_refused(run_dir, "vm1", -EPERM, want);
	assert_int_equal(mode_of(vm), 0777); /* not chmod'ed */

	/* A run directory of another user: its entries are theirs to replace. */
	assert_int_equal(chown(run_dir, 4321, 4321), 0);
	snprintf(want, sizeof(want),
		 "run directory %s belongs to uid 4321, neither you (uid 0) nor root: refusing "
		 "to create VMs in it",
		 run_dir);
	expect_refused(run_dir, "vm2", -EPERM, want);
	snprintf(vm, sizeof(vm), "%s/vm2", run_dir);
	assert_int_equal(access(vm, F_OK), -1);
}

static void test_run_dir_writable_by_others(void **state)
{
	static const struct {
		mode_t mode;
		int ok;
	} cases[] = {{0777, 0}, {0770, 0}, {0757, 0}, {01777, 1}, {01770, 1}, {0755, 1}, {0700, 1}};
	char run_dir[256], want[600];
	qd_error err = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "run-mode-%zu", i);
		scratch_path(run_dir, sizeof(run_dir), name);
		assert_int_equal(mkdir(run_dir, 0700), 0);
		assert_int_equal(chmod(run_dir, cases[i].mode), 0);
		if (cases[i].ok) {
			assert_int_equal(qd_vm_dir_open(run_dir, "vm1", &fd, &err), 0);
			close(fd);
			continue;
		}
		snprintf(want, sizeof(want),
			 "run directory %s is writable by other users and not sticky (mode %04o): "
			 "refusing to create VMs in it",
			 run_dir, (unsigned)cases[i].mode);
		expect_refused(run_dir, "vm1", -EPERM, want);
	}
}

static void test_owner_lock(void **state)
{
	char run_dir[256];
	qd_error err = {0};
	int a, b;

	scratch_path(run_dir, sizeof(run_dir), "run-lock");
	assert_int_equal(qd_vm_dir_open(run_dir, "vm1", &a, &err), 0);
	assert_int_equal(qd_vm_dir_open(run_dir, "vm1", &b, &err), 0);
	assert_int_equal(qd_vm_dir_lock(a), 0);
	assert_int_equal(qd_vm_dir_lock(a), 0); /* the holder again: fine */
	assert_int_equal(qd_vm_dir_lock(b), -EBUSY);
	qd_vm_dir_unlock(a);
	assert_int_equal(qd_vm_dir_lock(b), 0);
	assert_int_equal(qd_vm_dir_lock(a), -EBUSY);
	close(b); /* closing releases it */
	assert_int_equal(qd_vm_dir_lock(a), 0);
	close(a);
}

static void test_remove(void **state)
{
	static const char *const sockets[] = {"qmp-x", "console.sock", NULL};
	char run_dir[256], path[400], want[700];
	qd_error err = {0};
	int fd;

	scratch_path(run_dir, sizeof(run_dir), "run-remove");
	assert_int_equal(qd_vm_dir_open(run_dir, "vm1", &fd, &err), 0);
	for (const char *const *n = (const char *const[]){"state.json", "qemu.log", "qmp-x", NULL};
	     *n; n++) {
		snprintf(path, sizeof(path), "%s/vm1/%s", run_dir, *n);
		touch(path);
	}
	/* A file qemudrv did not make: it stays, and so does the directory. */
	snprintf(path, sizeof(path), "%s/vm1/notes", run_dir);
	touch(path);
	snprintf(want, sizeof(want),
		 "VM directory %s/vm1 holds files qemudrv did not create (notes): left in place",
		 run_dir);
	assert_int_equal(qd_vm_dir_remove(run_dir, "vm1", fd, sockets, &err), -ENOTEMPTY);
	assert_string_equal(err.message, want);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/vm1/state.json", run_dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/vm1/notes", run_dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(qd_vm_dir_remove(run_dir, "vm1", fd, sockets, &err), 0);
	snprintf(path, sizeof(path), "%s/vm1", run_dir);
	assert_int_equal(access(path, F_OK), -1);
	close(fd);

	/* The path now names another directory: it is not removed. */
	assert_int_equal(qd_vm_dir_open(run_dir, "vm2", &fd, &err), 0);
	snprintf(path, sizeof(path), "%s/vm2", run_dir);
	snprintf(want, sizeof(want), "%s/vm2-moved", run_dir);
	assert_int_equal(rename(path, want), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(qd_vm_dir_remove(run_dir, "vm2", fd, sockets, &err), -ESTALE);
	assert_int_equal(access(path, F_OK), 0);
	close(fd);
	qd_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_created_private_with_parents),
	    cmocka_unit_test(test_symlink_refused_and_target_untouched),
	    cmocka_unit_test(test_not_a_directory),
	    cmocka_unit_test(test_other_owners_refused),
	    cmocka_unit_test(test_run_dir_writable_by_others),
	    cmocka_unit_test(test_owner_lock),
	    cmocka_unit_test(test_remove),
	};

	return cmocka_run_group_tests_name("vm_dir", tests, scratch_setup, scratch_teardown);
}
