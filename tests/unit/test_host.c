/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_host.c - host facts: nesting, memory, socket paths, the QEMU binary, private directories */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host.h"
#include "qemudrv.h"
#include "scratch.h"

#ifndef QD_FIXTURES_DIR
#error "QD_FIXTURES_DIR must name tests/unit/fixtures"
#endif

/**
 * write_file() - create @path with @text and @mode
 * @path: the file
 * @text: its content
 * @mode: its permissions
 */
static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* ---- nesting ----------------------------------------------------------------------------- */

static void test_nested_fixtures(void **state)
{
	qd_error err = {0};

	assert_int_equal(qd_host_is_nested(QD_FIXTURES_DIR "/cpuinfo_intel", &err), 0);
	assert_int_equal(qd_host_is_nested(QD_FIXTURES_DIR "/cpuinfo_intel_nested", &err), 1);
	assert_int_equal(qd_host_is_nested(QD_FIXTURES_DIR "/cpuinfo_amd", &err), 0);
	assert_null(err.message);
	/* No error object needed. */
	assert_int_equal(qd_host_is_nested(QD_FIXTURES_DIR "/cpuinfo_intel_nested", NULL), 1);
	/* The real one answers without error, whatever the answer. */
	assert_in_range(qd_host_is_nested(NULL, &err), 0, 1);
	assert_null(err.message);
}

static void test_nested_flag_forms(void **state)
{
	char path[256];

	/* "hypervisor" as the last flag, before the newline. */
	write_file(scratch_path(path, sizeof(path), "cpuinfo_last"),
		   "processor\t: 0\nflags\t\t: fpu vme de hypervisor\n\n", 0644);
	assert_int_equal(qd_host_is_nested(path, NULL), 1);
	/* A flag that only contains the word, or the word elsewhere, is not it. */
	write_file(path,
		   "processor\t: 0\nmodel name\t: hypervisor edition\n"
		   "flags\t\t: fpu hypervisor_x xhypervisor\nvmx flags\t: hypervisor\n\n",
		   0644);
	assert_int_equal(qd_host_is_nested(path, NULL), 0);
	/* No flags line at all (another architecture): not nested. */
	write_file(path, "processor\t: 0\nFeatures\t: fp asimd evtstrm\n\n", 0644);
	assert_int_equal(qd_host_is_nested(path, NULL), 0);
	write_file(path, "", 0644);
	assert_int_equal(qd_host_is_nested(path, NULL), 0);
}

static void test_nested_unreadable(void **state)
{
	qd_error err = {0};
	char dir[256];

	assert_int_equal(qd_host_is_nested(QD_FIXTURES_DIR "/no-such-cpuinfo", &err), -ENOENT);
	assert_int_equal(err.code, -ENOENT);
	assert_string_equal(err.message, "cannot read " QD_FIXTURES_DIR
					 "/no-such-cpuinfo: No such file or directory");
	assert_int_equal(qd_host_is_nested(QD_FIXTURES_DIR "/no-such-cpuinfo", NULL), -ENOENT);

	/* A directory opens but cannot be read: that is an error too, not "bare metal". */
	scratch_path(dir, sizeof(dir), "cpuinfo_dir");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(qd_host_is_nested(dir, &err), -EISDIR);
	assert_non_null(strstr(err.message, dir));
	qd_error_clear(&err);
}

/* ---- memory ------------------------------------------------------------------------------ */

static void test_meminfo(void **state)
{
	unsigned long long mb = 0;
	qd_error err = {0};
	char path[256];

	/* 32791612 kB, rounded down to MiB. */
	assert_int_equal(qd_host_mem_mb(QD_FIXTURES_DIR "/meminfo", &mb, &err), 0);
	assert_int_equal(mb, 32023);
	assert_null(err.message);

	mb = 0;
	assert_int_equal(qd_host_mem_mb(NULL, &mb, &err), 0);
	assert_true(mb > 0);

	write_file(scratch_path(path, sizeof(path), "meminfo_small"), "MemTotal:    2047 kB\n",
		   0644);
	assert_int_equal(qd_host_mem_mb(path, &mb, &err), 0);
	assert_int_equal(mb, 1);
}

