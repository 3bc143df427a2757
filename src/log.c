/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* log.c - routing library messages to the caller's log callback */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void qd_log(const struct qd_logger *log, int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!log || !log->fn || level > log->max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log->fn(log->opaque, level, buf);
}
