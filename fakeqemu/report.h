/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report.h - warnings on stderr as QEMU's warn_report() prints them */
#ifndef FQ_REPORT_H
#define FQ_REPORT_H

#include <stdbool.h>

/**
 * fq_report_location() - the command-line option being processed, or NULL
 * @loc: e.g. "-netdev tap,id=n0" (borrowed until the next call)
 *
 * QEMU's Location: warnings name the option they come from.
 */
void fq_report_location(const char *loc);

/**
 * fq_warn() - warn_report(): "prog: LOC: warning: MSG" on the command line,
 * "warning: MSG" while a monitor command runs (QEMU prints no prefix then)
 * @fmt: printf format of the message
 */
void fq_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * fq_error_report() - error_report(): as fq_warn() without "warning: ", for
 * errors QEMU reports and survives (a failed migration, a load that fails)
 * @fmt: printf format of the message
 */
void fq_error_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fq_msg_timestamp - -msg timestamp=on: messages start with the UTC time. */
extern bool fq_msg_timestamp;

/**
 * fq_report_timestamp() - print "YYYY-MM-DDTHH:MM:SS.uuuuuuZ " to stderr under
 * -msg timestamp=on (error_vreport()'s prefix), else nothing
 */
void fq_report_timestamp(void);

#endif
