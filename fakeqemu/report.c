/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report.c - warnings on stderr as QEMU's warn_report() prints them (see report.h) */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "fakeqemu.h"
#include "qmp_dispatch.h"
#include "report.h"

static const char *location;

bool fq_msg_timestamp;

void fq_report_timestamp(void)
{
	struct timeval tv;
	struct tm tm;
	char buf[32];

	if (!fq_msg_timestamp)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%06ldZ ", buf, (long)tv.tv_usec);
}

void fq_report_location(const char *loc)
{
	location = loc;
}

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	/* print_loc(): the program name and location only outside a monitor command. */
	if (!fq_qmp_current_monitor()) {
		fq_report_timestamp();
		fprintf(stderr, "%s: ", fq_vm.cfg.progname);
		if (location)
			fprintf(stderr, "%s: ", location);
	}
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void fq_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void fq_error_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}