static void test_meminfo_errors(void **state)
{
	unsigned long long mb = 77;
	qd_error err = {0};
	char path[256];

	assert_int_equal(qd_host_mem_mb(QD_FIXTURES_DIR "/meminfo_broken", &mb, &err), -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	assert_string_equal(err.message, QD_FIXTURES_DIR "/meminfo_broken: no MemTotal line");
	assert_int_equal(mb, 77);

	assert_int_equal(qd_host_mem_mb(QD_FIXTURES_DIR "/no-such-meminfo", &mb, &err), -ENOENT);
	assert_string_equal(err.message, "cannot read " QD_FIXTURES_DIR
					 "/no-such-meminfo: No such file or directory");

	write_file(scratch_path(path, sizeof(path), "meminfo_zero"), "MemTotal:  0 kB\n", 0644);
	assert_int_equal(qd_host_mem_mb(path, &mb, &err), -EINVAL);
	assert_non_null(strstr(err.message, "MemTotal is 0"));
	qd_error_clear(&err);
}

/* ---- socket paths ------------------------------------------------------------------------ */

/**
 * dir_of_len() - "/tmp/xxx...x" of exactly @len bytes
 * @buf: at least @len + 1 bytes
 * @len: wanted length, >= 5
 *
 * Return: @buf.
 */
static char *dir_of_len(char *buf, size_t len)
{
	memset(buf, 'd', len);
	memcpy(buf, "/tmp/", 5);
	buf[len] = '\0';
	return buf;
}

static void test_socket_path_short(void **state)
{
	char *out = NULL;
	int shortened = -1;
	qd_error err = {0};

	assert_int_equal(qd_socket_path("/run/qd/vm1", "qmp.sock", &out, &shortened, &err), 0);
	assert_string_equal(out, "/run/qd/vm1/qmp.sock");
	assert_int_equal(shortened, 0);
	free(out);
	assert_null(err.message);
}

static void test_socket_path_boundary(void **state)
{
	char dir[200], want[512];
	const char *name = "qmp-6e7c3a52-1b0e-4d4e-9a8f-2f1c0d9e8b7a"; /* 40 chars */
	char *out = NULL;
	int shortened = -1;

	/* 66 + 1 + 40 = 107: fits exactly, unchanged. */
	dir_of_len(dir, 66);
	assert_int_equal(qd_socket_path(dir, name, &out, &shortened, NULL), 0);
	snprintf(want, sizeof(want), "%s/%s", dir, name);
	assert_string_equal(out, want);
	assert_int_equal(strlen(out), QD_MAX_SOCKET_PATH);
	assert_int_equal(shortened, 0);
	free(out);

	/* One more byte of directory: the name loses its last character. */
	dir_of_len(dir, 67);
	assert_int_equal(qd_socket_path(dir, name, &out, &shortened, NULL), 0);
	snprintf(want, sizeof(want), "%s/%.39s", dir, name);
	assert_string_equal(out, want);
	assert_int_equal(strlen(out), 107);
	assert_int_equal(shortened, 1);
	free(out);
}

static void test_socket_path_shortened(void **state)
{
	char dir[200], want[512];
	const char *name = "qmp-6e7c3a52-1b0e-4d4e-9a8f-2f1c0d9e8b7a";
	char *out = NULL;
	int shortened = 0;

	/* 80 + 1 leaves 26 bytes of name. */
	dir_of_len(dir, 80);
	assert_int_equal(qd_socket_path(dir, name, &out, &shortened, NULL), 0);
	snprintf(want, sizeof(want), "%s/qmp-6e7c3a52-1b0e-4d4e-9a8", dir);
	assert_string_equal(out, want);
	assert_int_equal(strlen(out), 107);
	assert_int_equal(shortened, 1);
	free(out);

	/* Down to exactly the minimum: 94 + 1 + 12 = 107. */
	dir_of_len(dir, 94);
	assert_int_equal(qd_socket_path(dir, name, &out, &shortened, NULL), 0);
	snprintf(want, sizeof(want), "%s/qmp-6e7c3a52", dir);
	assert_string_equal(out, want);
	assert_int_equal(strlen(strrchr(out, '/') + 1), QD_MIN_SOCKET_NAME);
	assert_int_equal(strlen(out), 107);
	assert_int_equal(shortened, 1);
	free(out);
}

static void test_socket_path_too_long(void **state)
{
	char dir[300], want[600];
	const char *name = "qmp-6e7c3a52-1b0e-4d4e-9a8f-2f1c0d9e8b7a";
	char *out = (char *)"untouched";
	int shortened = -1;
	qd_error err = {0};

	/* 95 + 1 leaves 11 bytes: below the 12-character minimum. */
	dir_of_len(dir, 95);
	assert_int_equal(qd_socket_path(dir, name, &out, &shortened, &err), -ENAMETOOLONG);
	assert_null(out);
	assert_int_equal(shortened, 0);
	assert_int_equal(err.code, -ENAMETOOLONG);
	snprintf(want, sizeof(want),
		 "socket name '%s' cannot be shortened enough: directory %s leaves 11 of the 107 "
		 "bytes a unix socket path may have (at least 12 are needed)",
		 name, dir);
	assert_string_equal(err.message, want);

	/* A short name that does not fit is not shortened below what it is either. */
	assert_int_equal(qd_socket_path(dir, "console.sock.x", &out, &shortened, &err),
			 -ENAMETOOLONG);

	/* A directory longer than the whole limit. */
	dir_of_len(dir, 200);
	assert_int_equal(qd_socket_path(dir, name, &out, &shortened, &err), -ENAMETOOLONG);
	assert_non_null(strstr(err.message, "leaves 0 of the 107 bytes"));
	qd_error_clear(&err);
}

/* ---- the QEMU binary --------------------------------------------------------------------- */

static void test_qemu_binary(void **state)
{
	char *out = NULL, path[256];
	qd_error err = {0};

	assert_int_equal(qd_qemu_binary("/bin/true", &out, &err), 0);
	assert_string_equal(out, "/bin/true");
	free(out);

	write_file(scratch_path(path, sizeof(path), "qemu-exec"), "#!/bin/sh\nexit 0\n", 0755);
	assert_int_equal(qd_qemu_binary(path, &out, &err), 0);
	assert_string_equal(out, path);
	free(out);
	assert_null(err.message);
}

static void test_qemu_binary_errors(void **state)
{
	char *out = (char *)"untouched", path[256], want[512];
	qd_error err = {0};

	assert_int_equal(qd_qemu_binary("/nonexistent/qemu-system-x86_64", &out, &err), -ENOENT);
	assert_null(out);
	assert_int_equal(err.code, -ENOENT);
	assert_string_equal(
	    err.message, "QEMU binary /nonexistent/qemu-system-x86_64: No such file or directory");

	/* Not executable (a check root passes too: no execute bit at all). */
	write_file(scratch_path(path, sizeof(path), "qemu-noexec"), "#!/bin/sh\nexit 0\n", 0644);
	assert_int_equal(qd_qemu_binary(path, &out, &err), -EACCES);
	assert_null(out);
	snprintf(want, sizeof(want), "QEMU binary %s is not an executable file", path);
	assert_string_equal(err.message, want);

	/* A directory is not an executable file, even with x bits. */
	assert_int_equal(qd_qemu_binary(scratch_root, &out, &err), -EACCES);
	snprintf(want, sizeof(want), "QEMU binary %s is not an executable file", scratch_root);
	assert_string_equal(err.message, want);
	qd_error_clear(&err);
}

/* ---- private directories ----------------------------------------------------------------- */

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nested_fixtures),
	    cmocka_unit_test(test_nested_flag_forms),
	    cmocka_unit_test(test_nested_unreadable),
	    cmocka_unit_test(test_meminfo),
	    cmocka_unit_test(test_meminfo_errors),
	    cmocka_unit_test(test_socket_path_short),
	    cmocka_unit_test(test_socket_path_boundary),
	    cmocka_unit_test(test_socket_path_shortened),
	    cmocka_unit_test(test_socket_path_too_long),
	    cmocka_unit_test(test_qemu_binary),
	    cmocka_unit_test(test_qemu_binary_errors),
	};

	return cmocka_run_group_tests_name("host", tests, scratch_setup, scratch_teardown);
}
