/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* record.h - -fake-record FILE -fake-real PATH: a recording proxy in front of the real QEMU */
#ifndef FQ_RECORD_H
#define FQ_RECORD_H

#include <stdbool.h>

/*
 * fq_record_requested() - whether this run records: -fake-record FILE (or
 * FAKEQEMU_RECORD) given; then *@record_path and *@real (-fake-real or
 * FAKEQEMU_REAL, required: exits 1 without it) are set.
 */
bool fq_record_requested(int argc, char **argv, const char **record_path, const char **real);

/*
 * fq_record_main() - run @real with @argv's arguments (monitors taken over,
 * -fake-* dropped), record the session in @record_path, and end as QEMU ends.
 */
int fq_record_main(int argc, char **argv, const char *record_path, const char *real);

#endif
