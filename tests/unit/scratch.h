/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scratch.h - a per-run scratch directory for the unit tests that touch files */
#ifndef QD_TEST_SCRATCH_H
#define QD_TEST_SCRATCH_H

#include <stddef.h>

/* The directory's path once scratch_setup() has run. */
extern char scratch_root[];

/**
 * scratch_setup() - cmocka group setup: umask 022 and a new /tmp/qd-test-XXXXXX
 * @state: unused
 *
 * Return: 0, or -1 if the directory cannot be made.
 */
int scratch_setup(void **state);

/**
 * scratch_teardown() - cmocka group teardown: remove the directory and all in it
 * @state: unused
 *
 * Entries a test made unreadable are made writable first. Best effort: what
 * cannot be removed is reported on stderr.
 *
 * Return: 0.
 */
int scratch_teardown(void **state);

/**
 * scratch_path() - a path under the scratch directory
 * @buf:  receives it
 * @size: of @buf
 * @name: relative name
 *
 * Return: @buf.
 */
char *scratch_path(char *buf, size_t size, const char *name);

#endif
