/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_error.c - fill a library error object from qdctl's own failures */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "qdctl.h"

int qdctl_error_set(qd_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!err)
		return code;
	qd_error_clear(err);
	err->code = code;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	err->message = msg;
	return code;
}
